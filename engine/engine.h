/*
 * engine.h -- the case engine's internals: the engine handle, a case in
 * memory, assessment, events, the store.
 *
 * How an operation runs (api.c):
 *   1. parse the request; open a write transaction (BEGIN IMMEDIATE);
 *   2. load the case and the rule version it is pinned to (case_load: the
 *      engine's copy brought up to date with the events it has not seen,
 *      or all its events replayed; case_cache.c);
 *   3. decide: validate the request against the case and the rules, and
 *      write down the outcome as an event (op, time, actor, payload);
 *   4. apply the event to the case (case.c) -- the only code that changes a
 *      case, so replaying a case's events rebuilds it exactly;
 *   5. store the event and the case snapshot; commit.
 * Any failure rolls back: an operation happens fully or not at all.
 *
 * Ownership: the engine owns its rule versions, its database handle and
 * prepared statements.  A case owns its json_t members (one reference
 * each) and its arrays (malloc); case_free releases them.
 */
#ifndef OT_ENGINE_H
#define OT_ENGINE_H

#include <jansson.h>

#include "calendar.h"
#include "eval.h"
#include "onetrip.h"

/* ---- rule versions ---- */

struct hook_host;

typedef struct version {
	ot_rules *rules;
	struct hook_host *hooks; /* created on first use; NULL: none yet */
	int zone;
	unsigned op;             /* the operation that used it last */
	struct assess_texts *texts; /* owned: the answer's fixed parts, escaped
				       once (assess.c); made on first use, NULL:
				       not yet; freed by version_free */
} version;

/* The version's hook host, created on first use (NULL: out of memory). */
struct hook_host *version_hooks(const version *v);

#define MAX_VERSIONS 16

struct ot_engine {
	ot_rules *current;         /* compiled from rules_path at open */
	version versions[MAX_VERSIONS]; /* [0] is current; others loaded on demand */
	int nversions, recycle;
	const struct store_vt *vt; /* the store's backend (store.h) */
	void *store;               /* its state, owned by the backend */
	int zone;                  /* minutes east of UTC */
	ot_error fault;            /* a store failure no status could carry
				      (store_settle) */
	int checking;              /* store check: messages without advice */
	int busy_ms;               /* how long a busy store is waited for */
	int chain_busy;            /* a chain operation is changing its item
				      cases: they do not move the chain again */
	unsigned op;               /* counts operations: versions in use are kept */
	void (*log)(void *ud, const char *line); /* ot_engine_config's */
	void *log_ud;
	struct case_cache *cache;  /* cases kept between operations (case_cache.c) */
	int cache_cap;             /* how many; 0: none */
	int store_renewed;         /* the backend connected again: what the
				      cache holds may be ahead of the store
				      (store_begin, or case_load when it was
				      on the way, empties it) */
	int warn_workdays;         /* the time sweep's yellow: a deadline within
				      this many working days (sweep.c); -1: none */
	json_t *saved;             /* the snapshot the operation saved last (a
				      reference) and its compact text (owned):
				      the answer is made from it (store.h) */
	char *saved_text;
	int compact;               /* answers as JSON_COMPACT (the config's) */
};

/* ---- the case cache (case_cache.c; case_load is in store.h) ---- */

struct ot_case;

/* The store_* transaction functions tell the cache what became of the
 * cases the transaction saved: cache_saved after each save, then
 * cache_end (committed or not), and cache_rollback_to when a savepoint's
 * work is undone (an operation of a batch, a case of a sweep). */
void cache_saved(ot_engine *e, const struct ot_case *c);
void cache_rollback_to(ot_engine *e);
void cache_end(ot_engine *e, int committed);
/* Drops the cases of version v, which is about to be freed. */
void cache_forget_version(ot_engine *e, const struct version *v);
void cache_clear(ot_engine *e);
void cache_free(ot_engine *e);

/* The version with this hash: current, cached, or compiled from the store. */
const version *engine_version(ot_engine *e, const char *hash, ot_error *err);

/* ---- cases ---- */

typedef enum case_status {
	CS_NEEDS_SUPPLEMENT, CS_IN_PROGRESS, CS_RETURNED, CS_SUSPENDED,
	CS_APPROVED, CS_DENIED, CS_CLOSED, CS_WITHDRAWN,
	CS_RECEIVED, /* complete, waiting for the acceptance decision (受理) */
	CS_REFUSED,  /* not accepted (不予受理), in writing with reasons */
	CS_CHECKING, /* 告知承诺: delivered, the pledge not yet checked */
	CS_REVOKED,  /* 告知承诺: the pledge was false, the approval revoked */
	CS__COUNT
} case_status;

