/*
 * store_check.c -- `onetrip store check`: is the store sound?
 *
 * A damaged store must never be answered as if it were sound, and the
 * operator needs to know what is damaged.  The check reads everything:
 *   1. SQLite's own integrity and foreign key checks (every page, index
 *      and reference);
 *   2. every rule version compiled back from its stored sources (the hash
 *      must come out the same, as engine_version requires);
 *   3. every case replayed from its events and compared with what the
 *      store keeps for listing: the snapshot (`state`) and the columns
 *      status, applicant, department, handlers, due and updated; every
 *      event recorded under the case's rule version;
 *   4. what the events put beside them (store_checker.c says what): each
 *      event's columns, the licences and material library entries of each
 *      case, read by their keys with the case; the rows of both libraries
 *      scanned for one at no key its case expects;
 *   5. the case counters: one behind an existing number would hand it out
 *      again, and a number no case has (1..counter) is a case removed.
 * It runs in one read transaction, so writers may go on meanwhile and the
 * check sees one moment of the store.  Every problem found is listed,
 * named by case where it concerns one; the check never stops at the first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_checker.h"
#include "store_sqlite.h"

typedef store_checker checker;

static const char *text_of(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_TEXT ? (const char *)sqlite3_column_text(st, i)
							   : NULL;
}

static ot_time int_or_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

/* Prepares a query of the check; a query that cannot even be prepared is a
 * problem (a damaged schema), and NULL. */
static sqlite3_stmt *query(checker *k, const char *sql, const char *what)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(SQ(k->e)->db, sql, -1, &st, NULL) != SQLITE_OK) {
		store_problem(k, NULL, "%s could not be checked: %s", what, sqlite3_errmsg(SQ(k->e)->db));
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* Finalizes a query that was read until rc: anything but SQLITE_DONE means
 * the rows stopped early, which is a problem too. */
static void finish(checker *k, sqlite3_stmt *st, int rc, const char *what)
{
	if (rc != SQLITE_DONE)
		store_problem(k, NULL, "%s stopped early: %s", what, sqlite3_errstr(rc));
	sqlite3_finalize(st);
}

/* ---- 1. SQLite ---- */

/* A line of SQLite's report may hold several; its heading names only the
 * database ("main"), which is always the store. */
static void integrity_lines(checker *k, const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\n");
		if (n && strncmp(text, "*** in database main ***", n) != 0)
			store_problem(k, NULL, "SQLite integrity: %.*s", (int)n, text);
		text += n + (text[n] == '\n');
	}
}

static void check_integrity(checker *k)
{
	sqlite3_stmt *st = query(k, "PRAGMA integrity_check(100)", "the file's integrity");
	int rc = SQLITE_DONE;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *text = text_of(st, 0);
		if (!text)
			store_problem(k, NULL, "SQLite integrity: a line of its report is unreadable");
		else if (strcmp(text, "ok") != 0)
			integrity_lines(k, text);
	}
	if (st)
		finish(k, st, rc, "SQLite's integrity check");
}

static void check_foreign_keys(checker *k)
{
	sqlite3_stmt *st = query(k, "PRAGMA foreign_key_check", "the references between tables");
	int rc = SQLITE_DONE;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *table = text_of(st, 0), *parent = text_of(st, 2);
		store_problem(k, NULL, "row %lld of table %s refers to a row of %s that is not there",
			(long long)sqlite3_column_int64(st, 1), table ? table : "?",
			parent ? parent : "?");
	}
	if (st)
		finish(k, st, rc, "the foreign key check");
}

/* ---- 2. rule versions ---- */

static void check_versions(checker *k)
{
	sqlite3_stmt *st = query(k, "SELECT hash, sources FROM rule_versions ORDER BY hash",
				 "the rule versions");
	int rc = SQLITE_DONE;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *hash = text_of(st, 0);
		k->versions++;
		if (!hash)
			store_problem(k, NULL, "a rule version has no readable hash");
		else
			store_check_version(k, hash, text_of(st, 1));
	}
	if (st)
		finish(k, st, rc, "the rule versions");
}

/* ---- 3. cases ---- */

