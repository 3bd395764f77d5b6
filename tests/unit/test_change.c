/*
 * test_change.c: sealing, decoding, verifying and validating changes, the
 * category table, and the golden envelope vector.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "gs/category.h"
#include "gs/change.h"
#include "gs/error.h"
#include "gs/hlc.h"
#include "gs/stats.h"
#include "gridsync.pb-c.h"
#include "gs_test.h"

#ifndef GS_VECTORS_DIR
#define GS_VECTORS_DIR "tests/vectors"	/* relative to the repo root */
#endif

#define CASE_ID  "qianyang/cuimu/xiazhai#01JD3Z8K5Q4R6S7T8V9W0XYZAB"
#define T0       1700000000000ull

static uint8_t pk[GS_KEY_BYTES], sk[GS_SECRET_BYTES];
static uint8_t pk2[GS_KEY_BYTES], sk2[GS_SECRET_BYTES];

/* A change of any kind with every field filled, on the stack. */
struct fixture {
	Gs__Change	 c;
	Gs__Member	 member;
	Gs__Revoke	 revoke;
	Gs__Report	 report;
	Gs__Progress	 progress;
	Gs__Whistle	 whistle;
	Gs__Return	 ret;
	Gs__Dispatch	 dispatch;
	Gs__Ack		 ack;
	Gs__Resolve	 resolve;
	Gs__FollowUp	 followup;
	Gs__Reopen	 reopen;
	Gs__Supervise	 supervise;
	Gs__Notice	 notice;
	Gs__Rollup	 rollup;
	Gs__RollupCount	 counts[2];
	Gs__RollupCount	*countp[2];
	Gs__Receipt	 receipt;
	Gs__Check	 check;
	uint8_t		 notice_id[GS_ID_BYTES];
	uint8_t		 prev[GS_ID_BYTES];
	uint8_t		 key[GS_KEY_BYTES];
};

static const int all_kinds[] = {
	GS__CHANGE__BODY_MEMBER, GS__CHANGE__BODY_REVOKE,
	GS__CHANGE__BODY_REPORT, GS__CHANGE__BODY_PROGRESS,
	GS__CHANGE__BODY_WHISTLE, GS__CHANGE__BODY_RETURN,
	GS__CHANGE__BODY_DISPATCH, GS__CHANGE__BODY_ACK,
	GS__CHANGE__BODY_RESOLVE, GS__CHANGE__BODY_FOLLOWUP,
	GS__CHANGE__BODY_REOPEN, GS__CHANGE__BODY_SUPERVISE,
	GS__CHANGE__BODY_NOTICE, GS__CHANGE__BODY_ROLLUP,
	GS__CHANGE__BODY_RECEIPT, GS__CHANGE__BODY_CHECK,
};
#define NKINDS (sizeof(all_kinds) / sizeof(all_kinds[0]))

static void
fixture_init(struct fixture *f, int kind, const uint8_t *origin)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	gs__change__init(&f->c);
	for (i = 0; i < GS_ID_BYTES; i++)
		f->prev[i] = (uint8_t)(0xa0 + i);
	for (i = 0; i < GS_KEY_BYTES; i++)
		f->key[i] = (uint8_t)(0x40 + i);
	f->c.version = GS_CHANGE_VERSION;
	f->c.origin.data = (uint8_t *)(uintptr_t)origin;
	f->c.origin.len = GS_KEY_BYTES;
	f->c.seq = 7;
	f->c.prev.data = f->prev;
	f->c.prev.len = GS_ID_BYTES;
	f->c.hlc = GS_HLC_MAKE(T0, 3);
	f->c.actor = "王小明";
	f->c.signer = "qianyang/cuimu/xiazhai";
	f->c.case_id = gs_change_is_case_kind(kind) ? CASE_ID : "";
	f->c.body_case = (Gs__Change__BodyCase)kind;
	switch (kind) {
	case GS__CHANGE__BODY_MEMBER:
		gs__member__init(&f->member);
		f->member.path = "qianyang/cuimu/xiazhai";
		f->member.key.data = f->key;
		f->member.key.len = GS_KEY_BYTES;
		f->c.member = &f->member;
		break;
	case GS__CHANGE__BODY_REVOKE:
		gs__revoke__init(&f->revoke);
		f->revoke.key.data = f->key;
		f->revoke.key.len = GS_KEY_BYTES;
		f->revoke.after_seq = 41;
		f->revoke.reason = "终端丢失";
		f->revoke.path = "qianyang/cuimu/dongcun";
		f->c.revoke = &f->revoke;
		break;
	case GS__CHANGE__BODY_REPORT:
		gs__report__init(&f->report);
		f->report.category = "neighbor";
		f->report.title = "张家与李家宅基地边界争议";
		f->report.description = "两家因院墙位置发生口角，需村委调解。";
		f->report.grid = "第三网格";
		f->report.reporter = "张大爷";
		f->report.severity = GS__SEVERITY__COMPLEX;
		f->c.report = &f->report;
		break;
	case GS__CHANGE__BODY_PROGRESS:
		gs__progress__init(&f->progress);
		f->progress.note = "已上门调解一次";
		f->c.progress = &f->progress;
		break;
	case GS__CHANGE__BODY_WHISTLE:
		gs__whistle__init(&f->whistle);
		f->whistle.reason = "村级调解不成";
		f->c.whistle = &f->whistle;
		break;
	case GS__CHANGE__BODY_RETURN:
		gs__return__init(&f->ret);
		f->ret.reason = "属村级事项";
		f->c.return_ = &f->ret;
		break;
	case GS__CHANGE__BODY_DISPATCH:
		gs__dispatch__init(&f->dispatch);
		f->dispatch.department = "qianyang/cuimu/@police";
		f->dispatch.ack_deadline_ms = T0 + 1800000;
		f->dispatch.resolve_deadline_ms = T0 + 86400000;
		f->dispatch.note = "请派出所协助";
		f->c.dispatch = &f->dispatch;
		break;
	case GS__CHANGE__BODY_ACK:
		gs__ack__init(&f->ack);
		f->ack.note = "已报到";
		f->c.ack = &f->ack;
		break;
	case GS__CHANGE__BODY_RESOLVE:
		gs__resolve__init(&f->resolve);
		f->resolve.outcome = GS__OUTCOME__MEDIATED;
		f->resolve.note = "双方达成协议";
		f->c.resolve = &f->resolve;
		break;
	case GS__CHANGE__BODY_FOLLOWUP:
		gs__follow_up__init(&f->followup);
		f->followup.satisfaction = GS__SATISFACTION__BASIC;
		f->followup.note = "基本满意";
		f->c.followup = &f->followup;
		break;
	case GS__CHANGE__BODY_REOPEN:
		gs__reopen__init(&f->reopen);
		f->reopen.reason = "协议未履行";
		f->c.reopen = &f->reopen;
		break;
	case GS__CHANGE__BODY_SUPERVISE:
		gs__supervise__init(&f->supervise);
		f->supervise.note = "逾期未办，请加快";
		f->c.supervise = &f->supervise;
		break;
	case GS__CHANGE__BODY_NOTICE:
		gs__notice__init(&f->notice);
		f->notice.title = "防汛通知";
		f->notice.body = "各村做好防汛准备。";
		f->c.notice = &f->notice;
		break;
	case GS__CHANGE__BODY_ROLLUP:
		gs__rollup__init(&f->rollup);
		f->rollup.period = "2023-11-14";
		f->rollup.subject = "qianyang/cuimu/xiazhai";
		for (i = 0; i < 2; i++) {
			gs__rollup_count__init(&f->counts[i]);
			f->countp[i] = &f->counts[i];
		}
		f->counts[0].name = "neighbor.received";
		f->counts[0].value = 12;
		f->counts[1].name = "neighbor.settled";
		f->counts[1].value = 9;
		f->rollup.n_counts = 2;
		f->rollup.counts = f->countp;
		f->c.rollup = &f->rollup;
		break;
	case GS__CHANGE__BODY_RECEIPT:
		gs__receipt__init(&f->receipt);
		for (i = 0; i < GS_ID_BYTES; i++)
			f->notice_id[i] = (uint8_t)(0x60 + i);
		f->receipt.notice.data = f->notice_id;
		f->receipt.notice.len = GS_ID_BYTES;
		f->receipt.issuer = "qianyang";
		f->receipt.note = "已阅，村两委已传达";
		f->c.receipt = &f->receipt;
		break;
	case GS__CHANGE__BODY_CHECK:
		gs__check__init(&f->check);
		f->check.period = "2023-11";
		f->check.found = 3;
		f->check.note = "排查矛盾纠纷三起";
		f->c.check = &f->check;
		break;
	default:
		break;
	}
}

