/*
 * bench_ceiling.h -- the fsync ceiling the durable benchmarks compare with:
 * single-row INSERT transactions on a bare SQLite file (WAL,
 * synchronous=FULL), no engine.  No durable operation can commit faster.
 */
#ifndef BENCH_CEILING_H
#define BENCH_CEILING_H

/* n such transactions on a file of its own in dir (removed after);
 * returns how many a second. */
double bench_sqlite_ceiling(const char *dir, int n);

#endif
