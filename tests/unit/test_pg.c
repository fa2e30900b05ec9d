/*
 * What only the PostgreSQL backend has to show, made to happen for sure
 * rather than by chance (tests/pg/many.sh races for real): two engines
 * acting on the same step at the same moment, and a connection cut in the
 * middle of an operation.  A raw connection holds the case's row locked
 * until both engines are waiting for it (pg_locks says so), then lets go.
 * Needs OT_TEST_PG (the server of the ctest fixture `pg`).
 */
#include <libpq-fe.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine_helpers.h"
#include "engine.h" /* the store interface, for a transaction no operation makes */
#include "pg_proxy.h"

#define CONTRACT OT_SOURCE_DIR "/tests/contract/rules/contract.rules"
#define COMPANY "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"鞍山市立山建设有限公司\"}"
#define SUBMIT "{\"item\":\"construction_permit\",\"now\":\"2019-09-27T09:00\",\"applicant\":" \
	COMPANY ",\"form\":{\"name\":\"x\",\"area\":5400,\"height\":18,\"government_funded\":true," \
	"\"contractor\":\"91350100M000100Y43\",\"kind\":\"public\"},\"materials\":[\"land_cert\"," \
	"\"drawings\",\"fire_review\"]}"
#define INTAKE "{\"case\":\"20190927-0001\",\"step\":\"intake\",\"action\":\"approve\"," \
	"\"actor\":\"approval_bureau.investment\",\"now\":\"2019-09-29T10:00\"}"

static char store[512], schema[64];

/* A new store of its own; NULL when there is no server to test on. */
static const char *new_store(void)
{
	static unsigned n;
	const char *pg = getenv("OT_TEST_PG");
	if (!pg)
		return NULL;
	snprintf(schema, sizeof schema, "pg%ld_%u", (long)getpid(), n++);
	snprintf(store, sizeof store, "%s%cschema=%s", pg, strchr(pg, '?') ? '&' : '?', schema);
	return store;
}

static PGconn *raw(void)
{
	PGconn *c = PQconnectdb(getenv("OT_TEST_PG"));
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	return c;
}

static void sql(PGconn *c, const char *text)
{
	PGresult *r = PQexec(c, text);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "%s: %s\n", text, PQerrorMessage(c));
		fail();
	}
	PQclear(r);
}

/* Locks case id's row on c until c commits. */
static void lock_case(PGconn *c, const char *id)
{
	char text[256];
	sql(c, "BEGIN");
	snprintf(text, sizeof text, "SELECT 1 FROM %s.cases WHERE id = '%s' FOR UPDATE", schema, id);
	sql(c, text);
}

/* Waits until `n` other connections wait for a lock (10 s at most). */
static void until_waiting(PGconn *c, int n)
{
	for (int i = 0; i < 1000; i++) {
		PGresult *r = PQexec(c, "SELECT count(*) FROM pg_locks WHERE NOT granted");
		int waiting = atoi(PQgetvalue(r, 0, 0));
		PQclear(r);
		if (waiting >= n)
			return;
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	fprintf(stderr, "the engines never waited for the lock\n");
	fail();
}

/* Cuts the connections that wait for a lock c holds: the engine's under
 * test, not those of another test running beside it on the server. */
static void cut_waiting(PGconn *c)
{
	sql(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	       " WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))");
}

/* A new store with cases 0001 and 0002 submitted, and an engine on it
 * (the test is skipped without a server). */
static ot_engine *two_cases(void)
{
	if (!new_store())
		skip();
	ot_engine *e = open_at(CONTRACT, store);
	json_decref(ok(e, "submit", SUBMIT));
	json_decref(ok(e, "submit", SUBMIT));
	return e;
}

/* Case 0002's first current step is `step`. */
static void assert_second_at(ot_engine *e, const char *step)
{
	json_t *c2 = ok(e, "show", "{\"case\":\"20190927-0002\"}");
	assert_string_equal(S(json_array_get(json_object_get(c2, "current"), 0), "step"), step);
	json_decref(c2);
}

/* store check finds the store sound. */
static void sound(ot_engine *e)
{
	json_t *check = ok(e, "store_check", "{}");
	assert_true(json_is_true(json_object_get(check, "sound")));
	json_decref(check);
}

/* An engine on the test's store whose log lines go to log(ud, line), and
 * which waits busy_ms for a lock (0: the default). */
static ot_engine *configured(void (*log)(void *, const char *), void *ud, int busy_ms)
{
	ot_engine_config cfg;
	ot_engine_config_init(&cfg);
	cfg.rules_path = CONTRACT;
	cfg.store = store;
	cfg.log = log;
	cfg.log_ud = ud;
	if (busy_ms)
		cfg.busy_ms = busy_ms;
	ot_engine *e = NULL;
	ot_error err;
	if (ot_engine_open_config(&cfg, &e, &err) != OT_OK) {
		fprintf(stderr, "%s\n", err.message);
		fail();
	}
	return e;
}

/* The approvals of `step` in the case's history. */
static int approvals(ot_engine *e, const char *step)
{
	json_t *c = ok(e, "show", "{\"case\":\"20190927-0001\"}"), *ev;
	size_t i;
	int n = 0;
	json_array_foreach(json_object_get(c, "history"), i, ev) {
		const char *s = json_string_value(json_object_get(ev, "step"));
		const char *a = json_string_value(json_object_get(ev, "action"));
		n += s && a && strcmp(s, step) == 0 && strcmp(a, "approve") == 0;
	}
	json_decref(c);
	return n;
}

/* Both engines read the case, decide, and wait to write it: one wins, the
 * other's write is refused by the server (its snapshot is stale), it runs
 * again, finds the step done, and is told so. */
static void the_same_step_at_once(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	ot_engine *e = open_at(CONTRACT, store);
	json_decref(ok(e, "submit", SUBMIT));
	PGconn *c = raw();
	lock_case(c, "20190927-0001");
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		if ((kids[k] = fork()) != 0)
			continue;
		ot_engine *mine = NULL;
		ot_error err;
		char *resp = NULL;
		if (ot_engine_open(CONTRACT, store, &mine, &err) != OT_OK)
			_exit(3);
		ot_status s = ot_act(mine, INTAKE, &resp, &err);
		if (s != OT_OK)
			fprintf(stderr, "engine %d: %s: %s\n", k, ot_status_name(s), err.message);
		free(resp);
		ot_engine_close(mine);
		_exit(s == OT_OK ? 0 : s == OT_ESTATE && strstr(err.message, "intake") ? 1 : 2);
	}
	until_waiting(c, 2);
	sql(c, "COMMIT"); /* let them go */
	int wins = 0, refused = 0;
	for (int k = 0; k < 2; k++) {
		int status;
		assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
		assert_true(WIFEXITED(status));
		wins += WEXITSTATUS(status) == 0;
		refused += WEXITSTATUS(status) == 1;
	}
	assert_int_equal(wins, 1);
	assert_int_equal(refused, 1);
	assert_int_equal(approvals(e, "intake"), 1);
	PQfinish(c);
	ot_engine_close(e);
}

/* The connection of an engine waiting in the middle of an operation is
 * cut: the operation fails with OT_ESTORE, nothing of it is written, and
 * the same engine's next operation connects again and succeeds. */
