/*
 * make_corpus.c: writes the fuzz harnesses' seed corpora.
 *
 *     make build-fuzz/make_corpus && build-fuzz/make_corpus tests/fuzz/corpus
 *
 * Every seed is built from the fixed world of fuzz_common.h: real
 * envelopes signed by the world's keys, the frames a neighbour would
 * send, the files a node reads, the command lines people type. Keys,
 * HLCs and case ids are fixed and Ed25519 is deterministic, so running it
 * again writes the same bytes (the files are committed). Before writing,
 * it applies the history to a scratch node and checks that every change
 * is applied and no case has a conflict, so the seeds reach deep.
 *
 * Input formats are the harnesses' (see each fuzz_<name>.c).
 */
#include "fuzz_common.h"

#include "gs/fold.h"
#include "gs/sync.h"
#include "gs/transfer.h"

static const char *out;
static int fails;

/* A growing byte buffer for one seed. */
struct buf {
	uint8_t *b;
	size_t   len, cap;
};

static void
put(struct buf *s, const void *p, size_t n)
{
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2 + 64;
		if ((s->b = realloc(s->b, s->cap)) == NULL)
			fz_die("realloc", ENOMEM);
	}
	memcpy(s->b + s->len, p, n);
	s->len += n;
}

static void
put_u8(struct buf *s, int v)
{
	uint8_t b = (uint8_t)v;

	put(s, &b, 1);
}

/* A u16 big-endian length and the bytes: the harnesses' record. */
static void
put_rec(struct buf *s, const void *p, size_t n)
{
	if (n > 0xffff)
		fz_die("record over 64 KiB", E2BIG);
	put_u8(s, (int)(n >> 8));
	put_u8(s, (int)(n & 0xff));
	put(s, p, n);
}

static void
put_str(struct buf *s, const char *str)
{
	put(s, str, strlen(str));
}

/* A NUL-separated argument list. */
static void
put_args(struct buf *s, const char *const *args)
{
	for (size_t i = 0; args[i] != NULL; i++) {
		if (i > 0)
			put_u8(s, 0);
		put_str(s, args[i]);
	}
}

static void
save(const char *dir, const char *name, struct buf *s)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", out, dir);
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		fz_die(p, errno);
	snprintf(p, sizeof(p), "%s/%s/%s", out, dir, name);
	fz_write_file(p, s->b, s->len);
	free(s->b);
	memset(s, 0, sizeof(*s));
}

static const struct fz_env *
hist(const char *name)
{
	for (size_t i = 0; i < fz_nhist; i++)
		if (strcmp(fz_hist[i].name, name) == 0)
			return &fz_hist[i];
	for (size_t i = 0; i < fz_nmore; i++)
		if (strcmp(fz_more[i].name, name) == 0)
			return &fz_more[i];
	fprintf(stderr, "make_corpus: no change named %s\n", name);
	abort();
}

/* ---- checking the world ---- */

static int
case_ok(void *arg, const Gs__Case *c)
{
	(void)arg;
	if (c->conflicts != 0) {
		for (size_t i = 0; i < c->n_timeline; i++)
			if (c->timeline[i]->flag != GS__FLAG__FLAG_OK)
				fprintf(stderr, "make_corpus: case %s: %s: %s\n",
				    c->id, gs_kind_name((int)c->timeline[i]->kind),
				    c->timeline[i]->reason);
		fails++;
	}
	return 0;
}

static void
check_world(const char *base)
{
	char dir[PATH_MAX];
	gs_node *n;
	gs_txn *t = NULL;

	snprintf(dir, sizeof(dir), "%s/check", base);
	n = fz_node_make(dir, FZ_C, fz_nhist);
	fz_apply(n, fz_more, fz_nmore);
	if (gs_txn_begin(gs_node_store(n), 0, &t) != 0 ||
	    gs_case_each(t, case_ok, NULL) != 0)
		fz_die("check_world", EIO);
	gs_txn_abort(&t);
	gs_node_close(&n);
}

/* ---- envelope ---- */

