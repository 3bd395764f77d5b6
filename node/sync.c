/*
 * sync.c: HELLO / BATCH / ACK / HEARTBEAT / ERROR over any transport.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gs/apply.h"
#include "gs/change.h"
#include "gs/error.h"
#include "gs/fold.h"
#include "gs/path.h"
#include "gs/scope.h"
#include "gs/sync.h"
#include "gs/trust.h"

#define WINDOW_MAX 64

struct gs_peer {
	char     path[GS_PATH_MAX_BYTES + 1];
	bool     parent;
	bool     up;                /* a HELLO was exchanged */
	uint64_t last_seen_ms;
	uint64_t last_sent_ms;
	uint64_t last_hello_ms;
	uint64_t since_ms;
	/* Their feed, coming in. */
	uint8_t  their_epoch[GS_EPOCH_BYTES];
	bool     have_their_epoch;
	uint64_t their_feed_seq;
	uint64_t checkpoint;        /* of their feed, applied here */
	uint8_t  cp_epoch[GS_EPOCH_BYTES];
	bool     have_cp;
	bool     cp_unsaved;        /* moved by empty batches only: written
	                             * with the next flush or batch */
	/* Our feed, going out. */
	uint64_t sent_upto, acked_upto;
	/* Scanned beyond sent_upto up to here and found nothing for them:
	 * such a range is sent (as an empty batch) at most once per
	 * heartbeat, not after every change of our feed. */
	uint64_t scanned_upto;
	uint64_t last_batch_ms;
	uint64_t inflight[WINDOW_MAX];
	uint32_t ninflight;
	uint64_t rejects_received, rejects_sent;
	/* Their own changes they lack (their store is an older copy): sent
	 * back to them even though they came from them. */
	bool     resend_own;
	uint64_t resend_own_after;
	/* Their key: as their HELLO names it (when enrolled at their path),
	 * else the roster's unrevoked one; looked up afresh every session,
	 * since a lost terminal's replacement has a new key. */
	uint8_t  key[GS_KEY_BYTES];
	bool     have_key, key_from_hello;
	bool     replaced;      /* other keys have signed as their path */
	char     last_error[160];
	bool     dirty;             /* link status changed: write within 1 s */
	bool     seen;              /* only last_seen_ms moved: within 10 s */
	gs_peer *next;
};

/* Received BATCH frames kept in hand while the verify pool checks their
 * signatures: up to GROUP_MAX frames of one neighbour's stream, back to
 * back, applied in one transaction. The group before it is applied and
 * committed meanwhile. Frames stay small on the wire (a slow link must
 * carry each within the timeout); the receiver folds each case and
 * commits once per group of what has already arrived. */
#define GROUP_MAX 8

struct inbatch {
	gs_peer            *peer;
	Gs__SyncFrame      *frames[GROUP_MAX];   /* owned */
	size_t              nframes;
	const uint8_t     **bufs;      /* every frame's envelopes, in order */
	size_t             *lens;
	int8_t             *verdict;   /* per envelope: 1, 0, -1 (apply checks) */
	size_t              n;
	struct gs_precheck  pc;        /* checks of the last frame's envelopes */
	size_t              pc_off;    /* where they start in bufs */
	bool                tried;     /* they were started, or could not be */
};

struct gs_sync {
	gs_node             *node;
	struct gs_sync_opts  o;
	gs_sync_send_fn     *send;
	void                *arg;
	gs_peer             *peers;
	uint8_t              epoch[GS_EPOCH_BYTES];
	uint64_t             last_flush_ms, last_seen_flush_ms;
	struct gs_sync_stats st;
	struct inbatch       in;        /* peer NULL: none in hand */
	int                  fault;     /* a store error met where none could
	                                 * be returned: gs_sync_settle says it */
};

/* The store errors the daemon must stop for; anything else a frame
 * caused was answered and counted. */
static int
fatal(int rc)
{
	return rc == GS_ENOMEM || rc == GS_EIO || rc == GS_EFULL ? rc : 0;
}

static void inbatch_free(struct inbatch *ib);
static int settle(gs_sync *s, struct inbatch *next, uint64_t now);

