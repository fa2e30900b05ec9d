/*
 * sweep.c -- the time sweep (电子监察 预警): which deadlines of a case need
 * a warning, the `warn` event that records one, and the day a case next
 * needs the sweep.
 *
 * A supervisor wants to be told once, not every few minutes: a yellow card
 * (黄牌) when a deadline is within the engine's `warn_workdays` working
 * days, a red card (红牌) once it has passed, each exactly once per case,
 * deadline and level.  So the warnings a case was given are part of the
 * case, replayed from its `warn` events like everything else: whether one
 * is still due is decided from the case itself, inside the transaction
 * that holds the case, and two servers sweeping at once cannot both give
 * it (the operation in api.c, the claim in the backends).
 *
 * A warning changes no status and no due date: it is a record, not a
 * decision.  The deadlines are the ones `overdue` reports: the item's
 * promised due date (else its legal one), the legal one besides a promise,
 * each active step's (the earlier of its two, and the legal one besides
 * an earlier promise), the acceptance decision's,
 * each deferred material's (容缺), the pledge check's (告知承诺) and a
 * special procedure's maximum.
 * A step entered again (a loop) or a procedure run again is a new
 * deadline: warnings count from the moment it started.
 *
 * The store keeps, beside each case, the first day on which it needs a
 * warning it has not had (case_warn_at), indexed, so a sweep reads only
 * the cases that need one, however many are on time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static const char *const *const target_names = model_warn_target_names;
static const char *const *const level_names = model_warn_level_names;

/* A deadline of a case, running since `since`. */
typedef struct deadline {
	uint8_t target;
	int32_t index, due;
	ot_time since;
} deadline;

static const m_calendar *calendar_of(const ot_case *c)
{
	const m_item *it = &c->v->rules->items[c->item];
	return it->calendar >= 0 ? &c->v->rules->calendars[it->calendar] : NULL;
}

/* Each deadline running now, to f: as many as the item has (every active
 * step; deferred materials up to 64). */
typedef void deadline_fn(void *ctx, const ot_case *c, const deadline *d);

static void deadlines(const ot_case *c, deadline_fn *f, void *ctx)
{
#define ADD(t, i, d, s)                                                  \
	do {                                                             \
		if ((d) >= 0)                                            \
			f(ctx, c, &(deadline){(t), (i), (d), (s)});      \
	} while (0)
	if (c->chain >= 0) /* a chain's items are warned, each as a case */
		return;
	switch (c->status) {
	case CS_IN_PROGRESS: {
		const m_item *it = &c->v->rules->items[c->item];
		/* the promise (the legal due date where there is none) and the
		 * legal due date besides it, each its own card, whichever comes
		 * first; `due` is the earlier of the two, not always the promise */
		ADD(WARN_CASE, -1, c->due_promised >= 0 ? c->due_promised : c->due_legal, c->accepted);
		if (c->due_promised >= 0 && c->due_legal != c->due_promised)
			ADD(WARN_LEGAL, -1, c->due_legal, c->accepted);
		/* a step's `due`: the earlier of its legal and promised ones;
		 * the legal one besides a promise, as the case's */
		for (uint32_t i = 0; i < it->steps.count; i++) {
			const case_step *s = &c->steps[i];
			if (s->state != STEP_ACTIVE)
				continue;
			ADD(WARN_STEP, (int32_t)i, s->due, s->started);
			if (c->clocks >= CLOCKS_STEP_LEGAL && s->due_legal > s->due)
				ADD(WARN_STEP_LEGAL, (int32_t)i, s->due_legal, s->started);
		}
		int mats[64];
		int32_t dues[64];
		int nd = case_deferred_dues(c, mats, dues, 64);
		for (int i = 0; i < nd; i++)
			ADD(WARN_DEFERRED, mats[i], dues[i], c->accepted);
		break;
	}
	case CS_RECEIVED:
		ADD(WARN_ACCEPTANCE, -1, c->accept_due, c->received);
		break;
	case CS_SUSPENDED: /* its clocks stand still; a special procedure's maximum does not */
		if (c->procedure >= 0)
			ADD(WARN_PROCEDURE, c->procedure, c->procedure_max_end, c->paused_since);
		break;
	case CS_APPROVED:
	case CS_CHECKING:
		if (c->pledged && !c->pledge_checked)
			ADD(WARN_PLEDGE, -1, c->pledge_check_due, c->decided);
		break;
	default:
		break;
	}
#undef ADD
}

/* The level the case was given for deadline d (since it started). */
static int given(const ot_case *c, const deadline *d)
{
	int level = WARN_NONE;
	for (int i = 0; i < c->nwarnings; i++) {
		const case_warning *w = &c->warnings[i];
		if (w->target == d->target && w->index == d->index && w->at >= d->since &&
		    w->level > level)
			level = w->level;
	}
	return level;
}

/* The first day from which `due` is within `workdays` working days: the
 * earliest d with at most that many working days in (d, due].  Without a
 * calendar every day counts. */
