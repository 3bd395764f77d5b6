/*
 * test_fold.c: the case state machine, its conflicts and its order
 * independence.
 *
 * Changes are built by hand (no signing: the fold trusts its caller for
 * that) on the tree q (county), q/c (town), q/c/x (village), q/c/y
 * (another village), q/c/@police and q/c/@justice (town departments),
 * q/@justice (a county department). Each signer has its own 32-byte
 * origin; ids are distinct made-up bytes.
 */
#include <stdbool.h>
#include <stdint.h>

#include "gs_test.h"

#include "gs/change.h"
#include "gs/error.h"
#include "gs/fold.h"
#include "gs/hlc.h"
#include "gs/path.h"

#define CASE_ID  "q/c/x#01JD3QZ8W6X5N4M2K9R7T0V1AB"
#define OTHER_ID "q/c/x#01JD3QZ8W6X5N4M2K9R7T0V1AC"
#define POOL_MAX 256
#define ITEMS_MAX 32

/* HLC of the k-th tick of the test's clock. */
#define H(k) GS_HLC_MAKE(1700000000000ULL + (uint64_t)(k) * 1000, 0)

#define TITLE "宅基地边界纠纷"

/* A hand-built change and the storage its pointers lead to. */
struct tchange {
	Gs__Change ch;
	union {
		Gs__Member    member;
		Gs__Notice    notice;
		Gs__Report    report;
		Gs__Progress  progress;
		Gs__Whistle   whistle;
		Gs__Return    ret;
		Gs__Dispatch  dispatch;
		Gs__Ack       ack;
		Gs__Resolve   resolve;
		Gs__FollowUp  followup;
		Gs__Reopen    reopen;
		Gs__Supervise supervise;
	} b;
	uint8_t id[GS_ID_BYTES];
	uint8_t origin[GS_KEY_BYTES];
};

/* Index + 1 is the byte an origin key is filled with, so origins sort in
 * this order. */
static const char *const signers[] = {
	"q", "q/c", "q/c/x", "q/c/@police", "q/@justice", "q/c/@justice",
	"q/c/y",
};
#define NSIGNERS (sizeof(signers) / sizeof(signers[0]))

static struct tchange pool[POOL_MAX];
static size_t npool;
static uint64_t seqs[NSIGNERS];

static char *
unconst(const char *s)
{
	return (char *)(uintptr_t)s;
}

static void
reset(void)
{
	npool = 0;
	memset(seqs, 0, sizeof(seqs));
}

static size_t
signer_index(const char *signer)
{
	size_t i;

	for (i = 0; i < NSIGNERS; i++)
		if (strcmp(signers[i], signer) == 0)
			return i;
	GS_CHECK(!"unknown signer");
	return 0;
}

static struct gs_fold_item
mk(const char *signer, uint64_t hlc, int kind, struct tchange **out)
{
	struct gs_fold_item it;
	struct tchange *t;
	size_t si = signer_index(signer);

	GS_CHECK(npool < POOL_MAX);
	t = &pool[npool++];
	memset(t, 0, sizeof(*t));
	gs__change__init(&t->ch);
	t->ch.version = 1;
	memset(t->origin, (int)(si + 1), sizeof(t->origin));
	t->ch.origin.data = t->origin;
	t->ch.origin.len = sizeof(t->origin);
	t->ch.seq = ++seqs[si];
	t->ch.hlc = hlc;
	t->ch.case_id = unconst(CASE_ID);
	t->ch.actor = unconst("王五");
	t->ch.body_case = (Gs__Change__BodyCase)kind;
	memset(t->id, 0xa5, sizeof(t->id));
	t->id[0] = (uint8_t)(npool >> 8);
	t->id[1] = (uint8_t)npool;
	it.id = t->id;
	it.change = &t->ch;
	it.signer = signer;
	it.revoked = false;
	*out = t;
	return it;
}

static struct gs_fold_item
report(const char *signer, uint64_t hlc)
{
	struct tchange *t;
	struct gs_fold_item it = mk(signer, hlc, GS__CHANGE__BODY_REPORT, &t);

	gs__report__init(&t->b.report);
	t->b.report.category = unconst("neighbor");
	t->b.report.title = unconst(TITLE);
	t->b.report.description = unconst("两户因院墙位置发生争执");
	t->b.report.grid = unconst("第三网格");
	t->b.report.reporter = unconst("李四");
	t->b.report.severity = GS__SEVERITY__COMPLEX;
	t->ch.report = &t->b.report;
	return it;
}

static struct gs_fold_item
progress(const char *signer, uint64_t hlc, const char *note)
{
	struct tchange *t;
	struct gs_fold_item it = mk(signer, hlc, GS__CHANGE__BODY_PROGRESS, &t);

	gs__progress__init(&t->b.progress);
	t->b.progress.note = unconst(note);
	t->ch.progress = &t->b.progress;
	return it;
}

static struct gs_fold_item
whistle(const char *signer, uint64_t hlc)
{
	struct tchange *t;
	struct gs_fold_item it = mk(signer, hlc, GS__CHANGE__BODY_WHISTLE, &t);

	gs__whistle__init(&t->b.whistle);
	t->b.whistle.reason = unconst("村里调解不成");
	t->ch.whistle = &t->b.whistle;
	return it;
}

static struct gs_fold_item
ret(const char *signer, uint64_t hlc, const char *reason)
{
	struct tchange *t;
	struct gs_fold_item it = mk(signer, hlc, GS__CHANGE__BODY_RETURN, &t);

	gs__return__init(&t->b.ret);
	t->b.ret.reason = unconst(reason);
	t->ch.return_ = &t->b.ret;
	return it;
}

static struct gs_fold_item
dispatch(const char *signer, uint64_t hlc, const char *dept)
{
	struct tchange *t;
	struct gs_fold_item it = mk(signer, hlc, GS__CHANGE__BODY_DISPATCH, &t);

	gs__dispatch__init(&t->b.dispatch);
	t->b.dispatch.department = unconst(dept);
	t->b.dispatch.ack_deadline_ms = GS_HLC_MS(hlc) + 30 * 60 * 1000;
	t->b.dispatch.resolve_deadline_ms = GS_HLC_MS(hlc) + 7 * 86400000ULL;
	t->b.dispatch.note = unconst("请派员到场");
	t->ch.dispatch = &t->b.dispatch;
	return it;
}

static struct gs_fold_item
ack(const char *signer, uint64_t hlc)
{
	struct tchange *t;
	struct gs_fold_item it = mk(signer, hlc, GS__CHANGE__BODY_ACK, &t);

	gs__ack__init(&t->b.ack);
	t->b.ack.note = unconst("已到场");
	t->ch.ack = &t->b.ack;
	return it;
}

static struct gs_fold_item
resolve(const char *signer, uint64_t hlc, Gs__Outcome outcome,
    const char *note)
{
	struct tchange *t;
	struct gs_fold_item it = mk(signer, hlc, GS__CHANGE__BODY_RESOLVE, &t);

	gs__resolve__init(&t->b.resolve);
	t->b.resolve.outcome = outcome;
	t->b.resolve.note = unconst(note);
	t->ch.resolve = &t->b.resolve;
	return it;
}

