/*
 * diag.c -- diagnostics: collected during a compile, sorted by place,
 * rendered like a compiler's (source line, caret, hint) or as JSON.
 *
 * Each diagnostic copies the source line it points at, so the list stands
 * on its own after the compile context and its file texts are gone.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsl.h"

dsl_loc loc_file(int file)
{
	dsl_loc l;
	memset(&l, 0, sizeof l);
	l.file = file;
	l.first_line = l.last_line = 1;
	l.first_column = l.last_column = 1;
	return l;
}

static const char *line_text(dsl_ctx *c, dsl_loc l)
{
	if (l.file < 0 || (size_t)l.file >= c->files.n || l.first_line <= 0)
		return NULL;
	const dsl_file *f = &c->files.v[l.file];
	if (!f->text)
		return NULL;
	const char *p = f->text, *end = f->text + f->len;
	for (int line = 1; line < l.first_line && p < end; p++)
		if (*p == '\n')
			line++;
	const char *e = p;
	while (e < end && *e != '\n')
		e++;
	if (e > p && e[-1] == '\r')
		e--;
	char *line = arena_strndup(&c->diags->mem, p, (size_t)(e - p));
	utf8_scrub(line);
	return line;
}

void diag_at(dsl_ctx *c, dsl_loc l, const char *code, const char *hint,
	     const char *fmt, ...)
{
	ot_diags *d = c->diags;
	ot_diag g;
	va_list ap;
	char small[1];

	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	char *msg = arena_alloc(&d->mem, n > 0 ? (size_t)n + 1 : 1);
	va_start(ap, fmt);
	vsnprintf(msg, n > 0 ? (size_t)n + 1 : 1, fmt, ap);
	va_end(ap);
	utf8_scrub(msg); /* it may quote broken input; the JSON must stay valid */

	memset(&g, 0, sizeof g);
	g.file = "<input>";
	if (l.file >= 0 && (size_t)l.file < c->files.n) {
		/* the diagnostics outlive the file table: keep their own copy */
		dsl_file *f = &c->files.v[l.file];
		if (!f->diag_name)
			f->diag_name = arena_strdup(&d->mem, f->display);
		g.file = f->diag_name;
	}
	g.line = l.first_line;
	g.col = l.first_column;
	g.end_line = l.last_line;
	g.end_col = l.last_column;
	g.severity = code[0] == 'W' && !c->strict ? OT_WARNING : OT_ERROR;
	g.code = code;
	g.message = msg;
	g.hint = hint ? arena_strdup(&d->mem, hint) : NULL;
	if (g.hint)
		utf8_scrub((char *)g.hint);
	g.source_line = line_text(c, l);
	VEC_PUSH(&d->mem, d->v, g);
	VEC_PUSH(&d->mem, d->file, l.file);
	if (g.severity == OT_ERROR)
		d->errors++;
	else
		d->warnings++;
}

/* ---- sorting: load order of files, then place, then report order ---- */

typedef struct keyed {
	int file;
	size_t seq;
	ot_diag d;
} keyed;

