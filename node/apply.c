/*
 * apply.c: verify, check, store, index and fold changes, one transaction
 * per batch.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "gs/apply.h"
#include "gs/error.h"
#include "gs/fold.h"
#include "gs/hlc.h"
#include "gs/path.h"
#include "gs/records.h"
#include "gs/trust.h"
#include "gs/verify.h"

/* A case the batch touched, and the changes it stored for it: folded on
 * from the stored projection at the end, or afresh when full is set. */
struct touched {
	char      *id;                    /* strdup'd */
	uint8_t  (*ids)[GS_ID_BYTES];     /* this batch's changes of it */
	size_t     n, cap;
	bool       full;
};

struct batch {
	gs_node               *node;
	gs_txn                *t;
	struct gs_apply_stats *st;
	struct touched        *cases;
	size_t                 ncases, capcases;
	const char            *source;    /* neighbour path, or NULL */
	bool                   roster_grew;
	bool                   revoked;
	uint64_t               now;
};

/* Notes that the batch stored change id (NULL: something else, such as a
 * Revoke, calls for a fold afresh) of case case_id. */
static int
touch(struct batch *b, const char *case_id, const uint8_t *id)
{
	struct touched *tc = NULL;

	for (size_t i = 0; i < b->ncases && tc == NULL; i++)
		if (strcmp(b->cases[i].id, case_id) == 0)
			tc = &b->cases[i];
	if (tc == NULL) {
		if (b->ncases == b->capcases) {
			size_t cap = b->capcases ? b->capcases * 2 : 16;
			struct touched *nc = realloc(b->cases, cap * sizeof(*nc));

			if (nc == NULL)
				return GS_ENOMEM;
			b->cases = nc;
			b->capcases = cap;
		}
		tc = &b->cases[b->ncases];
		memset(tc, 0, sizeof(*tc));
		if ((tc->id = strdup(case_id)) == NULL)
			return GS_ENOMEM;
		b->ncases++;
	}
	if (id == NULL) {
		tc->full = true;
		return 0;
	}
	if (tc->n == tc->cap) {
		size_t cap = tc->cap ? tc->cap * 2 : 4;
		uint8_t (*ni)[GS_ID_BYTES] = realloc(tc->ids, cap * sizeof(*ni));

		if (ni == NULL)
			return GS_ENOMEM;
		tc->ids = ni;
		tc->cap = cap;
	}
	memcpy(tc->ids[tc->n++], id, GS_ID_BYTES);
	return 0;
}

static bool
held(gs_txn *t, gs_db db, const uint8_t *id)
{
	gs_val v;

	return gs_get(t, db, id, GS_ID_BYTES, &v) == 0;
}

/* Records an envelope that is wrong by itself, keyed by the hash of the
 * whole envelope (ekey). Returns a store error or 0. */
static int
reject(struct batch *b, const uint8_t *ekey, const uint8_t *buf, size_t len,
    int code, const char *why, bool decoded, struct gs_apply_result *r)
{
	Gs__Reject rj;
	uint8_t *pk;
	size_t plen;
	int rc;

	gs__reject__init(&rj);
	r->status = GS_REJECTED;
	r->code = code;
	snprintf(r->reason, sizeof(r->reason), "%s", why);
	rj.code = code;
	rj.reason = r->reason;
	rj.envelope.data = (uint8_t *)(uintptr_t)buf;
	rj.envelope.len = len;
	rj.at_ms = b->now;
	if (decoded) {
		rj.change_id.data = r->id;
		rj.change_id.len = GS_ID_BYTES;
	}
	plen = gs__reject__get_packed_size(&rj);
	if ((pk = malloc(plen)) == NULL)
		return GS_ENOMEM;
	gs__reject__pack(&rj, pk);
	rc = gs_put(b->t, GS_DB_REJECTS, ekey, GS_ID_BYTES, pk, plen);
	free(pk);
	if (rc == 0 && b->st)
		b->st->rejected++;
	return rc;
}

