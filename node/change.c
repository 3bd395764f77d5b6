/*
 * change.c: signed changes: seal, decode, verify, id, field checks.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "gs/category.h"
#include "gs/change.h"
#include "gs/error.h"
#include "gs/hlc.h"
#include "gs/path.h"
#include "gs/stats.h"
#include "gridsync.pb-c.h"

/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF, and no NUL, because every string ends up in C strings, JSON and
 * terminals where a NUL would silently cut it short.
 */
static bool
utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n, k;
	unsigned char lo, hi;

	while (i < len) {
		unsigned char b = s[i];

		if (b == 0x00)
			return false;
		if (b < 0x80) {
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (b >= 0xc2 && b <= 0xdf)
			n = 1;
		else if (b >= 0xe0 && b <= 0xef) {
			n = 2;
			if (b == 0xe0)
				lo = 0xa0;	/* overlong below U+0800 */
			else if (b == 0xed)
				hi = 0x9f;	/* surrogates U+D800..U+DFFF */
		} else if (b >= 0xf0 && b <= 0xf4) {
			n = 3;
			if (b == 0xf0)
				lo = 0x90;	/* overlong below U+10000 */
			else if (b == 0xf4)
				hi = 0x8f;	/* above U+10FFFF */
		} else
			return false;	/* continuation, C0, C1, F5..FF */
		if (len - i - 1 < n)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (k = 2; k <= n; k++) {
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		}
		i += n + 1;
	}
	return true;
}

bool
gs_utf8_valid(const char *s, size_t len)
{
	return utf8_valid(s, len);
}

/*
 * Checks one string field. The four reasons are string literals built by
 * CHECK_STR below, so *why always points at static storage. protobuf-c
 * leaves unset strings as "" but a hand-built change may hold NULL; both
 * mean empty.
 */
/* Control characters other than tab and newline, and the C1 controls
 * U+0080..U+009F: they would drive an operator's terminal when shown. s is
 * valid UTF-8. */
static bool
has_controls(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < len; i++) {
		if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n') || s[i] == 0x7f)
			return true;
		if (s[i] == 0xc2 && i + 1 < len && s[i + 1] < 0xa0)
			return true;
	}
	return false;
}

static int
check_str(const char *s, size_t cap, bool required, const char *why_missing,
    const char *why_long, const char *why_utf8, const char *why_ctl,
    const char **why)
{
	size_t len = s == NULL ? 0 : strlen(s);

	if (len == 0) {
		if (required) {
			*why = why_missing;
			return GS_EINVAL;
		}
		return 0;
	}
	if (len > cap) {
		*why = why_long;
		return GS_EINVAL;
	}
	if (!utf8_valid(s, len)) {
		*why = why_utf8;
		return GS_EINVAL;
	}
	if (has_controls(s, len)) {
		*why = why_ctl;
		return GS_EINVAL;
	}
	return 0;
}

#define CHECK_STR(s, cap, required, field) do { \
	if ((rc = check_str((s), (cap), (required), field " missing", \
	    field " too long", field " is not valid UTF-8", \
	    field " contains control characters", why)) != 0) \
		goto out; \
} while (0)

#define FAIL(reason) do { \
	*why = (reason); \
	rc = GS_EINVAL; \
	goto out; \
} while (0)

static bool
is_empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

const void *
gs_change_body(const Gs__Change *c)
{
	switch (c->body_case) {
	case GS__CHANGE__BODY_MEMBER:    return c->member;
	case GS__CHANGE__BODY_REVOKE:    return c->revoke;
	case GS__CHANGE__BODY_REPORT:    return c->report;
	case GS__CHANGE__BODY_PROGRESS:  return c->progress;
	case GS__CHANGE__BODY_WHISTLE:   return c->whistle;
	case GS__CHANGE__BODY_RETURN:    return c->return_;
	case GS__CHANGE__BODY_DISPATCH:  return c->dispatch;
	case GS__CHANGE__BODY_ACK:       return c->ack;
	case GS__CHANGE__BODY_RESOLVE:   return c->resolve;
	case GS__CHANGE__BODY_FOLLOWUP:  return c->followup;
	case GS__CHANGE__BODY_REOPEN:    return c->reopen;
	case GS__CHANGE__BODY_SUPERVISE: return c->supervise;
	case GS__CHANGE__BODY_NOTICE:    return c->notice;
	case GS__CHANGE__BODY_ROLLUP:    return c->rollup;
	case GS__CHANGE__BODY_RECEIPT:   return c->receipt;
	case GS__CHANGE__BODY_CHECK:     return c->check;
	default:                         return NULL;
	}
}

