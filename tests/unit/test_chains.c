/*
 * Chains through the public API: what an intake system sees of a chain
 * case and its item cases, and what it is refused.  The whole walk of the
 * bundled chain is in tests/scenarios/chains.scenario; here, what a
 * scenario cannot say: the store stays sound, replays to the same chain,
 * item operations that belong to the chain are refused on it, list and
 * overdue find chains.
 */
#include "engine_helpers.h"

/* Every case replays to what is stored: store check finds the store sound. */
static void assert_sound(ot_engine *e)
{
	json_t *report = ok(e, "store_check", "{}");
	assert_true(json_is_true(json_object_get(report, "sound")));
	json_decref(report);
}

static const char *BUNDLED = OT_SOURCE_DIR "/rules";

#define COMPANY "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"鞍山市立山建设有限公司\"}"
#define FORM "{\"project_name\":\"立山区社区便民服务站\",\"builder_code\":\"91350100M000100Y43\"," \
	"\"location\":\"鞍山市立山区友好街\",\"total_investment\":28,\"floor_area\":280," \
	"\"project_kind\":\"public_building\",\"land_supply\":\"granted\"," \
	"\"contractor_code\":\"91210304MA0000001L\"}"
#define ALL "\"filing_commitment\",\"topographic_map\",\"design_scheme\",\"construction_contract\"," \
	"\"funds_commitment\",\"quality_safety_commitment\",\"completion_report\",\"survey_results\""

static json_t *submit_small(ot_engine *e, const char *now)
{
	return ok(e, "submit", "{\"chain\":\"construction_small\",\"now\":\"%s\",\"applicant\":" COMPANY
		  ",\"form\":" FORM ",\"materials\":[" ALL "]}", now);
}

static void approve(ot_engine *e, const char *id, const char *step, const char *actor,
		    const char *now)
{
	json_decref(ok(e, "act", "{\"case\":\"%s\",\"step\":\"%s\",\"action\":\"approve\","
		       "\"actor\":\"%s\",\"now\":\"%s\"}", id, step, actor, now));
}

/* The item case of `item` in chain case `c` (a show response). */
static const char *item_case(json_t *c, const char *item)
{
	size_t i, k;
	json_t *st, *it;
	json_array_foreach(json_object_get(c, "stages"), i, st)
		json_array_foreach(json_object_get(st, "items"), k, it)
			if (strcmp(S(it, "item"), item) == 0)
				return S(it, "case");
	return "(none)";
}

static void a_stage_transition_is_stored_soundly(void **state)
{
	(void)state;
	ot_engine *e = open_at(BUNDLED, ":memory:");
	json_t *c = submit_small(e, "2019-12-02T09:00");
	assert_string_equal(S(c, "kind"), "chain");
	assert_string_equal(S(c, "status"), "in_progress");
	assert_string_equal(S(c, "due"), "2020-02-11");
	char chain[32];
	snprintf(chain, sizeof chain, "%s", S(c, "id"));
	const char *filing = item_case(c, "investment_filing");
	json_t *fc = ok(e, "show", "{\"case\":\"%s\"}", filing);
	assert_string_equal(S(fc, "chain"), chain); /* the item case names its chain */
	json_decref(fc);
	approve(e, filing, "intake", "approval_bureau.investment", "2019-12-02T10:00");
	approve(e, filing, "confirm", "approval_bureau", "2019-12-02T11:00");
	json_decref(c);
	c = ok(e, "show", "{\"case\":\"%s\"}", chain);
	const char *land = item_case(c, "land_use_planning_permit");
	assert_string_not_equal(land, "(none)");
	/* the history: submit, then the filing approved (which opened 用地规划) */
	assert_int_equal(json_array_size(json_object_get(c, "history")), 2);
	json_t *opened = json_object_get(json_array_get(json_object_get(c, "history"), 1), "opened");
	assert_int_equal(json_array_size(opened), 1);
	assert_string_equal(S(json_array_get(opened, 0), "case"), land);
	assert_sound(e);
	json_decref(c);
	ot_engine_close(e);
}

static void item_operations_are_refused_on_a_chain(void **state)
{
	(void)state;
	ot_engine *e = open_at(BUNDLED, ":memory:");
	json_t *c = submit_small(e, "2019-12-02T09:00");
	char req[512];
	snprintf(req, sizeof req, "{\"case\":\"%s\",\"step\":\"intake\",\"action\":\"approve\","
		 "\"actor\":\"approval_bureau.investment\",\"now\":\"2019-12-02T10:00\"}", S(c, "id"));
	refused(e, "act", OT_EINVAL, "is a chain case (construction_small); act on its item cases", req);
	snprintf(req, sizeof req, "{\"case\":\"%s\",\"reason\":\"公示\",\"now\":\"2019-12-02T10:00\"}",
		 S(c, "id"));
	refused(e, "suspend", OT_EINVAL, "is a chain case", req);
	/* an item case of a chain is withdrawn with its chain, not alone */
	snprintf(req, sizeof req, "{\"case\":\"%s\",\"now\":\"2019-12-02T10:00\"}",
		 item_case(c, "investment_filing"));
	refused(e, "withdraw", OT_EINVAL, "withdraw the chain", req);
	/* acting as the wrong department: refused, and the chain is as it was */
	snprintf(req, sizeof req, "{\"case\":\"%s\",\"step\":\"intake\",\"action\":\"approve\","
		 "\"actor\":\"housing\",\"now\":\"2019-12-02T10:00\"}", item_case(c, "investment_filing"));
	refused(e, "act", OT_EACTOR, "step intake is handled by approval_bureau.investment, not by housing",
		req);
	json_t *again = ok(e, "show", "{\"case\":\"%s\"}", S(c, "id"));
	assert_int_equal(json_integer_value(json_object_get(again, "events")), 1);
	json_decref(again);
	refused(e, "submit", OT_ENOTFOUND, "there is no chain 'construction_smal' — did you mean "
		"'construction_small'?", "{\"chain\":\"construction_smal\",\"now\":\"2019-12-02T09:00\","
		"\"applicant\":" COMPANY "}");
	refused(e, "assess", OT_ENOTFOUND, "chain construction_small has no stage 'permit'",
		"{\"chain\":\"construction_small\",\"stage\":\"permit\",\"now\":\"2019-12-02T09:00\"}");
	json_decref(c);
	ot_engine_close(e);
}

static void the_notice_of_one_stage(void **state)
{
	(void)state;
	ot_engine *e = open_at(BUNDLED, ":memory:");
	json_t *a = ok(e, "assess", "{\"chain\":\"construction_small\",\"stage\":\"permits\","
		       "\"now\":\"2019-12-02T09:00\",\"applicant\":" COMPANY ",\"form\":" FORM "}");
	assert_string_equal(S(a, "stage"), "permits");
	/* the stage's own materials; what stage 1 issues is not asked */
	json_t *missing = json_object_get(a, "missing");
	size_t i;
	json_t *m;
	int design = 0, filing = 0;
	json_array_foreach(missing, i, m) {
		design |= strcmp(json_string_value(m), "design_scheme") == 0;
		filing |= strcmp(json_string_value(m), "filing_commitment") == 0;
	}
	assert_true(design);
	assert_false(filing);
	json_t *from = json_object_get(a, "from_chain");
	int land = 0;
	json_array_foreach(from, i, m)
		land |= strcmp(json_string_value(m), "land_planning_permit_doc") == 0;
	assert_true(land);
	assert_int_equal(json_integer_value(json_object_get(a, "critical_days")), 43);
	json_decref(a);
	ot_engine_close(e);
}

static void list_and_overdue_find_chains(void **state)
{
	(void)state;
	ot_engine *e = open_at(BUNDLED, ":memory:");
	json_t *c = submit_small(e, "2019-12-02T09:00");
	json_t *l = ok(e, "list", "{\"chain\":\"construction_small\"}");
	assert_int_equal(json_array_size(json_object_get(l, "cases")), 1);
	assert_string_equal(S(json_array_get(json_object_get(l, "cases"), 0), "chain"), "construction_small");
	json_decref(l);
	/* stage 1 (within 7 workdays) is late on 2019-12-12; the chain not yet */
	json_t *o = ok(e, "overdue", "{\"now\":\"2019-12-12T09:00\"}");
	json_t *entry = NULL, *x;
	size_t i;
	json_array_foreach(json_object_get(o, "cases"), i, x)
		if (strcmp(S(x, "id"), S(c, "id")) == 0)
			entry = x;
	assert_non_null(entry);
	assert_false(json_is_true(json_object_get(entry, "overdue")));
	assert_string_equal(S(json_array_get(json_object_get(entry, "stages"), 0), "stage"), "land_planning");
	assert_string_equal(S(json_array_get(json_object_get(entry, "stages"), 0), "due"), "2019-12-11");
	json_decref(o);
	json_decref(c);
	ot_engine_close(e);
}