static void
seeds_envelope(void)
{
	struct buf s = { 0 };
	char name[64];
	size_t i;

	for (i = 0; i < fz_nhist; i++) {
		put(&s, fz_hist[i].buf, fz_hist[i].len);
		snprintf(name, sizeof(name), "%02zu-%s", i, fz_hist[i].name);
		save("envelope", name, &s);
	}
	for (size_t j = 0; j < fz_nmore; j++, i++) {
		put(&s, fz_more[j].buf, fz_more[j].len);
		snprintf(name, sizeof(name), "%02zu-%s", i, fz_more[j].name);
		save("envelope", name, &s);
	}
	/* A forged signature, and an envelope cut short. */
	put(&s, hist("x-report")->buf, hist("x-report")->len);
	s.b[s.len - 1] ^= 0x01;
	save("envelope", "bad-sig", &s);
	put(&s, hist("x-report")->buf, hist("x-report")->len / 2);
	save("envelope", "truncated", &s);
}

/* ---- apply ---- */

static void
apply_raw(const char *name, int mode, const char *const *names)
{
	struct buf s = { 0 };

	put_u8(&s, mode);
	for (size_t i = 0; names[i] != NULL; i++)
		put_rec(&s, hist(names[i])->buf, hist(names[i])->len);
	save("apply", name, &s);
}

/* Sign-mode record: who, then the change packed without origin, seq,
 * prev, signer or hlc. */
static void
put_signed(struct buf *s, const struct fz_env *e, int flags)
{
	size_t n = e->change_len + 1;

	if (n > 0xffff)
		fz_die("record over 64 KiB", E2BIG);
	put_u8(s, (int)(n >> 8));
	put_u8(s, (int)(n & 0xff));
	put_u8(s, e->who | flags);
	put(s, e->change, e->change_len);
}

static void
apply_sign(const char *name, int mode, const char *const *names, int flags)
{
	struct buf s = { 0 };

	put_u8(&s, mode | 1);
	for (size_t i = 0; names[i] != NULL; i++)
		put_signed(&s, hist(names[i]), flags);
	save("apply", name, &s);
}

