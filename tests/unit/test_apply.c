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
 * the wall clock. A change signs as its node's path unless the draft names
 * another (a key enrolled at two paths). Receivers are further nodes (path
 * q/d, trusting q) that the test feeds batches to.
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
#define YCID "q/c/y#01JD3QZ8W6X5N4M2K9R7T0V1AC"
#define ZCID "q/d/z#01JD3QZ8W6X5N4M2K9R7T0V1AD"
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

/* Seals draft c as signer's next change at hlc, signing as the node's own
 * path unless the draft names another. */
static void
seal(struct ident *s, Gs__Change *c, uint64_t hlc, struct env *out)
{
	const char *why = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (c->signer == NULL || c->signer[0] == '\0')
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
 * the batch that brings the Member releases them. What the change's own
 * signer path can never sign is rejected at once, held or not. A change
 * is held until its key is enrolled at the very path it signs as, and a
 * Revoke also until the pair it revokes is enrolled: the village's key
 * signing as q/c/y, and the town revoking it there, wait for that Member
 * even once the key is enrolled at q/c/x.
 */
static void
test_pending(void)
{
	struct draft d;
	struct env rep, bad, repy, rvy, my;
	const struct env *b2[] = { &mq, &mc };
	const struct env *b[4];
	struct gs_apply_result res[4];
	struct gs_apply_stats st;
	Gs__Case *cs;
	Gs__Reject *rj;
	Gs__RosterEntry *re;
	gs_txn *t = NULL;
	int rc;
	gs_node *r;

	world_new();
	r = receiver(MAP_TEST);
	apply_all(r, b2, 2, GS_APPLIED);
	seal(&X, d_report(&d, CID, "山林权属争议"), H(10), &rep);
	seal(&X, d_dispatch(&d, CID, "q/c/@police"), H(11), &bad);
	d_report(&d, YCID, "水渠堵塞");
	d.ch.signer = unconst("q/c/y");
	seal(&X, &d.ch, H(12), &repy);
	GS_CHECK_EQ(repy.seq, 3);
	seal(&C, d_revoke(&d, gs_node_key(X.n), "q/c/y", 5), H(13), &rvy);
	seal(&C, d_member(&d, "q/c/y", gs_node_key(X.n)), H(14), &my);

	b[0] = &rep;
	b[1] = &bad;
	b[2] = &repy;
	b[3] = &rvy;
	GS_CHECK_EQ(apply_envs(r, b, 4, res, &st, true), 0);
	GS_CHECK_EQ(res[0].status, GS_PENDING);
	GS_CHECK_EQ(res[1].status, GS_REJECTED);
	GS_CHECK_EQ(res[1].code, GS_EAUTH);
	GS_CHECK_STR(res[1].reason,
	    "only a town or county above the owner may dispatch");
	GS_CHECK_EQ(res[2].status, GS_PENDING);
	GS_CHECK_EQ(res[3].status, GS_PENDING);
	for (int i = 0; i < 4; i++)
		GS_CHECK(memcmp(res[i].id, b[i]->id, GS_ID_BYTES) == 0);
	GS_CHECK_EQ(st.pending, 3);
	GS_CHECK_EQ(st.applied, 0);
	GS_CHECK_EQ(st.rejected, 1);
	GS_CHECK(!has(r, GS_DB_CHANGES, rep.id));
	GS_CHECK(has(r, GS_DB_PENDING, rep.id));
	GS_CHECK(!has(r, GS_DB_PENDING, bad.id));
	GS_CHECK_EQ(count_of(r, GS_DB_CHANGES), 2);
	GS_CHECK_EQ(count_of(r, GS_DB_FEED), 2);
	GS_CHECK_EQ(count_of(r, GS_DB_PENDING), 3);
	GS_CHECK_EQ(count_of(r, GS_DB_CASEIDX), 0);
	GS_CHECK_EQ(count_of(r, GS_DB_CASES), 0);
	GS_CHECK_EQ(count_of(r, GS_DB_REJECTS), 1);
	rj = load_reject(r, &bad);
	GS_CHECK_EQ(rj->code, GS_EAUTH);
	gs__reject__free_unpacked(rj, NULL);
	cs = load_case(r, CID, &rc);
	GS_CHECK_EQ(rc, GS_ENOTFOUND);
	GS_CHECK(cs == NULL);

	/* Held changes sent again are duplicates, still held; so is the
	 * rejected one. */
	b[0] = &rep;
	b[1] = &bad;
	GS_CHECK_EQ(apply_envs(r, b, 2, res, &st, true), 0);
	GS_CHECK_EQ(res[0].status, GS_DUPLICATE);
	GS_CHECK_EQ(res[1].status, GS_DUPLICATE);
	GS_CHECK_EQ(st.duplicate, 2);
	GS_CHECK_EQ(st.pending, 0);
	GS_CHECK_EQ(count_of(r, GS_DB_PENDING), 3);

	/* The Member of q/c/x: the report is released and folded; the
	 * changes that wait for the pair (X, q/c/y) stay held. */
	b[0] = &mx;
	GS_CHECK_EQ(apply_envs(r, b, 1, res, &st, true), 0);
	GS_CHECK_EQ(res[0].status, GS_APPLIED);
	/* applied counts every change stored, the released one included;
	 * nothing held can turn out wrong by itself any more, since that
	 * was judged before it was held. */
	GS_CHECK_EQ(st.applied, 2);
	GS_CHECK_EQ(st.released, 1);
	GS_CHECK_EQ(st.released_rejected, 0);
	GS_CHECK_EQ(st.rejected, 0);
	GS_CHECK_EQ(st.pending, 0);
	GS_CHECK_EQ(count_of(r, GS_DB_PENDING), 2);
	GS_CHECK_EQ(count_of(r, GS_DB_CHANGES), 4);
	GS_CHECK_EQ(count_of(r, GS_DB_FEED), 4);
	GS_CHECK_EQ(count_of(r, GS_DB_REJECTS), 1);
	GS_CHECK(has(r, GS_DB_CHANGES, rep.id));
	GS_CHECK(has(r, GS_DB_PENDING, repy.id));
	GS_CHECK(has(r, GS_DB_PENDING, rvy.id));
	cs = must_load(r, CID);
	GS_CHECK_EQ(cs->status, GS__STATUS__OPEN);
	GS_CHECK_STR(cs->title, "宅基地边界纠纷");
	GS_CHECK_STR(cs->description, "山林权属争议");
	GS_CHECK_STR(cs->created_by, "q/c/x");
	GS_CHECK_EQ(cs->n_timeline, 1);
	GS_CHECK(memcmp(cs->timeline[0]->change_id.data, rep.id,
	    GS_ID_BYTES) == 0);
	gs_case_free(&cs);
	cs = load_case(r, YCID, &rc);
	GS_CHECK_EQ(rc, GS_ENOTFOUND);

	/* The Member of (X, q/c/y) releases both. The revocation is after
	 * seq 5, so the report (seq 3) stands, signed as q/c/y. */
	b[0] = &my;
	GS_CHECK_EQ(apply_envs(r, b, 1, res, &st, true), 0);
	GS_CHECK_EQ(res[0].status, GS_APPLIED);
	GS_CHECK_EQ(st.applied, 3);
	GS_CHECK_EQ(st.released, 2);
	GS_CHECK_EQ(st.released_rejected, 0);
	GS_CHECK_EQ(count_of(r, GS_DB_PENDING), 0);
	GS_CHECK_EQ(count_of(r, GS_DB_CHANGES), 7);
	GS_CHECK_EQ(count_of(r, GS_DB_ROSTER), 4);
	cs = must_load(r, YCID);
	GS_CHECK_STR(cs->created_by, "q/c/y");
	GS_CHECK_EQ(cs->n_timeline, 1);
	GS_CHECK_STR(cs->timeline[0]->signer, "q/c/y");
	GS_CHECK_EQ(cs->timeline[0]->flag, GS__FLAG__FLAG_OK);
	gs_case_free(&cs);
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(r), 0, &t), 0);
	GS_CHECK_EQ(gs_roster_get(t, gs_node_key(X.n), "q/c/y", &re), 0);
	GS_CHECK_EQ(re->n_revocations, 1);
	GS_CHECK_EQ(re->revocations[0]->after_seq, 5);
	gs__roster_entry__free_unpacked(re, NULL);
	GS_CHECK_EQ(gs_roster_get(t, gs_node_key(X.n), "q/c/x", &re), 0);
	GS_CHECK_EQ(re->n_revocations, 0);
	gs__roster_entry__free_unpacked(re, NULL);
	gs_txn_abort(&t);

	gs_node_close(&r);
	env_free(&rep);
	env_free(&bad);
	env_free(&repy);
	env_free(&rvy);
	env_free(&my);
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
	seal(&C, d_revoke(&d, gs_node_key(X.n), "q/c/x", 2), H(20), &rv);
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
		GS_CHECK_EQ(gs_roster_get(t, gs_node_key(X.n), "q/c/x", &re),
		    0);
		GS_CHECK_EQ(re->n_revocations, 1);
		GS_CHECK_EQ(re->revocations[0]->after_seq, 2);
		GS_CHECK_EQ(re->revocations[0]->by.len, GS_KEY_BYTES);
		GS_CHECK(memcmp(re->revocations[0]->by.data, gs_node_key(C.n),
		    GS_KEY_BYTES) == 0);
		GS_CHECK_EQ(re->revocations[0]->by_seq, rv.seq);
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

