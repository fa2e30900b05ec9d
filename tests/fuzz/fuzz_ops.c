/*
 * libFuzzer target: every operation's JSON request through ot_call, on a
 * fresh engine (a store in memory) that already holds an accepted case and
 * an incomplete one.  Built twice: fuzz_ops on the contract rule base
 * (cases 20190927-0001 and -0002), and fuzz_ops_lishan (FUZZ_OPS_LISHAN)
 * on the bundled rule base of rules/, whose construction items call the
 * Lua hook hooks/construction.lua (cases 20191202-0001 and -0002).
 *
 * The input is up to 8 requests separated by NUL bytes; the first byte of
 * each picks the operation (1 for the first of ops[], 2 for the second,
 * and on modulo the table's size), the rest is the request.  Whatever comes
 * back must keep the API's promises: a known status; a JSON response
 * exactly when OT_OK; otherwise a one-line message of valid UTF-8 within
 * the buffer, with no valid ID number in it; and a refused request, or
 * one of the operations that only read, leaves every row of the store as
 * it was.
 *
 * Build and run (docs/fuzzing.md):
 *   cmake -S . -B build-fuzz -DOT_FUZZ=ON -DCMAKE_C_COMPILER=clang
 *   cmake --build build-fuzz --target fuzz_ops
 *   ./build-fuzz/tests/fuzz_ops -max_len=4096 NEW_DIR tests/fuzz/corpus/ops
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "engine.h"
#include "idcheck.h"
#include "json_read.h"
#include "onetrip.h"
#include "store_sqlite.h"

#ifndef OT_SOURCE_DIR
#define OT_SOURCE_DIR "."
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Append only: the committed seeds name an operation by its place here. */
static const char *const ops[] = {
	"assess", "submit", "supplement", "act", "suspend", "resume", "deliver",
	"withdraw", "show", "list", "overdue", "licences_import", "licences",
	"accept", "refuse", "extend", "procedure_start", "procedure_end", "pledge_check",
};

/* The operations that never change the store, refused or not. */
static const char *const readers[] = {"assess", "show", "list", "overdue", "licences"};

/* The rule base, compiled once, and the two cases every input starts from. */
#ifdef FUZZ_OPS_LISHAN
static const char rules_path[] = OT_SOURCE_DIR "/rules";
static const char *const setup[] = {
	"{\"item\":\"construction_permit\",\"channel\":\"online\",\"now\":\"2019-12-02T09:00\","
	"\"applicant\":{\"kind\":\"company\",\"id\":\"91330100716105852F\",\"name\":\"x\"},"
	"\"form\":{\"project_name\":\"x\",\"builder_code\":\"91330100716105852F\","
	"\"location\":\"x\",\"total_investment\":3200,\"floor_area\":5400,"
	"\"building_height\":18,\"project_kind\":\"public_building\",\"government_funded\":true,"
	"\"land_supply\":\"allocated\",\"special_fire\":true,\"contract_price\":2900,"
	"\"contractor_code\":\"91210304MA0000001L\"},"
	"\"materials\":[\"planning_permit_doc\",\"drawing_review_cert\",\"fire_design_opinion\","
	"\"supervision_contract\",\"funds_commitment\",\"quality_safety_commitment\"]}",
	/* no contractor yet: the hook refuses the form */
	"{\"item\":\"construction_permit\",\"channel\":\"hall\",\"now\":\"2019-12-02T10:00\","
	"\"applicant\":{\"kind\":\"company\",\"id\":\"91350100M000100Y43\"},"
	"\"form\":{\"project_name\":\"x\",\"builder_code\":\"91350100M000100Y43\","
	"\"location\":\"x\",\"total_investment\":28,\"floor_area\":280,"
	"\"project_kind\":\"industrial_building\",\"land_supply\":\"granted\"},"
	"\"materials\":[\"planning_permit_doc\",\"funds_commitment\","
	"\"quality_safety_commitment\",\"construction_contract\"]}",
};
#else
static const char rules_path[] = OT_SOURCE_DIR "/tests/contract/rules/contract.rules";
static const char *const setup[] = {
	"{\"item\":\"construction_permit\",\"channel\":\"online\",\"now\":\"2019-09-27T09:00\","
	"\"applicant\":{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"x\"},"
	"\"form\":{\"name\":\"x\",\"area\":5400,\"height\":18,\"government_funded\":true,"
	"\"contractor\":\"91350100M000100Y43\",\"kind\":\"public\"},"
	"\"materials\":[\"land_cert\",\"drawings\",\"fire_review\"]}",
	"{\"item\":\"construction_permit\",\"channel\":\"hall\",\"now\":\"2019-09-27T10:00\","
	"\"applicant\":{\"kind\":\"company\",\"id\":\"91350100M000100Y43\"},"
	"\"form\":{\"name\":\"仓库\",\"area\":120,\"kind\":\"industrial\"}}",
};
#endif