/* Packs and signs without validating, as a hostile peer could. */
static void
seal_raw(const Gs__Change *c, const uint8_t *origin, const uint8_t *secret,
    uint8_t **env, size_t *env_len)
{
	Gs__Envelope e = GS__ENVELOPE__INIT;
	uint8_t sig[GS_SIG_BYTES];
	uint8_t *cb;
	size_t cl;

	cl = gs__change__get_packed_size(c);
	GS_CHECK((cb = malloc(cl)) != NULL);
	gs__change__pack(c, cb);
	crypto_sign_detached(sig, NULL, cb, cl, secret);
	e.origin.data = (uint8_t *)(uintptr_t)origin;
	e.origin.len = GS_KEY_BYTES;
	e.change.data = cb;
	e.change.len = cl;
	e.sig.data = sig;
	e.sig.len = GS_SIG_BYTES;
	*env_len = gs__envelope__get_packed_size(&e);
	GS_CHECK((*env = malloc(*env_len)) != NULL);
	gs__envelope__pack(&e, *env);
	free(cb);
}

/* Re-packs an envelope with its three fields given explicitly. */
static void
pack_envelope(const uint8_t *origin, size_t olen, const uint8_t *change,
    size_t clen, const uint8_t *sig, size_t slen, uint8_t **env,
    size_t *env_len)
{
	Gs__Envelope e = GS__ENVELOPE__INIT;

	e.origin.data = (uint8_t *)(uintptr_t)origin;
	e.origin.len = olen;
	e.change.data = (uint8_t *)(uintptr_t)change;
	e.change.len = clen;
	e.sig.data = (uint8_t *)(uintptr_t)sig;
	e.sig.len = slen;
	*env_len = gs__envelope__get_packed_size(&e);
	GS_CHECK((*env = malloc(*env_len)) != NULL);
	gs__envelope__pack(&e, *env);
}

/* Decodes bytes from the wire through the whole order; returns the code. */
static int
decode_all(const uint8_t *buf, size_t len, Gs__Change **out,
    const char **why)
{
	gs_envelope e;
	int rc;

	*out = NULL;
	*why = NULL;
	if ((rc = gs_envelope_decode(buf, len, &e)) != 0)
		return rc;
	if ((rc = gs_envelope_verify(&e)) == 0)
		rc = gs_change_decode(&e, out, why);
	gs_envelope_clear(&e);
	return rc;
}

static int
validate(const struct fixture *f, const char **why)
{
	return gs_change_validate(&f->c, why);
}

/* Validation refuses with exactly `want_why`, and so does seal. */
static void
check_invalid(const struct fixture *f, const char *want_why, int line)
{
	const char *why = NULL;
	uint8_t *env = (uint8_t *)1, id[GS_ID_BYTES];
	size_t len = 1;
	int rc;

	rc = validate(f, &why);
	if (rc != GS_EINVAL || why == NULL || strcmp(why, want_why) != 0) {
		fprintf(stderr, "line %d: validate == %d \"%s\", want %d "
		    "\"%s\"\n", line, rc, why ? why : "(null)", GS_EINVAL,
		    want_why);
		exit(1);
	}
	memset(id, 0xee, sizeof(id));
	why = NULL;
	GS_CHECK_EQ(gs_change_seal(&f->c, sk, &env, &len, id, &why),
	    GS_EINVAL);
	GS_CHECK_STR(why, want_why);
	GS_CHECK(env == NULL);
	GS_CHECK_EQ(len, 0);
	GS_CHECK(sodium_is_zero(id, sizeof(id)));
}
#define CHECK_INVALID(f, w) check_invalid((f), (w), __LINE__)

static void
check_valid(const struct fixture *f, int line)
{
	const char *why = NULL;
	int rc = validate(f, &why);

	if (rc != 0) {
		fprintf(stderr, "line %d: validate == %d \"%s\", want 0\n",
		    line, rc, why ? why : "(null)");
		exit(1);
	}
	GS_CHECK(why == NULL);
}
#define CHECK_VALID(f) check_valid((f), __LINE__)

static char *
repeat(const char *unit, size_t times)
{
	size_t ul = strlen(unit), i;
	char *s;

	GS_CHECK((s = malloc(ul * times + 1)) != NULL);
	for (i = 0; i < times; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * times] = '\0';
	return s;
}

static void
test_roundtrip_every_kind(void)
{
	struct fixture f;
	Gs__Change *d;
	gs_envelope e;
	uint8_t *env, id[GS_ID_BYTES], want[GS_ID_BYTES];
	const char *why;
	size_t len, i;

	for (i = 0; i < NKINDS; i++) {
		int kind = all_kinds[i];

		fixture_init(&f, kind, pk);
		why = "unset";
		GS_CHECK_EQ(gs_change_seal(&f.c, sk, &env, &len, id, &why), 0);
		GS_CHECK(why == NULL);
		GS_CHECK(env != NULL && len > 0 && len <= GS_ENVELOPE_MAX_BYTES);

		GS_CHECK_EQ(gs_envelope_decode(env, len, &e), 0);
		GS_CHECK_EQ(gs_envelope_verify(&e), 0);
		GS_CHECK(memcmp(e.origin, pk, GS_KEY_BYTES) == 0);
		GS_CHECK(memcmp(e.id, id, GS_ID_BYTES) == 0);
		crypto_generichash(want, sizeof(want), e.change, e.change_len,
		    NULL, 0);
		GS_CHECK(memcmp(id, want, GS_ID_BYTES) == 0);
		GS_CHECK_EQ(e.change_len, gs__change__get_packed_size(&f.c));

		GS_CHECK_EQ(gs_change_decode(&e, &d, &why), 0);
		GS_CHECK(why == NULL);
		GS_CHECK(d != NULL);
		GS_CHECK_EQ(d->version, GS_CHANGE_VERSION);
		GS_CHECK_EQ(d->origin.len, GS_KEY_BYTES);
		GS_CHECK(memcmp(d->origin.data, pk, GS_KEY_BYTES) == 0);
		GS_CHECK_EQ(d->seq, 7);
		GS_CHECK_EQ(d->prev.len, GS_ID_BYTES);
		GS_CHECK(memcmp(d->prev.data, f.prev, GS_ID_BYTES) == 0);
		GS_CHECK_EQ(d->hlc, GS_HLC_MAKE(T0, 3));
		GS_CHECK_STR(d->actor, "王小明");
		GS_CHECK_STR(d->case_id, gs_change_is_case_kind(kind) ?
		    CASE_ID : "");
		GS_CHECK_EQ(d->body_case, kind);

		switch (kind) {
		case GS__CHANGE__BODY_MEMBER:
			GS_CHECK_STR(d->member->path, "qianyang/cuimu/xiazhai");
			GS_CHECK_EQ(d->member->key.len, GS_KEY_BYTES);
			GS_CHECK(memcmp(d->member->key.data, f.key,
			    GS_KEY_BYTES) == 0);
			break;
		case GS__CHANGE__BODY_REVOKE:
			GS_CHECK_EQ(d->revoke->key.len, GS_KEY_BYTES);
			GS_CHECK(memcmp(d->revoke->key.data, f.key,
			    GS_KEY_BYTES) == 0);
			GS_CHECK_EQ(d->revoke->after_seq, 41);
			GS_CHECK_STR(d->revoke->reason, "终端丢失");
			break;
		case GS__CHANGE__BODY_REPORT:
			GS_CHECK_STR(d->report->category, "neighbor");
			GS_CHECK_STR(d->report->title,
			    "张家与李家宅基地边界争议");
			GS_CHECK_STR(d->report->description,
			    "两家因院墙位置发生口角，需村委调解。");
			GS_CHECK_STR(d->report->grid, "第三网格");
			GS_CHECK_STR(d->report->reporter, "张大爷");
			GS_CHECK_EQ(d->report->severity, GS__SEVERITY__COMPLEX);
			break;
		case GS__CHANGE__BODY_PROGRESS:
			GS_CHECK_STR(d->progress->note, "已上门调解一次");
			break;
		case GS__CHANGE__BODY_WHISTLE:
			GS_CHECK_STR(d->whistle->reason, "村级调解不成");
			break;
		case GS__CHANGE__BODY_RETURN:
			GS_CHECK_STR(d->return_->reason, "属村级事项");
			break;
		case GS__CHANGE__BODY_DISPATCH:
			GS_CHECK_STR(d->dispatch->department,
			    "qianyang/cuimu/@police");
			GS_CHECK_EQ(d->dispatch->ack_deadline_ms, T0 + 1800000);
			GS_CHECK_EQ(d->dispatch->resolve_deadline_ms,
			    T0 + 86400000);
			GS_CHECK_STR(d->dispatch->note, "请派出所协助");
			break;
		case GS__CHANGE__BODY_ACK:
			GS_CHECK_STR(d->ack->note, "已报到");
			break;
		case GS__CHANGE__BODY_RESOLVE:
			GS_CHECK_EQ(d->resolve->outcome, GS__OUTCOME__MEDIATED);
			GS_CHECK_STR(d->resolve->note, "双方达成协议");
			break;
		case GS__CHANGE__BODY_FOLLOWUP:
			GS_CHECK_EQ(d->followup->satisfaction,
			    GS__SATISFACTION__BASIC);
			GS_CHECK_STR(d->followup->note, "基本满意");
			break;
		case GS__CHANGE__BODY_REOPEN:
			GS_CHECK_STR(d->reopen->reason, "协议未履行");
			break;
		case GS__CHANGE__BODY_SUPERVISE:
			GS_CHECK_STR(d->supervise->note, "逾期未办，请加快");
			break;
		case GS__CHANGE__BODY_NOTICE:
			GS_CHECK_STR(d->notice->title, "防汛通知");
			GS_CHECK_STR(d->notice->body, "各村做好防汛准备。");
			break;
		case GS__CHANGE__BODY_ROLLUP:
			GS_CHECK_STR(d->rollup->period, "2023-11-14");
			GS_CHECK_STR(d->rollup->subject,
			    "qianyang/cuimu/xiazhai");
			GS_CHECK_EQ(d->rollup->n_counts, 2);
			GS_CHECK_STR(d->rollup->counts[0]->name,
			    "neighbor.received");
			GS_CHECK_EQ(d->rollup->counts[0]->value, 12);
			GS_CHECK_STR(d->rollup->counts[1]->name,
			    "neighbor.settled");
			GS_CHECK_EQ(d->rollup->counts[1]->value, 9);
			break;
		case GS__CHANGE__BODY_RECEIPT:
			GS_CHECK_EQ(d->receipt->notice.len, GS_ID_BYTES);
			GS_CHECK(memcmp(d->receipt->notice.data, f.notice_id,
			    GS_ID_BYTES) == 0);
			GS_CHECK_STR(d->receipt->issuer, "qianyang");
			GS_CHECK_STR(d->receipt->note, "已阅，村两委已传达");
			break;
		case GS__CHANGE__BODY_CHECK:
			GS_CHECK_STR(d->check->period, "2023-11");
			GS_CHECK_EQ(d->check->found, 3);
			GS_CHECK_STR(d->check->note, "排查矛盾纠纷三起");
			break;
		default:
			GS_CHECK(0);
		}
		gs_change_free(&d);
		GS_CHECK(d == NULL);
		gs_change_free(&d);	/* harmless twice */
		gs_envelope_clear(&e);
		GS_CHECK(e.msg == NULL && e.change == NULL &&
		    e.change_len == 0);
		gs_envelope_clear(&e);	/* harmless twice */
		free(env);
	}
}

