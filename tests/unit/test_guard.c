/* The status-page lookup guard of `onetrip serve` (tools/serve/guard.c,
 * included whole for its static functions): its hash is SipHash-2-4 (the
 * reference vectors), and a block is never given away however the probed
 * slots fill -- junk evicts junk, and when every slot blocks, a new number
 * is refused rather than counted nowhere.  Keys are chosen here to land on
 * one slot, as an attacker who knew the hash's key could. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "guard.c"

#define NOW 1000000

static int fresh(void **state)
{
	(void)state;
	memset(slots, 0, sizeof slots);
	return 0;
}

/* The n-th key whose first probed slot is `home`. */
static uint64_t key_at(unsigned home, unsigned n)
{
	return home + (uint64_t)(n + 1) * GUARD_SLOTS;
}

static void fail_n(uint64_t key, int n, long long now)
{
	for (int i = 0; i < n; i++) {
		guard_slot *s = guard_slot_of(key, 1, now);
		assert_non_null(s);
		s->failed++;
	}
}

static void siphash_reference_vectors(void **state)
{
	(void)state;
	/* key 00 01 .. 0f, message 00 01 .. len-1 (Aumasson and Bernstein) */
	static const struct { int len; uint64_t h; } v[] = {
		{0, 0x726fdb47dd0e0e31ull}, {1, 0x74f839c593dc67fdull}, {7, 0xab0200f58b01d137ull},
		{8, 0x93f5f5799a932462ull}, {9, 0x9e0082df0ba9e4b0ull}, {12, 0x751e8fbc860ee5fbull},
		{15, 0xa129ca6149be45e5ull}};
	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		sip h;
		sip_start(&h, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
		for (int b = 0; b < v[i].len; b++)
			sip_byte(&h, (unsigned char)b);
		assert_int_equal(sip_end(&h), v[i].h);
	}
}

static void keys_are_keyed_and_ignore_case(void **state)
{
	(void)state;
	assert_true(sv_guard_init());
	uint64_t a = guard_key('i', "11010519491231002x");
	assert_int_equal(a, guard_key('i', "11010519491231002X"));
	assert_int_not_equal(a, guard_key('c', "11010519491231002x"));
	secret[0] ^= 1;
	assert_int_not_equal(a, guard_key('i', "11010519491231002x"));
}

static void a_block_is_never_given_away(void **state)
{
	(void)state;
	uint64_t blocked = key_at(7, 0);
	fail_n(blocked, GUARD_TRIES, NOW);
	for (unsigned n = 1; n < 1000; n++) /* junk on the same slots, newer and newer */
		fail_n(key_at(7, n), 1, NOW + n / 4);
	assert_int_equal(key_wait(blocked, NOW + 250), GUARD_WINDOW_S - 250);
}

static void junk_evicts_junk_before_a_count(void **state)
{
	(void)state;
	uint64_t counted = key_at(9, 0);
	fail_n(counted, GUARD_TRIES - 1, NOW);
	for (unsigned n = 1; n < 1000; n++)
		fail_n(key_at(9, n), 1, NOW + n / 4);
	guard_slot *s = guard_slot_of(counted, 0, NOW + 250);
	assert_non_null(s);
	assert_int_equal(s->failed, GUARD_TRIES - 1);
}

static void every_slot_blocking_refuses_a_new_number(void **state)
{
	(void)state;
	for (unsigned n = 0; n < GUARD_PROBE; n++)
		fail_n(key_at(11, n), GUARD_TRIES, NOW + n);
	uint64_t late = key_at(11, GUARD_PROBE);
	/* refused until the first block ends, and counted nowhere */
	assert_int_equal(key_wait(late, NOW + 100), GUARD_WINDOW_S - 100);
	assert_null(guard_slot_of(late, 1, NOW + 100));
	for (unsigned n = 0; n < GUARD_PROBE; n++)
		assert_true(key_wait(key_at(11, n), NOW + 100) > 0);
	/* the first block over, its slot is the new number's */
	assert_int_equal(key_wait(late, NOW + GUARD_WINDOW_S), 0);
	assert_non_null(guard_slot_of(late, 1, NOW + GUARD_WINDOW_S));
	assert_int_equal(key_wait(key_at(11, 1), NOW + GUARD_WINDOW_S), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(siphash_reference_vectors),
		cmocka_unit_test(keys_are_keyed_and_ignore_case),
		cmocka_unit_test_setup(a_block_is_never_given_away, fresh),
		cmocka_unit_test_setup(junk_evicts_junk_before_a_count, fresh),
		cmocka_unit_test_setup(every_slot_blocking_refuses_a_new_number, fresh),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
