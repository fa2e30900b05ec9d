/*
 * parser.y -- the rule-language grammar (GNU Bison, pure, with locations).
 *
 * Design notes
 *  - Declarations are parsed into the current item/material/... held in the
 *    parse context (P->item etc.): a header rule creates the node, the
 *    statements of its body fill it in.  That keeps the grammar flat and the
 *    semantic values small.
 *  - Keywords are reserved, except after '.' and as form field names, where
 *    no statement can start (`form.type` and `field code ...` both work).
 *  - Error recovery: every statement list has an `error` alternative, and an
 *    `error { ... }` alternative that skips a whole block, so a misspelt
 *    block keyword does not let the block's contents spill into the
 *    enclosing level.  Recovery ends with the line: after an error the
 *    lexer hands over a virtual ';' before the next line's first token, and
 *    shifting a ';' re-arms error reporting (yyerrok after consuming a
 *    token cannot loop), so each line's mistake is reported.  The checker
 *    then still runs on everything that parsed, so one run reports syntax
 *    and semantic errors together.
 *  - parse.error custom + LAC give exact expected-token lists, which
 *    yyreport_syntax_error turns into plain words and a did-you-mean.
 *  - The parser stack never grows past DSL_MAX_DEPTH (no malloc): deeper
 *    nesting is reported as E011.
 */
%code top {
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
}

%code requires {
#include "ast.h"
#include "scenario.h"
typedef struct dsl_pctx dsl_pctx;
}

%code provides {
#define DSL_MAX_DEPTH 1000
}

%code {
#include "parse.h"

#define YYINITDEPTH DSL_MAX_DEPTH
#define YYMAXDEPTH DSL_MAX_DEPTH

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                        \
	do {                                                               \
		if (N) {                                                   \
			(Cur) = YYRHSLOC(Rhs, 1);                          \
			(Cur).last_line = YYRHSLOC(Rhs, N).last_line;      \
			(Cur).last_column = YYRHSLOC(Rhs, N).last_column;  \
			(Cur).end_off = YYRHSLOC(Rhs, N).end_off;          \
		} else {                                                   \
			(Cur) = YYRHSLOC(Rhs, 0);                          \
			(Cur).first_line = (Cur).last_line;                \
			(Cur).first_column = (Cur).last_column;            \
			(Cur).off = (Cur).end_off;                         \
		}                                                          \
	} while (0)

#define A (&P->c->ast)
#define NEW(T) ((T *)arena_alloc(A, sizeof(T)))

static void dsl_yyerror(DSL_YYLTYPE *l, dsl_pctx *P, const char *msg);
static ast_name mkname(const char *s, dsl_loc l);
static ast_expr *mkexpr(dsl_pctx *P, ast_expr_kind k, dsl_loc l);
static ast_expr *mkbin(dsl_pctx *P, ast_op op, ast_expr *a, ast_expr *b, dsl_loc l);
static ast_expr *mkun(dsl_pctx *P, ast_op op, ast_expr *a, dsl_loc l);
static int item_attr_once(dsl_pctx *P, item_attr a, dsl_loc l);
static void add_guide(dsl_pctx *P, ast_name key, dsl_loc l);
static void add_procedure(dsl_pctx *P, ast_name name, const char *label, ast_dur max,
			  const ast_name *step, dsl_loc l);
static scn_stmt *new_stmt(dsl_pctx *P, scn_kind kind, dsl_loc l);
static scn_stmt *last_stmt(dsl_pctx *P);
static int once(dsl_pctx *P, unsigned *seen, unsigned bit, dsl_loc l, const char *what);
#define ONCE(decl, bit, what, loc) ((decl) && once(P, &(decl)->seen, (bit), (loc), (what)))
#define LAST_FIELD (P->form && P->form->fields.n ? &P->form->fields.v[P->form->fields.n - 1] : NULL)
}

%define api.pure full
%define api.prefix {dsl_yy}
%define api.location.type {dsl_loc}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%param {dsl_pctx *P}

%union {
	const char *str;
	int64_t num;
	ot_dec dec;
	struct { int32_t day; int valid; } date;
	ast_name name;
	ast_names names;
	ast_ref ref;
	ast_dur dur;
	ast_num number;
	ast_span span;
	ast_spans spans;
	ast_expr *expr;
	ast_exprs exprs;
	struct scn_value sv;
}

%token <str> IDENT "name"
%token <str> STRING "text"
%token <num> INT "whole number"
%token <dec> DECIMAL "decimal number"
%token <date> DATE "date"
%token ARROW "->" EQ "==" NE "!=" LE "<=" GE ">=" DOTDOT ".." ASSIGN "="
%token <str>
	KW_USE "use" KW_CALENDAR "calendar" KW_WEEKEND "weekend"
	KW_HOLIDAY "holiday" KW_WORKDAY "workday" KW_DEPARTMENT "department"
	KW_WINDOW "window" KW_LEVEL "level" KW_MATERIAL "material"
	KW_HOLDER "holder" KW_SOURCE "source" KW_ORIGINAL "original"
	KW_COPIES "copies" KW_REUSABLE "reusable" KW_FORM "form"
	KW_FIELD "field" KW_REQUIRED "required" KW_MIN "min" KW_MAX "max"
	KW_COMPUTED "computed" KW_ITEM "item" KW_CODE "code" KW_TYPE "type"
	KW_TRANSFERRED_FROM "transferred_from" KW_ONLINE "online"
	KW_LEGAL_LIMIT "legal_limit" KW_PROMISED_LIMIT "promised_limit"
	KW_FREQUENCY "frequency" KW_APPLICANT "applicant" KW_DELIVER "deliver"
	KW_MATERIALS "materials" KW_OPTIONAL "optional"
	KW_DEFERRABLE "deferrable" KW_STEPS "steps" KW_BY "by"
	KW_WITHIN "within" KW_IN_PERSON "in_person" KW_FLOW "flow"
	KW_WHEN "when" KW_OTHERWISE "otherwise" KW_END "end" KW_HOOK "hook"
	KW_NOTE "note" KW_CHAIN "chain" KW_TOTAL_LIMIT "total_limit"
	KW_STAGE "stage" KW_AFTER "after" KW_ITEMS "items" KW_AND "and"
	KW_OR "or" KW_NOT "not" KW_IN "in" KW_TRUE "true" KW_FALSE "false"
	KW_TIMEZONE "timezone"
	KW_SCENARIO "scenario" KW_RULES "rules" KW_NOW "now" KW_SUBMIT "submit"
	KW_VIA "via" KW_PROVIDE "provide" KW_EXPECT "expect" KW_ACT "act"
	KW_AT "at" KW_SUPPLEMENT "supplement" KW_SUSPEND "suspend"
	KW_RESUME "resume" KW_WITHDRAW "withdraw"
	KW_ROUTE "route" KW_HOOK_LIMITS "hook_limits" KW_PROVIDER "provider"
	KW_ISSUES "issues"
	KW_PROCEDURE "procedure" KW_EXTENSION "extension_limit" KW_ACCEPTANCE "acceptance_limit"
	KW_PROMISED "promised" KW_IN_FORCE "in_force" KW_REPLACES "replaces"
	KW_PLEDGE_REPLACES "pledge_replaces" KW_PLEDGE_CHECK "pledge_check" KW_SWEEP "sweep"
	KW_GUIDE "guide" KW_MEDIUM "medium"
	KW_ACCEPT "accept" KW_REFUSE "refuse" KW_EXTEND "extend"
%token <str> DATETIME "time"
%token START_RULES "the start of a rule file" START_SCENARIO "the start of a scenario file"

