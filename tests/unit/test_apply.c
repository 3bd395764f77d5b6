/*
 * test_apply.c: gs_apply_batch end to end over real stores, and
 * gs_ops_write on top of it.
 *
 * Each test makes a small world in a mkdtemp directory: the county q (its
 * own trust root), the town q/c and the village q/c/x, each a real node
 * (gs_node_create) whose secret key signs that node's changes. The world's
 * Members are q's self Member, q -> q/c and q/c -> q/c/x. Changes are
 * sealed here by hand with gs_change_seal, each signer keeping its own
 * seq and prev chain, with fixed HLCs so the fold order never depends on
 * the wall clock. Receivers are further nodes (path q/d, trusting q) that
 * the test feeds batches to.
 */
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
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
#include "gs/path.h"
#include "gs/store.h"
#include "gs/trust.h"
#include "gs/view.h"

#define CID  "q/c/x#01JD3QZ8W6X5N4M2K9R7T0V1AB"
#define MAP_SMALL GS_STORE_MAP_MIN_BYTES
#define MAP_TEST  ((size_t)16 << 20)
#define BATCH_MAX 16

/* HLC of the k-th tick of the test's clock (late 2023: before any real
 * clock the ops tests read). */
#define H(k) GS_HLC_MAKE(1700000000000ULL + (uint64_t)(k) * 1000, 0)

/* A node that signs: its key, and its own seq and prev chain. */
struct ident {
	gs_node *n;
	uint64_t seq;
	uint8_t  prev[GS_ID_BYTES];
};

/* A sealed envelope. */
struct env {
	uint8_t *buf;
	size_t   len;
	uint8_t  id[GS_ID_BYTES];
	uint64_t seq;
};

/* A draft change and every body it may point to. */
struct draft {
	Gs__Change   ch;
	Gs__Member   member;
	Gs__Revoke   revoke;
	Gs__Report   report;
	Gs__Progress progress;
	Gs__Whistle  whistle;
	Gs__Dispatch dispatch;
	Gs__Notice   notice;
	uint8_t      key[GS_KEY_BYTES];
};

static char base[64];
static struct ident Q, C, X;
static struct env mq, mc, mx;	/* the world's Members */
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
	gs__progress__init(&d->progress);
	gs__whistle__init(&d->whistle);
	gs__dispatch__init(&d->dispatch);
	gs__notice__init(&d->notice);
	d->ch.actor = unconst("张三");
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
d_revoke(struct draft *d, const uint8_t *key, uint64_t after)
{
	d_init(d);
	memcpy(d->key, key, GS_KEY_BYTES);
	d->revoke.key.data = d->key;
	d->revoke.key.len = GS_KEY_BYTES;
	d->revoke.after_seq = after;
	d->revoke.reason = unconst("终端丢失");
	d->ch.body_case = GS__CHANGE__BODY_REVOKE;
	d->ch.revoke = &d->revoke;
	return &d->ch;
}

static Gs__Change *
d_report(struct draft *d, const char *cid, const char *desc)
{
	d_init(d);
	d->ch.case_id = unconst(cid);
	d->report.category = unconst("neighbor");
	d->report.title = unconst("宅基地边界纠纷");
	d->report.description = unconst(desc);
	d->report.grid = unconst("第三网格");
	d->report.severity = GS__SEVERITY__SIMPLE;
	d->ch.body_case = GS__CHANGE__BODY_REPORT;
	d->ch.report = &d->report;
	return &d->ch;
}

