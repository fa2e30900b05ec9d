/*
 * store_pg_check.c -- `onetrip store check` on a PostgreSQL store.
 *
 * PostgreSQL keeps its own pages sound, and the references of cases and
 * the libraries (foreign keys checked at every write); an event's to its
 * case is the write's own (schema_v6 in store_pg.c), and read here.  The
 * check is otherwise about what only onetrip can know, as for SQLite
 * (store_check.c):
 *   1. every rule version compiled back from its stored sources;
 *   2. every case replayed from its events and compared with its snapshot
 *      and the columns list and overdue read; every event a case's, and
 *      recorded under the case's rule version;
 *   3. the case counters, and the cases that issued licences.
 * It runs in one REPEATABLE READ transaction: one moment of the store,
 * while other engines go on writing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_checker.h"
#include "store_pg.h"

typedef store_checker checker;

/* A query's rows, or NULL (then it is a problem). */
static PGresult *rows(checker *k, const char *sql, int n, const char *const *v, const char *what)
{
	PGresult *res = pg_query(k->e, sql, n, v);
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	ot_error err;
	pg_fail(k->e, &err, res, "reading %s", what);
	store_problem(k, NULL, "%s could not be checked: %s", what, err.message);
	PQclear(res);
	return NULL;
}

static const char *col(const PGresult *res, int row, int c)
{
	return PQgetisnull(res, row, c) ? NULL : PQgetvalue(res, row, c);
}

static int same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* ---- 1. rule versions ---- */

static void check_versions(checker *k)
{
	PGresult *res = rows(k, "SELECT hash, sources FROM rule_versions ORDER BY hash", 0, NULL,
			     "the rule versions");
	for (int i = 0; res && i < PQntuples(res); i++) {
		k->versions++;
		store_check_version(k, PQgetvalue(res, i, 0), col(res, i, 1));
	}
	PQclear(res);
}

/* ---- 2. cases ---- */

enum { C_ID, C_RULES, C_STATUS, C_APPLICANT, C_DEPARTMENT, C_HANDLERS, C_DUE, C_UPDATED,
       C_STATE, C_NEXT_DUE, C_WARN_AT };

static void compare_snapshot(checker *k, const ot_case *c, const char *text)
{
	json_t *replayed = case_json(c, k->e->zone);
	json_t *state = text ? json_loads(text, 0, NULL) : NULL;
	if (!replayed)
		store_problem(k, c->id, "out of memory comparing the snapshot");
	else if (!json_is_object(state))
		store_problem(k, c->id, "the snapshot (cases.state) is not JSON");
	else if (!json_equal(replayed, state))
		store_problem(k, c->id, "the snapshot (cases.state) differs from its %d events", c->events);
	json_decref(replayed);
	json_decref(state);
}

static void compare_columns(checker *k, const ot_case *c, const PGresult *res, int row)
{
	char hand[1024], due[11] = "", next[11];
	ot_time updated;
	case_handlers(c, hand, sizeof hand);
	if (c->due >= 0)
		day_format(c->due, due);
	int has_next = case_next_due(c, next);
	if (!same_text(col(res, row, C_STATUS), case_status_names[c->status]))
		store_problem(k, c->id, "its status column differs from its events (%s)",
			case_status_names[c->status]);
	char key[64];
	if (!same_text(col(res, row, C_APPLICANT), case_row_applicant(c, key)))
		store_problem(k, c->id, "its applicant column differs from its events");
	if (!same_text(col(res, row, C_DEPARTMENT), case_row_department(c)))
		store_problem(k, c->id, "its department column differs from its rule version");
	if (!same_text(col(res, row, C_HANDLERS), hand))
		store_problem(k, c->id, "its handlers column differs from its active steps (%s)", hand);
	if (!same_text(col(res, row, C_DUE), due[0] ? due : NULL))
		store_problem(k, c->id, "its due column differs from its events (%s)", due[0] ? due : "none");
	if (!same_text(col(res, row, C_NEXT_DUE), has_next ? next : NULL))
		store_problem(k, c->id, "its next_due column (which overdue reads) differs from its events");
	store_check_warn_at(k, c, col(res, row, C_WARN_AT));
	const char *at = col(res, row, C_UPDATED);
	if (!at || !time_parse(at, k->e->zone, &updated) || updated != c->last_at)
		store_problem(k, c->id, "its updated column is not the time of its last event");
}

static void check_case(checker *k, const PGresult *res, int row)
{
	ot_engine *e = k->e;
	const char *id = PQgetvalue(res, row, C_ID), *hash = col(res, row, C_RULES);
	ot_error err = {OT_OK, ""};
	k->cases++;
	const version *v = hash ? engine_version(e, hash, &err) : NULL;
	if (!v) {
		store_problem(k, id, "%s", hash ? err.message : "its rule version is unreadable");
		return;
	}
	if (!e->current) /* the store alone: times as its rule version keeps them */
		e->zone = v->zone;
	ot_case *c = NULL;
	if (case_rebuild(e, id, &c, &err) != OT_OK) {
		store_problem(k, id, "cannot be replayed: %s", err.message);
		return;
	}
	k->events += c->events;
	compare_snapshot(k, c, col(res, row, C_STATE));
	compare_columns(k, c, res, row);
	case_free(c);
}

