/*
 * test.c -- `onetrip test PATH...`: runs scenario files against their rule
 * bases and reports, per scenario, what was expected and what was found;
 * with --coverage, which steps, flow lines and material conditions the
 * scenarios never exercised.
 *
 * Each scenario runs on a fresh engine with a store in memory (the test
 * suite's run on PostgreSQL: a new schema, scenario_store), so
 * scenarios are independent and may run in any order or in parallel
 * (--jobs); results are printed in file order whatever the order they
 * finish in.  Requests go through the public API as JSON, exactly as an
 * intake system would send them.
 */
#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "onetrip.h"
#include "scenario.h"

int cmd_test(int argc, char **argv);
void cli_errorf(const char *fmt, ...); /* onetrip.c: stderr, ID numbers masked */

static const char usage[] =
	"usage: onetrip test [OPTIONS] PATH...\n"
	"\n"
	"Runs every *.scenario file under the paths; prints one line per scenario\n"
	"and, for a failure, the statement's place, what was expected and what was\n"
	"found.  The last line is \"N passed, N failed\".\n"
	"\n"
	"  --filter TEXT        only scenarios whose name contains TEXT\n"
	"  --jobs N             run N scenarios at a time (output order is fixed)\n"
	"  --junit FILE         also write JUnit XML\n"
	"  --coverage           print which steps, flow lines and conditions ran\n"
	"  --coverage-min P     fail unless at least P% of the branches ran\n"
	"  --coverage-json FILE write the coverage as JSON\n"
	"\n"
	"exit status: 0 all passed, 1 a scenario failed (or coverage is short),\n"
	"             2 usage error or a scenario file that cannot be read\n";

/* ---- collecting files ---- */

typedef struct strs {
	char **v;
	size_t n, cap;
} strs;

static void push(strs *s, char *p)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = realloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n++] = p;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void find_scenarios(const char *path, strs *out)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		push(out, strdup(path));
		return;
	}
	DIR *d = opendir(path);
	struct dirent *e;
	strs names = {0};
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			push(&names, strdup(e->d_name));
	if (d)
		closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof *names.v, by_name);
	for (size_t i = 0; i < names.n; i++) {
		char *p = malloc(strlen(path) + strlen(names.v[i]) + 2);
		sprintf(p, "%s/%s", path, names.v[i]);
		size_t len = strlen(p);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			find_scenarios(p, out);
		else if (len > 9 && strcmp(p + len - 9, ".scenario") == 0) {
			push(out, p);
			p = NULL;
		}
		free(p);
		free(names.v[i]);
	}
	free(names.v);
}

/* ---- one scenario ---- */

typedef struct result {
	int passed, ran;
	char *report;   /* the failure details (malloc), or NULL */
	double seconds;
	json_t *cov;    /* {hash: {"describe": ..., "items": {item: {...}}}} */
} result;

typedef struct run {
	const scn_file *f;
	const scn_scenario *sc;
	ot_engine *e;
	char now[48];
	char id[32];
	int chain;      /* id is a chain case: expectations see the chain */
	json_t *last;   /* the case as the last operation left it */
	json_t *cov;
	FILE *out;      /* failure details */
	char *out_text;
	size_t out_len;
	int failed;
	/* a statement that failed; fine only if `expect error` follows */
	ot_error pending;
	const scn_stmt *pending_stmt;
	char item_note[160]; /* chain_item's status of an item opened as another version */
} run;

static const char *S(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* The source line of a statement, for the report. */
static void quote(run *r, const scn_stmt *s)
{
	const char *p = r->f->text;
	for (int line = 1; p && *p && line < s->loc.first_line; p++)
		if (*p == '\n')
			line++;
	const char *e = p ? strchr(p, '\n') : NULL;
	while (p && *p == ' ')
		p++;
	fprintf(r->out, "  %s:%d:%d: %.*s\n", r->f->path, s->loc.first_line, s->loc.first_column,
		p ? (int)(e ? e - p : (long)strlen(p)) : 0, p ? p : "");
}

static void failf(run *r, const scn_stmt *s, const char *fmt, ...)
{
	va_list ap;
	r->failed = 1;
	quote(r, s);
	fprintf(r->out, "      ");
	va_start(ap, fmt);
	vfprintf(r->out, fmt, ap);
	va_end(ap);
	fprintf(r->out, "\n");
}

/* ---- coverage ---- */

/* The rule set a scenario runs on counts whole, exercised or not. */
static json_t *cov_rules(run *r, const char *hash)
{
	json_t *h = json_object_get(r->cov, hash);
	if (!h) {
		char *d = ot_rules_describe(ot_engine_rules(r->e));
		json_t *desc = d ? json_loads(d, 0, NULL) : json_object();
		free(d);
		/* only the version the engine runs now is described here; a case
		 * pinned to an older one is counted under its own hash */
		if (strcmp(S(desc, "hash"), hash) != 0) {
			json_decref(desc);
			desc = json_object();
		}
		h = json_pack("{s:o, s:o}", "describe", desc, "items", json_object());
		json_object_set_new(r->cov, hash, h);
	}
	return h;
}

static json_t *cov_item(run *r, const char *item)
{
	json_t *items = json_object_get(cov_rules(r, S(r->last, "rules")), "items");
	json_t *it = json_object_get(items, item);
	if (!it) {
		it = json_pack("{s:o, s:o, s:o, s:o, s:o}", "steps", json_object(), "rules",
			       json_object(), "conditions", json_object(), "hooks", json_object(),
			       "law", json_object());
		json_object_set_new(items, item, it);
	}
	return it;
}

static void cov_chain(run *r);

static void cov_record(run *r)
{
	if (json_object_get(r->last, "stages")) {
		cov_chain(r);
		return;
	}
	json_t *it = cov_item(r, S(r->last, "item"));
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(r->last, "steps"), i, v)
		if (strcmp(S(v, "state"), "waiting") != 0)
			json_object_set_new(json_object_get(it, "steps"), S(v, "step"), json_true());
	json_array_foreach(json_object_get(r->last, "taken"), i, v) {
		char k[16];
		snprintf(k, sizeof k, "%lld", (long long)json_integer_value(v));
		json_object_set_new(json_object_get(it, "rules"), k, json_true());
	}
	json_array_foreach(json_object_get(r->last, "hooks_called"), i, v)
		json_object_set_new(json_object_get(it, "hooks"), json_string_value(v), json_true());
	/* time as the law counts it: procedures run, acceptance decided both
	 * ways, an extension, each department a routed step went to */
	json_t *law = json_object_get(it, "law");
	char key[300];
	json_array_foreach(json_object_get(r->last, "procedures"), i, v) {
		snprintf(key, sizeof key, "procedure %s", S(v, "procedure"));
		json_object_set_new(law, key, json_true());
	}
	if (json_is_string(json_object_get(r->last, "accepted_at")))
		json_object_set_new(law, "acceptance accepted", json_true());
	if (!strcmp(S(r->last, "status"), "refused"))
		json_object_set_new(law, "acceptance refused", json_true());
	if (json_integer_value(json_object_get(r->last, "extended")) > 0)
		json_object_set_new(law, "extension", json_true());
	if (json_is_string(json_object_get(r->last, "pledge_checked_at")))
		json_object_set_new(law, "pledge kept", json_true());
	if (!strcmp(S(r->last, "status"), "revoked"))
		json_object_set_new(law, "pledge untrue", json_true());
	json_array_foreach(json_object_get(r->last, "steps"), i, v)
		if (strcmp(S(v, "state"), "waiting") != 0 && json_is_string(json_object_get(v, "department"))) {
			snprintf(key, sizeof key, "route %s to %s", S(v, "step"), S(v, "department"));
			json_object_set_new(law, key, json_true());
		}
	json_array_foreach(json_object_get(json_object_get(r->last, "notice"), "materials"), i, v) {
		const char *reason = S(v, "reason");
		int held = strncmp(reason, "required because", 16) == 0;
		if (!held && strncmp(reason, "not required:", 13) != 0)
			continue; /* not a condition */
		char k[160];
		snprintf(k, sizeof k, "%s:%s", S(v, "material"), held ? "true" : "false");
		json_object_set_new(json_object_get(it, "conditions"), k, json_true());
	}
}

