/*
 * fuzz_common.h: the fixed world the fuzz harnesses and the corpus
 * generator share.
 *
 * Five signing identities with keys derived from fixed seeds, so that an
 * envelope in a committed seed file verifies against the scratch stores a
 * harness makes at start-up, and a crash input replays the same way in
 * any later process:
 *
 *   Q  q             the county, trust root (signs its own Member)
 *   C  q/c           the town
 *   X  q/c/x, Y q/c/y  two villages
 *   P  q/c/@police   a department of the town
 *   Z  q/c/z         a village no store has enrolled (pending changes)
 *
 * fz_world() seals, by hand and at fixed HLCs, their Members and a short
 * history (three cases through report, whistle, dispatch, ack, resolve,
 * follow-up; a notice with receipts; a rollup; a check report) into
 * fz_hist[], and a few later changes of X into fz_more[] that the stores
 * do not hold yet. Ed25519 signatures are deterministic, so the bytes are
 * the same in every process.
 *
 * Scratch nodes (fz_node_make) are real data directories made by
 * gs_node_create whose key and feed epoch are then replaced by an
 * identity's fixed ones. A harness whose store keeps what an input wrote
 * saves the directory's files once (fz_snap_save) and puts them back
 * before each input (fz_snap_restore) while the node is closed: every
 * input starts from the same bytes, the own.seq mark included.
 *
 * Everything is static inline; a failed set-up step aborts with a message
 * (there is nothing sensible to fuzz without the world). Needs
 * sodium_init() before fz_world().
 */
#ifndef GS_FUZZ_COMMON_H
#define GS_FUZZ_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "gs/apply.h"
#include "gs/change.h"
#include "gs/error.h"
#include "gs/hlc.h"
#include "gs/node.h"
#include "gs/store.h"

/* libFuzzer's entry points; declared for -Wmissing-prototypes. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The world's case ids: X's own case, Y's own case, and a task the town
 * assigns down to X. */
#define FZ_CASE_X  "q/c/x#01HF7Y6N3R8W2K4M5P9Q0T1V2A"
#define FZ_CASE_Y  "q/c/y#01HF7Y6N3R8W2K4M5P9Q0T1V2B"
#define FZ_CASE_T  "q/c/x#01HF7Y6N3R8W2K4M5P9Q0T1V2C"
#define FZ_CASE_X2 "q/c/x#01HF7Y6N3R8W2K4M5P9Q0T1V2D"

/* The hand clock: the k-th second after 2023-11-14 22:13:20 UTC. */
#define FZ_T0_MS   1700000000000ULL
#define FZ_H(k)    GS_HLC_MAKE(FZ_T0_MS + (uint64_t)(k) * 1000, 0)
/* GRIDNODE_NOW_MS for every harness: a day after the history, so
 * deadlines, overdue marks and "this month" never depend on the wall
 * clock. */
#define FZ_NOW_MS  (FZ_T0_MS + 86400000ULL)
#define FZ_MAP     ((size_t)8 << 20)

#define FZ_HIST_MAX 48
#define FZ_MORE_MAX 8

enum fz_who { FZ_Q, FZ_C, FZ_X, FZ_Y, FZ_P, FZ_Z, FZ_NIDENT };

struct fz_ident {
	const char *path;
	uint8_t     pk[GS_KEY_BYTES];
	uint8_t     sk[GS_SECRET_BYTES];
	uint8_t     epoch[GS_EPOCH_BYTES];
	uint64_t    seq;                /* last seq sealed */
	uint8_t     prev[GS_ID_BYTES];  /* id of that change */
};

/* A sealed envelope and what it says, for the generator's file names. */
struct fz_env {
	uint8_t    *buf;
	size_t      len;
	uint8_t     id[GS_ID_BYTES];
	int         who;
	uint64_t    seq;
	const char *name;
	uint8_t    *change;        /* the packed change before signing */
	size_t      change_len;
};

