/*
 * test_path.c: node paths and case ids.
 */
#include <sodium.h>

#include "gs/error.h"
#include "gs/path.h"
#include "gs_test.h"

static void
test_valid(void)
{
	static const struct {
		const char *p;
		int want;
	} cases[] = {
		{ "qianyang", 0 },
		{ "qianyang/cuimu", 0 },
		{ "qianyang/cuimu/xiazhai", 0 },
		{ "qianyang/cuimu/@police", 0 },
		{ "qianyang/@justice", 0 },
		{ "a-b_c/0-9", 0 },
		{ "a/b/c/d/e/f/g/h", 0 },			/* 8 segments */
		{ "a/b/c/d/e/f/g/@h", 0 },
		{ "a/@x", 0 },
		{ "", GS_EINVAL },
		{ "Qianyang", GS_EINVAL },			/* uppercase */
		{ "qianyang/Cuimu", GS_EINVAL },
		{ "qianyang//cuimu", GS_EINVAL },		/* empty segment */
		{ "/qianyang", GS_EINVAL },
		{ "qianyang/", GS_EINVAL },			/* trailing slash */
		{ "qianyang/@police/x", GS_EINVAL },		/* '@' in the middle */
		{ "qianyang/cui@mu", GS_EINVAL },		/* '@' inside a segment */
		{ "qianyang/@", GS_EINVAL },			/* '@' alone */
		{ "@county", GS_EINVAL },			/* root department */
		{ "qianyang/@@x", GS_EINVAL },
		{ "a/b/c/d/e/f/g/h/i", GS_EINVAL },		/* 9 segments */
		{ "a/b/c/d/e/f/g/h/@i", GS_EINVAL },
		{ "q/cuimu xiazhai", GS_EINVAL },
		{ "q/cui.mu", GS_EINVAL },
		{ "q#x", GS_EINVAL },
		{ "\xe4\xb9\xbe\xe5\x8e\xbf", GS_EINVAL },	/* 乾县, non-ASCII */
		{ "q/caf\xc3\xa9", GS_EINVAL },
	};
	char seg32[40], seg33[40], buf[200];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (gs_path_valid(cases[i].p) != cases[i].want) {
			fprintf(stderr, "path \"%s\": got %d want %d\n",
			    cases[i].p, gs_path_valid(cases[i].p),
			    cases[i].want);
			GS_CHECK(0);
		}
	}
	GS_CHECK_EQ(gs_path_valid(NULL), GS_EINVAL);

	memset(seg32, 'a', 32);
	seg32[32] = '\0';
	memset(seg33, 'a', 33);
	seg33[33] = '\0';
	GS_CHECK_EQ(gs_path_valid(seg32), 0);
	GS_CHECK_EQ(gs_path_valid(seg33), GS_EINVAL);	/* 33-byte segment */
	snprintf(buf, sizeof(buf), "q/%s", seg33);
	GS_CHECK_EQ(gs_path_valid(buf), GS_EINVAL);
	/* "@" plus 31 chars is 32 bytes; plus 32 is 33. */
	snprintf(buf, sizeof(buf), "q/@%.31s", seg32);
	GS_CHECK_EQ(gs_path_valid(buf), 0);
	snprintf(buf, sizeof(buf), "q/@%s", seg32);
	GS_CHECK_EQ(gs_path_valid(buf), GS_EINVAL);

	/* 4 segments of 32 plus 3 slashes is 131 bytes: over 128. */
	snprintf(buf, sizeof(buf), "%s/%s/%s/%s", seg32, seg32, seg32, seg32);
	GS_CHECK_EQ(strlen(buf), 131);
	GS_CHECK_EQ(gs_path_valid(buf), GS_EINVAL);
	/* Exactly 128 bytes: 3 x 32 + 3 slashes + 29. */
	snprintf(buf, sizeof(buf), "%s/%s/%s/%.29s", seg32, seg32, seg32,
	    seg32);
	GS_CHECK_EQ(strlen(buf), GS_PATH_MAX_BYTES);
	GS_CHECK_EQ(gs_path_valid(buf), 0);
	snprintf(buf, sizeof(buf), "%s/%s/%s/%.30s", seg32, seg32, seg32,
	    seg32);
	GS_CHECK_EQ(gs_path_valid(buf), GS_EINVAL);
}

