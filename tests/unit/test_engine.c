/* The case engine, through its public API: what an intake system sees. */
#include <jansson.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine_helpers.h"
#include "backends.h"
#include "store_pg.h"
#include "store_sqlite.h"
#include "model.h"
#include "engine.h"

static const char *CONTRACT = OT_SOURCE_DIR "/tests/contract/rules/contract.rules";

#define COMPANY "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"鞍山市立山建设有限公司\"}"
#define SCHOOL_FORM "{\"name\":\"立山区第一小学教学楼\",\"area\":5400,\"height\":18," \
	"\"government_funded\":true,\"contractor\":\"91350100M000100Y43\",\"kind\":\"public\"}"

static ot_engine *open_engine(const char *rules)
{
	return open_at(rules, ":memory:");
}

static json_t *submit_school(ot_engine *e, const char *now, const char *materials)
{
	return call(e, "submit", OT_OK,
		    "{\"item\":\"construction_permit\",\"channel\":\"online\",\"now\":\"%s\","
		    "\"applicant\":" COMPANY ",\"form\":" SCHOOL_FORM ",\"materials\":[%s]}",
		    now, materials);
}

static json_t *act(ot_engine *e, const char *id, const char *step, const char *actor,
		   const char *now)
{
	return call(e, "act", OT_OK,
		    "{\"case\":\"%s\",\"step\":\"%s\",\"action\":\"approve\",\"actor\":\"%s\","
		    "\"now\":\"%s\"}", id, step, actor, now);
}

static const char *current(json_t *c)
{
	return S(json_array_get(json_object_get(c, "current"), 0), "step");
}

/* ---- the contract scenario ---- */

static void school_building_goes_through_the_site_visit(void **state)
{
	(void)state;
	ot_engine *e = open_engine(CONTRACT);
	json_t *c = submit_school(e, "2019-09-27T09:00", "\"land_cert\",\"drawings\",\"fire_review\"");
	char id[32];
	snprintf(id, sizeof id, "%s", S(c, "id"));
	assert_string_equal(S(c, "status"), "in_progress");
	assert_string_equal(S(c, "due"), "2019-10-12"); /* 7 workdays over National Day */
	assert_string_equal(S(json_object_get(c, "materials"), "license"), "shared");
	assert_string_equal(current(c), "intake");
	json_decref(c);
	json_decref(act(e, id, "intake", "approval_bureau.investment", "2019-09-29T10:00"));
	c = act(e, id, "review", "approval_bureau", "2019-10-08T16:00");
	assert_string_equal(current(c), "site_visit"); /* government funded */
	json_decref(c);
	json_decref(act(e, id, "site_visit", "housing", "2019-10-09T11:00"));
	c = act(e, id, "decide", "approval_bureau", "2019-10-10T09:30");
	assert_string_equal(S(c, "status"), "approved");
	json_decref(c);
	c = call(e, "deliver", OT_OK, "{\"case\":\"%s\",\"method\":\"post\",\"now\":\"2019-10-10T15:00\"}", id);
	assert_string_equal(S(c, "status"), "closed");
	assert_int_equal(json_integer_value(json_object_get(c, "trips")), 0);
	json_decref(c);
	refused(e, "act", OT_ESTATE, "it is closed",
		"{\"case\":\"20190927-0001\",\"step\":\"decide\",\"action\":\"approve\","
		"\"actor\":\"approval_bureau\",\"now\":\"2019-10-11T09:00\"}");
	refused(e, "supplement", OT_ESTATE, "cannot supplement",
		"{\"case\":\"20190927-0001\",\"materials\":[\"drawings\"],\"now\":\"2019-10-11T09:00\"}");
	c = call(e, "overdue", OT_OK, "{\"now\":\"2019-10-20T09:00\"}");
	assert_int_equal(json_array_size(json_object_get(c, "cases")), 0);
	json_decref(c);
	ot_engine_close(e);
}

static void small_private_building_gets_one_complete_notice(void **state)
{
	(void)state;
	ot_engine *e = open_engine(CONTRACT);
	json_t *c = call(e, "submit", OT_OK,
			 "{\"item\":\"construction_permit\",\"channel\":\"hall\",\"now\":\"2019-09-27T09:00\","
			 "\"applicant\":" COMPANY ",\"form\":{\"name\":\"仓库\",\"area\":120,\"kind\":\"industrial\","
			 "\"contractor\":\"911100001000128355\"}}");
	assert_string_equal(S(c, "status"), "needs_supplement");
	json_t *n = json_object_get(c, "notice");
	json_t *missing = json_object_get(n, "missing");
	assert_int_equal(json_array_size(missing), 1);
	assert_string_equal(json_string_value(json_array_get(missing, 0)), "land_cert");
	json_t *errors = json_object_get(n, "form_errors");
	assert_int_equal(json_array_size(errors), 1);
	assert_string_equal(S(json_array_get(errors, 0), "field"), "contractor");
	assert_int_equal(json_integer_value(json_object_get(c, "trips")), 1); /* came to the hall */
	/* drawings are not needed for 120 m², and the notice says why */
	size_t i;
	json_t *m;
	int seen = 0;
	json_array_foreach(json_object_get(n, "materials"), i, m)
		if (strcmp(S(m, "material"), "drawings") == 0) {
			assert_string_equal(S(m, "status"), "not_required");
			assert_string_equal(S(m, "reason"), "not required: form.area > 300 does not hold");
			seen = 1;
		}
	assert_true(seen);
	assert_true(json_is_null(json_object_get(c, "due")));
	char id[32];
	snprintf(id, sizeof id, "%s", S(c, "id"));
	json_decref(c);
	/* supplement online: fix the form, add the certificate -> accepted */
	c = call(e, "supplement", OT_OK,
		 "{\"case\":\"%s\",\"channel\":\"online\",\"now\":\"2019-09-30T10:00\","
		 "\"form\":{\"contractor\":\"91350100M000100Y43\"},\"materials\":[\"land_cert\"]}", id);
	assert_string_equal(S(c, "status"), "in_progress");
	assert_string_equal(S(c, "due"), "2019-10-15"); /* 7 workdays from 09-30, 10-12 worked */
	assert_int_equal(json_integer_value(json_object_get(c, "trips")), 1);
	json_decref(c);
	ot_engine_close(e);
}

/* ---- materials ---- */

static void conditions_and_reasons(void **state)
{
	(void)state;
	ot_engine *e = open_engine(CONTRACT);
	/* height absent: neither > 24 nor <= 24 holds; kind public triggers fire_review */
	json_t *a = call(e, "assess", OT_OK,
			 "{\"item\":\"construction_permit\",\"now\":\"2019-09-27T09:00\","
			 "\"form\":{\"name\":\"x\",\"area\":300.5,\"contractor\":\"91350100M000100Y43\","
			 "\"kind\":\"public\"}}");
	json_t *missing = json_object_get(a, "missing");
	assert_int_equal(json_array_size(missing), 3); /* land_cert, drawings, fire_review */
	json_t *m = json_array_get(json_object_get(a, "materials"), 2);
	assert_string_equal(S(m, "material"), "drawings");
	assert_string_equal(S(m, "reason"), "required because form.area > 300");
	assert_false(json_is_true(json_object_get(a, "complete")));
	assert_int_equal(json_integer_value(json_object_get(a, "max_trips")), 0);
	json_decref(a);
	/* exactly 300 is not more than 300: exact decimals */
	a = call(e, "assess", OT_OK,
		 "{\"item\":\"construction_permit\",\"now\":\"2019-09-27T09:00\",\"materials\":[\"land_cert\"],"
		 "\"form\":{\"name\":\"x\",\"area\":300,\"contractor\":\"91350100M000100Y43\",\"kind\":\"housing\"}}");
	assert_true(json_is_true(json_object_get(a, "complete")));
	assert_string_equal(S(a, "due"), "2019-10-12");
	json_decref(a);
	refused(e, "assess", OT_EINVAL, "unknown material 'land'",
		"{\"item\":\"construction_permit\",\"now\":\"2019-09-27T09:00\",\"materials\":[\"land\"]}");
	refused(e, "assess", OT_ENOTFOUND, "did you mean 'construction_permit'",
		"{\"item\":\"construction_permt\",\"now\":\"2019-09-27T09:00\"}");
	ot_engine_close(e);
}

