/* The time sweep (电子监察 预警) through the public API: a deadline near is
 * warned yellow, a deadline passed red, each once per case, deadline and
 * level however often the sweep runs; a warning changes no status and no
 * due date, shows in `show`, `overdue` and the event feed, and replays;
 * engines sweeping one store at once warn each case once.  A backend
 * suite: it runs on SQLite and on PostgreSQL (tests/CMakeLists.txt). */
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "law_helpers.h"

/* law.rules: `plain` is due 10-16 (10 workdays from Fri 09-27), its step
 * `decide` on 09-30 (2 workdays: the make-up Sunday 09-29, then 09-30). */

static json_t *sweep(ot_engine *e, const char *now)
{
	return call(e, "sweep", OT_OK, "{\"now\":\"%s\"}", now);
}

/* The warnings a sweep gave, as "level target[/name] due" lines. */
static void given(json_t *answer, char *out, size_t cap)
{
	size_t i, n = 0;
	json_t *w;
	out[0] = 0;
	json_array_foreach(json_object_get(answer, "warnings"), i, w) {
		const char *name = json_string_value(json_object_get(w, "step"));
		n += (size_t)snprintf(out + n, cap - n, "%s%s %s%s%s %s", n ? "; " : "", S(w, "level"),
				      S(w, "target"), name ? "/" : "", name ? name : "", S(w, "due"));
	}
}

static void expect_sweep(ot_engine *e, const char *now, const char *want)
{
	char got[1024];
	json_t *a = sweep(e, now);
	given(a, got, sizeof got);
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "sweep at %s: wanted '%s', got '%s'\n", now, want, got);
		fail();
	}
	json_decref(a);
}

/* How many events of case `id` have op `op`. */
static int count_events(ot_engine *e, const char *id, const char *op)
{
	json_t *c = call(e, "show", OT_OK, "{\"case\":\"%s\"}", id);
	size_t i;
	json_t *ev;
	int n = 0;
	json_array_foreach(json_object_get(c, "history"), i, ev)
		n += strcmp(S(ev, "op"), op) == 0;
	json_decref(c);
	return n;
}


static void an_overdue_step_is_warned_red_once(void **state)
{
	(void)state;
	ot_engine *e = open_at(LAW, ":memory:");
	json_decref(submit(e, "plain", "a", "2019-09-27T09:00"));
	json_t *before = ok(e, "show", "{\"case\":\"20190927-0001\"}");
	/* nothing is near on the day it is submitted */
	expect_sweep(e, "2019-09-27T10:00", "");
	/* first sweep after the step's day: red at once, no yellow first */
	expect_sweep(e, "2019-10-08T09:00", "red step/decide 2019-09-30");
	/* a second sweep, the same day and the next: nothing again */
	expect_sweep(e, "2019-10-08T09:05", "");
	expect_sweep(e, "2019-10-09T09:00", "");
	assert_int_equal(count_events(e, "20190927-0001", "warn"), 1);
	/* a warning changes no status and no due date */
	json_t *after = ok(e, "show", "{\"case\":\"20190927-0001\"}");
	assert_string_equal(S(after, "status"), S(before, "status"));
	assert_string_equal(S(after, "due"), S(before, "due"));
	assert_true(json_equal(json_object_get(after, "steps"), json_object_get(before, "steps")));
	json_t *w = json_array_get(json_object_get(after, "warnings"), 0);
	assert_string_equal(S(w, "level"), "red");
	assert_string_equal(S(w, "step"), "decide");
	assert_string_equal(S(w, "at"), "2019-10-08T09:00:00+08:00");
	json_decref(before);
	json_decref(after);
	/* the officer still acts on it as before */
	json_decref(ok(e, "act", "{\"case\":\"20190927-0001\",\"step\":\"decide\",\"action\":"
		       "\"approve\",\"actor\":\"bureau\",\"now\":\"2019-10-09T10:00\"}"));
	store_is_sound(e);
	ot_engine_close(e);
}