enum { C_ID, C_ITEM, C_RULES, C_STATUS, C_APPLICANT, C_DEPARTMENT, C_HANDLERS, C_DUE,
       C_UPDATED, C_STATE, C_NEXT_DUE, C_WARN_AT };

static int by_text(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The top-level keys in which the snapshot differs from the replay. */
static void differing_keys(json_t *a, json_t *b, char *out, size_t cap)
{
	size_t n = 0;
	const char *key;
	json_t *v;
	out[0] = 0;
	json_object_foreach(a, key, v)
		if (!json_equal(v, json_object_get(b, key)) && n < cap)
			n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? ", " : "", key);
	json_object_foreach(b, key, v)
		if (!json_object_get(a, key) && n < cap)
			n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? ", " : "", key);
}

static void compare_snapshot(checker *k, const ot_case *c, sqlite3_stmt *row)
{
	const char *id = c->id;
	json_t *replayed = case_json(c, k->e->zone);
	const char *text = text_of(row, C_STATE);
	json_t *state = text ? json_loads(text, 0, NULL) : NULL;
	if (!replayed)
		store_problem(k, id, "out of memory comparing the snapshot");
	else if (!json_is_object(state))
		store_problem(k, id, "the snapshot (cases.state) is not JSON");
	else if (!json_equal(replayed, state)) {
		char keys[256];
		differing_keys(replayed, state, keys, sizeof keys);
		store_problem(k, id, "the snapshot (cases.state) differs from its %d events in: %s",
			c->events, keys);
	}
	json_decref(replayed);
	json_decref(state);
}

static void compare_columns(checker *k, const ot_case *c, sqlite3_stmt *row)
{
	const char *id = c->id;
	char hand[1024], due[11] = "";
	ot_time updated;
	case_handlers(c, hand, sizeof hand);
	if (c->due >= 0)
		day_format(c->due, due);
	if (!same_text(text_of(row, C_STATUS), case_status_names[c->status]))
		store_problem(k, id, "its status column says %s, its events %s",
			text_of(row, C_STATUS) ? text_of(row, C_STATUS) : "nothing",
			case_status_names[c->status]);
	char key[64];
	if (!same_text(text_of(row, C_APPLICANT), case_row_applicant(c, key)))
		store_problem(k, id, "its applicant column differs from its events");
	if (!same_text(text_of(row, C_DEPARTMENT), case_row_department(c)))
		store_problem(k, id, "its department column differs from its rule version");
	if (!same_text(text_of(row, C_HANDLERS), hand))
		store_problem(k, id, "its handlers column differs from its active steps (%s)", hand);
	if (!same_text(text_of(row, C_DUE), due[0] ? due : NULL))
		store_problem(k, id, "its due column says %s, its events %s",
			text_of(row, C_DUE) ? text_of(row, C_DUE) : "nothing", due[0] ? due : "nothing");
	char next[11];
	int has_next = case_next_due(c, next);
	if (!same_text(text_of(row, C_NEXT_DUE), has_next ? next : NULL))
		store_problem(k, id, "its next_due column (which overdue reads) says %s, its events %s",
			text_of(row, C_NEXT_DUE) ? text_of(row, C_NEXT_DUE) : "nothing",
			has_next ? next : "nothing");
	store_check_warn_at(k, c, text_of(row, C_WARN_AT));
	const char *at = text_of(row, C_UPDATED);
	if (!at || !time_parse(at, k->e->zone, &updated) || updated != c->last_at)
		store_problem(k, id, "its updated column is not the time of its last event");
}

/* Steps a statement of the rows beside a case to its next row: 1 a row,
 * 0 none (reset), -1 they could not be read (a problem, reset). */
static int next_row(checker *k, sqlite3_stmt *st, const char *id, const char *what)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		store_problem(k, id, "%s could not be read: %s", what, sqlite3_errstr(rc));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

enum { B_EVENTS, B_LICENCE, B_ENTRY, B__COUNT };

/* The rows beside case x->c's events, each by its key (store_checker.h),
 * with the statements q[B_...]. */
