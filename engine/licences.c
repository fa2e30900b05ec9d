/*
 * licences.c -- shared data (共享获取): the providers behind `source shared`
 * materials, and the electronic licence library (电子证照库) they draw on.
 *
 * A shared material whose data source has a provider is looked up for
 * every assessment; one that cannot be obtained is asked of the applicant
 * like any other material, and the notice says why.  A data source
 * without a provider is one the engine does not reach (the national
 * population database, say): the material counts as obtained, as the
 * rules declare.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "hooks.h"

/* The last day before `end`, into day. */
static const char *last_day(ot_time end, int zone, char day[11])
{
	day_format(time_day(end - 1, zone), day);
	return day;
}

json_t *licence_json(const licence *l, int zone)
{
	char from[11], until[11], term[11];
	day_format(time_day(l->from, zone), from);
	/* kept without end by an approval here: its own term's last day too */
	int kept = l->until < 0 && l->term >= 0;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s*, s:s?}", "holder", l->holder,
			 "material", l->material, "number", l->number, "issuer", l->issuer,
			 "valid_from", from,
			 "valid_until", l->until >= 0 ? last_day(l->until, zone, until) : NULL,
			 "term_until", kept ? last_day(l->term, zone, term) : NULL,
			 "case", l->case_id);
}

/* ---- providers ---- */

static int from_library(ot_engine *e, const m_provider *p, const m_material *m,
			const application *app, char ref[REF_CAP], char why[256], ot_error *err)
{
	const char *label = m->label ? m->label : m->name;
	if (!app->applicant_id) {
		snprintf(why, 256, "需要申请人证件号码才能从%s查询 the applicant's ID number is "
			 "needed to look it up in %s", p->name, p->name);
		return 0;
	}
	ot_time until = -1;
	int found = store_licence_find(e, app->applicant_id, m->name, app->now, ref, &until);
	if (found == 1)
		return 1;
	ref[0] = 0;
	if (found == 2) {
		char d[11];
		day_format(time_day(until - 1, e->zone), d);
		snprintf(why, 256, "%s中的%s已于%s过期 the licence in %s expired on %s", p->name,
			 label, d, p->name, d);
		return 0;
	}
	if (found == 0) {
		snprintf(why, 256, "%s中没有申请人的%s %s holds none for the applicant", p->name,
			 label, p->name);
		return 0;
	}
	err_set(err, OT_EHOOK, "licence library: %s", e->fault.message); /* kept for store_settle */
	return -1;
}

static int obtain(void *ud, const version *v, const application *app, int material,
		  char ref[REF_CAP], char why[256], ot_error *err)
{
	ot_engine *e = ud;
	const ot_rules *r = v->rules;
	const m_material *m = &r->materials[material];
	ref[0] = why[0] = 0;
	if (m->provider < 0)
		return 1;
	const m_provider *p = &r->providers[m->provider];
	hook_host *h = p->kind == PROVIDER_LUA ? version_hooks(v) : NULL;
	hook_request q = {app->item, material, app->applicant_kind, app->applicant_id,
			  app->applicant_name, app->now};
	int got = p->kind == PROVIDER_LICENCES ? from_library(e, p, m, app, ref, why, err)
		: h ? hook_provide(h, m->provider, &q, ref, why, err)
		: (err_set(err, OT_ENOMEM, "out of memory starting the provider %s", p->name), -1);
	/* whatever failed, the applicant reads one neutral line */
	if (got < 0)
		snprintf(why, 256, "暂时无法从%s获取 %s cannot be reached just now", p->name, p->name);
	return got;
}

static int issued_licence(void *ud, const version *v, const char *holder, int material,
			  ot_time now, char number[REF_CAP])
{
	ot_time until;
	int found = store_licence_find(ud, holder, v->rules->materials[material].name, now, number,
				       &until);
	return found == 1 ? 1 : found < 0 ? -1 : 0;
}

material_sources engine_sources(ot_engine *e)
{
	material_sources s = {store_library_find, obtain, e, issued_licence};
	return s;
}

/* ---- issuing ---- */

static ot_status put_licences(ot_engine *e, const ot_case *c, ot_time from, ot_time until,
			      int revoke, ot_error *err);

/* The number of the library's licence of material m that case c was
 * assessed with (its latest notice): shared by a `licences` provider, or
 * found as a result issued before; NULL when it had none from there. */