extern const char *const case_status_names[CS__COUNT];

enum { STEP_IDLE, STEP_ACTIVE, STEP_DONE };

typedef struct case_step {
	uint8_t state;
	ot_time started, finished;
	int32_t due; /* day; -1: no limit: the earlier of the two below */
	int32_t due_legal, due_promised; /* -1: none */
	/* their last days before 民法典 art. 203 moves a calendar-day limit's
	 * to a working day, which is what a pause moves (case.c,
	 * shift_clocks); not in the snapshot: the replay computes them */
	int32_t last_legal, last_promised;
} case_step;


/* A warning the time sweep gave a case (sweep.c): which deadline, which
 * level, when.  A case keeps them in the order given. */
typedef struct case_warning {
	uint8_t target;  /* WARN_CASE ... (sweep.c) */
	uint8_t level;   /* WARN_YELLOW, WARN_RED */
	int32_t index;   /* the step, material or procedure it is about; -1 */
	int32_t due;     /* the day that was near or passed */
	ot_time at;
} case_warning;

/* A field that owns memory is copied by case_clone (case.c) and freed by
 * case_free: the case cache hands out clones, so one left shared is freed
 * twice.  The JSON values are shared by reference instead: those the
 * events replace whole (set_json) are never changed in place, and the
 * arrays they append to are copied first when shared (case_append). */
/* The way a case counts its time, written into its submit event
 * ("clocks"): a case replays as it was applied.  1: before these.
 * CLOCKS_PAUSE_LEFT: a pause moves only a limit still running, and its
 * last day (case.c, shift); a case is held to the earlier of its legal
 * and promised due dates (held_to); a chain's clocks stop while its items
 * do (chain_clock).  CLOCKS_WORKDAY_ROLL: a limit in working days paused
 * on its due day and resumed on a day off ends on the next working day
 * (case_shift_last).  CASE_CLOCKS: what a new case writes. */
#define CLOCKS_PAUSE_LEFT 2
#define CLOCKS_WORKDAY_ROLL 3
#define CLOCKS_CHAIN_MAX 3 /* a chain stands still no longer than the special
			      procedures of its items keep out (chain_clock) */
#define CLOCKS_STEP_LEGAL 4 /* a step's legal due date later than its promise
			       is a deadline of its own (sweep.c) */
#define CLOCKS_EXTEND_PAST_MAX 4 /* an extension after a special procedure's
				    maximum first counts the days it kept out
				    (case.c, apply_extend) */
#define CLOCKS_CHAIN_LATEST 4 /* a chain standing still for its items' special
				 procedures shows and is listed by the day it
				 is due once they reach their maximum (chain.c) */
#define CASE_CLOCKS CLOCKS_STEP_LEGAL
/* cal_shift, and for clocks from CLOCKS_WORKDAY_ROLL on a limit in working
 * days ends on a working day: paused on its due day, it has nothing whole
 * left and ends on the resume day, or the first working day after. */
int32_t case_shift_last(const m_calendar *cal, int clocks, int32_t last, int unit,
			int32_t from, int32_t to);