static void
test_depth_dept_tier(void)
{
	GS_CHECK_EQ(gs_path_depth("qianyang"), 1);
	GS_CHECK_EQ(gs_path_depth("qianyang/cuimu"), 2);
	GS_CHECK_EQ(gs_path_depth("qianyang/cuimu/xiazhai"), 3);
	GS_CHECK_EQ(gs_path_depth("qianyang/cuimu/@police"), 3);
	GS_CHECK_EQ(gs_path_depth("a/b/c/d/e/f/g/h"), 8);
	GS_CHECK_EQ(gs_path_depth("a//b"), GS_EINVAL);

	GS_CHECK(gs_path_is_dept("qianyang/cuimu/@police"));
	GS_CHECK(gs_path_is_dept("qianyang/@justice"));
	GS_CHECK(!gs_path_is_dept("qianyang/cuimu"));
	GS_CHECK(!gs_path_is_dept("qianyang"));
	GS_CHECK(!gs_path_is_dept("@qianyang"));
	GS_CHECK(!gs_path_is_dept(NULL));

	GS_CHECK_STR(gs_path_tier_label("qianyang"), "县");
	GS_CHECK_STR(gs_path_tier_label("qianyang/cuimu"), "镇");
	GS_CHECK_STR(gs_path_tier_label("qianyang/cuimu/xiazhai"), "村");
	GS_CHECK_STR(gs_path_tier_label("qianyang/cuimu/xiazhai/g1"), "网格");
	GS_CHECK_STR(gs_path_tier_label("a/b/c/d/e"), "网格");
	GS_CHECK_STR(gs_path_tier_label("qianyang/@justice"), "部门");
	GS_CHECK_STR(gs_path_tier_label("qianyang/cuimu/@police"), "部门");
	GS_CHECK(gs_path_tier_label("Bad") == NULL);

	GS_CHECK_STR(gs_path_tier_name(1), "county");
	GS_CHECK_STR(gs_path_tier_name(2), "town");
	GS_CHECK_STR(gs_path_tier_name(3), "village");
	GS_CHECK_STR(gs_path_tier_name(4), "deeper");
	GS_CHECK_STR(gs_path_tier_name(8), "deeper");
	GS_CHECK(gs_path_tier_name(0) == NULL);
	GS_CHECK(gs_path_tier_name(-1) == NULL);
}

static void
test_parent(void)
{
	char out[GS_PATH_MAX_BYTES + 1];

	GS_CHECK_EQ(gs_path_parent("qianyang/cuimu/xiazhai", out, sizeof(out)),
	    0);
	GS_CHECK_STR(out, "qianyang/cuimu");
	GS_CHECK_EQ(gs_path_parent("qianyang/cuimu", out, sizeof(out)), 0);
	GS_CHECK_STR(out, "qianyang");
	GS_CHECK_EQ(gs_path_parent("qianyang/cuimu/@police", out, sizeof(out)),
	    0);
	GS_CHECK_STR(out, "qianyang/cuimu");
	GS_CHECK_EQ(gs_path_parent("qianyang", out, sizeof(out)),
	    GS_ENOTFOUND);
	GS_CHECK_EQ(gs_path_parent("qianyang/", out, sizeof(out)), GS_EINVAL);
	/* "qianyang" needs 9 bytes with its NUL. */
	GS_CHECK_EQ(gs_path_parent("qianyang/cuimu", out, 8), GS_ETOOBIG);
	GS_CHECK_EQ(gs_path_parent("qianyang/cuimu", out, 9), 0);
	GS_CHECK_STR(out, "qianyang");
}

static void
test_ancestor(void)
{
	static const struct {
		const char *a, *d;
		bool anc, within;
	} cases[] = {
		{ "a", "a/b", true, true },
		{ "a", "a/b/c", true, true },
		{ "a/b", "a/b/c", true, true },
		{ "a", "a/@x", true, true },
		{ "a/b", "a/b/@police", true, true },
		{ "a", "ab", false, false },
		{ "a", "ab/c", false, false },
		{ "a", "a", false, true },
		{ "a/b", "a/b", false, true },
		{ "a/b", "a", false, false },
		{ "a/b", "a/c/d", false, false },
		{ "a/@x", "a/@x", false, true },
		{ "b", "a/b", false, false },
		{ "a/", "a/b", false, false },		/* invalid ancestor */
		{ "a", "a/B", false, false },		/* invalid descendant */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (gs_path_is_ancestor(cases[i].a, cases[i].d) !=
		    cases[i].anc ||
		    gs_path_within(cases[i].a, cases[i].d) !=
		    cases[i].within) {
			fprintf(stderr, "ancestor \"%s\" \"%s\"\n",
			    cases[i].a, cases[i].d);
			GS_CHECK(0);
		}
	}
}

