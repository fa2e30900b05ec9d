/*
 * store_sqlite.c -- the SQLite backend of the store interface (store.h):
 * cases, their events, rule versions and the libraries in one file.
 *
 * WAL mode with synchronous=FULL: a committed operation survives a power
 * cut.  An operation takes the write lock with its first write, after its
 * hooks (BEGIN); one that loses the race runs again taking the lock up front
 * (BEGIN IMMEDIATE), see run_op.  A busy store is waited for (busy timeout)
 * before an operation gives up with OT_ESTORE.  Statements are
 * prepared once and reset after each use.  The schema version lives in
 * PRAGMA user_version and is migrated forward on open.
 *
 * The events table is the record: append-only, one row per change.  The
 * cases table holds a snapshot for listing and showing; a case is loaded
 * for an operation from its events (case_load: those the engine's copy has
 * not applied, or all of them; case_cache.c), never from the snapshot, so
 * the snapshot can never drift from the record unnoticed.
 *
 * Every SQLite result is checked: a step that fails while rows are read is
 * an error, never "no more rows", and text that should be JSON but does not
 * parse is damage.  A damaged or unreadable file (SQLITE_CORRUPT,
 * SQLITE_NOTADB, SQLITE_IOERR) is OT_ESTORE with a message that names the
 * file and points to `onetrip store check` (store_check.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_write.h"
#include "store_sqlite.h"

#define SCHEMA_VERSION STORE_SCHEMA

static const char *const schema[] = {
	"CREATE TABLE rule_versions("
	" hash TEXT PRIMARY KEY,"
	" stored_at TEXT NOT NULL,"
	" sources TEXT NOT NULL)",
	"CREATE TABLE cases("
	" id TEXT PRIMARY KEY,"
	" item TEXT NOT NULL,"
	" rules TEXT NOT NULL REFERENCES rule_versions(hash),"
	" status TEXT NOT NULL,"
	" applicant TEXT,"
	" department TEXT NOT NULL,"
	" handlers TEXT NOT NULL,"
	" due TEXT,"
	" updated TEXT NOT NULL,"
	" state TEXT NOT NULL)",
	"CREATE INDEX cases_status ON cases(status)",
	"CREATE INDEX cases_item ON cases(item)",
	"CREATE INDEX cases_applicant ON cases(applicant)",
	"CREATE TABLE events("
	" case_id TEXT NOT NULL REFERENCES cases(id),"
	" seq INTEGER NOT NULL,"
	" at TEXT NOT NULL,"
	" op TEXT NOT NULL,"
	" actor TEXT,"
	" rules TEXT NOT NULL REFERENCES rule_versions(hash),"
	" payload TEXT NOT NULL,"
	" PRIMARY KEY(case_id, seq))",
	"CREATE TABLE library("
	" applicant TEXT NOT NULL,"
	" material TEXT NOT NULL,"
	" case_id TEXT NOT NULL REFERENCES cases(id),"
	" valid_from INTEGER NOT NULL,"
	" valid_until INTEGER NOT NULL,"
	" PRIMARY KEY(applicant, material, case_id))",
	"CREATE TABLE counters(day TEXT PRIMARY KEY, n INTEGER NOT NULL)",
};

/* version 2: the electronic licence library (电子证照库): licences issued
 * by approvals here (case_id set) or imported from elsewhere. */
static const char *const schema_v2[] = {
	"CREATE TABLE licences("
	" holder TEXT NOT NULL,"
	" material TEXT NOT NULL,"
	" number TEXT NOT NULL,"
	" issuer TEXT NOT NULL,"
	" valid_from INTEGER NOT NULL,"
	" valid_until INTEGER,"
	" case_id TEXT,"
	" PRIMARY KEY(material, number))",
	"CREATE INDEX licences_holder ON licences(holder, material)",
};

/* version 3: the earliest due date of a case (its own or an active
 * step's), indexed, so overdue reads only what is late; and list pages by
 * id. */
static const char *const schema_v3[] = {
	"ALTER TABLE cases ADD COLUMN next_due TEXT",
	/* a snapshot that is not JSON stays without: store check names it */
	("UPDATE cases SET next_due = (SELECT min(d) FROM (SELECT json_extract(state, '$.due') AS d"
	 " UNION ALL SELECT json_extract(value, '$.due') FROM json_each(state, '$.current')"
	 " WHERE json_type(value) = 'object')) WHERE json_valid(state)"
	 " AND json_type(state, '$.current') IS 'array'"),
	"CREATE INDEX cases_next_due ON cases(status, next_due)",
};

/* version 4: the answers kept for idempotency keys (a service's safe
 * retries), each until it expires. */
static const char *const schema_v4[] = {
	"CREATE TABLE IF NOT EXISTS idempotency("
	" key TEXT PRIMARY KEY,"
	" fingerprint TEXT NOT NULL,"
	" op TEXT NOT NULL,"
	" response TEXT NOT NULL,"
	" stored_at INTEGER NOT NULL,"
	" expires INTEGER NOT NULL)",
	"CREATE INDEX IF NOT EXISTS idempotency_expires ON idempotency(expires)",
};

/* version 5: the first day a case needs a warning from the time sweep
 * (sweep.c), indexed, which the sweep claims by.  The engine knows the
 * day (it depends on the item's calendar): the open cases of a migrated
 * store are due for the first sweep, which writes each one's day. */
static const char *const schema_v5[] = {
	"ALTER TABLE cases ADD COLUMN warn_at TEXT",
	("UPDATE cases SET warn_at = '' WHERE status IN ('in_progress', 'received', 'suspended',"
	 " 'approved', 'checking')"),
	"CREATE INDEX cases_warn_at ON cases(warn_at, id) WHERE warn_at IS NOT NULL",
};

/* version 6: the index on status alone goes: cases_next_due begins with
 * status and answers the same queries, and each write of a case's row
 * wrote both (the PostgreSQL backend's version 6 says more). */
static const char *const schema_v6[] = {
	"DROP INDEX IF EXISTS cases_status",
};

/* version 7: a licence is a holder's: two holders may hold the same
 * number of one material (another district's store numbers its own
 * approvals' licences as this one does), and neither import nor approval
 * takes one from another holder.  The key (holder, material, number)
 * answers the holder's lookups, which had an index of their own.  And the
 * applicant columns are keyed as requests are read (store_holder_key):
 * ...002x, typed before, is ...002X. */
static const char *const schema_v7[] = {
	("CREATE TABLE licences_v7("
	 " holder TEXT NOT NULL,"
	 " material TEXT NOT NULL,"
	 " number TEXT NOT NULL,"
	 " issuer TEXT NOT NULL,"
	 " valid_from INTEGER NOT NULL,"
	 " valid_until INTEGER,"
	 " case_id TEXT,"
	 " PRIMARY KEY(holder, material, number))"),
	("INSERT INTO licences_v7 SELECT holder, material, number, issuer, valid_from, valid_until,"
	 " case_id FROM licences"),
	"DROP TABLE licences",
	"ALTER TABLE licences_v7 RENAME TO licences",
	"UPDATE cases SET applicant = upper(applicant) WHERE applicant <> upper(applicant)",
	"UPDATE OR REPLACE library SET applicant = upper(applicant) WHERE applicant <> upper(applicant)",
};

/* version 9: a licence's own term, kept apart from the end it has while
 * an approval here keeps it valid without one (`issues … unless …`):
 * when that approval is revoked and none other keeps it, the licence
 * goes back to that term, imported or issued.  Licences kept before
 * have none recorded (licences.c, issued_term, says what then). */
