/*
 * store_sqlite.h -- the SQLite backend's own state, shared by its two
 * files (store_sqlite.c, store_check.c).  Nothing above the backend
 * includes it.
 */
#ifndef OT_STORE_SQLITE_H
#define OT_STORE_SQLITE_H

#include <sqlite3.h>

#include "engine.h"

/* The licences of one holder valid by one time, read once a transaction
 * (sq_licence_find in store_sqlite.c says why). */
#define SQ_HELD 8
typedef struct sq_held {
	int valid;                 /* 0: read them again */
	char holder[64];
	ot_time now;
	int n;                     /* -1: more than SQ_HELD, asked one by one */
	struct sq_held_row {
		char material[64], number[64];
		ot_time until;     /* -1: no end */
		int damaged;       /* its number unreadable */
	} row[SQ_HELD];
} sq_held;

typedef struct sqlite_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[32];
	char lib_found[32];        /* library_find's answer */
	char *path;                /* the file, for messages */
	int failed_rc;             /* SQLite's code for the last failure */
	sq_held held;              /* kept until what the transaction reads may change */
} sqlite_store;

/* The backend's state of engine e (set by its open). */
#define SQ(e) ((sqlite_store *)(e)->store)

/* store_check and the report on a file SQLite cannot open (store.h). */
ot_status sq_check(ot_engine *e, json_t **report, ot_error *err);
json_t *sq_unreadable(ot_engine *e, const char *where, const ot_error *why);
/* Moving a store (store_sqlite_copy.c; store_vt's rows, put_row, count). */
ot_status sq_rows(ot_engine *e, const store_table *t, json_t *after, int limit, json_t **out,
		  ot_error *err);
ot_status sq_put_row(ot_engine *e, const store_table *t, json_t *row, ot_error *err);
ot_status sq_count(ot_engine *e, const store_table *t, long long *n, ot_error *err);

#endif