static int32_t yellow_from(const m_calendar *cal, int32_t due, int workdays)
{
	int32_t d = due, n = 0;
	for (int guard = 0; guard < 800; guard++) {
		int32_t counted = n + (!cal || cal_is_workday(cal, d));
		if (counted > workdays)
			break;
		n = counted;
		d--;
	}
	return d;
}

/* The level deadline `due` calls for on `today`. */
static int level_on(const m_calendar *cal, int32_t due, int32_t today, int workdays)
{
	if (today > due)
		return WARN_RED;
	return workdays >= 0 && today >= yellow_from(cal, due, workdays) ? WARN_YELLOW : WARN_NONE;
}

typedef struct due_now {
	int32_t today;
	int workdays, n, max;
	sweep_due *out;
} due_now;

static void add_due_now(void *ctx, const ot_case *c, const deadline *d)
{
	due_now *w = ctx;
	int want = level_on(c->chain < 0 ? calendar_of(c) : NULL, d->due, w->today, w->workdays);
	if (want > given(c, d) && w->n < w->max) /* a red skips a yellow not given */
		w->out[w->n++] = (sweep_due){d->target, (uint8_t)want, d->index, d->due};
}

int sweep_due_now(const ot_case *c, int32_t today, int workdays, sweep_due *out, int max)
{
	due_now w = {today, workdays, 0, max, out};
	deadlines(c, add_due_now, &w);
	return w.n;
}

/* A store's warn_at is written by every engine alike, with the window
 * SWEEP_INDEX_WORKDAYS, whatever the writer's own: another engine -- the
 * command line's `sweep --warn-workdays 3` on a store `submit` wrote, a
 * default sweep on a case an engine without yellows wrote last -- sweeps
 * it with its window, wider (it claims further ahead, sweep_claim_day) or
 * narrower (it reads the case a day or so early, gives nothing yet and
 * writes the same day back).  -1 (no yellow at all) gives the latest day
 * that is still in time: the store check's bound. */
typedef struct warn_day {
	int workdays;
	int32_t next;
} warn_day;

static void earliest_warning(void *ctx, const ot_case *c, const deadline *d)
{
	warn_day *w = ctx;
	int had = given(c, d);
	int32_t day = had == WARN_RED ? -1
		    : had == WARN_YELLOW || w->workdays < 0 ? d->due + 1
		    : yellow_from(c->chain < 0 ? calendar_of(c) : NULL, d->due, w->workdays);
	if (day >= 0 && (w->next < 0 || day < w->next))
		w->next = day;
}

int case_warn_at(const ot_case *c, int workdays, char out[11])
{
	warn_day w = {workdays > SWEEP_INDEX_WORKDAYS ? SWEEP_INDEX_WORKDAYS : workdays, -1};
	deadlines(c, earliest_warning, &w);
	if (w.next < 0)
		return 0;
	day_format(w.next, out);
	return 1;
}

/* A deadline yellow under a window of n working days on `today` has
 * at most n of them in (today, due]; counted with the index's window of
 * one, it was yellow from a day with at most n - 1 of them in (today,
 * day]: the (n - 1)-th working day after today, on the calendar with the
 * fewest working days (a case of another calendar may be claimed a day
 * or two early, and is claimed again until its warning is due). */
int32_t sweep_claim_day(const ot_engine *e, int32_t today)
{
	int n = e->warn_workdays - SWEEP_INDEX_WORKDAYS;
	int32_t last = n > 0 ? today + n : today; /* without a calendar every day counts */
	for (int v = 0; n > 0 && v < e->nversions; v++) {
		const ot_rules *r = e->versions[v].rules;
		for (uint32_t i = 0; r && i < r->n_calendars; i++) {
			int32_t d = cal_add_workdays(&r->calendars[i], today, n);
			if (d > last)
				last = d;
		}
	}
	return last;
}

/* The name of what a warning is about: a step, a material, a procedure. */
static const char *index_name(const ot_case *c, int target, int32_t index)
{
	const ot_rules *r = c->v->rules;
	const m_item *it = &r->items[c->item];
	if (target == WARN_STEP || target == WARN_STEP_LEGAL)
		return r->steps[it->steps.first + (uint32_t)index].name;
	if (target == WARN_DEFERRED)
		return r->materials[index].name;
	if (target == WARN_PROCEDURE)
		return r->procedures[it->procedures.first + (uint32_t)index].name;
	return NULL;
}

static void latest(void *ctx, const ot_case *c, const deadline *d)
{
	(void)c;
	deadline *last = ctx;
	if (last->due < 0 || d->due > last->due)
		*last = *d;
}

