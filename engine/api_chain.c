/*
 * api_chain.c -- the chain operations: assess and submit a chain, a
 * supplement or a withdrawal at chain level, show, and the chain following
 * its item cases.  What a chain case is and how its events change it is
 * chain.c's; this file decides and writes, in the operation's one
 * transaction (run_op, api.c): a stage transition that opens five item
 * cases happens fully or not at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "json_read.h"
#include "json_write.h"

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* name: the request's "chain" */
static ot_status find_chain(const ot_rules *r, const char *name, int *chain, ot_error *err)
{
	*chain = strmap_get(&r->by_chain, name, strlen(name));
	if (*chain >= 0)
		return OT_OK;
	const char *best = nearest_name(name, r->chains, r->n_chains, sizeof *r->chains, 2);
	return err_set(err, OT_ENOTFOUND, "there is no chain '%s'%s%s%s", MSG_QUOTE(name, 60),
		       best ? " — did you mean '" : "", best ? best : "", best ? "'?" : "");
}

/* The applicant against every item of the chain. */
static ot_status chain_applicant(const ot_rules *r, int chain, json_t *a, int *kind,
				 ot_error *err)
{
	const m_chain *mc = &r->chains[chain];
	*kind = -1;
	for (uint32_t s = 0; s < mc->stages.count; s++) {
		const m_stage *st = &r->stages[mc->stages.first + s];
		for (uint32_t i = 0; i < st->items.count; i++) {
			int k;
			ot_status x = api_applicant_of(&r->items[r->ints[st->items.first + i]], a, &k, err);
			if (x != OT_OK)
				return x;
			if (k >= 0)
				*kind = k;
		}
	}
	return OT_OK;
}

static json_t *array_or_empty(json_t *j)
{
	return json_is_array(j) ? json_incref(j) : json_array();
}

/* ---- assess ---- */

static ot_status stage_named(const ot_rules *r, int chain, const char *name, int *stage,
			     ot_error *err)
{
	const m_chain *mc = &r->chains[chain];
	*stage = -1;
	if (!name)
		return OT_OK;
	char known[256] = "";
	size_t n = 0;
	for (uint32_t s = 0; s < mc->stages.count; s++) {
		const char *sn = r->stages[mc->stages.first + s].name;
		if (strcmp(sn, name) == 0) {
			*stage = (int)s;
			return OT_OK;
		}
		if (n < sizeof known)
			n += (size_t)snprintf(known + n, sizeof known - n, "%s%s", n ? ", " : "", sn);
	}
	return err_set(err, OT_ENOTFOUND, "chain %s has no stage '%s' (its stages: %s)",
		       mc->name, MSG_QUOTE(name, 60), known);
}

ot_status chain_op_assess(ot_engine *e, req *q, ot_error *err)
{
	const version *v = &e->versions[0];
	int chain, stage, kind;
	json_t *applicant = json_object_get(q->j, "applicant");
	ot_status s = find_chain(v->rules, str(q->j, "chain"), &chain, err);
	if (s == OT_OK)
		s = stage_named(v->rules, chain, str(q->j, "stage"), &stage, err);
	if (s == OT_OK)
		s = chain_applicant(v->rules, chain, applicant, &kind, err);
	if (s != OT_OK)
		return s;
	uint8_t *have = calloc(v->rules->n_materials + 1, 1);
	json_t *mats = array_or_empty(json_object_get(q->j, "materials"));
	application app = {0, kind, str(applicant, "id"), str(applicant, "name"),
			   json_object_get(q->j, "form"), mats, q->now, "new", NULL, 0, NULL, 0};
	material_sources src = engine_sources(e);
	chain_assessment a;
	s = have ? chain_assess(v, chain, stage, &app, NULL, 0, have, &src, e->zone, &a, err)
		 : err_set(err, OT_ENOMEM, "out of memory");
	if (s == OT_OK)
		q->text = a.text;
	json_decref(mats);
	free(have);
	return s;
}

/* ---- opening item cases ---- */

/* The materials the applicant handed in to the chain, by name. */
static json_t *provided_list(const ot_case *c)
{
	const ot_rules *r = c->v->rules;
	json_t *a = json_array();
	for (uint32_t m = 0; m < r->n_materials; m++)
		if (c->have[m] == HAVE_PROVIDED)
			json_array_append_new(a, json_string(r->materials[m].name));
	return a;
}

/* The version of the slot's item an application made at `now` is for
 * (`in_force`, `replaces`): the item case is that application.  None in
 * force: the operation that would open it is refused, so that nothing is
 * written on rules that do not apply that day. */
static ot_status slot_version(const ot_case *c, const chain_slot *sl, ot_time now, int zone,
			      int *item, ot_error *err)
{
	const ot_rules *r = c->v->rules;
	int32_t day = time_day(now, zone);
	*item = item_in_force(r, sl->item, day);
	if (*item >= 0)
		return OT_OK;
	char why[400];
	item_not_in_force(r, sl->item, day, why, sizeof why);
	return err_set(err, OT_ESTATE, "chain case %s cannot open its item %s (stage %s): %s; "
		       "nothing was changed", c->id, r->items[sl->item].name, r->stages[sl->stage].name,
		       why);
}

/* Opens the item case of `slot`: the chain's form and materials assessed
 * for the item (what earlier items issued is in the licence library by
 * now), submitted as a case of its own that names the chain, of the
 * version of the item in force today. */
