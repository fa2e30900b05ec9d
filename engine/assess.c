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
#include "hooks.h"
#include "idcheck.h"

/* ---- form values ---- */

/* The next error of fe for field f (or `key`, a key the form does not
 * have); NULL when there is no room for one. */
static form_error *new_error(form_errors *fe, const m_field *f, const char *key)
{
	if (fe->n >= MAX_FORM_ERRORS)
		return NULL;
	if (fe->n == fe->cap) {
		int cap = fe->cap ? fe->cap * 2 : 4;
		form_error *v = realloc(fe->v, (size_t)cap * sizeof *v);
		if (!v)
			return NULL;
		fe->v = v;
		fe->cap = cap;
	}
	form_error *e = &fe->v[fe->n++];
	e->field = f;
	const char *k = f ? f->name : key; /* cut as snprintf would, without it */
	size_t n = strnlen(k, sizeof e->key - 1);
	memcpy(e->key, k, n);
	e->key[n] = 0;
	return e;
}

static void field_error(form_errors *fe, const m_field *f, const char *key,
			const char *fmt, ...)
{
	form_error *e = new_error(fe, f, key);
	if (!e)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
	utf8_settle(e->message);
}

static const char *label_of(const m_field *f);

/* "LABEL is required": the most frequent error (a portal assesses while
 * the form is being filled in), written without printf. */
static void required_error(form_errors *fe, const m_field *f)
{
	form_error *e = new_error(fe, f, NULL);
	if (!e)
		return;
	/* the same text, cut at the same place, as "%s is required" */
	static const char tail[] = " is required";
	const char *label = label_of(f);
	size_t cap = sizeof e->message - 1, n = strlen(label);
	if (n > cap)
		n = cap;
	size_t t = cap - n < sizeof tail - 1 ? cap - n : sizeof tail - 1;
	memcpy(e->message, label, n);
	memcpy(e->message + n, tail, t);
	e->message[n + t] = 0;
	utf8_settle(e->message);
}

/* A decimal from JSON: an integer, a number, or a numeric string.  A JSON
 * number arrives as a double; the shortest text that reads back as the
 * same double is what the sender wrote, so nothing is rounded. */
/* A form's number: JSON integer, real, or text for exact decimals;
 * trailing zeros dropped ("2.50" is 2.5). */
static int json_decimal(json_t *j, ot_dec *out)
{
	int ok;
	if (json_is_integer(j)) {
		out->units = json_integer_value(j);
		out->scale = 0;
		return 1;
	}
	if (json_is_real(j))
		ok = dec_from_double(json_real_value(j), out);
	else
		ok = json_is_string(j) && dec_parse(json_string_value(j), out);
	while (ok && out->scale > 0 && out->units % 10 == 0) {
		out->units /= 10;
		out->scale--;
	}
	return ok;
}

static const char *label_of(const m_field *f)
{
	return f->label ? f->label : f->name;
}

static int read_number(const m_field *f, json_t *j, ev_value *v, form_errors *fe)
{
	char a[32];
	if (!json_decimal(j, &v->u.num)) {
		field_error(fe, f, NULL, "%s must be a number", label_of(f));
		return 0;
	}
	if (f->type == FT_INTEGER && v->u.num.scale) {
		field_error(fe, f, NULL, "%s must be a whole number", label_of(f));
		return 0;
	}
	if (f->has_min && dec_cmp(v->u.num, f->min) < 0) {
		dec_format(f->min, a);
		field_error(fe, f, NULL, "%s must be at least %s", label_of(f), a);
		return 0;
	}
	if (f->has_max && dec_cmp(v->u.num, f->max) > 0) {
		dec_format(f->max, a);
		field_error(fe, f, NULL, "%s must be at most %s", label_of(f), a);
		return 0;
	}
	v->type = VT_NUM;
	return 1;
}

static int read_form(const ot_rules *r, int form, json_t *obj, ev_value *values,
		     form_errors *fe, int derived);

/* A group (家庭成员): a list of rows, each checked as its form; an error in a
 * row is the group's, saying which row.  In conditions: the number of rows. */
