/*
 * The store under damage and under concurrency: every kind of damage the
 * engine can meet is an OT_ESTORE that names the file and points to
 * `onetrip store check`, never an empty answer; the check names each
 * damaged case; several processes opening a new store at once all get in.
 */
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine_helpers.h"

static const char *CONTRACT = OT_SOURCE_DIR "/tests/contract/rules/contract.rules";

#define COMPANY "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"鞍山市立山建设有限公司\"}"
#define SCHOOL(now) \
	"{\"item\":\"construction_permit\",\"channel\":\"online\",\"now\":\"" now "\"," \
	"\"applicant\":" COMPANY ",\"form\":{\"name\":\"x\",\"area\":5400,\"height\":18," \
	"\"government_funded\":true,\"contractor\":\"91350100M000100Y43\",\"kind\":\"public\"}," \
	"\"materials\":[\"land_cert\",\"drawings\",\"fire_review\"]}"
#define INTAKE(id, now) \
	"{\"case\":\"" id "\",\"step\":\"intake\",\"action\":\"approve\"," \
	"\"actor\":\"approval_bureau.investment\",\"now\":\"" now "\"}"

typedef struct store {
	char dir[256], path[300];
} store;

/* A store with three cases in progress; 0001 has two events. */
static void store_build(store *s)
{
	test_tmpdir("store", s->dir, sizeof s->dir);
	snprintf(s->path, sizeof s->path, "%s/store.db", s->dir);
	ot_engine *e = open_at(CONTRACT, s->path);
	json_decref(ok(e, "submit", SCHOOL("2019-09-27T09:00")));
	json_decref(ok(e, "submit", SCHOOL("2019-09-27T09:10")));
	json_decref(ok(e, "submit", SCHOOL("2019-09-27T09:20")));
	json_decref(ok(e, "act", INTAKE("20190927-0001", "2019-09-29T10:00")));
	ot_engine_close(e);
}

static void store_free(store *s)
{
	remove_store(s->path);
	rmdir(s->dir);
}

/* Damages the store with SQL, as a faulty disk or a careless hand would. */
static void damage(const store *s, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(s->path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		fail();
	}
	sqlite3_close(db);
}

/* op is refused with OT_ESTORE, naming the store, the damage and the check. */
static void damaged(ot_engine *e, const store *s, const char *op, const char *req,
		    const char *needle)
{
	char *resp = NULL, advice[400];
	ot_error err;
	ot_status st = ot_call(e, op, req, &resp, &err);
	snprintf(advice, sizeof advice, "run `onetrip store check %s`", s->path);
	if (st != OT_ESTORE || !strstr(err.message, needle) || !strstr(err.message, advice)) {
		fprintf(stderr, "%s: wanted OT_ESTORE with '%s' and the advice, got %s: %s\n", op,
			needle, ot_status_name(st), st ? err.message : resp);
		fail();
	}
	assert_null(resp);
}

/* The check's report (through ot_store_check, the store alone). */
static json_t *check(const store *s)
{
	char *text = NULL;
	ot_error err;
	if (ot_store_check(s->path, &text, &err) != OT_OK) {
		fprintf(stderr, "%s\n", err.message);
		fail();
	}
	json_t *r = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(r);
	return r;
}

/* The report has a problem for case `id` (NULL: any) containing needle. */
static void names(json_t *report, const char *id, const char *needle)
{
	size_t i;
	json_t *p;
	assert_true(json_is_false(json_object_get(report, "sound")));
	json_array_foreach(json_object_get(report, "problems"), i, p)
		if ((!id || !strcmp(S(p, "case"), id)) && strstr(S(p, "problem"), needle))
			return;
	char *text = json_dumps(report, JSON_INDENT(2));
	fprintf(stderr, "no problem for %s with '%s' in:\n%s\n", id ? id : "the store", needle, text);
	free(text);
	fail();
}

static size_t listed(ot_engine *e)
{
	json_t *l = ok(e, "list", "{}");
	size_t n = json_array_size(json_object_get(l, "cases"));
	json_decref(l);
	return n;
}

/* ---- a sound store ---- */

static void a_sound_store_passes(void **state)
{
	(void)state;
	store s;
	store_build(&s);
	json_t *r = check(&s);
	assert_true(json_is_true(json_object_get(r, "sound")));
	assert_int_equal(json_integer_value(json_object_get(r, "cases")), 3);
	assert_int_equal(json_integer_value(json_object_get(r, "events")), 4);
	assert_int_equal(json_integer_value(json_object_get(r, "rule_versions")), 1);
	assert_int_equal(json_array_size(json_object_get(r, "problems")), 0);
	json_decref(r);
	/* the same check on an open engine, as an operation */
	ot_engine *e = open_at(CONTRACT, s.path);
	r = ok(e, "store_check", "{}");
	assert_true(json_is_true(json_object_get(r, "sound")));
	assert_int_equal(json_integer_value(json_object_get(r, "cases")), 3);
	json_decref(r);
	ot_engine_close(e);
	store_free(&s);
}

