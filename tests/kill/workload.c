/*
 * workload.c -- the operations tests/kill/kill9.sh interrupts with kill -9.
 *
 *   workload run RULES DB
 *       submits cases to the contract rules and walks each through its
 *       operations, for ever; after each operation the engine acknowledged
 *       it prints "CASE N" (the case has N events now) in one write(2).
 *   workload verify RULES DB ACKS KILLS
 *       every acknowledged operation is in the store: each case has the
 *       events acknowledged for it, or one more (done, then killed before
 *       the acknowledgement); no more such operations than kills; and the
 *       store is sound (the engine's store_check).  Exit 0 if so.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onetrip.h"

#define COMPANY "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"鞍山市立山建设有限公司\"}"
#define FORM(funded) "{\"name\":\"x\",\"area\":5400,\"height\":18,\"government_funded\":" funded \
	",\"contractor\":\"91350100M000100Y43\",\"kind\":\"public\"}"

/* Two flows of six operations: a school through every step to delivery,
 * and an incomplete application supplemented, suspended, resumed and
 * withdrawn.  The requests are formats: the case then the minute of the
 * hour (submit: the minute only). */
typedef struct step {
	const char *op, *request;
} step;

static const step flow_a[] = {
	{"submit", "{\"item\":\"construction_permit\",\"now\":\"2019-09-27T09:%s\",\"applicant\":"
		   COMPANY ",\"form\":" FORM("true") ",\"materials\":[\"land_cert\",\"drawings\","
		   "\"fire_review\"]}"},
	{"act", "{\"case\":\"%s\",\"step\":\"intake\",\"action\":\"approve\",\"actor\":"
		"\"approval_bureau.investment\",\"now\":\"2019-09-29T10:%s\"}"},
	{"act", "{\"case\":\"%s\",\"step\":\"review\",\"action\":\"approve\",\"actor\":"
		"\"approval_bureau\",\"now\":\"2019-09-30T10:%s\"}"},
	{"act", "{\"case\":\"%s\",\"step\":\"site_visit\",\"action\":\"approve\",\"actor\":"
		"\"housing\",\"now\":\"2019-10-08T10:%s\"}"},
	{"act", "{\"case\":\"%s\",\"step\":\"decide\",\"action\":\"approve\",\"actor\":"
		"\"approval_bureau\",\"now\":\"2019-10-09T10:%s\"}"},
	{"deliver", "{\"case\":\"%s\",\"method\":\"post\",\"now\":\"2019-10-10T10:%s\"}"},
};

static const step flow_b[] = {
	{"submit", "{\"item\":\"construction_permit\",\"now\":\"2019-09-27T09:%s\",\"applicant\":"
		   COMPANY ",\"form\":" FORM("false") ",\"materials\":[\"land_cert\"]}"},
	{"supplement", "{\"case\":\"%s\",\"materials\":[\"drawings\",\"fire_review\"],"
		       "\"now\":\"2019-09-28T10:%s\"}"},
	{"act", "{\"case\":\"%s\",\"step\":\"intake\",\"action\":\"approve\",\"actor\":"
		"\"approval_bureau.investment\",\"now\":\"2019-09-29T10:%s\"}"},
	{"suspend", "{\"case\":\"%s\",\"reason\":\"专家评审\",\"now\":\"2019-09-30T10:%s\"}"},
	{"resume", "{\"case\":\"%s\",\"now\":\"2019-10-08T10:%s\"}"},
	{"withdraw", "{\"case\":\"%s\",\"reason\":\"不办了\",\"now\":\"2019-10-09T10:%s\"}"},
};

static int run(const char *rules, const char *db)
{
	ot_engine *e = NULL;
	ot_error err;
	if (ot_engine_open(rules, db, &e, &err) != OT_OK) {
		fprintf(stderr, "workload: %s\n", err.message);
		return 1;
	}
	for (unsigned cycle = 0;; cycle++) {
		const step *flow = cycle % 2 ? flow_b : flow_a;
		char id[32] = "", minute[3], req[2048], line[64];
		snprintf(minute, sizeof minute, "%02u", cycle % 60);
		for (int i = 0; i < 6; i++) {
			char *resp = NULL;
			snprintf(req, sizeof req, flow[i].request, i ? id : minute, minute);
			if (ot_call(e, flow[i].op, req, &resp, &err) != OT_OK) {
				fprintf(stderr, "workload: %s %s: %s\n", flow[i].op, id, err.message);
				ot_engine_close(e);
				return 1;
			}
			if (i == 0) {
				json_t *c = json_loads(resp, 0, NULL);
				snprintf(id, sizeof id, "%s", json_string_value(json_object_get(c, "id")));
				json_decref(c);
			}
			free(resp);
			/* one write: a kill leaves a whole line or none */
			int n = snprintf(line, sizeof line, "%s %d\n", id, i + 1);
			if (write(STDOUT_FILENO, line, (size_t)n) != n)
				return 1;
		}
	}
}

