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
/* Pushes the private module `_onetrip` (the engine functions the Lua
 * modules wrap), read-only. */
int hook_stdlib_private(struct lua_State *L);

#endif