static const char *const schema_v9[] = {
	"ALTER TABLE licences ADD COLUMN term_until INTEGER",
	"UPDATE licences SET term_until = valid_until",
};

/* version 10: nothing in the tables.  Its engines write events an older
 * one cannot read back (a step's own legal card, `"clocks": 4`): that
 * one refuses the store as newer, rather than find its cases damaged or
 * write them a sweep day blind to those cards. */

enum {
	S_BEGIN, S_BEGIN_DEFERRED, S_COMMIT, S_ROLLBACK, S_VERSION_PUT, S_VERSION_GET, S_NEXT_ID,
	S_CASE_INSERT, S_CASE_UPDATE, S_CASE_TOUCH, S_CASE_GET, S_HAS_EVENTS, S_EVENT_INSERT,
	S_EVENTS, S_LIB_ADD, S_LIB_FIND, S_LIC_PUT, S_LIC_FIND, S_LICENCES_OF, S_LIST, S_IDEM_GET, S_IDEM_PUT, S_IDEM_EXPIRE,
	S_FEED, S_COUNTS, S_SAVEPOINT, S_RELEASE, S_ROLLBACK_TO, S_CLAIM, S_WARN_AT, S_LIC_HELD, S_LIC_KEEP, S_LIC_TERM, S_LIC_BACK, S__COUNT
};
_Static_assert(S__COUNT <= OT_COUNTOF(((sqlite_store *)0)->stmt), "sqlite_store.stmt is too small");
_Static_assert(STORE_HELD == 8, "S_LIC_HELD's LIMIT is STORE_HELD + 1");

static const char *const sql[S__COUNT] = {
	[S_LICENCES_OF] = "SELECT material, number, issuer, valid_from, valid_until, case_id,"
			  " term_until FROM licences WHERE holder = ?1 ORDER BY valid_from, material",
	/* one page: the filters, then the cursor; ?7 is the page size + 1 */
	[S_LIST] = "SELECT id, state FROM cases WHERE (?1 IS NULL OR status IN (?1, ?8, ?9, ?10))"
		   " AND (?2 IS NULL OR item = ?2)"
		   " AND (?3 IS NULL OR department = ?3 OR instr(handlers, ',' || ?3 || ',') > 0)"
		   " AND (?4 IS NULL OR applicant = ?4)"
		   " AND (?5 IS NULL OR next_due < ?5)"
		   " AND (?6 IS NULL OR id > ?6) ORDER BY id LIMIT ?7",
	[S_IDEM_GET] = "SELECT fingerprint, op, response FROM idempotency WHERE key = ?1 AND expires > ?2",
	[S_IDEM_PUT] = "INSERT OR REPLACE INTO idempotency(key, fingerprint, op, response, stored_at,"
		       " expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_IDEM_EXPIRE] = "DELETE FROM idempotency WHERE expires <= ?1",
	/* the events table's rowid is the order events were committed in:
	 * writers are serialised, and a row is never deleted */
	[S_FEED] = "SELECT e.rowid, e.case_id, e.seq, e.at, e.op, e.actor, c.item, c.status,"
		   " CASE WHEN e.op = 'warn' THEN e.payload END FROM events e JOIN cases c ON c.id = e.case_id WHERE e.rowid > ?1"
		   " AND (?2 IS NULL OR c.department = ?2 OR instr(c.handlers, ',' || ?2 || ',') > 0)"
		   " AND (?3 IS NULL OR (SELECT json_extract(f.payload, '$.client') FROM events f"
		   " WHERE f.case_id = e.case_id AND f.seq = 1) = ?3)"
		   " ORDER BY e.rowid LIMIT ?4",
	[S_COUNTS] = "SELECT status, count(*) FROM cases GROUP BY status",
	/* the sweep's cases: the operation holds the write lock (BEGIN IMMEDIATE) */
	[S_CLAIM] = "SELECT id, warn_at FROM cases WHERE warn_at <= ?1 AND (warn_at, id) > (?3, ?4)"
		    " ORDER BY warn_at, id LIMIT ?2",
	[S_WARN_AT] = "UPDATE cases SET warn_at = ?2 WHERE id = ?1",
	[S_SAVEPOINT] = "SAVEPOINT op",
	[S_RELEASE] = "RELEASE op",
	[S_ROLLBACK_TO] = "ROLLBACK TO op",
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_BEGIN_DEFERRED] = "BEGIN",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_VERSION_PUT] = "INSERT OR IGNORE INTO rule_versions(hash, stored_at, sources)"
			  " VALUES (?1, datetime('now'), ?2)",
	[S_VERSION_GET] = "SELECT sources FROM rule_versions WHERE hash = ?1",
	[S_NEXT_ID] = "INSERT INTO counters(day, n) VALUES (?1, 1)"
		      " ON CONFLICT(day) DO UPDATE SET n = n + 1 RETURNING n",
	[S_CASE_INSERT] = "INSERT INTO cases(id, item, rules, status, applicant, department,"
			  " handlers, due, updated, state, next_due, warn_at)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[S_CASE_UPDATE] = "UPDATE cases SET status = ?4, handlers = ?7, due = ?8, updated = ?9,"
			  " state = ?10, next_due = ?11, warn_at = ?12 WHERE id = ?1",
	/* the same when the status stays: leaves the status index alone,
	 * one page less to write and sync */
	[S_CASE_TOUCH] = "UPDATE cases SET handlers = ?7, due = ?8, updated = ?9,"
			 " state = ?10, next_due = ?11, warn_at = ?12 WHERE id = ?1 AND ?4 IS NOT NULL",
	[S_CASE_GET] = "SELECT item, rules, status,"
		       " (SELECT max(seq) FROM events WHERE case_id = ?1) FROM cases WHERE id = ?1",
	[S_HAS_EVENTS] = "SELECT 1 FROM events WHERE case_id = ?1 LIMIT 1",
	[S_EVENT_INSERT] = "INSERT INTO events(case_id, seq, at, op, actor, rules, payload)"
			   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_EVENTS] = "SELECT seq, payload FROM events WHERE case_id = ?1 AND seq > ?2 ORDER BY seq",
	[S_LIB_ADD] = "INSERT OR REPLACE INTO library(applicant, material, case_id, valid_from,"
		      " valid_until) VALUES (?1, ?2, ?3, ?4, ?5)",
	/* The two look-ups below pick their row in C, not with ORDER BY ...
	 * LIMIT 1: SQLite sorts that through a temporary b-tree, opened and
	 * closed for every call (half of an assessment's time), for the few
	 * rows an applicant holds of one material. */
	[S_LIB_FIND] = "SELECT case_id, valid_until FROM library WHERE applicant = ?1"
		       " AND material = ?2 AND valid_from <= ?3 AND valid_until > ?3",
	[S_LIC_PUT] = "INSERT OR REPLACE INTO licences(holder, material, number, issuer,"
		      " valid_from, valid_until, case_id, term_until)"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* the valid licence first, else the one that expired last (lic_better);
	 * of two equally good, the first considered: the lower number, in
	 * bytes as PostgreSQL's COLLATE "C" orders (the key's order: no sort) */
	[S_LIC_FIND] = "SELECT number, valid_until FROM licences"
		       " WHERE holder = ?1 AND material = ?2 AND valid_from <= ?3 ORDER BY number",
	/* all of a holder's, up to one more than store_held keeps (STORE_HELD),
	 * each material's by number as S_LIC_FIND */
	[S_LIC_HELD] = "SELECT material, number, valid_until FROM licences"
		       " WHERE holder = ?1 AND valid_from <= ?2 ORDER BY material, number LIMIT 9",
	/* kept while valid at the approval (one kept already is written
	 * again: on PostgreSQL that row's lock orders this approval and a
	 * revocation deciding the licence is kept no more, licences.c
	 * release_one), and never once revoked (its case's approval revoked),
	 * whatever the approval's time */
	[S_LIC_KEEP] = "UPDATE licences SET valid_until = NULL WHERE holder = ?1 AND material = ?2"
		       " AND number = ?3 AND valid_from <= ?4 AND (valid_until IS NULL OR valid_until > ?4)"
		       " AND (case_id IS NULL OR NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = licences.case_id"
		       " AND c.status = 'revoked'))",
	/* kept without end, its own term known (licences.c, release_one) */
	[S_LIC_TERM] = "SELECT valid_from, term_until FROM licences WHERE holder = ?1"
		       " AND material = ?2 AND number = ?3 AND valid_until IS NULL"
		       " AND term_until IS NOT NULL",
	/* given back only as it was read (kept, with that term or none known),
	 * as on PostgreSQL, where it matters */
	[S_LIC_BACK] = "UPDATE licences SET valid_until = ?4, term_until = ?4 WHERE holder = ?1"
		       " AND material = ?2 AND number = ?3 AND valid_until IS NULL"
		       " AND (term_until IS NULL OR term_until = ?4)",
};