static Gs__Change *
d_progress(struct draft *d, const char *cid, const char *note)
{
	d_init(d);
	d->ch.case_id = unconst(cid);
	d->progress.note = unconst(note);
	d->ch.body_case = GS__CHANGE__BODY_PROGRESS;
	d->ch.progress = &d->progress;
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
d_dispatch(struct draft *d, const char *cid, const char *dept)
{
	d_init(d);
	d->ch.case_id = unconst(cid);
	d->dispatch.department = unconst(dept);
	d->dispatch.ack_deadline_ms = 1700000000000ULL + 1800000;
	d->ch.body_case = GS__CHANGE__BODY_DISPATCH;
	d->ch.dispatch = &d->dispatch;
	return &d->ch;
}

static Gs__Change *
d_notice(struct draft *d, const char *title)
{
	d_init(d);
	d->notice.title = unconst(title);
	d->ch.body_case = GS__CHANGE__BODY_NOTICE;
	d->ch.notice = &d->notice;
	return &d->ch;
}

/* Seals draft c as signer's next change at hlc. */
static void
seal(struct ident *s, Gs__Change *c, uint64_t hlc, struct env *out)
{
	const char *why = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
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
	out->seq = s->seq;
	memcpy(s->prev, out->id, GS_ID_BYTES);
	c->origin.data = NULL;
	c->origin.len = 0;
	c->prev.data = NULL;
	c->prev.len = 0;
}

static void
env_free(struct env *e)
{
	free(e->buf);
	memset(e, 0, sizeof(*e));
}

/* Copies in, with one byte of the signed change bytes flipped: the
 * signature no longer verifies and the change id is another. */
static void
forge_change(const struct env *in, struct env *out)
{
	Gs__Envelope *m;

	GS_CHECK((m = gs__envelope__unpack(NULL, in->len, in->buf)) != NULL);
	/* The last byte is inside the last string field: 0x01 keeps it
	 * ASCII, so only the signature gives it away. */
	m->change.data[m->change.len - 1] ^= 0x01;
	out->len = gs__envelope__get_packed_size(m);
	GS_CHECK((out->buf = malloc(out->len)) != NULL);
	gs__envelope__pack(m, out->buf);
	gs_change_id(m->change.data, m->change.len, out->id);
	out->seq = in->seq;
	gs__envelope__free_unpacked(m, NULL);
}

/* Copies in with one byte of the signature flipped: the same change bytes
 * (so the same change id), a signature that does not verify. */
static void
forge_sig(const struct env *in, struct env *out)
{
	Gs__Envelope *m;

	GS_CHECK((m = gs__envelope__unpack(NULL, in->len, in->buf)) != NULL);
	m->sig.data[7] ^= 0x40;
	out->len = gs__envelope__get_packed_size(m);
	GS_CHECK((out->buf = malloc(out->len)) != NULL);
	gs__envelope__pack(m, out->buf);
	memcpy(out->id, in->id, GS_ID_BYTES);
	out->seq = in->seq;
	gs__envelope__free_unpacked(m, NULL);
}

/* Copies in's exact change bytes into an envelope signed by another node
 * under that node's key: a valid signature, but the change's own origin
 * differs from the envelope's. */
static void
forge_origin(const struct env *in, const struct ident *by, struct env *out)
{
	Gs__Envelope *m;
	uint8_t sig[GS_SIG_BYTES];

	GS_CHECK((m = gs__envelope__unpack(NULL, in->len, in->buf)) != NULL);
	GS_CHECK_EQ(m->origin.len, GS_KEY_BYTES);
	GS_CHECK_EQ(m->sig.len, GS_SIG_BYTES);
	crypto_sign_detached(sig, NULL, m->change.data, m->change.len,
	    gs_node_secret(by->n));
	memcpy(m->origin.data, gs_node_key(by->n), GS_KEY_BYTES);
	memcpy(m->sig.data, sig, GS_SIG_BYTES);
	out->len = gs__envelope__get_packed_size(m);
	GS_CHECK((out->buf = malloc(out->len)) != NULL);
	gs__envelope__pack(m, out->buf);
	memcpy(out->id, in->id, GS_ID_BYTES);
	out->seq = in->seq;
	gs__envelope__free_unpacked(m, NULL);
}

/* ---- the world ---- */

static gs_node *
node_new(const char *path, const uint8_t *root, size_t map)
{
	char dir[128];
	gs_node *n = NULL;

	snprintf(dir, sizeof(dir), "%s/n%d", base, nnodes++);
	GS_CHECK_EQ(gs_node_create(dir, path, root, map, &n), 0);
	GS_CHECK(n != NULL);
	return n;
}

/* A receiver: a node at q/d that trusts q. */
static gs_node *
receiver(size_t map)
{
	return node_new("q/d", gs_node_key(Q.n), map);
}

static void
world_new(void)
{
	struct draft d;

	strcpy(base, "/tmp/gs_test_apply.XXXXXX");
	GS_CHECK(mkdtemp(base) != NULL);
	nnodes = 0;
	memset(&Q, 0, sizeof(Q));
	memset(&C, 0, sizeof(C));
	memset(&X, 0, sizeof(X));
	Q.n = node_new("q", NULL, MAP_TEST);
	C.n = node_new("q/c", gs_node_key(Q.n), MAP_TEST);
	X.n = node_new("q/c/x", gs_node_key(Q.n), MAP_TEST);
	seal(&Q, d_member(&d, "q", gs_node_key(Q.n)), H(1), &mq);
	seal(&Q, d_member(&d, "q/c", gs_node_key(C.n)), H(2), &mc);
	seal(&C, d_member(&d, "q/c/x", gs_node_key(X.n)), H(3), &mx);
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
}

/* ---- applying and looking ---- */

/* Applies envelopes es[0..k) in one write transaction, committed when
 * commit is set and aborted otherwise. Returns gs_apply_batch's result
 * (or the commit's). */
static int
apply_envs(gs_node *n, const struct env *const *es, size_t k,
    struct gs_apply_result *res, struct gs_apply_stats *st, bool commit)
{
	const uint8_t *bufs[BATCH_MAX];
	size_t lens[BATCH_MAX];
	gs_txn *t = NULL;
	int rc;

	GS_CHECK(k <= BATCH_MAX);
	for (size_t i = 0; i < k; i++) {
		bufs[i] = es[i]->buf;
		lens[i] = es[i]->len;
	}
	if (st != NULL)
		memset(st, 0, sizeof(*st));
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(n), 1, &t), 0);
	rc = gs_apply_batch(n, t, bufs, lens, k, res, st);
	if (rc == 0 && commit)
		return gs_txn_commit(&t);
	gs_txn_abort(&t);
	return rc;
}

/* Applies and commits, checking every envelope got status want. */
static void
apply_all(gs_node *n, const struct env *const *es, size_t k,
    enum gs_apply_status want)
{
	struct gs_apply_result res[BATCH_MAX];

	GS_CHECK_EQ(apply_envs(n, es, k, res, NULL, true), 0);
	for (size_t i = 0; i < k; i++) {
		GS_CHECK_EQ(res[i].status, want);
		GS_CHECK(memcmp(res[i].id, es[i]->id, GS_ID_BYTES) == 0);
	}
}

static void
apply_members(gs_node *n)
{
	const struct env *b[] = { &mq, &mc, &mx };

	apply_all(n, b, 3, GS_APPLIED);
}

static void
counts(gs_node *n, uint64_t c[GS_DB__COUNT])
{
	gs_txn *t = NULL;

	GS_CHECK_EQ(gs_txn_begin(gs_node_store(n), 0, &t), 0);
	for (int i = 0; i < GS_DB__COUNT; i++)
		GS_CHECK_EQ(gs_store_count(t, (gs_db)i, &c[i]), 0);
	gs_txn_abort(&t);
}

static uint64_t
count_of(gs_node *n, gs_db db)
{
	uint64_t c[GS_DB__COUNT];

	counts(n, c);
	return c[db];
}

static bool
has(gs_node *n, gs_db db, const uint8_t *id)
{
	gs_txn *t = NULL;
	gs_val v;
	int rc;

	GS_CHECK_EQ(gs_txn_begin(gs_node_store(n), 0, &t), 0);
	rc = gs_get(t, db, id, GS_ID_BYTES, &v);
	gs_txn_abort(&t);
	GS_CHECK(rc == 0 || rc == GS_ENOTFOUND);
	return rc == 0;
}

static uint64_t
meta_u64(gs_node *n, const char *name)
{
	gs_txn *t = NULL;
	uint64_t v = 99;
	int rc;

	GS_CHECK_EQ(gs_txn_begin(gs_node_store(n), 0, &t), 0);
	rc = gs_meta_get_u64(t, name, &v);
	gs_txn_abort(&t);
	GS_CHECK(rc == 0 || rc == GS_ENOTFOUND);
	return v;
}

static void
meta_bytes(gs_node *n, const char *name, uint8_t out[GS_ID_BYTES])
{
	gs_txn *t = NULL;

	GS_CHECK_EQ(gs_txn_begin(gs_node_store(n), 0, &t), 0);
	GS_CHECK_EQ(gs_meta_get_bytes(t, name, out, GS_ID_BYTES), 0);
	gs_txn_abort(&t);
}

/* The stored case, or NULL with *rc set to gs_case_load's result. */
static Gs__Case *
load_case(gs_node *n, const char *cid, int *rc)
{
	gs_txn *t = NULL;
	Gs__Case *cs = NULL;

	GS_CHECK_EQ(gs_txn_begin(gs_node_store(n), 0, &t), 0);
	*rc = gs_case_load(t, cid, &cs);
	gs_txn_abort(&t);
	return cs;
}

