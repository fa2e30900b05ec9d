/*
 * store.h -- the store interface: where cases, their events, rule versions
 * and the libraries are kept.  Part of the engine; a backend implements it.
 *
 * Like SQLite's VFS, a backend is a table of functions (store_vt) and the
 * engine never names one: the store URI chooses it (store_connect).  The
 * engine calls the store_* functions below, which go through the table;
 * what does not depend on a backend (rebuilding a case from its events,
 * keeping a failure a callback could not return) is done here, once.
 *
 * Every function works inside the operation's transaction (store_begin ..
 * store_commit / store_rollback) and reports failures as OT_ESTORE with a
 * message for the operator (store_damaged for data that cannot be right).
 * Ownership: what a function returns through `out` is the caller's.
 */
#ifndef OT_STORE_H
#define OT_STORE_H

#include <jansson.h>

#include "calendar.h"
#include "onetrip.h"

typedef struct ot_engine ot_engine;
typedef struct ot_case ot_case;

#define STORE_SCHEMA 10 /* the version of the stored layout, and of the
			   events an engine can read back */

struct store_query;
struct store_table;
struct store_feed_query;

/* A licence of the electronic licence library (电子证照库). */
typedef struct licence {
	const char *holder;   /* ID number or unified social credit code */
	const char *material; /* the rule base's material name */
	const char *number;   /* the licence number */
	const char *issuer;
	const char *case_id;  /* the case that issued it; NULL: imported */
	ot_time from, until;  /* until < 0: valid until revoked */
	ot_time term;         /* the end of its own term (< 0: none): until, but
			       * while an approval here keeps it (until -1);
			       * what until goes back to when none does */
} licence;

/* Where a time sweep's claims go on from: the warn_at day and id of the
 * last case claimed, in the claims' order ("" and "": from the start). */
typedef struct store_claim_pos {
	char day[11];
	char id[32];
} store_claim_pos;

/* A backend.  `where` is the URI without its scheme.  The functions mean
 * what the store_* function of the same name below says. */