typedef struct ot_case {
	char id[32];
	const version *v;
	int item;
	case_status status;
	json_t *applicant; /* {"kind", "id", "name"} */
	int applicant_kind;  /* EV_PERSON / EV_COMPANY */
	json_t *form;        /* the form as the applicant gave it */
	uint8_t *have;       /* per material of the rule base */
	json_t *reused;      /* material -> case it was reused from */
	ot_time submitted, accepted, decided, closed;
	int32_t due;         /* the item's due day; -1 until accepted: the
				earlier of the legal and promised ones (a
				promise comes first, unless its unit differs) */
	int32_t due_legal, due_promised; /* each; -1: none */
	int32_t last_legal, last_promised; /* as case_step's */
	int clocks;          /* how its pauses count: CASE_CLOCKS, or what the
				case was submitted with (1 without) */
	int32_t extended;    /* workdays the legal limit was extended by (延期) */
	ot_time received;    /* when the complete application arrived */
	int32_t accept_due;  /* CS_RECEIVED: last day to decide on acceptance */
	int procedure;       /* the special procedure running: the item's
				procedures[] index; -1: none */
	int32_t procedure_max_end; /* the last day its maximum allows */
	int procedure_counted; /* the days it keeps out are in the limits
				  already: an extension came after its maximum
				  (CLOCKS_EXTEND_PAST_MAX) */
	json_t *procedures;  /* each procedure run: name, dates, days excluded
				(appended to: case_append) */
	json_t *remedy;      /* CS_REFUSED: how to seek a remedy */
	json_t *extensions;  /* each extension: workdays, reason, approver
				(appended to: case_append) */
	int pledged;         /* 告知承诺: a pledge stands for materials */
	int32_t pledge_check_due; /* set at approval: the check's last day */
	ot_time pledge_checked; /* when the check found the pledge kept */
	case_step *steps;    /* the item's steps */
	uint8_t *arrived;    /* join arrivals, per rule per source */
	uint8_t *taken;      /* per flow rule of the item: 1 once it fired */
	ot_time paused_since;
	int returned_step;   /* CS_RETURNED: the step that returned it */
	int trips;
	const char *delivered; /* method, once closed */
	json_t *notice;      /* the latest one-time notice */
	json_t *note;        /* reason of the last deny/return/suspend */
	json_t *hooks;       /* hook functions that have run for the case
				(appended to: case_append) */
	int events;          /* events applied so far */
	ot_time last_at;     /* time of the last event */
	int stored_status;   /* the status in the store when loaded; -1 new */
	/* chains (chain.c): a chain case has chain >= 0, item -1, and its
	 * stages and item cases in cs; an item case a chain opened names
	 * it in chain_id ("" otherwise) */
	int chain;
	struct chain_state *cs;
	char chain_id[32];
	case_warning *warnings; /* the time sweep's (malloc), nwarnings of them */
	int nwarnings;
	/* the text of the values above that are replaced whole, written once
	 * and shared by the case's copies (case.c, put_fixed); NULL: none */
	struct case_texts *texts;
} ot_case;

ot_case *case_new(const version *v, int item, const char *id);
/* A copy of c that shares nothing it could change (case_free frees it);
 * NULL when out of memory. */
ot_case *case_clone(const ot_case *c);
/* The department that handles step `step` of the case: the step's own, or,
 * for a step routed by the form, the one the case's value names; -1 when
 * the form has no value for it. */
int case_step_dept(const ot_case *c, int step);
/* The last day procedure p (the item's procedures[] index) started on day
 * `start` may run to by its declared maximum. */
int32_t case_procedure_max_end(const ot_case *c, int p, int32_t start);
/* The legal due day suspended case c would have were its pause to end on
 * `day`: in a special procedure, the days past its maximum count (as
 * procedure_end counts them). */
int32_t case_legal_due_past(const ot_case *c, int32_t day, int zone);
/* Paused case c (suspended, returned) as it runs on from `day`: its
 * limits moved past the pause (a special procedure's no further than its
 * maximum), in progress.  For a copy: what the case will be due on. */
void case_run_on(ot_case *c, int32_t day);
/* The deferred materials (容缺) of an accepted case still missing that have
 * a deadline (`deferrable within N`): up to `max` of them into material[]
 * (rule base indices) and due[] (days); returns how many. */
int case_deferred_dues(const ot_case *c, int *material, int32_t *due, int max);
void case_free(ot_case *c);
/* An event's materials, form and notice into the case (submit, supplement). */
void case_take_materials(ot_case *c, json_t *ev);

/* Applies one event (see case.c for the ops and payloads).  Returns OT_OK,
 * or an error if the event does not fit the case (a corrupt store). */
ot_status case_apply(ot_case *c, json_t *event, int zone, ot_error *err);
/* Adds the hook function names (a JSON array) to the case's hooks_called. */
void case_note_hooks(ot_case *c, json_t *names);

/* The case's snapshot (what `show` returns and the store keeps) as compact
 * JSON text: malloc'd (the caller frees it), NULL when out of memory.  The
 * one definition of its shape (case.c). */
char *case_text(const ot_case *c, int zone);
/* The same as a value: the text read back (case_value); a new reference,
 * NULL when out of memory. */
