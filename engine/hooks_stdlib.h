/*
 * hooks_stdlib.h -- the Lua standard library of hooks (the Lua files of stdlib/lua),
 * compiled into the engine by tools/embed.cmake.
 */
#ifndef OT_HOOKS_STDLIB_H
#define OT_HOOKS_STDLIB_H

typedef struct hook_source {
	const char *name, *text;
} hook_source;

extern const hook_source hook_stdlib_sources[]; /* ends with {NULL, NULL} */

struct lua_State;
/* Registers the library in the sandbox's registry ("onetrip.stdlib"). */
int hook_stdlib_open(struct lua_State *L);

#endif
