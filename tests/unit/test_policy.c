/*
 * test_policy.c: what a town signs by itself (policy.h): auto-whistles,
 * and who signs rollups at all.
 *
 * The world of gs_world.h: the county q, the town q/c and the villages
 * q/c/x and q/c/y, real nodes, the town and the villages holding the
 * Members; only q/c/x has cases here. The village writes its cases through
 * gs_ops_write in its own store, with the clock (GRIDNODE_NOW_MS) set by
 * the test, and each change is forwarded to the town's store through
 * gs_apply_batch, as sync would. The town writes its own (a dispatch)
 * through gs_ops_write; the county's Return is sealed by hand and applied
 * to the town's store. The policy's now_ms is passed separately from the
 * clock its writes are stamped with.
 */
#include <stdint.h>
#include <stdio.h>

#include <sodium.h>

#include "gs_test.h"
#include "gs_world.h"

#include "gs/apply.h"
#include "gs/change.h"
#include "gs/fold.h"
#include "gs/hlc.h"
#include "gs/node.h"
#include "gs/ops.h"
#include "gs/policy.h"
#include "gs/rates.h"
#include "gs/store.h"

#define HOUR_MS 3600000ULL

/* 2026-11-01 10:00 in China. */
#define T1 1793498400000ULL

#define CID1 "q/c/x#01JD3QZ8W6X5N4M2K9R7T0V1A1"
#define CID2 "q/c/x#01JD3QZ8W6X5N4M2K9R7T0V1A2"

/* The department the town dispatches to. */
#define POLICE "q/c/@police"

static Gs__Case *
load(gs_node *n, const char *cid)
{
	gs_txn *t = NULL;
	Gs__Case *cs = NULL;

	GS_CHECK_EQ(gs_txn_begin(gs_node_store(n), 0, &t), 0);
	GS_CHECK_EQ(gs_case_load(t, cid, &cs), 0);
	gs_txn_abort(&t);
	GS_CHECK(cs != NULL);
	return cs;
}

/* Runs the town's auto-whistle at now (its writes stamped at now too);
 * returns how many it wrote. */
static size_t
auto_whistle(gs_node *n, uint64_t after, uint64_t now)
{
	char err[256];
	size_t k = 99;

	clock_at(now);
	memset(err, 'z', sizeof(err));
	GS_CHECK_EQ(gs_policy_auto_whistle(n, after, now, &k, err,
	    sizeof(err)), 0);
	GS_CHECK_STR(err, "");
	return k;
}

/* The case's level, whistles and the number of timeline entries. */
static void
case_is(const char *cid, const char *level, uint32_t whistles,
    size_t ntimeline)
{
	Gs__Case *cs = load(C.n, cid);

	GS_CHECK_STR(cs->level, level);
	GS_CHECK_EQ(cs->whistles, whistles);
	GS_CHECK_EQ(cs->n_timeline, ntimeline);
	gs_case_free(&cs);
}

/* The case's last timeline entry is the town's automatic whistle. */
static void
last_is_auto_whistle(const char *cid)
{
	Gs__Case *cs = load(C.n, cid);
	const Gs__TimelineEntry *te = cs->timeline[cs->n_timeline - 1];
	gs_txn *t = NULL;
	gs_envelope e;
	Gs__Change *c = NULL;
	gs_val v;

	GS_CHECK_EQ(te->kind, GS__CHANGE__BODY_WHISTLE);
	GS_CHECK_EQ(te->flag, GS__FLAG__FLAG_OK);
	GS_CHECK_STR(te->signer, "q/c");
	GS_CHECK_STR(te->actor, "gridnode");
	GS_CHECK_EQ(te->change_id.len, GS_ID_BYTES);
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(C.n), 0, &t), 0);
	GS_CHECK_EQ(gs_get(t, GS_DB_CHANGES, te->change_id.data, GS_ID_BYTES,
	    &v), 0);
	GS_CHECK_EQ(gs_envelope_decode(v.data, v.len, &e), 0);
	GS_CHECK_EQ(gs_change_decode(&e, &c, NULL), 0);
	GS_CHECK_EQ(c->body_case, GS__CHANGE__BODY_WHISTLE);
	GS_CHECK(c->whistle->automatic);
	GS_CHECK(c->whistle->reason != NULL && c->whistle->reason[0] != '\0');
	GS_CHECK(memcmp(c->origin.data, gs_node_key(C.n), GS_KEY_BYTES) == 0);
	gs_change_free(&c);
	gs_envelope_clear(&e);
	gs_txn_abort(&t);
	gs_case_free(&cs);
}

