/*
 * store_checker.h -- what `store check` finds, the same for every backend.
 *
 * Each backend reads its own rows (store_check.c, store_pg_check.c); what it
 * finds is listed here, in one shape: a problem per entry, named by case
 * where it concerns one, masked, at most STORE_MAX_PROBLEMS listed and the
 * rest counted.  The problems array is owned by the checker's creator.
 */
#ifndef OT_STORE_CHECKER_H
#define OT_STORE_CHECKER_H

#include "engine.h"

#define STORE_MAX_PROBLEMS 500

typedef struct store_checker {
	ot_engine *e;
	json_t *problems;
	size_t more; /* problems past STORE_MAX_PROBLEMS, counted only */
	json_int_t versions, cases, events;
} store_checker;

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

/* The report `store check` answers (a new reference; NULL: out of memory). */
json_t *store_check_report(const store_checker *k);

#endif
