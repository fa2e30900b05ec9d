/*
 * bench-list.c -- `list` and `overdue` on a large store: the time of a page
 * and the memory of the process, against the least a page can cost (the
 * same rows read straight from SQLite and parsed), measured in the same run.
 * Then the time sweep: a sweep that finds nothing (the warn_at index), and
 * batches of 100 warned cases against the least such a batch can cost
 * (each case's events read and parsed, an event and its row written, one
 * commit, straight in SQLite).
 *
 *   bench-list RULES DB [N]     (N cases, 100000 when not given)
 *
 * The store is made fast: 500 cases through the engine, then copied with
 * new ids in SQL until there are N (only the cases table: list and overdue
 * read nothing else).  DB is removed first.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "onetrip.h"

#define COMPANY "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"鞍山市立山建设有限公司\"}"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "bench-list: %s: %s\n", what, why);
	exit(1);
}

static void seed(const char *rules, const char *db)
{
	ot_engine *e;
	ot_error err;
	if (ot_engine_open(rules, db, &e, &err) != OT_OK)
		die("open", err.message);
	for (int i = 0; i < 500; i++) {
		char req[1024], *resp;
		snprintf(req, sizeof req, "{\"item\":\"construction_permit\",\"channel\":\"online\","
			 "\"now\":\"2019-09-27T09:%02d\",\"applicant\":" COMPANY ",\"form\":{\"name\":\"楼\","
			 "\"area\":5400,\"height\":18,\"government_funded\":true,\"contractor\":"
			 "\"91350100M000100Y43\",\"kind\":\"public\"},\"materials\":[\"land_cert\"%s]}",
			 i % 60, i % 3 ? ",\"drawings\",\"fire_review\"" : "");
		if (ot_submit(e, req, &resp, &err) != OT_OK)
			die("submit", err.message);
		free(resp);
	}
	ot_engine_close(e);
}

static void grow(const char *db, int n)
{
	sqlite3 *h;
	if (sqlite3_open(db, &h) != SQLITE_OK)
		die("sqlite", sqlite3_errmsg(h));
	char q[1024];
	/* copies k = 1.. of the 500 seeded cases, ids in order after theirs */
	snprintf(q, sizeof q,
		 "BEGIN; WITH RECURSIVE k(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM k WHERE x < %d)"
		 " INSERT INTO cases SELECT printf('2020%%04d-%%s', k.x, substr(id, 10)), item, rules,"
		 " status, applicant, department, handlers, due, updated,"
		 " json_set(state, '$.id', printf('2020%%04d-%%s', k.x, substr(id, 10))), next_due,"
		 " warn_at"
		 " FROM k, cases WHERE cases.id LIKE '2019%%'; COMMIT", n / 500 - 1);
	if (sqlite3_exec(h, q, NULL, NULL, NULL) != SQLITE_OK)
		die("growing the store", sqlite3_errmsg(h));
	sqlite3_close(h);
}

/* Average milliseconds of `reps` calls of op with request req. */
static double page_ms(ot_engine *e, const char *op, const char *req, int reps, size_t *count)
{
	double t0 = now();
	for (int i = 0; i < reps; i++) {
		char *resp;
		ot_error err;
		if (ot_call(e, op, req, &resp, &err) != OT_OK)
			die(op, err.message);
		if (i == 0) {
			json_t *j = json_loads(resp, 0, NULL);
			*count = json_array_size(json_object_get(j, "cases"));
			json_decref(j);
		}
		free(resp);
	}
	return (now() - t0) / reps * 1e3;
}

/* Average milliseconds of one sweep batch of `limit` (the first `reps`). */
static double sweep_ms(ot_engine *e, const char *day, int reps, size_t *warned)
{
	char req[128];
	snprintf(req, sizeof req, "{\"now\":\"%sT09:00\",\"limit\":100}", day);
	double t0 = now();
	*warned = 0;
	for (int i = 0; i < reps; i++) {
		char *resp;
		ot_error err;
		if (ot_sweep(e, req, &resp, &err) != OT_OK)
			die("sweep", err.message);
		json_t *j = json_loads(resp, 0, NULL);
		*warned += json_array_size(json_object_get(j, "warnings"));
		json_decref(j);
		free(resp);
	}
	return (now() - t0) / reps * 1e3;
}

/* The least a batch of 100 warned cases costs: in one transaction, each
 * case's events read and parsed, `per` events and the row written. */
