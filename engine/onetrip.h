/*
 * onetrip.h -- the public API of the onetrip rules engine.
 *
 * This is the one header an intake system, the CLI or a test includes.
 * Everything else in the tree is internal.
 *
 * Conventions
 *  - Every name is prefixed `ot_`; handles are opaque.  Every function
 *    declared here carries OT_API: the library exports nothing else.
 *  - Functions return an ot_status; nothing exits, nothing prints.
 *  - Ownership: a function that returns a handle or a `char *` through an
 *    out-parameter transfers ownership to the caller.  Handles are freed
 *    with their own *_free function; strings with free() (they come from
 *    malloc, like jansson's json_dumps).  Pointers obtained from a handle
 *    (names, diagnostics) are borrowed and live as long as the handle.
 *  - All text is UTF-8.
 *  - Threads: a compiled rule base (ot_rules) is immutable and may be used
 *    by any number of threads and engines at once (ot_rules_ref counts the
 *    holders; each ot_rules_free drops one).  An engine (ot_engine) is used
 *    by one thread at a time: give each thread an engine of its own, on the
 *    same shared rules and the same store (the store serialises writers;
 *    tests/unit/test_threads.c runs this under ThreadSanitizer).  Diagnostics
 *    (ot_diags) belong to one thread.
 */
#ifndef ONETRIP_H
#define ONETRIP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The version.  These three numbers are the only place it is written:
 * CMake reads them (the project version, the shared library's SONAME
 * libonetrip.so.MAJOR), and the two macros below are made from them.
 */
#define OT_VERSION_MAJOR 0
#define OT_VERSION_MINOR 1
#define OT_VERSION_PATCH 0

#define OT_STR_(x) #x
#define OT_XSTR_(x) OT_STR_(x)
/* "0.1.0": a string literal (adjacent literals, joined by the compiler) */
#define OT_VERSION \
	OT_XSTR_(OT_VERSION_MAJOR) "." OT_XSTR_(OT_VERSION_MINOR) "." OT_XSTR_(OT_VERSION_PATCH)
/* MAJOR*1000000 + MINOR*1000 + PATCH, as SQLITE_VERSION_NUMBER: 1000 for
 * 0.1.0, 1002003 for 1.2.3.  For #if and for comparing with the library. */
#define OT_VERSION_NUMBER \
	(OT_VERSION_MAJOR * 1000000 + OT_VERSION_MINOR * 1000 + OT_VERSION_PATCH)

/*
 * Marks the public API.  The library is compiled with -fvisibility=hidden,
 * so only what carries OT_API is exported from libonetrip.so (and stays
 * global in the installed libonetrip.a); every other name is internal.
 */
#ifndef OT_API
#if defined(__GNUC__) || defined(__clang__)
#define OT_API __attribute__((visibility("default")))
#else
#define OT_API
#endif
#endif

/*
 * The version of the library linked at run time (OT_VERSION and
 * OT_VERSION_NUMBER are those of the header compiled against): a program
 * can refuse to run when they differ, e.g.
 *   if (ot_version_number() / 1000 != OT_VERSION_NUMBER / 1000) ...
 */
OT_API const char *ot_version(void);
OT_API int ot_version_number(void);

typedef enum ot_status {
	OT_OK = 0,
	OT_ERULES, /* the rule base has errors: see the diagnostics */
	OT_EIO,    /* a path given by the caller cannot be read */
	OT_ENOMEM, /* the allocator failed; nothing was leaked */
	OT_EINVAL, /* a bad argument or request */
	OT_ENOTFOUND, /* no such case, item, step ... */
	OT_ESTATE, /* not possible in the case's current state */
	OT_EACTOR, /* the actor may not do this (another department's step) */
	OT_ESTORE, /* the store failed (disk, corruption, busy for too long) */
	OT_EHOOK   /* a hook failed: the message has its file:line and traceback */
} ot_status;

OT_API const char *ot_status_name(ot_status s);

