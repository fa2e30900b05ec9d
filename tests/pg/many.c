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
 *   many follow RULES URI STOPFILE
 *       reads the event feed from its start as the others write, until
 *       STOPFILE exists: "EV CASE SEQ" for each event, then "NEXT CURSOR".
 *   many feed RULES URI AFTER
 *       the same, once, from the cursor AFTER on (tests/pg/restore.sh).
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
		if (id && strncmp(id, DAY "-", 9) == 0 && atoi(id + 9) > w->latest)
			w->latest = atoi(id + 9);
		*out = c;
		return 1;
	}
	if (s == OT_ESTATE || (s == OT_ENOTFOUND && strcmp(op, "show") == 0) ||
	    (s == OT_ESTORE && strstr(err.message, "another engine changed"))) {
		w->conflicts++;
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

static int run(const char *rules, const char *uri, int id, long ops)
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
		bad = one(&w, &seed) < 0;
	fprintf(stderr, "many: worker %d: %ld operations, %ld written again after a lost race, %ld "
		"refused as another was first, %ld failed in an outage, %ld with an unknown "
		"outcome%s\n", id, ops, w.reruns, w.conflicts, w.outages, w.unknown,
		bad ? ", then a failure" : "");
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

/* Every case of the store, a page at a time: id -> its history. */
static json_t *histories(ot_engine *e)
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

static int verify(const char *rules, const char *uri, const char *ack_path)
{
	ot_engine *e = NULL;
	ot_error err;
	if (ot_engine_open(rules, uri, &e, &err) != OT_OK) {
		fprintf(stderr, "verify: %s\n", err.message);
		return 1;
	}
	json_t *all = histories(e), *seen = json_object();
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
		json_t *approved = json_object(), *ev;
		size_t i;
		json_array_foreach(hist, i, ev) {
			const char *s = json_string_value(json_object_get(ev, "step"));
			const char *a = json_string_value(json_object_get(ev, "action"));
			if (!s || !a || strcmp(a, "approve") != 0)
				continue;
			if (json_object_get(approved, s)) {
				fprintf(stderr, "verify: case %s: step %s was approved twice\n", cid, s);
				bad++;
			}
			json_object_set_new(approved, s, json_true());
		}
		json_decref(approved);
		if (strncmp(cid, DAY "-", 9) != 0 || atol(cid + 9) < 1 || atol(cid + 9) > (long)json_object_size(all)) {
			fprintf(stderr, "verify: case %s is outside 1..%zu: the numbers have a gap\n",
				cid, json_object_size(all));
			bad++;
		}
	}
	/* acknowledgements are events; the rest can only be unknown outcomes */
	long reads_free = events - acks;
	if (reads_free < 0 || reads_free > unknown) {
		fprintf(stderr, "verify: the store has %ld events, %ld were acknowledged and %ld had an "
			"unknown outcome\n", events, acks, unknown);
		bad++;
	}
	if (cases < submits || cases > submits + unknown) {
		fprintf(stderr, "verify: %ld cases, %ld submissions acknowledged\n", cases, submits);
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
	       "1..%ld, %ld events, %ld of them followed in the feed as they came; %s\n", acks,
	       unknown, cases, cases, events, fed,
	       bad ? "PROBLEMS" : "every acknowledged operation there once, no step approved twice, "
	       "every case replays to its snapshot");
	json_decref(all);
	json_decref(seen);
	ot_engine_close(e);
	return bad != 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "run") == 0)
		return run(argv[2], argv[3], atoi(argv[4]), atol(argv[5]));
	if (argc == 5 && strcmp(argv[1], "follow") == 0)
		return follow(argv[2], argv[3], argv[4], "0");
	if (argc == 5 && strcmp(argv[1], "feed") == 0)
		return follow(argv[2], argv[3], NULL, argv[4]);
	if (argc == 5 && strcmp(argv[1], "verify") == 0)
		return verify(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: many run RULES URI WORKER OPS | many follow RULES URI STOPFILE | "
		"many feed RULES URI AFTER | many verify RULES URI ACKS\n");
	return 2;
}
