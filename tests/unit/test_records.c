/*
 * test_records.c: the records index (records.h) over real stores and
 * real signed changes.
 *
 * Each test makes the world of gs_world.h: the county q, the town q/c and
 * the villages q/c/x and q/c/y, real nodes that sign their own changes.
 * Changes are sealed by hand with gs_change_seal, each signer keeping its
 * own seq and prev chain, with fixed HLCs, and applied to receivers (path
 * q/d, trusting q) through gs_apply_batch, in different orders: what
 * counts must depend only on the set held.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <sodium.h>

#include "gs_test.h"
#include "gs_world.h"

#include "gs/apply.h"
#include "gs/change.h"
#include "gs/error.h"
#include "gs/records.h"
#include "gs/store.h"

#define GOT_MAX  16

/* The one count these tests' rollups carry. */
#define RECEIVED "neighbor.received"

/* A receiver holding the Members and then es, one batch each, in order
 * (backwards when rev). */
static gs_node *
holder(const struct env *const *es, size_t k, bool rev)
{
	gs_node *r = receiver();

	apply_members(r);
	for (size_t i = 0; i < k; i++)
		apply_all(r, &es[rev ? k - 1 - i : i], 1, GS_APPLIED);
	return r;
}

/* ---- walking ---- */

/* What gs_records_each handed over, in order. */
struct got {
	size_t   n;
	uint8_t  id[GOT_MAX][GS_ID_BYTES];
	char     what[GOT_MAX][160];   /* a summary of the change */
	int      stop_at;              /* return 7 at this call (1-based) */
};

static int
collect(void *arg, const uint8_t *id, const Gs__Change *c)
{
	struct got *g = arg;
	uint8_t cid[GS_ID_BYTES];

	GS_CHECK(g->n < GOT_MAX);
	GS_CHECK(c != NULL);
	/* The id is the change's: the hash of its packed bytes. */
	{
		size_t len = gs__change__get_packed_size(c);
		uint8_t *b = malloc(len ? len : 1);

		GS_CHECK(b != NULL);
		gs__change__pack(c, b);
		gs_change_id(b, len, cid);
		free(b);
		GS_CHECK(memcmp(cid, id, GS_ID_BYTES) == 0);
	}
	memcpy(g->id[g->n], id, GS_ID_BYTES);
	switch (c->body_case) {
	case GS__CHANGE__BODY_ROLLUP:
		snprintf(g->what[g->n], sizeof(g->what[0]), "%s %s %s %s=%llu",
		    c->signer, c->rollup->subject, c->rollup->period,
		    c->rollup->n_counts ? c->rollup->counts[0]->name : "-",
		    c->rollup->n_counts ?
		    (unsigned long long)c->rollup->counts[0]->value : 0ULL);
		break;
	case GS__CHANGE__BODY_CHECK:
		snprintf(g->what[g->n], sizeof(g->what[0]), "%s %s %u",
		    c->signer, c->check->period, c->check->found);
		break;
	case GS__CHANGE__BODY_RECEIPT:
		snprintf(g->what[g->n], sizeof(g->what[0]), "%s of %s seq %llu",
		    c->signer, c->receipt->issuer,
		    (unsigned long long)c->seq);
		break;
	case GS__CHANGE__BODY_NOTICE:
		snprintf(g->what[g->n], sizeof(g->what[0]), "%s %s", c->signer,
		    c->notice->title);
		break;
	default:
		GS_CHECK(!"not a record kind");
	}
	g->n++;
	if (g->stop_at > 0 && (size_t)g->stop_at == g->n)
		return 7;
	return 0;
}

/* Walks kind under prefix on n into *g; returns gs_records_each's code. */
static int
walk(gs_node *n, int kind, const void *prefix, size_t plen, struct got *g)
{
	gs_txn *t = NULL;
	int rc;

	memset(g, 0, sizeof(*g));
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(n), 0, &t), 0);
	rc = gs_records_each(t, kind, prefix, plen, collect, g);
	gs_txn_abort(&t);
	return rc;
}

