/*
 * hooks.c -- the Lua host: runs hook files in the sandbox (hooks_sandbox.c).
 *
 * Why it is built this way:
 *  - Nothing crosses from one case to the next.  A hook file is compiled
 *    once per state, but it *runs* afresh for every operation: an instance
 *    is the file's top run with new globals, new top-level locals and new
 *    copies of the modules it requires, and it serves the hook calls of one
 *    operation (one case) only.  What the instances share -- the libraries,
 *    the compiled code -- is read-only all the way down.  So a hook cannot
 *    leave anything for another case, whatever it does: the only way to
 *    another case would be through shared state, and there is none that
 *    is writable.
 *  - A compiled chunk is run again by pointing its _ENV at a fresh upvalue
 *    (lua_upvaluejoin with a new cell) before each run, so closures made by
 *    an earlier run keep theirs and the new ones get new ones.
 *  - Every use of a Lua state is one protected call (run_protected), under
 *    three budgets: instructions (a count hook), memory (the allocator) and
 *    time (a deadline the count hook and the C functions that loop check).
 *    Hook answers are read inside that call too, with raw access only, so
 *    no metamethod runs outside the budgets and no Lua error escapes.  A
 *    panic handler returns to the call as a last resort.
 *  - Once a budget is spent the count hook raises at every instruction, so
 *    a pcall in the hook cannot swallow it for long.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "engine.h"
#include "hooks.h"
#include "hooks_sandbox.h"
#include "hooks_stdlib.h"
#include "idcheck.h"
#include "lpattern.h"

#define HOOK_MAX_ENTRIES 100  /* entries of a validate answer */
#define HOOK_MAX_MESSAGE 2000 /* bytes of one message */
#define HOOK_EVERY 250 /* instructions between checks of the budgets and the clock */

typedef struct hook_state {
	lua_State *L;
	const char *path;      /* canonical (key in the sources) */
	const char *chunk;     /* for messages: the path as the rule file wrote it */
	const ot_rules *r;
	json_t *sources;       /* borrowed from the host */
	int zone;
	/* the budgets of the running call */
	int64_t budget, used;  /* instructions (and pattern steps) */
	int64_t time_ns, deadline;
	int64_t *op_start;     /* the host's: when the operation's first hook ran */
	size_t mem, mem_limit; /* mem_limit is SIZE_MAX outside calls */
	size_t per_call;       /* the memory budget: above `base` */
	size_t base;           /* compiled and ready, without an instance */
	void *refused;         /* the allocation last refused, to spot Lua's retry */
	size_t refused_size;
	int killed;            /* 1: instructions spent, 2: time */
	int oom;               /* the budget refused an allocation */
	int nomem;             /* the last call failed for want of memory, not a budget */
	jmp_buf *recover;      /* set during run_protected: where a panic goes */
	/* what is running */
	int item;
	ot_time now;
	/* life */
	int loaded, broken;
	int funcs;             /* registry: the instance's functions, LUA_NOREF: none */
	unsigned epoch;        /* the operation the instance serves */
	char error[768];       /* why loading failed, when broken */
} hook_state;

struct hook_host {
	const ot_rules *r;
	json_t *trace;         /* names of the functions called: a reference,
				  so that it outlives the event it was made
				  for when hooks run after that is gone */
	json_t *sources;       /* the version's sources (owned) */
	hook_state *states;    /* one per distinct hook file */
	int nstates;
	int *of_item;          /* item -> state index, -1 none */
	int *of_provider;      /* Lua provider -> state index, -1 none */
	int zone;
	unsigned epoch;        /* the running operation */
	int64_t op_start;      /* when its first hook call began; 0: none yet */
};

/* ---- budgets ---- */

static hook_state *state_of(lua_State *L)
{
	return *(hook_state **)lua_getextraspace(L);
}

static int64_t clock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
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

static void count_hook(lua_State *L, lua_Debug *ar);

/* Raises once the call has spent its instructions or its time; from then
 * on at every instruction. */
static void check_spent(lua_State *L, hook_state *s)
{
	if (!s->killed && s->used <= s->budget && clock_ns() <= s->deadline)
		return;
	if (!s->killed) {
		s->killed = s->used > s->budget ? 1 : 2;
		lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
	}
	luaL_error(L, s->killed == 1 ? "hook exceeded its instruction budget"
				     : "hook exceeded its time limit");
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	hook_state *s = state_of(L);
	s->used += HOOK_EVERY;
	check_spent(L, s);
}

void lpat_charge(lua_State *L, size_t steps)
{
	hook_state *s = state_of(L);
	s->used += (int64_t)(steps < INT64_MAX / 2 ? steps : INT64_MAX / 2);
	check_spent(L, s);
}

size_t hook_mem_budget(lua_State *L)
{
	return state_of(L)->per_call;
}

ot_time hook_now(lua_State *L, int *zone)
{
	hook_state *s = state_of(L);
	if (zone)
		*zone = s->zone;
	return s->now;
}

const ot_rules *hook_running_rules(lua_State *L, int *item)
{
	hook_state *s = state_of(L);
	*item = s->item;
	return s->r;
}

static int panic(lua_State *L)
{
	hook_state *s = state_of(L);
	if (s->recover)
		longjmp(*s->recover, 1);
	return 0; /* not reached: every use of a state is inside run_protected */
}

static int traceback(lua_State *L)
{
	static const char host[] = "\n\t[C]: in ?"; /* the trampoline: not the hook's */
	const char *msg = lua_tostring(L, 1);
	luaL_traceback(L, L, msg ? msg : "(an error that is not a message)", 1);
	size_t n;
	const char *tb = lua_tolstring(L, -1, &n);
	if (tb && n >= sizeof host - 1 && !strcmp(tb + n - (sizeof host - 1), host))
		lua_pushlstring(L, tb, n - (sizeof host - 1));
	return 1;
}

typedef int (*body_fn)(lua_State *L, void *ud);

typedef struct protected_call {
	body_fn body;
	void *ud;
} protected_call;

static int trampoline(lua_State *L)
{
	protected_call *p = lua_touserdata(L, 1);
	lua_settop(L, 0);
	return p->body(L, p->ud), 0;
}

