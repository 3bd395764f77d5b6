/*
 * multiwriter.c: many village terminals, each writing one Report a period.
 *
 *   multiwriter SECONDS PERIOD_S DIRFILE
 *
 * DIRFILE lists village data dirs, one a line. Every PERIOD_S each village
 * writes one Report (a new case) with gs_ops_write, exactly as `gridnode
 * report` does (one durable transaction and the own-seq mark), then pokes
 * its daemon (gs_daemon_poke); the villages' writes are spread evenly over
 * the period. One process holds every village's node open, so the load is
 * the daemons' work, not 200 CLI start-ups a second. After SECONDS prints
 * one line per write, "W INDEX K T": village INDEX (line of DIRFILE, from
 * 0) wrote its K-th report (from 1) at CLOCK_MONOTONIC time T, then
 * "changes N" and "seconds S".
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"
#include "gs/daemon.h"
#include "gs/ops.h"
#include "gs/path.h"

#define MAXV 1024

struct w {
	unsigned idx, k;
	double t;
};

int
main(int argc, char **argv)
{
	static char *dirs[MAXV];
	static gs_node *nodes[MAXV];
	static unsigned count[MAXV];
	struct w *log = NULL;
	size_t nlog = 0, caplog = 0, nv = 0;
	double secs, period, t0;
	char line[4096], err[300];
	unsigned long long slot = 0;
	FILE *f;
	int rc;

	if (sodium_init() < 0)
		return 2;
	if (argc != 4) {
		fprintf(stderr, "usage: multiwriter SECONDS PERIOD_S DIRFILE\n");
		return 2;
	}
	secs = atof(argv[1]);
	period = atof(argv[2]);
	if ((f = fopen(argv[3], "r")) == NULL) {
		perror(argv[3]);
		return 2;
	}
	while (nv < MAXV && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if ((dirs[nv] = strdup(line)) == NULL)
			return 2;
		if ((rc = gs_node_open(dirs[nv], 0, &nodes[nv])) != 0) {
			fprintf(stderr, "%s: %s\n", dirs[nv], gs_strerror(rc));
			return 1;
		}
		nv++;
	}
	fclose(f);
	if (nv == 0)
		return 2;
	t0 = bench_now();
	for (;;) {
		double due = t0 + (double)slot * period / (double)nv, now;
		unsigned i = (unsigned)(slot % nv);
		Gs__Change c;
		Gs__Report r;
		char case_id[GS_CASE_ID_MAX_BYTES + 1];
		uint8_t id[GS_ID_BYTES];

		if (due - t0 >= secs)
			break;
		while ((now = bench_now()) < due) {
			double d = due - now;
			struct timespec ts = { (time_t)d,
			    (long)((d - (double)(time_t)d) * 1e9) };

			nanosleep(&ts, NULL);
		}
		gs__change__init(&c);
		gs__report__init(&r);
		r.category = "neighbor";
		r.title = "邻里纠纷 bench";
		r.description = "村网格员上报，一分钟一件（加速 60 倍）";
		r.severity = 1;
		if (gs_case_id_new(gs_node_path(nodes[i]), gs_hlc_now_ms(),
		    case_id, sizeof(case_id)) != 0)
			return 2;
		c.case_id = case_id;
		c.actor = "基准测试";
		c.body_case = GS__CHANGE__BODY_REPORT;
		c.report = &r;
		now = bench_now();
		if ((rc = gs_ops_write(nodes[i], &c, id, err, sizeof(err))) != 0) {
			fprintf(stderr, "%s: %s: %s\n", dirs[i], gs_strerror(rc),
			    err);
			return 1;
		}
		(void)gs_daemon_poke(dirs[i]);
		if (nlog == caplog) {
			caplog = caplog ? caplog * 2 : 4096;
			if ((log = realloc(log, caplog * sizeof(*log))) == NULL)
				return 2;
		}
		log[nlog].idx = i;
		log[nlog].k = ++count[i];
		log[nlog].t = now;
		nlog++;
		slot++;
	}
	for (size_t k = 0; k < nlog; k++)
		printf("W %u %u %.6f\n", log[k].idx, log[k].k, log[k].t);
	printf("changes %zu\nseconds %.3f\n", nlog, bench_now() - t0);
	for (size_t k = 0; k < nv; k++)
		gs_node_close(&nodes[k]);
	free(log);
	return 0;
}
