/* Every allocation of an operation fails in turn -- the engine's own
 * (malloc, calloc, realloc, wrapped by the linker), SQLite's and Lua's --
 * on a rule base with hooks: each failure is OT_ENOMEM, the store is as it
 * was, and (under the sanitizers) nothing leaks.  As SQLite's malloc tests
 * do (test/malloc*.test), after Lua's (ltests.c).
 *
 * jansson's allocations are left alone: jansson 2.14 does not always say
 * that one failed (a string read short, JSON text written wrong: the
 * engine's guard, json_guard_* in base.h, turns those into OT_ENOMEM), and
 * some make it crash inside json_loads, which no caller can prevent. */
#include <sqlite3.h>

#include "engine_helpers.h"

static const char *RULES = OT_SOURCE_DIR "/tests/hooks/rules";
static const char *CHAIN_RULES = OT_SOURCE_DIR "/tests/data/chain/chain.rules";
static const char *rules = NULL; /* the rule base of the running test */

/* ---- allocations that fail on purpose ---- */

static long count, fail_at; /* fail_at 0: none fails */

static int failing(void)
{
	return fail_at && ++count == fail_at;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n)
{
	return failing() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return failing() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return n && failing() ? NULL : __real_realloc(p, n);
}

/* SQLite wants to know a block's size: it is kept in front of the block */
static void *sq_malloc(int n)
{
	if (failing())
		return NULL;
	sqlite3_int64 *p = __real_malloc((size_t)n + 8);
	if (!p)
		return NULL;
	*p = n;
	return p + 1;
}

static void sq_free(void *p)
{
	if (p)
		free((sqlite3_int64 *)p - 1);
}

static void *sq_realloc(void *p, int n)
{
	if (failing())
		return NULL;
	sqlite3_int64 *q = __real_realloc((sqlite3_int64 *)p - 1, (size_t)n + 8);
	if (!q)
		return NULL;
	*q = n;
	return q + 1;
}

static int sq_size(void *p)
{
	return (int)((sqlite3_int64 *)p)[-1];
}

static int sq_roundup(int n)
{
	return (n + 7) & ~7;
}

static int sq_init(void *ud)
{
	(void)ud;
	return SQLITE_OK;
}

static void sq_shutdown(void *ud)
{
	(void)ud;
}

/* ---- the operations ---- */

#define MID "{\"kind\":\"person\",\"id\":\"11010519491231002X\",\"name\":\"张三\"}"
#define COMPANY "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"鞍山市立山建设有限公司\"}"

/* What list and show see of the store. */
static char *snapshot(ot_engine *e)
{
	char *list = NULL, *show = NULL, *all;
	ot_error err;
	assert_int_equal(ot_list(e, "{\"limit\":1000}", &list, &err), OT_OK);
	if (ot_show(e, "{\"case\":\"20190902-0001\"}", &show, &err) != OT_OK)
		show = strdup("none");
	all = malloc(strlen(list) + strlen(show) + 1);
	strcpy(all, list);
	strcat(all, show);
	free(list);
	free(show);
	return all;
}

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[65536];
	size_t n;
	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

/* Runs op on a fresh copy of the store `template` with allocation 1, 2,
 * 3 ... failing, until it makes fewer allocations than the one that would
 * fail.  A failure may be recovered from (Lua collects garbage and asks
 * again); one that is not is OT_ENOMEM with the store as it was.  The
 * rules are compiled once (open_compiled): what is counted is the
 * operation's. */