static const char *SMALL_RULES = OT_SOURCE_DIR "/tests/data/chain/chain.rules";

static int events_of(ot_engine *e, const char *id)
{
	json_t *c = ok(e, "show", "{\"case\":\"%s\"}", id);
	int n = (int)json_integer_value(json_object_get(c, "events"));
	json_decref(c);
	return n;
}

/* A chain-level supplement reaches the item cases that lack what it brings,
 * and no other. */
static void a_supplement_reaches_who_lacks_it(void **state)
{
	(void)state;
	ot_engine *e = open_at(SMALL_RULES, ":memory:");
	json_decref(ok(e, "submit", "{\"chain\":\"small\",\"now\":\"2019-09-02T09:00\",\"applicant\":"
		       COMPANY ",\"form\":{\"name\":\"x\",\"big\":true},\"materials\":[\"plan\"]}"));
	approve(e, "20190902-0002", "decide", "bureau", "2019-09-02T10:00");
	/* stage 2: review and check opened, both waiting for the report */
	json_t *c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_equal(S(c, "status"), "needs_supplement");
	char review[32], check[32];
	snprintf(review, sizeof review, "%s", item_case(c, "review"));
	snprintf(check, sizeof check, "%s", item_case(c, "check"));
	json_decref(c);
	json_decref(ok(e, "supplement", "{\"case\":\"20190902-0001\",\"now\":\"2019-09-02T11:00\","
		       "\"materials\":[\"report\"]}"));
	int r1 = events_of(e, review), c1 = events_of(e, check);
	assert_int_equal(r1, 2); /* submitted by the chain, then the supplement */
	assert_int_equal(c1, 2);
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_equal(S(c, "status"), "in_progress");
	json_decref(c);
	/* the report again: nobody lacks it, no item case is touched */
	json_decref(ok(e, "supplement", "{\"case\":\"20190902-0001\",\"now\":\"2019-09-02T12:00\","
		       "\"materials\":[\"report\"]}"));
	assert_int_equal(events_of(e, review), r1);
	assert_int_equal(events_of(e, check), c1);
	json_decref(ok(e, "store_check", "{}"));
	ot_engine_close(e);
}

/* The chain's status follows its items: suspended while its only running
 * item case is, returned while one is returned. */
static void the_status_follows_the_items(void **state)
{
	(void)state;
	ot_engine *e = open_at(SMALL_RULES, ":memory:");
	json_decref(ok(e, "submit", "{\"chain\":\"small\",\"now\":\"2019-09-02T09:00\",\"applicant\":"
		       COMPANY ",\"form\":{\"name\":\"x\"},\"materials\":[\"plan\",\"report\"]}"));
	json_decref(ok(e, "suspend", "{\"case\":\"20190902-0002\",\"reason\":\"专家评审\","
		       "\"now\":\"2019-09-02T10:00\"}"));
	json_t *c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_equal(S(c, "status"), "suspended");
	json_decref(c);
	json_decref(ok(e, "resume", "{\"case\":\"20190902-0002\",\"now\":\"2019-09-03T10:00\"}"));
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_equal(S(c, "status"), "in_progress");
	json_decref(c);
	json_decref(ok(e, "act", "{\"case\":\"20190902-0002\",\"step\":\"decide\",\"action\":\"return\","
		       "\"reason\":\"方案不全\",\"actor\":\"bureau\",\"now\":\"2019-09-03T11:00\"}"));
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_equal(S(c, "status"), "returned");
	json_decref(c);
	/* the corrected plan at chain level reaches the returned item case */
	json_decref(ok(e, "supplement", "{\"case\":\"20190902-0001\",\"now\":\"2019-09-04T09:00\","
		       "\"materials\":[\"plan\"]}"));
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_equal(S(c, "status"), "in_progress");
	json_decref(c);
	approve(e, "20190902-0002", "decide", "bureau", "2019-09-04T10:00");
	/* stage 2: review, and check is left out (not big); filing waits */
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_equal(S(json_array_get(json_object_get(c, "current"), 0), "stage"), "second");
	const char *rv = item_case(c, "review");
	approve(e, rv, "decide", "bureau", "2019-09-04T11:00");
	json_decref(c);
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	approve(e, item_case(c, "filing"), "decide", "bureau", "2019-09-04T12:00");
	json_decref(c);
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_equal(S(c, "status"), "approved");
	assert_string_equal(S(c, "decided_at"), "2019-09-04T12:00:00+08:00");
	json_decref(c);
	assert_sound(e);
	ot_engine_close(e);
}

static const char *REVIEW_RULES = OT_SOURCE_DIR "/tests/data/chain/review.rules";

/* Is `name` in the array of names o[key]? */
static int listed(json_t *o, const char *key, const char *name)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(o, key), i, m)
		if (strcmp(json_string_value(m), name) == 0)
			return 1;
	return 0;
}

/* The entry of material `name` in a chain notice. */
static json_t *material_entry(json_t *a, const char *name)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(a, "materials"), i, m)
		if (strcmp(S(m, "material"), name) == 0)
			return m;
	return NULL;
}

#define SKIP_APP(form, mats) "{\"chain\":\"skipissuer\",\"now\":\"2019-09-02T09:00\",\"applicant\":" \
	COMPANY ",\"form\":" form ",\"materials\":[" mats "]}"

/* An item left out (its `when` does not hold) issues nothing: what it
 * would have issued is asked of the applicant at once, with the rest --
 * not found missing when the later stage opens (a second trip). */
static void a_left_out_item_issues_nothing(void **state)
{
	(void)state;
	ot_engine *e = open_at(REVIEW_RULES, ":memory:");
	json_t *a = ok(e, "assess", SKIP_APP("{\"name\":\"x\",\"big\":false}", "\"report\""));
	assert_true(listed(a, "items_not_required", "permit"));
	/* stage 2's material: asked now, though it does not stop acceptance */
	assert_true(json_is_true(json_object_get(a, "complete")));
	assert_true(listed(a, "missing", "permit_doc"));
	assert_false(listed(a, "from_chain", "permit_doc"));
	json_t *m = material_entry(a, "permit_doc");
	assert_string_equal(S(m, "status"), "missing");
	assert_null(json_object_get(m, "issued_by"));
	assert_string_equal(json_string_value(json_array_get(json_object_get(a, "notice"), 0)),
			    "缺少材料 missing: 许可证 (审查)");
	json_decref(a);
	/* big: the permit issues it, and nothing is missing */
	a = ok(e, "assess", SKIP_APP("{\"name\":\"x\",\"big\":true}", "\"report\",\"plan\""));
	assert_true(json_is_true(json_object_get(a, "complete")));
	assert_true(listed(a, "from_chain", "permit_doc"));
	assert_int_equal(json_array_size(json_object_get(a, "missing")), 0);
	json_decref(a);
	/* submitted without it, handed in at chain level before stage 2:
	 * the review opens with all it needs */
	json_t *c = ok(e, "submit", SKIP_APP("{\"name\":\"x\",\"big\":false}", "\"report\""));
	assert_string_equal(S(c, "status"), "in_progress");
	assert_true(listed(json_object_get(c, "notice"), "missing", "permit_doc"));
	json_decref(c);
	json_decref(ok(e, "supplement", "{\"case\":\"20190902-0001\",\"now\":\"2019-09-02T09:30\","
		       "\"materials\":[\"permit_doc\"]}"));
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	approve(e, item_case(c, "check"), "decide", "bureau", "2019-09-02T10:00");
	json_decref(c);
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_equal(S(c, "status"), "in_progress");
	json_t *rv = ok(e, "show", "{\"case\":\"%s\"}", item_case(c, "review"));
	assert_string_equal(S(rv, "status"), "in_progress");
	json_decref(rv);
	json_decref(c);
	ot_engine_close(e);
}

/* The licence library is asked for a material an item of the chain issues
 * too, where that item comes no earlier: the filing, beside the permit,
 * finds the permit the company already holds. */