typedef struct store_vt {
	int version;          /* 1 */
	const char *scheme;   /* "sqlite" */
	ot_status (*open)(ot_engine *e, const char *where, int create, ot_error *err);
	void (*close)(ot_engine *e);
	const char *(*path)(const ot_engine *e);
	ot_status (*begin)(ot_engine *e, int deferred, ot_error *err);
	int (*lost_race)(const ot_engine *e);
	ot_status (*commit)(ot_engine *e, ot_error *err);
	void (*rollback)(ot_engine *e);
	ot_status (*savepoint)(ot_engine *e, ot_error *err);
	ot_status (*release)(ot_engine *e, ot_error *err);
	void (*rollback_to)(ot_engine *e);
	ot_status (*put_version)(ot_engine *e, const ot_rules *r, ot_error *err);
	ot_status (*get_version)(ot_engine *e, const char *hash, char **out, ot_error *err);
	ot_status (*next_id)(ot_engine *e, ot_time now, char id[32], ot_error *err);
	ot_status (*save)(ot_engine *e, const ot_case *c, json_t *event, const char *state_text,
			  int is_new, ot_error *err);
	ot_status (*case_head)(ot_engine *e, const char *id, int after, char item[256],
			       char hash[65], char status[32], int *events, ot_error *err);
	ot_status (*events)(ot_engine *e, const char *id, int after, json_t **out,
			    ot_error *err);
	ot_status (*library_add)(ot_engine *e, const char *applicant, const char *material,
				 const char *case_id, ot_time from, ot_time until, ot_error *err);
	const char *(*library_find)(void *e, const char *applicant, const char *material,
				    ot_time now);
	ot_status (*licence_put)(ot_engine *e, const licence *l, ot_error *err);
	/* The licence (holder, material, number), valid at `now`, valid from
	 * then on until revoked (`issues … unless K`: K was issued on it);
	 * one past its term or revoked stays as it is. */
	ot_status (*licence_keep)(ot_engine *e, const char *holder, const char *material,
				  const char *number, ot_time now, ot_error *err);
	int (*licence_find)(ot_engine *e, const char *holder, const char *material, ot_time now,
			    char number[REF_CAP], ot_time *until);
	/* The licence kept without end and its own term [from, term): 1, or 0
	 * when it is not kept or its term is not known; -1 failed. */
	int (*licence_term)(ot_engine *e, const char *holder, const char *material,
			    const char *number, ot_time *from, ot_time *term, ot_error *err);
	/* The licence kept no more: valid until `term`, its own. */
	ot_status (*licence_back)(ot_engine *e, const char *holder, const char *material,
				  const char *number, ot_time term, ot_error *err);
	ot_status (*licences_of)(ot_engine *e, const char *holder, json_t **out, ot_error *err);
	ot_status (*list)(ot_engine *e, const struct store_query *q, json_t **out, char *next,
			  ot_error *err);
	ot_status (*check)(ot_engine *e, json_t **report, ot_error *err);
	ot_status (*idem_get)(ot_engine *e, const char *key, long long now_s, char fingerprint[65],
			      char op[32], char **response, ot_error *err);
	ot_status (*idem_put)(ot_engine *e, const char *key, const char *fingerprint, const char *op,
			      const char *response, long long now_s, long long expires_s,
			      ot_error *err);
	ot_status (*feed)(ot_engine *e, const struct store_feed_query *q, json_t **out,
			  long long *next, ot_error *err);
	ot_status (*counts)(ot_engine *e, json_t **out, ot_error *err);
	/* A report on a store that cannot even be opened (its first page
	 * unreadable), or NULL when the failure was something else. */
	json_t *(*unreadable)(ot_engine *e, const char *where, const ot_error *why);
	/* For moving a store (store_copy_uri): a page of a table's rows as
	 * they are stored, in the order of its key ... */
	ot_status (*rows)(ot_engine *e, const struct store_table *t, json_t *after, int limit,
			  json_t **out, ot_error *err);
	/* ... one such row written ... */
	ot_status (*put_row)(ot_engine *e, const struct store_table *t, json_t *row,
			     ot_error *err);
	/* ... and how many rows the table has. */
	ot_status (*count)(ot_engine *e, const struct store_table *t, long long *n,
			   ot_error *err);
	/* The time sweep: store_claim and store_warn_at below. */
	ot_status (*claim)(ot_engine *e, const char *today, store_claim_pos *pos, int limit,
			   char (*ids)[32], int *n, ot_error *err);
	ot_status (*warn_at)(ot_engine *e, const ot_case *c, ot_error *err);
} store_vt;


/* ---- opening ---- */

/* The backends a store URI may name, by scheme; a bare path is the
 * first's.  The engine knows none of them: the API layer hands the list
 * in (backends.h). */
typedef struct store_backends {
	const store_vt *const *vt;
	size_t n;
} store_backends;

/* Opens the store named by `uri` with the backend its scheme names:
 * "sqlite:PATH", or a bare PATH (SQLite; ":memory:" and `file:` URIs work,
 * the tests use `file:PATH?vfs=NAME` to inject faults).  `create`:
 * STORE_CREATE create and migrate as needed; STORE_MIGRATE the same, but a
 * store that is not there is not made (OT_ESTORE "no store at ...": no
 * SQLite file, no onetrip tables in the PostgreSQL schema); STORE_AS_IS
 * open an existing store as it is
 * (OT_ESTORE if it is missing or not a onetrip store of this schema
 * version). */
enum { STORE_AS_IS = 0, STORE_CREATE = 1, STORE_MIGRATE = 2 };
ot_status store_connect(ot_engine *e, store_backends b, const char *uri, int create,
			ot_error *err);
void store_close(ot_engine *e);
/* The store as messages name it. */
const char *store_path(const ot_engine *e);

/* ---- failures ---- */

/* OT_ESTORE: "the store PATH is damaged: WHAT: run `onetrip store check
 * PATH`", WHAT printf-style. */
