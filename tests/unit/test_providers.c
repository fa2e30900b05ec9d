/* Shared data (共享获取) through providers: the electronic licence library
 * in the store, licences issued by approvals and imported, and a Lua
 * provider.  What cannot be obtained is asked of the applicant, plainly. */
#include <sqlite3.h>
#include <unistd.h>

#include "engine_helpers.h"

static const char *RULES = OT_SOURCE_DIR "/tests/providers/rules";

#define SHOP "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"鞍山市立山饺子馆有限公司\"}"
#define OTHER "{\"kind\":\"company\",\"id\":\"91210302MA0Y8K3L12\",\"name\":\"鞍山市立山区某商贸有限公司\"}"

static json_t *material(json_t *answer, const char *name)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(answer, "materials"), i, m)
		if (!strcmp(S(m, "material"), name))
			return m;
	fail_msg("no material %s in the answer", name);
	return NULL;
}

/* The shop applies for the food licence, handing in the premises proof. */
static json_t *food(ot_engine *e, const char *op, const char *now)
{
	return ok(e, op, "{\"item\":\"food_business\",\"now\":\"%s\",\"applicant\":" SHOP
		  ",\"materials\":[\"premises\"]}", now);
}

/* Person `id` asks to withdraw from the housing fund, contract in hand. */
static json_t *fund(ot_engine *e, const char *op, const char *id)
{
	return ok(e, op, "{\"item\":\"fund_withdrawal\",\"now\":\"2021-03-02T09:00\","
		  "\"applicant\":{\"kind\":\"person\",\"id\":\"%s\"},\"materials\":[\"contract\"]}", id);
}

static const char *notice_line(json_t *answer, size_t i)
{
	return json_string_value(json_array_get(json_object_get(answer, "notice"), i));
}

static void missing_licence_is_asked_of_the_applicant(void **state)
{
	(void)state;
	ot_engine *e = open_at(RULES, ":memory:");
	json_t *c = food(e, "submit", "2021-03-01T09:00");
	assert_string_equal(S(c, "status"), "needs_supplement");
	json_decref(c);
	c = food(e, "assess", "2021-03-01T09:00");
	json_t *m = material(c, "business_licence");
	assert_string_equal(S(m, "status"), "missing");
	assert_non_null(strstr(S(m, "not_shared"), "电子证照库中没有申请人的营业执照"));
	/* the one-time notice says why, not just "missing" */
	assert_non_null(strstr(notice_line(c, 0), "营业执照 (电子证照库中没有"));
	json_decref(c);
	/* the applicant brings it: the case goes on */
	c = ok(e, "supplement", "{\"case\":\"20210301-0001\",\"now\":\"2021-03-01T10:00\","
	       "\"materials\":[\"business_licence\"]}");
	assert_string_equal(S(c, "status"), "in_progress");
	json_decref(c);
	ot_engine_close(e);
}

static void an_approval_issues_the_licence(void **state)
{
	(void)state;
	ot_engine *e = open_at(RULES, ":memory:");
	/* another district's store numbers its approvals' licences as this
	 * one does: its licence, imported, stops nothing here */
	json_decref(ok(e, "licences_import", "{\"licences\":[{\"holder\":\"91210302MA0Y8K3L12\","
		       "\"material\":\"business_licence\",\"number\":\"20210301-0001-business_licence\","
		       "\"issuer\":\"千山区市场监督管理局\",\"valid_from\":\"2021-03-01\"}]}"));
	json_decref(ok(e, "submit", "{\"item\":\"business_registration\",\"now\":\"2021-03-01T09:00\","
		       "\"applicant\":" SHOP ",\"materials\":[\"premises\"]}"));
	/* nothing is issued before the approval */
	json_t *l = ok(e, "licences", "{\"holder\":\"91350100M000100Y43\"}");
	assert_int_equal(json_array_size(json_object_get(l, "licences")), 0);
	json_decref(l);
	json_decref(ok(e, "act", "{\"case\":\"20210301-0001\",\"step\":\"review\",\"action\":"
		       "\"approve\",\"actor\":\"amr\",\"now\":\"2021-03-01T10:00\"}"));
	l = ok(e, "licences", "{\"holder\":\"91350100M000100Y43\"}");
	json_t *lic = json_array_get(json_object_get(l, "licences"), 0);
	assert_string_equal(S(lic, "material"), "business_licence");
	assert_string_equal(S(lic, "valid_from"), "2021-03-01");
	assert_string_equal(S(lic, "valid_until"), "2041-03-01"); /* for 20 years */
	assert_string_equal(S(lic, "case"), "20210301-0001");
	json_decref(l);
	/* the next item gets it by data sharing, with its number */
	json_t *c = food(e, "submit", "2021-03-02T09:00");
	assert_string_equal(S(c, "status"), "in_progress");
	json_decref(c);
	c = food(e, "assess", "2021-03-02T09:00");
	assert_string_equal(S(material(c, "business_licence"), "number"),
			    "20210301-0001-business_licence");
	json_decref(c);
	/* twenty years on it has expired, and the notice says when */
	c = food(e, "assess", "2041-03-02T09:00");
	assert_string_equal(S(material(c, "business_licence"), "status"), "missing");
	assert_non_null(strstr(notice_line(c, 0), "已于2041-03-01过期"));
	json_decref(c);
	/* a denial issues nothing */
	json_decref(ok(e, "submit", "{\"item\":\"business_registration\",\"now\":\"2021-03-03T09:00\","
		       "\"applicant\":" OTHER ",\"materials\":[\"premises\"]}"));
	json_decref(ok(e, "act", "{\"case\":\"20210303-0001\",\"step\":\"review\",\"action\":"
		       "\"deny\",\"reason\":\"名称不合规\",\"actor\":\"amr\",\"now\":\"2021-03-03T10:00\"}"));
	l = ok(e, "licences", "{\"holder\":\"91210302MA0Y8K3L12\"}");
	assert_int_equal(json_array_size(json_object_get(l, "licences")), 1); /* the imported one */
	assert_string_equal(S(json_array_get(json_object_get(l, "licences"), 0), "issuer"),
			    "千山区市场监督管理局");
	json_decref(l);
	ot_engine_close(e);
}

