/*
 * bench-durable -- the engine's work per durable operation, in one
 * process: the permit flow of tools/bench-flow (建筑工程施工许可证核发 of
 * the bundled rules: submit, five approvals, delivery) without HTTP and
 * without clients, next to what SQLite itself commits.
 *
 *   bench-durable RULES DB_DIR [INSTANCES [WAY]]
 *
 * The requests are tools/bench-flow.json's (run it from the source tree),
 * with what onetrip serve adds to each: the clock, the client, and for a
 * department's client the actor (department.window) and, but for act,
 * handled_by.
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

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#include <jansson.h>

/* The flow's requests (tools/bench-flow.json): each as the engine gets it,
 * the case's number to go between its two halves. */
#define STEPS_MAX 16
static char *flow_req[STEPS_MAX], *flow_rest[STEPS_MAX];
static const char *flow_op[STEPS_MAX];
static int nsteps;

/* The operation of a route: POST /v1/cases is submit, /v1/cases/{id}/OP is OP. */
static const char *op_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return strcmp(path, "/v1/cases") == 0 ? "submit" : slash + 1;
}

static void load_flow(const char *path)
{
	json_error_t je;
	json_t *f = json_load_file(path, 0, &je), *r;
	size_t k;
	if (!f) {
		fprintf(stderr, "bench-durable: %s: %s (run it from the source tree)\n", path, je.text);
		exit(1);
	}
	json_array_foreach(json_object_get(f, "requests"), k, r) {
		if (k >= STEPS_MAX)
			break;
		const char *as = json_string_value(json_object_get(r, "as"));
		const char *route = json_string_value(json_object_get(r, "path"));
		json_t *who = json_object_get(json_object_get(f, "clients"), as);
		const char *dept = json_string_value(json_object_get(who, "department"));
		const char *win = json_string_value(json_object_get(who, "window"));
		json_t *body = json_deep_copy(json_object_get(r, "body"));
		flow_op[k] = op_of(route);
		char now[32];
		snprintf(now, sizeof now, k == 0 ? "2024-03-04T09:00" : "2024-03-05T10:%02zu", k);
		json_object_set_new(body, "now", json_string(now));
		json_object_set_new(body, "client", json_string(as));
		if (dept) {
			char actor[140];
			snprintf(actor, sizeof actor, "%s%s%s", dept, win ? "." : "", win ? win : "");
			json_object_set_new(body, "actor", json_string(actor));
			if (strcmp(flow_op[k], "act") != 0)
				json_object_set_new(body, "handled_by", json_string(dept));
		}
		if (k > 0)
			json_object_set_new(body, "case", json_string("@case@"));
		flow_req[k] = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		char *at = flow_req[k] ? strstr(flow_req[k], "@case@") : NULL;
		flow_rest[k] = at ? at + 6 : NULL;
		if (at)
			*at = 0;
		nsteps = (int)k + 1;
	}
	/* flow_op points into f, kept for the run */
}

/* Step k of case `id`. */
static void request(int k, const char id[32], char *out, size_t cap)
{
	snprintf(out, cap, "%s%s%s", flow_req[k], flow_rest[k] ? id : "",
		 flow_rest[k] ? flow_rest[k] : "");
}

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
		for (int k = 0; k < nsteps; k++) {
			ot_batch_item items[BATCH];
			memset(items, 0, sizeof items);
			for (int i = 0; i < m; i++) {
				request(k, ids[i], req[i], sizeof req[i]);
				items[i].op = flow_op[k];
				items[i].request = req[i];
				if (!batched && ot_call(e, flow_op[k], req[i], &items[i].response,
							&items[i].err) != OT_OK)
					fail(flow_op[k], &items[i].err);
			}
			if (batched && ot_call_batch(e, items, (size_t)m, &err) != OT_OK)
				fail("batch", &err);
			for (int i = 0; i < m; i++) {
				if (batched && items[i].status != OT_OK)
					fail(flow_op[k], &items[i].err);
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
	load_flow("tools/bench-flow.json");
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
		       ways[w].what, n / t, n * nsteps / t, t * 1e6 / (n * nsteps));
	}
	if (!only)
		printf("raw SQLite single-row transactions (the ceiling):                %7.0f /s\n",
		       bench_sqlite_ceiling(argv[2], n * 2));
	return 0;
}