static void
test_seal_first_change(void)
{
	struct fixture f;
	Gs__Change *d;
	uint8_t *env, id[GS_ID_BYTES];
	const char *why;
	size_t len;

	fixture_init(&f, GS__CHANGE__BODY_MEMBER, pk);
	f.c.seq = 1;
	f.c.prev.data = NULL;
	f.c.prev.len = 0;
	f.c.actor = "";
	GS_CHECK_EQ(gs_change_seal(&f.c, sk, &env, &len, id, NULL), 0);
	GS_CHECK_EQ(decode_all(env, len, &d, &why), 0);
	GS_CHECK_EQ(d->seq, 1);
	GS_CHECK_EQ(d->prev.len, 0);
	GS_CHECK_STR(d->actor, "");
	gs_change_free(&d);
	free(env);
}

static void
test_seal_refuses_foreign_origin(void)
{
	struct fixture f;
	uint8_t *env = NULL, id[GS_ID_BYTES];
	const char *why = NULL;
	size_t len = 0;

	fixture_init(&f, GS__CHANGE__BODY_REPORT, pk);
	GS_CHECK_EQ(gs_change_seal(&f.c, sk2, &env, &len, id, &why),
	    GS_EINVAL);
	GS_CHECK_STR(why, "change origin differs from signing key");
	GS_CHECK(env == NULL);
	GS_CHECK_EQ(len, 0);
}

static void
test_unknown_fields_refused(void)
{
	struct fixture f;
	ProtobufCMessageUnknownField uf;
	uint8_t *env = (uint8_t *)1, id[GS_ID_BYTES], junk[101];
	const char *why = NULL;
	size_t len = 1;

	/*
	 * No valid change comes near the size cap on its own fields; only an
	 * unknown field could, and a field this version does not know is
	 * refused whatever its size (it would be stored and forwarded
	 * unread; a new field means a new Change.version).
	 */
	fixture_init(&f, GS__CHANGE__BODY_REPORT, pk);
	memset(junk, 0, sizeof(junk));
	junk[0] = 99;
	uf.tag = 99;
	uf.wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
	uf.len = 100;
	uf.data = junk;
	f.c.base.n_unknown_fields = 1;
	f.c.base.unknown_fields = &uf;
	GS_CHECK_EQ(gs_change_seal(&f.c, sk, &env, &len, id, &why), GS_EINVAL);
	GS_CHECK_STR(why, "change has fields this version does not know");
	GS_CHECK(env == NULL);
	GS_CHECK_EQ(len, 0);
	GS_CHECK(sodium_is_zero(id, sizeof(id)));
	/* In the body too. */
	f.c.base.n_unknown_fields = 0;
	f.report.base.n_unknown_fields = 1;
	f.report.base.unknown_fields = &uf;
	GS_CHECK_EQ(gs_change_seal(&f.c, sk, &env, &len, id, &why), GS_EINVAL);
	GS_CHECK_STR(why, "change has fields this version does not know");
}

static void
test_tamper(void)
{
	struct fixture f;
	gs_envelope e, t;
	Gs__Change *d;
	uint8_t *env, *env2, *bytes, id[GS_ID_BYTES], want[GS_ID_BYTES];
	const char *why;
	size_t len, len2, i;

	fixture_init(&f, GS__CHANGE__BODY_REPORT, pk);
	GS_CHECK_EQ(gs_change_seal(&f.c, sk, &env, &len, id, NULL), 0);
	GS_CHECK_EQ(gs_envelope_decode(env, len, &e), 0);
	GS_CHECK((bytes = malloc(e.change_len)) != NULL);

	/* Flip each byte of the change in turn: never verifies. */
	for (i = 0; i < e.change_len; i++) {
		memcpy(bytes, e.change, e.change_len);
		bytes[i] ^= 0x01;
		pack_envelope(e.origin, GS_KEY_BYTES, bytes, e.change_len,
		    e.sig, GS_SIG_BYTES, &env2, &len2);
		GS_CHECK_EQ(gs_envelope_decode(env2, len2, &t), 0);
		GS_CHECK_EQ(gs_envelope_verify(&t), GS_EBADSIG);
		/* The id follows the bytes, and so differs. */
		crypto_generichash(want, sizeof(want), bytes, e.change_len,
		    NULL, 0);
		GS_CHECK(memcmp(t.id, want, GS_ID_BYTES) == 0);
		GS_CHECK(memcmp(t.id, id, GS_ID_BYTES) != 0);
		gs_envelope_clear(&t);
		free(env2);
	}

	/* A flipped signature byte. */
	memcpy(bytes, e.sig, GS_SIG_BYTES);
	bytes[17] ^= 0x80;
	pack_envelope(e.origin, GS_KEY_BYTES, e.change, e.change_len, bytes,
	    GS_SIG_BYTES, &env2, &len2);
	GS_CHECK_EQ(gs_envelope_decode(env2, len2, &t), 0);
	GS_CHECK_EQ(gs_envelope_verify(&t), GS_EBADSIG);
	GS_CHECK(memcmp(t.id, id, GS_ID_BYTES) == 0);
	gs_envelope_clear(&t);
	free(env2);

	/* Another key in the envelope: bad signature, and origin mismatch. */
	pack_envelope(pk2, GS_KEY_BYTES, e.change, e.change_len, e.sig,
	    GS_SIG_BYTES, &env2, &len2);
	GS_CHECK_EQ(gs_envelope_decode(env2, len2, &t), 0);
	GS_CHECK_EQ(gs_envelope_verify(&t), GS_EBADSIG);
	GS_CHECK_EQ(gs_change_decode(&t, &d, &why), GS_EINVAL);
	GS_CHECK_STR(why, "change origin differs from envelope key");
	GS_CHECK(d == NULL);
	gs_envelope_clear(&t);
	free(env2);

	free(bytes);
	gs_envelope_clear(&e);
	free(env);

	/* Validly signed by key 2 but claiming key 1 as origin. */
	seal_raw(&f.c, pk2, sk2, &env, &len);
	GS_CHECK_EQ(gs_envelope_decode(env, len, &e), 0);
	GS_CHECK_EQ(gs_envelope_verify(&e), 0);
	d = (Gs__Change *)1;
	GS_CHECK_EQ(gs_change_decode(&e, &d, &why), GS_EINVAL);
	GS_CHECK_STR(why, "change origin differs from envelope key");
	GS_CHECK(d == NULL);
	gs_envelope_clear(&e);
	free(env);

	/* Verify on an empty envelope never says yes. */
	memset(&e, 0, sizeof(e));
	GS_CHECK_EQ(gs_envelope_verify(&e), GS_EBADSIG);
}

