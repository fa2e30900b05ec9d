/*
 * chain_notice.c -- the combined one-time notice of a chain (一次告知):
 * every item of the chain (or of one stage) assessed on the one form and
 * the one set of materials, each material asked once however many items
 * need it, with those items and why; a material an earlier item of the
 * chain issues is never asked.
 *
 * Each item is assessed by assess() (assess.c, the one place that decides
 * whether a material is required); this file only combines.  An item is
 * assessed in its version (`in_force`, `replaces`): the one its case is
 * of, once the chain has opened it, else the one in force on the day of
 * the assessment -- the items ahead are told as they would be applied
 * for that day.  The lookups
 * of the material and licence libraries and of the providers are made
 * once per material, not once per item.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* ---- the material sources, asked once per material ---- */

typedef struct memo {
	const material_sources *inner;
	const ot_rules *r;
	uint8_t *state;      /* per material: bit 0 library asked, 1 shared, 2 licence */
	int8_t *shared_got, *licence_got;
	char (*lib_case)[32];
	char (*ref)[REF_CAP];
	char (*why)[256];
	uint8_t *lib_found;
	ot_error *shared_err;
	/* per material: an earlier item of the chain issues it, for the slot
	 * being assessed (issued_before_slots); its lookups are not made */
	const uint8_t *issued;
} memo;

static int material_at(const ot_rules *r, const char *name)
{
	return strmap_get(&r->by_material, name, strlen(name));
}

static const char *memo_library(void *ud, const char *applicant, const char *material,
				ot_time now)
{
	memo *mo = ud;
	int m = material_at(mo->r, material);
	if (m < 0)
		return mo->inner->library(mo->inner->ud, applicant, material, now);
	if (mo->issued[m])
		return NULL; /* an earlier item of the chain issues it (see memo_licence) */
	if (!(mo->state[m] & 1)) {
		const char *from = mo->inner->library(mo->inner->ud, applicant, material, now);
		mo->lib_found[m] = from != NULL;
		if (from)
			snprintf(mo->lib_case[m], 32, "%s", from);
		mo->state[m] |= 1;
	}
	return mo->lib_found[m] ? mo->lib_case[m] : NULL;
}

static int memo_shared(void *ud, const version *v, const application *app, int material,
		       char ref[REF_CAP], char why[256], ot_error *err)
{
	memo *mo = ud;
	if (mo->issued[material]) {
		ref[0] = why[0] = 0;
		return 0; /* an earlier item of the chain issues it (see memo_licence) */
	}
	if (!(mo->state[material] & 2)) {
		memset(mo->ref[material], 0, REF_CAP);
		memset(mo->why[material], 0, 256);
		mo->shared_err[material] = (ot_error){OT_OK, ""};
		mo->shared_got[material] = (int8_t)mo->inner->shared(mo->inner->ud, v, app, material,
			mo->ref[material], mo->why[material], &mo->shared_err[material]);
		mo->state[material] |= 2;
	}
	memcpy(ref, mo->ref[material], REF_CAP);
	memcpy(why, mo->why[material], 256);
	if (mo->shared_got[material] < 0)
		*err = mo->shared_err[material];
	return mo->shared_got[material];
}

static int memo_licence(void *ud, const version *v, const char *holder, int m, ot_time now,
			char number[REF_CAP])
{
	memo *mo = ud;
	if (mo->issued[m]) {
		/* an earlier item of this chain issues it: the notice says so,
		 * whatever the library holds today (the item case, when it opens,
		 * looks).  Only earlier: an item beside it or after it issues
		 * it too late, so what the library holds counts */
		number[0] = 0;
		return 0;
	}
	if (!(mo->state[m] & 4)) {
		memset(mo->ref[m], 0, REF_CAP);
		mo->licence_got[m] = (int8_t)mo->inner->licence(mo->inner->ud, v, holder, m, now,
								mo->ref[m]);
		mo->state[m] |= 4;
	}
	memcpy(number, mo->ref[m], REF_CAP);
	return mo->licence_got[m];
}

/* ---- combining ---- */

