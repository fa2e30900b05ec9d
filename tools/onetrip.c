/*
 * onetrip.c -- the command line.  Uses only the public API (onetrip.h);
 * everything it prints about a rule base comes from ot_rules_describe().
 *
 * Exit codes: 0 fine, 1 the rules have errors (or, for a case operation,
 * the engine refused it), 2 usage or I/O error, 3 the store failed.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "onetrip.h"

static const char usage_main[] =
	"usage: onetrip COMMAND [OPTIONS] [ARGS]\n"
	"\n"
	"onetrip interprets rule files describing government service items\n"
	"(materials, steps, departments, time limits) and runs cases on them.\n"
	"\n"
	"commands:\n"
	"  check PATH...      check rule files (directories: every *.rules inside)\n"
	"  info PATH...       a one-screen summary of a rule base\n"
	"  describe PATH...   the compiled rule base as JSON\n"
	"  test PATH...       run scenario files (*.scenario) against their rules\n"
	"\n"
	"case operations (JSON request from FILE, inline, or stdin; JSON answer):\n"
	"  assess     what an application needs, without storing anything\n"
	"  submit     create a case            supplement  add materials, fix the form\n"
	"  act        approve, return or deny a step\n"
	"  suspend    stop the clock           resume      start it again\n"
	"  deliver    hand over the result     withdraw    the applicant withdraws\n"
	"  show CASE  a case with its history  list        cases by status, item, ...\n"
	"  overdue    cases and steps past their due date, acceptance decisions\n"
	"             not taken in time, special procedures past their maximum\n"
	"  accept     accept (受理)            refuse      refuse to accept (不予受理)\n"
	"  extend     extend the legal limit (延期)\n"
	"  procedure_start, procedure_end    a special procedure (特别程序)\n"
	"  pledge_check  the check of a pledge (告知承诺) after approval\n"
	"  sweep      warn once of deadlines near (yellow) or passed (red): 电子监察\n"
	"  licences import FILE.json   licences issued elsewhere, into the library\n"
	"  licences list HOLDER        the licences of an ID number or credit code\n"
	"  options: --db PATH (var/onetrip.db), --rules PATH (rules/), --now TIME\n"
	"  store check PATH   is the store sound? integrity, every case replayed\n"
	"  store copy FROM TO moves a store (SQLite <-> PostgreSQL), verified\n"
	"  demo [ITEM]  walks a sample application through every step\n"
	"  serve        the engine as an HTTP service (docs/service.md)\n"
	"\n"
	"  onetrip COMMAND --help   shows the options of a command\n"
	"  onetrip --version        prints the version\n";

static const char usage_check[] =
	"usage: onetrip check [--json] [--strict] [--trips] [--now TIME] [--color WHEN] PATH...\n"
	"\n"
	"Checks rule files and reports every error and warning at once, with\n"
	"file:line:col, the source line and a hint.  Directories are searched\n"
	"for *.rules files; all paths together form one rule base.\n"
	"\n"
	"  --json         print the diagnostics as a JSON array (not with --trips:\n"
	"                 the trips as JSON are in `onetrip describe`)\n"
	"  --strict       treat warnings as errors\n"
	"  --trips        list each item's most in-person visits (最多跑几次), and each\n"
	"                 chain's with its critical path (worst-case working days)\n"
	"  --now TIME     the day whose items in force are counted (default today):\n"
	"                 a version replaced by another (`replaces`) is not an item\n"
	"                 offered on a day outside its `in_force`\n"
	"  --color WHEN   auto (default), always or never; NO_COLOR is honoured\n"
	"\n"
	"exit status: 0 no errors, 1 errors (or warnings with --strict),\n"
	"             2 usage error or a path that cannot be read\n";

static const char usage_info[] =
	"usage: onetrip info [--now TIME] PATH...\n"
	"\n"
	"Compiles the rule base and prints a summary: departments, materials,\n"
	"forms, items, chains and calendars.  The items are those in force on the\n"
	"day of --now (default today); versions not in force then (superseded by\n"
	"another through `replaces`, or not yet in force) are counted apart.\n"
	"Exit status as for check.\n";

static const char usage_describe[] =
	"usage: onetrip describe PATH...\n"
	"\n"
	"Compiles the rule base and prints it as JSON (the same data intake\n"
	"systems get from ot_rules_describe).  Exit status as for check.\n";

void cli_errorf(const char *fmt, ...);

/* Every line the command line writes to stderr goes through here: what it
 * quotes (an argument, a JSON parser's error near the input) may hold an
 * ID number, masked as the engine masks its messages. */
void cli_errorf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (!text) {
		fputs("onetrip: out of memory\n", stderr);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(text, (size_t)n + 1, fmt, ap);
	va_end(ap);
	ot_mask_ids(text);
	fputs(text, stderr);
	free(text);
}

typedef struct opts {
	int json, strict, color, trips;
	const char *now; /* --now: the day whose items in force are counted */
	const char **paths;
	int npaths;
} opts;

static int is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

enum { OPT_JSON = 1, OPT_NOW = 2 }; /* what a command takes besides --strict, --color */

static int bad_now(const char *cmd, const char *now);

