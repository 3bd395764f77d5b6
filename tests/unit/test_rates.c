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
	/* The highest level reached: at least where it is now. */
	c.peak = (char *)(uintptr_t)(level[1] == '\0' ? "q" : "q/c/x");
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
	Gs__Case cs[7];
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
	GS_CHECK_EQ(k.passed_up, 1);
	GS_CHECK(gs_counts_consistent(&k));

	/* Whistled to the county, returned, and settled in the town: settled
	 * in town, but it was passed up. */
	cs[6] = mk(GS__STATUS__RESOLVED, "q/c", "neighbor", GS__OUTCOME__MEDIATED,
	    0);
	cs[6].peak = (char *)(uintptr_t)"q";
	gs_counts_add(&k, &cs[6], NOW);
	GS_CHECK_EQ(k.settled_town, 3);
	GS_CHECK_EQ(k.passed_up, 2);
	check_rate(&k, GS_RATE_IN_TOWN, 4.0 / 5);
	check_rate(&k, GS_RATE_NOT_PASSED_UP, 3.0 / 5);
	k.mediated = k.disputes_settled + 1;
	GS_CHECK(!gs_counts_consistent(&k));
	k.mediated = k.disputes_settled;
	memset(&k, 0, sizeof(k));
	for (int i = 0; i < 6; i++)
		gs_counts_add(&k, &cs[i], NOW);

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

/* An assignment appended to c's, which must be the last ones added. */
static void
add_assignment(Gs__Case *c, uint64_t ack_deadline, uint64_t acked_ms,
    uint64_t resolve_deadline, uint64_t resolved_ms)
{
	Gs__Assignment **first = c->n_assignments ? c->assignments : NULL;
	size_t n = c->n_assignments;

	with_assignment(c, ack_deadline, acked_ms, resolve_deadline,
	    resolved_ms);
	if (first != NULL) {
		GS_CHECK(first + n == c->assignments);
		c->assignments = first;
		c->n_assignments = n + 1;
	}
}

/*
 * Overdue only strictly after a deadline: at deadline - 1 and at the
 * deadline itself not, at deadline + 1 since the deadline. The same for
 * the ack and the resolve deadline; an acked assignment has no ack
 * deadline left, a resolved one no resolve deadline.
 */
static void
test_overdue_since(void)
{
	const uint64_t D = NOW, R = NOW + 3600000;
	Gs__Case c = mk(GS__STATUS__DISPATCHED, "q/c", "neighbor", 0, 0);

	/* The ack deadline alone. */
	nasg = 0;
	with_assignment(&c, D, 0, 0, 0);
	GS_CHECK_EQ(gs_case_overdue_since(&c, D - 1), 0);
	GS_CHECK(!gs_case_overdue(&c, D - 1));
	GS_CHECK_EQ(gs_case_overdue_since(&c, D), 0);
	GS_CHECK(!gs_case_overdue(&c, D));
	GS_CHECK_EQ(gs_case_overdue_since(&c, D + 1), D);
	GS_CHECK(gs_case_overdue(&c, D + 1));
	GS_CHECK_EQ(gs_case_overdue_since(&c, D + 86400000), D);
	/* Acked (even late): the ack deadline is met. */
	asg[0].acked_hlc = GS_HLC_MAKE(D + 5, 0);
	GS_CHECK_EQ(gs_case_overdue_since(&c, D + 1), 0);
	GS_CHECK(!gs_case_overdue(&c, D + 1));

	/* The resolve deadline alone, acked in time. */
	nasg = 0;
	with_assignment(&c, 0, NOW - 10, R, 0);
	GS_CHECK_EQ(gs_case_overdue_since(&c, R - 1), 0);
	GS_CHECK(!gs_case_overdue(&c, R - 1));
	GS_CHECK_EQ(gs_case_overdue_since(&c, R), 0);
	GS_CHECK(!gs_case_overdue(&c, R));
	GS_CHECK_EQ(gs_case_overdue_since(&c, R + 1), R);
	GS_CHECK(gs_case_overdue(&c, R + 1));
	asg[0].resolved_hlc = GS_HLC_MAKE(R + 1, 0);
	GS_CHECK_EQ(gs_case_overdue_since(&c, R + 1), 0);

	/* Both on one assignment: since the ack deadline, the earlier. */
	nasg = 0;
	with_assignment(&c, D, 0, R, 0);
	GS_CHECK_EQ(gs_case_overdue_since(&c, R), D);
	GS_CHECK_EQ(gs_case_overdue_since(&c, R + 1), D);
	/* Open again (a whistle or a return) with the deadline missed:
	 * still overdue; settled never. */
	c.status = GS__STATUS__OPEN;
	GS_CHECK_EQ(gs_case_overdue_since(&c, D + 1), D);
	c.status = GS__STATUS__RESOLVED;
	GS_CHECK_EQ(gs_case_overdue_since(&c, R + 1), 0);
	c.status = GS__STATUS__CLOSED;
	GS_CHECK_EQ(gs_case_overdue_since(&c, R + 1), 0);
	c.status = GS__STATUS__STATUS_UNSET;
	GS_CHECK_EQ(gs_case_overdue_since(&c, R + 1), 0);
}