static void
test_step_down(void)
{
	char out[GS_PATH_MAX_BYTES + 1];

	GS_CHECK_EQ(gs_path_step_down("q", "q/c/x", out, sizeof(out)), 0);
	GS_CHECK_STR(out, "q/c");
	GS_CHECK_EQ(gs_path_step_down("q", "q/c", out, sizeof(out)), 0);
	GS_CHECK_STR(out, "q/c");
	GS_CHECK_EQ(gs_path_step_down("q/c", "q/c/x/g", out, sizeof(out)), 0);
	GS_CHECK_STR(out, "q/c/x");
	GS_CHECK_EQ(gs_path_step_down("q/c", "q/c/@police", out, sizeof(out)),
	    0);
	GS_CHECK_STR(out, "q/c/@police");
	GS_CHECK_EQ(gs_path_step_down("q", "q", out, sizeof(out)), GS_EINVAL);
	GS_CHECK_EQ(gs_path_step_down("q/c", "q", out, sizeof(out)),
	    GS_EINVAL);
	GS_CHECK_EQ(gs_path_step_down("q", "qq/c", out, sizeof(out)),
	    GS_EINVAL);
	GS_CHECK_EQ(gs_path_step_down("q/c", "q/d/x", out, sizeof(out)),
	    GS_EINVAL);
	GS_CHECK_EQ(gs_path_step_down("q", "q/c/x", out, 3), GS_ETOOBIG);
	GS_CHECK_EQ(gs_path_step_down("q", "q/c/x", out, 4), 0);
	GS_CHECK_STR(out, "q/c");
}

static void
test_case_id_owner(void)
{
	static const struct {
		const char *id;
		int want;
		const char *owner;
	} cases[] = {
		{ "qianyang/cuimu/xiazhai#01JD3XQ7ZP9K2M4N6R8T0VWXYZ", 0,
		    "qianyang/cuimu/xiazhai" },
		{ "q#00000000000000000000000000", 0, "q" },
		{ "q/c#7ZZZZZZZZZZZZZZZZZZZZZZZZZ", 0, "q/c" },
		/* Over 128 bits. */
		{ "q/c#8ZZZZZZZZZZZZZZZZZZZZZZZZZ", GS_EINVAL, NULL },
		/* Lowercase, and the letters Crockford leaves out. */
		{ "q/c#01jd3xq7zp9k2m4n6r8t0vwxyz", GS_EINVAL, NULL },
		{ "q/c#01JD3XQ7ZP9K2M4N6R8T0VWXYI", GS_EINVAL, NULL },
		{ "q/c#01JD3XQ7ZP9K2M4N6R8T0VWXYL", GS_EINVAL, NULL },
		{ "q/c#01JD3XQ7ZP9K2M4N6R8T0VWXYO", GS_EINVAL, NULL },
		{ "q/c#01JD3XQ7ZP9K2M4N6R8T0VWXYU", GS_EINVAL, NULL },
		{ "q/c#01JD3XQ7ZP9K2M4N6R8T0VWXY-", GS_EINVAL, NULL },
		{ "q/c#01JD3XQ7ZP9K2M4N6R8T0VWXY#", GS_EINVAL, NULL },
		/* Wrong length: 25 and 27. */
		{ "q/c#01JD3XQ7ZP9K2M4N6R8T0VWXY", GS_EINVAL, NULL },
		{ "q/c#01JD3XQ7ZP9K2M4N6R8T0VWXYZ0", GS_EINVAL, NULL },
		{ "q/c#", GS_EINVAL, NULL },
		/* A department never owns a case. */
		{ "q/c/@police#01JD3XQ7ZP9K2M4N6R8T0VWXYZ", GS_EINVAL, NULL },
		/* Bad owner paths. */
		{ "Q/c#01JD3XQ7ZP9K2M4N6R8T0VWXYZ", GS_EINVAL, NULL },
		{ "q/c/#01JD3XQ7ZP9K2M4N6R8T0VWXYZ", GS_EINVAL, NULL },
		{ "#01JD3XQ7ZP9K2M4N6R8T0VWXYZ", GS_EINVAL, NULL },
		/* Missing '#'. */
		{ "q/c01JD3XQ7ZP9K2M4N6R8T0VWXYZ", GS_EINVAL, NULL },
		{ "q/c/01JD3XQ7ZP9K2M4N6R8T0VWXYZ", GS_EINVAL, NULL },
		{ "", GS_EINVAL, NULL },
	};
	char owner[GS_PATH_MAX_BYTES + 1];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		owner[0] = '\0';
		rc = gs_case_id_owner(cases[i].id, owner, sizeof(owner));
		if (rc != cases[i].want || (rc == 0 &&
		    strcmp(owner, cases[i].owner) != 0)) {
			fprintf(stderr, "case id \"%s\": got %d \"%s\"\n",
			    cases[i].id, rc, owner);
			GS_CHECK(0);
		}
		GS_CHECK_EQ(gs_case_id_owner(cases[i].id, NULL, 0),
		    cases[i].want);
	}
	GS_CHECK_EQ(gs_case_id_owner(NULL, owner, sizeof(owner)), GS_EINVAL);
	/* "q/c" needs 4 bytes. */
	GS_CHECK_EQ(gs_case_id_owner("q/c#01JD3XQ7ZP9K2M4N6R8T0VWXYZ", owner,
	    3), GS_ETOOBIG);
	GS_CHECK_EQ(gs_case_id_owner("q/c#01JD3XQ7ZP9K2M4N6R8T0VWXYZ", owner,
	    4), 0);
	GS_CHECK_STR(owner, "q/c");
}

