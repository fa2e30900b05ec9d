/*
 * ast.h -- the syntax tree of rule files, as the parser builds it.
 *
 * Ownership: every node, vector and string lives in the compile context's
 * AST arena (dsl_ctx.ast) and dies with it; nothing here is freed on its own.
 * That is what lets Bison's error recovery drop half-built nodes without a
 * %destructor.
 *
 * The tree is close to the text: names are unresolved strings with their
 * place; the checker (check.c) resolves them and builds the model.
 */
#ifndef DSL_AST_H
#define DSL_AST_H

#include <stdint.h>

#include "../engine/base.h"
#include "../engine/model.h"

/* A place in a source file.  first_* / last_* are Bison's names (so the
 * default location rules apply); columns count characters; off/end_off are
 * byte offsets of the span, used to quote a condition "as written". */
typedef struct dsl_loc {
	int file;
	int first_line, first_column, last_line, last_column;
	int off, end_off;
} dsl_loc;

#define VEC(T) struct { T *v; size_t n, cap; }
#define VEC_PUSH(ar, vec, x)                                                  \
	do {                                                                  \
		(vec).v = arena_grow((ar), (vec).v, &(vec).cap, (vec).n + 1,  \
				     sizeof *(vec).v);                        \
		(vec).v[(vec).n++] = (x);                                     \
	} while (0)

typedef struct ast_name {
	const char *s; /* NULL when absent */
	dsl_loc loc;
} ast_name;

typedef VEC(ast_name) ast_names;

/* `dept` or `dept.window` */
typedef struct ast_ref {
	ast_name a, b;
} ast_ref;

/* `15 workdays`; unit is checked by the checker so typos get a hint. */
typedef struct ast_dur {
	int64_t n;
	ast_name unit;
	dsl_loc loc;
	int set;
} ast_dur;

typedef struct ast_num {
	ot_dec v;
	dsl_loc loc;
	int set;
} ast_num;

typedef struct ast_span {
	int32_t first, last; /* days; last == first for a single date */
	dsl_loc loc;
	int valid;           /* 0 when a date was invalid (already reported) */
} ast_span;

typedef VEC(ast_span) ast_spans;

/* ---- expressions ---- */

typedef enum ast_expr_kind {
	EX_INT, EX_DEC, EX_STR, EX_DATE, EX_BOOL,
	EX_PATH,  /* a, form.x, applicant.kind, lua.f */
	EX_CALL,  /* path(args) */
	EX_LIST,  /* [a, b] */
	EX_UNARY, /* not, - */
	EX_BINARY
} ast_expr_kind;

typedef enum ast_op {
	OPX_OR, OPX_AND, OPX_NOT, OPX_NEG,
	OPX_EQ, OPX_NE, OPX_LT, OPX_LE, OPX_GT, OPX_GE, OPX_IN,
	OPX_ADD, OPX_SUB, OPX_MUL, OPX_DIV
} ast_op;

typedef struct ast_expr ast_expr;
typedef VEC(ast_expr *) ast_exprs;

struct ast_expr {
	ast_expr_kind kind;
	ast_op op;
	dsl_loc loc;
	union {
		ot_dec num;        /* EX_INT (scale 0), EX_DEC */
		const char *str;   /* EX_STR */
		int32_t date;      /* EX_DATE */
		int b;             /* EX_BOOL */
		ast_names path;    /* EX_PATH, EX_CALL (callee) */
		ast_expr *un;      /* EX_UNARY */
		struct { ast_expr *l, *r; } bin;
	} u;
	ast_exprs args;            /* EX_CALL, EX_LIST */
};

/* ---- declarations ---- */

typedef struct ast_use {
	const char *path;
	dsl_loc loc;
} ast_use;

typedef struct ast_dayset {
	ast_spans spans;
	const char *label;
	int holiday; /* 1 holiday, 0 make-up workday */
	dsl_loc loc;
} ast_dayset;

