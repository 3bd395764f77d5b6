/*
 * test_sync.c: the sync engine's batch pipelining (sync.h, protocol.md §8).
 *
 * The engine runs in-process on the town q/c of the unit-test world
 * (gs_world.h); the village q/c/x is its child. The test plays the
 * village: it says HELLO, then hands the engine BATCH frames of reports
 * sealed by X, and watches what the engine sends back through a send
 * function that decodes every frame and records it. A BATCH is kept in
 * hand (not applied, not ACKed) until the next call into the engine, so
 * the tests look at the town's store and the recorded ACKs between calls.
 * No timing: every clock the engine sees is passed in by the test.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "gs_test.h"
#include "gs_world.h"

#include "gs/sync.h"
#include "gs/verify.h"

#define T0        1700000100000ULL  /* the engine's clock, unix ms */
#define NENV_MAX  96
#define FRAMES_MAX 64

/* One frame the engine sent. */
struct sent {
	Gs__SyncFrame__BodyCase body;
	uint64_t upto, rejected;        /* ACK, BATCH (upto) */
	char     reason[160];           /* ERROR */
};

static struct sent sent[FRAMES_MAX];
static int nsent;
static gs_sync *s;
static gs_peer *xp;                     /* q/c/x, as the town sees it */
static uint8_t xepoch[GS_EPOCH_BYTES];  /* X's feed epoch */
static struct env es[NENV_MAX];
static int nes;
static int ncase;

static int
sink(void *arg, gs_peer *p, const uint8_t *buf, size_t len)
{
	Gs__SyncFrame *f;
	struct sent *r;

	(void)arg;
	GS_CHECK(p == xp);
	GS_CHECK(nsent < FRAMES_MAX);
	GS_CHECK((f = gs__sync_frame__unpack(NULL, len, buf)) != NULL);
	GS_CHECK_EQ(f->version, GS_SYNC_VERSION);
	r = &sent[nsent++];
	memset(r, 0, sizeof(*r));
	r->body = f->body_case;
	if (f->body_case == GS__SYNC_FRAME__BODY_ACK) {
		r->upto = f->ack->upto;
		r->rejected = f->ack->rejected;
	} else if (f->body_case == GS__SYNC_FRAME__BODY_BATCH)
		r->upto = f->batch->upto;
	else if (f->body_case == GS__SYNC_FRAME__BODY_ERROR)
		snprintf(r->reason, sizeof(r->reason), "%s", f->error->reason);
	gs__sync_frame__free_unpacked(f, NULL);
	return 0;
}

/* How many frames of kind body were sent since the last forget(). */
static int
count(Gs__SyncFrame__BodyCase body)
{
	int k = 0;

	for (int i = 0; i < nsent; i++)
		k += sent[i].body == body;
	return k;
}

/* The i-th ACK sent since the last forget(). */
static const struct sent *
ack(int i)
{
	for (int j = 0; j < nsent; j++)
		if (sent[j].body == GS__SYNC_FRAME__BODY_ACK && i-- == 0)
			return &sent[j];
	GS_CHECK(!"no such ACK");
	return NULL;
}

static void
forget(void)
{
	nsent = 0;
}

/* ---- the town's store ---- */

/* Whether the town holds change id. */
static bool
held(const uint8_t *id)
{
	gs_txn *t = NULL;
	gs_val v;
	int rc;

	GS_CHECK_EQ(gs_txn_begin(gs_node_store(C.n), 0, &t), 0);
	rc = gs_get(t, GS_DB_CHANGES, id, GS_ID_BYTES, &v);
	gs_txn_abort(&t);
	GS_CHECK(rc == 0 || rc == GS_ENOTFOUND);
	return rc == 0;
}

/* Whether the town holds each of es[from..upto), all of them (want) or
 * none (!want). */
static void
held_range(int from, int upto, bool want)
{
	for (int i = from; i < upto; i++)
		GS_CHECK_EQ(held(es[i].id), want);
}