static ot_status open_item(ot_engine *e, const ot_case *c, int slot, const req *q,
			   json_t *opened, ot_error *err)
{
	ot_time now = q->now;
	int n, item;
	chain_slot *sl = &chain_slots(c, &n)[slot];
	ot_status s = slot_version(c, sl, now, e->zone, &item, err);
	if (s != OT_OK)
		return s;
	const version *v = c->v;
	const ot_rules *r = v->rules;
	json_t *mats = provided_list(c);
	uint8_t *have = calloc(r->n_materials + 1, 1);
	application app = {item, c->applicant_kind, str(c->applicant, "id"),
			   str(c->applicant, "name"), c->form, mats, now, "new", NULL, 0, NULL, 0};
	assessment a = {0};
	material_sources src = engine_sources(e);
	json_t *trace = api_trace(v, item), *ev = NULL, *resp = NULL;
	ot_case *ic = NULL;
	s = have ? assess(v, &app, have, &src, e->zone, &a, err)
		 : err_set(err, OT_ENOMEM, "out of memory");
	if (s == OT_OK && a.hook.status == OT_EHOOK)
		s = err_set(err, OT_EHOOK, "%s", a.hook.message);
	if (s == OT_OK && !(ic = case_new(v, item, "")))
		s = err_set(err, OT_ENOMEM, "out of memory");
	if (s == OT_OK &&
	    !(ev = api_assessed_event(r, "submit", q, have, &a, a.form, "chain", e->zone)))
		s = err_set(err, OT_ENOMEM, "out of memory");
	api_attach_trace(ev, trace);
	if (s == OT_OK) {
		json_object_set(ev, "applicant", c->applicant);
		json_object_set_new(ev, "chain", json_string(c->id));
		json_object_set_new(ev, "actor", json_string("chain"));
		s = api_record(e, ic, ev, q, 1, &resp, err);
	}
	if (s == OT_OK && ic->status == CS_IN_PROGRESS)
		s = api_remember(e, ic, now, err);
	if (s == OT_OK) {
		/* as the event's `opened` gives it on replay (chain.c, take_list) */
		sl->version = item;
		sl->status = ic->status;
		snprintf(sl->case_id, sizeof sl->case_id, "%s", ic->id);
		json_t *o = json_pack("{s:s, s:s, s:s}", "item", r->items[item].name, "case", ic->id,
				      "status", case_status_names[ic->status]);
		if (item != sl->item)
			json_object_set_new(o, "listed_as", json_string(r->items[sl->item].name));
		json_array_append_new(opened, o);
	}
	/* the trace is the event's, which goes now: hooks the chain runs
	 * after (its notice again) are not this case's */
	api_trace_end(v);
	json_decref(resp);
	json_decref(ev);
	case_free(ic);
	assessment_free(&a);
	json_decref(mats);
	free(have);
	return s;
}

static ot_status notice_again(ot_engine *e, ot_case *c, json_t *ev, const req *q,
			     ot_error *err);

/* Opens every item case that is ready, after ev was applied to c; they go
 * into ev as "opened", and c's status follows them.  Opened by an item
 * event (a later day than the chain's notice was made), a case may be of
 * a newer version that asks for more: the chain's notice follows. */
static ot_status open_ready(ot_engine *e, ot_case *c, json_t *ev, const req *q, ot_error *err)
{
	int ready[CHAIN_MAX_ITEMS];
	int n = chain_ready(c, ready, CHAIN_MAX_ITEMS);
	if (!n)
		return OT_OK;
	json_t *opened = json_array();
	ot_status s = OT_OK;
	for (int i = 0; i < n && s == OT_OK; i++)
		s = open_item(e, c, ready[i], q, opened, err);
	json_object_set_new(ev, "opened", opened);
	if (s == OT_OK)
		chain_settle(c, q->now);
	if (s == OT_OK && strcmp(str(ev, "op"), "item") == 0)
		s = notice_again(e, c, ev, q, err);
	return s;
}

/* Applies ev to the chain, opens what is ready, saves: one event (with who
 * wrote it, when a service says so, as api.c's record does). */
static ot_status chain_record(ot_engine *e, ot_case *c, json_t *ev, const req *q, int is_new,
			      json_t **resp, ot_error *err)
{
	if (str(q->j, "client"))
		json_object_set(ev, "client", json_object_get(q->j, "client"));
	if (json_object_get(q->j, "officer"))
		json_object_set(ev, "officer", json_object_get(q->j, "officer"));
	const char *target, *name;
	int32_t was = sweep_last_due(c, &target, &name);
	chain_hold_clock(c, 1);
	ot_status s = case_apply(c, ev, e->zone, err);
	chain_hold_clock(c, 0);
	if (s == OT_OK && is_new)
		s = store_next_id(e, q->now, c->id, err);
	if (s == OT_OK)
		s = open_ready(e, c, ev, q, err);
	if (s == OT_OK)
		chain_clock(c, q->now, e->zone);
	if (s == OT_OK)
		s = api_counted_dues(c, was, q->op, err);
	if (s == OT_OK)
		s = store_save(e, c, ev, case_text(c, e->zone), is_new, resp, err);
	return s;
}

/* ---- submit ---- */

static const char *chain_channel(const ot_rules *r, int chain, json_t *j, ot_error *err)
{
	const m_chain *mc = &r->chains[chain];
	const char *ch = str(j, "channel");
	if (!ch)
		return "hall"; /* the chain's one window (一窗受理) */
	if (strcmp(ch, "online") && strcmp(ch, "hall")) {
		err_set(err, OT_EINVAL, "\"channel\" is \"online\" or \"hall\", not '%s'", MSG_QUOTE(ch, 20));
		return NULL;
	}
	for (uint32_t s = 0; strcmp(ch, "online") == 0 && s < mc->stages.count; s++) {
		const m_stage *st = &r->stages[mc->stages.first + s];
		for (uint32_t i = 0; i < st->items.count; i++) {
			const m_item *it = &r->items[r->ints[st->items.first + i]];
			if (it->online == ONLINE_NONE) {
				err_set(err, OT_EINVAL, "chain %s cannot be applied for online: its item "
					"%s is handled at the hall only (online none)", mc->name, it->name);
				return NULL;
			}
		}
	}
	return ch;
}

