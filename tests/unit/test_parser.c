/* The grammar: the contract example, separators, and what each syntax
 * mistake reports -- including that one mistake does not hide the next. */
#include "helpers.h"
#include "model.h"

static void contract_example(void **state)
{
	(void)state;
	const char *path = OT_SOURCE_DIR "/tests/contract/rules/contract.rules";
	ot_rules *r = NULL;
	ot_diags *d = NULL;
	assert_int_equal(ot_rules_compile(&path, 1, NULL, &r, &d), OT_OK);
	assert_int_equal(ot_diags_errors(d), 0);
	assert_int_equal(r->n_items, 2);
	assert_int_equal(r->n_departments, 4);
	assert_int_equal(r->n_windows, 2);
	assert_int_equal(r->n_materials, 5);
	assert_int_equal(r->n_forms, 1);
	assert_int_equal(r->forms[0].fields.count, 6);
	assert_int_equal(r->n_chains, 1);
	assert_int_equal(r->chains[0].stages.count, 2);
	assert_int_equal(r->n_calendars, 1);
	const m_item *it = &r->items[0];
	assert_string_equal(it->name, "construction_permit");
	assert_string_equal(it->code, "21020400120000");
	assert_int_equal(it->type, 1);
	assert_int_equal(it->legal_limit, 15);
	assert_int_equal(it->promised_limit, 7);
	assert_int_equal(it->deliver, DELIVER_WINDOW | DELIVER_POST | DELIVER_ELECTRONIC);
	assert_int_equal(it->steps.count, 4);
	assert_int_equal(it->rules.count, 5);
	assert_int_equal(it->reqs.count, 5);
	assert_string_equal(r->exprs[r->reqs[it->reqs.first + 3].cond].text,
			    "form.height > 24 or form.kind == public");
	assert_int_equal(r->reqs[it->reqs.first + 4].optional, 1);
	ot_rules_free(r);
	ot_diags_free(d);
}

static void separators_are_optional(void **state)
{
	(void)state;
	expect_clean(BASE "item i \"x\" { department d; form f; steps { s \"受理\" by d; t \"审\" by e }; "
			  "flow { s -> t; t -> end } }\n");
	expect_clean(BASE "item i \"x\" {\n department d\n form f\n steps {\n s \"受理\" by d\n }\n}\n");
}

static void misspelt_keyword(void **state)
{
	(void)state;
	expect_diag(BASE "item i \"x\" {\n  department d\n  legal_limt 15 workdays\n"
			 "  steps { s \"s\" by d }\n}\n",
		    "E010", 16, 3, "did you mean 'legal_limit'?");
}

/* `legal_limit 15` is told at the 15, with the units, not as an
 * unexpected word on the next line. */
static void duration_without_unit(void **state)
{
	(void)state;
	const char *src = BASE "item i \"x\" {\n  department d\n  legal_limit 15\n"
			       "  promised_limit 5 workdays\n  steps { s \"s\" by d }\n}\n";
	expect_diag(src, "E010", 16, 15, "the number 15 needs its unit after it");
	compiled c = compile_src(src);
	const ot_diag *d = find_diag(&c, "E010", 16);
	assert_non_null(strstr(d->hint, "such as 15 workdays; the units are workday(s), day(s)"));
	assert_null(find_diag(&c, "E010", 17));
	compiled_free(&c);
	expect_diag(BASE "material r \"r\" {\n  reusable 6", "E010", 15, 12,
		    "the number 6 needs its unit after it");
}

static void reserved_word_as_name(void **state)
{
	(void)state;
	compiled c = compile_src("department type \"x\"\n");
	const ot_diag *d = find_diag(&c, "E010", 1);
	assert_non_null(d);
	assert_non_null(strstr(d->hint, "'type' is a reserved word"));
	compiled_free(&c);
}

