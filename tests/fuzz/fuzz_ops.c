/*
 * libFuzzer target: every operation's JSON request through ot_call, on a
 * fresh engine (the contract rule base, a store in memory) that already
 * holds an accepted case (20190927-0001) and an incomplete one
 * (20190927-0002).
 *
 * The input is up to 8 requests separated by NUL bytes; the first byte of
 * each picks the operation, the rest is the request.  Whatever comes
 * back must keep the API's promises: a known status; a JSON response
 * exactly when OT_OK; otherwise a one-line message of valid UTF-8 within
 * the buffer, with no valid ID number in it.
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
#include "idcheck.h"
#include "onetrip.h"

#ifndef OT_SOURCE_DIR
#define OT_SOURCE_DIR "."
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ops[] = {
	"assess", "submit", "supplement", "act", "suspend", "resume", "deliver",
	"withdraw", "show", "list", "overdue", "licences_import", "licences",
};

/* The two cases every input starts from. */
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

static void check_error(const ot_error *err)
{
	size_t n = strlen(err->message);
	if (n == 0 || n >= sizeof err->message)
		abort();
	for (size_t i = 0; i < n;) {
		int len = utf8_seq_len((const unsigned char *)err->message + i, n - i);
		if (!len)
			abort(); /* not valid UTF-8 */
		i += (size_t)len;
	}
	for (size_t i = 0; i + 18 <= n; i++)
		if (id_number_valid(err->message + i, 18))
			abort(); /* an ID number shows */
}

static void run(ot_engine *e, const char *op, const char *request)
{
	char *resp = NULL;
	ot_error err;
	ot_status st = ot_call(e, op, request, &resp, &err);
	if (getenv("FUZZ_OPS_TRACE")) /* to read what an input does */
		fprintf(stderr, "%s %s -> %s%s%s\n", op, request, ot_status_name(st),
			st ? ": " : "", st ? err.message : "");
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ot_engine *e = NULL;
	ot_error err;
	if (ot_engine_open(OT_SOURCE_DIR "/tests/contract/rules/contract.rules", ":memory:", &e,
			   &err) != OT_OK)
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
			run(e, ops[data[at] % (sizeof ops / sizeof *ops)], text);
		}
		at += len + 1;
	}
	free(text);
	ot_engine_close(e);
	return 0;
}
