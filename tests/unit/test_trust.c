/*
 * test_trust.c: the static authority table (DESIGN.md §3) and the roster.
 *
 * gs_trust_check is exercised kind by kind on the tree q (county), q/c and
 * q/d (towns), q/c/x, q/c/y and q/d/z (villages), q/c/@police and
 * q/d/@police (town departments), q/@justice (a county department) and
 * q/c/x/@x (a department attached to a village). Every case below is owned
 * by q/c/x unless it says otherwise. Changes are built by hand: trust looks
 * only at the signer's path and the change, never at signatures.
 *
 * The roster functions run over a real store in a mkdtemp directory.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "gs_test.h"

#include "gs/change.h"
#include "gs/error.h"
#include "gs/path.h"
#include "gs/store.h"
#include "gs/trust.h"

#define CID      "q/c/x#01JD3QZ8W6X5N4M2K9R7T0V1AB"  /* owned by q/c/x */
#define TOWN_CID "q/c#01JD3QZ8W6X5N4M2K9R7T0V1AB"    /* owned by q/c */

/* A hand-built change and the bodies its pointers lead to. */
struct tc {
	Gs__Change    ch;
	Gs__Member    member;
	Gs__Revoke    revoke;
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
	Gs__Notice    notice;
	Gs__Rollup    rollup;
	Gs__Receipt   receipt;
	Gs__Check     check;
	uint8_t       notice_id[GS_ID_BYTES];
	uint8_t       origin[GS_KEY_BYTES];
	uint8_t       key[GS_KEY_BYTES];
};

static uint8_t root_key[GS_KEY_BYTES];

static char *
unconst(const char *s)
{
	return (char *)(uintptr_t)s;
}

/* Fills t with a change of kind on case_id (ignored for non-case kinds),
 * origin filled with byte 0x22, every body initialised. */
static Gs__Change *
tc_make(struct tc *t, int kind, const char *case_id)
{
	memset(t, 0, sizeof(*t));
	gs__change__init(&t->ch);
	gs__member__init(&t->member);
	gs__revoke__init(&t->revoke);
	gs__report__init(&t->report);
	gs__progress__init(&t->progress);
	gs__whistle__init(&t->whistle);
	gs__return__init(&t->ret);
	gs__dispatch__init(&t->dispatch);
	gs__ack__init(&t->ack);
	gs__resolve__init(&t->resolve);
	gs__follow_up__init(&t->followup);
	gs__reopen__init(&t->reopen);
	gs__supervise__init(&t->supervise);
	gs__notice__init(&t->notice);
	gs__rollup__init(&t->rollup);
	gs__receipt__init(&t->receipt);
	gs__check__init(&t->check);
	memset(t->notice_id, 0x44, sizeof(t->notice_id));
	memset(t->origin, 0x22, sizeof(t->origin));
	memset(t->key, 0x33, sizeof(t->key));
	t->ch.version = GS_CHANGE_VERSION;
	t->ch.origin.data = t->origin;
	t->ch.origin.len = GS_KEY_BYTES;
	t->ch.seq = 1;
	t->ch.hlc = (uint64_t)1700000000000ULL << 16;
	t->ch.body_case = (Gs__Change__BodyCase)kind;
	if (gs_change_is_case_kind(kind))
		t->ch.case_id = unconst(case_id);
	switch (kind) {
	case GS__CHANGE__BODY_MEMBER:
		t->member.key.data = t->key;
		t->member.key.len = GS_KEY_BYTES;
		t->ch.member = &t->member;
		break;
	case GS__CHANGE__BODY_REVOKE:
		t->revoke.key.data = t->key;
		t->revoke.key.len = GS_KEY_BYTES;
		t->ch.revoke = &t->revoke;
		break;
	case GS__CHANGE__BODY_REPORT:
		t->report.category = unconst("neighbor");
		t->report.title = unconst("宅基地边界纠纷");
		t->ch.report = &t->report;
		break;
	case GS__CHANGE__BODY_PROGRESS:
		t->ch.progress = &t->progress;
		break;
	case GS__CHANGE__BODY_WHISTLE:
		t->ch.whistle = &t->whistle;
		break;
	case GS__CHANGE__BODY_RETURN:
		t->ret.reason = unconst("村里能调");
		t->ch.return_ = &t->ret;
		break;
	case GS__CHANGE__BODY_DISPATCH:
		t->dispatch.department = unconst("q/c/@police");
		t->ch.dispatch = &t->dispatch;
		break;
	case GS__CHANGE__BODY_ACK:
		t->ch.ack = &t->ack;
		break;
	case GS__CHANGE__BODY_RESOLVE:
		t->resolve.outcome = GS__OUTCOME__MEDIATED;
		t->ch.resolve = &t->resolve;
		break;
	case GS__CHANGE__BODY_FOLLOWUP:
		t->followup.satisfaction = GS__SATISFACTION__SATISFIED;
		t->ch.followup = &t->followup;
		break;
	case GS__CHANGE__BODY_REOPEN:
		t->reopen.reason = unconst("又吵起来了");
		t->ch.reopen = &t->reopen;
		break;
	case GS__CHANGE__BODY_SUPERVISE:
		t->ch.supervise = &t->supervise;
		break;
	case GS__CHANGE__BODY_NOTICE:
		t->notice.title = unconst("防汛通知");
		t->ch.notice = &t->notice;
		break;
	case GS__CHANGE__BODY_ROLLUP:
		t->rollup.period = unconst("2024-06-01");
		t->ch.rollup = &t->rollup;
		break;
	case GS__CHANGE__BODY_RECEIPT:
		t->receipt.notice.data = t->notice_id;
		t->receipt.notice.len = GS_ID_BYTES;
		t->receipt.issuer = unconst("q");
		t->ch.receipt = &t->receipt;
		break;
	case GS__CHANGE__BODY_CHECK:
		t->check.period = unconst("2024-06");
		t->ch.check = &t->check;
		break;
	default:
		break;
	}
	return &t->ch;
}

/* gs_trust_check's result, also checking *why: NULL exactly when allowed.
 * The change names signer as the path it signs as, like a sealed one. */
static int
judge(const char *signer, Gs__Change *c, const uint8_t *root)
{
	const char *why = "unset";
	int rc;

	c->signer = unconst(signer);
	rc = gs_trust_check(signer, c, root, &why);
	if (rc == 0)
		GS_CHECK(why == NULL);
	else
		GS_CHECK(why != NULL && why[0] != '\0');
	/* why may be NULL: the verdict must not change. */
	GS_CHECK_EQ(gs_trust_check(signer, c, root, NULL), rc);
	return rc;
}

/* A case kind on CID. */
static int
kind_on(int kind, const char *signer)
{
	struct tc t;

	return judge(signer, tc_make(&t, kind, CID), root_key);
}

/* The sentence gs_trust_check gives for a refusal. */
static const char *
why_of(const char *signer, Gs__Change *c)
{
	const char *why = NULL;

	c->signer = unconst(signer);
	(void)gs_trust_check(signer, c, root_key, &why);
	return why;
}

static int
member(const char *signer, const char *path)
{
	struct tc t;

	tc_make(&t, GS__CHANGE__BODY_MEMBER, NULL);
	t.member.path = unconst(path);
	return judge(signer, &t.ch, root_key);
}

static void
test_member(void)
{
	struct tc t;

	/* Parent signs child, for every tier and for departments. */
	GS_CHECK_EQ(member("q", "q/c"), 0);
	GS_CHECK_EQ(member("q", "q/@justice"), 0);
	GS_CHECK_EQ(member("q/c", "q/c/x"), 0);
	GS_CHECK_EQ(member("q/c", "q/c/@police"), 0);
	GS_CHECK_EQ(member("q/c/x", "q/c/x/@x"), 0);

	/* A grandparent, a sibling, the node itself, a child, a department
	 * (even the parent's own department) may not. */
	GS_CHECK_EQ(member("q", "q/c/x"), GS_EAUTH);
	GS_CHECK_EQ(member("q/d", "q/c/x"), GS_EAUTH);
	GS_CHECK_EQ(member("q/c/y", "q/c/x"), GS_EAUTH);
	GS_CHECK_EQ(member("q/c/x", "q/c/x"), GS_EAUTH);
	GS_CHECK_EQ(member("q/c/x", "q/c"), GS_EAUTH);
	GS_CHECK_EQ(member("q/c/@police", "q/c/x"), GS_EAUTH);
	GS_CHECK_EQ(member("q/@justice", "q/c"), GS_EAUTH);
	GS_CHECK_EQ(member("q/c", "q/c/x/@x"), GS_EAUTH);
	tc_make(&t, GS__CHANGE__BODY_MEMBER, NULL);
	t.member.path = unconst("q/c/x");
	GS_CHECK_STR(why_of("q", &t.ch),
	    "a Member must be signed by the node at the parent path");

	/* Root self-enrolment: only the configured root key, only itself. */
	tc_make(&t, GS__CHANGE__BODY_MEMBER, NULL);
	t.member.path = unconst("q");
	memcpy(t.origin, root_key, GS_KEY_BYTES);
	memcpy(t.key, root_key, GS_KEY_BYTES);
	GS_CHECK_EQ(judge("q", &t.ch, root_key), 0);
	/* The root key's self-Member must sign as the path it enrols. */
	GS_CHECK_EQ(judge("r", &t.ch, root_key), GS_EAUTH);
	GS_CHECK_EQ(judge("q/c", &t.ch, root_key), GS_EAUTH);
	GS_CHECK_STR(why_of("r", &t.ch),
	    "only the trust root may enrol a root path, and only itself");
	/* Without a configured root nobody may. */
	GS_CHECK_EQ(judge("q", &t.ch, NULL), GS_EAUTH);
	/* The root enrolling another key at a root path. */
	memset(t.key, 0x44, GS_KEY_BYTES);
	GS_CHECK_EQ(judge("q", &t.ch, root_key), GS_EAUTH);
	GS_CHECK_STR(why_of("q", &t.ch),
	    "only the trust root may enrol a root path, and only itself");
	/* Another key enrolling itself at a root path (key == origin). */
	memset(t.origin, 0x44, GS_KEY_BYTES);
	GS_CHECK_EQ(judge("q", &t.ch, root_key), GS_EAUTH);
	/* Another key enrolling the root key. */
	memcpy(t.key, root_key, GS_KEY_BYTES);
	GS_CHECK_EQ(judge("q", &t.ch, root_key), GS_EAUTH);
}