static void form_checks_all_at_once(void **state)
{
	(void)state;
	ot_engine *e = open_engine(CONTRACT);
	json_t *a = call(e, "assess", OT_OK,
			 "{\"item\":\"construction_permit\",\"now\":\"2019-09-27T09:00\","
			 "\"form\":{\"area\":-1,\"height\":\"tall\",\"contractor\":\"91350100M000100Y44\","
			 "\"kind\":\"school\",\"government_funded\":\"yes\",\"colour\":\"red\"}}");
	json_t *errors = json_object_get(a, "form_errors");
	const char *want[] = {"name", "area", "height", "government_funded", "contractor", "kind", "colour"};
	assert_int_equal(json_array_size(errors), OT_COUNTOF(want));
	for (size_t i = 0; i < OT_COUNTOF(want); i++)
		assert_string_equal(S(json_array_get(errors, i), "field"), want[i]);
	assert_non_null(strstr(S(json_array_get(errors, 1), "message"), "at least 0"));
	assert_non_null(strstr(S(json_array_get(errors, 4), "message"), "GB 32100"));
	/* the same notice lists the missing materials */
	assert_true(json_array_size(json_object_get(a, "missing")) >= 1);
	json_decref(a);
	ot_engine_close(e);
}

static void reused_from_the_material_library(void **state)
{
	(void)state;
	ot_engine *e = open_engine(CONTRACT);
	/* first case: the land certificate is handed in (reusable 10 years) */
	json_decref(submit_school(e, "2019-09-27T09:00", "\"land_cert\",\"drawings\",\"fire_review\""));
	/* a later case of the same company does not need it again */
	json_t *c = call(e, "submit", OT_OK,
			 "{\"item\":\"planning_permit\",\"now\":\"2020-03-02T09:00\",\"applicant\":" COMPANY ","
			 "\"form\":" SCHOOL_FORM "}");
	assert_string_equal(S(c, "status"), "in_progress");
	assert_string_equal(S(json_object_get(c, "materials"), "land_cert"), "reused");
	assert_string_equal(S(json_object_get(c, "reused"), "land_cert"), "20190927-0001");
	json_decref(c);
	/* the same code written in small letters is the same company: its
	 * papers are found, its cases listed, and it is stored as one */
	const char *lower = "{\"kind\":\"company\",\"id\":\"91350100m000100y43\",\"name\":\"x\"}";
	c = call(e, "assess", OT_OK, "{\"item\":\"planning_permit\",\"now\":\"2020-03-02T09:00\","
		 "\"applicant\":%s,\"form\":" SCHOOL_FORM "}", lower);
	assert_string_equal(json_string_value(json_array_get(json_object_get(c, "reused"), 0)), "land_cert");
	json_decref(c);
	c = call(e, "submit", OT_OK, "{\"item\":\"planning_permit\",\"now\":\"2020-03-02T10:00\","
		 "\"applicant\":%s,\"form\":" SCHOOL_FORM "}", lower);
	assert_string_equal(S(json_object_get(c, "applicant"), "id"), "91350100M000100Y43");
	json_decref(c);
	c = call(e, "list", OT_OK, "{\"applicant\":\"91350100m000100y43\"}");
	assert_int_equal(json_array_size(json_object_get(c, "cases")), 3);
	json_decref(c);
	/* ten years later it has expired */
	json_t *a = call(e, "assess", OT_OK,
			 "{\"item\":\"planning_permit\",\"now\":\"2029-09-28T09:00\",\"applicant\":" COMPANY ","
			 "\"form\":" SCHOOL_FORM "}");
	assert_string_equal(json_string_value(json_array_get(json_object_get(a, "missing"), 0)), "land_cert");
	json_decref(a);
	ot_engine_close(e);
}

/* ---- working days ---- */

static void working_days_with_makeup_days(void **state)
{
	(void)state;
	const char *path = OT_SOURCE_DIR "/rules/calendar/cn.rules";
	ot_rules *r = NULL;
	ot_diags *d = NULL;
	assert_int_equal(ot_rules_compile(&path, 1, NULL, &r, &d), OT_OK);
	const m_calendar *cn = &r->calendars[0];
	int32_t d0 = cal_days_from_civil(2019, 9, 27);
	char out[11];
	/* 次日起算: day 1 is 09-29 (a Sunday worked), day 2 09-30, then 10-08 ... */
	day_format(cal_add_workdays(cn, d0, 1), out);
	assert_string_equal(out, "2019-09-29");
	day_format(cal_add_workdays(cn, d0, 3), out);
	assert_string_equal(out, "2019-10-08");
	day_format(cal_add_workdays(cn, d0, 7), out);
	assert_string_equal(out, "2019-10-12");
	/* Spring Festival 2019: 02-04..02-10 off, 02-02 and 02-03 worked */
	d0 = cal_days_from_civil(2019, 2, 1);
	day_format(cal_add_workdays(cn, d0, 2), out);
	assert_string_equal(out, "2019-02-03");
	day_format(cal_add_workdays(cn, d0, 3), out);
	assert_string_equal(out, "2019-02-11");
	assert_int_equal(cal_workdays_between(cn, d0, cal_days_from_civil(2019, 2, 11)), 3);
	/* beyond the calendar's years only weekends count */
	d0 = cal_days_from_civil(2030, 1, 4); /* a Friday */
	day_format(cal_add_workdays(cn, d0, 6), out);
	assert_string_equal(out, "2030-01-14");
	ot_rules_free(r);
	ot_diags_free(d);
}

/* ---- flows ---- */

static void fork_and_join(void **state)
{
	(void)state;
	ot_engine *e = open_engine(CONTRACT);
	json_t *c = call(e, "submit", OT_OK,
			 "{\"item\":\"planning_permit\",\"now\":\"2019-09-27T09:00\",\"applicant\":" COMPANY ","
			 "\"form\":" SCHOOL_FORM ",\"materials\":[\"land_cert\"]}");
	char id[32];
	snprintf(id, sizeof id, "%s", S(c, "id"));
	json_decref(c);
	c = act(e, id, "intake", "approval_bureau.investment", "2019-09-29T10:00");
	assert_int_equal(json_array_size(json_object_get(c, "current")), 2); /* review, fire_check */
	json_decref(c);
	c = act(e, id, "fire_check", "fire", "2019-09-30T10:00");
	assert_string_equal(current(c), "review"); /* decide waits for both */
	assert_int_equal(json_array_size(json_object_get(c, "current")), 1);
	json_decref(c);
	refused(e, "act", OT_ESTATE, "not active",
		"{\"case\":\"20190927-0001\",\"step\":\"decide\",\"action\":\"approve\","
		"\"actor\":\"approval_bureau\",\"now\":\"2019-09-30T11:00\"}");
	c = act(e, id, "review", "approval_bureau", "2019-10-08T10:00");
	assert_string_equal(current(c), "decide");
	json_decref(c);
	ot_engine_close(e);
}

