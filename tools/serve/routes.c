/*
 * routes.c -- what each route of `onetrip serve` may do and asks of the
 * engine.
 *
 * The order of every write is the same: who is asking (the token's
 * client), may its scope do this to this case (refused with 403 before
 * the engine is called, so a refusal changes nothing), then one engine
 * operation -- one transaction -- with the client, the officer and the
 * server's clock put into the request.  The engine's status becomes the
 * HTTP status (http_status) and its message the problem's detail.  A
 * client that does not own a case (did not submit it) sees every ID
 * number in the answer masked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <pthread.h>
#include <jansson.h>

#include "serve.h"

enum { P = 1 << SV_PORTAL, D = 1 << SV_DEPARTMENT, W = 1 << SV_WINDOW, S = 1 << SV_SUPERVISOR,
       A = 1 << SV_ADMIN };

/* ---- answers ---- */

static void answer_text(sv_response *out, int status, const char *type, char *body)
{
	out->status = status;
	out->content_type = type;
	out->body = body;
	out->len = body ? strlen(body) : 0;
}

static void answer_json(sv_response *out, int status, json_t *j)
{
	/* compact, on one line, as the engine's own answers (compact_answers) */
	answer_text(out, status, NULL, json_dumps(j, JSON_COMPACT));
	json_decref(j);
	if (!out->body)
		sv_problem(out, 503, "out-of-memory", "Out of memory", "the answer could not be written",
			   "OT_ENOMEM");
}

/* How many bytes of s to print with "%.*s", at most max, ending between
 * two characters: a detail that cut a UTF-8 character in half would not
 * be UTF-8, and jansson would refuse the whole problem. */
static int clip(const char *s, int max)
{
	size_t n = strnlen(s, (size_t)max);
	if (n == (size_t)max) /* cut: while s[n], the first byte left out, continues a character */
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--; /* leave out the rest of it */
	return (int)n;
}

static json_t *problem_json(const char *type, const char *title, int status, const char *detail)
{
	return json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", title, "status", status,
			 "detail", detail);
}

void sv_problem(sv_response *out, int status, const char *type, const char *title,
		const char *detail, const char *engine_status)
{
	char t[96];
	snprintf(t, sizeof t, "urn:onetrip:problem:%s", type);
	json_t *j = problem_json(t, title, status, detail ? detail : title);
	if (!j) /* a detail that is not UTF-8 (an engine message quoting one): still a body */
		j = problem_json(t, title, status, title);
	if (engine_status)
		json_object_set_new(j, "engine_status", json_string(engine_status));
	free(out->body);
	out->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (out->body)
		ot_mask_ids(out->body); /* a detail may quote what was sent */
	out->len = out->body ? strlen(out->body) : 0;
	out->status = status;
	out->content_type = "application/problem+json";
}

/* The HTTP status and the problem type of an engine status. */
static int http_status(ot_status s, const char **type, const char **title)
{
	switch (s) {
	case OT_OK: *type = "ok"; *title = "OK"; return 200;
	case OT_EINVAL: *type = "invalid-request"; *title = "The request was refused"; return 422;
	case OT_ENOTFOUND: *type = "not-found"; *title = "Not found"; return 404;
	case OT_ESTATE: *type = "wrong-state"; *title = "Not possible in the case's state"; return 409;
	case OT_EACTOR: *type = "not-your-step"; *title = "Another department's step"; return 403;
	case OT_ESTORE: *type = "store-unavailable"; *title = "The store is unavailable"; return 503;
	case OT_ENOMEM: *type = "out-of-memory"; *title = "Out of memory"; return 503;
	case OT_EHOOK: *type = "hook-failed"; *title = "A hook of the rules failed"; return 500;
	case OT_ERULES: case OT_EIO: break;
	}
	*type = "rules";
	*title = "The rule base cannot be used";
	return 500;
}

/* The engine status as onetrip.h names it, for programs to test. */
static const char *status_code(ot_status s)
{
	static const char *const names[] = {"OT_OK", "OT_ERULES", "OT_EIO", "OT_ENOMEM", "OT_EINVAL",
					    "OT_ENOTFOUND", "OT_ESTATE", "OT_EACTOR", "OT_ESTORE",
					    "OT_EHOOK"};
	return (unsigned)s < sizeof names / sizeof *names ? names[s] : "OT_EINVAL";
}

static void engine_problem(sv_response *out, ot_status s, const ot_error *err)
{
	const char *type, *title;
	int status = http_status(s, &type, &title);
	sv_problem(out, status, type, title, err->message, status_code(s));
}

static void refuse(sv_response *out, const sv_request *rq, const char *what)
{
	char detail[300];
	snprintf(detail, sizeof detail, "client %s (%s) may not %s", rq->client->name,
		 sv_scope_names[rq->client->scope], what);
	sv_problem(out, 403, "scope", "Outside the client's scope", detail, NULL);
}

/* ---- requests to the engine ---- */


/* The server's clock as the engine takes it, or the request's own when the
 * server trusts it (tests). */
static void stamp_now(json_t *j)
{
	if (sv_opt.trust_now && json_is_string(json_object_get(j, "now")))
		return;
	json_object_set_new(j, "now", json_string(sv_now_text()));
}

