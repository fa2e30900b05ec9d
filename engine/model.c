/*
 * model.c -- what the compiled model offers besides its arrays: exact
 * decimals, civil dates, working-day lookups and the JSON description.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "calendar.h"
#include "model.h"

/* ---- decimals ---- */

static const int64_t pow10s[19] = {
	1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL,
	100000000LL, 1000000000LL, 10000000000LL, 100000000000LL,
	1000000000000LL, 10000000000000LL, 100000000000000LL,
	1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
	1000000000000000000LL,
};

/* An engine decimal has at most 18 digits, leading zeros aside, and at
 * most 18 places: |units| < 10^18, so that what a hook or a rule writes
 * is what is kept. */
#define DEC_LIMIT 1000000000000000000LL

int dec_parse(const char *s, ot_dec *out)
{
	int64_t units = 0;
	int scale = 0, dot = 0, any = 0, neg = *s == '-';
	s += neg || *s == '+';
	for (; *s; s++) {
		if (*s == '.' && !dot) {
			dot = 1;
			continue;
		}
		if (*s < '0' || *s > '9' || scale + dot > OT_DEC_MAX_SCALE ||
		    units >= DEC_LIMIT / 10) /* a 19th digit */
			return 0;
		units = units * 10 + (*s - '0');
		scale += dot;
		any = 1;
	}
	if (!any)
		return 0;
	out->units = neg ? -units : units;
	out->scale = scale;
	return 1;
}

int dec_from_double(double d, ot_dec *out)
{
	char text[400];
	for (int prec = 0; prec <= OT_DEC_MAX_SCALE; prec++) {
		snprintf(text, sizeof text, "%.*f", prec, d);
		if (strtod(text, NULL) == d)
			return dec_parse(text, out);
	}
	return 0; /* no text of 18 places reads back as d: not rounded */
}

int dec_cmp(ot_dec a, ot_dec b)
{
	/* Integer parts first, then fractions at 18 digits: no overflow. */
	int64_t ia = a.units / pow10s[a.scale], ib = b.units / pow10s[b.scale];
	if (ia != ib)
		return ia < ib ? -1 : 1;
	int64_t fa = (a.units % pow10s[a.scale]) * pow10s[18 - a.scale];
	int64_t fb = (b.units % pow10s[b.scale]) * pow10s[18 - b.scale];
	return fa < fb ? -1 : fa > fb;
}

/* Sums, products and quotients are worked out in 128 bits (GCC and Clang
 * have them; __extension__ keeps -Wpedantic quiet), rounded once, and fail
 * only when the answer itself has more than 18 digits or places.  The
 * operands may be any int64 (a form's JSON integer is not held to 18
 * digits): a product of two is below 2^126, a sum rescaled to 18 places
 * below 2^124. */
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

/* units * 10^-scale as an engine decimal, trailing zeros dropped only as
 * far as it needs to fit; 0 when it does not. */
static int settle(i128 units, int scale, ot_dec *out)
{
	while (scale > 0 && units % 10 == 0 &&
	       (scale > OT_DEC_MAX_SCALE || units >= DEC_LIMIT || units <= -DEC_LIMIT)) {
		units /= 10;
		scale--;
	}
	if (scale > OT_DEC_MAX_SCALE || units >= DEC_LIMIT || units <= -DEC_LIMIT)
		return 0;
	out->units = (int64_t)units;
	out->scale = scale;
	return 1;
}

static u128 magnitude(int64_t v)
{
	return v < 0 ? (u128)0 - (u128)(i128)v : (u128)v;
}

/* a / b to 6 places, rounded half away from zero (b != 0); to fewer when
 * the quotient has more than 12 digits before the point, as many as 18
 * digits in all leave.  The quotient is n * 10^e / d: a negative power
 * goes into d (below 2^63 * 10^18), then the digits are brought down one
 * at a time -- n * 10^e could be 10^42 -- while there is room for them. */
static int dec_divide(ot_dec a, ot_dec b, ot_dec *out)
{
	enum { PLACES = 6 };
	u128 n = magnitude(a.units), d = magnitude(b.units);
	int e = b.scale - a.scale;
	for (; e < 0; e++)
		d *= 10;
	u128 q = n / d, r = n % d;
	int steps = e + PLACES, places = 0;
	for (; steps > 0 && q < (u128)(DEC_LIMIT / 10); steps--) {
		r *= 10; /* r < d < 2^124 */
		q = q * 10 + r / d;
		r %= d;
		places += steps <= PLACES;
	}
	if (steps > PLACES || q >= (u128)DEC_LIMIT)
		return 0; /* more than 18 digits before the point */
	q += r >= d - r; /* half away from zero */
	i128 units = (i128)q;
	return settle((a.units < 0) != (b.units < 0) ? -units : units, places, out);
}