/* ---- clocks ---- */

static void return_and_suspension_extend_due_dates(void **state)
{
	(void)state;
	ot_engine *e = open_engine(CONTRACT);
	json_t *c = submit_school(e, "2019-09-27T09:00", "\"land_cert\",\"drawings\",\"fire_review\"");
	json_decref(c);
	const char *id = "20190927-0001";
	json_decref(act(e, id, "intake", "approval_bureau.investment", "2019-09-29T10:00"));
	/* returned on 09-30, supplemented on 10-09: 2 working days (10-08, 10-09) */
	c = call(e, "act", OT_OK, "{\"case\":\"%s\",\"step\":\"review\",\"action\":\"return\","
		 "\"reason\":\"图纸不清晰\",\"actor\":\"approval_bureau\",\"now\":\"2019-09-30T10:00\"}", id);
	assert_string_equal(S(c, "status"), "returned");
	json_decref(c);
	refused(e, "act", OT_ESTATE, "it is returned",
		"{\"case\":\"20190927-0001\",\"step\":\"review\",\"action\":\"approve\","
		"\"actor\":\"approval_bureau\",\"now\":\"2019-10-08T10:00\"}");
	c = call(e, "supplement", OT_OK, "{\"case\":\"%s\",\"materials\":[\"drawings\"],"
		 "\"now\":\"2019-10-09T10:00\"}", id);
	assert_string_equal(S(c, "status"), "in_progress");
	assert_string_equal(S(c, "due"), "2019-10-15");
	assert_string_equal(current(c), "review");
	json_decref(c);
	/* suspended for expert review 10-10 .. 10-14: 3 more working days
	 * (10-11, the make-up Saturday 10-12, 10-14) */
	json_decref(call(e, "suspend", OT_OK, "{\"case\":\"%s\",\"reason\":\"专家评审\","
			 "\"now\":\"2019-10-10T09:00\"}", id));
	c = call(e, "overdue", OT_OK, "{\"now\":\"2019-12-01T09:00\"}");
	assert_int_equal(json_array_size(json_object_get(c, "cases")), 0); /* the clock is stopped */
	json_decref(c);
	c = call(e, "resume", OT_OK, "{\"case\":\"%s\",\"now\":\"2019-10-14T09:00\"}", id);
	assert_string_equal(S(c, "due"), "2019-10-18");
	json_decref(c);
	c = call(e, "overdue", OT_OK, "{\"now\":\"2019-10-18T17:00\"}");
	assert_int_equal(json_array_size(json_object_get(c, "cases")), 1); /* the review step */
	assert_false(json_is_true(json_object_get(json_array_get(json_object_get(c, "cases"), 0), "overdue")));
	json_decref(c);
	c = call(e, "overdue", OT_OK, "{\"now\":\"2019-10-21T09:00\"}");
	json_t *late = json_array_get(json_object_get(c, "cases"), 0);
	assert_string_equal(S(late, "id"), id);
	assert_true(json_is_true(json_object_get(late, "overdue")));
	assert_string_equal(S(json_array_get(json_object_get(late, "steps"), 0), "step"), "review");
	json_decref(c);
	ot_engine_close(e);
}

static void deny_and_withdraw(void **state)
{
	(void)state;
	ot_engine *e = open_engine(CONTRACT);
	json_decref(submit_school(e, "2019-09-27T09:00", "\"land_cert\",\"drawings\",\"fire_review\""));
	refused(e, "act", OT_EINVAL, "reason",
		"{\"case\":\"20190927-0001\",\"step\":\"intake\",\"action\":\"deny\","
		"\"actor\":\"approval_bureau\",\"now\":\"2019-09-29T10:00\"}");
	json_t *c = call(e, "act", OT_OK, "{\"case\":\"20190927-0001\",\"step\":\"intake\",\"action\":\"deny\","
			 "\"reason\":\"不符合条件\",\"actor\":\"approval_bureau\",\"now\":\"2019-09-29T10:00\"}");
	assert_string_equal(S(c, "status"), "denied");
	assert_int_equal(json_array_size(json_object_get(c, "current")), 0);
	json_decref(c);
	refused(e, "withdraw", OT_ESTATE, "it is denied",
		"{\"case\":\"20190927-0001\",\"now\":\"2019-09-30T10:00\"}");
	json_decref(submit_school(e, "2019-09-27T10:00", ""));
	refused(e, "supplement", OT_EINVAL, "does neither",
		"{\"case\":\"20190927-0002\",\"now\":\"2019-09-28T10:00\"}");
	json_decref(submit_school(e, "2019-09-27T11:00", "\"land_cert\",\"drawings\",\"fire_review\""));
	c = call(e, "withdraw", OT_OK, "{\"case\":\"20190927-0003\",\"reason\":\"不再需要\","
		 "\"now\":\"2019-09-30T10:00\"}");
	assert_string_equal(S(c, "status"), "withdrawn");
	assert_int_equal(json_array_size(json_object_get(c, "current")), 0);
	assert_string_equal(S(c, "note"), "不再需要");
	json_decref(c);
	/* time does not run backwards for a case */
	refused(e, "withdraw", OT_EINVAL, "is before the case's last event",
		"{\"case\":\"20190927-0002\",\"now\":\"2019-09-01T10:00\"}");
	ot_engine_close(e);
}

/* ---- deferrable materials and trips, on a rule base of their own ---- */

static const char DEFER_RULES[] =
	"calendar cn { weekend sat sun }\n"
	"department d \"审批局\" { window w \"窗口\" }\n"
	"material id_card \"居民身份证\" { holder person; source shared \"人口库\" }\n"
	"material photo \"照片\" { holder person }\n"
	"material proof \"证明\" { holder person }\n"
	"item card \"证件办理\" {\n"
	"  department d; calendar cn; applicant person; online partial\n"
	"  promised_limit 5 workdays; deliver window\n"
	"  materials { id_card; photo; proof deferrable }\n"
	"  steps { intake \"受理\" by d within 1 workday; check \"核验\" by d within 2 workdays in_person;"
	"          decide \"决定\" by d within 1 workday }\n"
	"}\n";