static void every_allocation_fails(const char *dir, const char *op, const char *req)
{
	char template[600], work[600], side[640];
	snprintf(template, sizeof template, "%s/template.db", dir);
	snprintf(work, sizeof work, "%s/work.db", dir);
	ot_engine *e = open_compiled(rules, template);
	char *before = snapshot(e);
	ot_engine_close(e); /* everything is in the file now */
	long n, failed = 0;
	for (n = 1;; n++) {
		copy_file(template, work);
		snprintf(side, sizeof side, "%s-wal", work);
		remove(side);
		e = open_compiled(rules, work);
		char *resp = NULL;
		ot_error err;
		count = 0;
		fail_at = n;
		ot_status s = ot_call(e, op, req, &resp, &err);
		fail_at = 0;
		int reached = count >= n;
		free(resp);
		if (s != OT_OK && s != OT_ENOMEM) {
			fprintf(stderr, "%s, allocation %ld failing: %s: %s\n", op, n, ot_status_name(s),
				err.message);
			fail();
		}
		if (s == OT_ENOMEM) {
			failed++;
			char *after = snapshot(e);
			if (strcmp(before, after) != 0) {
				fprintf(stderr, "%s, allocation %ld failing: the store changed\n", op, n);
				fail();
			}
			free(after);
		}
		ot_engine_close(e);
		if (!reached)
			break;
	}
	if (getenv("OT_ENOMEM_TRACE"))
		fprintf(stderr, "%s: %ld allocations, %ld of them fail it\n", op, n - 1, failed);
	assert_true(n > 20 && failed > 10); /* it did allocate, and failures were seen */
	free(before);
	/* the next operation starts from what this one did */
	copy_file(work, template);
}

