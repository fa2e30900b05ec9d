/* The suites on tests/data/law.rules (test_law, test_sweep): the rule base
 * and a submission of one of its items, as a company applies online. */
#ifndef OT_LAW_HELPERS_H
#define OT_LAW_HELPERS_H

#include <sqlite3.h>

#include "engine_helpers.h"

static const char *LAW = OT_TEST_DATA "/law.rules";

#define APPLICANT "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"鞍山市立山建设有限公司\"}"

/* tests/data/time/law-time.rules: time as the law counts it at its edges,
 * and a person's application to one of its items (its "now" a %s) */
static const char *TIME_RULES = OT_TEST_DATA "/time/law-time.rules";
#define LAW_APP(item) "{\"item\":\"" item "\",\"channel\":\"hall\",\"applicant\":{\"kind\":" \
	"\"person\",\"id\":\"11010519491231002X\",\"name\":\"张三\"},\"materials\":[\"law_application\"]," \
	"\"now\":\"%s\"}"
/* the same to an item of tests/data/time/pauses.rules */
#define PAUSES_APP(item) "{\"item\":\"" item "\",\"channel\":\"hall\",\"applicant\":{\"kind\":" \
	"\"person\",\"id\":\"11010519491231002X\",\"name\":\"张三\"},\"materials\":[\"application\"]," \
	"\"now\":\"%s\"}"

static inline json_t *submit(ot_engine *e, const char *item, const char *street, const char *now)
{
	return call(e, "submit", OT_OK,
		    "{\"item\":\"%s\",\"channel\":\"online\",\"now\":\"%s\",\"applicant\":" APPLICANT
		    ",\"form\":{\"name\":\"x\",\"street\":\"%s\"},\"materials\":[\"plan\"]}",
		    item, now, street);
}

/* Rewrites the "clocks" of case id's submit event in the SQLite store db
 * (payload: a SQL expression of the payload), as a case submitted by an
 * engine of before has it. */
static inline void set_clocks(const char *db, const char *id, const char *payload)
{
	sqlite3 *db3;
	char sql[256];
	snprintf(sql, sizeof sql, "UPDATE events SET payload = %s WHERE case_id = '%s' AND seq = 1",
		 payload, id);
	assert_int_equal(sqlite3_open(db, &db3), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db3, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db3);
}

/* The store's check finds it sound (its report on stderr when not). */
static inline void store_is_sound(ot_engine *e)
{
	json_t *r = call(e, "store_check", OT_OK, "{}");
	if (!json_is_true(json_object_get(r, "sound"))) {
		char *t = json_dumps(r, 0);
		fprintf(stderr, "store check: %s\n", t);
		free(t);
		fail();
	}
	json_decref(r);
}

/* A new SQLite store, db (in a directory of test_tmpdir's named `name`),
 * with two submissions of request `fmt` (its "now" a %s) at `now`, and
 * case old_id's submit event then given `payload` (set_clocks), as an
 * engine of before wrote it: the engine opened again on the store. */
static inline ot_engine *one_of_before(const char *rules, const char *name, char db[256],
				       const char *fmt, const char *now, const char *old_id,
				       const char *payload)
{
	char dir[200];
	test_tmpdir(name, dir, sizeof dir);
	snprintf(db, 256, "%s/store.db", dir);
	ot_engine *e = open_at(rules, db);
	for (int i = 0; i < 2; i++)
		json_decref(call(e, "submit", OT_OK, fmt, now));
	ot_engine_close(e);
	set_clocks(db, old_id, payload);
	return open_at(rules, db);
}

#endif