/*
 * hooks_stdlib.c -- the C half of the hooks' standard library: the private
 * module `_onetrip`, which the Lua files of stdlib/lua wrap.  Everything here calls the
 * engine's own code (check characters, working days, decimals), so a hook
 * and the engine always agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "calendar.h"
#include "eval.h"
#include "hooks.h"
#include "hooks_stdlib.h"
#include "idcheck.h"

static int id_valid(lua_State *L)
{
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	lua_pushboolean(L, id_number_valid(s, n));
	return 1;
}

static int credit_valid(lua_State *L)
{
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	lua_pushboolean(L, credit_code_valid(s, n));
	return 1;
}

/* The calendar of the running call's item (or the rule base's first). */
static const m_calendar *calendar(lua_State *L)
{
	int item;
	const ot_rules *r = hook_running_rules(L, &item);
	if (!r)
		luaL_error(L, "working days need a rule base");
	int c = item >= 0 && r->items[item].calendar >= 0 ? r->items[item].calendar
							   : r->n_calendars ? 0 : -1;
	if (c < 0)
		luaL_error(L, "the rule base has no calendar");
	return &r->calendars[c];
}

static void push_day(lua_State *L, int32_t day)
{
	char d[11];
	day_format(day, d);
	lua_pushstring(L, d);
}

/* The date of "2019-09-27" or of a time such as a case's now
 * "2019-09-27T09:00:00+08:00", as written: 1, or 0 for anything else (a
 * typo after a date is not taken for the date). */
static int day_of_text(const char *s, size_t n, int32_t *day)
{
	char d[11];
	ot_time t;
	if (n < 10 || strlen(s) != n || (n > 10 && !time_parse(s, OT_ZONE_DEFAULT, &t)))
		return 0;
	memcpy(d, s, 10);
	d[10] = 0;
	return day_parse(d, day);
}

static int32_t leading_day(lua_State *L, int arg)
{
	size_t n;
	const char *s = luaL_checklstring(L, arg, &n);
	int32_t day;
	if (!day_of_text(s, n, &day))
		luaL_argerror(L, arg, "a date YYYY-MM-DD, or a time such as a case's now");
	return day;
}

/* day_of(text): "YYYY-MM-DD" of a date or a time, or nil */
static int day_of(lua_State *L)
{
	size_t n;
	const char *s = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &n) : NULL;
	int32_t day;
	if (s && day_of_text(s, n, &day))
		push_day(L, day);
	else
		lua_pushnil(L);
	return 1;
}

static int workdays_add(lua_State *L)
{
	int32_t day = leading_day(L, 1);
	lua_Integer n = luaL_checkinteger(L, 2);
	if (n < 0 || n > 100000)
		return luaL_argerror(L, 2, "from 0 to 100000");
	push_day(L, cal_add_workdays(calendar(L), day, (int32_t)n));
	return 1;
}

static int workdays_between(lua_State *L)
{
	lua_pushinteger(L, cal_workdays_between(calendar(L), leading_day(L, 1), leading_day(L, 2)));
	return 1;
}

static int is_workday(lua_State *L)
{
	lua_pushboolean(L, cal_is_workday(calendar(L), leading_day(L, 1)));
	return 1;
}

/* A decimal from a string or a number (numbers by their shortest text),
 * of at most 18 digits, as dec_parse reads them: an integer too
 * (math.mininteger has 19), and a string whole (not up to a NUL). */
static ot_dec check_dec(lua_State *L, int arg)
{
	ot_dec x = {0, 0};
	int ok;
	if (lua_isinteger(L, arg)) {
		lua_Integer i = lua_tointeger(L, arg);
		x.units = (int64_t)i;
		ok = i > -1000000000000000000LL && i < 1000000000000000000LL;
	} else if (lua_type(L, arg) == LUA_TNUMBER)
		ok = dec_from_double(lua_tonumber(L, arg), &x);
	else {
		size_t n;
		const char *s = luaL_checklstring(L, arg, &n);
		ok = strlen(s) == n && dec_parse(s, &x);
	}
	if (!ok)
		luaL_argerror(L, arg, "a decimal number of at most 18 digits");
	return x;
}

static void push_dec(lua_State *L, ot_dec d)
{
	char out[32];
	dec_format(d, out);
	lua_pushstring(L, out);
}

static int dec_of(lua_State *L)
{
	push_dec(L, check_dec(L, 1));
	return 1;
}

static int dec_op(lua_State *L)
{
	size_t n;
	const char *op = luaL_checklstring(L, 1, &n);
	ot_dec out;
	if (n != 1 || !memchr("+-*/", op[0], 4))
		return luaL_argerror(L, 1, "+ - * or /");
	if (!dec_arith(op[0], check_dec(L, 2), check_dec(L, 3), &out))
		return luaL_error(L, op[0] == '/' ? "decimal division by zero or overflow"
						  : "decimal overflow");
	push_dec(L, out);
	return 1;
}

static int dec_compare(lua_State *L)
{
	lua_pushinteger(L, dec_cmp(check_dec(L, 1), check_dec(L, 2)));
	return 1;
}

int hook_stdlib_private(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{"id_valid", id_valid},
		{"credit_valid", credit_valid},
		{"workdays_add", workdays_add},
		{"workdays_between", workdays_between},
		{"is_workday", is_workday},
		{"day_of", day_of},
		{"dec_of", dec_of},
		{"dec_op", dec_op},
		{"dec_cmp", dec_compare},
		{NULL, NULL},
	};
	luaL_newlib(L, fns);
	return 1;
}