/* The town's stored checkpoint of q/c/x's feed (0: none), whose epoch
 * must be X's. */
static uint64_t
stored_checkpoint(void)
{
	gs_txn *t = NULL;
	gs_val v;
	uint64_t upto = 0;
	int rc;

	GS_CHECK_EQ(gs_txn_begin(gs_node_store(C.n), 0, &t), 0);
	rc = gs_get(t, GS_DB_CHECKPOINTS, "q/c/x", 5, &v);
	GS_CHECK(rc == 0 || rc == GS_ENOTFOUND);
	if (rc == 0) {
		GS_CHECK_EQ(v.len, GS_EPOCH_BYTES + 8);
		GS_CHECK(memcmp(v.data, xepoch, GS_EPOCH_BYTES) == 0);
		upto = gs_be64_get((const uint8_t *)v.data + GS_EPOCH_BYTES);
	}
	gs_txn_abort(&t);
	return upto;
}

/* ---- the village's side ---- */

/* Seals n more reports by X, each opening a case of its own. */
static void
reports(int n)
{
	static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	struct draft d;
	char cid[64];

	GS_CHECK(nes + n <= NENV_MAX);
	for (int i = 0; i < n; i++, ncase++) {
		snprintf(cid, sizeof(cid), "q/c/x#01JD3QZ8W6X5N4M2K9R7T0V1%c%c",
		    b32[(ncase >> 5) & 31], b32[ncase & 31]);
		seal(&X, d_report(&d, cid, "neighbor", GS__SEVERITY__SIMPLE),
		    H(10 + ncase), &es[nes++]);
	}
}

static void
input_frame(Gs__SyncFrame *f, uint64_t now)
{
	size_t len;
	uint8_t *buf;

	f->version = GS_SYNC_VERSION;
	len = gs__sync_frame__get_packed_size(f);
	GS_CHECK((buf = malloc(len ? len : 1)) != NULL);
	gs__sync_frame__pack(f, buf);
	GS_CHECK_EQ(gs_sync_input(s, xp, buf, len, now), 0);
	free(buf);
}

/* Whether the town has a checkpoint record for q/c/x at all. */
static bool
checkpoint_present(void)
{
	gs_txn *t = NULL;
	gs_val v;
	int rc;

	GS_CHECK_EQ(gs_txn_begin(gs_node_store(C.n), 0, &t), 0);
	rc = gs_get(t, GS_DB_CHECKPOINTS, "q/c/x", 5, &v);
	GS_CHECK(rc == 0 || rc == GS_ENOTFOUND);
	gs_txn_abort(&t);
	return rc == 0;
}

/* X's HELLO saying its feed is feed long: no checkpoint of the town's
 * feed, holds nothing of it. */
static void
hello_feed(uint64_t feed, uint64_t now)
{
	Gs__SyncFrame f;
	Gs__SyncHello h;

	gs__sync_frame__init(&f);
	gs__sync_hello__init(&h);
	h.path = unconst("q/c/x");
	h.my_epoch.data = xepoch;
	h.my_epoch.len = GS_EPOCH_BYTES;
	h.feed_seq = feed;
	h.my_seq = X.seq;
	h.my_key.data = (uint8_t *)(uintptr_t)gs_node_key(X.n);
	h.my_key.len = GS_KEY_BYTES;
	f.body_case = GS__SYNC_FRAME__BODY_HELLO;
	f.hello = &h;
	input_frame(&f, now);
}

static void
hello(uint64_t now)
{
	hello_feed(100, now);
}

/* A BATCH of X's feed covering from..upto, carrying es[i..i+n). */
static void
batch(uint64_t from, uint64_t upto, int i, int n, uint64_t now)
{
	ProtobufCBinaryData env[NENV_MAX];
	Gs__SyncFrame f;
	Gs__SyncBatch b;

	GS_CHECK(i >= 0 && n >= 0 && i + n <= nes);
	gs__sync_frame__init(&f);
	gs__sync_batch__init(&b);
	for (int k = 0; k < n; k++) {
		env[k].data = es[i + k].buf;
		env[k].len = es[i + k].len;
	}
	b.epoch.data = xepoch;
	b.epoch.len = GS_EPOCH_BYTES;
	b.from = from;
	b.upto = upto;
	b.envelopes = n > 0 ? env : NULL;
	b.n_envelopes = (size_t)n;
	f.body_case = GS__SYNC_FRAME__BODY_BATCH;
	f.batch = &b;
	input_frame(&f, now);
}

