/* The checker: every diagnostic code, triggered by the smallest rule text
 * that shows it, at the place a rule writer would look. */
#include "helpers.h"
#include "model.h"

/* An item using BASE; its body starts at line 18. */
#define ITEM(body) BASE "item i \"事项\" {\n department d\n calendar cn\n form f\n" body "\n}\n"
#define STEPS2 " steps { s \"受理\" by d within 1 workday; t \"决定\" by d within 1 workday }\n"

static void unknown_names(void **state)
{
	(void)state;
	expect_diag(ITEM(" steps { s \"s\" by dd }"), "E101", 18, 19,
		    "unknown department 'dd' — did you mean 'd'?");
	expect_diag(ITEM(" steps { s \"s\" by d.x }"), "E102", 18, 21,
		    "department 'd' has no window 'x'");
	expect_diag(ITEM(" materials { mm }\n steps { s \"s\" by d }"), "E103", 18, 14,
		    "unknown material 'mm' — did you mean 'm'?");
	expect_diag(BASE "item i \"x\" { department d; form g; steps { s \"s\" by d } }\n",
		    "E104", 14, 33, "unknown form 'g' — did you mean 'f'?");
	expect_diag(ITEM(" materials { m when form.aera > 1 }\n steps { s \"s\" by d }"),
		    "E105", 18, 26, "form 'f' has no field 'aera' — did you mean 'area'?");
	expect_diag(BASE "chain c \"c\" { stage s \"s\" { items nope } }\n", "E106", 14, 35,
		    "unknown item 'nope'");
	expect_diag(ITEM(STEPS2 " flow { s -> tt; t -> end }"), "E107", 19, 14,
		    "unknown step 'tt' — did you mean 't'?");
	expect_diag(ITEM(" steps { s \"s\" by d }") "chain c \"c\" { stage a \"a\" after b { items i } }\n",
		    "E108", 20, 33, "unknown stage 'b'");
	expect_diag(BASE "item i \"x\" { department d; calendar cm; steps { s \"s\" by d } }\n",
		    "E109", 14, 37, "unknown calendar 'cm' — did you mean 'cn'?");
}

static void wrong_kind_of_name(void **state)
{
	(void)state;
	expect_diag(ITEM(" steps { s \"s\" by m }"), "E101", 18, 19,
		    "'m' is a material, not a department");
}

static void duplicates(void **state)
{
	(void)state;
	expect_diag(BASE "department d \"again\"\n", "E110", 14, 12,
		    "department 'd' is declared twice (first at");
	expect_diag(ITEM(" steps { s \"s\" by d; s \"again\" by d }"), "E110", 18, 22,
		    "step 's' is declared twice");
	expect_diag(ITEM(" materials { m; m }\n steps { s \"s\" by d }"), "E110", 18, 17,
		    "listed twice");
	expect_diag("form f \"f\" { field x \"x\": text; field x \"y\": text }\n", "E110", 1, 39,
		    "two fields named 'x'");
}

static void invalid_values(void **state)
{
	(void)state;
	expect_diag(BASE "item i \"x\" { department d; online ful; steps { s \"s\" by d } }\n",
		    "E111", 14, 35, "'ful' is not a valid online level — did you mean 'full'?");
	expect_diag("material m \"m\" { holder persn }\n", "E111", 1, 25, "did you mean 'person'?");
	expect_diag("form f \"f\" { field x \"x\": txt }\n", "E111", 1, 27, "did you mean 'text'?");
	expect_diag("calendar c { weekend sat sunday }\n", "E111", 1, 26, "weekday");
	expect_diag("form f \"f\" { field x \"x\": text min 1 }\n", "E111", 1, 36,
		    "a text field cannot have 'min'");
	expect_diag("form f \"f\" { field x \"x\": integer min 1.5 }\n", "E111", 1, 39,
		    "whole number");
	expect_diag("form f \"f\" { field x \"x\": decimal min 10 max 1 }\n", "E111", 1, 46,
		    "max below its min");
	expect_diag(ITEM(" materials { m optional deferrable }\n steps { s \"s\" by d }"),
		    "E111", 18, 14, "both optional and deferrable");
}

