/*
 * store.c -- cases, their events, rule versions and the material library
 * in one SQLite file.
 *
 * WAL mode with synchronous=FULL: a committed operation survives a power
 * cut.  Writers take the lock up front (BEGIN IMMEDIATE) so two processes
 * never deadlock upgrading a read lock; a busy store is waited for (busy
 * timeout) before an operation gives up with OT_ESTORE.  Statements are
 * prepared once and reset after each use.  The schema version lives in
 * PRAGMA user_version and is migrated forward on open.
 *
 * The events table is the record: append-only, one row per change.  The
 * cases table holds a snapshot for listing and showing; a case is loaded
 * for an operation by replaying its events (case_rebuild), so the snapshot
 * can never drift from the record unnoticed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define SCHEMA_VERSION 2

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

enum {
	S_BEGIN, S_COMMIT, S_ROLLBACK, S_VERSION_PUT, S_VERSION_GET, S_NEXT_ID,
	S_CASE_INSERT, S_CASE_UPDATE, S_CASE_TOUCH, S_CASE_GET, S_EVENT_INSERT, S_EVENTS,
	S_LIB_ADD, S_LIB_FIND, S_LIC_PUT, S_LIC_FIND, S__COUNT
};

static const char *const sql[S__COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_VERSION_PUT] = "INSERT OR IGNORE INTO rule_versions(hash, stored_at, sources)"
			  " VALUES (?1, datetime('now'), ?2)",
	[S_VERSION_GET] = "SELECT sources FROM rule_versions WHERE hash = ?1",
	[S_NEXT_ID] = "INSERT INTO counters(day, n) VALUES (?1, 1)"
		      " ON CONFLICT(day) DO UPDATE SET n = n + 1 RETURNING n",
	[S_CASE_INSERT] = "INSERT INTO cases(id, item, rules, status, applicant, department,"
			  " handlers, due, updated, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[S_CASE_UPDATE] = "UPDATE cases SET status = ?4, handlers = ?7, due = ?8, updated = ?9,"
			  " state = ?10 WHERE id = ?1",
	/* the same when the status stays: leaves the status index alone,
	 * one page less to write and sync */
	[S_CASE_TOUCH] = "UPDATE cases SET handlers = ?7, due = ?8, updated = ?9,"
			 " state = ?10 WHERE id = ?1 AND ?4 IS NOT NULL",
	[S_CASE_GET] = "SELECT item, rules, status FROM cases WHERE id = ?1",
	[S_EVENT_INSERT] = "INSERT INTO events(case_id, seq, at, op, actor, rules, payload)"
			   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_EVENTS] = "SELECT payload FROM events WHERE case_id = ?1 ORDER BY seq",
	[S_LIB_ADD] = "INSERT OR REPLACE INTO library(applicant, material, case_id, valid_from,"
		      " valid_until) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_LIB_FIND] = "SELECT case_id FROM library WHERE applicant = ?1 AND material = ?2"
		       " AND valid_from <= ?3 AND valid_until > ?3 ORDER BY valid_until DESC LIMIT 1",
	[S_LIC_PUT] = "INSERT OR REPLACE INTO licences(holder, material, number, issuer,"
		      " valid_from, valid_until, case_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	/* the valid licence first, else the one that expired last */
	[S_LIC_FIND] = "SELECT number, valid_until, valid_until IS NULL OR valid_until > ?3 AS ok"
		       " FROM licences WHERE holder = ?1 AND material = ?2 AND valid_from <= ?3"
		       " ORDER BY ok DESC, valid_until IS NULL DESC, valid_until DESC LIMIT 1",
};

static ot_status db_fail(ot_engine *e, ot_error *err, const char *what)
{
	int code = sqlite3_errcode(e->db);
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return err_set(err, OT_ESTORE, "the store is busy (another process held it too long): %s", what);
	return err_set(err, OT_ESTORE, "store error while %s: %s", what, sqlite3_errmsg(e->db));
}

static int exec(ot_engine *e, const char *text)
{
	return sqlite3_exec(e->db, text, NULL, NULL, NULL) == SQLITE_OK;
}