static void
heartbeat(uint64_t feed, uint64_t now)
{
	Gs__SyncFrame f;
	Gs__SyncHeartbeat h;

	gs__sync_frame__init(&f);
	gs__sync_heartbeat__init(&h);
	h.feed_seq = feed;
	f.body_case = GS__SYNC_FRAME__BODY_HEARTBEAT;
	f.heartbeat = &h;
	input_frame(&f, now);
}

/* ---- a fresh world and engine per test ---- */

static void
start(void)
{
	struct gs_sync_opts o = { 256, 16, 1000, 60000 };
	gs_txn *t = NULL;

	world_new();
	nes = ncase = 0;
	forget();
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(X.n), 0, &t), 0);
	GS_CHECK_EQ(gs_meta_get_bytes(t, "epoch", xepoch, GS_EPOCH_BYTES), 0);
	gs_txn_abort(&t);
	GS_CHECK_EQ(gs_sync_new(C.n, &o, sink, NULL, &s), 0);
	GS_CHECK((xp = gs_sync_peer(s, "q/c/x", false)) != NULL);
	GS_CHECK(!gs_peer_up(xp));
	GS_CHECK_EQ(stored_checkpoint(), 0);
	hello(T0);
	/* The town answers with its own HELLO, then streams its feed. */
	GS_CHECK(gs_peer_up(xp));
	GS_CHECK(nsent >= 1);
	GS_CHECK_EQ(sent[0].body, GS__SYNC_FRAME__BODY_HELLO);
	GS_CHECK_EQ(count(GS__SYNC_FRAME__BODY_ERROR), 0);
	GS_CHECK_EQ(count(GS__SYNC_FRAME__BODY_ACK), 0);
	forget();
}

static void
finish(void)
{
	gs_sync_destroy(&s);
	GS_CHECK(s == NULL);
	gs_verify_shutdown();
	for (int i = 0; i < nes; i++)
		env_free(&es[i]);
	nes = 0;
	world_free();
}

/* ---- tests ---- */

/* Frames of one stream join in hand, up to a group of GROUP_MAX (8):
 * nothing is applied or ACKed until the group is full and a ninth frame
 * arrives (then the eight are applied in one transaction, one ACK)
 * or until settle. */
static void
test_in_hand(void)
{
	const struct gs_sync_stats *st;
	enum { F = 8, G = 8 };

	start();
	reports(F * (G + 1));
	GS_CHECK_EQ(gs_verify_threads(), 0);
	batch(1, F, 0, F, T0 + 1);
	/* Its checks went to the pool, which started for them. */
	GS_CHECK(gs_verify_threads() > 0);
	for (int k = 1; k < G; k++)
		batch((uint64_t)k * F + 1, (uint64_t)(k + 1) * F, k * F, F,
		    T0 + 1 + (uint64_t)k);
	GS_CHECK_EQ(nsent, 0);                  /* no ACK yet */
	held_range(0, G * F, false);
	GS_CHECK_EQ(stored_checkpoint(), 0);
	GS_CHECK_EQ(gs_sync_stats(s)->batches_in, 0);

	/* The ninth frame: the group of eight is applied, one ACK. */
	batch(G * F + 1, (G + 1) * F, G * F, F, T0 + 10);
	GS_CHECK_EQ(nsent, 1);
	GS_CHECK_EQ(ack(0)->upto, G * F);
	GS_CHECK_EQ(ack(0)->rejected, 0);
	held_range(0, G * F, true);
	held_range(G * F, (G + 1) * F, false);
	GS_CHECK_EQ(stored_checkpoint(), G * F);
	GS_CHECK_EQ(gs_sync_stats(s)->applied, G * F);
	GS_CHECK_EQ(gs_sync_stats(s)->batches_in, G);

	GS_CHECK_EQ(gs_sync_settle(s, T0 + 11), 0);
	GS_CHECK_EQ(nsent, 2);
	GS_CHECK_EQ(ack(1)->upto, (G + 1) * F);
	GS_CHECK_EQ(ack(1)->rejected, 0);
	held_range(0, (G + 1) * F, true);
	GS_CHECK_EQ(stored_checkpoint(), (G + 1) * F);

	/* Nothing is left in hand: settling again sends nothing. */
	GS_CHECK_EQ(gs_sync_settle(s, T0 + 12), 0);
	GS_CHECK_EQ(nsent, 2);
	st = gs_sync_stats(s);
	GS_CHECK_EQ(st->applied, (G + 1) * F);
	GS_CHECK_EQ(st->batches_in, G + 1);
	GS_CHECK_EQ(st->changes_in, (G + 1) * F);
	GS_CHECK_EQ(st->rejected, 0);
	GS_CHECK_EQ(st->bad_frames, 0);
	GS_CHECK(gs_peer_up(xp));
	finish();
}