static void connection_cut_mid_operation(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	ot_engine *e = open_at(CONTRACT, store);
	json_decref(ok(e, "submit", SUBMIT));
	PGconn *c = raw();
	lock_case(c, "20190927-0001");
	pid_t kid = fork();
	if (kid == 0) {
		ot_engine *mine = NULL;
		ot_error err;
		char *resp = NULL;
		if (ot_engine_open(CONTRACT, store, &mine, &err) != OT_OK)
			_exit(3);
		ot_status s = ot_act(mine, INTAKE, &resp, &err);
		int cut = s == OT_ESTORE && strstr(err.message, "lost the connection") &&
			  strstr(err.message, "nothing was changed");
		if (!cut)
			fprintf(stderr, "the cut operation: %s: %s\n", ot_status_name(s), err.message);
		free(resp);
		/* the same engine, the connection made again */
		s = ot_act(mine, INTAKE, &resp, &err);
		if (s != OT_OK)
			fprintf(stderr, "the next operation: %s: %s\n", ot_status_name(s), err.message);
		free(resp);
		ot_engine_close(mine);
		_exit(cut && s == OT_OK ? 0 : 1);
	}
	until_waiting(c, 1);
	cut_waiting(c);
	sql(c, "COMMIT");
	int status;
	assert_int_equal(waitpid(kid, &status, 0), kid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(approvals(e, "intake"), 1);
	sound(e);
	PQfinish(c);
	ot_engine_close(e);
}

/* A store of schema version 3 (as the first PostgreSQL backend wrote it)
 * is brought to the current version when an engine opens it: its cases
 * stay, the feed gives their events, in the order of the cases, and the
 * checks version 6 moved from the server's every write are gone. */
static void version_3_is_migrated(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	ot_engine *e = open_at(CONTRACT, store);
	json_decref(ok(e, "submit", SUBMIT));
	json_decref(ok(e, "act", INTAKE));
	ot_engine_close(e);
	PGconn *c = raw();
	char text[1024];
	snprintf(text, sizeof text, "SET search_path TO %s; DROP TABLE idempotency;"
		 " ALTER TABLE events DROP COLUMN recorded; DROP SEQUENCE events_order;"
		 " ALTER TABLE cases DROP COLUMN warn_at; CREATE INDEX cases_status ON cases(status);"
		 " ALTER TABLE events ADD FOREIGN KEY (case_id) REFERENCES cases(id),"
		 " ADD FOREIGN KEY (rules) REFERENCES rule_versions(hash);"
		 " ALTER TABLE licences DROP CONSTRAINT licences_pkey,"
		 " ADD PRIMARY KEY (material, number);"
		 " CREATE INDEX licences_holder ON licences(holder, material);"
		 " UPDATE cases SET applicant = lower(applicant);"
		 " ALTER TABLE onetrip_schema DROP COLUMN feed_base, DROP COLUMN feed_server;"
		 " ALTER TABLE licences DROP COLUMN term_until;"
		 " UPDATE onetrip_schema SET version = 3", schema);
	sql(c, text);
	/* looked at, it is left as it is, and refused: not read as version 9 */
	char *report = NULL;
	ot_error err;
	assert_int_equal(ot_store_check(store, &report, &err), OT_ESTORE);
	assert_non_null(strstr(err.message, "has schema version 3: open it once with this onetrip"));
	assert_null(report);
	e = open_at(CONTRACT, store);
	snprintf(text, sizeof text, "SELECT warn_at FROM %s.cases", schema);
	PGresult *due = PQexec(c, text);
	assert_string_equal(PQgetvalue(due, 0, 0), ""); /* the first sweep's */
	PQclear(due);
	json_t *feed = ok(e, "events", "{\"after\":\"0\"}");
	assert_int_equal(json_array_size(json_object_get(feed, "events")), 2);
	json_decref(feed);
	json_decref(ok(e, "act", "{\"case\":\"20190927-0001\",\"step\":\"review\",\"action\":"
		       "\"approve\",\"actor\":\"approval_bureau\",\"now\":\"2019-09-30T10:00\"}"));
	feed = ok(e, "events", "{\"after\":\"0\"}");
	json_t *evs = json_object_get(feed, "events");
	assert_int_equal(json_array_size(evs), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(evs, 2), "seq")), 3);
	json_decref(feed);
	snprintf(text, sizeof text, "SELECT version FROM %s.onetrip_schema", schema);
	PGresult *r = PQexec(c, text);
	assert_string_equal(PQgetvalue(r, 0, 0), "10");
	PQclear(r);
	/* version 7: the applicant keyed as requests are read, a licence by
	 * its holder too */
	json_t *l = ok(e, "list", "{\"applicant\":\"91350100m000100y43\"}");
	assert_int_equal(json_array_size(json_object_get(l, "cases")), 1);
	json_decref(l);
	snprintf(text, sizeof text, "SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM pg_index i,"
		 " unnest(i.indkey) WITH ORDINALITY k(att, n), pg_attribute a WHERE i.indisprimary"
		 " AND i.indrelid = '%s.licences'::regclass AND a.attrelid = i.indrelid"
		 " AND a.attnum = k.att", schema);
	r = PQexec(c, text);
	assert_string_equal(PQgetvalue(r, 0, 0), "holder,material,number");
	PQclear(r);
	snprintf(text, sizeof text, "SELECT (SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
		 " AND conrelid = '%s.events'::regclass), to_regclass('%s.cases_status') IS NULL",
		 schema, schema);
	r = PQexec(c, text);
	assert_string_equal(PQgetvalue(r, 0, 0), "0");
	assert_string_equal(PQgetvalue(r, 0, 1), "t");
	PQclear(r);
	/* its open case was due for the first sweep; the act wrote its day */
	snprintf(text, sizeof text, "SELECT warn_at FROM %s.cases", schema);
	r = PQexec(c, text);
	assert_false(PQgetisnull(r, 0, 0));
	assert_int_not_equal(strcmp(PQgetvalue(r, 0, 0), ""), 0);
	PQclear(r);
	PQfinish(c);
	ot_engine_close(e);
}

/* The time sweep claims FOR UPDATE SKIP LOCKED: a case whose row another
 * connection holds (another server sweeping it, or an operation writing
 * it) is passed over at once -- not waited for, not warned twice -- and
 * the others are warned; once the row is free, the next sweep warns it. */
static void a_sweep_passes_over_a_case_another_holds(void **state)
{
	(void)state;
	ot_engine *e = two_cases();
	PGconn *c = raw();
	lock_case(c, "20190927-0001");
	time_t start = time(NULL);
	json_t *a = ok(e, "sweep", "{\"now\":\"2019-12-02T09:00\"}");
	assert_true(time(NULL) - start < 5); /* busy_ms is 10 s: it did not wait */
	json_t *w = json_object_get(a, "warnings");
	assert_int_equal(json_integer_value(json_object_get(a, "claimed")), 1);
	assert_true(json_array_size(w) >= 1);
	for (size_t i = 0; i < json_array_size(w); i++)
		assert_string_equal(S(json_array_get(w, i), "case"), "20190927-0002");
	json_decref(a);
	sql(c, "COMMIT");
	a = ok(e, "sweep", "{\"now\":\"2019-12-02T09:00\"}");
	w = json_object_get(a, "warnings");
	assert_int_equal(json_integer_value(json_object_get(a, "claimed")), 1);
	for (size_t i = 0; i < json_array_size(w); i++)
		assert_string_equal(S(json_array_get(w, i), "case"), "20190927-0001");
	json_decref(a);
	a = ok(e, "sweep", "{\"now\":\"2019-12-02T09:30\"}");
	assert_int_equal(json_integer_value(json_object_get(a, "claimed")), 0);
	json_decref(a);
	sound(e);
	PQfinish(c);
	ot_engine_close(e);
}

/* Passwords stay out of messages; a schema must be a plain name. */
static void uris_in_messages(void **state)
{
	(void)state;
	ot_engine *e = NULL;
	ot_error err;
	assert_int_equal(ot_engine_open(CONTRACT, "postgresql://clerk:s3cret@127.0.0.1:1/x", &e,
					&err), OT_ESTORE);
	assert_non_null(strstr(err.message, "cannot connect to the store postgresql://clerk@127.0.0.1:1/x"));
	assert_null(strstr(err.message, "s3cret"));
	assert_int_equal(ot_engine_open(CONTRACT, "postgres://127.0.0.1:1/x?password=s3cret&schema=a;b",
					&e, &err), OT_EINVAL);
	assert_non_null(strstr(err.message, "schema is 1 to 63 of a-z"));
	assert_null(e);
}

/* The server refuses what is inserted into `table` (of the rows `when`,
 * SQL about NEW; NULL: all) with `message`, at the insert or, `at_commit`,
 * when the transaction commits; allow() lets it again. */
static void refuse(PGconn *c, const char *table, const char *when, const char *message,
		   int at_commit)
{
	char text[900];
	snprintf(text, sizeof text,
		 "CREATE OR REPLACE FUNCTION %s.refuse() RETURNS trigger LANGUAGE plpgsql AS "
		 "$$BEGIN IF %s THEN RAISE EXCEPTION '%s'; END IF; RETURN NEW; END$$; "
		 "CREATE %sTRIGGER refuse %s INSERT ON %s.%s %sFOR EACH ROW EXECUTE FUNCTION "
		 "%s.refuse()", schema, when ? when : "true", message, at_commit ? "CONSTRAINT " : "",
		 at_commit ? "AFTER" : "BEFORE", schema, table,
		 at_commit ? "DEFERRABLE INITIALLY DEFERRED " : "", schema);
	sql(c, text);
}

static void allow(PGconn *c, const char *table)
{
	char text[200];
	snprintf(text, sizeof text, "DROP TRIGGER refuse ON %s.%s", schema, table);
	sql(c, text);
}

/* The save goes to the server with the COMMIT (store_pg.c, pg_later):
 * when the server refuses it there, the operation fails as it would have
 * at the save -- OT_ESTORE naming the case, nothing of it written, the
 * engine's kept case the store's -- and the same engine's next operation
 * gets through once the server takes it again.  A trigger refuses every
 * new event of the case. */
static void a_save_refused_with_the_commit(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	ot_engine *e = open_at(CONTRACT, store);
	json_decref(ok(e, "submit", SUBMIT));
	json_t *before = ok(e, "show", "{\"case\":\"20190927-0001\"}"); /* kept in memory */
	PGconn *c = raw();
	refuse(c, "events", NULL, "refused by the test", 0);
	refused(e, "act", OT_ESTORE, "saving case 20190927-0001: refused by the test", INTAKE);
	json_t *after = ok(e, "show", "{\"case\":\"20190927-0001\"}");
	assert_true(json_equal(before, after));
	json_decref(after);
	allow(c, "events");
	json_t *acted = ok(e, "act", INTAKE);
	assert_int_equal(json_integer_value(json_object_get(acted, "events")), 2);
	json_decref(acted);
	json_decref(before);
	sound(e);
	PQfinish(c);
	ot_engine_close(e);
}

/* The material library's entries wait too, and go with the COMMIT: one
 * the server refuses fails the submission, which leaves nothing -- no
 * case, no number taken. */
static void a_library_entry_refused_with_the_commit(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	ot_engine *e = open_at(CONTRACT, store);
	PGconn *c = raw();
	refuse(c, "library", NULL, "refused by the test", 0);
	refused(e, "submit", OT_ESTORE, "adding case 20190927-0001's materials to the material "
		"library: refused by the test", SUBMIT);
	refused(e, "show", OT_ENOTFOUND, "20190927-0001", "{\"case\":\"20190927-0001\"}");
	allow(c, "library");
	json_t *made = ok(e, "submit", SUBMIT);
	assert_string_equal(S(made, "id"), "20190927-0001"); /* no gap */
	json_decref(made);
	PQfinish(c);
	ot_engine_close(e);
}

static long events_of(json_t *c);

static void count_reconnects(void *ud, const char *line)
{
	if (strstr(line, "connected again"))
		++*(int *)ud;
}

/* A write on a case this engine wrote last goes alone, an implicit
 * transaction the server commits at the pipeline's end: a refusal there
 * (here a deferred trigger's) fails the operation, which leaves nothing,
 * and the connection as it was: the next operations need no new one. */
