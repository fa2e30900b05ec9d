/*
 * flow.c -- checks an item's flow and compiles it to rules.
 *
 * A flow is a small workflow net: `a -> b, c` forks, `a, b -> c` joins (c
 * starts once both a and b are done), `a -> b when X` / `a -> c otherwise`
 * choose.  Three kinds of check:
 *  1. per step, the shape of its exits (conditions need an `otherwise`,
 *     conditional and unconditional exits do not mix);
 *  2. on the graph: every step reachable from the first one, every step
 *     able to reach `end`, loops that cannot be left named as such;
 *  3. by running the flow: every reachable marking (which steps are active,
 *     which joins are half full) is explored with every condition taken
 *     both ways.  That finds joins whose branches are alternatives, so they
 *     never both arrive, joins that can wait forever, and steps started
 *     twice by parallel branches without a join.  Flows are small, so the
 *     exploration is cheap; it gives up quietly beyond MAX_STATES.
 * The same exploration also finds the most in-person steps (in_person) one
 * case can go through, for the item's static maximum of trips.
 * The longest path (sum of `within`) is compared with promised_limit.
 */
#include <string.h>

#include "check.h"

#define MAX_STATES 20000

typedef struct frule {
	int32_t *from, *to;
	int nfrom, nto;
	m_guard guard;
	int cond;
	int slot;          /* joins: first arrival bit */
	const ast_flow *src;
	int fired, stuck;
} frule;

typedef struct fl {
	chk *k;
	const ast_item *ai;
	int n;             /* steps */
	strmap names;
	frule *rules;
	int nrules;
	int **exits;       /* per step: rule indices, -1 terminated */
	int nslots, words;
	int done0;         /* first state bit of "done in person" (one per step) */
	int max_in_person; /* the most in-person steps of one run */
	uint32_t step0;    /* the item's first step in the model */
	int bad_conditions;
	uint8_t *reach;    /* reachable from the first step */
	uint8_t *merge_warned;
} fl;

/* ---- building rules ---- */

static int step_index(fl *f, ast_name n)
{
	return chk_resolve(f->k, &f->names, n, "step", "E107");
}

static void implicit_rules(fl *f)
{
	/* No flow block: the steps run in the order listed. */
	f->rules = arena_alloc(&f->k->c->ast, (size_t)f->n * sizeof *f->rules);
	for (int i = 0; i < f->n; i++) {
		frule *r = &f->rules[f->nrules++];
		r->from = arena_alloc(&f->k->c->ast, sizeof(int32_t));
		r->to = arena_alloc(&f->k->c->ast, sizeof(int32_t));
		r->from[0] = i;
		r->to[0] = i + 1 < f->n ? i + 1 : STEP_END;
		r->nfrom = r->nto = 1;
		r->slot = -1;
	}
}

