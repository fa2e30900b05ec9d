/*
 * store_if.c -- the store interface (store.h): the backend chosen by the
 * store URI, a call through its table for each store_* function, and what
 * is the same for every backend (failures kept for the operation's end,
 * the wording of damage).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "json_write.h"

static const store_vt *backend_of(store_backends b, const char *uri, const char **where)
{
	const char *colon = strchr(uri, ':');
	for (size_t i = 0; colon && i < b.n; i++) {
		size_t n = strlen(b.vt[i]->scheme);
		if ((size_t)(colon - uri) == n && strncmp(uri, b.vt[i]->scheme, n) == 0) {
			*where = colon + 1;
			return b.vt[i];
		}
	}
	*where = uri;
	return b.vt[0];
}

ot_status store_connect(ot_engine *e, store_backends b, const char *uri, int create,
			ot_error *err)
{
	const char *where;
	e->vt = backend_of(b, uri, &where);
	return e->vt->open(e, where, create, err);
}

void store_close(ot_engine *e)
{
	if (e->vt)
		e->vt->close(e);
}

const char *store_library_find(void *e, const char *applicant, const char *material, ot_time now)
{
	char key[64];
	return ((ot_engine *)e)->vt->library_find(e, store_holder_key(applicant, key), material, now);
}

ot_status store_damaged(ot_engine *e, ot_error *err, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (e->checking)
		return err_set(err, OT_ESTORE, "%s", what);
	return err_set(err, OT_ESTORE, "the store %.150s is damaged: %s: run `onetrip store check "
		       "%.150s`", store_path(e), what, store_path(e));
}

ot_status store_settle(ot_engine *e, ot_status s, ot_error *err)
{
	if (e->fault.status == OT_OK) /* as nearly always: nothing to copy */
		return s;
	ot_error f = e->fault;
	e->fault.status = OT_OK;
	e->fault.message[0] = 0;
	if (f.status == OT_OK || s == OT_ESTORE)
		return s;
	if (err)
		*err = f;
	return f.status;
}

ot_status store_check_uri(store_backends b, const char *uri, json_t **report, ot_error *err)
{
	*report = NULL;
	ot_engine *e = calloc(1, sizeof *e);
	if (!e)
		return err_set(err, OT_ENOMEM, "out of memory");
	e->zone = OT_ZONE_DEFAULT;
	e->checking = 1;
	e->busy_ms = 10000;
	const char *where;
	e->vt = backend_of(b, uri, &where);
	ot_status s = e->vt->open(e, where, STORE_AS_IS, err);
	if (s == OT_OK)
		s = store_check(e, report, err);
	else if ((*report = e->vt->unreadable(e, where, err)) != NULL)
		s = OT_OK; /* the damage is the answer */
	store_close(e);
	engine_versions_free(e);
	free(e);
	return s;
}

/* ---- through the backend's table ---- */

const char *store_path(const ot_engine *e)
{
	return e->vt->path(e);
}

/* The case cache (case_cache.c) follows every transaction: what an
 * operation saved is kept once it is committed, and dropped with the
 * transaction or the savepoint that did not keep it. */
ot_status store_begin(ot_engine *e, int deferred, ot_error *err)
{
	cache_end(e, 0); /* nothing of a transaction that never ended stays */
	ot_status s = e->vt->begin(e, deferred, err);
	/* a server the backend connected to again may be behind what the
	 * engine saw: a standby promoted before the last commits reached it,
	 * a restored backup.  A case kept with as many events as it has there
	 * could hold other ones; every case is read again. */
	if (e->store_renewed) {
		cache_clear(e);
		e->store_renewed = 0;
	}
	return s;
}

int store_lost_race(const ot_engine *e)
{
	return e->vt->lost_race(e);
}

ot_status store_commit(ot_engine *e, ot_error *err)
{
	ot_status s = e->vt->commit(e, err);
	cache_end(e, s == OT_OK);
	return s;
}

void store_rollback(ot_engine *e)
{
	e->vt->rollback(e);
	cache_end(e, 0);
}

ot_status store_put_version(ot_engine *e, const ot_rules *r, ot_error *err)
{
	return e->vt->put_version(e, r, err);
}

ot_status store_get_version(ot_engine *e, const char *hash, char **out, ot_error *err)
{
	return e->vt->get_version(e, hash, out, err);
}

ot_status store_next_id(ot_engine *e, ot_time now, char id[32], ot_error *err)
{
	return e->vt->next_id(e, now, id, err);
}

