/*
 * feedwait.c: waits until stores hold enough changes, cheaply.
 *
 *   feedwait TIMEOUT_S DIR:COUNT [DIR:COUNT ...]
 *
 * Every 5 ms opens a read transaction on each store not yet done and
 * counts its `changes` database (an O(1) LMDB stat), until every DIR holds
 * at least COUNT changes. Prints "reached T" with T the CLOCK_MONOTONIC
 * time (seconds, comparable with Python's time.monotonic()) of the poll
 * that saw the last one reach its count, then "DIR N" per store; exits 1
 * with the counts on timeout. A spawned `gridnode whoami` per poll costs
 * far more CPU, which the daemons being measured would miss.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"

#define MAXS 64

int
main(int argc, char **argv)
{
	gs_store *s[MAXS];
	uint64_t want[MAXS], have[MAXS];
	char *dirs[MAXS];
	int done[MAXS], ns = argc - 2, left, rc;
	double end, reached = 0;

	if (argc < 3 || ns > MAXS) {
		fprintf(stderr, "usage: feedwait TIMEOUT_S DIR:COUNT ...\n");
		return 2;
	}
	end = bench_now() + atof(argv[1]);
	for (int i = 0; i < ns; i++) {
		char *colon = strrchr(argv[i + 2], ':');

		if (colon == NULL)
			return 2;
		*colon = '\0';
		dirs[i] = argv[i + 2];
		want[i] = strtoull(colon + 1, NULL, 10);
		have[i] = 0;
		done[i] = 0;
		if ((rc = gs_store_open(dirs[i], 0, &s[i])) != 0) {
			fprintf(stderr, "%s: %s\n", dirs[i], gs_strerror(rc));
			return 2;
		}
	}
	left = ns;
	for (;;) {
		struct timespec ts = { 0, 5000000 };

		for (int i = 0; i < ns; i++) {
			gs_txn *t = NULL;

			if (done[i])
				continue;
			if (gs_txn_begin(s[i], 0, &t) == 0) {
				(void)gs_store_count(t, GS_DB_CHANGES, &have[i]);
				gs_txn_abort(&t);
			}
			if (have[i] >= want[i]) {
				done[i] = 1;
				left--;
			}
		}
		if (left == 0) {
			reached = bench_now();
			break;
		}
		if (bench_now() > end)
			break;
		nanosleep(&ts, NULL);
	}
	if (left == 0)
		printf("reached %.6f\n", reached);
	for (int i = 0; i < ns; i++) {
		printf("%s %llu\n", dirs[i], (unsigned long long)have[i]);
		gs_store_close(&s[i]);
	}
	return left == 0 ? 0 : 1;
}
