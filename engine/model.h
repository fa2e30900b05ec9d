/*
 * model.h -- the compiled rule base: what the checker produces and the
 * engine runs.
 *
 * The model is immutable once built.  Every name is resolved: departments,
 * windows, materials, forms, fields, items, steps, stages and calendars are
 * small integers indexing the arrays below, and `when` conditions are
 * compiled to bytecode (m_op) whose operands are field indices and constant
 * slots, so evaluating a condition touches no string.
 *
 * Ownership: struct ot_rules owns one arena holding itself and every array
 * and string reachable from it; ot_rules_free() releases it in one go.
 *
 * Index lists (a rule's sources, a stage's items ...) are runs in the shared
 * `ints` pool, given as (first, count) pairs, to keep the structs flat.
 */
#ifndef OT_MODEL_H
#define OT_MODEL_H

#include <stdatomic.h>
#include <stdint.h>

#include "base.h"

/* Bytes of a shared material's reference (a licence's or a record's
 * number), its NUL included: an import refuses a longer number, and a
 * provider's is cut on a character. */
#define REF_CAP 256

/* An exact decimal: units * 10^-scale.  Areas, heights and money never go
 * through binary floating point. */
typedef struct ot_dec {
	int64_t units;
	int scale; /* 0..18 */
} ot_dec;

#define OT_DEC_MAX_SCALE 18

typedef struct m_span {
	uint32_t first, count;
} m_span;

typedef enum m_unit {
	UNIT_WORKDAY, UNIT_DAY, UNIT_HOUR, UNIT_MONTH, UNIT_YEAR
} m_unit;
extern const char *const model_unit_names[5]; /* "workdays" ... */
extern const char *const model_unit_words[5]; /* "workday" ... */
extern const char model_units_text[]; /* the units, as a hint lists them */
extern const char *const model_weekday_names[7]; /* "mon" ... "sun" */

typedef struct m_dur {
	int32_t n;    /* -1: not given */
	m_unit unit;
} m_dur;

/* ---- calendars ---- */

typedef struct m_holiday {
	int32_t first, last; /* days since 1970-01-01, inclusive */
	const char *label;
	uint8_t workday;     /* 1: a make-up working day range */
} m_holiday;

typedef struct m_calendar {
	const char *name, *label;
	uint8_t weekend;     /* bit d set: weekday d (0 = Monday) is off */
	int32_t first;       /* first day covered by `off`: Jan 1 of the first year */
	int32_t ndays;       /* days covered, whole years */
	uint8_t *off;        /* per day: 1 = not a working day */
	int32_t *before;     /* per day: working days in [first, first + i) */
	m_span holidays;     /* into holidays[] */
	int first_year, last_year;
} m_calendar;

/* ---- organisation ---- */

typedef enum m_level {
	LEVEL_NATIONAL = 1, LEVEL_PROVINCE, LEVEL_CITY, LEVEL_DISTRICT,
	LEVEL_STREET, LEVEL_COMMUNITY
} m_level;
extern const char *const model_level_names[7]; /* "" for 0 */

typedef struct m_department {
	const char *name, *label;
	m_level level;
	m_span windows;
} m_department;

typedef struct m_window {
	const char *name, *label;
	int dept;
} m_window;

/* ---- materials and forms ---- */

typedef enum m_holder { HOLDER_ANY, HOLDER_PERSON, HOLDER_COMPANY } m_holder;
extern const char *const model_holder_names[3];
extern const char *const model_online_names[3]; /* by m_online */
typedef enum m_source { SRC_APPLICANT, SRC_SHARED, SRC_ISSUED } m_source;
extern const char *const model_source_names[3];

/* How a case has a material (per material of the rule base). */
enum { HAVE_NONE, HAVE_PROVIDED, HAVE_SHARED, HAVE_REUSED };
extern const char *const model_have_names[4]; /* NULL for HAVE_NONE */

typedef struct m_material {
	const char *name, *label;
	int provider;            /* shared: providers[] index; -1: none declared */
	m_holder holder;
	m_source source;
	const char *source_name; /* shared: the data source; NULL otherwise */
	int issuer;              /* issued_by: department; -1 otherwise */
	uint8_t original;
	uint8_t issued;          /* some item `issues` it: looked up in the licence
				    library before it is asked for */
	int kept_by;             /* `issues … for 1 year unless K`: K (materials[]
				    index), whose approval on a case that used a
				    licence of this one keeps that licence valid
				    until revoked (licences.c); -1: none */
	int32_t copies;          /* 0 when not given */
	m_dur reusable;          /* n == -1: not reusable */
} m_material;