ot_status store_save(ot_engine *e, const ot_case *c, json_t *event, char *state,
		     int is_new, json_t **answer, ot_error *err)
{
	store_forget_saved(e);
	if (!state)
		return err_set(err, OT_ENOMEM, "out of memory while saving case %s", c->id);
	ot_status s = e->vt->save(e, c, event, state, is_new, err);
	if (s == OT_OK && answer && !(e->saved = json_object()))
		s = err_set(err, OT_ENOMEM, "out of memory while saving case %s", c->id);
	if (s != OT_OK) {
		free(state);
		return s;
	}
	cache_saved(e, c);
	e->saved_text = state;
	if (answer)
		*answer = json_incref(e->saved);
	return s;
}

char *store_saved_answer(ot_engine *e, const json_t *answer, int compact)
{
	if (!answer || answer != e->saved || !e->saved_text)
		return NULL;
	char *t = e->saved_text; /* the caller's now */
	if (!compact) {
		t = json_indent(e->saved_text, strlen(e->saved_text), 2);
		free(e->saved_text);
	}
	/* the answer is written: nothing reads the value it stood for */
	e->saved_text = NULL;
	json_decref(e->saved);
	e->saved = NULL;
	return t;
}

void store_forget_saved(ot_engine *e)
{
	/* an answer that stands for the text and is still held (an operation
	 * that saves another case after it: a chain moving on) becomes the
	 * value now, read back from the text; out of memory, jansson's guard
	 * fails the operation (json_guard_failed) */
	if (e->saved && e->saved->refcount > 1 && e->saved_text) {
		json_t *v = case_value(e->saved_text);
		json_object_update(e->saved, v);
		json_decref(v);
	}
	json_decref(e->saved);
	free(e->saved_text);
	e->saved = NULL;
	e->saved_text = NULL;
}

ot_status store_case_head(ot_engine *e, const char *id, int after, char item[256],
			  char hash[65], char status[32], int *events, ot_error *err)
{
	return e->vt->case_head(e, id, after, item, hash, status, events, err);
}

ot_status store_events(ot_engine *e, const char *id, int after, json_t **out, ot_error *err)
{
	return e->vt->events(e, id, after, out, err);
}

ot_status store_list(ot_engine *e, const store_query *q, json_t **out,
		     char next[STORE_CURSOR_MAX], ot_error *err)
{
	next[0] = 0;
	return e->vt->list(e, q, out, next, err);
}

ot_status store_library_add(ot_engine *e, const char *applicant,
			    const char *material, const char *case_id,
			    ot_time from, ot_time until, ot_error *err)
{
	char key[64];
	return e->vt->library_add(e, store_holder_key(applicant, key), material, case_id, from,
				  until, err);
}

ot_status store_licence_put(ot_engine *e, const licence *l, ot_error *err)
{
	char key[64];
	licence k = *l;
	k.holder = store_holder_key(l->holder, key);
	return e->vt->licence_put(e, &k, err);
}

ot_status store_licence_keep(ot_engine *e, const char *holder, const char *material,
			     const char *number, ot_time now, ot_error *err)
{
	char key[64];
	return e->vt->licence_keep(e, store_holder_key(holder, key), material, number, now, err);
}

int store_licence_term(ot_engine *e, const char *holder, const char *material,
		       const char *number, ot_time *from, ot_time *term, ot_error *err)
{
	char key[64];
	return e->vt->licence_term(e, store_holder_key(holder, key), material, number, from, term,
				   err);
}

ot_status store_licence_back(ot_engine *e, const char *holder, const char *material,
			     const char *number, ot_time term, ot_error *err)
{
	char key[64];
	return e->vt->licence_back(e, store_holder_key(holder, key), material, number, term, err);
}

const char *store_holder_key(const char *holder, char out[64])
{
	size_t i = 0;
	for (; holder[i] && i < 63; i++)
		out[i] = holder[i] >= 'a' && holder[i] <= 'z' ? (char)(holder[i] - 32) : holder[i];
	out[i] = 0;
	return out;
}

/* Whether a licence (ok: 1 valid, 2 expired; until: -1 for no end) comes
 * before the one kept: a valid one first, of those one without an end,
 * then the one that ends (or ended) last. */
static int lic_better(int ok, ot_time until, int kept_ok, ot_time kept_until)
{
	if (ok != kept_ok)
		return ok < kept_ok;
	if ((until < 0) != (kept_until < 0))
		return until < 0;
	return until > kept_until;
}

