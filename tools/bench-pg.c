/*
 * bench-pg.c -- durable operations per second on PostgreSQL with 1, 2 and 4
 * engine processes, next to the ceiling measured in the same run: single-row
 * INSERT transactions through libpq on one connection (and on four), with
 * the server's synchronous_commit, which the engine commits with too.
 *
 *   bench-pg RULES URI [SECONDS]      (SECONDS per measure, 3 when not given)
 *
 * URI names a database (its tables go to schemas bench_* of their own,
 * dropped at the end); tests/pg/server.sh start DIR durable starts a
 * server with fsync on, as in production.  An operation is one of the cycle
 * submit, approve intake, review, site visit, decide, deliver of the
 * contract rule file's building permit, each its own transaction; the
 * processes share one store (its case counter too: every submission of
 * the day takes the same row), each walking its own cases (tests/pg/many.c
 * races on shared ones).  Each engine measure says how many of its
 * operations ran twice (a first try that lost a race, from the engine's
 * log).  The engines answer in compact JSON, as onetrip serve's do; the
 * processes of a measure start together once each has opened its engine
 * or connection.  A last row, apart and labelled so, runs the cycle as
 * `onetrip serve` runs many clients' requests: 8 cases side by side, each
 * step of all of them one group commit (ot_call_batch).  It prints the
 * server's settings, and the machine's CPUs and guest halt polling, which
 * move the figures as much as the disk does; for a server on this machine,
 * the CPU an operation took in each measure (the measured processes' and
 * the server's), and what that allows four processes on these CPUs.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "onetrip.h"

#define COMPANY "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"鞍山市立山建设有限公司\"}"

static const char *const cycle[][2] = {
	{"submit", "{\"item\":\"construction_permit\",\"now\":\"2019-09-27T09:00\",\"applicant\":"
		   COMPANY ",\"form\":{\"name\":\"x\",\"area\":5400,\"height\":18,"
		   "\"government_funded\":true,\"contractor\":\"91350100M000100Y43\",\"kind\":"
		   "\"public\"},\"materials\":[\"land_cert\",\"drawings\",\"fire_review\"]}"},
	{"act", "{\"case\":\"%s\",\"step\":\"intake\",\"action\":\"approve\",\"actor\":"
		"\"approval_bureau.investment\",\"now\":\"2019-09-29T10:00\"}"},
	{"act", "{\"case\":\"%s\",\"step\":\"review\",\"action\":\"approve\",\"actor\":"
		"\"approval_bureau\",\"now\":\"2019-09-30T10:00\"}"},
	{"act", "{\"case\":\"%s\",\"step\":\"site_visit\",\"action\":\"approve\",\"actor\":"
		"\"housing\",\"now\":\"2019-10-08T10:00\"}"},
	{"act", "{\"case\":\"%s\",\"step\":\"decide\",\"action\":\"approve\",\"actor\":"
		"\"approval_bureau\",\"now\":\"2019-10-09T10:00\"}"},
	{"deliver", "{\"case\":\"%s\",\"method\":\"post\",\"now\":\"2019-10-10T10:00\"}"},
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "bench-pg: %s: %s\n", what, why);
	exit(1);
}

static void quiet(void *ud, const char *message)
{
	(void)ud;
	(void)message;
}

static PGconn *connect_db(const char *uri)
{
	PGconn *c = PQconnectdb(uri);
	if (PQstatus(c) != CONNECTION_OK)
		die("connecting", PQerrorMessage(c));
	return c;
}

static void exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		die(sql, PQerrorMessage(c));
	PQclear(r);
}

/* ---- the engine: one process's operations for `seconds` ---- */

/* The operations an engine ran twice (a first try lost a race), from its log. */
static void count_second_tries(void *ud, const char *line)
{
	if (strstr(line, "another writer was first"))
		++*(long *)ud;
}

static void ready(void);

/* An engine as onetrip serve opens one: compact answers. */
static ot_engine *open_engine(const char *rules, const char *uri, long *second_tries)
{
	ot_engine *e = NULL;
	ot_error err;
	ot_engine_config cfg;
	ot_engine_config_init(&cfg);
	cfg.rules_path = rules;
	cfg.store = uri;
	cfg.log = second_tries ? count_second_tries : NULL;
	cfg.log_ud = second_tries;
	cfg.compact_answers = 1;
	if (ot_engine_open_config(&cfg, &e, &err) != OT_OK)
		die("opening the engine", err.message);
	return e;
}