%type <str> opt_label anyword keyword
%type <name> name deliver_name target
%type <names> names targets deliver_names day_names enum_values
%type <ref> ref
%type <dur> duration
%type <number> number
%type <span> date_span
%type <spans> date_spans
%type <expr> expr primary
%type <exprs> exprs opt_exprs
%type <sv> scn_value opt_at

%left KW_OR
%left KW_AND
%precedence KW_NOT
%nonassoc EQ NE '<' LE '>' GE KW_IN
%left '+' '-'
%left '*' '/'
%precedence UMINUS

%%

file: START_RULES decls | START_SCENARIO scenarios ;

decls: %empty | decls decl | decls ';' { yyerrok; } ;

decl: use | calendar | department | material | form | item | chain | timezone
    | hook_limits | provider
    | error
    | error '{' skip '}' { yyerrok; }
    ;

/* Anything but braces and the end of the file, to skip a broken block. */
skip: %empty | skip skip_tok | skip '{' skip '}' ;
skip_tok: IDENT | STRING | INT | DECIMAL | DATE | ARROW | EQ | NE | LE | GE
    | DOTDOT | ASSIGN | '(' | ')' | '[' | ']' | ',' | ';' | ':' | '.' | '<'
    | '>' | '+' | '-' | '*' | '/' | DATETIME | keyword
    ;

/* hook_limits { instructions 1000000; memory_mb 8 } */
hook_limits: KW_HOOK_LIMITS '{' limit_stmts '}' ;
limit_stmts: %empty | limit_stmts limit_stmt | limit_stmts ';' { yyerrok; } ;
limit_stmt: name INT {
	ast_limit l = {$1, $2, @$};
	VEC_PUSH(A, P->c->unit.limits, l);
}
	  | error
	  ;

/* provider "电子证照库" licences  |  provider "X" lua "hooks/x.lua" */
provider: KW_PROVIDER STRING name opt_label {
	ast_provider p = {$2, @2, $3, $4, @$};
	VEC_PUSH(A, P->c->unit.providers, p);
};

timezone: KW_TIMEZONE STRING {
	if (P->c->unit.zone)
		diag_at(P->c, @$, "E113", "keep one 'timezone' for the whole rule base",
			"'timezone' is given twice (first at line %d)", P->c->unit.zone_loc.first_line);
	else {
		P->c->unit.zone = $2;
		P->c->unit.zone_loc = @2;
	}
};

use: KW_USE STRING {
	ast_use u = {$2, @2};
	VEC_PUSH(A, P->uses, u);
};

opt_label: %empty { $$ = NULL; } | STRING ;

name: IDENT { $$ = mkname($1, @1); } ;

names: name { $$.v = NULL; $$.n = $$.cap = 0; VEC_PUSH(A, $$, $1); }
     | names ',' name { $$ = $1; VEC_PUSH(A, $$, $3); }
     ;

ref: name { $$.a = $1; $$.b.s = NULL; $$.b.loc = @1; }
   | name '.' name { $$.a = $1; $$.b = $3; }
   ;

duration: INT IDENT {
	$$.n = $1; $$.unit = mkname($2, @2); $$.loc = @$; $$.set = 1;
}
	| INT KW_WORKDAY {
	$$.n = $1; $$.unit = mkname($2, @2); $$.loc = @$; $$.set = 1;
};

number: INT { $$.v.units = $1; $$.v.scale = 0; $$.loc = @$; $$.set = 1; }
      | DECIMAL { $$.v = $1; $$.loc = @$; $$.set = 1; }
      | '-' INT { $$.v.units = -$2; $$.v.scale = 0; $$.loc = @$; $$.set = 1; }
      | '-' DECIMAL { $$.v = $2; $$.v.units = -$$.v.units; $$.loc = @$; $$.set = 1; }
      ;

/* ---- calendar ---- */

calendar: calendar_head '{' cal_stmts '}' { P->cal = NULL; } ;

calendar_head: KW_CALENDAR name opt_label {
	P->cal = NEW(ast_calendar);
	P->cal->name = $2;
	P->cal->label = $3;
	P->cal->loc = @$;
	VEC_PUSH(A, P->c->unit.calendars, P->cal);
};

cal_stmts: %empty | cal_stmts cal_stmt | cal_stmts ';' { yyerrok; } ;

cal_stmt: KW_WEEKEND day_names {
	if (ONCE(P->cal, 1, "weekend", @$)) { P->cal->weekend = $2; P->cal->has_weekend = 1; }
}
	| KW_HOLIDAY date_spans opt_label {
	ast_dayset d = {$2, $3, 1, @$};
	if (P->cal) VEC_PUSH(A, P->cal->days, d);
}
	| KW_WORKDAY date_spans opt_label {
	ast_dayset d = {$2, $3, 0, @$};
	if (P->cal) VEC_PUSH(A, P->cal->days, d);
}
	| error
	;

day_names: name { $$.v = NULL; $$.n = $$.cap = 0; VEC_PUSH(A, $$, $1); }
	 | day_names name { $$ = $1; VEC_PUSH(A, $$, $2); }
	 ;

date_span: DATE {
	$$.first = $$.last = $1.day; $$.valid = $1.valid; $$.loc = @$;
}
	| DATE DOTDOT DATE {
	$$.first = $1.day; $$.last = $3.day; $$.valid = $1.valid && $3.valid;
	$$.loc = @$;
};

date_spans: date_span { $$.v = NULL; $$.n = $$.cap = 0; VEC_PUSH(A, $$, $1); }
	  | date_spans ',' date_span { $$ = $1; VEC_PUSH(A, $$, $3); }
	  ;

/* ---- departments ---- */

department: department_head opt_dept_body { P->dept = NULL; } ;

department_head: KW_DEPARTMENT name opt_label {
	P->dept = NEW(ast_department);
	P->dept->name = $2;
	P->dept->label = $3;
	P->dept->loc = @$;
	VEC_PUSH(A, P->c->unit.departments, P->dept);
};

opt_dept_body: %empty | '{' dept_stmts '}' ;
dept_stmts: %empty | dept_stmts dept_stmt | dept_stmts ';' { yyerrok; } ;
dept_stmt: KW_WINDOW name opt_label {
	ast_window w = {$2, $3};
	if (P->dept) VEC_PUSH(A, P->dept->windows, w);
}
	 | KW_LEVEL name { if (ONCE(P->dept, 1, "level", @$)) P->dept->level = $2; }
	 | error
	 ;

/* ---- materials ---- */

material: material_head opt_mat_body { P->mat = NULL; } ;

material_head: KW_MATERIAL name opt_label {
	P->mat = NEW(ast_material);
	P->mat->name = $2;
	P->mat->label = $3;
	P->mat->loc = @$;
	P->mat->reusable.n = -1;
	VEC_PUSH(A, P->c->unit.materials, P->mat);
};

opt_mat_body: %empty | '{' mat_stmts '}' ;
mat_stmts: %empty | mat_stmts mat_stmt | mat_stmts ';' { yyerrok; } ;
mat_stmt: KW_HOLDER name { if (ONCE(P->mat, 1, "holder", @$)) P->mat->holder = $2; }
	| KW_SOURCE { if (P->mat) P->mat->seen |= 64; } source { if (P->mat) P->mat->source_loc = @$; }
	| KW_ORIGINAL { if (ONCE(P->mat, 4, "original", @$)) P->mat->original = 1; }
	| KW_COPIES number { if (ONCE(P->mat, 8, "copies", @$)) P->mat->copies = $2; }
	| KW_REUSABLE duration { if (ONCE(P->mat, 16, "reusable", @$)) P->mat->reusable = $2; }
	| error
	;

source: KW_APPLICANT { if (ONCE(P->mat, 2, "source", @$)) P->mat->source = mkname($1, @1); }
      | name { if (ONCE(P->mat, 2, "source", @$)) P->mat->source = $1; }
      | name STRING { if (ONCE(P->mat, 2, "source", @$)) { P->mat->source = $1; P->mat->source_text = $2; } }
      | name name { if (ONCE(P->mat, 2, "source", @$)) { P->mat->source = $1; P->mat->source_dept = $2; } }
      ;