void store_lic_consider(store_lic_pick *p, const char *text, ot_time u, ot_time now,
			char number[REF_CAP], ot_time *until)
{
	int ok = u < 0 || u > now ? 1 : 2;
	if (!text)
		p->damaged = 1;
	else if (!p->found || lic_better(ok, u, p->found, *until)) {
		snprintf(number, REF_CAP, "%s", text);
		*until = u;
		p->found = ok;
	}
}

int store_held_for(const store_held *h, const char *holder, ot_time now)
{
	return h->valid && h->now == now && strcmp(h->holder, holder) == 0;
}

void store_held_start(store_held *h, const char *holder, ot_time now)
{
	h->valid = 0;
	h->n = 0;
	h->now = now;
	str_copy(h->holder, sizeof h->holder, holder);
}

int store_held_add(store_held *h, const char *material, const char *number, ot_time until)
{
	struct store_held_row *r = h->n >= 0 && h->n < STORE_HELD ? &h->row[h->n] : NULL;
	if (!r || strlen(material) >= sizeof r->material) {
		h->n = -1;
		return 0;
	}
	strcpy(r->material, material);
	snprintf(r->number, sizeof r->number, "%s", number ? number : "");
	r->damaged = !number;
	r->until = until;
	h->n++;
	return 1;
}

void store_held_pick(const store_held *h, const char *material, ot_time now, store_lic_pick *p,
		     char number[REF_CAP], ot_time *until)
{
	for (int i = 0; i < h->n; i++)
		if (strcmp(h->row[i].material, material) == 0)
			store_lic_consider(p, h->row[i].damaged ? NULL : h->row[i].number,
					   h->row[i].until, now, number, until);
}

int store_licence_find(ot_engine *e, const char *holder, const char *material,
		       ot_time now, char number[REF_CAP], ot_time *until)
{
	char key[64];
	int found = e->vt->licence_find(e, store_holder_key(holder, key), material, now, number,
					until);
	if (found > 0) /* a number stored longer than REF_CAP, before imports refused one */
		utf8_settle(number);
	return found;
}

ot_status store_licences_of(ot_engine *e, const char *holder, json_t **out, ot_error *err)
{
	char key[64];
	return e->vt->licences_of(e, store_holder_key(holder, key), out, err);
}

ot_status store_claimed(ot_engine *e, const char *id, const char *warn_at, store_claim_pos *pos,
			char id_out[32], ot_error *err)
{
	if (!id || !warn_at || strlen(id) >= sizeof pos->id || strlen(warn_at) >= sizeof pos->day)
		return store_damaged(e, err, "a case the time sweep claims has no readable id or day");
	strcpy(pos->day, warn_at);
	strcpy(pos->id, id);
	strcpy(id_out, id);
	return OT_OK;
}

ot_status store_claim(ot_engine *e, const char *today, store_claim_pos *pos, int limit,
		      char (*ids)[32], int *n, ot_error *err)
{
	*n = 0;
	return e->vt->claim(e, today, pos, limit, ids, n, err);
}

ot_status store_warn_at(ot_engine *e, const ot_case *c, ot_error *err)
{
	return e->vt->warn_at(e, c, err);
}

static void store_feed_warning(json_t *entry, const char *payload)
{
	static const char *const keys[] = {"level", "target", "due", "department", "step",
					   "material", "procedure"};
	json_t *p = json_loads(payload, 0, NULL), *w = json_object();
	for (size_t i = 0; p && w && i < OT_COUNTOF(keys); i++)
		if (json_is_string(json_object_get(p, keys[i])))
			json_object_set(w, keys[i], json_object_get(p, keys[i]));
	if (p && w)
		json_object_set(entry, "warning", w);
	json_decref(w);
	json_decref(p);
}

json_t *store_feed_entry(long long cursor, const char *case_id, long long seq, const char *at,
			 const char *op, const char *actor, const char *item, const char *status,
			 const char *warning)
{
	char text[24];
	snprintf(text, sizeof text, "%lld", cursor);
	int chain = item && strncmp(item, "chain:", 6) == 0;
	json_t *ev = json_pack("{s:s, s:s?, s:I, s:s?, s:s?, s:s?, s:s?, s:s?}", "cursor", text,
			       "case", case_id, "seq", (json_int_t)seq, "at", at, "op", op, "actor",
			       actor, chain ? "chain" : "item", chain ? item + 6 : item, "status",
			       status);
	if (ev && warning)
		store_feed_warning(ev, warning);
	return ev;
}

