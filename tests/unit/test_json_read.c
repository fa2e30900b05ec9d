/* The fast request reader (engine/json_read.c) against jansson: whatever
 * it reads, jansson reads the same (json_equal); what it refuses, jansson
 * is asked.  Requests as they come take the fast way. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "helpers.h"
#include "json_read.h"

/* json_read agrees with jansson on text: the same value, or it gives NULL */
static void agrees(const char *text)
{
	json_t *fast = json_read(text);
	json_t *slow = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if (fast && (!slow || !json_equal(fast, slow))) {
		fprintf(stderr, "json_read and jansson differ on: %s\n", text);
		fail();
	}
	json_decref(fast);
	json_decref(slow);
}

static const char *const valid[] = {
	"{}", "[]", " { \"a\" : 1 } ", "{\"a\":-0}", "[0, -1, 9223372036854775807, -9223372036854775808]",
	"[1.5, -2.25e3, 1E+2, 0.0001, 6.02214076e23, 1e-300]",
	"{\"s\":\"plain\",\"e\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"}",
	"{\"u\":\"\\u9ad8\\u8840\\u538b\",\"pair\":\"\\ud83d\\ude00\",\"raw\":\"高血压😀\"}",
	"{\"item\":\"construction_permit\",\"now\":\"2019-09-27T09:00\",\"applicant\":{\"kind\":"
	"\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"x\"},\"form\":{\"area\":5400,"
	"\"government_funded\":true,\"kind\":\"public\",\"x\":null,\"f\":false},\"materials\":"
	"[\"land_cert\",\"drawings\"]}",
	"[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]",
	"{\"\\u00e9\":1,\"é2\":2}",
};

static const char *const refused[] = {
	"", "   ", "1", "\"s\"", "null", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[01]",
	"[1.]", "[.5]", "[1e]", "[+1]", "[-]", "{\"a\":1,\"a\":2}", "[\"\\u0000\"]", "{\"\\u0000\":1}",
	"[\"\\ud800\"]", "[\"\\udc00\"]", "[\"\\ud800\\u0041\"]", "[\"\\x\"]", "[\"a\nb\"]",
	"[\"\xc3\x28\"]", "[\"\xed\xa0\x80\"]", "[\"\xf4\x90\x80\x80\"]", "[\"\xc0\xaf\"]",
	"[99999999999999999999]", "[1e400]", "[-1e400]", "[tru]", "[nul]", "[falsy]", "{} x", "[] []",
	"[\"unterminated", "{\"a\":[1,2}", "[1 2]", "\xef\xbb\xbf{}",
};

static void valid_requests_take_the_fast_way(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
		json_t *fast = json_read(valid[i]);
		if (!fast)
			fprintf(stderr, "json_read refused: %s\n", valid[i]);
		assert_non_null(fast);
		json_decref(fast);
		agrees(valid[i]);
	}
}

static void what_it_refuses_jansson_is_asked(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		json_t *fast = json_read(refused[i]);
		if (fast)
			fprintf(stderr, "json_read took: %s\n", refused[i]);
		assert_null(fast);
		agrees(refused[i]);
	}
	/* nesting deeper than it takes: jansson decides */
	char deep[2 * 300 + 1];
	for (int i = 0; i < 300; i++)
		deep[i] = '[', deep[300 + i] = ']';
	deep[600] = 0;
	assert_null(json_read(deep));
	agrees(deep);
}

/* Every valid text mutated a byte at a time, 200,000 times: never a value
 * jansson would not give. */
static void mutations_agree_with_jansson(void **state)
{
	(void)state;
	static const char alphabet[] = "{}[]\":,\\u0123456789.eE+-tfnrl aA\x80\xc3\xa9\xed\xf0\x01";
	uint32_t seed = 12345;
	char buf[512];
	for (int round = 0; round < 200000; round++) {
		const char *src = valid[round % (sizeof valid / sizeof *valid)];
		size_t n = strlen(src);
		memcpy(buf, src, n + 1);
		for (int k = 0; k < 1 + round % 3; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % n;
			seed = seed * 1103515245u + 12345u;
			buf[at] = alphabet[(seed >> 8) % (sizeof alphabet - 1)];
		}
		agrees(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_requests_take_the_fast_way),
		cmocka_unit_test(what_it_refuses_jansson_is_asked),
		cmocka_unit_test(mutations_agree_with_jansson),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
