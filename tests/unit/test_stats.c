/*
 * test_stats.c: days in China Standard Time, counts from cases and from
 * rollups, and the rollups a town owes (stats.h), over real stores.
 *
 * The world, in a mkdtemp directory: the county q (its own trust root),
 * the town q/c and the villages q/c/x and q/c/y, each a real node. The
 * Members (q's self Member, q -> q/c, q/c -> q/c/x, q/c -> q/c/y) are
 * sealed by hand and applied to every store. Then the villages write
 * their cases through gs_ops_write in their own stores, with the clock
 * (GRIDNODE_NOW_MS) set to the day wanted, and each change is forwarded
 * to the town's store through gs_apply_batch, as sync would. The town
 * signs its rollups through gs_policy_rollups.
 */
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "gs_test.h"

#include "gs/apply.h"
#include "gs/change.h"
#include "gs/error.h"
#include "gs/hlc.h"
#include "gs/node.h"
#include "gs/ops.h"
#include "gs/policy.h"
#include "gs/rates.h"
#include "gs/records.h"
#include "gs/stats.h"
#include "gs/store.h"

#define MAP_TEST ((size_t)16 << 20)
#define DAY_MS   86400000ULL

/* 2026-11-01 10:00 in China (02:00 UTC), and the next two days. */
#define T1 1793498400000ULL
#define T2 (T1 + DAY_MS)
#define T3 (T1 + 2 * DAY_MS)

#define H(k) GS_HLC_MAKE(1700000000000ULL + (uint64_t)(k) * 1000, 0)

#define CID(v, k) "q/c/" v "#01JD3QZ8W6X5N4M2K9R7T0V1A" #k

/* A node that signs by hand: its key, and its own seq and prev chain. */
struct ident {
	gs_node *n;
	uint64_t seq;
	uint8_t  prev[GS_ID_BYTES];
};

struct env {
	uint8_t *buf;
	size_t   len;
	uint8_t  id[GS_ID_BYTES];
};

struct draft {
	Gs__Change      ch;
	Gs__Member      member;
	Gs__Revoke      revoke;
	Gs__Report      report;
	Gs__Resolve     resolve;
	Gs__Whistle     whistle;
	Gs__Dispatch    dispatch;
	Gs__Rollup      rollup;
	Gs__RollupCount count;
	Gs__RollupCount *countp[1];
	uint8_t         key[GS_KEY_BYTES];
};

static char base[64];
static struct ident Q, C, X, Y;
static struct env mq, mc, mx, my;
static int nnodes;

static char *
unconst(const char *s)
{
	return (char *)(uintptr_t)s;
}

/* ---- drafts ---- */

static Gs__Change *
d_init(struct draft *d)
{
	memset(d, 0, sizeof(*d));
	gs__change__init(&d->ch);
	gs__member__init(&d->member);
	gs__revoke__init(&d->revoke);
	gs__report__init(&d->report);
	gs__resolve__init(&d->resolve);
	gs__whistle__init(&d->whistle);
	gs__dispatch__init(&d->dispatch);
	gs__rollup__init(&d->rollup);
	gs__rollup_count__init(&d->count);
	d->ch.actor = unconst("网格员王五");
	return &d->ch;
}

static Gs__Change *
d_member(struct draft *d, const char *path, const uint8_t *key)
{
	d_init(d);
	memcpy(d->key, key, GS_KEY_BYTES);
	d->member.path = unconst(path);
	d->member.key.data = d->key;
	d->member.key.len = GS_KEY_BYTES;
	d->ch.body_case = GS__CHANGE__BODY_MEMBER;
	d->ch.member = &d->member;
	return &d->ch;
}

static Gs__Change *
d_revoke(struct draft *d, const uint8_t *key, const char *path,
    uint64_t after)
{
	d_init(d);
	memcpy(d->key, key, GS_KEY_BYTES);
	d->revoke.key.data = d->key;
	d->revoke.key.len = GS_KEY_BYTES;
	d->revoke.path = unconst(path);
	d->revoke.after_seq = after;
	d->revoke.reason = unconst("终端丢失");
	d->ch.body_case = GS__CHANGE__BODY_REVOKE;
	d->ch.revoke = &d->revoke;
	return &d->ch;
}

static Gs__Change *
d_report(struct draft *d, const char *cid, const char *category,
    Gs__Severity severity)
{
	d_init(d);
	d->ch.case_id = unconst(cid);
	d->report.category = unconst(category);
	d->report.title = unconst("群众诉求");
	d->report.severity = severity;
	d->ch.body_case = GS__CHANGE__BODY_REPORT;
	d->ch.report = &d->report;
	return &d->ch;
}