static void beside(checker *k, store_expect *x, sqlite3_stmt *const *q)
{
	sqlite3_stmt *st;
	const ot_rules *r = x->c->v->rules;
	const char *id = x->c->id;
	if ((st = q[B_EVENTS]) != NULL) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		while (next_row(k, st, id, "its events' columns") == 1)
			store_check_event(k, x, sqlite3_column_int64(st, 0), text_of(st, 1),
					  text_of(st, 2), text_of(st, 3));
	}
	/* a licence under its holder as the store keys them, or as typed
	 * (issued before schema 7, which left licences as they were) */
	for (uint32_t i = 0; (st = q[B_LICENCE]) != NULL && i < x->nlic; i++) {
		const char *holder[] = {x->holder, x->typed};
		for (int h = 0; h < 2 && holder[h] && !x->lic[i].seen; h++) {
			sqlite3_bind_text(st, 1, holder[h], -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, r->materials[x->lic[i].material].name, -1,
					  SQLITE_STATIC);
			sqlite3_bind_text(st, 3, x->lic[i].number, -1, SQLITE_STATIC);
			if (next_row(k, st, id, "its licences") != 1)
				continue;
			licence row = {holder[h], NULL, NULL, text_of(st, 3), text_of(st, 0),
				       sqlite3_column_int64(st, 1), int_or_null(st, 2),
				       int_or_null(st, 4)};
			store_check_licence(k, x, i, &row);
			sqlite3_reset(st);
		}
	}
	for (uint32_t i = 0; (st = q[B_ENTRY]) != NULL && i < x->nentry; i++) {
		sqlite3_bind_text(st, 1, x->holder, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->materials[x->entry[i].material].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
		if (next_row(k, st, id, "its material library entries") != 1)
			continue;
		store_check_entry(k, x, i, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
		sqlite3_reset(st);
	}
}

/* Replays case `id` and compares it with its row, the current row of st,
 * and with the rows beside its events (read with q). */
static void check_row(checker *k, const char *id, sqlite3_stmt *row, sqlite3_stmt *const *q)
{
	ot_engine *e = k->e;
	const char *hash = text_of(row, C_RULES);
	ot_error err = {OT_OK, ""};
	if (!(hash ? engine_version(e, hash, &err) : NULL)) {
		store_problem(k, id, "%s", hash ? err.message : "its rule version is unreadable");
		return;
	}
	ot_case *c = NULL;
	store_expect *x = NULL;
	if (store_check_replay(k, id, &c, &x, &err) != OT_OK) {
		store_problem(k, id, "cannot be replayed: %s", err.message);
		return;
	}
	k->events += c->events;
	compare_snapshot(k, c, row);
	compare_columns(k, c, row);
	beside(k, x, q);
	store_check_beside(k, x);
	case_free(c);
}

static void check_case(checker *k, const char *id, sqlite3_stmt *const *q)
{
	sqlite3_stmt *st = query(k, "SELECT id, item, rules, status, applicant, department,"
				 " handlers, due, updated, state, next_due, warn_at FROM cases WHERE id = ?1",
				 "a case");
	if (!st)
		return;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	k->cases++;
	if (rc == SQLITE_ROW)
		check_row(k, id, st, q);
	else if (rc == SQLITE_DONE)
		store_problem(k, id, "it has events but no row in the cases table");
	else
		store_problem(k, id, "its row cannot be read: %s", sqlite3_errstr(rc));
	sqlite3_finalize(st);
}

/* Adds the case ids a query yields to the set `ids` (id -> true); a query
 * that stops early is a problem, named by the last id it gave. */
static void collect_ids(checker *k, json_t *ids, const char *sql, const char *what)
{
	sqlite3_stmt *st = query(k, sql, what);
	int rc = SQLITE_DONE;
	char last[64] = "";
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = text_of(st, 0);
		if (!id)
			store_problem(k, NULL, "%s: an id is unreadable (after %s)", what,
				last[0] ? last : "the first");
		else {
			json_object_set_new(ids, id, json_true());
			snprintf(last, sizeof last, "%s", id);
		}
	}
	if (st && rc != SQLITE_DONE)
		store_problem(k, NULL, "%s could not be read past %s%s: %s", what, last[0] ? "case " : "",
			last[0] ? last : "the start", sqlite3_errstr(rc));
	sqlite3_finalize(st);
}