static const char *licence_used(const ot_case *c, int m)
{
	const ot_rules *r = c->v->rules;
	const m_material *mm = &r->materials[m];
	int provider = mm->provider >= 0 && r->providers[mm->provider].kind == PROVIDER_LICENCES;
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(c->notice, "materials"), i, x) {
		const char *name = json_string_value(json_object_get(x, "material"));
		const char *source = json_string_value(json_object_get(x, "source"));
		if (name && strcmp(name, mm->name) == 0 && source &&
		    (provider || strcmp(source, LICENCE_LIBRARY) == 0))
			return json_string_value(json_object_get(x, "number"));
	}
	return NULL;
}

/* An approval that issues K keeps every licence `issues … unless K` the
 * case was assessed with valid from now on, if it still is: the planning
 * permit of the project whose construction permit this is, got within
 * its year, does not lapse.  Tied to the licence the case used, not to
 * the holder: a builder's other projects keep their own terms. */
ot_status licences_kept(const ot_case *c, licence_kept_fn each, void *ud, ot_error *err)
{
	const ot_rules *r = c->v->rules;
	const m_item *it = &r->items[c->item];
	ot_status s = OT_OK;
	for (uint32_t i = 0; i < it->n_issued && s == OT_OK; i++)
		for (uint32_t m = 0; m < r->n_materials && s == OT_OK; m++) {
			const char *number = r->materials[m].kept_by == it->issued[i].material
				? licence_used(c, (int)m) : NULL;
			if (number)
				s = each(ud, r->materials[m].name, number, err);
		}
	return s;
}

typedef struct keeping {
	ot_engine *e;
	const char *holder;
	ot_time now;
} keeping;

static ot_status keep_one(void *ud, const char *material, const char *number, ot_error *err)
{
	const keeping *k = ud;
	return store_licence_keep(k->e, k->holder, material, number, k->now, err);
}

ot_status licences_issue(ot_engine *e, const ot_case *c, ot_time now, ot_error *err)
{
	ot_status s = put_licences(e, c, now, 0, 0, err);
	keeping k = {e, json_string_value(json_object_get(c->applicant, "id")), now};
	return s == OT_OK && k.holder ? licences_kept(c, keep_one, &k, err) : s;
}

/* ---- what an approval keeps, while it stands ----
 *
 * The library keeps no list of the approvals that keep a licence: the
 * events do.  An approval issuing K keeps the licence `… unless K` its
 * case used when it was approved within that licence's own term (as
 * issued, or as imported); it keeps it while it stands -- not revoked
 * (告知承诺 found untrue).  Such an approval issued a K licence of the
 * same holder, numbered CASE-K (licence_number): an import of it since
 * (the 电子证照库 sending back what approvals here issued) leaves the
 * number, and the case it names.  So the approvals that may keep one of
 * a holder's licences are found among the cases the holder's K
 * licences name, a few rows read by the holder's key; each is then
 * loaded and asked. */

/* The material named, in c's rule version; -1: it has none. */
static int material_of(const ot_case *c, const char *name)
{
	const ot_rules *r = c->v->rules;
	return c->chain < 0 ? strmap_get(&r->by_material, name, strlen(name)) : -1;
}

/* Whether case k's approval stands and keeps licence `number` of
 * material `name`, holder `holder` (as the store keys it), whose own
 * term is [from, until). */
static int keeps(const ot_case *k, const char *holder, const char *name, const char *number,
		 ot_time from, ot_time until)
{
	const ot_rules *r = k->v->rules;
	const char *id = json_string_value(json_object_get(k->applicant, "id"));
	char key[64];
	int m = material_of(k, name);
	if (m < 0 || !id || strcmp(store_holder_key(id, key), holder) != 0)
		return 0;
	/* approved, its pledge checked or being checked, or delivered: not a
	 * revoked approval, nor a chain's item closed as not needed */
	int stands = k->status == CS_APPROVED || k->status == CS_CHECKING ||
		     (k->status == CS_CLOSED && k->delivered);
	const m_item *it = &r->items[k->item];
	int issues = 0;
	for (uint32_t i = 0; i < it->n_issued; i++)
		issues |= (int)it->issued[i].material == r->materials[m].kept_by;
	const char *used = licence_used(k, m);
	return stands && issues && used && strcmp(used, number) == 0 && k->decided >= from &&
	       (until < 0 || k->decided < until);
}

