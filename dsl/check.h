/*
 * check.h -- state shared by the checker's parts: names (check.c),
 * expressions (expr.c) and flows (flow.c).  Internal to dsl/.
 *
 * Model arrays are built in declaration order, so the index of a name in
 * its strmap is both its AST index and its model index.
 */
#ifndef DSL_CHECK_H
#define DSL_CHECK_H

#include "calendar.h"
#include "dsl.h"

typedef struct chk {
	dsl_ctx *c;
	m_model *m;
	arena *ma; /* the model's arena */
	strmap cals, depts, mats, forms, items, chains;
	strmap interned;           /* model strings, to store each once */
	VEC(const char *) pool;
	VEC(m_expr) exprs;
	VEC(m_op) ops;
	VEC(m_const) consts;
	VEC(int32_t) ints;
	VEC(const char *) strs;
	/* the item being checked */
	const ast_item *item;
	int form; /* model form index, -1: none */
	int item_errors;
	VEC(const char *) lua_names; /* hook functions the item's conditions call */
	int depth, max_depth; /* evaluation stack while compiling */
	int in_materials;     /* compiling a material's `when`: provided(M) allowed */
} chk;

/* Looks `n` up in `map`; reports `code` ("unknown department ...") with a
 * did-you-mean when absent.  `kind` is the word for the messages. */
int chk_resolve(chk *k, const strmap *map, ast_name n, const char *kind,
		const char *code);

/* Compiles a `when` condition; returns its exprs[] index, -1 on error. */
int chk_condition(chk *k, const ast_expr *e, dsl_loc where);

/* Checks an item's flow and builds its rules; returns 0 on error. */
int chk_flow(chk *k, m_item *it);

/* Adds a run of ints; returns the span. */
m_span chk_ints(chk *k, const int32_t *v, size_t n);

#endif
