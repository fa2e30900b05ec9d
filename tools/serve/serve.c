/*
 * serve.c -- `onetrip serve`: the daemon around the routes.
 *
 * GNU libmicrohttpd runs a pool of worker threads; each worker opens an
 * engine of its own (one store connection) on the shared compiled rules
 * the first time it answers, and again after a reload.  A reload compiles
 * the rules once and bumps a generation number: a worker finishes the
 * request it has on its old engine and takes the new rules with its next
 * one, so no request in flight is dropped, new cases get the new version
 * and running cases keep theirs (the engine loads each case's version
 * from the store).
 *
 * A long poll of the feed (GET /v1/events?wait=S) that finds nothing is
 * suspended (MHD_suspend_connection), not parked on a worker: a notifier
 * thread resumes the waiting polls after every write of this process and
 * every quarter second (for writes of other processes), and each asks
 * the store again until something came or its time is up.
 *
 * Writes go to one committer thread (group commit): it takes every write
 * queued at that moment, up to --group-commit, and runs them in one
 * transaction with one commit (ot_call_batch), each in a savepoint of its
 * own; the connections wait suspended and are answered after the commit.
 * While one batch syncs, the next one gathers: under load, many writes
 * share an fsync.
 *
 * A sweeper thread runs the time sweep (ot_sweep, 电子监察 预警) when the
 * service starts and every --sweep-every seconds, with an engine of its
 * own: warnings of deadlines near or passed go into the cases' events, and
 * so to the feed.  Several servers on one PostgreSQL store sweep at once
 * safely: each claims other cases (FOR UPDATE SKIP LOCKED).
 *
 * Signals are taken by the main thread alone (sigwait): SIGHUP reloads,
 * SIGTERM and SIGINT stop accepting, let the requests in flight finish
 * (at most --timeout seconds), then stop.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <jansson.h>
#include <microhttpd.h>

#include "base.h" /* utf8_seq_len, utf8_valid */
#include "serve.h"

sv_options sv_opt = {86400, 0, 30, 1 << 20, 8192, 256, 64, 30, 64, 300, 1};

static struct {
	const char *rules_path, *store, *clients_path, *listen, *access_log, *port_file;
	int threads;
} cfg = {"rules", "var/onetrip.db", NULL, "127.0.0.1:8080", "-", NULL, 4};

static const char usage_serve[] =
	"usage: onetrip serve [OPTIONS]        the engine as an HTTP service (docs/service.md)\n"
	"       onetrip serve token            a new random client token and its SHA-256\n"
	"       onetrip serve hash TOKEN       the SHA-256 of a token, for the clients file\n"
	"\n"
	"  --rules PATH          the rule base (default rules)\n"
	"  --db URI              the store (default var/onetrip.db)\n"
	"  --clients FILE        the clients and their scopes (JSON; required)\n"
	"  --listen HOST:PORT    where to listen (default 127.0.0.1:8080; port 0: any free one)\n"
	"  --port-file FILE      write the port listened on to FILE\n"
	"  --threads N           worker threads, each with its engine (default 4)\n"
	"  --max-body BYTES      largest request body (default 1048576): 413\n"
	"  --max-header BYTES    largest request header (default 8192): 431\n"
	"  --max-connections N   connections answered at once (default 256): 503 beyond\n"
	"  --per-ip-connections N connections open at once from one address (default 64;\n"
	"                        0: any): more are closed unanswered (behind a proxy: 0)\n"
	"  --timeout SECONDS     idle connection and store wait limit (default 30): 503\n"
	"  --key-ttl SECONDS     how long idempotency keys are kept (default 86400)\n"
	"  --poll-max SECONDS    the longest a long poll of /v1/events waits (default 30)\n"
	"  --access-log FILE     JSON lines, ID numbers masked (default -: standard error)\n"
	"  --group-commit N      most writes committed together, one fsync (default 64; 1: each alone)\n"
	"  --sweep-every SECONDS the time sweep (warnings of deadlines near or passed) runs\n"
	"                        at the start and this often (default 300; 0: never)\n"
	"  --warn-workdays N     its yellow warning: a deadline within N working days\n"
	"                        (default 1; -1: red ones only)\n"
	"  --trust-now           requests may carry \"now\" (tests and replays only)\n";

/* ---- rules, clients and the engines of the workers ---- */

static pthread_mutex_t state = PTHREAD_MUTEX_INITIALIZER;
static ot_rules *rules;       /* the current rules (one reference) */
static atomic_uint generation; /* bumped by each reload, under `state` too */
static sv_clients *clients;   /* the current clients: requests copy theirs out */
static ot_engine **engines;   /* every worker's engine, closed at the end */
static size_t nengines, engines_cap;

static _Thread_local ot_engine *my_engine;
static _Thread_local unsigned my_generation;

static void engine_log(void *ud, const char *line)
{
	(void)ud;
	fprintf(stderr, "onetrip serve: %s\n", line);
}