int dec_arith(int op, ot_dec a, ot_dec b, ot_dec *out)
{
	int s = a.scale > b.scale ? a.scale : b.scale;
	switch (op) {
	case '+':
	case '-': {
		i128 x = (i128)a.units * pow10s[s - a.scale];
		i128 y = (i128)b.units * pow10s[s - b.scale];
		return settle(op == '+' ? x + y : x - y, s, out);
	}
	case '*':
		return settle((i128)a.units * b.units, a.scale + b.scale, out);
	case '/':
		return b.units != 0 && dec_divide(a, b, out);
	}
	return 0;
}

void dec_format(ot_dec d, char out[32])
{
	uint64_t mag = d.units < 0 ? 0 - (uint64_t)d.units : (uint64_t)d.units;
	uint64_t p = (uint64_t)pow10s[d.scale];
	uint64_t ip = mag / p, fp = mag % p;
	int scale = d.scale;
	while (scale > 0 && fp % 10 == 0) {
		fp /= 10;
		scale--;
	}
	if (scale)
		snprintf(out, 32, "%s%llu.%0*llu", d.units < 0 ? "-" : "",
			 (unsigned long long)ip, scale, (unsigned long long)fp);
	else
		snprintf(out, 32, "%s%llu", d.units < 0 ? "-" : "",
			 (unsigned long long)ip);
}

/* ---- the rule base handle ---- */

const char *ot_rules_sources(const ot_rules *r)
{
	return r ? r->sources : NULL;
}

const char *ot_rules_hash(const ot_rules *r)
{
	return r ? r->hash : NULL;
}

ot_rules *ot_rules_ref(ot_rules *r)
{
	if (r)
		atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
	return r;
}

void ot_rules_free(ot_rules *r)
{
	/* the last reference frees; the others only count down (what the
	 * freeing thread reads was written before every release) */
	if (!r || atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) > 1)
		return;
	arena a = r->mem; /* r lives inside its own arena */
	arena_free(&a);
}

/* ---- describe ---- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static const char *dept_name(const ot_rules *r, int i)
{
	return i >= 0 ? r->departments[i].name : NULL;
}

static json_t *window_ref(const ot_rules *r, int w)
{
	if (w < 0)
		return json_null();
	return json_pack("s++", r->departments[r->windows[w].dept].name, ".",
			 r->windows[w].name);
}

static json_t *ints_names(const ot_rules *r, m_span s,
			  const char *(*name)(const ot_rules *, int32_t, const void *),
			  const void *ctx)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < s.count; i++) {
		const char *n = name(r, r->ints[s.first + i], ctx);
		json_array_append_new(a, n ? json_string(n) : json_string("end"));
	}
	return a;
}

static const char *step_name(const ot_rules *r, int32_t i, const void *item)
{
	const m_item *it = item;
	return i == STEP_END ? NULL : r->steps[it->steps.first + (uint32_t)i].name;
}

/* i: a stage's position within its chain `ch` */
static const char *stage_name(const ot_rules *r, int32_t i, const void *ch)
{
	const m_chain *c = ch;
	return r->stages[c->stages.first + (uint32_t)i].name;
}

static const char *item_name(const ot_rules *r, int32_t i, const void *ch)
{
	(void)ch;
	return r->items[i].name;
}

/* ---- the names of the model's enums, one table each ---- */

const char *const model_holder_names[3] = {"any", "person", "company"};
const char *const model_source_names[3] = {"applicant", "shared", "issued_by"};
const char *const model_level_names[7] = {"", "national", "province", "city",
					  "district", "street", "community"};