static int parse_opts(int argc, char **argv, opts *o, const char *usage, int allow)
{
	const char *color = getenv("NO_COLOR") ? "never" : "auto";
	o->paths = calloc((size_t)argc + 1, sizeof *o->paths);
	if (!o->paths)
		return 2;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (is_help(a)) {
			fputs(usage, stdout);
			return 0;
		} else if ((allow & OPT_JSON) && strcmp(a, "--json") == 0)
			o->json = 1;
		else if (strcmp(a, "--strict") == 0)
			o->strict = 1;
		else if ((allow & OPT_JSON) && strcmp(a, "--trips") == 0)
			o->trips = 1;
		else if ((allow & OPT_NOW) && strcmp(a, "--now") == 0 && i + 1 < argc)
			o->now = argv[++i];
		else if (strcmp(a, "--color") == 0 && i + 1 < argc)
			color = argv[++i];
		else if (strncmp(a, "--color=", 8) == 0)
			color = a + 8;
		else if (a[0] == '-' && a[1]) {
			cli_errorf("onetrip: unknown option '%s'\n\n%s", a, usage);
			return 2;
		} else
			o->paths[o->npaths++] = a;
	}
	if (strcmp(color, "always") == 0)
		o->color = 1;
	else if (strcmp(color, "auto") == 0)
		o->color = isatty(STDOUT_FILENO);
	else if (strcmp(color, "never") != 0) {
		cli_errorf("onetrip: --color takes auto, always or never\n");
		return 2;
	}
	if (o->npaths == 0) {
		cli_errorf("onetrip: no rule files given\n\n%s", usage);
		return 2;
	}
	return -1;
}

/* Compiles and prints the diagnostics; returns the exit status so far. */
/* Diagnostics go to `diag`: stdout for check, stderr where stdout carries
 * the JSON a program reads (describe). */
static int compile(const opts *o, ot_rules **rules, FILE *diag)
{
	ot_compile_options co = {NULL, NULL, o->strict};
	ot_diags *d = NULL;
	ot_status st = ot_rules_compile(o->paths, (size_t)o->npaths, &co, rules, &d);
	if (st == OT_ENOMEM || st == OT_EINVAL) {
		cli_errorf("onetrip: %s\n", ot_status_name(st));
		return 2;
	}
	char *out = o->json ? ot_diags_json(d)
			    : ot_diags_render(d, o->color ? OT_RENDER_COLOR : 0);
	ot_mask_ids(out); /* diagnostics quote the rule files */
	if (out) {
		fputs(out, diag);
		if (o->json)
			fputc('\n', diag);
	}
	free(out);
	size_t errors = ot_diags_errors(d), warnings = ot_diags_warnings(d);
	if (!o->json && (errors || warnings))
		fprintf(diag, "%zu error%s, %zu warning%s\n", errors, errors == 1 ? "" : "s",
			warnings, warnings == 1 ? "" : "s");
	ot_diags_free(d);
	return st == OT_EIO ? 2 : st == OT_OK ? 0 : 1;
}

/* ---- the items in force on a day ---- */

/* A rule base may hold several versions of an item (`replaces`,
 * `in_force`), each in force on its own days.  A version superseded on a
 * day is no item offered that day: counted, it would make the items, the
 * online rate (全程网办率) and the items needing at most one trip larger
 * than they are.  Which version is in force is the library's to say, as
 * it says it for an application received that day. */
enum { SUPERSEDED, ENDED, NOT_YET };
static const char *const not_in_force_names[] = {"superseded", "no longer in force",
						 "not yet in force"};

typedef struct in_force {
	char day[11];     /* the day counted: --now's, or today's, in UTC+8 */
	json_t *items;    /* the versions in force then */
	size_t versions;  /* every version, in force or not */
	size_t not_in_force[3]; /* by SUPERSEDED, ENDED, NOT_YET */
} in_force;

/* Why the version `it` of `items`, which the library says is not in force
 * on `day`, is not: its days are over (another version in force by then
 * replaces it, or none does yet) or to come. */
static int why_not_in_force(json_t *items, json_t *it, const char *day)
{
	const char *until = json_string_value(json_object_get(it, "in_force_until"));
	size_t i;
	json_t *other;
	if (!until || strcmp(until, day) >= 0)
		return NOT_YET;
	json_array_foreach(items, i, other) {
		const char *from = json_string_value(json_object_get(other, "in_force_from"));
		if (json_equal(json_object_get(other, "replaces"), json_object_get(it, "name")) &&
		    (!from || strcmp(from, day) <= 0))
			return SUPERSEDED;
	}
	return ENDED;
}

static int is_in_force(const in_force *f, json_t *it)
{
	size_t i;
	json_t *v;
	json_array_foreach(f->items, i, v)
		if (v == it)
			return 1;
	return 0;
}

/* The day of --now, or today. */
static void in_force_day(const char *now, char day[11])
{
	ot_time t = (ot_time)time(NULL);
	if (now)
		time_parse(now, OT_ZONE_DEFAULT, &t); /* checked by bad_now */
	day_format(time_day(t, OT_ZONE_DEFAULT), day);
}

/* Sorts the described items into those in force on the day and the rest;
 * 0 when out of memory. */
static int items_in_force(const ot_rules *r, json_t *items, const char *now, in_force *f)
{
	size_t i;
	json_t *it;
	memset(f, 0, sizeof *f);
	in_force_day(now, f->day);
	if (!(f->items = json_array()))
		return 0;
	json_array_foreach(items, i, it) {
		const char *name = json_string_value(json_object_get(it, "name"));
		const char *v = name ? ot_rules_item_in_force(r, name, f->day) : NULL;
		f->versions++;
		if (v && strcmp(v, name) == 0) {
			if (json_array_append(f->items, it))
				return 0;
			continue;
		}
		f->not_in_force[why_not_in_force(items, it, f->day)]++;
	}
	return 1;
}

/* "4 superseded, 1 not yet in force": the versions not counted. */
static void print_not_in_force(const in_force *f)
{
	const char *sep = "";
	for (int k = SUPERSEDED; k <= NOT_YET; k++)
		if (f->not_in_force[k]) {
			printf("%s%zu %s", sep, f->not_in_force[k], not_in_force_names[k]);
			sep = ", ";
		}
}

/* A calendar's holidays are listed year by year, as the State Council
 * publishes them (usually in the autumn before); past its last year a
 * working day is any day but the weekend, and due dates come early
 * across New Year and the Spring Festival.  From October of its last
 * year on, `check` and `info` say so. */
