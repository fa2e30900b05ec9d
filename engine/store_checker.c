/*
 * store_checker.c -- what `store check` finds, in one shape for every
 * backend, and what the tables beside the events must hold
 * (store_checker.h).
 *
 * The events are the record; the libraries and the feed's columns are
 * written beside them, in the same transaction, by rules of their own:
 *   - an event's at, op and actor columns (the event feed reads them, not
 *     the payload) repeat the payload;
 *   - case numbers are given out per day by a counter, in the
 *     transaction that saves the case: a rolled back operation takes its
 *     number back, so 1..counter are all cases (chain cases included), and
 *     a number no case has is a case removed.  Every schema version
 *     numbered so: a migrated store has no gap of its own;
 *   - an approval of an item that `issues M for T` puts the licence
 *     (holder: the applicant's id as the store keys it; number CASE-M;
 *     valid from the approval, for T or without end) into the licence
 *     library; a revocation (告知承诺 found untrue) ends it then; an
 *     approval issuing K keeps valid, without end, the licences `… unless
 *     K` its case used (licences.c says each), while it stands: revoked,
 *     it keeps nothing, and what no other approval keeps has its term
 *     again.  So every licence row with a case names one that issues its
 *     material, at that case's key, and each approved case has its
 *     licences as its events date them.  A licence kept without end is
 *     checked against the keeps every case's approval made and no
 *     revocation took back (store_check_end).  Imported licences (no
 *     case) are not checked; one that replaced an approval's licence (the
 *     same holder, material and number) is the import's;
 *   - the materials handed in join the applicant's material library,
 *     until the material's reuse ends (case_library_entry), at the events
 *     api.c writes them after (remembers): every entry is at its case's
 *     applicant, of a material its item takes for reuse, and dated by the
 *     last of those events.
 * A row is found either at the key a case expects it (read with the case,
 * compared there) or by a scan of its table, which names a row at no key
 * its case expects; what a scan named is not named again as missing.
 * Rows are read by their keys: the cost stays a replay's per case.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idcheck.h"
#include "store.h"
#include "store_checker.h"

void store_problem(store_checker *k, const char *case_id, const char *fmt, ...)
{
	if (json_array_size(k->problems) >= STORE_MAX_PROBLEMS) {
		k->more++;
		return;
	}
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	utf8_settle(text);
	ids_mask_in(text); /* a backend's message may quote a row: no ID numbers */
	/* "case ID: ..." from the replay says what the entry says already */
	const char *t = text;
	size_t n = case_id ? strlen(case_id) : 0;
	if (case_id && strncmp(t, "case ", 5) == 0 && strncmp(t + 5, case_id, n) == 0 &&
	    strncmp(t + 5 + n, ": ", 2) == 0)
		t += 7 + n;
	json_t *p = json_pack("{s:s?, s:s}", "case", case_id, "problem", t);
	if (!p || json_array_append_new(k->problems, p))
		k->more++;
}

void store_check_warn_at(store_checker *k, const ot_case *c, const char *column)
{
	char latest[11];
	/* without yellow warnings (-1) the day is the latest any engine writes */
	if (!case_warn_at(c, -1, latest) || (column && (!column[0] || strcmp(column, latest) <= 0)))
		return;
	store_problem(k, c->id, "its warn_at column (which the time sweep reads) says %s, but a "
		      "warning of its events is due by %s: the sweep would miss it",
		      column ? column : "nothing", latest);
}

void store_check_version(store_checker *k, const char *hash, const char *sources)
{
	ot_rules *r = NULL;
	ot_diags *d = NULL;
	ot_status s = sources ? ot_rules_compile_sources(sources, NULL, &r, &d) : OT_EINVAL;
	if (s == OT_ENOMEM)
		store_problem(k, NULL, "rule version %.12s: out of memory compiling it", hash);
	else if (s != OT_OK && d && ot_diags_errors(d))
		store_problem(k, NULL, "rule version %.12s: its stored sources do not compile "
			      "(%zu errors)", hash, ot_diags_errors(d));
	else if (s != OT_OK)
		store_problem(k, NULL, "rule version %.12s: its stored sources are not the sources "
			      "of a rule base", hash);
	else if (strcmp(ot_rules_hash(r), hash) != 0)
		store_problem(k, NULL, "rule version %.12s: its stored sources compile to another "
			      "version, %.12s", hash, ot_rules_hash(r));
	ot_rules_free(r);
	ot_diags_free(d);
}


