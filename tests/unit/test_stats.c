/*
 * test_stats.c: days in China Standard Time, counts from cases and from
 * rollups, and the rollups a town owes (stats.h), over real stores.
 *
 * The world of gs_world.h: the county q, the town q/c and the villages
 * q/c/x and q/c/y, real nodes, the town and the villages holding the
 * Members. The villages write their cases through gs_ops_write in their
 * own stores, with the clock (GRIDNODE_NOW_MS) set to the day wanted, and
 * each change is forwarded to the town's store through gs_apply_batch, as
 * sync would. The town signs its rollups through gs_policy_rollups.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <sodium.h>

#include "gs_test.h"
#include "gs_world.h"

#include "gs/apply.h"
#include "gs/hlc.h"
#include "gs/node.h"
#include "gs/ops.h"
#include "gs/policy.h"
#include "gs/rates.h"
#include "gs/records.h"
#include "gs/stats.h"
#include "gs/store.h"

#define DAY_MS 86400000ULL

/* 2026-11-01 10:00 in China (02:00 UTC), and the next two days. */
#define T1 1793498400000ULL
#define T2 (T1 + DAY_MS)
#define T3 (T1 + 2 * DAY_MS)

#define CID(v, k) "q/c/" v "#01JD3QZ8W6X5N4M2K9R7T0V1A" #k

/*
 * The cases of both villages over three days (China time):
 *   2026-11-01  x1 neighbor 简单 (resolved, mediated, on 11-02)
 *               x2 neighbor ungraded, open
 *               x3 debt 复杂, open
 *               y1 land 疑难, open
 *   2026-11-02  x4 neighbor 简单, open
 *   2026-11-03  y2 neighbor ungraded (resolved, solved, the same day)
 */
static void
write_cases(void)
{
	struct draft d;

	vwrite(&X, d_report(&d, CID("x", 1), "neighbor", GS__SEVERITY__SIMPLE),
	    T1);
	vwrite(&X, d_report(&d, CID("x", 2), "neighbor",
	    GS__SEVERITY__SEVERITY_UNSET), T1 + 1000);
	vwrite(&X, d_report(&d, CID("x", 3), "debt", GS__SEVERITY__COMPLEX),
	    T1 + 2000);
	vwrite(&Y, d_report(&d, CID("y", 1), "land", GS__SEVERITY__HARD),
	    T1 + 3000);
	vwrite(&X, d_resolve(&d, CID("x", 1), GS__OUTCOME__MEDIATED), T2);
	vwrite(&X, d_report(&d, CID("x", 4), "neighbor", GS__SEVERITY__SIMPLE),
	    T2 + 1000);
	vwrite(&Y, d_report(&d, CID("y", 2), "neighbor",
	    GS__SEVERITY__SEVERITY_UNSET), T3);
	vwrite(&Y, d_resolve(&d, CID("y", 2), GS__OUTCOME__SOLVED), T3 + 1000);
}

/* ---- looking ---- */

/* "subject period name=value ..." */
static void
rollup_str(const Gs__Rollup *r, char *out, size_t cap)
{
	size_t l;

	snprintf(out, cap, "%s %s", r->subject, r->period);
	for (size_t i = 0; i < r->n_counts; i++) {
		l = strlen(out);
		snprintf(out + l, cap - l, " %s=%llu", r->counts[i]->name,
		    (unsigned long long)r->counts[i]->value);
	}
}

/* Checks that gs_rollups_due for the town at now gives exactly want[]. */
static void
due_is(uint64_t now, const char *const *want, size_t k)
{
	Gs__Rollup **r = (Gs__Rollup **)1;
	size_t n = 99;
	gs_txn *t = NULL;
	char s[2048];

	GS_CHECK_EQ(gs_txn_begin(gs_node_store(C.n), 0, &t), 0);
	GS_CHECK_EQ(gs_rollups_due(t, "q/c", now, &r, &n), 0);
	gs_txn_abort(&t);
	for (size_t i = 0; i < n; i++) {
		rollup_str(r[i], s, sizeof(s));
		if (i >= k || strcmp(s, want[i]) != 0) {
			fprintf(stderr, "due[%zu] == \"%s\"\n   want \"%s\"\n",
			    i, s, i < k ? want[i] : "(none)");
			exit(1);
		}
	}
	GS_CHECK_EQ(n, k);
	gs_rollups_free(r, n);
}