static int calendar_runs_out(json_t *cal, const char *day, char note[512])
{
	json_int_t last = json_integer_value(json_object_get(cal, "last_year"));
	char from[16];
	snprintf(from, sizeof from, "%04d-10-01", (int)(last % 10000));
	if (!json_integer_value(json_object_get(cal, "holiday_days")) || strcmp(day, from) < 0)
		return 0;
	snprintf(note, 512, "calendar %s lists holidays through %lld: from %lld-01-01 only its "
		 "weekend is off, so due dates then ignore the holidays; add %lld's holidays and "
		 "make-up working days (国务院办公厅通知) when they are published",
		 json_string_value(json_object_get(cal, "name")), (long long)last,
		 (long long)last + 1, (long long)last + 1);
	return 1;
}

/* Each item's static maximum of in-person visits, worst first: every
 * version, those not in force on the day marked; the count is of the
 * items in force. */
static void print_trips(json_t *items, const in_force *f)
{
	size_t i, one = 0;
	json_t *it;
	int some_not = json_array_size(f->items) != f->versions;
	for (json_int_t want = 9; want >= 0; want--)
		json_array_foreach(items, i, it) {
			json_int_t n = json_integer_value(json_object_get(it, "max_trips"));
			if (n != want && !(want == 9 && n > 9))
				continue;
			json_t *label = json_object_get(it, "label");
			printf("%3lld  %-36s %s", (long long)n,
			       json_string_value(json_object_get(it, "name")),
			       json_is_string(label) ? json_string_value(label) : "");
			if (some_not && !is_in_force(f, it))
				printf("  (%s on %s)",
				       not_in_force_names[why_not_in_force(items, it, f->day)], f->day);
			printf("\n");
		}
	json_array_foreach(f->items, i, it)
		one += json_integer_value(json_object_get(it, "max_trips")) <= 1;
	printf("%zu of %zu items", one, json_array_size(f->items));
	if (some_not)
		printf(" in force on %s", f->day);
	printf(" need at most one trip (最多跑一次)\n");
}

/* Each chain's static maximum of trips and its critical path: the
 * worst-case working days, stage by stage. */
static void print_chain_trips(json_t *chains)
{
	size_t i, k;
	json_t *c, *st;
	json_array_foreach(chains, i, c) {
		json_t *label = json_object_get(c, "label");
		json_int_t trips = json_integer_value(json_object_get(c, "max_trips"));
		printf("chain %s %s: at most %lld trip%s%s\n", json_string_value(json_object_get(c, "name")),
		       json_is_string(label) ? json_string_value(label) : "", (long long)trips,
		       trips == 1 ? "" : "s", trips <= 1 ? " (最多跑一次)" : "");
		printf("  critical path %lld workdays:",
		       (long long)json_integer_value(json_object_get(c, "critical_days")));
		json_array_foreach(json_object_get(c, "critical_path"), k, st) {
			json_t *stage = NULL, *s;
			size_t j;
			json_array_foreach(json_object_get(c, "stages"), j, s)
				if (json_equal(json_object_get(s, "name"), st))
					stage = s;
			printf("%s %s (%lld)", k ? " →" : "", json_string_value(st),
			       (long long)json_integer_value(json_object_get(stage, "days")));
		}
		json_t *lim = json_object_get(c, "total_limit");
		if (json_is_integer(lim))
			printf("; total_limit %lld", (long long)json_integer_value(lim));
		printf("\n");
	}
}

static int cmd_check(int argc, char **argv)
{
	opts o = {0};
	int rc = parse_opts(argc, argv, &o, usage_check, OPT_JSON | OPT_NOW);
	if (rc < 0 && bad_now("check", o.now))
		rc = 2;
	if (rc < 0 && o.json && o.trips) {
		/* --json is the diagnostics as a JSON array: the table would be
		 * dropped, or break the JSON a program reads */
		cli_errorf("onetrip check: --trips prints a table, not JSON; each item's and "
			   "chain's max_trips (and a chain's critical_path) are in `onetrip describe`\n");
		rc = 2;
	}
	if (rc < 0) {
		ot_rules *r = NULL;
		rc = compile(&o, &r, stdout);
		if (rc == 0 && !o.json) {
			char *desc = ot_rules_describe(r);
			json_t *j = desc ? json_loads(desc, 0, NULL) : NULL;
			json_t *items = json_object_get(j, "items");
			in_force f;
			if (!items_in_force(r, items, o.now, &f)) {
				cli_errorf("onetrip check: out of memory\n");
				rc = 2;
			} else {
				size_t n = json_array_size(items), live = json_array_size(f.items);
				if (o.trips) {
					print_trips(items, &f);
					print_chain_trips(json_object_get(j, "chains"));
				}
				/* the day is named only when it makes a difference */
				if (live == n)
					printf("ok: %zu item%s in %s%s", n, n == 1 ? "" : "s", o.paths[0],
					       o.npaths > 1 ? " and more" : "");
				else {
					printf("ok: %zu item versions in %s%s, %zu in force on %s (", n,
					       o.paths[0], o.npaths > 1 ? " and more" : "", live, f.day);
					print_not_in_force(&f);
					printf(")");
				}
				printf(", rule set %.12s\n", ot_rules_hash(r));
				size_t k;
				json_t *cal;
				char note[512];
				json_array_foreach(json_object_get(j, "calendars"), k, cal)
					if (calendar_runs_out(cal, f.day, note))
						cli_errorf("note: %s\n", note);
			}
			json_decref(f.items);
			json_decref(j);
			free(desc);
		}
		ot_rules_free(r);
	}
	free(o.paths);
	return rc;
}

/* ---- info ---- */

static size_t count_where(json_t *arr, const char *key, const char *value)
{
	size_t n = 0, i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(json_object_get(v, key));
		if (s && strcmp(s, value) == 0)
			n++;
	}
	return n;
}

