/*
 * assess.c -- what an application needs, and what it lacks: the form's
 * values checked against the form, every material of the item with its
 * status and the reason it is (or is not) required, and the one-time
 * notice (一次性告知) that lists all of it at once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "idcheck.h"

ot_status err_set(ot_error *err, ot_status status, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof err->message, fmt, ap);
		va_end(ap);
		err->status = status;
	}
	return status;
}

/* ---- form values ---- */

static void field_error(json_t *errors, const m_field *f, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_array_append_new(errors, json_pack("{s:s, s:s?, s:s}", "field", f->name,
						"label", f->label, "message", msg));
}

/* A decimal from JSON: an integer, a number, or a numeric string.  A JSON
 * number arrives as a double; the shortest text that reads back as the
 * same double is what the sender wrote, so nothing is rounded. */
static int json_decimal(json_t *j, ot_dec *out)
{
	char text[64];
	if (json_is_integer(j)) {
		out->units = json_integer_value(j);
		out->scale = 0;
		return 1;
	}
	if (json_is_real(j)) {
		double d = json_real_value(j);
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(text, sizeof text, "%.*g", prec, d);
			if (strtod(text, NULL) == d)
				break;
		}
		if (strchr(text, 'e') || strchr(text, 'E'))
			snprintf(text, sizeof text, "%.*f", 6, d);
	} else if (json_is_string(j) && json_string_length(j) < sizeof text) {
		strcpy(text, json_string_value(j));
	} else
		return 0;
	const char *p = text;
	int neg = *p == '-';
	p += neg || *p == '+';
	if (!*p)
		return 0;
	int64_t units = 0;
	int scale = 0, dot = 0, any = 0;
	for (; *p; p++) {
		if (*p == '.' && !dot) {
			dot = 1;
			continue;
		}
		if (*p < '0' || *p > '9' || scale >= OT_DEC_MAX_SCALE ||
		    units > (INT64_MAX - 9) / 10)
			return 0;
		units = units * 10 + (*p - '0');
		scale += dot;
		any = 1;
	}
	if (!any)
		return 0;
	while (scale > 0 && units % 10 == 0) {
		units /= 10;
		scale--;
	}
	out->units = neg ? -units : units;
	out->scale = scale;
	return 1;
}

static int read_number(const m_field *f, json_t *j, ev_value *v, json_t *errors)
{
	if (!json_decimal(j, &v->u.num)) {
		field_error(errors, f, "%s must be a number", f->label ? f->label : f->name);
		return 0;
	}
	char a[32];
	if (f->type == FT_INTEGER && v->u.num.scale) {
		field_error(errors, f, "%s must be a whole number", f->label ? f->label : f->name);
		return 0;
	}
	if (f->has_min && dec_cmp(v->u.num, f->min) < 0) {
		dec_format(f->min, a);
		field_error(errors, f, "%s must be at least %s", f->label ? f->label : f->name, a);
		return 0;
	}
	if (f->has_max && dec_cmp(v->u.num, f->max) > 0) {
		dec_format(f->max, a);
		field_error(errors, f, "%s must be at most %s", f->label ? f->label : f->name, a);
		return 0;
	}
	v->type = VT_NUM;
	return 1;
}