/* A licence number as long as Chinese ones get is shown whole, and one
 * longer than the library keeps is refused, not cut. */
static void long_numbers_are_kept_whole(void **state)
{
	(void)state;
	ot_engine *e = open_at(RULES, ":memory:");
	char number[400] = "", req[1024];
	while (strlen(number) < 3 * 50) /* 50 characters, 150 bytes */
		strcat(number, "辽");
	snprintf(req, sizeof req, "{\"licences\":[{\"holder\":\"91210302MA0Y8K3L12\",\"material\":"
		 "\"business_licence\",\"number\":\"%s\",\"issuer\":\"x\",\"valid_from\":"
		 "\"2020-01-01\"}]}", number);
	json_decref(ok(e, "licences_import", "%s", req));
	json_t *c = ok(e, "assess", "{\"item\":\"food_business\",\"now\":\"2021-03-02T09:00\","
		       "\"applicant\":" OTHER ",\"materials\":[\"premises\"]}");
	assert_string_equal(S(material(c, "business_licence"), "status"), "shared");
	assert_string_equal(S(material(c, "business_licence"), "number"), number);
	json_decref(c);
	while (strlen(number) < 256)
		strcat(number, "辽");
	snprintf(req, sizeof req, "{\"licences\":[{\"holder\":\"91210302MA0Y8K3L12\",\"material\":"
		 "\"food_licence\",\"number\":\"%s\",\"issuer\":\"x\",\"valid_from\":"
		 "\"2020-01-01\"}]}", number);
	refused(e, "licences_import", OT_EINVAL, "the number is 258 bytes, more than 255", req);
	ot_engine_close(e);
}

static void import_is_all_or_nothing(void **state)
{
	(void)state;
	ot_engine *e = open_at(RULES, ":memory:");
	const char *good = "{\"holder\":\"91350100M000100Y43\",\"material\":\"business_licence\","
			   "\"number\":\"210300000012345\",\"issuer\":\"鞍山市市场监督管理局\","
			   "\"valid_from\":\"2020-03-01\"}";
	char req[2048];
	snprintf(req, sizeof req, "{\"licences\":[%s, {\"holder\":\"x\",\"material\":"
		 "\"food_licence\",\"number\":\"JY1\",\"issuer\":\"x\"}]}", good);
	refused(e, "licences_import", OT_EINVAL, "needs \"licences[1].valid_from\"", req);
	snprintf(req, sizeof req, "{\"licences\":[%s, {\"holder\":\"x\",\"material\":"
		 "\"food_licnce\",\"number\":\"JY1\",\"issuer\":\"x\",\"valid_from\":\"2020-01-01\"}]}",
		 good);
	refused(e, "licences_import", OT_EINVAL, "no material 'food_licnce'", req);
	json_t *l = ok(e, "licences", "{\"holder\":\"91350100M000100Y43\"}");
	assert_int_equal(json_array_size(json_object_get(l, "licences")), 0);
	json_decref(l);
	json_t *r = ok(e, "licences_import", "{\"licences\":[%s]}", good);
	assert_int_equal(json_integer_value(json_object_get(r, "imported")), 1);
	json_decref(r);
	/* 有效期至 a day: valid through that day, not after; the holder's
	 * letters match in either case */
	json_decref(ok(e, "licences_import", "{\"licences\":[{\"holder\":\"91210302ma0y8k3l12\","
		       "\"material\":\"business_licence\",\"number\":\"B2\",\"issuer\":\"x\","
		       "\"valid_from\":\"2020-01-01\",\"valid_until\":\"2040-02-29\"}]}"));
	json_t *l2 = ok(e, "licences", "{\"holder\":\"91210302MA0Y8K3L12\"}");
	assert_string_equal(S(json_array_get(json_object_get(l2, "licences"), 0), "valid_until"),
			    "2040-02-29");
	json_decref(l2);
	const char *at[] = {"2040-02-29T17:00", "2040-03-01T09:00"};
	for (int i = 0; i < 2; i++) {
		json_t *c = ok(e, "assess", "{\"item\":\"food_business\",\"now\":\"%s\","
			       "\"applicant\":" OTHER ",\"materials\":[\"premises\"]}", at[i]);
		assert_string_equal(S(material(c, "business_licence"), "status"),
				    i == 0 ? "shared" : "missing");
		if (i == 1)
			assert_non_null(strstr(notice_line(c, 0), "已于2040-02-29过期"));
		json_decref(c);
	}
	/* imported, valid until revoked: shared from now on */
	json_t *c = food(e, "assess", "2031-03-02T09:00");
	assert_string_equal(S(material(c, "business_licence"), "status"), "shared");
	assert_string_equal(S(material(c, "business_licence"), "number"), "210300000012345");
	json_decref(c);
	/* the same number of another holder is that holder's licence, and
	 * takes nothing from the first */
	const char *other = "{\"holder\":\"91210302MA0Y8K3L12\",\"material\":\"business_licence\","
			    "\"number\":\"210300000012345\",\"issuer\":\"x\",\"valid_from\":\"2021-01-01\"}";
	r = ok(e, "licences_import", "{\"licences\":[%s]}", other);
	assert_int_equal(json_integer_value(json_object_get(r, "imported")), 1);
	json_decref(r);
	const char *holders[] = {"91350100M000100Y43", "91210302MA0Y8K3L12"};
	for (int i = 0; i < 2; i++) {
		l = ok(e, "licences", "{\"holder\":\"%s\"}", holders[i]);
		size_t k, found = 0;
		json_t *x;
		json_array_foreach(json_object_get(l, "licences"), k, x)
			found += !strcmp(S(x, "material"), "business_licence") &&
				 !strcmp(S(x, "number"), "210300000012345");
		assert_int_equal(found, 1);
		json_decref(l);
	}
	ot_engine_close(e);
}