typedef struct ast_calendar {
	unsigned seen; /* settings given, for "given twice" (E113) */
	ast_name name;
	const char *label;
	ast_names weekend;
	int has_weekend;
	VEC(ast_dayset) days;
	dsl_loc loc;
} ast_calendar;

typedef struct ast_window {
	ast_name name;
	const char *label;
} ast_window;

typedef struct ast_department {
	unsigned seen;
	ast_name name;
	const char *label;
	VEC(ast_window) windows;
	ast_name level;
	dsl_loc loc;
} ast_department;

typedef struct ast_material {
	unsigned seen;
	ast_name name;
	const char *label;
	ast_name holder;
	ast_name source;      /* applicant | shared | issued_by */
	const char *source_text;
	ast_name source_dept; /* issued_by DEPT */
	dsl_loc source_loc;
	int original;
	ast_num copies;
	ast_dur reusable;
	dsl_loc loc;
} ast_material;

typedef struct ast_field {
	unsigned seen;
	ast_name name;
	const char *label;
	ast_name type;
	ast_names enum_values;
	int has_enum, required, computed;
	ast_num min, max;
	dsl_loc loc;
	ast_name base; /* `use FORM` in a form: stands for that form's fields */
	ast_name via;  /* a field taken over: the `use` line that brought it */
} ast_field;

typedef struct ast_form {
	ast_name name;
	const char *label;
	VEC(ast_field) fields;
	dsl_loc loc;
} ast_form;

typedef struct ast_req {
	ast_name material;
	ast_names alternatives; /* `id_card or hukou_book`: any one of them */
	int original;          /* `original`: the original is shown (per item) */
	ast_num copies;        /* `copies N` for this item */
	ast_name medium;       /* `medium paper|electronic|either` */
	ast_expr *when;
	dsl_loc when_loc;
	int optional, deferrable;
	ast_dur defer_within;  /* `deferrable within 5 workdays`: 容缺 deadline */
	dsl_loc loc;
} ast_req;

/* `shuguang: street_shuguang` in a step routed by the form */
typedef struct ast_route {
	ast_name value, dept;
} ast_route;

typedef struct ast_step {
	ast_name name;
	const char *label;
	ast_ref by;
	ast_dur within, promised;
	int in_person;
	ast_name route_field;  /* `by form.FIELD { ... }`; s NULL: by a department */
	VEC(ast_route) routes;
	dsl_loc loc;
} ast_step;

/* `procedure expert_review "专家评审" max 10 days in review` */
typedef struct ast_procedure {
	ast_name name;
	const char *label;
	ast_dur max;
	ast_name step;         /* s NULL: while any step is active */
	dsl_loc loc;
} ast_procedure;

typedef enum { GUARD_ALWAYS, GUARD_WHEN, GUARD_OTHERWISE, GUARD_ROUTE } ast_guard;

typedef struct ast_flow {
	ast_names from, to; /* a target named NULL with is_end means `end` */
	ast_guard guard;
	ast_expr *when;
	ast_name route;     /* GUARD_ROUTE: `route lua` */
	dsl_loc guard_loc;
	dsl_loc loc;
} ast_flow;

/* A line of an item's `guide { }` (办事指南): a key and its words, each
 * either text in quotes or a bare name. */
typedef struct ast_guide_arg {
	const char *s;
	int text;      /* 1: "text", 0: a name */
	dsl_loc loc;
} ast_guide_arg;

typedef struct ast_guide {
	ast_name key;
	VEC(ast_guide_arg) args;
	dsl_loc loc;
} ast_guide;

/* Item attributes are kept in a table indexed by keyword so duplicates and
 * missing ones are found in one place. */
