/*
 * verify.h: Ed25519 checks of many envelopes on every core.
 *
 * Verification is the wall of sync (about 13,000 per second on one core
 * here, against 65,000 LMDB puts). A received batch's signatures are
 * checked by a small pool of threads, one per core beside the caller,
 * which works too. The pool computes only: it reads the envelopes' bytes
 * and writes one verdict per envelope; it never touches a store, so the
 * daemon's state stays with its one thread. Needs sodium_init().
 */
#ifndef GS_VERIFY_H
#define GS_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "gs/change.h"

/* Batches smaller than this are checked by the caller alone: handing
 * them out costs more than it saves. */
#define GS_VERIFY_PARALLEL_MIN 8

/* Verifies e[0..n): ok[i] = 1 when e[i]'s signature holds, 0 when not;
 * e[i] NULL is skipped (ok[i] = -1). Returns 0 when every verdict is in
 * (a pool that could not start leaves the caller to do them all). One
 * caller at a time. */
int gs_verify_many(const gs_envelope *const *e, size_t n, int8_t *ok);

/* Threads in the pool besides the caller (0 before its first use, or on a
 * one-core machine). */
unsigned gs_verify_threads(void);

/* Stops and joins the pool (at exit; tests). A later call starts it
 * again. */
void gs_verify_shutdown(void);

#endif