/* Runs body(L, ud) as one protected call under the budgets: 0, or -1 with
 * the reason (file:line and traceback) in `why`.  The stack is left
 * empty. */
static int run_protected(hook_state *s, body_fn body, void *ud, char *why, size_t cap)
{
	lua_State *L = s->L;
	jmp_buf recover;
	volatile int rc = LUA_OK;
	s->used = 0;
	s->killed = 0;
	s->oom = 0;
	/* the time limit is for all the hooks of an operation together: a
	 * writer's hooks never hold the store's lock longer than that */
	int64_t start = clock_ns();
	if (s->op_start && !*s->op_start)
		*s->op_start = start;
	s->deadline = (s->op_start ? *s->op_start : start) + s->time_ns;
	/* what the instance holds counts too: a state cannot grow past its
	 * budget however many calls it serves */
	s->mem_limit = (s->base ? s->base : s->mem) + s->per_call;
	s->recover = &recover;
	if (setjmp(recover) == 0) {
		protected_call p = {body, ud};
		lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
		lua_settop(L, 0);
		lua_pushcfunction(L, traceback);
		lua_pushcfunction(L, trampoline);
		lua_pushlightuserdata(L, &p);
		rc = lua_pcall(L, 1, 0, 1);
	} else {
		rc = -1; /* a panic: the state cannot be trusted any more */
	}
	s->recover = NULL;
	s->mem_limit = (size_t)-1;
	s->nomem = rc == LUA_ERRMEM && !s->oom && !s->killed;
	if (rc == -1) {
		snprintf(why, cap, "the Lua state failed; it is started again");
		lua_close(L);
		s->L = NULL;
		s->loaded = 0;
		s->funcs = LUA_NOREF;
		return -1;
	}
	lua_sethook(L, NULL, 0, 0);
	if (rc == LUA_OK && !s->killed && !s->oom) {
		lua_settop(L, 0);
		return 0;
	}
	const char *msg = lua_tostring(L, -1);
	const char *tb = msg ? strstr(msg, "stack traceback") : NULL;
	if (s->killed == 1)
		snprintf(why, cap, "hook exceeded its instruction budget (%lld instructions)%s%s",
			 (long long)s->budget, tb ? "\n" : "", tb ? tb : "");
	else if (s->killed == 2)
		snprintf(why, cap, "hook exceeded its time limit (%lld ms)%s%s",
			 (long long)(s->time_ns / 1000000), tb ? "\n" : "", tb ? tb : "");
	else if (s->nomem)
		snprintf(why, cap, "out of memory");
	else if (s->oom || rc == LUA_ERRMEM)
		snprintf(why, cap, "hook exceeded its memory budget (%zu bytes)", s->per_call);
	else
		snprintf(why, cap, "%s", msg ? msg : "the hook failed");
	lua_settop(L, 0);
	lua_gc(L, LUA_GCCOLLECT); /* clear what the failed call left */
	s->killed = 0;
	s->oom = 0;
	return -1;
}

/* A failed call's status: the machine's memory is not the hook's fault. */
static ot_status failed(const hook_state *s)
{
	return s->nomem ? OT_ENOMEM : OT_EHOOK;
}

/* ---- compiled chunks, run afresh ---- */

/* Runs the compiled chunk below `env` (both at the top) with `env` as its
 * _ENV, through a fresh upvalue: closures of earlier runs keep theirs. */
static void run_fresh(lua_State *L, int nres)
{
	lua_getfield(L, LUA_REGISTRYINDEX, "onetrip.cell");
	lua_insert(L, -2);
	lua_call(L, 1, 1);
	lua_upvaluejoin(L, -2, 1, -1, 1);
	lua_pop(L, 1);
	lua_call(L, 0, nres);
}

/* New globals reading through to the sandbox's. */
static void new_globals(lua_State *L)
{
	lua_newtable(L);
	lua_createtable(L, 0, 1);
	lua_getfield(L, LUA_REGISTRYINDEX, "onetrip.env");
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
}

static void compile(lua_State *L, const char *text, size_t len, const char *chunk)
{
	if (luaL_loadbufferx(L, text, len, chunk, "t") != LUA_OK)
		lua_error(L);
}

/* Pushes the compiled module `name`: the standard library first, then a
 * Lua file beside the hook (from the version's sources, never the disk).
 * Compiled once per state. */
static void module_chunk(lua_State *L, hook_state *s, const char *name)
{
	lua_getfield(L, LUA_REGISTRYINDEX, "onetrip.chunks");
	if (lua_getfield(L, -1, name) == LUA_TFUNCTION) {
		lua_remove(L, -2);
		return;
	}
	lua_pop(L, 1);
	char chunk[300];
	const hook_source *std = hook_stdlib_sources;
	while (std->name && strcmp(std->name, name) != 0)
		std++;
	if (std->name) {
		snprintf(chunk, sizeof chunk, "@stdlib/lua/%s.lua", name);
		compile(L, std->text, strlen(std->text), chunk);
	} else {
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
			luaL_error(L, "module '%s' not found (hooks may require the standard "
				   "library and Lua files beside the hook file)", name);
		snprintf(chunk, sizeof chunk, "@%s.lua", rel);
		compile(L, json_string_value(text), json_string_length(text), chunk);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, name);
	lua_remove(L, -2);
}

/* require(name), within the running instance: each module runs once per
 * instance, in globals of its own, frozen once it has run; what it
 * returns is read-only all the way down.  The standard library's modules
 * are the exception: run once per state (stdlib_body), shared by its
 * instances like the sandbox's libraries — they keep nothing (their
 * functions have no state and hand out no table), and what a hook can
 * reach of them is read-only, so nothing of a case can stay in them. */
