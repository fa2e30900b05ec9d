/*
 * case.c -- a case and the events that change it.
 *
 * case_apply() is the only function that changes a case.  An event records
 * what was decided (the assessment's outcome, the action, the time), never
 * what could be recomputed differently later, so replaying a case's events
 * on its own rule version rebuilds it exactly.  Routing is recomputed on
 * replay: it depends only on the form and the pinned rule version.
 *
 * Events (all carry "op" and "at"; see docs/engine.md):
 *   submit     channel, applicant, form, have, reused, complete, notice
 *   supplement channel, form, have, reused, complete, notice
 *   act        step, action (approve|return|deny), actor, reason
 *   suspend    reason        resume
 *   deliver    method        withdraw
 *   accept     actor         (受理: starts the clocks; see `acceptance`)
 *   refuse     actor, reasons, remedy (不予受理)
 *   extend     workdays, reason, approver (延期: moves the legal due date)
 *   procedure_start  procedure     procedure_end (特别程序: a pause that
 *              no limit counts, up to the procedure's maximum)
 *   warn       level, target, due, step|material|procedure (the time
 *              sweep's warning, sweep.c: changes no status, no due date)
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "json_read.h"
#include "json_write.h"

const char *const case_status_names[CS__COUNT] = {
	"needs_supplement", "in_progress", "returned", "suspended",
	"approved", "denied", "closed", "withdrawn", "received", "refused",
	"checking", "revoked",
};

static const m_item *item_of(const ot_case *c)
{
	return &c->v->rules->items[c->item];
}

static int join_slots(const ot_rules *r, const m_item *it)
{
	int n = 0;
	for (uint32_t i = 0; i < it->rules.count; i++) {
		const m_rule *ru = &r->rules[it->rules.first + i];
		if (ru->from.count > 1)
			n += (int)ru->from.count;
	}
	return n;
}

/* The text of the values a case's events replace whole, written by the
 * first snapshot that needs it and reused by the next ones: an operation's
 * snapshot writes again only what it can have changed.  Each text is kept
 * with a reference to the value it was written from, so a value replaced
 * (even by one at the same address) is never taken for it; the case's
 * copies share the texts (refs), and a copy that replaced a value writes
 * its own over the slot. */
enum { TEXT_APPLICANT, TEXT_FORM, TEXT_REUSED, TEXT_NOTICE, TEXT__COUNT };

typedef struct case_texts {
	int refs;
	struct {
		json_t *value; /* a reference */
		char *text;    /* malloc */
		size_t len;
	} slot[TEXT__COUNT];
} case_texts;

static void texts_release(case_texts *t)
{
	if (!t || --t->refs > 0)
		return;
	for (int k = 0; k < TEXT__COUNT; k++) {
		json_decref(t->slot[k].value);
		free(t->slot[k].text);
	}
	free(t);
}

/* An array of the case's that an event appends to, its own first. */
static json_t *case_append(json_t **array)
{
	if (*array && (*array)->refcount > 1) {
		json_t *own = json_copy(*array); /* its elements are never changed */
		if (!own)
			return NULL;
		json_decref(*array);
		*array = own;
	}
	return *array;
}

ot_case *case_new(const version *v, int item, const char *id)
{
	const ot_rules *r = v->rules;
	const m_item *it = &r->items[item];
	ot_case *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	str_copy(c->id, sizeof c->id, id);
	c->v = v;
	c->item = item;
	c->due = c->due_legal = c->due_promised = -1;
	c->last_legal = c->last_promised = -1;
	c->accept_due = -1;
	c->pledge_check_due = -1;
	c->procedure = -1;
	c->procedure_max_end = -1;
	c->returned_step = -1;
	c->applicant_kind = -1;
	c->stored_status = -1;
	c->chain = -1;
	c->have = calloc(r->n_materials + 1, 1);
	c->steps = calloc(it->steps.count + 1, sizeof *c->steps);
	c->arrived = calloc((size_t)join_slots(r, it) + 1, 1);
	c->taken = calloc(it->rules.count + 1, 1);
	c->form = json_object();
	c->reused = json_object();
	c->hooks = json_array();
	c->procedures = json_array();
	c->extensions = json_array();
	if ((c->texts = calloc(1, sizeof *c->texts)))
		c->texts->refs = 1;
	if (!c->have || !c->steps || !c->arrived || !c->taken || !c->form || !c->reused ||
	    !c->hooks || !c->procedures || !c->extensions || !c->texts) {
		case_free(c);
		return NULL;
	}
	for (uint32_t i = 0; i < it->steps.count; i++) {
		case_step *s = &c->steps[i];
		s->due = s->due_legal = s->due_promised = -1;
		s->last_legal = s->last_promised = -1;
	}
	return c;
}

void case_free(ot_case *c)
{
	if (!c)
		return;
	free(c->have);
	free(c->steps);
	free(c->arrived);
	free(c->taken);
	json_decref(c->applicant);
	json_decref(c->form);
	json_decref(c->reused);
	json_decref(c->notice);
	json_decref(c->note);
	json_decref(c->hooks);
	json_decref(c->procedures);
	json_decref(c->remedy);
	json_decref(c->extensions);
	chain_state_free(c->cs);
	free(c->warnings);
	texts_release(c->texts);
	free(c);
}

static void *dup_bytes(const void *p, size_t n, int *failed)
{
	if (!p)
		return NULL;
	void *d = malloc(n);
	if (d)
		memcpy(d, p, n);
	*failed |= !d;
	return d;
}

/* The JSON values are shared, not copied: those the events replace whole
 * (set_json) nothing changes in place, and the arrays they append to are
 * copied by the first append that finds them shared (case_append).  A
 * clone was a sixth of an operation's work when they were deep copies. */
ot_case *case_clone(const ot_case *c)
{
	const ot_rules *r = c->v->rules;
	ot_case *d = malloc(sizeof *d);
	if (!d)
		return NULL;
	*d = *c;
	int failed = 0;
	d->have = dup_bytes(c->have, r->n_materials + 1, &failed);
	d->steps = NULL;
	d->arrived = d->taken = NULL;
	d->cs = NULL;
	if (c->chain < 0) {
		const m_item *it = item_of(c);
		d->steps = dup_bytes(c->steps, (it->steps.count + 1) * sizeof *c->steps, &failed);
		d->arrived = dup_bytes(c->arrived, (size_t)join_slots(r, it) + 1, &failed);
		d->taken = dup_bytes(c->taken, it->rules.count + 1, &failed);
	} else if (!(d->cs = chain_state_clone(c)))
		failed = 1;
	d->warnings = NULL; /* the time sweep's: grown by realloc, so a copy of its own */
	if (c->nwarnings)
		d->warnings = dup_bytes(c->warnings, (size_t)c->nwarnings * sizeof *c->warnings,
					&failed);
	json_incref(d->applicant);
	json_incref(d->form);
	json_incref(d->reused);
	json_incref(d->notice);
	json_incref(d->note);
	json_incref(d->remedy);
	json_incref(d->hooks);
	json_incref(d->procedures);
	json_incref(d->extensions);
	if (d->texts)
		d->texts->refs++;
	if (failed) {
		case_free(d);
		return NULL;
	}
	return d;
}