static void lua_provider_answers(void **state)
{
	(void)state;
	ot_engine *e = open_at(RULES, ":memory:");
	/* on record */
	json_t *c = fund(e, "assess", "11010519491231002X");
	assert_true(json_is_true(json_object_get(c, "complete")));
	assert_string_equal(S(material(c, "fund_record"), "number"), "GJJ-2019-000123");
	json_decref(c);
	/* expired, not on record */
	c = fund(e, "assess", "210304198807210031");
	assert_non_null(strstr(S(material(c, "fund_record"), "not_shared"), "2019-06-30"));
	json_decref(c);
	c = fund(e, "assess", "110105194912310011");
	assert_non_null(strstr(notice_line(c, 0), "没有该申请人的缴存记录"));
	json_decref(c);
	/* the platform fails: the operator learns why, the applicant is asked
	 * for the paper, and the submission still goes through */
	c = fund(e, "submit", "210304193602180040");
	assert_string_equal(S(c, "status"), "needs_supplement");
	json_decref(c);
	c = fund(e, "assess", "210304193602180040");
	assert_non_null(strstr(S(c, "provider_error"), "hooks/fund.lua:11: platform answered 503"));
	assert_non_null(strstr(notice_line(c, 0), "暂时无法从公积金信息平台获取"));
	json_decref(c);
	/* a reason too long for the notice is cut between characters */
	c = fund(e, "assess", "110105198001010016");
	assert_non_null(c); /* the answer is valid JSON (UTF-8) */
	assert_non_null(strstr(S(material(c, "fund_record"), "not_shared"), "x没有缴存记录"));
	json_decref(c);
	/* one that hangs is stopped, and the next request is served */
	c = fund(e, "assess", "110105193001010013");
	assert_non_null(strstr(S(c, "provider_error"), "instruction budget"));
	json_decref(c);
	c = fund(e, "assess", "11010519491231002X");
	assert_true(json_is_true(json_object_get(c, "complete")));
	json_decref(c);
	ot_engine_close(e);
}

/* An applicant may hold several licences of one material: the valid one
 * counts, of those one without an end before one that ends, else the one
 * valid longest; with none valid, the notice names the last that expired. */
static void which_licence_counts(void **state)
{
	(void)state;
	ot_engine *e = open_at(RULES, ":memory:");
#define LIC(number, from, until) "{\"holder\":\"91350100M000100Y43\",\"material\":" \
	"\"business_licence\",\"number\":\"" number "\",\"issuer\":\"x\",\"valid_from\":\"" \
	from "\"" until "}"
	json_decref(ok(e, "licences_import", "{\"licences\":[" LIC("OLD", "2000-01-01",
		       ",\"valid_until\":\"2009-12-31\"") "," LIC("LATER", "2005-01-01",
		       ",\"valid_until\":\"2014-06-30\"") "," LIC("SHORT", "2015-01-01",
		       ",\"valid_until\":\"2030-12-31\"") "," LIC("LONG", "2015-06-01",
		       ",\"valid_until\":\"2035-12-31\"") "," LIC("NOT_YET", "2040-01-01", "")
		       "]}"));
	const char *at[][2] = {
		{"2014-03-02T09:00", "LATER"}, /* both old ones valid: the one valid longer */
		{"2021-03-02T09:00", "LONG"},  /* two valid ones: the one ending last */
		{"2033-03-02T09:00", "LONG"},  /* the other has expired */
		{"2041-03-02T09:00", "NOT_YET"}, /* valid with no end, before all others */
	};
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		json_t *c = food(e, "assess", at[i][0]);
		assert_string_equal(S(material(c, "business_licence"), "status"), "shared");
		assert_string_equal(S(material(c, "business_licence"), "number"), at[i][1]);
		json_decref(c);
	}
	/* none valid: between the old ones and the new, the last to expire */
	json_t *c = food(e, "assess", "2014-08-01T09:00");
	assert_string_equal(S(material(c, "business_licence"), "status"), "missing");
	assert_non_null(strstr(notice_line(c, 0), "已于2014-06-30过期"));
	json_decref(c);
	c = food(e, "assess", "2037-08-01T09:00");
	assert_non_null(strstr(notice_line(c, 0), "已于2035-12-31过期"));
	json_decref(c);
#undef LIC
	ot_engine_close(e);
}

/* `issues pdoc for 1 year unless cdoc`: the cdoc approved on a case
 * that used the library's pdoc keeps that pdoc valid past its year;
 * one handed in on paper keeps nothing, and a revoked pdoc stays
 * revoked. */
