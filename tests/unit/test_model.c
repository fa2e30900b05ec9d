/* The compiled model: calendars, decimals, compiled conditions, and the
 * JSON description intake systems read. */
#include <jansson.h>
#include <stdlib.h>

#include "calendar.h"
#include "helpers.h"
#include "model.h"

static ot_rules *bundled(void)
{
	const char *path = OT_SOURCE_DIR "/rules";
	ot_rules *r = NULL;
	ot_diags *d = NULL;
	ot_status st = ot_rules_compile(&path, 1, NULL, &r, &d);
	if (st != OT_OK || ot_diags_count(d)) {
		char *s = ot_diags_render(d, 0);
		fprintf(stderr, "%s", s);
		free(s);
	}
	assert_int_equal(st, OT_OK);
	assert_int_equal(ot_diags_count(d), 0);
	ot_diags_free(d);
	return r;
}

static int32_t day(int y, int m, int d)
{
	return cal_days_from_civil(y, m, d);
}

static void civil_dates(void **state)
{
	(void)state;
	assert_int_equal(day(1970, 1, 1), 0);
	assert_int_equal(day(2019, 10, 1), 18170);
	int y, m, d;
	cal_civil_from_days(day(2024, 2, 29), &y, &m, &d);
	assert_int_equal(y * 10000 + m * 100 + d, 20240229);
	assert_int_equal(cal_weekday(day(2019, 9, 29)), 6); /* a Sunday */
	assert_true(cal_valid_date(2000, 2, 29));
	assert_false(cal_valid_date(1900, 2, 29));
	assert_false(cal_valid_date(2019, 4, 31));
}

static void national_calendar(void **state)
{
	(void)state;
	ot_rules *r = bundled();
	int c = strmap_get(&r->by_calendar, "cn", 2);
	assert_true(c >= 0);
	const m_calendar *cal = &r->calendars[c];
	assert_true(cal_is_workday(cal, day(2019, 9, 29)));   /* Sunday, 调休上班 */
	assert_false(cal_is_workday(cal, day(2019, 10, 1)));  /* 国庆节 */
	assert_false(cal_is_workday(cal, day(2019, 10, 7)));
	assert_true(cal_is_workday(cal, day(2019, 10, 8)));
	assert_true(cal_is_workday(cal, day(2019, 10, 12)));  /* Saturday, 调休上班 */
	assert_false(cal_is_workday(cal, day(2019, 5, 4)));   /* corrected Labour Day */
	assert_true(cal_is_workday(cal, day(2019, 5, 5)));
	assert_false(cal_is_workday(cal, day(2020, 2, 1)));   /* make-up day cancelled */
	assert_true(cal_is_workday(cal, day(2026, 2, 28)));
	assert_false(cal_is_workday(cal, day(2026, 2, 23)));
	assert_false(cal_is_workday(cal, day(2030, 6, 1)));   /* beyond: weekend rule */
	assert_true(cal_is_workday(cal, day(2030, 6, 3)));
	/* working days before a day, for counting in O(1) */
	int32_t i = day(2019, 10, 1) - cal->first, j = day(2019, 10, 14) - cal->first;
	/* 10-08 .. 10-11, and Saturday 10-12 */
	assert_int_equal(cal->before[j] - cal->before[i], 5);
	ot_rules_free(r);
}

/* Limits in calendar days: counted from the next day, a last day off moves
 * to the next working day; a pause moves them by its calendar days. */
static void calendar_day_limits(void **state)
{
	(void)state;
	ot_rules *r = bundled();
	const m_calendar *cal = &r->calendars[strmap_get(&r->by_calendar, "cn", 2)];
	/* 公示 7 days from Mon 2019-01-28 end on 02-04, 春节: on Mon 02-11 */
	assert_int_equal(cal_due(cal, day(2019, 1, 28), 7, UNIT_DAY), day(2019, 2, 11));
	/* the same as 5 working days: 01-29 … 02-01 and the make-up Saturday 02-02 */
	assert_int_equal(cal_due(cal, day(2019, 1, 28), 5, UNIT_WORKDAY), day(2019, 2, 2));
	/* a last day that is a working day stays: 7 days from 2019-11-04 */
	assert_int_equal(cal_due(cal, day(2019, 11, 4), 7, UNIT_DAY), day(2019, 11, 11));
	/* a pause of (09-30, 10-10]: 10 calendar days, 3 working days */
	assert_int_equal(cal_shift(cal, day(2019, 10, 30), UNIT_WORKDAY, day(2019, 9, 30),
				   day(2019, 10, 10)), day(2019, 11, 4));
	assert_int_equal(cal_shift(cal, day(2019, 10, 8), UNIT_DAY, day(2019, 9, 30),
				   day(2019, 10, 10)), day(2019, 10, 18));
	assert_int_equal(cal_shift(cal, -1, UNIT_DAY, day(2019, 9, 30), day(2019, 10, 10)), -1);
	ot_rules_free(r);
}