/* ---- arrival orders ---- */

/* Every order of three. */
static const int perm3[6][3] = {
	{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
	{ 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
};

/* Called after each batch of apply_order's one-per-batch mode with the
 * set of envelopes applied so far (bit i: set[i]). */
typedef void step_fn(gs_node *r, unsigned seen, void *arg);

/*
 * Applies set[perm[0]], set[perm[1]], set[perm[2]] to r, in one batch or
 * one batch each. wait[i] is the index of the envelope set[i] waits for
 * (its Member), or -1: set[i] must be pending exactly when that one has
 * not arrived before it, applied otherwise, and released by the batch
 * that brings it. Nothing is rejected.
 */
static void
apply_order(gs_node *r, const struct env *const *set, const int *perm,
    const int *wait, bool one_batch, step_fn *step, void *arg)
{
	const struct env *b[3];
	struct gs_apply_result res[3];
	struct gs_apply_stats st;
	unsigned seen = 0;
	int held = 0;

	for (int k = 0; k < 3; k++)
		b[k] = set[perm[k]];
	if (one_batch) {
		GS_CHECK_EQ(apply_envs(r, b, 3, res, &st, true), 0);
		for (int k = 0; k < 3; k++) {
			int i = perm[k];
			bool pend = wait[i] >= 0 && !(seen & (1u << wait[i]));

			GS_CHECK_EQ(res[k].status, pend ? GS_PENDING : GS_APPLIED);
			GS_CHECK(memcmp(res[k].id, b[k]->id, GS_ID_BYTES) == 0);
			held += pend;
			seen |= 1u << i;
		}
		GS_CHECK_EQ(st.applied, 3);
		GS_CHECK_EQ(st.pending, held);
		GS_CHECK_EQ(st.released, held);
	} else {
		for (int k = 0; k < 3; k++) {
			int i = perm[k], rel = 0;
			bool pend = wait[i] >= 0 && !(seen & (1u << wait[i]));

			/* What waited for this one is released now. */
			for (int j = 0; j < 3; j++)
				if ((seen & (1u << j)) && wait[j] == i)
					rel++;
			GS_CHECK_EQ(apply_envs(r, &b[k], 1, res, &st, true), 0);
			GS_CHECK_EQ(res[0].status, pend ? GS_PENDING : GS_APPLIED);
			GS_CHECK_EQ(st.pending, pend ? 1 : 0);
			GS_CHECK_EQ(st.released, rel);
			GS_CHECK_EQ(st.applied, (pend ? 0 : 1) + rel);
			GS_CHECK_EQ(st.rejected, 0);
			GS_CHECK_EQ(st.released_rejected, 0);
			seen |= 1u << i;
			if (step != NULL)
				step(r, seen, arg);
		}
	}
	GS_CHECK_EQ(st.rejected, 0);
	GS_CHECK_EQ(st.released_rejected, 0);
	GS_CHECK_EQ(st.duplicate, 0);
	GS_CHECK_EQ(count_of(r, GS_DB_PENDING), 0);
	GS_CHECK_EQ(count_of(r, GS_DB_REJECTS), 0);
}

/* The first receiver's case bytes and digest, that every other receiver
 * of the same changes must match byte for byte. */
struct ref {
	uint8_t *cb;
	size_t   cl;
	uint8_t  dg[GS_ID_BYTES];
	uint64_t dn;
	bool     set;
};

static void
same_as_ref(struct ref *ref, gs_node *r, const char *cid)
{
	uint8_t dg[GS_ID_BYTES], *cb;
	uint64_t dn = 0, changes = 0, faults = 99;
	size_t cl;

	cb = case_bytes(r, cid, &cl);
	digest(r, dg, &dn);
	GS_CHECK_EQ(gs_view_verify(r, print_fault, NULL, &changes, &faults), 0);
	GS_CHECK_EQ(faults, 0);
	GS_CHECK_EQ(changes, dn);
	if (!ref->set) {
		ref->cb = cb;
		ref->cl = cl;
		memcpy(ref->dg, dg, GS_ID_BYTES);
		ref->dn = dn;
		ref->set = true;
		return;
	}
	GS_CHECK_EQ(cl, ref->cl);
	GS_CHECK(memcmp(cb, ref->cb, cl) == 0);
	GS_CHECK_EQ(dn, ref->dn);
	GS_CHECK(memcmp(dg, ref->dg, GS_ID_BYTES) == 0);
	free(cb);
}

static void
ref_free(struct ref *ref)
{
	free(ref->cb);
	memset(ref, 0, sizeof(*ref));
}

/* r's roster entry of (key, path); free with
 * gs__roster_entry__free_unpacked. */
static Gs__RosterEntry *
roster_get(gs_node *r, const uint8_t *key, const char *path)
{
	gs_txn *t = NULL;
	Gs__RosterEntry *re = NULL;

	GS_CHECK_EQ(gs_txn_begin(gs_node_store(r), 0, &t), 0);
	GS_CHECK_EQ(gs_roster_get(t, key, path, &re), 0);
	gs_txn_abort(&t);
	GS_CHECK(re != NULL);
	GS_CHECK_STR(re->path, path);
	return re;
}

/* Checks that re's enrolment i is Member m, signed by `by`. */
static void
check_enrolment(const Gs__RosterEntry *re, size_t i, const struct env *m,
    const struct ident *by)
{
	const Gs__Enrolment *en;

	GS_CHECK(i < re->n_enrolments);
	en = re->enrolments[i];
	GS_CHECK(en != NULL);
	GS_CHECK_EQ(en->member_change.len, GS_ID_BYTES);
	GS_CHECK(memcmp(en->member_change.data, m->id, GS_ID_BYTES) == 0);
	GS_CHECK_EQ(en->signer.len, GS_KEY_BYTES);
	GS_CHECK(memcmp(en->signer.data, gs_node_key(by->n), GS_KEY_BYTES) ==
	    0);
	GS_CHECK_EQ(en->signer_seq, m->seq);
}

/* r's roster entry of (key, path), checked to be enrolled by Member m
 * signed by `by` and no other; free with gs__roster_entry__free_unpacked. */
static Gs__RosterEntry *
roster_entry(gs_node *r, const uint8_t *key, const char *path,
    const struct env *m, const struct ident *by)
{
	Gs__RosterEntry *re;

	re = roster_get(r, key, path);
	GS_CHECK_EQ(re->n_enrolments, 1);
	check_enrolment(re, 0, m, by);
	return re;
}

/* The stored bytes of r's roster entry of (key, path), under key + path in
 * the roster database (trust.h); malloc'd, *len set. */
static uint8_t *
roster_bytes(gs_node *r, const uint8_t *key, const char *path, size_t *len)
{
	uint8_t k[GS_KEY_BYTES + GS_PATH_MAX_BYTES], *b;
	size_t plen = strlen(path);
	gs_txn *t = NULL;
	gs_val v;

	GS_CHECK(plen <= GS_PATH_MAX_BYTES);
	memcpy(k, key, GS_KEY_BYTES);
	memcpy(k + GS_KEY_BYTES, path, plen);
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(r), 0, &t), 0);
	GS_CHECK_EQ(gs_get(t, GS_DB_ROSTER, k, GS_KEY_BYTES + plen, &v), 0);
	GS_CHECK((b = malloc(v.len ? v.len : 1)) != NULL);
	memcpy(b, v.data, v.len);
	*len = v.len;
	gs_txn_abort(&t);
	return b;
}

