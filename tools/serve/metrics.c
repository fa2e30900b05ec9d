/*
 * metrics.c -- what /metrics tells Prometheus about the requests: a count
 * and a latency histogram for each route and status.
 *
 * The counters are a fixed table of atomics (routes x statuses x
 * buckets), so recording a request takes no lock and allocates nothing.
 * The cases by status and the overdue steps are read from the store when
 * /metrics is asked (routes.c).  The time sweep's counters say that this
 * server's sweeper runs and what it warned.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

static const char *const routes[] = {
	"other", "/healthz", "/readyz", "/metrics", "/v1/openapi.json", "pages",
	"/v1/assess", "/v1/cases", "/v1/cases/{id}", "/v1/cases/{id}/{op}", "/v1/overdue",
	"/v1/events", "/v1/items", "/v1/items/{name}", "/v1/licences", "/v1/licences/{holder}",
	"/v1/lookup", "/v1/admin/reload", "/v1/admin/store-check",
};
#define NROUTES (sizeof routes / sizeof *routes)

static const int statuses[] = {200, 201, 400, 401, 403, 404, 405, 409, 413, 422, 431, 500, 503};
#define NSTATUS (sizeof statuses / sizeof *statuses + 1) /* the last: any other */

/* upper bounds in seconds; the last bucket is +Inf */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
				0.5, 1, 2.5, 5, 10};
#define NBUCKETS (sizeof bounds / sizeof *bounds)

typedef struct series {
	atomic_ullong count;
	atomic_ullong micros; /* the sum, in microseconds */
	atomic_ullong bucket[NBUCKETS];
} series;

static series table[NROUTES][NSTATUS];

static atomic_ullong sweeps, sweep_failures, warned_yellow, warned_red;
static atomic_llong last_sweep;

void sv_metrics_sweep(int failed, long yellow, long red, long long at)
{
	atomic_fetch_add(failed ? &sweep_failures : &sweeps, 1);
	atomic_fetch_add(&warned_yellow, (unsigned long long)yellow);
	atomic_fetch_add(&warned_red, (unsigned long long)red);
	if (!failed)
		atomic_store(&last_sweep, at);
}

int sv_metrics_route(const char *name)
{
	for (size_t i = 0; i < NROUTES; i++)
		if (strcmp(routes[i], name) == 0)
			return (int)i;
	return 0;
}

static size_t status_slot(int status)
{
	for (size_t i = 0; i + 1 < NSTATUS; i++)
		if (statuses[i] == status)
			return i;
	return NSTATUS - 1;
}

void sv_metrics_record(int route, int status, double seconds)
{
	if (route < 0 || (size_t)route >= NROUTES)
		route = 0;
	series *s = &table[route][status_slot(status)];
	atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->micros, (unsigned long long)(seconds * 1e6),
				  memory_order_relaxed);
	for (size_t b = 0; b < NBUCKETS; b++)
		if (seconds <= bounds[b]) {
			atomic_fetch_add_explicit(&s->bucket[b], 1, memory_order_relaxed);
			break;
		}
}

void sv_buf_printf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(*buf ? *buf + *len : NULL, *buf ? *cap - *len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (*buf && *len + (size_t)n < *cap) {
			*len += (size_t)n;
			return;
		}
		size_t want = (*cap ? *cap * 2 : 4096) + (size_t)n;
		char *b = realloc(*buf, want);
		if (!b)
			return; /* the text stays as it was: a shorter answer, never a crash */
		*buf = b;
		*cap = want;
	}
}

static void labels_of(size_t r, size_t s, char out[160])
{
	if (s + 1 == NSTATUS)
		snprintf(out, 160, "route=\"%s\",status=\"other\"", routes[r]);
	else
		snprintf(out, 160, "route=\"%s\",status=\"%d\"", routes[r], statuses[s]);
}

void sv_metrics_write(char **buf, size_t *len, size_t *cap)
{
	char labels[160];
	sv_buf_printf(buf, len, cap,
		      "# HELP onetrip_http_requests_total Requests answered, by route and status.\n"
		      "# TYPE onetrip_http_requests_total counter\n");
	for (size_t r = 0; r < NROUTES; r++)
		for (size_t s = 0; s < NSTATUS; s++) {
			unsigned long long n = atomic_load(&table[r][s].count);
			labels_of(r, s, labels);
			if (n)
				sv_buf_printf(buf, len, cap, "onetrip_http_requests_total{%s} %llu\n",
					      labels, n);
		}
	sv_buf_printf(buf, len, cap,
		      "# HELP onetrip_http_request_duration_seconds Time to answer, by route and status.\n"
		      "# TYPE onetrip_http_request_duration_seconds histogram\n");
	for (size_t r = 0; r < NROUTES; r++)
		for (size_t s = 0; s < NSTATUS; s++) {
			series *x = &table[r][s];
			unsigned long long n = atomic_load(&x->count), cum = 0;
			if (!n)
				continue;
			labels_of(r, s, labels);
			for (size_t b = 0; b < NBUCKETS; b++) {
				cum += atomic_load(&x->bucket[b]);
				sv_buf_printf(buf, len, cap,
					      "onetrip_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n",
					      labels, bounds[b], cum);
			}
			sv_buf_printf(buf, len, cap,
				      "onetrip_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n"
				      "onetrip_http_request_duration_seconds_sum{%s} %.6f\n"
				      "onetrip_http_request_duration_seconds_count{%s} %llu\n",
				      labels, n, labels, (double)atomic_load(&x->micros) / 1e6, labels, n);
		}
	sv_buf_printf(buf, len, cap,
		      "# HELP onetrip_sweeps_total Time sweeps of this server, by outcome.\n"
		      "# TYPE onetrip_sweeps_total counter\n"
		      "onetrip_sweeps_total{outcome=\"done\"} %llu\n"
		      "onetrip_sweeps_total{outcome=\"failed\"} %llu\n"
		      "# HELP onetrip_sweep_warnings_total Warnings this server's time sweep gave.\n"
		      "# TYPE onetrip_sweep_warnings_total counter\n"
		      "onetrip_sweep_warnings_total{level=\"yellow\"} %llu\n"
		      "onetrip_sweep_warnings_total{level=\"red\"} %llu\n"
		      "# HELP onetrip_sweep_last_done_seconds When this server's last sweep ended"
		      " (Unix time; 0: none yet).\n"
		      "# TYPE onetrip_sweep_last_done_seconds gauge\n"
		      "onetrip_sweep_last_done_seconds %lld\n",
		      atomic_load(&sweeps), atomic_load(&sweep_failures), atomic_load(&warned_yellow),
		      atomic_load(&warned_red), (long long)atomic_load(&last_sweep));
}