/* The town signs what is due; returns how many. */
static size_t
sign_rollups(uint64_t now)
{
	char err[256];
	size_t n = 99;

	clock_at(now);
	GS_CHECK_EQ(gs_policy_rollups(C.n, now, &n, err, sizeof(err)), 0);
	GS_CHECK_STR(err, "");
	return n;
}

static void
same_counts(const struct gs_counts *a, const struct gs_counts *b,
    const char *what)
{
	struct gs_counts x = *a, y = *b;

	for (size_t i = 0; i < GS_COUNTS_N; i++) {
		if (*gs_counts_at(&x, i) != *gs_counts_at(&y, i)) {
			fprintf(stderr, "%s: %s: rollups %llu, cases %llu\n",
			    what, gs_counts_name(i),
			    (unsigned long long)*gs_counts_at(&x, i),
			    (unsigned long long)*gs_counts_at(&y, i));
			exit(1);
		}
	}
}

/*
 * On the town's store, gs_stats_rollups as self (the county path, or the
 * town's) equals gs_stats_cases for period and by: the same groups, every
 * count equal. The groups' keys, joined with spaces, into keys.
 */
static void
rollups_match(const char *self, const char *period, enum gs_stats_by by,
    uint64_t now, char *keys, size_t cap, struct gs_counts *total)
{
	struct gs_stats a, b;
	gs_txn *t = NULL;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(C.n), 0, &t), 0);
	GS_CHECK_EQ(gs_stats_rollups(t, self, period, by, 0, &a), 0);
	GS_CHECK_EQ(gs_stats_cases(t, period, by, now, &b), 0);
	gs_txn_abort(&t);
	GS_CHECK_EQ(a.n, b.n);
	keys[0] = '\0';
	for (size_t i = 0; i < a.n; i++) {
		size_t l = strlen(keys);

		GS_CHECK_STR(a.groups[i].key, b.groups[i].key);
		same_counts(&a.groups[i].k, &b.groups[i].k, a.groups[i].key);
		snprintf(keys + l, cap - l, "%s%s", l ? " " : "",
		    a.groups[i].key);
	}
	same_counts(&a.total, &b.total, "total");
	if (by == GS_BY_NONE)
		GS_CHECK(a.n == 0 && a.groups == NULL);
	*total = a.total;
	gs_stats_free(&a);
	gs_stats_free(&b);
	GS_CHECK(a.groups == NULL && a.n == 0);
}

/* The totals of period on the town's store, from the rollups (as the
 * county) or from the cases. */
static struct gs_counts
totals(bool rollups, const char *period, uint64_t now)
{
	struct gs_stats s;
	struct gs_counts k;
	gs_txn *t = NULL;

	memset(&s, 0, sizeof(s));
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(C.n), 0, &t), 0);
	if (rollups)
		GS_CHECK_EQ(gs_stats_rollups(t, "q", period, GS_BY_NONE, 0, &s),
		    0);
	else
		GS_CHECK_EQ(gs_stats_cases(t, period, GS_BY_NONE, now, &s), 0);
	gs_txn_abort(&t);
	k = s.total;
	gs_stats_free(&s);
	return k;
}

