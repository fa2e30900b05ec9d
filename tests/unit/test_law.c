/* Time as the law counts it, through the public API: the acceptance
 * decision (受理, 不予受理), the legal and promised due dates, an extension
 * (延期), special procedures (特别程序), steps routed by the form -- and
 * that every refused request leaves the store as it was. */
#include <jansson.h>
#include <sqlite3.h>

#include "law_helpers.h"

static json_t *step_of(json_t *c, const char *name)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(c, "steps"), i, s)
		if (strcmp(S(s, "step"), name) == 0)
			return s;
	return NULL;
}

/* What overdue says of case `id` on `now` (NULL: nothing). */
static json_t *overdue_entry(ot_engine *e, const char *now, const char *id)
{
	json_t *o = call(e, "overdue", OT_OK, "{\"now\":\"%s\"}", now), *found = NULL;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(o, "cases"), i, c)
		if (strcmp(S(c, "id"), id) == 0)
			found = json_incref(c);
	json_decref(o);
	return found;
}

/* Case id suspended at `from` and resumed at `to`: the resume's answer. */
static json_t *paused(ot_engine *e, const char *id, const char *from, const char *to)
{
	json_decref(call(e, "suspend", OT_OK, "{\"case\":\"%s\",\"reason\":\"核查\",\"now\":\"%s\"}",
			 id, from));
	return call(e, "resume", OT_OK, "{\"case\":\"%s\",\"now\":\"%s\"}", id, to);
}

static void late_acceptance_counts_from_receipt(void **state)
{
	(void)state;
	ot_engine *e = open_at(LAW, ":memory:");
	/* Fri 09-27: 5 working days to decide: 09-29 (调休), 09-30, 10-08 … 10-10 */
	json_t *c = submit(e, "licence", "b", "2019-09-27T09:00");
	assert_string_equal(S(c, "status"), "received");
	assert_string_equal(S(c, "acceptance_due"), "2019-10-10");
	assert_true(json_is_null(json_object_get(c, "due")));
	json_decref(c);
	json_t *late = overdue_entry(e, "2019-10-10T17:00", "20190927-0001");
	assert_null(late);
	late = overdue_entry(e, "2019-10-11T09:00", "20190927-0001");
	assert_non_null(late);
	assert_true(json_is_true(json_object_get(late, "acceptance_overdue")));
	assert_string_equal(S(late, "counts_as_accepted_from"), "2019-09-27");
	json_decref(late);
	c = call(e, "accept", OT_OK, "{\"case\":\"20190927-0001\",\"actor\":\"bureau.general\","
		 "\"now\":\"2019-10-11T10:00\"}");
	assert_string_equal(S(c, "status"), "in_progress");
	/* accepted late: the clocks run from receipt on 09-27 */
	assert_string_equal(S(c, "accepted_at"), "2019-09-27T09:00:00+08:00");
	assert_string_equal(S(c, "legal_due"), "2019-10-30");
	assert_string_equal(S(c, "promised_due"), "2019-10-18");
	assert_string_equal(S(c, "due"), "2019-10-18");
	/* the survey goes to the office of street b, promised in 3 of its 5 */
	json_t *survey = step_of(c, "survey");
	assert_string_equal(S(survey, "department"), "street_b");
	assert_string_equal(S(survey, "promised_due"), "2019-10-08");
	assert_string_equal(S(survey, "legal_due"), "2019-10-10");
	json_decref(c);
	/* on 10-11 the survey is past both its dates, the case past neither */
	late = overdue_entry(e, "2019-10-11T11:00", "20190927-0001");
	assert_non_null(late);
	json_t *st = json_array_get(json_object_get(late, "steps"), 0);
	assert_string_equal(S(st, "step"), "survey");
	assert_int_equal(json_array_size(json_object_get(st, "passed")), 2);
	assert_int_equal(json_array_size(json_object_get(late, "passed")), 0);
	json_decref(late);
	ot_engine_close(e);
}

