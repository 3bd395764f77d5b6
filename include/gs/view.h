/*
 * view.h: read-side checks over a node's store: digest and verify.
 */
#ifndef GS_VIEW_H
#define GS_VIEW_H

#include <stdint.h>

#include "gs/change.h"
#include "gs/node.h"

/* Order-independent hash of the set of changes held: BLAKE2b-256 over the
 * sorted change ids. scope NULL: every accepted change (not pending, not
 * rejected). scope PREFIX: the case changes whose case id starts with
 * PREFIX. *count receives the number of changes hashed. */
int gs_view_digest(gs_node *n, const char *scope, uint8_t out[GS_ID_BYTES],
    uint64_t *count);

/* Called once per fault found by gs_view_verify, with a sentence. */
typedef void gs_view_fault_fn(void *arg, const char *fault);

/* Re-checks everything stored: each envelope's signature and id, that its
 * signer is enrolled and chains to the root, the per-origin hash chain
 * (prev of seq s is the id of seq s-1 wherever both are held) and forks
 * (two changes with one origin seq), and that every stored case equals a
 * fresh fold. *changes and *faults receive counts. Returns 0 or a store
 * error; faults are not errors. */
int gs_view_verify(gs_node *n, gs_view_fault_fn *fn, void *arg,
    uint64_t *changes, uint64_t *faults);

#endif