/* ---- failures ---- */

static const char *sq_path(const ot_engine *e)
{
	return e->store && SQ(e)->path ? SQ(e)->path : "(unnamed)";
}

/* What SQLite said about result rc: its message when it is about rc, else
 * the generic text of the code. */
static const char *db_message(ot_engine *e, int rc)
{
	return e->store && SQ(e)->db && sqlite3_errcode(SQ(e)->db) == rc ? sqlite3_errmsg(SQ(e)->db) : sqlite3_errstr(rc);
}

/* The error for SQLite result rc while doing what (printf-style).  The kind
 * of failure decides the advice: busy is temporary, a damaged or unreadable
 * file is for `onetrip store check`. */
static ot_status db_fail(ot_engine *e, ot_error *err, int rc, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;

static ot_status db_fail(ot_engine *e, ot_error *err, int rc, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	const char *path = sq_path(e), *msg = db_message(e, rc);
	SQ(e)->failed_rc = rc;
	if (e->checking) /* the check reports it as it is */
		return err_set(err, (rc & 0xff) == SQLITE_NOMEM ? OT_ENOMEM : OT_ESTORE,
			       "%s while %s", msg, what);
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return err_set(err, OT_ESTORE, "the store is busy (another process held it too long): %s",
			       what);
	case SQLITE_NOMEM:
		return err_set(err, OT_ENOMEM, "out of memory while %s", what);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return err_set(err, OT_ESTORE, "the store %.150s is damaged (%s) while %s: run "
			       "`onetrip store check %.150s`", path, msg, what, path);
	case SQLITE_IOERR:
		return err_set(err, OT_ESTORE, "the store %.150s could not be read or written (%s) "
			       "while %s: nothing was changed; once the disk is sound, run "
			       "`onetrip store check %.150s`", path, msg, what, path);
	case SQLITE_FULL:
		return err_set(err, OT_ESTORE, "the disk holding the store %.150s is full while %s: "
			       "nothing was changed", path, what);
	default:
		return err_set(err, OT_ESTORE, "store error while %s: %s (store %.150s)", what, msg,
			       path);
	}
}


/* A failure where no status can be returned (the material library is a
 * callback of the assessment): kept until the operation ends, which then
 * fails with it (store_settle).  The first one counts. */
static void fault(ot_engine *e, int rc, const char *what)
{
	if (e->fault.status == OT_OK)
		db_fail(e, &e->fault, rc, "%s", what);
}

static void fault_damaged(ot_engine *e, const char *what)
{
	if (e->fault.status == OT_OK)
		store_damaged(e, &e->fault, "%s", what);
}


/* Writes happen only inside the operation's transaction.  After an I/O
 * error SQLite may have rolled it back on its own, and a write would then
 * commit by itself, half an operation: refuse it.  So is any write after a
 * failure a callback kept (the operation goes on to its end only to fail). */
static ot_status writable(ot_engine *e, ot_error *err)
{
	if (e->fault.status != OT_OK) {
		if (err)
			*err = e->fault;
		return e->fault.status;
	}
	if (sqlite3_get_autocommit(SQ(e)->db))
		return err_set(err, OT_ESTORE, "the store %.150s ended the transaction after an error: "
			       "nothing was changed", sq_path(e));
	return OT_OK;
}

/* ---- opening ---- */

static int exec(ot_engine *e, const char *text)
{
	return sqlite3_exec(SQ(e)->db, text, NULL, NULL, NULL);
}

/* The integer a one-row PRAGMA answers. */
static ot_status pragma_int(ot_engine *e, const char *pragma, int *out, ot_error *err)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(SQ(e)->db, pragma, -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? OT_OK : db_fail(e, err, rc, "reading %s", pragma);
}

/* Runs the schema steps from version `have` on, in the caller's transaction. */
static int create_schema(ot_engine *e, int have, const char **step)
{
	int rc = SQLITE_OK;
	*step = "creating the schema";
	for (size_t i = 0; have < 1 && rc == SQLITE_OK && i < OT_COUNTOF(schema); i++)
		rc = exec(e, schema[i]);
	if (rc != SQLITE_OK)
		return rc;
	*step = "adding the licence library";
	for (size_t i = 0; have < 2 && rc == SQLITE_OK && i < OT_COUNTOF(schema_v2); i++)
		rc = exec(e, schema_v2[i]);
	if (rc != SQLITE_OK)
		return rc;
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", SCHEMA_VERSION);
	*step = "indexing due dates";
	for (size_t i = 0; have < 3 && rc == SQLITE_OK && i < OT_COUNTOF(schema_v3); i++)
		rc = exec(e, schema_v3[i]);
	if (rc != SQLITE_OK)
		return rc;
	*step = "adding the idempotency keys";
	for (size_t i = 0; have < 4 && rc == SQLITE_OK && i < OT_COUNTOF(schema_v4); i++)
		rc = exec(e, schema_v4[i]);
	if (rc != SQLITE_OK)
		return rc;
	*step = "adding the time sweep's day";
	for (size_t i = 0; have < 5 && rc == SQLITE_OK && i < OT_COUNTOF(schema_v5); i++)
		rc = exec(e, schema_v5[i]);
	if (rc != SQLITE_OK)
		return rc;
	*step = "lightening the writes";
	for (size_t i = 0; have < 6 && rc == SQLITE_OK && i < OT_COUNTOF(schema_v6); i++)
		rc = exec(e, schema_v6[i]);
	if (rc != SQLITE_OK)
		return rc;
	*step = "keying licences by their holder";
	for (size_t i = 0; have < 7 && rc == SQLITE_OK && i < OT_COUNTOF(schema_v7); i++)
		rc = exec(e, schema_v7[i]);
	if (rc != SQLITE_OK)
		return rc;
	/* version 8 is PostgreSQL's feed base (store_pg.c): nothing here, where
	 * the feed's order is the rowid's */
	*step = "keeping the licences' own terms";
	for (size_t i = 0; have < 9 && rc == SQLITE_OK && i < OT_COUNTOF(schema_v9); i++)
		rc = exec(e, schema_v9[i]);
	if (rc != SQLITE_OK)
		return rc;
	*step = "migrating the schema";
	return exec(e, pragma);
}

