/*
 * hooks.h -- the Lua host: runs an item's hook file in a sandbox.
 *
 * One Lua state per hook file per rule version, created on first use from
 * the version's stored sources (so a running case keeps the hook code it
 * started with).  Every call runs under an instruction budget and a memory
 * budget (the rule base's hook_limits); a hook sees a read-only view of the
 * case, no files, no network, no clock but the case's `now`.
 *
 * Errors come back as OT_EHOOK with the Lua file:line and a traceback, for
 * the operator; callers decide what the applicant sees.
 */
#ifndef OT_HOOKS_H
#define OT_HOOKS_H

#include <jansson.h>

#include "calendar.h"
#include "eval.h"
#include "onetrip.h"

typedef struct hook_host hook_host;

/* A host for the hooks of rule version r (borrowed; it must outlive the
 * host).  `zone`: for os.date.  NULL when out of memory. */
hook_host *hook_host_new(const ot_rules *r, int zone);
void hook_host_free(hook_host *h);

/* What a hook sees of a case.  Personal data are masked unless the item
 * says `hook "..." needs applicant_id, applicant_name`. */
typedef struct hook_view {
	int item;
	const ev_value *form;        /* the form's values, or NULL */
	int applicant;               /* EV_PERSON, EV_COMPANY or -1 */
	const char *applicant_id, *applicant_name;
	const uint8_t *have;         /* per material: HAVE_* */
	ot_time now;
	const char *status;          /* "new" before submission */
	const char *const *current;  /* active steps */
	int ncurrent;
	json_t *form_json;           /* the form as given: a group's rows come
					from it (borrowed; NULL: rows unseen) */
} hook_view;

/* validate(case) -> {{field=..., message=...} | {material=..., message=...}}:
 * appends them to `errors` as {"field"|"material", "message"}. */
ot_status hook_validate(hook_host *h, const hook_view *v, json_t *errors, ot_error *err);

/* derive(case) -> {computed_field = value}: sets them in *form (a JSON
 * object, one reference owned by the caller), each checked against its
 * field's type.  *form is never changed in place: before the first value
 * it is replaced by a copy (the reference to the old one dropped), so a
 * form shared with others (a chain's items) stays as it was. */
ot_status hook_derive(hook_host *h, const hook_view *v, json_t **form, ot_error *err);

/* route(case, step) -> the name of the next step; *out is one of the
 * rule's targets (an index into its `to` list). */
ot_status hook_route(hook_host *h, const hook_view *v, int step, uint32_t rule,
		     int *out, ot_error *err);

/* on_enter(case, step) / on_exit(case, step, action): returns a note for
 * the audit log (malloc, or NULL).  Errors are the caller's warning. */
ot_status hook_notify(hook_host *h, const hook_view *v, const char *fn, int step,
		      const char *action, char **note, ot_error *err);

/* lua.NAME(args) from a condition: eval_cond's callback.  `ud` is a
 * hook_call_ctx. */
typedef struct hook_call_ctx {
	hook_host *h;
	const hook_view *v;
	ot_error *err;
	char text[1024]; /* storage for text results, valid until the next call */
	size_t used;
} hook_call_ctx;

int hook_lua_fn(void *ud, const char *fn, const ev_value *args, int nargs,
		ev_value *out, const char **why);

/* A request to a Lua provider (`provider "NAME" lua "FILE"`): its
 * fetch(request) is asked for a shared material. */
typedef struct hook_request {
	int item, material;
	int applicant;               /* EV_PERSON, EV_COMPANY or -1 */
	const char *applicant_id, *applicant_name; /* unmasked: the key to look up */
	ot_time now;
} hook_request;

/* 1: obtained, `ref` holds its number (may be empty); 0: not obtained,
 * `why` says so in the applicant's words; -1: the module failed (err has
 * file:line for the operator). */
int hook_provide(hook_host *h, int provider, const hook_request *q, char ref[REF_CAP],
		 char why[256], ot_error *err);

/* For the checker: runs the hook file `path` (canonical; its text and the
 * modules beside it are in `sources`, {"hooks": {path: text}}) in the
 * sandbox, with the rule base's budgets, and sets defined[i] for each of
 * `names` it defines as a function.  Returns 0, or -1 with the Lua error
 * (file:line: message) in `error`. */
int hook_probe(const ot_rules *r, int item, json_t *sources, const char *path,
	       const char *chunkname, const char *const *names, int n, uint8_t *defined,
	       char *error, size_t ecap);

/* Ends an operation: the next hook call, for whatever case, gets a fresh
 * instance of its hook file (see hooks.c); the trace is cleared. */
void hook_end_operation(hook_host *h);

/* While set, every hook function called is appended (by name) to it:
 * for the audit log and test coverage.  The host holds a reference until
 * the next hook_trace, or the operation's end. */
void hook_trace(hook_host *h, json_t *names);

/* The rule version and item of the hook call running in L (for the
 * standard library's working days). */
struct lua_State;
const ot_rules *hook_running_rules(struct lua_State *L, int *item);

#endif