static void a_commit_refused_at_the_end(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	int reconnects = 0;
	ot_engine *e = configured(count_reconnects, &reconnects, 0);
	json_decref(ok(e, "submit", SUBMIT));
	PGconn *c = raw();
	refuse(c, "events", NULL, "refused at the end by the test", 1);
	refused(e, "act", OT_ESTORE, "committing: refused at the end by the test", INTAKE);
	assert_int_equal(events_of(ok(e, "show", "{\"case\":\"20190927-0001\"}")), 1);
	allow(c, "events");
	assert_int_equal(events_of(ok(e, "act", INTAKE)), 2);
	assert_int_equal(reconnects, 0);
	sound(e);
	PQfinish(c);
	ot_engine_close(e);
}

/* In a batch an operation's write, its RELEASE and the next one's
 * SAVEPOINT go with that one's read: a write refused then is found after
 * its operation ended, and fails the whole batch -- nothing is kept, and
 * no answer stands. */
static void a_batch_write_refused_after_its_operation(void **state)
{
	(void)state;
	ot_engine *e = two_cases();
	PGconn *c = raw();
	refuse(c, "events", "NEW.case_id = '20190927-0001'", "refused by the test", 0);
	const char *second = "{\"case\":\"20190927-0002\",\"step\":\"intake\",\"action\":"
			     "\"approve\",\"actor\":\"approval_bureau.investment\",\"now\":"
			     "\"2019-09-29T10:00\"}";
	ot_batch_item items[] = {
		{"act", INTAKE, NULL, NULL, OT_OK, {0}},
		{"act", second, NULL, NULL, OT_OK, {0}},
		{"show", "{\"case\":\"20190927-0002\"}", NULL, NULL, OT_OK, {0}},
	};
	ot_error err;
	assert_int_equal(ot_call_batch(e, items, 3, &err), OT_ESTORE);
	assert_non_null(strstr(err.message, "saving case 20190927-0001: refused by the test"));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(items[i].status, OT_ESTORE);
		assert_null(items[i].response);
	}
	assert_int_equal(events_of(ok(e, "show", "{\"case\":\"20190927-0001\"}")), 1);
	assert_int_equal(events_of(ok(e, "show", "{\"case\":\"20190927-0002\"}")), 1);
	allow(c, "events");
	assert_int_equal(ot_call_batch(e, items, 3, &err), OT_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(items[i].status, OT_OK);
		free(items[i].response);
	}
	assert_int_equal(events_of(ok(e, "show", "{\"case\":\"20190927-0001\"}")), 2);
	sound(e);
	PQfinish(c);
	ot_engine_close(e);
}

/* An event's case is the write's own to keep (schema_v6: no foreign key):
 * an event of no case, made by a hand in the tables, store check names. */
static void an_event_of_no_case(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	ot_engine *e = open_at(CONTRACT, store);
	json_decref(ok(e, "submit", SUBMIT));
	PGconn *c = raw();
	char text[400];
	snprintf(text, sizeof text, "INSERT INTO %s.events(case_id, seq, at, op, rules, payload,"
		 " recorded) SELECT '20190927-0099', 1, at, op, rules, payload, recorded + 1"
		 " FROM %s.events", schema, schema);
	sql(c, text);
	json_t *check = ok(e, "store_check", "{}");
	assert_false(json_is_true(json_object_get(check, "sound")));
	json_t *p = json_array_get(json_object_get(check, "problems"), 0);
	assert_string_equal(S(p, "case"), "20190927-0099");
	assert_string_equal(S(p, "problem"), "it has events but no row in the cases table");
	assert_int_equal(json_array_size(json_object_get(check, "problems")), 1);
	json_decref(check);
	PQfinish(c);
	ot_engine_close(e);
}

/* ---- a case this engine wrote last, in one round trip (store_pg.c) ---- */

#define STEP(step, actor) "{\"case\":\"20190927-0001\",\"step\":\"" step "\",\"action\":" \
	"\"approve\",\"actor\":\"" actor "\",\"now\":\"2019-09-30T10:00\"}"
#define REVIEW STEP("review", "approval_bureau")
#define SITE_VISIT STEP("site_visit", "housing")
#define DECIDE STEP("decide", "approval_bureau")
#define DELIVER "{\"case\":\"20190927-0001\",\"method\":\"post\",\"now\":\"2019-10-10T10:00\"}"

static void count_reruns(void *ud, const char *line)
{
	if (strstr(line, "another writer was first"))
		++*(int *)ud;
}

/* The log lines that hold a mark. */
struct marks {
	const char *mark;
	int n;
};

static void count_marks(void *ud, const char *line)
{
	struct marks *m = ud;
	if (strstr(line, m->mark))
		m->n++;
}

/* An engine whose log counts its operations' second tries. */
static ot_engine *counting(int *reruns)
{
	return configured(count_reruns, reruns, 0);
}

static long events_of(json_t *c)
{
	long n = (long)json_integer_value(json_object_get(c, "events"));
	json_decref(c);
	return n;
}

#define CASE2(req) "{\"case\":\"20190927-0002\"," req
#define INTAKE2 CASE2("\"step\":\"intake\",\"action\":\"approve\",\"actor\":" \
	"\"approval_bureau.investment\",\"now\":\"2019-09-29T10:00\"}")
#define REVIEW2 CASE2("\"step\":\"review\",\"action\":\"approve\",\"actor\":" \
	"\"approval_bureau\",\"now\":\"2019-09-30T10:00\"}")
#define SITE_VISIT2 CASE2("\"step\":\"site_visit\",\"action\":\"approve\",\"actor\":" \
	"\"housing\",\"now\":\"2019-09-30T10:00\"}")
#define DECIDE2 CASE2("\"step\":\"decide\",\"action\":\"approve\",\"actor\":" \
	"\"approval_bureau\",\"now\":\"2019-09-30T10:00\"}")
#define DELIVER2 CASE2("\"method\":\"post\",\"now\":\"2019-10-10T10:00\"}")

/* Engine a walks its cases without reading them; engine b acts on them in
 * between.  On case 1, a's old copy would refuse to deliver a case b
 * decided: it runs again, reading, and delivers.  On case 2, a approves
 * on its old copy a step b did: the store refuses the save (the event's
 * number is taken), and the second try, reading, refuses it as done.
 * From then on a reads case 2 (b writes it too) and needs no second try;
 * so does b after its own.  Nothing is lost or written twice, and a's
 * first tries on a case no one else touched need no second. */
static void another_engine_between_two_operations(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	int ra = 0, rb = 0;
	ot_engine *a = counting(&ra), *b = counting(&rb);
	json_decref(ok(a, "submit", SUBMIT));
	assert_int_equal(events_of(ok(a, "act", INTAKE)), 2);
	assert_int_equal(ra, 0); /* its own case, no one else's write: one try */
	json_decref(ok(b, "act", REVIEW));
	json_decref(ok(b, "act", SITE_VISIT));
	assert_int_equal(events_of(ok(b, "act", DECIDE)), 5);
	assert_int_equal(rb, 0);
	assert_int_equal(events_of(ok(a, "deliver", DELIVER)), 6); /* a's copy: not decided */
	assert_int_equal(ra, 1);

	json_decref(ok(a, "submit", SUBMIT));
	assert_int_equal(events_of(ok(a, "act", INTAKE2)), 2);
	assert_int_equal(events_of(ok(b, "act", REVIEW2)), 3);
	ra = rb = 0;
	refused(a, "act", OT_ESTATE, "review", REVIEW2); /* b was first */
	assert_int_equal(ra, 1);
	assert_int_equal(events_of(ok(a, "act", SITE_VISIT2)), 4);
	assert_int_equal(ra, 1); /* read, not taken on trust: no second try */
	assert_int_equal(events_of(ok(b, "act", DECIDE2)), 5);
	assert_int_equal(rb, 1); /* b's copy was old too */
	assert_int_equal(events_of(ok(a, "deliver", DELIVER2)), 6);
	assert_int_equal(ra, 1);

	for (int k = 0; k < 2; k++) {
		json_t *c = ok(a, "show", k ? "{\"case\":\"20190927-0002\"}"
					   : "{\"case\":\"20190927-0001\"}"), *ev;
		size_t i;
		int approved[4] = {0};
		json_array_foreach(json_object_get(c, "history"), i, ev) {
			const char *step = json_string_value(json_object_get(ev, "step"));
			for (int j = 0; step && j < 4; j++)
				approved[j] += strcmp(step, (const char *[]){"intake", "review",
					"site_visit", "decide"}[j]) == 0;
		}
		for (int j = 0; j < 4; j++)
			assert_int_equal(approved[j], 1);
		assert_string_equal(S(c, "status"), "closed");
		json_decref(c);
	}
	json_t *check = ok(b, "store_check", "{}");
	assert_true(json_is_true(json_object_get(check, "sound")));
	assert_int_equal(json_integer_value(json_object_get(check, "events")), 12);
	json_decref(check);
	/* the snapshots compressed with lz4 (compress_lz4), read back alike */
	PGconn *c = raw();
	char text[256];
	snprintf(text, sizeof text, "SELECT attcompression FROM pg_attribute WHERE attrelid ="
		 " '%s.cases'::regclass AND attname = 'state'", schema);
	PGresult *r = PQexec(c, text);
	assert_string_equal(PQgetvalue(r, 0, 0), "l");
	PQclear(r);
	PQfinish(c);
	ot_engine_close(a);
	ot_engine_close(b);
}

/* The one round trip of an operation on a case the engine wrote last is
 * cut while the server waits for the case's row: OT_ESTORE, nothing
 * written, and the same engine's next operation -- on the same copy --
 * gets through. */
