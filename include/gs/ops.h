/*
 * ops.h: make, sign and apply one local change.
 *
 * The CLI fills a draft Gs__Change with a body, case id and actor; ops
 * assigns the origin's next seq, the hash of its previous change and a
 * fresh HLC, seals it with the node's key and applies it through
 * gs_apply_batch in one write transaction. A change that apply would
 * reject, or that the fold would flag as a conflict, is refused with the
 * reason and the transaction aborted: nothing is stored and the seq is not
 * used.
 */
#ifndef GS_OPS_H
#define GS_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "gs/change.h"
#include "gs/node.h"

/* Writes one change. draft's version, signer, origin, seq, prev and hlc
 * are overwritten (and restored to empty before return). On success id holds
 * the change id. On refusal: GS_EAUTH (rejected by the authority table),
 * GS_EINVAL (a field out of bounds), GS_ECONFLICT (invalid in the case's
 * current state), GS_EUNTRUSTED (this node is not enrolled yet), GS_EBEHIND
 * (a neighbour holds this node's changes beyond the store's own seq: the
 * store was restored from an older copy, see sync.h), with a sentence in
 * err. Store errors (GS_EFULL, GS_EIO) pass through. */
int gs_ops_write(gs_node *n, Gs__Change *draft, uint8_t id[GS_ID_BYTES],
    char *err, size_t errcap);

#endif