int
gs_feed_last(gs_txn *t, uint64_t *seq)
{
	gs_cursor *c = NULL;
	gs_val k, v;
	int rc;

	*seq = 0;
	if ((rc = gs_cursor_open(t, GS_DB_FEED, &c)) != 0)
		return rc;
	rc = gs_cursor_last(c, &k, &v);
	if (rc == 0 && k.len == 8)
		*seq = gs_be64_get(k.data);
	gs_cursor_close(&c);
	return rc == GS_ENOTFOUND ? 0 : rc;
}

int
gs_feed_get(gs_txn *t, uint64_t seq, uint8_t id[GS_ID_BYTES], char *source,
    size_t cap)
{
	uint8_t key[8];
	gs_val v;
	size_t sl;
	int rc;

	gs_be64_put(key, seq);
	if ((rc = gs_get(t, GS_DB_FEED, key, sizeof(key), &v)) != 0)
		return rc;
	if (v.len < GS_ID_BYTES || (sl = v.len - GS_ID_BYTES) >= cap)
		return GS_EBADMSG;
	memcpy(id, v.data, GS_ID_BYTES);
	memcpy(source, (const uint8_t *)v.data + GS_ID_BYTES, sl);
	source[sl] = '\0';
	return 0;
}

/* Appends id to the feed, with the neighbour it came from. */
static int
feed_append(gs_txn *t, const uint8_t *id, const char *source)
{
	uint8_t key[8], val[GS_ID_BYTES + GS_PATH_MAX_BYTES];
	size_t sl = source ? strlen(source) : 0;
	uint64_t last;
	int rc;

	if (sl > GS_PATH_MAX_BYTES)
		return GS_EINVAL;
	if ((rc = gs_feed_last(t, &last)) != 0)
		return rc;
	gs_be64_put(key, last + 1);
	memcpy(val, id, GS_ID_BYTES);
	if (sl)
		memcpy(val + GS_ID_BYTES, source, sl);
	return gs_put(t, GS_DB_FEED, key, sizeof(key), val, GS_ID_BYTES + sl);
}

/* Sets meta prefix + origin hex to v, keeping the highest (max) or the
 * lowest value. */
static int
flag_origin(gs_txn *t, const char *prefix, const uint8_t *origin, uint64_t v,
    bool max)
{
	char name[16 + 2 * GS_KEY_BYTES];
	uint64_t old = 0;
	size_t pl = strlen(prefix);
	int rc;

	if (pl > 15)
		return GS_EINVAL;
	memcpy(name, prefix, pl);
	gs_hex(origin, GS_KEY_BYTES, name + pl);
	if ((rc = gs_meta_get_u64(t, name, &old)) != 0 && rc != GS_ENOTFOUND)
		return rc;
	if (rc == 0 && (max ? old >= v : old <= v))
		return 0;
	return gs_meta_put_u64(t, name, v);
}

/* Records a fork of c's origin when the origin index already holds
 * another change at c's seq: meta "fork/<origin hex>" = the lowest such
 * seq. */