/* The event of a chain assessment: submit or supplement. */
static json_t *chain_event(const ot_rules *r, const char *op, const req *q, const uint8_t *have,
			   const chain_assessment *a, json_t *form, const char *channel, int zone)
{
	char at[32];
	time_format(q->now, zone, at);
	json_t *notice = a->text ? json_read(a->text) : NULL; /* as assessed_event (api.c) */
	if (!notice && a->text)
		notice = json_loads(a->text, 0, NULL);
	if (!notice)
		return NULL;
	json_t *h = json_object();
	for (uint32_t m = 0; m < r->n_materials; m++)
		if (have[m])
			json_object_set_new(h, r->materials[m].name, json_string(model_have_names[have[m]]));
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:O, s:o, s:b, s:o}", "op", op, "at", at,
			       "actor", "applicant", "channel", channel, "form", form, "have", h,
			       "complete", a->complete, "notice", notice);
	if (ev && strcmp(op, "submit") == 0) /* how its clocks count (chain.c, chain_clock) */
		json_object_set_new(ev, "clocks", json_integer(CASE_CLOCKS));
	return ev;
}

ot_status chain_op_submit(ot_engine *e, req *q, json_t **resp, ot_error *err)
{
	const version *v = &e->versions[0];
	const ot_rules *r = v->rules;
	int chain, kind;
	json_t *applicant = json_object_get(q->j, "applicant");
	ot_status s = find_chain(r, str(q->j, "chain"), &chain, err);
	if (s == OT_OK)
		s = chain_applicant(r, chain, applicant, &kind, err);
	const char *channel = s == OT_OK ? chain_channel(r, chain, q->j, err) : NULL;
	if (s != OT_OK || !channel)
		return s != OT_OK ? s : err->status;
	json_t *form = json_object_get(q->j, "form");
	form = form ? json_incref(form) : json_object();
	json_t *mats = array_or_empty(json_object_get(q->j, "materials"));
	uint8_t *have = calloc(r->n_materials + 1, 1);
	application app = {0, kind, str(applicant, "id"), str(applicant, "name"), form, mats,
			   q->now, "new", NULL, 0, NULL, 0};
	material_sources src = engine_sources(e);
	chain_assessment a = {0};
	ot_case *c = NULL;
	json_t *ev = NULL;
	s = have ? chain_assess(v, chain, -1, &app, NULL, 0, have, &src, e->zone, &a, err)
		 : err_set(err, OT_ENOMEM, "out of memory");
	if (s == OT_OK && a.hook.status == OT_EHOOK)
		s = err_set(err, OT_EHOOK, "%s", a.hook.message); /* nothing is stored */
	if (s == OT_OK && !(c = chain_case_new(v, chain, "")))
		s = err_set(err, OT_ENOMEM, "out of memory");
	if (s == OT_OK && !(ev = chain_event(r, "submit", q, have, &a, form, channel, e->zone)))
		s = err_set(err, OT_ENOMEM, "out of memory");
	if (s == OT_OK) {
		json_object_set(ev, "applicant", applicant);
		e->chain_busy = 1;
		s = chain_record(e, c, ev, q, 1, resp, err);
		e->chain_busy = 0;
	}
	case_free(c);
	json_decref(ev);
	free(a.text);
	json_decref(form);
	json_decref(mats);
	free(have);
	return s;
}

/* ---- supplement ---- */

/* Is `name` in the list `key` of the notice? */
static int in_notice(json_t *notice, const char *key, const char *name)
{
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(notice, key), i, x)
		if (json_is_string(x) && strcmp(json_string_value(x), name) == 0)
			return 1;
	return 0;
}

/* The materials in `names` that item case ic asks for: those its notice
 * says are missing or deferred (容缺后补) -- or, when it waits for the
 * applicant (*waiting: a supplement, or corrections after a return), that
 * its item lists at all: a corrected paper replaces the one it had.  An
 * item case that cannot take a supplement now is asked for nothing: one
 * waiting for its acceptance decision (received) was complete when it was
 * received, and is decided on that (a supplement on it is refused, as on
 * any case); what the chain holds for it reaches it once it is accepted
 * (hand_on).  A new reference. */
static json_t *lacked_in(const ot_case *ic, json_t *names, int *waiting)
{
	const ot_rules *r = ic->v->rules;
	const m_item *it = &r->items[ic->item];
	json_t *out = json_array();
	int takes = ic->status == CS_NEEDS_SUPPLEMENT || ic->status == CS_RETURNED ||
		    ic->status == CS_IN_PROGRESS || ic->status == CS_SUSPENDED;
	*waiting = ic->status == CS_NEEDS_SUPPLEMENT || ic->status == CS_RETURNED;
	size_t i;
	json_t *n;
	json_array_foreach(names, i, n) {
		const char *name = json_string_value(n);
		int m = name ? strmap_get(&r->by_material, name, strlen(name)) : -1;
		if (m < 0 || !takes)
			continue;
		if (!*waiting) {
			if (ic->have[m] == HAVE_NONE && (in_notice(ic->notice, "missing", name) ||
							 in_notice(ic->notice, "deferred", name)))
				json_array_append(out, n);
			continue;
		}
		for (uint32_t k = 0; k < it->reqs.count; k++)
			if (r->reqs[it->reqs.first + k].material == m) {
				json_array_append(out, n);
				break;
			}
	}
	return out;
}

/* lacked_in for item case `id`, read from the store; NULL when it cannot
 * be read (err set). */
static json_t *lacked_by(ot_engine *e, const char *id, json_t *names, int *waiting,
			 ot_error *err)
{
	ot_case *ic;
	if (case_load(e, id, &ic, err) != OT_OK)
		return NULL;
	json_t *out = lacked_in(ic, names, waiting);
	case_free(ic);
	return out;
}

