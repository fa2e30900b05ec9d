/*
 * bench-engine -- how fast the case engine is, next to what SQLite itself
 * can do on this machine.
 *
 *   bench-engine RULES DB_DIR [N [HOOK_RULES]]
 *
 * 1. assessments per second: ot_assess on the contract item, in memory,
 *    JSON in and out (what a portal calls while the user types); and the
 *    assessment alone, the request already parsed, to show where the time
 *    goes;
 * 2. durable operations per second: submit, then approve the first step,
 *    each its own transaction, on a store file in DB_DIR;
 * 3. the ceiling: single-row INSERT transactions per second on a bare
 *    SQLite file with the same settings (WAL, synchronous=FULL).
 * Figures go to docs/performance.md with the machine and the command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_ceiling.h"
#include "engine.h"
#include "hooks.h"
#include "json_read.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

#define APPLICANT "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"x\"}"
#define FORM "{\"name\":\"x\",\"area\":5400,\"height\":18,\"government_funded\":true," \
	     "\"contractor\":\"91350100M000100Y43\",\"kind\":\"public\"}"

static int check(ot_status s, const ot_error *err)
{
	if (s != OT_OK)
		fprintf(stderr, "bench-engine: %s\n", err->message);
	return s == OT_OK;
}

static void assessments(const char *rules, int n)
{
	ot_engine *e;
	ot_error err;
	if (!check(ot_engine_open(rules, ":memory:", &e, &err), &err))
		exit(1);
	const char *req = "{\"item\":\"construction_permit\",\"now\":\"2019-09-27T09:00\","
			  "\"applicant\":" APPLICANT ",\"form\":" FORM ","
			  "\"materials\":[\"land_cert\",\"drawings\"]}";
	double t0 = now();
	for (int i = 0; i < n; i++) {
		char *resp;
		if (!check(ot_assess(e, req, &resp, &err), &err))
			exit(1);
		free(resp);
	}
	double t = now() - t0, total = t / n;
	printf("assess (in memory, JSON in and out): %8.0f /s  (%.2f µs each, %d runs)\n",
	       n / t, t / n * 1e6, n);

	/* the parts, each timed alone: reading the request as the engine does
	 * (json_read, its values cut from the thread's slab: json_pool_begin)
	 * and freeing it, jansson's parser for comparison, the assessment */
	json_t *j = json_loads(req, 0, NULL);
	t0 = now();
	for (int i = 0; i < n; i++) {
		json_pool_begin();
		json_t *r = json_read(req);
		json_pool_end();
		json_decref(r);
	}
	double parse = (now() - t0) / n;
	t0 = now();
	for (int i = 0; i < n; i++)
		json_decref(json_loads(req, JSON_REJECT_DUPLICATES, NULL));
	double jansson = (now() - t0) / n;
	/* the assessment as ot_assess makes it: the engine's material and
	 * licence libraries asked (construction_permit's land_cert and
	 * fire_review are issued by departments: looked up in the licence
	 * library), the answer written and freed */
	const version *v = &e->versions[0];
	int item = strmap_get(&v->rules->by_item, "construction_permit", 19);
	uint8_t have[1024];
	material_sources src = engine_sources(e);
	application app = {item, EV_COMPANY, "91350100M000100Y43", "x",
			   json_object_get(j, "form"), json_object_get(j, "materials"),
			   0, "new", NULL, 0};
	time_parse("2019-09-27T09:00", e->zone, &app.now);
	t0 = now();
	for (int i = 0; i < n; i++) {
		assessment a;
		if (!check(assess(v, &app, have, &src, e->zone, &a, &err), &err))
			exit(1);
		assessment_free(&a);
	}
	double alone = (now() - t0) / n;
	printf("  of which reading and freeing the request (json_read): %.2f µs (jansson's parser: %.2f µs);"
	       " the assessment itself (libraries asked, answer written): %.2f µs (%.0f /s);"
	       " the rest -- the request's checks, the transaction: %.2f µs\n",
	       parse * 1e6, jansson * 1e6, alone * 1e6, 1 / alone, (total - parse - alone) * 1e6);
	json_decref(j);
	ot_engine_close(e);
}