static void a_review_in_calendar_days_with_a_procedure_and_an_extension(void **state)
{
	(void)state;
	ot_engine *e = open_at(LAW, ":memory:");
	json_decref(submit(e, "licence", "a", "2019-09-27T09:00"));
	json_decref(call(e, "accept", OT_OK, "{\"case\":\"20190927-0001\",\"actor\":\"bureau\","
			 "\"now\":\"2019-09-27T10:00\"}"));
	json_t *c = call(e, "act", OT_OK, "{\"case\":\"20190927-0001\",\"step\":\"survey\","
			 "\"action\":\"approve\",\"actor\":\"street_a\",\"now\":\"2019-09-30T10:00\"}");
	/* 7 calendar days from 09-30 end on 10-07, a holiday: on 10-08 */
	assert_string_equal(S(step_of(c, "review"), "legal_due"), "2019-10-08");
	json_decref(c);
	c = call(e, "procedure_start", OT_OK, "{\"case\":\"20190927-0001\",\"procedure\":\"expert\","
		 "\"now\":\"2019-09-30T11:00\"}");
	assert_string_equal(S(c, "status"), "suspended");
	assert_string_equal(S(json_object_get(c, "procedure"), "max_end"), "2019-10-10");
	/* the applicant is told in writing how long it may take */
	assert_non_null(strstr(S(c, "note"), "专家评审: 特别程序, 所需时间不计入办理时限, 最长10日(至2019-10-10)"));
	json_decref(c);
	char *before = NULL, *after = NULL;
	ot_error err;
	assert_int_equal(ot_call(e, "show", "{\"case\":\"20190927-0001\"}", &before, &err), OT_OK);
	refused(e, "procedure_end", OT_ESTATE, "expert is the one running",
		"{\"case\":\"20190927-0001\",\"procedure\":\"hearing\",\"now\":\"2019-10-01T09:00\"}");
	refused(e, "resume", OT_ESTATE, "end it with procedure_end",
		"{\"case\":\"20190927-0001\",\"now\":\"2019-10-01T09:00\"}");
	refused(e, "procedure_start", OT_ESTATE, "it is suspended",
		"{\"case\":\"20190927-0001\",\"procedure\":\"hearing\",\"now\":\"2019-10-01T09:00\"}");
	assert_int_equal(ot_call(e, "show", "{\"case\":\"20190927-0001\"}", &after, &err), OT_OK);
	assert_string_equal(before, after);
	free(before);
	free(after);
	/* ended on 10-14, past its maximum: only (09-30, 10-10] is kept out:
	 * 10 calendar days.  The review's own limit, in calendar days, moves
	 * from its last day, 10-07, not from the working day 10-08 民法典
	 * art. 203 made of it: 10-17, a Thursday (10-11 … 10-17 are its 7) */
	c = call(e, "procedure_end", OT_OK, "{\"case\":\"20190927-0001\",\"now\":\"2019-10-14T09:00\"}");
	json_t *run = json_array_get(json_object_get(c, "procedures"), 0);
	assert_int_equal(json_integer_value(json_object_get(run, "days_excluded")), 10);
	assert_true(json_is_true(json_object_get(run, "past_max")));
	assert_string_equal(S(step_of(c, "review"), "legal_due"), "2019-10-17");
	/* the case's limits, in working days, move by 10-08, 10-09, 10-10 */
	assert_string_equal(S(c, "legal_due"), "2019-11-04");
	assert_string_equal(S(c, "promised_due"), "2019-10-23");
	json_decref(c);
	c = call(e, "extend", OT_OK, "{\"case\":\"20190927-0001\",\"workdays\":10,\"reason\":\"补充论证\","
		 "\"approver\":\"局长\",\"now\":\"2019-10-15T09:00\"}");
	assert_string_equal(S(c, "legal_due"), "2019-11-18");
	assert_string_equal(S(c, "promised_due"), "2019-10-23");
	assert_int_equal(json_integer_value(json_object_get(c, "extended")), 10);
	json_decref(c);
	/* a procedure in working days, past its maximum, is reported */
	json_decref(call(e, "procedure_start", OT_OK, "{\"case\":\"20190927-0001\",\"procedure\":"
			 "\"hearing\",\"now\":\"2019-10-15T10:00\"}"));
	json_t *late = overdue_entry(e, "2019-10-23T09:00", "20190927-0001");
	assert_non_null(late);
	assert_string_equal(S(json_object_get(late, "procedure_overdue"), "max_end"), "2019-10-22");
	json_decref(late);
	ot_engine_close(e);
}

static char *fingerprint(ot_engine *e)
{
	char *resp = NULL, *events = NULL;
	ot_error err;
	assert_int_equal(ot_call(e, "list", "{}", &resp, &err), OT_OK);
	for (int i = 1; i <= 2; i++) {
		char req[64], *one = NULL;
		snprintf(req, sizeof req, "{\"case\":\"20190927-000%d\"}", i);
		assert_int_equal(ot_call(e, "show", req, &one, &err), OT_OK);
		size_t n = strlen(resp) + strlen(one) + 1;
		events = malloc(n);
		snprintf(events, n, "%s%s", resp, one);
		free(resp);
		free(one);
		resp = events;
	}
	return resp;
}

#define CASE1 "\"case\":\"20190927-0001\""
#define CASE2 "\"case\":\"20190927-0002\""
#define AT "\"now\":\"2019-09-30T09:00\""

static void refusals_change_nothing(void **state)
{
	(void)state;
	ot_engine *e = open_at(LAW, ":memory:");
	json_decref(submit(e, "licence", "b", "2019-09-27T09:00")); /* received */
	json_decref(submit(e, "plain", "a", "2019-09-27T09:30"));   /* in progress */
	char *before = fingerprint(e);
	refused(e, "accept", OT_EINVAL, "needs \"actor\"", "{" CASE1 "," AT "}");
	refused(e, "accept", OT_EACTOR, "department other does not decide",
		"{" CASE1 ",\"actor\":\"other\"," AT "}");
	refused(e, "accept", OT_ESTATE, "declares no acceptance decision",
		"{" CASE2 ",\"actor\":\"bureau\"," AT "}");
	refused(e, "accept", OT_EINVAL, "before the case's last event",
		"{" CASE1 ",\"actor\":\"bureau\",\"now\":\"2019-09-26T09:00\"}");
	refused(e, "refuse", OT_EINVAL, "with its \"reasons\"",
		"{" CASE1 ",\"actor\":\"bureau\",\"reasons\":\"  \",\"remedy\":\"复议\"," AT "}");
	refused(e, "refuse", OT_EINVAL, "needs \"remedy\"",
		"{" CASE1 ",\"actor\":\"bureau\",\"reasons\":\"不符合条件\"," AT "}");
	refused(e, "refuse", OT_ESTATE, "comes before acceptance",
		"{" CASE2 ",\"actor\":\"bureau\",\"reasons\":\"x\",\"remedy\":\"y\"," AT "}");
	refused(e, "extend", OT_EINVAL, "\"workdays\" must be a whole number",
		"{" CASE1 ",\"workdays\":\"10\",\"reason\":\"r\",\"approver\":\"a\"," AT "}");
	refused(e, "extend", OT_ESTATE, "cannot extend case 20190927-0001: it is received",
		"{" CASE1 ",\"workdays\":5,\"reason\":\"r\",\"approver\":\"a\"," AT "}");
	refused(e, "extend", OT_ESTATE, "allows item plain no extension",
		"{" CASE2 ",\"workdays\":5,\"reason\":\"r\",\"approver\":\"a\"," AT "}");
	refused(e, "extend", OT_EINVAL, "needs \"approver\"",
		"{" CASE1 ",\"workdays\":5,\"reason\":\"r\"," AT "}");
	refused(e, "procedure_start", OT_ENOTFOUND, "no special procedure 'x' (it declares none)",
		"{" CASE2 ",\"procedure\":\"x\"," AT "}");
	refused(e, "procedure_start", OT_ESTATE, "it is received",
		"{" CASE1 ",\"procedure\":\"hearing\"," AT "}");
	refused(e, "procedure_end", OT_ESTATE, "none is running", "{" CASE2 "," AT "}");
	refused(e, "overdue", OT_EINVAL, "needs \"now\"", "{}");
	char *after = fingerprint(e);
	assert_string_equal(before, after);
	free(after);
	free(before);
	/* once accepted: the wrong street office, a procedure at the wrong
	 * step, an extension past the declared one */
	json_decref(call(e, "accept", OT_OK, "{" CASE1 ",\"actor\":\"bureau\"," AT "}"));
	before = fingerprint(e);
	refused(e, "act", OT_EACTOR, "survey is handled by street_b, not by street_a",
		"{" CASE1 ",\"step\":\"survey\",\"action\":\"approve\",\"actor\":\"street_a\"," AT "}");
	refused(e, "procedure_start", OT_ENOTFOUND, "'exprt'; it has expert, hearing",
		"{" CASE1 ",\"procedure\":\"exprt\"," AT "}");
	refused(e, "procedure_start", OT_ESTATE, "runs during step review",
		"{" CASE1 ",\"procedure\":\"expert\"," AT "}");
	refused(e, "extend", OT_EINVAL, "10 more at most, not 11",
		"{" CASE1 ",\"workdays\":11,\"reason\":\"r\",\"approver\":\"a\"," AT "}");
	refused(e, "extend", OT_EINVAL, "\"workdays\" must be a whole number from 1",
		"{" CASE1 ",\"workdays\":0,\"reason\":\"r\",\"approver\":\"a\"," AT "}");
	refused(e, "resume", OT_ESTATE, "cannot resume", "{" CASE1 "," AT "}");
	after = fingerprint(e);
	assert_string_equal(before, after);
	free(after);
	free(before);
	ot_engine_close(e);
}

