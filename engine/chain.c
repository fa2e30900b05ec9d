/*
 * chain.c -- a chain case (一件事 / 全链条): one application for the items
 * of a chain, its stages, the item cases it opens, and the combined
 * one-time notice.
 *
 * A chain case is an ot_case with chain >= 0 and item -1.  Its state is
 * rebuilt from its own events, like an item's (chain_apply is the only
 * code that changes it):
 *   submit     channel, applicant, form, have, complete, notice, opened
 *   supplement channel, form, have, complete, notice, reached, opened; from
 *              (an item case the applicant handed them to: channel `item`)
 *   item       item, case, status, trips, reason, closed, opened: an item
 *              case moved (its status, or its trips: a visit of the applicant);
 *              have, notice: the chain's notice made again, when it opened
 *              cases and the notice is not the one the chain keeps;
 *              pickup: its result was collected at the window
 *   withdraw   reason, closed
 * `opened` lists the item cases the operation opened ({item, case,
 * status, listed_as}); `closed` those it closed as not needed (a denial)
 * or withdrew, each with its trips; `reached` those a chain-level
 * supplement reached.  `item` is the item of the case: the version in
 * force on the day it was opened (`in_force`, `replaces`), which is why
 * it is written down and never recomputed; `listed_as`, when it is
 * another version, the item as the stage lists it.  Which stages start
 * and when is recomputed on replay: it follows from the items' statuses
 * and the pinned rule version alone.
 *
 * Ownership: the chain_state belongs to its case (case_free frees it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

enum { STAGE_WAITING, STAGE_ACTIVE, STAGE_DONE };
static const char *const stage_states[] = {"waiting", "active", "done", "stopped"};

typedef struct chain_stage_state {
	uint8_t state;
	ot_time started, finished;
	int32_t due; /* -1: no limit */
} chain_stage_state;

struct chain_state {
	int nslots;
	chain_slot *slots;
	chain_stage_state *stages; /* by position in the chain */
	int withdrawn;
	/* results collected at the window (一窗出件): those of one day are one
	 * visit.  The chain's events come in time order, so a day's pickups
	 * follow each other: the last one's day is enough */
	int32_t last_pickup;       /* INT32_MIN: none yet */
	int pickups_joined;        /* pickups on a day that had one already */
	case_status before;        /* the status before the event being applied */
	int32_t pause_end;         /* paused: the last day it stands still, as far
				    * as its items' special procedures keep days
				    * out (INT32_MAX: until it goes on) */
	int32_t pause_from;        /* paused: the day it began (paused_since's) */
	int clock_held;            /* an operation's: the clocks follow after it
				    * opens item cases (chain_clock) */
	char row_item[300];        /* "chain:NAME" */
};

static const m_chain *chain_of(const ot_case *c)
{
	return &c->v->rules->chains[c->chain];
}

static const m_calendar *chain_calendar(const ot_case *c)
{
	int cal = chain_of(c)->calendar;
	return cal >= 0 ? &c->v->rules->calendars[cal] : NULL;
}

void chain_state_free(struct chain_state *cs)
{
	if (!cs)
		return;
	free(cs->slots);
	free(cs->stages);
	free(cs);
}

struct chain_state *chain_state_clone(const ot_case *c)
{
	const struct chain_state *cs = c->cs;
	uint32_t nstages = chain_of(c)->stages.count;
	struct chain_state *d = malloc(sizeof *d);
	if (!d)
		return NULL;
	*d = *cs;
	d->slots = malloc(((size_t)cs->nslots + 1) * sizeof *d->slots);
	d->stages = malloc((nstages + 1) * sizeof *d->stages);
	if (!d->slots || !d->stages) {
		chain_state_free(d);
		return NULL;
	}
	memcpy(d->slots, cs->slots, ((size_t)cs->nslots + 1) * sizeof *d->slots);
	memcpy(d->stages, cs->stages, (nstages + 1) * sizeof *d->stages);
	return d;
}

