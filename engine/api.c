/*
 * api.c -- the operations intake systems call.
 *
 * Each operation parses its JSON request, then runs in one transaction:
 * load the case, decide, record the decision as an event, apply it, save.
 * Anything refused (a bad request, a wrong state, another department's
 * step) rolls back and leaves the store as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sha2.h>

#include "api.h"
#include "backends.h"
#include "engine.h"
#include "hooks.h"
#include "idcheck.h"
#include "json_read.h"
#include "json_write.h"

/* ---- engine and rule versions ---- */

/* The store URI's schemes; a bare path is SQLite's. */
static const store_vt *const store_tables[] = {&store_sqlite, &store_pg, &store_pg_short};
static const store_backends stores = {store_tables, OT_COUNTOF(store_tables)};





/* The size of each version's configuration: a program built with an older
 * header has a smaller struct, which the library must neither write past
 * nor read past. */
static const size_t config_size[] = {
	[1] = offsetof(ot_engine_config, compact_answers),
	[2] = sizeof(ot_engine_config),
};
_Static_assert(OT_COUNTOF(config_size) == OT_ENGINE_CONFIG_VERSION + 1,
	       "config_size has a size for every version");

void ot_engine_config_init_sized(ot_engine_config *c, size_t size)
{
	int v = 0;
	while (v < OT_ENGINE_CONFIG_VERSION && config_size[v + 1] <= size)
		v++;
	if (!v) /* smaller than any version: nothing to fill */
		return;
	memset(c, 0, config_size[v]);
	c->version = v;
	c->busy_ms = 10000;
	c->case_cache = 256;
	c->warn_workdays = 1;
}

/* Programs built before version 2 call the function itself. */
void (ot_engine_config_init)(ot_engine_config *c)
{
	ot_engine_config_init_sized(c, config_size[1]);
}

/* The configuration's rule base, a reference of our own. */
static ot_status config_rules(const ot_engine_config *c, ot_rules **out, ot_error *err)
{
	if (c->rules) {
		*out = ot_rules_ref(c->rules);
		return OT_OK;
	}
	ot_compile_options opt = {c->alloc, c->alloc_ud, 0};
	ot_diags *d = NULL;
	const char *path = c->rules_path;
	ot_status s = ot_rules_compile(&path, 1, &opt, out, &d);
	if (s != OT_OK)
		err_set(err, s, s == OT_ERULES ? "the rule base %s has %zu errors: run `onetrip check %s`"
			: "cannot load the rule base %s (%zu errors): run `onetrip check %s`",
			path, ot_diags_errors(d), path);
	ot_diags_free(d);
	return s;
}

ot_status ot_engine_open_config(const ot_engine_config *c, ot_engine **out, ot_error *err)
{
	ot_error local;
	if (!err)
		err = &local;
	if (!out)
		return err_set(err, OT_EINVAL, "ot_engine_open_config needs a place for the engine");
	*out = NULL;
	if (!c || c->version < 1 || c->version > OT_ENGINE_CONFIG_VERSION)
		return err_set(err, OT_EINVAL, "the engine configuration was not made by "
			       "ot_engine_config_init of this onetrip");
	if ((!c->rules && !c->rules_path) || !c->store)
		return err_set(err, OT_EINVAL, "an engine needs a rule base (rules or rules_path) and a "
			       "store");
	if (c->busy_ms < 0 || c->busy_ms > 3600000)
		return err_set(err, OT_EINVAL, "busy_ms is from 0 to 3600000 (an hour), not %d",
			       c->busy_ms);
	if (c->case_cache < 0 || c->case_cache > 1000000)
		return err_set(err, OT_EINVAL, "case_cache is from 0 to 1000000 cases, not %d",
			       c->case_cache);
	if (c->warn_workdays < -1 || c->warn_workdays > 30)
		return err_set(err, OT_EINVAL, "warn_workdays is from -1 (no yellow warnings) to 30, "
			       "not %d", c->warn_workdays);
	json_guard_install();
	ot_engine *e = calloc(1, sizeof *e);
	if (!e)
		return err_set(err, OT_ENOMEM, "out of memory");
	e->log = c->log;
	e->log_ud = c->log_ud;
	e->busy_ms = c->busy_ms;
	e->cache_cap = c->case_cache;
	e->warn_workdays = c->warn_workdays;
	/* a version 1 configuration ends before these (config_size) */
	int v2 = c->version >= 2;
	e->compact = v2 && c->compact_answers != 0;
	ot_rules *r = NULL;
	ot_status s = config_rules(c, &r, err);
	if (s != OT_OK) {
		free(e);
		return s;
	}
	e->current = r;
	e->zone = r->zone; /* times without an offset are the rule base's local time */
	if (!version_init(&e->versions[0], r)) {
		ot_rules_free(r);
		free(e);
		return err_set(err, OT_ENOMEM, "out of memory");
	}
	e->nversions = 1;
	/* store the version once; opening for reading takes no write lock */
	char *have = NULL;
	if ((s = store_connect(e, stores, c->store,
			       v2 && c->open_existing ? STORE_MIGRATE : STORE_CREATE, err)) == OT_OK &&
	    (s = store_get_version(e, ot_rules_hash(r), &have, err)) == OT_OK && !have &&
	    (s = store_begin(e, 0, err)) == OT_OK) {
		s = store_put_version(e, r, err);
		s = s == OT_OK ? store_commit(e, err) : (store_rollback(e), s);
	}
	free(have);
	if (s != OT_OK) {
		ot_engine_close(e);
		return s;
	}
	*out = e;
	return OT_OK;
}

ot_status ot_engine_open(const char *rules_path, const char *db_path,
			 ot_engine **out, ot_error *err)
{
	if (out)
		*out = NULL;
	if (!rules_path || !db_path)
		return err_set(err, OT_EINVAL, "ot_engine_open needs a rules path and a store path");
	ot_engine_config c;
	ot_engine_config_init(&c);
	c.rules_path = rules_path;
	c.store = db_path;
	return ot_engine_open_config(&c, out, err);
}

void ot_engine_close(ot_engine *e)
{
	if (!e)
		return;
	store_forget_saved(e);
	store_close(e);
	engine_versions_free(e);
	free(e);
}

ot_status ot_store_check(const char *db_path, char **report_text, ot_error *err)
{
	ot_error local;
	if (!err)
		err = &local;
	err->status = OT_OK;
	err->message[0] = 0;
	if (!report_text || !db_path)
		return err_set(err, OT_EINVAL, "ot_store_check needs a store path and a place for the "
			       "report");
	*report_text = NULL;
	json_t *r = NULL;
	ot_status s = store_check_uri(stores, db_path, &r, err);
	if (s == OT_OK && !(*report_text = json_dumps(r, JSON_INDENT(2))))
		s = err_set(err, OT_ENOMEM, "out of memory writing the report");
	json_decref(r);
	return s;
}

ot_status ot_store_copy(const char *from, const char *to, char **report_text, ot_error *err)
{
	ot_error local;
	if (!err)
		err = &local;
	err->status = OT_OK;
	err->message[0] = 0;
	if (!report_text || !from || !to)
		return err_set(err, OT_EINVAL, "ot_store_copy needs two stores and a place for the "
			       "report");
	*report_text = NULL;
	json_guard_install();
	json_t *r = NULL;
	ot_status s = store_copy_uri(stores, from, to, &r, err);
	if (s == OT_OK && !(*report_text = json_dumps(r, JSON_INDENT(2))))
		s = err_set(err, OT_ENOMEM, "out of memory writing the report");
	json_decref(r);
	return s;
}

const ot_rules *ot_engine_rules(const ot_engine *e)
{
	return e ? e->current : NULL;
}

/* ---- requests ---- */


static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- what a request holds (the tables are by the operations, below) ---- */

/* The JSON type of a request field and, for a string, what it holds. */
typedef enum rq_type {
	RQ_TEXT,   /* a string */
	RQ_TIME,   /* a string: an ISO 8601 time (time_parse) */
	RQ_DATE,   /* a string: a date YYYY-MM-DD (day_parse) */
	RQ_ID,     /* a string: a resident ID number or credit code */
	RQ_FORM,   /* an object of field values, checked against the form */
	RQ_NAMES,  /* a list of strings */
	RQ_OBJECT, /* an object with the fields `sub` */
	RQ_LIST,   /* a list of objects with the fields `sub` */
	RQ_ACTOR,  /* a string, or an object with the fields `sub` */
	RQ_PAGE,   /* a whole number from 1 to STORE_PAGE_MAX */
	RQ_COUNT,  /* a whole number from 1 to 1000 (days, as in `extend`) */
	RQ_FLAG,   /* true or false */
} rq_type;

/* What a message says a field must be. */
static const char *const rq_type_names[] = {
	[RQ_TEXT] = "a string",
	[RQ_TIME] = "a string, an ISO 8601 time such as 2019-09-27T09:00",
	[RQ_DATE] = "a string, a date YYYY-MM-DD",
	[RQ_ID] = "a string, an ID number or credit code",
	[RQ_FORM] = "an object of field values",
	[RQ_NAMES] = "a list of strings",
	[RQ_OBJECT] = "an object",
	[RQ_LIST] = "a list of objects",
	[RQ_ACTOR] = "a string \"department[.window]\" or an object {\"department\", \"window\"}",
	[RQ_PAGE] = "a whole number from 1 to 1000",
	[RQ_COUNT] = "a whole number from 1 to 1000",
	[RQ_FLAG] = "true or false",
};

typedef struct rq_field {
	const char *name; /* NULL ends a table */
	rq_type type;
	int required;
	const char *about; /* what the field is: "the request needs X, ABOUT" */
	const struct rq_field *sub;
} rq_field;

/* An ID number or credit code is at most this long: 18 characters, with
 * room for the older 15-digit numbers and codes of other registries. */
#define RQ_ID_MAX 32

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "a list";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "true/false";
	case JSON_NULL: break;
	}
	return "null";
}

static ot_status rq_fields(const char *op, const rq_field *fields, json_t *obj,
			   const char *path, int zone, ot_error *err);

/* A field's path for a message ("applicant.id", "materials[2]"): written
 * only when there is a message, not on the way of every request. */
static const char *rq_path(char out[160], const char *parent, const rq_field *f)
{
	if (!parent[0])
		return f->name;
	snprintf(out, 160, "%.100s.%.40s", parent, f->name);
	return out;
}

static ot_status rq_wrong(const char *op, const rq_field *f, const char *parent,
			  const json_t *v, ot_error *err)
{
	char at[160];
	return err_set(err, OT_EINVAL, "%s: \"%s\" must be %s, not %s", op, rq_path(at, parent, f),
		       rq_type_names[f->type], json_kind(v));
}

/* The days the engine counts, as day_parse reads them back from the
 * store: a request's time, and every due date a case is given. */
#define OT_FIRST_DAY "1900-01-01"
#define OT_LAST_DAY "2199-12-31"

static int day_counted(int32_t day)
{
	int y, m, d;
	cal_civil_from_days(day, &y, &m, &d);
	return cal_valid_date(y, m, d);
}