static Gs__Change *
d_resolve(struct draft *d, const char *cid, Gs__Outcome outcome)
{
	d_init(d);
	d->ch.case_id = unconst(cid);
	d->resolve.outcome = outcome;
	d->ch.body_case = GS__CHANGE__BODY_RESOLVE;
	d->ch.resolve = &d->resolve;
	return &d->ch;
}

static Gs__Change *
d_whistle(struct draft *d, const char *cid)
{
	d_init(d);
	d->ch.case_id = unconst(cid);
	d->ch.body_case = GS__CHANGE__BODY_WHISTLE;
	d->ch.whistle = &d->whistle;
	return &d->ch;
}

static Gs__Change *
d_dispatch(struct draft *d, const char *cid, uint64_t ack_deadline)
{
	d_init(d);
	d->ch.case_id = unconst(cid);
	d->dispatch.department = unconst("q/c/@justice");
	d->dispatch.ack_deadline_ms = ack_deadline;
	d->ch.body_case = GS__CHANGE__BODY_DISPATCH;
	d->ch.dispatch = &d->dispatch;
	return &d->ch;
}

static Gs__Change *
d_rollup(struct draft *d, const char *subject, const char *period,
    const char *name, uint64_t value)
{
	d_init(d);
	d->rollup.subject = unconst(subject);
	d->rollup.period = unconst(period);
	d->count.name = unconst(name);
	d->count.value = value;
	d->countp[0] = &d->count;
	d->rollup.counts = d->countp;
	d->rollup.n_counts = 1;
	d->ch.body_case = GS__CHANGE__BODY_ROLLUP;
	d->ch.rollup = &d->rollup;
	return &d->ch;
}

/* Seals draft c by hand as s's next change at hlc, as its own path. */
static void
seal(struct ident *s, Gs__Change *c, uint64_t hlc, struct env *out)
{
	const char *why = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	c->signer = unconst(gs_node_path(s->n));
	c->version = GS_CHANGE_VERSION;
	c->origin.data = (uint8_t *)(uintptr_t)gs_node_key(s->n);
	c->origin.len = GS_KEY_BYTES;
	c->seq = s->seq + 1;
	c->prev.data = s->seq > 0 ? s->prev : NULL;
	c->prev.len = s->seq > 0 ? GS_ID_BYTES : 0;
	c->hlc = hlc;
	rc = gs_change_seal(c, gs_node_secret(s->n), &out->buf, &out->len,
	    out->id, &why);
	if (rc != 0)
		fprintf(stderr, "seal: %s\n", why ? why : gs_strerror(rc));
	GS_CHECK_EQ(rc, 0);
	s->seq++;
	memcpy(s->prev, out->id, GS_ID_BYTES);
}

static void
env_free(struct env *e)
{
	free(e->buf);
	memset(e, 0, sizeof(*e));
}

/* ---- the world ---- */

static gs_node *
node_new(const char *path, const uint8_t *root)
{
	char dir[128];
	gs_node *n = NULL;

	snprintf(dir, sizeof(dir), "%s/n%d", base, nnodes++);
	GS_CHECK_EQ(gs_node_create(dir, path, root, MAP_TEST, &n), 0);
	return n;
}

static void
apply_one(gs_node *n, const uint8_t *buf, size_t len,
    enum gs_apply_status want)
{
	struct gs_apply_result res;
	gs_txn *t = NULL;

	GS_CHECK_EQ(gs_txn_begin(gs_node_store(n), 1, &t), 0);
	GS_CHECK_EQ(gs_apply_batch(n, t, &buf, &len, 1, &res, NULL), 0);
	GS_CHECK_EQ(gs_txn_commit(&t), 0);
	if (res.status != want)
		fprintf(stderr, "apply: %d %s\n", (int)res.status, res.reason);
	GS_CHECK_EQ(res.status, want);
}

static void
apply_members(gs_node *n)
{
	apply_one(n, mq.buf, mq.len, GS_APPLIED);
	apply_one(n, mc.buf, mc.len, GS_APPLIED);
	apply_one(n, mx.buf, mx.len, GS_APPLIED);
	apply_one(n, my.buf, my.len, GS_APPLIED);
}