enum { NEED_FROM_CHAIN = ASSESS_PLEDGED + 1 };
static const char *const need_names[] = {"not_required", "shared", "provided", "reused",
					 "optional", "deferred", "missing", "pledged",
					 "from_chain"};
/* which status a material shows when its items differ: the one that asks
 * most of the applicant first */
static const uint8_t need_rank[] = {0, 3, 6, 4, 1, 7, 8, 5, 2};
_Static_assert(OT_COUNTOF(need_names) == NEED_FROM_CHAIN + 1 &&
	       OT_COUNTOF(need_rank) == NEED_FROM_CHAIN + 1, "a name and a rank for each need");

typedef struct combined {
	const ot_rules *r;
	int chain, stage;
	chain_slot slots[CHAIN_MAX_ITEMS];
	int nslots;                 /* each slot's `skipped`: its `when` does not hold */
	const uint8_t *provided;  /* the materials handed in, as flags */
	const ev_value *values;   /* the chain's form, read once */
	int values_form;
	uint32_t *need_at;   /* per slot: its first entry in needs */
	uint8_t *needs;      /* per slot, per requirement of its item: ASSESS_* */
	uint8_t *status;     /* per material: the combined status */
	uint8_t *issued;     /* what is issued before the slot being assessed */
	uint8_t *earlier;    /* per material: a slot needing it has an earlier issuer */
	int *issuer;         /* per material: the slot of the chain that issues it; -1 */
	/* the entries of needs by material, in slot and requirement order
	 * (index_needs): the first (-1: none), the next, and each one's slot */
	int *need_first, *need_next, *need_slot;
} combined;

/* A name of the rule base: letters, digits, '_' (the lexer's names), nothing
 * to escape. */
static void jname(buf *b, const char *s)
{
	buf_putc(b, '"');
	buf_puts(b, s);
	buf_putc(b, '"');
}

static void reason(buf *b, const ot_rules *r, const m_req *q, int need)
{
	buf_putc(b, '"');
	if (q->cond < 0)
		buf_puts(b, q->optional ? "optional" : "always required");
	else {
		buf_puts(b, "required because ");
		buf_json_str(b, r->exprs[q->cond].text);
	}
	if (need == NEED_FROM_CHAIN)
		buf_puts(b, "; issued by an earlier item of the chain");
	buf_putc(b, '"');
}

/* One material: its status and every item of the scope that needs it. */
static void write_material(buf *b, const combined *k, int m)
{
	const ot_rules *r = k->r;
	const m_material *mm = &r->materials[m];
	buf_puts(b, "{\"material\":");
	jname(b, mm->name);
	buf_puts(b, ",\"label\":");
	buf_json_quoted(b, mm->label);
	buf_puts(b, ",\"status\":");
	buf_json_quoted(b, need_names[k->status[m]]);
	if (k->status[m] == NEED_FROM_CHAIN || (k->earlier[m] && k->status[m] == ASSESS_SHARED)) {
		buf_puts(b, ",\"issued_by\":");
		buf_json_quoted(b, r->items[chain_slot_item(&k->slots[k->issuer[m]])].name);
	}
	buf_puts(b, ",\"items\":[");
	int first = 1;
	for (int e = k->need_first[m]; e >= 0; e = k->need_next[e]) {
		int s = k->need_slot[e];
		const m_item *it = &r->items[chain_slot_item(&k->slots[s])];
		const m_req *q = &r->reqs[it->reqs.first + (uint32_t)e - k->need_at[s]];
		uint8_t need = k->needs[e];
		if (need == ASSESS_NOT_REQUIRED)
			continue;
		buf_puts(b, first ? "{\"item\":" : ",{\"item\":");
		jname(b, it->name);
		buf_puts(b, ",\"stage\":");
		jname(b, r->stages[k->slots[s].stage].name);
		buf_puts(b, ",\"reason\":");
		reason(b, r, q, need);
		buf_putc(b, '}');
		first = 0;
	}
	buf_puts(b, "]}");
}

/* Links the entries of needs by material, so that writing a material does
 * not walk every requirement of the chain: built backwards, each list is
 * in slot and requirement order. */
