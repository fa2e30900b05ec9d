/*
 * store_pg.c -- the PostgreSQL backend of the store interface (store.h),
 * for several engine processes on one database.
 *
 * The same tables as the SQLite backend (store_sqlite.c), the same
 * meaning: the events table is the record, append-only; the cases table
 * keeps a snapshot for listing; a case is loaded from its events (those
 * the engine's copy has not applied, read with the row: case_cache.c).
 * The schema version lives in the table onetrip_schema and is migrated
 * forward on open, under an advisory lock so that engines starting
 * together create the tables once.
 *
 * Transactions map SQLite's two kinds of BEGIN (see run_op in api.c):
 *   - an operation's first try (deferred) is REPEATABLE READ: its reads see
 *     one moment of the database and take no lock, so its hooks run
 *     without holding anything.  If another engine changed a row it then
 *     writes (the case, the day's counter, a library entry) since that
 *     moment, PostgreSQL refuses the write with a serialization failure
 *     (40001), or a deadlock (40P01): store_lost_race says so, and the
 *     operation runs again;
 *   - the second try (not deferred) is READ COMMITTED and locks the row of
 *     each case it reads (SELECT ... FOR UPDATE): it sees the winner's
 *     change, and waits (lock_timeout = the engine's busy_ms) instead of
 *     failing.  So of two engines acting on the same step at once exactly
 *     one wins; the other's second try finds the step done and is refused
 *     as in one process (OT_ESTATE).
 * A submission's first try (STORE_NUMBERING) begins as a second try does:
 * at REPEATABLE READ it would lose the day's counter row to any engine
 * that submitted since its first read.
 *
 * Lock order: a chain's row before its items'.  A chain (chain.c,
 * api_chain.c) is a chain case and its item cases, and one operation
 * writes both: an item's operation reads its item case, then follows it
 * to the chain; a chain's own (a supplement, a withdrawal) reads the
 * chain, then its items.  Locked in the order read, two such operations
 * on one chain could each hold a row the other waits for: PostgreSQL ends
 * one of them after deadlock_timeout (1 s), and a second try so ended has
 * no third.  So every transaction takes a chain's row first:
 *   - a locking read of an item case (a second try, a batch, a
 *     submission) locks its chain's row, then the item's, in one
 *     statement before the read (S_CASE_LOCK_CHAIN).  No column names an
 *     item's chain; its snapshot does (CHAIN_OF), read on this path only;
 *   - a first try locks nothing it reads, but its write of an item case
 *     goes to the server with its next statement -- the read of the chain,
 *     usually -- long before the chain's own write goes with the COMMIT:
 *     that write is preceded by a lock of the chain's row (pg_save,
 *     S_CASE_LOCK), refused at once as a lost race when another engine
 *     changed the chain since the first try's moment;
 *   - the time sweep, which claims its cases before it reads them,
 *     claims an item case's chain with it, and passes over an item whose
 *     chain another holds as it does one another holds (S_CLAIM).
 * The other rows such an operation takes -- the day's counter, for the
 * item cases it opens -- come after the chain's, and no transaction holds
 * them while it waits for a chain.  Different chains are not ordered: no
 * operation but a batch (ot_call_batch) takes two, and a batch takes
 * its cases in the order its operations come, chains or not: two batches
 * may deadlock, and the operation PostgreSQL fails runs again on its own
 * once its batch is committed (batch_again, api.c).
 *
 * Round trips are the cost of an operation beside the commit's flush: the
 * BEGIN goes with the first statement, the case's row comes with its
 * events, and the snapshot and the event go with the COMMIT (pg_later),
 * all in libpq's pipeline mode: BEGIN + read, then write + COMMIT; and on
 * a case this engine wrote last, no read: BEGIN + write + COMMIT at once
 * (see "cases this engine wrote last").
 *
 * Case numbers come from a counter row per day updated in the operation's
 * transaction: unique, and gapless since a rolled back operation takes its
 * number back with it.
 *
 * Overdue, list and the event feed are reads (REPEATABLE READ snapshots),
 * so two servers answering them at once do no work twice.  The one
 * operation that claims work, the time sweep, begins not deferred and
 * takes its cases FOR UPDATE SKIP LOCKED (pg_claim): two servers sweeping
 * at once each take other cases, and a case one of them holds is warned
 * by it alone.  The feed's order is the committing transactions' (schema_v4,
 * pg_feed).  A batch (ot_call_batch) begins not deferred: row locks from
 * the start, a savepoint an operation.
 *
 * A lost connection (a database restart, a network cut) fails the
 * operation with OT_ESTORE; PostgreSQL rolls the transaction back, so
 * nothing is half-written.  The next operation reconnects (PQreset) and
 * prepares its statements again.  A connection lost during COMMIT leaves
 * the outcome unknown, and the message says so.
 *
 * URIs are libpq's (postgresql://USER@HOST:PORT/DB?...), with one more
 * parameter of ours, schema=NAME: the tables live in that schema (created
 * when missing), so several stores can share a database.
 */
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "json_write.h"
#include "store_pg.h"

#define SCHEMA_VERSION STORE_SCHEMA
#define MIGRATE_LOCK "7270351" /* pg_advisory_xact_lock's key while migrating */

/* The layout of schema version 3, the first the PostgreSQL backend knows
 * (SQLite's three versions at once); each later version's steps run in
 * order from the stored version (migrate). */
static const char *const schema_v3[] = {
	("CREATE TABLE rule_versions("
	 " hash TEXT COLLATE \"C\" PRIMARY KEY,"
	 " stored_at TEXT NOT NULL,"
	 " sources TEXT NOT NULL)"),
	("CREATE TABLE cases("
	 " id TEXT COLLATE \"C\" PRIMARY KEY,"
	 " item TEXT NOT NULL,"
	 " rules TEXT NOT NULL REFERENCES rule_versions(hash),"
	 " status TEXT NOT NULL,"
	 " applicant TEXT,"
	 " department TEXT NOT NULL,"
	 " handlers TEXT NOT NULL,"
	 " due TEXT,"
	 " updated TEXT NOT NULL,"
	 " state TEXT NOT NULL,"
	 " next_due TEXT COLLATE \"C\")"),
	"CREATE INDEX cases_status ON cases(status)",
	"CREATE INDEX cases_item ON cases(item)",
	"CREATE INDEX cases_applicant ON cases(applicant)",
	"CREATE INDEX cases_next_due ON cases(status, next_due)",
	("CREATE TABLE events("
	 " case_id TEXT COLLATE \"C\" NOT NULL REFERENCES cases(id),"
	 " seq INTEGER NOT NULL,"
	 " at TEXT NOT NULL,"
	 " op TEXT NOT NULL,"
	 " actor TEXT,"
	 " rules TEXT NOT NULL REFERENCES rule_versions(hash),"
	 " payload TEXT NOT NULL,"
	 " PRIMARY KEY(case_id, seq))"),
	("CREATE TABLE library("
	 " applicant TEXT NOT NULL,"
	 " material TEXT NOT NULL,"
	 " case_id TEXT COLLATE \"C\" NOT NULL REFERENCES cases(id),"
	 " valid_from BIGINT NOT NULL,"
	 " valid_until BIGINT NOT NULL,"
	 " PRIMARY KEY(applicant, material, case_id))"),
	"CREATE TABLE counters(day TEXT PRIMARY KEY, n INTEGER NOT NULL)",
	("CREATE TABLE licences("
	 " holder TEXT NOT NULL,"
	 " material TEXT NOT NULL,"
	 " number TEXT NOT NULL,"
	 " issuer TEXT NOT NULL,"
	 " valid_from BIGINT NOT NULL,"
	 " valid_until BIGINT,"
	 " case_id TEXT,"
	 " PRIMARY KEY(material, number))"),
	"CREATE INDEX licences_holder ON licences(holder, material)",
	"CREATE TABLE onetrip_schema(version INTEGER NOT NULL)",
	"INSERT INTO onetrip_schema VALUES (3)",
};

/* version 4: idempotency keys (a service's safe retries), and the order
 * events are recorded in, for the event feed.  PostgreSQL commits
 * concurrent transactions in no order a sequence could show, so an event's
 * place is its transaction's id (the high bits) and a sequence within it
 * (the low 23): the feed returns only events of transactions older than
 * every one still running (store_feed), and so never passes over one that
 * commits later.  Events of a store migrated here keep their order by case. */
static const char *const schema_v4[] = {
	("CREATE TABLE idempotency("
	 " key TEXT PRIMARY KEY,"
	 " fingerprint TEXT NOT NULL,"
	 " op TEXT NOT NULL,"
	 " response TEXT NOT NULL,"
	 " stored_at BIGINT NOT NULL,"
	 " expires BIGINT NOT NULL)"),
	"CREATE INDEX idempotency_expires ON idempotency(expires)",
	"CREATE SEQUENCE events_order",
	"ALTER TABLE events ADD COLUMN recorded BIGINT",
	("UPDATE events SET recorded = o.n FROM (SELECT case_id, seq, row_number() OVER"
	 " (ORDER BY case_id, seq) AS n FROM events) o WHERE o.case_id = events.case_id"
	 " AND o.seq = events.seq"),
	("ALTER TABLE events ALTER COLUMN recorded SET DEFAULT"
	 " ((pg_current_xact_id()::text::bigint << 23) | (nextval('events_order') & 8388607))"),
	"ALTER TABLE events ALTER COLUMN recorded SET NOT NULL",
	"CREATE INDEX events_recorded ON events(recorded)",
	"UPDATE onetrip_schema SET version = 4",
};

/* version 5: the first day a case needs a warning from the time sweep
 * (sweep.c), which the sweep claims by (SELECT ... FOR UPDATE SKIP
 * LOCKED).  The engine knows the day: the open cases of a migrated store
 * are due for the first sweep, which writes each one's. */
static const char *const schema_v5[] = {
	"ALTER TABLE cases ADD COLUMN warn_at TEXT COLLATE \"C\"",
	("UPDATE cases SET warn_at = '' WHERE status IN ('in_progress', 'received', 'suspended',"
	 " 'approved', 'checking')"),
	"CREATE INDEX cases_warn_at ON cases(warn_at, id) WHERE warn_at IS NOT NULL",
	"UPDATE onetrip_schema SET version = 5",
};

/* version 6: what each operation's write costs the server.  The index on
 * status alone goes: cases_next_due begins with status and answers the
 * same queries.  The events' foreign keys go: an event is written only in
 * the statement that writes its case's row (S_CASE_WRITE), from the row
 * that statement returns, so it cannot name a case that is not there,
 * and its rule version is the case's; store check reads both references
 * (store_pg_check.c).  Checked by the server at each insert they cost a
 * fifth of the server's time an operation (docs/performance.md). */
static const char *const schema_v6[] = {
	"DROP INDEX IF EXISTS cases_status",
	"ALTER TABLE events DROP CONSTRAINT IF EXISTS events_case_id_fkey",
	"ALTER TABLE events DROP CONSTRAINT IF EXISTS events_rules_fkey",
	"UPDATE onetrip_schema SET version = 6",
};

/* version 7: a licence is a holder's, and the applicant columns keyed as
 * requests are read (the SQLite backend's version 7 says why). */
static const char *const schema_v7[] = {
	"ALTER TABLE licences DROP CONSTRAINT licences_pkey",
	"ALTER TABLE licences ADD PRIMARY KEY (holder, material, number)",
	"DROP INDEX IF EXISTS licences_holder",
	"UPDATE cases SET applicant = upper(applicant) WHERE applicant <> upper(applicant)",
	("DELETE FROM library l WHERE applicant <> upper(applicant) AND EXISTS (SELECT 1 FROM"
	 " library u WHERE u.applicant = upper(l.applicant) AND u.material = l.material"
	 " AND u.case_id = l.case_id)"),
	"UPDATE library SET applicant = upper(applicant) WHERE applicant <> upper(applicant)",
	"UPDATE onetrip_schema SET version = 7",
};

/* version 8: the feed's base, added to a transaction's id for an event's
 * place, and the server the store was last on.  A store restored onto
 * another server, or to an earlier point of its own (a base backup, an
 * asynchronous standby promoted), keeps its events' places, but the
 * transaction ids it goes on with are another server's, or repeat those
 * of the events lost: the feed would hold events back, and put new ones
 * before what its readers saw.  The first engine to connect there moves
 * the base past the last place (feed_rebase); elsewhere it stays. */
static const char *const schema_v8[] = {
	"ALTER TABLE onetrip_schema ADD COLUMN feed_base BIGINT NOT NULL DEFAULT 0",
	"ALTER TABLE onetrip_schema ADD COLUMN feed_server TEXT",
	"ALTER TABLE events ALTER COLUMN recorded DROP DEFAULT", /* FEED_PLACE, always */
	"UPDATE onetrip_schema SET version = 8",
};

/* version 9: a licence's own term (the SQLite backend's version 9 says
 * why) */
static const char *const schema_v9[] = {
	"ALTER TABLE licences ADD COLUMN term_until BIGINT",
	"UPDATE licences SET term_until = valid_until",
	"UPDATE onetrip_schema SET version = 9",
};

/* version 10: the events of CASE_CLOCKS 4 (the SQLite backend's version 10
 * says why) */
static const char *const schema_v10[] = {
	"UPDATE onetrip_schema SET version = 10",
};

/* An event's place in the feed, and the feed's end: a transaction id and
 * the base (schema_v8) */
#define FEED_XID(id) "(" id "::text::bigint + (SELECT max(feed_base) FROM onetrip_schema))"
#define FEED_PLACE(xid) "((" xid " << 23) | (nextval('events_order') & 8388607))"
/* ... but never before the case's previous event: a transaction of
 * several cases (a group commit, a chain) takes its id at its first case
 * and may write this one after another engine did; and the sequence's low
 * bits wrap, every 8,388,608 events, maybe between two events of one case
 * in one transaction.  The feed passes neither: it stops before the
 * oldest transaction still running, and a place is never below its
 * writer's id. */
