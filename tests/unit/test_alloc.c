/* Out of memory at every allocation of a compile: each run must fail
 * cleanly with OT_ENOMEM and leak nothing (the sanitizer build checks the
 * leaks), and the first N large enough must succeed as if nothing
 * happened.  The approach of Lua's memerr tests and SQLite's malloc
 * fault injection. */
#include "helpers.h"
#include "base.h"

typedef struct budget {
	long allocs, fail_at; /* fail the fail_at-th allocation (1-based); 0: never */
	long live;
} budget;

static void *counting(void *ud, void *ptr, size_t osize, size_t nsize)
{
	budget *b = ud;
	if (nsize == 0) {
		if (ptr)
			b->live--;
		free(ptr);
		return NULL;
	}
	if (++b->allocs == b->fail_at)
		return NULL;
	void *p = realloc(ptr, nsize);
	if (p && !ptr)
		b->live++;
	(void)osize;
	return p;
}

static ot_status run(const char *const *paths, size_t n, budget *b, ot_rules **r,
		     ot_diags **d)
{
	ot_compile_options o = {counting, b, 0};
	return ot_rules_compile(paths, n, &o, r, d);
}

static void fail_every_allocation(const char *const *paths, size_t npaths)
{
	arena_chunk_bytes = 512; /* many small allocations: many failure points */
	budget b = {0, 0, 0};
	ot_rules *r = NULL;
	ot_diags *d = NULL;
	ot_status want = run(paths, npaths, &b, &r, &d);
	size_t want_diags = ot_diags_count(d);
	char want_hash[65] = "";
	if (r)
		strcpy(want_hash, ot_rules_hash(r));
	ot_rules_free(r);
	ot_diags_free(d);
	assert_int_equal(b.live, 0);
	long total = b.allocs;
	assert_true(total > 50);
	for (long n = 1; n <= total + 1; n++) {
		budget f = {0, n, 0};
		ot_status st = run(paths, npaths, &f, &r, &d);
		if (n <= total) {
			assert_int_equal(st, OT_ENOMEM);
			assert_null(r);
			assert_null(d);
		} else {
			assert_int_equal(st, want);
			assert_int_equal(ot_diags_count(d), want_diags);
			if (r)
				assert_string_equal(ot_rules_hash(r), want_hash);
		}
		ot_rules_free(r);
		ot_diags_free(d);
		assert_int_equal(f.live, 0); /* nothing leaked, whatever failed */
	}
}

static void contract_rules(void **state)
{
	(void)state;
	const char *p = OT_SOURCE_DIR "/tests/contract/rules/contract.rules";
	fail_every_allocation(&p, 1);
}

/* hook files are run to check them: a failure after that frees them too */
static void rules_with_hooks(void **state)
{
	(void)state;
	const char *p = OT_SOURCE_DIR "/tests/hooks/rules";
	fail_every_allocation(&p, 1);
}

static void rules_with_errors(void **state)
{
	(void)state;
	const char *p = OT_SOURCE_DIR "/tests/golden/ten_mistakes.rules";
	fail_every_allocation(&p, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(contract_rules),
		cmocka_unit_test(rules_with_errors),
		cmocka_unit_test(rules_with_hooks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