/*
 * A case whistled to the town and dispatched to the town's police with an
 * ack deadline D: not auto-whistled at D + after - 1, exactly once at
 * D + after (the level becomes the county), not again. When the county
 * returns it and it is overdue again, still not: once per case. Another
 * case reaching its own limit later is whistled then, alone.
 */
static void
test_auto_whistle(void)
{
	const uint64_t D = T1 + HOUR_MS, after = 2 * HOUR_MS;
	const uint64_t D2 = D + 3 * HOUR_MS;
	struct draft d;
	struct env rt;
	uint8_t id[GS_ID_BYTES];
	Gs__Case *cs;

	world_new();
	vwrite(&X, d_report(&d, CID1, "land", GS__SEVERITY__COMPLEX), T1);
	vwrite(&X, d_whistle(&d, CID1), T1 + 1000);
	write_at(C.n, d_dispatch(&d, CID1, POLICE, D, T1 + 7 * 24 * HOUR_MS),
	    T1 + 2000, id);
	vwrite(&X, d_report(&d, CID2, "land", GS__SEVERITY__COMPLEX),
	    T1 + 3000);
	vwrite(&X, d_whistle(&d, CID2), T1 + 4000);
	write_at(C.n, d_dispatch(&d, CID2, POLICE, D2, 0), T1 + 5000, id);
	case_is(CID1, "q/c", 1, 3);
	case_is(CID2, "q/c", 1, 3);

	/* Not yet overdue, overdue but not for long enough: nothing. */
	GS_CHECK_EQ(auto_whistle(C.n, after, D), 0);
	GS_CHECK_EQ(auto_whistle(C.n, after, D + 1), 0);
	GS_CHECK_EQ(auto_whistle(C.n, after, D + after - 1), 0);
	case_is(CID1, "q/c", 1, 3);

	/* Exactly at the limit: the first case goes up to the county. */
	GS_CHECK_EQ(auto_whistle(C.n, after, D + after), 1);
	case_is(CID1, "q", 2, 4);
	last_is_auto_whistle(CID1);
	case_is(CID2, "q/c", 1, 3);
	GS_CHECK_EQ(auto_whistle(C.n, after, D + after), 0);
	GS_CHECK_EQ(auto_whistle(C.n, after, D + after + 60000), 0);
	case_is(CID1, "q", 2, 4);

	/* The county sends it back down; the town imports the Return. Its
	 * police still have not reported in: overdue again, at the town. */
	seal(&Q, d_return(&d, CID1), GS_HLC_MAKE(D + after + 120000, 0), &rt);
	apply_one(C.n, rt.buf, rt.len, GS_APPLIED);
	cs = load(C.n, CID1);
	GS_CHECK_STR(cs->level, "q/c");
	GS_CHECK_EQ(cs->status, GS__STATUS__OPEN);
	GS_CHECK(gs_case_overdue(cs, D + after + 180000));
	GS_CHECK_EQ(gs_case_overdue_since(cs, D + after + 180000), D);
	gs_case_free(&cs);
	GS_CHECK_EQ(auto_whistle(C.n, after, D + after + 180000), 0);
	case_is(CID1, "q/c", 2, 5);

	/* The second case's own limit: it alone. */
	GS_CHECK_EQ(auto_whistle(C.n, after, D2 + after - 1), 0);
	GS_CHECK_EQ(auto_whistle(C.n, after, D2 + after), 1);
	case_is(CID2, "q", 2, 4);
	last_is_auto_whistle(CID2);
	case_is(CID1, "q/c", 2, 5);
	/* Long after: the first case never again. */
	GS_CHECK_EQ(auto_whistle(C.n, after, D + 10 * after), 0);
	case_is(CID1, "q/c", 2, 5);

	env_free(&rt);
	world_free();
}

