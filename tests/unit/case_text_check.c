/*
 * case_text_check.c -- every snapshot case_text writes, checked against the
 * jansson builder it replaced.
 *
 * Linked with -Wl,--wrap=case_text into a copy of the command line (the
 * scenario suites) and of unit suites (tests/CMakeLists.txt): each call the
 * engine makes to case_text (every write's snapshot, for every case those
 * suites make) also builds the snapshot the old way -- the jansson values
 * of case.c's case_json before the text writer, kept here as it was, key
 * for key -- and writes it with json_text; the two texts must be the same
 * bytes, or the process stops with both printed.  At exit it says how many
 * it compared; the test fails on none (tests/case_text_check.sh).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "json_write.h"
#include "model.h"

char *__real_case_text(const ot_case *c, int zone);
char *__wrap_case_text(const ot_case *c, int zone);

static atomic_long compared;

/* ---- the builder as it was (engine/case.c before case_text) ---- */

static void put(json_t *o, const char *key, json_t *value)
{
	json_object_set_new_nocheck(o, key, value);
}

static json_t *text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *ref_steps_json(const ot_case *c, int zone, int current_only)
{
	const ot_rules *r = c->v->rules;
	const m_item *it = (&c->v->rules->items[c->item]);
	static const char *const states[] = {"waiting", "active", "done"};
	json_t *a = json_array();
	for (uint32_t i = 0; i < it->steps.count; i++) {
		const case_step *s = &c->steps[i];
		if (current_only && s->state != STEP_ACTIVE)
			continue;
		const m_step *ms = &r->steps[it->steps.first + i];
		int dept = case_step_dept(c, (int)i);
		json_t *o = json_object();
		put(o, "step", json_string(ms->name));
		put(o, "label", text_or_null(ms->label));
		put(o, "department", text_or_null(dept >= 0 ? r->departments[dept].name : NULL));
		put(o, "started_at", case_time_json(s->started, zone));
		put(o, "due", case_day_json(s->due));
		put(o, "window", text_or_null(ms->window >= 0 ? r->windows[ms->window].name : NULL));
		put(o, "legal_due", case_day_json(s->due_legal));
		put(o, "promised_due", case_day_json(s->due_promised));
		if (!current_only) {
			put(o, "state", json_string(states[s->state]));
			put(o, "finished_at", case_time_json(s->finished, zone));
		}
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *ref_case_json(const ot_case *c, int zone)
{
	const ot_rules *r = c->v->rules;
	const m_item *it = (&c->v->rules->items[c->item]);
	json_t *mats = json_object();
	for (uint32_t m = 0; m < r->n_materials; m++)
		if (c->have[m])
			json_object_set_new(mats, r->materials[m].name, json_string(model_have_names[c->have[m]]));
	json_t *o = json_object();
	put(o, "id", json_string(c->id));
	put(o, "item", json_string(it->name));
	put(o, "item_label", text_or_null(it->label));
	put(o, "rules", json_string(r->hash));
	put(o, "status", json_string(case_status_names[c->status]));
	put(o, "applicant", c->applicant ? json_incref(c->applicant) : json_null());
	put(o, "form", json_incref(c->form));
	put(o, "materials", mats);
	put(o, "reused", json_incref(c->reused));
	put(o, "current", ref_steps_json(c, zone, 1));
	put(o, "steps", ref_steps_json(c, zone, 0));
	put(o, "submitted_at", case_time_json(c->submitted, zone));
	put(o, "accepted_at", case_time_json(c->accepted, zone));
	put(o, "decided_at", case_time_json(c->decided, zone));
	put(o, "closed_at", case_time_json(c->closed, zone));
	put(o, "due", case_day_json(c->due));
	put(o, "legal_due", case_day_json(c->due_legal));
	put(o, "promised_due", case_day_json(c->due_promised));
	put(o, "received_at", case_time_json(c->received, zone));
	put(o, "acceptance_due", case_day_json(c->accept_due));
	/* late, the application counts as accepted from receipt (art. 32) */
	put(o, "deemed_accepted", json_boolean(it->deemed_accepted));
	put(o, "extended", json_integer(c->extended));
	put(o, "extensions", json_incref(c->extensions));
	json_t *running = json_null();
	if (c->procedure >= 0) {
		const m_procedure *mp = &r->procedures[it->procedures.first + (uint32_t)c->procedure];
		running = json_pack("{s:s, s:s?, s:o, s:o}", "procedure", mp->name, "label",
				    mp->label, "started_at", case_time_json(c->paused_since, zone),
				    "max_end", case_day_json(c->procedure_max_end));
	}
	put(o, "procedure", running);
	put(o, "procedures", json_incref(c->procedures));
	int dmats[64];
	int32_t dues[64];
	int nd = case_deferred_dues(c, dmats, dues, 64);
	json_t *deferred = json_array();
	for (int i = 0; i < nd; i++)
		json_array_append_new(deferred, json_pack("{s:s, s:o}", "material",
			r->materials[dmats[i]].name, "due", case_day_json(dues[i])));
	put(o, "deferred_due", deferred);
	put(o, "pledged", json_boolean(c->pledged));
	put(o, "pledge_check_due", case_day_json(c->pledge_check_due));
	put(o, "pledge_checked_at", case_time_json(c->pledge_checked, zone));
	put(o, "remedy", c->remedy ? json_incref(c->remedy) : json_null());
	put(o, "trips", json_integer(c->trips));
	put(o, "max_trips", json_integer(item_max_trips(c->v->rules, c->item)));
	put(o, "notice", c->notice ? json_incref(c->notice) : json_null());
	put(o, "note", c->note ? json_incref(c->note) : json_null());
	put(o, "paused_since", case_time_json(c->paused_since, zone));
	put(o, "delivered", c->delivered ? json_string(c->delivered) : json_null());
	put(o, "returned_step",
			    c->returned_step >= 0
				    ? json_string(r->steps[it->steps.first + (uint32_t)c->returned_step].name)
				    : json_null());
	put(o, "events", json_integer(c->events));
	/* the flow lines this case went through, numbered as in the item's
	 * flow (from 0): for audits and test coverage */
	json_t *taken = json_array();
	for (uint32_t i = 0; i < it->rules.count; i++)
		if (c->taken[i])
			json_array_append_new(taken, json_integer(i));
	put(o, "taken", taken);
	put(o, "hooks_called", json_incref(c->hooks));
	if (c->chain_id[0])
		put(o, "chain", json_string(c->chain_id));
	if (c->nwarnings) /* the time sweep's, only once there is one */
		put(o, "warnings", sweep_warnings_json(c, zone));
	return o;
}


/* ---- the check ---- */

static void say_how_many(void)
{
	fprintf(stderr, "case_text_check: %ld snapshots compared\n", (long)atomic_load(&compared));
}

char *__wrap_case_text(const ot_case *c, int zone)
{
	static atomic_flag told = ATOMIC_FLAG_INIT;
	if (!atomic_flag_test_and_set(&told))
		atexit(say_how_many);
	char *text = __real_case_text(c, zone);
	if (!text || c->chain >= 0) /* a chain's is chain_json's, as before */
		return text;
	json_t *ref = ref_case_json(c, zone);
	char *want = ref ? json_text(ref, JSON_COMPACT) : NULL;
	json_decref(ref);
	if (!want) { /* out of memory: nothing to compare (test_enomem's) */
		return text;
	}
	if (strcmp(text, want) != 0) {
		fprintf(stderr, "case_text_check: case %s: the snapshots differ\nold: %s\nnew: %s\n",
			c->id, want, text);
		abort();
	}
	free(want);
	atomic_fetch_add(&compared, 1);
	return text;
}
