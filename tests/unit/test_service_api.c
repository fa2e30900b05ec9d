/* What `onetrip serve` asks of the public API: idempotency keys, the event
 * feed, counts, and the client and officer recorded in an event.  Through
 * ot_call and ot_call_idempotent, on a store file (the keys must outlive
 * the engine). */
#include <jansson.h>
#include <unistd.h>

#include "engine_helpers.h"

static const char *CONTRACT = OT_SOURCE_DIR "/tests/contract/rules/contract.rules";

#define SUBMIT "{\"item\":\"construction_permit\",\"channel\":\"online\"," \
	"\"now\":\"2019-09-27T09:00\",\"client\":\"portal\"," \
	"\"applicant\":{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"x\"}," \
	"\"form\":{\"name\":\"楼\",\"area\":5400,\"height\":18,\"government_funded\":true," \
	"\"contractor\":\"91350100M000100Y43\",\"kind\":\"public\"}," \
	"\"materials\":[\"land_cert\",\"drawings\",\"fire_review\"]}"

static char path[512];

static ot_engine *open_file(void)
{
	return open_at(CONTRACT, path);
}

static int setup(void **state)
{
	(void)state;
	/* on PostgreSQL (OT_TEST_STORE=postgresql): a schema of its own */
	const char *backend = getenv("OT_TEST_STORE"), *pg = getenv("OT_TEST_PG");
	if (backend && pg && strcmp(backend, "postgresql") == 0) {
		static unsigned n;
		snprintf(path, sizeof path, "%s%cschema=svapi%ld_%u", pg, strchr(pg, '?') ? '&' : '?',
			 (long)getpid(), n++);
		return 0;
	}
	char dir[256];
	snprintf(path, sizeof path, "%s/store.db", test_tmpdir("svapi", dir, sizeof dir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (strncmp(path, "postgresql:", 11) != 0)
		remove_store(path);
	return 0;
}

static size_t events_after(ot_engine *e, const char *after, char next[32])
{
	json_t *r = ok(e, "events", "{\"after\":\"%s\"}", after);
	size_t n = json_array_size(json_object_get(r, "events"));
	snprintf(next, 32, "%s", S(r, "next"));
	json_decref(r);
	return n;
}

static void a_retry_answers_the_first_answer_and_changes_nothing(void **state)
{
	(void)state;
	ot_engine *e = open_file();
	ot_idempotency k = {"portal:k1", NULL, 3600, 0};
	char *first = NULL, *second = NULL, next[32];
	ot_error err;
	assert_int_equal(ot_call_idempotent(e, "submit", SUBMIT, &k, &first, &err), OT_OK);
	assert_int_equal(k.replayed, 0);
	ot_engine_close(e); /* kept in the store: another engine sees the key */
	e = open_file();
	assert_int_equal(ot_call_idempotent(e, "submit", SUBMIT, &k, &second, &err), OT_OK);
	assert_int_equal(k.replayed, 1);
	assert_string_equal(first, second);
	assert_int_equal(events_after(e, "0", next), 1);
	/* the same key for another request is refused, and changes nothing */
	char *third = NULL;
	ot_idempotency other = {"portal:k1", "another request", 3600, 0};
	assert_int_equal(ot_call_idempotent(e, "submit", SUBMIT, &other, &third, &err), OT_EINVAL);
	assert_non_null(strstr(err.message, "used for another request"));
	assert_null(third);
	assert_int_equal(events_after(e, "0", next), 1);
	/* a refused write keeps no answer: the same key may go again */
	ot_idempotency bad = {"portal:k2", NULL, 3600, 0};
	assert_int_equal(ot_call_idempotent(e, "act", "{\"case\":\"19990101-0001\",\"now\":"
			 "\"2019-09-28T09:00\",\"step\":\"a\",\"action\":\"approve\",\"actor\":\"x\"}",
			 &bad, &third, &err), OT_ENOTFOUND);
	assert_int_equal(bad.replayed, 0);
	free(first);
	free(second);
	ot_engine_close(e);
}

/* A key is a request's: the same text sent to another operation is
 * another request (resume and withdraw take the same fields), refused,
 * not answered with the first operation's answer. */
static void a_key_is_one_operations(void **state)
{
	(void)state;
	ot_engine *e = open_file();
	json_decref(ok(e, "submit", SUBMIT));
	json_decref(ok(e, "suspend", "{\"case\":\"20190927-0001\",\"now\":\"2019-09-28T09:00\","
		       "\"reason\":\"x\"}"));
	static const char same[] = "{\"case\":\"20190927-0001\",\"now\":\"2019-09-29T09:00\"}";
	ot_idempotency k = {"portal:k3", NULL, 3600, 0};
	char *resp = NULL;
	ot_error err;
	assert_int_equal(ot_call_idempotent(e, "resume", same, &k, &resp, &err), OT_OK);
	free(resp);
	resp = NULL;
	assert_int_equal(ot_call_idempotent(e, "withdraw", same, &k, &resp, &err), OT_EINVAL);
	assert_non_null(strstr(err.message, "used for another request"));
	assert_null(resp);
	assert_int_equal(k.replayed, 0);
	json_t *c = ok(e, "show", "{\"case\":\"20190927-0001\"}");
	assert_string_equal(S(c, "status"), "in_progress");
	json_decref(c);
	ot_engine_close(e);
}

static void keys_expire(void **state)
{
	(void)state;
	ot_engine *e = open_file();
	ot_idempotency k = {"portal:short", NULL, 1, 0};
	char *a = NULL, *b = NULL, next[32];
	ot_error err;
	assert_int_equal(ot_call_idempotent(e, "submit", SUBMIT, &k, &a, &err), OT_OK);
	sleep(2);
	assert_int_equal(ot_call_idempotent(e, "submit", SUBMIT, &k, &b, &err), OT_OK);
	assert_int_equal(k.replayed, 0); /* expired: a new case */
	assert_string_not_equal(a, b);
	assert_int_equal(events_after(e, "0", next), 2);
	free(a);
	free(b);
	ot_engine_close(e);
}

static void the_feed_and_the_event_record_who_wrote(void **state)
{
	(void)state;
	ot_engine *e = open_file();
	json_t *c = ok(e, "submit", SUBMIT);
	char next[32], after[32];
	assert_int_equal(events_after(e, "0", next), 1);
	json_t *a = ok(e, "act", "{\"case\":\"%s\",\"now\":\"2019-09-28T09:00\",\"step\":\"intake\","
		       "\"action\":\"approve\",\"actor\":\"approval_bureau.investment\",\"client\":"
		       "\"hall\",\"officer\":{\"id\":\"S1\",\"name\":\"王芳\"}}", S(c, "id"));
	snprintf(after, sizeof after, "%s", next);
	json_t *page = ok(e, "events", "{\"after\":\"%s\"}", after);
	json_t *ev = json_array_get(json_object_get(page, "events"), 0);
	assert_string_equal(S(ev, "op"), "act");
	assert_string_equal(S(ev, "case"), S(c, "id"));
	assert_int_equal(json_array_size(json_object_get(page, "events")), 1);
	json_t *shown = ok(e, "show", "{\"case\":\"%s\"}", S(c, "id"));
	json_t *h = json_object_get(shown, "history");
	assert_string_equal(S(json_array_get(h, 0), "client"), "portal");
	assert_string_equal(S(json_array_get(h, 1), "client"), "hall");
	assert_string_equal(S(json_object_get(json_array_get(h, 1), "officer"), "name"), "王芳");
	/* filters: a client's own cases, a department's */
	json_t *mine = ok(e, "events", "{\"after\":\"0\",\"client\":\"portal\"}");
	assert_int_equal(json_array_size(json_object_get(mine, "events")), 2);
	json_t *none = ok(e, "events", "{\"after\":\"0\",\"client\":\"other\"}");
	assert_int_equal(json_array_size(json_object_get(none, "events")), 0);
	json_t *counts = ok(e, "counts", "{}");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(counts, "cases"),
							    "in_progress")), 1);
	refused(e, "events", OT_EINVAL, "cursor", "{\"after\":\"x1\"}");
	/* a misspelt department would follow nothing, as if nothing happened */
	json_t *dept = ok(e, "events", "{\"after\":\"0\",\"department\":\"approval_bureau\"}");
	assert_int_equal(json_array_size(json_object_get(dept, "events")), 2);
	json_decref(dept);
	refused(e, "events", OT_EINVAL, "events: there is no department 'approval_burea' — did you "
		"mean 'approval_bureau'?", "{\"after\":\"0\",\"department\":\"approval_burea\"}");
	refused(e, "act", OT_EINVAL, "officer.name", "{\"case\":\"x\",\"now\":\"2019-09-28T09:00\","
		"\"step\":\"s\",\"action\":\"approve\",\"actor\":\"a\",\"officer\":{\"id\":\"S1\"}}");
	json_decref(counts);
	json_decref(none);
	json_decref(mine);
	json_decref(shown);
	json_decref(page);
	json_decref(a);
	json_decref(c);
	ot_engine_close(e);
}

