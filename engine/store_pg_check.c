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
 *   3. what the events put beside them (store_checker.c says what): each
 *      event's columns, the licences and material library entries of each
 *      case, read at their keys in one round trip with the case; the rows
 *      of both libraries scanned a page at a time for one at no key its
 *      case expects;
 *   4. the case counters: one behind an existing number would hand it out
 *      again, and a number no case has (1..counter) is a case removed.
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

/* ---- 3. what the events put beside them ---- */

/* An array literal of n texts, {"a","b"}, for a text[] parameter
 * (malloc'd; NULL: out of memory). */
static char *text_array(const char *const *v, size_t n)
{
	size_t cap = 3;
	for (size_t i = 0; i < n; i++)
		cap += 2 * strlen(v[i]) + 3;
	char *out = malloc(cap), *p = out;
	if (!out)
		return NULL;
	*p++ = '{';
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		*p++ = '"';
		for (const char *c = v[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				*p++ = '\\';
			*p++ = *c;
		}
		*p++ = '"';
	}
	*p++ = '}';
	*p = 0;
	return out;
}

static ot_time time_col(const PGresult *res, int row, int c)
{
	return col(res, row, c) ? atoll(PQgetvalue(res, row, c)) : -1;
}

/* The cases of a page, replayed, with what their events put beside them. */
typedef struct page_case {
	const char *id;
	ot_case *c;
	store_expect *x;
	ot_error err;   /* why c is NULL ... */
	int replayed;   /* ... its replay's failure, or its version's */
} page_case;

static int by_id(const void *key, const void *p)
{
	return strcmp(key, ((const page_case *)p)->id);
}

/* The keys of the rows beside a page's cases, as text[] parameters: the
 * licences' expecting case, holder (as keyed, and as typed before schema
 * 7, which left licences as they were), material and number, the
 * entries' case, applicant and material. */
enum { K_LCASE, K_LHOLDER, K_LMATERIAL, K_LNUMBER, K_ECASE, K_EAPPLICANT, K_EMATERIAL, K__COUNT };

static int page_keys(const page_case *p, int n, char *out[K__COUNT])
{
	size_t cap = 1;
	for (int i = 0; i < n; i++)
		cap += p[i].x ? 2 * (size_t)p[i].x->nlic + p[i].x->nentry : 0;
	const char **t = malloc(K__COUNT * cap * sizeof *t);
	size_t nl = 0, ne = 0;
	for (int i = 0; t && i < n; i++) {
		const store_expect *x = p[i].x;
		const ot_rules *r = x ? x->c->v->rules : NULL;
		for (uint32_t j = 0; x && j < x->nlic; j++)
			for (int h = 0; h < 2; h++)
				if ((h ? x->typed : x->holder) != NULL) {
					t[K_LCASE * cap + nl] = p[i].id;
					t[K_LHOLDER * cap + nl] = h ? x->typed : x->holder;
					t[K_LMATERIAL * cap + nl] = r->materials[x->lic[j].material].name;
					t[K_LNUMBER * cap + nl++] = x->lic[j].number;
				}
		for (uint32_t j = 0; x && j < x->nentry; j++) {
			t[K_ECASE * cap + ne] = p[i].id;
			t[K_EAPPLICANT * cap + ne] = x->holder;
			t[K_EMATERIAL * cap + ne++] = r->materials[x->entry[j].material].name;
		}
	}
	int ok = t != NULL;
	for (int k = 0; k < K__COUNT; k++)
		ok &= (out[k] = t ? text_array(t + k * cap, k < K_ECASE ? nl : ne) : NULL) != NULL;
	free(t);
	return ok;
}

/* Hands one row beside the page's events to its case: e an event's
 * columns, b an entry, l a licence -- as keyed in pass 0, as typed in
 * pass 1 when there was none as keyed. */
static void hand_over(checker *k, const PGresult *res, int i, page_case *p, int pass)
{
	store_expect *x = p->x;
	const ot_rules *r = x->c->v->rules;
	const char *tag = PQgetvalue(res, i, 0), *m = PQgetvalue(res, i, 2);
	if (pass == 0 && *tag == 'e')
		store_check_event(k, x, atoll(m), col(res, i, 3), col(res, i, 4), col(res, i, 5));
	for (uint32_t j = 0; pass == 0 && *tag == 'b' && j < x->nentry; j++)
		if (strcmp(r->materials[x->entry[j].material].name, m) == 0)
			store_check_entry(k, x, j, time_col(res, i, 6), time_col(res, i, 7));
	const char *holder = PQgetvalue(res, i, 4);
	int keyed = strcmp(holder, x->holder) == 0;
	for (uint32_t j = 0; *tag == 'l' && keyed == !pass && j < x->nlic; j++)
		if (!x->lic[j].seen && strcmp(x->lic[j].number, PQgetvalue(res, i, 3)) == 0 &&
		    strcmp(r->materials[x->lic[j].material].name, m) == 0) {
			licence row = {holder, NULL, NULL, col(res, i, 8), col(res, i, 5),
				       time_col(res, i, 6), time_col(res, i, 7), time_col(res, i, 9)};
			store_check_licence(k, x, j, &row);
		}
}