/* Calls the engine; on OT_OK *text is its answer (malloc'd). */
static ot_status call(const char *op, json_t *req, const char *key, const char *fingerprint,
		      int *replayed, char **text, ot_error *err)
{
	*text = NULL;
	ot_engine *e = sv_engine(err);
	if (!e)
		return err->status;
	char *body = json_dumps(req, JSON_COMPACT);
	if (!body) {
		err->status = OT_ENOMEM;
		snprintf(err->message, sizeof err->message, "out of memory");
		return OT_ENOMEM;
	}
	ot_idempotency k = {key, fingerprint, sv_opt.key_seconds, 0};
	ot_status s = key ? ot_call_idempotent(e, op, body, &k, text, err)
			  : ot_call(e, op, body, text, err);
	if (replayed)
		*replayed = k.replayed;
	free(body);
	return s;
}

/* A read: the answer as JSON (a new reference), or a problem in out. */
static json_t *read_op(sv_response *out, const char *op, json_t *req)
{
	char *text;
	ot_error err;
	ot_status s = call(op, req, NULL, NULL, NULL, &text, &err);
	json_decref(req);
	if (s != OT_OK) {
		engine_problem(out, s, &err);
		return NULL;
	}
	json_t *j = json_loads(text, 0, NULL);
	free(text);
	if (!j)
		sv_problem(out, 503, "out-of-memory", "Out of memory", "reading the engine's answer",
			   "OT_ENOMEM");
	return j;
}

/* The string value of key `key` of the top-level object of the engine's
 * answer (a case number: no escapes), or 0.  A scan, not a parse: the
 * strings of nested values are skipped whole. */
static int top_key(const char *s, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);
	int depth = 0;
	for (; s && *s; s++) {
		if (*s == '{' || *s == '[')
			depth++;
		else if (*s == '}' || *s == ']')
			depth--;
		if (*s != '"')
			continue;
		const char *start = ++s;
		while (*s && *s != '"')
			s += s[0] == '\\' && s[1] ? 2 : 1;
		if (!*s)
			return 0;
		const char *end = s, *v = s + 1;
		while (*v == ' ' || *v == '\n')
			v++;
		if (depth != 1 || *v != ':' || (size_t)(end - start) != klen ||
		    memcmp(start, key, klen) != 0)
			continue;
		for (v++; *v == ' ' || *v == '\n'; v++)
			;
		const char *q = *v == '"' ? strchr(v + 1, '"') : NULL;
		if (!q || memchr(v + 1, '\\', (size_t)(q - v - 1)) || (size_t)(q - v - 1) >= cap)
			return 0;
		memcpy(out, v + 1, (size_t)(q - v - 1));
		out[q - v - 1] = 0;
		return 1;
	}
	return 0;
}

/* The engine's text answered as it is, masked unless the client owns it. */
static void answer_engine(sv_response *out, int status, char *text, int mask)
{
	if (mask)
		ot_mask_ids(text);
	answer_text(out, status, NULL, text);
}

/* The request body as a JSON object (a new reference), or a 400 problem. */
static json_t *body_object(const sv_request *rq, sv_response *out)
{
	json_error_t je;
	if (!rq->body_len) {
		sv_problem(out, 400, "bad-json", "The body is not JSON",
			   "this route takes a JSON object as its body", NULL);
		return NULL;
	}
	json_t *j = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!j || !json_is_object(j)) {
		char detail[300];
		if (j)
			snprintf(detail, sizeof detail, "the body must be a JSON object");
		else
			snprintf(detail, sizeof detail, "the body is not JSON: %s (line %d, column %d)",
				 je.text, je.line, je.column);
		json_decref(j);
		sv_problem(out, 400, "bad-json", "The body is not JSON", detail, NULL);
		return NULL;
	}
	return j;
}

/* Fields only the server sets: a client sending them is refused. */
static int server_fields(const sv_request *rq, json_t *j, sv_response *out, const char *const *names)
{
	for (; *names; names++)
		if (json_object_get(j, *names) &&
		    !(sv_opt.trust_now && strcmp(*names, "now") == 0)) {
			char detail[200];
			snprintf(detail, sizeof detail, "\"%s\" is set by the service for client %s; leave "
				 "it out", *names, rq->client ? rq->client->name : "(none)");
			sv_problem(out, 422, "server-field", "A field the service sets", detail, NULL);
			return 0;
		}
	return 1;
}

static void facts_put(const char *id, const char *owner);

/* A write: the client and the clock put in, an Idempotency-Key honoured.
 * The fingerprint is the client's own body, so a retry with a later clock
 * is the same request.  With group commit (--group-commit above 1) the
 * write goes to serve.c's committer (out->pending) and is answered when
 * its batch is committed; else it runs here. */
static void write_op(const sv_request *rq, sv_response *out, const char *op, json_t *req,
		     int created, int mask)
{
	sv_write *w = calloc(1, sizeof *w);
	if (rq->client)
		json_object_set_new(req, "client", json_string(rq->client->name));
	stamp_now(req);
	char fp[520];
	snprintf(fp, sizeof fp, "%s %s ", rq->method, rq->path);
	if (w) {
		w->request = json_dumps(req, JSON_COMPACT);
		w->fingerprint = malloc(strlen(fp) + rq->body_len + 1);
	}
	json_decref(req);
	if (!w || !w->request || !w->fingerprint) {
		sv_write_free(w);
		sv_problem(out, 503, "out-of-memory", "Out of memory", "reading the request", "OT_ENOMEM");
		return;
	}
	memcpy(w->fingerprint, fp, strlen(fp));
	memcpy(w->fingerprint + strlen(fp), rq->body, rq->body_len + 1);
	snprintf(w->opname, sizeof w->opname, "%s", op);
	w->item.op = w->opname;
	w->item.request = w->request;
	if (rq->idem_key) {
		snprintf(w->keytext, sizeof w->keytext, "%s:%s", rq->client ? rq->client->name : "-",
			 rq->idem_key);
		ot_idempotency k = {w->keytext, w->fingerprint, sv_opt.key_seconds, 0};
		w->key = k;
		w->item.key = &w->key;
	}
	w->created = created;
	w->mask = mask;
	snprintf(w->client, sizeof w->client, "%s", rq->client ? rq->client->name : "");
	if (sv_opt.batch_max > 1) {
		out->pending = w;
		return;
	}
	ot_engine *e = sv_engine(&w->item.err);
	w->item.status = !e ? w->item.err.status
		       : w->item.key ? ot_call_idempotent(e, op, w->request, w->item.key,
							  &w->item.response, &w->item.err)
				     : ot_call(e, op, w->request, &w->item.response, &w->item.err);
	sv_write_done(w, out);
}

