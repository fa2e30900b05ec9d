/*
 * bench-compile -- how long compiling a rule base takes, end to end
 * (read, lex, parse, check, build the model, hash).
 *
 *   bench-compile PATH [RUNS]
 *
 * Prints the fastest and the median of RUNS compiles (default 20), so a
 * busy machine disturbs the figure as little as possible.  See
 * docs/performance.md for the figures and how to reproduce them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "onetrip.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench-compile PATH [RUNS]\n");
		return 2;
	}
	int runs = argc > 2 ? atoi(argv[2]) : 20;
	if (runs < 1)
		runs = 1;
	double *t = calloc((size_t)runs, sizeof *t);
	const char *path = argv[1];
	for (int i = 0; i < runs; i++) {
		ot_rules *r = NULL;
		ot_diags *d = NULL;
		double t0 = now();
		ot_status st = ot_rules_compile(&path, 1, NULL, &r, &d);
		t[i] = now() - t0;
		if (st != OT_OK) {
			char *s = ot_diags_render(d, 0);
			fprintf(stderr, "%s%s\n", s ? s : "", ot_status_name(st));
			free(s);
			return 1;
		}
		ot_rules_free(r);
		ot_diags_free(d);
	}
	qsort(t, (size_t)runs, sizeof *t, by_value);
	printf("compile %s: best %.1f ms, median %.1f ms over %d runs\n", path,
	       t[0] * 1e3, t[runs / 2] * 1e3, runs);
	free(t);
	return 0;
}