static void
walk_ok(gs_node *n, int kind, const void *prefix, size_t plen, struct got *g)
{
	GS_CHECK_EQ(walk(n, kind, prefix, plen, g), 0);
}

/* g holds exactly the ids of want[0..k), in order. */
static void
same_ids(const struct got *g, const struct env *const *want, size_t k)
{
	GS_CHECK_EQ(g->n, k);
	for (size_t i = 0; i < k; i++)
		GS_CHECK(memcmp(g->id[i], want[i]->id, GS_ID_BYTES) == 0);
}

static void
same_got(const struct got *a, const struct got *b)
{
	GS_CHECK_EQ(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		GS_CHECK(memcmp(a->id[i], b->id[i], GS_ID_BYTES) == 0);
		GS_CHECK_STR(a->what[i], b->what[i]);
	}
}

/* ---- tests ---- */

/*
 * Rollups: the latest (by hlc, then origin and seq) from the same signer
 * for the same (subject, period) counts, whatever the arrival order. A
 * later seq with an earlier hlc does not win; another period or subject
 * is another key; a prefix selects by signer, subject and period.
 */
static void
test_rollup_latest(void)
{
	static const char px[] = "q/c\0q/c/x";	/* + its NUL */
	static const char py[] = "q/c\0q/c/y";
	static const char pxd[] = "q/c\0q/c/x\0" "2026-11-02";
	static const char pxs[] = "q/c\0q/c/";
	struct draft d;
	struct env r1, r2, r3, r4, r5;
	const struct env *all[5] = { &r1, &r2, &r3, &r4, &r5 };
	struct got ga, gb, g;
	gs_node *a, *b;

	world_new();
	/* Town seqs 3.. (1 and 2 are its Members). */
	seal(&C, d_rollup(&d, "q/c/x", "2026-11-01", RECEIVED, 2), H(10), &r1);
	seal(&C, d_rollup(&d, "q/c/x", "2026-11-01", RECEIVED, 3), H(20), &r2);
	seal(&C, d_rollup(&d, "q/c/x", "2026-11-02", RECEIVED, 1), H(15), &r3);
	seal(&C, d_rollup(&d, "q/c/y", "2026-11-01", RECEIVED, 4), H(12), &r4);
	/* Same key as r1 and r2, a later seq but an earlier hlc. */
	seal(&C, d_rollup(&d, "q/c/x", "2026-11-01", RECEIVED, 9), H(18), &r5);
	GS_CHECK_EQ(r1.seq, 3);
	GS_CHECK_EQ(r5.seq, 7);

	a = holder(all, 5, false);
	b = holder(all, 5, true);
	walk_ok(a, GS__CHANGE__BODY_ROLLUP, NULL, 0, &ga);
	walk_ok(b, GS__CHANGE__BODY_ROLLUP, NULL, 0, &gb);
	{
		const struct env *want[3] = { &r2, &r3, &r4 };

		same_ids(&ga, want, 3);
	}
	same_got(&ga, &gb);
	GS_CHECK_STR(ga.what[0], "q/c q/c/x 2026-11-01 neighbor.received=3");
	GS_CHECK_STR(ga.what[1], "q/c q/c/x 2026-11-02 neighbor.received=1");
	GS_CHECK_STR(ga.what[2], "q/c q/c/y 2026-11-01 neighbor.received=4");

	/* Prefixes: the village's own (signer NUL subject NUL), one
	 * period, the whole town, and a signer with none. */
	walk_ok(a, GS__CHANGE__BODY_ROLLUP, px, sizeof(px), &g);
	{
		const struct env *want[2] = { &r2, &r3 };

		same_ids(&g, want, 2);
	}
	walk_ok(b, GS__CHANGE__BODY_ROLLUP, py, sizeof(py), &g);
	{
		const struct env *want[1] = { &r4 };

		same_ids(&g, want, 1);
	}
	walk_ok(a, GS__CHANGE__BODY_ROLLUP, pxd, sizeof(pxd) - 1, &g);
	{
		const struct env *want[1] = { &r3 };

		same_ids(&g, want, 1);
	}
	walk_ok(b, GS__CHANGE__BODY_ROLLUP, pxs, sizeof(pxs) - 1, &g);
	same_got(&g, &gb);
	walk_ok(a, GS__CHANGE__BODY_ROLLUP, "q", 2, &g);   /* "q" NUL */
	GS_CHECK_EQ(g.n, 0);
	/* Without the NUL, "q/c/x" is a prefix of "q/c/xx": still only x
	 * here, the bytes decide. */
	walk_ok(a, GS__CHANGE__BODY_ROLLUP, px, sizeof(px) - 1, &g);
	GS_CHECK_EQ(g.n, 2);

	/* Other kinds see none of them. */
	walk_ok(a, GS__CHANGE__BODY_CHECK, NULL, 0, &g);
	GS_CHECK_EQ(g.n, 0);
	walk_ok(a, GS__CHANGE__BODY_RECEIPT, NULL, 0, &g);
	GS_CHECK_EQ(g.n, 0);
	walk_ok(a, GS__CHANGE__BODY_NOTICE, NULL, 0, &g);
	GS_CHECK_EQ(g.n, 0);

	/* A non-zero return stops the walk and is returned. */
	memset(&g, 0, sizeof(g));
	{
		gs_txn *t = NULL;

		g.stop_at = 2;
		GS_CHECK_EQ(gs_txn_begin(gs_node_store(a), 0, &t), 0);
		GS_CHECK_EQ(gs_records_each(t, GS__CHANGE__BODY_ROLLUP, NULL,
		    0, collect, &g), 7);
		GS_CHECK_EQ(g.n, 2);
		g.n = 0;
		g.stop_at = 1;
		GS_CHECK_EQ(gs_records_each(t, GS__CHANGE__BODY_ROLLUP, NULL,
		    0, collect, &g), 7);
		GS_CHECK_EQ(g.n, 1);
		gs_txn_abort(&t);
	}

	gs_node_close(&a);
	gs_node_close(&b);
	env_free(&r1);
	env_free(&r2);
	env_free(&r3);
	env_free(&r4);
	env_free(&r5);
	world_free();
}