static void missing_things(void **state)
{
	(void)state;
	expect_diag(BASE "item i \"x\" { steps { s \"s\" by d } }\n", "E112", 14, 6,
		    "item 'i' has no department");
	expect_diag(BASE "item i \"x\" { department d }\n", "E112", 14, 6, "has no steps");
	expect_diag("form f \"f\" { field x \"x\": enum }\n", "E112", 1, 27, "list of values");
	expect_diag("material m \"m\" { source shared }\n", "E112", 1, 18, "data source");
	expect_diag("department d \"d\"\nitem i \"x\" { department d; legal_limit 5 workdays; "
		    "steps { s \"s\" by d } }\n", "E112", 2, 6, "no calendar");
}

static void units(void **state)
{
	(void)state;
	expect_diag(BASE "item i \"x\" { department d; legal_limit 15 hours; steps { s \"s\" by d } }\n",
		    "E114", 14, 43, "working days, calendar days or months, not hours");
	/* calendar days are a limit of their own (公示 7 days) */
	expect_clean(BASE "item i \"x\" { department d; legal_limit 15 days; steps { s \"s\" by d within 7 days } }\n");
	/* the law's months (民法典 art. 202): an item's legal limit and its
	 * pledge check, not a step's limit nor a promise */
	expect_clean(BASE "item i \"x\" { department d; legal_limit 3 months; steps { s \"s\" by d } }\n");
	expect_diag(ITEM(" steps { s \"s\" by d within 2 months }"), "E114", 18, 30,
		    "working days or calendar days, not months");
	expect_diag(BASE "item i \"x\" { department d; legal_limit 3 months; promised_limit 1 month\n"
			 " steps { s \"s\" by d } }\n",
		    "E114", 14, 67, "working days or calendar days, not months");
	/* a promise surely longer than the longest months is E401; one that
	 * may fit them is not (the checker has no date to count on) */
	expect_diag(BASE "item i \"x\" { department d; legal_limit 2 months; promised_limit 51 workdays\n"
			 " steps { s \"s\" by d } }\n",
		    "E401", 14, 65, "promised_limit (51 workdays) is longer than legal_limit (2 months)");
	expect_clean(BASE "item i \"x\" { department d; legal_limit 2 months; promised_limit 50 workdays\n"
			  " steps { s \"s\" by d } }\n");
	expect_diag(BASE "item i \"x\" { department d; legal_limit 3 months; extension_limit 10 workdays\n"
			 " steps { s \"s\" by d } }\n",
		    "E114", 14, 50, "cannot lengthen a legal_limit in calendar months");
	/* the law counts an extension in working days */
	expect_diag(BASE "item i \"x\" { department d; legal_limit 20 workdays; extension_limit 10 days\n"
			 " steps { s \"s\" by d } }\n",
		    "E114", 14, 72, "working days, not days");
	expect_diag(ITEM(" steps { s \"s\" by d within 2 wrokdays }"), "E114", 18, 30,
		    "did you mean 'workdays'?");
	expect_diag("material m \"m\" { reusable 3 hours }\n", "E114", 1, 29, "hours");
}

/* issues: the licence, how long it is valid, and the licence whose
 * holding keeps it valid past that (the planning permit kept by the
 * construction permit got within its year). */
