/*
 * api.h -- what the operations of api.c share with the chain operations
 * of api_chain.c.  Internal to the api layer.
 *
 * Ownership: as in api.c: an event or response returned is the caller's
 * (one reference); a case passed in stays the caller's.
 */
#ifndef OT_API_INT_H
#define OT_API_INT_H

#include "engine.h"

/* A request being run: its operation, its JSON, its "now". */
typedef struct req {
	const char *op;
	json_t *j;
	ot_time now;
	char *text; /* a response already written as text (assess) */
} req;

/* ---- api.c, for api_chain.c ---- */

/* The applicant of a request against item `it`'s `applicant` rule and the
 * check characters of its id. */
ot_status api_applicant_of(const m_item *it, json_t *a, int *kind, ot_error *err);
/* The submit or supplement event of an assessment. */
json_t *api_assessed_event(const ot_rules *r, const char *op, const req *q,
			   const uint8_t *have, const assessment *a, json_t *form,
			   const char *channel, int zone);
/* Applies ev to c, tells its hooks, saves both (a new case when is_new:
 * it gets its number here); *resp: the case as JSON.  q: the operation
 * (its time; who wrote it, when a service says so). */
ot_status api_record(ot_engine *e, ot_case *c, json_t *ev, const req *q, int is_new,
		     json_t **resp, ot_error *err);
/* Refuses (OT_EINVAL) what event op gave case c: a deadline after the
 * last day the engine counts, later than the latest it had before
 * (`was`, sweep_last_due's before the event). */
ot_status api_counted_dues(const ot_case *c, int32_t was, const char *op, ot_error *err);
/* The hook functions an operation on item `item` runs go into ev. */
json_t *api_trace(const version *v, int item);
void api_attach_trace(json_t *ev, json_t *names);
/* A supplement's form changes into form (a field null: removed). */
void api_patch_form(json_t *form, json_t *patch);
/* The version's hooks trace no more (their trace's event is gone). */
void api_trace_end(const version *v);
/* Materials of an accepted case into the applicant's library. */
ot_status api_remember(ot_engine *e, const ot_case *c, ot_time now, ot_error *err);
/* supplement on an item case, as the operation does it. */
ot_status api_supplement_item(ot_engine *e, req *q, json_t **resp, ot_error *err);
json_t *api_event(const char *op, const req *q, int zone, const char *actor);

/* ---- api_chain.c ---- */

/* The chain operations: assess and submit when the request names a
 * "chain"; supplement, withdraw and show on a chain case (loaded). */
ot_status chain_op_assess(ot_engine *e, req *q, ot_error *err);
ot_status chain_op_submit(ot_engine *e, req *q, json_t **resp, ot_error *err);
ot_status chain_op_supplement(ot_engine *e, req *q, ot_case *c, json_t **resp, ot_error *err);
ot_status chain_op_withdraw(ot_engine *e, req *q, ot_case *c, json_t **resp, ot_error *err);
ot_status chain_op_show(ot_engine *e, ot_case *c, json_t **resp, ot_error *err);
/* After an operation on item case ic: when ic belongs to a chain and its
 * status or its trips changed, or the applicant handed papers or a form
 * correction to it, the chain follows (an `item` event), in the same
 * transaction: the next stage's item cases opened, or on a denial the
 * chain stopped and its other open item cases closed as not needed; on an
 * acceptance, the papers the chain holds for ic handed on to it, and
 * *answer (the operation's, when not NULL) replaced by ic as it is then. */
ot_status chain_follow(ot_engine *e, const ot_case *ic, json_t *ev, const req *q,
		       json_t **answer, ot_error *err);
/* A list entry of a chain case (its snapshot); an overdue entry, or NULL
 * when nothing of it is late on `today`. */
json_t *chain_summary(json_t *c);
json_t *chain_overdue(json_t *c, const char *today);

#endif