void sv_write_free(sv_write *w)
{
	if (!w)
		return;
	free(w->request);
	free(w->fingerprint);
	free(w->item.response);
	free(w);
}

void sv_write_done(sv_write *w, sv_response *out)
{
	ot_batch_item *b = &w->item;
	if (b->status != OT_OK) {
		engine_problem(out, b->status, &b->err);
		sv_write_free(w);
		return;
	}
	out->replayed = w->key.replayed;
	if (!out->replayed)
		sv_notify_write();
	/* the new case's number, the first key of the engine's answer: found
	 * without parsing the answer (a submission's is 30 KB with its notice;
	 * jansson parsing it was a tenth of the service's work) */
	char id[32];
	if (w->created && top_key(b->response, "id", id, sizeof id)) {
		snprintf(out->location, sizeof out->location, "/v1/cases/%s", id);
		if (!out->replayed)
			facts_put(id, w->client);
	}
	answer_engine(out, w->created ? 201 : 200, b->response, w->mask);
	b->response = NULL;
	sv_write_free(w);
}

/* ---- cases and who may touch them ---- */

/* Who submitted a case never changes, and is remembered here -- from a
 * submission through this server, or from a read.  So an operation on a
 * known case needs no read first: the engine checks the department
 * itself, in the operation's transaction (the step's for act, any step's
 * for the rest: "handled_by"), which a supplement routing a step elsewhere
 * through another server cannot outdate.  One engine operation, not two.
 * A fixed table (an entry a slot, the newest wins), under one lock. */
#define FACTS 16384

typedef struct case_facts {
	char id[32];
	char owner[64];      /* "" : none recorded */
} case_facts;

static case_facts *facts;
static pthread_mutex_t facts_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned facts_slot(const char *id)
{
	unsigned h = 2166136261u;
	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h & (FACTS - 1);
}

static void facts_put(const char *id, const char *owner)
{
	case_facts f;
	if (!id || strlen(id) >= sizeof f.id || strlen(owner) >= sizeof f.owner)
		return;
	snprintf(f.id, sizeof f.id, "%s", id);
	snprintf(f.owner, sizeof f.owner, "%s", owner);
	pthread_mutex_lock(&facts_lock);
	if (!facts)
		facts = calloc(FACTS, sizeof *facts);
	if (facts)
		facts[facts_slot(id)] = f;
	pthread_mutex_unlock(&facts_lock);
}

static int facts_get(const char *id, case_facts *out)
{
	int found = 0;
	pthread_mutex_lock(&facts_lock);
	if (facts && strcmp(facts[facts_slot(id)].id, id) == 0) {
		*out = facts[facts_slot(id)];
		found = 1;
	}
	pthread_mutex_unlock(&facts_lock);
	return found;
}

/* The case (show's answer, with its history: a new reference), or a
 * problem in out. */
static json_t *load_case(sv_response *out, const char *id)
{
	return read_op(out, "show", json_pack("{s:s}", "case", id));
}

/* The client that submitted the case ("" if none recorded). */
static const char *owner_of(json_t *c)
{
	json_t *first = json_array_get(json_object_get(c, "history"), 0);
	const char *o = json_string_value(json_object_get(first, "client"));
	return o ? o : "";
}

static int owns(const sv_client *cl, json_t *c)
{
	return strcmp(owner_of(c), cl->name) == 0;
}

/* Does a step of the case, or a stage of a chain case (一件事), belong to
 * the client's department? */
static int of_department(const sv_client *cl, json_t *c)
{
	static const char *const parts[] = {"steps", "stages"};
	size_t i;
	json_t *st;
	for (size_t p = 0; p < sizeof parts / sizeof *parts; p++)
		json_array_foreach(json_object_get(c, parts[p]), i, st) {
			const char *d = json_string_value(json_object_get(st, "department"));
			if (d && strcmp(d, cl->department) == 0)
				return 1;
		}
	return 0;
}

/* May the client see case c?  Supervisors and admins see every case, a
 * department those with a step of its own, a portal what it submitted. */
static int may_see(const sv_client *cl, json_t *c)
{
	switch (cl->scope) {
	case SV_SUPERVISOR: case SV_ADMIN: return 1;
	case SV_DEPARTMENT: case SV_WINDOW: return owns(cl, c) || of_department(cl, c);
	case SV_PORTAL: break;
	case SV__SCOPES: return 0;
	}
	return owns(cl, c);
}

static void route_show(const sv_request *rq, sv_response *out, const char *id)
{
	json_t *c = load_case(out, id);
	if (!c)
		return;
	if (!may_see(rq->client, c)) {
		json_decref(c);
		refuse(out, rq, "see this case: it is not its own nor at a step of its department");
		return;
	}
	int mask = !owns(rq->client, c);
	facts_put(id, owner_of(c));
	answer_text(out, 200, NULL, json_dumps(c, JSON_COMPACT)); /* as the engine answers */
	json_decref(c);
	if (out->body && mask)
		ot_mask_ids(out->body);
}

