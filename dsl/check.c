/*
 * check.c -- semantic analysis: resolves every name, checks every value,
 * and builds the model in the same pass.
 *
 * Order: symbol tables for all declarations first (so use-before-declare
 * across files is fine), then calendars, departments, materials, forms,
 * items, chains.  Every check keeps going after an error so one run reports
 * everything; the model is thrown away at the end if anything failed.
 *
 * Messages are written for policy staff: what is wrong in their words, a
 * did-you-mean where a near name exists, and a hint with the fix.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "../engine/hooks.h"

/* ---- names ---- */

const char *chk_suggest(const char *name, const char *const *names, size_t n)
{
	const char *best = NULL;
	int bestd = 3;
	int len = (int)utf8_count(name, strlen(name));
	int limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
	for (size_t i = 0; i < n; i++) {
		if (!names[i] || strcmp(names[i], name) == 0)
			continue;
		size_t pl = strlen(names[i]);
		/* `saturday` for sat, `lenght` for len: a known word begins it */
		if (pl >= 3 && strncmp(name, names[i], pl) == 0 && bestd > 1) {
			best = names[i];
			bestd = 1;
			continue;
		}
		int d = edit_distance(name, names[i], limit);
		if (d <= limit && d < bestd) {
			bestd = d;
			best = names[i];
		}
	}
	return best;
}