ot_case *chain_case_new(const version *v, int chain, const char *id)
{
	const ot_rules *r = v->rules;
	const m_chain *mc = &r->chains[chain];
	ot_case *c = calloc(1, sizeof *c);
	struct chain_state *cs = calloc(1, sizeof *cs);
	int n = 0;
	for (uint32_t s = 0; s < mc->stages.count; s++)
		n += (int)r->stages[mc->stages.first + s].items.count;
	if (c) {
		c->cs = cs;
		c->have = calloc(r->n_materials + 1, 1);
		c->form = json_object();
		c->reused = json_object();
		c->hooks = json_array();
	}
	if (cs) {
		cs->slots = calloc((size_t)n + 1, sizeof *cs->slots);
		cs->stages = calloc(mc->stages.count + 1, sizeof *cs->stages);
	}
	if (!c || !cs || !c->have || !c->form || !c->reused || !c->hooks || !cs->slots ||
	    !cs->stages) {
		if (c)
			case_free(c);
		else
			chain_state_free(cs);
		return NULL;
	}
	snprintf(c->id, sizeof c->id, "%s", id);
	snprintf(cs->row_item, sizeof cs->row_item, "chain:%s", mc->name);
	c->v = v;
	c->item = -1;
	c->chain = chain;
	c->due = -1;
	c->returned_step = -1;
	c->applicant_kind = -1;
	c->stored_status = -1;
	c->status = CS_NEEDS_SUPPLEMENT;
	cs->last_pickup = INT32_MIN;
	cs->pause_end = INT32_MAX;
	for (uint32_t s = 0; s < mc->stages.count; s++) {
		const m_stage *st = &r->stages[mc->stages.first + s];
		cs->stages[s].due = -1;
		for (uint32_t i = 0; i < st->items.count; i++) {
			chain_slot *sl = &cs->slots[cs->nslots++];
			sl->stage = (int)(mc->stages.first + s);
			sl->item = r->ints[st->items.first + i];
			sl->version = -1;
			sl->pos = (int)i;
			sl->status = -1;
			sl->excluded_until = INT32_MAX;
		}
	}
	return c;
}

chain_slot *chain_slots(const ot_case *c, int *n)
{
	*n = c->cs->nslots;
	return c->cs->slots;
}

int chain_slot_of(const ot_case *c, int item)
{
	for (int i = 0; i < c->cs->nslots; i++)
		if (c->cs->slots[i].item == item)
			return i;
	return -1;
}

/* ---- stages ---- */

/* What an item case's status means for its chain: the one place that
 * sorts them (a status added to case_status is sorted here). */
int chain_item_open(int status)
{
	return status == CS_NEEDS_SUPPLEMENT || status == CS_IN_PROGRESS ||
	       status == CS_RETURNED || status == CS_SUSPENDED ||
	       status == CS_RECEIVED; /* waiting for the acceptance decision */
}

int chain_item_done(int status)
{
	/* CS_CHECKING: approved on a pledge (告知承诺), only its check is left */
	return status == CS_APPROVED || status == CS_CLOSED || status == CS_CHECKING;
}

int chain_item_stops(int status)
{
	/* not accepted (不予受理), or an approval revoked: as a denial */
	return status == CS_DENIED || status == CS_REFUSED || status == CS_REVOKED;
}

static int slot_done(const chain_slot *sl)
{
	return sl->skipped || (!sl->not_needed && chain_item_done(sl->status));
}

int chain_slot_applies(const ot_rules *r, const chain_slot *sl, const ev_value *values,
		       int applicant_kind)
{
	const m_stage *st = &r->stages[sl->stage];
	int x = st->conds.count ? r->ints[st->conds.first + (uint32_t)sl->pos] : -1;
	if (x < 0)
		return 1;
	ev_value stack[64];
	const char *why = NULL;
	eval_env env = {applicant_kind, NULL, NULL};
	const m_expr *e = &r->exprs[x];
	/* no hook can be called here (the checker refuses lua.NAME): a
	 * condition that cannot be decided leaves the item in */
	return e->depth > (int)OT_COUNTOF(stack) || eval_cond(r, e, values, &env, stack, &why) != 0;
}

/* The position of stage `stage` (a global index) in its chain. */
static uint32_t stage_pos(const ot_case *c, int stage)
{
	return (uint32_t)stage - chain_of(c)->stages.first;
}

/* The chain's form read as values; NULL when the chain has none (or one
 * too large to read). */
static const ev_value *chain_values(const ot_case *c, json_t *form, ev_value *values)
{
	const ot_rules *r = c->v->rules;
	const m_chain *mc = chain_of(c);
	form_errors fe = {0, 0, NULL};
	if (mc->form < 0 || r->forms[mc->form].fields.count > MAX_FIELDS)
		return NULL;
	form_values(r, mc->form, json_is_object(form) ? form : NULL, values, &fe);
	free(fe.v);
	return values;
}