json_t *case_json(const ot_case *c, int zone);
/* A snapshot's text (case_text's) as a value; a new reference or NULL. */
json_t *case_value(const char *text);
/* A time (0: none) or a day (< 0: none) as a JSON string, or null; new
 * references, for the snapshots of cases and chains. */
json_t *case_time_json(ot_time t, int zone);
json_t *case_day_json(int32_t day);
/* ",dept,dept," of the departments with an active step, or of a chain
 * case's running stages' lead departments (a store's handlers column,
 * which list by department reads). */
void case_handlers(const ot_case *c, char *out, size_t cap);
/* The earliest due date of c (its own, or an active step's or running
 * stage's): a store's next_due column, which overdue reads; 0 when it has
 * none. */
int case_next_due(const ot_case *c, char out[11]);

/* Where an approval of `step` leads: a flow rule of the item (numbered
 * from 0) and, for `route lua`, the target the hook chose (-1: all). */
typedef struct exit_choice {
	uint32_t rule;
	int to;
} exit_choice;

typedef ot_status (*route_fn)(void *ud, int step, uint32_t rule, int *to, ot_error *err);

/* Decides the exits of `step`: every unconditional one, the first `when`
 * that holds (conditions may call hook functions through env), else the
 * `otherwise`, or the hook's choice for `route lua`.  Returns how many it
 * wrote to out, or -1 with err set. */
int case_choose(const ot_case *c, int step, const eval_env *env, route_fn route,
		void *ud, exit_choice *out, int max, ot_error *err);

/* The names of the case's active steps (at most max); returns how many. */
int case_current(const ot_case *c, const char **names, int max);

/* Steps that would be active (or joins waiting) after `step` is approved
 * with these exits, without changing the case: used to refuse approving the
 * last step while deferred materials are outstanding. */
int case_active_after(const ot_case *c, int step, const exit_choice *ch, int n);

/* ---- assessment ---- */

#define MAX_FIELDS 256
#define MAX_FORM_ERRORS 64

typedef struct form_error {
	const m_field *field; /* NULL: a key the form does not have */
	char key[64];
	char message[256];
} form_error;

/* Grows on the first error: a good form costs no allocation. */
typedef struct form_errors {
	int n, cap;
	form_error *v;
} form_errors;

typedef struct assessment {
	char *text;        /* the full answer as JSON (malloc): required, missing ... */
	json_t *form;      /* the form with the values hooks derived (a reference) */
	int complete;      /* nothing blocking: no missing material, no form error */
	int deferred;      /* deferrable materials still missing */
	int form_errors;
	int pledged;       /* 告知承诺: the item's pledge stands for materials */
	ot_error hook;     /* status OT_EHOOK: a hook failed (for the operator) */
	ot_error provider; /* status OT_EHOOK: a provider failed (the material
			      was asked of the applicant instead) */
} assessment;

/* What is assessed: an application, new or part of a case. */
typedef struct application {
	int item;
	int applicant_kind;
	const char *applicant_id, *applicant_name;
	json_t *form;          /* as the applicant gave it */
	json_t *provided;      /* material names */
	ot_time now;
	const char *status;    /* for hooks: "new", or the case's status */
	const char *const *current;
	int ncurrent;
	/* for chains (chain.c): when `needs` is set, the status of each
	 * requirement of the item (ASSESS_* below, by the item's reqs) is
	 * written there; `quiet`: no answer text is written */
	uint8_t *needs;
	int quiet;
	/* for chains too: the provided materials as flags (per material of the
	 * rule base) instead of `provided`; and, with `quiet`, the form's
	 * values already read (form `values_form`), used by an item of that
	 * form unless its hook may derive into it (the form has a computed
	 * field) */
	const uint8_t *provided_flags;
	const ev_value *values;
	int values_form;
	/* when set, the form errors found (the form's checks and the hooks'
	 * validate) are handed over here: the chain notice tells them once */
	form_errors *errors_out;
} application;

/* A requirement's status, as application.needs reports it. */
enum { ASSESS_NOT_REQUIRED, ASSESS_SHARED, ASSESS_PROVIDED, ASSESS_REUSED, ASSESS_OPTIONAL,
       ASSESS_DEFERRED, ASSESS_MISSING, ASSESS_PLEDGED };

void assessment_free(assessment *a);

/* Looks up the applicant's material library: a valid entry for `material`
 * at `now`; returns the case id it came from, or NULL. */
typedef const char *(*library_fn)(void *ud, const char *applicant,
				  const char *material, ot_time now);

