/*
 * trust.h: the roster of enrolled keys and the static authority table.
 *
 * The roster holds (key, path) pairs enrolled by Member changes signed
 * parent -> child (the root signs its own), with the revocations signed
 * against them. A change names the path its key signs as; it is trusted
 * only when that exact pair is enrolled, so what apply decides never
 * depends on which Member arrived first. Entries live in the store's
 * `roster` database under key (32 bytes) + path; functions take the
 * caller's transaction.
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
#include "gs/path.h"
#include "gs/store.h"

/* 0 when a node enrolled at `signer` may ever sign change c; GS_EAUTH with
 * *why (a static English sentence) when it never may. root_key is the
 * configured trust root, needed to judge a root's self-signed Member. */
int gs_trust_check(const char *signer, const Gs__Change *c,
    const uint8_t *root_key, const char **why);

/* The roster entry of (key, path): 0 and *out (free with
 * gs__roster_entry__free_unpacked), or GS_ENOTFOUND. */
int gs_roster_get(gs_txn *t, const uint8_t *key, const char *path,
    Gs__RosterEntry **out);

/* Records the Member change `id` signed by (signer, signer_seq) among the
 * entry's enrolments (once each). *changed (may be NULL) is true when a
 * pair already enrolled got another Member: what is void may change. */
int gs_roster_enrol(gs_txn *t, const Gs__Member *m, const uint8_t *id,
    const uint8_t *signer, uint64_t signer_seq, bool *changed);

/* Adds a revocation of (key, path) after after_seq, signed by (by,
 * by_seq). (key, path) must be enrolled: GS_ENOTFOUND otherwise. */
int gs_roster_revoke(gs_txn *t, const uint8_t *key, const char *path,
    uint64_t after_seq, const uint8_t *by, uint64_t by_seq);

/* Whether a change signed by key as path at seq is void: (key, path) is
 * not enrolled; or a revocation of it with after_seq < seq was signed by a
 * signer whose own change is not void; or every Member that enrolled it is
 * itself void (signed after its signer's revocation, up the chain). Depends only on the set of
 * Members and Revokes held, never on their arrival order. Writes the
 * answer to *isvoid; returns 0 or a store error. */
int gs_roster_void(gs_txn *t, const uint8_t *key, const char *path,
    uint64_t seq, bool *isvoid);

/* Whether (key, path)'s enrolment chain reaches the root's self-signed
 * entry, revocations aside: the structural check `verify` makes. */
int gs_roster_chained(gs_txn *t, const uint8_t *key, const char *path,
    bool *chained);

/* Finds the key enrolled at path with no revocation (the lowest key when
 * several are): 0 and key, or GS_ENOTFOUND. A scan of the roster. */
int gs_roster_find(gs_txn *t, const char *path, uint8_t key[32],
    Gs__RosterEntry **entry);

/* The area paths (not departments) strictly below under, at depth >=
 * min_depth, where some key is enrolled and not revoked from its first
 * change: the villages a town or county expects to hear from. *paths is a
 * malloc'd sorted array without duplicates (free it; NULL when *n is 0). */
int gs_roster_areas_below(gs_txn *t, const char *under, int min_depth,
    char (**paths)[GS_PATH_MAX_BYTES + 1], size_t *n);

/* Finds a path key is enrolled at (the first in path order): 0 or
 * GS_ENOTFOUND. */
int gs_roster_path_of(gs_txn *t, const uint8_t *key, char *path, size_t cap);

#endif