static void index_needs(combined *k)
{
	const ot_rules *r = k->r;
	for (uint32_t m = 0; m <= r->n_materials; m++)
		k->need_first[m] = -1;
	for (int s = k->nslots - 1; s >= 0; s--) {
		const m_item *it = &r->items[chain_slot_item(&k->slots[s])];
		for (uint32_t i = it->reqs.count; i-- > 0;) {
			int e = (int)(k->need_at[s] + i);
			int m = r->reqs[it->reqs.first + i].material;
			k->need_next[e] = k->need_first[m];
			k->need_slot[e] = s;
			k->need_first[m] = e;
		}
	}
}

static void write_names(buf *b, const combined *k, const char *key, int status)
{
	buf_puts(b, ",\"");
	buf_puts(b, key);
	buf_puts(b, "\":[");
	int first = 1;
	for (uint32_t m = 0; m < k->r->n_materials; m++)
		if (k->status[m] == status) {
			if (!first)
				buf_putc(b, ',');
			jname(b, k->r->materials[m].name);
			first = 0;
		}
	buf_putc(b, ']');
}

/* The items that need material m, as "a, b" for a notice line. */
static void need_list(buf *b, const combined *k, int m)
{
	int first = 1;
	for (int s = 0; s < k->nslots; s++) {
		const m_item *it = &k->r->items[chain_slot_item(&k->slots[s])];
		int needs = 0;
		for (uint32_t i = 0; i < it->reqs.count && !needs; i++)
			needs = k->r->reqs[it->reqs.first + i].material == m &&
				k->needs[k->need_at[s] + i] == ASSESS_MISSING;
		if (!needs)
			continue;
		buf_puts(b, first ? "" : "、");
		buf_json_str(b, it->label ? it->label : it->name);
		first = 0;
	}
}

static void write_stages(buf *b, const ot_rules *r, const m_chain *mc)
{
	buf_puts(b, ",\"stages\":[");
	for (uint32_t s = 0; s < mc->stages.count; s++) {
		const m_stage *st = &r->stages[mc->stages.first + s];
		buf_puts(b, s ? ",{\"stage\":" : "{\"stage\":");
		buf_json_quoted(b, st->name);
		buf_puts(b, ",\"label\":");
		buf_json_quoted(b, st->label);
		buf_puts(b, ",\"department\":");
		buf_json_quoted(b, st->dept >= 0 ? r->departments[st->dept].name : NULL);
		buf_puts(b, ",\"days\":");
		buf_int(b, st->days);
		buf_puts(b, ",\"within\":");
		if (st->within >= 0)
			buf_int(b, st->within);
		else
			buf_puts(b, "null");
		buf_puts(b, ",\"items\":[");
		for (uint32_t i = 0; i < st->items.count; i++) {
			if (i)
				buf_putc(b, ',');
			buf_json_quoted(b, r->items[r->ints[st->items.first + i]].name);
		}
		buf_puts(b, "]}");
	}
	buf_puts(b, "],\"critical_path\":[");
	for (uint32_t i = 0; i < mc->critical.count; i++) {
		if (i)
			buf_putc(b, ',');
		buf_json_quoted(b, r->stages[mc->stages.first + (uint32_t)r->ints[mc->critical.first + i]].name);
	}
	buf_puts(b, "],\"critical_days\":");
	buf_int(b, mc->critical_days);
	buf_puts(b, ",\"max_trips\":");
	buf_int(b, mc->max_trips);
}

/* Every material any item of the scope needs, once. */
static void write_materials(buf *b, const combined *k)
{
	int first = 1;
	buf_puts(b, ",\"materials\":[");
	for (uint32_t m = 0; m < k->r->n_materials; m++)
		if (k->status[m] != ASSESS_NOT_REQUIRED) {
			if (!first)
				buf_putc(b, ',');
			write_material(b, k, (int)m);
			first = 0;
		}
	buf_putc(b, ']');
	write_names(b, k, "missing", ASSESS_MISSING);
	write_names(b, k, "deferred", ASSESS_DEFERRED);
	write_names(b, k, "provided", ASSESS_PROVIDED);
	write_names(b, k, "shared", ASSESS_SHARED);
	write_names(b, k, "reused", ASSESS_REUSED);
	write_names(b, k, "from_chain", NEED_FROM_CHAIN);
}