#define FEED_AFTER(place, case_id, seq) \
	"GREATEST(" place ", (SELECT p.recorded + 1 FROM events p WHERE p.case_id = " case_id \
	" AND p.seq = " seq " - 1))"

enum {
	S_VERSION_PUT, S_VERSION_GET, S_NEXT_ID, S_CASE_CREATE, S_CASE_WRITE, S_CASE_READ,
	S_CASE_LOCK, S_HAS_EVENTS, S_EVENTS, S_LIB_ADD, S_LIB_FIND, S_LIC_PUT,
	S_LIC_FIND, S_LICENCES_OF, S_LIST, S_IDEM_GET, S_IDEM_PUT, S_IDEM_EXPIRE, S_FEED, S_COUNTS,
	S_CLAIM, S_WARN_AT, S_BEGIN, S_BEGIN_LOCKING, S_COMMIT, S_LIC_HELD, S_NUMBER_READ,
	S_NUMBER_TAKE, S_LIC_KEEP, S_LIC_TERM, S_LIC_BACK, S_CASE_LOCK_CHAIN, S__COUNT
};

/* S_CASE_CREATE's and S_CASE_WRITE's event: $13 seq, $14 at, $15 op,
 * $16 actor, $17 payload; its case and rule version are the row's */
/* Its place in the feed: FEED_AFTER (schema_v4, schema_v8). */
#define EVENT_FROM_C \
	" INSERT INTO events(case_id, seq, at, op, actor, rules, payload, recorded)" \
	" SELECT id, $13::integer, $14, $15, $16, $3, $17, " \
	FEED_AFTER(FEED_PLACE(FEED_XID("pg_current_xact_id()")), "c.id", "$13::integer") " FROM c"

/* The chain case of case c (an alias of cases), NULL when c is none's
 * item: no column names it, the item's snapshot does ("chain", case.c).
 * Parsing a snapshot costs some 40 us, so only one that holds the word is
 * parsed -- a plain case's search costs some 5 us -- and a chain case's
 * own is not read. */
#define CHAIN_OF(c) \
	"CASE WHEN " c ".item NOT LIKE 'chain:%' AND strpos(" c ".state, '\"chain\"') > 0" \
	" THEN " c ".state::json->>'chain' END"

_Static_assert(STORE_HELD == 8, "S_LIC_HELD's LIMIT is STORE_HELD + 1");

static const char *const sql[S__COUNT] = {
	[S_VERSION_PUT] = "INSERT INTO rule_versions(hash, stored_at, sources) VALUES ($1,"
			  " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), $2)"
			  " ON CONFLICT (hash) DO NOTHING",
	[S_VERSION_GET] = "SELECT sources FROM rule_versions WHERE hash = $1",
	[S_NEXT_ID] = "INSERT INTO counters(day, n) VALUES ($1, 1)"
		      " ON CONFLICT (day) DO UPDATE SET n = counters.n + 1 RETURNING n",
	/* a case's row and its event in one statement: the event is written
	 * from the row the statement wrote, or not at all (schema_v6) */
	[S_CASE_CREATE] = "WITH c AS (INSERT INTO cases(id, item, rules, status, applicant,"
			  " department, handlers, due, updated, state, next_due, warn_at)"
			  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id)"
			  EVENT_FROM_C,
	[S_CASE_WRITE] = "WITH c AS (UPDATE cases SET item = $2, rules = $3, status = $4,"
			 " applicant = $5, department = $6, handlers = $7, due = $8, updated = $9,"
			 " state = $10, next_due = $11, warn_at = $12 WHERE id = $1 RETURNING id)"
			 EVENT_FROM_C,
	/* the row and the events at once: case_rebuild asks for both */
	[S_CASE_READ] = "SELECT c.item, c.rules, c.status, e.seq, e.payload,"
			" (SELECT max(seq) FROM events WHERE case_id = $1) FROM cases c"
			" LEFT JOIN events e ON e.case_id = c.id AND e.seq > $2 WHERE c.id = $1"
			" ORDER BY e.seq",
	/* an item case's chain, before the item's write (pg_save) */
	[S_CASE_LOCK] = "SELECT 1 FROM cases WHERE id = $1 FOR UPDATE",
	/* before S_CASE_READ, in its round trip: at READ COMMITTED the read's
	 * snapshot is then taken once the lock is held, and sees what the
	 * holder wrote (a read that locks as it goes sees the new row beside
	 * the old events: its snapshot is from before the wait).  An item
	 * case's chain is locked first (lock order, in the header): rows are
	 * locked in the order they are sorted, and the chain's sorts first --
	 * one statement, not two, costs a plain case some 10 us less */
	[S_CASE_LOCK_CHAIN] = "SELECT 1 FROM cases WHERE id IN ($1, (SELECT " CHAIN_OF("i")
			      " FROM cases i WHERE i.id = $1)) ORDER BY id = $1 FOR UPDATE",
	[S_HAS_EVENTS] = "SELECT 1 FROM events WHERE case_id = $1 LIMIT 1",
	[S_EVENTS] = "SELECT seq, payload FROM events WHERE case_id = $1 AND seq > $2 ORDER BY seq",
	[S_LIB_ADD] = "INSERT INTO library(applicant, material, case_id, valid_from, valid_until)"
		      " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (applicant, material, case_id)"
		      " DO UPDATE SET valid_from = EXCLUDED.valid_from,"
		      " valid_until = EXCLUDED.valid_until",
	[S_LIB_FIND] = "SELECT case_id FROM library WHERE applicant = $1 AND material = $2"
		       " AND valid_from <= $3 AND valid_until > $3 ORDER BY valid_until DESC LIMIT 1",
	[S_LIC_PUT] = "INSERT INTO licences(holder, material, number, issuer, valid_from,"
		      " valid_until, case_id, term_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
		      " ON CONFLICT (holder, material, number) DO UPDATE SET"
		      " issuer = EXCLUDED.issuer, valid_from = EXCLUDED.valid_from,"
		      " valid_until = EXCLUDED.valid_until, case_id = EXCLUDED.case_id,"
		      " term_until = EXCLUDED.term_until",
	/* the valid licence first, else the one that expired last; of two
	 * equally good the lower number, in bytes (as on SQLite) */
	[S_LIC_FIND] = "SELECT number, valid_until, (valid_until IS NULL OR valid_until > $3) AS ok"
		       " FROM licences WHERE holder = $1 AND material = $2 AND valid_from <= $3"
		       " ORDER BY ok DESC, valid_until IS NULL DESC, valid_until DESC,"
		       " number COLLATE \"C\" LIMIT 1",
	[S_LICENCES_OF] = "SELECT material, number, issuer, valid_from, valid_until, case_id,"
			  " term_until FROM licences WHERE holder = $1 ORDER BY valid_from, material",
	[S_IDEM_GET] = "SELECT fingerprint, op, response FROM idempotency WHERE key = $1 AND expires > $2",
	/* a key kept and not expired (S_IDEM_EXPIRE goes first) is another
	 * engine's, kept since this one looked: not overwritten (pg_idem_put) */
	[S_IDEM_PUT] = "INSERT INTO idempotency(key, fingerprint, op, response, stored_at, expires)"
		       " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO NOTHING",
	[S_IDEM_EXPIRE] = "DELETE FROM idempotency WHERE expires <= $1",
	/* only events of transactions older than every one still running:
	 * their order is final (schema_v4) */
	[S_FEED] = "SELECT e.recorded, e.case_id, e.seq, e.at, e.op, e.actor, c.item, c.status,"
		   " CASE WHEN e.op = 'warn' THEN e.payload END FROM events e JOIN cases c ON c.id = e.case_id WHERE e.recorded > $1"
		   " AND e.recorded < (" FEED_XID("pg_snapshot_xmin(pg_current_snapshot())") " << 23)"
		   " AND ($2::text IS NULL OR c.department = $2"
		   " OR strpos(c.handlers, ',' || $2 || ',') > 0)"
		   " AND ($3::text IS NULL OR (SELECT f.payload::json->>'client' FROM events f"
		   " WHERE f.case_id = e.case_id AND f.seq = 1) = $3)"
		   " ORDER BY e.recorded LIMIT $4::integer",
	[S_COUNTS] = "SELECT status, count(*) FROM cases GROUP BY status",
	/* the time sweep's cases: rows another engine's sweep (or operation)
	 * holds are passed over, so two sweeps at once take different cases.
	 * An item case's chain is taken first, and passed over too when
	 * another holds it (lock order, in the header); a chain not there (a
	 * damaged store) keeps no item from the sweep, which says so.  OFFSET
	 * 0: a snapshot is parsed once, not at each place its chain is named */
	[S_CLAIM] = "SELECT c.id, c.warn_at FROM cases c CROSS JOIN LATERAL (SELECT " CHAIN_OF("c")
		    " AS chain OFFSET 0) k WHERE c.warn_at <= $1 AND (c.warn_at, c.id) > ($3, $4)"
		    " AND (k.chain IS NULL OR EXISTS (SELECT 1 FROM cases h WHERE h.id = k.chain"
		    " FOR UPDATE SKIP LOCKED) OR (SELECT count(*) FROM cases h WHERE h.id = k.chain) = 0)"
		    " ORDER BY c.warn_at, c.id LIMIT $2::integer FOR UPDATE OF c SKIP LOCKED",
	[S_WARN_AT] = "UPDATE cases SET warn_at = $2 WHERE id = $1",
	/* prepared too: parsed once, not at every operation (pg_begin) */
	[S_BEGIN] = "BEGIN ISOLATION LEVEL REPEATABLE READ",
	[S_BEGIN_LOCKING] = "BEGIN ISOLATION LEVEL READ COMMITTED",
	[S_COMMIT] = "COMMIT",
	/* all of a holder's, up to one more than store_held keeps (in no
	 * order: held_licences sorts the few it keeps) */
	[S_LIC_HELD] = "SELECT material, number, valid_until FROM licences"
		       " WHERE holder = $1 AND valid_from <= $2 LIMIT 9",
	/* kept while valid at the approval (one kept already is written
	 * again: on PostgreSQL that row's lock orders this approval and a
	 * revocation deciding the licence is kept no more, licences.c
	 * release_one), and never once revoked (its case's approval revoked),
	 * whatever the approval's time */
	[S_LIC_KEEP] = "UPDATE licences SET valid_until = NULL WHERE holder = $1 AND material = $2"
		       " AND number = $3 AND valid_from <= $4 AND (valid_until IS NULL OR valid_until > $4)"
		       " AND (case_id IS NULL OR NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = licences.case_id"
		       " AND c.status = 'revoked'))",
	/* kept without end, its own term known (licences.c, release_one), and
	 * locked: a revocation of its issuing case or an import that commits
	 * meanwhile is waited for and read, not written over (S_LIC_BACK) */
	[S_LIC_TERM] = "SELECT valid_from, term_until FROM licences WHERE holder = $1"
		       " AND material = $2 AND number = $3 AND valid_until IS NULL"
		       " AND term_until IS NOT NULL FOR UPDATE",
	/* given back only as it was read (kept, with that term or none known) */
	[S_LIC_BACK] = "UPDATE licences SET valid_until = $4, term_until = $4 WHERE holder = $1"
		       " AND material = $2 AND number = $3 AND valid_until IS NULL"
		       " AND (term_until IS NULL OR term_until = $4)",
	/* the day's counter read (and held) with a submission's first read,
	 * and the number it gave written with the COMMIT (pg_number) */
	[S_NUMBER_READ] = "SELECT n FROM counters WHERE day = $1 FOR UPDATE",
	[S_NUMBER_TAKE] = "INSERT INTO counters(day, n) VALUES ($1, $2::integer) ON CONFLICT (day)"
			  " DO UPDATE SET n = EXCLUDED.n WHERE counters.n = EXCLUDED.n - 1",
	/* one page: the filters, then the cursor; $7 is the page size + 1 */
	[S_LIST] = "SELECT id, state FROM cases WHERE ($1::text IS NULL"
		   " OR status IN ($1, $8::text, $9::text, $10::text))"
		   " AND ($2::text IS NULL OR item = $2)"
		   " AND ($3::text IS NULL OR department = $3"
		   " OR strpos(handlers, ',' || $3 || ',') > 0)"
		   " AND ($4::text IS NULL OR applicant = $4)"
		   " AND ($5::text IS NULL OR next_due < $5)"
		   " AND ($6::text IS NULL OR id > $6) ORDER BY id LIMIT $7::integer",
};

/* ---- failures ---- */

static const char *pg_path(const ot_engine *e)
{
	return e->store && PG(e)->path ? PG(e)->path : "(unnamed)";
}

static int connection_lost(const ot_engine *e, const char *state)
{
	/* class 08: connection exceptions; 57P01..3: the server shut down */
	return !PG(e)->conn || PQstatus(PG(e)->conn) != CONNECTION_OK ||
	       strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0;
}

/* The server's message in one line, without its "ERROR:  " and the
 * details that may quote a row (an applicant's number). */
static void server_message(const ot_engine *e, const PGresult *res, char *out, size_t cap)
{
	const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!m)
		m = PG(e)->conn ? PQerrorMessage(PG(e)->conn) : "no connection";
	str_copy(out, cap, m && *m ? m : "no answer from the server");
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	size_t n = strlen(out);
	while (n && out[n - 1] == ' ')
		out[--n] = 0;
}

static ot_status fail_while(ot_engine *e, ot_error *err, const PGresult *res, const char *what);

/* A save's failure that came back with a later statement, if any: that
 * statement's answer (once). */
static int take_later_err(ot_engine *e, ot_error *err, ot_status *s)
{
	if (PG(e)->later_err.status == OT_OK)
		return 0;
	*s = PG(e)->later_err.status;
	if (err)
		*err = PG(e)->later_err;
	PG(e)->later_err.status = OT_OK;
	PG(e)->later_err.message[0] = 0;
	return 1;
}

ot_status pg_fail(ot_engine *e, ot_error *err, const PGresult *res, const char *fmt, ...)
{
	ot_status later;
	if (take_later_err(e, err, &later))
		return later;
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return fail_while(e, err, res, what);
}