static void licences_issued(void **state)
{
	(void)state;
	expect_clean(ITEM(" issues p, m for 1 year unless p\n" STEPS2));
	expect_clean(ITEM(" issues m, p for 5 years\n" STEPS2));
	expect_diag(ITEM(" issues m valid 1 year\n" STEPS2), "E115", 18, 11,
		    "expected 'for' and how long the licence is valid, not 'valid'");
	expect_diag(ITEM(" issues m for 1 year until p\n" STEPS2), "E115", 18, 22,
		    "expected 'unless' and the licence that keeps it valid, not 'until'");
	expect_diag(ITEM(" issues m for 1 year unless q\n" STEPS2), "E103", 18, 29,
		    "unknown material 'q'");
	expect_diag(ITEM(" issues m for 1 year unless m\n" STEPS2), "E111", 18, 29,
		    "a licence cannot keep itself valid");
	/* a keeper nothing issues never reaches the library: nothing is kept */
	expect_diag(BASE "material k \"另一许可\"\n"
		    "item i \"甲\" { department d; issues m for 1 year unless k; steps { s \"s\" by d } }\n",
		    "E111", 15, 55, "'k' cannot keep 'm' valid: no item issues it");
	expect_diag(ITEM(" issues m, m for 1 year\n" STEPS2), "E113", 18, 12, "'m' is issued twice");
	expect_diag(ITEM(" issues m for 30 workdays\n" STEPS2), "E114", 18, 18,
		    "a licence is valid for calendar days, months or years");
	/* one keeper for a licence, whichever item issues it */
	expect_diag(BASE "material k \"另一许可\"\n"
		    "item i \"甲\" { department d; issues m for 1 year unless p; steps { s \"s\" by d } }\n"
		    "item j \"乙\" { department d; issues m for 1 year unless k; steps { s \"s\" by d } }\n",
		    "E113", 16, 55, "'m' is kept valid by 'p' where another item issues it");
	/* the guide's result_library and `issues` tell the same (W409) */
	expect_clean(ITEM(" online full; deliver electronic; issues m\n"
			  " guide { result_library yes }\n" STEPS2));
	expect_clean(ITEM(" online full; deliver electronic\n guide { result_library no }\n" STEPS2));
	expect_diag(ITEM(" guide { result_library yes }\n" STEPS2), "W409", 18, 25,
		    "the guide says the result goes into the licence library, but item 'i' issues nothing");
	expect_diag(ITEM(" issues m\n guide { result_library no }\n" STEPS2), "W409", 19, 25,
		    "item 'i' issues 'm' into the licence library, but its guide says result_library no");
	expect_diag(ITEM(" issues m, p\n guide { result \"许可证\" }\n" STEPS2), "W409", 18, 9,
		    "item 'i' issues 'm' into the licence library, but its guide does not say "
		    "result_library yes");
	/* a guide line told wrong (E111) is not compared */
	compiled c = compile_src(ITEM(" issues m\n guide { result_library maybe }\n" STEPS2));
	assert_non_null(find_diag(&c, "E111", 19));
	assert_null(find_diag(&c, "W409", 0));
	compiled_free(&c);
}

/* A chain opens the version of a listed item in force on the day: one
 * that differs from the listed item in its form, applicant or online
 * level would open a case the chain cannot fill in or is not for (W411). */
static void chain_item_versions(void **state)
{
	(void)state;
#define VERSIONS(old_attrs) BASE "form g \"表二\" { field x \"x\": text }\n" \
	"item old \"旧\" { department d; " old_attrs "; in_force until 2019-12-31; steps { s \"s\" by d } }\n" \
	"item new \"新\" { department d; form f; applicant company; replaces old; " \
	"in_force from 2020-01-01; steps { s \"s\" by d } }\n" \
	"chain c \"链\" { form f; stage one \"一\" { items new } }\n"
	expect_clean(VERSIONS("form f; applicant company"));
	expect_diag(VERSIONS("form g; applicant company"), "W411", 17, 45,
		    "item 'old', which the chain opens for 'new' on its days, uses form 'g' where "
		    "'new' uses form 'f'");
	expect_diag(VERSIONS("form f; applicant person"), "W411", 17, 45,
		    "is for applicants 'person' where 'new' is for 'company'");
	expect_diag(VERSIONS("form f; applicant company; online full"), "W411", 17, 45,
		    "is online full where 'new' is online none");
#undef VERSIONS
}