/* ---- the checker ---- */

int store_check_init(store_checker *k, ot_engine *e)
{
	memset(k, 0, sizeof *k);
	k->e = e;
	k->problems = json_array();
	k->misplaced = json_object();
	k->kept = json_object();
	k->unended = json_array();
	if (k->problems && k->misplaced && k->kept && k->unended)
		return 1;
	store_check_free(k);
	return 0;
}

void store_check_free(store_checker *k)
{
	json_decref(k->problems);
	json_decref(k->misplaced);
	json_decref(k->kept);
	json_decref(k->unended);
	k->problems = k->misplaced = k->kept = k->unended = NULL;
}

static int same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A moment as the report says it: local time in the case's zone. */
static const char *when(const store_checker *k, ot_time t, char out[32])
{
	time_format(t, k->e->zone, out);
	return out;
}

/* How long a row is valid: "until <when>", or "with no end" (until < 0). */
static const char *valid(const store_checker *k, ot_time until, char out[48])
{
	char t[32];
	if (until < 0)
		snprintf(out, 48, "with no end");
	else
		snprintf(out, 48, "until %s", when(k, until, t));
	return out;
}

/* ---- rows a scan found away from their case's key ---- */

static void misplaced_key(const char *case_id, const char *material, const char *table,
			  char out[256])
{
	snprintf(out, 256, "%s\t%s\t%s", case_id, material, table);
}

static void misplace(store_checker *k, const char *case_id, const char *material,
		     const char *table)
{
	char key[256];
	misplaced_key(case_id, material, table, key);
	json_object_set_new(k->misplaced, key, json_true());
}

static int is_misplaced(const store_checker *k, const char *case_id, const char *material,
			const char *table)
{
	char key[256];
	misplaced_key(case_id, material, table, key);
	return json_object_get(k->misplaced, key) != NULL;
}

/* ---- what a case's events put beside them ---- */

static void expect_free(store_expect *x)
{
	if (!x)
		return;
	json_decref(x->events);
	free(x->lic);
	free(x->entry);
	free(x);
}

/* The rows case c's item may have beside its events, none found yet. */
static store_expect *expect_new(ot_case *c, json_t *events)
{
	store_expect *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->c = c;
	x->events = json_incref(events);
	x->approved = x->revoked = -1;
	if (c->chain >= 0) /* a chain case issues nothing, keeps nothing: its items do */
		return x;
	const ot_rules *r = c->v->rules;
	const m_item *it = &r->items[c->item];
	x->lic = calloc(it->n_issued + 1, sizeof *x->lic);
	x->entry = calloc(it->reqs.count + 1, sizeof *x->entry);
	if (!x->lic || !x->entry) {
		expect_free(x);
		return NULL;
	}
	for (uint32_t i = 0; i < it->n_issued; i++) {
		x->lic[i].material = it->issued[i].material;
		licence_number(c->id, r->materials[it->issued[i].material].name, x->lic[i].number);
	}
	x->nlic = it->n_issued;
	for (uint32_t i = 0; i < it->reqs.count; i++) {
		int m = r->reqs[it->reqs.first + i].material, listed = 0;
		for (uint32_t j = 0; j < x->nentry; j++)
			listed |= x->entry[j].material == m;
		if (!listed && r->materials[m].reusable.n >= 0)
			x->entry[x->nentry++] = (store_expect_entry){m, -1, -1, 0};
	}
	return x;
}

/* The events after which api.c puts a case's materials into the library
 * (remember_materials): a submit that leaves the case in progress (a
 * chain's item case is submitted so too), a supplement that leaves it
 * waiting for none, an accept. */
static int remembers(const char *op, case_status now)
{
	return (strcmp(op, "submit") == 0 && now == CS_IN_PROGRESS) ||
	       (strcmp(op, "supplement") == 0 && now != CS_NEEDS_SUPPLEMENT) ||
	       strcmp(op, "accept") == 0;
}

typedef struct keep_note {
	store_checker *k;
	const char *holder, *case_id;
	ot_time at;
} keep_note;

