/* Requests checked by type before an operation runs, times that do not
 * exist refused, and messages masked before they are cut. */
#include <jansson.h>

#include "engine_helpers.h"
#include "base.h"
#include "calendar.h"
#include "engine.h"
#include "idcheck.h"

static const char *CONTRACT = OT_SOURCE_DIR "/tests/contract/rules/contract.rules";

#define COMPANY "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"x\"}"
#define PERSON_ID "11010519491231002X"
#define NOW "\"now\":\"2019-09-27T09:00\""

/* The store as list and show see it: what a refusal must leave alone. */
static char *cases_now(ot_engine *e)
{
	char *out = NULL;
	ot_error err;
	assert_int_equal(ot_list(e, "{}", &out, &err), OT_OK);
	return out;
}

/* ---- every field of every operation has a type ---- */

/* One valid request per operation, and its fields: each in turn given a
 * value of the wrong type must be refused, naming the field. */
static const struct op_case {
	const char *op, *request;
	const char *fields[8];
} op_cases[] = {
	{"assess", "{\"item\":\"construction_permit\"," NOW ",\"applicant\":" COMPANY
		   ",\"form\":{},\"materials\":[],\"channel\":\"online\"}",
	 {"item", "now", "applicant", "form", "materials", "channel"}},
	{"submit", "{\"item\":\"construction_permit\"," NOW ",\"applicant\":" COMPANY
		   ",\"form\":{},\"materials\":[],\"channel\":\"online\"}",
	 {"item", "now", "applicant", "form", "materials", "channel"}},
	{"supplement", "{\"case\":\"20190927-0001\"," NOW ",\"form\":{},\"materials\":[\"land_cert\"],"
		       "\"channel\":\"online\"}",
	 {"case", "now", "form", "materials", "channel"}},
	{"act", "{\"case\":\"20190927-0001\"," NOW ",\"step\":\"intake\",\"action\":\"approve\","
		"\"actor\":\"approval_bureau\",\"reason\":\"r\"}",
	 {"case", "now", "step", "action", "actor", "reason"}},
	{"suspend", "{\"case\":\"20190927-0001\"," NOW ",\"reason\":\"r\",\"actor\":\"a\"}",
	 {"case", "now", "reason", "actor"}},
	{"resume", "{\"case\":\"20190927-0001\"," NOW ",\"reason\":\"r\",\"actor\":\"a\"}",
	 {"case", "now", "reason", "actor"}},
	{"deliver", "{\"case\":\"20190927-0001\"," NOW ",\"method\":\"post\",\"reason\":\"r\","
		    "\"actor\":\"a\"}",
	 {"case", "now", "method", "reason", "actor"}},
	{"withdraw", "{\"case\":\"20190927-0001\"," NOW ",\"reason\":\"r\",\"actor\":\"a\"}",
	 {"case", "now", "reason", "actor"}},
	{"show", "{\"case\":\"20190927-0001\"," NOW "}", {"case", "now"}},
	{"list", "{" NOW ",\"status\":\"closed\",\"item\":\"x\",\"department\":\"d\","
		 "\"applicant\":\"" PERSON_ID "\"}",
	 {"now", "status", "item", "department", "applicant"}},
	{"overdue", "{" NOW "}", {"now"}},
	{"licences_import", "{" NOW ",\"licences\":[]}", {"now", "licences"}},
	{"licences", "{" NOW ",\"holder\":\"" PERSON_ID "\"}", {"now", "holder"}},
};

static void refused_with(ot_engine *e, const char *op, json_t *req, const char *needle)
{
	char *text = json_dumps(req, JSON_COMPACT);
	refused(e, op, OT_EINVAL, needle, text);
	free(text);
}

