/*
 * transfer.c: signed-envelope files.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gs/apply.h"
#include "gs/error.h"
#include "gs/fold.h"
#include "gs/path.h"
#include "gs/scope.h"
#include "gs/transfer.h"
#include "gs/trust.h"

/* A set of 32-byte ids: open addressing, grows at half full. */
struct idset {
	uint8_t (*slot)[GS_ID_BYTES];
	uint8_t  *used;
	size_t    cap, n;
};

static size_t
idset_hash(const uint8_t *id, size_t cap)
{
	size_t h;

	memcpy(&h, id, sizeof(h));   /* ids are uniform hashes already */
	return h & (cap - 1);
}

static int idset_add(struct idset *s, const uint8_t *id, int *added);

static int
idset_grow(struct idset *s)
{
	struct idset ns = { 0 };
	int added;

	ns.cap = s->cap ? s->cap * 2 : 1024;
	if ((ns.slot = calloc(ns.cap, GS_ID_BYTES)) == NULL ||
	    (ns.used = calloc(ns.cap, 1)) == NULL) {
		free(ns.slot);
		return GS_ENOMEM;
	}
	for (size_t i = 0; i < s->cap; i++)
		if (s->used[i])
			idset_add(&ns, s->slot[i], &added);
	free(s->slot);
	free(s->used);
	*s = ns;
	return 0;
}

static int
idset_add(struct idset *s, const uint8_t *id, int *added)
{
	size_t i;
	int rc;

	*added = 0;
	if ((s->n + 1) * 2 > s->cap && (rc = idset_grow(s)) != 0)
		return rc;
	for (i = idset_hash(id, s->cap); s->used[i]; i = (i + 1) & (s->cap - 1))
		if (memcmp(s->slot[i], id, GS_ID_BYTES) == 0)
			return 0;
	memcpy(s->slot[i], id, GS_ID_BYTES);
	s->used[i] = 1;
	s->n++;
	*added = 1;
	return 0;
}

static void
idset_free(struct idset *s)
{
	free(s->slot);
	free(s->used);
	memset(s, 0, sizeof(*s));
}

static int
write_record(FILE *f, const void *buf, size_t len)
{
	uint8_t hdr[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16),
	    (uint8_t)(len >> 8), (uint8_t)len };

	if (fwrite(hdr, 1, 4, f) != 4 || fwrite(buf, 1, len, f) != len)
		return GS_EIO;
	return 0;
}

/* Writes change id once (the set remembers what went out). */
static int
emit(gs_txn *t, FILE *f, struct idset *sent, const uint8_t *id,
    struct gs_export_stats *st)
{
	gs_val v;
	int added, rc;

	if ((rc = idset_add(sent, id, &added)) != 0 || !added)
		return rc;
	if ((rc = gs_get(t, GS_DB_CHANGES, id, GS_ID_BYTES, &v)) != 0)
		return rc;
	if ((rc = write_record(f, v.data, v.len)) != 0)
		return rc;
	st->changes++;
	return 0;
}

/* Writes every change of a case (the receiver folds a complete history). */
static int
emit_case(gs_txn *t, FILE *f, struct idset *sent, const char *case_id,
    struct gs_export_stats *st)
{
	uint8_t (*ids)[GS_ID_BYTES] = NULL;
	size_t n = 0;
	int rc;

