/*
 * hooks.c -- the Lua sandbox.
 *
 * Why it is built this way (after Redis's script_lua.c):
 *  - Hook code runs in an environment table of its own, filled from an
 *    allowlist; the real globals are never reachable.  No io, no debug, no
 *    load/dofile/loadfile, no string.dump, no collectgarbage; `os` has only
 *    time and date, both on the case's `now`; `require` finds only the
 *    standard library (stdlib/lua) and the Lua files beside the hook.
 *    Chunks are loaded in text mode, so bytecode is refused.
 *  - The libraries a hook sees are read-only copies, the string metatable
 *    is locked, and the hook's own globals are frozen once its file has run,
 *    so one case cannot leave anything behind for the next.
 *  - An instruction budget (a count hook every HOOK_EVERY instructions)
 *    and a memory budget (the allocator) bound every call.  Once the budget
 *    is spent the count hook raises again every time it fires, so a pcall in
 *    the hook cannot swallow it for long; the call then fails with
 *    "hook exceeded its instruction budget" whatever the hook did.
 *  - The case view is rebuilt for every call from the engine's data and
 *    discarded afterwards; it is read-only, and writing to it is an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "engine.h"
#include "hooks.h"
#include "idcheck.h"

#define HOOK_EVERY 1000

typedef struct hook_state {
	lua_State *L;
	const char *path;     /* canonical (key in the sources) */
	const char *chunk;    /* for messages: the path as the rule file wrote it */
	int64_t budget, used; /* instructions */
	size_t mem, mem_limit; /* mem_limit is SIZE_MAX outside hook calls */
	size_t per_call;       /* the budget: memory above `base` */
	size_t base;           /* the state's size once loaded */
	void *refused;         /* the allocation last refused, to spot Lua's retry */
	size_t refused_size;
	int item;             /* the item of the running call */
	const ot_rules *r;
	int killed, oom, loaded, broken;
	int funcs;            /* registry: the table of hook functions */
	ot_time now;          /* os.time/os.date of the running call */
	int zone;
	json_t *sources;      /* borrowed from the host */
	char error[768];      /* why loading failed, when broken */
} hook_state;

struct hook_host {
	const ot_rules *r;
	json_t *trace;        /* borrowed: names of the functions called */
	json_t *sources;      /* the version's sources (owned) */
	hook_state *states;   /* one per distinct hook file */
	int nstates;
	int *of_item;         /* item -> state index, -1 none */
	int *of_provider;     /* Lua provider -> state index, -1 none */
	int zone;
};

#include "hooks_stdlib.h"



/* ---- budgets ---- */

static hook_state *state_of(lua_State *L)
{
	return *(hook_state **)lua_getextraspace(L);
}

static void *hook_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	hook_state *s = ud;
	size_t old = ptr ? osize : 0;
	if (nsize == 0) {
		free(ptr);
		s->mem -= old;
		return NULL;
	}
	int retry = s->oom && ptr == s->refused && nsize == s->refused_size;
	if (nsize > old && s->mem + (nsize - old) > s->mem_limit) {
		/* Lua collects all garbage and asks once more: only a second
		 * refusal is a hook over its budget */
		s->oom = 1;
		s->refused = ptr;
		s->refused_size = nsize;
		return NULL;
	}
	if (retry)
		s->oom = 0; /* the collection made room */
	void *p = realloc(ptr, nsize);
	if (p)
		s->mem = s->mem - old + nsize;
	return p;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	hook_state *s = state_of(L);
	s->used += HOOK_EVERY;
	if (s->killed || s->used > s->budget) {
		/* from now on at every instruction: a pcall in the hook can
		 * catch this once, but the next instruction outside it raises
		 * again, so the error reaches the top */
		if (!s->killed)
			lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
		s->killed = 1;
		luaL_error(L, "hook exceeded its instruction budget");
	}
}

const ot_rules *hook_running_rules(lua_State *L, int *item)
{
	hook_state *s = state_of(L);
	*item = s->item;
	return s->r;
}

/* ---- the sandbox ---- */

static int readonly(lua_State *L)
{
	return luaL_error(L, "the case and the libraries are read-only");
}

static int ro_next(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 2);
	return lua_next(L, 1) ? 2 : (lua_pushnil(L), 1);
}

static int ro_pairs(lua_State *L)
{
	if (!lua_getmetatable(L, 1))
		return luaL_error(L, "not a read-only table");
	lua_getfield(L, -1, "__index");
	lua_pushcfunction(L, ro_next);
	lua_insert(L, -2);
	lua_pushnil(L);
	return 3;
}

static int ro_len(lua_State *L)
{
	lua_getmetatable(L, 1);
	lua_getfield(L, -1, "__index");
	lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
	return 1;
}

/* Replaces the table at the top with an empty proxy reading from it:
 * writes fail, pairs and # see the table, the metatable is locked. */
static void make_readonly(lua_State *L)
{
	int t = lua_gettop(L);
	lua_newtable(L);                 /* the proxy */
	lua_createtable(L, 0, 5);        /* its metatable */
	lua_pushvalue(L, t);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, readonly);
	lua_setfield(L, -2, "__newindex");
	lua_pushcfunction(L, ro_pairs);
	lua_setfield(L, -2, "__pairs");
	lua_pushcfunction(L, ro_len);
	lua_setfield(L, -2, "__len");
	lua_pushliteral(L, "read-only");
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	lua_replace(L, t);
}

/* Copies the listed fields of library table `lib` (at the top) into a new
 * read-only table, set as env[name]. */
