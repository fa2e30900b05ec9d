/*
 * bench-flow-client -- the load of tools/bench-flow in C: CONNECTIONS
 * HTTP/1.1 keep-alive connections on one epoll loop, each walking its own
 * instances of the flow one request at a time (the case number from the
 * first answer, then the rest of the flow on that case), for SECONDS.
 *
 *   bench-flow-client PLAN PORT SECONDS CONNECTIONS CLOSED_OUT
 *
 * PLAN is written by tools/bench-flow from tools/bench-flow.json (the one
 * definition of the flow): {"requests": [{"path", "token", "body" (text),
 * "expect" (the HTTP status), "then" (the case's status after it, or
 * absent)}, ...]}; "{id}" in a path is the case of the first answer.  An
 * instance counts as closed when every answer had its status and its
 * "then"; its case number goes to CLOSED_OUT, one a line, for the driver
 * to look for in the store.  No new instance starts after SECONDS; one
 * under way is finished.  Prints one line: closed, failed, requests,
 * seconds.
 *
 * Why C: the Python client (threads in four processes, http.client and
 * json) took one of the machine's two cores from the service it measured.
 * wrk is C but its Lua cannot carry a case number from one answer to the
 * next request of the same connection.  One thread here is plenty: a
 * request costs it a write, a read and a scan of the answer for two keys.
 * The server's answers carry Content-Length (no chunked bodies).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <jansson.h>

#define MAX_STEPS 32
#define REPORT 5 /* distinct failures printed */

typedef struct step {
	const char *path, *token, *body, *then;
	int expect;
} step;

static step steps[MAX_STEPS];
static int nsteps;
static struct sockaddr_in server;
static char failures[REPORT][200];
static int nfailures;

typedef struct conn {
	int fd, k;          /* k: the step under way */
	int connected;
	char id[64];        /* the instance's case */
	char *out;          /* the request being written */
	size_t out_len, out_off;
	char *in;           /* the answer being read */
	size_t in_len, in_cap;
	int idle;           /* past the deadline, between instances */
} conn;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-flow-client: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void failure(const char *fmt, const char *a, const char *b)
{
	char line[200];
	snprintf(line, sizeof line, fmt, a, b);
	for (int i = 0; i < nfailures; i++)
		if (strcmp(failures[i], line) == 0)
			return;
	if (nfailures < REPORT)
		snprintf(failures[nfailures++], sizeof *failures, "%s", line);
}

static void load_plan(const char *path)
{
	json_error_t je;
	json_t *plan = json_load_file(path, 0, &je), *r;
	size_t i;
	if (!plan) {
		fprintf(stderr, "bench-flow-client: %s: %s\n", path, je.text);
		exit(1);
	}
	json_array_foreach(json_object_get(plan, "requests"), i, r) {
		if (i >= MAX_STEPS)
			break;
		steps[i] = (step){json_string_value(json_object_get(r, "path")),
				  json_string_value(json_object_get(r, "token")),
				  json_string_value(json_object_get(r, "body")),
				  json_string_value(json_object_get(r, "then")),
				  (int)json_integer_value(json_object_get(r, "expect"))};
		if (!steps[i].path || !steps[i].token || !steps[i].body || !steps[i].expect) {
			fprintf(stderr, "bench-flow-client: %s: request %zu lacks a field\n", path, i);
			exit(1);
		}
		nsteps = (int)i + 1;
	}
	if (!nsteps) {
		fprintf(stderr, "bench-flow-client: %s: no requests\n", path);
		exit(1);
	}
	/* the plan lives as long as the process: the steps point into it */
}

/* The string value of a key of the top-level object of a JSON text (no
 * escapes in it: case numbers and statuses have none), or 0. */