static ot_status too_new(ot_engine *e, int have, ot_error *err)
{
	return err_set(err, OT_ESTORE, "the store %.150s was written by a newer onetrip (schema %d, "
		       "this one knows %d)", sq_path(e), have, SCHEMA_VERSION);
}

/* Brings the schema to SCHEMA_VERSION.  Several processes may open a new
 * store at once: the version is read again under the write lock, so only
 * the first one creates the tables. */
static ot_status migrate(ot_engine *e, ot_error *err)
{
	int have = 0;
	ot_status s = pragma_int(e, "PRAGMA user_version", &have, err);
	if (s != OT_OK || have == SCHEMA_VERSION) /* the usual open takes no lock */
		return s;
	if (have > SCHEMA_VERSION)
		return too_new(e, have, err);
	int rc = exec(e, "BEGIN IMMEDIATE");
	if (rc != SQLITE_OK)
		return db_fail(e, err, rc, "migrating the schema");
	if ((s = pragma_int(e, "PRAGMA user_version", &have, err)) != OT_OK) {
		exec(e, "ROLLBACK");
		return s;
	}
	const char *step = "migrating the schema";
	rc = have == SCHEMA_VERSION ? SQLITE_OK : have > SCHEMA_VERSION ? SQLITE_ERROR
									  : create_schema(e, have, &step);
	if (rc == SQLITE_OK)
		rc = exec(e, "COMMIT");
	if (rc == SQLITE_OK)
		return OT_OK;
	s = have > SCHEMA_VERSION ? too_new(e, have, err) : db_fail(e, err, rc, "%s", step);
	if (!sqlite3_get_autocommit(SQ(e)->db))
		exec(e, "ROLLBACK");
	return s;
}

/* The journal mode is WAL, or SQLITE_BUSY: it could not be switched yet. */
static int journal_wal(ot_engine *e)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(SQ(e)->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	const char *mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
	int wal = mode && strcmp(mode, "wal") == 0;
	sqlite3_finalize(st);
	return wal ? SQLITE_OK : rc == SQLITE_ROW ? SQLITE_BUSY : rc;
}

static double seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Switches to WAL.  Processes opening a new store at once race to switch
 * it, and the losers can be told "busy" (or get the old mode back) without
 * the busy handler being asked: try again, for as long as the busy timeout. */
static ot_status use_wal(ot_engine *e, ot_error *err)
{
	double deadline = seconds() + e->busy_ms / 1000.0;
	for (int tries = 0;; tries++) {
		int rc = journal_wal(e);
		if (rc == SQLITE_OK)
			return OT_OK;
		if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) || seconds() > deadline)
			return db_fail(e, err, rc, "switching to WAL mode");
		sqlite3_sleep(1 + tries % 20);
	}
}

/* Opens the connection; `file:` URIs are taken (the tests select a VFS
 * that fails on purpose with `file:PATH?vfs=NAME`).  `to_read`: opened to
 * be read, where a file not there is told as no store. */
static ot_status connect(ot_engine *e, const char *path, int flags, int to_read,
			 ot_error *err)
{
	if (!e->store && !(e->store = calloc(1, sizeof(sqlite_store))))
		return err_set(err, OT_ENOMEM, "out of memory opening the store");
	flags |= SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
	int rc = sqlite3_open_v2(path, &SQ(e)->db, flags, NULL);
	if (rc != SQLITE_OK) {
		int no_file = rc == SQLITE_CANTOPEN && SQ(e)->db &&
			      sqlite3_system_errno(SQ(e)->db) == ENOENT;
		ot_status s = no_file && to_read
			? err_set(err, OT_ESTORE, "no store at %.150s: %s (a store is not created "
				  "to be read)", path, strerror(ENOENT))
			: err_set(err, rc == SQLITE_NOMEM ? OT_ENOMEM : OT_ESTORE,
				  "cannot open the store %.150s: %s", path,
				  SQ(e)->db ? sqlite3_errmsg(SQ(e)->db) : "out of memory");
		sqlite3_close(SQ(e)->db);
		SQ(e)->db = NULL;
		return s;
	}
	/* messages name the file as the user did, or the file a URI names */
	const char *file = strncmp(path, "file:", 5) == 0 ? sqlite3_db_filename(SQ(e)->db, "main") : path;
	if (!(SQ(e)->path = strdup(file && *file ? file : path)))
		return err_set(err, OT_ENOMEM, "out of memory opening the store");
	sqlite3_busy_timeout(SQ(e)->db, e->busy_ms);
	sqlite3_extended_result_codes(SQ(e)->db, 0);
	return OT_OK;
}

static ot_status prepare_all(ot_engine *e, ot_error *err)
{
	for (int i = 0; i < S__COUNT; i++) {
		int rc = sqlite3_prepare_v3(SQ(e)->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &SQ(e)->stmt[i],
					    NULL);
		if (rc != SQLITE_OK)
			return db_fail(e, err, rc, "preparing statements");
	}
	return OT_OK;
}

/* A database that holds tables of no onetrip store (none with a schema
 * version and no table of cases) is someone else's: a mistyped --db, a
 * copy's target.  onetrip's tables are not put beside theirs, nor its
 * journal mode changed. */
