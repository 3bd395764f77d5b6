/*
 * metrics.c: Prometheus text for /metrics.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs/apply.h"
#include "gs/change.h"
#include "gs/error.h"
#include "gs/fold.h"
#include "gs/hlc.h"
#include "gs/metrics.h"
#include "gs/path.h"
#include "gs/rates.h"

#define REASONS_MAX 32

int
gs_metrics_init(struct gs_metrics *m, gs_node *n)
{
	gs_txn *t = NULL;
	int rc;

	memset(m, 0, sizeof(m[0]));
	if ((rc = gs_txn_begin(gs_node_store(n), 0, &t)) != 0)
		return rc;
	rc = gs_feed_last(t, &m->feed_upto);
	gs_txn_abort(&t);
	return rc;
}

/* A label value: the Prometheus text format escapes \, " and newline. */
static void
label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void
head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Where feed entry seq came from: a neighbour, this node, or a file. */
static int
source_of(gs_txn *t, gs_node *n, uint64_t seq)
{
	char src[GS_PATH_MAX_BYTES + 1];
	uint8_t id[GS_ID_BYTES];
	gs_envelope e;
	gs_val v;
	int s = GS_SRC_FILE;

	if (gs_feed_get(t, seq, id, src, sizeof(src)) != 0)
		return -1;
	if (src[0] != '\0')
		return GS_SRC_LINK;
	memset(&e, 0, sizeof(e));
	if (gs_get(t, GS_DB_CHANGES, id, GS_ID_BYTES, &v) == 0 &&
	    gs_envelope_decode(v.data, v.len, &e) == 0) {
		Gs__Change *c = NULL;

		if (gs_change_decode(&e, &c, NULL) == 0 &&
		    c->origin.len == GS_KEY_BYTES &&
		    memcmp(c->origin.data, gs_node_key(n), GS_KEY_BYTES) == 0)
			s = GS_SRC_LOCAL;
		gs_change_free(&c);
	}
	gs_envelope_clear(&e);
	return s;
}

static int
applied(FILE *f, gs_txn *t, gs_node *n, struct gs_metrics *m)
{
	static const char *name[GS_SRC__N] = { "local", "link", "file" };
	uint64_t last;
	int rc, s;

	if ((rc = gs_feed_last(t, &last)) != 0)
		return rc;
	for (; m->feed_upto < last; m->feed_upto++)
		if ((s = source_of(t, n, m->feed_upto + 1)) >= 0)
			m->applied[s]++;
	head(f, "gridsync_changes_applied_total", "counter",
	    "Changes stored since the daemon started, by where they came from.");
	for (int i = 0; i < GS_SRC__N; i++)
		fprintf(f, "gridsync_changes_applied_total{source=\"%s\"} %" PRIu64
		    "\n", name[i], m->applied[i]);
	return 0;
}

static const char *
reason_key(int code)
{
	switch (code) {
	case GS_EBADMSG:    return "malformed";
	case GS_EBADSIG:    return "bad_signature";
	case GS_EAUTH:      return "no_authority";
	case GS_EREVOKED:   return "revoked";
	case GS_EUNTRUSTED: return "unknown_signer";
	case GS_EVERSION:   return "version";
	case GS_ETOOBIG:    return "too_big";
	case GS_ECONFLICT:  return "conflict";
	case GS_EINVAL:     return "invalid";
	default:            return "other";
	}
}

/* Rejects are kept in the store, so these survive restarts. */
static int
rejected(FILE *f, gs_txn *t)
{
	const char *key[REASONS_MAX];
	uint64_t cnt[REASONS_MAX];
	size_t nk = 0;
	gs_cursor *cur = NULL;
	gs_val k, v;
	int rc;

	if ((rc = gs_cursor_open(t, GS_DB_REJECTS, &cur)) != 0)
		return rc;
	for (rc = gs_cursor_seek(cur, NULL, 0, &k, &v); rc == 0;
	    rc = gs_cursor_next(cur, &k, &v)) {
		Gs__Reject *r = gs__reject__unpack(NULL, v.len, v.data);
		const char *rk = reason_key(r ? r->code : 0);
		size_t i;

		if (r)
			gs__reject__free_unpacked(r, NULL);
		for (i = 0; i < nk && strcmp(key[i], rk) != 0; i++)
			;
		if (i == nk && nk < REASONS_MAX) {
			key[nk] = rk;
			cnt[nk++] = 0;
		}
		if (i < nk)
			cnt[i]++;
	}
	gs_cursor_close(&cur);
	if (rc != GS_ENOTFOUND)
		return rc;
	head(f, "gridsync_changes_rejected_total", "counter",
	    "Changes refused and kept in the rejects table, by reason.");
	for (size_t i = 0; i < nk; i++)
		fprintf(f, "gridsync_changes_rejected_total{reason=\"%s\"} %" PRIu64
		    "\n", key[i], cnt[i]);
	return 0;
}