/* issues land_cert, business_licence for 5 years,
 *        planning_permit_doc for 1 year unless construction_permit_doc */
issue_list: issue | issue_list ',' issue ;
issue: name {
	ast_issue is = {$1, {NULL, @1}, {0, {NULL, @1}, @1, 0}, {NULL, @1}, {NULL, @1}};
	if (P->item) VEC_PUSH(A, P->item->issues, is);
}
     | name name duration {
	ast_issue is = {$1, $2, $3, {NULL, @3}, {NULL, @3}};
	if (P->item) VEC_PUSH(A, P->item->issues, is);
}
     | name name duration name name {
	ast_issue is = {$1, $2, $3, $4, $5};
	if (P->item) VEC_PUSH(A, P->item->issues, is);
};

/* ---- forms ---- */

form: form_head '{' form_stmts '}' { P->form = NULL; } ;

form_head: KW_FORM name opt_label {
	P->form = NEW(ast_form);
	P->form->name = $2;
	P->form->label = $3;
	P->form->loc = @$;
	VEC_PUSH(A, P->c->unit.forms, P->form);
};

form_stmts: %empty | form_stmts form_stmt | form_stmts ';' { yyerrok; } ;
form_stmt: field_head ':' field_type field_mods
	 | KW_USE name {
	ast_field f;
	memset(&f, 0, sizeof f);
	f.name = $2;
	f.base = $2;
	f.loc = @$;
	if (P->form) VEC_PUSH(A, P->form->fields, f);
}
	 | error
	 ;

field_head: KW_FIELD anyword opt_label {
	ast_field f;
	memset(&f, 0, sizeof f);
	f.name = mkname($2, @2);
	f.label = $3;
	f.loc = @$;
	if (P->form) VEC_PUSH(A, P->form->fields, f);
};

field_type: name {
	if (P->form && P->form->fields.n)
		P->form->fields.v[P->form->fields.n - 1].type = $1;
}
	  | name '[' enum_values ']' {
	if (P->form && P->form->fields.n) {
		ast_field *f = &P->form->fields.v[P->form->fields.n - 1];
		f->type = $1;
		f->enum_values = $3;
		f->has_enum = 1;
	}
};

enum_values: %empty { $$.v = NULL; $$.n = $$.cap = 0; }
	   | names
	   ;

field_mods: %empty
	  | field_mods KW_REQUIRED { if (ONCE(LAST_FIELD, 1, "required", @$)) LAST_FIELD->required = 1; }
	  | field_mods KW_COMPUTED { if (ONCE(LAST_FIELD, 2, "computed", @$)) LAST_FIELD->computed = 1; }
	  | field_mods KW_MIN number { if (ONCE(LAST_FIELD, 4, "min", @$)) LAST_FIELD->min = $3; }
	  | field_mods KW_MAX number { if (ONCE(LAST_FIELD, 8, "max", @$)) LAST_FIELD->max = $3; }
	  ;

/* ---- items ---- */

item: item_head '{' item_stmts '}' { P->item = NULL; } ;

item_head: KW_ITEM name opt_label {
	P->item = NEW(ast_item);
	P->item->name = $2;
	P->item->label = $3;
	P->item->loc = @$;
	for (int i = 0; i < IA__COUNT; i++)
		P->item->attr_loc[i].file = -1;
	VEC_PUSH(A, P->c->unit.items, P->item);
}
	 | KW_ITEM error {
	/* keep the body's statements out of the top level */
	P->item = NEW(ast_item);
	P->item->syntax_errors = 1;
	P->item->loc = @$;
	for (int i = 0; i < IA__COUNT; i++)
		P->item->attr_loc[i].file = -1;
};

item_stmts: %empty | item_stmts item_stmt | item_stmts ';' { yyerrok; } ;

item_stmt: KW_CODE STRING { if (item_attr_once(P, IA_CODE, @$)) P->item->code = $2; }
	 | KW_TYPE name { if (item_attr_once(P, IA_TYPE, @$)) P->item->type = $2; }
	 | KW_DEPARTMENT name { if (item_attr_once(P, IA_DEPARTMENT, @$)) P->item->department = $2; }
	 | KW_TRANSFERRED_FROM name { if (item_attr_once(P, IA_TRANSFERRED_FROM, @$)) P->item->transferred_from = $2; }
	 | KW_WINDOW ref { if (item_attr_once(P, IA_WINDOW, @$)) P->item->window = $2; }
	 | KW_ONLINE name { if (item_attr_once(P, IA_ONLINE, @$)) P->item->online = $2; }
	 | KW_LEGAL_LIMIT duration { if (item_attr_once(P, IA_LEGAL_LIMIT, @$)) P->item->legal = $2; }
	 | KW_PROMISED_LIMIT duration { if (item_attr_once(P, IA_PROMISED_LIMIT, @$)) P->item->promised = $2; }
	 | KW_CALENDAR name { if (item_attr_once(P, IA_CALENDAR, @$)) P->item->calendar = $2; }
	 | KW_FREQUENCY name { if (item_attr_once(P, IA_FREQUENCY, @$)) P->item->frequency = $2; }
	 | KW_APPLICANT name { if (item_attr_once(P, IA_APPLICANT, @$)) P->item->applicant = $2; }
	 | KW_FORM name { if (item_attr_once(P, IA_FORM, @$)) P->item->form = $2; }
	 | KW_DELIVER deliver_names { if (item_attr_once(P, IA_DELIVER, @$)) P->item->deliver = $2; }
	 | KW_NOTE STRING { if (P->item) VEC_PUSH(A, P->item->notes, $2); }
	 | KW_HOOK STRING { if (item_attr_once(P, IA_HOOK, @$)) P->item->hook = $2; }
	 | KW_HOOK STRING name names {
	if (item_attr_once(P, IA_HOOK, @$)) {
		P->item->hook = $2;
		P->item->hook_word = $3;
		P->item->hook_needs = $4;
	}
}
	 | KW_ISSUES issue_list
	 | KW_EXTENSION duration { if (item_attr_once(P, IA_EXTENSION, @$)) P->item->extension = $2; }
	 | KW_ACCEPTANCE duration { if (item_attr_once(P, IA_ACCEPTANCE, @$)) P->item->acceptance = $2; }
	 | KW_ACCEPTANCE duration KW_OTHERWISE name {
	if (item_attr_once(P, IA_ACCEPTANCE, @$)) {
		P->item->acceptance = $2;
		P->item->acceptance_else = $4;
	}
}
	 | KW_IN_FORCE name DATE {
	if (item_attr_once(P, IA_IN_FORCE, @$)) {
		P->item->in_force_word = $2;
		P->item->in_force_day = $3.day;
		P->item->in_force_valid = $3.valid;
	}
}
	 | KW_IN_FORCE name DATE name DATE {
	if (item_attr_once(P, IA_IN_FORCE, @$)) {
		P->item->in_force_word = $2;
		P->item->in_force_day = $3.day;
		P->item->in_force_word2 = $4;
		P->item->in_force_day2 = $5.day;
		P->item->in_force_valid = $3.valid && $5.valid;
	}
}
	 | KW_REPLACES name { if (item_attr_once(P, IA_REPLACES, @$)) P->item->replaces = $2; }
	 | KW_PLEDGE_REPLACES names { if (item_attr_once(P, IA_PLEDGE, @$)) P->item->pledge = $2; }
	 | KW_PLEDGE_REPLACES names KW_WHEN expr {
	if (item_attr_once(P, IA_PLEDGE, @$)) {
		P->item->pledge = $2;
		P->item->pledge_when = $4;
		P->item->pledge_when_loc = @4;
	}
}
	 | KW_PLEDGE_CHECK duration { if (item_attr_once(P, IA_PLEDGE_CHECK, @$)) P->item->pledge_check = $2; }
	 | KW_GUIDE { item_attr_once(P, IA_GUIDE, @1); } '{' guide_stmts close
	 | KW_PROCEDURE name opt_label KW_MAX duration { add_procedure(P, $2, $3, $5, NULL, @$); }
	 | KW_PROCEDURE name opt_label KW_MAX duration KW_IN name { add_procedure(P, $2, $3, $5, &$7, @$); }
	 | KW_MATERIALS { item_attr_once(P, IA_MATERIALS, @1); } '{' req_stmts close
	 | KW_STEPS { item_attr_once(P, IA_STEPS, @1); } '{' step_stmts close
	 | KW_FLOW { item_attr_once(P, IA_FLOW, @1); } '{' flow_stmts close
	 | error { if (P->item) P->item->syntax_errors = 1; }
	 | error '{' skip '}' { yyerrok; if (P->item) P->item->syntax_errors = 1; }
	 ;

