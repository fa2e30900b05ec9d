/* The suites on tests/data/law.rules (test_law, test_sweep): the rule base
 * and a submission of one of its items, as a company applies online. */
#ifndef OT_LAW_HELPERS_H
#define OT_LAW_HELPERS_H

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

#endif
