/*
 * helpers.h -- what the unit tests share: compile a text, look for a
 * diagnostic by code and place; a directory of a test's own under the
 * process's, removed when it ends (tmpdir.h).  Header-only, static
 * functions.
 */
#ifndef OT_TEST_HELPERS_H
#define OT_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "onetrip.h"
#include "tmpdir.h"

#ifndef OT_TEST_DATA
#define OT_TEST_DATA "tests/data"
#endif

typedef struct compiled {
	ot_status st;
	ot_rules *rules;
	ot_diags *diags;
} compiled;

static inline compiled compile_src(const char *src)
{
	compiled c = {0, NULL, NULL};
	c.st = ot_rules_compile_text(OT_TEST_DATA "/t.rules", src, strlen(src), NULL,
				     &c.rules, &c.diags);
	return c;
}

static inline void compiled_free(compiled *c)
{
	ot_rules_free(c->rules);
	ot_diags_free(c->diags);
	c->rules = NULL;
	c->diags = NULL;
}

/* The first diagnostic with `code`, optionally at `line` (0: any). */
static inline const ot_diag *find_diag(const compiled *c, const char *code, int line)
{
	for (size_t i = 0; i < ot_diags_count(c->diags); i++) {
		const ot_diag *d = ot_diags_get(c->diags, i);
		if (strcmp(d->code, code) == 0 && (line == 0 || d->line == line))
			return d;
	}
	return NULL;
}

static inline void dump_diags(const compiled *c)
{
	char *s = ot_diags_render(c->diags, 0);
	fprintf(stderr, "%s", s ? s : "(null)\n");
	free(s);
}

/* Asserts that compiling `src` reports `code` at line:col (col 0: any) and
 * that the message contains `needle` (NULL: anything). */
static inline void expect_diag(const char *src, const char *code, int line, int col,
			       const char *needle)
{
	compiled c = compile_src(src);
	const ot_diag *d = find_diag(&c, code, line);
	if (!d || (col && d->col != col) || (needle && !strstr(d->message, needle))) {
		fprintf(stderr, "wanted %s at %d:%d containing '%s'; got:\n", code, line,
			col, needle ? needle : "");
		dump_diags(&c);
		compiled_free(&c);
		fail();
	}
	compiled_free(&c);
}

/* Asserts that `src` compiles with no diagnostics at all. */
static inline void expect_clean(const char *src)
{
	compiled c = compile_src(src);
	if (c.st != OT_OK || ot_diags_count(c.diags)) {
		dump_diags(&c);
		compiled_free(&c);
		fail();
	}
	compiled_free(&c);
}

static inline char *read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc((size_t)n + 1);
	if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	if (p)
		p[n] = 0;
	fclose(f);
	if (len)
		*len = (size_t)n;
	return p;
}

/* A minimal valid rule base other tests add to. */
#define BASE                                                                  \
	"calendar cn { weekend sat sun }\n"                                   \
	"department d \"部门\" { window w \"窗口\" }\n"                        \
	"department e \"另一部门\"\n"                                          \
	"material m \"材料\"\n"                                                \
	"material p \"个人材料\" { holder person }\n"                          \
	"form f \"表\" {\n"                                                    \
	"  field area \"面积\": decimal min 0\n"                               \
	"  field n \"数量\": integer\n"                                        \
	"  field ok \"是否\": bool\n"                                          \
	"  field kind \"类型\": enum [a, b, c]\n"                              \
	"  field name \"名称\": text\n"                                        \
	"  field day \"日期\": date\n"                                         \
	"}\n"

/* Removes a SQLite store file and its -wal and -shm files. */
static inline void remove_store(const char *path)
{
	char side[600];
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}

#endif