/*
 * The allocator hook, with Lua's contract: nsize == 0 frees ptr and returns
 * NULL; otherwise it behaves as realloc(ptr, nsize) and returns NULL on
 * failure (osize is the old size, 0 for a new block).  Tests use it to count
 * allocations and to fail the Nth one.
 */
typedef void *(*ot_alloc_fn)(void *ud, void *ptr, size_t osize, size_t nsize);

typedef struct ot_compile_options {
	ot_alloc_fn alloc; /* NULL: malloc/free */
	void *alloc_ud;
	int strict;        /* warnings count as errors */
} ot_compile_options;

/* ---- diagnostics ---- */

typedef enum ot_severity { OT_ERROR, OT_WARNING } ot_severity;

typedef struct ot_diag {
	const char *file;         /* as the user named it, or relative to it */
	int line, col;            /* 1-based; col counts characters, not bytes */
	int end_line, end_col;    /* last character of the span, inclusive */
	ot_severity severity;
	const char *code;         /* stable: "E101", "W401" ... */
	const char *message;
	const char *hint;         /* how to fix it; may be NULL */
	const char *source_line;  /* the text of `line`, for carets; may be NULL */
} ot_diag;

typedef struct ot_diags ot_diags;

OT_API size_t ot_diags_count(const ot_diags *d);
OT_API const ot_diag *ot_diags_get(const ot_diags *d, size_t i); /* sorted by place */
OT_API size_t ot_diags_errors(const ot_diags *d);
OT_API size_t ot_diags_warnings(const ot_diags *d);

enum { OT_RENDER_COLOR = 1 };
/* Compiler-style text: "file:line:col: error[E101]: ...", the source line,
 * a caret under the span and the hint.  Returns NULL on allocation failure. */
OT_API char *ot_diags_render(const ot_diags *d, unsigned flags);
/* A JSON array of objects: file, line, col, end_line, end_col, severity,
 * code, message, hint. */
OT_API char *ot_diags_json(const ot_diags *d);
OT_API void ot_diags_free(ot_diags *d);

/* ---- rule bases ---- */

typedef struct ot_rules ot_rules;

/*
 * Compiles a rule base from files and directories (directories are searched
 * recursively for *.rules, in name order).  All paths form one rule base with
 * one namespace; `use` pulls in further files, each loaded once.
 *
 * On OT_OK *out is the compiled rule base; otherwise *out is NULL.  *diags
 * always receives the diagnostics (possibly empty) unless the allocator
 * failed (OT_ENOMEM: *diags is NULL).  A path that cannot be read yields
 * OT_EIO (with a diagnostic) even if other errors were found too.
 */
OT_API ot_status ot_rules_compile(const char *const *paths, size_t npaths,
				  const ot_compile_options *opt, ot_rules **out,
				  ot_diags **diags);

/* The same from text in memory; `name` is used in diagnostics and as the
 * base for relative `use` paths. */
OT_API ot_status ot_rules_compile_text(const char *name, const char *text, size_t len,
				       const ot_compile_options *opt, ot_rules **out,
				       ot_diags **diags);

/* Every source of the rule base as one JSON text: {"roots": [path...],
 * "files": {path: text}, "hooks": {path: text}}, paths canonical.  The
 * store keeps it so a case can continue under its own rule version after
 * the files changed or were deleted. */
OT_API const char *ot_rules_sources(const ot_rules *r);

/* Compiles a rule base from ot_rules_sources() text; the result has the
 * same hash as the original.  OT_EINVAL if the text is not such JSON. */
OT_API ot_status ot_rules_compile_sources(const char *sources,
					  const ot_compile_options *opt, ot_rules **out,
					  ot_diags **diags);

/* SHA-256 of the canonical token stream of every source (see
 * docs/engine.md): 64 lowercase hex digits. */
OT_API const char *ot_rules_hash(const ot_rules *r);

/* Everything a portal or a summary needs to list the rule base, as JSON:
 * {"hash", "departments": [...], "materials": [...], "forms": [...],
 *  "items": [...], "chains": [...], "calendars": [...]}. */
OT_API char *ot_rules_describe(const ot_rules *r);