static ot_status note_keep(void *ud, const char *material, const char *number, ot_error *err)
{
	keep_note *n = ud;
	char key[512];
	snprintf(key, sizeof key, "%s\t%s\t%s", n->holder, material, number);
	json_t *keeps = json_object_get(n->k->kept, key);
	if (!keeps && json_object_set_new(n->k->kept, key, keeps = json_array()))
		keeps = NULL;
	if (!keeps || json_array_append_new(keeps, json_pack("[I, s]", (json_int_t)n->at,
							     n->case_id)))
		return err_set(err, OT_ENOMEM, "out of memory noting the licences it keeps");
	return OT_OK;
}

/* The keeps case n->case_id's approval made, forgotten: it was revoked,
 * and a revoked approval keeps nothing (licences.c, release_one). */
static ot_status forget_keep(void *ud, const char *material, const char *number, ot_error *err)
{
	keep_note *n = ud;
	char key[512];
	(void)err;
	snprintf(key, sizeof key, "%s\t%s\t%s", n->holder, material, number);
	json_t *keeps = json_object_get(n->k->kept, key);
	for (size_t i = json_array_size(keeps); i-- > 0;)
		if (strcmp(json_string_value(json_array_get(json_array_get(keeps, i), 1)),
			   n->case_id) == 0)
			json_array_remove(keeps, i);
	return OT_OK;
}

/* What event ev, just applied to x's case, put beside the events: the
 * operation that recorded it wrote that in its transaction. */
static ot_status observe(store_checker *k, store_expect *x, json_t *ev, ot_error *err)
{
	ot_case *c = x->c;
	const char *op = json_string_value(json_object_get(ev, "op"));
	const char *id = json_string_value(json_object_get(c->applicant, "id"));
	ot_time at = c->last_at;
	if (c->chain >= 0 || !op || !id) /* without an id nothing joins a library */
		return OT_OK;
	const m_item *it = &c->v->rules->items[c->item];
	for (uint32_t i = 0; remembers(op, c->status) && i < it->reqs.count; i++) {
		ot_time until;
		int m = case_library_entry(c, i, at, k->e->zone, &until);
		for (uint32_t j = 0; m >= 0 && j < x->nentry; j++)
			if (x->entry[j].material == m) {
				x->entry[j].from = at;
				x->entry[j].until = until;
			}
	}
	if (strcmp(op, "act") == 0 && c->status == CS_APPROVED) {
		char key[64];
		keep_note n = {k, store_holder_key(id, key), c->id, at};
		x->approved = at;
		return licences_kept(c, note_keep, &n, err);
	}
	if (strcmp(op, "pledge_check") == 0 && c->status == CS_REVOKED) {
		char key[64];
		keep_note n = {k, store_holder_key(id, key), c->id, at};
		x->revoked = at;
		return licences_kept(c, forget_keep, &n, err);
	}
	return OT_OK;
}

ot_status store_check_replay(store_checker *k, const char *id, ot_case **out, store_expect **x,
			     ot_error *err)
{
	ot_engine *e = k->e;
	*out = NULL;
	*x = NULL;
	case_head h;
	ot_status s = case_head_read(e, id, 0, &h, err);
	if (s != OT_OK)
		return s;
	if (!e->current) /* the store alone: times as its rule version keeps them */
		e->zone = h.v->zone;
	ot_case *c = case_empty(&h, id);
	if (!c)
		return err_set(err, OT_ENOMEM, "out of memory loading case %s", id);
	json_t *events = NULL;
	s = store_events(e, id, 0, &events, err);
	store_expect *ex = s == OT_OK ? expect_new(c, events) : NULL;
	if (s == OT_OK && !ex)
		s = err_set(err, OT_ENOMEM, "out of memory loading case %s", id);
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		if (s != OT_OK || (s = case_apply(c, ev, e->zone, err)) != OT_OK ||
		    (s = observe(k, ex, ev, err)) != OT_OK)
			break;
	}
	json_decref(events);
	if (s == OT_OK && c->events != h.events) /* as case_rebuild says it */
		s = store_damaged(e, err, "case %s: %d events read, %d stored", id, c->events,
				  h.events);
	if (s != OT_OK) {
		expect_free(ex);
		case_free(c);
		return s;
	}
	case_note_stored(c, &h);
	const char *typed = json_string_value(json_object_get(c->applicant, "id"));
	if (typed) {
		store_holder_key(typed, ex->holder);
		ex->typed = strcmp(typed, ex->holder) != 0 ? typed : NULL;
	} else
		ex->nlic = ex->nentry = 0; /* nothing is looked up for no one */
	*out = c;
	*x = ex;
	return OT_OK;
}