/* Working days added before the calendar's years skip whole weeks (a
 * hook counting from 1900 over and over stayed in its time limit only on
 * an idle machine): the same day as counting one by one, into and across
 * the years the calendar lists. */
static void working_days_before_the_calendar(void **state)
{
	(void)state;
	ot_rules *r = bundled();
	const m_calendar *cal = &r->calendars[strmap_get(&r->by_calendar, "cn", 2)];
	for (int32_t from = cal->first - 3000; from < cal->first + 3; from += from < cal->first - 40 ? 997 : 3)
		for (int32_t n = 1; n < 3000; n += n < 400 ? 7 : 131) {
			int32_t d = from, left = n;
			while (left > 0)
				left -= cal_is_workday(cal, ++d);
			assert_int_equal(cal_add_workdays(cal, from, n), d);
		}
	ot_rules_free(r);
}

/* Limits in months (民法典 art. 202): the day of the last month with the
 * start day's number, or that month's last day; then as calendar days. */
static void month_limits(void **state)
{
	(void)state;
	ot_rules *r = bundled();
	const m_calendar *cal = &r->calendars[strmap_get(&r->by_calendar, "cn", 2)];
	assert_int_equal(cal_last(cal, day(2019, 7, 31), 3, UNIT_MONTH), day(2019, 10, 31));
	/* no 02-29 in 2019, no 02-30 in 2020; a year's months across New Year */
	assert_int_equal(cal_last(cal, day(2019, 1, 31), 1, UNIT_MONTH), day(2019, 2, 28));
	assert_int_equal(cal_last(cal, day(2019, 11, 30), 3, UNIT_MONTH), day(2020, 2, 29));
	assert_int_equal(cal_last(cal, day(2019, 12, 15), 14, UNIT_MONTH), day(2021, 2, 15));
	/* ending on National Day: on the first working day after it */
	assert_int_equal(cal_due(cal, day(2019, 7, 1), 3, UNIT_MONTH), day(2019, 10, 8));
	/* a pause moves the last day by calendar days, as for days */
	assert_int_equal(cal_shift(cal, day(2019, 10, 31), UNIT_MONTH, day(2019, 8, 1),
				   day(2019, 8, 6)), day(2019, 11, 5));
	assert_true(cal_counts_days(UNIT_MONTH) && cal_counts_days(UNIT_DAY));
	assert_false(cal_counts_days(UNIT_WORKDAY));
	ot_rules_free(r);
}

static void decimals(void **state)
{
	(void)state;
	ot_dec a = {15, 1}, b = {150, 2}, c = {-3, 0}, out;
	assert_int_equal(dec_cmp(a, b), 0);
	assert_int_equal(dec_cmp(c, a), -1);
	assert_int_equal(dec_cmp((ot_dec){1, 18}, (ot_dec){0, 0}), 1);
	assert_int_equal(dec_cmp((ot_dec){INT64_MAX, 0}, (ot_dec){1, 18}), 1);
	assert_true(dec_arith('+', a, c, &out));
	char t[32];
	dec_format(out, t);
	assert_string_equal(t, "-1.5");
	assert_true(dec_arith('*', (ot_dec){11, 1}, (ot_dec){11, 1}, &out));
	dec_format(out, t);
	assert_string_equal(t, "1.21");
	assert_true(dec_arith('/', (ot_dec){1, 0}, (ot_dec){3, 0}, &out));
	dec_format(out, t);
	assert_string_equal(t, "0.333333");
	assert_true(dec_arith('/', (ot_dec){2, 0}, (ot_dec){3, 0}, &out));
	dec_format(out, t);
	assert_string_equal(t, "0.666667");
	assert_false(dec_arith('/', a, (ot_dec){0, 0}, &out));
	assert_false(dec_arith('*', (ot_dec){INT64_MAX, 0}, (ot_dec){2, 0}, &out));
	assert_false(dec_arith('+', (ot_dec){INT64_MAX, 0}, (ot_dec){1, 1}, &out));
}

