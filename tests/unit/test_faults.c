/*
 * I/O faults under every engine operation.  A test VFS wraps the default
 * one and fails the N-th read, write, sync or truncate with SQLITE_IOERR
 * (SQLite's own test/ioerr.test idea); the engine is pointed at it with a
 * `file:PATH?vfs=faulty` store path.  For each operation, N runs from 1
 * until the operation gets through, in two modes: only the N-th call fails
 * (a transient fault), or the N-th and every one after it (a dying disk).
 * Every failure must be a clear OT_ESTORE, and the store, opened again
 * with the ordinary VFS, must hold exactly what it held before (every
 * table dumped and compared) and pass PRAGMA integrity_check.  Under the
 * sanitizers (label "unit") a crash or a leak fails the test too.
 */
#include <sqlite3.h>
#include <unistd.h>

#include "engine_helpers.h"

#define OT_COUNTOF(x) (sizeof(x) / sizeof((x)[0]))

static const char *CONTRACT = OT_SOURCE_DIR "/tests/contract/rules/contract.rules";
static const char *PROVIDERS = OT_SOURCE_DIR "/tests/providers/rules";

/* ---- the faulty VFS ---- */

static struct {
	int armed, persistent;
	long calls, fail_at, failed;
} F;

typedef struct faulty_file {
	sqlite3_file base;
	sqlite3_file *real; /* the default VFS's file, right after this struct */
} faulty_file;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs faulty_vfs;

/* Whether this I/O call is the one (or one of those) to fail. */
static int fault_now(void)
{
	if (!F.armed)
		return 0;
	F.calls++;
	if (F.calls == F.fail_at || (F.persistent && F.calls > F.fail_at)) {
		F.failed++;
		return 1;
	}
	return 0;
}

#define REAL(f) (((faulty_file *)(f))->real)

static int f_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int f_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return fault_now() ? SQLITE_IOERR_READ : REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int f_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	return fault_now() ? SQLITE_IOERR_WRITE : REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return fault_now() ? SQLITE_IOERR_TRUNCATE : REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int f_sync(sqlite3_file *f, int flags)
{
	return fault_now() ? SQLITE_IOERR_FSYNC : REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int f_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int f_lock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xLock(REAL(f), l);
}

static int f_unlock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), l);
}

static int f_check_lock(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int f_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int f_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int f_device(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int f_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **p)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, p);
}

static int f_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void f_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int f_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **p)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, p);
}

static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods faulty_io = {
	3, f_close, f_read, f_write, f_truncate, f_sync, f_size, f_lock, f_unlock,
	f_check_lock, f_control, f_sector, f_device, f_shm_map, f_shm_lock, f_shm_barrier,
	f_shm_unmap, f_fetch, f_unfetch,
};

static int f_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out)
{
	(void)vfs;
	faulty_file *f = (faulty_file *)file;
	f->real = (sqlite3_file *)(f + 1);
	f->base.pMethods = NULL;
	int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out);
	/* the default VFS's files all have the version 3 methods */
	if (f->real->pMethods) {
		assert_true(f->real->pMethods->iVersion >= 3);
		f->base.pMethods = &faulty_io;
	}
	return rc;
}

static void register_faulty(void)
{
	if (real_vfs)
		return;
	real_vfs = sqlite3_vfs_find(NULL);
	assert_non_null(real_vfs);
	faulty_vfs = *real_vfs;
	faulty_vfs.zName = "faulty";
	faulty_vfs.pNext = NULL;
	faulty_vfs.szOsFile = (int)sizeof(faulty_file) + real_vfs->szOsFile;
	faulty_vfs.xOpen = f_open;
	assert_int_equal(sqlite3_vfs_register(&faulty_vfs, 0), SQLITE_OK);
}

/* ---- stores ---- */

typedef struct place {
	char dir[256], base[300], trial[300], uri[340];
} place;

static void place_init(place *p)
{
	test_tmpdir("faults", p->dir, sizeof p->dir);
	snprintf(p->base, sizeof p->base, "%s/base.db", p->dir);
	snprintf(p->trial, sizeof p->trial, "%s/trial.db", p->dir);
	snprintf(p->uri, sizeof p->uri, "file:%s?vfs=faulty", p->trial);
}

static void place_free(place *p)
{
	remove_store(p->base);
	remove_store(p->trial);
	rmdir(p->dir);
}