/* A chain-level supplement reaches every open item case that asks for what
 * it brings (lacked_by), and hands the form's changes to those waiting for
 * the applicant. */
/* An item case the papers were passed on to refused them (its hook, its
 * form): the applicant, who handed them to the chain or to another item
 * case, is told which. */
static void passed_on_refused(ot_error *err, const char *id, const m_item *it)
{
	char why[sizeof err->message];
	snprintf(why, sizeof why, "%s", err->message);
	err_set(err, err->status, "passing the papers on to item case %s (%s): %s", id,
		it->label ? it->label : it->name, why);
}

static ot_status reach_items(ot_engine *e, const req *q, ot_case *c, json_t *brought,
			     const char *except, json_t *reached, ot_error *err)
{
	int open[CHAIN_MAX_ITEMS], n = chain_open(c, open, CHAIN_MAX_ITEMS), ns;
	chain_slot *slots = chain_slots(c, &ns);
	const ot_rules *r = c->v->rules;
	json_t *patch = json_object_get(q->j, "form");
	ot_status s = OT_OK;
	for (int i = 0; i < n && s == OT_OK; i++) {
		chain_slot *sl = &slots[open[i]];
		int waiting = 0;
		if (except && strcmp(sl->case_id, except) == 0)
			continue; /* the item case the papers were handed to */
		json_t *mats = lacked_by(e, sl->case_id, brought, &waiting, err);
		if (!mats) {
			s = err->status;
			break;
		}
		json_t *j = json_pack("{s:s, s:o}", "case", sl->case_id, "materials", mats);
		if (waiting && json_object_size(patch))
			json_object_set(j, "form", patch);
		if (!json_array_size(mats) && !json_object_get(j, "form")) {
			json_decref(j);
			continue;
		}
		req sq = {"supplement", j, q->now, NULL};
		json_t *resp = NULL;
		s = api_supplement_item(e, &sq, &resp, err);
		store_forget_saved(e); /* the answer read as a value (store_save) */
		if (s != OT_OK && s != OT_ESTORE && s != OT_ENOMEM) /* which of them refused */
			passed_on_refused(err, sl->case_id, &r->items[chain_slot_item(sl)]);
		if (s == OT_OK) {
			json_array_append_new(reached, json_pack("{s:s, s:s, s:O}", "item",
				r->items[chain_slot_item(sl)].name, "case", sl->case_id, "status",
				json_object_get(resp, "status")));
		}
		json_decref(resp);
		json_decref(j);
	}
	return s;
}

/* The chain's form with a supplement's changes. */
static json_t *patched_form(json_t *form, json_t *patch)
{
	json_t *out = json_deep_copy(form);
	api_patch_form(out, patch);
	return out;
}

/* A started stage keeps the items it started with: its item cases run on
 * them, and a stage done is never opened again.  OT_ESTATE when `form`
 * would change them; `what` names the case whose form it is, `why` says
 * what it has to do with the chain ("" for the chain case). */
static ot_status stage_change_refused(const ot_case *c, json_t *form, const char *what,
				      const char *why, ot_error *err)
{
	const ot_rules *r = c->v->rules;
	int needed, changed = chain_form_change(c, form, &needed), ns;
	if (changed < 0)
		return OT_OK;
	const chain_slot *sl = &chain_slots(c, &ns)[changed];
	const m_item *it = &r->items[sl->item];
	const m_stage *st = &r->stages[sl->stage];
	return err_set(err, OT_ESTATE, "cannot change the form of %s so: %sitem %s (%s) would %s in "
		       "stage %s (%s), which has started; the items of a started stage stay as they "
		       "were when it started. To change them, withdraw the chain and apply again",
		       what, why, it->name, it->label ? it->label : it->name,
		       needed ? "be needed" : "no longer be needed", st->name,
		       st->label ? st->label : st->name);
}

/* The chain's notice on `form` and the materials `mats`, each item as the
 * version its case is of, the items ahead as the versions in force on
 * the day of the operation.  `lenient`, for an operation on an item case:
 * an item ahead with no version in force that day (between two versions)
 * is assessed as its stage lists it, so that the operation is not refused
 * for an item it does not touch; the chain's own operations are refused
 * (chain_assess), as an application for that item would be. */
static ot_status assess_again(ot_engine *e, const ot_case *c, json_t *form, json_t *mats,
			      const req *q, int lenient, uint8_t *have, chain_assessment *a,
			      ot_error *err)
{
	const ot_rules *r = c->v->rules;
	int n;
	const chain_slot *slots = chain_slots(c, &n);
	chain_slot *copy = lenient ? malloc(((size_t)n + 1) * sizeof *copy) : NULL;
	if (lenient && !copy)
		return err_set(err, OT_ENOMEM, "out of memory");
	int32_t day = time_day(q->now, e->zone);
	for (int i = 0; lenient && i < n; i++) {
		copy[i] = slots[i];
		int v = copy[i].version >= 0 ? copy[i].version : item_in_force(r, copy[i].item, day);
		copy[i].version = v >= 0 ? v : copy[i].item;
	}
	application app = {0, c->applicant_kind, str(c->applicant, "id"), str(c->applicant, "name"),
			   form, mats, q->now, case_status_names[c->status], NULL, 0, NULL, 0};
	material_sources src = engine_sources(e);
	ot_status s = chain_assess(c->v, c->chain, -1, &app, lenient ? copy : slots, n, have, &src,
				   e->zone, a, err);
	free(copy);
	return s;
}

/* The chain's notice made again on `form` and what it held with
 * `brought`, into a (its text) and have, as assess_again makes it. */
