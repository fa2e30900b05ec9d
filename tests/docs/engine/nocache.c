/*
 * docs/engine.md §9.5, an engine that keeps no case: the block goes in
 * place of the line EXAMPLE below, run from the repository's root (the
 * bundled rules, a new store var/onetrip.db, in var/ as `make run` leaves
 * it: the library makes no directory); the engine must then open and
 * assess.  Built against the library and run by tests/docs_examples.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <onetrip.h>

int main(void)
{
	ot_engine *e = NULL;
	ot_error err;
	char *response = NULL;
	mkdir("var", 0777);
/* EXAMPLE */
	if (e == NULL) {
		fprintf(stderr, "open: %s\n", err.message);
		return 1;
	}
	if (ot_assess(e, "{\"item\": \"chronic_disease_recognition\", \"now\": \"2024-03-04T09:00\"}",
		      &response, &err) != OT_OK) {
		fprintf(stderr, "assess: %s\n", err.message);
		return 1;
	}
	free(response);
	ot_engine_close(e);
	return 0;
}
