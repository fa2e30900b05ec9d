/*
 * serve.h -- `onetrip serve`: the engine as an HTTP service.  Internal to
 * the tool; built on the public API (onetrip.h), and on the engine's UTF-8
 * check (base.h's utf8_valid and utf8_seq_len) for what a request carries.
 *
 *   serve.c    options, the daemon (libmicrohttpd, a thread pool), an engine
 *              per worker thread, reload, shutdown, the long poll
 *   routes.c   the routes: scopes, the requests each makes of the engine,
 *              problem+json answers
 *   clients.c  the clients file: tokens as SHA-256 hashes, scopes
 *   guard.c    failed status-page lookups counted, guessing refused
 *   metrics.c  Prometheus counters and histograms, the access log
 *
 * Ownership: what a function returns through `out` or as `char *` is the
 * caller's (free()).  A request holds its own copy of its client
 * (sv_client), never a pointer into the clients table: a reload frees the
 * table it replaces at once.
 */
#ifndef OT_SERVE_H
#define OT_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "onetrip.h"

/* ---- clients and scopes ---- */

typedef enum sv_scope {
	SV_PORTAL,     /* assess, submit, supplement, withdraw, show: its own cases */
	SV_DEPARTMENT, /* act on steps of its department, its work list, its feed */
	SV_WINDOW,     /* the same, at one window of the department */
	SV_SUPERVISOR, /* read everything: cases, overdue, the feed, licences */
	SV_ADMIN,      /* reload, import licences, and read like a supervisor */
	SV__SCOPES
} sv_scope;

extern const char *const sv_scope_names[SV__SCOPES];

typedef struct sv_client {
	char name[64];
	sv_scope scope;
	char department[64]; /* department and window scopes */
	char window[64];     /* window scope */
	char token_sha256[65];
} sv_client;

typedef struct sv_clients sv_clients;

/* Reads a clients file (JSON, docs/service.md).  On failure returns NULL
 * with a message in why. */
sv_clients *sv_clients_load(const char *path, char *why, size_t cap);
void sv_clients_free(sv_clients *c);
/* Copies the client whose token has this SHA-256 (sv_sha256_hex) into
 * *out; 0 when there is none.  A copy, not a pointer: the table may be
 * freed by a reload while the request that asked still runs. */
int sv_clients_find(const sv_clients *c, const char hash[65], sv_client *out);
/* hex SHA-256 of text, 64 digits and a NUL */
void sv_sha256_hex(const char *text, size_t n, char out[65]);

/* ---- failed status-page lookups (guard.c) ---- */

/* Draws the secret the table's hash is keyed with; 0 when the system
 * gives no random bytes (the service then does not start). */
int sv_guard_init(void);

/* Seconds until a lookup of this case number or ID number may be tried
 * again after too many failures (0: now); `now` in seconds. */
long sv_guard_wait(const char *case_id, const char *id_no, long long now);
/* A lookup of them failed. */
void sv_guard_failed(const char *case_id, const char *id_no, long long now);

/* ---- metrics and the access log ---- */

/* The routes by name, for metrics ("/v1/cases/{id}"): an index. */
int sv_metrics_route(const char *name);
void sv_metrics_record(int route, int status, double seconds);
/* A sweep of this server's sweeper ended: failed or not, the warnings it
 * gave, when (seconds since the epoch). */
void sv_metrics_sweep(int failed, long yellow, long red, long long at);
/* Appends the Prometheus text of the counters to buf (malloc'd, *len). */
void sv_metrics_write(char **buf, size_t *len, size_t *cap);
void sv_buf_printf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;

/* ---- the server, as the routes see it ---- */

typedef struct sv_request {
	const char *method, *path;   /* path without the query */
	const char *body;            /* NUL-terminated, may be empty */
	size_t body_len;
	const sv_client *client;     /* NULL: no valid token; the request's own copy */
	int bad_token;               /* a token was given and is not known */
	const char *idem_key;        /* Idempotency-Key, or NULL */
	int last_try;                /* a long poll answers now, even with nothing new */
	/* the query string's arguments, looked up by name */
	const char *(*arg)(void *ud, const char *name);
	void *arg_ud;
} sv_request;

/* A write on its way to the store: made by the routes, run alone or with
 * others in one transaction (group commit, serve.c's committer), then
 * answered by sv_write_done.  Owns its texts. */
typedef struct sv_write {
	ot_batch_item item;      /* the operation and, once run, its result */
	ot_idempotency key;      /* item.key points here when there is one */
	char keytext[400];       /* "client:Idempotency-Key" */
	char opname[32];         /* item.op points here: the route's text is gone by the commit */
	char *request, *fingerprint;
	int created, mask;       /* 201 with Location; ID numbers masked */
	char client[64];         /* who sent it */
	struct sv_write *next;   /* the committer's queue */
	void *con;               /* the connection waiting for it */
} sv_write;

/* The answer of a write that has run (then frees w). */
struct sv_response;
void sv_write_done(sv_write *w, struct sv_response *out);
void sv_write_free(sv_write *w);

typedef struct sv_response {
	int status;
	const char *content_type;   /* NULL: application/json */
	char *body;                 /* malloc'd */
	size_t len;
	char location[128];         /* "" or the Location header */
	int replayed;               /* Idempotent-Replayed: true */
	char allow[64];             /* for 405 */
	long retry_after;           /* 429: seconds, for Retry-After */
	const char *route;          /* the route's name for metrics and the log */
	int long_poll;              /* events: nothing yet, wait (see serve.c) */
	sv_write *pending;          /* a write for the committer (see serve.c) */
} sv_response;

/* The engine of the calling worker thread, opened on the current rules
 * (reopened after a reload); NULL with err set when it cannot be opened. */
ot_engine *sv_engine(ot_error *err);
/* Compiles the rules again and makes them current; on failure the old ones
 * stay and *why says what is wrong (malloc'd JSON diagnostics or text). */
ot_status sv_reload(char **why);
/* The server's clock as text, UTC to the second (this thread's copy). */
const char *sv_now_text(void);
/* Wakes the long polls: an event was written. */
void sv_notify_write(void);
/* The options the routes need. */
typedef struct sv_options {
	long key_seconds;   /* how long idempotency keys are kept */
	int trust_now;      /* requests may carry "now" (tests, replays) */
	int poll_max_s;     /* the longest a long poll waits */
	size_t max_body;
	size_t max_header;
	int max_connections;
	int per_ip_connections; /* open at once from one address (0: any number) */
	int timeout_s;
	int batch_max;      /* group commit: most writes in one transaction (1: none) */
	int sweep_every_s;  /* the time sweep runs this often (0: never) */
	int warn_workdays;  /* its yellow warnings: a deadline this near (-1: none) */
} sv_options;
extern sv_options sv_opt;

/* Answers one request (routes.c).  Never fails: every error is a
 * problem+json answer. */
void sv_route(const sv_request *rq, sv_response *out);
/* An RFC 9457 problem answer. */
void sv_problem(sv_response *out, int status, const char *type, const char *title,
		const char *detail, const char *engine_status);

/* The embedded pages and the OpenAPI document (tools/serve/pages). */
typedef struct hook_source {
	const char *name, *text;
} hook_source;
extern const hook_source serve_pages[];

int cmd_serve(int argc, char **argv);

#endif
