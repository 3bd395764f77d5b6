/*
 * trust.h: the roster of enrolled keys and the static authority table.
 *
 * The roster maps a public key to the path it was enrolled at, from Member
 * changes signed parent -> child (the root signs its own). Revocations mark
 * an entry with the lowest after_seq seen. Entries live in the store's
 * `roster` database; functions take the caller's transaction.
 *
 * gs_trust_check is DESIGN.md §3's apply-time half of the authority table:
 * what a signer at a path can never do, judged from the change alone. What
 * depends on other changes is left to the fold.
 */
#ifndef GS_TRUST_H
#define GS_TRUST_H

#include <stdbool.h>
#include <stdint.h>

#include "gridsync.pb-c.h"
#include "gs/store.h"

/* 0 when a node enrolled at `signer` may ever sign change c; GS_EAUTH with
 * *why (a static English sentence) when it never may. For a Revoke,
 * revoked_path is the path the revoked key is enrolled at (ignored for
 * other kinds). root_key is the configured trust root, needed to judge a
 * root's self-signed Member. */
int gs_trust_check(const char *signer, const Gs__Change *c,
    const char *revoked_path, const uint8_t *root_key, const char **why);

/* The roster entry of key: 0 and *out (free with gs__roster_entry__
 * free_unpacked), or GS_ENOTFOUND. */
int gs_roster_get(gs_txn *t, const uint8_t *key, Gs__RosterEntry **out);

/* Copies the enrolled path of key into path (cap bytes): 0 or
 * GS_ENOTFOUND. */
int gs_roster_path(gs_txn *t, const uint8_t *key, char *path, size_t cap);

/* Records the Member change `id` signed by (signer, signer_seq). A key
 * already enrolled at the same path is left as it is (0); at another path it
 * is GS_EEXIST. */
int gs_roster_enrol(gs_txn *t, const Gs__Member *m, const uint8_t *id,
    const uint8_t *signer, uint64_t signer_seq);

/* Marks key revoked after after_seq (keeping the lowest after_seq of all
 * revocations seen, so the order they arrive in does not matter). key must
 * be enrolled: GS_ENOTFOUND otherwise. */
int gs_roster_revoke(gs_txn *t, const uint8_t *key, uint64_t after_seq);

/* Whether a change by key at seq is void: the key was revoked with
 * after_seq < seq, or the Member that enrolled it (or one further up the
 * chain) is itself void. Unknown keys are void. Writes the answer to
 * *isvoid; returns 0 or a store error. */
int gs_roster_void(gs_txn *t, const uint8_t *key, uint64_t seq,
    bool *isvoid);

/* Whether key's enrolment chain reaches a self-signed (root) entry,
 * revocations aside: the structural check `verify` makes. 0 or a store
 * error; the answer in *chained. */
int gs_roster_chained(gs_txn *t, const uint8_t *key, bool *chained);

/* Finds the first unrevoked key enrolled at path (a scan): 0 or
 * GS_ENOTFOUND. */
int gs_roster_find(gs_txn *t, const char *path, uint8_t key[32]);

#endif