static void yellow_then_red_for_the_step_and_the_case(void **state)
{
	(void)state;
	ot_engine *e = open_at(LAW, ":memory:");
	json_decref(submit(e, "plain", "a", "2019-09-27T09:00"));
	/* Sun 09-29 (a make-up working day): the step's 09-30 is 1 working day away */
	expect_sweep(e, "2019-09-29T09:00", "yellow step/decide 2019-09-30");
	expect_sweep(e, "2019-09-30T17:00", "");
	expect_sweep(e, "2019-10-01T09:00", "red step/decide 2019-09-30");
	/* the case's own 10-16: yellow on 10-15, red from 10-17 */
	expect_sweep(e, "2019-10-14T09:00", "");
	expect_sweep(e, "2019-10-15T09:00", "yellow case 2019-10-16");
	expect_sweep(e, "2019-10-17T09:00", "red case 2019-10-16");
	expect_sweep(e, "2019-10-18T09:00", "");
	assert_int_equal(count_events(e, "20190927-0001", "warn"), 4);
	/* overdue shows what the case was warned of */
	json_t *o = ok(e, "overdue", "{\"now\":\"2019-10-18T09:00\"}");
	json_t *c = json_array_get(json_object_get(o, "cases"), 0);
	assert_string_equal(S(c, "id"), "20190927-0001");
	assert_int_equal(json_array_size(json_object_get(c, "warnings")), 4);
	json_decref(o);
	store_is_sound(e);
	ot_engine_close(e);
}

/* The acceptance decision (受理), a special procedure's maximum, the
 * legal due date beside the promised one, the check of a pledge. */
static void every_kind_of_deadline(void **state)
{
	(void)state;
	ot_engine *e = open_at(LAW, ":memory:");
	/* licence: received on Fri 09-27, to decide by 10-10 */
	json_decref(submit(e, "licence", "b", "2019-09-27T09:00"));
	expect_sweep(e, "2019-10-09T09:00", "yellow acceptance 2019-10-10");
	expect_sweep(e, "2019-10-11T09:00", "red acceptance 2019-10-10");
	/* accepted late: it counts from 09-27 (promised 10-18, legal 10-30); its
	 * survey is late at once, by its promise (10-08) and, a card of its
	 * own, by the law (10-10); the acceptance is not warned again */
	json_decref(ok(e, "accept", "{\"case\":\"20190927-0001\",\"actor\":\"bureau.general\","
		       "\"now\":\"2019-10-11T10:00\"}"));
	expect_sweep(e, "2019-10-11T11:00", "red step/survey 2019-10-08; red step_legal/survey 2019-10-10");
	json_decref(ok(e, "act", "{\"case\":\"20190927-0001\",\"step\":\"survey\",\"action\":"
		       "\"approve\",\"actor\":\"street_b\",\"now\":\"2019-10-11T12:00\"}"));
	/* the review runs 7 calendar days from 10-11: 10-18, the promise's day too */
	expect_sweep(e, "2019-10-17T09:00", "yellow case 2019-10-18; yellow step/review 2019-10-18");
	/* an expert review: the clocks stop; its maximum (10 days) does not */
	json_decref(ok(e, "procedure_start", "{\"case\":\"20190927-0001\",\"procedure\":\"expert\","
		       "\"now\":\"2019-10-17T10:00\"}"));
	/* 10-27 is a Sunday: one working day before it is Thu 10-24's view */
	expect_sweep(e, "2019-10-23T09:00", "");
	expect_sweep(e, "2019-10-24T09:00", "yellow procedure 2019-10-27");
	expect_sweep(e, "2019-10-28T09:00", "red procedure 2019-10-27");
	json_decref(ok(e, "procedure_end", "{\"case\":\"20190927-0001\",\"now\":\"2019-10-28T10:00\"}"));
	json_t *c = ok(e, "show", "{\"case\":\"20190927-0001\"}");
	char promised[16], legal[16];
	snprintf(promised, sizeof promised, "%s", S(c, "promised_due"));
	snprintf(legal, sizeof legal, "%s", S(c, "legal_due"));
	json_decref(c);
	/* after the procedure the promise (moved past it) is warned red, the
	 * legal date on its own */
	char want[256], at[32];
	snprintf(at, sizeof at, "%sT09:00", legal);
	json_t *a = sweep(e, "2019-12-31T09:00");
	given(a, want, sizeof want);
	json_decref(a);
	assert_non_null(strstr(want, "red case"));
	assert_non_null(strstr(want, "red legal"));
	assert_non_null(strstr(want, legal));
	(void)promised;
	assert_int_equal(count_events(e, "20190927-0001", "warn"), 11);
	store_is_sound(e);

	/* 告知承诺: approved on 09-30, the pledge to be checked within 10 workdays */
	json_decref(submit(e, "pledged", "a", "2019-09-27T09:30"));
	json_decref(ok(e, "act", "{\"case\":\"20190927-0002\",\"step\":\"decide\",\"action\":"
		       "\"approve\",\"actor\":\"bureau\",\"now\":\"2019-09-27T10:00\"}"));
	json_decref(ok(e, "deliver", "{\"case\":\"20190927-0002\",\"method\":\"window\","
		       "\"now\":\"2019-09-27T11:00\"}"));
	c = ok(e, "show", "{\"case\":\"20190927-0002\"}");
	assert_string_equal(S(c, "status"), "checking");
	snprintf(want, sizeof want, "red pledge_check %s", S(c, "pledge_check_due"));
	json_decref(c);
	expect_sweep(e, "2020-01-10T09:00", want);
	ot_engine_close(e);
}