static ot_status not_foreign(ot_engine *e, ot_error *err)
{
	/* one statement, one moment: another process may be creating the
	 * store's tables and its version together right now */
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(SQ(e)->db, "SELECT (SELECT user_version FROM pragma_user_version),"
				    " (SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT"
				    " LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name LIMIT 1),"
				    " EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table'"
				    " AND name = 'cases')", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_fail(e, err, rc, "reading what the database holds");
	rc = sqlite3_step(st);
	ot_status s = OT_OK;
	if (rc != SQLITE_ROW) {
		s = db_fail(e, err, rc, "reading what the database holds");
	} else {
		int have = sqlite3_column_int(st, 0), cases = sqlite3_column_int(st, 2);
		const char *table = (const char *)sqlite3_column_text(st, 1);
		if ((have == 0 && table) || (have != 0 && !cases))
			s = err_set(err, OT_ESTORE, "%.150s is not a onetrip store: it holds %s%.60s%s; "
				    "give the path of a new file", sq_path(e),
				    table ? "other tables (" : "no table of cases",
				    table ? table : "", table ? ", …)" : "");
	}
	sqlite3_finalize(st);
	return s;
}

/* A store opened to be read (STORE_MIGRATE) is not made where there is
 * none: a mistyped path would otherwise be a new, empty store whose
 * answer, no cases, looks like an all-clear. */
static ot_status sq_open(ot_engine *e, const char *path, int create, ot_error *err)
{
	ot_status s = connect(e, path, SQLITE_OPEN_READWRITE |
			      (create == STORE_CREATE ? SQLITE_OPEN_CREATE : 0),
			      create == STORE_MIGRATE, err);
	if (s != OT_OK || (s = not_foreign(e, err)) != OT_OK)
		return s;
	int rc = exec(e, "PRAGMA foreign_keys = ON");
	if (rc == SQLITE_OK)
		rc = exec(e, "PRAGMA synchronous = FULL");
	if (rc != SQLITE_OK)
		return db_fail(e, err, rc, "configuring the store");
	const char *file = sqlite3_db_filename(SQ(e)->db, "main");
	if (file && *file && (s = use_wal(e, err)) != OT_OK) /* not for :memory: */
		return s;
	if ((s = migrate(e, err)) != OT_OK)
		return s;
	return prepare_all(e, err);
}

static ot_status sq_open_existing(ot_engine *e, const char *path, ot_error *err)
{
	ot_status s = connect(e, path, SQLITE_OPEN_READWRITE, 0, err);
	int have = 0;
	/* a store looked at (store check, a copy's source) stays as it was:
	 * no checkpoint when it is closed, which would write the file and
	 * remove a -wal that someone may want to look into */
	if (s == OT_OK && sqlite3_db_config(SQ(e)->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1,
					    (int *)NULL) != SQLITE_OK)
		s = err_set(err, OT_ESTORE, "cannot open the store %.150s as it is", sq_path(e));
	if (s == OT_OK)
		s = pragma_int(e, "PRAGMA user_version", &have, err);
	if (s != OT_OK)
		return s;
	if (have > SCHEMA_VERSION)
		return too_new(e, have, err);
	if (have == 0)
		return err_set(err, OT_ESTORE, "%.150s is not a onetrip store (it has no schema "
			       "version)", sq_path(e));
	if (have < SCHEMA_VERSION)
		return err_set(err, OT_ESTORE, "the store %.150s has schema version %d: open it once "
			       "with this onetrip (any command with --db) to bring it to version %d",
			       sq_path(e), have, SCHEMA_VERSION);
	return prepare_all(e, err);
}

static void sq_close(ot_engine *e)
{
	if (!e->store)
		return;
	for (int i = 0; i < S__COUNT; i++) {
		sqlite3_finalize(SQ(e)->stmt[i]);
		SQ(e)->stmt[i] = NULL;
	}
	sqlite3_close(SQ(e)->db);
	SQ(e)->db = NULL;
	free(SQ(e)->path);
	free(e->store);
	e->store = NULL;
}

/* ---- transactions ---- */

static void sq_rollback(ot_engine *e);

/* Steps a statement whose rows (at most one) are not read, and resets it;
 * returns the step's result, SQLITE_DONE when it went well. */
static int run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

/* Resets a statement whose rows were read. */
static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Ends reading rows into `list`: it is the answer (*out) when every row
 * was read (rc SQLITE_DONE) and s is OT_OK; else it is dropped and the
 * failure returned, a step's as the store's failure while `what`. */
static ot_status rows_done(ot_engine *e, sqlite3_stmt *st, ot_status s, int rc, json_t *list,
			   json_t **out, const char *what, ot_error *err)
{
	done(st);
	if (s == OT_OK && rc != SQLITE_DONE)
		s = db_fail(e, err, rc, "%s", what);
	*out = s == OT_OK ? list : NULL;
	if (s != OT_OK)
		json_decref(list);
	return s;
}

static ot_status sq_begin(ot_engine *e, int deferred, ot_error *err)
{
	SQ(e)->failed_rc = SQLITE_OK;
	SQ(e)->held.valid = 0; /* another moment of the store */
	int rc = run(SQ(e)->stmt[deferred ? S_BEGIN_DEFERRED : S_BEGIN]);
	return rc == SQLITE_DONE ? OT_OK : db_fail(e, err, rc, "starting a transaction");
}

static int sq_lost_race(const ot_engine *e)
{
	int rc = SQ(e)->failed_rc & 0xff;
	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

static ot_status sq_commit(ot_engine *e, ot_error *err)
{
	SQ(e)->held.valid = 0; /* the licences held are the transaction's */
	ot_status s = writable(e, err);
	int rc = s == OT_OK ? run(SQ(e)->stmt[S_COMMIT]) : SQLITE_DONE;
	if (s == OT_OK && rc == SQLITE_DONE)
		return OT_OK;
	if (s == OT_OK)
		s = db_fail(e, err, rc, "committing");
	sq_rollback(e);
	return s;
}

static void sq_rollback(ot_engine *e)
{
	SQ(e)->held.valid = 0;
	/* after an I/O error SQLite may have rolled back already */
	if (!sqlite3_get_autocommit(SQ(e)->db))
		run(SQ(e)->stmt[S_ROLLBACK]);
}

/* Savepoints, for operations committed together (store.h). */
static ot_status sq_savepoint(ot_engine *e, ot_error *err)
{
	ot_status s = writable(e, err); /* never a SAVEPOINT that would begin a transaction */
	int rc = s == OT_OK ? run(SQ(e)->stmt[S_SAVEPOINT]) : SQLITE_DONE;
	return s != OT_OK ? s : rc == SQLITE_DONE ? OT_OK : db_fail(e, err, rc, "starting an operation");
}

static ot_status sq_release(ot_engine *e, ot_error *err)
{
	ot_status s = writable(e, err);
	int rc = s == OT_OK ? run(SQ(e)->stmt[S_RELEASE]) : SQLITE_DONE;
	return s != OT_OK ? s : rc == SQLITE_DONE ? OT_OK : db_fail(e, err, rc, "ending an operation");
}

static void sq_rollback_to(ot_engine *e)
{
	/* after an I/O error SQLite may have rolled back the whole transaction:
	 * then there is no savepoint left, and the next sq_savepoint says so */
	SQ(e)->held.valid = 0; /* a licence it wrote is undone */
	if (!sqlite3_get_autocommit(SQ(e)->db)) {
		run(SQ(e)->stmt[S_ROLLBACK_TO]);
		run(SQ(e)->stmt[S_RELEASE]);
	}
}

/* ---- rule versions and case numbers ---- */

static ot_status sq_put_version(ot_engine *e, const ot_rules *r, ot_error *err)
{
	sqlite3_stmt *st = SQ(e)->stmt[S_VERSION_PUT];
	ot_status s = writable(e, err);
	if (s != OT_OK)
		return s;
	sqlite3_bind_text(st, 1, ot_rules_hash(r), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ot_rules_sources(r), -1, SQLITE_STATIC);
	int rc = run(st);
	return rc == SQLITE_DONE ? OT_OK : db_fail(e, err, rc, "storing the rule version");
}

/* Text column i, or NULL when it is not text (a damaged row). */
static const char *column_str(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_TEXT ? (const char *)sqlite3_column_text(st, i)
							   : NULL;
}

/* Text column i as a JSON object (a new reference), or NULL when it is
 * not one: the store keeps only objects, so anything else is damage. */
static json_t *column_json(sqlite3_stmt *st, int i)
{
	const char *text = column_str(st, i);
	json_t *j = text ? json_loadb(text, (size_t)sqlite3_column_bytes(st, i), 0, NULL) : NULL;
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

static ot_status sq_get_version(ot_engine *e, const char *hash, char **out, ot_error *err)
{
	sqlite3_stmt *st = SQ(e)->stmt[S_VERSION_GET];
	*out = NULL;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), bad = 0;
	if (rc == SQLITE_ROW) {
		const char *text = column_str(st, 0);
		bad = !text;
		*out = text ? strdup(text) : NULL;
	}
	done(st);
	if (bad)
		return store_damaged(e, err, "rule version %.12s has no sources", hash);
	if (rc == SQLITE_ROW && !*out)
		return err_set(err, OT_ENOMEM, "out of memory reading rule version %.12s", hash);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(e, err, rc, "reading rule version %.12s", hash);
	return OT_OK;
}

static ot_status sq_next_id(ot_engine *e, ot_time now, char id[32], ot_error *err)
{
	char day[11], compact[9];
	day_format(time_day(now, e->zone), day);
	snprintf(compact, sizeof compact, "%.4s%.2s%.2s", day, day + 5, day + 8);
	sqlite3_stmt *st = SQ(e)->stmt[S_NEXT_ID];
	ot_status s = writable(e, err);
	if (s != OT_OK)
		return s;
	sqlite3_bind_text(st, 1, compact, -1, SQLITE_STATIC); /* copying could fail */
	int rc = sqlite3_step(st);
	sqlite3_int64 n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	done(st);
	if (rc != SQLITE_ROW)
		return db_fail(e, err, rc, "numbering the case");
	snprintf(id, 32, "%s-%04lld", compact, (long long)n);
	return OT_OK;
}

/* ---- cases and events ---- */

/* Binds the snapshot columns of the cases statements. */
static void bind_case(sqlite3_stmt *st, const ot_case *c, const char *hand, const char *due,
		      const char *at, const char *state, const char *next_due, const char *warn_at)
{
	const ot_rules *r = c->v->rules;
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, case_row_item(c), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, case_status_names[c->status], -1, SQLITE_STATIC);
	char key[64];
	sqlite3_bind_text(st, 5, case_row_applicant(c, key), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, case_row_department(c), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, hand, -1, SQLITE_STATIC);
	if (due[0])
		sqlite3_bind_text(st, 8, due, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, state, -1, SQLITE_STATIC);
	if (next_due[0])
		sqlite3_bind_text(st, 11, next_due, -1, SQLITE_STATIC);
	if (warn_at[0])
		sqlite3_bind_text(st, 12, warn_at, -1, SQLITE_STATIC);
}

static ot_status save_event(ot_engine *e, const ot_case *c, json_t *event, const char *at,
			    const char *payload, ot_error *err)
{
	sqlite3_stmt *st = SQ(e)->stmt[S_EVENT_INSERT];
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, c->events);
	sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, json_string_value(json_object_get(event, "op")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, json_string_value(json_object_get(event, "actor")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, c->v->rules->hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, payload, -1, SQLITE_STATIC);
	int rc = run(st);
	return rc == SQLITE_DONE ? OT_OK : db_fail(e, err, rc, "recording the event of case %s", c->id);
}

static ot_status sq_save(ot_engine *e, const ot_case *c, json_t *event, const char *state_text,
		     int is_new, ot_error *err)
{
	char *payload = json_text(event, JSON_COMPACT);
	char hand[1024], due[11] = "", at[32];
	case_handlers(c, hand, sizeof hand);
	if (c->due >= 0)
		day_format(c->due, due);
	const char *ev_at = json_string_value(json_object_get(event, "at"));
	snprintf(at, sizeof at, "%s", ev_at ? ev_at : "");
	ot_status s = writable(e, err);
	if (s != OT_OK)
		goto out;
	if (!state_text || !payload) {
		s = err_set(err, OT_ENOMEM, "out of memory while saving case %s", c->id);
		goto out;
	}
	int same = !is_new && c->stored_status == (int)c->status;
	sqlite3_stmt *st = SQ(e)->stmt[is_new ? S_CASE_INSERT : same ? S_CASE_TOUCH : S_CASE_UPDATE];
	char next_due[11] = "", warn_at[11] = "";
	case_next_due(c, next_due);
	case_warn_at(c, SWEEP_INDEX_WORKDAYS, warn_at);
	bind_case(st, c, hand, due, at, state_text, next_due, warn_at);
	int rc = run(st);
	if (rc != SQLITE_DONE)
		s = db_fail(e, err, rc, "saving case %s", c->id);
	else if (!is_new && sqlite3_changes(SQ(e)->db) != 1) /* it was read a moment ago */
		s = store_damaged(e, err, "case %s has events but no row in the cases table", c->id);
	else
		s = save_event(e, c, event, at, payload, err);
out:
	free(payload);
	return s;
}

static ot_status sq_events(ot_engine *e, const char *id, int after, json_t **out,
			   ot_error *err)
{
	sqlite3_stmt *st = SQ(e)->stmt[S_EVENTS];
	json_t *events = json_array();
	int rc = SQLITE_DONE;
	ot_status s = events ? OT_OK : err_set(err, OT_ENOMEM, "out of memory reading case %s", id);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, after);
	while (s == OT_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t n = json_array_size(events) + 1 + (size_t)after;
		json_t *ev = column_json(st, 1);
		/* the events of a case are numbered 1, 2, ... without a gap */
		if (sqlite3_column_int64(st, 0) != (sqlite3_int64)n)
			s = store_damaged(e, err, "case %s: event %zu is missing", id, n);
		else if (!ev)
			s = store_damaged(e, err, "case %s: event %zu is not JSON", id, n);
		else if (json_array_append(events, ev))
			s = err_set(err, OT_ENOMEM, "out of memory reading case %s", id);
		json_decref(ev);
	}
	char what[128];
	snprintf(what, sizeof what, "reading the events of case %.40s", id);
	return rows_done(e, st, s, rc, events, out, what, err);
}