static ot_status compile_rules(ot_rules **out, char **why)
{
	ot_diags *d = NULL;
	const char *path = cfg.rules_path;
	ot_status s = ot_rules_compile(&path, 1, NULL, out, &d);
	if (s != OT_OK && why && d) {
		char *text = ot_diags_render(d, 0);
		size_t n = text ? strlen(text) : 0;
		/* the first diagnostic is enough for a problem's detail */
		char *nl = text ? strchr(text, '\n') : NULL;
		if (nl)
			*nl = 0;
		(void)n;
		*why = text;
	}
	ot_diags_free(d);
	return s;
}

ot_engine *sv_engine(ot_error *err)
{
	/* the usual case without a lock: no reload since this worker's engine */
	if (my_engine && my_generation == atomic_load(&generation))
		return my_engine;
	pthread_mutex_lock(&state);
	ot_rules *r = ot_rules_ref(rules);
	unsigned g = generation;
	pthread_mutex_unlock(&state);
	ot_engine_config c;
	ot_engine_config_init(&c);
	c.rules = r;
	c.store = cfg.store;
	c.log = engine_log;
	c.busy_ms = sv_opt.timeout_s * 1000;
	c.warn_workdays = sv_opt.warn_workdays; /* the store's warn_at days count with it */
	c.compact_answers = 1; /* for programs: a write's answer is its snapshot's text */
	ot_engine *e = NULL;
	ot_status s = ot_engine_open_config(&c, &e, err);
	ot_rules_free(r);
	if (s != OT_OK)
		return NULL;
	pthread_mutex_lock(&state);
	for (size_t i = 0; my_engine && i < nengines; i++)
		if (engines[i] == my_engine)
			engines[i] = engines[--nengines];
	if (nengines == engines_cap) {
		size_t cap = engines_cap ? engines_cap * 2 : 16;
		ot_engine **n = realloc(engines, cap * sizeof *n);
		if (!n) {
			pthread_mutex_unlock(&state);
			ot_engine_close(e);
			err->status = OT_ENOMEM;
			snprintf(err->message, sizeof err->message, "out of memory");
			return NULL;
		}
		engines = n;
		engines_cap = cap;
	}
	engines[nengines++] = e;
	pthread_mutex_unlock(&state);
	ot_engine_close(my_engine); /* this worker's, and its request is over */
	my_engine = e;
	my_generation = g;
	return e;
}

static int load_clients(char *why, size_t cap)
{
	sv_clients *c = sv_clients_load(cfg.clients_path, why, cap);
	if (!c)
		return 0;
	pthread_mutex_lock(&state);
	sv_clients *old = clients;
	clients = c;
	pthread_mutex_unlock(&state);
	sv_clients_free(old); /* no request points into it: each copied its client */
	return 1;
}

ot_status sv_reload(char **why)
{
	ot_rules *r = NULL;
	ot_status s = compile_rules(&r, why);
	if (s != OT_OK)
		return s;
	char cwhy[300];
	if (!load_clients(cwhy, sizeof cwhy)) {
		ot_rules_free(r);
		*why = strdup(cwhy);
		return OT_EINVAL;
	}
	char hash[13];
	snprintf(hash, sizeof hash, "%.12s", ot_rules_hash(r));
	pthread_mutex_lock(&state);
	ot_rules *old = rules;
	rules = r;
	generation++;
	pthread_mutex_unlock(&state);
	ot_rules_free(old); /* the engines hold their own references */
	fprintf(stderr, "onetrip serve: reloaded the rules (%s) and the clients\n", hash);
	return OT_OK;
}

/* ---- the access log ---- */

/* Lines are written to the stream's buffer as requests end and flushed by
 * the notifier four times a second (and at the end): a write(2) per
 * request would cost more than many a request. */
static FILE *access_log;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void flush_log(void)
{
	pthread_mutex_lock(&log_lock);
	if (access_log)
		fflush(access_log);
	pthread_mutex_unlock(&log_lock);
}

/* s as the inside of a JSON string at out, at most cap-1 bytes; returns
 * the length, the ID numbers in it masked (a path may carry one).  A byte
 * that is not part of a UTF-8 character (a path refused with 400 is still
 * logged) is written as the code point of its value, \u00ff for 0xFF: the
 * line stays JSON.  A character is copied whole or not at all. */
static size_t log_escaped(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	for (; *s && n + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		int len = c < 0x80 ? 1 : utf8_seq_len((const unsigned char *)s, strnlen(s, 4));
		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20 || !len) {
			memcpy(out + n, "\\u00", 4);
			out[n + 4] = hex[c >> 4];
			out[n + 5] = hex[c & 15];
			n += 6;
		} else {
			memcpy(out + n, s, (size_t)len); /* at most 4: n + 7 < cap */
			n += (size_t)len;
			s += len - 1;
		}
	}
	out[n] = 0;
	ot_mask_ids(out);
	return n;
}

/* Appends s (n bytes) at line + *at. */
static void log_put(char *line, size_t *at, const char *s, size_t n)
{
	memcpy(line + *at, s, n);
	*at += n;
}

#define LOG_LIT(line, at, lit) log_put((line), (at), "" lit, sizeof(lit) - 1)

/* A whole number as text at the end of t[24]; returns where it starts. */
static const char *log_int(unsigned long v, char t[24])
{
	char *p = t + 23;
	*p = 0;
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	return p;
}

/* The server's clock as text ("2026-11-29T09:00:00Z", 20 characters),
 * written once a second per thread: every assessment and every line of
 * the access log asks for it. */