/* The trial store: a fresh copy of the base (closed, so all in one file). */
static void copy_base(const place *p)
{
	size_t n = 0;
	char *bytes = read_text(p->base, &n);
	assert_non_null(bytes);
	remove_store(p->trial);
	FILE *f = fopen(p->trial, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, n, f), n);
	fclose(f);
	free(bytes);
}

static void append(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = realloc(*buf, *cap);
		assert_non_null(*buf);
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

/* Every row of every table, in rowid order, as text; and whether SQLite's
 * integrity check passes.  Opened with the ordinary VFS. */
static char *dump(const char *path)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	char *out = NULL;
	size_t len = 0, cap = 0;
	append(&out, &len, &cap, "");
	sqlite3_stmt *tables, *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table'"
					    " ORDER BY name", -1, &tables, NULL), SQLITE_OK);
	while (sqlite3_step(tables) == SQLITE_ROW) {
		char q[128];
		snprintf(q, sizeof q, "SELECT * FROM \"%s\" ORDER BY rowid", sqlite3_column_text(tables, 0));
		append(&out, &len, &cap, (const char *)sqlite3_column_text(tables, 0));
		append(&out, &len, &cap, ":\n");
		assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			for (int i = 0; i < sqlite3_column_count(st); i++) {
				const char *v = (const char *)sqlite3_column_text(st, i);
				append(&out, &len, &cap, v ? v : "NULL");
				append(&out, &len, &cap, "|");
			}
			append(&out, &len, &cap, "\n");
		}
		assert_int_equal(rc, SQLITE_DONE);
		sqlite3_finalize(st);
	}
	sqlite3_finalize(tables);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
		fprintf(stderr, "integrity_check: %s\n", sqlite3_column_text(st, 0));
		fail();
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

/* ---- the operations ---- */

#define COMPANY "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"鞍山市立山建设有限公司\"}"
#define SCHOOL_FORM "{\"name\":\"立山区第一小学教学楼\",\"area\":5400,\"height\":18," \
	"\"government_funded\":true,\"contractor\":\"91350100M000100Y43\",\"kind\":\"public\"}"
#define SCHOOL(now, materials) \
	"{\"item\":\"construction_permit\",\"channel\":\"online\",\"now\":\"" now "\"," \
	"\"applicant\":" COMPANY ",\"form\":" SCHOOL_FORM ",\"materials\":[" materials "]}"
#define APPROVE(id, step, actor, now) \
	"{\"case\":\"" id "\",\"step\":\"" step "\",\"action\":\"approve\",\"actor\":\"" actor \
	"\",\"now\":\"" now "\"}"

/* The base of the contract rules: 0001 in progress, 0002 waiting for a
 * supplement, 0003 suspended, 0004 approved; land_cert in the library. */
static void contract_base(const char *path)
{
	ot_engine *e = open_at(CONTRACT, path);
	json_decref(ok(e, "submit", SCHOOL("2019-09-27T09:00", "\"land_cert\",\"drawings\",\"fire_review\"")));
	json_decref(ok(e, "submit", SCHOOL("2019-09-27T09:10", "\"land_cert\"")));
	json_decref(ok(e, "submit", SCHOOL("2019-09-27T09:20", "\"land_cert\",\"drawings\",\"fire_review\"")));
	json_decref(ok(e, "suspend", "{\"case\":\"20190927-0003\",\"reason\":\"公示\","
		       "\"now\":\"2019-09-27T10:00\"}"));
	json_decref(ok(e, "submit", SCHOOL("2019-09-27T09:30", "\"land_cert\",\"drawings\",\"fire_review\"")));
	json_decref(ok(e, "act", APPROVE("20190927-0004", "intake", "approval_bureau.investment", "2019-09-29T10:00")));
	json_decref(ok(e, "act", APPROVE("20190927-0004", "review", "approval_bureau", "2019-09-30T10:00")));
	json_decref(ok(e, "act", APPROVE("20190927-0004", "site_visit", "housing", "2019-10-08T10:00")));
	json_decref(ok(e, "act", APPROVE("20190927-0004", "decide", "approval_bureau", "2019-10-09T10:00")));
	ot_engine_close(e);
}