static void an_untrue_pledge_revokes_the_licence(void **state)
{
	(void)state;
	ot_engine *e = open_at(LAW, ":memory:");
	/* street a: the pledge stands for the report */
	json_t *c = submit(e, "pledged", "a", "2019-09-27T09:00");
	assert_string_equal(S(c, "status"), "in_progress");
	assert_true(json_is_true(json_object_get(c, "pledged")));
	json_decref(c);
	/* the answer says which materials the pledge stands for, and that it
	 * holds, under two keys: an object without a duplicate key */
	char *text = NULL;
	ot_error aerr;
	assert_int_equal(ot_assess(e, "{\"item\":\"pledged\",\"now\":\"2019-09-27T09:00\","
				   "\"applicant\":" APPLICANT ",\"form\":{\"name\":\"x\",\"street\":"
				   "\"a\"},\"materials\":[\"plan\"]}", &text, &aerr), OT_OK);
	json_error_t jerr;
	json_t *a = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!a)
		fail_msg("the answer is not an object without duplicate keys: %s", jerr.text);
	assert_true(json_is_true(json_object_get(a, "pledged")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(a, "pledged_materials"),
							     0)), "report");
	json_decref(a);
	free(text);
	/* street b: no pledge, the report is missing */
	c = submit(e, "pledged", "b", "2019-09-27T09:30");
	assert_string_equal(S(c, "status"), "needs_supplement");
	json_decref(c);
	c = call(e, "act", OT_OK, "{" CASE1 ",\"step\":\"decide\",\"action\":\"approve\","
		 "\"actor\":\"bureau\",\"now\":\"2019-09-30T10:00\"}");
	/* 10 working days after 09-30: 10-08 … 10-12, 10-14 … 10-18 */
	assert_string_equal(S(c, "pledge_check_due"), "2019-10-18");
	json_decref(c);
	char *before = NULL, *after = NULL;
	ot_error err;
	assert_int_equal(ot_call(e, "show", "{" CASE1 "}", &before, &err), OT_OK);
	refused(e, "pledge_check", OT_EACTOR, "department other does not check the pledges",
		"{" CASE1 ",\"actor\":\"other\",\"result\":\"kept\",\"now\":\"2019-10-08T09:00\"}");
	refused(e, "pledge_check", OT_EINVAL, "is kept or untrue, not 'maybe'",
		"{" CASE1 ",\"actor\":\"bureau\",\"result\":\"maybe\",\"now\":\"2019-10-08T09:00\"}");
	refused(e, "pledge_check", OT_EINVAL, "give the applicant the \"reason\"",
		"{" CASE1 ",\"actor\":\"bureau\",\"result\":\"untrue\",\"now\":\"2019-10-08T09:00\"}");
	refused(e, "pledge_check", OT_ESTATE, "has no pledge",
		"{" CASE2 ",\"actor\":\"bureau\",\"result\":\"kept\",\"now\":\"2019-10-08T09:00\"}");
	assert_int_equal(ot_call(e, "show", "{" CASE1 "}", &after, &err), OT_OK);
	assert_string_equal(before, after);
	free(before);
	free(after);
	c = call(e, "pledge_check", OT_OK, "{" CASE1 ",\"actor\":\"bureau\",\"result\":\"untrue\","
		 "\"reason\":\"检测报告不实\",\"now\":\"2019-10-08T09:00\"}");
	assert_string_equal(S(c, "status"), "revoked");
	json_decref(c);
	/* the licence the approval issued ends with the revocation */
	c = call(e, "licences", OT_OK, "{\"holder\":\"91350100M000100Y43\"}");
	json_t *l = json_array_get(json_object_get(c, "licences"), 0);
	assert_string_equal(S(l, "material"), "permit_doc");
	assert_string_equal(S(l, "valid_until"), "2019-10-08");
	json_decref(c);
	refused(e, "pledge_check", OT_ESTATE, "it is revoked",
		"{" CASE1 ",\"actor\":\"bureau\",\"result\":\"kept\",\"now\":\"2019-10-09T09:00\"}");
	ot_engine_close(e);
}