/* Which items the chain needs, by their `when` on the form as it is now:
 * the items of the stages not started yet.  An item case already opened
 * stays; a started stage keeps the items it started with (a form change
 * that would change them is refused: chain_form_change). */
static void decide_items(ot_case *c)
{
	ev_value vals[MAX_FIELDS];
	const ev_value *values = chain_values(c, c->form, vals);
	for (int i = 0; i < c->cs->nslots; i++) {
		chain_slot *sl = &c->cs->slots[i];
		if (sl->status < 0 && c->cs->stages[stage_pos(c, sl->stage)].state == STAGE_WAITING)
			sl->skipped = (uint8_t)!chain_slot_applies(c->v->rules, sl, values,
								   c->applicant_kind);
	}
}

int chain_form_change(const ot_case *c, json_t *form, int *needed)
{
	ev_value vals[MAX_FIELDS];
	const ev_value *values = chain_values(c, form, vals);
	for (int i = 0; i < c->cs->nslots; i++) {
		const chain_slot *sl = &c->cs->slots[i];
		if (c->cs->stages[stage_pos(c, sl->stage)].state == STAGE_WAITING)
			continue;
		int applies = chain_slot_applies(c->v->rules, sl, values, c->applicant_kind);
		if (applies == (int)sl->skipped) {
			*needed = applies;
			return i;
		}
	}
	return -1;
}

static int slot_open(const chain_slot *sl)
{
	return sl->status >= 0 && chain_item_open(sl->status);
}

static void start_stage(ot_case *c, uint32_t s, ot_time at, int zone)
{
	const m_stage *st = &c->v->rules->stages[chain_of(c)->stages.first + s];
	const m_calendar *cal = chain_calendar(c);
	chain_stage_state *ss = &c->cs->stages[s];
	ss->state = STAGE_ACTIVE;
	ss->started = at;
	ss->due = st->within >= 0 && cal ? cal_add_workdays(cal, time_day(at, zone), st->within) : -1;
}

/* Finishes the started stages whose items are all done, then starts every
 * stage whose `after` stages are all done (以前一阶段办结为下一阶段启动条件);
 * again until nothing changes: a stage all of whose items are left out
 * (their `when` does not hold) is done as soon as it starts. */
static void advance(ot_case *c, ot_time at, int zone)
{
	const ot_rules *r = c->v->rules;
	const m_chain *mc = chain_of(c);
	struct chain_state *cs = c->cs;
	for (int changed = 1; changed;) {
		changed = 0;
		for (uint32_t s = 0; s < mc->stages.count; s++) {
			if (cs->stages[s].state != STAGE_ACTIVE)
				continue;
			int all = 1;
			for (int i = 0; i < cs->nslots && all; i++)
				if (stage_pos(c, cs->slots[i].stage) == s)
					all = slot_done(&cs->slots[i]);
			if (all) {
				cs->stages[s].state = STAGE_DONE;
				cs->stages[s].finished = at;
				changed = 1;
			}
		}
		for (uint32_t s = 0; s < mc->stages.count; s++) {
			const m_stage *st = &r->stages[mc->stages.first + s];
			if (cs->stages[s].state != STAGE_WAITING)
				continue;
			int ready = 1;
			for (uint32_t a = 0; a < st->after.count && ready; a++)
				ready = cs->stages[r->ints[st->after.first + a]].state == STAGE_DONE;
			if (ready) {
				start_stage(c, s, at, zone);
				changed = 1;
			}
		}
	}
}

static void accept_chain(ot_case *c, ot_time at, int zone)
{
	const m_calendar *cal = chain_calendar(c);
	int32_t limit = chain_of(c)->total_limit;
	c->accepted = at;
	/* 次日起算: the limit counts from the working day after acceptance */
	c->due = limit >= 0 && cal ? cal_add_workdays(cal, time_day(at, zone), limit) : -1;
	advance(c, at, zone);
}

