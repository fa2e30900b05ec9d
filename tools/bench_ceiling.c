/*
 * bench_ceiling.c -- the fsync ceiling of bench-engine, bench-chain and
 * bench-durable, measured one way for all three.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "bench_ceiling.h"

static double seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void remove_db(char *db, size_t cap)
{
	remove(db);
	size_t n = strlen(db);
	if (n + 5 <= cap) {
		memcpy(db + n, "-wal", 5);
		remove(db);
		db[n] = 0;
	}
}

double bench_sqlite_ceiling(const char *dir, int n)
{
	char db[4096];
	snprintf(db, sizeof db, "%s/bench-ceiling.db", dir);
	remove_db(db, sizeof db);
	sqlite3 *h;
	sqlite3_stmt *st;
	sqlite3_open(db, &h);
	sqlite3_exec(h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		     "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)", NULL, NULL, NULL);
	sqlite3_prepare_v2(h, "INSERT INTO t(v) VALUES ('a row of about the size of an event')",
			   -1, &st, NULL);
	double t0 = seconds();
	for (int i = 0; i < n; i++) {
		sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		sqlite3_step(st);
		sqlite3_reset(st);
		sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
	}
	double t = seconds() - t0;
	sqlite3_finalize(st);
	sqlite3_close(h);
	remove_db(db, sizeof db);
	return n / t;
}
