/*
 * path.c: node paths and case ids.
 *
 * Paths and case ids arrive in signed changes from peers, so every function
 * here validates its input before trusting a byte of it.
 */
#include <string.h>

#include <sodium.h>

#include "gs/error.h"
#include "gs/path.h"

/* Crockford's base32 alphabet: no I, L, O or U. */
static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#define ULID_RAW_BYTES	16	/* 48-bit ms + 80 random bits */
#define ULID_MS_MAX	((UINT64_C(1) << 48) - 1)

static int
seg_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '-';
}

/*
 * Checks the n bytes at p as a path (p need not be NUL-terminated there),
 * so case ids can validate their owner part in place.
 */
static int
valid_n(const char *p, size_t n)
{
	size_t i, seg_start = 0;
	int depth = 1;

	if (n == 0 || n > GS_PATH_MAX_BYTES)
		return GS_EINVAL;
	for (i = 0; i <= n; i++) {
		if (i == n || p[i] == '/') {
			size_t len = i - seg_start;

			if (len == 0 || len > GS_PATH_SEGMENT_MAX_BYTES)
				return GS_EINVAL;
			if (p[seg_start] == '@') {
				/*
				 * Only the last segment names a department,
				 * it needs a name after the '@', and it hangs
				 * off an area node, so never at the root.
				 */
				if (i != n || len < 2 || depth < 2)
					return GS_EINVAL;
			}
			if (i < n && ++depth > GS_PATH_DEPTH_MAX)
				return GS_EINVAL;
			seg_start = i + 1;
			continue;
		}
		if (p[i] == '@' && i == seg_start)
			continue;
		if (!seg_char((unsigned char)p[i]))
			return GS_EINVAL;
	}
	return 0;
}

/* strlen bounded one past the longest path, so a huge string costs little. */
static size_t
path_len(const char *p)
{
	return strnlen(p, GS_PATH_MAX_BYTES + 1);
}

int
gs_path_valid(const char *p)
{
	if (p == NULL)
		return GS_EINVAL;
	return valid_n(p, path_len(p));
}

int
gs_path_depth(const char *p)
{
	int depth = 1;

	if (gs_path_valid(p) != 0)
		return GS_EINVAL;
	for (; *p != '\0'; p++)
		if (*p == '/')
			depth++;
	return depth;
}

bool
gs_path_is_dept(const char *p)
{
	const char *last;

	if (gs_path_valid(p) != 0)
		return false;
	last = strrchr(p, '/');
	return last != NULL && last[1] == '@';
}

static int
copy_out(const char *src, size_t n, char *out, size_t cap)
{
	if (out == NULL || cap < n + 1)
		return GS_ETOOBIG;
	memcpy(out, src, n);
	out[n] = '\0';
	return 0;
}

int
gs_path_parent(const char *p, char *out, size_t cap)
{
	const char *last;

	if (gs_path_valid(p) != 0)
		return GS_EINVAL;
	if ((last = strrchr(p, '/')) == NULL)
		return GS_ENOTFOUND;
	return copy_out(p, (size_t)(last - p), out, cap);
}

bool
gs_path_is_ancestor(const char *a, const char *d)
{
	size_t la;

	if (gs_path_valid(a) != 0 || gs_path_valid(d) != 0)
		return false;
	la = strlen(a);
	/* A prefix only counts on a segment boundary: "a" is not above "ab". */
	return strlen(d) > la && memcmp(a, d, la) == 0 && d[la] == '/';
}

bool
gs_path_within(const char *a, const char *d)
{
	if (gs_path_valid(a) != 0 || gs_path_valid(d) != 0)
		return false;
	return strcmp(a, d) == 0 || gs_path_is_ancestor(a, d);
}

int
gs_path_step_down(const char *from, const char *to, char *out, size_t cap)
{
	const char *end;

	if (!gs_path_is_ancestor(from, to))
		return GS_EINVAL;
	end = strchr(to + strlen(from) + 1, '/');
	if (end == NULL)
		end = to + strlen(to);
	return copy_out(to, (size_t)(end - to), out, cap);
}