deliver_name: name | KW_WINDOW { $$ = mkname($1, @1); } ;
deliver_names: deliver_name { $$.v = NULL; $$.n = $$.cap = 0; VEC_PUSH(A, $$, $1); }
	     | deliver_names ',' deliver_name { $$ = $1; VEC_PUSH(A, $$, $3); }
	     ;

/* In blocks whose statements start with a name, recovery skips to the end
 * of the line (the virtual ';') or of the block, not to the next name, so a
 * broken line does not turn its remaining words into bogus statements. */
close: '}' | error '}' { yyerrok; if (P->item) P->item->syntax_errors = 1; } ;

req_stmts: %empty | req_stmts req_stmt | req_stmts ';' { yyerrok; }
	 | req_stmts error ';' { yyerrok; if (P->item) P->item->syntax_errors = 1; }
	 ;
req_stmt: req_head req_mods ;
req_head: name {
	ast_req r;
	memset(&r, 0, sizeof r);
	r.material = $1;
	r.loc = @1;
	if (P->item) VEC_PUSH(A, P->item->materials, r);
}
	/* id_card or hukou_book: any one of them (一选一), before any `when` */
	| req_head KW_OR name { if (P->item && P->item->materials.n) VEC_PUSH(A, P->item->materials.v[P->item->materials.n - 1].alternatives, $3); }
	;
req_mods: %empty
	| req_mods KW_WHEN expr {
	if (P->item && P->item->materials.n) {
		ast_req *r = &P->item->materials.v[P->item->materials.n - 1];
		if (r->when)
			diag_at(P->c, @2, "E113", "join the conditions with 'and' or 'or'",
				"this material already has a 'when'");
		else {
			r->when = $3;
			r->when_loc = @3;
		}
	}
}
	| req_mods KW_OPTIONAL { if (P->item && P->item->materials.n) P->item->materials.v[P->item->materials.n - 1].optional = 1; }
	| req_mods KW_ORIGINAL { if (P->item && P->item->materials.n) P->item->materials.v[P->item->materials.n - 1].original = 1; }
	| req_mods KW_COPIES number { if (P->item && P->item->materials.n) P->item->materials.v[P->item->materials.n - 1].copies = $3; }
	| req_mods KW_MEDIUM name { if (P->item && P->item->materials.n) P->item->materials.v[P->item->materials.n - 1].medium = $3; }
	| req_mods KW_DEFERRABLE { if (P->item && P->item->materials.n) P->item->materials.v[P->item->materials.n - 1].deferrable = 1; }
	| req_mods KW_DEFERRABLE KW_WITHIN duration {
	if (P->item && P->item->materials.n) {
		P->item->materials.v[P->item->materials.n - 1].deferrable = 1;
		P->item->materials.v[P->item->materials.n - 1].defer_within = $4;
	}
}
	;

step_stmts: %empty | step_stmts step_stmt | step_stmts ';' { yyerrok; }
	  | step_stmts error ';' { yyerrok; if (P->item) P->item->syntax_errors = 1; }
	  ;
step_stmt: step_head step_mods ;
step_head: name opt_label KW_BY ref {
	ast_step s;
	memset(&s, 0, sizeof s);
	s.name = $1;
	s.label = $2;
	s.by = $4;
	s.loc = @$;
	if (P->item) VEC_PUSH(A, P->item->steps, s);
}
	 | name opt_label KW_BY KW_FORM '.' anyword '{' route_pairs '}' {
	ast_step s;
	memset(&s, 0, sizeof s);
	s.name = $1;
	s.label = $2;
	s.route_field = mkname($6, @6);
	s.by.a = s.route_field;
	s.routes.v = P->routes.v;
	s.routes.n = P->routes.n;
	s.routes.cap = P->routes.cap;
	memset(&P->routes, 0, sizeof P->routes);
	s.loc = @$;
	if (P->item) VEC_PUSH(A, P->item->steps, s);
};
/* guide { basis "《中华人民共和国建筑法》" article "第八条"; fee free } */
guide_stmts: %empty | guide_stmts guide_stmt | guide_stmts ';' { yyerrok; }
	   | guide_stmts error ';' { yyerrok; if (P->item) P->item->syntax_errors = 1; }
	   ;
guide_stmt: name guide_texts { add_guide(P, $1, @$); }
	  | name anyword {
	ast_guide_arg a = {$2, 0, @2};
	VEC_PUSH(A, P->guide_args, a);
	add_guide(P, $1, @$);
};
/* the words of a guide line: texts, or one name (`fee free`) */
guide_texts: STRING { ast_guide_arg a = {$1, 1, @1}; VEC_PUSH(A, P->guide_args, a); }
	   | guide_texts STRING { ast_guide_arg a = {$2, 1, @2}; VEC_PUSH(A, P->guide_args, a); }
	   ;

/* shuguang: street_shuguang, youhao: street_youhao */
route_pairs: %empty | route_pairs route_pair | route_pairs ',' | route_pairs ';' ;
route_pair: name ':' name {
	ast_route r = {$1, $3};
	VEC_PUSH(A, P->routes, r);
};
step_mods: %empty
	 | step_mods KW_WITHIN duration { if (P->item && P->item->steps.n) P->item->steps.v[P->item->steps.n - 1].within = $3; }
	 | step_mods KW_PROMISED duration { if (P->item && P->item->steps.n) P->item->steps.v[P->item->steps.n - 1].promised = $3; }
	 | step_mods KW_IN_PERSON { if (P->item && P->item->steps.n) P->item->steps.v[P->item->steps.n - 1].in_person = 1; }
	 ;

flow_stmts: %empty | flow_stmts flow_stmt | flow_stmts ';' { yyerrok; }
	  | flow_stmts error ';' { yyerrok; if (P->item) P->item->syntax_errors = 1; }
	  ;
flow_stmt: names ARROW targets {
	ast_flow f;
	memset(&f, 0, sizeof f);
	f.from = $1; f.to = $3; f.loc = @$; f.guard_loc = @3;
	if (P->item) VEC_PUSH(A, P->item->flow, f);
}
	 | names ARROW targets KW_WHEN expr {
	ast_flow f;
	memset(&f, 0, sizeof f);
	f.from = $1; f.to = $3; f.loc = @$;
	f.guard = GUARD_WHEN; f.when = $5; f.guard_loc = @5;
	if (P->item) VEC_PUSH(A, P->item->flow, f);
}
	 | names ARROW targets KW_ROUTE name {
	ast_flow f;
	memset(&f, 0, sizeof f);
	f.from = $1; f.to = $3; f.loc = @$;
	f.guard = GUARD_ROUTE; f.guard_loc = @5; f.route = $5;
	if (P->item) VEC_PUSH(A, P->item->flow, f);
}
	 | names ARROW targets KW_OTHERWISE {
	ast_flow f;
	memset(&f, 0, sizeof f);
	f.from = $1; f.to = $3; f.loc = @$;
	f.guard = GUARD_OTHERWISE; f.guard_loc = @4;
	if (P->item) VEC_PUSH(A, P->item->flow, f);
}
	 ;

