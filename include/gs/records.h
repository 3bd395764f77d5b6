/*
 * records.h: notices, read receipts, rollups and check reports, indexed.
 *
 * Changes that are not about a case are stored in `changes` like every
 * other; the `records` database finds them by what they are about:
 *
 *   'N' issuer NUL notice-id             a notice
 *   'R' notice-id reader                 the receipts of a notice
 *   'U' signer NUL subject NUL period    a town's rollups of a village's day
 *   'C' signer NUL period                a village's check reports
 *
 * Each value is hlc (u64 BE) + origin key + seq (u64 BE) + change id, and
 * the database is dupsort, so the records under one key sort in the fold's
 * order. Which one counts is decided when reading, from the set held, never
 * from arrival order: a rollup or check report is superseded by a later
 * one from the same signer (the last one not void counts), a receipt
 * counts from the first one not void. A change whose signer was revoked
 * before it is void (trust.h) and never counts.
 */
#ifndef GS_RECORDS_H
#define GS_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "gs/change.h"
#include "gs/store.h"

/* Indexes an accepted change in t. Case kinds, Member and Revoke are not
 * records: 0, nothing written. Store errors pass through. */
int gs_records_index(gs_txn *t, const Gs__Change *c,
    const uint8_t id[GS_ID_BYTES]);

/* Called with the record that counts under one key: its change id and
 * the change (borrowed for the call). A non-zero return stops the walk and
 * is returned by gs_records_each. */
typedef int (*gs_records_fn)(void *arg, const uint8_t *id,
    const Gs__Change *c);

/* Walks the records of kind (GS__CHANGE__BODY_NOTICE, _RECEIPT, _ROLLUP or
 * _CHECK) whose key, after the kind's letter, starts with the prefix bytes
 * (NULL, 0: all), in key order, calling fn once per key that has a record
 * that counts. GS_EINVAL for another kind; store errors and GS_EBADMSG (a
 * stored change that does not decode) pass through. */
int gs_records_each(gs_txn *t, int kind, const void *prefix, size_t plen,
    gs_records_fn fn, void *arg);

/* The same with another choice under each key: the first or the latest
 * record that counts (when a village first filed its check report), or
 * every one that counts, in order (receipts, whose issuer the caller
 * checks against the notice's). */
enum gs_records_pick { GS_PICK_FIRST, GS_PICK_LATEST, GS_PICK_ALL };
int gs_records_walk(gs_txn *t, int kind, const void *prefix, size_t plen,
    enum gs_records_pick pick, gs_records_fn fn, void *arg);

#endif