/* The earliest missed deadline across assignments, whichever comes
 * first in the list and whichever kind it is. */
static void
test_overdue_since_earliest(void)
{
	const uint64_t D1 = NOW + 1000, D2 = NOW + 5000, R2 = NOW + 3000;
	Gs__Case c = mk(GS__STATUS__DISPATCHED, "q/c", "neighbor", 0, 0);

	nasg = 0;
	/* The police: ack by D2. The justice office: acked, resolve by R2;
	 * and its ack deadline D1 was met. */
	add_assignment(&c, D2, 0, 0, 0);
	add_assignment(&c, D1, NOW, R2, 0);
	GS_CHECK_EQ(c.n_assignments, 2);
	GS_CHECK_EQ(gs_case_overdue_since(&c, D1 + 1), 0);
	GS_CHECK_EQ(gs_case_overdue_since(&c, R2), 0);
	GS_CHECK_EQ(gs_case_overdue_since(&c, R2 + 1), R2);
	GS_CHECK_EQ(gs_case_overdue_since(&c, D2), R2);
	GS_CHECK_EQ(gs_case_overdue_since(&c, D2 + 1), R2);
	/* The justice office resolves: only the police's ack is left. */
	asg[1].resolved_hlc = GS_HLC_MAKE(R2 + 1, 0);
	GS_CHECK_EQ(gs_case_overdue_since(&c, D2), 0);
	GS_CHECK_EQ(gs_case_overdue_since(&c, D2 + 1), D2);
	/* An earlier missed ack on the first assignment wins over a later
	 * missed resolve on the second. */
	asg[1].resolved_hlc = 0;
	asg[0].ack_deadline_ms = D1 - 500;
	GS_CHECK_EQ(gs_case_overdue_since(&c, D2 + 1), D1 - 500);
	GS_CHECK_EQ(gs_case_overdue_since(&c, R2), D1 - 500);
	GS_CHECK(gs_case_overdue(&c, D1 - 499));
	GS_CHECK(!gs_case_overdue(&c, D1 - 500));
}

/* Graded cases: settled at or below the level the grade expects
 * (简单 village, 复杂 town, 疑难 county). */