static ot_status migrate(ot_engine *e, ot_error *err)
{
	sqlite3_stmt *st;
	int have = 0;
	if (sqlite3_prepare_v2(e->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return db_fail(e, err, "reading the schema version");
	if (sqlite3_step(st) == SQLITE_ROW)
		have = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (have > SCHEMA_VERSION)
		return err_set(err, OT_ESTORE, "the store was written by a newer onetrip (schema %d, "
			    "this one knows %d)", have, SCHEMA_VERSION);
	if (have == SCHEMA_VERSION)
		return OT_OK;
	if (!exec(e, "BEGIN IMMEDIATE"))
		return db_fail(e, err, "migrating the schema");
	/* each version adds its step; an old store is brought forward */
	for (size_t i = 0; have < 1 && i < OT_COUNTOF(schema); i++)
		if (!exec(e, schema[i])) {
			ot_status s = db_fail(e, err, "creating the schema");
			exec(e, "ROLLBACK");
			return s;
		}
	for (size_t i = 0; have < 2 && i < OT_COUNTOF(schema_v2); i++)
		if (!exec(e, schema_v2[i])) {
			ot_status s = db_fail(e, err, "adding the licence library");
			exec(e, "ROLLBACK");
			return s;
		}
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", SCHEMA_VERSION);
	if (!exec(e, pragma) || !exec(e, "COMMIT")) {
		ot_status s = db_fail(e, err, "migrating the schema");
		exec(e, "ROLLBACK");
		return s;
	}
	return OT_OK;
}

ot_status store_open(ot_engine *e, const char *path, ot_error *err)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &e->db, flags, NULL) != SQLITE_OK) {
		ot_status s = err_set(err, OT_ESTORE, "cannot open the store %s: %s", path,
				   e->db ? sqlite3_errmsg(e->db) : "out of memory");
		sqlite3_close(e->db);
		e->db = NULL;
		return s;
	}
	sqlite3_busy_timeout(e->db, 10000);
	sqlite3_extended_result_codes(e->db, 0);
	if (!exec(e, "PRAGMA foreign_keys = ON") || !exec(e, "PRAGMA synchronous = FULL"))
		return db_fail(e, err, "configuring the store");
	if (strcmp(path, ":memory:") != 0 && !exec(e, "PRAGMA journal_mode = WAL"))
		return db_fail(e, err, "switching to WAL mode");
	ot_status s = migrate(e, err);
	if (s != OT_OK)
		return s;
	for (int i = 0; i < S__COUNT; i++)
		if (sqlite3_prepare_v3(e->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &e->stmt[i],
				       NULL) != SQLITE_OK)
			return db_fail(e, err, "preparing statements");
	return OT_OK;
}

void store_close(ot_engine *e)
{
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(e->stmt[i]);
	sqlite3_close(e->db);
	e->db = NULL;
}

/* Runs a statement that returns no rows; resets it. */
static int run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW;
}

ot_status store_begin(ot_engine *e, ot_error *err)
{
	return run(e->stmt[S_BEGIN]) ? OT_OK : db_fail(e, err, "starting a transaction");
}

ot_status store_commit(ot_engine *e, ot_error *err)
{
	if (run(e->stmt[S_COMMIT]))
		return OT_OK;
	ot_status s = db_fail(e, err, "committing");
	store_rollback(e);
	return s;
}

void store_rollback(ot_engine *e)
{
	if (!sqlite3_get_autocommit(e->db))
		run(e->stmt[S_ROLLBACK]);
}

ot_status store_put_version(ot_engine *e, const ot_rules *r, ot_error *err)
{
	sqlite3_stmt *st = e->stmt[S_VERSION_PUT];
	sqlite3_bind_text(st, 1, ot_rules_hash(r), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ot_rules_sources(r), -1, SQLITE_STATIC);
	return run(st) ? OT_OK : db_fail(e, err, "storing the rule version");
}

char *store_get_version(ot_engine *e, const char *hash)
{
	sqlite3_stmt *st = e->stmt[S_VERSION_GET];
	char *out = NULL;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		out = s ? strdup(s) : NULL;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return out;
}

ot_status store_next_id(ot_engine *e, ot_time now, char id[32], ot_error *err)
{
	char day[11], compact[9];
	day_format(time_day(now, e->zone), day);
	snprintf(compact, sizeof compact, "%.4s%.2s%.2s", day, day + 5, day + 8);
	sqlite3_stmt *st = e->stmt[S_NEXT_ID];
	sqlite3_bind_text(st, 1, compact, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	sqlite3_int64 n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW)
		return db_fail(e, err, "numbering the case");
	snprintf(id, 32, "%s-%04lld", compact, (long long)n);
	return OT_OK;
}