static int read_group(const ot_rules *r, const m_field *f, json_t *j, ev_value *v,
		      form_errors *fe)
{
	if (!json_is_array(j)) {
		field_error(fe, f, NULL, "%s must be a list of rows", label_of(f));
		return 0;
	}
	size_t i;
	json_t *row;
	int ok = 1;
	json_array_foreach(j, i, row) {
		ev_value values[MAX_FIELDS];
		form_errors rfe = {0, 0, NULL};
		if (!json_is_object(row))
			field_error(fe, f, NULL, "%s, row %zu: must be an object of the row's fields",
				    label_of(f), i + 1);
		else if (read_form(r, f->group, row, values, &rfe, 0))
			for (int e = 0; e < rfe.n; e++)
				field_error(fe, f, NULL, "%s 第%zu行 row %zu: %s", label_of(f), i + 1,
					    i + 1, rfe.v[e].message);
		ok &= json_is_object(row) && rfe.n == 0;
		free(rfe.v);
	}
	ev_value n = {0};
	n.type = VT_NUM;
	n.u.num.units = (int64_t)json_array_size(j);
	char a[32];
	if (ok && f->has_min && dec_cmp(n.u.num, f->min) < 0) {
		dec_format(f->min, a);
		field_error(fe, f, NULL, "%s needs at least %s rows", label_of(f), a);
		ok = 0;
	}
	if (ok && f->has_max && dec_cmp(n.u.num, f->max) > 0) {
		dec_format(f->max, a);
		field_error(fe, f, NULL, "%s has at most %s rows", label_of(f), a);
		ok = 0;
	}
	*v = n;
	return ok;
}

static int read_field(const ot_rules *r, const m_field *f, json_t *j, ev_value *v,
		      form_errors *fe)
{
	const char *s = json_string_value(j);
	size_t n = json_is_string(j) ? json_string_length(j) : 0;
	memset(v, 0, sizeof *v);
	switch (f->type) {
	case FT_INTEGER:
	case FT_DECIMAL:
		return read_number(f, j, v, fe);
	case FT_GROUP:
		return read_group(r, f, j, v, fe);
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
				v->field = (int16_t)(f - r->fields);
				v->u.e = (int32_t)i;
				return 1;
			}
		if (s) {
			char list[256] = "";
			for (uint32_t i = 0; i < f->values.count; i++)
				snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
					 i ? ", " : "", r->strs[f->values.first + i]);
			field_error(fe, f, NULL, "%s: '%.40s' is not one of %s", label_of(f), s, list);
			return 0;
		}
		break;
	case FT_ID_NUMBER:
		if (!s)
			break;
		if (!id_number_valid(s, n)) {
			field_error(fe, f, NULL, "%s is not a valid resident ID number (GB 11643: 18 "
				    "characters, birth date, check character)", label_of(f));
			return 0;
		}
		goto text;
	case FT_CREDIT_CODE:
		if (!s)
			break;
		if (!credit_code_valid(s, n)) {
			field_error(fe, f, NULL, "%s is not a valid unified social credit code "
				    "(GB 32100: 18 characters, check character)", label_of(f));
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
		"an ID number", "a credit code", "a list of rows"};
	field_error(fe, f, NULL, "%s must be %s", label_of(f), words[f->type]);
	return 0;
}

static int blank(json_t *j)
{
	return !j || json_is_null(j) || (json_is_string(j) && json_string_length(j) == 0);
}

int form_values(const ot_rules *r, int form, json_t *obj, ev_value *values,
		form_errors *fe)
{
	return read_form(r, form, obj, values, fe, 0);
}

int form_values_derived(const ot_rules *r, int form, json_t *obj, ev_value *values,
			form_errors *fe)
{
	return read_form(r, form, obj, values, fe, 1);
}

/* Whether a form has a computed field (one a hook's derive fills in). */
static int form_computes(const ot_rules *r, int form)
{
	const m_form *fm = &r->forms[form];
	for (uint32_t i = 0; i < fm->fields.count; i++)
		if (r->fields[fm->fields.first + i].computed)
			return 1;
	return 0;
}

static int read_form(const ot_rules *r, int form, json_t *obj, ev_value *values,
		     form_errors *fe, int derived)
{
	int before = fe->n;
	size_t present = 0;
	const m_form *fm = &r->forms[form];
	for (uint32_t i = 0; i < fm->fields.count; i++) {
		const m_field *f = &r->fields[fm->fields.first + i];
		json_t *j = json_object_get(obj, f->name);
		present += j != NULL;
		ev_value *v = &values[i];
		memset(v, 0, sizeof *v);
		v->absent = 1;
		if (blank(j)) {
			if (f->required && !f->computed)
				required_error(fe, f);
			continue;
		}
		if (f->computed && !derived) {
			field_error(fe, f, NULL, "%s is computed by the engine; leave it out", label_of(f));
			continue;
		}
		if (!read_field(r, f, j, v, fe)) {
			memset(v, 0, sizeof *v);
			v->absent = 1;
		}
	}
	if (present == json_object_size(obj))
		return fe->n - before; /* every key is a field: nothing unknown */
	const char *key;
	json_t *j;
	json_object_foreach(obj, key, j) {
		int known = 0;
		for (uint32_t i = 0; i < fm->fields.count && !known; i++)
			known = strcmp(r->fields[fm->fields.first + i].name, key) == 0;
		if (!known)
			field_error(fe, NULL, key, "form '%s' has no field '%.60s'", fm->name, key);
	}
	return fe->n - before;
}