/* ---- the clock ---- */


static const m_calendar *calendar_of(const ot_case *c)
{
	const m_item *it = item_of(c);
	return it->calendar >= 0 ? &c->v->rules->calendars[it->calendar] : NULL;
}

/* A limit's last day (-1: none), and the due day it gives (cal_roll). */
static int32_t last_of(const m_calendar *cal, int32_t day, int32_t n, int unit)
{
	return n >= 0 && cal ? cal_last(cal, day, n, unit) : -1;
}

static int32_t due_of(const m_calendar *cal, int32_t last, int unit)
{
	return cal ? cal_roll(cal, last, unit) : -1;
}

/* The day a case or step is held to (cal_earlier); a case submitted
 * before (CASE_CLOCKS) was held to its promise, else its legal due date,
 * and replays so. */
static int32_t held_to(const ot_case *c, int32_t legal, int32_t promised)
{
	return c->clocks >= CLOCKS_PAUSE_LEFT ? cal_earlier(legal, promised)
					: promised >= 0 ? promised : legal;
}

/* `due` of the case and of each step from their two due dates, after
 * every event: whatever moved one of them (a pause, an extension). */
static void settle_dues(ot_case *c)
{
	c->due = held_to(c, c->due_legal, c->due_promised);
	for (uint32_t i = 0; i < item_of(c)->steps.count; i++)
		c->steps[i].due = held_to(c, c->steps[i].due_legal, c->steps[i].due_promised);
}

static void activate(ot_case *c, int step, ot_time at, int zone)
{
	if (step == STEP_END)
		return;
	const m_step *ms = &c->v->rules->steps[item_of(c)->steps.first + (uint32_t)step];
	const m_calendar *cal = calendar_of(c);
	case_step *s = &c->steps[step];
	int32_t day = time_day(at, zone);
	s->state = STEP_ACTIVE;
	s->started = at;
	s->finished = 0;
	s->last_legal = last_of(cal, day, ms->within, ms->within_unit);
	s->last_promised = last_of(cal, day, ms->promised, ms->promised_unit);
	s->due_legal = due_of(cal, s->last_legal, ms->within_unit);
	s->due_promised = due_of(cal, s->last_promised, ms->promised_unit);
	s->due = held_to(c, s->due_legal, s->due_promised);
}

/* The clocks start: at acceptance, or at receipt where the law counts the
 * application as accepted then. */
static void accept(ot_case *c, ot_time at, int zone)
{
	const m_calendar *cal = calendar_of(c);
	const m_item *it = item_of(c);
	int32_t day = time_day(at, zone);
	c->status = CS_IN_PROGRESS;
	c->accepted = at;
	c->accept_due = -1;
	c->last_legal = last_of(cal, day, it->legal_limit, it->legal_unit);
	c->last_promised = last_of(cal, day, it->promised_limit, it->promised_unit);
	c->due_legal = due_of(cal, c->last_legal, it->legal_unit);
	c->due_promised = due_of(cal, c->last_promised, it->promised_unit);
	c->due = held_to(c, c->due_legal, c->due_promised);
	activate(c, 0, at, zone);
}

/* A complete application: accepted now, or received to wait for the
 * acceptance decision the item declares (`acceptance_limit N workdays`). */
static void complete_application(ot_case *c, ot_time at, int zone)
{
	const m_item *it = item_of(c);
	const m_calendar *cal = calendar_of(c);
	c->received = at;
	if (it->acceptance > 0 && cal) {
		c->status = CS_RECEIVED;
		c->accept_due = cal_add_workdays(cal, time_day(at, zone), it->acceptance);
	} else
		accept(c, at, zone);
}

int32_t case_shift_last(const m_calendar *cal, int clocks, int32_t last, int unit,
			int32_t from, int32_t to)
{
	int32_t moved = cal_shift(cal, last, unit, from, to);
	if (clocks < CLOCKS_WORKDAY_ROLL || cal_counts_days(unit) || moved == last)
		return moved;
	return cal_roll(cal, moved, UNIT_DAY); /* the first working day from it */
}

/* A limit past a pause of the days in (from, to]: its last day moves, and
 * its due day is that rolled again (cal_shift says why).  A case submitted
 * before (no "clocks" in its submit event) had its due day moved by the
 * pause's days and rolled again, also one that had passed: its events
 * replay so, for the dates its applicant and supervisors were given are
 * the record's, and its store row and snapshot with them. */
static void shift(const ot_case *c, const m_calendar *cal, int32_t *last, int32_t *due,
		  int unit, int32_t from, int32_t to)
{
	if (c->clocks >= CLOCKS_PAUSE_LEFT) {
		*last = case_shift_last(cal, c->clocks, *last, unit, from, to);
		*due = cal_roll(cal, *last, unit);
	} else if (*due >= 0) {
		*due = cal_counts_days(unit) ? cal_roll(cal, *due + (to - from), unit)
					: cal_add_workdays(cal, *due, cal_workdays_between(cal, from, to));
		*last = *due;
	}
}

/* Every limit still running moves past a pause of the days in (from, to]. */
static void shift_clocks(ot_case *c, int32_t from, int32_t to)
{
	const m_calendar *cal = calendar_of(c);
	const ot_rules *r = c->v->rules;
	const m_item *it = item_of(c);
	if (!cal || to <= from)
		return;
	shift(c, cal, &c->last_legal, &c->due_legal, it->legal_unit, from, to);
	shift(c, cal, &c->last_promised, &c->due_promised, it->promised_unit, from, to);
	c->due = held_to(c, c->due_legal, c->due_promised);
	for (uint32_t i = 0; i < it->steps.count; i++) {
		case_step *s = &c->steps[i];
		const m_step *ms = &r->steps[it->steps.first + i];
		if (s->state != STEP_ACTIVE)
			continue;
		shift(c, cal, &s->last_legal, &s->due_legal, ms->within_unit, from, to);
		shift(c, cal, &s->last_promised, &s->due_promised, ms->promised_unit, from, to);
		s->due = held_to(c, s->due_legal, s->due_promised);
	}
}

/* The time paused extends every running limit. */
static void resume_clock(ot_case *c, ot_time at, int zone)
{
	shift_clocks(c, time_day(c->paused_since, zone), time_day(at, zone));
	c->paused_since = 0;
	c->status = CS_IN_PROGRESS;
}

int case_step_dept(const ot_case *c, int step)
{
	const ot_rules *r = c->v->rules;
	const m_step *ms = &r->steps[item_of(c)->steps.first + (uint32_t)step];
	if (ms->route_field < 0)
		return ms->dept;
	const m_field *f = &r->fields[ms->route_field];
	const char *value = json_string_value(json_object_get(c->form, f->name));
	for (uint32_t v = 0; value && v < f->values.count; v++)
		if (strcmp(r->strs[f->values.first + v], value) == 0)
			return r->ints[ms->route_depts.first + v];
	return -1;
}