/* A string field: a string without NUL, and a valid time, date or ID. */
static ot_status rq_string(const char *op, const rq_field *f, const char *parent,
			   const json_t *v, int zone, ot_error *err)
{
	if (!json_is_string(v))
		return rq_wrong(op, f, parent, v, err);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	ot_time t;
	int32_t day;
	char at[160];
	if (strlen(s) != n) /* jansson refuses \u0000 already; never act on a cut text */
		return err_set(err, OT_EINVAL, "%s: \"%s\" holds a NUL character", op,
			       rq_path(at, parent, f));
	if (f->type == RQ_TIME && !time_parse(s, zone, &t))
		return err_set(err, OT_EINVAL, "%s: \"%s\" is not an ISO 8601 time: '%s'", op,
			       rq_path(at, parent, f), MSG_QUOTE(s, 40));
	if (f->type == RQ_TIME && !day_counted(time_day(t, zone))) {
		/* valid as written, but its day in the rule base's zone is not
		 * one the engine counts (or could store and read back) */
		char local[32];
		time_format(t, zone, local);
		return err_set(err, OT_EINVAL, "%s: \"%s\" is out of range: '%s' is %.10s in the rule "
			       "base's time zone; the engine counts days from %s to %s", op,
			       rq_path(at, parent, f), MSG_QUOTE(s, 40), local, OT_FIRST_DAY,
			       OT_LAST_DAY);
	}
	if (f->type == RQ_DATE && !day_parse(s, &day))
		return err_set(err, OT_EINVAL, "%s: \"%s\" is not a date YYYY-MM-DD: '%s'", op,
			       rq_path(at, parent, f), MSG_QUOTE(s, 40));
	int id_ok = n > 0 && n <= RQ_ID_MAX;
	for (size_t i = 0; f->type == RQ_ID && i < n; i++)
		id_ok &= (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') ||
			 (s[i] >= 'a' && s[i] <= 'z');
	if (f->type == RQ_ID && !id_ok)
		return err_set(err, OT_EINVAL, "%s: \"%s\" is not an ID number or credit code "
			       "(up to %d letters and digits): '%s'", op, rq_path(at, parent, f),
			       RQ_ID_MAX, MSG_QUOTE(s, 40));
	return OT_OK;
}

/* An ID number's check character is X: ...002x is written ...002X, as the
 * store keys every applicant and holder, so that a case shows the number
 * as its store finds it. */
static ot_status rq_id_upper(json_t *v, ot_error *err)
{
	_Static_assert(RQ_ID_MAX < 64, "store_holder_key keeps 63 characters");
	char up[64];
	const char *s = json_string_value(v);
	if (strcmp(store_holder_key(s, up), s) && json_string_set(v, up) != 0)
		return err_set(err, OT_ENOMEM, "out of memory");
	return OT_OK;
}

/* One field's value against its declared type; `parent` is the path of
 * the object it is in ("" at the top). */
static ot_status rq_value(const char *op, const rq_field *f, const char *parent, json_t *v,
			  int zone, ot_error *err)
{
	char path[160], at[180];
	size_t i;
	json_t *x;
	ot_status s = OT_OK;
	switch (f->type) {
	case RQ_TEXT: case RQ_TIME: case RQ_DATE:
		return rq_string(op, f, parent, v, zone, err);
	case RQ_ID:
		s = rq_string(op, f, parent, v, zone, err);
		return s == OT_OK ? rq_id_upper(v, err) : s;
	case RQ_FORM:
		return json_is_object(v) ? OT_OK : rq_wrong(op, f, parent, v, err);
	case RQ_FLAG:
		return json_is_boolean(v) ? OT_OK : rq_wrong(op, f, parent, v, err);
	case RQ_PAGE: case RQ_COUNT:
		return json_is_integer(v) && json_integer_value(v) >= 1 &&
		       json_integer_value(v) <= STORE_PAGE_MAX ? OT_OK : rq_wrong(op, f, parent, v, err);
	case RQ_OBJECT:
		return json_is_object(v) ? rq_fields(op, f->sub, v, rq_path(path, parent, f), zone, err)
					 : rq_wrong(op, f, parent, v, err);
	case RQ_ACTOR:
		return json_is_string(v) ? rq_string(op, f, parent, v, zone, err)
		     : json_is_object(v) ? rq_fields(op, f->sub, v, rq_path(path, parent, f), zone, err)
					 : rq_wrong(op, f, parent, v, err);
	case RQ_NAMES: case RQ_LIST:
		if (!json_is_array(v))
			return rq_wrong(op, f, parent, v, err);
		json_array_foreach(v, i, x) {
			if (f->type == RQ_NAMES && json_is_string(x))
				continue;
			snprintf(at, sizeof at, "%.150s[%zu]", rq_path(path, parent, f), i);
			if (f->type == RQ_LIST && !json_is_object(x))
				return err_set(err, OT_EINVAL, "%s: \"%s\" must be an object, not %s",
					       op, at, json_kind(x));
			if (f->type == RQ_NAMES)
				return err_set(err, OT_EINVAL, "%s: \"%s\" must be a string, not %s",
					       op, at, json_kind(x));
			s = rq_fields(op, f->sub, x, at, zone, err);
			if (s != OT_OK)
				return s;
		}
		return OT_OK;
	}
	return OT_OK;
}

/* A field the table does not have: refused, with the nearest name or
 * the names there are. */
static ot_status rq_unknown(const char *op, const rq_field *fields, const char *path,
			    const char *key, ot_error *err)
{
	const char *best = NULL;
	int cap = strlen(key) <= 3 ? 1 : 2; /* "foo" is not a typo of "now" */
	int bestd = cap + 1;
	char known[256] = "";
	size_t n = 0;
	for (const rq_field *f = fields; f->name; f++) {
		int d = edit_distance(key, f->name, cap);
		if (d < bestd) {
			bestd = d;
			best = f->name;
		}
		if (n < sizeof known)
			n += (size_t)snprintf(known + n, sizeof known - n, "%s%s", n ? ", " : "", f->name);
	}
	if (best)
		return err_set(err, OT_EINVAL, "%s: unknown field \"%s%s%s\" — did you mean \"%s\"?",
			       op, path, path[0] ? "." : "", MSG_QUOTE(key, 40), best);
	return err_set(err, OT_EINVAL, "%s: unknown field \"%s%s%s\" (%s takes: %s)", op, path,
		       path[0] ? "." : "", MSG_QUOTE(key, 40), path[0] ? path : op, known);
}

/* Every key of obj is a field of the table, every required field is
 * there, and each has its type.  null counts as left out. */
static ot_status rq_fields(const char *op, const rq_field *fields, json_t *obj,
			   const char *path, int zone, ot_error *err)
{
	/* one pass over the request's keys, each found in the table (a
	 * table has fewer than 32 fields); then the required ones missing */
	const char *key;
	json_t *v;
	void *next;
	uint32_t seen = 0;
	json_object_foreach_safe(obj, next, key, v) {
		int k = 0;
		while (fields[k].name && (fields[k].name[0] != key[0] || strcmp(fields[k].name, key)))
			k++;
		if (!fields[k].name)
			return rq_unknown(op, fields, path, key, err);
		if (json_is_null(v)) { /* counts as left out */
			json_object_del(obj, key);
			continue;
		}
		seen |= 1u << k;
		ot_status s = rq_value(op, &fields[k], path, v, zone, err);
		if (s != OT_OK)
			return s;
	}
	for (int k = 0; fields[k].name; k++)
		if (fields[k].required && !(seen & 1u << k)) {
			char at[160];
			return err_set(err, OT_EINVAL, "%s: the request needs \"%s\", %s", op,
				       rq_path(at, path, &fields[k]), fields[k].about);
		}
	return OT_OK;
}

/* pooled: the operation frees the request's values at its end (a read):
 * json_read cuts them from this thread's slab (json_pool_begin, base.h) */
static ot_status parse(const char *op, const char *text, const rq_field *fields, int zone,
		       int pooled, req *r, ot_error *err)
{
	json_error_t je;
	r->op = op;
	r->now = 0;
	r->text = NULL;
	/* the fast reader first (json_read.h); what it does not take, jansson
	 * reads, and says what is wrong.  A key given twice would be read one
	 * way here and another elsewhere: both refuse it. */
	if (pooled)
		json_pool_begin();
	r->j = json_read(text ? text : "");
	if (pooled)
		json_pool_end();
	if (!r->j)
		r->j = json_loads(text ? text : "", JSON_REJECT_DUPLICATES, &je);
	if (!r->j && json_error_code(&je) != json_error_out_of_memory && je.text[0]) {
		/* jansson may report an allocation that failed as bad syntax: a
		 * text that is JSON after all was refused for want of memory */
		json_error_t again;
		json_t *j = json_loads(text ? text : "", JSON_REJECT_DUPLICATES, &again);
		if (j || strcmp(again.text, je.text) != 0)
			je.text[0] = 0;
		json_decref(j);
	}
	if (!r->j && (json_error_code(&je) == json_error_out_of_memory || !je.text[0]))
		return err_set(err, OT_ENOMEM, "%s: out of memory reading the request", op);
	if (!r->j)
		return err_set(err, OT_EINVAL, "%s: the request is not JSON: %s (line %d, column %d)",
			    op, je.text, je.line, je.column);
	if (!json_is_object(r->j)) {
		json_decref(r->j);
		r->j = NULL;
		return err_set(err, OT_EINVAL, "%s: the request must be a JSON object", op);
	}
	ot_status s = rq_fields(op, fields, r->j, "", zone, err);
	const char *now = str(r->j, "now");
	if (s == OT_OK && now)
		time_parse(now, zone, &r->now); /* checked above */
	return s;
}

/* name: the request's "item", there and a string (rq_fields) */
/* The version of the item in force on `day` (`in_force`, `replaces`): a
 * case is judged by the rules in force on the day it is received. */
static ot_status in_force(const ot_rules *r, int *item, int32_t day, ot_error *err)
{
	int v = item_in_force(r, *item, day);
	if (v >= 0) {
		*item = v;
		return OT_OK;
	}
	char why[300];
	item_not_in_force(r, *item, day, why, sizeof why);
	return err_set(err, OT_EINVAL, "%s", why);
}

static ot_status find_item(const ot_rules *r, const char *name, int32_t day, int *item,
			   ot_error *err)
{
	*item = strmap_get(&r->by_item, name, strlen(name));
	if (*item >= 0)
		return in_force(r, item, day, err);
	const char *best = nearest_name(name, r->items, r->n_items, sizeof *r->items, 2);
	return err_set(err, OT_ENOTFOUND, "there is no item '%s'%s%s%s", MSG_QUOTE(name, 60),
		    best ? " — did you mean '" : "", best ? best : "", best ? "'?" : "");
}

/* The applicant: {"kind": "person"|"company", "id": ..., "name": ...}, its
 * presence and types checked by rq_fields. */
static ot_status applicant_of(const m_item *it, json_t *a, int *kind, ot_error *err)
{
	*kind = it->applicant == HOLDER_PERSON ? EV_PERSON
	      : it->applicant == HOLDER_COMPANY ? EV_COMPANY : -1;
	if (!a)
		return OT_OK;
	const char *k = str(a, "kind"), *id = str(a, "id");
	if (strcmp(k, "person") && strcmp(k, "company"))
		return err_set(err, OT_EINVAL, "\"applicant\" needs \"kind\": \"person\" or \"company\"");
	*kind = strcmp(k, "company") == 0 ? EV_COMPANY : EV_PERSON;
	if ((it->applicant == HOLDER_PERSON && *kind != EV_PERSON) ||
	    (it->applicant == HOLDER_COMPANY && *kind != EV_COMPANY))
		return err_set(err, OT_EINVAL, "item %s is for %s, not for a %s", it->name,
			    it->applicant == HOLDER_PERSON ? "persons" : "companies", k);
	if (id) {
		size_t n = strlen(id);
		int ok = *kind == EV_PERSON ? id_number_valid(id, n) : credit_code_valid(id, n);
		if (!ok) {
			char masked[64];
			id_mask(id, n < 63 ? n : 63, masked);
			return err_set(err, OT_EINVAL, "applicant id %s is not a valid %s", masked,
				    *kind == EV_PERSON ? "resident ID number (GB 11643)"
						       : "unified social credit code (GB 32100)");
		}
	}
	return OT_OK;
}

static json_t *array_or_empty(json_t *j)
{
	return json_is_array(j) ? json_incref(j) : json_array();
}

/* ---- material library ---- */


/* Materials handed in for an accepted case join the applicant's library,
 * for as long as the material is valid (信息复用).  After a submit that
 * leaves the case in progress, a supplement that leaves it waiting for
 * none, an accept, and the submit of a chain's item case: store check
 * derives the entries from those events (store_checker.c, remembers). */
static ot_status remember_materials(ot_engine *e, const ot_case *c, ot_time now,
				    ot_error *err)
{
	const ot_rules *r = c->v->rules;
	const char *applicant = str(c->applicant, "id");
	if (!applicant)
		return OT_OK;
	const m_item *it = &r->items[c->item];
	for (uint32_t i = 0; i < it->reqs.count; i++) {
		ot_time until;
		int m = case_library_entry(c, i, now, e->zone, &until);
		ot_status s = m < 0 ? OT_OK : store_library_add(e, applicant, r->materials[m].name,
								 c->id, now, until, err);
		if (s != OT_OK)
			return s;
	}
	return OT_OK;
}

/* ---- the event of an assessment ---- */

static json_t *assessed_event(const ot_rules *r, const char *op, const req *q,
			      const uint8_t *have, const assessment *a, json_t *form,
			      const char *channel, int zone)
{
	char at[32];
	time_format(q->now, zone, at);
	/* the answer read back for its event by the request reader (this
	 * layer's): jansson's parser was a twelfth of an operation; what the
	 * reader does not take goes to jansson */
	json_t *notice = a->text ? json_read(a->text) : NULL;
	if (!notice)
		notice = assessment_json(a);
	if (!notice)
		return NULL;
	json_t *h = json_object(), *reused = json_object();
	for (uint32_t m = 0; m < r->n_materials; m++)
		if (have[m])
			json_object_set_new(h, r->materials[m].name, json_string(model_have_names[have[m]]));
	size_t i;
	json_t *entry;
	json_array_foreach(json_object_get(notice, "materials"), i, entry)
		if (json_object_get(entry, "from_case"))
			json_object_set(reused, str(entry, "material"),
					json_object_get(entry, "from_case"));
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:O, s:o, s:o, s:b, s:o}", "op", op, "at", at,
			       "actor", "applicant", "channel", channel, "form", form, "have", h,
			       "reused", reused, "complete", a->complete, "notice", notice);
	if (ev && strcmp(op, "submit") == 0) /* how its pauses count (case.c, shift) */
		json_object_set_new(ev, "clocks", json_integer(CASE_CLOCKS));
	return ev;
}

static const char *channel_of(const m_item *it, json_t *j, ot_error *err)
{
	const char *ch = str(j, "channel");
	if (!ch)
		ch = it->online == ONLINE_NONE ? "hall" : "online";
	if (strcmp(ch, "online") && strcmp(ch, "hall")) {
		err_set(err, OT_EINVAL, "\"channel\" is \"online\" or \"hall\", not '%s'", MSG_QUOTE(ch, 20));
		return NULL;
	}
	if (strcmp(ch, "online") == 0 && it->online == ONLINE_NONE) {
		err_set(err, OT_EINVAL, "item %s cannot be applied for online (online none)", it->name);
		return NULL;
	}
	return ch;
}

/* ---- operations ---- */

typedef ot_status (*op_fn)(ot_engine *e, req *q, json_t **resp, ot_error *err);

/* An operation's answer as text: made from the snapshot it saved when it
 * answers with that (every write on a case), else written. */
static char *answer_text(ot_engine *e, json_t *resp)
{
	char *t = store_saved_answer(e, resp, e->compact);
	if (!t && resp)
		t = json_text(resp, e->compact ? JSON_COMPACT : JSON_INDENT(2));
	store_forget_saved(e);
	return t;
}

static ot_status respond(ot_engine *e, json_t *resp, char **response, ot_error *err)
{
	*response = answer_text(e, resp);
	json_decref(resp);
	return *response ? OT_OK : err_set(err, OT_ENOMEM, "out of memory writing the response");
}

/* An idempotency key on its way through run_op: the caller's, and what
 * the request is known by. */
typedef struct idem {
	ot_idempotency *k;
	char fingerprint[65];
	long long now_s; /* the wall clock: keys expire in real time, not in "now" */
} idem;

/* The answer kept for the key, if any, as the operation's answer (in
 * q->text); a key kept for another request is refused. */
static ot_status idem_replay(ot_engine *e, idem *k, req *q, int *replayed, ot_error *err)
{
	char had[65], had_op[32];
	char *kept = NULL;
	ot_status s = store_idem_get(e, k->k->key, k->now_s, had, had_op, &kept, err);
	/* another operation with the same text (resume and withdraw take the
	 * same fields) is another request too */
	if (s == OT_OK && kept && (strcmp(had, k->fingerprint) != 0 || strcmp(had_op, q->op) != 0))
		s = err_set(err, OT_EINVAL, "%s: the idempotency key '%s' was used for another "
			    "request: a new request needs a new key", q->op, MSG_QUOTE(k->k->key, 60));
	if (s == OT_OK && kept) {
		q->text = kept;
		kept = NULL;
		*replayed = 1;
	}
	free(kept);
	return s;
}

/* Keeps the answer (written as text now, in q->text) under the key, in
 * the operation's transaction. */
static ot_status idem_keep(ot_engine *e, idem *k, req *q, json_t **resp, ot_error *err)
{
	if (!q->text) {
		q->text = answer_text(e, *resp);
		json_decref(*resp);
		*resp = NULL;
		if (!q->text)
			return err_set(err, OT_ENOMEM, "out of memory writing the response");
	}
	long keep = k->k->keep_seconds > 0 ? k->k->keep_seconds : 86400;
	return store_idem_put(e, k->k->key, k->fingerprint, q->op, q->text, k->now_s,
			      k->now_s + keep, err);
}

