/*
 * bench-chain -- how fast chains run, next to single items and to what
 * SQLite itself can do on this machine.
 *
 *   bench-chain RULES DB_DIR [N]
 *
 * RULES is the bundled rule base (rules/).
 * 1. chain assessments per second: ot_assess on the full four-stage chain
 *    construction_approval (12 items, every material of every item asked
 *    once), in memory, JSON in and out; and, beside it, one item of the
 *    same rules (the request tools/bench-serve posts);
 * 2. durable chain operations per second: the small chain submitted (its
 *    first item case opened), then walked through its first stage and
 *    into the second (an item case opened inside the stage when the one it
 *    waits for is approved, then the stage done and the next started with
 *    its item case): each operation its own transaction on a store file;
 *    and, in turns of ten with the chains, on the same rules, single-item
 *    durable operations (investment_filing submitted and approved, no
 *    chain) on a store file of their own;
 * 3. the ceiling: single-row INSERT transactions on a bare SQLite file
 *    with the same settings (WAL, synchronous=FULL).
 * Figures go to docs/performance.md with the machine and the command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_ceiling.h"
#include "engine.h"
#include "hooks.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

#define APPLICANT "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"x\"}"
#define FORM "{\"project_name\":\"x\",\"builder_code\":\"91350100M000100Y43\",\"location\":\"x\"," \
	"\"total_investment\":12000,\"floor_area\":36000,\"project_kind\":\"industrial_building\"," \
	"\"land_supply\":\"allocated\",\"new_land\":false,\"contractor_code\":\"91210304MA0000001L\"," \
	"\"needs_water\":true,\"needs_power\":true,\"needs_gas\":true}"
#define SMALL_FORM "{\"project_name\":\"x\",\"builder_code\":\"91350100M000100Y43\",\"location\":\"x\"," \
	"\"total_investment\":28,\"floor_area\":280,\"project_kind\":\"public_building\"," \
	"\"land_supply\":\"granted\",\"contractor_code\":\"91210304MA0000001L\"}"
#define SMALL_ALL "\"filing_commitment\",\"topographic_map\",\"design_scheme\",\"construction_contract\"," \
	"\"funds_commitment\",\"quality_safety_commitment\",\"completion_report\",\"survey_results\""

static void run(ot_engine *e, const char *op, const char *req)
{
	char *resp;
	ot_error err;
	if (ot_call(e, op, req, &resp, &err) != OT_OK) {
		fprintf(stderr, "bench-chain: %s: %s\n", op, err.message);
		exit(1);
	}
	free(resp);
}

/* For scale, and for the service: one item of the same rule base, the
 * request tools/bench-serve posts to /v1/assess (no applicant, four form
 * fields missing), as the server hands it to the engine.  Not inlined, so
 * that callgrind can tell its instructions from the chain's. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void one_item(ot_engine *e, int n)
{
	const char *one = "{\"now\":\"2024-03-04T09:00:00Z\",\"item\": "
			  "\"chronic_disease_recognition\", \"form\": {\"has_inpatient\": true}}";
	double t0 = now();
	for (int i = 0; i < n; i++)
		run(e, "assess", one);
	double t = now() - t0;
	printf("  one item, bench-serve's /v1/assess request (JSON in and out): %8.0f /s  "
	       "(%.2f µs each)\n", n / t, t / n * 1e6);
}

static void assessments(const char *rules, int n)
{
	ot_engine *e;
	ot_error err;
	if (ot_engine_open(rules, ":memory:", &e, &err) != OT_OK) {
		fprintf(stderr, "bench-chain: %s\n", err.message);
		exit(1);
	}
	const char *req = "{\"chain\":\"construction_approval\",\"now\":\"2019-09-27T09:00\","
			  "\"applicant\":" APPLICANT ",\"form\":" FORM ",\"materials\":["
			  "\"filing_commitment\",\"topographic_map\",\"design_scheme\","
			  "\"construction_drawings\",\"construction_contract\",\"funds_commitment\","
			  "\"quality_safety_commitment\",\"completion_report\",\"survey_results\","
			  "\"quality_supervision_report\",\"utility_design\"]}";
	double t0 = now();
	for (int i = 0; i < n; i++)
		run(e, "assess", req);
	double t = now() - t0;
	printf("chain assess, 4 stages, 12 items (in memory, JSON in and out): %8.0f /s  "
	       "(%.1f µs each, %d runs)\n", n / t, t / n * 1e6, n);
	/* the same, the request already parsed: chain_assess alone, with the
	 * hooks' instance made afresh for each, as an operation does */
	json_t *j = json_loads(req, 0, NULL);
	const version *v = &e->versions[0];
	int chain = strmap_get(&v->rules->by_chain, "construction_approval", 21);
	uint8_t *have = calloc(v->rules->n_materials + 1, 1);
	application app = {0, EV_COMPANY, "91350100M000100Y43", "x", json_object_get(j, "form"),
			   json_object_get(j, "materials"), 0, "new", NULL, 0, NULL, 0, NULL, NULL, 0,
			   NULL};
	time_parse("2019-09-27T09:00", e->zone, &app.now);
	material_sources src = engine_sources(e);
	t0 = now();
	for (int i = 0; i < n; i++) {
		chain_assessment a;
		if (chain_assess(v, chain, -1, &app, NULL, 0, have, &src, e->zone, &a, &err) != OT_OK) {
			fprintf(stderr, "bench-chain: %s\n", err.message);
			exit(1);
		}
		free(a.text);
		hook_end_operation(version_hooks(v));
		store_settle(e, OT_OK, &err);
	}
	t = now() - t0;
	printf("  the chain assessment itself (request parsed, answer written): %8.0f /s  "
	       "(%.1f µs each)\n", n / t, t / n * 1e6);
	free(have);
	json_decref(j);
	one_item(e, n);
	ot_engine_close(e);
}

