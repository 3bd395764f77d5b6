/*
 * writer.c: background load at a fixed rate, with latency probes.
 *
 *   writer DIR RATE SECONDS CASEFILE PROBEFILE PROBE_MS
 *
 * For SECONDS, writes RATE Progress notes a second, round robin over the
 * cases of CASEFILE, as a village terminal busy beyond any real one would:
 * every 5 ms it writes the notes due by then in one durable transaction
 * (bench_write_many: the same signed changes gs_ops_write makes) and pokes
 * the daemon over DIR/control.sock (gs_daemon_poke, as the CLI does).
 * Every PROBE_MS it adds, first in that transaction, a probe: a note on
 * the next case of PROBEFILE (round robin, so no one case grows long and
 * slow to fold) whose text is "probe:<unix µs>", taken before the
 * transaction starts, so a subscriber to a node's PUB socket can compute
 * when it was written. Prints "changes N", "probes P", "seconds S".
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"
#include "gs/daemon.h"
#include "gs/path.h"

#define NOTE_TEXT "巡查走访，已电话联系当事人，约定明日上午到现场再次核实情况。" \
	"bench progress note, a sentence of ordinary length for a grid worker."
#define TICK_S 0.005
#define MAXB   4096

struct draft {
	Gs__Change c;
	Gs__Progress p;
	char note[64];
};

int
main(int argc, char **argv)
{
	static struct draft d[MAXB];
	static Gs__Change *p[MAXB];
	char **cases, **pcases;
	size_t ncases, npcases, next = 0;
	double rate, secs, probe_s, t0, now, next_probe;
	unsigned long long written = 0, probes = 0;
	const char *dir;
	gs_node *node = NULL;
	int rc;

	if (sodium_init() < 0)
		return 2;
	if (argc != 7) {
		fprintf(stderr, "usage: writer DIR RATE SECONDS CASEFILE "
		    "PROBEFILE PROBE_MS\n");
		return 2;
	}
	dir = argv[1];
	rate = atof(argv[2]);
	secs = atof(argv[3]);
	probe_s = atof(argv[6]) / 1000.0;
	cases = bench_read_lines(argv[4], &ncases);
	pcases = bench_read_lines(argv[5], &npcases);
	if ((rc = gs_node_open(dir, 0, &node)) != 0) {
		fprintf(stderr, "%s: %s\n", dir, gs_strerror(rc));
		return 1;
	}
	t0 = bench_now();
	next_probe = t0 + probe_s;
	for (;;) {
		size_t n = 0;
		unsigned long long due;
		struct timespec ts = { 0, (long)(TICK_S * 1e9) };

		now = bench_now();
		if (now - t0 >= secs)
			break;
		if (probe_s > 0 && now >= next_probe) {
			gs__change__init(&d[n].c);
			gs__progress__init(&d[n].p);
			snprintf(d[n].note, sizeof(d[n].note), "probe:%llu",
			    (unsigned long long)bench_wall_us());
			d[n].p.note = d[n].note;
			d[n].c.case_id = pcases[probes % npcases];
			d[n].c.actor = "基准测试";
			d[n].c.body_case = GS__CHANGE__BODY_PROGRESS;
			d[n].c.progress = &d[n].p;
			p[n] = &d[n].c;
			n++;
			probes++;
			next_probe += probe_s;
		}
		due = (unsigned long long)((now - t0) * rate);
		while (written < due && n < MAXB) {
			gs__change__init(&d[n].c);
			gs__progress__init(&d[n].p);
			d[n].p.note = NOTE_TEXT;
			d[n].c.case_id = cases[next++ % ncases];
			d[n].c.actor = "基准测试";
			d[n].c.body_case = GS__CHANGE__BODY_PROGRESS;
			d[n].c.progress = &d[n].p;
			p[n] = &d[n].c;
			n++;
			written++;
		}
		if (n > 0) {
			if ((rc = bench_write_many(node, p, n, NULL)) != 0) {
				fprintf(stderr, "write: %s\n", gs_strerror(rc));
				return 1;
			}
			(void)gs_daemon_poke(dir);
		}
		nanosleep(&ts, NULL);
	}
	printf("changes %llu\nprobes %llu\nseconds %.3f\n", written, probes,
	    bench_now() - t0);
	gs_node_close(&node);
	return 0;
}
