/*
 * many.c -- several engine processes on one PostgreSQL store, racing on
 * the same cases (tests/pg/many.sh runs it).
 *
 *   many run RULES URI WORKER OPS
 *       one engine process: OPS operations, most of them approving the
 *       active step of one of the latest cases (which the other processes
 *       are approving too), some submitting new cases, some delivering.
 *       Each operation the engine acknowledged is printed in one write(2):
 *       "ACK OP CASE EVENTS STEP".  A refusal because another process was
 *       first (OT_ESTATE) is the expected answer to a lost race; a store
 *       failure (OT_ESTORE: the database restarting) is counted and the
 *       process goes on with the same engine.  Whether an operation whose
 *       COMMIT lost the connection was done is not known: "UNKNOWN".  Any
 *       other failure ends the process with status 1.
 *   many verify RULES URI ACKS
 *       every acknowledged operation is in the store as the event it was
 *       acknowledged as; the store holds no other events (but as many as
 *       the UNKNOWN lines); no step of a case was approved twice; the case
 *       numbers of the day run 1..N without a gap; and the store is sound
 *       (store check: every case replayed and compared with its snapshot);
 *       and the feed, followed by `many follow` while they wrote, gave
 *       every event once (ACKS.feed).
 *   many chains-run RULES URI WORKER OPS
 *   many chains-verify RULES URI ACKS
 *       the same on chains (RULES: tests/data/chain/trips.rules): items of
 *       one stage approved, denied and delivered at once from several
 *       processes, papers handed in on the chain and on its item cases,
 *       chains withdrawn -- each operation writing the chain and its item
 *       cases in one transaction.  The check adds that each chain says of
 *       its items what their cases say, its status follows them
 *       (docs/engine.md §13.3), and each event a chain wrote, into itself
 *       or into an item case, follows an operation or is listed by it.
 *       An operation that fails on a deadlock ends the process with
 *       status 1: the backend takes a chain's rows in one order.
 *   many follow RULES URI STOPFILE
 *       reads the event feed from its start as the others write, until
 *       STOPFILE exists: "EV CASE SEQ" for each event, then "NEXT CURSOR".
 *   many feed RULES URI AFTER
 *       the same, once, from the cursor AFTER on (tests/pg/restore.sh).
 * With MANY_REFUSALS set, each refusal is printed to stderr.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "onetrip.h"

#define COMPANY "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"鞍山市立山建设有限公司\"}"
#define SUBMIT "{\"item\":\"construction_permit\",\"now\":\"2019-09-27T09:00\",\"applicant\":" \
	COMPANY ",\"form\":{\"name\":\"x\",\"area\":5400,\"height\":18,\"government_funded\":true," \
	"\"contractor\":\"91350100M000100Y43\",\"kind\":\"public\"},\"materials\":[\"land_cert\"," \
	"\"drawings\",\"fire_review\"]}"
#define DAY "20190927"
#define CHAIN_DAY "20190902"

/* The day the cases of this run are numbered on: DAY, or CHAIN_DAY for
 * the chains. */
static const char *day = DAY;

/* The chains' cases are taken in one order, a chain's before its items'
 * (store_pg.c): two operations on one chain never wait for each other
 * both, so a deadlock there is a failure, not a lost race. */
static int no_deadlocks;

/* Who approves each step.  All at one time: a process that read the case
 * before another approved two steps must be refused because the step is
 * done (OT_ESTATE), not because its time lies before the case's last. */
static const struct {
	const char *step, *actor;
} steps[] = {
	{"intake", "approval_bureau.investment"},
	{"review", "approval_bureau"},
	{"site_visit", "housing"},
	{"decide", "approval_bureau"},
};
#define ACT_AT "2019-09-30T10:00"

typedef struct worker {
	ot_engine *e;
	int latest;   /* the highest case number seen */
	long conflicts, outages, unknown;
	long gave_up; /* conflicts whose second try lost too */
	long reruns; /* first tries that lost to another engine's write */
} worker;

static void count_reruns(void *ud, const char *line)
{
	if (strstr(line, "another writer was first"))
		((worker *)ud)->reruns++;
}