/* ---- materials ---- */

static int find_material(const ot_rules *r, const char *name)
{
	return strmap_get(&r->by_material, name, strlen(name));
}

enum { ST_NOT_REQUIRED, ST_SHARED, ST_PROVIDED, ST_REUSED, ST_OPTIONAL, ST_DEFERRED, ST_MISSING,
       ST_PLEDGED };
_Static_assert((int)ST_MISSING == (int)ASSESS_MISSING && (int)ST_SHARED == (int)ASSESS_SHARED &&
	       (int)ST_DEFERRED == (int)ASSESS_DEFERRED && (int)ST_PLEDGED == (int)ASSESS_PLEDGED,
	       "application.needs reports the ST_ values");
/* their names in the answer, quoted */
#define ST_TEXT(s) {"\"" s "\"", sizeof(s) + 1}
static const struct {
	const char *s;
	size_t n;
} status_text[] = {ST_TEXT("not_required"), ST_TEXT("shared"), ST_TEXT("provided"),
		   ST_TEXT("reused"), ST_TEXT("optional"), ST_TEXT("deferred"),
		   ST_TEXT("missing"), ST_TEXT("pledged")};

/* 告知承诺: whether the applicant's pledge stands for material m of the item,
 * the item's pledge condition holding (pledged > 0). */
static int pledge_covers(const ot_rules *r, const m_item *it, int pledged, int m)
{
	for (uint32_t i = 0; pledged > 0 && i < it->pledge.count; i++)
		if (r->ints[it->pledge.first + i] == m)
			return 1;
	return 0;
}

static int pledge_holds(const ot_rules *r, const m_item *it, const ev_value *values,
			const eval_env *env)
{
	if (!it->pledge.count)
		return 0;
	if (it->pledge_cond < 0)
		return 1;
	ev_value stack[64];
	const m_expr *x = &r->exprs[it->pledge_cond];
	const char *why = NULL;
	return x->depth <= (int)OT_COUNTOF(stack) &&
	       eval_cond(r, x, values, env, stack, &why) > 0;
}

typedef struct req_result {
	int status;
	int met_by;    /* the material that meets it: the one listed, or one
			  of its alternatives (`or`) */
	int cond_held; /* -1 unconditional */
	char from_case[32];
	/* a provider's answer (malloc, NULL when none: most materials) */
	char *ref;     /* shared: the licence (or record) number */
	char *why;     /* shared but not obtained: why, for the notice */
	int licence;   /* found in the licence library (an issued result) */
} req_result;

/* Whether material `mat` is had: shared, handed in or reused; sets res. */
static int meet(const version *v, int mat, const application *app, const uint8_t *provided,
		uint8_t *have, const material_sources *src, req_result *res, ot_error *provider)
{
	const m_material *m = &v->rules->materials[mat];
	const char *from;
	int got = m->source == SRC_SHARED;
	if (got && m->provider >= 0 && src && src->shared) {
		char ref[REF_CAP], why[256];
		ot_error pe;
		got = src->shared(src->ud, v, app, mat, ref, why, &pe);
		if (got < 0 && provider->status == OT_OK)
			*provider = pe;
		utf8_settle(ref); /* a provider's text, cut to the buffers */
		utf8_settle(why);
		free(res->ref);
		free(res->why);
		res->ref = ref[0] ? strdup(ref) : NULL;
		res->why = why[0] ? strdup(why) : NULL;
	}
	char number[REF_CAP];
	if (got <= 0 && (m->issued || m->source == SRC_ISSUED) && app->applicant_id && src &&
	    src->licence && src->licence(src->ud, v, app->applicant_id, mat, app->now, number) == 1) {
		/* a result issued before (in a chain, by an earlier item) */
		free(res->ref);
		free(res->why);
		res->why = NULL;
		res->ref = strdup(number);
		res->licence = 1;
		got = 1;
	}
	if (got > 0) {
		have[mat] = HAVE_SHARED;
		res->status = ST_SHARED;
	} else if (provided[mat]) {
		/* what a provider could not give, the applicant hands in */
		have[mat] = HAVE_PROVIDED;
		res->status = ST_PROVIDED;
	} else if (m->reusable.n >= 0 && app->applicant_id && src && src->library &&
		   (from = src->library(src->ud, app->applicant_id, m->name, app->now))) {
		have[mat] = HAVE_REUSED;
		res->status = ST_REUSED;
		snprintf(res->from_case, sizeof res->from_case, "%s", from);
	} else
		return 0;
	return 1;
}

