/*
 * test_policy.c: what a town signs by itself (policy.h): auto-whistles,
 * and who signs rollups at all.
 *
 * The world, in a mkdtemp directory: the county q (its own trust root),
 * the town q/c and the village q/c/x, each a real node. The Members are
 * sealed by hand and applied to the town's and the village's stores. The
 * village writes its cases through gs_ops_write in its own store, with
 * the clock (GRIDNODE_NOW_MS) set by the test, and each change is
 * forwarded to the town's store through gs_apply_batch, as sync would.
 * The town writes its own (a dispatch) through gs_ops_write; the county's
 * Return is sealed by hand and applied to the town's store. The policy's
 * now_ms is passed separately from the clock its writes are stamped with.
 */
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <sodium.h>

#include "gs_test.h"

#include "gs/apply.h"
#include "gs/change.h"
#include "gs/error.h"
#include "gs/fold.h"
#include "gs/hlc.h"
#include "gs/node.h"
#include "gs/ops.h"
#include "gs/policy.h"
#include "gs/rates.h"
#include "gs/store.h"

#define MAP_TEST ((size_t)16 << 20)
#define HOUR_MS  3600000ULL

/* 2026-11-01 10:00 in China. */
#define T1 1793498400000ULL

#define H(k) GS_HLC_MAKE(1700000000000ULL + (uint64_t)(k) * 1000, 0)

#define CID1 "q/c/x#01JD3QZ8W6X5N4M2K9R7T0V1A1"
#define CID2 "q/c/x#01JD3QZ8W6X5N4M2K9R7T0V1A2"

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
	Gs__Change   ch;
	Gs__Member   member;
	Gs__Report   report;
	Gs__Whistle  whistle;
	Gs__Return   ret;
	Gs__Dispatch dispatch;
	uint8_t      key[GS_KEY_BYTES];
};

static char base[64];
static struct ident Q, C, X;
static struct env mq, mc, mx;
static int nnodes;

static char *
unconst(const char *s)
{
	return (char *)(uintptr_t)s;
}