/* A frame that does not continue the stream in hand (a gap in its range)
 * is not joined: the frames in hand are applied and ACKed first, then the
 * gap is refused as before. */
static void
test_not_joined(void)
{
	enum { F = 8 };

	start();
	reports(2 * F);
	batch(1, F, 0, F, T0 + 1);
	batch(F + 2, 2 * F + 1, F, F, T0 + 2);  /* skips F + 1 */
	GS_CHECK_EQ(nsent, 1);
	GS_CHECK_EQ(ack(0)->upto, F);
	held_range(0, F, true);
	GS_CHECK_EQ(gs_sync_settle(s, T0 + 3), 0);
	GS_CHECK_EQ(nsent, 2);
	GS_CHECK_EQ(sent[1].body, GS__SYNC_FRAME__BODY_ERROR);
	held_range(F, 2 * F, false);
	GS_CHECK_EQ(stored_checkpoint(), F);
	finish();
}

/* A forged signature in the frame after a full group, checked by the
 * pool while the group was applied: that one envelope is rejected, the
 * rest applied. */
static void
test_forged(void)
{
	const struct gs_sync_stats *st;
	enum { F = 8, G = 8, N = F * (G + 1), BAD = G * F + 4 };

	start();
	reports(N);
	/* The last byte of an envelope is in its signature (test_verify). */
	es[BAD].buf[es[BAD].len - 1] ^= 0x01;
	for (int k = 0; k <= G; k++)
		batch((uint64_t)k * F + 1, (uint64_t)(k + 1) * F, k * F, F,
		    T0 + 1 + (uint64_t)k);
	GS_CHECK_EQ(nsent, 1);
	GS_CHECK_EQ(ack(0)->upto, G * F);
	GS_CHECK_EQ(ack(0)->rejected, 0);
	GS_CHECK_EQ(gs_sync_settle(s, T0 + 10), 0);
	GS_CHECK_EQ(nsent, 2);
	GS_CHECK_EQ(ack(1)->upto, N);
	GS_CHECK_EQ(ack(1)->rejected, 1);
	held_range(0, BAD, true);
	GS_CHECK(!held(es[BAD].id));
	held_range(BAD + 1, N, true);
	GS_CHECK_EQ(stored_checkpoint(), N);
	st = gs_sync_stats(s);
	GS_CHECK_EQ(st->rejected, 1);
	GS_CHECK_EQ(st->applied, N - 1);
	GS_CHECK_EQ(st->batches_in, G + 1);
	GS_CHECK_EQ(st->changes_in, N);
	finish();
}

/* An envelope in two frames of one group, and a forged one in the second
 * frame: each frame's checks ran on the pool in turn; apply takes the
 * shared envelope once and rejects the forged one. */
