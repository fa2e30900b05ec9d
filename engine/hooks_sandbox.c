/*
 * hooks_sandbox.c -- what a hook's Lua code can reach, and how far.
 *
 * Why it is built this way (after Redis's script_lua.c, and the attacks in
 * tests/hooks/hostile):
 *  - The globals come from an allowlist; the real libraries are never
 *    reachable.  No io, debug, load, string.dump, collectgarbage; `os` has
 *    only time and date, both on the case's `now`.
 *  - What the sandbox shares between cases is read-only all the way down.
 *    A read-only table is an empty view whose metatable reads through to
 *    the real table; tables inside it are views too, and iteration hands
 *    out only views (the real table is found through the metatable, which
 *    is locked), so no path from a hook leads to a writable shared table.
 *  - Every function that can loop or build in C, where the instruction
 *    budget does not reach, is bounded: string.rep and the table functions
 *    by the memory budget (the table functions on plain tables only, where
 *    an element is one step), patterns by counting their steps (lpattern.c),
 *    os.date by its range.  setmetatable refuses __gc, __mode and __close,
 *    since Lua runs finalisers with no budget at all and collects weak
 *    tables in C, and seals the metatable so that neither comes later;
 *    xpcall runs its handler after the error, where the budget applies
 *    again (Lua runs a message handler with hooks off).
 */
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lualib.h>

#include "hooks_sandbox.h"
#include "lpattern.h"

#define RO_MAX_DEPTH 64

/* ---- read-only views ---- */

static int ro_refuse(lua_State *L)
{
	return luaL_error(L, "the case and the libraries are read-only");
}

/* ---- views whose parts are made when first read (sb_lazy_view) ---- */

typedef struct sb_lazy {
	sb_part_fn make;
	const char *const *parts;
	int nparts;
	unsigned built;        /* bit i: parts[i] is in the table */
	union {                /* the caller's data, aligned for anything */
		max_align_t align;
		char bytes[1];
	} data;
} sb_lazy;

/* Makes part i of a lazy view and keeps it in the view's table (at
 * `table`, which may be an upvalue index); leaves it on the stack. */
static void lazy_make(lua_State *L, int table, sb_lazy *z, int i)
{
	z->make(L, &z->data, i);
	lua_pushstring(L, z->parts[i]);
	lua_pushvalue(L, -2);
	lua_rawset(L, table);
	z->built |= 1u << i;
}

/* __index of a lazy view (the view, the key; upvalues: the table, the
 * sb_lazy): the table's value, else the part of that name, made now. */
static int lazy_index(lua_State *L)
{
	lua_settop(L, 2);
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL || lua_type(L, 2) != LUA_TSTRING)
		return 1;
	sb_lazy *z = lua_touserdata(L, lua_upvalueindex(2));
	const char *key = lua_tostring(L, 2);
	for (int i = 0; i < z->nparts; i++)
		if (!(z->built & (1u << i)) && strcmp(key, z->parts[i]) == 0) {
			lazy_make(L, lua_upvalueindex(1), z, i);
			return 1;
		}
	return 1; /* nil */
}

/* Is the table at `idx` one of our views? */
static int is_view(lua_State *L, int idx)
{
	if (!lua_getmetatable(L, idx))
		return 0;
	lua_pushliteral(L, "__newindex");
	int yes = lua_rawget(L, -2) == LUA_TFUNCTION && lua_tocfunction(L, -1) == ro_refuse;
	lua_pop(L, 2);
	return yes;
}

/* Pushes the real table behind view `idx`; 0 (nothing pushed) if it is
 * not one of our views (whose metatables refuse writes with ro_refuse).
 * A lazy view's parts are all made first: what walks the table (pairs,
 * next, #) sees every one, as if it had been built whole. */
int sb_target(lua_State *L, int idx)
{
	idx = lua_absindex(L, idx);
	if (!is_view(L, idx))
		return 0;
	lua_getmetatable(L, idx);
	lua_pushliteral(L, "__index");
	lua_rawget(L, -2);
	lua_remove(L, -2);
	if (lua_tocfunction(L, -1) == lazy_index) {
		int fn = lua_gettop(L);
		lua_getupvalue(L, fn, 2);
		sb_lazy *z = lua_touserdata(L, -1);
		lua_pop(L, 1);
		lua_getupvalue(L, fn, 1);
		for (int i = 0; i < z->nparts; i++)
			if (!(z->built & (1u << i))) {
				lazy_make(L, fn + 1, z, i);
				lua_pop(L, 1);
			}
		lua_remove(L, fn);
	}
	return 1;
}