static void connection_cut_in_the_one_round_trip(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	int ready[2], go[2];
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid_t kid = fork();
	if (kid == 0) {
		int reruns = 0;
		ot_engine *mine = counting(&reruns);
		char *resp = NULL, byte = 0;
		ot_error err;
		if (ot_call(mine, "submit", SUBMIT, &resp, &err) != OT_OK)
			_exit(3);
		free(resp);
		if (ot_act(mine, INTAKE, &resp, &err) != OT_OK)
			_exit(3);
		free(resp);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &byte, 1) != 1)
			_exit(3);
		ot_status s = ot_act(mine, REVIEW, &resp, &err);
		int cut = s == OT_ESTORE && strstr(err.message, "lost the connection") &&
			  strstr(err.message, "nothing was changed");
		if (!cut)
			fprintf(stderr, "the cut operation: %s: %s\n", ot_status_name(s), err.message);
		free(resp);
		s = ot_act(mine, REVIEW, &resp, &err);
		if (s != OT_OK)
			fprintf(stderr, "the next operation: %s: %s\n", ot_status_name(s), err.message);
		free(resp);
		ot_engine_close(mine);
		_exit(cut && s == OT_OK && reruns == 0 ? 0 : 1);
	}
	char byte;
	assert_int_equal(read(ready[0], &byte, 1), 1);
	PGconn *c = raw();
	lock_case(c, "20190927-0001");
	assert_int_equal(write(go[1], "g", 1), 1);
	until_waiting(c, 1);
	cut_waiting(c);
	sql(c, "COMMIT");
	int status;
	assert_int_equal(waitpid(kid, &status, 0), kid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ot_engine *e = open_at(CONTRACT, store);
	assert_int_equal(approvals(e, "review"), 1);
	json_t *check = ok(e, "store_check", "{}");
	assert_true(json_is_true(json_object_get(check, "sound")));
	assert_int_equal(json_integer_value(json_object_get(check, "events")), 3);
	json_decref(check);
	for (int k = 0; k < 2; k++) {
		close(ready[k]);
		close(go[k]);
	}
	PQfinish(c);
	ot_engine_close(e);
}

/* The server commits and its answer never arrives (the network between
 * them lost it: pg_proxy).  The engine cannot know whether its operation
 * was done, and says so -- not "nothing was changed", which a client would
 * believe and submit again -- and its next operation connects again.
 * Round trips: an act on a case this engine wrote last is one; an act on
 * a case it must read, and a submission, are two, the COMMIT's the second. */
static void lose_the_commits_answer(ot_engine *via, pg_proxy *px, int nth, const char *op,
				    const char *request)
{
	char *resp = NULL;
	ot_error err;
	int lost = pg_proxy_lost(px);
	pg_proxy_lose_answer(px, nth);
	ot_status s = ot_call(via, op, request, &resp, &err);
	if (s != OT_ESTORE || !strstr(err.message, "whether it was done is not known"))
		fprintf(stderr, "%s: %s: %s\n", op, ot_status_name(s), err.message);
	assert_int_equal(s, OT_ESTORE);
	assert_non_null(strstr(err.message, "whether it was done is not known"));
	assert_null(strstr(err.message, "nothing was changed"));
	assert_int_equal(pg_proxy_lost(px), lost + 1);
	free(resp);
}

/* A proxy to the test's store (pg_proxy.h); *uri: the store through it. */
static pg_proxy *proxy(PGconn *c, char *uri, size_t n)
{
	char dir[256];
	pg_proxy *px = pg_proxy_start(c, schema, test_tmpdir("proxy", dir, sizeof dir), uri, n);
	assert_non_null(px);
	return px;
}

static void a_commits_answer_lost(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	PGconn *c = raw();
	char uri[512];
	pg_proxy *px = proxy(c, uri, sizeof uri);
	ot_engine *direct = open_at(CONTRACT, store), *via = open_at(CONTRACT, uri);
	/* a submission: the case is there; the engine connects again to see it */
	lose_the_commits_answer(via, px, 2, "submit", SUBMIT);
	json_decref(ok(via, "show", "{\"case\":\"20190927-0001\"}"));
	/* an act on a case the engine must read (another wrote it since) */
	json_decref(ok(direct, "act", INTAKE));
	lose_the_commits_answer(via, px, 2, "act", REVIEW);
	assert_int_equal(approvals(via, "review"), 1);
	/* an act on a case it wrote last: one round trip, an implicit commit */
	json_decref(ok(via, "act", SITE_VISIT));
	lose_the_commits_answer(via, px, 1, "act", DECIDE);
	assert_int_equal(approvals(via, "decide"), 1);
	json_t *next = ok(via, "submit", SUBMIT);
	assert_string_equal(S(next, "id"), "20190927-0002");
	json_decref(next);
	sound(direct);
	ot_engine_close(via);
	ot_engine_close(direct);
	pg_proxy_stop(px);
	PQfinish(c);
}

/* The day's case counter held by another connection longer than the
 * engine waits (busy_ms): the submission is told the store is busy, not
 * that the connection was lost. */
static void the_counter_held_too_long(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	ot_engine *e = open_at(CONTRACT, store);
	json_decref(ok(e, "submit", SUBMIT));
	ot_engine_close(e);
	e = configured(NULL, NULL, 300);
	PGconn *c = raw();
	char text[256];
	sql(c, "BEGIN");
	snprintf(text, sizeof text, "SELECT 1 FROM %s.counters WHERE day = '20190927' FOR UPDATE",
		 schema);
	sql(c, text);
	refused(e, "submit", OT_ESTORE, "the store is busy", SUBMIT);
	sql(c, "COMMIT");
	json_t *next = ok(e, "submit", SUBMIT);
	assert_string_equal(S(next, "id"), "20190927-0002");
	json_decref(next);
	sound(e);
	PQfinish(c);
	ot_engine_close(e);
}

/* A batch locks each case before it reads it.  Engine A's approval of
 * review is written, its COMMIT held (a trigger at the commit waits for
 * the test); engine B's batch approving review too waits for the case's
 * row, and once A commits it must read A's event with the row: review is
 * done, B is told so -- not a store error from writing event 4 again. */
static void a_batch_reads_what_it_waited_for(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	ot_engine *e = open_at(CONTRACT, store);
	json_decref(ok(e, "submit", SUBMIT));
	json_decref(ok(e, "act", INTAKE));
	PGconn *c = raw();
	char text[512];
	snprintf(text, sizeof text, "SET search_path TO %s; CREATE FUNCTION held() RETURNS trigger"
		 " LANGUAGE plpgsql AS 'BEGIN PERFORM pg_advisory_xact_lock_shared(4242); RETURN NULL;"
		 " END'; CREATE CONSTRAINT TRIGGER held AFTER INSERT ON events DEFERRABLE INITIALLY"
		 " DEFERRED FOR EACH ROW EXECUTE FUNCTION held()", schema);
	sql(c, text);
	sql(c, "SELECT pg_advisory_lock(4242)");
	pid_t a = fork();
	if (a == 0) {
		ot_engine *mine = open_at(CONTRACT, store);
		char *resp = NULL;
		ot_error err;
		_exit(ot_act(mine, REVIEW, &resp, &err) == OT_OK ? 0 : 1);
	}
	until_waiting(c, 1);
	pid_t b = fork();
	if (b == 0) {
		ot_engine *mine = open_at(CONTRACT, store);
		ot_batch_item item = {.op = "act", .request = REVIEW};
		ot_error err;
		ot_status s = ot_call_batch(mine, &item, 1, &err);
		int told = item.status == OT_ESTATE && strstr(item.err.message, "review");
		if (!told)
			fprintf(stderr, "the batch: %s: %s\n", ot_status_name(item.status),
				item.err.message);
		_exit(told && s == OT_OK ? 0 : 1);
	}
	until_waiting(c, 2);
	sql(c, "SELECT pg_advisory_unlock(4242)");
	int status;
	assert_int_equal(waitpid(a, &status, 0), a);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(waitpid(b, &status, 0), b);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(approvals(e, "review"), 1);
	sound(e);
	PQfinish(c);
	ot_engine_close(e);
}

/* open_existing: a schema that holds no store (a mistyped schema=) is not
 * made one -- it would answer "no cases", as if all were well; a store
 * there opens as ever. */
static void a_store_to_be_read_must_be_in_its_schema(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	ot_engine_config c;
	ot_engine_config_init(&c);
	c.rules_path = CONTRACT;
	c.store = store;
	c.open_existing = 1;
	ot_engine *e = NULL;
	ot_error err;
	assert_int_equal(ot_engine_open_config(&c, &e, &err), OT_ESTORE);
	assert_non_null(strstr(err.message, "it holds no onetrip tables (a store is not created to "
				  "be read)"));
	PGconn *raw_c = raw();
	char text[160];
	snprintf(text, sizeof text, "SELECT count(*) FROM pg_namespace WHERE nspname = '%s'", schema);
	PGresult *r = PQexec(raw_c, text);
	assert_string_equal(PQgetvalue(r, 0, 0), "0"); /* nothing was made */
	PQclear(r);
	PQfinish(raw_c);
	c.open_existing = 0;
	assert_int_equal(ot_engine_open_config(&c, &e, &err), OT_OK);
	ot_engine_close(e);
	c.open_existing = 1;
	assert_int_equal(ot_engine_open_config(&c, &e, &err), OT_OK);
	ot_engine_close(e);
}

/* The feed gives a case's events in their order even when a transaction
 * of several cases took its id before another engine wrote the case:
 * here a group commit (ot_call_batch) writes case 3, waits for case 2's
 * row, and meanwhile this engine approves the intake of case 1 (event 2);
 * the batch then approves case 1's review (event 3).  Ordered by the
 * batch's transaction id alone, event 3 came first in the feed. */