static ot_status fail_while(ot_engine *e, ot_error *err, const PGresult *res, const char *what)
{
	char msg[300];
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	snprintf(PG(e)->failed_state, sizeof PG(e)->failed_state, "%s", state ? state : "08000");
	state = PG(e)->failed_state;
	server_message(e, res, msg, sizeof msg);
	const char *path = pg_path(e);
	if (e->checking)
		return err_set(err, strcmp(state, "53200") == 0 ? OT_ENOMEM : OT_ESTORE,
			       "%s while %s", msg, what);
	if (connection_lost(e, state))
		return err_set(err, OT_ESTORE, "lost the connection to the store %.150s (%s) while %s: "
			       "%s; the next operation connects again", path, msg, what,
			       strcmp(what, "committing") == 0 ? "whether it was done is not known, "
			       "look before doing it again" : "nothing was changed");
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return err_set(err, OT_ESTORE, "another engine changed the same data at the same moment "
			       "(%s) while %s: nothing was changed; try again", msg, what);
	if (strcmp(state, "55P03") == 0 || strcmp(state, "57014") == 0)
		return err_set(err, OT_ESTORE, "the store is busy (another engine held it too long): %s",
			       what);
	if (strcmp(state, "53100") == 0)
		return err_set(err, OT_ESTORE, "the disk holding the store %.150s is full while %s: "
			       "nothing was changed", path, what);
	if (strcmp(state, "53200") == 0)
		return err_set(err, OT_ENOMEM, "the database server is out of memory while %s", what);
	if (strncmp(state, "XX", 2) == 0)
		return err_set(err, OT_ESTORE, "the store %.150s is damaged (%s) while %s: run "
			       "`onetrip store check %.150s`", path, msg, what, path);
	return err_set(err, OT_ESTORE, "store error while %s: %s [%s] (store %.150s)", what, msg,
		       state, path);
}

/* A failure where no status can be returned (the libraries are callbacks
 * of the assessment): kept for store_settle.  The first one counts. */
static void fault(ot_engine *e, const PGresult *res, const char *what)
{
	if (e->fault.status == OT_OK)
		pg_fail(e, &e->fault, res, "%s", what);
}

static void fault_damaged(ot_engine *e, const char *what)
{
	if (e->fault.status == OT_OK)
		store_damaged(e, &e->fault, "%s", what);
}

/* Writes only inside a sound transaction: after a failure the server
 * refuses them anyway; a failure a callback kept is the answer. */
static ot_status writable(ot_engine *e, ot_error *err)
{
	ot_status later;
	if (take_later_err(e, err, &later))
		return later;
	if (e->fault.status != OT_OK) {
		if (err)
			*err = e->fault;
		return e->fault.status;
	}
	/* a broken connection's transaction status is "unknown": not ended */
	if (!PG(e)->conn || PQstatus(PG(e)->conn) != CONNECTION_OK)
		return err_set(err, OT_ESTORE, "lost the connection to the store %.150s: nothing was "
			       "changed; the next operation connects again", pg_path(e));
	if (!PG(e)->begin && PQtransactionStatus(PG(e)->conn) != PQTRANS_INTRANS)
		return err_set(err, OT_ESTORE, "the store %.150s ended the transaction after an error: "
			       "nothing was changed", pg_path(e));
	return OT_OK;
}

/* ---- statements ---- */

static void flush_begin(ot_engine *e);

static void flush_later(ot_engine *e);

PGresult *pg_query(ot_engine *e, const char *text, int n, const char *const *values)
{
	if (!PG(e)->conn)
		return NULL;
	flush_later(e);
	flush_begin(e);
	return PQexecParams(PG(e)->conn, text, n, NULL, values, NULL, NULL, 0);
}

static int ok_result(const PGresult *res)
{
	ExecStatusType t = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	return t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
}

/* No answer from the server: NULL, or the error libpq makes itself (no
 * SQLSTATE) for the first statement a broken connection left unanswered.
 * Sent with a COMMIT, such a statement may have been done. */
static int unanswered(const PGresult *res)
{
	return !res || (PQresultStatus(res) == PGRES_FATAL_ERROR &&
			!PQresultErrorField(res, PG_DIAG_SQLSTATE));
}

static ot_status reconnect(ot_engine *e, ot_error *err);

/* One statement of a pipeline: prepared statement `which` (-1: the text
 * `text`, without parameters). */
typedef struct pg_stmt {
	int which;
	const char *text;
	int n;
	const char *const *values;
} pg_stmt;

/* Prepared statement i's name, "ot<i>" (prepare_all). */
static const char *stmt_name(int i, char out[24])
{
	char t[24];
	const char *digits = int_text(i, t);
	out[0] = 'o';
	out[1] = 't';
	return str_copy(out + 2, 22, digits) - 2;
}

static int send_stmt(PGconn *c, const pg_stmt *st)
{
	if (st->which < 0)
		return PQsendQueryParams(c, st->text, 0, NULL, NULL, NULL, NULL, 0);
	char name[24];
	return PQsendQueryPrepared(c, stmt_name(st->which, name), st->n, st->values, NULL, NULL, 0);
}

/* Sends the statements at once and reads their results into out[] (NULL
 * where the connection was lost): one round trip instead of n.  After a
 * failure the server skips the rest (their results are not ok). */
static int pipeline(PGconn *c, int n, const pg_stmt *st, PGresult **out, PGresult **at_sync)
{
	int sent = PQenterPipelineMode(c), synced = 0;
	*at_sync = NULL;
	for (int k = 0; k < n; k++)
		out[k] = NULL;
	for (int k = 0; sent && k < n; k++)
		sent = send_stmt(c, &st[k]);
	if (sent)
		sent = PQpipelineSync(c);
	for (int k = 0; sent && k < n; k++) {
		out[k] = PQgetResult(c);
		if (!out[k])
			break;
		PGresult *end = PQgetResult(c); /* NULL: the end of this statement's results */
		if (end) { /* the connection broke off */
			PQclear(end);
			break;
		}
	}
	/* the Sync's answer; a refusal of an implicit transaction's commit
	 * comes first, with its end (NULL), and the Sync is read after it all
	 * the same, or libpq stays in pipeline mode.  A second NULL: the
	 * connection is gone. */
	for (int ends = 0; sent && ends < 2;) {
		PGresult *r = PQgetResult(c);
		ExecStatusType t = r ? PQresultStatus(r) : PGRES_EMPTY_QUERY;
		ends += !r;
		if (t == PGRES_FATAL_ERROR && !*at_sync)
			*at_sync = r;
		else
			PQclear(r);
		if (t == PGRES_PIPELINE_SYNC) {
			synced = !*at_sync;
			break;
		}
	}
	PQexitPipelineMode(c);
	return synced;
}

/* ---- writes sent with the next statement ----
 *
 * pg_save does not wait for the answer to its statement (the case's row
 * and its event), nor pg_library_add for its: they go with the
 * operation's next statement -- its COMMIT, usually, or the RELEASE of its
 * savepoint in a batch -- in one round trip instead of one each.  Their
 * answers are checked then, and a failure is the answer of the statement
 * they went with (pg_fail, writable): the operation fails as it did, a
 * lost race (40001) runs it again.  What the statements need is copied:
 * the case and its event are gone by then. */
#define CASE_COLUMNS 12 /* S_CASE_CREATE's and S_CASE_WRITE's parameters: the row's, */
#define EVENT_COLUMNS 5 /* then its event's (EVENT_FROM_C) */
#define LATER_MAX 8     /* writes waiting at most: run_all sends them with its own (ALL) */

typedef struct pg_later {
	struct pg_later *next; /* the one written after (PG(e)->later: the first) */
	char id[32];           /* its case, for the messages */
	const char *v[CASE_COLUMNS + EVENT_COLUMNS];
	pg_stmt write;
	char text[]; /* the copies v points into */
} pg_later;

/* What waits, dropped with its failure; the transaction's doom stays. */
static void later_drop_keeping_doom(ot_engine *e)
{
	for (pg_later *l = PG(e)->later, *next; l; l = next) {
		next = l->next;
		free(l);
	}
	PG(e)->later = NULL;
	PG(e)->later_err.status = OT_OK;
	PG(e)->later_err.message[0] = 0;
}

static void later_drop(ot_engine *e)
{
	later_drop_keeping_doom(e);
	PG(e)->doomed.status = OT_OK;
	PG(e)->doomed.message[0] = 0;
}

static int later_count(const pg_later *l)
{
	int n = 0;
	for (; l; l = l->next)
		n++;
	return n;
}

/* A batch's SAVEPOINT and RELEASE wait too, in their places among the
 * writes: an operation's RELEASE and the next one's SAVEPOINT go with that
 * one's first statement (its case's read, usually), and the last RELEASE
 * with the COMMIT -- a round trip an operation.  An operation that sent
 * nothing releases or rolls back nothing.  A write that fails after its
 * operation ended fails the transaction (PG(e)->doomed). */
static const char savepoint_text[] = "SAVEPOINT op", release_text[] = "RELEASE op";

/* Statement `which` (-1: `text`, static) with its n values copied, last
 * in the queue; OT_ENOMEM when it cannot be. */
static ot_status later_add(ot_engine *e, int which, const char *text, const char *id, int n,
			   const char *const *v, ot_error *err)
{
	if (later_count(PG(e)->later) >= LATER_MAX)
		flush_later(e);
	ot_status s = writable(e, err);
	if (s != OT_OK)
		return s;
	size_t size = sizeof(pg_later);
	for (int i = 0; i < n; i++)
		size += v[i] ? strlen(v[i]) + 1 : 0;
	pg_later *l = malloc(size);
	if (!l)
		return err_set(err, OT_ENOMEM, "out of memory while saving case %s", id);
	l->next = NULL;
	str_copy(l->id, sizeof l->id, id);
	char *at = l->text;
	for (int i = 0; i < n; i++) {
		size_t k = v[i] ? strlen(v[i]) + 1 : 0;
		l->v[i] = v[i] ? memcpy(at, v[i], k) : NULL;
		at += k;
	}
	l->write = (pg_stmt){which, text, n, l->v};
	pg_later **end = &PG(e)->later;
	while (*end)
		end = &(*end)->next;
	*end = l;
	return OT_OK;
}

/* The link to this operation's SAVEPOINT, still waiting; NULL: sent. */
static pg_later **savepoint_waiting(ot_engine *e)
{
	pg_later **at = NULL;
	for (pg_later **l = &PG(e)->later; *l; l = &(*l)->next)
		if ((*l)->write.text == savepoint_text)
			at = l;
	return at;
}

/* What waits from *from on, dropped. */
static void later_cut(pg_later **from)
{
	for (pg_later *l = *from, *next; l; l = next) {
		next = l->next;
		free(l);
	}
	*from = NULL;
}

static void later_answer(ot_engine *e, const pg_later *l, PGresult *res);

/* What a waiting write answered (the first failure is kept).  A failure
 * dooms the transaction: in a batch its operation may have ended already,
 * and is not undone by the rollback of the one it went with. */
static void later_check(ot_engine *e, const pg_later *l, PGresult *res)
{
	later_answer(e, l, res);
	if (PG(e)->later_err.status != OT_OK && PG(e)->doomed.status == OT_OK)
		PG(e)->doomed = PG(e)->later_err;
}

static void later_answer(ot_engine *e, const pg_later *l, PGresult *res)
{
	ot_error *err = &PG(e)->later_err;
	char what[96];
	if (err->status != OT_OK)
		return;
	if (PG(e)->committing && unanswered(res)) { /* gone with the COMMIT on its way */
		fail_while(e, err, NULL, "committing");
		return;
	}
	int library = l->write.which == S_LIB_ADD, number = l->write.which == S_NUMBER_TAKE;
	if (l->write.which == S_CASE_LOCK) { /* an item's chain, before the item (pg_save) */
		if (!ok_result(res)) {
			snprintf(what, sizeof what, "saving case %s", l->id);
			fail_while(e, err, res, what);
		}
	} else if (l->write.text) {
		if (!ok_result(res))
			fail_while(e, err, res, l->write.text == savepoint_text ? "starting an operation"
						: "ending an operation");
	} else if (number && ok_result(res) && strcmp(PQcmdTuples(res), "1") != 0) {
		/* no lock held a day's first number: another engine took it */
		str_copy(PG(e)->failed_state, sizeof PG(e)->failed_state, "40001");
		err_set(err, OT_ESTORE, "case number %s was taken by another engine first: nothing "
			"was changed", l->id);
	} else if (number && !ok_result(res))
		fail_while(e, err, res, "numbering the case");
	else if (!ok_result(res)) {
		snprintf(what, sizeof what, library ? "adding case %s's materials to the material library"
			 : "saving case %s", l->id);
		fail_while(e, err, res, what);
	} else if (!library && !number && strcmp(PQcmdTuples(res), "1") != 0) /* no row to write the event from */
		store_damaged(e, err, "case %s has events but no row in the cases table", l->id);
}

/* Runs statements, the operation's BEGIN first if it is still to be sent.
 * When that BEGIN finds the connection gone (the server restarted while
 * it was idle), nothing was done yet: connect again and run them once more.
 * Whether the server answered the end of them (Sync), and what it said
 * there when it refused the end (an implicit transaction's commit), are
 * kept for pg_commit (PG(e)->synced, at_sync). */