/* Milliseconds from then to now; 0 when the wall clock stepped back. */
static uint64_t
elapsed(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

/* ---- frames out ---- */

static int
send_frame(gs_sync *s, gs_peer *p, Gs__SyncFrame *f, uint64_t now)
{
	uint8_t *buf;
	size_t len;
	int rc;

	f->version = GS_SYNC_VERSION;
	len = gs__sync_frame__get_packed_size(f);
	if ((buf = malloc(len ? len : 1)) == NULL)
		return GS_ENOMEM;
	gs__sync_frame__pack(f, buf);
	rc = s->send(s->arg, p, buf, len);
	free(buf);
	if (rc != 0) {
		/* While the link is not up a failed send is expected (still
		 * connecting): keep the last readable reason. */
		gs_sync_down(s, p, p->up ? "send failed: neighbour unreachable" :
		    NULL, now);
		return rc;
	}
	p->last_sent_ms = now;
	return 0;
}

static void
send_error(gs_sync *s, gs_peer *p, int code, const char *reason, uint64_t now)
{
	Gs__SyncFrame f;
	Gs__SyncError e;

	gs__sync_frame__init(&f);
	gs__sync_error__init(&e);
	e.code = (uint32_t)-code;
	e.reason = (char *)(uintptr_t)reason;
	f.body_case = GS__SYNC_FRAME__BODY_ERROR;
	f.error = &e;
	(void)send_frame(s, p, &f, now);
}

/* The length of our own feed, in its own read transaction. */
static int
feed_len(gs_sync *s, uint64_t *feed)
{
	gs_txn *t = NULL;
	int rc;

	if ((rc = gs_txn_begin(gs_node_store(s->node), 0, &t)) != 0)
		return rc;
	rc = gs_feed_last(t, feed);
	gs_txn_abort(&t);
	return rc;
}

/* Our own seq as the store knows it, and the highest seq of p's current
 * key held here (p->key is looked up in the roster on the way, unless
 * p's HELLO named it). */
static int
own_marks(gs_txn *t, gs_peer *p, uint64_t *mine, uint64_t *theirs)
{
	int rc;

	*mine = *theirs = 0;
	if ((rc = gs_meta_get_u64(t, "own_seq", mine)) == GS_ENOTFOUND)
		rc = 0;
	if (rc == 0 && !p->key_from_hello) {
		rc = gs_roster_find(t, p->path, p->key, NULL);
		p->have_key = rc == 0;
		if (rc == GS_ENOTFOUND)
			rc = 0;
	}
	if (rc == 0 && p->have_key)
		rc = gs_origin_last_seq(t, p->key, theirs);
	return rc;
}

static int
send_hello(gs_sync *s, gs_peer *p, uint64_t now)
{
	Gs__SyncFrame f;
	Gs__SyncHello h;
	uint64_t feed = 0, mine, theirs;
	gs_txn *t = NULL;
	int rc;

	if ((rc = gs_txn_begin(gs_node_store(s->node), 0, &t)) != 0)
		return rc;
	if ((rc = gs_feed_last(t, &feed)) == 0)
		rc = own_marks(t, p, &mine, &theirs);
	gs_txn_abort(&t);
	if (rc != 0)
		return rc;
	gs__sync_frame__init(&f);
	gs__sync_hello__init(&h);
	h.path = (char *)(uintptr_t)gs_node_path(s->node);
	h.my_epoch.data = s->epoch;
	h.my_epoch.len = GS_EPOCH_BYTES;
	h.feed_seq = feed;
	h.my_seq = mine;
	h.your_seq = theirs;
	h.my_key.data = (uint8_t *)(uintptr_t)gs_node_key(s->node);
	h.my_key.len = GS_KEY_BYTES;
	if (p->have_cp) {
		h.your_epoch.data = p->cp_epoch;
		h.your_epoch.len = GS_EPOCH_BYTES;
		h.checkpoint = p->checkpoint;
	}
	f.body_case = GS__SYNC_FRAME__BODY_HELLO;
	f.hello = &h;
	p->last_hello_ms = now;
	return send_frame(s, p, &f, now);
}

/* ---- peers and checkpoints ---- */

static int
load_checkpoint(gs_sync *s, gs_peer *p)
{
	gs_txn *t = NULL;
	gs_val v;
	int rc;

	if ((rc = gs_txn_begin(gs_node_store(s->node), 0, &t)) != 0)
		return rc;
	rc = gs_get(t, GS_DB_CHECKPOINTS, p->path, strlen(p->path), &v);
	if (rc == 0 && v.len == GS_EPOCH_BYTES + 8) {
		memcpy(p->cp_epoch, v.data, GS_EPOCH_BYTES);
		p->checkpoint = gs_be64_get((const uint8_t *)v.data +
		    GS_EPOCH_BYTES);
		p->have_cp = true;
	}
	gs_txn_abort(&t);
	return rc == GS_ENOTFOUND ? 0 : rc;
}

/* Keeps the counters `peers` shows across restarts. */
static int
load_link(gs_sync *s, gs_peer *p)
{
	gs_txn *t = NULL;
	gs_val v;
	Gs__Link *l;
	int rc;

	if ((rc = gs_txn_begin(gs_node_store(s->node), 0, &t)) != 0)
		return rc;
	rc = gs_get(t, GS_DB_LINKS, p->path, strlen(p->path), &v);
	if (rc == 0 && (l = gs__link__unpack(NULL, v.len, v.data)) != NULL) {
		p->last_seen_ms = l->last_seen_ms;
		p->since_ms = l->since_ms;
		p->their_feed_seq = l->their_feed_seq;
		p->acked_upto = l->acked_upto;
		p->rejects_received = l->rejects_received;
		p->rejects_sent = l->rejects_sent;
		snprintf(p->last_error, sizeof(p->last_error), "%s",
		    l->last_error);
		gs__link__free_unpacked(l, NULL);
	}
	gs_txn_abort(&t);
	return rc == GS_ENOTFOUND || rc == 0 ? 0 : rc;
}

static int
put_checkpoint(gs_txn *t, const gs_peer *p, const uint8_t *epoch,
    uint64_t upto)
{
	uint8_t v[GS_EPOCH_BYTES + 8];

	memcpy(v, epoch, GS_EPOCH_BYTES);
	gs_be64_put(v + GS_EPOCH_BYTES, upto);
	return gs_put(t, GS_DB_CHECKPOINTS, p->path, strlen(p->path), v,
	    sizeof(v));
}

int
gs_sync_new(gs_node *n, const struct gs_sync_opts *o, gs_sync_send_fn *send,
    void *arg, gs_sync **out)
{
	gs_sync *s;
	gs_txn *t = NULL;
	int rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return GS_ENOMEM;
	s->node = n;
	s->o = *o;
	if (s->o.window == 0 || s->o.window > WINDOW_MAX)
		s->o.window = WINDOW_MAX;
	if (s->o.batch_max == 0)
		s->o.batch_max = 256;
	s->send = send;
	s->arg = arg;
	if ((rc = gs_txn_begin(gs_node_store(n), 0, &t)) == 0) {
		rc = gs_meta_get_bytes(t, "epoch", s->epoch, GS_EPOCH_BYTES);
		gs_txn_abort(&t);
	}
	if (rc != 0) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void
gs_sync_destroy(gs_sync **sp)
{
	gs_sync *s;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	inbatch_free(&s->in);
	while (s->peers) {
		gs_peer *p = s->peers;

		s->peers = p->next;
		free(p);
	}
	free(s);
	*sp = NULL;
}

gs_peer *
gs_sync_find(gs_sync *s, const char *path)
{
	for (gs_peer *p = s->peers; p; p = p->next)
		if (strcmp(p->path, path) == 0)
			return p;
	return NULL;
}

gs_peer *
gs_sync_peer(gs_sync *s, const char *path, bool parent)
{
	gs_peer *p = gs_sync_find(s, path);

	if (p != NULL)
		return p;
	if (strlen(path) > GS_PATH_MAX_BYTES || (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->parent = parent;
	if (load_checkpoint(s, p) != 0 || load_link(s, p) != 0) {
		free(p);
		return NULL;
	}
	p->dirty = true;
	p->next = s->peers;
	s->peers = p;
	return p;
}

const char *
gs_peer_path(const gs_peer *p)
{
	return p->path;
}

bool
gs_peer_up(const gs_peer *p)
{
	return p->up;
}

const struct gs_sync_stats *
gs_sync_stats(const gs_sync *s)
{
	return &s->st;
}

void
gs_sync_down(gs_sync *s, gs_peer *p, const char *why, uint64_t now)
{
	/* A batch of p's in hand arrived while the session was up. */
	if (s->in.peer == p && s->fault == 0)
		s->fault = fatal(settle(s, NULL, now));
	if (p->up)
		p->since_ms = now;
	p->up = false;
	p->ninflight = 0;
	p->key_from_hello = false;
	if (why)
		snprintf(p->last_error, sizeof(p->last_error), "%s", why);
	p->dirty = true;
}

/* ---- building a batch of our feed for p ---- */

struct out {
	uint8_t  **bufs;
	size_t    *lens;
	size_t     n, cap, bytes;
	uint8_t  (*ids)[GS_ID_BYTES];
};

static bool
out_has(const struct out *o, const uint8_t *id)
{
	for (size_t i = 0; i < o->n; i++)
		if (memcmp(o->ids[i], id, GS_ID_BYTES) == 0)
			return true;
	return false;
}

static int
out_add(gs_txn *t, struct out *o, const uint8_t *id)
{
	gs_val v;
	int rc;

	if (out_has(o, id))
		return 0;
	if ((rc = gs_get(t, GS_DB_CHANGES, id, GS_ID_BYTES, &v)) != 0)
		return rc;
	if (o->n == o->cap) {
		size_t nc = o->cap ? o->cap * 2 : 64;
		void *a = realloc(o->bufs, nc * sizeof(*o->bufs));

		if (a == NULL)
			return GS_ENOMEM;
		o->bufs = a;
		if ((a = realloc(o->lens, nc * sizeof(*o->lens))) == NULL)
			return GS_ENOMEM;
		o->lens = a;
		if ((a = realloc(o->ids, nc * sizeof(*o->ids))) == NULL)
			return GS_ENOMEM;
		o->ids = a;
		o->cap = nc;
	}
	if ((o->bufs[o->n] = malloc(v.len)) == NULL)
		return GS_ENOMEM;
	memcpy(o->bufs[o->n], v.data, v.len);
	o->lens[o->n] = v.len;
	memcpy(o->ids[o->n], id, GS_ID_BYTES);
	o->n++;
	o->bytes += v.len;
	return 0;
}

static void
out_free(struct out *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->bufs[i]);
	free(o->bufs);
	free(o->lens);
	free(o->ids);
	memset(o, 0, sizeof(*o));
}

/* Does change c make its case newly visible to path? Then path needs the
 * case's earlier changes too (backfill). */
static bool
grants(const Gs__Change *c, const char *path)
{
	char parent[GS_PATH_MAX_BYTES + 1];

	if (c->body_case == GS__CHANGE__BODY_WHISTLE)
		return gs_path_parent(c->signer, parent, sizeof(parent)) == 0 &&
		    strcmp(parent, path) == 0;
	if (c->body_case == GS__CHANGE__BODY_DISPATCH)
		return strcmp(c->dispatch->department, path) == 0;
	/* A task assigned down: the village it is for holds nothing of
	 * the case yet. A report sent up grants nothing: the level above
	 * sees every change of its subtree's cases as their feed entries
	 * come up, and backfilling them here sent each one twice. */
	if (c->body_case == GS__CHANGE__BODY_REPORT)
		return !gs_path_within(path, c->signer);
	return false;
}

/* Adds to o what p may hold of feed entry seq. */
static int
consider(gs_sync *s, gs_txn *t, gs_peer *p, uint64_t seq, struct out *o)
{
	char source[GS_PATH_MAX_BYTES + 1];
	uint8_t id[GS_ID_BYTES];
	gs_envelope e;
	gs_val v;
	Gs__Change *c = NULL;
	Gs__Case *cs = NULL;
	bool from_them;
	int rc;

	(void)s;
	if ((rc = gs_feed_get(t, seq, id, source, sizeof(source))) != 0)
		return rc;
	/* Never back to where it came from, unless it is one of their own
	 * changes their store has lost (restored from an older copy). */
	from_them = strcmp(source, p->path) == 0;
	if ((from_them && !p->resend_own && !p->replaced) || out_has(o, id))
		return 0;
	memset(&e, 0, sizeof(e));
	if ((rc = gs_get(t, GS_DB_CHANGES, id, GS_ID_BYTES, &v)) != 0 ||
	    (rc = gs_envelope_decode(v.data, v.len, &e)) != 0 ||
	    (rc = gs_change_decode(&e, &c, NULL)) != 0)
		goto out;
	if (from_them) {
		bool same_key = p->have_key &&
		    memcmp(c->origin.data, p->key, GS_KEY_BYTES) == 0;

		/* Theirs, lost by a restore; or their path's, signed by the
		 * terminal theirs replaced. Anything else they have. */
		if (!((same_key && p->resend_own && c->seq > p->resend_own_after) ||
		    (!same_key && p->replaced && strcmp(c->signer, p->path) == 0)))
			goto out;
	}
	if (gs_change_is_case_kind(c->body_case)) {
		rc = gs_case_load(t, c->case_id, &cs);
		if (rc == GS_ENOTFOUND) {
			rc = 0;
			goto out;
		}
		if (rc != 0)
			goto out;
	}
	if (!gs_scope_visible(p->path, c, c->signer, cs))
		goto out;
	if (cs != NULL && grants(c, p->path)) {
		uint8_t (*ids)[GS_ID_BYTES] = NULL;
		size_t n = 0;

		if ((rc = gs_case_ids(t, c->case_id, &ids, &n)) != 0)
			goto out;
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = out_add(t, o, ids[i]);
		free(ids);
		if (rc != 0)
			goto out;
	}
	rc = out_add(t, o, id);
out:
	gs_case_free(&cs);
	gs_change_free(&c);
	gs_envelope_clear(&e);
	return rc;
}

/* Sends the next batch of our feed to p, if there is anything beyond
 * what was sent. *sent tells whether a frame went out. */
static int
send_batch(gs_sync *s, gs_peer *p, uint64_t now, bool *sent)
{
	Gs__SyncFrame f;
	Gs__SyncBatch b;
	ProtobufCBinaryData *env = NULL;
	struct out o;
	gs_txn *t = NULL;
	uint64_t last, seq, start, from = p->sent_upto + 1, upto = p->sent_upto;
	int rc;

	*sent = false;
	memset(&o, 0, sizeof(o));
	if ((rc = gs_txn_begin(gs_node_store(s->node), 0, &t)) != 0)
		return rc;
	if ((rc = gs_feed_last(t, &last)) != 0 || last <= p->sent_upto)
		goto out;
	/* What was scanned already holds nothing for them. */
	if (p->scanned_upto > p->sent_upto)
		upto = p->scanned_upto;
	start = upto + 1;
	for (seq = start; seq <= last && seq < start + GS_SYNC_SCAN_MAX; seq++) {
		if (o.n >= s->o.batch_max || o.bytes >= GS_SYNC_BATCH_SOFT_BYTES)
			break;
		if ((rc = consider(s, t, p, seq, &o)) != 0)
			goto out;
		upto = seq;
	}
	if ((env = calloc(o.n ? o.n : 1, sizeof(*env))) == NULL) {
		rc = GS_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < o.n; i++) {
		env[i].data = o.bufs[i];
		env[i].len = o.lens[i];
	}
	/* Nothing for them: every neighbour but the one a change came from
	 * would get an empty batch per change (a town's villages, each
	 * other's changes), and answer it. Send the range at most once per
	 * heartbeat; it only moves their checkpoint. */
	if (o.n == 0 && elapsed(now, p->last_batch_ms) < s->o.heartbeat_ms) {
		p->scanned_upto = upto;
		goto out;
	}
	gs__sync_frame__init(&f);
	gs__sync_batch__init(&b);
	b.epoch.data = s->epoch;
	b.epoch.len = GS_EPOCH_BYTES;
	b.from = from;
	b.upto = upto;
	b.n_envelopes = o.n;
	b.envelopes = env;
	f.body_case = GS__SYNC_FRAME__BODY_BATCH;
	f.batch = &b;
	gs_txn_abort(&t);
	if ((rc = send_frame(s, p, &f, now)) != 0)
		goto out;
	p->sent_upto = upto;
	p->scanned_upto = 0;
	p->last_batch_ms = now;
	p->inflight[p->ninflight++] = upto;
	s->st.batches_out++;
	s->st.changes_out += o.n;
	*sent = true;
out:
	gs_txn_abort(&t);
	free(env);
	out_free(&o);
	return rc;
}

static int
pump(gs_sync *s, gs_peer *p, uint64_t now)
{
	bool sent = true;
	int rc = 0;

	while (p->up && sent && p->ninflight < s->o.window && rc == 0)
		rc = send_batch(s, p, now, &sent);
	/* A send failure already marked the link down; that is not a store
	 * error. */
	return rc == GS_ENOMEM || rc == GS_EIO || rc == GS_EFULL ? rc : 0;
}

/* ---- frames in ---- */

/* Forgets p's checkpoint in the store too. */
static int
reset_checkpoint(gs_sync *s, gs_peer *p)
{
	gs_txn *t = NULL;
	int rc;

	p->cp_unsaved = false;   /* a flush must not write it back */
	if ((rc = gs_txn_begin(gs_node_store(s->node), 1, &t)) != 0)
		return rc;
	rc = gs_del(t, GS_DB_CHECKPOINTS, p->path, strlen(p->path), NULL, 0);
	if (rc == 0 || rc == GS_ENOTFOUND)
		rc = gs_txn_commit(&t);
	gs_txn_abort(&t);
	return rc;
}

/* Whether a key other than key is enrolled at path. */
static int
other_keys(gs_txn *t, const char *path, const uint8_t *key, bool *yes)
{
	gs_cursor *cur = NULL;
	gs_val k;
	size_t pl = strlen(path);
	int rc;

	*yes = false;
	if ((rc = gs_cursor_open(t, GS_DB_ROSTER, &cur)) != 0)
		return rc;
	/* Roster keys are key (32) + path. */
	for (rc = gs_cursor_seek(cur, NULL, 0, &k, NULL); rc == 0 && !*yes;
	    rc = gs_cursor_next(cur, &k, NULL))
		*yes = k.len == GS_KEY_BYTES + pl &&
		    memcmp((const uint8_t *)k.data + GS_KEY_BYTES, path, pl) == 0 &&
		    memcmp(k.data, key, GS_KEY_BYTES) != 0;
	gs_cursor_close(&cur);
	return rc == GS_ENOTFOUND ? 0 : rc;
}

/*
 * The own-change marks of a HELLO (proto SyncHello). Their your_seq above
 * our own seq: our store is an older copy; record the floor so no local
 * write signs a used seq (ops.h) until our changes come back. Their my_seq
 * below what we hold of their key: stream our feed to them from 0 again,
 * their own changes included.
 */
static int
check_own_marks(gs_sync *s, gs_peer *p, const Gs__SyncHello *h, char *msg,
    size_t cap)
{
	uint64_t mine, theirs, floor_seq = 0;
	Gs__RosterEntry *e = NULL;
	gs_txn *t = NULL;
	int rc;

	/* The key the HELLO speaks for, when it is enrolled at their path;
	 * and whether other keys signed as that path before (a replaced
	 * terminal, whose new store lacks the old one's work). */
	p->key_from_hello = false;
	if ((rc = gs_txn_begin(gs_node_store(s->node), 0, &t)) != 0)
		return rc;
	if (h->my_key.len == GS_KEY_BYTES &&
	    (rc = gs_roster_get(t, h->my_key.data, p->path, &e)) == 0) {
		memcpy(p->key, h->my_key.data, GS_KEY_BYTES);
		p->have_key = p->key_from_hello = true;
		gs__roster_entry__free_unpacked(e, NULL);
	}
	if (rc == 0 || rc == GS_ENOTFOUND)
		rc = p->have_key ? other_keys(t, p->path, p->key, &p->replaced) :
		    0;
	if (rc == 0)
		rc = own_marks(t, p, &mine, &theirs);
	gs_txn_abort(&t);
	if (rc != 0)
		return rc;
	if (h->your_seq > mine) {
		if ((rc = gs_txn_begin(gs_node_store(s->node), 1, &t)) != 0)
			return rc;
		if ((rc = gs_meta_get_u64(t, "seq_floor", &floor_seq)) ==
		    GS_ENOTFOUND)
			rc = 0;
		if (rc == 0 && h->your_seq > floor_seq)
			rc = gs_meta_put_u64(t, "seq_floor", h->your_seq);
		if (rc == 0)
			rc = gs_txn_commit(&t);
		gs_txn_abort(&t);
		if (rc != 0)
			return rc;
		snprintf(msg, cap, "neighbour holds our own changes up to seq "
		    "%llu, our store only %llu (restored from a copy?): local "
		    "writes wait until they are back", (unsigned long long)
		    h->your_seq, (unsigned long long)mine);
	}
	p->resend_own = p->have_key && theirs > h->my_seq;
	p->resend_own_after = h->my_seq;
	if (p->resend_own)
		snprintf(msg, cap, "neighbour's store lacks its own changes "
		    "%llu..%llu (restored from a copy?): sending them back",
		    (unsigned long long)h->my_seq + 1,
		    (unsigned long long)theirs);
	return 0;
}

static int
on_hello(gs_sync *s, gs_peer *p, const Gs__SyncHello *h, uint64_t now)
{
	uint64_t last = 0;
	char msg[160] = "";
	int rc;

	if (strcmp(h->path, p->path) != 0) {
		send_error(s, p, GS_EAUTH, "HELLO names another path than the "
		    "link's identity", now);
		return 0;
	}
	if (h->my_epoch.len != GS_EPOCH_BYTES) {
		send_error(s, p, GS_EBADMSG, "HELLO without a feed epoch", now);
		return 0;
	}
	if ((rc = feed_len(s, &last)) != 0)
		return rc;
	memcpy(p->their_epoch, h->my_epoch.data, GS_EPOCH_BYTES);
	p->have_their_epoch = true;
	p->their_feed_seq = h->feed_seq;
	if (p->have_cp && memcmp(p->cp_epoch, p->their_epoch,
	    GS_EPOCH_BYTES) == 0 && h->feed_seq < p->checkpoint) {
		/* Their feed is shorter than what we applied of it: a store
		 * restored from an old copy. Take it from 0 again; dedupe by
		 * change id keeps that safe. */
		snprintf(msg, sizeof(msg), "neighbour's feed went back from %llu "
		    "to %llu (restored from a copy?): reading it from 0",
		    (unsigned long long)p->checkpoint,
		    (unsigned long long)h->feed_seq);
		p->checkpoint = 0;
		p->have_cp = false;
		if ((rc = reset_checkpoint(s, p)) != 0)
			return rc;
	}
	if ((rc = check_own_marks(s, p, h, msg, sizeof(msg))) != 0)
		return rc;
	/* Resume our stream where they say they are, when they name our
	 * current feed; a store restored from backup has another epoch, and
	 * a checkpoint beyond our feed cannot be ours: start from 0 (dedupe
	 * by change id makes resending safe). */
	if (h->your_epoch.len == GS_EPOCH_BYTES &&
	    memcmp(h->your_epoch.data, s->epoch, GS_EPOCH_BYTES) == 0 &&
	    h->checkpoint <= last && !p->resend_own)
		p->sent_upto = p->acked_upto = h->checkpoint;
	else {
		if (h->checkpoint > last && h->your_epoch.len == GS_EPOCH_BYTES &&
		    memcmp(h->your_epoch.data, s->epoch, GS_EPOCH_BYTES) == 0)
			snprintf(msg, sizeof(msg), "neighbour claimed checkpoint "
			    "%llu beyond our feed %llu; resending from 0",
			    (unsigned long long)h->checkpoint,
			    (unsigned long long)last);
		p->sent_upto = p->acked_upto = 0;
	}
	p->ninflight = 0;
	p->scanned_upto = 0;
	p->last_batch_ms = 0;
	if (!p->up)
		p->since_ms = now;
	p->up = true;
	/* A new session: what went wrong before is over, unless this HELLO
	 * itself had something to say. */
	snprintf(p->last_error, sizeof(p->last_error), "%s", msg);
	p->dirty = true;
	/* The parent answers a child's HELLO with its own. */
	if (!p->parent && (rc = send_hello(s, p, now)) != 0)
		return rc == GS_ENOMEM || rc == GS_EIO ? rc : 0;
	return pump(s, p, now);
}

/* Counts a stored batch's time since t0 in the histogram of metrics. */
static void
batch_time(gs_sync *s, const struct timespec *t0)
{
	static const uint64_t bound[GS_SYNC_BATCH_BUCKETS] =
	    GS_SYNC_BATCH_BOUNDS_US;
	struct timespec t1;
	int64_t d;
	uint64_t us;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	d = (int64_t)(t1.tv_sec - t0->tv_sec) * 1000000 +
	    (int64_t)(t1.tv_nsec - t0->tv_nsec) / 1000;
	us = d > 0 ? (uint64_t)d : 0;
	for (i = 0; i < GS_SYNC_BATCH_BUCKETS && us > bound[i]; i++)
		;
	s->st.batch_hist[i]++;
	s->st.batch_us_sum += us;
}

/* Starts the signature checks of ib's last frame with t, or a read
 * transaction of its own when t is NULL. A failure leaves apply to check
 * each signature itself. */
static void
precheck_next(gs_sync *s, gs_txn *t, struct inbatch *ib)
{
	gs_txn *r = NULL;

	if (ib == NULL || ib->tried)
		return;
	ib->tried = true;
	if (ib->n == ib->pc_off)
		return;   /* empty frames: nothing to check */
	if (t == NULL && gs_txn_begin(gs_node_store(s->node), 0, &r) != 0)
		return;
	(void)gs_precheck_start(t ? t : r, ib->bufs + ib->pc_off,
	    ib->lens + ib->pc_off, ib->n - ib->pc_off, &ib->pc);
	gs_txn_abort(&r);
}

/* Waits for the checks of ib's last frame and files their verdicts. */
static void
collect(struct inbatch *ib)
{
	const int8_t *v = gs_precheck_wait(&ib->pc);

	if (v != NULL)
		memcpy(ib->verdict + ib->pc_off, v, ib->n - ib->pc_off);
	gs_precheck_clear(&ib->pc);
}

/* Appends frame f's envelopes to ib (whose checks of them are not yet
 * started) and takes f. */
static int
group_add(struct inbatch *ib, Gs__SyncFrame *f)
{
	const Gs__SyncBatch *b = f->batch;
	size_t n = ib->n + b->n_envelopes;

	if (n > ib->n) {
		const uint8_t **nb = realloc(ib->bufs, n * sizeof(*nb));
		size_t *nl;
		int8_t *nv;

		if (nb == NULL)
			return GS_ENOMEM;
		ib->bufs = nb;
		if ((nl = realloc(ib->lens, n * sizeof(*nl))) == NULL)
			return GS_ENOMEM;
		ib->lens = nl;
		if ((nv = realloc(ib->verdict, n * sizeof(*nv))) == NULL)
			return GS_ENOMEM;
		ib->verdict = nv;
	}
	for (size_t i = 0; i < b->n_envelopes; i++) {
		ib->bufs[ib->n + i] = b->envelopes[i].data;
		ib->lens[ib->n + i] = b->envelopes[i].len;
		ib->verdict[ib->n + i] = -1;
	}
	ib->pc_off = ib->n;
	ib->n = n;
	ib->frames[ib->nframes++] = f;
	ib->tried = false;
	return 0;
}

/* Whether frame f continues the stream of ib's frames, so that the two
 * can be applied as one batch. */
static bool
continues(const struct inbatch *ib, const gs_peer *p, const Gs__SyncBatch *b)
{
	const Gs__SyncBatch *first, *last;

	if (ib->peer != p || ib->nframes == 0 || ib->nframes == GROUP_MAX)
		return false;
	first = ib->frames[0]->batch;
	last = ib->frames[ib->nframes - 1]->batch;
	return b->from == last->upto + 1 && b->upto >= b->from - 1 &&
	    b->epoch.len == first->epoch.len &&
	    memcmp(b->epoch.data, first->epoch.data, b->epoch.len) == 0;
}

/* Applies the frames of cur, from p, as one batch whose signatures were
 * checked already, commits it with p's checkpoint and ACKs it (one
 * cumulative ACK). The checks of next start in the same write
 * transaction, before this batch is applied: the pool works on them while
 * this thread applies and commits. */
static int
on_batch(gs_sync *s, gs_peer *p, struct inbatch *cur, struct inbatch *next,
    uint64_t now)
{
	const Gs__SyncBatch *b = cur->frames[0]->batch;
	uint64_t upto = cur->frames[cur->nframes - 1]->batch->upto;
	struct gs_apply_stats st;
	struct timespec t0;
	gs_txn *t = NULL;
	Gs__SyncFrame f;
	Gs__SyncAck a;
	uint64_t base;
	int rc;

	collect(cur);
	if (!p->up || !p->have_their_epoch) {
		send_error(s, p, GS_EINVAL, "no session: send HELLO first", now);
		return 0;
	}
	if (b->epoch.len != GS_EPOCH_BYTES ||
	    memcmp(b->epoch.data, p->their_epoch, GS_EPOCH_BYTES) != 0) {
		send_error(s, p, GS_EINVAL, "batch from another feed epoch than "
		    "the HELLO's", now);
		return 0;
	}
	base = p->have_cp && memcmp(p->cp_epoch, p->their_epoch,
	    GS_EPOCH_BYTES) == 0 ? p->checkpoint : 0;
	if (b->upto < b->from - 1 || b->from == 0) {
		send_error(s, p, GS_EBADMSG, "batch range is malformed", now);
		return 0;
	}
	if (b->from > base + 1) {
		/* A gap: something was lost; start the session again. */
		send_error(s, p, GS_EINVAL, "batch leaves a gap after our "
		    "checkpoint: send HELLO", now);
		gs_sync_down(s, p, "gap in the stream", now);
		return p->parent ? send_hello(s, p, now) : 0;
	}
	memset(&st, 0, sizeof(st));
	if (upto > base && cur->n == 0) {
		/* Nothing to store (the range held only changes that are
		 * not for us, or came from us): no commit, no fsync. Losing
		 * this checkpoint in a crash only has the range sent again. */
		memcpy(p->cp_epoch, p->their_epoch, GS_EPOCH_BYTES);
		p->have_cp = true;
		p->checkpoint = upto;
		p->cp_unsaved = true;
		p->dirty = true;
	} else if (upto > base) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if ((rc = gs_txn_begin(gs_node_store(s->node), 1, &t)) != 0)
			goto out;
		precheck_next(s, t, next);
		/* The changes and the checkpoint that covers them commit
		 * together: a crash leaves both or neither. */
		if ((rc = gs_apply_batch_checked(s->node, t, p->path, cur->bufs,
		    cur->lens, cur->n, cur->verdict, NULL, &st)) != 0 ||
		    (rc = put_checkpoint(t, p, p->their_epoch, upto)) != 0 ||
		    (rc = gs_txn_commit(&t)) != 0) {
			char msg[160];

			/* Nothing of the batch was stored; the sender resends
			 * it after a new HELLO. */
			snprintf(msg, sizeof(msg), "could not store the batch: %s",
			    gs_strerror(rc));
			send_error(s, p, rc, msg, now);
			snprintf(p->last_error, sizeof(p->last_error), "%s", msg);
			goto out;
		}
		batch_time(s, &t0);
		memcpy(p->cp_epoch, p->their_epoch, GS_EPOCH_BYTES);
		p->have_cp = true;
		p->checkpoint = upto;
		p->cp_unsaved = false;
		p->rejects_received += st.rejected + st.released_rejected;
		s->st.applied += st.applied;
		s->st.rejected += st.rejected + st.released_rejected;
		p->dirty = true;
	}
	s->st.batches_in += cur->nframes;
	s->st.changes_in += cur->n;
	gs__sync_frame__init(&f);
	gs__sync_ack__init(&a);
	a.upto = upto > base ? upto : base;
	a.rejected = st.rejected + st.released_rejected;
	f.body_case = GS__SYNC_FRAME__BODY_ACK;
	f.ack = &a;
	(void)send_frame(s, p, &f, now);
	rc = 0;
out:
	gs_txn_abort(&t);
	return rc;
}

static void
inbatch_free(struct inbatch *ib)
{
	gs_precheck_clear(&ib->pc);
	for (size_t i = 0; i < ib->nframes; i++)
		gs__sync_frame__free_unpacked(ib->frames[i], NULL);
	free(ib->bufs);
	free(ib->lens);
	free(ib->verdict);
	memset(ib, 0, sizeof(*ib));
}

/* Finishes the frames in hand, if any, starting next's checks meanwhile
 * (next NULL: none). */
static int
settle(gs_sync *s, struct inbatch *next, uint64_t now)
{
	struct inbatch cur = s->in;
	int rc;

	if (cur.peer == NULL) {
		precheck_next(s, NULL, next);
		return 0;
	}
	/* Out of s first: what on_batch calls may settle again. */
	memset(&s->in, 0, sizeof(s->in));
	rc = on_batch(s, cur.peer, &cur, next, now);
	precheck_next(s, NULL, next);   /* when on_batch did not */
	inbatch_free(&cur);
	return rc;
}

/* A BATCH frame f from p. When it continues the frames in hand, it joins
 * them (its checks start once the last one's are done); else those are
 * applied while its checks run, and it is in hand alone. Takes f. */
static int
batch_in(gs_sync *s, gs_peer *p, Gs__SyncFrame *f, uint64_t now)
{
	struct inbatch next;
	int rc;

	if (continues(&s->in, p, f->batch)) {
		collect(&s->in);   /* one job on the pool at a time */
		if ((rc = group_add(&s->in, f)) != 0) {
			gs__sync_frame__free_unpacked(f, NULL);
			(void)settle(s, NULL, now);
			return rc;
		}
		precheck_next(s, NULL, &s->in);
		return 0;
	}
	memset(&next, 0, sizeof(next));
	next.peer = p;
	if ((rc = group_add(&next, f)) != 0) {
		gs__sync_frame__free_unpacked(f, NULL);
		inbatch_free(&next);
		(void)settle(s, NULL, now);
		return rc;
	}
	/* A group that could not be stored was answered with an ERROR;
	 * this frame, maybe another neighbour's, is judged on its own. */
	if ((rc = fatal(settle(s, &next, now))) != 0) {
		inbatch_free(&next);
		return rc;
	}
	s->in = next;
	return 0;
}

static int
on_ack(gs_sync *s, gs_peer *p, const Gs__SyncAck *a, uint64_t now)
{
	uint32_t keep = 0;

	if (!p->up)
		return 0;
	if (a->upto > p->sent_upto) {
		send_error(s, p, GS_EINVAL, "ACK beyond what was sent", now);
		return 0;
	}
	if (a->upto > p->acked_upto)
		p->acked_upto = a->upto;
	p->rejects_sent += a->rejected;
	for (uint32_t i = 0; i < p->ninflight; i++)
		if (p->inflight[i] > a->upto)
			p->inflight[keep++] = p->inflight[i];
	p->ninflight = keep;
	p->dirty = true;
	return pump(s, p, now);
}

int
gs_sync_input(gs_sync *s, gs_peer *p, const uint8_t *buf, size_t len,
    uint64_t now)
{
	Gs__SyncFrame *f;
	char msg[96];
	int rc = 0;

	/* A quiet link's heartbeats change nothing but this; writing it
	 * every second would be an fsync a second on every idle node. */
	p->last_seen_ms = now;
	p->seen = true;
	if (len > GS_SYNC_FRAME_MAX_BYTES ||
	    (f = gs__sync_frame__unpack(NULL, len, buf)) == NULL) {
		if ((rc = fatal(settle(s, NULL, now))) != 0)
			return rc;
		s->st.bad_frames++;
		send_error(s, p, GS_EBADMSG, "frame does not decode", now);
		return 0;
	}
	if (f->version == GS_SYNC_VERSION &&
	    f->body_case == GS__SYNC_FRAME__BODY_BATCH)
		return fatal(batch_in(s, p, f, now));
	/* Anything else comes after the batch in hand. */
	if ((rc = settle(s, NULL, now)) != 0)
		goto out;
	if (f->version != GS_SYNC_VERSION) {
		s->st.bad_frames++;
		if (f->body_case == GS__SYNC_FRAME__BODY_ERROR)
			goto out;   /* two versions must not ping-pong ERRORs */
		snprintf(msg, sizeof(msg), "protocol version %u not supported "
		    "(this node speaks %u)", f->version, GS_SYNC_VERSION);
		send_error(s, p, GS_EVERSION, msg, now);
		gs_sync_down(s, p, msg, now);
		goto out;
	}
	switch (f->body_case) {
	case GS__SYNC_FRAME__BODY_HELLO:
		rc = on_hello(s, p, f->hello, now);
		break;
	case GS__SYNC_FRAME__BODY_ACK:
		rc = on_ack(s, p, f->ack, now);
		break;
	case GS__SYNC_FRAME__BODY_HEARTBEAT:
		if (p->their_feed_seq != f->heartbeat->feed_seq)
			p->dirty = true;   /* "behind in" moved */
		p->their_feed_seq = f->heartbeat->feed_seq;
		if (!p->up && p->parent)
			rc = send_hello(s, p, now);
		else if (!p->up)
			send_error(s, p, GS_EINVAL, "no session: send HELLO first",
			    now);
		break;
	case GS__SYNC_FRAME__BODY_ERROR:
		snprintf(p->last_error, sizeof(p->last_error), "%s",
		    f->error->reason);
		p->dirty = true;
		/* The parent lost our session (it restarted): start again. */
		if (p->parent && strncmp(f->error->reason, "no session", 10) == 0)
			rc = send_hello(s, p, now);
		break;
	default:
		s->st.bad_frames++;
		send_error(s, p, GS_EBADMSG, "frame has no body", now);
	}
out:
	gs__sync_frame__free_unpacked(f, NULL);
	return fatal(rc);
}

int
gs_sync_settle(gs_sync *s, uint64_t now)
{
	if (s->fault != 0)
		return s->fault;
	return fatal(settle(s, NULL, now));
}

int
gs_sync_hello(gs_sync *s, gs_peer *p, uint64_t now)
{
	int rc;

	if ((rc = gs_sync_settle(s, now)) != 0)
		return rc;
	return send_hello(s, p, now);
}

/* ---- time ---- */

static int
heartbeat(gs_sync *s, gs_peer *p, uint64_t now)
{
	Gs__SyncFrame f;
	Gs__SyncHeartbeat h;
	uint64_t feed = 0;
	int rc;

	if ((rc = feed_len(s, &feed)) != 0)
		return rc;
	gs__sync_frame__init(&f);
	gs__sync_heartbeat__init(&h);
	h.feed_seq = feed;
	f.body_case = GS__SYNC_FRAME__BODY_HEARTBEAT;
	f.heartbeat = &h;
	return send_frame(s, p, &f, now);
}

static int
put_link(gs_txn *t, const gs_sync *s, gs_peer *p)
{
	Gs__Link l;
	uint8_t *buf;
	size_t len;
	int rc;

	(void)s;
	gs__link__init(&l);
	l.path = p->path;
	l.parent = p->parent;
	l.connected = p->up;
	l.last_seen_ms = p->last_seen_ms;
	l.since_ms = p->since_ms;
	if (p->have_their_epoch) {
		l.epoch.data = p->their_epoch;
		l.epoch.len = GS_EPOCH_BYTES;
	}
	l.checkpoint = p->checkpoint;
	l.their_feed_seq = p->their_feed_seq;
	l.acked_upto = p->acked_upto;
	l.rejects_received = p->rejects_received;
	l.rejects_sent = p->rejects_sent;
	l.last_error = p->last_error;
	len = gs__link__get_packed_size(&l);
	if ((buf = malloc(len ? len : 1)) == NULL)
		return GS_ENOMEM;
	gs__link__pack(&l, buf);
	rc = gs_put(t, GS_DB_LINKS, p->path, strlen(p->path), buf, len);
	free(buf);
	return rc;
}

/* Writes the status of every link that changed (all: every link; seen:
 * also those where only last_seen_ms moved) and unsaved checkpoints. */
static int
flush(gs_sync *s, bool all, bool seen)
{
	gs_txn *t = NULL;
	bool any = false;
	int rc;

	for (gs_peer *p = s->peers; p; p = p->next)
		any |= all || p->dirty || (seen && p->seen) || p->cp_unsaved;
	if (!any)
		return 0;
	if ((rc = gs_txn_begin(gs_node_store(s->node), 1, &t)) != 0)
		return rc;
	for (gs_peer *p = s->peers; p && rc == 0; p = p->next) {
		if (all || p->dirty || p->seen)
			rc = put_link(t, s, p);
		if (rc == 0 && p->cp_unsaved)
			rc = put_checkpoint(t, p, p->cp_epoch, p->checkpoint);
	}
	if (rc == 0)
		rc = gs_txn_commit(&t);
	gs_txn_abort(&t);
	if (rc == 0)
		for (gs_peer *p = s->peers; p; p = p->next)
			p->dirty = p->seen = p->cp_unsaved = false;
	return rc;
}

int
gs_sync_stop(gs_sync *s, uint64_t now)
{
	int rc, rc2;

	/* Even after a store error: every link is marked down and written
	 * if the store still takes it. */
	rc = gs_sync_settle(s, now);
	for (gs_peer *p = s->peers; p; p = p->next)
		gs_sync_down(s, p, "this node stopped", now);
	rc2 = flush(s, true, true);
	return rc != 0 ? rc : rc2;
}

int
gs_sync_tick(gs_sync *s, uint64_t now)
{
	uint64_t last = 0;
	int rc;

	if ((rc = gs_sync_settle(s, now)) != 0)
		return rc;
	/* One look at our feed per tick: a peer that has been sent all of
	 * it needs no batch, and no read transaction of its own. */
	if ((rc = feed_len(s, &last)) != 0)
		return rc;
	for (gs_peer *p = s->peers; p && rc == 0; p = p->next) {
		if (p->up && elapsed(now, p->last_seen_ms) > s->o.timeout_ms)
			gs_sync_down(s, p, "link silent: no frame within the "
			    "timeout", now);
		if (p->parent) {
			/* We speak first: HELLO until answered, then
			 * heartbeats that keep the session and the NAT alive. */
			if (!p->up && elapsed(now, p->last_hello_ms) >= s->o.heartbeat_ms)
				rc = send_hello(s, p, now);
			else if (p->up &&
			    elapsed(now, p->last_sent_ms) >= s->o.heartbeat_ms)
				rc = heartbeat(s, p, now);
		} else if (p->up && elapsed(now, p->last_sent_ms) >= s->o.heartbeat_ms)
			rc = heartbeat(s, p, now);
		if (rc == GS_ENOMEM || rc == GS_EIO || rc == GS_EFULL)
			return rc;
		rc = p->sent_upto < last ? pump(s, p, now) : 0;
	}
	if (rc == 0 && elapsed(now, s->last_flush_ms) >= 1000) {
		bool seen = elapsed(now, s->last_seen_flush_ms) >= 10000;

		rc = flush(s, false, seen);
		s->last_flush_ms = now;
		if (seen)
			s->last_seen_flush_ms = now;
	}
	return rc;
}