/* Obtains shared material `material` for the application from its
 * provider: 1 obtained (ref: its number, may be empty), 0 not (why: in the
 * applicant's words), -1 the provider failed (why: a neutral line; err:
 * what the operator needs). */
typedef int (*shared_fn)(void *ud, const version *v, const application *app, int material,
			 char ref[REF_CAP], char why[256], ot_error *err);

/* Looks up the holder's licence for `material` (v's materials[] index) in
 * the electronic licence library: 1 valid (number written), 0 none, -1
 * the store failed (kept for store_settle). */
typedef int (*licence_fn)(void *ud, const version *v, const char *holder, int material,
			  ot_time now, char number[REF_CAP]);

/* Where the materials the applicant does not hand in come from. */
/* The source a notice names for a result found in the licence library
 * (a material `issues`d or `issued_by` a department). */
#define LICENCE_LIBRARY "电子证照库"

typedef struct material_sources {
	library_fn library; /* NULL: nothing is reused */
	shared_fn shared;   /* NULL: shared materials count as obtained */
	void *ud;
	/* results flow forward: a material some item `issues`, or one
	 * `issued_by` a department, found in the licence library is never
	 * asked of the applicant.  NULL: not looked up. */
	licence_fn licence;
} material_sources;

/* The engine's sources: the material library and the providers. */
material_sources engine_sources(ot_engine *e);

/* Assesses an application: form checks, which materials are required and
 * why, which are provided, shared, reused or missing.  `have` (per
 * material of the rule base) is filled in.  Returns OT_EINVAL with err set
 * when the request itself is malformed (unknown material, ...).  The
 * caller frees out->text. */
ot_status assess(const version *v, const application *app, uint8_t *have,
		 const material_sources *src, int zone, assessment *out, ot_error *err);

/* Frees what version_texts made (assess.c): by version_free. */
void assess_texts_free(struct assess_texts *t);

/* The answer parsed (a new reference), for events. */
json_t *assessment_json(const assessment *a);

/* Reads the item's form into values (the form's field order); appends the
 * errors to fe and returns how many it added. */
int form_values(const ot_rules *r, int form, json_t *obj, ev_value *values,
		form_errors *fe);

/* The same for a form whose computed fields hooks have filled in. */
int form_values_derived(const ot_rules *r, int form, json_t *obj, ev_value *values,
			form_errors *fe);


#include "store.h"

/* ---- chains (chain.c) ---- */

/* One item of one stage of a chain case, and the item case it opened.
 * `item` is the item as the stage lists it; `version` the version of it
 * (`in_force`, `replaces`) that its case is of: the one in force on the
 * day the chain opened it, as for an application made that day. */
typedef struct chain_slot {
	int stage;          /* index into rules->stages */
	int item;
	int version;        /* -1: not opened.  The chain's notice sets it in its
			       copies: the version it assesses, -1 when none is
			       in force */
	int pos;            /* its place in the stage (the stage's waits) */
	int status;         /* case_status of its item case; -1: not opened */
	uint8_t not_needed; /* closed because the chain stopped */
	uint8_t skipped;    /* its `when` does not hold: the item is not needed */
	int trips;          /* the item case's trips when it last moved the chain */
	int32_t excluded_until; /* suspended in a special procedure: the last
				   day it keeps out of the limits (its max_end);
				   INT32_MAX otherwise */
	char case_id[32];
} chain_slot;

/* The item the slot is: the version its case is of, else as listed. */
static inline int chain_slot_item(const chain_slot *sl)
{
	return sl->version >= 0 ? sl->version : sl->item;
}

/* Does the slot's `when` (`items A when COND`) hold for these values of
 * the chain's form (NULL: the chain has no form)? */
int chain_slot_applies(const ot_rules *r, const chain_slot *sl, const ev_value *values,
		       int applicant_kind);

/* Would `form`, as chain case c's form, change the items of a stage that
 * has started (an item left out needed now, or one needed left out)?  The
 * first such slot, *needed saying which way; -1: none.  A started stage
 * keeps its items: such a change is refused (api_chain.c). */
int chain_form_change(const ot_case *c, json_t *form, int *needed);

