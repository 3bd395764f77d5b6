/*
 * policy.h: what a town signs by itself: auto-whistles and rollups.
 *
 * Both are decided from the fold and the clock, so a daemon that restarts
 * (or is killed between deciding and sending) decides the same again and
 * finds its earlier change already stored: nothing is signed twice.
 *
 * Auto-whistle: a case at this node's level, open or dispatched, overdue
 * (rates.h) for at least after_ms since its first missed deadline, is
 * whistled up with Whistle.automatic set, once per case: a case this node
 * has auto-whistled before (its timeline shows it) is never auto-whistled
 * again, even after the county returns it.
 *
 * Rollups: the Rollups of stats.h that are due (new or changed counts).
 */
#ifndef GS_POLICY_H
#define GS_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "gs/node.h"

/* Auto-whistles the cases due at now_ms. *n (may be NULL) receives the
 * number written. A case whose whistle the fold refuses (the level moved
 * meanwhile) is skipped. Store errors pass through, with a sentence in
 * err. Only a town (an area node at depth 2) auto-whistles: elsewhere 0,
 * nothing done. */
int gs_policy_auto_whistle(gs_node *node, uint64_t after_ms, uint64_t now_ms,
    size_t *n, char *err, size_t errcap);

/* Signs the rollups due at now_ms. *n (may be NULL) receives the number
 * written. Only a town (an area node at depth 2) signs rollups: elsewhere
 * 0, nothing done. */
int gs_policy_rollups(gs_node *node, uint64_t now_ms, size_t *n, char *err,
    size_t errcap);

#endif