/* One try at an operation; *resp and q->text are its answer. */
static ot_status run_once(ot_engine *e, op_fn fn, int write, int deferred, req *q,
			  json_t **resp, idem *k, ot_error *err)
{
	/* reads too: one moment of the store; a write's first try may take
	 * the cases this engine wrote last as they were, and a submission's
	 * wait for the day's counter (store_begin) -- not one with an
	 * idempotency key: its key, kept at the end, must conflict with the
	 * same key kept by another engine since it looked (idem_replay) */
	int how = !deferred ? 0 : write == 1 ? STORE_TRUSTING : write == 3 && !k ? STORE_NUMBERING : 1;
	ot_status s = store_begin(e, how, err);
	store_forget_saved(e);
	json_guard_reset();
	int replayed = 0;
	if (s == OT_OK && k)
		s = idem_replay(e, k, q, &replayed, err);
	if (replayed || (k && s != OT_OK)) {
		k->k->replayed = replayed;
		store_rollback(e);
		return s;
	}
	if (s == OT_OK)
		s = fn(e, q, resp, err);
	s = store_settle(e, s, err); /* a store failure inside a callback */
	if (s == OT_OK && json_guard_failed()) /* jansson may not have said so */
		s = err_set(err, OT_ENOMEM, "out of memory");
	if (s == OT_OK && k)
		s = idem_keep(e, k, q, resp, err);
	/* the answer is written before the commit: an operation that could
	 * not say what it did has not done it */
	if (s == OT_OK && !q->text && *resp) {
		q->text = answer_text(e, *resp);
		json_decref(*resp);
		*resp = NULL;
		if (!q->text)
			s = err_set(err, OT_ENOMEM, "out of memory writing the response");
	}
	for (int i = 0; i < e->nversions; i++)
		hook_end_operation(e->versions[i].hooks);
	if (write && s == OT_OK)
		s = store_commit(e, err);
	else
		store_rollback(e); /* a read ends its transaction so */
	return s;
}

/* A write runs first with the write lock taken at its first write, after
 * the hooks (each operation writes only once it has decided), so a slow
 * hook holds no lock.  If another writer got there first, it runs once
 * more with the lock taken at the start, waiting for it as long as the
 * busy timeout: its hooks then hold the lock at most for their time limit
 * (hook_limits time_ms, for all the hooks of the operation). */
static ot_status run_op(ot_engine *e, const char *op, op_fn fn, int write,
			const rq_field *fields, const char *request, idem *k, char **response,
			ot_error *err)
{
	req q;
	json_t *resp = NULL;
	ot_error local;
	if (!err)
		err = &local;
	err->status = OT_OK;
	err->message[0] = 0;
	if (!e || !response)
		return err_set(err, OT_EINVAL, "%s: no engine or no place for the response", op);
	*response = NULL;
	e->op++; /* the rule versions it loads stay until it ends (engine_version) */
	json_guard_reset();
	ot_status s = parse(op, request, fields, e->zone, !write, &q, err);
	if (json_guard_failed()) /* the request may have been read short */
		s = err_set(err, OT_ENOMEM, "%s: out of memory reading the request", op);
	/* write 2: an operation that claims work (the sweep) holds what it
	 * reads from the start: row locks on PostgreSQL, the write lock on
	 * SQLite */
	if (s == OT_OK)
		s = run_once(e, fn, write, write != 2, &q, &resp, k, err);
	/* any failure: one that trusted an old copy of a case is a lost race */
	if (s != OT_OK && write && store_lost_race(e)) {
		engine_log(e, "%s: another writer was first; running it again holding the store", op);
		json_decref(resp);
		resp = NULL;
		free(q.text);
		q.text = NULL;
		err->status = OT_OK;
		err->message[0] = 0;
		s = run_once(e, fn, write, 0, &q, &resp, k, err);
	}
	json_decref(q.j);
	if (s != OT_OK) {
		engine_log(e, "%s: %s: %s", op, ot_status_name(s), err->message);
		json_decref(resp);
		free(q.text);
		return s;
	}
	if (q.text) {
		*response = q.text;
		return OT_OK;
	}
	return respond(e, resp, response, err);
}

/* An application names an item or a chain, one of them. */
static ot_status item_or_chain(const req *q, ot_error *err)
{
	int item = str(q->j, "item") != NULL, chain = str(q->j, "chain") != NULL;
	if (item && chain)
		return err_set(err, OT_EINVAL, "%s: the request names an \"item\" and a \"chain\"; "
			       "give one of them", q->op);
	if (!item && !chain)
		return err_set(err, OT_EINVAL, "%s: the request needs \"item\", the name of a service "
			       "item, or \"chain\", the name of a chain", q->op);
	if (item && json_object_get(q->j, "stage"))
		return err_set(err, OT_EINVAL, "%s: \"stage\" is for a chain; this request names an "
			       "item", q->op);
	return OT_OK;
}

static ot_status do_assess(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	const version *v = &e->versions[0];
	int item, kind;
	ot_status s = item_or_chain(q, err);
	if (s != OT_OK)
		return s;
	const char *name = str(q->j, "item"); /* else a chain: item_or_chain */
	if (!name)
		return chain_op_assess(e, q, err);
	json_t *applicant = json_object_get(q->j, "applicant");
	s = find_item(v->rules, name, time_day(q->now, e->zone), &item, err);
	if (s == OT_OK)
		s = applicant_of(&v->rules->items[item], applicant, &kind, err);
	if (s != OT_OK)
		return s;
	uint8_t *have = calloc(v->rules->n_materials + 1, 1);
	json_t *mats = array_or_empty(json_object_get(q->j, "materials"));
	application app = {item, kind, str(applicant, "id"), str(applicant, "name"),
			   json_object_get(q->j, "form"), mats, q->now, "new", NULL, 0};
	assessment a;
	/* a hook that fails here is reported in the answer (hook_error, and a
	 * neutral line in the notice): the portal keeps working */
	material_sources src = engine_sources(e);
	s = assess(v, &app, have, &src, e->zone, &a, err);
	json_decref(mats);
	free(have);
	if (s == OT_OK) {
		q->text = a.text;
		a.text = NULL;
	}
	assessment_free(&a);
	(void)resp;
	return s;
}

/* Starts recording the hook functions an operation runs; they go into its
 * event as "hooks". */
static json_t *trace_hooks(const version *v, int item)
{
	json_t *names = json_array();
	if (v->rules->items[item].hook_path)
		hook_trace(version_hooks(v), names);
	return names;
}

/* Gives the event the names (which may still grow: on_enter and on_exit
 * run after the event is applied, and are added to the case too). */
static void attach_trace(json_t *ev, json_t *names)
{
	if (ev)
		json_object_set(ev, "hooks", names);
	json_decref(names);
}

static ot_status record(ot_engine *e, ot_case *c, json_t *ev, const req *q, int step,
			const char *action, int is_new, json_t **resp, ot_error *err);

static ot_status do_submit(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	const version *v = &e->versions[0];
	const ot_rules *r = v->rules;
	int item, kind;
	ot_status s = item_or_chain(q, err);
	if (s != OT_OK)
		return s;
	if (str(q->j, "chain"))
		return chain_op_submit(e, q, resp, err);
	s = find_item(r, str(q->j, "item"), time_day(q->now, e->zone), &item, err);
	if (s == OT_OK)
		s = applicant_of(&r->items[item], json_object_get(q->j, "applicant"), &kind, err);
	if (s != OT_OK)
		return s;
	const m_item *it = &r->items[item];
	const char *channel = channel_of(it, q->j, err);
	if (!channel)
		return err->status;
	json_t *form = json_object_get(q->j, "form");
	form = form ? json_incref(form) : json_object();
	json_t *mats = array_or_empty(json_object_get(q->j, "materials"));
	json_t *applicant = json_object_get(q->j, "applicant");
	uint8_t *have = calloc(r->n_materials + 1, 1);
	assessment a = {0};
	ot_case *c = NULL;
	json_t *ev = NULL;
	application app = {item, kind, str(applicant, "id"), str(applicant, "name"), form, mats,
			   q->now, "new", NULL, 0};
	json_t *trace = trace_hooks(v, item);
	material_sources src = engine_sources(e);
	s = assess(v, &app, have, &src, e->zone, &a, err);
	if (s == OT_OK && a.hook.status == OT_EHOOK)
		s = err_set(err, OT_EHOOK, "%s", a.hook.message); /* nothing is stored */
	if (s == OT_OK && !(c = case_new(v, item, "")))
		s = err_set(err, OT_ENOMEM, "out of memory");
	if (s == OT_OK && !(ev = assessed_event(r, "submit", q, have, &a, a.form, channel, e->zone)))
		s = err_set(err, OT_ENOMEM, "out of memory");
	attach_trace(ev, trace);
	if (s == OT_OK) {
		json_object_set(ev, "applicant", applicant);
		s = record(e, c, ev, q, -1, NULL, 1, resp, err);
	}
	if (s == OT_OK && c->status == CS_IN_PROGRESS)
		s = remember_materials(e, c, q->now, err);
	case_free(c);
	json_decref(ev);
	assessment_free(&a);
	json_decref(form);
	json_decref(mats);
	free(have);
	return s;
}

static ot_status not_an_item(const ot_case *c, const char *op, ot_error *err);

/* The operations a chain case takes itself (api_chain.c); every other
 * operation on a case is an item's. */
static int chain_takes(const char *op)
{
	return !strcmp(op, "supplement") || !strcmp(op, "withdraw") || !strcmp(op, "show");
}

/* Does department `dept` handle a step of item case c (routed by its
 * form as it stands)?  Checked in the operation's transaction, so a
 * supplement that routes a step elsewhere counts at once. */
static int handles(const ot_case *c, const char *dept)
{
	if (c->chain >= 0) /* a chain case has no steps of its own */
		return 0;
	const ot_rules *r = c->v->rules;
	for (uint32_t i = 0; i < r->items[c->item].steps.count; i++) {
		int d = case_step_dept(c, (int)i);
		if (d >= 0 && strcmp(r->departments[d].name, dept) == 0)
			return 1;
	}
	return 0;
}

static int op_writes(const char *op);

/* The case of the request, with the checks every operation on a case
 * makes: an item's operation on an item case, "handled_by", and for an
 * operation that changes the case "now" not before the case's last event
 * (time moves forward for a case; a read such as `show` changes nothing
 * and takes any "now", as the command line adds the machine's clock). */
static ot_status load(ot_engine *e, req *q, ot_case **c, ot_error *err)
{
	const char *id = str(q->j, "case");
	ot_status s = case_load(e, id, c, err);
	if (s == OT_OK && (*c)->chain >= 0 && !chain_takes(q->op)) {
		s = not_an_item(*c, q->op, err);
		case_free(*c);
		*c = NULL;
	}
	const char *by = str(q->j, "handled_by");
	if (s == OT_OK && by && !handles(*c, by)) {
		s = err_set(err, OT_EACTOR, "%s: no step of case %s is department %s's", q->op,
			    (*c)->id, MSG_QUOTE(by, 64));
		case_free(*c);
		*c = NULL;
	}
	if (s == OT_OK && q->now && q->now < (*c)->last_at && op_writes(q->op)) {
		char last[32], now[32];
		time_format((*c)->last_at, e->zone, last);
		time_format(q->now, e->zone, now);
		s = err_set(err, OT_EINVAL, "%s: \"now\" (%s) is before the case's last event (%s)",
			    q->op, now, last);
		case_free(*c);
		*c = NULL;
	}
	return s;
}

/* An item operation on a chain case: the applicant's side goes to the
 * chain, the departments' to its item cases. */
static ot_status not_an_item(const ot_case *c, const char *op, ot_error *err)
{
	return err_set(err, OT_EINVAL, "cannot %s case %s: it is a chain case (%s); act on its "
		       "item cases (`show` lists them), or supplement, withdraw or show the chain",
		       op, c->id, c->v->rules->chains[c->chain].name);
}

static ot_status wrong_state(const ot_case *c, const char *op, ot_error *err)
{
	return err_set(err, OT_ESTATE, "cannot %s case %s: it is %s", op, c->id,
		    case_status_names[c->status]);
}

/* ---- hooks on a case ---- */

/* What the hooks of a case's item need during an operation. */
typedef struct case_hooks {
	const ot_case *c;
	struct hook_host *host; /* NULL: the item has no hook */
	ev_value values[MAX_FIELDS];
	const char *current[64];
	hook_view view;
	hook_call_ctx call;
	eval_env env;
	ot_error err;
} case_hooks;
_Static_assert(offsetof(case_hooks, current) > offsetof(case_hooks, values),
	       "hooks_for_case zeroes what comes before the values and after them");

int case_current(const ot_case *c, const char **names, int max)
{
	const ot_rules *r = c->v->rules;
	const m_item *it = &r->items[c->item];
	int n = 0;
	for (uint32_t i = 0; i < it->steps.count && n < max; i++)
		if (c->steps[i].state == STEP_ACTIVE)
			names[n++] = r->steps[it->steps.first + i].name;
	return n;
}

static ot_status hooks_for_case(case_hooks *h, const ot_case *c, ot_time now, ot_error *err)
{
	const ot_rules *r = c->v->rules;
	const m_item *it = &r->items[c->item];
	/* all but the values (8 KB, zeroed for every operation before), which
	 * form_values_derived sets one by one for the form's fields, the only
	 * ones read */
	memset(h, 0, offsetof(case_hooks, values));
	memset(h->current, 0, sizeof *h - offsetof(case_hooks, current));
	h->c = c;
	h->env.applicant = c->applicant_kind;
	if (!it->hook_path) /* no hook, or its file is missing (W404) */
		return OT_OK;
	h->host = version_hooks(c->v);
	if (!h->host)
		return err_set(err, OT_ENOMEM, "out of memory starting the hooks");
	if (it->form >= 0) {
		form_errors fe = {0, 0, NULL};
		form_values_derived(r, it->form, c->form, h->values, &fe);
		free(fe.v);
	}
	hook_view v = {c->item, it->form >= 0 ? h->values : NULL, c->applicant_kind,
		       json_string_value(json_object_get(c->applicant, "id")),
		       json_string_value(json_object_get(c->applicant, "name")), c->have, now,
		       case_status_names[c->status], h->current, case_current(c, h->current, 64),
		       c->form};
	h->view = v;
	h->call.h = h->host;
	h->call.v = &h->view;
	h->call.err = &h->err;
	h->env.lua = h->host ? hook_lua_fn : NULL;
	h->env.ud = &h->call;
	return OT_OK;
}

static ot_status route_by_hook(void *ud, int step, uint32_t rule, int *to, ot_error *err)
{
	case_hooks *h = ud;
	return hook_route(h->host, &h->view, step, rule, to, err);
}

/* Tells the hooks what event ev did to the case: on_exit for the step acted
 * on (`step`, -1: none), on_enter for each step it started (a loop back to
 * the acted-on step included).  They see the case as the event left it.
 * Notes, or failures as warnings, go into the event: a failing
 * notification never stops the operation -- unless memory ran out. */