static ot_status notice_made(ot_engine *e, const ot_case *c, json_t *form, json_t *brought,
			     const req *q, int lenient, uint8_t *have, chain_assessment *a,
			     ot_error *err)
{
	json_t *mats = provided_list(c); /* what the chain had, and what comes now */
	json_array_extend(mats, brought);
	ot_status s = assess_again(e, c, form, mats, q, lenient, have, a, err);
	if (s == OT_OK && a->hook.status == OT_EHOOK && !lenient)
		s = err_set(err, OT_EHOOK, "%s", a->hook.message);
	json_decref(mats);
	return s;
}

/* The supplement event of notice a; NULL with err set when it cannot be
 * made.  The notice's `due` ("if accepted now") is kept only for the
 * supplement that makes the chain accepted, as for an item case. */
static json_t *notice_event(ot_engine *e, const ot_case *c, const chain_assessment *a,
			    const uint8_t *have, json_t *form, const req *q, const char *channel,
			    ot_error *err)
{
	json_t *ev = chain_event(c->v->rules, "supplement", q, have, a, form, channel, e->zone);
	if (!ev)
		err_set(err, OT_ENOMEM, "out of memory");
	if (ev && c->accepted) /* before: its due date is its own, not "if accepted now" */
		json_object_del(json_object_get(ev, "notice"), "due");
	return ev;
}

/* The supplement event of the chain: its notice assessed again on `form`
 * and what it held with `brought`; NULL with err set when it cannot be
 * made. */
static json_t *supplement_event(ot_engine *e, const ot_case *c, json_t *form, json_t *brought,
				const req *q, const char *channel, int lenient, ot_error *err)
{
	uint8_t *have = calloc(c->v->rules->n_materials + 1, 1);
	chain_assessment a = {0};
	json_t *ev = NULL;
	ot_status s = have ? notice_made(e, c, form, brought, q, lenient, have, &a, err)
			   : err_set(err, OT_ENOMEM, "out of memory");
	if (s == OT_OK)
		ev = notice_event(e, c, &a, have, form, q, channel, err);
	free(a.text);
	free(have);
	return ev;
}

/* How many bytes of a notice's text (n of them, the last its closing })
 * come before that } once its `due` is left out: the chain case keeps
 * the notice without it once it is accepted (notice_event).
 * chain_notice.c writes it last, as ,"due":"YYYY-MM-DD"} -- the bytes
 * before it, then the }, are the text of the notice without it. */
static size_t before_due(const char *text, size_t n)
{
	static const char key[] = ",\"due\":\"";
	const size_t tail = sizeof key - 1 + 10 + 2; /* the date, its quote and the } */
	if (n < tail || memcmp(text + n - tail, key, sizeof key - 1) != 0 || text[n - 2] != '"')
		return n - 1;
	return n - tail;
}

/* Does chain case c keep already what notice_again would write into its
 * event: the notice made now, `text`, and `have`?  Then the event says
 * nothing of them: chain_apply would take the same again.
 *
 * Why the notice is still made every time: whether it changes cannot be
 * told without making it.  It tells every item of the chain, not only
 * the item cases just opened -- the items ahead in the versions in force
 * today (an_item_ahead_between_versions_refuses_nothing), the licence and
 * material libraries as they are now (the approval that opened the cases
 * has just issued into them; a licence held may have expired since, for
 * an item opened or one ahead: a_licence_expired_since_*), and the hooks,
 * which read the case's `now` and status
 * (a_check_that_reads_the_day_is_told_again).  Making it is about a
 * quarter of what it cost (callgrind, bench-chain's walk); the rest --
 * reading it as JSON, writing it into the event, storing it -- is spared
 * when it did not change.
 *
 * Why this is exact: the kept notice written as text (json_text: the
 * bytes json_dumps writes, which read back as the same value) is the
 * text just made byte for byte, without the `due` the event would drop
 * (the chain is accepted: item cases open only then) -- so the notice
 * the event would carry is the one kept; and `have` is the same byte for
 * byte (its names in the event read back as these bytes).  A kept notice
 * with a `due` (that of the submission, or of the supplement that
 * accepted the chain) is never the same: the event drops it. */
static int keeps_notice(const ot_case *c, const char *text, const uint8_t *have)
{
	if (!c->accepted || !c->notice || json_object_get(c->notice, "due") ||
	    memcmp(c->have, have, c->v->rules->n_materials) != 0)
		return 0;
	size_t n = strlen(text);
	if (!n || text[n - 1] != '}')
		return 0;
	size_t body = before_due(text, n);
	char *kept = json_text(c->notice, JSON_COMPACT);
	int same = kept && strlen(kept) == body + 1 && memcmp(kept, text, body) == 0 &&
		   kept[body] == '}';
	free(kept);
	return same;
}

/* The chain's notice assessed again on what it holds, into its event ev
 * (`have`, `notice`, as a supplement's) and into c as chain_apply takes
 * them on replay: after item cases opened, what the chain waits for.
 * When the chain keeps that notice already, the event says nothing of
 * it (keeps_notice). */
static ot_status notice_again(ot_engine *e, ot_case *c, json_t *ev, const req *q,
			      ot_error *err)
{
	json_t *none = json_array(), *sev = NULL;
	uint8_t *have = calloc(c->v->rules->n_materials + 1, 1);
	chain_assessment a = {0};
	ot_status s = have && none ? notice_made(e, c, c->form, none, q, 1, have, &a, err)
				   : err_set(err, OT_ENOMEM, "out of memory");
	if (s == OT_OK && !keeps_notice(c, a.text, have) &&
	    !(sev = notice_event(e, c, &a, have, c->form, q, "item", err)))
		s = err->status;
	if (sev) {
		json_object_set(ev, "have", json_object_get(sev, "have"));
		json_object_set(ev, "notice", json_object_get(sev, "notice"));
		case_take_materials(c, ev);
	}
	json_decref(sev);
	json_decref(none);
	free(a.text);
	free(have);
	return s;
}