/* One requirement: whether it applies, and how it is met. */
static ot_status assess_req(const version *v, const m_req *q, const ev_value *values,
			    const eval_env *env, const application *app,
			    const uint8_t *provided, uint8_t *have, const material_sources *src,
			    req_result *res, ot_error *provider, ot_error *err)
{
	const ot_rules *r = v->rules;
	const m_material *m = &r->materials[q->material];
	res->cond_held = -1;
	res->met_by = q->material;
	if (q->cond >= 0) {
		ev_value stack[64];
		const m_expr *x = &r->exprs[q->cond];
		const char *why = NULL;
		if (x->depth > (int)OT_COUNTOF(stack))
			return err_set(err, OT_EINVAL, "a condition of %s is too deep to evaluate", m->name);
		int held = eval_cond(r, x, values, env, stack, &why);
		if (held < 0)
			return err_set(err, OT_EHOOK, "cannot decide whether %s is required: %s",
				       m->name, why);
		res->cond_held = held;
		if (!held) {
			res->status = ST_NOT_REQUIRED;
			return OT_OK;
		}
	}
	/* the material listed, else each of its alternatives in turn */
	for (uint32_t k = 0; k <= q->alternatives.count; k++) {
		int mat = k ? r->ints[q->alternatives.first + k - 1] : q->material;
		if (meet(v, mat, app, provided, have, src, res, provider)) {
			res->met_by = mat;
			return OT_OK;
		}
	}
	res->status = q->optional ? ST_OPTIONAL : q->deferrable ? ST_DEFERRED : ST_MISSING;
	return OT_OK;
}

/* ---- the answer, written as JSON text ---- */

/* The answer's fixed parts -- names, labels, the reasons with their
 * condition's text -- are the same in every answer of a rule version, and
 * escaping them again each time was a fifth of an assessment: they are
 * escaped once, on the version's first assessment, and copied whole.
 * They are kept by the version (engine.h), as its hook host is, not in the
 * model: dsl/ knows nothing of how an answer is written, and the model is
 * shared by the engines of several threads, while a version belongs to
 * one engine. */
typedef struct atext {
	uint32_t at, n; /* in mem */
} atext;

struct assess_texts {
	char *mem;       /* all of them, one after another (malloc) */
	atext *name;     /* a material's "NAME", quoted; also the start of the
			    one array (malloc) the others point into */
	atext *head;     /* a material's {"material":"NAME","label":"LABEL","status": */
	atext *notice;   /* a material's label (its name if none), escaped */
	atext *reason;   /* two a requirement: ,"reason":"..." when its
			    condition does not hold, then when it does */
	atext *item;     /* an item's {"item":"NAME","label":"LABEL" */
};

void assess_texts_free(struct assess_texts *t)
{
	if (!t)
		return;
	free(t->mem);
	free(t->name);
	free(t);
}

static void reason_text(buf *b, const ot_rules *r, const m_req *q, int held)
{
	buf_lit(b, ",\"reason\":\"");
	if (q->cond < 0)
		buf_puts(b, q->optional ? "optional" : "always required");
	else {
		buf_puts(b, held ? "required because " : "not required: ");
		buf_json_str(b, r->exprs[q->cond].text);
		if (!held)
			buf_lit(b, " does not hold");
	}
	buf_putc(b, '"');
}

/* Ends the text begun at t->at. */
static void atext_end(atext *t, const buf *b)
{
	t->n = (uint32_t)(b->len - t->at);
}

static struct assess_texts *texts_make(const ot_rules *r)
{
	struct assess_texts *t = calloc(1, sizeof *t);
	size_t n = 3 * (size_t)r->n_materials + 2 * (size_t)r->n_reqs + r->n_items;
	atext *all = t ? calloc(n + 1, sizeof *all) : NULL;
	if (!all) {
		free(t);
		return NULL;
	}
	t->name = all;
	t->head = t->name + r->n_materials;
	t->notice = t->head + r->n_materials;
	t->reason = t->notice + r->n_materials;
	t->item = t->reason + 2 * (size_t)r->n_reqs;
	buf b;
	buf_init(&b, NULL, NULL);
	for (uint32_t m = 0; m < r->n_materials; m++) {
		const m_material *mat = &r->materials[m];
		t->name[m].at = (uint32_t)b.len;
		buf_json_quoted(&b, mat->name);
		atext_end(&t->name[m], &b);
		t->head[m].at = (uint32_t)b.len;
		buf_lit(&b, "{\"material\":");
		buf_json_quoted(&b, mat->name);
		buf_lit(&b, ",\"label\":");
		buf_json_quoted(&b, mat->label);
		buf_lit(&b, ",\"status\":");
		atext_end(&t->head[m], &b);
		t->notice[m].at = (uint32_t)b.len;
		buf_json_str(&b, mat->label ? mat->label : mat->name);
		atext_end(&t->notice[m], &b);
	}
	for (uint32_t q = 0; q < r->n_reqs; q++)
		for (int held = 0; held < 2; held++) {
			atext *x = &t->reason[2 * q + (uint32_t)held];
			x->at = (uint32_t)b.len;
			reason_text(&b, r, &r->reqs[q], held);
			atext_end(x, &b);
		}
	for (uint32_t i = 0; i < r->n_items; i++) {
		t->item[i].at = (uint32_t)b.len;
		buf_lit(&b, "{\"item\":");
		buf_json_quoted(&b, r->items[i].name);
		buf_lit(&b, ",\"label\":");
		buf_json_quoted(&b, r->items[i].label);
		atext_end(&t->item[i], &b);
	}
	t->mem = b.len > UINT32_MAX ? NULL : buf_steal(&b);
	if (!t->mem) {
		buf_free(&b);
		assess_texts_free(t);
		return NULL;
	}
	return t;
}