static void
test_id(void)
{
	static const uint8_t a[] = "change bytes", b[] = "change bytez";
	uint8_t ida[GS_ID_BYTES], idb[GS_ID_BYTES], want[GS_ID_BYTES];

	gs_change_id(a, sizeof(a) - 1, ida);
	crypto_generichash(want, sizeof(want), a, sizeof(a) - 1, NULL, 0);
	GS_CHECK(memcmp(ida, want, GS_ID_BYTES) == 0);
	gs_change_id(b, sizeof(b) - 1, idb);
	GS_CHECK(memcmp(ida, idb, GS_ID_BYTES) != 0);
}

static void
expect_env(const uint8_t *origin, size_t olen, const uint8_t *change,
    size_t clen, const uint8_t *sig, size_t slen, int want)
{
	gs_envelope e;
	uint8_t *env;
	size_t len;

	pack_envelope(origin, olen, change, clen, sig, slen, &env, &len);
	memset(&e, 0x5a, sizeof(e));
	GS_CHECK_EQ(gs_envelope_decode(env, len, &e), want);
	if (want != 0)
		GS_CHECK(e.msg == NULL && e.change == NULL);
	gs_envelope_clear(&e);
	free(env);
}

static void
test_envelope_bounds(void)
{
	struct fixture f;
	gs_envelope e, t;
	Gs__Change *d;
	const char *why;
	uint8_t *big, *env, *env2, id[GS_ID_BYTES], *chg;
	uint8_t origin[GS_KEY_BYTES + 1] = { 0 }, sig[GS_SIG_BYTES + 1] = { 0 };
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff };
	size_t len, len2, n;

	/* Over the cap: refused before looking inside. */
	GS_CHECK((big = calloc(1, GS_ENVELOPE_MAX_BYTES + 1)) != NULL);
	memset(&e, 0x5a, sizeof(e));
	GS_CHECK_EQ(gs_envelope_decode(big, GS_ENVELOPE_MAX_BYTES + 1, &e),
	    GS_ETOOBIG);
	GS_CHECK(e.msg == NULL && e.change == NULL && e.change_len == 0);
	GS_CHECK_EQ(gs_envelope_decode(big, SIZE_MAX, &e), GS_ETOOBIG);
	/* At the cap it is looked at, and zeroes do not decode. */
	memset(big, 0xff, GS_ENVELOPE_MAX_BYTES);
	GS_CHECK_EQ(gs_envelope_decode(big, GS_ENVELOPE_MAX_BYTES, &e),
	    GS_EBADMSG);
	free(big);

	GS_CHECK_EQ(gs_envelope_decode(garbage, 0, &e), GS_EBADMSG);
	GS_CHECK_EQ(gs_envelope_decode(garbage, sizeof(garbage), &e),
	    GS_EBADMSG);
	GS_CHECK(e.msg == NULL);

	/* Every truncation of a good envelope. */
	fixture_init(&f, GS__CHANGE__BODY_REPORT, pk);
	GS_CHECK_EQ(gs_change_seal(&f.c, sk, &env, &len, id, NULL), 0);
	for (n = 1; n < len; n++) {
		GS_CHECK_EQ(gs_envelope_decode(env, n, &e), GS_EBADMSG);
		GS_CHECK(e.msg == NULL);
	}
	GS_CHECK_EQ(gs_envelope_decode(env, len, &e), 0);

	/* Field lengths: origin 31/33, sig 63/65, change empty or over cap. */
	expect_env(origin, 31, e.change, e.change_len, sig, 64, GS_EBADMSG);
	expect_env(origin, 33, e.change, e.change_len, sig, 64, GS_EBADMSG);
	expect_env(origin, 0, e.change, e.change_len, sig, 64, GS_EBADMSG);
	expect_env(origin, 32, e.change, e.change_len, sig, 63, GS_EBADMSG);
	expect_env(origin, 32, e.change, e.change_len, sig, 65, GS_EBADMSG);
	expect_env(origin, 32, e.change, e.change_len, sig, 0, GS_EBADMSG);
	expect_env(origin, 32, e.change, 0, sig, 64, GS_EBADMSG);
	GS_CHECK((chg = calloc(1, GS_CHANGE_MAX_BYTES + 1)) != NULL);
	expect_env(origin, 32, chg, GS_CHANGE_MAX_BYTES + 1, sig, 64,
	    GS_EBADMSG);
	/* At the change cap the envelope decodes; zeroes do not unpack. */
	pack_envelope(pk, 32, chg, GS_CHANGE_MAX_BYTES, sig, 64, &env2, &len2);
	GS_CHECK(len2 <= GS_ENVELOPE_MAX_BYTES);
	GS_CHECK_EQ(gs_envelope_decode(env2, len2, &t), 0);
	GS_CHECK_EQ(t.change_len, GS_CHANGE_MAX_BYTES);
	GS_CHECK_EQ(gs_envelope_verify(&t), GS_EBADSIG);
	d = (Gs__Change *)1;
	GS_CHECK_EQ(gs_change_decode(&t, &d, &why), GS_EBADMSG);
	GS_CHECK_STR(why, "change does not decode");
	GS_CHECK(d == NULL);
	gs_envelope_clear(&t);
	free(env2);
	free(chg);

	gs_envelope_clear(&e);
	free(env);
}

static void
test_validate_header_fields(void)
{
	struct fixture f;
	uint8_t shortkey[GS_KEY_BYTES - 1] = { 0 };

	fixture_init(&f, GS__CHANGE__BODY_PROGRESS, pk);
	CHECK_VALID(&f);
	GS_CHECK_EQ(gs_change_validate(&f.c, NULL), 0);
	GS_CHECK_EQ(gs_change_validate(NULL, NULL), GS_EINVAL);

	f.c.version = 2;
	CHECK_INVALID(&f, "unsupported version");
	f.c.version = 0;
	CHECK_INVALID(&f, "unsupported version");
	f.c.version = GS_CHANGE_VERSION;

	f.c.origin.data = shortkey;
	f.c.origin.len = sizeof(shortkey);
	CHECK_INVALID(&f, "origin is not 32 bytes");
	f.c.origin.data = pk;
	f.c.origin.len = 0;
	CHECK_INVALID(&f, "origin is not 32 bytes");
	f.c.origin.len = GS_KEY_BYTES;

	f.c.seq = 0;
	CHECK_INVALID(&f, "seq is zero");
	f.c.seq = 2;
	f.c.prev.len = 0;
	CHECK_INVALID(&f, "prev is not 32 bytes");
	f.c.prev.len = GS_ID_BYTES - 1;
	CHECK_INVALID(&f, "prev is not 32 bytes");
	f.c.prev.len = GS_ID_BYTES;
	CHECK_VALID(&f);
	f.c.seq = 1;
	CHECK_INVALID(&f, "prev must be empty for seq 1");
	f.c.prev.len = 0;
	CHECK_VALID(&f);
	f.c.seq = UINT64_MAX;
	f.c.prev.len = GS_ID_BYTES;
	CHECK_VALID(&f);

	f.c.hlc = 0;
	CHECK_INVALID(&f, "hlc is zero");
	f.c.hlc = GS_HLC_MAKE(0, 5);
	CHECK_INVALID(&f, "hlc has no wall time");
	f.c.hlc = GS_HLC_MAKE(1, 0);
	CHECK_VALID(&f);
}

