/*
 * daemon.c: sockets, CurveZMQ, ZAP, PUB and the poll loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "gs/apply.h"
#include "gs/change.h"
#include "gs/daemon.h"
#include "gs/error.h"
#include "gs/hlc.h"
#include "gs/http.h"
#include "gs/metrics.h"
#include "gs/path.h"
#include "gs/policy.h"
#include "gs/sync.h"
#include "gs/trust.h"

/* The loop's longest sleep is a quarter of the heartbeat, within these
 * bounds: every timer (heartbeats, timeouts, HELLO retries, policy) is
 * then late by at most that. Frames, pokes and HTTP wake it at once. An
 * idle node wakes 4 times a second at the default heartbeat, not 20: 211
 * idle daemons on the 2-core benchmark machine cost 14% of it at 20. */
#define POLL_MS_MIN   10
#define POLL_MS_MAX   250
#define DRAIN_MAX     64      /* messages per socket per loop turn */
#define ZAP_ENDPOINT  "inproc://zeromq.zap.01"
#define ZAP_DOMAIN    "gridsync"

static volatile sig_atomic_t stopping;

struct daemon {
	gs_node          *node;
	const struct gs_config *cfg;
	void             *ctx;
	void             *router, *dealer, *zap, *pub, *mon;
	int               control;   /* AF_UNIX datagram fd for pokes; -1 */
	gs_sync          *sync;
	gs_peer          *parent;
	char              parent_path[GS_PATH_MAX_BYTES + 1];
	uint8_t           cpk[32], csk[32];   /* Curve25519, from Ed25519 */
	uint64_t          pub_upto;
	uint64_t          last_auth_log_ms;
	uint64_t          next_whistle_ms, next_rollup_ms;
	bool              parent_heard;      /* the parent's session was up */
	struct gs_http   *http;
	struct gs_metrics metrics;
};

static void
logmsg(const char *level, const char *fmt, ...)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "%s %s gridnode: ", when, level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int
set_int(void *s, int opt, int v)
{
	return zmq_setsockopt(s, opt, &v, sizeof(v));
}

/* Common limits on every link socket: bounded messages, no lingering. */
static int
link_opts(void *s, const struct gs_config *c)
{
	/* libzmq checks the limit on the message as it travels: under CURVE
	 * that is the frame plus a 33-byte box (flags, nonce, MAC), so that
	 * a frame of exactly GS_SYNC_FRAME_MAX_BYTES still gets through. */
	int64_t max = GS_SYNC_FRAME_MAX_BYTES + 33;

	/* ZMTP heartbeats close connections that died without a FIN (a cut
	 * rural link), so a reconnecting child is not locked out. */
	if (zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof(max)) != 0 ||
	    set_int(s, ZMQ_HEARTBEAT_IVL, (int)c->heartbeat_ms) != 0 ||
	    set_int(s, ZMQ_HEARTBEAT_TIMEOUT, (int)c->timeout_ms) != 0 ||
	    set_int(s, ZMQ_HEARTBEAT_TTL, (int)c->timeout_ms) != 0 ||
	    set_int(s, ZMQ_LINGER, 0) != 0 ||
	    set_int(s, ZMQ_SNDHWM, 1000) != 0 ||
	    set_int(s, ZMQ_RCVHWM, 1000) != 0)
		return -1;
	return 0;
}

/* ---- sending for the sync engine ---- */