/* The version's texts, made on first use (NULL: out of memory). */
static const struct assess_texts *version_texts(const version *v)
{
	/* a cache, not a change: the version stays the same rule version */
	version *w = (version *)v;
	if (!w->texts)
		w->texts = texts_make(v->rules);
	return w->texts;
}

#define PUT(b, t, x) buf_add((b), (t)->mem + (x).at, (x).n)

/* ,"KEY":[ the materials of that status ] -- `key` is ,"KEY":[ */
static void write_names(buf *b, const struct assess_texts *t, const m_item *it,
			const req_result *res, const char *key, int status)
{
	int first = 1;
	buf_puts(b, key);
	for (uint32_t i = 0; i < it->reqs.count; i++)
		if (res[i].status == status) {
			if (!first)
				buf_putc(b, ',');
			PUT(b, t, t->name[res[i].met_by]);
			first = 0;
		}
	buf_putc(b, ']');
}

static void write_material(buf *b, const struct assess_texts *t, const ot_rules *r,
			   const m_req *q, const req_result *res)
{
	const m_material *m = &r->materials[res->met_by];
	PUT(b, t, t->head[res->met_by]);
	buf_add(b, status_text[res->status].s, status_text[res->status].n);
	PUT(b, t, t->reason[2 * (size_t)(q - r->reqs) + (res->cond_held != 0)]);
	if (res->status == ST_SHARED && (m->source_name || res->licence)) {
		buf_lit(b, ",\"source\":");
		buf_json_quoted(b, res->licence ? LICENCE_LIBRARY : m->source_name);
	}
	if (res->status == ST_SHARED && res->ref) {
		buf_lit(b, ",\"number\":");
		buf_json_quoted(b, res->ref);
	}
	if (res->why) {
		buf_lit(b, ",\"not_shared\":");
		buf_json_quoted(b, res->why);
	}
	if (res->status == ST_REUSED) {
		buf_lit(b, ",\"from_case\":");
		buf_json_quoted(b, res->from_case);
	}
	if (m->original || q->original)
		buf_lit(b, ",\"original\":true");
	if (q->copies >= 0 ? q->copies : m->copies) {
		buf_lit(b, ",\"copies\":");
		buf_int(b, q->copies >= 0 ? q->copies : m->copies);
	}
	if (q->medium != MEDIUM_ANY) {
		buf_lit(b, ",\"medium\":");
		buf_json_quoted(b, model_medium_names[q->medium]);
	}
	if (q->alternatives.count) { /* 一选一: any one of these */
		buf_lit(b, ",\"one_of\":[");
		PUT(b, t, t->name[q->material]);
		for (uint32_t k = 0; k < q->alternatives.count; k++) {
			buf_putc(b, ',');
			PUT(b, t, t->name[r->ints[q->alternatives.first + k]]);
		}
		buf_putc(b, ']');
	}
	buf_putc(b, '}');
}

static void write_notice(buf *b, const struct assess_texts *t, const ot_rules *r,
			 const m_item *it, const req_result *res, const form_errors *fe,
			 json_t *material_errors, int hook_failed)
{
	int first = 1;
	size_t k;
	json_t *me;
	buf_puts(b, ",\"notice\":[");
	for (uint32_t i = 0; i < it->reqs.count; i++) {
		if (res[i].status != ST_MISSING && res[i].status != ST_DEFERRED)
			continue;
		const m_req *q = &r->reqs[it->reqs.first + i];
		buf_puts(b, first ? "\"" : ",\"");
		if (res[i].status == ST_MISSING)
			buf_lit(b, "缺少材料 missing: ");
		else
			buf_lit(b, "容缺后补 to be supplied before the decision: ");
		PUT(b, t, t->notice[q->material]);
		for (uint32_t j = 0; j < q->alternatives.count; j++) {
			buf_puts(b, j + 1 < q->alternatives.count ? "、" : " 或 or ");
			PUT(b, t, t->notice[r->ints[q->alternatives.first + j]]);
		}
		if (res[i].why) {
			/* shared data that could not be had: say so, not just "missing" */
			buf_puts(b, " (");
			buf_json_str(b, res[i].why);
			buf_putc(b, ')');
		}
		buf_putc(b, '"');
		first = 0;
	}
	for (int i = 0; i < fe->n; i++) {
		buf_puts(b, first ? "\"表单 form: " : ",\"表单 form: ");
		buf_json_str(b, fe->v[i].message);
		buf_putc(b, '"');
		first = 0;
	}
	json_array_foreach(material_errors, k, me) {
		buf_puts(b, first ? "\"材料 material: " : ",\"材料 material: ");
		buf_json_str(b, json_string_value(json_object_get(me, "message")));
		buf_putc(b, '"');
		first = 0;
	}
	if (hook_failed) {
		/* the applicant learns that a check could not run, not why */
		buf_puts(b, first ? "" : ",");
		buf_puts(b, "\"核验暂时无法完成 a check could not be completed; the hall will "
			    "contact you or please try again later\"");
	}
	buf_putc(b, ']');
}