static void say(const char *fmt, const char *op, const char *id, long events, const char *step)
{
	char line[160];
	int n = snprintf(line, sizeof line, fmt, op, id, events, step);
	if (write(STDOUT_FILENO, line, (size_t)n) != n)
		exit(1);
}

/* Runs one operation; 1 acknowledged (*out: the case), 0 refused as a lost
 * race or an outage, -1 a failure the test does not allow. */
static int operate(worker *w, const char *op, const char *req, const char *step, json_t **out)
{
	char *resp = NULL;
	ot_error err;
	*out = NULL;
	ot_status s = ot_call(w->e, op, req, &resp, &err);
	if (s == OT_OK) {
		json_t *c = json_loads(resp, 0, NULL);
		free(resp);
		const char *id = json_string_value(json_object_get(c, "id"));
		if (strcmp(op, "show") != 0)
			say("ACK %s %s %ld %s\n", op, id,
			    (long)json_integer_value(json_object_get(c, "events")), step);
		if (id && strncmp(id, day, 8) == 0 && id[8] == '-' && atoi(id + 9) > w->latest)
			w->latest = atoi(id + 9);
		*out = c;
		return 1;
	}
	if (s == OT_ESTORE && no_deadlocks && strstr(err.message, "deadlock detected")) {
		fprintf(stderr, "many: %s %s: a deadlock: %s\n", op, req, err.message);
		return -1;
	}
	if (s == OT_ESTATE || (s == OT_ENOTFOUND && strcmp(op, "show") == 0) ||
	    (s == OT_ESTORE && strstr(err.message, "another engine changed"))) {
		w->conflicts++;
		w->gave_up += s == OT_ESTORE;
		if (getenv("MANY_REFUSALS"))
			fprintf(stderr, "refused: %s: %s: %s\n", op, ot_status_name(s), err.message);
		return 0;
	}
	if (s == OT_ESTORE && strstr(err.message, "is not known")) {
		w->unknown++;
		say("UNKNOWN %s %s %ld %s\n", op, "-", 0L, step);
		return 0;
	}
	if (s == OT_ESTORE && (strstr(err.message, "connection") || strstr(err.message, "reach"))) {
		w->outages++;
		fprintf(stderr, "many: %s: %s\n", op, err.message);
		struct timespec t = {0, 20 * 1000 * 1000};
		nanosleep(&t, NULL);
		return 0;
	}
	fprintf(stderr, "many: %s %s: %s: %s\n", op, req, ot_status_name(s), err.message);
	return -1;
}

/* One operation on one of the latest cases, or a new case. */
static int one(worker *w, unsigned *seed)
{
	char req[1024];
	json_t *c = NULL;
	int r;
	if (w->latest == 0 || rand_r(seed) % 8 == 0) {
		r = operate(w, "submit", SUBMIT, "-", &c);
		json_decref(c);
		return r;
	}
	int n = w->latest - (int)(rand_r(seed) % 6);
	snprintf(req, sizeof req, "{\"case\":\"" DAY "-%04d\"}", n < 1 ? 1 : n);
	if ((r = operate(w, "show", req, "-", &c)) <= 0)
		return r;
	const char *id = json_string_value(json_object_get(c, "id"));
	const char *status = json_string_value(json_object_get(c, "status"));
	json_t *cur = json_array_get(json_object_get(c, "current"), 0);
	const char *step = json_string_value(json_object_get(cur, "step"));
	json_t *done = NULL;
	r = 0;
	for (size_t i = 0; step && i < sizeof steps / sizeof *steps; i++)
		if (strcmp(steps[i].step, step) == 0) {
			snprintf(req, sizeof req, "{\"case\":\"%s\",\"step\":\"%s\",\"action\":\"approve\","
				 "\"actor\":\"%s\",\"now\":\"" ACT_AT "\"}", id, step, steps[i].actor);
			r = operate(w, "act", req, step, &done);
		}
	if (!step && status && strcmp(status, "approved") == 0 &&
	    json_is_null(json_object_get(c, "delivered"))) {
		snprintf(req, sizeof req, "{\"case\":\"%s\",\"method\":\"post\","
			 "\"now\":\"" ACT_AT "\"}", id);
		r = operate(w, "deliver", req, "-", &done);
	} else if (!step) /* closed: start another */
		r = operate(w, "submit", SUBMIT, "-", &done);
	json_decref(done);
	json_decref(c);
	return r;
}