static struct gs_fold_item
followup(const char *signer, uint64_t hlc, Gs__Satisfaction s)
{
	struct tchange *t;
	struct gs_fold_item it = mk(signer, hlc, GS__CHANGE__BODY_FOLLOWUP, &t);

	gs__follow_up__init(&t->b.followup);
	t->b.followup.satisfaction = s;
	t->b.followup.note = unconst("居民表示认可");
	t->ch.followup = &t->b.followup;
	return it;
}

static struct gs_fold_item
reopen(const char *signer, uint64_t hlc)
{
	struct tchange *t;
	struct gs_fold_item it = mk(signer, hlc, GS__CHANGE__BODY_REOPEN, &t);

	gs__reopen__init(&t->b.reopen);
	t->b.reopen.reason = unconst("居民不认可");
	t->ch.reopen = &t->b.reopen;
	return it;
}

static struct gs_fold_item
supervise(const char *signer, uint64_t hlc)
{
	struct tchange *t;
	struct gs_fold_item it = mk(signer, hlc, GS__CHANGE__BODY_SUPERVISE,
	    &t);

	gs__supervise__init(&t->b.supervise);
	t->b.supervise.note = unconst("请尽快办结");
	t->ch.supervise = &t->b.supervise;
	return it;
}

static Gs__Case *
fold(const struct gs_fold_item *items, size_t n)
{
	struct gs_fold_item copy[ITEMS_MAX];
	Gs__Case *c = NULL;

	GS_CHECK(n <= ITEMS_MAX);
	if (n > 0)
		memcpy(copy, items, n * sizeof(*items));
	GS_CHECK_EQ(gs_fold(CASE_ID, copy, n, &c), GS_OK);
	GS_CHECK(c != NULL);
	return c;
}

static uint8_t *
pack(const Gs__Case *c, size_t *len)
{
	uint8_t *b;

	*len = gs__case__get_packed_size(c);
	b = malloc(*len + 1);
	GS_CHECK(b != NULL);
	GS_CHECK_EQ(gs__case__pack(c, b), *len);
	return b;
}

static void
check_same(const Gs__Case *a, const Gs__Case *b)
{
	uint8_t *pa, *pb;
	size_t la, lb;

	pa = pack(a, &la);
	pb = pack(b, &lb);
	GS_CHECK_EQ(la, lb);
	GS_CHECK(memcmp(pa, pb, la) == 0);
	free(pa);
	free(pb);
}

static size_t
entry_index(const Gs__Case *c, const struct gs_fold_item *it)
{
	size_t i;

	for (i = 0; i < c->n_timeline; i++)
		if (c->timeline[i]->change_id.len == GS_ID_BYTES &&
		    memcmp(c->timeline[i]->change_id.data, it->id,
		    GS_ID_BYTES) == 0)
			return i;
	GS_CHECK(!"change not in the timeline");
	return 0;
}

static void
check_visible(const Gs__Case *c, const char *const *want, size_t n)
{
	size_t i;

	GS_CHECK_EQ(c->n_visible, n);
	for (i = 0; i < n; i++) {
		GS_CHECK_STR(c->visible[i], want[i]);
		GS_CHECK(gs_case_visible_to(c, want[i]));
	}
}

/*
 * Folds base, then base plus bad, and checks that bad got flag and reason
 * and that, apart from its timeline entry and the conflict count, the
 * case is byte for byte the base fold: a flagged change changes nothing.
 */
static void
expect_flagged(const struct gs_fold_item *base, size_t n,
    struct gs_fold_item bad, int flag, const char *reason)
{
	struct gs_fold_item all[ITEMS_MAX];
	Gs__Case *a, *b;
	size_t i;

	GS_CHECK(n + 1 <= ITEMS_MAX);
	a = fold(base, n);
	if (n > 0)
		memcpy(all, base, n * sizeof(*base));
	all[n] = bad;
	b = fold(all, n + 1);
	GS_CHECK_EQ(b->n_timeline, a->n_timeline + 1);
	i = entry_index(b, &bad);
	GS_CHECK_EQ(b->timeline[i]->flag, flag);
	GS_CHECK_STR(b->timeline[i]->reason, reason);
	GS_CHECK_EQ(b->timeline[i]->kind, bad.change->body_case);
	GS_CHECK(b->timeline[i]->text[0] != '\0');
	GS_CHECK_EQ(b->conflicts,
	    a->conflicts + (flag == GS__FLAG__FLAG_CONFLICT ? 1 : 0));

	gs__timeline_entry__free_unpacked(b->timeline[i], NULL);
	memmove(&b->timeline[i], &b->timeline[i + 1],
	    (b->n_timeline - i - 1) * sizeof(b->timeline[0]));
	b->n_timeline--;
	b->conflicts = a->conflicts;
	/* A whistle or dispatch grants its target visibility even when it
	 * changes nothing else: the set never shrinks once a case was sent. */
	if (b->n_visible == a->n_visible + 1) {
		char target[GS_PATH_MAX_BYTES + 1] = "";
		size_t k;

		if (bad.change->body_case == GS__CHANGE__BODY_WHISTLE)
			GS_CHECK_EQ(gs_path_parent(bad.signer, target,
			    sizeof(target)), 0);
		else if (bad.change->body_case == GS__CHANGE__BODY_DISPATCH)
			snprintf(target, sizeof(target), "%s",
			    bad.change->dispatch->department);
		for (k = 0; k < b->n_visible &&
		    strcmp(b->visible[k], target) != 0; k++)
			;
		GS_CHECK(k < b->n_visible);
		if (k < b->n_visible) {
			free(b->visible[k]);
			memmove(&b->visible[k], &b->visible[k + 1],
			    (b->n_visible - k - 1) * sizeof(b->visible[0]));
			b->n_visible--;
		}
	}
	check_same(a, b);
	gs_case_free(&a);
	gs_case_free(&b);
}

static void
expect_conflict(const struct gs_fold_item *base, size_t n,
    struct gs_fold_item bad, const char *reason)
{
	expect_flagged(base, n, bad, GS__FLAG__FLAG_CONFLICT, reason);
}

static void
check_entry(const Gs__TimelineEntry *e, const struct gs_fold_item *it,
    int flag, const char *text)
{
	GS_CHECK_EQ(e->change_id.len, GS_ID_BYTES);
	GS_CHECK(memcmp(e->change_id.data, it->id, GS_ID_BYTES) == 0);
	GS_CHECK_EQ(e->hlc, it->change->hlc);
	GS_CHECK_STR(e->signer, it->signer);
	GS_CHECK_EQ(e->origin.len, GS_KEY_BYTES);
	GS_CHECK(memcmp(e->origin.data, it->change->origin.data,
	    GS_KEY_BYTES) == 0);
	GS_CHECK_EQ(e->seq, it->change->seq);
	GS_CHECK_STR(e->actor, "王五");
	GS_CHECK_EQ(e->kind, it->change->body_case);
	GS_CHECK_EQ(e->flag, flag);
	if (flag == GS__FLAG__FLAG_OK)
		GS_CHECK_STR(e->reason, "");
	GS_CHECK_STR(e->text, text);
}

/* ---- the happy paths ---- */