#define PERSON "{\"kind\":\"person\",\"id\":\"11010519491231002X\",\"name\":\"张三\"}"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void deferrable_materials_and_trips(void **state)
{
	(void)state;
	char dir[200];
	test_tmpdir("defer", dir, sizeof dir);
	char path[256];
	snprintf(path, sizeof path, "%s/card.rules", dir);
	write_file(path, DEFER_RULES);
	ot_engine *e = open_engine(path);
	json_t *c = call(e, "submit", OT_OK, "{\"item\":\"card\",\"channel\":\"online\","
			 "\"now\":\"2019-09-02T09:00\",\"applicant\":" PERSON ",\"materials\":[\"photo\"]}");
	assert_string_equal(S(c, "status"), "in_progress"); /* proof may come later */
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(json_object_get(c, "notice"), "deferred"), 0)), "proof");
	assert_int_equal(json_integer_value(json_object_get(c, "max_trips")), 2);
	json_decref(c);
	const char *id = "20190902-0001";
	json_decref(act(e, id, "intake", "d.w", "2019-09-02T10:00"));
	json_decref(act(e, id, "check", "d", "2019-09-03T10:00")); /* in person: one trip */
	refused(e, "act", OT_ESTATE, "deferred materials (容缺) are still missing: proof (证明)",
		"{\"case\":\"20190902-0001\",\"step\":\"decide\",\"action\":\"approve\","
		"\"actor\":\"d\",\"now\":\"2019-09-04T10:00\"}");
	json_decref(call(e, "supplement", OT_OK, "{\"case\":\"%s\",\"materials\":[\"proof\"],"
			 "\"now\":\"2019-09-04T11:00\"}", id));
	c = act(e, id, "decide", "d", "2019-09-04T12:00");
	assert_string_equal(S(c, "status"), "approved");
	json_decref(c);
	refused(e, "deliver", OT_EINVAL, "delivers by window", "{\"case\":\"20190902-0001\","
		"\"method\":\"post\",\"now\":\"2019-09-05T10:00\"}");
	c = call(e, "deliver", OT_OK, "{\"case\":\"%s\",\"method\":\"window\",\"now\":\"2019-09-05T10:00\"}", id);
	assert_int_equal(json_integer_value(json_object_get(c, "trips")), 2); /* check + pickup */
	json_decref(c);
	ot_engine_close(e);
	remove(path);
	remove(dir);
}

static void the_rule_base_sets_the_time_zone(void **state)
{
	(void)state;
	char dir[200], path[256];
	test_tmpdir("zone", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/zone.rules", dir);
	char text[sizeof DEFER_RULES + 32];
	snprintf(text, sizeof text, "timezone \"+09:00\"\n%s", DEFER_RULES);
	write_file(path, text);
	ot_engine *e = open_engine(path);
	/* 23:30 in Beijing is already the next day in Tokyo */
	json_t *c = call(e, "submit", OT_OK, "{\"item\":\"card\",\"now\":\"2019-09-27T23:30+08:00\","
			 "\"applicant\":" PERSON ",\"materials\":[\"photo\",\"proof\"]}");
	assert_string_equal(S(c, "id"), "20190928-0001");
	assert_string_equal(S(c, "submitted_at"), "2019-09-28T00:30:00+09:00");
	assert_string_equal(S(c, "due"), "2019-10-04"); /* 5 workdays from Saturday 09-28 */
	json_decref(c);
	/* a time without an offset is the rule base's */
	c = call(e, "submit", OT_OK, "{\"item\":\"card\",\"now\":\"2019-09-30T08:00\","
		 "\"applicant\":" PERSON ",\"materials\":[\"photo\",\"proof\"]}");
	assert_string_equal(S(c, "submitted_at"), "2019-09-30T08:00:00+09:00");
	json_decref(c);
	ot_engine_close(e);
	remove(path);
	remove(dir);
}

/* Arithmetic in a condition on numbers that fit is worked out whatever
 * their size; an answer of more than 18 digits cannot be decided, and the
 * assessment says so (the material asked for, the reason given) rather
 * than letting the condition quietly not hold.  A division by zero stays
 * an empty value (language.md §7). */
static const char *const BIG_RULES =
	"calendar cn { weekend sat sun }\n"
	"department d \"民政局\"\n"
	"material extra \"额外材料\"\n"
	"material big \"大额说明\"\n"
	"material ratio \"比例说明\"\n"
	"form f \"表\" { field amount \"金额\": decimal required\n"
	"  field divisor \"除数\": decimal }\n"
	"item t \"t\" {\n"
	"  department d; calendar cn; form f\n"
	"  materials { extra when form.amount / 7.1234 >= 300000000\n"
	"    big when form.amount * 1000000000 > 1\n"
	"    ratio when form.amount / form.divisor > 1 }\n"
	"  steps { run \"运行\" by d }\n"
	"}\n";

static const char *status_of(json_t *a, const char *material)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(a, "materials"), i, m)
		if (strcmp(S(m, "material"), material) == 0)
			return S(m, "status");
	return "(none)";
}

