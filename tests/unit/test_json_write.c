/* json_text writes what json_dumps writes, byte for byte, and json_indent
 * makes the indented text from the compact one: on values made
 * to hold every kind of thing a case holds (escapes, control characters,
 * Chinese text, empty and nested containers, large integers, reals), and
 * on a case's snapshot and answer as the engine writes them. */
#include <jansson.h>
#include <stdint.h>

#include "engine_helpers.h"
#include "json_write.h"

static const size_t flag_sets[] = {0, JSON_COMPACT, JSON_INDENT(2), JSON_INDENT(2) | JSON_COMPACT,
				   JSON_INDENT(4)};

static void same(const json_t *j)
{
	for (size_t f = 0; f < sizeof flag_sets / sizeof *flag_sets; f++) {
		char *want = json_dumps(j, flag_sets[f] | JSON_ENCODE_ANY);
		char *got = json_text(j, flag_sets[f]);
		assert_non_null(want);
		assert_non_null(got);
		if (strcmp(want, got) != 0) {
			fprintf(stderr, "flags %zx:\njansson: %s\njson_text: %s\n", flag_sets[f], want, got);
			fail();
		}
		free(want);
		free(got);
	}
	/* json_indent: the indented text made from the compact one */
	char *compact = json_text(j, JSON_COMPACT);
	assert_non_null(compact);
	for (int width = 2; width <= 4; width += 2) {
		char *want = json_dumps(j, JSON_INDENT(width) | JSON_ENCODE_ANY);
		char *got = json_indent(compact, strlen(compact), width);
		assert_non_null(got);
		if (strcmp(want, got) != 0) {
			fprintf(stderr, "json_indent %d:\njansson: %s\njson_indent: %s\n", width, want, got);
			fail();
		}
		free(want);
		free(got);
	}
	free(compact);
}

static uint64_t rng = 88172645463325252ULL;

static unsigned next(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static json_t *random_string(void)
{
	static const char *const pieces[] = {"a", "受理", "\"", "\\", "/", "\n", "\t", "\r", "\b",
					     "\f", "\x01", "\x1f", "\x7f", " ", "鞍山市立山区",
					     "é", "\xf0\x9f\x98\x80", "0", "}", "]", ","};
	char text[256] = "";
	size_t len = 0;
	for (unsigned n = next(8); n > 0; n--) {
		const char *p = pieces[next(sizeof pieces / sizeof *pieces)];
		size_t k = strlen(p);
		if (len + k >= sizeof text)
			break;
		memcpy(text + len, p, k);
		len += k;
	}
	if (next(20) == 0) /* a NUL inside a string, which jansson allows */
		return json_stringn("a\0b", 3);
	return json_stringn(text, len);
}

static json_t *random_value(int depth)
{
	unsigned kind = next(depth > 4 ? 6 : 9);
	switch (kind) {
	case 0: return json_null();
	case 1: return json_boolean(next(2));
	case 2: {
		static const json_int_t ints[] = {0, 1, -1, 9, 10, 42, -1000, 2147483648LL,
						  INT64_MAX, INT64_MIN};
		return json_integer(ints[next(sizeof ints / sizeof *ints)]);
	}
	case 3: {
		static const double reals[] = {0.5, 120.5, -3.25, 1e21, 1.5e-7, 100.0, 0.1};
		return json_real(reals[next(sizeof reals / sizeof *reals)]);
	}
	case 4:
	case 5: return random_string();
	case 6:
	case 7: {
		json_t *o = json_object();
		for (unsigned n = next(5); n > 0; n--) {
			json_t *k = random_string();
			json_object_setn_new(o, json_string_value(k), json_string_length(k),
					     random_value(depth + 1));
			json_decref(k);
		}
		return o;
	}
	default: {
		json_t *a = json_array();
		for (unsigned n = next(5); n > 0; n--)
			json_array_append_new(a, random_value(depth + 1));
		return a;
	}
	}
}

static void random_values(void **state)
{
	(void)state;
	for (int i = 0; i < 20000; i++) {
		json_t *j = random_value(0);
		same(j);
		json_decref(j);
	}
}

static void small_ones(void **state)
{
	(void)state;
	const char *texts[] = {"{}", "[]", "{\"a\":{}}", "[[],{}]", "{\"a\":[1,2,{\"b\":null}]}",
			       "\"\"", "[\"\\u0000\"]", "{\"\\u00e9\\n\":true}"};
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		json_t *j = json_loads(texts[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		assert_non_null(j);
		same(j);
		json_decref(j);
	}
	assert_null(json_text(NULL, 0));
}

/* A case as the engine answers it, with its history: what the store and
 * the service write most. */
static void a_case(void **state)
{
	(void)state;
	ot_engine *e = open_at(OT_SOURCE_DIR "/rules", ":memory:");
	json_decref(ok(e, "submit", "{\"item\":\"construction_permit\",\"channel\":\"online\","
		       "\"now\":\"2024-03-04T09:00\",\"applicant\":{\"kind\":\"company\","
		       "\"id\":\"91350100M000100Y43\",\"name\":\"鞍山市立山建设有限公司\"},"
		       "\"form\":{\"project_name\":\"教学楼\\n\\\"一期\\\"\","
		       "\"builder_code\":\"91350100M000100Y43\",\"location\":\"立山区\","
		       "\"total_investment\":500.5,\"floor_area\":1200,\"building_height\":18,"
		       "\"project_kind\":\"public_building\",\"land_supply\":\"granted\"},"
		       "\"materials\":[\"business_license\"]}"));
	json_t *c = ok(e, "show", "{\"case\":\"20240304-0001\"}");
	assert_true(json_object_size(c) > 20);
	same(c);
	json_decref(c);
	ot_engine_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(small_ones),
		cmocka_unit_test(random_values),
		cmocka_unit_test(a_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
