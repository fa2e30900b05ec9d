/* The fast request reader (engine/json_read.c) against jansson: whatever
 * it reads, jansson reads the same (json_equal); what it refuses, jansson
 * is asked.  Requests as they come take the fast way.  And the other way
 * out: the answers' escaping (buf_json_str, the same as json_write.c's)
 * against jansson's reader and writer and a plain byte-at-a-time escaper. */
#include <jansson.h>
#include <pthread.h>
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

/* Strings of every kind, long and short, escapes at every place: the
 * plain runs found by the table, the rest byte by byte, as jansson. */
static void strings_agree_with_jansson(void **state)
{
	(void)state;
	static const char *const pieces[] = {"a", "Z", " ", "~", "\x7f", "\\\"", "\\\\", "\\n",
					     "\\u00e9", "\\u9ad8", "\\ud83d\\ude00", "\\/", "高",
					     "血压", "😀", "é", "0123456789", "!#$%&'()*+,-./:;<=>?@[]^_`{|}"};
	uint32_t seed = 4242;
	for (int round = 0; round < 20000; round++) {
		char body[2048] = "k", text[4200];
		seed = seed * 1103515245u + 12345u;
		int n = (int)((seed >> 8) % 60);
		for (int k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			strcat(body, pieces[(seed >> 8) % (sizeof pieces / sizeof *pieces)]);
		}
		/* the same text as a key and as a value */
		snprintf(text, sizeof text, "{\"%s\":[\"%s\"]}", body, body);
		json_t *fast = json_read(text);
		if (!fast)
			fprintf(stderr, "json_read refused: %s\n", text);
		assert_non_null(fast);
		json_decref(fast);
		agrees(text);
	}
	/* every printable ASCII byte, and each byte below 0x20 refused */
	for (int c = 1; c < 0x80; c++) {
		char text[8] = {'[', '"', (char)c, '"', ']', 0};
		json_t *fast = json_read(text);
		if (c < 0x20 || c == '"' || c == '\\')
			assert_null(fast);
		else
			assert_non_null(fast);
		json_decref(fast);
		agrees(text);
	}
}

/* ---- the request's values cut from a slab (json_pool_begin, base.h) ---- */

static const char *const REQUEST =
	"{\"item\":\"construction_permit\",\"now\":\"2019-09-27T09:00\",\"applicant\":{\"kind\":"
	"\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"张三 \\\"x\\\"\"},\"form\":{\"area\":"
	"5400,\"height\":18.5,\"kind\":\"public\"},\"materials\":[\"land_cert\",\"drawings\"]}";

static json_t *pooled_read(const char *text)
{
	json_pool_begin();
	json_t *j = json_read(text);
	json_pool_end();
	return j;
}

/* A value kept past its read keeps what it was cut from: later reads do
 * not write over it, freed or kept, here or in another thread. */
static void a_kept_value_is_never_written_over(void **state)
{
	(void)state;
	json_guard_install();
	json_t *want = json_loads(REQUEST, 0, NULL);
	json_t *kept = pooled_read(REQUEST);
	assert_true(json_equal(kept, want));
	for (int i = 0; i < 5000; i++) {
		json_t *j = pooled_read(i % 2 ? REQUEST : "{\"a\":[\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",1,2,3]}");
		assert_non_null(j);
		json_decref(j);
		assert_true(json_equal(kept, want));
	}
	/* part of it kept, the rest freed */
	json_t *form = json_incref(json_object_get(kept, "form"));
	json_decref(kept);
	for (int i = 0; i < 5000; i++)
		json_decref(pooled_read(REQUEST));
	assert_true(json_equal(form, json_object_get(want, "form")));
	json_decref(form);
	json_decref(want);
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OT_ASAN 1
#endif
#endif
#if !defined(__SANITIZE_ADDRESS__) && !defined(OT_ASAN) /* there is no pool under ASan */
/* Once all it holds is freed, the slab is used again from its start; not
 * while a value of it is alive. */