/* The case a licence of the list names: its own, or, imported, the case
 * whose number it has (CASE-MATERIAL); "" none. */
static void named_case(json_t *x, char id[32])
{
	const char *c = json_string_value(json_object_get(x, "case"));
	const char *number = json_string_value(json_object_get(x, "number"));
	const char *material = json_string_value(json_object_get(x, "material"));
	size_t n = number ? strlen(number) : 0, m = material ? strlen(material) : 0;
	id[0] = 0;
	if (c)
		snprintf(id, 32, "%.31s", c);
	else if (n > m + 1 && n - m - 1 < 32 && number[n - m - 1] == '-' &&
		 strcmp(number + n - m, material) == 0)
		snprintf(id, 32, "%.*s", (int)(n - m - 1), number);
}

/* *found: whether an approval other than case `except`'s stands and keeps
 * the holder's licence (name, number) of own term [from, until); `kname`
 * the material that keeps it.  `list`: the holder's licences. */
static ot_status kept_by_another(ot_engine *e, json_t *list, const char *holder, const char *name,
				 const char *number, const char *kname, ot_time from, ot_time until,
				 const char *except, int *found, ot_error *err)
{
	size_t i;
	json_t *x;
	*found = 0;
	json_array_foreach(list, i, x) {
		char id[32];
		const char *material = json_string_value(json_object_get(x, "material"));
		if (!material || strcmp(material, kname) != 0)
			continue;
		named_case(x, id);
		if (!id[0] || (except && strcmp(id, except) == 0))
			continue;
		ot_case *k;
		ot_status s = case_load(e, id, &k, err);
		if (s == OT_ENOTFOUND) /* another store's licence numbered as ours are */
			continue;
		if (s != OT_OK)
			return s;
		*found = keeps(k, holder, name, number, from, until);
		case_free(k);
		if (*found)
			break;
	}
	return OT_OK;
}

static int same(json_t *x, const char *key, const char *text)
{
	const char *v = json_string_value(json_object_get(x, key));
	return v && strcmp(v, text) == 0;
}

/* The licence (material, number) of the holder's list, as listed; NULL
 * when the library has none. */
static json_t *listed(json_t *list, const char *material, const char *number)
{
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x)
		if (same(x, "material", material) && same(x, "number", number))
			return x;
	return NULL;
}

/* The own term [*from, *term) of a licence kept without end and none
 * recorded: kept before the library held licences' own terms (schema 9),
 * or without an end of its own.  One issued here, its row still the
 * approval's, has the term that approval gave it.  *term < 0: none known
 * -- no end, or an import's since (the next import gives it again): a
 * number that names a case here may be another district's licence. */
static ot_status issued_term(ot_engine *e, json_t *list, const char *material,
			     const char *number, ot_time *from, ot_time *term, ot_error *err)
{
	json_t *x = listed(list, material, number);
	const char *issuer = json_string_value(json_object_get(x, "case"));
	*term = -1;
	ot_case *p;
	ot_status s = issuer && json_is_null(json_object_get(x, "valid_until"))
		? case_load(e, issuer, &p, err) : OT_ENOTFOUND;
	if (s != OT_OK)
		return s == OT_ENOTFOUND ? OT_OK : s; /* its case gone: store check names it */
	int m = material_of(p, material);
	const m_item *it = m >= 0 ? &p->v->rules->items[p->item] : NULL;
	for (uint32_t i = 0; it && p->status != CS_REVOKED && i < it->n_issued; i++) {
		char own[96];
		licence want = licence_issued(p, i, p->decided, e->zone, own);
		if ((int)it->issued[i].material == m && strcmp(own, number) == 0) {
			*from = want.from;
			*term = want.until;
		}
	}
	case_free(p);
	return OT_OK;
}

typedef struct releasing {
	ot_engine *e;
	const ot_case *keeper;
	char holder[64];
} releasing;

/* A licence the revoked approval of r->keeper had kept: unless another
 * approval stands that keeps it, back to its own term. */