/* a OP b through text, "fails" when dec_arith refuses: both sides as a
 * hook writes them */
static const char *arith(int op, const char *a, const char *b)
{
	static char t[32];
	ot_dec x, y, out;
	assert_true(dec_parse(a, &x));
	assert_true(dec_parse(b, &y));
	if (!dec_arith(op, x, y, &out))
		return "fails";
	dec_format(out, t);
	return t;
}

/* The quotient and the product are worked out wide (128 bits) and rounded
 * once: only an answer of more than 18 digits fails, whatever the
 * operands' sizes and places. */
static void decimals_wide(void **state)
{
	(void)state;
	assert_string_equal(arith('/', "1000000000", "7.1234"), "140382401.662128");
	assert_string_equal(arith('/', "920000000", "7.1234"), "129151809.529157");
	assert_string_equal(arith('/', "5000000000", "7.1234"), "701912008.310638");
	assert_string_equal(arith('/', "10000000000000", "1"), "10000000000000");
	assert_string_equal(arith('/', "9300000000000", "2"), "4650000000000");
	assert_string_equal(arith('/', "1", "0.0000000001"), "10000000000");
	assert_string_equal(arith('/', "1.0000000000001", "1.0000000000001"), "1");
	assert_string_equal(arith('/', "123.4567891234", "41.1234567891"), "3.002101");
	/* 10^16 * 10^23 would not fit even 128 bits: digit by digit */
	assert_string_equal(arith('/', "10000000000000000", "1.00000000000000001"),
			    "9999999999999999.9");
	assert_string_equal(arith('/', "999999999999", "0.000001"), "999999999999000000");
	assert_string_equal(arith('/', "-2", "3"), "-0.666667");
	assert_string_equal(arith('/', "2", "-3"), "-0.666667");
	assert_string_equal(arith('/', "-2", "-3"), "0.666667");
	assert_string_equal(arith('/', "0.0000005", "1"), "0.000001"); /* half away */
	assert_string_equal(arith('/', "-0.0000005", "1"), "-0.000001");
	assert_string_equal(arith('/', "0.0000004", "1"), "0");
	/* 6 places whatever the operands' places: "3.0000000" is 3 */
	assert_string_equal(arith('/', "1", "3.0000000"), "0.333333");
	assert_string_equal(arith('/', "0.12345678", "1"), "0.123457");
	/* more than 12 digits before the point: as many places as 18 digits
	 * leave; more than 18 before it fails */
	assert_string_equal(arith('/', "50000000000000", "7.1234"), "7019120083106.38178");
	assert_string_equal(arith('/', "-1000000000000000", "3"), "-333333333333333.333");
	assert_string_equal(arith('/', "999999999999999999", "7.1234"), "140382401662127636");
	assert_string_equal(arith('/', "999999999999999999", "1"), "999999999999999999");
	assert_string_equal(arith('/', "99999999999999999.9", "1"), "99999999999999999.9");
	assert_string_equal(arith('/', "999999999999999999", "0.99999999999999999"), "fails");
	assert_string_equal(arith('/', "100000000000000000", "0.1"), "fails");
	assert_string_equal(arith('/', "999999999999999999", "0.000001"), "fails");
	assert_string_equal(arith('/', "0.000000000000000001", "999999999999999999"), "0");
	assert_string_equal(arith('/', "1", "0"), "fails");
	/* products: exact, or they fail */
	assert_string_equal(arith('*', "0.1234567891", "0.1234567891"), "fails");
	assert_string_equal(arith('*', "0.123456789012", "0.123456789012"), "fails");
	assert_string_equal(arith('*', "0.0000000001", "0.0000000001"), "fails");
	assert_string_equal(arith('*', "0.1000000000", "0.1000000000"), "0.01");
	assert_string_equal(arith('*', "0.000000001", "0.000000001"), "0.000000000000000001");
	assert_string_equal(arith('*', "999999999", "999999999"), "999999998000000001");
	assert_string_equal(arith('*', "1000000000", "1000000000"), "fails");
	assert_string_equal(arith('*', "-123456789.123", "1000"), "-123456789123");
	/* sums of more than 18 digits fail */
	assert_string_equal(arith('+', "900000000000000000", "900000000000000000"), "fails");
	assert_string_equal(arith('+', "999999999999999999", "-1"), "999999999999999998");
	assert_string_equal(arith('-', "-999999999999999999", "1"), "fails");
	assert_string_equal(arith('+', "0.000000000000000001", "99999999999999999"), "fails");
	assert_string_equal(arith('+', "0.000000000000000001", "0.1"), "0.100000000000000001");
}

