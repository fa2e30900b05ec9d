/*
 * A proxy between an engine and the PostgreSQL server of the tests, on a
 * Unix socket of its own, that can lose an answer the server gave in full:
 * what the network does to a commit whose answer never arrives.  It runs
 * in a thread of the test; one client connection at a time (an engine's).
 */
#ifndef OT_TEST_PG_PROXY_H
#define OT_TEST_PG_PROXY_H

#include <libpq-fe.h>
#include <stddef.h>

typedef struct pg_proxy pg_proxy;

/* A proxy in front of the server `server` is connected to, its socket in
 * `dir` (a directory of the test's: test_tmpdir); *uri receives the store
 * URI through it, with `schema`.  NULL if it cannot start (a path too long
 * for a socket's among the reasons). */
pg_proxy *pg_proxy_start(PGconn *server, const char *schema, const char *dir, char *uri,
			 size_t n);

/* The answer to the client's nth round trip from now (1: the next one) is
 * read from the server to its end (ReadyForQuery: the server is done with
 * it, a COMMIT committed) and not passed on; both connections are closed
 * then.  The next connection is passed on whole. */
void pg_proxy_lose_answer(pg_proxy *p, int nth);

/* How many answers were lost so far. */
int pg_proxy_lost(pg_proxy *p);

void pg_proxy_stop(pg_proxy *p);

#endif