static void
test_graded(void)
{
	struct gs_counts k;
	Gs__Case c;
	double v;
	static const struct {
		int         severity;
		const char *level;
		int         as_graded;
	} cases[] = {
		{ GS__SEVERITY__SIMPLE,  "q/c/x",   1 },
		{ GS__SEVERITY__SIMPLE,  "q/c/x/g", 1 },   /* a grid, deeper */
		{ GS__SEVERITY__SIMPLE,  "q/c",     0 },
		{ GS__SEVERITY__SIMPLE,  "q",       0 },
		{ GS__SEVERITY__COMPLEX, "q/c/x",   1 },
		{ GS__SEVERITY__COMPLEX, "q/c",     1 },
		{ GS__SEVERITY__COMPLEX, "q",       0 },
		{ GS__SEVERITY__HARD,    "q/c/x",   1 },
		{ GS__SEVERITY__HARD,    "q/c",     1 },
		{ GS__SEVERITY__HARD,    "q",       1 },
	};

	nasg = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&k, 0, sizeof(k));
		c = mk(GS__STATUS__RESOLVED, cases[i].level, "other",
		    GS__OUTCOME__SOLVED, 0);
		c.severity = cases[i].severity;
		gs_counts_add(&k, &c, NOW);
		GS_CHECK_EQ(k.graded_settled, 1);
		GS_CHECK_EQ(k.settled_as_graded, cases[i].as_graded);
		GS_CHECK_EQ(k.simple, cases[i].severity == GS__SEVERITY__SIMPLE);
		GS_CHECK_EQ(k.complex,
		    cases[i].severity == GS__SEVERITY__COMPLEX);
		GS_CHECK_EQ(k.hard, cases[i].severity == GS__SEVERITY__HARD);
	}

	/* The four of the brief, plus an ungraded settled case, an open
	 * graded one and a closed one settled too high. */
	memset(&k, 0, sizeof(k));
	c = mk(GS__STATUS__CLOSED, "q/c/x", "neighbor", GS__OUTCOME__MEDIATED,
	    GS__SATISFACTION__SATISFIED);
	c.severity = GS__SEVERITY__SIMPLE;
	gs_counts_add(&k, &c, NOW);                 /* as graded */
	c = mk(GS__STATUS__RESOLVED, "q/c", "neighbor", GS__OUTCOME__MEDIATED, 0);
	c.severity = GS__SEVERITY__SIMPLE;
	gs_counts_add(&k, &c, NOW);                 /* passed up: not */
	c = mk(GS__STATUS__RESOLVED, "q/c", "land", GS__OUTCOME__SOLVED, 0);
	c.severity = GS__SEVERITY__COMPLEX;
	gs_counts_add(&k, &c, NOW);                 /* as graded */
	c = mk(GS__STATUS__CLOSED, "q", "debt", GS__OUTCOME__SOLVED,
	    GS__SATISFACTION__BASIC);
	c.severity = GS__SEVERITY__HARD;
	gs_counts_add(&k, &c, NOW);                 /* as graded */
	c = mk(GS__STATUS__CLOSED, "q", "safety", GS__OUTCOME__SOLVED,
	    GS__SATISFACTION__BASIC);
	c.severity = GS__SEVERITY__COMPLEX;
	gs_counts_add(&k, &c, NOW);                 /* passed up: not */
	c = mk(GS__STATUS__RESOLVED, "q/c/x", "other", GS__OUTCOME__SOLVED, 0);
	gs_counts_add(&k, &c, NOW);                 /* ungraded */
	c = mk(GS__STATUS__OPEN, "q/c/x", "other", 0, 0);
	c.severity = GS__SEVERITY__HARD;
	gs_counts_add(&k, &c, NOW);                 /* open: not settled */

	GS_CHECK_EQ(k.received, 7);
	GS_CHECK_EQ(k.settled, 6);
	GS_CHECK_EQ(k.simple, 2);
	GS_CHECK_EQ(k.complex, 2);
	GS_CHECK_EQ(k.hard, 2);
	GS_CHECK_EQ(k.graded_settled, 5);
	GS_CHECK_EQ(k.settled_as_graded, 3);
	GS_CHECK(gs_rate(&k, GS_RATE_AS_GRADED, &v));
	GS_CHECK(v == 3.0 / 5.0);
	check_rate(&k, GS_RATE_AS_GRADED, 0.6);
	GS_CHECK_STR(gs_rate_name(GS_RATE_AS_GRADED), "as_graded");
	GS_CHECK_STR(gs_rate_label(GS_RATE_AS_GRADED), "分级化解率");

	/* No graded case settled: undefined, whatever else is counted. */
	memset(&k, 0, sizeof(k));
	c = mk(GS__STATUS__CLOSED, "q/c/x", "other", GS__OUTCOME__SOLVED, 0);
	gs_counts_add(&k, &c, NOW);
	GS_CHECK_EQ(k.settled, 1);
	GS_CHECK(!gs_rate(&k, GS_RATE_AS_GRADED, &v));
	/* All graded ones as graded: exactly 1. */
	k.graded_settled = k.settled_as_graded = 4;
	GS_CHECK(gs_rate(&k, GS_RATE_AS_GRADED, &v));
	GS_CHECK(v == 1.0);
}

/* gs_counts_name, _find and _at agree with each other and the struct. */
static void
test_count_names(void)
{
	static const char *const want[] = {
		"received", "open", "settled", "settled_village",
		"settled_town", "settled_county", "overdue",
		"disputes_settled", "mediated", "assignments_due",
		"acked_on_time", "followed_up", "satisfied", "simple",
		"complex", "hard", "graded_settled", "settled_as_graded",
		"passed_up",
	};
	struct gs_counts k;

	GS_CHECK_EQ(GS_COUNTS_N, sizeof(want) / sizeof(want[0]));
	memset(&k, 0, sizeof(k));
	for (size_t i = 0; i < GS_COUNTS_N; i++) {
		GS_CHECK_STR(gs_counts_name(i), want[i]);
		GS_CHECK_EQ(gs_counts_find(want[i]), (int)i);
		GS_CHECK(gs_counts_at(&k, i) != NULL);
		*gs_counts_at(&k, i) = i + 100;
	}
	GS_CHECK(gs_counts_name(GS_COUNTS_N) == NULL);
	GS_CHECK(gs_counts_at(&k, GS_COUNTS_N) == NULL);
	GS_CHECK_EQ(gs_counts_find("nope"), -1);
	GS_CHECK_EQ(gs_counts_find(""), -1);
	GS_CHECK_EQ(gs_counts_find("Received"), -1);
	GS_CHECK_EQ(k.received, 100);
	GS_CHECK_EQ(k.settled_village, 103);
	GS_CHECK_EQ(k.overdue, 106);
	GS_CHECK_EQ(k.simple, 113);
	GS_CHECK_EQ(k.graded_settled, 116);
	GS_CHECK_EQ(k.settled_as_graded, 117);
}

int
main(void)
{
	GS_RUN(test_overdue);
	GS_RUN(test_overdue_since);
	GS_RUN(test_overdue_since_earliest);
	GS_RUN(test_counts_and_rates);
	GS_RUN(test_graded);
	GS_RUN(test_count_names);
	GS_RUN(test_names);
	return 0;
}