const char *sv_now_text(void)
{
	static _Thread_local time_t at = -1;
	static _Thread_local char text[32];
	time_t t = time(NULL);
	if (t != at) {
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
		at = t;
	}
	return text;
}

/* One line a request, written without printf: the service's most frequent
 * write.  What a client sends (the path, the method) and a client's name
 * are masked where they are put in, not the whole line. */
static void log_request(const char *method, const char *url, const sv_response *out,
			const sv_client *cl, double ms)
{
	char path[600], m[24], client[80], line[1024], t[24];
	const char *when = sv_now_text();
	size_t at = 0, n;
	const char *route = out->route ? out->route : "other";
	LOG_LIT(line, &at, "{\"time\":\"");
	log_put(line, &at, when, strlen(when));
	LOG_LIT(line, &at, "\",\"method\":\"");
	n = log_escaped(method, m, sizeof m);
	log_put(line, &at, m, n);
	LOG_LIT(line, &at, "\",\"path\":\"");
	n = log_escaped(url, path, sizeof path);
	log_put(line, &at, path, n);
	LOG_LIT(line, &at, "\",\"route\":\"");
	log_put(line, &at, route, strlen(route)); /* the table's names: plain, short */
	LOG_LIT(line, &at, "\",\"status\":");
	const char *d = log_int((unsigned long)out->status, t);
	log_put(line, &at, d, (size_t)(t + 23 - d));
	LOG_LIT(line, &at, ",\"ms\":");
	d = log_int((unsigned long)ms, t);
	log_put(line, &at, d, (size_t)(t + 23 - d));
	unsigned long frac = (unsigned long)((ms - (double)(long)ms) * 1000);
	char f[5] = {'.', (char)('0' + frac / 100 % 10), (char)('0' + frac / 10 % 10),
		     (char)('0' + frac % 10), 0};
	log_put(line, &at, f, 4);
	LOG_LIT(line, &at, ",\"client\":");
	if (cl) { /* names are plain: clients.c */
		n = strnlen(cl->name, sizeof client - 3);
		client[0] = '"';
		memcpy(client + 1, cl->name, n);
		client[n + 1] = 0;
		ot_mask_ids(client);
		client[n + 1] = '"';
		log_put(line, &at, client, n + 2);
	} else
		LOG_LIT(line, &at, "null");
	if (out->replayed)
		LOG_LIT(line, &at, ",\"replayed\":true}\n");
	else
		LOG_LIT(line, &at, ",\"replayed\":false}\n");
	pthread_mutex_lock(&log_lock);
	fwrite(line, 1, at, access_log);
	pthread_mutex_unlock(&log_lock);
}

/* ---- long polls ---- */

static pthread_mutex_t waiting_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t waiting_cond = PTHREAD_COND_INITIALIZER;
static struct MHD_Connection **waiting;
static size_t nwaiting, waiting_cap;
static int wrote;
static atomic_int stopping; /* 1: answer every poll now; 2: the notifier ends */

void sv_notify_write(void)
{
	pthread_mutex_lock(&waiting_lock);
	wrote = 1;
	pthread_cond_signal(&waiting_cond);
	pthread_mutex_unlock(&waiting_lock);
}

static int wait_for_write(struct MHD_Connection *con)
{
	pthread_mutex_lock(&waiting_lock);
	if (nwaiting == waiting_cap) {
		size_t cap = waiting_cap ? waiting_cap * 2 : 64;
		struct MHD_Connection **n = realloc(waiting, cap * sizeof *n);
		if (!n) {
			pthread_mutex_unlock(&waiting_lock);
			return 0;
		}
		waiting = n;
		waiting_cap = cap;
	}
	waiting[nwaiting++] = con;
	MHD_suspend_connection(con);
	pthread_mutex_unlock(&waiting_lock);
	return 1;
}

static void *notifier(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&waiting_lock);
	for (;;) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += stopping ? 10000000 : 250000000;
		if (t.tv_nsec >= 1000000000) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000;
		}
		if (!wrote && stopping != 2)
			pthread_cond_timedwait(&waiting_cond, &waiting_lock, &t);
		wrote = 0;
		for (size_t i = 0; i < nwaiting; i++)
			MHD_resume_connection(waiting[i]);
		flush_log();
		nwaiting = 0;
		if (stopping == 2)
			break;
	}
	pthread_mutex_unlock(&waiting_lock);
	return NULL;
}

/* ---- group commit ---- */

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cond = PTHREAD_COND_INITIALIZER;
static sv_write *queue_head, *queue_tail;
static int queue_stop;

/* Queues a write and suspends its connection; the committer resumes it.
 * 0 once the committer has stopped (shutting down): nothing queued. */
static int enqueue_write(struct MHD_Connection *con, sv_write *w)
{
	w->con = con;
	w->next = NULL;
	pthread_mutex_lock(&queue_lock);
	if (queue_stop) { /* a connection suspended now would never be resumed */
		pthread_mutex_unlock(&queue_lock);
		return 0;
	}
	if (queue_tail)
		queue_tail->next = w;
	else
		queue_head = w;
	queue_tail = w;
	MHD_suspend_connection(con); /* before the committer can see it */
	pthread_cond_signal(&queue_cond);
	pthread_mutex_unlock(&queue_lock);
	return 1;
}