const char *const model_unit_names[5] = {"workdays", "days", "hours", "months", "years"};
const char *const model_unit_words[5] = {"workday", "day", "hour", "month", "year"};
const char model_units_text[] = "workday(s), day(s), hour(s), month(s), year(s)";
const char *const model_weekday_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
const char *const model_deliver_names[3] = {"window", "post", "electronic"};
const char *const model_have_names[4] = {NULL, "provided", "shared", "reused"};
const char *const model_handling_names[3] = {"", "instant", "promised"};
const char *const model_medium_names[3] = {"either", "paper", "electronic"};
const char *const model_body_names[4] = {"", "statutory", "authorised", "entrusted"};
const char *const model_scope_names[5] = {"", "district", "city", "province", "national"};
const char *const model_action_names[3] = {"approve", "return", "deny"};
const char *const model_warn_level_names[3] = {"none", "yellow", "red"};
const char *const model_warn_target_names[WARN__COUNT] = {
	"case", "legal", "step", "acceptance", "deferred", "pledge_check", "procedure",
	"step_legal",
};

int model_action(const char *name)
{
	for (int i = 0; name && i < 3; i++)
		if (strcmp(name, model_action_names[i]) == 0)
			return i;
	return -1;
}


const char *const model_online_names[3] = {"none", "partial", "full"};
static const char *const ftypes[] = {"text", "integer", "decimal", "bool",
				     "date", "enum", "id_number", "credit_code", "group"};

const char *model_type_name(int code)
{
	switch (code) {
	case 1: return "licensing";
	case 5: return "payment";
	case 7: return "confirmation";
	case 9: return "ruling";
	case 10: return "other";
	case 20: return "public_service";
	}
	return "unknown";
}

static json_t *describe_departments(const ot_rules *r)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < r->n_departments; i++) {
		const m_department *d = &r->departments[i];
		json_t *w = json_array();
		for (uint32_t k = 0; k < d->windows.count; k++) {
			const m_window *win = &r->windows[d->windows.first + k];
			json_array_append_new(w, json_pack("{s:s, s:o}", "name", win->name,
							   "label", str_or_null(win->label)));
		}
		json_array_append_new(a, json_pack("{s:s, s:o, s:s, s:o}", "name", d->name,
						   "label", str_or_null(d->label), "level",
						   model_level_names[d->level], "windows", w));
	}
	return a;
}

static json_t *describe_materials(const ot_rules *r)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < r->n_materials; i++) {
		const m_material *m = &r->materials[i];
		json_t *o = json_pack("{s:s, s:o, s:s, s:s, s:b, s:i}", "name", m->name,
				      "label", str_or_null(m->label), "holder",
				      model_holder_names[m->holder], "source", model_source_names[m->source],
				      "original", m->original, "copies", m->copies);
		if (m->source_name)
			json_object_set_new(o, "source_name", json_string(m->source_name));
		if (m->issuer >= 0)
			json_object_set_new(o, "issued_by", json_string(dept_name(r, m->issuer)));
		if (m->reusable.n >= 0)
			json_object_set_new(o, "reusable", json_pack("{s:i, s:s}", "n",
				m->reusable.n, "unit", model_unit_names[m->reusable.unit]));
		if (m->provider >= 0)
			json_object_set_new(o, "provider", json_string(
				r->providers[m->provider].kind == PROVIDER_LUA ? "lua" : "licences"));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *describe_forms(const ot_rules *r)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < r->n_forms; i++) {
		const m_form *f = &r->forms[i];
		json_t *fields = json_array();
		for (uint32_t k = 0; k < f->fields.count; k++) {
			const m_field *fd = &r->fields[f->fields.first + k];
			json_t *o = json_pack("{s:s, s:o, s:s, s:b, s:b}", "name", fd->name,
					      "label", str_or_null(fd->label), "type",
					      ftypes[fd->type], "required", fd->required,
					      "computed", fd->computed);
			if (fd->type == FT_ENUM) {
				json_t *v = json_array();
				for (uint32_t j = 0; j < fd->values.count; j++)
					json_array_append_new(v, json_string(r->strs[fd->values.first + j]));
				json_object_set_new(o, "values", v);
			}
			if (fd->type == FT_GROUP && fd->group >= 0) /* the form of each row */
				json_object_set_new(o, "rows", json_string(r->forms[fd->group].name));
			char num[32];
			if (fd->has_min) {
				dec_format(fd->min, num);
				json_object_set_new(o, "min", json_string(num));
			}
			if (fd->has_max) {
				dec_format(fd->max, num);
				json_object_set_new(o, "max", json_string(num));
			}
			json_array_append_new(fields, o);
		}
		json_array_append_new(a, json_pack("{s:s, s:o, s:o}", "name", f->name,
						   "label", str_or_null(f->label), "fields", fields));
	}
	return a;
}