static Gs__Case *
must_load(gs_node *n, const char *cid)
{
	Gs__Case *cs;
	int rc;

	cs = load_case(n, cid, &rc);
	GS_CHECK_EQ(rc, 0);
	GS_CHECK(cs != NULL);
	return cs;
}

/* Rejects are keyed by the hash of the whole envelope. */
static const uint8_t *
env_key(const struct env *e, uint8_t key[GS_ID_BYTES])
{
	gs_change_id(e->buf, e->len, key);
	return key;
}

/* The stored Gs__Reject of envelope e; free with
 * gs__reject__free_unpacked. */
static Gs__Reject *
load_reject(gs_node *n, const struct env *e)
{
	gs_txn *t = NULL;
	gs_val v;
	Gs__Reject *r;
	uint8_t key[GS_ID_BYTES];

	GS_CHECK_EQ(gs_txn_begin(gs_node_store(n), 0, &t), 0);
	GS_CHECK_EQ(gs_get(t, GS_DB_REJECTS, env_key(e, key), GS_ID_BYTES,
	    &v), 0);
	r = gs__reject__unpack(NULL, v.len, v.data);
	gs_txn_abort(&t);
	GS_CHECK(r != NULL);
	GS_CHECK_EQ(r->change_id.len, GS_ID_BYTES);
	GS_CHECK(memcmp(r->change_id.data, e->id, GS_ID_BYTES) == 0);
	return r;
}

static void
digest(gs_node *n, uint8_t out[GS_ID_BYTES], uint64_t *count)
{
	GS_CHECK_EQ(gs_view_digest(n, NULL, out, count), 0);
}

static void
print_fault(void *arg, const char *fault)
{
	(void)arg;
	fprintf(stderr, "verify fault: %s\n", fault);
}

static bool
id_zero(const uint8_t *id)
{
	static const uint8_t zero[GS_ID_BYTES];

	return memcmp(id, zero, GS_ID_BYTES) == 0;
}

/* ---- tests ---- */

/*
 * A batch of five: two good village changes, a forged one, a village
 * dispatch (never its authority) and a good town change. The bad ones are
 * recorded as rejects with their reasons and the good ones stored, all in
 * one transaction; aborted, none of it is.
 */
static void
test_atomic_batch(void)
{
	struct draft d;
	struct env e1, e2, e3g, e3, e4, e5;
	const struct env *b[5] = { &e1, &e2, &e3, &e4, &e5 };
	uint8_t key[GS_ID_BYTES];
	struct gs_apply_result res[5];
	struct gs_apply_stats st;
	uint64_t before[GS_DB__COUNT], after[GS_DB__COUNT];
	Gs__Reject *rj;
	Gs__Case *cs;
	gs_node *r;

	world_new();
	r = receiver(MAP_TEST);
	apply_members(r);
	seal(&X, d_report(&d, CID, "两家因宅基地边界起争执"), H(10), &e1);
	seal(&X, d_progress(&d, CID, "网格员已上门了解情况"), H(11), &e2);
	seal(&X, d_progress(&d, CID, "组织双方调解"), H(12), &e3g);
	forge_change(&e3g, &e3);
	GS_CHECK(memcmp(e3.id, e3g.id, GS_ID_BYTES) != 0);
	seal(&X, d_dispatch(&d, CID, "q/c/@police"), H(13), &e4);
	seal(&C, d_progress(&d, CID, "镇综治中心已关注"), H(14), &e5);
	counts(r, before);
	GS_CHECK_EQ(before[GS_DB_CHANGES], 3);
	GS_CHECK_EQ(before[GS_DB_FEED], 3);
	GS_CHECK_EQ(before[GS_DB_ORIGIN], 3);
	GS_CHECK_EQ(before[GS_DB_ROSTER], 3);
	GS_CHECK_EQ(before[GS_DB_CASEIDX], 0);
	GS_CHECK_EQ(before[GS_DB_CASES], 0);
	GS_CHECK_EQ(before[GS_DB_PENDING], 0);
	GS_CHECK_EQ(before[GS_DB_REJECTS], 0);

	/* Twice: aborted, then committed. The verdicts are the same. */
	for (int pass = 0; pass < 2; pass++) {
		bool commit = pass == 1;

		GS_CHECK_EQ(apply_envs(r, b, 5, res, &st, commit), 0);
		GS_CHECK_EQ(res[0].status, GS_APPLIED);
		GS_CHECK_EQ(res[1].status, GS_APPLIED);
		GS_CHECK_EQ(res[2].status, GS_REJECTED);
		GS_CHECK_EQ(res[2].code, GS_EBADSIG);
		GS_CHECK_STR(res[2].reason, "bad signature");
		GS_CHECK_EQ(res[3].status, GS_REJECTED);
		GS_CHECK_EQ(res[3].code, GS_EAUTH);
		GS_CHECK_STR(res[3].reason,
		    "only a town or county above the owner may dispatch");
		GS_CHECK_EQ(res[4].status, GS_APPLIED);
		for (int i = 0; i < 5; i++)
			GS_CHECK(memcmp(res[i].id, b[i]->id, GS_ID_BYTES) == 0);
		GS_CHECK_EQ(st.applied, 3);
		GS_CHECK_EQ(st.rejected, 2);
		GS_CHECK_EQ(st.duplicate, 0);
		GS_CHECK_EQ(st.pending, 0);
		GS_CHECK_EQ(st.released, 0);
		GS_CHECK_EQ(st.released_rejected, 0);
		counts(r, after);
		if (!commit) {
			/* Aborted: not one record of the batch, anywhere. */
			for (int i = 0; i < GS_DB__COUNT; i++)
				GS_CHECK_EQ(after[i], before[i]);
			GS_CHECK(!has(r, GS_DB_CHANGES, e1.id));
			GS_CHECK(!has(r, GS_DB_REJECTS, env_key(&e3, key)));
			GS_CHECK(!has(r, GS_DB_REJECTS, env_key(&e4, key)));
		}
	}

	/* Committed: exactly the three good ones, and two rejects. */
	GS_CHECK_EQ(after[GS_DB_CHANGES], 3 + 3);
	GS_CHECK_EQ(after[GS_DB_FEED], 3 + 3);
	GS_CHECK_EQ(after[GS_DB_ORIGIN], 3 + 3);
	GS_CHECK_EQ(after[GS_DB_CASEIDX], 3);
	GS_CHECK_EQ(after[GS_DB_CASES], 1);
	GS_CHECK_EQ(after[GS_DB_ROSTER], 3);
	GS_CHECK_EQ(after[GS_DB_PENDING], 0);
	GS_CHECK_EQ(after[GS_DB_REJECTS], 2);
	GS_CHECK(has(r, GS_DB_CHANGES, e1.id));
	GS_CHECK(has(r, GS_DB_CHANGES, e2.id));
	GS_CHECK(has(r, GS_DB_CHANGES, e5.id));
	GS_CHECK(!has(r, GS_DB_CHANGES, e3.id));
	GS_CHECK(!has(r, GS_DB_CHANGES, e3g.id));
	GS_CHECK(!has(r, GS_DB_CHANGES, e4.id));

	rj = load_reject(r, &e3);
	GS_CHECK_EQ(rj->code, GS_EBADSIG);
	GS_CHECK_STR(rj->reason, "bad signature");
	GS_CHECK_EQ(rj->envelope.len, e3.len);
	GS_CHECK(memcmp(rj->envelope.data, e3.buf, e3.len) == 0);
	GS_CHECK(rj->at_ms > 0);
	gs__reject__free_unpacked(rj, NULL);
	rj = load_reject(r, &e4);
	GS_CHECK_EQ(rj->code, GS_EAUTH);
	GS_CHECK_STR(rj->reason,
	    "only a town or county above the owner may dispatch");
	GS_CHECK_EQ(rj->envelope.len, e4.len);
	GS_CHECK(memcmp(rj->envelope.data, e4.buf, e4.len) == 0);
	gs__reject__free_unpacked(rj, NULL);

	/* The case is folded from the three good changes only. */
	cs = must_load(r, CID);
	GS_CHECK_EQ(cs->status, GS__STATUS__OPEN);
	GS_CHECK_STR(cs->level, "q/c/x");
	GS_CHECK_EQ(cs->n_timeline, 3);
	GS_CHECK_EQ(cs->timeline[0]->seq, 1);
	GS_CHECK_EQ(cs->timeline[1]->seq, 2);
	GS_CHECK_STR(cs->timeline[2]->signer, "q/c");
	for (size_t i = 0; i < cs->n_timeline; i++)
		GS_CHECK_EQ(cs->timeline[i]->flag, GS__FLAG__FLAG_OK);
	GS_CHECK_EQ(cs->n_assignments, 0);
	gs_case_free(&cs);

	gs_node_close(&r);
	env_free(&e1);
	env_free(&e2);
	env_free(&e3g);
	env_free(&e3);
	env_free(&e4);
	env_free(&e5);
	world_free();
}