/* tests/data/time/law-time.rules: law_mix, accepted Fri 2019-02-01, is
 * held by law to 02-11 (10 calendar days) and promised 02-13 (5 working
 * days through the Spring Festival): the law's day comes first, for the
 * case and for its step review, and each is warned by it. */
static void a_legal_limit_before_the_promise_is_warned_by_its_day(void **state)
{
	(void)state;
	ot_engine *e = open_at(TIME_RULES, ":memory:");
	json_decref(call(e, "submit", OT_OK, LAW_APP("law_mix"), "2019-02-01T09:00"));
	/* Sun 02-03 is a make-up working day, the last before 02-11 */
	expect_sweep(e, "2019-02-02T09:00", "");
	expect_sweep(e, "2019-02-03T09:00", "yellow legal 2019-02-11; yellow step/review 2019-02-11");
	expect_sweep(e, "2019-02-11T17:00", "");
	expect_sweep(e, "2019-02-12T09:00",
		     "yellow case 2019-02-13; red legal 2019-02-11; red step/review 2019-02-11");
	expect_sweep(e, "2019-02-14T09:00", "red case 2019-02-13");
	/* what overdue reads (the store's next_due) agrees with the events */
	store_is_sound(e);
	ot_engine_close(e);
}

/* A step promised in fewer days than the law gives it is warned by each,
 * as the case is: by its promise (`step`) and, still running after it,
 * by the law (`step_legal`).  law_step from Mon 2019-03-04: promised Wed
 * 03-06, by law Mon 03-11.  A case submitted before (its submit event's
 * "clocks" below 4) had the one card, and replays so. */
static void a_step_late_by_its_promise_is_warned_by_the_law_too(void **state)
{
	(void)state;
	char db[256];
	ot_engine *e = one_of_before(TIME_RULES, "step_legal", db, LAW_APP("law_step"),
				     "2019-03-04T09:00", "20190304-0002",
				     "json_set(payload, '$.clocks', 3)");
	expect_sweep(e, "2019-03-05T09:00", "yellow step/review 2019-03-06; yellow step/review 2019-03-06");
	expect_sweep(e, "2019-03-07T09:00", "red step/review 2019-03-06; red step/review 2019-03-06");
	expect_sweep(e, "2019-03-08T09:00", "yellow step_legal/review 2019-03-11");
	expect_sweep(e, "2019-03-12T09:00", "red step_legal/review 2019-03-11");
	expect_sweep(e, "2019-03-13T09:00", "");
	json_t *c = call(e, "show", OT_OK, "{\"case\":\"20190304-0001\",\"history\":false}");
	json_t *w = json_array_get(json_object_get(c, "warnings"), 3);
	assert_string_equal(S(w, "target"), "step_legal");
	assert_string_equal(S(w, "step"), "review");
	assert_string_equal(S(w, "level"), "red");
	json_decref(c);
	assert_int_equal(count_events(e, "20190304-0002", "warn"), 2);
	store_is_sound(e);
	ot_engine_close(e);
}