/* A new chain case of chain `chain` (an index of rules->chains). */
ot_case *chain_case_new(const version *v, int chain, const char *id);
void chain_state_free(struct chain_state *cs);
/* A copy of chain case c's state (case_clone's part). */
struct chain_state *chain_state_clone(const ot_case *c);
/* case_apply for a chain case: events submit, supplement, item, withdraw
 * (see chain.c). */
ot_status chain_apply(ot_case *c, const char *op, json_t *ev, ot_time at, int zone,
		      ot_error *err);
json_t *chain_json(const ot_case *c, int zone);
/* The chain's status again, after the operation opened item cases into
 * the slots (as the event's `opened` does on replay). */
void chain_settle(ot_case *c, ot_time at);
/* The chain's clocks after an event (chain.c says how they stop); an
 * operation holds them while it applies the event and opens item cases,
 * then calls chain_clock, as chain_apply does at the end of a replayed
 * event. */
void chain_hold_clock(ot_case *c, int hold);
void chain_clock(ot_case *c, ot_time at, int zone);

/* How a chain reads an item case's status: open (the chain waits for it),
 * done (its stage can finish), or stopping the chain (a denial). */
int chain_item_open(int status);
int chain_item_done(int status);
int chain_item_stops(int status);

/* The slots of a chain case (borrowed), and how many. */
chain_slot *chain_slots(const ot_case *c, int *n);
/* The slot of item `item` (-1: the chain has none). */
int chain_slot_of(const ot_case *c, int item);
/* Slots whose item case should be opened now: their stage has started,
 * the items they wait for are approved, the chain goes on.  Returns how
 * many it wrote to out (at most max). */
int chain_ready(const ot_case *c, int *out, int max);
/* Slots whose item case is open (not decided, closed or withdrawn). */
int chain_open(const ot_case *c, int *out, int max);
/* The materials that items of the chain issue before slot `slot` starts
 * (its stage's predecessors, the items it waits for; not the slots left
 * out, `skipped`): flags per material. */
void chain_issued_before(const ot_case *c, int slot, uint8_t *flags);
/* The same for slots not (yet) in a case: those of chain `chain`. */
void issued_before_slots(const ot_rules *r, int chain, const chain_slot *slots, int nslots,
			 int slot, uint8_t *flags);

/* What a store's row says of a case, the same for every backend: the
 * `item` column (an item's name, or "chain:NAME" for a chain case) and the
 * department it is filed under (an item's, or the department of the
 * chain's window).  case_handlers and case_next_due (above) give the
 * other two columns, for chain cases too. */
const char *case_row_item(const ot_case *c);
/* chain.c's part of the three below, for a chain case */
const char *chain_row_item(const ot_case *c);
void chain_row_handlers(const ot_case *c, char *out, size_t cap);
int32_t chain_row_next_due(const ot_case *c);
/* The latest day chain case c is due on, as it shows it: its total's or a
 * running stage's (*stage its name, else NULL); -1: none. */
int32_t chain_last_due(const ot_case *c, const char **stage);
const char *case_row_department(const ot_case *c);
/* The applicant's id as the store keys it (store_holder_key), or NULL. */
const char *case_row_applicant(const ot_case *c, char key[64]);
/* The material of requirement i of c's item that joins the applicant's
 * material library (信息复用) when the case is accepted at `now`, and the
 * end of its entry (*until); -1 when it does not (not handed in, or not
 * reusable).  api.c writes the entries by it, store check derives them. */
int case_library_entry(const ot_case *c, uint32_t i, ot_time now, int zone, ot_time *until);

/* The combined one-time notice of a chain: every material of every item of
 * the chain (or of stage `stage`, a position in the chain; -1: all),
 * asked once, each with the items that need it and why; what earlier
 * items issue is never asked.  complete: nothing the first stages need
 * is missing and the form has no error.  have (per material) is filled
 * with how the chain has each.  *text: the answer as JSON (malloc).
 * Each item is assessed in the version its case is of (`opened`, the
 * chain case's nopened slots; NULL for a new chain), else in the version
 * in force on the day of app->now: OT_EINVAL when an item to be assessed
 * has none, as an application for it alone would be refused that day. */
typedef struct chain_assessment {
	char *text;
	int complete;
	ot_error hook;     /* a hook failed (OT_EHOOK) */
} chain_assessment;

ot_status chain_assess(const version *v, int chain, int stage, const application *app,
		       const chain_slot *opened, int nopened, uint8_t *have,
		       const material_sources *src, int zone, chain_assessment *out, ot_error *err);