static void a_held_licence_is_not_asked(void **state)
{
	(void)state;
	ot_engine *e = open_at(REVIEW_RULES, ":memory:");
	/* a number as long as Chinese ones get: shown whole */
	const char *number = "（2019）辽0304建设工程规划许可证第建设工程规划许可证第建设工程规划许可证第建设工程规划许可证第建设工程规划许可证第00012号";
	json_decref(ok(e, "licences_import", "{\"licences\":[{\"holder\":\"91350100M000100Y43\","
		       "\"material\":\"permit_doc\",\"number\":\"%s\",\"issuer\":\"审批局\","
		       "\"valid_from\":\"2019-01-01\"}]}", number));
	const char *app = "{\"chain\":\"parallel\",\"now\":\"2019-09-02T09:00\",\"applicant\":" COMPANY
		",\"form\":{\"name\":\"x\"},\"materials\":[\"plan\"]}";
	json_t *a = ok(e, "assess", "%s", app);
	assert_true(json_is_true(json_object_get(a, "complete")));
	assert_int_equal(json_array_size(json_object_get(a, "missing")), 0);
	assert_true(listed(a, "shared", "permit_doc"));
	/* the library's, not the permit's beside it */
	assert_null(json_object_get(material_entry(a, "permit_doc"), "issued_by"));
	assert_int_equal(json_array_size(json_object_get(a, "notice")), 0);
	json_decref(a);
	json_t *c = ok(e, "submit", "%s", app);
	assert_string_equal(S(c, "status"), "in_progress");
	json_t *f = ok(e, "show", "{\"case\":\"%s\"}", item_case(c, "filing"));
	assert_string_equal(S(f, "status"), "in_progress");
	assert_string_equal(S(json_object_get(f, "materials"), "permit_doc"), "shared");
	char *text = json_dumps(f, 0); /* the filing's notice, with the number whole */
	assert_non_null(strstr(text, number));
	free(text);
	json_decref(f);
	json_decref(c);
	/* with no licence held, the filing asks for it: the permit beside it
	 * is no earlier */
	ot_engine_close(e);
	e = open_at(REVIEW_RULES, ":memory:");
	a = ok(e, "assess", "%s", app);
	assert_false(json_is_true(json_object_get(a, "complete")));
	assert_true(listed(a, "missing", "permit_doc"));
	json_decref(a);
	ot_engine_close(e);
}

#define RC_APP "{\"chain\":\"rc\",\"now\":\"2019-09-02T09:00\",\"applicant\":" COMPANY \
	",\"form\":{\"name\":\"x\"},\"materials\":[\"plan\"]}"

/* An item not accepted (不予受理) stops the chain as a denial does, and
 * says so: its written reasons are the chain's note, and the item case
 * closed beside it says it was not accepted. */
static void a_refusal_stops_the_chain_with_its_reasons(void **state)
{
	(void)state;
	ot_engine *e = open_at(REVIEW_RULES, ":memory:");
	json_t *c = ok(e, "submit", RC_APP);
	char bee[32], ay[32];
	snprintf(bee, sizeof bee, "%s", item_case(c, "bee"));
	snprintf(ay, sizeof ay, "%s", item_case(c, "ay"));
	json_decref(c);
	json_decref(ok(e, "refuse", "{\"case\":\"%s\",\"actor\":\"bureau\",\"now\":\"2019-09-03T09:00\","
		       "\"reasons\":\"不属于本机关职权范围\",\"remedy\":\"六十日内申请行政复议\"}", ay));
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_equal(S(c, "status"), "denied");
	assert_string_equal(S(c, "note"), "不属于本机关职权范围");
	json_decref(c);
	json_t *b = ok(e, "show", "{\"case\":\"%s\"}", bee);
	assert_string_equal(S(b, "status"), "closed");
	assert_string_equal(S(b, "note"), "不再需要 not needed: 甲 was not accepted (不予受理)");
	json_decref(b);
	/* replayed from its events, the chain says the same */
	assert_sound(e);
	ot_engine_close(e);
}

/* A chain-level supplement while an item case waits for its acceptance
 * decision (received): it reaches the item cases that can take it and
 * ask for it -- the deferred report of 乙 -- and leaves 甲 to its
 * decision (甲 only lists the report, optional); nothing is refused. */
static void a_supplement_passes_a_received_item_case(void **state)
{
	(void)state;
	ot_engine *e = open_at(REVIEW_RULES, ":memory:");
	json_t *c = ok(e, "submit", RC_APP);
	char bee[32], ay[32];
	snprintf(bee, sizeof bee, "%s", item_case(c, "bee"));
	snprintf(ay, sizeof ay, "%s", item_case(c, "ay"));
	json_decref(c);
	json_t *b = ok(e, "show", "{\"case\":\"%s\"}", bee);
	assert_string_equal(S(b, "status"), "in_progress");
	assert_true(listed(json_object_get(b, "notice"), "deferred", "report"));
	json_decref(b);
	json_t *a = ok(e, "show", "{\"case\":\"%s\"}", ay);
	assert_string_equal(S(a, "status"), "received");
	json_decref(a);
	json_decref(ok(e, "supplement", "{\"case\":\"20190902-0001\",\"now\":\"2019-09-02T11:00\","
		       "\"materials\":[\"report\"]}"));
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	json_t *h = json_array_get(json_object_get(c, "history"), 1);
	assert_int_equal(json_array_size(json_object_get(h, "reached")), 1);
	assert_string_equal(S(json_array_get(json_object_get(h, "reached"), 0), "case"), bee);
	assert_string_equal(S(json_object_get(c, "materials"), "report"), "provided");
	json_decref(c);
	assert_int_equal(events_of(e, bee), 2);
	assert_int_equal(events_of(e, ay), 1);
	b = ok(e, "show", "{\"case\":\"%s\"}", bee);
	assert_string_equal(S(json_object_get(b, "materials"), "report"), "provided");
	json_decref(b);
	/* accepted, 甲 is in progress; the report again reaches nobody:
	 * 甲's notice does not ask for it */
	json_decref(ok(e, "accept", "{\"case\":\"%s\",\"actor\":\"bureau\",\"now\":\"2019-09-03T09:00\"}",
		       ay));
	json_decref(ok(e, "supplement", "{\"case\":\"20190902-0001\",\"now\":\"2019-09-03T10:00\","
		       "\"materials\":[\"report\"]}"));
	assert_int_equal(events_of(e, ay), 2);
	assert_int_equal(events_of(e, bee), 2);
	assert_sound(e);
	ot_engine_close(e);
}

/* A paper the chain holds reaches its item case when the case can take
 * it: 丙 defers the report (容缺) and waits for its acceptance decision
 * when the applicant hands the report to the chain; accepted, 丙 has it,
 * and asks no one for it again. */
static void a_deferred_paper_reaches_the_case_once_accepted(void **state)
{
	(void)state;
	ot_engine *e = open_at(REVIEW_RULES, ":memory:");
	json_t *c = ok(e, "submit", "{\"chain\":\"rcd\",\"now\":\"2019-09-02T09:00\","
		       "\"applicant\":" COMPANY ",\"form\":{\"name\":\"x\"},\"materials\":[\"plan\"]}");
	char cee[32];
	snprintf(cee, sizeof cee, "%s", item_case(c, "cee"));
	json_decref(c);
	json_t *k = ok(e, "show", "{\"case\":\"%s\"}", cee);
	assert_string_equal(S(k, "status"), "received");
	assert_true(listed(json_object_get(k, "notice"), "deferred", "report"));
	json_decref(k);
	json_decref(ok(e, "supplement", "{\"case\":\"20190902-0001\",\"now\":\"2019-09-02T11:00\","
		       "\"materials\":[\"report\"]}"));
	assert_int_equal(events_of(e, cee), 1); /* received: decided on what it had */
	/* the acceptance's answer is the case as it is then, and shown so */
	for (int shown = 0; shown < 2; shown++) {
		k = shown ? ok(e, "show", "{\"case\":\"%s\"}", cee)
			  : ok(e, "accept", "{\"case\":\"%s\",\"actor\":\"bureau\","
			       "\"now\":\"2019-09-03T09:00\"}", cee);
		assert_string_equal(S(k, "status"), "in_progress");
		assert_string_equal(S(json_object_get(k, "materials"), "report"), "provided");
		assert_false(listed(json_object_get(k, "notice"), "deferred", "report"));
		/* the applicant came to the chain's window, not to the item's */
		assert_int_equal(json_integer_value(json_object_get(k, "trips")), 0);
		json_decref(k);
	}
	/* the chain says what it handed on, and when */
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	json_t *h = json_array_get(json_object_get(c, "history"), 2);
	assert_string_equal(S(h, "op"), "item");
	assert_int_equal(json_array_size(json_object_get(h, "handed_on")), 1);
	assert_true(listed(h, "handed_on", "report"));
	json_decref(c);
	assert_sound(e);
	ot_engine_close(e);
}