/*
 * A node with the smallest map fills up: the batch that does not fit is
 * refused with GS_EFULL as a whole, and after reopening the store holds
 * exactly what was committed, every record consistent.
 */
static void
test_map_full(void)
{
	static char desc[GS_TEXT_MAX_BYTES + 1];
	static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	struct draft d;
	struct env es[4];
	const struct env *b[4] = { &es[0], &es[1], &es[2], &es[3] };
	struct gs_apply_result res[4];
	char cid[GS_CASE_ID_MAX_BYTES + 1], dir[128];
	uint8_t dg[GS_ID_BYTES];
	uint64_t committed = 3, changes = 0, faults = 99, dn = 0;
	uint64_t c[GS_DB__COUNT];
	int rc = 0, batches = 0, k = 0;
	gs_node *r;

	/* 1333 three-byte chars: just under the 4000-byte cap. */
	desc[0] = '\0';
	for (int i = 0; i < GS_TEXT_MAX_BYTES / 3; i++)
		strcat(desc, "纠");
	GS_CHECK(strlen(desc) <= GS_TEXT_MAX_BYTES);

	world_new();
	snprintf(dir, sizeof(dir), "%s/n%d", base, nnodes);
	r = receiver(MAP_SMALL);
	apply_members(r);
	for (batches = 0; batches < 200; batches++) {
		for (int i = 0; i < 4; i++, k++) {
			snprintf(cid, sizeof(cid),
			    "q/c/x#01JD3QZ8W6X5N4M2K9R7T0%c%c%c%c",
			    b32[(k >> 15) & 31], b32[(k >> 10) & 31],
			    b32[(k >> 5) & 31], b32[k & 31]);
			seal(&X, d_report(&d, cid, desc), H(10 + k), &es[i]);
		}
		rc = apply_envs(r, b, 4, res, NULL, true);
		for (int i = 0; i < 4; i++)
			env_free(&es[i]);
		if (rc != 0)
			break;
		for (int i = 0; i < 4; i++)
			GS_CHECK_EQ(res[i].status, GS_APPLIED);
		committed += 4;
	}
	/* It filled up, and not before some batches went in. */
	GS_CHECK_EQ(rc, GS_EFULL);
	GS_CHECK(committed > 3 + 4);
	counts(r, c);
	GS_CHECK_EQ(c[GS_DB_CHANGES], committed);
	gs_node_close(&r);

	GS_CHECK_EQ(gs_node_open(dir, MAP_SMALL, &r), 0);
	GS_CHECK_EQ(gs_view_verify(r, print_fault, NULL, &changes, &faults), 0);
	GS_CHECK_EQ(faults, 0);
	GS_CHECK_EQ(changes, committed);
	counts(r, c);
	GS_CHECK_EQ(c[GS_DB_CHANGES], committed);
	GS_CHECK_EQ(c[GS_DB_FEED], committed);
	GS_CHECK_EQ(c[GS_DB_ORIGIN], committed);
	GS_CHECK_EQ(c[GS_DB_CASEIDX], committed - 3);
	GS_CHECK_EQ(c[GS_DB_CASES], committed - 3);
	GS_CHECK_EQ(c[GS_DB_REJECTS], 0);
	GS_CHECK_EQ(c[GS_DB_PENDING], 0);
	digest(r, dg, &dn);
	GS_CHECK_EQ(dn, committed);
	gs_node_close(&r);
	world_free();
}

/*
 * The same batch twice: the second time every change is a duplicate and
 * nothing moves. A rejected change sent again is a duplicate too.
 */