static void write_answer(buf *b, const struct assess_texts *t, const version *v, int item,
			 const req_result *res, const uint8_t *extra, const form_errors *fe,
			 json_t *material_errors, const assessment *a, ot_time now, int zone)
{
	const ot_rules *r = v->rules;
	const m_item *it = &r->items[item];
	PUT(b, t, t->item[item]);
	if (a->complete)
		buf_lit(b, ",\"complete\":true,\"materials\":[");
	else
		buf_lit(b, ",\"complete\":false,\"materials\":[");
	for (uint32_t i = 0; i < it->reqs.count; i++) {
		if (i)
			buf_putc(b, ',');
		write_material(b, t, r, &r->reqs[it->reqs.first + i], &res[i]);
	}
	buf_putc(b, ']');
	write_names(b, t, it, res, ",\"missing\":[", ST_MISSING);
	write_names(b, t, it, res, ",\"deferred\":[", ST_DEFERRED);
	write_names(b, t, it, res, ",\"shared\":[", ST_SHARED);
	write_names(b, t, it, res, ",\"reused\":[", ST_REUSED);
	write_names(b, t, it, res, ",\"optional\":[", ST_OPTIONAL);
	/* the materials the pledge stands for, and whether it holds: two keys
	 * (one "pledged" for both made the answer an object with a duplicate
	 * key, which strict readers refuse and jansson reads as the last) */
	write_names(b, t, it, res, ",\"pledged_materials\":[", ST_PLEDGED);
	if (a->pledged)
		buf_lit(b, ",\"pledged\":true,\"not_needed\":[");
	else
		buf_lit(b, ",\"pledged\":false,\"not_needed\":[");
	for (uint32_t m = 0, first = 1; m < r->n_materials; m++)
		if (extra[m]) {
			if (!first)
				buf_putc(b, ',');
			PUT(b, t, t->name[m]);
			first = 0;
		}
	buf_lit(b, "],\"form_errors\":[");
	for (int i = 0; i < fe->n; i++) {
		buf_puts(b, i ? ",{\"field\":" : "{\"field\":");
		buf_json_quoted(b, fe->v[i].key);
		if (fe->v[i].field && fe->v[i].field->label) {
			buf_puts(b, ",\"label\":");
			buf_json_quoted(b, fe->v[i].field->label);
		}
		buf_puts(b, ",\"message\":");
		buf_json_quoted(b, fe->v[i].message);
		buf_putc(b, '}');
	}
	buf_lit(b, "],\"material_errors\":");
	char *me = json_array_size(material_errors) ? json_dumps(material_errors, JSON_COMPACT) : NULL;
	buf_puts(b, me ? me : "[]");
	free(me);
	if (a->hook.status == OT_EHOOK) {
		buf_puts(b, ",\"hook_error\":");
		buf_json_quoted(b, a->hook.message);
	}
	if (a->provider.status != OT_OK) {
		buf_puts(b, ",\"provider_error\":");
		buf_json_quoted(b, a->provider.message);
	}
	buf_lit(b, ",\"max_trips\":");
	buf_int(b, item_max_trips(r, item));
	write_notice(b, t, r, it, res, fe, material_errors, a->hook.status == OT_EHOOK);
	int32_t due = a->complete && it->calendar >= 0
		? cal_item_due(&r->calendars[it->calendar], time_day(now, zone), it) : -1;
	if (due >= 0) {
		char d[11];
		day_format(due, d);
		buf_puts(b, ",\"due\":\"");
		buf_puts(b, d);
		buf_putc(b, '"');
	}
	buf_putc(b, '}');
}