static Gs__Change *
d_init(struct draft *d)
{
	memset(d, 0, sizeof(*d));
	gs__change__init(&d->ch);
	gs__member__init(&d->member);
	gs__report__init(&d->report);
	gs__whistle__init(&d->whistle);
	gs__return__init(&d->ret);
	gs__dispatch__init(&d->dispatch);
	d->ch.actor = unconst("值班员");
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
d_report(struct draft *d, const char *cid)
{
	d_init(d);
	d->ch.case_id = unconst(cid);
	d->report.category = unconst("land");
	d->report.title = unconst("承包地边界纠纷");
	d->report.severity = GS__SEVERITY__COMPLEX;
	d->ch.body_case = GS__CHANGE__BODY_REPORT;
	d->ch.report = &d->report;
	return &d->ch;
}

static Gs__Change *
d_whistle(struct draft *d, const char *cid)
{
	d_init(d);
	d->ch.case_id = unconst(cid);
	d->whistle.reason = unconst("村里调解不成");
	d->ch.body_case = GS__CHANGE__BODY_WHISTLE;
	d->ch.whistle = &d->whistle;
	return &d->ch;
}

static Gs__Change *
d_return(struct draft *d, const char *cid)
{
	d_init(d);
	d->ch.case_id = unconst(cid);
	d->ret.reason = unconst("属镇级事项，请镇里继续办理");
	d->ch.body_case = GS__CHANGE__BODY_RETURN;
	d->ch.return_ = &d->ret;
	return &d->ch;
}

static Gs__Change *
d_dispatch(struct draft *d, const char *cid, uint64_t ack, uint64_t resolve)
{
	d_init(d);
	d->ch.case_id = unconst(cid);
	d->dispatch.department = unconst("q/c/@police");
	d->dispatch.ack_deadline_ms = ack;
	d->dispatch.resolve_deadline_ms = resolve;
	d->ch.body_case = GS__CHANGE__BODY_DISPATCH;
	d->ch.dispatch = &d->dispatch;
	return &d->ch;
}

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
apply_one(gs_node *n, const uint8_t *buf, size_t len)
{
	struct gs_apply_result res;
	gs_txn *t = NULL;

	GS_CHECK_EQ(gs_txn_begin(gs_node_store(n), 1, &t), 0);
	GS_CHECK_EQ(gs_apply_batch(n, t, &buf, &len, 1, &res, NULL), 0);
	GS_CHECK_EQ(gs_txn_commit(&t), 0);
	if (res.status != GS_APPLIED)
		fprintf(stderr, "apply: %d %s\n", (int)res.status, res.reason);
	GS_CHECK_EQ(res.status, GS_APPLIED);
}

static void
apply_members(gs_node *n)
{
	apply_one(n, mq.buf, mq.len);
	apply_one(n, mc.buf, mc.len);
	apply_one(n, mx.buf, mx.len);
}

static void
world_new(void)
{
	struct draft d;

	strcpy(base, "/tmp/gs_test_policy.XXXXXX");
	GS_CHECK(mkdtemp(base) != NULL);
	nnodes = 0;
	memset(&Q, 0, sizeof(Q));
	memset(&C, 0, sizeof(C));
	memset(&X, 0, sizeof(X));
	Q.n = node_new("q", NULL);
	C.n = node_new("q/c", gs_node_key(Q.n));
	X.n = node_new("q/c/x", gs_node_key(Q.n));
	seal(&Q, d_member(&d, "q", gs_node_key(Q.n)), H(1), &mq);
	seal(&Q, d_member(&d, "q/c", gs_node_key(C.n)), H(2), &mc);
	seal(&C, d_member(&d, "q/c/x", gs_node_key(X.n)), H(3), &mx);
	apply_members(C.n);
	apply_members(X.n);
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
	env_free(&mq);
	env_free(&mc);
	env_free(&mx);
	GS_CHECK_EQ(nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
	GS_CHECK(access(base, F_OK) != 0);
	unsetenv("GRIDNODE_NOW_MS");
}

static void
clock_at(uint64_t ms)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)ms);
	GS_CHECK_EQ(setenv("GRIDNODE_NOW_MS", buf, 1), 0);
}

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

/* The village writes c at ms; the town's store gets it. */
static void
vwrite(Gs__Change *c, uint64_t ms)
{
	uint8_t id[GS_ID_BYTES];
	gs_txn *t = NULL;
	gs_val v;
	uint8_t *b;
	size_t len;

	write_at(X.n, c, ms, id);
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(X.n), 0, &t), 0);
	GS_CHECK_EQ(gs_get(t, GS_DB_CHANGES, id, GS_ID_BYTES, &v), 0);
	len = v.len;
	GS_CHECK((b = malloc(len)) != NULL);
	memcpy(b, v.data, len);
	gs_txn_abort(&t);
	apply_one(C.n, b, len);
	free(b);
}

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
	vwrite(d_report(&d, CID1), T1);
	vwrite(d_whistle(&d, CID1), T1 + 1000);
	write_at(C.n, d_dispatch(&d, CID1, D, T1 + 7 * 24 * HOUR_MS), T1 + 2000,
	    id);
	vwrite(d_report(&d, CID2), T1 + 3000);
	vwrite(d_whistle(&d, CID2), T1 + 4000);
	write_at(C.n, d_dispatch(&d, CID2, D2, 0), T1 + 5000, id);
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
	apply_one(C.n, rt.buf, rt.len);
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
	vwrite(d_report(&d, CID1), T1);
	vwrite(d_whistle(&d, CID1), T1 + 1000);
	write_at(C.n, d_dispatch(&d, CID1, 0, D), T1 + 2000, id);
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
	vwrite(d_report(&d, CID1), T1);

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