/* An item of the chain still to be decided -- its case open, or not
 * opened yet -- that takes papers at the hall only (online none): the
 * first such slot, -1 when none.  Papers handed in online must not reach
 * it, now or when it opens with what the chain holds. */
static int hall_only_ahead(const ot_case *c)
{
	const ot_rules *r = c->v->rules;
	int n;
	const chain_slot *slots = chain_slots(c, &n);
	for (int i = 0; i < n; i++) {
		const chain_slot *sl = &slots[i];
		int ahead = !sl->skipped && (sl->status < 0 || chain_item_open(sl->status));
		if (ahead && r->items[chain_slot_item(sl)].online == ONLINE_NONE)
			return i;
	}
	return -1;
}

/* What a chain-level supplement may not do, as an item's: OT_OK when it
 * may go on. */
static ot_status supplement_refused(const ot_case *c, const req *q, const char *channel,
				    ot_error *err)
{
	json_t *patch = json_object_get(q->j, "form");
	int waiting = c->status == CS_NEEDS_SUPPLEMENT || c->status == CS_RETURNED;
	if (!chain_item_open(c->status)) /* a chain's status reads like an item's */
		return err_set(err, OT_ESTATE, "cannot supplement chain case %s: it is %s", c->id,
			       case_status_names[c->status]);
	if (!waiting && json_object_size(patch))
		return err_set(err, OT_ESTATE, "chain case %s is %s: only materials can be added now; "
			       "the form can change while the chain waits for a supplement", c->id,
			       case_status_names[c->status]);
	if (!json_object_size(patch) && !json_array_size(json_object_get(q->j, "materials")))
		return err_set(err, OT_EINVAL, "a supplement hands in a material or changes the form; "
			       "this one does neither");
	if (strcmp(channel, "hall") && strcmp(channel, "online"))
		return err_set(err, OT_EINVAL, "\"channel\" is \"online\" or \"hall\", not '%s'",
			       MSG_QUOTE(channel, 20));
	int hall = strcmp(channel, "online") == 0 ? hall_only_ahead(c) : -1, ns;
	if (hall >= 0) { /* as a supplement online on that item is refused */
		const m_item *it = &c->v->rules->items[chain_slot_item(&chain_slots(c, &ns)[hall])];
		return err_set(err, OT_EINVAL, "cannot supplement chain case %s online: its item %s "
			       "(%s) is handled at the hall only (online none), and the papers would "
			       "reach it; hand them in at the chain's window (\"channel\": \"hall\")",
			       c->id, it->name, it->label ? it->label : it->name);
	}
	return OT_OK;
}

ot_status chain_op_supplement(ot_engine *e, req *q, ot_case *c, json_t **resp, ot_error *err)
{
	const char *channel = str(q->j, "channel") ? str(q->j, "channel") : "hall";
	ot_status s = supplement_refused(c, q, channel, err);
	if (s != OT_OK)
		return s;
	json_t *form = patched_form(c->form, json_object_get(q->j, "form"));
	char what[64];
	snprintf(what, sizeof what, "chain case %s", c->id);
	if (json_object_size(json_object_get(q->j, "form")))
		s = stage_change_refused(c, form, what, "", err);
	json_t *brought = array_or_empty(json_object_get(q->j, "materials"));
	json_t *ev = NULL, *reached = json_array();
	if (s == OT_OK && !(ev = supplement_event(e, c, form, brought, q, channel, 0, err)))
		s = err->status;
	e->chain_busy = 1;
	if (s == OT_OK)
		s = reach_items(e, q, c, brought, NULL, reached, err);
	if (s == OT_OK) {
		json_object_set(ev, "reached", reached);
		s = chain_record(e, c, ev, q, 0, resp, err);
	}
	e->chain_busy = 0;
	json_decref(reached);
	json_decref(ev);
	json_decref(form);
	json_decref(brought);
	return s;
}

/* Papers and form corrections the applicant handed in on item case ic
 * (its supplement, event ev) are the chain's too (一次提交, 多次复用): the
 * chain holds them, its notice is assessed again, and every other open
 * item case that asks for them gets them as from a chain-level
 * supplement; an item case opened later opens with them.  The chain's
 * event (channel `item`: the visit, if any, is the item case's) names
 * the case in `from`.  A form change that would change the items of a
 * started stage is refused as at chain level. */
static ot_status take_papers(ot_engine *e, ot_case *c, const ot_case *ic, json_t *ev,
			     const req *q, ot_error *err)
{
	json_t *patch = json_object_get(q->j, "form");
	json_t *form = patched_form(c->form, patch);
	char what[64], why[96];
	snprintf(what, sizeof what, "case %s", ic->id);
	snprintf(why, sizeof why, "it is an item case of chain case %s, and ", c->id);
	ot_status s = json_object_size(patch) ? stage_change_refused(c, form, what, why, err)
					      : OT_OK;
	json_t *brought = array_or_empty(json_object_get(q->j, "materials"));
	json_t *cev = NULL, *reached = json_array(), *resp = NULL;
	if (s == OT_OK && !(cev = supplement_event(e, c, form, brought, q, "item", 1, err)))
		s = err->status;
	if (s == OT_OK) {
		json_object_set_new(cev, "from", json_pack("{s:s, s:s, s:s?}", "item",
			ic->v->rules->items[ic->item].name, "case", ic->id, "channel",
			str(ev, "channel")));
		s = reach_items(e, q, c, brought, ic->id, reached, err);
	}
	if (s == OT_OK) {
		json_object_set(cev, "reached", reached);
		s = chain_record(e, c, cev, q, 0, &resp, err);
	}
	json_decref(resp);
	json_decref(reached);
	json_decref(cev);
	json_decref(form);
	json_decref(brought);
	return s;
}

