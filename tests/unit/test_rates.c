/*
 * test_rates.c: counts and rates over hand-built cases, exact values.
 */
#include <stdint.h>

#include "gs/hlc.h"
#include "gs/rates.h"
#include "gs_test.h"

#define NOW 1800000000000ULL   /* unix ms */

static Gs__Assignment asg[8];
static Gs__Assignment *asgp[8];
static size_t nasg;

static Gs__Case
mk(int status, const char *level, const char *category, int outcome,
    int satisfaction)
{
	Gs__Case c;

	gs__case__init(&c);
	c.status = status;
	c.level = (char *)(uintptr_t)level;
	c.owner = (char *)(uintptr_t)"q/c/x";
	c.category = (char *)(uintptr_t)category;
	c.outcome = outcome;
	c.satisfaction = satisfaction;
	return c;
}

static void
with_assignment(Gs__Case *c, uint64_t ack_deadline, uint64_t acked_ms,
    uint64_t resolve_deadline, uint64_t resolved_ms)
{
	Gs__Assignment *a = &asg[nasg];

	gs__assignment__init(a);
	a->department = (char *)(uintptr_t)"q/c/@police";
	a->ack_deadline_ms = ack_deadline;
	a->acked_hlc = acked_ms ? GS_HLC_MAKE(acked_ms, 0) : 0;
	a->resolve_deadline_ms = resolve_deadline;
	a->resolved_hlc = resolved_ms ? GS_HLC_MAKE(resolved_ms, 0) : 0;
	asgp[nasg] = a;
	c->assignments = &asgp[nasg];
	c->n_assignments = 1;
	nasg++;
}

static void
check_rate(const struct gs_counts *k, enum gs_rate r, double want)
{
	double v = -1;

	GS_CHECK(gs_rate(k, r, &v));
	GS_CHECK(v > want - 1e-9 && v < want + 1e-9);
}

static void
test_overdue(void)
{
	Gs__Case c = mk(GS__STATUS__DISPATCHED, "q/c", "neighbor", 0, 0);

	nasg = 0;
	with_assignment(&c, NOW - 1, 0, NOW + 1000, 0);
	GS_CHECK(gs_case_overdue(&c, NOW));           /* not acked in time */
	GS_CHECK(!gs_case_overdue(&c, NOW - 1));      /* at the deadline: not yet */
	asg[0].acked_hlc = GS_HLC_MAKE(NOW - 5, 0);
	GS_CHECK(!gs_case_overdue(&c, NOW));          /* acked; resolve not due */
	GS_CHECK(gs_case_overdue(&c, NOW + 1001));    /* resolve deadline passed */
	c.status = GS__STATUS__RESOLVED;
	GS_CHECK(!gs_case_overdue(&c, NOW + 1001));   /* settled cases never are */
	c.status = GS__STATUS__OPEN;
	c.n_assignments = 0;
	GS_CHECK(!gs_case_overdue(&c, NOW));          /* no deadline at all */
}