/* Applies one envelope and checks its verdict; code and reason only for
 * a reject. */
static void
apply_one_env(gs_node *r, const struct env *e, enum gs_apply_status want,
    int code, const char *reason)
{
	const struct env *b[1] = { e };
	struct gs_apply_result res[1];

	GS_CHECK_EQ(apply_envs(r, b, 1, res, NULL, true), 0);
	GS_CHECK_EQ(res[0].status, want);
	if (want == GS_REJECTED) {
		GS_CHECK_EQ(res[0].code, code);
		GS_CHECK_STR(res[0].reason, reason);
	}
}

/*
 * One key enrolled at two paths: the town q/c enrols the village's key
 * as q/c/x and the town q/d enrols the same key as q/d/z. Neither Member
 * is refused, and the village's report (signed as q/c/x) waits only for
 * the Member of q/c/x. In every arrival order, as one batch or one batch
 * each, every receiver ends with the same changes, roster and case bytes.
 * Then each change is judged as the path it signs as.
 */
static void
test_double_enrolment(void)
{
	static const int wait[3] = { -1, -1, 0 };	/* rep waits for mx */
	struct draft d;
	struct ident D;
	struct env md, mz, rep, e;
	const struct env *set[3] = { &mx, &mz, &rep };
	const struct env *base3[3] = { &mq, &mc, &md };
	struct ref ref;
	Gs__RosterEntry *re;
	Gs__Case *cs;
	gs_node *r, *r0 = NULL;

	world_new();
	memset(&D, 0, sizeof(D));
	memset(&ref, 0, sizeof(ref));
	D.n = node_new("q/d", gs_node_key(Q.n), MAP_TEST);
	seal(&Q, d_member(&d, "q/d", gs_node_key(D.n)), H(4), &md);
	seal(&D, d_member(&d, "q/d/z", gs_node_key(X.n)), H(5), &mz);
	seal(&X, d_report(&d, CID, "宅基地界桩被移动"), H(10), &rep);

	for (int i = 0; i < 12; i++) {
		r = receiver(MAP_TEST);
		apply_all(r, base3, 3, GS_APPLIED);
		apply_order(r, set, perm3[i % 6], wait, i < 6, NULL, NULL);
		GS_CHECK_EQ(count_of(r, GS_DB_CHANGES), 6);
		GS_CHECK_EQ(count_of(r, GS_DB_ROSTER), 5);
		re = roster_entry(r, gs_node_key(X.n), "q/c/x", &mx, &C);
		GS_CHECK_EQ(re->n_revocations, 0);
		gs__roster_entry__free_unpacked(re, NULL);
		re = roster_entry(r, gs_node_key(X.n), "q/d/z", &mz, &D);
		gs__roster_entry__free_unpacked(re, NULL);
		cs = must_load(r, CID);
		GS_CHECK_STR(cs->created_by, "q/c/x");
		GS_CHECK_STR(cs->level, "q/c/x");
		GS_CHECK_EQ(cs->n_timeline, 1);
		GS_CHECK_STR(cs->timeline[0]->signer, "q/c/x");
		GS_CHECK_EQ(cs->timeline[0]->flag, GS__FLAG__FLAG_OK);
		gs_case_free(&cs);
		same_as_ref(&ref, r, CID);
		if (i == 0)
			r0 = r;
		else
			gs_node_close(&r);
	}

	/* Signed as q/d/z, the key is the village q/d/z: it can never see
	 * q/c/x's case nor report one there, but reports its own. */
	r = r0;
	d_progress(&d, CID, "我是另一个村的");
	d.ch.signer = unconst("q/d/z");
	seal(&X, &d.ch, H(11), &e);
	apply_one_env(r, &e, GS_REJECTED, GS_EAUTH,
	    "signer can never see this case");
	env_free(&e);
	d_report(&d, "q/c/x#01JD3QZ8W6X5N4M2K9R7T0V1AE", "越界上报");
	d.ch.signer = unconst("q/d/z");
	seal(&X, &d.ch, H(12), &e);
	apply_one_env(r, &e, GS_REJECTED, GS_EAUTH,
	    "only the owner village or an ancestor may report a case");
	env_free(&e);
	d_report(&d, ZCID, "灌溉渠纠纷");
	d.ch.signer = unconst("q/d/z");
	seal(&X, &d.ch, H(13), &e);
	apply_one_env(r, &e, GS_APPLIED, 0, NULL);
	env_free(&e);
	cs = must_load(r, ZCID);
	GS_CHECK_STR(cs->created_by, "q/d/z");
	GS_CHECK_STR(cs->timeline[0]->signer, "q/d/z");
	GS_CHECK_EQ(cs->timeline[0]->flag, GS__FLAG__FLAG_OK);
	gs_case_free(&cs);
	/* Signed as q/c/x, the other village's case is out of reach. */
	d_progress(&d, ZCID, "跨村");
	seal(&X, &d.ch, H(14), &e);
	apply_one_env(r, &e, GS_REJECTED, GS_EAUTH,
	    "signer can never see this case");
	env_free(&e);
	d_progress(&d, CID, "已调解");
	seal(&X, &d.ch, H(15), &e);
	apply_one_env(r, &e, GS_APPLIED, 0, NULL);
	env_free(&e);
	cs = must_load(r, CID);
	GS_CHECK_EQ(cs->n_timeline, 2);
	GS_CHECK_STR(cs->timeline[1]->signer, "q/c/x");
	GS_CHECK_EQ(cs->timeline[1]->flag, GS__FLAG__FLAG_OK);
	gs_case_free(&cs);

	gs_node_close(&r);
	gs_node_close(&D.n);
	ref_free(&ref);
	env_free(&md);
	env_free(&mz);
	env_free(&rep);
	world_free();
}