static const char *suggest_in(chk *k, const strmap *m, const char *name,
			      const char **list_out)
{
	const char **names = arena_alloc(&k->c->ast, (m->count + 1) * sizeof *names);
	size_t n = 0;
	for (uint32_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			names[n++] = m->slots[i].key;
	*list_out = NULL;
	if (n && n <= 8) {
		buf b;
		buf_init_arena(&b, &k->c->ast);
		/* slots are in hash order; print in declaration order */
		for (int v = 0; v < (int)m->cap && b.len < 400; v++)
			for (uint32_t i = 0; i < m->cap; i++)
				if (m->slots[i].key && m->slots[i].value == v)
					buf_printf(&b, "%s%s", b.len ? ", " : "", m->slots[i].key);
		*list_out = arena_strdup(&k->c->ast, b.p ? b.p : "");
		buf_free(&b);
	}
	return chk_suggest(name, names, n);
}

int chk_resolve(chk *k, const strmap *map, ast_name n, const char *kind,
		const char *code)
{
	if (!n.s)
		return -1;
	int i = strmap_get(map, n.s, strlen(n.s));
	if (i >= 0)
		return i;
	const char *list, *best = suggest_in(k, map, n.s, &list);
	/* a name of another kind in the wrong place says more than a guess */
	static const struct { size_t off; const char *what; } others[] = {
		{offsetof(chk, depts), "a department"},
		{offsetof(chk, mats), "a material"},
		{offsetof(chk, forms), "a form"},
		{offsetof(chk, items), "an item"},
		{offsetof(chk, cals), "a calendar"},
		{offsetof(chk, chains), "a chain"},
	};
	const char *is = NULL;
	for (size_t j = 0; j < OT_COUNTOF(others) && !is; j++) {
		const strmap *o = (const strmap *)((const char *)k + others[j].off);
		if (o != map && strmap_get(o, n.s, strlen(n.s)) >= 0)
			is = others[j].what;
	}
	const char *hint = list ? arena_printf(k->ma, "known %ss: %s", kind, list) : NULL;
	if (is)
		diag_at(k->c, n.loc, code, hint, "'%s' is %s, not a %s", n.s, is, kind);
	else if (best)
		diag_at(k->c, n.loc, code, hint, "unknown %s '%s' — did you mean '%s'?",
			kind, n.s, best);
	else
		diag_at(k->c, n.loc, code,
			hint ? hint : arena_printf(k->ma, "no %s of that name is declared", kind),
			"unknown %s '%s'", kind, n.s);
	return -1;
}

/* Picks one of `words` for a keyword value like `online full`. */
static int one_of(chk *k, ast_name n, const char *what,
		  const char *const *words, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (words[i] && strcmp(words[i], n.s) == 0)
			return (int)i;
	buf b;
	buf_init_arena(&b, &k->c->ast);
	for (size_t i = 0; i < count; i++)
		if (words[i] && words[i][0])
			buf_printf(&b, "%s%s", b.len ? ", " : "", words[i]);
	const char *list = arena_printf(k->ma, "%s is one of: %s", what, b.p);
	buf_free(&b);
	const char *best = chk_suggest(n.s, words, count);
	if (best)
		diag_at(k->c, n.loc, "E111", list, "'%s' is not a valid %s — did you mean '%s'?",
			n.s, what, best);
	else
		diag_at(k->c, n.loc, "E111", list, "'%s' is not a valid %s", n.s, what);
	return -1;
}

static void declare(chk *k, strmap *m, ast_name n, int index, const char *kind,
		    dsl_loc (*where)(const chk *, int))
{
	if (!n.s)
		return;
	int first = strmap_put(m, n.s, strlen(n.s), index);
	if (first >= 0) {
		dsl_loc l = where(k, first);
		diag_at(k->c, n.loc, "E110", "give one of them another name",
			"%s '%s' is declared twice (first at %s:%d)", kind, n.s,
			k->c->files.v[l.file].display, l.first_line);
	}
}

static dsl_loc cal_loc(const chk *k, int i) { return k->c->unit.calendars.v[i]->name.loc; }
static dsl_loc dept_loc(const chk *k, int i) { return k->c->unit.departments.v[i]->name.loc; }
static dsl_loc mat_loc(const chk *k, int i) { return k->c->unit.materials.v[i]->name.loc; }
static dsl_loc form_loc(const chk *k, int i) { return k->c->unit.forms.v[i]->name.loc; }
static dsl_loc item_loc(const chk *k, int i) { return k->c->unit.items.v[i]->name.loc; }
static dsl_loc chain_loc(const chk *k, int i) { return k->c->unit.chains.v[i]->name.loc; }

m_span chk_ints(chk *k, const int32_t *v, size_t n)
{
	m_span s = {(uint32_t)k->ints.n, (uint32_t)n};
	for (size_t i = 0; i < n; i++)
		VEC_PUSH(k->ma, k->ints, v[i]);
	return s;
}

/* Interns s in the model: each distinct name or label is stored once. */
static const char *mstr(chk *k, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	int i = strmap_get(&k->interned, s, n);
	if (i >= 0)
		return k->pool.v[i];
	char *copy = arena_strndup(k->ma, s, n);
	VEC_PUSH(&k->c->ast, k->pool, copy);
	strmap_put(&k->interned, copy, n, (int)k->pool.n - 1);
	return copy;
}

/* ---- durations ---- */


static int parse_unit(const char *s, m_unit *u)
{
	for (int i = 0; i < 5; i++)
		if (strcmp(s, model_unit_words[i]) == 0 || strcmp(s, model_unit_names[i]) == 0) {
			*u = (m_unit)i;
			return 1;
		}
	return 0;
}

/* What a duration may be counted in. */
enum {
	DUR_ANY,      /* validities: any unit */
	DUR_WORKDAYS, /* working days only (chains, extensions, acceptance) */
	DUR_LIMIT,    /* a time limit: working days or calendar days */
	DUR_LEGAL     /* the law's own: also months (民法典 art. 202) */
};

/* A duration of the kind `mode` allows.  Returns n or -1. */
static int32_t duration(chk *k, const ast_dur *d, int mode, m_unit *unit)
{
	m_unit u;
	if (!d->set)
		return -1;
	if (!parse_unit(d->unit.s, &u)) {
		static const char *const all[] = {"workday", "workdays", "day", "days",
			"hour", "hours", "month", "months", "year", "years"};
		const char *best = chk_suggest(d->unit.s, all, OT_COUNTOF(all));
		diag_at(k->c, d->unit.loc, "E114",
			arena_printf(k->ma, "units are %s", model_units_text),
			"unknown unit '%s'%s%s%s", d->unit.s, best ? " — did you mean '" : "",
			best ? best : "", best ? "'?" : "");
		return -1;
	}
	if (mode == DUR_WORKDAYS && u != UNIT_WORKDAY) {
		diag_at(k->c, d->unit.loc, "E114",
			arena_printf(k->ma, "write it as %lld workdays", (long long)d->n),
			"this is counted in working days, not %ss", model_unit_words[u]);
		return -1;
	}
	if (mode == DUR_LIMIT && u != UNIT_WORKDAY && u != UNIT_DAY) {
		diag_at(k->c, d->unit.loc, "E114",
			u == UNIT_MONTH ? "a legal_limit or a pledge_check may be months, as the law gives "
					  "them; here use `days` for calendar days or `workdays`"
					: "use `days` for calendar days or `workdays`",
			"time limits are counted in working days or calendar days, not %ss",
			model_unit_words[u]);
		return -1;
	}
	if (mode == DUR_LEGAL && u != UNIT_WORKDAY && u != UNIT_DAY && u != UNIT_MONTH) {
		diag_at(k->c, d->unit.loc, "E114",
			"use `workdays`, `days` for calendar days, or `months`",
			"time limits are counted in working days, calendar days or months, not %ss",
			model_unit_words[u]);
		return -1;
	}
	if (d->n > 100000) {
		diag_at(k->c, d->loc, "E114", "limits and validities go up to 100000", "%lld %ss is too long to be a real limit",
			(long long)d->n, model_unit_words[u]);
		return -1;
	}
	if (unit)
		*unit = u;
	return (int32_t)d->n;
}

/* ---- calendars ---- */


static void date_text(int32_t day, char out[11])
{
	int y, m, d;
	cal_civil_from_days(day, &y, &m, &d);
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

static void calendar_days(chk *k, const ast_calendar *ac, m_calendar *mc)
{
	int32_t lo = INT32_MAX, hi = INT32_MIN;
	for (size_t i = 0; i < ac->days.n; i++)
		for (size_t j = 0; j < ac->days.v[i].spans.n; j++) {
			const ast_span *sp = &ac->days.v[i].spans.v[j];
			if (!sp->valid)
				continue;
			if (sp->last < sp->first) {
				char a[11], b[11];
				date_text(sp->first, a);
				date_text(sp->last, b);
				diag_at(k->c, sp->loc, "E007", "write the earlier date first",
					"this range ends (%s) before it starts (%s)", b, a);
				continue;
			}
			lo = sp->first < lo ? sp->first : lo;
			hi = sp->last > hi ? sp->last : hi;
		}
	if (lo > hi)
		return;
	int y0, y1, m, d;
	cal_civil_from_days(lo, &y0, &m, &d);
	cal_civil_from_days(hi, &y1, &m, &d);
	mc->first_year = y0;
	mc->last_year = y1;
	mc->first = cal_days_from_civil(y0, 1, 1);
	mc->ndays = cal_days_from_civil(y1 + 1, 1, 1) - mc->first;
	mc->off = arena_alloc(k->ma, (size_t)mc->ndays);
	mc->before = arena_alloc(k->ma, ((size_t)mc->ndays + 1) * sizeof *mc->before);
	uint8_t *set = arena_alloc(&k->c->ast, (size_t)mc->ndays); /* 1 holiday, 2 workday */
	const ast_span **by = arena_alloc(&k->c->ast, (size_t)mc->ndays * sizeof *by);
	for (int32_t i = 0; i < mc->ndays; i++)
		mc->off[i] = mc->weekend >> cal_weekday(mc->first + i) & 1;
	mc->holidays.first = k->m->n_holidays;
	for (size_t i = 0; i < ac->days.n; i++) {
		const ast_dayset *ds = &ac->days.v[i];
		for (size_t j = 0; j < ds->spans.n; j++) {
			const ast_span *sp = &ds->spans.v[j];
			if (!sp->valid || sp->last < sp->first)
				continue;
			m_holiday *h = &k->m->holidays[k->m->n_holidays++];
			h->first = sp->first;
			h->last = sp->last;
			h->label = mstr(k, ds->label);
			h->workday = !ds->holiday;
			int told = 0; /* a repeated range is one warning, not one a day */
			for (int32_t day = sp->first; day <= sp->last; day++) {
				int32_t i0 = day - mc->first;
				char t[11];
				date_text(day, t);
				static const char *const long_days[] = {"Monday", "Tuesday",
					"Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
				if (set[i0] && set[i0] != (ds->holiday ? 1 : 2))
					diag_at(k->c, sp->loc, "E403", "a day is either a holiday or a working day",
						"%s is listed both as a holiday and as a make-up working day", t);
				else if (set[i0] && !told++)
					diag_at(k->c, sp->loc, "W408", "remove one of them; if a line was copied, check its dates",
						"%s is already listed as a %s at line %d", t,
						ds->holiday ? "holiday" : "make-up working day", by[i0]->loc.first_line);
				else if (!set[i0] && !ds->holiday && !(mc->weekend >> cal_weekday(day) & 1))
					diag_at(k->c, sp->loc, "W403",
						"'workday' is for weekend days that become working days (调休)",
						"%s is a %s, already a working day", t, long_days[cal_weekday(day)]);
				if (!set[i0])
					by[i0] = sp;
				set[i0] = ds->holiday ? 1 : 2;
				mc->off[i0] = ds->holiday;
			}
		}
	}
	mc->holidays.count = k->m->n_holidays - mc->holidays.first;
	for (int32_t i = 0; i < mc->ndays; i++)
		mc->before[i + 1] = mc->before[i] + !mc->off[i];
}

static void check_calendars(chk *k)
{
	for (size_t i = 0; i < k->c->unit.calendars.n; i++) {
		const ast_calendar *ac = k->c->unit.calendars.v[i];
		m_calendar *mc = &k->m->calendars[i];
		mc->name = mstr(k, ac->name.s);
		mc->label = mstr(k, ac->label);
		mc->weekend = 0x60; /* sat sun */
		if (ac->has_weekend) {
			mc->weekend = 0;
			for (size_t j = 0; j < ac->weekend.n; j++) {
				int d = one_of(k, ac->weekend.v[j], "weekday", model_weekday_names, 7);
				if (d >= 0 && mc->weekend >> d & 1)
					diag_at(k->c, ac->weekend.v[j].loc, "W408", "name each day of the weekend once",
						"'%s' is named twice in the weekend", ac->weekend.v[j].s);
				if (d >= 0)
					mc->weekend |= (uint8_t)(1u << d);
			}
			if (mc->weekend == 0x7f) /* no working day outside the listed ones */
				diag_at(k->c, ac->weekend.v[0].loc, "E405",
					"a weekend names the weekly days off, for example: weekend sat sun",
					"calendar '%s' has no working day in its week: its weekend is every day",
					ac->name.s);
		}
		calendar_days(k, ac, mc);
	}
}

/* ---- departments, materials, forms ---- */


static void check_departments(chk *k)
{
	for (size_t i = 0; i < k->c->unit.departments.n; i++) {
		const ast_department *ad = k->c->unit.departments.v[i];
		m_department *md = &k->m->departments[i];
		md->name = mstr(k, ad->name.s);
		md->label = mstr(k, ad->label);
		md->level = LEVEL_DISTRICT;
		if (ad->level.s) {
			int l = one_of(k, ad->level, "level", model_level_names, OT_COUNTOF(model_level_names));
			if (l > 0)
				md->level = (m_level)l;
		}
		md->windows.first = k->m->n_windows;
		md->windows.count = (uint32_t)ad->windows.n;
		for (size_t j = 0; j < ad->windows.n; j++) {
			for (size_t p = 0; p < j; p++)
				if (strcmp(ad->windows.v[p].name.s, ad->windows.v[j].name.s) == 0)
					diag_at(k->c, ad->windows.v[j].name.loc, "E110",
						"give one of them another name",
						"department '%s' has two windows named '%s'",
						ad->name.s, ad->windows.v[j].name.s);
			m_window *w = &k->m->windows[k->m->n_windows++];
			w->name = mstr(k, ad->windows.v[j].name.s);
			w->label = mstr(k, ad->windows.v[j].label);
			w->dept = (int)i;
		}
	}
}


static void check_material_source(chk *k, const ast_material *am, m_material *mm)
{
	mm->source = SRC_APPLICANT;
	mm->issuer = -1;
	mm->provider = -1;
	mm->kept_by = -1;
	if (!am->source.s)
		return;
	int s = one_of(k, am->source, "material source", model_source_names, 3);
	if (s < 0)
		return;
	mm->source = (m_source)s;
	if (s == SRC_SHARED) {
		if (!am->source_text)
			diag_at(k->c, am->source_loc, "E112",
				"name the data source in quotes: source shared \"电子证照库\"",
				"'source shared' needs the name of the data source in quotes");
		mm->source_name = mstr(k, am->source_text);
		for (uint32_t p = 0; am->source_text && p < k->m->n_providers; p++)
			if (strcmp(k->m->providers[p].name, am->source_text) == 0)
				mm->provider = (int)p;
		return;
	} else if (s == SRC_ISSUED) {
		if (!am->source_dept.s)
			diag_at(k->c, am->source_loc, "E112",
				"name the department: source issued_by DEPARTMENT",
				"'source issued_by' needs the issuing department");
		else
			mm->issuer = chk_resolve(k, &k->depts, am->source_dept, "department", "E101");
	}
	if ((s == SRC_APPLICANT && (am->source_text || am->source_dept.s)) ||
	    (s == SRC_ISSUED && am->source_text))
		diag_at(k->c, am->source_loc, "E111",
			"write `source applicant`, `source shared \"NAME\"` or `source issued_by DEPARTMENT`",
			"'source %s' takes nothing after it", model_source_names[s]);
}

static void check_materials(chk *k)
{
	for (size_t i = 0; i < k->c->unit.materials.n; i++) {
		const ast_material *am = k->c->unit.materials.v[i];
		m_material *mm = &k->m->materials[i];
		mm->name = mstr(k, am->name.s);
		mm->label = mstr(k, am->label);
		if (am->holder.s) {
			int h = one_of(k, am->holder, "holder", model_holder_names, 3);
			mm->holder = h >= 0 ? (m_holder)h : HOLDER_ANY;
		}
		check_material_source(k, am, mm);
		mm->original = (uint8_t)am->original;
		if (am->copies.set) {
			if (am->copies.v.scale || am->copies.v.units < 0 || am->copies.v.units > 100)
				diag_at(k->c, am->copies.loc, "E111", "write a whole number from 0 to 100",
					"the number of copies must be a whole number");
			else
				mm->copies = (int32_t)am->copies.v.units;
		}
		mm->reusable.n = -1;
		if (am->reusable.set) {
			m_unit u = UNIT_YEAR;
			int32_t n = duration(k, &am->reusable, 0, &u);
			if (n >= 0 && (u == UNIT_HOUR || u == UNIT_WORKDAY))
				diag_at(k->c, am->reusable.unit.loc, "E114",
					"validity is given in years, months or days",
					"a material's validity cannot be counted in %ss", model_unit_words[u]);
			else if (n >= 0) {
				mm->reusable.n = n;
				mm->reusable.unit = u;
			}
		}
	}
}

static const char *const ftype_words[] = {"text", "integer", "decimal", "bool",
					  "date", "enum", "id_number", "credit_code", "group"};

/* `group [member]`: rows of another form (家庭成员, 从业人员); that form has
 * no group of its own, and the rows' number may be limited by min / max. */
static void check_group(chk *k, const ast_field *f, m_field *mf)
{
	mf->group = -1;
	if (f->enum_values.n != 1) {
		diag_at(k->c, f->type.loc, "E112", "write: field members \"家庭成员\": group [member_row]",
			"a group names the one form each of its rows is");
		return;
	}
	mf->group = chk_resolve(k, &k->forms, f->enum_values.v[0], "form", "E104");
	if (f->computed)
		diag_at(k->c, f->type.loc, "E111", "a hook computes single values, not rows",
			"a group cannot be computed");
}

/* After every form is built: a group's rows hold no group themselves. */
static void check_group_rows(chk *k)
{
	for (uint32_t i = 0; i < k->m->n_fields; i++) {
		const m_field *g = &k->m->fields[i];
		if (g->type != FT_GROUP || g->group < 0)
			continue;
		const m_form *row = &k->m->forms[g->group];
		for (uint32_t j = 0; j < row->fields.count; j++)
			if (k->m->fields[row->fields.first + j].type == FT_GROUP) {
				const ast_field *af = NULL;
				for (size_t fi = 0, n = 0; fi < k->c->unit.forms.n && !af; fi++)
					for (size_t fj = 0; fj < k->c->unit.forms.v[fi]->fields.n; fj++, n++)
						if (n == i)
							af = &k->c->unit.forms.v[fi]->fields.v[fj];
				diag_at(k->c, af ? af->enum_values.v[0].loc : k->c->unit.forms.v[0]->loc, "E111",
					"keep the rows flat: a row's fields are single values",
					"the rows of '%s' (form '%s') hold the group '%s'", g->name,
					row->name, k->m->fields[row->fields.first + j].name);
				break;
			}
	}
}

static void check_field(chk *k, const ast_form *af, const ast_field *f, m_field *mf)
{
	mf->name = mstr(k, f->name.s);
	mf->label = mstr(k, f->label);
	mf->required = (uint8_t)f->required;
	mf->computed = (uint8_t)f->computed;
	int t = f->type.s ? one_of(k, f->type, "field type", ftype_words, 9) : -1;
	mf->type = t >= 0 ? (m_ftype)t : FT_TEXT;
	mf->group = -1;
	if (t == FT_GROUP)
		check_group(k, f, mf);
	if (t == FT_ENUM && !f->has_enum)
		diag_at(k->c, f->type.loc, "E112", "list the values: enum [a, b, c]",
			"an enum field needs its list of values");
	if (t >= 0 && t != FT_ENUM && t != FT_GROUP && f->has_enum)
		diag_at(k->c, f->type.loc, "E111", "only enum fields have a list of values",
			"a %s field cannot have a list of values", ftype_words[t]);
	if (f->has_enum && t == FT_ENUM && f->enum_values.n == 0)
		diag_at(k->c, f->type.loc, "E112", "list the values: enum [a, b, c]",
			"this enum has no values");
	mf->values.first = (uint32_t)k->strs.n;
	for (size_t j = 0; t != FT_GROUP && j < f->enum_values.n; j++) {
		for (size_t p = 0; p < j; p++)
			if (strcmp(f->enum_values.v[p].s, f->enum_values.v[j].s) == 0)
				diag_at(k->c, f->enum_values.v[j].loc, "E110", "remove one of them",
					"'%s' is listed twice", f->enum_values.v[j].s);
		VEC_PUSH(k->ma, k->strs, mstr(k, f->enum_values.v[j].s));
	}
	mf->values.count = t == FT_GROUP ? 0 : (uint32_t)f->enum_values.n;
	const ast_num *lim[2] = {&f->min, &f->max};
	for (int b = 0; b < 2; b++) {
		if (!lim[b]->set)
			continue;
		if (t >= 0 && t != FT_INTEGER && t != FT_DECIMAL && t != FT_GROUP) {
			diag_at(k->c, lim[b]->loc, "E111", "only integer, decimal and group fields have limits",
				"a %s field cannot have '%s'", ftype_words[t], b ? "max" : "min");
			continue;
		}
		if ((t == FT_INTEGER || t == FT_GROUP) && lim[b]->v.scale) {
			diag_at(k->c, lim[b]->loc, "E111", "write a whole number",
				"%s '%s' must be a whole number",
				t == FT_GROUP ? "a group's" : "an integer field's", b ? "max" : "min");
			continue;
		}
		if (b)
			mf->max = lim[b]->v, mf->has_max = 1;
		else
			mf->min = lim[b]->v, mf->has_min = 1;
	}
	if (mf->has_min && mf->has_max && dec_cmp(mf->min, mf->max) > 0)
		diag_at(k->c, f->max.loc, "E111", "swap them",
			"field '%s' has max below its min", f->name.s);
	(void)af;
}

static void check_forms(chk *k)
{
	for (size_t i = 0; i < k->c->unit.forms.n; i++) {
		const ast_form *af = k->c->unit.forms.v[i];
		m_form *mf = &k->m->forms[i];
		mf->name = mstr(k, af->name.s);
		mf->label = mstr(k, af->label);
		mf->fields.first = k->m->n_fields;
		mf->fields.count = (uint32_t)af->fields.n;
		for (size_t j = 0; j < af->fields.n; j++) {
			const ast_field *fj = &af->fields.v[j];
			for (size_t p = 0; p < j; p++)
				if (strcmp(af->fields.v[p].name.s, fj->name.s) == 0)
					diag_at(k->c, fj->via.s ? fj->via.loc : fj->name.loc, "E110",
						"give one of them another name",
						fj->via.s ? "form '%s' gets a second field '%s' from '%s'"
							  : "form '%s' has two fields named '%s'",
						af->name.s, fj->name.s, fj->via.s);
			check_field(k, af, &af->fields.v[j], &k->m->fields[k->m->n_fields++]);
		}
	}
}

/* ---- items ---- */

/* `dept.window`; returns the window index or -1.  `need_window`: the
 * window part is required (item and chain `window`). */
static int resolve_window(chk *k, const ast_ref *r, int need_window, int *dept)
{
	*dept = chk_resolve(k, &k->depts, r->a, "department", "E101");
	if (*dept < 0)
		return -1;
	const m_department *d = &k->m->departments[*dept];
	if (!r->b.s) {
		if (need_window)
			diag_at(k->c, r->a.loc, "E102",
				d->windows.count
					? arena_printf(k->ma, "write %s.%s", d->name,
						       k->m->windows[d->windows.first].name)
					: arena_printf(k->ma, "declare a window: department %s \"...\" { window NAME \"...\" }", d->name),
				"say which window of '%s': DEPARTMENT.WINDOW", d->name);
		return -1;
	}
	const char *names[64] = {NULL};
	size_t n = 0;
	for (uint32_t i = 0; i < d->windows.count; i++) {
		const m_window *w = &k->m->windows[d->windows.first + i];
		if (strcmp(w->name, r->b.s) == 0)
			return (int)(d->windows.first + i);
		if (n < 64)
			names[n++] = w->name;
	}
	const char *best = chk_suggest(r->b.s, names, n);
	buf b;
	buf_init_arena(&b, &k->c->ast);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
	const char *hint = n ? arena_printf(k->ma, "windows of %s: %s", d->name, b.p)
			     : arena_printf(k->ma, "declare it: department %s \"...\" { window %s \"...\" }",
					    d->name, r->b.s);
	if (best)
		diag_at(k->c, r->b.loc, "E102", hint,
			"department '%s' has no window '%s' — did you mean '%s'?", d->name,
			r->b.s, best);
	else
		diag_at(k->c, r->b.loc, "E102", hint,
			"department '%s' has no window '%s'", d->name, r->b.s);
	return -1;
}

static void check_item_values(chk *k, const ast_item *ai, m_item *it)
{
	static const char *const types[] = {"licensing", "payment", "confirmation",
					    "ruling", "other", "public_service"};
	static const int type_codes[] = {1, 5, 7, 9, 10, 20};
	static const char *const freqs[] = {"normal", "high"};
	static const char *const delivers[] = {"window", "post", "electronic"};
	int v;
	it->type = 10;
	if (ai->type.s && (v = one_of(k, ai->type, "item type", types, 6)) >= 0)
		it->type = type_codes[v];
	if (ai->online.s && (v = one_of(k, ai->online, "online level", model_online_names, 3)) >= 0)
		it->online = (m_online)v;
	if (ai->frequency.s && (v = one_of(k, ai->frequency, "frequency", freqs, 2)) >= 0)
		it->high_frequency = (uint8_t)v;
	if (ai->applicant.s && (v = one_of(k, ai->applicant, "applicant kind", model_holder_names, 3)) >= 0)
		it->applicant = (m_holder)v;
	it->deliver = ai->deliver.n ? 0 : DELIVER_WINDOW;
	for (size_t i = 0; i < ai->deliver.n; i++)
		if ((v = one_of(k, ai->deliver.v[i], "delivery method", delivers, 3)) >= 0)
			it->deliver |= (uint8_t)(1u << v);
}

/* Whether a promise of p (in unit pu) can be longer than the law's l (lu):
 * p workdays take at least p calendar days; p calendar days may hold fewer
 * than l workdays, which only a date can tell, so that is let through. */
/* Is a promise of p surely longer than a legal limit of l, whatever day
 * they start?  Against months, only when it is longer than the longest
 * months: 31 days each, or 25 working days (23 weekdays and two make-up
 * working days, 调休, at most). */
static int longer_than(int32_t p, m_unit pu, int32_t l, m_unit lu)
{
	if (p < 0 || l < 0)
		return 0;
	if (lu == UNIT_MONTH)
		return (int64_t)p > (int64_t)l * (pu == UNIT_WORKDAY ? 25 : 31);
	return (pu == lu || pu == UNIT_WORKDAY) && p > l;
}

static const char *unit_plural(m_unit u)
{
	return model_unit_names[u];
}

static void check_item_limits(chk *k, const ast_item *ai, m_item *it)
{
	m_unit lu = UNIT_WORKDAY, pu = UNIT_WORKDAY;
	it->legal_limit = duration(k, &ai->legal, DUR_LEGAL, &lu);
	it->promised_limit = duration(k, &ai->promised, DUR_LIMIT, &pu);
	it->legal_unit = (uint8_t)lu;
	it->promised_unit = (uint8_t)pu;
	if (longer_than(it->promised_limit, pu, it->legal_limit, lu))
		diag_at(k->c, ai->promised.loc, "E401",
			"the promised limit (承诺时限) may only shorten the legal one (法定时限)",
			"promised_limit (%d %s) is longer than legal_limit (%d %s)",
			(int)it->promised_limit, unit_plural(pu), (int)it->legal_limit,
			unit_plural(lu));
	it->calendar = -1;
	if (ai->calendar.s)
		it->calendar = chk_resolve(k, &k->cals, ai->calendar, "calendar", "E109");
	else if (k->m->n_calendars == 1)
		it->calendar = 0;
	else if (it->legal_limit >= 0 || it->promised_limit >= 0)
		diag_at(k->c, ai->name.loc, "E112",
			k->m->n_calendars
				? "add `calendar NAME`: limits are counted in its working days"
				: "declare a calendar, or use the national one: use \"calendar/cn.rules\" (path relative to this file)",
			k->m->n_calendars ? "item '%s' has time limits but no calendar"
					  : "item '%s' has time limits but the rule base has no calendar",
			ai->name.s);
}

/* extension (延期, 行政许可法 art. 42) and acceptance (受理, art. 32) */
static void check_item_law(chk *k, const ast_item *ai, m_item *it)
{
	it->extension = duration(k, &ai->extension, DUR_WORKDAYS, NULL);
	if (it->extension == 0) {
		diag_at(k->c, ai->extension.loc, "E114", "remove it: without it, no extension is allowed",
			"an extension of 0 workdays extends nothing");
		it->extension = -1;
	}
	if (it->extension > 0 && ai->legal.set && it->legal_limit < 0)
		it->extension = -1; /* the legal limit was wrong, and reported */
	else if (it->extension > 0 && !ai->legal.set)
		diag_at(k->c, ai->attr_loc[IA_EXTENSION], "E112",
			"add `legal_limit N workdays`: an extension lengthens the legal limit",
			"item '%s' allows an extension but has no legal_limit", ai->name.s);
	else if (it->extension > 0 && it->legal_unit != UNIT_WORKDAY)
		diag_at(k->c, ai->attr_loc[IA_EXTENSION], "E114",
			"give the legal_limit in workdays, as the law that allows the extension does",
			"an extension in workdays cannot lengthen a legal_limit in calendar %s",
			it->legal_unit == UNIT_MONTH ? "months" : "days");
	it->acceptance = duration(k, &ai->acceptance, DUR_WORKDAYS, NULL);
	if (it->acceptance == 0) {
		diag_at(k->c, ai->acceptance.loc, "E114",
			"give the working days the body has to decide, such as 5 workdays",
			"an acceptance decision within 0 workdays cannot be late or on time");
		it->acceptance = -1;
	}
	if (ai->acceptance_else.s && strcmp(ai->acceptance_else.s, "accepted") != 0)
		diag_at(k->c, ai->acceptance_else.loc, "E111",
			"write: acceptance_limit 5 workdays otherwise accepted",
			"after 'otherwise' only 'accepted' can follow (the application counts as "
			"accepted from the day it was received), not '%s'", ai->acceptance_else.s);
	it->deemed_accepted = ai->acceptance_else.s && it->acceptance > 0;
}

/* 告知承诺: pledge_replaces M, N [when COND]; pledge_check 30 days */
static void check_item_pledge(chk *k, const ast_item *ai, m_item *it)
{
	it->pledge_cond = -1;
	it->pledge_check = -1;
	int32_t mats[64];
	size_t n = 0;
	for (size_t i = 0; i < ai->pledge.n; i++) {
		int m = chk_resolve(k, &k->mats, ai->pledge.v[i], "material", "E103");
		int listed = 0;
		for (size_t j = 0; m >= 0 && j < ai->materials.n; j++)
			listed |= ai->materials.v[j].material.s &&
				  strcmp(ai->materials.v[j].material.s, ai->pledge.v[i].s) == 0;
		if (m >= 0 && !listed)
			diag_at(k->c, ai->pledge.v[i].loc, "E111",
				"a pledge stands for materials the item asks for: list it in `materials`",
				"'%s' is not a material of item '%s'", ai->pledge.v[i].s, ai->name.s);
		else if (m >= 0 && n < OT_COUNTOF(mats))
			mats[n++] = m;
	}
	it->pledge = chk_ints(k, mats, n);
	if (ai->pledge_when)
		it->pledge_cond = chk_condition(k, ai->pledge_when, ai->pledge_when_loc);
	m_unit u = UNIT_DAY;
	it->pledge_check = duration(k, &ai->pledge_check, DUR_LEGAL, &u);
	it->pledge_check_unit = (uint8_t)u;
	if (it->pledge_check == 0) {
		diag_at(k->c, ai->pledge_check.loc, "E114",
			"give the time after approval within which the pledge is checked, such as 30 days",
			"a check of the pledge within 0 %s cannot be done", unit_plural(u));
		it->pledge_check = -1;
	}
	if (ai->pledge.n && !ai->pledge_check.set)
		diag_at(k->c, ai->attr_loc[IA_PLEDGE], "E112",
			"add `pledge_check N days`: when the body checks that the pledge was true",
			"item '%s' takes a pledge (告知承诺) but says nothing of checking it", ai->name.s);
	else if (!ai->pledge.n && ai->pledge_check.set)
		diag_at(k->c, ai->attr_loc[IA_PLEDGE_CHECK], "E112",
			"add `pledge_replaces MATERIAL, ...`: the materials the pledge stands for",
			"item '%s' checks a pledge but takes none", ai->name.s);
}

/* ---- the service guide (办事指南) ---- */

enum { GS_TEXT, GS_BASIS, GS_FEE, GS_WORD, GS_DEPT, GS_TEXT_OR_NONE };

static const struct guide_key {
	const char *key;
	int shape, repeat;
	const char *words;  /* GS_WORD: the words, separated by spaces */
	const char *hint;
} guide_keys[] = {
	{"basis", GS_BASIS, 1, NULL, "write: basis \"《中华人民共和国建筑法》\" \"第八条\" (the law, then the article)"},
	{"conditions", GS_TEXT, 0, NULL, "write: conditions \"…\" (受理条件)"},
	{"fee", GS_FEE, 0, NULL, "write: fee free, or fee \"20元/件\" \"《…收费标准》\" (the amount, then its basis)"},
	{"handling", GS_WORD, 0, "instant promised", "write: handling instant (即办件) or handling promised (承诺件)"},
	{"place", GS_TEXT, 0, NULL, "write: place \"…\" (办理地点)"},
	{"hours", GS_TEXT, 0, NULL, "write: hours \"…\" (办理时间)"},
	{"phone", GS_TEXT, 0, NULL, "write: phone \"0412-…\" (咨询电话)"},
	{"complaint_phone", GS_TEXT, 0, NULL, "write: complaint_phone \"12345\" (监督投诉电话)"},
	{"intermediary", GS_TEXT_OR_NONE, 0, NULL, "write: intermediary none, or intermediary \"…\" (中介服务)"},
	{"quantity_limit", GS_TEXT_OR_NONE, 0, NULL, "write: quantity_limit none, or quantity_limit \"…\" (数量限制)"},
	{"scope", GS_WORD, 0, "district city province national", "write: scope district (通办范围: district, city, province or national)"},
	{"result", GS_TEXT, 0, NULL, "write: result \"建筑工程施工许可证\" (结果名称)"},
	{"result_library", GS_WORD, 0, "yes no", "write: result_library yes (the result enters the 电子证照库)"},
	{"presence", GS_TEXT, 0, NULL, "write: presence \"…\" (why the applicant must come in person)"},
	{"body", GS_WORD, 0, "statutory authorised entrusted", "write: body statutory (法定机关), authorised (授权组织) or entrusted (受委托组织)"},
	{"entrusted_by", GS_DEPT, 0, NULL, "write: entrusted_by DEPARTMENT (the higher body that entrusts the item)"},
};

/* The index of `w` among the space-separated `words`; -1 when not there. */
static int guide_word(const char *words, const char *w)
{
	size_t n = strlen(w);
	int i = 0;
	for (const char *p = words; *p; i++) {
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && strncmp(p, w, n) == 0)
			return i;
		p += len + (end != NULL);
	}
	return -1;
}

/* One line's words against its key's shape; returns 0 (reported) if wrong. */
static int guide_shape(chk *k, const ast_guide *g, const struct guide_key *gk)
{
	size_t n = g->args.n;
	const ast_guide_arg *a = g->args.v;
	int ok;
	switch (gk->shape) {
	case GS_TEXT: ok = n == 1 && a[0].text; break;
	case GS_BASIS: ok = n >= 1 && n <= 2 && a[0].text; break;
	case GS_FEE: ok = (n == 1 && !a[0].text && strcmp(a[0].s, "free") == 0) ||
			  (n >= 1 && n <= 2 && a[0].text); break;
	case GS_WORD: ok = n == 1 && !a[0].text && guide_word(gk->words, a[0].s) >= 0; break;
	case GS_DEPT: ok = n == 1 && !a[0].text; break;
	default: ok = n == 1 && (a[0].text || strcmp(a[0].s, "none") == 0); break;
	}
	if (!ok)
		diag_at(k->c, n ? a[0].loc : g->key.loc, "E111", gk->hint,
			"this is not how a guide's '%s' is written", gk->key);
	return ok;
}

static void guide_line(chk *k, const ast_guide *g, const struct guide_key *gk, m_guide *mg,
		       m_basis *basis)
{
	const ast_guide_arg *a = g->args.v;
	const char *t = mstr(k, a[0].s);
	if (!strcmp(gk->key, "basis")) {
		basis[mg->n_basis].law = t;
		basis[mg->n_basis++].article = g->args.n > 1 ? mstr(k, a[1].s) : NULL;
		if (g->args.n < 2)
			diag_at(k->c, a[0].loc, "E112", gk->hint,
				"the legal basis (设定依据) names its article");
	} else if (!strcmp(gk->key, "fee")) {
		mg->fee_free = !a[0].text;
		mg->fee = a[0].text ? t : NULL;
		mg->fee_basis = g->args.n > 1 ? mstr(k, a[1].s) : NULL;
		if (a[0].text && g->args.n < 2)
			diag_at(k->c, a[0].loc, "E112", gk->hint,
				"a fee (收费) needs its basis: the document that sets it");
	} else if (!strcmp(gk->key, "handling"))
		mg->handling = (uint8_t)(guide_word(gk->words, a[0].s) + 1);
	else if (!strcmp(gk->key, "scope"))
		mg->scope = (uint8_t)(guide_word(gk->words, a[0].s) + 1);
	else if (!strcmp(gk->key, "result_library"))
		mg->result_library = guide_word(gk->words, a[0].s) == 0;
	else if (!strcmp(gk->key, "body"))
		mg->body = (uint8_t)(guide_word(gk->words, a[0].s) + 1);
	else if (!strcmp(gk->key, "entrusted_by")) {
		ast_name d = {a[0].s, a[0].loc};
		mg->entrusted_by = chk_resolve(k, &k->depts, d, "department", "E101");
		m_level lv = mg->entrusted_by >= 0 ? k->m->departments[mg->entrusted_by].level : LEVEL_CITY;
		if (lv != LEVEL_CITY && lv != LEVEL_PROVINCE && lv != LEVEL_NATIONAL)
			diag_at(k->c, a[0].loc, "E111",
				"an item is entrusted (委托) by a higher body: a city, province or national department",
				"'%s' is a %s department, and cannot entrust an item", a[0].s,
				model_level_names[lv]);
	} else if (!strcmp(gk->key, "intermediary")) {
		mg->no_intermediary = !a[0].text;
		mg->intermediary = a[0].text ? t : NULL;
	} else if (!strcmp(gk->key, "quantity_limit")) {
		mg->no_quantity_limit = !a[0].text;
		mg->quantity_limit = a[0].text ? t : NULL;
	} else {
		const char **slot = !strcmp(gk->key, "conditions") ? &mg->conditions
				  : !strcmp(gk->key, "place") ? &mg->place
				  : !strcmp(gk->key, "hours") ? &mg->hours
				  : !strcmp(gk->key, "phone") ? &mg->phone
				  : !strcmp(gk->key, "complaint_phone") ? &mg->complaint_phone
				  : !strcmp(gk->key, "result") ? &mg->result : &mg->presence;
		*slot = t;
	}
}

/* guide { basis "…" "第八条"; fee free; handling promised; … } */
static void check_item_guide(chk *k, const ast_item *ai, m_item *it)
{
	if (ai->attr_loc[IA_GUIDE].file < 0)
		return;
	m_guide *mg = arena_alloc(k->ma, sizeof *mg);
	m_basis *basis = arena_alloc(k->ma, (ai->guide.n + 1) * sizeof *basis);
	const char *keys[OT_COUNTOF(guide_keys)];
	for (size_t i = 0; i < OT_COUNTOF(guide_keys); i++)
		keys[i] = guide_keys[i].key;
	mg->entrusted_by = -1;
	for (size_t i = 0; i < ai->guide.n; i++) {
		const ast_guide *g = &ai->guide.v[i];
		int key = one_of(k, g->key, "guide element", keys, OT_COUNTOF(keys));
		if (key < 0)
			continue;
		const struct guide_key *gk = &guide_keys[key];
		int twice = 0;
		for (size_t j = 0; j < i && !gk->repeat; j++)
			twice |= ai->guide.v[j].key.s && strcmp(ai->guide.v[j].key.s, gk->key) == 0;
		if (twice)
			diag_at(k->c, g->key.loc, "E113", "keep one", "'%s' is given twice in the guide",
				gk->key);
		else if (guide_shape(k, g, gk))
			guide_line(k, g, gk, mg, basis);
	}
	mg->basis = basis;
	if ((mg->body == BODY_ENTRUSTED) != (mg->entrusted_by >= 0) &&
	    (mg->body == BODY_ENTRUSTED || mg->entrusted_by >= 0))
		diag_at(k->c, ai->attr_loc[IA_GUIDE], "E112",
			"write both: body entrusted, and entrusted_by DEPARTMENT (委托)",
			mg->body == BODY_ENTRUSTED ? "the guide says the item is entrusted, but not by whom"
						   : "the guide names who entrusts the item, but not that its body is entrusted");
	if (mg->handling == HANDLING_INSTANT && it->promised_limit > 0)
		diag_at(k->c, ai->attr_loc[IA_PROMISED_LIMIT], "E111",
			"an 即办件 is done on the spot: remove the promised_limit, or write handling promised",
			"the guide says instant (即办件), but the item promises %d %s", (int)it->promised_limit,
			unit_plural((m_unit)it->promised_unit));
	it->guide = mg;
}

/* An item with a guide that can need a visit says why (GB/T 39046: 必须现场
 * 办理的原因): checked once the flow gives the visits. */
static void check_guide_presence(chk *k, const ast_item *ai, size_t index)
{
	const m_item *it = &k->m->items[index];
	if (it->guide && !it->guide->presence && item_max_trips(k->m, (int)index) > 0)
		diag_at(k->c, ai->attr_loc[IA_GUIDE], "W407",
			"add presence \"…\" to the guide: why the applicant must come in person",
			"item '%s' can need %d trip(s), but its guide does not say why",
			ai->name.s, item_max_trips(k->m, (int)index));
}

/* in_force from 2019-04-23 [until 2020-05-31], in_force until 2019-04-22 */
static void check_item_in_force(chk *k, const ast_item *ai, m_item *it)
{
	it->in_force_from = INT32_MIN;
	it->in_force_until = INT32_MAX;
	it->replaces = -1;
	if (!ai->in_force_word.s)
		return;
	const char *w1 = ai->in_force_word.s, *w2 = ai->in_force_word2.s;
	int from = strcmp(w1, "from") == 0, until = strcmp(w1, "until") == 0;
	if ((!from && !until) || (w2 && (!from || strcmp(w2, "until") != 0))) {
		ast_name bad = !from && !until ? ai->in_force_word : ai->in_force_word2;
		diag_at(k->c, bad.loc, "E111",
			"write: in_force from 2019-04-23, in_force until 2019-04-22, or in_force "
			"from 2019-04-23 until 2020-05-31",
			"'%s' is not 'from' or 'until'%s", bad.s,
			from && w2 ? " (after a 'from' date comes 'until')" : "");
		return;
	}
	if (!ai->in_force_valid)
		return; /* the date was reported */
	if (from)
		it->in_force_from = ai->in_force_day;
	else
		it->in_force_until = ai->in_force_day;
	if (w2)
		it->in_force_until = ai->in_force_day2;
	if (it->in_force_until < it->in_force_from)
		diag_at(k->c, ai->in_force_word2.loc, "E111", "the 'until' date is the last day it is in force",
			"item '%s' would be in force until before it is in force from", ai->name.s);
}


/* `replaces ITEM`: versions of one item in force one after the other, so
 * a case is judged by the one in force on the day it was received. */
static void check_versions(chk *k)
{
	const ast_unit *u = &k->c->unit;
	for (size_t i = 0; i < u->items.n; i++) {
		const ast_item *ai = u->items.v[i];
		m_item *it = &k->m->items[i];
		if (!ai->replaces.s)
			continue;
		int old = chk_resolve(k, &k->items, ai->replaces, "item", "E106");
		if (old < 0)
			continue;
		const m_item *was = &k->m->items[old];
		if (old == (int)i || was->replaces == (int)i) {
			diag_at(k->c, ai->replaces.loc, "E111", "the version it replaces is an older one",
				"item '%s' cannot replace %s", ai->name.s,
				old == (int)i ? "itself" : "the item that replaces it");
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (k->m->items[j].replaces == old)
				diag_at(k->c, ai->replaces.loc, "E110", "one version replaces another",
					"item '%s' is replaced twice, by '%s' and by '%s'", was->name,
					k->m->items[j].name, ai->name.s);
		if (was->in_force_until == INT32_MAX || it->in_force_from == INT32_MIN) {
			diag_at(k->c, ai->replaces.loc, "E112",
				"the old version ends the day before the new one starts: `in_force until "
				"DATE` on it, `in_force from DATE` on this one",
				"item '%s' replaces '%s', but %s", ai->name.s, was->name,
				was->in_force_until == INT32_MAX ? "the old version has no 'until' date"
								 : "this one has no 'from' date");
		} else if (was->in_force_until >= it->in_force_from) {
			char a[11], b[11];
			date_text(it->in_force_from, a);
			date_text(was->in_force_until, b);
			diag_at(k->c, ai->attr_loc[IA_IN_FORCE], "E404",
				"a case is judged by the one version in force on the day it is received",
				"item '%s' is in force from %s, but '%s', which it replaces, is still in "
				"force until %s", ai->name.s, a, was->name, b);
		}
		it->replaces = old;
	}
}

/* procedure expert_review "专家评审" max 10 days in review */
static void check_item_procedures(chk *k, const ast_item *ai, m_item *it)
{
	it->procedures.first = k->m->n_procedures;
	for (size_t i = 0; i < ai->procedures.n; i++) {
		const ast_procedure *p = &ai->procedures.v[i];
		for (size_t j = 0; j < i; j++)
			if (strcmp(ai->procedures.v[j].name.s, p->name.s) == 0)
				diag_at(k->c, p->name.loc, "E110", "give one of them another name",
					"procedure '%s' is declared twice in this item", p->name.s);
		m_procedure *mp = &k->m->procedures[k->m->n_procedures++];
		mp->name = mstr(k, p->name.s);
		mp->label = mstr(k, p->label);
		m_unit u = UNIT_DAY;
		mp->max.n = duration(k, &p->max, DUR_LIMIT, &u);
		mp->max.unit = u;
		if (mp->max.n == 0)
			diag_at(k->c, p->max.loc, "E114",
				"give the longest it may take, as the applicant is told in writing",
				"a special procedure of 0 %s takes no time", unit_plural(u));
		if (!p->label)
			diag_at(k->c, p->name.loc, "E112",
				arena_printf(k->ma, "write: procedure %s \"专家评审\" max 10 days", p->name.s),
				"procedure '%s' needs its name for the applicant, in quotes", p->name.s);
		mp->step = -1;
		for (size_t s = 0; p->step.s && s < ai->steps.n; s++)
			if (strcmp(ai->steps.v[s].name.s, p->step.s) == 0)
				mp->step = (int)s;
		if (p->step.s && mp->step < 0) {
			const char **names = arena_alloc(&k->c->ast, (ai->steps.n + 1) * sizeof *names);
			for (size_t s = 0; s < ai->steps.n; s++)
				names[s] = ai->steps.v[s].name.s;
			const char *best = chk_suggest(p->step.s, names, ai->steps.n);
			diag_at(k->c, p->step.loc, "E107",
				"a procedure runs while one of the item's steps is active: name that step",
				"unknown step '%s'%s%s%s", p->step.s, best ? " — did you mean '" : "",
				best ? best : "", best ? "'?" : "");
		}
	}
	it->procedures.count = k->m->n_procedures - it->procedures.first;
}

/* One of several (`or`), originals and copies, paper or electronic: what
 * this item asks of a material, beyond the material's own settings. */
static void check_req_form(chk *k, const ast_item *ai, const ast_req *r, m_req *q, size_t index)
{
	int32_t alt[16];
	size_t n = 0;
	for (size_t j = 0; j < r->alternatives.n; j++) {
		const ast_name *a = &r->alternatives.v[j];
		int m = chk_resolve(k, &k->mats, *a, "material", "E103");
		int dup = m == q->material;
		for (size_t p = 0; p < ai->materials.n; p++)
			dup |= p != index && ai->materials.v[p].material.s &&
			       strcmp(ai->materials.v[p].material.s, a->s) == 0;
		for (size_t p = 0; p < j; p++)
			dup |= strcmp(r->alternatives.v[p].s, a->s) == 0;
		if (dup)
			diag_at(k->c, a->loc, "E110", "list each material once in the item",
				"'%s' is listed twice in this item", a->s);
		else if (m >= 0 && n < OT_COUNTOF(alt))
			alt[n++] = m;
	}
	q->alternatives = chk_ints(k, alt, n);
	q->original = (uint8_t)r->original;
	q->copies = -1;
	if (r->copies.set) {
		if (r->copies.v.scale != 0 || r->copies.v.units < 0 || r->copies.v.units > 100)
			diag_at(k->c, r->copies.loc, "E111", "write a whole number from 0 to 100",
				"the number of copies must be a whole number from 0 to 100");
		else
			q->copies = (int32_t)r->copies.v.units;
	}
	q->medium = MEDIUM_ANY;
	if (r->medium.s) {
		int v = one_of(k, r->medium, "medium (paper, electronic or either)", model_medium_names, 3);
		if (v >= 0)
			q->medium = (uint8_t)v;
	}
}

static void check_item_materials(chk *k, const ast_item *ai, m_item *it)
{
	it->reqs.first = k->m->n_reqs;
	for (size_t i = 0; i < ai->materials.n; i++) {
		const ast_req *r = &ai->materials.v[i];
		int mat = chk_resolve(k, &k->mats, r->material, "material", "E103");
		for (size_t p = 0; p < i; p++)
			if (strcmp(ai->materials.v[p].material.s, r->material.s) == 0)
				diag_at(k->c, r->material.loc, "E110",
					"list each material once; join conditions with 'or'",
					"material '%s' is listed twice in this item", r->material.s);
		if (r->optional && r->deferrable)
			diag_at(k->c, r->loc, "E111",
				"'optional' never blocks; 'deferrable' must arrive before the decision: pick one",
				"a material cannot be both optional and deferrable");
		k->in_materials = 1;
		int cond = r->when ? chk_condition(k, r->when, r->when_loc) : -1;
		k->in_materials = 0;
		if (mat < 0)
			continue;
		const m_material *mm = &k->m->materials[mat];
		if ((mm->holder == HOLDER_PERSON && it->applicant == HOLDER_COMPANY) ||
		    (mm->holder == HOLDER_COMPANY && it->applicant == HOLDER_PERSON))
			diag_at(k->c, r->material.loc, "W402",
				"check the material, or the item's `applicant`",
				"'%s' is held by a %s, but this item's applicant is a %s",
				mm->name, model_holder_names[mm->holder], model_holder_names[it->applicant]);
		m_req *q = &k->m->reqs[k->m->n_reqs++];
		q->material = mat;
		check_req_form(k, ai, r, q, i);
		q->cond = cond;
		q->optional = (uint8_t)r->optional;
		q->deferrable = (uint8_t)r->deferrable;
		m_unit du = UNIT_WORKDAY;
		q->defer_within = duration(k, &r->defer_within, DUR_LIMIT, &du);
		q->defer_unit = (uint8_t)du;
		if (q->defer_within == 0) {
			diag_at(k->c, r->defer_within.loc, "E114",
				"give the time the applicant has to hand it in, such as 5 workdays",
				"a deferred material due within 0 %s cannot be deferred",
				unit_plural(du));
			q->defer_within = -1;
		}
	}
	it->reqs.count = k->m->n_reqs - it->reqs.first;
}

/* `by form.FIELD { value: dept, ... }`: every value of the enum field
 * handled by one department. */
static void check_step_route(chk *k, const ast_step *s, m_step *ms)
{
	ms->route_field = -1;
	ms->dept = -1;
	ms->window = -1;
	if (k->form < 0) {
		diag_at(k->c, s->route_field.loc, "E112",
			"add `form NAME` to the item, or route the step `by DEPARTMENT`",
			"step '%s' is routed by the form, but the item has no form", s->name.s);
		return;
	}
	const m_form *f = &k->m->forms[k->form];
	int field = -1;
	for (uint32_t i = 0; i < f->fields.count; i++)
		if (strcmp(k->m->fields[f->fields.first + i].name, s->route_field.s) == 0)
			field = (int)(f->fields.first + i);
	if (field < 0) {
		diag_at(k->c, s->route_field.loc, "E105",
			arena_printf(k->ma, "route by an enum field of form '%s'", f->name),
			"form '%s' has no field '%s'", f->name, s->route_field.s);
		return;
	}
	const m_field *mf = &k->m->fields[field];
	if (mf->type != FT_ENUM) {
		diag_at(k->c, s->route_field.loc, "E111",
			"route by an enum field: each of its values names who handles the step",
			"field '%s' is not an enum, so it cannot route a step", mf->name);
		return;
	}
	if (!mf->required)
		diag_at(k->c, s->route_field.loc, "E112",
			arena_printf(k->ma, "mark the field `required`: without it no one handles the step"),
			"field '%s' routes step '%s' but may be left empty", mf->name, s->name.s);
	int32_t *depts = arena_alloc(&k->c->ast, (mf->values.count + 1) * sizeof *depts);
	for (uint32_t v = 0; v < mf->values.count; v++)
		depts[v] = -1;
	for (size_t i = 0; i < s->routes.n; i++) {
		const ast_route *r = &s->routes.v[i];
		int v = -1;
		for (uint32_t j = 0; j < mf->values.count; j++)
			if (strcmp(k->strs.v[mf->values.first + j], r->value.s) == 0)
				v = (int)j;
		int d = chk_resolve(k, &k->depts, r->dept, "department", "E101");
		if (v < 0)
			diag_at(k->c, r->value.loc, "E111",
				"the routes are the values of the enum field, each once",
				"'%s' is not a value of field '%s'", r->value.s, mf->name);
		else if (depts[v] >= 0)
			diag_at(k->c, r->value.loc, "E110", "keep one department for each value",
				"'%s' is routed twice", r->value.s);
		else
			depts[v] = d >= 0 ? d : -2;
	}
	buf missing;
	buf_init_arena(&missing, &k->c->ast);
	for (uint32_t v = 0; v < mf->values.count; v++)
		if (depts[v] == -1)
			buf_printf(&missing, "%s'%s'", missing.len ? ", " : "",
				   k->strs.v[mf->values.first + v]);
	if (missing.len)
		diag_at(k->c, s->route_field.loc, "E112",
			"add `VALUE: DEPARTMENT` for each of them",
			"step '%s' has no department for the value %s of field '%s'", s->name.s, missing.p,
			mf->name);
	ms->route_field = field;
	ms->route_depts = chk_ints(k, depts, mf->values.count);
	ms->dept = depts[0] >= 0 ? depts[0] : 0;
}

static void check_step_limits(chk *k, const ast_step *s, m_step *ms)
{
	m_unit wu = UNIT_WORKDAY, pu = UNIT_WORKDAY;
	ms->within = duration(k, &s->within, DUR_LIMIT, &wu);
	ms->promised = duration(k, &s->promised, DUR_LIMIT, &pu);
	ms->within_unit = (uint8_t)wu;
	ms->promised_unit = (uint8_t)pu;
	if (s->promised.set && !s->within.set)
		diag_at(k->c, s->promised.loc, "E112",
			"add `within N workdays` before it: the legal limit the promise shortens",
			"step '%s' has a promised limit but no legal one", s->name.s);
	else if (longer_than(ms->promised, pu, ms->within, wu))
		diag_at(k->c, s->promised.loc, "E401",
			"the promised limit (承诺时限) may only shorten the legal one (法定时限)",
			"step '%s' promises %d %s, longer than its limit of %d %s", s->name.s,
			(int)ms->promised, unit_plural(pu), (int)ms->within, unit_plural(wu));
}

static void check_item_steps(chk *k, const ast_item *ai, m_item *it)
{
	it->steps.first = k->m->n_steps;
	for (size_t i = 0; i < ai->steps.n; i++) {
		const ast_step *s = &ai->steps.v[i];
		for (size_t p = 0; p < i; p++)
			if (strcmp(ai->steps.v[p].name.s, s->name.s) == 0)
				diag_at(k->c, s->name.loc, "E110", "give one of them another name",
					"step '%s' is declared twice in this item", s->name.s);
		m_step *ms = &k->m->steps[k->m->n_steps++];
		ms->name = mstr(k, s->name.s);
		ms->label = mstr(k, s->label);
		if (s->route_field.s)
			check_step_route(k, s, ms);
		else {
			ms->route_field = -1;
			ms->window = resolve_window(k, &s->by, 0, &ms->dept);
		}
		check_step_limits(k, s, ms);
		ms->in_person = (uint8_t)s->in_person;
	}
	it->steps.count = k->m->n_steps - it->steps.first;
	if (!ai->steps.n && !ai->syntax_errors)
		diag_at(k->c, ai->name.loc, "E112",
			"add steps { intake \"受理\" by DEPARTMENT ... }",
			"item '%s' has no steps", ai->name.s);
}

/* hook "x.lua" needs applicant_id, applicant_name */
static void check_hook_needs(chk *k, const ast_item *ai, m_item *it)
{
	static const char *const seeable[] = {"applicant_id", "applicant_name"};
	if (ai->hook_word.s && strcmp(ai->hook_word.s, "needs") != 0) {
		static const char *const needs[] = {"needs"};
		const char *best = chk_suggest(ai->hook_word.s, needs, 1);
		diag_at(k->c, ai->hook_word.loc, "E111",
			"write: hook \"FILE.lua\" needs applicant_id, applicant_name",
			"'%s' cannot follow the hook file%s", ai->hook_word.s,
			best ? " — did you mean 'needs'?" : "");
		return;
	}
	for (size_t i = 0; i < ai->hook_needs.n; i++) {
		int v = one_of(k, ai->hook_needs.v[i], "personal data a hook may read", seeable, 2);
		if (v >= 0)
			it->hook_sees |= (uint8_t)(1u << v);
	}
}

/* `… for 1 year unless K`: K, a material other than the licence m; one
 * keeper for every item that issues m (the library's licences of m are
 * all kept so).  -1 after an error. */
static int issue_keeper(chk *k, const ast_issue *is, int m)
{
	if (strcmp(is->unless.s, "unless") != 0) {
		diag_at(k->c, is->unless.loc, "E115",
			arena_printf(k->ma, "write: issues %s for 1 year unless LICENCE", is->name.s),
			"expected 'unless' and the licence that keeps it valid, not '%s'",
			is->unless.s);
		return -1;
	}
	int keeper = chk_resolve(k, &k->mats, is->keeper, "material", "E103");
	if (keeper < 0 || m < 0)
		return -1;
	int before = k->m->materials[m].kept_by;
	if (keeper == m)
		diag_at(k->c, is->keeper.loc, "E111", "name the licence whose holding keeps it valid",
			"a licence cannot keep itself valid");
	else if (before >= 0 && before != keeper)
		diag_at(k->c, is->keeper.loc, "E113", "write the same licence after each 'unless'",
			"'%s' is kept valid by '%s' where another item issues it", is->name.s,
			k->m->materials[before].name);
	else
		return keeper;
	return -1;
}

/* Once every item is read: the licence after `unless` must reach the
 * library (an item `issues` it, or a department issues it), else the
 * clause can never keep anything. */
static void check_keepers(chk *k)
{
	const ast_unit *u = &k->c->unit;
	for (size_t i = 0; i < u->items.n; i++)
		for (size_t j = 0; j < u->items.v[i]->issues.n; j++) {
			const ast_issue *is = &u->items.v[i]->issues.v[j];
			int m = is->keeper.s ? strmap_get(&k->mats, is->keeper.s, strlen(is->keeper.s)) : -1;
			const m_material *mm = m >= 0 ? &k->m->materials[m] : NULL;
			if (mm && is->unless.s && strcmp(is->unless.s, "unless") == 0 && !mm->issued &&
			    mm->source != SRC_ISSUED)
				diag_at(k->c, is->keeper.loc, "E111",
					"name a licence that an item `issues` or a department issues "
					"(source issued_by)",
					"'%s' cannot keep '%s' valid: no item issues it, so it is never "
					"in the licence library", is->keeper.s, is->name.s);
		}
}

/* issues land_cert for 5 years: an approval puts these into the licence
 * library, valid for the period given (or until revoked). */
static void check_item_issues(chk *k, const ast_item *ai, m_item *it)
{
	m_issue *out = arena_alloc(k->ma, (ai->issues.n + 1) * sizeof *out);
	for (size_t i = 0; i < ai->issues.n; i++) {
		const ast_issue *is = &ai->issues.v[i];
		int m = chk_resolve(k, &k->mats, is->name, "material", "E103");
		m_issue x = {m, {-1, UNIT_YEAR}, -1};
		if (is->word.s && strcmp(is->word.s, "for") != 0)
			diag_at(k->c, is->word.loc, "E115",
				arena_printf(k->ma, "write: issues %s for 5 years", is->name.s),
				"expected 'for' and how long the licence is valid, not '%s'",
				is->word.s);
		else if (is->word.s) {
			x.valid.n = duration(k, &is->valid, DUR_ANY, &x.valid.unit);
			if (x.valid.n >= 0 && (x.valid.unit == UNIT_WORKDAY || x.valid.unit == UNIT_HOUR)) {
				diag_at(k->c, is->valid.unit.loc, "E114", "give it in days, months or years",
					"a licence is valid for calendar days, months or years");
				x.valid.n = -1;
			}
		}
		for (size_t j = 0; j < i && m >= 0; j++)
			if (out[j].material == m)
				diag_at(k->c, is->name.loc, "E113", "keep one",
					"'%s' is issued twice", is->name.s);
		if (is->unless.s && x.valid.n >= 0)
			x.kept_by = issue_keeper(k, is, m);
		if (m >= 0) {
			out[it->n_issued++] = x;
			k->m->materials[m].issued = 1;
			if (x.kept_by >= 0)
				k->m->materials[m].kept_by = x.kept_by;
		}
	}
	it->issued = out;
}

/* The guide's result_library (结果是否纳入电子证照库) and `issues` tell the
 * same: what an item issues goes into the licence library, and a result
 * said to go there is issued (W409).  A guide line already reported
 * (E111, E113) is not looked at again. */
static void check_guide_library(chk *k, const ast_item *ai, const m_item *it)
{
	if (!it->guide)
		return;
	const ast_guide *line = NULL;
	for (size_t i = 0; i < ai->guide.n && !line; i++)
		if (ai->guide.v[i].key.s && !strcmp(ai->guide.v[i].key.s, "result_library"))
			line = &ai->guide.v[i];
	if (line && (line->args.n != 1 || line->args.v[0].text ||
		     guide_word("yes no", line->args.v[0].s) < 0))
		return;
	int yes = line && it->guide->result_library;
	if (yes && !ai->issues.n)
		diag_at(k->c, line->args.v[0].loc, "W409",
			"add `issues MATERIAL` for the licence the item issues (a material declared "
			"for it), or write result_library no",
			"the guide says the result goes into the licence library, but item '%s' "
			"issues nothing", ai->name.s);
	else if (!yes && ai->issues.n)
		diag_at(k->c, line ? line->args.v[0].loc : ai->issues.v[0].name.loc, "W409",
			line ? "write result_library yes, or take out the `issues` if the result "
			       "does not go into the 电子证照库"
			     : "add result_library yes to the guide (结果纳入电子证照库)",
			"item '%s' issues '%s' into the licence library, but its guide %s",
			ai->name.s, ai->issues.v[0].name.s,
			line ? "says result_library no" : "does not say result_library yes");
}

/* A computed field is filled in by the item's derive hook. */
static void check_computed(chk *k, const ast_item *ai, const m_item *it)
{
	if (it->form < 0 || ai->hook)
		return;
	const m_form *f = &k->m->forms[it->form];
	for (uint32_t i = 0; i < f->fields.count; i++)
		if (k->m->fields[f->fields.first + i].computed) {
			diag_at(k->c, ai->attr_loc[IA_FORM], "E112",
				"add `hook \"hooks/FILE.lua\"` with a derive(case) function that fills it in",
				"form '%s' has the computed field '%s', but item '%s' has no hook to compute it",
				f->name, k->m->fields[f->fields.first + i].name, ai->name.s);
			return;
		}
}

/* The hook files read so far as the engine will see them, so a probed
 * file can require the modules beside it. */
static json_t *hook_sources(chk *k)
{
	if (!k->c->hook_sources)
		k->c->hook_sources = json_pack("{s:{}}", "hooks");
	json_t *files = json_object_get(k->c->hook_sources, "hooks");
	for (size_t i = json_object_size(files); i < k->c->hooks.n; i++)
		json_object_set_new(files, k->c->hooks.v[i].real,
				    json_stringn(k->c->hooks.v[i].text, k->c->hooks.v[i].len));
	return k->c->hook_sources;
}

/* Runs the item's hook file once in the sandbox: a Lua error (E024) or a
 * function the rules rely on that the file does not define (E204) is
 * found here, not when the first applicant comes. */
static void probe_hook(chk *k, const ast_item *ai, m_item *it)
{
	if (!it->hook_path)
		return;
	const dsl_file *h = NULL;
	for (size_t i = 0; i < k->c->hooks.n; i++)
		if (!strcmp(k->c->hooks.v[i].real, it->hook_path))
			h = &k->c->hooks.v[i];
	if (!h)
		return;
	/* what the rules rely on, then the hook points that are optional */
	static const char *const points[] = {"validate", "derive", "route", "on_enter", "on_exit"};
	const char *names[80];
	uint8_t required[80], defined[80];
	int n = 0;
	for (size_t i = 0; i < k->lua_names.n && n < 60; i++, n++) {
		names[n] = k->lua_names.v[i];
		required[n] = 1;
	}
	int routed = 0, computed = 0;
	for (uint32_t i = 0; i < it->rules.count; i++)
		routed |= k->m->rules[it->rules.first + i].guard == G_ROUTE;
	for (uint32_t i = 0; it->form >= 0 && i < k->m->forms[it->form].fields.count; i++)
		computed |= k->m->fields[k->m->forms[it->form].fields.first + i].computed;
	for (size_t i = 0; i < OT_COUNTOF(points); i++, n++) {
		names[n] = points[i];
		required[n] = (i == 1 && computed) || (i == 2 && routed);
	}
	char error[768];
	dsl_loc at = ai->attr_loc[IA_HOOK];
	int rc = hook_probe(k->m, (int)(it - k->m->items), hook_sources(k), h->real, ai->hook,
			    names, n, defined, error, sizeof error);
	if (rc < 0) {
		char *nl = strchr(error, '\n'); /* the first line: file:line: message */
		if (nl)
			*nl = 0;
		diag_at(k->c, at, "E024", "fix the Lua file; the message gives its line",
			"the hook file has an error: %s", error);
		return;
	}
	buf missing;
	buf_init_arena(&missing, &k->c->ast);
	it->hook_fns.first = (uint32_t)k->strs.n;
	for (int i = 0; i < n; i++) {
		if (rc == 0 && required[i] && !defined[i])
			buf_printf(&missing, "%s%s", missing.len ? ", " : "", names[i]);
		if (defined[i]) {
			int dup = 0;
			for (uint32_t j = it->hook_fns.first; j < k->strs.n; j++)
				dup |= !strcmp(k->strs.v[j], names[i]) ||
				       (!strncmp(k->strs.v[j], "lua.", 4) && !strcmp(k->strs.v[j] + 4, names[i]));
			if (!dup)
				VEC_PUSH(k->ma, k->strs, i < (int)k->lua_names.n
					 ? arena_printf(k->ma, "lua.%s", names[i]) : mstr(k, names[i]));
		}
	}
	it->hook_fns.count = (uint32_t)k->strs.n - it->hook_fns.first;
	if (missing.len)
		diag_at(k->c, at, "E204",
			"define the function in the hook file: function NAME(...) ... end",
			"hook file \"%s\" does not define %s, which item '%s' relies on",
			ai->hook, missing.p, ai->name.s);
}

static void check_item(chk *k, size_t index)
{
	const ast_item *ai = k->c->unit.items.v[index];
	m_item *it = &k->m->items[index];
	k->item = ai;
	it->name = mstr(k, ai->name.s);
	it->label = mstr(k, ai->label);
	it->code = mstr(k, ai->code);
	it->hook = mstr(k, ai->hook);
	check_item_values(k, ai, it);
	it->dept = chk_resolve(k, &k->depts, ai->department, "department", "E101");
	if (!ai->department.s)
		diag_at(k->c, ai->name.loc, "E112", "add `department NAME`: who decides",
			"item '%s' has no department", ai->name.s);
	it->from_dept = chk_resolve(k, &k->depts, ai->transferred_from, "department", "E101");
	int wdept;
	it->window = ai->window.a.s ? resolve_window(k, &ai->window, 1, &wdept) : -1;
	it->form = k->form = ai->form.s ? chk_resolve(k, &k->forms, ai->form, "form", "E104") : -1;
	check_item_limits(k, ai, it);
	check_item_law(k, ai, it);
	check_item_in_force(k, ai, it);
	it->notes.first = (uint32_t)k->strs.n;
	for (size_t i = 0; i < ai->notes.n; i++)
		VEC_PUSH(k->ma, k->strs, mstr(k, ai->notes.v[i]));
	it->notes.count = (uint32_t)ai->notes.n;
	const char *real = NULL;
	int hook = ai->hook ? dsl_hash_file(k->c, ai->attr_loc[IA_HOOK].file, ai->hook, &real) : 1;
	it->hook_path = hook == 1 ? mstr(k, real) : NULL;
	check_hook_needs(k, ai, it);
	if (hook == 0)
		diag_at(k->c, ai->attr_loc[IA_HOOK], "W404",
			"the path is relative to this rule file",
			"hook file \"%s\" not found", ai->hook);
	else if (hook < 0)
		diag_at(k->c, ai->attr_loc[IA_HOOK], "E023", "save the hook file as UTF-8",
			"hook file \"%s\" is not UTF-8 text", ai->hook);
	check_item_materials(k, ai, it);
	check_item_pledge(k, ai, it);
	check_item_guide(k, ai, it);
	check_item_issues(k, ai, it);
	check_guide_library(k, ai, it);
	check_computed(k, ai, it);
	check_item_steps(k, ai, it);
	check_item_procedures(k, ai, it);
	if (!ai->syntax_errors && it->steps.count)
		chk_flow(k, it);
	probe_hook(k, ai, it);
	if (!ai->syntax_errors && it->steps.count)
		check_guide_presence(k, ai, index);
	k->lua_names.n = 0;
	k->item = NULL;
	k->form = -1;
}

/* ---- chains ---- */

static int stage_cycle(const int32_t *after_first, const uint32_t *after_count,
		       const int32_t *after, int s, uint8_t *state)
{
	if (state[s] == 1)
		return 1;
	if (state[s] == 2)
		return 0;
	state[s] = 1;
	for (uint32_t i = 0; i < after_count[s]; i++)
		if (stage_cycle(after_first, after_count, after, after[after_first[s] + (int)i], state))
			return 1;
	state[s] = 2;
	return 0;
}

/* A stage's days (model.c's stage_path, as the chain's) against its own
 * `within`: at run time a stage given less than its items take is overdue
 * while they are on time (W410). */
static void check_stage_within(chk *k, const ast_stage *as, uint32_t stage)
{
	m_stage *ms = &k->m->stages[stage];
	int32_t path[STAGE_MAX_ITEMS];
	int np = 0;
	ms->days = stage_path(k->m, k->ints.v, stage, path, STAGE_MAX_ITEMS, &np);
	if (ms->within < 0 || ms->days <= ms->within)
		return;
	buf b;
	buf_init_arena(&b, &k->c->ast);
	for (int i = 0; i < np; i++) {
		const m_item *it = &k->m->items[k->ints.v[ms->items.first + (uint32_t)path[i]]];
		buf_printf(&b, "%s%s (%d)", i == 0 ? "" : " → ", it->name, (int)item_days(it));
	}
	diag_at(k->c, as->within.loc, "W410",
		arena_printf(k->ma, "the longest way through its items' promised limits: %s; "
			     "give the stage at least %d workdays, or shorten its items' promised limits", b.p,
			     (int)ms->days),
		"stage '%s' is given %d workdays, but its items take %d", as->name.s,
		(int)ms->within, (int)ms->days);
}

/* The static critical path (model.c's chain_days, the one place it is
 * computed) against total_limit: W406. */
static void check_chain_total(chk *k, const ast_chain *ac, m_chain *mc)
{
	int32_t path[256];
	int np = 0;
	int32_t total = chain_days(k->m, k->ints.v, mc, path, 256, &np);
	mc->critical_days = total;
	mc->critical = chk_ints(k, path, (size_t)np);
	for (uint32_t s = 0; s < mc->stages.count; s++)
		check_stage_within(k, &ac->stages.v[s], mc->stages.first + s);
	mc->max_trips = chain_max_trips(k->m, k->ints.v, mc);
	if (mc->total_limit < 0 || total <= mc->total_limit)
		return;
	buf b;
	buf_init_arena(&b, &k->c->ast);
	for (int i = 0; i < np; i++) {
		const m_stage *st = &k->m->stages[mc->stages.first + (uint32_t)path[i]];
		buf_printf(&b, "%s%s (%d)", i == 0 ? "" : " → ", st->name, (int)st->days);
	}
	diag_at(k->c, ac->total.loc, "W406",
		arena_printf(k->ma, "the stages, each as long as the longest way through its items' promised limits: %s", b.p),
		"the stages take %d workdays, more than the chain's total_limit of %d",
		(int)total, (int)mc->total_limit);
}

/* `C after A, B` inside a stage: both in the stage, no cycle (E505, E504);
 * the sets go to ints[] as stage->waits.  Returns 0 on a mistake. */
static int check_stage_waits(chk *k, const ast_stage *as, m_stage *ms, const int32_t *items,
			     size_t ni)
{
	if (!as->waits.n)
		return 1;
	int32_t waits[STAGE_MAX_ITEMS] = {0};
	int ok = 1;
	for (size_t w = 0; w < as->waits.n; w++) {
		const ast_wait *aw = &as->waits.v[w];
		int who = -1;
		for (size_t j = 0; j < ni; j++)
			if (strcmp(k->m->items[items[j]].name, aw->item.s) == 0)
				who = (int)j;
		const ast_name *names[65];
		size_t nn = 0;
		names[nn++] = &aw->item;
		for (size_t a = 0; a < aw->after.n && nn < 65; a++)
			names[nn++] = &aw->after.v[a];
		for (size_t a = 0; a < nn; a++) {
			int pos = -1;
			for (size_t j = 0; j < ni; j++)
				if (strcmp(k->m->items[items[j]].name, names[a]->s) == 0)
					pos = (int)j;
			if (pos < 0) {
				diag_at(k->c, names[a]->loc, "E505",
					arena_printf(k->ma, "list it in the stage's `items` first, or wait for it with `after` between stages"),
					"'%s' is not an item of stage '%s'", names[a]->s, as->name.s);
				ok = 0;
			} else if (a > 0 && pos == who) {
				diag_at(k->c, names[a]->loc, "E504", "an item can only wait for other items",
					"item '%s' is said to come after itself", names[a]->s);
				ok = 0;
			} else if (a > 0 && who >= 0)
				waits[who] |= (int32_t)(1u << pos);
		}
	}
	/* a cycle: some items can never start */
	uint32_t done = 0, all = ni == 32 ? 0xffffffffu : (1u << ni) - 1;
	for (size_t round = 0; round < ni; round++)
		for (size_t j = 0; j < ni; j++)
			if (((uint32_t)waits[j] & done) == (uint32_t)waits[j])
				done |= 1u << j;
	if (ok && done != all) {
		diag_at(k->c, as->name.loc, "E504", "remove one 'after' so the items have an order",
			"the items of stage '%s' wait for each other in a cycle", as->name.s);
		ok = 0;
	}
	if (ok)
		ms->waits = chk_ints(k, waits, ni);
	return ok;
}

/* Does `newer` replace `older`, directly or through versions between? */
static int replaces_in_turn(const m_model *m, int newer, int older)
{
	for (int v = m->items[newer].replaces, n = 0; v >= 0 && n < (int)m->n_items;
	     v = m->items[v].replaces, n++)
		if (v == older)
			return 1;
	return 0;
}

static int versions_of_one(const m_model *m, int a, int b)
{
	return replaces_in_turn(m, a, b) || replaces_in_turn(m, b, a);
}

/* A chain opens, on each day, the version of a listed item in force then
 * (api_chain.c): every version must fit the chain as the listed one does
 * -- the form the chain fills in, the applicant it is for, how it is
 * applied for (W411). */
static void check_chain_versions(chk *k, dsl_loc at, int it)
{
	const m_model *m = k->m;
	const m_item *mi = &m->items[it];
	for (uint32_t v = 0; v < m->n_items; v++) {
		const m_item *mv = &m->items[v];
		if ((int)v == it || !versions_of_one(m, it, (int)v))
			continue;
		char differs[160];
		if (mv->form != mi->form)
			snprintf(differs, sizeof differs, "uses %s%s%s where '%s' uses %s%s%s",
				 mv->form >= 0 ? "form '" : "no form", mv->form >= 0 ? m->forms[mv->form].name : "",
				 mv->form >= 0 ? "'" : "", mi->name, mi->form >= 0 ? "form '" : "no form",
				 mi->form >= 0 ? m->forms[mi->form].name : "", mi->form >= 0 ? "'" : "");
		else if (mv->applicant != mi->applicant)
			snprintf(differs, sizeof differs, "is for applicants '%s' where '%s' is for '%s'",
				 model_holder_names[mv->applicant], mi->name,
				 model_holder_names[mi->applicant]);
		else if (mv->online != mi->online)
			snprintf(differs, sizeof differs, "is online %s where '%s' is online %s",
				 model_online_names[mv->online], mi->name, model_online_names[mi->online]);
		else
			continue;
		diag_at(k->c, at, "W411", "give every version a chain opens the listed item's form, "
			"applicant and online level", "item '%s', which the chain opens for '%s' on its "
			"days, %s", mv->name, mi->name, differs);
	}
}

/* The items of stage i, their `when`, W405, E503 (in_stage: item index ->
 * 1 + the stage it is in), the stage's lead department, limit and waits.
 * Returns 0 on a mistake that keeps the chain from being measured. */
static int check_stage_items(chk *k, const ast_chain *ac, m_chain *mc, size_t i,
			     int32_t *in_stage)
{
	const ast_stage *as = &ac->stages.v[i];
	m_stage *ms = &k->m->stages[mc->stages.first + i];
	int32_t items[256] = {0}, conds[256] = {0};
	dsl_loc item_loc[256];
	size_t ni = 0;
	int any_cond = 0, ok = 1, last_cond = -1;
	const ast_expr *last_when = NULL;
	for (size_t j = 0; j < as->items.n && ni < 256; j++) {
		int it = chk_resolve(k, &k->items, as->items.v[j], "item", "E106");
		if (it < 0) {
			ok = 0;
			continue;
		}
		const ast_expr *when = j < as->when.n ? as->when.v[j] : NULL;
		if (when && when != last_when) {
			/* `items A, B when COND`: one condition, on the chain's form */
			int saved = k->form;
			k->form = mc->form;
			last_cond = chk_condition(k, when, as->when_loc.v[j]);
			k->form = saved;
			last_when = when;
			ok &= last_cond >= 0;
		}
		conds[ni] = when ? last_cond : -1;
		any_cond |= when != NULL;
		item_loc[ni] = as->items.v[j].loc;
		items[ni++] = it;
		const m_item *mi = &k->m->items[it];
		if (mc->form >= 0 && mi->form != mc->form)
			diag_at(k->c, as->items.v[j].loc, "W405",
				"one chain, one form (一表申请): give the item the chain's form",
				"item '%s' uses %s%s%s, not the chain's form '%s'", mi->name,
				mi->form >= 0 ? "form '" : "no form",
				mi->form >= 0 ? k->m->forms[mi->form].name : "",
				mi->form >= 0 ? "'" : "", k->m->forms[mc->form].name);
		check_chain_versions(k, as->items.v[j].loc, it);
	}
	ms->items = chk_ints(k, items, ni);
	if (any_cond)
		ms->conds = chk_ints(k, conds, ni);
	ms->dept = as->dept.s ? chk_resolve(k, &k->depts, as->dept, "department", "E101") : -1;
	ms->within = duration(k, &as->within, 1, NULL);
	if (ni > STAGE_MAX_ITEMS) {
		diag_at(k->c, as->name.loc, "E112", "split the stage in two, one after the other",
			"stage '%s' has %zu items; a stage has at most %d", as->name.s, ni,
			STAGE_MAX_ITEMS);
		ok = 0;
	} else if (!check_stage_waits(k, as, ms, items, ni))
		ok = 0;
	for (size_t j = 0; j < ni; j++) {
		int prev = in_stage[items[j]] - 1;
		if (prev >= 0 && prev != (int)i) {
			diag_at(k->c, item_loc[j], "E503",
				"keep it in one stage; a later stage that needs its result lists it in `after`",
				"item '%s' is in stage '%s' and in stage '%s' of chain '%s'",
				k->m->items[items[j]].name, ac->stages.v[prev].name.s, as->name.s,
				ac->name.s);
			ok = 0;
		} else if (prev < 0)
			in_stage[items[j]] = (int32_t)i + 1;
		if (mc->calendar < 0)
			mc->calendar = k->m->items[items[j]].calendar;
	}
	if (!as->items.n)
		diag_at(k->c, as->name.loc, "E112", "add `items ITEM, ITEM` to the stage",
			"stage '%s' has no items", as->name.s);
	return ok;
}

/* At most CHAIN_MAX_ITEMS items in all the stages (E112). */
static int check_chain_size(chk *k, const ast_chain *ac, const m_chain *mc)
{
	uint32_t total = 0;
	for (uint32_t i = 0; i < mc->stages.count; i++)
		total += k->m->stages[mc->stages.first + i].items.count;
	if (total <= CHAIN_MAX_ITEMS)
		return 1;
	diag_at(k->c, ac->name.loc, "E112", "split it into two chains, one after the other",
		"chain '%s' has %u items; a chain has at most %d", ac->name.s, total,
		CHAIN_MAX_ITEMS);
	return 0;
}

static void check_chain_stages(chk *k, const ast_chain *ac, m_chain *mc)
{
	size_t n = ac->stages.n;
	strmap names;
	strmap_init(&names, &k->c->ast);
	mc->stages.first = k->m->n_stages;
	mc->stages.count = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		const ast_stage *as = &ac->stages.v[i];
		if (strmap_put(&names, as->name.s, strlen(as->name.s), (int)i) >= 0)
			diag_at(k->c, as->name.loc, "E110", "give one of them another name",
				"chain '%s' has two stages named '%s'", ac->name.s, as->name.s);
	}
	VEC(int32_t) all = {0};
	/* item index -> 1 + the stage it is in */
	int32_t *in_stage = arena_alloc(&k->c->ast, (k->m->n_items + 1) * sizeof *in_stage);
	if (in_stage)
		memset(in_stage, 0, (k->m->n_items + 1) * sizeof *in_stage);
	int ok = 1;
	int32_t *first = arena_alloc(&k->c->ast, (n + 1) * sizeof *first);
	uint32_t *count = arena_alloc(&k->c->ast, (n + 1) * sizeof *count);
	for (size_t i = 0; i < n; i++) {
		const ast_stage *as = &ac->stages.v[i];
		m_stage *ms = &k->m->stages[mc->stages.first + i];
		ms->name = mstr(k, as->name.s);
		ms->label = mstr(k, as->label);
		first[i] = (int32_t)all.n;
		for (size_t j = 0; j < as->after.n; j++) {
			int s = chk_resolve(k, &names, as->after.v[j], "stage", "E108");
			if (s == (int)i) {
				diag_at(k->c, as->after.v[j].loc, "E501",
					"a stage can only come after other stages",
					"stage '%s' is said to come after itself", as->name.s);
				continue;
			}
			if (s >= 0)
				VEC_PUSH(&k->c->ast, all, s);
		}
		count[i] = (uint32_t)all.n - (uint32_t)first[i];
		ms->after = chk_ints(k, all.v ? all.v + first[i] : NULL, count[i]);
		ok &= check_stage_items(k, ac, mc, i, in_stage);
	}
	ok &= check_chain_size(k, ac, mc);
	uint8_t *state = arena_alloc(&k->c->ast, n + 1);
	int cyclic = 0;
	for (size_t i = 0; i < n && !cyclic; i++)
		if (!state[i] && stage_cycle(first, count, all.v, (int)i, state)) {
			diag_at(k->c, ac->stages.v[i].name.loc, "E502",
				"remove one 'after' so the stages have an order",
				"the stages of chain '%s' wait for each other in a cycle", ac->name.s);
			cyclic = 1;
		}
	k->m->n_stages += (uint32_t)n;
	if (!cyclic && ok)
		check_chain_total(k, ac, mc);
}

static void check_chains(chk *k)
{
	for (size_t i = 0; i < k->c->unit.chains.n; i++) {
		const ast_chain *ac = k->c->unit.chains.v[i];
		m_chain *mc = &k->m->chains[i];
		mc->name = mstr(k, ac->name.s);
		mc->label = mstr(k, ac->label);
		int d;
		mc->window = ac->window.a.s ? resolve_window(k, &ac->window, 1, &d) : -1;
		mc->form = ac->form.s ? chk_resolve(k, &k->forms, ac->form, "form", "E104") : -1;
		mc->total_limit = duration(k, &ac->total, DUR_WORKDAYS, NULL);
		mc->calendar = -1;
		mc->critical_days = -1;
		check_chain_stages(k, ac, mc);
	}
}

/* ---- hook limits and providers ---- */

static void check_limits(chk *k)
{
	/* name, default, range, how a value is said; one row a limit */
	static const struct {
		const char *name;
		int64_t def, lo, hi;
		const char *hint, *unit;
	} lim[] = {
		{"instructions", 1000000, 10000, 1000000000, "from 10000 to 1000000000", "instructions"},
		{"memory_mb", 8, 1, 1024, "from 1 to 1024 (megabytes)", "MB"},
		{"time_ms", 1000, 10, 60000, "from 10 to 60000 (milliseconds)", "ms"},
	};
	static const char *const names[] = {"instructions", "memory_mb", "time_ms"};
	int64_t v[3];
	for (int i = 0; i < 3; i++)
		v[i] = lim[i].def;
	unsigned seen = 0;
	for (size_t i = 0; i < k->c->unit.limits.n; i++) {
		const ast_limit *l = &k->c->unit.limits.v[i];
		int w = one_of(k, l->name, "hook limit", names, 3);
		if (w < 0)
			continue;
		if (seen & (1u << w))
			diag_at(k->c, l->loc, "E113", "keep one", "'%s' is given twice", names[w]);
		seen |= 1u << w;
		if (l->n < lim[w].lo || l->n > lim[w].hi)
			diag_at(k->c, l->loc, "E111", lim[w].hint,
				"%lld %s is outside what a hook may be given", (long long)l->n, lim[w].unit);
		else
			v[w] = l->n;
	}
	k->m->hook_instructions = v[0];
	k->m->hook_memory = v[1] << 20;
	k->m->hook_time_ms = v[2];
}

static void check_providers(chk *k)
{
	static const char *const kinds[] = {"licences", "lua"};
	const ast_unit *u = &k->c->unit;
	k->m->providers = arena_alloc(k->ma, (u->providers.n + 1) * sizeof *k->m->providers);
	for (size_t i = 0; i < u->providers.n; i++) {
		const ast_provider *ap = &u->providers.v[i];
		for (size_t j = 0; j < i; j++)
			if (strcmp(u->providers.v[j].name, ap->name) == 0)
				diag_at(k->c, ap->name_loc, "E110", "keep one of them",
					"the data source \"%s\" has two providers", ap->name);
		m_provider *p = &k->m->providers[k->m->n_providers++];
		p->name = mstr(k, ap->name);
		int kind = one_of(k, ap->kind, "kind of provider", kinds, 2);
		p->kind = kind == 1 ? PROVIDER_LUA : PROVIDER_LICENCES;
		if (kind == 1) {
			const char *real = NULL;
			if (!ap->path)
				diag_at(k->c, ap->loc, "E112", "write: provider \"NAME\" lua \"hooks/FILE.lua\"",
					"a Lua provider needs its module file");
			else if (dsl_hash_file(k->c, ap->loc.file, ap->path, &real) != 1)
				diag_at(k->c, ap->loc, "E020", "the path is relative to this rule file",
					"cannot read the provider module \"%s\"", ap->path);
			else {
				p->path = mstr(k, real);
				p->file = mstr(k, ap->path);
			}
		} else {
			p->label = mstr(k, ap->path);
		}
	}
}

/* A Lua provider module is run once, like a hook file: a Lua error (E024)
 * or a missing fetch (E204) shows now, not at the first application. */
static void probe_providers(chk *k)
{
	const ast_unit *u = &k->c->unit;
	for (uint32_t i = 0; i < k->m->n_providers; i++) {
		const m_provider *p = &k->m->providers[i];
		const dsl_file *h = NULL;
		for (size_t j = 0; p->path && j < k->c->hooks.n; j++)
			if (!strcmp(k->c->hooks.v[j].real, p->path))
				h = &k->c->hooks.v[j];
		if (!h)
			continue;
		static const char *const names[] = {"fetch"};
		uint8_t defined[1];
		char error[768];
		int rc = hook_probe(k->m, -1, hook_sources(k), h->real, p->file, names, 1, defined,
				    error, sizeof error);
		char *nl = strchr(error, '\n');
		if (nl)
			*nl = 0;
		if (rc < 0)
			diag_at(k->c, u->providers.v[i].loc, "E024",
				"fix the Lua file; the message gives its line",
				"the provider module has an error: %s", error);
		else if (rc == 0 && !defined[0])
			diag_at(k->c, u->providers.v[i].loc, "E204",
				"define it: function fetch(request) ... end",
				"provider module \"%s\" does not define fetch", p->file);
	}
}

/* `use FORM` inside a form: that form's fields, in its order, take the
 * place of the line (and its own `use` lines, in turn).  Done on the AST
 * before anything is counted, so a form is simply the longer list. */
static void drop_uses(ast_form *f)
{
	size_t n = 0;
	for (size_t i = 0; i < f->fields.n; i++)
		if (!f->fields.v[i].base.s)
			f->fields.v[n++] = f->fields.v[i];
	f->fields.n = n;
}

static int expand_form(chk *k, ast_form *f, int depth)
{
	int has = 0;
	for (size_t i = 0; i < f->fields.n && !has; i++)
		has = f->fields.v[i].base.s != NULL;
	if (!has)
		return 1;
	if (depth > 16)
		return 0;
	ast_form out = *f;
	memset(&out.fields, 0, sizeof out.fields);
	for (size_t i = 0; i < f->fields.n; i++) {
		const ast_field *fd = &f->fields.v[i];
		if (!fd->base.s) {
			VEC_PUSH(&k->c->ast, out.fields, *fd);
			continue;
		}
		int b = chk_resolve(k, &k->forms, fd->base, "form", "E104");
		if (b < 0)
			continue;
		ast_form *base = k->c->unit.forms.v[b];
		/* the recursion may rewrite f's list under fd */
		dsl_loc at = fd->loc;
		ast_name use = fd->base;
		if (base == f || !expand_form(k, base, depth + 1)) {
			if (depth == 0)
				diag_at(k->c, at, "E021", "take the shared fields into a form that uses no other",
					"form '%s' uses '%s', which leads back to '%s'", f->name.s,
					base->name.s, f->name.s);
			drop_uses(f);
			return 0;
		}
		for (size_t j = 0; j < base->fields.n; j++) {
			ast_field copy = base->fields.v[j];
			if (!copy.via.s)
				copy.via = use;
			VEC_PUSH(&k->c->ast, out.fields, copy);
		}
	}
	f->fields = out.fields;
	return 1;
}

static void expand_forms(chk *k)
{
	for (size_t i = 0; i < k->c->unit.forms.n; i++)
		expand_form(k, k->c->unit.forms.v[i], 0);
}

/* ---- the model ---- */

#define ALLOC_ARRAY(k, field, n)                                              \
	((k)->m->field = arena_alloc((k)->ma, ((n) + 1) * sizeof *(k)->m->field))

static void allocate(chk *k)
{
	const ast_unit *u = &k->c->unit;
	size_t windows = 0, fields = 0, reqs = 0, steps = 0, rules = 0, stages = 0,
	       holidays = 0;
	for (size_t i = 0; i < u->departments.n; i++)
		windows += u->departments.v[i]->windows.n;
	for (size_t i = 0; i < u->forms.n; i++)
		fields += u->forms.v[i]->fields.n;
	for (size_t i = 0; i < u->items.n; i++) {
		reqs += u->items.v[i]->materials.n;
		steps += u->items.v[i]->steps.n;
		rules += u->items.v[i]->flow.n + u->items.v[i]->steps.n;
	}
	for (size_t i = 0; i < u->chains.n; i++)
		stages += u->chains.v[i]->stages.n;
	for (size_t i = 0; i < u->calendars.n; i++)
		for (size_t j = 0; j < u->calendars.v[i]->days.n; j++)
			holidays += u->calendars.v[i]->days.v[j].spans.n;
	ALLOC_ARRAY(k, calendars, u->calendars.n);
	k->m->n_calendars = (uint32_t)u->calendars.n;
	ALLOC_ARRAY(k, holidays, holidays);
	ALLOC_ARRAY(k, departments, u->departments.n);
	k->m->n_departments = (uint32_t)u->departments.n;
	ALLOC_ARRAY(k, windows, windows);
	ALLOC_ARRAY(k, materials, u->materials.n);
	k->m->n_materials = (uint32_t)u->materials.n;
	ALLOC_ARRAY(k, forms, u->forms.n);
	k->m->n_forms = (uint32_t)u->forms.n;
	ALLOC_ARRAY(k, fields, fields);
	ALLOC_ARRAY(k, items, u->items.n);
	k->m->n_items = (uint32_t)u->items.n;
	ALLOC_ARRAY(k, reqs, reqs);
	ALLOC_ARRAY(k, steps, steps);
	size_t procedures = 0;
	for (size_t i = 0; i < u->items.n; i++)
		procedures += u->items.v[i]->procedures.n;
	ALLOC_ARRAY(k, procedures, procedures);
	ALLOC_ARRAY(k, rules, rules);
	ALLOC_ARRAY(k, chains, u->chains.n);
	k->m->n_chains = (uint32_t)u->chains.n;
	ALLOC_ARRAY(k, stages, stages);
}

static void declare_all(chk *k)
{
	const ast_unit *u = &k->c->unit;
	for (size_t i = 0; i < u->calendars.n; i++)
		declare(k, &k->cals, u->calendars.v[i]->name, (int)i, "calendar", cal_loc);
	for (size_t i = 0; i < u->departments.n; i++)
		declare(k, &k->depts, u->departments.v[i]->name, (int)i, "department", dept_loc);
	for (size_t i = 0; i < u->materials.n; i++)
		declare(k, &k->mats, u->materials.v[i]->name, (int)i, "material", mat_loc);
	for (size_t i = 0; i < u->forms.n; i++)
		declare(k, &k->forms, u->forms.v[i]->name, (int)i, "form", form_loc);
	for (size_t i = 0; i < u->items.n; i++)
		declare(k, &k->items, u->items.v[i]->name, (int)i, "item", item_loc);
	for (size_t i = 0; i < u->chains.n; i++)
		declare(k, &k->chains, u->chains.v[i]->name, (int)i, "chain", chain_loc);
}

/* Copies the name tables into the model for lookups at the API boundary. */
static void index_model(m_model *m)
{
	strmap *maps[] = {&m->by_item, &m->by_department, &m->by_material,
			  &m->by_chain, &m->by_calendar};
	for (size_t i = 0; i < OT_COUNTOF(maps); i++)
		strmap_init(maps[i], &m->mem);
	for (uint32_t i = 0; i < m->n_items; i++)
		strmap_put(&m->by_item, m->items[i].name, strlen(m->items[i].name), (int)i);
	for (uint32_t i = 0; i < m->n_departments; i++)
		strmap_put(&m->by_department, m->departments[i].name,
			   strlen(m->departments[i].name), (int)i);
	for (uint32_t i = 0; i < m->n_materials; i++)
		strmap_put(&m->by_material, m->materials[i].name,
			   strlen(m->materials[i].name), (int)i);
	for (uint32_t i = 0; i < m->n_chains; i++)
		strmap_put(&m->by_chain, m->chains[i].name, strlen(m->chains[i].name), (int)i);
	for (uint32_t i = 0; i < m->n_calendars; i++)
		strmap_put(&m->by_calendar, m->calendars[i].name,
			   strlen(m->calendars[i].name), (int)i);
}

/* `timezone "+08:00"` (also "UTC+8", "-05:30"): minutes east of UTC. */
static void check_zone(chk *k)
{
	const char *z = k->c->unit.zone;
	k->m->zone = 8 * 60;
	if (!z)
		return;
	const char *p = strncmp(z, "UTC", 3) == 0 ? z + 3 : z;
	int sign = *p == '-' ? -1 : *p == '+' ? 1 : 0, h = 0, m = 0, n = 0;
	if (sign) {
		p++;
		while (*p >= '0' && *p <= '9' && n < 2)
			h = h * 10 + (*p++ - '0'), n++;
		if (*p == ':' && p[1] >= '0' && p[1] <= '5' && p[2] >= '0' && p[2] <= '9')
			m = (p[1] - '0') * 10 + (p[2] - '0'), p += 3;
	}
	if (!sign || !n || *p || h > 14) {
		diag_at(k->c, k->c->unit.zone_loc, "E111",
			"write the offset from UTC: timezone \"+08:00\" (China Standard Time)",
			"\"%s\" is not a time zone offset", z);
		return;
	}
	k->m->zone = sign * (h * 60 + m);
}

static void finish(chk *k)
{
	m_model *m = k->m;
	m->exprs = k->exprs.v, m->n_exprs = (uint32_t)k->exprs.n;
	m->ops = k->ops.v, m->n_ops = (uint32_t)k->ops.n;
	m->consts = k->consts.v, m->n_consts = (uint32_t)k->consts.n;
	m->ints = k->ints.v, m->n_ints = (uint32_t)k->ints.n;
	m->strs = k->strs.v, m->n_strs = (uint32_t)k->strs.n;
	index_model(m);
	unsigned char digest[32];
	SHA256Final(digest, &k->c->sha);
	for (int i = 0; i < 32; i++)
		snprintf(m->hash + 2 * i, 3, "%02x", digest[i]);
}

m_model *chk_build(dsl_ctx *c, const ot_allocator *alloc)
{
	arena mem;
	arena_init(&mem, alloc, &c->oom);
	m_model *m = arena_alloc(&mem, sizeof *m);
	m->mem = mem;
	atomic_init(&m->refs, 1);
	c->model = m;

	chk k;
	memset(&k, 0, sizeof k);
	k.c = c;
	k.m = m;
	k.ma = &m->mem;
	k.form = -1;
	strmap *maps[] = {&k.cals, &k.depts, &k.mats, &k.forms, &k.items, &k.chains,
			  &k.interned};
	for (size_t i = 0; i < OT_COUNTOF(maps); i++)
		strmap_init(maps[i], &c->ast);

	declare_all(&k);
	expand_forms(&k);
	allocate(&k);
	check_limits(&k);
	check_providers(&k);
	check_calendars(&k);
	probe_providers(&k);
	check_departments(&k);
	check_materials(&k);
	check_forms(&k);
	check_group_rows(&k);
	for (size_t i = 0; i < c->unit.items.n; i++)
		check_item(&k, i);
	check_keepers(&k);
	check_versions(&k);
	check_chains(&k);
	check_zone(&k);
	finish(&k);
	json_decref(c->hook_sources);
	c->hook_sources = NULL;

	if (c->diags->errors) {
		c->model = NULL;
		ot_rules_free(m);
		return NULL;
	}
	return m;
}