typedef enum m_ftype {
	FT_TEXT, FT_INTEGER, FT_DECIMAL, FT_BOOL, FT_DATE, FT_ENUM,
	FT_ID_NUMBER, FT_CREDIT_CODE,
	FT_GROUP      /* repeating rows (家庭成员), each a form of its own; in a
			 condition, the number of rows */
} m_ftype;

typedef struct m_field {
	const char *name, *label;
	m_ftype type;
	uint8_t required, computed, has_min, has_max;
	ot_dec min, max;
	m_span values; /* FT_ENUM: names in strs[] */
	int group;     /* FT_GROUP: the form each row is; -1 otherwise */
} m_field;

typedef struct m_form {
	const char *name, *label;
	m_span fields;
} m_form;

/* ---- expressions ---- */

typedef enum m_opcode {
	OP_FIELD,     /* push form field a */
	OP_CONST,     /* push consts[a] */
	OP_APPLICANT, /* push the applicant kind (enum: person, company) */
	OP_NOT, OP_NEG,
	OP_JFALSE,    /* and: if top is not true, leave false and jump a */
	OP_JTRUE,     /* or: if top is true, leave true and jump a */
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
	OP_IN,        /* a = list length; the list items are on the stack */
	OP_ADD, OP_SUB, OP_MUL, OP_DIV,
	OP_LEN,
	OP_LUA,       /* call hook function strs[a] with b arguments */
	OP_PROVIDED   /* push whether material a was handed in (provided(M)) */
} m_opcode;

typedef struct m_op {
	uint8_t op;
	uint8_t b;
	int32_t a;
} m_op;

typedef enum m_vtype {
	VT_BOOL, VT_NUM, VT_TEXT, VT_DATE, VT_ENUM, VT_ANY
} m_vtype;

typedef struct m_const {
	m_vtype type;
	int field;         /* VT_ENUM: the field whose value this is; -2 applicant */
	union {
		int b;
		ot_dec num;
		const char *text;
		int32_t date;
		int32_t enum_index;
	} u;
} m_const;

typedef struct m_expr {
	m_span code;      /* into ops[] */
	int depth;        /* stack slots evaluation needs */
	const char *text; /* the condition as written, for notices */
} m_expr;

/* ---- items ---- */

typedef struct m_req {
	int material;
	int cond;         /* exprs[] index; -1: unconditional */
	uint8_t optional, deferrable;
	uint8_t defer_unit;   /* UNIT_WORKDAY or UNIT_DAY */
	int32_t defer_within; /* `deferrable within N workdays`: the deferred
				 material is due N after acceptance; -1: before
				 the decision only */
	m_span alternatives;  /* `id_card or hukou_book`: ints[], materials any
				 one of which meets the requirement (一选一) */
	uint8_t original;     /* this item wants the original (else the material's) */
	int32_t copies;       /* this item's number of copies; -1: the material's */
	uint8_t medium;       /* MEDIUM_*: paper, electronic or either */
} m_req;

enum { MEDIUM_ANY, MEDIUM_PAPER, MEDIUM_ELECTRONIC };
extern const char *const model_medium_names[3]; /* "either", "paper", "electronic" */

#define STEP_END (-1)

typedef struct m_step {
	const char *name, *label;
	int dept, window;     /* window -1: any window of dept */
	int32_t within;       /* the legal limit of the step; -1: not given */
	int32_t promised;     /* `promised N workdays`: a shorter promise; -1 */
	uint8_t within_unit, promised_unit; /* UNIT_WORKDAY or UNIT_DAY */
	uint8_t in_person;
	m_span exits;         /* into rules[]: rules this step is a source of */
	/* `by form.FIELD { value: dept ... }`: the department is the one the
	 * case's value of enum field route_field (fields[] index; -1: none)
	 * names; route_depts holds a department per enum value, in order. */
	int route_field;
	m_span route_depts;   /* ints[] */
} m_step;

/* The service guide (办事指南, GB/T 39046-2020 table 4): what an item's
 * `guide { }` says.  Texts are NULL when not given. */
typedef struct m_basis {
	const char *law, *article; /* 设定依据: 《…》 and 第…条 (NULL: none) */
} m_basis;

