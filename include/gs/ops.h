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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gs/change.h"
#include "gs/node.h"
#include "gs/path.h"

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

/* Stamps draft c as this node's change seq + 1 (version, signer, origin,
 * seq, prev: the id of change seq, NULL when seq is 0; hlc after *hlc,
 * which it advances) and seals it: *env (malloc'd), *len, id. The
 * borrowed signer, origin and prev are cleared again; seq and hlc stay.
 * gs_ops_write uses it for one change in a transaction; bulk writers
 * (tests/bench) for many, chaining seq, prev and hlc. 0 or
 * gs_change_seal's error with *why. */
int gs_ops_seal(gs_node *n, Gs__Change *c, uint64_t seq,
    const uint8_t *prev, uint64_t *hlc, uint8_t **env, size_t *len,
    uint8_t id[GS_ID_BYTES], const char **why);

#define GS_REQUEST_ID_MAX_BYTES 64

/* A client's request id (CLI --request-id, HTTP Idempotency-Key): a
 * submission retried from a flaky terminal must not make a second case.
 * The caller fills id and hash (a digest of everything the request asked
 * for: verb, case, options, actor); ops fills the rest. */
struct gs_ops_request {
	const char *id;                 /* 1-64 printable ASCII, no space */
	uint8_t     hash[32];
	bool        replayed;           /* out: answered from the table */
	char        case_id[GS_CASE_ID_MAX_BYTES + 1];  /* out: on replay */
};

/* gs_ops_write with a request id. The id is looked up and stored in the
 * same write transaction as the change, so a crash keeps both or neither.
 * An id seen before with the same hash writes nothing: 0 with
 * req->replayed, id set to the first change's id and req->case_id to its
 * case id ("" for a change about no case). The same id with another hash:
 * GS_EREUSED. A malformed id: GS_EINVAL. req NULL is gs_ops_write. */
int gs_ops_write_once(gs_node *n, Gs__Change *draft,
    struct gs_ops_request *req, uint8_t id[GS_ID_BYTES], char *err,
    size_t errcap);

/* 0 when s is a well-formed request id, else GS_EINVAL. */
int gs_ops_request_id_valid(const char *s);

#endif
