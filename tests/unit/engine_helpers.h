/* Helpers for the tests that drive the engine through its JSON API. */
#ifndef OT_ENGINE_HELPERS_H
#define OT_ENGINE_HELPERS_H

#include <jansson.h>

#include "helpers.h"

/* The store a test asks for as ":memory:" is, when OT_TEST_STORE names a
 * backend, a new store of that backend: the same tests run against each
 * backend through the store interface (tests/CMakeLists.txt).
 * OT_TEST_STORE=sqlite: a new SQLite file in a directory of test_tmpdir's,
 * removed with the rest when the process ends.
 * OT_TEST_STORE=postgresql: a new schema of the database OT_TEST_PG names
 * (the server tests/pg/server.sh started for the suite). */
static inline const char *test_store(const char *db, char *buf, size_t cap)
{
	const char *backend = getenv("OT_TEST_STORE");
	if (!backend || strcmp(db, ":memory:") != 0)
		return db;
	if (strcmp(backend, "sqlite") == 0) {
		char dir[256];
		if ((size_t)snprintf(buf, cap, "sqlite:%s/store.db",
				     test_tmpdir("store", dir, sizeof dir)) >= cap)
			fail();
		return buf;
	}
	const char *pg = getenv("OT_TEST_PG");
	if (strcmp(backend, "postgresql") == 0 && pg) {
		static unsigned n;
		snprintf(buf, cap, "%s%cschema=t%ld_%u", pg, strchr(pg, '?') ? '&' : '?',
			 (long)getpid(), n++);
		return buf;
	}
	fprintf(stderr, "OT_TEST_STORE=%s: no such backend (or OT_TEST_PG unset)\n", backend);
	fail();
	return db;
}

static inline ot_engine *open_at(const char *rules, const char *db)
{
	ot_engine *e = NULL;
	ot_error err;
	char uri[256];
	db = test_store(db, uri, sizeof uri);
	if (ot_engine_open(rules, db, &e, &err) != OT_OK) {
		fprintf(stderr, "%s\n", err.message);
		fail();
	}
	return e;
}

/* The rule bases compile_once compiled, freed when the process ends. */
static ot_rules *compile_once_rules[8];

static inline void compile_once_free(void)
{
	for (size_t i = 0; i < sizeof compile_once_rules / sizeof *compile_once_rules; i++)
		ot_rules_free(compile_once_rules[i]);
}

/* The rule base at path `rules` compiled once a process, as a server
 * compiles its own: for the tests that open an engine thousands of times
 * (a fault at each step of an operation), whose time would otherwise go
 * to compiling.  At most eight paths, each a string of the test's that
 * stays (compared by address). */
static inline ot_rules *compile_once(const char *rules)
{
	static const char *paths[sizeof compile_once_rules / sizeof *compile_once_rules];
	size_t i = 0;
	while (i < sizeof paths / sizeof *paths && paths[i] && paths[i] != rules)
		i++;
	assert_true(i < sizeof paths / sizeof *paths);
	if (!paths[i]) {
		ot_diags *d = NULL;
		if (ot_rules_compile(&rules, 1, NULL, &compile_once_rules[i], &d) != OT_OK)
			fail();
		ot_diags_free(d);
		if (i == 0)
			atexit(compile_once_free);
		paths[i] = rules;
	}
	return compile_once_rules[i];
}

/* open_at with the rule base compiled once (compile_once). */
static inline ot_engine *open_compiled(const char *rules, const char *db)
{
	ot_engine_config c;
	ot_engine_config_init(&c);
	char uri[256];
	c.rules = compile_once(rules);
	c.store = test_store(db, uri, sizeof uri);
	ot_engine *e = NULL;
	ot_error err;
	if (ot_engine_open_config(&c, &e, &err) != OT_OK) {
		fprintf(stderr, "%s\n", err.message);
		fail();
	}
	return e;
}

/* Runs op and wants status `want`; returns the parsed response (NULL
 * when the operation failed as wanted). */
static inline json_t *call(ot_engine *e, const char *op, ot_status want, const char *fmt, ...)
{
	char req[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(req, sizeof req, fmt, ap);
	va_end(ap);
	char *resp = NULL;
	ot_error err;
	ot_status st = ot_call(e, op, req, &resp, &err);
	if (st != want) {
		fprintf(stderr, "%s: wanted %s, got %s: %s\nrequest: %s\n", op,
			ot_status_name(want), ot_status_name(st), st ? err.message : resp, req);
		fail();
	}
	json_t *j = resp ? json_loads(resp, 0, NULL) : NULL;
	free(resp);
	return j;
}

#define ok(e, op, ...) call(e, op, OT_OK, __VA_ARGS__)

/* op is refused with status `want` and a message containing `needle`. */
static inline void refused(ot_engine *e, const char *op, ot_status want, const char *needle,
			   const char *req)
{
	char *resp = NULL;
	ot_error err;
	ot_status st = ot_call(e, op, req, &resp, &err);
	if (st != want || !strstr(err.message, needle)) {
		fprintf(stderr, "%s: wanted %s containing '%s', got %s: %s\n", op,
			ot_status_name(want), needle, ot_status_name(st), err.message);
		fail();
	}
	assert_null(resp);
}

static inline const char *S(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "(null)";
}

#endif