/* The case's row: item, rule version and stored status.  OT_ENOTFOUND
 * when there is none -- unless it has events, which is damage. */
static ot_status sq_case_head(ot_engine *e, const char *id, int after, char item[256],
			      char hash[65], char status[32], int *events, ot_error *err)
{
	(void)after; /* the events are read apart: one more step, no round trip */
	sqlite3_stmt *st = SQ(e)->stmt[S_CASE_GET];
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), bad = 0;
	if (rc == SQLITE_ROW) {
		const char *a = column_str(st, 0), *b = column_str(st, 1), *c = column_str(st, 2);
		bad = !a || !b || !c || strlen(a) > 255 || strlen(b) != 64 || strlen(c) > 31;
		if (!bad) {
			snprintf(item, 256, "%s", a);
			snprintf(hash, 65, "%s", b);
			snprintf(status, 32, "%s", c);
			*events = (int)sqlite3_column_int(st, 3);
		}
	}
	done(st);
	if (bad)
		return store_damaged(e, err, "the row of case %s is unreadable", id);
	if (rc == SQLITE_ROW)
		return OT_OK;
	if (rc != SQLITE_DONE)
		return db_fail(e, err, rc, "reading case %s", id);
	st = SQ(e)->stmt[S_HAS_EVENTS];
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	done(st);
	if (rc == SQLITE_ROW)
		return store_damaged(e, err, "case %s has events but no row in the cases table", id);
	if (rc != SQLITE_DONE)
		return db_fail(e, err, rc, "reading case %s", id);
	return err_set(err, OT_ENOTFOUND, "there is no case '%s'", id);
}




/* ---- the material library ---- */

static ot_status sq_library_add(ot_engine *e, const char *applicant,
			    const char *material, const char *case_id,
			    ot_time from, ot_time until, ot_error *err)
{
	sqlite3_stmt *st = SQ(e)->stmt[S_LIB_ADD];
	ot_status s = writable(e, err);
	if (s != OT_OK)
		return s;
	sqlite3_bind_text(st, 1, applicant, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, material, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, case_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, from);
	sqlite3_bind_int64(st, 5, until);
	int rc = run(st);
	return rc == SQLITE_DONE ? OT_OK : db_fail(e, err, rc, "adding to the material library");
}

static const char *sq_library_find(void *ud, const char *applicant,
			       const char *material, ot_time now)
{
	ot_engine *e = ud;
	char *found = SQ(e)->lib_found;
	sqlite3_stmt *st = SQ(e)->stmt[S_LIB_FIND];
	const char *out = NULL;
	sqlite3_bind_text(st, 1, applicant, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, material, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	/* the entry valid longest */
	int rc, damaged = 0;
	sqlite3_int64 best = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = column_str(st, 0);
		sqlite3_int64 until = sqlite3_column_int64(st, 1);
		if (!id || strlen(id) >= sizeof SQ(e)->lib_found)
			damaged = 1;
		else if (!out || until > best) {
			snprintf(found, sizeof SQ(e)->lib_found, "%s", id);
			out = found;
			best = until;
		}
	}
	done(st);
	/* the assessment cannot take a status: the operation fails at its end */
	if (damaged)
		fault_damaged(e, "a material library entry has no readable case");
	else if (rc != SQLITE_DONE)
		fault(e, rc, "looking up the material library");
	return damaged || rc != SQLITE_DONE ? NULL : out;
}