/* A form change once a stage has started may not change its items: the
 * permit of stage 1 (done) would be needed with a big project, and the
 * chain would end approved without it.  Refused, and nothing changes; a
 * change for a stage still waiting goes through. */
static void a_started_stage_keeps_its_items(void **state)
{
	(void)state;
	ot_engine *e = open_at(REVIEW_RULES, ":memory:");
	json_decref(ok(e, "submit", SKIP_APP("{\"name\":\"x\",\"big\":false}", "\"report\"")));
	approve(e, "20190902-0002", "decide", "bureau", "2019-09-02T10:00"); /* check */
	json_t *c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_equal(S(c, "status"), "needs_supplement"); /* the review lacks the permit */
	int events = (int)json_integer_value(json_object_get(c, "events"));
	char review[32];
	snprintf(review, sizeof review, "%s", item_case(c, "review"));
	json_decref(c);
	int rv_events = events_of(e, review);
	refused(e, "supplement", OT_ESTATE, "cannot change the form of chain case 20190902-0001 so: "
		"item permit (许可) would be needed in stage first (第一阶段), which has started; the "
		"items of a started stage stay as they were when it started",
		"{\"case\":\"20190902-0001\",\"now\":\"2019-09-02T11:00\",\"form\":{\"big\":true},"
		"\"materials\":[\"permit_doc\"]}");
	assert_int_equal(events_of(e, "20190902-0001"), events);
	assert_int_equal(events_of(e, review), rv_events);
	/* the permit handed in without the change: the chain ends approved,
	 * the permit not required */
	json_decref(ok(e, "supplement", "{\"case\":\"20190902-0001\",\"now\":\"2019-09-02T11:00\","
		       "\"materials\":[\"permit_doc\"]}"));
	approve(e, review, "decide", "bureau", "2019-09-02T12:00");
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_equal(S(c, "status"), "approved");
	assert_string_equal(S(json_array_get(json_object_get(json_array_get(json_object_get(c,
		"stages"), 0), "items"), 0), "status"), "not_required");
	assert_false(json_is_true(json_object_get(json_object_get(c, "form"), "big")));
	json_decref(c);
	ot_engine_close(e);

	/* chain small: stage 2's check follows the form changed while stage 1
	 * waits for corrections */
	e = open_at(SMALL_RULES, ":memory:");
	json_decref(ok(e, "submit", "{\"chain\":\"small\",\"now\":\"2019-09-02T09:00\",\"applicant\":"
		       COMPANY ",\"form\":{\"name\":\"x\",\"big\":false},\"materials\":[\"plan\",\"report\"]}"));
	json_decref(ok(e, "act", "{\"case\":\"20190902-0002\",\"step\":\"decide\",\"action\":\"return\","
		       "\"reason\":\"方案不全\",\"actor\":\"bureau\",\"now\":\"2019-09-02T10:00\"}"));
	json_decref(ok(e, "supplement", "{\"case\":\"20190902-0001\",\"now\":\"2019-09-02T11:00\","
		       "\"form\":{\"big\":true},\"materials\":[\"plan\"]}"));
	approve(e, "20190902-0002", "decide", "bureau", "2019-09-02T12:00");
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_not_equal(item_case(c, "check"), "(null)");
	json_decref(c);
	assert_sound(e);
	ot_engine_close(e);
}

/* ---- versions of an item (in_force, replaces) ---- */

#define BIG_FORM "{\"project_name\":\"立山区智能制造产业园\",\"builder_code\":\"91350100M000100Y43\"," \
	"\"location\":\"鞍山市立山区胜利北路\",\"total_investment\":2800,\"floor_area\":28000," \
	"\"project_kind\":\"industrial_building\",\"land_supply\":\"granted\",\"new_land\":false," \
	"\"contractor_code\":\"91210304MA0000001L\"}"

/* The entry of `list` whose `key` is `value`; NULL: none. */
static json_t *entry_with(json_t *list, const char *key, const char *value)
{
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x)
		if (strcmp(S(x, key), value) == 0)
			return x;
	return NULL;
}

/* The bundled chain applied for on 2019-03-01, under the 2011 建筑法: its
 * permit's case, opened on 03-12, is of construction_permit_2018 (15
 * working days, legal due 04-02), not of construction_permit, which the
 * stage lists (7, due 03-21).  On 03-25 neither overdue nor sweep says
 * the legal limit is passed; the chain and its events say which version
 * was opened, and replay to it. */
static void an_item_case_is_of_the_version_in_force_when_opened(void **state)
{
	(void)state;
	static const char *const walk[][4] = {
		{"investment_filing", "intake", "approval_bureau.investment", "2019-03-01T10:00"},
		{"investment_filing", "confirm", "approval_bureau", "2019-03-01T11:00"},
		{"land_use_planning_permit", "intake", "approval_bureau.investment", "2019-03-04T09:00"},
		{"land_use_planning_permit", "review", "approval_bureau", "2019-03-04T10:00"},
		{"land_use_planning_permit", "condition_check", "natural_resources", "2019-03-04T11:00"},
		{"land_use_planning_permit", "decide", "approval_bureau", "2019-03-05T10:00"},
		{"land_use_planning_permit", "issue", "approval_bureau.pickup", "2019-03-05T11:00"},
		{"planning_permit", "intake", "approval_bureau.investment", "2019-03-06T09:00"},
		{"planning_permit", "plan_review", "approval_bureau", "2019-03-06T10:00"},
		{"planning_permit", "opinion", "housing", "2019-03-06T11:00"},
		{"planning_permit", "assess", "approval_bureau", "2019-03-07T10:00"},
		{"planning_permit", "decide", "approval_bureau", "2019-03-07T11:00"},
		{"planning_permit", "issue", "approval_bureau.pickup", "2019-03-08T10:00"},
		{"drawing_review", "intake", "approval_bureau.investment", "2019-03-11T09:00"},
		{"drawing_review", "fire_check", "housing", "2019-03-11T10:00"},
		{"drawing_review", "civil_defense", "housing", "2019-03-11T11:00"},
		{"drawing_review", "security_check", "housing", "2019-03-12T10:00"},
		{"drawing_review", "decide", "housing", "2019-03-12T11:00"},
	};
	ot_engine *e = open_at(BUNDLED, ":memory:");
	json_t *c = ok(e, "submit", "{\"chain\":\"construction_approval\",\"now\":\"2019-03-01T09:00\","
		       "\"applicant\":" COMPANY ",\"form\":" BIG_FORM ",\"materials\":[" ALL
		       ",\"construction_drawings\"]}");
	char chain[32];
	snprintf(chain, sizeof chain, "%s", S(c, "id"));
	/* the notice assessed the permit ahead in the version in force today */
	json_t *m = entry_with(json_object_get(json_object_get(c, "notice"), "materials"), "material",
			       "funds_commitment");
	assert_non_null(entry_with(json_object_get(m, "items"), "item", "construction_permit_2018"));
	assert_null(entry_with(json_object_get(m, "items"), "item", "construction_permit"));
	json_decref(c);
	for (size_t i = 0; i < sizeof walk / sizeof walk[0]; i++) {
		c = ok(e, "show", "{\"case\":\"%s\"}", chain);
		char id[32];
		snprintf(id, sizeof id, "%s", item_case(c, walk[i][0]));
		json_decref(c);
		approve(e, id, walk[i][1], walk[i][2], walk[i][3]);
	}
	c = ok(e, "show", "{\"case\":\"%s\"}", chain);
	assert_string_equal(item_case(c, "construction_permit"), "(none)");
	char permit[32];
	snprintf(permit, sizeof permit, "%s", item_case(c, "construction_permit_2018"));
	json_t *slot = NULL, *st;
	size_t i;
	json_array_foreach(json_object_get(c, "stages"), i, st)
		if (!slot)
			slot = entry_with(json_object_get(st, "items"), "item", "construction_permit_2018");
	assert_string_equal(S(slot, "listed_as"), "construction_permit");
	assert_string_equal(S(slot, "label"), "建筑工程施工许可证核发(2019年4月23日前)");
	json_t *history = json_object_get(c, "history");
	json_t *opened = json_object_get(json_array_get(history, json_array_size(history) - 1), "opened");
	json_t *o = entry_with(opened, "case", permit);
	assert_string_equal(S(o, "item"), "construction_permit_2018");
	assert_string_equal(S(o, "listed_as"), "construction_permit");
	json_decref(c);
	json_t *p = ok(e, "show", "{\"case\":\"%s\"}", permit);
	assert_string_equal(S(p, "item"), "construction_permit_2018");
	assert_string_equal(S(p, "legal_due"), "2019-04-02");
	json_decref(p);
	/* 03-25: the promise (03-19) is passed, the law's 15 days are not */
	json_t *od = ok(e, "overdue", "{\"now\":\"2019-03-25T09:00\"}");
	json_t *late = entry_with(json_object_get(od, "cases"), "id", permit);
	assert_non_null(late);
	int promised = 0, legal = 0;
	json_t *x;
	json_array_foreach(json_object_get(late, "passed"), i, x) {
		promised |= strcmp(json_string_value(x), "promised") == 0;
		legal |= strcmp(json_string_value(x), "legal") == 0;
	}
	assert_true(promised);
	assert_false(legal);
	json_decref(od);
	json_t *sw = ok(e, "sweep", "{\"now\":\"2019-03-25T09:00\"}");
	int red_case = 0;
	json_array_foreach(json_object_get(sw, "warnings"), i, x)
		if (strcmp(S(x, "case"), permit) == 0) {
			assert_string_not_equal(S(x, "target"), "legal");
			red_case |= strcmp(S(x, "target"), "case") == 0 && strcmp(S(x, "level"), "red") == 0;
		}
	assert_true(red_case);
	json_decref(sw);
	assert_sound(e);
	ot_engine_close(e);
}