static json_t *limit(int32_t n)
{
	return n >= 0 ? json_integer(n) : json_null();
}

/* The service guide (办事指南) as the item's `guide` block gave it. */
static json_t *describe_guide(const ot_rules *r, const m_guide *g)
{
	if (!g)
		return json_null();
	json_t *basis = json_array();
	for (uint32_t i = 0; i < g->n_basis; i++)
		json_array_append_new(basis, json_pack("{s:s, s:o}", "law", g->basis[i].law, "article",
						       str_or_null(g->basis[i].article)));
	json_t *o = json_object();
	json_object_set_new(o, "basis", basis);
	json_object_set_new(o, "conditions", str_or_null(g->conditions));
	json_object_set_new(o, "fee", g->fee_free ? json_string("free") : str_or_null(g->fee));
	json_object_set_new(o, "fee_basis", str_or_null(g->fee_basis));
	json_object_set_new(o, "handling", g->handling ? json_string(model_handling_names[g->handling]) : json_null());
	json_object_set_new(o, "place", str_or_null(g->place));
	json_object_set_new(o, "hours", str_or_null(g->hours));
	json_object_set_new(o, "phone", str_or_null(g->phone));
	json_object_set_new(o, "complaint_phone", str_or_null(g->complaint_phone));
	json_object_set_new(o, "intermediary", g->no_intermediary ? json_string("none") : str_or_null(g->intermediary));
	json_object_set_new(o, "quantity_limit", g->no_quantity_limit ? json_string("none") : str_or_null(g->quantity_limit));
	json_object_set_new(o, "scope", g->scope ? json_string(model_scope_names[g->scope]) : json_null());
	json_object_set_new(o, "result", str_or_null(g->result));
	json_object_set_new(o, "result_library", json_boolean(g->result_library));
	json_object_set_new(o, "presence", str_or_null(g->presence));
	json_object_set_new(o, "body", g->body ? json_string(model_body_names[g->body]) : json_null());
	json_object_set_new(o, "entrusted_by", g->entrusted_by >= 0 ? json_string(r->departments[g->entrusted_by].name) : json_null());
	return o;
}