target: name | KW_END { $$.s = NULL; $$.loc = @1; } ;
targets: target { $$.v = NULL; $$.n = $$.cap = 0; VEC_PUSH(A, $$, $1); }
       | targets ',' target { $$ = $1; VEC_PUSH(A, $$, $3); }
       ;

/* ---- chains ---- */

chain: chain_head '{' chain_stmts '}' { P->chain = NULL; } ;

chain_head: KW_CHAIN name opt_label {
	P->chain = NEW(ast_chain);
	P->chain->name = $2;
	P->chain->label = $3;
	P->chain->loc = @$;
	VEC_PUSH(A, P->c->unit.chains, P->chain);
}
	  | KW_CHAIN error { P->chain = NEW(ast_chain); P->chain->loc = @$; }
	  ;

chain_stmts: %empty | chain_stmts chain_stmt | chain_stmts ';' { yyerrok; } ;
chain_stmt: KW_WINDOW ref { if (ONCE(P->chain, 1, "window", @$)) P->chain->window = $2; }
	  | KW_FORM name { if (ONCE(P->chain, 2, "form", @$)) P->chain->form = $2; }
	  | KW_TOTAL_LIMIT duration { if (ONCE(P->chain, 4, "total_limit", @$)) P->chain->total = $2; }
	  | stage_head '{' stage_stmts '}' { P->stage = NULL; }
	  | error
	  | error '{' skip '}' { yyerrok; }
	  ;

stage_head: KW_STAGE name opt_label {
	ast_stage s;
	memset(&s, 0, sizeof s);
	s.name = $2; s.label = $3; s.loc = @$;
	P->stage = NULL;
	if (P->chain) {
		VEC_PUSH(A, P->chain->stages, s);
		P->stage = &P->chain->stages.v[P->chain->stages.n - 1];
	}
}
	  | KW_STAGE name opt_label KW_AFTER names {
	ast_stage s;
	memset(&s, 0, sizeof s);
	s.name = $2; s.label = $3; s.after = $5; s.loc = @$;
	P->stage = NULL;
	if (P->chain) {
		VEC_PUSH(A, P->chain->stages, s);
		P->stage = &P->chain->stages.v[P->chain->stages.n - 1];
	}
};

stage_stmts: %empty | stage_stmts stage_stmt | stage_stmts ';' { yyerrok; } ;
stage_stmt: KW_ITEMS names {
	if (P->stage)
		for (size_t i = 0; i < $2.n; i++) {
			VEC_PUSH(A, P->stage->items, $2.v[i]);
			VEC_PUSH(A, P->stage->when, NULL);
			VEC_PUSH(A, P->stage->when_loc, @$);
		}
}
	  | KW_ITEMS names KW_WHEN expr {
	if (P->stage)
		for (size_t i = 0; i < $2.n; i++) {
			VEC_PUSH(A, P->stage->items, $2.v[i]);
			VEC_PUSH(A, P->stage->when, $4);
			VEC_PUSH(A, P->stage->when_loc, @4);
		}
}
	  | KW_DEPARTMENT name {
	if (P->stage && P->stage->dept.s)
		diag_at(P->c, @$, "E113", "give the stage one lead department", "'department' is given twice");
	else if (P->stage)
		P->stage->dept = $2;
}
	  | KW_WITHIN duration {
	if (P->stage && P->stage->within.set)
		diag_at(P->c, @$, "E113", "give the stage one limit", "'within' is given twice");
	else if (P->stage)
		P->stage->within = $2;
}
	  | name KW_AFTER names {
	if (P->stage) {
		ast_wait w = {$1, $3};
		VEC_PUSH(A, P->stage->waits, w);
	}
}
	  | error
	  ;

/* ---- expressions ---- */

expr: expr KW_OR expr  { $$ = mkbin(P, OPX_OR, $1, $3, @$); }
    | expr KW_AND expr { $$ = mkbin(P, OPX_AND, $1, $3, @$); }
    | KW_NOT expr      { $$ = mkun(P, OPX_NOT, $2, @$); }
    | expr EQ expr     { $$ = mkbin(P, OPX_EQ, $1, $3, @$); }
    | expr NE expr     { $$ = mkbin(P, OPX_NE, $1, $3, @$); }
    | expr '<' expr    { $$ = mkbin(P, OPX_LT, $1, $3, @$); }
    | expr LE expr     { $$ = mkbin(P, OPX_LE, $1, $3, @$); }
    | expr '>' expr    { $$ = mkbin(P, OPX_GT, $1, $3, @$); }
    | expr GE expr     { $$ = mkbin(P, OPX_GE, $1, $3, @$); }
    | expr KW_IN expr  { $$ = mkbin(P, OPX_IN, $1, $3, @$); }
    | expr '+' expr    { $$ = mkbin(P, OPX_ADD, $1, $3, @$); }
    | expr '-' expr    { $$ = mkbin(P, OPX_SUB, $1, $3, @$); }
    | expr '*' expr    { $$ = mkbin(P, OPX_MUL, $1, $3, @$); }
    | expr '/' expr    { $$ = mkbin(P, OPX_DIV, $1, $3, @$); }
    | '-' expr %prec UMINUS { $$ = mkun(P, OPX_NEG, $2, @$); }
    | primary
    ;

primary: INT       { $$ = mkexpr(P, EX_INT, @$); $$->u.num.units = $1; }
       | DECIMAL   { $$ = mkexpr(P, EX_DEC, @$); $$->u.num = $1; }
       | STRING    { $$ = mkexpr(P, EX_STR, @$); $$->u.str = $1; }
       | DATE      { $$ = mkexpr(P, EX_DATE, @$); $$->u.date = $1.day; }
       | KW_TRUE   { $$ = mkexpr(P, EX_BOOL, @$); $$->u.b = 1; }
       | KW_FALSE  { $$ = mkexpr(P, EX_BOOL, @$); $$->u.b = 0; }
       | IDENT     { $$ = mkexpr(P, EX_PATH, @$); VEC_PUSH(A, $$->u.path, mkname($1, @1)); }
       | KW_FORM   { $$ = mkexpr(P, EX_PATH, @$); VEC_PUSH(A, $$->u.path, mkname($1, @1)); }
       | KW_APPLICANT { $$ = mkexpr(P, EX_PATH, @$); VEC_PUSH(A, $$->u.path, mkname($1, @1)); }
       | primary '.' anyword {
	if ($1->kind != EX_PATH) {
		diag_at(P->c, @2, "E010", "only form.FIELD, applicant.kind and lua.NAME have a '.'",
			"a '.' cannot follow this value");
		$$ = $1;
	} else {
		$$ = $1;
		$$->loc = @$;
		VEC_PUSH(A, $$->u.path, mkname($3, @3));
	}
}
       | primary '(' opt_exprs ')' {
	$$ = mkexpr(P, EX_CALL, @$);
	if ($1->kind == EX_PATH)
		$$->u.path = $1->u.path;
	else
		diag_at(P->c, @2, "E010", "call a function by its name, like len(form.name)",
			"this value cannot be called");
	$$->args = $3;
}
       | '(' expr ')' { $$ = $2; }
       | '[' opt_exprs ']' { $$ = mkexpr(P, EX_LIST, @$); $$->args = $2; }
       ;

