/*
 * lpattern.h -- Lua's pattern functions with a step budget (see lpattern.c).
 */
#ifndef OT_LPATTERN_H
#define OT_LPATTERN_H

#include <stddef.h>

#include <lua.h>

/* string.find, string.match, string.gmatch and string.gsub, as in Lua 5.4 */
int lpat_find(lua_State *L);
int lpat_match(lua_State *L);
int lpat_gmatch(lua_State *L);
int lpat_gsub(lua_State *L);

/* Supplied by the host: counts `steps` of matching against the running
 * call's budget; raises a Lua error once the budget is spent. */
void lpat_charge(lua_State *L, size_t steps);

#endif