static const char *VERSION_RULES = OT_SOURCE_DIR "/tests/data/chain/versions.rules";

#define VERSIONS_APP(now) "{\"chain\":\"versions\",\"now\":\"" now "\",\"applicant\":" COMPANY \
	",\"form\":{\"name\":\"x\"},\"materials\":[\"plan\"]}"

/* Once opened, an item case stays of its version: a chain-level
 * supplement after the next version came into force assesses the open
 * case in the version it is of (the report, not the new statement), and
 * reaches it.  The notice at submission asks for what the version in
 * force that day needs. */
static void an_opened_version_stays(void **state)
{
	(void)state;
	ot_engine *e = open_at(VERSION_RULES, ":memory:");
	json_t *c = ok(e, "submit", VERSIONS_APP("2019-09-02T09:00"));
	json_t *notice = json_object_get(c, "notice");
	assert_true(listed(notice, "missing", "report"));
	assert_false(listed(notice, "missing", "statement"));
	json_decref(c);
	approve(e, "20190902-0002", "decide", "bureau", "2019-09-03T10:00");
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	char review[32];
	snprintf(review, sizeof review, "%s", item_case(c, "review_2019"));
	assert_string_equal(S(c, "status"), "needs_supplement");
	json_decref(c);
	json_t *s = ok(e, "supplement", "{\"case\":\"20190902-0001\",\"now\":\"2019-09-05T09:00\","
		       "\"materials\":[\"report\"]}");
	assert_string_equal(S(s, "status"), "in_progress");
	assert_false(listed(json_object_get(s, "notice"), "missing", "statement"));
	json_decref(s);
	json_t *r = ok(e, "show", "{\"case\":\"%s\"}", review);
	assert_string_equal(S(r, "item"), "review_2019");
	assert_string_equal(S(r, "status"), "in_progress");
	json_decref(r);
	assert_sound(e);
	ot_engine_close(e);
}

/* No version of an item is in force on the day the chain would open it
 * (2019-09-04): the approval that would open it is refused and nothing
 * changes, as an application for the item alone that day is refused; a
 * day later the new version opens.  A chain assessed that day is refused
 * too. */
static void no_version_in_force_refuses(void **state)
{
	(void)state;
	ot_engine *e = open_at(VERSION_RULES, ":memory:");
	json_decref(ok(e, "submit", VERSIONS_APP("2019-09-02T09:00")));
	refused(e, "act", OT_ESTATE, "chain case 20190902-0001 cannot open its item review_new (stage "
		"second): item review_new is not in force on 2019-09-04, nor is any version of it: "
		"review_2019 is in force until 2019-09-03, review_new from 2019-09-05; nothing was changed",
		"{\"case\":\"20190902-0002\",\"step\":\"decide\",\"action\":\"approve\","
		"\"actor\":\"bureau\",\"now\":\"2019-09-04T10:00\"}");
	assert_int_equal(events_of(e, "20190902-0001"), 1);
	assert_int_equal(events_of(e, "20190902-0002"), 1);
	refused(e, "assess", OT_EINVAL, "chain versions (stage second): item review_new is not in "
		"force on 2019-09-04", VERSIONS_APP("2019-09-04T09:00"));
	refused(e, "submit", OT_EINVAL, "chain versions (stage second): item review_new is not in "
		"force on 2019-09-04", VERSIONS_APP("2019-09-04T09:00"));
	approve(e, "20190902-0002", "decide", "bureau", "2019-09-05T10:00");
	json_t *c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	json_t *r = ok(e, "show", "{\"case\":\"%s\"}", item_case(c, "review_new"));
	assert_string_equal(S(r, "item"), "review_new");
	assert_true(listed(json_object_get(r, "notice"), "missing", "statement"));
	json_decref(r);
	json_decref(c);
	assert_sound(e);
	ot_engine_close(e);
}

/* An item case opened in a newer version than the chain's notice assessed
 * asks for a paper the notice did not (review_new, from 09-05, asks for
 * the statement): the chain's notice says so -- what the chain waits for
 * -- and not a due date "as if accepted now".  Handed in, the statement
 * leaves nothing missing. */
static void the_notice_follows_an_item_opened_in_a_newer_version(void **state)
{
	(void)state;
	ot_engine *e = open_at(VERSION_RULES, ":memory:");
	json_t *c = ok(e, "submit", "{\"chain\":\"versions\",\"now\":\"2019-09-02T09:00\",\"applicant\":"
		       COMPANY ",\"form\":{\"name\":\"x\"},\"materials\":[\"plan\",\"report\"]}");
	assert_false(listed(json_object_get(c, "notice"), "missing", "statement"));
	json_decref(c);
	approve(e, "20190902-0002", "decide", "bureau", "2019-09-05T10:00");
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_equal(S(c, "status"), "needs_supplement");
	json_t *r = ok(e, "show", "{\"case\":\"%s\"}", item_case(c, "review_new"));
	assert_true(listed(json_object_get(r, "notice"), "missing", "statement"));
	json_decref(r);
	json_t *notice = json_object_get(c, "notice");
	assert_true(listed(notice, "missing", "statement"));
	assert_string_equal(json_string_value(json_array_get(json_object_get(notice, "notice"), 0)),
			    "缺少材料 missing: 情况说明 (审查)");
	assert_null(json_object_get(notice, "due"));
	json_decref(c);
	c = ok(e, "supplement", "{\"case\":\"20190902-0001\",\"now\":\"2019-09-05T11:00\","
	       "\"materials\":[\"statement\"]}");
	assert_string_equal(S(c, "status"), "in_progress");
	assert_int_equal(json_array_size(json_object_get(json_object_get(c, "notice"), "missing")), 0);
	json_decref(c);
	assert_sound(e);
	ot_engine_close(e);
}

/* Assessed again when the check opens on 09-04, the chain's notice tells
 * the review two stages ahead as its stage lists it (review_new, from
 * 09-05: no version is in force that day): the approval that opened the
 * check is not refused for an item still ahead, as it is for the item it
 * opens (no_version_in_force_refuses). */
