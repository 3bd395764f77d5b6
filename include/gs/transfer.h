/*
 * transfer.h: export and import of signed-envelope files.
 *
 * How a village with no link at all syncs (USB stick), and how changes move
 * between nodes in tests. A file is the 8-byte magic "GSFEED01", the
 * exporter's feed seq it covers up to (u64 big-endian), then records of a
 * u32 big-endian length and that many Envelope bytes (at most
 * GS_ENVELOPE_MAX_BYTES). Envelopes are signed by their origins, so the
 * file itself needs no signature. Import reads and frames the whole file
 * first and refuses it whole when the framing is broken; each envelope is
 * then judged on its own by gs_apply_batch, GS_TRANSFER_BATCH per
 * transaction.
 */
#ifndef GS_TRANSFER_H
#define GS_TRANSFER_H

#include <stdint.h>
#include <stdio.h>

#include "gs/apply.h"
#include "gs/node.h"

#define GS_TRANSFER_MAGIC      "GSFEED01"
#define GS_TRANSFER_BATCH      256
#define GS_TRANSFER_MAX_BYTES  ((uint64_t)1 << 31)  /* refuse larger files */

struct gs_export_stats {
	uint64_t changes;  /* records written */
	uint64_t upto;     /* last feed seq examined: the next --since */
};

/* Writes to f the changes held with feed seq > since that the node at
 * for_path may see (DESIGN.md §4). When a case is visible, its whole
 * history is written, so the receiver folds a complete case (backfill).
 * for_path NULL writes everything held. */
int gs_transfer_export(gs_node *n, const char *for_path, uint64_t since,
    FILE *f, struct gs_export_stats *st);

/* Called once per envelope with its verdict; may be NULL. */
typedef void gs_transfer_result_fn(void *arg,
    const struct gs_apply_result *r);

/* Reads file and applies it. GS_EBADMSG (broken framing or magic) and
 * GS_EIO/GS_ETOOBIG leave the store untouched. Store errors stop the import;
 * batches already committed stay (each is whole). */
int gs_transfer_import(gs_node *n, const char *file, struct gs_apply_stats *st,
    gs_transfer_result_fn *fn, void *arg);

#endif
