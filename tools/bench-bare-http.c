/*
 * bench-bare-http.c -- the ceiling for `onetrip serve`: libmicrohttpd with
 * the same thread pool and options, answering every request with one fixed
 * 1 KB JSON body and nothing else (no routing, no engine, no store).
 * tools/bench-serve runs wrk against it and against the service in the
 * same run; the service's rate is reported as a share of this one.
 *
 * usage: bench-bare-http PORT-FILE [THREADS]   (listens on 127.0.0.1, any port)
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

static char body[1025];

static enum MHD_Result answer(void *cls, struct MHD_Connection *con, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	(void)cls, (void)url, (void)method, (void)version, (void)upload;
	if (!*con_cls) {
		*con_cls = body;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0; /* read and dropped, as a request body must be */
		return MHD_YES;
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(1024, body, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result ok = MHD_queue_response(con, 200, r);
	MHD_destroy_response(r);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench-bare-http PORT-FILE [THREADS]\n");
		return 2;
	}
	unsigned threads = argc > 2 ? (unsigned)atoi(argv[2]) : 4;
	/* {"pad": "xxx…"} of exactly 1024 bytes */
	memset(body, 'x', 1024);
	memcpy(body, "{\"pad\": \"", 9);
	memcpy(body + 1022, "\"}", 2);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, answer, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a, MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, 1000u, MHD_OPTION_END);
	if (!d)
		return 1;
	FILE *f = fopen(argv[1], "w");
	if (!f)
		return 1;
	fprintf(f, "%u\n", MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
	fclose(f);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGINT);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int sig;
	sigwait(&s, &sig);
	MHD_stop_daemon(d);
	return 0;
}