/* What test_revoked_revoker expects after each batch. */
struct rr {
	const struct env *town;		/* the town's Revoke of the village */
	bool              stolen;	/* signed after its own revocation */
};

/* set: 0 the county's Revoke of the town, 1 the town's of the village,
 * 2 the village's report. */
static void
rr_step(gs_node *r, unsigned seen, void *arg)
{
	const struct rr *rr = arg;
	bool county = seen & 1, town = seen & 2, revoked;
	Gs__Case *cs;

	if (!(seen & 4))
		return;
	/* The town's revocation counts unless the county's is held too
	 * and the town signed it after that. */
	revoked = town && !(county && rr->stolen);
	cs = must_load(r, CID);
	GS_CHECK_EQ(cs->n_timeline, 1);
	GS_CHECK_EQ(cs->timeline[0]->flag,
	    revoked ? GS__FLAG__FLAG_REVOKED : GS__FLAG__FLAG_OK);
	gs_case_free(&cs);
}

/*
 * A revoked revoker. The county revokes the town after its seq 2. The
 * town's key, stolen, then signs (its seq 3) a revocation of the village
 * after 0: it must not void the village's report (seq 1), in any arrival
 * order. A revocation the town signed at seq 2, before its own, does void
 * it. Either way every order ends with the same case bytes.
 */