static void
test_duplicates(void)
{
	static const uint8_t junk[] = "not an envelope";
	struct draft d;
	struct env e1, e2, e3, ef, eg;
	const struct env *b[6] = { &mq, &mc, &mx, &e1, &e2, &e3 };
	const struct env *one[1];
	struct gs_apply_result res[6];
	struct gs_apply_stats st;
	uint64_t c1[GS_DB__COUNT], c2[GS_DB__COUNT], n1 = 0, n2 = 0;
	uint8_t d1[GS_ID_BYTES], d2[GS_ID_BYTES];
	char why[160];
	gs_node *r;

	world_new();
	r = receiver(MAP_TEST);
	seal(&X, d_report(&d, CID, "邻里噪音"), H(10), &e1);
	seal(&X, d_progress(&d, CID, "已劝导"), H(11), &e2);
	seal(&X, d_dispatch(&d, CID, "q/c/@police"), H(12), &e3);

	GS_CHECK_EQ(apply_envs(r, b, 6, res, &st, true), 0);
	for (int i = 0; i < 5; i++)
		GS_CHECK_EQ(res[i].status, GS_APPLIED);
	GS_CHECK_EQ(res[5].status, GS_REJECTED);
	GS_CHECK_EQ(res[5].code, GS_EAUTH);
	GS_CHECK_EQ(st.applied, 5);
	GS_CHECK_EQ(st.rejected, 1);
	counts(r, c1);
	digest(r, d1, &n1);
	GS_CHECK_EQ(n1, 5);

	/* The same batch again. */
	GS_CHECK_EQ(apply_envs(r, b, 6, res, &st, true), 0);
	for (int i = 0; i < 6; i++) {
		GS_CHECK_EQ(res[i].status, GS_DUPLICATE);
		GS_CHECK(memcmp(res[i].id, b[i]->id, GS_ID_BYTES) == 0);
	}
	GS_CHECK_EQ(st.duplicate, 6);
	GS_CHECK_EQ(st.applied, 0);
	GS_CHECK_EQ(st.rejected, 0);
	GS_CHECK_EQ(st.pending, 0);
	counts(r, c2);
	for (int i = 0; i < GS_DB__COUNT; i++)
		GS_CHECK_EQ(c2[i], c1[i]);
	digest(r, d2, &n2);
	GS_CHECK_EQ(n2, n1);
	GS_CHECK(memcmp(d1, d2, GS_ID_BYTES) == 0);

	/* The rejected change alone, in a later batch. */
	one[0] = &e3;
	GS_CHECK_EQ(apply_envs(r, one, 1, res, &st, true), 0);
	GS_CHECK_EQ(res[0].status, GS_DUPLICATE);
	GS_CHECK_EQ(st.duplicate, 1);

	/* A forged change: rejected once, then a duplicate. */
	seal(&X, d_progress(&d, CID, "再次调解"), H(13), &eg);
	forge_change(&eg, &ef);
	one[0] = &ef;
	GS_CHECK_EQ(apply_envs(r, one, 1, res, &st, true), 0);
	GS_CHECK_EQ(res[0].status, GS_REJECTED);
	GS_CHECK_EQ(res[0].code, GS_EBADSIG);
	GS_CHECK_EQ(apply_envs(r, one, 1, res, &st, true), 0);
	GS_CHECK_EQ(res[0].status, GS_DUPLICATE);
	GS_CHECK_EQ(st.duplicate, 1);
	GS_CHECK_EQ(st.rejected, 0);

	/* Bytes that are no envelope at all: rejected under the hash of the
	 * bytes, then a duplicate. */
	env_free(&ef);
	GS_CHECK((ef.buf = malloc(sizeof(junk))) != NULL);
	memcpy(ef.buf, junk, sizeof(junk));
	ef.len = sizeof(junk);
	gs_change_id(ef.buf, ef.len, ef.id);
	GS_CHECK_EQ(apply_envs(r, one, 1, res, &st, true), 0);
	GS_CHECK_EQ(res[0].status, GS_REJECTED);
	GS_CHECK_EQ(res[0].code, GS_EBADMSG);
	snprintf(why, sizeof(why), "malformed envelope: %s",
	    gs_strerror(GS_EBADMSG));
	GS_CHECK_STR(res[0].reason, why);
	GS_CHECK(memcmp(res[0].id, ef.id, GS_ID_BYTES) == 0);
	GS_CHECK_EQ(apply_envs(r, one, 1, res, &st, true), 0);
	GS_CHECK_EQ(res[0].status, GS_DUPLICATE);

	counts(r, c2);
	GS_CHECK_EQ(c2[GS_DB_REJECTS], c1[GS_DB_REJECTS] + 2);
	GS_CHECK_EQ(c2[GS_DB_CHANGES], c1[GS_DB_CHANGES]);
	digest(r, d2, &n2);
	GS_CHECK(memcmp(d1, d2, GS_ID_BYTES) == 0);

	gs_node_close(&r);
	env_free(&e1);
	env_free(&e2);
	env_free(&e3);
	env_free(&ef);
	env_free(&eg);
	world_free();
}

/*
 * A village's changes that arrive before its Member are held, not folded;
 * the batch that brings the Member releases them, and a held change that
 * turns out to be wrong by itself is rejected then.
 */
