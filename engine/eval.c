/*
 * eval.c -- the condition interpreter and form values.
 */
#include <stdio.h>
#include <string.h>

#include "eval.h"

/* ---- conditions ---- */

static int truthy(const ev_value *v)
{
	return !v->absent && v->type == VT_BOOL && v->u.b;
}

/* The checker types every operand but a hook function's result (VT_ANY
 * until it runs), so values of different kinds meet only through one. */
static const char *const kind_words[] = {"true/false", "a number", "text", "a date",
					 "a value of a list", "a value"};

static const char *wrong_kind(const ev_value *v, m_vtype want)
{
	static _Thread_local char msg[96];
	snprintf(msg, sizeof msg, "a hook function gave %s where %s is needed",
		 kind_words[v->type < VT_ANY ? v->type : VT_ANY], kind_words[want]);
	return msg;
}

static const char *enum_name(const m_model *m, const ev_value *v)
{
	if (v->field == -2)
		return v->u.e == EV_COMPANY ? "company" : "person";
	return v->field >= 0 ? m->strs[m->fields[v->field].values.first + (uint32_t)v->u.e] : "";
}

/* 1 with *out (<0, 0, >0), 0 when either side is absent, -1 when the
 * kinds differ (*err set); text from a hook matches a list value by name. */
static int compare(const m_model *m, const ev_value *a, const ev_value *b, int *out,
		   const char **err)
{
	if (a->absent || b->absent)
		return 0;
	if (a->type != b->type) {
		const ev_value *t = a->type == VT_TEXT ? a : b, *e = a->type == VT_TEXT ? b : a;
		if (t->type == VT_TEXT && e->type == VT_ENUM) {
			const char *name = enum_name(m, e);
			*out = strlen(name) != t->u.text.n || memcmp(name, t->u.text.p, t->u.text.n);
			return 1;
		}
		static _Thread_local char msg[96];
		snprintf(msg, sizeof msg, "a hook function's result does not fit: cannot compare "
			 "%s with %s", kind_words[a->type < VT_ANY ? a->type : VT_ANY],
			 kind_words[b->type < VT_ANY ? b->type : VT_ANY]);
		*err = msg;
		return -1;
	}
	switch (a->type) {
	case VT_NUM: *out = dec_cmp(a->u.num, b->u.num); return 1;
	case VT_DATE: *out = (a->u.date > b->u.date) - (a->u.date < b->u.date); return 1;
	case VT_ENUM: *out = a->u.e != b->u.e; return 1;
	case VT_BOOL: *out = (a->u.b != 0) != (b->u.b != 0); return 1;
	case VT_TEXT: {
		uint32_t n = a->u.text.n < b->u.text.n ? a->u.text.n : b->u.text.n;
		int c = memcmp(a->u.text.p, b->u.text.p, n);
		*out = c ? c : (a->u.text.n > b->u.text.n) - (a->u.text.n < b->u.text.n);
		return 1;
	}
	}
	return 0;
}

/* Arithmetic whose answer is not an engine decimal (more than 18 digits,
 * or a product of more than 18 places): an error, not an empty value --
 * an empty value compares false, and the condition would go quiet on the
 * very applications whose numbers are largest. */
static const char *too_large(int op, ot_dec a, ot_dec b)
{
	static _Thread_local char msg[160];
	char x[32], y[32];
	dec_format(a, x);
	dec_format(b, y);
	snprintf(msg, sizeof msg, "%s %c %s has more than 18 digits or decimal places: "
		 "it cannot be worked out exactly", x, op, y);
	return msg;
}

/* A present value of another kind than an operation needs: an error. */
#define NEED(v, want)                                                          \
	do {                                                                   \
		if (!(v)->absent && (v)->type != (want)) {                      \
			*err = wrong_kind((v), (want));                         \
			return -1;                                             \
		}                                                              \
	} while (0)

static ev_value bool_value(int b)
{
	ev_value v;
	memset(&v, 0, sizeof v);
	v.type = VT_BOOL;
	v.u.b = b;
	return v;
}

static void push_const(const m_const *k, ev_value *v)
{
	memset(v, 0, sizeof *v);
	v->type = (uint8_t)k->type;
	switch (k->type) {
	case VT_BOOL: v->u.b = k->u.b; break;
	case VT_NUM: v->u.num = k->u.num; break;
	case VT_TEXT:
		v->u.text.p = k->u.text;
		v->u.text.n = (uint32_t)strlen(k->u.text);
		break;
	case VT_DATE: v->u.date = k->u.date; break;
	case VT_ENUM:
		v->u.e = k->u.enum_index;
		v->field = (int16_t)k->field;
		break;
	case VT_ANY: v->absent = 1; break;
	}
}