static void expression_types(void **state)
{
	(void)state;
	expect_diag(ITEM(" materials { m when form.ok > 1 }\n steps { s \"s\" by d }"),
		    "E201", 18, 21, "cannot compare true or false with a number");
	expect_diag(ITEM(" materials { m when form.area }\n steps { s \"s\" by d }"),
		    "E201", 18, 21, "a condition must be true or false, but this is a number");
	expect_diag(ITEM(" materials { m when form.name > \"x\" }\n steps { s \"s\" by d }"),
		    "E201", 18, 21, "'>' orders numbers and dates, not text");
	expect_diag(ITEM(" materials { m when form.ok and form.n }\n steps { s \"s\" by d }"),
		    "E201", 18, 33, "'and' needs true or false on each side");
	expect_diag(ITEM(" materials { m when form.kind == d }\n steps { s \"s\" by d }"),
		    "E202", 18, 34, "'d' is not a value of 'kind'");
	expect_diag(ITEM(" materials { m when form.kind in [a, x] }\n steps { s \"s\" by d }"),
		    "E202", 18, 38, "'x' is not a value of 'kind'");
	expect_diag(BASE "item i \"x\" { department d\n materials { m when form.n > 1 }\n"
			 " steps { s \"s\" by d } }\n",
		    "E203", 15, 21, "this item has no form");
	expect_diag(ITEM(" materials { m when sum(form.n) > 1 }\n steps { s \"s\" by d }"),
		    "E204", 18, 21, "unknown function 'sum'");
	expect_diag(ITEM(" materials { m when len(form.name, 2) > 1 }\n steps { s \"s\" by d }"),
		    "E205", 18, 21, "len takes one value");
	expect_diag(ITEM(" materials { m when area > 1 }\n steps { s \"s\" by d }"),
		    "E206", 18, 21, "unknown name 'area'");
	expect_diag(ITEM(" materials { m when lua.big(form.n) }\n steps { s \"s\" by d }"),
		    "E204", 18, 21, "no hook file");
	/* the good ones */
	expect_clean(ITEM(" materials { m when form.kind in [a, b] and not form.ok or "
			  "form.area * 2 >= 10.5 and len(form.name) > 0 and "
			  "form.day < 2020-01-01 and applicant.kind == company and c != form.kind }\n"
			  " steps { s \"s\" by d }"));
}

static void flow_checks(void **state)
{
	(void)state;
	expect_diag(ITEM(STEPS2 " flow { s -> end }"), "E301", 18, 40,
		    "step 't' can never be reached from the first step 's'");
	expect_diag(ITEM(" steps { s \"s\" by d; t \"t\" by d; u \"u\" by d }\n"
			 " flow { s -> t; t -> u; u -> t }"),
		    "E303", 18, 22, "steps 't', 'u' go round in a loop with no way out");
	expect_diag(ITEM(STEPS2 " flow { s -> t when form.ok; t -> end }"), "E304", 19, 9,
		    "step 's' has conditional exits but no 'otherwise'");
	expect_diag(ITEM(STEPS2 " flow { s -> t; s -> end when form.ok; t -> end }"), "E306",
		    19, 9, "both conditional exits and an exit without a condition");
	expect_diag(ITEM(STEPS2 " flow { s -> t when form.ok; s -> end otherwise; "
			 "s -> t otherwise; t -> end }"),
		    "E307", 19, 57, "more than one 'otherwise'");
	expect_diag(ITEM(STEPS2 " flow { s -> t, t; t -> end }"), "E308", 19, 17,
		    "named twice after the arrow");
	expect_diag(ITEM(STEPS2 " flow { s -> t }"), "E302", 18, 40, "step 't' has no exit");
	/* a join of two alternatives never starts */
	expect_diag(ITEM(" steps { s \"s\" by d; a \"a\" by d; b \"b\" by d; j \"j\" by d }\n"
			 " flow { s -> a when form.ok; s -> b otherwise; a, b -> j; j -> end }"),
		    "E305", 19, 48, "this join can never start: 'a' and 'b'");
	/* ... and a fork's branches join fine */
	expect_clean(ITEM(" steps { s \"s\" by d; a \"a\" by d; b \"b\" by d; j \"j\" by d }\n"
			  " flow { s -> a, b; a, b -> j; j -> end }"));
	expect_diag(ITEM(" steps { s \"s\" by d; a \"a\" by d; b \"b\" by d; j \"j\" by d }\n"
			 " flow { s -> a, b; a -> j; b -> j; j -> end }"),
		    "W302", 18, 46, "started again while it is still running");
	/* no flow block: the steps run in the order listed */
	expect_clean(ITEM(STEPS2));
}