static void run_batch(sv_write *first, size_t n)
{
	ot_batch_item *items = calloc(n, sizeof *items);
	ot_error err;
	ot_engine *e = items ? sv_engine(&err) : NULL;
	size_t i = 0;
	for (sv_write *w = first; i < n; w = w->next, i++)
		if (items)
			items[i] = w->item;
	if (!items || !e) {
		if (!items) {
			err.status = OT_ENOMEM;
			snprintf(err.message, sizeof err.message, "out of memory");
		}
		i = 0;
		for (sv_write *w = first; i < n; w = w->next, i++) {
			w->item.status = err.status;
			w->item.err = err;
		}
	} else {
		ot_call_batch(e, items, n, &err); /* each item says how it went */
		i = 0;
		for (sv_write *w = first; i < n; w = w->next, i++)
			w->item = items[i];
	}
	free(items);
}

static void *committer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&queue_lock);
	for (;;) {
		while (!queue_head && !queue_stop)
			pthread_cond_wait(&queue_cond, &queue_lock);
		if (!queue_head)
			break;
		sv_write *first = queue_head, *last = first;
		size_t n = 1;
		while (last->next && n < (size_t)sv_opt.batch_max) {
			last = last->next;
			n++;
		}
		queue_head = last->next;
		if (!queue_head)
			queue_tail = NULL;
		pthread_mutex_unlock(&queue_lock);
		run_batch(first, n);
		sv_write *w = first;
		for (size_t i = 0; i < n; i++) {
			sv_write *next = w->next;
			MHD_resume_connection(w->con); /* its handler answers it (sv_write_done) */
			w = next;
		}
		pthread_mutex_lock(&queue_lock);
	}
	pthread_mutex_unlock(&queue_lock);
	return NULL;
}

/* ---- the time sweep ---- */

static pthread_mutex_t sweep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sweep_cond = PTHREAD_COND_INITIALIZER;
static int sweep_stop;

/* One sweep at the wall clock's time: batches until no case needs a
 * warning.  What it warned is said once; a failure is said and the next
 * sweep tries again. */
static void sweep_once(void)
{
	ot_error err = {OT_OK, ""};
	ot_engine *e = sv_engine(&err);
	char now[32], req[160];
	/* --timeout behind the clock, the longest a write waits for the store:
	 * a write whose time was taken a moment before a warning is never
	 * refused for being older than it */
	time_t t = time(NULL) - sv_opt.timeout_s;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(req, sizeof req, "{\"now\":\"%s\"}", now);
	long warned = 0, claimed = 0, red = 0;
	for (int more = e != NULL, rounds = 0; more && rounds < 10000; rounds++) {
		char *resp = NULL;
		if (ot_sweep(e, req, &resp, &err) != OT_OK)
			break;
		json_t *a = json_loads(resp, 0, NULL), *w;
		free(resp);
		more = json_is_true(json_object_get(a, "more"));
		if (more) { /* the next batch goes on after this one's cases */
			json_t *q = json_pack("{s:s, s:O}", "now", now, "after",
					      json_object_get(a, "next"));
			size_t len = q ? json_dumpb(q, req, sizeof req - 1, JSON_COMPACT) : 0;
			more = len > 0 && len < sizeof req; /* it fitted */
			req[more ? len : 0] = 0;
			json_decref(q);
		}
		size_t i;
		json_array_foreach(json_object_get(a, "warnings"), i, w) {
			warned++;
			red += strcmp(json_string_value(json_object_get(w, "level")) ?
				      json_string_value(json_object_get(w, "level")) : "", "red") == 0;
		}
		claimed += (long)json_integer_value(json_object_get(a, "claimed"));
		json_decref(a);
	}
	sv_metrics_sweep(err.status != OT_OK, warned - red, red, (long long)time(NULL));
	if (err.status != OT_OK)
		fprintf(stderr, "onetrip serve: sweep: %s\n", err.message);
	if (warned) {
		fprintf(stderr, "onetrip serve: sweep at %s: %ld warnings on %ld cases\n", now, warned,
			claimed);
		sv_notify_write(); /* long polls of the feed see them now */
	}
}

static void *sweeper(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&sweep_lock);
	while (!sweep_stop) {
		pthread_mutex_unlock(&sweep_lock);
		sweep_once();
		pthread_mutex_lock(&sweep_lock);
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_sec += sv_opt.sweep_every_s;
		while (!sweep_stop && pthread_cond_timedwait(&sweep_cond, &sweep_lock, &t) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&sweep_lock);
	return NULL;
}

/* ---- requests ---- */

static atomic_int open_connections, in_flight;

typedef struct conn_req {
	char *body;
	size_t len, cap;
	int too_big;
	size_t dropped;           /* bytes of a body over --max-body, read and dropped */
	double start, poll_deadline;
	struct MHD_Connection *con;
	sv_write *pending;        /* a write at the committer */
	sv_client who;            /* who sent it: a copy, the table may be reloaded */
	int known;                /* who is a client (a valid token) */
	const char *route;
} conn_req;

