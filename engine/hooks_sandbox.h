/*
 * hooks_sandbox.h -- what a hook's Lua code can reach (hooks_sandbox.c).
 * Internal to the Lua host.
 */
#ifndef OT_HOOKS_SANDBOX_H
#define OT_HOOKS_SANDBOX_H

#include <stddef.h>

#include <lua.h>

#include "calendar.h"

/* Builds the sandbox's globals, read-only all the way down, with the
 * function at `require_fn` as `require`, and leaves them in the registry as
 * "onetrip.env".  Raises on out of memory: call it protected. */
void sb_open(lua_State *L, int require_fn);

/* Replaces the table at the top of the stack by a read-only view of it,
 * and every table inside it too: writes raise "the case and the libraries
 * are read-only", and iteration (pairs, next, #) hands out only views. */
void sb_readonly(lua_State *L);

/* The same for a table whose values are not tables (or are views
 * already): cheaper, for what is built for each call. */
void sb_view(lua_State *L);

/* Makes part `part` of a lazy view from `data` and pushes it (a view
 * itself, built with sb_view).  Raises on out of memory. */
typedef void (*sb_part_fn)(lua_State *L, void *data, int part);

/* The same as sb_view for the table at the top, except that the keys
 * parts[0..nparts) (at most 32; `parts` must outlive the view) are absent
 * from it and made by `make` when first read, then kept; walking the view
 * (pairs, next, #) makes them all first, so nothing can tell it from a
 * view built whole.  Returns `size` bytes for `make`'s data, owned by the
 * view (Lua frees them with it): copy into them everything the parts need,
 * since they may be read after the call that made the view has ended. */
void *sb_lazy_view(lua_State *L, const char *const *parts, int nparts, sb_part_fn make,
		   size_t size);

/* Pushes the real table behind the read-only view at `idx` and returns 1
 * (a lazy view's parts are all made first); 0, nothing pushed, when it is
 * not a view.  For reading only: what is behind a view must never reach
 * a hook. */
int sb_target(lua_State *L, int idx);

/* Freezes a table of globals in place (it stays the same table, so the
 * functions whose _ENV it is keep it): reads go on, writes raise. */
void sb_freeze_globals(lua_State *L, int idx);

/* ---- supplied by the host (hooks.c) ---- */

/* The running call's memory budget in bytes: no single result may be
 * larger. */
size_t hook_mem_budget(lua_State *L);
/* The running call's `now` and the rule base's zone (minutes east). */
ot_time hook_now(lua_State *L, int *zone);

#endif
