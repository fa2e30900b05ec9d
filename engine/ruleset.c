/*
 * ruleset.c -- the rule versions an engine keeps: the current one, and
 * those of running cases, compiled back from the store when a case of
 * theirs is loaded (a case keeps the rules it started under).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "hooks.h"
#include "idcheck.h"

int version_init(version *v, ot_rules *r)
{
	v->rules = r;
	v->hooks = NULL;
	v->texts = NULL;
	v->zone = r->zone;
	return 1;
}

void version_free(version *v)
{
	hook_host_free(v->hooks);
	assess_texts_free(v->texts);
	ot_rules_free(v->rules);
	memset(v, 0, sizeof *v);
}

void engine_versions_free(ot_engine *e)
{
	cache_free(e); /* its cases point into the versions */
	for (int i = 0; i < e->nversions; i++)
		version_free(&e->versions[i]);
	e->nversions = 0;
}

struct hook_host *version_hooks(const version *v)
{
	/* a cache, not a change: the version stays the same rule version */
	version *w = (version *)v;
	if (!w->hooks)
		w->hooks = hook_host_new(v->rules, v->zone);
	return w->hooks;
}

const version *engine_version(ot_engine *e, const char *hash, ot_error *err)
{
	for (int i = 0; i < e->nversions; i++)
		if (strcmp(ot_rules_hash(e->versions[i].rules), hash) == 0) {
			e->versions[i].op = e->op;
			return &e->versions[i];
		}
	char *sources = NULL;
	if (store_get_version(e, hash, &sources, err) != OT_OK)
		return NULL;
	if (!sources) {
		store_damaged(e, err, "rule version %.12s is not in the store", hash);
		return NULL;
	}
	ot_rules *r = NULL;
	ot_diags *d = NULL;
	ot_status s = ot_rules_compile_sources(sources, NULL, &r, &d);
	free(sources);
	ot_diags_free(d);
	if (s != OT_OK || strcmp(ot_rules_hash(r), hash) != 0) {
		ot_rules_free(r);
		store_damaged(e, err, "rule version %.12s does not compile back to itself", hash);
		return NULL;
	}
	/* keep [0], the current version; when full, reuse one that the
	 * running operation has not used: its cases may still point at the
	 * others until it ends */
	int slot = e->nversions < MAX_VERSIONS ? e->nversions++ : -1;
	for (int k = 0; slot < 0 && k < MAX_VERSIONS - 1; k++) {
		int i = 1 + e->recycle++ % (MAX_VERSIONS - 1);
		if (e->versions[i].op != e->op)
			slot = i;
	}
	if (slot < 0) {
		ot_rules_free(r);
		err_set(err, OT_ESTORE, "one operation needs more than %d rule versions at once",
			MAX_VERSIONS);
		return NULL;
	}
	if (e->versions[slot].rules) {
		cache_forget_version(e, &e->versions[slot]);
		version_free(&e->versions[slot]);
	}
	if (!version_init(&e->versions[slot], r)) {
		ot_rules_free(r);
		err_set(err, OT_ENOMEM, "out of memory loading rule version %.12s", hash);
		return NULL;
	}
	e->versions[slot].op = e->op;
	return &e->versions[slot];
}

void engine_log(ot_engine *e, const char *fmt, ...)
{
	if (!e->log)
		return;
	char line[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line - 64, fmt, ap);
	va_end(ap);
	ids_mask_in(line);
	utf8_settle(line);
	e->log(e->log_ud, line);
}
