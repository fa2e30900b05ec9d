/*
 * bench-durable -- the engine's work per durable operation, in one
 * process: the permit flow of tools/bench-flow (建筑工程施工许可证核发 of
 * the bundled rules: submit, five approvals, delivery) without HTTP and
 * without clients, next to what SQLite itself commits.
 *
 *   bench-durable RULES DB_DIR [INSTANCES [WAY]]
 *
 * Four ways, each on a new store in DB_DIR (WAL, synchronous=FULL: the
 * service's settings):
 *   1. each operation its own transaction (ot_call), the engine keeping
 *      no case (case_cache 0: every operation replays its case's events);
 *   2. the same with the case cache (the default);
 *   3. group commit: 64 instances at a time, each step of the 64 in one
 *      ot_call_batch (one transaction, a savepoint an operation), as the
 *      service's committer does; no case kept;
 *   4. the same with the case cache;
 *   5. the same with compact answers (compact_answers, as onetrip serve
 *      opens its engines: a write's answer is its snapshot's text);
 * and the ceiling: single-row transactions on a bare SQLite file in DB_DIR.
 * WAY (1-5) runs only that one, without the ceiling: to count its
 * instructions (valgrind --tool=callgrind), which a busy machine does not
 * change as it changes the time.
 * On a disk, 1 and 2 are bound by its flush; on /dev/shm, where a flush
 * costs nothing, every figure is the engine's work and SQLite's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "bench_ceiling.h"
#include "onetrip.h"

#define BATCH 64
#define STEPS 7 /* submit, five approvals, delivery */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const APP =
	"{\"item\":\"construction_permit\",\"channel\":\"online\",\"now\":\"2024-03-04T09:00\","
	"\"client\":\"portal\",\"applicant\":{\"kind\":\"company\",\"id\":\"91350100M000100Y43\","
	"\"name\":\"鞍山市立山建设有限公司\"},\"form\":{\"project_name\":\"教学楼\","
	"\"builder_code\":\"91350100M000100Y43\",\"location\":\"立山区\",\"total_investment\":500,"
	"\"floor_area\":1200,\"building_height\":18,\"project_kind\":\"public_building\","
	"\"land_supply\":\"granted\",\"contractor_code\":\"91350100M000100Y43\"},"
	"\"materials\":[\"business_license\",\"legal_rep_cert\",\"planning_permit_doc\","
	"\"real_estate_cert\",\"drawing_review_cert\",\"construction_contract\","
	"\"funds_commitment\",\"quality_safety_commitment\"]}";

static const char *const FLOW[][2] = {
	{"intake", "approval_bureau.investment"}, {"review", "approval_bureau"},
	{"supervision", "housing"}, {"decide", "approval_bureau"},
	{"issue", "approval_bureau.pickup"},
};

/* Step k (0: submit, 1-5: approvals, 6: delivery) of case `id`. */
static void request(int k, const char id[32], char *out, size_t cap)
{
	if (k == 0)
		snprintf(out, cap, "%s", APP);
	else if (k <= 5)
		snprintf(out, cap, "{\"case\":\"%s\",\"step\":\"%s\",\"action\":\"approve\","
			 "\"actor\":\"%s\",\"now\":\"2024-03-05T10:%02d\",\"client\":\"c\","
			 "\"officer\":{\"id\":\"B001\",\"name\":\"测试\"}}", id, FLOW[k - 1][0],
			 FLOW[k - 1][1], k);
	else
		snprintf(out, cap, "{\"case\":\"%s\",\"method\":\"electronic\","
			 "\"now\":\"2024-03-05T11:00\",\"client\":\"pickup\"}", id);
}

static const char *const OPS[STEPS] = {"submit", "act", "act", "act", "act", "act", "deliver"};