static void a_licence_kept_by_another(void **state)
{
	(void)state;
	const char *rules = OT_SOURCE_DIR "/tests/data/licences/keep.rules";
#define APP(item, now, mats) "{\"item\":\"" item "\",\"now\":\"" now "\",\"applicant\":" SHOP \
	",\"form\":{\"name\":\"厂房\"},\"materials\":[" mats "]}"
#define DECIDE(id, now) "{\"case\":\"" id "\",\"step\":\"decide\",\"action\":\"approve\"," \
	"\"actor\":\"bureau\",\"now\":\"" now "\"}"
	for (int paper = 0; paper < 2; paper++) {
		ot_engine *e = open_at(rules, ":memory:");
		json_decref(ok(e, "submit", APP("pp", "2019-09-02T09:00", "\"plan\",\"report\"")));
		json_decref(ok(e, "act", DECIDE("20190902-0001", "2019-09-02T10:00")));
		/* cp within the year, with the library's permit -- or, a year
		 * and a day later, with a paper one handed in */
		json_t *c = paper ? ok(e, "submit", APP("cp", "2020-09-03T09:00", "\"plan\",\"pdoc\""))
				  : ok(e, "submit", APP("cp", "2020-03-02T09:00", "\"plan\""));
		assert_string_equal(S(json_object_get(c, "materials"), "pdoc"),
				    paper ? "provided" : "shared");
		char id[32];
		snprintf(id, sizeof id, "%s", S(c, "id"));
		json_decref(c);
		json_decref(ok(e, "act", "{\"case\":\"%s\",\"step\":\"decide\",\"action\":\"approve\","
			       "\"actor\":\"bureau\",\"now\":\"%s\"}", id,
			       paper ? "2020-09-04T09:00" : "2020-03-03T09:00"));
		c = ok(e, "assess", APP("acc", "2021-06-01T09:00", "\"plan\""));
		assert_string_equal(S(material(c, "pdoc"), "status"), paper ? "missing" : "shared");
		json_decref(c);
		ot_engine_close(e);
	}
	/* kept, then revoked: the pledge was untrue */
	ot_engine *e = open_at(rules, ":memory:");
	json_decref(ok(e, "submit", APP("pp", "2019-09-02T09:00", "\"plan\"")));
	json_decref(ok(e, "act", DECIDE("20190902-0001", "2019-09-02T10:00")));
	json_decref(ok(e, "submit", APP("cp", "2019-09-03T09:00", "\"plan\"")));
	json_decref(ok(e, "act", DECIDE("20190903-0001", "2019-09-03T10:00")));
	json_t *c = ok(e, "assess", APP("acc", "2021-06-01T09:00", "\"plan\""));
	assert_string_equal(S(material(c, "pdoc"), "status"), "shared");
	json_decref(c);
	json_decref(ok(e, "pledge_check", "{\"case\":\"20190902-0001\",\"result\":\"untrue\","
		       "\"actor\":\"bureau\",\"reason\":\"检测报告不实\",\"now\":\"2019-09-04T09:00\"}"));
	c = ok(e, "assess", APP("acc", "2019-10-01T09:00", "\"plan\""));
	assert_string_equal(S(material(c, "pdoc"), "status"), "missing");
	json_decref(c);
	ot_engine_close(e);
#undef APP
#undef DECIDE
}

/* The library's licence `number` of SHOP, valid until: its day, or "null"
 * for no end ("none" when the library has no such licence). */
static const char *until_of(ot_engine *e, const char *number, char out[16])
{
	json_t *l = ok(e, "licences", "{\"holder\":\"91350100M000100Y43\"}");
	size_t i;
	json_t *x;
	snprintf(out, 16, "none");
	json_array_foreach(json_object_get(l, "licences"), i, x)
		if (!strcmp(S(x, "number"), number))
			snprintf(out, 16, "%s", json_is_null(json_object_get(x, "valid_until"))
				 ? "null" : S(x, "valid_until"));
	json_decref(l);
	return out;
}

static void assert_sound(ot_engine *e)
{
	json_t *report = ok(e, "store_check", "{}");
	if (!json_is_true(json_object_get(report, "sound"))) {
		char *text = json_dumps(report, JSON_INDENT(2));
		fprintf(stderr, "%s\n", text);
		free(text);
		fail();
	}
	json_decref(report);
}

#define KEEP_RULES OT_SOURCE_DIR "/tests/data/licences/keep.rules"
#define APP(item, now, mats) "{\"item\":\"" item "\",\"now\":\"" now "\",\"applicant\":" SHOP \
	",\"form\":{\"name\":\"厂房\"},\"materials\":[" mats "]}"
#define DECIDE(id, now) "{\"case\":\"" id "\",\"step\":\"decide\",\"action\":\"approve\"," \
	"\"actor\":\"bureau\",\"now\":\"" now "\"}"
#define UNTRUE(id, now) "{\"case\":\"" id "\",\"result\":\"untrue\",\"actor\":\"bureau\"," \
	"\"reason\":\"承诺不实\",\"now\":\"" now "\"}"
#define GH(number, until) "{\"holder\":\"91350100M000100Y43\",\"material\":\"pdoc\"," \
	"\"number\":\"" number "\",\"issuer\":\"鞍山市自然资源局\",\"valid_from\":\"2019-09-01\"" \
	until "}"

/* The status of pdoc for acc on a day, and store check's word on it all. */
static void acc_finds_pdoc(ot_engine *e, const char *now, const char *status)
{
	json_t *c = ok(e, "assess", "{\"item\":\"acc\",\"now\":\"%s\",\"applicant\":" SHOP
		       ",\"form\":{\"name\":\"厂房\"},\"materials\":[\"plan\"]}", now);
	assert_string_equal(S(material(c, "pdoc"), "status"), status);
	json_decref(c);
	assert_sound(e);
}

/* A routine full re-sync from the 电子证照库 brings the imported permit
 * again with its year: what the construction permit's approval here
 * decided (valid until revoked) stands.  An import still sets the term of
 * a licence nothing here kept. */
