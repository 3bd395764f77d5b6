/*
 * records.c: the index of notices, receipts, rollups and check reports.
 */
#include <string.h>

#include "gs/error.h"
#include "gs/path.h"
#include "gs/records.h"
#include "gs/trust.h"

#define KEY_MAX (1 + 2 * GS_PATH_MAX_BYTES + GS_NAME_MAX_BYTES + 3 + GS_ID_BYTES)
#define VAL_BYTES (8 + GS_KEY_BYTES + 8 + GS_ID_BYTES)

static char
kind_letter(int kind)
{
	switch (kind) {
	case GS__CHANGE__BODY_NOTICE:  return 'N';
	case GS__CHANGE__BODY_RECEIPT: return 'R';
	case GS__CHANGE__BODY_ROLLUP:  return 'U';
	case GS__CHANGE__BODY_CHECK:   return 'C';
	default:                       return 0;
	}
}

/* Appends s and, when nul, its terminating NUL; false when it would not fit. */
static bool
put(uint8_t *k, size_t *len, const void *s, size_t n)
{
	if (*len + n > KEY_MAX)
		return false;
	memcpy(k + *len, s, n);
	*len += n;
	return true;
}

static bool
put_str(uint8_t *k, size_t *len, const char *s, bool nul)
{
	return put(k, len, s, strlen(s) + (nul ? 1 : 0));
}

/* Every field here passed gs_change_validate, so the key fits; the checks
 * are for a caller that skipped it. */
static int
record_key(const Gs__Change *c, const uint8_t *id, uint8_t *k, size_t *len)
{
	bool ok;

	*len = 0;
	k[(*len)++] = (uint8_t)kind_letter(c->body_case);
	switch (c->body_case) {
	case GS__CHANGE__BODY_NOTICE:
		ok = put_str(k, len, c->signer, true) &&
		    put(k, len, id, GS_ID_BYTES);
		break;
	case GS__CHANGE__BODY_RECEIPT:
		ok = put(k, len, c->receipt->notice.data, GS_ID_BYTES) &&
		    put_str(k, len, c->signer, false);
		break;
	case GS__CHANGE__BODY_ROLLUP:
		ok = put_str(k, len, c->signer, true) &&
		    put_str(k, len, c->rollup->subject, true) &&
		    put_str(k, len, c->rollup->period, false);
		break;
	case GS__CHANGE__BODY_CHECK:
		ok = put_str(k, len, c->signer, true) &&
		    put_str(k, len, c->check->period, false);
		break;
	default:
		return GS_EINVAL;
	}
	return ok ? 0 : GS_ETOOBIG;
}

int
gs_records_index(gs_txn *t, const Gs__Change *c, const uint8_t id[GS_ID_BYTES])
{
	uint8_t k[KEY_MAX], v[VAL_BYTES];
	size_t klen;
	int rc;

	if (kind_letter(c->body_case) == 0)
		return 0;
	if ((rc = record_key(c, id, k, &klen)) != 0)
		return rc;
	/* hlc, origin, seq: the fold's order, so LMDB's duplicate order is it. */
	gs_be64_put(v, c->hlc);
	memcpy(v + 8, c->origin.data, GS_KEY_BYTES);
	gs_be64_put(v + 8 + GS_KEY_BYTES, c->seq);
	memcpy(v + 16 + GS_KEY_BYTES, id, GS_ID_BYTES);
	return gs_put(t, GS_DB_RECORDS, k, klen, v, sizeof(v));
}

/* One candidate record, decoded. */
struct cand {
	gs_envelope e;
	Gs__Change *c;
	uint8_t id[GS_ID_BYTES];
};

static void
cand_clear(struct cand *x)
{
	gs_change_free(&x->c);
	gs_envelope_clear(&x->e);
}

/* Loads the record named by index value v into x; *counts says whether
 * its signer was valid when it signed. */