static double seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char *query_arg(void *ud, const char *name)
{
	return MHD_lookup_connection_value(ud, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result add_size(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	(void)kind;
	*(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

static enum MHD_Result send_answer(struct MHD_Connection *con, conn_req *r, const char *method,
				   const char *url, sv_response *out, const sv_client *cl)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(out->len, out->body,
								     MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(out->body);
		return MHD_NO;
	}
	out->body = NULL;
	MHD_add_response_header(resp, "Content-Type",
				out->content_type ? out->content_type : "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (out->location[0])
		MHD_add_response_header(resp, "Location", out->location);
	if (out->replayed)
		MHD_add_response_header(resp, "Idempotent-Replayed", "true");
	if (out->allow[0])
		MHD_add_response_header(resp, "Allow", out->allow);
	if (out->status == 503 || out->status == 429) { /* written only then: every answer comes here */
		char retry[24];
		snprintf(retry, sizeof retry, "%ld", out->status == 429 ? out->retry_after : 1);
		MHD_add_response_header(resp, "Retry-After", retry);
	}
	/* a load balancer keeps no connection to a server that stops; the rest
	 * of a body refused unread must not be taken for the next request */
	if (stopping || r->too_big)
		MHD_add_response_header(resp, "Connection", "close");
	enum MHD_Result ok = MHD_queue_response(con, (unsigned)out->status, resp);
	MHD_destroy_response(resp);
	double took = seconds() - r->start;
	sv_metrics_record(sv_metrics_route(out->route ? out->route : "other"), out->status, took);
	log_request(method, url, out, cl, took * 1000);
	return ok;
}

/* A token's SHA-256, remembered for the last token of this thread: a
 * client sends the same one with every request.  The tokens are compared
 * in full, in time independent of where they differ. */
static void token_hash(const char *token, char hash[65])
{
	static _Thread_local char last[129], last_hash[65];
	size_t n = strlen(token);
	unsigned diff = n >= sizeof last || strlen(last) != n;
	if (!diff) {
		unsigned d = 0;
		for (size_t i = 0; i < n; i++) /* every byte: no early end */
			d |= (unsigned)(token[i] ^ last[i]);
		diff = d;
	}
	if (!diff) {
		memcpy(hash, last_hash, 65);
		return;
	}
	sv_sha256_hex(token, n, hash);
	if (n < sizeof last) {
		memcpy(last, token, n + 1);
		memcpy(last_hash, hash, 65);
	}
}

static void body_too_big(sv_response *out)
{
	char detail[200];
	snprintf(detail, sizeof detail, "the body is larger than %zu bytes (--max-body)",
		 sv_opt.max_body);
	sv_problem(out, 413, "body-too-large", "The body is too large", detail, NULL);
}

/* Is the body said (Content-Length) to be larger than --max-body? */
static int declared_too_big(struct MHD_Connection *con)
{
	const char *len = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Length");
	if (!len)
		return 0; /* none, or chunked: counted as it comes */
	errno = 0;
	unsigned long long n = strtoull(len, NULL, 10);
	return errno == ERANGE || n > sv_opt.max_body;
}

static enum MHD_Result arg_utf8(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	(void)kind;
	if (utf8_valid(key, strlen(key)) && (!value || utf8_valid(value, strlen(value))))
		return MHD_YES;
	*(int *)cls = 0;
	return MHD_NO;
}

/* Are the method, the path and every query argument UTF-8, once
 * percent-decoded?  The routes put them into JSON, and jansson refuses
 * text that is not UTF-8 (a NULL where a request was expected). */
static int texts_utf8(struct MHD_Connection *con, const char *method, const char *url)
{
	int ok = utf8_valid(method, strlen(method)) && utf8_valid(url, strlen(url));
	if (ok)
		MHD_get_connection_values(con, MHD_GET_ARGUMENT_KIND, arg_utf8, &ok);
	return ok;
}

/* The limits a request is held to before it is routed, and its texts
 * UTF-8; 0 when one was broken (the problem is in out). */
static int within_limits(struct MHD_Connection *con, conn_req *r, const char *method,
			 const char *url, sv_response *out)
{
	char detail[200];
	size_t header = 0;
	MHD_get_connection_values(con, MHD_HEADER_KIND, add_size, &header);
	if (r->too_big) {
		body_too_big(out);
	} else if (header > sv_opt.max_header) {
		snprintf(detail, sizeof detail, "the header is %zu bytes, more than %zu (--max-header)",
			 header, sv_opt.max_header);
		sv_problem(out, 431, "header-too-large", "The header is too large", detail, NULL);
	} else if (atomic_load(&open_connections) > sv_opt.max_connections) {
		snprintf(detail, sizeof detail, "more than %d connections are open (--max-connections): "
			 "try again in a moment", sv_opt.max_connections);
		sv_problem(out, 503, "too-many-connections", "Too many connections", detail, NULL);
	} else if (!texts_utf8(con, method, url)) {
		sv_problem(out, 400, "bad-request", "The request is not UTF-8",
			   "the method, the path and each query argument must be UTF-8 once "
			   "percent-decoded", NULL);
	} else
		return 1;
	return 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *con, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	(void)cls;
	(void)version;
	conn_req *r = *con_cls;
	if (!r) {
		if (!(r = calloc(1, sizeof *r)))
			return MHD_NO;
		r->start = seconds();
		r->con = con;
		*con_cls = r;
		atomic_fetch_add(&in_flight, 1);
		if (!declared_too_big(con))
			return MHD_YES;
		/* refused before the body is read: a client cannot make a worker
		 * wait --timeout for each piece of a body it would drop */
		r->too_big = 1;
		sv_response out = {0};
		body_too_big(&out);
		return send_answer(con, r, method, url, &out, NULL);
	}
	if (*upload_size) {
		if (!r->too_big && r->len + *upload_size > sv_opt.max_body) {
			r->too_big = 1; /* read the rest and drop it, then say so */
			r->dropped = r->len;
			free(r->body);
			r->body = NULL;
			r->len = r->cap = 0;
		}
		/* a chunked body has no length to refuse it by, and libmicrohttpd
		 * answers only once a body is read: up to --max-body more is read
		 * for its 413; past that, one without end, the connection is
		 * closed unanswered rather than held while it lasts */
		if (r->too_big && (r->dropped += *upload_size) > 2 * sv_opt.max_body)
			return MHD_NO;
		if (!r->too_big) {
			if (r->len + *upload_size + 1 > r->cap) {
				size_t cap = (r->len + *upload_size + 1) * 2;
				char *b = realloc(r->body, cap > sv_opt.max_body + 1 ? sv_opt.max_body + 1 : cap);
				if (!b)
					return MHD_NO;
				r->body = b;
				r->cap = cap > sv_opt.max_body + 1 ? sv_opt.max_body + 1 : cap;
			}
			memcpy(r->body + r->len, upload, *upload_size);
			r->len += *upload_size;
			r->body[r->len] = 0;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	sv_response out = {0};
	const sv_client *cl = NULL;
	if (r->pending) { /* committed with its batch: answer it */
		sv_write *w = r->pending;
		r->pending = NULL;
		cl = r->known ? &r->who : NULL;
		out.route = r->route;
		sv_write_done(w, &out);
	} else if (within_limits(con, r, method, url, &out)) {
		const char *auth = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Authorization");
		const char *token = auth && strncmp(auth, "Bearer ", 7) == 0 ? auth + 7 : NULL;
		char hash[65];
		if (token) /* hashed outside the lock */
			token_hash(token, hash);
		pthread_mutex_lock(&state);
		r->known = token && sv_clients_find(clients, hash, &r->who);
		pthread_mutex_unlock(&state);
		cl = r->known ? &r->who : NULL;
		const char *wait = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "wait");
		int wait_s = wait ? atoi(wait) : 0;
		if (wait_s > sv_opt.poll_max_s)
			wait_s = sv_opt.poll_max_s;
		if (r->poll_deadline == 0 && wait_s > 0)
			r->poll_deadline = seconds() + wait_s;
		sv_request rq = {method, url, r->body ? r->body : "", r->len, cl, token && !cl,
				 MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Idempotency-Key"),
				 wait_s <= 0 || seconds() >= r->poll_deadline || stopping, query_arg, con};
		sv_route(&rq, &out);
		if (out.pending) {
			r->pending = out.pending;
			r->route = out.route;
			if (enqueue_write(con, out.pending))
				return MHD_YES;
			/* a write that came on a kept-alive connection after the
			 * requests in flight were finished: not done; a load
			 * balancer's client sends it again, to another server */
			sv_write_free(r->pending);
			r->pending = NULL;
			sv_problem(&out, 503, "stopping", "The service is stopping",
				   "this server is stopping and did nothing: send it again", NULL);
		}
		if (out.long_poll && wait_for_write(con))
			return MHD_YES;
		if (out.long_poll) /* no memory to wait: answer what there is */
			sv_problem(&out, 503, "out-of-memory", "Out of memory", "cannot wait", NULL);
	}
	return send_answer(con, r, method, url, &out, cl);
}

static void completed(void *cls, struct MHD_Connection *con, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)con;
	(void)toe;
	conn_req *r = *con_cls;
	if (!r)
		return;
	sv_write_free(r->pending); /* committed, but the client went away */
	free(r->body);
	free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&in_flight, 1);
}

/* Stopping, new connections are closed as they come (a load balancer sends
 * elsewhere).  Not MHD_quiesce_daemon: with a pool of epoll workers,
 * libmicrohttpd 0.9.75 can take the listening socket out of a worker's
 * epoll set twice, the worker and the quiescing thread at once, and abort
 * ("Failed to remove listen FD from epoll set"); seen under the permit
 * flow's load, one stop in three. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
	(void)cls;
	(void)addr;
	(void)len;
	return atomic_load(&stopping) ? MHD_NO : MHD_YES;
}

static void connection_event(void *cls, struct MHD_Connection *con, void **socket_context,
			     enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	(void)con;
	(void)socket_context;
	atomic_fetch_add(&open_connections, toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

/* ---- the command ---- */

/* --listen: "IPv4:PORT" or "[IPv6]:PORT" into *a; 0 when it is neither. */
static int parse_listen(const char *s, struct sockaddr_storage *a)
{
	const char *colon = strrchr(s, ':');
	int six = s[0] == '[';
	char host[64];
	size_t n = colon ? (size_t)(colon - s) : 0;
	if (!colon || n >= sizeof host || (six && (n < 2 || s[n - 1] != ']')))
		return 0;
	memcpy(host, s + six, n - 2 * (size_t)six);
	host[n - 2 * (size_t)six] = 0;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || colon[1] == 0 || port < 0 || port > 65535)
		return 0;
	memset(a, 0, sizeof *a);
	if (six) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)a;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host, &a6->sin6_addr) == 1;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)a;
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &a4->sin_addr) == 1;
}