static int read_field(const ot_rules *r, const m_field *f, json_t *j, ev_value *v,
		      json_t *errors)
{
	const char *label = f->label ? f->label : f->name;
	const char *s = json_string_value(j);
	size_t n = json_is_string(j) ? json_string_length(j) : 0;
	memset(v, 0, sizeof *v);
	switch (f->type) {
	case FT_INTEGER:
	case FT_DECIMAL:
		return read_number(f, j, v, errors);
	case FT_BOOL:
		if (!json_is_boolean(j))
			break;
		v->type = VT_BOOL;
		v->u.b = json_is_true(j);
		return 1;
	case FT_DATE:
		if (!s || !day_parse(s, &v->u.date))
			break;
		v->type = VT_DATE;
		return 1;
	case FT_ENUM:
		for (uint32_t i = 0; s && i < f->values.count; i++)
			if (strcmp(r->strs[f->values.first + i], s) == 0) {
				v->type = VT_ENUM;
				v->u.e = (int32_t)i;
				return 1;
			}
		if (s) {
			char list[256] = "";
			for (uint32_t i = 0; i < f->values.count; i++)
				snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
					 i ? ", " : "", r->strs[f->values.first + i]);
			field_error(errors, f, "%s: '%s' is not one of %s", label, s, list);
			return 0;
		}
		break;
	case FT_ID_NUMBER:
		if (!s)
			break;
		if (!id_number_valid(s, n)) {
			field_error(errors, f, "%s is not a valid resident ID number (GB 11643: 18 "
				    "characters, birth date, check character)", label);
			return 0;
		}
		goto text;
	case FT_CREDIT_CODE:
		if (!s)
			break;
		if (!credit_code_valid(s, n)) {
			field_error(errors, f, "%s is not a valid unified social credit code "
				    "(GB 32100: 18 characters, check character)", label);
			return 0;
		}
		goto text;
	case FT_TEXT:
	text:
		if (!s)
			break;
		v->type = VT_TEXT;
		v->u.text.p = s;
		v->u.text.n = (uint32_t)n;
		return 1;
	}
	static const char *const words[] = {"text", "a whole number", "a number",
		"true or false", "a date (YYYY-MM-DD)", "one of its values",
		"an ID number", "a credit code"};
	field_error(errors, f, "%s must be %s", label, words[f->type]);
	return 0;
}

static int blank(json_t *j)
{
	return !j || json_is_null(j) || (json_is_string(j) && json_string_length(j) == 0);
}

int form_values(const ot_rules *r, int form, json_t *obj, ev_value *values,
		json_t *errors)
{
	size_t before = json_array_size(errors);
	const m_form *fm = &r->forms[form];
	for (uint32_t i = 0; i < fm->fields.count; i++) {
		const m_field *f = &r->fields[fm->fields.first + i];
		json_t *j = json_object_get(obj, f->name);
		ev_value *v = &values[i];
		memset(v, 0, sizeof *v);
		v->absent = 1;
		if (blank(j)) {
			if (f->required && !f->computed)
				field_error(errors, f, "%s is required", f->label ? f->label : f->name);
			continue;
		}
		if (f->computed) {
			field_error(errors, f, "%s is computed by the engine; leave it out",
				    f->label ? f->label : f->name);
			continue;
		}
		if (!read_field(r, f, j, v, errors)) {
			memset(v, 0, sizeof *v);
			v->absent = 1;
		}
	}
	const char *key;
	json_t *j;
	json_object_foreach(obj, key, j) {
		int known = 0;
		for (uint32_t i = 0; i < fm->fields.count && !known; i++)
			known = strcmp(r->fields[fm->fields.first + i].name, key) == 0;
		if (!known) {
			char msg[200];
			snprintf(msg, sizeof msg, "form '%s' has no field '%s'", fm->name, key);
			json_array_append_new(errors, json_pack("{s:s, s:s}", "field", key,
								"message", msg));
		}
	}
	return (int)(json_array_size(errors) - before);
}

/* ---- materials ---- */

static int find_material(const ot_rules *r, const char *name)
{
	return strmap_get(&r->by_material, name, strlen(name));
}

static json_t *material_entry(const ot_rules *r, const m_req *q, const char *status,
			      const char *reason)
{
	const m_material *m = &r->materials[q->material];
	json_t *o = json_pack("{s:s, s:s?, s:s, s:s}", "material", m->name, "label", m->label,
			      "status", status, "reason", reason);
	if (m->original)
		json_object_set_new(o, "original", json_true());
	if (m->copies)
		json_object_set_new(o, "copies", json_integer(m->copies));
	return o;
}

typedef struct names {
	json_t *missing, *deferred, *shared, *reused, *optional;
} names;