/* A chain case: its stages that started, and every item case it opened,
 * each counted as an item case is (steps, flow lines, conditions). */
static void cov_chain(run *r)
{
	json_t *rules = cov_rules(r, S(r->last, "rules"));
	json_t *chains = json_object_get(rules, "chains");
	if (!chains) {
		chains = json_object();
		json_object_set_new(rules, "chains", chains);
	}
	json_t *ch = json_object_get(chains, S(r->last, "chain"));
	if (!ch) {
		ch = json_object();
		json_object_set_new(chains, S(r->last, "chain"), ch);
	}
	json_t *chain = r->last, *st, *it; /* r->last's, lent to each item case's */
	size_t i, k;
	json_array_foreach(json_object_get(chain, "stages"), i, st) {
		if (strcmp(S(st, "state"), "waiting") != 0)
			json_object_set_new(ch, S(st, "stage"), json_true());
		json_array_foreach(json_object_get(st, "items"), k, it) {
			char req[128], *resp = NULL;
			ot_error err;
			if (!json_is_string(json_object_get(it, "case")))
				continue;
			snprintf(req, sizeof req, "{\"case\":\"%s\"}", S(it, "case"));
			if (ot_call(r->e, "show", req, &resp, &err) != OT_OK)
				continue;
			r->last = json_loads(resp, 0, NULL);
			free(resp);
			cov_record(r);
			json_decref(r->last);
		}
	}
	r->last = chain;
}

/* ---- operations ---- */

static json_t *value_json(const scn_value *v)
{
	char num[32];
	switch (v->kind) {
	case SV_TEXT: case SV_DATE: case SV_TIME:
		return json_string(v->text);
	case SV_BOOL:
		return json_boolean(v->b);
	case SV_ROWS: {
		json_t *rows = json_array();
		for (size_t i = 0; v->rows && i < v->rows->v.n; i++) {
			json_t *row = json_object();
			for (size_t k = 0; k < v->rows->v.v[i].fields.n; k++)
				json_object_set_new(row, v->rows->v.v[i].fields.v[k].name.s,
						    value_json(&v->rows->v.v[i].fields.v[k].v));
			json_array_append_new(rows, row);
		}
		return rows;
	}
	case SV_NAME:
		return strcmp(v->text, "null") == 0 ? json_null() : json_string(v->text);
	case SV_NUM:
		if (v->num.scale == 0)
			return json_integer(v->num.units);
		snprintf(num, sizeof num, "%lld", (long long)v->num.units);
		{
			double d = (double)v->num.units;
			for (int i = 0; i < v->num.scale; i++)
				d /= 10;
			return json_real(d);
		}
	}
	return json_null();
}

static json_t *application(const scn_stmt *s)
{
	json_t *o = json_object();
	if (s->applicant_kind.s)
		json_object_set_new(o, "applicant", json_pack("{s:s, s:s?, s:s?}", "kind",
			s->applicant_kind.s, "id", s->applicant_id, "name", s->applicant_name));
	if (s->has_form) {
		json_t *form = json_object();
		for (size_t i = 0; i < s->form.n; i++)
			json_object_set_new(form, s->form.v[i].name.s, value_json(&s->form.v[i].v));
		json_object_set_new(o, "form", form);
	}
	if (s->provide.n) {
		json_t *m = json_array();
		for (size_t i = 0; i < s->provide.n; i++)
			json_array_append_new(m, json_string(s->provide.v[i].s));
		json_object_set_new(o, "materials", m);
	}
	return o;
}

static void rules_path(const run *r, const char *rel, char *out, size_t cap)
{
	const char *slash = strrchr(r->f->path, '/');
	if (rel[0] == '/' || !slash)
		snprintf(out, cap, "%s", rel);
	else
		snprintf(out, cap, "%.*s/%s", (int)(slash - r->f->path), r->f->path, rel);
}

/* Runs an operation; returns 1 if it succeeded (r->last updated). */
static int operate(run *r, const scn_stmt *s, const char *op, json_t *req)
{
	if (s->at.text)
		snprintf(r->now, sizeof r->now, "%s", s->at.text);
	if (r->id[0] && !json_object_get(req, "case"))
		json_object_set_new(req, "case", json_string(r->id));
	json_object_set_new(req, "now", json_string(r->now));
	char *text = json_dumps(req, 0), *resp = NULL;
	json_decref(req);
	ot_status st = ot_call(r->e, op, text, &resp, &r->pending);
	free(text);
	if (st != OT_OK) {
		r->pending_stmt = s;
		return 0;
	}
	json_decref(r->last);
	r->last = json_loads(resp, 0, NULL);
	free(resp);
	if (!r->id[0]) {
		snprintf(r->id, sizeof r->id, "%s", S(r->last, "id"));
		r->chain = json_object_get(r->last, "stages") != NULL;
	}
	if (r->chain && strcmp(S(r->last, "id"), r->id) != 0) {
		/* an item case of the chain moved: the scenario goes on with
		 * the chain as it now is */
		cov_record(r);
		char show[128], *chain = NULL;
		ot_error err;
		snprintf(show, sizeof show, "{\"case\":\"%s\"}", r->id);
		if (ot_call(r->e, "show", show, &chain, &err) == OT_OK) {
			json_decref(r->last);
			r->last = json_loads(chain, 0, NULL);
			free(chain);
		}
	}
	cov_record(r);
	return 1;
}

/* The case of item `item` in the chain being run ("" when it has none
 * open yet); its current state in the chain.  An item case is of the
 * version in force when the chain opened it, and is named so: the name
 * the stage lists, when another version was opened, says which. */
static const char *chain_item(run *r, const char *item, const char **status)
{
	size_t i, k;
	json_t *st, *it;
	*status = "not in the chain";
	json_array_foreach(json_object_get(r->last, "stages"), i, st)
		json_array_foreach(json_object_get(st, "items"), k, it) {
			if (strcmp(S(it, "item"), item) == 0) {
				*status = json_is_true(json_object_get(it, "not_needed")) ? "not_needed"
									       : S(it, "status");
				return S(it, "case");
			}
			if (strcmp(S(it, "listed_as"), item) == 0) {
				snprintf(r->item_note, sizeof r->item_note, "opened as %s, the version "
					 "in force that day", S(it, "item"));
				*status = r->item_note;
			}
		}
	return "";
}

/* Runs op on the item case of s->item in the chain case being run. */
static void item_op(run *r, const scn_stmt *s, const char *op, json_t *req)
{
	const char *status, *id = r->chain ? chain_item(r, s->item.s, &status) : "";
	if (!id[0]) {
		json_decref(req);
		snprintf(r->pending.message, sizeof r->pending.message, "%s%s has no item case '%s' "
			 "open: %s", r->chain ? "the chain case " : "the case is not a chain case",
			 r->chain ? r->id : "", s->item.s, r->chain ? status : "");
		r->pending.status = OT_ENOTFOUND;
		r->pending_stmt = s;
		return;
	}
	json_object_set_new(req, "case", json_string(id));
	operate(r, s, op, req);
}

/* The store of a scenario: a new one in memory; or, for the test suite's
 * run on PostgreSQL (OT_TEST_STORE=postgresql, OT_TEST_PG the database's
 * URI), a new schema of that database. */
static const char *scenario_store(char *out, size_t cap)
{
	static atomic_uint n;
	const char *backend = getenv("OT_TEST_STORE"), *pg = getenv("OT_TEST_PG");
	if (!backend || strcmp(backend, "postgresql") != 0 || !pg)
		return ":memory:";
	snprintf(out, cap, "%s%cschema=scn%ld_%u", pg, strchr(pg, '?') ? '&' : '?',
		 (long)getpid(), atomic_fetch_add(&n, 1));
	return out;
}

/* `sweep [at TIME]`: the time sweep of the whole store at the scenario's
 * time, batch after batch; then the case as it now is, for `expect warned`. */