static void
test_pending(void)
{
	struct draft d;
	struct env rep, bad;
	const struct env *b2[] = { &mq, &mc };
	const struct env *b[2];
	struct gs_apply_result res[2];
	struct gs_apply_stats st;
	Gs__Case *cs;
	Gs__Reject *rj;
	int rc;
	gs_node *r;

	world_new();
	r = receiver(MAP_TEST);
	apply_all(r, b2, 2, GS_APPLIED);
	seal(&X, d_report(&d, CID, "山林权属争议"), H(10), &rep);
	seal(&X, d_dispatch(&d, CID, "q/c/@police"), H(11), &bad);

	b[0] = &rep;
	b[1] = &bad;
	GS_CHECK_EQ(apply_envs(r, b, 2, res, &st, true), 0);
	GS_CHECK_EQ(res[0].status, GS_PENDING);
	GS_CHECK_EQ(res[1].status, GS_PENDING);
	GS_CHECK(memcmp(res[0].id, rep.id, GS_ID_BYTES) == 0);
	GS_CHECK_EQ(st.pending, 2);
	GS_CHECK_EQ(st.applied, 0);
	GS_CHECK_EQ(st.rejected, 0);
	GS_CHECK(!has(r, GS_DB_CHANGES, rep.id));
	GS_CHECK(has(r, GS_DB_PENDING, rep.id));
	GS_CHECK_EQ(count_of(r, GS_DB_CHANGES), 2);
	GS_CHECK_EQ(count_of(r, GS_DB_FEED), 2);
	GS_CHECK_EQ(count_of(r, GS_DB_PENDING), 2);
	GS_CHECK_EQ(count_of(r, GS_DB_CASEIDX), 0);
	GS_CHECK_EQ(count_of(r, GS_DB_CASES), 0);
	GS_CHECK_EQ(count_of(r, GS_DB_REJECTS), 0);
	cs = load_case(r, CID, &rc);
	GS_CHECK_EQ(rc, GS_ENOTFOUND);
	GS_CHECK(cs == NULL);

	/* Held changes sent again are duplicates, still held. */
	b[0] = &rep;
	GS_CHECK_EQ(apply_envs(r, b, 1, res, &st, true), 0);
	GS_CHECK_EQ(res[0].status, GS_DUPLICATE);
	GS_CHECK_EQ(st.duplicate, 1);
	GS_CHECK_EQ(st.pending, 0);
	GS_CHECK_EQ(count_of(r, GS_DB_PENDING), 2);

	/* The Member: the report is released and folded, the dispatch
	 * rejected. */
	b[0] = &mx;
	GS_CHECK_EQ(apply_envs(r, b, 1, res, &st, true), 0);
	GS_CHECK_EQ(res[0].status, GS_APPLIED);
	/* applied counts every change stored, the released one included;
	 * rejected counts only this batch's own, a released reject is
	 * released_rejected alone (the CLI's import adds them up). */
	GS_CHECK_EQ(st.applied, 2);
	GS_CHECK_EQ(st.released, 1);
	GS_CHECK_EQ(st.released_rejected, 1);
	GS_CHECK_EQ(st.rejected, 0);
	GS_CHECK_EQ(st.pending, 0);
	GS_CHECK_EQ(count_of(r, GS_DB_PENDING), 0);
	GS_CHECK_EQ(count_of(r, GS_DB_CHANGES), 4);
	GS_CHECK_EQ(count_of(r, GS_DB_FEED), 4);
	GS_CHECK_EQ(count_of(r, GS_DB_REJECTS), 1);
	GS_CHECK(has(r, GS_DB_CHANGES, rep.id));
	rj = load_reject(r, &bad);
	GS_CHECK_EQ(rj->code, GS_EAUTH);
	gs__reject__free_unpacked(rj, NULL);
	cs = must_load(r, CID);
	GS_CHECK_EQ(cs->status, GS__STATUS__OPEN);
	GS_CHECK_STR(cs->title, "宅基地边界纠纷");
	GS_CHECK_STR(cs->description, "山林权属争议");
	GS_CHECK_STR(cs->created_by, "q/c/x");
	GS_CHECK_EQ(cs->n_timeline, 1);
	GS_CHECK(memcmp(cs->timeline[0]->change_id.data, rep.id,
	    GS_ID_BYTES) == 0);
	gs_case_free(&cs);

	gs_node_close(&r);
	env_free(&rep);
	env_free(&bad);
	world_free();
}

/* The packed bytes of the stored case cid (malloc'd, *len set). */
static uint8_t *
case_bytes(gs_node *n, const char *cid, size_t *len)
{
	gs_txn *t = NULL;
	gs_val v;
	uint8_t *b;

	GS_CHECK_EQ(gs_txn_begin(gs_node_store(n), 0, &t), 0);
	GS_CHECK_EQ(gs_get(t, GS_DB_CASES, cid, strlen(cid), &v), 0);
	GS_CHECK((b = malloc(v.len ? v.len : 1)) != NULL);
	memcpy(b, v.data, v.len);
	*len = v.len;
	gs_txn_abort(&t);
	return b;
}

/*
 * The town revokes the village after its seq 2. Whether the Revoke
 * arrives before the village's changes, after them, or in the same batch,
 * every node ends with the same case: seqs 3 and 4 flagged revoked and
 * changing nothing.
 */
static void
test_revoke_order(void)
{
	struct draft d;
	struct env e[4], rv;
	const struct env *vil[4] = { &e[0], &e[1], &e[2], &e[3] };
	const struct env *rvb[1] = { &rv };
	const struct env *all[8] = { &mq, &mc, &mx, &rv, &e[3], &e[2], &e[1],
		&e[0] };
	gs_node *r[3];
	uint8_t *cb[3], dg[3][GS_ID_BYTES];
	size_t cl[3];
	uint64_t dn[3], changes, faults;
	struct gs_apply_stats st;
	struct gs_apply_result res[8];
	Gs__Case *cs;
	Gs__RosterEntry *re;
	gs_txn *t = NULL;

	world_new();
	seal(&X, d_report(&d, CID, "债务纠纷"), H(10), &e[0]);
	seal(&X, d_progress(&d, CID, "第一次调解"), H(11), &e[1]);
	seal(&X, d_progress(&d, CID, "第二次调解"), H(12), &e[2]);
	seal(&X, d_whistle(&d, CID), H(13), &e[3]);
	seal(&C, d_revoke(&d, gs_node_key(X.n), 2), H(20), &rv);
	GS_CHECK_EQ(rv.seq, 2);

	/* Revoke first. */
	r[0] = receiver(MAP_TEST);
	apply_members(r[0]);
	apply_all(r[0], rvb, 1, GS_APPLIED);
	apply_all(r[0], vil, 4, GS_APPLIED);
	/* Revoke last: it refolds the case already folded. */
	r[1] = receiver(MAP_TEST);
	apply_members(r[1]);
	apply_all(r[1], vil, 4, GS_APPLIED);
	cs = must_load(r[1], CID);
	GS_CHECK_STR(cs->level, "q/c");	/* the whistle counted, so far */
	gs_case_free(&cs);
	GS_CHECK_EQ(apply_envs(r[1], rvb, 1, res, &st, true), 0);
	GS_CHECK_EQ(res[0].status, GS_APPLIED);
	/* All in one batch, village changes newest first. */
	r[2] = receiver(MAP_TEST);
	GS_CHECK_EQ(apply_envs(r[2], all, 8, res, &st, true), 0);
	for (int i = 0; i < 8; i++)
		GS_CHECK_EQ(res[i].status, GS_APPLIED);

	for (int i = 0; i < 3; i++) {
		cs = must_load(r[i], CID);
		GS_CHECK_EQ(cs->n_timeline, 4);
		for (size_t j = 0; j < 4; j++) {
			Gs__TimelineEntry *te = cs->timeline[j];

			GS_CHECK_EQ(te->seq, j + 1);
			GS_CHECK_STR(te->signer, "q/c/x");
			if (te->seq <= 2) {
				GS_CHECK_EQ(te->flag, GS__FLAG__FLAG_OK);
			} else {
				GS_CHECK_EQ(te->flag, GS__FLAG__FLAG_REVOKED);
				GS_CHECK_STR(te->reason,
				    "signer's key was revoked before this change");
			}
		}
		/* The revoked whistle changed nothing. */
		GS_CHECK_STR(cs->level, "q/c/x");
		GS_CHECK_EQ(cs->whistles, 0);
		GS_CHECK_EQ(cs->status, GS__STATUS__OPEN);
		GS_CHECK_EQ(cs->conflicts, 0);
		gs_case_free(&cs);

		GS_CHECK_EQ(gs_txn_begin(gs_node_store(r[i]), 0, &t), 0);
		GS_CHECK_EQ(gs_roster_get(t, gs_node_key(X.n), &re), 0);
		GS_CHECK(re->revoked);
		GS_CHECK_EQ(re->after_seq, 2);
		gs__roster_entry__free_unpacked(re, NULL);
		gs_txn_abort(&t);

		cb[i] = case_bytes(r[i], CID, &cl[i]);
		digest(r[i], dg[i], &dn[i]);
		GS_CHECK_EQ(dn[i], 3 + 4 + 1);
		GS_CHECK_EQ(gs_view_verify(r[i], print_fault, NULL, &changes,
		    &faults), 0);
		GS_CHECK_EQ(faults, 0);
		GS_CHECK_EQ(changes, 8);
	}
	for (int i = 1; i < 3; i++) {
		GS_CHECK_EQ(cl[i], cl[0]);
		GS_CHECK(memcmp(cb[i], cb[0], cl[0]) == 0);
		GS_CHECK(memcmp(dg[i], dg[0], GS_ID_BYTES) == 0);
	}

	for (int i = 0; i < 3; i++) {
		free(cb[i]);
		gs_node_close(&r[i]);
	}
	for (int i = 0; i < 4; i++)
		env_free(&e[i]);
	env_free(&rv);
	world_free();
}