static ot_status release_one(void *ud, const char *material, const char *number, ot_error *err)
{
	releasing *r = ud;
	const ot_rules *kr = r->keeper->v->rules;
	int km = material_of(r->keeper, material), found = 0;
	if (km < 0 || kr->materials[km].kept_by < 0)
		return OT_OK;
	ot_time from = 0, term = -1;
	int known = store_licence_term(r->e, r->holder, material, number, &from, &term, err);
	json_t *list = NULL;
	ot_status s = known < 0 ? err->status : store_licences_of(r->e, r->holder, &list, err);
	if (s == OT_OK && !known)
		s = issued_term(r->e, list, material, number, &from, &term, err);
	if (s == OT_OK && term >= 0)
		s = kept_by_another(r->e, list, r->holder, material, number,
				    kr->materials[kr->materials[km].kept_by].name, from, term,
				    r->keeper->id, &found, err);
	if (s == OT_OK && term >= 0 && !found)
		s = store_licence_back(r->e, r->holder, material, number, term, err);
	else if (s == OT_OK && term >= 0) /* written again, as kept: on PostgreSQL the
					   * row's lock orders two revocations of its
					   * keepers, the later seeing the earlier */
		s = store_licence_keep(r->e, r->holder, material, number, from, err);
	json_decref(list);
	return s;
}

/* A false pledge: what the approval issued ends now, and what it kept is
 * kept by it no more. */
ot_status licences_revoke(ot_engine *e, const ot_case *c, ot_time now, ot_error *err)
{
	ot_status s = put_licences(e, c, c->decided, now, 1, err);
	const char *id = json_string_value(json_object_get(c->applicant, "id"));
	releasing r = {e, c, ""};
	if (s != OT_OK || !id)
		return s;
	store_holder_key(id, r.holder);
	return licences_kept(c, release_one, &r, err);
}

void licence_number(const char *case_id, const char *material, char out[96])
{
	snprintf(out, 96, "%s-%s", case_id, material);
}

licence licence_issued(const ot_case *c, uint32_t i, ot_time now, int zone, char number[96])
{
	const ot_rules *r = c->v->rules;
	const m_item *it = &r->items[c->item];
	const m_issue *is = &it->issued[i];
	const char *issuer = it->dept >= 0 ? r->departments[it->dept].label : NULL;
	if (!issuer)
		issuer = it->dept >= 0 ? r->departments[it->dept].name : "";
	licence_number(c->id, r->materials[is->material].name, number);
	ot_time until = is->valid.n < 0 ? -1 : time_plus(now, is->valid, zone);
	licence l = {json_string_value(json_object_get(c->applicant, "id")),
		     r->materials[is->material].name, number, issuer, c->id, now, until, until};
	return l;
}

/* The licences of the case's approval, issued from `from` (for their
 * declared validity), or revoked: valid only until `until`. */
static ot_status put_licences(ot_engine *e, const ot_case *c, ot_time now, ot_time until,
			      int revoke, ot_error *err)
{
	const m_item *it = &c->v->rules->items[c->item];
	if (!json_string_value(json_object_get(c->applicant, "id")) || !it->n_issued)
		return OT_OK;
	for (uint32_t i = 0; i < it->n_issued; i++) {
		char number[96];
		licence l = licence_issued(c, i, now, e->zone, number);
		if (revoke && (l.until < 0 || until < l.until)) /* not one expired before */
			l.until = l.term = until;
		ot_status s = store_licence_put(e, &l, err);
		if (s != OT_OK)
			return s;
	}
	return OT_OK;
}

/* ---- import ---- */

/* A routine re-sync from the 电子证照库 sends a licence again with its
 * term: one the library holds with no end because an approval here kept
 * it (and stands) stays so -- the import does not undo what an approval
 * decided.  Its own term is the import's: when no approval keeps it any
 * more, it goes back to that (release_one). */
static ot_status still_kept(ot_engine *e, const ot_rules *r, licence *l, ot_error *err)
{
	int m = strmap_get(&r->by_material, l->material, strlen(l->material));
	if (m < 0 || r->materials[m].kept_by < 0)
		return OT_OK;
	char holder[64];
	json_t *list;
	store_holder_key(l->holder, holder);
	ot_status s = store_licences_of(e, holder, &list, err);
	if (s != OT_OK)
		return s;
	json_t *x = listed(list, l->material, l->number);
	int found = 0;
	if (x && json_is_null(json_object_get(x, "valid_until")))
		s = kept_by_another(e, list, holder, l->material, l->number,
				    r->materials[r->materials[m].kept_by].name, l->from, l->until, NULL,
				    &found, err);
	json_decref(list);
	if (s == OT_OK && found)
		l->until = -1;
	return s;
}