/* tests/data/time/law-time.rules: the item law_mix is held to 10 calendar
 * days by law and promises 5 working days; accepted on Fri 2019-02-01, the
 * law's days end on 02-11, the promised ones (through the make-up days
 * 02-02, 02-03 and the Spring Festival) on 02-13. */
static void a_legal_limit_ending_before_the_promise_is_the_due_date(void **state)
{
	(void)state;
	ot_engine *e = open_at(TIME_RULES, ":memory:");
	/* the notice of a complete application says that day too */
	json_t *c = call(e, "assess", OT_OK, LAW_APP("law_mix"), "2019-02-01T09:00");
	assert_string_equal(S(c, "due"), "2019-02-11");
	json_decref(c);
	c = call(e, "submit", OT_OK, LAW_APP("law_mix"), "2019-02-01T09:00");
	assert_string_equal(S(c, "legal_due"), "2019-02-11");
	assert_string_equal(S(c, "promised_due"), "2019-02-13");
	/* `due` is the day the case is held to: the law's, the earlier */
	assert_string_equal(S(c, "due"), "2019-02-11");
	json_t *review = step_of(c, "review");
	assert_string_equal(S(review, "legal_due"), "2019-02-11");
	assert_string_equal(S(review, "promised_due"), "2019-02-13");
	assert_string_equal(S(review, "due"), "2019-02-11");
	json_decref(c);
	/* on time all of 02-11; on 02-12 the legal limit has run out: the case
	 * is listed (the store's index finds it), late, and so is its step */
	assert_null(overdue_entry(e, "2019-02-11T17:00", "20190201-0001"));
	json_t *late = overdue_entry(e, "2019-02-12T09:00", "20190201-0001");
	assert_non_null(late);
	assert_true(json_is_true(json_object_get(late, "overdue")));
	assert_string_equal(S(late, "due"), "2019-02-11");
	json_t *passed = json_object_get(late, "passed");
	assert_int_equal(json_array_size(passed), 1);
	assert_string_equal(json_string_value(json_array_get(passed, 0)), "legal");
	json_t *st = json_array_get(json_object_get(late, "steps"), 0);
	assert_non_null(st);
	assert_string_equal(S(st, "step"), "review");
	assert_string_equal(S(st, "due"), "2019-02-11");
	assert_string_equal(json_string_value(json_array_get(json_object_get(st, "passed"), 0)), "legal");
	json_decref(late);
	/* a pause moves each date by its own unit: one calendar day for the
	 * law's, one working day (the make-up Saturday 02-02) for the promise;
	 * `due` stays the earlier */
	json_decref(call(e, "submit", OT_OK, LAW_APP("law_mix"), "2019-02-01T09:00"));
	c = paused(e, "20190201-0002", "2019-02-01T10:00", "2019-02-02T09:00");
	assert_string_equal(S(c, "legal_due"), "2019-02-12");
	assert_string_equal(S(c, "promised_due"), "2019-02-14");
	assert_string_equal(S(c, "due"), "2019-02-12");
	assert_string_equal(S(step_of(c, "review"), "due"), "2019-02-12");
	json_decref(c);
	ot_engine_close(e);
}

/* 行政许可法 art. 42: an extension lengthens a legal limit still running. */
static void no_extension_once_the_legal_limit_ran_out(void **state)
{
	(void)state;
	ot_engine *e = open_at(TIME_RULES, ":memory:");
	/* four cases of law_lic on Mon 2019-03-04: legal_due 04-01 (20 workdays) */
	for (int i = 0; i < 4; i++)
		json_decref(call(e, "submit", OT_OK, LAW_APP("law_lic"), "2019-03-04T09:00"));
#define EXTEND(id, now) "{\"case\":\"" id "\",\"workdays\":10,\"reason\":\"需补充检验\"," \
	"\"approver\":\"局长\",\"now\":\"" now "\"}"
	/* on its last day the limit still runs */
	json_t *c = call(e, "extend", OT_OK, EXTEND("20190304-0001", "2019-04-01T17:00"));
	assert_string_equal(S(c, "legal_due"), "2019-04-16");
	json_decref(c);
	/* the day after, it has run out: refused, and the breach stays */
	refused(e, "extend", OT_ESTATE, "cannot extend case 20190304-0002: its legal limit ran out "
		"on 2019-04-01 (legal_due), before 2019-04-02; only a limit still running may be "
		"extended (行政许可法 art. 42)", EXTEND("20190304-0002", "2019-04-02T09:00"));
	json_t *late = overdue_entry(e, "2019-04-10T09:00", "20190304-0002");
	assert_non_null(late);
	assert_int_equal(json_array_size(json_object_get(late, "passed")), 2);
	json_decref(late);
	/* suspended while it still ran: its clock stopped, it may be extended */
	json_decref(call(e, "suspend", OT_OK, "{\"case\":\"20190304-0003\",\"reason\":\"核查\","
			 "\"now\":\"2019-03-20T09:00\"}"));
	json_decref(call(e, "extend", OT_OK, EXTEND("20190304-0003", "2019-04-10T09:00")));
	/* suspended after it ran out: no */
	json_decref(call(e, "suspend", OT_OK, "{\"case\":\"20190304-0004\",\"reason\":\"核查\","
			 "\"now\":\"2019-04-03T09:00\"}"));
	refused(e, "extend", OT_ESTATE, "ran out on 2019-04-01 (legal_due), before it was suspended "
		"on 2019-04-03", EXTEND("20190304-0004", "2019-04-10T09:00"));
#undef EXTEND
	ot_engine_close(e);
}

