/*
 * libFuzzer target: compiles arbitrary bytes as a rule file and renders
 * the diagnostics both ways.  Build and run (docs/fuzzing.md):
 *   cmake -S . -B build-fuzz -DOT_FUZZ=ON -DCMAKE_C_COMPILER=clang
 *   cmake --build build-fuzz --target fuzz_compile
 *   ./build-fuzz/tests/fuzz_compile -max_len=8192 NEW_DIR tests/golden tests/data
 * NEW_DIR collects what it finds; the seeds are the tests' rule files.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "onetrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ot_rules *r = NULL;
	ot_diags *d = NULL;
	/* a name in a directory without rule files, so `use` finds nothing */
	ot_rules_compile_text("/nonexistent/fuzz.rules", (const char *)data, size,
			      NULL, &r, &d);
	free(ot_diags_render(d, OT_RENDER_COLOR));
	free(ot_diags_json(d));
	if (r)
		free(ot_rules_describe(r));
	ot_rules_free(r);
	ot_diags_free(d);
	return 0;
}