static int ro_next(lua_State *L)
{
	lua_settop(L, 2);
	if (!sb_target(L, 1))
		return luaL_argerror(L, 1, "a read-only table");
	lua_pushvalue(L, 2);
	if (lua_next(L, 3))
		return 2;
	lua_pushnil(L);
	return 1;
}

/* pairs(view): the view itself is the iteration state, never the table */
static int ro_pairs(lua_State *L)
{
	if (!sb_target(L, 1))
		return luaL_argerror(L, 1, "a read-only table");
	lua_pop(L, 1);
	lua_pushcfunction(L, ro_next);
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

static int ro_len(lua_State *L)
{
	if (!sb_target(L, 1))
		return luaL_argerror(L, 1, "a read-only table");
	lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
	return 1;
}

/* The metatable of a view of the table at `t`. */
/* The metatable at the top refuses writes, walks and counts through its
 * __index, and cannot be read or replaced: what makes a view read-only. */
static void ro_guard(lua_State *L)
{
	lua_pushcfunction(L, ro_refuse);
	lua_setfield(L, -2, "__newindex");
	lua_pushcfunction(L, ro_pairs);
	lua_setfield(L, -2, "__pairs");
	lua_pushcfunction(L, ro_len);
	lua_setfield(L, -2, "__len");
	lua_pushliteral(L, "read-only");
	lua_setfield(L, -2, "__metatable");
}

static void ro_meta(lua_State *L, int t)
{
	lua_createtable(L, 0, 5);
	lua_pushvalue(L, t);
	lua_setfield(L, -2, "__index");
	ro_guard(L);
}

/* The table at the top becomes its view; tables inside it are replaced by
 * their views in place.  `seen` maps tables to views (shared tables and
 * cycles get one view). */
static void ro_wrap(lua_State *L, int seen, int depth)
{
	int t = lua_gettop(L);
	if (depth > RO_MAX_DEPTH)
		luaL_error(L, "a table nested more than %d deep cannot be made read-only", RO_MAX_DEPTH);
	luaL_checkstack(L, 8, "read-only tables");
	if (sb_target(L, t)) { /* a view already */
		lua_pop(L, 1);
		return;
	}
	lua_pushvalue(L, t);
	if (lua_rawget(L, seen) != LUA_TNIL) {
		lua_replace(L, t);
		return;
	}
	lua_pop(L, 1);
	lua_newtable(L); /* the view, t + 1 */
	lua_pushvalue(L, t);
	lua_pushvalue(L, t + 1);
	lua_rawset(L, seen);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		if (lua_type(L, -1) != LUA_TTABLE) {
			lua_pop(L, 1);
			continue;
		}
		ro_wrap(L, seen, depth + 1);
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, t); /* an existing key: allowed while traversing */
	}
	ro_meta(L, t);
	lua_setmetatable(L, t + 1);
	lua_replace(L, t);
}

void sb_view(lua_State *L)
{
	int t = lua_gettop(L);
	lua_newtable(L);
	ro_meta(L, t);
	lua_setmetatable(L, -2);
	lua_replace(L, t);
}

void *sb_lazy_view(lua_State *L, const char *const *parts, int nparts, sb_part_fn make,
		   size_t size)
{
	int t = lua_gettop(L);
	lua_newtable(L); /* the view */
	lua_createtable(L, 0, 5);
	lua_pushvalue(L, t);
	sb_lazy *z = lua_newuserdatauv(L, offsetof(sb_lazy, data) + (size ? size : 1), 0);
	z->make = make;
	z->parts = parts;
	z->nparts = nparts;
	z->built = 0;
	lua_pushcclosure(L, lazy_index, 2);
	lua_setfield(L, -2, "__index");
	ro_guard(L);
	lua_setmetatable(L, -2);
	lua_replace(L, t);
	return &z->data;
}

void sb_readonly(lua_State *L)
{
	lua_newtable(L);
	lua_insert(L, -2);
	ro_wrap(L, lua_gettop(L) - 1, 0);
	lua_remove(L, -2);
}

void sb_freeze_globals(lua_State *L, int idx)
{
	int t = lua_absindex(L, idx);
	lua_newtable(L); /* the globals move here; t reads through to it */
	int backing = lua_gettop(L);
	if (lua_getmetatable(L, t)) /* what t read through (the sandbox) */
		lua_setmetatable(L, backing);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, backing);
	}
	lua_pushnil(L);
	while (lua_next(L, backing)) {
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		lua_pushnil(L);
		lua_rawset(L, t);
	}
	ro_meta(L, backing);
	lua_setmetatable(L, t);
	lua_settop(L, backing - 1);
}