/*
 * Receipts: the first one (by hlc) a reader signed of a notice counts,
 * whatever the order; each reader is a key of its own. Notices are listed
 * one each.
 */
static void
test_receipt_first(void)
{
	struct draft d;
	struct env n1, n2, e1, e2, e3, e4;
	const struct env *all[6] = { &n1, &n2, &e1, &e2, &e3, &e4 };
	struct got ga, gb, g;
	uint8_t zero[GS_ID_BYTES], pn[GS_ID_BYTES + 5];
	gs_node *a, *b;

	world_new();
	seal(&Q, d_notice(&d, "防汛通知"), H(5), &n1);
	seal(&C, d_notice(&d, "秋收防火"), H(6), &n2);
	seal(&X, d_receipt(&d, n1.id, "q"), H(10), &e1);
	seal(&X, d_receipt(&d, n1.id, "q"), H(11), &e2);
	seal(&Y, d_receipt(&d, n1.id, "q"), H(12), &e3);
	seal(&Y, d_receipt(&d, n2.id, "q/c"), H(13), &e4);

	a = holder(all, 6, false);
	b = holder(all, 6, true);
	walk_ok(a, GS__CHANGE__BODY_RECEIPT, n1.id, GS_ID_BYTES, &ga);
	walk_ok(b, GS__CHANGE__BODY_RECEIPT, n1.id, GS_ID_BYTES, &gb);
	{
		const struct env *want[2] = { &e1, &e3 };

		same_ids(&ga, want, 2);
	}
	same_got(&ga, &gb);
	GS_CHECK_STR(ga.what[0], "q/c/x of q seq 1");
	GS_CHECK_STR(ga.what[1], "q/c/y of q seq 1");

	/* Every receipt key: n1's two and n2's one, in key order. */
	walk_ok(a, GS__CHANGE__BODY_RECEIPT, NULL, 0, &g);
	GS_CHECK_EQ(g.n, 3);
	walk_ok(b, GS__CHANGE__BODY_RECEIPT, n2.id, GS_ID_BYTES, &g);
	{
		const struct env *want[1] = { &e4 };

		same_ids(&g, want, 1);
	}
	/* One reader of one notice: notice id then the reader's path. */
	memcpy(pn, n1.id, GS_ID_BYTES);
	memcpy(pn + GS_ID_BYTES, "q/c/y", 5);
	walk_ok(a, GS__CHANGE__BODY_RECEIPT, pn, sizeof(pn), &g);
	{
		const struct env *want[1] = { &e3 };

		same_ids(&g, want, 1);
	}
	memset(zero, 0, sizeof(zero));
	walk_ok(a, GS__CHANGE__BODY_RECEIPT, zero, sizeof(zero), &g);
	GS_CHECK_EQ(g.n, 0);

	/* Notices: one record each, under issuer NUL id. */
	walk_ok(a, GS__CHANGE__BODY_NOTICE, NULL, 0, &g);
	GS_CHECK_EQ(g.n, 2);
	walk_ok(b, GS__CHANGE__BODY_NOTICE, "q", 2, &g);
	{
		const struct env *want[1] = { &n1 };

		same_ids(&g, want, 1);
	}
	GS_CHECK_STR(g.what[0], "q 防汛通知");
	walk_ok(b, GS__CHANGE__BODY_NOTICE, "q/c", 4, &g);
	{
		const struct env *want[1] = { &n2 };

		same_ids(&g, want, 1);
	}

	gs_node_close(&a);
	gs_node_close(&b);
	env_free(&n1);
	env_free(&n2);
	env_free(&e1);
	env_free(&e2);
	env_free(&e3);
	env_free(&e4);
	world_free();
}

