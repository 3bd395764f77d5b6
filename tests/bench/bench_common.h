/*
 * bench_common.h: what the benchmark programs share: a clock, and writing
 * many local changes fast.
 *
 * gs_ops_write signs, applies and commits one change per durable
 * transaction and rewrites DIR/own.seq (two fsyncs, about a millisecond
 * here), far too slow to pre-make 100,000 changes. bench_write_many does
 * what ops does for a whole batch at once: it reads the origin's seq, prev
 * and HLC from meta, seals each draft in turn with gs_ops_seal (the one
 * gs_ops_write uses), chaining seq, prev and HLC, applies them all with
 * gs_apply_batch in one write transaction (apply advances own_seq,
 * own_prev and hlc for changes of this node's origin), commits, then
 * writes the own-seq mark.
 * The changes are exactly what gs_ops_write would have made; only the
 * transaction boundaries differ.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gs/apply.h"
#include "gs/change.h"
#include "gs/error.h"
#include "gs/hlc.h"
#include "gs/node.h"
#include "gs/ops.h"
#include "gs/store.h"

static inline double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall clock in microseconds (comparable across processes). */
static inline uint64_t
bench_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Seals drafts[0..n) as this node's next n changes and applies them in
 * one write transaction. *env_bytes (may be NULL) is added the sealed
 * envelopes' sizes. Every change must apply (GS_APPLIED), else GS_EINVAL
 * with a line on stderr. */
static inline int
bench_write_many(gs_node *node, Gs__Change **drafts, size_t n,
    uint64_t *env_bytes)
{
	uint8_t **bufs = calloc(n, sizeof(*bufs));
	size_t *lens = calloc(n, sizeof(*lens));
	struct gs_apply_result *res = calloc(n, sizeof(*res));
	uint8_t prev[GS_ID_BYTES], id[GS_ID_BYTES];
	uint64_t seq = 0, hlc = 0;
	gs_txn *t = NULL;
	const char *why = NULL;
	int rc;

	if (bufs == NULL || lens == NULL || res == NULL) {
		rc = GS_ENOMEM;
		goto out;
	}
	if ((rc = gs_txn_begin(gs_node_store(node), 1, &t)) != 0)
		goto out;
	if ((rc = gs_meta_get_u64(t, "own_seq", &seq)) != 0 &&
	    rc != GS_ENOTFOUND)
		goto out;
	if (seq > 0 && (rc = gs_meta_get_bytes(t, "own_prev", prev,
	    GS_ID_BYTES)) != 0)
		goto out;
	if ((rc = gs_meta_get_u64(t, "hlc", &hlc)) != 0 && rc != GS_ENOTFOUND)
		goto out;
	rc = 0;
	for (size_t i = 0; i < n; i++) {
		rc = gs_ops_seal(node, drafts[i], seq, prev, &hlc, &bufs[i],
		    &lens[i], id, &why);
		if (rc != 0) {
			fprintf(stderr, "seal: %s\n", why ? why : gs_strerror(rc));
			goto out;
		}
		if (env_bytes != NULL)
			*env_bytes += lens[i];
		memcpy(prev, id, GS_ID_BYTES);
		seq++;
	}
	if ((rc = gs_apply_batch(node, t, (const uint8_t *const *)bufs, lens,
	    n, res, NULL)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (res[i].status != GS_APPLIED) {
			fprintf(stderr, "change %zu not applied: status %d %s\n",
			    i, (int)res[i].status, res[i].reason);
			rc = GS_EINVAL;
			goto out;
		}
	if ((rc = gs_txn_commit(&t)) != 0)
		goto out;
	rc = gs_node_mark_put(node, seq);
out:
	gs_txn_abort(&t);
	if (bufs != NULL)
		for (size_t i = 0; i < n; i++)
			free(bufs[i]);
	free(bufs);
	free(lens);
	free(res);
	return rc;
}

/* The non-empty lines of file (a list of case ids), malloc'd; exits 2
 * when the file cannot be read or holds none. */
static inline char **
bench_read_lines(const char *file, size_t *np)
{
	char **v = NULL, line[512];
	size_t n = 0, cap = 0;
	FILE *f;

	if ((f = fopen(file, "r")) == NULL) {
		perror(file);
		exit(2);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((v = realloc(v, cap * sizeof(*v))) == NULL)
				exit(2);
		}
		if ((v[n++] = strdup(line)) == NULL)
			exit(2);
	}
	fclose(f);
	if (n == 0) {
		fprintf(stderr, "%s: no cases\n", file);
		exit(2);
	}
	*np = n;
	return v;
}

#endif
