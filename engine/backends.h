/*
 * backends.h -- the store backends there are (store.h), for the API layer
 * to hand to the engine.  Adding a backend: its table here and in
 * `stores` in api.c.
 */
#ifndef OT_BACKENDS_H
#define OT_BACKENDS_H

#include "store.h"

extern const store_vt store_sqlite; /* store_sqlite.c */
extern const store_vt store_pg;       /* store_pg.c: postgresql:// */
extern const store_vt store_pg_short; /* store_pg.c: postgres:// */

#endif