/* One requirement: whether it applies, how it is met, and why. */
static ot_status assess_req(const version *v, const m_req *q, const ev_value *values,
			    int applicant_kind, const char *applicant_id,
			    json_t *provided_set, uint8_t *have, library_fn lib,
			    void *lib_ud, ot_time now, json_t *list, names *nm,
			    ot_error *err)
{
	const ot_rules *r = v->rules;
	const m_material *m = &r->materials[q->material];
	char reason[512];
	int required = 1;
	if (q->cond >= 0) {
		ev_value stack[64];
		const m_expr *x = &r->exprs[q->cond];
		const char *why = NULL;
		if (x->depth > (int)OT_COUNTOF(stack))
			return err_set(err, OT_EINVAL, "a condition of %s is too deep to evaluate", m->name);
		int res = eval_cond(r, x, values, applicant_kind, stack, &why);
		if (res < 0)
			return err_set(err, OT_EINVAL, "cannot decide whether %s is required: %s",
				    m->name, why);
		required = res;
		snprintf(reason, sizeof reason, required ? "required because %s"
							 : "not required: %s does not hold", x->text);
	} else
		snprintf(reason, sizeof reason, q->optional ? "optional" : "always required");
	if (!required) {
		json_array_append_new(list, material_entry(r, q, "not_required", reason));
		return OT_OK;
	}
	const char *status;
	if (m->source == SRC_SHARED) {
		have[q->material] = HAVE_SHARED;
		status = "shared";
		json_array_append_new(nm->shared, json_string(m->name));
	} else if (json_object_get(provided_set, m->name)) {
		have[q->material] = HAVE_PROVIDED;
		status = "provided";
	} else if (m->reusable.n >= 0 && applicant_id && lib &&
		   lib(lib_ud, applicant_id, m->name, now)) {
		have[q->material] = HAVE_REUSED;
		status = "reused";
		json_array_append_new(nm->reused, json_string(m->name));
	} else if (q->optional) {
		status = "optional";
		json_array_append_new(nm->optional, json_string(m->name));
	} else if (q->deferrable) {
		status = "deferred";
		json_array_append_new(nm->deferred, json_string(m->name));
	} else {
		status = "missing";
		json_array_append_new(nm->missing, json_string(m->name));
	}
	json_t *e = material_entry(r, q, status, reason);
	if (m->source == SRC_SHARED && m->source_name)
		json_object_set_new(e, "source", json_string(m->source_name));
	if (have[q->material] == HAVE_REUSED)
		json_object_set_new(e, "from_case",
				    json_string(lib(lib_ud, applicant_id, m->name, now)));
	json_array_append_new(list, e);
	return OT_OK;
}

/* The provided materials as a set; unknown names are a bad request. */
static ot_status provided_set(const ot_rules *r, json_t *provided, json_t **out,
			      ot_error *err)
{
	size_t i;
	json_t *p;
	*out = json_object();
	json_array_foreach(provided, i, p) {
		const char *name = json_string_value(p);
		if (!name || find_material(r, name) < 0) {
			json_decref(*out);
			return err_set(err, OT_EINVAL, "unknown material '%s'",
				    name ? name : "(not a name)");
		}
		json_object_set_new(*out, name, json_true());
	}
	return OT_OK;
}

static json_t *notice_text(const ot_rules *r, const names *nm, json_t *form_errors)
{
	json_t *lines = json_array();
	size_t i;
	json_t *j;
	json_array_foreach(nm->missing, i, j) {
		const m_material *m = &r->materials[find_material(r, json_string_value(j))];
		char line[300];
		snprintf(line, sizeof line, "缺少材料 missing: %s", m->label ? m->label : m->name);
		json_array_append_new(lines, json_string(line));
	}
	json_array_foreach(nm->deferred, i, j) {
		const m_material *m = &r->materials[find_material(r, json_string_value(j))];
		char line[300];
		snprintf(line, sizeof line, "容缺后补 to be supplied before the decision: %s",
			 m->label ? m->label : m->name);
		json_array_append_new(lines, json_string(line));
	}
	json_array_foreach(form_errors, i, j) {
		char line[400];
		snprintf(line, sizeof line, "表单 form: %s",
			 json_string_value(json_object_get(j, "message")));
		json_array_append_new(lines, json_string(line));
	}
	return lines;
}