/* ---- bounded library functions ---- */

/* Calls the original function (upvalue 1) with this call's arguments.
 * Its errors get the hook's file:line, as if it had been called
 * directly (Lua puts there the place of the function's caller). */
static int call_original(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	int rc = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
	if (rc == LUA_OK)
		return lua_gettop(L);
	if (rc == LUA_ERRRUN && lua_type(L, -1) == LUA_TSTRING) {
		luaL_where(L, 1);
		lua_insert(L, -2);
		lua_concat(L, 2);
	}
	return lua_error(L);
}

/* The most elements a table function may walk: as many as the memory
 * budget could hold, a slot being 16 bytes. */
static lua_Integer max_elements(lua_State *L)
{
	return (lua_Integer)(hook_mem_budget(L) / 16);
}

/* A walk over from..to: refused past what the memory budget could hold,
 * and charged to the budget (an element a step) before it starts. */
static void check_span(lua_State *L, lua_Integer from, lua_Integer to, const char *fn)
{
	if (to < from)
		return;
	if ((lua_Unsigned)to - (lua_Unsigned)from >= (lua_Unsigned)max_elements(L))
		luaL_error(L, "%s over %I elements is more than a hook may do", fn, to - from + 1);
	lpat_charge(L, (size_t)((lua_Unsigned)to - (lua_Unsigned)from + 1));
}

/* #t, taken once, within what a hook may walk.  A __len may answer below
 * 0, which Lua's own position checks (written for lengths of 0 and up)
 * turn into a walk of 2^63 elements. */
static lua_Integer bounded_len(lua_State *L, const char *fn)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_Integer n = luaL_len(L, 1);
	if (n < 0)
		luaL_error(L, "%s on a table whose length (#) is %I", fn, n);
	check_span(L, 1, n, fn);
	return n;
}

/* ---- metatables: no weak tables, late or not ---- */

/* __newindex of the seal: what setmetatable refused when a metatable was
 * set, it refuses later too.  A late __mode makes a weak table, whose
 * collection is work in C that no budget reaches; a late __gc is never
 * run (Lua marks finalisers at setmetatable), so it is refused with it. */
static int seal_newindex(lua_State *L)
{
	const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "";
	if (strcmp(key, "__mode") == 0 || strcmp(key, "__gc") == 0)
		return luaL_error(L, "hooks cannot use %s", key);
	lua_settop(L, 3);
	lua_rawset(L, 1);
	return 0;
}

/* Is the metatable of the table at `idx` the seal? */
static int sealed(lua_State *L, int idx)
{
	if (!lua_getmetatable(L, idx))
		return 0;
	lua_getfield(L, LUA_REGISTRYINDEX, "onetrip.seal");
	int yes = lua_rawequal(L, -1, -2);
	lua_pop(L, 2);
	return yes;
}

/* The table functions walk in C, a lua_geti or lua_seti an element, and
 * through a metatable each of those may be a walk of its own (an __index
 * chain is up to 2,000 tables long) that no budget reaches.  So, like
 * sort, they take plain tables only; a read-only view is read through to
 * its table, which is what its __index would give (docs/hooks.md uses
 * table.concat(case.current, ",")).  Argument `arg` is made so in place. */
static void plain_table(lua_State *L, int arg, int writes, const char *fn)
{
	luaL_checktype(L, arg, LUA_TTABLE);
	if (!lua_getmetatable(L, arg))
		return;
	lua_pop(L, 1);
	if (sealed(L, arg))
		return; /* a hook's metatable: the seal has no __index, and its
			   __newindex writes a key at once */
	if (sb_target(L, arg)) {
		if (writes)
			ro_refuse(L);
		lua_replace(L, arg);
		return;
	}
	luaL_error(L, "%s works on plain tables (without a metatable)", fn);
}

static int sb_rep(lua_State *L)
{
	size_t l, lsep;
	luaL_checklstring(L, 1, &l);
	lua_Integer n = luaL_checkinteger(L, 2);
	luaL_optlstring(L, 3, "", &lsep);
	if (n <= 0 || l + lsep == 0) { /* Lua would loop n times for "" */
		lua_pushliteral(L, "");
		return 1;
	}
	if ((lua_Unsigned)n > hook_mem_budget(L) / (l + lsep))
		return luaL_error(L, "hook exceeded its memory budget (%d bytes): string.rep would "
				  "make more", (int)hook_mem_budget(L));
	return call_original(L);
}