ot_status store_check(ot_engine *e, json_t **report, ot_error *err)
{
	return e->vt->check(e, report, err);
}

/* ---- moving a store ---- */

const store_table store_layout[] = {
	{"rule_versions", "hash, stored_at, sources", 3, 1, 0},
	{"cases", "id, item, rules, status, applicant, department, handlers, due, updated, state,"
		  " next_due, warn_at", 12, 1, 0},
	{"events", "case_id, seq, at, op, actor, rules, payload", 7, 2, 1},
	{"library", "applicant, material, case_id, valid_from, valid_until", 5, 3, 0},
	{"licences", "holder, material, number, issuer, valid_from, valid_until, case_id,"
		     " term_until", 8, 3, 0},
	{"counters", "day, n", 2, 1, 0},
	{"idempotency", "key, fingerprint, op, response, stored_at, expires", 6, 1, 0},
};
const size_t store_layout_n = OT_COUNTOF(store_layout);

#define COPY_PAGE 500

/* Copies table t a page at a time, inside to's transaction. */
static ot_status copy_table(ot_engine *from, ot_engine *to, const store_table *t,
			    long long *copied, ot_error *err)
{
	json_t *after = NULL, *page = NULL;
	ot_status s = OT_OK;
	*copied = 0;
	do {
		json_decref(page);
		page = NULL;
		if ((s = from->vt->rows(from, t, after, COPY_PAGE, &page, err)) != OT_OK)
			break;
		size_t i;
		json_t *row;
		json_array_foreach(page, i, row) {
			if ((s = to->vt->put_row(to, t, row, err)) != OT_OK)
				break;
			++*copied;
		}
		json_decref(after);
		after = json_array_size(page) ? json_array() : NULL;
		json_t *last = json_array_get(page, json_array_size(page) - 1);
		if (after && t->by_feed)
			json_array_append(after, json_array_get(last, (size_t)t->ncolumns));
		for (int k = 0; after && !t->by_feed && k < t->nkey; k++)
			json_array_append(after, json_array_get(last, (size_t)k));
	} while (s == OT_OK && json_array_size(page) == COPY_PAGE);
	json_decref(page);
	json_decref(after);
	return s;
}

/* The same number of rows in every table of both stores, and `to` sound. */
static ot_status copy_verify(ot_engine *from, ot_engine *to, json_t *tables, ot_error *err)
{
	for (size_t i = 0; i < store_layout_n; i++) {
		long long a = 0, b = 0;
		ot_status s = from->vt->count(from, &store_layout[i], &a, err);
		if (s == OT_OK)
			s = to->vt->count(to, &store_layout[i], &b, err);
		if (s != OT_OK)
			return s;
		if (a != b || b != json_integer_value(json_object_get(tables, store_layout[i].name)))
			return err_set(err, OT_ESTORE, "the copy of table %s has %lld row%s, the store "
				       "copied %lld", store_layout[i].name, b, b == 1 ? "" : "s", a);
	}
	json_t *check = NULL;
	ot_status s = store_check(to, &check, err);
	if (s == OT_OK && !json_is_true(json_object_get(check, "sound"))) {
		json_t *p = json_array_get(json_object_get(check, "problems"), 0);
		s = err_set(err, OT_ESTORE, "the copy %.150s is not sound, nothing was copied: %s%s%s%s",
			    store_path(to),
			    json_string_value(json_object_get(p, "case")) ? "case " : "",
			    json_string_value(json_object_get(p, "case")) ?
				    json_string_value(json_object_get(p, "case")) : "",
			    json_string_value(json_object_get(p, "case")) ? ": " : "",
			    json_string_value(json_object_get(p, "problem")));
	}
	if (s == OT_OK)
		json_object_set(tables, "events_replayed", json_object_get(check, "events"));
	json_decref(check);
	return s;
}

/* An engine with no rule base of its own, on the store `uri`. */
static ot_engine *bare_engine(void)
{
	ot_engine *e = calloc(1, sizeof *e);
	if (e) {
		e->zone = OT_ZONE_DEFAULT;
		e->busy_ms = 10000;
	}
	return e;
}

static void bare_close(ot_engine *e)
{
	if (!e)
		return;
	store_close(e);
	engine_versions_free(e);
	free(e);
}

