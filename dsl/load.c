/*
 * load.c -- from paths to parsed files, and the compile entry points.
 *
 * A rule base is every *.rules file under the paths given (directories are
 * walked in name order, so the result does not depend on the file system's
 * order) plus whatever they `use`.  Files are identified by their canonical
 * path, so a file reached twice -- through a directory and through `use`, or
 * through two `use`s -- is loaded once.  A `use` of a file that is still
 * being loaded further up the chain is a cycle, reported with the chain.
 *
 * Out of memory anywhere below longjmps back to compile(), which frees the
 * three arenas and returns OT_ENOMEM.  That is why the context lives in
 * allocated memory rather than on compile()'s stack.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dsl.h"
#include "hooks_stdlib.h"
#include "scenario.h"

#define MAX_FILE_BYTES (16u << 20)
#define MAX_USE_DEPTH 64

static int by_name(const void *a, const void *b);

/* ---- paths ---- */

/* dir part of `path` including the final '/', or "" */
static size_t dir_len(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? (size_t)(slash - path + 1) : 0;
}

/* Joins `rel` to the directory of `base` and removes "." and "dir/.."
 * segments textually, for display. */
static char *join_clean(arena *a, const char *base, const char *rel)
{
	size_t dl = rel[0] == '/' ? 0 : dir_len(base);
	char *joined = arena_printf(a, "%.*s%s", (int)dl, base, rel);
	char *out = arena_alloc(a, strlen(joined) + 1);
	size_t n = 0;
	const char *p = joined;
	if (*p == '/')
		out[n++] = *p++;
	size_t root = n;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* skip */
		} else if (len == 2 && p[0] == '.' && p[1] == '.' && n > root &&
			   !(n >= root + 3 && strncmp(out + n - 3, "../", 3) == 0 &&
			     (n == root + 3 || out[n - 4] == '/'))) {
			/* drop the previous segment */
			n--;
			while (n > root && out[n - 1] != '/')
				n--;
		} else {
			memcpy(out + n, p, len);
			n += len;
			if (e)
				out[n++] = '/';
		}
		if (!e)
			break;
		p = e + 1;
	}
	if (n > root && out[n - 1] == '/' && !(rel[0] && rel[strlen(rel) - 1] == '/'))
		n--;
	out[n] = 0;
	return n ? out : arena_strdup(a, ".");
}

/* `use "stdlib/NAME"` names the shared definitions built into the engine
 * (stdlib/rules); they are known by this prefix wherever the rule base is. */
#define STDLIB_PREFIX "<stdlib>/"

extern const hook_source dsl_stdlib_rules[];