static void a_batch_keeps_a_cases_events_in_order(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	ot_engine *e = open_at(CONTRACT, store);
	for (int i = 0; i < 3; i++)
		json_decref(ok(e, "submit", SUBMIT));
	PGconn *c = raw();
	lock_case(c, "20190927-0002");
	pid_t b = fork();
	if (b == 0) {
		ot_engine *mine = open_at(CONTRACT, store);
		ot_batch_item items[] = {
			{.op = "act", .request = "{\"case\":\"20190927-0003\",\"step\":\"intake\","
			 "\"action\":\"approve\",\"actor\":\"approval_bureau.investment\","
			 "\"now\":\"2019-09-29T10:00\"}"},
			{.op = "act", .request = INTAKE2},
			{.op = "act", .request = REVIEW},
		};
		ot_error err;
		ot_status s = ot_call_batch(mine, items, 3, &err);
		int done = s == OT_OK;
		for (int i = 0; i < 3; i++)
			if (items[i].status != OT_OK) {
				fprintf(stderr, "batch item %d: %s\n", i, items[i].err.message);
				done = 0;
			}
		_exit(done ? 0 : 1);
	}
	until_waiting(c, 1);
	json_decref(ok(e, "act", INTAKE)); /* case 1's event 2, committed first */
	sql(c, "COMMIT");
	int status;
	assert_int_equal(waitpid(b, &status, 0), b);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	json_t *feed = ok(e, "events", "{\"after\":\"0\"}"), *ev;
	size_t i;
	long last = 0;
	json_array_foreach(json_object_get(feed, "events"), i, ev)
		if (strcmp(json_string_value(json_object_get(ev, "case")), "20190927-0001") == 0) {
			long seq = (long)json_integer_value(json_object_get(ev, "seq"));
			assert_int_equal(seq, last + 1);
			last = seq;
		}
	assert_int_equal(last, 3);
	json_decref(feed);
	sound(e);
	PQfinish(c);
	ot_engine_close(e);
}

/* An event's place in its transaction is a sequence's low 23 bits, which
 * wrap every 8,388,608 events: a batch writing two events of one case as
 * they wrap keeps them in their order all the same. */
static void a_cases_events_in_order_as_the_places_wrap(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	ot_engine *e = open_at(CONTRACT, store);
	json_decref(ok(e, "submit", SUBMIT));
	PGconn *c = raw();
	char text[256];
	snprintf(text, sizeof text, "SELECT setval('%s.events_order', 8388606)", schema);
	sql(c, text);
	ot_batch_item items[] = {{.op = "act", .request = INTAKE}, {.op = "act", .request = REVIEW}};
	ot_error err;
	assert_int_equal(ot_call_batch(e, items, 2, &err), OT_OK);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(items[i].status, OT_OK);
		free(items[i].response);
	}
	json_t *feed = ok(e, "events", "{\"after\":\"0\"}"), *ev;
	size_t i;
	json_array_foreach(json_object_get(feed, "events"), i, ev)
		assert_int_equal(json_integer_value(json_object_get(ev, "seq")), (json_int_t)i + 1);
	assert_int_equal(json_array_size(json_object_get(feed, "events")), 3);
	json_decref(feed);
	sound(e);
	PQfinish(c);
	ot_engine_close(e);
}

/* The test's store, its connections named `NAME_PID` (application_name). */
static void named(const char *name)
{
	size_t n = strlen(store);
	snprintf(store + n, sizeof store - n, "&application_name=%s_%ld", name, (long)getpid());
}

/* The server ends the connections named so (as a restart does), and they
 * are gone when this returns. */
