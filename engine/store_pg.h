/*
 * store_pg.h -- the PostgreSQL backend's own state, shared by its two
 * files (store_pg.c, store_pg_check.c).  Nothing above the backend
 * includes it.
 */
#ifndef OT_STORE_PG_H
#define OT_STORE_PG_H

#include "engine.h"
#include "store_pg_lib.h" /* libpq, loaded when a store is opened */

/* A case's row as this engine last committed it (store_pg.c, "cases this
 * engine wrote last"); events 0: an empty slot. */
typedef struct pg_known {
	char id[32];
	char item[96];
	char hash[65];
	char status[32];
	int events;
	int shared;  /* another engine wrote it since, lately: read it (a guess
			only: it costs a round trip, or a second try, never more) */
} pg_known;

#define PG_TRUST_MAX 8 /* cases one transaction may take from `known` */

/* The day's counter as a submission read it (number_with in store_pg.c). */
typedef struct pg_number {
	enum { PG_NUMBER_NONE, PG_NUMBER_WANTED, PG_NUMBER_READ } state;
	char day[9];          /* 20190927 */
	int n;                /* its value then (0: no row yet) */
} pg_number;

typedef struct pg_store {
	PGconn *conn;
	char *conninfo;       /* the URI for libpq: without `schema=` (malloc) */
	char *path;           /* the URI for messages: without a password (malloc) */
	char schema[64];      /* the tables' schema; "" for the search_path's */
	int prepared;         /* the statements are prepared on this connection */
	int lock_case;        /* this transaction locks the cases it reads */
	char failed_state[6]; /* the SQLSTATE of the last failure ("" none) */
	const char *begin;    /* a BEGIN not sent yet: it goes with the first
				 statement, one round trip for both */
	PGresult *head;       /* case_head's answer with the case's events, */
	char head_id[32];
	int head_after;       /* ... with its events after this one */     /* for the events() of the same case that follows */
	char lib_found[32];   /* library_find's answer */
	store_held held;      /* kept until what the transaction reads may change */
	pg_number number;     /* the day's counter, read with a submission's first read */
	struct pg_later *later; /* writes not sent yet, in order (malloc): they
				   go with the next statement, the COMMIT
				   usually (store_pg.c) */
	ot_error later_err;   /* what the first of them to fail answered: the
				 answer of the statement they went with */
	ot_error doomed;      /* ... and the transaction's: it cannot commit */
	int committing;       /* the COMMIT goes with them */
	int synced;           /* the last pipeline's end answered (run_all) */
	PGresult *at_sync;    /* ... or what the server refused there, if it
				 said (owned; cleared by the next pipeline) */
	/* cases this engine wrote last, so a write's first try need not read
	 * them (store_pg.c, "cases this engine wrote last") */
	pg_known *known;      /* a direct-mapped table (malloc); NULL: none */
	unsigned nknown;      /* its slots, a power of two */
	pg_known *saved;      /* what this transaction saved, for `known` once
				 it commits (malloc) */
	int nsaved, saved_cap;
	int saved_lost;       /* a savepoint was rolled back: forget them instead */
	int trusting;         /* this transaction may answer case_head from `known` */
	int trusted;          /* it did so */
	int renewed_trust;    /* ... and connected again before sending what it
				 decided: it runs again, reading */
	char taken[PG_TRUST_MAX][32];     /* ... for these cases */
	int ntaken;
	char uncovered[PG_TRUST_MAX][32]; /* ... of which these are not saved yet */
	int nuncovered;
} pg_store;

/* The backend's state of engine e (set by its open). */
#define PG(e) ((pg_store *)(e)->store)

/* A statement's result, or NULL when the connection is gone; the caller
 * PQclear()s it.  values: the parameters as text, NULL for SQL NULL.  A
 * BEGIN the operation has not sent yet is sent first. */
PGresult *pg_query(ot_engine *e, const char *sql, int n, const char *const *values);
/* The error for a failed result `res` (NULL: the connection is gone)
 * while doing what, printf-style. */
ot_status pg_fail(ot_engine *e, ot_error *err, const PGresult *res, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;
/* store_check (store.h). */
ot_status pg_check(ot_engine *e, json_t **report, ot_error *err);

#endif