static void sweep(run *r, const scn_stmt *s)
{
	if (s->at.text)
		snprintf(r->now, sizeof r->now, "%s", s->at.text);
	char req[96];
	snprintf(req, sizeof req, "{\"now\":\"%s\"}", r->now);
	for (int more = 1, rounds = 0; more && rounds < 1000; rounds++) {
		char *resp = NULL;
		if (ot_call(r->e, "sweep", req, &resp, &r->pending) != OT_OK) {
			r->pending_stmt = s;
			return;
		}
		json_t *a = json_loads(resp, 0, NULL);
		more = json_is_true(json_object_get(a, "more"));
		json_decref(a);
		free(resp);
	}
	char show[128], *resp = NULL;
	ot_error err;
	snprintf(show, sizeof show, "{\"case\":\"%s\"}", r->id);
	if (r->id[0] && ot_call(r->e, "show", show, &resp, &err) == OT_OK) {
		json_decref(r->last);
		r->last = json_loads(resp, 0, NULL);
		free(resp);
	}
}

static void statement(run *r, const scn_stmt *s)
{
	json_t *req;
	switch (s->kind) {
	case SS_RULES: {
		char path[4096];
		ot_error err;
		rules_path(r, s->text, path, sizeof path);
		ot_engine_close(r->e);
		r->e = NULL;
		char store[1024];
		if (ot_engine_open(path, scenario_store(store, sizeof store), &r->e, &err) != OT_OK) {
			r->pending = err;
			r->pending_stmt = s;
		} else
			cov_rules(r, ot_rules_hash(ot_engine_rules(r->e)));
		return;
	}
	case SS_NOW:
		snprintf(r->now, sizeof r->now, "%s", s->at.text);
		return;
	case SS_SUBMIT: {
		/* a second submit starts the applicant's next case; the one
		 * before stays in the store with what it issued */
		r->id[0] = 0;
		r->chain = 0;
		req = application(s);
		json_t *desc = json_object_get(cov_rules(r, ot_rules_hash(ot_engine_rules(r->e))),
					       "describe");
		int is_chain = 0;
		size_t i;
		json_t *ch;
		json_array_foreach(json_object_get(desc, "chains"), i, ch)
			is_chain |= strcmp(S(ch, "name"), s->a.s) == 0;
		json_object_set_new(req, is_chain ? "chain" : "item", json_string(s->a.s));
		json_object_set_new(req, "channel", json_string(s->b.s));
		operate(r, s, "submit", req);
		return;
	}
	case SS_SUPPLEMENT:
		req = application(s);
		if (s->b.s)
			json_object_set_new(req, "channel", json_string(s->b.s));
		operate(r, s, "supplement", req);
		return;
	case SS_ACT: {
		char actor[256];
		snprintf(actor, sizeof actor, "%s%s%s", s->by.a.s, s->by.b.s ? "." : "",
			 s->by.b.s ? s->by.b.s : "");
		req = json_pack("{s:s, s:s, s:s}", "step", s->a.s, "action", s->b.s, "actor", actor);
		if (s->text)
			json_object_set_new(req, "reason", json_string(s->text));
		if (s->item.s)
			item_op(r, s, "act", req);
		else
			operate(r, s, "act", req);
		return;
	}
	case SS_SUSPEND:
		operate(r, s, "suspend", json_pack("{s:s}", "reason", s->text));
		return;
	case SS_RESUME:
		operate(r, s, "resume", json_object());
		return;
	case SS_DELIVER:
		if (s->item.s)
			item_op(r, s, "deliver", json_pack("{s:s}", "method", s->a.s));
		else
			operate(r, s, "deliver", json_pack("{s:s}", "method", s->a.s));
		return;
	case SS_WITHDRAW:
		operate(r, s, "withdraw", json_object());
		return;
	case SS_ACCEPT:
	case SS_REFUSE: {
		char actor[256];
		snprintf(actor, sizeof actor, "%s%s%s", s->by.a.s, s->by.b.s ? "." : "",
			 s->by.b.s ? s->by.b.s : "");
		req = json_pack("{s:s}", "actor", actor);
		if (s->kind == SS_REFUSE) {
			json_object_set_new(req, "reasons", json_string(s->text));
			json_object_set_new(req, "remedy", json_string(s->text2));
		}
		operate(r, s, s->kind == SS_ACCEPT ? "accept" : "refuse", req);
		return;
	}
	case SS_PLEDGE_CHECK: {
		char actor[256];
		snprintf(actor, sizeof actor, "%s%s%s", s->by.a.s, s->by.b.s ? "." : "",
			 s->by.b.s ? s->by.b.s : "");
		req = json_pack("{s:s, s:s}", "result", s->a.s, "actor", actor);
		if (s->text)
			json_object_set_new(req, "reason", json_string(s->text));
		operate(r, s, "pledge_check", req);
		return;
	}
	case SS_EXTEND:
		operate(r, s, "extend", json_pack("{s:I, s:s, s:s}", "workdays", (json_int_t)s->dur.n,
						  "reason", s->text, "approver", s->text2));
		return;
	case SS_PROCEDURE:
		if (!strcmp(s->b.s, "start")) {
			operate(r, s, "procedure_start", json_pack("{s:s}", "procedure", s->a.s));
			return;
		}
		/* `procedure NAME end`: the engine checks NAME is the one running */
		operate(r, s, "procedure_end", json_pack("{s:s}", "procedure", s->a.s));
		return;
	case SS_SWEEP:
		sweep(r, s);
		return;
	case SS_EXPECT:
		return; /* see expect() */
	}
}

/* ---- expectations ---- */

static void list_text(json_t *set, char *out, size_t cap)
{
	const char *key;
	json_t *v;
	size_t n = 0;
	out[0] = 0;
	json_object_foreach(set, key, v)
		n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", n ? ", " : "", key);
	if (!out[0])
		snprintf(out, cap, "none");
}

static json_t *names_set(json_t *arr, const char *key)
{
	json_t *set = json_object();
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		json_object_set_new(set, key ? S(v, key) : json_string_value(v), json_true());
	return set;
}

static json_t *args_set(const scn_stmt *s)
{
	json_t *set = json_object();
	for (size_t i = 0; i < s->args.n; i++)
		if (s->args.v[i].text && strcmp(s->args.v[i].text, "none") != 0)
			json_object_set_new(set, s->args.v[i].text, json_true());
	return set;
}

/* Compares an expected set with the set found; `exact` or only "these are
 * in it" (and with `negate`, "these are not in it").  Reports a diff. */
static void compare_sets(run *r, const scn_stmt *s, json_t *want, json_t *found, int exact)
{
	const char *key;
	json_t *v;
	char w[1024], f[1024];
	int bad = 0;
	list_text(want, w, sizeof w);
	list_text(found, f, sizeof f);
	if (s->negate) {
		json_object_foreach(want, key, v)
			if (json_object_get(found, key))
				bad = 1;
	} else if (exact || !json_object_size(want))
		bad = !json_equal(want, found);
	else
		json_object_foreach(want, key, v)
			if (!json_object_get(found, key))
				bad = 1;
	if (!bad)
		return;
	failf(r, s, "expected %s%s%s, found %s", s->negate ? "not " : "",
	      exact || !json_object_size(want) ? "" : "at least ", w, f);
	json_object_foreach(want, key, v)
		if (!s->negate && !json_object_get(found, key))
			fprintf(r->out, "        - %s (expected, not found)\n", key);
	json_object_foreach(found, key, v)
		if ((s->negate && json_object_get(want, key)) ||
		    (!s->negate && exact && !json_object_get(want, key)))
			fprintf(r->out, "        + %s (found%s)\n", key,
				s->negate ? ", expected not" : ", not expected");
}

static json_t *materials_with(json_t *c, const char *how)
{
	json_t *set = json_object();
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(c, "materials"), key, v)
		if (strcmp(json_string_value(v), how) == 0)
			json_object_set_new(set, key, json_true());
	return set;
}