static void
seeds_apply(void)
{
	static const char *const all[] = { "member-q", "member-c", "member-x",
	    "member-y", "member-p", "x-report", "x-progress", "x-whistle",
	    "c-dispatch", "p-ack", "p-resolve", "c-followup", "y-report",
	    "q-supervise", "y-resolve", "c-task", "x-whistle-task", "c-return",
	    "c-notice", "x-receipt", "y-receipt", "c-rollup", "x-check", NULL };
	static const char *const casex[] = { "x-report", "x-progress",
	    "x-whistle", "c-dispatch", "p-ack", "p-resolve", "c-followup",
	    "x-reopen", NULL };
	/* Out of order: the fold must not care. */
	static const char *const shuffled[] = { "p-resolve", "c-followup",
	    "x-whistle", "p-ack", "x-report", "c-dispatch", "x-progress", NULL };
	static const char *const cases[] = { "y-report", "q-supervise",
	    "y-resolve", "c-task", "x-whistle-task", "c-return", "x-report-2",
	    "x-whistle-2", NULL };
	static const char *const records[] = { "c-notice", "x-receipt",
	    "y-receipt", "c-rollup", "x-check", NULL };
	static const char *const sign_x[] = { "x-report", "x-progress",
	    "x-whistle", "c-dispatch", "p-ack", "p-resolve", "c-followup",
	    "x-reopen", NULL };
	static const char *const sign_rec[] = { "c-notice", "c-rollup",
	    "x-check", "y-report", "y-resolve", "c-task", "x-whistle-task",
	    "c-return", NULL };
	/* The village signing the town's changes: the authority table. */
	static const char *const sign_as[] = { "x-report", "c-dispatch",
	    "c-notice", "c-rollup", "member-y", "q-supervise", NULL };
	struct fz_draft d;
	struct fz_env fork, revoke, zmem, zrep;
	struct buf s = { 0 };
	struct fz_ident keep;

	apply_raw("raw-all", 0, all);
	apply_raw("raw-case-x-twice", 2, casex);
	apply_raw("raw-shuffled-from-x", 4, shuffled);
	apply_raw("raw-cases", 0, cases);
	apply_raw("raw-records", 2, records);
	apply_sign("sign-case-x", 0, sign_x, 0);
	apply_sign("sign-records", 2, sign_rec, 0);
	/* The village's key signing the town's changes, as itself (the
	 * authority table refuses them) and claiming the town's path (a
	 * pair nobody enrolled: held). */
	for (int claim = 0; claim < 2; claim++) {
		put_u8(&s, 1);
		for (size_t i = 0; sign_as[i] != NULL; i++) {
			const struct fz_env *e = hist(sign_as[i]);
			Gs__Change *c = gs__change__unpack(NULL, e->change_len,
			    e->change);
			struct fz_env x;
			char *signer;

			if (c == NULL)
				fz_die("unpack", EINVAL);
			memset(&x, 0, sizeof(x));
			signer = c->signer;
			if (claim)
				c->signer = fz_unconst(fz_id[e->who].path);
			x.change = fz_pack_change(c, &x.change_len);
			x.who = FZ_X;
			c->signer = signer;
			gs__change__free_unpacked(c, NULL);
			put_signed(&s, &x, claim ? 0x10 : 0);
			free(x.change);
		}
		save("apply", claim ? "sign-claim-path" : "sign-as-village",
		    &s);
	}

	/* X signs a second, different change at seq 1: a fork. */
	keep = fz_id[FZ_X];
	fz_id[FZ_X].seq = 0;
	fz_seal(FZ_X, fz_d_body(&d, FZ_CASE_X, GS__CHANGE__BODY_PROGRESS,
	    "另一条进展"), FZ_H(200), "x-fork", &fork);
	fz_id[FZ_X] = keep;
	put_u8(&s, 0);
	put_rec(&s, hist("x-report")->buf, hist("x-report")->len);
	put_rec(&s, fork.buf, fork.len);
	save("apply", "raw-fork", &s);

	/* The town revokes Y after its first change: Y's resolve is void. */
	fz_d_init(&d, NULL);
	memcpy(d.key, fz_id[FZ_Y].pk, GS_KEY_BYTES);
	d.revoke.key.data = d.key;
	d.revoke.key.len = GS_KEY_BYTES;
	d.revoke.path = fz_unconst("q/c/y");
	d.revoke.after_seq = 1;
	d.revoke.reason = fz_unconst("终端丢失");
	d.ch.body_case = GS__CHANGE__BODY_REVOKE;
	d.ch.revoke = &d.revoke;
	keep = fz_id[FZ_C];
	fz_seal(FZ_C, &d.ch, FZ_H(210), "c-revoke-y", &revoke);
	fz_id[FZ_C] = keep;
	put_u8(&s, 0);
	put_rec(&s, hist("y-report")->buf, hist("y-report")->len);
	put_rec(&s, hist("y-resolve")->buf, hist("y-resolve")->len);
	put_rec(&s, revoke.buf, revoke.len);
	save("apply", "raw-revoke", &s);

	/* Z reports before the town enrols it: pending, then released. */
	fz_seal(FZ_Z, fz_d_report(&d, "q/c/z#01HF7Y6N3R8W2K4M5P9Q0T1V2E",
	    "debt", "借款纠纷", GS__SEVERITY__SIMPLE), FZ_H(220), "z-report",
	    &zrep);
	keep = fz_id[FZ_C];
	fz_seal(FZ_C, fz_d_member(&d, FZ_Z), FZ_H(221), "member-z", &zmem);
	fz_id[FZ_C] = keep;
	put_u8(&s, 0);
	put_rec(&s, zrep.buf, zrep.len);
	put_rec(&s, zmem.buf, zmem.len);
	save("apply", "raw-pending", &s);

	/* Garbage among genuine envelopes. */
	put_u8(&s, 2);
	put_rec(&s, hist("x-report")->buf, hist("x-report")->len);
	put_rec(&s, "\x0a\x20", 2);
	put_rec(&s, fork.buf, fork.len - 7);
	save("apply", "raw-garbage", &s);
	fz_env_free(&fork);
	fz_env_free(&revoke);
	fz_env_free(&zrep);
	fz_env_free(&zmem);
}

/* ---- sync ---- */