static ot_status notify(ot_case *c, json_t *ev, ot_time now, int step, const char *action,
			const uint8_t *before, ot_error *err)
{
	case_hooks hk;
	ot_status s = hooks_for_case(&hk, c, now, err);
	if (s != OT_OK || !hk.host)
		return s;
	const m_item *it = &c->v->rules->items[c->item];
	int approved = model_action(action) == ACT_APPROVE;
	json_t *notes = json_array(), *warnings = json_array();
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < it->steps.count; i++) {
			int exited = pass == 0 && (int)i == step;
			int entered = pass == 1 && c->steps[i].state == STEP_ACTIVE &&
				      (before[i] != STEP_ACTIVE || ((int)i == step && approved));
			if (!exited && !entered)
				continue;
			char *note = NULL;
			ot_error w;
			ot_status n = s != OT_OK ? s : hook_notify(hk.host, &hk.view, exited ? "on_exit"
				: "on_enter", (int)i, exited ? action : NULL, &note, &w);
			if (n == OT_ENOMEM && s == OT_OK)
				*err = w, s = n;
			else if (n != OT_OK && s == OT_OK)
				json_array_append_new(warnings, json_string(w.message));
			else if (note)
				json_array_append_new(notes, json_pack("{s:s, s:s, s:s}", "hook",
					exited ? "on_exit" : "on_enter", "step",
					c->v->rules->steps[it->steps.first + i].name, "note", note));
			free(note);
		}
	/* the notifications ran after the event was applied: count them in */
	case_note_hooks(c, json_object_get(ev, "hooks"));
	if (json_array_size(notes))
		json_object_set(ev, "notes", notes);
	if (json_array_size(warnings))
		json_object_set(ev, "warnings", warnings);
	json_decref(notes);
	json_decref(warnings);
	return s == OT_ENOMEM ? s : OT_OK;
}

/* The engine counts days up to 2199-12-31 (day_counted): a due date after
 * it could be shown but never reached (no later "now" is taken), and the
 * time sweep's warning of it could not be read back, so every sweep
 * would fail on the case. */
ot_status api_counted_dues(const ot_case *c, int32_t was, const char *op, ot_error *err)
{
	const char *target, *name;
	int32_t last = sweep_last_due(c, &target, &name);
	if (last == SWEEP_DUE_UNKNOWN || was == SWEEP_DUE_UNKNOWN)
		return err_set(err, OT_ENOMEM, "out of memory");
	if (last <= was || day_counted(last))
		return OT_OK;
	char due[11];
	day_format(last, due);
	return err_set(err, OT_EINVAL, "%s: %s%s would be due on %s (%s%s%s), after %s, the last "
		       "day the engine counts", op, c->id[0] ? "case " : "the case", c->id, due,
		       target, name ? " " : "", name ? name : "", OT_LAST_DAY);
}

/* Applies event ev to case c, lets the hooks know (see notify), and saves
 * both, as one new case when is_new. */
static ot_status record(ot_engine *e, ot_case *c, json_t *ev, const req *q, int step,
			const char *action, int is_new, json_t **resp, ot_error *err)
{
	ot_time now = q->now;
	/* who wrote it, when a service says so: the client and the officer */
	if (str(q->j, "client"))
		json_object_set(ev, "client", json_object_get(q->j, "client"));
	if (json_object_get(q->j, "officer"))
		json_object_set(ev, "officer", json_object_get(q->j, "officer"));
	const m_item *it = &c->v->rules->items[c->item];
	/* the steps' states before the event, for the hooks (notify); on the
	 * stack for an item of up to 64 steps, as every one is so far */
	uint8_t small[64], *before = it->steps.count <= sizeof small ? small
				   : malloc(it->steps.count);
	if (!before)
		return err_set(err, OT_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < it->steps.count; i++)
		before[i] = c->steps[i].state;
	const char *target, *name;
	int32_t last = sweep_last_due(c, &target, &name);
	ot_status s = case_apply(c, ev, e->zone, err);
	if (s == OT_OK)
		s = api_counted_dues(c, last, q->op, err);
	if (s == OT_OK && it->hook_path)
		s = notify(c, ev, now, step, action, before, err);
	if (before != small)
		free(before);
	/* a new case gets its number here, with the first write: every hook
	 * has run by now (see run_op) */
	if (s == OT_OK && is_new)
		s = store_next_id(e, now, c->id, err);
	if (s == OT_OK)
		s = store_save(e, c, ev, case_text(c, e->zone), is_new, resp, err);
	return s;
}

/* An event on a case that exists: recorded, then the case's chain, if any,
 * moves on in the same transaction. */
static ot_status record_and_follow(ot_engine *e, ot_case *c, json_t *ev, const req *q,
				   json_t **resp, ot_error *err)
{
	ot_status s = record(e, c, ev, q, -1, NULL, 0, resp, err);
	return s == OT_OK ? chain_follow(e, c, ev, q, NULL, err) : s;
}

/* The end of an operation on case c: its event ev, when the checks before
 * it passed (s), recorded and followed as record_and_follow; ev and c
 * freed whatever happened. */
static ot_status record_and_free(ot_engine *e, ot_case *c, json_t *ev, const req *q,
				 ot_status s, json_t **resp, ot_error *err)
{
	if (s == OT_OK)
		s = ev ? record_and_follow(e, c, ev, q, resp, err)
		       : err_set(err, OT_ENOMEM, "out of memory");
	json_decref(ev);
	case_free(c);
	return s;
}

static json_t *simple_event(const char *op, const req *q, int zone, const char *actor)
{
	char at[32];
	time_format(q->now, zone, at);
	return json_pack("{s:s, s:s, s:s?}", "op", op, "at", at, "actor", actor);
}

static ot_status supplement_item(ot_engine *e, req *q, ot_case *c, json_t **resp,
				 ot_error *err);

static ot_status do_supplement(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	ot_case *c;
	ot_status s = load(e, q, &c, err);
	if (s != OT_OK)
		return s;
	if (c->chain >= 0)
		s = chain_op_supplement(e, q, c, resp, err);
	else
		s = supplement_item(e, q, c, resp, err);
	case_free(c);
	return s;
}

ot_status api_supplement_item(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	ot_case *c;
	ot_status s = load(e, q, &c, err);
	if (s != OT_OK)
		return s;
	s = c->chain >= 0 ? err_set(err, OT_EINVAL, "case %s is a chain", c->id)
			  : supplement_item(e, q, c, resp, err);
	case_free(c);
	return s;
}

/* supplement on item case c (the caller's). */
static ot_status supplement_item(ot_engine *e, req *q, ot_case *c, json_t **resp,
				 ot_error *err)
{
	ot_status s = OT_OK;
	const ot_rules *r = c->v->rules;
	const m_item *it = &r->items[c->item];
	json_t *patch = json_object_get(q->j, "form");
	int waiting = c->status == CS_NEEDS_SUPPLEMENT || c->status == CS_RETURNED;
	/* from the chain (its supplement reaching the case, or papers it held
	 * handed on): the applicant's trip, if any, is the chain's */
	const char *channel = e->chain_busy ? "chain" : channel_of(it, q->j, err);
	if (c->status > CS_SUSPENDED)
		s = wrong_state(c, "supplement", err);
	else if (!waiting && patch && json_object_size(patch))
		s = err_set(err, OT_ESTATE, "case %s is %s: only materials can be added now; the form "
			 "can change while the case waits for a supplement", c->id,
			 case_status_names[c->status]);
	else if (!channel)
		s = err->status;
	else if (!json_object_size(patch) && !json_array_size(json_object_get(q->j, "materials")))
		s = err_set(err, OT_EINVAL, "a supplement hands in a material or changes the form; "
			    "this one does neither");
	if (s != OT_OK)
		return s;
	json_t *form = json_deep_copy(c->form);
	/* computed fields are the hook's, recomputed from the new form; one
	 * the applicant sends is a form error, as on submit */
	for (uint32_t k = 0; it->form >= 0 && k < r->forms[it->form].fields.count; k++)
		if (r->fields[r->forms[it->form].fields.first + k].computed)
			json_object_del(form, r->fields[r->forms[it->form].fields.first + k].name);
	api_patch_form(form, patch);
	/* what comes now and what the case has: a list of its own, the
	 * request's stays as it came (a chain's event keeps it) */
	json_t *given = json_object_get(q->j, "materials");
	json_t *mats = json_is_array(given) ? json_copy(given) : json_array();
	for (uint32_t m = 0; mats && m < r->n_materials; m++)
		if (c->have[m] == HAVE_PROVIDED)
			json_array_append_new(mats, json_string(r->materials[m].name));
	uint8_t *have = mats ? calloc(r->n_materials + 1, 1) : NULL;
	assessment a = {0};
	case_status before = c->status;
	const char *current[64];
	int ncurrent = case_current(c, current, 64);
	application app = {c->item, c->applicant_kind, str(c->applicant, "id"),
			   str(c->applicant, "name"), form, mats, q->now,
			   case_status_names[c->status], current, ncurrent};
	json_t *trace = trace_hooks(c->v, c->item);
	material_sources src = engine_sources(e);
	s = have ? assess(c->v, &app, have, &src, e->zone, &a, err)
		 : err_set(err, OT_ENOMEM, "out of memory");
	if (s == OT_OK && a.hook.status == OT_EHOOK)
		s = err_set(err, OT_EHOOK, "%s", a.hook.message);
	json_t *ev = NULL;
	if (s == OT_OK && !(ev = assessed_event(r, "supplement", q, have, &a, a.form, channel, e->zone)))
		s = err_set(err, OT_ENOMEM, "out of memory");
	attach_trace(ev, trace);
	if (s == OT_OK && before != CS_NEEDS_SUPPLEMENT)
		/* accepted before: the real due date is the case's, not "if
		 * submitted now" */
		json_object_del(json_object_get(ev, "notice"), "due");
	if (s == OT_OK)
		s = record(e, c, ev, q, -1, NULL, 0, resp, err);
	if (s == OT_OK && c->status != CS_NEEDS_SUPPLEMENT)
		s = remember_materials(e, c, q->now, err);
	if (s == OT_OK)
		s = chain_follow(e, c, ev, q, NULL, err);
	json_decref(ev);
	assessment_free(&a);
	json_decref(form);
	json_decref(mats);
	free(have);
	return s;
}

/* "actor": "dept" | "dept.window" | {"department": ..., "window": ...} */
static ot_status actor_of(const ot_rules *r, json_t *j, int *dept, int *window,
			  char *text, size_t cap, ot_error *err)
{
	char name[128] = "", win[128] = "";
	if (json_is_string(j)) {
		const char *s = json_string_value(j), *dot = strchr(s, '.');
		size_t upto = dot ? (size_t)(dot - s) + 1 : sizeof name; /* the name ends at the dot */
		str_copy(name, upto < sizeof name ? upto : sizeof name, s);
		if (dot)
			str_copy(win, sizeof win, dot + 1);
	} else {
		str_copy(name, sizeof name, str(j, "department") ? str(j, "department") : "");
		if (str(j, "window"))
			str_copy(win, sizeof win, str(j, "window"));
	}
	*dept = strmap_get(&r->by_department, name, strlen(name));
	if (*dept < 0)
		return err_set(err, OT_EACTOR, "there is no department '%s'", MSG_QUOTE(name, 60));
	*window = -1;
	const m_department *d = &r->departments[*dept];
	for (uint32_t i = 0; win[0] && i < d->windows.count; i++)
		if (strcmp(r->windows[d->windows.first + i].name, win) == 0)
			*window = (int)(d->windows.first + i);
	if (win[0] && *window < 0)
		return err_set(err, OT_EACTOR, "department %s has no window '%s'", name, MSG_QUOTE(win, 60));
	snprintf(text, cap, "%s%s%s", name, win[0] ? "." : "", win);
	return OT_OK;
}

/* Deferrable materials that are still missing, as "a, b" (empty if none). */
static void deferred_missing(const ot_case *c, char *out, size_t cap)
{
	const ot_rules *r = c->v->rules;
	size_t i, n = 0;
	json_t *name;
	out[0] = 0;
	json_array_foreach(json_object_get(c->notice, "deferred"), i, name) {
		const char *s = json_string_value(name);
		int m = s ? strmap_get(&r->by_material, s, strlen(s)) : -1;
		if (m >= 0 && c->have[m] == HAVE_NONE && n < cap)
			n += (size_t)snprintf(out + n, cap - n, "%s%s (%s)", n ? ", " : "", s,
					      r->materials[m].label ? r->materials[m].label : s);
	}
}

static ot_status check_act(const ot_case *c, int step, const char *action, int dept,
			   int window, const char *reason, const exit_choice *ch, int nch,
			   ot_error *err)
{
	const ot_rules *r = c->v->rules;
	const m_item *it = &r->items[c->item];
	const m_step *ms = &r->steps[it->steps.first + (uint32_t)step];
	if (c->status != CS_IN_PROGRESS)
		return wrong_state(c, action, err);
	if (c->steps[step].state != STEP_ACTIVE)
		return err_set(err, OT_ESTATE, "step %s of case %s is not active (it is %s)", ms->name,
			    c->id, c->steps[step].state == STEP_DONE ? "done" : "not reached");
	int handler = case_step_dept(c, step);
	if (handler < 0)
		return err_set(err, OT_ESTATE, "step %s of case %s is routed by form field %s, "
			       "which the case's form does not have", ms->name, c->id,
			       r->fields[ms->route_field].name);
	if (dept != handler || (window >= 0 && ms->window >= 0 && window != ms->window))
		return err_set(err, OT_EACTOR, "step %s is handled by %s%s%s, not by %s%s%s", ms->name,
			    r->departments[handler].name, ms->window >= 0 ? "." : "",
			    ms->window >= 0 ? r->windows[ms->window].name : "",
			    r->departments[dept].name, window >= 0 ? "." : "",
			    window >= 0 ? r->windows[window].name : "");
	if (model_action(action) < 0)
		return err_set(err, OT_EINVAL, "\"action\" is approve, return or deny, not '%s'",
				       MSG_QUOTE(action, 20));
	if (model_action(action) != ACT_APPROVE && !reason)
		return err_set(err, OT_EINVAL, "to %s a case, give the applicant a \"reason\"", action);
	if (model_action(action) == ACT_APPROVE && case_active_after(c, step, ch, nch) == 0) {
		char missing[512];
		deferred_missing(c, missing, sizeof missing);
		if (missing[0])
			return err_set(err, OT_ESTATE, "cannot approve %s, the last step of case %s: "
				    "deferred materials (容缺) are still missing: %s", ms->name,
				    c->id, missing);
	}
	return OT_OK;
}

