/*
 * mkchanges.c: pre-makes many signed local changes in a node's store.
 *
 *   mkchanges DIR report K CASEFILE     K new cases owned by this node
 *                                       (one Report each); their ids are
 *                                       appended to CASEFILE, one a line
 *   mkchanges DIR whistle CASEFILE      a Whistle on every case of CASEFILE
 *                                       (each must be at this node's level)
 *   mkchanges DIR notes N CASEFILE      N Progress notes, round robin over
 *                                       the cases of CASEFILE
 *
 * Options after the command: --batch B (changes per write transaction,
 * default 1000; 1 writes each change with gs_ops_write as the CLI does),
 * --poke (tell a running daemon after each transaction).
 * Prints "changes N", "env_bytes B" (sum of the sealed envelopes' sizes,
 * batch mode only) and "seconds S".
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "gs/daemon.h"
#include "gs/ops.h"
#include "gs/path.h"

#define NOTE_TEXT "巡查走访，已电话联系当事人，约定明日上午到现场再次核实情况。" \
	"bench progress note, a sentence of ordinary length for a grid worker."

struct draft {
	Gs__Change c;
	union {
		Gs__Report r;
		Gs__Progress p;
		Gs__Whistle w;
	} b;
	char case_id[GS_CASE_ID_MAX_BYTES + 1];
};

static char **cases;
static size_t ncases;
static size_t batch = 1000;
static int poke;
static const char *dir;
static gs_node *node;
static uint64_t env_bytes, written;

static void
load_cases(const char *file)
{
	cases = bench_read_lines(file, &ncases);
}

/* Writes drafts d[0..n): one transaction, or one gs_ops_write each. */
static void
flush(struct draft *d, size_t n)
{
	char err[300];
	uint8_t id[GS_ID_BYTES];
	int rc;

	if (n == 0)
		return;
	if (batch == 1) {
		for (size_t i = 0; i < n; i++) {
			rc = gs_ops_write(node, &d[i].c, id, err, sizeof(err));
			if (rc != 0) {
				fprintf(stderr, "write: %s: %s\n",
				    gs_strerror(rc), err);
				exit(1);
			}
			if (poke)
				(void)gs_daemon_poke(dir);
		}
	} else {
		Gs__Change **p = calloc(n, sizeof(*p));

		if (p == NULL)
			exit(2);
		for (size_t i = 0; i < n; i++)
			p[i] = &d[i].c;
		if ((rc = bench_write_many(node, p, n, &env_bytes)) != 0) {
			fprintf(stderr, "write: %s\n", gs_strerror(rc));
			exit(1);
		}
		free(p);
		if (poke)
			(void)gs_daemon_poke(dir);
	}
	written += n;
}

static void
fill(struct draft *d, const char *verb, size_t i)
{
	memset(d, 0, sizeof(*d));
	gs__change__init(&d->c);
	d->c.actor = "基准测试";
	if (strcmp(verb, "report") == 0) {
		gs__report__init(&d->b.r);
		d->b.r.category = "neighbor";
		d->b.r.title = "宅基地边界纠纷 bench";
		d->b.r.description = "两户因宅基地边界发生争执，村网格员到场调解。";
		d->b.r.grid = "第三网格";
		d->b.r.reporter = "李某";
		d->b.r.severity = 1;
		if (gs_case_id_new(gs_node_path(node), gs_hlc_now_ms(),
		    d->case_id, sizeof(d->case_id)) != 0)
			exit(2);
		d->c.case_id = d->case_id;
		d->c.body_case = GS__CHANGE__BODY_REPORT;
		d->c.report = &d->b.r;
	} else if (strcmp(verb, "whistle") == 0) {
		gs__whistle__init(&d->b.w);
		d->b.w.reason = "村里调解不成，请上级协调";
		d->c.case_id = cases[i % ncases];
		d->c.body_case = GS__CHANGE__BODY_WHISTLE;
		d->c.whistle = &d->b.w;
	} else {
		gs__progress__init(&d->b.p);
		d->b.p.note = NOTE_TEXT;
		d->c.case_id = cases[i % ncases];
		d->c.body_case = GS__CHANGE__BODY_PROGRESS;
		d->c.progress = &d->b.p;
	}
}

int
main(int argc, char **argv)
{
	const char *verb, *casefile;
	size_t n = 0, i, k;
	struct draft *d;
	FILE *out = NULL;
	double t0;
	int argi, rc;

	if (sodium_init() < 0)
		return 2;
	if (argc < 4)
		goto usage;
	dir = argv[1];
	verb = argv[2];
	if (strcmp(verb, "report") == 0 || strcmp(verb, "notes") == 0) {
		if (argc < 5)
			goto usage;
		n = strtoul(argv[3], NULL, 10);
		casefile = argv[4];
		argi = 5;
	} else if (strcmp(verb, "whistle") == 0) {
		casefile = argv[3];
		argi = 4;
	} else
		goto usage;
	for (; argi < argc; argi++) {
		if (strcmp(argv[argi], "--batch") == 0 && argi + 1 < argc)
			batch = strtoul(argv[++argi], NULL, 10);
		else if (strcmp(argv[argi], "--poke") == 0)
			poke = 1;
		else
			goto usage;
	}
	if (batch < 1)
		batch = 1;
	if ((rc = gs_node_open(dir, 0, &node)) != 0) {
		fprintf(stderr, "%s: %s\n", dir, gs_strerror(rc));
		return 1;
	}
	if (strcmp(verb, "report") == 0) {
		if ((out = fopen(casefile, "a")) == NULL) {
			perror(casefile);
			return 2;
		}
	} else {
		load_cases(casefile);
		if (strcmp(verb, "whistle") == 0)
			n = ncases;
	}
	if ((d = calloc(batch, sizeof(*d))) == NULL)
		return 2;
	t0 = bench_now();
	for (i = 0, k = 0; i < n; i++) {
		fill(&d[k], verb, i);
		if (out != NULL)
			fprintf(out, "%s\n", d[k].case_id);
		if (++k == batch) {
			flush(d, k);
			k = 0;
		}
	}
	flush(d, k);
	printf("changes %llu\n", (unsigned long long)written);
	printf("env_bytes %llu\n", (unsigned long long)env_bytes);
	printf("seconds %.3f\n", bench_now() - t0);
	if (out != NULL && fclose(out) != 0)
		return 2;
	free(d);
	gs_node_close(&node);
	return 0;
usage:
	fprintf(stderr, "usage: mkchanges DIR report K CASEFILE | "
	    "mkchanges DIR whistle CASEFILE | mkchanges DIR notes N CASEFILE "
	    "[--batch B] [--poke]\n");
	return 2;
}
