/*
 * view.c: digest and verify.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "gs/apply.h"
#include "gs/error.h"
#include "gs/fold.h"
#include "gs/path.h"
#include "gs/trust.h"
#include "gs/view.h"

static int
cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, GS_ID_BYTES);
}

int
gs_view_digest(gs_node *n, const char *scope, uint8_t out[GS_ID_BYTES],
    uint64_t *count)
{
	crypto_generichash_state h;
	gs_txn *t = NULL;
	gs_cursor *cur = NULL;
	gs_val k, v;
	uint8_t (*ids)[GS_ID_BYTES] = NULL;
	size_t nids = 0, cap = 0, plen = scope ? strlen(scope) : 0;
	int rc;

	*count = 0;
	crypto_generichash_init(&h, NULL, 0, GS_ID_BYTES);
	if ((rc = gs_txn_begin(gs_node_store(n), 0, &t)) != 0)
		return rc;
	if (scope == NULL) {
		/* The changes database is keyed by id: already sorted. */
		if ((rc = gs_cursor_open(t, GS_DB_CHANGES, &cur)) != 0)
			goto out;
		for (rc = gs_cursor_seek(cur, NULL, 0, &k, &v); rc == 0;
		    rc = gs_cursor_next(cur, &k, &v)) {
			crypto_generichash_update(&h, k.data, k.len);
			(*count)++;
		}
	} else {
		if ((rc = gs_cursor_open(t, GS_DB_CASEIDX, &cur)) != 0)
			goto out;
		for (rc = gs_cursor_seek(cur, scope, plen, &k, &v); rc == 0;
		    rc = gs_cursor_next(cur, &k, &v)) {
			if (k.len < plen || memcmp(k.data, scope, plen) != 0)
				break;
			if (nids == cap) {
				void *p;

				cap = cap ? cap * 2 : 256;
				if ((p = realloc(ids, cap * sizeof(*ids))) == NULL) {
					rc = GS_ENOMEM;
					goto out;
				}
				ids = p;
			}
			memcpy(ids[nids++], v.data, GS_ID_BYTES);
		}
		if (nids > 0)
			qsort(ids, nids, GS_ID_BYTES, cmp_id);
		for (size_t i = 0; i < nids; i++)
			crypto_generichash_update(&h, ids[i], GS_ID_BYTES);
		*count = nids;
	}
	if (rc == GS_ENOTFOUND)
		rc = 0;
	if (rc == 0)
		crypto_generichash_final(&h, out, GS_ID_BYTES);
out:
	gs_cursor_close(&cur);
	gs_txn_abort(&t);
	free(ids);
	return rc;
}

struct vstate {
	gs_view_fault_fn *fn;
	void             *arg;
	uint64_t          faults;
};

static void
fault(struct vstate *vs, const char *fmt, const char *a, const char *b)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, a, b ? b : "");
	vs->faults++;
	if (vs->fn)
		vs->fn(vs->arg, msg);
}

/* Signatures, ids and signers of every stored change. */
static int
verify_changes(gs_node *n, gs_txn *t, struct vstate *vs, uint64_t *count)
{
	gs_cursor *cur = NULL;
	gs_val k, v;
	char hex[2 * GS_ID_BYTES + 1];
	int rc;

	(void)n;
	if ((rc = gs_cursor_open(t, GS_DB_CHANGES, &cur)) != 0)
		return rc;
	for (rc = gs_cursor_seek(cur, NULL, 0, &k, &v); rc == 0;
	    rc = gs_cursor_next(cur, &k, &v)) {
		gs_envelope e;
		Gs__Change *c = NULL;
		bool chained;

		(*count)++;
		memset(&e, 0, sizeof(e));
		gs_hex(k.data, k.len < GS_ID_BYTES ? k.len : GS_ID_BYTES, hex);
		if (gs_envelope_decode(v.data, v.len, &e) != 0) {
			fault(vs, "change %s: envelope does not decode", hex, NULL);
			continue;
		}
		if (k.len != GS_ID_BYTES || memcmp(k.data, e.id, GS_ID_BYTES) != 0)
			fault(vs, "change %s: stored under the wrong id", hex, NULL);
		if (gs_envelope_verify(&e) != 0)
			fault(vs, "change %s: bad signature", hex, NULL);
		else if (gs_change_decode(&e, &c, NULL) != 0)
			fault(vs, "change %s: change does not decode", hex, NULL);
		else if (gs_roster_chained(t, c->origin.data, c->signer,
		    &chained) != 0 || !chained)
			fault(vs, "change %s: signer %s is not enrolled from "
			    "the root", hex, c->signer);
		gs_change_free(&c);
		gs_envelope_clear(&e);
	}
	gs_cursor_close(&cur);
	return rc == GS_ENOTFOUND ? 0 : rc;
}

