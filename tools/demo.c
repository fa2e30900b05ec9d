/*
 * demo.c -- `onetrip demo [--rules PATH] [ITEM]`: walks one sample
 * application through submission, every step and delivery, in a store in
 * memory, and prints each state the way a hall officer would read it.
 * Everything goes through the public API; the sample application is built
 * from the item's description (a valid value for every field, every
 * material handed in).
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onetrip.h"

int cmd_demo(int argc, char **argv);
void cli_errorf(const char *fmt, ...); /* onetrip.c: stderr, ID numbers masked */

static const char *S(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static json_t *find(json_t *arr, const char *name)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (strcmp(S(v, "name"), name) == 0)
			return v;
	return NULL;
}

/* A valid sample value for a field. */
static json_t *sample(json_t *field)
{
	const char *t = S(field, "type");
	if (!strcmp(t, "integer") || !strcmp(t, "decimal")) {
		const char *min = S(field, "min"), *max = S(field, "max");
		long long lo = min[0] ? atoll(min) : 0;
		return json_integer(max[0] ? (lo + atoll(max)) / 2 : lo + 500);
	}
	if (!strcmp(t, "bool"))
		return json_true();
	if (!strcmp(t, "date"))
		return json_string("2019-09-01");
	if (!strcmp(t, "enum"))
		return json_incref(json_array_get(json_object_get(field, "values"), 0));
	if (!strcmp(t, "id_number"))
		return json_string("210304193602180040");
	if (!strcmp(t, "credit_code"))
		return json_string("91350100M000100Y43");
	if (!strcmp(t, "group")) /* repeating rows: none in a sample */
		return json_array();
	const char *label = S(field, "label");
	return json_string(label[0] ? label : "示例");
}

static json_t *call(ot_engine *e, const char *op, json_t *req)
{
	char *text = json_dumps(req, 0), *resp = NULL;
	ot_error err;
	json_decref(req);
	if (ot_call(e, op, text, &resp, &err) != OT_OK) {
		cli_errorf("onetrip demo: %s: %s\n", op, err.message);
		free(text);
		return NULL;
	}
	free(text);
	json_t *j = json_loads(resp, 0, NULL);
	free(resp);
	return j;
}

static void line(const char *when, const char *fmt, ...)
{
	va_list ap;
	printf("%-17s ", when);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void show_current(json_t *c)
{
	size_t i;
	json_t *st;
	json_array_foreach(json_object_get(c, "current"), i, st) {
		const char *w = S(st, "window");
		line("", "  now at %s %s — %s%s%s, due %s", S(st, "step"), S(st, "label"),
		     S(st, "department"), w[0] ? "." : "", w,
		     json_is_string(json_object_get(st, "due")) ? S(st, "due") : "(no limit)");
	}
}

static void show_materials(json_t *c)
{
	const char *key;
	json_t *how;
	char text[1024] = "";
	json_object_foreach(json_object_get(c, "materials"), key, how)
		snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s %s",
			 text[0] ? ", " : "", key, json_string_value(how));
	line("", "  materials: %s", text);
}

static void stamp(const char *iso, char out[20])
{
	snprintf(out, 20, "%.10s %.5s", iso, iso + 11);
}

static json_t *application(json_t *rules, json_t *it, const char *now)
{
	json_t *form = json_object(), *mats = json_array();
	json_t *f = find(json_object_get(rules, "forms"), S(it, "form"));
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(f, "fields"), i, v)
		if (!json_is_true(json_object_get(v, "computed")))
			json_object_set_new(form, S(v, "name"), sample(v));
	json_array_foreach(json_object_get(it, "materials"), i, v) {
		json_t *m = find(json_object_get(rules, "materials"), S(v, "material"));
		if (strcmp(S(m, "source"), "shared"))
			json_array_append_new(mats, json_string(S(v, "material")));
	}
	int person = !strcmp(S(it, "applicant"), "person");
	json_t *applicant = person
		? json_pack("{s:s, s:s, s:s}", "kind", "person", "id", "210304193602180040", "name", "张三")
		: json_pack("{s:s, s:s, s:s}", "kind", "company", "id", "91350100M000100Y43",
			    "name", "鞍山市立山建设有限公司");
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "item", S(it, "name"), "now", now,
			 "channel", strcmp(S(it, "online"), "none") ? "online" : "hall",
			 "applicant", applicant, "form", form, "materials", mats);
}