int32_t sweep_last_due(const ot_case *c, const char **target, const char **name)
{
	if (c->chain >= 0) { /* not warned itself, but due all the same */
		int32_t due = chain_last_due(c, name);
		*target = *name ? "stage" : "chain";
		return due;
	}
	deadline last = {0, -1, -1, 0};
	deadlines(c, latest, &last);
	/* a paused case's limits stand still (deadlines() lists none of
	 * them): they are due again once it runs on -- after a special
	 * procedure at the latest once its maximum is kept out -- and an
	 * extension while it is paused moves them */
	if (c->status == CS_SUSPENDED || c->status == CS_RETURNED) {
		ot_case *held = case_clone(c);
		if (!held)
			return SWEEP_DUE_UNKNOWN;
		case_run_on(held, c->procedure >= 0 ? c->procedure_max_end
				  : time_day(c->paused_since, c->v->zone));
		deadlines(held, latest, &last);
		case_free(held);
	}
	*target = last.due >= 0 ? target_names[last.target] : NULL;
	*name = last.due >= 0 ? index_name(c, last.target, last.index) : NULL;
	return last.due;
}

static const char *index_key(int target)
{
	return target == WARN_STEP || target == WARN_STEP_LEGAL ? "step"
	     : target == WARN_DEFERRED ? "material"
	     : target == WARN_PROCEDURE ? "procedure" : NULL;
}

/* Who is to act on the deadline: a step's department, else the item's. */
static const char *department_of(const ot_case *c, int target, int32_t index)
{
	const ot_rules *r = c->v->rules;
	int dept = target == WARN_STEP || target == WARN_STEP_LEGAL ? case_step_dept(c, index)
		 : r->items[c->item].dept;
	return dept >= 0 ? r->departments[dept].name : NULL;
}

json_t *sweep_event(const ot_case *c, const sweep_due *w, ot_time at, int zone)
{
	char when[32], due[11];
	time_format(at, zone, when);
	day_format(w->due, due);
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?}", "op", "warn", "at", when,
			       "actor", "sweep", "level", level_names[w->level], "target",
			       target_names[w->target], "due", due, "department",
			       department_of(c, w->target, w->index));
	const char *key = index_key(w->target);
	if (ev && key)
		json_object_set_new(ev, key, json_string(index_name(c, w->target, w->index)));
	return ev;
}

/* The index a warn event's name stands for; -1 when it names none. */
static int32_t index_of(const ot_case *c, int target, const char *name)
{
	const ot_rules *r = c->v->rules;
	const m_item *it = &r->items[c->item];
	if (!name)
		return -1;
	if (target == WARN_DEFERRED)
		return strmap_get(&r->by_material, name, strlen(name));
	int step = target == WARN_STEP || target == WARN_STEP_LEGAL;
	uint32_t count = step ? it->steps.count : it->procedures.count;
	for (uint32_t i = 0; i < count; i++)
		if (strcmp(step ? r->steps[it->steps.first + i].name
				: r->procedures[it->procedures.first + i].name, name) == 0)
			return (int32_t)i;
	return -1;
}

ot_status sweep_apply(ot_case *c, json_t *ev, ot_time at, int zone, ot_error *err)
{
	(void)zone;
	const char *target = json_string_value(json_object_get(ev, "target"));
	const char *level = json_string_value(json_object_get(ev, "level"));
	const char *due = json_string_value(json_object_get(ev, "due"));
	case_warning w = {0, 0, -1, -1, at};
	int t = -1, l = -1;
	for (int i = 0; target && i < WARN__COUNT; i++)
		if (strcmp(target, target_names[i]) == 0)
			t = i;
	for (int i = WARN_YELLOW; level && i <= WARN_RED; i++)
		if (strcmp(level, level_names[i]) == 0)
			l = i;
	const char *key = t >= 0 ? index_key(t) : NULL;
	if (t >= 0 && key)
		w.index = index_of(c, t, json_string_value(json_object_get(ev, key)));
	if (c->chain >= 0 || t < 0 || l < 0 || !due || !day_parse(due, &w.due) || (key && w.index < 0))
		return err_set(err, OT_ESTORE, "case %s: event %d does not fit the case", c->id,
			       c->events + 1);
	w.target = (uint8_t)t;
	w.level = (uint8_t)l;
	case_warning *grown = realloc(c->warnings, (size_t)(c->nwarnings + 1) * sizeof *grown);
	if (!grown)
		return err_set(err, OT_ENOMEM, "out of memory loading case %s", c->id);
	c->warnings = grown;
	c->warnings[c->nwarnings++] = w;
	return OT_OK;
}

json_t *sweep_warnings_json(const ot_case *c, int zone)
{
	json_t *a = json_array();
	for (int i = 0; a && i < c->nwarnings; i++) {
		const case_warning *w = &c->warnings[i];
		char at[32], due[11];
		time_format(w->at, zone, at);
		day_format(w->due, due);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "level", level_names[w->level], "target",
				      target_names[w->target], "due", due, "at", at);
		const char *key = index_key(w->target);
		if (o && key)
			json_object_set_new(o, key, json_string(index_name(c, w->target, w->index)));
		json_array_append_new(a, o);
	}
	return a;
}