static void
test_life_cycle(void)
{
	static const char *const vis[] = { "q/c", "q/c/@police", "q/c/x" };
	struct gs_fold_item it[6];
	Gs__Case *c, *u;
	const Gs__Assignment *a;
	uint8_t *p1, *p2;
	size_t l1, l2;

	reset();
	it[0] = report("q/c/x", H(1));
	it[1] = whistle("q/c/x", H(2));
	it[2] = dispatch("q/c", H(3), "q/c/@police");
	it[3] = ack("q/c/@police", H(4));
	it[4] = resolve("q/c/@police", H(5), GS__OUTCOME__MEDIATED,
	    "双方签订调解协议");
	it[5] = followup("q/c/x", H(6), GS__SATISFACTION__SATISFIED);
	c = fold(it, 6);

	GS_CHECK_STR(c->id, CASE_ID);
	GS_CHECK_STR(c->owner, "q/c/x");
	GS_CHECK_STR(c->level, "q/c");
	GS_CHECK_EQ(c->status, GS__STATUS__CLOSED);
	GS_CHECK_STR(c->category, "neighbor");
	GS_CHECK_STR(c->title, TITLE);
	GS_CHECK_STR(c->description, "两户因院墙位置发生争执");
	GS_CHECK_STR(c->grid, "第三网格");
	GS_CHECK_STR(c->reporter, "李四");
	GS_CHECK_EQ(c->severity, GS__SEVERITY__COMPLEX);
	GS_CHECK_EQ(c->created_hlc, H(1));
	GS_CHECK_EQ(c->updated_hlc, H(6));
	GS_CHECK_STR(c->created_by, "q/c/x");
	/* The county never saw it: it was only whistled to the town. */
	check_visible(c, vis, 3);
	GS_CHECK(!gs_case_visible_to(c, "q"));
	GS_CHECK(!gs_case_visible_to(c, "q/c/y"));
	GS_CHECK(!gs_case_visible_to(c, NULL));
	GS_CHECK(!gs_case_visible_to(NULL, "q/c"));
	GS_CHECK_EQ(c->n_assignments, 1);
	a = c->assignments[0];
	GS_CHECK_STR(a->department, "q/c/@police");
	GS_CHECK_EQ(a->dispatched_hlc, H(3));
	GS_CHECK_EQ(a->ack_deadline_ms, GS_HLC_MS(H(3)) + 30 * 60 * 1000);
	GS_CHECK_EQ(a->resolve_deadline_ms, GS_HLC_MS(H(3)) + 7 * 86400000ULL);
	GS_CHECK_EQ(a->acked_hlc, H(4));
	GS_CHECK_EQ(a->resolved_hlc, H(5));
	GS_CHECK_EQ(c->outcome, GS__OUTCOME__MEDIATED);
	GS_CHECK_EQ(c->satisfaction, GS__SATISFACTION__SATISFIED);
	GS_CHECK_EQ(c->whistles, 1);
	GS_CHECK_EQ(c->supervisions, 0);
	GS_CHECK_EQ(c->conflicts, 0);
	GS_CHECK_EQ(c->n_timeline, 6);
	check_entry(c->timeline[0], &it[0], GS__FLAG__FLAG_OK,
	    "上报 [邻里纠纷] " TITLE);
	check_entry(c->timeline[1], &it[1], GS__FLAG__FLAG_OK, "吹哨至 q/c");
	check_entry(c->timeline[2], &it[2], GS__FLAG__FLAG_OK,
	    "派单 q/c/@police");
	check_entry(c->timeline[3], &it[3], GS__FLAG__FLAG_OK, "报到");
	check_entry(c->timeline[4], &it[4], GS__FLAG__FLAG_OK,
	    "办结: 调解成功 双方签订调解协议");
	check_entry(c->timeline[5], &it[5], GS__FLAG__FLAG_OK, "回访: 满意");

	/* What the store writes unpacks and repacks to the same bytes, and
	 * gs_case_free releases an unpacked case too. */
	p1 = pack(c, &l1);
	u = gs__case__unpack(NULL, l1, p1);
	GS_CHECK(u != NULL);
	p2 = pack(u, &l2);
	GS_CHECK_EQ(l1, l2);
	GS_CHECK(memcmp(p1, p2, l1) == 0);
	free(p1);
	free(p2);
	gs_case_free(&u);
	GS_CHECK(u == NULL);
	gs_case_free(&c);
	GS_CHECK(c == NULL);
	gs_case_free(&c);
	gs_case_free(NULL);
}

static void
test_whistle_up_and_return_down(void)
{
	static const char *const vis2[] = { "q/c", "q/c/x" };
	static const char *const vis3[] = { "q", "q/c", "q/c/x" };
	struct gs_fold_item it[5];
	Gs__Case *c;

	reset();
	it[0] = report("q/c/x", H(1));
	it[1] = whistle("q/c/x", H(2));
	it[2] = whistle("q/c", H(3));
	it[3] = ret("q", H(4), "请镇里先行调处");
	it[4] = ret("q/c", H(5), "");

	c = fold(it, 1);
	GS_CHECK_STR(c->level, "q/c/x");
	GS_CHECK_EQ(c->status, GS__STATUS__OPEN);
	check_visible(c, vis2, 2);
	gs_case_free(&c);

	c = fold(it, 3);
	GS_CHECK_STR(c->level, "q");
	GS_CHECK_EQ(c->whistles, 2);
	check_visible(c, vis3, 3);
	GS_CHECK_STR(c->timeline[2]->text, "吹哨至 q");
	gs_case_free(&c);

	c = fold(it, 4);
	GS_CHECK_STR(c->level, "q/c");
	GS_CHECK_STR(c->timeline[3]->text, "退回: 请镇里先行调处");
	gs_case_free(&c);

	c = fold(it, 5);
	GS_CHECK_STR(c->level, "q/c/x");
	GS_CHECK_EQ(c->status, GS__STATUS__OPEN);
	GS_CHECK_EQ(c->whistles, 2);
	GS_CHECK_EQ(c->conflicts, 0);
	GS_CHECK_EQ(c->updated_hlc, H(5));
	/* Visibility never shrinks. */
	check_visible(c, vis3, 3);
	GS_CHECK_STR(c->timeline[4]->text, "退回");
	gs_case_free(&c);
}

static void
test_task_assigned_down(void)
{
	static const char *const vis[] = { "q", "q/c", "q/c/x" };
	struct gs_fold_item it[2];
	Gs__Case *c;

	reset();
	it[0] = report("q", H(1));
	it[1] = resolve("q/c/x", H(2), GS__OUTCOME__SOLVED, "");
	c = fold(it, 2);
	GS_CHECK_STR(c->owner, "q/c/x");
	GS_CHECK_STR(c->level, "q/c/x");
	GS_CHECK_STR(c->created_by, "q");
	check_visible(c, vis, 3);
	/* The level resolves by itself: no assignment is touched. */
	GS_CHECK_EQ(c->status, GS__STATUS__RESOLVED);
	GS_CHECK_EQ(c->outcome, GS__OUTCOME__SOLVED);
	GS_CHECK_EQ(c->n_assignments, 0);
	GS_CHECK_STR(c->timeline[1]->text, "办结: 已解决");
	gs_case_free(&c);
}