/* ---- the licence library ---- */

static ot_status sq_licence_put(ot_engine *e, const licence *l, ot_error *err)
{
	sqlite3_stmt *st = SQ(e)->stmt[S_LIC_PUT];
	ot_status s = writable(e, err);
	if (s != OT_OK)
		return s;
	SQ(e)->held.valid = 0;
	sqlite3_bind_text(st, 1, l->holder, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, l->material, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, l->number, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, l->issuer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, l->from);
	if (l->until >= 0)
		sqlite3_bind_int64(st, 6, l->until);
	sqlite3_bind_text(st, 7, l->case_id, -1, SQLITE_STATIC);
	if (l->term >= 0)
		sqlite3_bind_int64(st, 8, l->term);
	int rc = run(st);
	return rc == SQLITE_DONE ? OT_OK : db_fail(e, err, rc, "adding to the licence library");
}

/* A licence's row updated by statement `stmt` at its key, with time t. */
static ot_status lic_update(ot_engine *e, int stmt, const char *holder, const char *material,
			    const char *number, ot_time t, const char *what, ot_error *err)
{
	sqlite3_stmt *st = SQ(e)->stmt[stmt];
	ot_status s = writable(e, err);
	if (s != OT_OK)
		return s;
	SQ(e)->held.valid = 0;
	sqlite3_bind_text(st, 1, holder, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, material, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, number, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, t);
	int rc = run(st);
	return rc == SQLITE_DONE ? OT_OK : db_fail(e, err, rc, "%s", what);
}

static ot_status sq_licence_keep(ot_engine *e, const char *holder, const char *material,
				 const char *number, ot_time now, ot_error *err)
{
	return lic_update(e, S_LIC_KEEP, holder, material, number, now,
			  "keeping a licence of the library", err);
}

static int sq_licence_term(ot_engine *e, const char *holder, const char *material,
			   const char *number, ot_time *from, ot_time *term, ot_error *err)
{
	sqlite3_stmt *st = SQ(e)->stmt[S_LIC_TERM];
	sqlite3_bind_text(st, 1, holder, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, material, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, number, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), found = rc == SQLITE_ROW;
	if (found) {
		*from = sqlite3_column_int64(st, 0);
		*term = sqlite3_column_int64(st, 1);
		rc = sqlite3_step(st); /* the key's: one row at most */
	}
	done(st);
	if (rc == SQLITE_DONE)
		return found;
	db_fail(e, err, rc, "reading the licence library");
	return -1;
}

static ot_status sq_licence_back(ot_engine *e, const char *holder, const char *material,
				 const char *number, ot_time term, ot_error *err)
{
	return lic_update(e, S_LIC_BACK, holder, material, number, term,
			  "ending a licence kept no more", err);
}

static int lic_result(ot_engine *e, const store_lic_pick *p)
{
	/* a provider's failure is the applicant's problem; the store's is not:
	 * the operation fails at its end */
	if (p->damaged) {
		fault_damaged(e, "a licence in the library has no readable number");
		return -1;
	}
	return p->found;
}

/* An item with several materials issued by departments (the contract's
 * building permit has two) looked each up in turn: a statement run and an
 * index probe each, a fifth of an assessment.  Within a transaction the
 * holder's licences valid by `now` are read once instead -- up to STORE_HELD;
 * a holder with more is asked material by material, as before -- and kept
 * until what the transaction reads may change (its end, a licence written,
 * a savepoint rolled back).  NULL: ask by material, or (*failed set) the
 * read failed as the store's failure (SQLite may have ended the
 * transaction: nothing more is read in it). */
static const store_held *held_licences(ot_engine *e, const char *key, ot_time now, int *failed)
{
	store_held *h = &SQ(e)->held;
	*failed = 0;
	if (sqlite3_get_autocommit(SQ(e)->db))
		return NULL; /* no transaction: every statement sees its own moment */
	if (!store_held_for(h, key, now)) {
		sqlite3_stmt *st = SQ(e)->stmt[S_LIC_HELD];
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now);
		int rc;
		store_held_start(h, key, now);
		while (h->n >= 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *m = column_str(st, 0);
			if (m) /* else no material matches it */
				store_held_add(h, m, column_str(st, 1),
					       sqlite3_column_type(st, 2) == SQLITE_NULL
						       ? -1 : sqlite3_column_int64(st, 2));
		}
		done(st);
		if (h->n >= 0 && rc != SQLITE_DONE) {
			fault(e, rc, "looking up the licence library");
			*failed = 1;
			return NULL;
		}
		h->valid = 1;
	}
	return h->n >= 0 ? h : NULL;
}

static int sq_licence_find(ot_engine *e, const char *holder, const char *material,
			   ot_time now, char number[REF_CAP], ot_time *until)
{
	store_lic_pick p = {0, 0};
	int failed;
	const store_held *h = held_licences(e, holder, now, &failed);
	if (failed)
		return -1;
	if (h) {
		store_held_pick(h, material, now, &p, number, until);
		return lic_result(e, &p);
	}
	sqlite3_stmt *st = SQ(e)->stmt[S_LIC_FIND];
	sqlite3_bind_text(st, 1, holder, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, material, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		store_lic_consider(&p, column_str(st, 0),
			     sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 1),
			     now, number, until);
	done(st);
	if (!p.damaged && rc != SQLITE_DONE) {
		fault(e, rc, "looking up the licence library");
		return -1;
	}
	return lic_result(e, &p);
}

/* An integer column, -1 for NULL. */
static ot_time nullable(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, col);
}

static ot_status sq_licences_of(ot_engine *e, const char *holder, json_t **out, ot_error *err)
{
	sqlite3_stmt *st = SQ(e)->stmt[S_LICENCES_OF];
	json_t *list = json_array();
	int rc = SQLITE_DONE;
	ot_status s = list ? OT_OK : err_set(err, OT_ENOMEM, "out of memory");
	sqlite3_bind_text(st, 1, holder, -1, SQLITE_STATIC);
	while (s == OT_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		licence l = {holder, column_str(st, 0), column_str(st, 1), column_str(st, 2),
			     column_str(st, 5), sqlite3_column_int64(st, 3), nullable(st, 4),
			     nullable(st, 6)};
		json_t *j = l.material && l.number && l.issuer ? licence_json(&l, e->zone) : NULL;
		if (!j || json_array_append_new(list, j))
			s = store_damaged(e, err, "a licence of the library is unreadable");
	}
	return rows_done(e, st, s, rc, list, out, "reading the licence library", err);
}

