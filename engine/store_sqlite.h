/*
 * store_sqlite.h -- the SQLite backend's own state, shared by its two
 * files (store_sqlite.c, store_check.c).  Nothing above the backend
 * includes it.
 */
#ifndef OT_STORE_SQLITE_H
#define OT_STORE_SQLITE_H

#include <sqlite3.h>

#include "engine.h"

typedef struct sqlite_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[40];
	char lib_found[32];        /* library_find's answer */
	char *path;                /* the file, for messages */
	int failed_rc;             /* SQLite's code for the last failure */
	store_held held;           /* kept until what the transaction reads may change */
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