static int
send_to(void *arg, gs_peer *p, const uint8_t *buf, size_t len)
{
	struct daemon *d = arg;
	const char *path = gs_peer_path(p);

	if (p == d->parent)
		return zmq_send(d->dealer, buf, len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
	if (d->router == NULL)
		return -1;
	/* ROUTER_MANDATORY: an unknown or gone child is EHOSTUNREACH, not a
	 * silent drop. */
	if (zmq_send(d->router, path, strlen(path), ZMQ_SNDMORE |
	    ZMQ_DONTWAIT) < 0)
		return -1;
	return zmq_send(d->router, buf, len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

/* ---- ZAP: who may connect ---- */

/* The child enrolled under this node whose Curve key is ckey, unrevoked:
 * its path into path, or GS_ENOTFOUND. */
static int
zap_lookup(struct daemon *d, const uint8_t *ckey, char *path, size_t cap,
    uint8_t *edkey)
{
	gs_txn *t = NULL;
	gs_cursor *c = NULL;
	gs_val k, v;
	char parent[GS_PATH_MAX_BYTES + 1];
	int rc;

	if ((rc = gs_txn_begin(gs_node_store(d->node), 0, &t)) != 0)
		return rc;
	if ((rc = gs_cursor_open(t, GS_DB_ROSTER, &c)) != 0)
		goto out;
	for (rc = gs_cursor_seek(c, NULL, 0, &k, &v); rc == 0;
	    rc = gs_cursor_next(c, &k, &v)) {
		Gs__RosterEntry *e = gs__roster_entry__unpack(NULL, v.len, v.data);
		uint8_t cur[32];
		bool isvoid = true;

		if (e == NULL)
			continue;
		if (e->key.len == GS_KEY_BYTES &&
		    gs_path_parent(e->path, parent, sizeof(parent)) == 0 &&
		    strcmp(parent, gs_node_path(d->node)) == 0 &&
		    crypto_sign_ed25519_pk_to_curve25519(cur, e->key.data) == 0 &&
		    sodium_memcmp(cur, ckey, 32) == 0 &&
		    gs_roster_void(t, e->key.data, e->path, UINT64_MAX,
		    &isvoid) == 0 && !isvoid && strlen(e->path) < cap) {
			strcpy(path, e->path);
			memcpy(edkey, e->key.data, GS_KEY_BYTES);
			gs__roster_entry__free_unpacked(e, NULL);
			rc = 0;
			goto out;
		}
		gs__roster_entry__free_unpacked(e, NULL);
	}
	if (rc == 0)
		rc = GS_ENOTFOUND;
out:
	gs_cursor_close(&c);
	gs_txn_abort(&t);
	return rc;
}

/* The ZAP User-Id of an admitted child: "path#keyhex". Every message
 * carries it, so each frame names the exact (key, path) pair of its
 * connection and is checked against the roster as it arrives: a revoked
 * key is refused at once on a live link, and a new key enrolled at the
 * same path does not let the old connection back in. */
#define USER_ID_MAX (GS_PATH_MAX_BYTES + 1 + 2 * GS_KEY_BYTES + 1)

/* Parses a User-Id into path and key: 0 or -1. */
static int
user_id_parse(const char *user, char *path, size_t cap, uint8_t *key)
{
	const char *h = user ? strchr(user, '#') : NULL;
	size_t l;

	if (h == NULL || (l = (size_t)(h - user)) == 0 || l >= cap ||
	    gs_unhex(h + 1, key, GS_KEY_BYTES) != 0)
		return -1;
	memcpy(path, user, l);
	path[l] = '\0';
	return 0;
}

/* 0 when (key, path) is still an enrolled, unrevoked pair. */
static int
still_trusted(struct daemon *d, const uint8_t *key, const char *path)
{
	gs_txn *t = NULL;
	bool isvoid = true;
	int rc;

	if ((rc = gs_txn_begin(gs_node_store(d->node), 0, &t)) != 0)
		return rc;
	rc = gs_roster_void(t, key, path, UINT64_MAX, &isvoid);
	gs_txn_abort(&t);
	return rc != 0 ? rc : isvoid ? GS_EREVOKED : 0;
}

static void
zap_reply(void *zap, const zmq_msg_t *reqid, const char *status,
    const char *text, const char *user)
{
	zmq_send(zap, "1.0", 3, ZMQ_SNDMORE);
	zmq_send(zap, zmq_msg_data((zmq_msg_t *)(uintptr_t)reqid),
	    zmq_msg_size((zmq_msg_t *)(uintptr_t)reqid), ZMQ_SNDMORE);
	zmq_send(zap, status, strlen(status), ZMQ_SNDMORE);
	zmq_send(zap, text, strlen(text), ZMQ_SNDMORE);
	zmq_send(zap, user, strlen(user), ZMQ_SNDMORE);
	zmq_send(zap, "", 0, 0);
}

static void
zap_handle(struct daemon *d)
{
	zmq_msg_t part[8];
	int n = 0, more = 1;
	char path[GS_PATH_MAX_BYTES + 1];
	char hex[65];
	uint8_t edkey[GS_KEY_BYTES];

	/* version, request id, domain, address, identity (the server
	 * socket's, not the client's), mechanism, credentials... */
	while (more && n < 8) {
		zmq_msg_init(&part[n]);
		if (zmq_msg_recv(&part[n], d->zap, 0) < 0) {
			zmq_msg_close(&part[n]);
			break;
		}
		more = zmq_msg_more(&part[n]);
		n++;
	}
	while (more) {   /* drain anything beyond what we read */
		zmq_msg_t x;

		zmq_msg_init(&x);
		if (zmq_msg_recv(&x, d->zap, 0) < 0) {
			zmq_msg_close(&x);
			break;
		}
		more = zmq_msg_more(&x);
		zmq_msg_close(&x);
	}
	if (n < 6) {
		if (n >= 2)
			zap_reply(d->zap, &part[1], "400", "malformed request", "");
		goto out;
	}
	if (n < 7 || zmq_msg_size(&part[5]) != 5 ||
	    memcmp(zmq_msg_data(&part[5]), "CURVE", 5) != 0 ||
	    zmq_msg_size(&part[6]) != 32) {
		zap_reply(d->zap, &part[1], "400", "CURVE required", "");
		goto out;
	}
	if (zap_lookup(d, zmq_msg_data(&part[6]), path, sizeof(path),
	    edkey) != 0) {
		gs_hex(zmq_msg_data(&part[6]), 32, hex);
		uint64_t now = gs_hlc_now_ms();

		/* Rate-limited: a refused terminal retries every few
		 * hundred ms. */
		if (now - d->last_auth_log_ms > 10000) {
			logmsg("warn", "refused a link from curve key %.16s…: not "
			    "an enrolled, unrevoked child of %s", hex,
			    gs_node_path(d->node));
			d->last_auth_log_ms = now;
		}
		zap_reply(d->zap, &part[1], "400", "not enrolled or revoked", "");
		goto out;
	}
	{
		char user[USER_ID_MAX];

		gs_hex(edkey, GS_KEY_BYTES, hex);
		snprintf(user, sizeof(user), "%s#%s", path, hex);
		zap_reply(d->zap, &part[1], "200", "OK", user);
	}
out:
	for (int i = 0; i < n; i++)
		zmq_msg_close(&part[i]);
}

/* ---- frames in ---- */

static int
router_handle(struct daemon *d)
{
	zmq_msg_t id, body;
	char path[GS_PATH_MAX_BYTES + 1], parent[GS_PATH_MAX_BYTES + 1];
	const char *user;
	gs_peer *p;
	size_t l;
	int rc = 0;

	zmq_msg_init(&id);
	zmq_msg_init(&body);
	if (zmq_msg_recv(&id, d->router, ZMQ_DONTWAIT) < 0)
		goto out;
	if (!zmq_msg_more(&id) || zmq_msg_recv(&body, d->router, 0) < 0)
		goto out;
	while (zmq_msg_more(&body)) {   /* at most one frame: drop extras */
		zmq_msg_t x;

		zmq_msg_init(&x);
		zmq_msg_recv(&x, d->router, 0);
		if (!zmq_msg_more(&x)) {
			zmq_msg_close(&x);
			goto out;
		}
		zmq_msg_close(&x);
	}
	l = zmq_msg_size(&id);
	if (l == 0 || l > GS_PATH_MAX_BYTES)
		goto out;
	memcpy(path, zmq_msg_data(&id), l);
	path[l] = '\0';
	if (!d->cfg->insecure) {
		char upath[GS_PATH_MAX_BYTES + 1];
		uint8_t ukey[GS_KEY_BYTES];
		uint64_t now = gs_hlc_now_ms();

		/* The ZAP handler named the connection's (key, path); the
		 * routing id must be that path, or nothing from the
		 * connection is heard and the peer never comes up. */
		user = zmq_msg_gets(&body, "User-Id");
		if (user_id_parse(user, upath, sizeof(upath), ukey) != 0)
			goto out;
		if (strcmp(upath, path) != 0) {
			if (now - d->last_auth_log_ms > 10000) {
				logmsg("warn", "child %s used %s's routing id; its "
				    "frames are dropped", upath, path);
				d->last_auth_log_ms = now;
			}
			goto out;
		}
		if ((rc = still_trusted(d, ukey, path)) != 0) {
			if (rc != GS_EREVOKED)
				goto out;
			rc = 0;
			if ((p = gs_sync_find(d->sync, path)) != NULL &&
			    gs_peer_up(p)) {
				logmsg("warn", "refusing child %s from now on: its "
				    "key was revoked", path);
				gs_sync_down(d->sync, p, "refused: key revoked", now);
			}
			goto out;
		}
	} else if (gs_path_valid(path) != 0 ||
	    gs_path_parent(path, parent, sizeof(parent)) != 0 ||
	    strcmp(parent, gs_node_path(d->node)) != 0)
		goto out;
	if ((p = gs_sync_peer(d->sync, path, false)) == NULL) {
		rc = GS_ENOMEM;
		goto out;
	}
	rc = gs_sync_input(d->sync, p, zmq_msg_data(&body), zmq_msg_size(&body),
	    gs_hlc_now_ms());
out:
	zmq_msg_close(&id);
	zmq_msg_close(&body);
	return rc;
}

static int
dealer_handle(struct daemon *d)
{
	zmq_msg_t body;
	int rc = 0;

	zmq_msg_init(&body);
	if (zmq_msg_recv(&body, d->dealer, ZMQ_DONTWAIT) >= 0 &&
	    !zmq_msg_more(&body))
		rc = gs_sync_input(d->sync, d->parent, zmq_msg_data(&body),
		    zmq_msg_size(&body), gs_hlc_now_ms());
	else
		while (zmq_msg_more(&body) &&
		    zmq_msg_recv(&body, d->dealer, 0) >= 0)
			;
	zmq_msg_close(&body);
	return rc;
}

/* Monitor events on the parent link: reconnects restart the session, and
 * a refused handshake is said in words. */
static void
monitor_handle(struct daemon *d)
{
	zmq_msg_t ev, addr;
	uint16_t event = 0;
	uint32_t value = 0;
	uint64_t now = gs_hlc_now_ms();

	zmq_msg_init(&ev);
	zmq_msg_init(&addr);
	if (zmq_msg_recv(&ev, d->mon, ZMQ_DONTWAIT) < 0)
		goto out;
	if (zmq_msg_size(&ev) >= 6) {
		memcpy(&event, zmq_msg_data(&ev), 2);
		memcpy(&value, (uint8_t *)zmq_msg_data(&ev) + 2, 4);
	}
	if (zmq_msg_more(&ev))
		zmq_msg_recv(&addr, d->mon, 0);
	switch (event) {
	case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
		logmsg("info", "link to parent %s up", d->parent_path);
		(void)gs_sync_hello(d->sync, d->parent, now);
		break;
	case ZMQ_EVENT_DISCONNECTED:
		logmsg("info", "link to parent %s down; reconnecting",
		    d->parent_path);
		gs_sync_down(d->sync, d->parent, NULL, now);
		break;
	case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
		if (now - d->last_auth_log_ms > 10000) {
			logmsg("error", "parent %s rejected our key (status %u): "
			    "this node is not enrolled there, or was revoked",
			    d->parent_path, value);
			d->last_auth_log_ms = now;
		}
		gs_sync_down(d->sync, d->parent, "parent rejected our key", now);
		break;
	case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
	case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
		if (now - d->last_auth_log_ms > 10000) {
			logmsg("error", "handshake with parent %s failed: check "
			    "that the parent's key in the config or join "
			    "bundle is right", d->parent_path);
			d->last_auth_log_ms = now;
		}
		gs_sync_down(d->sync, d->parent, "handshake failed: parent's "
		    "key may be wrong", now);
		break;
	default:
		break;
	}
out:
	zmq_msg_close(&ev);
	zmq_msg_close(&addr);
}

static void
control_drain(struct daemon *d)
{
	char buf[16];

	for (int i = 0; i < DRAIN_MAX; i++)
		if (recv(d->control, buf, sizeof(buf), MSG_DONTWAIT) < 0)
			break;
}

/* The control socket's address: DIR/control.sock. -1 when the path does
 * not fit sun_path (the loop's timer notices local writes then). */
static int
control_addr(const char *dir, struct sockaddr_un *a)
{
	int n;

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	n = snprintf(a->sun_path, sizeof(a->sun_path), "%s/%s", dir,
	    GS_DAEMON_CONTROL_FILE);
	return n > 0 && (size_t)n < sizeof(a->sun_path) ? 0 : -1;
}

/* ---- PUB: every newly stored envelope, topic = case id ---- */

static int
publish_new(struct daemon *d)
{
	gs_txn *t = NULL;
	uint64_t last;
	int rc;

	if ((rc = gs_txn_begin(gs_node_store(d->node), 0, &t)) != 0)
		return rc;
	if ((rc = gs_feed_last(t, &last)) != 0)
		goto out;
	for (uint64_t seq = d->pub_upto + 1; seq <= last; seq++) {
		char src[GS_PATH_MAX_BYTES + 1];
		uint8_t id[GS_ID_BYTES];
		gs_envelope e;
		Gs__Change *c = NULL;
		gs_val v;

		d->pub_upto = seq;
		if (d->pub == NULL)
			continue;
		if (gs_feed_get(t, seq, id, src, sizeof(src)) != 0 ||
		    gs_get(t, GS_DB_CHANGES, id, GS_ID_BYTES, &v) != 0)
			continue;
		memset(&e, 0, sizeof(e));
		if (gs_envelope_decode(v.data, v.len, &e) == 0 &&
		    gs_change_decode(&e, &c, NULL) == 0) {
			zmq_send(d->pub, c->case_id, strlen(c->case_id),
			    ZMQ_SNDMORE | ZMQ_DONTWAIT);
			zmq_send(d->pub, v.data, v.len, ZMQ_DONTWAIT);
		}
		gs_change_free(&c);
		gs_envelope_clear(&e);
	}
out:
	gs_txn_abort(&t);
	return rc;
}

/* ---- HTTP ---- */

static int
http_metrics(void *arg, FILE *f)
{
	struct daemon *d = arg;

	return gs_metrics_write(f, d->node, &d->metrics, gs_sync_stats(d->sync));
}

static int
http_start(struct daemon *d, const char *dir, char *err, size_t cap)
{
	int rc;

	if (d->cfg->http_listen[0] == '\0')
		return 0;
	if ((rc = gs_metrics_init(&d->metrics, d->node)) != 0) {
		snprintf(err, cap, "cannot read the store: %s", gs_strerror(rc));
		return rc;
	}
	if ((rc = gs_http_start(d->node, dir, d->cfg->http_listen, http_metrics,
	    d, &d->http, err, cap)) != 0)
		return rc;
	logmsg("info", "dashboard and API on http://%s/ (metrics at /metrics)",
	    d->cfg->http_listen);
	return 0;
}

/* ---- start and stop ---- */

static int
lock_dir(const char *dir, int *fd, char *err, size_t cap)
{
	char f[PATH_MAX];

	snprintf(f, sizeof(f), "%s/%s", dir, GS_DAEMON_LOCK_FILE);
	if ((*fd = open(f, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, cap, "cannot open %s: %s", f, strerror(errno));
		return GS_EIO;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, cap, "another gridnode daemon is already running "
		    "on %s", dir);
		close(*fd);
		*fd = -1;
		return GS_EEXIST;
	}
	return 0;
}

static int
open_sockets(struct daemon *d, const char *dir, char *err, size_t cap)
{
	const struct gs_config *c = d->cfg;
	char ep[PATH_MAX + 8];
	struct sockaddr_un ua;
	gs_txn *t = NULL;
	uint8_t mkey[32], pkey[32], pcurve[32];
	bool have_mkey = false;
	char pend[GS_ENDPOINT_MAX_BYTES] = "";

	if (crypto_sign_ed25519_pk_to_curve25519(d->cpk,
	    gs_node_key(d->node)) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(d->csk,
	    gs_node_secret(d->node)) != 0) {
		snprintf(err, cap, "this node's key does not convert to a Curve25519 key");
		return GS_EINVAL;
	}
	if (!c->insecure && !zmq_has("curve")) {
		snprintf(err, cap, "this libzmq has no CURVE support");
		return GS_EINVAL;
	}
	if (c->listen[0]) {
		if (!c->insecure) {
			d->zap = zmq_socket(d->ctx, ZMQ_REP);
			if (d->zap == NULL || zmq_bind(d->zap, ZAP_ENDPOINT) != 0)
				goto zmqerr;
		}
		d->router = zmq_socket(d->ctx, ZMQ_ROUTER);
		if (d->router == NULL || link_opts(d->router, c) != 0 ||
		    set_int(d->router, ZMQ_ROUTER_MANDATORY, 1) != 0 ||
		    set_int(d->router, ZMQ_ROUTER_HANDOVER, 1) != 0)
			goto zmqerr;
		/* HANDOVER: a restarted child whose old connection is not yet
		 * known dead (a cut link without FIN) is reachable at once.
		 * The price: an admitted child may connect with a sibling's
		 * routing id and receive frames meant for it until the
		 * sibling reconnects; its own frames are dropped (User-Id
		 * check) and logged. See docs/protocol.md, Notes. */
		if (!c->insecure &&
		    (set_int(d->router, ZMQ_CURVE_SERVER, 1) != 0 ||
		    zmq_setsockopt(d->router, ZMQ_CURVE_SECRETKEY, d->csk, 32) != 0 ||
		    zmq_setsockopt(d->router, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN,
		    strlen(ZAP_DOMAIN)) != 0))
			goto zmqerr;
		if (zmq_bind(d->router, c->listen) != 0) {
			snprintf(err, cap, "cannot listen on %s: %s", c->listen,
			    zmq_strerror(zmq_errno()));
			return GS_EIO;
		}
	}
	if (c->publish[0]) {
		d->pub = zmq_socket(d->ctx, ZMQ_PUB);
		if (d->pub == NULL || set_int(d->pub, ZMQ_LINGER, 0) != 0)
			goto zmqerr;
		if (zmq_bind(d->pub, c->publish) != 0) {
			snprintf(err, cap, "cannot publish on %s: %s", c->publish,
			    zmq_strerror(zmq_errno()));
			return GS_EIO;
		}
	}
	/* Pokes are datagrams: a CLI write sends one byte and needs no
	 * connection, handshake or ZeroMQ context of its own. A file left by
	 * a daemon that died is ours to replace: we hold daemon.lock. */
	if (control_addr(dir, &ua) == 0) {
		unlink(ua.sun_path);
		d->control = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
		if (d->control < 0 ||
		    bind(d->control, (struct sockaddr *)&ua, sizeof(ua)) != 0) {
			logmsg("warn", "no control socket at %s: %s; local writes "
			    "are noticed by the timer", ua.sun_path,
			    strerror(errno));
			if (d->control >= 0)
				close(d->control);
			d->control = -1;
		}
	}

	/* The parent: from the join bundle, overridable in the config. */
	if (gs_txn_begin(gs_node_store(d->node), 0, &t) != 0) {
		snprintf(err, cap, "cannot read the store");
		return GS_EIO;
	}
	gs_meta_get_str(t, "parent_path", d->parent_path,
	    sizeof(d->parent_path));
	gs_meta_get_str(t, "parent_endpoint", pend, sizeof(pend));
	have_mkey = gs_meta_get_bytes(t, "parent_key", mkey, 32) == 0;
	gs_txn_abort(&t);
	if (c->parent_endpoint[0])
		snprintf(pend, sizeof(pend), "%s", c->parent_endpoint);
	if (d->parent_path[0] == '\0')
		return 0;   /* the root: no parent */
	if (pend[0] == '\0') {
		logmsg("warn", "no parent endpoint (not in the join bundle nor "
		    "the config): working offline");
		return 0;
	}
	if (c->has_parent_key && have_mkey && memcmp(c->parent_key, mkey, 32)) {
		snprintf(err, cap, "parent's key in the config does not match "
		    "the one in the join bundle");
		return GS_EINVAL;
	}
	if (!c->has_parent_key && !have_mkey) {
		snprintf(err, cap, "no key for parent %s: join a bundle or set "
		    "[parent] key", d->parent_path);
		return GS_EINVAL;
	}
	memcpy(pkey, c->has_parent_key ? c->parent_key : mkey, 32);
	d->dealer = zmq_socket(d->ctx, ZMQ_DEALER);
	if (d->dealer == NULL || link_opts(d->dealer, c) != 0 ||
	    zmq_setsockopt(d->dealer, ZMQ_ROUTING_ID, gs_node_path(d->node),
	    strlen(gs_node_path(d->node))) != 0 ||
	    set_int(d->dealer, ZMQ_RECONNECT_IVL, 100) != 0 ||
	    set_int(d->dealer, ZMQ_RECONNECT_IVL_MAX, 2000) != 0 ||
	    set_int(d->dealer, ZMQ_IMMEDIATE, 1) != 0)
		goto zmqerr;
	if (!c->insecure) {
		if (crypto_sign_ed25519_pk_to_curve25519(pcurve, pkey) != 0) {
			snprintf(err, cap, "the parent's key does not convert to "
			    "a Curve25519 key: it is not a valid Ed25519 key");
			return GS_EINVAL;
		}
		if (zmq_setsockopt(d->dealer, ZMQ_CURVE_SERVERKEY, pcurve, 32) ||
		    zmq_setsockopt(d->dealer, ZMQ_CURVE_PUBLICKEY, d->cpk, 32) ||
		    zmq_setsockopt(d->dealer, ZMQ_CURVE_SECRETKEY, d->csk, 32))
			goto zmqerr;
	}
	snprintf(ep, sizeof(ep), "inproc://gridnode-monitor");
	if (zmq_socket_monitor(d->dealer, ep, ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
	    ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
	    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
	    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0 ||
	    (d->mon = zmq_socket(d->ctx, ZMQ_PAIR)) == NULL ||
	    zmq_connect(d->mon, ep) != 0)
		goto zmqerr;
	if (zmq_connect(d->dealer, pend) != 0) {
		snprintf(err, cap, "cannot dial parent at %s: %s", pend,
		    zmq_strerror(zmq_errno()));
		return GS_EIO;
	}
	if ((d->parent = gs_sync_peer(d->sync, d->parent_path, true)) == NULL)
		return GS_ENOMEM;
	logmsg("info", "dialing parent %s at %s%s", d->parent_path, pend,
	    c->insecure ? " (insecure: no CURVE)" : "");
	return 0;
zmqerr:
	snprintf(err, cap, "ZeroMQ: %s", zmq_strerror(zmq_errno()));
	return GS_EIO;
}

/* How often to look for cases due an auto-whistle: a tenth of the limit,
 * within [200 ms, 60 s] — a scan reads every case, and an hours-long
 * limit does not need second-by-second checks. */
static uint64_t
whistle_every_ms(uint64_t after_ms)
{
	uint64_t e = after_ms / 10;

	return e < 200 ? 200 : e > 60000 ? 60000 : e;
}

/* The town's own changes (policy.h), each on its timer. A store error
 * stops the daemon like any other; anything else is logged and retried on
 * the next turn. */
static int
policy_tick(struct daemon *d, uint64_t now)
{
	const struct gs_config *c = d->cfg;
	char err[256];
	size_t n;
	int rc = 0;

	/* A data dir restored whole from a backup does not know the seqs it
	 * signed after the backup until a neighbour's HELLO says so; the
	 * parent holds most of them (every rollup, every whistle). Sign
	 * nothing by ourselves before it has been heard in this run, or a
	 * rollup could reuse a seq that only the county holds. */
	if (d->parent != NULL && !d->parent_heard) {
		if (!gs_peer_up(d->parent))
			return 0;
		d->parent_heard = true;
	}
	if (c->auto_whistle_hours > 0 && now >= d->next_whistle_ms) {
		uint64_t after = (uint64_t)(c->auto_whistle_hours * 3600000.0);

		d->next_whistle_ms = now + whistle_every_ms(after);
		rc = gs_policy_auto_whistle(d->node, after, now, &n, err,
		    sizeof(err));
		if (n > 0)
			logmsg("info", "auto-whistled %zu overdue case%s to the "
			    "level above", n, n == 1 ? "" : "s");
		if (rc != 0 && rc != GS_EFULL && rc != GS_EIO) {
			logmsg("warn", "%s", err);
			rc = 0;
		}
	}
	if (rc == 0 && c->rollup_seconds > 0 && now >= d->next_rollup_ms) {
		d->next_rollup_ms = now + (uint64_t)c->rollup_seconds * 1000u;
		rc = gs_policy_rollups(d->node, now, &n, err, sizeof(err));
		if (n > 0)
			logmsg("info", "signed %zu rollup%s", n, n == 1 ? "" : "s");
		if (rc != 0 && rc != GS_EFULL && rc != GS_EIO) {
			logmsg("warn", "%s", err);
			rc = 0;
		}
	}
	return rc;
}

static void
close_sockets(struct daemon *d)
{
	void **s[] = { &d->router, &d->dealer, &d->zap, &d->pub, &d->mon };

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (*s[i]) {
			zmq_close(*s[i]);
			*s[i] = NULL;
		}
	if (d->control >= 0) {
		close(d->control);
		d->control = -1;
	}
}

int
gs_daemon_run(gs_node *n, const char *dir, const struct gs_config *c,
    char *err, size_t cap)
{
	struct gs_sync_opts o = { c->batch_max, c->window, c->heartbeat_ms,
	    c->timeout_ms };
	struct sigaction sa;
	struct daemon d;
	struct sockaddr_un ua;
	gs_txn *t = NULL;
	long poll_ms = (long)(c->heartbeat_ms / 4);
	int lockfd = -1, rc;

	if (poll_ms < POLL_MS_MIN)
		poll_ms = POLL_MS_MIN;
	if (poll_ms > POLL_MS_MAX)
		poll_ms = POLL_MS_MAX;
	memset(&d, 0, sizeof(d));
	d.control = -1;
	d.node = n;
	d.cfg = c;
	err[0] = '\0';
	stopping = 0;
	if ((rc = lock_dir(dir, &lockfd, err, cap)) != 0)
		return rc;
	if ((rc = gs_sync_new(n, &o, send_to, &d, &d.sync)) != 0) {
		snprintf(err, cap, "cannot start sync: %s", gs_strerror(rc));
		goto out;
	}
	/* Publish only what arrives from now on. */
	if ((rc = gs_txn_begin(gs_node_store(n), 0, &t)) == 0) {
		rc = gs_feed_last(t, &d.pub_upto);
		gs_txn_abort(&t);
	}
	if (rc != 0)
		goto out;
	if ((d.ctx = zmq_ctx_new()) == NULL) {
		snprintf(err, cap, "cannot create a ZeroMQ context");
		rc = GS_ENOMEM;
		goto out;
	}
	if ((rc = open_sockets(&d, dir, err, cap)) != 0 ||
	    (rc = http_start(&d, dir, err, cap)) != 0)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	logmsg("info", "node %s running%s%s", gs_node_path(n),
	    c->listen[0] ? ", children on " : "", c->listen);
	if (getenv("GRIDNODE_NOW_MS") != NULL)
		logmsg("warn", "GRIDNODE_NOW_MS is set: this daemon's clock is "
		    "fixed at %s ms (tests and sample data only)",
		    getenv("GRIDNODE_NOW_MS"));

	while (!stopping) {
		zmq_pollitem_t it[7];
		void *sock[7];
		int ni = 0, ctl = -1;
		long wait_ms = poll_ms;

		if (d.zap) { it[ni] = (zmq_pollitem_t){ d.zap, 0, ZMQ_POLLIN, 0 }; sock[ni++] = d.zap; }
		if (d.router) { it[ni] = (zmq_pollitem_t){ d.router, 0, ZMQ_POLLIN, 0 }; sock[ni++] = d.router; }
		if (d.dealer) { it[ni] = (zmq_pollitem_t){ d.dealer, 0, ZMQ_POLLIN, 0 }; sock[ni++] = d.dealer; }
		if (d.mon) { it[ni] = (zmq_pollitem_t){ d.mon, 0, ZMQ_POLLIN, 0 }; sock[ni++] = d.mon; }
		if (d.control >= 0) {
			ctl = ni;
			it[ni] = (zmq_pollitem_t){ NULL, d.control, ZMQ_POLLIN, 0 };
			sock[ni++] = NULL;
		}
		if (d.http) {
			it[ni] = (zmq_pollitem_t){ NULL, gs_http_fd(d.http), ZMQ_POLLIN, 0 };
			sock[ni++] = NULL;
			wait_ms = gs_http_timeout_ms(d.http, poll_ms);
		}
		if (zmq_poll(it, ni, wait_ms) < 0) {
			if (zmq_errno() == EINTR)
				continue;
			snprintf(err, cap, "poll: %s", zmq_strerror(zmq_errno()));
			rc = GS_EIO;
			break;
		}
		for (int i = 0; i < ni && rc == 0 && !stopping; i++) {
			if (!(it[i].revents & ZMQ_POLLIN) || sock[i] == NULL)
				continue;
			for (int k = 0; k < DRAIN_MAX && rc == 0 && !stopping; k++) {
				int ev = 0;
				size_t evl = sizeof(ev);

				if (zmq_getsockopt(sock[i], ZMQ_EVENTS, &ev, &evl) != 0 ||
				    !(ev & ZMQ_POLLIN))
					break;
				if (sock[i] == d.zap)
					zap_handle(&d);
				else if (sock[i] == d.router)
					rc = router_handle(&d);
				else if (sock[i] == d.dealer)
					rc = dealer_handle(&d);
				else if (sock[i] == d.mon)
					monitor_handle(&d);
			}
		}
		if (ctl >= 0 && (it[ctl].revents & ZMQ_POLLIN))
			control_drain(&d);
		/* The last batch read is still in hand (its checks ran
		 * while the one before it committed): apply it now. */
		if (rc == 0 && !stopping)
			rc = gs_sync_settle(d.sync, gs_hlc_now_ms());
		/* HTTP writes are in the store now; sync and publish below
		 * send them on like any other new change. */
		if (d.http && rc == 0 && !stopping)
			gs_http_run(d.http);
		if (rc == 0)
			rc = policy_tick(&d, gs_hlc_now_ms());
		if (rc == 0)
			rc = gs_sync_tick(d.sync, gs_hlc_now_ms());
		if (rc == 0)
			rc = publish_new(&d);
		if (rc == GS_EFULL) {
			/* The batch in hand was not applied and not acked: the
			 * neighbour resends it after the restart. */
			snprintf(err, cap, "the store is full (LMDB map size "
			    "reached); stopping cleanly, nothing accepted is lost. "
			    "Raise it with 'gridnode resize --data DIR --map-size "
			    "MIB' and start the daemon again");
			break;
		}
		if (rc == GS_ENOSPACE || rc == GS_EREADONLY) {
			snprintf(err, cap, "%s; stopping cleanly, nothing accepted "
			    "is lost. %s and start the daemon again",
			    rc == GS_ENOSPACE ? "the disk holding the store is full" :
			    "the store cannot be written (read-only)",
			    rc == GS_ENOSPACE ? "Free space on that disk" :
			    "Make the data dir writable");
			break;
		}
		if (rc != 0) {
			snprintf(err, cap, "store error: %s; stopping cleanly",
			    gs_strerror(rc));
			break;
		}
	}
	(void)gs_sync_stop(d.sync, gs_hlc_now_ms());
	if (d.control >= 0 && control_addr(dir, &ua) == 0)
		unlink(ua.sun_path);   /* nobody listens on it any more */
	if (rc == 0)
		logmsg("info", "node %s stopped", gs_node_path(n));
out:
	gs_http_stop(&d.http);
	close_sockets(&d);
	if (d.ctx)
		zmq_ctx_term(d.ctx);
	gs_sync_destroy(&d.sync);
	sodium_memzero(d.csk, sizeof(d.csk));
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

int
gs_daemon_poke(const char *dir)
{
	struct sockaddr_un a;
	int fd;

	if (control_addr(dir, &a) != 0 ||
	    (fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	/* No daemon (ENOENT, ECONNREFUSED) or a full queue (EAGAIN: it has
	 * pokes enough to wake it): nothing to do either way. */
	(void)sendto(fd, "w", 1, MSG_DONTWAIT, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	return 0;
}