/* Every by and period against the cases; totals received checked. */
static void
all_match(const char *self, uint64_t now, uint64_t received)
{
	struct gs_counts k;
	char keys[512];

	rollups_match(self, "2026-11", GS_BY_NONE, now, keys, sizeof(keys), &k);
	GS_CHECK_STR(keys, "");
	GS_CHECK_EQ(k.received, received);
	rollups_match(self, "2026-11", GS_BY_VILLAGE, now, keys, sizeof(keys),
	    &k);
	GS_CHECK_STR(keys, "q/c/x q/c/y");
	GS_CHECK_EQ(k.received, received);
	rollups_match(self, "2026-11", GS_BY_CATEGORY, now, keys, sizeof(keys),
	    &k);
	GS_CHECK_STR(keys, "debt land neighbor");
	rollups_match(self, "2026-11", GS_BY_TOWN, now, keys, sizeof(keys), &k);
	GS_CHECK_STR(keys, "q/c");
	rollups_match(self, "2026", GS_BY_VILLAGE, now, keys, sizeof(keys), &k);
	GS_CHECK_EQ(k.received, received);
	rollups_match(self, NULL, GS_BY_CATEGORY, now, keys, sizeof(keys), &k);
	GS_CHECK_EQ(k.received, received);
	rollups_match(self, "2026-11-02", GS_BY_VILLAGE, now, keys,
	    sizeof(keys), &k);
	GS_CHECK_STR(keys, "q/c/x");
	GS_CHECK_EQ(k.received, 1);
	rollups_match(self, "2026-11-03", GS_BY_CATEGORY, now, keys,
	    sizeof(keys), &k);
	GS_CHECK_STR(keys, "neighbor");
	rollups_match(self, "2026-10", GS_BY_VILLAGE, now, keys, sizeof(keys),
	    &k);
	GS_CHECK_STR(keys, "");
	GS_CHECK_EQ(k.received, 0);
	/* The month's trend: one group per day reported, as the dashboard
	 * draws it; rollups and cases agree day by day. */
	rollups_match(self, "2026-11", GS_BY_DAY, now, keys, sizeof(keys), &k);
	GS_CHECK_STR(keys, "2026-11-01 2026-11-02 2026-11-03");
	GS_CHECK_EQ(k.received, received);
}

/* ---- tests ---- */