static double sweep_ceiling_ms(const char *db, const char *after, int per)
{
	sqlite3 *h;
	sqlite3_stmt *ids, *evs, *ins, *upd;
	sqlite3_open(db, &h);
	sqlite3_exec(h, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	sqlite3_prepare_v2(h, "SELECT id, state FROM cases WHERE id > ?1 ORDER BY id LIMIT 100", -1,
			   &ids, NULL);
	sqlite3_prepare_v2(h, "SELECT payload FROM events WHERE case_id = ?1 ORDER BY seq", -1, &evs,
			   NULL);
	sqlite3_prepare_v2(h, "INSERT INTO events(case_id, seq, at, op, actor, rules, payload)"
			   " SELECT case_id, seq + 1000, at, 'warn', 'sweep', rules, payload FROM events"
			   " WHERE case_id = ?1 AND seq = 1", -1, &ins, NULL);
	sqlite3_prepare_v2(h, "UPDATE cases SET state = ?2, warn_at = NULL WHERE id = ?1", -1, &upd,
			   NULL);
	double t0 = now();
	sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	sqlite3_bind_text(ids, 1, after, -1, SQLITE_STATIC);
	while (sqlite3_step(ids) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(ids, 0);
		sqlite3_bind_text(evs, 1, id, -1, SQLITE_TRANSIENT);
		while (sqlite3_step(evs) == SQLITE_ROW)
			json_decref(json_loads((const char *)sqlite3_column_text(evs, 0), 0, NULL));
		sqlite3_reset(evs);
		for (int k = 0; k < per; k++) {
			sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
			sqlite3_step(ins);
			sqlite3_reset(ins);
			sqlite3_bind_text(upd, 1, id, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(upd, 2, (const char *)sqlite3_column_text(ids, 1), -1,
					  SQLITE_TRANSIENT);
			sqlite3_step(upd);
			sqlite3_reset(upd);
		}
	}
	sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
	double t = (now() - t0) * 1e3;
	sqlite3_finalize(ids);
	sqlite3_finalize(evs);
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	sqlite3_close(h);
	return t;
}

/* The ceiling: the same 100 rows read from SQLite and their JSON parsed. */
static double ceiling_ms(const char *db, const char *after, int reps)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	sqlite3_open(db, &h);
	sqlite3_prepare_v2(h, "SELECT id, state FROM cases WHERE id > ?1 ORDER BY id LIMIT 101", -1,
			   &st, NULL);
	double t0 = now();
	for (int i = 0; i < reps; i++) {
		sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_decref(json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL));
		sqlite3_reset(st);
	}
	double t = (now() - t0) / reps * 1e3;
	sqlite3_finalize(st);
	sqlite3_close(h);
	return t;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench-list RULES DB [N]\n");
		return 2;
	}
	int n = argc > 3 ? atoi(argv[3]) : 100000;
	char side[1024];
	remove(argv[2]);
	snprintf(side, sizeof side, "%s-wal", argv[2]);
	remove(side);
	snprintf(side, sizeof side, "%s-shm", argv[2]);
	remove(side);
	double t0 = now();
	seed(argv[1], argv[2]);
	grow(argv[2], n);
	printf("store of %d cases made in %.1f s\n", n / 500 * 500, now() - t0);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	long before = ru.ru_maxrss;
	ot_engine *e;
	ot_error err;
	if (ot_engine_open(argv[1], argv[2], &e, &err) != OT_OK)
		die("open", err.message);
	static const struct {
		const char *name, *op, *req;
	} pages[] = {
		{"list, first page", "list", "{}"},
		{"list, a page in the middle", "list", "{\"after\":\"20200100-0250\"}"},
		{"list, the last page", "list", "{\"after\":\"20200199-0450\"}"},
		{"list, in_progress, first page", "list", "{\"status\":\"in_progress\"}"},
		{"list, 1000 a page", "list", "{\"limit\":1000,\"after\":\"20200100-0250\"}"},
		{"overdue, first page", "overdue", "{\"now\":\"2019-12-01T09:00\"}"},
	};
	for (size_t i = 0; i < sizeof pages / sizeof *pages; i++) {
		size_t count = 0;
		double ms = page_ms(e, pages[i].op, pages[i].req, 50, &count);
		printf("%-32s %7.2f ms  (%zu cases)\n", pages[i].name, ms, count);
	}
	double ceil = ceiling_ms(argv[2], "20200100-0250", 50);
	printf("%-32s %7.2f ms  (the ceiling: 100 rows read and parsed)\n", "raw SQLite + jansson", ceil);
	/* the time sweep: on 09-20 nothing is near; on 12-01 every case is late
	 * (the 500 made through the engine come first: the copies have no events) */
	size_t warned = 0;
	double none = sweep_ms(e, "2019-09-20", 50, &warned);
	printf("%-32s %7.2f ms  (%zu warnings)\n", "sweep, nothing due", none, warned);
	double batch = sweep_ms(e, "2019-12-01", 3, &warned);
	int per = (int)(warned / 300);
	printf("%-32s %7.2f ms  (%zu warnings in 3 batches of 100 cases)\n", "sweep, a batch of 100",
	       batch, warned);
	double sceil = sweep_ceiling_ms(argv[2], "2019", per > 0 ? per : 1);
	printf("%-32s %7.2f ms  (the ceiling: 100 cases' events read, %d events and rows written)\n",
	       "raw SQLite + jansson", sceil, per > 0 ? per : 1);
	ot_engine_close(e);
	getrusage(RUSAGE_SELF, &ru);
	printf("peak memory: %.1f MB (%.1f MB before the engine opened the store)\n",
	       (double)ru.ru_maxrss / 1024, (double)before / 1024);
	return 0;
}