/* The version of the item `name` that an application received at `now`
 * is judged by (`in_force`, `replaces`: docs/language.md 6.6): `name`
 * itself, a version it replaces or one that replaces it.  `now` is ISO
 * 8601, a time or a date, in the rule base's zone when it has no offset.
 * NULL when no version is in force on that day, there is no item `name`
 * or `now` is not a time.  The name is r's (valid while r is).  A version
 * is in force on a day when it is its own answer: what a summary of the
 * items offered that day counts. */
OT_API const char *ot_rules_item_in_force(const ot_rules *r, const char *name, const char *now);

/* Another holder of r: returns r.  Each holder calls ot_rules_free once;
 * the last one frees it. */
OT_API ot_rules *ot_rules_ref(ot_rules *r);
OT_API void ot_rules_free(ot_rules *r);

/* ---- the case engine ---- */

/*
 * An engine runs cases on a rule base and keeps them in a store (an SQLite
 * file, created and migrated when absent; ":memory:" works).  Every
 * operation takes a JSON request and returns a JSON response; each happens
 * in one transaction, fully or not at all.  Requests carry "now" (ISO 8601;
 * without an offset it is the rule base's local time, UTC+8), so behaviour
 * is deterministic.  See docs/engine.md for every request and response.
 */
typedef struct ot_engine ot_engine;

typedef struct ot_error {
	ot_status status;
	char message[512]; /* one line, personal data masked */
} ot_error;

/* Everything an engine is opened with.  Fill it with
 * ot_engine_config_init(), then set what differs from the defaults: new
 * fields get defaults there, so a program written today keeps working.
 * Fields are only ever added at the end: the init records which of them
 * the program's header had (`version`), and the library reads no others. */
typedef struct ot_engine_config {
	int version;               /* set by ot_engine_config_init: the
				      fields the program knows */
	/* the rule base: `rules` (shared: the engine takes a reference), or
	 * else compiled from `rules_path` (a file or directory) */
	ot_rules *rules;
	const char *rules_path;
	/* the store URI: "sqlite:PATH", a bare PATH (SQLite), ":memory:" */
	const char *store;
	/* the allocator the rules are compiled with (NULL: malloc) */
	ot_alloc_fn alloc;
	void *alloc_ud;
	/* where the engine says what an operator should know (a failed
	 * operation, a lost race for the store): one line each, ID numbers
	 * masked.  NULL: nowhere. */
	void (*log)(void *ud, const char *line);
	void *log_ud;
	/* limits: how long a store held by another writer is waited for
	 * before the operation fails with OT_ESTORE "busy" (default 10000 ms;
	 * keep it above the rule base's hook_limits time_ms) */
	int busy_ms;
	/* how many cases the engine keeps in memory between operations, so
	 * an operation reads only the events its copy has not seen (default
	 * 256; 0: none, every operation replays its case's events).  Exact
	 * with other engines on the same store: docs/engine.md §9.5 */
	int case_cache;
	/* the time sweep (ot_sweep): a yellow warning (黄牌) once a deadline
	 * is within this many working days, from -1 (none: only red once it
	 * has passed) to 30; default 1 */
	int warn_workdays;
	/* the answers of the operations written compact, on one line, as
	 * JSON_COMPACT (a service whose clients read JSON, not people): a
	 * write's answer is then its case's snapshot as stored, written once
	 * for both.  Default 0: indented by two spaces */
	int compact_answers;
	/* 1: the store must be there already: a SQLite file that is not fails
	 * the open (OT_ESTORE "no store at PATH: ...") instead of becoming a
	 * new, empty store.  For a program that only reads (a list, a report
	 * of what is overdue), which on a mistyped path would answer "no
	 * cases", as if all were well.  A store of an older schema is still
	 * brought up to date.  On PostgreSQL, a schema that holds no store
	 * fails the same way (a mistyped schema=).  Default 0: a new store is
	 * made */
	int open_existing;
} ot_engine_config;

/* 1: the fields up to warn_workdays; 2: compact_answers, open_existing */
#define OT_ENGINE_CONFIG_VERSION 2