static void copy_lib(lua_State *L, int env, const char *name, const char *const *keep)
{
	int lib = lua_gettop(L);
	lua_newtable(L);
	for (; *keep; keep++) {
		lua_getfield(L, lib, *keep);
		lua_setfield(L, -2, *keep);
	}
	make_readonly(L);
	lua_setfield(L, env, name);
	lua_pop(L, 1);
}

static int os_time(lua_State *L)
{
	hook_state *s = state_of(L);
	if (lua_istable(L, 1))
		return luaL_error(L, "os.time(table) is not available to hooks; use the workdays module");
	lua_pushinteger(L, (lua_Integer)s->now);
	return 1;
}

/* os.date([format [, time]]) in the rule base's zone; "*t" gives a table. */
static int os_date(lua_State *L)
{
	hook_state *s = state_of(L);
	const char *fmt = luaL_optstring(L, 1, "%Y-%m-%d %H:%M:%S");
	time_t t = (time_t)luaL_optinteger(L, 2, (lua_Integer)s->now);
	int utc = *fmt == '!';
	if (utc)
		fmt++;
	time_t local = t + (utc ? 0 : (time_t)s->zone * 60);
	struct tm tm;
	gmtime_r(&local, &tm);
	if (strcmp(fmt, "*t") == 0) {
		lua_createtable(L, 0, 9);
		lua_pushinteger(L, tm.tm_year + 1900), lua_setfield(L, -2, "year");
		lua_pushinteger(L, tm.tm_mon + 1), lua_setfield(L, -2, "month");
		lua_pushinteger(L, tm.tm_mday), lua_setfield(L, -2, "day");
		lua_pushinteger(L, tm.tm_hour), lua_setfield(L, -2, "hour");
		lua_pushinteger(L, tm.tm_min), lua_setfield(L, -2, "min");
		lua_pushinteger(L, tm.tm_sec), lua_setfield(L, -2, "sec");
		lua_pushinteger(L, tm.tm_wday + 1), lua_setfield(L, -2, "wday");
		lua_pushinteger(L, tm.tm_yday + 1), lua_setfield(L, -2, "yday");
		return 1;
	}
	char out[256];
	size_t n = strftime(out, sizeof out, fmt, &tm);
	lua_pushlstring(L, out, n);
	return 1;
}

static void freeze_env(lua_State *L, int t);

int hook_run_module(lua_State *L, const char *text, size_t len, const char *chunk)
{
	if (luaL_loadbufferx(L, text, len, chunk, "t") != LUA_OK)
		return lua_error(L);
	/* a module gets its own globals, reading the sandbox's, frozen once
	 * it has run like the hook file's */
	lua_newtable(L);
	lua_createtable(L, 0, 1);
	lua_getfield(L, LUA_REGISTRYINDEX, "onetrip.env");
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
	lua_pushvalue(L, -1);
	lua_insert(L, -3); /* globals, function, globals */
	lua_setupvalue(L, -2, 1);
	lua_call(L, 0, 1);
	freeze_env(L, -2);
	lua_remove(L, -2);
	return 1;
}

/* Finds a module: the standard library first, then a Lua file beside the
 * hook (from the version's sources, never the disk). */