static void
test_validate_body_and_case_id(void)
{
	struct fixture f;
	size_t i;

	/* Missing body, or a body kind with no message behind it. */
	fixture_init(&f, GS__CHANGE__BODY_MEMBER, pk);
	f.c.body_case = GS__CHANGE__BODY__NOT_SET;
	CHECK_INVALID(&f, "no body");
	f.c.body_case = (Gs__Change__BodyCase)99;
	CHECK_INVALID(&f, "no body");
	f.c.body_case = GS__CHANGE__BODY_MEMBER;
	f.c.member = NULL;
	CHECK_INVALID(&f, "no body");

	for (i = 0; i < NKINDS; i++) {
		int kind = all_kinds[i];

		fixture_init(&f, kind, pk);
		CHECK_VALID(&f);
		if (gs_change_is_case_kind(kind)) {
			f.c.case_id = "";
			CHECK_INVALID(&f, "case id missing");
			f.c.case_id = NULL;
			CHECK_INVALID(&f, "case id missing");
			f.c.case_id = "qianyang/cuimu/xiazhai";
			CHECK_INVALID(&f, "case id is malformed");
			f.c.case_id = "qianyang/cuimu/xiazhai#01jd3z8k5q4r6s7t8v9w0xyzab";
			CHECK_INVALID(&f, "case id is malformed");
			f.c.case_id = "Qianyang#01JD3Z8K5Q4R6S7T8V9W0XYZAB";
			CHECK_INVALID(&f, "case id is malformed");
		} else {
			f.c.case_id = CASE_ID;
			CHECK_INVALID(&f,
			    "case id on a kind that is not about a case");
		}
	}
}

static void
test_validate_strings(void)
{
	struct fixture f;
	Gs__Change *d;
	uint8_t *env;
	const char *why;
	char *s;
	size_t len;

	fixture_init(&f, GS__CHANGE__BODY_REPORT, pk);

	/* Title: byte cap, not character cap; present; UTF-8. */
	s = repeat("a", GS_TITLE_MAX_BYTES);
	f.report.title = s;
	CHECK_VALID(&f);
	free(s);
	s = repeat("a", GS_TITLE_MAX_BYTES + 1);
	f.report.title = s;
	CHECK_INVALID(&f, "title too long");
	free(s);
	s = repeat("纠", GS_TITLE_MAX_BYTES / 3);	/* 66 chars, 198 bytes */
	f.report.title = s;
	CHECK_VALID(&f);
	free(s);
	s = repeat("纠", GS_TITLE_MAX_BYTES / 3 + 1);	/* 201 bytes */
	f.report.title = s;
	CHECK_INVALID(&f, "title too long");
	free(s);
	f.report.title = "";
	CHECK_INVALID(&f, "title missing");
	f.report.title = NULL;
	CHECK_INVALID(&f, "title missing");
	f.report.title = "\xc0\xaf";		/* overlong '/' */
	CHECK_INVALID(&f, "title is not valid UTF-8");
	f.report.title = "ab\xed\xa0\x80" "cd";	/* lone surrogate U+D800 */
	CHECK_INVALID(&f, "title is not valid UTF-8");
	f.report.title = "\xff";
	CHECK_INVALID(&f, "title is not valid UTF-8");
	f.report.title = "邻里纠纷：张家与李家";
	CHECK_VALID(&f);

	/* Description: optional, byte cap. */
	s = repeat("x", GS_TEXT_MAX_BYTES);
	f.report.description = s;
	CHECK_VALID(&f);
	free(s);
	s = repeat("x", GS_TEXT_MAX_BYTES + 1);
	f.report.description = s;
	CHECK_INVALID(&f, "description too long");
	free(s);
	f.report.description = "";
	CHECK_VALID(&f);
	f.report.description = "\xe4\xb8";	/* cut in the middle of 中 */
	CHECK_INVALID(&f, "description is not valid UTF-8");
	f.report.description = "说明";

	/* Names. */
	s = repeat("a", GS_NAME_MAX_BYTES);
	f.c.actor = s;
	f.report.grid = s;
	f.report.reporter = s;
	CHECK_VALID(&f);
	free(s);
	s = repeat("a", GS_NAME_MAX_BYTES + 1);
	f.c.actor = s;
	CHECK_INVALID(&f, "actor too long");
	f.c.actor = "网格员";
	f.report.grid = s;
	CHECK_INVALID(&f, "grid too long");
	f.report.grid = "";
	f.report.reporter = s;
	CHECK_INVALID(&f, "reporter too long");
	f.report.reporter = "\x80";
	CHECK_INVALID(&f, "reporter is not valid UTF-8");
	f.report.reporter = "";
	free(s);
	f.c.actor = "\xf4\x90\x80\x80";		/* U+110000 */
	CHECK_INVALID(&f, "actor is not valid UTF-8");
	f.c.actor = "";
	CHECK_VALID(&f);

	/*
	 * Bad UTF-8 that arrives signed from a peer is refused the same way
	 * after the signature checks out.
	 */
	f.report.title = "\xed\xa0\x80";
	seal_raw(&f.c, pk, sk, &env, &len);
	d = (Gs__Change *)1;
	GS_CHECK_EQ(decode_all(env, len, &d, &why), GS_EINVAL);
	GS_CHECK_STR(why, "title is not valid UTF-8");
	GS_CHECK(d == NULL);
	free(env);
	s = repeat("a", GS_TITLE_MAX_BYTES + 1);
	f.report.title = s;
	seal_raw(&f.c, pk, sk, &env, &len);
	GS_CHECK_EQ(decode_all(env, len, &d, &why), GS_EINVAL);
	GS_CHECK_STR(why, "title too long");
	free(env);
	free(s);
}

/* The UTF-8 validator's edges, seen through a note. */
static void
test_utf8_edges(void)
{
	static char *good[] = {
		"plain ASCII\twith tab\nand newline",
		"\xc2\xa0",			/* U+00A0, first after C1 */
		"\xdf\xbf",			/* U+07FF */
		"\xe0\xa0\x80",			/* U+0800 */
		"\xed\x9f\xbf",			/* U+D7FF */
		"\xee\x80\x80",			/* U+E000 */
		"\xef\xbf\xbf",			/* U+FFFF */
		"\xf0\x90\x80\x80",		/* U+10000 */
		"\xf0\x9f\x98\x80",		/* emoji */
		"\xf4\x8f\xbf\xbf",		/* U+10FFFF */
		"调解成功，双方满意",
	};
	static char *bad[] = {
		"\xc0\x80",			/* overlong NUL */
		"\xc1\xbf",			/* overlong */
		"\xe0\x80\xaf",			/* overlong 3-byte '/' */
		"\xe0\x9f\xbf",			/* overlong 3-byte */
		"\xf0\x80\x80\xaf",		/* overlong 4-byte */
		"\xf0\x8f\xbf\xbf",		/* overlong 4-byte */
		"\xed\xa0\x80",			/* U+D800 */
		"\xed\xbf\xbf",			/* U+DFFF */
		"\xf4\x90\x80\x80",		/* U+110000 */
		"\xf5\x80\x80\x80",
		"\xf8\x88\x80\x80\x80",		/* 5-byte form */
		"\xfe", "\xff",
		"\x80", "\xbf",			/* lone continuations */
		"\xc2", "\xe4\xb8", "\xf0\x9f\x98",	/* truncated */
		"\xc2\x41",			/* bad continuation */
		"\xe4\x41\xad",
		"\xf0\x9f\x41\x80",
		"\xf0\x9f\x98\x41",
		"ok then \xe4\xb8",		/* truncated at the end */
	};
	struct fixture f;
	size_t i;

	fixture_init(&f, GS__CHANGE__BODY_PROGRESS, pk);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		f.progress.note = good[i];
		CHECK_VALID(&f);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f.progress.note = bad[i];
		CHECK_INVALID(&f, "note is not valid UTF-8");
	}
}

/* Valid UTF-8 that would drive a terminal when shown: C0 controls other
 * than tab and newline, DEL, and the C1 controls U+0080..U+009F. */