/* A page of cases at a time, so memory is a page's however large the store. */
static void check_cases(checker *k)
{
	char after[64] = "";
	for (;;) {
		const char *v[] = {after};
		PGresult *res = rows(k, "SELECT id, rules, status, applicant, department, handlers,"
				     " due, updated, state, next_due, warn_at FROM cases WHERE id > $1"
				     " ORDER BY id LIMIT 500", 1, v, "the cases");
		int n = res ? PQntuples(res) : 0;
		for (int i = 0; i < n; i++)
			check_case(k, res, i);
		if (n)
			snprintf(after, sizeof after, "%s", PQgetvalue(res, n - 1, C_ID));
		PQclear(res);
		if (n < 500)
			break;
	}
}

static void check_event_versions(checker *k)
{
	PGresult *res = rows(k, "SELECT e.case_id, e.seq FROM events e JOIN cases c ON c.id = e.case_id"
			     " WHERE e.rules IS DISTINCT FROM c.rules ORDER BY 1, 2 LIMIT 1000", 0,
			     NULL, "the events' rule versions");
	for (int i = 0; res && i < PQntuples(res); i++)
		store_problem(k, PQgetvalue(res, i, 0), "event %s was recorded under another rule version "
			"than the case's", PQgetvalue(res, i, 1));
	PQclear(res);
}

/* Events of no case: the write cannot make one, a hand in the tables can. */
static void check_event_cases(checker *k)
{
	PGresult *res = rows(k, "SELECT DISTINCT e.case_id FROM events e WHERE NOT EXISTS (SELECT 1"
			     " FROM cases c WHERE c.id = e.case_id) ORDER BY 1 LIMIT 1000",
			     0, NULL, "the events' cases");
	for (int i = 0; res && i < PQntuples(res); i++)
		store_problem(k, PQgetvalue(res, i, 0), "it has events but no row in the cases table");
	PQclear(res);
}

/* ---- 3. counters and licences ---- */

static void check_counters(checker *k)
{
	PGresult *res = rows(k,
		"SELECT d.day, d.top, k.n FROM (SELECT substr(id, 1, 8) AS day,"
		" max(substr(id, 10)::integer) AS top FROM cases GROUP BY 1) d"
		" LEFT JOIN counters k ON k.day = d.day WHERE k.n IS NULL OR k.n < d.top",
		0, NULL, "the case counters");
	for (int i = 0; res && i < PQntuples(res); i++)
		store_problem(k, NULL, "the case counter of %s is %s, but case %s-%04d exists: the next "
			"submission that day would take a number in use", PQgetvalue(res, i, 0),
			col(res, i, 2) ? PQgetvalue(res, i, 2) : "missing", PQgetvalue(res, i, 0),
			atoi(PQgetvalue(res, i, 1)));
	PQclear(res);
}

static void check_licences(checker *k)
{
	PGresult *res = rows(k, "SELECT case_id FROM licences WHERE case_id IS NOT NULL AND"
			     " case_id NOT IN (SELECT id FROM cases)", 0, NULL, "the licence library");
	for (int i = 0; res && i < PQntuples(res); i++)
		store_problem(k, PQgetvalue(res, i, 0), "it issued a licence in the library but is not in "
			"the store");
	PQclear(res);
}

ot_status pg_check(ot_engine *e, json_t **out, ot_error *err)
{
	checker k = {e, json_array(), 0, 0, 0, 0};
	*out = NULL;
	if (!k.problems)
		return err_set(err, OT_ENOMEM, "out of memory checking the store");
	int checking = e->checking, zone = e->zone;
	e->checking = 1;
	/* inside an operation's read transaction already, or its own */
	int own = PG(e)->conn && !PG(e)->begin && PQtransactionStatus(PG(e)->conn) == PQTRANS_IDLE;
	int lock_case = PG(e)->lock_case;
	if (own) /* a read-only transaction: cases are read without locking them */
		PG(e)->lock_case = 0;
	PGresult *res = own ? pg_query(e, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL)
			    : NULL;
	if (own && (!res || PQresultStatus(res) != PGRES_COMMAND_OK)) {
		ot_error why;
		pg_fail(e, &why, res, "starting the check");
		store_problem(&k, NULL, "the store cannot be read: %s", why.message);
	} else {
		check_versions(&k);
		check_cases(&k);
		check_event_versions(&k);
		check_event_cases(&k);
		check_counters(&k);
		check_licences(&k);
		if (own)
			PQclear(pg_query(e, "COMMIT", 0, NULL));
	}
	PQclear(res);
	PG(e)->lock_case = lock_case;
	e->checking = checking;
	e->zone = zone;
	*out = store_check_report(&k);
	json_decref(k.problems);
	return *out ? OT_OK : err_set(err, OT_ENOMEM, "out of memory writing the report");
}