static void every_field_has_a_type(void **state)
{
	(void)state;
	ot_engine *e = open_at(CONTRACT, ":memory:");
	/* a case to act on, in a state where nothing below can be done */
	json_decref(ok(e, "submit", "{\"item\":\"construction_permit\"," NOW ",\"applicant\":"
		       COMPANY ",\"materials\":[\"land_cert\",\"drawings\",\"fire_review\"]}"));
	char *before = cases_now(e);
	for (size_t i = 0; i < OT_COUNTOF(op_cases); i++) {
		const struct op_case *c = &op_cases[i];
		json_t *base = json_loads(c->request, 0, NULL);
		assert_non_null(base);
		for (size_t k = 0; k < OT_COUNTOF(c->fields) && c->fields[k]; k++) {
			char needle[64];
			snprintf(needle, sizeof needle, "\"%s\" must be", c->fields[k]);
			/* a number is no field's type; true is none either */
			json_t *req = json_deep_copy(base);
			json_object_set_new(req, c->fields[k], json_integer(110101199003074477LL));
			refused_with(e, c->op, req, needle);
			json_object_set_new(req, c->fields[k], json_true());
			refused_with(e, c->op, req, needle);
			json_decref(req);
		}
		/* and a field the operation does not have */
		json_t *req = json_deep_copy(base);
		json_object_set_new(req, "extra", json_string("x"));
		refused_with(e, c->op, req, "unknown field \"extra\"");
		json_decref(req);
		json_decref(base);
	}
	char *after = cases_now(e);
	assert_string_equal(before, after);
	free(before);
	free(after);
	ot_engine_close(e);
}

/* The defects the type check closes, one by one. */
static void wrong_types_are_not_dropped(void **state)
{
	(void)state;
	ot_engine *e = open_at(CONTRACT, ":memory:");
	json_decref(ok(e, "submit", "{\"item\":\"construction_permit\"," NOW ",\"applicant\":"
		       COMPANY ",\"materials\":[\"land_cert\",\"drawings\",\"fire_review\"]}"));
	/* a number for the applicant listed every applicant's cases */
	refused(e, "list", OT_EINVAL, "\"applicant\" must be a string, an ID number or credit code, "
		"not a number", "{\"applicant\": 110101199003074477}");
	refused(e, "list", OT_EINVAL, "\"status\" is one of needs_supplement", "{\"status\":\"closd\"}");
	/* a number as the channel was the default channel */
	refused(e, "submit", OT_EINVAL, "\"channel\" must be a string, not a number",
		"{\"item\":\"construction_permit\"," NOW ",\"applicant\":" COMPANY ",\"channel\":1}");
	/* a material that is not a name was "(not a name)" at best */
	refused(e, "submit", OT_EINVAL, "\"materials[1]\" must be a string, not an object",
		"{\"item\":\"construction_permit\"," NOW ",\"applicant\":" COMPANY
		",\"materials\":[\"land_cert\",{}]}");
	refused(e, "submit", OT_EINVAL, "\"materials\" must be a list of strings, not a string",
		"{\"item\":\"construction_permit\"," NOW ",\"applicant\":" COMPANY
		",\"materials\":\"land_cert\"}");
	/* a reason and an actor of the wrong type were recorded as none */
	refused(e, "suspend", OT_EINVAL, "\"reason\" must be a string, not a list",
		"{\"case\":\"20190927-0001\"," NOW ",\"reason\":[\"公示\"]}");
	refused(e, "act", OT_EINVAL, "\"actor\" must be a string \"department[.window]\" or an object",
		"{\"case\":\"20190927-0001\"," NOW ",\"step\":\"intake\",\"action\":\"approve\","
		"\"actor\":[\"approval_bureau\"]}");
	refused(e, "act", OT_EINVAL, "the request needs \"actor.department\"",
		"{\"case\":\"20190927-0001\"," NOW ",\"step\":\"intake\",\"action\":\"approve\","
		"\"actor\":{\"window\":\"investment\"}}");
	refused(e, "withdraw", OT_EINVAL, "\"actor\" must be a string, not an object",
		"{\"case\":\"20190927-0001\"," NOW ",\"actor\":{\"department\":\"x\"}}");
	/* the applicant, field by field */
	refused(e, "submit", OT_EINVAL, "\"applicant.id\" must be a string",
		"{\"item\":\"construction_permit\"," NOW ",\"applicant\":{\"kind\":\"company\","
		"\"id\":913501000000100143}}");
	refused(e, "submit", OT_EINVAL, "the request needs \"applicant.id\"",
		"{\"item\":\"construction_permit\"," NOW ",\"applicant\":{\"kind\":\"company\"}}");
	refused(e, "submit", OT_EINVAL, "unknown field \"applicant.nmae\" — did you mean \"name\"?",
		"{\"item\":\"construction_permit\"," NOW ",\"applicant\":{\"kind\":\"company\","
		"\"id\":\"91350100M000100Y43\",\"nmae\":\"x\"}}");
	refused(e, "assess", OT_EINVAL, "unknown field \"itme\" — did you mean \"item\"?",
		"{\"itme\":\"construction_permit\"," NOW "}");
	refused(e, "overdue", OT_EINVAL, "unknown field \"foo\" (overdue takes: now, limit, after)",
		"{\"foo\":1," NOW "}");
	/* what the operation needs is named, with the operation */
	refused(e, "submit", OT_EINVAL, "submit: the request needs \"item\", the name of a service "
		"item, or \"chain\", the name of a chain",
		"{" NOW ",\"applicant\":{\"kind\":\"company\",\"id\":\"91350100M000100Y43\"}}");
	refused(e, "assess", OT_EINVAL, "assess: the request names an \"item\" and a \"chain\"",
		"{\"item\":\"construction_permit\",\"chain\":\"construction_approval\"," NOW "}");
	refused(e, "act", OT_EINVAL, "act: the request needs \"step\"",
		"{\"case\":\"20190927-0001\"," NOW ",\"action\":\"approve\",\"actor\":\"x\"}");
	refused(e, "suspend", OT_EINVAL, "suspend: the request needs \"reason\"",
		"{\"case\":\"20190927-0001\"," NOW "}");
	refused(e, "deliver", OT_EINVAL, "deliver: the request needs \"method\"",
		"{\"case\":\"20190927-0001\"," NOW "}");
	/* null is an optional field left out, and a needed one missing */
	json_decref(ok(e, "show", "{\"case\":\"20190927-0001\",\"now\":null}"));
	refused(e, "show", OT_EINVAL, "needs \"case\"", "{\"case\":null}");
	/* a key given twice, a NUL inside a string */
	refused(e, "list", OT_EINVAL, "duplicate object key", "{\"status\":\"closed\",\"status\":\"x\"}");
	refused(e, "show", OT_EINVAL, "\\u0000 is not allowed", "{\"case\":\"20190927-0001\\u0000x\"}");
	refused(e, "list", OT_EINVAL, "\"applicant\" is not an ID number or credit code",
		"{\"applicant\":\"1101 0519\"}");
	ot_engine_close(e);
}