/* Fills *c (of `size` bytes: the program's sizeof) with the defaults.
 * Call it as ot_engine_config_init(c), which passes the size; the
 * function of that name, called by programs built before version 2, fills
 * a version 1 configuration. */
OT_API void ot_engine_config_init(ot_engine_config *c);
OT_API void ot_engine_config_init_sized(ot_engine_config *c, size_t size);
#define ot_engine_config_init(c) ot_engine_config_init_sized((c), sizeof *(c))
OT_API ot_status ot_engine_open_config(const ot_engine_config *c, ot_engine **out,
				       ot_error *err);

/* The same with the rule base at rules_path and the store at db_path. */
OT_API ot_status ot_engine_open(const char *rules_path, const char *db_path,
				ot_engine **out, ot_error *err);
OT_API void ot_engine_close(ot_engine *e);
/* The current rule version (borrowed). */
OT_API const ot_rules *ot_engine_rules(const ot_engine *e);

/* The operations.  *response receives malloc'd JSON (free() it). */
OT_API ot_status ot_assess(ot_engine *e, const char *request, char **response, ot_error *err);
OT_API ot_status ot_submit(ot_engine *e, const char *request, char **response, ot_error *err);
OT_API ot_status ot_supplement(ot_engine *e, const char *request, char **response, ot_error *err);
OT_API ot_status ot_act(ot_engine *e, const char *request, char **response, ot_error *err);
OT_API ot_status ot_suspend(ot_engine *e, const char *request, char **response, ot_error *err);
OT_API ot_status ot_resume(ot_engine *e, const char *request, char **response, ot_error *err);
OT_API ot_status ot_deliver(ot_engine *e, const char *request, char **response, ot_error *err);
OT_API ot_status ot_withdraw(ot_engine *e, const char *request, char **response, ot_error *err);
/* Time as the law counts it (docs/engine.md §3): the acceptance decision
 * (受理 / 不予受理), an extension of the legal limit (延期), a special
 * procedure (特别程序) started and ended. */
OT_API ot_status ot_accept(ot_engine *e, const char *request, char **response, ot_error *err);
OT_API ot_status ot_refuse(ot_engine *e, const char *request, char **response, ot_error *err);
OT_API ot_status ot_extend(ot_engine *e, const char *request, char **response, ot_error *err);
OT_API ot_status ot_procedure_start(ot_engine *e, const char *request, char **response,
				    ot_error *err);
OT_API ot_status ot_procedure_end(ot_engine *e, const char *request, char **response,
				  ot_error *err);
/* 告知承诺: the check after approval finds the pledge kept or untrue. */
OT_API ot_status ot_pledge_check(ot_engine *e, const char *request, char **response,
				 ot_error *err);
OT_API ot_status ot_show(ot_engine *e, const char *request, char **response, ot_error *err);
OT_API ot_status ot_list(ot_engine *e, const char *request, char **response, ot_error *err);
OT_API ot_status ot_overdue(ot_engine *e, const char *request, char **response, ot_error *err);
/* The time sweep (电子监察 预警): claims up to "limit" cases whose deadline
 * is near or passed on "now"'s day and records each warning once, as a
 * `warn` event, in one transaction; "more": true when another batch may
 * have work.  Several engines may sweep one store at once. */
OT_API ot_status ot_sweep(ot_engine *e, const char *request, char **response, ot_error *err);

/* The same, by name ("assess", "submit", ...): for the CLI and bindings.
 * Operations that exist only by name: "licences_import" (licences issued
 * elsewhere into the electronic licence library), "licences" (a holder's
 * licences), "events" (the event feed: {"after", "limit", "department",
 * "client"} -> {"events": [...], "next"}) and "counts" (cases by status);
 * see docs/engine.md. */
OT_API ot_status ot_call(ot_engine *e, const char *op, const char *request,
			 char **response, ot_error *err);