static void durable(const char *rules, const char *dir, int n)
{
	char db[4096];
	snprintf(db, sizeof db, "%s/bench-engine.db", dir);
	remove(db);
	ot_engine *e;
	ot_error err;
	if (!check(ot_engine_open(rules, db, &e, &err), &err))
		exit(1);
	double t0 = now();
	for (int i = 0; i < n; i++) {
		char req[1024], *resp;
		snprintf(req, sizeof req, "{\"item\":\"construction_permit\",\"now\":\"2019-09-27T09:00\","
			 "\"applicant\":" APPLICANT ",\"form\":" FORM ","
			 "\"materials\":[\"land_cert\",\"drawings\",\"fire_review\"]}");
		if (!check(ot_submit(e, req, &resp, &err), &err))
			exit(1);
		free(resp);
		snprintf(req, sizeof req, "{\"case\":\"20190927-%04d\",\"step\":\"intake\",\"action\":"
			 "\"approve\",\"actor\":\"approval_bureau.investment\",\"now\":\"2019-09-29T10:00\"}",
			 i + 1);
		if (!check(ot_act(e, req, &resp, &err), &err))
			exit(1);
		free(resp);
	}
	double t = now() - t0;
	printf("submit + act (durable, one file):      %8.0f operations/s  (%d cases)\n",
	       2 * n / t, n);
	ot_engine_close(e);
	remove(db);
	strcat(db, "-wal");
	remove(db);
}

static void ceiling(const char *dir, int n)
{
	printf("raw SQLite single-row transactions:    %8.0f /s  (the ceiling)\n",
	       bench_sqlite_ceiling(dir, 2 * n));
}

/* The cost of calling an empty hook function from a condition: the
 * engine's side of a hook call, without the work of any hook. */
static void empty_hook(const char *hooks_rules, int n)
{
	ot_engine *e;
	ot_error err;
	if (!check(ot_engine_open(hooks_rules, ":memory:", &e, &err), &err))
		exit(1);
	const version *v = &e->versions[0];
	int item = strmap_get(&v->rules->by_item, "fire_review", 11);
	hook_view view = {item, NULL, EV_COMPANY, NULL, NULL, NULL, 0, "new", NULL, 0};
	hook_call_ctx ctx = {version_hooks(v), &view, &err, "", 0};
	ev_value out;
	const char *why;
	if (!hook_lua_fn(&ctx, "noop", NULL, 0, &out, &why)) {
		fprintf(stderr, "bench-engine: %s\n", why);
		exit(1);
	}
	double t0 = now();
	for (int i = 0; i < n; i++) {
		if (i % 10000 == 0)
			hook_end_operation(ctx.h);
		hook_lua_fn(&ctx, "noop", NULL, 0, &out, &why);
	}
	double t = now() - t0;
	printf("empty hook call (lua.noop()):          %8.2f µs  (%d calls)\n", t / n * 1e6, n);
	/* the same empty function as a hook point: the read-only case view
	 * (form, applicant, materials, steps) is built for every call */
	ev_value form[MAX_FIELDS];
	memset(form, 0, sizeof form);
	for (int i = 0; i < MAX_FIELDS; i++)
		form[i].absent = 1;
	view.form = form;
	char *note = NULL;
	t0 = now();
	for (int i = 0; i < n; i++) {
		/* an operation's hooks share one time limit: a new one now and then */
		if (i % 10000 == 0)
			hook_end_operation(ctx.h);
		hook_notify(ctx.h, &view, "noop", 0, NULL, &note, &err);
	}
	t = now() - t0;
	printf("empty hook point (noop(case, step)):   %8.2f µs  (%d calls)\n", t / n * 1e6, n);
	/* a new case: the hook file's top runs afresh (fire.lua: one module
	 * required, five functions), then the same empty point */
	int m = n / 20;
	t0 = now();
	for (int i = 0; i < m; i++) {
		hook_end_operation(ctx.h);
		hook_notify(ctx.h, &view, "noop", 0, NULL, &note, &err);
	}
	t = now() - t0;
	printf("the same, first call of a case:        %8.2f µs  (%d calls)\n", t / m * 1e6, m);
	ot_engine_close(e);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench-engine RULES DB_DIR [N [HOOK_RULES]]\n");
		return 2;
	}
	int n = argc > 3 ? atoi(argv[3]) : 2000;
	assessments(argv[1], n * 50);
	durable(argv[1], argv[2], n);
	ceiling(argv[2], n);
	if (argc > 4)
		empty_hook(argv[4], n * 500);
	return 0;
}
