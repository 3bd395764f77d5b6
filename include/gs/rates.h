/*
 * rates.h: the counts and rates leaders are judged by, defined once.
 *
 * Counts are taken from folded cases and the clock; nothing here is
 * stored, so "overdue" can never drift from the fold. The formulas, also in
 * README.md ("Rates"):
 *
 *   诉求办结率 closure        = (resolved + closed) / received
 *   调解成功率 mediation      = mediated / disputes settled
 *                              (disputes: 婚姻家庭, 邻里纠纷, 债务纠纷, 土地/山林;
 *                               settled: resolved or closed)
 *   按时报到率 on-time ack    = assignments acked by their ack deadline /
 *                              assignments acked or past their ack deadline
 *   满意率 satisfaction       = (满意 + 基本满意) / followed up
 *   村内化解率 in village     = settled at a village level / settled
 *   镇内化解率 in town        = settled at a village or town level / settled
 *                              (小事不出村、大事不出镇)
 *   矛盾不上交率 not passed up = settled cases never whistled up to the
 *                              county (Case.peak below it) / settled
 *   分级化解率 as graded      = graded cases settled at or below the level
 *                              their grade expects (简单 village, 复杂 town,
 *                              疑难 county) / graded cases settled
 *
 * A rate whose denominator is 0 is undefined and reported as such, never
 * as 0 or 100 %. Pure functions; thread safe.
 */
#ifndef GS_RATES_H
#define GS_RATES_H

#include <stdbool.h>
#include <stdint.h>

#include "gridsync.pb-c.h"

struct gs_counts {
	uint64_t received;          /* reported cases */
	uint64_t open;              /* open or dispatched */
	uint64_t settled;           /* resolved or closed */
	uint64_t settled_village, settled_town, settled_county;
	uint64_t overdue;           /* open cases past a deadline */
	uint64_t disputes_settled, mediated;
	uint64_t assignments_due, acked_on_time;
	uint64_t followed_up, satisfied;   /* satisfied: 满意 or 基本满意 */
	uint64_t simple, complex, hard;    /* received, by grade */
	uint64_t graded_settled, settled_as_graded;
	uint64_t passed_up;                /* settled, having reached the county */
};

/* The counts as an array of named u64s, in struct order: rollups carry
 * them by name. */
#define GS_COUNTS_N (sizeof(struct gs_counts) / sizeof(uint64_t))

enum gs_rate {
	GS_RATE_CLOSURE,
	GS_RATE_MEDIATION,
	GS_RATE_ONTIME_ACK,
	GS_RATE_SATISFACTION,
	GS_RATE_IN_VILLAGE,
	GS_RATE_IN_TOWN,
	GS_RATE_NOT_PASSED_UP,
	GS_RATE_AS_GRADED,
	GS_RATE__COUNT
};

/* True when case c is open or dispatched and one of its assignments has
 * passed its ack deadline unacked or its resolve deadline unresolved at
 * now_ms (unix ms). */
bool gs_case_overdue(const Gs__Case *c, uint64_t now_ms);

/* The earliest deadline c has missed at now_ms (unix ms), or 0 when it is
 * not overdue. */
uint64_t gs_case_overdue_since(const Gs__Case *c, uint64_t now_ms);

/* Adds case c to k. */
void gs_counts_add(struct gs_counts *k, const Gs__Case *c, uint64_t now_ms);

/* Adds b into a. */
void gs_counts_sum(struct gs_counts *a, const struct gs_counts *b);

/* Name of count i ("received", "settled_village" ...), NULL past the end;
 * the index of a name, or -1; a pointer to count i of k. */
const char *gs_counts_name(size_t i);
int gs_counts_find(const char *name);
uint64_t *gs_counts_at(struct gs_counts *k, size_t i);

/* Whether k can be the counts of some set of cases: every part no larger
 * than its whole (settled <= received, mediated <= disputes_settled, ...).
 * A rollup whose counts are not is refused at apply. */
bool gs_counts_consistent(const struct gs_counts *k);

/* The rate r of k: true and *out in [0, 1], or false when undefined. */
bool gs_rate(const struct gs_counts *k, enum gs_rate r, double *out);

/* English key ("closure") and Chinese label ("诉求办结率") of a rate. */
const char *gs_rate_name(enum gs_rate r);
const char *gs_rate_label(enum gs_rate r);

#endif