/* ---- routing ---- */

static int slot_of(const ot_rules *r, const m_item *it, uint32_t rule)
{
	int n = 0;
	for (uint32_t i = it->rules.first; i < rule; i++)
		if (r->rules[i].from.count > 1)
			n += (int)r->rules[i].from.count;
	return n;
}

/* Step `step` finished through `rule`: arrive at a join, or start the
 * targets (`only` >= 0: just that one, a hook's choice). */
static void fire(ot_case *c, uint32_t rule, int step, int only, ot_time at, int zone, int dry)
{
	const ot_rules *r = c->v->rules;
	const m_rule *ru = &r->rules[rule];
	if (ru->from.count > 1) {
		uint8_t *slot = c->arrived + slot_of(r, item_of(c), rule);
		for (uint32_t j = 0; j < ru->from.count; j++)
			if (r->ints[ru->from.first + j] == step)
				slot[j] = 1;
		for (uint32_t j = 0; j < ru->from.count; j++)
			if (!slot[j])
				return;
		memset(slot, 0, ru->from.count);
	}
	if (!dry)
		c->taken[rule - item_of(c)->rules.first] = 1;
	for (uint32_t j = 0; j < ru->to.count; j++) {
		int t = r->ints[ru->to.first + j];
		if (t == STEP_END || (only >= 0 && (int)j != only))
			continue;
		if (dry)
			c->steps[t].state = STEP_ACTIVE;
		else
			activate(c, t, at, zone);
	}
}

int case_choose(const ot_case *c, int step, const eval_env *env, route_fn route,
		void *ud, exit_choice *out, int max, ot_error *err)
{
	const ot_rules *r = c->v->rules;
	const m_item *it = item_of(c);
	const m_step *ms = &r->steps[it->steps.first + (uint32_t)step];
	ev_value values[MAX_FIELDS], stack[64];
	form_errors fe = {0, 0, NULL};
	if (it->form >= 0)
		form_values_derived(r, it->form, c->form, values, &fe);
	free(fe.v);
	int n = 0, otherwise = -1, chosen = -1;
	for (uint32_t e = 0; e < ms->exits.count && n < max; e++) {
		uint32_t rule = (uint32_t)r->ints[ms->exits.first + e];
		const m_rule *ru = &r->rules[rule];
		if (ru->guard == G_ALWAYS) {
			out[n].rule = rule - it->rules.first;
			out[n++].to = -1;
		} else if (ru->guard == G_ROUTE) {
			int to = -1;
			if (!route)
				return err_set(err, OT_EHOOK, "step %s is routed by a hook, but no hook "
					       "is running", ms->name) ? -1 : -1;
			if (route(ud, step, rule, &to, err) != OT_OK)
				return -1;
			out[n].rule = rule - it->rules.first;
			out[n++].to = to;
		} else if (ru->guard == G_OTHERWISE) {
			otherwise = (int)rule;
		} else if (chosen < 0) {
			const char *why = NULL;
			const m_expr *x = &r->exprs[ru->cond];
			int holds = x->depth <= (int)OT_COUNTOF(stack)
				? eval_cond(r, x, it->form >= 0 ? values : NULL, env, stack, &why) : 0;
			if (holds < 0)
				return err_set(err, OT_EHOOK, "cannot decide where step %s goes: %s",
					       ms->name, why ? why : "the condition failed") ? -1 : -1;
			if (holds)
				chosen = (int)rule;
		}
	}
	if (chosen < 0)
		chosen = otherwise;
	if (chosen >= 0 && n < max) {
		out[n].rule = (uint32_t)chosen - it->rules.first;
		out[n++].to = -1;
	}
	return n;
}

/* Fires the chosen exits; returns the number of steps active after. */
static int take(ot_case *c, int step, const exit_choice *ch, int n, ot_time at, int zone,
		int dry)
{
	const m_item *it = item_of(c);
	for (int i = 0; i < n; i++)
		if (ch[i].rule < it->rules.count)
			fire(c, it->rules.first + ch[i].rule, step, ch[i].to, at, zone, dry);
	int active = 0;
	for (uint32_t i = 0; i < it->steps.count; i++)
		active += c->steps[i].state == STEP_ACTIVE;
	return active;
}

int case_active_after(const ot_case *c, int step, const exit_choice *ch, int n)
{
	/* a scratch copy of the routing state */
	const m_item *it = item_of(c);
	ot_case tmp = *c;
	tmp.steps = malloc((it->steps.count + 1) * sizeof *tmp.steps);
	size_t slots = (size_t)join_slots(c->v->rules, it) + 1;
	tmp.arrived = malloc(slots);
	if (!tmp.steps || !tmp.arrived) {
		free(tmp.steps);
		free(tmp.arrived);
		return 1; /* cannot tell: assume the flow goes on */
	}
	memcpy(tmp.steps, c->steps, (it->steps.count + 1) * sizeof *tmp.steps);
	memcpy(tmp.arrived, c->arrived, slots);
	tmp.steps[step].state = STEP_DONE;
	int active = take(&tmp, step, ch, n, 0, 0, 1);
	int waiting = 0;
	for (size_t i = 0; i + 1 < slots; i++)
		waiting |= tmp.arrived[i];
	free(tmp.steps);
	free(tmp.arrived);
	return active + waiting;
}

/* ---- applying events ---- */

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void set_json(json_t **slot, json_t *value)
{
	json_decref(*slot);
	*slot = json_incref(value);
}

void case_take_materials(ot_case *c, json_t *ev)
{
	const ot_rules *r = c->v->rules;
	const char *key;
	json_t *v;
	memset(c->have, 0, r->n_materials);
	json_object_foreach(json_object_get(ev, "have"), key, v) {
		int m = strmap_get(&r->by_material, key, strlen(key));
		const char *how = json_string_value(v);
		if (m < 0 || !how)
			continue;
		c->have[m] = strcmp(how, "shared") == 0 ? HAVE_SHARED
			   : strcmp(how, "reused") == 0 ? HAVE_REUSED : HAVE_PROVIDED;
	}
	if (json_object_get(ev, "reused"))
		set_json(&c->reused, json_object_get(ev, "reused"));
	set_json(&c->notice, json_object_get(ev, "notice"));
	c->pledged = json_is_true(json_object_get(c->notice, "pledged"));
	if (json_is_object(json_object_get(ev, "form")))
		set_json(&c->form, json_object_get(ev, "form"));
	const char *channel = str(ev, "channel");
	if (channel && strcmp(channel, "hall") == 0)
		c->trips++;
}