static void
put_frame(struct buf *s, Gs__SyncFrame *f)
{
	size_t len = gs__sync_frame__get_packed_size(f);
	uint8_t *b = malloc(len ? len : 1);

	if (b == NULL)
		fz_die("malloc", ENOMEM);
	gs__sync_frame__pack(f, b);
	put_rec(s, b, len);
	free(b);
}

static void
frame_hello(struct buf *s, int who, uint64_t feed, bool ours,
    uint64_t checkpoint, uint32_t version, uint64_t my_seq, uint64_t your_seq)
{
	Gs__SyncFrame f;
	Gs__SyncHello h;

	gs__sync_frame__init(&f);
	gs__sync_hello__init(&h);
	h.path = fz_unconst(fz_id[who].path);
	h.my_epoch.data = fz_id[who].epoch;
	h.my_epoch.len = GS_EPOCH_BYTES;
	h.feed_seq = feed;
	h.my_seq = my_seq;
	h.your_seq = your_seq;
	if (ours) {
		h.your_epoch.data = fz_id[FZ_C].epoch;
		h.your_epoch.len = GS_EPOCH_BYTES;
		h.checkpoint = checkpoint;
	}
	f.version = version;
	f.body_case = GS__SYNC_FRAME__BODY_HELLO;
	f.hello = &h;
	put_frame(s, &f);
}

static void
frame_batch(struct buf *s, int who, uint64_t from, uint64_t upto,
    const struct fz_env *const *e, size_t n)
{
	ProtobufCBinaryData env[8];
	Gs__SyncFrame f;
	Gs__SyncBatch b;

	gs__sync_frame__init(&f);
	gs__sync_batch__init(&b);
	for (size_t i = 0; i < n; i++) {
		env[i].data = e[i]->buf;
		env[i].len = e[i]->len;
	}
	b.epoch.data = fz_id[who].epoch;
	b.epoch.len = GS_EPOCH_BYTES;
	b.from = from;
	b.upto = upto;
	b.envelopes = env;
	b.n_envelopes = n;
	f.version = GS_SYNC_VERSION;
	f.body_case = GS__SYNC_FRAME__BODY_BATCH;
	f.batch = &b;
	put_frame(s, &f);
}

static void
frame_ack(struct buf *s, uint64_t upto, uint64_t rejected)
{
	Gs__SyncFrame f;
	Gs__SyncAck a;

	gs__sync_frame__init(&f);
	gs__sync_ack__init(&a);
	a.upto = upto;
	a.rejected = rejected;
	f.version = GS_SYNC_VERSION;
	f.body_case = GS__SYNC_FRAME__BODY_ACK;
	f.ack = &a;
	put_frame(s, &f);
}

static void
frame_heartbeat(struct buf *s, uint64_t feed)
{
	Gs__SyncFrame f;
	Gs__SyncHeartbeat h;

	gs__sync_frame__init(&f);
	gs__sync_heartbeat__init(&h);
	h.feed_seq = feed;
	f.version = GS_SYNC_VERSION;
	f.body_case = GS__SYNC_FRAME__BODY_HEARTBEAT;
	f.heartbeat = &h;
	put_frame(s, &f);
}

static void
frame_error(struct buf *s, uint32_t code, const char *reason)
{
	Gs__SyncFrame f;
	Gs__SyncError e;

	gs__sync_frame__init(&f);
	gs__sync_error__init(&e);
	e.code = code;
	e.reason = fz_unconst(reason);
	f.version = GS_SYNC_VERSION;
	f.body_case = GS__SYNC_FRAME__BODY_ERROR;
	f.error = &e;
	put_frame(s, &f);
}