static int
validate_body(const Gs__Change *c, const char **why)
{
	const struct gs_category *cat;
	size_t i;
	int rc = 0;

	switch (c->body_case) {
	case GS__CHANGE__BODY_MEMBER:
		if (c->member->path == NULL ||
		    gs_path_valid(c->member->path) != 0)
			FAIL("member path is invalid");
		if (c->member->key.len != GS_KEY_BYTES)
			FAIL("member key is not 32 bytes");
		break;
	case GS__CHANGE__BODY_REVOKE:
		if (c->revoke->key.len != GS_KEY_BYTES)
			FAIL("revoke key is not 32 bytes");
		if (c->revoke->path == NULL ||
		    gs_path_valid(c->revoke->path) != 0)
			FAIL("revoke path is invalid");
		CHECK_STR(c->revoke->reason, GS_TEXT_MAX_BYTES, false,
		    "reason");
		break;
	case GS__CHANGE__BODY_REPORT:
		CHECK_STR(c->report->category, GS_NAME_MAX_BYTES, true,
		    "category");
		/*
		 * Only keys travel: a label may be reworded later, and two
		 * spellings of one category would split every count.
		 */
		cat = gs_category_find(c->report->category);
		if (cat == NULL || strcmp(cat->key, c->report->category) != 0)
			FAIL("unknown category");
		CHECK_STR(c->report->title, GS_TITLE_MAX_BYTES, true, "title");
		CHECK_STR(c->report->description, GS_TEXT_MAX_BYTES, false,
		    "description");
		CHECK_STR(c->report->grid, GS_NAME_MAX_BYTES, false, "grid");
		CHECK_STR(c->report->reporter, GS_NAME_MAX_BYTES, false,
		    "reporter");
		if ((int)c->report->severity < GS__SEVERITY__SEVERITY_UNSET ||
		    (int)c->report->severity > GS__SEVERITY__HARD)
			FAIL("severity out of range");
		break;
	case GS__CHANGE__BODY_PROGRESS:
		CHECK_STR(c->progress->note, GS_TEXT_MAX_BYTES, false, "note");
		break;
	case GS__CHANGE__BODY_WHISTLE:
		CHECK_STR(c->whistle->reason, GS_TEXT_MAX_BYTES, false,
		    "reason");
		break;
	case GS__CHANGE__BODY_RETURN:
		CHECK_STR(c->return_->reason, GS_TEXT_MAX_BYTES, true,
		    "reason");
		break;
	case GS__CHANGE__BODY_DISPATCH:
		if (c->dispatch->department == NULL ||
		    gs_path_valid(c->dispatch->department) != 0 ||
		    !gs_path_is_dept(c->dispatch->department))
			FAIL("department is not a department path");
		CHECK_STR(c->dispatch->note, GS_TEXT_MAX_BYTES, false, "note");
		break;
	case GS__CHANGE__BODY_ACK:
		CHECK_STR(c->ack->note, GS_TEXT_MAX_BYTES, false, "note");
		break;
	case GS__CHANGE__BODY_RESOLVE:
		if ((int)c->resolve->outcome < GS__OUTCOME__MEDIATED ||
		    (int)c->resolve->outcome > GS__OUTCOME__UNFOUNDED)
			FAIL("outcome missing or out of range");
		CHECK_STR(c->resolve->note, GS_TEXT_MAX_BYTES, false, "note");
		break;
	case GS__CHANGE__BODY_FOLLOWUP:
		if ((int)c->followup->satisfaction < GS__SATISFACTION__SATISFIED ||
		    (int)c->followup->satisfaction > GS__SATISFACTION__UNSATISFIED)
			FAIL("satisfaction missing or out of range");
		CHECK_STR(c->followup->note, GS_TEXT_MAX_BYTES, false, "note");
		break;
	case GS__CHANGE__BODY_REOPEN:
		CHECK_STR(c->reopen->reason, GS_TEXT_MAX_BYTES, true, "reason");
		break;
	case GS__CHANGE__BODY_SUPERVISE:
		CHECK_STR(c->supervise->note, GS_TEXT_MAX_BYTES, false, "note");
		break;
	case GS__CHANGE__BODY_NOTICE:
		CHECK_STR(c->notice->title, GS_TITLE_MAX_BYTES, true, "title");
		CHECK_STR(c->notice->body, GS_TEXT_MAX_BYTES, false, "body");
		break;
	case GS__CHANGE__BODY_ROLLUP:
		/* Summed by prefix of the period: a month rollup would count
		 * on top of its days. */
		if (c->rollup->period == NULL ||
		    gs_period_valid(c->rollup->period) != 10)
			FAIL("rollup's period is not a day, YYYY-MM-DD");
		/* The subject is a node path, so it gets a path's room. */
		CHECK_STR(c->rollup->subject, GS_PATH_MAX_BYTES, false,
		    "subject");
		if (c->rollup->n_counts > GS_ROLLUP_COUNTS_MAX)
			FAIL("too many rollup counts");
		if (c->rollup->n_counts > 0 && c->rollup->counts == NULL)
			FAIL("rollup count missing");
		for (i = 0; i < c->rollup->n_counts; i++) {
			if (c->rollup->counts[i] == NULL)
				FAIL("rollup count missing");
			if (c->rollup->counts[i]->base.n_unknown_fields != 0)
				FAIL("change has fields this version does not know");
			CHECK_STR(c->rollup->counts[i]->name, GS_NAME_MAX_BYTES,
			    false, "count name");
		}
		/* Figures a county sums must be figures some set of cases
		 * could have. */
		if ((rc = gs_rollup_validate(c->rollup, why)) != 0)
			goto out;
		break;
	case GS__CHANGE__BODY_RECEIPT:
		if (c->receipt->notice.len != GS_ID_BYTES)
			FAIL("receipt's notice id is not 32 bytes");
		if (c->receipt->issuer == NULL ||
		    gs_path_valid(c->receipt->issuer) != 0)
			FAIL("receipt's issuer path is invalid");
		CHECK_STR(c->receipt->note, GS_TEXT_MAX_BYTES, false, "note");
		break;
	case GS__CHANGE__BODY_CHECK:
		if (c->check->period == NULL ||
		    gs_period_valid(c->check->period) != 7)
			FAIL("check report's period is not YYYY-MM");
		if (c->check->found > GS_CHECK_FOUND_MAX)
			FAIL("check report's count is out of range");
		CHECK_STR(c->check->note, GS_TEXT_MAX_BYTES, false, "note");
		break;
	default:
		FAIL("no body");
	}
out:
	return rc;
}