static int sandbox_require(lua_State *L)
{
	hook_state *s = state_of(L);
	const char *name = luaL_checkstring(L, 1);
	lua_getfield(L, LUA_REGISTRYINDEX, "onetrip.loaded");
	if (lua_getfield(L, -1, name) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	lua_getfield(L, LUA_REGISTRYINDEX, "onetrip.stdlib");
	if (lua_getfield(L, -1, name) == LUA_TFUNCTION) {
		lua_call(L, 0, 1);
	} else {
		lua_pop(L, 1);
		/* "a.b" -> "<dir of the hook>/a/b.lua" */
		char rel[256], path[1024];
		size_t i = 0;
		for (; name[i] && i < sizeof rel - 5; i++)
			rel[i] = name[i] == '.' ? '/' : name[i];
		rel[i] = 0;
		const char *base = s->path ? s->path : "";
		const char *slash = strrchr(base, '/');
		snprintf(path, sizeof path, "%.*s/%s.lua", slash ? (int)(slash - base) : 0, base, rel);
		json_t *text = json_object_get(json_object_get(s->sources, "hooks"), path);
		if (!json_is_string(text) || strchr(name, '/'))
			return luaL_error(L, "module '%s' not found (hooks may require the standard "
					  "library and Lua files beside the hook file)", name);
		char chunk[300];
		snprintf(chunk, sizeof chunk, "@%s.lua", rel);
		hook_run_module(L, json_string_value(text), json_string_length(text), chunk);
	}
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	/* a module is shared by every hook of the state: none may patch it */
	if (lua_istable(L, -1))
		make_readonly(L);
	lua_pushvalue(L, -1);
	lua_setfield(L, -4, name); /* onetrip.loaded[name] */
	return 1;
}

/* Lua patterns run in C, where the instruction budget cannot reach: a
 * pattern like "a*a*a*a*a*b" backtracks in time n^q.  The pattern functions
 * hooks get refuse a pattern whose q quantifiers on a subject of n bytes
 * could exceed about 10^8 steps; everyday patterns are far below. */
static int pattern_guard(lua_State *L)
{
	size_t n, pl;
	const char *subject = luaL_checklstring(L, 1, &n);
	const char *p = luaL_checklstring(L, 2, &pl);
	/* only find has a 4th argument that means "plain text" (gsub's is a count) */
	int plain = lua_toboolean(L, lua_upvalueindex(2)) && lua_toboolean(L, 4);
	(void)subject;
	if (!plain) {
		int q = 0;
		for (size_t i = 0; i < pl; i++) {
			if (p[i] == '%') {
				i++;
				continue;
			}
			q += p[i] == '*' || p[i] == '+' || p[i] == '-' || p[i] == '?';
		}
		double steps = 1;
		for (int i = 0; i < q && steps <= 1e8; i++)
			steps *= (double)(n ? n : 1);
		if (steps > 1e8)
			return luaL_error(L, "this pattern is too complex for a hook (%d repetitions "
					  "on %d bytes of text)", q, (int)(n > 2147483647 ? 2147483647 : n));
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

static void guard_patterns(lua_State *L, int strlib)
{
	static const char *const fns[] = {"find", "match", "gmatch", "gsub"};
	for (size_t i = 0; i < 4; i++) {
		lua_getfield(L, strlib, fns[i]);
		lua_pushboolean(L, i == 0);
		lua_pushcclosure(L, pattern_guard, 2);
		lua_setfield(L, strlib, fns[i]);
	}
}

static const char *const base_fns[] = {
	"assert", "error", "ipairs", "next", "pairs", "pcall", "select", "tonumber",
	"tostring", "type", "xpcall", "rawequal", "rawlen", "getmetatable",
	"setmetatable", "_VERSION", NULL,
};
static const char *const string_fns[] = {
	"byte", "char", "find", "format", "gmatch", "gsub", "len", "lower", "match",
	"rep", "reverse", "sub", "upper", "pack", "packsize", "unpack", NULL,
};
static const char *const table_fns[] = {
	"concat", "insert", "move", "pack", "remove", "sort", "unpack", NULL,
};
static const char *const math_fns[] = {
	"abs", "ceil", "exp", "floor", "fmod", "huge", "log", "max", "maxinteger",
	"min", "mininteger", "modf", "pi", "sqrt", "tointeger", "type", "ult", NULL,
};
static const char *const utf8_fns[] = {
	"char", "charpattern", "codes", "codepoint", "len", "offset", NULL,
};

/* Builds the sandbox environment; leaves it in the registry as
 * "onetrip.env" (not yet frozen). */
static void build_env(lua_State *L)
{
	luaL_requiref(L, "_G", luaopen_base, 0);
	luaL_requiref(L, "string", luaopen_string, 0);
	luaL_requiref(L, "table", luaopen_table, 0);
	luaL_requiref(L, "math", luaopen_math, 0);
	luaL_requiref(L, "utf8", luaopen_utf8, 0);
	lua_newtable(L);
	int env = lua_gettop(L);
	for (const char *const *f = base_fns; *f; f++) {
		lua_getfield(L, env - 5, *f);
		lua_setfield(L, env, *f);
	}
	lua_pushvalue(L, env - 4);
	guard_patterns(L, env - 4);
	copy_lib(L, env, "string", string_fns);
	lua_pushvalue(L, env - 3);
	copy_lib(L, env, "table", table_fns);
	lua_pushvalue(L, env - 2);
	copy_lib(L, env, "math", math_fns);
	lua_pushvalue(L, env - 1);
	copy_lib(L, env, "utf8", utf8_fns);
	/* ("").fn goes through the string metatable: point it at the
	 * sandbox's string table (no dump, guarded patterns) and lock it */
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_getfield(L, env, "string");
	lua_setfield(L, -2, "__index");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);
	lua_createtable(L, 0, 2);
	lua_pushcfunction(L, os_time);
	lua_setfield(L, -2, "time");
	lua_pushcfunction(L, os_date);
	lua_setfield(L, -2, "date");
	make_readonly(L);
	lua_setfield(L, env, "os");
	lua_pushcfunction(L, sandbox_require);
	lua_setfield(L, env, "require");
	lua_pushvalue(L, env);
	lua_setfield(L, LUA_REGISTRYINDEX, "onetrip.env");
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, "onetrip.loaded");
	hook_stdlib_open(L); /* sets onetrip.stdlib */
	lua_settop(L, env - 6);
}

/* After the hook file has run, its environment is frozen in place: every
 * entry moves to a backing table the environment reads through, so the
 * hook's functions (whose _ENV is this very table) can read globals but
 * neither add nor change one.  (Top-level locals are the file's own and do
 * live on between calls; the memory budget counts what they keep.) */
static void freeze_env(lua_State *L, int t)
{
	t = lua_absindex(L, t);
	lua_newtable(L); /* backing */
	int backing = lua_gettop(L);
	/* what t read through before (a module's globals read the sandbox's)
	 * the backing table now reads through */
	if (lua_getmetatable(L, t))
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
	lua_createtable(L, 0, 5);
	lua_pushvalue(L, backing);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, readonly);
	lua_setfield(L, -2, "__newindex");
	lua_pushcfunction(L, ro_pairs);
	lua_setfield(L, -2, "__pairs");
	lua_pushliteral(L, "read-only");
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, t);
	lua_settop(L, backing - 1);
}

static int traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	luaL_traceback(L, L, msg ? msg : "(an error that is not a message)", 1);
	return 1;
}

/* Runs the function below its nargs arguments; 0 or an error message in
 * s->error-style buffer `why`. */