void store_check_event(store_checker *k, store_expect *x, long long seq, const char *at,
		       const char *op, const char *actor)
{
	json_t *ev = seq >= 1 ? json_array_get(x->events, (size_t)(seq - 1)) : NULL;
	if (!ev)
		return; /* the replay read every event by its number */
	const char *column[] = {at, op, actor}, *name[] = {"at", "op", "actor"};
	char diff[400] = "";
	size_t n = 0;
	for (int i = 0; i < 3; i++) {
		const char *want = json_string_value(json_object_get(ev, name[i]));
		if (!same_text(column[i], want) && n < sizeof diff)
			n += (size_t)snprintf(diff + n, sizeof diff - n, "%s%s %s (the event: %s)",
					      n ? ", " : "", name[i], column[i] ? column[i] : "nothing",
					      want ? want : "nothing");
	}
	if (n)
		store_problem(k, x->c->id, "event %lld differs from its payload in the columns the "
			      "event feed shows: %s", seq, diff);
}

/* A licence whose term an approval may have kept (valid without end
 * then, else until its term ends): store_check_end, once every case's
 * keeps are known, says which it must be. */
static void settle(store_checker *k, const ot_case *c, const m_material *mm, const char *holder,
		   const char *number, ot_time from, ot_time until, int unended)
{
	char key[512];
	snprintf(key, sizeof key, "%s\t%s\t%s", holder, mm->name, number);
	json_t *u = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:i}", "case", c->id,
			      "material", mm->name, "key", key, "kept_by",
			      c->v->rules->materials[mm->kept_by].name, "from", (json_int_t)from,
			      "until", (json_int_t)until, "unended", unended, "zone", k->e->zone);
	if (!u || json_array_append_new(k->unended, u))
		store_problem(k, c->id, "out of memory checking its licence %s", mm->name);
}

void store_check_licence(store_checker *k, store_expect *x, uint32_t i, const licence *row)
{
	const char *holder = row->holder, *case_id = row->case_id, *issuer = row->issuer;
	ot_time from = row->from, until = row->until;
	const ot_case *c = x->c;
	const m_material *mm = &c->v->rules->materials[x->lic[i].material];
	const char *number = x->lic[i].number;
	char a[32], b[32], v[48], w[48];
	x->lic[i].seen = 1;
	if (!case_id)
		return; /* an import replaced it (the holder's, of that number): the import's */
	if (strcmp(case_id, c->id) != 0) {
		store_problem(k, c->id, "its licence %s (number %s) is in the licence library as "
			      "case %s's", mm->name, number, case_id);
		return;
	}
	if (x->approved < 0) {
		store_problem(k, c->id, "the licence library holds its licence %s (number %s), but "
			      "it was never approved", mm->name, number);
		return;
	}
	char want_number[96];
	licence want = licence_issued(c, i, x->approved, k->e->zone, want_number);
	if (x->revoked >= 0 && (want.until < 0 || x->revoked < want.until))
		want.until = x->revoked; /* revoked: it ends then, if it had not */
	if (from != want.from)
		store_problem(k, c->id, "its licence %s is valid from %s, but it was approved at %s",
			      mm->name, when(k, from, a), when(k, want.from, b));
	int keepable = x->revoked < 0 && want.until >= 0 && mm->kept_by >= 0;
	if (keepable && (until < 0 || until == want.until))
		settle(k, c, mm, holder, number, want.from, want.until, until < 0);
	else if (until == want.until)
		;
	else if (x->revoked >= 0)
		store_problem(k, c->id, "its licence %s is valid %s, but its approval was revoked at "
			      "%s (告知承诺 found untrue): it ends then", mm->name, valid(k, until, v),
			      when(k, x->revoked, b));
	else {
		char kept[128] = "";
		if (mm->kept_by >= 0)
			snprintf(kept, sizeof kept, " (with no end once an approval of %s keeps it)",
				 c->v->rules->materials[mm->kept_by].name);
		store_problem(k, c->id, "its licence %s is valid %s, but approved at %s it is valid "
			      "%s%s", mm->name, valid(k, until, v), when(k, x->approved, b),
			      valid(k, want.until, w), kept);
	}
	/* its own term, what it goes back to when no approval keeps it: none
	 * recorded only if kept before schema 9 */
	if (row->term != want.until && !(row->term < 0 && until < 0))
		store_problem(k, c->id, "its licence %s has as its own term valid %s, but %s %s it "
			      "is valid %s", mm->name, valid(k, row->term, v),
			      x->revoked >= 0 ? "revoked at" : "approved at",
			      when(k, x->revoked >= 0 ? x->revoked : x->approved, b),
			      valid(k, want.until, w));
	if (!same_text(issuer, want.issuer))
		store_problem(k, c->id, "its licence %s names the issuer %s, its rule version %s",
			      mm->name, issuer ? issuer : "nothing", want.issuer);
}