/*
 * Safe retries: a write sent again with the same key answers what the
 * first one answered, and changes nothing, for keep_seconds (one day when
 * 0) after it -- also across processes, since the answer is kept in the
 * store, in the operation's own transaction.  Only answers of operations
 * that succeeded are kept: a refused one changed nothing and can be sent
 * again as it is.  The same key with another request is refused
 * (OT_EINVAL).  Keys are the caller's: a service prefixes them with its
 * client's name so clients cannot meet.  A read runs as ot_call.
 */
typedef struct ot_idempotency {
	const char *key;         /* 1 .. 255 characters */
	const char *fingerprint; /* what makes two requests the same one; NULL: the request text */
	long keep_seconds;
	int replayed;            /* out: 1 when the answer is the first one's */
} ot_idempotency;

OT_API ot_status ot_call_idempotent(ot_engine *e, const char *op, const char *request,
				    ot_idempotency *key, char **response, ot_error *err);

/*
 * Group commit: several operations in one transaction with one commit (one
 * fsync for all), each in a savepoint of its own, so a refused one changes
 * nothing and the others go on.  Each item's answer stands only if the
 * commit succeeds: when it fails, every item fails with the commit's error
 * and nothing was kept.  The store's write lock is held for the whole
 * batch (the hooks of every item run under it, each within its time
 * limit).  An item that lost a race to another engine's transaction (on
 * PostgreSQL, two servers' batches taking the same cases in other orders)
 * runs again on its own once the batch is committed, as ot_call runs a
 * first try again.  Returns the commit's status.
 */
typedef struct ot_batch_item {
	const char *op;          /* in: "submit", "act", ... */
	const char *request;     /* in: the JSON request */
	ot_idempotency *key;     /* in: NULL, or a key as for ot_call_idempotent */
	char *response;          /* out: malloc'd JSON on OT_OK (free() it), else NULL */
	ot_status status;        /* out */
	ot_error err;            /* out: why, when status is not OT_OK */
} ot_batch_item;

OT_API ot_status ot_call_batch(ot_engine *e, ot_batch_item *items, size_t n, ot_error *err);

/* ---- the store ---- */

/*
 * Checks a store file on its own, without a rule base (`onetrip store
 * check`): SQLite's integrity and foreign key checks, every stored rule
 * version compiled back from its sources, every case replayed from its
 * events and compared with its snapshot.  Nothing is created, migrated or
 * changed.  On OT_OK *report is malloc'd JSON (free() it):
 *   {"store", "sound": true|false, "schema", "rule_versions", "cases",
 *    "events", "problems": [{"case": ID (when it concerns one), "problem"}],
 *    "more_problems": N (only when more than 500 were found)}
 * A file SQLite cannot read at all (its first page damaged) is reported
 * too, as unsound.  Other failures return OT_ESTORE (no such file, not a
 * onetrip store, a store of another schema version) or OT_ENOMEM.  The
 * same check runs on an open engine as ot_call(e, "store_check", "{}", ...).
 */
OT_API ot_status ot_store_check(const char *db_path, char **report, ot_error *err);

/* Copies the store `from` into the new, empty store `to` (store URIs of
 * either backend: `sqlite:PATH`, a bare path, `postgresql://...`): every
 * rule version, case, event, material library entry, licence, case
 * counter and idempotency key, in one transaction of `to`; then verifies the copy (the same
 * number of rows in every table, every case of `to` replayed from its
 * events and compared with its snapshot).  *report (malloc'd JSON):
 * {"from", "to", "tables": {"cases": N, ...}, "cases", "events_replayed",
 * "verified": true}.  OT_ESTORE when `to` is not empty or a store fails:
 * `to` then has no rows.  Nothing is written to `from`. */
OT_API ot_status ot_store_copy(const char *from, const char *to, char **report, ot_error *err);

/* Masks, in place, every resident ID number and unified social credit
 * code in text, as ot_error messages are: 1101**********002X (the first 4
 * and last 4 characters kept, the length unchanged).  Numbers glued to
 * other letters or digits are found too.  For a program that prints text
 * taken from its input (a JSON parser's error quotes it). */
OT_API void ot_mask_ids(char *text);

#ifdef __cplusplus
}
#endif
#endif