static int guarded_call(hook_state *s, int nargs, int nres, char *why, size_t cap)
{
	lua_State *L = s->L;
	int base = lua_gettop(L) - nargs;
	lua_pushcfunction(L, traceback);
	lua_insert(L, base);
	s->used = 0;
	s->killed = 0;
	s->oom = 0;
	lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
	/* what earlier calls kept (top-level locals) counts too: a state
	 * cannot grow past its budget however many calls it serves */
	s->mem_limit = s->base + s->per_call;
	int rc = lua_pcall(L, nargs, nres, base);
	s->mem_limit = (size_t)-1;
	lua_remove(L, base);
	if (rc == LUA_OK && !s->killed && !s->oom)
		return 0;
	const char *msg = lua_tostring(L, -1);
	if (s->killed)
		snprintf(why, cap, "hook exceeded its instruction budget (%lld instructions)%s%s",
			 (long long)s->budget, msg ? "\n" : "", msg && strstr(msg, "stack traceback")
				 ? strstr(msg, "stack traceback") : "");
	else if (s->oom || rc == LUA_ERRMEM)
		snprintf(why, cap, "hook exceeded its memory budget (%zu bytes)", s->per_call);
	else
		snprintf(why, cap, "%s", msg ? msg : "the hook failed");
	if (rc == LUA_OK)
		lua_pop(L, nres);
	else
		lua_pop(L, 1);
	lua_gc(L, LUA_GCCOLLECT); /* clear what the failed call left */
	s->killed = 0;
	s->oom = 0;
	return -1;
}

/* Creates the state and runs the hook file once. */
static int load_state(hook_state *s, const ot_rules *r)
{
	s->loaded = 1;
	s->r = r;
	s->budget = r->hook_instructions;
	s->per_call = (size_t)r->hook_memory;
	s->mem_limit = (size_t)-1;
	json_t *text = json_object_get(json_object_get(s->sources, "hooks"), s->path);
	if (!json_is_string(text)) {
		snprintf(s->error, sizeof s->error, "hook file %s is not in the rule version", s->chunk);
		s->broken = 1;
		return 0;
	}
	s->L = lua_newstate(hook_alloc, s);
	if (!s->L) {
		snprintf(s->error, sizeof s->error, "out of memory starting a Lua state");
		s->broken = 1;
		return 0;
	}
	*(hook_state **)lua_getextraspace(s->L) = s;
	lua_State *L = s->L;
	build_env(L);
	lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
	char chunk[512];
	snprintf(chunk, sizeof chunk, "@%s", s->chunk);
	if (luaL_loadbufferx(L, json_string_value(text), json_string_length(text), chunk, "t") !=
	    LUA_OK) {
		snprintf(s->error, sizeof s->error, "%s", lua_tostring(L, -1));
		s->broken = 1;
		return 0;
	}
	lua_getfield(L, LUA_REGISTRYINDEX, "onetrip.env");
	lua_setupvalue(L, -2, 1);
	if (guarded_call(s, 0, 1, s->error, sizeof s->error) != 0) {
		s->broken = 1;
		return 0;
	}
	/* module style (the file returns a table) or plain globals */
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		lua_getfield(L, LUA_REGISTRYINDEX, "onetrip.env");
	}
	lua_getfield(L, LUA_REGISTRYINDEX, "onetrip.env");
	if (!lua_rawequal(L, -1, -2))
		freeze_env(L, -2); /* a returned module table */
	freeze_env(L, -1);
	lua_pop(L, 1);
	s->funcs = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_gc(L, LUA_GCCOLLECT);
	s->base = s->mem;
	return 1;
}

/* ---- the host ---- */

/* The state of a hook file: the one already made for the same file, or a
 * new one (loaded on first use). */
static int state_index(hook_host *h, const char *path, const char *chunk)
{
	for (int k = 0; k < h->nstates; k++)
		if (strcmp(h->states[k].path, path) == 0)
			return k;
	hook_state *s = &h->states[h->nstates];
	s->path = path;
	s->chunk = chunk;
	s->sources = h->sources;
	s->zone = h->zone;
	return h->nstates++;
}

hook_host *hook_host_new(const ot_rules *r, int zone)
{
	hook_host *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->r = r;
	h->zone = zone;
	h->sources = json_loads(ot_rules_sources(r), 0, NULL);
	h->of_item = malloc((r->n_items + 1) * sizeof *h->of_item);
	h->of_provider = malloc((r->n_providers + 1) * sizeof *h->of_provider);
	h->states = calloc(r->n_items + r->n_providers + 1, sizeof *h->states);
	if (!h->sources || !h->of_item || !h->of_provider || !h->states) {
		hook_host_free(h);
		return NULL;
	}
	for (uint32_t i = 0; i < r->n_items; i++)
		h->of_item[i] = r->items[i].hook_path ? state_index(h, r->items[i].hook_path,
								   r->items[i].hook) : -1;
	for (uint32_t i = 0; i < r->n_providers; i++)
		h->of_provider[i] = r->providers[i].kind == PROVIDER_LUA && r->providers[i].path
			? state_index(h, r->providers[i].path, r->providers[i].file) : -1;
	return h;
}

void hook_host_free(hook_host *h)
{
	if (!h)
		return;
	for (int i = 0; i < h->nstates; i++)
		if (h->states[i].L)
			lua_close(h->states[i].L);
	free(h->states);
	free(h->of_item);
	free(h->of_provider);
	json_decref(h->sources);
	free(h);
}