static int sandbox_require(lua_State *L)
{
	hook_state *s = state_of(L);
	const char *name = luaL_checkstring(L, 1);
	lua_settop(L, 1);
	/* the engine's private module is for the standard library alone: it
	 * is there only while prepare_body runs the standard modules */
	if (strcmp(name, "_onetrip") == 0 &&
	    lua_getfield(L, LUA_REGISTRYINDEX, "onetrip.private") != LUA_TBOOLEAN)
		return luaL_error(L, "module '%s' not found (hooks may require the standard "
				  "library and Lua files beside the hook file)", name);
	lua_settop(L, 1);
	lua_getfield(L, LUA_REGISTRYINDEX, "onetrip.loaded");
	if (lua_getfield(L, 2, name) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	lua_getfield(L, LUA_REGISTRYINDEX, "onetrip.stdlib");
	if (lua_istable(L, -1) && lua_getfield(L, -1, name) != LUA_TNIL) {
		lua_pushvalue(L, -1);
		lua_setfield(L, 2, name);
		return 1;
	}
	lua_settop(L, 2);
	if (strcmp(name, "_onetrip") == 0) {
		hook_stdlib_private(L);
	} else {
		module_chunk(L, s, name);
		new_globals(L);
		lua_pushvalue(L, -1);
		lua_insert(L, -3); /* globals, chunk, globals */
		run_fresh(L, 1);
		sb_freeze_globals(L, -2);
		lua_remove(L, -2);
	}
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	if (lua_istable(L, -1))
		sb_readonly(L);
	lua_pushvalue(L, -1);
	lua_setfield(L, 2, name);
	return 1;
}

/* ---- states and instances ---- */

/* Builds the sandbox and compiles the hook file: what every instance
 * shares. */
static int prepare_body(lua_State *L, void *ud)
{
	hook_state *s = ud;
	lua_pushcfunction(L, sandbox_require);
	sb_open(L, -1);
	lua_pop(L, 1);
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, "onetrip.chunks");
	compile(L, "local e = ... return function() return e end", 44, "=cell");
	lua_setfield(L, LUA_REGISTRYINDEX, "onetrip.cell");
	json_t *text = json_object_get(json_object_get(s->sources, "hooks"), s->path);
	char chunk[512];
	snprintf(chunk, sizeof chunk, "@%s", s->chunk);
	compile(L, json_string_value(text), json_string_length(text), chunk);
	lua_setfield(L, LUA_REGISTRYINDEX, "onetrip.main");
	/* the standard modules, once for every instance of the state: while
	 * they run, what they require lands in the same table */
	lua_newtable(L);
	lua_pushvalue(L, -1);
	lua_setfield(L, LUA_REGISTRYINDEX, "onetrip.loaded");
	lua_setfield(L, LUA_REGISTRYINDEX, "onetrip.stdlib");
	lua_pushboolean(L, 1);
	lua_setfield(L, LUA_REGISTRYINDEX, "onetrip.private");
	for (const hook_source *std = hook_stdlib_sources; std->name; std++) {
		lua_pushcfunction(L, sandbox_require);
		lua_pushstring(L, std->name);
		lua_call(L, 1, 0);
	}
	/* then out of reach: a hook's require("_onetrip") is not found */
	lua_pushnil(L);
	lua_setfield(L, LUA_REGISTRYINDEX, "onetrip.private");
	lua_getfield(L, LUA_REGISTRYINDEX, "onetrip.stdlib");
	lua_pushnil(L);
	lua_setfield(L, -2, "_onetrip");
	lua_pop(L, 1);
	return 0;
}

/* A new instance: the file's top run with new globals and modules. */
static int instance_body(lua_State *L, void *ud)
{
	hook_state *s = ud;
	luaL_unref(L, LUA_REGISTRYINDEX, s->funcs);
	s->funcs = LUA_NOREF;
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, "onetrip.loaded");
	lua_getfield(L, LUA_REGISTRYINDEX, "onetrip.main");
	new_globals(L);
	lua_pushvalue(L, -1);
	lua_insert(L, -3); /* globals, main, globals */
	run_fresh(L, 1);
	/* module style (the file returns a table) or plain globals */
	if (lua_istable(L, -1))
		sb_readonly(L);
	else {
		lua_pop(L, 1);
		lua_pushvalue(L, 1);
	}
	sb_freeze_globals(L, 1);
	s->funcs = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}

/* Creates the state and compiles the file; 0 with s->error when it
 * cannot (then the state is broken for good). */
static int load_state(hook_state *s, const ot_rules *r)
{
	s->loaded = 1;
	s->r = r;
	s->budget = r->hook_instructions;
	s->per_call = (size_t)r->hook_memory;
	s->time_ns = r->hook_time_ms * 1000000;
	s->mem_limit = (size_t)-1;
	s->base = 0;
	s->funcs = LUA_NOREF;
	if (!json_is_string(json_object_get(json_object_get(s->sources, "hooks"), s->path))) {
		snprintf(s->error, sizeof s->error, "hook file %s is not in the rule version", s->chunk);
		s->broken = 1;
		return 0;
	}
	s->L = lua_newstate(hook_alloc, s);
	if (!s->L) { /* not the file's fault: tried again at the next call */
		snprintf(s->error, sizeof s->error, "out of memory starting a Lua state");
		s->loaded = 0;
		s->nomem = 1;
		return 0;
	}
	*(hook_state **)lua_getextraspace(s->L) = s;
	lua_atpanic(s->L, panic);
	/* Every operation leaves its instance behind as garbage: a collection
	 * cycle when the heap has grown to 4 times what survived the last one
	 * (Lua's default: 2) halves how often the whole state is traversed.
	 * The garbage counts in the memory budget, but a refused allocation
	 * makes Lua collect everything and ask again (hook_alloc), so no hook
	 * is ever charged for it. */
	lua_gc(s->L, LUA_GCINC, 400, 0, 0);
	if (run_protected(s, prepare_body, s, s->error, sizeof s->error) != 0) {
		if (s->nomem) { /* tried again at the next call */
			lua_close(s->L);
			s->L = NULL;
			s->loaded = 0;
		} else {
			s->broken = 1;
		}
		return 0;
	}
	lua_gc(s->L, LUA_GCCOLLECT);
	s->base = s->mem;
	return 1;
}

/* The state, loaded, with an instance for operation `epoch`, for a call
 * at `now` for `item`; NULL with err set.  Both are set first: the file's
 * top runs here, and os.date or workdays in it read them. */