static void
batches(FILE *f, const struct gs_sync_stats *st)
{
	static const uint64_t bound[GS_SYNC_BATCH_BUCKETS] =
	    GS_SYNC_BATCH_BOUNDS_US;
	uint64_t cum = 0;

	head(f, "gridsync_batch_apply_seconds", "histogram",
	    "Time to verify, apply and commit a batch received from a "
	    "neighbour.");
	for (int i = 0; i < GS_SYNC_BATCH_BUCKETS; i++) {
		cum += st ? st->batch_hist[i] : 0;
		fprintf(f, "gridsync_batch_apply_seconds_bucket{le=\"%g\"} %" PRIu64
		    "\n", (double)bound[i] / 1e6, cum);
	}
	cum += st ? st->batch_hist[GS_SYNC_BATCH_BUCKETS] : 0;
	fprintf(f, "gridsync_batch_apply_seconds_bucket{le=\"+Inf\"} %" PRIu64
	    "\n", cum);
	fprintf(f, "gridsync_batch_apply_seconds_sum %.6f\n",
	    st ? (double)st->batch_us_sum / 1e6 : 0.0);
	fprintf(f, "gridsync_batch_apply_seconds_count %" PRIu64 "\n", cum);
}

static int
links(FILE *f, gs_txn *t)
{
	uint64_t feed, now = gs_hlc_now_ms();
	gs_cursor *cur = NULL;
	gs_val k, v;
	int rc, pass;

	if ((rc = gs_feed_last(t, &feed)) != 0)
		return rc;
	/* One pass per metric: the text format wants a metric's samples
	 * together under its header. */
	for (pass = 0; pass < 3; pass++) {
		if (pass == 0)
			head(f, "gridsync_link_up", "gauge",
			    "1 when the link to the neighbour is up.");
		else if (pass == 1)
			head(f, "gridsync_link_behind_changes", "gauge",
			    "Changes not yet moved over the link: in = theirs "
			    "not yet here, out = ours not yet acked.");
		else
			head(f, "gridsync_link_last_seen_seconds", "gauge",
			    "Seconds since the neighbour was last heard from.");
		if ((rc = gs_cursor_open(t, GS_DB_LINKS, &cur)) != 0)
			return rc;
		for (rc = gs_cursor_seek(cur, NULL, 0, &k, &v); rc == 0;
		    rc = gs_cursor_next(cur, &k, &v)) {
			Gs__Link *l = gs__link__unpack(NULL, v.len, v.data);

			if (l == NULL)
				continue;
			if (pass == 0) {
				fputs("gridsync_link_up{peer=\"", f);
				label(f, l->path);
				fprintf(f, "\",role=\"%s\"} %d\n", l->parent ?
				    "parent" : "child", l->connected ? 1 : 0);
			} else if (pass == 1) {
				fputs("gridsync_link_behind_changes{peer=\"", f);
				label(f, l->path);
				fprintf(f, "\",direction=\"in\"} %" PRIu64 "\n",
				    l->their_feed_seq > l->checkpoint ?
				    l->their_feed_seq - l->checkpoint : 0);
				fputs("gridsync_link_behind_changes{peer=\"", f);
				label(f, l->path);
				fprintf(f, "\",direction=\"out\"} %" PRIu64 "\n",
				    feed > l->acked_upto ? feed - l->acked_upto : 0);
			} else {
				fputs("gridsync_link_last_seen_seconds{peer=\"", f);
				label(f, l->path);
				fprintf(f, "\"} %.3f\n", l->last_seen_ms == 0 ? -1.0 :
				    now > l->last_seen_ms ?
				    (double)(now - l->last_seen_ms) / 1e3 : 0.0);
			}
			gs__link__free_unpacked(l, NULL);
		}
		gs_cursor_close(&cur);
		if (rc != GS_ENOTFOUND)
			return rc;
	}
	return 0;
}

struct case_count {
	uint64_t status[5];
	uint64_t overdue;
	uint64_t now;
};

static int
case_count(void *arg, const Gs__Case *c)
{
	struct case_count *cc = arg;

	if (c->status >= 1 && c->status <= 4)
		cc->status[c->status]++;
	if (gs_case_overdue(c, cc->now))
		cc->overdue++;
	return 0;
}

static int
cases(FILE *f, gs_txn *t)
{
	struct case_count cc;
	int rc;

	memset(&cc, 0, sizeof(cc));
	cc.now = gs_hlc_now_ms();
	if ((rc = gs_case_each(t, case_count, &cc)) != 0)
		return rc;
	head(f, "gridsync_cases", "gauge", "Cases held here, by status.");
	for (int s = 1; s <= 4; s++)
		fprintf(f, "gridsync_cases{status=\"%s\"} %" PRIu64 "\n",
		    gs_status_name(s), cc.status[s]);
	head(f, "gridsync_cases_overdue", "gauge",
	    "Cases held here past a deadline of theirs.");
	fprintf(f, "gridsync_cases_overdue %" PRIu64 "\n", cc.overdue);
	return 0;
}

int
gs_metrics_write(FILE *f, gs_node *n, struct gs_metrics *m,
    const struct gs_sync_stats *st)
{
	size_t map = 0, used = 0;
	gs_txn *t = NULL;
	int rc;

	batches(f, st);
	if ((rc = gs_store_usage(gs_node_store(n), &map, &used)) == 0) {
		head(f, "gridsync_store_used_bytes", "gauge",
		    "Bytes of the LMDB map in use.");
		fprintf(f, "gridsync_store_used_bytes %zu\n", used);
		head(f, "gridsync_store_map_bytes", "gauge",
		    "The LMDB map size: the store's limit.");
		fprintf(f, "gridsync_store_map_bytes %zu\n", map);
	}
	if ((rc = gs_txn_begin(gs_node_store(n), 0, &t)) != 0)
		return rc;
	if ((rc = applied(f, t, n, m)) == 0 && (rc = rejected(f, t)) == 0 &&
	    (rc = links(f, t)) == 0)
		rc = cases(f, t);
	gs_txn_abort(&t);
	return rc;
}