/* The state of an item's hook file, loaded; NULL with err set. */
static hook_state *state_for(hook_host *h, int item, ot_error *err)
{
	int k = item >= 0 && (uint32_t)item < h->r->n_items ? h->of_item[item] : -1;
	if (k < 0) {
		err_set(err, OT_EHOOK, "item %s has no hook file", h->r->items[item].name);
		return NULL;
	}
	hook_state *s = &h->states[k];
	if (!s->loaded)
		load_state(s, h->r);
	if (s->broken) {
		err_set(err, OT_EHOOK, "hook file %s cannot be loaded: %s", s->chunk, s->error);
		return NULL;
	}
	return s;
}

void hook_trace(hook_host *h, json_t *names)
{
	if (h)
		h->trace = names;
}

static void traced(hook_host *h, const char *fn)
{
	size_t i;
	json_t *v;
	if (!h->trace)
		return;
	json_array_foreach(h->trace, i, v)
		if (!strcmp(json_string_value(v), fn))
			return;
	json_array_append_new(h->trace, json_string(fn));
}

/* Pushes hook function fn; 0 if the file does not define it. */
static int push_fn(hook_state *s, const char *fn)
{
	lua_rawgeti(s->L, LUA_REGISTRYINDEX, s->funcs);
	lua_getfield(s->L, -1, fn);
	lua_remove(s->L, -2);
	if (lua_isfunction(s->L, -1))
		return 1;
	lua_pop(s->L, 1);
	return 0;
}

int hook_has(hook_host *h, int item, const char *fn)
{
	ot_error err;
	hook_state *s = h ? state_for(h, item, &err) : NULL;
	if (!s || !push_fn(s, fn))
		return 0;
	lua_pop(s->L, 1);
	return 1;
}

/* ---- the case view ---- */

static void push_value(lua_State *L, const ot_rules *r, const ev_value *v)
{
	char num[32];
	if (v->absent) {
		lua_pushnil(L);
		return;
	}
	switch ((m_vtype)v->type) {
	case VT_BOOL: lua_pushboolean(L, v->u.b); break;
	case VT_NUM:
		if (v->u.num.scale == 0)
			lua_pushinteger(L, (lua_Integer)v->u.num.units);
		else {
			dec_format(v->u.num, num);
			lua_pushnumber(L, strtod(num, NULL));
		}
		break;
	case VT_TEXT: lua_pushlstring(L, v->u.text.p, v->u.text.n); break;
	case VT_DATE: {
		char d[11];
		day_format(v->u.date, d);
		lua_pushstring(L, d);
		break;
	}
	case VT_ENUM:
		if (v->field == -2)
			lua_pushstring(L, v->u.e == EV_COMPANY ? "company" : "person");
		else if (v->field >= 0)
			lua_pushstring(L, r->strs[r->fields[v->field].values.first + (uint32_t)v->u.e]);
		else
			lua_pushinteger(L, v->u.e);
		break;
	default: lua_pushnil(L);
	}
}

static void push_view(lua_State *L, const ot_rules *r, const hook_view *v, int zone)
{
	const m_item *it = &r->items[v->item];
	char t[32];
	lua_createtable(L, 0, 8);
	lua_pushstring(L, it->name);
	lua_setfield(L, -2, "item");
	lua_pushstring(L, v->status ? v->status : "new");
	lua_setfield(L, -2, "status");
	time_format(v->now, zone, t);
	lua_pushstring(L, t);
	lua_setfield(L, -2, "now");
	/* form */
	lua_newtable(L);
	if (it->form >= 0 && v->form) {
		const m_form *f = &r->forms[it->form];
		for (uint32_t i = 0; i < f->fields.count; i++) {
			push_value(L, r, &v->form[i]);
			lua_setfield(L, -2, r->fields[f->fields.first + i].name);
		}
	}
	make_readonly(L);
	lua_setfield(L, -2, "form");
	/* applicant, masked unless the item needs the data */
	lua_createtable(L, 0, 3);
	if (v->applicant >= 0) {
		lua_pushstring(L, v->applicant == EV_COMPANY ? "company" : "person");
		lua_setfield(L, -2, "kind");
	}
	if (v->applicant_id) {
		char masked[64];
		size_t n = strlen(v->applicant_id);
		id_mask(v->applicant_id, n < 63 ? n : 63, masked);
		lua_pushstring(L, it->hook_sees & HOOK_SEES_ID ? v->applicant_id : masked);
		lua_setfield(L, -2, "id");
	}
	if (v->applicant_name && it->hook_sees & HOOK_SEES_NAME) {
		lua_pushstring(L, v->applicant_name);
		lua_setfield(L, -2, "name");
	}
	make_readonly(L);
	lua_setfield(L, -2, "applicant");
	/* materials */
	static const char *const how[] = {NULL, "provided", "shared", "reused"};
	lua_newtable(L);
	for (uint32_t m = 0; v->have && m < r->n_materials; m++)
		if (v->have[m]) {
			lua_pushstring(L, how[v->have[m]]);
			lua_setfield(L, -2, r->materials[m].name);
		}
	make_readonly(L);
	lua_setfield(L, -2, "materials");
	lua_createtable(L, v->ncurrent, 0);
	for (int i = 0; i < v->ncurrent; i++) {
		lua_pushstring(L, v->current[i]);
		lua_rawseti(L, -2, i + 1);
	}
	make_readonly(L);
	lua_setfield(L, -2, "current");
	make_readonly(L);
}

/* Calls fn(case, extra...) with `nres` results; the results stay on the
 * stack.  Returns OT_OK, or OT_EHOOK with file:line and traceback. */