static int
flag_fork(gs_txn *t, const Gs__Change *c, const uint8_t *id)
{
	uint8_t okey[GS_KEY_BYTES + 8];
	gs_val v;
	int rc;

	memcpy(okey, c->origin.data, GS_KEY_BYTES);
	gs_be64_put(okey + GS_KEY_BYTES, c->seq);
	rc = gs_get(t, GS_DB_ORIGIN, okey, sizeof(okey), &v);
	if (rc == GS_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (v.len == GS_ID_BYTES && memcmp(v.data, id, GS_ID_BYTES) == 0)
		return 0;
	return flag_origin(t, GS_FORK_PREFIX, c->origin.data, c->seq, false);
}

/* Stores an accepted change and its indexes, and applies its roster
 * effect. */
static int
store_change(struct batch *b, const gs_envelope *e, const uint8_t *buf,
    size_t len, const Gs__Change *c, bool from_pending)
{
	uint8_t okey[GS_KEY_BYTES + 8];
	uint64_t hlc, own;
	int rc;

	if ((rc = gs_put(b->t, GS_DB_CHANGES, e->id, GS_ID_BYTES, buf, len)) != 0)
		return rc;
	memcpy(okey, c->origin.data, GS_KEY_BYTES);
	gs_be64_put(okey + GS_KEY_BYTES, c->seq);
	/* Another change under the same origin seq: the origin equivocated
	 * (or was restored from a copy and wrote again). Both are kept as
	 * evidence; the origin is flagged for verify, whoami and peers. */
	if ((rc = flag_fork(b->t, c, e->id)) != 0)
		return rc;
	if ((rc = gs_put(b->t, GS_DB_ORIGIN, okey, sizeof(okey), e->id,
	    GS_ID_BYTES)) != 0)
		return rc;
	if (gs_change_is_case_kind(c->body_case)) {
		if ((rc = gs_put(b->t, GS_DB_CASEIDX, c->case_id,
		    strlen(c->case_id), e->id, GS_ID_BYTES)) != 0)
			return rc;
		if ((rc = touch(b, c->case_id, e->id)) != 0)
			return rc;
	} else if ((rc = gs_records_index(b->t, c, e->id)) != 0)
		return rc;
	if ((rc = feed_append(b->t, e->id, from_pending ? NULL : b->source)) != 0)
		return rc;
	if (c->body_case == GS__CHANGE__BODY_MEMBER) {
		bool changed;

		rc = gs_roster_enrol(b->t, c->member, e->id, c->origin.data,
		    c->seq, &changed);
		if (rc != 0)
			return rc;
		b->roster_grew = true;
		/* Another Member for a pair already enrolled: whether its
		 * changes are void may change. */
		if (changed)
			b->revoked = true;
	} else if (c->body_case == GS__CHANGE__BODY_REVOKE) {
		rc = gs_roster_revoke(b->t, c->revoke->key.data,
		    c->revoke->path, c->revoke->after_seq, c->origin.data, c->seq);
		if (rc != 0)
			return rc;
		b->revoked = true;
	}
	/* The node's clock never falls behind a change it holds, so its next
	 * change sorts after everything it has seen; except a change stamped
	 * far ahead of our wall clock (a terminal whose clock is wrong): it
	 * is kept, but adopting it would stamp all our later work in the
	 * future too. Its origin is flagged instead. Only our clock depends
	 * on the wall clock here, never what is stored. */
	if ((rc = gs_meta_get_u64(b->t, "hlc", &hlc)) != 0 && rc != GS_ENOTFOUND)
		return rc;
	if (GS_HLC_MS(c->hlc) > gs_hlc_now_ms() + GS_HLC_AHEAD_MAX_MS &&
	    memcmp(c->origin.data, gs_node_key(b->node), GS_KEY_BYTES) != 0)
		rc = flag_origin(b->t, GS_AHEAD_PREFIX, c->origin.data,
		    GS_HLC_MS(c->hlc), true);
	else if (c->hlc > hlc)
		rc = gs_meta_put_u64(b->t, "hlc", c->hlc);
	if (rc != 0)
		return rc;
	if (memcmp(c->origin.data, gs_node_key(b->node), GS_KEY_BYTES) == 0) {
		if ((rc = gs_meta_get_u64(b->t, "own_seq", &own)) != 0 &&
		    rc != GS_ENOTFOUND)
			return rc;
		if (c->seq > own &&
		    ((rc = gs_meta_put_u64(b->t, "own_seq", c->seq)) != 0 ||
		    (rc = gs_meta_put_bytes(b->t, "own_prev", e->id,
		    GS_ID_BYTES)) != 0))
			return rc;
	}
	return 0;
}

/* Judges one envelope. from_pending: it is being re-judged out of the
 * pending database (so it is not a duplicate of itself there). Returns a
 * store error or 0; the verdict is in *r. */
static int
apply_one(struct batch *b, const uint8_t *buf, size_t len,
    struct gs_apply_result *r, bool from_pending, int verdict)
{
	char msg[160];
	uint8_t ekey[GS_ID_BYTES];
	const char *why = NULL;
	gs_envelope e;
	Gs__Change *c = NULL;
	Gs__RosterEntry *old = NULL;
	int rc, v;

	memset(r, 0, sizeof(*r));
	memset(&e, 0, sizeof(e));
	/* Rejects are keyed by the whole envelope: the same bad bytes again
	 * are a duplicate, but a forged copy never blocks the genuine one. */
	gs_change_id(buf, len, ekey);
	v = gs_envelope_decode(buf, len, &e);
	memcpy(r->id, v == 0 ? e.id : ekey, GS_ID_BYTES);
	if (held(b->t, GS_DB_REJECTS, ekey)) {
		r->status = GS_DUPLICATE;
		if (b->st && !from_pending)
			b->st->duplicate++;
		rc = 0;
		goto out;
	}
	if (v != 0) {
		snprintf(msg, sizeof(msg), "malformed envelope: %s",
		    gs_strerror(v));
		rc = reject(b, ekey, buf, len, v, msg, false, r);
		goto out;
	}
	if (held(b->t, GS_DB_CHANGES, e.id) ||
	    (!from_pending && held(b->t, GS_DB_PENDING, e.id))) {
		r->status = GS_DUPLICATE;
		if (b->st && !from_pending)
			b->st->duplicate++;
		rc = 0;
		goto out;
	}
	/* verdict: the pool's check of these very bytes (1 good, 0 bad), or
	 * -1 when it did not look. */
	if ((v = verdict == 1 ? 0 : verdict == 0 ? GS_EBADSIG :
	    gs_envelope_verify(&e)) != 0) {
		rc = reject(b, ekey, buf, len, v, "bad signature", true, r);
		goto out;
	}
	if ((v = gs_change_decode(&e, &c, &why)) != 0) {
		rc = reject(b, ekey, buf, len, v, why ? why : gs_strerror(v),
		    true, r);
		goto out;
	}
	/* What the change's own signer path can never do is wrong by
	 * itself, whoever holds what. */
	if ((v = gs_trust_check(c->signer, c, gs_node_root_key(b->node),
	    &why)) != 0) {
		rc = reject(b, ekey, buf, len, v, why, true, r);
		goto out;
	}
	/* Trusted only when (origin, signer path) is enrolled; the trust
	 * root enrols itself with its own Member. A Revoke also needs the
	 * pair it revokes. */
	rc = gs_roster_get(b->t, c->origin.data, c->signer, &old);
	if (rc == GS_ENOTFOUND && c->body_case == GS__CHANGE__BODY_MEMBER &&
	    gs_path_depth(c->signer) == 1 &&
	    strcmp(c->signer, c->member->path) == 0)
		rc = 0;   /* gs_trust_check vouched for the root's key */
	if (rc == 0 && c->body_case == GS__CHANGE__BODY_REVOKE) {
		if (old != NULL)
			gs__roster_entry__free_unpacked(old, NULL);
		old = NULL;
		rc = gs_roster_get(b->t, c->revoke->key.data, c->revoke->path,
		    &old);
	}
	if (rc == GS_ENOTFOUND) {
		/* Signed by (or revoking) a pair we do not know yet: hold it
		 * until the roster grows. */
		r->status = GS_PENDING;
		rc = 0;
		if (!from_pending) {
			rc = gs_put(b->t, GS_DB_PENDING, e.id, GS_ID_BYTES, buf, len);
			if (rc == 0 && b->st)
				b->st->pending++;
		}
		goto out;
	}
	if (rc != 0)
		goto out;
	if ((rc = store_change(b, &e, buf, len, c, from_pending)) != 0)
		goto out;
	r->status = GS_APPLIED;
	if (b->st)
		b->st->applied++;
out:
	if (old != NULL)
		gs__roster_entry__free_unpacked(old, NULL);
	gs_change_free(&c);
	gs_envelope_clear(&e);
	return rc;
}

/* Re-judges every held change until the roster stops growing. */
static int
release_pending(struct batch *b)
{
	gs_cursor *cur = NULL;
	gs_val k, v;
	struct gs_apply_result r;
	uint8_t **bufs = NULL;
	size_t *lens = NULL, n = 0, cap = 0;
	int rc = 0;

	while (b->roster_grew && rc == 0) {
		b->roster_grew = false;
		/* Copy first: the values die when the cursor's pages change. */
		if ((rc = gs_cursor_open(b->t, GS_DB_PENDING, &cur)) != 0)
			break;
		for (rc = gs_cursor_seek(cur, NULL, 0, &k, &v); rc == 0;
		    rc = gs_cursor_next(cur, &k, &v)) {
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				uint8_t **nb = realloc(bufs, nc * sizeof(*nb));
				size_t *nl;

				if (nb == NULL) {
					rc = GS_ENOMEM;
					break;
				}
				bufs = nb;
				if ((nl = realloc(lens, nc * sizeof(*nl))) == NULL) {
					rc = GS_ENOMEM;
					break;
				}
				lens = nl;
				cap = nc;
			}
			if ((bufs[n] = malloc(v.len)) == NULL) {
				rc = GS_ENOMEM;
				break;
			}
			memcpy(bufs[n], v.data, v.len);
			lens[n++] = v.len;
		}
		gs_cursor_close(&cur);
		if (rc == GS_ENOTFOUND)
			rc = 0;
		for (size_t i = 0; i < n && rc == 0; i++) {
			rc = apply_one(b, bufs[i], lens[i], &r, true, -1);
			if (rc != 0 || r.status == GS_PENDING)
				continue;
			rc = gs_del(b->t, GS_DB_PENDING, r.id, GS_ID_BYTES, NULL, 0);
			if (rc == 0 && b->st) {
				if (r.status == GS_APPLIED)
					b->st->released++;
				else if (r.status == GS_REJECTED) {
					b->st->released_rejected++;
					b->st->rejected--;  /* counted as released_rejected */
				}
			}
		}
		for (size_t i = 0; i < n; i++)
			free(bufs[i]);
		n = 0;
	}
	free(bufs);
	free(lens);
	return rc;
}