static void licences_by_type(void **state)
{
	(void)state;
	ot_engine *e = open_at(OT_SOURCE_DIR "/tests/providers/rules", ":memory:");
#define LICENCE(until) "{\"licences\":[{\"holder\":\"91350100M000100Y43\",\"material\":" \
	"\"business_licence\",\"number\":\"1\",\"issuer\":\"x\",\"valid_from\":\"2020-01-01\"," \
	"\"valid_until\":" until "}]}"
	/* a number as the last day was a licence valid for ever */
	refused(e, "licences_import", OT_EINVAL, "\"licences[0].valid_until\" must be a string, "
		"a date YYYY-MM-DD, not a number", LICENCE("20200101"));
	refused(e, "licences_import", OT_EINVAL, "\"licences[0].valid_until\" is not a date "
		"YYYY-MM-DD: '2019-02-30'", LICENCE("\"2019-02-30\""));
	refused(e, "licences_import", OT_EINVAL, "is not a date", LICENCE("\"2020-01-01T09:00\""));
	refused(e, "licences_import", OT_EINVAL, "\"licences[0]\" must be an object, not a string",
		"{\"licences\":[\"x\"]}");
	refused(e, "licences_import", OT_EINVAL, "\"licences\" must be a list of objects, not an object",
		"{\"licences\":{}}");
	refused(e, "licences_import", OT_EINVAL, "licence 1: \"issuer\" is empty",
		"{\"licences\":[{\"holder\":\"h\",\"material\":\"business_licence\",\"number\":\"1\","
		"\"issuer\":\"\",\"valid_from\":\"2020-01-01\"}]}");
	json_t *l = ok(e, "licences", "{\"holder\":\"91350100M000100Y43\"}");
	assert_int_equal(json_array_size(json_object_get(l, "licences")), 0);
	json_decref(l);
	json_decref(ok(e, "licences_import", LICENCE("\"2040-02-29\"")));
	refused(e, "licences", OT_EINVAL, "\"holder\" must be a string", "{\"holder\":1}");
	ot_engine_close(e);
}