static ot_status call_hook(hook_host *h, hook_state *s, const hook_view *v, const char *fn,
			   const char *a1, const char *a2, int nres, ot_error *err)
{
	lua_State *L = s->L;
	if (!lua_checkstack(L, 8))
		return err_set(err, OT_EHOOK, "%s: no room on the Lua stack", s->chunk);
	if (!push_fn(s, fn))
		return err_set(err, OT_EHOOK, "hook file %s has no function %s", s->chunk, fn);
	traced(h, fn);
	s->now = v->now;
	s->item = v->item;
	push_view(L, h->r, v, h->zone);
	int nargs = 1;
	if (a1)
		lua_pushstring(L, a1), nargs++;
	if (a2)
		lua_pushstring(L, a2), nargs++;
	char why[768];
	int rc = guarded_call(s, nargs, nres, why, sizeof why);
	if (rc != 0)
		return err_set(err, OT_EHOOK, "%s: %s", fn, why);
	return OT_OK;
}

/* Calls hook point fn when the item's file defines it (*called); its
 * result is then on the stack of *sp. */
static ot_status call_point(hook_host *h, const hook_view *v, const char *fn, const char *a1,
			    const char *a2, hook_state **sp, int *called, ot_error *err)
{
	*called = 0;
	hook_state *s = *sp = state_for(h, v->item, err);
	if (!s)
		return OT_EHOOK;
	if (!push_fn(s, fn))
		return OT_OK;
	lua_pop(s->L, 1);
	*called = 1;
	return call_hook(h, s, v, fn, a1, a2, 1, err);
}

ot_status hook_validate(hook_host *h, const hook_view *v, json_t *errors, ot_error *err)
{
	hook_state *s;
	int called;
	ot_status st = call_point(h, v, "validate", NULL, NULL, &s, &called, err);
	if (st != OT_OK || !called)
		return st;
	lua_State *L = s->L;
	const ot_rules *r = h->r;
	if (!lua_isnil(L, -1) && !lua_istable(L, -1)) {
		st = err_set(err, OT_EHOOK, "validate in %s must return a list of "
			     "{field=..., message=...}, not a %s", s->chunk, luaL_typename(L, -1));
		lua_settop(L, 0);
		return st;
	}
	for (lua_Integer i = 1; lua_istable(L, -1) && lua_rawgeti(L, -1, i) != LUA_TNIL; i++) {
		const char *field = NULL, *material = NULL, *msg = NULL;
		if (lua_istable(L, -1)) {
			lua_getfield(L, -1, "field");
			lua_getfield(L, -2, "material");
			lua_getfield(L, -3, "message");
			field = lua_tostring(L, -3);
			material = lua_tostring(L, -2);
			msg = lua_tostring(L, -1);
		}
		int ok = msg && (field || material);
		if (ok && field) {
			const m_item *it = &r->items[v->item];
			ok = 0;
			for (uint32_t k = 0; it->form >= 0 && k < r->forms[it->form].fields.count; k++)
				ok |= !strcmp(r->fields[r->forms[it->form].fields.first + k].name, field);
		}
		if (ok && material)
			ok = strmap_get(&r->by_material, material, strlen(material)) >= 0;
		if (!ok) {
			st = err_set(err, OT_EHOOK, "validate in %s returned entry %lld: it must be "
				     "{field=FIELD, message=TEXT} or {material=MATERIAL, message=TEXT} "
				     "naming a field or material of the item", s->chunk, (long long)i);
			lua_settop(L, 0);
			return st;
		}
		json_array_append_new(errors, json_pack("{s:s, s:s}", field ? "field" : "material",
							field ? field : material, "message", msg));
		lua_pop(L, 4); /* the entry and its three fields */
	}
	lua_settop(L, 0);
	return OT_OK;
}

ot_status hook_derive(hook_host *h, const hook_view *v, json_t *form, ot_error *err)
{
	hook_state *s;
	int called;
	ot_status st = call_point(h, v, "derive", NULL, NULL, &s, &called, err);
	if (st != OT_OK || !called)
		return st;
	lua_State *L = s->L;
	const ot_rules *r = h->r;
	const m_item *it = &r->items[v->item];
	if (lua_isnil(L, -1)) {
		lua_settop(L, 0);
		return OT_OK;
	}
	if (!lua_istable(L, -1) || it->form < 0) {
		lua_settop(L, 0);
		return err_set(err, OT_EHOOK, "derive in %s must return a table {field = value}",
			       s->chunk);
	}
	const m_form *f = &r->forms[it->form];
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		const m_field *fd = NULL;
		for (uint32_t k = 0; key && k < f->fields.count; k++)
			if (!strcmp(r->fields[f->fields.first + k].name, key))
				fd = &r->fields[f->fields.first + k];
		if (!fd || !fd->computed) {
			lua_settop(L, 0);
			return err_set(err, OT_EHOOK, "derive in %s returned '%s': only the computed "
				       "fields of form %s can be derived", s->chunk, key ? key : "?", f->name);
		}
		json_t *j = NULL;
		ot_dec dv;
		int t = lua_type(L, -1);
		if (t == LUA_TBOOLEAN && fd->type == FT_BOOL)
			j = json_boolean(lua_toboolean(L, -1));
		else if (t == LUA_TNUMBER && (fd->type == FT_INTEGER || fd->type == FT_DECIMAL))
			j = lua_isinteger(L, -1) ? json_integer((json_int_t)lua_tointeger(L, -1))
						 : json_real(lua_tonumber(L, -1));
		else if (t == LUA_TSTRING && fd->type != FT_BOOL && fd->type != FT_INTEGER &&
			 fd->type != FT_DECIMAL)
			j = json_stringn(lua_tostring(L, -1), lua_rawlen(L, -1));
		else if (t == LUA_TSTRING && fd->type == FT_DECIMAL && dec_parse(lua_tostring(L, -1), &dv))
			j = json_string(lua_tostring(L, -1)); /* exact, as the decimal module gives it */
		if (!j) {
			lua_settop(L, 0);
			return err_set(err, OT_EHOOK, "derive in %s returned a %s for %s, a %s field",
				       s->chunk, lua_typename(L, t), fd->name,
				       fd->type == FT_BOOL ? "yes/no" : fd->type == FT_INTEGER ? "whole number"
				       : fd->type == FT_DECIMAL ? "number (or decimal text)" : "text");
		}
		json_object_set_new(form, fd->name, j);
		lua_pop(L, 1);
	}
	lua_settop(L, 0);
	return OT_OK;
}

