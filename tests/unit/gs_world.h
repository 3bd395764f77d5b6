/*
 * gs_world.h: a small world of real nodes for the unit tests that need
 * signed changes in real stores (records, stats, policy).
 *
 * world_new() makes, in a mkdtemp directory named after the test binary,
 * the county q (its own trust root), the town q/c and the villages q/c/x
 * and q/c/y, each a real node (gs_node_create) whose secret key signs
 * that node's changes: the idents Q, C, X and Y. Their Members (q's self
 * Member, q -> q/c, q/c -> q/c/x, q/c -> q/c/y) are sealed by hand at
 * H(1)..H(4) into mq, mc, mx and my and applied to the town's and the
 * villages' stores (not the county's); C's hand-sealed seqs 1 and 2 are
 * its Members. world_free() closes the nodes, frees the Members, removes
 * the directory and unsets the clock.
 *
 * What it offers on top:
 *  - drafts: struct draft holds a change and every body it may point to;
 *    d_init() and one d_<kind>() per kind fill one in and return its
 *    Gs__Change, valid until the draft is filled again;
 *  - sealing by hand: seal() signs a draft as an ident's next change
 *    (its own seq and prev chain, its node's path, a fixed HLC) into a
 *    struct env the caller frees with env_free();
 *  - applying: apply_one() and apply_all() feed envelopes to a node in
 *    one committed transaction and check each one's status;
 *    apply_members() gives a node the world's Members; receiver() is a
 *    further node at q/d trusting q;
 *  - writing as the daemon does: clock_at() sets GRIDNODE_NOW_MS,
 *    write_at() writes through gs_ops_write at a time, forward() copies
 *    a change from one store to another as sync would, and vwrite() has
 *    a village write and the town receive it.
 *
 * Every helper is static inline, so a test includes this after gs_test.h
 * and uses only what it needs; a failed step is a failed GS_CHECK. Tests
 * call sodium_init() in main as usual. One world at a time per process.
 */
#ifndef GS_WORLD_H
#define GS_WORLD_H

#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gs_test.h"

#include "gs/apply.h"
#include "gs/change.h"
#include "gs/error.h"
#include "gs/hlc.h"
#include "gs/node.h"
#include "gs/ops.h"
#include "gs/store.h"

#define MAP_TEST  ((size_t)16 << 20)
#define BATCH_MAX 16

/* HLC of the k-th tick of the tests' hand clock (late 2023: before any
 * clock the tests set for gs_ops_write). */
#define H(k) GS_HLC_MAKE(1700000000000ULL + (uint64_t)(k) * 1000, 0)

/* A node that signs by hand: its key, and its own seq and prev chain. */
struct ident {
	gs_node *n;
	uint64_t seq;
	uint8_t  prev[GS_ID_BYTES];
};

/* A sealed envelope, and the seq it was sealed at. */
struct env {
	uint8_t *buf;
	size_t   len;
	uint8_t  id[GS_ID_BYTES];
	uint64_t seq;
};

/* A draft change and every body it may point to. */
struct draft {
	Gs__Change      ch;
	Gs__Member      member;
	Gs__Revoke      revoke;
	Gs__Report      report;
	Gs__Resolve     resolve;
	Gs__Whistle     whistle;
	Gs__Return      ret;
	Gs__Dispatch    dispatch;
	Gs__Notice      notice;
	Gs__Rollup      rollup;
	Gs__RollupCount count;
	Gs__RollupCount *countp[1];
	Gs__Receipt     receipt;
	Gs__Check       check;
	uint8_t         key[GS_KEY_BYTES];
	uint8_t         notice_id[GS_ID_BYTES];
};

static char base[256];
static struct ident Q, C, X, Y;
static struct env mq, mc, mx, my;	/* the world's Members */
static int nnodes;

static inline char *
unconst(const char *s)
{
	return (char *)(uintptr_t)s;
}

/* ---- drafts ---- */

static inline Gs__Change *
d_init(struct draft *d)
{
	memset(d, 0, sizeof(*d));
	gs__change__init(&d->ch);
	gs__member__init(&d->member);
	gs__revoke__init(&d->revoke);
	gs__report__init(&d->report);
	gs__resolve__init(&d->resolve);
	gs__whistle__init(&d->whistle);
	gs__return__init(&d->ret);
	gs__dispatch__init(&d->dispatch);
	gs__notice__init(&d->notice);
	gs__rollup__init(&d->rollup);
	gs__rollup_count__init(&d->count);
	gs__receipt__init(&d->receipt);
	gs__check__init(&d->check);
	d->ch.actor = unconst("网格员王五");
	return &d->ch;
}

static inline Gs__Change *
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

static inline Gs__Change *
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

static inline Gs__Change *
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

static inline Gs__Change *
d_resolve(struct draft *d, const char *cid, Gs__Outcome outcome)
{
	d_init(d);
	d->ch.case_id = unconst(cid);
	d->resolve.outcome = outcome;
	d->ch.body_case = GS__CHANGE__BODY_RESOLVE;
	d->ch.resolve = &d->resolve;
	return &d->ch;
}

static inline Gs__Change *
d_whistle(struct draft *d, const char *cid)
{
	d_init(d);
	d->ch.case_id = unconst(cid);
	d->whistle.reason = unconst("村里调解不成");
	d->ch.body_case = GS__CHANGE__BODY_WHISTLE;
	d->ch.whistle = &d->whistle;
	return &d->ch;
}

