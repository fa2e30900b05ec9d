/*
 * expr.c -- type-checks `when` conditions and compiles them to the model's
 * stack bytecode.
 *
 * Types: bool, number (integers and decimals alike, exact), text, date, and
 * enum -- an enum value belongs to one field (or to applicant.kind), so
 * `form.kind == publik` is caught here with the field's own value list.
 * A bare name is only meaningful next to an enum: it is resolved against
 * the other side of ==, != or `in`, and compiled to the value's index, so
 * evaluation compares integers, never strings.
 */
#include <string.h>

#include "check.h"

typedef struct xt {
	m_vtype t;
	int field; /* VT_ENUM: model field index, or -2 for applicant.kind */
} xt;

static const xt T_BAD = {VT_ANY, -9}; /* already reported: stay quiet */
static const xt T_BOOL = {VT_BOOL, -1};
static const xt T_NUM = {VT_NUM, -1};

static const char *const applicant_kinds[] = {"person", "company"};

static int bad(xt t)
{
	return t.t == VT_ANY && t.field == -9;
}

static void emit(chk *k, m_opcode op, int32_t a, int b, int stack)
{
	m_op o = {(uint8_t)op, (uint8_t)b, a};
	VEC_PUSH(k->ma, k->ops, o);
	k->depth += stack;
	if (k->depth > k->max_depth)
		k->max_depth = k->depth;
}

static void emit_const(chk *k, m_const c)
{
	VEC_PUSH(k->ma, k->consts, c);
	emit(k, OP_CONST, (int32_t)k->consts.n - 1, 0, 1);
}

static const char *type_words(chk *k, xt t)
{
	switch (t.t) {
	case VT_BOOL: return "true or false";
	case VT_NUM: return "a number";
	case VT_TEXT: return "text";
	case VT_DATE: return "a date";
	case VT_ENUM:
		if (t.field == -2)
			return "an applicant kind (person or company)";
		return arena_printf(k->ma, "a value of '%s'", k->m->fields[t.field].name);
	case VT_ANY: return "any value";
	}
	return "?";
}

static xt field_type(const m_field *f, int index)
{
	xt t = {VT_TEXT, -1};
	switch (f->type) {
	case FT_INTEGER: case FT_DECIMAL: t.t = VT_NUM; break;
	case FT_BOOL: t.t = VT_BOOL; break;
	case FT_DATE: t.t = VT_DATE; break;
	case FT_ENUM: t.t = VT_ENUM; t.field = index; break;
	case FT_GROUP: t.t = VT_NUM; break; /* the number of rows */
	default: break;
	}
	return t;
}

static int is_bare(const ast_expr *e)
{
	return e->kind == EX_PATH && e->u.path.n == 1 &&
	       strcmp(e->u.path.v[0].s, "form") != 0 &&
	       strcmp(e->u.path.v[0].s, "applicant") != 0;
}

/* The enum values of `t` as a list, for messages. */
static void enum_values(chk *k, xt t, const char *const **names, size_t *n)
{
	if (t.field == -2) {
		*names = applicant_kinds;
		*n = 2;
		return;
	}
	const m_field *f = &k->m->fields[t.field];
	*n = f->values.count;
	*names = *n ? (const char *const *)&k->strs.v[f->values.first] : NULL;
}