static ot_status do_act(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	ot_case *c;
	ot_status s = load(e, q, &c, err);
	if (s != OT_OK)
		return s;
	if (c->chain >= 0) {
		s = not_an_item(c, "act on", err);
		case_free(c);
		return s;
	}
	const ot_rules *r = c->v->rules;
	const m_item *it = &r->items[c->item];
	const char *step_name = str(q->j, "step"), *action = str(q->j, "action");
	const char *reason = str(q->j, "reason");
	int step = -1, dept = -1, window = -1;
	char actor[300];
	for (uint32_t i = 0; step_name && i < it->steps.count; i++)
		if (strcmp(r->steps[it->steps.first + i].name, step_name) == 0)
			step = (int)i;
	if (step < 0)
		s = err_set(err, OT_ENOTFOUND, "item %s has no step '%s'", it->name, MSG_QUOTE(step_name, 60));
	else
		s = actor_of(r, json_object_get(q->j, "actor"), &dept, &window, actor,
			     sizeof actor, err);
	/* where an approval leads is decided here, with the hooks, and
	 * recorded in the event, so replaying it needs no hook */
	exit_choice ch[64];
	int nch = 0;
	case_hooks hk;
	if (s == OT_OK)
		s = hooks_for_case(&hk, c, q->now, err);
	else
		memset(&hk, 0, sizeof hk);
	json_t *trace = trace_hooks(c->v, c->item);
	if (s == OT_OK && model_action(action) == ACT_APPROVE &&
	    c->status == CS_IN_PROGRESS && c->steps[step].state == STEP_ACTIVE) {
		nch = case_choose(c, step, &hk.env, hk.host ? route_by_hook : NULL, &hk, ch, 64, err);
		if (nch < 0)
			s = err->status;
	}
	if (s == OT_OK)
		s = check_act(c, step, action, dept, window, reason, ch, nch, err);
	json_t *ev = NULL;
	if (s == OT_OK) {
		ev = simple_event("act", q, e->zone, actor);
		json_object_set_new(ev, "step", json_string(step_name));
		json_object_set_new(ev, "action", json_string(action));
		if (reason)
			json_object_set_new(ev, "reason", json_string(reason));
		if (model_action(action) == ACT_APPROVE) {
			json_t *next = json_array();
			for (int i = 0; i < nch; i++)
				json_array_append_new(next, json_pack("[i, i]", (int)ch[i].rule, ch[i].to));
			json_object_set_new(ev, "next", next);
		}
		json_incref(trace);
		attach_trace(ev, trace);
		s = record(e, c, ev, q, step, action, 0, resp, err);
		/* an approval issues the item's licences, in the same transaction */
		if (s == OT_OK && c->status == CS_APPROVED)
			s = licences_issue(e, c, q->now, err);
		/* then the chain, if any, moves on: later items find them */
		if (s == OT_OK)
			s = chain_follow(e, c, ev, q, NULL, err);
	}
	json_decref(trace);
	json_decref(ev);
	case_free(c);
	return s;
}

/* suspend, resume, deliver, withdraw: a state check and an event. */
static ot_status simple(ot_engine *e, req *q, json_t **resp, ot_error *err,
			const char *op, unsigned allowed)
{
	ot_case *c;
	ot_status s = load(e, q, &c, err);
	if (s != OT_OK)
		return s;
	if (c->chain >= 0 || (c->chain_id[0] && strcmp(op, "withdraw") == 0)) {
		s = c->chain >= 0 && strcmp(op, "withdraw") == 0
			? chain_op_withdraw(e, q, c, resp, err)
			: c->chain >= 0 ? not_an_item(c, op, err)
			: err_set(err, OT_EINVAL, "cannot withdraw case %s alone: it is an item of "
				  "chain case %s; withdraw the chain", c->id, c->chain_id);
		case_free(c);
		return s;
	}
	const m_item *it = &c->v->rules->items[c->item];
	const char *reason = str(q->j, "reason"), *method = str(q->j, "method");
	json_t *ev = simple_event(op, q, e->zone, str(q->j, "actor"));
	if (!(allowed >> c->status & 1))
		s = wrong_state(c, op, err);
	else if (strcmp(op, "deliver") == 0) {
		int k = -1;
		for (int i = 0; i < 3; i++)
			if (strcmp(method, model_deliver_names[i]) == 0)
				k = i;
		if (k < 0 || !(it->deliver >> k & 1)) {
			char allowed_list[64] = "";
			for (int i = 0; i < 3; i++)
				if (it->deliver >> i & 1)
					snprintf(allowed_list + strlen(allowed_list),
						 sizeof allowed_list - strlen(allowed_list), "%s%s",
						 allowed_list[0] ? ", " : "", model_deliver_names[i]);
			s = err_set(err, OT_EINVAL, "item %s delivers by %s, not '%s'", it->name,
				 allowed_list, MSG_QUOTE(method, 20));
		} else
			json_object_set_new(ev, "method", json_string(method));
	}
	if (s == OT_OK && reason)
		json_object_set_new(ev, "reason", json_string(reason));
	return record_and_free(e, c, ev, q, s, resp, err);
}

#define BIT(s) (1u << (s))

static ot_status do_suspend(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	return simple(e, q, resp, err, "suspend", BIT(CS_IN_PROGRESS));
}

static ot_status do_resume(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	ot_case *c;
	ot_status s = load(e, q, &c, err);
	int procedure = s == OT_OK ? c->procedure : -1;
	if (s == OT_OK)
		case_free(c);
	if (procedure >= 0) /* its days are counted up to its maximum, only there */
		return err_set(err, OT_ESTATE, "case %s is in a special procedure: end it with "
			       "procedure_end", str(q->j, "case"));
	return s == OT_OK ? simple(e, q, resp, err, "resume", BIT(CS_SUSPENDED)) : s;
}

static ot_status do_deliver(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	return simple(e, q, resp, err, "deliver", BIT(CS_APPROVED));
}

static ot_status do_withdraw(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	return simple(e, q, resp, err, "withdraw",
		      BIT(CS_NEEDS_SUPPLEMENT) | BIT(CS_IN_PROGRESS) | BIT(CS_RETURNED) |
			      BIT(CS_SUSPENDED) | BIT(CS_RECEIVED));
}

/* ---- time as the law counts it: acceptance, extension, procedures ---- */

/* Who decides on acceptance (受理): the item's department, the department
 * of its window, or the one handling its first step. */
static int may_accept(const ot_case *c, int dept)
{
	const ot_rules *r = c->v->rules;
	const m_item *it = &r->items[c->item];
	return dept == it->dept || (it->window >= 0 && dept == r->windows[it->window].dept) ||
	       dept == case_step_dept(c, 0);
}

/* Loads the case, checks the actor may decide on its acceptance, and
 * starts the event; *ev NULL on error. */
static ot_status acceptance_event(ot_engine *e, req *q, const char *op, ot_case **c,
				  json_t **ev, ot_error *err)
{
	int dept, window;
	char actor[300];
	*ev = NULL;
	ot_status s = load(e, q, c, err);
	if (s != OT_OK)
		return s;
	const m_item *it = &(*c)->v->rules->items[(*c)->item];
	s = actor_of((*c)->v->rules, json_object_get(q->j, "actor"), &dept, &window, actor,
		     sizeof actor, err);
	if (s == OT_OK && !may_accept(*c, dept))
		s = err_set(err, OT_EACTOR, "%s: department %s does not decide on the acceptance "
			    "of item %s", op, (*c)->v->rules->departments[dept].name, it->name);
	if (s == OT_OK && strcmp(op, "accept") == 0 && (*c)->status != CS_RECEIVED)
		s = (*c)->status == CS_IN_PROGRESS && it->acceptance < 0
			? err_set(err, OT_ESTATE, "cannot accept case %s: item %s declares no "
				  "acceptance decision, so a complete application is accepted as it "
				  "arrives", (*c)->id, it->name)
			: wrong_state(*c, op, err);
	if (s == OT_OK && strcmp(op, "refuse") == 0 && (*c)->status != CS_RECEIVED &&
	    (*c)->status != CS_NEEDS_SUPPLEMENT)
		s = err_set(err, OT_ESTATE, "cannot refuse case %s: it is %s; refusal to accept "
			    "(不予受理) comes before acceptance — deny it at a step instead",
			    (*c)->id, case_status_names[(*c)->status]);
	if (s == OT_OK && !(*ev = simple_event(op, q, e->zone, actor)))
		s = err_set(err, OT_ENOMEM, "out of memory");
	if (s != OT_OK) {
		case_free(*c);
		*c = NULL;
	}
	return s;
}

static ot_status do_accept(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	ot_case *c;
	json_t *ev;
	ot_status s = acceptance_event(e, q, "accept", &c, &ev, err);
	if (s != OT_OK)
		return s;
	s = record(e, c, ev, q, -1, NULL, 0, resp, err);
	if (s == OT_OK)
		s = remember_materials(e, c, q->now, err);
	if (s == OT_OK) /* its chain, if any, goes on, and may hand it papers */
		s = chain_follow(e, c, ev, q, resp, err);
	json_decref(ev);
	case_free(c);
	return s;
}

static int blank(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n')
			return 0;
	return 1;
}

static ot_status do_refuse(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	const char *reasons = str(q->j, "reasons"), *remedy = str(q->j, "remedy");
	if (blank(reasons) || blank(remedy))
		return err_set(err, OT_EINVAL, "refuse: a refusal to accept (不予受理) is written, "
			       "with its \"%s\" for the applicant", blank(reasons) ? "reasons"
			       : "remedy\" (where and within how long to apply for review or sue");
	ot_case *c;
	json_t *ev;
	ot_status s = acceptance_event(e, q, "refuse", &c, &ev, err);
	if (s != OT_OK)
		return s;
	json_object_set_new(ev, "reasons", json_string(reasons));
	json_object_set_new(ev, "remedy", json_string(remedy));
	return record_and_free(e, c, ev, q, OT_OK, resp, err);
}

/* 行政许可法 art. 42: the head of the body may extend a limit that is
 * still running, not revive one that ran out.  The legal limit runs to the
 * end of its due day; a suspended case's clock stopped on the day it was
 * suspended, so what counts then is whether it had run out by that day --
 * unless a special procedure has run past its maximum, after which the
 * clock runs again (art. 45): the limit is then counted to today as
 * procedure_end would count it.  1 (and the refusal in err) when it ran out. */
static int legal_ran_out(ot_engine *e, const req *q, const ot_case *c, ot_error *err)
{
	int paused = c->status == CS_SUSPENDED && c->paused_since;
	int32_t today = time_day(q->now, e->zone);
	int past_max = paused && c->procedure >= 0 && today > c->procedure_max_end &&
		       c->due_legal >= time_day(c->paused_since, e->zone); /* running when paused */
	int32_t due = past_max ? case_legal_due_past(c, today, e->zone) : c->due_legal;
	int32_t day = paused && !past_max ? time_day(c->paused_since, e->zone) : today;
	if (day <= due)
		return 0;
	char on_due[11], on[11], max_end[11] = "";
	day_format(due, on_due);
	day_format(day, on);
	if (past_max)
		day_format(c->procedure_max_end, max_end);
	err_set(err, OT_ESTATE, "cannot extend case %s: its legal limit ran out on %s (legal_due%s%s), "
		"before %s%s; only a limit still running may be extended (行政许可法 art. 42)",
		c->id, on_due, past_max ? ", counting again after its special procedure's maximum, "
		: "", max_end, paused && !past_max ? "it was suspended on " : "", on);
	return 1;
}

static ot_status do_extend(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	ot_case *c;
	ot_status s = load(e, q, &c, err);
	if (s != OT_OK)
		return s;
	const m_item *it = &c->v->rules->items[c->item];
	json_int_t n = json_integer_value(json_object_get(q->j, "workdays"));
	const char *reason = str(q->j, "reason"), *approver = str(q->j, "approver");
	if (it->extension < 0)
		s = err_set(err, OT_ESTATE, "cannot extend case %s: the law allows item %s no "
			    "extension (its rules declare no `extension_limit`)", c->id, it->name);
	else if (c->status != CS_IN_PROGRESS && c->status != CS_SUSPENDED)
		s = wrong_state(c, "extend", err);
	else if (c->due_legal < 0)
		s = err_set(err, OT_ESTATE, "cannot extend case %s: it has no legal due date",
			    c->id);
	else if (legal_ran_out(e, q, c, err))
		s = err->status;
	else if (c->extended + n > it->extension)
		s = err_set(err, OT_EINVAL, "extend: item %s may be extended by %d workdays in all; "
			    "case %s was extended by %d already, so %d more at most, not %d",
			    it->name, (int)it->extension, c->id, (int)c->extended,
			    (int)(it->extension - c->extended), (int)n);
	else if (blank(reason) || blank(approver))
		s = err_set(err, OT_EINVAL, "extend: an extension needs the \"%s\"",
			    blank(reason) ? "reason\" the applicant is told"
					  : "approver\" (the head of the body who approved it");
	json_t *ev = NULL;
	if (s == OT_OK) {
		ev = simple_event("extend", q, e->zone, str(q->j, "actor"));
		json_object_set_new(ev, "workdays", json_integer(n));
		json_object_set_new(ev, "reason", json_string(reason));
		json_object_set_new(ev, "approver", json_string(approver));
	}
	return record_and_free(e, c, ev, q, s, resp, err);
}

static ot_status do_procedure_start(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	ot_case *c;
	ot_status s = load(e, q, &c, err);
	if (s != OT_OK)
		return s;
	const ot_rules *r = c->v->rules;
	const m_item *it = &r->items[c->item];
	const char *name = str(q->j, "procedure");
	int p = -1;
	for (uint32_t i = 0; i < it->procedures.count; i++)
		if (strcmp(r->procedures[it->procedures.first + i].name, name) == 0)
			p = (int)i;
	const m_procedure *mp = p >= 0 ? &r->procedures[it->procedures.first + (uint32_t)p] : NULL;
	if (!mp) {
		char names[256] = "";
		for (uint32_t i = 0; i < it->procedures.count; i++)
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
				 i ? ", " : "", r->procedures[it->procedures.first + i].name);
		s = err_set(err, OT_ENOTFOUND, "item %s has no special procedure '%s'%s%s",
			    it->name, MSG_QUOTE(name, 60), names[0] ? "; it has " : " (it declares none)", names);
	} else if (c->status != CS_IN_PROGRESS)
		s = wrong_state(c, "start a procedure on", err);
	else if (mp->step >= 0 && c->steps[mp->step].state != STEP_ACTIVE)
		s = err_set(err, OT_ESTATE, "procedure %s runs during step %s, which case %s is "
			    "not at", mp->name, r->steps[it->steps.first + (uint32_t)mp->step].name,
			    c->id);
	json_t *ev = NULL;
	if (s == OT_OK) {
		ev = simple_event("procedure_start", q, e->zone, str(q->j, "actor"));
		json_object_set_new(ev, "procedure", json_string(mp->name));
	}
	return record_and_free(e, c, ev, q, s, resp, err);
}