static void
test_validate_controls(void)
{
	static char *bad[] = {
		"\x01", "bell\x07", "\x1b]0;title\x07", "\x1b[2J恶意", "cr\r",
		"del\x7f", "\xc2\x80", "\xc2\x9b" "2J",
	};
	struct fixture f;
	size_t i;

	fixture_init(&f, GS__CHANGE__BODY_PROGRESS, pk);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f.progress.note = bad[i];
		CHECK_INVALID(&f, "note contains control characters");
	}
	f.progress.note = "第一行\n\t第二行";
	CHECK_VALID(&f);
}

static void
test_validate_kinds(void)
{
	struct fixture f;
	uint8_t shortkey[GS_KEY_BYTES - 1] = { 0 };
	Gs__RollupCount many[GS_ROLLUP_COUNTS_MAX + 1];
	Gs__RollupCount *manyp[GS_ROLLUP_COUNTS_MAX + 1];
	char *s;
	size_t i;

	/* Report: category keys only. */
	fixture_init(&f, GS__CHANGE__BODY_REPORT, pk);
	f.report.category = "weather";
	CHECK_INVALID(&f, "unknown category");
	f.report.category = "邻里纠纷";
	CHECK_INVALID(&f, "unknown category");
	f.report.category = "Neighbor";
	CHECK_INVALID(&f, "unknown category");
	f.report.category = "";
	CHECK_INVALID(&f, "category missing");
	f.report.category = "\xff";
	CHECK_INVALID(&f, "category is not valid UTF-8");
	s = repeat("a", GS_NAME_MAX_BYTES + 1);
	f.report.category = s;
	CHECK_INVALID(&f, "category too long");
	free(s);
	f.report.category = "other";
	CHECK_VALID(&f);
	f.report.severity = (Gs__Severity)4;
	CHECK_INVALID(&f, "severity out of range");
	f.report.severity = (Gs__Severity)-1;
	CHECK_INVALID(&f, "severity out of range");
	f.report.severity = GS__SEVERITY__SEVERITY_UNSET;
	CHECK_VALID(&f);
	f.report.severity = GS__SEVERITY__HARD;
	CHECK_VALID(&f);

	/* Member and Revoke. */
	fixture_init(&f, GS__CHANGE__BODY_MEMBER, pk);
	f.member.path = "qianyang/cuimu/@police";
	CHECK_VALID(&f);
	f.member.path = "qianyang";
	CHECK_VALID(&f);
	f.member.path = "Qianyang";
	CHECK_INVALID(&f, "member path is invalid");
	f.member.path = "";
	CHECK_INVALID(&f, "member path is invalid");
	f.member.path = NULL;
	CHECK_INVALID(&f, "member path is invalid");
	f.member.path = "qianyang//cuimu";
	CHECK_INVALID(&f, "member path is invalid");
	f.member.path = "qianyang";
	f.member.key.data = shortkey;
	f.member.key.len = sizeof(shortkey);
	CHECK_INVALID(&f, "member key is not 32 bytes");
	f.member.key.len = 0;
	CHECK_INVALID(&f, "member key is not 32 bytes");

	fixture_init(&f, GS__CHANGE__BODY_REVOKE, pk);
	f.revoke.key.len = 0;
	CHECK_INVALID(&f, "revoke key is not 32 bytes");
	f.revoke.key.len = GS_KEY_BYTES;
	f.revoke.reason = "";
	CHECK_VALID(&f);
	s = repeat("a", GS_TEXT_MAX_BYTES + 1);
	f.revoke.reason = s;
	CHECK_INVALID(&f, "reason too long");
	free(s);

	/* Dispatch goes to a department. */
	fixture_init(&f, GS__CHANGE__BODY_DISPATCH, pk);
	f.dispatch.department = "qianyang/cuimu";
	CHECK_INVALID(&f, "department is not a department path");
	f.dispatch.department = "";
	CHECK_INVALID(&f, "department is not a department path");
	f.dispatch.department = "qianyang/cuimu/@";
	CHECK_INVALID(&f, "department is not a department path");
	f.dispatch.department = "qianyang/@justice";
	f.dispatch.ack_deadline_ms = 0;
	f.dispatch.resolve_deadline_ms = 0;
	CHECK_VALID(&f);

	/* Resolve outcome and follow-up satisfaction must be set. */
	fixture_init(&f, GS__CHANGE__BODY_RESOLVE, pk);
	f.resolve.outcome = GS__OUTCOME__OUTCOME_UNSET;
	CHECK_INVALID(&f, "outcome missing or out of range");
	f.resolve.outcome = (Gs__Outcome)5;
	CHECK_INVALID(&f, "outcome missing or out of range");
	f.resolve.outcome = GS__OUTCOME__UNFOUNDED;
	CHECK_VALID(&f);

	fixture_init(&f, GS__CHANGE__BODY_FOLLOWUP, pk);
	f.followup.satisfaction = GS__SATISFACTION__SATISFACTION_UNSET;
	CHECK_INVALID(&f, "satisfaction missing or out of range");
	f.followup.satisfaction = (Gs__Satisfaction)4;
	CHECK_INVALID(&f, "satisfaction missing or out of range");
	f.followup.satisfaction = GS__SATISFACTION__UNSATISFIED;
	CHECK_VALID(&f);

	/* Return and Reopen need a reason; Whistle may go without. */
	fixture_init(&f, GS__CHANGE__BODY_RETURN, pk);
	f.ret.reason = "";
	CHECK_INVALID(&f, "reason missing");
	fixture_init(&f, GS__CHANGE__BODY_REOPEN, pk);
	f.reopen.reason = NULL;
	CHECK_INVALID(&f, "reason missing");
	fixture_init(&f, GS__CHANGE__BODY_WHISTLE, pk);
	f.whistle.reason = "";
	CHECK_VALID(&f);

	/* Notes. */
	fixture_init(&f, GS__CHANGE__BODY_ACK, pk);
	s = repeat("a", GS_TEXT_MAX_BYTES);
	f.ack.note = s;
	CHECK_VALID(&f);
	free(s);
	s = repeat("a", GS_TEXT_MAX_BYTES + 1);
	f.ack.note = s;
	CHECK_INVALID(&f, "note too long");
	free(s);

	/* Notice. */
	fixture_init(&f, GS__CHANGE__BODY_NOTICE, pk);
	f.notice.title = "";
	CHECK_INVALID(&f, "title missing");
	s = repeat("a", GS_TITLE_MAX_BYTES + 1);
	f.notice.title = s;
	CHECK_INVALID(&f, "title too long");
	free(s);
	f.notice.title = "通知";
	s = repeat("a", GS_TEXT_MAX_BYTES + 1);
	f.notice.body = s;
	CHECK_INVALID(&f, "body too long");
	free(s);

	/* Rollup. */
	fixture_init(&f, GS__CHANGE__BODY_ROLLUP, pk);
	for (i = 0; i <= GS_ROLLUP_COUNTS_MAX; i++) {
		gs__rollup_count__init(&many[i]);
		many[i].name = "neighbor.received";
		many[i].value = 1;
		manyp[i] = &many[i];
	}
	f.rollup.counts = manyp;
	f.rollup.n_counts = GS_ROLLUP_COUNTS_MAX + 1;
	CHECK_INVALID(&f, "too many rollup counts");
	f.rollup.n_counts = 3;
	many[0].value = 5;
	many[1].name = "neighbor.settled";
	many[1].value = 3;
	many[2].name = "marriage.received";
	CHECK_VALID(&f);
	many[1].name = "\xc0\xaf";
	CHECK_INVALID(&f, "count name is not valid UTF-8");
	s = repeat("a", GS_NAME_MAX_BYTES + 1);
	many[1].name = s;
	CHECK_INVALID(&f, "count name too long");
	many[1].name = "ok";
	CHECK_INVALID(&f, "rollup count name is not <category>.<count>");
	many[1].name = "nosuch.received";
	CHECK_INVALID(&f, "rollup count name is not <category>.<count>");
	many[1].name = "neighbor.nosuch";
	CHECK_INVALID(&f, "rollup count name is not <category>.<count>");
	many[1].name = "neighbor.received";
	CHECK_INVALID(&f, "rollup count is repeated or zero");
	many[1].name = "neighbor.settled";
	many[1].value = 0;
	CHECK_INVALID(&f, "rollup count is repeated or zero");
	many[1].value = 6;   /* more settled than received */
	CHECK_INVALID(&f, "rollup counts contradict each other");
	many[0].value = GS_ROLLUP_VALUE_MAX + 1ull;
	CHECK_INVALID(&f, "rollup count is out of range");
	many[0].value = GS_ROLLUP_VALUE_MAX;
	CHECK_VALID(&f);
	f.rollup.subject = "qianyang/cuimu/@police";
	CHECK_INVALID(&f, "rollup's subject is not an area path");
	f.rollup.subject = "";
	CHECK_INVALID(&f, "rollup's subject is not an area path");
	f.rollup.subject = "qianyang/cuimu/xiazhai";
	f.rollup.period = s;
	CHECK_INVALID(&f, "rollup's period is not a day, YYYY-MM-DD");
	free(s);
	f.rollup.period = "2023-11";
	CHECK_INVALID(&f, "rollup's period is not a day, YYYY-MM-DD");
	f.rollup.period = "";
	CHECK_INVALID(&f, "rollup's period is not a day, YYYY-MM-DD");
	f.rollup.period = "2023-11-05";
	CHECK_VALID(&f);
	manyp[2] = NULL;
	CHECK_INVALID(&f, "rollup count missing");
}

