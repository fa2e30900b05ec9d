/*
 * store_checker.h -- what `store check` finds, the same for every backend.
 *
 * Each backend reads its own rows (store_check.c, store_pg_check.c); what it
 * finds is listed here, in one shape: a problem per entry, named by case
 * where it concerns one, masked, at most STORE_MAX_PROBLEMS listed and the
 * rest counted.  The problems array is owned by the checker's creator.
 *
 * What the tables beside the events must hold is derived here too, once
 * for both backends: a backend replays each case with store_check_replay,
 * reads the rows at the keys the replay expects, hands them to
 * store_check_event, _licence and _entry, then calls store_check_beside;
 * it hands the rows of its scans of the libraries to
 * store_check_licence_row and store_check_entry_row, and the gaps of its
 * case numbers to store_check_missing.  store_check_end, after the last
 * case, settles what only every case together can tell.
 */
#ifndef OT_STORE_CHECKER_H
#define OT_STORE_CHECKER_H

#include "engine.h"

#define STORE_MAX_PROBLEMS 500

/* The runs of a day's numbers 1..counter that no case has, as rows (day,
 * first, last, counter), given a backend's CTE `n(day, num)` of the
 * numbers of the cases there are (its dialect reads them from the ids):
 * "WITH n AS (...)," STORE_NUMBER_GAPS. */
#define STORE_NUMBER_GAPS \
	" g AS (SELECT day, lag(num, 1, 0) OVER (PARTITION BY day ORDER BY num) + 1 AS lo," \
	" num - 1 AS hi FROM n)" \
	" SELECT g.day, g.lo, g.hi, k.n FROM g JOIN counters k ON k.day = g.day" \
	" WHERE g.hi >= g.lo" \
	" UNION ALL SELECT k.day, coalesce(t.top, 0) + 1, k.n, k.n FROM counters k" \
	" LEFT JOIN (SELECT day, max(num) AS top FROM n GROUP BY day) t ON t.day = k.day" \
	" WHERE k.n > coalesce(t.top, 0) ORDER BY 1, 2"

typedef struct store_checker {
	ot_engine *e;
	json_t *problems;
	size_t more; /* problems past STORE_MAX_PROBLEMS, counted only */
	json_int_t versions, cases, events;
	json_t *misplaced; /* "case\tmaterial\tlicence|entry": rows a scan found
			      at another key than their case's (reported once) */
	json_t *kept;      /* "holder\tmaterial\tnumber" -> [times an approval
			      kept the licence valid] */
	json_t *unended;   /* licences found valid with no end where a keep may
			      have ended their term: settled by store_check_end */
} store_checker;

/* Initialises k for engine e (problems: a new array; NULL when out of
 * memory, then the check cannot run); store_check_free frees it all but
 * nothing of e. */
int store_check_init(store_checker *k, ot_engine *e);
void store_check_free(store_checker *k);

void store_problem(store_checker *k, const char *case_id, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/* A stored rule version: its sources must compile back to its hash. */
void store_check_version(store_checker *k, const char *hash, const char *sources);

/* The time sweep's warn_at column of case c (NULL: none): a problem when
 * it says no day, or a later one than any engine would write, while the
 * case needs a warning -- the sweep would not give it, or late.  An
 * earlier day is no problem (the sweep then writes it again), nor is ""
 * (a migrated store's open case, due for the first sweep). */
void store_check_warn_at(store_checker *k, const ot_case *c, const char *column);

/* ---- what a case's events put beside them ---- */

/* A licence the case's approval issues (one per `issues` of its item,
 * looked for whether it was approved or not: a row where none should be
 * is a problem too). */
typedef struct store_expect_licence {
	int material;      /* the rule version's materials[] index */
	char number[96];
	int seen;
} store_expect_licence;

/* An entry of the material library the case's events put there, or not
 * (from < 0): one per reusable material its item asks for. */
typedef struct store_expect_entry {
	int material;
	ot_time from, until;
	int seen;
} store_expect_entry;

typedef struct store_expect {
	ot_case *c;
	json_t *events;       /* as stored: their columns must repeat them */
	char holder[64];      /* the applicant as the store keys them; "" none */
	const char *typed;    /* ... and as the events have it, when that differs
			         (a licence issued before schema 7 kept it so) */
	ot_time approved, revoked; /* -1: never */
	uint32_t nlic, nentry;
	store_expect_licence *lic;
	store_expect_entry *entry;
} store_expect;

/* Replays case `id` from its events as case_rebuild does (and fails as it
 * does, *out NULL), deriving on the way what the events put beside them:
 * *x, which store_check_beside takes.  The engine's zone is the case's
 * rule version's when the store is checked alone. */
ot_status store_check_replay(store_checker *k, const char *id, ot_case **out, store_expect **x,
			     ot_error *err);
/* Once the rows at x's keys were handed over (below): names what is
 * missing; frees x, not its case. */
void store_check_beside(store_checker *k, store_expect *x);

/* The rows at x's keys: event seq's columns (NULL: SQL NULL), ... */
void store_check_event(store_checker *k, store_expect *x, long long seq, const char *at,
		       const char *op, const char *actor);
/* ... the licence row at x->lic[i]'s key (holder, material, number): its
 * holder, issuer, case, from, until and term (-1: NULL; material and
 * number unread) ... */
void store_check_licence(store_checker *k, store_expect *x, uint32_t i, const licence *row);
/* ... and the material library's entry at x->entry[i]'s key. */
void store_check_entry(store_checker *k, store_expect *x, uint32_t i, ot_time from,
		       ot_time until);

/* ---- the scans ---- */

/* A row of the licence library with a case_id, and the row of that case
 * (found 0: none; item, rules and applicant: its columns).  Before the
 * cases are replayed: a row at another key than its case's licence is
 * named here, and not again as that licence missing. */
void store_check_licence_row(store_checker *k, const char *holder, const char *material,
			     const char *number, const char *case_id, int found,
			     const char *item, const char *rules, const char *applicant);
/* A row of the material library and its case's row (as above). */
void store_check_entry_row(store_checker *k, const char *applicant, const char *material,
			   const char *case_id, const char *item, const char *rules,
			   const char *case_applicant);
/* Case numbers lo..hi of `day` (YYYYMMDD) that no case has (no row, no
 * event), though the day's counter, at n, gave them out: cases removed
 * from the store. */
void store_check_missing(store_checker *k, const char *day, long long lo, long long hi,
			 long long n);

/* After the last case: the licences found valid with no end that no
 * approval kept. */
void store_check_end(store_checker *k);

/* The report `store check` answers (a new reference; NULL: out of memory). */
json_t *store_check_report(const store_checker *k);

#endif
