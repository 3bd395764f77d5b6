/*
 * scope.h: who may hold what (DESIGN.md §4).
 *
 * A case change goes to the nodes in its case's visibility set; Member and
 * Revoke go everywhere; a Notice to the issuer's subtree; a Rollup or a
 * Check to the issuer's ancestors; a notice's Receipt up from the reader
 * as far as the notice's issuer. Pure functions.
 */
#ifndef GS_SCOPE_H
#define GS_SCOPE_H

#include <stdbool.h>

#include "gridsync.pb-c.h"

/* May the node at path hold change c, signed by the node at signer? cs is
 * the folded case for case kinds (NULL means the case is unknown: not
 * visible) and ignored otherwise. */
bool gs_scope_visible(const char *path, const Gs__Change *c,
    const char *signer, const Gs__Case *cs);

#endif