static void print_counts(json_t *arr, const char *key, const char *const *values,
			 size_t nvalues, const char *open)
{
	const char *sep = open;
	for (size_t k = 0; k < nvalues; k++) {
		size_t n = count_where(arr, key, values[k]);
		if (n) {
			printf("%s%zu %s", sep, n, values[k]);
			sep = ", ";
		}
	}
	if (sep[0] == ',' && open[strlen(open) - 1] == '(')
		printf(")");
	printf("\n");
}

/* The items in force on the day: a supervisor's online rate and the
 * items of a department are of the items offered then. */
static void info_items(const in_force *f, json_t *depts)
{
	static const char *const types[] = {"licensing", "payment", "confirmation",
					    "ruling", "other", "public_service"};
	static const char *const online[] = {"full", "partial", "none"};
	json_t *items = f->items;
	printf("  items        %3zu", json_array_size(items));
	print_counts(items, "type", types, 6, "  (");
	if (json_array_size(items) != f->versions) { /* the day makes a difference */
		printf("               in force on %s, of %zu item versions (", f->day, f->versions);
		print_not_in_force(f);
		printf(")\n");
	}
	printf("               online:");
	print_counts(items, "online", online, 3, " ");
	size_t i, high = 0, steps = 0;
	json_t *v;
	json_array_foreach(items, i, v) {
		high += strcmp(json_string_value(json_object_get(v, "frequency")), "high") == 0;
		steps += json_array_size(json_object_get(v, "steps"));
	}
	printf("               %zu high-frequency, %zu steps in all\n", high, steps);
	printf("  by department:\n");
	json_array_foreach(depts, i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		size_t n = count_where(items, "department", name);
		if (n) {
			json_t *label = json_object_get(v, "label");
			printf("    %3zu  %s\n", n, json_is_string(label) ? json_string_value(label) : name);
		}
	}
}

static void info(json_t *d, const in_force *f, const char *path, const char *hash)
{
	static const char *const levels[] = {"district", "street", "community", "city",
					     "province", "national"};
	static const char *const sources[] = {"applicant", "shared", "issued_by"};
	json_t *depts = json_object_get(d, "departments");
	json_t *mats = json_object_get(d, "materials");
	size_t i, windows = 0;
	json_t *v;
	json_array_foreach(depts, i, v)
		windows += json_array_size(json_object_get(v, "windows"));
	printf("rule base %s  (rule set %.12s)\n", path, hash);
	printf("  departments  %3zu", json_array_size(depts));
	print_counts(depts, "level", levels, 6, "  (");
	printf("  windows      %3zu\n", windows);
	printf("  materials    %3zu", json_array_size(mats));
	print_counts(mats, "source", sources, 3, "  (");
	printf("  forms        %3zu\n", json_array_size(json_object_get(d, "forms")));
	info_items(f, depts);
	json_t *chains = json_object_get(d, "chains");
	printf("  chains       %3zu\n", json_array_size(chains));
	json_array_foreach(chains, i, v) {
		json_t *lim = json_object_get(v, "total_limit");
		printf("    %s: %zu stages", json_string_value(json_object_get(v, "name")),
		       json_array_size(json_object_get(v, "stages")));
		if (json_is_integer(lim))
			printf(", total_limit %lld workdays", (long long)json_integer_value(lim));
		printf(", critical path %lld workdays, at most %lld trip%s\n",
		       (long long)json_integer_value(json_object_get(v, "critical_days")),
		       (long long)json_integer_value(json_object_get(v, "max_trips")),
		       json_integer_value(json_object_get(v, "max_trips")) == 1 ? "" : "s");
	}
	json_t *hooks = json_object(), *items = f->items;
	size_t hooked = 0;
	json_array_foreach(items, i, v)
		if (json_is_string(json_object_get(v, "hook"))) {
			hooked++;
			json_object_set(hooks, json_string_value(json_object_get(v, "hook")), json_true());
		}
	printf("  hooks        %3zu items, %zu Lua files\n", hooked, json_object_size(hooks));
	json_decref(hooks);
	json_t *providers = json_object_get(d, "providers");
	printf("  providers    %3zu\n", json_array_size(providers));
	json_array_foreach(providers, i, v)
		printf("    %s: %s\n", json_string_value(json_object_get(v, "name")),
		       json_string_value(json_object_get(v, "kind")));
	json_t *cals = json_object_get(d, "calendars");
	printf("  calendars    %3zu\n", json_array_size(cals));
	json_array_foreach(cals, i, v) {
		printf("    %s", json_string_value(json_object_get(v, "name")));
		if (json_object_get(v, "first_year"))
			printf(" %lld–%lld", (long long)json_integer_value(json_object_get(v, "first_year")),
			       (long long)json_integer_value(json_object_get(v, "last_year")));
		printf(": %lld days of holidays, %lld make-up working days\n",
		       (long long)json_integer_value(json_object_get(v, "holiday_days")),
		       (long long)json_integer_value(json_object_get(v, "makeup_workdays")));
		char note[512];
		if (calendar_runs_out(v, f->day, note))
			printf("      note: %s\n", note);
	}
}

static int cmd_describe(int argc, char **argv, int summary)
{
	opts o = {0};
	int rc = parse_opts(argc, argv, &o, summary ? usage_info : usage_describe,
			    summary ? OPT_NOW : 0);
	if (rc < 0 && bad_now("info", o.now))
		rc = 2;
	if (rc < 0) {
		ot_rules *r = NULL;
		rc = compile(&o, &r, summary ? stdout : stderr);
		char *desc = rc == 0 ? ot_rules_describe(r) : NULL;
		if (desc && summary) {
			json_t *j = json_loads(desc, 0, NULL);
			in_force f;
			if (items_in_force(r, json_object_get(j, "items"), o.now, &f))
				info(j, &f, o.paths[0], ot_rules_hash(r));
			else {
				cli_errorf("onetrip info: out of memory\n");
				rc = 2;
			}
			json_decref(f.items);
			json_decref(j);
		} else if (desc)
			puts(desc);
		free(desc);
		ot_rules_free(r);
	}
	free(o.paths);
	return rc;
}