static void run_all(ot_engine *e, int n, const pg_stmt *st, PGresult **out)
{
	const char *begin = PG(e)->begin;
	pg_later *later = PG(e)->later;
	PG(e)->begin = NULL;
	PG(e)->later = NULL;
	if (!begin && !later && n == 1 && st[0].which >= 0) {
		char name[24];
		out[0] = PQexecPrepared(PG(e)->conn, stmt_name(st[0].which, name), st[0].n,
					st[0].values, NULL, NULL, 0);
		return;
	}
	enum { ALL = LATER_MAX + 4 }; /* a BEGIN, what waits, up to three statements */
	if (later && later_count(later) + n + 1 > ALL) { /* what waits goes first, alone */
		PG(e)->later = later;
		PG(e)->begin = begin;
		flush_later(e);
		run_all(e, n, st, out);
		return;
	}
	pg_stmt all[ALL];
	PGresult *res[ALL];
	int m = 0;
	if (begin) /* pg_begin's, prepared */
		all[m++] = (pg_stmt){begin == sql[S_BEGIN] ? S_BEGIN : S_BEGIN_LOCKING, NULL, 0, NULL};
	for (pg_later *l = later; l; l = l->next)
		all[m++] = l->write;
	int first = m;
	for (int k = 0; k < n && m < ALL; k++)
		all[m++] = st[k];
	PQclear(PG(e)->at_sync);
	for (int tries = 0; tries < 2; tries++) {
		PG(e)->synced = pipeline(PG(e)->conn, m, all, res, &PG(e)->at_sync);
		if (!begin || tries || PQstatus(PG(e)->conn) == CONNECTION_OK || ok_result(res[0]))
			break;
		/* no answer at all to a BEGIN sent with the COMMIT: the server
		 * may have done it all and gone before answering */
		if (unanswered(res[0]) && PG(e)->committing)
			break;
		for (int k = 0; k < m; k++)
			PQclear(res[k]);
		PQclear(PG(e)->at_sync);
		PG(e)->at_sync = NULL;
		/* a write decided on a copy taken on trust is not sent to what
		 * may be another server: the operation runs again, reading
		 * (pg_lost_race) */
		if (reconnect(e, NULL) != OT_OK || PG(e)->trusted) {
			PG(e)->renewed_trust = PG(e)->trusted;
			for (int k = 0; k < m; k++)
				res[k] = NULL;
			break;
		}
	}
	int k = begin ? 1 : 0;
	for (pg_later *l = later, *next; l; l = next, k++) {
		next = l->next;
		later_check(e, l, res[k]);
		PQclear(res[k]);
		free(l);
	}
	for (k = 0; k < n; k++)
		out[k] = res[first + k];
	if (begin && n && res[0] && !ok_result(res[0])) { /* the BEGIN's failure is the answer */
		PQclear(out[0]);
		out[0] = res[0];
	} else if (begin)
		PQclear(res[0]);
}
/* Two statements in one round trip: *first receives the first's result,
 * NULL when it failed; the answer is the second's, or the first's failure
 * (the server skipped the second). */
static PGresult *run_two(ot_engine *e, const pg_stmt st[2], PGresult **first)
{
	PGresult *res[2];
	run_all(e, 2, st, res);
	if (ok_result(res[0])) {
		*first = res[0];
		return res[1];
	}
	PQclear(res[1]);
	*first = NULL;
	return res[0];
}

/* Runs prepared statement i; NULL when the connection is gone. */
static PGresult *run(ot_engine *e, int i, int n, const char *const *values)
{
	pg_stmt st = {i, NULL, n, values};
	PGresult *res;
	run_all(e, 1, &st, &res);
	return res;
}

/* Sends a save still waiting, alone (before a statement that does not go
 * through run_all). */
static void flush_later(ot_engine *e)
{
	if (PG(e)->later)
		run_all(e, 0, NULL, NULL);
}

/* Sends a BEGIN still to be sent, alone. */
static void flush_begin(ot_engine *e)
{
	if (PG(e)->begin) {
		const char *text = PG(e)->begin;
		PG(e)->begin = NULL;
		PQclear(PQexec(PG(e)->conn, text));
	}
}

static void forget_head(ot_engine *e)
{
	PQclear(PG(e)->head);
	PG(e)->head = NULL;
	PG(e)->head_id[0] = 0;
}

/* Runs a command without parameters; OT_OK or the failure while `what`. */
static ot_status exec(ot_engine *e, const char *text, const char *what, ot_error *err)
{
	flush_later(e);
	PGresult *res = PQexec(PG(e)->conn, text);
	ot_status s = ok_result(res) ? OT_OK : pg_fail(e, err, res, "%s", what);
	PQclear(res);
	return s;
}

static const char *column(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* Text as a JSON object (a new reference), or NULL when it is not one. */
static json_t *text_json(const char *text)
{
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* ---- cases this engine wrote last ----
 *
 * An operation on a case this engine wrote last -- the usual walk of a
 * case through its steps by one server -- need not read the case: the
 * engine keeps it (case_cache.c), and `known` says what the store held
 * when this engine's transaction committed it (its row's item, rule
 * version and status, and its number of events).  A write's first try
 * (store_begin STORE_TRUSTING) answers store_case_head from there when the
 * engine's copy has exactly those events, and sends nothing: the BEGIN,
 * the save and the COMMIT then go in one round trip (pg_commit).
 *
 * The store checks what was taken on trust, in the same transaction: the
 * save inserts the case's event number n+1, which the events' primary key
 * refuses (23505) when another engine wrote event n+1 since; the row's
 * UPDATE before it waits for, and then fails on (40001), one still being
 * written.  Either is a lost race: nothing was written, and the operation
 * runs again the usual way (run_op, not deferred: it reads the case under
 * a row lock).  What was taken on trust but not saved cannot be checked
 * so: a transaction that took a case and did not save it is refused at
 * its COMMIT, and one that failed for a reason of the engine's (a step
 * not active, say: its copy may be old) is a lost race too -- both run
 * again, reading.  A connection lost on the way is not a lost race: it
 * fails as before.  `known` is updated only by a COMMIT that succeeded,
 * with what that transaction saved, so it is never ahead of the store
 * (a savepoint rolled back, in a batch: those cases are forgotten).
 *
 * A case other engines write too (a load balancer that spreads a case's
 * operations over servers) would cost a second try at almost every
 * operation: one that lost a race is marked `shared` and read as usual
 * from then on, until a read finds that no other engine wrote it since
 * this one did. */

static pg_known *known_slot(const ot_engine *e, const char *id)
{
	return &PG(e)->known[str_hash(id, strlen(id)) & (PG(e)->nknown - 1)];
}

/* The table, as large as the engine's case cache (none when it has none). */
static void known_init(ot_engine *e)
{
	unsigned n = 16;
	if (e->cache_cap <= 0)
		return;
	while (n < (unsigned)e->cache_cap && n < 65536)
		n *= 2;
	if ((PG(e)->known = calloc(n, sizeof *PG(e)->known)))
		PG(e)->nknown = n;
}

/* Answers store_case_head for a case this engine wrote last, when the
 * transaction may and the caller has all its events (`after`); 1 if so. */
static int known_head(ot_engine *e, const char *id, int after, char item[256], char hash[65],
		      char status[32], int *events)
{
	pg_store *p = PG(e);
	if (!p->trusting || after < 1 || p->ntaken == PG_TRUST_MAX) /* ntaken >= nuncovered */
		return 0;
	const pg_known *k = known_slot(e, id);
	if (k->events != after || k->shared || strcmp(k->id, id) != 0)
		return 0;
	str_copy(item, 256, k->item);
	str_copy(hash, 65, k->hash);
	str_copy(status, 32, k->status);
	*events = k->events;
	p->trusted = 1;
	str_copy(p->taken[p->ntaken++], sizeof p->taken[0], id);
	str_copy(p->uncovered[p->nuncovered++], sizeof p->uncovered[0], id);
	return 1;
}

/* A case read from the store: when no other engine wrote it since this
 * one did, it may be taken on trust again. */
static void known_read(ot_engine *e, const char *id, int events)
{
	pg_known *k = PG(e)->known ? known_slot(e, id) : NULL;
	if (k && k->shared && k->events == events && strcmp(k->id, id) == 0)
		k->shared = 0;
}

/* The transaction ends without committing: if it lost a race (or failed
 * otherwise) after taking cases on trust, they are read from now on. */
static void known_lost(ot_engine *e)
{
	pg_store *p = PG(e);
	for (int i = 0; p->known && i < p->ntaken; i++) {
		pg_known *k = known_slot(e, p->taken[i]);
		if (strcmp(k->id, p->taken[i]) == 0)
			k->shared = 1;
	}
	p->ntaken = 0;
}

/* A save of the transaction: the case is checked by it, and known once
 * the transaction commits (it is not, when it cannot be noted). */
static void known_saved(ot_engine *e, const ot_case *c, const char *item, const char *status)
{
	pg_store *p = PG(e);
	for (int i = 0; i < p->nuncovered;)
		if (strcmp(p->uncovered[i], c->id) == 0)
			memmove(p->uncovered[i], p->uncovered[i + 1],
				(size_t)(--p->nuncovered - i) * sizeof p->uncovered[0]);
		else
			i++;
	if (!p->known)
		return;
	if (p->nsaved == p->saved_cap) {
		int cap = p->saved_cap ? 2 * p->saved_cap : 4;
		pg_known *more = realloc(p->saved, (size_t)cap * sizeof *more);
		if (!more) { /* not noted: forget the case instead */
			pg_known *k = known_slot(e, c->id);
			if (strcmp(k->id, c->id) == 0)
				k->events = 0;
			return;
		}
		p->saved = more;
		p->saved_cap = cap;
	}
	pg_known *k = &p->saved[p->nsaved];
	if (strlen(c->id) >= sizeof k->id || strlen(item) >= sizeof k->item)
		k->events = 0; /* too long to keep: forgotten at the commit */
	else
		k->events = c->events;
	str_copy(k->id, sizeof k->id, c->id);
	str_copy(k->item, sizeof k->item, item);
	str_copy(k->hash, sizeof k->hash, c->v->rules->hash);
	str_copy(k->status, sizeof k->status, status);
	p->nsaved++;
}

/* The transaction committed: what it saved is what the store has. */
static void known_commit(ot_engine *e)
{
	pg_store *p = PG(e);
	for (int i = 0; p->known && i < p->nsaved; i++) {
		pg_known *k = known_slot(e, p->saved[i].id);
		int shared = strcmp(k->id, p->saved[i].id) == 0 && k->shared;
		if (!p->saved_lost) {
			*k = p->saved[i];
			k->shared = shared;
		} else if (strcmp(k->id, p->saved[i].id) == 0)
			k->events = 0;
	}
	p->nsaved = 0;
}

/* A new transaction takes nothing on trust yet; `trusting`: it may. */
static void known_begin(ot_engine *e, int trusting)
{
	pg_store *p = PG(e);
	p->trusting = trusting && p->known;
	p->trusted = 0;
	p->ntaken = 0;
	p->nuncovered = 0;
	p->nsaved = 0;
	p->saved_lost = 0;
}

/* ---- opening ---- */

static ot_status too_new(ot_engine *e, int have, ot_error *err)
{
	return err_set(err, OT_ESTORE, "the store %.150s was written by a newer onetrip (schema %d, "
		       "this one knows %d)", pg_path(e), have, SCHEMA_VERSION);
}

/* The stored schema version: 0 when the tables are not there. */
static ot_status schema_version(ot_engine *e, int *have, ot_error *err)
{
	/* pg_tables, not to_regclass: the catalog cache may not have seen
	 * the tables another engine created while this one waited */
	PGresult *res = PQexec(PG(e)->conn, "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE"
			       " schemaname = current_schema() AND tablename = 'onetrip_schema')");
	ot_status s = OT_OK;
	*have = 0;
	if (!ok_result(res) || PQntuples(res) != 1)
		s = pg_fail(e, err, res, "reading the schema version");
	else if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		PQclear(res);
		res = PQexec(PG(e)->conn, "SELECT max(version) FROM onetrip_schema");
		if (!ok_result(res) || PQntuples(res) != 1)
			s = pg_fail(e, err, res, "reading the schema version");
		else
			*have = column(res, 0, 0) ? atoi(PQgetvalue(res, 0, 0)) : 0;
	}
	PQclear(res);
	return s;
}

/* Brings the schema to SCHEMA_VERSION, in one transaction under an
 * advisory lock: engines opening a new store together create it once. */
static ot_status migrate(ot_engine *e, ot_error *err)
{
	int have = 0;
	ot_status s = schema_version(e, &have, err);
	if (s != OT_OK || have == SCHEMA_VERSION) /* the usual open takes no lock */
		return s;
	if (have > SCHEMA_VERSION)
		return too_new(e, have, err);
	if ((s = exec(e, "BEGIN", "migrating the schema", err)) != OT_OK)
		return s;
	if ((s = exec(e, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")", "migrating the schema",
		      err)) == OT_OK)
		s = schema_version(e, &have, err);
	if (s == OT_OK && have > SCHEMA_VERSION)
		s = too_new(e, have, err);
	else if (s == OT_OK && have > 0 && have < 3)
		s = err_set(err, OT_ESTORE, "the store %.150s has schema version %d, which no "
			    "onetrip wrote to PostgreSQL", pg_path(e), have);
	for (size_t i = 0; s == OT_OK && have == 0 && i < OT_COUNTOF(schema_v3); i++)
		s = exec(e, schema_v3[i], "creating the schema", err);
	for (size_t i = 0; s == OT_OK && have < 4 && have != SCHEMA_VERSION &&
			   i < OT_COUNTOF(schema_v4); i++)
		s = exec(e, schema_v4[i], "adding idempotency keys and the event feed", err);
	for (size_t i = 0; s == OT_OK && have < 5 && i < OT_COUNTOF(schema_v5); i++)
		s = exec(e, schema_v5[i], "adding the time sweep's day", err);
	for (size_t i = 0; s == OT_OK && have < 6 && i < OT_COUNTOF(schema_v6); i++)
		s = exec(e, schema_v6[i], "lightening the writes", err);
	for (size_t i = 0; s == OT_OK && have < 7 && i < OT_COUNTOF(schema_v7); i++)
		s = exec(e, schema_v7[i], "keying licences by their holder", err);
	for (size_t i = 0; s == OT_OK && have < 8 && i < OT_COUNTOF(schema_v8); i++)
		s = exec(e, schema_v8[i], "basing the event feed", err);
	for (size_t i = 0; s == OT_OK && have < 9 && i < OT_COUNTOF(schema_v9); i++)
		s = exec(e, schema_v9[i], "keeping the licences' own terms", err);
	for (size_t i = 0; s == OT_OK && have < 10 && i < OT_COUNTOF(schema_v10); i++)
		s = exec(e, schema_v10[i], "migrating the schema", err);
	if (s == OT_OK)
		return exec(e, "COMMIT", "migrating the schema", err);
	exec(e, "ROLLBACK", "migrating the schema", NULL);
	return s;
}