ot_status assess(const version *v, int item, int applicant_kind,
		 const char *applicant_id, json_t *form, json_t *provided,
		 uint8_t *have, library_fn lib, void *lib_ud, ot_time now,
		 int zone, assessment *out, ot_error *err)
{
	const ot_rules *r = v->rules;
	const m_item *it = &r->items[item];
	memset(out, 0, sizeof *out);
	json_t *set;
	if (provided_set(r, provided, &set, err) != OT_OK)
		return err->status;
	ev_value values[256];
	json_t *form_errors = json_array();
	if (it->form >= 0) {
		if (r->forms[it->form].fields.count > OT_COUNTOF(values)) {
			json_decref(set);
			json_decref(form_errors);
			return err_set(err, OT_EINVAL, "form %s has too many fields", r->forms[it->form].name);
		}
		form_values(r, it->form, form ? form : json_object(), values, form_errors);
	}
	names nm = {json_array(), json_array(), json_array(), json_array(), json_array()};
	json_t *list = json_array();
	memset(have, 0, r->n_materials);
	ot_status st = OT_OK;
	for (uint32_t i = 0; i < it->reqs.count && st == OT_OK; i++)
		st = assess_req(v, &r->reqs[it->reqs.first + i], it->form >= 0 ? values : NULL,
				applicant_kind, applicant_id, set, have, lib, lib_ud, now,
				list, &nm, err);
	/* materials handed in that the item does not ask for */
	json_t *extra = json_array();
	const char *key;
	json_t *j;
	json_object_foreach(set, key, j) {
		int m = find_material(r, key);
		if (have[m] == HAVE_NONE) {
			have[m] = HAVE_PROVIDED;
			json_array_append_new(extra, json_string(key));
		}
	}
	json_decref(set);
	out->form_errors = (int)json_array_size(form_errors);
	out->deferred = (int)json_array_size(nm.deferred);
	out->complete = st == OT_OK && !json_array_size(nm.missing) && !out->form_errors;
	json_t *o = json_pack("{s:s, s:s?, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i}",
			      "item", it->name, "label", it->label, "complete", out->complete,
			      "materials", list, "missing", nm.missing, "deferred", nm.deferred,
			      "shared", nm.shared, "reused", nm.reused, "optional", nm.optional,
			      "not_needed", extra, "form_errors", form_errors, "max_trips",
			      v->max_trips[item]);
	json_object_set_new(o, "notice", notice_text(r, &nm, form_errors));
	if (out->complete && it->calendar >= 0) {
		int32_t limit = it->promised_limit >= 0 ? it->promised_limit : it->legal_limit;
		if (limit >= 0) {
			char d[11];
			day_format(cal_add_workdays(&r->calendars[it->calendar],
						    time_day(now, zone), limit), d);
			json_object_set_new(o, "due", json_string(d));
		}
	}
	out->json = o;
	return st;
}

/* ---- static trips ---- */

#define TRIP_STATES 20000

typedef struct trips {
	const ot_rules *r;
	const m_item *it;
	int n, nslots, words, best;
	uint32_t *slot; /* per rule of the item: first arrival bit, or -1 */
	uint64_t **set;
	uint32_t cap, count;
} trips;

static int trips_seen(trips *t, uint64_t *s)
{
	size_t bytes = (size_t)t->words * sizeof *s;
	if ((t->count + 1) * 2 > t->cap) {
		uint32_t ocap = t->cap;
		uint64_t **old = t->set;
		t->cap = ocap ? ocap * 2 : 256;
		t->set = calloc(t->cap, sizeof *t->set);
		t->count = 0;
		for (uint32_t i = 0; i < ocap; i++)
			if (old[i])
				trips_seen(t, old[i]);
		free(old);
	}
	uint64_t h = 1469598103934665603ull;
	for (int i = 0; i < t->words; i++)
		h = (h ^ s[i]) * 1099511628211ull;
	for (uint32_t i = (uint32_t)h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		if (!t->set[i]) {
			t->set[i] = s;
			t->count++;
			return 0;
		}
		if (memcmp(t->set[i], s, bytes) == 0)
			return 1;
	}
}

#define TBIT(s, i) ((s)[(i) / 64] >> ((i) % 64) & 1)
#define TSET(s, i) ((s)[(i) / 64] |= 1ull << ((i) % 64))
#define TCLR(s, i) ((s)[(i) / 64] &= ~(1ull << ((i) % 64)))