/* ---- case operations ---- */

int cmd_demo(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_serve(int argc, char **argv);

static const char *const case_ops[] = {"assess", "submit", "supplement", "act", "suspend",
				       "resume", "deliver", "withdraw", "show", "list",
				       "overdue", "accept", "refuse", "extend", "procedure_start",
				       "procedure_end", "pledge_check"};

/* The whole stream; *len its length (NUL bytes included). */
static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *p = malloc(cap);
	for (size_t got; p && (got = fread(p + n, 1, cap - n - 1, f)) > 0;) {
		n += got;
		if (n + 1 == cap) {
			char *q = realloc(p, cap *= 2);
			if (!q) {
				free(p);
				return NULL;
			}
			p = q;
		}
	}
	if (p)
		p[n] = 0;
	*len = n;
	return p;
}

/* A request with a NUL byte would be read only up to it, and the rest
 * (perhaps the field that mattered) silently dropped. */
static char *without_nul(char *t, size_t n, const char *from)
{
	if (t && memchr(t, 0, n)) {
		cli_errorf("onetrip: the request in %s holds a NUL byte\n", from);
		free(t);
		return NULL;
	}
	return t;
}

/* The request: inline JSON, a file, "-" or nothing for stdin (at a
 * terminal, nothing is {}), or for the operations on one case, a bare case
 * id. */
static char *request_text(const char *arg)
{
	struct stat st;
	size_t n = 0;
	if (arg && arg[0] == '{')
		return strdup(arg);
	if (arg && strcmp(arg, "-") && stat(arg, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return NULL; /* a directory is no request: "cannot read the request" */
		FILE *f = fopen(arg, "rb");
		char *t = f ? read_all(f, &n) : NULL;
		if (f)
			fclose(f);
		return without_nul(t, n, arg);
	}
	if (arg && strcmp(arg, "-")) {
		json_t *j = json_pack("{s:s}", "case", arg);
		char *t = json_dumps(j, 0);
		json_decref(j);
		return t;
	}
	if (isatty(STDIN_FILENO))
		return strdup("{}"); /* a person at a terminal, who gave no request */
	/* Nothing on a pipe or file is an upstream failure far more often than
	 * a wish for {}: taken as {}, `make_filter | onetrip list` whose
	 * make_filter failed would list every case, unfiltered, and exit 0.
	 * A script says '{}' when it means it. */
	char *t = without_nul(read_all(stdin, &n), n, "stdin");
	if (t && strspn(t, " \t\r\n") == strlen(t)) {
		cli_errorf("onetrip: stdin is empty: no request (give '{}' for an empty one)\n");
		free(t);
		return NULL;
	}
	return t;
}

/* Puts "now" into the request when it has none: --now, or the clock. */
/* --now is an option: a time that is not one is a usage error (2), told
 * before the engine opens, as a bad value of any other option. */
static int bad_now(const char *cmd, const char *now)
{
	ot_time t;
	if (!now || time_parse(now, OT_ZONE_DEFAULT, &t))
		return 0;
	cli_errorf("onetrip %s: --now takes a time such as 2019-10-08T09:00, not '%.40s'\n", cmd, now);
	return 1;
}

static char *with_now(const char *text, const char *now)
{
	/* a request the engine will refuse goes to it as it is */
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(j) || json_object_get(j, "now")) {
		json_decref(j);
		return strdup(text);
	}
	char clock[32];
	if (!now) {
		time_t t = time(NULL) + 8 * 3600; /* the rule base's zone, UTC+8 */
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(clock, sizeof clock, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
		now = clock;
	}
	json_object_set_new(j, "now", json_string(now));
	char *out = json_dumps(j, 0);
	json_decref(j);
	return out;
}

/* The operations that only read: on a store that is not there they are
 * refused (exit 2), not answered from a new, empty one -- `overdue` on a
 * mistyped --db would say "no case is overdue", a false all-clear.
 * assess reads too, but is what a newcomer runs first (README), before
 * any store exists: it makes one, as the writes do. */
static int reads_only(const char *op)
{
	static const char *const reads[] = {"show", "list", "overdue", "licences list"};
	for (size_t i = 0; i < sizeof reads / sizeof *reads; i++)
		if (strcmp(op, reads[i]) == 0)
			return 1;
	return 0;
}

static int cmd_case(const char *op, int argc, char **argv)
{
	const char *db = "var/onetrip.db", *rules = "rules", *now = NULL, *arg = NULL;
	for (int i = 0; i < argc; i++) {
		if (is_help(argv[i])) {
			printf("usage: onetrip %s [--db PATH] [--rules PATH] [--now TIME] [REQUEST]\n"
			       "REQUEST is inline JSON, a file, - (stdin) or a case id; see "
			       "docs/engine.md for its fields.\n%s", op, reads_only(op)
			       ? "It only reads: the store at --db must be there already.\n" : "");
			return 0;
		} else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db = argv[++i];
		else if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc)
			rules = argv[++i];
		else if (strcmp(argv[i], "--now") == 0 && i + 1 < argc)
			now = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1]) {
			cli_errorf("onetrip %s: unknown option '%s'\n", op, argv[i]);
			return 2;
		} else
			arg = argv[i];
	}
	if (bad_now(op, now))
		return 2;
	ot_engine_config c;
	ot_engine_config_init(&c);
	c.rules_path = rules;
	c.store = db;
	c.open_existing = reads_only(op);
	if (!c.open_existing && strcmp(db, ":memory:") && strchr(db, '/') && !strstr(db, "://")) {
		/* a file's, to be made */
		char dir[4096];
		snprintf(dir, sizeof dir, "%s", db);
		*strrchr(dir, '/') = 0;
		for (char *p = dir + 1; *p; p++) /* var/ on first use, every level */
			if (*p == '/') {
				*p = 0;
				mkdir(dir, 0777);
				*p = '/';
			}
		mkdir(dir, 0777);
	}
	char *text = request_text(arg);
	char *request = text ? with_now(text, now) : NULL;
	free(text);
	if (!request) {
		cli_errorf("onetrip %s: cannot read the request\n", op);
		return 2;
	}
	ot_engine *e = NULL;
	ot_error err = {OT_OK, ""};
	char *response = NULL;
	int rc = 0;
	/* "licences import" is the operation licences_import */
	const char *api = !strcmp(op, "licences import") ? "licences_import"
			: !strcmp(op, "licences list") ? "licences" : op;
	if (ot_engine_open_config(&c, &e, &err) != OT_OK) {
		cli_errorf("onetrip %s: %s\n", op, err.message);
		rc = 2;
	} else if (ot_call(e, api, request, &response, &err) != OT_OK) {
		cli_errorf("onetrip %s: %s\n", op, err.message);
		rc = err.status == OT_ESTORE || err.status == OT_ENOMEM ? 3 : 1;
	} else {
		json_t *j = json_loads(response, 0, NULL); /* every answer indented alike */
		char *pretty = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
		puts(pretty ? pretty : response);
		free(pretty);
		json_decref(j);
	}
	free(response);
	free(request);
	ot_engine_close(e);
	return rc;
}