static const char *stdlib_text(const char *real)
{
	const char *name = real + strlen(STDLIB_PREFIX);
	for (const hook_source *s = dsl_stdlib_rules; s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s->text;
	return NULL;
}

static int is_stdlib(const char *path)
{
	return strncmp(path, STDLIB_PREFIX, strlen(STDLIB_PREFIX)) == 0;
}

/* The hint for a stdlib file that does not exist: the ones that do. */
static const char *stdlib_names(dsl_ctx *c)
{
	buf b;
	buf_init_arena(&b, &c->ast);
	buf_puts(&b, "the standard library has");
	for (const hook_source *s = dsl_stdlib_rules; s->name; s++)
		buf_printf(&b, "%s stdlib/%s", s == dsl_stdlib_rules ? ":" : ",", s->name);
	char *names = arena_strdup(&c->ast, b.p);
	buf_free(&b);
	return names;
}

static char *canonical(dsl_ctx *c, const char *path)
{
	if (is_stdlib(path)) {
		int known = c->vfs_files ? json_object_get(c->vfs_files, path) != NULL
					 : stdlib_text(path) != NULL;
		errno = known ? 0 : ENOENT;
		return known ? arena_strdup(&c->ast, path) : NULL;
	}
	if (c->vfs_files) {
		char *p = join_clean(&c->ast, "/", path);
		return json_object_get(c->vfs_files, p) || json_object_get(c->vfs_hooks, p)
			       ? p : NULL;
	}
	char tmp[PATH_MAX];
	return realpath(path, tmp) ? arena_strdup(&c->ast, tmp) : NULL;
}

/* ---- files ---- */

static int find_file(dsl_ctx *c, const char *real)
{
	for (size_t i = 0; real && i < c->files.n; i++)
		if (c->files.v[i].real && strcmp(c->files.v[i].real, real) == 0)
			return (int)i;
	return -1;
}

static int add_file(dsl_ctx *c, const char *display, const char *real)
{
	dsl_file f;
	memset(&f, 0, sizeof f);
	f.display = arena_strdup(&c->ast, display);
	f.real = real;
	VEC_PUSH(&c->ast, c->files, f);
	return (int)c->files.n - 1;
}

/* A stored source, when recompiling a stored version. */
static char *vfs_read(dsl_ctx *c, const char *path, size_t *len)
{
	json_t *t = json_object_get(c->vfs_files, path);
	if (!t)
		t = json_object_get(c->vfs_hooks, path);
	if (!json_is_string(t)) {
		errno = ENOENT;
		return NULL;
	}
	*len = json_string_length(t);
	return arena_strndup(&c->ast, json_string_value(t), *len);
}

/* Reads `path` into the AST arena with a NUL after it; NULL + errno. */
static char *slurp(dsl_ctx *c, const char *path, size_t *len)
{
	if (c->vfs_files)
		return vfs_read(c, path, len);
	if (is_stdlib(path)) {
		const char *t = stdlib_text(path);
		if (!t) {
			errno = ENOENT;
			return NULL;
		}
		*len = strlen(t);
		return arena_strndup(&c->ast, t, *len);
	}
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	struct stat st;
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(fp);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return NULL;
	}
	if ((unsigned long long)st.st_size > MAX_FILE_BYTES) {
		fclose(fp);
		errno = EFBIG;
		return NULL;
	}
	char *text = arena_alloc(&c->ast, (size_t)st.st_size + 1);
	size_t n = fread(text, 1, (size_t)st.st_size, fp);
	int err = ferror(fp);
	fclose(fp);
	if (err) {
		errno = EIO;
		return NULL;
	}
	text[n] = 0;
	*len = n;
	return text;
}

static void load_file(dsl_ctx *c, const char *path, const char *display,
		      const ast_use *from, int depth);

static void load_uses(dsl_ctx *c, int file, ast_uses uses, int depth)
{
	const char *path = c->files.v[file].real;
	const char *display = c->files.v[file].display;
	for (size_t i = 0; i < uses.n; i++) {
		const ast_use *u = &uses.v[i];
		char *p, *d;
		if (!u->path[0]) {
			diag_at(c, u->loc, "E020", "write the file's name: use \"common.rules\"",
				"'use' needs the name of a rule file");
			continue;
		}
		if (strncmp(u->path, "stdlib/", 7) == 0) {
			p = arena_printf(&c->ast, STDLIB_PREFIX "%s", u->path + 7);
			d = arena_strdup(&c->ast, u->path);
		} else {
			p = join_clean(&c->ast, path ? path : display, u->path);
			d = join_clean(&c->ast, display, u->path);
		}
		load_file(c, p, d, u, depth + 1);
	}
}

static void report_cycle(dsl_ctx *c, const ast_use *from, int target)
{
	buf b;
	buf_init_arena(&b, &c->ast);
	/* the chain is the files still loading, from target onwards */
	int on = 0;
	for (size_t i = 0; i < c->files.n; i++) {
		if ((int)i == target)
			on = 1;
		if (on && c->files.v[i].loading)
			buf_printf(&b, "%s → ", c->files.v[i].display);
	}
	buf_puts(&b, c->files.v[target].display);
	char *chain = arena_strdup(&c->ast, b.p);
	buf_free(&b);
	diag_at(c, from->loc, "E021",
		"move the shared declarations into a file that both can use",
		"these files use each other in a cycle: %s", chain);
}