static void
test_revoked_revoker(void)
{
	static const int wait[3] = { -1, -1, -1 };
	struct draft d;
	struct env rep, rva, rvb, rvc;
	const struct env *set[3];
	struct ref ref;
	struct rr rr;
	Gs__RosterEntry *re;
	Gs__Case *cs;
	gs_node *r;

	world_new();
	seal(&X, d_report(&d, CID, "承包地纠纷"), H(10), &rep);
	seal(&C, d_revoke(&d, gs_node_key(X.n), "q/c/x", 0), H(20), &rva);
	seal(&C, d_revoke(&d, gs_node_key(X.n), "q/c/x", 0), H(21), &rvb);
	seal(&Q, d_revoke(&d, gs_node_key(C.n), "q/c", 2), H(22), &rvc);
	GS_CHECK_EQ(rep.seq, 1);
	GS_CHECK_EQ(rva.seq, 2);
	GS_CHECK_EQ(rvb.seq, 3);
	GS_CHECK_EQ(rvc.seq, 3);

	for (int sc = 0; sc < 2; sc++) {
		rr.stolen = sc == 0;
		rr.town = rr.stolen ? &rvb : &rva;
		set[0] = &rvc;
		set[1] = rr.town;
		set[2] = &rep;
		memset(&ref, 0, sizeof(ref));
		for (int i = 0; i < 12; i++) {
			r = receiver(MAP_TEST);
			apply_members(r);
			apply_order(r, set, perm3[i % 6], wait, i < 6, rr_step,
			    &rr);
			GS_CHECK_EQ(count_of(r, GS_DB_CHANGES), 6);
			cs = must_load(r, CID);
			GS_CHECK_EQ(cs->n_timeline, 1);
			GS_CHECK_STR(cs->timeline[0]->signer, "q/c/x");
			if (rr.stolen) {
				GS_CHECK_EQ(cs->timeline[0]->flag,
				    GS__FLAG__FLAG_OK);
				GS_CHECK_EQ(cs->status, GS__STATUS__OPEN);
				GS_CHECK_STR(cs->created_by, "q/c/x");
			} else {
				GS_CHECK_EQ(cs->timeline[0]->flag,
				    GS__FLAG__FLAG_REVOKED);
				GS_CHECK_STR(cs->timeline[0]->reason,
				    "signer's key was revoked before this change");
			}
			gs_case_free(&cs);
			/* Both revocations are recorded, with who signed
			 * them; only the answer differs. */
			re = roster_entry(r, gs_node_key(X.n), "q/c/x", &mx, &C);
			GS_CHECK_EQ(re->n_revocations, 1);
			GS_CHECK_EQ(re->revocations[0]->after_seq, 0);
			GS_CHECK(memcmp(re->revocations[0]->by.data,
			    gs_node_key(C.n), GS_KEY_BYTES) == 0);
			GS_CHECK_EQ(re->revocations[0]->by_seq, rr.town->seq);
			gs__roster_entry__free_unpacked(re, NULL);
			re = roster_entry(r, gs_node_key(C.n), "q/c", &mc, &Q);
			GS_CHECK_EQ(re->n_revocations, 1);
			GS_CHECK_EQ(re->revocations[0]->after_seq, 2);
			GS_CHECK_EQ(re->revocations[0]->by_seq, rvc.seq);
			gs__roster_entry__free_unpacked(re, NULL);
			same_as_ref(&ref, r, CID);
			gs_node_close(&r);
		}
		ref_free(&ref);
	}

	env_free(&rep);
	env_free(&rva);
	env_free(&rvb);
	env_free(&rvc);
	world_free();
}