const char *
gs_path_tier_label(const char *p)
{
	if (gs_path_valid(p) != 0)
		return NULL;
	if (gs_path_is_dept(p))
		return "部门";
	switch (gs_path_depth(p)) {
	case 1:
		return "县";
	case 2:
		return "镇";
	case 3:
		return "村";
	default:
		return "网格";
	}
}

const char *
gs_path_tier_name(int depth)
{
	if (depth < 1)
		return NULL;
	switch (depth) {
	case 1:
		return "county";
	case 2:
		return "town";
	case 3:
		return "village";
	default:
		return "deeper";
	}
}

static int
crockford_char(int c)
{
	return c != '\0' && strchr(crockford, c) != NULL;
}

int
gs_case_id_owner(const char *case_id, char *owner, size_t cap)
{
	const char *hash, *ulid;
	size_t olen, i;

	if (case_id == NULL)
		return GS_EINVAL;
	if (strnlen(case_id, GS_CASE_ID_MAX_BYTES + 1) > GS_CASE_ID_MAX_BYTES)
		return GS_EINVAL;
	if ((hash = strchr(case_id, '#')) == NULL)
		return GS_EINVAL;
	olen = (size_t)(hash - case_id);
	if (valid_n(case_id, olen) != 0)
		return GS_EINVAL;
	/* Cases belong to area nodes; a department never owns one. */
	if (memchr(case_id, '@', olen) != NULL)
		return GS_EINVAL;
	ulid = hash + 1;
	if (strlen(ulid) != GS_CASE_ULID_BYTES)
		return GS_EINVAL;
	/*
	 * 26 chars carry 130 bits for a 128-bit ULID, so the first char
	 * holds only 3 bits: anything above '7' is not a ULID, and accepting
	 * it would let two spellings name one id.
	 */
	if (ulid[0] < '0' || ulid[0] > '7')
		return GS_EINVAL;
	for (i = 1; i < GS_CASE_ULID_BYTES; i++)
		if (!crockford_char((unsigned char)ulid[i]))
			return GS_EINVAL;
	if (owner == NULL)
		return 0;
	return copy_out(case_id, olen, owner, cap);
}

/* Bit i (0 = most significant) of the 128-bit big-endian raw ULID. */
static unsigned int
raw_bit(const uint8_t raw[ULID_RAW_BYTES], int i)
{
	return (raw[i / 8] >> (7 - i % 8)) & 1;
}

/*
 * Encodes 128 bits as 26 base32 chars, most significant first, as ULID
 * does: the value is read as 130 bits with two leading zero bits.
 */
static void
ulid_encode(const uint8_t raw[ULID_RAW_BYTES], char out[GS_CASE_ULID_BYTES])
{
	int c, b, bit;
	unsigned int v;

	for (c = 0; c < GS_CASE_ULID_BYTES; c++) {
		v = 0;
		for (b = 0; b < 5; b++) {
			bit = c * 5 + b - 2;
			v = (v << 1) | (bit >= 0 ? raw_bit(raw, bit) : 0);
		}
		out[c] = crockford[v];
	}
}

int
gs_case_id_new(const char *owner, uint64_t now_ms, char *out, size_t cap)
{
	uint8_t raw[ULID_RAW_BYTES];
	size_t olen;
	int i;

	if (gs_path_valid(owner) != 0 || gs_path_is_dept(owner) ||
	    now_ms > ULID_MS_MAX)
		return GS_EINVAL;
	olen = strlen(owner);
	if (out == NULL || cap < olen + 1 + GS_CASE_ULID_BYTES + 1)
		return GS_ETOOBIG;
	for (i = 5; i >= 0; i--, now_ms >>= 8)
		raw[i] = (uint8_t)now_ms;
	randombytes_buf(raw + 6, ULID_RAW_BYTES - 6);
	memcpy(out, owner, olen);
	out[olen] = '#';
	ulid_encode(raw, out + olen + 1);
	out[olen + 1 + GS_CASE_ULID_BYTES] = '\0';
	return 0;
}