static int top_string(const char *s, size_t n, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		if (c != '"')
			continue;
		size_t start = ++i;
		while (i < n && s[i] != '"')
			i += s[i] == '\\' ? 2 : 1;
		if (i >= n)
			return 0;
		size_t j = i + 1;
		while (j < n && (s[j] == ' ' || s[j] == '\n'))
			j++;
		if (depth != 1 || j >= n || s[j] != ':' || i - start != klen ||
		    memcmp(s + start, key, klen) != 0)
			continue;
		for (j++; j < n && (s[j] == ' ' || s[j] == '\n');)
			j++;
		if (j >= n || s[j] != '"')
			return 0;
		size_t v = ++j;
		while (j < n && s[j] != '"' && s[j] != '\\')
			j++;
		if (j >= n || s[j] != '"' || j - v >= cap)
			return 0;
		memcpy(out, s + v, j - v);
		out[j - v] = 0;
		return 1;
	}
	return 0;
}

static void open_conn(int ep, conn *c)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket");
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(c->fd, (struct sockaddr *)&server, sizeof server) != 0 && errno != EINPROGRESS)
		die("connect");
	c->connected = 0;
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		die("epoll_ctl");
}

static void want(int ep, conn *c, unsigned events)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		die("epoll_ctl");
}

/* Makes step c->k's request on c->id. */
static void make_request(conn *c)
{
	const step *s = &steps[c->k];
	const char *at = strstr(s->path, "{id}");
	int plen = at ? (int)(at - s->path) : (int)strlen(s->path);
	size_t body = strlen(s->body);
	size_t need = strlen(s->path) + strlen(c->id) + strlen(s->token) + body + 200;
	free(c->out);
	if (!(c->out = malloc(need)))
		die("malloc");
	int n = snprintf(c->out, need,
			 "POST %.*s%s%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
			 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
			 plen, s->path, at ? c->id : "", at ? at + 4 : "", s->token, body, s->body);
	c->out_len = (size_t)n;
	c->out_off = 0;
	c->in_len = 0;
}

/* Sends what is left of the request; 0 when the connection broke. */
static int send_more(int ep, conn *c)
{
	if (c->connected != 1) { /* sent once connected (writable) */
		want(ep, c, EPOLLOUT);
		return 1;
	}
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (w < 0 && errno == EAGAIN) {
			want(ep, c, EPOLLOUT);
			return 1;
		}
		if (w <= 0)
			return 0;
		c->out_off += (size_t)w;
	}
	want(ep, c, EPOLLIN);
	return 1;
}

/* The answer's length once its head is in: head + Content-Length, or 0
 * while the head is not complete, -1 when it has no length. */
static long answer_len(const conn *c, int *status, int *closes)
{
	const char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
	if (!end)
		return 0;
	size_t head = (size_t)(end - c->in) + 4;
	*status = atoi(c->in + 9); /* "HTTP/1.1 201 ..." */
	*closes = memmem(c->in, head, "\r\nConnection: close", 19) != NULL;
	long len = -1;
	for (const char *p = c->in; p < end; p++)
		if (*p == '\n' && strncasecmp(p + 1, "Content-Length:", 15) == 0)
			len = atol(p + 16);
	return len < 0 ? -1 : (long)head + len;
}

typedef struct totals {
	long closed, failed, requests;
	FILE *out;
	double deadline;
	int live;       /* connections still walking */
} totals;

/* The next instance, or none past the deadline. */
static void next_instance(int ep, conn *c, totals *t)
{
	c->k = 0;
	c->id[0] = 0;
	if (now() >= t->deadline) {
		c->idle = 1;
		t->live--;
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		return;
	}
	make_request(c);
	if (!send_more(ep, c)) {
		failure("%s%s: the connection broke", steps[0].path, "");
		t->failed++;
		next_instance(ep, c, t);
	}
}

/* An answer came: check it, go on with the instance or start the next. */
static void answered(int ep, conn *c, totals *t, int status, const char *body, size_t len)
{
	const step *s = &steps[c->k];
	char got[64] = "";
	t->requests++;
	int ok = status == s->expect;
	if (ok && c->k == 0)
		ok = top_string(body, len, "id", c->id, sizeof c->id);
	if (ok && s->then)
		ok = top_string(body, len, "status", got, sizeof got) && strcmp(got, s->then) == 0;
	if (!ok) {
		char what[160];
		snprintf(what, sizeof what, "%d %.*s", status, (int)(len > 120 ? 120 : len), body);
		failure("%s: %s", s->path, what);
		t->failed++;
		next_instance(ep, c, t);
		return;
	}
	if (++c->k < nsteps) {
		make_request(c);
		if (!send_more(ep, c)) {
			failure("%s%s: the connection broke", s->path, "");
			t->failed++;
			next_instance(ep, c, t);
		}
		return;
	}
	t->closed++;
	fprintf(t->out, "%s\n", c->id);
	next_instance(ep, c, t);
}