/*
 * The same pair enrolled by two Member changes (the town signed the
 * village's Member again): both are stored, and whichever arrives first
 * the roster entry holds both, once each, sorted by change id: the same
 * bytes on every receiver.
 */
static void
test_member_twice(void)
{
	static const int wait[3] = { -1, -1, 0 };
	static const int order[4][3] = {
		{ 0, 1, 2 }, { 1, 0, 2 }, { 2, 1, 0 }, { 2, 0, 1 },
	};
	struct draft d;
	struct env mx2, rep;
	const struct env *set[3] = { &mx, &mx2, &rep };
	const struct env *b2[] = { &mq, &mc };
	const struct env *low, *high;
	struct ref ref;
	Gs__RosterEntry *re;
	Gs__Case *cs;
	gs_node *r;
	uint8_t *rb = NULL, *b;
	size_t rl = 0, len;
	int wait2[3];

	world_new();
	memset(&ref, 0, sizeof(ref));
	seal(&C, d_member(&d, "q/c/x", gs_node_key(X.n)), H(4), &mx2);
	GS_CHECK_EQ(mx2.seq, 2);
	seal(&X, d_report(&d, CID, "重签成员"), H(10), &rep);
	low = memcmp(mx.id, mx2.id, GS_ID_BYTES) < 0 ? &mx : &mx2;
	high = low == &mx ? &mx2 : &mx;

	for (int i = 0; i < 8; i++) {
		const int *p = order[i % 4];

		/* The report waits for whichever Member comes first. */
		memcpy(wait2, wait, sizeof(wait2));
		wait2[2] = p[0] == 2 ? p[1] : p[0];
		r = receiver(MAP_TEST);
		apply_all(r, b2, 2, GS_APPLIED);
		apply_order(r, set, p, wait2, i < 4, NULL, NULL);
		GS_CHECK_EQ(count_of(r, GS_DB_CHANGES), 5);
		GS_CHECK_EQ(count_of(r, GS_DB_ROSTER), 3);
		GS_CHECK(has(r, GS_DB_CHANGES, mx.id));
		GS_CHECK(has(r, GS_DB_CHANGES, mx2.id));
		re = roster_get(r, gs_node_key(X.n), "q/c/x");
		GS_CHECK_EQ(re->n_enrolments, 2);
		check_enrolment(re, 0, low, &C);
		check_enrolment(re, 1, high, &C);
		GS_CHECK_EQ(re->n_revocations, 0);
		gs__roster_entry__free_unpacked(re, NULL);
		b = roster_bytes(r, gs_node_key(X.n), "q/c/x", &len);
		if (rb == NULL) {
			rb = b;
			rl = len;
		} else {
			GS_CHECK_EQ(len, rl);
			GS_CHECK(memcmp(b, rb, len) == 0);
			free(b);
		}
		cs = must_load(r, CID);
		GS_CHECK_EQ(cs->timeline[0]->flag, GS__FLAG__FLAG_OK);
		gs_case_free(&cs);
		same_as_ref(&ref, r, CID);
		gs_node_close(&r);
	}

	free(rb);
	ref_free(&ref);
	env_free(&mx2);
	env_free(&rep);
	world_free();
}