static void a_kept_licence_outlives_its_reimport(void **state)
{
	(void)state;
	ot_engine *e = open_at(KEEP_RULES, ":memory:");
	char u[16];
	const char *sync = "{\"licences\":[" GH("GH-2019-001", ",\"valid_until\":\"2020-08-31\"")
			   "," GH("GH-2019-002", ",\"valid_until\":\"2020-08-31\"") "]}";
	json_decref(ok(e, "licences_import", "%s", sync));
	json_t *c = ok(e, "submit", APP("cp", "2019-09-03T09:00", "\"plan\""));
	assert_string_equal(S(json_object_get(c, "materials"), "pdoc"), "shared");
	json_decref(c);
	json_decref(ok(e, "act", DECIDE("20190903-0001", "2019-09-04T09:00")));
	assert_string_equal(until_of(e, "GH-2019-001", u), "null");
	assert_string_equal(until_of(e, "GH-2019-002", u), "2020-08-31"); /* not the one used */
	json_decref(ok(e, "licences_import", "%s", sync));
	assert_string_equal(until_of(e, "GH-2019-001", u), "null");
	acc_finds_pdoc(e, "2021-06-01T09:00", "shared");
	/* a corrected term, or a new one, of a licence nothing here kept */
	json_decref(ok(e, "licences_import", "{\"licences\":[" GH("GH-2019-002",
		       ",\"valid_until\":\"2020-06-30\"") "]}"));
	assert_string_equal(until_of(e, "GH-2019-002", u), "2020-06-30");
	json_decref(ok(e, "licences_import", "{\"licences\":[" GH("GH-2019-002", "") "]}"));
	assert_string_equal(until_of(e, "GH-2019-002", u), "null");
	json_decref(ok(e, "licences_import", "{\"licences\":[" GH("GH-2019-002",
		       ",\"valid_until\":\"2020-06-30\"") "]}"));
	assert_string_equal(until_of(e, "GH-2019-002", u), "2020-06-30");
	assert_sound(e);
	/* kept, the library shows the term the import gave as its own */
	json_t *l = ok(e, "licences", "{\"holder\":\"91350100M000100Y43\"}");
	json_t *x = json_array_get(json_object_get(l, "licences"), 0);
	assert_string_equal(S(x, "number"), "GH-2019-001");
	assert_string_equal(S(x, "term_until"), "2020-08-31");
	assert_null(json_object_get(json_array_get(json_object_get(l, "licences"), 1),
				    "term_until"));
	json_decref(l);
	/* the approval that kept it revoked: back to that term at once */
	json_decref(ok(e, "pledge_check", UNTRUE("20190903-0001", "2019-09-10T09:00")));
	assert_string_equal(until_of(e, "GH-2019-001", u), "2020-08-31");
	acc_finds_pdoc(e, "2021-06-01T09:00", "missing");
	acc_finds_pdoc(e, "2020-08-31T09:00", "shared");
	json_decref(ok(e, "licences_import", "%s", sync));
	assert_string_equal(until_of(e, "GH-2019-001", u), "2020-08-31");
	ot_engine_close(e);

	/* the 电子证照库 sends back what approvals here issued, the permit
	 * kept and the licence that kept it: the permit stays kept */
	e = open_at(KEEP_RULES, ":memory:");
	json_decref(ok(e, "submit", APP("pp", "2019-09-02T09:00", "\"plan\",\"report\"")));
	json_decref(ok(e, "act", DECIDE("20190902-0001", "2019-09-02T10:00")));
	json_decref(ok(e, "submit", APP("cp", "2019-09-03T09:00", "\"plan\"")));
	json_decref(ok(e, "act", DECIDE("20190903-0001", "2019-09-04T09:00")));
	const char *back = "{\"licences\":[{\"holder\":\"91350100M000100Y43\",\"material\":"
			   "\"cdoc\",\"number\":\"20190903-0001-cdoc\",\"issuer\":\"行政审批局\","
			   "\"valid_from\":\"2019-09-04\"},{\"holder\":\"91350100M000100Y43\","
			   "\"material\":\"pdoc\",\"number\":\"20190902-0001-pdoc\",\"issuer\":"
			   "\"行政审批局\",\"valid_from\":\"2019-09-02\",\"valid_until\":\"2020-09-02\"}]}";
	json_decref(ok(e, "licences_import", "%s", back));
	assert_string_equal(until_of(e, "20190902-0001-pdoc", u), "null");
	acc_finds_pdoc(e, "2021-06-01T09:00", "shared");
	/* and when the approval that kept it is revoked, the permit sent back
	 * is still the one pp issued here: it goes back to its term */
	json_decref(ok(e, "pledge_check", UNTRUE("20190903-0001", "2019-09-10T09:00")));
	assert_string_equal(until_of(e, "20190902-0001-pdoc", u), "2020-09-02");
	acc_finds_pdoc(e, "2021-06-01T09:00", "missing");
	assert_sound(e);
	ot_engine_close(e);
}

/* pp's pledge is found untrue on 09-05 and its permit revoked; cp's
 * approval, recorded after that with an earlier time, keeps nothing. */
static void a_revoked_licence_is_never_kept(void **state)
{
	(void)state;
	ot_engine *e = open_at(KEEP_RULES, ":memory:");
	char u[16];
	json_decref(ok(e, "submit", APP("pp", "2019-09-02T09:00", "\"plan\"")));
	json_decref(ok(e, "act", DECIDE("20190902-0001", "2019-09-02T10:00")));
	json_t *c = ok(e, "submit", APP("cp", "2019-09-03T09:00", "\"plan\""));
	assert_string_equal(S(json_object_get(c, "materials"), "pdoc"), "shared");
	json_decref(c);
	json_decref(ok(e, "pledge_check", UNTRUE("20190902-0001", "2019-09-05T09:00")));
	json_decref(ok(e, "act", DECIDE("20190903-0001", "2019-09-04T10:00")));
	assert_string_equal(until_of(e, "20190902-0001-pdoc", u), "2019-09-05");
	acc_finds_pdoc(e, "2019-10-01T09:00", "missing");
	ot_engine_close(e);
}

/* A pledge found untrue after the licence it gave had expired: the
 * licence stays expired then, not valid again until the revocation. */