static int sb_concat(lua_State *L)
{
	plain_table(L, 1, 0, "table.concat");
	lua_Integer i = luaL_optinteger(L, 3, 1);
	lua_Integer j = lua_isnoneornil(L, 4) ? bounded_len(L, "table.concat")
					       : luaL_checkinteger(L, 4);
	check_span(L, i, j, "table.concat");
	lua_settop(L, 2);
	lua_pushinteger(L, i);
	lua_pushinteger(L, j); /* so the length is not asked twice */
	return call_original(L);
}

static int sb_move(lua_State *L)
{
	int into = lua_isnoneornil(L, 5) ? 1 : 5; /* Lua's default: the same table */
	plain_table(L, into, 1, "table.move");
	if (into != 1)
		plain_table(L, 1, 0, "table.move");
	check_span(L, luaL_checkinteger(L, 2), luaL_checkinteger(L, 3), "table.move");
	return call_original(L);
}

static int sb_unpack(lua_State *L)
{
	plain_table(L, 1, 0, "table.unpack");
	lua_Integer i = luaL_optinteger(L, 2, 1);
	lua_Integer e = lua_isnoneornil(L, 3) ? (lua_Integer)lua_rawlen(L, 1) : luaL_checkinteger(L, 3);
	check_span(L, i, e, "table.unpack");
	lua_settop(L, 1);
	lua_pushinteger(L, i);
	lua_pushinteger(L, e);
	return call_original(L);
}

/* table.insert and table.remove as in Lua 5.4, with the length asked once */
static int sb_insert(lua_State *L)
{
	plain_table(L, 1, 1, "table.insert");
	lua_Integer pos, e = bounded_len(L, "table.insert") + 1;
	switch (lua_gettop(L)) {
	case 2:
		pos = e;
		break;
	case 3:
		pos = luaL_checkinteger(L, 2);
		luaL_argcheck(L, (lua_Unsigned)pos - 1u < (lua_Unsigned)e, 2, "position out of bounds");
		check_span(L, pos, e, "table.insert"); /* the walk itself, whatever the length said */
		for (lua_Integer i = e; i > pos; i--) {
			lua_geti(L, 1, i - 1);
			lua_seti(L, 1, i);
		}
		break;
	default:
		return luaL_error(L, "wrong number of arguments to 'insert'");
	}
	lua_seti(L, 1, pos);
	return 0;
}

static int sb_remove(lua_State *L)
{
	plain_table(L, 1, 1, "table.remove");
	lua_Integer size = bounded_len(L, "table.remove");
	lua_Integer pos = luaL_optinteger(L, 2, size);
	if (pos != size)
		luaL_argcheck(L, (lua_Unsigned)pos - 1u <= (lua_Unsigned)size, 2, "position out of bounds");
	check_span(L, pos, size, "table.remove");
	lua_geti(L, 1, pos);
	for (; pos < size; pos++) {
		lua_geti(L, 1, pos + 1);
		lua_seti(L, 1, pos);
	}
	lua_pushnil(L);
	lua_seti(L, 1, pos);
	return 1;
}

/* Lua's own order, with each comparison charged by what it compares:
 * comparing two long texts is a long loop in C. */
static int sb_less(lua_State *L)
{
	size_t a = lua_type(L, 1) == LUA_TSTRING ? lua_rawlen(L, 1) : 0;
	size_t b = lua_type(L, 2) == LUA_TSTRING ? lua_rawlen(L, 2) : 0;
	lpat_charge(L, 1 + (a < b ? a : b));
	lua_pushboolean(L, lua_compare(L, 1, 2, LUA_OPLT));
	return 1;
}

/* Lua's sort asks the length again: only plain tables, whose length is
 * what they hold */
static int sb_sort(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	if (lua_getmetatable(L, 1))
		return luaL_error(L, "table.sort sorts plain tables (without a metatable)");
	bounded_len(L, "table.sort");
	if (lua_isnoneornil(L, 2)) {
		lua_settop(L, 1);
		lua_pushcfunction(L, sb_less);
	}
	return call_original(L);
}

/* A metatable is sealed when it is first set: the seal, its own metatable,
 * turns writes of new keys into seal_newindex, and hides itself
 * (getmetatable gives false) so that it cannot be read or replaced.  One
 * with a metatable of the hook's own could not be sealed, and is refused;
 * a read-only view cannot be written at all. */