static struct fz_ident fz_id[FZ_NIDENT] = {
	{ .path = "q" }, { .path = "q/c" }, { .path = "q/c/x" },
	{ .path = "q/c/y" }, { .path = "q/c/@police" }, { .path = "q/c/z" },
};
static struct fz_env fz_hist[FZ_HIST_MAX], fz_more[FZ_MORE_MAX];
static size_t fz_nhist, fz_nmore;
static uint8_t fz_notice_id[GS_ID_BYTES];

static inline char *
fz_unconst(const char *s)
{
	return (char *)(uintptr_t)s;
}

static inline void
fz_die(const char *what, int rc)
{
	fprintf(stderr, "fuzz set-up: %s: %s\n", what,
	    rc < 0 ? gs_strerror(rc) : strerror(rc));
	abort();
}

/* A harness's own invariant: a violation is a finding, so abort and let
 * libFuzzer save the input. Written to fd 2, which stays the terminal
 * when a harness points stdio's stderr at /dev/null. */
#define FZ_ASSERT(cond) do {						\
	if (!(cond)) {							\
		dprintf(STDERR_FILENO, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* ---- identities ---- */

/* Keys and epochs from fixed seeds: BLAKE2b of "gridsync-fuzz <path>". */
static inline void
fz_keys(void)
{
	for (int i = 0; i < FZ_NIDENT; i++) {
		char label[64];
		uint8_t seed[crypto_sign_SEEDBYTES];

		snprintf(label, sizeof(label), "gridsync-fuzz %s", fz_id[i].path);
		crypto_generichash(seed, sizeof(seed), (const uint8_t *)label,
		    strlen(label), NULL, 0);
		crypto_sign_seed_keypair(fz_id[i].pk, fz_id[i].sk, seed);
		snprintf(label, sizeof(label), "gridsync-fuzz epoch %s",
		    fz_id[i].path);
		crypto_generichash(fz_id[i].epoch, GS_EPOCH_BYTES,
		    (const uint8_t *)label, strlen(label), NULL, 0);
		fz_id[i].seq = 0;
		memset(fz_id[i].prev, 0, GS_ID_BYTES);
	}
}

/* ---- drafts ---- */

struct fz_draft {
	Gs__Change      ch;
	Gs__Member      member;
	Gs__Revoke      revoke;
	Gs__Report      report;
	Gs__Progress    progress;
	Gs__Whistle     whistle;
	Gs__Return      ret;
	Gs__Dispatch    dispatch;
	Gs__Ack         ack;
	Gs__Resolve     resolve;
	Gs__FollowUp    followup;
	Gs__Reopen      reopen;
	Gs__Supervise   supervise;
	Gs__Notice      notice;
	Gs__Receipt     receipt;
	Gs__Rollup      rollup;
	Gs__RollupCount count[2];
	Gs__RollupCount *countp[2];
	Gs__Check       check;
	uint8_t         key[GS_KEY_BYTES];
	uint8_t         ref[GS_ID_BYTES];
};

static inline Gs__Change *
fz_d_init(struct fz_draft *d, const char *case_id)
{
	memset(d, 0, sizeof(*d));
	gs__change__init(&d->ch);
	gs__member__init(&d->member);
	gs__revoke__init(&d->revoke);
	gs__report__init(&d->report);
	gs__progress__init(&d->progress);
	gs__whistle__init(&d->whistle);
	gs__return__init(&d->ret);
	gs__dispatch__init(&d->dispatch);
	gs__ack__init(&d->ack);
	gs__resolve__init(&d->resolve);
	gs__follow_up__init(&d->followup);
	gs__reopen__init(&d->reopen);
	gs__supervise__init(&d->supervise);
	gs__notice__init(&d->notice);
	gs__receipt__init(&d->receipt);
	gs__rollup__init(&d->rollup);
	gs__rollup_count__init(&d->count[0]);
	gs__rollup_count__init(&d->count[1]);
	gs__check__init(&d->check);
	d->ch.actor = fz_unconst("网格员王五");
	d->ch.case_id = fz_unconst(case_id ? case_id : "");
	return &d->ch;
}

/* Packs c as it stands (no origin, seq or signature: the sign mode of
 * fuzz_apply fills those in). malloc'd. */
static inline uint8_t *
fz_pack_change(const Gs__Change *c, size_t *len)
{
	uint8_t *b;

	*len = gs__change__get_packed_size(c);
	if ((b = malloc(*len ? *len : 1)) == NULL)
		fz_die("malloc", ENOMEM);
	gs__change__pack(c, b);
	return b;
}

/* Seals draft c as identity who's next change at hlc, signing as its own
 * path. */
static inline void
fz_seal(int who, Gs__Change *c, uint64_t hlc, const char *name,
    struct fz_env *out)
{
	struct fz_ident *s = &fz_id[who];
	const char *why = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->change = fz_pack_change(c, &out->change_len);
	c->version = GS_CHANGE_VERSION;
	c->signer = fz_unconst(s->path);
	c->origin.data = s->pk;
	c->origin.len = GS_KEY_BYTES;
	c->seq = s->seq + 1;
	c->prev.data = s->seq > 0 ? s->prev : NULL;
	c->prev.len = s->seq > 0 ? GS_ID_BYTES : 0;
	c->hlc = hlc;
	rc = gs_change_seal(c, s->sk, &out->buf, &out->len, out->id, &why);
	if (rc != 0) {
		fprintf(stderr, "fuzz set-up: seal %s: %s\n", name,
		    why ? why : gs_strerror(rc));
		abort();
	}
	s->seq++;
	memcpy(s->prev, out->id, GS_ID_BYTES);
	out->who = who;
	out->seq = s->seq;
	out->name = name;
}

static inline void
fz_env_free(struct fz_env *e)
{
	free(e->buf);
	free(e->change);
	memset(e, 0, sizeof(*e));
}

static inline Gs__Change *
fz_d_member(struct fz_draft *d, int who)
{
	fz_d_init(d, NULL);
	memcpy(d->key, fz_id[who].pk, GS_KEY_BYTES);
	d->member.path = fz_unconst(fz_id[who].path);
	d->member.key.data = d->key;
	d->member.key.len = GS_KEY_BYTES;
	d->ch.body_case = GS__CHANGE__BODY_MEMBER;
	d->ch.member = &d->member;
	return &d->ch;
}

static inline Gs__Change *
fz_d_report(struct fz_draft *d, const char *cid, const char *category,
    const char *title, Gs__Severity sev)
{
	fz_d_init(d, cid);
	d->report.category = fz_unconst(category);
	d->report.title = fz_unconst(title);
	d->report.description = fz_unconst("村民反映：雨后路面塌陷，夜间无照明。");
	d->report.grid = fz_unconst("第三网格");
	d->report.reporter = fz_unconst("李四");
	d->report.severity = sev;
	d->ch.body_case = GS__CHANGE__BODY_REPORT;
	d->ch.report = &d->report;
	return &d->ch;
}

static inline Gs__Change *
fz_d_body(struct fz_draft *d, const char *cid, int kind, const char *text)
{
	char *t = fz_unconst(text);

	fz_d_init(d, cid);
	d->ch.body_case = (Gs__Change__BodyCase)kind;
	switch (kind) {
	case GS__CHANGE__BODY_PROGRESS:
		d->progress.note = t;
		d->ch.progress = &d->progress;
		break;
	case GS__CHANGE__BODY_WHISTLE:
		d->whistle.reason = t;
		d->ch.whistle = &d->whistle;
		break;
	case GS__CHANGE__BODY_RETURN:
		d->ret.reason = t;
		d->ch.return_ = &d->ret;
		break;
	case GS__CHANGE__BODY_ACK:
		d->ack.note = t;
		d->ch.ack = &d->ack;
		break;
	case GS__CHANGE__BODY_REOPEN:
		d->reopen.reason = t;
		d->ch.reopen = &d->reopen;
		break;
	case GS__CHANGE__BODY_SUPERVISE:
		d->supervise.note = t;
		d->ch.supervise = &d->supervise;
		break;
	default:
		fz_die("fz_d_body: kind without a plain text body", EINVAL);
	}
	return &d->ch;
}

static inline Gs__Change *
fz_d_dispatch(struct fz_draft *d, const char *cid, const char *dept)
{
	fz_d_init(d, cid);
	d->dispatch.department = fz_unconst(dept);
	d->dispatch.ack_deadline_ms = FZ_T0_MS + 1800000;
	d->dispatch.resolve_deadline_ms = FZ_T0_MS + 86400000;
	d->dispatch.note = fz_unconst("请派出所当日到场");
	d->ch.body_case = GS__CHANGE__BODY_DISPATCH;
	d->ch.dispatch = &d->dispatch;
	return &d->ch;
}

static inline Gs__Change *
fz_d_resolve(struct fz_draft *d, const char *cid, Gs__Outcome o)
{
	fz_d_init(d, cid);
	d->resolve.outcome = o;
	d->resolve.note = fz_unconst("已修复并设置警示牌");
	d->ch.body_case = GS__CHANGE__BODY_RESOLVE;
	d->ch.resolve = &d->resolve;
	return &d->ch;
}

static inline Gs__Change *
fz_d_followup(struct fz_draft *d, const char *cid, Gs__Satisfaction s)
{
	fz_d_init(d, cid);
	d->followup.satisfaction = s;
	d->followup.note = fz_unconst("电话回访");
	d->ch.body_case = GS__CHANGE__BODY_FOLLOWUP;
	d->ch.followup = &d->followup;
	return &d->ch;
}

/* ---- the world ---- */

static inline struct fz_env *
fz_next(void)
{
	if (fz_nhist >= FZ_HIST_MAX)
		fz_die("fz_world: FZ_HIST_MAX too small", ENOSPC);
	return &fz_hist[fz_nhist++];
}

static inline void
fz_world(void)
{
	struct fz_draft d;
	int k = 1;

	fz_keys();
	fz_nhist = fz_nmore = 0;
	/* Members: q's own, q -> q/c, q/c -> its villages and department. */
	fz_seal(FZ_Q, fz_d_member(&d, FZ_Q), FZ_H(k++), "member-q", fz_next());
	fz_seal(FZ_Q, fz_d_member(&d, FZ_C), FZ_H(k++), "member-c", fz_next());
	fz_seal(FZ_C, fz_d_member(&d, FZ_X), FZ_H(k++), "member-x", fz_next());
	fz_seal(FZ_C, fz_d_member(&d, FZ_Y), FZ_H(k++), "member-y", fz_next());
	fz_seal(FZ_C, fz_d_member(&d, FZ_P), FZ_H(k++), "member-p", fz_next());

	/* X's case: reported, passed up, dispatched, acked, resolved, and
	 * followed up by the town. */
	fz_seal(FZ_X, fz_d_report(&d, FZ_CASE_X, "safety", "村口道路塌陷",
	    GS__SEVERITY__COMPLEX), FZ_H(k++), "x-report", fz_next());
	fz_seal(FZ_X, fz_d_body(&d, FZ_CASE_X, GS__CHANGE__BODY_PROGRESS,
	    "已拉警戒线"), FZ_H(k++), "x-progress", fz_next());
	fz_seal(FZ_X, fz_d_body(&d, FZ_CASE_X, GS__CHANGE__BODY_WHISTLE,
	    "村里无力修复"), FZ_H(k++), "x-whistle", fz_next());
	fz_seal(FZ_C, fz_d_dispatch(&d, FZ_CASE_X, "q/c/@police"), FZ_H(k++),
	    "c-dispatch", fz_next());
	fz_seal(FZ_P, fz_d_body(&d, FZ_CASE_X, GS__CHANGE__BODY_ACK,
	    "民警已到场"), FZ_H(k++), "p-ack", fz_next());
	fz_seal(FZ_P, fz_d_resolve(&d, FZ_CASE_X, GS__OUTCOME__SOLVED),
	    FZ_H(k++), "p-resolve", fz_next());
	fz_seal(FZ_C, fz_d_followup(&d, FZ_CASE_X,
	    GS__SATISFACTION__SATISFIED), FZ_H(k++), "c-followup", fz_next());

	/* Y's dispute, mediated in the village; the county supervises it
	 * first. */
	fz_seal(FZ_Y, fz_d_report(&d, FZ_CASE_Y, "neighbor", "宅基地边界纠纷",
	    GS__SEVERITY__SIMPLE), FZ_H(k++), "y-report", fz_next());
	fz_seal(FZ_Q, fz_d_body(&d, FZ_CASE_Y, GS__CHANGE__BODY_SUPERVISE,
	    "请尽快调解"), FZ_H(k++), "q-supervise", fz_next());
	fz_seal(FZ_Y, fz_d_resolve(&d, FZ_CASE_Y, GS__OUTCOME__MEDIATED),
	    FZ_H(k++), "y-resolve", fz_next());

	/* The town assigns a task down to X; X passes it back up, the town
	 * returns it. */
	fz_seal(FZ_C, fz_d_report(&d, FZ_CASE_T, "environment", "清理河道垃圾",
	    GS__SEVERITY__SIMPLE), FZ_H(k++), "c-task", fz_next());
	fz_seal(FZ_X, fz_d_body(&d, FZ_CASE_T, GS__CHANGE__BODY_WHISTLE,
	    "需要镇里协调"), FZ_H(k++), "x-whistle-task", fz_next());
	fz_seal(FZ_C, fz_d_body(&d, FZ_CASE_T, GS__CHANGE__BODY_RETURN,
	    "属村级事项"), FZ_H(k++), "c-return", fz_next());

	/* A notice from the town and the villages' receipts. */
	fz_d_init(&d, NULL);
	d.notice.title = fz_unconst("防汛紧急通知");
	d.notice.body = fz_unconst("各村于今晚八点前完成排查。");
	d.ch.body_case = GS__CHANGE__BODY_NOTICE;
	d.ch.notice = &d.notice;
	fz_seal(FZ_C, &d.ch, FZ_H(k++), "c-notice", fz_next());
	memcpy(fz_notice_id, fz_hist[fz_nhist - 1].id, GS_ID_BYTES);
	for (int who = FZ_X; who <= FZ_Y; who++) {
		fz_d_init(&d, NULL);
		memcpy(d.ref, fz_notice_id, GS_ID_BYTES);
		d.receipt.notice.data = d.ref;
		d.receipt.notice.len = GS_ID_BYTES;
		d.receipt.issuer = fz_unconst("q/c");
		d.receipt.note = fz_unconst("已阅");
		d.ch.body_case = GS__CHANGE__BODY_RECEIPT;
		d.ch.receipt = &d.receipt;
		fz_seal(who, &d.ch, FZ_H(k++), who == FZ_X ? "x-receipt" :
		    "y-receipt", fz_next());
	}

	/* The town's rollup of X's day, and X's monthly check report. */
	fz_d_init(&d, NULL);
	d.rollup.period = fz_unconst("2023-11-14");
	d.rollup.subject = fz_unconst("q/c/x");
	d.count[0].name = fz_unconst("safety.received");
	d.count[0].value = 1;
	d.count[1].name = fz_unconst("safety.settled");
	d.count[1].value = 1;
	d.countp[0] = &d.count[0];
	d.countp[1] = &d.count[1];
	d.rollup.counts = d.countp;
	d.rollup.n_counts = 2;
	d.ch.body_case = GS__CHANGE__BODY_ROLLUP;
	d.ch.rollup = &d.rollup;
	fz_seal(FZ_C, &d.ch, FZ_H(k++), "c-rollup", fz_next());
	fz_d_init(&d, NULL);
	d.check.period = fz_unconst("2023-11");
	d.check.found = 2;
	d.check.note = fz_unconst("排查出两处隐患");
	d.ch.body_case = GS__CHANGE__BODY_CHECK;
	d.ch.check = &d.check;
	fz_seal(FZ_X, &d.ch, FZ_H(k++), "x-check", fz_next());

	/* Later changes of X that no scratch store holds. */
	fz_seal(FZ_X, fz_d_report(&d, FZ_CASE_X2, "livelihood", "低保申请咨询",
	    GS__SEVERITY__SIMPLE), FZ_H(k++), "x-report-2", &fz_more[fz_nmore++]);
	fz_seal(FZ_X, fz_d_body(&d, FZ_CASE_X2, GS__CHANGE__BODY_WHISTLE,
	    "需镇民政办审核"), FZ_H(k++), "x-whistle-2", &fz_more[fz_nmore++]);
	fz_seal(FZ_X, fz_d_body(&d, FZ_CASE_X, GS__CHANGE__BODY_REOPEN,
	    "路面再次塌陷"), FZ_H(k++), "x-reopen", &fz_more[fz_nmore++]);
}

/* ---- scratch directories and nodes ---- */

static inline int
fz_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline void
fz_rm_rf(const char *dir)
{
	(void)nftw(dir, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char fz_base[128];

static inline void
fz_cleanup(void)
{
	if (fz_base[0] != '\0')
		fz_rm_rf(fz_base);
}

/* Makes the harness's scratch directory, in memory when /dev/shm is
 * there; removed at exit (not after a crash: its name says whose it is). */
static inline const char *
fz_tmpdir(const char *name)
{
	const char *root = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	snprintf(fz_base, sizeof(fz_base), "%s/gs_fuzz_%s.XXXXXX", root, name);
	if (mkdtemp(fz_base) == NULL)
		fz_die("mkdtemp", errno);
	atexit(fz_cleanup);
	return fz_base;
}

/* Applies envelopes in one committed transaction; each must be applied. */
static inline void
fz_apply(gs_node *n, const struct fz_env *e, size_t k)
{
	struct gs_apply_result res[FZ_HIST_MAX];
	const uint8_t *bufs[FZ_HIST_MAX];
	size_t lens[FZ_HIST_MAX];
	gs_txn *t = NULL;
	int rc;

	if (k > FZ_HIST_MAX)
		fz_die("fz_apply: too many", E2BIG);
	for (size_t i = 0; i < k; i++) {
		bufs[i] = e[i].buf;
		lens[i] = e[i].len;
	}
	if ((rc = gs_txn_begin(gs_node_store(n), 1, &t)) != 0 ||
	    (rc = gs_apply_batch(n, t, bufs, lens, k, res, NULL)) != 0 ||
	    (rc = gs_txn_commit(&t)) != 0)
		fz_die("fz_apply", rc);
	for (size_t i = 0; i < k; i++)
		if (res[i].status != GS_APPLIED) {
			fprintf(stderr, "fuzz set-up: %s: status %d %s\n",
			    e[i].name, (int)res[i].status, res[i].reason);
			abort();
		}
}

/* Makes a node in dir at who's path with who's key and epoch, trusting
 * Q; with Members (the first five of fz_hist) or the whole history
 * applied when hist is 5 or fz_nhist, none when 0. Returns it open. */
static inline gs_node *
fz_node_make(const char *dir, int who, size_t hist)
{
	char kf[PATH_MAX];
	gs_node *n = NULL;
	gs_txn *t = NULL;
	int fd, rc;

	if ((rc = gs_node_create(dir, fz_id[who].path, fz_id[FZ_Q].pk, FZ_MAP,
	    &n)) != 0)
		fz_die("gs_node_create", rc);
	/* The random key and epoch gs_node_create chose give way to the
	 * identity's fixed ones, so seeds that name them match. */
	if ((rc = gs_txn_begin(gs_node_store(n), 1, &t)) != 0 ||
	    (rc = gs_meta_put_bytes(t, "key", fz_id[who].pk, GS_KEY_BYTES)) != 0 ||
	    (rc = gs_meta_put_bytes(t, "epoch", fz_id[who].epoch,
	    GS_EPOCH_BYTES)) != 0 || (rc = gs_txn_commit(&t)) != 0)
		fz_die("fz_node_make: meta", rc);
	gs_node_close(&n);
	snprintf(kf, sizeof(kf), "%s/%s", dir, GS_NODE_KEY_FILE);
	if ((fd = open(kf, O_WRONLY | O_TRUNC)) < 0 ||
	    write(fd, fz_id[who].sk, GS_SECRET_BYTES) != GS_SECRET_BYTES ||
	    close(fd) != 0)
		fz_die("fz_node_make: node.key", errno);
	if ((rc = gs_node_open(dir, FZ_MAP, &n)) != 0)
		fz_die("gs_node_open", rc);
	if (hist > 0)
		fz_apply(n, fz_hist, hist);
	return n;
}

/* The files of a closed node directory (data.mdb, node.key, the own.seq
 * mark, ...), held in memory. lock.mdb is left alone: LMDB rebuilds its
 * reader table on the next open. */
#define FZ_SNAP_FILES 8

struct fz_snap {
	char     name[FZ_SNAP_FILES][64];
	uint8_t *data[FZ_SNAP_FILES];
	size_t   len[FZ_SNAP_FILES];
	size_t   n;
};

static inline uint8_t *
fz_read_file(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *b;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) != 0)
		fz_die(path, errno);
	*len = (size_t)st.st_size;
	if ((b = malloc(*len ? *len : 1)) == NULL)
		fz_die("malloc", ENOMEM);
	if (read(fd, b, *len) != (ssize_t)*len)
		fz_die(path, EIO);
	close(fd);
	return b;
}

static inline void
fz_write_file(const char *path, const uint8_t *b, size_t len)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    write(fd, b, len) != (ssize_t)len || close(fd) != 0)
		fz_die(path, errno);
}