static void
check_days(void)
{
	char day[GS_DAY_BYTES];
	static const struct {
		uint64_t    ms;
		const char *day;
	} t[] = {
		{ 1793462399999ULL, "2026-10-31" },   /* 23:59:59.999 CST */
		{ 1793462400000ULL, "2026-11-01" },   /* 00:00 CST */
		{ 1793462400000ULL - 8 * 3600000ULL, "2026-10-31" }, /* UTC 0:00 */
		{ 0, "1970-01-01" },
		{ 1798732799999ULL, "2026-12-31" },
		{ 1798732800000ULL, "2027-01-01" },
		{ 1709135999999ULL, "2024-02-28" },
		{ 1709136000000ULL, "2024-02-29" },
		{ T1, "2026-11-01" }, { T2, "2026-11-02" }, { T3, "2026-11-03" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(day, 'z', sizeof(day));
		gs_stats_day(GS_HLC_MAKE(t[i].ms, 0), day);
		GS_CHECK_STR(day, t[i].day);
		/* The counter never moves the day. */
		gs_stats_day(GS_HLC_MAKE(t[i].ms, 0xffff), day);
		GS_CHECK_STR(day, t[i].day);
	}
}

/* The China day of an HLC, exact at midnight, whatever the machine's
 * time zone. */
static void
test_day(void)
{
	const char *tz = getenv("TZ");
	char *saved = tz ? strdup(tz) : NULL;

	time_t t0 = 0;
	struct tm tm;

	check_days();
	GS_CHECK_EQ(setenv("TZ", "America/New_York", 1), 0);
	tzset();
	check_days();
	/* Zones given by rule, no zoneinfo needed: New York's, and one
	 * fourteen hours ahead. The machine's local time really moved. */
	GS_CHECK_EQ(setenv("TZ", "EST5EDT,M3.2.0,M11.1.0", 1), 0);
	tzset();
	GS_CHECK(localtime_r(&t0, &tm) != NULL);
	GS_CHECK_EQ(tm.tm_hour, 19);
	check_days();
	GS_CHECK_EQ(setenv("TZ", "<+14>-14", 1), 0);
	tzset();
	GS_CHECK(localtime_r(&t0, &tm) != NULL);
	GS_CHECK_EQ(tm.tm_hour, 14);
	check_days();
	GS_CHECK_EQ(setenv("TZ", "UTC", 1), 0);
	tzset();
	check_days();
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else
		unsetenv("TZ");
	tzset();
}

/*
 * gs_rollups_due: one rollup per (village, day) with cases, exact counts
 * by category, sorted by village then day; none once signed; exactly the
 * changed one after one more change. gs_stats_rollups then equals
 * gs_stats_cases for every period and grouping.
 */
static void
test_rollups_due(void)
{
	static const char *const first[] = {
		"q/c/x 2026-11-01 debt.received=1 debt.open=1 debt.complex=1 "
		"neighbor.received=2 neighbor.open=1 neighbor.settled=1 "
		"neighbor.settled_village=1 neighbor.disputes_settled=1 "
		"neighbor.mediated=1 neighbor.simple=1 "
		"neighbor.graded_settled=1 neighbor.settled_as_graded=1",
		"q/c/x 2026-11-02 neighbor.received=1 neighbor.open=1 "
		"neighbor.simple=1",
		"q/c/y 2026-11-01 land.received=1 land.open=1 land.hard=1",
		"q/c/y 2026-11-03 neighbor.received=1 neighbor.settled=1 "
		"neighbor.settled_village=1 neighbor.disputes_settled=1",
	};
	static const char *const second[] = {
		"q/c/x 2026-11-01 debt.received=1 debt.open=1 debt.complex=1 "
		"neighbor.received=2 neighbor.settled=2 "
		"neighbor.settled_village=2 neighbor.disputes_settled=2 "
		"neighbor.mediated=1 neighbor.simple=1 "
		"neighbor.graded_settled=1 neighbor.settled_as_graded=1",
	};
	const uint64_t now = T3 + 10000;
	struct draft d;
	struct gs_stats s;
	struct gs_counts k;
	gs_txn *t = NULL;
	char keys[512];

	world_new();
	/* Nothing yet. */
	due_is(now, NULL, 0);
	GS_CHECK_EQ(sign_rollups(now), 0);
	write_cases();
	due_is(now, first, 4);
	/* A village's store asked the same counts its own cases only (its
	 * two days); gs_policy_rollups never asks a village. */
	{
		Gs__Rollup **r = NULL;
		size_t n = 99;

		GS_CHECK_EQ(gs_txn_begin(gs_node_store(X.n), 0, &t), 0);
		GS_CHECK_EQ(gs_rollups_due(t, "q/c/x", now, &r, &n), 0);
		gs_txn_abort(&t);
		GS_CHECK_EQ(n, 2);
		GS_CHECK_STR(r[0]->subject, "q/c/x");
		GS_CHECK_STR(r[0]->period, "2026-11-01");
		GS_CHECK_STR(r[1]->period, "2026-11-02");
		gs_rollups_free(r, n);
	}
	/* Nothing is counted from rollups before they are signed. */
	memset(&s, 0, sizeof(s));
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(C.n), 0, &t), 0);
	GS_CHECK_EQ(gs_stats_rollups(t, "q", "2026-11", GS_BY_VILLAGE, 0, &s), 0);
	gs_txn_abort(&t);
	GS_CHECK_EQ(s.n, 0);
	GS_CHECK_EQ(s.total.received, 0);
	gs_stats_free(&s);

	GS_CHECK_EQ(sign_rollups(now), 4);
	due_is(now, NULL, 0);
	GS_CHECK_EQ(sign_rollups(now + 1000), 0);
	all_match("q", now, 6);
	all_match("q/c", now, 6);

	/* One more change: only its (village, day) is due, with its new
	 * counts. */
	vwrite(&X, d_resolve(&d, CID("x", 2), GS__OUTCOME__SOLVED), now + 5000);
	due_is(now + 6000, second, 1);
	/* Until signed, the rollups lag the cases. */
	GS_CHECK_EQ(totals(true, "2026-11-01", 0).settled, 1);
	GS_CHECK_EQ(totals(false, "2026-11-01", now + 6000).settled, 2);
	GS_CHECK_EQ(totals(true, "2026-11-01", 0).open, 3);
	GS_CHECK_EQ(totals(false, "2026-11-01", now + 6000).open, 2);
	GS_CHECK_EQ(sign_rollups(now + 6000), 1);
	due_is(now + 7000, NULL, 0);
	all_match("q", now + 7000, 6);
	rollups_match("q", "2026-11", GS_BY_VILLAGE, now + 7000, keys,
	    sizeof(keys), &k);
	GS_CHECK_EQ(k.settled, 3);
	GS_CHECK_EQ(k.settled_village, 3);
	GS_CHECK_EQ(k.open, 3);
	GS_CHECK_EQ(k.simple, 2);
	GS_CHECK_EQ(k.complex, 1);
	GS_CHECK_EQ(k.hard, 1);
	GS_CHECK_EQ(k.mediated, 1);

	/* A node that is not below self sums nothing. */
	memset(&s, 0, sizeof(s));
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(C.n), 0, &t), 0);
	GS_CHECK_EQ(gs_stats_rollups(t, "q/d", NULL, GS_BY_VILLAGE, 0, &s), 0);
	GS_CHECK_EQ(s.n, 0);
	GS_CHECK_EQ(s.total.received, 0);
	gs_stats_free(&s);
	/* A village asked this way has no rollups below it, only the cases
	 * it owns itself: all four of x's. */
	GS_CHECK_EQ(gs_stats_rollups(t, "q/c/x", NULL, GS_BY_VILLAGE, 0, &s), 0);
	GS_CHECK_EQ(s.n, 1);
	GS_CHECK_STR(s.groups[0].key, "q/c/x");
	GS_CHECK_EQ(s.total.received, 4);
	gs_stats_free(&s);
	gs_txn_abort(&t);

	world_free();
}