static void
test_overlap(void)
{
	const struct gs_sync_stats *st;
	enum { N = 16, K = 8, BAD = 12 };

	start();
	reports(N);
	es[BAD].buf[es[BAD].len - 1] ^= 0x01;
	batch(1, K, 0, K, T0 + 1);              /* es[0..8) */
	batch(K + 1, N, K - 1, N - K + 1, T0 + 2);      /* es[7..16) */
	GS_CHECK_EQ(nsent, 0);                  /* one group */
	held_range(0, N, false);
	GS_CHECK_EQ(gs_sync_settle(s, T0 + 3), 0);
	GS_CHECK_EQ(nsent, 1);
	GS_CHECK_EQ(ack(0)->upto, N);
	GS_CHECK_EQ(ack(0)->rejected, 1);
	held_range(0, BAD, true);
	GS_CHECK(!held(es[BAD].id));
	held_range(BAD + 1, N, true);
	st = gs_sync_stats(s);
	GS_CHECK_EQ(st->applied, N - 1);        /* es[7] once */
	GS_CHECK_EQ(st->changes_in, N + 1);     /* received twice */
	GS_CHECK_EQ(st->rejected, 1);
	GS_CHECK_EQ(st->batches_in, 2);
	finish();
}

/* The town's feed grows by the village's own changes, which are never
 * sent back: the range that holds nothing for the village goes out as an
 * empty batch at most once per heartbeat (1 s here), not after every
 * batch, and then covers all of it. */
static void
test_empty_range_deferred(void)
{
	enum { F = 8 };
	uint64_t last = 0;
	gs_txn *t = NULL;

	start();
	reports(3 * F);
	/* Three batches, each settled alone and followed by a tick: the
	 * town's feed grows each time, nothing is sent but the ACKs. */
	for (int k = 0; k < 3; k++) {
		batch((uint64_t)k * F + 1, (uint64_t)(k + 1) * F, k * F, F,
		    T0 + 10 + (uint64_t)k);
		GS_CHECK_EQ(gs_sync_settle(s, T0 + 20 + (uint64_t)k), 0);
		GS_CHECK_EQ(gs_sync_tick(s, T0 + 30 + (uint64_t)k), 0);
	}
	GS_CHECK_EQ(count(GS__SYNC_FRAME__BODY_ACK), 3);
	GS_CHECK_EQ(count(GS__SYNC_FRAME__BODY_BATCH), 0);
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(C.n), 0, &t), 0);
	GS_CHECK_EQ(gs_feed_last(t, &last), 0);
	gs_txn_abort(&t);
	/* A heartbeat after the town's first batch of the session: one
	 * empty batch up to the end of the feed. */
	forget();
	GS_CHECK_EQ(gs_sync_tick(s, T0 + 1000), 0);
	GS_CHECK_EQ(count(GS__SYNC_FRAME__BODY_BATCH), 1);
	for (int i = 0; i < nsent; i++)
		if (sent[i].body == GS__SYNC_FRAME__BODY_BATCH)
			GS_CHECK_EQ(sent[i].upto, last);
	/* And not again before the next heartbeat. */
	forget();
	GS_CHECK_EQ(gs_sync_tick(s, T0 + 1500), 0);
	GS_CHECK_EQ(count(GS__SYNC_FRAME__BODY_BATCH), 0);
	finish();
}

/* A HEARTBEAT comes after the batch in hand: k is applied and ACKed by
 * the gs_sync_input of the heartbeat itself. */
static void
test_heartbeat_order(void)
{
	enum { N = 8 };

	start();
	reports(N);
	batch(1, N, 0, N, T0 + 1);
	GS_CHECK_EQ(nsent, 0);
	held_range(0, N, false);
	heartbeat(100, T0 + 2);
	/* The session is up: the heartbeat itself is answered by nothing. */
	GS_CHECK_EQ(nsent, 1);
	GS_CHECK_EQ(sent[0].body, GS__SYNC_FRAME__BODY_ACK);
	GS_CHECK_EQ(sent[0].upto, N);
	held_range(0, N, true);
	GS_CHECK_EQ(stored_checkpoint(), N);
	GS_CHECK_EQ(gs_sync_stats(s)->applied, N);
	GS_CHECK_EQ(gs_sync_stats(s)->batches_in, 1);
	GS_CHECK_EQ(gs_sync_settle(s, T0 + 3), 0);
	GS_CHECK_EQ(nsent, 1);
	finish();
}