/* ---- closing item cases ---- */

/* Writes `op` (not_needed, withdraw) into item case `id`; its entry goes
 * into `closed`. */
static ot_status close_item(ot_engine *e, const req *q, const char *op, const char *id,
			    const char *reason, json_t *closed, ot_error *err)
{
	ot_case *ic;
	json_t *resp = NULL;
	ot_status s = case_load(e, id, &ic, err);
	if (s != OT_OK)
		return s;
	json_t *ev = api_event(op, q, e->zone, "chain");
	json_object_set_new(ev, "reason", json_string(reason));
	s = api_record(e, ic, ev, q, 0, &resp, err);
	if (s == OT_OK) /* with its trips: all it had the applicant do stays counted */
		json_array_append_new(closed, json_pack("{s:s, s:s, s:s, s:i}", "item",
			ic->v->rules->items[ic->item].name, "case", ic->id, "status",
			case_status_names[ic->status], "trips", ic->trips));
	json_decref(resp);
	json_decref(ev);
	case_free(ic);
	return s;
}

ot_status chain_op_withdraw(ot_engine *e, req *q, ot_case *c, json_t **resp, ot_error *err)
{
	if (!chain_item_open(c->status))
		return err_set(err, OT_ESTATE, "cannot withdraw chain case %s: it is %s", c->id,
			       case_status_names[c->status]);
	int open[CHAIN_MAX_ITEMS], n = chain_open(c, open, CHAIN_MAX_ITEMS), ns;
	chain_slot *slots = chain_slots(c, &ns);
	json_t *closed = json_array();
	ot_status s = OT_OK;
	e->chain_busy = 1;
	for (int i = 0; i < n && s == OT_OK; i++)
		s = close_item(e, q, "withdraw", slots[open[i]].case_id,
			       "申请人撤回整件事 the applicant withdrew the chain", closed, err);
	json_t *ev = api_event("withdraw", q, e->zone, str(q->j, "actor"));
	if (str(q->j, "reason"))
		json_object_set_new(ev, "reason", json_string(str(q->j, "reason")));
	json_object_set(ev, "closed", closed);
	if (s == OT_OK)
		s = chain_record(e, c, ev, q, 0, resp, err);
	e->chain_busy = 0;
	json_decref(ev);
	json_decref(closed);
	return s;
}

/* ---- the chain follows its items ---- */

/* Item case ic, just accepted, gets what the chain holds that it defers:
 * papers handed to the chain while ic waited for its acceptance decision,
 * which could not reach it then (lacked_in).  They go into the chain's
 * event ev as "handed_on". */
static ot_status hand_on(ot_engine *e, const ot_case *c, const ot_case *ic, const req *q,
			 json_t *ev, json_t **answer, ot_error *err)
{
	int waiting;
	if (ic->stored_status != CS_RECEIVED)
		return OT_OK;
	json_t *held = provided_list(c), *mats = lacked_in(ic, held, &waiting);
	json_decref(held);
	ot_status s = OT_OK;
	if (json_array_size(mats)) {
		json_t *j = json_pack("{s:s, s:O}", "case", ic->id, "materials", mats);
		req sq = {"supplement", j, q->now, NULL};
		json_t *resp = NULL;
		s = j ? api_supplement_item(e, &sq, &resp, err)
		      : err_set(err, OT_ENOMEM, "out of memory");
		store_forget_saved(e); /* the answer read as a value (store_save) */
		if (s == OT_OK)
			json_object_set(ev, "handed_on", mats);
		if (s == OT_OK && answer) { /* the item case as it is now */
			json_decref(*answer);
			*answer = resp;
			resp = NULL;
		}
		json_decref(resp);
		json_decref(j);
	}
	json_decref(mats);
	return s;
}

/* Has item case ic moved since the chain last heard of it: its status,
 * or its trips (an in-person step, a supplement at the hall, a pickup:
 * the applicant's visits are the chain's, counted when they are made, so
 * that a denial or a withdrawal afterwards loses none of them)? */
static int item_moved(const ot_case *c, const ot_case *ic)
{
	int n;
	const chain_slot *slots = chain_slots(c, &n);
	for (int i = 0; i < n; i++)
		if (strcmp(slots[i].case_id, ic->id) == 0)
			return slots[i].status != (int)ic->status || slots[i].trips != ic->trips;
	return 1; /* not the chain's: chain_apply says the store is damaged */
}

/* The chain's `item` event for item case ic, which has moved: the items
 * it lets start opened, or on a denial the chain stopped. */
