/*
 * scenario.h -- scenario files: what testers write to say "an application
 * like this must need these materials, go through these steps and be due
 * on this date".  Parsed by the rule-language parser in its scenario mode
 * (same lexer, same diagnostics); run by tools/test.c.
 *
 * Ownership: a scn_file owns one arena holding itself and everything
 * reachable from it; scn_free releases it.
 */
#ifndef DSL_SCENARIO_H
#define DSL_SCENARIO_H

#include "ast.h"

typedef enum scn_kind {
	SS_RULES, SS_NOW, SS_SUBMIT, SS_SUPPLEMENT, SS_ACT, SS_SUSPEND, SS_RESUME,
	SS_DELIVER, SS_WITHDRAW, SS_EXPECT,
	SS_ACCEPT, SS_REFUSE, SS_EXTEND, SS_PROCEDURE, SS_PLEDGE_CHECK,
	SS_SWEEP /* the time sweep (电子监察 预警) at the scenario's time */
} scn_kind;

typedef enum scn_vkind { SV_TEXT, SV_NUM, SV_BOOL, SV_NAME, SV_DATE, SV_TIME,
			 SV_ROWS } scn_vkind;

struct scn_rows;

typedef struct scn_value {
	scn_vkind kind;
	const char *text; /* SV_TEXT, SV_NAME; SV_DATE, SV_TIME as written */
	ot_dec num;
	int b;
	struct scn_rows *rows; /* SV_ROWS: `[{ name: "x" }, { ... }]`, a group */
	dsl_loc loc;
} scn_value;

typedef struct scn_field {
	ast_name name;
	scn_value v;
} scn_field;

/* The rows of a group field (家庭成员): each row its fields. */
typedef struct scn_row {
	VEC(scn_field) fields;
} scn_row;

typedef struct scn_rows {
	VEC(scn_row) v;
} scn_rows;

typedef struct scn_stmt {
	scn_kind kind;
	dsl_loc loc;
	ast_name a, b;     /* submit: item, channel; act: step, action;
			      procedure: its name, start | end;
			      deliver: method; supplement: channel;
			      expect: what is expected */
	ast_ref by;        /* act: department[.window] */
	ast_name item;     /* act ITEM.STEP, deliver ITEM METHOD: an item case of
			      the chain case being run; s NULL otherwise */
	const char *text;  /* rules: path; act, suspend, extend: the reason;
			      refuse: the reasons */
	const char *text2; /* refuse: the remedy (复议, 诉讼); extend: the approver */
	ast_dur dur;       /* extend: by how much */
	scn_value at;      /* `at` or `now`: text NULL when not given */
	/* submit, supplement */
	ast_name applicant_kind;
	const char *applicant_id, *applicant_name;
	VEC(scn_field) form;
	int has_form;
	ast_names provide;
	/* expect */
	int negate;
	VEC(scn_value) args;
} scn_stmt;

typedef struct scn_scenario {
	const char *name;
	dsl_loc loc;
	VEC(scn_stmt) stmts;
} scn_scenario;

typedef struct scn_file {
	arena mem;
	const char *path; /* as given */
	const char *text; /* the file's text, for quoting failing statements */
	VEC(scn_scenario) scenarios;
} scn_file;

/* The expectations a scenario can state, and how many values each takes
 * (-1: any number, at least one). */
typedef struct scn_expectation {
	const char *name;
	int min, max;   /* values after the name */
	int negatable;  /* `expect not NAME` */
} scn_expectation;

extern const scn_expectation scn_expectations[];
extern const size_t scn_n_expectations;

/* Parses the scenario file at `path`.  OT_OK: *out holds the scenarios;
 * otherwise *out is NULL.  *diags receives the diagnostics either way
 * (OT_EIO: the file cannot be read). */
ot_status scn_load(const char *path, scn_file **out, ot_diags **diags);
/* The same for a file's text in memory (len bytes, NULs and all); `path`
 * names it, and the paths of its `rules` statements are relative to it. */
ot_status scn_load_text(const char *path, const char *text, size_t len, scn_file **out,
			ot_diags **diags);
void scn_free(scn_file *f);

/* Runs each scenario of f in turn, on this thread, and returns how many
 * failed (tools/test.c; for the fuzzer, which has no use for reports). */
int scn_run_all(const scn_file *f);

#endif