/* A fork wider than one sweep records warnings for: 33 parallel reviews
 * of tests/data/time/fork.rules, each late by its promise (03-06) and by
 * law (03-11) on 03-12, need 66 cards; a sweep gives a case 64 at most,
 * the next the rest, and every step gets both (review-today finding 2:
 * the deadlines past the 64th were never warned). */
static void a_wide_fork_is_warned_whole(void **state)
{
	(void)state;
	ot_engine *e = open_at(OT_TEST_DATA "/time/fork.rules", ":memory:");
	json_decref(call(e, "submit", OT_OK, LAW_APP("fork"), "2019-03-04T09:00"));
	json_decref(call(e, "act", OT_OK, "{\"case\":\"20190304-0001\",\"step\":\"intake\","
			 "\"action\":\"approve\",\"actor\":\"bureau\",\"now\":\"2019-03-04T09:30\"}"));
	int want[] = {64, 2, 0}; /* SWEEP_MAX_DUE a sweep, then the rest */
	for (int i = 0; i < 3; i++) {
		json_t *a = sweep(e, "2019-03-12T09:00");
		assert_int_equal(json_array_size(json_object_get(a, "warnings")), want[i]);
		json_decref(a);
	}
	json_t *c = call(e, "show", OT_OK, "{\"case\":\"20190304-0001\",\"history\":false}");
	json_t *w = json_object_get(c, "warnings");
	assert_int_equal(json_array_size(w), 66);
	int legal = 0, last = 0;
	size_t i;
	json_t *x;
	json_array_foreach(w, i, x) {
		legal += strcmp(S(x, "target"), "step_legal") == 0;
		last += strcmp(S(x, "step"), "s32") == 0;
	}
	assert_int_equal(legal, 33);
	assert_int_equal(last, 2);
	json_decref(c);
	store_is_sound(e);
	ot_engine_close(e);
}

/* The engine counts days up to 2199-12-31: an event that would give a
 * case a deadline after it is refused, so that no warning is ever given
 * that a replay could not read back (every sweep failing on the case). */