/* POST /v1/cases/{id}/{op} */
static void route_case_op(const sv_request *rq, sv_response *out, const char *id, const char *op)
{
	static const char *const ops[] = {"supplement", "withdraw", "act", "suspend", "resume",
					  "deliver", "accept", "refuse", "extend", "procedure_start",
					  "procedure_end", "pledge_check"};
	int k = -1;
	for (int i = 0; i < (int)(sizeof ops / sizeof *ops); i++)
		if (strcmp(op, ops[i]) == 0)
			k = i;
	if (k < 0) {
		char detail[300];
		snprintf(detail, sizeof detail, "cases have no operation '%.*s': supplement, withdraw, "
			 "act, suspend, resume, deliver, accept, refuse, extend, procedure_start, "
			 "procedure_end or pledge_check", clip(op, 40), op);
		sv_problem(out, 404, "no-route", "No such route", detail, NULL);
		return;
	}
	const sv_client *cl = rq->client;
	int owner_op = k <= 1; /* supplement and withdraw: the applicant's side */
	int dept = cl->scope == SV_DEPARTMENT || cl->scope == SV_WINDOW;
	if (owner_op ? !(cl->scope == SV_PORTAL || dept) : !dept) {
		char what[64];
		snprintf(what, sizeof what, "%.20s a case", op);
		refuse(out, rq, what);
		return;
	}
	json_t *req = body_object(rq, out);
	static const char *const set[] = {"case", "client", "now", "actor", "handled_by", NULL};
	if (!req || !server_fields(rq, req, out, set)) {
		json_decref(req);
		return;
	}
	json_t *officer = json_object_get(req, "officer");
	if (strcmp(op, "act") == 0 &&
	    !(json_is_string(json_object_get(officer, "id")) &&
	      json_is_string(json_object_get(officer, "name")))) {
		json_decref(req);
		sv_problem(out, 422, "officer-required", "The officer is required",
			   "act needs \"officer\": {\"id\", \"name\"} of the officer acting, recorded in "
			   "the case's history", NULL);
		return;
	}
	/* who may: the owner for the applicant's side, the department for the
	 * rest -- checked by the engine: act against the step's own department
	 * and window, the others against every step ("handled_by") */
	case_facts f;
	if (!facts_get(id, &f)) { /* the owner is in the history, and never changes */
		json_t *c = load_case(out, id);
		if (!c) {
			json_decref(req);
			return;
		}
		snprintf(f.owner, sizeof f.owner, "%s", owner_of(c));
		facts_put(id, f.owner);
		json_decref(c);
	}
	int own = strcmp(f.owner, cl->name) == 0;
	if (owner_op && !own) {
		json_decref(req);
		char what[200];
		snprintf(what, sizeof what, "%.20s case %.*s: only the client that submitted it may",
			 op, clip(id, 40), id);
		refuse(out, rq, what);
		return;
	}
	if (!owner_op && strcmp(op, "act") != 0)
		json_object_set_new(req, "handled_by", json_string(cl->department));
	int mask = !own;
	json_object_set_new(req, "case", json_string(id));
	if (dept) {
		char actor[140];
		snprintf(actor, sizeof actor, "%s%s%s", cl->department, cl->window[0] ? "." : "",
			 cl->window);
		json_object_set_new(req, "actor", json_string(actor));
	}
	write_op(rq, out, op, req, 0, mask);
}

/* GET /v1/cases?status=&item=&chain=&department=&applicant=&limit=&after= */
static json_t *paging(const sv_request *rq, sv_response *out, json_t *req)
{
	const char *limit = rq->arg(rq->arg_ud, "limit"), *after = rq->arg(rq->arg_ud, "after");
	if (limit) {
		char *end;
		long n = strtol(limit, &end, 10);
		if (!limit[0] || *end || n < 1 || n > 1000) {
			json_decref(req);
			sv_problem(out, 422, "invalid-request", "The request was refused",
				   "\"limit\" is a whole number from 1 to 1000", NULL);
			return NULL;
		}
		json_object_set_new(req, "limit", json_integer(n));
	}
	if (after)
		json_object_set_new(req, "after", json_string(after));
	return req;
}

static void route_list(const sv_request *rq, sv_response *out)
{
	const sv_client *cl = rq->client;
	json_t *req = json_object();
	static const char *const filters[] = {"status", "item", "chain", "department", "applicant"};
	for (int i = 0; i < (int)(sizeof filters / sizeof *filters); i++) {
		const char *v = rq->arg(rq->arg_ud, filters[i]);
		if (v)
			json_object_set_new(req, filters[i], json_string(v));
	}
	if (cl->scope == SV_DEPARTMENT || cl->scope == SV_WINDOW) {
		const char *asked = rq->arg(rq->arg_ud, "department");
		if (asked && strcmp(asked, cl->department) != 0) {
			json_decref(req);
			refuse(out, rq, "list another department's cases");
			return;
		}
		json_object_set_new(req, "department", json_string(cl->department));
	}
	if (!(req = paging(rq, out, req)))
		return;
	json_t *j = read_op(out, "list", req);
	if (j)
		answer_json(out, 200, j);
	if (out->body)
		ot_mask_ids(out->body); /* a list is nobody's own */
}

static void route_overdue(const sv_request *rq, sv_response *out)
{
	json_t *req = json_object();
	stamp_now(req);
	if (!(req = paging(rq, out, req)))
		return;
	json_t *j = read_op(out, "overdue", req);
	if (j)
		answer_json(out, 200, j);
}