/* A node's own changes, whatever order they arrive in, leave own_seq at
 * the highest and own_prev at its id; others' changes do not touch it,
 * and gs_ops_write carries on from there. */
static void
test_own_seq(void)
{
	struct draft d;
	struct env n3;
	const struct env *b[3] = { &mq, &n3, &mc };
	const struct env *bx[1] = { &mx };
	uint8_t prev[GS_ID_BYTES], id[GS_ID_BYTES];
	char err[160];
	gs_txn *t = NULL;
	gs_val v;
	gs_envelope e;
	Gs__Change *ch = NULL;

	world_new();
	seal(&Q, d_notice(&d, "防汛通知"), H(5), &n3);
	GS_CHECK_EQ(n3.seq, 3);
	GS_CHECK_EQ(meta_u64(Q.n, "own_seq"), 0);

	/* Seq 1, 3, then 2 in one batch. */
	apply_all(Q.n, b, 3, GS_APPLIED);
	GS_CHECK_EQ(meta_u64(Q.n, "own_seq"), 3);
	meta_bytes(Q.n, "own_prev", prev);
	GS_CHECK(memcmp(prev, n3.id, GS_ID_BYTES) == 0);

	/* Someone else's change. */
	apply_all(Q.n, bx, 1, GS_APPLIED);
	GS_CHECK_EQ(meta_u64(Q.n, "own_seq"), 3);
	meta_bytes(Q.n, "own_prev", prev);
	GS_CHECK(memcmp(prev, n3.id, GS_ID_BYTES) == 0);

	/* A local write continues the chain: seq 4, prev = seq 3's id. */
	GS_CHECK_EQ(gs_ops_write(Q.n, d_notice(&d, "秋收防火"), id, err,
	    sizeof(err)), 0);
	GS_CHECK_STR(err, "");
	GS_CHECK(!id_zero(id));
	GS_CHECK_EQ(meta_u64(Q.n, "own_seq"), 4);
	meta_bytes(Q.n, "own_prev", prev);
	GS_CHECK(memcmp(prev, id, GS_ID_BYTES) == 0);
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(Q.n), 0, &t), 0);
	GS_CHECK_EQ(gs_get(t, GS_DB_CHANGES, id, GS_ID_BYTES, &v), 0);
	GS_CHECK_EQ(gs_envelope_decode(v.data, v.len, &e), 0);
	GS_CHECK_EQ(gs_change_decode(&e, &ch, NULL), 0);
	GS_CHECK_EQ(ch->seq, 4);
	GS_CHECK_EQ(ch->prev.len, GS_ID_BYTES);
	GS_CHECK(memcmp(ch->prev.data, n3.id, GS_ID_BYTES) == 0);
	GS_CHECK(ch->hlc > H(5));
	gs_change_free(&ch);
	gs_envelope_clear(&e);
	gs_txn_abort(&t);
	GS_CHECK_EQ(count_of(Q.n, GS_DB_CHANGES), 5);

	env_free(&n3);
	world_free();
}

/*
 * gs_ops_write refuses, storing nothing, a change the fold would flag (a
 * whistle by the town while the case is at the village) and a change
 * apply would reject (a village dispatch); it writes a good one.
 */