/* ---- licences ---- */

json_t *licence_json(const licence *l, int zone);
/* An approved case's `issues`: its licences go into the library. */
ot_status licences_issue(ot_engine *e, const ot_case *c, ot_time now, ot_error *err);
/* 告知承诺: a false pledge revokes what the approval issued: each licence is
 * valid only until `now`; and what it kept (`… unless K`) goes back to its
 * own term, unless another approval that stands keeps it too. */
ot_status licences_revoke(ot_engine *e, const ot_case *c, ot_time now, ot_error *err);
/* What the rules above write, for store check to derive what the library
 * holds from a case's events (store_checker.c): the licence
 * it->issued[i] of case c approved at `now` (number: its buffer; holder:
 * the applicant's id as the events have it, NULL: none is issued), and
 * each licence (material, number) an approval of case c keeps valid
 * (`issues … unless K`: licences_issue keeps them). */
licence licence_issued(const ot_case *c, uint32_t i, ot_time now, int zone, char number[96]);
/* The number of the licence of `material` that case case_id issues. */
void licence_number(const char *case_id, const char *material, char out[96]);
typedef ot_status (*licence_kept_fn)(void *ud, const char *material, const char *number,
				     ot_error *err);
ot_status licences_kept(const ot_case *c, licence_kept_fn each, void *ud, ot_error *err);
/* Licences issued elsewhere, as a JSON array (see docs/engine.md) whose
 * entries api.c has checked against its licence table; *resp:
 * {"imported": N}.  All or nothing. */
ot_status licences_import(ot_engine *e, json_t *list, json_t **resp, ot_error *err);

/* Says a line to the engine's log callback, if any: printf-style, ID
 * numbers masked, cut to a line. */
void engine_log(ot_engine *e, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* ---- the time sweep (sweep.c): 电子监察 warnings ---- */

/* the levels and targets: model.h */

/* A warning due on a case now: which deadline (as case_warning), the level. */
typedef struct sweep_due {
	uint8_t target, level;
	int32_t index, due;
} sweep_due;

#define SWEEP_MAX_DUE 64 /* the warnings one sweep gives a case at most; the
			    rest at its next (its warn_at is then today) */

/* The warnings case c needs on day `today` that it was not given yet (a
 * red one for a deadline passed, a yellow one for one within `workdays`
 * working days): at most max into out; returns how many.  A warning
 * changes nothing else of a case. */
int sweep_due_now(const ot_case *c, int32_t today, int workdays, sweep_due *out, int max);
/* The `warn` event of one of them, at time `at` (a new reference). */
json_t *sweep_event(const ot_case *c, const sweep_due *w, ot_time at, int zone);
/* case_apply of a `warn` event. */
ot_status sweep_apply(ot_case *c, json_t *ev, ot_time at, int zone, ot_error *err);
/* The warnings a case was given, for its JSON (a new reference). */
json_t *sweep_warnings_json(const ot_case *c, int zone);
/* The latest of the deadlines c has running, or holds while paused
 * (-1: none), and what it is:
 * "case", "legal", "step" ... and the step's, material's or procedure's
 * name (or NULL).  A warning records its day, which a replay reads back:
 * api.c refuses an event that would give a case one the engine cannot. */
int32_t sweep_last_due(const ot_case *c, const char **target, const char **name);
#define SWEEP_DUE_UNKNOWN (-2) /* sweep_last_due: out of memory */
/* The first day on which c needs a warning it was not given, a yellow
 * counted with `workdays` (at most SWEEP_INDEX_WORKDAYS): with that
 * window, a store's warn_at column, which the sweep claims by, the same
 * on every engine of a store whatever its warn_workdays (sweep_claim_day
 * says how far ahead a sweep with a wider one claims); with -1 the
 * latest day still in time.  0 when it needs none. */
#define SWEEP_INDEX_WORKDAYS 1
int case_warn_at(const ot_case *c, int workdays, char out[11]);
/* The last warn_at a sweep on `today` with e's warn_workdays claims. */
int32_t sweep_claim_day(const ot_engine *e, int32_t today);

/* ---- rule versions (ruleset.c) ---- */

/* Takes r (owned from now on) as a version; 0 when out of memory. */
int version_init(version *v, ot_rules *r);
void version_free(version *v);
/* Every version the engine keeps, freed. */
void engine_versions_free(ot_engine *e);

#endif