static const char usage_sweep[] =
	"usage: onetrip sweep [--db PATH] [--rules PATH] [--now TIME] [--warn-workdays N]\n"
	"                     [--limit N]\n"
	"\n"
	"The time sweep (电子监察 预警): a case whose deadline (its due date, a step's,\n"
	"a step's legal one besides its promise, the acceptance decision's, a deferred\n"
	"material's, a pledge check's, a special procedure's maximum) is within N\n"
	"working days (--warn-workdays, default 1;\n"
	"-1: none) gets a yellow warning, one whose deadline has passed a red one,\n"
	"each once, as a `warn` event of the case.  Batches of --limit cases (100),\n"
	"one transaction each, until no case needs one; prints the warnings given.\n"
	"Several sweeps may run on one store at once (docs/engine.md §3.15).\n"
	"\n"
	"The store must be there already: a sweep makes none.\n"
	"\n"
	"exit status: 0 swept (a case that could not be read is listed in \"failed\"),\n"
	"             2 usage error, or the rules or the store could not be opened,\n"
	"             3 the store failed during the sweep: the warnings of the batches\n"
	"               done before are printed, with the \"error\" that stopped it\n";

/* Batches until none is left: one JSON answer with every warning. */
static int cmd_sweep(int argc, char **argv)
{
	ot_engine_config c;
	ot_engine_config_init(&c);
	c.rules_path = "rules";
	c.store = "var/onetrip.db";
	/* a sweep writes only warnings into cases there are: on a store that
	 * is not there it is a mistaken --db (a cron line sweeping nothing,
	 * every night), not the first use */
	c.open_existing = 1;
	const char *now = NULL;
	long limit = 100;
	for (int i = 0; i < argc; i++) {
		char *end = NULL;
		if (is_help(argv[i])) {
			fputs(usage_sweep, stdout);
			return 0;
		} else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			c.store = argv[++i];
		else if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc)
			c.rules_path = argv[++i];
		else if (strcmp(argv[i], "--now") == 0 && i + 1 < argc)
			now = argv[++i];
		else if (strcmp(argv[i], "--warn-workdays") == 0 && i + 1 < argc &&
			 (c.warn_workdays = (int)strtol(argv[i + 1], &end, 10), *end == 0))
			i++;
		else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc &&
			 (limit = strtol(argv[i + 1], &end, 10), *end == 0) && limit >= 1 && limit <= 1000)
			i++;
		else if (i + 1 < argc && (strcmp(argv[i], "--limit") == 0 ||
					  strcmp(argv[i], "--warn-workdays") == 0)) {
			cli_errorf("onetrip sweep: %s takes a whole number%s, not '%s'\n", argv[i],
				   argv[i][2] == 'l' ? " from 1 to 1000" : " (-1: no yellow warnings)",
				   argv[i + 1]);
			return 2;
		} else {
			cli_errorf("onetrip sweep: unknown option '%s'\n\n%s", argv[i], usage_sweep);
			return 2;
		}
	}
	if (bad_now("sweep", now))
		return 2;
	char *request = with_now("{}", now);
	json_t *req = request ? json_loads(request, 0, NULL) : NULL;
	free(request);
	request = NULL;
	json_object_set_new(req, "limit", json_integer(limit));
	ot_engine *e = NULL;
	ot_error err = {OT_OK, ""};
	json_t *all = json_pack("{s:O, s:i, s:i, s:[], s:[]}", "at", json_object_get(req, "now"),
				"claimed", 0, "batches", 0, "warnings", "failed");
	int rc = 0;
	if (!req || !all) {
		cli_errorf("onetrip sweep: out of memory\n");
		rc = 3;
	} else if (ot_engine_open_config(&c, &e, &err) != OT_OK) {
		/* as for every command: the engine could not open (rule base, store
		 * path) is 2; 3 is a store failing during the sweep */
		cli_errorf("onetrip sweep: %s\n", err.message);
		rc = 2;
	}
	for (int more = 1; rc == 0 && more;) {
		char *response = NULL;
		request = json_dumps(req, JSON_COMPACT);
		if (!request || ot_sweep(e, request, &response, &err) != OT_OK) {
			cli_errorf("onetrip sweep: %s\n", request ? err.message : "out of memory");
			/* the batches before were committed: their warnings are given
			 * and are printed, with what stopped the sweep */
			json_object_set_new(all, "error", json_string(request ? err.message
								      : "out of memory"));
			rc = 3;
			break;
		}
		free(request);
		request = NULL;
		json_t *b = json_loads(response, 0, NULL);
		free(response);
		more = json_is_true(json_object_get(b, "more"));
		json_object_set(req, "after", json_object_get(b, "next"));
		json_object_set(all, "at", json_object_get(b, "at"));
		json_object_set_new(all, "claimed", json_integer(json_integer_value(json_object_get(all,
			"claimed")) + json_integer_value(json_object_get(b, "claimed"))));
		json_object_set_new(all, "batches", json_integer(json_integer_value(json_object_get(all,
			"batches")) + 1));
		json_array_extend(json_object_get(all, "warnings"), json_object_get(b, "warnings"));
		json_array_extend(json_object_get(all, "failed"), json_object_get(b, "failed"));
		json_decref(b);
	}
	int done = json_integer_value(json_object_get(all, "batches")) > 0;
	char *text = rc == 0 || done ? json_dumps(all, JSON_INDENT(2)) : NULL;
	if (text)
		puts(text);
	free(text);
	json_decref(all);
	json_decref(req);
	free(request);
	ot_engine_close(e);
	return rc;
}