static void
world_new(void)
{
	struct draft d;

	strcpy(base, "/tmp/gs_test_stats.XXXXXX");
	GS_CHECK(mkdtemp(base) != NULL);
	nnodes = 0;
	memset(&Q, 0, sizeof(Q));
	memset(&C, 0, sizeof(C));
	memset(&X, 0, sizeof(X));
	memset(&Y, 0, sizeof(Y));
	Q.n = node_new("q", NULL);
	C.n = node_new("q/c", gs_node_key(Q.n));
	X.n = node_new("q/c/x", gs_node_key(Q.n));
	Y.n = node_new("q/c/y", gs_node_key(Q.n));
	seal(&Q, d_member(&d, "q", gs_node_key(Q.n)), H(1), &mq);
	seal(&Q, d_member(&d, "q/c", gs_node_key(C.n)), H(2), &mc);
	seal(&C, d_member(&d, "q/c/x", gs_node_key(X.n)), H(3), &mx);
	seal(&C, d_member(&d, "q/c/y", gs_node_key(Y.n)), H(4), &my);
	apply_members(C.n);
	apply_members(X.n);
	apply_members(Y.n);
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void
world_free(void)
{
	gs_node_close(&Q.n);
	gs_node_close(&C.n);
	gs_node_close(&X.n);
	gs_node_close(&Y.n);
	env_free(&mq);
	env_free(&mc);
	env_free(&mx);
	env_free(&my);
	GS_CHECK_EQ(nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
	GS_CHECK(access(base, F_OK) != 0);
	unsetenv("GRIDNODE_NOW_MS");
}

/* ---- writing ---- */

static void
clock_at(uint64_t ms)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)ms);
	GS_CHECK_EQ(setenv("GRIDNODE_NOW_MS", buf, 1), 0);
}

/* n writes c through gs_ops_write with its clock at ms. */
static void
write_at(gs_node *n, Gs__Change *c, uint64_t ms, uint8_t id[GS_ID_BYTES])
{
	char err[256];
	int rc;

	clock_at(ms);
	rc = gs_ops_write(n, c, id, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "%s: write: %s\n", gs_node_path(n), err);
	GS_CHECK_EQ(rc, 0);
}

/* Copies change id from one store into another, as sync would. */
static void
forward(gs_node *from, const uint8_t id[GS_ID_BYTES], gs_node *to)
{
	gs_txn *t = NULL;
	gs_val v;
	uint8_t *b;
	size_t len;

	GS_CHECK_EQ(gs_txn_begin(gs_node_store(from), 0, &t), 0);
	GS_CHECK_EQ(gs_get(t, GS_DB_CHANGES, id, GS_ID_BYTES, &v), 0);
	len = v.len;
	GS_CHECK((b = malloc(len)) != NULL);
	memcpy(b, v.data, len);
	gs_txn_abort(&t);
	apply_one(to, b, len, GS_APPLIED);
	free(b);
}

/* Village v writes c at ms; the town's store gets it. */
static void
vwrite(struct ident *v, Gs__Change *c, uint64_t ms)
{
	uint8_t id[GS_ID_BYTES];

	write_at(v->n, c, ms, id);
	forward(v->n, id, C.n);
}

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
	GS_CHECK_EQ(gs_stats_rollups(t, self, period, by, &a), 0);
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
		GS_CHECK_EQ(gs_stats_rollups(t, "q", period, GS_BY_NONE, &s),
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
	GS_CHECK_EQ(gs_stats_rollups(t, "q", "2026-11", GS_BY_VILLAGE, &s), 0);
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
	GS_CHECK_EQ(gs_stats_rollups(t, "q/d", NULL, GS_BY_VILLAGE, &s), 0);
	GS_CHECK_EQ(s.n, 0);
	GS_CHECK_EQ(s.total.received, 0);
	gs_stats_free(&s);
	GS_CHECK_EQ(gs_stats_rollups(t, "q/c/x", NULL, GS_BY_VILLAGE, &s), 0);
	GS_CHECK_EQ(s.n, 0);
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
	/* The county's own count of q/c/x's first day. */
	seal(&Q, d_rollup(&d, "q/c/x", "2026-11-01", "neighbor.received",
	    100), GS_HLC_MAKE(now + 1000, 0), &rq);
	apply_one(C.n, rq.buf, rq.len, GS_APPLIED);
	/* The village's own, through its store. */
	write_at(X.n, d_rollup(&d, "q/c/x", "2026-11-02", "neighbor.received",
	    50), now + 2000, id);
	forward(X.n, id, C.n);
	/* The town owes nothing new: none of these is one of its
	 * villages' rollups. */
	due_is(now + 4000, NULL, 0);

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
	write_at(C.n, d_dispatch(&d, CID("x", 3), A), now + 2000, id);
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