static void
test_progress_supervise_reopen(void)
{
	struct gs_fold_item it[9];
	Gs__Case *c;

	reset();
	it[0] = report("q/c/x", H(1));
	it[1] = progress("q/c", H(2), "已入户\n走访");
	it[2] = progress("q/c/x", H(3), "");
	it[3] = whistle("q/c/x", H(4));
	it[4] = supervise("q", H(5));
	it[5] = dispatch("q/c", H(6), "q/c/@justice");
	/* A department resolving without a separate ack reports in too. */
	it[6] = resolve("q/c/@justice", H(7), GS__OUTCOME__REFERRED, "");
	it[7] = followup("q/c/x", H(8), GS__SATISFACTION__UNSATISFIED);
	it[8] = reopen("q/c/x", H(9));
	c = fold(it, 9);
	GS_CHECK_EQ(c->conflicts, 0);
	GS_CHECK_STR(c->timeline[1]->text, "进展: 已入户 走访");
	GS_CHECK_STR(c->timeline[2]->text, "进展");
	GS_CHECK_STR(c->timeline[4]->text, "督办: 请尽快办结");
	GS_CHECK_STR(c->timeline[7]->text, "回访: 不满意");
	GS_CHECK_STR(c->timeline[8]->text, "重启: 居民不认可");
	GS_CHECK_EQ(c->supervisions, 1);
	GS_CHECK_EQ(c->n_assignments, 1);
	GS_CHECK_EQ(c->assignments[0]->acked_hlc, H(7));
	GS_CHECK_EQ(c->assignments[0]->resolved_hlc, H(7));
	GS_CHECK_EQ(c->status, GS__STATUS__OPEN);
	GS_CHECK_EQ(c->outcome, GS__OUTCOME__OUTCOME_UNSET);
	GS_CHECK_EQ(c->satisfaction, GS__SATISFACTION__SATISFACTION_UNSET);
	GS_CHECK_STR(c->level, "q/c");
	GS_CHECK_EQ(c->updated_hlc, H(9));
	gs_case_free(&c);

	/* The level may reopen as well as the owner. */
	reset();
	it[0] = report("q/c/x", H(1));
	it[1] = whistle("q/c/x", H(2));
	it[2] = resolve("q/c", H(3), GS__OUTCOME__UNFOUNDED, "");
	it[3] = reopen("q/c", H(4));
	c = fold(it, 4);
	GS_CHECK_EQ(c->conflicts, 0);
	GS_CHECK_EQ(c->status, GS__STATUS__OPEN);
	gs_case_free(&c);
}

static void
test_empty(void)
{
	Gs__Case *c = NULL;
	uint8_t *p;
	size_t len;

	GS_CHECK_EQ(gs_fold(CASE_ID, NULL, 0, &c), GS_OK);
	GS_CHECK(c != NULL);
	GS_CHECK_STR(c->id, CASE_ID);
	GS_CHECK_STR(c->owner, "q/c/x");
	GS_CHECK_STR(c->level, "");
	GS_CHECK_EQ(c->status, GS__STATUS__STATUS_UNSET);
	GS_CHECK_EQ(c->n_timeline, 0);
	GS_CHECK_EQ(c->n_visible, 0);
	GS_CHECK_EQ(c->updated_hlc, 0);
	p = pack(c, &len);
	free(p);
	gs_case_free(&c);
}

/* ---- one test per state-dependent rule ---- */

static void
test_conflict_unreported(void)
{
	reset();
	expect_conflict(NULL, 0, progress("q/c/x", H(1), "先记一笔"),
	    "case not reported yet");
	expect_conflict(NULL, 0, whistle("q/c/x", H(1)),
	    "case not reported yet");
}

static void
test_conflict_already_reported(void)
{
	struct gs_fold_item b[1];

	reset();
	b[0] = report("q/c/x", H(1));
	expect_conflict(b, 1, report("q/c", H(2)), "case already reported");
}

static void
test_conflict_progress_unseen(void)
{
	struct gs_fold_item b[1];

	reset();
	b[0] = report("q/c/x", H(1));
	expect_conflict(b, 1, progress("q", H(2), "县里过问"),
	    "signer cannot see the case");
}

static void
test_conflict_whistle_not_open(void)
{
	struct gs_fold_item b[2];

	reset();
	b[0] = report("q/c/x", H(1));
	b[1] = resolve("q/c/x", H(2), GS__OUTCOME__MEDIATED, "");
	expect_conflict(b, 2, whistle("q/c/x", H(3)), "case is not open");
}

static void
test_conflict_whistle_not_level(void)
{
	struct gs_fold_item b[1], bad;
	Gs__Case *c;

	reset();
	b[0] = report("q/c/x", H(1));
	bad = whistle("q/c", H(2));
	expect_conflict(b, 1, bad, "signer is not the case's current level");

	/* A whistle that did not apply names no level. */
	{
		struct gs_fold_item all[2] = { b[0], bad };

		c = fold(all, 2);
		GS_CHECK_STR(c->timeline[1]->text, "吹哨");
		gs_case_free(&c);
	}
}

static void
test_conflict_whistle_no_level_above(void)
{
	struct gs_fold_item b[3];

	reset();
	b[0] = report("q/c/x", H(1));
	b[1] = whistle("q/c/x", H(2));
	b[2] = whistle("q/c", H(3));
	expect_conflict(b, 3, whistle("q", H(4)), "no level above");
}

static void
test_conflict_return_not_open(void)
{
	struct gs_fold_item b[3];

	reset();
	b[0] = report("q/c/x", H(1));
	b[1] = whistle("q/c/x", H(2));
	b[2] = resolve("q/c", H(3), GS__OUTCOME__SOLVED, "");
	expect_conflict(b, 3, ret("q/c", H(4), "退回"), "case is not open");
}

static void
test_conflict_return_not_level(void)
{
	struct gs_fold_item b[2];

	reset();
	b[0] = report("q/c/x", H(1));
	b[1] = whistle("q/c/x", H(2));
	expect_conflict(b, 2, ret("q", H(3), "不归县里"),
	    "signer is not the case's current level");
}

static void
test_conflict_return_at_owner(void)
{
	struct gs_fold_item b[1];

	reset();
	b[0] = report("q/c/x", H(1));
	expect_conflict(b, 1, ret("q/c/x", H(2), "无处可退"),
	    "case is already at its owner");
}

static void
test_conflict_dispatch_not_open(void)
{
	struct gs_fold_item b[3];

	reset();
	b[0] = report("q/c/x", H(1));
	b[1] = whistle("q/c/x", H(2));
	b[2] = resolve("q/c", H(3), GS__OUTCOME__SOLVED, "");
	expect_conflict(b, 3, dispatch("q/c", H(4), "q/c/@police"),
	    "case is not open");
}

static void
test_conflict_dispatch_not_level(void)
{
	struct gs_fold_item b[1];

	reset();
	b[0] = report("q/c/x", H(1));
	expect_conflict(b, 1, dispatch("q/c", H(2), "q/c/@police"),
	    "signer is not the case's current level");
}

static void
test_conflict_dispatch_twice(void)
{
	struct gs_fold_item b[3];

	reset();
	b[0] = report("q/c/x", H(1));
	b[1] = whistle("q/c/x", H(2));
	b[2] = dispatch("q/c", H(3), "q/c/@police");
	expect_conflict(b, 3, dispatch("q/c", H(4), "q/c/@police"),
	    "already dispatched to that department");
}

/* 联合调处: two departments; the case resolves when the lead (the first
 * dispatched that has not resolved its part) resolves; the other's resolve
 * records its part only, and a second resolve of a part is a conflict. */