/* ---- damage the operations meet ---- */

static void an_event_that_is_not_json(void **state)
{
	(void)state;
	store s;
	store_build(&s);
	damage(&s, "UPDATE events SET payload = '{\"op\":\"act\",' WHERE case_id = '20190927-0001'"
		   " AND seq = 2");
	ot_engine *e = open_at(CONTRACT, s.path);
	damaged(e, &s, "show", "{\"case\":\"20190927-0001\"}", "case 20190927-0001: event 2 is not JSON");
	damaged(e, &s, "act", "{\"case\":\"20190927-0001\",\"step\":\"review\",\"action\":\"approve\","
		"\"actor\":\"approval_bureau\",\"now\":\"2019-09-30T10:00\"}", "event 2 is not JSON");
	/* the rest of the store answers */
	json_decref(ok(e, "show", "{\"case\":\"20190927-0002\"}"));
	assert_int_equal(listed(e), 3);
	ot_engine_close(e);
	json_t *r = check(&s);
	names(r, "20190927-0001", "event 2 is not JSON");
	assert_int_equal(json_array_size(json_object_get(r, "problems")), 1);
	json_decref(r);
	store_free(&s);
}

static void a_snapshot_that_is_not_json(void **state)
{
	(void)state;
	store s;
	store_build(&s);
	damage(&s, "UPDATE cases SET state = x'7b226964223a00' WHERE id = '20190927-0002'");
	ot_engine *e = open_at(CONTRACT, s.path);
	damaged(e, &s, "list", "{}", "the snapshot of case 20190927-0002 is not JSON");
	damaged(e, &s, "overdue", "{\"now\":\"2019-12-01T09:00\"}", "case 20190927-0002");
	/* show replays the events: it does not need the snapshot */
	json_decref(ok(e, "show", "{\"case\":\"20190927-0002\"}"));
	ot_engine_close(e);
	json_t *r = check(&s);
	names(r, "20190927-0002", "the snapshot (cases.state) is not JSON");
	json_decref(r);
	store_free(&s);
}

static void a_missing_event(void **state)
{
	(void)state;
	store s;
	store_build(&s);
	damage(&s, "DELETE FROM events WHERE case_id = '20190927-0001' AND seq = 1");
	ot_engine *e = open_at(CONTRACT, s.path);
	damaged(e, &s, "show", "{\"case\":\"20190927-0001\"}", "event 1 is missing");
	ot_engine_close(e);
	json_t *r = check(&s);
	names(r, "20190927-0001", "event 1 is missing");
	json_decref(r);
	/* and a case with none at all */
	damage(&s, "DELETE FROM events WHERE case_id = '20190927-0002'");
	e = open_at(CONTRACT, s.path);
	damaged(e, &s, "show", "{\"case\":\"20190927-0002\"}", "case 20190927-0002 has no events");
	ot_engine_close(e);
	store_free(&s);
}

static void events_without_their_case(void **state)
{
	(void)state;
	store s;
	store_build(&s);
	damage(&s, "DELETE FROM library; DELETE FROM cases WHERE id = '20190927-0001'");
	ot_engine *e = open_at(CONTRACT, s.path);
	/* not "there is no case": it had one */
	damaged(e, &s, "act", INTAKE("20190927-0001", "2019-09-30T10:00"),
		"case 20190927-0001 has events but no row in the cases table");
	damaged(e, &s, "show", "{\"case\":\"20190927-0001\"}", "has events but no row");
	refused(e, "show", OT_ENOTFOUND, "there is no case '20190927-0009'", "{\"case\":\"20190927-0009\"}");
	ot_engine_close(e);
	json_t *r = check(&s);
	names(r, "20190927-0001", "it has events but no row in the cases table");
	names(r, NULL, "of table events refers to a row of cases that is not there");
	json_decref(r);
	store_free(&s);
}

static void a_snapshot_that_drifted(void **state)
{
	(void)state;
	store s;
	store_build(&s);
	/* list reads the columns and the snapshot: only the check can tell */
	damage(&s, "UPDATE cases SET status = 'approved', due = '2000-01-01' WHERE id = '20190927-0003';"
		   "UPDATE cases SET state = json_set(state, '$.trips', 7) WHERE id = '20190927-0002';"
		   "UPDATE counters SET n = 2");
	json_t *r = check(&s);
	names(r, "20190927-0003", "its status column says approved, its events in_progress");
	names(r, "20190927-0003", "its due column says 2000-01-01, its events 2019-10-12");
	names(r, "20190927-0002", "differs from its 1 events in: trips");
	names(r, NULL, "the case counter of 20190927 is 2, but case 20190927-0003 exists");
	assert_int_equal(json_array_size(json_object_get(r, "problems")), 4);
	json_decref(r);
	store_free(&s);
}