static void a_batch_commits_together_and_a_refusal_changes_nothing(void **state)
{
	(void)state;
	ot_engine *e = open_file();
	ot_idempotency k1 = {"portal:b1", NULL, 3600, 0}, k2 = {"portal:b1", NULL, 3600, 0};
	const char *bad_act = "{\"case\":\"19990101-0001\",\"now\":\"2019-09-28T09:00\","
			      "\"step\":\"intake\",\"action\":\"approve\",\"actor\":\"x\"}";
	ot_batch_item items[] = {
		{"submit", SUBMIT, NULL, NULL, OT_OK, {OT_OK, ""}},
		{"act", bad_act, NULL, NULL, OT_OK, {OT_OK, ""}},
		{"submit", SUBMIT, &k1, NULL, OT_OK, {OT_OK, ""}},
		{"submit", SUBMIT, &k2, NULL, OT_OK, {OT_OK, ""}}, /* the same key: the same case */
		{"submit", "{\"item\":\"nope\"}", NULL, NULL, OT_OK, {OT_OK, ""}},
	};
	ot_error err;
	assert_int_equal(ot_call_batch(e, items, 5, &err), OT_OK);
	assert_int_equal(items[0].status, OT_OK);
	assert_int_equal(items[1].status, OT_ENOTFOUND);
	assert_null(items[1].response);
	assert_int_equal(items[2].status, OT_OK);
	assert_int_equal(items[3].status, OT_OK);
	assert_int_equal(k1.replayed, 0);
	assert_int_equal(k2.replayed, 1);
	assert_string_equal(items[2].response, items[3].response);
	assert_int_equal(items[4].status, OT_EINVAL);
	json_t *a = json_loads(items[0].response, 0, NULL), *b = json_loads(items[2].response, 0, NULL);
	assert_string_equal(S(a, "id"), "20190927-0001");
	assert_string_equal(S(b, "id"), "20190927-0002"); /* the refusals took no number */
	char next[32];
	assert_int_equal(events_after(e, "0", next), 2);
	/* what the batch committed is there for another engine */
	ot_engine *other = open_file();
	json_t *shown = ok(other, "show", "{\"case\":\"20190927-0002\"}");
	json_decref(shown);
	ot_engine_close(other);
	for (int i = 0; i < 5; i++)
		free(items[i].response);
	json_decref(a);
	json_decref(b);
	ot_engine_close(e);
}