/* A special procedure past its maximum: the days after it count again
 * (art. 45), and extending is judged as procedure_end would count them,
 * whichever of the two the officer does first (review-time2 finding 4:
 * judged by the day it was suspended, the extension was granted during
 * the procedure and refused right after it).  law_lic from Mon 03-04:
 * legal_due Mon 04-01; an expert review from Fri 03-29, at most 10 days
 * to 04-08, leaves one working day: due 04-09. */
static void extending_past_a_procedure_s_maximum_counts_its_days(void **state)
{
	(void)state;
	ot_engine *e = open_at(TIME_RULES, ":memory:");
	for (int i = 0; i < 3; i++) {
		json_decref(call(e, "submit", OT_OK, LAW_APP("law_lic"), "2019-03-04T09:00"));
		char start[160];
		snprintf(start, sizeof start, "{\"case\":\"20190304-000%d\",\"procedure\":"
			 "\"expert\",\"now\":\"2019-03-29T09:00\"}", i + 1);
		json_decref(call(e, "procedure_start", OT_OK, start));
	}
#define EXTEND(id, now) "{\"case\":\"" id "\",\"workdays\":10,\"reason\":\"需补充检验\"," \
	"\"approver\":\"局长\",\"now\":\"" now "\"}"
#define END(id, now) "{\"case\":\"" id "\",\"now\":\"" now "\"}"
	/* on 04-09 the limit still runs: extended during the procedure, or
	 * after it, to the same day */
	json_t *a = call(e, "extend", OT_OK, EXTEND("20190304-0001", "2019-04-09T09:00"));
	assert_string_equal(S(a, "legal_due"), "2019-04-23"); /* the day the applicant is told */
	json_decref(a);
	a = call(e, "procedure_end", OT_OK, END("20190304-0001", "2019-04-09T10:00"));
	json_decref(call(e, "procedure_end", OT_OK, END("20190304-0002", "2019-04-09T09:00")));
	json_t *b = call(e, "extend", OT_OK, EXTEND("20190304-0002", "2019-04-09T10:00"));
	assert_string_equal(S(a, "legal_due"), "2019-04-23");
	assert_string_equal(S(b, "legal_due"), "2019-04-23");
	for (int i = 0; i < 2; i++) {
		json_t *c = i ? b : a;
		json_t *run = json_array_get(json_object_get(c, "procedures"), 0);
		assert_int_equal(json_integer_value(json_object_get(run, "days_excluded")), 10);
		json_t *x = json_array_get(json_object_get(c, "extensions"), 0);
		assert_string_equal(S(x, "legal_due"), "2019-04-23");
	}
	json_decref(a);
	json_decref(b);
	/* on 04-10 it has run out, the procedure still running or not */
	refused(e, "extend", OT_ESTATE, "cannot extend case 20190304-0003: its legal limit ran out "
		"on 2019-04-09 (legal_due, counting again after its special procedure's maximum, "
		"2019-04-08), before 2019-04-10; only a limit still running may be extended",
		EXTEND("20190304-0003", "2019-04-10T09:00"));
	json_decref(call(e, "procedure_end", OT_OK, END("20190304-0003", "2019-04-22T09:00")));
	refused(e, "extend", OT_ESTATE, "ran out on 2019-04-09 (legal_due), before 2019-04-22",
		EXTEND("20190304-0003", "2019-04-22T10:00"));
	/* a review from the limit's due day, Wed 04-03, to its maximum, Sat
	 * 04-13, leaves nothing whole: the limit ends on Monday 04-15, and 3
	 * more working days end on 04-18 whichever comes first, the extension
	 * or the end (review-today finding 5: 04-17 when extended first) */
	for (int i = 0; i < 2; i++) {
		json_decref(call(e, "submit", OT_OK, LAW_APP("law_lic"), "2019-03-06T09:00"));
		json_decref(call(e, "procedure_start", OT_OK, "{\"case\":\"20190306-000%d\","
				 "\"procedure\":\"expert\",\"now\":\"2019-04-03T09:00\"}", i + 1));
	}
#define EXTEND3(id, now) "{\"case\":\"" id "\",\"workdays\":3,\"reason\":\"需补充检验\"," \
	"\"approver\":\"局长\",\"now\":\"" now "\"}"
	json_decref(call(e, "extend", OT_OK, EXTEND3("20190306-0001", "2019-04-15T09:00")));
	a = call(e, "procedure_end", OT_OK, END("20190306-0001", "2019-04-15T10:00"));
	json_decref(call(e, "procedure_end", OT_OK, END("20190306-0002", "2019-04-15T09:00")));
	b = call(e, "extend", OT_OK, EXTEND3("20190306-0002", "2019-04-15T10:00"));
#undef EXTEND3
	assert_string_equal(S(a, "legal_due"), "2019-04-18");
	assert_string_equal(S(b, "legal_due"), "2019-04-18");
	json_decref(a);
	json_decref(b);
	/* a limit that ran out before the procedure began ran out before it
	 * was suspended, past the maximum as before it */
	json_decref(call(e, "submit", OT_OK, LAW_APP("law_lic"), "2019-03-04T09:00"));
	json_decref(call(e, "procedure_start", OT_OK, "{\"case\":\"20190304-0004\",\"procedure\":"
			 "\"expert\",\"now\":\"2019-04-03T09:00\"}"));
	refused(e, "extend", OT_ESTATE, "ran out on 2019-04-01 (legal_due), before it was suspended "
		"on 2019-04-03;", EXTEND("20190304-0004", "2019-04-15T09:00"));
#undef END
#undef EXTEND
	ot_engine_close(e);
}

/* A case submitted before (its submit event's "clocks" 3) extended after
 * its procedure's maximum lengthened the limit as held, and replays so:
 * 04-16, where a case of now is told 04-23 (as above). */