int chain_ready(const ot_case *c, int *out, int max)
{
	const ot_rules *r = c->v->rules;
	const struct chain_state *cs = c->cs;
	int n = 0;
	if (!c->accepted || c->status == CS_DENIED || cs->withdrawn)
		return 0;
	for (int i = 0; i < cs->nslots && n < max; i++) {
		const chain_slot *sl = &cs->slots[i];
		const m_stage *st = &r->stages[sl->stage];
		if (sl->status >= 0 || sl->skipped ||
		    cs->stages[stage_pos(c, sl->stage)].state != STAGE_ACTIVE)
			continue;
		uint32_t waits = st->waits.count ? (uint32_t)r->ints[st->waits.first + (uint32_t)sl->pos] : 0;
		int ok = 1;
		for (int j = 0; j < cs->nslots && ok; j++)
			if (cs->slots[j].stage == sl->stage && waits >> cs->slots[j].pos & 1)
				ok = slot_done(&cs->slots[j]);
		if (ok)
			out[n++] = i;
	}
	return n;
}

int chain_open(const ot_case *c, int *out, int max)
{
	int n = 0;
	for (int i = 0; i < c->cs->nslots && n < max; i++)
		if (slot_open(&c->cs->slots[i]))
			out[n++] = i;
	return n;
}

/* Is stage a (a position) done before stage b starts: one of b's `after`
 * stages, or one of theirs? */
static int stage_before(const ot_rules *r, const m_chain *mc, uint32_t a, uint32_t b, int depth)
{
	const m_stage *st = &r->stages[mc->stages.first + b];
	for (uint32_t i = 0; i < st->after.count && depth < 256; i++) {
		uint32_t p = (uint32_t)r->ints[st->after.first + i];
		if (p == a || stage_before(r, mc, a, p, depth + 1))
			return 1;
	}
	return 0;
}

void issued_before_slots(const ot_rules *r, int chain, const chain_slot *slots, int nslots,
			 int slot, uint8_t *flags)
{
	const m_chain *mc = &r->chains[chain];
	const chain_slot *me = &slots[slot];
	const m_stage *st = &r->stages[me->stage];
	uint32_t waits = st->waits.count ? (uint32_t)r->ints[st->waits.first + (uint32_t)me->pos] : 0;
	memset(flags, 0, r->n_materials);
	for (int i = 0; i < nslots; i++) {
		const chain_slot *o = &slots[i];
		if (o->skipped)
			continue; /* left out: it issues nothing */
		int before = o->stage == me->stage
			? (int)(waits >> o->pos & 1)
			: stage_before(r, mc, (uint32_t)o->stage - mc->stages.first,
				       (uint32_t)me->stage - mc->stages.first, 0);
		const m_item *it = &r->items[chain_slot_item(o)];
		for (uint32_t k = 0; before && k < it->n_issued; k++)
			flags[it->issued[k].material] = 1;
	}
}

void chain_issued_before(const ot_case *c, int slot, uint8_t *flags)
{
	issued_before_slots(c->v->rules, c->chain, c->cs->slots, c->cs->nslots, slot, flags);
}

/* A started stage of a chain that goes on: a denied or withdrawn chain
 * stops its running stages (shown as "stopped", in no list of work). */
static int stage_running(const ot_case *c, uint32_t s)
{
	return c->cs->stages[s].state == STAGE_ACTIVE && c->status != CS_DENIED &&
	       c->status != CS_WITHDRAWN;
}

/* ---- status, from the items ---- */

/* denied if an item was; waiting for the applicant if the chain is not yet
 * accepted or an item case waits for a supplement; approved when every
 * stage is done, closed when every result has been handed over too. */
static case_status derive(const ot_case *c)
{
	const struct chain_state *cs = c->cs;
	const m_chain *mc = chain_of(c);
	if (cs->withdrawn)
		return CS_WITHDRAWN;
	int denied = 0, waiting = 0, returned = 0, suspended = 0, running = 0, closed = 1;
	for (int i = 0; i < cs->nslots; i++) {
		const chain_slot *sl = &cs->slots[i];
		if (sl->skipped)
			continue;
		denied |= chain_item_stops(sl->status);
		waiting |= sl->status == CS_NEEDS_SUPPLEMENT;
		returned |= sl->status == CS_RETURNED;
		suspended |= sl->status == CS_SUSPENDED;
		running |= sl->status == CS_IN_PROGRESS || sl->status == CS_RECEIVED;
		closed &= sl->status == CS_CLOSED && !sl->not_needed;
	}
	if (denied)
		return CS_DENIED;
	if (!c->accepted)
		return CS_NEEDS_SUPPLEMENT;
	int done = 1;
	for (uint32_t s = 0; s < mc->stages.count; s++)
		done &= cs->stages[s].state == STAGE_DONE;
	if (done)
		return closed ? CS_CLOSED : CS_APPROVED;
	if (returned)
		return CS_RETURNED;
	if (waiting)
		return CS_NEEDS_SUPPLEMENT;
	if (suspended && !running)
		return CS_SUSPENDED;
	return CS_IN_PROGRESS;
}

