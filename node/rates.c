/*
 * rates.c: counts from folded cases, and the rates defined on them.
 */
#include <string.h>

#include "gs/hlc.h"
#include "gs/path.h"
#include "gs/rates.h"

static bool
is_dispute(const char *category)
{
	static const char *const disputes[] = { "marriage", "neighbor", "debt",
	    "land" };

	for (size_t i = 0; i < sizeof(disputes) / sizeof(disputes[0]); i++)
		if (strcmp(category, disputes[i]) == 0)
			return true;
	return false;
}

uint64_t
gs_case_overdue_since(const Gs__Case *c, uint64_t now)
{
	uint64_t since = 0;

	if (c->status != GS__STATUS__OPEN && c->status != GS__STATUS__DISPATCHED)
		return 0;
	for (size_t i = 0; i < c->n_assignments; i++) {
		const Gs__Assignment *a = c->assignments[i];
		uint64_t d[2] = { 0, 0 };

		if (a->acked_hlc == 0 && a->ack_deadline_ms != 0 &&
		    now > a->ack_deadline_ms)
			d[0] = a->ack_deadline_ms;
		if (a->resolved_hlc == 0 && a->resolve_deadline_ms != 0 &&
		    now > a->resolve_deadline_ms)
			d[1] = a->resolve_deadline_ms;
		for (int k = 0; k < 2; k++)
			if (d[k] != 0 && (since == 0 || d[k] < since))
				since = d[k];
	}
	return since;
}

bool
gs_case_overdue(const Gs__Case *c, uint64_t now)
{
	return gs_case_overdue_since(c, now) != 0;
}

void
gs_counts_add(struct gs_counts *k, const Gs__Case *c, uint64_t now)
{
	bool settled = c->status == GS__STATUS__RESOLVED ||
	    c->status == GS__STATUS__CLOSED;

	if (c->status == GS__STATUS__STATUS_UNSET)
		return;   /* changes without their report: not a case yet */
	k->received++;
	if (!settled)
		k->open++;
	if (gs_case_overdue(c, now))
		k->overdue++;
	switch (c->severity) {
	case GS__SEVERITY__SIMPLE:  k->simple++; break;
	case GS__SEVERITY__COMPLEX: k->complex++; break;
	case GS__SEVERITY__HARD:    k->hard++; break;
	default: break;
	}
	if (settled) {
		int d = gs_path_depth(c->level);

		k->settled++;
		/* Tiers by depth: 1 county, 2 town, 3 and deeper village. */
		if (d >= 3)
			k->settled_village++;
		else if (d == 2)
			k->settled_town++;
		else
			k->settled_county++;
		/* Whistled up to the county at some time, whether the
		 * county settled it or returned it. */
		if (gs_path_depth(c->peak) == 1)
			k->passed_up++;
		/* The level a grade expects, as a depth: 简单 3 (village),
		 * 复杂 2 (town), 疑难 1 (county); settled at that depth or
		 * deeper is as graded. */
		if (c->severity >= GS__SEVERITY__SIMPLE &&
		    c->severity <= GS__SEVERITY__HARD) {
			k->graded_settled++;
			if (d >= 4 - (int)c->severity)
				k->settled_as_graded++;
		}
		if (is_dispute(c->category)) {
			k->disputes_settled++;
			if (c->outcome == GS__OUTCOME__MEDIATED)
				k->mediated++;
		}
	}
	for (size_t i = 0; i < c->n_assignments; i++) {
		const Gs__Assignment *a = c->assignments[i];
		uint64_t acked = GS_HLC_MS(a->acked_hlc);

		if (a->acked_hlc == 0 &&
		    (a->ack_deadline_ms == 0 || now <= a->ack_deadline_ms))
			continue;   /* not due yet */
		k->assignments_due++;
		if (a->acked_hlc != 0 && (a->ack_deadline_ms == 0 ||
		    acked <= a->ack_deadline_ms))
			k->acked_on_time++;
	}
	if (c->satisfaction != GS__SATISFACTION__SATISFACTION_UNSET) {
		k->followed_up++;
		if (c->satisfaction == GS__SATISFACTION__SATISFIED ||
		    c->satisfaction == GS__SATISFACTION__BASIC)
			k->satisfied++;
	}
}