/* The next morning, 10:00 (acting on weekends is allowed: it is a demo). */
static void next_day(char now[32])
{
	int y, m, d;
	sscanf(now, "%d-%d-%d", &y, &m, &d);
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100) || y % 400 == 0;
	if (++d > days[m - 1] + (m == 2 && leap)) {
		d = 1;
		if (++m > 12)
			m = 1, y++;
	}
	snprintf(now, 32, "%04d-%02d-%02dT10:00", y % 10000, m % 100, d % 100);
}

/* The applicant brings what the one-time notice asked for, an hour later
 * (a shared material the government could not obtain, here). */
static json_t *supplement(ot_engine *e, json_t *c, const char *id, char now[32])
{
	char when[20], text[1024] = "";
	json_t *missing = json_object_get(json_object_get(c, "notice"), "missing");
	size_t i;
	json_t *m;
	json_array_foreach(missing, i, m)
		snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s", i ? ", " : "",
			 json_string_value(m));
	memcpy(now + 11, "10", 2); /* submitted at 09:00 */
	json_t *next = call(e, "supplement", json_pack("{s:s, s:O, s:s}", "case", id, "materials",
							missing, "now", now));
	json_decref(c);
	if (!next)
		return NULL;
	stamp(now, when);
	line(when, "the applicant brings %s → %s", text, S(next, "status"));
	show_current(next);
	return next;
}

/* An item that decides on acceptance (受理): its window accepts the
 * application an hour after it is complete. */
static json_t *accept(ot_engine *e, json_t *c, json_t *it, const char *id, char now[32])
{
	char when[20];
	json_t *window = json_object_get(it, "window");
	const char *actor = json_is_string(window) ? json_string_value(window) : S(it, "department");
	memcpy(now + 11, "11", 2);
	json_t *next = call(e, "accept", json_pack("{s:s, s:s, s:s}", "case", id, "actor", actor,
						   "now", now));
	json_decref(c);
	if (!next)
		return NULL;
	stamp(now, when);
	line(when, "accepted (受理) by %s → %s, due %s (legal %s)", actor, S(next, "status"),
	     S(next, "due"), S(next, "legal_due"));
	show_current(next);
	return next;
}