static long engine_ops(const char *rules, const char *uri, double seconds, long *second_tries)
{
	ot_engine *e = open_engine(rules, uri, second_tries);
	ot_error err;
	ready();
	long ops = 0;
	double end = now() + seconds;
	char id[32] = "", req[1024];
	while (now() < end) {
		for (size_t i = 0; i < sizeof cycle / sizeof *cycle; i++) {
			char *resp = NULL;
			snprintf(req, sizeof req, cycle[i][1], id);
			if (ot_call(e, cycle[i][0], req, &resp, &err) != OT_OK)
				die(cycle[i][0], err.message);
			if (i == 0) {
				const char *p = strstr(resp, "\"id\":\"");
				snprintf(id, sizeof id, "%.13s", p ? p + 6 : "");
			}
			free(resp);
			ops++;
		}
	}
	ot_engine_close(e);
	return ops;
}

/* The same cycle, as `onetrip serve` runs what many clients send at once:
 * BATCH cases walked side by side, each step of all of them one group
 * commit (ot_call_batch: one transaction, a savepoint an operation).  Not
 * the measure, which is each operation its own transaction. */
enum { BATCH = 8 };

static long engine_batch_ops(const char *rules, const char *uri, double seconds)
{
	ot_engine *e = open_engine(rules, uri, NULL);
	ot_error err;
	ready();
	long ops = 0;
	double end = now() + seconds;
	char ids[BATCH][32], reqs[BATCH][1024];
	ot_batch_item items[BATCH];
	while (now() < end) {
		for (size_t i = 0; i < sizeof cycle / sizeof *cycle; i++) {
			for (int b = 0; b < BATCH; b++) {
				snprintf(reqs[b], sizeof reqs[b], cycle[i][1], ids[b]);
				items[b] = (ot_batch_item){.op = cycle[i][0], .request = reqs[b]};
			}
			if (ot_call_batch(e, items, BATCH, &err) != OT_OK)
				die("a batch", err.message);
			for (int b = 0; b < BATCH; b++) {
				if (items[b].status != OT_OK)
					die(cycle[i][0], items[b].err.message);
				const char *p = strstr(items[b].response, "\"id\":\"");
				if (i == 0)
					snprintf(ids[b], sizeof ids[b], "%.13s", p ? p + 6 : "");
				free(items[b].response);
			}
			ops += BATCH;
		}
	}
	ot_engine_close(e);
	return ops;
}

/* ---- the ceiling: one connection's single-row INSERT transactions ---- */