/* GET /v1/events?after=CURSOR&wait=SECONDS&limit=N: a page of the feed,
 * or, when there is nothing after the cursor yet, a long poll (serve.c
 * waits and asks again until an event comes or `wait` has passed). */
static void route_events(const sv_request *rq, sv_response *out, int last_try)
{
	const sv_client *cl = rq->client;
	json_t *req = json_object();
	const char *after = rq->arg(rq->arg_ud, "after");
	json_object_set_new(req, "after", json_string(after ? after : "0"));
	if (cl->scope == SV_DEPARTMENT || cl->scope == SV_WINDOW)
		json_object_set_new(req, "department", json_string(cl->department));
	else if (cl->scope == SV_PORTAL)
		json_object_set_new(req, "client", json_string(cl->name));
	if (!(req = paging(rq, out, req)))
		return;
	json_t *j = read_op(out, "events", req);
	if (!j)
		return;
	if (!json_array_size(json_object_get(j, "events")) && !last_try) {
		json_decref(j);
		out->long_poll = 1;
		return;
	}
	answer_json(out, 200, j);
}

/* ---- assessment: the hot read ---- */

/* The body with the server's clock put in front, as text: the engine reads
 * the request once (parsing it here as well would double the cost of the
 * most frequent call).  NULL when the body does not begin an object. */