int
gs_change_validate(const Gs__Change *c, const char **why)
{
	const char *dummy;
	int rc = 0;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	if (c == NULL)
		FAIL("no change");
	if (c->version != GS_CHANGE_VERSION)
		FAIL("unsupported version");
	if (c->origin.len != GS_KEY_BYTES)
		FAIL("origin is not 32 bytes");
	if (c->seq == 0)
		FAIL("seq is zero");
	if (c->seq == 1 && c->prev.len != 0)
		FAIL("prev must be empty for seq 1");
	if (c->seq > 1 && c->prev.len != GS_ID_BYTES)
		FAIL("prev is not 32 bytes");
	if (c->hlc == 0)
		FAIL("hlc is zero");
	if (GS_HLC_MS(c->hlc) == 0)
		FAIL("hlc has no wall time");
	CHECK_STR(c->actor, GS_NAME_MAX_BYTES, false, "actor");
	if (c->signer == NULL || gs_path_valid(c->signer) != 0)
		FAIL("signer path is invalid");
	if (gs_change_body(c) == NULL)
		FAIL("no body");
	/* Fields this version does not know would be stored and forwarded
	 * unread: a new field is a new Change.version. */
	if (c->base.n_unknown_fields != 0 ||
	    ((const ProtobufCMessage *)gs_change_body(c))->n_unknown_fields != 0)
		FAIL("change has fields this version does not know");
	if (gs_change_is_case_kind(c->body_case)) {
		if (is_empty(c->case_id))
			FAIL("case id missing");
		if (gs_case_id_owner(c->case_id, NULL, 0) != 0)
			FAIL("case id is malformed");
	} else if (!is_empty(c->case_id))
		FAIL("case id on a kind that is not about a case");
	rc = validate_body(c, why);
out:
	return rc;
}

int
gs_period_valid(const char *p)
{
	static const char *const shapes[] = { "dddd", "dddd-dd", "dddd-dd-dd" };
	size_t i, k;

	for (i = 0; p != NULL && i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const char *sh = shapes[i];

		if (strlen(p) != strlen(sh))
			continue;
		for (k = 0; sh[k]; k++)
			if (sh[k] == 'd' ? (p[k] < '0' || p[k] > '9') :
			    p[k] != sh[k])
				break;
		if (sh[k] != '\0')
			continue;
		/* Months 01-12 and days 01-31: "2026-13" is a typo, not a period. */
		if (k >= 7 && (strncmp(p + 5, "01", 2) < 0 ||
		    strncmp(p + 5, "12", 2) > 0))
			return 0;
		if (k == 10) {
			static const int mdays[12] = { 31, 29, 31, 30, 31, 30,
			    31, 31, 30, 31, 30, 31 };
			int y = atoi(p), m = atoi(p + 5), d = atoi(p + 8);
			bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

			if (d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 &&
			    !leap))
				return 0;
		}
		return (int)k;
	}
	return 0;
}