static void load_file(dsl_ctx *c, const char *path, const char *display,
		      const ast_use *from, int depth)
{
	char *real = canonical(c, path);
	int have = find_file(c, real);
	if (have >= 0) {
		if (c->files.v[have].loading && from)
			report_cycle(c, from, have);
		return;
	}
	if (depth > MAX_USE_DEPTH) {
		diag_at(c, from->loc, "E021", "flatten the chain of 'use': a file should use the files it needs directly",
			"'use' goes more than %d files deep", MAX_USE_DEPTH);
		return;
	}
	size_t len = 0;
	char *text = real ? slurp(c, real, &len) : NULL;
	if (!text) {
		const char *why = strerror(errno ? errno : ENOENT);
		if (from) {
			diag_at(c, from->loc, "E020", strncmp(from->path, "stdlib/", 7) == 0
				? stdlib_names(c) : "the path is relative to the file that says 'use'",
				"cannot read \"%s\": %s", from->path, why);
		} else {
			int f = add_file(c, display, NULL);
			dsl_loc l = loc_file(f);
			l.first_line = l.last_line = 0;
			diag_at(c, l, "E020", "check the path: rule files end in .rules",
				"cannot read this file: %s", why);
			c->io_error = 1;
		}
		return;
	}
	int f = add_file(c, display, real);
	c->files.v[f].text = text;
	c->files.v[f].len = len;
	c->files.v[f].loading = 1;
	if (!from)
		VEC_PUSH(&c->ast, c->roots, f);
	ast_uses uses = dsl_parse_file(c, f);
	load_uses(c, f, uses, depth);
	c->files.v[f].loading = 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every *.rules file in dir and below; returns how many there are,
 * or -1 when dir cannot be read (errno says why). */
static int load_dir(dsl_ctx *c, const char *dir, const char *display)
{
	int found = 0;
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	VEC(char *) names = {0};
	struct dirent *e;
	c->open_dir = d;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			VEC_PUSH(&c->ast, names, arena_strdup(&c->ast, e->d_name));
	c->open_dir = NULL;
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof *names.v, by_name);
	for (size_t i = 0; i < names.n; i++) {
		char *p = arena_printf(&c->ast, "%s/%s", dir, names.v[i]);
		char *shown = arena_printf(&c->ast, "%s%s%s", display,
					   display[strlen(display) - 1] == '/' ? "" : "/",
					   names.v[i]);
		struct stat st;
		if (stat(p, &st) != 0)
			continue;
		int below;
		if (S_ISDIR(st.st_mode) && (below = load_dir(c, p, shown)) > 0)
			found += below;
		else if (!S_ISDIR(st.st_mode) && strlen(names.v[i]) > 6 &&
			 strcmp(names.v[i] + strlen(names.v[i]) - 6, ".rules") == 0) {
			load_file(c, p, shown, NULL, 0);
			found++;
		}
	}
	return found;
}

/* A path given that is no rule base: a directory with no *.rules file in
 * it or below it, or one that cannot be read.  It would compile to a rule
 * base of nothing, "ok: 0 items", as if a mistyped path were a rule base. */
static void no_rule_base(dsl_ctx *c, const char *display, int found)
{
	int f = add_file(c, display, NULL);
	dsl_loc l = loc_file(f);
	l.first_line = l.last_line = 0;
	if (found < 0)
		diag_at(c, l, "E020", "check the path: a directory given is searched for *.rules "
			"files", "cannot read this directory: %s", strerror(errno ? errno : EACCES));
	else
		diag_at(c, l, "E020", "check the path: a directory given is searched for files "
			"ending in .rules, in it and below it", "no .rules files in this directory");
	c->io_error = 1;
}