/* ",dept,dept," of the departments with an active step, for listing. */
static void handlers(const ot_case *c, char *out, size_t cap)
{
	const ot_rules *r = c->v->rules;
	const m_item *it = &r->items[c->item];
	size_t n = (size_t)snprintf(out, cap, ",");
	for (uint32_t i = 0; i < it->steps.count && n < cap; i++)
		if (c->steps[i].state == STEP_ACTIVE)
			n += (size_t)snprintf(out + n, cap - n, "%s,",
					      r->departments[r->steps[it->steps.first + i].dept].name);
}

ot_status store_save(ot_engine *e, const ot_case *c, json_t *event, json_t *state,
		     int is_new, ot_error *err)
{
	const ot_rules *r = c->v->rules;
	const m_item *it = &r->items[c->item];
	char *state_text = json_dumps(state, JSON_COMPACT);
	char *payload = json_dumps(event, JSON_COMPACT);
	char hand[1024], due[11] = "", now[32];
	handlers(c, hand, sizeof hand);
	if (c->due >= 0)
		day_format(c->due, due);
	const char *at = json_string_value(json_object_get(event, "at"));
	snprintf(now, sizeof now, "%s", at ? at : "");
	ot_status s = OT_OK;
	if (!state_text || !payload) {
		s = err_set(err, OT_ENOMEM, "out of memory while saving case %s", c->id);
		goto done;
	}
	int same = !is_new && c->stored_status == (int)c->status;
	sqlite3_stmt *st = e->stmt[is_new ? S_CASE_INSERT : same ? S_CASE_TOUCH : S_CASE_UPDATE];
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, it->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, case_status_names[c->status], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, json_string_value(json_object_get(c->applicant, "id")), -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 6, it->dept >= 0 ? r->departments[it->dept].name : "", -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 7, hand, -1, SQLITE_STATIC);
	if (due[0])
		sqlite3_bind_text(st, 8, due, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, state_text, -1, SQLITE_STATIC);
	if (!run(st)) {
		s = db_fail(e, err, "saving the case");
		goto done;
	}
	st = e->stmt[S_EVENT_INSERT];
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, c->events);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, json_string_value(json_object_get(event, "op")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, json_string_value(json_object_get(event, "actor")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, payload, -1, SQLITE_STATIC);
	if (!run(st))
		s = db_fail(e, err, "recording the event");
done:
	free(state_text);
	free(payload);
	return s;
}

json_t *store_events(ot_engine *e, const char *id)
{
	sqlite3_stmt *st = e->stmt[S_EVENTS];
	json_t *events = json_array();
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *ev = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
		if (ev)
			json_array_append_new(events, ev);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return events;
}