static void end_connections(PGconn *c, const char *name)
{
	char text[256];
	snprintf(text, sizeof text, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE"
		 " application_name = '%s_%ld'", name, (long)getpid());
	sql(c, text);
	snprintf(text, sizeof text, "SELECT count(*) FROM pg_stat_activity WHERE"
		 " application_name = '%s_%ld'", name, (long)getpid());
	for (int i = 0; i < 1000; i++) {
		PGresult *r = PQexec(c, text);
		int left = atoi(PQgetvalue(r, 0, 0));
		PQclear(r);
		if (!left)
			return;
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	fail_msg("the connections %s_%ld did not end", name, (long)getpid());
}

/* The server ends an idle engine's connection (as a restart does): the
 * engine's next operation, which would send its BEGIN with its COMMIT,
 * notices before sending, connects again and is done, once. */
static void idle_connection_ended(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	named("idle");
	int reruns = 0;
	ot_engine *e = counting(&reruns);
	json_decref(ok(e, "submit", SUBMIT));
	PGconn *c = raw();
	end_connections(c, "idle");
	assert_int_equal(events_of(ok(e, "act", INTAKE)), 2);
	assert_int_equal(reruns, 0);
	assert_int_equal(approvals(e, "intake"), 1);
	PQfinish(c);
	ot_engine_close(e);
}

#define DENY_REVIEW "{\"case\":\"20190927-0001\",\"step\":\"review\",\"action\":\"deny\"," \
	"\"actor\":\"approval_bureau\",\"reason\":\"x\",\"now\":\"2019-09-30T10:00\"}"

/* The case's row as it is, kept to be put back by lose_the_review. */
static void keep_before_review(PGconn *c)
{
	char text[256];
	snprintf(text, sizeof text, "CREATE TABLE %s.back AS SELECT * FROM %s.cases", schema, schema);
	sql(c, text);
}

/* The store as a failover that lost the commit of the review leaves it. */
static void lose_the_review(PGconn *c)
{
	char text[512];
	snprintf(text, sizeof text, "SET search_path TO %s; BEGIN; DELETE FROM events WHERE seq = 3;"
		 " UPDATE cases c SET status = b.status, department = b.department, handlers ="
		 " b.handlers, due = b.due, updated = b.updated, state = b.state, next_due ="
		 " b.next_due, warn_at = b.warn_at FROM back b WHERE b.id = c.id; COMMIT;"
		 " SET search_path TO DEFAULT", schema);
	sql(c, text);
}

/* The review denied, as the store says, and the store sound. */
static void denied_with_3_events(ot_engine *e)
{
	json_t *shown = ok(e, "show", "{\"case\":\"20190927-0001\"}");
	assert_string_equal(S(shown, "status"), "denied");
	assert_int_equal(json_integer_value(json_object_get(shown, "events")), 3);
	json_decref(shown);
	sound(e);
}

/* A failover that lost the engine's last commit (a standby promoted
 * before it reached it; here: the store put back by hand, the engine's
 * connection ended).  Connected again, the engine keeps nothing it had of
 * the case: it approves the review once more on the store's copy, where
 * the review is still to do -- and when another engine has meanwhile
 * denied it there (as many events as the engine kept, other ones), its
 * site visit is refused rather than approved on its old copy. */
static void a_failover_that_lost_the_last_commit(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	named("failover");
	ot_engine *e = open_at(CONTRACT, store);
	json_decref(ok(e, "submit", SUBMIT));
	assert_int_equal(events_of(ok(e, "act", INTAKE)), 2);
	PGconn *c = raw();
	keep_before_review(c);
	assert_int_equal(events_of(ok(e, "act", REVIEW)), 3);
	lose_the_review(c);
	end_connections(c, "failover");
	assert_int_equal(events_of(ok(e, "act", REVIEW)), 3);
	assert_int_equal(approvals(e, "review"), 1);
	sound(e);

	lose_the_review(c); /* lost again; another engine denies the review */
	end_connections(c, "failover");
	ot_engine *other = open_at(CONTRACT, store);
	json_decref(ok(other, "act", DENY_REVIEW));
	refused(e, "act", OT_ESTATE, "", SITE_VISIT);
	denied_with_3_events(e);
	PQfinish(c);
	ot_engine_close(other);
	ot_engine_close(e);
}

/* The same failover, found by an operation on a case the engine read
 * (not one it wrote last): its connection looked sound, and the answer to
 * its first round trip never came (the old server gone; pg_proxy).
 * Connected again on the way, it reads the case again from the new
 * server rather than use the copy it kept, which has as many events. */
static void a_connection_lost_before_reading_a_case_kept(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	PGconn *c = raw();
	char uri[512];
	pg_proxy *px = proxy(c, uri, sizeof uri);
	ot_engine *direct = open_at(CONTRACT, store), *via = open_at(CONTRACT, uri);
	json_decref(ok(direct, "submit", SUBMIT));
	json_decref(ok(direct, "act", INTAKE));
	keep_before_review(c);
	json_decref(ok(direct, "act", REVIEW));
	json_decref(ok(via, "show", "{\"case\":\"20190927-0001\"}")); /* kept: 3 events */
	lose_the_review(c);
	json_decref(ok(direct, "act", DENY_REVIEW));
	pg_proxy_lose_answer(px, 1);
	refused(via, "act", OT_ESTATE, "", SITE_VISIT);
	denied_with_3_events(via);
	ot_engine_close(via);
	ot_engine_close(direct);
	pg_proxy_stop(px);
	PQfinish(c);
}

/* Two engines submit while the day's counter row is held: both wait for
 * it and number their cases one after the other, neither losing a race
 * and running again (store_begin STORE_NUMBERING). */
static void submissions_wait_for_the_counter(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	ot_engine *e = open_at(CONTRACT, store);
	json_decref(ok(e, "submit", SUBMIT));
	PGconn *c = raw();
	char text[256];
	sql(c, "BEGIN");
	snprintf(text, sizeof text, "SELECT 1 FROM %s.counters FOR UPDATE", schema);
	sql(c, text);
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		if ((kids[k] = fork()) != 0)
			continue;
		int reruns = 0;
		ot_engine *mine = counting(&reruns);
		char *resp = NULL;
		ot_error err;
		ot_status s = ot_call(mine, "submit", SUBMIT, &resp, &err);
		if (s != OT_OK || reruns)
			fprintf(stderr, "engine %d: %s, %d second tries: %s\n", k, ot_status_name(s),
				reruns, s ? err.message : "");
		free(resp);
		ot_engine_close(mine);
		_exit(s == OT_OK && reruns == 0 ? 0 : 1);
	}
	until_waiting(c, 2);
	sql(c, "COMMIT");
	for (int k = 0; k < 2; k++) {
		int status;
		assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	json_decref(ok(e, "show", "{\"case\":\"20190927-0002\"}"));
	json_decref(ok(e, "show", "{\"case\":\"20190927-0003\"}"));
	refused(e, "show", OT_ENOTFOUND, "20190927-0004", "{\"case\":\"20190927-0004\"}");
	PQfinish(c);
	ot_engine_close(e);
}

/* A submission reads the day's counter with its first read and writes the
 * number it gave with its COMMIT (number_with in store_pg.c).  A day's
 * first number has no row to hold: another engine may take it between the
 * two.  Here one took six: the submission's write finds the row, waits
 * for that engine, and loses the race; its second try numbers 0007. */
static void a_days_first_number_taken_meanwhile(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	ot_engine *e = open_at(CONTRACT, store); /* the tables, and no case yet */
	PGconn *c = raw();
	char text[256];
	sql(c, "BEGIN");
	snprintf(text, sizeof text, "INSERT INTO %s.counters VALUES ('20190927', 6)", schema);
	sql(c, text);
	int answer[2];
	assert_int_equal(pipe(answer), 0);
	pid_t kid = fork();
	if (kid == 0) {
		int reruns = 0;
		ot_engine *mine = counting(&reruns);
		char *resp = NULL;
		ot_error err;
		ot_status s = ot_call(mine, "submit", SUBMIT, &resp, &err);
		json_t *j = resp ? json_loads(resp, 0, NULL) : NULL;
		char line[64];
		int n = snprintf(line, sizeof line, "%d %s", reruns, S(j, "id"));
		json_decref(j);
		free(resp);
		ot_engine_close(mine);
		_exit(s == OT_OK && write(answer[1], line, (size_t)n) == n ? 0 : 1);
	}
	until_waiting(c, 1); /* its number's write waits for ours */
	sql(c, "COMMIT");
	int status;
	assert_int_equal(waitpid(kid, &status, 0), kid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(answer[1]);
	char got[64];
	ssize_t n = read(answer[0], got, sizeof got - 1);
	close(answer[0]);
	assert_true(n > 0);
	got[n] = 0;
	assert_string_equal(got, "1 20190927-0007");
	snprintf(text, sizeof text, "SELECT n FROM %s.counters", schema);
	PGresult *r = PQexec(c, text);
	assert_string_equal(PQgetvalue(r, 0, 0), "7");
	PQclear(r);
	PQfinish(c);
	ot_engine_close(e);
}

/* A transaction that takes a case on trust and does not save it cannot
 * have the store check its copy: its COMMIT is refused as a lost race, so
 * the operation would run again, reading.  No operation does this today;
 * the store interface is driven by hand. */
static void a_case_taken_on_trust_and_not_saved(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	ot_engine *e = open_at(CONTRACT, store);
	json_decref(ok(e, "submit", SUBMIT));
	json_decref(ok(e, "act", INTAKE)); /* kept, and known as written last */
	ot_error err;
	ot_case *c = NULL;
	assert_int_equal(store_begin(e, STORE_TRUSTING, &err), OT_OK);
	assert_int_equal(case_load(e, "20190927-0001", &c, &err), OT_OK);
	assert_int_equal(c->events, 2);
	case_free(c);
	assert_int_equal(store_commit(e, &err), OT_ESTORE);
	assert_non_null(strstr(err.message, "taken as this engine last wrote it"));
	assert_true(store_lost_race(e));
	assert_int_equal(events_of(ok(e, "act", REVIEW)), 3); /* and it goes on */
	ot_engine_close(e);
}

/* What one engine does with the shared key: writes its line ("how id\n")
 * to fd; 0 when it got an answer. */
typedef int (*keyed_submit)(int k, ot_engine *mine, int fd);

/* Two engines, each in its own process, run `one` at the same moment:
 * the day's counter row is held until both wait for it, then let go.
 * Their two lines, in either order, into got. */
static void two_at_the_counter(keyed_submit one, char *got, size_t cap)
{
	PGconn *c = raw();
	char text[256];
	sql(c, "BEGIN");
	snprintf(text, sizeof text, "SELECT 1 FROM %s.counters FOR UPDATE", schema);
	sql(c, text);
	int answers[2];
	assert_int_equal(pipe(answers), 0);
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		if ((kids[k] = fork()) != 0)
			continue;
		ot_engine *mine = NULL;
		ot_error err;
		if (ot_engine_open(CONTRACT, store, &mine, &err) != OT_OK)
			_exit(3);
		int rc = one(k, mine, answers[1]);
		ot_engine_close(mine);
		_exit(rc);
	}
	until_waiting(c, 2);
	sql(c, "COMMIT");
	for (int k = 0; k < 2; k++) {
		int status;
		assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	close(answers[1]);
	ssize_t n = read(answers[0], got, cap - 1);
	assert_true(n > 0);
	got[n] = 0;
	close(answers[0]);
	PQfinish(c);
}

static int submit_keyed(int k, ot_engine *mine, int fd)
{
	ot_error err;
	char *resp = NULL;
	ot_idempotency key = {"the-same-key", NULL, 0, 0};
	ot_status s = ot_call_idempotent(mine, "submit", SUBMIT, &key, &resp, &err);
	if (s != OT_OK)
		fprintf(stderr, "engine %d: %s: %s\n", k, ot_status_name(s), err.message);
	char line[64];
	json_t *j = resp ? json_loads(resp, 0, NULL) : NULL;
	int n = snprintf(line, sizeof line, "%d %s\n", key.replayed, S(j, "id"));
	json_decref(j);
	free(resp);
	return s == OT_OK && write(fd, line, (size_t)n) == n ? 0 : 1;
}

/* Two engines given the same idempotency key submit at the same moment:
 * one submission is made, the other engine answers with its answer (a
 * keyed submission keeps racing for the counter, so that its key
 * conflicts). */
static void one_key_submitted_twice_at_once(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	ot_engine *e = open_at(CONTRACT, store);
	json_decref(ok(e, "submit", SUBMIT));
	char got[128];
	two_at_the_counter(submit_keyed, got, sizeof got);
	/* one made it, one replayed it: the same case, 0002 */
	assert_true(strcmp(got, "0 20190927-0002\n1 20190927-0002\n") == 0 ||
		    strcmp(got, "1 20190927-0002\n0 20190927-0002\n") == 0);
	refused(e, "show", OT_ENOTFOUND, "20190927-0003", "{\"case\":\"20190927-0003\"}");
	ot_engine_close(e);
}

static int submit_keyed_in_a_batch(int k, ot_engine *mine, int fd)
{
	ot_error err;
	ot_idempotency key = {"the-batched-key", NULL, 0, 0};
	ot_batch_item item = {.op = "submit", .request = SUBMIT, .key = &key};
	ot_status s = ot_call_batch(mine, &item, 1, &err);
	char line[64];
	json_t *j = item.response ? json_loads(item.response, 0, NULL) : NULL;
	/* made (M), replayed (R), or refused as a lost race (L) */
	char how = item.status != OT_OK ? (item.status == OT_ESTORE &&
		   strstr(item.err.message, "same moment") ? 'L' : '?') : key.replayed ? 'R' : 'M';
	if (how == '?')
		fprintf(stderr, "engine %d: %s\n", k, item.err.message);
	int n = snprintf(line, sizeof line, "%c %s\n", how, how == 'L' ? "-" : S(j, "id"));
	json_decref(j);
	free(item.response);
	return s == OT_OK && write(fd, line, (size_t)n) == n ? 0 : 1;
}

/* The same, each engine's submission in a group commit (ot_call_batch, as
 * `onetrip serve` runs them), which reads at READ COMMITTED: the engine
 * that comes second finds the key kept when it keeps its own, and its
 * submission is undone as a lost race, then runs again on its own after
 * its batch and answers with the first one's answer -- never a second
 * case under one key. */
static void one_key_in_two_batches_at_once(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	ot_engine *e = open_at(CONTRACT, store);
	json_decref(ok(e, "submit", SUBMIT));
	char got[128];
	two_at_the_counter(submit_keyed_in_a_batch, got, sizeof got);
	assert_true(strcmp(got, "M 20190927-0002\nR 20190927-0002\n") == 0 ||
		    strcmp(got, "R 20190927-0002\nM 20190927-0002\n") == 0);
	refused(e, "show", OT_ENOTFOUND, "20190927-0003", "{\"case\":\"20190927-0003\"}");
	sound(e);
	ot_engine_close(e);
}

/* ---- a chain's rows, taken in one order ---- */

#define TRIPS OT_SOURCE_DIR "/tests/data/chain/trips.rules"
/* the chain `ch`: chain case 20190902-0001, and its first stage's items 甲
 * (20190902-0002, a visit then a decision) and 乙 (20190902-0003) */
#define CHAIN_SUBMIT "{\"chain\":\"ch\",\"now\":\"2019-09-02T09:00\",\"applicant\":" COMPANY \
	",\"form\":{\"name\":\"x\"},\"materials\":[\"plan\",\"x\"]}"
#define CHAIN_SUPPLEMENT "{\"case\":\"20190902-0001\",\"materials\":[\"plan\"]," \
	"\"channel\":\"hall\",\"now\":\"2019-09-02T10:00\"}"
#define VISIT "{\"case\":\"20190902-0002\",\"step\":\"visit\",\"action\":\"approve\"," \
	"\"actor\":\"bureau\",\"now\":\"2019-09-02T10:00\"}"

/* A process of its own doing `op` -- in a group commit, which locks what
 * it reads from the start as a second try does, or alone, a first try
 * that locks nothing until it writes; it exits 0 when it was done. */
static pid_t doing(const char *op, const char *request, int batch)
{
	pid_t kid = fork();
	if (kid != 0)
		return kid;
	ot_engine *mine = NULL;
	ot_error err;
	if (ot_engine_open(TRIPS, store, &mine, &err) != OT_OK)
		_exit(3);
	ot_batch_item item = {.op = op, .request = request};
	char *resp = NULL;
	ot_status s = batch ? ot_call_batch(mine, &item, 1, &err) : ot_call(mine, op, request,
									     &resp, &err);
	if (batch && s == OT_OK && (s = item.status) != OT_OK)
		err = item.err;
	if (s != OT_OK)
		fprintf(stderr, "%s: %s: %s\n", op, ot_status_name(s), err.message);
	free(resp);
	free(item.response);
	ot_engine_close(mine);
	_exit(s == OT_OK ? 0 : 1);
}

/* Whether nothing holds item case 甲's row (c takes it if so, until it
 * commits). */
static int item_free(PGconn *c)
{
	char text[256];
	snprintf(text, sizeof text, "SELECT 1 FROM %s.cases WHERE id = '20190902-0002'"
		 " FOR UPDATE SKIP LOCKED", schema);
	PGresult *r = PQexec(c, text);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	int n = PQntuples(r);
	PQclear(r);
	return n == 1;
}

/* A chain-level supplement takes the chain's row, then its items'; an
 * operation on item 甲 follows it to the chain.  While a raw connection
 * holds the chain's row, the supplement waits for it, then the item's
 * operation -- and that one must hold nothing of the chain meanwhile:
 * taking 甲 first, as it reads 甲 first, it would hold what the
 * supplement then wants, and wait for the chain the supplement holds, a
 * deadlock PostgreSQL ends after a second by failing one of them.  So
 * each takes the chain first (store_pg.c, lock order): once the chain is
 * let go, the supplement is done, then the approval. */
static void chain_first(int batch)
{
	if (!new_store())
		skip();
	ot_engine *e = open_at(TRIPS, store);
	json_decref(ok(e, "submit", CHAIN_SUBMIT));
	PGconn *c = raw();
	lock_case(c, "20190902-0001"); /* the chain's row, as another engine's */
	pid_t supplement = doing("supplement", CHAIN_SUPPLEMENT, 1);
	until_waiting(c, 1);
	pid_t visit = doing("act", VISIT, batch);
	until_waiting(c, 2);
	int was_free = item_free(c);
	sql(c, "COMMIT"); /* before any assertion: no process is left waiting */
	int status[2];
	assert_int_equal(waitpid(supplement, &status[0], 0), supplement);
	assert_int_equal(waitpid(visit, &status[1], 0), visit);
	assert_true(was_free);
	for (int k = 0; k < 2; k++)
		assert_true(WIFEXITED(status[k]) && WEXITSTATUS(status[k]) == 0);
	json_t *ic = ok(e, "show", "{\"case\":\"20190902-0002\"}");
	assert_string_equal(S(json_array_get(json_object_get(ic, "current"), 0), "step"), "decide");
	json_decref(ic);
	sound(e);
	PQfinish(c);
	ot_engine_close(e);
}

/* ... an approval's second try, or in a group commit: it reads 甲 with a
 * lock, so it takes the chain's row before */
static void a_chain_taken_before_its_item_when_reading(void **state)
{
	(void)state;
	chain_first(1);
}

/* ... an approval's first try: it reads without locks, but its write of
 * 甲 goes to the server with its read of the chain, long before the
 * chain's write goes with the COMMIT, so it takes the chain's row before
 * that write */
static void a_chain_taken_before_its_item_when_writing(void **state)
{
	(void)state;
	chain_first(0);
}

/* The time sweep takes an item case's chain before the item too: while
 * another holds the chain's row, the chain's items are passed over at
 * once, as a case another holds is -- not claimed, then waited for with
 * the chain (its warning follows the item to its chain) -- and warned
 * once the chain is free. */
static void a_sweep_passes_over_the_items_of_a_chain_another_holds(void **state)
{
	(void)state;
	if (!new_store())
		skip();
	ot_engine *e = open_at(TRIPS, store);
	json_decref(ok(e, "submit", CHAIN_SUBMIT));
	PGconn *c = raw();
	lock_case(c, "20190902-0001"); /* the chain's row, as another engine's */
	time_t start = time(NULL);
	json_t *a = ok(e, "sweep", "{\"now\":\"2019-12-02T09:00\"}");
	assert_true(time(NULL) - start < 5); /* busy_ms is 10 s: it did not wait */
	assert_int_equal(json_integer_value(json_object_get(a, "claimed")), 0);
	assert_null(json_object_get(a, "failed"));
	json_decref(a);
	sql(c, "COMMIT");
	a = ok(e, "sweep", "{\"now\":\"2019-12-02T09:00\"}");
	json_t *w = json_object_get(a, "warnings");
	int warned[2] = {0, 0};
	for (size_t i = 0; i < json_array_size(w); i++) {
		const char *id = S(json_array_get(w, i), "case");
		warned[0] += strcmp(id, "20190902-0002") == 0;
		warned[1] += strcmp(id, "20190902-0003") == 0;
	}
	assert_true(warned[0] >= 1 && warned[1] >= 1);
	assert_null(json_object_get(a, "failed"));
	json_decref(a);
	sound(e);
	PQfinish(c);
	ot_engine_close(e);
}

/* A process of its own running a batch of two operations, on cases 0001
 * and 0002, with the log lines that hold `mark` counted; it writes
 * "STATUS1 STATUS2 COUNT MESSAGE" to fd (MESSAGE: the first failure's). */
static pid_t batch_of_two(int fd, const char *first, const char *second, const char *mark)
{
	pid_t kid = fork();
	if (kid != 0)
		return kid;
	struct marks m = {mark, 0};
	ot_engine *mine = configured(count_marks, &m, 0);
	ot_batch_item items[2] = {{.op = "act", .request = first}, {.op = "act", .request = second}};
	ot_error err;
	ot_call_batch(mine, items, 2, &err);
	char line[600];
	const ot_batch_item *bad = items[0].status != OT_OK ? &items[0] : &items[1];
	int n = snprintf(line, sizeof line, "%s %s %d %s", ot_status_name(items[0].status),
			 ot_status_name(items[1].status), m.n, bad->err.message);
	free(items[0].response);
	free(items[1].response);
	ot_engine_close(mine);
	_exit(write(fd, line, (size_t)n) == n ? 0 : 1);
}

/* What batch_of_two wrote, once it is done. */
static void batch_answer(pid_t kid, int fds[2], char *got, size_t cap)
{
	int status;
	assert_int_equal(waitpid(kid, &status, 0), kid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fds[1]);
	ssize_t n = read(fds[0], got, cap - 1);
	close(fds[0]);
	assert_true(n > 0);
	got[n] = 0;
}

/* Two servers' batches taking cases 0001 and 0002 in other orders: each
 * holds what the other waits for, and PostgreSQL fails one's statement
 * after deadlock_timeout.  That operation is not answered "try again": it
 * runs again on its own once its batch is committed and holds nothing
 * (in the batch, it would wait for the same row held by the same other).
 * Here the other is a raw connection (which waits far longer before it
 * looks for a deadlock, so the engine's batch is the one PostgreSQL
 * fails); it takes nothing, so the operation run again is done. */
static void a_batch_that_loses_a_deadlock_runs_the_loser_again(void **state)
{
	(void)state;
	ot_engine *e = two_cases();
	PGconn *c = raw();
	sql(c, "SET deadlock_timeout = '60s'");
	lock_case(c, "20190927-0002");
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t kid = batch_of_two(fds[1], INTAKE, INTAKE2, "running it again on its own");
	until_waiting(c, 1); /* 0001 taken, waiting for 0002 */
	char text[256];
	snprintf(text, sizeof text, "SELECT 1 FROM %s.cases WHERE id = '20190927-0001' FOR UPDATE",
		 schema);
	sql(c, text); /* waits until the batch, failed on 0002, commits 0001 */
	sql(c, "COMMIT");
	char got[600];
	batch_answer(kid, fds, got, sizeof got);
	assert_string_equal(got, "ok ok 1 ");
	assert_second_at(e, "review");
	assert_int_equal(approvals(e, "intake"), 1);
	sound(e);
	PQfinish(c);
	ot_engine_close(e);
}

/* The connection cut while a batch waits for a row: the operation that
 * was reading is told the connection was lost, and so are the next one
 * and the commit (not "the store ended the transaction after an error",
 * which would hide the outage), and the engine's log says the batch
 * failed.  Nothing was kept; the next operation connects again. */
static void a_batch_whose_connection_is_cut(void **state)
{
	(void)state;
	ot_engine *e = two_cases();
	PGconn *c = raw();
	lock_case(c, "20190927-0001");
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t kid = batch_of_two(fds[1], INTAKE, INTAKE2, "a batch of 2 operations: store error");
	until_waiting(c, 1);
	cut_waiting(c);
	sql(c, "COMMIT");
	char got[600];
	batch_answer(kid, fds, got, sizeof got);
	if (!strstr(got, "store error store error 1 lost the connection to the store"))
		fprintf(stderr, "the batch: %s\n", got);
	assert_non_null(strstr(got, "store error store error 1 lost the connection to the store"));
	assert_null(strstr(got, "ended the transaction"));
	assert_int_equal(approvals(e, "intake"), 0);
	assert_second_at(e, "intake");
	sound(e);
	PQfinish(c);
	ot_engine_close(e);
}

/* A process of its own running a batch of `n` operations, the first with
 * the key "k-first"; it writes "STATUS REPLAYED" of that first one to fd. */
static pid_t keyed_batch(int fd, const ot_batch_item *ops, size_t n)
{
	pid_t kid = fork();
	if (kid != 0)
		return kid;
	ot_engine *mine = configured(NULL, NULL, 0);
	ot_idempotency key = {"k-first", NULL, 0, 0};
	ot_batch_item items[2];
	memcpy(items, ops, n * sizeof *items);
	items[0].key = &key;
	ot_error err;
	ot_call_batch(mine, items, n, &err);
	if (items[0].status != OT_OK)
		fprintf(stderr, "keyed: %s\n", items[0].err.message);
	char line[64];
	int len = snprintf(line, sizeof line, "%s %d", ot_status_name(items[0].status), key.replayed);
	for (size_t i = 0; i < n; i++)
		free(items[i].response);
	ot_engine_close(mine);
	_exit(write(fd, line, (size_t)len) == len ? 0 : 1);
}

/* A retry with the same key in another server's batch, while the first
 * request is still being committed: it finds no key kept, waits for the
 * case's row the first holds, and then finds the step done -- refused
 * for the case's state, which the first request's own doing.  It runs
 * again on its own after its batch and answers with the first one's
 * answer.  The first is held uncommitted by a second operation of its
 * batch waiting for a row a raw connection holds. */
static void a_retry_in_a_batch_while_the_first_commits(void **state)
{
	(void)state;
	ot_engine *e = two_cases();
	PGconn *c = raw();
	lock_case(c, "20190927-0002");
	int first[2], retry[2];
	assert_int_equal(pipe(first), 0);
	assert_int_equal(pipe(retry), 0);
	const ot_batch_item ops[] = {{.op = "act", .request = INTAKE}, {.op = "act", .request = INTAKE2}};
	pid_t a = keyed_batch(first[1], ops, 2);
	until_waiting(c, 1); /* 0001 approved, its key kept, waiting for 0002 */
	pid_t b = keyed_batch(retry[1], ops, 1);
	until_waiting(c, 2); /* the retry: no key seen, waiting for 0001 */
	sql(c, "COMMIT");
	char got[600];
	batch_answer(a, first, got, sizeof got);
	assert_string_equal(got, "ok 0");
	batch_answer(b, retry, got, sizeof got);
	assert_string_equal(got, "ok 1");
	assert_int_equal(approvals(e, "intake"), 1);
	sound(e);
	PQfinish(c);
	ot_engine_close(e);
}

/* ---- what the events put beside them, changed by a hand in the tables ---- */

#define KEEP OT_SOURCE_DIR "/tests/data/licences/keep.rules"
#define SHOP "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"鞍山市立山商贸有限公司\"}"
#define KEEP_APP(item, now) "{\"item\":\"" item "\",\"now\":\"" now "\",\"applicant\":" SHOP \
	",\"form\":{\"name\":\"厂房\"},\"materials\":[\"plan\"]}"
#define KEEP_DECIDE(id, now) "{\"case\":\"" id "\",\"step\":\"decide\",\"action\":\"approve\"," \
	"\"actor\":\"bureau\",\"now\":\"" now "\"}"

/* The check's report names case `id` with a problem containing needle,
 * and has n problems in all. */
static void reports(ot_engine *e, const char *id, const char *needle, size_t n)
{
	json_t *r = ok(e, "store_check", "{}"), *p;
	size_t i, found = 0;
	json_array_foreach(json_object_get(r, "problems"), i, p)
		found |= !strcmp(S(p, "case"), id) && strstr(S(p, "problem"), needle) != NULL;
	if (!found || json_array_size(json_object_get(r, "problems")) != n) {
		char *text = json_dumps(r, JSON_INDENT(2));
		fprintf(stderr, "wanted %zu problems, one for %s with '%s', in:\n%s\n", n, id, needle,
			text);
		free(text);
		fail();
	}
	json_decref(r);
}

/* keep.rules (test_store.c's licence store): pp 20190902-0001 kept by cp
 * 20190903-0001, pp 20190903-0002 revoked; then `tamper`, in the store's
 * schema, by a raw connection. */
static ot_engine *tampered(const char *rules, const char *tamper)
{
	ot_engine *e = open_at(rules, store);
	if (strcmp(rules, KEEP) == 0) {
		json_decref(ok(e, "submit", KEEP_APP("pp", "2019-09-02T09:00")));
		json_decref(ok(e, "act", KEEP_DECIDE("20190902-0001", "2019-09-02T10:00")));
		json_decref(ok(e, "submit", KEEP_APP("cp", "2019-09-03T09:00")));
		json_decref(ok(e, "act", KEEP_DECIDE("20190903-0001", "2019-09-03T10:00")));
		json_decref(ok(e, "submit", KEEP_APP("pp", "2019-09-03T11:00")));
		json_decref(ok(e, "act", KEEP_DECIDE("20190903-0002", "2019-09-03T12:00")));
		json_decref(ok(e, "pledge_check", "{\"case\":\"20190903-0002\",\"result\":\"untrue\","
			       "\"actor\":\"bureau\",\"reason\":\"不实\",\"now\":\"2019-09-04T09:00\"}"));
	} else {
		json_decref(ok(e, "submit", SUBMIT));
		json_decref(ok(e, "act", INTAKE));
	}
	sound(e);
	PGconn *c = raw();
	char text[128];
	snprintf(text, sizeof text, "SET search_path TO %s", schema);
	sql(c, text);
	sql(c, tamper);
	PQfinish(c);
	return e;
}

static void rows_beside_the_events_changed_by_hand(void **state)
{
	(void)state;
	static const struct {
		const char *rules, *sql, *id, *problem;
	} cases[] = {
		{CONTRACT, "UPDATE events SET actor = 'someone_else', op = 'deny' WHERE seq = 2",
		 "20190927-0001", "event 2 differs from its payload in the columns the event feed "
		 "shows: op deny (the event: act), actor someone_else (the event: "
		 "approval_bureau.investment)"},
		{KEEP, "DELETE FROM licences WHERE case_id = '20190903-0001';"
		 " DELETE FROM events WHERE case_id = '20190903-0001';"
		 " DELETE FROM cases WHERE id = '20190903-0001'", "20190903-0001",
		 "no case has this number (no row, no event), though a day's numbers are given out "
		 "without gaps: the day's counter is at 2"},
		{KEEP, "UPDATE licences SET holder = '91210302MA0Y8K3L12' WHERE case_id = '20190903-0001'",
		 "20190903-0001", "the licence library holds its licence cdoc (number "
		 "20190903-0001-cdoc) for another holder than its applicant"},
		{KEEP, "UPDATE licences SET number = 'CD-1' WHERE case_id = '20190903-0001'",
		 "20190903-0001", "the licence library holds a licence cdoc numbered CD-1 that names it"},
		{KEEP, "DELETE FROM licences WHERE case_id = '20190903-0001'", "20190903-0001",
		 "its licence cdoc (number 20190903-0001-cdoc) is not in the licence library"},
		{KEEP, "UPDATE licences SET valid_until = NULL WHERE case_id = '20190903-0002'",
		 "20190903-0002", "its licence pdoc is valid with no end, but its approval was revoked "
		 "at 2019-09-04T09:00:00+08:00"},
		{KEEP, "UPDATE licences SET valid_until = 1599012000 WHERE case_id = '20190902-0001'",
		 "20190902-0001", "its licence pdoc is valid until 2020-09-02T10:00:00+08:00, but case "
		 "20190903-0001's approval of cdoc kept it valid with no end"},
		{CONTRACT, "UPDATE library SET applicant = '91210302MA0Y8K3L12'", "20190927-0001",
		 "the material library has its entry of land_cert under another applicant than its "
		 "own"},
		{CONTRACT, "UPDATE library SET valid_until = valid_until + 86400", "20190927-0001",
		 "its entry of land_cert in the material library is valid from "
		 "2019-09-27T09:00:00+08:00 until 2029-09-28T09:00:00+08:00, but its events make it "
		 "valid from 2019-09-27T09:00:00+08:00 until 2029-09-27T09:00:00+08:00"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		if (!new_store())
			skip();
		ot_engine *e = tampered(cases[i].rules, cases[i].sql);
		/* the removed case: and the licence it kept has no keeper now */
		reports(e, cases[i].id, cases[i].problem, i == 1 ? 2 : 1);
		ot_engine_close(e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_same_step_at_once),
		cmocka_unit_test(connection_cut_mid_operation),
		cmocka_unit_test(version_3_is_migrated),
		cmocka_unit_test(a_sweep_passes_over_a_case_another_holds),
		cmocka_unit_test(uris_in_messages),
		cmocka_unit_test(a_save_refused_with_the_commit),
		cmocka_unit_test(a_library_entry_refused_with_the_commit),
		cmocka_unit_test(an_event_of_no_case),
		cmocka_unit_test(a_batch_write_refused_after_its_operation),
		cmocka_unit_test(a_commit_refused_at_the_end),
		cmocka_unit_test(another_engine_between_two_operations),
		cmocka_unit_test(connection_cut_in_the_one_round_trip),
		cmocka_unit_test(a_commits_answer_lost),
		cmocka_unit_test(the_counter_held_too_long),
		cmocka_unit_test(a_batch_reads_what_it_waited_for),
		cmocka_unit_test(idle_connection_ended),
		cmocka_unit_test(a_failover_that_lost_the_last_commit),
		cmocka_unit_test(a_connection_lost_before_reading_a_case_kept),
		cmocka_unit_test(submissions_wait_for_the_counter),
		cmocka_unit_test(a_days_first_number_taken_meanwhile),
		cmocka_unit_test(a_case_taken_on_trust_and_not_saved),
		cmocka_unit_test(one_key_submitted_twice_at_once),
		cmocka_unit_test(one_key_in_two_batches_at_once),
		cmocka_unit_test(a_batch_keeps_a_cases_events_in_order),
		cmocka_unit_test(a_cases_events_in_order_as_the_places_wrap),
		cmocka_unit_test(a_store_to_be_read_must_be_in_its_schema),
		cmocka_unit_test(rows_beside_the_events_changed_by_hand),
		cmocka_unit_test(a_chain_taken_before_its_item_when_reading),
		cmocka_unit_test(a_chain_taken_before_its_item_when_writing),
		cmocka_unit_test(a_sweep_passes_over_the_items_of_a_chain_another_holds),
		cmocka_unit_test(a_batch_that_loses_a_deadlock_runs_the_loser_again),
		cmocka_unit_test(a_batch_whose_connection_is_cut),
		cmocka_unit_test(a_retry_in_a_batch_while_the_first_commits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