static void limits(void **state)
{
	(void)state;
	expect_diag(BASE "item i \"x\" { department d\n legal_limit 5 workdays\n"
			 " promised_limit 7 workdays\n steps { s \"s\" by d } }\n",
		    "E401", 16, 17, "promised_limit (7 workdays) is longer than legal_limit (5 workdays)");
	compiled c = compile_src(BASE "item i \"x\" { department d\n promised_limit 4 workdays\n"
				 " steps { a \"a\" by d within 1 workday; b \"b\" by d within 3 workdays;"
				 " c \"c\" by d within 1 workday; z \"z\" by d within 1 workday }\n"
				 " flow { a -> b, c; b, c -> z; z -> end } }\n");
	const ot_diag *d = find_diag(&c, "W401", 15);
	assert_non_null(d);
	assert_non_null(strstr(d->message, "takes 5 workdays, more than the promised_limit of 4"));
	assert_string_equal(d->hint, "the path: a (1) → b (3) → z (1)");
	assert_int_equal(d->severity, OT_WARNING);
	assert_int_equal(c.st, OT_OK); /* warnings do not fail */
	compiled_free(&c);
}

static void strict_makes_warnings_errors(void **state)
{
	(void)state;
	const char *src = BASE "item i \"x\" { department d; applicant company\n"
			       " materials { p }\n steps { s \"s\" by d } }\n";
	expect_diag(src, "W402", 15, 14, "held by a person, but this item's applicant is a company");
	ot_compile_options o = {NULL, NULL, 1};
	compiled c = {0};
	c.st = ot_rules_compile_text("t.rules", src, strlen(src), &o, &c.rules, &c.diags);
	assert_int_equal(c.st, OT_ERULES);
	assert_int_equal(ot_diags_get(c.diags, 0)->severity, OT_ERROR);
	compiled_free(&c);
}

static void calendars(void **state)
{
	(void)state;
	expect_diag("calendar c { holiday 2019-10-01 \"a\"; workday 2019-10-01 }\n", "E403", 1, 46,
		    "listed both as a holiday and as a make-up working day");
	expect_diag("calendar c { workday 2019-10-08 }\n", "W403", 1, 22,
		    "2019-10-08 is a Tuesday, already a working day");
	/* a repeated date or weekday is told once, where it is repeated */
	const char *twice = "calendar c {\n  weekend sat sun sat\n"
			    "  holiday 2025-10-01..2025-10-08 \"a\"\n  workday 2025-10-11\n"
			    "  holiday 2025-10-02..2025-10-03 \"b\"\n  workday 2025-10-11\n}\n";
	expect_diag(twice, "W408", 2, 19, "'sat' is named twice in the weekend");
	expect_diag(twice, "W408", 5, 11, "2025-10-02 is already listed as a holiday at line 3");
	expect_diag(twice, "W408", 6, 11, "2025-10-11 is already listed as a make-up working day at line 4");
	compiled c = compile_src(twice);
	assert_int_equal(ot_diags_count(c.diags), 3);
	assert_int_equal(ot_diags_errors(c.diags), 0);
	compiled_free(&c);
}

static void chains(void **state)
{
	(void)state;
	const char *items = ITEM(" steps { s \"s\" by d }");
	char src[4096];
	snprintf(src, sizeof src, "%schain c \"c\" { stage a \"a\" after a { items i } }\n", items);
	expect_diag(src, "E501", 20, 33, "stage 'a' is said to come after itself");
	snprintf(src, sizeof src, "%schain c \"c\" { stage a \"a\" after b { items i }\n"
		 " stage b \"b\" after a { items i } }\n", items);
	expect_diag(src, "E502", 20, 21, "wait for each other in a cycle");
	snprintf(src, sizeof src, "%sform g \"g\" { field x \"x\": text }\n"
		 "chain c \"c\" { form g; stage a \"a\" { items i } }\n", items);
	expect_diag(src, "W405", 21, 43, "item 'i' uses form 'f', not the chain's form 'g'");
	/* a stage given less than its items take: overdue while they are on time (W410) */
	snprintf(src, sizeof src, "%schain c \"c\" { stage a \"a\" { within 2 workdays; items i } }\n",
		 ITEM(" promised_limit 5 workdays\n steps { s \"s\" by d }"));
	expect_diag(src, "W410", 21, 36, "stage 'a' is given 2 workdays, but its items take 5");
	const char *two = BASE
		"item i \"甲\" { department d; calendar cn; promised_limit 3 workdays; steps { s \"s\" by d } }\n"
		"item j \"乙\" { department d; calendar cn; legal_limit 4 workdays; steps { s \"s\" by d } }\n"
		"chain c \"c\" { stage a \"a\" { within %d workdays; items i, j; j after i } }\n";
	snprintf(src, sizeof src, two, 6);
	compiled c = compile_src(src);
	const ot_diag *d = find_diag(&c, "W410", 16);
	assert_non_null(d);
	assert_non_null(strstr(d->message, "stage 'a' is given 6 workdays, but its items take 7"));
	assert_non_null(strstr(d->hint, "i (3) → j (4); give the stage at least 7 workdays"));
	compiled_free(&c);
	snprintf(src, sizeof src, two, 7);
	expect_clean(src);
}