static int step_index(const ot_case *c, const char *name)
{
	const ot_rules *r = c->v->rules;
	const m_item *it = item_of(c);
	for (uint32_t i = 0; name && i < it->steps.count; i++)
		if (strcmp(r->steps[it->steps.first + i].name, name) == 0)
			return (int)i;
	return -1;
}

static ot_status apply_act(ot_case *c, json_t *ev, ot_time at, int zone, ot_error *err)
{
	int step = step_index(c, str(ev, "step"));
	const char *action = str(ev, "action");
	if (step < 0 || !action || c->status != CS_IN_PROGRESS ||
	    c->steps[step].state != STEP_ACTIVE)
		return err_set(err, OT_ESTORE, "case %s: event %d does not fit the case", c->id,
			    c->events + 1);
	if (json_object_get(ev, "reason"))
		set_json(&c->note, json_object_get(ev, "reason"));
	int act = model_action(action);
	if (act == ACT_APPROVE) {
		const m_step *ms = &c->v->rules->steps[item_of(c)->steps.first + (uint32_t)step];
		exit_choice ch[64];
		int n = 0;
		json_t *next = json_object_get(ev, "next");
		if (json_is_array(next)) {
			/* the decision the operation recorded (conditions, hooks) */
			size_t i;
			json_t *d;
			json_array_foreach(next, i, d) {
				if (n == 64)
					break;
				ch[n].rule = (uint32_t)json_integer_value(json_array_get(d, 0));
				ch[n++].to = (int)json_integer_value(json_array_get(d, 1));
			}
		} else {
			eval_env env = {c->applicant_kind, NULL, NULL};
			n = case_choose(c, step, &env, NULL, NULL, ch, 64, err);
			if (n < 0)
				return err->status;
		}
		c->steps[step].state = STEP_DONE;
		c->steps[step].finished = at;
		c->trips += ms->in_person;
		if (take(c, step, ch, n, at, zone, 0) == 0) {
			c->status = CS_APPROVED;
			c->decided = at;
			const m_item *it = item_of(c);
			if (c->pledged && it->pledge_check > 0 && calendar_of(c))
				c->pledge_check_due = cal_due(calendar_of(c), time_day(at, zone),
							      it->pledge_check, it->pledge_check_unit);
		}
	} else if (act == ACT_RETURN) {
		c->status = CS_RETURNED;
		c->paused_since = at;
		c->returned_step = step;
	} else if (act == ACT_DENY) {
		c->status = CS_DENIED;
		c->decided = at;
		for (uint32_t i = 0; i < item_of(c)->steps.count; i++)
			if (c->steps[i].state == STEP_ACTIVE)
				c->steps[i].state = STEP_IDLE;
	} else
		return err_set(err, OT_ESTORE, "case %s: unknown action in event %d", c->id,
			    c->events + 1);
	return OT_OK;
}

/* ---- time as the law counts it: acceptance, extension, procedures ---- */

static int deferred_in_notice(const ot_case *c, const char *name)
{
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(c->notice, "deferred"), i, d)
		if (json_is_string(d) && strcmp(json_string_value(d), name) == 0)
			return 1;
	return 0;
}

int case_deferred_dues(const ot_case *c, int *material, int32_t *due, int max)
{
	const ot_rules *r = c->v->rules;
	const m_item *it = item_of(c);
	const m_calendar *cal = calendar_of(c);
	int n = 0;
	if (!c->accepted || !cal)
		return 0;
	for (uint32_t i = 0; i < it->reqs.count && n < max; i++) {
		const m_req *q = &r->reqs[it->reqs.first + i];
		if (!q->deferrable || q->defer_within < 0 || c->have[q->material] != HAVE_NONE ||
		    !deferred_in_notice(c, r->materials[q->material].name))
			continue;
		material[n] = q->material;
		due[n++] = cal_due(cal, time_day(c->accepted, c->v->zone), q->defer_within,
				   q->defer_unit);
	}
	return n;
}

static ot_status misfit(const ot_case *c, ot_error *err)
{
	return err_set(err, OT_ESTORE, "case %s: event %d does not fit the case", c->id,
		       c->events + 1);
}

static json_t *day_json(int32_t day)
{
	char text[11];
	if (day < 0)
		return json_null();
	day_format(day, text);
	return json_string(text);
}

/* 受理: late, where the item says so, the case counts as accepted from the
 * day the complete application was received (行政许可法 art. 32). */
static ot_status apply_accept(ot_case *c, ot_time at, int zone, ot_error *err)
{
	if (c->status != CS_RECEIVED)
		return misfit(c, err);
	int late = c->accept_due >= 0 && time_day(at, zone) > c->accept_due;
	accept(c, late && item_of(c)->deemed_accepted ? c->received : at, zone);
	return OT_OK;
}

/* The last day of a pause ending on `day` that no limit counts: a special
 * procedure's days past its maximum count (art. 45); once counted in
 * (count_procedure), none is left to count. */
static int32_t pause_to(const ot_case *c, int32_t day)
{
	if (c->procedure >= 0 && c->procedure_counted)
		return time_day(c->paused_since, c->v->zone);
	return c->procedure >= 0 && day > c->procedure_max_end ? c->procedure_max_end : day;
}

/* An extension after a special procedure's maximum, the procedure still
 * running: the limits count the days past it (art. 45), so the days it
 * kept out are counted in first, as its end would, and the extension
 * lengthens the limit as it then stands -- the day the applicant is told,
 * whichever of the two the officer does first. */
static void count_procedure(ot_case *c, int32_t day)
{
	if (c->status != CS_SUSPENDED || c->procedure < 0 || c->procedure_counted ||
	    c->clocks < CLOCKS_EXTEND_PAST_MAX || day <= c->procedure_max_end)
		return;
	shift_clocks(c, time_day(c->paused_since, c->v->zone), pause_to(c, day));
	c->procedure_counted = 1;
}

static ot_status apply_extend(ot_case *c, json_t *ev, ot_time at, int zone, ot_error *err)
{
	const m_calendar *cal = calendar_of(c);
	json_int_t n = json_integer_value(json_object_get(ev, "workdays"));
	const m_item *it = item_of(c);
	if ((c->status != CS_IN_PROGRESS && c->status != CS_SUSPENDED) || !cal || n < 1 ||
	    c->extended + n > it->extension || c->due_legal < 0)
		return misfit(c, err);
	count_procedure(c, time_day(at, zone));
	c->due_legal = cal_add_workdays(cal, c->due_legal, (int32_t)n);
	c->last_legal = c->due_legal; /* in working days: no roll (E112) */
	c->extended += (int32_t)n;
	c->due = held_to(c, c->due_legal, c->due_promised);
	json_t *x = json_pack("{s:I, s:O?, s:O?, s:O?, s:o}", "workdays", n, "reason",
			      json_object_get(ev, "reason"), "approver", json_object_get(ev, "approver"),
			      "at", json_object_get(ev, "at"), "legal_due", day_json(c->due_legal));
	json_array_append_new(case_append(&c->extensions), x);
	return OT_OK;
}