/* At most 18 digits (leading zeros aside) and 18 places; a binary number
 * only when one of those reads back as it. */
static void decimals_bounds(void **state)
{
	(void)state;
	ot_dec d;
	char t[32];
	assert_true(dec_parse("999999999999999999", &d));
	assert_true(dec_parse("-999999999999999999", &d));
	assert_true(dec_parse("0.999999999999999999", &d));
	assert_true(dec_parse("0000000000000000000001", &d));
	assert_false(dec_parse("1000000000000000000", &d));
	assert_false(dec_parse("-9223372036854775808", &d));
	assert_false(dec_parse("0.0000000000000000001", &d));
	assert_false(dec_parse("", &d));
	assert_false(dec_parse("-", &d));
	assert_false(dec_parse("1.2.3", &d));
	assert_true(dec_from_double(0.1, &d));
	dec_format(d, t);
	assert_string_equal(t, "0.1");
	assert_true(dec_from_double(1e17, &d));
	dec_format(d, t);
	assert_string_equal(t, "100000000000000000");
	assert_true(dec_from_double(1e-18, &d));
	dec_format(d, t);
	assert_string_equal(t, "0.000000000000000001");
	assert_true(dec_from_double(-0.0, &d));
	dec_format(d, t);
	assert_string_equal(t, "0");
	assert_false(dec_from_double(1e18, &d));
	assert_false(dec_from_double(1e-20, &d));              /* not 0 */
	assert_false(dec_from_double(1.2345678901234567e-5, &d)); /* not rounded */
	assert_false(dec_from_double(1.0 / 0.0, &d));
	assert_false(dec_from_double(0.0 / 0.0, &d));
}

static void conditions_compile_to_indices(void **state)
{
	(void)state;
	compiled c = compile_src(BASE "item i \"x\" { department d; form f\n"
				 " materials { m when form.kind == b }\n steps { s \"s\" by d } }\n");
	assert_int_equal(c.st, OT_OK);
	const m_expr *x = &c.rules->exprs[c.rules->reqs[0].cond];
	assert_int_equal(x->code.count, 3);
	const m_op *op = &c.rules->ops[x->code.first];
	assert_int_equal(op[0].op, OP_FIELD);
	assert_int_equal(op[0].a, 3);             /* kind is the 4th field */
	assert_int_equal(op[1].op, OP_CONST);
	assert_int_equal(c.rules->consts[op[1].a].type, VT_ENUM);
	assert_int_equal(c.rules->consts[op[1].a].u.enum_index, 1); /* b */
	assert_int_equal(op[2].op, OP_EQ);
	assert_int_equal(x->depth, 2);
	assert_string_equal(x->text, "form.kind == b");
	compiled_free(&c);
}

static void describe_json(void **state)
{
	(void)state;
	ot_rules *r = bundled();
	char *s = ot_rules_describe(r);
	assert_non_null(s);
	json_error_t err;
	json_t *j = json_loads(s, 0, &err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "hash")), ot_rules_hash(r));
	assert_true(json_array_size(json_object_get(j, "items")) >= 20);
	assert_true(json_array_size(json_object_get(j, "chains")) >= 1);
	json_t *item = json_array_get(json_object_get(j, "items"), 0);
	assert_non_null(json_object_get(item, "steps"));
	assert_non_null(json_object_get(item, "flow"));
	json_decref(j);
	free(s);
	ot_rules_free(r);
}

/* ot_rules_item_in_force: the version an application received on a day
 * is judged by, asked from any version's name; a summary counts a version
 * as in force when it is its own answer. */