int
gs_case_load(gs_txn *t, const char *case_id, Gs__Case **out)
{
	gs_val v;
	int rc;

	*out = NULL;
	rc = gs_get(t, GS_DB_CASES, case_id, strlen(case_id), &v);
	if (rc != 0)
		return rc;
	*out = gs__case__unpack(NULL, v.len, v.data);
	return *out ? 0 : GS_EBADMSG;
}

int
gs_origin_flags(gs_txn *t, const char *pre, gs_flag_fn fn, void *arg)
{
	size_t pl = strlen(pre);
	uint8_t origin[GS_KEY_BYTES];
	char hex[2 * GS_KEY_BYTES + 1];
	gs_cursor *cur = NULL;
	gs_val k, v;
	int rc;

	if ((rc = gs_cursor_open(t, GS_DB_META, &cur)) != 0)
		return rc;
	for (rc = gs_cursor_seek(cur, pre, pl, &k, &v); rc == 0;
	    rc = gs_cursor_next(cur, &k, &v)) {
		if (k.len < pl || memcmp(k.data, pre, pl) != 0)
			break;
		if (k.len != pl + 2 * GS_KEY_BYTES || v.len != 8)
			continue;
		memcpy(hex, (const char *)k.data + pl, 2 * GS_KEY_BYTES);
		hex[2 * GS_KEY_BYTES] = '\0';
		if (gs_unhex(hex, origin, GS_KEY_BYTES) != 0)
			continue;
		if ((rc = fn(arg, origin, gs_be64_get(v.data))) != 0)
			break;
	}
	gs_cursor_close(&cur);
	return rc == GS_ENOTFOUND ? 0 : rc;
}