static int sb_setmetatable(lua_State *L)
{
	static const char *const refused[] = {"__gc", "__mode", "__close"};
	if (lua_type(L, 1) == LUA_TTABLE && (sealed(L, 1) || lua_rawequal(L, 1, 2)))
		return luaL_error(L, "setmetatable: a table that is a metatable cannot have one itself");
	if (lua_type(L, 2) != LUA_TTABLE)
		return call_original(L);
	for (int i = 0; i < 3; i++) {
		lua_pushstring(L, refused[i]);
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "setmetatable: hooks cannot use %s", refused[i]);
		lua_pop(L, 1);
	}
	if (!lua_getmetatable(L, 2)) {
		lua_getfield(L, LUA_REGISTRYINDEX, "onetrip.seal");
		lua_setmetatable(L, 2);
	} else if (!sealed(L, 2) && !is_view(L, 2)) {
		return luaL_error(L, "setmetatable: a table that has a metatable cannot be one");
	} else {
		lua_pop(L, 1);
	}
	return call_original(L);
}

/* xpcall(f, handler, ...): the handler runs after the error has unwound,
 * under the budget (Lua would run it with hooks off, unbounded). */
static int sb_xpcall(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushvalue(L, 1);
	for (int i = 3; i <= n; i++)
		lua_pushvalue(L, i);
	if (lua_pcall(L, n - 2 > 0 ? n - 2 : 0, LUA_MULTRET, 0) == LUA_OK) {
		lua_pushboolean(L, 1);
		lua_insert(L, n + 1);
		return lua_gettop(L) - n;
	}
	lua_pushvalue(L, 2);
	lua_insert(L, -2);
	lua_call(L, 1, 1);
	lua_pushboolean(L, 0);
	lua_insert(L, -2);
	return 2;
}

/* ---- os: the case's clock ---- */

static int os_time(lua_State *L)
{
	if (lua_istable(L, 1))
		return luaL_error(L, "os.time(table) is not available to hooks; use the workdays module");
	lua_pushinteger(L, (lua_Integer)hook_now(L, NULL));
	return 1;
}

/* os.date([format [, time]]) in the rule base's zone ("!" for UTC), years
 * 1 to 9999, conversions as C99 strftime has them. */
static int os_date(lua_State *L)
{
	int zone;
	ot_time now = hook_now(L, &zone);
	const char *fmt = luaL_optstring(L, 1, "%Y-%m-%d %H:%M:%S");
	lua_Integer t = luaL_optinteger(L, 2, (lua_Integer)now);
	if (t < -62135596800LL || t > 253402300799LL - 14 * 3600)
		return luaL_argerror(L, 2, "a time between the years 1 and 9999");
	if (*fmt == '!') {
		zone = 0;
		fmt++;
	}
	time_t local = (time_t)(t + (lua_Integer)zone * 60);
	struct tm tm;
	if (!gmtime_r(&local, &tm))
		return luaL_argerror(L, 2, "a time between the years 1 and 9999");
	if (strcmp(fmt, "*t") == 0) {
		static const char *const keys[] = {"year", "month", "day", "hour", "min", "sec",
						   "wday", "yday"};
		int v[] = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			   tm.tm_sec, tm.tm_wday + 1, tm.tm_yday + 1};
		lua_createtable(L, 0, 9);
		for (int i = 0; i < 8; i++) {
			lua_pushinteger(L, v[i]);
			lua_setfield(L, -2, keys[i]);
		}
		return 1;
	}
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			luaL_addchar(&b, *fmt);
			continue;
		}
		char conv[3] = {'%', fmt[1], 0}, out[64];
		if (!fmt[1] || !strchr("aAbBcCdDeFgGhHIjmMnprRStTuUVwWxXyYzZ%", fmt[1]))
			return luaL_argerror(L, 1, "an os.date format with C99 conversions (%Y, %m, %d ...)");
		fmt++;
		luaL_addlstring(&b, out, strftime(out, sizeof out, conv, &tm));
	}
	luaL_pushresult(&b);
	return 1;
}

/* ---- the environment ---- */

typedef struct lib_fn {
	const char *name;
	lua_CFunction wrap; /* NULL: the original as it is */
} lib_fn;