static void keywords_as_field_names(void **state)
{
	(void)state;
	expect_clean("department d \"d\"\n"
		     "form f \"f\" { field type \"类型\": enum [x, y]; field code \"编码\": text }\n"
		     "material m \"m\"\n"
		     "item i \"i\" { department d; form f\n"
		     "  materials { m when form.type == x and form.code != \"\" }\n"
		     "  steps { s \"s\" by d } }\n");
}

static void end_of_file_names_the_open_brace(void **state)
{
	(void)state;
	compiled c = compile_src("department d \"x\"\nitem i \"x\" {\n  department d\n");
	const ot_diag *d = find_diag(&c, "E010", 0);
	assert_non_null(d);
	assert_string_equal(d->message, "the file ends too early");
	assert_non_null(strstr(d->hint, "'{' at line 2, column 12 is never closed"));
	compiled_free(&c);
}

static void recovery_reports_every_error(void **state)
{
	(void)state;
	compiled c = compile_src(BASE
		"item i \"x\" {\n"             /* 14 */
		"  department d\n"
		"  legal_limt 15 workdays\n"   /* 16: syntax */
		"  matrials { m; p }\n"        /* 17: syntax, block skipped */
		"  steps { s \"s\" by dd }\n"  /* 18: unknown department */
		"}\n"
		"itme j \"y\" { department d }\n" /* 20: syntax, skipped */
		"material q \"q\" { source issued_by zz }\n"); /* 21 */
	assert_non_null(find_diag(&c, "E010", 16));
	assert_non_null(find_diag(&c, "E010", 17));
	assert_non_null(find_diag(&c, "E101", 18));
	assert_non_null(find_diag(&c, "E010", 20));
	assert_non_null(find_diag(&c, "E101", 21));
	assert_int_equal(ot_diags_errors(c.diags), 5);
	compiled_free(&c);
}

static void single_equals(void **state)
{
	(void)state;
	compiled c = compile_src(BASE "item i \"x\" { department d; form f\n"
				 " materials { m when form.n = 3 }\n steps { s \"s\" by d } }\n");
	const ot_diag *d = find_diag(&c, "E010", 15);
	assert_non_null(d);
	assert_non_null(strstr(d->hint, "'=='"));
	compiled_free(&c);
}

static void deep_nesting_is_an_error_not_a_crash(void **state)
{
	(void)state;
	size_t depth = 5000;
	char *src = malloc(depth * 5 + 200);
	char *p = src;
	p += sprintf(p, "department d \"d\"\nitem i \"i\" { department d\n materials { m when ");
	for (size_t i = 0; i < depth; i++)
		*p++ = '(';
	*p++ = '1';
	for (size_t i = 0; i < depth; i++)
		*p++ = ')';
	strcpy(p, " }\n}\n");
	compiled c = compile_src(src);
	assert_int_not_equal(c.st, OT_OK);
	assert_non_null(find_diag(&c, "E011", 3));
	compiled_free(&c);

	p = src + sprintf(src, "department d \"d\"\nitem i \"i\" { department d\n materials { m when ");
	for (size_t i = 0; i < depth; i++)
		p += sprintf(p, "not ");
	strcpy(p, "true }\n}\n");
	c = compile_src(src);
	assert_non_null(find_diag(&c, "E011", 3));
	compiled_free(&c);
	free(src);
}

static void twice_given(void **state)
{
	(void)state;
	expect_diag(BASE "item i \"x\" {\n  department d\n  department e\n  steps { s \"s\" by d }\n}\n",
		    "E113", 16, 3, "'department' is given twice in this item (first at line 15)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(contract_example),
		cmocka_unit_test(separators_are_optional),
		cmocka_unit_test(misspelt_keyword),
		cmocka_unit_test(duration_without_unit),
		cmocka_unit_test(reserved_word_as_name),
		cmocka_unit_test(keywords_as_field_names),
		cmocka_unit_test(end_of_file_names_the_open_brace),
		cmocka_unit_test(recovery_reports_every_error),
		cmocka_unit_test(single_equals),
		cmocka_unit_test(deep_nesting_is_an_error_not_a_crash),
		cmocka_unit_test(twice_given),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