static hook_state *ready(hook_state *s, const ot_rules *r, unsigned epoch, ot_time now,
			 int item, ot_error *err)
{
	s->nomem = 0;
	s->now = now;
	s->item = item;
	if (!s->loaded && !load_state(s, r) && !s->broken) {
		err_set(err, OT_ENOMEM, "hook file %s: %s", s->chunk, s->error);
		return NULL;
	}
	if (s->broken) {
		err_set(err, OT_EHOOK, "hook file %s cannot be loaded: %s", s->chunk, s->error);
		return NULL;
	}
	if (s->funcs != LUA_NOREF && s->epoch == epoch)
		return s;
	char why[768];
	if (run_protected(s, instance_body, s, why, sizeof why) != 0) {
		if (!s->L) /* a panic: started again at the next call */
			s->loaded = 0;
		err_set(err, failed(s), "hook file %s cannot be loaded: %s", s->chunk, why);
		return NULL;
	}
	s->epoch = epoch;
	return s;
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
	s->funcs = LUA_NOREF;
	s->op_start = &h->op_start;
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
	json_decref(h->trace);
	free(h);
}

void hook_end_operation(hook_host *h)
{
	if (h) {
		hook_trace(h, NULL);
		h->epoch++; /* every instance is now another case's: made anew */
		h->op_start = 0;
	}
}

/* The state of an item's hook file, ready for a call at `now`; NULL with
 * err set. */
static hook_state *state_for(hook_host *h, int item, ot_time now, ot_error *err)
{
	int k = item >= 0 && (uint32_t)item < h->r->n_items ? h->of_item[item] : -1;
	if (k < 0) {
		err_set(err, OT_EHOOK, "item %s has no hook file", item >= 0 ? h->r->items[item].name : "?");
		return NULL;
	}
	return ready(&h->states[k], h->r, h->epoch, now, item, err);
}

void hook_trace(hook_host *h, json_t *names)
{
	if (!h)
		return;
	json_incref(names);
	json_decref(h->trace);
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

/* Pushes the instance's function fn; 0 (nothing pushed) if the file does
 * not define it.  Inside a protected call: the functions table may be a
 * hook's own table. */
static int push_fn(lua_State *L, hook_state *s, const char *fn)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, s->funcs);
	lua_getfield(L, -1, fn);
	lua_remove(L, -2);
	if (lua_isfunction(L, -1))
		return 1;
	lua_pop(L, 1);
	return 0;
}

/* Raw reads of a hook's answer: no metamethod runs */
static int raw_field(lua_State *L, int t, const char *key)
{
	lua_pushstring(L, key);
	return lua_rawget(L, t < 0 ? t - 1 : t);
}

/* A table of a hook's answer read through to the table behind it when it
 * is a read-only view (what `require` returns, and the tables inside a
 * module-style file's table): a view is empty, and answers are read raw. */
static void real_table(lua_State *L, int idx)
{
	idx = lua_absindex(L, idx);
	if (lua_istable(L, idx) && sb_target(L, idx))
		lua_replace(L, idx);
}

/* A text in a hook's answer may not hold a NUL byte: C would cut it there,
 * and JSON keeps it as \u0000, which the store's reader refuses (a stored
 * event that could never be read back). */
static int nul_in(lua_State *L, int idx)
{
	size_t n;
	const char *p = lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &n) : NULL;
	return p && memchr(p, 0, n) != NULL;
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

/* A group's rows (家庭成员) as a list of tables of their plain values, the
 * list and each row read-only like the rest of the case: the rows are
 * flat, so a value that is not text, a number or true/false is left out. */
