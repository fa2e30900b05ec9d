/*
 * host.c -- a host program that defines names the library uses inside
 * (err_set, arena_alloc).  Linked with libonetrip.a they must not clash
 * (duplicate definitions); with libonetrip.so the host's must not replace
 * the library's.  The refusal of ot_engine_open below is made by the
 * library's own err_set.  Prints "VERSION 1 2" when all is well.
 */
#include <stdio.h>
#include <string.h>

#include <onetrip.h>

int err_set(void);
void *arena_alloc(void);

int err_set(void)
{
	return 1;
}

void *arena_alloc(void)
{
	return NULL;
}

int main(void)
{
	ot_engine *e = NULL;
	ot_error err = {0};
	ot_status s = ot_engine_open(NULL, NULL, &e, &err);
	int refused = s == OT_EINVAL && err.status == OT_EINVAL &&
		      strstr(err.message, "needs a rules path") != NULL;
	printf("%s %d %d\n", ot_version(), refused, err_set() + (arena_alloc() == NULL));
	return 0;
}