static void no_deadline_after_the_last_day_counted(void **state)
{
	(void)state;
	ot_engine *e = open_at(TIME_RULES, ":memory:");
	refused(e, "submit", OT_EINVAL, "submit: the case would be due on 2200-01-27 (legal), after "
		"2199-12-31, the last day the engine counts",
		"{\"item\":\"law_lic\",\"channel\":\"hall\",\"applicant\":{\"kind\":\"person\",\"id\":"
		"\"11010519491231002X\"},\"materials\":[\"law_application\"],\"now\":\"2199-12-30T09:00\"}");
	json_decref(call(e, "submit", OT_OK, LAW_APP("law_lic"), "2199-11-01T09:00"));
	/* the decision would be due on the first working day of 2200 */
	refused(e, "act", OT_EINVAL, "act: case 21991101-0001 would be due on 2200-01-01 (step decide)",
		"{\"case\":\"21991101-0001\",\"step\":\"review\",\"action\":\"approve\","
		"\"actor\":\"law_bureau\",\"now\":\"2199-12-31T09:00\"}");
	/* nor by an extension while suspended, which the resume would find
	 * past it and refuse for ever (review-time2 finding 5) */
	json_decref(call(e, "submit", OT_OK, LAW_APP("law_lic"), "2199-11-25T09:00"));
	json_decref(call(e, "suspend", OT_OK, "{\"case\":\"21991125-0001\",\"reason\":\"核查\","
			 "\"now\":\"2199-12-01T09:00\"}"));
	refused(e, "extend", OT_EINVAL, "extend: case 21991125-0001 would be due on 2200-01-06 "
		"(legal)", "{\"case\":\"21991125-0001\",\"workdays\":10,\"reason\":\"r\","
		"\"approver\":\"局长\",\"now\":\"2199-12-02T09:00\"}");
	json_decref(call(e, "resume", OT_OK, "{\"case\":\"21991125-0001\",\"now\":"
			 "\"2199-12-03T09:00\"}"));
	/* nor in a special procedure past its maximum, whose days count again:
	 * the limit is held to 12-20, then as procedure_end would count it,
	 * 12-31 (review-today finding 4) */
	json_decref(call(e, "submit", OT_OK, LAW_APP("law_lic"), "2199-11-22T09:00"));
	json_decref(call(e, "procedure_start", OT_OK, "{\"case\":\"21991122-0001\",\"procedure\":"
			 "\"expert\",\"now\":\"2199-12-18T09:00\"}"));
	refused(e, "extend", OT_EINVAL, "extend: case 21991122-0001 would be due on 2200-01-03 "
		"(legal)", "{\"case\":\"21991122-0001\",\"workdays\":3,\"reason\":\"r\","
		"\"approver\":\"局长\",\"now\":\"2199-12-30T09:00\"}");
	json_t *ended = call(e, "procedure_end", OT_OK, "{\"case\":\"21991122-0001\",\"now\":"
			     "\"2199-12-30T10:00\"}");
	assert_string_equal(S(ended, "legal_due"), "2199-12-31");
	json_decref(ended);
	json_t *a = sweep(e, "2199-12-31T10:00");
	assert_int_equal(json_array_size(json_object_get(a, "failed")), 0);
	char got[512];
	given(a, got, sizeof got);
	assert_string_equal(got, "red case 2199-11-08; red legal 2199-11-29; red step/review 2199-11-06; "
			    "red case 2199-11-29; yellow legal 2199-12-31; red step/review 2199-11-27; "
			    "red case 2199-12-04; red legal 2199-12-25; red step/review 2199-11-28");
	json_decref(a);
	store_is_sound(e);
	ot_engine_close(e);
}

/* A step entered again (a loop) is a new deadline: warned again; the
 * warnings of its first time stay in the case. */
static void a_step_entered_again_is_a_new_deadline(void **state)
{
	(void)state;
	ot_engine *e = open_at(LAW, ":memory:");
	json_decref(submit(e, "looped", "a", "2019-09-27T09:00"));
	expect_sweep(e, "2019-10-08T09:00", "red step/review 2019-09-30");
	json_decref(ok(e, "act", "{\"case\":\"20190927-0001\",\"step\":\"review\",\"action\":"
		       "\"approve\",\"actor\":\"bureau\",\"now\":\"2019-10-08T10:00\"}"));
	json_decref(ok(e, "act", "{\"case\":\"20190927-0001\",\"step\":\"correct\",\"action\":"
		       "\"approve\",\"actor\":\"bureau\",\"now\":\"2019-10-08T11:00\"}"));
	/* review again from 10-08, due 10-10: yellow on 10-09, red on 10-11 */
	expect_sweep(e, "2019-10-09T09:00", "yellow step/review 2019-10-10");
	expect_sweep(e, "2019-10-11T09:00", "red step/review 2019-10-10");
	expect_sweep(e, "2019-10-11T10:00", "");
	assert_int_equal(count_events(e, "20190927-0001", "warn"), 3);
	store_is_sound(e);
	ot_engine_close(e);
}