/*
 * Rollups of a village signed by anyone but its parent (the county, the
 * village itself) are held but never summed: the figures stay equal to
 * the cases', and the town owes nothing new because of them.
 */
static void
test_rollups_only_parent(void)
{
	const uint64_t now = T3 + 10000;
	struct draft d;
	struct env rq;
	struct gs_counts k;
	uint8_t id[GS_ID_BYTES];
	char keys[512];

	world_new();
	write_cases();
	GS_CHECK_EQ(sign_rollups(now), 4);
	/* The county's own count of q/c/x's first day: apply refuses a
	 * rollup from anyone but the subject's parent or the subject. */
	seal(&Q, d_rollup(&d, "q/c/x", "2026-11-01", "neighbor.received",
	    100), GS_HLC_MAKE(now + 1000, 0), &rq);
	apply_one(C.n, rq.buf, rq.len, GS_REJECTED);
	/* The village's own, through its store: held, never summed. */
	write_at(X.n, d_rollup(&d, "q/c/x", "2026-11-02", "neighbor.received",
	    50), now + 2000, id);
	forward(X.n, id, C.n);
	/* The town's own rollup of a village nobody enrolled: stored (the
	 * path alone cannot tell), never summed. */
	write_at(C.n, d_rollup(&d, "q/c/ghost", "2026-11-01",
	    "neighbor.received", 70), now + 3000, id);
	/* The town owes nothing new but an empty rollup superseding the
	 * ghost's (it has no such cases). */
	{
		static const char *const ghost[] = { "q/c/ghost 2026-11-01" };

		due_is(now + 4000, ghost, 1);
	}

	all_match("q", now + 4000, 6);
	rollups_match("q", "2026-11-01", GS_BY_VILLAGE, now + 4000, keys,
	    sizeof(keys), &k);
	GS_CHECK_STR(keys, "q/c/x q/c/y");
	GS_CHECK_EQ(k.received, 4);

	env_free(&rq);
	world_free();
}