/* "handled_by" (set by the service for its departments): a case with no
 * step of that department is refused as the actor's (OT_EACTOR) and
 * nothing changes, alone or in a batch; a department with a step of it
 * goes on.  The contract's permit: intake at approval_bureau.investment,
 * review and decide at approval_bureau, site_visit at housing (taken, the
 * project being government-funded); fire has no step. */
static void a_department_without_a_step_changes_nothing(void **state)
{
	(void)state;
	ot_engine *e = open_file();
	json_t *c = ok(e, "submit", SUBMIT);
	char next[32], req[400];
	assert_int_equal(events_after(e, "0", next), 1);
	snprintf(req, sizeof req, "{\"case\":\"%s\",\"now\":\"2019-09-28T09:00\",\"reason\":"
		 "\"公示\",\"actor\":\"fire\",\"handled_by\":\"fire\"}", S(c, "id"));
	refused(e, "suspend", OT_EACTOR, "no step of case", req);
	ot_batch_item items[] = {{"suspend", req, NULL, NULL, OT_OK, {OT_OK, ""}}};
	ot_error err;
	assert_int_equal(ot_call_batch(e, items, 1, &err), OT_OK);
	assert_int_equal(items[0].status, OT_EACTOR);
	assert_null(items[0].response);
	assert_int_equal(events_after(e, "0", next), 1); /* nothing written */
	json_t *shown = ok(e, "show", "{\"case\":\"%s\",\"history\":false}", S(c, "id"));
	assert_string_equal(S(shown, "status"), "in_progress");
	json_t *by_housing = ok(e, "suspend", "{\"case\":\"%s\",\"now\":\"2019-09-28T09:00\","
				"\"reason\":\"公示\",\"actor\":\"housing\",\"handled_by\":\"housing\"}",
				S(c, "id"));
	assert_string_equal(S(by_housing, "status"), "suspended");
	json_decref(by_housing);
	json_decref(shown);
	json_decref(c);
	ot_engine_close(e);
}

