/*
 * store_pg_lib.c -- libpq loaded on first use (store_pg_lib.h says why).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define STORE_PG_LIB_LOADER
#include "store_pg_lib.h"

#include "base.h"

struct store_pg_lib store_pg_lib;

static pthread_once_t pg_lib_once = PTHREAD_ONCE_INIT;
static char pg_lib_failed[200]; /* why it could not be loaded; "" loaded */

/* The soname of Debian's libpq5 (the runtime package; libpq-dev adds only
 * the unversioned link), the interface of PostgreSQL 10 and later. */
#define PG_LIB_SONAME "libpq.so.5"

static void pg_lib_open(void)
{
	void *h = dlopen(PG_LIB_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(pg_lib_failed, sizeof pg_lib_failed, "%s", dlerror());
		return;
	}
	void *sym;
#define PG_LIB_LOAD(f)                                                                        \
	if (!(sym = dlsym(h, #f))) {                                                          \
		snprintf(pg_lib_failed, sizeof pg_lib_failed, "%s has no %s", PG_LIB_SONAME, #f); \
		return;                                                                       \
	}                                                                                     \
	memcpy(&store_pg_lib.f, &sym, sizeof sym);
	PG_LIB_FUNCTIONS(PG_LIB_LOAD)
#undef PG_LIB_LOAD
}

ot_status store_pg_lib_load(ot_error *err)
{
	pthread_once(&pg_lib_once, pg_lib_open);
	if (pg_lib_failed[0])
		return err_set(err, OT_ESTORE, "PostgreSQL's client library cannot be loaded (%s): "
			       "install it (Debian: apt install libpq5) to use a postgresql:// store",
			       pg_lib_failed);
	return OT_OK;
}
