/*
 * docs/engine.md §11.3, an engine opened with a configuration: the block
 * goes in place of the line EXAMPLE below.  Built against the library by
 * tests/docs_examples.sh, and run, but the example is not: it would open a
 * store under /var/lib.
 */
#include <stdio.h>

#include <onetrip.h>

static void my_log(void *ud, const char *line)
{
	(void)ud;
	fprintf(stderr, "%s\n", line);
}

int example(void);
int example(void)
{
/* EXAMPLE */
	ot_engine_close(e);
	return 0;
}

int main(int argc, char **argv)
{
	(void)argv;
	return argc > 1 ? example() : 0;
}