void dsl_load_path(dsl_ctx *c, const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = 0;
		int found = load_dir(c, path, path);
		if (found <= 0)
			no_rule_base(c, path, found);
	} else
		load_file(c, path, path, NULL, 0);
}

void dsl_load_text(dsl_ctx *c, const char *name, const char *text, size_t len)
{
	char *copy = arena_alloc(&c->ast, len + 1);
	memcpy(copy, text, len);
	copy[len] = 0;
	char *real = canonical(c, name);
	int f = add_file(c, name, real ? real : NULL);
	c->files.v[f].text = copy;
	c->files.v[f].len = len;
	c->files.v[f].loading = 1;
	VEC_PUSH(&c->ast, c->roots, f);
	ast_uses uses = dsl_parse_file(c, f);
	load_uses(c, f, uses, 0);
	c->files.v[f].loading = 0;
}

static int hash_lua(dsl_ctx *c, char *p, const char *rel);

/* The *.lua files beside a hook, which it may `require`: part of the
 * version too, so an old case keeps the modules it started with. */
static void hash_siblings(dsl_ctx *c, const char *hook)
{
	size_t dl = dir_len(hook);
	VEC(char *) names = {0};
	if (c->vfs_files) {
		const char *key;
		json_t *v;
		json_object_foreach(c->vfs_hooks, key, v)
			if (strncmp(key, hook, dl) == 0 && !strchr(key + dl, '/'))
				VEC_PUSH(&c->ast, names, arena_strdup(&c->ast, key + dl));
	} else {
		char *dir = arena_strndup(&c->ast, hook, dl ? dl : 1);
		DIR *d = opendir(dl ? dir : ".");
		struct dirent *e;
		c->open_dir = d;
		while (d && (e = readdir(d)))
			if (strlen(e->d_name) > 4 && !strcmp(e->d_name + strlen(e->d_name) - 4, ".lua"))
				VEC_PUSH(&c->ast, names, arena_strdup(&c->ast, e->d_name));
		c->open_dir = NULL;
		if (d)
			closedir(d);
	}
	if (names.n)
		qsort(names.v, names.n, sizeof *names.v, by_name);
	for (size_t i = 0; i < names.n; i++)
		hash_lua(c, arena_printf(&c->ast, "%.*s%s", (int)dl, hook, names.v[i]), names.v[i]);
}

int dsl_hash_file(dsl_ctx *c, int from_file, const char *rel, const char **real)
{
	const dsl_file *f = &c->files.v[from_file];
	char *p = join_clean(&c->ast, f->real ? f->real : f->display, rel);
	*real = p;
	int st = hash_lua(c, p, rel);
	if (st == 1)
		hash_siblings(c, p);
	return st;
}

/* Hashes and keeps one Lua file (once); 1, 0 missing, -1 not UTF-8. */
static int hash_lua(dsl_ctx *c, char *p, const char *rel)
{
	for (size_t i = 0; i < c->hooks.n; i++)
		if (strcmp(c->hooks.v[i].real, p) == 0)
			return 1; /* shared by several items: hashed once */
	size_t len;
	char *text = slurp(c, p, &len);
	if (!text)
		return 0;
	for (size_t i = 0; i < len;) {
		int n = utf8_seq_len((const unsigned char *)text + i, len - i);
		if (n == 0 || text[i] == 0)
			return -1;
		i += (size_t)n;
	}
	/* the path as written, not where the rule base happens to live */
	SHA256Update(&c->sha, (const unsigned char *)"\0hook", 5);
	SHA256Update(&c->sha, (const unsigned char *)rel, strlen(rel));
	SHA256Update(&c->sha, (const unsigned char *)text, len);
	dsl_file h;
	memset(&h, 0, sizeof h);
	h.real = p;
	h.display = rel;
	h.text = text;
	h.len = len;
	VEC_PUSH(&c->ast, c->hooks, h);
	return 1;
}