enum { HANDLING_NONE, HANDLING_INSTANT, HANDLING_PROMISED };   /* 即办件, 承诺件 */
enum { BODY_NONE, BODY_STATUTORY, BODY_AUTHORISED, BODY_ENTRUSTED }; /* 实施主体性质 */
extern const char *const model_handling_names[3];
extern const char *const model_body_names[4];
extern const char *const model_scope_names[5]; /* 通办范围: "", district ... national */

typedef struct m_guide {
	const m_basis *basis;
	uint32_t n_basis;
	const char *conditions;    /* 受理条件 */
	uint8_t fee_free;          /* fee free (不收费) */
	const char *fee, *fee_basis; /* 收费 and its basis */
	uint8_t handling;          /* HANDLING_* */
	const char *place, *hours, *phone, *complaint_phone;
	const char *intermediary;  /* 中介服务; NULL with no_intermediary: none */
	uint8_t no_intermediary;
	const char *quantity_limit; /* 数量限制; NULL with no_quantity_limit: none */
	uint8_t no_quantity_limit;
	uint8_t scope;             /* 通办范围: index into model_scope_names */
	const char *result;        /* 结果名称 */
	uint8_t result_library;    /* the result enters the 电子证照库 */
	const char *presence;      /* why the applicant must come in person */
	uint8_t body;              /* BODY_* */
	int entrusted_by;          /* BODY_ENTRUSTED: the department that entrusts */
} m_guide;

/* `procedure expert_review "专家评审" max 10 days [in STEP]`: a special
 * procedure (特别程序, 行政许可法 art. 45) whose time is not counted in any
 * limit, up to its maximum. */
typedef struct m_procedure {
	const char *name, *label;
	m_dur max;            /* UNIT_DAY or UNIT_WORKDAY */
	int step;             /* only while this step (of the item) is active; -1 */
} m_procedure;

typedef enum m_guard { G_ALWAYS, G_WHEN, G_OTHERWISE, G_ROUTE } m_guard;

/* `a, b -> c, d when cond`: when every source has finished through this
 * rule, every target starts (STEP_END ends that branch). */
typedef struct m_rule {
	m_span from, to;      /* step indices (within the item) in ints[] */
	m_guard guard;
	int cond;             /* G_WHEN: exprs[] index */
} m_rule;

typedef enum m_online { ONLINE_NONE, ONLINE_PARTIAL, ONLINE_FULL } m_online;
enum { DELIVER_WINDOW = 1, DELIVER_POST = 2, DELIVER_ELECTRONIC = 4 };
extern const char *const model_deliver_names[3]; /* by bit: window, post, electronic */

/* What an officer does to a step (act). */
enum { ACT_APPROVE, ACT_RETURN, ACT_DENY };
extern const char *const model_action_names[3];
/* The action named `name`; -1 when there is none (or name is NULL). */
int model_action(const char *name);

/* The time sweep's warnings (电子监察 预警, engine/sweep.c): their levels and
 * the deadlines they are of, as warn events and scenarios name them. */
enum { WARN_NONE, WARN_YELLOW, WARN_RED };
extern const char *const model_warn_level_names[3]; /* "none", "yellow", "red" */
enum { WARN_CASE, WARN_LEGAL, WARN_STEP, WARN_ACCEPTANCE, WARN_DEFERRED, WARN_PLEDGE,
       WARN_PROCEDURE, WARN_STEP_LEGAL, WARN__COUNT };
extern const char *const model_warn_target_names[WARN__COUNT];