/* 告知承诺: the check after approval finds the pledge kept, or untrue (the
 * approval is revoked). */
static ot_status do_pledge_check(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	ot_case *c;
	ot_status s = load(e, q, &c, err);
	if (s != OT_OK)
		return s;
	const ot_rules *r = c->v->rules;
	const m_item *it = &r->items[c->item];
	const char *result = str(q->j, "result"), *reason = str(q->j, "reason");
	int dept, window;
	char actor[300];
	s = actor_of(r, json_object_get(q->j, "actor"), &dept, &window, actor, sizeof actor, err);
	if (s == OT_OK && dept != it->dept && !(it->window >= 0 && dept == r->windows[it->window].dept))
		s = err_set(err, OT_EACTOR, "pledge_check: department %s does not check the pledges "
			    "of item %s; %s does", r->departments[dept].name, it->name,
			    r->departments[it->dept].name);
	else if (s == OT_OK && !c->pledged)
		s = err_set(err, OT_ESTATE, "case %s has no pledge (告知承诺) to check", c->id);
	else if (s == OT_OK && c->status != CS_APPROVED && c->status != CS_CHECKING)
		s = wrong_state(c, "check the pledge of", err);
	else if (s == OT_OK && c->pledge_checked)
		s = err_set(err, OT_ESTATE, "the pledge of case %s was checked already", c->id);
	else if (s == OT_OK && strcmp(result, "kept") != 0 && strcmp(result, "untrue") != 0)
		s = err_set(err, OT_EINVAL, "pledge_check: \"result\" is kept or untrue, not '%s'",
			    MSG_QUOTE(result, 20));
	else if (s == OT_OK && strcmp(result, "untrue") == 0 && blank(reason))
		s = err_set(err, OT_EINVAL, "pledge_check: a false pledge revokes the approval: give "
			    "the applicant the \"reason\"");
	json_t *ev = NULL;
	if (s == OT_OK) {
		ev = simple_event("pledge_check", q, e->zone, actor);
		json_object_set_new(ev, "result", json_string(result));
		if (reason)
			json_object_set_new(ev, "reason", json_string(reason));
		s = record_and_follow(e, c, ev, q, resp, err);
		/* revoked: what it issued ends now, in the same transaction */
		if (s == OT_OK && c->status == CS_REVOKED)
			s = licences_revoke(e, c, q->now, err);
	}
	json_decref(ev);
	case_free(c);
	return s;
}

static ot_status do_procedure_end(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	ot_case *c;
	ot_status s = load(e, q, &c, err);
	if (s != OT_OK)
		return s;
	const char *name = str(q->j, "procedure");
	const m_item *it = &c->v->rules->items[c->item];
	const char *running = c->procedure >= 0
		? c->v->rules->procedures[it->procedures.first + (uint32_t)c->procedure].name : NULL;
	if (!running)
		s = err_set(err, OT_ESTATE, "cannot end a procedure of case %s: none is running "
			    "(it is %s)", c->id, case_status_names[c->status]);
	else if (name && strcmp(name, running) != 0)
		s = err_set(err, OT_ESTATE, "cannot end procedure %s of case %s: %s is the one "
			    "running", MSG_QUOTE(name, 60), c->id, running);
	json_t *ev = s == OT_OK ? simple_event("procedure_end", q, e->zone, str(q->j, "actor"))
				: NULL;
	return record_and_free(e, c, ev, q, s, resp, err);
}

static ot_status do_show(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	ot_case *c;
	ot_status s = load(e, q, &c, err);
	if (s != OT_OK)
		return s;
	if (c->chain >= 0) {
		s = chain_op_show(e, c, resp, err);
		case_free(c);
		return s;
	}
	/* "history": false: the case alone, read from memory when the engine
	 * keeps it (a service checking who may act reads it so) */
	json_t *history = NULL;
	if (!json_is_false(json_object_get(q->j, "history")))
		s = store_events(e, c->id, 0, &history, err);
	if (s == OT_OK) {
		*resp = case_json(c, e->zone);
		if (history)
			json_object_set_new(*resp, "history", history);
	}
	case_free(c);
	return s;
}

/* ---- the licence library ---- */

static ot_status do_licences_import(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	return licences_import(e, json_object_get(q->j, "licences"), resp, err);
}

static ot_status do_licences(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	(void)err;
	const char *holder = str(q->j, "holder");
	if (!holder)
		return err_set(err, OT_EINVAL, "licences needs \"holder\": an ID number or credit code");
	json_t *list = NULL;
	ot_status s = store_licences_of(e, holder, &list, err);
	if (s == OT_OK)
		*resp = json_pack("{s:s, s:o}", "holder", holder, "licences", list);
	return s;
}

static json_t *summary(json_t *c)
{
	json_t *current = json_array();
	size_t i;
	json_t *st;
	json_array_foreach(json_object_get(c, "current"), i, st)
		json_array_append(current, json_object_get(st, "step"));
	json_t *a = json_object_get(c, "applicant");
	return json_pack("{s:O, s:O, s:O, s:O?, s:O?, s:O, s:o}", "id", json_object_get(c, "id"),
			 "item", json_object_get(c, "item"), "status", json_object_get(c, "status"),
			 "applicant", json_object_get(a, "name"), "applicant_id",
			 json_object_get(a, "id"), "due", json_object_get(c, "due"), "current",
			 current);
}

/* The page a list or overdue request asks for. */
static store_query page_of(const req *q)
{
	json_t *limit = json_object_get(q->j, "limit");
	store_query sq = {NULL, NULL, NULL, NULL, NULL, str(q->j, "after"),
			  limit ? (int)json_integer_value(limit) : STORE_PAGE_DEFAULT};
	return sq;
}

/* A list filter naming an item, chain or department: a misspelt one would
 * list nothing, as if there were no cases (as a misspelt status would).
 * A name the current rule base does not have may still be an older rule
 * version's, with cases in the store: it is refused only when no case has
 * it either.  `only`: the store's query of this filter alone (a chain's
 * cases are kept under "chain:NAME"). */
static ot_status known_filter(ot_engine *e, const req *q, const char *what, const char *name,
			      const strmap *names, const void *first, size_t n, size_t stride,
			      store_query only, ot_error *err)
{
	if (!name || strmap_get(names, name, strlen(name)) >= 0)
		return OT_OK;
	json_t *cases = NULL;
	char next[STORE_CURSOR_MAX];
	only.limit = 1;
	ot_status s = store_list(e, &only, &cases, next, err);
	size_t have = json_array_size(cases);
	json_decref(cases);
	if (s != OT_OK || have)
		return s;
	const char *best = nearest_name(name, first, n, stride, 2);
	return err_set(err, OT_EINVAL, "%s: there is no %s '%s'%s%s%s", q->op, what, MSG_QUOTE(name, 60),
		       best ? " — did you mean '" : "", best ? best : "", best ? "'?" : "");
}

static ot_status do_list(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	const char *status = str(q->j, "status");
	int known = !status;
	for (int i = 0; status && i < CS__COUNT; i++)
		known |= strcmp(status, case_status_names[i]) == 0;
	if (!known) { /* a misspelt status would list nothing, as if there were no cases */
		char names[160] = "";
		for (int i = 0; i < CS__COUNT; i++)
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
				 i ? ", " : "", case_status_names[i]);
		return err_set(err, OT_EINVAL, "list: \"status\" is one of %s; not '%s'", names,
			       MSG_QUOTE(status, 30));
	}
	store_query sq = page_of(q);
	sq.status = status;
	sq.item = str(q->j, "item");
	char chain_key[300];
	if (str(q->j, "chain")) { /* a chain case is kept as "chain:NAME" (case_row_item) */
		if (sq.item)
			return err_set(err, OT_EINVAL, "list: give \"item\" or \"chain\", not both");
		snprintf(chain_key, sizeof chain_key, "chain:%.250s", str(q->j, "chain"));
		sq.item = chain_key;
	}
	sq.department = str(q->j, "department");
	sq.applicant = str(q->j, "applicant");
	const ot_rules *r = e->current;
	store_query item_only = {0}, dept_only = {0};
	item_only.item = sq.item;
	dept_only.department = sq.department;
	ot_status s;
	if ((s = known_filter(e, q, "item", str(q->j, "item"), &r->by_item, r->items, r->n_items,
			      sizeof *r->items, item_only, err)) != OT_OK ||
	    (s = known_filter(e, q, "chain", str(q->j, "chain"), &r->by_chain, r->chains,
			      r->n_chains, sizeof *r->chains, item_only, err)) != OT_OK ||
	    (s = known_filter(e, q, "department", sq.department, &r->by_department,
			      r->departments, r->n_departments, sizeof *r->departments, dept_only,
			      err)) != OT_OK)
		return s;
	json_t *cases = NULL;
	char next[STORE_CURSOR_MAX];
	s = store_list(e, &sq, &cases, next, err);
	if (s != OT_OK)
		return s;
	json_t *out = json_array();
	size_t i;
	json_t *c;
	json_array_foreach(cases, i, c)
		json_array_append_new(out, json_object_get(c, "stages") ? chain_summary(c) : summary(c));
	json_decref(cases);
	*resp = json_pack("{s:o}", "cases", out);
	if (next[0])
		json_object_set_new(*resp, "next", json_string(next));
	return OT_OK;
}

/* Which of the due dates in `o` (a case or a step) are before today:
 * ["promised"], ["promised", "legal"], ["legal"] or []. */
static json_t *passed(json_t *o, const char *today)
{
	json_t *a = json_array();
	static const char *const kinds[] = {"promised", "legal"};
	static const char *const keys[] = {"promised_due", "legal_due"};
	for (int k = 0; k < 2; k++) {
		const char *d = str(o, keys[k]);
		if (d && strcmp(d, today) < 0)
			json_array_append_new(a, json_string(kinds[k]));
	}
	return a;
}

/* A case received but neither accepted nor refused in time (受理), a
 * special procedure run past its maximum, or a pledge (告知承诺) not checked
 * in time: the entry, or NULL. */
static json_t *late_otherwise(json_t *c, const char *today)
{
	const char *status = str(c, "status");
	json_t *o = NULL;
	if (status && strcmp(status, "checking") == 0) {
		const char *due = str(c, "pledge_check_due");
		if (!due || strcmp(due, today) >= 0)
			return NULL;
		return json_pack("{s:O, s:O, s:n, s:b, s:b, s:s, s:[], s:[]}", "id",
				 json_object_get(c, "id"), "item", json_object_get(c, "item"), "due",
				 "overdue", 0, "pledge_check_overdue", 1, "pledge_check_due", due,
				 "passed", "steps");
	}
	if (status && strcmp(status, "received") == 0) {
		const char *due = str(c, "acceptance_due");
		if (!due || strcmp(due, today) >= 0)
			return NULL;
		o = json_pack("{s:O, s:O, s:n, s:b, s:b, s:s, s:[], s:[]}", "id", json_object_get(c, "id"),
			      "item", json_object_get(c, "item"), "due", "overdue", 0,
			      "acceptance_overdue", 1, "acceptance_due", due, "passed", "steps");
		const char *received = str(c, "received_at");
		if (json_is_true(json_object_get(c, "deemed_accepted")) && received)
			json_object_set_new(o, "counts_as_accepted_from",
					    json_stringn(received, 10)); /* its day */
		return o;
	}
	json_t *p = json_object_get(c, "procedure");
	const char *max_end = str(p, "max_end");
	if (!max_end || strcmp(max_end, today) >= 0)
		return NULL;
	return json_pack("{s:O, s:O, s:O, s:b, s:O, s:[], s:[]}", "id", json_object_get(c, "id"),
			 "item", json_object_get(c, "item"), "due", json_object_get(c, "due"),
			 "overdue", 0, "procedure_overdue", p, "passed", "steps");
}

/* An overdue entry with the time sweep's warnings of case c, if any. */
static json_t *with_warnings(json_t *entry, json_t *c)
{
	json_t *w = json_object_get(c, "warnings");
	if (entry && w)
		json_object_set(entry, "warnings", w);
	return entry;
}

static ot_status do_overdue(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	char today[11];
	day_format(time_day(q->now, e->zone), today);
	store_query sq = page_of(q);
	sq.status = "in_progress";
	sq.also[0] = "received";
	sq.also[1] = "suspended";
	sq.also[2] = "checking";
	sq.due_before = today;
	json_t *cases = NULL;
	char next[STORE_CURSOR_MAX];
	ot_status s = store_list(e, &sq, &cases, next, err);
	if (s != OT_OK)
		return s;
	json_t *out = json_array();
	size_t i;
	json_t *c;
	json_array_foreach(cases, i, c) {
		if (json_object_get(c, "stages")) { /* a chain case */
			json_t *entry = chain_overdue(c, today);
			if (entry)
				json_array_append_new(out, entry);
			continue;
		}
		if (strcmp(str(c, "status") ? str(c, "status") : "", "in_progress") != 0) {
			json_t *o = late_otherwise(c, today);
			if (o)
				json_array_append_new(out, with_warnings(o, c));
			continue;
		}
		/* late once the earlier of the two due dates is passed: `due` is
		 * that one, but a snapshot written before it was may say the
		 * promise, so `passed` (both dates) decides too */
		const char *due = str(c, "due");
		json_t *late = json_array();
		size_t k;
		json_t *st;
		json_array_foreach(json_object_get(c, "current"), k, st) {
			const char *sd = str(st, "due");
			json_t *was = passed(st, today);
			if ((sd && strcmp(sd, today) < 0) || json_array_size(was))
				json_array_append_new(late, json_pack("{s:O, s:O, s:O?, s:o}", "step",
					json_object_get(st, "step"), "department",
					json_object_get(st, "department"), "due",
					json_object_get(st, "due"), "passed", was));
			else
				json_decref(was);
		}
		json_t *deferred = json_array(); /* 容缺 materials past their deadline */
		json_array_foreach(json_object_get(c, "deferred_due"), k, st) {
			const char *dd = str(st, "due");
			if (dd && strcmp(dd, today) < 0)
				json_array_append(deferred, st);
		}
		json_t *was = passed(c, today);
		int case_late = (due && strcmp(due, today) < 0) || json_array_size(was);
		if (case_late || json_array_size(late) || json_array_size(deferred))
			json_array_append_new(out, with_warnings(json_pack("{s:O, s:O, s:O, s:b, s:o, s:o, s:o}",
				"id", json_object_get(c, "id"), "item", json_object_get(c, "item"),
				"due", json_object_get(c, "due"), "overdue", case_late,
				"passed", was, "steps", late, "deferred", deferred), c));
		else {
			json_decref(was);
			json_decref(late);
			json_decref(deferred);
		}
	}
	json_decref(cases);
	char at[32];
	time_format(q->now, e->zone, at);
	*resp = json_pack("{s:s, s:o}", "at", at, "cases", out);
	if (next[0])
		json_object_set_new(*resp, "next", json_string(next));
	return s;
}