/* The snapshot column compressed with lz4 rather than pglz: every
 * operation writes a snapshot of 3 KB or so, and pglz compressing it was
 * half the server's time for the row's UPDATE (73 µs against 38 µs,
 * pg_stat_statements, docs/performance.md).  A storage setting, not the
 * layout: no schema version, set once by the first engine that opens the
 * store to write (create); values written before keep pglz, and both are
 * read alike.  A server built without lz4 keeps pglz, and a failure here
 * (another engine holding the table) only leaves it for the next open. */
static void compress_lz4(ot_engine *e)
{
	PGresult *res = PQexec(PG(e)->conn, "SELECT attcompression FROM pg_attribute WHERE"
			       " attrelid = 'cases'::regclass AND attname = 'state'");
	int set = ok_result(res) && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "l") == 0;
	PQclear(res);
	if (set)
		return;
	res = PQexec(PG(e)->conn, "ALTER TABLE cases ALTER COLUMN state SET COMPRESSION lz4");
	if (!ok_result(res)) {
		char msg[300];
		server_message(e, res, msg, sizeof msg);
		engine_log(e, "the store %.150s keeps its snapshots compressed with pglz: %s",
			   pg_path(e), msg);
	}
	PQclear(res);
}

/* The server, as the feed tells them apart: its system identifier and its
 * timeline ("SYSID/TLI"), which a restore onto another server changes,
 * and a base backup recovered, a standby promoted, a point in time
 * recovered (each a new timeline).  "" where it cannot be read (a role
 * not allowed to, a standby: the primary does it). */
static void server_identity(ot_engine *e, char *out, size_t n)
{
	PGresult *res = PQexec(PG(e)->conn, "SELECT CASE WHEN NOT pg_is_in_recovery() THEN"
			       " (SELECT system_identifier FROM pg_control_system()) || '/' ||"
			       " substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END");
	out[0] = 0;
	if (ok_result(res) && PQntuples(res) == 1 && column(res, 0, 0))
		str_copy(out, n, PQgetvalue(res, 0, 0));
	PQclear(res);
}

/* A store on another server than it was, or gone back in time on its own
 * (schema_v8): its events' places may be ahead of the transaction ids it
 * goes on with.  The base then moves places past the last one, once,
 * whichever engine comes first (the UPDATE of the others finds it moved),
 * and FEED_RESTORE_GAP transactions further: a reader may have followed
 * the old server beyond the backup, to events the restore does not have;
 * its cursor must be behind what comes now.  2^32 is more than a server
 * commits between two nightly backups (at the 5,000 a second four engines
 * do here, ten days), and the places' 40 bits of transaction id leave
 * room for some 250 such moves.  Where the server cannot be told (see
 * server_identity), places ahead of its transaction ids still move it. */
#define FEED_RESTORE_GAP 4294967296LL

static void feed_rebase(ot_engine *e)
{
	char here[64];
	server_identity(e, here, sizeof here);
	PGresult *res = PQexec(PG(e)->conn, "SELECT max(feed_base), max(feed_server), (SELECT"
			       " max(recorded) >> 23 FROM events), pg_snapshot_xmax("
			       "pg_current_snapshot())::text::bigint FROM onetrip_schema");
	if (!ok_result(res) || PQntuples(res) != 1) {
		PQclear(res);
		return;
	}
	const char *was = column(res, 0, 1) ? PQgetvalue(res, 0, 1) : NULL;
	long long base = atoll(PQgetvalue(res, 0, 0)), moved = base,
		  next = atoll(PQgetvalue(res, 0, 3));
	int other = here[0] && was && strcmp(here, was) != 0;
	if (column(res, 0, 2)) {
		long long last = atoll(PQgetvalue(res, 0, 2)), past = last - next + 1 + FEED_RESTORE_GAP;
		if ((other && past > moved) || last >= next + moved)
			moved = past;
	}
	if (moved != base || (here[0] && (!was || other))) {
		char to[24], from[24];
		snprintf(to, sizeof to, "%lld", moved);
		snprintf(from, sizeof from, "%lld", base);
		const char *v[] = {to, here[0] ? here : was, from, was};
		PGresult *up = PQexecParams(PG(e)->conn, "UPDATE onetrip_schema SET feed_base = $1,"
					    " feed_server = $2 WHERE feed_base = $3 AND feed_server"
					    " IS NOT DISTINCT FROM $4", 4, NULL, v, NULL, NULL, 0);
		if (moved != base && ok_result(up) && strcmp(PQcmdTuples(up), "0") != 0)
			engine_log(e, "the store %.150s is on another server, or back from a backup: "
				   "its event feed goes on after its last event (base %s)", pg_path(e), to);
		else if (!ok_result(up)) {
			char msg[300];
			server_message(e, up, msg, sizeof msg);
			engine_log(e, "the store %.150s: the event feed's base was not moved: %s",
				   pg_path(e), msg);
		}
		PQclear(up);
	}
	PQclear(res);
}

/* What a new or reset connection needs: the schema, the time a lock is
 * waited for, the statements. */
static ot_status session(ot_engine *e, ot_error *err)
{
	char text[160];
	ot_status s = OT_OK;
	PG(e)->prepared = 0;
	if (PG(e)->schema[0]) {
		snprintf(text, sizeof text, "SET search_path TO \"%s\"", PG(e)->schema);
		s = exec(e, text, "choosing the schema", err);
	}
	snprintf(text, sizeof text, "SET lock_timeout = %d", e->busy_ms);
	if (s == OT_OK)
		s = exec(e, text, "configuring the connection", err);
	if (s == OT_OK)
		s = exec(e, "SET client_min_messages = warning", "configuring the connection", err);
	return s;
}

static ot_status prepare_all(ot_engine *e, ot_error *err)
{
	for (int i = 0; i < S__COUNT; i++) {
		char name[24];
		PGresult *res = PQprepare(PG(e)->conn, stmt_name(i, name), sql[i], 0, NULL);
		ot_status s = ok_result(res) ? OT_OK : pg_fail(e, err, res, "preparing statements");
		PQclear(res);
		if (s != OT_OK)
			return s;
	}
	PG(e)->prepared = 1;
	return OT_OK;
}

/* The URI without its password, for messages. */
static char *masked_uri(const char *uri)
{
	char *out = strdup(uri);
	char *at = out ? strchr(out, '@') : NULL, *scheme = out ? strstr(out, "://") : NULL;
	if (at && scheme && scheme < at) {
		char *colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
		if (colon)
			memmove(colon, at, strlen(at) + 1);
	}
	char *pw = out ? strstr(out, "password=") : NULL;
	if (pw) {
		size_t n = strcspn(pw, "&");
		memmove(pw, pw + n, strlen(pw + n) + 1);
	}
	return out;
}

/* Splits `schema=NAME` off the URI's query; the rest is libpq's. */
static ot_status split_schema(ot_engine *e, const char *uri, ot_error *err)
{
	char *ci = strdup(uri);
	if (!ci)
		return err_set(err, OT_ENOMEM, "out of memory opening the store");
	PG(e)->conninfo = ci;
	char *q = strchr(ci, '?');
	for (char *p = q ? q + 1 : NULL; p && *p;) {
		size_t n = strcspn(p, "&");
		if (strncmp(p, "schema=", 7) != 0) {
			p += n + (p[n] == '&');
			continue;
		}
		size_t len = n - 7;
		if (len == 0 || len >= sizeof PG(e)->schema || strspn(p + 7, "abcdefghijklmnopqrstuvwxyz"
						       "0123456789_") < len)
			return err_set(err, OT_EINVAL, "the store URI's schema is 1 to 63 of a-z, 0-9 "
				       "and _");
		memcpy(PG(e)->schema, p + 7, len);
		PG(e)->schema[len] = 0;
		memmove(p, p + n + (p[n] == '&'), strlen(p + n + (p[n] == '&')) + 1);
	}
	size_t n = strlen(ci);
	while (n && (ci[n - 1] == '?' || ci[n - 1] == '&'))
		ci[--n] = 0;
	/* libpq waits for an unreachable host as long as TCP does (minutes):
	 * as long as a busy store, unless the URI says */
	if (!strstr(ci, "connect_timeout=")) {
		char *longer = malloc(n + 40);
		if (!longer)
			return err_set(err, OT_ENOMEM, "out of memory opening the store");
		snprintf(longer, n + 40, "%s%cconnect_timeout=%d", ci, strchr(ci, '?') ? '&' : '?',
			 e->busy_ms / 1000 > 2 ? e->busy_ms / 1000 : 2);
		free(ci);
		PG(e)->conninfo = longer;
	}
	return OT_OK;
}

static void quiet(void *ud, const char *message)
{
	(void)ud;
	(void)message;
}

/* STORE_MIGRATE: the database named must exist to be connected to, and
 * the schema must hold a store (a mistyped schema= would otherwise be a
 * new, empty store answering "no cases"). */
static ot_status pg_open(ot_engine *e, const char *where, int create, ot_error *err)
{
	if (store_pg_lib_load(err) != OT_OK)
		return err->status;
	if (!(e->store = calloc(1, sizeof(pg_store))))
		return err_set(err, OT_ENOMEM, "out of memory opening the store");
	char uri[1024];
	if (strlen(where) > sizeof uri - 16)
		return err_set(err, OT_EINVAL, "the store URI is longer than %zu characters",
			       sizeof uri - 16);
	snprintf(uri, sizeof uri, "postgresql:%s", where);
	if (!(PG(e)->path = masked_uri(uri)))
		return err_set(err, OT_ENOMEM, "out of memory opening the store");
	ot_status s = split_schema(e, uri, err);
	if (s != OT_OK)
		return s;
	PG(e)->conn = PQconnectdb(PG(e)->conninfo);
	if (!PG(e)->conn)
		return err_set(err, OT_ENOMEM, "out of memory connecting to the store");
	PQsetNoticeProcessor(PG(e)->conn, quiet, NULL); /* a library does not print */
	if (PQstatus(PG(e)->conn) != CONNECTION_OK) {
		char msg[300];
		server_message(e, NULL, msg, sizeof msg);
		return err_set(err, OT_ESTORE, "cannot connect to the store %.150s: %s", pg_path(e), msg);
	}
	if (create == STORE_CREATE && PG(e)->schema[0]) {
		char text[128];
		snprintf(text, sizeof text, "CREATE SCHEMA IF NOT EXISTS \"%s\"", PG(e)->schema);
		PGresult *res = PQexec(PG(e)->conn, text);
		/* two engines creating it at once: one of them is told it exists */
		const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		if (!ok_result(res) && !(state && (strcmp(state, "23505") == 0 ||
						   strcmp(state, "42P06") == 0)))
			s = pg_fail(e, err, res, "creating the schema %s", PG(e)->schema);
		PQclear(res);
	}
	if (s == OT_OK)
		s = session(e, err);
	int have = 0;
	if (s == OT_OK && create == STORE_MIGRATE && (s = schema_version(e, &have, err)) == OT_OK &&
	    !have)
		s = err_set(err, OT_ESTORE, "no store at %.150s: it holds no onetrip tables (a store "
			    "is not created to be read)", pg_path(e));
	if (s == OT_OK && create && (s = migrate(e, err)) == OT_OK)
		compress_lz4(e);
	else if (s == OT_OK && (s = schema_version(e, &have, err)) == OT_OK) {
		if (have > SCHEMA_VERSION)
			s = too_new(e, have, err);
		else if (have == 0)
			s = err_set(err, OT_ESTORE, "%.150s is not a onetrip store (it has no schema "
				    "version)", pg_path(e));
		else if (have < SCHEMA_VERSION) /* as the SQLite backend says it */
			s = err_set(err, OT_ESTORE, "the store %.150s has schema version %d: open it "
				    "once with this onetrip (any command with --db) to bring it to "
				    "version %d", pg_path(e), have, SCHEMA_VERSION);
	}
	if (s == OT_OK && create) /* a store looked at (STORE_AS_IS) is left as it is */
		feed_rebase(e);
	if (s == OT_OK)
		known_init(e);
	return s == OT_OK ? prepare_all(e, err) : s;
}

static void pg_close(ot_engine *e)
{
	if (!e->store)
		return;
	forget_head(e);
	later_drop(e);
	PQclear(PG(e)->at_sync);
	free(PG(e)->known);
	free(PG(e)->saved);
	PQfinish(PG(e)->conn);
	free(PG(e)->conninfo);
	free(PG(e)->path);
	free(e->store);
	e->store = NULL;
}

/* ---- transactions ---- */

/* A connection that went bad since the last operation is made again. */
static ot_status reconnect(ot_engine *e, ot_error *err)
{
	PQreset(PG(e)->conn);
	if (PQstatus(PG(e)->conn) != CONNECTION_OK) {
		char msg[300];
		server_message(e, NULL, msg, sizeof msg);
		snprintf(PG(e)->failed_state, sizeof PG(e)->failed_state, "08001");
		return err_set(err, OT_ESTORE, "cannot reach the store %.150s: %s: nothing was changed",
			       pg_path(e), msg);
	}
	engine_log(e, "connected again to the store %.150s", pg_path(e));
	/* the server may be another one, behind what this engine wrote last
	 * (a standby promoted before the last commits reached it): nothing is
	 * taken on trust, nothing kept is used unread (store_begin) */
	if (PG(e)->known)
		memset(PG(e)->known, 0, PG(e)->nknown * sizeof *PG(e)->known);
	e->store_renewed = 1;
	ot_status s = session(e, err);
	if (s == OT_OK)
		feed_rebase(e);
	return s == OT_OK ? prepare_all(e, err) : s;
}

/* Whether the server sent an idle connection anything: it does when it
 * ends one (a restart, pg_terminate_backend) -- a message, then the end,
 * which may come a moment later -- and only then, as no engine listens
 * for notifications.  One poll, no read. */
