/* The hooks' standard library, with published test vectors. */
#include <jansson.h>

#include "helpers.h"

/* The vectors of item `item` of tests/hooks/stdlib: its hook's validate
 * runs every one and reports each that fails as a form error. */
static void run_item(const char *item)
{
	const char *rules = OT_SOURCE_DIR "/tests/hooks/stdlib";
	ot_engine *e = NULL;
	ot_error err;
	assert_int_equal(ot_engine_open(rules, ":memory:", &e, &err), OT_OK);
	char *resp = NULL, req[128];
	snprintf(req, sizeof req, "{\"item\":\"%s\",\"now\":\"2019-09-27T09:00\"}", item);
	assert_int_equal(ot_assess(e, req, &resp, &err), OT_OK);
	json_t *a = json_loads(resp, 0, NULL);
	free(resp);
	json_t *errors = json_object_get(a, "form_errors");
	size_t i;
	json_t *v;
	json_array_foreach(errors, i, v)
		fprintf(stderr, "%s\n", json_string_value(json_object_get(v, "message")));
	assert_int_equal(json_array_size(errors), 0);
	assert_true(json_is_null(json_object_get(a, "hook_error")) ||
		    !json_object_get(a, "hook_error"));
	json_decref(a);
	ot_engine_close(e);
}

/* Each module against published test vectors (vectors.lua). */
static void run_vectors(void **state)
{
	(void)state;
	run_item("vectors");
}

/* decimal at its edges (decimals.lua): numbers that fit worked out
 * whatever their size, at most 18 digits in and out, products exact,
 * quotients to 6 places, floats and text read exactly, and the engine's
 * private module out of a hook's reach. */
static void decimal_edges(void **state)
{
	(void)state;
	run_item("decimals");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(run_vectors),
		cmocka_unit_test(decimal_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
