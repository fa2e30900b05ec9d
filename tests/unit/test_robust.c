/* Hostile input: random bytes, every truncation and thousands of random
 * mutations of real rule files.  Each must give a status and well-formed
 * diagnostics -- never a crash, a hang or (under the sanitizers) a memory
 * error.  Deterministic: a fixed-seed generator. */
#include <stdint.h>

#include "helpers.h"

#define COUNTOF(x) (sizeof(x) / sizeof((x)[0]))

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void check_one(const char *text, size_t len)
{
	ot_rules *r = NULL;
	ot_diags *d = NULL;
	ot_status st = ot_rules_compile_text(OT_TEST_DATA "/fuzz.rules", text, len, NULL,
					     &r, &d);
	assert_true(st == OT_OK || st == OT_ERULES);
	assert_non_null(d);
	assert_true((st == OT_OK) == (r != NULL));
	assert_true((st == OT_OK) == (ot_diags_errors(d) == 0));
	for (size_t i = 0; i < ot_diags_count(d); i++) {
		const ot_diag *g = ot_diags_get(d, i);
		assert_non_null(g->message);
		assert_true(g->line >= 1 && g->col >= 1);
		assert_true(g->code[0] == 'E' || g->code[0] == 'W');
	}
	char *s = ot_diags_render(d, OT_RENDER_COLOR);
	assert_non_null(s);
	free(s);
	s = ot_diags_json(d);
	assert_non_null(s);
	free(s);
	if (r) {
		s = ot_rules_describe(r);
		assert_non_null(s);
		free(s);
	}
	ot_rules_free(r);
	ot_diags_free(d);
}

static void random_bytes(void **state)
{
	(void)state;
	char buf[2048];
	for (int i = 0; i < 400; i++) {
		size_t len = next() % sizeof buf;
		for (size_t j = 0; j < len; j++)
			buf[j] = (char)next();
		check_one(buf, len);
	}
}

/* Random tokens of the language: more likely to get deep into the parser. */
static void random_tokens(void **state)
{
	(void)state;
	static const char *const toks[] = {
		"item", "department", "material", "form", "chain", "calendar", "{", "}",
		"(", ")", "[", "]", ",", ";", ":", ".", "->", "==", "<", "when", "otherwise",
		"steps", "flow", "materials", "x", "y", "d", "\"t\"", "1", "2.5",
		"2019-10-01", "..", "by", "within", "workdays", "end", "not", "and", "form",
		"field", "enum", "stage", "items", "after", "use", "\"", "\n", "#c\n", "中",
		"max", "min", "required", "source", "type", "code", "note", "hook", "=",
		"!=", "-", "+", "*", "/", "true", "in", "or", "otherwise", "holiday",
		"workday", "weekend", "window", "optional", "deferrable", "in_person",
		"applicant", "len", "lua", "error", "\"\\u{4E2D}\"", "，", "“",
	};
	char buf[4096];
	for (int i = 0; i < 1500; i++) {
		size_t len = 0, n = next() % 200;
		for (size_t j = 0; j < n && len < sizeof buf - 32; j++) {
			const char *t = toks[next() % COUNTOF(toks)];
			len += (size_t)snprintf(buf + len, sizeof buf - len, "%s ", t);
		}
		check_one(buf, len);
	}
}

static void truncations_and_mutations(const char *path, int mutations)
{
	size_t len = 0;
	char *text = read_text(path, &len);
	assert_non_null(text);
	for (size_t cut = 0; cut < len; cut += 1 + len / 400)
		check_one(text, cut);
	char *m = malloc(len + 1);
	for (int i = 0; i < mutations; i++) {
		memcpy(m, text, len);
		for (int k = 0, n = 1 + (int)(next() % 4); k < n; k++) {
			size_t at = next() % len;
			switch (next() % 3) {
			case 0: m[at] = (char)next(); break;
			case 1: m[at] = " {}();,.\"#\n-"[next() % 12]; break;
			default: memmove(m + at, m + at + 1, len - at - 1); m[len - 1] = ' ';
			}
		}
		check_one(m, len);
	}
	free(m);
	free(text);
}

static void mutated_contract(void **state)
{
	(void)state;
	truncations_and_mutations(OT_SOURCE_DIR "/tests/contract/rules/contract.rules", 3000);
}

static void mutated_bundled_items(void **state)
{
	(void)state;
	truncations_and_mutations(OT_SOURCE_DIR "/rules/lishan/items-construction.rules", 300);
}

static void long_lines_and_many_names(void **state)
{
	(void)state;
	size_t n = 200000;
	char *s = malloc(n + 64);
	memcpy(s, "department d \"", 14);
	memset(s + 14, 'x', n);
	strcpy(s + 14 + n, "\"\n");
	check_one(s, strlen(s));
	memset(s, 'a', n); /* one enormous name */
	check_one(s, n);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_bytes),
		cmocka_unit_test(random_tokens),
		cmocka_unit_test(mutated_contract),
		cmocka_unit_test(mutated_bundled_items),
		cmocka_unit_test(long_lines_and_many_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