/* The address of *a as a URL's host: "127.0.0.1", "[::1]". */
static void listen_host(const struct sockaddr_storage *a, char *out, size_t cap)
{
	char text[INET6_ADDRSTRLEN] = "?";
	if (a->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)a)->sin6_addr, text, sizeof text);
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, text, sizeof text);
	snprintf(out, cap, a->ss_family == AF_INET6 ? "[%s]" : "%s", text);
}

static int number(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return 0;
	*out = v;
	return 1;
}

static int parse_args(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long n = 0;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_serve, stdout);
			return 0;
		}
		if (strcmp(a, "--trust-now") == 0) {
			sv_opt.trust_now = 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "onetrip serve: '%s' needs a value\n\n%s", a, usage_serve);
			return -1;
		}
		i++;
		if (strcmp(a, "--rules") == 0)
			cfg.rules_path = v;
		else if (strcmp(a, "--db") == 0)
			cfg.store = v;
		else if (strcmp(a, "--clients") == 0)
			cfg.clients_path = v;
		else if (strcmp(a, "--listen") == 0)
			cfg.listen = v;
		else if (strcmp(a, "--port-file") == 0)
			cfg.port_file = v;
		else if (strcmp(a, "--access-log") == 0)
			cfg.access_log = v;
		else if (strcmp(a, "--threads") == 0 && number(v, 1, 256, &n))
			cfg.threads = (int)n;
		else if (strcmp(a, "--max-body") == 0 && number(v, 1024, 1L << 30, &n))
			sv_opt.max_body = (size_t)n;
		else if (strcmp(a, "--max-header") == 0 && number(v, 512, 1 << 20, &n))
			sv_opt.max_header = (size_t)n;
		else if (strcmp(a, "--max-connections") == 0 && number(v, 1, 100000, &n))
			sv_opt.max_connections = (int)n;
		else if (strcmp(a, "--per-ip-connections") == 0 && number(v, 0, 100000, &n))
			sv_opt.per_ip_connections = (int)n;
		else if (strcmp(a, "--timeout") == 0 && number(v, 1, 3600, &n))
			sv_opt.timeout_s = (int)n;
		else if (strcmp(a, "--key-ttl") == 0 && number(v, 1, 365L * 86400, &n))
			sv_opt.key_seconds = n;
		else if (strcmp(a, "--poll-max") == 0 && number(v, 0, 3600, &n))
			sv_opt.poll_max_s = (int)n;
		else if (strcmp(a, "--group-commit") == 0 && number(v, 1, 4096, &n))
			sv_opt.batch_max = (int)n;
		else if (strcmp(a, "--sweep-every") == 0 && number(v, 0, 7L * 86400, &n))
			sv_opt.sweep_every_s = (int)n;
		else if (strcmp(a, "--warn-workdays") == 0 && number(v, -1, 30, &n))
			sv_opt.warn_workdays = (int)n;
		else {
			fprintf(stderr, "onetrip serve: bad option '%s %s'\n\n%s", a, v, usage_serve);
			return -1;
		}
	}
	return 1;
}

