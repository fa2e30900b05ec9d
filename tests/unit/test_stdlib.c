/* The hooks' standard library, with published test vectors. */
#include <jansson.h>

#include "helpers.h"

/* Each case: a Lua expression, run by a hook as lua.check(), and the text
 * it must give. */
static void run_vectors(void **state)
{
	(void)state;
	const char *rules = OT_SOURCE_DIR "/tests/hooks/stdlib";
	ot_engine *e = NULL;
	ot_error err;
	assert_int_equal(ot_engine_open(rules, ":memory:", &e, &err), OT_OK);
	char *resp = NULL;
	/* the hook runs every vector and reports failures as form errors */
	assert_int_equal(ot_assess(e, "{\"item\":\"vectors\",\"now\":\"2019-09-27T09:00\"}",
				   &resp, &err), OT_OK);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(run_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