/* State bits: [0, n) active steps, [n, 2n) steps done in person,
 * [2n, 2n + nslots) join arrivals. */
static void trips_fire(trips *t, uint64_t *s, uint32_t rule, int step)
{
	const ot_rules *r = t->r;
	const m_rule *ru = &r->rules[rule];
	uint32_t local = rule - t->it->rules.first;
	if (ru->from.count > 1) {
		int bit = 2 * t->n + (int)t->slot[local];
		for (uint32_t j = 0; j < ru->from.count; j++)
			if (r->ints[ru->from.first + j] == step)
				TSET(s, bit + (int)j);
		for (uint32_t j = 0; j < ru->from.count; j++)
			if (!TBIT(s, bit + (int)j))
				return;
		for (uint32_t j = 0; j < ru->from.count; j++)
			TCLR(s, bit + (int)j);
	}
	for (uint32_t j = 0; j < ru->to.count; j++)
		if (r->ints[ru->to.first + j] != STEP_END)
			TSET(s, r->ints[ru->to.first + j]);
}

static int trips_explore(trips *t, uint64_t *start, uint64_t **queue)
{
	size_t bytes = (size_t)t->words * sizeof(uint64_t);
	uint32_t head = 0, tail = 0;
	queue[tail++] = start;
	trips_seen(t, start);
	while (head < tail) {
		uint64_t *s = queue[head++];
		int any = 0;
		for (int step = 0; step < t->n; step++) {
			if (!TBIT(s, step))
				continue;
			any = 1;
			const m_step *st = &t->r->steps[t->it->steps.first + (uint32_t)step];
			const m_rule *first = st->exits.count
				? &t->r->rules[t->r->ints[st->exits.first]] : NULL;
			int always = first && first->guard == G_ALWAYS;
			uint32_t choices = always ? 1 : st->exits.count;
			for (uint32_t c = 0; c < (choices ? choices : 1); c++) {
				if (tail >= TRIP_STATES)
					return 0;
				uint64_t *n = malloc(bytes);
				memcpy(n, s, bytes);
				TCLR(n, step);
				if (st->in_person)
					TSET(n, t->n + step);
				for (uint32_t e = 0; e < st->exits.count; e++)
					if (always || e == c)
						trips_fire(t, n, (uint32_t)t->r->ints[st->exits.first + e], step);
				if (trips_seen(t, n))
					free(n);
				else
					queue[tail++] = n;
			}
		}
		if (!any) {
			int count = 0;
			for (int step = 0; step < t->n; step++)
				count += (int)TBIT(s, t->n + step);
			if (count > t->best)
				t->best = count;
		}
	}
	return 1;
}

int item_max_trips(const ot_rules *r, int item)
{
	const m_item *it = &r->items[item];
	int submit = it->online == ONLINE_NONE;
	int deliver = !(it->deliver & (DELIVER_POST | DELIVER_ELECTRONIC));
	trips t;
	memset(&t, 0, sizeof t);
	t.r = r;
	t.it = it;
	t.n = (int)it->steps.count;
	if (t.n == 0)
		return submit + deliver;
	t.slot = calloc(it->rules.count + 1, sizeof *t.slot);
	for (uint32_t i = 0; i < it->rules.count; i++) {
		const m_rule *ru = &r->rules[it->rules.first + i];
		if (ru->from.count > 1) {
			t.slot[i] = (uint32_t)t.nslots;
			t.nslots += (int)ru->from.count;
		}
	}
	t.words = (2 * t.n + t.nslots + 63) / 64;
	uint64_t **queue = calloc(TRIP_STATES + 1, sizeof *queue);
	uint64_t *start = calloc((size_t)t.words, sizeof *start);
	TSET(start, 0);
	int in_person = 0;
	if (!trips_explore(&t, start, queue)) {
		/* too many states to enumerate: assume every in-person step */
		for (uint32_t i = 0; i < it->steps.count; i++)
			in_person += r->steps[it->steps.first + i].in_person;
	} else
		in_person = t.best;
	for (uint32_t i = 0; i < t.cap; i++)
		free(t.set[i]);
	free(t.set);
	free(queue);
	free(t.slot);
	return submit + in_person + deliver;
}
