/*
 * fuzz_apply.c: the apply path on a scratch store: decode, verify,
 * authority, store, index and fold, then the folds' readers.
 *
 * The store is the town q/c of the fixed world (fuzz_common.h) with the
 * world's Members committed once at start-up. Each input runs in one write
 * transaction that is aborted at the end, so the store never grows and
 * every input starts from the same state.
 *
 * Input: byte 0 is the mode, the rest u16-length-prefixed records (at most
 * BATCH_MAX):
 *   bit 0 clear, raw: each record is an envelope, applied as received.
 *     Only envelopes signed by the world's keys (the seeds) get past the
 *     signature check; this covers decode, dedupe, rejects, pending.
 *   bit 0 set, sign: each record is one byte `who` and a packed Change.
 *     The harness unpacks it, fills in origin, seq, prev, signer, version
 *     and hlc as the identity who & 7 would, and seals it with that key:
 *     mutated changes reach the authority table and the fold. Flags in
 *     who keep the input's own field instead: 0x10 signer (signing as
 *     another path), 0x20 version, 0x40 seq and prev (forks and gaps),
 *     0x80 hlc.
 *   bit 1: apply the same batch a second time; every envelope must then
 *     be a duplicate.
 *   bit 2: apply as from neighbour q/c/x (gs_apply_batch_from).
 *
 * Invariants (a violation aborts):
 *  - gs_apply_batch returns 0 (the map is far from full);
 *  - a second application of a batch is all GS_DUPLICATE;
 *  - every stored case equals a fresh fold of its stored changes (what
 *    `verify` checks).
 * FZ_VERBOSE=1 in the environment prints each envelope's verdict.
 */
#include "fuzz_common.h"

#include "gs/fold.h"
#include "gs/records.h"
#include "gs/stats.h"

#define BATCH_MAX 24

static gs_node *node;
static bool verbose;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[PATH_MAX];

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/town", fz_start("apply"));
	node = fz_node_make(dir, FZ_C, 5);
	verbose = getenv("FZ_VERBOSE") != NULL;
	return 0;
}

/* Fold readers: compare each stored case with a fresh fold. */
static int
on_case(void *arg, const Gs__Case *c)
{
	gs_txn *t = arg;
	Gs__Case *fresh = NULL;
	uint8_t *a, *b;
	size_t la, lb;
	int rc;

	rc = gs_case_fold_stored(t, c->id, &fresh);
	FZ_ASSERT(rc == 0);
	la = gs__case__get_packed_size(c);
	lb = gs__case__get_packed_size(fresh);
	a = malloc(la + 1);
	b = malloc(lb + 1);
	FZ_ASSERT(a != NULL && b != NULL);
	gs__case__pack(c, a);
	gs__case__pack(fresh, b);
	if (la != lb || memcmp(a, b, la) != 0)
		fprintf(stderr, "case %s: stored projection differs from a "
		    "fresh fold\n", c->id);
	FZ_ASSERT(la == lb && memcmp(a, b, la) == 0);
	(void)gs_case_visible_to(c, "q/c/x");
	(void)gs_status_name(c->status);
	free(a);
	free(b);
	gs_case_free(&fresh);
	return 0;
}

static int
on_record(void *arg, const uint8_t *id, const Gs__Change *c)
{
	(void)arg;
	(void)id;
	FZ_ASSERT(c != NULL);
	return 0;
}

static void
read_back(gs_txn *t)
{
	static const int kinds[] = {
		GS__CHANGE__BODY_NOTICE, GS__CHANGE__BODY_RECEIPT,
		GS__CHANGE__BODY_ROLLUP, GS__CHANGE__BODY_CHECK,
	};
	struct gs_stats st;
	Gs__Rollup **ru = NULL;
	size_t nru = 0;
	int rc;

	FZ_ASSERT(gs_case_each(t, on_case, t) == 0);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		rc = gs_records_each(t, kinds[i], NULL, 0, on_record, NULL);
		FZ_ASSERT(rc == 0);
		rc = gs_records_walk(t, kinds[i], "q/c", 3, GS_PICK_ALL,
		    on_record, NULL);
		FZ_ASSERT(rc == 0);
	}
	memset(&st, 0, sizeof(st));
	if (gs_stats_cases(t, "2023-11", GS_BY_VILLAGE, FZ_NOW_MS, &st) == 0)
		gs_stats_free(&st);
	memset(&st, 0, sizeof(st));
	if (gs_stats_rollups(t, "q", "2023-11", GS_BY_TOWN, FZ_NOW_MS,
	    &st) == 0)
		gs_stats_free(&st);
	if (gs_rollups_due(t, "q/c", FZ_NOW_MS, &ru, &nru) == 0)
		gs_rollups_free(ru, nru);
}