static ot_status follow_item(ot_engine *e, ot_case *c, const ot_case *ic, json_t *ev,
			     const req *op, json_t **answer, ot_error *err)
{
	const ot_rules *r = c->v->rules;
	req q = *op;
	ot_status s;
	json_t *cev = api_event("item", &q, e->zone, str(ev, "actor"));
	json_object_set_new(cev, "item", json_string(r->items[ic->item].name));
	json_object_set_new(cev, "case", json_string(ic->id));
	json_object_set_new(cev, "status", json_string(case_status_names[ic->status]));
	if (ic->status == CS_SUSPENDED && ic->procedure >= 0 && c->clocks >= CLOCKS_CHAIN_MAX) {
		char until[11]; /* the days its procedure keeps out end then (chain_clock) */
		day_format(ic->procedure_max_end, until);
		json_object_set_new(cev, "excluded_until", json_string(until));
	}
	json_object_set_new(cev, "trips", json_integer(ic->trips));
	const char *what = str(ev, "op");
	if (what && strcmp(what, "deliver") == 0 && ic->delivered && !strcmp(ic->delivered, "window"))
		json_object_set_new(cev, "pickup", json_true()); /* one visit a day: chain.c */
	/* why: a step's reason (a denial, a return), or the written reasons of
	 * a refusal to accept (不予受理): the chain's note when it stops */
	const char *reason = str(ev, "reason") ? str(ev, "reason") : str(ev, "reasons");
	if (reason)
		json_object_set_new(cev, "reason", json_string(reason));
	json_t *closed = json_array(), *resp = NULL;
	s = hand_on(e, c, ic, &q, cev, answer, err);
	if (s == OT_OK && chain_item_stops(ic->status)) {
		/* a denial, a refusal or a revocation stops the chain: the other
		 * open item cases are not needed, and say what happened */
		int open[CHAIN_MAX_ITEMS], n = chain_open(c, open, CHAIN_MAX_ITEMS), ns;
		chain_slot *slots = chain_slots(c, &ns);
		const char *label = r->items[ic->item].label ? r->items[ic->item].label
							     : r->items[ic->item].name;
		char why[256];
		if (ic->status == CS_REFUSED)
			snprintf(why, sizeof why, "不再需要 not needed: %s was not accepted (不予受理)", label);
		else if (ic->status == CS_REVOKED)
			snprintf(why, sizeof why, "不再需要 not needed: the approval of %s was revoked", label);
		else
			snprintf(why, sizeof why, "不再需要 not needed: %s was denied", label);
		for (int i = 0; i < n && s == OT_OK; i++)
			if (strcmp(slots[open[i]].case_id, ic->id) != 0)
				s = close_item(e, &q, "not_needed", slots[open[i]].case_id, why, closed,
					       err);
	}
	json_object_set(cev, "closed", closed);
	if (s == OT_OK)
		s = chain_record(e, c, cev, &q, 0, &resp, err);
	json_decref(resp);
	json_decref(closed);
	json_decref(cev);
	return s;
}

ot_status chain_follow(ot_engine *e, const ot_case *ic, json_t *ev, const req *op,
		       json_t **answer, ot_error *err)
{
	if (!ic->chain_id[0] || e->chain_busy)
		return OT_OK;
	ot_case *c;
	ot_status s = case_load(e, ic->chain_id, &c, err);
	if (s == OT_ENOTFOUND)
		return store_damaged(e, err, "case %s names chain case %s, which is not there", ic->id,
				     ic->chain_id);
	if (s != OT_OK)
		return s;
	req q = *op; /* the operation, at no earlier time than the chain's last event */
	if (q.now < c->last_at)
		q.now = c->last_at;
	e->chain_busy = 1;
	const char *what = str(ev, "op");
	/* the applicant's supplement (not the chain's); one made online stays
	 * the item case's while an item ahead takes papers at the hall only */
	const char *channel = str(ev, "channel");
	if (what && strcmp(what, "supplement") == 0 &&
	    !(channel && strcmp(channel, "online") == 0 && hall_only_ahead(c) >= 0))
		s = take_papers(e, c, ic, ev, &q, err);
	if (s == OT_OK && item_moved(c, ic))
		s = follow_item(e, c, ic, ev, &q, answer, err);
	e->chain_busy = 0;
	case_free(c);
	return s;
}

/* ---- show, list, overdue ---- */

ot_status chain_op_show(ot_engine *e, ot_case *c, json_t **resp, ot_error *err)
{
	json_t *history = NULL;
	ot_status s = store_events(e, c->id, 0, &history, err);
	if (s != OT_OK)
		return s;
	*resp = case_json(c, e->zone);
	json_object_set_new(*resp, "history", history);
	/* each open item case's current steps, read from the item case */
	size_t i, k;
	json_t *st, *it;
	json_array_foreach(json_object_get(*resp, "stages"), i, st)
		json_array_foreach(json_object_get(st, "items"), k, it) {
			const char *id = str(it, "case");
			ot_case *ic;
			if (!id)
				continue;
			if ((s = case_load(e, id, &ic, err)) != OT_OK)
				return s;
			json_t *cj = case_json(ic, e->zone);
			json_object_set(it, "current", json_object_get(cj, "current"));
			json_object_set(it, "due", json_object_get(cj, "due"));
			json_decref(cj);
			case_free(ic);
		}
	return OT_OK;
}

json_t *chain_summary(json_t *c)
{
	json_t *current = json_array();
	size_t i;
	json_t *st;
	json_array_foreach(json_object_get(c, "current"), i, st)
		json_array_append(current, json_object_get(st, "stage"));
	json_t *a = json_object_get(c, "applicant");
	return json_pack("{s:O, s:O, s:O, s:O?, s:O?, s:O, s:o}", "id", json_object_get(c, "id"),
			 "chain", json_object_get(c, "chain"), "status", json_object_get(c, "status"),
			 "applicant", json_object_get(a, "name"), "applicant_id",
			 json_object_get(a, "id"), "due", json_object_get(c, "due"), "current",
			 current);
}

json_t *chain_overdue(json_t *c, const char *today)
{
	const char *due = str(c, "due");
	json_t *late = json_array();
	size_t i;
	json_t *st;
	json_array_foreach(json_object_get(c, "current"), i, st) {
		const char *sd = str(st, "due");
		if (sd && strcmp(sd, today) < 0)
			json_array_append_new(late, json_pack("{s:O, s:O, s:s}", "stage",
				json_object_get(st, "stage"), "department",
				json_object_get(st, "department"), "due", sd));
	}
	int chain_late = due && strcmp(due, today) < 0;
	if (!chain_late && !json_array_size(late)) {
		json_decref(late);
		return NULL;
	}
	return json_pack("{s:O, s:O, s:O, s:b, s:o}", "id", json_object_get(c, "id"), "chain",
			 json_object_get(c, "chain"), "due", json_object_get(c, "due"), "overdue",
			 chain_late, "stages", late);
}