static const char *arg(const scn_stmt *s, size_t i)
{
	if (i >= s->args.n)
		return "";
	static char num[32];
	if (s->args.v[i].kind == SV_NUM) {
		snprintf(num, sizeof num, "%lld", (long long)s->args.v[i].num.units);
		return num;
	}
	return s->args.v[i].text ? s->args.v[i].text : "";
}

static void expect_value(run *r, const scn_stmt *s, const char *what, const char *want,
			 const char *found)
{
	if (!strcmp(want, "none") && !found[0])
		return; /* `expect due none`: no due date yet */
	if (strcmp(want, found) != 0)
		failf(r, s, "expected %s %s, found %s", what, want, found[0] ? found : "none");
}

static void expect_overdue(run *r, const scn_stmt *s)
{
	char req[128], *resp = NULL;
	ot_error err;
	snprintf(req, sizeof req, "{\"now\":\"%s\"}", r->now);
	if (ot_call(r->e, "overdue", req, &resp, &err) != OT_OK) {
		failf(r, s, "overdue failed: %s", err.message);
		return;
	}
	json_t *o = json_loads(resp, 0, NULL), *found = json_object();
	free(resp);
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(o, "cases"), i, c)
		if (strcmp(S(c, "id"), r->id) == 0) {
			json_decref(found);
			found = json_object_get(c, "stages") /* a chain: its late stages */
				? names_set(json_object_get(c, "stages"), "stage")
				: names_set(json_object_get(c, "steps"), "step");
			if (!json_object_size(found) && json_is_true(json_object_get(c, "overdue")))
				json_object_set_new(found, "(the case)", json_true());
			/* `expect overdue acceptance`, `expect overdue special` (a special
			 * procedure past its maximum) */
			if (json_is_true(json_object_get(c, "acceptance_overdue")))
				json_object_set_new(found, "acceptance", json_true());
			if (json_object_get(c, "procedure_overdue"))
				json_object_set_new(found, "special", json_true());
			if (json_is_true(json_object_get(c, "pledge_check_overdue")))
				json_object_set_new(found, "pledge", json_true());
			/* a deferred material (容缺) past its deadline, by its name */
			size_t k;
			json_t *d;
			json_array_foreach(json_object_get(c, "deferred"), k, d)
				json_object_set_new(found, S(d, "material"), json_true());
		}
	json_t *want = args_set(s);
	compare_sets(r, s, want, found, 1);
	json_decref(want);
	json_decref(found);
	json_decref(o);
}

/* `expect note "TEXT"`: a hook's note (on_enter, on_exit) in the last
 * event of the case contains TEXT; `expect not note`: none does. */
static void expect_note(run *r, const scn_stmt *s)
{
	char req[128], *resp = NULL;
	ot_error err;
	snprintf(req, sizeof req, "{\"case\":\"%s\"}", r->id);
	if (ot_call(r->e, "show", req, &resp, &err) != OT_OK) {
		failf(r, s, "show failed: %s", err.message);
		return;
	}
	json_t *o = json_loads(resp, 0, NULL);
	free(resp);
	json_t *history = json_object_get(o, "history");
	json_t *notes = json_object_get(json_array_get(history, json_array_size(history) - 1), "notes");
	size_t i;
	json_t *n;
	int found = 0;
	json_array_foreach(notes, i, n)
		found |= strstr(S(n, "note"), arg(s, 0)) != NULL;
	if (found != !s->negate)
		failf(r, s, "expected %sa note of the last event containing \"%s\"%s", s->negate ? "no " : "",
		      arg(s, 0), json_array_size(notes) ? "; its notes:" : ", but it has none");
	if (found != !s->negate)
		json_array_foreach(notes, i, n)
			fprintf(r->out, "        %s\n", S(n, "note"));
	json_decref(o);
}

/* `expect warned yellow|red TARGET [NAME]`: the time sweep gave the case
 * that warning (TARGET: model_warn_target_names; NAME: the step,
 * material or procedure);
 * `expect not warned ...`: it did not. */
static void expect_warned(run *r, const scn_stmt *s, json_t *c)
{
	const char *name = s->args.n > 2 ? arg(s, 2) : NULL;
	size_t i;
	json_t *w;
	int found = 0;
	json_array_foreach(json_object_get(c, "warnings"), i, w) {
		const char *n = json_string_value(json_object_get(w, "step"));
		if (!n)
			n = json_string_value(json_object_get(w, "material"));
		if (!n)
			n = json_string_value(json_object_get(w, "procedure"));
		found |= !strcmp(S(w, "level"), arg(s, 0)) && !strcmp(S(w, "target"), arg(s, 1)) &&
			 (!name || (n && !strcmp(n, name)));
	}
	if (found == !s->negate)
		return;
	char had[512] = "";
	size_t n = 0;
	json_array_foreach(json_object_get(c, "warnings"), i, w) {
		const char *what = json_string_value(json_object_get(w, "step"));
		n += (size_t)snprintf(had + n, n < sizeof had ? sizeof had - n : 0, "%s%s %s%s%s",
				      n ? ", " : "", S(w, "level"), S(w, "target"), what ? " " : "",
				      what ? what : "");
	}
	failf(r, s, "expected %sa %s warning of %s%s%s; the case was warned: %s",
	      s->negate ? "no " : "", arg(s, 0), arg(s, 1), name ? " " : "", name ? name : "",
	      had[0] ? had : "nothing");
}

/* `expect passed promised [legal]`: which of the case's due dates the
 * overdue report says are passed (`expect not passed legal`). */
static void expect_passed(run *r, const scn_stmt *s)
{
	char req[128], *resp = NULL;
	ot_error err;
	snprintf(req, sizeof req, "{\"now\":\"%s\"}", r->now);
	if (ot_call(r->e, "overdue", req, &resp, &err) != OT_OK) {
		failf(r, s, "overdue failed: %s", err.message);
		return;
	}
	json_t *o = json_loads(resp, 0, NULL), *found = json_object();
	free(resp);
	size_t i, k;
	json_t *c, *p;
	json_array_foreach(json_object_get(o, "cases"), i, c)
		if (strcmp(S(c, "id"), r->id) == 0)
			json_array_foreach(json_object_get(c, "passed"), k, p)
				json_object_set_new(found, json_string_value(p), json_true());
	for (i = 0; i < s->args.n; i++) {
		int have = json_object_get(found, arg(s, i)) != NULL;
		if (have == s->negate)
			failf(r, s, "expected the %s due date %sto be passed on %s", arg(s, i),
			      s->negate ? "not " : "", r->now);
	}
	json_decref(found);
	json_decref(o);
}

/* `expect due [STEP] [legal|promised|acceptance] DATE` */
static void expect_due(run *r, const scn_stmt *s, json_t *c)
{
	static const char *const kinds[] = {"legal", "promised", "acceptance", "pledge"};
	static const char *const keys[] = {"legal_due", "promised_due", "acceptance_due",
					   "pledge_check_due"};
	size_t n = s->args.n, kind = 4;
	for (size_t k = 0; n >= 2 && k < 4; k++)
		if (!strcmp(arg(s, n - 2), kinds[k]))
			kind = k;
	size_t named = n - 1 - (kind < 4); /* 1: a step is named */
	const char *key = kind < 4 ? keys[kind] : "due";
	char label[160];
	snprintf(label, sizeof label, "%s%s%s", kind < 4 ? kinds[kind] : "", kind < 4 ? " " : "", "due");
	if (!named) {
		expect_value(r, s, label, arg(s, n - 1), S(c, key));
		return;
	}
	if (kind >= 2 && kind < 4 ? named : named > 1) {
		failf(r, s, "write: expect due [STEP] [legal|promised] DATE, or expect due "
		      "acceptance|pledge DATE");
		return;
	}
	size_t i;
	json_t *st;
	json_array_foreach(json_object_get(c, "steps"), i, st)
		if (!strcmp(S(st, "step"), arg(s, 0))) {
			snprintf(label, sizeof label, "%s %s%sdue", arg(s, 0),
				 kind < 4 ? kinds[kind] : "", kind < 4 ? " " : "");
			expect_value(r, s, label, arg(s, n - 1), S(st, key));
			return;
		}
	/* `expect due MATERIAL DATE`: a deferred material's deadline (容缺) */
	json_array_foreach(json_object_get(c, "deferred_due"), i, st)
		if (!strcmp(S(st, "material"), arg(s, 0)) && kind == 4) {
			snprintf(label, sizeof label, "deferred %s due", arg(s, 0));
			expect_value(r, s, label, arg(s, n - 1), S(st, "due"));
			return;
		}
	/* `expect due STAGE DATE`: a chain's stage, by its `within` */
	json_array_foreach(json_object_get(c, "stages"), i, st)
		if (!strcmp(S(st, "stage"), arg(s, 0)) && kind == 4) {
			snprintf(label, sizeof label, "stage %s due", arg(s, 0));
			expect_value(r, s, label, arg(s, n - 1), S(st, "due"));
			return;
		}
	failf(r, s, "the %s has no %s '%s', and no deferred material of that name is "
	      "outstanding", r->chain ? "chain" : "item", r->chain ? "stage" : "step", arg(s, 0));
}