typedef struct m_item {
	const char *name, *label, *code;
	int type;             /* GB/T 39046 A.1 code: 1, 5, 7, 9, 10, 20 */
	int dept, from_dept, window; /* -1: none */
	m_online online;
	int32_t legal_limit, promised_limit; /* -1: none */
	uint8_t legal_unit;   /* UNIT_WORKDAY, UNIT_DAY or UNIT_MONTH */
	uint8_t promised_unit; /* UNIT_WORKDAY or UNIT_DAY */
	int32_t extension;    /* `extension_limit N workdays` (延期): the most the legal
				 limit may be extended; -1: the law allows none */
	int32_t acceptance;   /* `acceptance_limit N workdays` (受理): -1: the
				 case is accepted when its materials are complete */
	uint8_t deemed_accepted; /* `... otherwise accepted`: late, the case
				    counts as accepted from receipt */
	m_span procedures;    /* into procedures[] */
	/* `in_force from DATE until DATE`: the days this version of the item
	 * applies to a case received on them; INT32_MIN / INT32_MAX: open */
	int32_t in_force_from, in_force_until;
	int replaces;         /* `replaces ITEM`: the version before; -1 */
	/* 告知承诺: `pledge_replaces M, N [when COND]`: the applicant's written
	 * pledge stands for these materials (ints[]) when cond (exprs[]; -1:
	 * always) holds; `pledge_check N days`: checked that long after approval */
	const m_guide *guide; /* the service guide; NULL: no `guide` block */
	m_span pledge;
	int pledge_cond;
	int32_t pledge_check;
	uint8_t pledge_check_unit;
	int calendar, form;   /* -1: none */
	uint8_t high_frequency;
	m_holder applicant;
	uint8_t deliver;      /* DELIVER_* bits */
	m_span notes;         /* strs[] */
	const char *hook;     /* path relative to the rule file; NULL: none */
	const char *hook_path; /* canonical: the key of its text in `sources` */
	uint8_t hook_sees;    /* HOOK_SEES_*: personal data hooks may read */
	const struct m_issue *issued; /* licences an approval issues (arena) */
	uint32_t n_issued;
	m_span hook_fns;      /* strs[]: hook functions the item can call, for
				 coverage: validate, derive, route, on_enter,
				 on_exit (those defined) and lua.NAME used */
	m_span reqs, steps, rules;
	int32_t max_in_person; /* in-person steps on the worst path of the flow */
} m_item;

/* A stage of a chain.  Its items run in parallel, except that an item may
 * wait for others of the same stage (`C after A, B`): waits.count is
 * items.count or 0, and ints[waits.first + i] is the set of positions (bit
 * j: the stage's j-th item) that item i waits for.  Hence at most
 * STAGE_MAX_ITEMS items a stage. */
#define STAGE_MAX_ITEMS 32
#define CHAIN_MAX_ITEMS 256 /* items in all the stages of a chain */

typedef struct m_stage {
	const char *name, *label;
	m_span after, items;  /* ints[]: stage indices (within the chain), item indices */
	m_span waits;
	m_span conds;         /* ints[]: per item, the exprs[] index of its `when`
				 (on the chain's form; -1: always); count 0: none */
	int dept;             /* the lead department (牵头部门); -1: none */
	int32_t within;       /* the stage's own limit, working days; -1: none */
	int32_t days;         /* worst case: the longest way through its items */
} m_stage;

enum { HOOK_SEES_ID = 1, HOOK_SEES_NAME = 2 };

typedef enum m_provider_kind { PROVIDER_LICENCES, PROVIDER_LUA } m_provider_kind;

/* Where `source shared "NAME"` materials come from. */
typedef struct m_provider {
	const char *name;     /* as materials name it */
	const char *label;
	m_provider_kind kind;
	const char *path;     /* PROVIDER_LUA: canonical path of the module */
	const char *file;     /* PROVIDER_LUA: the path as the rule file wrote it */
} m_provider;

/* `issues land_cert for 5 years`: the approval puts a licence for the
 * applicant into the licence library. */
typedef struct m_issue {
	int material;
	m_dur valid; /* n == -1: valid until revoked (长期有效) */
	int kept_by; /* `unless K`: K's materials[] index; -1: not written */
} m_issue;

typedef struct m_chain {
	const char *name, *label;
	int window, form;
	int calendar;         /* the first of its items' calendars; -1: none */
	int32_t total_limit;
	m_span stages;
	int32_t critical_days; /* the static critical path: worst-case working
				  days, stage by stage (chain_days) */
	m_span critical;      /* ints[]: the stages of that path, first first */
	int32_t max_trips;    /* static: chain_max_trips */
} m_chain;

#define M_ARRAY(T, name) T *name; uint32_t n_##name

