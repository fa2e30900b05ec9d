/* The scanner, seen through what a rule writer notices: which texts are
 * accepted, what each lexical mistake reports, and where. */
#include "helpers.h"
#include "model.h"

static void chinese_names_and_labels(void **state)
{
	(void)state;
	compiled c = compile_src("department 住建局 \"立山区住房和城乡建设局\"\n"
				 "material 营业执照 \"营业执照\" { source issued_by 住建局 }\n");
	assert_int_equal(c.st, OT_OK);
	assert_string_equal(c.rules->departments[0].name, "住建局");
	assert_int_equal(c.rules->materials[0].issuer, 0);
	compiled_free(&c);
}

int dsl_keywords_sorted(void);

/* a keyword out of order would silently read as a name */
static void keywords_are_found(void **state)
{
	(void)state;
	assert_true(dsl_keywords_sorted());
	compiled c = compile_src("department d\nmaterial m\n"
				 "item i { department d; issues m; steps { s by d } }\n");
	assert_int_equal(c.st, OT_OK);
	assert_int_equal(c.rules->items[0].n_issued, 1);
	compiled_free(&c);
}

static void string_escapes(void **state)
{
	(void)state;
	compiled c = compile_src("department d \"a\\\"b\\\\c\\n\\u{4E2D}\\t\"\n");
	assert_int_equal(c.st, OT_OK);
	assert_string_equal(c.rules->departments[0].label, "a\"b\\c\n中\t");
	compiled_free(&c);
}

static void bad_escapes(void **state)
{
	(void)state;
	expect_diag("department d \"a\\qb\"\n", "E003", 1, 16, "unknown escape");
	expect_diag("department d \"\\u{D800}\"\n", "E003", 1, 15, "not a character");
	expect_diag("department d \"\\u{110000}\"\n", "E003", 1, 15, NULL);
}

static void unterminated_string_keeps_going(void **state)
{
	(void)state;
	const char *src = "department d \"open\n"
			  "material m \"材料\" { source issued_by dd }\n";
	expect_diag(src, "E002", 1, 14, "no closing quote");
	/* the next line is still checked */
	expect_diag(src, "E101", 2, 36, "unknown department 'dd'");
}

static void invalid_utf8(void **state)
{
	(void)state;
	expect_diag("department d \"\xff\"\n", "E004", 1, 15, "not valid UTF-8");
	expect_diag("# comment \xc3\x28\ndepartment d\n", "E004", 1, 11, NULL);
	expect_diag("department d\n\xe4\xb8\n", "E004", 2, 1, NULL);
}

static void nul_and_control_bytes(void **state)
{
	(void)state;
	compiled c = {0};
	const char src[] = "department d\0 \"x\"\n";
	c.st = ot_rules_compile_text(OT_TEST_DATA "/t.rules", src, sizeof src - 1,
				     NULL, &c.rules, &c.diags);
	assert_non_null(find_diag(&c, "E001", 1));
	compiled_free(&c);
	expect_diag("department d @\n", "E001", 1, 14, "'@' is not allowed");
}

static void bom_and_crlf(void **state)
{
	(void)state;
	expect_clean("\xEF\xBB\xBF" "department d \"x\"\r\ndepartment e \"y\"\r\n");
	expect_diag("department d \"x\"\r\nmaterial m \"m\" { source issued_by q }\r\n",
		    "E101", 2, 35, NULL);
}

static void fullwidth_punctuation(void **state)
{
	(void)state;
	const char *src = BASE "item i \"事项\" { department d；steps { s \"受理\" by d } }\n";
	expect_diag(src, "E008", 14, 27, "full-width '；'");
	/* reported once, then read as ';': no syntax error follows */
	compiled c = compile_src(src);
	assert_null(find_diag(&c, "E010", 0));
	compiled_free(&c);
	expect_diag("department d \"x\"\u3000\n", "E008", 1, 17, "full-width space");
}

static void dates(void **state)
{
	(void)state;
	expect_diag("calendar c { holiday 2019-02-29 \"x\" }\n", "E006", 1, 22,
		    "2019-02 has no day 29");
	expect_diag("calendar c { holiday 2019-13-01 \"x\" }\n", "E006", 1, 22,
		    "no month 13");
	expect_clean("calendar c { holiday 2020-02-29 \"leap day\" }\n");
	expect_diag("calendar c { holiday 2019-10-07..2019-10-01 }\n", "E007", 1, 22,
		    "ends (2019-10-01) before it starts (2019-10-07)");
}

static void numbers(void **state)
{
	(void)state;
	expect_diag("material m \"m\" { copies 99999999999999999999 }\n", "E005", 1, 25,
		    "too large");
	expect_diag(BASE "form g \"g\" { field x \"x\": decimal min 1.1234567890123456789 }\n",
		    "E005", 14, 39, "too many digits");
}

static void columns_count_characters(void **state)
{
	(void)state;
	/* 'q' is the 39th character of the line, though byte 51 */
	expect_diag("material 材料 \"营业执照\" { source issued_by q }\n", "E101", 1, 39, NULL);
}

static void hash_ignores_layout(void **state)
{
	(void)state;
	compiled a = compile_src("department d \"部门\"\nmaterial m \"m\"\n");
	compiled b = compile_src("# a comment\ndepartment   d\t\"部门\" ;\n\n"
				 "material m \"m\"   # trailing\n");
	compiled c = compile_src("department d \"部门!\"\nmaterial m \"m\"\n");
	compiled e = compile_src("department d \"\\u{90E8}门\"\nmaterial m \"m\"\n");
	assert_int_equal(a.st, OT_OK);
	assert_int_equal(strlen(ot_rules_hash(a.rules)), 64);
	assert_string_equal(ot_rules_hash(a.rules), ot_rules_hash(b.rules));
	assert_string_not_equal(ot_rules_hash(a.rules), ot_rules_hash(c.rules));
	assert_string_equal(ot_rules_hash(a.rules), ot_rules_hash(e.rules));
	compiled_free(&a);
	compiled_free(&b);
	compiled_free(&c);
	compiled_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chinese_names_and_labels),
		cmocka_unit_test(keywords_are_found),
		cmocka_unit_test(string_escapes),
		cmocka_unit_test(bad_escapes),
		cmocka_unit_test(unterminated_string_keeps_going),
		cmocka_unit_test(invalid_utf8),
		cmocka_unit_test(nul_and_control_bytes),
		cmocka_unit_test(bom_and_crlf),
		cmocka_unit_test(fullwidth_punctuation),
		cmocka_unit_test(dates),
		cmocka_unit_test(numbers),
		cmocka_unit_test(columns_count_characters),
		cmocka_unit_test(hash_ignores_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