/* The per-origin hash chain: origin index is sorted by (origin, seq). */
static int
verify_chains(gs_txn *t, struct vstate *vs)
{
	gs_cursor *cur = NULL;
	gs_val k, v, ev;
	uint8_t prev_key[GS_KEY_BYTES + 8], prev_id[GS_ID_BYTES];
	char hex[2 * GS_KEY_BYTES + 1], seqs[32];
	bool have_prev = false;
	int rc;

	if ((rc = gs_cursor_open(t, GS_DB_ORIGIN, &cur)) != 0)
		return rc;
	for (rc = gs_cursor_seek(cur, NULL, 0, &k, &v); rc == 0;
	    rc = gs_cursor_next(cur, &k, &v)) {
		gs_envelope e;
		Gs__Change *c = NULL;
		uint64_t seq;

		if (k.len != GS_KEY_BYTES + 8 || v.len != GS_ID_BYTES)
			continue;
		seq = gs_be64_get((const uint8_t *)k.data + GS_KEY_BYTES);
		gs_hex(k.data, GS_KEY_BYTES, hex);
		snprintf(seqs, sizeof(seqs), "%llu", (unsigned long long)seq);
		if (have_prev && memcmp(prev_key, k.data, k.len) == 0) {
			fault(vs, "origin %s: fork at seq %s (two changes)", hex,
			    seqs);
			memcpy(prev_id, v.data, GS_ID_BYTES);
			continue;
		}
		if (have_prev && seq > 1 &&
		    memcmp(prev_key, k.data, GS_KEY_BYTES) == 0 &&
		    gs_be64_get(prev_key + GS_KEY_BYTES) == seq - 1 &&
		    gs_get(t, GS_DB_CHANGES, v.data, GS_ID_BYTES, &ev) == 0) {
			memset(&e, 0, sizeof(e));
			if (gs_envelope_decode(ev.data, ev.len, &e) == 0 &&
			    gs_change_decode(&e, &c, NULL) == 0 &&
			    (c->prev.len != GS_ID_BYTES ||
			    memcmp(c->prev.data, prev_id, GS_ID_BYTES) != 0))
				fault(vs, "origin %s: seq %s does not link to "
				    "the change before it", hex, seqs);
			gs_change_free(&c);
			gs_envelope_clear(&e);
		}
		memcpy(prev_key, k.data, sizeof(prev_key));
		memcpy(prev_id, v.data, GS_ID_BYTES);
		have_prev = true;
	}
	gs_cursor_close(&cur);
	return rc == GS_ENOTFOUND ? 0 : rc;
}

/* Every stored case equals a fresh fold of its changes. */
static int
verify_cases(gs_txn *t, struct vstate *vs)
{
	gs_cursor *cur = NULL;
	gs_val k, v;
	char id[GS_CASE_ID_MAX_BYTES + 1];
	int rc;

	if ((rc = gs_cursor_open(t, GS_DB_CASES, &cur)) != 0)
		return rc;
	for (rc = gs_cursor_seek(cur, NULL, 0, &k, &v); rc == 0;
	    rc = gs_cursor_next(cur, &k, &v)) {
		Gs__Case *cs = NULL;
		uint8_t *buf;
		size_t len;

		if (k.len > GS_CASE_ID_MAX_BYTES)
			continue;
		memcpy(id, k.data, k.len);
		id[k.len] = '\0';
		if (gs_case_fold_stored(t, id, &cs) != 0) {
			fault(vs, "case %s: cannot be folded", id, NULL);
			continue;
		}
		len = gs__case__get_packed_size(cs);
		if ((buf = malloc(len ? len : 1)) == NULL) {
			gs_case_free(&cs);
			rc = GS_ENOMEM;
			break;
		}
		gs__case__pack(cs, buf);
		if (len != v.len || memcmp(buf, v.data, len) != 0)
			fault(vs, "case %s: stored state differs from its fold",
			    id, NULL);
		free(buf);
		gs_case_free(&cs);
	}
	gs_cursor_close(&cur);
	return rc == GS_ENOTFOUND ? 0 : rc;
}

int
gs_view_verify(gs_node *n, gs_view_fault_fn *fn, void *arg,
    uint64_t *changes, uint64_t *faults)
{
	struct vstate vs = { fn, arg, 0 };
	gs_txn *t = NULL;
	int rc;

	*changes = 0;
	if ((rc = gs_txn_begin(gs_node_store(n), 0, &t)) != 0)
		return rc;
	if ((rc = verify_changes(n, t, &vs, changes)) == 0 &&
	    (rc = verify_chains(t, &vs)) == 0)
		rc = verify_cases(t, &vs);
	gs_txn_abort(&t);
	*faults = vs.faults;
	return rc;
}