static int
revoke_by(const char *signer, const char *revoked_path)
{
	struct tc t;

	tc_make(&t, GS__CHANGE__BODY_REVOKE, NULL);
	t.revoke.path = unconst(revoked_path);
	return judge(signer, &t.ch, root_key);
}

static void
test_revoke(void)
{
	struct tc t;

	GS_CHECK_EQ(revoke_by("q/c", "q/c/x"), 0);
	GS_CHECK_EQ(revoke_by("q/c", "q/c/@police"), 0);
	GS_CHECK_EQ(revoke_by("q", "q/c"), 0);
	GS_CHECK_EQ(revoke_by("q/c/x", "q/c/x/@x"), 0);

	GS_CHECK_EQ(revoke_by("q", "q/c/x"), GS_EAUTH);        /* grandparent */
	GS_CHECK_EQ(revoke_by("q/d", "q/c/x"), GS_EAUTH);      /* other town */
	GS_CHECK_EQ(revoke_by("q/c/x", "q/c/x"), GS_EAUTH);    /* itself */
	GS_CHECK_EQ(revoke_by("q/c/y", "q/c/x"), GS_EAUTH);    /* sibling */
	GS_CHECK_EQ(revoke_by("q/c/@police", "q/c/x"), GS_EAUTH);
	GS_CHECK_EQ(revoke_by("q", "q"), GS_EAUTH);            /* the root */
	GS_CHECK_EQ(revoke_by("r", "q"), GS_EAUTH);            /* a root */
	GS_CHECK_EQ(revoke_by("q/c", NULL), GS_EAUTH);         /* no path */
	GS_CHECK_EQ(revoke_by("q/c", ""), GS_EAUTH);
	GS_CHECK_EQ(revoke_by("q/c", "Q/c/x"), GS_EAUTH);      /* invalid */
	tc_make(&t, GS__CHANGE__BODY_REVOKE, NULL);
	t.revoke.path = unconst("q/c/x");
	GS_CHECK_STR(why_of("q", &t.ch),
	    "only the parent of a key's path may revoke it");
	/* The path it names decides, not any path the key may also be
	 * enrolled at: the same key revoked at q/d/z is q/d's to revoke. */
	t.revoke.path = unconst("q/d/z");
	GS_CHECK_EQ(judge("q/d", &t.ch, root_key), 0);
	GS_CHECK_EQ(judge("q/c", &t.ch, root_key), GS_EAUTH);
}

static void
test_report(void)
{
	struct tc t;

	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_REPORT, "q/c/x"), 0);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_REPORT, "q/c"), 0);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_REPORT, "q"), 0);

	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_REPORT, "q/c/y"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_REPORT, "q/d"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_REPORT, "q/d/z"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_REPORT, "q/c/@police"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_REPORT, "q/@justice"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_REPORT, "q/c/x/@x"), GS_EAUTH);
	tc_make(&t, GS__CHANGE__BODY_REPORT, CID);
	GS_CHECK_STR(why_of("q/c/y", &t.ch),
	    "only the owner village or an ancestor may report a case");
}

static void
test_progress(void)
{
	struct tc t;

	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_PROGRESS, "q/c/x"), 0);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_PROGRESS, "q/c"), 0);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_PROGRESS, "q"), 0);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_PROGRESS, "q/c/@police"), 0);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_PROGRESS, "q/@justice"), 0);

	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_PROGRESS, "q/c/y"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_PROGRESS, "q/d"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_PROGRESS, "q/d/@police"),
	    GS_EAUTH);
	/* A department of the owner village itself: never dispatched to,
	 * since only strict ancestors dispatch. */
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_PROGRESS, "q/c/x/@x"), GS_EAUTH);
	tc_make(&t, GS__CHANGE__BODY_PROGRESS, CID);
	GS_CHECK_STR(why_of("q/d/@police", &t.ch),
	    "signer can never see this case");
}

static void
test_whistle(void)
{
	struct tc t;

	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_WHISTLE, "q/c/x"), 0);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_WHISTLE, "q/c"), 0);

	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_WHISTLE, "q"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_WHISTLE, "q/c/@police"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_WHISTLE, "q/@justice"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_WHISTLE, "q/c/y"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_WHISTLE, "q/d"), GS_EAUTH);
	tc_make(&t, GS__CHANGE__BODY_WHISTLE, CID);
	GS_CHECK_STR(why_of("q", &t.ch),
	    "only a node on the case's path below the root may whistle");
}

static void
test_return(void)
{
	struct tc t;

	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_RETURN, "q/c"), 0);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_RETURN, "q"), 0);

	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_RETURN, "q/c/x"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_RETURN, "q/c/y"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_RETURN, "q/d"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_RETURN, "q/c/@police"), GS_EAUTH);
	tc_make(&t, GS__CHANGE__BODY_RETURN, CID);
	GS_CHECK_STR(why_of("q/c/x", &t.ch),
	    "only a node above the owner may return a case");
}

static int
dispatch(const char *signer, const char *dept)
{
	struct tc t;

	tc_make(&t, GS__CHANGE__BODY_DISPATCH, CID);
	t.dispatch.department = unconst(dept);
	return judge(signer, &t.ch, root_key);
}

static void
test_dispatch(void)
{
	struct tc t;

	GS_CHECK_EQ(dispatch("q/c", "q/c/@police"), 0);
	GS_CHECK_EQ(dispatch("q", "q/@justice"), 0);

	/* A village dispatching, even to its own department. */
	GS_CHECK_EQ(dispatch("q/c/x", "q/c/x/@x"), GS_EAUTH);
	GS_CHECK_EQ(dispatch("q/c/x", "q/c/@police"), GS_EAUTH);
	/* A town naming another town's department, or the county's. */
	GS_CHECK_EQ(dispatch("q/c", "q/d/@police"), GS_EAUTH);
	GS_CHECK_EQ(dispatch("q/c", "q/@justice"), GS_EAUTH);
	/* The county naming a town's department. */
	GS_CHECK_EQ(dispatch("q", "q/c/@police"), GS_EAUTH);
	/* A town that is not above the owner, with its own department. */
	GS_CHECK_EQ(dispatch("q/d", "q/d/@police"), GS_EAUTH);
	/* A department dispatching. */
	GS_CHECK_EQ(dispatch("q/c/@police", "q/c/@police"), GS_EAUTH);

	tc_make(&t, GS__CHANGE__BODY_DISPATCH, CID);
	GS_CHECK_STR(why_of("q/c/x", &t.ch),
	    "only a town or county above the owner may dispatch");
	t.dispatch.department = unconst("q/d/@police");
	GS_CHECK_STR(why_of("q/c", &t.ch),
	    "a dispatch must name one of the signer's own departments");
}

static void
test_ack(void)
{
	struct tc t;

	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_ACK, "q/c/@police"), 0);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_ACK, "q/@justice"), 0);

	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_ACK, "q/c/x"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_ACK, "q/c"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_ACK, "q"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_ACK, "q/d/@police"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_ACK, "q/c/x/@x"), GS_EAUTH);
	tc_make(&t, GS__CHANGE__BODY_ACK, CID);
	GS_CHECK_STR(why_of("q/c", &t.ch),
	    "only a department above the owner may report in");
}

static void
test_resolve(void)
{
	struct tc t;

	/* The handling level (any area node on the path) or a department
	 * that can have been dispatched. */
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_RESOLVE, "q/c/x"), 0);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_RESOLVE, "q/c"), 0);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_RESOLVE, "q"), 0);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_RESOLVE, "q/c/@police"), 0);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_RESOLVE, "q/@justice"), 0);

	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_RESOLVE, "q/c/y"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_RESOLVE, "q/d"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_RESOLVE, "q/d/@police"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_RESOLVE, "q/c/x/@x"), GS_EAUTH);
	tc_make(&t, GS__CHANGE__BODY_RESOLVE, CID);
	GS_CHECK_STR(why_of("q/c/y", &t.ch),
	    "signer can never resolve this case");
}

static void
test_followup(void)
{
	struct tc t;

	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_FOLLOWUP, "q/c/x"), 0);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_FOLLOWUP, "q/c"), 0);

	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_FOLLOWUP, "q"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_FOLLOWUP, "q/c/y"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_FOLLOWUP, "q/d"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_FOLLOWUP, "q/c/@police"),
	    GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_FOLLOWUP, "q/c/x/@x"), GS_EAUTH);
	tc_make(&t, GS__CHANGE__BODY_FOLLOWUP, CID);
	GS_CHECK_STR(why_of("q", &t.ch),
	    "only the owner village or its town may follow up");

	/* A town-owned case: the town and the county above it. */
	tc_make(&t, GS__CHANGE__BODY_FOLLOWUP, TOWN_CID);
	GS_CHECK_EQ(judge("q/c", &t.ch, root_key), 0);
	GS_CHECK_EQ(judge("q", &t.ch, root_key), 0);
	GS_CHECK_EQ(judge("q/c/x", &t.ch, root_key), GS_EAUTH);
}