static int procedure_index(const ot_case *c, const char *name)
{
	const ot_rules *r = c->v->rules;
	const m_item *it = item_of(c);
	for (uint32_t i = 0; name && i < it->procedures.count; i++)
		if (strcmp(r->procedures[it->procedures.first + i].name, name) == 0)
			return (int)i;
	return -1;
}

int32_t case_procedure_max_end(const ot_case *c, int p, int32_t start)
{
	const m_procedure *mp = &c->v->rules->procedures[item_of(c)->procedures.first + (uint32_t)p];
	const m_calendar *cal = calendar_of(c);
	if (mp->max.unit == UNIT_WORKDAY)
		return cal ? cal_add_workdays(cal, start, mp->max.n) : start + mp->max.n;
	return start + mp->max.n;
}

int32_t case_legal_due_past(const ot_case *c, int32_t day, int zone)
{
	const m_calendar *cal = calendar_of(c);
	int32_t from = time_day(c->paused_since, zone), last = c->last_legal, due = c->due_legal;
	int32_t to = pause_to(c, day);
	if (cal && due >= 0 && to > from)
		shift(c, cal, &last, &due, item_of(c)->legal_unit, from, to);
	return due;
}

void case_run_on(ot_case *c, int32_t day)
{
	shift_clocks(c, time_day(c->paused_since, c->v->zone), pause_to(c, day));
	c->status = CS_IN_PROGRESS;
	c->paused_since = 0;
	c->procedure = -1;
	c->procedure_max_end = -1;
}

/* 特别程序 (art. 45): the days from its start to its end are not counted in
 * any limit -- up to its declared maximum; the days past it are. */
static ot_status apply_procedure(ot_case *c, const char *op, json_t *ev, ot_time at, int zone,
				 ot_error *err)
{
	const ot_rules *r = c->v->rules;
	int32_t day = time_day(at, zone);
	if (strcmp(op, "procedure_start") == 0) {
		int p = procedure_index(c, json_string_value(json_object_get(ev, "procedure")));
		if (c->status != CS_IN_PROGRESS || p < 0)
			return misfit(c, err);
		const m_procedure *mp = &r->procedures[item_of(c)->procedures.first + (uint32_t)p];
		c->status = CS_SUSPENDED;
		c->paused_since = at;
		c->procedure = p;
		c->procedure_max_end = case_procedure_max_end(c, p, day);
		c->procedure_counted = 0;
		/* the applicant is told in writing how long it may take (art. 45) */
		char until[11], text[512];
		day_format(c->procedure_max_end, until);
		snprintf(text, sizeof text, "%s: 特别程序, 所需时间不计入办理时限, 最长%d%s(至%s) "
			 "a special procedure not counted in the time limit, at most %d %s (until %s)",
			 mp->label ? mp->label : mp->name, (int)mp->max.n,
			 mp->max.unit == UNIT_DAY ? "日" : "个工作日", until, (int)mp->max.n,
			 model_unit_names[mp->max.unit], until);
		json_decref(c->note);
		c->note = json_string(text);
		return OT_OK;
	}
	if (strcmp(op, "procedure_end") != 0 || c->status != CS_SUSPENDED || c->procedure < 0)
		return misfit(c, err);
	const m_procedure *mp = &r->procedures[item_of(c)->procedures.first + (uint32_t)c->procedure];
	int32_t from = time_day(c->paused_since, zone), to = pause_to(c, day);
	int32_t kept = day < c->procedure_max_end ? day : c->procedure_max_end;
	char started[32];
	time_format(c->paused_since, zone, started);
	json_t *run = json_pack("{s:s, s:s?, s:s, s:O, s:o, s:i, s:b}", "procedure", mp->name,
		"label", mp->label, "started_at", started, "ended_at", json_object_get(ev, "at"),
		"max_end", day_json(c->procedure_max_end),
		"days_excluded", (int)(kept > from ? kept - from : 0),
		"past_max", day > c->procedure_max_end);
	json_array_append_new(case_append(&c->procedures), run);
	shift_clocks(c, from, to);
	c->paused_since = 0;
	c->status = CS_IN_PROGRESS;
	c->procedure = -1;
	c->procedure_max_end = -1;
	return OT_OK;
}

static ot_status apply_law(ot_case *c, const char *op, json_t *ev, ot_time at, int zone,
			   ot_error *err)
{
	if (strcmp(op, "accept") == 0)
		return apply_accept(c, at, zone, err);
	if (strcmp(op, "extend") == 0)
		return apply_extend(c, ev, at, zone, err);
	if (strcmp(op, "pledge_check") == 0) {
		const char *result = json_string_value(json_object_get(ev, "result"));
		if ((c->status != CS_APPROVED && c->status != CS_CHECKING) || c->pledge_check_due < 0 ||
		    c->pledge_checked || !result)
			return misfit(c, err);
		if (strcmp(result, "kept") == 0) {
			c->pledge_checked = at;
			if (c->status == CS_CHECKING)
				c->status = CS_CLOSED;
		} else {
			c->status = CS_REVOKED; /* a false pledge: the approval is revoked */
			set_json(&c->note, json_object_get(ev, "reason"));
		}
		return OT_OK;
	}
	if (strcmp(op, "refuse") == 0) {
		if (c->status != CS_RECEIVED && c->status != CS_NEEDS_SUPPLEMENT)
			return misfit(c, err);
		c->status = CS_REFUSED;
		c->decided = at;
		c->accept_due = -1;
		set_json(&c->note, json_object_get(ev, "reasons"));
		set_json(&c->remedy, json_object_get(ev, "remedy"));
		return OT_OK;
	}
	return apply_procedure(c, op, ev, at, zone, err);
}

void case_note_hooks(ot_case *c, json_t *names)
{
	size_t i, k;
	json_t *fn, *have;
	json_array_foreach(names, i, fn) {
		int seen = 0;
		json_array_foreach(c->hooks, k, have)
			seen |= json_equal(have, fn);
		if (!seen)
			json_array_append(case_append(&c->hooks), fn);
	}
}