/*
 * A revoked signer: the county revokes the town's key after its seq 3.
 * The town's later rollup (seq 4, a later hlc) is void, so its earlier one
 * counts, whether the revocation came before or after the rollups.
 */
static void
test_revoked_rollup(void)
{
	struct draft d;
	struct env r1, r2, rv, ry;
	const struct env *all[4] = { &r1, &r2, &ry, &rv };
	const struct env *two[2] = { &r1, &r2 };
	struct got g0, ga, gb;
	gs_node *a, *b;

	world_new();
	seal(&C, d_rollup(&d, "q/c/x", "2026-11-01", RECEIVED, 2), H(10), &r1);
	seal(&C, d_rollup(&d, "q/c/x", "2026-11-01", RECEIVED, 5), H(20), &r2);
	/* Another key, only ever signed after the revocation point. */
	seal(&C, d_rollup(&d, "q/c/y", "2026-11-01", RECEIVED, 1), H(21), &ry);
	GS_CHECK_EQ(r1.seq, 3);
	GS_CHECK_EQ(r2.seq, 4);
	seal(&Q, d_revoke(&d, gs_node_key(C.n), "q/c", 3), H(30), &rv);

	/* Before the revocation the later one counts. */
	a = holder(two, 2, false);
	walk_ok(a, GS__CHANGE__BODY_ROLLUP, NULL, 0, &g0);
	{
		const struct env *want[1] = { &r2 };

		same_ids(&g0, want, 1);
	}
	/* Then the revocation arrives. */
	apply_all(a, &all[2], 2, GS_APPLIED);
	walk_ok(a, GS__CHANGE__BODY_ROLLUP, NULL, 0, &ga);
	{
		const struct env *want[1] = { &r1 };

		same_ids(&ga, want, 1);
	}
	GS_CHECK_STR(ga.what[0], "q/c q/c/x 2026-11-01 neighbor.received=2");

	/* The revocation first, the rollups after, backwards. */
	b = holder(all, 4, true);
	walk_ok(b, GS__CHANGE__BODY_ROLLUP, NULL, 0, &gb);
	same_got(&ga, &gb);

	gs_node_close(&a);
	gs_node_close(&b);
	env_free(&r1);
	env_free(&r2);
	env_free(&ry);
	env_free(&rv);
	world_free();
}