/* ---- events ---- */

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int status_named(const char *name)
{
	for (int k = 0; name && k < CS__COUNT; k++)
		if (strcmp(case_status_names[k], name) == 0)
			return k;
	return -1;
}

static int slot_by_case(const ot_case *c, const char *id)
{
	for (int i = 0; id && i < c->cs->nslots; i++)
		if (strcmp(c->cs->slots[i].case_id, id) == 0)
			return i;
	return -1;
}

static int slot_by_item(const ot_case *c, const char *name)
{
	const ot_rules *r = c->v->rules;
	int item = name ? strmap_get(&r->by_item, name, strlen(name)) : -1;
	return item >= 0 ? chain_slot_of(c, item) : -1;
}

/* The first version of the item (the one nothing before it replaces). */
static int first_version(const ot_rules *r, int item)
{
	for (uint32_t guard = 0; r->items[item].replaces >= 0 && guard < r->n_items; guard++)
		item = r->items[item].replaces;
	return item;
}

/* `opened`, `reached`, `closed`: [{item, case, status, listed_as}] into
 * the slots.  `item` is the item of the case, the version in force when
 * it was opened; `listed_as` the item as the stage lists it, when that is
 * another version.  A case the chain opened before is found by its id. */
static ot_status take_list(ot_case *c, json_t *list, int not_needed, ot_error *err)
{
	const ot_rules *r = c->v->rules;
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x) {
		const char *name = str(x, "item"), *listed = str(x, "listed_as");
		int slot = slot_by_case(c, str(x, "case"));
		if (slot < 0)
			slot = slot_by_item(c, listed ? listed : name);
		int item = name ? strmap_get(&r->by_item, name, strlen(name)) : -1;
		int status = status_named(str(x, "status"));
		if (slot < 0 || status < 0 || !str(x, "case") || item < 0 ||
		    first_version(r, item) != first_version(r, c->cs->slots[slot].item))
			return err_set(err, OT_ESTORE, "case %s: event %d names an item case that does "
				       "not fit the chain", c->id, c->events + 1);
		chain_slot *sl = &c->cs->slots[slot];
		snprintf(sl->case_id, sizeof sl->case_id, "%s", str(x, "case"));
		sl->version = item;
		sl->status = status;
		sl->not_needed = (uint8_t)(not_needed && status == CS_CLOSED);
		if (json_is_integer(json_object_get(x, "trips"))) /* closed: the case's last word */
			sl->trips = (int)json_integer_value(json_object_get(x, "trips"));
	}
	return OT_OK;
}

/* A result collected at the window on `day`: the item case counted the
 * visit; the chain counts one a day however many results it collected. */
static void take_pickup(struct chain_state *cs, int32_t day)
{
	cs->pickups_joined += cs->last_pickup == day;
	cs->last_pickup = day;
}

static void set_json(json_t **slot, json_t *value)
{
	json_decref(*slot);
	*slot = json_incref(value);
}