/* The sources as JSON, for the store: {"roots": [path, ...], "files":
 * {path: text}, "hooks": {path: text}}.  Built with an arena buffer (the
 * texts are valid UTF-8: the compile succeeded) so running out of memory
 * here leaks nothing. */
static const char *sources_json(dsl_ctx *c, arena *into)
{
	buf b;
	buf_init_arena(&b, &c->ast);
	buf_puts(&b, "{\"roots\":[");
	for (size_t i = 0; i < c->roots.n; i++) {
		const dsl_file *f = &c->files.v[c->roots.v[i]];
		buf_printf(&b, "%s\"", i ? "," : "");
		buf_json_str(&b, f->real ? f->real : f->display);
		buf_putc(&b, '"');
	}
	buf_puts(&b, "],\"files\":{");
	for (size_t i = 0; i < c->files.n; i++) {
		const dsl_file *f = &c->files.v[i];
		buf_printf(&b, "%s\"", i ? "," : "");
		buf_json_str(&b, f->real ? f->real : f->display);
		buf_puts(&b, "\":\"");
		buf_json_str(&b, f->text ? f->text : "");
		buf_putc(&b, '"');
	}
	buf_puts(&b, "},\"hooks\":{");
	for (size_t i = 0; i < c->hooks.n; i++) {
		buf_printf(&b, "%s\"", i ? "," : "");
		buf_json_str(&b, c->hooks.v[i].real);
		buf_puts(&b, "\":\"");
		buf_json_str(&b, c->hooks.v[i].text);
		buf_putc(&b, '"');
	}
	buf_puts(&b, "}}");
	return arena_strndup(into, b.p, b.len);
}

/* ---- entry points ---- */

typedef struct source {
	const char *const *paths;
	size_t npaths;
	const char *name, *text;
	size_t len;
	json_t *stored; /* a stored version's sources (ot_rules_sources) */
	scn_file **scenarios; /* a scenario file instead of rules: parse into */
	/* for scenarios: paths[0] is the name, and text, when given, the file */
} source;

const scn_expectation scn_expectations[] = {
	{"status", 1, 1, 1},   {"missing", 1, -1, 1}, {"shared", 1, -1, 1},
	{"reused", 1, -1, 1},  {"form_error", 1, -1, 1}, {"current", 1, -1, 1},
	{"due", 1, 3, 0},      {"trips", 1, 1, 0},     {"max_trips", 1, 1, 0},
	{"overdue", 1, -1, 0}, {"error", 1, 1, 0},     {"notice", 1, 1, 1},
	{"passed", 1, 2, 1},   {"extended", 1, 1, 0},  {"excluded", 1, 1, 0},
	/* `item ITEM`: the case is of ITEM; in a chain, `item ITEM STATUS`
	 * and `item ITEM shared|provided|reused|missing M ...` */
	{"item", 1, -1, 0},    {"note", 1, 1, 1},
	/* chains */
	{"stage", 1, -1, 0},   {"items", 1, -1, 0},
	{"from_chain", 1, -1, 1}, {"critical_days", 1, 1, 0},
	/* the time sweep: `warned yellow|red TARGET [NAME]` */
	{"warned", 2, 3, 1},
};
const size_t scn_n_expectations = OT_COUNTOF(scn_expectations);