/* Every case the store knows of -- by the cases table, its index and the
 * events -- is checked on its own, so damage to one part of the file is
 * named by the cases it touches. */
static void check_cases(checker *k)
{
	sqlite3_stmt *q[B__COUNT] = {
		query(k, "SELECT seq, at, op, actor FROM events WHERE case_id = ?1 ORDER BY seq",
		      "the events' columns"),
		query(k, "SELECT case_id, valid_from, valid_until, issuer, term_until FROM licences"
		      " WHERE holder = ?1 AND material = ?2 AND number = ?3", "the licences"),
		query(k, "SELECT valid_from, valid_until FROM library WHERE applicant = ?1"
		      " AND material = ?2 AND case_id = ?3", "the material library's entries"),
	};
	json_t *ids = json_object();
	if (!ids) {
		store_problem(k, NULL, "out of memory listing the cases");
		return;
	}
	collect_ids(k, ids, "SELECT id FROM cases NOT INDEXED", "the cases table");
	collect_ids(k, ids, "SELECT id FROM cases INDEXED BY sqlite_autoindex_cases_1 ORDER BY id",
		    "the index of case ids");
	collect_ids(k, ids, "SELECT DISTINCT case_id FROM events", "the events table");
	/* in order of their ids, as list has them */
	size_t n = json_object_size(ids), i = 0;
	const char **sorted = malloc((n + 1) * sizeof *sorted);
	const char *id;
	json_t *v;
	json_object_foreach(ids, id, v)
		if (sorted)
			sorted[i++] = id;
	if (!sorted)
		store_problem(k, NULL, "out of memory listing the cases");
	else
		qsort(sorted, n, sizeof *sorted, by_text);
	for (i = 0; sorted && i < n; i++)
		check_case(k, sorted[i], q);
	free(sorted);
	json_decref(ids);
	for (i = 0; i < B__COUNT; i++)
		sqlite3_finalize(q[i]);
}

static void check_event_versions(checker *k)
{
	sqlite3_stmt *st = query(k, "SELECT e.case_id, e.seq FROM events e JOIN cases c"
				 " ON c.id = e.case_id WHERE e.rules IS NOT c.rules",
				 "the events' rule versions");
	int rc = SQLITE_DONE;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW)
		store_problem(k, text_of(st, 0), "event %lld was recorded under another rule version than "
			"the case's", (long long)sqlite3_column_int64(st, 1));
	if (st)
		finish(k, st, rc, "the events table");
}

/* ---- 4. counters and licences ---- */

static void check_counters(checker *k)
{
	sqlite3_stmt *st = query(k,
		"SELECT d.day, d.top, k.n FROM (SELECT substr(id, 1, 8) AS day,"
		" max(CAST(substr(id, 10) AS INTEGER)) AS top FROM cases GROUP BY 1) d"
		" LEFT JOIN counters k ON k.day = d.day WHERE k.n IS NULL OR k.n < d.top",
		"the case counters");
	int rc = SQLITE_DONE;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *day = text_of(st, 0);
		store_problem(k, NULL, "the case counter of %s is %lld, but case %s-%04lld exists: the next "
			"submission that day would take a number in use", day ? day : "?",
			(long long)sqlite3_column_int64(st, 2), day ? day : "?",
			(long long)sqlite3_column_int64(st, 1));
	}
	if (st)
		finish(k, st, rc, "the case counters");
}

/* Every licence that names a case, with that case's row. */
static void check_licences(checker *k)
{
	sqlite3_stmt *st = query(k, "SELECT l.holder, l.material, l.number, l.case_id,"
				 " c.id IS NOT NULL, c.item, c.rules, c.applicant FROM licences l"
				 " LEFT JOIN cases c ON c.id = l.case_id WHERE l.case_id IS NOT NULL",
				 "the licence library");
	int rc = SQLITE_DONE;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *holder = text_of(st, 0), *material = text_of(st, 1);
		const char *number = text_of(st, 2), *id = text_of(st, 3);
		if (!holder || !material || !number || !id)
			store_problem(k, id, "a licence of the library that names a case is unreadable");
		else
			store_check_licence_row(k, holder, material, number, id,
						sqlite3_column_int(st, 4), text_of(st, 5),
						text_of(st, 6), text_of(st, 7));
	}
	if (st)
		finish(k, st, rc, "the licence library");
}