static char *with_now(const sv_request *rq)
{
	const char *b = rq->body;
	size_t n = rq->body_len;
	if (memchr(b, 0, n))
		return NULL;
	while (n && (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n'))
		b++, n--;
	if (!n || *b != '{')
		return NULL;
	const char *p = b + 1;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	const char *now = sv_now_text();
	size_t nl = strlen(now);
	char *text = malloc(n + nl + 12);
	if (!text)
		return NULL;
	size_t k = 0;
	memcpy(text, "{\"now\":\"", 8), k = 8;
	memcpy(text + k, now, nl), k += nl;
	text[k++] = '"';
	if (*p != '}')
		text[k++] = ',';
	memcpy(text + k, b + 1, n - 1);
	text[k + n - 1] = 0;
	return text;
}

static void route_assess(const sv_request *rq, sv_response *out)
{
	static const char *const set[] = {"client", "now", NULL};
	char *request = sv_opt.trust_now ? NULL : with_now(rq);
	if (!request) { /* the slow way: parsed here, "now" set as a field */
		json_t *req = body_object(rq, out);
		if (!req || !server_fields(rq, req, out, set)) {
			json_decref(req);
			return;
		}
		stamp_now(req);
		request = json_dumps(req, JSON_COMPACT);
		json_decref(req);
		if (!request) {
			sv_problem(out, 503, "out-of-memory", "Out of memory", "reading the request",
				   "OT_ENOMEM");
			return;
		}
	}
	ot_error err;
	char *text = NULL;
	ot_engine *e = sv_engine(&err);
	ot_status s = e ? ot_assess(e, request, &text, &err) : err.status;
	free(request);
	if (s == OT_OK) {
		answer_engine(out, 200, text, 0);
		return;
	}
	/* refused: was it JSON at all (400), a field the service sets (422, as
	 * on the slow way: the fast one gave the engine a second "now"), or a
	 * request the engine refused (422)? */
	json_t *j = s == OT_EINVAL ? body_object(rq, out) : NULL;
	if ((j && server_fields(rq, j, out, set)) || s != OT_EINVAL)
		engine_problem(out, s, &err);
	json_decref(j);
}

/* ---- the rule base ---- */

static json_t *describe(sv_response *out)
{
	ot_error err;
	ot_engine *e = sv_engine(&err);
	if (!e) {
		engine_problem(out, err.status, &err);
		return NULL;
	}
	char *text = ot_rules_describe(ot_engine_rules(e));
	json_t *d = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (!d)
		sv_problem(out, 503, "out-of-memory", "Out of memory", "describing the rules", "OT_ENOMEM");
	return d;
}

static void route_items(sv_response *out, const char *name)
{
	json_t *d = describe(out);
	if (!d)
		return;
	json_t *items = json_object_get(d, "items");
	if (!name) {
		answer_json(out, 200, json_pack("{s:O, s:O}", "rules", json_object_get(d, "hash"),
						"items", items));
		json_decref(d);
		return;
	}
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
		if (strcmp(json_string_value(json_object_get(it, "name")) ?
			   json_string_value(json_object_get(it, "name")) : "", name) == 0) {
			answer_json(out, 200, json_incref(it));
			json_decref(d);
			return;
		}
	json_decref(d);
	char detail[200];
	snprintf(detail, sizeof detail, "the rule base has no item '%.*s'", clip(name, 60), name);
	sv_problem(out, 404, "not-found", "Not found", detail, "OT_ENOTFOUND");
}

/* ---- operations ---- */

static void route_metrics(sv_response *out)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	sv_metrics_write(&buf, &len, &cap);
	sv_response scratch = {0};
	json_t *counts = read_op(&scratch, "counts", json_object());
	if (counts) {
		sv_buf_printf(&buf, &len, &cap, "# HELP onetrip_cases Cases in the store, by status.\n"
			      "# TYPE onetrip_cases gauge\n");
		const char *status;
		json_t *n;
		json_object_foreach(json_object_get(counts, "cases"), status, n)
			sv_buf_printf(&buf, &len, &cap, "onetrip_cases{status=\"%s\"} %lld\n", status,
				      (long long)json_integer_value(n));
	}
	json_decref(counts);
	/* overdue steps and cases, a page of the index at a time */
	long long steps = 0, cases = 0;
	json_t *req = json_pack("{s:i}", "limit", 1000);
	stamp_now(req);
	for (int pages = 0; req && pages < 100; pages++) {
		json_t *page = read_op(&scratch, "overdue", json_deep_copy(req));
		if (!page)
			break;
		size_t i;
		json_t *c;
		json_array_foreach(json_object_get(page, "cases"), i, c) {
			steps += (long long)json_array_size(json_object_get(c, "steps"));
			cases += json_is_true(json_object_get(c, "overdue"));
		}
		const char *next = json_string_value(json_object_get(page, "next"));
		if (next)
			json_object_set_new(req, "after", json_string(next));
		json_decref(page);
		if (!next)
			break;
	}
	json_decref(req);
	free(scratch.body);
	sv_buf_printf(&buf, &len, &cap,
		      "# HELP onetrip_overdue_steps Active steps past their due date.\n"
		      "# TYPE onetrip_overdue_steps gauge\nonetrip_overdue_steps %lld\n"
		      "# HELP onetrip_overdue_cases Cases in progress past their due date.\n"
		      "# TYPE onetrip_overdue_cases gauge\nonetrip_overdue_cases %lld\n",
		      steps, cases);
	answer_text(out, 200, "text/plain; version=0.0.4; charset=utf-8", buf);
}

static void route_reload(sv_response *out)
{
	char *why = NULL;
	ot_status s = sv_reload(&why);
	if (s != OT_OK) {
		char detail[600];
		const char *w = why ? why : "the rule base cannot be compiled";
		snprintf(detail, sizeof detail, "%.*s; the rules in use stay", clip(w, 500), w);
		free(why);
		sv_problem(out, 422, "rules", "The rules cannot be reloaded", detail, status_code(s));
		return;
	}
	free(why);
	ot_error err;
	ot_engine *e = sv_engine(&err);
	answer_json(out, 200, json_pack("{s:s, s:s?}", "reloaded", "ok", "rules",
					e ? ot_rules_hash(ot_engine_rules(e)) : NULL));
}

/* A new object of the keys of `from` that are in `keys` (those it has). */
static json_t *pick_keys(json_t *from, const char *const *keys)
{
	json_t *o = json_object();
	for (; o && *keys; keys++) {
		json_t *v = json_object_get(from, *keys);
		if (v)
			json_object_set(o, *keys, v);
	}
	return o;
}

/* Each element of the array `from` with only the keys in `keys`. */
static json_t *pick_each(json_t *from, const char *const *keys)
{
	json_t *a = json_array();
	size_t i;
	json_t *x;
	json_array_foreach(from, i, x)
		json_array_append_new(a, pick_keys(x, keys));
	return a;
}

/* The history as the applicant sees it: what happened and when, never
 * who (an officer, a client) nor why in words (a reason may name
 * somebody): an act's action; a chain's item event, which item case and
 * its status now; the time sweep's warning (黄牌, 红牌), of what deadline
 * -- a step, a material, a procedure of the rules -- and its day. */
static json_t *lookup_history(json_t *c)
{
	static const char *const act[] = {"op", "at", "action", NULL};
	static const char *const item[] = {"op", "at", "item", "case", "status", NULL};
	static const char *const warn[] = {"op", "at", "level", "target", "due", "step", "material",
					   "procedure", NULL};
	json_t *history = json_array();
	size_t i;
	json_t *ev;
	json_array_foreach(json_object_get(c, "history"), i, ev) {
		const char *op = json_string_value(json_object_get(ev, "op"));
		op = op ? op : "";
		json_array_append_new(history, pick_keys(ev, strcmp(op, "item") == 0 ? item
							 : strcmp(op, "warn") == 0 ? warn : act));
	}
	return history;
}

/* A chain case (一件事) as its applicant sees it: its stages, each with its
 * items, each item's case number and status (its own lookup tells more). */
static json_t *lookup_chain(json_t *c)
{
	static const char *const stage[] = {"stage", "label", "state", "started_at", "finished_at",
					    "due", NULL};
	static const char *const item[] = {"item", "label", "case", "status", "due", "not_needed",
					   NULL};
	json_t *stages = json_array();
	size_t i;
	json_t *st;
	json_array_foreach(json_object_get(c, "stages"), i, st) {
		json_t *s = pick_keys(st, stage);
		json_object_set_new(s, "items", pick_each(json_object_get(st, "items"), item));
		json_array_append_new(stages, s);
	}
	return json_pack("{s:s, s:O, s:O, s:O?, s:O, s:O?, s:O?, s:O?, s:o, s:o, s:O?}", "kind", "chain",
			 "id", json_object_get(c, "id"), "chain", json_object_get(c, "chain"),
			 "chain_label", json_object_get(c, "chain_label"), "status",
			 json_object_get(c, "status"), "due", json_object_get(c, "due"), "note",
			 json_object_get(c, "note"), "applicant_id",
			 json_object_get(json_object_get(c, "applicant"), "id"), "stages", stages,
			 "history", lookup_history(c), "notice", json_object_get(c, "notice"));
}

static json_t *lookup_item(json_t *c)
{
	static const char *const step[] = {"step", "label", "state", "due", "finished_at", NULL};
	return json_pack("{s:s, s:O, s:O?, s:O?, s:O, s:O?, s:O?, s:O?, s:o, s:o, s:O?}", "kind",
			 "item", "id", json_object_get(c, "id"), "item", json_object_get(c, "item"),
			 "item_label", json_object_get(c, "item_label"), "status",
			 json_object_get(c, "status"), "due", json_object_get(c, "due"), "note",
			 json_object_get(c, "note"), "applicant_id",
			 json_object_get(json_object_get(c, "applicant"), "id"), "steps",
			 pick_each(json_object_get(c, "steps"), step), "history", lookup_history(c),
			 "notice", json_object_get(c, "notice"));
}

/* POST /v1/lookup {"case", "id_no"}: the applicant's own status page
 * (办件查询).  No token: knowing both the case number and the ID number
 * is the proof.  The answer is the status only, the ID masked: of an item
 * case its steps, of a chain case (一件事) its stages and their items. */
static void route_lookup(const sv_request *rq, sv_response *out)
{
	json_t *q = body_object(rq, out);
	if (!q)
		return;
	const char *id = json_string_value(json_object_get(q, "case"));
	const char *no = json_string_value(json_object_get(q, "id_no"));
	if (!id || !no) {
		json_decref(q);
		sv_problem(out, 422, "invalid-request", "The request was refused",
			   "a lookup needs \"case\" (the case number) and \"id_no\" (the applicant's ID "
			   "number)", NULL);
		return;
	}
	long long now = (long long)time(NULL);
	long wait = sv_guard_wait(id, no, now);
	if (wait > 0) { /* guard.c: guess after guess */
		json_decref(q);
		char detail[200];
		snprintf(detail, sizeof detail, "too many failed lookups of this case number or ID "
			 "number: try again in %ld minutes, or ask at the service hall", (wait + 59) / 60);
		sv_problem(out, 429, "too-many-lookups", "Too many failed lookups", detail, NULL);
		out->retry_after = wait;
		return;
	}
	json_t *c = load_case(out, id);
	const char *have = json_string_value(json_object_get(json_object_get(c, "applicant"), "id"));
	if (c && (!have || strcasecmp(have, no) != 0)) {
		json_decref(c);
		c = NULL;
		out->status = 404;
	}
	if (!c && out->status == 404) {
		/* the same answer as for no such case: a lookup tells nothing to a guess */
		sv_problem(out, 404, "not-found", "Not found",
			   "no case with this number and ID number", "OT_ENOTFOUND");
		sv_guard_failed(id, no, now);
	}
	json_decref(q);
	if (!c)
		return;
	const char *kind = json_string_value(json_object_get(c, "kind"));
	json_t *a = kind && strcmp(kind, "chain") == 0 ? lookup_chain(c) : lookup_item(c);
	json_decref(c);
	if (!a) {
		sv_problem(out, 503, "out-of-memory", "Out of memory", "the answer could not be written",
			   "OT_ENOMEM");
		return;
	}
	answer_json(out, 200, a);
	if (out->body)
		ot_mask_ids(out->body);
}

/* ---- the table ---- */

static const char *page_type(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (dot && strcmp(dot, ".html") == 0)
		return "text/html; charset=utf-8";
	if (dot && strcmp(dot, ".js") == 0)
		return "text/javascript; charset=utf-8";
	if (dot && strcmp(dot, ".css") == 0)
		return "text/css; charset=utf-8";
	return "application/json";
}

/* the pages and the OpenAPI document, embedded; "/" is the status page */
static int route_page(const char *path, sv_response *out)
{
	const char *name = strcmp(path, "/") == 0 ? "status.html"
			 : strcmp(path, "/v1/openapi.json") == 0 ? "openapi.json" : path + 1;
	if (strchr(name, '/'))
		return 0;
	for (const hook_source *p = serve_pages; p->name; p++)
		if (strcmp(p->name, name) == 0) {
			answer_text(out, 200, page_type(name), strdup(p->text));
			out->route = strcmp(name, "openapi.json") == 0 ? "/v1/openapi.json" : "pages";
			return 1;
		}
	return 0;
}

/* Splits "/v1/cases/ID/OP" into its parts (at most 4 after /v1). */
static int split(const char *path, char parts[4][128])
{
	int n = 0;
	const char *p = path;
	while (*p == '/' && n < 4) {
		const char *q = strchr(p + 1, '/');
		size_t len = q ? (size_t)(q - p - 1) : strlen(p + 1);
		if (len >= 128 || len == 0)
			return -1;
		memcpy(parts[n], p + 1, len);
		parts[n][len] = 0;
		n++;
		p = q ? q : p + 1 + len;
	}
	return *p ? -1 : n;
}

static int method_is(const sv_request *rq, sv_response *out, const char *want)
{
	if (strcmp(rq->method, want) == 0)
		return 1;
	snprintf(out->allow, sizeof out->allow, "%s", want);
	char detail[160];
	snprintf(detail, sizeof detail, "%.*s takes %s, not %.*s", clip(rq->path, 100), rq->path, want,
		 clip(rq->method, 10), rq->method);
	sv_problem(out, 405, "method-not-allowed", "Method not allowed", detail, NULL);
	return 0;
}

/* Is there a client, and may its scope use this route? */
static int allowed(const sv_request *rq, sv_response *out, unsigned scopes, const char *what)
{
	if (!rq->client) {
		sv_problem(out, 401, "unauthorized", "A client token is needed",
			   rq->bad_token ? "the bearer token is not one of the service's clients"
					 : "send \"Authorization: Bearer TOKEN\" with a client's token",
			   NULL);
		return 0;
	}
	if (!(scopes & 1u << rq->client->scope)) {
		refuse(out, rq, what);
		return 0;
	}
	return 1;
}

static void no_route(const sv_request *rq, sv_response *out)
{
	char detail[200];
	snprintf(detail, sizeof detail, "there is no route %.*s %.*s (the routes: GET "
		 "/v1/openapi.json)", clip(rq->method, 10), rq->method, clip(rq->path, 120), rq->path);
	sv_problem(out, 404, "no-route", "No such route", detail, NULL);
}

void sv_route(const sv_request *rq, sv_response *out)
{
	char parts[4][128];
	int n = split(rq->path, parts);
	int get = strcmp(rq->method, "GET") == 0;
	out->route = "other";
	if (get && route_page(rq->path, out))
		return;
	if (n == 1 && strcmp(parts[0], "healthz") == 0) {
		out->route = "/healthz";
		answer_json(out, 200, json_pack("{s:s}", "status", "ok"));
		return;
	}
	if (n == 1 && strcmp(parts[0], "readyz") == 0) {
		out->route = "/readyz";
		json_t *c = read_op(out, "counts", json_object());
		if (c)
			answer_json(out, 200, json_pack("{s:s}", "status", "ready"));
		json_decref(c);
		return;
	}
	if (n == 1 && strcmp(parts[0], "metrics") == 0) {
		out->route = "/metrics";
		if (method_is(rq, out, "GET"))
			route_metrics(out);
		return;
	}
	if (n < 2 || strcmp(parts[0], "v1") != 0) {
		no_route(rq, out);
		return;
	}
	const char *r = parts[1];
	if (n == 2 && strcmp(r, "assess") == 0) {
		out->route = "/v1/assess";
		if (method_is(rq, out, "POST") && allowed(rq, out, P | D | W | S, "assess"))
			route_assess(rq, out);
		return;
	}
	if (n == 2 && strcmp(r, "cases") == 0) {
		out->route = "/v1/cases";
		if (get) {
			if (allowed(rq, out, D | W | S | A, "list cases"))
				route_list(rq, out);
			return;
		}
		json_t *req;
		static const char *const set[] = {"client", "now", NULL};
		if (!method_is(rq, out, "POST") || !allowed(rq, out, P | D | W, "submit applications") ||
		    !(req = body_object(rq, out)))
			return;
		if (!server_fields(rq, req, out, set)) {
			json_decref(req);
			return;
		}
		write_op(rq, out, "submit", req, 1, 0);
		return;
	}
	if (n == 3 && strcmp(r, "cases") == 0) {
		out->route = "/v1/cases/{id}";
		if (method_is(rq, out, "GET") && allowed(rq, out, P | D | W | S | A, "see cases"))
			route_show(rq, out, parts[2]);
		return;
	}
	if (n == 4 && strcmp(r, "cases") == 0) {
		out->route = "/v1/cases/{id}/{op}";
		if (method_is(rq, out, "POST") && allowed(rq, out, P | D | W, "change cases"))
			route_case_op(rq, out, parts[2], parts[3]);
		return;
	}
	if (n == 2 && strcmp(r, "overdue") == 0) {
		out->route = "/v1/overdue";
		if (method_is(rq, out, "GET") && allowed(rq, out, S | A, "read the overdue report"))
			route_overdue(rq, out);
		return;
	}
	if (n == 2 && strcmp(r, "events") == 0) {
		out->route = "/v1/events";
		if (method_is(rq, out, "GET") && allowed(rq, out, P | D | W | S | A, "read events"))
			route_events(rq, out, rq->last_try);
		return;
	}
	if ((n == 2 || n == 3) && strcmp(r, "items") == 0) {
		out->route = n == 2 ? "/v1/items" : "/v1/items/{name}";
		if (method_is(rq, out, "GET"))
			route_items(out, n == 3 ? parts[2] : NULL);
		return;
	}
	if (n == 2 && strcmp(r, "licences") == 0) {
		out->route = "/v1/licences";
		json_t *req;
		static const char *const set[] = {"client", "now", NULL};
		if (!method_is(rq, out, "POST") || !allowed(rq, out, A, "import licences") ||
		    !(req = body_object(rq, out)))
			return;
		if (!server_fields(rq, req, out, set)) {
			json_decref(req);
			return;
		}
		stamp_now(req);
		/* the import records no event: the client is named in the log */
		char *text;
		ot_error err;
		ot_status s = call("licences_import", req, NULL, NULL, NULL, &text, &err);
		json_decref(req);
		if (s == OT_OK)
			answer_engine(out, 200, text, 0);
		else
			engine_problem(out, s, &err);
		return;
	}
	if (n == 3 && strcmp(r, "licences") == 0) {
		out->route = "/v1/licences/{holder}";
		if (!method_is(rq, out, "GET") || !allowed(rq, out, S | A, "read the licence library"))
			return;
		json_t *j = read_op(out, "licences", json_pack("{s:s}", "holder", parts[2]));
		if (j)
			answer_json(out, 200, j);
		if (out->body)
			ot_mask_ids(out->body);
		return;
	}
	if (n == 2 && strcmp(r, "lookup") == 0) {
		out->route = "/v1/lookup";
		if (method_is(rq, out, "POST"))
			route_lookup(rq, out);
		return;
	}
	if (n == 3 && strcmp(r, "admin") == 0 && strcmp(parts[2], "store-check") == 0) {
		out->route = "/v1/admin/store-check";
		if (!method_is(rq, out, "GET") || !allowed(rq, out, A, "check the store"))
			return;
		json_t *j = read_op(out, "store_check", json_object()); /* reads every case: admins only */
		if (j)
			answer_json(out, 200, j);
		if (out->body)
			ot_mask_ids(out->body);
		return;
	}
	if (n == 3 && strcmp(r, "admin") == 0 && strcmp(parts[2], "reload") == 0) {
		out->route = "/v1/admin/reload";
		if (method_is(rq, out, "POST") && allowed(rq, out, A, "reload the rules"))
			route_reload(out);
		return;
	}
	no_route(rq, out);
}