static void
test_categories(void)
{
	const struct gs_category *all, *c;
	size_t n;
	static const char *want[][2] = {
		{ "marriage", "婚姻家庭" }, { "neighbor", "邻里纠纷" },
		{ "debt", "债务纠纷" }, { "land", "土地/山林" },
		{ "safety", "安全隐患" }, { "environment", "环境卫生" },
		{ "livelihood", "民生诉求" }, { "security", "治安" },
		{ "other", "其他" },
	};
	size_t i;

	all = gs_category_all(&n);
	GS_CHECK_EQ(n, 9);
	for (i = 0; i < n; i++) {
		GS_CHECK_STR(all[i].key, want[i][0]);
		GS_CHECK_STR(all[i].label, want[i][1]);
		GS_CHECK(gs_category_find(want[i][0]) == &all[i]);
		GS_CHECK(gs_category_find(want[i][1]) == &all[i]);
		GS_CHECK_STR(gs_category_label(want[i][0]), want[i][1]);
	}
	c = gs_category_find("土地/山林");
	GS_CHECK(c != NULL);
	GS_CHECK_STR(c->key, "land");
	GS_CHECK(gs_category_find("土地") == NULL);
	GS_CHECK(gs_category_find("neighbour") == NULL);
	GS_CHECK(gs_category_find("") == NULL);
	GS_CHECK(gs_category_find(NULL) == NULL);
	GS_CHECK_STR(gs_category_label("weather"), "weather");
	/* Labels are not keys. */
	GS_CHECK_STR(gs_category_label("治安"), "治安");
}

static void
test_kind_names(void)
{
	static const char *names[] = { "member", "revoke", "report",
	    "progress", "whistle", "return", "dispatch", "ack", "resolve",
	    "followup", "reopen", "supervise", "notice", "rollup", "receipt",
	    "check" };
	static const char *labels[] = { "入网", "撤销", "上报", "进展", "吹哨",
	    "退回", "派单", "报到", "办结", "回访", "重启", "督办", "通知",
	    "统计", "已阅", "排查报告" };
	size_t i;

	for (i = 0; i < NKINDS; i++) {
		GS_CHECK_STR(gs_kind_name(all_kinds[i]), names[i]);
		GS_CHECK_STR(gs_kind_label(all_kinds[i]), labels[i]);
		GS_CHECK_EQ(gs_change_is_case_kind(all_kinds[i]),
		    all_kinds[i] >= GS__CHANGE__BODY_REPORT &&
		    all_kinds[i] <= GS__CHANGE__BODY_SUPERVISE);
	}
	GS_CHECK(!gs_change_is_case_kind(GS__CHANGE__BODY_MEMBER));
	GS_CHECK(!gs_change_is_case_kind(GS__CHANGE__BODY_REVOKE));
	GS_CHECK(gs_change_is_case_kind(GS__CHANGE__BODY_REPORT));
	GS_CHECK(gs_change_is_case_kind(GS__CHANGE__BODY_SUPERVISE));
	GS_CHECK(!gs_change_is_case_kind(GS__CHANGE__BODY_NOTICE));
	GS_CHECK(!gs_change_is_case_kind(GS__CHANGE__BODY_ROLLUP));
	GS_CHECK(!gs_change_is_case_kind(GS__CHANGE__BODY_RECEIPT));
	GS_CHECK(!gs_change_is_case_kind(GS__CHANGE__BODY_CHECK));
	GS_CHECK(!gs_change_is_case_kind(GS__CHANGE__BODY__NOT_SET));
	GS_CHECK_STR(gs_kind_name(0), "unknown");
	GS_CHECK_STR(gs_kind_name(99), "unknown");
	GS_CHECK_STR(gs_kind_label(0), "未知");
	GS_CHECK_STR(gs_kind_label(-1), "未知");
}

static void
test_hex(void)
{
	static const uint8_t b[] = { 0x00, 0x01, 0xab, 0xcd, 0xef, 0xff };
	uint8_t out[6], keep[6];
	char hex[13];

	gs_hex(b, sizeof(b), hex);
	GS_CHECK_STR(hex, "0001abcdefff");
	gs_hex(b, 0, hex);
	GS_CHECK_STR(hex, "");
	GS_CHECK_EQ(gs_unhex("0001abcdefff", out, 6), 0);
	GS_CHECK(memcmp(out, b, 6) == 0);
	GS_CHECK_EQ(gs_unhex("0001ABCDEFFF", out, 6), 0);
	GS_CHECK(memcmp(out, b, 6) == 0);
	GS_CHECK_EQ(gs_unhex("", out, 0), 0);
	memset(out, 0x77, sizeof(out));
	memcpy(keep, out, sizeof(out));
	GS_CHECK_EQ(gs_unhex("0001abcdeff", out, 6), GS_EINVAL);
	GS_CHECK_EQ(gs_unhex("0001abcdefff0", out, 6), GS_EINVAL);
	GS_CHECK_EQ(gs_unhex("0001abcdefff00", out, 6), GS_EINVAL);
	GS_CHECK_EQ(gs_unhex("0001abcdefgf", out, 6), GS_EINVAL);
	GS_CHECK_EQ(gs_unhex(" 001abcdefff", out, 6), GS_EINVAL);
	GS_CHECK_EQ(gs_unhex("0x01abcdefff", out, 6), GS_EINVAL);
	GS_CHECK_EQ(gs_unhex(NULL, out, 6), GS_EINVAL);
	GS_CHECK(memcmp(out, keep, sizeof(out)) == 0);
}

/*
 * The golden vector: a fixed Report sealed with the key from seed bytes
 * 0..31. Ed25519 is deterministic, so the envelope bytes never change
 * unless the wire format does, and then the vector must change on purpose.
 */