static void check_word(dsl_ctx *c, ast_name n, const char *what,
		       const char *const *words, size_t count)
{
	for (size_t i = 0; n.s && i < count; i++)
		if (strcmp(words[i], n.s) == 0)
			return;
	if (!n.s)
		return;
	const char *best = chk_suggest(n.s, words, count);
	buf b;
	buf_init_arena(&b, &c->ast);
	for (size_t i = 0; i < count; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", words[i]);
	diag_at(c, n.loc, "E601", arena_printf(&c->ast, "%s is one of: %s", what, b.p),
		"'%s' is not a known %s%s%s%s", n.s, what, best ? " — did you mean '" : "",
		best ? best : "", best ? "'?" : "");
}

static void check_expect(dsl_ctx *c, const scn_stmt *s)
{
	const char *names[32];
	size_t n = 0;
	for (; n < scn_n_expectations; n++)
		names[n] = scn_expectations[n].name;
	const scn_expectation *x = NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s->a.s) == 0)
			x = &scn_expectations[i];
	if (!x) {
		check_word(c, s->a, "expectation", names, n);
		return;
	}
	int count = (int)s->args.n;
	if (count < x->min || (x->max >= 0 && count > x->max))
		diag_at(c, s->loc, "E602",
			strcmp(x->name, "due") == 0 ? "write `expect due [STEP] [legal|promised] DATE`"
			: strcmp(x->name, "warned") == 0 ? "write `expect warned yellow|red TARGET [NAME]`"
			: x->max == 1 ? "give exactly one value" : "give one value or more",
			"'expect %s' takes %s", x->name,
			x->max == 1 ? "one value" : x->max == 2 ? "one or two values" : "one value or more");
	if (s->negate && !x->negatable)
		diag_at(c, s->loc, "E602", "drop the 'not'", "'expect not %s' is not possible", x->name);
	if (!strcmp(x->name, "warned") && count >= 2) { /* the words the time sweep writes */
		ast_name level = {s->args.v[0].text, s->args.v[0].loc};
		ast_name target = {s->args.v[1].text, s->args.v[1].loc};
		check_word(c, level, "warning level", model_warn_level_names + WARN_YELLOW, 2);
		check_word(c, target, "deadline the time sweep warns of", model_warn_target_names,
			   WARN__COUNT);
	}
	if ((!strcmp(x->name, "error") || !strcmp(x->name, "notice") || !strcmp(x->name, "note")) &&
	    count == 1 &&
	    s->args.v[0].kind != SV_TEXT)
		diag_at(c, s->args.v[0].loc, "E602", "write the part of the message in quotes",
			"'expect %s' takes a text in quotes", x->name);
}

/* What the grammar cannot say: known words, and `rules` first. */
static void scn_check(dsl_ctx *c, const scn_file *f)
{
	static const char *const channels[] = {"online", "hall"};
	const char *const *actions = model_action_names, *const *methods = model_deliver_names;
	static const char *const kinds[] = {"person", "company"};
	for (size_t i = 0; i < f->scenarios.n; i++) {
		const scn_scenario *sc = &f->scenarios.v[i];
		int rules = 0;
		for (size_t j = 0; j < sc->stmts.n; j++) {
			const scn_stmt *s = &sc->stmts.v[j];
			if (s->kind == SS_RULES)
				rules = 1;
			else if (s->kind != SS_NOW && !rules) {
				diag_at(c, s->loc, "E603",
					"start the scenario with `rules \"PATH\"`: the rule base, relative to this file",
					"this scenario does not say which rules it runs on");
				rules = 1; /* once */
			}
			switch (s->kind) {
			case SS_SUBMIT:
				check_word(c, s->b, "way to apply", channels, 2);
				if (!s->applicant_kind.s)
					diag_at(c, s->loc, "E603",
						"add `applicant company \"CODE\" \"NAME\"` (or person)",
						"a submission needs an applicant");
				/* fall through */
			case SS_SUPPLEMENT:
				if (s->kind == SS_SUPPLEMENT && s->b.s)
					check_word(c, s->b, "way to apply", channels, 2);
				if (s->applicant_kind.s)
					check_word(c, s->applicant_kind, "kind of applicant", kinds, 2);
				break;
			case SS_ACT:
				check_word(c, s->b, "action", actions, 3);
				break;
			case SS_DELIVER:
				check_word(c, s->a, "delivery method", methods, 3);
				break;
			case SS_EXTEND: {
				static const char *const units[] = {"workdays", "workday"};
				check_word(c, s->dur.unit, "unit of an extension (the law counts it in working days)", units, 2);
				break;
			}
			case SS_PLEDGE_CHECK: {
				static const char *const results[] = {"kept", "untrue"};
				check_word(c, s->a, "result of a pledge check", results, 2);
				break;
			}
			case SS_PROCEDURE: {
				static const char *const ends[] = {"start", "end"};
				check_word(c, s->b, "procedure action", ends, 2);
				break;
			}
			case SS_EXPECT:
				check_expect(c, s);
				break;
			default:
				break;
			}
		}
	}
}