static void
test_reopen(void)
{
	struct tc t;

	/* The owner or any level the case can be at: an area node on the
	 * owner's path. */
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_REOPEN, "q/c/x"), 0);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_REOPEN, "q/c"), 0);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_REOPEN, "q"), 0);

	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_REOPEN, "q/c/y"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_REOPEN, "q/d"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_REOPEN, "q/c/@police"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_REOPEN, "q/c/x/@x"), GS_EAUTH);
	tc_make(&t, GS__CHANGE__BODY_REOPEN, CID);
	GS_CHECK_STR(why_of("q/c/@police", &t.ch),
	    "signer can never reopen this case");
}

static void
test_supervise(void)
{
	struct tc t;

	/* Strict ancestors of the owner only. */
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_SUPERVISE, "q/c"), 0);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_SUPERVISE, "q"), 0);

	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_SUPERVISE, "q/c/x"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_SUPERVISE, "q/c/y"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_SUPERVISE, "q/d"), GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_SUPERVISE, "q/c/@police"),
	    GS_EAUTH);
	GS_CHECK_EQ(kind_on(GS__CHANGE__BODY_SUPERVISE, "q/@justice"),
	    GS_EAUTH);
	tc_make(&t, GS__CHANGE__BODY_SUPERVISE, CID);
	GS_CHECK_STR(why_of("q/c/x", &t.ch),
	    "only a node above the owner may supervise");
}

static void
test_notice(void)
{
	static const char *const area[] = {
		"q", "q/c", "q/d", "q/c/x", "q/d/z",
	};
	static const char *const dept[] = {
		"q/c/@police", "q/d/@police", "q/@justice", "q/c/x/@x",
	};
	struct tc t;
	size_t i;

	tc_make(&t, GS__CHANGE__BODY_NOTICE, NULL);
	for (i = 0; i < sizeof(area) / sizeof(area[0]); i++)
		GS_CHECK_EQ(judge(area[i], &t.ch, root_key), 0);
	for (i = 0; i < sizeof(dept) / sizeof(dept[0]); i++)
		GS_CHECK_EQ(judge(dept[i], &t.ch, root_key), GS_EAUTH);
	GS_CHECK_STR(why_of("q/@justice", &t.ch),
	    "only an area node may issue a notice");
}

static int
rollup(const char *signer, const char *subject)
{
	struct tc t;

	tc_make(&t, GS__CHANGE__BODY_ROLLUP, NULL);
	t.rollup.subject = unconst(subject);
	return judge(signer, &t.ch, root_key);
}

static void
test_rollup(void)
{
	struct tc t;

	GS_CHECK_EQ(rollup("q/c", "q/c"), 0);        /* the town's own cases */
	GS_CHECK_EQ(rollup("q/c", "q/c/x"), 0);      /* its village's */
	GS_CHECK_EQ(rollup("q/c/x", "q/c/x"), 0);    /* held, never summed */

	GS_CHECK_EQ(rollup("q", "q/d/z"), GS_EAUTH); /* not the parent */
	GS_CHECK_EQ(rollup("q/c", "q/c/x/g"), GS_EAUTH);
	GS_CHECK_EQ(rollup("q/c", ""), GS_EAUTH);
	GS_CHECK_EQ(rollup("q/c", "q/d"), GS_EAUTH);     /* sibling town */
	GS_CHECK_EQ(rollup("q/c", "q/d/z"), GS_EAUTH);
	GS_CHECK_EQ(rollup("q/c", "q"), GS_EAUTH);       /* above itself */
	GS_CHECK_EQ(rollup("q/c/x", "q/c"), GS_EAUTH);
	GS_CHECK_EQ(rollup("q/c/@police", "q/c/@police"), GS_EAUTH);
	GS_CHECK_EQ(rollup("q/c/@police", "q/c"), GS_EAUTH);

	tc_make(&t, GS__CHANGE__BODY_ROLLUP, NULL);
	t.rollup.subject = unconst("q/d");
	GS_CHECK_STR(why_of("q/c", &t.ch),
	    "a rollup must be signed by its subject's parent or the subject "
	    "itself");
}

static int
receipt(const char *signer, const char *issuer)
{
	struct tc t;

	tc_make(&t, GS__CHANGE__BODY_RECEIPT, NULL);
	t.receipt.issuer = unconst(issuer);
	return judge(signer, &t.ch, root_key);
}

/* A receipt is signed strictly below an area issuer: never by the issuer
 * itself, a sibling or a node above; never of a department's "notice". */
static void
test_receipt(void)
{
	struct tc t;

	/* A village reads the county's and its town's notices. */
	GS_CHECK_EQ(receipt("q/c/x", "q"), 0);
	GS_CHECK_EQ(receipt("q/c/x", "q/c"), 0);
	GS_CHECK_EQ(receipt("q/d/z", "q"), 0);
	GS_CHECK_EQ(receipt("q/c", "q"), 0);
	/* Departments below the issuer are in its subtree too. */
	GS_CHECK_EQ(receipt("q/c/@police", "q/c"), 0);
	GS_CHECK_EQ(receipt("q/c/@police", "q"), 0);
	GS_CHECK_EQ(receipt("q/@justice", "q"), 0);

	GS_CHECK_EQ(receipt("q/c", "q/c"), GS_EAUTH);       /* its own */
	GS_CHECK_EQ(receipt("q", "q"), GS_EAUTH);
	GS_CHECK_EQ(receipt("q/c/x", "q/c/x"), GS_EAUTH);
	GS_CHECK_EQ(receipt("q/d/z", "q/c"), GS_EAUTH);     /* another town's */
	GS_CHECK_EQ(receipt("q/d", "q/c"), GS_EAUTH);
	GS_CHECK_EQ(receipt("q/c", "q/c/x"), GS_EAUTH);     /* from below */
	GS_CHECK_EQ(receipt("q", "q/c"), GS_EAUTH);
	GS_CHECK_EQ(receipt("q/c/x", "q/c/@police"), GS_EAUTH); /* no issuer */
	GS_CHECK_EQ(receipt("q/cc/x", "q/c"), GS_EAUTH);    /* prefix only */

	tc_make(&t, GS__CHANGE__BODY_RECEIPT, NULL);
	t.receipt.issuer = unconst("q/c");
	GS_CHECK_STR(why_of("q/c", &t.ch),
	    "only a node below a notice's issuer may sign its receipt");
}

/* A check report is a village's (an area node at depth 3 or deeper). */
static void
test_check(void)
{
	static const char *const ok[] = { "q/c/x", "q/d/z", "q/c/x/g" };
	static const char *const no[] = {
		"q", "q/c", "q/d", "q/c/@police", "q/@justice", "q/c/x/@x",
	};
	struct tc t;
	size_t i;

	tc_make(&t, GS__CHANGE__BODY_CHECK, NULL);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		GS_CHECK_EQ(judge(ok[i], &t.ch, root_key), 0);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		GS_CHECK_EQ(judge(no[i], &t.ch, root_key), GS_EAUTH);
	GS_CHECK_STR(why_of("q/c", &t.ch),
	    "only a village may file a check report");
	GS_CHECK_STR(why_of("q/c/@police", &t.ch),
	    "only a village may file a check report");
}

static void
test_malformed_case_id(void)
{
	static const int kinds[] = {
		GS__CHANGE__BODY_REPORT, GS__CHANGE__BODY_PROGRESS,
		GS__CHANGE__BODY_WHISTLE, GS__CHANGE__BODY_RETURN,
		GS__CHANGE__BODY_DISPATCH, GS__CHANGE__BODY_ACK,
		GS__CHANGE__BODY_RESOLVE, GS__CHANGE__BODY_FOLLOWUP,
		GS__CHANGE__BODY_REOPEN, GS__CHANGE__BODY_SUPERVISE,
	};
	static const char *const bad[] = {
		"",                                      /* none */
		"q/c/x",                                 /* no '#' */
		"q/c/x#bad",                             /* short ULID */
		"q/c/x#81JD3QZ8W6X5N4M2K9R7T0V1AB",      /* over 128 bits */
		"q/c/@police#01JD3QZ8W6X5N4M2K9R7T0V1AB", /* a department */
		"Q/c/x#01JD3QZ8W6X5N4M2K9R7T0V1AB",      /* bad path */
	};
	struct tc t;
	size_t i, j;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
			tc_make(&t, kinds[i], bad[j]);
			/* Malformed before anything else: even the owner. */
			GS_CHECK_EQ(judge("q/c/x", &t.ch, root_key),
			    GS_EINVAL);
			GS_CHECK_EQ(judge("q/c", &t.ch, root_key),
			    GS_EINVAL);
			GS_CHECK_STR(why_of("q/c/x", &t.ch),
			    "malformed case id");
		}
	}
	/* No body at all is not a case kind either. */
	tc_make(&t, GS__CHANGE__BODY__NOT_SET, CID);
	t.ch.case_id = unconst(CID);
	GS_CHECK_EQ(judge("q/c/x", &t.ch, root_key), GS_EINVAL);
	GS_CHECK_STR(why_of("q/c/x", &t.ch), "not a case kind");
}

/* ---- roster over a real store ---- */

static char tmpdir[64];

static void
dir_new(void)
{
	strcpy(tmpdir, "/tmp/gs_test_trust.XXXXXX");
	GS_CHECK(mkdtemp(tmpdir) != NULL);
}