static int utf8_len(const char *p, uint32_t n)
{
	int count = 0;
	for (uint32_t i = 0; i < n; i++)
		count += ((unsigned char)p[i] & 0xC0) != 0x80;
	return count;
}

int eval_cond(const m_model *m, const m_expr *x, const ev_value *form,
	      const eval_env *env, ev_value *stack, const char **err)
{
	int applicant = env ? env->applicant : -1;
	const m_op *code = m->ops + x->code.first;
	uint32_t n = x->code.count, pc = 0;
	int sp = 0; /* stack[sp - 1] is the top */
	while (pc < n) {
		const m_op *op = &code[pc++];
		ev_value *top = sp ? &stack[sp - 1] : NULL;
		int c;
		switch ((m_opcode)op->op) {
		case OP_FIELD: stack[sp++] = form[op->a]; break;
		case OP_CONST: push_const(&m->consts[op->a], &stack[sp++]); break;
		case OP_APPLICANT:
			memset(&stack[sp], 0, sizeof stack[sp]);
			stack[sp].type = VT_ENUM;
			stack[sp].field = -2;
			stack[sp].u.e = applicant;
			stack[sp].absent = applicant < 0;
			sp++;
			break;
		case OP_NOT:
			NEED(top, VT_BOOL);
			*top = bool_value(!truthy(top));
			break;
		case OP_NEG:
			NEED(top, VT_NUM);
			if (!top->absent &&
			    !dec_arith('-', (ot_dec){0, 0}, top->u.num, &top->u.num)) {
				*err = too_large('-', (ot_dec){0, 0}, top->u.num);
				return -1;
			}
			break;
		case OP_JFALSE:
			NEED(top, VT_BOOL);
			if (!truthy(top)) {
				*top = bool_value(0);
				pc = (uint32_t)op->a - x->code.first;
			} else
				sp--;
			break;
		case OP_JTRUE:
			NEED(top, VT_BOOL);
			if (truthy(top)) {
				*top = bool_value(1);
				pc = (uint32_t)op->a - x->code.first;
			} else
				sp--;
			break;
		case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE: {
			int known = compare(m, &stack[sp - 2], top, &c, err);
			if (known < 0)
				return -1;
			int r = 0;
			if (known)
				switch ((m_opcode)op->op) {
				case OP_EQ: r = c == 0; break;
				case OP_NE: r = c != 0; break;
				case OP_LT: r = c < 0; break;
				case OP_LE: r = c <= 0; break;
				case OP_GT: r = c > 0; break;
				default: r = c >= 0; break;
				}
			sp--;
			stack[sp - 1] = bool_value(r);
			break;
		}
		case OP_IN: {
			ev_value *v = &stack[sp - 1 - op->a];
			int r = 0;
			for (int i = 0; i < op->a; i++) {
				int known = compare(m, v, &stack[sp - op->a + i], &c, err);
				if (known < 0)
					return -1;
				r |= known && c == 0;
			}
			sp -= op->a;
			stack[sp - 1] = bool_value(r);
			break;
		}
		case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: {
			static const char ops[] = {[OP_ADD] = '+', [OP_SUB] = '-', [OP_MUL] = '*', [OP_DIV] = '/'};
			ev_value *a = &stack[sp - 2];
			NEED(a, VT_NUM);
			NEED(top, VT_NUM);
			if (a->absent || top->absent || (op->op == OP_DIV && top->u.num.units == 0))
				a->absent = 1;
			else if (!dec_arith(ops[op->op], a->u.num, top->u.num, &a->u.num)) {
				*err = too_large(ops[op->op], a->u.num, top->u.num);
				return -1;
			}
			sp--;
			break;
		}
		case OP_PROVIDED:
			if (!env || !env->provided) {
				*err = "provided() asks what was handed in: only a material's condition can";
				return -1;
			}
			stack[sp++] = bool_value(env->provided[op->a] != 0);
			break;
		case OP_LEN: {
			NEED(top, VT_TEXT);
			int len = top->absent ? 0 : utf8_len(top->u.text.p, top->u.text.n);
			memset(top, 0, sizeof *top);
			top->type = VT_NUM;
			top->u.num.units = len;
			break;
		}
		case OP_LUA: {
			ev_value *args = &stack[sp - op->b], out;
			if (!env || !env->lua) {
				*err = "this condition calls a hook function, but no hook is loaded";
				return -1;
			}
			memset(&out, 0, sizeof out);
			if (!env->lua(env->ud, m->strs[op->a], args, op->b, &out, err))
				return -1;
			sp -= op->b;
			stack[sp++] = out;
			break;
		}
		}
	}
	if (sp == 1)
		NEED(&stack[0], VT_BOOL);
	return sp == 1 && truthy(&stack[0]);
}