ot_status chain_apply(ot_case *c, const char *op, json_t *ev, ot_time at, int zone,
		      ot_error *err)
{
	int complete = json_is_true(json_object_get(ev, "complete"));
	ot_status st = OT_OK;
	c->cs->before = c->status;
	if (strcmp(op, "submit") == 0) {
		set_json(&c->applicant, json_object_get(ev, "applicant"));
		const char *kind = str(c->applicant, "kind");
		c->applicant_kind = !kind ? -1 : strcmp(kind, "company") == 0 ? EV_COMPANY : EV_PERSON;
		json_t *clocks = json_object_get(ev, "clocks");
		c->clocks = clocks ? (int)json_integer_value(clocks) : 1;
		case_take_materials(c, ev);
		decide_items(c);
		c->submitted = at;
		if (complete)
			accept_chain(c, at, zone);
	} else if (strcmp(op, "supplement") == 0) {
		case_take_materials(c, ev);
		decide_items(c);
		if (complete && !c->accepted)
			accept_chain(c, at, zone);
		st = take_list(c, json_object_get(ev, "reached"), 0, err);
	} else if (strcmp(op, "item") == 0) {
		int slot = slot_by_case(c, str(ev, "case"));
		int status = status_named(str(ev, "status"));
		if (slot < 0 || status < 0)
			return err_set(err, OT_ESTORE, "case %s: event %d is about an item case the "
				       "chain did not open", c->id, c->events + 1);
		int32_t until;
		const char *excluded = str(ev, "excluded_until");
		c->cs->slots[slot].status = status;
		c->cs->slots[slot].excluded_until =
			status == CS_SUSPENDED && excluded && day_parse(excluded, &until) ? until : INT32_MAX;
		c->cs->slots[slot].trips = (int)json_integer_value(json_object_get(ev, "trips"));
		if (json_is_true(json_object_get(ev, "pickup")))
			take_pickup(c->cs, time_day(at, zone));
		if (json_object_get(ev, "notice")) /* made again as item cases opened, and changed */
			case_take_materials(c, ev);
		if (chain_item_stops(status) && json_object_get(ev, "reason"))
			set_json(&c->note, json_object_get(ev, "reason"));
		st = take_list(c, json_object_get(ev, "closed"), 1, err);
		if (st == OT_OK && !chain_item_stops(status))
			advance(c, at, zone);
	} else if (strcmp(op, "withdraw") == 0) {
		c->cs->withdrawn = 1;
		c->closed = at;
		if (json_object_get(ev, "reason"))
			set_json(&c->note, json_object_get(ev, "reason"));
		st = take_list(c, json_object_get(ev, "closed"), 0, err);
	} else
		return err_set(err, OT_ESTORE, "case %s: unknown chain event '%s'", c->id, op);
	if (st == OT_OK)
		st = take_list(c, json_object_get(ev, "opened"), 0, err);
	if (st != OT_OK)
		return st;
	chain_settle(c, at);
	if (!c->cs->clock_held)
		chain_clock(c, at, zone);
	return OT_OK;
}

void chain_hold_clock(ot_case *c, int hold)
{
	c->cs->clock_held = hold;
}

/* Whether the chain's clocks stand still: it waits for the applicant (an
 * item case returned or waiting for a supplement) or every item case
 * running is suspended -- as an item case's do (engine.md §2). */
static int chain_paused(const ot_case *c)
{
	return c->accepted && (c->status == CS_RETURNED || c->status == CS_NEEDS_SUPPLEMENT ||
			       c->status == CS_SUSPENDED);
}

/* A chain's total and stage limits stop while it is paused and count on
 * after, as an item case's (cal_shift: only a limit still running moves,
 * and a stage started during the pause counts from its start).  The
 * status an event leaves decides, once an event, at its end -- after the
 * item cases it opened, live as on replay.  A chain submitted before
 * (no "clocks" in its submit event) kept counting, and replays so. */
/* Every item case running is suspended: the chain stands still until the
 * first of them counts again -- past its special procedure's maximum (行政
 * 许可法 art. 45), which the item case counts -- or for as long as none
 * does.  Waiting for the applicant, until it goes on. */
static int32_t pause_end(const ot_case *c)
{
	int32_t end = INT32_MAX;
	for (int i = 0; c->status == CS_SUSPENDED && i < c->cs->nslots; i++)
		if (c->cs->slots[i].status == CS_SUSPENDED && c->cs->slots[i].excluded_until < end)
			end = c->cs->slots[i].excluded_until;
	return end;
}

/* A limit of the paused chain, due `due` and running since `started`,
 * past the pause ending on day `to` (a special procedure's maximum
 * first): a limit started during the pause counts from its own start. */
static int32_t past_pause(const ot_case *c, int32_t due, ot_time started, int32_t to)
{
	const m_calendar *cal = chain_calendar(c);
	if (!cal || started > c->paused_since)
		return due;
	return case_shift_last(cal, c->clocks, due, UNIT_WORKDAY, c->cs->pause_from,
			       to < c->cs->pause_end ? to : c->cs->pause_end);
}