void store_check_entry(store_checker *k, store_expect *x, uint32_t i, ot_time from,
		       ot_time until)
{
	const store_expect_entry *en = &x->entry[i];
	const char *name = x->c->v->rules->materials[en->material].name;
	char a[32], b[32], d[32], f[32];
	x->entry[i].seen = 1;
	if (en->from < 0)
		store_problem(k, x->c->id, "the material library has its entry of %s, but none of "
			      "its events put %s there", name, name);
	else if (from != en->from || until != en->until)
		store_problem(k, x->c->id, "its entry of %s in the material library is valid from %s "
			      "until %s, but its events make it valid from %s until %s", name,
			      when(k, from, a), when(k, until, b), when(k, en->from, d),
			      when(k, en->until, f));
}

void store_check_beside(store_checker *k, store_expect *x)
{
	const ot_case *c = x->c;
	const ot_rules *r = c->v->rules;
	char a[32], b[32];
	for (uint32_t i = 0; i < x->nlic; i++) {
		const char *name = r->materials[x->lic[i].material].name;
		if (!x->lic[i].seen && x->approved >= 0 && !is_misplaced(k, c->id, name, "licence"))
			store_problem(k, c->id, "its licence %s (number %s) is not in the licence "
				      "library, though it was approved at %s", name, x->lic[i].number,
				      when(k, x->approved, a));
	}
	for (uint32_t i = 0; i < x->nentry; i++) {
		const store_expect_entry *en = &x->entry[i];
		const char *name = r->materials[en->material].name;
		if (!en->seen && en->from >= 0 && !is_misplaced(k, c->id, name, "entry"))
			store_problem(k, c->id, "its entry of %s in the material library is missing: "
				      "handed in at %s, it is to be reused until %s", name,
				      when(k, en->from, a), when(k, en->until, b));
	}
	expect_free(x);
}

/* ---- the scans ---- */

/* The version and item of a case's row (NULL: a chain case, or its row
 * names none; *v NULL when the version cannot be had, which the case's
 * own check names). */
static const m_item *item_of_row(store_checker *k, const char *item, const char *rules,
				 const version **v)
{
	ot_error err;
	*v = rules ? engine_version(k->e, rules, &err) : NULL;
	int i = *v && item ? strmap_get(&(*v)->rules->by_item, item, strlen(item)) : -1;
	return i >= 0 ? &(*v)->rules->items[i] : NULL;
}

void store_check_licence_row(store_checker *k, const char *holder, const char *material,
			     const char *number, const char *case_id, int found,
			     const char *item, const char *rules, const char *applicant)
{
	if (!found) {
		store_problem(k, case_id, "it issued a licence in the library but is not in the store");
		return;
	}
	const version *v;
	const m_item *it = item_of_row(k, item, rules, &v);
	if (!v)
		return;
	int issues = 0;
	for (uint32_t i = 0; it && i < it->n_issued; i++)
		issues |= strcmp(v->rules->materials[it->issued[i].material].name, material) == 0;
	char want[96], key[64];
	licence_number(case_id, material, want);
	if (!issues)
		store_problem(k, case_id, "the licence library holds a licence %s (number %s) that "
			      "names it, but %s issues no %s", material, number,
			      it ? "its item" : "it is a chain case, which", material);
	else if (strcmp(number, want) != 0) {
		misplace(k, case_id, material, "licence");
		store_problem(k, case_id, "the licence library holds a licence %s numbered %s that "
			      "names it, but the licence it issued is numbered %s", material, number,
			      want);
	} else if (!applicant || strcmp(store_holder_key(holder, key), applicant) != 0) {
		misplace(k, case_id, material, "licence");
		store_problem(k, case_id, "the licence library holds its licence %s (number %s) for "
			      "another holder than its applicant", material, number);
	}
}

