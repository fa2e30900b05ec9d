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
 * number is held.  A full table forgets the oldest entry it probes, so a
 * flood of guesses can at worst shorten another guess's window.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

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

static uint64_t guard_key(char kind, const char *text)
{
	uint64_t h = 1469598103934665603ull ^ (unsigned char)kind; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		h = (h ^ (unsigned)tolower(*p)) * 1099511628211ull; /* an ID's x is an X */
	return h ? h : 1;
}

/* The slot of key, or with `take` a new one for it: a free one, else the
 * oldest probed (forgotten).  Call with guard_lock held. */
static guard_slot *guard_slot_of(uint64_t key, int take, long long now)
{
	guard_slot *spare = NULL;
	for (int i = 0; i < GUARD_PROBE; i++) {
		guard_slot *s = &slots[(key + (uint64_t)i) % GUARD_SLOTS];
		if (s->key == key)
			return s;
		if (!spare || (spare->key && (!s->key || s->since < spare->since)))
			spare = s;
	}
	if (!take)
		return NULL;
	*spare = (guard_slot){key, now, 0};
	return spare;
}

/* Seconds until the key of slot s may be tried again; 0: now. */
static long guard_wait(const guard_slot *s, long long now)
{
	if (!s || now - s->since >= GUARD_WINDOW_S || s->failed < GUARD_TRIES)
		return 0;
	return (long)(s->since + GUARD_WINDOW_S - now);
}

long sv_guard_wait(const char *case_id, const char *id_no, long long now)
{
	pthread_mutex_lock(&guard_lock);
	long a = guard_wait(guard_slot_of(guard_key('c', case_id), 0, now), now);
	long b = guard_wait(guard_slot_of(guard_key('i', id_no), 0, now), now);
	pthread_mutex_unlock(&guard_lock);
	return a > b ? a : b;
}

void sv_guard_failed(const char *case_id, const char *id_no, long long now)
{
	pthread_mutex_lock(&guard_lock);
	uint64_t keys[2] = {guard_key('c', case_id), guard_key('i', id_no)};
	for (int i = 0; i < 2; i++) {
		guard_slot *s = guard_slot_of(keys[i], 1, now);
		if (now - s->since >= GUARD_WINDOW_S)
			*s = (guard_slot){keys[i], now, 0}; /* a new window */
		s->failed++;
	}
	pthread_mutex_unlock(&guard_lock);
}