static int
cand_load(gs_txn *t, const gs_val *v, struct cand *x, bool *counts)
{
	gs_val ev;
	bool isvoid;
	int rc;

	memset(x, 0, sizeof(*x));
	if (v->len != VAL_BYTES)
		return GS_EBADMSG;
	memcpy(x->id, (const uint8_t *)v->data + 16 + GS_KEY_BYTES, GS_ID_BYTES);
	if ((rc = gs_get(t, GS_DB_CHANGES, x->id, GS_ID_BYTES, &ev)) != 0)
		return rc == GS_ENOTFOUND ? GS_EBADMSG : rc;
	/* Verified when it was applied; here it is only unpacked. */
	if ((rc = gs_envelope_decode(ev.data, ev.len, &x->e)) != 0 ||
	    (rc = gs_change_decode(&x->e, &x->c, NULL)) != 0) {
		cand_clear(x);
		return GS_EBADMSG;
	}
	if ((rc = gs_roster_void(t, x->c->origin.data, x->c->signer,
	    x->c->seq, &isvoid)) != 0) {
		cand_clear(x);
		return rc;
	}
	*counts = !isvoid;
	return 0;
}

static int
walk(gs_txn *t, int kind, const void *prefix, size_t plen,
    enum gs_records_pick pick, gs_records_fn fn, void *arg)
{
	bool latest = pick == GS_PICK_LATEST;
	uint8_t start[KEY_MAX], cur_key[KEY_MAX];
	size_t slen = 0, cur_len = 0;
	bool have = false, in_group = false;
	struct cand best, x;
	gs_cursor *cur = NULL;
	gs_val k, v;
	int rc;

	memset(&best, 0, sizeof(best));
	if (kind_letter(kind) == 0 || plen > KEY_MAX - 1)
		return GS_EINVAL;
	start[slen++] = (uint8_t)kind_letter(kind);
	if (plen > 0)
		memcpy(start + 1, prefix, plen);
	slen += plen;
	if ((rc = gs_cursor_open(t, GS_DB_RECORDS, &cur)) != 0)
		return rc;
	for (rc = gs_cursor_seek(cur, start, slen, &k, &v); ;
	    rc = gs_cursor_next(cur, &k, &v)) {
		bool more = rc == 0 && k.len >= slen &&
		    memcmp(k.data, start, slen) == 0;
		bool counts;

		if (rc != 0 && rc != GS_ENOTFOUND)
			goto out;
		/* The group of one key ends: hand over what counts in it. */
		if (in_group && (!more || k.len != cur_len ||
		    memcmp(k.data, cur_key, cur_len) != 0)) {
			in_group = false;
			if (have) {
				have = false;
				rc = fn(arg, best.id, best.c);
				cand_clear(&best);
				if (rc != 0)
					goto out;
			}
		}
		if (!more) {
			rc = 0;
			goto out;
		}
		if (!in_group) {
			in_group = true;
			cur_len = k.len <= KEY_MAX ? k.len : KEY_MAX;
			memcpy(cur_key, k.data, cur_len);
		} else if (have && !latest)
			continue;   /* the first that counts is taken */
		if ((rc = cand_load(t, &v, &x, &counts)) != 0)
			goto out;
		if (!counts) {
			cand_clear(&x);
			continue;
		}
		if (pick == GS_PICK_ALL) {
			rc = fn(arg, x.id, x.c);
			cand_clear(&x);
			if (rc != 0)
				goto out;
			continue;
		}
		if (have)
			cand_clear(&best);
		best = x;
		have = true;
	}
out:
	if (have)
		cand_clear(&best);
	gs_cursor_close(&cur);
	return rc;
}

int
gs_records_each(gs_txn *t, int kind, const void *prefix, size_t plen,
    gs_records_fn fn, void *arg)
{
	return walk(t, kind, prefix, plen, kind == GS__CHANGE__BODY_ROLLUP ||
	    kind == GS__CHANGE__BODY_CHECK ? GS_PICK_LATEST : GS_PICK_FIRST,
	    fn, arg);
}

int
gs_records_walk(gs_txn *t, int kind, const void *prefix, size_t plen,
    enum gs_records_pick pick, gs_records_fn fn, void *arg)
{
	if (pick != GS_PICK_FIRST && pick != GS_PICK_LATEST &&
	    pick != GS_PICK_ALL)
		return GS_EINVAL;
	return walk(t, kind, prefix, plen, pick, fn, arg);
}
