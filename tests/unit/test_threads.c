/* One compiled rule base shared by engines in several threads, each with
 * an engine of its own on one store file (onetrip.h, "Threads").  The
 * sanitizer build runs it under ThreadSanitizer (make test, build-tsan). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine_helpers.h"
#include "model.h"

#define THREADS 2
#define CASES 40

static const char *RULES = OT_SOURCE_DIR "/tests/hooks/rules";

typedef struct worker {
	ot_rules *rules;
	const char *store;
	int n;
	int done;
	char error[600];
} worker;

static int one(ot_engine *e, worker *w, const char *op, const char *req)
{
	char *resp = NULL;
	ot_error err;
	ot_status s = ot_call(e, op, req, &resp, &err);
	if (s != OT_OK)
		snprintf(w->error, sizeof w->error, "%s: %s", op, err.message);
	free(resp);
	return s == OT_OK;
}

/* Assessments and cases with hooks (derive, validate, on_enter, route and
 * a lua. condition): every engine runs its own Lua states on the shared
 * rules. */
static void *work(void *arg)
{
	worker *w = arg;
	ot_engine_config c;
	ot_engine_config_init(&c);
	c.rules = w->rules;
	c.store = w->store;
	ot_engine *e = NULL;
	ot_error err;
	if (ot_engine_open_config(&c, &e, &err) != OT_OK) {
		snprintf(w->error, sizeof w->error, "open: %s", err.message);
		return NULL;
	}
	for (int i = 0; i < CASES; i++) {
		int ok = one(e, w, "assess", "{\"item\":\"elder_card\",\"now\":\"2019-09-02T09:00\","
			     "\"form\":{\"id_no\":\"110105193001010013\"}}") &&
			 one(e, w, "assess", "{\"item\":\"fire_review\",\"now\":\"2019-09-02T09:00\","
			     "\"form\":{\"height\":120.5,\"occupancy\":300}}") &&
			 one(e, w, "submit", "{\"item\":\"fire_review\",\"now\":\"2019-09-02T09:00\","
			     "\"applicant\":{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"x\"},"
			     "\"form\":{\"height\":50,\"occupancy\":100},\"materials\":[\"plan\"]}");
		if (!ok)
			break;
		w->done++;
	}
	ot_engine_close(e);
	return NULL;
}

static void engines_share_rules_across_threads(void **state)
{
	(void)state;
	const char *path = RULES;
	ot_rules *r = NULL;
	ot_diags *d = NULL;
	assert_int_equal(ot_rules_compile(&path, 1, NULL, &r, &d), OT_OK);
	ot_diags_free(d);
	char dir[200], store[600];
	test_tmpdir("threads", dir, sizeof dir);
	snprintf(store, sizeof store, "sqlite:%s/store.db", dir);
	pthread_t t[THREADS];
	worker w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (worker){r, store, i, 0, ""};
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		if (w[i].error[0])
			fprintf(stderr, "thread %d: %s\n", i, w[i].error);
		assert_int_equal(w[i].done, CASES);
	}
	/* the engines have let go of the rules: one reference is left, ours */
	assert_int_equal(atomic_load(&r->refs), 1);
	ot_engine_config c;
	ot_engine_config_init(&c);
	c.rules = r;
	c.store = store;
	ot_engine *e = NULL;
	ot_error err;
	assert_int_equal(ot_engine_open_config(&c, &e, &err), OT_OK);
	ot_rules_free(r); /* the engine still holds it */
	json_t *l = ok(e, "list", "{\"limit\":1000}");
	assert_int_equal(json_array_size(json_object_get(l, "cases")), THREADS * CASES);
	json_decref(l);
	ot_engine_close(e);
}

/* What the engine tells its log: one line an event, ID numbers masked. */
static char logged[4096];

static void log_line(void *ud, const char *line)
{
	(*(int *)ud)++;
	snprintf(logged + strlen(logged), sizeof logged - strlen(logged), "%s\n", line);
}

static void the_log_masks_what_it_says(void **state)
{
	(void)state;
	int lines = 0;
	ot_engine_config c;
	ot_engine_config_init(&c);
	c.rules_path = RULES;
	c.store = ":memory:";
	c.log = log_line;
	c.log_ud = &lines;
	ot_engine *e = NULL;
	ot_error err;
	assert_int_equal(ot_engine_open_config(&c, &e, &err), OT_OK);
	char *resp = NULL;
	assert_int_equal(ot_call(e, "show", "{\"case\":\"110105193001010013\"}", &resp, &err),
			 OT_ENOTFOUND);
	assert_int_equal(lines, 1);
	assert_non_null(strstr(logged, "show: "));
	assert_null(strstr(logged, "110105193001010013"));
	assert_non_null(strstr(logged, "1101**********0013"));
	ot_engine_close(e);
	/* limits out of range are refused */
	c.busy_ms = -1;
	assert_int_equal(ot_engine_open_config(&c, &e, &err), OT_EINVAL);
	assert_non_null(strstr(err.message, "busy_ms"));
	/* a configuration not made by ot_engine_config_init is refused */
	ot_engine_config bad = {0};
	assert_int_equal(ot_engine_open_config(&bad, &e, &err), OT_EINVAL);
	assert_non_null(strstr(err.message, "ot_engine_config_init"));
}

/* The configuration's allocator: the compiled rules come from it, and all
 * of it is given back when the last holder lets go. */
typedef struct counted {
	long calls;
	long live;
} counted;

static void *counting(void *ud, void *ptr, size_t osize, size_t nsize)
{
	counted *c = ud;
	c->calls++;
	c->live += (long)nsize - (long)(ptr ? osize : 0);
	if (nsize == 0) {
		free(ptr);
		return NULL;
	}
	return realloc(ptr, nsize);
}

static void rules_come_from_the_allocator(void **state)
{
	(void)state;
	counted n = {0, 0};
	ot_engine_config c;
	ot_engine_config_init(&c);
	c.rules_path = RULES;
	c.store = ":memory:";
	c.alloc = counting;
	c.alloc_ud = &n;
	ot_engine *e = NULL;
	ot_error err;
	assert_int_equal(ot_engine_open_config(&c, &e, &err), OT_OK);
	assert_true(n.calls > 10 && n.live > 10000); /* the model lives there */
	json_decref(ok(e, "assess", "{\"item\":\"elder_card\",\"now\":\"2019-09-02T09:00\"}"));
	ot_engine_close(e);
	assert_int_equal(n.live, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(engines_share_rules_across_threads),
		cmocka_unit_test(the_log_masks_what_it_says),
		cmocka_unit_test(rules_come_from_the_allocator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