/* The event feed carries each warning to the window clients. */
static void the_feed_carries_warnings(void **state)
{
	(void)state;
	ot_engine *e = open_at(LAW, ":memory:");
	json_decref(submit(e, "plain", "a", "2019-09-27T09:00"));
	json_t *f = ok(e, "events", "{}");
	char next[32];
	snprintf(next, sizeof next, "%s", S(f, "next"));
	json_decref(f);
	expect_sweep(e, "2019-10-08T09:00", "red step/decide 2019-09-30");
	f = call(e, "events", OT_OK, "{\"after\":\"%s\",\"department\":\"bureau\"}", next);
	json_t *evs = json_object_get(f, "events");
	assert_int_equal(json_array_size(evs), 1);
	json_t *ev = json_array_get(evs, 0);
	assert_string_equal(S(ev, "op"), "warn");
	assert_string_equal(S(ev, "case"), "20190927-0001");
	json_t *w = json_object_get(ev, "warning");
	assert_string_equal(S(w, "level"), "red");
	assert_string_equal(S(w, "target"), "step");
	assert_string_equal(S(w, "step"), "decide");
	assert_string_equal(S(w, "department"), "bureau");
	assert_string_equal(S(w, "due"), "2019-09-30");
	json_decref(f);
	ot_engine_close(e);
}

/* Batches: `limit` cases a transaction, "more" until none is left. */
static void batches_until_none_is_left(void **state)
{
	(void)state;
	ot_engine *e = open_at(LAW, ":memory:");
	for (int i = 0; i < 5; i++)
		json_decref(submit(e, "plain", "a", "2019-09-27T09:00"));
	int claimed = 0, warned = 0, batches = 0;
	for (int more = 1; more && batches < 10; batches++) {
		json_t *a = ok(e, "sweep", "{\"now\":\"2019-10-08T09:00\",\"limit\":2}");
		claimed += (int)json_integer_value(json_object_get(a, "claimed"));
		warned += (int)json_array_size(json_object_get(a, "warnings"));
		more = json_is_true(json_object_get(a, "more"));
		json_decref(a);
	}
	assert_int_equal(claimed, 5);
	assert_int_equal(warned, 5);
	assert_int_equal(batches, 3);
	refused(e, "sweep", OT_EINVAL, "\"limit\" must be a whole number from 1 to 1000",
		"{\"now\":\"2019-10-08T09:00\",\"limit\":0}");
	refused(e, "sweep", OT_EINVAL, "the request needs \"now\"", "{}");
	ot_engine_close(e);
}

/* Cases a sweep claims and cannot warn (their last event is after the
 * sweep's time, as with a server whose clock is behind) come first, and
 * fill a whole batch: the sweep goes on after them, by its cursor, to the
 * cases it can warn. */
static void cases_it_cannot_warn_do_not_take_every_batch(void **state)
{
	(void)state;
	ot_engine *e = open_at(LAW, ":memory:");
	char ids[5][32];
	for (int i = 0; i < 5; i++) {
		json_t *c = submit(e, "plain", "a", "2019-09-27T09:00");
		snprintf(ids[i], sizeof ids[i], "%s", S(c, "id"));
		json_decref(c);
	}
	for (int i = 0; i < 3; i++) /* the first three: an event after the sweep's time */
		json_decref(call(e, "supplement", OT_OK, "{\"case\":\"%s\",\"now\":"
				 "\"2019-10-08T12:00\",\"materials\":[\"plan\"]}", ids[i]));
	int claimed = 0, batches = 0;
	char after[128] = "";
	json_t *warned = json_array();
	for (int more = 1; more && batches < 10; batches++) {
		json_t *a = after[0] ? ok(e, "sweep", "{\"now\":\"2019-10-08T09:00\",\"limit\":2,"
					  "\"after\":\"%s\"}", after)
				     : ok(e, "sweep", "{\"now\":\"2019-10-08T09:00\",\"limit\":2}");
		claimed += (int)json_integer_value(json_object_get(a, "claimed"));
		json_array_extend(warned, json_object_get(a, "warnings"));
		more = json_is_true(json_object_get(a, "more"));
		if (more)
			snprintf(after, sizeof after, "%s", S(a, "next"));
		json_decref(a);
	}
	assert_int_equal(claimed, 5);
	assert_int_equal(batches, 3);
	assert_int_equal(json_array_size(warned), 2);
	assert_string_equal(S(json_array_get(warned, 0), "case"), ids[3]);
	assert_string_equal(S(json_array_get(warned, 1), "case"), ids[4]);
	json_decref(warned);
	refused(e, "sweep", OT_EINVAL, "sweep: \"after\" is the \"next\" of the batch before",
		"{\"now\":\"2019-10-08T09:00\",\"after\":\"no cursor\"}");
	ot_engine_close(e);
}