static int by_place(const void *pa, const void *pb)
{
	const keyed *a = pa, *b = pb;
	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	if (a->d.line != b->d.line)
		return a->d.line < b->d.line ? -1 : 1;
	if (a->d.col != b->d.col)
		return a->d.col < b->d.col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void diags_sort(ot_diags *d)
{
	if (d->sorted || d->v.n < 2) {
		d->sorted = 1;
		return;
	}
	keyed *k = arena_alloc(&d->mem, d->v.n * sizeof *k);
	for (size_t i = 0; i < d->v.n; i++) {
		k[i].file = d->file.v[i];
		k[i].seq = i;
		k[i].d = d->v.v[i];
	}
	qsort(k, d->v.n, sizeof *k, by_place);
	/* the same finding twice at one place (a field a form takes over from
	 * another is checked in both) is said once */
	size_t n = 0;
	for (size_t i = 0; i < d->v.n; i++) {
		int dup = 0;
		for (size_t j = n; j-- > 0 && !dup;) {
			const ot_diag *a = &d->v.v[j], *b = &k[i].d;
			if (d->file.v[j] != k[i].file || a->line != b->line || a->col != b->col)
				break;
			dup = !strcmp(a->code, b->code) && !strcmp(a->message, b->message);
		}
		if (dup) {
			if (k[i].d.severity == OT_ERROR)
				d->errors--;
			else
				d->warnings--;
			continue;
		}
		d->v.v[n] = k[i].d;
		d->file.v[n++] = k[i].file;
	}
	d->v.n = d->file.n = n;
	d->sorted = 1;
}

/* ---- public accessors ---- */

size_t ot_diags_count(const ot_diags *d) { return d ? d->v.n : 0; }
size_t ot_diags_errors(const ot_diags *d) { return d ? d->errors : 0; }
size_t ot_diags_warnings(const ot_diags *d) { return d ? d->warnings : 0; }

const ot_diag *ot_diags_get(const ot_diags *d, size_t i)
{
	return d && i < d->v.n ? &d->v.v[i] : NULL;
}

void ot_diags_free(ot_diags *d)
{
	if (!d)
		return;
	arena a = d->mem; /* d lives inside its own arena */
	arena_free(&a);
}

/* ---- rendering ---- */

/* Terminal columns taken by the first `chars` characters of s, with tabs
 * copied so the caret lines up whatever the tab width. */
static void pad_to(buf *b, const char *s, int chars)
{
	size_t len = strlen(s);
	for (size_t i = 0; i < len && chars > 0; chars--) {
		uint32_t cp;
		int n = utf8_decode((const unsigned char *)s + i, len - i, &cp);
		if (cp == '\t')
			buf_putc(b, '\t');
		else
			for (int w = cp_width(cp); w > 0; w--)
				buf_putc(b, ' ');
		i += (size_t)n;
	}
}

static int span_width(const char *s, int from, int to)
{
	size_t len = strlen(s), i = 0;
	int col = 1, width = 0;
	while (i < len && col <= to) {
		uint32_t cp;
		int n = utf8_decode((const unsigned char *)s + i, len - i, &cp);
		if (col >= from)
			width += cp == '\t' ? 1 : cp_width(cp);
		i += (size_t)n;
		col++;
	}
	return width;
}

static void render_one(buf *b, const ot_diag *g, unsigned flags)
{
	int color = flags & OT_RENDER_COLOR;
	const char *sev = g->severity == OT_ERROR ? "error" : "warning";
	const char *hue = g->severity == OT_ERROR ? "\033[1;31m" : "\033[1;33m";
	char where[32] = "";
	if (g->line > 0)
		snprintf(where, sizeof where, ":%d:%d", g->line, g->col);
	buf_printf(b, "%s%s%s:%s %s%s[%s]:%s %s%s%s\n",
		   color ? "\033[1m" : "", g->file, where,
		   color ? "\033[0m" : "", color ? hue : "", sev, g->code,
		   color ? "\033[0m" : "", color ? "\033[1m" : "", g->message,
		   color ? "\033[0m" : "");
	if (g->source_line) {
		char num[16];
		int w = snprintf(num, sizeof num, "%d", g->line);
		buf_printf(b, " %s | %s\n", num, g->source_line);
		buf_printf(b, " %*s | ", w, "");
		pad_to(b, g->source_line, g->col - 1);
		int last = g->end_line == g->line ? g->end_col : 1 << 30;
		int width = span_width(g->source_line, g->col, last);
		if (color)
			buf_puts(b, hue);
		buf_putc(b, '^');
		for (int i = 1; i < width; i++)
			buf_putc(b, '~');
		if (color)
			buf_puts(b, "\033[0m");
		buf_putc(b, '\n');
		if (g->hint)
			buf_printf(b, " %*s = hint: %s\n", w, "", g->hint);
	} else if (g->hint) {
		buf_printf(b, "  = hint: %s\n", g->hint);
	}
}

char *ot_diags_render(const ot_diags *d, unsigned flags)
{
	buf b;
	buf_init(&b, NULL, NULL);
	buf_add(&b, "", 0);
	for (size_t i = 0; d && i < d->v.n; i++)
		render_one(&b, &d->v.v[i], flags);
	return buf_steal(&b);
}

char *ot_diags_json(const ot_diags *d)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && d && i < d->v.n; i++) {
		const ot_diag *g = &d->v.v[i];
		/* nocheck: a file name need not be valid UTF-8 */
		json_t *o = json_pack(
			"{s:o, s:i, s:i, s:i, s:i, s:s, s:s, s:o, s:o}", "file",
			json_string_nocheck(g->file), "line", g->line, "col",
			g->col, "end_line", g->end_line, "end_col", g->end_col,
			"severity", g->severity == OT_ERROR ? "error" : "warning",
			"code", g->code, "message", json_string_nocheck(g->message),
			"hint", g->hint ? json_string_nocheck(g->hint) : json_null());
		if (!o || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	char *out = arr ? json_dumps(arr, JSON_INDENT(2)) : NULL;
	json_decref(arr);
	return out;
}