static int something_came(PGconn *c)
{
	struct pollfd p = {PQsocket(c), POLLIN, 0};
	return poll(&p, 1, 0) > 0;
}

/* The BEGIN goes with the operation's first statement (run_all). */
static ot_status pg_begin(ot_engine *e, int deferred, ot_error *err)
{
	PG(e)->failed_state[0] = 0;
	PG(e)->renewed_trust = 0;
	PG(e)->held.valid = 0; /* another moment of the store */
	PG(e)->number.state = deferred == STORE_NUMBERING ? PG_NUMBER_WANTED : PG_NUMBER_NONE;
	/* a submission waits for the day's counter rather than race for it:
	 * at REPEATABLE READ, a counter another engine took since the first
	 * read is a lost race, and with four engines submitting most first
	 * tries lost (docs/performance.md) */
	if (deferred == STORE_NUMBERING)
		deferred = 0;
	PG(e)->lock_case = !deferred;
	forget_head(e);
	later_drop(e);
	known_begin(e, deferred == STORE_TRUSTING);
	ot_status s = OT_OK;
	/* a connection the server ended while it was idle (a restart) says so
	 * now, without waiting: it is made again before anything is sent, as
	 * a COMMIT may go with the BEGIN (cases this engine wrote last) */
	int ended = PQstatus(PG(e)->conn) == CONNECTION_OK &&
		    PQtransactionStatus(PG(e)->conn) == PQTRANS_IDLE && something_came(PG(e)->conn);
	if (ended || PQstatus(PG(e)->conn) != CONNECTION_OK || !PG(e)->prepared ||
	    PQtransactionStatus(PG(e)->conn) != PQTRANS_IDLE)
		s = reconnect(e, err);
	if (s == OT_OK)
		PG(e)->begin = sql[deferred ? S_BEGIN : S_BEGIN_LOCKING];
	return s;
}

static int pg_lost_race(const ot_engine *e)
{
	const char *st = PG(e)->failed_state;
	/* 23505: two first tries inserting the same key (an event's number);
	 * a failure of the engine's own after taking a case on trust: the
	 * copy it decided on may be old (cases this engine wrote last) */
	return strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 || strcmp(st, "23505") == 0 ||
	       (PG(e)->trusted && !st[0]) || PG(e)->renewed_trust;
}

static void pg_rollback(ot_engine *e)
{
	PG(e)->held.valid = 0;
	PG(e)->number.state = PG_NUMBER_NONE;
	PG(e)->begin = NULL; /* nothing was sent: nothing to roll back */
	forget_head(e);
	later_drop(e); /* a save not sent is not made */
	if (PG(e)->ntaken && pg_lost_race(e))
		known_lost(e);
	if (PG(e)->conn && PQtransactionStatus(PG(e)->conn) != PQTRANS_IDLE &&
	    PQstatus(PG(e)->conn) == CONNECTION_OK)
		PQclear(PQexec(PG(e)->conn, "ROLLBACK"));
}

/* A transaction that sent nothing yet and only writes (a case this engine
 * wrote last): its writes alone, without BEGIN and COMMIT, are one
 * implicit transaction, which the server commits at the pipeline's end
 * (Sync) -- two statements fewer for the server.  At READ COMMITTED: the
 * event's number, the events' key, is what refuses a write on an old copy
 * (another engine's write waited for is then a lost race, as at
 * REPEATABLE READ).  Done only when the server answered that end. */
static ot_status commit_implicit(ot_engine *e, ot_error *err)
{
	PG(e)->begin = NULL;
	PG(e)->committing = 1;
	run_all(e, 0, NULL, NULL);
	PG(e)->committing = 0;
	ot_status s;
	if (take_later_err(e, err, &s))
		; /* a write failed: that is the answer, and nothing was kept */
	else if (!PG(e)->synced)
		s = PG(e)->at_sync ? pg_fail(e, err, PG(e)->at_sync, "committing")
				   : fail_while(e, err, NULL, "committing");
	else
		s = OT_OK;
	if (s != OT_OK)
		pg_rollback(e);
	else
		known_commit(e);
	return s;
}

static ot_status pg_commit(ot_engine *e, ot_error *err)
{
	PG(e)->held.valid = 0; /* the licences held are the transaction's */
	PG(e)->number.state = PG_NUMBER_NONE;
	ot_status s = writable(e, err);
	if (s == OT_OK && PG(e)->doomed.status != OT_OK) { /* an ended operation's write failed */
		*err = PG(e)->doomed;
		s = err->status;
	}
	if (s == OT_OK && PG(e)->nuncovered) { /* taken on trust, not checked by a save */
		snprintf(PG(e)->failed_state, sizeof PG(e)->failed_state, "40001");
		s = err_set(err, OT_ESTORE, "case %s was taken as this engine last wrote it and not "
			    "saved: nothing was changed; read it again", PG(e)->uncovered[0]);
	}
	if (s != OT_OK) {
		pg_rollback(e);
		return s;
	}
	forget_head(e);
	if (PG(e)->begin && !PG(e)->later) { /* nothing was read or written */
		PG(e)->begin = NULL;
		known_commit(e);
		return OT_OK;
	}
	PGresult *res;
	if (PG(e)->later && PG(e)->begin && PG(e)->trusted)
		return commit_implicit(e, err);
	if (PG(e)->later) { /* the save and the COMMIT: one round trip */
		pg_stmt st = {S_COMMIT, NULL, 0, NULL};
		PG(e)->committing = 1;
		run_all(e, 1, &st, &res);
		PG(e)->committing = 0;
	} else
		res = PQexec(PG(e)->conn, "COMMIT");
	/* a COMMIT of a failed transaction answers ROLLBACK, not an error */
	const char *tag = res ? PQcmdStatus(res) : "";
	if (take_later_err(e, err, &s))
		; /* the save failed: that is the answer */
	else if (ok_result(res) && strcmp(tag, "COMMIT") == 0)
		s = OT_OK;
	else if (ok_result(res))
		s = err_set(err, OT_ESTORE, "the store %.150s rolled the transaction back: nothing was "
			    "changed", pg_path(e));
	else
		s = pg_fail(e, err, res, "committing");
	PQclear(res);
	if (s != OT_OK)
		pg_rollback(e);
	else
		known_commit(e);
	return s;
}

/* ---- rule versions and case numbers ---- */

static ot_status pg_put_version(ot_engine *e, const ot_rules *r, ot_error *err)
{
	ot_status s = writable(e, err);
	if (s != OT_OK)
		return s;
	const char *v[] = {ot_rules_hash(r), ot_rules_sources(r)};
	PGresult *res = run(e, S_VERSION_PUT, 2, v);
	s = ok_result(res) ? OT_OK : pg_fail(e, err, res, "storing the rule version");
	PQclear(res);
	return s;
}

static ot_status pg_get_version(ot_engine *e, const char *hash, char **out, ot_error *err)
{
	*out = NULL;
	const char *v[] = {hash};
	PGresult *res = run(e, S_VERSION_GET, 1, v);
	ot_status s = OT_OK;
	if (!ok_result(res))
		s = pg_fail(e, err, res, "reading rule version %.12s", hash);
	else if (PQntuples(res) == 1 && !column(res, 0, 0))
		s = store_damaged(e, err, "rule version %.12s has no sources", hash);
	else if (PQntuples(res) == 1 && !(*out = strdup(PQgetvalue(res, 0, 0))))
		s = err_set(err, OT_ENOMEM, "out of memory reading rule version %.12s", hash);
	PQclear(res);
	return s;
}

/* The day's counter key, 20190927, of `now`. */
static void number_day(const ot_engine *e, ot_time now, char compact[9])
{
	char day[11];
	day_format(time_day(now, e->zone), day);
	memcpy(compact, day, 4);
	memcpy(compact + 4, day + 5, 2);
	memcpy(compact + 6, day + 8, 2);
	compact[8] = 0;
}

/* A submission reads before it numbers (the applicant's licences): the
 * day's counter is read and locked with that read, in its round trip, and
 * the number it gives is written with the COMMIT (S_NUMBER_TAKE, which
 * checks it is still the next) -- a round trip a submission saved.  A
 * submission that numbers nothing writes nothing: no gap.  Runs
 * statement i as run does. */
static PGresult *number_with(ot_engine *e, ot_time now, int i, int n, const char *const *v)
{
	pg_number *k = &PG(e)->number;
	if (k->state != PG_NUMBER_WANTED)
		return run(e, i, n, v);
	k->state = PG_NUMBER_NONE;
	number_day(e, now, k->day);
	const char *dv[] = {k->day};
	pg_stmt st[2] = {{S_NUMBER_READ, NULL, 1, dv}, {i, NULL, n, v}};
	PGresult *read, *res = run_two(e, st, &read);
	if (read && PQntuples(read) <= 1) {
		k->n = PQntuples(read) ? atoi(PQgetvalue(read, 0, 0)) : 0;
		k->state = PG_NUMBER_READ;
	}
	PQclear(read);
	return res;
}

static ot_status pg_next_id(ot_engine *e, ot_time now, char id[32], ot_error *err)
{
	char compact[9], t[24];
	number_day(e, now, compact);
	ot_status s = writable(e, err);
	if (s != OT_OK)
		return s;
	pg_number *k = &PG(e)->number;
	if (k->state == PG_NUMBER_READ && strcmp(k->day, compact) == 0) {
		k->state = PG_NUMBER_NONE; /* a second number is the counter's own */
		const char *n = int_text(k->n + 1, t);
		snprintf(id, 32, "%s-%04d", compact, k->n + 1);
		const char *v[] = {compact, n};
		return later_add(e, S_NUMBER_TAKE, NULL, id, 2, v, err);
	}
	const char *v[] = {compact};
	PGresult *res = run(e, S_NEXT_ID, 1, v);
	if (ok_result(res) && PQntuples(res) == 1)
		snprintf(id, 32, "%s-%04lld", compact, atoll(PQgetvalue(res, 0, 0)));
	else
		s = pg_fail(e, err, res, "numbering the case");
	PQclear(res);
	return s;
}

/* ---- cases and events ---- */

static ot_status pg_save(ot_engine *e, const ot_case *c, json_t *event, const char *state_text,
			 int is_new, ot_error *err)
{
	char *payload = json_text(event, JSON_COMPACT);
	char hand[1024], due[11] = "", at[32], next_due[11] = "", warn_at[11] = "";
	const ot_rules *r = c->v->rules;
	case_handlers(c, hand, sizeof hand);
	if (c->due >= 0)
		day_format(c->due, due);
	case_next_due(c, next_due);
	case_warn_at(c, SWEEP_INDEX_WORKDAYS, warn_at);
	const char *ev_at = json_string_value(json_object_get(event, "at"));
	str_copy(at, sizeof at, ev_at ? ev_at : "");
	ot_status s = writable(e, err);
	if (s == OT_OK && (!state_text || !payload))
		s = err_set(err, OT_ENOMEM, "out of memory while saving case %s", c->id);
	if (s == OT_OK) {
		/* an item's name and department, or a chain case's (engine.h) */
		char t[24], key[64];
		const char *seq = int_text(c->events, t);
		const char *v[] = {c->id, case_row_item(c), r->hash, case_status_names[c->status],
				   case_row_applicant(c, key),
				   case_row_department(c), hand,
				   due[0] ? due : NULL, at, state_text, next_due[0] ? next_due : NULL,
				   warn_at[0] ? warn_at : NULL,
				   seq, at, json_string_value(json_object_get(event, "op")),
				   json_string_value(json_object_get(event, "actor")), payload};
		_Static_assert(sizeof v / sizeof *v == CASE_COLUMNS + EVENT_COLUMNS,
			       "pg_later copies them all");
		/* a first try takes an item case's chain before the item too
		 * (lock order): its write of the item goes to the server with
		 * its next read, maybe long before the chain's with the COMMIT.
		 * A new item case is no other transaction's yet. */
		const char *chain[] = {c->chain_id};
		if (!PG(e)->lock_case && !is_new && c->chain_id[0])
			s = later_add(e, S_CASE_LOCK, NULL, c->id, 1, chain, err);
		/* the row and the event go with the next statement (pg_later) */
		if (s == OT_OK)
			s = later_add(e, is_new ? S_CASE_CREATE : S_CASE_WRITE, NULL, c->id,
				      CASE_COLUMNS + EVENT_COLUMNS, v, err);
		if (s == OT_OK)
			known_saved(e, c, v[1], v[3]);
	}
	free(payload);
	return s;
}

static ot_status pg_events(ot_engine *e, const char *id, int after, json_t **out,
			   ot_error *err)
{
	*out = NULL;
	char t[24];
	const char *v[] = {id, int_text(after, t)};
	int col = 3; /* case_head read them with the row */
	PGresult *res = PG(e)->head && strcmp(PG(e)->head_id, id) == 0 &&
			PG(e)->head_after == after ? PG(e)->head : NULL;
	if (res)
		PG(e)->head = NULL;
	forget_head(e);
	if (!res) {
		res = run(e, S_EVENTS, 2, v);
		col = 0;
	}
	json_t *events = json_array();
	ot_status s = OT_OK;
	int rows = ok_result(res) ? PQntuples(res) : 0;
	if (col && rows == 1 && PQgetisnull(res, 0, col)) /* the row, no events */
		rows = 0;
	if (!ok_result(res))
		s = pg_fail(e, err, res, "reading the events of case %.40s", id);
	else if (!events)
		s = err_set(err, OT_ENOMEM, "out of memory reading case %s", id);
	for (int i = 0; s == OT_OK && i < rows; i++) {
		/* the events of a case are numbered 1, 2, ... without a gap */
		json_t *ev = text_json(column(res, i, col + 1));
		if (PQgetisnull(res, i, col) || atoll(PQgetvalue(res, i, col)) != after + i + 1)
			s = store_damaged(e, err, "case %s: event %d is missing", id, after + i + 1);
		else if (!ev)
			s = store_damaged(e, err, "case %s: event %d is not JSON", id, after + i + 1);
		else if (json_array_append(events, ev))
			s = err_set(err, OT_ENOMEM, "out of memory reading case %s", id);
		json_decref(ev);
	}
	PQclear(res);
	if (s == OT_OK)
		*out = events;
	else
		json_decref(events);
	return s;
}

