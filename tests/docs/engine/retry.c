/*
 * docs/engine.md §3.10, a safe retry: the block goes in place of the line
 * EXAMPLE below, with an engine on the contract rule base (a store in
 * memory) and the school building's submission as `request`.  Then the
 * same is sent again with the key: the same answer, replayed, one case.
 * Built against the library and run by tests/docs_examples.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <onetrip.h>

static const char request[] =
	"{\"item\": \"construction_permit\", \"now\": \"2019-09-27T09:00\","
	" \"applicant\": {\"kind\": \"company\", \"id\": \"91350100M000100Y43\", \"name\": \"某公司\"},"
	" \"form\": {\"name\": \"仓库\", \"area\": 120, \"kind\": \"industrial\","
	" \"contractor\": \"91350100M000100Y43\"}, \"materials\": [\"land_cert\"]}";

int main(void)
{
	ot_engine *e = NULL;
	ot_error err;
	char *response = NULL;
	if (ot_engine_open("tests/contract/rules", ":memory:", &e, &err) != OT_OK) {
		fprintf(stderr, "open: %s\n", err.message);
		return 1;
	}
/* EXAMPLE */
	if (s != OT_OK || key.replayed != 0) {
		fprintf(stderr, "the first submission: %s\n", err.message);
		return 1;
	}
	char *again = NULL;
	s = ot_call_idempotent(e, "submit", request, &key, &again, &err);
	if (s != OT_OK || key.replayed != 1 || strcmp(again, response) != 0) {
		fprintf(stderr, "sent again: not the same answer, replayed\n");
		return 1;
	}
	free(again);
	free(response);
	if (ot_list(e, "{}", &response, &err) != OT_OK || strstr(response, "20190927-0002")) {
		fprintf(stderr, "a second case\n");
		return 1;
	}
	free(response);
	ot_engine_close(e);
	return 0;
}
