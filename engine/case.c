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
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

const char *const case_status_names[CS__COUNT] = {
	"needs_supplement", "in_progress", "returned", "suspended",
	"approved", "denied", "closed", "withdrawn",
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

ot_case *case_new(const version *v, int item, const char *id)
{
	const ot_rules *r = v->rules;
	const m_item *it = &r->items[item];
	ot_case *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	snprintf(c->id, sizeof c->id, "%s", id);
	c->v = v;
	c->item = item;
	c->due = -1;
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
	if (!c->have || !c->steps || !c->arrived || !c->taken || !c->form || !c->reused) {
		case_free(c);
		return NULL;
	}
	for (uint32_t i = 0; i < it->steps.count; i++)
		c->steps[i].due = -1;
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
	chain_state_free(c->cs);
	free(c);
}

/* ---- the clock ---- */


static const m_calendar *calendar_of(const ot_case *c)
{
	const m_item *it = item_of(c);
	return it->calendar >= 0 ? &c->v->rules->calendars[it->calendar] : NULL;
}

static void activate(ot_case *c, int step, ot_time at, int zone)
{
	if (step == STEP_END)
		return;
	const m_step *ms = &c->v->rules->steps[item_of(c)->steps.first + (uint32_t)step];
	const m_calendar *cal = calendar_of(c);
	case_step *s = &c->steps[step];
	s->state = STEP_ACTIVE;
	s->started = at;
	s->finished = 0;
	s->due = ms->within >= 0 && cal ? cal_add_workdays(cal, time_day(at, zone), ms->within) : -1;
}

static void accept(ot_case *c, ot_time at, int zone)
{
	const m_calendar *cal = calendar_of(c);
	int32_t limit = cal_item_limit(item_of(c));
	c->status = CS_IN_PROGRESS;
	c->accepted = at;
	c->due = limit >= 0 && cal ? cal_add_workdays(cal, time_day(at, zone), limit) : -1;
	activate(c, 0, at, zone);
}

/* Working days spent paused extend every running limit. */
static void resume_clock(ot_case *c, ot_time at, int zone)
{
	const m_calendar *cal = calendar_of(c);
	if (!cal)
		return;
	int32_t spent = cal_workdays_between(cal, time_day(c->paused_since, zone),
					     time_day(at, zone));
	if (spent > 0) {
		if (c->due >= 0)
			c->due = cal_add_workdays(cal, c->due, spent);
		for (uint32_t i = 0; i < item_of(c)->steps.count; i++)
			if (c->steps[i].state == STEP_ACTIVE && c->steps[i].due >= 0)
				c->steps[i].due = cal_add_workdays(cal, c->steps[i].due, spent);
	}
	c->paused_since = 0;
	c->status = CS_IN_PROGRESS;
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

void case_note_hooks(ot_case *c, json_t *names)
{
	size_t i, k;
	json_t *fn, *have;
	json_array_foreach(names, i, fn) {
		int seen = 0;
		json_array_foreach(c->hooks, k, have)
			seen |= json_equal(have, fn);
		if (!seen)
			json_array_append(c->hooks, fn);
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
	if (c->chain >= 0) {
		st = chain_apply(c, op, ev, at, zone, err);
	} else if (strcmp(op, "submit") == 0) {
		if (str(ev, "chain"))
			snprintf(c->chain_id, sizeof c->chain_id, "%s", str(ev, "chain"));
		set_json(&c->applicant, json_object_get(ev, "applicant"));
		const char *kind = str(c->applicant, "kind");
		c->applicant_kind = !kind ? -1 : strcmp(kind, "company") == 0 ? EV_COMPANY : EV_PERSON;
		case_take_materials(c, ev);
		c->submitted = at;
		if (complete)
			accept(c, at, zone);
		else
			c->status = CS_NEEDS_SUPPLEMENT;
	} else if (strcmp(op, "supplement") == 0) {
		case_take_materials(c, ev);
		if (complete && c->status == CS_NEEDS_SUPPLEMENT)
			accept(c, at, zone);
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
		c->status = CS_CLOSED;
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
	} else if (strcmp(op, "withdraw") == 0) {
		c->status = CS_WITHDRAWN;
		c->closed = at;
		for (uint32_t i = 0; i < item_of(c)->steps.count; i++)
			if (c->steps[i].state == STEP_ACTIVE)
				c->steps[i].state = STEP_IDLE;
		if (json_object_get(ev, "reason"))
			set_json(&c->note, json_object_get(ev, "reason"));
	} else
		st = err_set(err, OT_ESTORE, "case %s: unknown event '%s'", c->id, op);
	if (st == OT_OK) {
		case_note_hooks(c, json_object_get(ev, "hooks"));
		c->events++;
		c->last_at = at;
	}
	return st;
}

/* ---- as JSON ---- */

static json_t *time_or_null(ot_time t, int zone)
{
	char text[32];
	if (!t)
		return json_null();
	time_format(t, zone, text);
	return json_string(text);
}

static json_t *day_or_null(int32_t day)
{
	char text[11];
	if (day < 0)
		return json_null();
	day_format(day, text);
	return json_string(text);
}

static json_t *steps_json(const ot_case *c, int zone, int current_only)
{
	const ot_rules *r = c->v->rules;
	const m_item *it = item_of(c);
	static const char *const states[] = {"waiting", "active", "done"};
	json_t *a = json_array();
	for (uint32_t i = 0; i < it->steps.count; i++) {
		const case_step *s = &c->steps[i];
		if (current_only && s->state != STEP_ACTIVE)
			continue;
		const m_step *ms = &r->steps[it->steps.first + i];
		json_t *o = json_pack("{s:s, s:s?, s:s, s:o, s:o, s:o}", "step", ms->name,
				      "label", ms->label, "department", r->departments[ms->dept].name,
				      "started_at", time_or_null(s->started, zone), "due",
				      day_or_null(s->due), "window",
				      ms->window >= 0 ? json_string(r->windows[ms->window].name)
						      : json_null());
		if (!current_only) {
			json_object_set_new(o, "state", json_string(states[s->state]));
			json_object_set_new(o, "finished_at", time_or_null(s->finished, zone));
		}
		json_array_append_new(a, o);
	}
	return a;
}

json_t *case_json(const ot_case *c, int zone)
{
	if (c->chain >= 0)
		return chain_json(c, zone);
	const ot_rules *r = c->v->rules;
	const m_item *it = item_of(c);
	json_t *mats = json_object();
	for (uint32_t m = 0; m < r->n_materials; m++)
		if (c->have[m])
			json_object_set_new(mats, r->materials[m].name, json_string(model_have_names[c->have[m]]));
	json_t *o = json_pack("{s:s, s:s, s:s?, s:s, s:s, s:O?, s:O, s:o, s:O, s:o}",
			      "id", c->id, "item", it->name, "item_label", it->label,
			      "rules", r->hash, "status", case_status_names[c->status],
			      "applicant", c->applicant, "form", c->form, "materials", mats,
			      "reused", c->reused, "current", steps_json(c, zone, 1));
	json_object_set_new(o, "steps", steps_json(c, zone, 0));
	json_object_set_new(o, "submitted_at", time_or_null(c->submitted, zone));
	json_object_set_new(o, "accepted_at", time_or_null(c->accepted, zone));
	json_object_set_new(o, "decided_at", time_or_null(c->decided, zone));
	json_object_set_new(o, "closed_at", time_or_null(c->closed, zone));
	json_object_set_new(o, "due", day_or_null(c->due));
	json_object_set_new(o, "trips", json_integer(c->trips));
	json_object_set_new(o, "max_trips", json_integer(item_max_trips(c->v->rules, c->item)));
	json_object_set_new(o, "notice", c->notice ? json_incref(c->notice) : json_null());
	json_object_set_new(o, "note", c->note ? json_incref(c->note) : json_null());
	json_object_set_new(o, "paused_since", time_or_null(c->paused_since, zone));
	json_object_set_new(o, "delivered", c->delivered ? json_string(c->delivered) : json_null());
	json_object_set_new(o, "returned_step",
			    c->returned_step >= 0
				    ? json_string(r->steps[it->steps.first + (uint32_t)c->returned_step].name)
				    : json_null());
	json_object_set_new(o, "events", json_integer(c->events));
	/* the flow lines this case went through, numbered as in the item's
	 * flow (from 0): for audits and test coverage */
	json_t *taken = json_array();
	for (uint32_t i = 0; i < it->rules.count; i++)
		if (c->taken[i])
			json_array_append_new(taken, json_integer(i));
	json_object_set_new(o, "taken", taken);
	json_object_set_new(o, "hooks_called", json_incref(c->hooks));
	if (c->chain_id[0])
		json_object_set_new(o, "chain", json_string(c->chain_id));
	return o;
}

/* ---- rebuilding a case from its events ---- */

/* Applies the events to a new case of version v (of item `item`, or of
 * chain `chain` when that is >= 0). */
static ot_status replay(ot_engine *e, const version *v, int item, int chain, const char *id,
			ot_case **out, ot_error *err)
{
	json_t *events = NULL;
	ot_status s = store_events(e, id, &events, err);
	if (s == OT_OK && json_array_size(events) == 0)
		s = store_damaged(e, err, "case %s has no events", id);
	ot_case *c = s != OT_OK ? NULL : chain >= 0 ? chain_case_new(v, chain, id)
		   : case_new(v, item, id);
	if (s == OT_OK && !c)
		s = err_set(err, OT_ENOMEM, "out of memory loading case %s", id);
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		if (s != OT_OK || (s = case_apply(c, ev, e->zone, err)) != OT_OK)
			break;
	}
	json_decref(events);
	if (s != OT_OK)
		case_free(c);
	*out = s == OT_OK ? c : NULL;
	return s;
}

ot_status case_rebuild(ot_engine *e, const char *id, ot_case **out, ot_error *err)
{
	*out = NULL;
	char item[256], hash[65], status[32];
	ot_status s = store_case_head(e, id, item, hash, status, err);
	if (s != OT_OK)
		return s;
	const version *v = engine_version(e, hash, err);
	if (!v)
		return err->status;
	int chain = strncmp(item, "chain:", 6) == 0
		? strmap_get(&v->rules->by_chain, item + 6, strlen(item + 6)) : -1;
	int index = chain >= 0 ? -1 : strmap_get(&v->rules->by_item, item, strlen(item));
	if (index < 0 && chain < 0)
		return store_damaged(e, err, "case %s: its rule version has no %s '%s'", id,
				     strncmp(item, "chain:", 6) == 0 ? "chain" : "item",
				     strncmp(item, "chain:", 6) == 0 ? item + 6 : item);
	ot_case *c;
	if ((s = replay(e, v, index, chain, id, &c, err)) != OT_OK)
		return s;
	c->stored_status = -1;
	for (int k = 0; k < CS__COUNT; k++)
		if (strcmp(case_status_names[k], status) == 0)
			c->stored_status = k;
	*out = c;
	return OT_OK;
}

/* ---- what a store's row says (store.h's backends use these) ---- */

const char *case_row_item(const ot_case *c)
{
	return c->chain >= 0 ? chain_row_item(c) : item_of(c)->name;
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
	const m_item *it = item_of(c);
	size_t n = (size_t)snprintf(out, cap, ",");
	for (uint32_t i = 0; i < it->steps.count && n < cap; i++)
		if (c->steps[i].state == STEP_ACTIVE)
			n += (size_t)snprintf(out + n, cap - n, "%s,",
					      r->departments[r->steps[it->steps.first + i].dept].name);
}

int case_next_due(const ot_case *c, char out[11])
{
	int32_t next = c->chain >= 0 ? chain_row_next_due(c) : c->due;
	const m_item *it = c->chain >= 0 ? NULL : item_of(c);
	for (uint32_t i = 0; it && i < it->steps.count; i++)
		if (c->steps[i].state == STEP_ACTIVE && c->steps[i].due >= 0 &&
		    (next < 0 || c->steps[i].due < next))
			next = c->steps[i].due;
	if (next < 0)
		return 0;
	day_format(next, out);
	return 1;
}