/* The events of case id in the store (-1: it cannot be shown). */
static int events_of(ot_engine *e, const char *id)
{
	char req[64], *resp = NULL;
	ot_error err;
	snprintf(req, sizeof req, "{\"case\":\"%s\"}", id);
	if (ot_call(e, "show", req, &resp, &err) != OT_OK) {
		fprintf(stderr, "verify: show %s: %s\n", id, err.message);
		return -1;
	}
	json_t *c = json_loads(resp, 0, NULL);
	int n = (int)json_array_size(json_object_get(c, "history"));
	json_decref(c);
	free(resp);
	return n;
}

/* The acknowledgements: case -> events, whole lines only. */
static json_t *read_acks(const char *path, long *count)
{
	FILE *f = fopen(path, "r");
	json_t *acks = json_object();
	char line[128], id[64];
	int n;
	*count = 0;
	while (f && fgets(line, sizeof line, f))
		if (strchr(line, '\n') && sscanf(line, "%63s %d", id, &n) == 2) {
			json_object_set_new(acks, id, json_integer(n));
			++*count;
		}
	if (f)
		fclose(f);
	return acks;
}

static int verify(const char *rules, const char *db, const char *ack_path, long kills)
{
	ot_engine *e = NULL;
	ot_error err;
	long acked, unacked = 0, bad = 0;
	json_t *acks = read_acks(ack_path, &acked);
	if (ot_engine_open(rules, db, &e, &err) != OT_OK) {
		fprintf(stderr, "verify: %s\n", err.message);
		return 1;
	}
	/* every case, a page at a time */
	char *resp = NULL, req[128] = "{\"limit\":1000}";
	json_t *list = json_array(), *c;
	for (;;) {
		if (ot_call(e, "list", req, &resp, &err) != OT_OK) {
			fprintf(stderr, "verify: list: %s\n", err.message);
			return 1;
		}
		json_t *page = json_loads(resp, 0, NULL);
		free(resp);
		resp = NULL;
		json_array_extend(list, json_object_get(page, "cases"));
		const char *next = json_string_value(json_object_get(page, "next"));
		if (next)
			snprintf(req, sizeof req, "{\"limit\":1000,\"after\":\"%s\"}", next);
		json_decref(page);
		if (!next)
			break;
	}
	size_t i;
	json_array_foreach(list, i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));
		int have = events_of(e, id);
		int want = (int)json_integer_value(json_object_get(acks, id));
		if (have == want + 1)
			unacked++; /* done, killed before it was acknowledged */
		else if (have != want) {
			fprintf(stderr, "verify: case %s has %d events, %d were acknowledged\n", id, have, want);
			bad++;
		}
		json_object_del(acks, id);
	}
	const char *id;
	json_t *v;
	json_object_foreach(acks, id, v) {
		fprintf(stderr, "verify: case %s was acknowledged but is not in the store\n", id);
		bad++;
	}
	if (unacked > kills) {
		fprintf(stderr, "verify: %ld operations done without acknowledgement, %ld kills\n",
			unacked, kills);
		bad++;
	}
	if (ot_call(e, "store_check", "{}", &resp, &err) != OT_OK ||
	    !json_is_true(json_object_get(c = json_loads(resp, 0, NULL), "sound"))) {
		fprintf(stderr, "verify: store check: %s\n", resp ? resp : err.message);
		bad++;
	} else
		json_decref(c);
	printf("%ld operations acknowledged over %zu cases, %ld kills, %ld done but killed before "
	       "the acknowledgement; %s\n", acked, json_array_size(list),
	       kills, unacked, bad ? "PROBLEMS" : "all in the store, store sound");
	free(resp);
	json_decref(list);
	json_decref(acks);
	ot_engine_close(e);
	return bad != 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "run") == 0)
		return run(argv[2], argv[3]);
	if (argc == 6 && strcmp(argv[1], "verify") == 0)
		return verify(argv[2], argv[3], argv[4], atol(argv[5]));
	fprintf(stderr, "usage: workload run RULES DB | verify RULES DB ACKS KILLS\n");
	return 2;
}