static void
dir_remove(void)
{
	DIR *d;
	struct dirent *e;
	char path[512];

	GS_CHECK((d = opendir(tmpdir)) != NULL);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		GS_CHECK_EQ(unlink(path), 0);
	}
	closedir(d);
	GS_CHECK_EQ(rmdir(tmpdir), 0);
}

/* Key number k: 32 bytes of k. Member-change id number k: 32 bytes of
 * 0x80 | k. */
static void
key_of(int k, uint8_t key[GS_KEY_BYTES])
{
	memset(key, k, GS_KEY_BYTES);
}

/* Enrols key at path by a Member with change id 32 bytes of idb, signed by
 * (signer, seq); *changed as gs_roster_enrol reports it. */
static int
enrol_id(gs_txn *t, const char *path, int key, int signer, uint64_t seq,
    int idb, bool *changed)
{
	Gs__Member m;
	uint8_t k[GS_KEY_BYTES], s[GS_KEY_BYTES], id[GS_ID_BYTES];

	gs__member__init(&m);
	key_of(key, k);
	key_of(signer, s);
	memset(id, idb, sizeof(id));
	m.path = unconst(path);
	m.key.data = k;
	m.key.len = GS_KEY_BYTES;
	return gs_roster_enrol(t, &m, id, s, seq, changed);
}

/* A first enrolment of (key, path), by Member id number key. A new pair
 * never reports *changed: its changes were pending until now, so nothing
 * folded can have been void or not because of it. */
static int
enrol(gs_txn *t, const char *path, int key, int signer, uint64_t seq)
{
	bool changed = true;
	int rc;

	rc = enrol_id(t, path, key, signer, seq, 0x80 | key, &changed);
	if (rc == 0)
		GS_CHECK(!changed);
	return rc;
}

static int
revoke_key(gs_txn *t, int key, const char *path, uint64_t after, int by,
    uint64_t by_seq)
{
	uint8_t k[GS_KEY_BYTES], b[GS_KEY_BYTES];

	key_of(key, k);
	key_of(by, b);
	return gs_roster_revoke(t, k, path, after, b, by_seq);
}

/* gs_roster_void's answer for key signing as path at seq (its return
 * checked to be 0). */
static bool
is_void(gs_txn *t, int key, const char *path, uint64_t seq)
{
	uint8_t k[GS_KEY_BYTES];
	bool v = false;

	key_of(key, k);
	GS_CHECK_EQ(gs_roster_void(t, k, path, seq, &v), 0);
	return v;
}

static bool
is_chained(gs_txn *t, int key, const char *path)
{
	uint8_t k[GS_KEY_BYTES];
	bool v = true;

	key_of(key, k);
	GS_CHECK_EQ(gs_roster_chained(t, k, path, &v), 0);
	return v;
}

/* The roster entry of (key k, path), for inspection; free with
 * gs__roster_entry__free_unpacked. */
static Gs__RosterEntry *
entry(gs_txn *t, int key, const char *path)
{
	Gs__RosterEntry *e = NULL;
	uint8_t k[GS_KEY_BYTES];

	key_of(key, k);
	GS_CHECK_EQ(gs_roster_get(t, k, path, &e), 0);
	GS_CHECK(e != NULL);
	GS_CHECK_STR(e->path, path);
	return e;
}

/* Checks that e's enrolment i is the Member with change id 32 bytes of
 * idb, signed by (signer, seq). */
static void
check_enrolment(const Gs__RosterEntry *e, size_t i, int idb, int signer,
    uint64_t seq)
{
	uint8_t id[GS_ID_BYTES], s[GS_KEY_BYTES];
	const Gs__Enrolment *en;

	GS_CHECK(i < e->n_enrolments);
	en = e->enrolments[i];
	GS_CHECK(en != NULL);
	memset(id, idb, sizeof(id));
	key_of(signer, s);
	GS_CHECK_EQ(en->member_change.len, GS_ID_BYTES);
	GS_CHECK(memcmp(en->member_change.data, id, GS_ID_BYTES) == 0);
	GS_CHECK_EQ(en->signer.len, GS_KEY_BYTES);
	GS_CHECK(memcmp(en->signer.data, s, GS_KEY_BYTES) == 0);
	GS_CHECK_EQ(en->signer_seq, seq);
}

/* The stored bytes of (key k, path)'s roster entry, under key + path in
 * the roster database (trust.h); malloc'd, *len set. */
static uint8_t *
entry_bytes(gs_txn *t, int key, const char *path, size_t *len)
{
	uint8_t k[GS_KEY_BYTES + GS_PATH_MAX_BYTES], *b;
	size_t plen = strlen(path);
	gs_val v;

	GS_CHECK(plen <= GS_PATH_MAX_BYTES);
	key_of(key, k);
	memcpy(k + GS_KEY_BYTES, path, plen);
	GS_CHECK_EQ(gs_get(t, GS_DB_ROSTER, k, GS_KEY_BYTES + plen, &v), 0);
	GS_CHECK((b = malloc(v.len ? v.len : 1)) != NULL);
	memcpy(b, v.data, v.len);
	*len = v.len;
	return b;
}

/* Whether e holds the revocation (after, by, by_seq), exactly once. */
static bool
has_revocation(const Gs__RosterEntry *e, uint64_t after, int by,
    uint64_t by_seq)
{
	uint8_t b[GS_KEY_BYTES];
	int n = 0;

	key_of(by, b);
	for (size_t i = 0; i < e->n_revocations; i++) {
		const Gs__Revocation *r = e->revocations[i];

		if (r->after_seq == after && r->by_seq == by_seq &&
		    r->by.len == GS_KEY_BYTES &&
		    memcmp(r->by.data, b, GS_KEY_BYTES) == 0)
			n++;
	}
	return n == 1;
}

/* The key gs_roster_find gives for path: 0 and its number, or the error. */
static int
found_at(gs_txn *t, const char *path)
{
	uint8_t k[GS_KEY_BYTES];
	int rc;

	memset(k, 0, sizeof(k));
	rc = gs_roster_find(t, path, k, NULL);
	if (rc != 0)
		return rc;
	for (size_t i = 1; i < GS_KEY_BYTES; i++)
		GS_CHECK_EQ(k[i], k[0]);
	return k[0];
}

static gs_store *
store_new(void)
{
	gs_store *s = NULL;

	dir_new();
	GS_CHECK_EQ(gs_store_open(tmpdir, GS_STORE_MAP_MIN_BYTES * 4, &s), 0);
	return s;
}

static void
store_free(gs_store **s)
{
	gs_store_close(s);
	dir_remove();
}

enum { K_ROOT = 1, K_TOWN, K_VIL, K_VIL2, K_VIL3, K_POLICE, K_A, K_B,
	K_UNKNOWN, K_C, K_D, K_DEPT };

