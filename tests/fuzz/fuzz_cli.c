/*
 * fuzz_cli.c: gridnode's command line where it takes free text.
 *
 * Input: byte 0 picks the node (even: the village q/c/x, odd: the town
 * q/c, both holding the fixed world's history), the rest is split on NUL
 * bytes into arguments: the verb, then its options and operands. The
 * harness runs gs_cli_main(gridnode VERB --data DIR ARGS...).
 *
 * To stay harmless, only verbs that read or write the node's own store
 * run (the case and record verbs, the read verbs, revoke, rollup, help);
 * never run, init, join, enroll, export or import, which start a daemon
 * or touch files named on the command line. An argument starting with
 * --data ends the input, so the store is always the scratch one. Writes
 * commit, so the node's directory is put back from a copy before every
 * input. stdout and stderr of the CLI go to /dev/null (libFuzzer and the
 * sanitizers keep the real stderr) unless FZ_VERBOSE is set in the
 * environment.
 *
 * Invariant (a violation aborts): the exit status is 0, 1 or 2.
 */
#include "fuzz_common.h"

#include "gs/cli.h"

#define ARGS_MAX 48

static const char *const verbs[] = {
	"report", "progress", "whistle", "return", "dispatch", "ack", "resolve",
	"followup", "reopen", "supervise", "notice", "read", "check", "checks",
	"list", "show", "stats", "notices", "categories", "verify", "digest",
	"rejects", "whoami", "peers", "rollup", "revoke", "help", "--help",
};

static char dirs[2][PATH_MAX];
static struct fz_snap snaps[2];
static bool verbose;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base;
	FILE *null;
	gs_node *n;

	(void)argc;
	(void)argv;
	base = fz_start("cli");
	snprintf(dirs[0], sizeof(dirs[0]), "%s/village", base);
	snprintf(dirs[1], sizeof(dirs[1]), "%s/town", base);
	for (int i = 0; i < 2; i++) {
		n = fz_node_make(dirs[i], i == 0 ? FZ_X : FZ_C, fz_nhist);
		gs_node_close(&n);
		fz_snap_save(dirs[i], &snaps[i]);
	}
	/* See fuzz_config.c: glibc's stdout and stderr are variables. */
	if ((verbose = getenv("FZ_VERBOSE") != NULL))
		return 0;
	if ((null = fopen("/dev/null", "w")) == NULL)
		fz_die("/dev/null", errno);
	stdout = null;
	stderr = null;
	return 0;
}

static bool
allowed(const char *verb)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verb, verbs[i]) == 0)
			return true;
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[ARGS_MAX + 5], *buf;
	const char *dir;
	size_t off;
	int argc = 0, rc;

	if (size < 2)
		return 0;
	dir = dirs[data[0] & 1];
	/* A copy with a NUL after the last argument. */
	if ((buf = malloc(size)) == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	argv[argc++] = fz_unconst("gridnode");
	for (off = 0; off < size - 1 && argc < ARGS_MAX + 2; ) {
		char *a = buf + off;

		if (strncmp(a, "--data", 6) == 0)
			goto out;
		argv[argc++] = a;
		/* The verb first, then the scratch store, then the rest. */
		if (argc == 2) {
			if (!allowed(a))
				goto out;
			argv[argc++] = fz_unconst("--data");
			argv[argc++] = fz_unconst(dir);
		}
		off += strlen(a) + 1;
	}
	if (argc < 2)
		goto out;
	argv[argc] = NULL;
	setenv("GRIDNODE_DATA", dir, 1);
	fz_snap_restore(dir, &snaps[data[0] & 1]);
	rc = gs_cli_main(argc, argv);
	if (verbose)
		fprintf(stderr, "%s: exit %d\n", argv[1], rc);
	FZ_ASSERT(rc == GS_CLI_OK || rc == GS_CLI_FAIL || rc == GS_CLI_USAGE);
out:
	free(buf);
	return 0;
}