static void push_rows(lua_State *L, json_t *rows)
{
	size_t i;
	json_t *row;
	lua_createtable(L, (int)json_array_size(rows), 0);
	json_array_foreach(rows, i, row) {
		const char *key;
		json_t *v;
		lua_createtable(L, 0, (int)json_object_size(row));
		json_object_foreach(row, key, v) {
			if (json_is_string(v))
				lua_pushlstring(L, json_string_value(v), json_string_length(v));
			else if (json_is_integer(v))
				lua_pushinteger(L, (lua_Integer)json_integer_value(v));
			else if (json_is_real(v))
				lua_pushnumber(L, json_real_value(v));
			else if (json_is_boolean(v))
				lua_pushboolean(L, json_is_true(v));
			else
				continue;
			lua_setfield(L, -2, key);
		}
		sb_view(L);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	sb_view(L);
}

/* What the case view's applicant, materials and current steps (which many
 * hooks never read) are made from when a hook first reads them: a copy,
 * since a hook may keep the case and read it in a later call of the
 * operation, after the hook_view is gone. */
typedef struct case_parts {
	const ot_rules *r;
	int applicant;          /* EV_* or -1 */
	int has_id, has_name;
	uint32_t nhave;         /* have[] below, or 0 */
	int ncurrent;
	size_t id_at, name_at;  /* where the ID (as the hook may see it: masked
				   unless it needs it) and the name start in text[] */
	size_t current_at;      /* where the current steps start: each ends in \0 */
	char text[];            /* have[nhave], the ID, the name, the current steps */
} case_parts;

static const char *const case_part_names[] = {"applicant", "materials", "current"};

static void make_case_part(lua_State *L, void *data, int part)
{
	const case_parts *c = data;
	if (part == 0) {
		lua_createtable(L, 0, 3);
		if (c->applicant >= 0) {
			lua_pushstring(L, c->applicant == EV_COMPANY ? "company" : "person");
			lua_setfield(L, -2, "kind");
		}
		if (c->has_id) {
			lua_pushstring(L, c->text + c->id_at);
			lua_setfield(L, -2, "id");
		}
		if (c->has_name) {
			lua_pushstring(L, c->text + c->name_at);
			lua_setfield(L, -2, "name");
		}
	} else if (part == 1) {
		/* made at its final size: growing a table rehashes it */
		int held = 0;
		for (uint32_t m = 0; m < c->nhave; m++)
			held += c->text[m] != 0;
		lua_createtable(L, 0, held);
		for (uint32_t m = 0; m < c->nhave; m++)
			if (c->text[m]) {
				lua_pushstring(L, model_have_names[(uint8_t)c->text[m]]);
				lua_setfield(L, -2, c->r->materials[m].name);
			}
	} else {
		lua_createtable(L, c->ncurrent, 0);
		const char *p = c->text + c->current_at;
		for (int i = 0; i < c->ncurrent; i++, p += strlen(p) + 1) {
			lua_pushstring(L, p);
			lua_rawseti(L, -2, i + 1);
		}
	}
	sb_view(L);
}

/* The case as a hook sees it: made for each call, read-only.  The item,
 * status, time and form at once (every hook reads the form); the other
 * parts when first read (sb_lazy_view): a validate that looks only at
 * the form does not pay for them. */
static void push_view(lua_State *L, const ot_rules *r, const hook_view *v, int zone)
{
	const m_item *it = &r->items[v->item];
	char t[32];
	lua_createtable(L, 0, 7);
	lua_pushstring(L, it->name);
	lua_setfield(L, -2, "item");
	lua_pushstring(L, v->status ? v->status : "new");
	lua_setfield(L, -2, "status");
	time_format(v->now, zone, t);
	lua_pushstring(L, t);
	lua_setfield(L, -2, "now");
	lua_createtable(L, 0, it->form >= 0 && v->form ? (int)r->forms[it->form].fields.count : 0);
	if (it->form >= 0 && v->form) {
		const m_form *f = &r->forms[it->form];
		for (uint32_t i = 0; i < f->fields.count; i++) {
			const m_field *fd = &r->fields[f->fields.first + i];
			json_t *rows = fd->type == FT_GROUP && !v->form[i].absent
				? json_object_get(v->form_json, fd->name) : NULL;
			if (json_is_array(rows))
				push_rows(L, rows); /* rows checked already: a list of objects */
			else
				push_value(L, r, &v->form[i]);
			lua_setfield(L, -2, fd->name);
		}
	}
	sb_view(L);
	lua_setfield(L, -2, "form");
	/* the rest, copied for sb_lazy_view */
	int sees_name = v->applicant_name && it->hook_sees & HOOK_SEES_NAME;
	char masked[64] = "";
	const char *id = v->applicant_id && it->hook_sees & HOOK_SEES_ID ? v->applicant_id : masked;
	if (v->applicant_id && id == masked) {
		size_t n = strlen(v->applicant_id);
		id_mask(v->applicant_id, n < 63 ? n : 63, masked);
	}
	size_t id_len = strlen(id);
	size_t name_len = sees_name ? strlen(v->applicant_name) : 0, cur_len = 0;
	uint32_t nhave = v->have ? r->n_materials : 0;
	for (int i = 0; i < v->ncurrent; i++)
		cur_len += strlen(v->current[i]) + 1;
	case_parts *c = sb_lazy_view(L, case_part_names, 3, make_case_part,
				     sizeof *c + nhave + id_len + 1 + name_len + 1 + cur_len);
	c->r = r;
	c->applicant = v->applicant;
	c->has_id = v->applicant_id != NULL;
	c->has_name = sees_name;
	c->nhave = nhave;
	if (nhave)
		memcpy(c->text, v->have, nhave);
	c->id_at = nhave;
	memcpy(c->text + c->id_at, id, id_len + 1);
	c->name_at = c->id_at + id_len + 1;
	if (sees_name)
		memcpy(c->text + c->name_at, v->applicant_name, name_len);
	c->text[c->name_at + name_len] = 0;
	c->current_at = c->name_at + name_len + 1;
	c->ncurrent = v->ncurrent;
	char *p = c->text + c->current_at;
	for (int i = 0; i < v->ncurrent; i++) {
		size_t n = strlen(v->current[i]) + 1;
		memcpy(p, v->current[i], n);
		p += n;
	}
}

/* ---- calling a hook point ---- */

/* One call of a hook function: what it is given and how its answer is
 * read (inside the protected call, raw).  A reader that finds the answer
 * of the wrong shape sets `err` and returns 0. */
typedef struct hook_call {
	hook_host *h;
	hook_state *s;
	const hook_view *v;
	const char *fn, *a1, *a2;
	int nres;
	int called;            /* the function exists and ran */
	int (*read)(lua_State *L, struct hook_call *c);
	void *out;             /* the reader's */
	ot_error *err;
} hook_call;

static int call_body(lua_State *L, void *ud)
{
	hook_call *c = ud;
	luaL_checkstack(L, 8, "hook call");
	if (!push_fn(L, c->s, c->fn))
		return 0;
	c->called = 1;
	push_view(L, c->h->r, c->v, c->h->zone);
	int nargs = 1;
	if (c->a1)
		lua_pushstring(L, c->a1), nargs++;
	if (c->a2)
		lua_pushstring(L, c->a2), nargs++;
	lua_call(L, nargs, c->nres);
	if (c->read && !c->read(L, c))
		c->called = -1; /* the answer was refused: err is set */
	return 0;
}

/* Calls hook function c->fn of the item when its file defines it (or
 * fails when `required`).  OT_OK, or OT_EHOOK with file:line. */
static ot_status call_point(hook_call *c, int required)
{
	hook_state *s = c->s = state_for(c->h, c->v->item, c->v->now, c->err);
	if (!s)
		return OT_EHOOK;
	char why[768];
	if (run_protected(s, call_body, c, why, sizeof why) != 0)
		return err_set(c->err, failed(s), "%s: %s", c->fn, why);
	if (c->called < 0)
		return c->err->status;
	if (c->called)
		traced(c->h, c->fn);
	else if (required)
		return err_set(c->err, OT_EHOOK, "hook file %s has no function %s", s->chunk, c->fn);
	return OT_OK;
}

/* validate: a list of {field=..., message=...} | {material=..., message=...} */
static int read_validate(lua_State *L, hook_call *c)
{
	json_t *errors = c->out;
	const ot_rules *r = c->h->r;
	const m_item *it = &r->items[c->v->item];
	if (!lua_isnil(L, -1) && !lua_istable(L, -1)) {
		err_set(c->err, OT_EHOOK, "validate in %s must return a list of {field=..., "
			"message=...}, not a %s", c->s->chunk, luaL_typename(L, -1));
		return 0;
	}
	real_table(L, -1);
	for (lua_Integer i = 1; lua_istable(L, -1) && lua_rawgeti(L, -1, i) != LUA_TNIL; i++) {
		const char *field = NULL, *material = NULL, *msg = NULL;
		real_table(L, -1);
		if (lua_istable(L, -1)) {
			raw_field(L, -1, "field");
			raw_field(L, -2, "material");
			raw_field(L, -3, "message");
			field = lua_type(L, -3) == LUA_TSTRING ? lua_tostring(L, -3) : NULL;
			material = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
			msg = lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER
				? lua_tostring(L, -1) : NULL;
		} else {
			lua_pushnil(L), lua_pushnil(L), lua_pushnil(L);
		}
		if (nul_in(L, -1) || nul_in(L, -2) || nul_in(L, -3)) {
			err_set(c->err, OT_EHOOK, "validate in %s returned entry %lld with a NUL byte "
				"in its text", c->s->chunk, (long long)i);
			return 0;
		}
		/* what the engine keeps of an answer is bounded, not only what the
		 * hook's state holds: so many entries, each message so long */
		if (i > HOOK_MAX_ENTRIES) {
			err_set(c->err, OT_EHOOK, "validate in %s returned more than %d entries",
				c->s->chunk, HOOK_MAX_ENTRIES);
			return 0;
		}
		if (msg && lua_rawlen(L, -1) > HOOK_MAX_MESSAGE) {
			err_set(c->err, OT_EHOOK, "validate in %s returned a message of %zu bytes; at most "
				"%d", c->s->chunk, (size_t)lua_rawlen(L, -1), HOOK_MAX_MESSAGE);
			return 0;
		}
		int ok = msg && (field || material);
		if (ok && field) {
			ok = 0;
			for (uint32_t k = 0; it->form >= 0 && k < r->forms[it->form].fields.count; k++)
				ok |= !strcmp(r->fields[r->forms[it->form].fields.first + k].name, field);
		}
		if (ok && material)
			ok = strmap_get(&r->by_material, material, strlen(material)) >= 0;
		if (!ok) {
			err_set(c->err, OT_EHOOK, "validate in %s returned entry %lld: it must be "
				"{field=FIELD, message=TEXT} or {material=MATERIAL, message=TEXT} "
				"naming a field or material of the item", c->s->chunk, (long long)i);
			return 0;
		}
		/* the array owns what is appended: a Lua error later leaks nothing.
		 * A message cut mid-character (name:sub(1, 4) of Chinese text) is
		 * kept up to its last whole character: jansson refuses text that
		 * is not UTF-8, and the entry would be lost. */
		char text[HOOK_MAX_MESSAGE + 1];
		snprintf(text, sizeof text, "%s", msg);
		utf8_settle(text);
		if (json_array_append_new(errors, json_pack("{s:s, s:s}", field ? "field" : "material",
							    field ? field : material, "message", text))) {
			err_set(c->err, OT_ENOMEM, "out of memory");
			return 0;
		}
		lua_pop(L, 4); /* the entry and its three fields */
	}
	return 1;
}

ot_status hook_validate(hook_host *h, const hook_view *v, json_t *errors, ot_error *err)
{
	size_t before = json_array_size(errors);
	hook_call c = {h, NULL, v, "validate", NULL, NULL, 1, 0, read_validate, errors, err};
	ot_status st = call_point(&c, 0);
	while (st != OT_OK && json_array_size(errors) > before)
		json_array_remove(errors, json_array_size(errors) - 1);
	return st;
}

/* A derived text as JSON.  One cut mid-character (name:sub(1, 6) of
 * Chinese text) is kept up to its last whole character, as a validate
 * message is: jansson refuses text that is not UTF-8.  NULL: out of
 * memory.  No NUL inside (refused before). */
static json_t *derived_text(const char *p, size_t n)
{
	json_t *j = json_stringn(p, n);
	char *copy = j ? NULL : strndup(p, n);
	if (!copy)
		return j;
	utf8_settle(copy);
	j = json_string(copy);
	free(copy);
	return j;
}

/* derive: {computed_field = value}, each checked against its field's type */
static int read_derive(lua_State *L, hook_call *c)
{
	json_t **form = c->out;
	int copied = 0;
	const ot_rules *r = c->h->r;
	const m_item *it = &r->items[c->v->item];
	if (lua_isnil(L, -1))
		return 1;
	if (!lua_istable(L, -1) || it->form < 0) {
		err_set(c->err, OT_EHOOK, "derive in %s must return a table {field = value}", c->s->chunk);
		return 0;
	}
	real_table(L, -1);
	const m_form *f = &r->forms[it->form];
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		const m_field *fd = NULL;
		for (uint32_t k = 0; key && k < f->fields.count; k++)
			if (!strcmp(r->fields[f->fields.first + k].name, key))
				fd = &r->fields[f->fields.first + k];
		if (!fd || !fd->computed) {
			err_set(c->err, OT_EHOOK, "derive in %s returned '%s': only the computed "
				"fields of form %s can be derived", c->s->chunk, key ? key : "?", f->name);
			return 0;
		}
		if (nul_in(L, -2) || nul_in(L, -1)) {
			err_set(c->err, OT_EHOOK, "derive in %s returned text with a NUL byte for %s",
				c->s->chunk, fd->name);
			return 0;
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
			 fd->type != FT_DECIMAL) {
			if (!(j = derived_text(lua_tostring(L, -1), lua_rawlen(L, -1)))) {
				err_set(c->err, OT_ENOMEM, "out of memory");
				return 0;
			}
		} else if (t == LUA_TSTRING && fd->type == FT_DECIMAL && dec_parse(lua_tostring(L, -1), &dv))
			j = json_string(lua_tostring(L, -1)); /* exact, as the decimal module gives it */
		if (!j) {
			err_set(c->err, OT_EHOOK, "derive in %s returned a %s for %s, a %s field",
				c->s->chunk, lua_typename(L, t), fd->name,
				fd->type == FT_BOOL ? "yes/no" : fd->type == FT_INTEGER ? "whole number"
				: fd->type == FT_DECIMAL ? "number (or decimal text)" : "text");
			return 0;
		}
		/* the caller's form may be shared (a chain's items): a copy of it
		 * is changed, made once, before the first value */
		json_t *mine = copied ? *form : json_deep_copy(*form);
		if (!mine) {
			json_decref(j);
			err_set(c->err, OT_ENOMEM, "out of memory");
			return 0;
		}
		if (!copied) {
			json_decref(*form);
			*form = mine;
			copied = 1;
		}
		json_object_set_new(mine, fd->name, j);
		lua_pop(L, 1);
	}
	return 1;
}