static const lib_fn base_fns[] = {
	{"assert", NULL}, {"error", NULL}, {"ipairs", NULL}, {"next", NULL}, {"pairs", NULL},
	{"pcall", NULL}, {"select", NULL}, {"tonumber", NULL}, {"tostring", NULL},
	{"type", NULL}, {"xpcall", sb_xpcall}, {"rawequal", NULL}, {"rawlen", NULL},
	{"getmetatable", NULL}, {"setmetatable", sb_setmetatable}, {"_VERSION", NULL},
	{NULL, NULL},
};
static const lib_fn string_fns[] = {
	{"byte", NULL}, {"char", NULL}, {"format", NULL}, {"len", NULL}, {"lower", NULL},
	{"rep", sb_rep}, {"reverse", NULL}, {"sub", NULL}, {"upper", NULL}, {"pack", NULL},
	{"packsize", NULL}, {"unpack", NULL}, {NULL, NULL},
};
static const lib_fn table_fns[] = {
	{"concat", sb_concat}, {"insert", sb_insert}, {"move", sb_move}, {"pack", NULL},
	{"remove", sb_remove}, {"sort", sb_sort}, {"unpack", sb_unpack}, {NULL, NULL},
};
static const lib_fn math_fns[] = {
	{"abs", NULL}, {"ceil", NULL}, {"exp", NULL}, {"floor", NULL}, {"fmod", NULL},
	{"huge", NULL}, {"log", NULL}, {"max", NULL}, {"maxinteger", NULL}, {"min", NULL},
	{"mininteger", NULL}, {"modf", NULL}, {"pi", NULL}, {"sqrt", NULL},
	{"tointeger", NULL}, {"type", NULL}, {"ult", NULL}, {NULL, NULL},
};
static const lib_fn utf8_fns[] = {
	{"char", NULL}, {"charpattern", NULL}, {"codes", NULL}, {"codepoint", NULL},
	{"len", NULL}, {"offset", NULL}, {NULL, NULL},
};

/* Copies the listed entries of the library at `lib` into the table at the
 * top, each wrapped when it has a wrapper (the original as its upvalue). */
static void copy_fns(lua_State *L, int lib, const lib_fn *fns)
{
	for (; fns->name; fns++) {
		lua_getfield(L, lib, fns->name);
		if (fns->wrap)
			lua_pushcclosure(L, fns->wrap, 1);
		lua_setfield(L, -2, fns->name);
	}
}

static void add_lib(lua_State *L, int env, const char *name, lua_CFunction open,
		    const lib_fn *fns)
{
	luaL_requiref(L, name, open, 0);
	lua_newtable(L);
	copy_fns(L, lua_gettop(L) - 1, fns);
	lua_setfield(L, env, name);
	lua_pop(L, 1);
}

void sb_open(lua_State *L, int require_fn)
{
	require_fn = lua_absindex(L, require_fn);
	lua_newtable(L);
	int env = lua_gettop(L);
	lua_pushvalue(L, require_fn);
	lua_setfield(L, env, "require");
	luaL_requiref(L, "_G", luaopen_base, 0);
	lua_pushvalue(L, env);
	copy_fns(L, env + 1, base_fns);
	lua_pop(L, 2);
	add_lib(L, env, "string", luaopen_string, string_fns);
	lua_getfield(L, env, "string");
	static const luaL_Reg patterns[] = {
		{"find", lpat_find}, {"match", lpat_match}, {"gmatch", lpat_gmatch},
		{"gsub", lpat_gsub}, {NULL, NULL},
	};
	luaL_setfuncs(L, patterns, 0);
	lua_pop(L, 1);
	add_lib(L, env, "table", luaopen_table, table_fns);
	lua_createtable(L, 0, 2); /* the seal of metatables (sb_setmetatable) */
	lua_pushcfunction(L, seal_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setfield(L, LUA_REGISTRYINDEX, "onetrip.seal");
	add_lib(L, env, "math", luaopen_math, math_fns);
	add_lib(L, env, "utf8", luaopen_utf8, utf8_fns);
	static const luaL_Reg os_fns[] = {{"time", os_time}, {"date", os_date}, {NULL, NULL}};
	luaL_newlib(L, os_fns);
	lua_setfield(L, env, "os");
	sb_readonly(L); /* every library, all the way down */
	/* ("").fn goes through the string metatable: the sandbox's string
	 * library, and the metatable locked */
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_getfield(L, env, "string");
	lua_setfield(L, -2, "__index");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);
	lua_setfield(L, LUA_REGISTRYINDEX, "onetrip.env");
}