static ot_status sq_list(ot_engine *e, const store_query *q, json_t **out, char *next,
		       ot_error *err)
{
	sqlite3_stmt *st = SQ(e)->stmt[S_LIST];
	json_t *list = json_array();
	int rc = SQLITE_DONE;
	ot_status s = list ? OT_OK : err_set(err, OT_ENOMEM, "out of memory");
	const char *binds[] = {q->status, q->item, q->department, q->applicant, q->due_before,
			       q->after};
	char last[STORE_CURSOR_MAX] = ""; /* the id column of the page's last row */
	for (int i = 0; i < 6; i++)
		sqlite3_bind_text(st, i + 1, binds[i], -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, q->limit + 1); /* one more: is there a next page? */
	for (int i = 0; i < 3; i++) /* NULL binds NULL, which matches no status */
		sqlite3_bind_text(st, 8 + i, q->also[i], -1, SQLITE_STATIC);
	while (s == OT_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = column_str(st, 0);
		if ((int)json_array_size(list) == q->limit) {
			/* the row after the page: the page ends at the one before */
			snprintf(next, STORE_CURSOR_MAX, "%s", last);
			rc = SQLITE_DONE;
			break;
		}
		snprintf(last, sizeof last, "%s", id ? id : "");
		json_t *c = column_json(st, 1);
		if (!c)
			s = store_damaged(e, err, "the snapshot of case %.40s is not JSON",
					  id ? id : "(unreadable id)");
		else if (json_array_append_new(list, c))
			s = err_set(err, OT_ENOMEM, "out of memory listing cases");
	}
	return rows_done(e, st, s, rc, list, out, "listing cases", err);
}

/* ---- idempotency keys, the event feed, counts ---- */

static ot_status sq_idem_get(ot_engine *e, const char *key, long long now_s, char fingerprint[65],
			     char op[32], char **response, ot_error *err)
{
	sqlite3_stmt *st = SQ(e)->stmt[S_IDEM_GET];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_s);
	int rc = sqlite3_step(st);
	ot_status s = OT_OK;
	if (rc == SQLITE_ROW) {
		const char *f = column_str(st, 0), *o = column_str(st, 1), *r = column_str(st, 2);
		if (!f || !o || !r)
			s = store_damaged(e, err, "an idempotency key's answer is unreadable");
		else if (!(*response = strdup(r)))
			s = err_set(err, OT_ENOMEM, "out of memory");
		else {
			snprintf(fingerprint, 65, "%s", f);
			snprintf(op, 32, "%s", o);
		}
		rc = SQLITE_DONE;
	}
	done(st);
	if (s == OT_OK && rc != SQLITE_DONE)
		s = db_fail(e, err, rc, "reading an idempotency key");
	return s;
}

static ot_status sq_idem_put(ot_engine *e, const char *key, const char *fingerprint, const char *op,
			     const char *response, long long now_s, long long expires_s,
			     ot_error *err)
{
	ot_status s = writable(e, err);
	if (s != OT_OK)
		return s;
	sqlite3_stmt *st = SQ(e)->stmt[S_IDEM_EXPIRE];
	sqlite3_bind_int64(st, 1, now_s);
	int rc = run(st);
	if (rc == SQLITE_DONE) {
		st = SQ(e)->stmt[S_IDEM_PUT];
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, fingerprint, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, op, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, response, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, now_s);
		sqlite3_bind_int64(st, 6, expires_s);
		rc = run(st);
	}
	return rc == SQLITE_DONE ? OT_OK : db_fail(e, err, rc, "keeping an idempotency key");
}

static ot_status sq_feed(ot_engine *e, const store_feed_query *q, json_t **out, long long *next,
			 ot_error *err)
{
	sqlite3_stmt *st = SQ(e)->stmt[S_FEED];
	json_t *list = json_array();
	int rc = SQLITE_DONE;
	ot_status s = list ? OT_OK : err_set(err, OT_ENOMEM, "out of memory");
	sqlite3_bind_int64(st, 1, q->after);
	sqlite3_bind_text(st, 2, q->department, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, q->client, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, q->limit);
	while (s == OT_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*next = sqlite3_column_int64(st, 0);
		json_t *ev = store_feed_entry(*next, column_str(st, 1), sqlite3_column_int64(st, 2),
					      column_str(st, 3), column_str(st, 4), column_str(st, 5),
					      column_str(st, 6), column_str(st, 7), column_str(st, 8));
		if (!ev || json_array_append_new(list, ev))
			s = err_set(err, OT_ENOMEM, "out of memory reading the event feed");
	}
	return rows_done(e, st, s, rc, list, out, "reading the event feed", err);
}

static ot_status sq_counts(ot_engine *e, json_t **out, ot_error *err)
{
	sqlite3_stmt *st = SQ(e)->stmt[S_COUNTS];
	json_t *counts = json_object();
	int rc = SQLITE_DONE;
	ot_status s = counts ? OT_OK : err_set(err, OT_ENOMEM, "out of memory");
	while (s == OT_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *status = column_str(st, 0);
		if (!status)
			s = store_damaged(e, err, "a case has no status");
		else if (json_object_set_new(counts, status,
					     json_integer(sqlite3_column_int64(st, 1))))
			s = err_set(err, OT_ENOMEM, "out of memory");
	}
	return rows_done(e, st, s, rc, counts, out, "counting cases", err);
}

/* ---- the time sweep ---- */

static ot_status sq_claim(ot_engine *e, const char *today, store_claim_pos *pos, int limit,
			  char (*ids)[32], int *n, ot_error *err)
{
	sqlite3_stmt *st = SQ(e)->stmt[S_CLAIM];
	sqlite3_bind_text(st, 1, today, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, limit);
	sqlite3_bind_text(st, 3, pos->day, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, pos->id, -1, SQLITE_TRANSIENT);
	int rc;
	ot_status s = OT_OK;
	while (s == OT_OK && *n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW)
		s = store_claimed(e, column_str(st, 0), column_str(st, 1), pos, ids[(*n)++], err);
	if (s == OT_OK && *n < limit && rc != SQLITE_DONE)
		s = db_fail(e, err, rc, "claiming the cases the time sweep warns");
	done(st);
	return s;
}

static ot_status sq_warn_at(ot_engine *e, const ot_case *c, ot_error *err)
{
	char day[11] = "";
	ot_status s = writable(e, err);
	if (s != OT_OK)
		return s;
	sqlite3_stmt *st = SQ(e)->stmt[S_WARN_AT];
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	if (case_warn_at(c, SWEEP_INDEX_WORKDAYS, day))
		sqlite3_bind_text(st, 2, day, -1, SQLITE_STATIC);
	int rc = run(st);
	return rc == SQLITE_DONE ? OT_OK : db_fail(e, err, rc, "saving case %s", c->id);
}

/* ---- the table ---- */

static ot_status sq_connect(ot_engine *e, const char *where, int create, ot_error *err)
{
	return create ? sq_open(e, where, create, err) : sq_open_existing(e, where, err);
}

const store_vt store_sqlite = {
	.version = 1,
	.scheme = "sqlite",
	.open = sq_connect,
	.close = sq_close,
	.path = sq_path,
	.begin = sq_begin,
	.lost_race = sq_lost_race,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.release = sq_release,
	.rollback_to = sq_rollback_to,
	.put_version = sq_put_version,
	.get_version = sq_get_version,
	.next_id = sq_next_id,
	.save = sq_save,
	.case_head = sq_case_head,
	.events = sq_events,
	.library_add = sq_library_add,
	.library_find = sq_library_find,
	.licence_put = sq_licence_put,
	.licence_keep = sq_licence_keep,
	.licence_find = sq_licence_find,
	.licence_term = sq_licence_term,
	.licence_back = sq_licence_back,
	.licences_of = sq_licences_of,
	.list = sq_list,
	.check = sq_check,
	.idem_get = sq_idem_get,
	.idem_put = sq_idem_put,
	.feed = sq_feed,
	.counts = sq_counts,
	.unreadable = sq_unreadable,
	.rows = sq_rows,
	.put_row = sq_put_row,
	.count = sq_count,
	.claim = sq_claim,
	.warn_at = sq_warn_at,
};
