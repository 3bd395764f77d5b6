/*
 * sync.h: the store-and-forward protocol engine (docs/protocol.md).
 *
 * Knows frames, checkpoints, windows and scope; knows nothing of sockets.
 * The daemon hands it each received frame with the neighbour it came from
 * (already authenticated by the transport), and gives it a send function.
 * Every batch received is applied through gs_apply_batch_from in one write
 * transaction together with the neighbour's checkpoint, then acknowledged.
 * Each neighbour's stream of our feed is filtered by what it may hold
 * (DESIGN.md §4) with backfill when a change makes a case newly visible to
 * it, and never carries a change back to the neighbour it came from.
 *
 * Single-threaded: call from the daemon loop only.
 */
#ifndef GS_SYNC_H
#define GS_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gs/node.h"

#define GS_SYNC_VERSION          1
#define GS_SYNC_FRAME_MAX_BYTES  (16u << 20)  /* ZMQ_MAXMSGSIZE too */
#define GS_SYNC_BATCH_SOFT_BYTES (1u << 20)   /* a batch stops growing here */
#define GS_SYNC_SCAN_MAX         8192         /* feed entries per batch */

typedef struct gs_sync gs_sync;
typedef struct gs_peer gs_peer;

/* Sends one frame to peer. Returns 0, or a negative value when the peer
 * cannot be reached (the engine then marks the link down). */
typedef int gs_sync_send_fn(void *arg, gs_peer *p, const uint8_t *buf,
    size_t len);

struct gs_sync_opts {
	uint32_t batch_max;     /* envelopes per batch */
	uint32_t window;        /* unacked batches in flight */
	uint32_t heartbeat_ms;
	uint32_t timeout_ms;    /* silence before the link counts as down */
};

/* Upper bounds (microseconds) of the histogram of the time a received
 * batch takes to verify, apply and commit; a last bucket holds the rest. */
#define GS_SYNC_BATCH_BUCKETS 8
#define GS_SYNC_BATCH_BOUNDS_US \
	{ 1000, 5000, 10000, 25000, 50000, 100000, 250000, 1000000 }

/* Counters for logs and metrics. */
struct gs_sync_stats {
	uint64_t batches_in, batches_out, changes_in, changes_out;
	uint64_t applied, rejected, bad_frames;
	uint64_t batch_hist[GS_SYNC_BATCH_BUCKETS + 1];   /* not cumulative */
	uint64_t batch_us_sum;
};

int gs_sync_new(gs_node *n, const struct gs_sync_opts *o,
    gs_sync_send_fn *send, void *arg, gs_sync **out);
void gs_sync_destroy(gs_sync **s);

/* The neighbour at path, added (down) on first use; NULL on ENOMEM.
 * parent: it is this node's parent (we dial it and speak first). */
gs_peer *gs_sync_peer(gs_sync *s, const char *path, bool parent);

/* Finds a known neighbour; NULL when none. */
gs_peer *gs_sync_find(gs_sync *s, const char *path);

const char *gs_peer_path(const gs_peer *p);
bool gs_peer_up(const gs_peer *p);

/* (Re)starts the session with a parent: sends HELLO. */
int gs_sync_hello(gs_sync *s, gs_peer *p, uint64_t now_ms);

/* Handles one frame from p. Bad frames are answered with an ERROR frame
 * and counted; they never stop the engine. Returns 0 or a store error
 * (GS_EFULL, GS_EIO) the daemon must treat as fatal for the node.
 *
 * A BATCH is kept in hand while the verify pool checks its signatures.
 * Following batches of the same stream join it (up to 8, applied as one
 * transaction with one ACK); any other call into the engine applies,
 * commits and ACKs what is in hand first (a batch that does not join has
 * its checks overlap that commit), at the latest gs_sync_settle or
 * gs_sync_tick. */
int gs_sync_input(gs_sync *s, gs_peer *p, const uint8_t *buf, size_t len,
    uint64_t now_ms);

/* Applies the batch in hand, if any (see gs_sync_input). Call once the
 * frames waiting on the transport are read. 0 or a store error. */
int gs_sync_settle(gs_sync *s, uint64_t now_ms);

/* Settles, then heartbeats, timeouts, re-HELLO, and sending what is due
 * to every neighbour; persists link status at most once a second when it
 * changed, every 10 s when only last_seen moved. Call after every poll.
 * Returns 0 or a store error. */
int gs_sync_tick(gs_sync *s, uint64_t now_ms);

/* The transport lost p (or its send failed). */
void gs_sync_down(gs_sync *s, gs_peer *p, const char *why, uint64_t now_ms);

/* At shutdown: marks every link down and writes their status. */
int gs_sync_stop(gs_sync *s, uint64_t now_ms);

const struct gs_sync_stats *gs_sync_stats(const gs_sync *s);

#endif
