/* A proxy that loses an answer: pg_proxy.h. */
#include "pg_proxy.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct pg_proxy {
	pthread_t thread;
	int listener;
	struct sockaddr_un server, mine;
	char dir[128];
	atomic_int stop;
	atomic_int answers_left; /* answers passed on before the one lost; -1: none lost */
	atomic_int lost;
	unsigned char *buf;      /* what the server sent and was not passed on yet */
	size_t len, cap;
};

static int unix_socket(const struct sockaddr_un *at, int listening)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	int ok = listening ? bind(fd, (const struct sockaddr *)at, sizeof *at) == 0 &&
				     listen(fd, 4) == 0
			   : connect(fd, (const struct sockaddr *)at, sizeof *at) == 0;
	if (!ok) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const unsigned char *b, size_t n)
{
	while (n) {
		ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
		if (k <= 0)
			return 0;
		b += k;
		n -= (size_t)k;
	}
	return 1;
}

/* The server's complete messages (a type byte, a length that counts
 * itself) go on to the client, but those of the answer to be lost; 0 once
 * that answer is complete, or either side is gone. */
static int from_server(pg_proxy *p, int client)
{
	size_t at = 0;
	while (p->len - at >= 5) {
		uint32_t n = (uint32_t)p->buf[at + 1] << 24 | (uint32_t)p->buf[at + 2] << 16 |
			     (uint32_t)p->buf[at + 3] << 8 | p->buf[at + 4];
		if (n < 4 || p->len - at - 1 < n)
			break;
		int last = p->buf[at] == 'Z', left = atomic_load(&p->answers_left);
		if (left != 0 && !send_all(client, p->buf + at, n + 1))
			return 0;
		at += n + 1;
		if (last && left > 0)
			atomic_fetch_sub(&p->answers_left, 1);
		else if (last && left == 0) { /* the server is done with it: lose it */
			atomic_store(&p->answers_left, -1);
			atomic_fetch_add(&p->lost, 1);
			return 0;
		}
	}
	memmove(p->buf, p->buf + at, p->len - at);
	p->len -= at;
	return 1;
}

/* Bytes from `from`; 0 when it is closed or failed. */
static int take(pg_proxy *p, int from, int client, int server)
{
	unsigned char b[8192];
	ssize_t k = recv(from, b, sizeof b, 0);
	if (k <= 0)
		return 0;
	if (from == client)
		return send_all(server, b, (size_t)k);
	if (p->len + (size_t)k > p->cap) {
		size_t cap = (p->len + (size_t)k) * 2;
		unsigned char *grown = realloc(p->buf, cap);
		if (!grown)
			return 0;
		p->buf = grown;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, b, (size_t)k);
	p->len += (size_t)k;
	return from_server(p, client);
}

static void serve_client(pg_proxy *p, int client)
{
	int server = unix_socket(&p->server, 0);
	p->len = 0;
	while (server >= 0 && !atomic_load(&p->stop)) {
		struct pollfd f[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
		if (poll(f, 2, 100) < 0)
			break;
		if ((f[0].revents && !take(p, client, client, server)) ||
		    (f[1].revents && !take(p, server, client, server)))
			break;
	}
	if (server >= 0)
		close(server);
	close(client);
}

static void *run(void *arg)
{
	pg_proxy *p = arg;
	while (!atomic_load(&p->stop)) {
		struct pollfd f = {p->listener, POLLIN, 0};
		if (poll(&f, 1, 100) > 0) {
			int client = accept(p->listener, NULL, NULL);
			if (client >= 0)
				serve_client(p, client);
		}
	}
	return NULL;
}

pg_proxy *pg_proxy_start(PGconn *server, const char *schema, const char *dir, char *uri,
			 size_t n)
{
	pg_proxy *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	atomic_init(&p->answers_left, -1);
	snprintf(p->dir, sizeof p->dir, "%s", dir);
	p->server.sun_family = p->mine.sun_family = AF_UNIX;
	snprintf(p->server.sun_path, sizeof p->server.sun_path, "%s/.s.PGSQL.%s", PQhost(server),
		 PQport(server));
	int len = snprintf(p->mine.sun_path, sizeof p->mine.sun_path, "%s/.s.PGSQL.%s", p->dir,
			   PQport(server));
	/* a socket's path is short (108 bytes): a long one is refused, not cut */
	int fits = strlen(dir) < sizeof p->dir && len > 0 && (size_t)len < sizeof p->mine.sun_path;
	p->listener = fits ? unix_socket(&p->mine, 1) : -1;
	if (p->listener >= 0 && pthread_create(&p->thread, NULL, run, p) == 0) {
		snprintf(uri, n, "postgresql:///%s?host=%s&port=%s&user=%s&schema=%s", PQdb(server),
			 p->dir, PQport(server), PQuser(server), schema);
		return p;
	}
	if (p->listener >= 0) {
		close(p->listener);
		unlink(p->mine.sun_path);
	}
	free(p);
	return NULL;
}

void pg_proxy_lose_answer(pg_proxy *p, int nth)
{
	atomic_store(&p->answers_left, nth - 1);
}

int pg_proxy_lost(pg_proxy *p)
{
	return atomic_load(&p->lost);
}

void pg_proxy_stop(pg_proxy *p)
{
	atomic_store(&p->stop, 1);
	pthread_join(p->thread, NULL);
	close(p->listener);
	unlink(p->mine.sun_path);
	free(p->buf);
	free(p);
}