ot_status hook_derive(hook_host *h, const hook_view *v, json_t **form, ot_error *err)
{
	hook_call c = {h, NULL, v, "derive", NULL, NULL, 1, 0, read_derive, form, err};
	return call_point(&c, 0);
}

typedef struct route_out {
	const m_rule *rule;
	int step;
	int to;
} route_out;

static int read_route(lua_State *L, hook_call *c)
{
	route_out *o = c->out;
	const ot_rules *r = c->h->r;
	const m_item *it = &r->items[c->v->item];
	if (nul_in(L, -1)) {
		err_set(c->err, OT_EHOOK, "route in %s returned text with a NUL byte for step %s",
			c->s->chunk, r->steps[it->steps.first + (uint32_t)o->step].name);
		return 0;
	}
	const char *to = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	char list[256] = "";
	for (uint32_t j = 0; j < o->rule->to.count; j++) {
		int32_t t = r->ints[o->rule->to.first + j];
		const char *tn = t == STEP_END ? "end" : r->steps[it->steps.first + (uint32_t)t].name;
		if (to && !strcmp(tn, to))
			o->to = (int)j;
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", j ? ", " : "", tn);
	}
	if (o->to >= 0)
		return 1;
	char said[80];
	snprintf(said, sizeof said, to ? "'%.60s'" : "nothing", to);
	err_set(c->err, OT_EHOOK, "route in %s returned %s for step %s; it must be one of: %s",
		c->s->chunk, said, r->steps[it->steps.first + (uint32_t)o->step].name, list);
	return 0;
}