/* Sign mode: one record is who + a packed Change. Returns a malloc'd
 * envelope, or NULL when the change does not unpack or seal. */
static uint8_t *
sign_one(const uint8_t *rec, size_t len, size_t idx, uint64_t *seq,
    uint8_t (*prev)[GS_ID_BYTES], size_t *out_len)
{
	struct fz_ident *s;
	Gs__Change *c;
	ProtobufCBinaryData o_origin, o_prev;
	char *o_signer;
	uint32_t o_version;
	uint64_t o_seq, o_hlc;
	uint8_t *env = NULL, id[GS_ID_BYTES];
	int who, rc;

	if (len < 1)
		return NULL;
	who = rec[0];
	if ((c = gs__change__unpack(NULL, len - 1, rec + 1)) == NULL)
		return NULL;
	s = &fz_id[(who & 7) % FZ_NIDENT];
	/* Borrowed fields go in place of the unpacked ones, which are put
	 * back before free_unpacked frees them. */
	o_origin = c->origin;
	o_prev = c->prev;
	o_signer = c->signer;
	o_version = c->version;
	o_seq = c->seq;
	o_hlc = c->hlc;
	c->origin.data = s->pk;
	c->origin.len = GS_KEY_BYTES;
	if (!(who & 0x10))
		c->signer = fz_unconst(s->path);
	if (!(who & 0x20))
		c->version = GS_CHANGE_VERSION;
	if (!(who & 0x40)) {
		size_t w = (size_t)(s - fz_id);

		c->seq = seq[w] + 1;
		c->prev.data = seq[w] > 0 ? prev[w] : NULL;
		c->prev.len = seq[w] > 0 ? GS_ID_BYTES : 0;
	}
	if (!(who & 0x80))
		c->hlc = FZ_H(1000 + idx);
	rc = gs_change_seal(c, s->sk, &env, out_len, id, NULL);
	if (rc == 0 && !(who & 0x40)) {
		size_t w = (size_t)(s - fz_id);

		seq[w]++;
		memcpy(prev[w], id, GS_ID_BYTES);
	}
	c->origin = o_origin;
	c->prev = o_prev;
	c->signer = o_signer;
	c->version = o_version;
	c->seq = o_seq;
	c->hlc = o_hlc;
	gs__change__free_unpacked(c, NULL);
	return rc == 0 ? env : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *bufs[BATCH_MAX], *p, *rec;
	size_t lens[BATCH_MAX], n = 0, left, rlen;
	uint8_t *owned[BATCH_MAX];
	struct gs_apply_result res[BATCH_MAX];
	struct gs_apply_stats st;
	uint64_t seq[FZ_NIDENT];
	uint8_t prev[FZ_NIDENT][GS_ID_BYTES];
	const char *source;
	gs_txn *t = NULL;
	int mode, rc;

	if (size < 1)
		return 0;
	mode = data[0];
	source = (mode & 4) ? "q/c/x" : NULL;
	p = data + 1;
	left = size - 1;
	/* The seqs the store already holds: the Members only. */
	for (int i = 0; i < FZ_NIDENT; i++) {
		seq[i] = 0;
		for (size_t j = 0; j < 5; j++)
			if (fz_hist[j].who == i) {
				seq[i] = fz_hist[j].seq;
				memcpy(prev[i], fz_hist[j].id, GS_ID_BYTES);
			}
	}
	while (n < BATCH_MAX && fz_take(&p, &left, &rec, &rlen)) {
		if (mode & 1) {
			uint8_t *env = sign_one(rec, rlen, n, seq, prev,
			    &lens[n]);

			if (env == NULL)
				continue;
			owned[n] = env;
			bufs[n] = env;
		} else {
			owned[n] = NULL;
			bufs[n] = rec;
			lens[n] = rlen;
		}
		n++;
	}
	memset(&st, 0, sizeof(st));
	if ((rc = gs_txn_begin(gs_node_store(node), 1, &t)) != 0)
		fz_die("gs_txn_begin", rc);
	rc = gs_apply_batch_from(node, t, source, bufs, lens, n, res, &st);
	FZ_ASSERT(rc == 0);
	if (verbose)
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "envelope %zu: status %d %s\n", i,
			    (int)res[i].status, res[i].reason);
	FZ_ASSERT(st.applied + st.duplicate + st.pending + st.rejected +
	    st.released_rejected >= n);
	if (mode & 2) {
		rc = gs_apply_batch_from(node, t, source, bufs, lens, n, res,
		    NULL);
		FZ_ASSERT(rc == 0);
		for (size_t i = 0; i < n; i++)
			FZ_ASSERT(res[i].status == GS_DUPLICATE);
	}
	read_back(t);
	gs_txn_abort(&t);
	for (size_t i = 0; i < n; i++)
		free(owned[i]);
	return 0;
}