static const char usage_licences[] =
	"usage: onetrip licences import FILE.json [--db PATH] [--rules PATH]\n"
	"       onetrip licences list HOLDER [--db PATH] [--rules PATH]\n"
	"\n"
	"The electronic licence library (电子证照库) in the store: `source shared`\n"
	"materials whose data source has `provider \"NAME\" licences` are looked up\n"
	"there.  FILE.json is a list of licences:\n"
	"  [{\"holder\": \"91350100M000100Y43\", \"material\": \"business_licence\",\n"
	"    \"number\": \"210300000012345\", \"issuer\": \"鞍山市市场监督管理局\",\n"
	"    \"valid_from\": \"2020-03-01\", \"valid_until\": \"2040-02-29\"}]\n"
	"valid_until may be left out (valid until revoked).  An import is all or\n"
	"nothing: one bad licence and none is stored.\n";

/* ---- store check ---- */

static const char usage_store[] =
	"usage: onetrip store check [--json] PATH\n"
	"       onetrip store copy [--json] FROM TO\n"
	"\n"
	"PATH, FROM and TO are store URIs: sqlite:FILE (or a bare FILE), or\n"
	"postgresql://USER@HOST:PORT/DATABASE (libpq's URI; schema=NAME puts the\n"
	"tables in that schema).\n"
	"\n"
	"copy: copies every rule version, case, event, library entry, licence,\n"
	"case counter and idempotency key of FROM into TO, which must be new or\n"
	"empty, in one transaction; then compares the number of rows of every\n"
	"table and replays every case of TO.  FROM is not changed.\n"
	"\n"
	"check: checks a store on its own (no rule base needed; nothing is\n"
	"changed): SQLite's integrity and foreign key checks (PostgreSQL keeps its\n"
	"own), every stored rule version compiled back from its sources, every\n"
	"case replayed from its events and\n"
	"compared with the snapshot that list and overdue read.  Every problem is\n"
	"listed, by case where it concerns one.\n"
	"\n"
	"  --json   print the report as JSON\n"
	"\n"
	"exit status: 0 the store is sound (copy: copied and verified),\n"
	"             1 problems were found, 2 usage error, or the file is missing or\n"
	"             not a onetrip store (copy: TO is not empty), 3 the check itself\n"
	"             failed (out of memory; copy: a store failed, nothing copied)\n";

static void print_report(json_t *r)
{
	json_t *problems = json_object_get(r, "problems");
	size_t n = json_array_size(problems), i;
	long long more = (long long)json_integer_value(json_object_get(r, "more_problems"));
	const char *path = json_string_value(json_object_get(r, "store"));
	if (json_is_true(json_object_get(r, "sound"))) {
		long long v = (long long)json_integer_value(json_object_get(r, "rule_versions"));
		long long c = (long long)json_integer_value(json_object_get(r, "cases"));
		long long ev = (long long)json_integer_value(json_object_get(r, "events"));
		printf("store %s: sound\n  %lld rule version%s, %lld case%s, %lld event%s; integrity, "
		       "references and snapshots ok\n", path, v, v == 1 ? "" : "s", c,
		       c == 1 ? "" : "s", ev, ev == 1 ? "" : "s");
		return;
	}
	long long total = (long long)n + more;
	printf("store %s: %lld problem%s\n", path, total, total == 1 ? "" : "s");
	json_t *p;
	json_array_foreach(problems, i, p) {
		const char *id = json_string_value(json_object_get(p, "case"));
		printf("  %s%s%s%s\n", id ? "case " : "", id ? id : "", id ? ": " : "",
		       json_string_value(json_object_get(p, "problem")));
	}
	if (more)
		printf("  … and %lld more\n", more);
	printf("the store is damaged: keep the file as it is and restore the latest backup "
	       "(docs/engine.md, \"A damaged store\")\n");
}