/* The base of the providers rules: a business licence issued here. */
static void providers_base(const char *path)
{
	ot_engine *e = open_at(PROVIDERS, path);
	json_decref(ok(e, "submit", "{\"item\":\"business_registration\",\"now\":\"2021-03-01T09:00\","
		       "\"applicant\":{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"x\"},"
		       "\"materials\":[\"premises\"]}"));
	json_decref(ok(e, "act", "{\"case\":\"20210301-0001\",\"step\":\"review\",\"action\":\"approve\","
		       "\"actor\":\"amr\",\"now\":\"2021-03-01T10:00\"}"));
	ot_engine_close(e);
}

typedef struct op_case {
	const char *op, *request;
} op_case;

static const op_case contract_ops[] = {
	/* land_cert not handed in: it comes from the material library */
	{"submit", SCHOOL("2019-09-28T09:00", "\"drawings\",\"fire_review\"")},
	{"supplement", "{\"case\":\"20190927-0002\",\"materials\":[\"drawings\",\"fire_review\"],"
		       "\"now\":\"2019-09-28T10:00\"}"},
	{"act", APPROVE("20190927-0001", "intake", "approval_bureau.investment", "2019-09-29T10:00")},
	{"suspend", "{\"case\":\"20190927-0001\",\"reason\":\"专家评审\",\"now\":\"2019-09-29T10:00\"}"},
	{"resume", "{\"case\":\"20190927-0003\",\"now\":\"2019-09-30T10:00\"}"},
	{"deliver", "{\"case\":\"20190927-0004\",\"method\":\"post\",\"now\":\"2019-10-10T10:00\"}"},
	{"withdraw", "{\"case\":\"20190927-0001\",\"reason\":\"不办了\",\"now\":\"2019-09-29T10:00\"}"},
	{"show", "{\"case\":\"20190927-0004\"}"},
	{"list", "{}"},
	{"overdue", "{\"now\":\"2019-12-01T09:00\"}"},
	{"assess", SCHOOL("2019-09-28T09:00", "\"drawings\",\"fire_review\"")},
};

static const op_case providers_ops[] = {
	{"licences_import", "{\"licences\":[{\"holder\":\"91210302MA0Y8K3L12\",\"material\":"
			    "\"food_licence\",\"number\":\"JY1\",\"issuer\":\"x\",\"valid_from\":"
			    "\"2020-01-01\"},{\"holder\":\"91210302MA0Y8K3L12\",\"material\":"
			    "\"business_licence\",\"number\":\"B1\",\"issuer\":\"x\",\"valid_from\":"
			    "\"2020-01-01\"}]}"},
	/* the business licence comes from the licence library */
	{"submit", "{\"item\":\"food_business\",\"now\":\"2021-03-02T09:00\",\"applicant\":"
		   "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"x\"},"
		   "\"materials\":[\"premises\"]}"},
	{"assess", "{\"item\":\"food_business\",\"now\":\"2021-03-02T09:00\",\"applicant\":"
		   "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"x\"},"
		   "\"materials\":[\"premises\"]}"},
	{"licences", "{\"holder\":\"91350100M000100Y43\"}"},
};

/* Runs op on the trial store with the faults armed from call `n` on;
 * returns its status, the response in *resp (or NULL). */
static ot_status attempt(ot_engine *e, const op_case *o, long n, int persistent, char **resp,
			 ot_error *err)
{
	F.calls = F.failed = 0;
	F.fail_at = n;
	F.persistent = persistent;
	F.armed = 1;
	ot_status s = ot_call(e, o->op, o->request, resp, err);
	F.armed = 0;
	return s;
}

typedef struct totals {
	long trials, failures;
} totals;

/* A failure as the caller must see it: OT_ESTORE, naming the store. */
static void clear_failure(const op_case *o, long n, ot_status s, const ot_error *err,
			  const char *resp)
{
	if (s != OT_ESTORE || !strstr(err->message, "store") || resp) {
		fprintf(stderr, "%s with I/O call %ld failing: %s: %s\n", o->op, n, ot_status_name(s),
			err->message);
		fail();
	}
}

/* Operation o, failing at I/O call n, once or from then on: returns 1
 * when it got through (no fault was met). */
