/*
 * eval.h -- running the compiled model: working-day arithmetic, condition
 * evaluation and form values.  Internal to the engine.
 *
 * Nothing here allocates or looks up a string: a form is an array of
 * values indexed like the form's fields, a condition is bytecode whose
 * operands are those indices, and the caller lends the evaluation stack.
 */
#ifndef OT_EVAL_H
#define OT_EVAL_H

#include "calendar.h"
#include "model.h"

/* ---- values ---- */

typedef struct ev_value {
	uint8_t type;   /* m_vtype */
	uint8_t absent; /* an optional field that was not given */
	int16_t field;  /* VT_ENUM: the model field it belongs to; -2 applicant */
	union {
		int b;
		ot_dec num;
		struct {
			const char *p;
			uint32_t n;
		} text;
		int32_t date;
		int32_t e; /* enum value index; applicant: 0 person, 1 company */
	} u;
} ev_value;

enum { EV_PERSON = 0, EV_COMPANY = 1 };

/*
 * Evaluates condition x.  `form` holds the item's form values (may be NULL
 * when the item has no form), `stack` at least x->depth slots.
 *
 * Absent values: a comparison or `in` involving one is false; arithmetic on
 * one is absent; len of one is 0; in a yes/no position (and, or, not, the
 * whole condition) absent counts as false.  Division by zero gives absent
 * too.  Arithmetic whose answer has more than 18 digits (or a product of
 * more than 18 places) cannot be decided: -1, never a quiet false.
 * Returns 1 or 0, or -1 with *err set (a hook function failed, or returned
 * what the condition cannot use; the arithmetic was too large).
 */
typedef struct eval_env {
	int applicant; /* EV_PERSON, EV_COMPANY, or -1 */
	/* lua.NAME(args): 1 with *out set, 0 with *why set; NULL: no hooks */
	int (*lua)(void *ud, const char *fn, const ev_value *args, int nargs,
		   ev_value *out, const char **why);
	void *ud;
	/* provided(M): per material, 1 when the applicant handed it in; NULL
	 * where no application is assessed (flows) */
	const uint8_t *provided;
} eval_env;

int eval_cond(const m_model *m, const m_expr *x, const ev_value *form,
	      const eval_env *env, ev_value *stack, const char **err);

#endif