ot_status case_apply(ot_case *c, json_t *ev, int zone, ot_error *err)
{
	const char *op = str(ev, "op");
	ot_time at;
	if (!op || !str(ev, "at") || !time_parse(str(ev, "at"), zone, &at))
		return err_set(err, OT_ESTORE, "case %s: event %d is malformed", c->id, c->events + 1);
	ot_status st = OT_OK;
	int complete = json_is_true(json_object_get(ev, "complete"));
	if (strcmp(op, "warn") == 0) {
		st = sweep_apply(c, ev, at, zone, err);
	} else if (c->chain >= 0) {
		st = chain_apply(c, op, ev, at, zone, err);
	} else if (strcmp(op, "submit") == 0) {
		if (str(ev, "chain"))
			snprintf(c->chain_id, sizeof c->chain_id, "%s", str(ev, "chain"));
		set_json(&c->applicant, json_object_get(ev, "applicant"));
		json_t *clocks = json_object_get(ev, "clocks");
		c->clocks = clocks ? (int)json_integer_value(clocks) : 1;
		const char *kind = str(c->applicant, "kind");
		c->applicant_kind = !kind ? -1 : strcmp(kind, "company") == 0 ? EV_COMPANY : EV_PERSON;
		case_take_materials(c, ev);
		c->submitted = at;
		if (complete)
			complete_application(c, at, zone);
		else
			c->status = CS_NEEDS_SUPPLEMENT;
	} else if (strcmp(op, "supplement") == 0) {
		case_take_materials(c, ev);
		if (complete && c->status == CS_NEEDS_SUPPLEMENT)
			complete_application(c, at, zone);
		else if (complete && c->status == CS_RETURNED) {
			resume_clock(c, at, zone);
			c->returned_step = -1;
		}
	} else if (strcmp(op, "act") == 0) {
		st = apply_act(c, ev, at, zone, err);
	} else if (strcmp(op, "suspend") == 0) {
		c->status = CS_SUSPENDED;
		c->paused_since = at;
		set_json(&c->note, json_object_get(ev, "reason"));
	} else if (strcmp(op, "resume") == 0) {
		resume_clock(c, at, zone);
	} else if (strcmp(op, "deliver") == 0) {
		const char *method = str(ev, "method");
		/* 告知承诺: closed once the pledge is checked */
		c->status = c->pledge_check_due >= 0 && !c->pledge_checked ? CS_CHECKING : CS_CLOSED;
		c->closed = at;
		c->delivered = !method ? "window" : strcmp(method, "post") == 0 ? "post"
			     : strcmp(method, "electronic") == 0 ? "electronic" : "window";
		c->trips += strcmp(c->delivered, "window") == 0;
	} else if (strcmp(op, "not_needed") == 0) {
		/* the chain it belongs to stopped (another item was denied) */
		c->status = CS_CLOSED;
		c->closed = at;
		for (uint32_t i = 0; i < item_of(c)->steps.count; i++)
			if (c->steps[i].state == STEP_ACTIVE)
				c->steps[i].state = STEP_IDLE;
		set_json(&c->note, json_object_get(ev, "reason"));
	} else if (strcmp(op, "accept") == 0 || strcmp(op, "refuse") == 0 ||
		   strcmp(op, "extend") == 0 || strncmp(op, "procedure_", 10) == 0 ||
		   strcmp(op, "pledge_check") == 0) {
		st = apply_law(c, op, ev, at, zone, err);
	} else if (strcmp(op, "withdraw") == 0) {
		c->status = CS_WITHDRAWN;
		c->closed = at;
		c->accept_due = -1;
		c->procedure = -1; /* a special procedure ends with the case */
		c->procedure_max_end = -1;
		for (uint32_t i = 0; i < item_of(c)->steps.count; i++)
			if (c->steps[i].state == STEP_ACTIVE)
				c->steps[i].state = STEP_IDLE;
		if (json_object_get(ev, "reason"))
			set_json(&c->note, json_object_get(ev, "reason"));
	} else
		st = err_set(err, OT_ESTORE, "case %s: unknown event '%s'", c->id, op);
	if (st == OT_OK && c->chain < 0)
		settle_dues(c);
	if (st == OT_OK) {
		case_note_hooks(c, json_object_get(ev, "hooks"));
		c->events++;
		c->last_at = at;
	}
	return st;
}

/* ---- as JSON ---- */

json_t *case_time_json(ot_time t, int zone)
{
	char text[32];
	if (!t)
		return json_null();
	time_format(t, zone, text);
	return json_string(text);
}

json_t *case_day_json(int32_t day)
{
	char text[11];
	if (day < 0)
		return json_null();
	day_format(day, text);
	return json_string(text);
}

/* ---- as text: the snapshot's one definition ----
 *
 * The snapshot is written as compact JSON text straight from the case,
 * key by key, into one growing buffer: a write keeps this text in the
 * store and answers with it, and building it as jansson values first
 * (then writing and freeing them) was half of a write's work.  The values
 * a case keeps as jansson values (form, applicant, notice, ...) are
 * written into the same buffer by json_write.c's writer.  Where a value is
 * needed (show, the store's check), it is this text read back (case_json):
 * the bytes are what json_text(value, JSON_COMPACT) writes, key order
 * included.  Keys are literals of ours, written with the ',' before them
 * and the ':' after. */

#define KEY(b, lit) buf_lit(b, "\"" lit "\":")
#define NEXT(b, lit) buf_lit(b, ",\"" lit "\":")

static void put_time(buf *b, ot_time t, int zone)
{
	char text[32];
	if (!t) {
		buf_lit(b, "null");
		return;
	}
	time_format(t, zone, text);
	buf_json_quoted(b, text);
}

static void put_day(buf *b, int32_t day)
{
	char text[11];
	if (day < 0) {
		buf_lit(b, "null");
		return;
	}
	day_format(day, text);
	buf_json_quoted(b, text);
}

/* a value the case keeps, or null */
static void put_value(buf *b, const json_t *v)
{
	if (v)
		json_write(b, v, JSON_COMPACT);
	else
		buf_lit(b, "null");
}

/* A value the events replace whole: its text as written before (see
 * case_texts), or written now and kept. */
static void put_fixed(buf *b, const ot_case *c, int k, json_t *v)
{
	case_texts *t = c->texts;
	if (t && v && t->slot[k].value == v) {
		buf_add(b, t->slot[k].text, t->slot[k].len);
		return;
	}
	size_t at = b->len;
	put_value(b, v);
	char *text = t && v && !b->failed ? malloc(b->len - at) : NULL;
	if (!text)
		return;
	memcpy(text, b->p + at, b->len - at);
	json_decref(t->slot[k].value);
	free(t->slot[k].text);
	t->slot[k].value = json_incref(v);
	t->slot[k].text = text;
	t->slot[k].len = b->len - at;
}

static void put_bool(buf *b, int v)
{
	if (v)
		buf_lit(b, "true");
	else
		buf_lit(b, "false");
}