ot_status store_damaged(ot_engine *e, ot_error *err, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
/* Ends an operation's use of the store: a failure that a callback could
 * not return (the material and licence libraries are looked up from inside
 * the assessment) becomes the operation's error, unless it failed with
 * OT_ESTORE already.  Returns the operation's status. */
ot_status store_settle(ot_engine *e, ot_status s, ot_error *err);

/* ---- transactions ---- */

/* Starts an operation's transaction.  `deferred`: the write lock is taken
 * at the first write, not now, so what comes before it (the hooks) runs
 * without holding it; that first write fails busy, without waiting, when
 * another writer holds the lock or wrote since this one began to read
 * (store_lost_race tells): then the operation runs again, not deferred.
 * `deferred` STORE_TRUSTING: as 1, for a write's first try: a backend may
 * answer store_case_head for a case this engine committed last from
 * memory, without reading it, and check it when the case is saved; a
 * failure of that transaction, whatever its status, may then be a lost
 * race (store_lost_race), and the operation runs again, not deferred.
 * `deferred` STORE_NUMBERING: as 1, for the first try of a write that
 * numbers a new case (store_next_id) and keeps no idempotency key: a
 * backend whose first try would race other engines for the day's counter
 * row, and lose, may begin as it does the second try, waiting for that
 * row instead. */
#define STORE_TRUSTING 2
#define STORE_NUMBERING 3
ot_status store_begin(ot_engine *e, int deferred, ot_error *err);
int store_lost_race(const ot_engine *e);
ot_status store_commit(ot_engine *e, ot_error *err);
void store_rollback(ot_engine *e);
/* Group commit: operations inside one transaction, each in a savepoint of
 * its own.  store_savepoint fails (OT_ESTORE) when the transaction is no
 * longer open -- a failure may have ended it -- so nothing is ever written
 * outside it; store_release keeps what the operation did, store_rollback_to
 * undoes it and leaves the transaction open. */
ot_status store_savepoint(ot_engine *e, ot_error *err);
ot_status store_release(ot_engine *e, ot_error *err);
void store_rollback_to(ot_engine *e);

/* ---- rule versions ---- */

ot_status store_put_version(ot_engine *e, const ot_rules *r, ot_error *err);
/* The sources of a stored version (malloc'd) in *out; *out NULL and OT_OK
 * when the store has no such version. */
ot_status store_get_version(ot_engine *e, const char *hash, char **out, ot_error *err);

/* ---- cases and events ---- */

/* The next case number of the day of `now`: "YYYYMMDD-NNNN". */
ot_status store_next_id(ot_engine *e, ot_time now, char id[32], ot_error *err);
/* Saves the event and the snapshot `state`: case_text of c, taken over
 * (kept or freed here, on failure too; NULL: out of memory).  The row's
 * other columns come from engine.h, the same for every backend:
 * case_row_item (an item's name, or "chain:NAME" for a chain case),
 * case_row_department, case_handlers, case_next_due.
 * `answer` (may be NULL): a new reference in *answer to the case's
 * snapshot as the operation's answer -- an empty object that stands for
 * the text, kept until the answer is written: store_saved_answer gives
 * the text itself as the answer when `compact`, else makes the indented
 * answer from it (json_indent), without a value made and written again.
 * Should the text be let go while *answer is still held (another case
 * saved in the same operation), *answer becomes the value then, read back
 * from the text (case_value); a caller that reads *answer itself calls
 * store_forget_saved first. */
ot_status store_save(ot_engine *e, const ot_case *c, json_t *event, char *state,
		     int is_new, json_t **answer, ot_error *err);
/* The answer's text, as above, when `answer` is the one that stands for
 * the saved text; NULL when it is another value.  store_forget_saved lets
 * the text go: at the start and end of an operation. */
char *store_saved_answer(ot_engine *e, const json_t *answer, int compact);
void store_forget_saved(ot_engine *e);
/* The case's item, rule version, stored status and number of events
 * (*events: the highest event number, 0 if none).  OT_ENOTFOUND when
 * there is no such case; OT_ESTORE when it has events but no row.
 * `after`: the store_events call that may follow will ask for the events
 * after that one (a backend may read them in the same round trip). */
ot_status store_case_head(ot_engine *e, const char *id, int after, char item[256],
			  char hash[65], char status[32], int *events, ot_error *err);
/* The case's events after event number `after` (0: all), in order (*out: a
 * new reference).  Events numbered with a gap, or not JSON objects, are
 * damage (OT_ESTORE). */
ot_status store_events(ot_engine *e, const char *id, int after, json_t **out, ot_error *err);
/* Loads a case by replaying all its events from nothing (store check does
 * so for every case).  OT_ENOTFOUND if none; OT_ESTORE if it cannot be
 * read or its events do not replay. */
ot_status case_rebuild(ot_engine *e, const char *id, ot_case **out, ot_error *err);
/* Loads a case for an operation: the engine's copy of it from an earlier
 * operation (case_cache.c) when the store has no event it has not
 * applied, brought up to date with the events it has not seen (another
 * engine's), or else rebuilt as case_rebuild does.  The same errors. */
ot_status case_load(ot_engine *e, const char *id, ot_case **out, ot_error *err);

/* What case_head_read finds of a case in the store. */
typedef struct case_head {
	const struct version *v; /* its rule version */
	int item, chain;         /* an item's index, or a chain's (the other -1) */
	int events;              /* how many events the store has */
	char status[32];         /* the stored status */
} case_head;
/* The case's row and its number of events; `after`: the events the caller
 * already has (a backend may read those after it at once). */
ot_status case_head_read(ot_engine *e, const char *id, int after, case_head *h, ot_error *err);
/* A new case of h's item or chain, before its first event. */
ot_case *case_empty(const case_head *h, const char *id);
/* Applies the stored events c has not applied yet (those after c->events). */
ot_status case_catch_up(ot_engine *e, ot_case *c, ot_error *err);
/* c->stored_status from h. */
void case_note_stored(ot_case *c, const case_head *h);
/* Which cases a list asks for, a page at a time (NULL: any). */
typedef struct store_query {
	const char *status, *item;
	const char *department;   /* the item's department, or one handling a step */
	const char *applicant;    /* ID number or credit code */
	const char *due_before;   /* "YYYY-MM-DD": only cases with a due date (theirs
				     or an active step's) before this day */
	const char *after;        /* the cursor of the page before; NULL: from the start */
	int limit;                /* 1 .. STORE_PAGE_MAX */
	const char *also[3];      /* further statuses that match, besides `status`
				     (overdue: received, suspended, checking); NULL:
				     none */
} store_query;

#define STORE_PAGE_DEFAULT 100
#define STORE_PAGE_MAX 1000
#define STORE_CURSOR_MAX 64

/* One page of the snapshots of the cases matching q, in the order of their
 * ids (*out: a new reference), and in `next` the cursor of the next page
 * ("" when this is the last).  Memory is a page's, however large the store;
 * due_before is answered from an index.  A snapshot that is not JSON is
 * damage (OT_ESTORE). */
ot_status store_list(ot_engine *e, const store_query *q, json_t **out,
		     char next[STORE_CURSOR_MAX], ot_error *err);

/* ---- the material and licence libraries ---- */

ot_status store_library_add(ot_engine *e, const char *applicant,
			    const char *material, const char *case_id,
			    ot_time from, ot_time until, ot_error *err);
/* A library_fn: a failure is kept for store_settle. */
const char *store_library_find(void *e, const char *applicant,
			       const char *material, ot_time now);
/* Adds the licence, or replaces the holder's of its material and number. */
ot_status store_licence_put(ot_engine *e, const licence *l, ot_error *err);
ot_status store_licence_keep(ot_engine *e, const char *holder, const char *material,
			     const char *number, ot_time now, ot_error *err);
int store_licence_term(ot_engine *e, const char *holder, const char *material,
		       const char *number, ot_time *from, ot_time *term, ot_error *err);
ot_status store_licence_back(ot_engine *e, const char *holder, const char *material,
			     const char *number, ot_time term, ot_error *err);
/* The holder's licence for material at `now`: 1 valid, 2 only an expired
 * one (until says when it expired), 0 none, -1 the store failed (kept for
 * store_settle too). */
int store_licence_find(ot_engine *e, const char *holder, const char *material,
		       ot_time now, char number[REF_CAP], ot_time *until);
/* A person or company as the store keys them (the applicant column of
 * cases and of the material library, the licences' holder):
 * 11010519491231002x and ...002X are one person.  Requests are read in
 * upper case already; cases and libraries of stores before version 7 were
 * not, and their events keep the number as it was typed. */
const char *store_holder_key(const char *holder, char out[64]);
/* For backends: the licences of one holder valid by one time, read once
 * a transaction (sq_licence_find in store_sqlite.c says why) and kept
 * until what the transaction reads may change. */
#define STORE_HELD 8
typedef struct store_held {
	int valid;                 /* 0: read them again */
	char holder[64];
	ot_time now;
	int n;                     /* -1: more than STORE_HELD, asked one by one */
	struct store_held_row {
		char material[64], number[REF_CAP];
		ot_time until;     /* -1: no end */
		int damaged;       /* its number unreadable */
	} row[STORE_HELD];
} store_held;

/* Whether h holds `holder`'s licences valid by `now`. */
int store_held_for(const store_held *h, const char *holder, ot_time now);
/* h emptied to be read for `holder` at `now`; the backend sets h->valid
 * once the read succeeded. */
void store_held_start(store_held *h, const char *holder, ot_time now);
/* A row read for h (number NULL: unreadable); 0 when h cannot keep it
 * (more than STORE_HELD, or a name longer than kept): h->n is then -1 and
 * the holder's licences are asked material by material. */
int store_held_add(store_held *h, const char *material, const char *number, ot_time until);

/* The licence of one material among several: the best by store_lic_better
 * (licence_find's answer: 1 valid, 2 expired, 0 none), and whether one
 * was damaged. */
typedef struct store_lic_pick {
	int found, damaged;
} store_lic_pick;
void store_lic_consider(store_lic_pick *p, const char *text, ot_time u, ot_time now,
			char number[REF_CAP], ot_time *until);
/* h's licences of material, considered */
void store_held_pick(const store_held *h, const char *material, ot_time now, store_lic_pick *p,
		     char number[REF_CAP], ot_time *until);

/* All licences of a holder, oldest first (*out: a new reference). */
ot_status store_licences_of(ot_engine *e, const char *holder, json_t **out, ot_error *err);

/* ---- moving a store ---- */

/* A table every backend keeps with the same columns: `columns` in the
 * order rows have them, the first `nkey` of them its key. */
typedef struct store_table {
	const char *name;
	const char *columns; /* "a, b, c" */
	int ncolumns, nkey;
	/* read in the order of the event feed (each backend's own), not by
	 * the key, so that a copy's feed keeps the order of the commits: a
	 * row then has one more value after its columns, its place */
	int by_feed;
} store_table;

/* Every table, in an order that writes what a row refers to first. */
extern const store_table store_layout[];
extern const size_t store_layout_n;

/* Copies every row of the store `from` into the empty store `to` (created
 * and migrated as needed) in one transaction of `to`, then verifies the
 * copy: the same number of rows in every table, and `to` sound by
 * store_check (every case replayed from its events).  *report (a new
 * reference): {"from", "to", "tables": {NAME: rows}, "cases", "events",
 * "verified": true}.  OT_ESTORE when `to` is not empty, or a store fails;
 * then nothing was written to `to` but what migrating it needs. */
ot_status store_copy_uri(store_backends b, const char *from, const char *to, json_t **report,
			 ot_error *err);

/* ---- idempotency keys (a service's safe retries) ---- */

/* The answer kept for `key` (malloc'd, in *response; NULL when there is
 * none, or it expired before now_s, seconds since the epoch), and the
 * fingerprint and the operation of the request that got it. */
ot_status store_idem_get(ot_engine *e, const char *key, long long now_s, char fingerprint[65],
			 char op[32], char **response, ot_error *err);
/* Keeps an answer under `key` until expires_s, in the operation's
 * transaction (so it is kept exactly when the operation is); keys expired
 * by now_s are dropped on the way. */
ot_status store_idem_put(ot_engine *e, const char *key, const char *fingerprint, const char *op,
			 const char *response, long long now_s, long long expires_s,
			 ot_error *err);

/* ---- the event feed ---- */

/* Which events a feed asks for: those recorded after the cursor `after`
 * (0: from the start), in the order they were recorded. */
typedef struct store_feed_query {
	long long after;
	const char *department; /* only cases of this department or with a step of it */
	const char *client;     /* only cases this client submitted */
	int limit;              /* 1 .. STORE_PAGE_MAX */
} store_feed_query;

/* One page of events: [{"cursor", "case", "seq", "at", "op", "actor",
 * "item", "status"}] (status: the case's now) in *out (a new reference),
 * and in *next the cursor of the last one (`after` when there is none). */
ot_status store_feed(ot_engine *e, const store_feed_query *q, json_t **out, long long *next,
		     ot_error *err);
/* For a backend's feed: a `warn` event's entry gets "warning": {"level",
 * "target", "due", "department", "step"|"material"|"procedure"} from its
 * payload (text), so a window client need not show the case to know. */
/* For backends: one event of the feed from its row (warning: the warn
 * event's payload, or NULL).  A chain case's item column, "chain:NAME",
 * is said as "chain": NAME.  NULL when out of memory. */
json_t *store_feed_entry(long long cursor, const char *case_id, long long seq, const char *at,
			 const char *op, const char *actor, const char *item, const char *status,
			 const char *warning);
/* {"STATUS": n, ...}: how many cases have each status (a new reference). */
ot_status store_counts(ot_engine *e, json_t **out, ot_error *err);

/* ---- the time sweep (sweep.c) ---- */

/* Claims up to `limit` cases (ids[0..*n)) whose warn_at column (the first
 * day a warning falls due, case_warn_at) is on or before `today`, in the
 * order of that day and the id, after *pos, which it moves to the last
 * one claimed: they are the operation's until it ends.  A sweep goes on
 * from there, so cases it claimed but could not warn (dated after the
 * sweep, unreadable) cannot take every batch.  On
 * PostgreSQL the rows are locked FOR UPDATE SKIP LOCKED, so engines
 * sweeping at once each take other cases; on SQLite the operation holds
 * the write lock, so one sweeps at a time.  Call inside a transaction
 * begun not deferred. */
ot_status store_claim(ot_engine *e, const char *today, store_claim_pos *pos, int limit,
		      char (*ids)[32], int *n, ot_error *err);
/* For the backends: one claimed row, its id and warn_at as read, into `id`
 * and *pos; OT_ESTORE (damaged) when either cannot be one. */
ot_status store_claimed(ot_engine *e, const char *id, const char *warn_at, store_claim_pos *pos,
			char id_out[32], ot_error *err);
/* Writes c's warn_at column again (case_warn_at, SWEEP_INDEX_WORKDAYS)
 * without an event: for a claimed case that needed no warning after all
 * (the column was written with other settings, or the sweep's window is
 * narrower than the index's). */
ot_status store_warn_at(ot_engine *e, const ot_case *c, ot_error *err);

/* ---- checking ---- */

/* Checks the whole store (`onetrip store check`): the backend's own
 * integrity checks, every rule version compiled back from its sources,
 * every case replayed from its events and compared with its snapshot, the
 * case counters.  *report (a new reference):
 * {"store", "sound", "schema", "rule_versions", "cases", "events",
 *  "problems": [{"case"?, "problem"}], "more_problems"?}.  OT_OK whenever the
 * check ran, sound or not. */
ot_status store_check(ot_engine *e, json_t **report, ot_error *err);
/* The same on a store named by `uri`, opened on its own (nothing created or
 * migrated); a store that cannot even be opened is reported as unsound
 * when the backend can tell it is damaged. */
ot_status store_check_uri(store_backends b, const char *uri, json_t **report, ot_error *err);

#endif