int
gs_origin_last_seq(gs_txn *t, const uint8_t key[GS_KEY_BYTES], uint64_t *seq)
{
	uint8_t k[GS_KEY_BYTES + 8];
	gs_cursor *cur = NULL;
	gs_val ck;
	int rc;

	*seq = 0;
	memcpy(k, key, GS_KEY_BYTES);
	memset(k + GS_KEY_BYTES, 0xff, 8);
	if ((rc = gs_cursor_open(t, GS_DB_ORIGIN, &cur)) != 0)
		return rc;
	/* The first entry past this origin's last, then one back. */
	rc = gs_cursor_seek(cur, k, sizeof(k), &ck, NULL);
	if (rc == 0)
		rc = gs_cursor_prev(cur, &ck, NULL);
	else if (rc == GS_ENOTFOUND)
		rc = gs_cursor_last(cur, &ck, NULL);
	if (rc == 0 && ck.len == sizeof(k) &&
	    memcmp(ck.data, key, GS_KEY_BYTES) == 0)
		*seq = gs_be64_get((const uint8_t *)ck.data + GS_KEY_BYTES);
	gs_cursor_close(&cur);
	return rc == GS_ENOTFOUND ? 0 : rc;
}

int
gs_case_each(gs_txn *t, gs_case_fn fn, void *arg)
{
	gs_cursor *cur = NULL;
	gs_val k, v;
	int rc;

	if ((rc = gs_cursor_open(t, GS_DB_CASES, &cur)) != 0)
		return rc;
	for (rc = gs_cursor_seek(cur, NULL, 0, &k, &v); rc == 0;
	    rc = gs_cursor_next(cur, &k, &v)) {
		Gs__Case *c = gs__case__unpack(NULL, v.len, v.data);

		if (c == NULL) {
			rc = GS_EBADMSG;
			break;
		}
		/* Changes whose report has not arrived: not a case yet. */
		rc = c->status == GS__STATUS__STATUS_UNSET ? 0 : fn(arg, c);
		gs__case__free_unpacked(c, NULL);
		if (rc != 0)
			break;
	}
	gs_cursor_close(&cur);
	return rc == GS_ENOTFOUND ? 0 : rc;
}