/* ---- engines sweeping one store at once ---- */

enum { CASES = 40, SWEEPERS = 4 };

/* A store several processes can open: the backend's when the suite runs
 * on one, else a file. */
static const char *shared_store(char *buf, size_t cap)
{
	if (getenv("OT_TEST_STORE"))
		return test_store(":memory:", buf, cap);
	char dir[256];
	snprintf(buf, cap, "%s/store.db", test_tmpdir("sweep", dir, sizeof dir));
	return buf;
}

/* An engine sweeping with a wider yellow than the engine that wrote the
 * case (the command line's `submit`, then `sweep --warn-workdays 3`)
 * warns on the day its window says, not on the writer's. */
static void a_wider_sweep_than_the_writer_warns_in_time(void **state)
{
	(void)state;
	char buf[512];
	const char *store = shared_store(buf, sizeof buf);
	ot_engine *e = open_at(LAW, store);
	json_decref(submit(e, "plain", "a", "2019-09-27T09:00"));
	ot_engine_close(e);
	ot_engine_config c;
	ot_engine_config_init(&c);
	c.rules_path = LAW;
	c.store = store;
	c.warn_workdays = 3;
	ot_error err;
	assert_int_equal(ot_engine_open_config(&c, &e, &err), OT_OK);
	/* on 09-27 the step's 09-30 is 2 working days away (the make-up
	 * Sunday 09-29, then 09-30): within 3 */
	expect_sweep(e, "2019-09-27T10:00", "yellow step/decide 2019-09-30");
	expect_sweep(e, "2019-09-28T10:00", "");
	expect_sweep(e, "2019-10-01T09:00", "red step/decide 2019-09-30");
	/* the case's 10-16 within 3 working days from 10-12 (a make-up
	 * Saturday: 10-14, 10-15, 10-16 are left) */
	expect_sweep(e, "2019-10-11T09:00", "");
	expect_sweep(e, "2019-10-12T09:00", "yellow case 2019-10-16");
	store_is_sound(e);
	ot_engine_close(e);
}

/* A narrower engine (no yellow at all) writes the case last: a default
 * sweep still gives the yellow in time (review-time2 finding 3: the index
 * was counted with the writer's window, and the yellow never came). */
static void a_narrower_writer_leaves_the_yellow_in_time(void **state)
{
	(void)state;
	char buf[512];
	const char *store = shared_store(buf, sizeof buf);
	ot_engine_config c;
	ot_engine_config_init(&c);
	c.rules_path = LAW;
	c.store = store;
	c.warn_workdays = -1;
	ot_error err;
	ot_engine *e;
	assert_int_equal(ot_engine_open_config(&c, &e, &err), OT_OK);
	json_decref(submit(e, "plain", "a", "2019-09-27T09:00"));
	/* the red of the step, which rewrites the case's index */
	expect_sweep(e, "2019-10-08T09:00", "red step/decide 2019-09-30");
	ot_engine_close(e);
	e = open_at(LAW, store);
	expect_sweep(e, "2019-10-12T09:00", "");
	/* the case's 10-16: yellow on the working day before, 10-15 */
	expect_sweep(e, "2019-10-15T09:00", "yellow case 2019-10-16");
	store_is_sound(e);
	ot_engine_close(e);
}

/* A sweeper: batches of 3 until none is left; writes how many warnings it
 * gave to fd.  Exits 0 when every sweep succeeded. */