void
gs_change_id(const uint8_t *bytes, size_t len, uint8_t id[GS_ID_BYTES])
{
	crypto_generichash(id, GS_ID_BYTES, bytes, len, NULL, 0);
}

void
gs_envelope_clear(gs_envelope *e)
{
	if (e == NULL)
		return;
	if (e->msg != NULL)
		gs__envelope__free_unpacked(e->msg, NULL);
	memset(e, 0, sizeof(*e));
}

int
gs_envelope_decode(const uint8_t *buf, size_t len, gs_envelope *out)
{
	Gs__Envelope *m = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	/* Caps before anything looks inside the bytes. */
	if (len > GS_ENVELOPE_MAX_BYTES) {
		rc = GS_ETOOBIG;
		goto out;
	}
	if (len == 0 || buf == NULL) {
		rc = GS_EBADMSG;
		goto out;
	}
	if ((m = gs__envelope__unpack(NULL, len, buf)) == NULL) {
		rc = GS_EBADMSG;
		goto out;
	}
	if (m->origin.len != GS_KEY_BYTES || m->sig.len != GS_SIG_BYTES ||
	    m->change.len == 0 || m->change.len > GS_CHANGE_MAX_BYTES) {
		rc = GS_EBADMSG;
		goto out;
	}
	out->msg = m;
	out->origin = m->origin.data;
	out->sig = m->sig.data;
	out->change = m->change.data;
	out->change_len = m->change.len;
	gs_change_id(out->change, out->change_len, out->id);
	m = NULL;
out:
	if (m != NULL)
		gs__envelope__free_unpacked(m, NULL);
	return rc;
}

int
gs_envelope_verify(const gs_envelope *e)
{
	if (e == NULL || e->msg == NULL)
		return GS_EBADSIG;
	/* The exact received bytes: a re-serialised change could differ. */
	if (crypto_sign_verify_detached(e->sig, e->change, e->change_len,
	    e->origin) != 0)
		return GS_EBADSIG;
	return 0;
}

int
gs_change_decode(const gs_envelope *e, Gs__Change **out, const char **why)
{
	Gs__Change *c = NULL;
	const char *dummy;
	int rc = 0;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	*out = NULL;
	if (e == NULL || e->msg == NULL) {
		*why = "no envelope";
		rc = GS_EINVAL;
		goto out;
	}
	if ((c = gs__change__unpack(NULL, e->change_len, e->change)) == NULL) {
		*why = "change does not decode";
		rc = GS_EBADMSG;
		goto out;
	}
	/*
	 * A text field with a NUL byte inside decodes to a C string cut at
	 * the NUL: what a node would show is not what was signed. Such a
	 * change (or any encoding protobuf-c would not produce: a field
	 * twice, a padded varint) packs to another size than it arrived in.
	 */
	if (gs__change__get_packed_size(c) != e->change_len) {
		*why = "change is not in canonical form (a NUL byte inside a "
		    "text field?)";
		rc = GS_EBADMSG;
		goto out;
	}
	if ((rc = gs_change_validate(c, why)) != 0)
		goto out;
	/* Validated above: both are exactly GS_KEY_BYTES long. */
	if (memcmp(c->origin.data, e->origin, GS_KEY_BYTES) != 0) {
		*why = "change origin differs from envelope key";
		rc = GS_EINVAL;
		goto out;
	}
	*out = c;
	c = NULL;
out:
	if (c != NULL)
		gs__change__free_unpacked(c, NULL);
	return rc;
}