/* The day a limit of the chain is due on, as shown and listed: while it
 * stands still for its items' special procedures, the day it will be due
 * once they have kept out all their maximum allows -- the latest it can
 * be, earlier if they end sooner -- so that a chain whose procedure runs
 * past its maximum is late when its days are (`overdue`), not only once
 * the procedure ends.  A chain submitted before (clocks below
 * CLOCKS_CHAIN_LATEST) showed the day it stood still at. */
static int32_t shown_due(const ot_case *c, int32_t due, ot_time started)
{
	if (due < 0 || c->clocks < CLOCKS_CHAIN_LATEST || !chain_paused(c) ||
	    c->cs->pause_end == INT32_MAX)
		return due;
	return past_pause(c, due, started, c->cs->pause_end);
}

void chain_clock(ot_case *c, ot_time at, int zone)
{
	if (c->clocks < CLOCKS_PAUSE_LEFT)
		return;
	int paused = chain_paused(c);
	if (paused && !c->paused_since) {
		c->paused_since = at;
		c->cs->pause_from = time_day(at, zone);
	}
	if (paused && c->clocks >= CLOCKS_CHAIN_MAX)
		c->cs->pause_end = pause_end(c);
	if (paused || !c->paused_since)
		return;
	int32_t to = time_day(at, zone);
	for (uint32_t s = 0; s < chain_of(c)->stages.count; s++) {
		chain_stage_state *ss = &c->cs->stages[s];
		if (ss->state == STAGE_ACTIVE)
			ss->due = past_pause(c, ss->due, ss->started, to);
	}
	c->due = past_pause(c, c->due, c->paused_since, to);
	c->cs->pause_end = INT32_MAX;
	c->paused_since = 0;
}

void chain_settle(ot_case *c, ot_time at)
{
	case_status before = c->cs->before;
	c->status = derive(c);
	c->decided = c->status == CS_APPROVED || c->status == CS_DENIED
		? (c->status != before ? at : c->decided) : c->status == CS_CLOSED ? c->decided : 0;
	if (c->status == CS_CLOSED && before != CS_CLOSED)
		c->closed = at;
}

/* ---- as JSON ---- */

static json_t *stage_json(const ot_case *c, uint32_t s, int zone)
{
	const ot_rules *r = c->v->rules;
	const m_stage *st = &r->stages[chain_of(c)->stages.first + s];
	const chain_stage_state *ss = &c->cs->stages[s];
	json_t *items = json_array();
	for (int i = 0; i < c->cs->nslots; i++) {
		const chain_slot *sl = &c->cs->slots[i];
		if (stage_pos(c, sl->stage) != s)
			continue;
		const m_item *it = &r->items[chain_slot_item(sl)];
		json_t *o = json_pack("{s:s, s:s?, s:o, s:s}", "item", it->name, "label", it->label,
				      "case", sl->case_id[0] ? json_string(sl->case_id) : json_null(),
				      "status", sl->status >= 0 ? case_status_names[sl->status]
					      : sl->skipped ? "not_required" : "not_opened");
		if (sl->not_needed)
			json_object_set_new(o, "not_needed", json_true());
		if (chain_slot_item(sl) != sl->item) /* the version in force when it opened */
			json_object_set_new(o, "listed_as", json_string(r->items[sl->item].name));
		json_array_append_new(items, o);
	}
	int state = ss->state == STAGE_ACTIVE && !stage_running(c, s) ? 3 : ss->state;
	return json_pack("{s:s, s:s?, s:s, s:o, s:o, s:o, s:o, s:o}", "stage", st->name, "label",
			 st->label, "state", stage_states[state], "department",
			 st->dept >= 0 ? json_string(r->departments[st->dept].name) : json_null(),
			 "started_at", case_time_json(ss->started, zone), "finished_at",
			 case_time_json(ss->finished, zone), "due",
			 case_day_json(ss->state == STAGE_ACTIVE ? shown_due(c, ss->due, ss->started)
								 : ss->due), "items", items);
}