static inline bool
fz_snap_skip(const struct dirent *d)
{
	return d->d_type != DT_REG || strcmp(d->d_name, "lock.mdb") == 0;
}

static inline void
fz_snap_save(const char *dir, struct fz_snap *s)
{
	char p[PATH_MAX];
	struct dirent *d;
	DIR *dp;

	memset(s, 0, sizeof(*s));
	if ((dp = opendir(dir)) == NULL)
		fz_die(dir, errno);
	while ((d = readdir(dp)) != NULL) {
		if (fz_snap_skip(d))
			continue;
		if (s->n == FZ_SNAP_FILES ||
		    strlen(d->d_name) >= sizeof(s->name[0]))
			fz_die("fz_snap_save: too many files", E2BIG);
		snprintf(s->name[s->n], sizeof(s->name[0]), "%s", d->d_name);
		snprintf(p, sizeof(p), "%s/%s", dir, d->d_name);
		s->data[s->n] = fz_read_file(p, &s->len[s->n]);
		s->n++;
	}
	closedir(dp);
}

/* Puts a saved node directory back, removing files made since; the node
 * must be closed. */
static inline void
fz_snap_restore(const char *dir, const struct fz_snap *s)
{
	char p[PATH_MAX];
	struct dirent *d;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL)
		fz_die(dir, errno);
	while ((d = readdir(dp)) != NULL) {
		bool saved = false;

		if (fz_snap_skip(d))
			continue;
		for (size_t i = 0; i < s->n; i++)
			saved |= strcmp(s->name[i], d->d_name) == 0;
		snprintf(p, sizeof(p), "%s/%s", dir, d->d_name);
		if (!saved && unlink(p) != 0)
			fz_die(p, errno);
	}
	closedir(dp);
	for (size_t i = 0; i < s->n; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, s->name[i]);
		fz_write_file(p, s->data[i], s->len[i]);
	}
}