/* A limit of 0: whistled as soon as overdue (strictly after the
 * deadline), once. */
static void
test_auto_whistle_zero_limit(void)
{
	const uint64_t D = T1 + HOUR_MS;
	struct draft d;
	uint8_t id[GS_ID_BYTES];

	world_new();
	vwrite(&X, d_report(&d, CID1, "land", GS__SEVERITY__COMPLEX), T1);
	vwrite(&X, d_whistle(&d, CID1), T1 + 1000);
	write_at(C.n, d_dispatch(&d, CID1, POLICE, 0, D), T1 + 2000, id);
	GS_CHECK_EQ(auto_whistle(C.n, 0, D), 0);
	GS_CHECK_EQ(auto_whistle(C.n, 0, D + 1), 1);
	case_is(CID1, "q", 2, 4);
	last_is_auto_whistle(CID1);
	GS_CHECK_EQ(auto_whistle(C.n, 0, D + 2), 0);
	world_free();
}

/* The root has no one to whistle to, and only a town signs rollups:
 * elsewhere 0, nothing written. */
static void
test_who(void)
{
	struct draft d;
	char err[256];
	size_t k;
	uint64_t before, after;
	gs_txn *t = NULL;

	world_new();
	apply_members(Q.n);
	vwrite(&X, d_report(&d, CID1, "land", GS__SEVERITY__COMPLEX), T1);

	k = 99;
	GS_CHECK_EQ(gs_policy_auto_whistle(Q.n, 0, T1 + 1000 * HOUR_MS, &k,
	    err, sizeof(err)), 0);
	GS_CHECK_EQ(k, 0);
	GS_CHECK_STR(err, "");
	GS_CHECK_EQ(gs_policy_auto_whistle(Q.n, 0, T1, NULL, err,
	    sizeof(err)), 0);

	/* The village holds a case reported today, but signs no rollups. */
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(X.n), 0, &t), 0);
	GS_CHECK_EQ(gs_store_count(t, GS_DB_CHANGES, &before), 0);
	gs_txn_abort(&t);
	k = 99;
	GS_CHECK_EQ(gs_policy_rollups(X.n, T1 + 1000, &k, err, sizeof(err)), 0);
	GS_CHECK_EQ(k, 0);
	GS_CHECK_STR(err, "");
	k = 99;
	GS_CHECK_EQ(gs_policy_rollups(Q.n, T1 + 1000, &k, err, sizeof(err)), 0);
	GS_CHECK_EQ(k, 0);
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(X.n), 0, &t), 0);
	GS_CHECK_EQ(gs_store_count(t, GS_DB_CHANGES, &after), 0);
	gs_txn_abort(&t);
	GS_CHECK_EQ(after, before);

	/* The town does, once; n may be NULL. */
	clock_at(T1 + 2000);
	k = 99;
	GS_CHECK_EQ(gs_policy_rollups(C.n, T1 + 2000, &k, err, sizeof(err)), 0);
	GS_CHECK_EQ(k, 1);
	GS_CHECK_EQ(gs_policy_rollups(C.n, T1 + 3000, NULL, err, sizeof(err)),
	    0);
	k = 99;
	GS_CHECK_EQ(gs_policy_rollups(C.n, T1 + 3000, &k, err, sizeof(err)), 0);
	GS_CHECK_EQ(k, 0);
	world_free();
}

int
main(void)
{
	GS_CHECK(sodium_init() >= 0);
	GS_RUN(test_auto_whistle);
	GS_RUN(test_auto_whistle_zero_limit);
	GS_RUN(test_who);
	return 0;
}