/* Bytes that do not decode also come after the batch in hand: its ACK
 * goes out before the ERROR that answers them. */
static void
test_garbage_order(void)
{
	static const uint8_t junk[] = { 0xff, 0xff, 0xff };
	enum { N = 9 };

	start();
	reports(N);
	batch(1, N, 0, N, T0 + 1);
	GS_CHECK_EQ(nsent, 0);
	GS_CHECK_EQ(gs_sync_input(s, xp, junk, sizeof(junk), T0 + 2), 0);
	GS_CHECK_EQ(nsent, 2);
	GS_CHECK_EQ(sent[0].body, GS__SYNC_FRAME__BODY_ACK);
	GS_CHECK_EQ(sent[0].upto, N);
	GS_CHECK_EQ(sent[1].body, GS__SYNC_FRAME__BODY_ERROR);
	GS_CHECK_STR(sent[1].reason, "frame does not decode");
	held_range(0, N, true);
	GS_CHECK_EQ(gs_sync_stats(s)->bad_frames, 1);
	GS_CHECK_EQ(gs_sync_stats(s)->applied, N);
	finish();
}

/* An empty batch beyond the checkpoint is ACKed, but its checkpoint is
 * written only by gs_sync_stop (or a flush). */
static void
test_empty_stop(void)
{
	enum { N = 10 };

	start();
	reports(N);
	batch(1, N, 0, N, T0 + 1);
	GS_CHECK_EQ(gs_sync_settle(s, T0 + 2), 0);
	GS_CHECK_EQ(nsent, 1);
	GS_CHECK_EQ(ack(0)->upto, N);
	GS_CHECK_EQ(stored_checkpoint(), N);

	batch(N + 1, N + 5, 0, 0, T0 + 3);
	GS_CHECK_EQ(nsent, 1);                  /* in hand */
	GS_CHECK_EQ(gs_sync_settle(s, T0 + 4), 0);
	GS_CHECK_EQ(nsent, 2);
	GS_CHECK_EQ(ack(1)->upto, N + 5);
	GS_CHECK_EQ(ack(1)->rejected, 0);
	GS_CHECK_EQ(stored_checkpoint(), N);    /* memory only */

	/* The range again is below the checkpoint (in memory): ACKed with
	 * it, nothing applied. */
	batch(N + 1, N + 5, 0, 0, T0 + 5);
	GS_CHECK_EQ(gs_sync_settle(s, T0 + 6), 0);
	GS_CHECK_EQ(nsent, 3);
	GS_CHECK_EQ(ack(2)->upto, N + 5);

	GS_CHECK_EQ(gs_sync_stop(s, T0 + 7), 0);
	GS_CHECK(!gs_peer_up(xp));
	GS_CHECK_EQ(stored_checkpoint(), N + 5);
	GS_CHECK_EQ(gs_sync_stats(s)->applied, N);
	GS_CHECK_EQ(gs_sync_stats(s)->batches_in, 3);
	finish();
}

/* The same through gs_sync_tick: written by the first flush a second or
 * more after the last one. */
/* A checkpoint moved by an empty batch only, then forgotten because the
 * village's HELLO says its feed went back (a restored store): the record
 * is gone and no later flush writes it back. */