/* A scenario file: parsed into a scn_file that lives in the AST arena,
 * which is handed over to it when the file has no errors.  `given`: its
 * text, already in memory (len bytes); NULL: read the file at path. */
static scn_file *load_scenarios(dsl_ctx *c, const char *path, const char *given, size_t len)
{
	scn_file *f = arena_alloc(&c->ast, sizeof *f);
	f->path = arena_strdup(&c->ast, path);
	char *real = canonical(c, path);
	char *text = given ? arena_strndup(&c->ast, given, len) : real ? slurp(c, real, &len) : NULL;
	int file = add_file(c, path, real);
	if (!text) {
		dsl_loc l = loc_file(file);
		l.first_line = l.last_line = 0;
		diag_at(c, l, "E020", "check the path: scenario files end in .scenario",
			"cannot read this file: %s", strerror(errno ? errno : ENOENT));
		c->io_error = 1;
		return f;
	}
	c->files.v[file].text = text;
	c->files.v[file].len = len;
	f->text = text;
	dsl_parse_scenarios(c, file, f);
	scn_check(c, f);
	return f;
}

static ot_status compile(const source *src, const ot_compile_options *opt,
			 ot_rules **out, ot_diags **diags)
{
	ot_allocator al = ot_default_allocator;
	if (opt && opt->alloc) {
		al.fn = opt->alloc;
		al.ud = opt->alloc_ud;
	}
	if (out)
		*out = NULL;
	if (diags)
		*diags = NULL;
	if (!out || !diags)
		return OT_EINVAL;

	dsl_ctx *c = ot_mem_alloc(&al, sizeof *c);
	if (!c)
		return OT_ENOMEM;
	memset(c, 0, sizeof *c);
	arena_init(&c->ast, &al, &c->oom);
	buf_init(&c->scratch, &al, &c->oom);
	c->strict = opt ? opt->strict : 0;
	arena_init(&c->diag_mem, &al, &c->oom);

	if (setjmp(c->oom)) {
		if (c->open_dir)
			closedir(c->open_dir);
		json_decref(c->hook_sources);
		ot_rules_free(c->model);
		if (c->diags)
			ot_diags_free(c->diags);
		else
			arena_free(&c->diag_mem);
		buf_free(&c->scratch);
		arena_free(&c->ast);
		ot_mem_free(&al, c, sizeof *c);
		return OT_ENOMEM;
	}
	ot_diags *d = arena_alloc(&c->diag_mem, sizeof *d);
	d->mem = c->diag_mem; /* from here on the arena lives in d */
	c->diags = d;
	SHA256Init(&c->sha);

	if (src->scenarios) {
		scn_file *f = load_scenarios(c, src->paths[0], src->text, src->len);
		diags_sort(c->diags);
		*diags = c->diags;
		c->diags->mem.oom = NULL;
		ot_status st = c->io_error ? OT_EIO : c->diags->errors ? OT_ERULES : OT_OK;
		buf_free(&c->scratch);
		if (st == OT_OK) {
			c->ast.oom = NULL;
			f->mem = c->ast; /* the file now owns the arena it lives in */
			*src->scenarios = f;
		} else
			arena_free(&c->ast);
		ot_mem_free(&al, c, sizeof *c);
		return st;
	}
	if (src->stored) {
		size_t i;
		json_t *root;
		c->vfs_files = json_object_get(src->stored, "files");
		c->vfs_hooks = json_object_get(src->stored, "hooks");
		json_array_foreach(json_object_get(src->stored, "roots"), i, root)
			if (json_is_string(root))
				load_file(c, json_string_value(root), json_string_value(root), NULL, 0);
	}
	if (src->text)
		dsl_load_text(c, src->name, src->text, src->len);
	for (size_t i = 0; i < src->npaths; i++)
		dsl_load_path(c, src->paths[i]);

	m_model *m = chk_build(c, &al);
	if (m)
		m->sources = sources_json(c, &m->mem);
	diags_sort(c->diags);
	int io = c->io_error;
	*diags = c->diags;
	/* the diagnostics now belong to the caller: plain failure from here */
	c->diags->mem.oom = NULL;
	buf_free(&c->scratch);
	arena_free(&c->ast);
	ot_mem_free(&al, c, sizeof *c);
	if (io) {
		if (m)
			ot_rules_free(m);
		return OT_EIO;
	}
	if (!m)
		return OT_ERULES;
	m->mem.oom = NULL;
	*out = m;
	return OT_OK;
}