ot_status hook_route(hook_host *h, const hook_view *v, int step, uint32_t rule,
		     int *out, ot_error *err)
{
	const ot_rules *r = h->r;
	const m_item *it = &r->items[v->item];
	const m_rule *ru = &r->rules[rule];
	hook_state *s = state_for(h, v->item, err);
	if (!s)
		return OT_EHOOK;
	const char *name = r->steps[it->steps.first + (uint32_t)step].name;
	ot_status st = call_hook(h, s, v, "route", name, NULL, 1, err);
	if (st != OT_OK)
		return st;
	const char *to = lua_tostring(s->L, -1);
	*out = -1;
	for (uint32_t j = 0; to && j < ru->to.count; j++) {
		int32_t t = r->ints[ru->to.first + j];
		const char *tn = t == STEP_END ? "end" : r->steps[it->steps.first + (uint32_t)t].name;
		if (!strcmp(tn, to))
			*out = (int)j;
	}
	if (*out < 0) {
		char list[256] = "";
		for (uint32_t j = 0; j < ru->to.count; j++) {
			int32_t t = r->ints[ru->to.first + j];
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", j ? ", " : "",
				 t == STEP_END ? "end" : r->steps[it->steps.first + (uint32_t)t].name);
		}
		st = err_set(err, OT_EHOOK, "route in %s returned %s%s%s for step %s; it must be "
			     "one of: %s", s->chunk, to ? "'" : "nothing", to ? to : "", to ? "'" : "",
			     name, list);
	}
	lua_settop(s->L, 0);
	return st;
}

ot_status hook_notify(hook_host *h, const hook_view *v, const char *fn, int step,
		      const char *action, char **note, ot_error *err)
{
	*note = NULL;
	hook_state *s;
	int called;
	const m_item *it = &h->r->items[v->item];
	ot_status st = call_point(h, v, fn, h->r->steps[it->steps.first + (uint32_t)step].name,
				  action, &s, &called, err);
	if (st != OT_OK || !called)
		return st;
	if (lua_type(s->L, -1) == LUA_TSTRING)
		*note = strdup(lua_tostring(s->L, -1));
	lua_settop(s->L, 0);
	return OT_OK;
}

/* ---- lua.NAME(args) in conditions ---- */

int hook_lua_fn(void *ud, const char *fn, const ev_value *args, int nargs,
		ev_value *out, const char **why)
{
	hook_call_ctx *c = ud;
	hook_state *s = state_for(c->h, c->v->item, c->err);
	if (!s) {
		*why = c->err->message;
		return 0;
	}
	lua_State *L = s->L;
	if (!lua_checkstack(L, nargs + 4) || !push_fn(s, fn)) {
		err_set(c->err, OT_EHOOK, "hook file %s has no function %s", s->chunk, fn);
		*why = c->err->message;
		return 0;
	}
	s->now = c->v->now;
	s->item = c->v->item;
	char lname[80];
	snprintf(lname, sizeof lname, "lua.%s", fn);
	traced(c->h, lname);
	for (int i = 0; i < nargs; i++)
		push_value(L, c->h->r, &args[i]);
	char msg[768];
	if (guarded_call(s, nargs, 1, msg, sizeof msg) != 0) {
		err_set(c->err, OT_EHOOK, "lua.%s: %s", fn, msg);
		*why = c->err->message;
		return 0;
	}
	memset(out, 0, sizeof *out);
	switch (lua_type(L, -1)) {
	case LUA_TNIL:
		out->absent = 1;
		out->type = VT_ANY;
		break;
	case LUA_TBOOLEAN:
		out->type = VT_BOOL;
		out->u.b = lua_toboolean(L, -1);
		break;
	case LUA_TNUMBER:
		out->type = VT_NUM;
		if (lua_isinteger(L, -1))
			out->u.num.units = (int64_t)lua_tointeger(L, -1);
		else if (!dec_from_double(lua_tonumber(L, -1), &out->u.num))
			out->absent = 1; /* too large to be exact: counts as absent */
		break;
	case LUA_TSTRING: {
		size_t n;
		const char *p = lua_tolstring(L, -1, &n);
		if (c->used + n + 1 > sizeof c->text) {
			lua_pop(L, 1);
			err_set(c->err, OT_EHOOK, "lua.%s returned a text too long for a condition", fn);
			*why = c->err->message;
			return 0;
		}
		memcpy(c->text + c->used, p, n + 1);
		out->type = VT_TEXT;
		out->u.text.p = c->text + c->used;
		out->u.text.n = (uint32_t)n;
		c->used += n + 1;
		break;
	}
	default:
		err_set(c->err, OT_EHOOK, "lua.%s returned a %s; a condition can use true/false, "
			"a number, a text or nil", fn, luaL_typename(L, -1));
		lua_pop(L, 1);
		*why = c->err->message;
		return 0;
	}
	lua_pop(L, 1);
	return 1;
}

