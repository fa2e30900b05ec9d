/*
 * check-only.c -- `onetrip-check PATH...`: checks rule files with the
 * layers below the engine only (core, the Lua sandbox, the rule language),
 * so a machine that only edits rules needs no store.  It says what
 * `onetrip check` says; the build keeps it linked without SQLite, which
 * proves the layers (docs/architecture.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onetrip.h"

int main(int argc, char **argv)
{
	ot_compile_options opt = {NULL, NULL, 0};
	int json = 0, first = 1;
	for (; first < argc && argv[first][0] == '-'; first++) {
		if (!strcmp(argv[first], "--json"))
			json = 1;
		else if (!strcmp(argv[first], "--strict"))
			opt.strict = 1;
		else
			break;
	}
	if (first >= argc) {
		fprintf(stderr, "usage: onetrip-check [--json] [--strict] PATH...\n");
		return 2;
	}
	ot_rules *r = NULL;
	ot_diags *d = NULL;
	ot_status s = ot_rules_compile((const char *const *)argv + first, (size_t)(argc - first),
				       &opt, &r, &d);
	char *text = !d ? NULL : json ? ot_diags_json(d)
			: ot_diags_render(d, isatty(2) ? OT_RENDER_COLOR : 0);
	if (text)
		fputs(text, json ? stdout : stderr);
	if (json && text)
		putchar('\n');
	free(text);
	if (s == OT_OK && !json)
		printf("ok: rule set %.12s\n", ot_rules_hash(r));
	else if (s != OT_OK && !d)
		fprintf(stderr, "onetrip-check: %s\n", ot_status_name(s));
	ot_rules_free(r);
	ot_diags_free(d);
	return s == OT_OK ? 0 : 1;
}