/* The events recorded after a cursor, in the order they were recorded. */
static ot_status do_events(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	const char *after = str(q->j, "after");
	json_t *limit = json_object_get(q->j, "limit");
	store_feed_query fq = {0, str(q->j, "department"), str(q->j, "client"),
			       limit ? (int)json_integer_value(limit) : STORE_PAGE_DEFAULT};
	if (after) {
		char *end;
		fq.after = strtoll(after, &end, 10);
		if (!after[0] || *end || fq.after < 0)
			return err_set(err, OT_EINVAL, "events: \"after\" is a cursor of the feed "
				       "(a whole number as text), not '%s'", MSG_QUOTE(after, 30));
	}
	/* a misspelt department would follow nothing, as if nothing happened */
	const ot_rules *r = e->current;
	store_query dept_only = {0};
	dept_only.department = fq.department;
	ot_status s = known_filter(e, q, "department", fq.department, &r->by_department,
				   r->departments, r->n_departments, sizeof *r->departments, dept_only,
				   err);
	if (s != OT_OK)
		return s;
	json_t *events = NULL;
	long long next = 0;
	s = store_feed(e, &fq, &events, &next, err);
	if (s == OT_OK) {
		char cursor[24];
		snprintf(cursor, sizeof cursor, "%lld", next);
		*resp = json_pack("{s:o, s:s}", "events", events, "next", cursor);
	}
	return s;
}

static ot_status do_counts(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	(void)q;
	json_t *cases = NULL;
	ot_status s = store_counts(e, &cases, err);
	if (s == OT_OK)
		*resp = json_pack("{s:o}", "cases", cases);
	return s;
}

static ot_status do_store_check(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	(void)q;
	return store_check(e, resp, err);
}

/* ---- the time sweep (电子监察 预警, sweep.c) ---- */

#define SWEEP_BATCH 100

/* Warns claimed case `id`: each warning due today is an event of its own,
 * recorded as every event is; when none is due (the case was claimed by
 * a day written with other settings), its day is written again. */
static ot_status sweep_one(ot_engine *e, req *q, const char *id, int32_t today, json_t *out,
			   ot_error *err)
{
	ot_case *c;
	ot_status s = case_load(e, id, &c, err); /* the engine's copy, caught up */
	if (s != OT_OK)
		return s;
	sweep_due due[SWEEP_MAX_DUE];
	int later = q->now < c->last_at; /* its last event is after the sweep's time: not yet */
	int n = later ? 0 : sweep_due_now(c, today, e->warn_workdays, due, SWEEP_MAX_DUE);
	for (int i = 0; s == OT_OK && i < n; i++) {
		json_t *ev = sweep_event(c, &due[i], q->now, e->zone), *resp = NULL;
		s = ev ? record_and_follow(e, c, ev, q, &resp, err)
		       : err_set(err, OT_ENOMEM, "out of memory");
		json_t *entry = s == OT_OK ? json_deep_copy(ev) : NULL;
		if (entry) {
			json_object_del(entry, "op");
			json_object_del(entry, "actor");
			json_object_set_new(entry, "case", json_string(c->id));
			if (c->chain >= 0) /* as the feed says it */
				json_object_set_new(entry, "chain",
						    json_string(c->v->rules->chains[c->chain].name));
			else
				json_object_set_new(entry, "item", json_string(case_row_item(c)));
			json_array_append_new(out, entry);
		}
		json_decref(resp);
		json_decref(ev);
	}
	if (s == OT_OK && n == 0 && !later)
		s = store_warn_at(e, c, err);
	case_free(c);
	return s;
}

/* A sweep's cursor, "DAY/ID" (sweep_pos_text), into *pos. */
static ot_status sweep_pos(const char *text, store_claim_pos *pos, ot_error *err)
{
	const char *slash = text ? strchr(text, '/') : NULL;
	size_t day = slash ? (size_t)(slash - text) : 0;
	if (!text)
		return OT_OK;
	if (!slash || day >= sizeof pos->day || strlen(slash + 1) >= sizeof pos->id)
		return err_set(err, OT_EINVAL, "sweep: \"after\" is the \"next\" of the batch before");
	memcpy(pos->day, text, day);
	pos->day[day] = 0;
	strcpy(pos->id, slash + 1);
	return OT_OK;
}

/* One batch: up to `limit` cases claimed, after the cursor `after`,
 * warned, in this transaction.  A case that cannot be read is rolled back
 * alone (its savepoint) and named in "failed"; the others are warned. */
static ot_status do_sweep(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	int32_t today = time_day(q->now, e->zone);
	char day[11], at[32], next[sizeof(store_claim_pos)];
	day_format(sweep_claim_day(e, today), day);
	json_t *limit = json_object_get(q->j, "limit");
	int max = limit ? (int)json_integer_value(limit) : SWEEP_BATCH, n = 0;
	store_claim_pos pos = {"", ""};
	ot_status s = sweep_pos(json_string_value(json_object_get(q->j, "after")), &pos, err);
	if (s != OT_OK)
		return s;
	char (*ids)[32] = malloc((size_t)max * sizeof *ids);
	json_t *warned = json_array(), *failed = json_array();
	s = ids && warned && failed ? store_claim(e, day, &pos, max, ids, &n, err)
				    : err_set(err, OT_ENOMEM, "out of memory");
	for (int i = 0; s == OT_OK && i < n; i++) {
		if ((s = store_savepoint(e, err)) != OT_OK)
			break;
		json_t *one = json_array();
		ot_error why = {OT_OK, ""};
		ot_status r = one ? sweep_one(e, q, ids[i], today, one, &why)
				  : err_set(&why, OT_ENOMEM, "out of memory");
		if (r == OT_OK && (s = store_release(e, err)) == OT_OK)
			json_array_extend(warned, one);
		else if (r != OT_OK) {
			store_rollback_to(e);
			engine_log(e, "sweep: case %s: %s", ids[i], why.message);
			json_array_append_new(failed, json_pack("{s:s, s:s}", "case", ids[i], "error",
								why.message));
			if (r == OT_ENOMEM)
				s = err_set(err, r, "%s", why.message);
		}
		json_decref(one);
	}
	free(ids);
	time_format(q->now, e->zone, at);
	snprintf(next, sizeof next, "%s/%s", pos.day, pos.id);
	if (s == OT_OK)
		*resp = json_pack("{s:s, s:i, s:O, s:b}", "at", at, "claimed", n, "warnings", warned,
				  "more", n == max);
	if (s == OT_OK && n == max)
		json_object_set_new(*resp, "next", json_string(next));
	if (s == OT_OK && json_array_size(failed))
		json_object_set(*resp, "failed", failed);
	json_decref(warned);
	json_decref(failed);
	return s;
}

/* ---- the public functions ---- */

/* What each operation's request holds: every field with its type, checked
 * by rq_fields before the operation runs.  A field not in the table is
 * refused. */

#define RQ_NOW(required) {"now", RQ_TIME, required, "an ISO 8601 time such as 2019-09-27T09:00", NULL}
#define RQ_CASE {"case", RQ_TEXT, 1, "a case id", NULL}
#define RQ_MATERIALS {"materials", RQ_NAMES, 0, "the names of the materials handed in", NULL}
#define RQ_CHANNEL {"channel", RQ_TEXT, 0, "\"online\" or \"hall\"", NULL}
#define RQ_REASON(required) {"reason", RQ_TEXT, required, "the reason, for the applicant", NULL}
#define RQ_NOTED_ACTOR {"actor", RQ_TEXT, 0, "who acts, recorded as written", NULL}
/* checked by load(), before anything else of the operation */
#define RQ_HANDLED_BY {"handled_by", RQ_TEXT, 0, "a department that must handle a step of " \
	"the case, or nothing is done (OT_EACTOR): a service sets it for its departments", NULL}

static const rq_field officer_fields[] = {
	{"id", RQ_TEXT, 1, "the officer's staff number", NULL},
	{"name", RQ_TEXT, 1, "the officer's name", NULL},
	{NULL},
};
/* who writes, as a service records it in the event */
#define RQ_CLIENT {"client", RQ_TEXT, 0, "the service client that sent the request", NULL}
#define RQ_OFFICER {"officer", RQ_OBJECT, 0, "{\"id\", \"name\"} of the officer acting", \
		    officer_fields}

static const rq_field applicant_fields[] = {
	{"kind", RQ_TEXT, 1, "\"person\" or \"company\"", NULL},
	{"id", RQ_ID, 1, "a resident ID number or a unified social credit code", NULL},
	{"name", RQ_TEXT, 0, "the applicant's name", NULL},
	{NULL},
};
/* assess: the id is what reuse needs, but the notice can be had without */
static const rq_field applicant_maybe_id[] = {
	{"kind", RQ_TEXT, 1, "\"person\" or \"company\"", NULL},
	{"id", RQ_ID, 0, "a resident ID number or a unified social credit code", NULL},
	{"name", RQ_TEXT, 0, "the applicant's name", NULL},
	{NULL},
};
static const rq_field actor_fields[] = {
	{"department", RQ_TEXT, 1, "the department acting", NULL},
	{"window", RQ_TEXT, 0, "one of its windows", NULL},
	{NULL},
};
static const rq_field licence_fields[] = {
	{"holder", RQ_ID, 1, "the holder's ID number or credit code", NULL},
	{"material", RQ_TEXT, 1, "the rule base's name for the material", NULL},
	{"number", RQ_TEXT, 1, "the licence's number", NULL},
	{"issuer", RQ_TEXT, 1, "who issued it", NULL},
	{"valid_from", RQ_DATE, 1, "the first day it is valid, YYYY-MM-DD", NULL},
	{"valid_until", RQ_DATE, 0, "the last day it is valid, YYYY-MM-DD", NULL},
	{NULL},
};

#define RQ_CHAIN {"chain", RQ_TEXT, 0, "the name of a chain (instead of an item)", NULL}

static const rq_field assess_fields[] = {
	{"item", RQ_TEXT, 0, "the name of a service item", NULL},
	RQ_CHAIN,
	{"stage", RQ_TEXT, 0, "a stage of the chain: the notice for that stage only", NULL},
	RQ_NOW(1),
	{"applicant", RQ_OBJECT, 0, "{\"kind\", \"id\", \"name\"}", applicant_maybe_id},
	{"form", RQ_FORM, 0, "the form's field values", NULL},
	RQ_MATERIALS,
	RQ_CHANNEL, /* not used: a portal may assess what it will submit */
	{NULL},
};
static const rq_field submit_fields[] = {
	{"item", RQ_TEXT, 0, "the name of a service item", NULL},
	RQ_CHAIN,
	RQ_NOW(1),
	{"applicant", RQ_OBJECT, 1, "{\"kind\": \"person\" or \"company\", \"id\", \"name\"}",
	 applicant_fields},
	RQ_CHANNEL,
	{"form", RQ_FORM, 0, "the form's field values", NULL},
	RQ_MATERIALS, RQ_CLIENT, RQ_OFFICER,
	{NULL},
};
static const rq_field supplement_fields[] = {
	RQ_CASE, RQ_NOW(1), RQ_MATERIALS,
	{"form", RQ_FORM, 0, "the fields to change (null removes one)", NULL},
	RQ_CHANNEL, RQ_CLIENT, RQ_OFFICER,
	{NULL},
};
static const rq_field act_fields[] = {
	RQ_CASE, RQ_NOW(1),
	{"step", RQ_TEXT, 1, "the step's name", NULL},
	{"action", RQ_TEXT, 1, "approve, return or deny", NULL},
	{"actor", RQ_ACTOR, 1, "the department acting, as \"department\" or \"department.window\"",
	 actor_fields},
	RQ_REASON(0), RQ_CLIENT, RQ_OFFICER,
	{NULL},
};
static const rq_field suspend_fields[] = {
	RQ_CASE, RQ_NOW(1), RQ_NOTED_ACTOR,
	{"reason", RQ_TEXT, 1, "why the clock stops (公示, expert review ...)", NULL},
	RQ_HANDLED_BY, RQ_CLIENT, RQ_OFFICER,
	{NULL},
};
/* resume and withdraw */
static const rq_field case_event_fields[] = {
	RQ_CASE, RQ_NOW(1), RQ_NOTED_ACTOR, RQ_REASON(0), RQ_HANDLED_BY, RQ_CLIENT, RQ_OFFICER,
	{NULL},
};
static const rq_field deliver_fields[] = {
	RQ_CASE, RQ_NOW(1), RQ_NOTED_ACTOR, RQ_REASON(0),
	{"method", RQ_TEXT, 1, "window, post or electronic", NULL},
	RQ_HANDLED_BY, RQ_CLIENT, RQ_OFFICER,
	{NULL},
};
/* "now" is allowed where it is not needed: the command line adds it */
static const rq_field accept_fields[] = {
	RQ_CASE, RQ_NOW(1),
	{"actor", RQ_ACTOR, 1, "the department deciding on acceptance (受理)", actor_fields},
	RQ_HANDLED_BY, RQ_CLIENT, RQ_OFFICER,
	{NULL}
};
static const rq_field refuse_fields[] = {
	RQ_CASE, RQ_NOW(1),
	{"actor", RQ_ACTOR, 1, "the department refusing to accept (不予受理)", actor_fields},
	{"reasons", RQ_TEXT, 1, "the reasons, in writing, for the applicant", NULL},
	{"remedy", RQ_TEXT, 1, "where and within how long the applicant may apply for "
	 "administrative review or sue", NULL},
	RQ_HANDLED_BY, RQ_CLIENT, RQ_OFFICER,
	{NULL}
};
static const rq_field extend_fields[] = {
	RQ_CASE, RQ_NOW(1),
	{"workdays", RQ_COUNT, 1, "by how many working days the legal limit is extended", NULL},
	RQ_REASON(1),
	{"approver", RQ_TEXT, 1, "the head of the body who approved the extension", NULL},
	RQ_NOTED_ACTOR,
	RQ_HANDLED_BY, RQ_CLIENT, RQ_OFFICER,
	{NULL}
};
static const rq_field procedure_start_fields[] = {
	RQ_CASE, RQ_NOW(1),
	{"procedure", RQ_TEXT, 1, "the name of one of the item's special procedures", NULL},
	RQ_NOTED_ACTOR,
	RQ_HANDLED_BY, RQ_CLIENT, RQ_OFFICER,
	{NULL}
};
static const rq_field procedure_end_fields[] = {
	RQ_CASE, RQ_NOW(1),
	{"procedure", RQ_TEXT, 0, "the procedure ended; when given, the one running", NULL},
	RQ_NOTED_ACTOR, RQ_REASON(0),
	RQ_HANDLED_BY, RQ_CLIENT, RQ_OFFICER,
	{NULL}
};
static const rq_field pledge_check_fields[] = {
	RQ_CASE, RQ_NOW(1),
	{"actor", RQ_ACTOR, 1, "the department checking the pledge (告知承诺)", actor_fields},
	{"result", RQ_TEXT, 1, "kept, or untrue (the approval is revoked)", NULL},
	RQ_REASON(0),
	RQ_HANDLED_BY, RQ_CLIENT, RQ_OFFICER,
	{NULL}
};
static const rq_field show_fields[] = {
	RQ_CASE, RQ_NOW(0),
	{"history", RQ_FLAG, 0, "whether the answer lists the case's events (default true)", NULL},
	{NULL}};