opt_exprs: %empty { $$.v = NULL; $$.n = $$.cap = 0; } | exprs ;
exprs: expr { $$.v = NULL; $$.n = $$.cap = 0; VEC_PUSH(A, $$, $1); }
     | exprs ',' expr { $$ = $1; VEC_PUSH(A, $$, $3); }
     ;

anyword: IDENT | keyword ;

keyword: KW_USE | KW_CALENDAR | KW_WEEKEND | KW_HOLIDAY | KW_WORKDAY
    | KW_DEPARTMENT | KW_WINDOW | KW_LEVEL | KW_MATERIAL | KW_HOLDER
    | KW_SOURCE | KW_ORIGINAL | KW_COPIES | KW_REUSABLE | KW_FORM | KW_FIELD
    | KW_REQUIRED | KW_MIN | KW_MAX | KW_COMPUTED | KW_ITEM | KW_CODE
    | KW_TYPE | KW_TRANSFERRED_FROM | KW_ONLINE | KW_LEGAL_LIMIT
    | KW_PROMISED_LIMIT | KW_FREQUENCY | KW_APPLICANT | KW_DELIVER
    | KW_MATERIALS | KW_OPTIONAL | KW_DEFERRABLE | KW_STEPS | KW_BY
    | KW_WITHIN | KW_IN_PERSON | KW_FLOW | KW_WHEN | KW_OTHERWISE | KW_END
    | KW_HOOK | KW_NOTE | KW_CHAIN | KW_TOTAL_LIMIT | KW_STAGE | KW_AFTER
    | KW_ITEMS | KW_AND | KW_OR | KW_NOT | KW_IN | KW_TRUE | KW_FALSE
    | KW_TIMEZONE | KW_SCENARIO | KW_RULES | KW_NOW | KW_SUBMIT | KW_VIA
    | KW_PROVIDE | KW_EXPECT | KW_ACT | KW_AT | KW_SUPPLEMENT | KW_SUSPEND
    | KW_RESUME | KW_WITHDRAW | KW_ROUTE | KW_HOOK_LIMITS | KW_PROVIDER
    | KW_ISSUES | KW_PROCEDURE | KW_EXTENSION | KW_ACCEPTANCE | KW_PROMISED
    | KW_ACCEPT | KW_REFUSE | KW_EXTEND | KW_IN_FORCE | KW_REPLACES
    | KW_PLEDGE_REPLACES | KW_PLEDGE_CHECK | KW_SWEEP | KW_GUIDE | KW_MEDIUM
    ;

/* ---- scenario files ---- */

scenarios: %empty | scenarios scenario | scenarios ';' { yyerrok; }
	 | scenarios error
	 | scenarios error '{' skip '}' { yyerrok; }
	 ;

scenario: scenario_head '{' scn_stmts close_scn { P->cur_scn = NULL; } ;

close_scn: '}' | error '}' { yyerrok; } ;

scenario_head: KW_SCENARIO STRING {
	scn_scenario s;
	memset(&s, 0, sizeof s);
	s.name = $2;
	s.loc = @$;
	VEC_PUSH(A, P->scn->scenarios, s);
	P->cur_scn = &P->scn->scenarios.v[P->scn->scenarios.n - 1];
};

scn_stmts: %empty | scn_stmts scn_stmt | scn_stmts ';' { yyerrok; }
	 | scn_stmts error ';' { yyerrok; }
	 ;

scn_stmt: KW_RULES STRING { scn_stmt *s = new_stmt(P, SS_RULES, @$); if (s) s->text = $2; }
	| KW_NOW DATETIME {
	scn_stmt *s = new_stmt(P, SS_NOW, @$);
	if (s) { s->at.kind = SV_TIME; s->at.text = $2; s->at.loc = @2; }
}
	| KW_SUBMIT name KW_VIA name { scn_stmt *s = new_stmt(P, SS_SUBMIT, @1); if (s) { s->a = $2; s->b = $4; } }
	  '{' app_stmts '}'
	| KW_SUPPLEMENT { new_stmt(P, SS_SUPPLEMENT, @1); } '{' app_stmts '}' opt_via opt_at {
	scn_stmt *s = last_stmt(P);
	if (s) s->at = $7;
}
	| KW_ACT name name opt_reason KW_BY ref opt_at {
	scn_stmt *s = new_stmt(P, SS_ACT, @$);
	if (s) { s->a = $2; s->b = $3; s->by = $6; s->at = $7; s->text = P->reason; }
}
	| KW_ACT name '.' name name opt_reason KW_BY ref opt_at {
	scn_stmt *s = new_stmt(P, SS_ACT, @$);
	if (s) { s->item = $2; s->a = $4; s->b = $5; s->by = $8; s->at = $9; s->text = P->reason; }
}
	| KW_SUSPEND STRING opt_at { scn_stmt *s = new_stmt(P, SS_SUSPEND, @$); if (s) { s->text = $2; s->at = $3; } }
	| KW_RESUME opt_at { scn_stmt *s = new_stmt(P, SS_RESUME, @$); if (s) s->at = $2; }
	| KW_DELIVER name opt_at { scn_stmt *s = new_stmt(P, SS_DELIVER, @$); if (s) { s->a = $2; s->at = $3; } }
	| KW_DELIVER name name opt_at { scn_stmt *s = new_stmt(P, SS_DELIVER, @$); if (s) { s->item = $2; s->a = $3; s->at = $4; } }
	| KW_WITHDRAW opt_at { scn_stmt *s = new_stmt(P, SS_WITHDRAW, @$); if (s) s->at = $2; }
	| KW_ACCEPT KW_BY ref opt_at { scn_stmt *s = new_stmt(P, SS_ACCEPT, @$); if (s) { s->by = $3; s->at = $4; } }
	| KW_REFUSE STRING STRING KW_BY ref opt_at {
	scn_stmt *s = new_stmt(P, SS_REFUSE, @$);
	if (s) { s->text = $2; s->text2 = $3; s->by = $5; s->at = $6; }
}
	| KW_EXTEND duration STRING KW_BY STRING opt_at {
	scn_stmt *s = new_stmt(P, SS_EXTEND, @$);
	if (s) { s->dur = $2; s->text = $3; s->text2 = $5; s->at = $6; }
}
	| KW_PLEDGE_CHECK name opt_reason KW_BY ref opt_at {
	scn_stmt *s = new_stmt(P, SS_PLEDGE_CHECK, @$);
	if (s) { s->a = $2; s->text = P->reason; s->by = $5; s->at = $6; }
}
	| KW_PROCEDURE name name opt_at {
	scn_stmt *s = new_stmt(P, SS_PROCEDURE, @$);
	if (s) { s->a = $2; s->b = $3; s->at = $4; }
}
	| KW_SWEEP opt_at { scn_stmt *s = new_stmt(P, SS_SWEEP, @$); if (s) s->at = $2; }
	| KW_EXPECT name { scn_stmt *s = new_stmt(P, SS_EXPECT, @1); if (s) s->a = $2; } expect_args
	| KW_EXPECT KW_NOT name { scn_stmt *s = new_stmt(P, SS_EXPECT, @1); if (s) { s->a = $3; s->negate = 1; } } expect_args
	;

opt_at: %empty { memset(&$$, 0, sizeof $$); }
      | KW_AT DATETIME { memset(&$$, 0, sizeof $$); $$.kind = SV_TIME; $$.text = $2; $$.loc = @2; }
      ;

opt_via: %empty | KW_VIA name { scn_stmt *s = last_stmt(P); if (s) s->b = $2; } ;

opt_reason: %empty { P->reason = NULL; } | STRING { P->reason = $1; } ;

app_stmts: %empty | app_stmts app_stmt | app_stmts ';' { yyerrok; } ;