static int cmd_token(int hash, const char *token)
{
	char t[65], h[65];
	if (!hash) {
		unsigned char raw[24];
		FILE *f = fopen("/dev/urandom", "rb");
		if (!f || fread(raw, 1, sizeof raw, f) != sizeof raw) {
			fprintf(stderr, "onetrip serve token: cannot read /dev/urandom\n");
			if (f)
				fclose(f);
			return 2;
		}
		fclose(f);
		for (size_t i = 0; i < sizeof raw; i++)
			snprintf(t + 2 * i, 3, "%02x", raw[i]);
		token = t;
	}
	sv_sha256_hex(token, strlen(token), h);
	if (hash)
		printf("%s\n", h);
	else
		printf("%s %s\n", token, h);
	return 0;
}

/* Waits for the requests in flight, at most --timeout seconds. */
static void drain(void)
{
	double until = seconds() + sv_opt.timeout_s;
	while (atomic_load(&in_flight) > 0 && seconds() < until) {
		sv_notify_write(); /* long polls answer at once now */
		struct timespec t = {0, 10000000};
		nanosleep(&t, NULL);
	}
}

static int serve(void)
{
	char why[300];
	ot_rules *r = NULL;
	char *rwhy = NULL;
	if (compile_rules(&r, &rwhy) != OT_OK) {
		fprintf(stderr, "onetrip serve: the rule base %s cannot be used: %s\n", cfg.rules_path,
			rwhy ? rwhy : "run `onetrip check`");
		free(rwhy);
		return 1;
	}
	rules = r;
	if (!sv_guard_init()) {
		fprintf(stderr, "onetrip serve: no random bytes for the lookup guard's key: %s\n",
			strerror(errno));
		return 2;
	}
	if (!load_clients(why, sizeof why)) {
		fprintf(stderr, "onetrip serve: %s\n", why);
		return 2;
	}
	access_log = strcmp(cfg.access_log, "-") == 0 ? stderr : fopen(cfg.access_log, "a");
	if (!access_log) {
		fprintf(stderr, "onetrip serve: cannot open the access log %s: %s\n", cfg.access_log,
			strerror(errno));
		return 2;
	}
	struct sockaddr_storage addr;
	if (!parse_listen(cfg.listen, &addr)) {
		fprintf(stderr, "onetrip serve: --listen takes IPv4-ADDRESS:PORT or [IPv6-ADDRESS]:PORT, "
			"not '%s'\n", cfg.listen);
		return 2;
	}
	/* check the store before listening: a service that cannot open it says so now */
	ot_error err;
	if (!sv_engine(&err)) {
		fprintf(stderr, "onetrip serve: %s\n", err.message);
		return 3;
	}
	ot_engine_close(my_engine); /* the main thread answers nothing */
	pthread_mutex_lock(&state);
	nengines = 0;
	pthread_mutex_unlock(&state);
	my_engine = NULL;
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* every thread made from here on too */
	signal(SIGPIPE, SIG_IGN);
	char hash[13]; /* read now: a reload may replace the rules once workers run */
	snprintf(hash, sizeof hash, "%.12s", ot_rules_hash(rules));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ITC | (addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
	/* MHD's own limit only backs ours up (the body is read into our buffer):
	 * MHD 0.9 zeroes a connection's whole pool for every request, so a
	 * larger one costs every request (at 48 KB it was 7 % of the service's
	 * time answering assessments, perf) */
	size_t pool = sv_opt.max_header * 2 + 4096;
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, 0, accept_policy, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg.threads, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)sv_opt.max_connections + 64, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)sv_opt.per_ip_connections, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)sv_opt.timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
		MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_NOTIFY_CONNECTION,
		connection_event, NULL, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "onetrip serve: cannot listen on %s: %s\n", cfg.listen, strerror(errno));
		return 2;
	}
	pthread_t note, commit, sweep;
	pthread_create(&note, NULL, notifier, NULL);
	pthread_create(&commit, NULL, committer, NULL);
	if (sv_opt.sweep_every_s > 0)
		pthread_create(&sweep, NULL, sweeper, NULL);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned port = info ? info->port : 0;
	char host[INET6_ADDRSTRLEN + 2];
	listen_host(&addr, host, sizeof host);
	printf("onetrip serve: listening on http://%s:%u/ (rules %.12s, store %s, %d threads)\n", host,
	       port, hash, cfg.store, cfg.threads);
	fflush(stdout);
	if (cfg.port_file) {
		FILE *f = fopen(cfg.port_file, "w");
		if (f) {
			fprintf(f, "%u\n", port);
			fclose(f);
		}
	}
	for (;;) {
		int sig = 0;
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			char *rw = NULL;
			if (sv_reload(&rw) != OT_OK)
				fprintf(stderr, "onetrip serve: reload refused, the rules in use stay: %s\n",
					rw ? rw : "?");
			free(rw);
			continue;
		}
		break;
	}
	fprintf(stderr, "onetrip serve: stopping: no new connections, finishing the requests in "
		"flight\n");
	pthread_mutex_lock(&waiting_lock);
	stopping = 1;
	pthread_cond_signal(&waiting_cond);
	pthread_mutex_unlock(&waiting_lock);
	drain();
	if (sv_opt.sweep_every_s > 0) { /* a sweep under way ends its batch first */
		pthread_mutex_lock(&sweep_lock);
		sweep_stop = 1;
		pthread_cond_signal(&sweep_cond);
		pthread_mutex_unlock(&sweep_lock);
		pthread_join(sweep, NULL);
	}
	pthread_mutex_lock(&queue_lock);
	queue_stop = 1; /* the writes still queued are committed first */
	pthread_cond_signal(&queue_cond);
	pthread_mutex_unlock(&queue_lock);
	pthread_join(commit, NULL);
	pthread_mutex_lock(&waiting_lock);
	stopping = 2;
	pthread_cond_signal(&waiting_cond);
	pthread_mutex_unlock(&waiting_lock);
	pthread_join(note, NULL);
	MHD_stop_daemon(d);
	for (size_t i = 0; i < nengines; i++)
		ot_engine_close(engines[i]);
	free(engines);
	free(waiting);
	ot_rules_free(rules);
	sv_clients_free(clients);
	flush_log();
	if (access_log != stderr)
		fclose(access_log);
	fprintf(stderr, "onetrip serve: stopped\n");
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "token") == 0)
		return cmd_token(0, NULL);
	if (argc >= 1 && strcmp(argv[0], "hash") == 0) {
		if (argc != 2) {
			fputs(usage_serve, stderr);
			return 2;
		}
		return cmd_token(1, argv[1]);
	}
	int rc = parse_args(argc, argv);
	if (rc <= 0)
		return rc < 0 ? 2 : 0;
	if (!cfg.clients_path) {
		fprintf(stderr, "onetrip serve: --clients FILE is required: who may call the service "
			"(docs/service.md)\n\n%s", usage_serve);
		return 2;
	}
	return serve();
}