static void sweeper(const char *store, int gate, int fd)
{
	char c;
	while (read(gate, &c, 1) > 0)
		;
	ot_engine *e = NULL;
	ot_error err;
	int given_here = 0, bad = ot_engine_open(LAW, store, &e, &err) != OT_OK;
	for (int more = 1, rounds = 0; !bad && more && rounds < 200; rounds++) {
		char *resp = NULL;
		bad = ot_call(e, "sweep", "{\"now\":\"2019-10-08T09:00\",\"limit\":3}", &resp, &err) !=
		      OT_OK;
		json_t *a = resp ? json_loads(resp, 0, NULL) : NULL;
		more = json_is_true(json_object_get(a, "more"));
		given_here += (int)json_array_size(json_object_get(a, "warnings"));
		json_decref(a);
		free(resp);
	}
	if (bad)
		fprintf(stderr, "sweeper: %s\n", err.message);
	ot_engine_close(e);
	bad |= write(fd, &given_here, sizeof given_here) != (ssize_t)sizeof given_here;
	_exit(bad);
}

static void engines_sweeping_at_once_warn_each_case_once(void **state)
{
	(void)state;
	char buf[512];
	const char *store = shared_store(buf, sizeof buf);
	ot_engine *e = open_at(LAW, store);
	for (int i = 0; i < CASES; i++)
		json_decref(submit(e, "plain", "a", "2019-09-27T09:00"));
	int gate[2], counts[2];
	assert_int_equal(pipe(gate), 0);
	assert_int_equal(pipe(counts), 0);
	pid_t kids[SWEEPERS];
	for (int k = 0; k < SWEEPERS; k++) {
		kids[k] = fork();
		assert_true(kids[k] >= 0);
		if (kids[k] == 0) {
			close(gate[1]);
			close(counts[0]);
			sweeper(store, gate[0], counts[1]);
		}
	}
	close(gate[0]);
	close(counts[1]);
	close(gate[1]); /* all of them at once */
	int failed = 0, total = 0;
	for (int k = 0; k < SWEEPERS; k++) {
		int status, n = 0;
		waitpid(kids[k], &status, 0);
		failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
		assert_int_equal(read(counts[0], &n, sizeof n), (ssize_t)sizeof n);
		total += n;
	}
	close(counts[0]);
	assert_int_equal(failed, 0);
	/* every case warned once: the answers say so, and so do the events */
	assert_int_equal(total, CASES);
	json_t *f = ok(e, "events", "{\"limit\":1000}");
	size_t i;
	json_t *ev;
	int warns = 0;
	json_array_foreach(json_object_get(f, "events"), i, ev)
		warns += strcmp(S(ev, "op"), "warn") == 0;
	json_decref(f);
	assert_int_equal(warns, CASES);
	for (int c = 1; c <= CASES; c++) {
		char id[32];
		snprintf(id, sizeof id, "20190927-%04d", c);
		assert_int_equal(count_events(e, id, "warn"), 1);
	}
	expect_sweep(e, "2019-10-08T09:30", "");
	store_is_sound(e);
	ot_engine_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(an_overdue_step_is_warned_red_once),
		cmocka_unit_test(yellow_then_red_for_the_step_and_the_case),
		cmocka_unit_test(a_wider_sweep_than_the_writer_warns_in_time),
		cmocka_unit_test(a_narrower_writer_leaves_the_yellow_in_time),
		cmocka_unit_test(every_kind_of_deadline),
		cmocka_unit_test(a_legal_limit_before_the_promise_is_warned_by_its_day),
		cmocka_unit_test(no_deadline_after_the_last_day_counted),
		cmocka_unit_test(a_step_entered_again_is_a_new_deadline),
		cmocka_unit_test(the_feed_carries_warnings),
		cmocka_unit_test(batches_until_none_is_left),
		cmocka_unit_test(cases_it_cannot_warn_do_not_take_every_batch),
		cmocka_unit_test(engines_sweeping_at_once_warn_each_case_once),
		cmocka_unit_test(a_step_late_by_its_promise_is_warned_by_the_law_too),
		cmocka_unit_test(a_wide_fork_is_warned_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