static void
test_joint_dispatch_lead_resolves(void)
{
	struct gs_fold_item it[8];
	Gs__Case *c;

	reset();
	it[0] = report("q/c/x", H(1));
	it[1] = whistle("q/c/x", H(2));
	it[2] = dispatch("q/c", H(3), "q/c/@police");
	it[3] = dispatch("q/c", H(4), "q/c/@justice");
	it[4] = resolve("q/c/@justice", H(5), GS__OUTCOME__SOLVED, "");
	c = fold(it, 5);
	GS_CHECK_EQ(c->conflicts, 0);
	GS_CHECK_EQ(c->status, GS__STATUS__DISPATCHED);   /* not the lead */
	GS_CHECK_EQ(c->outcome, GS__OUTCOME__OUTCOME_UNSET);
	GS_CHECK_EQ(c->n_assignments, 2);
	GS_CHECK_EQ(c->assignments[1]->resolved_hlc, H(5));
	GS_CHECK_EQ(c->assignments[1]->acked_hlc, H(5));
	GS_CHECK_EQ(c->assignments[0]->resolved_hlc, 0);
	gs_case_free(&c);

	it[5] = resolve("q/c/@justice", H(6), GS__OUTCOME__SOLVED, "");
	c = fold(it, 6);
	GS_CHECK_EQ(c->conflicts, 1);
	GS_CHECK_EQ(c->timeline[5]->flag, GS__FLAG__FLAG_CONFLICT);
	GS_CHECK_STR(c->timeline[5]->reason,
	    "department already resolved its part");
	gs_case_free(&c);

	it[5] = resolve("q/c/@police", H(6), GS__OUTCOME__MEDIATED, "");
	c = fold(it, 6);
	GS_CHECK_EQ(c->conflicts, 0);
	GS_CHECK_EQ(c->status, GS__STATUS__RESOLVED);     /* the lead */
	GS_CHECK_EQ(c->outcome, GS__OUTCOME__MEDIATED);
	gs_case_free(&c);

	/* The lead first: the case resolves at once. */
	it[4] = resolve("q/c/@police", H(5), GS__OUTCOME__MEDIATED, "");
	c = fold(it, 5);
	GS_CHECK_EQ(c->status, GS__STATUS__RESOLVED);
	gs_case_free(&c);
}

/* After a reopen the same department can be dispatched again: its
 * assignment starts afresh and must report in again. */
static void
test_redispatch_after_reopen(void)
{
	struct gs_fold_item it[9];
	Gs__Case *c;

	reset();
	it[0] = report("q/c/x", H(1));
	it[1] = whistle("q/c/x", H(2));
	it[2] = dispatch("q/c", H(3), "q/c/@police");
	it[3] = ack("q/c/@police", H(4));
	it[4] = resolve("q/c/@police", H(5), GS__OUTCOME__SOLVED, "");
	it[5] = followup("q/c/x", H(6), GS__SATISFACTION__UNSATISFIED);
	it[6] = reopen("q/c/x", H(7));
	it[7] = dispatch("q/c", H(8), "q/c/@police");
	c = fold(it, 8);
	GS_CHECK_EQ(c->conflicts, 0);
	GS_CHECK_EQ(c->status, GS__STATUS__DISPATCHED);
	GS_CHECK_EQ(c->n_assignments, 1);
	GS_CHECK_EQ(c->assignments[0]->dispatched_hlc, H(8));
	GS_CHECK_EQ(c->assignments[0]->acked_hlc, 0);
	GS_CHECK_EQ(c->assignments[0]->resolved_hlc, 0);
	gs_case_free(&c);
	/* ...and so it can report in a second time. */
	it[8] = ack("q/c/@police", H(9));
	c = fold(it, 9);
	GS_CHECK_EQ(c->conflicts, 0);
	GS_CHECK_EQ(c->assignments[0]->acked_hlc, H(9));
	gs_case_free(&c);
}

static void
test_conflict_ack_not_dispatched(void)
{
	struct gs_fold_item b[2];

	reset();
	b[0] = report("q/c/x", H(1));
	b[1] = whistle("q/c/x", H(2));
	expect_conflict(b, 2, ack("q/c/@police", H(3)),
	    "case is not dispatched");
}

static void
test_conflict_ack_not_assigned(void)
{
	struct gs_fold_item b[3];

	reset();
	b[0] = report("q/c/x", H(1));
	b[1] = whistle("q/c/x", H(2));
	b[2] = dispatch("q/c", H(3), "q/c/@police");
	expect_conflict(b, 3, ack("q/c/@justice", H(4)),
	    "signer was not dispatched this case");
}

static void
test_conflict_ack_twice(void)
{
	struct gs_fold_item b[4];

	reset();
	b[0] = report("q/c/x", H(1));
	b[1] = whistle("q/c/x", H(2));
	b[2] = dispatch("q/c", H(3), "q/c/@police");
	b[3] = ack("q/c/@police", H(4));
	expect_conflict(b, 4, ack("q/c/@police", H(5)), "already reported in");
}

static void
test_conflict_resolve_not_open(void)
{
	struct gs_fold_item b[2];

	reset();
	b[0] = report("q/c/x", H(1));
	b[1] = resolve("q/c/x", H(2), GS__OUTCOME__MEDIATED, "");
	expect_conflict(b, 2,
	    resolve("q/c/x", H(3), GS__OUTCOME__SOLVED, ""),
	    "case is not open");
}

static void
test_conflict_resolve_not_allowed(void)
{
	struct gs_fold_item b[4];

	reset();
	b[0] = report("q/c/x", H(1));
	b[1] = whistle("q/c/x", H(2));
	b[2] = dispatch("q/c", H(3), "q/c/@police");
	/* The village is no longer the level. */
	expect_conflict(b, 3,
	    resolve("q/c/x", H(4), GS__OUTCOME__MEDIATED, ""),
	    "signer cannot resolve this case");
	/* A department that was never dispatched. */
	expect_conflict(b, 3,
	    resolve("q/c/@justice", H(4), GS__OUTCOME__MEDIATED, ""),
	    "signer cannot resolve this case");
	/* A dispatched department, once the case has moved on and is no
	 * longer DISPATCHED. */
	b[3] = whistle("q/c", H(4));
	expect_conflict(b, 4,
	    resolve("q/c/@police", H(5), GS__OUTCOME__MEDIATED, ""),
	    "signer cannot resolve this case");
}

static void
test_conflict_followup_not_resolved(void)
{
	struct gs_fold_item b[1];

	reset();
	b[0] = report("q/c/x", H(1));
	expect_conflict(b, 1,
	    followup("q/c/x", H(2), GS__SATISFACTION__SATISFIED),
	    "case is not resolved");
}

static void
test_conflict_reopen_not_done(void)
{
	struct gs_fold_item b[1];

	reset();
	b[0] = report("q/c/x", H(1));
	expect_conflict(b, 1, reopen("q/c/x", H(2)),
	    "case is not resolved or closed");
}

static void
test_conflict_reopen_not_allowed(void)
{
	struct gs_fold_item b[3];

	reset();
	b[0] = report("q/c/x", H(1));
	b[1] = whistle("q/c/x", H(2));
	b[2] = resolve("q/c", H(3), GS__OUTCOME__SOLVED, "");
	expect_conflict(b, 3, reopen("q", H(4)),
	    "signer cannot reopen this case");
}

static void
test_conflict_supervise_not_open(void)
{
	struct gs_fold_item b[2];

	reset();
	b[0] = report("q/c/x", H(1));
	b[1] = resolve("q/c/x", H(2), GS__OUTCOME__SOLVED, "");
	expect_conflict(b, 2, supervise("q/c", H(3)), "case is not open");
}