/* The case's row; in a second try, locked until the transaction ends. */
static ot_status pg_case_head(ot_engine *e, const char *id, int after, char item[256],
			      char hash[65], char status[32], int *events, ot_error *err)
{
	char t[24];
	const char *v[] = {id, int_text(after, t)};
	forget_head(e);
	if (known_head(e, id, after, item, hash, status, events))
		return OT_OK; /* checked by its save (cases this engine wrote last) */
	PGresult *res, *locked = NULL;
	if (PG(e)->lock_case)
		res = run_two(e, (pg_stmt[2]){{S_CASE_LOCK_CHAIN, NULL, 1, v},
					      {S_CASE_READ, NULL, 2, v}}, &locked);
	else
		res = run(e, S_CASE_READ, 2, v);
	PQclear(locked);
	ot_status s = OT_OK;
	if (!ok_result(res))
		s = pg_fail(e, err, res, "reading case %s", id);
	else if (PQntuples(res) >= 1) {
		const char *a = column(res, 0, 0), *b = column(res, 0, 1), *c = column(res, 0, 2);
		if (!a || !b || !c || strlen(a) > 255 || strlen(b) != 64 || strlen(c) > 31)
			s = store_damaged(e, err, "the row of case %s is unreadable", id);
		else {
			str_copy(item, 256, a);
			str_copy(hash, 65, b);
			str_copy(status, 32, c);
			*events = column(res, 0, 5) ? atoi(column(res, 0, 5)) : 0;
			known_read(e, id, *events);
			if (strlen(id) < sizeof PG(e)->head_id) { /* for events() */
				PG(e)->head = res;
				PG(e)->head_after = after;
				str_copy(PG(e)->head_id, sizeof PG(e)->head_id, id);
				res = NULL;
			}
		}
	} else {
		PQclear(res);
		res = run(e, S_HAS_EVENTS, 1, v);
		if (!ok_result(res))
			s = pg_fail(e, err, res, "reading case %s", id);
		else if (PQntuples(res) > 0)
			s = store_damaged(e, err, "case %s has events but no row in the cases table", id);
		else
			s = err_set(err, OT_ENOTFOUND, "there is no case '%s'", id);
	}
	PQclear(res);
	return s;
}

/* ---- the material library ---- */

static ot_status pg_library_add(ot_engine *e, const char *applicant, const char *material,
				const char *case_id, ot_time from, ot_time until, ot_error *err)
{
	ot_status s = writable(e, err);
	if (s != OT_OK)
		return s;
	char f[24], u[24];
	snprintf(f, sizeof f, "%lld", (long long)from);
	snprintf(u, sizeof u, "%lld", (long long)until);
	const char *v[] = {applicant, material, case_id, f, u};
	return later_add(e, S_LIB_ADD, NULL, case_id, 5, v, err); /* with the COMMIT (pg_later) */
}

static const char *pg_library_find(void *ud, const char *applicant, const char *material,
				   ot_time now)
{
	ot_engine *e = ud;
	char t[24];
	snprintf(t, sizeof t, "%lld", (long long)now);
	const char *v[] = {applicant, material, t};
	PGresult *res = run(e, S_LIB_FIND, 3, v);
	const char *out = NULL;
	if (!ok_result(res))
		fault(e, res, "looking up the material library"); /* the operation fails at its end */
	else if (PQntuples(res) == 1) {
		const char *id = column(res, 0, 0);
		if (!id || strlen(id) >= sizeof PG(e)->lib_found)
			fault_damaged(e, "a material library entry has no readable case");
		else
			out = strcpy(PG(e)->lib_found, id);
	}
	PQclear(res);
	return out;
}

/* ---- the licence library ---- */

static ot_status pg_licence_put(ot_engine *e, const licence *l, ot_error *err)
{
	PG(e)->held.valid = 0;
	ot_status s = writable(e, err);
	if (s != OT_OK)
		return s;
	char f[24], u[24], t[24];
	snprintf(f, sizeof f, "%lld", (long long)l->from);
	snprintf(u, sizeof u, "%lld", (long long)l->until);
	snprintf(t, sizeof t, "%lld", (long long)l->term);
	const char *v[] = {l->holder, l->material, l->number, l->issuer, f,
			   l->until >= 0 ? u : NULL, l->case_id, l->term >= 0 ? t : NULL};
	PGresult *res = run(e, S_LIC_PUT, 8, v);
	s = ok_result(res) ? OT_OK : pg_fail(e, err, res, "adding to the licence library");
	PQclear(res);
	return s;
}

/* A licence's row updated by statement `stmt` at its key, with time t. */
static ot_status lic_update(ot_engine *e, int stmt, const char *holder, const char *material,
			    const char *number, ot_time t, const char *what, ot_error *err)
{
	PG(e)->held.valid = 0;
	ot_status s = writable(e, err);
	if (s != OT_OK)
		return s;
	char text[24];
	snprintf(text, sizeof text, "%lld", (long long)t);
	const char *v[] = {holder, material, number, text};
	PGresult *res = run(e, stmt, 4, v);
	s = ok_result(res) ? OT_OK : pg_fail(e, err, res, "%s", what);
	PQclear(res);
	return s;
}

static ot_status pg_licence_keep(ot_engine *e, const char *holder, const char *material,
				 const char *number, ot_time now, ot_error *err)
{
	return lic_update(e, S_LIC_KEEP, holder, material, number, now,
			  "keeping a licence of the library", err);
}

static int pg_licence_term(ot_engine *e, const char *holder, const char *material,
			   const char *number, ot_time *from, ot_time *term, ot_error *err)
{
	const char *v[] = {holder, material, number};
	PGresult *res = run(e, S_LIC_TERM, 3, v);
	int found = -1;
	if (!ok_result(res))
		pg_fail(e, err, res, "reading the licence library");
	else if ((found = PQntuples(res) > 0)) {
		*from = atoll(PQgetvalue(res, 0, 0));
		*term = atoll(PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return found;
}

static ot_status pg_licence_back(ot_engine *e, const char *holder, const char *material,
				 const char *number, ot_time term, ot_error *err)
{
	return lic_update(e, S_LIC_BACK, holder, material, number, term,
			  "ending a licence kept no more", err);
}

/* Whether row a of S_LIC_HELD's goes before row b: by material, then
 * number, in bytes (a row without either last: it is not kept). */
static int held_before(const PGresult *res, int a, int b)
{
	for (int col = 0; col < 2; col++) {
		const char *x = column(res, a, col), *y = column(res, b, col);
		int c = !x || !y ? (!x) - (!y) : strcmp(x, y);
		if (c)
			return c < 0;
	}
	return 0;
}

/* The holder's licences valid by `now`, read once a transaction as on
 * SQLite (store_held; sq_licence_find says why): here a round trip each
 * is saved.  NULL: ask by material, or (*failed set) the read failed. */
static const store_held *held_licences(ot_engine *e, const char *key, ot_time now, int *failed)
{
	store_held *h = &PG(e)->held;
	*failed = 0;
	if (!PG(e)->begin && PQtransactionStatus(PG(e)->conn) != PQTRANS_INTRANS)
		return NULL; /* no transaction: every statement sees its own moment */
	if (store_held_for(h, key, now))
		return h->n >= 0 ? h : NULL;
	char t[24];
	snprintf(t, sizeof t, "%lld", (long long)now);
	const char *v[] = {key, t};
	PGresult *res = number_with(e, now, S_LIC_HELD, 2, v);
	if (!ok_result(res)) {
		fault(e, res, "looking up the licence library"); /* the operation fails at its end */
		PQclear(res);
		*failed = 1;
		return NULL;
	}
	store_held_start(h, key, now);
	/* by material and number in bytes, as S_LIC_FIND: of two equally good
	 * the first counts (store_held_pick), the lower number on either
	 * backend; sorted here, not by the server, which would sort all the
	 * holder's licences for the nine it sends */
	int n = PQntuples(res), row[STORE_HELD + 1];
	for (int i = 0; i < n && i <= STORE_HELD; i++) {
		int j = i;
		for (; j > 0 && held_before(res, i, row[j - 1]); j--)
			row[j] = row[j - 1];
		row[j] = i;
	}
	for (int i = 0; i < n && i <= STORE_HELD && h->n >= 0; i++)
		if (column(res, row[i], 0)) /* else no material matches it */
			store_held_add(h, PQgetvalue(res, row[i], 0), column(res, row[i], 1),
				       column(res, row[i], 2) ? atoll(PQgetvalue(res, row[i], 2)) : -1);
	PQclear(res);
	h->valid = 1;
	return h->n >= 0 ? h : NULL;
}

static int pg_licence_find(ot_engine *e, const char *holder, const char *material, ot_time now,
			   char number[REF_CAP], ot_time *until)
{
	char t[24];
	int failed;
	const store_held *h = held_licences(e, holder, now, &failed);
	if (failed)
		return -1;
	if (h) {
		store_lic_pick p = {0, 0};
		store_held_pick(h, material, now, &p, number, until);
		if (p.damaged)
			fault_damaged(e, "a licence in the library has no readable number");
		return p.damaged ? -1 : p.found;
	}
	snprintf(t, sizeof t, "%lld", (long long)now);
	const char *v[] = {holder, material, t};
	PGresult *res = run(e, S_LIC_FIND, 3, v);
	int found = -1;
	if (!ok_result(res))
		fault(e, res, "looking up the licence library"); /* the operation fails at its end */
	else if (PQntuples(res) == 0)
		found = 0;
	else if (!column(res, 0, 0))
		fault_damaged(e, "a licence in the library has no readable number");
	else {
		str_copy(number, REF_CAP, PQgetvalue(res, 0, 0));
		*until = column(res, 0, 1) ? atoll(PQgetvalue(res, 0, 1)) : -1;
		found = strcmp(PQgetvalue(res, 0, 2), "t") == 0 ? 1 : 2;
	}
	PQclear(res);
	return found;
}

/* An integer column, -1 for NULL. */
static ot_time nullable(const PGresult *res, int row, int col)
{
	return column(res, row, col) ? atoll(PQgetvalue(res, row, col)) : -1;
}

static ot_status pg_licences_of(ot_engine *e, const char *holder, json_t **out, ot_error *err)
{
	const char *v[] = {holder};
	PGresult *res = run(e, S_LICENCES_OF, 1, v);
	json_t *list = json_array();
	ot_status s = OT_OK;
	*out = NULL;
	if (!ok_result(res))
		s = pg_fail(e, err, res, "reading the licence library");
	else if (!list)
		s = err_set(err, OT_ENOMEM, "out of memory");
	for (int i = 0; s == OT_OK && i < PQntuples(res); i++) {
		licence l = {holder, column(res, i, 0), column(res, i, 1), column(res, i, 2),
			     column(res, i, 5), atoll(PQgetvalue(res, i, 3)), nullable(res, i, 4),
			     nullable(res, i, 6)};
		json_t *j = l.material && l.number && l.issuer ? licence_json(&l, e->zone) : NULL;
		if (!j || json_array_append_new(list, j))
			s = store_damaged(e, err, "a licence of the library is unreadable");
	}
	PQclear(res);
	if (s == OT_OK)
		*out = list;
	else
		json_decref(list);
	return s;
}

static ot_status pg_list(ot_engine *e, const store_query *q, json_t **out, char *next,
			 ot_error *err)
{
	char limit[16];
	snprintf(limit, sizeof limit, "%d", q->limit + 1); /* one more: is there a next page? */
	/* also[]: NULL binds NULL, which matches no status */
	const char *v[] = {q->status, q->item, q->department, q->applicant, q->due_before, q->after,
			   limit, q->also[0], q->also[1], q->also[2]};
	PGresult *res = run(e, S_LIST, 10, v);
	json_t *list = json_array();
	ot_status s = OT_OK;
	*out = NULL;
	if (!ok_result(res))
		s = pg_fail(e, err, res, "listing cases");
	else if (!list)
		s = err_set(err, OT_ENOMEM, "out of memory");
	int rows = s == OT_OK ? PQntuples(res) : 0;
	for (int i = 0; s == OT_OK && i < rows && i < q->limit; i++) {
		const char *id = column(res, i, 0);
		json_t *c = text_json(column(res, i, 1));
		if (!c)
			s = store_damaged(e, err, "the snapshot of case %.40s is not JSON",
					  id ? id : "(unreadable id)");
		else if (json_array_append_new(list, c))
			s = err_set(err, OT_ENOMEM, "out of memory listing cases");
	}
	if (s == OT_OK && rows > q->limit) /* the page ends at its last row */
		str_copy(next, STORE_CURSOR_MAX, PQgetvalue(res, q->limit - 1, 0));
	PQclear(res);
	if (s == OT_OK)
		*out = list;
	else
		json_decref(list);
	return s;
}

/* ---- savepoints: operations committed together (store.h) ---- */

static ot_status pg_savepoint(ot_engine *e, ot_error *err)
{
	PG(e)->failed_state[0] = 0; /* a race lost is the operation's (pg_lost_race) */
	return later_add(e, -1, savepoint_text, "", 0, NULL, err);
}

static ot_status pg_release(ot_engine *e, ot_error *err)
{
	pg_later **sp = savepoint_waiting(e);
	if (sp && !(*sp)->next) { /* the operation sent nothing and has nothing waiting */
		later_cut(sp);
		return writable(e, err);
	}
	return later_add(e, -1, release_text, "", 0, NULL, err);
}

static void pg_rollback_to(ot_engine *e)
{
	PG(e)->held.valid = 0; /* a licence it wrote is undone */
	if (PG(e)->number.state == PG_NUMBER_READ) /* read before the savepoint, or not */
		PG(e)->number.state = PG_NUMBER_NONE;
	forget_head(e);
	PG(e)->saved_lost = 1;
	pg_later **sp = savepoint_waiting(e);
	if (sp) { /* nothing of this operation was sent: what waits from it on is its */
		later_cut(sp);
		return;
	}
	/* what waits is this operation's; what went before, with its savepoint */
	later_drop_keeping_doom(e);
	if (PG(e)->conn && PQstatus(PG(e)->conn) == CONNECTION_OK &&
	    PQtransactionStatus(PG(e)->conn) != PQTRANS_IDLE) {
		PQclear(PQexec(PG(e)->conn, "ROLLBACK TO op"));
		PQclear(PQexec(PG(e)->conn, "RELEASE op"));
	}
}

/* ---- idempotency keys, the event feed, counts ---- */

static ot_status pg_idem_get(ot_engine *e, const char *key, long long now_s, char fingerprint[65],
			     char op[32], char **response, ot_error *err)
{
	char now[24];
	snprintf(now, sizeof now, "%lld", now_s);
	const char *v[] = {key, now};
	PGresult *res = run(e, S_IDEM_GET, 2, v);
	ot_status s = OT_OK;
	*response = NULL;
	if (!ok_result(res))
		s = pg_fail(e, err, res, "reading an idempotency key");
	else if (PQntuples(res) == 1) {
		const char *f = column(res, 0, 0), *o = column(res, 0, 1), *r = column(res, 0, 2);
		if (!f || !o || !r)
			s = store_damaged(e, err, "an idempotency key's answer is unreadable");
		else if (!(*response = strdup(r)))
			s = err_set(err, OT_ENOMEM, "out of memory");
		else {
			str_copy(fingerprint, 65, f);
			str_copy(op, 32, o);
		}
	}
	PQclear(res);
	return s;
}

static ot_status pg_idem_put(ot_engine *e, const char *key, const char *fingerprint, const char *op,
			     const char *response, long long now_s, long long expires_s,
			     ot_error *err)
{
	ot_status s = writable(e, err);
	if (s != OT_OK)
		return s;
	char now[24], exp[24];
	snprintf(now, sizeof now, "%lld", now_s);
	snprintf(exp, sizeof exp, "%lld", expires_s);
	const char *gone[] = {now}, *v[] = {key, fingerprint, op, response, now, exp};
	pg_stmt st[2] = {{S_IDEM_EXPIRE, NULL, 1, gone}, {S_IDEM_PUT, NULL, 6, v}};
	PGresult *res[2];
	run_all(e, 2, st, res);
	if (!ok_result(res[0]))
		s = pg_fail(e, err, res[0], "keeping an idempotency key");
	else if (!ok_result(res[1]))
		s = pg_fail(e, err, res[1], "keeping an idempotency key");
	else if (strcmp(PQcmdTuples(res[1]), "1") != 0) {
		/* at READ COMMITTED (a second try, a batch) the same key kept by
		 * another engine since this one looked is seen only now: a lost
		 * race, not a second operation under one key */
		snprintf(PG(e)->failed_state, sizeof PG(e)->failed_state, "40001");
		s = err_set(err, OT_ESTORE, "another engine kept the idempotency key '%.60s' at the "
			    "same moment: nothing was changed; try again", key);
	}
	PQclear(res[0]);
	PQclear(res[1]);
	return s;
}

static ot_status pg_feed(ot_engine *e, const store_feed_query *q, json_t **out, long long *next,
			 ot_error *err)
{
	char after[24], limit[16];
	snprintf(after, sizeof after, "%lld", q->after);
	snprintf(limit, sizeof limit, "%d", q->limit);
	const char *v[] = {after, q->department, q->client, limit};
	PGresult *res = run(e, S_FEED, 4, v);
	json_t *list = json_array();
	ot_status s = OT_OK;
	*out = NULL;
	if (!ok_result(res))
		s = pg_fail(e, err, res, "reading the event feed");
	else if (!list)
		s = err_set(err, OT_ENOMEM, "out of memory");
	for (int i = 0; s == OT_OK && i < PQntuples(res); i++) {
		*next = atoll(PQgetvalue(res, i, 0));
		json_t *ev = store_feed_entry(*next, column(res, i, 1), atoll(PQgetvalue(res, i, 2)),
					      column(res, i, 3), column(res, i, 4), column(res, i, 5),
					      column(res, i, 6), column(res, i, 7), column(res, i, 8));
		if (!ev || json_array_append_new(list, ev))
			s = err_set(err, OT_ENOMEM, "out of memory reading the event feed");
	}
	PQclear(res);
	if (s == OT_OK)
		*out = list;
	else
		json_decref(list);
	return s;
}

static ot_status pg_counts(ot_engine *e, json_t **out, ot_error *err)
{
	PGresult *res = run(e, S_COUNTS, 0, NULL);
	json_t *counts = json_object();
	ot_status s = OT_OK;
	*out = NULL;
	if (!ok_result(res))
		s = pg_fail(e, err, res, "counting cases");
	else if (!counts)
		s = err_set(err, OT_ENOMEM, "out of memory");
	for (int i = 0; s == OT_OK && i < PQntuples(res); i++) {
		const char *status = column(res, i, 0);
		if (!status)
			s = store_damaged(e, err, "a case has no status");
		else if (json_object_set_new(counts, status, json_integer(atoll(PQgetvalue(res, i, 1)))))
			s = err_set(err, OT_ENOMEM, "out of memory");
	}
	PQclear(res);
	if (s == OT_OK)
		*out = counts;
	else
		json_decref(counts);
	return s;
}

/* ---- the time sweep ---- */

static ot_status pg_claim(ot_engine *e, const char *today, store_claim_pos *pos, int limit,
			  char (*ids)[32], int *n, ot_error *err)
{
	char lim[16];
	snprintf(lim, sizeof lim, "%d", limit);
	const char *v[] = {today, lim, pos->day, pos->id};
	PGresult *res = run(e, S_CLAIM, 4, v);
	ot_status s = ok_result(res) ? OT_OK
		    : pg_fail(e, err, res, "claiming the cases the time sweep warns");
	for (int i = 0; s == OT_OK && i < PQntuples(res) && *n < limit; i++)
		s = store_claimed(e, column(res, i, 0), column(res, i, 1), pos, ids[(*n)++], err);
	PQclear(res);
	return s;
}

static ot_status pg_warn_at(ot_engine *e, const ot_case *c, ot_error *err)
{
	char day[11] = "";
	ot_status s = writable(e, err);
	if (s != OT_OK)
		return s;
	const char *v[] = {c->id, case_warn_at(c, SWEEP_INDEX_WORKDAYS, day) ? day : NULL};
	PGresult *res = run(e, S_WARN_AT, 2, v);
	s = ok_result(res) ? OT_OK : pg_fail(e, err, res, "saving case %s", c->id);
	PQclear(res);
	return s;
}

/* ---- moving a store (store_copy_uri) ---- */

enum { INT8_OID = 20, INT2_OID = 21, INT4_OID = 23 }; /* pg_type.h, a server header */

/* The key's columns, "a, b", and the statement's "($1, $2)". */
static void key_of(const store_table *t, char *cols, char *params, size_t cap)
{
	const char *c = t->columns;
	size_t n = 0, m = 0;
	for (int k = 0; k < t->nkey; k++) {
		size_t len = strcspn(c, ",");
		n += (size_t)snprintf(cols + n, cap - n, "%s%.*s", k ? ", " : "", (int)len, c);
		m += (size_t)snprintf(params + m, cap - m, "%s$%d", k ? ", " : "", k + 1);
		c += len + (c[len] == ',');
		c += strspn(c, " ");
	}
}

/* A JSON value as a parameter: text, or NULL for null (num holds numbers). */
static const char *param_of(json_t *v, char num[32])
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(num, 32, "%lld", (long long)json_integer_value(v));
		return num;
	}
	if (json_is_real(v)) {
		snprintf(num, 32, "%.17g", json_real_value(v));
		return num;
	}
	return NULL;
}