static int trial(const place *p, const char *rules, const op_case *o, long n, int persistent,
		 const char *before, const char *after, const char *answer, totals *t)
{
	copy_base(p);
	ot_engine *e = open_compiled(rules, p->uri);
	char *resp = NULL;
	ot_error err;
	ot_status s = attempt(e, o, n, persistent, &resp, &err);
	t->trials++;
	if (F.failed == 0 || s == OT_OK) {
		/* no fault met, or one SQLite got over (a failed read retried):
		 * then the answer and the store are the undisturbed ones */
		if (s != OT_OK || strcmp(resp, answer) != 0) {
			fprintf(stderr, "%s, I/O call %ld failing: %s %s\n", o->op, n,
				ot_status_name(s), s ? err.message : "a different answer");
			fail();
		}
		free(resp);
		ot_engine_close(e);
		char *d = dump(p->trial);
		assert_string_equal(d, after);
		free(d);
		return F.failed == 0;
	}
	t->failures++;
	clear_failure(o, n, s, &err, resp);
	if (getenv("FAULTS_VERBOSE"))
		fprintf(stderr, "%s %s n=%ld: %s\n", o->op, persistent ? "persistent" : "transient", n, err.message);
	if (!persistent) {
		/* the same engine goes on once the disk does */
		s = ot_call(e, o->op, o->request, &resp, &err);
		if (s != OT_OK) {
			fprintf(stderr, "%s again after a failed I/O call %ld: %s\n", o->op, n, err.message);
			fail();
		}
		assert_string_equal(resp, answer);
		free(resp);
		ot_engine_close(e);
		char *d = dump(p->trial);
		assert_string_equal(d, after);
		free(d);
		return 0;
	}
	F.armed = 1; /* closing on a dying disk fails too */
	ot_engine_close(e);
	F.armed = 0;
	char *d = dump(p->trial);
	if (strcmp(d, before) != 0) {
		fprintf(stderr, "%s, I/O calls from %ld on failing: the store changed\n", o->op, n);
		fail();
	}
	free(d);
	return 0;
}

/* Every N for operation o in both modes, from the base store. */
static void every_fault(const place *p, const char *rules, const op_case *o, totals *t)
{
	char *before = dump(p->base), *answer = NULL;
	copy_base(p);
	ot_engine *e = open_compiled(rules, p->trial);
	ot_error err;
	assert_int_equal(ot_call(e, o->op, o->request, &answer, &err), OT_OK);
	ot_engine_close(e);
	char *after = dump(p->trial);
	for (int persistent = 0; persistent < 2; persistent++) {
		long n = 1;
		while (!trial(p, rules, o, n, persistent, before, after, answer, t))
			assert_true(++n < 2000);
	}
	free(before);
	free(after);
	free(answer);
}

static void run_all(const char *rules, void (*base)(const char *), const op_case *ops, size_t n)
{
	register_faulty();
	place p;
	place_init(&p);
	base(p.base);
	totals t = {0, 0};
	for (size_t i = 0; i < n; i++)
		every_fault(&p, rules, &ops[i], &t);
	printf("%ld trials, %ld failed as they should\n", t.trials, t.failures);
	assert_true(t.failures > 0);
	place_free(&p);
}

/* ---- a chain: every operation that moves it is one transaction ---- */

static const char *BUNDLED = OT_SOURCE_DIR "/rules";

#define SMALL_FORM "{\"project_name\":\"立山区社区便民服务站\",\"builder_code\":\"91350100M000100Y43\"," \
	"\"location\":\"鞍山市立山区友好街\",\"total_investment\":28,\"floor_area\":280," \
	"\"project_kind\":\"public_building\",\"land_supply\":\"granted\"," \
	"\"contractor_code\":\"91210304MA0000001L\"}"
#define SMALL(now, materials) \
	"{\"chain\":\"construction_small\",\"channel\":\"hall\",\"now\":\"" now "\"," \
	"\"applicant\":" COMPANY ",\"form\":" SMALL_FORM ",\"materials\":[" materials "]}"
#define SMALL_ALL "\"filing_commitment\",\"topographic_map\",\"design_scheme\",\"construction_contract\"," \
	"\"funds_commitment\",\"quality_safety_commitment\",\"completion_report\",\"survey_results\""

/* Chain 20191202-0001: its filing (0002) approved, its land-use permit
 * (20191203-0001) one approval from done; chain 20191202-0003 waiting for
 * the applicant's commitment. */