static void
test_golden_vector(void)
{
	static const char *path = GS_VECTORS_DIR "/report_v1.hex";
	uint8_t seed[crypto_sign_SEEDBYTES], gpk[GS_KEY_BYTES];
	uint8_t gsk[GS_SECRET_BYTES], id[GS_ID_BYTES], *env;
	Gs__Change c;
	Gs__Report r;
	Gs__Change *d;
	const char *why;
	char *hex, *line;
	size_t len, i, cap = 0;
	ssize_t got;
	FILE *fp;

	for (i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)i;
	GS_CHECK_EQ(crypto_sign_seed_keypair(gpk, gsk, seed), 0);
	/* The INIT macros cast away const and trip -Wcast-qual. */
	gs__change__init(&c);
	gs__report__init(&r);
	c.version = GS_CHANGE_VERSION;
	c.origin.data = gpk;
	c.origin.len = GS_KEY_BYTES;
	c.seq = 1;
	c.hlc = GS_HLC_MAKE(T0, 1);
	c.case_id = CASE_ID;
	c.actor = "王小明";
	c.signer = "qianyang/cuimu/xiazhai";
	r.category = "neighbor";
	r.title = "张家与李家宅基地边界争议";
	r.description = "两家因院墙位置发生口角，需村委调解。";
	r.grid = "第三网格";
	r.reporter = "张大爷";
	r.severity = GS__SEVERITY__COMPLEX;
	c.body_case = GS__CHANGE__BODY_REPORT;
	c.report = &r;
	GS_CHECK_EQ(gs_change_seal(&c, gsk, &env, &len, id, &why), 0);
	GS_CHECK((hex = malloc(2 * len + 1)) != NULL);
	gs_hex(env, len, hex);

	/* The vector decodes and verifies like any envelope. */
	GS_CHECK_EQ(decode_all(env, len, &d, &why), 0);
	GS_CHECK_STR(d->report->title, "张家与李家宅基地边界争议");
	gs_change_free(&d);

	if ((fp = fopen(path, "r")) == NULL) {
		if (errno != ENOENT || (fp = fopen(path, "w")) == NULL) {
			fprintf(stderr, "cannot open %s: %s (run the test "
			    "from the repository root)\n", path,
			    strerror(errno));
			exit(1);
		}
		fprintf(fp, "%s\n", hex);
		GS_CHECK(fclose(fp) == 0);
		fprintf(stderr, "%s was missing and has been written: check "
		    "that it is right and commit it, then rerun\n", path);
		exit(1);
	}
	line = NULL;
	got = getline(&line, &cap, fp);
	fclose(fp);
	GS_CHECK(got > 0);
	while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
		line[--got] = '\0';
	if (strcmp(line, hex) != 0) {
		fprintf(stderr, "%s differs from what seal makes now:\n"
		    "file: %s\nseal: %s\n", path, line, hex);
		exit(1);
	}
	/* And the file's bytes decode back to the same id. */
	{
		uint8_t *raw;
		gs_envelope e;

		GS_CHECK((raw = malloc(len)) != NULL);
		GS_CHECK_EQ(gs_unhex(line, raw, len), 0);
		GS_CHECK_EQ(gs_envelope_decode(raw, len, &e), 0);
		GS_CHECK_EQ(gs_envelope_verify(&e), 0);
		GS_CHECK(memcmp(e.id, id, GS_ID_BYTES) == 0);
		GS_CHECK(memcmp(e.origin, gpk, GS_KEY_BYTES) == 0);
		gs_envelope_clear(&e);
		free(raw);
	}
	free(line);
	free(hex);
	free(env);
}

/* gs_period_valid: exactly YYYY, YYYY-MM or YYYY-MM-DD, month 01-12, a
 * day the month has; the length, or 0. */
static void
test_period_valid(void)
{
	static const struct {
		const char *p;
		int         want;
	} t[] = {
		{ "2026", 4 }, { "2026-11", 7 }, { "2026-11-24", 10 },
		{ "0000", 4 }, { "2026-01", 7 }, { "2026-12", 7 },
		{ "2026-01-01", 10 }, { "2026-12-31", 10 },
		/* Month lengths and leap years. */
		{ "2026-02-31", 0 }, { "2026-02-29", 0 }, { "2024-02-29", 10 },
		{ "2000-02-29", 10 }, { "1900-02-29", 0 }, { "2026-04-31", 0 },
		{ "2026-04-30", 10 },
		{ "2026-13", 0 }, { "2026-00", 0 }, { "2026-11-32", 0 },
		{ "2026-11-00", 0 }, { "2026-13-01", 0 }, { "2026-00-10", 0 },
		{ "26-11", 0 }, { "", 0 }, { "202", 0 }, { "20261", 0 },
		{ "2026-1", 0 }, { "2026-1-01", 0 }, { "2026-11-1", 0 },
		{ "2026/11", 0 }, { "2026-11-24T", 0 }, { " 2026", 0 },
		{ "2026 ", 0 }, { "2026-11-", 0 }, { "２０２６", 0 },
		{ "abcd", 0 }, { "2026-ab", 0 }, { "-2026", 0 },
		{ "2026-11-24-01", 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = gs_period_valid(t[i].p);

		if (got != t[i].want) {
			fprintf(stderr, "gs_period_valid(\"%s\") == %d, "
			    "want %d\n", t[i].p, got, t[i].want);
			exit(1);
		}
	}
	GS_CHECK_EQ(gs_period_valid(NULL), 0);
}

/* Receipt and Check bodies: every bound, exact sentences. */
static void
test_validate_receipt_check(void)
{
	struct fixture f;
	uint8_t id31[GS_ID_BYTES - 1] = { 0 }, id33[GS_ID_BYTES + 1] = { 0 };
	char *s;

	fixture_init(&f, GS__CHANGE__BODY_RECEIPT, pk);
	CHECK_VALID(&f);
	f.receipt.notice.data = id31;
	f.receipt.notice.len = sizeof(id31);
	CHECK_INVALID(&f, "receipt's notice id is not 32 bytes");
	f.receipt.notice.data = id33;
	f.receipt.notice.len = sizeof(id33);
	CHECK_INVALID(&f, "receipt's notice id is not 32 bytes");
	f.receipt.notice.data = NULL;
	f.receipt.notice.len = 0;
	CHECK_INVALID(&f, "receipt's notice id is not 32 bytes");
	f.receipt.notice.data = f.notice_id;
	f.receipt.notice.len = GS_ID_BYTES;
	CHECK_VALID(&f);
	f.receipt.issuer = "Qianyang";
	CHECK_INVALID(&f, "receipt's issuer path is invalid");
	f.receipt.issuer = "";
	CHECK_INVALID(&f, "receipt's issuer path is invalid");
	f.receipt.issuer = NULL;
	CHECK_INVALID(&f, "receipt's issuer path is invalid");
	f.receipt.issuer = "qianyang//cuimu";
	CHECK_INVALID(&f, "receipt's issuer path is invalid");
	/* A department path is a path: who may issue is trust's question. */
	f.receipt.issuer = "qianyang/cuimu/@police";
	CHECK_VALID(&f);
	f.receipt.issuer = "qianyang/cuimu";
	f.receipt.note = "";
	CHECK_VALID(&f);
	s = repeat("a", GS_TEXT_MAX_BYTES + 1);
	f.receipt.note = s;
	CHECK_INVALID(&f, "note too long");
	free(s);
	f.receipt.note = "\xff";
	CHECK_INVALID(&f, "note is not valid UTF-8");
	f.receipt.note = "已阅";
	/* Not about a case. */
	f.c.case_id = CASE_ID;
	CHECK_INVALID(&f, "case id on a kind that is not about a case");

	fixture_init(&f, GS__CHANGE__BODY_CHECK, pk);
	CHECK_VALID(&f);
	f.check.period = "2026-11-01";
	CHECK_INVALID(&f, "check report's period is not YYYY-MM");
	f.check.period = "2026";
	CHECK_INVALID(&f, "check report's period is not YYYY-MM");
	f.check.period = "2026-13";
	CHECK_INVALID(&f, "check report's period is not YYYY-MM");
	f.check.period = "";
	CHECK_INVALID(&f, "check report's period is not YYYY-MM");
	f.check.period = NULL;
	CHECK_INVALID(&f, "check report's period is not YYYY-MM");
	f.check.period = "2026-11";
	f.check.found = 0;		/* a zero report */
	CHECK_VALID(&f);
	f.check.found = GS_CHECK_FOUND_MAX;
	CHECK_VALID(&f);
	f.check.found = GS_CHECK_FOUND_MAX + 1;
	CHECK_INVALID(&f, "check report's count is out of range");
	f.check.found = UINT32_MAX;
	CHECK_INVALID(&f, "check report's count is out of range");
	f.check.found = 1;
	s = repeat("a", GS_TEXT_MAX_BYTES + 1);
	f.check.note = s;
	CHECK_INVALID(&f, "note too long");
	free(s);
	f.check.note = NULL;
	CHECK_VALID(&f);
	f.c.check = NULL;
	CHECK_INVALID(&f, "no body");
}

int
main(void)
{
	GS_CHECK(sodium_init() >= 0);
	crypto_sign_keypair(pk, sk);
	crypto_sign_keypair(pk2, sk2);

	GS_RUN(test_roundtrip_every_kind);
	GS_RUN(test_seal_first_change);
	GS_RUN(test_seal_refuses_foreign_origin);
	GS_RUN(test_unknown_fields_refused);
	GS_RUN(test_tamper);
	GS_RUN(test_id);
	GS_RUN(test_envelope_bounds);
	GS_RUN(test_validate_header_fields);
	GS_RUN(test_validate_body_and_case_id);
	GS_RUN(test_validate_strings);
	GS_RUN(test_utf8_edges);
	GS_RUN(test_validate_kinds);
	GS_RUN(test_categories);
	GS_RUN(test_kind_names);
	GS_RUN(test_hex);
	GS_RUN(test_validate_controls);
	GS_RUN(test_golden_vector);
	GS_RUN(test_period_valid);
	GS_RUN(test_validate_receipt_check);
	return 0;
}