/* The provided materials as flags; unknown names are a bad request. */
static ot_status provided_flags(const ot_rules *r, json_t *provided, uint8_t *flags,
				ot_error *err)
{
	size_t i;
	json_t *p;
	json_array_foreach(provided, i, p) {
		const char *name = json_string_value(p);
		int m = name ? find_material(r, name) : -1;
		if (m < 0)
			return err_set(err, OT_EINVAL, "unknown material '%.60s'",
				       name ? name : "(not a name)");
		flags[m] = 1;
	}
	return OT_OK;
}

/* The hooks' part of an assessment: derive the computed fields (phase 0),
 * then validate (phase 1).  A failure is kept in out->hook: the caller
 * decides whether it refuses the operation or shows a neutral notice. */
static void run_hooks(const version *v, const application *app, const uint8_t *have,
		      ev_value *values, json_t **form, json_t *material_errors,
		      form_errors *fe, assessment *out, int phase)
{
	const ot_rules *r = v->rules;
	const m_item *it = &r->items[app->item];
	hook_host *h = version_hooks(v);
	hook_view view = {app->item, it->form >= 0 ? values : NULL, app->applicant_kind,
			  app->applicant_id, app->applicant_name, have, app->now,
			  app->status, app->current, app->ncurrent, *form};
	if (out->hook.status != OT_OK)
		return;
	if (!h) {
		err_set(&out->hook, OT_ENOMEM, "out of memory starting the hooks");
		return;
	}
	if (phase == 0) {
		hook_derive(h, &view, form, &out->hook);
		return;
	}
	json_t *errors = json_array();
	if (hook_validate(h, &view, errors, &out->hook) == OT_OK) {
		size_t i;
		json_t *e;
		json_array_foreach(errors, i, e) {
			if (json_object_get(e, "material")) {
				json_array_append(material_errors, e);
				continue;
			}
			const char *field = json_string_value(json_object_get(e, "field"));
			const m_form *f = &r->forms[it->form];
			for (uint32_t k = 0; k < f->fields.count; k++)
				if (!strcmp(r->fields[f->fields.first + k].name, field))
					field_error(fe, &r->fields[f->fields.first + k], NULL, "%s",
						    json_string_value(json_object_get(e, "message")));
		}
	}
	json_decref(errors);
}