/* Every entry of the material library, with its case's row (an entry of
 * no case is the foreign key check's). */
static void check_library(checker *k)
{
	sqlite3_stmt *st = query(k, "SELECT l.applicant, l.material, l.case_id, c.item, c.rules,"
				 " c.applicant FROM library l JOIN cases c ON c.id = l.case_id",
				 "the material library");
	int rc = SQLITE_DONE;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *applicant = text_of(st, 0), *material = text_of(st, 1);
		const char *id = text_of(st, 2);
		if (!applicant || !material || !id)
			store_problem(k, id, "an entry of the material library is unreadable");
		else
			store_check_entry_row(k, applicant, material, id, text_of(st, 3),
					      text_of(st, 4), text_of(st, 5));
	}
	if (st)
		finish(k, st, rc, "the material library");
}

/* The runs of a day's numbers 1..counter that no case has (no row, no
 * event): a number above the counter is check_counters'. */
static void check_numbers(checker *k)
{
	sqlite3_stmt *st = query(k,
		"WITH n AS (SELECT x.day, x.num FROM (SELECT substr(id, 1, 8) AS day,"
		" CAST(substr(id, 10) AS INTEGER) AS num"
		" FROM (SELECT id FROM cases UNION SELECT case_id FROM events)"
		" WHERE id GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-[0-9]*') x"
		" JOIN counters k ON k.day = x.day WHERE x.num BETWEEN 1 AND k.n),"
		STORE_NUMBER_GAPS,
		"the case numbers");
	int rc = SQLITE_DONE;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *day = text_of(st, 0);
		store_check_missing(k, day ? day : "?", sqlite3_column_int64(st, 1),
				    sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3));
	}
	if (st)
		finish(k, st, rc, "the case numbers");
}

ot_status sq_check(ot_engine *e, json_t **out, ot_error *err)
{
	checker k;
	*out = NULL;
	if (!store_check_init(&k, e))
		return err_set(err, OT_ENOMEM, "out of memory checking the store");
	int checking = e->checking, zone = e->zone;
	e->checking = 1;
	/* one read transaction: one moment of the store, writers go on */
	/* inside an operation's read transaction already, or its own */
	int own = sqlite3_get_autocommit(SQ(e)->db);
	int rc = own ? sqlite3_exec(SQ(e)->db, "BEGIN", NULL, NULL, NULL) : SQLITE_OK;
	if (rc != SQLITE_OK)
		store_problem(&k, NULL, "the store cannot be read: %s", sqlite3_errmsg(SQ(e)->db));
	else {
		check_integrity(&k);
		check_foreign_keys(&k);
		check_versions(&k);
		check_licences(&k);
		check_library(&k);
		check_cases(&k);
		store_check_end(&k);
		check_event_versions(&k);
		check_counters(&k);
		check_numbers(&k);
		if (own)
			sqlite3_exec(SQ(e)->db, "COMMIT", NULL, NULL, NULL);
	}
	e->checking = checking;
	e->zone = zone;
	*out = store_check_report(&k);
	store_check_free(&k);
	return *out ? OT_OK : err_set(err, OT_ENOMEM, "out of memory writing the report");
}

/* The report of a store that cannot be checked because SQLite cannot read
 * its first page: the damage is the answer. */
json_t *sq_unreadable(ot_engine *e, const char *where, const ot_error *why)
{
	int rc = e->store ? SQ(e)->failed_rc & 0xff : SQLITE_OK;
	if (rc != SQLITE_CORRUPT && rc != SQLITE_NOTADB)
		return NULL;
	char text[700];
	snprintf(text, sizeof text, "SQLite cannot read the file as a database, its first page "
		 "(the header and the list of tables) is damaged: %s", why->message);
	utf8_settle(text);
	return json_pack("{s:s, s:b, s:[{s:s}]}", "store", where, "sound", 0, "problems", "problem",
			 text);
}
