/*
 * fold.h: a case's state as a pure function of its changes.
 *
 * gs_fold sorts a case's changes by (hlc, origin key, origin seq) and runs
 * the case state machine of DESIGN.md §3 over them. A change that is
 * invalid at its place (a dispatch on a case a concurrent change already
 * resolved, an ack by a department the case was never dispatched to, a
 * whistle by a node that is not the current level) stays in the timeline
 * flagged FLAG_CONFLICT with a reason and changes nothing. A change whose
 * signer's key was revoked before it (item.revoked) is flagged FLAG_REVOKED
 * and changes nothing. Same set of items in any order: same Gs__Case, byte
 * for byte.
 *
 * The fold trusts its caller for what apply already checked statically
 * (signature, bounds, the signer's path can have the kind's authority on
 * this case); it decides every rule that depends on other changes.
 *
 * No I/O, no globals: thread safe.
 */
#ifndef GS_FOLD_H
#define GS_FOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gridsync.pb-c.h"

/* One change of the case, with what the fold needs from the roster. All
 * pointers are borrowed for the duration of the call. */
struct gs_fold_item {
	const uint8_t     *id;       /* GS_ID_BYTES */
	const Gs__Change  *change;
	const char        *signer;   /* the signer's enrolled path */
	bool               revoked;  /* signer revoked with after_seq < seq */
};

/* Folds n items of case case_id (items is reordered in place). *out is a
 * fully malloc'd Gs__Case; free it with gs_case_free. n may be 0: a case
 * with status STATUS_UNSET and an empty timeline. GS_ENOMEM or GS_EINVAL
 * (an item's case id differs from case_id). */
int gs_fold(const char *case_id, struct gs_fold_item *items, size_t n,
    Gs__Case **out);

/* Folds n more items onto c, a case gs_fold (or an unpacked stored
 * projection) made from earlier items: the same result as gs_fold over
 * all of them, when every new item sorts after c's last timeline entry.
 * Otherwise GS_ECONFLICT and c is unchanged: fold afresh. items is
 * reordered in place. GS_EINVAL as gs_fold; after GS_ENOMEM c is half
 * folded and must be freed. */
int gs_fold_more(Gs__Case *c, struct gs_fold_item *items, size_t n);

/* Frees a case from gs_fold or from gs__case__unpack and NULLs it. */
void gs_case_free(Gs__Case **c);

/* True when path is in the case's visibility set. */
bool gs_case_visible_to(const Gs__Case *c, const char *path);

/* Labels for people. English keys for --json and the CLI's arguments. */
const char *gs_status_name(int status);     /* "open" ... */
const char *gs_status_label(int status);    /* "待处理" ... */
const char *gs_outcome_name(int outcome);   /* "mediated" ... */
const char *gs_outcome_label(int outcome);  /* "调解成功" ... */
const char *gs_satisfaction_name(int s);    /* "satisfied" ... */
const char *gs_satisfaction_label(int s);   /* "满意" ... */
const char *gs_severity_name(int s);        /* "simple" ... */
const char *gs_severity_label(int s);       /* "简单" ... */
const char *gs_flag_name(int flag);         /* "ok", "conflict", "revoked" */

/* Parse an English name (or the Chinese label) back to its enum value:
 * the value, or -1 when unknown. */
int gs_status_parse(const char *s);
int gs_outcome_parse(const char *s);
int gs_satisfaction_parse(const char *s);
int gs_severity_parse(const char *s);

#endif
