/*
 * verify.h: Ed25519 checks of many envelopes on every core.
 *
 * Verification is the wall of sync (about 26,000 per second on one core
 * here, against 183,000 batched LMDB puts). A received batch's signatures
 * are checked by a small pool of threads, one per core. A job is started
 * and left to run while the caller does other work (sync applies and
 * commits the previous batch meanwhile); waiting for it, the caller takes
 * items too. The pool computes only: it reads the envelopes' bytes and
 * writes one verdict per envelope; it never touches a store, so the
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

/* Starts verifying e[0..n) and returns at once: ok[i] becomes 1 when
 * e[i]'s signature holds, 0 when not; e[i] NULL is skipped (ok[i] = -1).
 * e, e[i] and ok must stay put, and the caller must not read ok, until
 * gs_verify_wait. A job smaller than GS_VERIFY_PARALLEL_MIN, or with no
 * pool, is done before this returns. 0, or GS_EBUSY when a job is already
 * out (nothing is started then). One thread calls these. */
int gs_verify_start(const gs_envelope *const *e, size_t n, int8_t *ok);

/* Waits until every verdict of the job started last is in, checking
 * envelopes itself meanwhile. Returns at once when no job is out. */
void gs_verify_wait(void);

/* Start and wait: verifies e[0..n) into ok as above. While another job
 * is out, the caller checks these alone. Returns 0. */
int gs_verify_many(const gs_envelope *const *e, size_t n, int8_t *ok);

/* Threads in the pool (0 before its first use). */
unsigned gs_verify_threads(void);

/* Waits for a job that is out, then stops and joins the pool (at exit;
 * tests). A later call starts it again. */
void gs_verify_shutdown(void);

#endif
