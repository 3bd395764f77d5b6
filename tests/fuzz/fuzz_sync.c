/*
 * fuzz_sync.c: the sync frame handler, as the daemon drives it.
 *
 * The node is the town q/c of the fixed world holding the world's whole
 * history (so it has a feed to stream to whoever says HELLO). The engine
 * commits what it receives, so the store directory is saved once and put
 * back before every input: each input starts from the same bytes.
 *
 * Input: byte 0 flags, then u16-length-prefixed frames (at most
 * FRAMES_MAX):
 *   bits 0-1  the neighbour the frames come from: 0 the village q/c/x,
 *             1 the parent q, 2 the department q/c/@police, 3 q/c/y;
 *   bit 2     sending fails (the link is unreachable);
 *   bit 3     send our HELLO first (gs_sync_hello), as to a parent.
 * Each frame goes to gs_sync_input, then gs_sync_tick with the clock
 * advanced 400 ms (heartbeats, timeouts, re-HELLO and the outgoing
 * stream). At the end gs_sync_stop writes every link's status.
 *
 * Invariants (a violation aborts): the engine never returns a store
 * error on this small store, and every frame it sends decodes as a
 * SyncFrame of our version. (A batch may carry more than batch_max
 * envelopes: backfill adds a whole case at once, docs/protocol.md §7
 * and its Notes.) FZ_VERBOSE=1 in the environment prints the engine's
 * counters after each input.
 */
#include "fuzz_common.h"

#include "gs/sync.h"

#define FRAMES_MAX 32
#define BATCH      4

static char dir[PATH_MAX];
static struct fz_snap snap;
static bool verbose;

struct sink {
	bool     fail;
	uint64_t frames;
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	gs_node *n;

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/town", fz_start("sync"));
	n = fz_node_make(dir, FZ_C, fz_nhist);
	gs_node_close(&n);
	fz_snap_save(dir, &snap);
	verbose = getenv("FZ_VERBOSE") != NULL;
	return 0;
}

static int
sink_send(void *arg, gs_peer *p, const uint8_t *buf, size_t len)
{
	struct sink *k = arg;
	Gs__SyncFrame *f;

	(void)p;
	f = gs__sync_frame__unpack(NULL, len, buf);
	FZ_ASSERT(f != NULL);
	FZ_ASSERT(f->version == GS_SYNC_VERSION);
	gs__sync_frame__free_unpacked(f, NULL);
	k->frames++;
	return k->fail ? -1 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const peers[] = { "q/c/x", "q", "q/c/@police",
	    "q/c/y" };
	struct gs_sync_opts o = { BATCH, 2, 1000, 3000 };
	struct sink k = { false, 0 };
	const uint8_t *p, *rec;
	size_t left, rlen;
	uint64_t now = FZ_NOW_MS;
	gs_node *n = NULL;
	gs_sync *s = NULL;
	gs_peer *peer;
	int flags, rc, frames = 0;

	if (size < 1)
		return 0;
	flags = data[0];
	k.fail = (flags & 4) != 0;
	fz_snap_restore(dir, &snap);
	if ((rc = gs_node_open(dir, FZ_MAP, &n)) != 0)
		fz_die("gs_node_open", rc);
	if ((rc = gs_sync_new(n, &o, sink_send, &k, &s)) != 0)
		fz_die("gs_sync_new", rc);
	peer = gs_sync_peer(s, peers[flags & 3], (flags & 3) == 1);
	FZ_ASSERT(peer != NULL);
	if (flags & 8)
		FZ_ASSERT(gs_sync_hello(s, peer, now) == 0 || k.fail);
	p = data + 1;
	left = size - 1;
	while (frames++ < FRAMES_MAX && fz_take(&p, &left, &rec, &rlen)) {
		rc = gs_sync_input(s, peer, rec, rlen, now);
		FZ_ASSERT(rc == 0);
		now += 400;
		rc = gs_sync_tick(s, now);
		FZ_ASSERT(rc == 0);
	}
	if (verbose) {
		const struct gs_sync_stats *x = gs_sync_stats(s);

		fprintf(stderr, "frames sent %llu; batches in %llu out %llu, "
		    "changes in %llu out %llu, applied %llu, rejected %llu, "
		    "bad frames %llu; link %s\n", (unsigned long long)k.frames,
		    (unsigned long long)x->batches_in,
		    (unsigned long long)x->batches_out,
		    (unsigned long long)x->changes_in,
		    (unsigned long long)x->changes_out,
		    (unsigned long long)x->applied,
		    (unsigned long long)x->rejected,
		    (unsigned long long)x->bad_frames,
		    gs_peer_up(peer) ? "up" : "down");
	}
	FZ_ASSERT(gs_sync_stop(s, now) == 0);
	gs_sync_destroy(&s);
	gs_node_close(&n);
	return 0;
}
