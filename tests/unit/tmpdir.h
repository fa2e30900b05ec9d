/*
 * tmpdir.h -- the unit tests' temporary directories: one directory a
 * process, removed with everything in it when the process ends.
 *
 * test_tmpdir("name", dir, sizeof dir) makes a new, empty directory for a
 * test, <root>/nameXXXXXX.  The first call makes the root,
 * ${TMPDIR:-/tmp}/ot_<program>_XXXXXX (the program's name: whose it is,
 * if one is ever left).  The state is static, so a file of its own has
 * its own root: a second file of a test program takes its directories
 * from the test (pg_proxy_start).
 *
 * Whatever ends the process, the root goes:
 *  - exit, and main returning: an atexit handler removes it.  A failing
 *    cmocka test does not skip it: fail() longjmps back into cmocka's
 *    runner, which goes on with the next test and returns from main (and
 *    a failure outside a test exits); the cleanup is in no test's path.
 *  - what never reaches atexit: a signal (SIGINT, SIGTERM, ctest's SIGKILL
 *    at a timeout, a crash), abort(), a sanitizer's report (it ends with
 *    _exit): a watcher removes it.  The first call forks it (twice: the
 *    test has no child of it to wait for) in a session of its own (a
 *    terminal's Ctrl-C does not reach it), holding the read end of a pipe
 *    whose write end only the test holds, close-on-exec.  When the test
 *    process is gone the pipe is closed, and the watcher runs rm -rf on
 *    the root (after a clean exit: on nothing, or on what the atexit
 *    handler could not remove).  A child the test forks holds the write
 *    end too: the root stays until the last of them is gone.
 *  - only the process that made it removes it at exit: a forked child
 *    leaves its parent's directory in place.
 * Not covered: the watcher killed too (it is in no process group of the
 * test's), the machine stopping.
 *
 * OT_TEST_KEEP=1 keeps the root (no watcher) and prints its path at exit:
 * for a look at what a failing test left.
 *
 * Not thread-safe: the first call, which makes the root, is a test's own,
 * before it starts threads.
 */
#ifndef OT_TEST_TMPDIR_H
#define OT_TEST_TMPDIR_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

typedef struct test_tmp {
	char root[256];
	pid_t owner;
} test_tmp;

static inline test_tmp *test_tmp_state(void)
{
	static test_tmp t = {"", 0};
	return &t;
}

static inline int test_tmp_remove(const char *path, const struct stat *st, int flag,
				  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static inline void test_tmp_cleanup(void)
{
	test_tmp *t = test_tmp_state();
	if (getpid() != t->owner)
		return;
	if (getenv("OT_TEST_KEEP")) {
		fprintf(stderr, "OT_TEST_KEEP: the test's files are in %s\n", t->root);
		return;
	}
	nftw(t->root, test_tmp_remove, 16, FTW_DEPTH | FTW_PHYS);
}

/* The watcher: see the top.  Between the fork and the exec only
 * async-signal-safe calls, as the test may have threads. */
static inline void test_tmp_watch(test_tmp *t)
{
	char rm[] = "rm", rf[] = "-rf", end[] = "--";
	char *argv[] = {rm, rf, end, t->root, NULL}, *envp[] = {NULL};
	long fds = sysconf(_SC_OPEN_MAX);
	if (fds < 0 || fds > 4096)
		fds = 4096;
	int p[2];
	if (pipe(p) != 0)
		return;
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	pid_t pid = fork();
	if (pid == 0) {
		if (fork() != 0)
			_exit(0);
		setsid();
		if (chdir("/") != 0)
			_exit(1);
		for (int fd = 0; fd < fds; fd++)
			if (fd != p[0])
				close(fd);
		char c;
		ssize_t n;
		while ((n = read(p[0], &c, 1)) > 0 || (n < 0 && errno == EINTR))
			;
		if (n == 0) /* every holder of the write end is gone */
			execve("/bin/rm", argv, envp);
		_exit(1);
	}
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return;
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	/* p[1] stays open, unused, until the process ends */
}

/* The process's root, made by the first call. */
static inline const char *test_tmp_root(void)
{
	test_tmp *t = test_tmp_state();
	if (t->root[0])
		return t->root;
	const char *base = getenv("TMPDIR");
	if (!base || base[0] != '/') /* the watcher runs in / */
		base = "/tmp";
	char prog[16] = "test";
	FILE *f = fopen("/proc/self/comm", "r");
	if (f) {
		if (fgets(prog, sizeof prog, f)) {
			size_t i = 0;
			while (prog[i] && (prog[i] == '_' || prog[i] == '-' ||
					   (prog[i] >= '0' && prog[i] <= '9') ||
					   (prog[i] >= 'a' && prog[i] <= 'z') ||
					   (prog[i] >= 'A' && prog[i] <= 'Z')))
				i++;
			prog[i] = 0;
		}
		fclose(f);
	}
	int n = snprintf(t->root, sizeof t->root, "%s/ot_%s_XXXXXX", base, prog);
	if (n < 0 || (size_t)n >= sizeof t->root || !mkdtemp(t->root)) {
		fprintf(stderr, "test_tmpdir: cannot make a directory in %s: %s\n", base,
			n < 0 || (size_t)n >= sizeof t->root ? "too long a path" : strerror(errno));
		t->root[0] = 0;
		fail();
	}
	t->owner = getpid();
	atexit(test_tmp_cleanup);
	if (!getenv("OT_TEST_KEEP"))
		test_tmp_watch(t);
	return t->root;
}

/* A new, empty directory for a test, <root>/nameXXXXXX, written into dir
 * (cap bytes); returns dir.  The test fails if it cannot be made. */
static inline const char *test_tmpdir(const char *name, char *dir, size_t cap)
{
	const char *root = test_tmp_root();
	int n = snprintf(dir, cap, "%s/%sXXXXXX", root, name);
	if (n < 0 || (size_t)n >= cap || !mkdtemp(dir)) {
		fprintf(stderr, "test_tmpdir: cannot make %s/%sXXXXXX: %s\n", root, name,
			n < 0 || (size_t)n >= cap ? "too long a path" : strerror(errno));
		fail();
	}
	return dir;
}

#endif