/*
 * The clock alone changes counts: a dispatched case passing its ack
 * deadline becomes overdue and its assignment due, so its (village, day)
 * rollup is due again, strictly after the deadline and only then.
 */
static void
test_rollups_due_clock(void)
{
	static const char *const want[] = {
		"q/c/x 2026-11-01 debt.received=1 debt.open=1 debt.overdue=1 "
		"debt.assignments_due=1 debt.complex=1 "
		"neighbor.received=2 neighbor.open=1 neighbor.settled=1 "
		"neighbor.settled_village=1 neighbor.disputes_settled=1 "
		"neighbor.mediated=1 neighbor.simple=1 "
		"neighbor.graded_settled=1 neighbor.settled_as_graded=1",
	};
	const uint64_t now = T3 + 10000, A = T3 + 3600000;
	struct draft d;
	uint8_t id[GS_ID_BYTES];

	world_new();
	write_cases();
	GS_CHECK_EQ(sign_rollups(now), 4);
	/* x3 goes up to the town, which dispatches it to its justice
	 * office: nothing counted changes. */
	vwrite(&X, d_whistle(&d, CID("x", 3)), now + 1000);
	write_at(C.n, d_dispatch(&d, CID("x", 3), "q/c/@justice", A, 0),
	    now + 2000, id);
	due_is(now + 3000, NULL, 0);
	due_is(A, NULL, 0);
	due_is(A + 1, want, 1);
	GS_CHECK_EQ(sign_rollups(A + 1), 1);
	due_is(A + 2, NULL, 0);
	all_match("q", A + 2, 6);
	GS_CHECK_EQ(totals(true, "2026-11", 0).overdue, 1);
	GS_CHECK_EQ(totals(true, "2026-11", 0).assignments_due, 1);
	GS_CHECK_EQ(totals(true, "2026-11", 0).acked_on_time, 0);

	world_free();
}

/*
 * When a village's cases become void (its key revoked from its first
 * change), the town supersedes that village's rollups with empty ones,
 * and the list stays sorted by village then day even when another
 * village's rollup is due at the same time.
 */
static void
test_rollups_due_revoked(void)
{
	static const char *const want[] = {
		"q/c/x 2026-11-01",
		"q/c/x 2026-11-02",
		"q/c/y 2026-11-03 neighbor.received=2 neighbor.open=1 "
		"neighbor.settled=1 neighbor.settled_village=1 "
		"neighbor.disputes_settled=1",
	};
	const uint64_t now = T3 + 10000;
	struct draft d;
	uint8_t id[GS_ID_BYTES];
	struct gs_counts k;
	char keys[512];

	world_new();
	write_cases();
	GS_CHECK_EQ(sign_rollups(now), 4);
	/* The town revokes q/c/x's key from its first change. */
	write_at(C.n, d_revoke(&d, gs_node_key(X.n), "q/c/x", 0), now + 1000,
	    id);
	/* And q/c/y reports one more on 11-03 (its clock is behind). */
	vwrite(&Y, d_report(&d, CID("y", 3), "neighbor",
	    GS__SEVERITY__SEVERITY_UNSET), T3 + 5000);
	due_is(now + 2000, want, 3);
	GS_CHECK_EQ(sign_rollups(now + 2000), 3);
	due_is(now + 3000, NULL, 0);
	rollups_match("q", "2026-11", GS_BY_VILLAGE, now + 3000, keys,
	    sizeof(keys), &k);
	GS_CHECK_STR(keys, "q/c/y");
	GS_CHECK_EQ(k.received, 3);

	world_free();
}

int
main(void)
{
	GS_CHECK(sodium_init() >= 0);
	GS_RUN(test_day);
	GS_RUN(test_rollups_due);
	GS_RUN(test_rollups_only_parent);
	GS_RUN(test_rollups_due_clock);
	GS_RUN(test_rollups_due_revoked);
	return 0;
}
