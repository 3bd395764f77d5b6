/*
 * stats.h: a period's counts, from the cases held or from the rollups.
 *
 * A period is a year, month or day ("2026", "2026-11", "2026-11-24";
 * gs_period_valid) in China Standard Time (UTC+8), whatever the machine's
 * time zone, so every node cuts days in the same place. A case counts in
 * the period its report was made in (its created HLC), with its state now:
 * the counts of two days add up to the counts of both, and a town's daily
 * Rollups of a village sum to the village's month.
 *
 * A town signs one Rollup per village and day that has cases (the counts
 * of the cases reported in that village that day, by category: names
 * "<category>.<count>" with the count names of rates.h, zeros left out),
 * and signs it again whenever those counts change; the latest one counts
 * (records.h); and one of itself for the cases it owns. A node above the
 * towns sums, for each village, the latest Rollups signed by the village's
 * own parent (for a town, by the town), so nothing is counted twice.
 */
#ifndef GS_STATS_H
#define GS_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "gs/path.h"
#include "gs/rates.h"
#include "gs/store.h"

#define GS_DAY_BYTES 11   /* "YYYY-MM-DD" and its NUL */

enum gs_stats_by {
	GS_BY_NONE,
	GS_BY_VILLAGE,    /* the case's owner */
	GS_BY_TOWN,       /* the owner's parent */
	GS_BY_CATEGORY,
	GS_BY_DAY         /* the day reported, YYYY-MM-DD (CST) */
};

struct gs_stats_group {
	char             key[GS_PATH_MAX_BYTES + 1];
	struct gs_counts k;
};

struct gs_stats {
	struct gs_stats_group *groups;   /* sorted by key; none for GS_BY_NONE */
	size_t                 n;
	struct gs_counts       total;
};

/* The day of an HLC in China Standard Time, "YYYY-MM-DD", into day. */
void gs_stats_day(uint64_t hlc, char day[GS_DAY_BYTES]);

/* Counts the cases held, reported in period (NULL: all), grouped by by, as
 * of now_ms (for overdue). *out must be zeroed; free with gs_stats_free. */
int gs_stats_cases(gs_txn *t, const char *period, enum gs_stats_by by,
    uint64_t now_ms, struct gs_stats *out);

/* Sums the latest Rollups held of villages below self for period, and
 * counts the cases self owns itself (as of now_ms). */
int gs_stats_rollups(gs_txn *t, const char *self, const char *period,
    enum gs_stats_by by, uint64_t now_ms, struct gs_stats *out);

void gs_stats_free(struct gs_stats *s);

/* The Rollups self would sign now that differ from the latest it has
 * signed (or are new): one per (self or village below, day), sorted by
 * village then day. *out is a malloc'd array of malloc'd Gs__Rollup; free
 * with gs_rollups_free. */
int gs_rollups_due(gs_txn *t, const char *self, uint64_t now_ms,
    Gs__Rollup ***out, size_t *n);

void gs_rollups_free(Gs__Rollup **r, size_t n);

#define GS_ROLLUP_VALUE_MAX 1000000000u   /* one count of one village's day */

/* What apply checks of a Rollup body beyond string bounds: the subject is
 * an area path; every count is named "<category key>.<count name>", once,
 * with a value <= GS_ROLLUP_VALUE_MAX; each category's counts are
 * consistent (gs_counts_consistent). 0, or GS_EINVAL with *why set. */
int gs_rollup_validate(const Gs__Rollup *r, const char **why);

#endif