/* Compiles a bare name as a value of enum type `t`. */
static xt enum_const(chk *k, const ast_expr *e, xt t)
{
	const ast_name *n = &e->u.path.v[0];
	const char *const *names;
	size_t count;
	enum_values(k, t, &names, &count);
	for (size_t i = 0; i < count; i++)
		if (strcmp(names[i], n->s) == 0) {
			m_const c = {VT_ENUM, t.field, {.enum_index = (int32_t)i}};
			emit_const(k, c);
			return t;
		}
	if (count == 0) { /* E112 told where the field is declared: no values to name */
		emit(k, OP_CONST, 0, 0, 1);
		return T_BAD;
	}
	buf b;
	buf_init_arena(&b, &k->c->ast);
	for (size_t i = 0; i < count; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
	const char *list = arena_strdup(k->ma, b.len ? b.p : "");
	buf_free(&b);
	const char *best = chk_suggest(n->s, names, count);
	const char *what = t.field == -2 ? "an applicant kind"
		: arena_printf(k->ma, "a value of '%s'", k->m->fields[t.field].name);
	if (best)
		diag_at(k->c, n->loc, "E202", arena_printf(k->ma, "the values are: %s", list),
			"'%s' is not %s — did you mean '%s'?", n->s, what, best);
	else
		diag_at(k->c, n->loc, "E202", arena_printf(k->ma, "the values are: %s", list),
			"'%s' is not %s", n->s, what);
	emit(k, OP_CONST, 0, 0, 1);
	return T_BAD;
}

static xt compile(chk *k, const ast_expr *e);

static void unknown_name(chk *k, const ast_expr *e)
{
	const ast_name *n = &e->u.path.v[0];
	if (k->form >= 0) {
		const m_form *f = &k->m->forms[k->form];
		for (uint32_t i = 0; i < f->fields.count; i++)
			if (strcmp(k->m->fields[f->fields.first + i].name, n->s) == 0) {
				diag_at(k->c, n->loc, "E206", "form fields are read with form.",
					"unknown name '%s' in a condition — did you mean 'form.%s'?",
					n->s, n->s);
				return;
			}
	}
	static const char *const heads[] = {"form", "applicant", "lua", "len"};
	const char *best = chk_suggest(n->s, heads, OT_COUNTOF(heads));
	if (best)
		diag_at(k->c, n->loc, "E206",
			"a condition reads form.FIELD, applicant.kind, len(...) or lua.NAME(...)",
			"unknown name '%s' in a condition — did you mean '%s'?", n->s, best);
	else
		diag_at(k->c, n->loc, "E206",
			"write form.FIELD for a form field, applicant.kind, or put text in double quotes",
			"unknown name '%s' in a condition", n->s);
}

static xt compile_path(chk *k, const ast_expr *e)
{
	const ast_names *p = &e->u.path;
	const char *head = p->v[0].s;
	if (strcmp(head, "form") == 0 && p->n == 2) {
		if (k->form < 0) {
			diag_at(k->c, e->loc, "E203",
				"add `form NAME` to the item, or drop this condition",
				"this item has no form, so there is no form.%s", p->v[1].s);
			emit(k, OP_CONST, 0, 0, 1);
			return T_BAD;
		}
		const m_form *f = &k->m->forms[k->form];
		for (uint32_t i = 0; i < f->fields.count; i++) {
			const m_field *fd = &k->m->fields[f->fields.first + i];
			if (strcmp(fd->name, p->v[1].s) == 0) {
				emit(k, OP_FIELD, (int32_t)i, 0, 1);
				return field_type(fd, (int)(f->fields.first + i));
			}
		}
		const char *names[256];
		size_t n = 0;
		for (uint32_t i = 0; i < f->fields.count && n < 256; i++)
			names[n++] = k->m->fields[f->fields.first + i].name;
		const char *best = chk_suggest(p->v[1].s, names, n);
		if (best)
			diag_at(k->c, p->v[1].loc, "E105",
				arena_printf(k->ma, "the fields are declared in form %s", f->name),
				"form '%s' has no field '%s' — did you mean '%s'?",
				f->name, p->v[1].s, best);
		else
			diag_at(k->c, p->v[1].loc, "E105",
				arena_printf(k->ma, "add `field %s \"...\": TYPE` to form %s",
					     p->v[1].s, f->name),
				"form '%s' has no field '%s'", f->name, p->v[1].s);
		emit(k, OP_CONST, 0, 0, 1);
		return T_BAD;
	}
	if (strcmp(head, "applicant") == 0 && p->n == 2 &&
	    strcmp(p->v[1].s, "kind") == 0) {
		emit(k, OP_APPLICANT, 0, 0, 1);
		xt t = {VT_ENUM, -2};
		return t;
	}
	if (p->n == 1 && strcmp(head, "form") != 0 && strcmp(head, "applicant") != 0)
		unknown_name(k, e);
	else if (strcmp(head, "form") == 0 || strcmp(head, "applicant") == 0)
		diag_at(k->c, e->loc, "E206",
			strcmp(head, "form") == 0 ? "write form.FIELD, one field at a time"
						  : "the applicant has only 'kind' (person or company)",
			"'%.*s' is not something a condition can read",
			e->loc.end_off - e->loc.off,
			k->c->files.v[e->loc.file].text + e->loc.off);
	else if (strcmp(head, "lua") == 0)
		diag_at(k->c, e->loc, "E204", "call it: lua.NAME(arguments)",
			"a hook function must be called with parentheses");
	else
		unknown_name(k, e);
	emit(k, OP_CONST, 0, 0, 1);
	return T_BAD;
}

/* provided(MATERIAL): a material needed only when another is handed in */
static xt compile_provided(chk *k, const ast_expr *e)
{
	const ast_expr *a = e->args.n == 1 ? e->args.v[0] : NULL;
	int m = -1;
	if (!a || a->kind != EX_PATH || a->u.path.n != 1)
		diag_at(k->c, e->loc, "E205", "write provided(MATERIAL), one material",
			"provided takes the name of one material");
	else
		m = chk_resolve(k, &k->mats, a->u.path.v[0], "material", "E103");
	if (!k->in_materials)
		diag_at(k->c, e->loc, "E204",
			"use it in a material's `when`: spouse_id when provided(marriage_cert)",
			"provided() asks what the applicant handed in, which only a material's "
			"condition can know");
	emit(k, OP_PROVIDED, m < 0 ? 0 : m, 0, 1);
	xt t = {VT_BOOL, -1};
	return m < 0 ? T_BAD : t;
}

static xt compile_call(chk *k, const ast_expr *e)
{
	const ast_names *p = &e->u.path;
	if (!p->n) {
		emit(k, OP_CONST, 0, 0, 1);
		return T_BAD;
	}
	if (p->n == 1 && strcmp(p->v[0].s, "len") == 0) {
		if (e->args.n != 1) {
			diag_at(k->c, e->loc, "E205", "write len(form.FIELD)",
				"len takes one value, not %zu", e->args.n);
			emit(k, OP_CONST, 0, 0, 1);
			return T_BAD;
		}
		xt t = compile(k, e->args.v[0]);
		if (!bad(t) && t.t != VT_TEXT && t.t != VT_ANY)
			diag_at(k->c, e->args.v[0]->loc, "E201",
				"len counts the characters of a text field: len(form.name)",
				"len needs text, but this is %s", type_words(k, t));
		emit(k, OP_LEN, 0, 0, 0);
		return T_NUM;
	}
	if (p->n == 1 && strcmp(p->v[0].s, "provided") == 0)
		return compile_provided(k, e);
	if (p->n == 2 && strcmp(p->v[0].s, "lua") == 0) {
		if (!k->item || !k->item->hook) {
			diag_at(k->c, e->loc, "E204",
				"add `hook \"hooks/FILE.lua\"` to the item that defines it",
				"lua.%s is called, but this item has no hook file", p->v[1].s);
		}
		for (size_t i = 0; i < e->args.n; i++)
			compile(k, e->args.v[i]);
		VEC_PUSH(k->ma, k->strs, arena_strdup(k->ma, p->v[1].s));
		VEC_PUSH(&k->c->ast, k->lua_names, p->v[1].s); /* to probe the hook */
		emit(k, OP_LUA, (int32_t)k->strs.n - 1, (int)e->args.n,
		     1 - (int)e->args.n);
		xt t = {VT_ANY, -1};
		return t;
	}
	static const char *const fns[] = {"len", "lua", "provided"};
	const char *best = chk_suggest(p->v[0].s, fns, OT_COUNTOF(fns));
	diag_at(k->c, p->v[0].loc, "E204",
		"the functions are len(x), provided(MATERIAL) and lua.NAME(...) from the item's hook file",
		"unknown function '%s'%s%s%s", p->v[0].s, best ? " — did you mean '" : "",
		best ? best : "", best ? "'?" : "");
	emit(k, OP_CONST, 0, 0, 1);
	return T_BAD;
}

static int comparable(xt a, xt b)
{
	if (a.t == VT_ANY || b.t == VT_ANY)
		return 1;
	if (a.t != b.t)
		return 0;
	return a.t != VT_ENUM || a.field == b.field;
}

/* One side of a comparison: a bare name next to an enum is its value. */
static xt compile_side(chk *k, const ast_expr *e, xt other)
{
	if (is_bare(e) && other.t == VT_ENUM)
		return enum_const(k, e, other);
	if (is_bare(e) && bad(other)) {
		emit(k, OP_CONST, 0, 0, 1);
		return T_BAD;
	}
	return compile(k, e);
}

static xt compile_compare(chk *k, const ast_expr *e)
{
	static const m_opcode ops[] = {[OPX_EQ] = OP_EQ, [OPX_NE] = OP_NE,
		[OPX_LT] = OP_LT, [OPX_LE] = OP_LE, [OPX_GT] = OP_GT, [OPX_GE] = OP_GE};
	static const char *const words[] = {[OPX_EQ] = "==", [OPX_NE] = "!=",
		[OPX_LT] = "<", [OPX_LE] = "<=", [OPX_GT] = ">", [OPX_GE] = ">="};
	static const ast_op mirror[] = {[OPX_EQ] = OPX_EQ, [OPX_NE] = OPX_NE,
		[OPX_LT] = OPX_GT, [OPX_LE] = OPX_GE, [OPX_GT] = OPX_LT, [OPX_GE] = OPX_LE};
	const ast_expr *l = e->u.bin.l, *r = e->u.bin.r;
	ast_op op = e->op;
	xt a, b;
	if (is_bare(l) && !is_bare(r)) {
		/* `public == form.kind`: the right side gives the left its type,
		 * so compile it first and mirror the operator. */
		a = compile(k, r);
		b = compile_side(k, l, a);
		op = mirror[op];
	} else {
		a = compile(k, l);
		b = compile_side(k, r, a);
	}
	emit(k, ops[op], 0, 0, -1);
	if (bad(a) || bad(b))
		return T_BAD;
	int ordered = op != OPX_EQ && op != OPX_NE;
	if (!comparable(a, b)) {
		diag_at(k->c, e->loc, "E201",
			b.t == VT_NUM && a.t == VT_BOOL
				? "a yes/no field is compared with true or false, or used on its own"
				: "compare values of the same kind",
			"cannot compare %s with %s", type_words(k, a), type_words(k, b));
		return T_BAD;
	}
	if (ordered && a.t != VT_NUM && a.t != VT_DATE && a.t != VT_ANY) {
		diag_at(k->c, e->loc, "E201", "use == or != for these",
			"'%s' orders numbers and dates, not %s", words[op],
			type_words(k, a));
		return T_BAD;
	}
	return T_BOOL;
}

static xt compile_in(chk *k, const ast_expr *e)
{
	const ast_expr *r = e->u.bin.r;
	xt a = compile(k, e->u.bin.l);
	if (r->kind != EX_LIST) {
		diag_at(k->c, r->loc, "E201", "write the values in brackets: x in [a, b]",
			"'in' needs a list of values");
		return T_BAD;
	}
	int ok = !bad(a);
	if (r->args.n == 0) { /* never true: the material or line would never apply */
		diag_at(k->c, r->loc, "E201", "write the values in brackets: x in [a, b]",
			"'in []' holds no value, so it is never true");
		ok = 0;
	}
	for (size_t i = 0; i < r->args.n; i++) {
		xt b = compile_side(k, r->args.v[i], a);
		if (ok && !bad(b) && !comparable(a, b)) {
			diag_at(k->c, r->args.v[i]->loc, "E201",
				"every value in the list must be of the same kind as the value before 'in'",
				"the list holds %s, but the value before 'in' is %s",
				type_words(k, b), type_words(k, a));
			ok = 0;
		}
	}
	emit(k, OP_IN, (int32_t)r->args.n, 0, -(int)r->args.n);
	return ok ? T_BOOL : T_BAD;
}

static xt want(chk *k, const ast_expr *e, xt t, m_vtype need, const char *op)
{
	if (bad(t) || t.t == need || t.t == VT_ANY)
		return t;
	int not = strcmp(op, "not") == 0;
	if (need == VT_BOOL)
		diag_at(k->c, e->loc, "E201",
			t.t != VT_NUM ? NULL : not ? "compare it, for example: not (form.area > 0)"
						   : "compare it, for example: ... > 0",
			not ? "'%s' needs true or false, but this is %s"
			    : "'%s' needs true or false on each side, but this is %s",
			op, type_words(k, t));
	else
		diag_at(k->c, e->loc, "E201", "arithmetic works on number fields and numbers",
			"'%s' needs numbers, but this is %s", op, type_words(k, t));
	return T_BAD;
}

static xt compile_logic(chk *k, const ast_expr *e)
{
	const char *op = e->op == OPX_AND ? "and" : "or";
	xt a = want(k, e->u.bin.l, compile(k, e->u.bin.l), VT_BOOL, op);
	size_t jump = k->ops.n;
	emit(k, e->op == OPX_AND ? OP_JFALSE : OP_JTRUE, 0, 0, -1);
	xt b = want(k, e->u.bin.r, compile(k, e->u.bin.r), VT_BOOL, op);
	k->ops.v[jump].a = (int32_t)k->ops.n;
	return bad(a) || bad(b) ? T_BAD : T_BOOL;
}

static xt compile_arith(chk *k, const ast_expr *e)
{
	static const m_opcode ops[] = {[OPX_ADD] = OP_ADD, [OPX_SUB] = OP_SUB,
		[OPX_MUL] = OP_MUL, [OPX_DIV] = OP_DIV};
	static const char *const words[] = {[OPX_ADD] = "+", [OPX_SUB] = "-",
		[OPX_MUL] = "*", [OPX_DIV] = "/"};
	xt a = want(k, e->u.bin.l, compile(k, e->u.bin.l), VT_NUM, words[e->op]);
	xt b = want(k, e->u.bin.r, compile(k, e->u.bin.r), VT_NUM, words[e->op]);
	emit(k, ops[e->op], 0, 0, -1);
	return bad(a) || bad(b) ? T_BAD : T_NUM;
}

static xt compile(chk *k, const ast_expr *e)
{
	m_const c;
	memset(&c, 0, sizeof c);
	switch (e->kind) {
	case EX_INT:
	case EX_DEC:
		c.type = VT_NUM;
		c.u.num = e->u.num;
		emit_const(k, c);
		return T_NUM;
	case EX_STR:
		c.type = VT_TEXT;
		c.u.text = arena_strdup(k->ma, e->u.str);
		emit_const(k, c);
		return (xt){VT_TEXT, -1};
	case EX_DATE:
		c.type = VT_DATE;
		c.u.date = e->u.date;
		emit_const(k, c);
		return (xt){VT_DATE, -1};
	case EX_BOOL:
		c.type = VT_BOOL;
		c.u.b = e->u.b;
		emit_const(k, c);
		return T_BOOL;
	case EX_PATH:
		return compile_path(k, e);
	case EX_CALL:
		return compile_call(k, e);
	case EX_LIST:
		diag_at(k->c, e->loc, "E201", "use a list after 'in': x in [a, b]",
			"a list can only follow 'in'");
		emit(k, OP_CONST, 0, 0, 1);
		return T_BAD;
	case EX_UNARY: {
		xt t = compile(k, e->u.un);
		if (e->op == OPX_NOT) {
			emit(k, OP_NOT, 0, 0, 0);
			return bad(want(k, e->u.un, t, VT_BOOL, "not")) ? T_BAD : T_BOOL;
		}
		emit(k, OP_NEG, 0, 0, 0);
		return bad(want(k, e->u.un, t, VT_NUM, "-")) ? T_BAD : T_NUM;
	}
	case EX_BINARY:
		switch (e->op) {
		case OPX_AND: case OPX_OR: return compile_logic(k, e);
		case OPX_IN: return compile_in(k, e);
		case OPX_ADD: case OPX_SUB: case OPX_MUL: case OPX_DIV:
			return compile_arith(k, e);
		default: return compile_compare(k, e);
		}
	}
	return T_BAD;
}

int chk_condition(chk *k, const ast_expr *e, dsl_loc where)
{
	size_t errors = k->c->diags->errors;
	m_expr x;
	x.code.first = (uint32_t)k->ops.n;
	k->depth = k->max_depth = 0;
	xt t = compile(k, e);
	if (!bad(t) && t.t != VT_BOOL && t.t != VT_ANY)
		diag_at(k->c, e->loc, "E201",
			t.t == VT_NUM ? "compare it, for example: form.area > 300"
				      : "compare it with a value, for example: form.x == \"...\"",
			"a condition must be true or false, but this is %s",
			type_words(k, t));
	if (k->c->diags->errors != errors)
		return -1;
	x.code.count = (uint32_t)k->ops.n - x.code.first;
	x.depth = k->max_depth;
	const dsl_file *f = &k->c->files.v[where.file];
	x.text = arena_strndup(k->ma, f->text + where.off,
			       (size_t)(where.end_off - where.off));
	VEC_PUSH(k->ma, k->exprs, x);
	return (int)k->exprs.n - 1;
}