static void
seeds_sync(void)
{
	const struct fz_env *more[] = { &fz_more[0], &fz_more[1], &fz_more[2] };
	const struct fz_env *ack[] = { hist("p-ack"), hist("p-resolve") };
	const struct fz_env *bad[] = { hist("c-dispatch"), hist("x-report") };
	struct buf s = { 0 };
	uint64_t cseq = fz_id[FZ_C].seq;

	/* The village says HELLO, sends its three new changes, takes our
	 * feed in batches and acks them. */
	put_u8(&s, 0);
	frame_hello(&s, FZ_X, 3, true, 0, GS_SYNC_VERSION, 9, cseq);
	frame_batch(&s, FZ_X, 1, 3, more, 3);
	frame_ack(&s, 4, 0);
	frame_ack(&s, 8, 1);
	frame_heartbeat(&s, 3);
	frame_ack(&s, 12, 0);
	save("sync", "child-session", &s);

	/* The village resumes from a checkpoint; an empty batch advances
	 * ours of its feed; then it goes silent. */
	put_u8(&s, 0);
	frame_hello(&s, FZ_X, 5, true, 20, GS_SYNC_VERSION, 7, cseq);
	frame_batch(&s, FZ_X, 1, 5, NULL, 0);
	frame_batch(&s, FZ_X, 6, 6, more, 1);
	frame_heartbeat(&s, 6);
	frame_heartbeat(&s, 6);
	save("sync", "child-resume", &s);

	/* Our parent: we say HELLO, it answers and streams. */
	put_u8(&s, 1 | 8);
	frame_hello(&s, FZ_Q, 40, true, 3, GS_SYNC_VERSION, 3, cseq);
	frame_batch(&s, FZ_Q, 1, 2, (const struct fz_env *[]){ hist("member-q"),
	    hist("q-supervise") }, 2);
	frame_ack(&s, 4, 0);
	frame_error(&s, 22, "no session: send HELLO first");
	frame_hello(&s, FZ_Q, 41, false, 0, GS_SYNC_VERSION, 3, 0);
	save("sync", "parent-session", &s);

	/* The department reports in over the link. */
	put_u8(&s, 2);
	frame_hello(&s, FZ_P, 2, false, 0, GS_SYNC_VERSION, 2, 0);
	frame_batch(&s, FZ_P, 1, 2, ack, 2);
	frame_ack(&s, 1, 0);
	save("sync", "dept-session", &s);

	/* Hostile: batch before HELLO, another version, a gap, a path that
	 * is not the link's, a checkpoint beyond our feed, an ACK beyond
	 * what was sent, someone else's changes. */
	put_u8(&s, 3);
	frame_batch(&s, FZ_Y, 1, 1, bad, 1);
	frame_hello(&s, FZ_Y, 1, true, 0, 2, 0, 0);
	frame_hello(&s, FZ_X, 1, true, 0, GS_SYNC_VERSION, 0, 0);
	frame_hello(&s, FZ_Y, 9, true, 999, GS_SYNC_VERSION, 3,
	    cseq + 50);
	frame_batch(&s, FZ_Y, 5, 9, bad, 2);
	frame_batch(&s, FZ_Y, 1, 9, bad, 2);
	frame_ack(&s, 1000, 0);
	frame_error(&s, 5, "store full");
	save("sync", "hostile", &s);

	/* Sends fail: the link goes down. */
	put_u8(&s, 4);
	frame_hello(&s, FZ_X, 3, true, 0, GS_SYNC_VERSION, 6, cseq);
	frame_ack(&s, 0, 0);
	save("sync", "unreachable", &s);

	/* The village restored from an old copy: it knows its own changes
	 * only up to seq 2, so we send the rest back. */
	put_u8(&s, 0);
	frame_hello(&s, FZ_X, 2, false, 0, GS_SYNC_VERSION, 2, cseq);
	frame_ack(&s, 4, 0);
	frame_ack(&s, 8, 0);
	save("sync", "child-restored", &s);
}

/* ---- config ---- */