static ot_status pg_rows(ot_engine *e, const store_table *t, json_t *after, int limit,
			 json_t **out, ot_error *err)
{
	char text[1024], cols[256], params[256], nums[8][32];
	const char *v[8] = {0};
	int nkey = t->by_feed ? 1 : t->nkey, ncolumns = t->ncolumns + t->by_feed;
	if (t->by_feed) { /* the feed's order is recorded's (S_FEED) */
		str_copy(cols, sizeof cols, "recorded");
		str_copy(params, sizeof params, "$1");
	} else
		key_of(t, cols, params, sizeof cols);
	for (int k = 0; after && k < nkey && k < 8; k++)
		v[k] = param_of(json_array_get(after, (size_t)k), nums[k]);
	if (after)
		snprintf(text, sizeof text, "SELECT %s%s FROM %s WHERE (%s) > (%s) ORDER BY %s"
			 " LIMIT %d", t->columns, t->by_feed ? ", recorded" : "", t->name, cols,
			 params, cols, limit);
	else
		snprintf(text, sizeof text, "SELECT %s%s FROM %s ORDER BY %s LIMIT %d", t->columns,
			 t->by_feed ? ", recorded" : "", t->name, cols, limit);
	PGresult *res = pg_query(e, text, after ? nkey : 0, v);
	json_t *page = json_array();
	ot_status s = OT_OK;
	*out = NULL;
	if (!ok_result(res))
		s = pg_fail(e, err, res, "reading table %s to copy it", t->name);
	else if (!page)
		s = err_set(err, OT_ENOMEM, "out of memory");
	for (int r = 0; s == OT_OK && r < PQntuples(res); r++) {
		json_t *row = json_array();
		for (int i = 0; row && i < ncolumns; i++) {
			Oid type = PQftype(res, i);
			const char *c = column(res, r, i);
			json_t *j = !c ? json_null()
				       : type == INT8_OID || type == INT4_OID || type == INT2_OID
					 ? json_integer(atoll(c)) : json_string(c);
			if (json_array_append_new(row, j)) {
				json_decref(row);
				row = NULL;
			}
		}
		if (!row || json_array_append_new(page, row))
			s = err_set(err, OT_ENOMEM, "out of memory copying the store");
	}
	PQclear(res);
	if (s == OT_OK)
		*out = page;
	else
		json_decref(page);
	return s;
}

static ot_status pg_put_row(ot_engine *e, const store_table *t, json_t *row, ot_error *err)
{
	char text[1024], nums[16][32];
	const char *v[16] = {0};
	size_t n = (size_t)snprintf(text, sizeof text, "INSERT INTO %s(%s%s) VALUES (", t->name,
				    t->columns, t->by_feed ? ", recorded" : "");
	for (int i = 0; i < t->ncolumns && i < 16; i++) {
		n += (size_t)snprintf(text + n, sizeof text - n, "%s$%d", i ? ", " : "", i + 1);
		v[i] = param_of(json_array_get(row, (size_t)i), nums[i]);
	}
	/* the feed's order is the target's own (engine.md §9.4) */
	snprintf(text + n, sizeof text - n, "%s)", t->by_feed ? ", " FEED_AFTER(FEED_PLACE(
		 FEED_XID("pg_current_xact_id()")), "$1", "$2::integer") : "");
	PGresult *res = pg_query(e, text, t->ncolumns, v);
	ot_status s = ok_result(res) ? OT_OK : pg_fail(e, err, res, "copying into table %s", t->name);
	PQclear(res);
	return s;
}

static ot_status pg_count(ot_engine *e, const store_table *t, long long *count, ot_error *err)
{
	char text[128];
	snprintf(text, sizeof text, "SELECT count(*) FROM %s", t->name);
	PGresult *res = pg_query(e, text, 0, NULL);
	ot_status s = OT_OK;
	if (ok_result(res) && PQntuples(res) == 1)
		*count = atoll(PQgetvalue(res, 0, 0));
	else
		s = pg_fail(e, err, res, "counting table %s", t->name);
	PQclear(res);
	return s;
}

/* A server that cannot be reached is not a damaged store. */
static json_t *pg_unreadable(ot_engine *e, const char *where, const ot_error *why)
{
	(void)e;
	(void)where;
	(void)why;
	return NULL;
}

/* ---- the tables: postgresql:// and postgres:// ---- */

#define PG_TABLE(name, scheme_name)                                                              \
	const store_vt name = {                                                                  \
		.version = 1,                                                                    \
		.scheme = scheme_name,                                                           \
		.open = pg_open,                                                                 \
		.close = pg_close,                                                               \
		.path = pg_path,                                                                 \
		.begin = pg_begin,                                                               \
		.lost_race = pg_lost_race,                                                       \
		.commit = pg_commit,                                                             \
		.rollback = pg_rollback,                                                         \
		.savepoint = pg_savepoint,                                                       \
		.release = pg_release,                                                           \
		.rollback_to = pg_rollback_to,                                                   \
		.put_version = pg_put_version,                                                   \
		.get_version = pg_get_version,                                                   \
		.next_id = pg_next_id,                                                           \
		.save = pg_save,                                                                 \
		.case_head = pg_case_head,                                                       \
		.events = pg_events,                                                             \
		.library_add = pg_library_add,                                                   \
		.library_find = pg_library_find,                                                 \
		.licence_put = pg_licence_put,                                                   \
		.licence_keep = pg_licence_keep,                                                 \
		.licence_find = pg_licence_find,                                                 \
		.licence_term = pg_licence_term,                                                 \
		.licence_back = pg_licence_back,                                                 \
		.licences_of = pg_licences_of,                                                   \
		.list = pg_list,                                                                 \
		.check = pg_check,                                                               \
		.idem_get = pg_idem_get,                                                         \
		.idem_put = pg_idem_put,                                                         \
		.feed = pg_feed,                                                                 \
		.counts = pg_counts,                                                             \
		.unreadable = pg_unreadable,                                                     \
		.rows = pg_rows,                                                                 \
		.put_row = pg_put_row,                                                           \
		.count = pg_count,                                                               \
		.claim = pg_claim,                                                               \
		.warn_at = pg_warn_at,                                                           \
	}

PG_TABLE(store_pg, "postgresql");
PG_TABLE(store_pg_short, "postgres");