static void an_extension_of_before_past_the_maximum_replays_as_it_was(void **state)
{
	(void)state;
	char db[256];
	ot_engine *e = one_of_before(TIME_RULES, "extend_before", db, LAW_APP("law_lic"),
				     "2019-03-04T09:00", "20190304-0001",
				     "json_set(payload, '$.clocks', 3)");
	const char *want[] = {"2019-04-16", "2019-04-23"};
	for (int i = 0; i < 2; i++) {
		json_decref(call(e, "procedure_start", OT_OK, "{\"case\":\"20190304-000%d\","
				 "\"procedure\":\"expert\",\"now\":\"2019-03-29T09:00\"}", i + 1));
		json_t *c = call(e, "extend", OT_OK, "{\"case\":\"20190304-000%d\",\"workdays\":10,"
				 "\"reason\":\"需补充检验\",\"approver\":\"局长\",\"now\":"
				 "\"2019-04-09T09:00\"}", i + 1);
		assert_string_equal(S(c, "legal_due"), want[i]);
		json_decref(c);
	}
	store_is_sound(e);
	ot_engine_close(e);
}

/* Time moves forward for a case only for what changes it: a read takes
 * any "now" (the command line adds the machine's clock). */
static void a_read_takes_a_now_before_the_last_event(void **state)
{
	(void)state;
	ot_engine *e = open_at(TIME_RULES, ":memory:");
	json_decref(call(e, "submit", OT_OK, LAW_APP("law_lic"), "2019-03-04T09:00"));
	json_t *c = call(e, "show", OT_OK, "{\"case\":\"20190304-0001\",\"now\":\"2019-03-01T09:00\"}");
	assert_string_equal(S(c, "id"), "20190304-0001");
	json_decref(c);
	refused(e, "act", OT_EINVAL, "is before the case's last event",
		"{\"case\":\"20190304-0001\",\"step\":\"review\",\"action\":\"approve\","
		"\"actor\":\"law_bureau\",\"now\":\"2019-03-01T09:00\"}");
	ot_engine_close(e);
}

/* A pause moves a calendar-day limit's last day, which no snapshot holds:
 * an engine that replays the case from its events (no cache) counts it as
 * the one that applied them, and the store's check finds the snapshot
 * written by one equal to the replay of the other. */
static void a_last_day_the_replay_counts_again(void **state)
{
	(void)state;
	char dir[200], db[256];
	test_tmpdir("last", dir, sizeof dir);
	snprintf(db, sizeof db, "%s/store.db", dir);
	ot_engine *a = open_at(LAW, db);
	json_decref(submit(a, "licence", "a", "2019-09-27T09:00"));
	json_decref(call(a, "accept", OT_OK, "{" CASE1 ",\"actor\":\"bureau\","
			 "\"now\":\"2019-09-27T10:00\"}"));
	json_t *c = call(a, "act", OT_OK, "{" CASE1 ",\"step\":\"survey\",\"action\":\"approve\","
			 "\"actor\":\"street_a\",\"now\":\"2019-09-30T10:00\"}");
	/* 7 days from 09-30: last day 10-07, a holiday; due 10-08 */
	assert_string_equal(S(step_of(c, "review"), "legal_due"), "2019-10-08");
	json_decref(c);
	c = paused(a, "20190927-0001", "2019-10-01T09:00", "2019-10-07T09:00");
	/* (10-01, 10-07]: last day 10-13, a Sunday; due 10-14 */
	assert_string_equal(S(step_of(c, "review"), "legal_due"), "2019-10-14");
	json_decref(c);
	ot_engine_config cfg;
	ot_engine_config_init(&cfg);
	cfg.rules_path = LAW;
	cfg.store = db;
	cfg.case_cache = 0;
	ot_engine *b = NULL;
	ot_error err;
	assert_int_equal(ot_engine_open_config(&cfg, &b, &err), OT_OK);
	c = paused(b, "20190927-0001", "2019-10-08T09:00", "2019-10-09T09:00");
	/* (10-08, 10-09]: last day 10-14, a Monday: due then still (moving
	 * the rolled 10-14 would give 10-15) */
	assert_string_equal(S(step_of(c, "review"), "legal_due"), "2019-10-14");
	json_decref(c);
	c = call(a, "show", OT_OK, "{" CASE1 "}");
	assert_string_equal(S(step_of(c, "review"), "legal_due"), "2019-10-14");
	json_decref(c);
	ot_engine_close(a);
	ot_engine_close(b);
	char *report = NULL;
	assert_int_equal(ot_store_check(db, &report, &err), OT_OK);
	free(report);
}

/* A step of 3 working days due Thu 2019-03-07, suspended that day and
 * resumed on Sunday 03-10, has nothing whole left: it ends on the first
 * working day from the resumption, Monday 03-11, not on the Sunday, when
 * the hall could not act (review-time2 finding 2).  A case submitted with
 * "clocks": 2 ended on the Sunday, and replays so. */
static void a_step_paused_on_its_due_day_ends_on_a_working_day(void **state)
{
	(void)state;
	const char *rules = OT_TEST_DATA "/time/pauses.rules";
	char db[256];
	ot_engine *e = one_of_before(rules, "workday_roll", db, PAUSES_APP("lic"), "2019-03-04T09:00",
				     "20190304-0001", "json_set(payload, '$.clocks', 2)");
	const char *want[] = {"2019-03-10", "2019-03-11"};
	for (int i = 0; i < 2; i++) {
		char id[32];
		snprintf(id, sizeof id, "20190304-000%d", i + 1);
		json_t *c = paused(e, id, "2019-03-07T16:00", "2019-03-10T10:00");
		assert_string_equal(S(step_of(c, "review"), "due"), want[i]);
		json_decref(c);
	}
	/* Monday morning: the case of now is on time, the one of before late */
	json_t *late = overdue_entry(e, "2019-03-11T09:00", "20190304-0001");
	assert_non_null(late);
	json_decref(late);
	assert_null(overdue_entry(e, "2019-03-11T09:00", "20190304-0002"));
	ot_engine_close(e);
	char *report = NULL;
	ot_error err;
	assert_int_equal(ot_store_check(db, &report, &err), OT_OK);
	assert_non_null(strstr(report, "\"sound\": true"));
	free(report);
}

