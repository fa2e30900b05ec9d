/*
 * parse.h -- the state shared by the re2c lexer and the Bison parser of one
 * file.  Internal to dsl/.
 */
#ifndef DSL_PARSE_H
#define DSL_PARSE_H

#include "dsl.h"
#include "parser.h"

#define DSL_MAX_OPEN 64

typedef struct dsl_pctx {
	dsl_ctx *c;
	int file;
	const unsigned char *src, *cur, *lim, *tok;
	int line;
	const unsigned char *line_start;
	const unsigned char *col_ptr; /* column cache: col_val is col_ptr's */
	int col_val;
	int last_kind;                /* kind of the last token returned */
	DSL_YYLTYPE last_loc, prev_loc; /* where the last two tokens were */
	/* open '{' '(' '[' not yet closed, for "not closed" hints */
	dsl_loc open[DSL_MAX_OPEN];
	char open_ch[DSL_MAX_OPEN];
	int nopen;
	ast_uses uses;
	/* the declaration being parsed, which statements fill in */
	ast_calendar *cal;
	ast_department *dept;
	ast_material *mat;
	ast_form *form;
	ast_item *item;
	ast_chain *chain;
	ast_stage *stage;
	int syntax_errors;
	int scenario;                 /* a scenario file, not a rule file */
	int started;                  /* the start token has been given */
	struct scn_file *scn;         /* scenario mode: what is parsed into */
	struct scn_scenario *cur_scn;
	const char *reason;           /* act's optional reason, while parsing */
	VEC(ast_route) routes;        /* a routed step's table, while parsing */
	VEC(ast_guide_arg) guide_args; /* a guide line's words, while parsing */
	struct scn_rows *rows;        /* a group's rows in a scenario form */
	int bad_utf8;                 /* malformed sequences seen */
	/* After a syntax error on line resync_line, a virtual ';' is given
	 * before the first token of a later line, so recovery ends with the
	 * line and the next line's mistakes are reported too. */
	int resync_line;
	int pending;                  /* a token held back behind the ';' */
	DSL_YYSTYPE pending_val;
	DSL_YYLTYPE pending_loc;
} dsl_pctx;

int dsl_yylex(DSL_YYSTYPE *lval, DSL_YYLTYPE *lloc, dsl_pctx *P);
/* The keyword token for s[0..n), or 0. */
int dsl_keyword(const char *s, size_t n);
/* 1 when the keyword tables are in order (lookup is a binary search). */
int dsl_keywords_sorted(void);
/* Index of keyword token `tok` into its spelling, or NULL. */
const char *dsl_keyword_text(int tok);

#endif