static ot_engine *open_store(const char *rules, const char *db, int cache, int compact)
{
	ot_engine_config c;
	ot_engine_config_init(&c);
	c.rules_path = rules;
	c.store = db;
#ifndef BENCH_NO_CACHE_FIELD /* built against an engine without the cache */
	c.case_cache = cache ? 256 : 0;
#else
	(void)cache;
#endif
#ifndef BENCH_NO_COMPACT_FIELD /* built against an engine without compact answers */
	c.compact_answers = compact;
#else
	(void)compact;
#endif
	ot_engine *e = NULL;
	ot_error err;
	if (ot_engine_open_config(&c, &e, &err) != OT_OK) {
		fprintf(stderr, "bench-durable: %s\n", err.message);
		exit(1);
	}
	return e;
}

/* The case id in an answer, indented or compact: its first key. */
static void id_of(const char *resp, char id[32])
{
	const char *p = resp ? strstr(resp, "\"id\":") : NULL;
	id[0] = 0;
	if (p)
		sscanf(p + 5, " \"%31[^\"]", id);
}

static void fail(const char *op, const ot_error *err)
{
	fprintf(stderr, "bench-durable: %s: %s\n", op, err->message);
	exit(1);
}

/* n instances, in groups of BATCH; each step of a group one batch, or
 * each operation alone.  Returns the seconds taken. */
static double flow(const char *rules, const char *dir, int n, int batched, int cache, int compact)
{
	char db[4096], req[BATCH][4096], ids[BATCH][32];
	snprintf(db, sizeof db, "%s/bench-durable.db", dir);
	remove(db);
	ot_engine *e = open_store(rules, db, cache, compact);
	ot_error err;
	double t0 = now();
	for (int done = 0; done < n; done += BATCH) {
		int m = n - done < BATCH ? n - done : BATCH;
		for (int k = 0; k < STEPS; k++) {
			ot_batch_item items[BATCH];
			memset(items, 0, sizeof items);
			for (int i = 0; i < m; i++) {
				request(k, ids[i], req[i], sizeof req[i]);
				items[i].op = OPS[k];
				items[i].request = req[i];
				if (!batched && ot_call(e, OPS[k], req[i], &items[i].response,
							&items[i].err) != OT_OK)
					fail(OPS[k], &items[i].err);
			}
			if (batched && ot_call_batch(e, items, (size_t)m, &err) != OT_OK)
				fail("batch", &err);
			for (int i = 0; i < m; i++) {
				if (batched && items[i].status != OT_OK)
					fail(OPS[k], &items[i].err);
				if (k == 0)
					id_of(items[i].response, ids[i]);
				free(items[i].response);
			}
		}
	}
	double t = now() - t0;
	ot_engine_close(e);
	remove(db);
	strcat(db, "-wal");
	remove(db);
	return t;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench-durable RULES DB_DIR [INSTANCES [WAY]]\n");
		return 2;
	}
	int n = argc > 3 ? atoi(argv[3]) : 512;
	if (n < 1)
		n = 1;
	static const struct {
		int batched, cache, compact;
		const char *what;
	} ways[] = {
		{0, 0, 0, "each operation alone, no case kept (every op replays)"},
		{0, 1, 0, "each operation alone, the case cache             "},
		{1, 0, 0, "group commit (64 a batch), no case kept          "},
		{1, 1, 0, "group commit (64 a batch), the case cache        "},
		{1, 1, 1, "the same, compact answers (as onetrip serve)     "},
	};
	int only = argc > 4 ? atoi(argv[4]) : 0;
	for (size_t w = 0; w < sizeof ways / sizeof *ways; w++) {
		if (only && (size_t)only != w + 1)
			continue;
		double t = flow(argv[1], argv[2], n, ways[w].batched, ways[w].cache,
				ways[w].compact);
		printf("permit flow, %s: %7.0f instances/s, %7.0f operations/s (%.1f µs an operation)\n",
		       ways[w].what, n / t, n * STEPS / t, t * 1e6 / (n * STEPS));
	}
	if (!only)
		printf("raw SQLite single-row transactions (the ceiling):                %7.0f /s\n",
		       bench_sqlite_ceiling(argv[2], n * 2));
	return 0;
}