static void files_and_use(void **state)
{
	(void)state;
	const char *path = OT_TEST_DATA "/cycle_a.rules";
	compiled c = {0};
	c.st = ot_rules_compile(&path, 1, NULL, &c.rules, &c.diags);
	const ot_diag *d = find_diag(&c, "E021", 1);
	assert_non_null(d);
	assert_non_null(strstr(d->message, "cycle_a.rules → "));
	assert_non_null(strstr(d->message, "cycle_b.rules → "));
	compiled_free(&c);

	path = OT_TEST_DATA "/uses_missing.rules";
	c.st = ot_rules_compile(&path, 1, NULL, &c.rules, &c.diags);
	assert_int_equal(c.st, OT_ERULES);
	assert_non_null(find_diag(&c, "E020", 1));
	compiled_free(&c);

	path = OT_TEST_DATA "/diamond.rules"; /* the shared file is loaded once */
	c.st = ot_rules_compile(&path, 1, NULL, &c.rules, &c.diags);
	assert_int_equal(c.st, OT_OK);
	assert_int_equal(ot_diags_count(c.diags), 0);
	assert_int_equal(c.rules->n_departments, 1);
	compiled_free(&c);

	path = OT_TEST_DATA "/no_such_dir/x.rules";
	c.st = ot_rules_compile(&path, 1, NULL, &c.rules, &c.diags);
	assert_int_equal(c.st, OT_EIO);
	assert_non_null(find_diag(&c, "E020", 0));
	compiled_free(&c);
}

static void all_errors_in_one_run(void **state)
{
	(void)state;
	char *path = OT_TEST_DATA "/../golden/ten_mistakes.rules";
	compiled c = {0};
	c.st = ot_rules_compile((const char *const *)&path, 1, NULL, &c.rules, &c.diags);
	assert_int_equal(c.st, OT_ERULES);
	assert_true(ot_diags_errors(c.diags) >= 10);
	compiled_free(&c);
}

static void fixes_from_review(void **state)
{
	(void)state;
	/* a misspelt step after the arrow is that, and nothing else */
	compiled c = compile_src(ITEM(STEPS2 " flow { s -> tt; t -> end }"));
	assert_non_null(find_diag(&c, "E107", 19));
	assert_null(find_diag(&c, "E301", 0));
	compiled_free(&c);
	expect_diag("material m \"m\" { holder person; holder company }\n", "E113", 1, 33,
		    "'holder' is given twice");
	expect_diag("calendar c { weekend sat sun; weekend sun }\n", "E113", 1, 31,
		    "'weekend' is given twice");
	expect_diag("calendar c { weekend saturday }\n", "E111", 1, 22, "did you mean 'sat'?");
	expect_diag(ITEM(" materials { m when area > 1 }\n steps { s \"s\" by d }"), "E206", 18, 21,
		    "did you mean 'form.area'?");
	expect_diag(ITEM(" materials { m when lenght(form.name) > 1 }\n steps { s \"s\" by d }"),
		    "E204", 18, 21, "did you mean 'len'?");
	expect_diag("calendar c { holiday 1899-01-01 }\n", "E006", 1, 22, "outside the years");
	expect_diag(BASE "item i \"x\" { department d; legal_limit 1 workdays\n"
			 " steps { s \"s\" by d within 1 workday; t \"t\" by d within 1 workday } }\n",
		    "W401", 14, 28, "more than the legal_limit of 1");
	expect_diag("material m \"m\" { source shared d }\n", "E112", 1, 18, "in quotes");
	expect_diag("timezone \"Beijing\"\n", "E111", 1, 10, "not a time zone offset");
	expect_diag("timezone \"+08:00\"\ntimezone \"+08:00\"\n", "E113", 2, 1, "given twice");
	/* a file in another encoding: one report, not one per character */
	c = compile_src("department d \"\xd7\xa1\xb7\xbf\"\n# \xb9\xab\xd7\xa1\n");
	assert_int_equal(ot_diags_count(c.diags), 1);
	assert_non_null(strstr(ot_diags_get(c.diags, 0)->message, "GBK"));
	compiled_free(&c);
}