static void chain_base(const char *path)
{
	ot_engine *e = open_at(BUNDLED, path);
	json_decref(ok(e, "submit", SMALL("2019-12-02T09:00", SMALL_ALL)));
	json_decref(ok(e, "act", APPROVE("20191202-0002", "intake", "approval_bureau.investment", "2019-12-02T10:00")));
	json_decref(ok(e, "act", APPROVE("20191202-0002", "confirm", "approval_bureau", "2019-12-02T11:00")));
	json_decref(ok(e, "submit", SMALL("2019-12-02T12:00", "\"topographic_map\"")));
	json_decref(ok(e, "act", APPROVE("20191202-0003", "intake", "approval_bureau.investment", "2019-12-03T09:00")));
	json_decref(ok(e, "act", APPROVE("20191202-0003", "review", "approval_bureau", "2019-12-03T10:00")));
	json_decref(ok(e, "act", APPROVE("20191202-0003", "condition_check", "natural_resources", "2019-12-03T11:00")));
	json_decref(ok(e, "act", APPROVE("20191202-0003", "decide", "approval_bureau", "2019-12-04T10:00")));
	ot_engine_close(e);
}

static const op_case chain_ops[] = {
	/* the last approval of stage 1: a licence issued, the stage done, the
	 * next stage started and its item case opened, in one transaction */
	{"act", APPROVE("20191202-0003", "issue", "approval_bureau.pickup", "2019-12-04T11:00")},
	/* a chain submitted: the chain case and its first item case */
	{"submit", SMALL("2019-12-05T09:00", SMALL_ALL)},
	/* a chain-level supplement that lets the chain start */
	{"supplement", "{\"case\":\"20191202-0004\",\"materials\":[\"filing_commitment\"],"
		       "\"now\":\"2019-12-05T10:00\"}"},
	/* withdrawing a chain withdraws its open item cases */
	{"withdraw", "{\"case\":\"20191202-0001\",\"now\":\"2019-12-05T10:00\"}"},
	{"show", "{\"case\":\"20191202-0001\"}"},
	{"assess", SMALL("2019-12-05T09:00", "")},
};

static void a_chain(void **state)
{
	(void)state;
	run_all(BUNDLED, chain_base, chain_ops, OT_COUNTOF(chain_ops));
}

/* Chain 20190902-0001 holds the report its item case 20190902-0002 (丙,
 * received) defers; the planning permit pp (20190902-0003) approved, and
 * the construction permit cp (20190903-0001), assessed with it, one
 * approval from done. */
static const char *REVIEW = OT_SOURCE_DIR "/tests/data/chain/review.rules";
static const char *KEEP = OT_SOURCE_DIR "/tests/data/licences/keep.rules";

static void hand_on_base(const char *path)
{
	ot_engine *e = open_at(REVIEW, path);
	json_decref(ok(e, "submit", "{\"chain\":\"rcd\",\"now\":\"2019-09-02T09:00\",\"applicant\":"
		       COMPANY ",\"form\":{\"name\":\"x\"},\"materials\":[\"plan\"]}"));
	json_decref(ok(e, "supplement", "{\"case\":\"20190902-0001\",\"now\":\"2019-09-02T11:00\","
		       "\"materials\":[\"report\"]}"));
	ot_engine_close(e);
}

static void keep_base(const char *path)
{
	ot_engine *e = open_at(KEEP, path);
	json_decref(ok(e, "submit", "{\"item\":\"pp\",\"now\":\"2019-09-02T09:00\",\"applicant\":"
		       COMPANY ",\"form\":{\"name\":\"x\"},\"materials\":[\"plan\",\"report\"]}"));
	json_decref(ok(e, "act", APPROVE("20190902-0001", "decide", "bureau", "2019-09-02T10:00")));
	json_decref(ok(e, "submit", "{\"item\":\"cp\",\"now\":\"2019-09-03T09:00\",\"applicant\":"
		       COMPANY ",\"form\":{\"name\":\"x\"},\"materials\":[\"plan\"]}"));
	ot_engine_close(e);
}

/* the acceptance, and the report handed on by the chain with it */
static const op_case hand_on_ops[] = {
	{"accept", "{\"case\":\"20190902-0002\",\"actor\":\"bureau\",\"now\":\"2019-09-03T09:00\"}"},
};

/* the approval that issues cdoc, and keeps the planning permit with it */
static const op_case keep_ops[] = {
	{"act", APPROVE("20190903-0001", "decide", "bureau", "2019-09-03T10:00")},
};

static void a_chain_hands_on(void **state)
{
	(void)state;
	run_all(REVIEW, hand_on_base, hand_on_ops, OT_COUNTOF(hand_on_ops));
}