static json_t *describe_item(const ot_rules *r, const m_item *it)
{
	json_t *deliver = json_array(), *notes = json_array();
	for (int k = 0; k < 3; k++)
		if (it->deliver & (1 << k))
			json_array_append_new(deliver, json_string(model_deliver_names[k]));
	for (uint32_t k = 0; k < it->notes.count; k++)
		json_array_append_new(notes, json_string(r->strs[it->notes.first + k]));

	json_t *mats = json_array();
	for (uint32_t k = 0; k < it->reqs.count; k++) {
		const m_req *q = &r->reqs[it->reqs.first + k];
		json_array_append_new(mats, json_pack("{s:s, s:o, s:b, s:b}", "material",
			r->materials[q->material].name, "when",
			q->cond >= 0 ? json_string(r->exprs[q->cond].text) : json_null(),
			"optional", q->optional, "deferrable", q->deferrable));
	}
	json_t *steps = json_array();
	for (uint32_t k = 0; k < it->steps.count; k++) {
		const m_step *s = &r->steps[it->steps.first + k];
		json_t *o = json_pack("{s:s, s:o, s:s, s:o, s:o, s:b}",
			"name", s->name, "label", str_or_null(s->label), "department",
			r->departments[s->dept].name, "window",
			s->window >= 0 ? json_string(r->windows[s->window].name) : json_null(),
			"within", limit(s->within), "in_person", s->in_person);
		json_object_set_new(o, "within_unit", json_string(model_unit_names[s->within_unit]));
		json_object_set_new(o, "promised", limit(s->promised));
		if (s->route_field >= 0) {
			/* by form.FIELD: the department of each value */
			const m_field *f = &r->fields[s->route_field];
			json_t *routes = json_object();
			for (uint32_t v = 0; v < f->values.count; v++)
				json_object_set_new(routes, r->strs[f->values.first + v], json_string(
					r->departments[r->ints[s->route_depts.first + v]].name));
			json_object_set_new(o, "routed_by", json_pack("{s:s, s:o}", "field", f->name,
								     "departments", routes));
			json_object_set_new(o, "department", json_null());
		}
		json_array_append_new(steps, o);
	}
	json_t *procs = json_array();
	for (uint32_t k = 0; k < it->procedures.count; k++) {
		const m_procedure *p = &r->procedures[it->procedures.first + k];
		json_array_append_new(procs, json_pack("{s:s, s:o, s:i, s:s, s:o}", "name", p->name,
			"label", str_or_null(p->label), "max", (int)p->max.n, "unit",
			model_unit_names[p->max.unit], "during",
			p->step >= 0 ? json_string(r->steps[it->steps.first + (uint32_t)p->step].name)
				     : json_null()));
	}
	json_t *flow = json_array();
	for (uint32_t k = 0; k < it->rules.count; k++) {
		const m_rule *ru = &r->rules[it->rules.first + k];
		json_t *o = json_pack("{s:o, s:o}", "from", ints_names(r, ru->from, step_name, it),
				      "to", ints_names(r, ru->to, step_name, it));
		if (ru->guard == G_WHEN)
			json_object_set_new(o, "when", json_string(r->exprs[ru->cond].text));
		else if (ru->guard == G_OTHERWISE)
			json_object_set_new(o, "otherwise", json_true());
		json_array_append_new(flow, o);
	}
	json_t *o = json_pack("{s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:o,"
			 " s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"name", it->name, "label", str_or_null(it->label), "code", str_or_null(it->code),
		"type", model_type_name(it->type), "department", str_or_null(dept_name(r, it->dept)),
		"transferred_from", str_or_null(dept_name(r, it->from_dept)),
		"window", window_ref(r, it->window), "online", model_online_names[it->online],
		"legal_limit", limit(it->legal_limit), "promised_limit", limit(it->promised_limit),
		"calendar", it->calendar >= 0 ? json_string(r->calendars[it->calendar].name) : json_null(),
		"frequency", it->high_frequency ? "high" : "normal",
		"applicant", model_holder_names[it->applicant],
		"form", it->form >= 0 ? json_string(r->forms[it->form].name) : json_null(),
		"deliver", deliver, "notes", notes, "materials", mats, "steps", steps,
		"flow", flow, "hook", str_or_null(it->hook));
	json_object_set_new(o, "legal_unit", json_string(model_unit_names[it->legal_unit]));
	json_object_set_new(o, "promised_unit", json_string(model_unit_names[it->promised_unit]));
	json_object_set_new(o, "extension", limit(it->extension));
	json_object_set_new(o, "acceptance", limit(it->acceptance));
	json_object_set_new(o, "deemed_accepted", json_boolean(it->deemed_accepted));
	json_object_set_new(o, "procedures", procs);
	char day[11];
	if (it->in_force_from != INT32_MIN)
		day_format(it->in_force_from, day);
	json_object_set_new(o, "in_force_from", it->in_force_from != INT32_MIN ? json_string(day) : json_null());
	if (it->in_force_until != INT32_MAX)
		day_format(it->in_force_until, day);
	json_object_set_new(o, "in_force_until", it->in_force_until != INT32_MAX ? json_string(day) : json_null());
	json_object_set_new(o, "replaces", it->replaces >= 0 ? json_string(r->items[it->replaces].name) : json_null());
	json_t *pledge = json_array();
	for (uint32_t k = 0; k < it->pledge.count; k++)
		json_array_append_new(pledge, json_string(r->materials[r->ints[it->pledge.first + k]].name));
	json_object_set_new(o, "pledge_replaces", pledge);
	json_object_set_new(o, "pledge_when", it->pledge_cond >= 0 ? json_string(r->exprs[it->pledge_cond].text) : json_null());
	json_object_set_new(o, "pledge_check", limit(it->pledge_check));
	json_object_set_new(o, "guide", describe_guide(r, it->guide));
	return o;
}

int item_in_force(const ot_rules *r, int item, int32_t day)
{
	/* the versions form a chain: to the newest, then back through replaces */
	int newest = item;
	for (uint32_t guard = 0; guard < r->n_items; guard++) {
		int next = -1;
		for (uint32_t i = 0; i < r->n_items; i++)
			if (r->items[i].replaces == newest)
				next = (int)i;
		if (next < 0)
			break;
		newest = next;
	}
	for (int v = newest, guard = 0; v >= 0 && guard <= (int)r->n_items;
	     v = r->items[v].replaces, guard++)
		if (day >= r->items[v].in_force_from && day <= r->items[v].in_force_until)
			return v;
	return -1;
}