/* `expect notice "TEXT"`: a line of the one-time notice contains TEXT. */
static void expect_notice(run *r, const scn_stmt *s, json_t *lines)
{
	size_t i;
	json_t *l;
	int found = 0;
	json_array_foreach(lines, i, l)
		found |= strstr(json_string_value(l), arg(s, 0)) != NULL;
	if (found != !s->negate)
		failf(r, s, "expected %sa notice line containing \"%s\"%s", s->negate ? "no " : "",
		      arg(s, 0), json_array_size(lines) ? "; the notice says:" : ", but the notice is empty");
	if (found != !s->negate)
		json_array_foreach(lines, i, l)
			fprintf(r->out, "        %s\n", json_string_value(l));
}

/* `expect item ITEM STATUS`, `expect item ITEM shared|missing M ...`,
 * `expect item ITEM due [legal|promised] DATE`: an item case of the chain. */
static void expect_item(run *r, const scn_stmt *s)
{
	const char *status, *id = chain_item(r, arg(s, 0), &status);
	if (s->args.n == 2) {
		char label[160];
		snprintf(label, sizeof label, "item %s", arg(s, 0));
		expect_value(r, s, label, arg(s, 1), status);
		return;
	}
	char req[128], *resp = NULL;
	ot_error err;
	snprintf(req, sizeof req, "{\"case\":\"%s\"}", id);
	if (!id[0] || ot_call(r->e, "show", req, &resp, &err) != OT_OK) {
		failf(r, s, "item %s has no case to look at (%s)", arg(s, 0), status);
		return;
	}
	json_t *c = json_loads(resp, 0, NULL), *want = json_object(), *found;
	free(resp);
	if (!strcmp(arg(s, 1), "due")) {
		/* the item case's own due dates, as `expect due` reads a case's */
		scn_stmt due = *s;
		due.args.v += 2;
		due.args.n -= 2;
		expect_due(r, &due, c);
		json_decref(want);
		json_decref(c);
		return;
	}
	for (size_t i = 2; i < s->args.n; i++)
		if (strcmp(arg(s, i), "none") != 0)
			json_object_set_new(want, arg(s, i), json_true());
	if (!strcmp(arg(s, 1), "missing"))
		found = names_set(json_object_get(json_object_get(c, "notice"), "missing"), NULL);
	else
		found = materials_with(c, arg(s, 1));
	compare_sets(r, s, want, found, 0);
	json_decref(want);
	json_decref(found);
	json_decref(c);
}

/* The expectations of a chain case. */
static void expect_chain(run *r, const scn_stmt *s, json_t *c)
{
	const char *what = s->a.s;
	if (!json_object_get(c, "stages")) {
		failf(r, s, "`expect %s` is for a chain case; this case is of item %s", what,
		      S(c, "item"));
		return;
	}
	json_t *want = args_set(s), *found = json_object();
	size_t i, k;
	json_t *st, *it;
	if (!strcmp(what, "stage")) {
		json_decref(found);
		found = names_set(json_object_get(c, "current"), "stage");
		compare_sets(r, s, want, found, 1);
	} else if (!strcmp(what, "items")) {
		json_array_foreach(json_object_get(c, "stages"), i, st)
			json_array_foreach(json_object_get(st, "items"), k, it)
				if (!strcmp(S(it, "status"), "in_progress") ||
				    !strcmp(S(it, "status"), "needs_supplement") ||
				    !strcmp(S(it, "status"), "returned") ||
				    !strcmp(S(it, "status"), "suspended"))
					json_object_set_new(found, S(it, "item"), json_true());
		compare_sets(r, s, want, found, 1);
	} else if (!strcmp(what, "item")) {
		expect_item(r, s);
	} else if (!strcmp(what, "from_chain")) {
		json_decref(found);
		found = names_set(json_object_get(json_object_get(c, "notice"), "from_chain"), NULL);
		compare_sets(r, s, want, found, 0);
	} else if (!strcmp(what, "critical_days")) {
		char num[32];
		snprintf(num, sizeof num, "%lld",
			 (long long)json_integer_value(json_object_get(c, "critical_days")));
		expect_value(r, s, "critical_days", arg(s, 0), num);
	}
	json_decref(want);
	json_decref(found);
}

static void expect(run *r, const scn_stmt *s)
{
	const char *what = s->a.s;
	json_t *c = r->last, *notice = json_object_get(c, "notice");
	char num[32];
	if (!c && strcmp(what, "max_trips") != 0) {
		failf(r, s, "there is no case yet to check: submit one first");
		return;
	}
	if (strcmp(what, "status") == 0) {
		int same = strcmp(arg(s, 0), S(c, "status")) == 0;
		if (same == s->negate)
			failf(r, s, "expected status %s%s, found %s", s->negate ? "not " : "",
			      arg(s, 0), S(c, "status"));
	} else if (!strcmp(what, "missing") || !strcmp(what, "form_error")) {
		json_t *found = !strcmp(what, "missing")
			? names_set(json_object_get(notice, "missing"), NULL)
			: names_set(json_object_get(notice, "form_errors"), "field");
		json_t *want = args_set(s);
		compare_sets(r, s, want, found, 0);
		json_decref(want);
		json_decref(found);
	} else if (!strcmp(what, "shared") || !strcmp(what, "reused")) {
		json_t *found = materials_with(c, what), *want = args_set(s);
		compare_sets(r, s, want, found, 0);
		json_decref(want);
		json_decref(found);
	} else if (!strcmp(what, "current")) {
		json_t *found = names_set(json_object_get(c, "current"), "step"), *want = args_set(s);
		compare_sets(r, s, want, found, 1);
		json_decref(want);
		json_decref(found);
	} else if (!strcmp(what, "due")) {
		expect_due(r, s, c);
	} else if (!strcmp(what, "note")) {
		expect_note(r, s);
	} else if (!strcmp(what, "item") && s->args.n == 1) {
		/* the version of the item the case was judged by (in_force); in a
		 * chain, `item ITEM STATUS` ... (expect_chain) */
		expect_value(r, s, "item", arg(s, 0), S(c, "item"));
	} else if (!strcmp(what, "passed")) {
		expect_passed(r, s);
	} else if (!strcmp(what, "warned")) {
		expect_warned(r, s, c);
	} else if (!strcmp(what, "extended")) {
		snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(c, what)));
		expect_value(r, s, "extended (workdays)", arg(s, 0), num);
	} else if (!strcmp(what, "excluded")) {
		/* the days the last special procedure ended kept out of the limits */
		json_t *runs = json_object_get(c, "procedures");
		json_t *last = json_array_get(runs, json_array_size(runs) - 1);
		snprintf(num, sizeof num, "%lld", last ? (long long)json_integer_value(
			json_object_get(last, "days_excluded")) : -1LL);
		expect_value(r, s, "days excluded by the last procedure", arg(s, 0), last ? num : "");
	} else if (!strcmp(what, "trips") || !strcmp(what, "max_trips")) {
		snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(c, what)));
		expect_value(r, s, what, arg(s, 0), num);
	} else if (!strcmp(what, "overdue")) {
		expect_overdue(r, s);
	} else if (!strcmp(what, "notice")) {
		expect_notice(r, s, json_object_get(notice, "notice"));
	} else if (!strcmp(what, "error")) {
		failf(r, s, "expected the statement before to fail with \"%s\", but it succeeded",
		      arg(s, 0));
	} else
		expect_chain(r, s, c);
}

