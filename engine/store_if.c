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
	return ((ot_engine *)e)->vt->library_find(e, applicant, material, now);
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
	ot_status s = e->vt->open(e, where, 0, err);
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

ot_status store_begin(ot_engine *e, int deferred, ot_error *err)
{
	return e->vt->begin(e, deferred, err);
}

int store_lost_race(const ot_engine *e)
{
	return e->vt->lost_race(e);
}

ot_status store_commit(ot_engine *e, ot_error *err)
{
	return e->vt->commit(e, err);
}

void store_rollback(ot_engine *e)
{
	e->vt->rollback(e);
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

ot_status store_save(ot_engine *e, const ot_case *c, json_t *event, json_t *state,
		     int is_new, ot_error *err)
{
	return e->vt->save(e, c, event, state, is_new, err);
}

ot_status store_case_head(ot_engine *e, const char *id, char item[256], char hash[65],
			  char status[32], ot_error *err)
{
	return e->vt->case_head(e, id, item, hash, status, err);
}

ot_status store_events(ot_engine *e, const char *id, json_t **out, ot_error *err)
{
	return e->vt->events(e, id, out, err);
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
	return e->vt->library_add(e, applicant, material, case_id, from, until, err);
}

ot_status store_licence_put(ot_engine *e, const licence *l, ot_error *err)
{
	return e->vt->licence_put(e, l, err);
}

int store_licence_find(ot_engine *e, const char *holder, const char *material,
		       ot_time now, char number[64], ot_time *until)
{
	return e->vt->licence_find(e, holder, material, now, number, until);
}

ot_status store_licences_of(ot_engine *e, const char *holder, json_t **out, ot_error *err)
{
	return e->vt->licences_of(e, holder, out, err);
}

ot_status store_check(ot_engine *e, json_t **report, ot_error *err)
{
	return e->vt->check(e, report, err);
}

ot_status store_idem_get(ot_engine *e, const char *key, long long now_s, char fingerprint[65],
			 char **response, ot_error *err)
{
	*response = NULL;
	fingerprint[0] = 0;
	return e->vt->idem_get(e, key, now_s, fingerprint, response, err);
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
}