static void an_item_ahead_between_versions_refuses_nothing(void **state)
{
	(void)state;
	ot_engine *e = open_at(VERSION_RULES, ":memory:");
	json_decref(ok(e, "submit", "{\"chain\":\"ahead\",\"now\":\"2019-09-02T09:00\",\"applicant\":"
		       COMPANY ",\"form\":{\"name\":\"x\"},\"materials\":[\"plan\"]}"));
	approve(e, "20190902-0002", "decide", "bureau", "2019-09-04T10:00");
	json_t *c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_not_equal(item_case(c, "check"), "(none)");
	json_t *notice = json_object_get(c, "notice");
	assert_true(listed(notice, "missing", "report"));
	assert_true(listed(notice, "missing", "statement"));
	json_decref(c);
	assert_sound(e);
	ot_engine_close(e);
}

/* A chain-level supplement's notice has a due date "as if accepted now"
 * only when it is the one that makes the chain accepted (the two agree
 * then); once accepted, the chain's due date is its own, and a later
 * supplement's notice says none, as an item case's does. */
static void a_supplement_after_acceptance_has_no_due_of_its_own(void **state)
{
	(void)state;
	ot_engine *e = open_at(SMALL_RULES, ":memory:");
	json_t *c = ok(e, "submit", "{\"chain\":\"small\",\"now\":\"2019-09-02T09:00\",\"applicant\":"
		       COMPANY ",\"form\":{\"name\":\"x\"}}");
	assert_string_equal(S(c, "status"), "needs_supplement");
	json_decref(c);
	c = ok(e, "supplement", "{\"case\":\"20190902-0001\",\"now\":\"2019-09-03T09:00\","
	       "\"materials\":[\"plan\"]}");
	assert_string_equal(S(c, "due"), "2019-09-11");
	assert_string_equal(S(json_object_get(c, "notice"), "due"), "2019-09-11");
	json_decref(c);
	c = ok(e, "supplement", "{\"case\":\"20190902-0001\",\"now\":\"2019-09-16T09:00\","
	       "\"materials\":[\"report\"]}");
	assert_string_equal(S(c, "due"), "2019-09-11");
	assert_null(json_object_get(json_object_get(c, "notice"), "due"));
	json_decref(c);
	assert_sound(e);
	ot_engine_close(e);
}

/* ---- the chain's notice made again when item cases open ---- */

static const char *NOTICE_RULES = OT_SOURCE_DIR "/tests/data/chain/notice.rules";

#define NOTICE_APP "{\"chain\":\"ch\",\"now\":\"2019-09-02T09:00\",\"applicant\":" COMPANY \
	",\"form\":{\"name\":\"x\"},\"materials\":[\"plan\"]}"
#define NAME_TOO_OLD "名称须于2019-09-10前重新核准 the name must be confirmed again"

/* The company's 资质证书 in the licence library, valid until `until`. */
static void licence_until(ot_engine *e, const char *until)
{
	json_decref(ok(e, "licences_import", "{\"licences\":[{\"holder\":\"91350100M000100Y43\","
		       "\"material\":\"licence\",\"number\":\"ZZ-0001\",\"issuer\":\"审批局\","
		       "\"valid_from\":\"2019-01-01\",\"valid_until\":\"%s\"}]}", until));
}

/* Approves the item case of `item` in chain case 20190902-0001 at `now`,
 * and answers the chain case then (a show response). */
static json_t *approve_item(ot_engine *e, const char *item, const char *now)
{
	json_t *c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	approve(e, item_case(c, item), "decide", "bureau", now);
	json_decref(c);
	return ok(e, "show", "{\"case\":\"20190902-0001\"}");
}

/* The chain's last event: the `item` event of the approval just made. */
static json_t *last_event(json_t *c)
{
	json_t *h = json_object_get(c, "history");
	json_t *ev = json_array_get(h, json_array_size(h) - 1);
	assert_string_equal(S(ev, "op"), "item");
	assert_non_null(json_object_get(ev, "opened"));
	return ev;
}

/* The chain's notice asks for 丁's licence, which it holds no more. */
static void asks_for_the_licence(json_t *c)
{
	json_t *notice = json_object_get(c, "notice");
	assert_true(listed(notice, "missing", "licence"));
	assert_false(listed(notice, "shared", "licence"));
	assert_string_equal(json_string_value(json_array_get(json_object_get(notice, "notice"), 0)),
			    "缺少材料 missing: 资质证书 (丁)");
	assert_null(json_object_get(json_object_get(c, "materials"), "licence"));
}

/* An item case opened in the version the chain's notice told asks for a
 * paper the notice did not: 丁's licence, held when the chain was applied
 * for, has expired since.  The chain's notice says so, as it says what a
 * newer version asks for.  Before, 丙 opened with nothing changed: the
 * chain's event for it carries no notice, and the chain keeps its own. */
static void a_licence_expired_since_is_asked_by_the_item_opened(void **state)
{
	(void)state;
	ot_engine *e = open_at(NOTICE_RULES, ":memory:");
	licence_until(e, "2019-09-04");
	json_t *c = ok(e, "submit", NOTICE_APP);
	assert_string_equal(S(c, "status"), "in_progress");
	assert_true(listed(json_object_get(c, "notice"), "shared", "licence"));
	json_decref(c);
	c = approve_item(e, "a", "2019-09-02T10:00");
	assert_non_null(json_object_get(last_event(c), "notice")); /* without the submission's due */
	assert_null(json_object_get(json_object_get(c, "notice"), "due"));
	json_decref(c);
	c = approve_item(e, "b", "2019-09-03T10:00");
	assert_null(json_object_get(last_event(c), "notice"));
	assert_true(listed(json_object_get(c, "notice"), "shared", "licence"));
	assert_string_equal(S(json_object_get(c, "materials"), "licence"), "shared");
	json_decref(c);
	c = approve_item(e, "c", "2019-09-06T10:00");
	json_t *d = ok(e, "show", "{\"case\":\"%s\"}", item_case(c, "d"));
	assert_string_equal(S(d, "status"), "needs_supplement");
	json_decref(d);
	assert_string_equal(S(c, "status"), "needs_supplement");
	asks_for_the_licence(c);
	json_decref(c);
	assert_sound(e);
	ot_engine_close(e);
}

/* The licence expires while 丁 is still a stage ahead: 丙, opened after
 * it expired, asks for what the chain's notice told it would (the plan,
 * handed in), but the notice made again when 丙 opens asks for the
 * licence for 丁 -- what the chain will wait for. */
static void a_licence_expired_since_is_asked_for_an_item_ahead(void **state)
{
	(void)state;
	ot_engine *e = open_at(NOTICE_RULES, ":memory:");
	licence_until(e, "2019-09-04");
	json_decref(ok(e, "submit", NOTICE_APP));
	json_decref(approve_item(e, "a", "2019-09-02T10:00"));
	json_t *c = approve_item(e, "b", "2019-09-05T10:00");
	json_t *k = ok(e, "show", "{\"case\":\"%s\"}", item_case(c, "c"));
	assert_string_equal(S(k, "status"), "in_progress");
	json_decref(k);
	assert_string_equal(S(c, "status"), "in_progress");
	asks_for_the_licence(c);
	json_decref(c);
	assert_sound(e);
	ot_engine_close(e);
}

/* A hook's check that reads the day (notice.lua: the name too old from
 * 2019-09-10): 戊, two stages ahead, finds nothing on 09-03 and the name
 * too old on 09-10, when 丙 opens asking for what it always did.  The
 * chain's notice tells the check from then on. */
static void a_check_that_reads_the_day_is_told_again(void **state)
{
	(void)state;
	ot_engine *e = open_at(NOTICE_RULES, ":memory:");
	json_decref(ok(e, "submit", NOTICE_APP));
	json_t *c = approve_item(e, "a", "2019-09-03T10:00");
	assert_int_equal(json_array_size(json_object_get(json_object_get(c, "notice"), "form_errors")), 0);
	json_decref(c);
	c = approve_item(e, "b", "2019-09-10T10:00");
	json_t *notice = json_object_get(c, "notice");
	json_t *fe = json_array_get(json_object_get(notice, "form_errors"), 0);
	assert_non_null(fe);
	assert_string_equal(S(fe, "field"), "name");
	assert_string_equal(S(fe, "message"), NAME_TOO_OLD);
	assert_true(listed(notice, "notice", "表单 form: " NAME_TOO_OLD));
	json_decref(c);
	assert_sound(e);
	ot_engine_close(e);
}

/* ---- what an item case of a chain takes from the applicant ---- */

static const char *TRIPS_RULES = OT_SOURCE_DIR "/tests/data/chain/trips.rules";