static void
test_conflict_supervise_not_above(void)
{
	struct gs_fold_item b[2];

	reset();
	b[0] = report("q/c/x", H(1));
	b[1] = whistle("q/c/x", H(2));
	expect_conflict(b, 2, supervise("q/c", H(3)),
	    "signer is not above the case's level");
	expect_conflict(b, 2, supervise("q/c/x", H(3)),
	    "signer is not above the case's level");
}

static void
test_revoked(void)
{
	struct gs_fold_item b[2], bad;
	Gs__Case *c;
	struct gs_fold_item all[3];

	reset();
	b[0] = report("q/c/x", H(1));
	b[1] = whistle("q/c/x", H(2));
	bad = dispatch("q/c", H(3), "q/c/@police");
	bad.revoked = true;
	expect_flagged(b, 2, bad, GS__FLAG__FLAG_REVOKED,
	    "signer's key was revoked before this change");

	/* Revocation wins over what would otherwise be a conflict, and a
	 * revoked item never counts as one. */
	all[0] = b[0];
	all[1] = b[1];
	all[2] = whistle("q", H(3));
	all[2].revoked = true;
	c = fold(all, 3);
	GS_CHECK_EQ(c->timeline[2]->flag, GS__FLAG__FLAG_REVOKED);
	GS_CHECK_STR(c->timeline[2]->reason,
	    "signer's key was revoked before this change");
	GS_CHECK_STR(c->timeline[2]->text, "吹哨");
	GS_CHECK_EQ(c->conflicts, 0);
	GS_CHECK_EQ(c->updated_hlc, H(2));
	gs_case_free(&c);

	/* A revoked report leaves the case unreported. */
	all[0] = report("q/c/x", H(1));
	all[0].revoked = true;
	all[1] = progress("q/c/x", H(2), "进展");
	c = fold(all, 2);
	GS_CHECK_EQ(c->status, GS__STATUS__STATUS_UNSET);
	GS_CHECK_EQ(c->timeline[0]->flag, GS__FLAG__FLAG_REVOKED);
	GS_CHECK_STR(c->timeline[1]->reason, "case not reported yet");
	GS_CHECK_EQ(c->conflicts, 1);
	GS_CHECK_EQ(c->updated_hlc, 0);
	gs_case_free(&c);
}

/* ---- concurrency ---- */

static void
test_concurrent_resolve_and_dispatch(void)
{
	struct gs_fold_item it[5];
	Gs__Case *c;

	/*
	 * The village whistles to the town, then, believing it can still
	 * settle the case, resolves it while the town dispatches it. The
	 * resolve sorts after the whistle, so the village is no longer the
	 * level: the resolve is the conflict and the dispatch stands.
	 */
	reset();
	it[0] = report("q/c/x", H(10));
	it[1] = whistle("q/c/x", H(20));
	it[2] = resolve("q/c/x", H(25), GS__OUTCOME__MEDIATED, "");
	it[3] = dispatch("q/c", H(30), "q/c/@police");
	c = fold(it, 4);
	GS_CHECK_EQ(c->conflicts, 1);
	GS_CHECK_EQ(c->timeline[2]->flag, GS__FLAG__FLAG_CONFLICT);
	GS_CHECK_STR(c->timeline[2]->reason, "signer cannot resolve this case");
	GS_CHECK_EQ(c->timeline[3]->flag, GS__FLAG__FLAG_OK);
	GS_CHECK_EQ(c->status, GS__STATUS__DISPATCHED);
	GS_CHECK_EQ(c->outcome, GS__OUTCOME__OUTCOME_UNSET);
	GS_CHECK_EQ(c->updated_hlc, H(30));
	gs_case_free(&c);

	/*
	 * The police resolve a dispatched case while the town, not having
	 * seen it, dispatches it to the justice office too. Before the
	 * resolve the second dispatch stands; after it, it is the conflict.
	 */
	reset();
	it[0] = report("q/c/x", H(10));
	it[1] = whistle("q/c/x", H(20));
	it[2] = dispatch("q/c", H(30), "q/c/@police");
	it[3] = resolve("q/c/@police", H(50), GS__OUTCOME__SOLVED, "");
	it[4] = dispatch("q/c", H(40), "q/c/@justice");
	c = fold(it, 5);
	GS_CHECK_EQ(c->conflicts, 0);
	GS_CHECK_EQ(c->status, GS__STATUS__RESOLVED);
	GS_CHECK_EQ(c->n_assignments, 2);
	gs_case_free(&c);

	reset();
	it[0] = report("q/c/x", H(10));
	it[1] = whistle("q/c/x", H(20));
	it[2] = dispatch("q/c", H(30), "q/c/@police");
	it[3] = resolve("q/c/@police", H(50), GS__OUTCOME__SOLVED, "");
	it[4] = dispatch("q/c", H(60), "q/c/@justice");
	c = fold(it, 5);
	GS_CHECK_EQ(c->conflicts, 1);
	GS_CHECK_EQ(c->timeline[4]->flag, GS__FLAG__FLAG_CONFLICT);
	GS_CHECK_STR(c->timeline[4]->reason, "case is not open");
	GS_CHECK_STR(c->timeline[4]->text, "派单 q/c/@justice");
	GS_CHECK_EQ(c->status, GS__STATUS__RESOLVED);
	GS_CHECK_EQ(c->n_assignments, 1);
	GS_CHECK_EQ(c->updated_hlc, H(50));
	gs_case_free(&c);

	/* Same HLC: the origin key decides. q/c's key sorts before the
	 * police's, so the dispatch goes first and both stand. */
	reset();
	it[0] = report("q/c/x", H(10));
	it[1] = whistle("q/c/x", H(20));
	it[2] = dispatch("q/c", H(30), "q/c/@police");
	it[3] = resolve("q/c/@police", H(50), GS__OUTCOME__SOLVED, "");
	it[4] = dispatch("q/c", H(50), "q/c/@justice");
	c = fold(it, 5);
	GS_CHECK_EQ(c->conflicts, 0);
	GS_CHECK_EQ(c->n_assignments, 2);
	GS_CHECK_EQ(c->timeline[3]->kind, GS__CHANGE__BODY_DISPATCH);
	GS_CHECK_EQ(c->timeline[4]->kind, GS__CHANGE__BODY_RESOLVE);
	gs_case_free(&c);
}

