/*
 * hooks_stdlib.h -- the Lua standard library of hooks (the Lua files of stdlib/lua),
 * compiled into the engine by tools/embed.cmake.
 */
#ifndef OT_HOOKS_STDLIB_H
#define OT_HOOKS_STDLIB_H

#include <stddef.h>

typedef struct hook_source {
	const char *name, *text;
} hook_source;

extern const hook_source hook_stdlib_sources[]; /* ends with {NULL, NULL} */

struct lua_State;
/* Registers the library in the sandbox's registry ("onetrip.stdlib"). */
int hook_stdlib_open(struct lua_State *L);

/* Runs a module's text (chunk: its name in messages) with globals of its
 * own that read the sandbox's, frozen once it has run; pushes its result.
 * Raises the Lua error of a module that does not load or run. */
int hook_run_module(struct lua_State *L, const char *text, size_t len, const char *chunk);

#endif