#define TRIPS_APP(mats) "{\"chain\":\"ch\",\"channel\":\"online\",\"now\":\"2019-09-02T09:00\"," \
	"\"applicant\":" COMPANY ",\"form\":{\"name\":\"旧名称\"},\"materials\":[" mats "]}"

static int trips_of(ot_engine *e, const char *id)
{
	json_t *c = ok(e, "show", "{\"case\":\"%s\"}", id);
	int n = (int)json_integer_value(json_object_get(c, "trips"));
	json_decref(c);
	return n;
}

/* Every visit the applicant makes for an item case counts on the chain
 * when it is made, though the item case's status stays: the in-person
 * check of 甲, a paper brought to the hall for 乙 while it is in
 * progress.  Withdrawing the chain afterwards loses none of them, and
 * the chain replays to the same count. */
static void every_visit_counts_on_the_chain(void **state)
{
	(void)state;
	ot_engine *e = open_at(TRIPS_RULES, ":memory:");
	json_t *c = ok(e, "submit", TRIPS_APP("\"plan\",\"x\""));
	char a[32], b[32];
	snprintf(a, sizeof a, "%s", item_case(c, "a"));
	snprintf(b, sizeof b, "%s", item_case(c, "b"));
	assert_int_equal(json_integer_value(json_object_get(c, "trips")), 0);
	json_decref(c);
	approve(e, a, "visit", "bureau", "2019-09-02T10:00");
	assert_int_equal(trips_of(e, "20190902-0001"), 1);
	json_t *s = ok(e, "supplement", "{\"case\":\"%s\",\"materials\":[\"plan\"],\"channel\":\"hall\","
		       "\"now\":\"2019-09-02T11:00\"}", b);
	assert_string_equal(S(s, "status"), "in_progress");
	assert_int_equal(json_integer_value(json_object_get(s, "trips")), 1);
	json_decref(s);
	assert_int_equal(trips_of(e, "20190902-0001"), 2);
	json_decref(ok(e, "withdraw", "{\"case\":\"20190902-0001\",\"now\":\"2019-09-02T12:00\"}"));
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_equal(S(c, "status"), "withdrawn");
	assert_int_equal(json_integer_value(json_object_get(c, "trips")), 2);
	json_decref(c);
	assert_sound(e);
	ot_engine_close(e);
}

/* 说明 handed in on 丁's case goes on to 丙's beside it, whose hook fails
 * on it: the supplement is refused, nothing of it kept, and the applicant
 * is told which item case failed -- not only the hook's words. */
static void a_paper_passed_on_to_a_failing_hook_names_its_case(void **state)
{
	(void)state;
	ot_engine *e = open_at(OT_SOURCE_DIR "/tests/data/chain/hooked.rules", ":memory:");
	json_t *c = ok(e, "submit", TRIPS_APP("\"plan\""));
	char a[32];
	snprintf(a, sizeof a, "%s", item_case(c, "a"));
	json_decref(c);
	approve(e, a, "decide", "bureau", "2019-09-02T10:00");
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	char cc[32], d[32], want[128];
	snprintf(cc, sizeof cc, "%s", item_case(c, "c"));
	snprintf(d, sizeof d, "%s", item_case(c, "d"));
	json_decref(c);
	snprintf(want, sizeof want, "passing the papers on to item case %s (丙): ", cc);
	char req[160];
	snprintf(req, sizeof req, "{\"case\":\"%s\",\"materials\":[\"x\"],\"now\":"
		 "\"2019-09-02T11:00\"}", d);
	refused(e, "supplement", OT_EHOOK, want, req);
	json_t *shown = ok(e, "show", "{\"case\":\"%s\"}", d);
	assert_string_equal(S(shown, "status"), "needs_supplement");
	json_decref(shown);
	assert_sound(e);
	ot_engine_close(e);
}

/* 甲's and 乙's results, collected at the window on one day, are one
 * visit of the chain (each item case counts its own); on another day, a
 * visit more.  Replayed from its events, the chain counts the same. */
static void pickups_of_one_day_are_one_visit(void **state)
{
	(void)state;
	ot_engine *e = open_at(TRIPS_RULES, ":memory:");
	json_t *c = ok(e, "submit", TRIPS_APP("\"plan\",\"x\""));
	char a[32], b[32];
	snprintf(a, sizeof a, "%s", item_case(c, "a"));
	snprintf(b, sizeof b, "%s", item_case(c, "b"));
	json_decref(c);
	approve(e, a, "visit", "bureau", "2019-09-02T10:00");
	approve(e, a, "decide", "bureau", "2019-09-02T11:00");
	approve(e, b, "decide", "bureau", "2019-09-02T12:00");
	json_decref(ok(e, "deliver", "{\"case\":\"%s\",\"method\":\"window\",\"now\":\"2019-09-04T09:00\"}", a));
	json_decref(ok(e, "deliver", "{\"case\":\"%s\",\"method\":\"window\",\"now\":\"2019-09-04T16:00\"}", b));
	assert_int_equal(trips_of(e, b), 1);
	assert_int_equal(trips_of(e, "20190902-0001"), 2);
	assert_sound(e);
	ot_engine_close(e);
}

/* A paper and a form correction handed in on an item case of a chain
 * (engine.md §13.4 allows it) are the chain's too: 说明 and the new name,
 * given to 丙's case at the hall, serve 丁 when it opens -- no second
 * trip -- and the chain's notice no longer asks for 说明.  The visit
 * counts once, on 丙's case. */
static void a_paper_handed_to_an_item_case_serves_the_chain(void **state)
{
	(void)state;
	ot_engine *e = open_at(TRIPS_RULES, ":memory:");
	json_t *c = ok(e, "submit", TRIPS_APP("\"plan\""));
	assert_true(listed(json_object_get(c, "notice"), "missing", "x"));
	char a[32], b[32];
	snprintf(a, sizeof a, "%s", item_case(c, "a"));
	snprintf(b, sizeof b, "%s", item_case(c, "b"));
	json_decref(c);
	approve(e, a, "visit", "bureau", "2019-09-02T10:00");
	approve(e, a, "decide", "bureau", "2019-09-02T11:00");
	approve(e, b, "decide", "bureau", "2019-09-02T12:00");
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_equal(S(c, "status"), "needs_supplement");
	char cc[32];
	snprintf(cc, sizeof cc, "%s", item_case(c, "c"));
	json_decref(c);
	json_decref(ok(e, "supplement", "{\"case\":\"%s\",\"materials\":[\"x\"],\"form\":{\"name\":"
		       "\"新名称\"},\"channel\":\"hall\",\"now\":\"2019-09-03T09:00\"}", cc));
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_equal(S(c, "status"), "in_progress");
	assert_string_equal(S(json_object_get(c, "materials"), "x"), "provided");
	assert_string_equal(S(json_object_get(c, "form"), "name"), "新名称");
	assert_false(listed(json_object_get(c, "notice"), "missing", "x"));
	assert_null(json_object_get(json_object_get(c, "notice"), "due")); /* accepted long ago */
	assert_int_equal(json_integer_value(json_object_get(c, "trips")), 2); /* 甲's check, 丙's paper */
	json_decref(c);
	approve(e, cc, "decide", "bureau", "2019-09-03T10:00");
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_equal(S(c, "status"), "in_progress");
	json_t *d = ok(e, "show", "{\"case\":\"%s\"}", item_case(c, "d"));
	assert_string_equal(S(d, "status"), "in_progress");
	assert_string_equal(S(json_object_get(d, "materials"), "x"), "provided");
	assert_string_equal(S(json_object_get(d, "form"), "name"), "新名称");
	json_decref(d);
	assert_int_equal(json_integer_value(json_object_get(c, "trips")), 2);
	json_decref(c);
	assert_sound(e);
	ot_engine_close(e);
}

/* The report, handed in on the review's case, reaches the check beside it
 * that waits for it too: handed in once, it serves every item case that
 * asks for it.  The chain's event says where it came from and whom it
 * reached. */