/* ---- chains ---- */

/* The chain `ch` of tests/data/chain/trips.rules: stage s1 runs 甲 (a: an
 * in-person visit, then the decision) beside 乙 (b: the decision), then
 * 丙 (c), then 丁 (d).  Every step is the bureau's; 甲 and 乙 hand their
 * results over at the window, 丙 and 丁 electronically.  Approving 甲 and
 * 乙 at once from two engines writes the chain's row from both; denying
 * one closes the other, and withdrawing the chain closes them all, in
 * the same transaction. */
#define CHAIN_SUBMIT "{\"chain\":\"ch\",\"now\":\"2019-09-02T09:00\",\"applicant\":" COMPANY \
	",\"form\":{\"name\":\"x\"},\"materials\":[\"plan\",\"x\"]}"
#define CHAIN_AT "2019-09-02T10:00"

static const char *text_of(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int is(json_t *o, const char *key, const char *value)
{
	const char *v = text_of(o, key);
	return v && strcmp(v, value) == 0;
}

/* One operation on an item case of one of the latest chains, or on the
 * chain itself, or a new chain. */
static int one_chain(worker *w, unsigned *seed)
{
	char req[512];
	json_t *c = NULL, *ic = NULL, *done = NULL;
	int r;
	if (w->latest == 0 || rand_r(seed) % 25 == 0) {
		r = operate(w, "submit", CHAIN_SUBMIT, "-", &c);
		json_decref(c);
		return r;
	}
	int n = w->latest - (int)(rand_r(seed) % 6); /* a chain and its items, about */
	snprintf(req, sizeof req, "{\"case\":\"" CHAIN_DAY "-%04d\"}", n < 1 ? 1 : n);
	if ((r = operate(w, "show", req, "-", &c)) <= 0)
		return r;
	if (!is(c, "kind", "chain")) { /* an item case: its chain */
		snprintf(req, sizeof req, "{\"case\":\"%s\"}", text_of(c, "chain"));
		json_decref(c);
		if ((r = operate(w, "show", req, "-", &c)) <= 0)
			return r;
	}
	const char *id = text_of(c, "id");
	/* the item cases, as the chain saw them */
	json_t *items[8], *st, *it;
	int nitems = 0;
	size_t i, k;
	json_array_foreach(json_object_get(c, "stages"), i, st)
		json_array_foreach(json_object_get(st, "items"), k, it)
			if (text_of(it, "case") && nitems < 8)
				items[nitems++] = it;
	unsigned pick = rand_r(seed) % 40;
	it = nitems ? items[rand_r(seed) % (unsigned)nitems] : NULL;
	r = 0;
	if (!is(c, "status", "in_progress") && !is(c, "status", "approved") &&
	    !is(c, "status", "denied")) { /* closed or withdrawn: start another */
		r = operate(w, "submit", CHAIN_SUBMIT, "-", &done);
	} else if (pick == 0 && is(c, "status", "in_progress")) {
		snprintf(req, sizeof req, "{\"case\":\"%s\",\"now\":\"" CHAIN_AT "\"}", id);
		r = operate(w, "withdraw", req, "-", &done);
	} else if (pick < 3 && is(c, "status", "in_progress")) {
		snprintf(req, sizeof req, "{\"case\":\"%s\",\"materials\":[\"plan\"],"
			 "\"channel\":\"hall\",\"now\":\"" CHAIN_AT "\"}", id);
		r = operate(w, "supplement", req, "-", &done);
	} else if (pick < 5 && it && is(it, "status", "in_progress")) { /* the chain's too */
		snprintf(req, sizeof req, "{\"case\":\"%s\",\"materials\":[\"x\"],"
			 "\"channel\":\"online\",\"now\":\"" CHAIN_AT "\"}", text_of(it, "case"));
		r = operate(w, "supplement", req, "-", &done);
	} else if (it && is(it, "status", "approved")) {
		int window = is(it, "item", "a") || is(it, "item", "b");
		snprintf(req, sizeof req, "{\"case\":\"%s\",\"method\":\"%s\","
			 "\"now\":\"" CHAIN_AT "\"}", text_of(it, "case"),
			 window ? "window" : "electronic");
		r = operate(w, "deliver", req, "-", &done);
	} else if (it && is(it, "status", "in_progress")) {
		snprintf(req, sizeof req, "{\"case\":\"%s\"}", text_of(it, "case"));
		if ((r = operate(w, "show", req, "-", &ic)) <= 0) {
			json_decref(c);
			return r;
		}
		const char *step = text_of(json_array_get(json_object_get(ic, "current"), 0), "step");
		if (step) {
			snprintf(req, sizeof req, "{\"case\":\"%s\",\"step\":\"%s\",\"action\":\"%s\","
				 "%s\"actor\":\"bureau\",\"now\":\"" CHAIN_AT "\"}", text_of(ic, "id"),
				 step, pick == 5 ? "deny" : "approve",
				 pick == 5 ? "\"reason\":\"不符合条件\"," : "");
			r = operate(w, "act", req, step, &done);
		}
	}
	json_decref(done);
	json_decref(ic);
	json_decref(c);
	return r;
}

static int run(const char *rules, const char *uri, int id, long ops,
	       int (*one_op)(worker *, unsigned *))
{
	worker w = {0};
	ot_error err;
	ot_engine_config cfg;
	ot_engine_config_init(&cfg);
	cfg.rules_path = rules;
	cfg.store = uri;
	cfg.log = count_reruns;
	cfg.log_ud = &w;
	if (ot_engine_open_config(&cfg, &w.e, &err) != OT_OK) {
		fprintf(stderr, "many: worker %d: %s\n", id, err.message);
		return 1;
	}
	unsigned seed = (unsigned)id * 7919u + 1;
	int bad = 0;
	for (long i = 0; i < ops && !bad; i++)
		bad = one_op(&w, &seed) < 0;
	fprintf(stderr, "many: worker %d: %ld operations, %ld written again after a lost race, %ld "
		"refused as another was first (%ld of them as the second try lost too), %ld failed "
		"in an outage, %ld with an unknown outcome%s\n", id, ops, w.reruns, w.conflicts,
		w.gave_up, w.outages, w.unknown, bad ? ", then a failure" : "");
	ot_engine_close(w.e);
	return bad;
}

/* ---- the event feed, followed while the others write ---- */

/* Reads the feed after `from` until the file `stop` exists (and once
 * more after that; at once without one), printing "EV CASE SEQ" for each
 * event, and "NEXT CURSOR" at the end. */
static int follow(const char *rules, const char *uri, const char *stop, const char *from)
{
	ot_engine *e = NULL;
	ot_error err;
	if (ot_engine_open(rules, uri, &e, &err) != OT_OK) {
		fprintf(stderr, "many: follow: %s\n", err.message);
		return 1;
	}
	char cursor[32], req[128];
	snprintf(cursor, sizeof cursor, "%s", from);
	for (int last = 0;;) {
		int stopping = !stop || access(stop, F_OK) == 0;
		char *resp = NULL;
		snprintf(req, sizeof req, "{\"after\":\"%s\",\"limit\":1000}", cursor);
		ot_status s = ot_call(e, "events", req, &resp, &err);
		if (s != OT_OK) { /* a restart: go on */
			if (strstr(err.message, "connection") || strstr(err.message, "reach")) {
				nanosleep(&(struct timespec){0, 20000000}, NULL);
				continue;
			}
			fprintf(stderr, "many: follow: %s\n", err.message);
			return 1;
		}
		json_t *r = json_loads(resp, 0, NULL), *ev;
		free(resp);
		size_t i, n = json_array_size(json_object_get(r, "events"));
		json_array_foreach(json_object_get(r, "events"), i, ev)
			printf("EV %s %lld\n", json_string_value(json_object_get(ev, "case")),
			       (long long)json_integer_value(json_object_get(ev, "seq")));
		const char *next = json_string_value(json_object_get(r, "next"));
		if (next)
			snprintf(cursor, sizeof cursor, "%s", next);
		json_decref(r);
		fflush(stdout);
		if (last && n == 0) {
			printf("NEXT %s\n", cursor);
			break;
		}
		last = stopping;
		if (n == 0)
			nanosleep(&(struct timespec){0, 5000000}, NULL);
	}
	ot_engine_close(e);
	return 0;
}

/* ---- verify ---- */

static json_t *call(ot_engine *e, const char *op, const char *req)
{
	char *resp = NULL;
	ot_error err;
	if (ot_call(e, op, req, &resp, &err) != OT_OK) {
		fprintf(stderr, "verify: %s %s: %s\n", op, req, err.message);
		exit(1);
	}
	json_t *j = json_loads(resp, 0, NULL);
	free(resp);
	return j;
}

/* Every case of the store, a page at a time: id -> its history (and, in
 * `shown` when given, id -> the case as `show` answers it). */
static json_t *histories(ot_engine *e, json_t *shown)
{
	json_t *all = json_object(), *page, *c;
	char req[128] = "{\"limit\":1000}";
	for (;;) {
		page = call(e, "list", req);
		size_t i;
		json_array_foreach(json_object_get(page, "cases"), i, c) {
			char show[64];
			const char *id = json_string_value(json_object_get(c, "id"));
			snprintf(show, sizeof show, "{\"case\":\"%s\"}", id);
			json_t *full = call(e, "show", show);
			json_object_set(all, id, json_object_get(full, "history"));
			if (shown)
				json_object_set(shown, id, full);
			json_decref(full);
		}
		const char *next = json_string_value(json_object_get(page, "next"));
		if (next)
			snprintf(req, sizeof req, "{\"limit\":1000,\"after\":\"%s\"}", next);
		json_decref(page);
		if (!next)
			return all;
	}
}

/* An event a chain wrote into one of its item cases: the case's opening,
 * papers passed on, its closing. */
static int by_chain(json_t *ev)
{
	return is(ev, "actor", "chain") || is(ev, "channel", "chain");
}

static void count(json_t *counts, const char *key)
{
	json_object_set_new(counts, key, json_integer(json_integer_value(json_object_get(counts,
									   key)) + 1));
}

static long counted(json_t *counts, const char *key)
{
	return (long)json_integer_value(json_object_get(counts, key));
}

/* Is item `name` of chain c done (approved, or closed after it was)? */
static int item_done(json_t *item_status, json_t *shown, const char *name)
{
	const char *id = text_of(item_status, name);
	json_t *ic = id ? json_object_get(shown, id) : NULL;
	return ic && (is(ic, "status", "approved") ||
		      (is(ic, "status", "closed") && !json_is_true(json_object_get(ic, "not_needed"))));
}

/* What the chain says of its items is what they are, and its status
 * follows them as docs/engine.md §13.3 says: denied as soon as one is
 * denied, withdrawn when withdrawn, approved when every item is, closed
 * when every result is delivered too, else in progress with the items
 * whose stage has started opened.  An item case's events written by its
 * chain are those its chain's events list; each other event of the chain
 * follows an operation on one of its item cases.  Counts the chains'
 * events that were not acknowledged themselves, and the events they
 * wrote into item cases, in *derived; the chains in *chains. */
static long chain_checks(json_t *all, json_t *shown, json_t *seen, long *derived, long *chains)
{
	long bad = 0;
	const char *cid;
	json_t *c, *listed = json_object(), *follows = json_object(), *passed = json_object();
	*chains = 0;
	json_object_foreach(shown, cid, c) {
		if (!is(c, "kind", "chain"))
			continue;
		(*chains)++;
		json_t *hist = json_object_get(all, cid), *ev, *last = json_object();
		size_t i, k;
		int withdrawn = 0;
		json_array_foreach(hist, i, ev) {
			static const char *lists[] = {"opened", "reached", "closed"};
			withdrawn |= is(ev, "op", "withdraw");
			if (is(ev, "op", "item") || (is(ev, "op", "supplement") &&
						      json_object_get(ev, "from"))) {
				char key[128];
				snprintf(key, sizeof key, "%s %zu", cid, i + 1);
				if (json_object_get(seen, key)) {
					fprintf(stderr, "verify: chain case %s: event %zu, which follows an "
						"item case, was acknowledged itself\n", cid, i + 1);
					bad++;
				}
				(*derived)++;
			}
			if (is(ev, "op", "item")) {
				const char *x = text_of(ev, "case");
				char now[64];
				snprintf(now, sizeof now, "%s %lld", text_of(ev, "status"),
					 (long long)json_integer_value(json_object_get(ev, "trips")));
				if (x && is(last, x, now)) { /* item_moved: nothing had moved */
					fprintf(stderr, "verify: chain case %s: event %zu follows item case "
						"%s to %s, where the event before left it\n", cid, i + 1, x,
						now);
					bad++;
				}
				json_object_set_new(last, x ? x : "-", json_string(now));
				count(follows, x ? x : "-");
			}
			json_t *from = json_object_get(ev, "from");
			if (is(ev, "op", "supplement") && from)
				count(passed, text_of(from, "case") ? text_of(from, "case") : "-");
			for (int l = 0; l < 3; l++) {
				json_t *entry;
				json_array_foreach(json_object_get(ev, lists[l]), k, entry) {
					const char *x = text_of(entry, "case");
					count(listed, x ? x : "-");
					json_object_del(last, x ? x : "-");
				}
			}
		}
		json_decref(last);
		/* its items: what the chain says of each is what its case says */
		json_t *status_of = json_object(), *st, *it;
		int open_items = 0, not_needed = 0, denied = 0, delivered_all = 1;
		json_array_foreach(json_object_get(c, "stages"), i, st)
			json_array_foreach(json_object_get(st, "items"), k, it) {
				const char *x = text_of(it, "case");
				json_t *ic = x ? json_object_get(shown, x) : NULL;
				if (!x) {
					delivered_all = 0;
					continue;
				}
				json_object_set_new(status_of, text_of(it, "item"), json_string(x));
				if (!ic || !is(ic, "chain", cid) ||
				    !is(ic, "status", text_of(it, "status"))) {
					fprintf(stderr, "verify: chain case %s has item case %s %s, which is "
						"%s%s%s\n", cid, x, text_of(it, "status"),
						ic ? text_of(ic, "status") : "not there",
						ic && !is(ic, "chain", cid) ? " in chain case " : "",
						ic && !is(ic, "chain", cid) ? text_of(ic, "chain") : "");
					bad++;
				}
				open_items += ic && (is(ic, "status", "in_progress"));
				not_needed += ic && json_is_true(json_object_get(ic, "not_needed"));
				denied += ic && is(ic, "status", "denied");
				delivered_all &= ic && is(ic, "status", "closed");
			}
		/* its status, from its items' */
		int ab = item_done(status_of, shown, "a") && item_done(status_of, shown, "b");
		int cd = item_done(status_of, shown, "c") && item_done(status_of, shown, "d");
		const char *want = withdrawn ? "withdrawn" : denied ? "denied"
				 : ab && cd ? (delivered_all ? "closed" : "approved") : "in_progress";
		const char *why = NULL;
		if (!is(c, "status", want))
			why = "its status does not follow its items";
		else if (!withdrawn && !denied && not_needed)
			why = "an item case was closed as not needed in a chain that goes on";
		else if ((withdrawn || denied) && open_items)
			why = "an item case is open in a chain that has stopped";
		else if (!withdrawn && !denied && (ab != (text_of(status_of, "c") != NULL) ||
			 item_done(status_of, shown, "c") != (text_of(status_of, "d") != NULL)))
			why = "its items are not opened as their stages start";
		if (why) {
			char *text = json_dumps(c, JSON_COMPACT);
			fprintf(stderr, "verify: chain case %s is %s (%s, %d item case(s) open, %d not "
				"needed): %s; the chain: %.2000s\n", cid, text_of(c, "status"), want,
				open_items, not_needed, why, text);
			free(text);
			bad++;
		}
		json_decref(status_of);
	}
	/* its item cases: what the chain wrote in them it listed; each of its
	 * events following them follows an operation of their own */
	json_object_foreach(shown, cid, c) {
		if (is(c, "kind", "chain"))
			continue;
		json_t *hist = json_object_get(all, cid), *ev;
		size_t i;
		long by = 0, own = 0, supplements = 0;
		json_array_foreach(hist, i, ev) {
			char key[128];
			snprintf(key, sizeof key, "%s %zu", cid, i + 1);
			if (!by_chain(ev)) {
				own++;
				supplements += is(ev, "op", "supplement");
				continue;
			}
			by++;
			if (json_object_get(seen, key)) {
				fprintf(stderr, "verify: item case %s: event %zu, written by its chain, was "
					"acknowledged itself\n", cid, i + 1);
				bad++;
			}
		}
		*derived += by;
		if (!text_of(c, "chain") || by != counted(listed, cid) ||
		    counted(follows, cid) > own || counted(passed, cid) > supplements) {
			fprintf(stderr, "verify: item case %s of chain case %s: %ld event(s) written by "
				"the chain, which lists it %ld time(s); the chain follows it %ld time(s) "
				"and takes %ld supplement(s) of it, after %ld operation(s) on it, %ld of "
				"them supplements\n", cid, text_of(c, "chain") ? text_of(c, "chain") : "none",
				by, counted(listed, cid), counted(follows, cid), counted(passed, cid), own,
				supplements);
			bad++;
		}
	}
	json_decref(listed);
	json_decref(follows);
	json_decref(passed);
	return bad;
}

static int verify(const char *rules, const char *uri, const char *ack_path, int chains)
{
	ot_engine *e = NULL;
	ot_error err;
	if (ot_engine_open(rules, uri, &e, &err) != OT_OK) {
		fprintf(stderr, "verify: %s\n", err.message);
		return 1;
	}
	json_t *shown = chains ? json_object() : NULL;
	json_t *all = histories(e, shown), *seen = json_object();
	long acks = 0, unknown = 0, events = 0, bad = 0, submits = 0;
	FILE *f = fopen(ack_path, "r");
	char line[256], op[32], id[64], step[64];
	long n;
	while (f && fgets(line, sizeof line, f)) {
		if (strncmp(line, "UNKNOWN ", 8) == 0) {
			unknown++;
			continue;
		}
		if (sscanf(line, "ACK %31s %63s %ld %63s", op, id, &n, step) != 4) {
			fprintf(stderr, "verify: a line that is not an acknowledgement: %s", line);
			bad++;
			continue;
		}
		acks++;
		submits += strcmp(op, "submit") == 0;
		char key[128];
		snprintf(key, sizeof key, "%s %ld", id, n);
		json_t *ev = json_array_get(json_object_get(all, id), (size_t)n - 1);
		const char *ev_op = json_string_value(json_object_get(ev, "op"));
		const char *ev_step = json_string_value(json_object_get(ev, "step"));
		if (json_object_get(seen, key)) {
			fprintf(stderr, "verify: event %s was acknowledged twice\n", key);
			bad++;
		} else if (!ev || !ev_op || strcmp(ev_op, op) != 0 ||
			   (strcmp(op, "act") == 0 && (!ev_step || strcmp(ev_step, step) != 0))) {
			fprintf(stderr, "verify: acknowledged %s %s as event %ld, which the store does "
				"not have as such\n", op, id, n);
			bad++;
		}
		json_object_set_new(seen, key, json_true());
	}
	if (f)
		fclose(f);
	const char *cid;
	json_t *hist;
	long cases = 0;
	json_object_foreach(all, cid, hist) {
		cases++;
		events += (long)json_array_size(hist);
		json_t *decided = json_object(), *ev;
		size_t i;
		json_array_foreach(hist, i, ev) { /* nothing here returns a step */
			const char *s = json_string_value(json_object_get(ev, "step"));
			const char *a = json_string_value(json_object_get(ev, "action"));
			if (!s || !a || (strcmp(a, "approve") != 0 && strcmp(a, "deny") != 0))
				continue;
			if (json_object_get(decided, s)) {
				fprintf(stderr, "verify: case %s: step %s was decided twice\n", cid, s);
				bad++;
			}
			json_object_set_new(decided, s, json_true());
		}
		json_decref(decided);
		if (strncmp(cid, day, 8) != 0 || cid[8] != '-' || atol(cid + 9) < 1 ||
		    atol(cid + 9) > (long)json_object_size(all)) {
			fprintf(stderr, "verify: case %s is outside 1..%zu: the numbers have a gap\n",
				cid, json_object_size(all));
			bad++;
		}
	}
	/* a chain's events that follow its items, and those it writes into
	 * its item cases, were not acknowledged themselves */
	long derived = 0, submitted = cases;
	if (chains)
		bad += chain_checks(all, shown, seen, &derived, &submitted);
	/* acknowledgements are events; the rest can only be unknown outcomes */
	long reads_free = events - acks - derived;
	if (reads_free < 0 || reads_free > unknown) {
		fprintf(stderr, "verify: the store has %ld events, %ld were acknowledged and %ld had an "
			"unknown outcome\n", events, acks, unknown);
		bad++;
	}
	if (submitted < submits || submitted > submits + unknown) {
		fprintf(stderr, "verify: %ld cases submitted, %ld submissions acknowledged\n",
			submitted, submits);
		bad++;
	}
	/* the feed, followed while they wrote: every event once */
	char feed_path[600];
	snprintf(feed_path, sizeof feed_path, "%s.feed", ack_path);
	long fed = 0;
	json_t *fed_seen = json_object();
	if ((f = fopen(feed_path, "r")) != NULL) {
		while (fgets(line, sizeof line, f)) {
			if (sscanf(line, "EV %63s %ld", id, &n) != 2)
				continue;
			char key[128];
			snprintf(key, sizeof key, "%s %ld", id, n);
			if (json_object_get(fed_seen, key) ||
			    !json_array_get(json_object_get(all, id), (size_t)n - 1)) {
				fprintf(stderr, "verify: the feed gave event %s twice or one not stored\n",
					key);
				bad++;
			}
			json_object_set_new(fed_seen, key, json_true());
			fed++;
		}
		fclose(f);
		if (fed != events) {
			fprintf(stderr, "verify: the feed, followed while the engines wrote, gave %ld of "
				"%ld events\n", fed, events);
			bad++;
		}
	}
	json_decref(fed_seen);
	json_t *check = call(e, "store_check", "{}");
	if (!json_is_true(json_object_get(check, "sound"))) {
		char *text = json_dumps(check, JSON_INDENT(1));
		fprintf(stderr, "verify: store check: %s\n", text);
		free(text);
		bad++;
	}
	json_decref(check);
	printf("verify: %ld operations acknowledged, %ld with an unknown outcome; %ld cases numbered "
	       "1..%ld (%ld of them chains), %ld events (%ld written by a chain or for one), %ld "
	       "of them followed in the feed as they came; %s\n", acks, unknown, cases, cases,
	       chains ? submitted : 0L, events, derived, fed,
	       bad ? "PROBLEMS" : chains ? "every acknowledged operation there once, no step "
	       "decided twice, every chain in step with its items, every case replays to its "
	       "snapshot" : "every acknowledged operation there once, no step approved twice, "
	       "every case replays to its snapshot");
	json_decref(shown);
	json_decref(all);
	json_decref(seen);
	ot_engine_close(e);
	return bad != 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "run") == 0)
		return run(argv[2], argv[3], atoi(argv[4]), atol(argv[5]), one);
	if (argc == 5 && strcmp(argv[1], "follow") == 0)
		return follow(argv[2], argv[3], argv[4], "0");
	if (argc == 5 && strcmp(argv[1], "feed") == 0)
		return follow(argv[2], argv[3], NULL, argv[4]);
	if (argc == 5 && strcmp(argv[1], "verify") == 0)
		return verify(argv[2], argv[3], argv[4], 0);
	day = CHAIN_DAY;
	no_deadlocks = 1;
	if (argc == 6 && strcmp(argv[1], "chains-run") == 0)
		return run(argv[2], argv[3], atoi(argv[4]), atol(argv[5]), one_chain);
	if (argc == 5 && strcmp(argv[1], "chains-verify") == 0)
		return verify(argv[2], argv[3], argv[4], 1);
	fprintf(stderr, "usage: many run RULES URI WORKER OPS | many follow RULES URI STOPFILE | "
		"many feed RULES URI AFTER | many verify RULES URI ACKS | "
		"many chains-run RULES URI WORKER OPS | many chains-verify RULES URI ACKS\n");
	return 2;
}
