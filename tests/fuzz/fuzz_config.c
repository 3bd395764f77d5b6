/*
 * fuzz_config.c: the files a node reads: its INI configuration and
 * deadlines file, a join bundle, and an export file.
 *
 * Input: byte 0 chooses, the rest is the file's bytes (written to a
 * scratch file):
 *   0  gs_config_load, then gs_config_deadlines for every category and
 *      an unknown one, and gs_config_check_due_day, all on that file;
 *   1  a join bundle: `gridnode join FILE --data DIR` (gs_cli_main) on a
 *      fresh node at q/c/x with X's key, trusting Q, that holds nothing
 *      yet: the bundle checks and the Member chain's apply live in the
 *      CLI's static code, so the harness goes through the CLI's door;
 *   2  an export file: gs_transfer_import on the town q/c holding the
 *      world's Members.
 * (byte 0 modulo 3.) Modes 1 and 2 write to their store, which is put
 * back from a copy before every such input. stdout and stderr of the CLI
 * go to /dev/null (libFuzzer and the sanitizers keep the real stderr)
 * unless FZ_VERBOSE is set in the environment.
 *
 * Invariants (a violation aborts): a config that loads has its values in
 * the documented ranges; deadlines are positive and due days in 1..28;
 * the import never fails with a store error.
 */
#include "fuzz_common.h"

#include "gs/category.h"
#include "gs/cli.h"
#include "gs/config.h"
#include "gs/transfer.h"

static char file[PATH_MAX], join_dir[PATH_MAX], imp_dir[PATH_MAX];
static struct fz_snap join_snap, imp_snap;
static bool verbose;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base;
	FILE *null;
	gs_node *n;

	(void)argc;
	(void)argv;
	base = fz_start("config");
	snprintf(file, sizeof(file), "%s/input", base);
	snprintf(join_dir, sizeof(join_dir), "%s/village", base);
	snprintf(imp_dir, sizeof(imp_dir), "%s/town", base);
	n = fz_node_make(join_dir, FZ_X, 0);
	gs_node_close(&n);
	fz_snap_save(join_dir, &join_snap);
	n = fz_node_make(imp_dir, FZ_C, 5);
	gs_node_close(&n);
	fz_snap_save(imp_dir, &imp_snap);
	/* The CLI prints; glibc's stdout and stderr are plain variables.
	 * libFuzzer writes through its own copy of the old stderr, and the
	 * sanitizers to fd 2, so findings still show. */
	if ((verbose = getenv("FZ_VERBOSE") != NULL))
		return 0;
	if ((null = fopen("/dev/null", "w")) == NULL)
		fz_die("/dev/null", errno);
	stdout = null;
	stderr = null;
	return 0;
}

static void
config(void)
{
	static const char *const extra[] = { "nosuch", "", "safety " };
	const struct gs_category *cats;
	struct gs_config c;
	char err[256];
	double ack, res;
	size_t ncats;
	int day, rc;

	rc = gs_config_load(file, &c, err, sizeof(err));
	FZ_ASSERT(rc == 0 || rc == GS_EINVAL);
	if (rc == 0) {
		FZ_ASSERT(c.heartbeat_ms >= 50 && c.heartbeat_ms <= 600000);
		FZ_ASSERT(c.timeout_ms >= 2 * c.heartbeat_ms);
		FZ_ASSERT(c.batch_max >= 1 && c.batch_max <= 4096);
		FZ_ASSERT(c.window >= 1 && c.window <= 64);
		FZ_ASSERT(c.auto_whistle_hours >= 0 &&
		    c.auto_whistle_hours <= 8784);
		FZ_ASSERT(strlen(c.listen) < GS_ENDPOINT_MAX_BYTES &&
		    strlen(c.parent_endpoint) < GS_ENDPOINT_MAX_BYTES);
	}
	cats = gs_category_all(&ncats);
	for (size_t i = 0; i < ncats; i++) {
		rc = gs_config_deadlines(file, cats[i].key, &ack, &res, err,
		    sizeof(err));
		FZ_ASSERT(rc == 0 || rc == GS_EINVAL);
		FZ_ASSERT(ack > 0 && res > 0);
	}
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		rc = gs_config_deadlines(file, extra[i], &ack, &res, err,
		    sizeof(err));
		FZ_ASSERT(rc == 0 || rc == GS_EINVAL);
	}
	rc = gs_config_check_due_day(file, &day, err, sizeof(err));
	FZ_ASSERT(rc == 0 || rc == GS_EINVAL);
	FZ_ASSERT(day >= 1 && day <= 28);
}

static void
join(void)
{
	char *argv[] = { fz_unconst("gridnode"), fz_unconst("join"), file,
	    fz_unconst("--data"), join_dir, NULL };
	int rc;

	fz_snap_restore(join_dir, &join_snap);
	rc = gs_cli_main(5, argv);
	if (verbose)
		fprintf(stderr, "join: exit %d\n", rc);
	FZ_ASSERT(rc == GS_CLI_OK || rc == GS_CLI_FAIL);
}

static void
import(void)
{
	struct gs_apply_stats st;
	gs_node *n = NULL;
	int rc;

	fz_snap_restore(imp_dir, &imp_snap);
	if ((rc = gs_node_open(imp_dir, FZ_MAP, &n)) != 0)
		fz_die("gs_node_open", rc);
	memset(&st, 0, sizeof(st));
	rc = gs_transfer_import(n, file, &st, NULL, NULL);
	if (verbose)
		fprintf(stderr, "import: %d, applied %llu rejected %llu\n", rc,
		    (unsigned long long)st.applied,
		    (unsigned long long)st.rejected);
	FZ_ASSERT(rc == 0 || rc == GS_EBADMSG || rc == GS_ETOOBIG);
	gs_node_close(&n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	fz_write_file(file, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		config();
		break;
	case 1:
		join();
		break;
	default:
		import();
	}
	return 0;
}