/* compact_answers (the service's engines): the same answers on one line; a
 * write's is its case's snapshot as stored, so what show reads back from
 * another engine is the same value, and a batch answers so too. */
static void compact_answers_are_the_same_values(void **state)
{
	(void)state;
	ot_engine_config c;
	ot_engine_config_init(&c);
	c.rules_path = CONTRACT;
	c.store = path;
	c.compact_answers = 1;
	ot_engine *e = NULL;
	ot_error err;
	assert_int_equal(ot_engine_open_config(&c, &e, &err), OT_OK);
	ot_batch_item items[] = {{"submit", SUBMIT, NULL, NULL, OT_OK, {OT_OK, ""}}};
	assert_int_equal(ot_call_batch(e, items, 1, &err), OT_OK);
	assert_int_equal(items[0].status, OT_OK);
	assert_null(strchr(items[0].response, '\n'));
	json_t *answer = json_loads(items[0].response, 0, NULL);
	assert_non_null(answer);
	char *again = json_dumps(answer, JSON_COMPACT);
	assert_string_equal(again, items[0].response); /* written as JSON_COMPACT writes it */
	ot_engine *other = open_file(); /* indented answers, from the store */
	json_t *shown = ok(other, "show", "{\"case\":\"%s\",\"history\":false}", S(answer, "id"));
	assert_true(json_equal(answer, shown));
	char *text = NULL;
	assert_int_equal(ot_call(e, "show", "{\"case\":\"20190927-0001\",\"history\":false}", &text,
			     &err), OT_OK);
	assert_null(strchr(text, '\n'));
	free(text);
	free(again);
	free(items[0].response);
	json_decref(shown);
	json_decref(answer);
	ot_engine_close(other);
	ot_engine_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_retry_answers_the_first_answer_and_changes_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_key_is_one_operations, setup, teardown),
		cmocka_unit_test_setup_teardown(keys_expire, setup, teardown),
		cmocka_unit_test_setup_teardown(the_feed_and_the_event_record_who_wrote, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_batch_commits_together_and_a_refusal_changes_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_department_without_a_step_changes_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(compact_answers_are_the_same_values, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