static void
seeds_config(void)
{
	const struct fz_env *chain[] = { hist("member-q"), hist("member-c"),
	    hist("member-x") };
	ProtobufCBinaryData ch[3];
	Gs__JoinBundle jb;
	struct buf s = { 0 };
	uint8_t *b;
	char hex[2 * GS_KEY_BYTES + 1];
	size_t len;

	gs_hex(fz_id[FZ_C].pk, GS_KEY_BYTES, hex);
	put_u8(&s, 0);
	put_str(&s, "; a village terminal\n[node]\nlisten  = tcp://127.0.0.1:7101\n"
	    "publish = ipc:///tmp/gridnode.pub\n[parent]\n"
	    "endpoint = tcp://10.0.0.1:7001\nkey      = ");
	put_str(&s, hex);
	put_str(&s, "\n[link]\ninsecure     = false\nheartbeat_ms = 1000\n"
	    "timeout_ms   = 5000\nbatch_max    = 256\nwindow       = 4\n"
	    "[policy]\nauto_whistle_hours = 48\nrollup_seconds     = 60\n");
	save("config", "config-full", &s);
	put_u8(&s, 0);
	put_str(&s, "[link]\ninsecure = yes\nheartbeat_ms = 50\ntimeout_ms = 100\n");
	save("config", "config-insecure", &s);
	put_u8(&s, 0);
	put_str(&s, "[safety]\nack_hours = 0.5\nresolve_hours = 12\n"
	    "[neighbor]\nresolve_hours = 96\n\n[check]\ndue_day = 20\n");
	save("config", "deadlines", &s);
	put_u8(&s, 0);
	put_str(&s, "[link]\nwindow = 65\n");
	save("config", "config-bad-window", &s);

	/* The bundle q/c's `enroll` writes for q/c/x. */
	gs__join_bundle__init(&jb);
	jb.version = 1;
	jb.root_key.data = fz_id[FZ_Q].pk;
	jb.root_key.len = GS_KEY_BYTES;
	jb.path = fz_unconst("q/c/x");
	jb.key.data = fz_id[FZ_X].pk;
	jb.key.len = GS_KEY_BYTES;
	jb.parent_path = fz_unconst("q/c");
	jb.parent_key.data = fz_id[FZ_C].pk;
	jb.parent_key.len = GS_KEY_BYTES;
	jb.parent_endpoint = fz_unconst("tcp://10.0.0.1:7001");
	for (size_t i = 0; i < 3; i++) {
		ch[i].data = chain[i]->buf;
		ch[i].len = chain[i]->len;
	}
	jb.chain = ch;
	jb.n_chain = 3;
	len = gs__join_bundle__get_packed_size(&jb);
	if ((b = malloc(len)) == NULL)
		fz_die("malloc", ENOMEM);
	gs__join_bundle__pack(&jb, b);
	put_u8(&s, 1);
	put(&s, b, len);
	save("config", "join-bundle", &s);
	/* The same bundle for the wrong node. */
	jb.path = fz_unconst("q/c/y");
	gs__join_bundle__pack(&jb, b);
	put_u8(&s, 1);
	put(&s, b, len);
	save("config", "join-wrong-path", &s);
	free(b);

	/* An export file: magic, upto, u32-length records. */
	put_u8(&s, 2);
	put_str(&s, GS_TRANSFER_MAGIC);
	put(&s, "\0\0\0\0\0\0\0\x1a", 8);
	for (size_t i = 5; i < fz_nhist; i++) {
		uint8_t l[4] = { 0, 0, (uint8_t)(fz_hist[i].len >> 8),
		    (uint8_t)fz_hist[i].len };

		put(&s, l, 4);
		put(&s, fz_hist[i].buf, fz_hist[i].len);
	}
	save("config", "import-history", &s);
}

/* ---- cli ---- */

static void
cli(const char *name, int node, const char *const *args)
{
	struct buf s = { 0 };

	put_u8(&s, node);
	put_args(&s, args);
	save("cli", name, &s);
}