/*
 * Check reports the same: the town revokes the village's key after its
 * seq 1; its later check report for the month is void and the earlier
 * (the zero report) counts; a month whose only report is void has none.
 */
static void
test_revoked_check(void)
{
	struct draft d;
	struct env k1, k2, k3, ky, rv;
	const struct env *all[5] = { &k1, &k2, &k3, &ky, &rv };
	struct got g0, ga, gb, g;
	gs_node *a, *b;

	world_new();
	seal(&X, d_check(&d, "2026-11", 0), H(10), &k1);
	seal(&X, d_check(&d, "2026-11", 2), H(20), &k2);
	seal(&X, d_check(&d, "2026-10", 1), H(25), &k3);
	seal(&Y, d_check(&d, "2026-11", 4), H(26), &ky);
	seal(&C, d_revoke(&d, gs_node_key(X.n), "q/c/x", 1), H(30), &rv);

	a = holder(all, 4, false);
	walk_ok(a, GS__CHANGE__BODY_CHECK, NULL, 0, &g0);
	{
		const struct env *want[3] = { &k3, &k2, &ky };

		same_ids(&g0, want, 3);
	}
	GS_CHECK_STR(g0.what[0], "q/c/x 2026-10 1");
	GS_CHECK_STR(g0.what[1], "q/c/x 2026-11 2");
	GS_CHECK_STR(g0.what[2], "q/c/y 2026-11 4");
	apply_all(a, &all[4], 1, GS_APPLIED);
	walk_ok(a, GS__CHANGE__BODY_CHECK, NULL, 0, &ga);
	{
		const struct env *want[2] = { &k1, &ky };

		same_ids(&ga, want, 2);
	}
	GS_CHECK_STR(ga.what[0], "q/c/x 2026-11 0");

	b = holder(all, 5, true);
	walk_ok(b, GS__CHANGE__BODY_CHECK, NULL, 0, &gb);
	same_got(&ga, &gb);
	/* Prefix: a village's reports (signer NUL). */
	walk_ok(b, GS__CHANGE__BODY_CHECK, "q/c/x", 6, &g);
	{
		const struct env *want[1] = { &k1 };

		same_ids(&g, want, 1);
	}

	gs_node_close(&a);
	gs_node_close(&b);
	env_free(&k1);
	env_free(&k2);
	env_free(&k3);
	env_free(&ky);
	env_free(&rv);
	world_free();
}

/*
 * Receipts with a void first one: a reader's seq 2 receipt stamped
 * earlier than its seq 1 (a clock set back by hand), then the key revoked
 * after seq 1. The earliest by hlc is void, so the next one counts.
 */
static void
test_revoked_receipt(void)
{
	struct draft d;
	struct env n1, e1, e2, rv;
	const struct env *all[4] = { &n1, &e1, &e2, &rv };
	struct got ga, gb;
	gs_node *a, *b;

	world_new();
	seal(&Q, d_notice(&d, "防汛通知"), H(5), &n1);
	seal(&X, d_receipt(&d, n1.id, "q"), H(20), &e1);
	seal(&X, d_receipt(&d, n1.id, "q"), H(10), &e2);

	a = holder(all, 3, false);
	walk_ok(a, GS__CHANGE__BODY_RECEIPT, NULL, 0, &ga);
	{
		const struct env *want[1] = { &e2 };

		same_ids(&ga, want, 1);
	}
	seal(&C, d_revoke(&d, gs_node_key(X.n), "q/c/x", 1), H(30), &rv);
	apply_all(a, &all[3], 1, GS_APPLIED);
	walk_ok(a, GS__CHANGE__BODY_RECEIPT, NULL, 0, &ga);
	{
		const struct env *want[1] = { &e1 };

		same_ids(&ga, want, 1);
	}
	b = holder(all, 4, true);
	walk_ok(b, GS__CHANGE__BODY_RECEIPT, NULL, 0, &gb);
	same_got(&ga, &gb);

	gs_node_close(&a);
	gs_node_close(&b);
	env_free(&n1);
	env_free(&e1);
	env_free(&e2);
	env_free(&rv);
	world_free();
}