static long insert_ops(const char *uri, const char *schema, int worker, double seconds)
{
	PGconn *c = connect_db(uri);
	char sql[256];
	snprintf(sql, sizeof sql, "SET search_path TO %s", schema);
	exec(c, sql);
	PGresult *r = PQprepare(c, "ins", "INSERT INTO ceiling(worker, n, payload) VALUES ($1, $2, $3)",
				0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		die("preparing", PQerrorMessage(c));
	PQclear(r);
	ready();
	long n = 0;
	char w[16], num[24];
	snprintf(w, sizeof w, "%d", worker);
	/* about the size of an event */
	static const char payload[] = "{\"op\":\"act\",\"at\":\"2019-09-30T10:00:00+08:00\",\"actor\":"
				      "\"approval_bureau\",\"step\":\"review\",\"action\":\"approve\"}";
	double end = now() + seconds;
	while (now() < end) {
		snprintf(num, sizeof num, "%ld", n);
		const char *v[] = {w, num, payload};
		r = PQexecPrepared(c, "ins", 3, v, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			die("inserting", PQerrorMessage(c));
		PQclear(r);
		n++;
	}
	PQfinish(c);
	return n;
}

/* ---- processes ---- */

/* A measure's processes start together once each has opened its engine
 * (compiled the rules, connected, prepared its statements) or its
 * connection: a server's engine is opened once and runs for days, so the
 * opening is not an operation's cost.  Each says it is ready on one pipe
 * and waits for a byte on the other. */
static int ready_fd = -1, go_fd = -1;
static long ready_cpu_us; /* this process's CPU when its measure began */

/* CPU time (user and system) this process has used, in microseconds. */
static long self_cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

static void ready(void)
{
	char b = 0;
	if (write(ready_fd, &b, 1) != 1 || read(go_fd, &b, 1) != 1)
		_exit(1);
	ready_cpu_us = self_cpu_us();
}

/* ---- the server's CPU ---- */

/* What holds several processes on a machine is the CPU an operation costs,
 * theirs and the server's together (docs/performance.md, "Why the two
 * aims"): each measure says it, for a server on this machine.  The server's
 * CPU is that of its postmaster and every process under it, exited ones
 * included (their times are added to the postmaster's when it reaps them). */
static long postmaster = -1; /* its pid; -1: the server is on another machine */

/* utime + stime (+ cutime + cstime when `children`) of /proc/PID/stat, in
 * clock ticks, and its parent's pid in *ppid; -1 when it is gone. */
static long proc_ticks(const char *pid, int children, long *ppid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%s/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	const char *p = strrchr(buf, ')'); /* the command's name may hold anything */
	long utime, stime, cutime, cstime;
	/* fields 3 (state) to 17 (cstime), from after the name */
	if (!p || sscanf(p + 2, "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld %ld %ld", ppid,
			 &utime, &stime, &cutime, &cstime) != 5)
		return -1;
	return utime + stime + (children ? cutime + cstime : 0);
}

/* The server's CPU so far, in microseconds, and in *procs how many
 * processes it runs; -1 when it cannot be read. */
static long server_cpu_us(int *procs)
{
	char pm[24];
	long ppid, ticks;
	snprintf(pm, sizeof pm, "%ld", postmaster);
	if (postmaster < 0 || (ticks = proc_ticks(pm, 1, &ppid)) < 0)
		return -1;
	*procs = 0;
	DIR *d = opendir("/proc");
	for (struct dirent *de; d && (de = readdir(d));) {
		long t = de->d_name[0] >= '1' && de->d_name[0] <= '9'
				 ? proc_ticks(de->d_name, 0, &ppid)
				 : -1;
		if (t >= 0 && ppid == postmaster) {
			ticks += t;
			++*procs;
		}
	}
	if (d)
		closedir(d);
	return ticks * (1000000L / sysconf(_SC_CLK_TCK));
}

/* The server's CPU once the backends of a measure's connections are gone
 * (they exit after their client, and their times reach the postmaster's
 * when it reaps them): waits up to a second for the server to be back to
 * `idle_procs` processes. */
static long server_cpu_after(int idle_procs)
{
	int procs = 0;
	long us = -1;
	for (int i = 0; i < 100; i++) {
		us = server_cpu_us(&procs);
		if (us < 0 || procs <= idle_procs)
			break;
		nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
	}
	return us;
}

/* One measure: operations a second, the share of them run twice, and the
 * CPU an operation took, the measured processes' and the server's (-1 when
 * the server is not on this machine). */
struct figure {
	double rate, twice, client_us, server_us;
};

/* Runs `procs` processes of `what` for `seconds`, all on one store. */
static struct figure measure(int procs, const char *what, const char *rules, const char *uri,
			     const char *schema, double seconds)
{
	int fds[2], rd[2], go[2];
	if (pipe(fds) != 0 || pipe(rd) != 0 || pipe(go) != 0)
		die("pipe", "failed");
	fflush(stdout); /* not printed again by a process that exits */
	int idle_procs = 0;
	server_cpu_us(&idle_procs);
	for (int p = 0; p < procs; p++) {
		if (fork() != 0)
			continue;
		char store[1024];
		/* one store for all: several engines on one database */
		snprintf(store, sizeof store, "%s%cschema=%s", uri, strchr(uri, '?') ? '&' : '?',
			 schema);
		close(fds[0]);
		close(rd[0]);
		close(go[1]);
		ready_fd = rd[1];
		go_fd = go[0];
		long n[3] = {0, 0, 0};
		n[0] = strcmp(what, "engine") == 0  ? engine_ops(rules, store, seconds, &n[1])
		       : strcmp(what, "batch") == 0 ? engine_batch_ops(rules, store, seconds)
						    : insert_ops(uri, schema, (int)getpid(), seconds);
		n[2] = self_cpu_us() - ready_cpu_us;
		if (write(fds[1], n, sizeof n) != sizeof n)
			_exit(1);
		_exit(0);
	}
	/* a process that fails closes its ends: the reads see it */
	close(fds[1]);
	close(rd[1]);
	close(go[0]);
	char b[4] = {0};
	for (int p = 0; p < procs; p++)
		if (read(rd[0], b, 1) != 1)
			die(what, "a process failed while opening");
	int busy_procs;
	long server_before = server_cpu_us(&busy_procs);
	double start = now();
	if (write(go[1], b, (size_t)procs) != procs)
		die(what, "a process failed while opening");
	close(rd[0]);
	close(go[1]);
	long total = 0, twice = 0, client = 0;
	for (int p = 0; p < procs; p++) {
		long n[3] = {0, 0, 0};
		int status;
		if (read(fds[0], n, sizeof n) != sizeof n)
			die(what, "a process failed");
		total += n[0];
		twice += n[1];
		client += n[2];
		wait(&status);
	}
	double elapsed = now() - start;
	long server_after = server_cpu_after(idle_procs);
	close(fds[0]);
	double ops = total ? (double)total : 1;
	return (struct figure){
		.rate = (double)total / elapsed,
		.twice = 100.0 * (double)twice / ops,
		.client_us = (double)client / ops,
		.server_us = server_before < 0 || server_after < 0
				     ? -1
				     : (double)(server_after - server_before) / ops,
	};
}

static int by_rate(const void *a, const void *b)
{
	double x = ((const struct figure *)a)->rate, y = ((const struct figure *)b)->rate;
	return x < y ? -1 : x > y;
}

/* The postmaster of connection c's server, when it runs on this machine:
 * the parent of c's backend, a process named postgres. */
static void find_postmaster(PGconn *c)
{
	const char *host = PQhost(c);
	int local = host && (host[0] == '/' || strcmp(host, "localhost") == 0 ||
			     strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0);
	char pid[24], path[64], comm[32] = "";
	snprintf(pid, sizeof pid, "%d", PQbackendPID(c));
	snprintf(path, sizeof path, "/proc/%s/comm", pid);
	FILE *f = local ? fopen(path, "r") : NULL;
	if (f) {
		if (!fgets(comm, sizeof comm, f))
			comm[0] = 0;
		fclose(f);
	}
	long ppid;
	if (strncmp(comm, "postgres", 8) == 0 && proc_ticks(pid, 0, &ppid) >= 0)
		postmaster = ppid;
}

static void drop_schemas(PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_%'");
	for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++) {
		char sql[128];
		snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", PQgetvalue(r, i, 0));
		exec(c, sql);
	}
	PQclear(r);
}

/* What on this machine moves both figures besides the disk: its CPUs, and
 * how soon an idle one wakes (docs/performance.md: a virtual machine's
 * guest halt polling). */
static void print_machine(void)
{
	char ns[32] = "";
	FILE *f = fopen("/sys/module/haltpoll/parameters/guest_halt_poll_ns", "r");
	if (f) {
		if (!fgets(ns, sizeof ns, f))
			ns[0] = 0;
		fclose(f);
	}
	ns[strcspn(ns, "\n")] = 0;
	printf("machine: %ld CPUs online; ", sysconf(_SC_NPROCESSORS_ONLN));
	if (!ns[0])
		printf("no guest halt polling here\n\n");
	else
		printf("guest halt polling %s ns%s\n\n", ns,
		       strcmp(ns, "0") == 0 ? " (off: an idle CPU halts at once)" : "");
}

static void print_row(const char *label, const struct figure *m)
{
	printf("%s %7.0f /s", label, m->rate);
	if (m->server_us >= 0)
		printf("  CPU %4.0f + %4.0f µs", m->client_us, m->server_us);
}

/* Why four engines do what they do on this machine (docs/performance.md,
 * "Why the two aims"): with the CPUs busy, four processes do at most the
 * CPUs' time over an operation's CPU; and as the engine's operation costs
 * more CPU than the ceiling's insert beside the same one flush, its four
 * scale less than the ceiling's four do. */
static void print_bound(const struct figure *c1, const struct figure *c4, const struct figure *e1,
			const struct figure *e4)
{
	if (c4->server_us < 0 || e4->server_us < 0)
		return;
	double cpu_c = c4->client_us + c4->server_us, cpu_e = e4->client_us + e4->server_us;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	printf("at four, an operation takes %.2f× the CPU of the ceiling's insert (%.0f against "
	       "%.0f µs) and, at one, %.2f× its time:\n  with its %ld CPUs fully busy, four "
	       "processes can do at most %.0f /s (%.2f× one); twice one needs %.0f µs of CPU an "
	       "operation or less\n", cpu_e / cpu_c, cpu_e, cpu_c, c1->rate / e1->rate, cpus,
	       (double)cpus * 1e6 / cpu_e, (double)cpus * 1e6 / cpu_e / e1->rate,
	       (double)cpus * 1e6 / (2 * e1->rate));
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench-pg RULES URI [SECONDS]\n");
		return 2;
	}
	const char *rules = argv[1], *uri = argv[2];
	double seconds = argc > 3 ? atof(argv[3]) : 3;
	PGconn *c = connect_db(uri);
	PQsetNoticeProcessor(c, quiet, NULL);
	drop_schemas(c);
	exec(c, "CREATE SCHEMA bench_ceiling");
	exec(c, "CREATE TABLE bench_ceiling.ceiling(worker INTEGER, n BIGINT, payload TEXT,"
		" PRIMARY KEY(worker, n))");
	PGresult *set = PQexec(c, "SELECT current_setting('synchronous_commit'),"
			       " current_setting('fsync'), version()");
	printf("server: %s\nsynchronous_commit = %s, fsync = %s (the engine's connections and the "
	       "ceiling's alike)\n", PQgetvalue(set, 0, 2), PQgetvalue(set, 0, 0),
	       PQgetvalue(set, 0, 1));
	PQclear(set);
	print_machine();
	find_postmaster(c);
	/* the measures alternate, ROUNDS times, and each figure is the median
	 * of its rounds: a busy machine slows them alike */
	enum { ROUNDS = 3 };
	enum { CEIL1, ENG1, ENG2, ENG4, CEIL4, BATCHED, MEASURES };
	struct figure f[MEASURES][ROUNDS];
	for (int k = 0; k < ROUNDS; k++) {
		char schema[32];
		f[CEIL1][k] = measure(1, "insert", rules, uri, "bench_ceiling", seconds);
		for (int procs = 1, i = ENG1; procs <= 4; procs *= 2, i++) {
			snprintf(schema, sizeof schema, "bench_e%d_%d", procs, k);
			f[i][k] = measure(procs, "engine", rules, uri, schema, seconds);
		}
		f[CEIL4][k] = measure(4, "insert", rules, uri, "bench_ceiling", seconds);
		snprintf(schema, sizeof schema, "bench_b_%d", k);
		f[BATCHED][k] = measure(1, "batch", rules, uri, schema, seconds);
		fprintf(stderr, "round %d: ceiling %.0f /s, engine 1: %.0f /s, 2: %.0f /s, 4: %.0f /s, "
			"ceiling 4 connections %.0f /s; operations run twice (a first try lost a "
			"race): %.1f %%, %.1f %%, %.1f %%; 1 process, batches of %d: %.0f /s\n", k + 1,
			f[CEIL1][k].rate, f[ENG1][k].rate, f[ENG2][k].rate, f[ENG4][k].rate,
			f[CEIL4][k].rate, f[ENG1][k].twice, f[ENG2][k].twice, f[ENG4][k].twice, BATCH,
			f[BATCHED][k].rate);
	}
	struct figure m[MEASURES]; /* each measure's median round */
	for (int i = CEIL1; i < MEASURES; i++) {
		qsort(f[i], ROUNDS, sizeof f[i][0], by_rate);
		m[i] = f[i][ROUNDS / 2];
	}
	double ceiling1 = m[CEIL1].rate, one = m[ENG1].rate;
	printf("medians of %d rounds of %.0f s each; CPU an operation: the measured processes' "
	       "+ the server's\n", ROUNDS, seconds);
	print_row("ceiling: single-row INSERT transactions, 1 connection ", &m[CEIL1]);
	printf("\n");
	print_row("ceiling: single-row INSERT transactions, 4 connections", &m[CEIL4]);
	printf("  (%.2f× one)\n", m[CEIL4].rate / ceiling1);
	for (int procs = 1, i = ENG1; procs <= 4; procs *= 2, i++) {
		char label[64];
		snprintf(label, sizeof label, "engine: %d process%s, durable operations          ",
			 procs, procs == 1 ? "  " : "es");
		print_row(label, &m[i]);
		printf("  (%.0f %% of one connection's ceiling; %.2f× one process)\n",
		       100 * m[i].rate / ceiling1, m[i].rate / one);
	}
	print_bound(&m[CEIL1], &m[CEIL4], &m[ENG1], &m[ENG4]);
	printf("not the issue's measure (each operation its own transaction), but what `onetrip "
	       "serve` does with many clients:\n");
	char label[80];
	snprintf(label, sizeof label, "engine: 1 process, %d operations a transaction (group commit)",
		 BATCH);
	print_row(label, &m[BATCHED]);
	printf("  (%.0f %% of one connection's ceiling)\n", 100 * m[BATCHED].rate / ceiling1);
	drop_schemas(c);
	PQfinish(c);
	return 0;
}