/* Seals s's Member of key at path as s's next change, retrying later
 * HLCs until the id's first byte is below 0x80 (low) or not (!low). Each
 * try is an even chance: 64 fail together with odds 2^-64. */
static void
seal_ground(struct ident *s, const char *path, const uint8_t *key,
    bool low, uint64_t hlc, struct env *out)
{
	struct draft d;
	struct ident saved = *s;

	for (int i = 0; i < 64; i++) {
		*s = saved;
		seal(s, d_member(&d, path, key), hlc + (uint64_t)i, out);
		if ((out->id[0] < 0x80) == low)
			return;
		env_free(out);
	}
	GS_CHECK(!"no id found in 64 tries");
}

#define VCID "q/c/v#01JD3QZ8W6X5N4M2K9R7T0V1AF"

/* The changes of a stolen town key re-enrolling a village: the genuine
 * Member (town seq 2) with a high id, the attacker's (town seq 3, after
 * the county's revocation of the town after 2) with a lower one, the
 * revocation, and the village's report. */
struct reenrol {
	struct ident V;
	struct env   gm, atk, rvc, rep;
};

static void
reenrol_new(struct reenrol *w)
{
	struct draft d;

	memset(w, 0, sizeof(*w));
	w->V.n = node_new("q/c/v", gs_node_key(Q.n), MAP_TEST);
	seal_ground(&C, "q/c/v", gs_node_key(w->V.n), false, H(4), &w->gm);
	seal_ground(&C, "q/c/v", gs_node_key(w->V.n), true, H(100), &w->atk);
	GS_CHECK_EQ(w->gm.seq, 2);
	GS_CHECK_EQ(w->atk.seq, 3);
	GS_CHECK(memcmp(w->atk.id, w->gm.id, GS_ID_BYTES) < 0);
	seal(&Q, d_revoke(&d, gs_node_key(C.n), "q/c", 2), H(200), &w->rvc);
	seal(&w->V, d_report(&d, VCID, "被冒签"), H(300), &w->rep);
}

static void
reenrol_free(struct reenrol *w)
{
	gs_node_close(&w->V.n);
	env_free(&w->gm);
	env_free(&w->atk);
	env_free(&w->rvc);
	env_free(&w->rep);
}

/* The flag of the village report's one timeline entry on r. */
static Gs__Flag
vflag(gs_node *r)
{
	Gs__Case *cs;
	Gs__Flag f;

	cs = must_load(r, VCID);
	GS_CHECK_EQ(cs->n_timeline, 1);
	f = cs->timeline[0]->flag;
	if (f == GS__FLAG__FLAG_REVOKED)
		GS_CHECK_STR(cs->timeline[0]->reason,
		    "signer's key was revoked before this change");
	gs_case_free(&cs);
	return f;
}

/* Checks r's roster entry of the village: both Members, the attacker's
 * (lower id) first, each signed by the town; and its stored bytes the
 * same as *rb's, which the first call sets (free it). */
static void
reenrol_roster(gs_node *r, const struct reenrol *w, uint8_t **rb,
    size_t *rl)
{
	Gs__RosterEntry *re;
	uint8_t *b;
	size_t len;

	re = roster_get(r, gs_node_key(w->V.n), "q/c/v");
	GS_CHECK_EQ(re->n_enrolments, 2);
	check_enrolment(re, 0, &w->atk, &C);
	check_enrolment(re, 1, &w->gm, &C);
	GS_CHECK_EQ(re->n_revocations, 0);
	gs__roster_entry__free_unpacked(re, NULL);
	b = roster_bytes(r, gs_node_key(w->V.n), "q/c/v", &len);
	if (*rb == NULL) {
		*rb = b;
		*rl = len;
		return;
	}
	GS_CHECK_EQ(len, *rl);
	GS_CHECK(memcmp(b, *rb, len) == 0);
	free(b);
}

/*
 * A revoked town cannot unseat its village: the county revokes the town
 * after its seq 2; the town's stolen key then signs (at seq 3) the
 * village's Member again, with an id ground below the genuine one's. Both
 * Members are kept, the genuine one is valid, so the pair is: the
 * village's report stays FLAG_OK, whatever the order, and every receiver
 * ends with the same roster entry and case bytes.
 */