static void operations_with_hooks(void **state)
{
	(void)state;
	char dir[200], path[600];
	test_tmpdir("enomem", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/template.db", dir);
	rules = RULES;
	ot_engine_close(open_at(RULES, path));
	/* derive and validate in elder.lua; lua.needs_expert in fire.lua */
	every_allocation_fails(dir, "assess", "{\"item\":\"elder_card\",\"now\":\"2019-09-02T09:00\","
			       "\"applicant\":" MID ",\"form\":{\"id_no\":\"110105193001010013\"}}");
	every_allocation_fails(dir, "submit", "{\"item\":\"fire_review\",\"now\":\"2019-09-02T09:00\","
			       "\"applicant\":" COMPANY ",\"form\":{\"height\":120.5,\"occupancy\":300},"
			       "\"materials\":[\"plan\",\"expert\"]}");
	/* route in fire.lua */
	every_allocation_fails(dir, "act", "{\"case\":\"20190902-0001\",\"step\":\"intake\","
			       "\"action\":\"approve\",\"actor\":\"fire\",\"now\":\"2019-09-02T10:00\"}");
	every_allocation_fails(dir, "submit", "{\"item\":\"elder_card\",\"now\":\"2019-09-02T09:00\","
			       "\"applicant\":" MID ",\"form\":{\"id_no\":\"11010519491231002X\"},"
			       "\"materials\":[\"photo\"]}");
	/* a supplement corrects the form and brings what was missing */
	every_allocation_fails(dir, "supplement", "{\"case\":\"20190902-0002\",\"now\":"
			       "\"2019-09-03T09:00\",\"materials\":[\"id_card\"]}");
}

/* A chain: submitted (its first item case opened), the first stage's item
 * approved (a licence issued, the next stage started and its first item
 * case opened, all in one transaction), a supplement at chain level that
 * reaches the open item case, a withdrawal that withdraws it too. */
static void chain_operations(void **state)
{
	(void)state;
	char dir[200], path[600];
	test_tmpdir("enomem", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/template.db", dir);
	rules = CHAIN_RULES;
	ot_engine_close(open_at(CHAIN_RULES, path));
	every_allocation_fails(dir, "submit", "{\"chain\":\"small\",\"now\":\"2019-09-02T09:00\","
			       "\"applicant\":" COMPANY ",\"form\":{\"name\":\"x\",\"big\":true},"
			       "\"materials\":[\"plan\"]}");
	every_allocation_fails(dir, "act", "{\"case\":\"20190902-0002\",\"step\":\"decide\","
			       "\"action\":\"approve\",\"actor\":\"bureau\",\"now\":\"2019-09-02T10:00\"}");
	every_allocation_fails(dir, "supplement", "{\"case\":\"20190902-0001\",\"now\":"
			       "\"2019-09-02T11:00\",\"materials\":[\"report\"]}");
	every_allocation_fails(dir, "withdraw", "{\"case\":\"20190902-0001\",\"now\":"
			       "\"2019-09-02T12:00\"}");
}

/* ---- the case cache after a savepoint rolled back ---- */

/* What show answers for cases 0001 to 0003 of the day ("none" for one
 * that is not there). */
static char *show_all(ot_engine *e)
{
	char *all = strdup("");
	for (int i = 1; i <= 3; i++) {
		char req[64], *one = NULL;
		ot_error err;
		snprintf(req, sizeof req, "{\"case\":\"20190902-%04d\"}", i);
		ot_status s = ot_show(e, req, &one, &err);
		assert_true(s == OT_OK || s == OT_ENOTFOUND);
		char *more = malloc(strlen(all) + (one ? strlen(one) : 4) + 1);
		strcpy(more, all);
		strcat(more, one ? one : "none");
		free(all);
		free(one);
		all = more;
	}
	return all;
}

/* An engine on the store at path with the rule base r compiled once (an
 * open is then mostly the store's), keeping cases or not. */
static ot_engine *open_with(ot_rules *r, const char *path, int cache)
{
	ot_engine_config c;
	ot_engine_config_init(&c);
	c.rules = r;
	c.store = path;
	if (!cache)
		c.case_cache = 0;
	ot_engine *e = NULL;
	ot_error err;
	assert_int_equal(ot_engine_open_config(&c, &e, &err), OT_OK);
	return e;
}

typedef struct op_req {
	const char *op, *request;
} op_req;

/* A batch with allocation N failing, for N = 1, 2 ... until it gets
 * through: one of its operations (or the whole batch) fails, the others
 * may be kept.  Another engine, keeping no case, then writes `others` --
 * each a different event than the batch's on the same case, or a new
 * case that takes the number of a submission rolled back.  The engine
 * that ran the batch, which kept the cases in memory before it, must see
 * exactly the store.  Returns how many operations were rolled back to
 * their savepoint in a batch that was kept. */
static long batch_then_others(const op_req *setup, size_t nsetup, const op_req *batch,
			      size_t nbatch, const op_req *others, size_t nothers)
{
	char dir[200], template[600], work[600], side[640];
	test_tmpdir("enomem", dir, sizeof dir);
	snprintf(template, sizeof template, "%s/template.db", dir);
	snprintf(work, sizeof work, "%s/work.db", dir);
	ot_engine *e = open_at(rules, template);
	for (size_t i = 0; i < nsetup; i++)
		json_decref(call(e, setup[i].op, OT_OK, "%s", setup[i].request));
	ot_engine_close(e);
	long rolled_back = 0;
	ot_rules *base = NULL;
	ot_diags *d = NULL;
	assert_int_equal(ot_rules_compile(&rules, 1, NULL, &base, &d), OT_OK);
	ot_diags_free(d);
	for (long n = 1;; n++) {
		copy_file(template, work);
		snprintf(side, sizeof side, "%s-wal", work);
		remove(side);
		e = open_with(base, work, 1);
		free(show_all(e)); /* its cases kept */
		ot_batch_item items[8];
		memset(items, 0, sizeof items);
		for (size_t i = 0; i < nbatch; i++) {
			items[i].op = batch[i].op;
			items[i].request = batch[i].request;
		}
		ot_error err;
		count = 0;
		fail_at = n;
		ot_status s = ot_call_batch(e, items, nbatch, &err);
		fail_at = 0;
		int reached = count >= n;
		for (size_t i = 0; i < nbatch; i++) {
			rolled_back += s == OT_OK && items[i].status != OT_OK;
			free(items[i].response);
		}
		ot_engine *other = open_with(base, work, 0);
		for (size_t i = 0; i < nothers; i++) {
			char *resp = NULL;
			ot_call(other, others[i].op, others[i].request, &resp, &err);
			free(resp);
		}
		char *truth = show_all(other), *mine = show_all(e);
		if (strcmp(truth, mine) != 0) {
			fprintf(stderr, "a batch, allocation %ld failing: the engine's cases are not "
				"the store's\n", n);
			fail();
		}
		free(truth);
		free(mine);
		ot_engine_close(other);
		ot_engine_close(e);
		if (!reached)
			break;
	}
	ot_rules_free(base);
	return rolled_back;
}

/* A chain's item case approved in a batch, and in the same operation
 * the chain moved on: the item case is saved first, then the chain, so an
 * allocation failing after the first save rolls the operation back to its
 * savepoint with a case saved (the other helpers of this file fail
 * nothing after a save). */
static void a_chain_batch_with_one_failing(void **state)
{
	(void)state;
	rules = CHAIN_RULES;
	static const op_req setup[] = {
		{"submit", "{\"chain\":\"small\",\"now\":\"2019-09-02T09:00\",\"applicant\":" COMPANY
			   ",\"form\":{\"name\":\"x\",\"big\":true},\"materials\":[\"plan\"]}"},
	};
	static const op_req batch[] = {
		{"act", "{\"case\":\"20190902-0002\",\"step\":\"decide\",\"action\":\"approve\","
			"\"actor\":\"bureau\",\"now\":\"2019-09-02T10:00\"}"},
	};
	static const op_req others[] = {
		{"act", "{\"case\":\"20190902-0002\",\"step\":\"decide\",\"action\":\"return\","
			"\"reason\":\"x\",\"actor\":\"bureau\",\"now\":\"2019-09-02T11:00\"}"},
		{"supplement", "{\"case\":\"20190902-0001\",\"now\":\"2019-09-02T12:00\","
			       "\"materials\":[\"report\"]}"},
	};
	long n = batch_then_others(setup, 1, batch, 1, others, 2);
	printf("%ld chain operations rolled back to their savepoint in a batch kept\n", n);
	assert_true(n > 0);
}

/* The time sweep as an operation of a batch: each case it warns has a
 * savepoint of its own inside the operation's.  An allocation failing at
 * the second case fails the sweep, and the operation is rolled back with
 * the first case's warnings, released into it before; the engine must not
 * keep them.  Another engine then writes two events on that case, as many
 * as the warnings were (two cases late: their steps and themselves). */
static void a_sweep_in_a_batch_with_one_failing(void **state)
{
	(void)state;
	rules = OT_TEST_DATA "/law.rules";
#define PLAIN "{\"item\":\"plain\",\"now\":\"2019-09-02T09:00\",\"applicant\":" COMPANY \
	",\"form\":{\"name\":\"x\",\"street\":\"a\"},\"materials\":[\"plan\"]}"
	static const op_req setup[] = {{"submit", PLAIN}, {"submit", PLAIN}};
#undef PLAIN
	static const op_req batch[] = {{"sweep", "{\"now\":\"2019-12-02T09:00\"}"}};
	static const op_req others[] = {
		{"act", "{\"case\":\"20190902-0001\",\"step\":\"decide\",\"action\":\"approve\","
			"\"actor\":\"bureau\",\"now\":\"2019-12-02T10:00\"}"},
		{"deliver", "{\"case\":\"20190902-0001\",\"method\":\"window\","
			    "\"now\":\"2019-12-02T11:00\"}"},
	};
	long n = batch_then_others(setup, 2, batch, 1, others, 2);
	printf("%ld sweeps rolled back to their savepoint in a batch kept\n", n);
	assert_true(n > 0);
}

/* The time sweep: a case late, warned red of its step and of itself, two
 * events in one transaction (tests/data/law.rules has a calendar). */
static void the_time_sweep(void **state)
{
	(void)state;
	char dir[200], path[600];
	test_tmpdir("enomem", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/template.db", dir);
	rules = OT_TEST_DATA "/law.rules";
	ot_engine *e = open_at(rules, path);
	char *resp = NULL;
	ot_error err;
	assert_int_equal(ot_call(e, "submit", "{\"item\":\"plain\",\"now\":\"2019-09-02T09:00\","
				 "\"applicant\":" COMPANY ",\"form\":{\"name\":\"x\",\"street\":\"a\"},"
				 "\"materials\":[\"plan\"]}", &resp, &err), OT_OK);
	free(resp);
	ot_engine_close(e);
	every_allocation_fails(dir, "sweep", "{\"now\":\"2019-12-02T09:00\"}");
}

int main(void)
{
	static const sqlite3_mem_methods mem = {sq_malloc, sq_free, sq_realloc, sq_size,
						sq_roundup, sq_init, sq_shutdown, NULL};
	sqlite3_config(SQLITE_CONFIG_MALLOC, &mem);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(operations_with_hooks),
		cmocka_unit_test(chain_operations),
		cmocka_unit_test(a_chain_batch_with_one_failing),
		cmocka_unit_test(the_time_sweep),
		cmocka_unit_test(a_sweep_in_a_batch_with_one_failing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