int
gs_case_ids(gs_txn *t, const char *case_id, uint8_t (**ids)[GS_ID_BYTES],
    size_t *n)
{
	gs_cursor *cur = NULL;
	gs_val k, v;
	uint8_t (*out)[GS_ID_BYTES] = NULL;
	size_t cap = 0, klen = strlen(case_id);
	int rc;

	*ids = NULL;
	*n = 0;
	if ((rc = gs_cursor_open(t, GS_DB_CASEIDX, &cur)) != 0)
		return rc;
	for (rc = gs_cursor_seek(cur, case_id, klen, &k, &v); rc == 0;
	    rc = gs_cursor_next(cur, &k, &v)) {
		if (k.len != klen || memcmp(k.data, case_id, klen) != 0)
			break;
		if (v.len != GS_ID_BYTES) {
			rc = GS_EBADMSG;
			goto out;
		}
		if (*n == cap) {
			void *p;

			cap = cap ? cap * 2 : 16;
			if ((p = realloc(out, cap * sizeof(*out))) == NULL) {
				rc = GS_ENOMEM;
				goto out;
			}
			out = p;
		}
		memcpy(out[(*n)++], v.data, GS_ID_BYTES);
	}
	if (rc == GS_ENOTFOUND)
		rc = 0;
out:
	gs_cursor_close(&cur);
	if (rc != 0) {
		free(out);
		out = NULL;
		*n = 0;
	}
	*ids = out;
	return rc;
}

/* The fold items of changes ids[0..n), read from the store; free with
 * items_free. */
struct items {
	struct gs_fold_item *v;
	gs_envelope         *envs;
	Gs__Change         **chs;
	size_t               n;
};

static void
items_free(struct items *it)
{
	for (size_t i = 0; it->chs != NULL && i < it->n; i++)
		gs_change_free(&it->chs[i]);
	for (size_t i = 0; it->envs != NULL && i < it->n; i++)
		gs_envelope_clear(&it->envs[i]);
	free(it->v);
	free(it->envs);
	free(it->chs);
	memset(it, 0, sizeof(*it));
}

static int
items_load(gs_txn *t, const uint8_t (*ids)[GS_ID_BYTES], size_t n,
    struct items *it)
{
	gs_val ev;
	int rc;

	memset(it, 0, sizeof(*it));
	if (n == 0)
		return 0;
	if ((it->v = calloc(n, sizeof(*it->v))) == NULL ||
	    (it->envs = calloc(n, sizeof(*it->envs))) == NULL ||
	    (it->chs = calloc(n, sizeof(*it->chs))) == NULL) {
		items_free(it);
		return GS_ENOMEM;
	}
	it->n = n;
	for (size_t i = 0; i < n; i++) {
		bool isvoid;

		if ((rc = gs_get(t, GS_DB_CHANGES, ids[i], GS_ID_BYTES, &ev)) != 0)
			goto fail;
		/* Verified when it was applied; here it is only unpacked. */
		if ((rc = gs_envelope_decode(ev.data, ev.len, &it->envs[i])) != 0 ||
		    (rc = gs_change_decode(&it->envs[i], &it->chs[i], NULL)) != 0)
			goto fail;
		if ((rc = gs_roster_void(t, it->chs[i]->origin.data,
		    it->chs[i]->signer, it->chs[i]->seq, &isvoid)) != 0)
			goto fail;
		it->v[i].id = ids[i];
		it->v[i].change = it->chs[i];
		it->v[i].signer = it->chs[i]->signer;
		it->v[i].revoked = isvoid;
	}
	return 0;
fail:
	items_free(it);
	return rc;
}