typedef enum item_attr {
	IA_CODE, IA_TYPE, IA_DEPARTMENT, IA_TRANSFERRED_FROM, IA_WINDOW,
	IA_ONLINE, IA_LEGAL_LIMIT, IA_PROMISED_LIMIT, IA_CALENDAR,
	IA_FREQUENCY, IA_APPLICANT, IA_FORM, IA_DELIVER, IA_HOOK,
	IA_MATERIALS, IA_STEPS, IA_FLOW, IA_EXTENSION, IA_ACCEPTANCE, IA_IN_FORCE, IA_REPLACES,
	IA_PLEDGE, IA_PLEDGE_CHECK, IA_GUIDE, IA__COUNT
} item_attr;

/* `issues land_cert for 5 years`: word is `for`, valid unset for no expiry;
 * `… for 1 year unless construction_permit_doc`: unless is that word, and
 * keeper the licence that keeps it valid (unset when not written). */
typedef struct ast_issue {
	ast_name name, word;
	ast_dur valid;
	ast_name unless, keeper;
} ast_issue;

typedef struct ast_item {
	ast_name name;
	const char *label;
	dsl_loc attr_loc[IA__COUNT]; /* file == -1: not given */
	const char *code, *hook;
	ast_name type, department, transferred_from, online, calendar;
	ast_name frequency, applicant, form;
	ast_ref window;
	ast_dur legal, promised;
	ast_dur extension, acceptance;
	ast_name acceptance_else; /* `acceptance_limit N workdays otherwise accepted` */
	VEC(ast_procedure) procedures;
	/* `in_force from DATE [until DATE]`, `in_force until DATE` */
	ast_name in_force_word, in_force_word2;
	int32_t in_force_day, in_force_day2;
	int in_force_valid;
	ast_name replaces;   /* `replaces ITEM`: the version before this one */
	/* 告知承诺: `pledge_replaces M, N [when COND]`, `pledge_check N days` */
	ast_names pledge;
	ast_expr *pledge_when;
	dsl_loc pledge_when_loc;
	ast_dur pledge_check;
	VEC(ast_guide) guide;  /* the service guide's elements */
	ast_names deliver;
	VEC(const char *) notes;
	VEC(ast_req) materials;
	VEC(ast_step) steps;
	VEC(ast_flow) flow;
	ast_name hook_word;  /* `needs` */
	ast_names hook_needs;
	VEC(ast_issue) issues;
	int syntax_errors; /* flow checks are skipped for a half-parsed item */
	dsl_loc loc;
} ast_item;

/* `C after A, B` inside a stage: item C starts when A and B are approved. */
typedef struct ast_wait {
	ast_name item;
	ast_names after;
} ast_wait;

typedef struct ast_stage {
	ast_name name;
	const char *label;
	ast_names after, items;
	ast_name dept;          /* `department D`: the lead department (牵头) */
	ast_dur within;         /* `within N workdays`: the stage's own limit */
	VEC(ast_wait) waits;
	VEC(ast_expr *) when;   /* per item: `items A, B when COND`; NULL: always */
	VEC(dsl_loc) when_loc;
	dsl_loc loc;
} ast_stage;

typedef struct ast_chain {
	unsigned seen;
	ast_name name;
	const char *label;
	ast_ref window;
	ast_name form;
	ast_dur total;
	VEC(ast_stage) stages;
	dsl_loc loc;
} ast_chain;

typedef struct ast_limit {
	ast_name name;       /* instructions | memory_mb */
	int64_t n;
	dsl_loc loc;
} ast_limit;

typedef struct ast_provider {
	const char *name;    /* the data source, as materials name it */
	dsl_loc name_loc;
	ast_name kind;       /* licences | lua */
	const char *path;    /* lua: the module */
	dsl_loc loc;
} ast_provider;

/* Everything parsed from all files, in load order. */
typedef struct ast_unit {
	VEC(ast_limit) limits;
	VEC(ast_provider) providers;
	const char *zone; /* `timezone "+08:00"`, or NULL */
	dsl_loc zone_loc;
	VEC(ast_calendar *) calendars;
	VEC(ast_department *) departments;
	VEC(ast_material *) materials;
	VEC(ast_form *) forms;
	VEC(ast_item *) items;
	VEC(ast_chain *) chains;
} ast_unit;

#endif
