/*
 * store_pg_lib.h -- libpq, loaded when a PostgreSQL store is first opened
 * (store_pg_lib_load), not when a program linking onetrip starts: libpq
 * brings some twenty libraries with it (Kerberos, LDAP, OpenSSL, GnuTLS)
 * whose loading and start-up took 8 of the 9.5 ms `onetrip --version`
 * took, in every command and every program on a SQLite store.
 *
 * The backend's files call libpq's functions by their own names: each is
 * a macro for the pointer in store_pg_lib, set by the load.  Calling one
 * before a store was opened is a bug (a NULL pointer).
 */
#ifndef OT_STORE_PG_LIB_H
#define OT_STORE_PG_LIB_H

#include <libpq-fe.h>

#include "onetrip.h"

/* Every libpq function the backend calls: one list for the pointers and
 * their loading; a function missing here does not link. */
#define PG_LIB_FUNCTIONS(X)                                                                   \
	X(PQclear) X(PQgetvalue) X(PQntuples) X(PQexec) X(PQstatus) X(PQtransactionStatus)    \
	X(PQresultStatus) X(PQresultErrorField) X(PQgetisnull) X(PQcmdTuples) X(PQgetResult)  \
	X(PQreset) X(PQexecParams) X(PQsocket) X(PQsetNoticeProcessor)                        \
	X(PQsendQueryPrepared) X(PQsendQueryParams) X(PQprepare) X(PQpipelineSync) X(PQftype) \
	X(PQfinish) X(PQexitPipelineMode) X(PQexecPrepared) X(PQerrorMessage)                 \
	X(PQenterPipelineMode) X(PQconnectdb) X(PQcmdStatus)

#define PG_LIB_POINTER(f) __typeof__(f) *f;
extern struct store_pg_lib {
	PG_LIB_FUNCTIONS(PG_LIB_POINTER)
} store_pg_lib;
#undef PG_LIB_POINTER

/* Loads libpq once a process (thread-safe); OT_ESTORE, saying so, when it
 * is not installed. */
ot_status store_pg_lib_load(ot_error *err);

#ifndef STORE_PG_LIB_LOADER /* store_pg_lib.c names the pointers themselves */
#define PQclear (store_pg_lib.PQclear)
#define PQgetvalue (store_pg_lib.PQgetvalue)
#define PQntuples (store_pg_lib.PQntuples)
#define PQexec (store_pg_lib.PQexec)
#define PQstatus (store_pg_lib.PQstatus)
#define PQtransactionStatus (store_pg_lib.PQtransactionStatus)
#define PQresultStatus (store_pg_lib.PQresultStatus)
#define PQresultErrorField (store_pg_lib.PQresultErrorField)
#define PQgetisnull (store_pg_lib.PQgetisnull)
#define PQcmdTuples (store_pg_lib.PQcmdTuples)
#define PQgetResult (store_pg_lib.PQgetResult)
#define PQreset (store_pg_lib.PQreset)
#define PQexecParams (store_pg_lib.PQexecParams)
#define PQsocket (store_pg_lib.PQsocket)
#define PQsetNoticeProcessor (store_pg_lib.PQsetNoticeProcessor)
#define PQsendQueryPrepared (store_pg_lib.PQsendQueryPrepared)
#define PQsendQueryParams (store_pg_lib.PQsendQueryParams)
#define PQprepare (store_pg_lib.PQprepare)
#define PQpipelineSync (store_pg_lib.PQpipelineSync)
#define PQftype (store_pg_lib.PQftype)
#define PQfinish (store_pg_lib.PQfinish)
#define PQexitPipelineMode (store_pg_lib.PQexitPipelineMode)
#define PQexecPrepared (store_pg_lib.PQexecPrepared)
#define PQerrorMessage (store_pg_lib.PQerrorMessage)
#define PQenterPipelineMode (store_pg_lib.PQenterPipelineMode)
#define PQconnectdb (store_pg_lib.PQconnectdb)
#define PQcmdStatus (store_pg_lib.PQcmdStatus)
#endif

#endif
