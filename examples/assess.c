/*
 * assess.c -- onetrip from a C program: what does an application need,
 * then file it.
 *
 * Opens an engine on the bundled rule base and a new store in a temporary
 * directory, asks what one application of 门诊慢特病待遇资格认定
 * (chronic_disease_recognition) needs (ot_assess: the doctor's diagnosis
 * and the hospital records are missing), hands them in with the submission
 * (ot_submit), and prints both answers as the engine gives them: JSON.
 *
 *   cc assess.c $(pkg-config --cflags --libs onetrip) -o assess
 *   ./assess [RULES]     RULES: the rule base, default "rules" (run from
 *                        the source tree)
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <onetrip.h>

/* The application without its papers; the ID card is shared by the
 * government's own database, the rest the applicant hands in. */
#define APPLICATION                                                                      \
	"\"item\": \"chronic_disease_recognition\", \"now\": \"2024-03-04T09:00\","      \
	" \"applicant\": {\"kind\": \"person\", \"id\": \"210304195903120024\","         \
	"               \"name\": \"赵秀兰\"},"                                          \
	" \"form\": {\"name\": \"赵秀兰\", \"id_no\": \"210304195903120024\","           \
	"          \"disease_name\": \"高血压\", \"insured_kind\": \"resident_scheme\"," \
	"          \"has_inpatient\": true}"

static const char assess_request[] = "{" APPLICATION "}";
static const char submit_request[] =
	"{" APPLICATION ", \"materials\": [\"medical_diagnosis\", \"medical_records\"]}";

typedef ot_status operation(ot_engine *e, const char *request, char **response, ot_error *err);

/* Runs one operation and prints its answer; 0 on success. */
static int run(ot_engine *e, const char *name, operation *op, const char *request)
{
	char *response = NULL;
	ot_error err;
	if (op(e, request, &response, &err) != OT_OK) {
		fprintf(stderr, "%s: %s (%s)\n", name, err.message, ot_status_name(err.status));
		return 1;
	}
	printf("%s: %s\n", name, response);
	free(response); /* the engine's strings come from malloc */
	return 0;
}

/* Removes the store and its directory (SQLite's -wal and -shm files are
 * gone once the engine is closed, but a crash may leave them). */
static void remove_store(const char *dir, const char *db)
{
	static const char *const ext[] = {"", "-wal", "-shm"};
	char path[4096];
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		snprintf(path, sizeof path, "%s%s", db, ext[i]);
		remove(path);
	}
	rmdir(dir);
}

int main(int argc, char **argv)
{
	const char *rules = argc > 1 ? argv[1] : "rules";
	/* a library replaced under the program: refuse another major version */
	if (ot_version_number() / 1000000 != OT_VERSION_NUMBER / 1000000) {
		fprintf(stderr, "built with onetrip %s, running with %s\n", OT_VERSION, ot_version());
		return 1;
	}
	printf("onetrip %s\n", ot_version());

	const char *tmp = getenv("TMPDIR");
	char dir[4096], db[4096 + 16];
	snprintf(dir, sizeof dir, "%s/onetrip-example-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror(dir);
		return 1;
	}
	snprintf(db, sizeof db, "%s/cases.db", dir);

	ot_engine *e = NULL;
	ot_error err;
	if (ot_engine_open(rules, db, &e, &err) != OT_OK) {
		fprintf(stderr, "%s\n", err.message);
		remove_store(dir, db);
		return 1;
	}
	int failed = run(e, "assess", ot_assess, assess_request) ||
		     run(e, "submit", ot_submit, submit_request);
	ot_engine_close(e);
	remove_store(dir, db);
	return failed;
}