static void put_steps(buf *b, const ot_case *c, int zone, int current_only)
{
	const ot_rules *r = c->v->rules;
	const m_item *it = item_of(c);
	static const char *const states[] = {"waiting", "active", "done"};
	int first = 1;
	buf_putc(b, '[');
	for (uint32_t i = 0; i < it->steps.count; i++) {
		const case_step *s = &c->steps[i];
		if (current_only && s->state != STEP_ACTIVE)
			continue;
		const m_step *ms = &r->steps[it->steps.first + i];
		int dept = case_step_dept(c, (int)i);
		if (!first)
			buf_putc(b, ',');
		first = 0;
		buf_putc(b, '{');
		KEY(b, "step");
		buf_json_quoted(b, ms->name);
		NEXT(b, "label");
		buf_json_quoted(b, ms->label);
		NEXT(b, "department");
		buf_json_quoted(b, dept >= 0 ? r->departments[dept].name : NULL);
		NEXT(b, "started_at");
		put_time(b, s->started, zone);
		NEXT(b, "due");
		put_day(b, s->due);
		NEXT(b, "window");
		buf_json_quoted(b, ms->window >= 0 ? r->windows[ms->window].name : NULL);
		NEXT(b, "legal_due");
		put_day(b, s->due_legal);
		NEXT(b, "promised_due");
		put_day(b, s->due_promised);
		if (!current_only) {
			NEXT(b, "state");
			buf_json_quoted(b, states[s->state]);
			NEXT(b, "finished_at");
			put_time(b, s->finished, zone);
		}
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}

static void put_materials(buf *b, const ot_case *c)
{
	const ot_rules *r = c->v->rules;
	int first = 1;
	buf_putc(b, '{');
	for (uint32_t m = 0; m < r->n_materials; m++)
		if (c->have[m]) {
			if (!first)
				buf_putc(b, ',');
			first = 0;
			buf_json_quoted(b, r->materials[m].name);
			buf_putc(b, ':');
			buf_json_quoted(b, model_have_names[c->have[m]]);
		}
	buf_putc(b, '}');
}

/* the special procedure running now, or null */
static void put_running(buf *b, const ot_case *c, int zone)
{
	if (c->procedure < 0) {
		buf_lit(b, "null");
		return;
	}
	const ot_rules *r = c->v->rules;
	const m_procedure *mp = &r->procedures[item_of(c)->procedures.first + (uint32_t)c->procedure];
	buf_putc(b, '{');
	KEY(b, "procedure");
	buf_json_quoted(b, mp->name);
	NEXT(b, "label");
	buf_json_quoted(b, mp->label);
	NEXT(b, "started_at");
	put_time(b, c->paused_since, zone);
	NEXT(b, "max_end");
	put_day(b, c->procedure_max_end);
	buf_putc(b, '}');
}

static void put_deferred(buf *b, const ot_case *c)
{
	const ot_rules *r = c->v->rules;
	int dmats[64];
	int32_t dues[64];
	int nd = case_deferred_dues(c, dmats, dues, 64);
	buf_putc(b, '[');
	for (int i = 0; i < nd; i++) {
		if (i)
			buf_putc(b, ',');
		buf_putc(b, '{');
		KEY(b, "material");
		buf_json_quoted(b, r->materials[dmats[i]].name);
		NEXT(b, "due");
		put_day(b, dues[i]);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}

/* the flow lines this case went through, numbered as in the item's flow
 * (from 0): for audits and test coverage */
static void put_taken(buf *b, const ot_case *c)
{
	const m_item *it = item_of(c);
	int first = 1;
	buf_putc(b, '[');
	for (uint32_t i = 0; i < it->rules.count; i++)
		if (c->taken[i]) {
			if (!first)
				buf_putc(b, ',');
			first = 0;
			buf_int(b, (long long)i);
		}
	buf_putc(b, ']');
}

static void put_item_case(buf *b, const ot_case *c, int zone)
{
	const ot_rules *r = c->v->rules;
	const m_item *it = item_of(c);
	buf_putc(b, '{');
	KEY(b, "id");
	buf_json_quoted(b, c->id);
	NEXT(b, "item");
	buf_json_quoted(b, it->name);
	NEXT(b, "item_label");
	buf_json_quoted(b, it->label);
	NEXT(b, "rules");
	buf_json_quoted(b, r->hash);
	NEXT(b, "status");
	buf_json_quoted(b, case_status_names[c->status]);
	NEXT(b, "applicant");
	put_fixed(b, c, TEXT_APPLICANT, c->applicant);
	NEXT(b, "form");
	put_fixed(b, c, TEXT_FORM, c->form);
	NEXT(b, "materials");
	put_materials(b, c);
	NEXT(b, "reused");
	put_fixed(b, c, TEXT_REUSED, c->reused);
	NEXT(b, "current");
	put_steps(b, c, zone, 1);
	NEXT(b, "steps");
	put_steps(b, c, zone, 0);
	NEXT(b, "submitted_at");
	put_time(b, c->submitted, zone);
	NEXT(b, "accepted_at");
	put_time(b, c->accepted, zone);
	NEXT(b, "decided_at");
	put_time(b, c->decided, zone);
	NEXT(b, "closed_at");
	put_time(b, c->closed, zone);
	NEXT(b, "due");
	put_day(b, c->due);
	NEXT(b, "legal_due");
	put_day(b, c->due_legal);
	NEXT(b, "promised_due");
	put_day(b, c->due_promised);
	NEXT(b, "received_at");
	put_time(b, c->received, zone);
	NEXT(b, "acceptance_due");
	put_day(b, c->accept_due);
	/* late, the application counts as accepted from receipt (art. 32) */
	NEXT(b, "deemed_accepted");
	put_bool(b, it->deemed_accepted);
	NEXT(b, "extended");
	buf_int(b, c->extended);
	NEXT(b, "extensions");
	put_value(b, c->extensions);
	NEXT(b, "procedure");
	put_running(b, c, zone);
	NEXT(b, "procedures");
	put_value(b, c->procedures);
	NEXT(b, "deferred_due");
	put_deferred(b, c);
	NEXT(b, "pledged");
	put_bool(b, c->pledged);
	NEXT(b, "pledge_check_due");
	put_day(b, c->pledge_check_due);
	NEXT(b, "pledge_checked_at");
	put_time(b, c->pledge_checked, zone);
	NEXT(b, "remedy");
	put_value(b, c->remedy);
	NEXT(b, "trips");
	buf_int(b, c->trips);
	NEXT(b, "max_trips");
	buf_int(b, item_max_trips(r, c->item));
	NEXT(b, "notice");
	put_fixed(b, c, TEXT_NOTICE, c->notice);
	NEXT(b, "note");
	put_value(b, c->note);
	NEXT(b, "paused_since");
	put_time(b, c->paused_since, zone);
	NEXT(b, "delivered");
	buf_json_quoted(b, c->delivered);
	NEXT(b, "returned_step");
	buf_json_quoted(b, c->returned_step >= 0
		? r->steps[it->steps.first + (uint32_t)c->returned_step].name : NULL);
	NEXT(b, "events");
	buf_int(b, c->events);
	NEXT(b, "taken");
	put_taken(b, c);
	NEXT(b, "hooks_called");
	put_value(b, c->hooks);
	if (c->chain_id[0]) {
		NEXT(b, "chain");
		buf_json_quoted(b, c->chain_id);
	}
	if (c->nwarnings) { /* the time sweep's, only once there is one */
		json_t *w = sweep_warnings_json(c, zone);
		NEXT(b, "warnings");
		if (w)
			json_write(b, w, JSON_COMPACT);
		else
			b->failed = 1;
		json_decref(w);
	}
	buf_putc(b, '}');
}

char *case_text(const ot_case *c, int zone)
{
	if (c->chain >= 0) { /* a chain's is chain.c's */
		json_t *j = chain_json(c, zone);
		char *t = json_text(j, JSON_COMPACT);
		json_decref(j);
		return t;
	}
	buf b;
	buf_init(&b, NULL, NULL);
	put_item_case(&b, c, zone);
	return buf_steal(&b);
}

json_t *case_value(const char *text)
{
	json_t *v = json_read(text);
	/* what json_read leaves to jansson (see json_read.h): a form value
	 * that is no longer than it allows, say */
	return v ? v : json_loads(text, 0, NULL);
}

json_t *case_json(const ot_case *c, int zone)
{
	if (c->chain >= 0)
		return chain_json(c, zone);
	char *text = case_text(c, zone);
	json_t *v = text ? case_value(text) : NULL;
	free(text);
	return v;
}

/* ---- rebuilding a case from its events ---- */

ot_status case_head_read(ot_engine *e, const char *id, int after, case_head *h, ot_error *err)
{
	char item[256], hash[65];
	ot_status s = store_case_head(e, id, after, item, hash, h->status, &h->events, err);
	if (s != OT_OK)
		return s;
	if (!(h->v = engine_version(e, hash, err)))
		return err->status;
	const ot_rules *r = h->v->rules;
	int is_chain = strncmp(item, "chain:", 6) == 0;
	h->chain = is_chain ? strmap_get(&r->by_chain, item + 6, strlen(item + 6)) : -1;
	h->item = is_chain ? -1 : strmap_get(&r->by_item, item, strlen(item));
	if (h->item < 0 && h->chain < 0)
		return store_damaged(e, err, "case %s: its rule version has no %s '%s'", id,
				     is_chain ? "chain" : "item", is_chain ? item + 6 : item);
	if (h->events < 1)
		return store_damaged(e, err, "case %s has no events", id);
	return OT_OK;
}

ot_status case_catch_up(ot_engine *e, ot_case *c, ot_error *err)
{
	json_t *events = NULL;
	ot_status s = store_events(e, c->id, c->events, &events, err);
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		if (s != OT_OK || (s = case_apply(c, ev, e->zone, err)) != OT_OK)
			break;
	}
	json_decref(events);
	return s;
}

void case_note_stored(ot_case *c, const case_head *h)
{
	c->stored_status = -1;
	for (int k = 0; k < CS__COUNT; k++)
		if (strcmp(case_status_names[k], h->status) == 0)
			c->stored_status = k;
}

ot_case *case_empty(const case_head *h, const char *id)
{
	return h->chain >= 0 ? chain_case_new(h->v, h->chain, id) : case_new(h->v, h->item, id);
}

ot_status case_rebuild(ot_engine *e, const char *id, ot_case **out, ot_error *err)
{
	*out = NULL;
	case_head h;
	ot_status s = case_head_read(e, id, 0, &h, err);
	if (s != OT_OK)
		return s;
	ot_case *c = case_empty(&h, id);
	if (!c)
		return err_set(err, OT_ENOMEM, "out of memory loading case %s", id);
	if ((s = case_catch_up(e, c, err)) == OT_OK && c->events != h.events)
		s = store_damaged(e, err, "case %s: %d events read, %d stored", id, c->events,
				  h.events);
	if (s != OT_OK) {
		case_free(c);
		return s;
	}
	case_note_stored(c, &h);
	*out = c;
	return OT_OK;
}

/* ---- the columns the backends keep beside a snapshot ---- */

const char *case_row_item(const ot_case *c)
{
	return c->chain >= 0 ? chain_row_item(c) : item_of(c)->name;
}

const char *case_row_applicant(const ot_case *c, char key[64])
{
	const char *id = json_string_value(json_object_get(c->applicant, "id"));
	return id ? store_holder_key(id, key) : NULL;
}

int case_library_entry(const ot_case *c, uint32_t i, ot_time now, int zone, ot_time *until)
{
	const ot_rules *r = c->v->rules;
	/* only what the item asks for: a stray document is not vouched for */
	int m = r->reqs[item_of(c)->reqs.first + i].material;
	if (c->have[m] != HAVE_PROVIDED || r->materials[m].reusable.n < 0)
		return -1;
	*until = time_plus(now, r->materials[m].reusable, zone);
	return m;
}

const char *case_row_department(const ot_case *c)
{
	const ot_rules *r = c->v->rules;
	if (c->chain >= 0) {
		int w = r->chains[c->chain].window;
		return w >= 0 ? r->departments[r->windows[w].dept].name : "";
	}
	return item_of(c)->dept >= 0 ? r->departments[item_of(c)->dept].name : "";
}

void case_handlers(const ot_case *c, char *out, size_t cap)
{
	if (c->chain >= 0) {
		chain_row_handlers(c, out, cap);
		return;
	}
	const ot_rules *r = c->v->rules;
	const m_item *it = &r->items[c->item];
	size_t n = strlen(str_copy(out, cap, ","));
	for (uint32_t i = 0; i < it->steps.count && n + 1 < cap; i++) {
		int dept = case_step_dept(c, (int)i); /* routed by the form: the case's */
		if (c->steps[i].state != STEP_ACTIVE || dept < 0)
			continue;
		n += strlen(str_copy(out + n, cap - n, r->departments[dept].name));
		n += strlen(str_copy(out + n, cap - n, ","));
	}
}

int case_next_due(const ot_case *c, char out[11])
{
	if (c->chain >= 0) {
		int32_t due = chain_row_next_due(c);
		if (due < 0)
			return 0;
		day_format(due, out);
		return 1;
	}
	const m_item *it = &c->v->rules->items[c->item];
	/* the case's and each step's `due` is the earlier of its legal and
	 * promised due dates (settle_dues): a legal limit that runs out
	 * before the promise is found here too */
	int32_t next = c->due;
	/* what overdue looks for besides the limits: an acceptance decision
	 * not taken, a special procedure past its maximum */
	if (c->status == CS_RECEIVED)
		next = c->accept_due;
	if (c->status == CS_CHECKING) { /* only the check of the pledge is left */
		day_format(c->pledge_check_due, out);
		return 1;
	}
	if (c->procedure >= 0)
		next = c->procedure_max_end;
	for (uint32_t i = 0; c->procedure < 0 && i < it->steps.count; i++)
		if (c->steps[i].state == STEP_ACTIVE && c->steps[i].due >= 0 &&
		    (next < 0 || c->steps[i].due < next))
			next = c->steps[i].due;
	/* a deferred material (容缺) past its deadline is late too */
	int mats[64];
	int32_t dues[64];
	int nd = c->status == CS_IN_PROGRESS ? case_deferred_dues(c, mats, dues, 64) : 0;
	for (int i = 0; i < nd; i++)
		if (next < 0 || dues[i] < next)
			next = dues[i];
	if (next < 0)
		return 0;
	day_format(next, out);
	return 1;
}