static inline Gs__Change *
d_return(struct draft *d, const char *cid)
{
	d_init(d);
	d->ch.case_id = unconst(cid);
	d->ret.reason = unconst("属镇级事项，请镇里继续办理");
	d->ch.body_case = GS__CHANGE__BODY_RETURN;
	d->ch.return_ = &d->ret;
	return &d->ch;
}

/* A dispatch to department; a deadline of 0 is none. */
static inline Gs__Change *
d_dispatch(struct draft *d, const char *cid, const char *department,
    uint64_t ack, uint64_t resolve)
{
	d_init(d);
	d->ch.case_id = unconst(cid);
	d->dispatch.department = unconst(department);
	d->dispatch.ack_deadline_ms = ack;
	d->dispatch.resolve_deadline_ms = resolve;
	d->ch.body_case = GS__CHANGE__BODY_DISPATCH;
	d->ch.dispatch = &d->dispatch;
	return &d->ch;
}

static inline Gs__Change *
d_notice(struct draft *d, const char *title)
{
	d_init(d);
	d->notice.title = unconst(title);
	d->ch.body_case = GS__CHANGE__BODY_NOTICE;
	d->ch.notice = &d->notice;
	return &d->ch;
}

/* A rollup of subject's period with the one count name = value. */
static inline Gs__Change *
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

static inline Gs__Change *
d_receipt(struct draft *d, const uint8_t *notice, const char *issuer)
{
	d_init(d);
	memcpy(d->notice_id, notice, GS_ID_BYTES);
	d->receipt.notice.data = d->notice_id;
	d->receipt.notice.len = GS_ID_BYTES;
	d->receipt.issuer = unconst(issuer);
	d->receipt.note = unconst("已阅");
	d->ch.body_case = GS__CHANGE__BODY_RECEIPT;
	d->ch.receipt = &d->receipt;
	return &d->ch;
}

static inline Gs__Change *
d_check(struct draft *d, const char *period, uint32_t found)
{
	d_init(d);
	d->check.period = unconst(period);
	d->check.found = found;
	d->ch.body_case = GS__CHANGE__BODY_CHECK;
	d->ch.check = &d->check;
	return &d->ch;
}

/* ---- sealing by hand ---- */

/* Seals draft c as s's next change at hlc, as its node's own path. */
static inline void
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
	out->seq = s->seq;
	memcpy(s->prev, out->id, GS_ID_BYTES);
}

static inline void
env_free(struct env *e)
{
	free(e->buf);
	memset(e, 0, sizeof(*e));
}

/* ---- applying ---- */

/* Applies one envelope's bytes in one committed transaction; its status
 * must be want. */
static inline void
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

/* Applies es[0..k) in one committed transaction, each with status want
 * and its own id. */
static inline void
apply_all(gs_node *n, const struct env *const *es, size_t k,
    enum gs_apply_status want)
{
	const uint8_t *bufs[BATCH_MAX];
	size_t lens[BATCH_MAX];
	struct gs_apply_result res[BATCH_MAX];
	gs_txn *t = NULL;

	GS_CHECK(k <= BATCH_MAX);
	for (size_t i = 0; i < k; i++) {
		bufs[i] = es[i]->buf;
		lens[i] = es[i]->len;
	}
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(n), 1, &t), 0);
	GS_CHECK_EQ(gs_apply_batch(n, t, bufs, lens, k, res, NULL), 0);
	GS_CHECK_EQ(gs_txn_commit(&t), 0);
	for (size_t i = 0; i < k; i++) {
		if (res[i].status != want)
			fprintf(stderr, "apply %zu: %d %s\n", i,
			    (int)res[i].status, res[i].reason);
		GS_CHECK_EQ(res[i].status, want);
		GS_CHECK(memcmp(res[i].id, es[i]->id, GS_ID_BYTES) == 0);
	}
}

/* Gives n the world's four Members, in one batch. */
static inline void
apply_members(gs_node *n)
{
	const struct env *b[] = { &mq, &mc, &mx, &my };

	apply_all(n, b, 4, GS_APPLIED);
}

/* ---- the world ---- */

static inline gs_node *
node_new(const char *path, const uint8_t *root)
{
	char dir[sizeof(base) + 16];
	gs_node *n = NULL;

	snprintf(dir, sizeof(dir), "%s/n%d", base, nnodes++);
	GS_CHECK_EQ(gs_node_create(dir, path, root, MAP_TEST, &n), 0);
	GS_CHECK(n != NULL);
	return n;
}

/* A further node at q/d that trusts q and holds nothing yet. */
static inline gs_node *
receiver(void)
{
	return node_new("q/d", gs_node_key(Q.n));
}

static inline void
world_new(void)
{
	struct draft d;

	/* Named after the binary, so a directory left by a failed test
	 * says whose it is. A name cut short loses the XXXXXX, and mkdtemp
	 * refuses it. */
	snprintf(base, sizeof(base), "/tmp/gs_%s.XXXXXX",
	    program_invocation_short_name);
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

static inline int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline void
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

/* ---- writing as the daemon does ---- */

/* Sets the clock gs_ops_write and the policies read. */
static inline void
clock_at(uint64_t ms)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)ms);
	GS_CHECK_EQ(setenv("GRIDNODE_NOW_MS", buf, 1), 0);
}

/* n writes c through gs_ops_write with its clock at ms. */
static inline void
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
static inline void
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
static inline void
vwrite(struct ident *v, Gs__Change *c, uint64_t ms)
{
	uint8_t id[GS_ID_BYTES];

	write_at(v->n, c, ms, id);
	forward(v->n, id, C.n);
}

#endif