static char *store_at(const char *dir, const char *name, char *db, size_t cap)
{
	snprintf(db, cap, "%s/%s", dir, name);
	remove(db);
	return db;
}

static void drop(char *db)
{
	remove(db);
	strcat(db, "-wal");
	remove(db);
}

#define ACT(step, actor) \
	"{\"case\":\"%s\",\"step\":\"" step "\",\"action\":\"approve\",\"actor\":\"" actor "\"," \
	"\"now\":\"2019-12-04T11:00\"}"

static void act(ot_engine *e, const char *fmt, const char *id)
{
	char req[512];
	snprintf(req, sizeof req, fmt, id);
	run(e, "act", req);
}

/* One chain: submitted, its filing approved (opening 用地规划 inside the
 * stage), 用地规划 approved (the stage done, stage 2 started, its first
 * item case opened).  8 operations; ids from the day's counter. */
static void one_chain(ot_engine *e, int *seq)
{
	char chain_req[2048], filing[32], land[32];
	snprintf(chain_req, sizeof chain_req, "{\"chain\":\"construction_small\",\"now\":"
		 "\"2019-12-04T09:00\",\"applicant\":" APPLICANT ",\"form\":" SMALL_FORM
		 ",\"materials\":[" SMALL_ALL "]}");
	run(e, "submit", chain_req);
	snprintf(filing, sizeof filing, "20191204-%04d", *seq + 2);
	snprintf(land, sizeof land, "20191204-%04d", *seq + 3);
	*seq += 4; /* chain, filing, land use, planning */
	act(e, ACT("intake", "approval_bureau.investment"), filing);
	act(e, ACT("confirm", "approval_bureau"), filing);
	act(e, ACT("intake", "approval_bureau.investment"), land);
	act(e, ACT("review", "approval_bureau"), land);
	act(e, ACT("condition_check", "natural_resources"), land);
	act(e, ACT("decide", "approval_bureau"), land);
	act(e, ACT("issue", "approval_bureau.pickup"), land);
}

static ot_engine *open_store(const char *rules, const char *dir, const char *name, char *db,
			     size_t cap)
{
	ot_engine *e;
	ot_error err;
	if (ot_engine_open(rules, store_at(dir, name, db, cap), &e, &err) != OT_OK) {
		fprintf(stderr, "bench-chain: %s\n", err.message);
		exit(1);
	}
	return e;
}

static void one_single(ot_engine *e, int i)
{
	char id[32];
	run(e, "submit", "{\"item\":\"investment_filing\",\"now\":\"2019-12-04T09:00\","
	    "\"applicant\":" APPLICANT ",\"form\":" SMALL_FORM ",\"materials\":[\"filing_commitment\"]}");
	snprintf(id, sizeof id, "20191204-%04d", i + 1);
	act(e, ACT("intake", "approval_bureau.investment"), id);
	act(e, ACT("confirm", "approval_bureau"), id);
}

/* Chains and single items in turns of 10, each on its own store file:
 * a machine whose load changes during the run slows both alike. */
static double durable(const char *rules, const char *dir, int n)
{
	char cdb[4096], sdb[4096];
	ot_engine *ce = open_store(rules, dir, "bench-chain.db", cdb, sizeof cdb);
	ot_engine *se = open_store(rules, dir, "bench-single.db", sdb, sizeof sdb);
	double tc = 0, ts = 0;
	int seq = 0;
	for (int done = 0; done < n; done += 10) {
		int k = n - done < 10 ? n - done : 10;
		double t0 = now();
		for (int i = 0; i < k; i++)
			one_chain(ce, &seq);
		tc += now() - t0;
		t0 = now();
		for (int i = 0; i < k; i++)
			one_single(se, done + i);
		ts += now() - t0;
	}
	double chain = 8.0 * n / tc, single = 3.0 * n / ts;
	printf("chain walk (durable: submit + 7 acts, 2 of them opening item cases, 1 a stage "
	       "transition): %8.0f operations/s  (%d chains)\n", chain, n);
	printf("single item (durable: submit + 2 acts, no chain), in turns with the chains: "
	       "%8.0f operations/s  (%d cases)\n", single, n);
	ot_engine_close(ce);
	ot_engine_close(se);
	drop(cdb);
	drop(sdb);
	return chain / single;
}

static void ceiling(const char *dir, int n)
{
	printf("raw SQLite single-row transactions:    %8.0f /s  (the ceiling)\n",
	       bench_sqlite_ceiling(dir, n));
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench-chain RULES DB_DIR [N]\n");
		return 2;
	}
	int n = argc > 3 ? atoi(argv[3]) : 200;
	if (n < 1 || n > 1000) { /* the day's counter: 4 cases a chain, 9999 a day */
		fprintf(stderr, "bench-chain: N is from 1 to 1000\n");
		return 2;
	}
	assessments(argv[1], n * 100);
	double ratio = durable(argv[1], argv[2], n);
	printf("chain operations at %.0f %% of single-item operations\n", 100.0 * ratio);
	ceiling(argv[2], 8 * n);
	return 0;
}