/* "from D until E", "from D", "until E" (an open side left out) */
static void in_force_span(const m_item *it, char out[40])
{
	char from[11] = "", until[11] = "";
	if (it->in_force_from != INT32_MIN)
		day_format(it->in_force_from, from);
	if (it->in_force_until != INT32_MAX)
		day_format(it->in_force_until, until);
	snprintf(out, 40, "%s%s%s%s%s", from[0] ? "from " : "", from, from[0] && until[0] ? " " : "",
		 until[0] ? "until " : "", until);
}

void item_not_in_force(const ot_rules *r, int item, int32_t day, char *out, size_t cap)
{
	/* every version (the 16 newest), the first first: the applicant
	 * learns when the item can be applied for, whichever version was
	 * asked for */
	int versions[16], n = 0, newest = item;
	for (uint32_t guard = 0; guard < r->n_items; guard++) {
		int next = -1;
		for (uint32_t i = 0; i < r->n_items && next < 0; i++)
			if (r->items[i].replaces == newest)
				next = (int)i;
		if (next < 0)
			break;
		newest = next;
	}
	for (int v = newest; v >= 0 && n < (int)OT_COUNTOF(versions); v = r->items[v].replaces)
		versions[n++] = v;
	char on[11], span[40];
	day_format(day, on);
	if (n == 1) {
		in_force_span(&r->items[item], span);
		snprintf(out, cap, "item %s is not in force on %s: it is in force %s", r->items[item].name,
			 on, span);
		return;
	}
	size_t len = (size_t)snprintf(out, cap, "item %s is not in force on %s, nor is any version "
				      "of it:", r->items[item].name, on);
	for (int k = n - 1; k >= 0 && len < cap; k--) {
		in_force_span(&r->items[versions[k]], span);
		len += (size_t)snprintf(out + len, cap - len, "%s %s%s %s", k == n - 1 ? "" : ",",
					r->items[versions[k]].name, k == n - 1 ? " is in force" : "",
					span);
	}
}

const char *ot_rules_item_in_force(const ot_rules *r, const char *name, const char *now)
{
	ot_time t;
	if (!r || !name || !now || !time_parse(now, r->zone, &t))
		return NULL;
	int item = strmap_get(&r->by_item, name, strlen(name));
	int v = item < 0 ? -1 : item_in_force(r, item, time_day(t, r->zone));
	return v < 0 ? NULL : r->items[v].name;
}

/* Whether the application itself takes a trip to the hall.  Partial
 * (部分网办): the part that is not online is done in person -- its in-person
 * step, or else the submission at the hall. */
static int item_submits_at_hall(const m_item *it)
{
	return it->online == ONLINE_NONE || (it->online == ONLINE_PARTIAL && it->max_in_person == 0);
}

/* Whether the result is fetched at the window. */
static int item_picked_up(const m_item *it)
{
	return !(it->deliver & (DELIVER_POST | DELIVER_ELECTRONIC));
}

int item_max_trips(const ot_rules *r, int item)
{
	const m_item *it = &r->items[item];
	return item_submits_at_hall(it) + it->max_in_person + item_picked_up(it);
}

/* An item's worst case in working days: its promised limit, else its legal
 * one, else 0.  A limit in calendar days holds at most that many days less
 * the weekends of its whole weeks (a make-up working day, 调休, is not
 * foreseen without a date: the path is fixed by the rules alone); a month
 * at most 31 days. */
int32_t item_days(const m_item *it)
{
	int promised = it->promised_limit >= 0;
	int32_t d = promised ? it->promised_limit : it->legal_limit;
	uint8_t unit = promised ? it->promised_unit : it->legal_unit;
	if (d > 0 && unit == UNIT_MONTH)
		d *= 31; /* at most 100000 months (check.c) */
	if (d > 0 && unit != UNIT_WORKDAY)
		d -= 2 * (d / 7);
	return d > 0 ? d : 0;
}

