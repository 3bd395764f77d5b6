/*
 * metrics.h: the daemon's Prometheus metrics (docs/api.md, "Metrics").
 *
 * Counters of changes applied since the daemon started, by where they came
 * from, are kept by walking the feed forward at each scrape; everything
 * else is read from the store (rejects by reason, links, cases, size) or
 * from the sync engine's counters (batch latency).
 */
#ifndef GS_METRICS_H
#define GS_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "gs/node.h"
#include "gs/sync.h"

enum gs_metrics_source { GS_SRC_LOCAL, GS_SRC_LINK, GS_SRC_FILE, GS_SRC__N };

struct gs_metrics {
	uint64_t feed_upto;              /* feed entries counted */
	uint64_t applied[GS_SRC__N];
};

/* Starts counting at the feed's end. 0 or a store error. */
int gs_metrics_init(struct gs_metrics *m, gs_node *n);

/* Writes the metrics in the Prometheus text format. st may be NULL. 0 or
 * a store error (what was written so far stays). */
int gs_metrics_write(FILE *f, gs_node *n, struct gs_metrics *m,
    const struct gs_sync_stats *st);

#endif