app_stmt: KW_APPLICANT name STRING opt_label {
	scn_stmt *s = last_stmt(P);
	if (s) { s->applicant_kind = $2; s->applicant_id = $3; s->applicant_name = $4; }
}
	| KW_FORM '{' { scn_stmt *s = last_stmt(P); if (s) s->has_form = 1; } field_values '}'
	| KW_PROVIDE names {
	scn_stmt *s = last_stmt(P);
	if (s) for (size_t i = 0; i < $2.n; i++) VEC_PUSH(A, s->provide, $2.v[i]);
}
	| error
	;

field_values: %empty | field_values field_value | field_values ',' | field_values ';' ;

field_value: anyword ':' scn_value {
	scn_stmt *s = last_stmt(P);
	scn_field f = {mkname($1, @1), $3};
	if (s) VEC_PUSH(A, s->form, f);
}
	   | anyword ':' '[' { P->rows = NEW(scn_rows); memset(P->rows, 0, sizeof *P->rows); } rows ']' {
	scn_stmt *s = last_stmt(P);
	scn_field f;
	memset(&f, 0, sizeof f);
	f.name = mkname($1, @1);
	f.v.kind = SV_ROWS;
	f.v.rows = P->rows;
	f.v.loc = @3;
	P->rows = NULL;
	if (s) VEC_PUSH(A, s->form, f);
};

/* members: [{ name: "x", relation: spouse }, { ... }] */
rows: %empty | rows ',' | rows ';'
    | rows '{' { scn_row r; memset(&r, 0, sizeof r); if (P->rows) VEC_PUSH(A, P->rows->v, r); } row_fields '}'
    ;
row_fields: %empty | row_fields row_field | row_fields ',' | row_fields ';' ;
row_field: anyword ':' scn_value {
	scn_field f = {mkname($1, @1), $3};
	if (P->rows && P->rows->v.n) VEC_PUSH(A, P->rows->v.v[P->rows->v.n - 1].fields, f);
};

scn_value: STRING { memset(&$$, 0, sizeof $$); $$.kind = SV_TEXT; $$.text = $1; $$.loc = @$; }
	 | number { memset(&$$, 0, sizeof $$); $$.kind = SV_NUM; $$.num = $1.v; $$.loc = @$; }
	 | KW_TRUE { memset(&$$, 0, sizeof $$); $$.kind = SV_BOOL; $$.b = 1; $$.loc = @$; }
	 | KW_FALSE { memset(&$$, 0, sizeof $$); $$.kind = SV_BOOL; $$.loc = @$; }
	 | IDENT { memset(&$$, 0, sizeof $$); $$.kind = SV_NAME; $$.text = $1; $$.loc = @$; }
	 | DATE {
	memset(&$$, 0, sizeof $$);
	$$.kind = SV_DATE;
	$$.text = arena_strndup(A, (const char *)P->src + @$.off, (size_t)(@$.end_off - @$.off));
	$$.loc = @$;
}
	 | DATETIME { memset(&$$, 0, sizeof $$); $$.kind = SV_TIME; $$.text = $1; $$.loc = @$; }
	 ;

expect_args: %empty
	   | expect_args scn_value { scn_stmt *s = last_stmt(P); if (s) VEC_PUSH(A, s->args, $2); }
	   | expect_args ','
	   ;

%%

static ast_name mkname(const char *s, dsl_loc l)
{
	ast_name n = {s, l};
	return n;
}

static ast_expr *mkexpr(dsl_pctx *P, ast_expr_kind k, dsl_loc l)
{
	ast_expr *e = NEW(ast_expr);
	e->kind = k;
	e->loc = l;
	return e;
}

static ast_expr *mkbin(dsl_pctx *P, ast_op op, ast_expr *a, ast_expr *b,
		       dsl_loc l)
{
	ast_expr *e = mkexpr(P, EX_BINARY, l);
	e->op = op;
	e->u.bin.l = a;
	e->u.bin.r = b;
	return e;
}

static ast_expr *mkun(dsl_pctx *P, ast_op op, ast_expr *a, dsl_loc l)
{
	ast_expr *e = mkexpr(P, EX_UNARY, l);
	e->op = op;
	e->u.un = a;
	return e;
}

static scn_stmt *new_stmt(dsl_pctx *P, scn_kind kind, dsl_loc l)
{
	if (!P->cur_scn)
		return NULL;
	scn_stmt s;
	memset(&s, 0, sizeof s);
	s.kind = kind;
	s.loc = l;
	VEC_PUSH(A, P->cur_scn->stmts, s);
	return &P->cur_scn->stmts.v[P->cur_scn->stmts.n - 1];
}

static scn_stmt *last_stmt(dsl_pctx *P)
{
	return P->cur_scn && P->cur_scn->stmts.n
		       ? &P->cur_scn->stmts.v[P->cur_scn->stmts.n - 1] : NULL;
}

static const char *const item_attr_names[IA__COUNT] = {
	"code", "type", "department", "transferred_from", "window", "online",
	"legal_limit", "promised_limit", "calendar", "frequency", "applicant",
	"form", "deliver", "hook", "materials", "steps", "flow", "extension_limit",
	"acceptance_limit", "in_force", "replaces", "pledge_replaces", "pledge_check",
	"guide",
};

static void add_procedure(dsl_pctx *P, ast_name name, const char *label, ast_dur max,
			  const ast_name *step, dsl_loc l)
{
	ast_procedure pr;
	memset(&pr, 0, sizeof pr);
	pr.name = name;
	pr.label = label;
	pr.max = max;
	if (step)
		pr.step = *step;
	pr.loc = l;
	if (P->item)
		VEC_PUSH(A, P->item->procedures, pr);
}

static void add_guide(dsl_pctx *P, ast_name key, dsl_loc l)
{
	ast_guide g;
	memset(&g, 0, sizeof g);
	g.key = key;
	g.args.v = P->guide_args.v;
	g.args.n = P->guide_args.n;
	g.args.cap = P->guide_args.cap;
	memset(&P->guide_args, 0, sizeof P->guide_args);
	g.loc = l;
	if (P->item)
		VEC_PUSH(A, P->item->guide, g);
}

static int item_attr_once(dsl_pctx *P, item_attr a, dsl_loc l)
{
	if (!P->item)
		return 0;
	if (P->item->attr_loc[a].file >= 0) {
		/* keep the first; the checker then sees a consistent item */
		diag_at(P->c, l, "E113", "remove one of them",
			"'%s' is given twice in this item (first at line %d)",
			item_attr_names[a], P->item->attr_loc[a].first_line);
		return 0;
	}
	P->item->attr_loc[a] = l;
	return 1;
}

/* A setting given twice in one declaration: keep the first, report the
 * second, as for items. */
static int once(dsl_pctx *P, unsigned *seen, unsigned bit, dsl_loc l, const char *what)
{
	if (*seen & bit) {
		diag_at(P->c, l, "E113", "remove one of them", "'%s' is given twice", what);
		return 0;
	}
	*seen |= bit;
	return 1;
}

static void dsl_yyerror(DSL_YYLTYPE *l, dsl_pctx *P, const char *msg)
{
	/* Only reached for stack exhaustion: syntax errors are reported by
	 * yyreport_syntax_error. */
	P->syntax_errors++;
	if (P->item)
		P->item->syntax_errors = 1; /* reading stops here: no more checks */
	if (strstr(msg, "exhausted"))
		diag_at(P->c, *l, "E011",
			"split the condition into simpler parts; the rest of the file is not read",
			"this is nested too deeply for the rule reader");
	else
		diag_at(P->c, *l, "E010", NULL, "%s", msg);
}

/* ---- syntax error messages in plain words ---- */

