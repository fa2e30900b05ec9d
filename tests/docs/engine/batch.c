/*
 * docs/engine.md §3.10, group commit: the block goes in place of the line
 * EXAMPLE below, with an engine on the contract rule base (a store in
 * memory): `request_a` submits the school building, `request_b` approves
 * its first step, with a key.  Both must be done, in one commit.  Built
 * against the library and run by tests/docs_examples.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <onetrip.h>

static const char request_a[] =
	"{\"item\": \"construction_permit\", \"now\": \"2019-09-27T09:00\","
	" \"applicant\": {\"kind\": \"company\", \"id\": \"91350100M000100Y43\", \"name\": \"某公司\"},"
	" \"form\": {\"name\": \"立山区第一小学教学楼\", \"area\": 5400, \"height\": 18,"
	" \"government_funded\": true, \"contractor\": \"91350100M000100Y43\", \"kind\": \"public\"},"
	" \"materials\": [\"land_cert\", \"drawings\", \"fire_review\"]}";
static const char request_b[] =
	"{\"case\": \"20190927-0001\", \"step\": \"intake\", \"action\": \"approve\","
	" \"actor\": \"approval_bureau.investment\", \"now\": \"2019-09-29T10:00\"}";

int main(void)
{
	ot_engine *e = NULL;
	ot_error err;
	ot_idempotency key = {"window:1", NULL, 0, 0};
	if (ot_engine_open("tests/contract/rules", ":memory:", &e, &err) != OT_OK) {
		fprintf(stderr, "open: %s\n", err.message);
		return 1;
	}
/* EXAMPLE */
	if (s != OT_OK) {
		fprintf(stderr, "the commit: %s\n", err.message);
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		if (items[i].status != OT_OK) {
			fprintf(stderr, "item %d: %s\n", i, items[i].err.message);
			return 1;
		}
		free(items[i].response);
	}
	ot_engine_close(e);
	return 0;
}