int32_t stage_path(const ot_rules *r, const int32_t *ints, uint32_t stage, int32_t *path,
		   int max, int *npath)
{
	const m_stage *st = &r->stages[stage];
	uint32_t n = st->items.count < STAGE_MAX_ITEMS ? st->items.count : STAGE_MAX_ITEMS;
	int32_t finish[STAGE_MAX_ITEMS], prev[STAGE_MAX_ITEMS], days = 0, last = -1;
	uint32_t done = 0;
	/* the waits have no cycle (the checker saw to it): n rounds settle it */
	for (uint32_t round = 0; round < n && done != (n == 32 ? 0xffffffffu : (1u << n) - 1); round++)
		for (uint32_t i = 0; i < n; i++) {
			uint32_t waits = st->waits.count ? (uint32_t)ints[st->waits.first + i] : 0;
			if (done >> i & 1 || (waits & done) != waits)
				continue;
			int32_t start = 0;
			prev[i] = -1;
			for (uint32_t j = 0; j < n; j++)
				if (waits >> j & 1 && (finish[j] > start || prev[i] < 0)) {
					start = finish[j];
					prev[i] = (int32_t)j;
				}
			finish[i] = start + item_days(&r->items[ints[st->items.first + i]]);
			done |= 1u << i;
			if (finish[i] > days || last < 0)
				days = finish[i], last = (int32_t)i;
		}
	if (npath) {
		int np = 0;
		for (int32_t i = last; i >= 0; i = prev[i])
			np++;
		*npath = np < max ? np : max;
		for (int32_t i = last; i >= 0 && np > 0; i = prev[i])
			if (--np < max)
				path[np] = i;
	}
	return days;
}

int32_t stage_days(const ot_rules *r, const int32_t *ints, uint32_t stage)
{
	return stage_path(r, ints, stage, NULL, 0, NULL);
}

int32_t chain_days(const ot_rules *r, const int32_t *ints, const m_chain *c,
		   int32_t *path, int max, int *npath)
{
	uint32_t n = c->stages.count;
	int32_t finish[256], prev[256], total = 0, last = -1;
	uint8_t done[256] = {0};
	n = n < 256 ? n : 256;
	for (uint32_t round = 0; round < n; round++)
		for (uint32_t s = 0; s < n; s++) {
			const m_stage *st = &r->stages[c->stages.first + s];
			if (done[s])
				continue;
			int ready = 1;
			int32_t start = 0;
			prev[s] = -1;
			for (uint32_t a = 0; ready && a < st->after.count; a++) {
				int32_t p = ints[st->after.first + a];
				ready = p >= 0 && (uint32_t)p < n && done[p];
				if (ready && (finish[p] > start || prev[s] < 0)) {
					start = finish[p];
					prev[s] = p;
				}
			}
			if (!ready)
				continue;
			finish[s] = start + stage_days(r, ints, c->stages.first + s);
			done[s] = 1;
			if (finish[s] > total || last < 0)
				total = finish[s], last = (int32_t)s;
		}
	int np = 0;
	for (int32_t s = last; s >= 0 && np < 256; s = prev[s])
		np++;
	*npath = np < max ? np : max;
	int k = np;
	for (int32_t s = last; s >= 0 && k > 0; s = prev[s])
		if (--k < max)
			path[k] = s;
	return total;
}

int chain_max_trips(const ot_rules *r, const int32_t *ints, const m_chain *c)
{
	int trips = 0, pickup = 0, hall = 0;
	for (uint32_t s = 0; s < c->stages.count; s++) {
		const m_stage *st = &r->stages[c->stages.first + s];
		for (uint32_t i = 0; i < st->items.count; i++) {
			const m_item *it = &r->items[ints[st->items.first + i]];
			trips += it->max_in_person;
			/* one application and one pickup serve the whole chain */
			pickup |= item_picked_up(it);
			hall |= item_submits_at_hall(it);
		}
	}
	return hall + trips + pickup;
}

