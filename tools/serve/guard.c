/*
 * guard.c -- failed status-page lookups (办件查询), counted so that a case
 * number or an ID number cannot be tried with guess after guess.
 *
 * /v1/lookup needs no token: the case number and the applicant's ID
 * number together are the proof.  Case numbers are sequential and an ID
 * number has a known shape (region, birth date, check digit), so without
 * a limit both could be found by trying.  Each failed lookup counts
 * against its case number and against its ID number; past GUARD_TRIES
 * failures of either within GUARD_WINDOW_S seconds, lookups of it are
 * refused until the window ends.  Counting by the texts and not by the
 * caller's address works behind a load balancer, where every request comes
 * from the proxy.  The table keeps 64-bit hashes, never the texts: no ID
 * number is held.
 *
 * The table is fixed (nothing allocated per request), so a flood of
 * guesses must not be able to make room by forgetting a block:
 *  - the slots are chosen by SipHash-2-4 keyed with a secret drawn at
 *    start (getrandom), so nobody outside can compute numbers that land on
 *    the slots of a number blocked (with a public hash, 8 requests did);
 *  - a slot that is blocking is never given to another number; room is
 *    made from a free or lapsed slot, else the one with the fewest
 *    failures (the oldest of those), so junk evicts junk first;
 *  - a number whose probed slots all block cannot have its failures
 *    counted, so its lookups are refused (429) until one of them ends.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include "serve.h"

#define GUARD_TRIES 5      /* failed lookups of one case or ID number ... */
#define GUARD_WINDOW_S 900 /* ... within 15 minutes; then refused until it ends */
#define GUARD_SLOTS 4096
#define GUARD_PROBE 8

typedef struct guard_slot {
	uint64_t key; /* 0: free */
	long long since;
	int failed;
} guard_slot;

static guard_slot slots[GUARD_SLOTS];
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t secret[2]; /* SipHash's key, drawn once by sv_guard_init */

int sv_guard_init(void)
{
	unsigned char k[16];
	size_t got = 0;
	while (got < sizeof k) {
		ssize_t n = getrandom(k + got, sizeof k - got, 0);
		if (n < 0 && errno != EINTR)
			return 0;
		got += n > 0 ? (size_t)n : 0;
	}
	memcpy(secret, k, sizeof k); /* any byte order: it only has to be unknown */
	return 1;
}

/* ---- SipHash-2-4 (Aumasson and Bernstein), read as the text goes ---- */

typedef struct sip {
	uint64_t v[4], m; /* the state; the bytes of the word being read */
	size_t n;         /* bytes read */
} sip;

static uint64_t rotl(uint64_t x, int b)
{
	return x << b | x >> (64 - b);
}

static void sip_round(uint64_t v[4])
{
	v[0] += v[1], v[1] = rotl(v[1], 13), v[1] ^= v[0], v[0] = rotl(v[0], 32);
	v[2] += v[3], v[3] = rotl(v[3], 16), v[3] ^= v[2];
	v[0] += v[3], v[3] = rotl(v[3], 21), v[3] ^= v[0];
	v[2] += v[1], v[1] = rotl(v[1], 17), v[1] ^= v[2], v[2] = rotl(v[2], 32);
}

static void sip_word(sip *h, uint64_t m)
{
	h->v[3] ^= m;
	sip_round(h->v);
	sip_round(h->v);
	h->v[0] ^= m;
}

static void sip_start(sip *h, uint64_t k0, uint64_t k1)
{
	*h = (sip){{0x736f6d6570736575ull ^ k0, 0x646f72616e646f6dull ^ k1,
		    0x6c7967656e657261ull ^ k0, 0x7465646279746573ull ^ k1}, 0, 0};
}

static void sip_byte(sip *h, unsigned char c)
{
	h->m |= (uint64_t)c << (8 * (h->n % 8)); /* little-endian words */
	if (++h->n % 8 == 0) {
		sip_word(h, h->m);
		h->m = 0;
	}
}

static uint64_t sip_end(sip *h)
{
	sip_word(h, h->m | (uint64_t)(h->n & 0xff) << 56);
	h->v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(h->v);
	return h->v[0] ^ h->v[1] ^ h->v[2] ^ h->v[3];
}

static uint64_t guard_key(char kind, const char *text)
{
	sip h;
	sip_start(&h, secret[0], secret[1]);
	sip_byte(&h, (unsigned char)kind);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		sip_byte(&h, (unsigned char)tolower(*p)); /* an ID's x is an X */
	uint64_t k = sip_end(&h);
	return k ? k : 1;
}

/* ---- the table ---- */

/* Seconds until the key of slot s may be tried again; 0: now. */
static long guard_wait(const guard_slot *s, long long now)
{
	if (!s || now - s->since >= GUARD_WINDOW_S || s->failed < GUARD_TRIES)
		return 0;
	return (long)(s->since + GUARD_WINDOW_S - now);
}

/* Is slot a better one to give away than slot b (neither blocking)? */
static int better_spare(const guard_slot *a, const guard_slot *b, long long now)
{
	int idle_a = !a->key || now - a->since >= GUARD_WINDOW_S;
	int idle_b = !b->key || now - b->since >= GUARD_WINDOW_S;
	if (idle_a != idle_b)
		return idle_a;
	if (a->failed != b->failed)
		return a->failed < b->failed;
	return a->since < b->since;
}

/* The slot of key, or with `take` a new one for it: see the top.  NULL
 * when there is none, or none may be taken (every probed slot blocks).
 * Call with guard_lock held. */
static guard_slot *guard_slot_of(uint64_t key, int take, long long now)
{
	guard_slot *spare = NULL;
	for (int i = 0; i < GUARD_PROBE; i++) {
		guard_slot *s = &slots[(key + (uint64_t)i) % GUARD_SLOTS];
		if (s->key == key)
			return s;
		if (!guard_wait(s, now) && (!spare || better_spare(s, spare, now)))
			spare = s;
	}
	if (!take || !spare)
		return NULL;
	*spare = (guard_slot){key, now, 0};
	return spare;
}

/* Seconds until a lookup of key may be tried: its slot's wait or, when it
 * has none and no slot can be taken for it, until the first probed slot's
 * block ends (its failures could not be counted).  guard_lock held. */
static long key_wait(uint64_t key, long long now)
{
	long least = 0;
	for (int i = 0; i < GUARD_PROBE; i++) {
		const guard_slot *s = &slots[(key + (uint64_t)i) % GUARD_SLOTS];
		if (s->key == key)
			return guard_wait(s, now);
		long w = guard_wait(s, now);
		if (i == 0 || w < least)
			least = w;
	}
	return least;
}

long sv_guard_wait(const char *case_id, const char *id_no, long long now)
{
	pthread_mutex_lock(&guard_lock);
	long a = key_wait(guard_key('c', case_id), now);
	long b = key_wait(guard_key('i', id_no), now);
	pthread_mutex_unlock(&guard_lock);
	return a > b ? a : b;
}

void sv_guard_failed(const char *case_id, const char *id_no, long long now)
{
	pthread_mutex_lock(&guard_lock);
	uint64_t keys[2] = {guard_key('c', case_id), guard_key('i', id_no)};
	for (int i = 0; i < 2; i++) {
		guard_slot *s = guard_slot_of(keys[i], 1, now);
		if (!s) /* every slot blocks since sv_guard_wait looked: refused next time */
			continue;
		if (now - s->since >= GUARD_WINDOW_S)
			*s = (guard_slot){keys[i], now, 0}; /* a new window */
		s->failed++;
	}
	pthread_mutex_unlock(&guard_lock);
}