/* onetrip store copy [--json] FROM TO */
static int store_copy(int argc, char **argv)
{
	const char *from = NULL, *to = NULL;
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			fputs(usage_store, stdout);
			return 0;
		} else if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (argv[i][0] == '-' || (from && to)) {
			cli_errorf("onetrip store copy: unexpected '%s'\n\n%s", argv[i], usage_store);
			return 2;
		} else if (!from)
			from = argv[i];
		else
			to = argv[i];
	}
	if (!to) {
		cli_errorf("onetrip store copy: from which store to which?\n\n%s", usage_store);
		return 2;
	}
	char *text = NULL;
	ot_error err = {OT_OK, ""};
	if (ot_store_copy(from, to, &text, &err) != OT_OK) {
		cli_errorf("onetrip store copy: %s\n", err.message);
		/* the wrong target, not a failing store */
		return strstr(err.message, "is not empty") ||
		       strstr(err.message, "is not a onetrip store") ? 2 : 3;
	}
	json_t *r = json_loads(text, 0, NULL), *tables = json_object_get(r, "tables");
	/* the tables as the answer counts them, as a person would say them */
	static const char *const counted[][3] = {
		{"rule_versions", "rule version", "rule versions"}, {"cases", "case", "cases"},
		{"events", "event", "events"},  {"library", "library entry", "library entries"},
		{"licences", "licence", "licences"}, {"counters", "case counter", "case counters"},
	};
	if (json)
		puts(text);
	else {
		printf("copied %s to %s:", json_string_value(json_object_get(r, "from")),
		       json_string_value(json_object_get(r, "to")));
		for (size_t i = 0; i < sizeof counted / sizeof *counted; i++) {
			long long n = (long long)json_integer_value(json_object_get(tables, counted[i][0]));
			printf("%s %lld %s", i ? "," : "", n, counted[i][n == 1 ? 1 : 2]);
		}
		puts("; verified: the same rows, every case replayed");
	}
	json_decref(r);
	free(text);
	return 0;
}

static int cmd_store(int argc, char **argv)
{
	const char *path = NULL;
	int json = 0;
	if (argc >= 1 && strcmp(argv[0], "copy") == 0)
		return store_copy(argc, argv);
	if (argc < 1 || is_help(argv[0]) || strcmp(argv[0], "check") != 0) {
		int help = argc >= 1 && is_help(argv[0]);
		if (argc >= 1 && !help)
			cli_errorf("onetrip store: unknown command '%s'\n\n", argv[0]);
		fputs(usage_store, help ? stdout : stderr);
		return help ? 0 : 2;
	}
	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			fputs(usage_store, stdout);
			return 0;
		} else if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc && !path)
			path = argv[++i];
		else if (argv[i][0] == '-' || path) {
			cli_errorf("onetrip store check: unexpected '%s'\n\n%s", argv[i], usage_store);
			return 2;
		} else
			path = argv[i];
	}
	if (!path) {
		cli_errorf("onetrip store check: which store?\n\n%s", usage_store);
		return 2;
	}
	char *text = NULL;
	ot_error err = {OT_OK, ""};
	if (ot_store_check(path, &text, &err) != OT_OK) {
		cli_errorf("onetrip store check: %s\n", err.message);
		return err.status == OT_ENOMEM ? 3 : 2;
	}
	json_t *r = json_loads(text, 0, NULL);
	if (json)
		puts(text);
	else
		print_report(r);
	int rc = json_is_true(json_object_get(r, "sound")) ? 0 : 1;
	json_decref(r);
	free(text);
	return rc;
}

/* onetrip licences import|list: a request built from the arguments, then
 * the same path as every case operation. */
static int cmd_licences(int argc, char **argv)
{
	if (argc < 1 || is_help(argv[0])) {
		fputs(usage_licences, argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	int import = strcmp(argv[0], "import") == 0;
	if (!import && strcmp(argv[0], "list") != 0) {
		cli_errorf("onetrip licences: unknown command '%s'\n\n%s", argv[0], usage_licences);
		return 2;
	}
	char **rest = calloc((size_t)argc + 1, sizeof *rest);
	const char *what = NULL;
	int n = 0;
	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "--db") || !strcmp(argv[i], "--rules")) && i + 1 < argc) {
			rest[n++] = argv[i];
			rest[n++] = argv[++i];
		} else if (argv[i][0] == '-' || what) {
			rest[n++] = argv[i]; /* cmd_case explains */
		} else
			what = argv[i];
	}
	json_t *req = NULL;
	if (!what)
		cli_errorf("onetrip licences %s: which %s?\n", argv[0], import ? "file" : "holder");
	else if (!import)
		req = json_pack("{s:s}", "holder", what);
	else {
		json_error_t je;
		json_t *list = json_load_file(what, JSON_REJECT_DUPLICATES, &je);
		if (!list && je.line < 1) /* not read at all: no place to name */
			cli_errorf("onetrip licences import: %s\n", je.text);
		else if (!list) /* je.text quotes the file near the error */
			cli_errorf("%s:%d:%d: %s\n", what, je.line, je.column, je.text);
		else
			req = json_is_array(list) ? json_pack("{s:o}", "licences", list) : list;
	}
	char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	int rc = 2;
	if (text) {
		rest[n++] = text;
		rc = cmd_case(import ? "licences import" : "licences list", n, rest);
	}
	free(text);
	free(rest);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_main, stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (is_help(cmd) || strcmp(cmd, "help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("onetrip %s\n", OT_VERSION);
		return 0;
	}
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 2, argv + 2);
	if (strcmp(cmd, "info") == 0)
		return cmd_describe(argc - 2, argv + 2, 1);
	if (strcmp(cmd, "describe") == 0)
		return cmd_describe(argc - 2, argv + 2, 0);
	if (strcmp(cmd, "demo") == 0)
		return cmd_demo(argc - 2, argv + 2);
	if (strcmp(cmd, "test") == 0)
		return cmd_test(argc - 2, argv + 2);
	if (strcmp(cmd, "licences") == 0)
		return cmd_licences(argc - 2, argv + 2);
	if (strcmp(cmd, "store") == 0)
		return cmd_store(argc - 2, argv + 2);
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(argc - 2, argv + 2);
	if (strcmp(cmd, "sweep") == 0)
		return cmd_sweep(argc - 2, argv + 2);
	for (size_t i = 0; i < sizeof case_ops / sizeof *case_ops; i++)
		if (strcmp(cmd, case_ops[i]) == 0)
			return cmd_case(cmd, argc - 2, argv + 2);
	cli_errorf("onetrip: unknown command '%s'\n\n%s", cmd, usage_main);
	return 2;
}
