/*
 * store_checker.c -- what `store check` finds, in one shape for every
 * backend (store_checker.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "idcheck.h"
#include "store.h"
#include "store_checker.h"

void store_problem(store_checker *k, const char *case_id, const char *fmt, ...)
{
	if (json_array_size(k->problems) >= STORE_MAX_PROBLEMS) {
		k->more++;
		return;
	}
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	utf8_settle(text);
	ids_mask_in(text); /* a backend's message may quote a row: no ID numbers */
	/* "case ID: ..." from the replay says what the entry says already */
	const char *t = text;
	size_t n = case_id ? strlen(case_id) : 0;
	if (case_id && strncmp(t, "case ", 5) == 0 && strncmp(t + 5, case_id, n) == 0 &&
	    strncmp(t + 5 + n, ": ", 2) == 0)
		t += 7 + n;
	json_t *p = json_pack("{s:s?, s:s}", "case", case_id, "problem", t);
	if (!p || json_array_append_new(k->problems, p))
		k->more++;
}

void store_check_warn_at(store_checker *k, const ot_case *c, const char *column)
{
	char latest[11];
	/* without yellow warnings (-1) the day is the latest any engine writes */
	if (!case_warn_at(c, -1, latest) || (column && (!column[0] || strcmp(column, latest) <= 0)))
		return;
	store_problem(k, c->id, "its warn_at column (which the time sweep reads) says %s, but a "
		      "warning of its events is due by %s: the sweep would miss it",
		      column ? column : "nothing", latest);
}

void store_check_version(store_checker *k, const char *hash, const char *sources)
{
	ot_rules *r = NULL;
	ot_diags *d = NULL;
	ot_status s = sources ? ot_rules_compile_sources(sources, NULL, &r, &d) : OT_EINVAL;
	if (s == OT_ENOMEM)
		store_problem(k, NULL, "rule version %.12s: out of memory compiling it", hash);
	else if (s != OT_OK && d && ot_diags_errors(d))
		store_problem(k, NULL, "rule version %.12s: its stored sources do not compile "
			      "(%zu errors)", hash, ot_diags_errors(d));
	else if (s != OT_OK)
		store_problem(k, NULL, "rule version %.12s: its stored sources are not the sources "
			      "of a rule base", hash);
	else if (strcmp(ot_rules_hash(r), hash) != 0)
		store_problem(k, NULL, "rule version %.12s: its stored sources compile to another "
			      "version, %.12s", hash, ot_rules_hash(r));
	ot_rules_free(r);
	ot_diags_free(d);
}

json_t *store_check_report(const store_checker *k)
{
	json_t *r = json_pack("{s:s, s:b, s:i, s:I, s:I, s:I, s:O}", "store", store_path(k->e),
			      "sound", json_array_size(k->problems) == 0 && !k->more, "schema",
			      STORE_SCHEMA,
			      "rule_versions", k->versions, "cases", k->cases, "events", k->events,
			      "problems", k->problems);
	if (r && k->more)
		json_object_set_new(r, "more_problems", json_integer((json_int_t)k->more));
	return r;
}