/* OT_OK when every table of `to` is empty. */
static ot_status copy_target_empty(ot_engine *to, ot_error *err)
{
	long long have = 0;
	ot_status s = OT_OK;
	for (size_t i = 0; s == OT_OK && i < store_layout_n; i++) {
		s = to->vt->count(to, &store_layout[i], &have, err);
		if (s == OT_OK && have)
			s = err_set(err, OT_ESTORE, "the store %.150s is not empty (its table %s has "
				    "%lld row%s): copy only into a new store", store_path(to),
				    store_layout[i].name, have, have == 1 ? "" : "s");
	}
	return s;
}

static ot_status copy_into(ot_engine *from, ot_engine *to, json_t *tables, ot_error *err)
{
	ot_status s = copy_target_empty(to, err);
	/* one moment of the source, one transaction of the copy */
	if (s != OT_OK || (s = store_begin(from, 1, err)) != OT_OK)
		return s;
	if ((s = store_begin(to, 0, err)) != OT_OK) {
		store_rollback(from);
		return s;
	}
	for (size_t i = 0; s == OT_OK && i < store_layout_n; i++) {
		long long n = 0;
		s = copy_table(from, to, &store_layout[i], &n, err);
		if (s == OT_OK && json_object_set_new(tables, store_layout[i].name, json_integer(n)))
			s = err_set(err, OT_ENOMEM, "out of memory");
	}
	/* verified before it is committed, the source counted in the moment
	 * it was copied from (its engines go on writing): a copy that is not
	 * right is not kept */
	if (s == OT_OK)
		s = copy_verify(from, to, tables, err);
	store_rollback(from);
	if (s == OT_OK)
		return store_commit(to, err);
	store_rollback(to);
	/* written meanwhile (two copies into one new store at once): that is
	 * what went wrong, not the row the other copy wrote first */
	ot_error why;
	if (copy_target_empty(to, &why) == OT_ESTORE && strstr(why.message, "is not empty"))
		*err = why;
	return s;
}

ot_status store_copy_uri(store_backends b, const char *from_uri, const char *to_uri,
			 json_t **report, ot_error *err)
{
	*report = NULL;
	ot_engine *from = bare_engine(), *to = bare_engine();
	json_t *tables = json_object();
	const char *where;
	ot_status s = from && to && tables ? OT_OK : err_set(err, OT_ENOMEM, "out of memory");
	if (s == OT_OK) {
		from->vt = backend_of(b, from_uri, &where);
		s = from->vt->open(from, where, STORE_AS_IS, err);
	}
	if (s == OT_OK) {
		to->vt = backend_of(b, to_uri, &where);
		s = to->vt->open(to, where, STORE_CREATE, err);
	}
	if (s == OT_OK)
		s = copy_into(from, to, tables, err);
	if (s == OT_OK) {
		json_t *replayed = json_incref(json_object_get(tables, "events_replayed"));
		json_object_del(tables, "events_replayed");
		*report = json_pack("{s:s, s:s, s:O, s:O, s:o, s:b}", "from", store_path(from), "to",
				    store_path(to), "tables", tables, "cases",
				    json_object_get(tables, "cases"), "events_replayed", replayed,
				    "verified", 1);
		if (!*report)
			s = err_set(err, OT_ENOMEM, "out of memory");
	}
	json_decref(tables);
	bare_close(from);
	bare_close(to);
	return s;
}

ot_status store_idem_get(ot_engine *e, const char *key, long long now_s, char fingerprint[65],
			 char op[32], char **response, ot_error *err)
{
	*response = NULL;
	fingerprint[0] = 0;
	op[0] = 0;
	return e->vt->idem_get(e, key, now_s, fingerprint, op, response, err);
}

ot_status store_idem_put(ot_engine *e, const char *key, const char *fingerprint, const char *op,
			 const char *response, long long now_s, long long expires_s,
			 ot_error *err)
{
	return e->vt->idem_put(e, key, fingerprint, op, response, now_s, expires_s, err);
}

ot_status store_feed(ot_engine *e, const store_feed_query *q, json_t **out, long long *next,
		     ot_error *err)
{
	*next = q->after;
	return e->vt->feed(e, q, out, next, err);
}

ot_status store_counts(ot_engine *e, json_t **out, ot_error *err)
{
	return e->vt->counts(e, out, err);
}

ot_status store_savepoint(ot_engine *e, ot_error *err)
{
	return e->vt->savepoint(e, err);
}

ot_status store_release(ot_engine *e, ot_error *err)
{
	return e->vt->release(e, err);
}

void store_rollback_to(ot_engine *e)
{
	e->vt->rollback_to(e);
	cache_rollback_to(e);
}