static void a_licence_kept(void **state)
{
	(void)state;
	run_all(KEEP, keep_base, keep_ops, OT_COUNTOF(keep_ops));
}

static void every_operation_of_a_case(void **state)
{
	(void)state;
	run_all(CONTRACT, contract_base, contract_ops, OT_COUNTOF(contract_ops));
}

static void the_licence_library(void **state)
{
	(void)state;
	run_all(PROVIDERS, providers_base, providers_ops, OT_COUNTOF(providers_ops));
}

/* ---- the case cache after a failure ---- */

static const char *const base_cases[] = {"20190927-0001", "20190927-0002", "20190927-0003",
					 "20190927-0004"};

/* What `show` answers for every case of the contract base. */
static char *shows(ot_engine *e)
{
	char *out = NULL;
	size_t len = 0, cap = 0;
	append(&out, &len, &cap, "");
	for (size_t i = 0; i < OT_COUNTOF(base_cases); i++) {
		char req[64], *resp = NULL;
		ot_error err;
		snprintf(req, sizeof req, "{\"case\":\"%s\"}", base_cases[i]);
		assert_int_equal(ot_show(e, req, &resp, &err), OT_OK);
		append(&out, &len, &cap, resp);
		free(resp);
	}
	return out;
}

/* The same from an engine that keeps no case: the store's truth. */
static char *shows_uncached(const char *path)
{
	ot_engine_config c;
	ot_engine_config_init(&c);
	c.rules_path = CONTRACT;
	c.store = path;
	c.case_cache = 0;
	ot_engine *e = NULL;
	ot_error err;
	assert_int_equal(ot_engine_open_config(&c, &e, &err), OT_OK);
	char *out = shows(e);
	ot_engine_close(e);
	return out;
}

/* Another engine (keeping no case) writes to the cases the operations of
 * the_cache_follows_failures write to, each a different event than
 * theirs (refused where they got through: then it writes nothing). */
static void others_write(const char *path)
{
	ot_engine_config c;
	ot_engine_config_init(&c);
	c.rules_path = CONTRACT;
	c.store = path;
	c.case_cache = 0;
	ot_engine *e = NULL;
	ot_error err;
	assert_int_equal(ot_engine_open_config(&c, &e, &err), OT_OK);
	static const char *const ops[][2] = {
		{"suspend", "{\"case\":\"20190927-0001\",\"reason\":\"公示\",\"now\":\"2019-10-10T11:00\"}"},
		{"supplement", "{\"case\":\"20190927-0002\",\"materials\":[\"drawings\"],"
			       "\"now\":\"2019-10-10T11:00\"}"},
		{"deliver", "{\"case\":\"20190927-0004\",\"method\":\"window\",\"now\":\"2019-10-10T11:00\"}"},
	};
	for (size_t i = 0; i < OT_COUNTOF(ops); i++) {
		char *resp = NULL;
		ot_call(e, ops[i][0], ops[i][1], &resp, &err);
		free(resp);
	}
	ot_engine_close(e);
}

/* A batch (each operation in its savepoint, one of them refused), then a
 * single operation, with the N-th I/O call failing: the engine's cases,
 * kept in memory before (every case shown), must be the store's after,
 * whatever failed -- a write inside a savepoint, the commit -- and the
 * same engine goes on from them. */
