/*
 * apply.h: the single door through which any change reaches state.
 *
 * Local writes, imported files and (later) the network all call
 * gs_apply_batch inside one write transaction the caller commits. For each
 * envelope, in this order: the same envelope bytes rejected before (a
 * duplicate), size caps and framing, dedupe by change id (already held or
 * pending), signature over the received bytes,
 * unpack and field bounds, signer lookup in the roster (an unknown signer:
 * held as pending, not folded), the static authority check (a failure:
 * stored in `rejects` with its reason), then store, index, append to the
 * feed, enrol or revoke. At the end of the batch, held changes whose signer
 * became known are judged again, and every touched case is folded afresh
 * (all cases after a Revoke). Nothing here depends on arrival order.
 *
 * On a store error (GS_EFULL, GS_EIO) the batch stops and the caller must
 * abort the transaction: nothing of the batch is written.
 */
#ifndef GS_APPLY_H
#define GS_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gs/change.h"
#include "gs/node.h"
#include "gs/store.h"

enum gs_apply_status {
	GS_APPLIED = 0,
	GS_DUPLICATE,   /* already held or pending, or these bytes were rejected */
	GS_PENDING,     /* valid signature by a key not (yet) in the roster */
	GS_REJECTED     /* wrong by itself; recorded in `rejects` */
};

struct gs_apply_result {
	enum gs_apply_status status;
	int     code;                   /* GS_E* for GS_REJECTED */
	char    reason[160];            /* for GS_REJECTED */
	uint8_t id[GS_ID_BYTES];        /* change id; for unreadable bytes, their hash */
};

struct gs_apply_stats {
	uint64_t applied, duplicate, pending, rejected;
	uint64_t released;   /* held changes applied because their signer became known */
	uint64_t released_rejected;
};

/* Applies n envelopes (bufs[i], lens[i]) in transaction t. res may be NULL,
 * else it receives one result per envelope. stats (may be NULL) is added
 * to. Returns 0, or a store error after which t must be aborted. Local
 * writes and files: the changes have no source neighbour. */
int gs_apply_batch(gs_node *node, gs_txn *t, const uint8_t *const *bufs,
    const size_t *lens, size_t n, struct gs_apply_result *res,
    struct gs_apply_stats *stats);

/* The same, recording in the feed that the changes came from neighbour
 * source (a path), so they are never sent back to it. source NULL: none.
 * A held change released later keeps no source. */
int gs_apply_batch_from(gs_node *node, gs_txn *t, const char *source,
    const uint8_t *const *bufs, const size_t *lens, size_t n,
    struct gs_apply_result *res, struct gs_apply_stats *stats);

/* A batch's signature checks, started on the verify pool (verify.h) so
 * they run while the caller does other work: sync starts the next batch's
 * checks, then applies and commits the one in hand. Only envelopes that
 * decode and are not held already (changes or pending) are checked. */
struct gs_precheck {
	size_t              n;
	gs_envelope        *env;      /* decoded envelopes, n */
	const gs_envelope **ptr;      /* env[i], or NULL: not checked */
	int8_t             *verdict;  /* 1 good, 0 bad, -1 not checked */
	bool                started;  /* a job is out on the pool */
};

/* Decodes bufs[0..n), looks each id up in t (read only; t may be closed
 * once this returns) and starts the checks. A batch smaller than
 * GS_VERIFY_PARALLEL_MIN is not prechecked (apply checks it). 0, GS_ENOMEM,
 * or GS_EBUSY when another job is out; *pc is cleared on failure. bufs and
 * lens must stay put until gs_precheck_clear. */
int gs_precheck_start(gs_txn *t, const uint8_t *const *bufs,
    const size_t *lens, size_t n, struct gs_precheck *pc);

/* Waits for the verdicts: n of them, for gs_apply_batch_checked; NULL when
 * nothing was started. */
const int8_t *gs_precheck_wait(struct gs_precheck *pc);

/* Waits if still running, then frees and zeroes *pc. Safe on a zeroed one. */
void gs_precheck_clear(struct gs_precheck *pc);

/* gs_apply_batch_from with the signatures already checked: verdict[i] as
 * gs_precheck_wait gives it for bufs[i] (NULL: apply checks each). */
int gs_apply_batch_checked(gs_node *node, gs_txn *t, const char *source,
    const uint8_t *const *bufs, const size_t *lens, size_t n,
    const int8_t *verdict, struct gs_apply_result *res,
    struct gs_apply_stats *stats);

/* Reads feed entry seq: its change id and source path (cap bytes; "" for
 * none). 0, GS_ENOTFOUND or GS_EBADMSG. */
int gs_feed_get(gs_txn *t, uint64_t seq, uint8_t id[GS_ID_BYTES],
    char *source, size_t cap);

/* The last feed seq (0 for an empty feed). */
int gs_feed_last(gs_txn *t, uint64_t *seq);

/* Folds case_id afresh from its stored changes and stores the projection.
 * *out (may be NULL) receives the new case; free with gs_case_free. */
int gs_apply_refold(gs_txn *t, const char *case_id, Gs__Case **out);

/* Loads the stored projection of case_id: 0, GS_ENOTFOUND or GS_EBADMSG.
 * Free with gs_case_free. */
int gs_case_load(gs_txn *t, const char *case_id, Gs__Case **out);

/* The ids of every change stored for case_id, from the case index, in id
 * order. *ids is malloc'd (free it; NULL when *n is 0). */
int gs_case_ids(gs_txn *t, const char *case_id, uint8_t (**ids)[GS_ID_BYTES],
    size_t *n);

/* Origins apply has flagged, in meta under prefix + origin hex:
 * GS_FORK_PREFIX, two different changes of one origin with the same seq
 * (both are kept; the value is the lowest such seq); GS_AHEAD_PREFIX, a
 * change stamped more than GS_HLC_AHEAD_MAX_MS ahead of this node's wall
 * clock when it arrived (kept, but not adopted into this node's clock;
 * the value is the furthest such time, unix ms). gs_origin_flags calls fn
 * for each origin flagged under prefix. */
#define GS_FORK_PREFIX  "fork/"
#define GS_AHEAD_PREFIX "ahead/"
#define GS_HLC_AHEAD_MAX_MS (7ull * 24 * 3600 * 1000)
typedef int (*gs_flag_fn)(void *arg, const uint8_t origin[GS_KEY_BYTES],
    uint64_t value);
int gs_origin_flags(gs_txn *t, const char *prefix, gs_flag_fn fn, void *arg);

/* The highest seq of origin key held here (0: none). */
int gs_origin_last_seq(gs_txn *t, const uint8_t key[GS_KEY_BYTES],
    uint64_t *seq);

/* Calls fn with every stored case that is a case (its Report is in), in
 * case-id order; the case is borrowed for the call. A non-zero return from
 * fn stops the walk and is returned; GS_EBADMSG for a stored projection
 * that does not decode. */
typedef int (*gs_case_fn)(void *arg, const Gs__Case *c);
int gs_case_each(gs_txn *t, gs_case_fn fn, void *arg);

/* Folds case_id from its stored changes without storing (verify uses it to
 * compare with the stored projection). */
int gs_case_fold_stored(gs_txn *t, const char *case_id, Gs__Case **out);

#endif