static void
seeds_cli(void)
{
	char notice[2 * GS_ID_BYTES + 1], ykey[2 * GS_KEY_BYTES + 1];

	gs_hex(fz_notice_id, GS_ID_BYTES, notice);
	gs_hex(fz_id[FZ_Y].pk, GS_KEY_BYTES, ykey);
	/* The village. */
	cli("v-report", 0, (const char *[]){ "report", "--category", "安全隐患",
	    "--title", "桥梁护栏松动", "--desc", "村民反映护栏松动，有坠落风险",
	    "--grid", "第二网格", "--reporter", "张三", "--severity", "complex",
	    "--actor", "网格员王五", "--json", NULL });
	cli("v-progress", 0, (const char *[]){ "progress", FZ_CASE_T, "--note",
	    "已组织清理", NULL });
	cli("v-whistle", 0, (const char *[]){ "whistle", FZ_CASE_T, "--reason",
	    "需要镇里协调", NULL });
	cli("v-resolve", 0, (const char *[]){ "resolve", FZ_CASE_T, "--outcome",
	    "mediated", "--note", "双方和解", NULL });
	cli("v-read", 0, (const char *[]){ "read", notice, "--note", "已阅，马上落实",
	    NULL });
	cli("v-check", 0, (const char *[]){ "check", "--found", "0", "--period",
	    "2023-11", "--note", "零报告", NULL });
	cli("v-show", 0, (const char *[]){ "show", FZ_CASE_X, "--json", NULL });
	cli("v-list", 0, (const char *[]){ "list", "--status", "open", "--level",
	    "village", "--overdue", NULL });
	cli("v-notices", 0, (const char *[]){ "notices", "--json", NULL });
	cli("v-help", 0, (const char *[]){ "report", "--help", NULL });
	/* The town. */
	cli("t-dispatch", 1, (const char *[]){ "dispatch", FZ_CASE_T, "--to",
	    "@police", "--ack-hours", "0.5", "--resolve-hours", "24", "--note",
	    "请尽快处理", NULL });
	cli("t-return", 1, (const char *[]){ "return", FZ_CASE_T, "--reason",
	    "属村级事项", NULL });
	cli("t-supervise", 1, (const char *[]){ "supervise", FZ_CASE_Y, "--note",
	    "督办", NULL });
	cli("t-followup", 1, (const char *[]){ "followup", FZ_CASE_Y,
	    "--satisfaction", "basic", "--note", "电话回访", NULL });
	cli("t-reopen", 1, (const char *[]){ "reopen", FZ_CASE_X, "--reason",
	    "再次塌陷", NULL });
	cli("t-report-for", 1, (const char *[]){ "report", "--category", "land",
	    "--title", "山林确权", "--for", "q/c/x", "--subtree", NULL });
	cli("t-notice", 1, (const char *[]){ "notice", "--title", "秋季防火",
	    "--body", "严禁野外用火", NULL });
	cli("t-stats", 1, (const char *[]){ "stats", "--period", "2023-11",
	    "--by", "village", "--csv", NULL });
	cli("t-checks", 1, (const char *[]){ "checks", "--period", "2023-11",
	    "--json", NULL });
	cli("t-rollup", 1, (const char *[]){ "rollup", "--json", NULL });
	cli("t-revoke", 1, (const char *[]){ "revoke", ykey, "--after-seq", "1",
	    "--reason", "终端丢失", NULL });
	cli("t-digest", 1, (const char *[]){ "digest", "--scope", "q/c/x#",
	    "--json", NULL });
	cli("t-verify", 1, (const char *[]){ "verify", "--json", NULL });
	cli("t-rejects", 1, (const char *[]){ "rejects", NULL });
	cli("t-whoami", 1, (const char *[]){ "whoami", "--json", NULL });
	cli("t-peers", 1, (const char *[]){ "peers", NULL });
	cli("t-categories", 1, (const char *[]){ "categories", "--json", NULL });
}

int
main(int argc, char **argv)
{
	const char *base;

	if (argc != 2) {
		fprintf(stderr, "usage: make_corpus DIR\n");
		return 2;
	}
	out = argv[1];
	if (sodium_init() < 0)
		fz_die("sodium_init", EIO);
	fz_env_setup();
	fz_world();
	base = fz_tmpdir("corpus");
	check_world(base);
	if (fails) {
		fprintf(stderr, "make_corpus: the world has %d bad cases\n",
		    fails);
		return 1;
	}
	if (mkdir(out, 0755) != 0 && errno != EEXIST)
		fz_die(out, errno);
	seeds_envelope();
	seeds_apply();
	seeds_sync();
	seeds_config();
	seeds_cli();
	for (size_t i = 0; i < fz_nhist; i++)
		fz_env_free(&fz_hist[i]);
	for (size_t i = 0; i < fz_nmore; i++)
		fz_env_free(&fz_more[i]);
	return 0;
}