static void arithmetic_too_large_is_not_quiet(void **state)
{
	(void)state;
	char dir[200], path[256];
	test_tmpdir("big", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/big.rules", dir);
	write_file(path, BIG_RULES);
	ot_engine *e = open_engine(path);
	/* 5e8 / 7.1234 and 5e8 * 1e9: both fit */
	json_t *a = ok(e, "assess", "{\"item\":\"t\",\"now\":\"2024-03-04T09:00\","
		       "\"form\":{\"amount\":500000000,\"divisor\":0},\"materials\":[\"big\"]}");
	assert_string_equal(status_of(a, "extra"), "not_required");
	assert_string_equal(status_of(a, "big"), "provided");
	assert_string_equal(status_of(a, "ratio"), "not_required"); /* divided by 0: empty */
	assert_null(json_object_get(a, "hook_error"));
	assert_true(json_is_true(json_object_get(a, "complete")));
	json_decref(a);
	/* 5e9 / 7.1234 is about 7.0e8: required (the dividend times 10^10
	 * once overflowed 64 bits, and the condition went quiet) */
	a = ok(e, "assess", "{\"item\":\"t\",\"now\":\"2024-03-04T09:00\","
	       "\"form\":{\"amount\":5000000000,\"divisor\":2},\"materials\":[\"extra\",\"ratio\"]}");
	assert_string_equal(status_of(a, "extra"), "provided");
	assert_string_equal(status_of(a, "ratio"), "provided");
	/* 5e9 * 1e9 has 19 digits: cannot be decided -- asked for, and said */
	assert_string_equal(status_of(a, "big"), "missing");
	assert_string_equal(S(a, "hook_error"), "cannot decide whether big is required: "
			    "5000000000 * 1000000000 has more than 18 digits or decimal places: "
			    "it cannot be worked out exactly");
	assert_false(json_is_true(json_object_get(a, "complete")));
	json_decref(a);
	ot_engine_close(e);
	remove(path);
	remove(dir);
}

/* ---- refusals leave the store unchanged ---- */

static char *fingerprint(ot_engine *e)
{
	char *resp = NULL;
	ot_error err;
	assert_int_equal(ot_call(e, "list", "{}", &resp, &err), OT_OK);
	return resp;
}

static void refusals_change_nothing(void **state)
{
	(void)state;
	ot_engine *e = open_engine(CONTRACT);
	json_decref(submit_school(e, "2019-09-27T09:00", "\"land_cert\",\"drawings\",\"fire_review\""));
	char *before = fingerprint(e);
	char *events = NULL;
	ot_error err;
	assert_int_equal(ot_show(e, "{\"case\":\"20190927-0001\"}", &events, &err), OT_OK);
	refused(e, "submit", OT_EINVAL, "not JSON", "{\"item\": ");
	refused(e, "submit", OT_EINVAL, "must be a JSON object", "[1, 2]");
	refused(e, "submit", OT_EINVAL, "needs \"now\"", "{\"item\":\"construction_permit\"}");
	refused(e, "submit", OT_ENOTFOUND, "no item 'nope'", "{\"item\":\"nope\",\"now\":\"2019-09-27T09:00\","
		"\"applicant\":" COMPANY "}");
	refused(e, "submit", OT_EINVAL, "9135**********0Y44 is not a valid unified social credit code",
		"{\"item\":\"construction_permit\",\"now\":\"2019-09-27T09:00\",\"applicant\":"
		"{\"kind\":\"company\",\"id\":\"91350100M000100Y44\"}}");
	refused(e, "act", OT_EACTOR, "handled by approval_bureau.investment, not by housing",
		"{\"case\":\"20190927-0001\",\"step\":\"intake\",\"action\":\"approve\","
		"\"actor\":\"housing\",\"now\":\"2019-09-29T10:00\"}");
	refused(e, "act", OT_ENOTFOUND, "no case 'X'",
		"{\"case\":\"X\",\"step\":\"intake\",\"action\":\"approve\",\"actor\":\"housing\","
		"\"now\":\"2019-09-29T10:00\"}");
	refused(e, "act", OT_ENOTFOUND, "no step 'intak'",
		"{\"case\":\"20190927-0001\",\"step\":\"intak\",\"action\":\"approve\","
		"\"actor\":\"approval_bureau\",\"now\":\"2019-09-29T10:00\"}");
	refused(e, "deliver", OT_ESTATE, "it is in_progress",
		"{\"case\":\"20190927-0001\",\"method\":\"post\",\"now\":\"2019-09-29T10:00\"}");
	refused(e, "resume", OT_ESTATE, "cannot resume",
		"{\"case\":\"20190927-0001\",\"now\":\"2019-09-29T10:00\"}");
	refused(e, "frobnicate", OT_EINVAL, "unknown operation", "{}");
	char *after = fingerprint(e);
	assert_string_equal(before, after);
	char *events_after = NULL;
	assert_int_equal(ot_show(e, "{\"case\":\"20190927-0001\"}", &events_after, &err), OT_OK);
	assert_string_equal(events, events_after);
	free(before);
	free(after);
	free(events);
	free(events_after);
	ot_engine_close(e);
}

/* ---- rule versions ---- */

static void running_cases_keep_their_rule_version(void **state)
{
	(void)state;
	char dir[200], rules[256], db[256], common[256], tmp[300];
	test_tmpdir("version", dir, sizeof dir);
	snprintf(rules, sizeof rules, "%s/contract.rules", dir);
	snprintf(common, sizeof common, "%s/common.rules", dir);
	snprintf(db, sizeof db, "%s/store.db", dir);
	size_t len;
	char *text = read_text(CONTRACT, &len);
	write_file(rules, text);
	write_file(common, "");
	ot_engine *e = NULL;
	ot_error err;
	assert_int_equal(ot_engine_open(dir, db, &e, &err), OT_OK);
	json_t *c = submit_school(e, "2019-09-27T09:00", "\"land_cert\",\"drawings\",\"fire_review\"");
	char old_hash[65];
	snprintf(old_hash, sizeof old_hash, "%s", S(c, "rules"));
	json_decref(c);
	ot_engine_close(e);

	/* the department moves the review to the fire brigade and drops the
	 * site visit; the old file is gone */
	char *changed = strdup(text);
	char *p = strstr(changed, "review     \"审查\"     by approval_bureau");
	assert_non_null(p);
	memcpy(strstr(p, "approval_bureau"), "fire           ", 15);
	remove(rules);
	snprintf(tmp, sizeof tmp, "%s/renamed.rules", dir);
	write_file(tmp, changed);
	assert_int_equal(ot_engine_open(dir, db, &e, &err), OT_OK);
	assert_string_not_equal(ot_rules_hash(ot_engine_rules(e)), old_hash);
	/* the running case continues under its own version: review is still
	 * the approval bureau's */
	json_decref(act(e, "20190927-0001", "intake", "approval_bureau.investment", "2019-09-29T10:00"));
	refused(e, "act", OT_EACTOR, "handled by approval_bureau",
		"{\"case\":\"20190927-0001\",\"step\":\"review\",\"action\":\"approve\","
		"\"actor\":\"fire\",\"now\":\"2019-10-08T10:00\"}");
	c = act(e, "20190927-0001", "review", "approval_bureau", "2019-10-08T10:00");
	assert_string_equal(S(c, "rules"), old_hash);
	json_decref(c);
	/* a new case uses the new version */
	c = submit_school(e, "2019-10-08T11:00", "\"land_cert\",\"drawings\",\"fire_review\"");
	assert_string_not_equal(S(c, "rules"), old_hash);
	json_decref(c);
	json_decref(act(e, "20191008-0001", "intake", "approval_bureau.investment", "2019-10-08T12:00"));
	json_decref(act(e, "20191008-0001", "review", "fire", "2019-10-09T12:00"));
	ot_engine_close(e);
	free(text);
	free(changed);
	remove(tmp);
	remove(common);
}

/* ---- the events are the record ---- */

static json_t *snapshot(ot_engine *e, const char *id)
{
	if (e->vt == &store_pg) { /* the same on the PostgreSQL backend */
		const char *v[] = {id};
		PGresult *res = pg_query(e, "SELECT state FROM cases WHERE id = $1", 1, v);
		assert_true(res && PQntuples(res) == 1);
		json_t *j = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
		PQclear(res);
		return j;
	}
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(SQ(e)->db, "SELECT state FROM cases WHERE id = ?1", -1,
					    &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	json_t *j = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	sqlite3_finalize(st);
	return j;
}

static void replaying_events_rebuilds_the_case(void **state)
{
	(void)state;
	ot_engine *e = open_engine(CONTRACT);
	json_decref(submit_school(e, "2019-09-27T09:00", "\"land_cert\""));
	const char *id = "20190927-0001";
	json_decref(call(e, "supplement", OT_OK, "{\"case\":\"%s\",\"materials\":[\"drawings\","
			 "\"fire_review\"],\"now\":\"2019-09-28T10:00\"}", id));
	json_decref(act(e, id, "intake", "approval_bureau.investment", "2019-09-29T10:00"));
	json_decref(call(e, "act", OT_OK, "{\"case\":\"%s\",\"step\":\"review\",\"action\":\"return\","
			 "\"reason\":\"x\",\"actor\":\"approval_bureau\",\"now\":\"2019-09-30T10:00\"}", id));
	json_decref(call(e, "supplement", OT_OK, "{\"case\":\"%s\",\"form\":{\"height\":30},"
			 "\"now\":\"2019-10-08T10:00\"}", id));
	json_decref(call(e, "suspend", OT_OK, "{\"case\":\"%s\",\"reason\":\"公示\","
			 "\"now\":\"2019-10-08T11:00\"}", id));
	json_decref(call(e, "resume", OT_OK, "{\"case\":\"%s\",\"now\":\"2019-10-10T11:00\"}", id));
	json_decref(act(e, id, "review", "approval_bureau", "2019-10-11T10:00"));
	ot_case *c = NULL;
	ot_error err;
	assert_int_equal(case_rebuild(e, id, &c, &err), OT_OK);
	json_t *rebuilt = case_json(c, e->zone), *stored = snapshot(e, id);
	if (!json_equal(rebuilt, stored)) {
		char *a = json_dumps(rebuilt, JSON_INDENT(1)), *b = json_dumps(stored, JSON_INDENT(1));
		fprintf(stderr, "rebuilt:\n%s\nstored:\n%s\n", a, b);
		free(a);
		free(b);
		fail();
	}
	assert_int_equal(c->events, 8);
	json_decref(rebuilt);
	json_decref(stored);
	case_free(c);
	ot_engine_close(e);
}

/* ---- two processes, one store ---- */

static void two_processes_at_once(void **state)
{
	(void)state;
	char dir[200], db[256];
	test_tmpdir("two", dir, sizeof dir);
	snprintf(db, sizeof db, "%s/store.db", dir);
	ot_engine *e = NULL;
	ot_error err;
	assert_int_equal(ot_engine_open(CONTRACT, db, &e, &err), OT_OK);
	ot_engine_close(e);
	enum { PER_CHILD = 30 };
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			int bad = ot_engine_open(CONTRACT, db, &e, &err) != OT_OK;
			for (int i = 0; i < PER_CHILD && !bad; i++) {
				char req[2048], *resp = NULL;
				snprintf(req, sizeof req,
					 "{\"item\":\"construction_permit\",\"now\":\"2019-09-27T09:%02d\","
					 "\"applicant\":" COMPANY ",\"form\":" SCHOOL_FORM ","
					 "\"materials\":[\"land_cert\",\"drawings\",\"fire_review\"]}", i);
				bad = ot_submit(e, req, &resp, &err) != OT_OK;
				if (bad)
					fprintf(stderr, "child %d: %s\n", k, err.message);
				free(resp);
				if (!bad) {
					snprintf(req, sizeof req, "{\"case\":\"20190927-%04d\"}", 1 + i);
					ot_status st = ot_show(e, req, &resp, &err);
					bad = st != OT_OK && st != OT_ENOTFOUND;
					free(resp);
				}
			}
			ot_engine_close(e);
			_exit(bad);
		}
	}
	for (int k = 0; k < 2; k++) {
		int status;
		waitpid(kids[k], &status, 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(ot_engine_open(CONTRACT, db, &e, &err), OT_OK);
	char *resp = NULL;
	assert_int_equal(ot_list(e, "{}", &resp, &err), OT_OK);
	json_t *l = json_loads(resp, 0, NULL);
	free(resp);
	assert_int_equal(json_array_size(json_object_get(l, "cases")), 2 * PER_CHILD);
	/* every id once, numbered without gaps */
	for (size_t i = 0; i < 2 * PER_CHILD; i++) {
		char want[32];
		snprintf(want, sizeof want, "20190927-%04zu", i + 1);
		assert_string_equal(S(json_array_get(json_object_get(l, "cases"), i), "id"), want);
	}
	json_decref(l);
	ot_engine_close(e);
}

/* open_existing: a store opened to be read is not made where there is
 * none -- a mistyped path would be a new, empty store answering "no
 * cases" -- and opens as ever where there is one. */
static void a_store_to_be_read_must_be_there(void **state)
{
	(void)state;
	char dir[200], db[256];
	test_tmpdir("existing", dir, sizeof dir);
	snprintf(db, sizeof db, "%s/s.db", dir);
	ot_engine_config c;
	ot_engine_config_init(&c);
	c.rules_path = CONTRACT;
	c.store = db;
	c.open_existing = 1;
	ot_engine *e = NULL;
	ot_error err;
	assert_int_equal(ot_engine_open_config(&c, &e, &err), OT_ESTORE);
	assert_null(e);
	assert_non_null(strstr(err.message, "no store at "));
	assert_non_null(strstr(err.message, "s.db: No such file or directory"));
	FILE *f = fopen(db, "r");
	assert_null(f); /* and none was made */
	c.open_existing = 0;
	assert_int_equal(ot_engine_open_config(&c, &e, &err), OT_OK);
	ot_engine_close(e);
	c.open_existing = 1;
	assert_int_equal(ot_engine_open_config(&c, &e, &err), OT_OK);
	char *resp = NULL;
	assert_int_equal(ot_list(e, "{}", &resp, &err), OT_OK);
	free(resp);
	ot_engine_close(e);
}

/* A program built with the header of version 1 (the fields up to
 * warn_workdays) calls ot_engine_config_init itself, with its smaller
 * struct: the library writes nothing past it, reads nothing past it, and
 * opens the engine as that program asked. */
static void a_program_of_an_older_header_keeps_working(void **state)
{
	(void)state;
	struct config_v1 { /* ot_engine_config as version 1's header had it */
		int version;
		ot_rules *rules;
		const char *rules_path, *store;
		ot_alloc_fn alloc;
		void *alloc_ud;
		void (*log)(void *ud, const char *line);
		void *log_ud;
		int busy_ms, case_cache, warn_workdays;
	};
	_Static_assert(offsetof(struct config_v1, warn_workdays) ==
		       offsetof(ot_engine_config, warn_workdays), "version 1's fields where they were");
	struct {
		struct config_v1 cfg;
		int after[2]; /* the program's next variable */
	} old;
	memset(&old, 0xff, sizeof old); /* what the stack held: its padding too */
	old.after[0] = old.after[1] = 0x41414141;
	ot_engine_config *c = (ot_engine_config *)(void *)&old.cfg;
	(ot_engine_config_init)(c); /* the function itself, as the old header called it */
	assert_int_equal(old.after[0], 0x41414141);
	assert_int_equal(old.after[1], 0x41414141);
	assert_int_equal(old.cfg.version, 1);
	assert_int_equal(old.cfg.busy_ms, 10000);
	old.cfg.rules_path = CONTRACT;
	old.cfg.store = ":memory:";
	memset(old.after, 0xff, sizeof old.after); /* past the struct: not read */
	ot_engine *e = NULL;
	ot_error err;
	assert_int_equal(ot_engine_open_config(c, &e, &err), OT_OK);
	char *resp = NULL;
	assert_int_equal(ot_submit(e, "{\"item\":\"construction_permit\",\"now\":\"2019-09-27T09:00\","
				   "\"applicant\":" COMPANY ",\"form\":" SCHOOL_FORM ",\"materials\":"
				   "[\"land_cert\",\"drawings\",\"fire_review\"]}", &resp, &err), OT_OK);
	assert_non_null(strstr(resp, "\n  ")); /* indented: compact_answers not read either */
	free(resp);
	ot_engine_close(e);
	/* today's header: version 2, sized by the macro */
	ot_engine_config now;
	ot_engine_config_init(&now);
	assert_int_equal(now.version, OT_ENGINE_CONFIG_VERSION);
}

/* ---- the case cache: two engines on one store ---- */

/* An engine that keeps no case: every operation replays its case. */
static ot_engine *open_uncached(const char *db)
{
	ot_engine_config c;
	ot_engine_config_init(&c);
	c.rules_path = CONTRACT;
	c.store = db;
	c.case_cache = 0;
	ot_engine *e = NULL;
	ot_error err;
	assert_int_equal(ot_engine_open_config(&c, &e, &err), OT_OK);
	return e;
}

static char *show_text(ot_engine *e, const char *id)
{
	char req[64], *resp = NULL;
	ot_error err;
	snprintf(req, sizeof req, "{\"case\":\"%s\"}", id);
	assert_int_equal(ot_show(e, req, &resp, &err), OT_OK);
	return resp;
}

/* A keeps the case in memory between its operations; B writes to it in
 * between: A must see B's change (no stale state, no lost update), and
 * approving a step B approved is refused as clearly as without a cache. */
static void two_engines_share_a_case(void **state)
{
	(void)state;
	char uri[256], dir[200];
	const char *db = test_store(":memory:", uri, sizeof uri);
	if (strcmp(db, ":memory:") == 0) { /* no backend named: a SQLite file */
		test_tmpdir("cache", dir, sizeof dir);
		snprintf(uri, sizeof uri, "%s/store.db", dir);
		db = uri;
	}
	ot_engine *a = open_at(CONTRACT, db), *b = open_at(CONTRACT, db);
	json_t *c = submit_school(a, "2019-09-27T09:00", "\"land_cert\",\"drawings\",\"fire_review\"");
	char id[32];
	snprintf(id, sizeof id, "%s", S(c, "id"));
	json_decref(c);
	json_decref(act(a, id, "intake", "approval_bureau.investment", "2019-09-29T10:00"));
	c = act(b, id, "review", "approval_bureau", "2019-10-08T16:00"); /* B, behind A's back */
	assert_string_equal(current(c), "site_visit");
	json_decref(c);
	char req[512];
	snprintf(req, sizeof req, "{\"case\":\"%s\",\"step\":\"review\",\"action\":\"approve\","
		 "\"actor\":\"approval_bureau\",\"now\":\"2019-10-08T16:30\"}", id);
	refused(a, "act", OT_ESTATE, "step review of case", req);
	refused(a, "act", OT_ESTATE, "is not active (it is done)", req);
	c = act(a, id, "site_visit", "housing", "2019-10-09T11:00"); /* A goes on from B's state */
	assert_string_equal(current(c), "decide");
	assert_int_equal(json_integer_value(json_object_get(c, "events")), 4);
	json_decref(c);
	c = act(b, id, "decide", "approval_bureau", "2019-10-10T09:30"); /* B catches up with A */
	assert_string_equal(S(c, "status"), "approved");
	assert_int_equal(json_integer_value(json_object_get(c, "events")), 5);
	json_decref(c);
	/* the same answer from both, and from an engine that replays everything */
	ot_engine *fresh = open_uncached(db);
	char *sa = show_text(a, id), *sb = show_text(b, id), *sf = show_text(fresh, id);
	assert_string_equal(sa, sf);
	assert_string_equal(sb, sf);
	json_t *stored = snapshot(fresh, id), *shown = json_loads(sa, 0, NULL);
	json_object_del(shown, "history");
	assert_true(json_equal(stored, shown));
	/* "history": false answers the case alone */
	json_t *alone = call(a, "show", OT_OK, "{\"case\":\"%s\",\"history\":false}", id);
	assert_true(json_equal(alone, shown));
	json_decref(alone);
	snprintf(req, sizeof req, "{\"case\":\"%s\",\"history\":0}", id);
	refused(a, "show", OT_EINVAL, "\"history\" must be true or false", req);
	json_decref(stored);
	json_decref(shown);
	free(sa);
	free(sb);
	free(sf);
	ot_engine_close(fresh);
	ot_engine_close(b);
	/* a write B made and A has not seen is never missed, however many */
	b = open_at(CONTRACT, db);
	for (int i = 0; i < 3; i++)
		json_decref(submit_school(b, "2019-10-11T09:00", "\"land_cert\""));
	json_decref(ok(b, "supplement", "{\"case\":\"20191011-0001\",\"materials\":[\"drawings\"],"
		       "\"now\":\"2019-10-11T10:00\"}"));
	json_decref(ok(a, "show", "{\"case\":\"20191011-0001\"}")); /* A keeps it */
	json_decref(ok(b, "supplement", "{\"case\":\"20191011-0001\",\"materials\":"
		       "[\"fire_review\"],\"now\":\"2019-10-11T11:00\"}"));
	c = act(a, "20191011-0001", "intake", "approval_bureau.investment", "2019-10-12T10:00");
	assert_string_equal(current(c), "review");
	assert_int_equal(json_integer_value(json_object_get(c, "events")), 4);
	json_decref(c);
	ot_engine_close(a);
	ot_engine_close(b);
	char *report = NULL;
	ot_error err;
	assert_int_equal(ot_store_check(db, &report, &err), OT_OK);
	assert_non_null(strstr(report, "\"sound\": true"));
	free(report);
}

/* ---- lists a page at a time ---- */

/* Every case of a list, page by page; checks each page's size and that the
 * pages follow each other without a gap or a repeat. */
static size_t all_pages(ot_engine *e, const char *op, const char *filter, int limit,
			char last[32])
{
	char after[80] = "";
	size_t total = 0;
	last[0] = 0;
	for (int pages = 0;; pages++) {
		assert_true(pages < 100);
		json_t *p = call(e, op, OT_OK, "{%s\"limit\":%d%s}", filter, limit, after);
		json_t *cases = json_object_get(p, "cases");
		const char *next = json_string_value(json_object_get(p, "next"));
		size_t i;
		json_t *c;
		json_array_foreach(cases, i, c) {
			assert_true(strcmp(S(c, "id"), last) > 0); /* in order, none twice */
			snprintf(last, 32, "%s", S(c, "id"));
		}
		total += json_array_size(cases);
		if (next) {
			assert_int_equal(json_array_size(cases), limit);
			assert_string_equal(next, last);
			snprintf(after, sizeof after, ",\"after\":\"%s\"", next);
		}
		json_decref(p);
		if (!next)
			return total;
	}
}

static void lists_come_in_pages(void **state)
{
	(void)state;
	ot_engine *e = open_engine(CONTRACT);
	/* 250 cases over three days; the first day's stay incomplete */
	for (int i = 0; i < 250; i++) {
		char now[32];
		snprintf(now, sizeof now, "2019-09-%02dT09:%02d", 24 + i / 100, i % 60);
		json_decref(submit_school(e, now, i < 100 ? "\"land_cert\""
					: "\"land_cert\",\"drawings\",\"fire_review\""));
	}
	char last[32];
	assert_int_equal(all_pages(e, "list", "", 100, last), 250);
	assert_string_equal(last, "20190926-0050");
	assert_int_equal(all_pages(e, "list", "", 7, last), 250);
	assert_int_equal(all_pages(e, "list", "\"status\":\"in_progress\",", 60, last), 150);
	assert_int_equal(all_pages(e, "list", "\"status\":\"needs_supplement\",", 1000, last), 100);
	/* a page of the default size, and the end of a list */
	json_t *p = call(e, "list", OT_OK, "{}");
	assert_int_equal(json_array_size(json_object_get(p, "cases")), 100);
	assert_string_equal(S(p, "next"), "20190924-0100");
	json_decref(p);
	p = call(e, "list", OT_OK, "{\"after\":\"20190926-0050\"}");
	assert_int_equal(json_array_size(json_object_get(p, "cases")), 0);
	assert_null(json_object_get(p, "next"));
	json_decref(p);
	/* overdue reads only what is late, a page at a time: the 150 accepted
	 * cases' intake step (1 workday) is late a week on */
	assert_int_equal(all_pages(e, "overdue", "\"now\":\"2019-10-25T09:00\",", 40, last), 150);
	assert_int_equal(all_pages(e, "overdue", "\"now\":\"2019-09-26T09:00\",", 40, last), 0);
	refused(e, "list", OT_EINVAL, "\"limit\" must be a whole number from 1 to 1000", "{\"limit\":0}");
	/* a name the message cuts is masked before the cut: an ID number at
	 * the cut would otherwise show most of its digits */
	refused(e, "list", OT_EINVAL, "there is no item 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
		"1101**********0'", "{\"item\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
		"110101199003070011\"}");
	refused(e, "assess", OT_ENOTFOUND, "there is no item 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
		"1101**********0'", "{\"item\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
		"110101199003070011\",\"now\":\"2019-09-28T09:00\"}");
	refused(e, "list", OT_EINVAL, "\"limit\" must be a whole number from 1 to 1000", "{\"limit\":1001}");
	refused(e, "overdue", OT_EINVAL, "\"limit\" must be a whole number from 1 to 1000",
		"{\"now\":\"2019-10-25T09:00\",\"limit\":\"10\"}");
	ot_engine_close(e);
}

/* ---- the answer's fixed parts (escaped once per rule version) ---- */

/* Labels that JSON must escape, in every place the answer shows them. */
#define ESC_RULES(m4) \
	"department d \"部门 \\\"一\\\"\"\n" \
	"material m1 \"标签 \\\"引号\\\" 和 \\\\ 反斜杠\\t制表\" { source applicant }\n" \
	"material m2 \"line\\nbreak\" { source applicant }\n" \
	"material m3 \"三\" { source applicant }\n" \
	"material m4 \"" m4 "\" { source applicant }\n" \
	"form f \"表\" { field kind \"类型\": enum [a, b] required }\n" \
	"item it \"事项 \\\"甲\\\"\\\\\" {\n" \
	"  department d\n  applicant person\n  form f\n" \
	"  materials {\n    m1\n    m2 when form.kind == a\n    m3 or m4\n  }\n" \
	"  steps { s \"审\" by d within 1 workday }\n  flow { s -> end }\n}\n"

static json_t *material_of(json_t *answer, const char *name)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(answer, "materials"), i, m)
		if (strcmp(S(m, "material"), name) == 0)
			return m;
	return NULL;
}