static void
test_revoked_town_cannot_reenrol(void)
{
	struct reenrol w;
	const struct env *b[4], *rb[4];
	struct ref ref;
	uint8_t *rb_bytes = NULL;
	size_t rb_len = 0;
	gs_node *r;

	world_new();
	reenrol_new(&w);
	b[0] = &w.gm;
	b[1] = &w.rvc;
	b[2] = &w.rep;
	b[3] = &w.atk;
	for (int k = 0; k < 4; k++)
		rb[k] = b[3 - k];
	memset(&ref, 0, sizeof(ref));

	for (int i = 0; i < 2; i++) {
		r = receiver(MAP_TEST);
		apply_members(r);
		apply_all(r, i == 0 ? b : rb, 4, GS_APPLIED);
		GS_CHECK_EQ(vflag(r), GS__FLAG__FLAG_OK);
		reenrol_roster(r, &w, &rb_bytes, &rb_len);
		same_as_ref(&ref, r, VCID);
		gs_node_close(&r);
	}

	ref_free(&ref);
	free(rb_bytes);
	reenrol_free(&w);
	world_free();
}

/*
 * A second Member for a pair already enrolled, arriving after the pair's
 * changes were folded, refolds them: gs_roster_enrol reports the change
 * and apply refolds every case. One batch each, with the changes of
 * test_revoked_town_cannot_reenrol: the attacker's Member, the village's
 * report (folded FLAG_OK), the county's revocation of the town (now the
 * village's only Member is void: FLAG_REVOKED), then the genuine Member,
 * in a batch of its own with no case change: FLAG_OK again, the stored
 * case equal to a fresh fold (gs_view_verify finds no fault) and to a
 * receiver's that got all four at once. And the other way round, the
 * attacker's Member last: nothing to change, nothing wrong either.
 */
static void
test_second_member_refolds(void)
{
	struct reenrol w;
	const struct env *seq[2][4];
	const struct env *all[4];
	struct ref ref;
	uint64_t changes, faults;
	gs_node *r;

	world_new();
	reenrol_new(&w);
	seq[0][0] = &w.atk;
	seq[0][1] = &w.rep;
	seq[0][2] = &w.rvc;
	seq[0][3] = &w.gm;
	seq[1][0] = &w.gm;
	seq[1][1] = &w.rvc;
	seq[1][2] = &w.rep;
	seq[1][3] = &w.atk;
	all[0] = &w.gm;
	all[1] = &w.atk;
	all[2] = &w.rvc;
	all[3] = &w.rep;
	memset(&ref, 0, sizeof(ref));

	/* The reference: all four in one batch. */
	r = receiver(MAP_TEST);
	apply_members(r);
	apply_all(r, all, 4, GS_APPLIED);
	GS_CHECK_EQ(vflag(r), GS__FLAG__FLAG_OK);
	same_as_ref(&ref, r, VCID);
	gs_node_close(&r);

	for (int o = 0; o < 2; o++) {
		r = receiver(MAP_TEST);
		apply_members(r);
		for (int k = 0; k < 4; k++) {
			apply_all(r, &seq[o][k], 1, GS_APPLIED);
			changes = faults = 99;
			GS_CHECK_EQ(gs_view_verify(r, print_fault, NULL,
			    &changes, &faults), 0);
			GS_CHECK_EQ(faults, 0);
			GS_CHECK_EQ(changes, 3 + (uint64_t)k + 1);
			/* The attacker's Member holds the village until the
			 * town is revoked. */
			if (o == 0 && k == 1)
				GS_CHECK_EQ(vflag(r), GS__FLAG__FLAG_OK);
			if (o == 0 && k == 2)
				GS_CHECK_EQ(vflag(r), GS__FLAG__FLAG_REVOKED);
			if (o == 1 && k >= 2)
				GS_CHECK_EQ(vflag(r), GS__FLAG__FLAG_OK);
		}
		GS_CHECK_EQ(vflag(r), GS__FLAG__FLAG_OK);
		same_as_ref(&ref, r, VCID);
		gs_node_close(&r);
	}

	ref_free(&ref);
	reenrol_free(&w);
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

/* ops.h: "draft's version, signer, origin, seq, prev and hlc are
 * overwritten (and restored to empty before return)". */
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
	/* Empty: protobuf-c reads NULL and "" alike. */
	GS_CHECK(d.ch.signer == NULL || d.ch.signer[0] == '\0');
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
	GS_RUN(test_double_enrolment);
	GS_RUN(test_revoked_revoker);
	GS_RUN(test_member_twice);
	GS_RUN(test_revoked_town_cannot_reenrol);
	GS_RUN(test_second_member_refolds);
	GS_RUN(test_own_seq);
	GS_RUN(test_ops_write);
	GS_RUN(test_forged_copy_does_not_block_genuine);
	GS_RUN(test_ops_draft_restored);
	return 0;
}