struct ot_rules {
	arena mem;
	atomic_int refs;     /* ot_rules_ref / ot_rules_free: shared by engines */
	char hash[65];
	const char *sources; /* every source text as JSON, see ot_rules_sources */
	int zone;            /* minutes east of UTC: `timezone`, default +08:00 */
	M_ARRAY(m_calendar, calendars);
	M_ARRAY(m_holiday, holidays);
	M_ARRAY(m_department, departments);
	M_ARRAY(m_window, windows);
	M_ARRAY(m_material, materials);
	M_ARRAY(m_form, forms);
	M_ARRAY(m_field, fields);
	M_ARRAY(m_item, items);
	M_ARRAY(m_req, reqs);
	M_ARRAY(m_step, steps);
	M_ARRAY(m_rule, rules);
	M_ARRAY(m_procedure, procedures);
	M_ARRAY(m_chain, chains);
	M_ARRAY(m_stage, stages);
	M_ARRAY(m_provider, providers);
	int64_t hook_instructions; /* per hook call */
	int64_t hook_memory;       /* bytes per hook state */
	int64_t hook_time_ms;      /* wall-clock time per hook call */
	M_ARRAY(m_expr, exprs);
	M_ARRAY(m_op, ops);
	M_ARRAY(m_const, consts);
	M_ARRAY(int32_t, ints);
	M_ARRAY(const char *, strs);
	/* name -> index, for the API boundary only (never the hot path) */
	strmap by_item, by_department, by_material, by_chain, by_calendar;
};

typedef struct ot_rules m_model;

/* ---- decimals ---- */

/* Compares a and b exactly; returns -1, 0, 1; sets *ok = 0 on overflow. */
int dec_cmp(ot_dec a, ot_dec b);
/* a (op) b for + - * /: sums and products exact, a quotient to 6 places
 * rounded half away from zero (worked out in 128 bits, rounded once);
 * returns 0 when the answer has more than 18 digits or places (a product
 * that cannot be kept exactly), or on division by zero. */
int dec_arith(int op, ot_dec a, ot_dec b, ot_dec *out);
/* Writes the shortest exact decimal text (no exponent). */
void dec_format(ot_dec d, char out[32]);
/* Reads "-12.50" (sign, digits, one point; no exponent) as written, scale
 * included; 0 when it is not such a number or has more than 18 digits
 * (leading zeros aside) or 18 places. */
int dec_parse(const char *s, ot_dec *out);
/* A binary number by the shortest fixed-point text that reads back as it;
 * 0 when no text of at most 18 digits and 18 places does (1e-20 is not
 * taken as 0, nor 1.2345678901234567e-5 rounded). */
int dec_from_double(double d, ot_dec *out);

/* The most in-person visits (跑动次数) any case of the item can need:
 * submission at the hall unless the item is online (fully, or partly with
 * an in-person step for the part that is not), the in-person steps of the
 * worst path, and a window pickup unless post or electronic delivery is
 * allowed.  最多跑一次 when <= 1. */
int item_max_trips(const ot_rules *r, int item);

/* An item's worst case in working days: its promised limit, else its
 * legal one, else 0; a limit in calendar days less the weekends of its
 * whole weeks. */
int32_t item_days(const m_item *it);

/* The worst-case working days of stage `stage` (a global index into
 * stages[]): the longest way through its items, each item as long as
 * item_days, an item starting when the items it waits for are done.
 * `ints` is the index pool (the checker's, while the model is being
 * built). */
int32_t stage_days(const ot_rules *r, const int32_t *ints, uint32_t stage);

/* stage_days, and the items of that longest way (positions in the stage,
 * first first) in path (at most max), their number in *npath. */
int32_t stage_path(const ot_rules *r, const int32_t *ints, uint32_t stage, int32_t *path,
		   int max, int *npath);

/* The chain's static critical path: stages start when every stage they
 * come after is done; returns the working days of the longest way and
 * writes its stages (chain positions, first first) to path (at most max),
 * their number to *npath.  The stages must not wait in a cycle. */
int32_t chain_days(const ot_rules *r, const int32_t *ints, const m_chain *c,
		   int32_t *path, int max, int *npath);

/* The most in-person visits a chain can need: one at the chain's window
 * to apply (一窗受理) unless every item can be applied for online, the
 * in-person steps on the worst path of every item, and one pickup at the
 * window, for all results together (一窗出件), unless every item delivers
 * by post or electronically. */
int chain_max_trips(const ot_rules *r, const int32_t *ints, const m_chain *c);

/* The version of `item` (it, or one it replaces or is replaced by) in force
 * on `day`; -1 when none is. */
int item_in_force(const ot_rules *r, int item, int32_t day);
/* Why item_in_force found none, for the answer that refuses the
 * application: "item NAME is not in force on DAY: it is in force from
 * ... until ...", cut to cap. */
void item_not_in_force(const ot_rules *r, int item, int32_t day, char *out, size_t cap);

/* "licensing" for 1, ... (GB/T 39046 A.1) */
const char *model_type_name(int code);

#endif