static const char *sym_words(yysymbol_kind_t k)
{
	switch (k) {
	case YYSYMBOL_YYEOF: return "the end of the file";
	case YYSYMBOL_IDENT: return "a name";
	case YYSYMBOL_STRING: return "a text in double quotes";
	case YYSYMBOL_INT: return "a whole number";
	case YYSYMBOL_DECIMAL: return "a decimal number";
	case YYSYMBOL_DATE: return "a date (YYYY-MM-DD)";
	default: return NULL;
	}
}

typedef struct sbuf {
	char p[1024];
	size_t len;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->len >= sizeof b->p - 1)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, sizeof b->p - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n < sizeof b->p - b->len ? (size_t)n : sizeof b->p - b->len - 1;
}

static int is_keyword_sym(yysymbol_kind_t k)
{
	return k >= YYSYMBOL_KW_USE && k <= YYSYMBOL_KW_ISSUES;
}

/* A token kind as the user would say it: 'code', a name, the end of the file. */
static void put_sym(sbuf *b, yysymbol_kind_t k)
{
	const char *w = sym_words(k);
	if (w) {
		sb_printf(b, "%s", w);
		return;
	}
	const char *n = yysymbol_name(k);
	sb_printf(b, n[0] == '\'' ? "%s" : "'%s'", n);
}

static void describe_lookahead(dsl_pctx *P, sbuf *b, yysymbol_kind_t k)
{
	int n = (int)(P->cur - P->tok);
	if (n > 40)
		n = 40;
	switch (k) {
	case YYSYMBOL_IDENT: sb_printf(b, "name '%.*s'", n, (const char *)P->tok); break;
	case YYSYMBOL_STRING: sb_printf(b, "text %.*s", n, (const char *)P->tok); break;
	case YYSYMBOL_INT: case YYSYMBOL_DECIMAL: case YYSYMBOL_DATE:
		sb_printf(b, "%s %.*s", sym_words(k) + 2, n, (const char *)P->tok);
		break;
	default: put_sym(b, k);
	}
}

/* The expected keyword closest to the misspelt name at the lookahead. */
static const char *closest_keyword(dsl_pctx *P, const yysymbol_kind_t *exp, int n)
{
	char word[64];
	int wl = (int)(P->cur - P->tok);
	snprintf(word, sizeof word, "%.*s", wl < 63 ? wl : 63, (const char *)P->tok);
	const char *best = NULL;
	int bestd = 3;
	for (int i = 0; i < n; i++) {
		if (!is_keyword_sym(exp[i]))
			continue;
		const char *k = dsl_keyword_text(exp[i] - YYSYMBOL_KW_USE + KW_USE);
		int d = edit_distance(word, k, 2);
		if (d < bestd && d <= (int)strlen(k) / 3 + 1) {
			bestd = d;
			best = k;
		}
	}
	return best;
}

/* After the number of a duration only its unit may come: `legal_limit 15`
 * is told at the 15, not at whatever the next line begins with. */
static int is_unit_state(const yysymbol_kind_t *exp, int n)
{
	return n == 2 && ((exp[0] == YYSYMBOL_IDENT && exp[1] == YYSYMBOL_KW_WORKDAY) ||
			  (exp[1] == YYSYMBOL_IDENT && exp[0] == YYSYMBOL_KW_WORKDAY));
}

static void unit_missing(dsl_pctx *P)
{
	dsl_loc at = P->prev_loc;
	const dsl_file *f = &P->c->files.v[P->file];
	int len = (int)(at.end_off - at.off);
	const char *num = f->text + at.off;
	if (len < 1 || len > 20)
		len = 1, num = "N";
	diag_at(P->c, at, "E010",
		arena_printf(&P->c->ast, "write it with its unit, such as %.*s workdays; the units are %s",
			     len, num, model_units_text),
		"the number %.*s needs its unit after it", len, num);
}

static int yyreport_syntax_error(const yypcontext_t *ctx, dsl_pctx *P)
{
	yysymbol_kind_t expected[YYNTOKENS];
	int n = yypcontext_expected_tokens(ctx, expected, YYNTOKENS);
	if (n < 0)
		return n;
	yysymbol_kind_t look = yypcontext_token(ctx);
	sbuf msg = {.len = 0}, hint = {.len = 0};
	int want_name = 0;
	P->syntax_errors++;
	P->resync_line = yypcontext_location(ctx)->first_line;
	for (int i = 0; i < n; i++)
		want_name |= expected[i] == YYSYMBOL_IDENT;

	if (is_unit_state(expected, n)) {
		unit_missing(P);
		return 0;
	}
	if (look == YYSYMBOL_YYEOF)
		sb_printf(&msg, "the file ends too early");
	else {
		sb_printf(&msg, "unexpected ");
		describe_lookahead(P, &msg, look);
	}
	if (look == YYSYMBOL_IDENT) {
		const char *best = closest_keyword(P, expected, n);
		if (best)
			sb_printf(&msg, " — did you mean '%s'?", best);
	} else if (is_keyword_sym(look) && want_name) {
		sb_printf(&hint, "'%s' is a reserved word and cannot be a name here; choose another name",
			  dsl_keyword_text(P->last_kind));
	} else if (look == YYSYMBOL_ASSIGN) {
		int arrow = 0;
		for (int i = 0; i < n; i++)
			arrow |= expected[i] == YYSYMBOL_ARROW;
		sb_printf(&hint, arrow ? "an arrow is written '->'"
				       : "write '==' to compare two values");
	}
	if (look == YYSYMBOL_YYEOF && P->nopen > 0 && P->nopen <= DSL_MAX_OPEN) {
		/* the unclosed bracket says more than what may follow */
		dsl_loc o = P->open[P->nopen - 1];
		sb_printf(&hint, "the '%c' at line %d, column %d is never closed",
			  P->open_ch[P->nopen - 1], o.first_line, o.first_column);
	}
	if (!hint.len && n > 0) {
		sb_printf(&hint, n == 1 ? "expected " : "expected one of: ");
		int shown = n > 24 ? 20 : n;
		for (int i = 0; i < shown; i++) {
			if (i)
				sb_printf(&hint, i == n - 1 ? " or " : ", ");
			put_sym(&hint, expected[i]);
		}
		if (shown < n)
			sb_printf(&hint, " and %d more", n - shown);
	}
	/* A full-width '，' already reported and read as ',' needs no second
	 * message if ',' does not fit either. */
	const ot_diags *d = P->c->diags;
	const dsl_loc *at = yypcontext_location(ctx);
	if (d->v.n && strcmp(d->v.v[d->v.n - 1].code, "E008") == 0 &&
	    d->file.v[d->v.n - 1] == at->file &&
	    d->v.v[d->v.n - 1].line == at->first_line &&
	    d->v.v[d->v.n - 1].col == at->first_column)
		return 0;
	diag_at(P->c, *at, "E010", hint.len ? hint.p : NULL, "%s", msg.p);
	return 0;
}

static ast_uses parse(dsl_ctx *c, int file, struct scn_file *scn);

ast_uses dsl_parse_file(dsl_ctx *c, int file)
{
	return parse(c, file, NULL);
}

void dsl_parse_scenarios(dsl_ctx *c, int file, struct scn_file *into)
{
	parse(c, file, into);
}

static ast_uses parse(dsl_ctx *c, int file, struct scn_file *scn)
{
	dsl_pctx P;
	const dsl_file *f = &c->files.v[file];
	memset(&P, 0, sizeof P);
	P.c = c;
	P.file = file;
	P.src = P.cur = P.line_start = P.col_ptr = (const unsigned char *)f->text;
	P.lim = P.src + f->len;
	P.line = 1;
	P.col_val = 1;
	P.scenario = scn != NULL;
	P.scn = scn;
	SHA256Update(&c->sha, (const unsigned char *)"\0file", 5);
	dsl_yyparse(&P);
	return P.uses;
}