static void
test_counts_and_rates(void)
{
	struct gs_counts k = { 0 }, twice;
	Gs__Case cs[6];
	double v;

	nasg = 0;
	/* Settled in the village by mediation, satisfied. */
	cs[0] = mk(GS__STATUS__CLOSED, "q/c/x", "neighbor",
	    GS__OUTCOME__MEDIATED, GS__SATISFACTION__SATISFIED);
	/* Settled in the town, referred, basic satisfaction; acked late. */
	cs[1] = mk(GS__STATUS__CLOSED, "q/c", "debt", GS__OUTCOME__REFERRED,
	    GS__SATISFACTION__BASIC);
	with_assignment(&cs[1], NOW - 100, NOW - 50, NOW + 100, NOW - 10);
	/* Settled at the county, unsatisfied; not a dispute category. */
	cs[2] = mk(GS__STATUS__CLOSED, "q", "safety", GS__OUTCOME__SOLVED,
	    GS__SATISFACTION__UNSATISFIED);
	/* Resolved in the town by mediation, not yet followed up; acked on
	 * time. */
	cs[3] = mk(GS__STATUS__RESOLVED, "q/c", "land", GS__OUTCOME__MEDIATED, 0);
	with_assignment(&cs[3], NOW - 100, NOW - 200, NOW + 100, NOW - 150);
	/* Open and overdue: ack deadline passed. */
	cs[4] = mk(GS__STATUS__DISPATCHED, "q/c", "marriage", 0, 0);
	with_assignment(&cs[4], NOW - 1, 0, NOW + 100, 0);
	/* Open, deadline not reached: not due, not overdue. */
	cs[5] = mk(GS__STATUS__DISPATCHED, "q/c", "other", 0, 0);
	with_assignment(&cs[5], NOW + 1, 0, NOW + 100, 0);
	for (int i = 0; i < 6; i++)
		gs_counts_add(&k, &cs[i], NOW);

	GS_CHECK_EQ(k.received, 6);
	GS_CHECK_EQ(k.settled, 4);
	GS_CHECK_EQ(k.open, 2);
	GS_CHECK_EQ(k.overdue, 1);
	GS_CHECK_EQ(k.settled_village, 1);
	GS_CHECK_EQ(k.settled_town, 2);
	GS_CHECK_EQ(k.settled_county, 1);
	GS_CHECK_EQ(k.disputes_settled, 3);   /* neighbor, debt, land */
	GS_CHECK_EQ(k.mediated, 2);
	GS_CHECK_EQ(k.assignments_due, 3);    /* cs[1], cs[3], cs[4] */
	GS_CHECK_EQ(k.acked_on_time, 1);      /* cs[3] */
	GS_CHECK_EQ(k.followed_up, 3);
	GS_CHECK_EQ(k.satisfied, 2);

	check_rate(&k, GS_RATE_CLOSURE, 4.0 / 6);
	check_rate(&k, GS_RATE_MEDIATION, 2.0 / 3);
	check_rate(&k, GS_RATE_ONTIME_ACK, 1.0 / 3);
	check_rate(&k, GS_RATE_SATISFACTION, 2.0 / 3);
	check_rate(&k, GS_RATE_IN_VILLAGE, 1.0 / 4);
	check_rate(&k, GS_RATE_IN_TOWN, 3.0 / 4);
	check_rate(&k, GS_RATE_NOT_PASSED_UP, 3.0 / 4);

	/* Sums add every counter. */
	twice = k;
	gs_counts_sum(&twice, &k);
	GS_CHECK_EQ(twice.received, 12);
	GS_CHECK_EQ(twice.satisfied, 4);
	check_rate(&twice, GS_RATE_CLOSURE, 4.0 / 6);

	/* Undefined, not zero, when nothing is in the denominator. */
	memset(&k, 0, sizeof(k));
	for (int r = 0; r < GS_RATE__COUNT; r++)
		GS_CHECK(!gs_rate(&k, r, &v));
	/* A change set without its report is not counted. */
	cs[0].status = GS__STATUS__STATUS_UNSET;
	gs_counts_add(&k, &cs[0], NOW);
	GS_CHECK_EQ(k.received, 0);
}

static void
test_names(void)
{
	GS_CHECK_STR(gs_rate_name(GS_RATE_CLOSURE), "closure");
	GS_CHECK_STR(gs_rate_label(GS_RATE_CLOSURE), "诉求办结率");
	GS_CHECK_STR(gs_rate_label(GS_RATE_NOT_PASSED_UP), "矛盾不上交率");
	GS_CHECK_STR(gs_rate_name(GS_RATE__COUNT), "unknown");
}

int
main(void)
{
	GS_RUN(test_overdue);
	GS_RUN(test_counts_and_rates);
	GS_RUN(test_names);
	return 0;
}