static json_t *describe_chains(const ot_rules *r)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < r->n_chains; i++) {
		const m_chain *c = &r->chains[i];
		json_t *stages = json_array();
		for (uint32_t k = 0; k < c->stages.count; k++) {
			const m_stage *s = &r->stages[c->stages.first + k];
			json_t *waits = json_object();
			for (uint32_t w = 0; w < s->waits.count; w++) {
				json_t *on = json_array();
				for (uint32_t j = 0; j < s->items.count; j++)
					if ((uint32_t)r->ints[s->waits.first + w] >> j & 1)
						json_array_append_new(on, json_string(r->items[r->ints[s->items.first + j]].name));
				if (json_array_size(on))
					json_object_set_new(waits, r->items[r->ints[s->items.first + w]].name, on);
				else
					json_decref(on);
			}
			json_t *when = json_object();
			for (uint32_t w = 0; w < s->conds.count; w++)
				if (r->ints[s->conds.first + w] >= 0)
					json_object_set_new(when, r->items[r->ints[s->items.first + w]].name,
						json_string(r->exprs[r->ints[s->conds.first + w]].text));
			json_array_append_new(stages, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i}",
				"name", s->name, "label", str_or_null(s->label),
				"after", ints_names(r, s->after, stage_name, c),
				"items", ints_names(r, s->items, item_name, c), "when", when, "waits", waits,
				"department", s->dept >= 0 ? json_string(r->departments[s->dept].name)
							   : json_null(),
				"within", limit(s->within), "days", (int)s->days));
		}
		json_array_append_new(a, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:i, s:o, s:i}",
			"name", c->name, "label", str_or_null(c->label),
			"window", window_ref(r, c->window),
			"form", c->form >= 0 ? json_string(r->forms[c->form].name) : json_null(),
			"total_limit", limit(c->total_limit), "stages", stages,
			"critical_days", (int)c->critical_days,
			"critical_path", ints_names(r, c->critical, stage_name, c),
			"max_trips", c->max_trips));
	}
	return a;
}

static json_t *describe_calendars(const ot_rules *r)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < r->n_calendars; i++) {
		const m_calendar *c = &r->calendars[i];
		json_t *we = json_array();
		for (int d = 0; d < 7; d++)
			if (c->weekend >> d & 1)
				json_array_append_new(we, json_string(model_weekday_names[d]));
		int hol = 0, work = 0;
		for (uint32_t k = 0; k < c->holidays.count; k++) {
			const m_holiday *h = &r->holidays[c->holidays.first + k];
			if (h->workday)
				work += h->last - h->first + 1;
			else
				hol += h->last - h->first + 1;
		}
		json_t *o = json_pack("{s:s, s:o, s:o, s:i, s:i}", "name", c->name,
				      "label", str_or_null(c->label), "weekend", we,
				      "holiday_days", hol, "makeup_workdays", work);
		if (c->ndays) {
			json_object_set_new(o, "first_year", json_integer(c->first_year));
			json_object_set_new(o, "last_year", json_integer(c->last_year));
		}
		json_array_append_new(a, o);
	}
	return a;
}

char *ot_rules_describe(const ot_rules *r)
{
	if (!r)
		return NULL;
	json_t *items = json_array();
	for (uint32_t i = 0; i < r->n_items; i++) {
		json_t *it = describe_item(r, &r->items[i]);
		json_object_set_new(it, "max_trips", json_integer(item_max_trips(r, (int)i)));
		json_t *fns = json_array();
		for (uint32_t k = 0; k < r->items[i].hook_fns.count; k++)
			json_array_append_new(fns, json_string(r->strs[r->items[i].hook_fns.first + k]));
		json_object_set_new(it, "hook_functions", fns);
		json_t *issues = json_array();
		for (uint32_t k = 0; k < r->items[i].n_issued; k++) {
			const m_issue *is = &r->items[i].issued[k];
			json_t *valid = is->valid.n < 0 ? json_null() : json_pack("{s:i, s:s}",
				"n", is->valid.n, "unit", model_unit_names[is->valid.unit]);
			json_array_append_new(issues, json_pack("{s:s, s:o, s:s?}", "material",
				r->materials[is->material].name, "valid", valid, "unless",
				is->kept_by >= 0 ? r->materials[is->kept_by].name : NULL));
		}
		json_object_set_new(it, "issues", issues);
		json_array_append_new(items, it);
	}
	json_t *providers = json_array();
	for (uint32_t i = 0; i < r->n_providers; i++)
		json_array_append_new(providers, json_pack("{s:s, s:s, s:s?}", "name",
			r->providers[i].name, "kind",
			r->providers[i].kind == PROVIDER_LUA ? "lua" : "licences",
			"module", r->providers[i].file));
	json_t *o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "hash", r->hash,
			      "providers", providers,
			      "departments", describe_departments(r), "materials",
			      describe_materials(r), "forms", describe_forms(r),
			      "items", items, "chains", describe_chains(r),
			      "calendars", describe_calendars(r));
	char *out = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
	json_decref(o);
	return out;
}