static int dup_in(const int32_t *v, int n, int32_t x)
{
	for (int i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

static int build_rules(fl *f)
{
	arena *a = &f->k->c->ast;
	const ast_item *ai = f->ai;
	int ok = 1;
	f->rules = arena_alloc(a, (ai->flow.n + 1) * sizeof *f->rules);
	for (size_t i = 0; i < ai->flow.n; i++) {
		const ast_flow *af = &ai->flow.v[i];
		frule *r = &f->rules[f->nrules];
		r->src = af;
		r->guard = (m_guard)af->guard;
		r->cond = -1;
		r->slot = -1;
		r->from = arena_alloc(a, af->from.n * sizeof(int32_t));
		r->to = arena_alloc(a, af->to.n * sizeof(int32_t));
		for (size_t j = 0; j < af->from.n; j++) {
			int s = step_index(f, af->from.v[j]);
			if (s < 0) {
				ok = 0;
				continue;
			}
			if (dup_in(r->from, r->nfrom, s)) {
				diag_at(f->k->c, af->from.v[j].loc, "E308", "name each step once",
					"'%s' is named twice before the arrow", af->from.v[j].s);
				ok = 0;
				continue;
			}
			r->from[r->nfrom++] = s;
		}
		for (size_t j = 0; j < af->to.n; j++) {
			int s = STEP_END;
			if (af->to.v[j].s && (s = step_index(f, af->to.v[j])) < 0) {
				ok = 0;
				continue;
			}
			if (dup_in(r->to, r->nto, s)) {
				diag_at(f->k->c, af->to.v[j].loc, "E308", "name each step once",
					"'%s' is named twice after the arrow",
					af->to.v[j].s ? af->to.v[j].s : "end");
				ok = 0;
				continue;
			}
			r->to[r->nto++] = s;
		}
		if (r->nto > 1 && dup_in(r->to, r->nto, STEP_END)) {
			diag_at(f->k->c, af->guard_loc, "E306",
				"end the case from one branch only, after a join",
				"'end' cannot be one branch of a fork");
			ok = 0;
		}
		if (af->guard == GUARD_WHEN) {
			/* a bad condition is reported but does not stop the
			 * analysis of the flow's shape */
			r->cond = chk_condition(f->k, af->when, af->when->loc);
			f->bad_conditions |= r->cond < 0;
		}
		if (af->guard == GUARD_ROUTE) {
			static const char *const by[] = {"lua"};
			if (strcmp(af->route.s, "lua") != 0) {
				const char *best = chk_suggest(af->route.s, by, 1);
				diag_at(f->k->c, af->route.loc, "E111",
					"a hook chooses the way: `-> a, b route lua`",
					"'route %s' is not possible%s", af->route.s,
					best ? " — did you mean 'route lua'?" : "");
				ok = 0;
			} else if (!f->ai->hook) {
				diag_at(f->k->c, af->guard_loc, "E112",
					"add `hook \"hooks/FILE.lua\"` with a route(case, step) function",
					"'route lua' needs the item's hook file");
				ok = 0;
			}
		}
		if (r->nfrom > 1 && af->guard != GUARD_ALWAYS) {
			diag_at(f->k->c, af->guard_loc, "E306",
				"put the condition on a step after the join",
				"a join (several steps before the arrow) cannot have a condition");
			ok = 0;
		}
		if (r->nfrom > 1) {
			r->slot = f->nslots;
			f->nslots += r->nfrom;
		}
		f->nrules++;
	}
	return ok;
}

/* ---- per-step shape ---- */

static void index_exits(fl *f)
{
	arena *a = &f->k->c->ast;
	int *count = arena_alloc(a, (size_t)f->n * sizeof *count);
	f->exits = arena_alloc(a, (size_t)f->n * sizeof *f->exits);
	for (int r = 0; r < f->nrules; r++)
		for (int j = 0; j < f->rules[r].nfrom; j++)
			count[f->rules[r].from[j]]++;
	for (int s = 0; s < f->n; s++) {
		f->exits[s] = arena_alloc(a, (size_t)(count[s] + 1) * sizeof(int));
		f->exits[s][0] = -1;
		count[s] = 0;
	}
	for (int r = 0; r < f->nrules; r++)
		for (int j = 0; j < f->rules[r].nfrom; j++) {
			int s = f->rules[r].from[j];
			f->exits[s][count[s]++] = r;
			f->exits[s][count[s]] = -1;
		}
}

static const ast_step *astep(fl *f, int s)
{
	return &f->ai->steps.v[s];
}

static int check_shapes(fl *f)
{
	int ok = 1;
	for (int s = 0; s < f->n; s++) {
		int always = 0, when = 0, otherwise = 0, routes = 0;
		const frule *last_when = NULL, *last_other = NULL, *last_always = NULL;
		const frule *last_route = NULL;
		for (int *e = f->exits[s]; *e >= 0; e++) {
			const frule *r = &f->rules[*e];
			if (r->guard == G_WHEN)
				when++, last_when = r;
			else if (r->guard == G_OTHERWISE)
				otherwise++, last_other = r;
			else if (r->guard == G_ROUTE)
				routes++, last_route = r;
			else
				always++, last_always = r;
		}
		if (routes && (routes > 1 || always || when || otherwise)) {
			diag_at(f->k->c, last_route->src->loc, "E306",
				"list all the steps the hook may choose in one line: `s -> a, b route lua`",
				"step '%s' is routed by its hook, so it can have no other exit",
				astep(f, s)->name.s);
			ok = 0;
			continue;
		}
		if (routes)
			continue;
		const char *name = astep(f, s)->name.s;
		if (when && !otherwise && !always) {
			diag_at(f->k->c, last_when->src->loc, "E304",
				arena_printf(f->k->ma, "add a line `%s -> STEP otherwise` for the remaining cases", name),
				"step '%s' has conditional exits but no 'otherwise'", name);
			ok = 0;
		}
		if (otherwise > 1) {
			diag_at(f->k->c, last_other->src->guard_loc, "E307", "keep one 'otherwise'",
				"step '%s' has more than one 'otherwise'", name);
			ok = 0;
		}
		if (otherwise && !when) {
			diag_at(f->k->c, last_other->src->guard_loc, "E306",
				"drop 'otherwise', or add the exits with 'when' it is the alternative to",
				"step '%s' has 'otherwise' but no exit with 'when'", name);
			ok = 0;
		}
		if (always && (when || otherwise)) {
			diag_at(f->k->c, last_always->src->loc, "E306",
				"give this exit a 'when' or make it the 'otherwise'",
				"step '%s' has both conditional exits and an exit without a condition", name);
			ok = 0;
		}
		if (!always && !when && !otherwise && f->reach[s]) {
			diag_at(f->k->c, astep(f, s)->name.loc, "E302",
				arena_printf(f->k->ma, "add `%s -> end` or `%s -> NEXT_STEP` to the flow", name, name),
				"step '%s' has no exit, so a case there can never finish", name);
			ok = 0;
		}
	}
	return ok;
}

/* ---- graph ---- */

static void reach_forward(fl *f, int s, uint8_t *seen)
{
	if (seen[s])
		return;
	seen[s] = 1;
	for (int *e = f->exits[s]; *e >= 0; e++)
		for (int j = 0; j < f->rules[*e].nto; j++)
			if (f->rules[*e].to[j] != STEP_END)
				reach_forward(f, f->rules[*e].to[j], seen);
}

/* Can s be reached again after leaving it? */
static int in_own_loop(fl *f, int s)
{
	uint8_t *seen = arena_alloc(&f->k->c->ast, (size_t)f->n);
	for (int *e = f->exits[s]; *e >= 0; e++)
		for (int j = 0; j < f->rules[*e].nto; j++)
			if (f->rules[*e].to[j] != STEP_END)
				reach_forward(f, f->rules[*e].to[j], seen);
	return seen[s];
}

static int check_graph(fl *f)
{
	arena *a = &f->k->c->ast;
	int ok = 1;
	uint8_t *from_start = f->reach;
	uint8_t *to_end = arena_alloc(a, (size_t)f->n);
	/* to_end: fixpoint of "some exit target is end or reaches end" */
	for (int changed = 1; changed;) {
		changed = 0;
		for (int s = 0; s < f->n; s++) {
			if (to_end[s])
				continue;
			for (int *e = f->exits[s]; *e >= 0 && !to_end[s]; e++)
				for (int j = 0; j < f->rules[*e].nto; j++) {
					int t = f->rules[*e].to[j];
					if (t == STEP_END || to_end[t]) {
						to_end[s] = 1;
						changed = 1;
						break;
					}
				}
		}
	}
	for (int s = 0; s < f->n; s++) {
		const ast_step *st = astep(f, s);
		if (!from_start[s]) {
			diag_at(f->k->c, st->name.loc, "E301",
				arena_printf(f->k->ma, "add an arrow into '%s' in the flow, or remove the step", st->name.s),
				"step '%s' can never be reached from the first step '%s'",
				st->name.s, astep(f, 0)->name.s);
			ok = 0;
		} else if (!to_end[s] && f->exits[s][0] >= 0) {
			/* Following exits from s never reaches end, so it runs into
			 * a step without exits (reported above) or a closed loop.
			 * Report each loop once, at its first step, with its
			 * members; steps that merely lead into it say nothing. */
			ok = 0;
			if (!in_own_loop(f, s))
				continue;
			uint8_t *fwd = arena_alloc(a, (size_t)f->n);
			reach_forward(f, s, fwd);
			int dead_end = 0;
			for (int t = 0; t < f->n; t++)
				dead_end |= fwd[t] && f->exits[t][0] < 0;
			if (dead_end)
				continue; /* the step without exits is the cause */
			buf b;
			buf_init_arena(&b, a);
			int first = 1, smallest = 1;
			for (int t = 0; t < f->n; t++) {
				if (!fwd[t] || !in_own_loop(f, t))
					continue;
				uint8_t *back = arena_alloc(a, (size_t)f->n);
				reach_forward(f, t, back);
				if (!back[s])
					continue;
				if (t < s)
					smallest = 0;
				buf_printf(&b, "%s'%s'", first ? "" : ", ", astep(f, t)->name.s);
				first = 0;
			}
			if (smallest)
				diag_at(f->k->c, st->name.loc, "E303",
					"give one step of the loop an exit to 'end' or to a step after the loop",
					"steps %s go round in a loop with no way out", b.p);
		}
	}
	return ok;
}

/* ---- running the flow ---- */

typedef struct states {
	uint64_t **slot;
	uint32_t cap, count;
} states;

static uint32_t state_hash(const uint64_t *s, int words)
{
	uint64_t h = 1469598103934665603ull;
	for (int i = 0; i < words; i++)
		h = (h ^ s[i]) * 1099511628211ull;
	return (uint32_t)(h ^ h >> 32);
}

/* Inserts s; returns 1 if it is new. */
static int states_add(fl *f, states *set, uint64_t *s)
{
	size_t bytes = (size_t)f->words * sizeof *s;
	if ((set->count + 1) * 2 > set->cap) {
		states n = {NULL, set->cap ? set->cap * 2 : 256, 0};
		n.slot = arena_alloc(&f->k->c->ast, n.cap * sizeof *n.slot);
		for (uint32_t i = 0; i < set->cap; i++)
			if (set->slot[i])
				states_add(f, &n, set->slot[i]);
		*set = n;
	}
	uint32_t mask = set->cap - 1;
	for (uint32_t i = state_hash(s, f->words) & mask;; i = (i + 1) & mask) {
		if (!set->slot[i]) {
			set->slot[i] = s;
			set->count++;
			return 1;
		}
		if (memcmp(set->slot[i], s, bytes) == 0)
			return 0;
	}
}

#define BIT(s, i) ((s)[(i) / 64] >> ((i) % 64) & 1)
#define SET(s, i) ((s)[(i) / 64] |= 1ull << ((i) % 64))
#define CLR(s, i) ((s)[(i) / 64] &= ~(1ull << ((i) % 64)))

static void activate(fl *f, uint64_t *t, int step)
{
	if (step == STEP_END)
		return;
	if (BIT(t, step) && !f->merge_warned[step]) {
		f->merge_warned[step] = 1;
		const ast_step *st = astep(f, step);
		diag_at(f->k->c, st->name.loc, "W302",
			"wait for both branches with a join: `a, b -> STEP`",
			"step '%s' can be started again while it is still running, "
			"from two parallel branches", st->name.s);
	}
	SET(t, step);
}

/* Fires rule r for step s finishing, on state t. */
/* Fires rule r for step s finishing; `only` >= 0: start only that target
 * (a `route lua` choice). */
static void fire(fl *f, uint64_t *t, int r, int s, int only)
{
	frule *ru = &f->rules[r];
	if (ru->nfrom > 1) {
		int bit = f->n + ru->slot;
		for (int j = 0; j < ru->nfrom; j++)
			if (ru->from[j] == s)
				SET(t, bit + j);
		for (int j = 0; j < ru->nfrom; j++)
			if (!BIT(t, bit + j))
				return;
		for (int j = 0; j < ru->nfrom; j++)
			CLR(t, bit + j);
		ru->fired = 1;
	} else {
		ru->fired = 1;
	}
	for (int j = 0; j < ru->nto; j++)
		if (only < 0 || j == only)
			activate(f, t, ru->to[j]);
}

static void note_stuck(fl *f, const uint64_t *t)
{
	for (int r = 0; r < f->nrules; r++) {
		frule *ru = &f->rules[r];
		if (ru->nfrom < 2)
			continue;
		for (int j = 0; j < ru->nfrom; j++)
			if (BIT(t, f->n + ru->slot + j))
				ru->stuck = 1;
	}
}

/* Returns 0 if the exploration was cut short. */
static int explore(fl *f)
{
	arena *a = &f->k->c->ast;
	size_t bytes = (size_t)f->words * sizeof(uint64_t);
	states set = {NULL, 0, 0};
	VEC(uint64_t *) queue = {0};
	uint64_t *start = arena_alloc(a, bytes);
	SET(start, 0);
	states_add(f, &set, start);
	VEC_PUSH(a, queue, start);
	for (size_t qi = 0; qi < queue.n; qi++) {
		const uint64_t *s = queue.v[qi];
		int any = 0;
		for (int step = 0; step < f->n; step++) {
			if (!BIT(s, step))
				continue;
			any = 1;
			int *e = f->exits[step];
			int always = *e >= 0 && f->rules[*e].guard == G_ALWAYS;
			int routed = *e >= 0 && f->rules[*e].guard == G_ROUTE;
			int choices = 0;
			for (int *x = e; *x >= 0; x++)
				choices++;
			if (routed)
				choices = f->rules[*e].nto; /* the hook picks one target */
			if (always || !choices)
				choices = 1;
			/* each choice: all unconditional exits, one guarded one, or
			 * one target of a route */
			for (int ch = 0; ch < choices; ch++) {
				uint64_t *t = arena_alloc(a, bytes);
				memcpy(t, s, bytes);
				CLR(t, step);
				if (astep(f, step)->in_person)
					SET(t, f->done0 + step);
				if (always) {
					for (int *x = e; *x >= 0; x++)
						fire(f, t, *x, step, -1);
				} else if (routed)
					fire(f, t, *e, step, ch);
				else if (e[0] >= 0)
					fire(f, t, e[ch], step, -1);
				if (states_add(f, &set, t)) {
					if (set.count > MAX_STATES)
						return 0;
					VEC_PUSH(a, queue, t);
				}
			}
		}
		if (!any) {
			note_stuck(f, s);
			int count = 0;
			for (int step = 0; step < f->n; step++)
				count += (int)BIT(s, f->done0 + step);
			if (count > f->max_in_person)
				f->max_in_person = count;
		}
	}
	return 1;
}

static void names_of(fl *f, buf *b, const int32_t *v, int n)
{
	for (int j = 0; j < n; j++)
		buf_printf(b, "%s'%s'", j == 0 ? "" : j == n - 1 ? " and " : ", ",
			   astep(f, v[j])->name.s);
}

static int check_joins(fl *f)
{
	int ok = 1;
	for (int r = 0; r < f->nrules; r++) {
		const frule *ru = &f->rules[r];
		if (ru->nfrom < 2 || (ru->fired && !ru->stuck))
			continue;
		buf b;
		buf_init_arena(&b, &f->k->c->ast);
		names_of(f, &b, ru->from, ru->nfrom);
		char *who = arena_strdup(f->k->ma, b.p);
		buf_free(&b);
		if (!ru->fired)
			diag_at(f->k->c, ru->src->loc, "E305",
				"a join waits for every step before the arrow: join only the "
				"branches of a fork (`x -> a, b`), never alternatives chosen by 'when'",
				"this join can never start: %s are never all done in the same case", who);
		else
			diag_at(f->k->c, ru->src->loc, "E305",
				"make every branch of the fork reach this join",
				"this join can wait forever: in some cases not all of %s arrive", who);
		ok = 0;
	}
	return ok;
}

/* ---- longest path ---- */

/* Calendar days as the working days an ordinary week holds in them (7 days
 * → 5), and months as the days of the longest (31): the checker has no
 * start date to count on the calendar. */
static int32_t as_workdays(int32_t n, int unit)
{
	if (unit == UNIT_MONTH)
		n *= 31;
	return unit != UNIT_WORKDAY ? (n / 7) * 5 + (n % 7 < 5 ? n % 7 : 5) : n;
}

static int32_t within(fl *f, int s)
{
	const m_step *ms = &f->k->m->steps[f->step0 + (uint32_t)s];
	return ms->within > 0 ? as_workdays(ms->within, ms->within_unit) : 0;
}

/* Working days along the longest path from s to end (each step of a loop
 * counted once); next[] records the path. */
static int32_t longest(fl *f, int s, int32_t *memo, int *next, uint8_t *onstack)
{
	if (memo[s] >= 0)
		return memo[s];
	if (onstack[s])
		return 0;
	onstack[s] = 1;
	int32_t best = -1;
	next[s] = STEP_END;
	for (int *e = f->exits[s]; *e >= 0; e++)
		for (int j = 0; j < f->rules[*e].nto; j++) {
			int t = f->rules[*e].to[j];
			int32_t v = t == STEP_END ? 0 : longest(f, t, memo, next, onstack);
			if (v > best) {
				best = v;
				next[s] = t;
			}
		}
	onstack[s] = 0;
	memo[s] = within(f, s) + (best > 0 ? best : 0);
	return memo[s];
}

static void check_longest(fl *f, const m_item *it)
{
	arena *a = &f->k->c->ast;
	int32_t *memo = arena_alloc(a, (size_t)f->n * sizeof *memo);
	int *next = arena_alloc(a, (size_t)f->n * sizeof *next);
	uint8_t *onstack = arena_alloc(a, (size_t)f->n);
	for (int s = 0; s < f->n; s++)
		memo[s] = -1;
	int32_t total = longest(f, 0, memo, next, onstack);
	int promised = it->promised_limit >= 0;
	int32_t limit = as_workdays(cal_item_limit(it), cal_item_limit_unit(it));
	if (total <= limit)
		return;
	buf b;
	buf_init_arena(&b, a);
	int guard = 0;
	for (int s = 0; s != STEP_END && guard++ <= f->n; s = next[s])
		buf_printf(&b, "%s%s (%d)", s ? " → " : "", astep(f, s)->name.s,
			   (int)within(f, s));
	char *path = arena_strdup(f->k->ma, b.p);
	buf_free(&b);
	diag_at(f->k->c, f->ai->attr_loc[promised ? IA_PROMISED_LIMIT : IA_LEGAL_LIMIT], "W401",
		arena_printf(f->k->ma, "the path: %s", path),
		"the longest path through the flow takes %d workdays, more than "
		"the %s of %d", (int)total, promised ? "promised_limit" : "legal_limit",
		(int)limit);
}

/* ---- entry ---- */

static void copy_rules(fl *f, m_item *it)
{
	chk *k = f->k;
	it->rules.first = k->m->n_rules;
	it->rules.count = (uint32_t)f->nrules;
	for (int r = 0; r < f->nrules; r++) {
		m_rule *mr = &k->m->rules[k->m->n_rules++];
		mr->from = chk_ints(k, f->rules[r].from, (size_t)f->rules[r].nfrom);
		mr->to = chk_ints(k, f->rules[r].to, (size_t)f->rules[r].nto);
		mr->guard = f->rules[r].guard;
		mr->cond = f->rules[r].cond;
	}
	/* each step's exits: the rules naming it as a source, in order */
	for (int s = 0; s < f->n; s++) {
		m_step *ms = &k->m->steps[it->steps.first + (uint32_t)s];
		int32_t ids[256];
		size_t n = 0;
		for (int *e = f->exits[s]; *e >= 0 && n < 256; e++)
			ids[n++] = (int32_t)it->rules.first + *e;
		m_span sp = chk_ints(k, ids, n);
		ms->exits = sp;
	}
}

int chk_flow(chk *k, m_item *it)
{
	fl f;
	memset(&f, 0, sizeof f);
	f.k = k;
	f.ai = k->item;
	f.n = (int)it->steps.count;
	f.step0 = it->steps.first;
	if (f.n == 0)
		return 1;
	strmap_init(&f.names, &k->c->ast);
	for (int s = 0; s < f.n; s++)
		strmap_put(&f.names, astep(&f, s)->name.s, strlen(astep(&f, s)->name.s), s);
	int ok = 1;
	if (f.ai->flow.n == 0 && f.ai->attr_loc[IA_FLOW].file < 0)
		implicit_rules(&f);
	else
		ok = build_rules(&f);
	if (!ok)
		return 0;
	index_exits(&f);
	f.reach = arena_alloc(&k->c->ast, (size_t)f.n);
	reach_forward(&f, 0, f.reach);
	ok = check_shapes(&f);
	ok = check_graph(&f) && ok;
	f.done0 = f.n + f.nslots;
	f.words = (2 * f.n + f.nslots + 63) / 64;
	f.merge_warned = arena_alloc(&k->c->ast, (size_t)f.n);
	it->max_in_person = 0;
	if (ok && explore(&f)) {
		ok = check_joins(&f);
		it->max_in_person = f.max_in_person;
	} else /* too many states to run through: assume every in-person step */
		for (int s = 0; s < f.n; s++)
			it->max_in_person += astep(&f, s)->in_person;

	if (ok && (it->promised_limit >= 0 || it->legal_limit >= 0))
		check_longest(&f, it);
	if (ok && !f.bad_conditions)
		copy_rules(&f, it);
	return ok && !f.bad_conditions;
}