static const rq_field list_fields[] = {
	RQ_NOW(0),
	{"status", RQ_TEXT, 0, "a case status", NULL},
	{"item", RQ_TEXT, 0, "an item's name", NULL},
	RQ_CHAIN,
	{"department", RQ_TEXT, 0, "a department's name", NULL},
	{"applicant", RQ_ID, 0, "the applicant's ID number or credit code", NULL},
	{"limit", RQ_PAGE, 0, "how many cases a page holds (100 when not given)", NULL},
	{"after", RQ_TEXT, 0, "the \"next\" of the page before", NULL},
	{NULL},
};
static const rq_field overdue_fields[] = {
	RQ_NOW(1),
	{"limit", RQ_PAGE, 0, "how many cases a page holds (100 when not given)", NULL},
	{"after", RQ_TEXT, 0, "the \"next\" of the page before", NULL},
	{NULL},
};
static const rq_field licences_import_fields[] = {
	RQ_NOW(0),
	{"licences", RQ_LIST, 1, "a list of licences", licence_fields},
	{NULL},
};
static const rq_field licences_fields[] = {
	RQ_NOW(0),
	{"holder", RQ_ID, 1, "an ID number or credit code", NULL},
	{NULL},
};

static const rq_field events_fields[] = {
	RQ_NOW(0),
	{"after", RQ_TEXT, 0, "the \"next\" of the page before (\"0\": from the start)", NULL},
	{"limit", RQ_PAGE, 0, "how many events a page holds (100 when not given)", NULL},
	{"department", RQ_TEXT, 0, "only cases of this department or at a step of it", NULL},
	{"client", RQ_TEXT, 0, "only cases this service client submitted", NULL},
	{NULL},
};
static const rq_field counts_fields[] = {RQ_NOW(0), {NULL}};
static const rq_field sweep_fields[] = {
	RQ_NOW(1),
	{"limit", RQ_PAGE, 0, "how many cases one transaction claims (100 when not given)", NULL},
	{"after", RQ_TEXT, 0, "the \"next\" of the batch before (none: from the start)", NULL},
	{NULL},
};

static const rq_field store_check_fields[] = {
	{NULL},
};

typedef struct op_entry {
	const char *name;
	op_fn fn;
	int write; /* 0 a read, 1 a write, 2 one that claims its cases, 3 one that
		      numbers a new case (store_begin) */
	const rq_field *fields;
} op_entry;

static const op_entry ops[] = {
	{"assess", do_assess, 0, assess_fields},
	{"submit", do_submit, 3, submit_fields},
	{"supplement", do_supplement, 1, supplement_fields},
	{"act", do_act, 1, act_fields},
	{"suspend", do_suspend, 1, suspend_fields},
	{"resume", do_resume, 1, case_event_fields},
	{"deliver", do_deliver, 1, deliver_fields},
	{"withdraw", do_withdraw, 1, case_event_fields},
	{"accept", do_accept, 1, accept_fields},
	{"refuse", do_refuse, 1, refuse_fields},
	{"extend", do_extend, 1, extend_fields},
	{"procedure_start", do_procedure_start, 1, procedure_start_fields},
	{"procedure_end", do_procedure_end, 1, procedure_end_fields},
	{"pledge_check", do_pledge_check, 1, pledge_check_fields},
	{"show", do_show, 0, show_fields},
	{"list", do_list, 0, list_fields},
	{"overdue", do_overdue, 0, overdue_fields},
	{"licences_import", do_licences_import, 1, licences_import_fields},
	{"licences", do_licences, 0, licences_fields},
	{"store_check", do_store_check, 0, store_check_fields},
	{"events", do_events, 0, events_fields},
	{"counts", do_counts, 0, counts_fields},
	{"sweep", do_sweep, 2, sweep_fields}, /* claims its cases */
};

ot_status ot_call(ot_engine *e, const char *op, const char *request,
		  char **response, ot_error *err)
{
	for (size_t i = 0; op && i < OT_COUNTOF(ops); i++)
		if (strcmp(ops[i].name, op) == 0)
			return run_op(e, ops[i].name, ops[i].fn, ops[i].write, ops[i].fields,
				      request, NULL, response, err);
	if (response)
		*response = NULL;
	return err_set(err, OT_EINVAL, "unknown operation '%s'", op ? MSG_QUOTE(op, 30) : "(null)");
}

/* The key as run_op takes it: its fingerprint, the wall clock. */
static ot_status idem_init(idem *k, ot_idempotency *key, const char *request, ot_error *err)
{
	key->replayed = 0;
	size_t n = strlen(key->key);
	if (n == 0 || n > 255)
		return err_set(err, OT_EINVAL, "an idempotency key has 1 to 255 characters, not %zu", n);
	k->k = key;
	k->now_s = (long long)time(NULL);
	const char *f = key->fingerprint ? key->fingerprint : request ? request : "";
	SHA256Data((const uint8_t *)f, strlen(f), k->fingerprint);
	return OT_OK;
}

static const op_entry *op_named(const char *op)
{
	for (size_t i = 0; op && i < OT_COUNTOF(ops); i++)
		if (strcmp(ops[i].name, op) == 0)
			return &ops[i];
	return NULL;
}

static int op_writes(const char *op)
{
	const op_entry *o = op_named(op);
	return !o || o->write; /* an operation not in the table: as a write */
}

ot_status ot_call_idempotent(ot_engine *e, const char *op, const char *request,
			     ot_idempotency *key, char **response, ot_error *err)
{
	if (!key || !key->key)
		return ot_call(e, op, request, response, err);
	idem k;
	ot_status s = idem_init(&k, key, request, err);
	const op_entry *o = op_named(op);
	if (s != OT_OK || !o) {
		if (response)
			*response = NULL;
		return s != OT_OK ? s : ot_call(e, op, request, response, err);
	}
	/* a read is safe to repeat as it is: the key is for writes */
	return run_op(e, o->name, o->fn, o->write, o->fields, request, o->write ? &k : NULL,
		      response, err);
}

/* ---- group commit ---- */

/* One operation of a batch, in its own savepoint: a refusal undoes only
 * what it did.  Its answer is written before the savepoint is released,
 * so an operation that is kept always has its answer.  *lost: it failed
 * for a race another engine's transaction won (store_lost_race), or it
 * has a key and was refused for the case's state, which may be what the
 * same key's first request, still in flight elsewhere when this one
 * looked for its key, has just done: run again, it answers as that one
 * did (or is refused again, changing nothing). */
static ot_status batch_one(ot_engine *e, ot_batch_item *b, int *lost)
{
	const op_entry *o = op_named(b->op);
	ot_error *err = &b->err;
	if (!o)
		return err_set(err, OT_EINVAL, "unknown operation '%s'", b->op ? MSG_QUOTE(b->op, 30) : "(null)");
	req q;
	json_t *resp = NULL;
	idem k;
	int keyed = o->write && b->key && b->key->key, replayed = 0;
	e->op++;
	json_guard_reset();
	ot_status s = keyed ? idem_init(&k, b->key, b->request, err) : OT_OK;
	q.j = NULL;
	q.text = NULL;
	if (s == OT_OK)
		s = parse(o->name, b->request, o->fields, e->zone, 0, &q, err);
	if (s == OT_OK && json_guard_failed())
		s = err_set(err, OT_ENOMEM, "%s: out of memory reading the request", o->name);
	if (s == OT_OK)
		s = store_savepoint(e, err);
	if (s != OT_OK) {
		json_decref(q.j);
		return s;
	}
	json_guard_reset();
	store_forget_saved(e);
	if (keyed)
		s = idem_replay(e, &k, &q, &replayed, err);
	if (s == OT_OK && !replayed)
		s = o->fn(e, &q, &resp, err);
	s = store_settle(e, s, err);
	if (s == OT_OK && json_guard_failed())
		s = err_set(err, OT_ENOMEM, "out of memory");
	if (s == OT_OK && keyed && !replayed)
		s = idem_keep(e, &k, &q, &resp, err); /* writes the answer as text too */
	for (int i = 0; i < e->nversions; i++)
		hook_end_operation(e->versions[i].hooks);
	if (s == OT_OK && !q.text && !(q.text = answer_text(e, resp)))
		s = err_set(err, OT_ENOMEM, "out of memory writing the response");
	if (s == OT_OK)
		s = store_release(e, err);
	if (s != OT_OK) {
		*lost = o->write && ((s == OT_ESTORE && store_lost_race(e)) ||
				     (keyed && !replayed && s == OT_ESTATE));
		store_rollback_to(e);
		engine_log(e, "%s: %s: %s", o->name, ot_status_name(s), err->message);
		free(q.text);
		q.text = NULL;
	}
	if (keyed)
		b->key->replayed = replayed;
	json_decref(resp);
	json_decref(q.j);
	b->response = q.text;
	return s;
}

/* An operation of a batch that lost a race to another engine's
 * transaction -- on PostgreSQL, a deadlock: two batches taking the same
 * cases in other orders, each holding what the other waits for -- runs
 * again on its own once the batch is committed and holds nothing, as
 * ot_call runs a first try that lost: it then sees what the other did
 * (the step done: refused as any late second would be).  Run again in
 * the batch, it would wait for the same rows held by the same other. */
enum { BATCH_AGAIN_MAX = 64 }; /* more in one batch keep their failure */

static void batch_again(ot_engine *e, ot_batch_item *b)
{
	engine_log(e, "%s: another writer was first; running it again on its own, after the batch",
		   b->op);
	b->err.status = OT_OK;
	b->err.message[0] = 0;
	b->status = b->key ? ot_call_idempotent(e, b->op, b->request, b->key, &b->response, &b->err)
			   : ot_call(e, b->op, b->request, &b->response, &b->err);
}

ot_status ot_call_batch(ot_engine *e, ot_batch_item *items, size_t n, ot_error *err)
{
	ot_error local;
	if (!err)
		err = &local;
	err->status = OT_OK;
	err->message[0] = 0;
	if (!e || (n && !items))
		return err_set(err, OT_EINVAL, "ot_call_batch needs an engine and its items");
	for (size_t i = 0; i < n; i++) {
		items[i].response = NULL;
		items[i].status = OT_OK;
		items[i].err.status = OT_OK;
		items[i].err.message[0] = 0;
	}
	/* the write lock for the whole batch: its hooks run under it, each
	 * bounded by its time limit (hook_limits), as in run_op's second try */
	ot_status s = store_begin(e, 0, err);
	size_t again[BATCH_AGAIN_MAX], nagain = 0;
	for (size_t i = 0; s == OT_OK && i < n; i++) {
		int lost = 0;
		items[i].status = batch_one(e, &items[i], &lost);
		if (lost && nagain < BATCH_AGAIN_MAX)
			again[nagain++] = i;
	}
	if (s == OT_OK)
		s = store_commit(e, err);
	else
		store_rollback(e);
	if (s == OT_OK)
		for (size_t i = 0; i < nagain; i++)
			batch_again(e, &items[again[i]]);
	if (s != OT_OK) {
		engine_log(e, "a batch of %zu operations: %s: %s", n, ot_status_name(s), err->message);
		/* nothing was kept: no answer stands */
		for (size_t i = 0; i < n; i++) {
			free(items[i].response);
			items[i].response = NULL;
			items[i].status = s;
			items[i].err = *err;
			if (items[i].key)
				items[i].key->replayed = 0;
		}
	}
	return s;
}

#define OP(name)                                                                       \
	ot_status ot_##name(ot_engine *e, const char *request, char **response,        \
			    ot_error *err)                                             \
	{                                                                              \
		return ot_call(e, #name, request, response, err);                      \
	}

OP(assess)
OP(submit)
OP(supplement)
OP(act)
OP(suspend)
OP(resume)
OP(deliver)
OP(withdraw)
OP(accept)
OP(refuse)
OP(extend)
OP(procedure_start)
OP(procedure_end)
OP(pledge_check)
OP(show)
OP(list)
OP(overdue)
OP(sweep)

/* ---- for the chain operations (api.h) ---- */

ot_status api_applicant_of(const m_item *it, json_t *a, int *kind, ot_error *err)
{
	return applicant_of(it, a, kind, err);
}

json_t *api_assessed_event(const ot_rules *r, const char *op, const req *q,
			   const uint8_t *have, const assessment *a, json_t *form,
			   const char *channel, int zone)
{
	return assessed_event(r, op, q, have, a, form, channel, zone);
}

ot_status api_record(ot_engine *e, ot_case *c, json_t *ev, const req *q, int is_new,
		     json_t **resp, ot_error *err)
{
	return record(e, c, ev, q, -1, NULL, is_new, resp, err);
}

json_t *api_trace(const version *v, int item)
{
	return trace_hooks(v, item);
}

void api_attach_trace(json_t *ev, json_t *names)
{
	attach_trace(ev, names);
}

void api_patch_form(json_t *form, json_t *patch)
{
	const char *key;
	json_t *val;
	json_object_foreach(patch, key, val) {
		if (json_is_null(val))
			json_object_del(form, key);
		else
			json_object_set(form, key, val);
	}
}

void api_trace_end(const version *v)
{
	hook_trace(version_hooks(v), NULL);
}

ot_status api_remember(ot_engine *e, const ot_case *c, ot_time now, ot_error *err)
{
	return remember_materials(e, c, now, err);
}

json_t *api_event(const char *op, const req *q, int zone, const char *actor)
{
	return simple_event(op, q, zone, actor);
}