static void a_licence_revoked_after_its_term_stays_ended(void **state)
{
	(void)state;
	ot_engine *e = open_at(KEEP_RULES, ":memory:");
	char u[16];
	json_decref(ok(e, "submit", APP("pp", "2019-09-02T09:00", "\"plan\",\"report\"")));
	json_decref(ok(e, "act", DECIDE("20190902-0001", "2019-09-02T10:00")));
	json_decref(ok(e, "pledge_check", UNTRUE("20190902-0001", "2020-12-01T09:00")));
	assert_string_equal(until_of(e, "20190902-0001-pdoc", u), "2020-09-02");
	acc_finds_pdoc(e, "2020-10-01T09:00", "missing");
	ot_engine_close(e);
}

/* Another district numbers its licences as this one does: one imported
 * for another holder, with no end, numbered as a case here, and kept by
 * that holder's approval, stays without end when the approval is
 * revoked -- it never had the term of the case its number names. */
static void a_licence_numbered_as_a_case_here_is_not_that_case_s(void **state)
{
	(void)state;
	ot_engine *e = open_at(KEEP_RULES, ":memory:");
	json_decref(ok(e, "submit", APP("pp", "2019-09-02T09:00", "\"plan\",\"report\"")));
	json_decref(ok(e, "act", DECIDE("20190902-0001", "2019-09-02T10:00")));
	json_decref(ok(e, "licences_import", "{\"licences\":[{\"holder\":\"91210302MA0Y8K3L12\","
		       "\"material\":\"pdoc\",\"number\":\"20190902-0001-pdoc\",\"issuer\":\"别处\","
		       "\"valid_from\":\"2019-01-01\"}]}"));
	json_decref(ok(e, "submit", "{\"item\":\"cp\",\"now\":\"2019-09-03T09:00\",\"applicant\":"
		       OTHER ",\"form\":{\"name\":\"厂房\"},\"materials\":[\"plan\"]}"));
	json_decref(ok(e, "act", DECIDE("20190903-0001", "2019-09-04T09:00")));
	json_decref(ok(e, "pledge_check", UNTRUE("20190903-0001", "2019-09-10T09:00")));
	json_t *l = ok(e, "licences", "{\"holder\":\"91210302MA0Y8K3L12\"}");
	json_t *x = json_array_get(json_object_get(l, "licences"), 0);
	assert_string_equal(S(x, "number"), "20190902-0001-pdoc");
	assert_true(json_is_null(json_object_get(x, "valid_until")));
	json_decref(l);
	assert_sound(e);
	ot_engine_close(e);
}

/* cp's own pledge is found untrue: its approval is revoked, and the pdoc
 * it kept goes back to its year -- unless another cp's approval kept it
 * too.  One approved after that year, while it was kept, kept nothing. */
static void a_kept_licence_ends_with_its_keeper(void **state)
{
	(void)state;
	char u[16];
	for (int others = 0; others < 2; others++) {
		ot_engine *e = open_at(KEEP_RULES, ":memory:");
		json_decref(ok(e, "submit", APP("pp", "2019-09-02T09:00", "\"plan\",\"report\"")));
		json_decref(ok(e, "act", DECIDE("20190902-0001", "2019-09-02T10:00")));
		json_decref(ok(e, "submit", APP("cp", "2019-09-03T09:00", "\"plan\"")));
		json_decref(ok(e, "act", DECIDE("20190903-0001", "2019-09-04T09:00")));
		assert_string_equal(until_of(e, "20190902-0001-pdoc", u), "null");
		if (others) {
			json_decref(ok(e, "submit", APP("cp", "2019-09-05T09:00", "\"plan\"")));
			json_decref(ok(e, "act", DECIDE("20190905-0001", "2019-09-06T09:00")));
			json_decref(ok(e, "submit", APP("cp", "2020-10-09T09:00", "\"plan\"")));
			json_decref(ok(e, "act", DECIDE("20201009-0001", "2020-10-09T10:00")));
		}
		json_decref(ok(e, "pledge_check", UNTRUE("20190903-0001", "2019-09-10T09:00")));
		assert_string_equal(until_of(e, "20190903-0001-cdoc", u), "2019-09-10");
		if (others) { /* 20190905-0001 keeps it still */
			assert_string_equal(until_of(e, "20190902-0001-pdoc", u), "null");
			acc_finds_pdoc(e, "2021-06-01T09:00", "shared");
			json_decref(ok(e, "pledge_check", UNTRUE("20190905-0001", "2020-11-02T09:00")));
		}
		assert_string_equal(until_of(e, "20190902-0001-pdoc", u), "2020-09-02");
		acc_finds_pdoc(e, "2020-09-01T09:00", "shared");
		acc_finds_pdoc(e, "2021-06-01T09:00", "missing");
		ot_engine_close(e);
	}
}

/* A store of schema 8 kept licences without their own terms: opened by
 * this onetrip, one issued here still goes back to its term when its
 * keeper is revoked (its term is its approval's); one imported stays
 * without end until the next import says its term, as before. */