/* The rows beside the events of a page's cases, p[0..n) in the order of
 * their ids, each by its key, in one round trip (store_checker.h): the
 * events' columns of the page's range of ids, the licences and entries at
 * the keys the cases expect. */
static void beside(checker *k, page_case *p, int n)
{
	char *a[K__COUNT];
	if (!page_keys(p, n, a)) {
		store_problem(k, NULL, "out of memory reading the rows beside the events of cases %s "
			      "to %s", p[0].id, p[n - 1].id);
		for (int i = 0; i < K__COUNT; i++)
			free(a[i]);
		return;
	}
	const char *v[] = {p[0].id, p[n - 1].id, a[0], a[1], a[2], a[3], a[4], a[5], a[6]};
	char what[160];
	snprintf(what, sizeof what, "the rows beside the events of cases %s to %s", p[0].id,
		 p[n - 1].id);
	PGresult *res = rows(k,
		"SELECT 'e', case_id, seq::text, at, op, actor, NULL, NULL, NULL, NULL FROM events"
		" WHERE case_id BETWEEN $1 AND $2"
		" UNION ALL SELECT 'l', w.c, l.material, l.number, l.holder, l.case_id,"
		" l.valid_from::text, l.valid_until::text, l.issuer, l.term_until::text FROM licences l"
		" JOIN unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS w(c, h, m, n)"
		" ON l.holder = w.h AND l.material = w.m AND l.number = w.n"
		" UNION ALL SELECT 'b', l.case_id, l.material, NULL, NULL, NULL, l.valid_from::text,"
		" l.valid_until::text, NULL, NULL FROM library l"
		" JOIN unnest($7::text[], $8::text[], $9::text[]) AS w(c, a, m)"
		" ON l.case_id = w.c AND l.applicant = w.a AND l.material = w.m", 9, v, what);
	for (int i = 0; i < K__COUNT; i++)
		free(a[i]);
	for (int pass = 0; res && pass < 2; pass++)
		for (int i = 0; i < PQntuples(res); i++) {
			/* an id between the page's that is not one of them: events
			 * of no case, which check_event_cases names */
			page_case *c = bsearch(PQgetvalue(res, i, 1), p, (size_t)n, sizeof *p, by_id);
			if (c && c->x)
				hand_over(k, res, i, c, pass);
		}
	PQclear(res);
}

/* A page of cases at a time, so memory is a page's however large the
 * store: replayed, then the rows beside their events read at once, then
 * each compared. */
static void check_cases(checker *k)
{
	char after[64] = "";
	page_case *p = calloc(500, sizeof *p);
	if (!p) {
		store_problem(k, NULL, "out of memory checking the cases");
		return;
	}
	for (;;) {
		const char *v[] = {after};
		PGresult *res = rows(k, "SELECT id, rules, status, applicant, department, handlers,"
				     " due, updated, state, next_due, warn_at FROM cases WHERE id > $1"
				     " ORDER BY id LIMIT 500", 1, v, "the cases");
		int n = res ? PQntuples(res) : 0;
		for (int i = 0; i < n; i++) {
			const char *hash = col(res, i, C_RULES);
			p[i] = (page_case){PQgetvalue(res, i, C_ID), NULL, NULL, {OT_OK, ""}, 0};
			if (!hash)
				err_set(&p[i].err, OT_ESTORE, "its rule version is unreadable");
			else if (engine_version(k->e, hash, &p[i].err)) {
				p[i].replayed = 1;
				store_check_replay(k, p[i].id, &p[i].c, &p[i].x, &p[i].err);
			}
		}
		if (n)
			beside(k, p, n);
		for (int i = 0; i < n; i++) {
			k->cases++;
			if (!p[i].c) {
				store_problem(k, p[i].id, "%s%s", p[i].replayed ? "cannot be replayed: " : "",
					      p[i].err.message);
				continue;
			}
			k->events += p[i].c->events;
			compare_snapshot(k, p[i].c, col(res, i, C_STATE));
			compare_columns(k, p[i].c, res, i);
			store_check_beside(k, p[i].x);
			case_free(p[i].c);
		}
		if (n)
			snprintf(after, sizeof after, "%s", PQgetvalue(res, n - 1, C_ID));
		PQclear(res);
		if (n < 500)
			break;
	}
	free(p);
}