static void run_scenario(const scn_file *f, const scn_scenario *sc, result *res)
{
	run r;
	memset(&r, 0, sizeof r);
	r.f = f;
	r.sc = sc;
	r.cov = json_object();
	r.out = open_memstream(&r.out_text, &r.out_len);
	snprintf(r.now, sizeof r.now, "2019-01-01T09:00");
	for (size_t i = 0; i < sc->stmts.n; i++) {
		const scn_stmt *s = &sc->stmts.v[i];
		int is_error = s->kind == SS_EXPECT && !strcmp(s->a.s, "error");
		if (r.pending_stmt) {
			if (is_error && !strstr(r.pending.message, arg(s, 0)))
				failf(&r, s, "expected the error to contain \"%s\", found: %s",
				      arg(s, 0), r.pending.message);
			else if (!is_error) {
				failf(&r, r.pending_stmt, "failed: %s", r.pending.message);
				r.pending_stmt = NULL;
				break; /* the case is not where the scenario thinks it is */
			}
			r.pending_stmt = NULL;
			continue;
		}
		if (!r.e && s->kind != SS_RULES && s->kind != SS_NOW) {
			failf(&r, s, "the scenario needs `rules \"PATH\"` before this");
			break;
		}
		if (s->kind == SS_EXPECT)
			expect(&r, s);
		else
			statement(&r, s);
	}
	if (r.pending_stmt)
		failf(&r, r.pending_stmt, "failed: %s", r.pending.message);
	fclose(r.out);
	/* the report quotes statements and the engine's answers: the numbers
	 * of applicants are masked, as in the engine's messages */
	if (r.out_text)
		ot_mask_ids(r.out_text);
	res->passed = !r.failed;
	res->ran = 1;
	res->report = r.out_len ? r.out_text : (free(r.out_text), (char *)NULL);
	res->cov = r.cov;
	json_decref(r.last);
	ot_engine_close(r.e);
}

int scn_run_all(const scn_file *f)
{
	int failed = 0;
	for (size_t i = 0; i < f->scenarios.n; i++) {
		result res;
		memset(&res, 0, sizeof res);
		run_scenario(f, &f->scenarios.v[i], &res);
		failed += !res.passed;
		free(res.report);
		json_decref(res.cov);
	}
	return failed;
}

/* ---- running them all ---- */

typedef struct job {
	const scn_file *f;
	const scn_scenario *sc;
	result res;
} job;

typedef struct pool {
	job *jobs;
	size_t n, next;
	pthread_mutex_t lock;
} pool;

static double now_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
	pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		size_t i = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			return NULL;
		double t0 = now_seconds();
		run_scenario(p->jobs[i].f, p->jobs[i].sc, &p->jobs[i].res);
		p->jobs[i].res.seconds = now_seconds() - t0;
	}
}

/* A scenario's name or path, masked like every text the command line
 * writes (a name may quote an applicant's number); NULL: out of memory. */
static char *masked(const char *s)
{
	char *m = strdup(s ? s : "");
	ot_mask_ids(m);
	return m;
}

static void xml_text(FILE *f, const char *text)
{
	char *m = masked(text);
	for (const char *s = m; s && *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	free(m);
}

static int write_junit(const char *path, job *jobs, size_t n, size_t failed)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return 0;
	double total = 0;
	for (size_t i = 0; i < n; i++)
		total += jobs[i].res.seconds;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<testsuites tests=\"%zu\" failures=\"%zu\" time=\"%.3f\">\n"
		   "<testsuite name=\"onetrip scenarios\" tests=\"%zu\" failures=\"%zu\" time=\"%.3f\">\n",
		n, failed, total, n, failed, total);
	for (size_t i = 0; i < n; i++) {
		fputs("  <testcase classname=\"", f);
		xml_text(f, jobs[i].f->path);
		fputs("\" name=\"", f);
		xml_text(f, jobs[i].sc->name);
		fprintf(f, "\" time=\"%.3f\"", jobs[i].res.seconds);
		if (jobs[i].res.passed)
			fputs("/>\n", f);
		else {
			fputs(">\n    <failure message=\"scenario failed\">", f);
			xml_text(f, jobs[i].res.report);
			fputs("</failure>\n  </testcase>\n", f);
		}
	}
	fputs("</testsuite>\n</testsuites>\n", f);
	return fclose(f) == 0;
}

/* ---- coverage report ---- */

typedef struct counts {
	int steps, steps_hit, rules, rules_hit, conds, conds_hit, items, items_hit;
	int hooks, hooks_hit;
	int law, law_hit; /* procedures, acceptance both ways, extension, routes */
	int stages, stages_hit; /* stages of chains that started */
} counts;

static void merge(json_t *into, json_t *from)
{
	const char *hash;
	json_t *h;
	json_object_foreach(from, hash, h) {
		json_t *dst = json_object_get(into, hash);
		if (!dst) {
			json_object_set(into, hash, h);
			continue;
		}
		if (!json_object_size(json_object_get(dst, "describe")))
			json_object_set(dst, "describe", json_object_get(h, "describe"));
		const char *chain;
		json_t *ch;
		if (!json_object_get(dst, "chains"))
			json_object_set_new(dst, "chains", json_object());
		json_object_foreach(json_object_get(h, "chains"), chain, ch) {
			json_t *d = json_object_get(json_object_get(dst, "chains"), chain);
			if (d)
				json_object_update(d, ch);
			else
				json_object_set(json_object_get(dst, "chains"), chain, ch);
		}
		const char *item;
		json_t *it;
		json_object_foreach(json_object_get(h, "items"), item, it) {
			json_t *d = json_object_get(json_object_get(dst, "items"), item);
			if (!d) {
				json_object_set(json_object_get(dst, "items"), item, it);
				continue;
			}
			json_object_update(json_object_get(d, "steps"), json_object_get(it, "steps"));
			json_object_update(json_object_get(d, "rules"), json_object_get(it, "rules"));
			json_object_update(json_object_get(d, "conditions"), json_object_get(it, "conditions"));
			json_object_update(json_object_get(d, "hooks"), json_object_get(it, "hooks"));
			json_object_update(json_object_get(d, "law"), json_object_get(it, "law"));
		}
	}
}

static double pct(int hit, int all)
{
	return all ? 100.0 * hit / all : 100.0;
}

/* Counts one item of one rule base; prints what was never exercised. */
/* One branch of time as the law counts it: hit when `seen` has `key`. */
static void law_branch(json_t *seen, const char *key, counts *c, json_t *missed)
{
	c->law++;
	if (json_object_get(seen, key))
		c->law_hit++;
	else
		json_array_append_new(missed, json_pack("{s:s, s:s}", "kind", "time", "what", key));
}

static void law_coverage(json_t *desc_item, json_t *seen, counts *c, json_t *missed)
{
	char k[300];
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(desc_item, "procedures"), i, v) {
		snprintf(k, sizeof k, "procedure %s", S(v, "name"));
		law_branch(seen, k, c, missed);
	}
	if (json_is_integer(json_object_get(desc_item, "acceptance"))) {
		law_branch(seen, "acceptance accepted", c, missed);
		law_branch(seen, "acceptance refused", c, missed);
	}
	if (json_is_integer(json_object_get(desc_item, "extension")))
		law_branch(seen, "extension", c, missed);
	if (json_array_size(json_object_get(desc_item, "pledge_replaces"))) {
		law_branch(seen, "pledge kept", c, missed);
		law_branch(seen, "pledge untrue", c, missed);
	}
	json_array_foreach(json_object_get(desc_item, "steps"), i, v) {
		json_t *depts = json_object_get(json_object_get(v, "routed_by"), "departments");
		json_t *done = json_object();
		const char *value;
		json_t *d;
		json_object_foreach(depts, value, d) {
			if (json_object_get(done, json_string_value(d)))
				continue; /* two values, one office: one branch */
			json_object_set_new(done, json_string_value(d), json_true());
			snprintf(k, sizeof k, "route %s to %s", S(v, "name"), json_string_value(d));
			law_branch(seen, k, c, missed);
		}
		json_decref(done);
	}
}

