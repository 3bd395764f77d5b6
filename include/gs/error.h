/*
 * error.h: the small set of error codes every gridsync module returns.
 *
 * Functions return 0 on success and one of the negative GS_E* codes below on
 * failure, like LMDB's MDB_* band. LMDB, ZeroMQ and libsodium errors are
 * translated at the module edge and never leak upward.
 */
#ifndef GS_ERROR_H
#define GS_ERROR_H

#define GS_OK          0
#define GS_EINVAL     -1  /* an argument or field is out of its bounds */
#define GS_ENOMEM     -2  /* allocation failed */
#define GS_EIO        -3  /* file or store I/O failed */
#define GS_EBADMSG    -4  /* bytes do not decode as the expected message */
#define GS_EBADSIG    -5  /* signature does not verify */
#define GS_ENOTFOUND  -6  /* no such record */
#define GS_EEXIST     -7  /* the record already exists */
#define GS_EFULL      -8  /* the store's map is full; the transaction was not applied */
#define GS_EAUTH      -9  /* the signer can never have this authority */
#define GS_EVERSION  -10  /* schema or protocol version mismatch */
#define GS_ECONFLICT -11  /* invalid in the case's current state */
#define GS_ETOOBIG   -12  /* over a size cap */
#define GS_EUNTRUSTED -13 /* signer not (yet) in the roster */
#define GS_EREVOKED  -14  /* signer's key is revoked */
#define GS_EBEHIND   -15  /* the store is older than this node's own changes */
#define GS_ENOSPACE  -16  /* the disk holding the store is full */
#define GS_EREADONLY -17  /* the store cannot be written (read-only) */
#define GS_EREUSED   -18  /* a request id already used for another request */
#define GS_EBUSY     -19  /* another job is still in progress (verify pool) */

/* Returns a static English sentence for a GS_E* code. Never NULL. */
const char *gs_strerror(int err);

#endif