static void the_slab_is_reused_once_empty(void **state)
{
	(void)state;
	json_guard_install();
	json_t *a = pooled_read(REQUEST);
	void *first = a;
	json_decref(a);
	a = pooled_read(REQUEST);
	assert_ptr_equal(a, first); /* empty again: from its start */
	json_t *b = pooled_read(REQUEST);
	assert_ptr_not_equal(b, first);
	json_decref(b);
	json_t *c = pooled_read(REQUEST); /* a is alive: not from the start */
	assert_ptr_not_equal(c, first);
	assert_true(json_equal(a, c));
	json_decref(a);
	json_decref(c);
	a = pooled_read(REQUEST);
	assert_ptr_equal(a, first);
	json_decref(a);
}
#endif

/* A request larger than a slab: what does not fit is malloc's, and the
 * values are the same. */
static void a_large_request_is_read_the_same(void **state)
{
	(void)state;
	json_guard_install();
	buf b;
	buf_init(&b, NULL, NULL);
	buf_lit(&b, "{\"licences\":[");
	for (int i = 0; i < 3000; i++)
		buf_printf(&b, "%s{\"holder\":\"91350100M000100Y43\",\"number\":\"第%d号\"}",
			   i ? "," : "", i);
	buf_lit(&b, "]}");
	char *text = buf_steal(&b);
	json_t *want = json_loads(text, 0, NULL);
	for (int round = 0; round < 3; round++) {
		json_t *j = pooled_read(text);
		assert_true(json_equal(j, want));
		json_decref(j);
	}
	json_decref(want);
	free(text);
}

/* Values read in many threads, some freed by the thread that read them,
 * some handed to another thread to free; threads that end give their
 * slabs back (more threads than slabs, over the rounds). */
typedef struct reader {
	json_t *handed[50];
	int ok;
} reader;

static void *read_many(void *ud)
{
	reader *r = ud;
	json_t *want = json_loads(REQUEST, 0, NULL);
	r->ok = want != NULL;
	for (int i = 0; i < 2000; i++) {
		json_t *j = pooled_read(REQUEST);
		r->ok &= json_equal(j, want);
		if (i % 40 == 0)
			r->handed[i / 40] = j;
		else
			json_decref(j);
	}
	for (int i = 0; i < 50; i++)
		r->ok &= json_equal(r->handed[i], want);
	json_decref(want);
	return NULL;
}

static void threads_read_and_free_across(void **state)
{
	(void)state;
	json_guard_install();
	json_t *want = json_loads(REQUEST, 0, NULL);
	for (int round = 0; round < 20; round++) {
		pthread_t t[8];
		reader r[8];
		memset(r, 0, sizeof r);
		for (int i = 0; i < 8; i++)
			assert_int_equal(pthread_create(&t[i], NULL, read_many, &r[i]), 0);
		for (int i = 0; i < 8; i++) {
			pthread_join(t[i], NULL);
			assert_true(r[i].ok);
		}
		/* freed here, after their threads ended */
		for (int i = 0; i < 8; i++)
			for (int k = 0; k < 50; k++) {
				assert_true(json_equal(r[i].handed[k], want));
				json_decref(r[i].handed[k]);
			}
	}
	json_decref(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_requests_take_the_fast_way),
		cmocka_unit_test(what_it_refuses_jansson_is_asked),
		cmocka_unit_test(mutations_agree_with_jansson),
		cmocka_unit_test(escapes_as_json_needs),
		cmocka_unit_test(escaping_agrees_with_jansson),
		cmocka_unit_test(strings_agree_with_jansson),
		cmocka_unit_test(a_kept_value_is_never_written_over),
#if !defined(__SANITIZE_ADDRESS__) && !defined(OT_ASAN)
		cmocka_unit_test(the_slab_is_reused_once_empty),
#endif
		cmocka_unit_test(a_large_request_is_read_the_same),
		cmocka_unit_test(threads_read_and_free_across),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