static void the_version_in_force_on_a_day(void **state)
{
	(void)state;
	compiled c = compile_src(BASE
		"item old \"旧\" { department d; in_force until 2019-04-22\n steps { s \"s\" by d } }\n"
		"item new \"新\" { department d; in_force from 2019-04-23; replaces old\n"
		" steps { s \"s\" by d } }\n"
		"item later \"将设\" { department d; in_force from 2030-01-01\n steps { s \"s\" by d } }\n"
		"item always \"常设\" { department d; steps { s \"s\" by d } }\n");
	assert_int_equal(c.st, OT_OK);
	const ot_rules *r = c.rules;
	assert_string_equal(ot_rules_item_in_force(r, "new", "2019-04-22"), "old");
	assert_string_equal(ot_rules_item_in_force(r, "old", "2019-04-23"), "new");
	assert_string_equal(ot_rules_item_in_force(r, "new", "2026-11-30T23:59"), "new");
	/* a time without an offset is the rule base's (UTC+8): 16:00 UTC on the
	 * 22nd is the 23rd there */
	assert_string_equal(ot_rules_item_in_force(r, "old", "2019-04-22T16:00:00Z"), "new");
	assert_string_equal(ot_rules_item_in_force(r, "always", "1999-01-01"), "always");
	assert_null(ot_rules_item_in_force(r, "later", "2029-12-31"));
	assert_string_equal(ot_rules_item_in_force(r, "later", "2030-01-01"), "later");
	assert_null(ot_rules_item_in_force(r, "nosuch", "2020-01-01"));
	assert_null(ot_rules_item_in_force(r, "new", "2019-02-30"));
	assert_null(ot_rules_item_in_force(NULL, "new", "2020-01-01"));
	compiled_free(&c);
}

static void stored_sources_recompile_to_the_same_version(void **state)
{
	(void)state;
	ot_rules *r = bundled();
	const char *src = ot_rules_sources(r);
	assert_non_null(src);
	json_t *j = json_loads(src, 0, NULL);
	assert_non_null(j);
	assert_true(json_object_size(json_object_get(j, "files")) >= 10);
	assert_true(json_array_size(json_object_get(j, "roots")) >= 1);
	json_decref(j);
	ot_rules *again = NULL;
	ot_diags *d = NULL;
	assert_int_equal(ot_rules_compile_sources(src, NULL, &again, &d), OT_OK);
	assert_string_equal(ot_rules_hash(again), ot_rules_hash(r));
	assert_int_equal(again->n_items, r->n_items);
	ot_rules_free(again);
	ot_diags_free(d);
	assert_int_equal(ot_rules_compile_sources("not json", NULL, &again, &d), OT_EINVAL);
	ot_rules_free(r);
}

static void hook_files_count_in_the_hash(void **state)
{
	(void)state;
	char dir[200];
	test_tmpdir("hook", dir, sizeof dir);
	char rules[256], hook[256];
	snprintf(rules, sizeof rules, "%s/r.rules", dir);
	snprintf(hook, sizeof hook, "%s/h.lua", dir);
	FILE *f = fopen(rules, "w");
	fputs("department d \"d\"\nitem i \"i\" { department d; steps { s \"s\" by d }\n"
	      " hook \"h.lua\" }\n", f);
	fclose(f);
	f = fopen(hook, "w");
	fputs("return {}\n", f);
	fclose(f);
	const char *path = rules;
	ot_rules *a = NULL, *b = NULL;
	ot_diags *d = NULL;
	assert_int_equal(ot_rules_compile(&path, 1, NULL, &a, &d), OT_OK);
	ot_diags_free(d);
	f = fopen(hook, "w");
	fputs("return { changed = true }\n", f);
	fclose(f);
	assert_int_equal(ot_rules_compile(&path, 1, NULL, &b, &d), OT_OK);
	ot_diags_free(d);
	assert_string_not_equal(ot_rules_hash(a), ot_rules_hash(b));
	/* the stored version keeps the old hook even after the file is gone */
	remove(hook);
	remove(rules);
	remove(dir);
	ot_rules *old = NULL;
	assert_int_equal(ot_rules_compile_sources(ot_rules_sources(a), NULL, &old, &d), OT_OK);
	assert_string_equal(ot_rules_hash(old), ot_rules_hash(a));
	assert_non_null(strstr(ot_rules_sources(old), "return {}"));
	ot_diags_free(d);
	ot_rules_free(old);
	ot_rules_free(a);
	ot_rules_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(civil_dates),
		cmocka_unit_test(national_calendar),
		cmocka_unit_test(calendar_day_limits),
		cmocka_unit_test(working_days_before_the_calendar),
		cmocka_unit_test(month_limits),
		cmocka_unit_test(decimals),
		cmocka_unit_test(decimals_wide),
		cmocka_unit_test(decimals_bounds),
		cmocka_unit_test(conditions_compile_to_indices),
		cmocka_unit_test(describe_json),
		cmocka_unit_test(the_version_in_force_on_a_day),
		cmocka_unit_test(stored_sources_recompile_to_the_same_version),
		cmocka_unit_test(hook_files_count_in_the_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