int
gs_case_fold_stored(gs_txn *t, const char *case_id, Gs__Case **out)
{
	uint8_t (*ids)[GS_ID_BYTES] = NULL;
	struct items it;
	size_t n = 0;
	int rc;

	*out = NULL;
	if ((rc = gs_case_ids(t, case_id, &ids, &n)) != 0)
		return rc;
	if ((rc = items_load(t, (const uint8_t (*)[GS_ID_BYTES])ids, n,
	    &it)) == 0)
		rc = gs_fold(case_id, it.v, it.n, out);
	items_free(&it);
	free(ids);
	return rc;
}

static int
case_put(gs_txn *t, const char *case_id, const Gs__Case *cs)
{
	size_t len = gs__case__get_packed_size(cs);
	uint8_t *buf;
	int rc;

	if ((buf = malloc(len ? len : 1)) == NULL)
		return GS_ENOMEM;
	gs__case__pack(cs, buf);
	rc = gs_put(t, GS_DB_CASES, case_id, strlen(case_id), buf, len);
	free(buf);
	return rc;
}

/* Folds this batch's changes ids[0..n) of case_id on from its stored
 * projection: reads n changes, not the case's whole history. GS_ENOTFOUND
 * (no projection yet) or GS_ECONFLICT (a change sorts before one already
 * folded): the caller folds afresh. */
static int
fold_on(gs_txn *t, const char *case_id, const uint8_t (*ids)[GS_ID_BYTES],
    size_t n)
{
	Gs__Case *cs = NULL;
	struct items it;
	int rc;

	memset(&it, 0, sizeof(it));
	if ((rc = gs_case_load(t, case_id, &cs)) != 0 ||
	    (rc = items_load(t, ids, n, &it)) != 0 ||
	    (rc = gs_fold_more(cs, it.v, it.n)) != 0)
		goto out;
	rc = case_put(t, case_id, cs);
out:
	items_free(&it);
	gs_case_free(&cs);
	return rc;
}

int
gs_apply_refold(gs_txn *t, const char *case_id, Gs__Case **out)
{
	Gs__Case *cs = NULL;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = gs_case_fold_stored(t, case_id, &cs)) != 0 ||
	    (rc = case_put(t, case_id, cs)) != 0)
		goto out;
	if (out) {
		*out = cs;
		cs = NULL;
	}
out:
	gs_case_free(&cs);
	return rc;
}

/* After a Revoke every case may change: revocation voids changes, and the
 * keys its signer enrolled, wherever they are. Revokes are rare. */
static int
touch_all(struct batch *b)
{
	gs_cursor *cur = NULL;
	gs_val k, v;
	char id[GS_CASE_ID_MAX_BYTES + 1];
	int rc;

	if ((rc = gs_cursor_open(b->t, GS_DB_CASES, &cur)) != 0)
		return rc;
	for (rc = gs_cursor_seek(cur, NULL, 0, &k, &v); rc == 0;
	    rc = gs_cursor_next(cur, &k, &v)) {
		if (k.len > GS_CASE_ID_MAX_BYTES)
			continue;
		memcpy(id, k.data, k.len);
		id[k.len] = '\0';
		if ((rc = touch(b, id, NULL)) != 0)
			break;
	}
	gs_cursor_close(&cur);
	return rc == GS_ENOTFOUND ? 0 : rc;
}

int
gs_apply_batch(gs_node *node, gs_txn *t, const uint8_t *const *bufs,
    const size_t *lens, size_t n, struct gs_apply_result *res,
    struct gs_apply_stats *stats)
{
	return gs_apply_batch_from(node, t, NULL, bufs, lens, n, res, stats);
}

