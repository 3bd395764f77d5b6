/*
 * ops.c: local writes through the one apply path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs/apply.h"
#include "gs/error.h"
#include "gs/fold.h"
#include "gs/hlc.h"
#include "gs/ops.h"

/* After apply, look at our own change in the folded case: a conflict means
 * the state moved on (or never allowed it), and we refuse rather than store
 * a change that does nothing. */
static int
check_fold(gs_txn *t, const Gs__Change *c, const uint8_t *id, char *err,
    size_t cap)
{
	Gs__Case *cs = NULL;
	int rc;

	if ((rc = gs_case_load(t, c->case_id, &cs)) != 0)
		return rc;
	for (size_t i = 0; i < cs->n_timeline; i++) {
		Gs__TimelineEntry *te = cs->timeline[i];

		if (te->change_id.len != GS_ID_BYTES ||
		    memcmp(te->change_id.data, id, GS_ID_BYTES) != 0)
			continue;
		if (te->flag != GS__FLAG__FLAG_OK) {
			snprintf(err, cap, "%s", te->reason);
			rc = GS_ECONFLICT;
		}
		break;
	}
	gs_case_free(&cs);
	return rc;
}

int
gs_ops_request_id_valid(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (len == 0 || len > GS_REQUEST_ID_MAX_BYTES)
		return GS_EINVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return GS_EINVAL;
	return 0;
}

/* A request record: hash (32) | change id (32) | case id (rest). */
#define REQ_HEAD (32 + GS_ID_BYTES)

/* Looks req up: 0 when new, 1 when replayed (id and req->case_id filled),
 * GS_EREUSED, or a store error. */