/* One licence, its fields there and of their types (api.c's licence
 * table): what is left to check is what the types cannot say. */
static ot_status import_one(ot_engine *e, json_t *j, size_t i, ot_error *err)
{
	static const char *const keys[] = {"holder", "material", "number", "issuer"};
	const char *v[4];
	for (int k = 0; k < 4; k++) {
		v[k] = json_string_value(json_object_get(j, keys[k]));
		if (!*v[k])
			return err_set(err, OT_EINVAL, "licence %zu: \"%s\" is empty", i + 1, keys[k]);
	}
	if (strlen(v[2]) >= REF_CAP) /* the notice would show it cut */
		return err_set(err, OT_EINVAL, "licence %zu (%.60s…): the number is %zu bytes, "
			       "more than %d", i + 1, v[2], strlen(v[2]), REF_CAP - 1);
	const ot_rules *r = e->versions[0].rules;
	if (strmap_get(&r->by_material, v[1], strlen(v[1])) < 0)
		return err_set(err, OT_EINVAL, "licence %zu (%s): the rule base has no material "
			       "'%.60s'", i + 1, v[2], v[1]);
	const char *from = json_string_value(json_object_get(j, "valid_from"));
	const char *until = json_string_value(json_object_get(j, "valid_until"));
	ot_time t0 = 0, t1 = -1;
	time_parse(from, e->zone, &t0); /* dates, checked: the day's first moment */
	if (until && time_parse(until, e->zone, &t1))
		t1 += 86400; /* 有效期至 that day: valid through it */
	if (until && t1 <= t0)
		return err_set(err, OT_EINVAL, "licence %zu (%s): valid_until is before valid_from",
			       i + 1, v[2]);
	licence l = {v[0], v[1], v[2], v[3], NULL, t0, t1, t1};
	ot_status s = t1 >= 0 ? still_kept(e, r, &l, err) : OT_OK;
	return s == OT_OK ? store_licence_put(e, &l, err) : s;
}

typedef struct lic_key {
	const char *holder, *material, *number;
	size_t i;
} lic_key;

static int by_key(const void *a, const void *b)
{
	const lic_key *x = a, *y = b;
	int c = strcmp(x->holder, y->holder);
	if (!c)
		c = strcmp(x->material, y->material);
	if (!c)
		c = strcmp(x->number, y->number);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

static int same_licence(const lic_key *x, const lic_key *y)
{
	return !strcmp(x->holder, y->holder) && !strcmp(x->material, y->material) &&
	       !strcmp(x->number, y->number);
}

/* Two licences of one request with one holder, material and number: the
 * library would keep the second, so the feed says two things of one
 * licence.  (Holders are read in upper case, as the library keys them.) */
static ot_status twice(json_t *list, ot_error *err)
{
	size_t n = json_array_size(list), i;
	json_t *j;
	lic_key *k = n ? malloc(n * sizeof *k) : NULL;
	if (n && !k)
		return err_set(err, OT_ENOMEM, "out of memory");
	json_array_foreach(list, i, j)
		k[i] = (lic_key){json_string_value(json_object_get(j, "holder")),
				 json_string_value(json_object_get(j, "material")),
				 json_string_value(json_object_get(j, "number")), i};
	qsort(k, n, sizeof *k, by_key);
	ot_status s = OT_OK;
	for (i = 1; i < n && s == OT_OK; i++)
		if (same_licence(&k[i], &k[i - 1]))
			s = err_set(err, OT_EINVAL, "licence %zu (%.60s): licence %zu is the same "
				    "holder's, of the same material and number", k[i].i + 1, k[i].number,
				    k[i - 1].i + 1);
	free(k);
	return s;
}

ot_status licences_import(ot_engine *e, json_t *list, json_t **resp, ot_error *err)
{
	size_t i;
	json_t *j;
	ot_status s = twice(list, err);
	if (s != OT_OK)
		return s;
	json_array_foreach(list, i, j) {
		s = import_one(e, j, i, err);
		if (s != OT_OK)
			return s;
	}
	*resp = json_pack("{s:i}", "imported", (json_int_t)json_array_size(list));
	return OT_OK;
}