int
gs_precheck_start(gs_txn *t, const uint8_t *const *bufs, const size_t *lens,
    size_t n, struct gs_precheck *pc)
{
	int rc;

	memset(pc, 0, sizeof(*pc));
	if (n < GS_VERIFY_PARALLEL_MIN)
		return 0;
	if ((pc->env = calloc(n, sizeof(*pc->env))) == NULL ||
	    (pc->ptr = calloc(n, sizeof(*pc->ptr))) == NULL ||
	    (pc->verdict = calloc(n, sizeof(*pc->verdict))) == NULL) {
		rc = GS_ENOMEM;
		goto fail;
	}
	pc->n = n;
	for (size_t i = 0; i < n; i++)
		if (gs_envelope_decode(bufs[i], lens[i], &pc->env[i]) == 0 &&
		    !held(t, GS_DB_CHANGES, pc->env[i].id) &&
		    !held(t, GS_DB_PENDING, pc->env[i].id))
			pc->ptr[i] = &pc->env[i];
	if ((rc = gs_verify_start(pc->ptr, n, pc->verdict)) != 0)
		goto fail;
	pc->started = true;
	return 0;
fail:
	gs_precheck_clear(pc);
	return rc;
}

const int8_t *
gs_precheck_wait(struct gs_precheck *pc)
{
	/* n stays 0 unless a job was started: every failure clears pc. */
	if (pc->started) {
		gs_verify_wait();
		pc->started = false;
	}
	return pc->n > 0 ? pc->verdict : NULL;
}

void
gs_precheck_clear(struct gs_precheck *pc)
{
	/* The pool may still read the envelopes: never free under it. */
	if (pc->started)
		gs_verify_wait();
	for (size_t i = 0; pc->env != NULL && i < pc->n; i++)
		gs_envelope_clear(&pc->env[i]);
	free(pc->env);
	free(pc->ptr);
	free(pc->verdict);
	memset(pc, 0, sizeof(*pc));
}

int
gs_apply_batch_from(gs_node *node, gs_txn *t, const char *source,
    const uint8_t *const *bufs, const size_t *lens, size_t n,
    struct gs_apply_result *res, struct gs_apply_stats *stats)
{
	struct gs_precheck pc;
	int rc;

	/* Without a precheck (no memory, or the pool busy with another
	 * job), apply_one checks each signature itself. */
	(void)gs_precheck_start(t, bufs, lens, n, &pc);
	rc = gs_apply_batch_checked(node, t, source, bufs, lens, n,
	    gs_precheck_wait(&pc), res, stats);
	gs_precheck_clear(&pc);
	return rc;
}

int
gs_apply_batch_checked(gs_node *node, gs_txn *t, const char *source,
    const uint8_t *const *bufs, const size_t *lens, size_t n,
    const int8_t *verdict, struct gs_apply_result *res,
    struct gs_apply_stats *stats)
{
	struct batch b;
	struct gs_apply_result scratch;
	int rc = 0;

	memset(&b, 0, sizeof(b));
	b.node = node;
	b.t = t;
	b.st = stats;
	b.source = source;
	b.now = gs_hlc_now_ms();
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = apply_one(&b, bufs[i], lens[i], res ? &res[i] : &scratch,
		    false, verdict ? verdict[i] : -1);
	if (rc == 0)
		rc = release_pending(&b);
	if (rc == 0 && b.revoked)
		rc = touch_all(&b);
	for (size_t i = 0; i < b.ncases && rc == 0; i++) {
		struct touched *tc = &b.cases[i];

		rc = tc->full ? GS_ECONFLICT : fold_on(t, tc->id, tc->ids, tc->n);
		/* Out of order, no projection yet, or one that does not
		 * decode: fold afresh from the stored changes. */
		if (rc == GS_ECONFLICT || rc == GS_ENOTFOUND || rc == GS_EBADMSG)
			rc = gs_apply_refold(t, tc->id, NULL);
	}
	for (size_t i = 0; i < b.ncases; i++) {
		free(b.cases[i].id);
		free(b.cases[i].ids);
	}
	free(b.cases);
	return rc;
}