/* ---- shared data through a Lua provider ---- */

static void push_request(lua_State *L, const ot_rules *r, const hook_request *q, int zone)
{
	const m_material *m = &r->materials[q->material];
	char t[32];
	lua_createtable(L, 0, 6);
	lua_pushstring(L, r->items[q->item].name);
	lua_setfield(L, -2, "item");
	lua_pushstring(L, m->name);
	lua_setfield(L, -2, "material");
	lua_pushstring(L, m->label ? m->label : m->name);
	lua_setfield(L, -2, "label");
	lua_pushstring(L, m->source_name);
	lua_setfield(L, -2, "source");
	time_format(q->now, zone, t);
	lua_pushstring(L, t);
	lua_setfield(L, -2, "now");
	lua_createtable(L, 0, 3);
	if (q->applicant >= 0) {
		lua_pushstring(L, q->applicant == EV_COMPANY ? "company" : "person");
		lua_setfield(L, -2, "kind");
	}
	lua_pushstring(L, q->applicant_id);
	lua_setfield(L, -2, "id");
	lua_pushstring(L, q->applicant_name);
	lua_setfield(L, -2, "name");
	make_readonly(L);
	lua_setfield(L, -2, "applicant");
	make_readonly(L);
}

/* fetch's answer: a table (or true) when obtained; nil/false and a reason
 * when not; a `valid_until` before today counts as not obtained. */
static int provide_answer(lua_State *L, const hook_request *q, int zone, const char *label,
			  char ref[64], char why[256])
{
	int t = lua_type(L, -2);
	if (t == LUA_TBOOLEAN && lua_toboolean(L, -2))
		return 1;
	if (t == LUA_TNIL || t == LUA_TBOOLEAN) {
		if (lua_type(L, -1) == LUA_TSTRING)
			snprintf(why, 256, "%s", lua_tostring(L, -1));
		return 0;
	}
	if (t != LUA_TTABLE)
		return -1;
	lua_getfield(L, -2, "number");
	if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER)
		snprintf(ref, 64, "%s", lua_tostring(L, -1));
	lua_getfield(L, -3, "valid_until");
	const char *until = lua_tostring(L, -1);
	int32_t day;
	int ok = 1;
	if (until && day_parse(until, &day) && day < time_day(q->now, zone)) {
		snprintf(why, 256, "%s已于%s过期 it expired on %s", label, until, until);
		ok = 0;
	}
	lua_pop(L, 2);
	return ok;
}

int hook_provide(hook_host *h, int provider, const hook_request *q, char ref[64],
		 char why[256], ot_error *err)
{
	const m_provider *p = &h->r->providers[provider];
	ref[0] = why[0] = 0;
	int k = h->of_provider[provider];
	if (k < 0) {
		err_set(err, OT_EHOOK, "provider \"%s\" has no Lua module", p->name);
		return -1;
	}
	hook_state *s = &h->states[k];
	if (!s->loaded)
		load_state(s, h->r);
	if (s->broken) {
		err_set(err, OT_EHOOK, "provider module %s cannot be loaded: %s", s->chunk, s->error);
		return -1;
	}
	if (!lua_checkstack(s->L, 8) || !push_fn(s, "fetch")) {
		err_set(err, OT_EHOOK, "provider module %s has no function fetch", s->chunk);
		return -1;
	}
	s->now = q->now;
	s->item = q->item;
	push_request(s->L, h->r, q, h->zone);
	char msg[768];
	if (guarded_call(s, 1, 2, msg, sizeof msg) != 0) {
		err_set(err, OT_EHOOK, "%s: fetch: %s", s->chunk, msg);
		return -1;
	}
	const char *label = h->r->materials[q->material].label;
	if (!label)
		label = h->r->materials[q->material].name;
	snprintf(why, 256, "%s未能提供%s %s has no record of it", p->name, label, p->name);
	int got = provide_answer(s->L, q, h->zone, label, ref, why);
	lua_settop(s->L, 0);
	if (got > 0)
		why[0] = 0;
	if (got < 0)
		err_set(err, OT_EHOOK, "%s: fetch returned neither a table nor nil", s->chunk);
	return got;
}

/* ---- for the checker ---- */

int hook_probe(const ot_rules *r, int item, json_t *sources, const char *path,
	       const char *chunkname, const char *const *names, int n, uint8_t *defined,
	       char *error, size_t ecap)
{
	hook_state s;
	memset(&s, 0, sizeof s);
	s.path = path;
	s.chunk = chunkname;
	s.sources = sources;
	s.zone = r->zone;
	s.item = item;
	error[0] = 0;
	memset(defined, 0, (size_t)n);
	/* the model being built: its calendars and hook_limits are ready */
	if (!load_state(&s, r)) {
		snprintf(error, ecap, "%s", s.error);
		if (s.L)
			lua_close(s.L);
		return -1;
	}
	lua_rawgeti(s.L, LUA_REGISTRYINDEX, s.funcs);
	for (int i = 0; i < n; i++) {
		lua_getfield(s.L, -1, names[i]);
		defined[i] = lua_isfunction(s.L, -1);
		lua_pop(s.L, 1);
	}
	lua_close(s.L);
	return 0;
}