static void
test_case_id_new(void)
{
	char a[GS_CASE_ID_MAX_BYTES + 1], b[GS_CASE_ID_MAX_BYTES + 1];
	char owner[GS_PATH_MAX_BYTES + 1];
	const char *o = "qianyang/cuimu/xiazhai";
	/* The ulid reference implementation's encodeTime test vector. */
	const uint64_t ms = UINT64_C(1469918176385);

	GS_CHECK_EQ(gs_case_id_new(o, ms, a, sizeof(a)), 0);
	GS_CHECK_EQ(strlen(a), strlen(o) + 1 + GS_CASE_ULID_BYTES);
	GS_CHECK_EQ(gs_case_id_owner(a, owner, sizeof(owner)), 0);
	GS_CHECK_STR(owner, o);
	/* The time is the first 10 chars, most significant first. */
	GS_CHECK(strncmp(a + strlen(o) + 1, "01ARYZ6S41", 10) == 0);

	GS_CHECK_EQ(gs_case_id_new(o, ms, b, sizeof(b)), 0);
	GS_CHECK(strcmp(a, b) != 0);
	GS_CHECK(strncmp(a, b, strlen(o) + 1 + 10) == 0);

	/* Time bounds: 0 and the largest 48-bit value. */
	GS_CHECK_EQ(gs_case_id_new("q", 0, a, sizeof(a)), 0);
	GS_CHECK(strncmp(a, "q#0000000000", 12) == 0);
	GS_CHECK_EQ(gs_case_id_owner(a, NULL, 0), 0);
	GS_CHECK_EQ(gs_case_id_new("q", (UINT64_C(1) << 48) - 1, a, sizeof(a)),
	    0);
	GS_CHECK(strncmp(a, "q#7ZZZZZZZZZ", 12) == 0);
	GS_CHECK_EQ(gs_case_id_owner(a, NULL, 0), 0);
	GS_CHECK_EQ(gs_case_id_new("q", UINT64_C(1) << 48, a, sizeof(a)),
	    GS_EINVAL);

	GS_CHECK_EQ(gs_case_id_new("q/@police", ms, a, sizeof(a)), GS_EINVAL);
	GS_CHECK_EQ(gs_case_id_new("Q", ms, a, sizeof(a)), GS_EINVAL);
	GS_CHECK_EQ(gs_case_id_new(NULL, ms, a, sizeof(a)), GS_EINVAL);
	/* "q#" + 26 + NUL = 29 bytes. */
	GS_CHECK_EQ(gs_case_id_new("q", ms, a, 28), GS_ETOOBIG);
	GS_CHECK_EQ(gs_case_id_new("q", ms, a, 29), 0);
	GS_CHECK_EQ(strlen(a), 28);
}

int
main(void)
{
	GS_CHECK(sodium_init() >= 0);
	GS_RUN(test_valid);
	GS_RUN(test_depth_dept_tier);
	GS_RUN(test_parent);
	GS_RUN(test_ancestor);
	GS_RUN(test_step_down);
	GS_RUN(test_case_id_owner);
	GS_RUN(test_case_id_new);
	return 0;
}