static int
request_find(gs_txn *t, struct gs_ops_request *req, uint8_t *id, char *err,
    size_t cap)
{
	gs_val v;
	size_t clen;
	int rc;

	rc = gs_get(t, GS_DB_REQUESTS, req->id, strlen(req->id), &v);
	if (rc == GS_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (v.len < REQ_HEAD || v.len - REQ_HEAD > GS_CASE_ID_MAX_BYTES)
		return GS_EBADMSG;
	clen = v.len - REQ_HEAD;
	if (memcmp(v.data, req->hash, 32) != 0) {
		snprintf(err, cap, "request id '%s' was already used for a "
		    "different request; use a new id for a new request",
		    req->id);
		return GS_EREUSED;
	}
	memcpy(id, (const uint8_t *)v.data + 32, GS_ID_BYTES);
	memcpy(req->case_id, (const uint8_t *)v.data + REQ_HEAD, clen);
	req->case_id[clen] = '\0';
	req->replayed = true;
	return 1;
}

static int
request_put(gs_txn *t, const struct gs_ops_request *req, const uint8_t *id,
    const char *case_id)
{
	uint8_t buf[REQ_HEAD + GS_CASE_ID_MAX_BYTES];
	size_t clen = strlen(case_id);

	if (clen > GS_CASE_ID_MAX_BYTES)
		return GS_EINVAL;
	memcpy(buf, req->hash, 32);
	memcpy(buf + 32, id, GS_ID_BYTES);
	memcpy(buf + REQ_HEAD, case_id, clen);
	return gs_put(t, GS_DB_REQUESTS, req->id, strlen(req->id), buf,
	    REQ_HEAD + clen);
}

int
gs_ops_write(gs_node *n, Gs__Change *c, uint8_t id[GS_ID_BYTES], char *err,
    size_t cap)
{
	return gs_ops_write_once(n, c, NULL, id, err, cap);
}

int
gs_ops_seal(gs_node *n, Gs__Change *c, uint64_t seq,
    const uint8_t *prev, uint64_t *hlc, uint8_t **env, size_t *len,
    uint8_t id[GS_ID_BYTES], const char **why)
{
	int rc;

	c->version = GS_CHANGE_VERSION;
	c->signer = (char *)(uintptr_t)gs_node_path(n);
	c->origin.data = (uint8_t *)(uintptr_t)gs_node_key(n);
	c->origin.len = GS_KEY_BYTES;
	c->seq = seq + 1;
	c->prev.data = seq > 0 ? (uint8_t *)(uintptr_t)prev : NULL;
	c->prev.len = seq > 0 ? GS_ID_BYTES : 0;
	c->hlc = *hlc = gs_hlc_send(*hlc, gs_hlc_now_ms());
	rc = gs_change_seal(c, gs_node_secret(n), env, len, id, why);
	/* The borrowed fields are in the sealed bytes now. */
	c->signer = NULL;
	c->origin.data = NULL;
	c->origin.len = 0;
	c->prev.data = NULL;
	c->prev.len = 0;
	return rc;
}

int
gs_ops_write_once(gs_node *n, Gs__Change *c, struct gs_ops_request *req,
    uint8_t id[GS_ID_BYTES], char *err, size_t cap)
{
	struct gs_apply_result r;
	const uint8_t *bufs[1];
	size_t lens[1];
	uint8_t prev[GS_ID_BYTES], *env = NULL;
	uint64_t seq = 0, hlc = 0, floor_seq = 0, mark = 0;
	gs_txn *t = NULL;
	const char *why = NULL;
	size_t len;
	int rc;

	err[0] = '\0';
	memset(id, 0, GS_ID_BYTES);
	if (req != NULL) {
		req->replayed = false;
		req->case_id[0] = '\0';
		if (gs_ops_request_id_valid(req->id) != 0) {
			snprintf(err, cap, "a request id is 1-%d printable ASCII "
			    "characters without spaces", GS_REQUEST_ID_MAX_BYTES);
			rc = GS_EINVAL;
			goto out;
		}
	}
	if ((rc = gs_txn_begin(gs_node_store(n), 1, &t)) != 0)
		goto out;
	if (req != NULL && (rc = request_find(t, req, id, err, cap)) != 0) {
		/* A replay answers before the seq and restore checks: it
		 * signs nothing. */
		if (rc == 1)
			rc = 0;
		goto out;
	}
	if ((rc = gs_meta_get_u64(t, "own_seq", &seq)) != 0 && rc != GS_ENOTFOUND)
		goto out;
	/* A neighbour holds our changes up to seq_floor: this store is an
	 * older copy. Signing seq + 1 now would sign a seq already used. */
	if ((rc = gs_meta_get_u64(t, "seq_floor", &floor_seq)) != 0 &&
	    rc != GS_ENOTFOUND)
		goto out;
	/* The mark beside the store says the same without the network. */
	if ((rc = gs_node_mark_get(n, &mark)) != 0) {
		snprintf(err, cap, "cannot read %s: %s", GS_NODE_MARK_FILE,
		    gs_strerror(rc));
		goto out;
	}
	if (mark > floor_seq)
		floor_seq = mark;
	if (seq < floor_seq) {
		snprintf(err, cap, "this store is older than this node's own "
		    "changes: it knows up to seq %llu, a neighbour holds seq "
		    "%llu (restored from a backup?). Writes resume when the "
		    "daemon has fetched them back from the parent; or re-key: "
		    "init a new data dir and have the parent enroll it",
		    (unsigned long long)seq, (unsigned long long)floor_seq);
		rc = GS_EBEHIND;
		goto out;
	}
	if (seq > 0 && (rc = gs_meta_get_bytes(t, "own_prev", prev,
	    GS_ID_BYTES)) != 0)
		goto out;
	if ((rc = gs_meta_get_u64(t, "hlc", &hlc)) != 0 && rc != GS_ENOTFOUND)
		goto out;
	rc = gs_ops_seal(n, c, seq, prev, &hlc, &env, &len, id, &why);
	if (rc != 0) {
		snprintf(err, cap, "%s", why ? why : gs_strerror(rc));
		goto out;
	}
	bufs[0] = env;
	lens[0] = len;
	if ((rc = gs_apply_batch(n, t, bufs, lens, 1, &r, NULL)) != 0)
		goto out;
	switch (r.status) {
	case GS_APPLIED:
		break;
	case GS_PENDING:
		snprintf(err, cap, "this node's key is not enrolled yet "
		    "(import its join bundle first)");
		rc = GS_EUNTRUSTED;
		goto out;
	case GS_REJECTED:
		snprintf(err, cap, "%s", r.reason);
		rc = r.code == GS_EAUTH ? GS_EAUTH : GS_EINVAL;
		goto out;
	case GS_DUPLICATE:
		snprintf(err, cap, "the same change is already stored");
		rc = GS_EEXIST;
		goto out;
	}
	if (gs_change_is_case_kind(c->body_case) &&
	    (rc = check_fold(t, c, id, err, cap)) != 0)
		goto out;
	if (req != NULL && (rc = request_put(t, req, id,
	    c->case_id ? c->case_id : "")) != 0)
		goto out;
	rc = gs_txn_commit(&t);
	/* Best effort after the commit: a mark not written only weakens the
	 * restore check (the network's check still holds), it loses nothing. */
	if (rc == 0)
		(void)gs_node_mark_put(n, c->seq);
out:
	gs_txn_abort(&t);
	free(env);
	c->version = 0;
	c->seq = 0;
	c->hlc = 0;
	if (rc != 0)
		memset(id, 0, GS_ID_BYTES);
	return rc;
}