json_t *chain_json(const ot_case *c, int zone)
{
	const ot_rules *r = c->v->rules;
	const m_chain *mc = chain_of(c);
	json_t *mats = json_object(), *stages = json_array(), *current = json_array();
	for (uint32_t m = 0; m < r->n_materials; m++)
		if (c->have[m])
			json_object_set_new(mats, r->materials[m].name,
					    json_string(model_have_names[c->have[m]]));
	for (uint32_t s = 0; s < mc->stages.count; s++) {
		json_t *sj = stage_json(c, s, zone);
		if (stage_running(c, s))
			json_array_append_new(current, json_pack("{s:O, s:O, s:O, s:O}", "stage",
				json_object_get(sj, "stage"), "department", json_object_get(sj, "department"),
				"started_at", json_object_get(sj, "started_at"), "due",
				json_object_get(sj, "due")));
		json_array_append_new(stages, sj);
	}
	json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:O?, s:O, s:o}", "id", c->id,
			      "kind", "chain", "chain", mc->name, "chain_label", mc->label, "rules",
			      r->hash, "status", case_status_names[c->status], "applicant",
			      c->applicant, "form", c->form, "materials", mats);
	json_object_set_new(o, "current", current);
	json_object_set_new(o, "stages", stages);
	json_object_set_new(o, "submitted_at", case_time_json(c->submitted, zone));
	json_object_set_new(o, "accepted_at", case_time_json(c->accepted, zone));
	json_object_set_new(o, "decided_at", case_time_json(c->decided, zone));
	json_object_set_new(o, "closed_at", case_time_json(c->closed, zone));
	json_object_set_new(o, "due", case_day_json(shown_due(c, c->due, c->paused_since)));
	json_object_set_new(o, "total_limit", mc->total_limit >= 0 ? json_integer(mc->total_limit)
								   : json_null());
	json_object_set_new(o, "critical_days", json_integer(mc->critical_days));
	/* the applicant's visits: to the chain's window, and those its item
	 * cases needed (in-person steps, pickups; the pickups of one day once) */
	int trips = c->trips - c->cs->pickups_joined;
	for (int i = 0; i < c->cs->nslots; i++)
		trips += c->cs->slots[i].trips;
	json_object_set_new(o, "trips", json_integer(trips));
	json_object_set_new(o, "max_trips", json_integer(mc->max_trips));
	json_object_set_new(o, "notice", c->notice ? json_incref(c->notice) : json_null());
	json_object_set_new(o, "note", c->note ? json_incref(c->note) : json_null());
	json_object_set_new(o, "events", json_integer(c->events));
	return o;
}

/* ---- the store's row ---- */

const char *chain_row_item(const ot_case *c)
{
	return c->cs->row_item;
}

void chain_row_handlers(const ot_case *c, char *out, size_t cap)
{
	const ot_rules *r = c->v->rules;
	const m_chain *mc = chain_of(c);
	size_t n = (size_t)snprintf(out, cap, ",");
	for (uint32_t s = 0; s < mc->stages.count && n < cap; s++) {
		const m_stage *st = &r->stages[mc->stages.first + s];
		if (stage_running(c, s) && st->dept >= 0)
			n += (size_t)snprintf(out + n, cap - n, "%s,", r->departments[st->dept].name);
	}
}

int32_t chain_last_due(const ot_case *c, const char **stage)
{
	const ot_rules *r = c->v->rules;
	int32_t last = shown_due(c, c->due, c->paused_since);
	*stage = NULL;
	for (uint32_t s = 0; s < chain_of(c)->stages.count; s++) {
		const chain_stage_state *ss = &c->cs->stages[s];
		int32_t due = ss->state == STAGE_ACTIVE ? shown_due(c, ss->due, ss->started) : -1;
		if (due > last) {
			last = due;
			*stage = r->stages[chain_of(c)->stages.first + s].name;
		}
	}
	return last;
}

int32_t chain_row_next_due(const ot_case *c)
{
	/* its clocks stand still, for good or until a procedure's maximum */
	if (c->clocks >= CLOCKS_PAUSE_LEFT && chain_paused(c) &&
	    (c->clocks < CLOCKS_CHAIN_LATEST || c->cs->pause_end == INT32_MAX))
		return -1;
	int32_t next = shown_due(c, c->due, c->paused_since);
	for (uint32_t s = 0; s < chain_of(c)->stages.count; s++) {
		const chain_stage_state *ss = &c->cs->stages[s];
		int32_t due = shown_due(c, ss->due, ss->started);
		if (stage_running(c, s) && due >= 0 && (next < 0 || due < next))
			next = due;
	}
	return next;
}