static void licences_kept_before_their_terms_were(void **state)
{
	(void)state;
	for (int here = 0; here < 2; here++) {
		char dir[256], path[300], u[16];
		snprintf(path, sizeof path, "%s/store.db", test_tmpdir("keep8", dir, sizeof dir));
		ot_engine *e = open_at(KEEP_RULES, path);
		if (here) {
			json_decref(ok(e, "submit", APP("pp", "2019-09-02T09:00", "\"plan\"")));
			json_decref(ok(e, "act", DECIDE("20190902-0001", "2019-09-02T10:00")));
		} else {
			json_decref(ok(e, "licences_import", "{\"licences\":[" GH("GH-2019-001",
				       ",\"valid_until\":\"2020-08-31\"") "]}"));
		}
		const char *number = here ? "20190902-0001-pdoc" : "GH-2019-001";
		json_t *c = ok(e, "assess", APP("cp", "2019-09-03T09:00", "\"plan\""));
		assert_string_equal(S(material(c, "pdoc"), "number"), number);
		json_decref(c);
		json_decref(ok(e, "submit", APP("cp", "2019-09-03T09:00", "\"plan\"")));
		json_decref(ok(e, "act", DECIDE("20190903-0001", "2019-09-04T09:00")));
		ot_engine_close(e);
		sqlite3 *db;
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "ALTER TABLE licences DROP COLUMN term_until;"
					      " PRAGMA user_version = 8", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
		e = open_at(KEEP_RULES, path);
		assert_string_equal(until_of(e, number, u), "null");
		json_decref(ok(e, "pledge_check", UNTRUE("20190903-0001", "2019-09-10T09:00")));
		assert_string_equal(until_of(e, number, u), here ? "2020-09-02" : "null");
		assert_sound(e);
		ot_engine_close(e);
	}
}

/* Two licences of one material equally good (the same end, or none):
 * the lower number counts, on every backend, for the notice and for
 * what an approval keeps; so too for a holder with more licences than a
 * transaction keeps (asked material by material). */
static void equally_good_licences_go_by_number(void **state)
{
	(void)state;
	char u[16];
	for (int many = 0; many < 2; many++) {
		ot_engine *e = open_at(KEEP_RULES, ":memory:");
		char req[8192];
		size_t n = (size_t)snprintf(req, sizeof req, "{\"licences\":[" GH("GH-B",
					    ",\"valid_until\":\"2020-08-31\"") "," GH("GH-A",
					    ",\"valid_until\":\"2020-08-31\"") "," GH("GH-D", "") ","
					    GH("GH-C", ""));
		for (int i = 0; many && i < 12; i++) /* of another material */
			n += (size_t)snprintf(req + n, sizeof req - n, ",{\"holder\":"
					      "\"91350100M000100Y43\",\"material\":\"report\","
					      "\"number\":\"R-%d\",\"issuer\":\"x\",\"valid_from\":"
					      "\"2001-01-01\"}", i);
		snprintf(req + n, sizeof req - n, "]}");
		json_decref(ok(e, "licences_import", "%s", req));
		json_t *c = ok(e, "assess", APP("cp", "2019-09-03T09:00", "\"plan\""));
		assert_string_equal(S(material(c, "pdoc"), "number"), "GH-C"); /* no end first */
		json_decref(c);
		json_decref(ok(e, "licences_import", "{\"licences\":[" GH("GH-C",
			       ",\"valid_until\":\"2019-09-02\"") "," GH("GH-D",
			       ",\"valid_until\":\"2019-09-02\"") "]}"));
		c = ok(e, "assess", APP("cp", "2019-09-03T09:00", "\"plan\""));
		assert_string_equal(S(material(c, "pdoc"), "number"), "GH-A");
		json_decref(c);
		c = ok(e, "submit", APP("cp", "2019-09-03T09:00", "\"plan\""));
		json_decref(c);
		c = ok(e, "assess", APP("acc", "2019-09-03T09:00", "\"plan\""));
		assert_string_equal(S(material(c, "pdoc"), "number"), "GH-A");
		json_decref(c);
		json_decref(ok(e, "act", DECIDE("20190903-0001", "2019-09-04T09:00")));
		assert_string_equal(until_of(e, "GH-A", u), "null");
		assert_string_equal(until_of(e, "GH-B", u), "2020-08-31");
		c = ok(e, "assess", APP("acc", "2021-06-01T09:00", "\"plan\""));
		assert_string_equal(S(material(c, "pdoc"), "number"), "GH-A");
		json_decref(c);
		assert_sound(e);
		ot_engine_close(e);
	}
}

/* The same choice for a holder with more licences than the SQLite
 * backend keeps for a transaction (it asks material by material then),
 * and within one transaction of several operations: a licence imported
 * counts for the next assessment, another holder's never does. */