/* Sets the environment every harness runs in. */
static inline void
fz_env_setup(void)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)FZ_NOW_MS);
	setenv("GRIDNODE_NOW_MS", buf, 1);
	setenv("GRIDNODE_ACTOR", "fuzz", 1);
	setenv("USER", "fuzz", 1);
	unsetenv("GRIDNODE_DATA");
}

/* The start of every harness that needs the world: libsodium, the
 * environment, the world's keys and changes; returns its temp dir. */
static inline const char *
fz_start(const char *name)
{
	if (sodium_init() < 0)
		fz_die("sodium_init", EIO);
	fz_env_setup();
	fz_world();
	return fz_tmpdir(name);
}

/* Reads a big-endian u16 length and that many bytes from *p (n left);
 * false when not even a length is left. */
static inline bool
fz_take(const uint8_t **p, size_t *n, const uint8_t **rec, size_t *len)
{
	size_t l;

	if (*n < 2)
		return false;
	l = (size_t)(*p)[0] << 8 | (*p)[1];
	/* A last record cut short is taken as it is: more inputs mean
	 * something. */
	if (l > *n - 2)
		l = *n - 2;
	*rec = *p + 2;
	*len = l;
	*p += 2 + l;
	*n -= 2 + l;
	return true;
}

#endif