static json_t *item_coverage(json_t *desc_item, json_t *seen, counts *total, int print)
{
	counts c;
	memset(&c, 0, sizeof c);
	json_t *missed = json_array();
	size_t i;
	json_t *v;
	json_t *steps = json_object_get(seen, "steps"), *rules = json_object_get(seen, "rules");
	json_t *conds = json_object_get(seen, "conditions");
	json_array_foreach(json_object_get(desc_item, "steps"), i, v) {
		c.steps++;
		if (json_object_get(steps, S(v, "name")))
			c.steps_hit++;
		else
			json_array_append_new(missed, json_pack("{s:s, s:s}", "kind", "step", "what", S(v, "name")));
	}
	json_array_foreach(json_object_get(desc_item, "flow"), i, v) {
		char k[24], line[512] = "";
		size_t j;
		json_t *n;
		snprintf(k, sizeof k, "%zu", i);
		c.rules++;
		if (json_object_get(rules, k)) {
			c.rules_hit++;
			continue;
		}
		json_array_foreach(json_object_get(v, "from"), j, n)
			snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", j ? ", " : "",
				 json_string_value(n));
		snprintf(line + strlen(line), sizeof line - strlen(line), " ->");
		json_array_foreach(json_object_get(v, "to"), j, n)
			snprintf(line + strlen(line), sizeof line - strlen(line), "%s %s", j ? "," : "",
				 json_string_value(n));
		if (json_object_get(v, "when"))
			snprintf(line + strlen(line), sizeof line - strlen(line), " when %s", S(v, "when"));
		if (json_object_get(v, "otherwise"))
			snprintf(line + strlen(line), sizeof line - strlen(line), " otherwise");
		json_array_append_new(missed, json_pack("{s:s, s:s}", "kind", "flow", "what", line));
	}
	json_array_foreach(json_object_get(desc_item, "materials"), i, v) {
		if (!json_is_string(json_object_get(v, "when")))
			continue;
		for (int outcome = 1; outcome >= 0; outcome--) {
			char k[160], what[512];
			snprintf(k, sizeof k, "%s:%s", S(v, "material"), outcome ? "true" : "false");
			c.conds++;
			if (json_object_get(conds, k)) {
				c.conds_hit++;
				continue;
			}
			snprintf(what, sizeof what, "%s when %s: never %s", S(v, "material"), S(v, "when"),
				 outcome ? "true" : "false");
			json_array_append_new(missed, json_pack("{s:s, s:s}", "kind", "condition", "what", what));
		}
	}
	json_array_foreach(json_object_get(desc_item, "hook_functions"), i, v) {
		char what[256];
		c.hooks++;
		if (json_object_get(json_object_get(seen, "hooks"), json_string_value(v))) {
			c.hooks_hit++;
			continue;
		}
		snprintf(what, sizeof what, "%s", json_string_value(v));
		json_array_append_new(missed, json_pack("{s:s, s:s}", "kind", "hook function", "what", what));
	}
	law_coverage(desc_item, json_object_get(seen, "law"), &c, missed);
	c.items = 1;
	c.items_hit = seen != NULL;
	char hooks[64] = "";
	if (c.hooks)
		snprintf(hooks, sizeof hooks, "  hooks %d/%d", c.hooks_hit, c.hooks);
	if (c.law)
		snprintf(hooks + strlen(hooks), sizeof hooks - strlen(hooks), "  time %d/%d",
			 c.law_hit, c.law);
	if (print)
		printf("  %-36s steps %d/%d  flow %d/%d  conditions %d/%d%s%s\n",
		       S(desc_item, "name"), c.steps_hit, c.steps, c.rules_hit, c.rules, c.conds_hit,
		       c.conds, hooks, seen ? "" : "  (never submitted)");
	if (print && seen) {
		json_array_foreach(missed, i, v)
			printf("      not exercised: %s %s\n", S(v, "kind"), S(v, "what"));
	}
	total->steps += c.steps, total->steps_hit += c.steps_hit;
	total->rules += c.rules, total->rules_hit += c.rules_hit;
	total->conds += c.conds, total->conds_hit += c.conds_hit;
	total->items += c.items, total->items_hit += c.items_hit;
	total->hooks += c.hooks, total->hooks_hit += c.hooks_hit;
	total->law += c.law, total->law_hit += c.law_hit;
	json_t *o = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:b, s:o}", "item",
			 S(desc_item, "name"), "steps", c.steps, "steps_hit", c.steps_hit, "flow",
			 c.rules, "flow_hit", c.rules_hit, "conditions", c.conds, "conditions_hit",
			 c.conds_hit, "hook_functions", c.hooks, "hook_functions_hit", c.hooks_hit,
			 "submitted", seen != NULL, "not_exercised", missed);
	json_object_set_new(o, "time", json_integer(c.law));
	json_object_set_new(o, "time_hit", json_integer(c.law_hit));
	return o;
}

/* Counts the stages of one chain that scenarios started (a chain's items
 * are counted as items, whoever opened their cases). */
static json_t *chain_coverage(json_t *desc_chain, json_t *seen, counts *total, int print)
{
	int n = 0, hit = 0;
	size_t i;
	json_t *st, *missed = json_array();
	json_array_foreach(json_object_get(desc_chain, "stages"), i, st) {
		n++;
		if (json_object_get(seen, S(st, "name")))
			hit++;
		else
			json_array_append_new(missed, json_string(S(st, "name")));
	}
	total->stages += n;
	total->stages_hit += hit;
	if (print) {
		printf("  chain %-30s stages %d/%d%s\n", S(desc_chain, "name"), hit, n,
		       seen ? "" : "  (never submitted)");
		json_array_foreach(missed, i, st)
			if (seen)
				printf("      not exercised: stage %s\n", json_string_value(st));
	}
	return json_pack("{s:s, s:i, s:i, s:o}", "chain", S(desc_chain, "name"), "stages", n,
			 "stages_hit", hit, "not_exercised", missed);
}

/* Prints the report; returns the branch percentage (flow lines, both
 * outcomes of every material condition, and the stages of chains), or -1
 * when json_path cannot be written. */