static void
test_roster(void)
{
	gs_store *s = NULL;
	gs_txn *t = NULL;
	Gs__RosterEntry *e;
	uint8_t k[GS_KEY_BYTES], want[GS_KEY_BYTES];
	char path[GS_PATH_MAX_BYTES + 1];
	bool changed;
	uint64_t n;

	s = store_new();
	GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);

	/* The chain: root self-signed, town by root at seq 2, villages by
	 * the town at its seqs 1, 5 and 2, a department by the town at 3. */
	GS_CHECK_EQ(enrol(t, "q", K_ROOT, K_ROOT, 1), 0);
	GS_CHECK_EQ(enrol(t, "q/c", K_TOWN, K_ROOT, 2), 0);
	GS_CHECK_EQ(enrol(t, "q/c/x", K_VIL, K_TOWN, 1), 0);
	GS_CHECK_EQ(enrol(t, "q/c/y", K_VIL2, K_TOWN, 5), 0);
	GS_CHECK_EQ(enrol(t, "q/c/z", K_VIL3, K_TOWN, 2), 0);
	GS_CHECK_EQ(enrol(t, "q/c/@police", K_POLICE, K_TOWN, 3), 0);
	GS_CHECK_EQ(gs_store_count(t, GS_DB_ROSTER, &n), 0);
	GS_CHECK_EQ(n, 6);

	/* get: every field as enrolled. */
	e = entry(t, K_VIL, "q/c/x");
	key_of(K_VIL, want);
	GS_CHECK_EQ(e->key.len, GS_KEY_BYTES);
	GS_CHECK(memcmp(e->key.data, want, GS_KEY_BYTES) == 0);
	GS_CHECK_EQ(e->n_enrolments, 1);
	check_enrolment(e, 0, 0x80 | K_VIL, K_TOWN, 1);
	GS_CHECK_EQ(e->n_revocations, 0);
	gs__roster_entry__free_unpacked(e, NULL);
	/* An unknown key, and a known key at a path it is not enrolled at. */
	key_of(K_UNKNOWN, k);
	e = (Gs__RosterEntry *)1;
	GS_CHECK_EQ(gs_roster_get(t, k, "q/c/x", &e), GS_ENOTFOUND);
	GS_CHECK(e == NULL);
	key_of(K_VIL, k);
	e = (Gs__RosterEntry *)1;
	GS_CHECK_EQ(gs_roster_get(t, k, "q/c/y", &e), GS_ENOTFOUND);
	GS_CHECK(e == NULL);
	/* A path that extends the enrolled one is another pair. */
	GS_CHECK_EQ(gs_roster_get(t, k, "q/c/x/@x", &e), GS_ENOTFOUND);
	GS_CHECK_EQ(gs_roster_get(t, k, "q/c", &e), GS_ENOTFOUND);

	/* path_of: exact copy, too small a buffer, unknown key. */
	key_of(K_VIL, k);
	GS_CHECK_EQ(gs_roster_path_of(t, k, path, sizeof(path)), 0);
	GS_CHECK_STR(path, "q/c/x");
	GS_CHECK_EQ(gs_roster_path_of(t, k, path, 6), 0); /* 5 + NUL fits */
	GS_CHECK_STR(path, "q/c/x");
	GS_CHECK_EQ(gs_roster_path_of(t, k, path, 5), GS_ETOOBIG);
	key_of(K_UNKNOWN, k);
	GS_CHECK_EQ(gs_roster_path_of(t, k, path, sizeof(path)),
	    GS_ENOTFOUND);

	/* find: the key at a path; nothing at an unknown path. */
	GS_CHECK_EQ(found_at(t, "q/c/y"), K_VIL2);
	GS_CHECK_EQ(found_at(t, "q/c/@police"), K_POLICE);
	GS_CHECK_EQ(found_at(t, "q/d"), GS_ENOTFOUND);
	GS_CHECK_EQ(found_at(t, "q/c/x/@x"), GS_ENOTFOUND);
	/* With the entry asked for: the whole entry, owned by the caller. */
	GS_CHECK_EQ(gs_roster_find(t, "q/c/z", k, &e), 0);
	key_of(K_VIL3, want);
	GS_CHECK(memcmp(k, want, GS_KEY_BYTES) == 0);
	GS_CHECK(e != NULL);
	GS_CHECK_STR(e->path, "q/c/z");
	GS_CHECK_EQ(e->n_enrolments, 1);
	check_enrolment(e, 0, 0x80 | K_VIL3, K_TOWN, 2);
	gs__roster_entry__free_unpacked(e, NULL);
	e = (Gs__RosterEntry *)1;
	GS_CHECK_EQ(gs_roster_find(t, "q/d", k, &e), GS_ENOTFOUND);
	GS_CHECK(e == NULL);

	/* chained: every enrolled pair reaches the root; an unknown pair
	 * does not. */
	GS_CHECK(is_chained(t, K_ROOT, "q"));
	GS_CHECK(is_chained(t, K_TOWN, "q/c"));
	GS_CHECK(is_chained(t, K_VIL, "q/c/x"));
	GS_CHECK(is_chained(t, K_POLICE, "q/c/@police"));
	GS_CHECK(!is_chained(t, K_VIL, "q/c/y"));
	GS_CHECK(!is_chained(t, K_UNKNOWN, "q/c/x"));

	/* enrol the same pair again: the same Member changes nothing. */
	changed = true;
	GS_CHECK_EQ(enrol_id(t, "q/c/x", K_VIL, K_TOWN, 1, 0x80 | K_VIL,
	    &changed), 0);
	GS_CHECK(!changed);
	e = entry(t, K_VIL, "q/c/x");
	GS_CHECK_EQ(e->n_enrolments, 1);
	check_enrolment(e, 0, 0x80 | K_VIL, K_TOWN, 1);
	gs__roster_entry__free_unpacked(e, NULL);
	/* Another Member (whoever signed it) is kept beside the first, in
	 * id order, and reported as a change; once more, it is not. */
	changed = false;
	GS_CHECK_EQ(enrol_id(t, "q/c/x", K_VIL, K_ROOT, 9, 0xf0, &changed), 0);
	GS_CHECK(changed);
	changed = true;
	GS_CHECK_EQ(enrol_id(t, "q/c/x", K_VIL, K_ROOT, 9, 0xf0, &changed), 0);
	GS_CHECK(!changed);
	GS_CHECK_EQ(enrol_id(t, "q/c/x", K_VIL, K_ROOT, 9, 0xf0, NULL), 0);
	e = entry(t, K_VIL, "q/c/x");
	GS_CHECK_EQ(e->n_enrolments, 2);
	check_enrolment(e, 0, 0x80 | K_VIL, K_TOWN, 1);
	check_enrolment(e, 1, 0xf0, K_ROOT, 9);
	GS_CHECK_EQ(e->n_revocations, 0);
	gs__roster_entry__free_unpacked(e, NULL);
	GS_CHECK_EQ(gs_store_count(t, GS_DB_ROSTER, &n), 0);
	GS_CHECK_EQ(n, 6);
	/* The root's key holds no path q/c, so that Member is void; the
	 * town's keeps the pair valid and chained. */
	GS_CHECK(!is_void(t, K_VIL, "q/c/x", 1));
	GS_CHECK(is_chained(t, K_VIL, "q/c/x"));

	/* The same key at two more paths: each Member enrols its own pair,
	 * none refused, and each pair is judged as itself. Each is a new
	 * pair, so neither reports a change. */
	changed = true;
	GS_CHECK_EQ(enrol_id(t, "q/c/w", K_VIL, K_TOWN, 7, 0x40, &changed), 0);
	GS_CHECK(!changed);
	changed = true;
	GS_CHECK_EQ(enrol_id(t, "q/c", K_VIL, K_ROOT, 7, 0x41, &changed), 0);
	GS_CHECK(!changed);
	GS_CHECK_EQ(gs_store_count(t, GS_DB_ROSTER, &n), 0);
	GS_CHECK_EQ(n, 8);
	e = entry(t, K_VIL, "q/c/x");	/* the first pair is untouched */
	GS_CHECK_EQ(e->n_enrolments, 2);
	check_enrolment(e, 0, 0x80 | K_VIL, K_TOWN, 1);
	check_enrolment(e, 1, 0xf0, K_ROOT, 9);
	gs__roster_entry__free_unpacked(e, NULL);
	e = entry(t, K_VIL, "q/c/w");
	GS_CHECK_EQ(e->n_enrolments, 1);
	check_enrolment(e, 0, 0x40, K_TOWN, 7);
	gs__roster_entry__free_unpacked(e, NULL);
	e = entry(t, K_VIL, "q/c");
	GS_CHECK_EQ(e->n_enrolments, 1);
	check_enrolment(e, 0, 0x41, K_ROOT, 7);
	gs__roster_entry__free_unpacked(e, NULL);
	/* path_of gives the first in path order. */
	key_of(K_VIL, k);
	GS_CHECK_EQ(gs_roster_path_of(t, k, path, sizeof(path)), 0);
	GS_CHECK_STR(path, "q/c");
	GS_CHECK(!is_void(t, K_VIL, "q/c", 1));
	GS_CHECK(!is_void(t, K_VIL, "q/c/w", 1));
	GS_CHECK(!is_void(t, K_VIL, "q/c/x", 1));
	GS_CHECK(is_void(t, K_VIL, "q/c/v", 1));
	GS_CHECK(is_chained(t, K_VIL, "q/c"));
	/* Two unrevoked keys at q/c: find gives the lowest. */
	GS_CHECK_EQ(found_at(t, "q/c"), K_TOWN);
	/* A revocation names one pair: the others stay valid. */
	GS_CHECK_EQ(revoke_key(t, K_VIL, "q/c/w", 0, K_TOWN, 2), 0);
	GS_CHECK(is_void(t, K_VIL, "q/c/w", 1));
	GS_CHECK(!is_void(t, K_VIL, "q/c/x", 1));
	GS_CHECK(!is_void(t, K_VIL, "q/c", 1));
	e = entry(t, K_VIL, "q/c/x");
	GS_CHECK_EQ(e->n_revocations, 0);
	gs__roster_entry__free_unpacked(e, NULL);

	/* Nothing revoked: nothing void, at any seq, down the chain. */
	GS_CHECK(!is_void(t, K_ROOT, "q", 1000));
	GS_CHECK(!is_void(t, K_TOWN, "q/c", 1000));
	GS_CHECK(!is_void(t, K_VIL, "q/c/x", 1));
	GS_CHECK(!is_void(t, K_VIL2, "q/c/y", 1000));
	GS_CHECK(!is_void(t, K_POLICE, "q/c/@police", 1));
	/* Unknown pairs are void: an unknown key, or a key at a path it is
	 * not enrolled at. */
	GS_CHECK(is_void(t, K_UNKNOWN, "q/c/x", 1));
	GS_CHECK(is_void(t, K_UNKNOWN, "q/c/x", 0));
	GS_CHECK(is_void(t, K_VIL2, "q/c/x", 1));
	GS_CHECK(is_void(t, K_ROOT, "r", 1));

	/* revoke: an unknown key, or a known key at another path, is
	 * GS_ENOTFOUND. */
	GS_CHECK_EQ(revoke_key(t, K_UNKNOWN, "q/c/x", 1, K_TOWN, 3),
	    GS_ENOTFOUND);
	GS_CHECK_EQ(revoke_key(t, K_VIL2, "q/c/x", 1, K_TOWN, 3),
	    GS_ENOTFOUND);
	GS_CHECK_EQ(gs_store_count(t, GS_DB_ROSTER, &n), 0);
	GS_CHECK_EQ(n, 8);

	/* Every revocation is kept, whatever the order, so the lowest
	 * after_seq rules either way: 5 then 3, and 3 then 5, both void
	 * from seq 4; an identical repeat is recorded once. */
	GS_CHECK_EQ(enrol(t, "q/d", K_A, K_ROOT, 3), 0);
	GS_CHECK_EQ(enrol(t, "q/e", K_B, K_ROOT, 4), 0);
	GS_CHECK_EQ(revoke_key(t, K_A, "q/d", 5, K_ROOT, 10), 0);
	e = entry(t, K_A, "q/d");
	GS_CHECK_EQ(e->n_revocations, 1);
	GS_CHECK(has_revocation(e, 5, K_ROOT, 10));
	gs__roster_entry__free_unpacked(e, NULL);
	GS_CHECK_EQ(revoke_key(t, K_A, "q/d", 3, K_ROOT, 11), 0);
	GS_CHECK_EQ(revoke_key(t, K_B, "q/e", 3, K_ROOT, 11), 0);
	GS_CHECK_EQ(revoke_key(t, K_B, "q/e", 5, K_ROOT, 10), 0);
	GS_CHECK_EQ(revoke_key(t, K_B, "q/e", 3, K_ROOT, 11), 0);
	e = entry(t, K_A, "q/d");
	GS_CHECK_EQ(e->n_revocations, 2);
	GS_CHECK(has_revocation(e, 5, K_ROOT, 10));
	GS_CHECK(has_revocation(e, 3, K_ROOT, 11));
	/* The rest of the entry is kept. */
	GS_CHECK_EQ(e->n_enrolments, 1);
	check_enrolment(e, 0, 0x80 | K_A, K_ROOT, 3);
	gs__roster_entry__free_unpacked(e, NULL);
	e = entry(t, K_B, "q/e");
	GS_CHECK_EQ(e->n_revocations, 2);
	GS_CHECK(has_revocation(e, 5, K_ROOT, 10));
	GS_CHECK(has_revocation(e, 3, K_ROOT, 11));
	gs__roster_entry__free_unpacked(e, NULL);
	for (uint64_t q = 0; q <= 6; q++)
		GS_CHECK_EQ(is_void(t, K_A, "q/d", q), is_void(t, K_B, "q/e", q));
	/* Revoked at 0: every change of the pair is void. */
	GS_CHECK_EQ(revoke_key(t, K_A, "q/d", 0, K_ROOT, 12), 0);
	GS_CHECK(!is_void(t, K_A, "q/d", 0));
	GS_CHECK(is_void(t, K_A, "q/d", 1));

	/* void: not at seq <= after_seq, void above. */
	GS_CHECK(!is_void(t, K_B, "q/e", 1));
	GS_CHECK(!is_void(t, K_B, "q/e", 3));
	GS_CHECK(is_void(t, K_B, "q/e", 4));
	GS_CHECK(is_void(t, K_B, "q/e", 1000));

	/* A revoked key is no longer found at its path; the entry stays. */
	GS_CHECK_EQ(found_at(t, "q/e"), GS_ENOTFOUND);
	key_of(K_B, k);
	GS_CHECK_EQ(gs_roster_path_of(t, k, path, sizeof(path)), 0);
	GS_CHECK_STR(path, "q/e");

	/* Revoke the town after its seq 3: its own seq 4 on is void, and so
	 * is every pair it enrolled with a Member signed after seq 3 (q/c/y
	 * at 5); pairs it enrolled at seq <= 3 stay valid. */
	GS_CHECK_EQ(revoke_key(t, K_TOWN, "q/c", 3, K_ROOT, 13), 0);
	GS_CHECK(!is_void(t, K_TOWN, "q/c", 3));
	GS_CHECK(is_void(t, K_TOWN, "q/c", 4));
	GS_CHECK(!is_void(t, K_VIL, "q/c/x", 1));
	GS_CHECK(!is_void(t, K_VIL, "q/c/x", 1000));
	GS_CHECK(!is_void(t, K_VIL3, "q/c/z", 7));
	GS_CHECK(!is_void(t, K_POLICE, "q/c/@police", 2));
	GS_CHECK(is_void(t, K_VIL2, "q/c/y", 1));
	GS_CHECK(is_void(t, K_VIL2, "q/c/y", 1000));
	/* The town's key is revoked at q/c only: the other key enrolled at
	 * q/c is now the one found there. */
	GS_CHECK_EQ(found_at(t, "q/c"), K_VIL);
	GS_CHECK(!is_void(t, K_VIL, "q/c", 1000));
	/* The unrevoked village under it still is. */
	GS_CHECK_EQ(found_at(t, "q/c/x"), K_VIL);
	/* Revocations aside, the structure still chains. */
	GS_CHECK(is_chained(t, K_VIL2, "q/c/y"));

	/* The root cannot be revoked: a revocation recorded against it
	 * voids nothing, neither the root nor anything below. */
	GS_CHECK_EQ(revoke_key(t, K_ROOT, "q", 1, K_ROOT, 14), 0);
	GS_CHECK(!is_void(t, K_ROOT, "q", 1));
	GS_CHECK(!is_void(t, K_ROOT, "q", 2));
	GS_CHECK(!is_void(t, K_TOWN, "q/c", 1));
	GS_CHECK(!is_void(t, K_VIL, "q/c/x", 1));
	GS_CHECK(!is_void(t, K_POLICE, "q/c/@police", 1));

	/* Everything above lives in the store: commit and read back. */
	GS_CHECK_EQ(gs_txn_commit(&t), 0);
	GS_CHECK_EQ(gs_txn_begin(s, 0, &t), 0);
	e = entry(t, K_A, "q/d");
	GS_CHECK_EQ(e->n_revocations, 3);
	GS_CHECK(has_revocation(e, 0, K_ROOT, 12));
	gs__roster_entry__free_unpacked(e, NULL);
	GS_CHECK(is_void(t, K_A, "q/d", 1));
	GS_CHECK(!is_void(t, K_VIL, "q/c/x", 1));
	GS_CHECK(is_void(t, K_VIL2, "q/c/y", 1));
	GS_CHECK(!is_void(t, K_ROOT, "q", 1));
	GS_CHECK_EQ(gs_store_count(t, GS_DB_ROSTER, &n), 0);
	GS_CHECK_EQ(n, 10);
	gs_txn_abort(&t);
	store_free(&s);
}