void store_check_entry_row(store_checker *k, const char *applicant, const char *material,
			   const char *case_id, const char *item, const char *rules,
			   const char *case_applicant)
{
	if (!item)
		return; /* no case: SQLite's foreign key check names it, PostgreSQL refuses it */
	const version *v;
	const m_item *it = item_of_row(k, item, rules, &v);
	if (!v)
		return;
	const ot_rules *r = v->rules;
	int keeps = 0;
	for (uint32_t i = 0; it && i < it->reqs.count; i++) {
		const m_material *mm = &r->materials[r->reqs[it->reqs.first + i].material];
		keeps |= mm->reusable.n >= 0 && strcmp(mm->name, material) == 0;
	}
	if (!keeps)
		store_problem(k, case_id, "the material library has an entry of %s from it, but %s",
			      material, it ? "its item does not take it for reuse"
				    : "it is a chain case, whose materials join it through its items");
	else if (!case_applicant || strcmp(applicant, case_applicant) != 0) {
		misplace(k, case_id, material, "entry");
		store_problem(k, case_id, "the material library has its entry of %s under another "
			      "applicant than its own: someone else would reuse it", material);
	}
}

void store_check_missing(store_checker *k, const char *day, long long lo, long long hi,
			 long long n)
{
	const char *why = hi == n ? "removed from the store, or the counter set forward"
		: "removed from the store";
	if (lo == hi) {
		char id[32];
		snprintf(id, sizeof id, "%s-%04lld", day, lo);
		store_problem(k, id, "no case has this number (no row, no event), though a day's "
			      "numbers are given out without gaps: the day's counter is at %lld; the "
			      "case was %s", n, why);
	} else
		store_problem(k, NULL, "no case has the numbers %s-%04lld to %s-%04lld (no row, no "
			      "event), though a day's numbers are given out without gaps: the day's "
			      "counter is at %lld; %lld cases were %s", day, lo, day, hi, n,
			      hi - lo + 1, why);
}

void store_check_end(store_checker *k)
{
	size_t i, j;
	json_t *u, *keep;
	json_array_foreach(k->unended, i, u) {
		json_int_t from = json_integer_value(json_object_get(u, "from"));
		json_int_t until = json_integer_value(json_object_get(u, "until"));
		int zone = (int)json_integer_value(json_object_get(u, "zone"));
		const char *id = json_string_value(json_object_get(u, "case"));
		const char *material = json_string_value(json_object_get(u, "material"));
		const char *by = json_string_value(json_object_get(u, "kept_by"));
		json_t *kept = NULL; /* [time, case] of the keep, when one was made */
		json_array_foreach(json_object_get(k->kept, json_string_value(json_object_get(u, "key"))),
				   j, keep) {
			json_int_t t = json_integer_value(json_array_get(keep, 0));
			if (!kept && t >= from && t < until)
				kept = keep;
		}
		char a[32], b[32];
		time_format((ot_time)until, zone, a);
		if (json_is_true(json_object_get(u, "unended")) && !kept)
			store_problem(k, id, "its licence %s is valid with no end, but no approval of %s "
				      "used it before its term ended at %s", material, by, a);
		else if (!json_is_true(json_object_get(u, "unended")) && kept) {
			time_format((ot_time)json_integer_value(json_array_get(kept, 0)), zone, b);
			store_problem(k, id, "its licence %s is valid until %s, but case %s's approval "
				      "of %s kept it valid with no end at %s", material, a,
				      json_string_value(json_array_get(kept, 1)), by, b);
		}
	}
}

json_t *store_check_report(const store_checker *k)
{
	json_t *r = json_pack("{s:s, s:b, s:i, s:I, s:I, s:I, s:O}", "store", store_path(k->e),
			      "sound", json_array_size(k->problems) == 0 && !k->more, "schema",
			      STORE_SCHEMA,
			      "rule_versions", k->versions, "cases", k->cases, "events", k->events,
			      "problems", k->problems);
	if (r && k->more)
		json_object_set_new(r, "more_problems", json_integer((json_int_t)k->more));
	return r;
}