static double coverage(json_t *cov, int print, const char *json_path)
{
	counts total;
	memset(&total, 0, sizeof total);
	json_t *out = json_array();
	const char *hash;
	json_t *h;
	json_object_foreach(cov, hash, h) {
		json_t *desc = json_object_get(h, "describe");
		if (print)
			printf("coverage of rule set %.12s:\n", hash);
		size_t i;
		json_t *it;
		json_t *items = json_array();
		json_array_foreach(json_object_get(desc, "items"), i, it)
			json_array_append_new(items, item_coverage(it,
				json_object_get(json_object_get(h, "items"), S(it, "name")), &total, print));
		json_t *chains = json_array();
		json_array_foreach(json_object_get(desc, "chains"), i, it)
			json_array_append_new(chains, chain_coverage(it,
				json_object_get(json_object_get(h, "chains"), S(it, "name")), &total, print));
		json_array_append_new(out, json_pack("{s:s, s:o, s:o}", "rules", hash, "items", items,
						     "chains", chains));
	}
	int branches = total.rules + total.conds + total.law + total.stages;
	int hit = total.rules_hit + total.conds_hit + total.law_hit + total.stages_hit;
	double p = pct(hit, branches);
	if (print)
		printf("coverage: items %d/%d (%.1f%%), steps %d/%d (%.1f%%), flow lines %d/%d "
		       "(%.1f%%), condition outcomes %d/%d (%.1f%%), hook functions %d/%d (%.1f%%), "
		       "time as the law counts it %d/%d (%.1f%%), chain stages %d/%d (%.1f%%); "
		       "branches %.1f%%\n",
		       total.items_hit, total.items, pct(total.items_hit, total.items),
		       total.steps_hit, total.steps, pct(total.steps_hit, total.steps),
		       total.rules_hit, total.rules, pct(total.rules_hit, total.rules),
		       total.conds_hit, total.conds, pct(total.conds_hit, total.conds),
		       total.hooks_hit, total.hooks, pct(total.hooks_hit, total.hooks),
		       total.law_hit, total.law, pct(total.law_hit, total.law),
		       total.stages_hit, total.stages, pct(total.stages_hit, total.stages), p);
	if (json_path) {
		json_t *doc = json_pack("{s:o, s:{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f}}",
			"rule_sets", out, "totals", "items", total.items, "items_hit", total.items_hit,
			"steps", total.steps, "steps_hit", total.steps_hit, "flow", total.rules,
			"flow_hit", total.rules_hit, "conditions", total.conds, "conditions_hit",
			total.conds_hit, "hook_functions", total.hooks, "hook_functions_hit",
			total.hooks_hit, "branches_percent", p);
		json_object_set_new(json_object_get(doc, "totals"), "time", json_integer(total.law));
		json_object_set_new(json_object_get(doc, "totals"), "time_hit",
				    json_integer(total.law_hit));
		json_object_set_new(json_object_get(doc, "totals"), "stages", json_integer(total.stages));
		json_object_set_new(json_object_get(doc, "totals"), "stages_hit",
				    json_integer(total.stages_hit));
		if (json_dump_file(doc, json_path, JSON_INDENT(2)) != 0)
			p = -1; /* cmd_test says so */
		json_decref(doc);
	} else
		json_decref(out);
	return p;
}

/* ---- the command ---- */

/* A run of no scenario is a mistake (a mistyped --filter or path), not a
 * pass a CI job would take for green: say which. */
static void nothing_to_run(scn_file **parsed, size_t nfiles, const char *filter)
{
	size_t all = 0;
	for (size_t i = 0; i < nfiles; i++)
		all += parsed[i]->scenarios.n;
	if (!nfiles)
		cli_errorf("onetrip test: no .scenario file found in the paths given\n");
	else if (!all)
		cli_errorf("onetrip test: the %zu file%s given hold%s no scenario\n", nfiles,
			   nfiles == 1 ? "" : "s", nfiles == 1 ? "s" : "");
	else
		cli_errorf("onetrip test: no scenario's name contains \"%s\" (of %zu in %zu file%s)\n",
			   filter, all, nfiles, nfiles == 1 ? "" : "s");
}

int cmd_test(int argc, char **argv)
{
	const char *filter = NULL, *junit = NULL, *cov_json = NULL;
	int jobs_n = 1, want_cov = 0;
	double cov_min = -1;
	strs paths = {0}, files = {0};
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(a, "--filter") && i + 1 < argc)
			filter = argv[++i];
		else if (!strcmp(a, "--jobs") && i + 1 < argc) {
			char *end;
			long n = strtol(argv[++i], &end, 10);
			if (*end || end == argv[i] || n < 1 || n > 256) {
				cli_errorf("onetrip test: --jobs takes a number from 1 to 256, not "
					   "'%s'\n", argv[i]);
				return 2;
			}
			jobs_n = (int)n;
		}
		else if (!strcmp(a, "--junit") && i + 1 < argc)
			junit = argv[++i];
		else if (!strcmp(a, "--coverage"))
			want_cov = 1;
		else if (!strcmp(a, "--coverage-min") && i + 1 < argc) {
			char *end;
			cov_min = strtod(argv[++i], &end);
			if (*end || end == argv[i] || !(cov_min >= 0 && cov_min <= 100)) {
				cli_errorf("onetrip test: --coverage-min takes a percentage from 0 to "
					   "100, not '%s'\n", argv[i]);
				return 2;
			}
		}
		else if (!strcmp(a, "--coverage-json") && i + 1 < argc)
			cov_json = argv[++i];
		else if (a[0] == '-') {
			cli_errorf("onetrip test: unknown option '%s'\n\n%s", a, usage);
			return 2;
		} else
			push(&paths, (char *)a);
	}
	if (!paths.n) {
		cli_errorf("onetrip test: no scenario files given\n\n%s", usage);
		return 2;
	}
	for (size_t i = 0; i < paths.n; i++)
		find_scenarios(paths.v[i], &files);
	free(paths.v);

	/* parse everything first: a malformed file stops the run (exit 2) */
	scn_file **parsed = calloc(files.n + 1, sizeof *parsed);
	int bad = 0;
	size_t njobs = 0;
	for (size_t i = 0; i < files.n; i++) {
		ot_diags *d = NULL;
		ot_status st = scn_load(files.v[i], &parsed[i], &d);
		char *text = ot_diags_render(d, 0);
		ot_mask_ids(text); /* the scenario's lines, applicants' numbers and all */
		if (text && text[0])
			fputs(text, stdout);
		free(text);
		ot_diags_free(d);
		if (st != OT_OK)
			bad = 1;
		else
			for (size_t k = 0; k < parsed[i]->scenarios.n; k++)
				njobs += !filter || strstr(parsed[i]->scenarios.v[k].name, filter);
	}
	int rc = 2;
	if (bad) {
		printf("0 passed, 0 failed (scenario files with errors)\n");
		goto done;
	}
	if (!njobs) {
		nothing_to_run(parsed, files.n, filter);
		printf("0 passed, 0 failed\n");
		goto done;
	}
	job *jobs = calloc(njobs + 1, sizeof *jobs);
	size_t j = 0;
	for (size_t i = 0; i < files.n; i++)
		for (size_t k = 0; k < parsed[i]->scenarios.n; k++)
			if (!filter || strstr(parsed[i]->scenarios.v[k].name, filter)) {
				jobs[j].f = parsed[i];
				jobs[j].sc = &parsed[i]->scenarios.v[k];
				j++;
			}
	pool p = {jobs, njobs, 0, PTHREAD_MUTEX_INITIALIZER};
	if (jobs_n < 1)
		jobs_n = 1;
	if (jobs_n > 64)
		jobs_n = 64;
	pthread_t threads[64];
	for (int t = 0; t < jobs_n; t++)
		pthread_create(&threads[t], NULL, worker, &p);
	for (int t = 0; t < jobs_n; t++)
		pthread_join(threads[t], NULL);

	size_t passed = 0, failed = 0;
	json_t *cov = json_object();
	for (size_t i = 0; i < njobs; i++) {
		result *r = &jobs[i].res;
		char *name = masked(jobs[i].sc->name);
		printf("%s  %s\n", r->passed ? "PASS" : "FAIL", name ? name : "");
		free(name);
		if (r->report)
			fputs(r->report, stdout);
		passed += r->passed;
		failed += !r->passed;
		merge(cov, r->cov);
		json_decref(r->cov);
	}
	rc = failed ? 1 : 0;
	if (want_cov || cov_min >= 0 || cov_json) {
		double got = coverage(cov, want_cov, cov_json);
		if (got < 0) {
			cli_errorf("onetrip test: cannot write %s\n", cov_json);
			rc = 2;
		} else if (cov_min >= 0 && got < cov_min) {
			printf("coverage %.1f%% of branches is below the required %.1f%%\n", got, cov_min);
			rc = 1;
		}
	}
	json_decref(cov);
	if (junit && !write_junit(junit, jobs, njobs, failed)) {
		cli_errorf("onetrip test: cannot write %s\n", junit);
		rc = 2;
	}
	printf("%zu passed, %zu failed\n", passed, failed);
	for (size_t i = 0; i < njobs; i++)
		free(jobs[i].res.report);
	free(jobs);
done:
	for (size_t i = 0; i < files.n; i++) {
		scn_free(parsed[i]);
		free(files.v[i]);
	}
	free(parsed);
	free(files.v);
	return rc;
}