static void write_form_errors(buf *b, const form_errors *fe)
{
	buf_puts(b, ",\"form_errors\":[");
	for (int i = 0; i < fe->n; i++) {
		buf_puts(b, i ? ",{\"field\":" : "{\"field\":");
		buf_json_quoted(b, fe->v[i].key);
		buf_puts(b, ",\"message\":");
		buf_json_quoted(b, fe->v[i].message);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}

static void write_skipped(buf *b, const combined *k)
{
	int first = 1;
	buf_puts(b, ",\"items_not_required\":[");
	for (int s = 0; s < k->nslots; s++)
		if (k->slots[s].skipped) {
			if (!first)
				buf_putc(b, ',');
			jname(b, k->r->items[chain_slot_item(&k->slots[s])].name);
			first = 0;
		}
	buf_putc(b, ']');
}

/* The lines for the applicant: each missing material once, with the items
 * needing it; then the form's mistakes. */
static void write_notice(buf *b, const combined *k, const form_errors *fe)
{
	const ot_rules *r = k->r;
	int first = 1;
	buf_puts(b, ",\"notice\":[");
	for (uint32_t m = 0; m < r->n_materials; m++) {
		if (k->status[m] != ASSESS_MISSING && k->status[m] != ASSESS_DEFERRED)
			continue;
		buf_puts(b, first ? "\"" : ",\"");
		buf_puts(b, k->status[m] == ASSESS_MISSING ? "缺少材料 missing: "
							  : "容缺后补 to be supplied before the decision: ");
		buf_json_str(b, r->materials[m].label ? r->materials[m].label : r->materials[m].name);
		if (k->status[m] == ASSESS_MISSING) {
			buf_puts(b, " (");
			need_list(b, k, (int)m);
			buf_putc(b, ')');
		}
		buf_putc(b, '"');
		first = 0;
	}
	for (int i = 0; i < fe->n; i++) {
		buf_puts(b, first ? "\"表单 form: " : ",\"表单 form: ");
		buf_json_str(b, fe->v[i].message);
		buf_putc(b, '"');
		first = 0;
	}
	buf_putc(b, ']');
}

static void write_answer(buf *b, const combined *k, const form_errors *fe,
			 const chain_assessment *out, ot_time now, int zone)
{
	const ot_rules *r = k->r;
	const m_chain *mc = &r->chains[k->chain];
	buf_puts(b, "{\"chain\":");
	jname(b, mc->name);
	buf_puts(b, ",\"label\":");
	buf_json_quoted(b, mc->label);
	buf_puts(b, ",\"stage\":");
	buf_json_quoted(b, k->stage >= 0 ? r->stages[mc->stages.first + (uint32_t)k->stage].name : NULL);
	buf_puts(b, out->complete ? ",\"complete\":true" : ",\"complete\":false");
	write_materials(b, k);
	write_form_errors(b, fe);
	if (out->hook.status == OT_EHOOK) {
		buf_puts(b, ",\"hook_error\":");
		buf_json_quoted(b, out->hook.message);
	}
	write_stages(b, r, mc);
	write_skipped(b, k);
	buf_puts(b, ",\"total_limit\":");
	if (mc->total_limit >= 0)
		buf_int(b, mc->total_limit);
	else
		buf_puts(b, "null");
	write_notice(b, k, fe);
	/* `due` last: a chain case keeps its notice without it once accepted,
	 * and api_chain.c (before_due) finds it here in the text */
	const m_calendar *cal = mc->calendar >= 0 ? &r->calendars[mc->calendar] : NULL;
	if (out->complete && cal && mc->total_limit >= 0) {
		char d[11];
		day_format(cal_add_workdays(cal, time_day(now, zone), mc->total_limit), d);
		buf_puts(b, ",\"due\":\"");
		buf_puts(b, d);
		buf_putc(b, '"');
	}
	buf_putc(b, '}');
}

/* The slots of the chain (or of one stage), in stage order, each as the
 * version of its item its case is of (`opened`: the chain case's slots,
 * in the same order -- chain_case_new's; NULL for a new chain), else the
 * one in force on `day` (-1: none is; refused_version tells, for a slot
 * that is assessed). */
static void scope_slots(combined *k, const chain_slot *opened, int nopened, int32_t day)
{
	const ot_rules *r = k->r;
	const m_chain *mc = &r->chains[k->chain];
	k->nslots = 0;
	for (uint32_t s = 0; s < mc->stages.count; s++) {
		const m_stage *st = &r->stages[mc->stages.first + s];
		for (uint32_t i = 0; i < st->items.count && k->nslots < CHAIN_MAX_ITEMS; i++) {
			chain_slot *sl = &k->slots[k->nslots++];
			memset(sl, 0, sizeof *sl);
			sl->stage = (int)(mc->stages.first + s);
			sl->item = r->ints[st->items.first + i];
			sl->pos = (int)i;
			sl->status = -1;
			int at = k->nslots - 1;
			sl->version = opened && at < nopened && opened[at].version >= 0
				? opened[at].version : item_in_force(r, sl->item, day);
		}
	}
}

/* Is the slot's stage in the scope, and one that decides `complete`? */
static int in_scope(const combined *k, const chain_slot *sl)
{
	uint32_t pos = (uint32_t)sl->stage - k->r->chains[k->chain].stages.first;
	return !sl->skipped && (k->stage < 0 || (int)pos == k->stage);
}

static int blocks(const combined *k, const chain_slot *sl)
{
	if (k->stage >= 0)
		return in_scope(k, sl);
	return k->r->stages[sl->stage].after.count == 0; /* the first stages */
}

/* A slot to be assessed whose item has no version in force on the day
 * of the assessment: the chain is refused, as an application for the
 * item alone would be that day (api.c, find_item).  OT_OK: none. */
static ot_status refused_version(const combined *k, int32_t day, ot_error *err)
{
	for (int s = 0; s < k->nslots; s++)
		if (k->slots[s].version < 0 && in_scope(k, &k->slots[s])) {
			char why[400];
			item_not_in_force(k->r, k->slots[s].item, day, why, sizeof why);
			return err_set(err, OT_EINVAL, "chain %s (stage %s): %s",
				       k->r->chains[k->chain].name, k->r->stages[k->slots[s].stage].name,
				       why);
		}
	return OT_OK;
}

/* Adds the errors of `from` that `into` does not have yet (one form, one
 * mistake told once, however many items found it). */
static void merge_errors(form_errors *into, const form_errors *from)
{
	for (int i = 0; i < from->n; i++) {
		int seen = 0;
		for (int j = 0; j < into->n && !seen; j++)
			seen = !strcmp(into->v[j].key, from->v[i].key) &&
			       !strcmp(into->v[j].message, from->v[i].message);
		if (seen || into->n >= MAX_FORM_ERRORS)
			continue;
		if (into->n == into->cap) {
			int cap = into->cap ? into->cap * 2 : 8;
			form_error *v = realloc(into->v, (size_t)cap * sizeof *v);
			if (!v)
				return;
			into->v = v;
			into->cap = cap;
		}
		into->v[into->n++] = from->v[i];
	}
}

static ot_status assess_slots(combined *k, const version *v, const application *app,
			      uint8_t *have, uint8_t *scratch, const material_sources *src,
			      int zone, chain_assessment *out, int *blocking, form_errors *fe,
			      ot_error *err)
{
	const ot_rules *r = k->r;
	uint32_t at = 0;
	for (int s = 0; s < k->nslots; s++) {
		const m_item *it = &r->items[chain_slot_item(&k->slots[s])];
		k->need_at[s] = at;
		if (!in_scope(k, &k->slots[s])) {
			memset(k->needs + at, ASSESS_NOT_REQUIRED, it->reqs.count);
			at += it->reqs.count;
			continue;
		}
		/* what earlier items issue: not looked up (the memo), not asked */
		issued_before_slots(r, k->chain, k->slots, k->nslots, s, k->issued);
		application a = *app;
		a.item = chain_slot_item(&k->slots[s]);
		a.needs = k->needs + at;
		a.quiet = 1;
		a.provided_flags = k->provided;
		a.values = k->values;
		a.values_form = k->values_form;
		form_errors mine = {0, 0, NULL};
		a.errors_out = &mine;
		assessment as;
		ot_status st = assess(v, &a, scratch, src, zone, &as, err);
		/* the hooks' checks of the item (validate) are told with the
		 * chain's notice; in a first stage they keep it from acceptance */
		*blocking |= mine.n && blocks(k, &k->slots[s]);
		merge_errors(fe, &mine);
		free(mine.v);
		if (as.hook.status == OT_EHOOK && out->hook.status == OT_OK)
			out->hook = as.hook;
		assessment_free(&as);
		if (st != OT_OK)
			return st;
		for (uint32_t m = 0; m < r->n_materials; m++)
			if (!have[m])
				have[m] = scratch[m];
		for (uint32_t i = 0; i < it->reqs.count; i++) {
			uint8_t *need = &k->needs[at + i];
			int m = r->reqs[it->reqs.first + i].material;
			if (*need != ASSESS_NOT_REQUIRED && k->issued[m])
				k->earlier[m] = 1;
			if (*need != ASSESS_NOT_REQUIRED && *need != ASSESS_SHARED && k->issued[m])
				*need = NEED_FROM_CHAIN; /* results flow forward */
			if (need_rank[*need] > need_rank[k->status[m]])
				k->status[m] = *need;
			*blocking |= *need == ASSESS_MISSING && blocks(k, &k->slots[s]);
		}
		at += it->reqs.count;
	}
	return OT_OK;
}

/* One block for the per-material and per-requirement arrays of k and mo;
 * *scratch: two more per-material arrays (an item's `have`, then the
 * provided flags).  NULL when out of memory.  Only the flags and statuses
 * are cleared: the memo's texts (over 800 bytes a material, most never
 * asked for) are written before they are read; find_issuers, assess_slots
 * and index_needs fill issuer, need_at and the lists of needs. */
static char *lay_out(combined *k, memo *mo, uint32_t nreq, uint8_t **scratch)
{
	uint32_t nm = k->r->n_materials + 1;
	size_t texts = (size_t)nm * (2 * sizeof(int) + sizeof(ot_error) + 32 + REF_CAP + 256) +
		       (CHAIN_MAX_ITEMS + 1) * sizeof(uint32_t) + 2 * ((size_t)nreq + 1) * sizeof(int);
	size_t flags = (size_t)nm * (3 + 2 + 3 + 1) + nreq + 1;
	char *mem = malloc(texts + flags), *p = mem;
	if (!mem)
		return NULL;
	memset(mem + texts, 0, flags);
	k->issuer = (int *)(void *)p, p += nm * sizeof(int);
	mo->shared_err = (ot_error *)(void *)p, p += nm * sizeof(ot_error);
	k->need_at = (uint32_t *)(void *)p, p += (CHAIN_MAX_ITEMS + 1) * sizeof(uint32_t);
	k->need_first = (int *)(void *)p, p += nm * sizeof(int);
	k->need_next = (int *)(void *)p, p += (nreq + 1) * sizeof(int);
	k->need_slot = (int *)(void *)p, p += (nreq + 1) * sizeof(int);
	mo->lib_case = (char (*)[32])p, p += nm * 32;
	mo->ref = (char (*)[REF_CAP])p, p += nm * REF_CAP;
	mo->why = (char (*)[256])p, p += nm * 256;
	mo->state = (uint8_t *)p, p += nm;
	mo->shared_got = (int8_t *)p, p += nm;
	mo->licence_got = (int8_t *)p, p += nm;
	mo->lib_found = (uint8_t *)p, p += nm;
	k->status = (uint8_t *)p, p += nm;
	k->issued = (uint8_t *)p, p += nm;
	k->earlier = (uint8_t *)p, p += nm;
	*scratch = (uint8_t *)p, p += 2 * nm;
	k->needs = (uint8_t *)p;
	mo->issued = k->issued;
	return mem;
}

/* Which slot of the scope issues each material (the first; -1: none).  A
 * slot left out (its `when` does not hold) issues nothing. */
static void find_issuers(combined *k)
{
	for (uint32_t m = 0; m <= k->r->n_materials; m++)
		k->issuer[m] = -1;
	for (int s = 0; s < k->nslots; s++) {
		const m_item *it = &k->r->items[chain_slot_item(&k->slots[s])];
		if (k->slots[s].skipped)
			continue;
		for (uint32_t i = 0; i < it->n_issued; i++)
			if (k->issuer[it->issued[i].material] < 0)
				k->issuer[it->issued[i].material] = s;
	}
}

/* What every item's assessment would read again, read once: the chain's
 * form (its mistakes into fe), which items it leaves out, the materials
 * handed in (as flags, into `provided`). */
static ot_status read_inputs(combined *k, const application *app, ev_value *values,
			     form_errors *fe, uint8_t *provided, ot_error *err)
{
	const ot_rules *r = k->r;
	const m_chain *mc = &r->chains[k->chain];
	int has = mc->form >= 0 && r->forms[mc->form].fields.count <= MAX_FIELDS;
	if (has)
		form_values(r, mc->form, json_is_object(app->form) ? app->form : NULL, values, fe);
	for (int s = 0; s < k->nslots; s++)
		k->slots[s].skipped = (uint8_t)!chain_slot_applies(r, &k->slots[s],
			has ? values : NULL, app->applicant_kind);
	k->provided = provided;
	k->values = has ? values : NULL;
	k->values_form = has ? mc->form : -1;
	size_t i;
	json_t *j;
	json_array_foreach(app->provided, i, j) {
		const char *name = json_string_value(j);
		int m = name ? strmap_get(&r->by_material, name, strlen(name)) : -1;
		if (m < 0)
			return err_set(err, OT_EINVAL, "unknown material '%.60s'",
				       name ? name : "(not a name)");
		provided[m] = 1;
	}
	return OT_OK;
}

ot_status chain_assess(const version *v, int chain, int stage, const application *app,
		       const chain_slot *opened, int nopened, uint8_t *have,
		       const material_sources *src, int zone, chain_assessment *out, ot_error *err)
{
	const ot_rules *r = v->rules;
	memset(out, 0, sizeof *out);
	/* not cleared: its slots (CHAIN_MAX_ITEMS of them) are set by
	 * scope_slots and read_inputs as far as nslots, the rest by lay_out */
	combined *k = malloc(sizeof *k);
	if (!k)
		return err_set(err, OT_ENOMEM, "out of memory");
	k->r = r;
	k->chain = chain;
	k->stage = stage;
	int32_t day = time_day(app->now, zone);
	scope_slots(k, opened, nopened, day);
	uint32_t nreq = 0;
	for (int s = 0; s < k->nslots; s++)
		nreq += r->items[chain_slot_item(&k->slots[s])].reqs.count;
	memo mo = {src, r, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
	uint8_t *scratch = NULL;
	char *mem = lay_out(k, &mo, nreq, &scratch);
	if (!mem) {
		free(k);
		return err_set(err, OT_ENOMEM, "out of memory");
	}
	material_sources msrc = {src && src->library ? memo_library : NULL,
				 src && src->shared ? memo_shared : NULL, &mo,
				 src && src->licence ? memo_licence : NULL};
	memset(have, 0, r->n_materials);
	ev_value values[MAX_FIELDS];
	form_errors fe = {0, 0, NULL}, all = {0, 0, NULL};
	ot_status st = read_inputs(k, app, values, &fe, scratch + r->n_materials + 1, err);
	int blocking = 0, form_wrong = fe.n; /* the chain's form: always in the way */
	merge_errors(&all, &fe);
	if (st == OT_OK) /* after read_inputs: which slots are left out */
		st = refused_version(k, day, err);
	if (st == OT_OK)
		find_issuers(k);
	if (st == OT_OK)
		st = assess_slots(k, v, app, have, scratch, &msrc, zone, out, &blocking, &all, err);
	if (st == OT_OK) {
		out->complete = !blocking && !form_wrong && out->hook.status != OT_EHOOK;
		index_needs(k);
		buf b;
		buf_init(&b, NULL, NULL);
		write_answer(&b, k, &all, out, app->now, zone);
		out->text = buf_steal(&b);
		if (!out->text)
			st = err_set(err, OT_ENOMEM, "out of memory writing the notice");
	}
	free(fe.v);
	free(all.v);
	free(mem);
	free(k);
	return st;
}