ot_status hook_route(hook_host *h, const hook_view *v, int step, uint32_t rule,
		     int *out, ot_error *err)
{
	const ot_rules *r = h->r;
	const m_item *it = &r->items[v->item];
	route_out o = {&r->rules[rule], step, -1};
	hook_call c = {h, NULL, v, "route", r->steps[it->steps.first + (uint32_t)step].name, NULL, 1,
		       0, read_route, &o, err};
	ot_status st = call_point(&c, 1);
	*out = o.to;
	return st;
}

static int read_note(lua_State *L, hook_call *c)
{
	char **note = c->out;
	if (nul_in(L, -1)) {
		err_set(c->err, OT_EHOOK, "%s in %s returned a note with a NUL byte", c->fn, c->s->chunk);
		return 0;
	}
	if (lua_type(L, -1) != LUA_TSTRING)
		return 1;
	/* kept in the case's event: bounded, and UTF-8 (jansson would refuse
	 * a note cut mid-character, and it would be lost) */
	if (lua_rawlen(L, -1) > HOOK_MAX_MESSAGE) {
		err_set(c->err, OT_EHOOK, "%s in %s returned a note of %zu bytes; at most %d", c->fn,
			c->s->chunk, (size_t)lua_rawlen(L, -1), HOOK_MAX_MESSAGE);
		return 0;
	}
	*note = strdup(lua_tostring(L, -1)); /* the last thing done in Lua */
	if (!*note) {
		err_set(c->err, OT_ENOMEM, "out of memory");
		return 0;
	}
	utf8_settle(*note);
	return 1;
}

ot_status hook_notify(hook_host *h, const hook_view *v, const char *fn, int step,
		      const char *action, char **note, ot_error *err)
{
	*note = NULL;
	const m_item *it = &h->r->items[v->item];
	hook_call c = {h, NULL, v, fn, h->r->steps[it->steps.first + (uint32_t)step].name, action,
		       1, 0, read_note, note, err};
	return call_point(&c, 0);
}

/* ---- lua.NAME(args) in conditions ---- */

typedef struct fn_call {
	hook_call_ctx *ctx;
	hook_state *s;
	const char *fn;
	const ev_value *args;
	int nargs;
	ev_value *out;
	int status;            /* 1 ok, 0 not defined, -1 refused (err set) */
} fn_call;

static int read_value(lua_State *L, fn_call *f)
{
	hook_call_ctx *c = f->ctx;
	ev_value *out = f->out;
	memset(out, 0, sizeof *out);
	switch (lua_type(L, -1)) {
	case LUA_TNIL:
		out->absent = 1;
		out->type = VT_ANY;
		return 1;
	case LUA_TBOOLEAN:
		out->type = VT_BOOL;
		out->u.b = lua_toboolean(L, -1);
		return 1;
	case LUA_TNUMBER:
		out->type = VT_NUM;
		if (lua_isinteger(L, -1))
			out->u.num.units = (int64_t)lua_tointeger(L, -1);
		else if (!dec_from_double(lua_tonumber(L, -1), &out->u.num))
			out->absent = 1; /* too large to be exact: counts as absent */
		return 1;
	case LUA_TSTRING: {
		size_t n;
		const char *p = lua_tolstring(L, -1, &n);
		if (memchr(p, 0, n)) {
			err_set(c->err, OT_EHOOK, "lua.%s returned text with a NUL byte", f->fn);
			return 0;
		}
		if (c->used + n + 1 > sizeof c->text) {
			err_set(c->err, OT_EHOOK, "lua.%s returned a text too long for a condition", f->fn);
			return 0;
		}
		memcpy(c->text + c->used, p, n + 1);
		out->type = VT_TEXT;
		out->u.text.p = c->text + c->used;
		out->u.text.n = (uint32_t)n;
		c->used += n + 1;
		return 1;
	}
	default:
		err_set(c->err, OT_EHOOK, "lua.%s returned a %s; a condition can use true/false, "
			"a number, a text or nil", f->fn, luaL_typename(L, -1));
		return 0;
	}
}