static void
test_empty_then_reset(void)
{
	enum { N = 8 };

	start();
	reports(N);
	batch(1, N, 0, N, T0 + 1);
	GS_CHECK_EQ(gs_sync_settle(s, T0 + 2), 0);
	batch(N + 1, N + 5, 0, 0, T0 + 2);      /* alone: not joined */
	GS_CHECK_EQ(gs_sync_settle(s, T0 + 3), 0);
	GS_CHECK_EQ(stored_checkpoint(), N);
	hello_feed(3, T0 + 4);
	GS_CHECK(!checkpoint_present());
	GS_CHECK_EQ(gs_sync_stop(s, T0 + 5), 0);
	GS_CHECK(!checkpoint_present());
	finish();
}

static void
test_empty_tick(void)
{
	enum { N = 8 };

	start();
	reports(N);
	batch(1, N, 0, N, T0 + 1);
	/* The first tick flushes (no flush before); it also settles. */
	GS_CHECK_EQ(gs_sync_tick(s, T0 + 2), 0);
	GS_CHECK_EQ(count(GS__SYNC_FRAME__BODY_ACK), 1);
	GS_CHECK_EQ(ack(0)->upto, N);
	GS_CHECK_EQ(stored_checkpoint(), N);

	batch(N + 1, N + 5, 0, 0, T0 + 100);
	GS_CHECK_EQ(gs_sync_tick(s, T0 + 500), 0);
	GS_CHECK_EQ(count(GS__SYNC_FRAME__BODY_ACK), 2);
	GS_CHECK_EQ(ack(1)->upto, N + 5);
	GS_CHECK_EQ(stored_checkpoint(), N);    /* < 1 s since the flush */
	GS_CHECK_EQ(gs_sync_tick(s, T0 + 1001), 0);
	GS_CHECK_EQ(stored_checkpoint(), N);
	GS_CHECK_EQ(gs_sync_tick(s, T0 + 1002), 0);
	GS_CHECK_EQ(stored_checkpoint(), N + 5);
	GS_CHECK(gs_peer_up(xp));
	GS_CHECK_EQ(count(GS__SYNC_FRAME__BODY_ERROR), 0);
	finish();
}

/* The transport loses the village with a batch in hand: the batch is
 * applied (and ACKed) first, then the link is down. */
static void
test_down(void)
{
	enum { N = 8 };

	start();
	reports(N);
	batch(1, N, 0, N, T0 + 1);
	GS_CHECK_EQ(nsent, 0);
	gs_sync_down(s, xp, "connection lost", T0 + 2);
	GS_CHECK(!gs_peer_up(xp));
	held_range(0, N, true);
	GS_CHECK_EQ(stored_checkpoint(), N);
	GS_CHECK_EQ(nsent, 1);
	GS_CHECK_EQ(ack(0)->upto, N);
	GS_CHECK_EQ(gs_sync_stats(s)->applied, N);
	GS_CHECK_EQ(gs_sync_stats(s)->batches_in, 1);
	/* Nothing left in hand. */
	GS_CHECK_EQ(gs_sync_settle(s, T0 + 3), 0);
	GS_CHECK_EQ(nsent, 1);
	finish();
}

/* Destroyed with a batch in hand (no stop): the batch is dropped, not
 * applied and not ACKed; the sender sends it again next session. */
static void
test_destroy_in_hand(void)
{
	enum { N = 8 };

	start();
	reports(N);
	batch(1, N, 0, N, T0 + 1);
	gs_sync_destroy(&s);
	GS_CHECK_EQ(nsent, 0);
	held_range(0, N, false);
	GS_CHECK_EQ(stored_checkpoint(), 0);
	finish();
}

int
main(void)
{
	GS_CHECK(sodium_init() >= 0);
	GS_RUN(test_in_hand);
	GS_RUN(test_not_joined);
	GS_RUN(test_forged);
	GS_RUN(test_overlap);
	GS_RUN(test_empty_range_deferred);
	GS_RUN(test_heartbeat_order);
	GS_RUN(test_garbage_order);
	GS_RUN(test_empty_stop);
	GS_RUN(test_empty_then_reset);
	GS_RUN(test_empty_tick);
	GS_RUN(test_down);
	GS_RUN(test_destroy_in_hand);
	return 0;
}