/*
 * A record by a signer not enrolled yet is held, not indexed; the Member
 * that makes it known releases it into the index.
 */
static void
test_pending_record(void)
{
	struct draft d;
	struct env k1;
	const struct env *b3[3] = { &mq, &mc, &mx };
	const struct env *one[1];
	struct got g;
	gs_node *r;

	world_new();
	seal(&Y, d_check(&d, "2026-11", 0), H(10), &k1);
	r = receiver();
	apply_all(r, b3, 3, GS_APPLIED);
	one[0] = &k1;
	apply_all(r, one, 1, GS_PENDING);
	walk_ok(r, GS__CHANGE__BODY_CHECK, NULL, 0, &g);
	GS_CHECK_EQ(g.n, 0);
	one[0] = &my;
	apply_all(r, one, 1, GS_APPLIED);
	walk_ok(r, GS__CHANGE__BODY_CHECK, NULL, 0, &g);
	{
		const struct env *want[1] = { &k1 };

		same_ids(&g, want, 1);
	}
	GS_CHECK_STR(g.what[0], "q/c/y 2026-11 0");

	gs_node_close(&r);
	env_free(&k1);
	world_free();
}

/* gs_records_each refuses a kind that is not a record; gs_records_index
 * writes nothing for one. */
static void
test_not_records(void)
{
	static const int kinds[] = {
		GS__CHANGE__BODY__NOT_SET, GS__CHANGE__BODY_MEMBER,
		GS__CHANGE__BODY_REVOKE, GS__CHANGE__BODY_REPORT,
		GS__CHANGE__BODY_WHISTLE, GS__CHANGE__BODY_SUPERVISE, 26, 99,
		-1,
	};
	struct draft d;
	struct got g;
	gs_txn *t = NULL;
	uint8_t id[GS_ID_BYTES];
	uint64_t n = 99;
	gs_node *r;

	world_new();
	r = receiver();
	apply_members(r);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		GS_CHECK_EQ(walk(r, kinds[i], NULL, 0, &g), GS_EINVAL);
		GS_CHECK_EQ(g.n, 0);
	}
	/* Members were applied: nothing in the index. */
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(r), 1, &t), 0);
	GS_CHECK_EQ(gs_store_count(t, GS_DB_RECORDS, &n), 0);
	GS_CHECK_EQ(n, 0);
	memset(id, 0x5a, sizeof(id));
	d_member(&d, "q/c/z", gs_node_key(X.n));
	GS_CHECK_EQ(gs_records_index(t, &d.ch, id), 0);
	d_init(&d);
	d.ch.case_id = unconst("q/c/x#01JD3QZ8W6X5N4M2K9R7T0V1AB");
	d.report.category = unconst("neighbor");
	d.report.title = unconst("纠纷");
	d.ch.body_case = GS__CHANGE__BODY_REPORT;
	d.ch.report = &d.report;
	GS_CHECK_EQ(gs_records_index(t, &d.ch, id), 0);
	GS_CHECK_EQ(gs_store_count(t, GS_DB_RECORDS, &n), 0);
	GS_CHECK_EQ(n, 0);
	gs_txn_abort(&t);

	gs_node_close(&r);
	world_free();
}

int
main(void)
{
	GS_CHECK(sodium_init() >= 0);
	GS_RUN(test_rollup_latest);
	GS_RUN(test_receipt_first);
	GS_RUN(test_revoked_rollup);
	GS_RUN(test_revoked_check);
	GS_RUN(test_revoked_receipt);
	GS_RUN(test_pending_record);
	GS_RUN(test_not_records);
	return 0;
}