static void licences_held_and_asked_again(void **state)
{
	(void)state;
	ot_engine *e = open_at(RULES, ":memory:");
	char req[8192];
	size_t n = (size_t)snprintf(req, sizeof req, "{\"licences\":[");
	for (int i = 0; i < 12; i++) /* of another material: only their number matters */
		n += (size_t)snprintf(req + n, sizeof req - n, "%s{\"holder\":\"91350100M000100Y43\","
				      "\"material\":\"food_licence\",\"number\":\"F-%d\",\"issuer\":\"x\","
				      "\"valid_from\":\"2001-01-01\"}", i ? "," : "", i);
	snprintf(req + n, sizeof req - n, ",{\"holder\":\"91350100M000100Y43\",\"material\":"
		 "\"business_licence\",\"number\":\"B-OLD\",\"issuer\":\"x\",\"valid_from\":"
		 "\"2000-01-01\",\"valid_until\":\"2009-12-31\"}]}");
	json_decref(ok(e, "licences_import", "%s", req));
	json_t *c = food(e, "assess", "2021-03-02T09:00");
	assert_string_equal(S(material(c, "business_licence"), "status"), "missing");
	assert_non_null(strstr(notice_line(c, 0), "已于2009-12-31过期"));
	json_decref(c);
	c = food(e, "assess", "2005-03-02T09:00");
	assert_string_equal(S(material(c, "business_licence"), "number"), "B-OLD");
	json_decref(c);
	/* one transaction: an import counts for the next assessment, a
	 * refused one does not, one holder's never for another */
	const char *shop = "{\"item\":\"food_business\",\"now\":\"2021-03-02T09:00\",\"applicant\":"
			   SHOP ",\"materials\":[\"premises\"]}";
	const char *other = "{\"item\":\"food_business\",\"now\":\"2021-03-02T09:00\",\"applicant\":"
			    OTHER ",\"materials\":[\"premises\"]}";
#define O_LIC(number, until) "{\"holder\":\"91210302MA0Y8K3L12\",\"material\":" \
	"\"business_licence\",\"number\":\"" number "\",\"issuer\":\"x\",\"valid_from\":" \
	"\"2021-01-01\"" until "}"
	ot_batch_item items[] = {
		{"assess", other, NULL, NULL, OT_OK, {0}},
		{"licences_import", "{\"licences\":[" O_LIC("O-1", ",\"valid_until\":\"2030-01-01\"")
		 "]}", NULL, NULL, OT_OK, {0}},
		{"assess", other, NULL, NULL, OT_OK, {0}},
		/* refused (no such material): O-2, which would count before O-1, is undone */
		{"licences_import", "{\"licences\":[" O_LIC("O-2", "") ",{\"holder\":\"h\",\"material\":"
		 "\"no_such\",\"number\":\"X\",\"issuer\":\"x\",\"valid_from\":\"2021-01-01\"}]}",
		 NULL, NULL, OT_OK, {0}},
		{"assess", other, NULL, NULL, OT_OK, {0}},
		{"assess", shop, NULL, NULL, OT_OK, {0}},
	};
#undef O_LIC
	const char *want[][2] = {{"missing", NULL}, {NULL, NULL}, {"shared", "O-1"}, {NULL, NULL},
				 {"shared", "O-1"}, {"missing", NULL}};
	ot_error err;
	assert_int_equal(ot_call_batch(e, items, (sizeof items / sizeof *items), &err), OT_OK);
	for (size_t i = 0; i < sizeof items / sizeof *items; i++) {
		if (!want[i][0])
			continue;
		assert_int_equal(items[i].status, OT_OK);
		json_t *a = json_loads(items[i].response, 0, NULL);
		assert_string_equal(S(material(a, "business_licence"), "status"), want[i][0]);
		if (want[i][1])
			assert_string_equal(S(material(a, "business_licence"), "number"), want[i][1]);
		json_decref(a);
	}
	assert_int_equal(items[3].status, OT_EINVAL);
	for (size_t i = 0; i < (sizeof items / sizeof *items); i++)
		free(items[i].response);
	ot_engine_close(e);
}

/* A store from before the licence library is brought forward on open. */
static void old_store_gains_the_library(void **state)
{
	(void)state;
	char dir[256], path[300];
	snprintf(path, sizeof path, "%s/store.db", test_tmpdir("lic", dir, sizeof dir));
	ot_engine *e = open_at(RULES, path);
	ot_engine_close(e);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE licences; DROP INDEX cases_next_due;"
				      " ALTER TABLE cases DROP COLUMN next_due; DROP INDEX cases_warn_at;"
				      " ALTER TABLE cases DROP COLUMN warn_at; PRAGMA user_version = 1", NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	e = open_at(RULES, path);
	json_t *r = ok(e, "licences_import", "{\"licences\":[{\"holder\":\"h\",\"material\":"
		       "\"food_licence\",\"number\":\"JY1\",\"issuer\":\"x\",\"valid_from\":\"2020-01-01\"}]}");
	assert_int_equal(json_integer_value(json_object_get(r, "imported")), 1);
	json_decref(r);
	ot_engine_close(e);
}

/* A number longer than the library keeps, stored before imports refused
 * one: shown cut on a whole character, and the submission goes on. */
static void a_number_stored_too_long_is_cut_whole(void **state)
{
	(void)state;
	char dir[256], path[300], sql[1024] = "INSERT INTO licences VALUES ('91350100M000100Y43',"
		" 'business_licence', 'A";
	snprintf(path, sizeof path, "%s/store.db", test_tmpdir("longnum", dir, sizeof dir));
	ot_engine_close(open_at(RULES, path));
	for (int i = 0; i < 100; i++) /* 1 + 300 bytes: the cut falls inside a character */
		strcat(sql, "证");
	strcat(sql, "', 'x', 0, NULL, NULL, NULL)");
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ot_engine *e = open_at(RULES, path);
	json_t *c = food(e, "assess", "2021-03-02T09:00");
	const char *number = S(material(c, "business_licence"), "number");
	assert_int_equal(strlen(number), 1 + 3 * 84); /* whole characters, under REF_CAP */
	json_decref(c);
	c = food(e, "submit", "2021-03-02T09:00");
	assert_string_equal(S(c, "status"), "in_progress");
	json_decref(c);
	ot_engine_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(missing_licence_is_asked_of_the_applicant),
		cmocka_unit_test(an_approval_issues_the_licence),
		cmocka_unit_test(import_is_all_or_nothing),
		cmocka_unit_test(long_numbers_are_kept_whole),
		cmocka_unit_test(lua_provider_answers),
		cmocka_unit_test(which_licence_counts),
		cmocka_unit_test(a_licence_kept_by_another),
		cmocka_unit_test(a_kept_licence_outlives_its_reimport),
		cmocka_unit_test(a_revoked_licence_is_never_kept),
		cmocka_unit_test(a_kept_licence_ends_with_its_keeper),
		cmocka_unit_test(licences_kept_before_their_terms_were),
		cmocka_unit_test(a_licence_revoked_after_its_term_stays_ended),
		cmocka_unit_test(a_licence_numbered_as_a_case_here_is_not_that_case_s),
		cmocka_unit_test(equally_good_licences_go_by_number),
		cmocka_unit_test(licences_held_and_asked_again),
		cmocka_unit_test(old_store_gains_the_library),
		cmocka_unit_test(a_number_stored_too_long_is_cut_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