/* ---- times and dates that do not exist ---- */

static void times_that_do_not_exist(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"2019-09-27T23:59:60", "2019-02-30T09:00", "2019-02-29", "2019-13-01",
		"2019-00-10", "2019-09-27T24:00", "2019-09-27T09:60", "2019-09-27T9:00",
		"2019-09-27T09:00:00.", "2019-09-27T09:00+08:", "2019-09-27T09:00+15:00",
		"2019-09-27T09:00+08:60", "2019-09-27 ", "19-09-27", "", "2019-09-27T09:00:00Zjunk",
	};
	static const char *const good[] = {
		"2019-09-27", "2019-09-27T09:00", "2019-09-27T23:59:59", "2020-02-29T09:00",
		"2019-09-27T09:00:30.25+08:00", "2019-09-27T01:00Z", "2019-09-27 09:00-05:30",
	};
	ot_time t;
	int32_t day;
	for (size_t i = 0; i < OT_COUNTOF(bad); i++)
		if (time_parse(bad[i], 480, &t))
			fail_msg("time_parse accepted '%s'", bad[i]);
	for (size_t i = 0; i < OT_COUNTOF(good); i++)
		if (!time_parse(good[i], 480, &t))
			fail_msg("time_parse refused '%s'", good[i]);
	assert_false(day_parse("2019-02-30", &day));
	assert_false(day_parse("2019-09-27T09:00", &day));
	assert_true(day_parse("2020-02-29", &day));
	/* through the engine: refused, naming the field */
	ot_engine *e = open_at(CONTRACT, ":memory:");
	refused(e, "assess", OT_EINVAL, "assess: \"now\" is not an ISO 8601 time: '2019-09-27T23:59:60'",
		"{\"item\":\"construction_permit\",\"now\":\"2019-09-27T23:59:60\"}");
	refused(e, "overdue", OT_EINVAL, "\"now\" is not an ISO 8601 time", "{\"now\":\"2019-02-30\"}");
	ot_engine_close(e);
}

/* A time valid as written whose day in the rule base's zone (UTC+8) is
 * outside the days the engine counts, 1900-01-01 to 2199-12-31: refused as
 * a bad request when it is read, not taken in to fail later as a store
 * error when the event's time is read back. */
static void times_outside_the_days_counted(void **state)
{
	(void)state;
	ot_engine *e = open_at(CONTRACT, ":memory:");
	refused(e, "submit", OT_EINVAL, "submit: \"now\" is out of range: '2199-12-31T23:00-05:00' is "
		"2200-01-01 in the rule base's time zone; the engine counts days from 1900-01-01 to "
		"2199-12-31", "{\"item\":\"construction_permit\",\"now\":\"2199-12-31T23:00-05:00\","
		"\"applicant\":" COMPANY ",\"materials\":[],\"channel\":\"online\"}");
	refused(e, "submit", OT_EINVAL, "'1900-01-01T00:00+09:00' is 1899-12-31 in the rule base's",
		"{\"item\":\"construction_permit\",\"now\":\"1900-01-01T00:00+09:00\","
		"\"applicant\":" COMPANY ",\"materials\":[],\"channel\":\"online\"}");
	refused(e, "overdue", OT_EINVAL, "\"now\" is out of range", "{\"now\":\"2199-12-31T16:00Z\"}");
	refused(e, "sweep", OT_EINVAL, "\"now\" is out of range", "{\"now\":\"1900-01-01T05:00+14:00\"}");
	/* the first and last moments counted are taken */
	json_decref(call(e, "overdue", OT_OK, "{\"now\":\"2199-12-31T15:59:59Z\"}"));
	json_decref(call(e, "overdue", OT_OK, "{\"now\":\"1900-01-01T00:00+08:00\"}"));
	json_t *list = call(e, "list", OT_OK, "{}"); /* nothing was taken in */
	assert_int_equal(json_array_size(json_object_get(list, "cases")), 0);
	json_decref(list);
	ot_engine_close(e);
}