ot_status ot_rules_compile(const char *const *paths, size_t npaths,
			   const ot_compile_options *opt, ot_rules **out,
			   ot_diags **diags)
{
	source s = {paths, npaths, NULL, NULL, 0, NULL, NULL};
	if (!paths && npaths)
		return OT_EINVAL;
	return compile(&s, opt, out, diags);
}

ot_status ot_rules_compile_text(const char *name, const char *text, size_t len,
				const ot_compile_options *opt, ot_rules **out,
				ot_diags **diags)
{
	source s = {NULL, 0, name ? name : "<input>", text, len, NULL, NULL};
	if (!text)
		return OT_EINVAL;
	return compile(&s, opt, out, diags);
}

ot_status ot_rules_compile_sources(const char *sources,
				   const ot_compile_options *opt, ot_rules **out,
				   ot_diags **diags)
{
	source s = {NULL, 0, NULL, NULL, 0, NULL, NULL};
	if (out)
		*out = NULL;
	if (diags)
		*diags = NULL;
	if (!sources || !out || !diags)
		return OT_EINVAL;
	s.stored = json_loads(sources, 0, NULL);
	if (!json_is_object(s.stored)) {
		json_decref(s.stored);
		return OT_EINVAL;
	}
	ot_status st = compile(&s, opt, out, diags);
	json_decref(s.stored);
	return st;
}

ot_status scn_load(const char *path, scn_file **out, ot_diags **diags)
{
	ot_rules *unused = NULL;
	source s = {&path, 1, NULL, NULL, 0, NULL, out};
	if (!path || !out || !diags)
		return OT_EINVAL;
	*out = NULL;
	return compile(&s, NULL, &unused, diags);
}

ot_status scn_load_text(const char *path, const char *text, size_t len, scn_file **out,
			ot_diags **diags)
{
	ot_rules *unused = NULL;
	source s = {&path, 1, NULL, text, len, NULL, out};
	if (!path || !text || !out || !diags)
		return OT_EINVAL;
	*out = NULL;
	return compile(&s, NULL, &unused, diags);
}

void scn_free(scn_file *f)
{
	if (f) {
		arena a = f->mem; /* f lives inside its own arena */
		arena_free(&a);
	}
}

const char *ot_status_name(ot_status s)
{
	switch (s) {
	case OT_OK: return "ok";
	case OT_ERULES: return "the rule base has errors";
	case OT_EIO: return "cannot read input";
	case OT_ENOMEM: return "out of memory";
	case OT_EINVAL: return "invalid request";
	case OT_ENOTFOUND: return "not found";
	case OT_ESTATE: return "not possible in this state";
	case OT_EACTOR: return "not allowed for this actor";
	case OT_ESTORE: return "store error";
	case OT_EHOOK: return "a hook failed";
	}
	return "unknown status";
}