static void check_error(const ot_error *err)
{
	size_t n = strlen(err->message);
	if (n == 0 || n >= sizeof err->message)
		abort();
	if (!utf8_valid(err->message, n))
		abort();
	for (size_t i = 0; i + 18 <= n; i++)
		if (id_number_valid(err->message + i, 18))
			abort(); /* an ID number shows */
}

/* Mixes n bytes into h, eight at a time: the bundled rule base keeps its
 * 140 KB of sources in the store, hashed twice a request.  Not
 * instrumented for coverage, so that the fuzzer follows the engine, not
 * this loop. */
__attribute__((no_sanitize("coverage")))
static uint64_t mix(uint64_t h, const unsigned char *b, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return (h ^ n) * 0x100000001b3ull;
}

/* A hash of every value of every row of every table (rowid order), so it
 * holds whatever the store's schema. */
__attribute__((no_sanitize("coverage")))
static uint64_t store_hash(ot_engine *e)
{
	uint64_t h = 1469598103934665603ull;
	sqlite3_stmt *tables = NULL, *rows = NULL;
	if (sqlite3_prepare_v2(SQ(e)->db, "SELECT name FROM sqlite_master WHERE type = 'table' "
			       "ORDER BY name", -1, &tables, NULL) != SQLITE_OK)
		abort();
	while (sqlite3_step(tables) == SQLITE_ROW) {
		char sql[256];
		snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", sqlite3_column_text(tables, 0));
		if (sqlite3_prepare_v2(SQ(e)->db, sql, -1, &rows, NULL) != SQLITE_OK)
			abort();
		while (sqlite3_step(rows) == SQLITE_ROW)
			for (int c = 0; c < sqlite3_column_count(rows); c++) {
				const unsigned char *b = sqlite3_column_blob(rows, c);
				h = mix(h, b, (size_t)sqlite3_column_bytes(rows, c));
				h = (h ^ (uint64_t)sqlite3_column_type(rows, c)) * 0x100000001b3ull;
			}
		sqlite3_finalize(rows);
	}
	sqlite3_finalize(tables);
	return h;
}

static int reads_only(const char *op)
{
	for (size_t i = 0; i < sizeof readers / sizeof *readers; i++)
		if (strcmp(op, readers[i]) == 0)
			return 1;
	return 0;
}

static void run(ot_engine *e, const char *op, const char *request)
{
	char *resp = NULL;
	ot_error err;
	uint64_t before = store_hash(e);
	ot_status st = ot_call(e, op, request, &resp, &err);
	uint64_t after = store_hash(e);
	if (getenv("FUZZ_OPS_TRACE")) /* to read what an input does */
		fprintf(stderr, "%s %s -> %s%s%s%s\n", op, request, ot_status_name(st),
			st ? ": " : "", st ? err.message : "",
			after != before ? " (the store changed)" : "");
	if ((st != OT_OK || reads_only(op)) && after != before)
		abort(); /* a refusal, or a reading, changed the store */
	if (st < OT_OK || st > OT_EHOOK)
		abort();
	if (st == OT_OK) {
		json_t *j = resp ? json_loads(resp, 0, NULL) : NULL;
		if (!json_is_object(j))
			abort(); /* every answer is a JSON object */
		json_decref(j);
	} else {
		if (resp)
			abort(); /* no answer with a refusal */
		check_error(&err);
	}
	free(resp);
}

/* The engine's reader of requests (json_read.h) gives what jansson gives,
 * or leaves the text to jansson. */
static void same_as_jansson(const char *text)
{
	json_t *fast = json_read(text);
	json_t *slow = fast ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (fast && (!slow || !json_equal(fast, slow)))
		abort();
	json_decref(fast);
	json_decref(slow);
}

/* Compiled once for the run, as a service does: every input gets a new
 * engine and store, not a new rule base. */
static ot_rules *rules_once(void)
{
	static ot_rules *r;
	const char *path = rules_path;
	ot_diags *diags = NULL;
	if (!r && ot_rules_compile(&path, 1, NULL, &r, &diags) != OT_OK)
		abort();
	ot_diags_free(diags);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ot_engine_config c;
	ot_engine *e = NULL;
	ot_error err;
	ot_engine_config_init(&c);
	c.rules = rules_once();
	c.store = ":memory:";
	if (ot_engine_open_config(&c, &e, &err) != OT_OK)
		abort();
	for (size_t i = 0; i < sizeof setup / sizeof *setup; i++)
		run(e, "submit", setup[i]);
	char *text = malloc(size + 1);
	if (!text)
		abort();
	size_t at = 0;
	for (int n = 0; at < size && n < 8; n++) {
		const uint8_t *end = memchr(data + at, 0, size - at);
		size_t len = end ? (size_t)(end - (data + at)) : size - at;
		if (len > 0) {
			memcpy(text, data + at + 1, len - 1);
			text[len - 1] = 0;
			same_as_jansson(text);
			run(e, ops[(data[at] - 1) % (sizeof ops / sizeof *ops)], text);
		}
		at += len + 1;
	}
	free(text);
	ot_engine_close(e);
	return 0;
}