/* Each text the answer shows, read back by a strict reader. */
static json_t *assess_strict(ot_engine *e, const char *req)
{
	char *resp = NULL;
	ot_error err;
	assert_int_equal(ot_assess(e, req, &resp, &err), OT_OK);
	json_error_t je;
	json_t *j = json_loads(resp, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		fprintf(stderr, "%s: %s\n", je.text, resp);
	assert_non_null(j);
	free(resp);
	return j;
}

static void labels_are_escaped_in_every_place(void **state)
{
	(void)state;
	char dir[200], v1[256], v2[256], db[256];
	test_tmpdir("esc", dir, sizeof dir);
	snprintf(v1, sizeof v1, "%s/v1.rules", dir);
	snprintf(v2, sizeof v2, "%s/v2.rules", dir);
	snprintf(db, sizeof db, "%s/store.db", dir);
	write_file(v1, ESC_RULES("四 \\\"q\\\""));
	write_file(v2, ESC_RULES("四 new"));
	ot_engine *e = open_at(v1, db);
	for (int round = 0; round < 2; round++) { /* the texts made, then kept */
		json_t *a = assess_strict(e, "{\"item\":\"it\",\"now\":\"2024-03-04T09:00\","
					  "\"form\":{\"kind\":\"a\"}}");
		assert_string_equal(S(a, "label"), "事项 \"甲\"\\");
		assert_string_equal(S(material_of(a, "m1"), "label"), "标签 \"引号\" 和 \\ 反斜杠\t制表");
		assert_string_equal(S(material_of(a, "m2"), "label"), "line\nbreak");
		assert_string_equal(S(material_of(a, "m2"), "reason"), "required because form.kind == a");
		json_t *notice = json_object_get(a, "notice");
		assert_string_equal(json_string_value(json_array_get(notice, 0)),
				    "缺少材料 missing: 标签 \"引号\" 和 \\ 反斜杠\t制表");
		assert_string_equal(json_string_value(json_array_get(notice, 1)),
				    "缺少材料 missing: line\nbreak");
		assert_string_equal(json_string_value(json_array_get(notice, 2)),
				    "缺少材料 missing: 三 或 or 四 \"q\"");
		json_decref(a);
	}
	json_t *a = assess_strict(e, "{\"item\":\"it\",\"now\":\"2024-03-04T09:00\","
				  "\"form\":{\"kind\":\"b\"},\"materials\":[\"m4\"]}");
	assert_string_equal(S(material_of(a, "m2"), "reason"),
			    "not required: form.kind == a does not hold");
	assert_string_equal(S(material_of(a, "m4"), "label"), "四 \"q\"");
	assert_string_equal(json_string_value(json_array_get(json_object_get(material_of(a, "m4"),
							 "one_of"), 1)), "m4");
	json_decref(a);
	json_decref(ok(e, "submit", "{\"item\":\"it\",\"now\":\"2024-03-04T09:00\",\"applicant\":"
		       PERSON ",\"form\":{\"kind\":\"b\"},\"materials\":[\"m4\"]}"));
	ot_engine_close(e);
	/* a new rule version: its own labels for new assessments, the case's
	 * own for the case (each version's texts are its own) */
	e = open_at(v2, db);
	a = assess_strict(e, "{\"item\":\"it\",\"now\":\"2024-03-05T09:00\","
			  "\"form\":{\"kind\":\"b\"},\"materials\":[\"m4\"]}");
	assert_string_equal(S(material_of(a, "m4"), "label"), "四 new");
	json_decref(a);
	json_t *c = ok(e, "supplement", "{\"case\":\"20240304-0001\",\"now\":\"2024-03-05T09:00\","
		       "\"materials\":[\"m1\"]}");
	assert_string_equal(S(material_of(json_object_get(c, "notice"), "m4"), "label"), "四 \"q\"");
	json_decref(c);
	ot_engine_close(e);
	remove(v1);
	remove(v2);
	remove(db);
	remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lists_come_in_pages),
		cmocka_unit_test(a_store_to_be_read_must_be_there),
		cmocka_unit_test(a_program_of_an_older_header_keeps_working),
		cmocka_unit_test(school_building_goes_through_the_site_visit),
		cmocka_unit_test(small_private_building_gets_one_complete_notice),
		cmocka_unit_test(conditions_and_reasons),
		cmocka_unit_test(labels_are_escaped_in_every_place),
		cmocka_unit_test(form_checks_all_at_once),
		cmocka_unit_test(reused_from_the_material_library),
		cmocka_unit_test(working_days_with_makeup_days),
		cmocka_unit_test(fork_and_join),
		cmocka_unit_test(return_and_suspension_extend_due_dates),
		cmocka_unit_test(deny_and_withdraw),
		cmocka_unit_test(deferrable_materials_and_trips),
		cmocka_unit_test(the_rule_base_sets_the_time_zone),
		cmocka_unit_test(arithmetic_too_large_is_not_quiet),
		cmocka_unit_test(refusals_change_nothing),
		cmocka_unit_test(running_cases_keep_their_rule_version),
		cmocka_unit_test(replaying_events_rebuilds_the_case),
		cmocka_unit_test(two_processes_at_once),
		cmocka_unit_test(two_engines_share_a_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