ot_status case_rebuild(ot_engine *e, const char *id, ot_case **out, ot_error *err)
{
	*out = NULL;
	sqlite3_stmt *st = e->stmt[S_CASE_GET];
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	char item[256] = "", hash[65] = "", status[32] = "";
	int found = sqlite3_step(st) == SQLITE_ROW;
	if (found) {
		snprintf(item, sizeof item, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(hash, sizeof hash, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(status, sizeof status, "%s", (const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (!found)
		return err_set(err, OT_ENOTFOUND, "there is no case '%s'", id);
	const version *v = engine_version(e, hash, err);
	if (!v)
		return err->status;
	int index = strmap_get(&v->rules->by_item, item, strlen(item));
	if (index < 0)
		return err_set(err, OT_ESTORE, "case %s: its rule version has no item '%s'", id, item);
	ot_case *c = case_new(v, index, id);
	if (!c)
		return err_set(err, OT_ENOMEM, "out of memory loading case %s", id);
	json_t *events = store_events(e, id);
	size_t i;
	json_t *ev;
	ot_status s = OT_OK;
	json_array_foreach(events, i, ev) {
		if ((s = case_apply(c, ev, e->zone, err)) != OT_OK)
			break;
	}
	json_decref(events);
	if (s != OT_OK) {
		case_free(c);
		return s;
	}
	c->stored_status = -1;
	for (int k = 0; k < CS__COUNT; k++)
		if (strcmp(case_status_names[k], status) == 0)
			c->stored_status = k;
	*out = c;
	return OT_OK;
}

ot_status store_load(ot_engine *e, const char *id, ot_case **out, ot_error *err)
{
	return case_rebuild(e, id, out, err);
}

ot_status store_library_add(ot_engine *e, const char *applicant,
			    const char *material, const char *case_id,
			    ot_time from, ot_time until, ot_error *err)
{
	sqlite3_stmt *st = e->stmt[S_LIB_ADD];
	sqlite3_bind_text(st, 1, applicant, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, material, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, case_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, from);
	sqlite3_bind_int64(st, 5, until);
	return run(st) ? OT_OK : db_fail(e, err, "adding to the material library");
}

const char *store_library_find(void *ud, const char *applicant,
			       const char *material, ot_time now)
{
	ot_engine *e = ud;
	char *found = e->lib_found;
	sqlite3_stmt *st = e->stmt[S_LIB_FIND];
	const char *out = NULL;
	sqlite3_bind_text(st, 1, applicant, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, material, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(found, sizeof e->lib_found, "%s", (const char *)sqlite3_column_text(st, 0));
		out = found;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return out;
}

/* A holder as the library keys it: 11010519491231002x and ...002X are the
 * same person. */
static const char *holder_key(const char *holder, char out[64])
{
	size_t i = 0;
	for (; holder[i] && i < 63; i++)
		out[i] = holder[i] >= 'a' && holder[i] <= 'z' ? (char)(holder[i] - 32) : holder[i];
	out[i] = 0;
	return out;
}

ot_status store_licence_put(ot_engine *e, const licence *l, ot_error *err)
{
	sqlite3_stmt *st = e->stmt[S_LIC_PUT];
	char key[64];
	sqlite3_bind_text(st, 1, holder_key(l->holder, key), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, l->material, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, l->number, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, l->issuer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, l->from);
	if (l->until >= 0)
		sqlite3_bind_int64(st, 6, l->until);
	sqlite3_bind_text(st, 7, l->case_id, -1, SQLITE_STATIC);
	return run(st) ? OT_OK : db_fail(e, err, "adding to the licence library");
}

int store_licence_find(ot_engine *e, const char *holder, const char *material,
		       ot_time now, char number[64], ot_time *until)
{
	sqlite3_stmt *st = e->stmt[S_LIC_FIND];
	char key[64];
	sqlite3_bind_text(st, 1, holder_key(holder, key), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, material, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	int rc = sqlite3_step(st), found = -1;
	if (rc == SQLITE_ROW) {
		snprintf(number, 64, "%s", (const char *)sqlite3_column_text(st, 0));
		*until = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 1);
		found = sqlite3_column_int(st, 2) ? 1 : 2;
	} else if (rc == SQLITE_DONE)
		found = 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return found;
}

json_t *store_licences_of(ot_engine *e, const char *holder)
{
	sqlite3_stmt *st;
	json_t *out = json_array();
	const char *q = "SELECT material, number, issuer, valid_from, valid_until, case_id"
			" FROM licences WHERE holder = ?1 ORDER BY valid_from, material";
	if (sqlite3_prepare_v2(e->db, q, -1, &st, NULL) != SQLITE_OK)
		return out;
	char key[64];
	sqlite3_bind_text(st, 1, holder_key(holder, key), -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		licence l = {key, (const char *)sqlite3_column_text(st, 0),
			     (const char *)sqlite3_column_text(st, 1),
			     (const char *)sqlite3_column_text(st, 2),
			     (const char *)sqlite3_column_text(st, 5), sqlite3_column_int64(st, 3),
			     sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 4)};
		json_array_append_new(out, licence_json(&l, e->zone));
	}
	sqlite3_finalize(st);
	return out;
}

json_t *store_list(ot_engine *e, const char *status, const char *item,
		   const char *department, const char *applicant)
{
	sqlite3_stmt *st;
	json_t *out = json_array();
	const char *q =
		"SELECT state FROM cases WHERE (?1 IS NULL OR status = ?1)"
		" AND (?2 IS NULL OR item = ?2)"
		" AND (?3 IS NULL OR department = ?3 OR handlers LIKE '%,' || ?3 || ',%')"
		" AND (?4 IS NULL OR applicant = ?4) ORDER BY id";
	if (sqlite3_prepare_v2(e->db, q, -1, &st, NULL) != SQLITE_OK)
		return out;
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, item, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, department, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, applicant, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *c = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
		if (c)
			json_array_append_new(out, c);
	}
	sqlite3_finalize(st);
	return out;
}