	/* Collected first: emit() reads CHANGES. */
	if ((rc = gs_case_ids(t, case_id, &ids, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = emit(t, f, sent, ids[i], st);
	free(ids);
	return rc;
}

int
gs_transfer_export(gs_node *n, const char *for_path, uint64_t since, FILE *f,
    struct gs_export_stats *st)
{
	struct idset sent = { 0 }, cases = { 0 };
	gs_txn *t = NULL;
	gs_cursor *cur = NULL;
	gs_val k, v, ev;
	uint8_t key[8], hdr[8], id[GS_ID_BYTES], cid[GS_ID_BYTES];
	uint64_t seq;
	int rc, added;

	memset(st, 0, sizeof(*st));
	st->upto = since;
	if ((rc = gs_txn_begin(gs_node_store(n), 0, &t)) != 0)
		return rc;
	gs_be64_put(hdr, 0);
	if (fwrite(GS_TRANSFER_MAGIC, 1, 8, f) != 8 || fwrite(hdr, 1, 8, f) != 8) {
		rc = GS_EIO;
		goto out;
	}
	if ((rc = gs_cursor_open(t, GS_DB_FEED, &cur)) != 0)
		goto out;
	gs_be64_put(key, since + 1);
	for (rc = gs_cursor_seek(cur, key, 8, &k, &v); rc == 0;
	    rc = gs_cursor_next(cur, &k, &v)) {
		gs_envelope e;
		Gs__Change *c = NULL;
		Gs__Case *cs = NULL;
		bool vis;

		if (k.len != 8 || v.len < GS_ID_BYTES) {
			rc = GS_EBADMSG;
			break;
		}
		seq = gs_be64_get(k.data);
		memcpy(id, v.data, GS_ID_BYTES);
		st->upto = seq;
		if (for_path == NULL) {
			if ((rc = emit(t, f, &sent, id, st)) != 0)
				break;
			continue;
		}
		if ((rc = gs_get(t, GS_DB_CHANGES, id, GS_ID_BYTES, &ev)) != 0)
			break;
		memset(&e, 0, sizeof(e));
		if ((rc = gs_envelope_decode(ev.data, ev.len, &e)) != 0 ||
		    (rc = gs_change_decode(&e, &c, NULL)) != 0) {
			gs_envelope_clear(&e);
			break;
		}
		if (gs_change_is_case_kind(c->body_case)) {
			rc = gs_case_load(t, c->case_id, &cs);
			if (rc == GS_ENOTFOUND)
				rc = 0;
		}
		if (rc == 0) {
			vis = gs_scope_visible(for_path, c, c->signer, cs);
			if (vis && cs != NULL) {
				gs_change_id((const uint8_t *)c->case_id,
				    strlen(c->case_id), cid);
				rc = idset_add(&cases, cid, &added);
				if (rc == 0 && added)
					rc = emit_case(t, f, &sent, c->case_id, st);
			} else if (vis)
				rc = emit(t, f, &sent, id, st);
		}
		gs_case_free(&cs);
		gs_change_free(&c);
		gs_envelope_clear(&e);
		if (rc != 0)
			break;
	}
	if (rc == GS_ENOTFOUND)
		rc = 0;
	if (rc != 0)
		goto out;
	/* Now that the end is known, fill in upto in the header. */
	gs_be64_put(hdr, st->upto);
	if (fflush(f) != 0 || fseek(f, 8, SEEK_SET) != 0 ||
	    fwrite(hdr, 1, 8, f) != 8 || fflush(f) != 0)
		rc = GS_EIO;
out:
	gs_cursor_close(&cur);
	gs_txn_abort(&t);
	idset_free(&sent);
	idset_free(&cases);
	return rc;
}

static int
read_file(const char *file, uint8_t **out, size_t *len)
{
	FILE *f;
	uint8_t *buf = NULL;
	long sz;
	int rc = GS_EIO;

	*out = NULL;
	if ((f = fopen(file, "rb")) == NULL)
		return errno == ENOENT ? GS_ENOTFOUND : GS_EIO;
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto out;
	if ((uint64_t)sz > GS_TRANSFER_MAX_BYTES) {
		rc = GS_ETOOBIG;
		goto out;
	}
	if ((buf = malloc(sz ? (size_t)sz : 1)) == NULL) {
		rc = GS_ENOMEM;
		goto out;
	}
	if (fread(buf, 1, (size_t)sz, f) != (size_t)sz)
		goto out;
	*out = buf;
	*len = (size_t)sz;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

int
gs_transfer_import(gs_node *n, const char *file, struct gs_apply_stats *st,
    gs_transfer_result_fn *fn, void *arg)
{
	struct gs_apply_result *res = NULL;
	const uint8_t **bufs = NULL;
	size_t *lens = NULL, nrec = 0, cap = 0, off, len = 0;
	uint8_t *data = NULL;
	gs_txn *t = NULL;
	int rc;

	if ((rc = read_file(file, &data, &len)) != 0)
		return rc;
	if (len < 16 || memcmp(data, GS_TRANSFER_MAGIC, 8) != 0) {
		rc = GS_EBADMSG;
		goto out;
	}
	/* Frame everything before applying anything. */
	for (off = 16; off < len; ) {
		size_t rl;

		if (len - off < 4) {
			rc = GS_EBADMSG;
			goto out;
		}
		rl = (size_t)data[off] << 24 | (size_t)data[off + 1] << 16 |
		    (size_t)data[off + 2] << 8 | data[off + 3];
		off += 4;
		if (rl == 0 || rl > GS_ENVELOPE_MAX_BYTES || rl > len - off) {
			rc = GS_EBADMSG;
			goto out;
		}
		if (nrec == cap) {
			void *p, *q;

			cap = cap ? cap * 2 : 256;
			if ((p = realloc(bufs, cap * sizeof(*bufs))) == NULL) {
				rc = GS_ENOMEM;
				goto out;
			}
			bufs = p;
			if ((q = realloc(lens, cap * sizeof(*lens))) == NULL) {
				rc = GS_ENOMEM;
				goto out;
			}
			lens = q;
		}
		bufs[nrec] = data + off;
		lens[nrec++] = rl;
		off += rl;
	}
	if ((res = calloc(GS_TRANSFER_BATCH, sizeof(*res))) == NULL) {
		rc = GS_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nrec; i += GS_TRANSFER_BATCH) {
		size_t m = nrec - i < GS_TRANSFER_BATCH ? nrec - i :
		    GS_TRANSFER_BATCH;
		struct gs_apply_stats bst = { 0 };

		if ((rc = gs_txn_begin(gs_node_store(n), 1, &t)) != 0)
			goto out;
		rc = gs_apply_batch(n, t, bufs + i, lens + i, m, res, &bst);
		if (rc != 0)
			goto out;
		if ((rc = gs_txn_commit(&t)) != 0)
			goto out;
		/* Count and report only what is durably committed. */
		if (st) {
			st->applied += bst.applied;
			st->duplicate += bst.duplicate;
			st->pending += bst.pending;
			st->rejected += bst.rejected;
			st->released += bst.released;
			st->released_rejected += bst.released_rejected;
		}
		for (size_t j = 0; fn != NULL && j < m; j++)
			fn(arg, &res[j]);
	}
out:
	gs_txn_abort(&t);
	free(res);
	free(bufs);
	free(lens);
	free(data);
	return rc;
}
