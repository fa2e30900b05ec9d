/* The fast request reader (engine/json_read.c) against jansson: whatever
 * it reads, jansson reads the same (json_equal); what it refuses, jansson
 * is asked.  Requests as they come take the fast way.  And the other way
 * out: the answers' escaping (buf_json_str, the same as json_write.c's)
 * against jansson's reader and writer and a plain byte-at-a-time escaper. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "base.h"
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
	char text[512];
	for (int round = 0; round < 200000; round++) {
		const char *src = valid[round % (sizeof valid / sizeof *valid)];
		size_t n = strlen(src);
		memcpy(text, src, n + 1);
		for (int k = 0; k < 1 + round % 3; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % n;
			seed = seed * 1103515245u + 12345u;
			text[at] = alphabet[(seed >> 8) % (sizeof alphabet - 1)];
		}
		agrees(text);
	}
}

/* ---- escaping for the answers ---- */

static char *escaped(const char *s)
{
	buf b;
	buf_init(&b, NULL, NULL);
	buf_json_str(&b, s);
	buf_putc(&b, 0); /* an empty text still gives a string */
	return buf_steal(&b);
}

/* The rule a byte at a time, as jansson writes it: '"', '\\', control
 * characters escaped (five by name); every other byte as it is. */
static void plain_escape(const char *s, char *out)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *named = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b"
				  : c == '\f' ? "\\f" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
				  : c == '\t' ? "\\t" : NULL;
		if (named)
			out += sprintf(out, "%s", named);
		else if (c < 0x20)
			out += sprintf(out, "\\u%04X", c);
		else
			*out++ = (char)c;
	}
	*out = 0;
}

static void escapes_as_json_needs(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"", ""},
		{"plain text", "plain text"},
		{"a\"b\\c", "a\\\"b\\\\c"},
		{"\n\t\r\b\f", "\\n\\t\\r\\b\\f"},
		{"\x01\x1f\x7f", "\\u0001\\u001F\x7f"}, /* DEL is not a control character to JSON */
		{"高血压 门诊慢特病 \"引号\"", "高血压 门诊慢特病 \\\"引号\\\""},
		{"😀 an emoji, four bytes", "😀 an emoji, four bytes"},
		/* bytes that are not UTF-8 go through as they are: what is written
		 * comes from checked rule files and requests */
		{"\xff\xfe\xc3(\xe9", "\xff\xfe\xc3(\xe9"},
		{"12345678\"12345678\\", "12345678\\\"12345678\\\\"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *got = escaped(cases[i][0]);
		assert_string_equal(got, cases[i][1]);
		free(got);
	}
	/* one character to escape at every place of a long text, past the
	 * 8-byte steps of the scan */
	for (int at = 0; at < 40; at++) {
		char text[41], want[64];
		memset(text, 'x', 40);
		text[40] = 0;
		text[at] = '\x02';
		plain_escape(text, want);
		char *got = escaped(text);
		assert_string_equal(got, want);
		free(got);
	}
}

static void escaping_agrees_with_jansson(void **state)
{
	(void)state;
	/* random texts of ASCII, control characters, quotes, CJK and emoji:
	 * jansson reads back the same text; random bytes, not all UTF-8: the
	 * same as the plain escaper */
	static const char *const pieces[] = {"a", "Z", " ", "\"", "\\", "\n", "\t", "\r", "\x01",
					     "\x1f", "\b", "\f", "/", "高", "血压", "😀", "é", "\x7f"};
	uint32_t seed = 777;
	for (int round = 0; round < 20000; round++) {
		char text[256] = "", quoted[1024], want[1536];
		seed = seed * 1103515245u + 12345u;
		int n = (int)((seed >> 8) % 40);
		for (int k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			strcat(text, pieces[(seed >> 8) % (sizeof pieces / sizeof *pieces)]);
		}
		char *got = escaped(text);
		snprintf(quoted, sizeof quoted, "[\"%s\"]", got);
		json_t *j = json_loads(quoted, 0, NULL);
		assert_non_null(j);
		assert_string_equal(json_string_value(json_array_get(j, 0)), text);
		/* and byte for byte as jansson writes it */
		char *theirs = json_dumps(j, JSON_COMPACT);
		assert_string_equal(theirs, quoted);
		free(theirs);
		json_decref(j);
		free(got);
		for (int k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			text[k] = (char)(1 + (seed >> 8) % 255);
		}
		text[n] = 0;
		plain_escape(text, want);
		got = escaped(text);
		assert_string_equal(got, want);
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_requests_take_the_fast_way),
		cmocka_unit_test(what_it_refuses_jansson_is_asked),
		cmocka_unit_test(mutations_agree_with_jansson),
		cmocka_unit_test(escapes_as_json_needs),
		cmocka_unit_test(escaping_agrees_with_jansson),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