static const char *const count_names[] = {
	"received", "open", "settled", "settled_village", "settled_town",
	"settled_county", "overdue", "disputes_settled", "mediated",
	"assignments_due", "acked_on_time", "followed_up", "satisfied",
	"simple", "complex", "hard", "graded_settled", "settled_as_graded",
	"passed_up",
};

/* The names follow struct gs_counts' field order; keep them in step. */
_Static_assert(sizeof(count_names) / sizeof(count_names[0]) == GS_COUNTS_N,
    "one name per field of struct gs_counts");

const char *
gs_counts_name(size_t i)
{
	return i < GS_COUNTS_N ? count_names[i] : NULL;
}

int
gs_counts_find(const char *name)
{
	for (size_t i = 0; i < GS_COUNTS_N; i++)
		if (strcmp(name, count_names[i]) == 0)
			return (int)i;
	return -1;
}

uint64_t *
gs_counts_at(struct gs_counts *k, size_t i)
{
	return i < GS_COUNTS_N ? (uint64_t *)k + i : NULL;
}

void
gs_counts_sum(struct gs_counts *a, const struct gs_counts *b)
{
	uint64_t *x = (uint64_t *)a;
	const uint64_t *y = (const uint64_t *)b;

	for (size_t i = 0; i < sizeof(*a) / sizeof(uint64_t); i++)
		x[i] += y[i];
}

bool
gs_counts_consistent(const struct gs_counts *k)
{
	return k->open <= k->received && k->settled <= k->received &&
	    k->open + k->settled <= k->received &&
	    k->settled_village + k->settled_town + k->settled_county <=
	    k->settled && k->overdue <= k->open &&
	    k->disputes_settled <= k->settled &&
	    k->mediated <= k->disputes_settled &&
	    k->acked_on_time <= k->assignments_due &&
	    k->satisfied <= k->followed_up && k->followed_up <= k->received &&
	    k->simple + k->complex + k->hard <= k->received &&
	    k->settled_as_graded <= k->graded_settled &&
	    k->graded_settled <= k->settled && k->passed_up <= k->settled;
}

static bool
ratio(uint64_t num, uint64_t den, double *out)
{
	if (den == 0)
		return false;
	*out = (double)num / (double)den;
	return true;
}

bool
gs_rate(const struct gs_counts *k, enum gs_rate r, double *out)
{
	switch (r) {
	case GS_RATE_CLOSURE:
		return ratio(k->settled, k->received, out);
	case GS_RATE_MEDIATION:
		return ratio(k->mediated, k->disputes_settled, out);
	case GS_RATE_ONTIME_ACK:
		return ratio(k->acked_on_time, k->assignments_due, out);
	case GS_RATE_SATISFACTION:
		return ratio(k->satisfied, k->followed_up, out);
	case GS_RATE_IN_VILLAGE:
		return ratio(k->settled_village, k->settled, out);
	case GS_RATE_IN_TOWN:
		return ratio(k->settled_village + k->settled_town, k->settled, out);
	case GS_RATE_NOT_PASSED_UP:
		return ratio(k->settled - k->passed_up, k->settled, out);
	case GS_RATE_AS_GRADED:
		return ratio(k->settled_as_graded, k->graded_settled, out);
	default:
		return false;
	}
}

static const struct {
	const char *name, *label;
} rates[GS_RATE__COUNT] = {
	[GS_RATE_CLOSURE]       = { "closure", "诉求办结率" },
	[GS_RATE_MEDIATION]     = { "mediation", "调解成功率" },
	[GS_RATE_ONTIME_ACK]    = { "ontime_ack", "按时报到率" },
	[GS_RATE_SATISFACTION]  = { "satisfaction", "满意率" },
	[GS_RATE_IN_VILLAGE]    = { "in_village", "村内化解率" },
	[GS_RATE_IN_TOWN]       = { "in_town", "镇内化解率" },
	[GS_RATE_NOT_PASSED_UP] = { "not_passed_up", "矛盾不上交率" },
	[GS_RATE_AS_GRADED]     = { "as_graded", "分级化解率" },
};

const char *
gs_rate_name(enum gs_rate r)
{
	return r < GS_RATE__COUNT ? rates[r].name : "unknown";
}

const char *
gs_rate_label(enum gs_rate r)
{
	return r < GS_RATE__COUNT ? rates[r].label : "未知";
}