/* Every licence that names a case, with that case's row, a page at a time
 * in the order of the licences' key. */
static void check_licences(checker *k)
{
	char after[3][256] = {"", "", ""};
	for (;;) {
		const char *v[] = {after[0], after[1], after[2]};
		PGresult *res = rows(k, "SELECT l.holder, l.material, l.number, l.case_id,"
				     " c.id IS NOT NULL, c.item, c.rules, c.applicant FROM licences l"
				     " LEFT JOIN cases c ON c.id = l.case_id WHERE l.case_id IS NOT NULL"
				     " AND (l.holder, l.material, l.number) > ($1, $2, $3)"
				     " ORDER BY l.holder, l.material, l.number LIMIT 1000", 3, v,
				     "the licence library");
		int n = res ? PQntuples(res) : 0;
		for (int i = 0; i < n; i++)
			store_check_licence_row(k, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
						PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
						*PQgetvalue(res, i, 4) == 't', col(res, i, 5),
						col(res, i, 6), col(res, i, 7));
		for (int c = 0; n && c < 3; c++)
			snprintf(after[c], sizeof after[c], "%s", PQgetvalue(res, n - 1, c));
		PQclear(res);
		if (n < 1000)
			break;
	}
}

/* Every entry of the material library, with its case's row (the foreign
 * key says it has one), a page at a time. */
static void check_library(checker *k)
{
	char after[3][256] = {"", "", ""};
	for (;;) {
		const char *v[] = {after[0], after[1], after[2]};
		PGresult *res = rows(k, "SELECT l.applicant, l.material, l.case_id, c.item, c.rules,"
				     " c.applicant FROM library l JOIN cases c ON c.id = l.case_id"
				     " WHERE (l.applicant, l.material, l.case_id) > ($1, $2, $3)"
				     " ORDER BY l.applicant, l.material, l.case_id LIMIT 1000", 3, v,
				     "the material library");
		int n = res ? PQntuples(res) : 0;
		for (int i = 0; i < n; i++)
			store_check_entry_row(k, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
					      PQgetvalue(res, i, 2), col(res, i, 3), col(res, i, 4),
					      col(res, i, 5));
		for (int c = 0; n && c < 3; c++)
			snprintf(after[c], sizeof after[c], "%s", PQgetvalue(res, n - 1, c));
		PQclear(res);
		if (n < 1000)
			break;
	}
}

/* ---- 4. counters ---- */

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

/* The runs of a day's numbers 1..counter that no case has (no row, no
 * event): a number above the counter is check_counters'. */
static void check_numbers(checker *k)
{
	PGresult *res = rows(k,
		"WITH n AS (SELECT x.day, x.num FROM (SELECT substr(id, 1, 8) AS day,"
		" CASE WHEN id ~ '^[0-9]{8}-[0-9]{1,9}$' THEN substr(id, 10)::integer END AS num"
		" FROM (SELECT id FROM cases UNION SELECT case_id FROM events) i) x"
		" JOIN counters k ON k.day = x.day WHERE x.num BETWEEN 1 AND k.n),"
		STORE_NUMBER_GAPS " LIMIT 1000",
		0, NULL, "the case numbers");
	for (int i = 0; res && i < PQntuples(res); i++)
		store_check_missing(k, PQgetvalue(res, i, 0), atoll(PQgetvalue(res, i, 1)),
				    atoll(PQgetvalue(res, i, 2)), atoll(PQgetvalue(res, i, 3)));
	PQclear(res);
}

ot_status pg_check(ot_engine *e, json_t **out, ot_error *err)
{
	checker k;
	*out = NULL;
	if (!store_check_init(&k, e))
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
		check_licences(&k);
		check_library(&k);
		check_cases(&k);
		store_check_end(&k);
		check_event_versions(&k);
		check_event_cases(&k);
		check_counters(&k);
		check_numbers(&k);
		if (own)
			PQclear(pg_query(e, "COMMIT", 0, NULL));
	}
	PQclear(res);
	PG(e)->lock_case = lock_case;
	e->checking = checking;
	e->zone = zone;
	*out = store_check_report(&k);
	store_check_free(&k);
	return *out ? OT_OK : err_set(err, OT_ENOMEM, "out of memory writing the report");
}
