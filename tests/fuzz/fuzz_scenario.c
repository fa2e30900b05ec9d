/*
 * libFuzzer target: arbitrary bytes as a scenario file, parsed as
 * `onetrip test` parses it, its diagnostics rendered both ways; a file
 * that parses is also run, as `onetrip test` runs it, when every `rules`
 * statement names the contract rule base (`rules "rules"`, the file being
 * tests/contract/fuzz.scenario): another path could name a directory as
 * large as the file system.
 *
 * Build and run (docs/fuzzing.md):
 *   cmake -S . -B build-fuzz -DOT_FUZZ=ON -DCMAKE_C_COMPILER=clang
 *   cmake --build build-fuzz --target fuzz_scenario
 *   ./build-fuzz/tests/fuzz_scenario -max_len=8192 NEW_DIR tests/fuzz/corpus/scenario
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "onetrip.h"
#include "scenario.h"

#ifndef OT_SOURCE_DIR
#define OT_SOURCE_DIR "."
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void cli_errorf(const char *fmt, ...);

/* tools/test.c reports through the command line's stderr: not here. */
void cli_errorf(const char *fmt, ...)
{
	(void)fmt;
}

/* A file whose rules are all the contract's, and that has few statements:
 * each `rules` opens an engine. */
static int runnable(const scn_file *f)
{
	size_t statements = 0;
	for (size_t i = 0; i < f->scenarios.n; i++) {
		const scn_scenario *sc = &f->scenarios.v[i];
		statements += sc->stmts.n;
		for (size_t k = 0; k < sc->stmts.n; k++)
			if (sc->stmts.v[k].kind == SS_RULES &&
			    (!sc->stmts.v[k].text || strcmp(sc->stmts.v[k].text, "rules") != 0))
				return 0;
	}
	return statements <= 200;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	scn_file *f = NULL;
	ot_diags *d = NULL;
	ot_status st = scn_load_text(OT_SOURCE_DIR "/tests/contract/fuzz.scenario",
				     (const char *)data, size, &f, &d);
	if ((st == OT_OK) != (f != NULL) || (st != OT_ENOMEM && !d))
		abort();
	free(ot_diags_render(d, OT_RENDER_COLOR));
	free(ot_diags_json(d));
	ot_diags_free(d);
	if (f && runnable(f))
		scn_run_all(f);
	scn_free(f);
	return 0;
}