static void a_rule_version_that_does_not_compile(void **state)
{
	(void)state;
	store s;
	store_build(&s);
	damage(&s, "UPDATE rule_versions SET sources = '{\"roots\": []}'");
	json_t *r = check(&s);
	names(r, NULL, "its stored sources compile to another version, e3b0c44298fc");
	json_decref(r);
	damage(&s, "UPDATE rule_versions SET sources = 'garbage'");
	r = check(&s);
	names(r, NULL, "its stored sources are not the sources of a rule base");
	/* alone, the check compiles each case's version from the store */
	names(r, "20190927-0001", "does not compile back to itself");
	json_decref(r);
	store_free(&s);
}

/* A page of the cases table overwritten: list fails, and so does every
 * case on that page; the check names the page and the case. */
static void an_overwritten_page(void **state)
{
	(void)state;
	store s;
	store_build(&s);
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(s.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT rootpage FROM sqlite_schema WHERE name = 'cases'",
					    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long page = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	FILE *f = fopen(s.path, "r+b");
	assert_non_null(f);
	char garbage[4096];
	for (size_t i = 0; i < sizeof garbage; i++)
		garbage[i] = (char)(i * 7919 % 251);
	fseek(f, (page - 1) * 4096, SEEK_SET);
	assert_int_equal(fwrite(garbage, 1, sizeof garbage, f), sizeof garbage);
	fclose(f);
	ot_engine *e = open_at(CONTRACT, s.path);
	damaged(e, &s, "list", "{}", "is damaged (database disk image is malformed) while listing cases");
	damaged(e, &s, "overdue", "{\"now\":\"2019-12-01T09:00\"}", "malformed");
	damaged(e, &s, "show", "{\"case\":\"20190927-0002\"}", "while reading case 20190927-0002");
	damaged(e, &s, "act", INTAKE("20190927-0002", "2019-09-30T10:00"), "malformed");
	ot_engine_close(e);
	json_t *r = check(&s);
	char line[64];
	snprintf(line, sizeof line, "SQLite integrity: Page %ld", page);
	names(r, NULL, line);
	names(r, "20190927-0002", "its row cannot be read");
	json_decref(r);
	store_free(&s);
}

/* ---- files that are no store ---- */

static void not_a_store(void **state)
{
	(void)state;
	store s;
	test_tmpdir("store", s.dir, sizeof s.dir);
	snprintf(s.path, sizeof s.path, "%s/store.db", s.dir);
	char *text = NULL;
	ot_error err;
	/* no file: the check says so, and creates none */
	assert_int_equal(ot_store_check(s.path, &text, &err), OT_ESTORE);
	assert_non_null(strstr(err.message, "cannot open the store"));
	assert_null(text);
	assert_int_equal(access(s.path, F_OK), -1);
	/* a file that is not a database: opening fails clearly, the check
	 * reports it as unsound */
	FILE *f = fopen(s.path, "wb");
	assert_non_null(f);
	for (int i = 0; i < 2000; i++)
		fputs("not a database ", f);
	fclose(f);
	ot_engine *e = NULL;
	assert_int_equal(ot_engine_open(CONTRACT, s.path, &e, &err), OT_ESTORE);
	assert_null(e);
	assert_non_null(strstr(err.message, "is damaged (file is not a database)"));
	assert_non_null(strstr(err.message, "onetrip store check"));
	json_t *r = check(&s);
	names(r, NULL, "its first page (the header and the list of tables) is damaged");
	json_decref(r);
	/* a database of something else */
	remove_store(s.path);
	damage(&s, "CREATE TABLE t(x)");
	assert_int_equal(ot_store_check(s.path, &text, &err), OT_ESTORE);
	assert_non_null(strstr(err.message, "is not a onetrip store"));
	store_free(&s);
}

/* A store of another schema version: the check does not migrate it. */
static void other_schema_versions(void **state)
{
	(void)state;
	store s;
	store_build(&s);
	char *text = NULL, want[400];
	ot_error err;
	ot_engine *e = NULL;
	damage(&s, "PRAGMA user_version = 11");
	snprintf(want, sizeof want, "the store %s was written by a newer onetrip (schema 11, this one "
		 "knows 10)", s.path);
	assert_int_equal(ot_engine_open(CONTRACT, s.path, &e, &err), OT_ESTORE);
	assert_string_equal(err.message, want);
	assert_int_equal(ot_store_check(s.path, &text, &err), OT_ESTORE);
	assert_string_equal(err.message, want);
	damage(&s, "DROP TABLE licences; DROP INDEX cases_next_due; ALTER TABLE cases DROP COLUMN "
	       "next_due; DROP INDEX cases_warn_at; ALTER TABLE cases DROP COLUMN warn_at; "
	       "PRAGMA user_version = 1");
	assert_int_equal(ot_store_check(s.path, &text, &err), OT_ESTORE);
	assert_non_null(strstr(err.message, "has schema version 1: open it once with this onetrip"));
	/* opening it brings it forward; then it checks */
	ot_engine_close(open_at(CONTRACT, s.path));
	json_t *r = check(&s);
	assert_true(json_is_true(json_object_get(r, "sound")));
	json_decref(r);
	store_free(&s);
}

/* ---- several processes opening a new store ---- */

/* Opens the store once the parent closes the pipe; exits 0 if it could. */
static void opener(const char *path, int gate)
{
	char c;
	ot_engine *e = NULL;
	ot_error err;
	while (read(gate, &c, 1) > 0)
		;
	int bad = ot_engine_open(CONTRACT, path, &e, &err) != OT_OK;
	if (bad)
		fprintf(stderr, "open: %s\n", err.message);
	ot_engine_close(e);
	_exit(bad);
}

static void processes_open_a_new_store_at_once(void **state)
{
	(void)state;
	enum { ROUNDS = 25, KIDS = 8 };
	store s;
	test_tmpdir("store", s.dir, sizeof s.dir);
	snprintf(s.path, sizeof s.path, "%s/store.db", s.dir);
	int failed = 0;
	for (int round = 0; round < ROUNDS; round++) {
		remove_store(s.path);
		int gate[2];
		pid_t kids[KIDS];
		assert_int_equal(pipe(gate), 0);
		for (int k = 0; k < KIDS; k++) {
			kids[k] = fork();
			assert_true(kids[k] >= 0);
			if (kids[k] == 0) {
				close(gate[1]);
				opener(s.path, gate[0]);
			}
		}
		close(gate[0]);
		close(gate[1]); /* all of them at once */
		for (int k = 0; k < KIDS; k++) {
			int status;
			waitpid(kids[k], &status, 0);
			failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
		}
	}
	assert_int_equal(failed, 0);
	json_t *r = check(&s);
	assert_true(json_is_true(json_object_get(r, "sound")));
	assert_int_equal(json_integer_value(json_object_get(r, "rule_versions")), 1);
	json_decref(r);
	store_free(&s);
}

/* Bringing a store to schema 3 reads every snapshot for its due dates: one
 * that is not JSON does not stop the store from opening; store check names
 * it. */
static void migrating_past_a_damaged_snapshot(void **state)
{
	(void)state;
	store s;
	store_build(&s);
	damage(&s, "DROP INDEX cases_next_due; ALTER TABLE cases DROP COLUMN next_due; "
	       "DROP INDEX cases_warn_at; ALTER TABLE cases DROP COLUMN warn_at; "
	       "ALTER TABLE licences DROP COLUMN term_until; "
	       "PRAGMA user_version = 2; UPDATE cases SET state = '{broken' WHERE id = '20190927-0002'");
	ot_engine_close(open_at(CONTRACT, s.path));
	json_t *r = check(&s);
	assert_false(json_is_true(json_object_get(r, "sound")));
	char *text = json_dumps(r, 0);
	assert_non_null(strstr(text, "20190927-0002"));
	free(text);
	json_decref(r);
	store_free(&s);
}

/* The value of one column of one row, as text ("NULL" when there is none). */
static void column_of(const store *s, const char *sql, char *out, size_t cap)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(s->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const unsigned char *t = sqlite3_column_text(st, 0);
	snprintf(out, cap, "%s", t ? (const char *)t : "NULL");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Bringing a store to schema 5 (the time sweep's warn_at): the day depends
 * on each item's calendar, which only the engine knows, so every open case
 * is due for the first sweep; it writes each one's day, and a warning
 * comes only for the case that needs one. */
static void version_4_is_due_for_the_first_sweep(void **state)
{
	(void)state;
	store s;
	store_build(&s);
	damage(&s, "DROP INDEX cases_warn_at; ALTER TABLE cases DROP COLUMN warn_at; "
	       "ALTER TABLE licences DROP COLUMN term_until; PRAGMA user_version = 4");
	ot_engine *e = open_at(CONTRACT, s.path);
	char day[64];
	column_of(&s, "SELECT group_concat(quote(warn_at)) FROM cases", day, sizeof day);
	assert_string_equal(day, "'','',''");
	/* 09-30: 0001's review (from 09-29, 3 workdays) is not near; the
	 * others' intake (due 09-29) has passed */
	json_t *a = ok(e, "sweep", "{\"now\":\"2019-09-30T09:00\"}");
	assert_int_equal(json_integer_value(json_object_get(a, "claimed")), 3);
	assert_int_equal(json_array_size(json_object_get(a, "warnings")), 2);
	json_decref(a);
	column_of(&s, "SELECT warn_at FROM cases WHERE id = '20190927-0001'", day, sizeof day);
	assert_string_equal(day, "2019-10-08"); /* review due 10-09: yellow from 10-08 */
	a = ok(e, "sweep", "{\"now\":\"2019-09-30T09:30\"}");
	assert_int_equal(json_integer_value(json_object_get(a, "claimed")), 0);
	json_decref(a);
	ot_engine_close(e);
	json_t *r = check(&s);
	assert_true(json_is_true(json_object_get(r, "sound")));
	json_decref(r);
	store_free(&s);
}

/* Bringing a store to schema 7: a licence is keyed by its holder, so two
 * holders may hold one number; and the applicant columns are keyed as
 * requests are read, so a number typed ...y43 before is found as ...Y43. */
static void version_6_keys_by_holder(void **state)
{
	(void)state;
	store s;
	store_build(&s);
	damage(&s, "DROP TABLE licences; CREATE TABLE licences(holder TEXT NOT NULL, material TEXT"
	       " NOT NULL, number TEXT NOT NULL, issuer TEXT NOT NULL, valid_from INTEGER NOT NULL,"
	       " valid_until INTEGER, case_id TEXT, PRIMARY KEY(material, number));"
	       " CREATE INDEX licences_holder ON licences(holder, material);"
	       " INSERT INTO licences VALUES ('91350100M000100Y43', 'license', 'L-1', 'x', 0, NULL,"
	       " NULL); UPDATE cases SET applicant = lower(applicant);"
	       " UPDATE library SET applicant = lower(applicant); PRAGMA user_version = 6");
	ot_engine *e = open_at(CONTRACT, s.path);
	char text[256];
	column_of(&s, "SELECT group_concat(DISTINCT applicant) FROM cases", text, sizeof text);
	assert_string_equal(text, "91350100M000100Y43");
	column_of(&s, "SELECT group_concat(DISTINCT applicant) FROM library", text, sizeof text);
	assert_string_equal(text, "91350100M000100Y43");
	json_t *l = ok(e, "list", "{\"applicant\":\"91350100m000100y43\"}");
	assert_int_equal(json_array_size(json_object_get(l, "cases")), 3);
	json_decref(l);
	json_decref(ok(e, "licences_import", "{\"licences\":[{\"holder\":\"91210302MA0Y8K3L12\","
		       "\"material\":\"license\",\"number\":\"L-1\",\"issuer\":\"y\","
		       "\"valid_from\":\"2019-01-01\"}]}"));
	column_of(&s, "SELECT count(*) || ' ' || group_concat(holder) FROM licences WHERE number = 'L-1'",
		  text, sizeof text);
	assert_string_equal(text, "2 91210302MA0Y8K3L12,91350100M000100Y43");
	ot_engine_close(e);
	json_t *r = check(&s);
	assert_true(json_is_true(json_object_get(r, "sound")));
	json_decref(r);
	store_free(&s);
}

/* A warn_at column that lost its day: the time sweep would never warn the
 * case, and store check says so. */
static void a_lost_warn_at(void **state)
{
	(void)state;
	store s;
	store_build(&s);
	damage(&s, "UPDATE cases SET warn_at = NULL WHERE id = '20190927-0002'");
	json_t *r = check(&s);
	assert_false(json_is_true(json_object_get(r, "sound")));
	names(r, "20190927-0002", "its warn_at column (which the time sweep reads) says nothing, "
	      "but a warning of its events is due by 2019-09-30");
	json_decref(r);
	store_free(&s);
}

/* ---- what the events put beside them: a careless hand in the tables ---- */

/* The problems of the report, one a line, for a failing test to show. */
static int problems_are(json_t *report, size_t n)
{
	size_t got = json_array_size(json_object_get(report, "problems"));
	if (got != n) {
		char *text = json_dumps(report, JSON_INDENT(2));
		fprintf(stderr, "wanted %zu problems, got:\n%s\n", n, text);
		free(text);
	}
	return got == n;
}

/* The event feed reads the events' columns, show the payload: columns
 * changed by hand would show one thing in the feed and another in show. */
static void event_columns_that_differ_from_their_payload(void **state)
{
	(void)state;
	store s;
	store_build(&s);
	damage(&s, "UPDATE events SET actor = 'someone_else', op = 'deny' WHERE case_id ="
	       " '20190927-0001' AND seq = 2;"
	       "UPDATE events SET at = '2019-09-27T08:00:00+08:00' WHERE case_id = '20190927-0003'");
	json_t *r = check(&s);
	names(r, "20190927-0001", "event 2 differs from its payload in the columns the event feed "
	      "shows: op deny (the event: act), actor someone_else (the event: "
	      "approval_bureau.investment)");
	names(r, "20190927-0003", "event 1 differs from its payload in the columns the event feed "
	      "shows: at 2019-09-27T08:00:00+08:00 (the event: 2019-09-27T09:20:00+08:00)");
	assert_true(problems_are(r, 2));
	json_decref(r);
	store_free(&s);
}

/* A day's numbers are given out without gaps (a rolled back operation
 * takes its number back): a number no case has is a case removed. */
static void a_removed_case(void **state)
{
	(void)state;
	store s;
	store_build(&s);
	damage(&s, "DELETE FROM library WHERE case_id = '20190927-0002';"
	       "DELETE FROM events WHERE case_id = '20190927-0002';"
	       "DELETE FROM cases WHERE id = '20190927-0002'");
	json_t *r = check(&s);
	names(r, "20190927-0002", "no case has this number (no row, no event), though a day's "
	      "numbers are given out without gaps: the day's counter is at 3; the case was removed "
	      "from the store");
	assert_true(problems_are(r, 1));
	json_decref(r);
	/* the last ones, or a counter set forward; a day of no case left */
	damage(&s, "UPDATE counters SET n = 5; INSERT INTO counters VALUES ('20190928', 2)");
	r = check(&s);
	names(r, NULL, "no case has the numbers 20190927-0004 to 20190927-0005 (no row, no event), "
	      "though a day's numbers are given out without gaps: the day's counter is at 5; 2 "
	      "cases were removed from the store, or the counter set forward");
	names(r, NULL, "no case has the numbers 20190928-0001 to 20190928-0002");
	assert_true(problems_are(r, 3));
	json_decref(r);
	store_free(&s);
}

static const char *KEEP = OT_SOURCE_DIR "/tests/data/licences/keep.rules";
#define SHOP "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"鞍山市立山商贸有限公司\"}"
#define KEEP_APP(item, now, name) \
	"{\"item\":\"" item "\",\"now\":\"" now "\",\"applicant\":" SHOP "," \
	"\"form\":{\"name\":\"" name "\"},\"materials\":[\"plan\"]}"
#define DECIDE(id, now) "{\"case\":\"" id "\",\"step\":\"decide\",\"action\":\"approve\"," \
	"\"actor\":\"bureau\",\"now\":\"" now "\"}"

/* keep.rules: pp (20190902-0001) issues pdoc for a year unless cdoc, which
 * cp (20190903-0001) issues on it: kept, with no end; a second pp
 * (20190903-0002), its pledge found untrue: revoked the next day. */
static void licence_store_build(store *s)
{
	test_tmpdir("store", s->dir, sizeof s->dir);
	snprintf(s->path, sizeof s->path, "%s/store.db", s->dir);
	ot_engine *e = open_at(KEEP, s->path);
	json_decref(ok(e, "submit", KEEP_APP("pp", "2019-09-02T09:00", "厂房")));
	json_decref(ok(e, "act", DECIDE("20190902-0001", "2019-09-02T10:00")));
	json_decref(ok(e, "submit", KEEP_APP("cp", "2019-09-03T09:00", "厂房")));
	json_decref(ok(e, "act", DECIDE("20190903-0001", "2019-09-03T10:00")));
	json_decref(ok(e, "submit", KEEP_APP("pp", "2019-09-03T11:00", "仓库")));
	json_decref(ok(e, "act", DECIDE("20190903-0002", "2019-09-03T12:00")));
	json_decref(ok(e, "pledge_check", "{\"case\":\"20190903-0002\",\"result\":\"untrue\","
		       "\"actor\":\"bureau\",\"reason\":\"检测报告不实\",\"now\":\"2019-09-04T09:00\"}"));
	ot_engine_close(e);
}

/* What each approval issued, kept and revoked is in its events: a licence
 * of the library changed by hand is named, by the case that issued it. */
static void licences_that_differ_from_their_approvals(void **state)
{
	(void)state;
	static const struct {
		const char *sql, *id, *problem;
	} cases[] = {
		{"UPDATE licences SET holder = '91210302MA0Y8K3L12' WHERE case_id = '20190903-0001'",
		 "20190903-0001", "the licence library holds its licence cdoc (number "
		 "20190903-0001-cdoc) for another holder than its applicant"},
		{"UPDATE licences SET number = 'CD-1' WHERE case_id = '20190903-0001'",
		 "20190903-0001", "the licence library holds a licence cdoc numbered CD-1 that names "
		 "it, but the licence it issued is numbered 20190903-0001-cdoc"},
		{"DELETE FROM licences WHERE case_id = '20190903-0001'", "20190903-0001",
		 "its licence cdoc (number 20190903-0001-cdoc) is not in the licence library, though "
		 "it was approved at 2019-09-03T10:00:00+08:00"},
		{"UPDATE licences SET valid_until = NULL WHERE case_id = '20190903-0002'",
		 "20190903-0002", "its licence pdoc is valid with no end, but its approval was revoked "
		 "at 2019-09-04T09:00:00+08:00 (告知承诺 found untrue): it ends then"},
		{"UPDATE licences SET valid_until = valid_until + 86400 WHERE case_id = '20190903-0002'",
		 "20190903-0002", "its licence pdoc is valid until 2019-09-05T09:00:00+08:00, but its "
		 "approval was revoked at 2019-09-04T09:00:00+08:00"},
		{"UPDATE licences SET valid_until = 1893456000 WHERE case_id = '20190903-0001'",
		 "20190903-0001", "its licence cdoc is valid until 2030-01-01T08:00:00+08:00, but "
		 "approved at 2019-09-03T10:00:00+08:00 it is valid with no end"},
		{"UPDATE licences SET valid_from = valid_from - 86400 WHERE case_id = '20190903-0001'",
		 "20190903-0001", "its licence cdoc is valid from 2019-09-02T10:00:00+08:00, but it "
		 "was approved at 2019-09-03T10:00:00+08:00"},
		/* the kept one given back its term, or one kept by no approval */
		{"UPDATE licences SET valid_until = 1599012000 WHERE case_id = '20190902-0001'",
		 "20190902-0001", "its licence pdoc is valid until 2020-09-02T10:00:00+08:00, but "
		 "case 20190903-0001's approval of cdoc kept it valid with no end at "
		 "2019-09-03T10:00:00+08:00"},
		{"UPDATE events SET payload = json_set(payload, '$.notice.materials', json('[]'))"
		 " WHERE case_id = '20190903-0001' AND seq = 1;"
		 "UPDATE cases SET state = json_set(state, '$.notice.materials', json('[]'))"
		 " WHERE id = '20190903-0001'",
		 "20190902-0001", "its licence pdoc is valid with no end, but no approval of cdoc "
		 "used it before its term ended at 2020-09-02T10:00:00+08:00"},
		{"UPDATE licences SET case_id = '20190903-0001' WHERE case_id = '20190902-0001'",
		 "20190903-0001", "the licence library holds a licence pdoc (number "
		 "20190902-0001-pdoc) that names it, but its item issues no pdoc"},
		{"INSERT INTO licences VALUES ('91350100M000100Y43', 'cdoc', '20190902-0001-cdoc',"
		 " 'x', 0, NULL, '20190902-0001', NULL)", "20190902-0001", "its item issues no cdoc"},
		/* the term it goes back to when no approval keeps it */
		{"UPDATE licences SET term_until = term_until + 86400 WHERE case_id = '20190902-0001'",
		 "20190902-0001", "its licence pdoc has as its own term valid until "
		 "2020-09-03T10:00:00+08:00, but approved at 2019-09-02T10:00:00+08:00 it is valid "
		 "until 2020-09-02T10:00:00+08:00"},
		{"UPDATE licences SET issuer = '别的局' WHERE case_id = '20190903-0001'",
		 "20190903-0001", "its licence cdoc names the issuer 别的局, its rule version 行政审批局"},
	};
	store s;
	licence_store_build(&s);
	json_t *r = check(&s);
	assert_true(problems_are(r, 0));
	json_decref(r);
	store_free(&s);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		licence_store_build(&s);
		damage(&s, cases[i].sql);
		r = check(&s);
		names(r, cases[i].id, cases[i].problem);
		/* a licence given to another case (case_id) is gone from its own */
		if (i == 9)
			names(r, "20190902-0001", "its licence pdoc (number 20190902-0001-pdoc) is in "
			      "the licence library as case 20190903-0001's");
		assert_true(problems_are(r, i == 9 ? 2 : 1));
		json_decref(r);
		store_free(&s);
	}
}

/* A licence issued before schema 7 kept the holder as typed (the
 * migration brought the applicant columns to upper case, not licences);
 * an import of the holder's own licence of that number replaces the
 * approval's: neither is a problem.  One that another holder's import of
 * the same number replaced before schema 7 (licences keyed by material
 * and number then) is lost to its holder: named, until imported again. */
static void licences_of_old_stores_and_imports(void **state)
{
	(void)state;
	store s;
	licence_store_build(&s);
	damage(&s, "UPDATE events SET payload = replace(payload, '91350100M000100Y43',"
	       " '91350100m000100y43') WHERE case_id = '20190903-0001';"
	       "UPDATE cases SET state = replace(state, '91350100M000100Y43', '91350100m000100y43')"
	       " WHERE id = '20190903-0001';"
	       "UPDATE licences SET holder = lower(holder) WHERE case_id = '20190903-0001'");
	json_t *r = check(&s);
	assert_true(problems_are(r, 0));
	json_decref(r);
	ot_engine *e = open_at(KEEP, s.path);
	json_decref(ok(e, "licences_import", "{\"licences\":[{\"holder\":\"91350100M000100Y43\","
		       "\"material\":\"pdoc\",\"number\":\"20190903-0002-pdoc\",\"issuer\":\"外区\","
		       "\"valid_from\":\"2019-01-01\"}]}"));
	ot_engine_close(e);
	r = check(&s);
	assert_true(problems_are(r, 0));
	json_decref(r);
	damage(&s, "UPDATE licences SET holder = '91210302MA0Y8K3L12', case_id = NULL"
	       " WHERE case_id = '20190903-0001'");
	r = check(&s);
	names(r, "20190903-0001", "its licence cdoc (number 20190903-0001-cdoc) is not in the "
	      "licence library");
	assert_true(problems_are(r, 1));
	json_decref(r);
	e = open_at(KEEP, s.path);
	json_decref(ok(e, "licences_import", "{\"licences\":[{\"holder\":\"91350100M000100Y43\","
		       "\"material\":\"cdoc\",\"number\":\"20190903-0001-cdoc\","
		       "\"issuer\":\"行政审批局\",\"valid_from\":\"2019-09-03\"}]}"));
	ot_engine_close(e);
	r = check(&s);
	assert_true(problems_are(r, 0));
	json_decref(r);
	store_free(&s);
}

/* The material library keeps what an accepted case's applicant handed
 * in, for the material's reuse: an entry moved to another applicant, or
 * kept longer, is named. */
static void library_entries_that_differ_from_their_events(void **state)
{
	(void)state;
	store s;
	store_build(&s);
	damage(&s, "UPDATE library SET applicant = '91210302MA0Y8K3L12' WHERE case_id = "
	       "'20190927-0001';"
	       "UPDATE library SET valid_until = valid_until + 86400 * 3650 WHERE case_id = "
	       "'20190927-0002';"
	       "DELETE FROM library WHERE case_id = '20190927-0003';"
	       "INSERT INTO library VALUES ('91350100M000100Y43', 'drawings', '20190927-0003', 0, 1)");
	json_t *r = check(&s);
	names(r, "20190927-0001", "the material library has its entry of land_cert under another "
	      "applicant than its own: someone else would reuse it");
	names(r, "20190927-0002", "its entry of land_cert in the material library is valid from "
	      "2019-09-27T09:10:00+08:00 until 2039-09-25T09:10:00+08:00, but its events make it "
	      "valid from 2019-09-27T09:10:00+08:00 until 2029-09-27T09:10:00+08:00");
	names(r, "20190927-0003", "its entry of land_cert in the material library is missing: "
	      "handed in at 2019-09-27T09:20:00+08:00, it is to be reused until "
	      "2029-09-27T09:20:00+08:00");
	names(r, "20190927-0003", "the material library has an entry of drawings from it, but its "
	      "item does not take it for reuse");
	assert_true(problems_are(r, 4));
	json_decref(r);
	store_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_sound_store_passes),
		cmocka_unit_test(an_event_that_is_not_json),
		cmocka_unit_test(a_snapshot_that_is_not_json),
		cmocka_unit_test(a_missing_event),
		cmocka_unit_test(events_without_their_case),
		cmocka_unit_test(a_snapshot_that_drifted),
		cmocka_unit_test(a_rule_version_that_does_not_compile),
		cmocka_unit_test(an_overwritten_page),
		cmocka_unit_test(not_a_store),
		cmocka_unit_test(other_schema_versions),
		cmocka_unit_test(version_6_keys_by_holder),
		cmocka_unit_test(version_4_is_due_for_the_first_sweep),
		cmocka_unit_test(a_lost_warn_at),
		cmocka_unit_test(event_columns_that_differ_from_their_payload),
		cmocka_unit_test(a_removed_case),
		cmocka_unit_test(licences_that_differ_from_their_approvals),
		cmocka_unit_test(licences_of_old_stores_and_imports),
		cmocka_unit_test(library_entries_that_differ_from_their_events),
		cmocka_unit_test(migrating_past_a_damaged_snapshot),
		cmocka_unit_test(processes_open_a_new_store_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
