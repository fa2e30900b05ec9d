/* The suites on tests/data/law.rules (test_law, test_sweep): the rule base
 * and a submission of one of its items, as a company applies online. */
#ifndef OT_LAW_HELPERS_H
#define OT_LAW_HELPERS_H

#include <sqlite3.h>

#include "engine_helpers.h"

static const char *LAW = OT_TEST_DATA "/law.rules";

#define APPLICANT "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"鞍山市立山建设有限公司\"}"

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

#endif