/* ---- masking before cutting ---- */

/* No character of the number's middle ten shows, wherever it falls. */
static void assert_masked(const char *msg, size_t at)
{
	size_t n = strlen(msg);
	for (size_t i = 4; i < 14 && at + i < n; i++)
		if (msg[at + i] != '*')
			fail_msg("ID at %zu shows its character %zu: %s", at, i, msg + at);
}

static int valid_utf8(const char *s)
{
	return utf8_valid(s, strlen(s));
}

static void numbers_at_the_cut(void **state)
{
	(void)state;
	ot_error err;
	char pad[700];
	/* every offset around the cut, after ASCII and after 3-byte characters */
	for (int cjk = 0; cjk < 2; cjk++)
		for (size_t at = 470; at < 530; at++) {
			size_t n = 0;
			while (n + (cjk ? 3 : 1) <= at) {
				memcpy(pad + n, cjk ? "中" : "x", cjk ? 3 : 1);
				n += cjk ? 3 : 1;
			}
			pad[n] = 0;
			err_set(&err, OT_EINVAL, "%s" PERSON_ID "5 and more text after it", pad);
			assert_true(strlen(err.message) <= sizeof err.message - 1);
			assert_true(valid_utf8(err.message));
			assert_masked(err.message, n);
			assert_null(strstr(err.message, "1101051949")); /* first ten never shown */
			/* the same with a credit code */
			err_set(&err, OT_EINVAL, "%s91350100M000100Y43", pad);
			assert_masked(err.message, n);
		}
	/* a message far longer than the buffer */
	char big[4000];
	memset(big, 'y', sizeof big - 1);
	big[sizeof big - 1] = 0;
	err_set(&err, OT_EINVAL, "%s", big);
	assert_int_equal(strlen(err.message), sizeof err.message - 1);
}

static void numbers_glued_to_letters_and_digits(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"ID" PERSON_ID, "ID1101**********002X"},
		{PERSON_ID "5", "1101**********002X5"},
		{PERSON_ID "abc", "1101**********002Xabc"},
		{"x11010519491231002x7y", "x1101**********002x7y"},
		{"9" PERSON_ID, "91101**********002X"},
		{"110105194912310029", "110105194912310029"}, /* wrong check digit */
		{"110105194913310026", "110105194913310026"}, /* month 13 */
		{"91350100M000100Y43", "9135**********0Y43"},
		{"91350100M000100Y43ABC", "9135**********0Y43ABC"},
		{"no:91350100M000100Y43.", "no:9135**********0Y43."},
		{"rule version 8ed2be7093d9, case 20190927-0001", "rule version 8ed2be7093d9, case 20190927-0001"},
		{"ID" PERSON_ID PERSON_ID, "ID1101**********002X1101**********002X"},
	};
	for (size_t i = 0; i < OT_COUNTOF(cases); i++) {
		char text[128];
		snprintf(text, sizeof text, "%s", cases[i].in);
		ot_mask_ids(text);
		if (strcmp(text, cases[i].out))
			fail_msg("'%s' masked as '%s', wanted '%s'", cases[i].in, text, cases[i].out);
	}
	/* through the engine: a bad applicant id glued to digits */
	ot_engine *e = open_at(CONTRACT, ":memory:");
	refused(e, "list", OT_EINVAL, "'1101**********002X12-'",
		"{\"applicant\":\"" PERSON_ID "12-\"}");
	ot_engine_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_field_has_a_type),
		cmocka_unit_test(wrong_types_are_not_dropped),
		cmocka_unit_test(licences_by_type),
		cmocka_unit_test(times_that_do_not_exist),
		cmocka_unit_test(times_outside_the_days_counted),
		cmocka_unit_test(numbers_at_the_cut),
		cmocka_unit_test(numbers_glued_to_letters_and_digits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