static int fn_body(lua_State *L, void *ud)
{
	fn_call *f = ud;
	luaL_checkstack(L, f->nargs + 4, "hook call");
	if (!push_fn(L, f->s, f->fn))
		return 0;
	for (int i = 0; i < f->nargs; i++)
		push_value(L, f->ctx->h->r, &f->args[i]);
	lua_call(L, f->nargs, 1);
	f->status = read_value(L, f) ? 1 : -1;
	return 0;
}

int hook_lua_fn(void *ud, const char *fn, const ev_value *args, int nargs,
		ev_value *out, const char **why)
{
	hook_call_ctx *c = ud;
	fn_call f = {c, state_for(c->h, c->v->item, c->v->now, c->err), fn, args, nargs, out, 0};
	char msg[768];
	*why = c->err->message;
	if (!f.s)
		return 0;
	if (run_protected(f.s, fn_body, &f, msg, sizeof msg) != 0) {
		err_set(c->err, failed(f.s), "lua.%s: %s", fn, msg);
		return 0;
	}
	if (f.status == 0)
		err_set(c->err, OT_EHOOK, "hook file %s has no function %s", f.s->chunk, fn);
	if (f.status <= 0)
		return 0;
	char lname[80];
	snprintf(lname, sizeof lname, "lua.%s", fn);
	traced(c->h, lname);
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
	sb_view(L);
	lua_setfield(L, -2, "applicant");
	sb_view(L);
}

typedef struct provide_call {
	hook_host *h;
	hook_state *s;
	const hook_request *q;
	const char *label;
	char *ref, *why;       /* [REF_CAP], [256] */
	int got;               /* 1 obtained, 0 not, -1 no answer, -2 no fetch,
				  -3 text with a NUL byte */
} provide_call;

/* fetch's answer: a table (or true) when obtained; nil/false and a reason
 * when not; a `valid_until` before today counts as not obtained. */
static int provide_body(lua_State *L, void *ud)
{
	provide_call *p = ud;
	luaL_checkstack(L, 8, "provider call");
	p->got = -2;
	if (!push_fn(L, p->s, "fetch"))
		return 0;
	push_request(L, p->h->r, p->q, p->h->zone);
	lua_call(L, 1, 2);
	real_table(L, -2);
	int t = lua_type(L, -2);
	p->got = -1;
	if (t == LUA_TBOOLEAN && lua_toboolean(L, -2)) {
		p->got = 1;
	} else if (t == LUA_TNIL || t == LUA_TBOOLEAN) {
		if (nul_in(L, -1)) {
			p->got = -3;
			return 0;
		}
		if (lua_type(L, -1) == LUA_TSTRING)
			snprintf(p->why, 256, "%s", lua_tostring(L, -1));
		p->got = 0;
	} else if (t == LUA_TTABLE) {
		int k = raw_field(L, -2, "number");
		raw_field(L, -3, "valid_until");
		if (nul_in(L, -1) || nul_in(L, -2)) {
			p->got = -3;
			return 0;
		}
		if (k == LUA_TSTRING || k == LUA_TNUMBER)
			snprintf(p->ref, REF_CAP, "%s", lua_tostring(L, -2));
		const char *until = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
		int32_t day;
		p->got = 1;
		if (until && day_parse(until, &day) && day < time_day(p->q->now, p->h->zone)) {
			snprintf(p->why, 256, "%s已于%s过期 it expired on %s", p->label, until, until);
			p->got = 0;
		}
	}
	return 0;
}

int hook_provide(hook_host *h, int provider, const hook_request *q, char ref[REF_CAP],
		 char why[256], ot_error *err)
{
	const m_provider *pv = &h->r->providers[provider];
	ref[0] = why[0] = 0;
	int k = h->of_provider[provider];
	if (k < 0) {
		err_set(err, OT_EHOOK, "provider \"%s\" has no Lua module", pv->name);
		return -1;
	}
	hook_state *s = ready(&h->states[k], h->r, h->epoch, q->now, q->item, err);
	if (!s)
		return -1;
	const char *label = h->r->materials[q->material].label;
	if (!label)
		label = h->r->materials[q->material].name;
	snprintf(why, 256, "%s未能提供%s %s has no record of it", pv->name, label, pv->name);
	provide_call p = {h, s, q, label, ref, why, -1};
	char msg[768];
	if (run_protected(s, provide_body, &p, msg, sizeof msg) != 0) {
		err_set(err, failed(s), "%s: fetch: %s", s->chunk, msg);
		return -1;
	}
	if (p.got == -2)
		err_set(err, OT_EHOOK, "provider module %s has no function fetch", s->chunk);
	else if (p.got == -3)
		err_set(err, OT_EHOOK, "%s: fetch returned text with a NUL byte", s->chunk);
	else if (p.got < 0)
		err_set(err, OT_EHOOK, "%s: fetch returned neither a table nor nil", s->chunk);
	else if (p.got > 0)
		why[0] = 0;
	return p.got < 0 ? -1 : p.got;
}

/* ---- for the checker ---- */

typedef struct probe_call {
	hook_state *s;
	const char *const *names;
	int n;
	uint8_t *defined;
} probe_call;

static int probe_body(lua_State *L, void *ud)
{
	probe_call *p = ud;
	for (int i = 0; i < p->n; i++) {
		p->defined[i] = (uint8_t)push_fn(L, p->s, p->names[i]);
		lua_settop(L, 0);
	}
	return 0;
}

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
	probe_call p = {&s, names, n, defined};
	int rc = load_state(&s, r) && run_protected(&s, instance_body, &s, error, ecap) == 0 &&
		 run_protected(&s, probe_body, &p, error, ecap) == 0;
	if (!rc && !error[0])
		snprintf(error, ecap, "%s", s.error);
	if (s.L)
		lua_close(s.L);
	return rc ? 0 : -1;
}