/* `use FORM` in a form takes over that form's fields, in order */
static void forms_take_over_fields(void **state)
{
	(void)state;
	compiled c = compile_src("form base { field name: text required; field id_no: id_number }\n"
				 "form mid { use base; field phone: text }\n"
				 "form full { use mid\n field reason: text }\n");
	assert_int_equal(c.st, OT_OK);
	const m_form *f = &c.rules->forms[2];
	assert_int_equal(f->fields.count, 4);
	assert_string_equal(c.rules->fields[f->fields.first].name, "name");
	assert_true(c.rules->fields[f->fields.first].required);
	assert_string_equal(c.rules->fields[f->fields.first + 3].name, "reason");
	compiled_free(&c);
	expect_diag("form base { field name: text }\nform f { field name: text; use base }\n",
		    "E110", 2, 32, "gets a second field 'name' from 'base'");
	expect_diag("form a { use b }\nform b { use a; field x: text }\n", "E021", 1, 10,
		    "form 'a' uses 'b', which leads back to 'a'");
	expect_diag("form a { use b; field x: text }\nform b { use a }\n", "E021", 1, 10,
		    "form 'a' uses 'b', which leads back to 'a'");
	expect_diag("form f { use bsae; field x: text }\nform base { field y: text }\n", "E104",
		    1, 14, "unknown form 'bsae'");
	/* a mistake in a field that two forms share is said once */
	compiled d = compile_src("form base { field n: txet }\nform f { use base }\n");
	assert_int_equal(ot_diags_errors(d.diags), 1);
	compiled_free(&d);
}

/* the shared definitions built into the engine, wherever the rule base is */
static void stdlib_rules(void **state)
{
	(void)state;
	compiled c = compile_src("use \"stdlib/materials.rules\"\nuse \"stdlib/forms.rules\"\n"
				 "department d\n"
				 "form f { use person_applicant; field x: text }\n"
				 "item i { department d; form f; materials { id_card; photo }; steps { s by d } }\n");
	assert_int_equal(c.st, OT_OK);
	assert_int_equal(c.rules->materials[0].source, SRC_SHARED);
	/* a stored version keeps the text it was compiled with */
	ot_rules *again = NULL;
	ot_diags *d = NULL;
	assert_int_equal(ot_rules_compile_sources(ot_rules_sources(c.rules), NULL, &again, &d), OT_OK);
	assert_string_equal(ot_rules_hash(again), ot_rules_hash(c.rules));
	ot_rules_free(again);
	ot_diags_free(d);
	compiled_free(&c);
	expect_diag("use \"stdlib/material.rules\"\n", "E020", 1, 5, "cannot read \"stdlib/material.rules\"");
	/* found by the fuzzer: an empty name read before the string */
	expect_diag("use \"\"\n", "E020", 1, 5, "'use' needs the name of a rule file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_names),
		cmocka_unit_test(wrong_kind_of_name),
		cmocka_unit_test(duplicates),
		cmocka_unit_test(invalid_values),
		cmocka_unit_test(missing_things),
		cmocka_unit_test(units),
		cmocka_unit_test(expression_types),
		cmocka_unit_test(flow_checks),
		cmocka_unit_test(limits),
		cmocka_unit_test(strict_makes_warnings_errors),
		cmocka_unit_test(calendars),
		cmocka_unit_test(chains),
		cmocka_unit_test(files_and_use),
		cmocka_unit_test(all_errors_in_one_run),
		cmocka_unit_test(fixes_from_review),
		cmocka_unit_test(licences_issued),
		cmocka_unit_test(chain_item_versions),
		cmocka_unit_test(forms_take_over_fields),
		cmocka_unit_test(stdlib_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