int
gs_change_seal(const Gs__Change *c, const uint8_t sk[GS_SECRET_BYTES],
    uint8_t **env, size_t *env_len, uint8_t id[GS_ID_BYTES], const char **why)
{
	Gs__Envelope e = GS__ENVELOPE__INIT;
	uint8_t sig[GS_SIG_BYTES];
	uint8_t *cbuf = NULL, *ebuf = NULL;
	size_t clen, elen = 0;
	const char *dummy;
	int rc = 0;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	*env = NULL;
	*env_len = 0;
	memset(id, 0, GS_ID_BYTES);
	if ((rc = gs_change_validate(c, why)) != 0)
		goto out;
	/*
	 * libsodium's secret key is seed || public key. A change whose origin
	 * is not the signer's key would be refused by every decoder, so
	 * refuse to make it.
	 */
	if (memcmp(c->origin.data, sk + GS_SECRET_BYTES - GS_KEY_BYTES,
	    GS_KEY_BYTES) != 0) {
		*why = "change origin differs from signing key";
		rc = GS_EINVAL;
		goto out;
	}
	clen = gs__change__get_packed_size(c);
	if (clen > GS_CHANGE_MAX_BYTES) {
		rc = GS_ETOOBIG;
		goto out;
	}
	if ((cbuf = malloc(clen)) == NULL) {
		rc = GS_ENOMEM;
		goto out;
	}
	gs__change__pack(c, cbuf);
	gs_change_id(cbuf, clen, id);
	crypto_sign_detached(sig, NULL, cbuf, clen, sk);

	e.origin.data = (uint8_t *)(uintptr_t)(sk + GS_SECRET_BYTES -
	    GS_KEY_BYTES);
	e.origin.len = GS_KEY_BYTES;
	e.change.data = cbuf;
	e.change.len = clen;
	e.sig.data = sig;
	e.sig.len = GS_SIG_BYTES;
	elen = gs__envelope__get_packed_size(&e);
	if (elen > GS_ENVELOPE_MAX_BYTES) {
		rc = GS_ETOOBIG;
		goto out;
	}
	if ((ebuf = malloc(elen)) == NULL) {
		rc = GS_ENOMEM;
		goto out;
	}
	gs__envelope__pack(&e, ebuf);
	*env = ebuf;
	*env_len = elen;
	ebuf = NULL;
out:
	free(ebuf);
	free(cbuf);
	if (rc != 0)
		memset(id, 0, GS_ID_BYTES);
	return rc;
}

void
gs_change_free(Gs__Change **c)
{
	if (c == NULL || *c == NULL)
		return;
	gs__change__free_unpacked(*c, NULL);
	*c = NULL;
}

int
gs_change_is_case_kind(int kind)
{
	return kind >= GS__CHANGE__BODY_REPORT &&
	    kind <= GS__CHANGE__BODY_SUPERVISE;
}

static const struct {
	int		 kind;
	const char	*name;
	const char	*label;
} kinds[] = {
	{ GS__CHANGE__BODY_MEMBER,    "member",    "入网" },
	{ GS__CHANGE__BODY_REVOKE,    "revoke",    "撤销" },
	{ GS__CHANGE__BODY_REPORT,    "report",    "上报" },
	{ GS__CHANGE__BODY_PROGRESS,  "progress",  "进展" },
	{ GS__CHANGE__BODY_WHISTLE,   "whistle",   "吹哨" },
	{ GS__CHANGE__BODY_RETURN,    "return",    "退回" },
	{ GS__CHANGE__BODY_DISPATCH,  "dispatch",  "派单" },
	{ GS__CHANGE__BODY_ACK,       "ack",       "报到" },
	{ GS__CHANGE__BODY_RESOLVE,   "resolve",   "办结" },
	{ GS__CHANGE__BODY_FOLLOWUP,  "followup",  "回访" },
	{ GS__CHANGE__BODY_REOPEN,    "reopen",    "重启" },
	{ GS__CHANGE__BODY_SUPERVISE, "supervise", "督办" },
	{ GS__CHANGE__BODY_NOTICE,    "notice",    "通知" },
	{ GS__CHANGE__BODY_ROLLUP,    "rollup",    "统计" },
	{ GS__CHANGE__BODY_RECEIPT,   "receipt",   "已阅" },
	{ GS__CHANGE__BODY_CHECK,     "check",     "排查报告" },
};

const char *
gs_kind_name(int kind)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (kinds[i].kind == kind)
			return kinds[i].name;
	}
	return "unknown";
}

const char *
gs_kind_label(int kind)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (kinds[i].kind == kind)
			return kinds[i].label;
	}
	return "未知";
}

void
gs_hex(const uint8_t *b, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int
gs_unhex(const char *hex, uint8_t *b, size_t len)
{
	size_t i;

	if (hex == NULL || strlen(hex) != 2 * len)
		return GS_EINVAL;
	/* Check everything first so a bad string leaves b untouched. */
	for (i = 0; i < 2 * len; i++) {
		if (hexval(hex[i]) < 0)
			return GS_EINVAL;
	}
	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
	return 0;
}