/*
 * Several Members for one (key, path): every one is kept, once, sorted by
 * change id, so the stored entry is the same bytes whatever the order they
 * arrive in; the revocations already recorded stay. Only a new Member for
 * a pair already enrolled reports a change.
 */
static void
test_roster_members(void)
{
	static const int ids[3] = { 0x90, 0x10, 0xa0 };
	static const int order[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
		{ 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	gs_store *s;
	gs_txn *t = NULL;
	Gs__RosterEntry *e;
	uint8_t *ref = NULL, *b;
	size_t ref_len = 0, len;
	bool changed;

	s = store_new();
	for (int p = 0; p < 6; p++) {
		GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
		GS_CHECK_EQ(enrol(t, "q", K_ROOT, K_ROOT, 1), 0);
		GS_CHECK_EQ(enrol(t, "q/c", K_TOWN, K_ROOT, 2), 0);
		for (int i = 0; i < 3; i++) {
			int j = order[p][i];

			/* Member j is the town's seq 2 + j. changed starts
			 * as the wrong answer, so it must be written: only
			 * the first of the three finds the pair new. */
			changed = i == 0;
			GS_CHECK_EQ(enrol_id(t, "q/c/x", K_VIL, K_TOWN,
			    2 + (uint64_t)j, ids[j], &changed), 0);
			GS_CHECK_EQ(changed, i > 0);
			if (i == 0)
				GS_CHECK_EQ(revoke_key(t, K_VIL, "q/c/x", 7,
				    K_TOWN, 9), 0);
			/* A Member already held, again: no change. */
			changed = true;
			GS_CHECK_EQ(enrol_id(t, "q/c/x", K_VIL, K_TOWN,
			    2 + (uint64_t)j, ids[j], &changed), 0);
			GS_CHECK(!changed);
			e = entry(t, K_VIL, "q/c/x");
			GS_CHECK_EQ(e->n_enrolments, (size_t)i + 1);
			for (size_t k = 1; k < e->n_enrolments; k++)
				GS_CHECK(memcmp(e->enrolments[k - 1]->
				    member_change.data,
				    e->enrolments[k]->member_change.data,
				    GS_ID_BYTES) < 0);
			gs__roster_entry__free_unpacked(e, NULL);
		}
		e = entry(t, K_VIL, "q/c/x");
		GS_CHECK_EQ(e->n_enrolments, 3);
		check_enrolment(e, 0, 0x10, K_TOWN, 3);
		check_enrolment(e, 1, 0x90, K_TOWN, 2);
		check_enrolment(e, 2, 0xa0, K_TOWN, 4);
		GS_CHECK_EQ(e->n_revocations, 1);
		GS_CHECK(has_revocation(e, 7, K_TOWN, 9));
		gs__roster_entry__free_unpacked(e, NULL);
		/* Identical bytes whatever the arrival order. */
		b = entry_bytes(t, K_VIL, "q/c/x", &len);
		if (ref == NULL) {
			ref = b;
			ref_len = len;
		} else {
			GS_CHECK_EQ(len, ref_len);
			GS_CHECK(memcmp(b, ref, len) == 0);
			free(b);
		}
		GS_CHECK(!is_void(t, K_VIL, "q/c/x", 7));
		GS_CHECK(is_void(t, K_VIL, "q/c/x", 8));
		gs_txn_abort(&t);
	}
	free(ref);
	store_free(&s);
}

/* Enrols test_roster_void_members' village by Member number i of two:
 * the genuine one (the town's seq 2, before its revocation) or the stolen
 * key's (seq 3, after it, with a lower id). */
static void
enrol_vil(gs_txn *t, int i, bool want_changed)
{
	bool changed = !want_changed;

	if (i == 0)
		GS_CHECK_EQ(enrol_id(t, "q/c/v", K_VIL, K_TOWN, 2, 0x90,
		    &changed), 0);
	else
		GS_CHECK_EQ(enrol_id(t, "q/c/v", K_VIL, K_TOWN, 3, 0x10,
		    &changed), 0);
	GS_CHECK_EQ(changed, want_changed);
}

/*
 * A pair is void only when every Member that enrolled it is. The county
 * revokes the town after its seq 2; the town's stolen key then signs (at
 * seq 3) another Member for the village q/c/v, with a lower id than the
 * genuine one (seq 2). With both, the village stands, in either order;
 * with the stolen one alone it is void, and so is all it enrolled. The
 * revocation rules are unchanged: a valid revocation of the pair still
 * voids it from after_seq on, whatever Members it holds.
 */
static void
test_roster_void_members(void)
{
	gs_store *s;
	gs_txn *t = NULL;
	Gs__RosterEntry *e;
	uint8_t *ref = NULL, *b;
	size_t ref_len = 0, len;
	bool changed;

	s = store_new();
	/* Both Members, either order: valid at every seq. */
	for (int p = 0; p < 2; p++) {
		GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
		GS_CHECK_EQ(enrol(t, "q", K_ROOT, K_ROOT, 1), 0);
		GS_CHECK_EQ(enrol(t, "q/c", K_TOWN, K_ROOT, 2), 0);
		GS_CHECK_EQ(revoke_key(t, K_TOWN, "q/c", 2, K_ROOT, 3), 0);
		enrol_vil(t, p, false);
		/* One Member so far: the genuine one alone is valid, the
		 * stolen one alone void. */
		GS_CHECK_EQ(is_void(t, K_VIL, "q/c/v", 1), p == 1);
		GS_CHECK(is_chained(t, K_VIL, "q/c/v"));
		enrol_vil(t, 1 - p, true);
		e = entry(t, K_VIL, "q/c/v");
		GS_CHECK_EQ(e->n_enrolments, 2);
		check_enrolment(e, 0, 0x10, K_TOWN, 3);
		check_enrolment(e, 1, 0x90, K_TOWN, 2);
		gs__roster_entry__free_unpacked(e, NULL);
		b = entry_bytes(t, K_VIL, "q/c/v", &len);
		if (ref == NULL) {
			ref = b;
			ref_len = len;
		} else {
			GS_CHECK_EQ(len, ref_len);
			GS_CHECK(memcmp(b, ref, len) == 0);
			free(b);
		}
		GS_CHECK(!is_void(t, K_VIL, "q/c/v", 1));
		GS_CHECK(!is_void(t, K_VIL, "q/c/v", 1000));
		GS_CHECK(is_chained(t, K_VIL, "q/c/v"));
		/* What the village enrolled stands with it. */
		GS_CHECK_EQ(enrol(t, "q/c/v/@v", K_DEPT, K_VIL, 1), 0);
		GS_CHECK(!is_void(t, K_DEPT, "q/c/v/@v", 1));
		/* The stolen key cannot revoke it either (its seq 4). */
		GS_CHECK_EQ(revoke_key(t, K_VIL, "q/c/v", 0, K_TOWN, 4), 0);
		GS_CHECK(!is_void(t, K_VIL, "q/c/v", 1));
		/* One the town signed before its own revocation (at its
		 * seq 1) counts. */
		GS_CHECK_EQ(revoke_key(t, K_VIL, "q/c/v", 5, K_TOWN, 1), 0);
		GS_CHECK(!is_void(t, K_VIL, "q/c/v", 5));
		GS_CHECK(is_void(t, K_VIL, "q/c/v", 6));
		gs_txn_abort(&t);
	}
	free(ref);

	/* Only void Members: the stolen key's, and one by a key not
	 * enrolled at q/c at all. The pair is void, and so is what it
	 * enrolled. */
	GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
	GS_CHECK_EQ(enrol(t, "q", K_ROOT, K_ROOT, 1), 0);
	GS_CHECK_EQ(enrol(t, "q/c", K_TOWN, K_ROOT, 2), 0);
	GS_CHECK_EQ(revoke_key(t, K_TOWN, "q/c", 2, K_ROOT, 3), 0);
	enrol_vil(t, 1, false);
	changed = false;
	GS_CHECK_EQ(enrol_id(t, "q/c/v", K_VIL, K_UNKNOWN, 1, 0x50, &changed),
	    0);
	GS_CHECK(changed);
	e = entry(t, K_VIL, "q/c/v");
	GS_CHECK_EQ(e->n_enrolments, 2);
	check_enrolment(e, 0, 0x10, K_TOWN, 3);
	check_enrolment(e, 1, 0x50, K_UNKNOWN, 1);
	gs__roster_entry__free_unpacked(e, NULL);
	GS_CHECK(is_void(t, K_VIL, "q/c/v", 0));
	GS_CHECK(is_void(t, K_VIL, "q/c/v", 1));
	GS_CHECK(is_void(t, K_VIL, "q/c/v", 1000));
	/* Revocations aside, the stolen key's Member still chains. */
	GS_CHECK(is_chained(t, K_VIL, "q/c/v"));
	GS_CHECK_EQ(enrol(t, "q/c/v/@v", K_DEPT, K_VIL, 1), 0);
	GS_CHECK(is_void(t, K_DEPT, "q/c/v/@v", 1));
	/* The genuine Member arrives: one valid enrolment is enough. */
	enrol_vil(t, 0, true);
	GS_CHECK(!is_void(t, K_VIL, "q/c/v", 1));
	GS_CHECK(!is_void(t, K_DEPT, "q/c/v/@v", 1));
	gs_txn_abort(&t);

	/* A pair whose only Members are signed by unenrolled keys neither
	 * chains nor is valid; one chaining Member is enough for both. */
	GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
	GS_CHECK_EQ(enrol(t, "q", K_ROOT, K_ROOT, 1), 0);
	GS_CHECK_EQ(enrol(t, "q/c", K_TOWN, K_ROOT, 2), 0);
	GS_CHECK_EQ(enrol_id(t, "q/c/v", K_VIL, K_UNKNOWN, 1, 0x50, NULL), 0);
	GS_CHECK_EQ(enrol_id(t, "q/c/v", K_VIL, K_A, 1, 0x60, NULL), 0);
	GS_CHECK(is_void(t, K_VIL, "q/c/v", 1));
	GS_CHECK(!is_chained(t, K_VIL, "q/c/v"));
	GS_CHECK_EQ(enrol_id(t, "q/c/v", K_VIL, K_TOWN, 5, 0xe0, NULL), 0);
	GS_CHECK(!is_void(t, K_VIL, "q/c/v", 1));
	GS_CHECK(is_chained(t, K_VIL, "q/c/v"));
	e = entry(t, K_VIL, "q/c/v");
	GS_CHECK_EQ(e->n_enrolments, 3);
	check_enrolment(e, 0, 0x50, K_UNKNOWN, 1);
	check_enrolment(e, 1, 0x60, K_A, 1);
	check_enrolment(e, 2, 0xe0, K_TOWN, 5);
	gs__roster_entry__free_unpacked(e, NULL);
	gs_txn_abort(&t);
	store_free(&s);
}

/* Records revocation number i of test_roster_revoker's three. */
static void
revoker_step(gs_txn *t, int i, uint64_t town_seq)
{
	switch (i) {
	case 0:		/* the county revokes the town after its seq 3 */
		GS_CHECK_EQ(revoke_key(t, K_TOWN, "q/c", 3, K_ROOT, 5), 0);
		break;
	case 1:		/* the town revokes the village after its seq 1 */
		GS_CHECK_EQ(revoke_key(t, K_VIL, "q/c/x", 1, K_TOWN, town_seq),
		    0);
		break;
	default:	/* the village revokes its department, after 0 */
		GS_CHECK_EQ(revoke_key(t, K_DEPT, "q/c/x/@x", 0, K_VIL, 2), 0);
		break;
	}
}

/*
 * A revocation counts only when its own signer's change is not void. The
 * county revokes the town after its seq 3; the town then (at its seq 4, a
 * stolen key) revokes the village after its seq 1: the village's changes
 * stay valid, and so the village's own revocation of its department (at
 * its seq 2) still counts. Had the town revoked the village at its seq 3,
 * before its own revocation, the village would be void from seq 2 and its
 * revocation of the department would not count. The answers do not depend
 * on the order the revocations are recorded in.
 */
static void
test_roster_revoker(void)
{
	static const int order[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
		{ 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	gs_store *s;
	gs_txn *t = NULL;

	s = store_new();
	for (int p = 0; p < 6; p++) {
		for (uint64_t town_seq = 3; town_seq <= 4; town_seq++) {
			bool stolen = town_seq == 4;

			GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
			GS_CHECK_EQ(enrol(t, "q", K_ROOT, K_ROOT, 1), 0);
			GS_CHECK_EQ(enrol(t, "q/c", K_TOWN, K_ROOT, 2), 0);
			GS_CHECK_EQ(enrol(t, "q/c/x", K_VIL, K_TOWN, 1), 0);
			GS_CHECK_EQ(enrol(t, "q/c/y", K_VIL2, K_TOWN, 2), 0);
			GS_CHECK_EQ(enrol(t, "q/c/x/@x", K_DEPT, K_VIL, 1), 0);
			for (int i = 0; i < 3; i++)
				revoker_step(t, order[p][i], town_seq);

			GS_CHECK(!is_void(t, K_TOWN, "q/c", 3));
			GS_CHECK(is_void(t, K_TOWN, "q/c", 4));
			/* The village: seq 1 is never after the revocation. */
			GS_CHECK(!is_void(t, K_VIL, "q/c/x", 1));
			GS_CHECK_EQ(is_void(t, K_VIL, "q/c/x", 2), !stolen);
			GS_CHECK_EQ(is_void(t, K_VIL, "q/c/x", 9), !stolen);
			/* Its department, enrolled at the village's seq 1 and
			 * revoked by its seq 2. */
			GS_CHECK(!is_void(t, K_DEPT, "q/c/x/@x", 0));
			GS_CHECK_EQ(is_void(t, K_DEPT, "q/c/x/@x", 1), stolen);
			GS_CHECK(is_chained(t, K_DEPT, "q/c/x/@x"));
			/* A sibling village the town enrolled before its
			 * revocation is untouched either way. */
			GS_CHECK(!is_void(t, K_VIL2, "q/c/y", 1000));
			gs_txn_abort(&t);
		}
	}

	/* A revocation signed by a key that is not enrolled at the parent
	 * path never counts: an unknown key, a sibling village, or the
	 * town's key at another path. */
	GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
	GS_CHECK_EQ(enrol(t, "q", K_ROOT, K_ROOT, 1), 0);
	GS_CHECK_EQ(enrol(t, "q/c", K_TOWN, K_ROOT, 2), 0);
	GS_CHECK_EQ(enrol(t, "q/c/x", K_VIL, K_TOWN, 1), 0);
	GS_CHECK_EQ(enrol(t, "q/c/y", K_VIL2, K_TOWN, 2), 0);
	GS_CHECK_EQ(revoke_key(t, K_VIL, "q/c/x", 0, K_UNKNOWN, 1), 0);
	GS_CHECK_EQ(revoke_key(t, K_VIL, "q/c/x", 0, K_VIL2, 1), 0);
	GS_CHECK(!is_void(t, K_VIL, "q/c/x", 1));
	/* The town's own key, at its path: counts. */
	GS_CHECK_EQ(revoke_key(t, K_VIL, "q/c/x", 0, K_TOWN, 3), 0);
	GS_CHECK(is_void(t, K_VIL, "q/c/x", 1));
	gs_txn_abort(&t);
	store_free(&s);
}

/*
 * The root: only a self-signed entry at a root path is valid, it can
 * never be revoked, and a root path signed by another key is void with
 * everything it enrolled.
 */
static void
test_roster_root(void)
{
	gs_store *s;
	gs_txn *t = NULL;

	s = store_new();
	GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
	GS_CHECK_EQ(enrol(t, "q", K_ROOT, K_ROOT, 1), 0);
	GS_CHECK_EQ(enrol(t, "q/c", K_TOWN, K_ROOT, 2), 0);
	GS_CHECK(!is_void(t, K_ROOT, "q", 0));
	GS_CHECK(!is_void(t, K_ROOT, "q", UINT64_MAX));
	GS_CHECK(is_chained(t, K_ROOT, "q"));

	/* Revocations of the root, by itself or anyone, at any after_seq:
	 * recorded, and ignored. */
	GS_CHECK_EQ(revoke_key(t, K_ROOT, "q", 0, K_ROOT, 3), 0);
	GS_CHECK_EQ(revoke_key(t, K_ROOT, "q", 0, K_TOWN, 1), 0);
	GS_CHECK(!is_void(t, K_ROOT, "q", 1));
	GS_CHECK(!is_void(t, K_ROOT, "q", 1000));
	GS_CHECK(!is_void(t, K_TOWN, "q/c", 1));
	GS_CHECK(is_chained(t, K_ROOT, "q"));

	/* A root path enrolled by another key: void, not chained, and so
	 * is what it enrolls. */
	GS_CHECK_EQ(enrol(t, "r", K_A, K_ROOT, 4), 0);
	GS_CHECK_EQ(enrol(t, "r/a", K_B, K_A, 1), 0);
	GS_CHECK(is_void(t, K_A, "r", 1));
	GS_CHECK(!is_chained(t, K_A, "r"));
	GS_CHECK(is_void(t, K_B, "r/a", 1));
	GS_CHECK(!is_chained(t, K_B, "r/a"));
	/* Nor does a self-signed entry lend the root key a path it was
	 * not enrolled at. */
	GS_CHECK(is_void(t, K_ROOT, "s", 1));
	GS_CHECK(!is_chained(t, K_ROOT, "s"));
	/* A town whose Member the root signed: chained, valid. */
	GS_CHECK(is_chained(t, K_TOWN, "q/c"));
	/* A town signed by a key that is not the root's: void. */
	GS_CHECK_EQ(enrol(t, "q/d", K_C, K_A, 2), 0);
	GS_CHECK(is_void(t, K_C, "q/d", 1));
	GS_CHECK(!is_chained(t, K_C, "q/d"));
	gs_txn_abort(&t);
	store_free(&s);
}

/* The paths gs_roster_areas_below lists, joined with spaces. */
static void
areas(gs_txn *t, const char *under, int min_depth, char *out, size_t cap)
{
	char (*p)[GS_PATH_MAX_BYTES + 1] = (void *)1;
	size_t n = 99;

	out[0] = '\0';
	GS_CHECK_EQ(gs_roster_areas_below(t, under, min_depth, &p, &n), 0);
	if (n == 0)
		GS_CHECK(p == NULL);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(out);

		snprintf(out + l, cap - l, "%s%s", l ? " " : "", p[i]);
	}
	free(p);
}

/*
 * gs_roster_areas_below: the area paths strictly below, deep enough,
 * with a key enrolled and not revoked from its first change; departments
 * left out; a path with two keys listed once; sorted.
 */
static void
test_roster_areas_below(void)
{
	gs_store *s;
	gs_txn *t = NULL;
	char got[512];

	s = store_new();
	GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
	areas(t, "q", 2, got, sizeof(got));
	GS_CHECK_STR(got, "");

	GS_CHECK_EQ(enrol(t, "q", K_ROOT, K_ROOT, 1), 0);
	GS_CHECK_EQ(enrol(t, "q/c", K_TOWN, K_ROOT, 2), 0);
	GS_CHECK_EQ(enrol(t, "q/d", K_D, K_ROOT, 3), 0);
	GS_CHECK_EQ(enrol(t, "q/c/y", K_VIL2, K_TOWN, 1), 0);
	GS_CHECK_EQ(enrol(t, "q/c/x", K_VIL, K_TOWN, 2), 0);
	GS_CHECK_EQ(enrol(t, "q/c/z", K_VIL3, K_TOWN, 3), 0);
	GS_CHECK_EQ(enrol(t, "q/c/@police", K_POLICE, K_TOWN, 4), 0);
	GS_CHECK_EQ(enrol(t, "q/@justice", K_DEPT, K_ROOT, 4), 0);
	GS_CHECK_EQ(enrol(t, "q/d/w", K_C, K_D, 1), 0);
	/* q/c/x re-enrolled with a second key: still one path. */
	GS_CHECK_EQ(enrol(t, "q/c/x", K_A, K_TOWN, 5), 0);
	/* q/c/xx: a prefix of nothing, a path of its own. */
	GS_CHECK_EQ(enrol(t, "q/c/xx", K_B, K_TOWN, 6), 0);

	areas(t, "q/c", 3, got, sizeof(got));
	GS_CHECK_STR(got, "q/c/x q/c/xx q/c/y q/c/z");
	areas(t, "q", 2, got, sizeof(got));
	GS_CHECK_STR(got, "q/c q/c/x q/c/xx q/c/y q/c/z q/d q/d/w");
	areas(t, "q", 3, got, sizeof(got));
	GS_CHECK_STR(got, "q/c/x q/c/xx q/c/y q/c/z q/d/w");
	areas(t, "q", 4, got, sizeof(got));
	GS_CHECK_STR(got, "");
	areas(t, "q/c/x", 1, got, sizeof(got));
	GS_CHECK_STR(got, "");
	areas(t, "q/e", 1, got, sizeof(got));
	GS_CHECK_STR(got, "");

	/* Revoked from its first change: gone. Revoked later (after 4):
	 * still a village that should report. */
	GS_CHECK_EQ(revoke_key(t, K_VIL3, "q/c/z", 0, K_TOWN, 7), 0);
	GS_CHECK_EQ(revoke_key(t, K_VIL2, "q/c/y", 4, K_TOWN, 8), 0);
	/* One of q/c/x's two keys revoked from the start: the other holds. */
	GS_CHECK_EQ(revoke_key(t, K_VIL, "q/c/x", 0, K_TOWN, 9), 0);
	areas(t, "q/c", 3, got, sizeof(got));
	GS_CHECK_STR(got, "q/c/x q/c/xx q/c/y");
	/* Both: gone. */
	GS_CHECK_EQ(revoke_key(t, K_A, "q/c/x", 0, K_TOWN, 10), 0);
	areas(t, "q/c", 3, got, sizeof(got));
	GS_CHECK_STR(got, "q/c/xx q/c/y");
	/* The town revoked from its first change: its villages' Members are
	 * void with it. */
	GS_CHECK_EQ(revoke_key(t, K_TOWN, "q/c", 0, K_ROOT, 5), 0);
	areas(t, "q", 2, got, sizeof(got));
	GS_CHECK_STR(got, "q/d q/d/w");

	gs_txn_abort(&t);
	store_free(&s);
}

int
main(void)
{
	memset(root_key, 0x11, sizeof(root_key));
	GS_RUN(test_member);
	GS_RUN(test_revoke);
	GS_RUN(test_report);
	GS_RUN(test_progress);
	GS_RUN(test_whistle);
	GS_RUN(test_return);
	GS_RUN(test_dispatch);
	GS_RUN(test_ack);
	GS_RUN(test_resolve);
	GS_RUN(test_followup);
	GS_RUN(test_reopen);
	GS_RUN(test_supervise);
	GS_RUN(test_notice);
	GS_RUN(test_rollup);
	GS_RUN(test_receipt);
	GS_RUN(test_check);
	GS_RUN(test_malformed_case_id);
	GS_RUN(test_roster);
	GS_RUN(test_roster_members);
	GS_RUN(test_roster_void_members);
	GS_RUN(test_roster_revoker);
	GS_RUN(test_roster_root);
	GS_RUN(test_roster_areas_below);
	return 0;
}