static void a_paper_handed_to_an_item_case_reaches_the_others(void **state)
{
	(void)state;
	ot_engine *e = open_at(SMALL_RULES, ":memory:");
	json_decref(ok(e, "submit", "{\"chain\":\"small\",\"now\":\"2019-09-02T09:00\",\"applicant\":"
		       COMPANY ",\"form\":{\"name\":\"x\",\"big\":true},\"materials\":[\"plan\"]}"));
	approve(e, "20190902-0002", "decide", "bureau", "2019-09-02T10:00");
	json_t *c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	char review[32], check[32];
	snprintf(review, sizeof review, "%s", item_case(c, "review"));
	snprintf(check, sizeof check, "%s", item_case(c, "check"));
	json_decref(c);
	json_decref(ok(e, "supplement", "{\"case\":\"%s\",\"now\":\"2019-09-02T11:00\","
		       "\"materials\":[\"report\"]}", review));
	json_t *k = ok(e, "show", "{\"case\":\"%s\"}", check);
	assert_string_equal(S(k, "status"), "in_progress");
	assert_string_equal(S(json_object_get(k, "materials"), "report"), "provided");
	json_decref(k);
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_string_equal(S(c, "status"), "in_progress");
	json_t *h = entry_with(json_object_get(c, "history"), "op", "supplement");
	assert_non_null(h);
	assert_string_equal(S(json_object_get(h, "from"), "case"), review);
	assert_int_equal(json_array_size(json_object_get(h, "reached")), 1);
	assert_string_equal(S(json_array_get(json_object_get(h, "reached"), 0), "case"), check);
	json_decref(c);
	assert_sound(e);
	ot_engine_close(e);
}

/* A form change on an item case may not change the items of a started
 * stage, as a chain-level one may not: refused as a whole, nothing
 * changes, neither the item case nor its chain. */
static void an_item_case_keeps_a_started_stage_too(void **state)
{
	(void)state;
	ot_engine *e = open_at(REVIEW_RULES, ":memory:");
	json_decref(ok(e, "submit", SKIP_APP("{\"name\":\"x\",\"big\":false}", "\"report\"")));
	approve(e, "20190902-0002", "decide", "bureau", "2019-09-02T10:00"); /* check */
	json_t *c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	char review[32];
	snprintf(review, sizeof review, "%s", item_case(c, "review"));
	int events = (int)json_integer_value(json_object_get(c, "events"));
	json_decref(c);
	int rv_events = events_of(e, review);
	refused(e, "supplement", OT_ESTATE, "cannot change the form of case 20190902-0003 so: it is "
		"an item case of chain case 20190902-0001, and item permit (许可) would be needed in "
		"stage first (第一阶段), which has started",
		"{\"case\":\"20190902-0003\",\"now\":\"2019-09-02T11:00\",\"form\":{\"big\":true},"
		"\"materials\":[\"permit_doc\"]}");
	assert_int_equal(events_of(e, "20190902-0001"), events);
	assert_int_equal(events_of(e, review), rv_events);
	ot_engine_close(e);
}

/* 丙 (online none) takes papers at the hall only: a chain-level
 * supplement online that would reach it is refused as a supplement online
 * on 丙 itself is, and nothing changes; at the hall it goes through. */
static void an_online_supplement_does_not_reach_a_hall_only_item(void **state)
{
	(void)state;
	ot_engine *e = open_at(REVIEW_RULES, ":memory:");
	json_t *c = ok(e, "submit", "{\"chain\":\"rcd\",\"now\":\"2019-09-02T09:00\","
		       "\"applicant\":" COMPANY ",\"form\":{\"name\":\"x\"},\"materials\":[\"plan\"]}");
	char cee[32];
	snprintf(cee, sizeof cee, "%s", item_case(c, "cee"));
	json_decref(c);
	json_decref(ok(e, "accept", "{\"case\":\"%s\",\"actor\":\"bureau\",\"now\":\"2019-09-02T10:00\"}",
		       cee));
	refused(e, "supplement", OT_EINVAL, "item cee cannot be applied for online (online none)",
		"{\"case\":\"20190902-0002\",\"now\":\"2019-09-02T11:00\",\"materials\":[\"report\"],"
		"\"channel\":\"online\"}");
	int events = events_of(e, "20190902-0001");
	refused(e, "supplement", OT_EINVAL, "cannot supplement chain case 20190902-0001 online: its "
		"item cee (丙) is handled at the hall only (online none), and the papers would reach it; "
		"hand them in at the chain's window (\"channel\": \"hall\")",
		"{\"case\":\"20190902-0001\",\"now\":\"2019-09-02T11:00\",\"materials\":[\"report\"],"
		"\"channel\":\"online\"}");
	assert_int_equal(events_of(e, "20190902-0001"), events);
	assert_int_equal(events_of(e, cee), 2);
	json_decref(ok(e, "supplement", "{\"case\":\"20190902-0001\",\"now\":\"2019-09-02T11:00\","
		       "\"materials\":[\"report\"],\"channel\":\"hall\"}"));
	json_t *k = ok(e, "show", "{\"case\":\"%s\"}", cee);
	assert_string_equal(S(json_object_get(k, "materials"), "report"), "provided");
	json_decref(k);
	ot_engine_close(e);
}

/* A paper 乙's case takes online stays 乙's while 丙 (online none) is
 * ahead: the chain does not hold it, and 丙 asks for it at the hall. */
static void a_paper_taken_online_is_not_the_chains_before_a_hall_only_item(void **state)
{
	(void)state;
	ot_engine *e = open_at(REVIEW_RULES, ":memory:");
	json_t *c = ok(e, "submit", "{\"chain\":\"rcm\",\"now\":\"2019-09-02T09:00\","
		       "\"applicant\":" COMPANY ",\"form\":{\"name\":\"x\"},\"materials\":[\"plan\"]}");
	char bee[32];
	snprintf(bee, sizeof bee, "%s", item_case(c, "bee"));
	json_decref(c);
	json_decref(ok(e, "supplement", "{\"case\":\"%s\",\"now\":\"2019-09-02T10:00\","
		       "\"materials\":[\"report\"],\"channel\":\"online\"}", bee));
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	assert_null(json_object_get(json_object_get(c, "materials"), "report"));
	json_decref(c);
	approve(e, bee, "decide", "bureau", "2019-09-02T11:00");
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	json_t *k = ok(e, "show", "{\"case\":\"%s\"}", item_case(c, "cee"));
	assert_true(listed(json_object_get(k, "notice"), "deferred", "report"));
	json_decref(k);
	json_decref(c);
	assert_sound(e);
	ot_engine_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_stage_transition_is_stored_soundly),
		cmocka_unit_test(item_operations_are_refused_on_a_chain),
		cmocka_unit_test(the_notice_of_one_stage),
		cmocka_unit_test(list_and_overdue_find_chains),
		cmocka_unit_test(a_supplement_reaches_who_lacks_it),
		cmocka_unit_test(the_status_follows_the_items),
		cmocka_unit_test(a_left_out_item_issues_nothing),
		cmocka_unit_test(a_held_licence_is_not_asked),
		cmocka_unit_test(a_refusal_stops_the_chain_with_its_reasons),
		cmocka_unit_test(a_supplement_passes_a_received_item_case),
		cmocka_unit_test(a_deferred_paper_reaches_the_case_once_accepted),
		cmocka_unit_test(a_started_stage_keeps_its_items),
		cmocka_unit_test(an_item_case_is_of_the_version_in_force_when_opened),
		cmocka_unit_test(an_opened_version_stays),
		cmocka_unit_test(no_version_in_force_refuses),
		cmocka_unit_test(the_notice_follows_an_item_opened_in_a_newer_version),
		cmocka_unit_test(an_item_ahead_between_versions_refuses_nothing),
		cmocka_unit_test(a_supplement_after_acceptance_has_no_due_of_its_own),
		cmocka_unit_test(a_licence_expired_since_is_asked_by_the_item_opened),
		cmocka_unit_test(a_licence_expired_since_is_asked_for_an_item_ahead),
		cmocka_unit_test(a_check_that_reads_the_day_is_told_again),
		cmocka_unit_test(every_visit_counts_on_the_chain),
		cmocka_unit_test(pickups_of_one_day_are_one_visit),
		cmocka_unit_test(a_paper_passed_on_to_a_failing_hook_names_its_case),
		cmocka_unit_test(a_paper_handed_to_an_item_case_serves_the_chain),
		cmocka_unit_test(a_paper_handed_to_an_item_case_reaches_the_others),
		cmocka_unit_test(an_item_case_keeps_a_started_stage_too),
		cmocka_unit_test(an_online_supplement_does_not_reach_a_hall_only_item),
		cmocka_unit_test(a_paper_taken_online_is_not_the_chains_before_a_hall_only_item),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