/* A case submitted before pauses counted as they do now (no "clocks" in
 * its submit event) goes on counting as it did: a pause moves its rolled
 * due day, so its events replay to what its store row says; a case
 * submitted now counts the law's way.  10 calendar days from Wed 03-06
 * end Sat 03-16, due Mon 03-18; paused (03-07, 03-09]: due 03-18 still,
 * or, counted as before, 03-20. */
static void a_case_from_before_counts_as_it_did(void **state)
{
	(void)state;
	const char *rules = OT_TEST_DATA "/time/pauses.rules";
	char db[256];
	ot_engine *e = one_of_before(rules, "clocks", db, PAUSES_APP("cd"), "2019-03-06T09:00",
				     "20190306-0001", "json_remove(payload, '$.clocks')");
	const char *want[] = {"2019-03-20", "2019-03-18"};
	for (int i = 0; i < 2; i++) {
		char id[32];
		snprintf(id, sizeof id, "20190306-000%d", i + 1);
		json_t *c = paused(e, id, "2019-03-07T09:00", "2019-03-09T09:00");
		assert_string_equal(S(c, "due"), want[i]);
		json_decref(c);
	}
	ot_engine_close(e);
	char *report = NULL;
	ot_error err;
	assert_int_equal(ot_store_check(db, &report, &err), OT_OK);
	assert_non_null(strstr(report, "\"sound\": true"));
	free(report);
	/* and held to its promise, as it was, where the law's day comes first */
	e = one_of_before(TIME_RULES, "clocks_mix", db, LAW_APP("law_mix"), "2019-02-01T09:00",
			  "20190201-0001", "json_remove(payload, '$.clocks')");
	const char *held[] = {"2019-02-13", "2019-02-11"};
	for (int i = 0; i < 2; i++) {
		json_t *c = call(e, "show", OT_OK, "{\"case\":\"20190201-000%d\"}", i + 1);
		assert_string_equal(S(c, "due"), held[i]);
		json_decref(c);
	}
	ot_engine_close(e);
}

/* A person's application to a chain of tests/data/time/chain-pause.rules
 * (its "now" a %s). */
#define CHAIN_APP(chain) "{\"chain\":\"" chain "\",\"channel\":\"hall\",\"applicant\":" \
	"{\"kind\":\"person\",\"id\":\"11010519491231002X\",\"name\":\"张三\"}," \
	"\"materials\":[\"cp_application\"],\"now\":\"%s\"}"

/* An item case of a chain suspended for a special procedure stops the
 * chain's clocks too: its stage's 5 working days and its total 10, from
 * Mon 2019-03-04, stand still for (03-05, 03-15] and count what was left
 * after: the stage's 03-06..03-11 (4) from 03-15, the total's 03-06..03-18
 * (9).  While it stands still the chain is late by nothing. */
static void a_chain_stops_while_its_items_do(void **state)
{
	(void)state;
	ot_engine *e = open_at(OT_TEST_DATA "/time/chain-pause.rules", ":memory:");
	json_t *c = call(e, "submit", OT_OK, CHAIN_APP("cp_chain"), "2019-03-04T09:00");
	assert_string_equal(S(c, "due"), "2019-03-18");
	json_decref(c);
	json_decref(call(e, "procedure_start", OT_OK, "{\"case\":\"20190304-0002\","
			 "\"procedure\":\"expert\",\"now\":\"2019-03-05T09:00\"}"));
	c = call(e, "show", OT_OK, "{\"case\":\"20190304-0001\",\"history\":false}");
	assert_string_equal(S(c, "status"), "suspended");
	json_decref(c);
	json_t *o = call(e, "overdue", OT_OK, "{\"now\":\"2019-03-12T10:00\"}");
	assert_int_equal(json_array_size(json_object_get(o, "cases")), 0);
	json_decref(o);
	json_decref(call(e, "procedure_end", OT_OK, "{\"case\":\"20190304-0002\","
			 "\"now\":\"2019-03-15T09:00\"}"));
	c = call(e, "show", OT_OK, "{\"case\":\"20190304-0001\",\"history\":false}");
	assert_string_equal(S(c, "status"), "in_progress");
	assert_string_equal(S(c, "due"), "2019-03-28");
	json_t *stage = json_array_get(json_object_get(c, "stages"), 0);
	assert_string_equal(S(stage, "due"), "2019-03-21");
	json_decref(c);
	store_is_sound(e);
	ot_engine_close(e);
}

/* The same chain, its item's expert review (at most 10 days, to 03-15)
 * ended ten days late, on 03-25: the item case counts the days past the
 * maximum (行政许可法 art. 45), and so does the chain -- its stage is due
 * 03-21 and its total 03-28, as had the review ended on time, and on 03-26
 * both are overdue with the item (review-time2 finding 1: the chain stood
 * still the whole time, and was due 03-29 and 04-08). */
static void a_chain_counts_the_days_past_a_procedure_s_maximum(void **state)
{
	(void)state;
	ot_engine *e = open_at(OT_TEST_DATA "/time/chain-pause.rules", ":memory:");
	json_decref(call(e, "submit", OT_OK, CHAIN_APP("cp_chain"), "2019-03-04T09:00"));
	json_decref(call(e, "procedure_start", OT_OK, "{\"case\":\"20190304-0002\","
			 "\"procedure\":\"expert\",\"now\":\"2019-03-05T09:00\"}"));
	json_decref(call(e, "procedure_end", OT_OK, "{\"case\":\"20190304-0002\","
			 "\"now\":\"2019-03-25T09:00\"}"));
	json_t *c = call(e, "show", OT_OK, "{\"case\":\"20190304-0001\",\"history\":false}");
	assert_string_equal(S(c, "due"), "2019-03-28");
	json_t *stage = json_array_get(json_object_get(c, "stages"), 0);
	assert_string_equal(S(stage, "due"), "2019-03-21");
	json_decref(c);
	json_t *late = overdue_entry(e, "2019-03-26T09:00", "20190304-0001");
	assert_non_null(late);
	json_decref(late);
	store_is_sound(e);
	ot_engine_close(e);
}