ot_status assess(const version *v, const application *app, uint8_t *have,
		 const material_sources *src, int zone, assessment *out, ot_error *err)
{
	const ot_rules *r = v->rules;
	int item = app->item;
	const m_item *it = &r->items[item];
	memset(out, 0, sizeof *out);
	if (it->form >= 0 && r->forms[it->form].fields.count > MAX_FIELDS)
		return err_set(err, OT_EINVAL, "form %s has too many fields", r->forms[it->form].name);
	uint8_t *flags = calloc(r->n_materials + 1, 1);
	req_result *res = calloc(it->reqs.count + 1, sizeof *res);
	form_errors errors = {0, 0, NULL}, *fe = &errors;
	ev_value values[MAX_FIELDS];
	json_t *material_errors = json_array();
	/* the request's form, shared with the other items of a chain: derive
	 * copies it before it adds a value (hook_derive) */
	json_t *form = json_is_object(app->form) ? json_incref(app->form) : json_object();
	hook_call_ctx *call = it->hook_path ? calloc(1, sizeof *call) : NULL;
	hook_view view = {item, it->form >= 0 ? values : NULL, app->applicant_kind,
			  app->applicant_id, app->applicant_name, have, app->now,
			  app->status, app->current, app->ncurrent, form};
	eval_env env = {app->applicant_kind, NULL, NULL};
	ot_status st = have && flags && res && material_errors && form && (call || !it->hook_path)
		       ? OT_OK : err_set(err, OT_ENOMEM, "out of memory");
	if (st == OT_OK && app->provided_flags)
		memcpy(flags, app->provided_flags, r->n_materials);
	else if (st == OT_OK)
		st = provided_flags(r, app->provided, flags, err);
	env.provided = flags; /* provided(M) in a material's condition */
	/* the form read once for a chain, unless a hook may derive into it:
	 * derive can only set computed fields, so without them the form stays
	 * as read (derive still runs, for what it may say) */
	int computes = it->hook_path && it->form >= 0 && form_computes(r, it->form);
	int preread = app->quiet && app->values && !computes && it->form >= 0 &&
		      it->form == app->values_form;
	if (st == OT_OK && preread) {
		memcpy(values, app->values, r->forms[it->form].fields.count * sizeof *values);
		if (it->hook_path) {
			memset(have, 0, r->n_materials);
			run_hooks(v, app, have, values, &form, material_errors, fe, out, 0);
		}
	} else if (st == OT_OK && it->form >= 0) {
		/* the applicant's values first: a computed field filled in by the
		 * applicant is their mistake; then what the hook derives */
		form_values(r, it->form, form, values, fe);
		if (it->hook_path) {
			memset(have, 0, r->n_materials);
			run_hooks(v, app, have, values, &form, material_errors, fe, out, 0);
			form_errors scratch = {0, 0, NULL};
			form_values_derived(r, it->form, form, values, &scratch);
			/* a derived value the form does not allow (out of range, not
			 * one of the list ...) is the hook's mistake, not the
			 * applicant's */
			for (int i = 0; i < scratch.n && out->hook.status != OT_EHOOK; i++)
				if (scratch.v[i].field && scratch.v[i].field->computed)
					err_set(&out->hook, OT_EHOOK, "derive in %s gave a value the form "
						"does not allow: %s", it->hook, scratch.v[i].message);
			free(scratch.v);
		}
	}
	view.form_json = form; /* derive's copy, if it made one */
	if (st == OT_OK && it->hook_path && version_hooks(v)) {
		call->h = version_hooks(v);
		call->v = &view;
		call->err = &out->hook;
		env.lua = hook_lua_fn;
		env.ud = call;
	}
	if (have)
		memset(have, 0, r->n_materials);
	out->pledged = st == OT_OK && pledge_holds(r, it, it->form >= 0 ? values : NULL, &env);
	for (uint32_t i = 0; st == OT_OK && i < it->reqs.count; i++) {
		ot_error e;
		if (call)
			call->used = 0;
		st = assess_req(v, &r->reqs[it->reqs.first + i], it->form >= 0 ? values : NULL,
				&env, app, flags, have, src, &res[i], &out->provider, &e);
		if (st == OT_EHOOK) {
			/* a hook function in a condition failed: the material counts
			 * as missing, and the failure is reported */
			if (out->hook.status != OT_EHOOK)
				out->hook = e;
			res[i].status = ST_MISSING;
			res[i].cond_held = 1;
			st = OT_OK;
		} else if (st != OT_OK)
			*err = e;
		/* what the pledge stands for is not missing, nor deferred */
		if (st == OT_OK && (res[i].status == ST_MISSING || res[i].status == ST_DEFERRED) &&
		    pledge_covers(r, it, out->pledged, r->reqs[it->reqs.first + i].material))
			res[i].status = ST_PLEDGED;
	}
	if (st == OT_OK && it->hook_path)
		run_hooks(v, app, have, values, &form, material_errors, fe, out, 1);
	/* a hook or provider that failed for want of memory fails the operation:
	 * the answer would be wrong, not just incomplete */
	if (st == OT_OK && (out->hook.status == OT_ENOMEM || out->provider.status == OT_ENOMEM)) {
		*err = out->hook.status == OT_ENOMEM ? out->hook : out->provider;
		st = OT_ENOMEM;
	}
	if (st == OT_OK) {
		/* materials handed in that the item does not ask for */
		for (uint32_t m = 0; m < r->n_materials; m++) {
			flags[m] = flags[m] && have[m] == HAVE_NONE;
			if (flags[m])
				have[m] = HAVE_PROVIDED;
		}
		int missing = 0;
		for (uint32_t i = 0; i < it->reqs.count; i++) {
			missing += res[i].status == ST_MISSING;
			out->deferred += res[i].status == ST_DEFERRED;
		}
		out->form_errors = fe->n;
		out->complete = !missing && !fe->n && !json_array_size(material_errors) &&
				out->hook.status != OT_EHOOK;
		for (uint32_t i = 0; app->needs && i < it->reqs.count; i++)
			app->needs[i] = (uint8_t)res[i].status;
	}
	const struct assess_texts *texts = st == OT_OK && !app->quiet ? version_texts(v) : NULL;
	if (st == OT_OK && !app->quiet && !texts)
		st = err_set(err, OT_ENOMEM, "out of memory writing the assessment");
	if (st == OT_OK && !app->quiet) {
		buf b;
		buf_init(&b, NULL, NULL);
		write_answer(&b, texts, v, item, res, flags, fe, material_errors, out, app->now, zone);
		out->text = buf_steal(&b);
		if (!out->text)
			st = err_set(err, OT_ENOMEM, "out of memory writing the assessment");
	}
	out->form = form;
	free(flags);
	for (uint32_t i = 0; res && i < it->reqs.count; i++) {
		free(res[i].ref);
		free(res[i].why);
	}
	free(res);
	if (app->errors_out && st == OT_OK) {
		*app->errors_out = errors; /* handed over */
		errors.v = NULL;
	}
	free(errors.v);
	free(call);
	json_decref(material_errors);
	return st;
}

void assessment_free(assessment *a)
{
	free(a->text);
	json_decref(a->form);
	a->text = NULL;
	a->form = NULL;
}

json_t *assessment_json(const assessment *a)
{
	return a->text ? json_loads(a->text, 0, NULL) : NULL;
}