static int walk(ot_engine *e, json_t *rules, json_t *it)
{
	char now[32] = "2019-09-27T09:00", when[20];
	/* a day the item is in force on (in_force): its first, or its last */
	const char *from = S(it, "in_force_from"), *until = S(it, "in_force_until");
	if (json_is_string(json_object_get(it, "in_force_from")) && strcmp(from, "2019-09-27") > 0)
		snprintf(now, sizeof now, "%.10sT09:00", from);
	else if (json_is_string(json_object_get(it, "in_force_until")) && strcmp(until, "2019-09-27") < 0)
		snprintf(now, sizeof now, "%.10sT09:00", until);
	json_t *c = call(e, "submit", application(rules, it, now));
	if (!c)
		return 1;
	char id[32];
	snprintf(id, sizeof id, "%s", S(c, "id"));
	stamp(now, when);
	line(when, "case %s submitted %s by %s", id,
	     strcmp(S(it, "online"), "none") ? "online" : "at the hall",
	     S(json_object_get(c, "applicant"), "name"));
	char decide[64];
	snprintf(decide, sizeof decide, "once accepted (受理 decided by %s)", S(c, "acceptance_due"));
	line("", "  → %s, due %s; at most %lld trip(s) for this item", S(c, "status"),
	     json_is_string(json_object_get(c, "due")) ? S(c, "due")
	     : !strcmp(S(c, "status"), "needs_supplement") ? "once accepted"
	     : !strcmp(S(c, "status"), "received") ? decide : "(no limit)",
	     (long long)json_integer_value(json_object_get(c, "max_trips")));
	show_materials(c);
	size_t k;
	json_t *n;
	json_array_foreach(json_object_get(json_object_get(c, "notice"), "notice"), k, n)
		line("", "  notice: %s", json_string_value(n));
	show_current(c);
	if (!strcmp(S(c, "status"), "needs_supplement") && !(c = supplement(e, c, id, now)))
		return 1;
	if (!strcmp(S(c, "status"), "received") && !(c = accept(e, c, it, id, now)))
		return 1;
	for (int round = 0; round < 100 && !strcmp(S(c, "status"), "in_progress"); round++) {
		next_day(now);
		json_t *current = json_incref(json_object_get(c, "current"));
		size_t i;
		json_t *st;
		json_array_foreach(current, i, st) {
			char actor[256];
			const char *w = S(st, "window");
			snprintf(actor, sizeof actor, "%s%s%s", S(st, "department"), w[0] ? "." : "", w);
			json_t *next = call(e, "act", json_pack("{s:s, s:s, s:s, s:s, s:s}", "case", id,
				"step", S(st, "step"), "action", "approve", "actor", actor, "now", now));
			if (!next) {
				json_decref(current);
				json_decref(c);
				return 1;
			}
			json_decref(c);
			c = next;
			stamp(now, when);
			line(when, "%s %s approved by %s", S(st, "step"), S(st, "label"), actor);
		}
		json_decref(current);
		if (!strcmp(S(c, "status"), "in_progress"))
			show_current(c);
	}
	line("", "  → %s", S(c, "status"));
	json_t *methods = json_object_get(it, "deliver");
	const char *method = json_string_value(json_array_get(methods, json_array_size(methods) - 1));
	next_day(now);
	json_t *closed = call(e, "deliver", json_pack("{s:s, s:s, s:s}", "case", id, "method",
						       method, "now", now));
	json_decref(c);
	if (!closed)
		return 1;
	stamp(now, when);
	line(when, "result delivered by %s → %s; the applicant came %lld time(s)", method,
	     S(closed, "status"), (long long)json_integer_value(json_object_get(closed, "trips")));
	if (!strcmp(S(closed, "status"), "checking")) {
		/* 告知承诺: the department checks the pledge and finds it kept */
		next_day(now);
		json_t *checked = call(e, "pledge_check", json_pack("{s:s, s:s, s:s, s:s}", "case",
			id, "actor", S(it, "department"), "result", "kept", "now", now));
		json_decref(closed);
		if (!checked)
			return 1;
		closed = checked;
		stamp(now, when);
		line(when, "the pledge (告知承诺) checked and kept → %s", S(closed, "status"));
	}
	json_decref(closed);
	return 0;
}

int cmd_demo(int argc, char **argv)
{
	const char *rules_path = "rules", *item = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			puts("usage: onetrip demo [--rules PATH] [ITEM]\n"
			     "Walks a sample application for ITEM (default: construction_permit)\n"
			     "through every step, in a store in memory.");
			return 0;
		}
		if (!strcmp(argv[i], "--rules") && i + 1 < argc)
			rules_path = argv[++i];
		else
			item = argv[i];
	}
	ot_engine *e = NULL;
	ot_error err;
	if (ot_engine_open(rules_path, ":memory:", &e, &err) != OT_OK) {
		cli_errorf("onetrip demo: %s\n", err.message);
		return 2;
	}
	char *desc = ot_rules_describe(ot_engine_rules(e));
	json_t *rules = json_loads(desc, 0, NULL);
	free(desc);
	json_t *it = find(json_object_get(rules, "items"), item ? item : "construction_permit");
	if (!it && !item)
		it = json_array_get(json_object_get(rules, "items"), 0);
	int rc = 2;
	if (!it)
		cli_errorf("onetrip demo: there is no item '%s'\n", item);
	else {
		printf("%s (%s), rule set %.12s\n", S(it, "label"), S(it, "name"),
		       ot_rules_hash(ot_engine_rules(e)));
		rc = walk(e, rules, it);
	}
	json_decref(rules);
	ot_engine_close(e);
	return rc;
}