static void
test_ops_write(void)
{
	struct draft d;
	struct env rep;
	const struct env *b[4] = { &mq, &mc, &mx, &rep };
	uint64_t before[GS_DB__COUNT], after[GS_DB__COUNT];
	uint8_t id[GS_ID_BYTES], prev[GS_ID_BYTES];
	char err[160];
	Gs__Case *cs;

	world_new();
	seal(&X, d_report(&d, CID, "耕地灌溉用水纠纷"), H(10), &rep);

	/* The town's own store: its Member of q/c/x is its seq 1. */
	apply_all(C.n, b, 4, GS_APPLIED);
	GS_CHECK_EQ(meta_u64(C.n, "own_seq"), 1);
	counts(C.n, before);

	memset(id, 0xee, sizeof(id));
	GS_CHECK_EQ(gs_ops_write(C.n, d_whistle(&d, CID), id, err,
	    sizeof(err)), GS_ECONFLICT);
	GS_CHECK_STR(err, "signer is not the case's current level");
	GS_CHECK(id_zero(id));
	GS_CHECK_EQ(d.ch.origin.len, 0);
	GS_CHECK(d.ch.origin.data == NULL);
	GS_CHECK_EQ(d.ch.prev.len, 0);
	GS_CHECK(d.ch.prev.data == NULL);
	counts(C.n, after);
	for (int i = 0; i < GS_DB__COUNT; i++)
		GS_CHECK_EQ(after[i], before[i]);
	GS_CHECK_EQ(meta_u64(C.n, "own_seq"), 1);
	cs = must_load(C.n, CID);
	GS_CHECK_EQ(cs->n_timeline, 1);
	GS_CHECK_STR(cs->level, "q/c/x");
	gs_case_free(&cs);

	/* A good one takes the seq the refused one did not use. */
	GS_CHECK_EQ(gs_ops_write(C.n, d_progress(&d, CID, "镇里已知悉"), id,
	    err, sizeof(err)), 0);
	GS_CHECK_STR(err, "");
	GS_CHECK(!id_zero(id));
	GS_CHECK_EQ(meta_u64(C.n, "own_seq"), 2);
	meta_bytes(C.n, "own_prev", prev);
	GS_CHECK(memcmp(prev, id, GS_ID_BYTES) == 0);
	GS_CHECK_EQ(count_of(C.n, GS_DB_CHANGES), before[GS_DB_CHANGES] + 1);
	cs = must_load(C.n, CID);
	GS_CHECK_EQ(cs->n_timeline, 2);
	GS_CHECK_EQ(cs->timeline[1]->flag, GS__FLAG__FLAG_OK);
	GS_CHECK_STR(cs->timeline[1]->signer, "q/c");
	gs_case_free(&cs);

	/* The village's own store: its report is its seq 1. A dispatch is
	 * never a village's to sign. */
	apply_all(X.n, b, 4, GS_APPLIED);
	GS_CHECK_EQ(meta_u64(X.n, "own_seq"), 1);
	counts(X.n, before);
	memset(id, 0xee, sizeof(id));
	GS_CHECK_EQ(gs_ops_write(X.n, d_dispatch(&d, CID, "q/c/@police"), id,
	    err, sizeof(err)), GS_EAUTH);
	GS_CHECK_STR(err, "only a town or county above the owner may dispatch");
	GS_CHECK(id_zero(id));
	counts(X.n, after);
	for (int i = 0; i < GS_DB__COUNT; i++)
		GS_CHECK_EQ(after[i], before[i]);
	GS_CHECK_EQ(meta_u64(X.n, "own_seq"), 1);

	/* A field out of bounds: GS_EINVAL with the field's sentence. */
	d_report(&d, CID, "");
	d.report.title = unconst("");
	GS_CHECK_EQ(gs_ops_write(X.n, &d.ch, id, err, sizeof(err)), GS_EINVAL);
	GS_CHECK_STR(err, "title missing");
	counts(X.n, after);
	for (int i = 0; i < GS_DB__COUNT; i++)
		GS_CHECK_EQ(after[i], before[i]);

	/* The village whistles its own case: fine, and now the town may. */
	GS_CHECK_EQ(gs_ops_write(X.n, d_whistle(&d, CID), id, err,
	    sizeof(err)), 0);
	GS_CHECK_EQ(meta_u64(X.n, "own_seq"), 2);
	cs = must_load(X.n, CID);
	GS_CHECK_STR(cs->level, "q/c");
	gs_case_free(&cs);

	env_free(&rep);
	world_free();
}

/*
 * A copy of a genuine change with a corrupted signature has the genuine
 * change's id (the id hashes only the change bytes). Rejects are keyed by
 * the whole envelope, so the copy must not block the genuine change: else
 * a bit flip in transit, or any peer, could censor any change. Same with
 * the change bytes re-signed by another key.
 */
static void
test_forged_copy_does_not_block_genuine(void)
{
	struct draft d;
	struct env rep, bad;
	const struct env *one[1];
	struct gs_apply_result res[1];
	gs_node *r;

	world_new();
	r = receiver(MAP_TEST);
	apply_members(r);
	seal(&X, d_report(&d, CID, "占道经营"), H(10), &rep);

	forge_sig(&rep, &bad);
	one[0] = &bad;
	GS_CHECK_EQ(apply_envs(r, one, 1, res, NULL, true), 0);
	GS_CHECK_EQ(res[0].status, GS_REJECTED);
	GS_CHECK_EQ(res[0].code, GS_EBADSIG);
	one[0] = &rep;
	GS_CHECK_EQ(apply_envs(r, one, 1, res, NULL, true), 0);
	GS_CHECK_EQ(res[0].status, GS_APPLIED);
	env_free(&bad);
	gs_node_close(&r);

	r = receiver(MAP_TEST);
	apply_members(r);
	forge_origin(&rep, &C, &bad);
	one[0] = &bad;
	GS_CHECK_EQ(apply_envs(r, one, 1, res, NULL, true), 0);
	GS_CHECK_EQ(res[0].status, GS_REJECTED);
	GS_CHECK_EQ(res[0].code, GS_EINVAL);
	GS_CHECK_STR(res[0].reason, "change origin differs from envelope key");
	one[0] = &rep;
	GS_CHECK_EQ(apply_envs(r, one, 1, res, NULL, true), 0);
	GS_CHECK_EQ(res[0].status, GS_APPLIED);
	env_free(&bad);
	gs_node_close(&r);

	env_free(&rep);
	world_free();
}

/* ops.h: "draft's version, origin, seq, prev and hlc are overwritten (and
 * restored to empty before return)". */
static void
test_ops_draft_restored(void)
{
	struct draft d;
	uint8_t id[GS_ID_BYTES];
	char err[160];

	world_new();
	apply_members(Q.n);
	GS_CHECK_EQ(gs_ops_write(Q.n, d_notice(&d, "通知"), id, err,
	    sizeof(err)), 0);
	GS_CHECK_EQ(d.ch.origin.len, 0);
	GS_CHECK_EQ(d.ch.prev.len, 0);
	GS_CHECK_EQ(d.ch.version, 0);
	GS_CHECK_EQ(d.ch.seq, 0);
	GS_CHECK_EQ(d.ch.hlc, 0);
	world_free();
}

int
main(void)
{
	GS_CHECK(sodium_init() >= 0);
	GS_RUN(test_atomic_batch);
	GS_RUN(test_map_full);
	GS_RUN(test_duplicates);
	GS_RUN(test_pending);
	GS_RUN(test_revoke_order);
	GS_RUN(test_own_seq);
	GS_RUN(test_ops_write);
	GS_RUN(test_forged_copy_does_not_block_genuine);
	GS_RUN(test_ops_draft_restored);
	return 0;
}