static uint32_t
xorshift32(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* Fourteen changes of one case with ties in hlc and origin, three
 * conflicts and a revoked signer (reset() first). */
static void
fourteen(struct gs_fold_item it[14])
{
	it[0] = report("q/c/x", H(1));
	it[1] = progress("q/c/x", H(2), "村调委会介入");
	it[2] = whistle("q/c/x", H(3));
	it[3] = dispatch("q/c", H(4), "q/c/@police");
	it[4] = dispatch("q/c", H(4), "q/c/@justice");	/* tie: seq */
	it[5] = ack("q/c/@police", H(5));
	it[6] = supervise("q", H(5));			/* tie: origin */
	it[7] = resolve("q/c/@police", H(6), GS__OUTCOME__MEDIATED, "");
	it[8] = ack("q/c/@justice", H(6));		/* conflict */
	it[9] = followup("q/c/x", H(7), GS__SATISFACTION__BASIC);
	it[10] = whistle("q/c/x", H(8));			/* conflict */
	it[11] = progress("q/c/y", H(8), "不该看到");	/* conflict */
	it[12] = dispatch("q/c", H(9), "q/c/@police");	/* revoked */
	it[12].revoked = true;
	it[13] = progress("q/c", H(9), "已回访");
}

static void
test_order_independence(void)
{
	struct gs_fold_item it[14], sh[14];
	Gs__Case *ref, *c;
	uint8_t *pref, *p;
	size_t lref, l, n = 14, i, j, round;
	uint32_t seed = 0x9e3779b9u;
	struct gs_fold_item t;

	reset();
	fourteen(it);

	ref = fold(it, n);
	GS_CHECK_EQ(ref->status, GS__STATUS__CLOSED);
	GS_CHECK_EQ(ref->conflicts, 3);
	GS_CHECK_EQ(ref->n_timeline, 14);
	GS_CHECK_EQ(ref->n_assignments, 2);
	GS_CHECK_EQ(ref->supervisions, 1);
	GS_CHECK_EQ(ref->satisfaction, GS__SATISFACTION__BASIC);
	GS_CHECK_EQ(ref->updated_hlc, H(9));
	GS_CHECK_EQ(ref->timeline[5]->kind, GS__CHANGE__BODY_SUPERVISE);
	GS_CHECK_EQ(ref->timeline[6]->kind, GS__CHANGE__BODY_ACK);
	GS_CHECK_STR(ref->timeline[8]->reason, "case is not dispatched");
	GS_CHECK_STR(ref->timeline[10]->reason, "case is not open");
	GS_CHECK_STR(ref->timeline[11]->reason, "signer cannot see the case");
	GS_CHECK_EQ(ref->timeline[12]->flag, GS__FLAG__FLAG_REVOKED);
	pref = pack(ref, &lref);

	for (round = 0; round < 500; round++) {
		memcpy(sh, it, sizeof(it));
		for (i = n - 1; i > 0; i--) {
			j = xorshift32(&seed) % (i + 1);
			t = sh[i];
			sh[i] = sh[j];
			sh[j] = t;
		}
		c = fold(sh, n);
		p = pack(c, &l);
		GS_CHECK_EQ(l, lref);
		GS_CHECK(memcmp(p, pref, l) == 0);
		free(p);
		gs_case_free(&c);
	}
	free(pref);
	gs_case_free(&ref);
}

/* Folding on (gs_fold_more) from a stored projection, as apply does for
 * a batch's new changes: at every split of the 14 changes of
 * fourteen(), the first k folded, packed and unpacked again
 * (as read from the store), then the rest folded on in shuffled order,
 * gives the full fold byte for byte. A change that sorts before the last
 * one folded is refused with GS_ECONFLICT and leaves the case as it was. */
static void
test_fold_more(void)
{
	struct gs_fold_item it[14], rest[14];
	Gs__Case *ref, *head;
	uint8_t *pref, *p;
	size_t lref, l, n = 14, k, i, j;
	uint32_t seed = 0x2545f491u;
	struct gs_fold_item t;

	reset();
	fourteen(it);
	ref = fold(it, n);
	pref = pack(ref, &lref);
	/* Put the items in the fold's own order (its timeline's), so that
	 * the first k are the k that sort first. */
	head = fold(it, n);
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			if (memcmp(head->timeline[i]->change_id.data, it[j].id,
			    GS_ID_BYTES) == 0) {
				t = it[i];
				it[i] = it[j];
				it[j] = t;
			}
	gs_case_free(&head);

	for (k = 0; k <= n; k++) {
		head = fold(it, k);
		p = pack(head, &l);
		gs_case_free(&head);
		head = gs__case__unpack(NULL, l, p);
		GS_CHECK(head != NULL);
		free(p);
		memcpy(rest, it + k, (n - k) * sizeof(*it));
		for (i = n - k; i > 1; i--) {
			j = xorshift32(&seed) % i;
			t = rest[i - 1];
			rest[i - 1] = rest[j];
			rest[j] = t;
		}
		GS_CHECK_EQ(gs_fold_more(head, rest, n - k), 0);
		p = pack(head, &l);
		GS_CHECK_EQ(l, lref);
		GS_CHECK(memcmp(p, pref, l) == 0);
		free(p);
		gs_case_free(&head);
	}

	/* Out of order: the first 10 folded, then one of them again and an
	 * earlier one. */
	for (k = 0; k < 2; k++) {
		uint8_t *before;
		size_t lb;

		head = fold(it, 10);
		before = pack(head, &lb);
		rest[0] = it[10];
		rest[1] = it[k == 0 ? 9 : 3];
		GS_CHECK_EQ(gs_fold_more(head, rest, 2), GS_ECONFLICT);
		p = pack(head, &l);
		GS_CHECK_EQ(l, lb);
		GS_CHECK(memcmp(p, before, l) == 0);
		free(p);
		free(before);
		gs_case_free(&head);
	}
	/* Another case's change: refused before anything is folded. */
	head = fold(it, 3);
	rest[0] = progress("q/c/x", H(10), "别的案子");
	pool[npool - 1].ch.case_id = unconst(OTHER_ID);
	GS_CHECK_EQ(gs_fold_more(head, rest, 1), GS_EINVAL);
	GS_CHECK_EQ(head->n_timeline, 3);
	gs_case_free(&head);
	free(pref);
	gs_case_free(&ref);
}

/* ---- bad input ---- */

static void
test_einval(void)
{
	struct gs_fold_item it[3];
	struct tchange *t;
	Gs__Case *c = (Gs__Case *)1;

	reset();
	it[0] = report("q/c/x", H(1));
	it[1] = whistle("q/c/x", H(2));
	pool[npool - 1].ch.case_id = unconst(OTHER_ID);
	GS_CHECK_EQ(gs_fold(CASE_ID, it, 2, &c), GS_EINVAL);
	GS_CHECK(c == NULL);

	/* Not a case kind. */
	it[1] = mk("q/c", H(2), GS__CHANGE__BODY_MEMBER, &t);
	gs__member__init(&t->b.member);
	t->b.member.path = unconst("q/c/x");
	t->ch.member = &t->b.member;
	c = (Gs__Case *)1;
	GS_CHECK_EQ(gs_fold(CASE_ID, it, 2, &c), GS_EINVAL);
	GS_CHECK(c == NULL);

	it[1] = mk("q/c", H(2), GS__CHANGE__BODY_NOTICE, &t);
	gs__notice__init(&t->b.notice);
	t->ch.notice = &t->b.notice;
	GS_CHECK_EQ(gs_fold(CASE_ID, it, 2, &c), GS_EINVAL);

	/* A case kind without its body. */
	it[1] = mk("q/c/x", H(2), GS__CHANGE__BODY_WHISTLE, &t);
	GS_CHECK_EQ(gs_fold(CASE_ID, it, 2, &c), GS_EINVAL);

	/* A malformed case id. */
	GS_CHECK_EQ(gs_fold("q/c/x", NULL, 0, &c), GS_EINVAL);
	GS_CHECK(c == NULL);
	GS_CHECK_EQ(gs_fold(NULL, NULL, 0, &c), GS_EINVAL);
}

static void
test_labels(void)
{
	GS_CHECK_STR(gs_status_name(GS__STATUS__STATUS_UNSET), "unset");
	GS_CHECK_STR(gs_status_label(GS__STATUS__STATUS_UNSET), "未受理");
	GS_CHECK_STR(gs_status_name(GS__STATUS__OPEN), "open");
	GS_CHECK_STR(gs_status_name(GS__STATUS__DISPATCHED), "dispatched");
	GS_CHECK_STR(gs_status_name(GS__STATUS__RESOLVED), "resolved");
	GS_CHECK_STR(gs_status_name(GS__STATUS__CLOSED), "closed");
	GS_CHECK_STR(gs_status_label(GS__STATUS__OPEN), "待处理");
	GS_CHECK_STR(gs_status_label(GS__STATUS__DISPATCHED), "已派单");
	GS_CHECK_STR(gs_status_label(GS__STATUS__RESOLVED), "已办结");
	GS_CHECK_STR(gs_status_label(GS__STATUS__CLOSED), "已结案");
	GS_CHECK_STR(gs_status_name(99), "unknown");
	GS_CHECK_STR(gs_status_name(-1), "unknown");

	GS_CHECK_STR(gs_outcome_name(GS__OUTCOME__MEDIATED), "mediated");
	GS_CHECK_STR(gs_outcome_name(GS__OUTCOME__SOLVED), "solved");
	GS_CHECK_STR(gs_outcome_name(GS__OUTCOME__REFERRED), "referred");
	GS_CHECK_STR(gs_outcome_name(GS__OUTCOME__UNFOUNDED), "unfounded");
	GS_CHECK_STR(gs_outcome_label(GS__OUTCOME__MEDIATED), "调解成功");
	GS_CHECK_STR(gs_outcome_label(GS__OUTCOME__SOLVED), "已解决");
	GS_CHECK_STR(gs_outcome_label(GS__OUTCOME__REFERRED), "已移交");
	GS_CHECK_STR(gs_outcome_label(GS__OUTCOME__UNFOUNDED), "不属实");

	GS_CHECK_STR(gs_satisfaction_name(GS__SATISFACTION__SATISFIED),
	    "satisfied");
	GS_CHECK_STR(gs_satisfaction_name(GS__SATISFACTION__BASIC), "basic");
	GS_CHECK_STR(gs_satisfaction_name(GS__SATISFACTION__UNSATISFIED),
	    "unsatisfied");
	GS_CHECK_STR(gs_satisfaction_label(GS__SATISFACTION__SATISFIED),
	    "满意");
	GS_CHECK_STR(gs_satisfaction_label(GS__SATISFACTION__BASIC),
	    "基本满意");
	GS_CHECK_STR(gs_satisfaction_label(GS__SATISFACTION__UNSATISFIED),
	    "不满意");

	GS_CHECK_STR(gs_severity_name(GS__SEVERITY__SEVERITY_UNSET), "unset");
	GS_CHECK_STR(gs_severity_label(GS__SEVERITY__SEVERITY_UNSET),
	    "未分级");
	GS_CHECK_STR(gs_severity_name(GS__SEVERITY__SIMPLE), "simple");
	GS_CHECK_STR(gs_severity_name(GS__SEVERITY__COMPLEX), "complex");
	GS_CHECK_STR(gs_severity_name(GS__SEVERITY__HARD), "hard");
	GS_CHECK_STR(gs_severity_label(GS__SEVERITY__SIMPLE), "简单");
	GS_CHECK_STR(gs_severity_label(GS__SEVERITY__COMPLEX), "复杂");
	GS_CHECK_STR(gs_severity_label(GS__SEVERITY__HARD), "疑难");

	GS_CHECK_STR(gs_flag_name(GS__FLAG__FLAG_OK), "ok");
	GS_CHECK_STR(gs_flag_name(GS__FLAG__FLAG_CONFLICT), "conflict");
	GS_CHECK_STR(gs_flag_name(GS__FLAG__FLAG_REVOKED), "revoked");
	GS_CHECK_STR(gs_flag_name(3), "unknown");

	GS_CHECK_EQ(gs_status_parse("open"), GS__STATUS__OPEN);
	GS_CHECK_EQ(gs_status_parse("已派单"), GS__STATUS__DISPATCHED);
	GS_CHECK_EQ(gs_status_parse("closed"), GS__STATUS__CLOSED);
	GS_CHECK_EQ(gs_status_parse("已办结"), GS__STATUS__RESOLVED);
	GS_CHECK_EQ(gs_outcome_parse("unfounded"), GS__OUTCOME__UNFOUNDED);
	GS_CHECK_EQ(gs_outcome_parse("调解成功"), GS__OUTCOME__MEDIATED);
	GS_CHECK_EQ(gs_satisfaction_parse("basic"), GS__SATISFACTION__BASIC);
	GS_CHECK_EQ(gs_satisfaction_parse("不满意"),
	    GS__SATISFACTION__UNSATISFIED);
	GS_CHECK_EQ(gs_severity_parse("hard"), GS__SEVERITY__HARD);
	GS_CHECK_EQ(gs_severity_parse("简单"), GS__SEVERITY__SIMPLE);
	/* Unset is never something to ask for; unknown words are -1. */
	GS_CHECK_EQ(gs_status_parse("unset"), -1);
	GS_CHECK_EQ(gs_severity_parse("未分级"), -1);
	GS_CHECK_EQ(gs_outcome_parse("Mediated"), -1);
	GS_CHECK_EQ(gs_satisfaction_parse(""), -1);
	GS_CHECK_EQ(gs_severity_parse(NULL), -1);
}

int
main(void)
{
	GS_RUN(test_life_cycle);
	GS_RUN(test_whistle_up_and_return_down);
	GS_RUN(test_task_assigned_down);
	GS_RUN(test_progress_supervise_reopen);
	GS_RUN(test_empty);
	GS_RUN(test_conflict_unreported);
	GS_RUN(test_conflict_already_reported);
	GS_RUN(test_conflict_progress_unseen);
	GS_RUN(test_conflict_whistle_not_open);
	GS_RUN(test_conflict_whistle_not_level);
	GS_RUN(test_conflict_whistle_no_level_above);
	GS_RUN(test_conflict_return_not_open);
	GS_RUN(test_conflict_return_not_level);
	GS_RUN(test_conflict_return_at_owner);
	GS_RUN(test_conflict_dispatch_not_open);
	GS_RUN(test_conflict_dispatch_not_level);
	GS_RUN(test_conflict_dispatch_twice);
	GS_RUN(test_redispatch_after_reopen);
	GS_RUN(test_joint_dispatch_lead_resolves);
	GS_RUN(test_conflict_ack_not_dispatched);
	GS_RUN(test_conflict_ack_not_assigned);
	GS_RUN(test_conflict_ack_twice);
	GS_RUN(test_conflict_resolve_not_open);
	GS_RUN(test_conflict_resolve_not_allowed);
	GS_RUN(test_conflict_followup_not_resolved);
	GS_RUN(test_conflict_reopen_not_done);
	GS_RUN(test_conflict_reopen_not_allowed);
	GS_RUN(test_conflict_supervise_not_open);
	GS_RUN(test_conflict_supervise_not_above);
	GS_RUN(test_revoked);
	GS_RUN(test_concurrent_resolve_and_dispatch);
	GS_RUN(test_order_independence);
	GS_RUN(test_fold_more);
	GS_RUN(test_einval);
	GS_RUN(test_labels);
	return 0;
}