/* The connection broke or the server closed it: open another, start over. */
static void reopen(int ep, conn *c, totals *t, const char *why)
{
	failure("%s: %s", steps[c->k].path, why);
	t->failed++;
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	open_conn(ep, c);
	c->k = 0;
}

static void readable(int ep, conn *c, totals *t)
{
	for (;;) {
		if (c->in_cap - c->in_len < 4096) {
			c->in_cap = c->in_cap * 2 + 8192;
			if (!(c->in = realloc(c->in, c->in_cap)))
				die("realloc");
		}
		ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1, 0);
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			reopen(ep, c, t, "the server closed the connection");
			return;
		}
		c->in_len += (size_t)r;
		int status = 0, closes = 0;
		long len = answer_len(c, &status, &closes);
		if (len < 0) {
			reopen(ep, c, t, "an answer without Content-Length");
			return;
		}
		if (len == 0 || c->in_len < (size_t)len)
			continue;
		const char *body = (const char *)memmem(c->in, c->in_len, "\r\n\r\n", 4) + 4;
		if (closes) { /* the server closes it: the next request on a new one */
			epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			close(c->fd);
			open_conn(ep, c); /* the next request goes once it is connected */
			c->connected = -1; /* -1: connected again mid-instance */
		}
		answered(ep, c, t, status, body, (size_t)(c->in + len - body));
		return;
	}
}

static void writable(int ep, conn *c, totals *t)
{
	if (c->connected <= 0) {
		int err = 0;
		socklen_t l = sizeof err;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err) {
			errno = err;
			die("connect");
		}
		int again = c->connected < 0;
		c->connected = 1;
		if (!again) { /* a new connection: a new instance */
			c->idle = 0;
			next_instance(ep, c, t);
			return;
		}
	}
	if (!send_more(ep, c))
		reopen(ep, c, t, "the connection broke while sending");
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: bench-flow-client PLAN PORT SECONDS CONNECTIONS CLOSED_OUT\n");
		return 2;
	}
	load_plan(argv[1]);
	server.sin_family = AF_INET;
	server.sin_port = htons((unsigned short)atoi(argv[2]));
	server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	double seconds = atof(argv[3]);
	int n = atoi(argv[4]);
	if (n < 1 || seconds <= 0) {
		fprintf(stderr, "bench-flow-client: CONNECTIONS and SECONDS must be positive\n");
		return 2;
	}
	totals t = {0, 0, 0, fopen(argv[5], "w"), 0, n};
	if (!t.out)
		die(argv[5]);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	conn *cs = calloc((size_t)n, sizeof *cs);
	if (!cs)
		die("calloc");
	double start = now();
	t.deadline = start + seconds;
	for (int i = 0; i < n; i++)
		open_conn(ep, &cs[i]);
	struct epoll_event evs[256];
	while (t.live > 0) {
		int m = epoll_wait(ep, evs, 256, 1000);
		if (m < 0 && errno != EINTR)
			die("epoll_wait");
		if (now() > t.deadline + 120) {
			fprintf(stderr, "bench-flow-client: no answer for two minutes past the end\n");
			return 1;
		}
		for (int i = 0; i < m; i++) {
			conn *c = evs[i].data.ptr;
			if (c->idle)
				continue;
			if (evs[i].events & EPOLLOUT)
				writable(ep, c, &t);
			else if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				readable(ep, c, &t);
		}
	}
	double took = now() - start;
	for (int i = 0; i < nfailures; i++)
		fprintf(stderr, "  a failure: %s\n", failures[i]);
	printf("closed %ld failed %ld requests %ld seconds %.3f\n", t.closed, t.failed, t.requests,
	       took);
	fclose(t.out);
	for (int i = 0; i < n; i++) {
		close(cs[i].fd);
		free(cs[i].out);
		free(cs[i].in);
	}
	free(cs);
	close(ep);
	return 0;
}