/* The same chain, its item's expert review still running on 03-22, a
 * week past its maximum: the chain shows the days it is due once the
 * review has kept out all it may (its stage 03-21, its total 03-28) and
 * is late by its stage, beside its item -- not only once the review ends.
 * A chain submitted before (its submit event's "clocks" 3) showed the
 * days it stood still at and was in no overdue list until then. */
static void a_chain_in_a_procedure_past_its_maximum_is_late_with_its_days(void **state)
{
	(void)state;
	const char *rules = OT_TEST_DATA "/time/chain-pause.rules";
	char db[256];
	ot_engine *e = one_of_before(rules, "chain_latest", db, CHAIN_APP("cp_chain"),
				     "2019-03-04T09:00",
				     "20190304-0003", "json_set(payload, '$.clocks', 3)");
	for (int i = 0; i < 2; i++)
		json_decref(call(e, "procedure_start", OT_OK, "{\"case\":\"20190304-000%d\","
				 "\"procedure\":\"expert\",\"now\":\"2019-03-05T09:00\"}", 2 * i + 2));
	json_t *c = call(e, "show", OT_OK, "{\"case\":\"20190304-0001\",\"history\":false}");
	assert_string_equal(S(c, "status"), "suspended");
	assert_string_equal(S(c, "due"), "2019-03-28");
	assert_string_equal(S(json_array_get(json_object_get(c, "current"), 0), "due"), "2019-03-21");
	json_decref(c);
	c = call(e, "show", OT_OK, "{\"case\":\"20190304-0003\",\"history\":false}");
	assert_string_equal(S(c, "due"), "2019-03-18");
	json_decref(c);
	assert_null(overdue_entry(e, "2019-03-21T09:00", "20190304-0001"));
	json_t *late = overdue_entry(e, "2019-03-22T09:00", "20190304-0001");
	assert_non_null(late);
	assert_false(json_is_true(json_object_get(late, "overdue")));
	assert_string_equal(S(json_array_get(json_object_get(late, "stages"), 0), "due"), "2019-03-21");
	json_decref(late);
	late = overdue_entry(e, "2019-03-22T09:00", "20190304-0002");
	assert_non_null(late);
	json_decref(late);
	assert_null(overdue_entry(e, "2019-03-22T09:00", "20190304-0003"));
	/* ended on 03-25, the chain keeps the days it showed */
	json_decref(call(e, "procedure_end", OT_OK, "{\"case\":\"20190304-0002\","
			 "\"now\":\"2019-03-25T09:00\"}"));
	c = call(e, "show", OT_OK, "{\"case\":\"20190304-0001\",\"history\":false}");
	assert_string_equal(S(c, "status"), "in_progress");
	assert_string_equal(S(c, "due"), "2019-03-28");
	json_decref(c);
	store_is_sound(e);
	ot_engine_close(e);
}

/* A chain is held to the last day the engine counts as a case is: an
 * expert review of 30 days on the item of cp_long (60 working days from
 * 2199-10-01, due 12-24) would move the chain to 2200-01-23, and is
 * refused (review-today2 finding 3: the chain showed, stored, and after
 * procedure_end had, a day no "now" could reach). */
static void a_chain_is_held_to_the_last_day_counted(void **state)
{
	(void)state;
	ot_engine *e = open_at(OT_TEST_DATA "/time/chain-pause.rules", ":memory:");
	json_t *c = call(e, "submit", OT_OK, CHAIN_APP("cp_long"), "2199-10-01T09:00");
	assert_string_equal(S(c, "due"), "2199-12-24");
	json_decref(c);
	refused(e, "procedure_start", OT_EINVAL, "procedure_start: case 21991001-0001 would be due on "
		"2200-01-23 (chain), after 2199-12-31, the last day the engine counts",
		"{\"case\":\"21991001-0002\",\"procedure\":\"expert\",\"now\":\"2199-10-02T09:00\"}");
	c = call(e, "show", OT_OK, "{\"case\":\"21991001-0002\",\"history\":false}");
	assert_string_equal(S(c, "status"), "in_progress");
	json_decref(c);
	store_is_sound(e);
	ot_engine_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(late_acceptance_counts_from_receipt),
		cmocka_unit_test(a_review_in_calendar_days_with_a_procedure_and_an_extension),
		cmocka_unit_test(refusals_change_nothing),
		cmocka_unit_test(an_untrue_pledge_revokes_the_licence),
		cmocka_unit_test(a_legal_limit_ending_before_the_promise_is_the_due_date),
		cmocka_unit_test(no_extension_once_the_legal_limit_ran_out),
		cmocka_unit_test(extending_past_a_procedure_s_maximum_counts_its_days),
		cmocka_unit_test(an_extension_of_before_past_the_maximum_replays_as_it_was),
		cmocka_unit_test(a_read_takes_a_now_before_the_last_event),
		cmocka_unit_test(a_last_day_the_replay_counts_again),
		cmocka_unit_test(a_case_from_before_counts_as_it_did),
		cmocka_unit_test(a_step_paused_on_its_due_day_ends_on_a_working_day),
		cmocka_unit_test(a_chain_stops_while_its_items_do),
		cmocka_unit_test(a_chain_counts_the_days_past_a_procedure_s_maximum),
		cmocka_unit_test(a_chain_in_a_procedure_past_its_maximum_is_late_with_its_days),
		cmocka_unit_test(a_chain_is_held_to_the_last_day_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