static void the_cache_follows_failures(void **state)
{
	(void)state;
	register_faulty();
	place p;
	place_init(&p);
	contract_base(p.base);
	static const char *const ops[][2] = {
		{"act", APPROVE("20190927-0001", "intake", "approval_bureau.investment",
				"2019-09-29T10:00")},
		{"act", APPROVE("20190927-0001", "review", "housing", "2019-09-29T11:00")}, /* refused */
		{"supplement", "{\"case\":\"20190927-0002\",\"materials\":[\"drawings\",\"fire_review\"],"
			       "\"now\":\"2019-09-28T10:00\"}"},
		{"deliver", "{\"case\":\"20190927-0004\",\"method\":\"post\",\"now\":\"2019-10-10T10:00\"}"},
	};
	long failures = 0;
	for (int single = 0; single < 2; single++)
		for (long n = 1;; n++) {
			assert_true(n < 2000);
			copy_base(&p);
			ot_engine *e = open_compiled(CONTRACT, p.uri);
			free(shows(e)); /* every case kept */
			ot_batch_item items[OT_COUNTOF(ops)];
			memset(items, 0, sizeof items);
			for (size_t i = 0; i < OT_COUNTOF(ops); i++) {
				items[i].op = ops[i][0];
				items[i].request = ops[i][1];
			}
			char *resp = NULL;
			ot_error err;
			F.calls = F.failed = 0;
			F.fail_at = n;
			F.persistent = 0;
			F.armed = 1;
			ot_status s = single ? ot_call(e, ops[0][0], ops[0][1], &resp, &err)
					     : ot_call_batch(e, items, OT_COUNTOF(ops), &err);
			F.armed = 0;
			free(resp);
			if (!single) {
				assert_int_equal(items[1].status, s == OT_OK ? OT_EACTOR : s);
				for (size_t i = 0; i < OT_COUNTOF(ops); i++)
					free(items[i].response);
			}
			/* another engine writes something else to the same cases:
			 * what the failure did not keep must not stand for it */
			others_write(p.trial);
			char *mine = shows(e), *truth = shows_uncached(p.trial);
			if (strcmp(mine, truth) != 0) {
				fprintf(stderr, "%s, I/O call %ld failing: the engine's cases are not the "
					"store's\n", single ? "an act" : "a batch", n);
				fail();
			}
			free(mine);
			free(truth);
			/* and it goes on from there: the act once more */
			s = ot_call(e, ops[0][0], ops[0][1], &resp, &err);
			free(resp);
			char *after = shows(e), *after_truth = shows_uncached(p.trial);
			assert_string_equal(after, after_truth);
			free(after);
			free(after_truth);
			ot_engine_close(e);
			if (F.failed == 0)
				break;
			failures++;
		}
	printf("%ld failed operations left the cache as the store\n", failures);
	assert_true(failures > 0);
	place_free(&p);
}

/* Opening: a new store created, and an existing one given a new rule
 * version (the providers rules into the contract base).  A failed open is
 * OT_ESTORE; the next ordinary open works and finds the store as it was
 * (or, for a new store, sound and empty). */
static void opening(void **state)
{
	(void)state;
	register_faulty();
	place p;
	place_init(&p);
	contract_base(p.base);
	char *before = dump(p.base);
	long fails = 0;
	for (int fresh = 0; fresh < 2; fresh++)
		for (int persistent = 0; persistent < 2; persistent++)
			for (long n = 1;; n++) {
				assert_true(n < 2000);
				if (fresh)
					remove_store(p.trial);
				else
					copy_base(&p);
				ot_engine *e = NULL;
				ot_error err;
				F.calls = F.failed = 0;
				F.fail_at = n;
				F.persistent = persistent;
				F.armed = 1;
				ot_status s = ot_engine_open(PROVIDERS, p.uri, &e, &err);
				F.armed = 0;
				ot_engine_close(e);
				if (s == OT_OK && F.failed == 0)
					break;
				if (s != OT_OK) {
					fails++;
					assert_int_equal(s, OT_ESTORE);
					assert_non_null(strstr(err.message, "store"));
				}
				/* an ordinary open finds it sound: as before, or
				 * with the new version when the open got through */
				e = open_at(PROVIDERS, p.trial);
				char *report = NULL;
				assert_int_equal(ot_call(e, "store_check", "{}", &report, &err), OT_OK);
				assert_non_null(strstr(report, "\"sound\": true"));
				free(report);
				ot_engine_close(e);
				if (!fresh && s != OT_OK) {
					/* the new version is stored by that open, so
					 * compare without it */
					sqlite3 *db;
					assert_int_equal(sqlite3_open(p.trial, &db), SQLITE_OK);
					assert_int_equal(sqlite3_exec(db, "DELETE FROM rule_versions WHERE hash NOT IN"
								      " (SELECT rules FROM cases)", NULL, NULL, NULL), SQLITE_OK);
					sqlite3_close(db);
					char *d = dump(p.trial);
					assert_string_equal(d, before);
					free(d);
				}
			}
	printf("%ld opens failed as they should\n", fails);
	assert_true(fails > 0);
	free(before);
	place_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_operation_of_a_case),
		cmocka_unit_test(a_chain),
		cmocka_unit_test(a_chain_hands_on),
		cmocka_unit_test(a_licence_kept),
		cmocka_unit_test(the_licence_library),
		cmocka_unit_test(opening),
		cmocka_unit_test(the_cache_follows_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
