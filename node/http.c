/*
 * http.c: the HTTP API, the dashboard's files and /metrics (docs/api.md).
 *
 * Every /api/ route is a CLI verb: a request becomes the verb's options,
 * gs_cli_call runs it on the daemon's open node with --json, and its
 * output is the response body. So the API cannot drift from the command
 * line, and a write is signed and applied by the one write path there is.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <jansson.h>
#include <microhttpd.h>

#include "gs/assets.h"
#include "gs/change.h"
#include "gs/cli.h"
#include "gs/error.h"
#include "gs/http.h"
#include "gs/json.h"
#include "gs/operators.h"
#include "gs/ops.h"
#include "gs/path.h"

/*
 * libmicrohttpd is opened when a node is to serve HTTP, not linked: with
 * it comes GnuTLS and its dependencies, 2.4 MiB of resident library pages
 * in every node, and most villages serve no dashboard (BENCH.md, idle
 * village RSS). The calls below go through this table by their own names.
 */
#define MHD_SONAME "libmicrohttpd.so.12"
static struct {
	void *lib;
	__typeof__(MHD_start_daemon)                *start_daemon;
	__typeof__(MHD_stop_daemon)                 *stop_daemon;
	__typeof__(MHD_run)                         *run;
	__typeof__(MHD_get_timeout)                 *get_timeout;
	__typeof__(MHD_get_daemon_info)             *get_daemon_info;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_add_response_header)         *add_response_header;
	__typeof__(MHD_queue_response)              *queue_response;
	__typeof__(MHD_destroy_response)            *destroy_response;
	__typeof__(MHD_lookup_connection_value)     *lookup_connection_value;
	__typeof__(MHD_get_connection_values)       *get_connection_values;
} mhd;

#define MHD_start_daemon                mhd.start_daemon
#define MHD_stop_daemon                 mhd.stop_daemon
#define MHD_run                         mhd.run
#define MHD_get_timeout                 mhd.get_timeout
#define MHD_get_daemon_info             mhd.get_daemon_info
#define MHD_create_response_from_buffer mhd.create_response_from_buffer
#define MHD_add_response_header         mhd.add_response_header
#define MHD_queue_response              mhd.queue_response
#define MHD_destroy_response            mhd.destroy_response
#define MHD_lookup_connection_value     mhd.lookup_connection_value
#define MHD_get_connection_values       mhd.get_connection_values

/* Opens the library once per process and finds every function: 0, or
 * GS_EIO with the reason in err. */
static int
mhd_open(char *err, size_t cap)
{
	/* Each name, and the table slot its address goes to. */
	static const struct {
		const char *name;
		void       *slot;
	} fns[] = {
		{ "MHD_start_daemon", &mhd.start_daemon },
		{ "MHD_stop_daemon", &mhd.stop_daemon },
		{ "MHD_run", &mhd.run },
		{ "MHD_get_timeout", &mhd.get_timeout },
		{ "MHD_get_daemon_info", &mhd.get_daemon_info },
		{ "MHD_create_response_from_buffer",
		    &mhd.create_response_from_buffer },
		{ "MHD_add_response_header", &mhd.add_response_header },
		{ "MHD_queue_response", &mhd.queue_response },
		{ "MHD_destroy_response", &mhd.destroy_response },
		{ "MHD_lookup_connection_value", &mhd.lookup_connection_value },
		{ "MHD_get_connection_values", &mhd.get_connection_values },
	};
	void *lib, *f;

	if (mhd.lib != NULL)
		return 0;
	if ((lib = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, cap, "[http] needs %s (Debian package "
		    "libmicrohttpd12): %s", MHD_SONAME, dlerror());
		return GS_EIO;
	}
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		if ((f = dlsym(lib, fns[i].name)) == NULL) {
			snprintf(err, cap, "%s has no %s", MHD_SONAME,
			    fns[i].name);
			memset(&mhd, 0, sizeof(mhd));
			dlclose(lib);
			return GS_EIO;
		}
		/* POSIX: a function's address fits a void *; memcpy keeps
		 * ISO C's object/function pointer rule out of it. */
		memcpy(fns[i].slot, &f, sizeof(f));
	}
	mhd.lib = lib;
	return 0;
}

#define HTTP_CONN_MAX     64
#define HTTP_CONN_PER_IP  16  /* one slow client cannot hold them all */
#define HTTP_IDLE_SECONDS 30

/* Status codes counted for /metrics. */
static const unsigned int counted[] = {
	200, 201, 400, 401, 403, 404, 405, 409, 413, 415, 422, 500, 503, 507,
};
#define NCOUNTED (sizeof(counted) / sizeof(counted[0]))

struct gs_http {
	gs_node               *node;
	char                  *dir;
	struct MHD_Daemon     *mhd;
	struct gs_operators   *ops;
	gs_http_metrics_fn    *metrics;
	void                  *arg;
	uint64_t               requests[NCOUNTED];
};

/* One request's state across the handler's calls. */
struct req {
	char   *body;
	size_t  len;
	bool    too_big;
};

/* What a request asks of a verb: filled by the router, run by run_verb. */
struct call {
	struct gs_cli_call c;
	unsigned int       ok_status;   /* 200, or 201 for what creates */
	bool               write;
	char               id[GS_CASE_ID_MAX_BYTES + 64];  /* pos[0] */
};

/* ---- responses ---- */

static void
count(struct gs_http *h, unsigned int status)
{
	for (size_t i = 0; i < NCOUNTED; i++)
		if (counted[i] == status)
			h->requests[i]++;
}

static enum MHD_Result
respond(struct gs_http *h, struct MHD_Connection *conn, unsigned int status,
    const char *type, const void *body, size_t len, bool replayed,
    const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'self'; style-src 'self' 'unsafe-inline'; "
	    "img-src 'self' data:; frame-ancestors 'none'");
	if (replayed)
		MHD_add_response_header(r, "Idempotency-Replayed", "true");
	if (allow)
		MHD_add_response_header(r, "Allow", allow);
	if (status == 401)
		MHD_add_response_header(r, "WWW-Authenticate",
		    "Bearer realm=\"gridnode\"");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	count(h, status);
	return ret;
}

static const char *
error_code(unsigned int status)
{
	switch (status) {
	case 400: return "bad_request";
	case 401: return "unauthorized";
	case 403: return "forbidden";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 409: return "conflict";
	case 413: return "too_large";
	case 415: return "unsupported_media";
	case 422: return "request_id_reused";
	case 503: return "unavailable";
	case 507: return "store_full";
	default:  return "internal";
	}
}

static enum MHD_Result
fail(struct gs_http *h, struct MHD_Connection *conn, unsigned int status,
    const char *allow, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static enum MHD_Result
fail(struct gs_http *h, struct MHD_Connection *conn, unsigned int status,
    const char *allow, const char *fmt, ...)
{
	char msg[1100], *buf = NULL;
	size_t len = 0;
	struct gs_json j;
	enum MHD_Result ret;
	FILE *f;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A message may quote the client's URL; JSON must stay UTF-8. */
	if (!gs_utf8_valid(msg, strlen(msg)))
		snprintf(msg, sizeof(msg), "the request is not valid UTF-8");
	if ((f = open_memstream(&buf, &len)) == NULL)
		return MHD_NO;
	gs_json_init(&j, f);
	gs_json_obj_open(&j);
	gs_json_key(&j, "error"); gs_json_str(&j, error_code(status));
	gs_json_key(&j, "message"); gs_json_str(&j, msg);
	gs_json_obj_close(&j);
	gs_json_end(&j);
	fclose(f);
	ret = respond(h, conn, status, "application/json; charset=utf-8",
	    buf, len, false, allow);
	free(buf);
	return ret;
}

/* ---- the dashboard's files ---- */

static const char *
content_type(const char *path)
{
	static const struct { const char *ext, *type; } map[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".json", "application/json; charset=utf-8" },
		{ ".ico", "image/x-icon" },
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(dot, map[i].ext) == 0)
			return map[i].type;
	return "application/octet-stream";
}

static enum MHD_Result
serve_asset(struct gs_http *h, struct MHD_Connection *conn, const char *url,
    const char *method)
{
	if (strcmp(url, "/") == 0)
		url = "/index.html";
	for (const struct gs_asset *a = gs_assets; a->path; a++) {
		if (strcmp(a->path, url) != 0)
			continue;
		if (strcmp(method, "GET") && strcmp(method, "HEAD"))
			return fail(h, conn, 405, "GET, HEAD",
			    "%s takes GET only", url);
		return respond(h, conn, 200, content_type(a->path), a->data,
		    a->len, false, NULL);
	}
	return fail(h, conn, 404, NULL, "no such page: %s", url);
}

/* ---- authentication ---- */

/* 0 with the operator's name, or a 401 already queued (*ret). */
static int
authenticate(struct gs_http *h, struct MHD_Connection *conn, char *who,
    size_t cap, enum MHD_Result *ret)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);

	if (v == NULL) {
		*ret = fail(h, conn, 401, NULL, "an operator's token is required: "
		    "'Authorization: Bearer TOKEN' (gridnode operator add)");
		return -1;
	}
	/* The scheme is case-insensitive (RFC 7235). */
	if (strncasecmp(v, "Bearer ", 7) != 0) {
		*ret = fail(h, conn, 401, NULL, "the Authorization header must be "
		    "'Bearer TOKEN'");
		return -1;
	}
	if (gs_operators_auth(h->ops, v + 7, who, cap) != 0) {
		*ret = fail(h, conn, 401, NULL, "this token is not an operator's "
		    "of this node (removed, or made for another node?)");
		return -1;
	}
	return 0;
}

/* ---- requests to verbs ---- */

static int
add_opt(struct call *k, const char *name, const char *val)
{
	if (k->c.nopt >= GS_CLI_ARGS_MAX)
		return -1;
	k->c.name[k->c.nopt] = name;
	k->c.val[k->c.nopt++] = val;
	return 0;
}

struct query_check {
	const char  *allowed;   /* space separated */
	struct call *k;
	char         bad[80];
};

static bool
word_in(const char *words, const char *w)
{
	size_t wl = strlen(w);

	for (const char *p = words; *p;) {
		size_t l = strcspn(p, " ");

		if (l == wl && strncmp(p, w, l) == 0)
			return true;
		p += l;
		while (*p == ' ')
			p++;
	}
	return false;
}

/* Each query parameter becomes an option; a flag's value says on or off. */
static enum MHD_Result
query_each(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct query_check *q = cls;

	(void)kind;
	if (q->bad[0])
		return MHD_NO;
	if (!word_in(q->allowed, key)) {
		snprintf(q->bad, sizeof(q->bad), "unknown query parameter '%.40s'",
		    key);
		return MHD_NO;
	}
	if (value == NULL)
		value = "";
	if (strcmp(key, "overdue") == 0) {
		if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0)
			value = "";
		else if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0)
			return MHD_YES;
		else {
			snprintf(q->bad, sizeof(q->bad), "overdue must be 1 or 0");
			return MHD_NO;
		}
	}
	if (add_opt(q->k, key, value) != 0) {
		snprintf(q->bad, sizeof(q->bad), "too many query parameters");
		return MHD_NO;
	}
	return MHD_YES;
}

/* Members of a write's body that the server sets or that only the command
 * line has. */
static const char reserved[] = "data actor json request-id config help "
    "subtree";

/* Turns a JSON body into options; *owned keeps the strings alive. 0, or
 * a sentence in msg. */
static int
body_options(struct call *k, const struct req *r, json_t **owned,
    char *msg, size_t cap)
{
	json_error_t je;
	const char *key;
	json_t *v;

	*owned = NULL;
	if (r->len == 0) {
		*owned = json_object();
		return 0;
	}
	if ((*owned = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &je))
	    == NULL) {
		snprintf(msg, cap, "the body is not valid JSON: %s (line %d, "
		    "column %d)", je.text, je.line, je.column);
		return -1;
	}
	if (!json_is_object(*owned)) {
		snprintf(msg, cap, "the body must be a JSON object of the verb's "
		    "options");
		return -1;
	}
	json_object_foreach(*owned, key, v) {
		char num[32];
		const char *s;

		if (word_in(reserved, key)) {
			snprintf(msg, cap, "member '%s' cannot be sent: %s", key,
			    strcmp(key, "actor") == 0 ? "the actor is the token's "
			    "operator" : strcmp(key, "request-id") == 0 ?
			    "send the Idempotency-Key header" :
			    "the server sets it");
			return -1;
		}
		if (json_is_string(v)) {
			s = json_string_value(v);
			if (strlen(s) != json_string_length(v)) {
				snprintf(msg, cap, "member '%s' holds a NUL "
				    "character", key);
				return -1;
			}
		} else if (json_is_integer(v) || json_is_real(v)) {
			if (json_is_integer(v))
				snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
				    json_integer_value(v));
			else
				snprintf(num, sizeof(num), "%.17g",
				    json_real_value(v));
			/* Kept alive by the object it replaces. */
			if (json_object_set_new(*owned, key,
			    json_string(num)) != 0) {
				snprintf(msg, cap, "out of memory");
				return -1;
			}
			s = json_string_value(json_object_get(*owned, key));
		} else {
			snprintf(msg, cap, "member '%s' must be a string or a "
			    "number", key);
			return -1;
		}
		if (add_opt(k, key, s) != 0) {
			snprintf(msg, cap, "too many members");
			return -1;
		}
	}
	return 0;
}

static unsigned int
status_of(int cli_rc, int gs_code)
{
	if (cli_rc == GS_CLI_USAGE)
		return 400;
	switch (gs_code) {
	case GS_EAUTH:      return 403;
	case GS_ENOTFOUND:  return 404;
	case GS_EREUSED:    return 422;
	case GS_EINVAL:     return 400;
	case GS_EFULL:      return 507;
	case GS_EBEHIND:
	case GS_ENOSPACE:
	case GS_EREADONLY:
	case GS_EUNTRUSTED: return 503;
	case GS_EIO:
	case GS_EBADMSG:
	case GS_ENOMEM:     return 500;
	default:            return 409;
	}
}

static enum MHD_Result
run_verb(struct gs_http *h, struct MHD_Connection *conn, struct call *k)
{
	char *out = NULL;
	size_t len = 0;
	enum MHD_Result ret;
	unsigned int st;
	int rc;

	if ((k->c.out = open_memstream(&out, &len)) == NULL)
		return MHD_NO;
	k->c.node = h->node;
	k->c.dir = h->dir;
	rc = gs_cli_call(&k->c);
	fclose(k->c.out);
	if (rc != GS_CLI_OK) {
		st = status_of(rc, k->c.gs_code);
		ret = fail(h, conn, st, NULL, "%s", k->c.message[0] ?
		    k->c.message : "refused");
	} else {
		st = k->write && k->c.replayed ? 200 : k->ok_status;
		ret = respond(h, conn, st, "application/json; charset=utf-8",
		    out, len, k->c.replayed, NULL);
	}
	free(out);
	return ret;
}

static const char case_verbs[] = "progress whistle return dispatch ack "
    "resolve followup reopen supervise";

/* Fills k from method and url: 0; or the status to refuse with (404, 405)
 * and *allow for a 405. */
static unsigned int
route(const char *method, const char *url, struct call *k,
    const char **query, const char **allow)
{
	bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
	/* Each collection: the verb that lists it, the one that adds to
	 * it (POST, 201), and the list's query parameters. */
	static const struct {
		const char *path, *verb, *post, *query;
	} colls[] = {
		{ "/api/whoami", "whoami", NULL, "" },
		{ "/api/cases", "list", "report",
		  "status level category village overdue" },
		{ "/api/stats", "stats", NULL, "period by" },
		{ "/api/peers", "peers", NULL, "" },
		{ "/api/notices", "notices", "notice", "" },
		{ "/api/checks", "checks", NULL, "period" },
		{ "/api/categories", "categories", NULL, "" },
	};
	const char *rest;

	*query = "";
	*allow = NULL;
	k->ok_status = 200;
	for (size_t i = 0; i < sizeof(colls) / sizeof(colls[0]); i++) {
		if (strcmp(url, colls[i].path) != 0)
			continue;
		if (post && colls[i].post) {
			k->c.verb = colls[i].post;
			k->ok_status = 201;
			k->write = true;
			return 0;
		}
		if (!get) {
			*allow = colls[i].post ? "GET, POST" : "GET";
			return 405;
		}
		k->c.verb = colls[i].verb;
		*query = colls[i].query;
		return 0;
	}
	if (strncmp(url, "/api/cases/", 11) == 0) {
		/* A case id holds '/' and '#', so the verb is what follows
		 * the first '/' after the '#', whether or not the client
		 * escaped the id's slashes. */
		const char *hash, *slash;
		size_t idlen;

		rest = url + 11;
		hash = strchr(rest, '#');
		slash = hash ? strchr(hash, '/') : NULL;
		idlen = slash ? (size_t)(slash - rest) : strlen(rest);
		if (hash == NULL || idlen == 0 || idlen >= sizeof(k->id))
			return 404;
		memcpy(k->id, rest, idlen);
		k->id[idlen] = '\0';
		k->c.pos[0] = k->id;
		k->c.npos = 1;
		if (slash == NULL) {
			if (!get) {
				*allow = "GET";
				return 405;
			}
			k->c.verb = "show";
			return 0;
		}
		if (!word_in(case_verbs, slash + 1) || strchr(slash + 1, ' '))
			return 404;
		if (!post) {
			*allow = "POST";
			return 405;
		}
		k->c.verb = slash + 1;
		k->write = true;
		return 0;
	}
	if (strncmp(url, "/api/notices/", 13) == 0) {
		const char *slash;
		size_t idlen;

		rest = url + 13;
		slash = strchr(rest, '/');
		if (slash == NULL || strcmp(slash, "/read") != 0)
			return 404;
		idlen = (size_t)(slash - rest);
		if (idlen == 0 || idlen >= sizeof(k->id))
			return 404;
		memcpy(k->id, rest, idlen);
		k->id[idlen] = '\0';
		if (!post) {
			*allow = "POST";
			return 405;
		}
		k->c.verb = "read";
		k->c.pos[0] = k->id;
		k->c.npos = 1;
		k->write = true;
		return 0;
	}
	return 404;
}

static bool
body_is_json(struct MHD_Connection *conn)
{
	const char *t = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t l = strlen("application/json");

	return t != NULL && strncasecmp(t, "application/json", l) == 0 &&
	    (t[l] == '\0' || t[l] == ';' || t[l] == ' ');
}

static enum MHD_Result
api(struct gs_http *h, struct MHD_Connection *conn, const char *url,
    const char *method, struct req *r)
{
	char who[GS_OPERATOR_NAME_MAX + 1], msg[256];
	const char *query, *allow, *key = NULL;
	struct query_check q;
	enum MHD_Result ret;
	json_t *owned = NULL;
	struct call k;
	unsigned int st;

	if (authenticate(h, conn, who, sizeof(who), &ret) != 0)
		return ret;
	memset(&k, 0, sizeof(k));
	if ((st = route(method, url, &k, &query, &allow)) != 0)
		return st == 405 ? fail(h, conn, 405, allow, "%s takes %s", url,
		    allow) : fail(h, conn, 404, NULL, "no such route: %s %s",
		    method, url);
	if (!k.write) {
		memset(&q, 0, sizeof(q));
		q.allowed = query;
		q.k = &k;
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND,
		    query_each, &q);
		if (q.bad[0])
			return fail(h, conn, 400, NULL, "%s", q.bad);
		return run_verb(h, conn, &k);
	}
	if (r->too_big)
		return fail(h, conn, 413, NULL, "the body is over %d bytes",
		    GS_HTTP_BODY_MAX);
	memset(&q, 0, sizeof(q));
	q.allowed = "";
	q.k = &k;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_each, &q);
	if (q.bad[0])
		return fail(h, conn, 400, NULL, "%s: a write takes its options in "
		    "the JSON body", q.bad);
	if (r->len > 0 && !body_is_json(conn))
		return fail(h, conn, 415, NULL, "send the body as "
		    "Content-Type: application/json");
	key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Idempotency-Key");
	if (key == NULL)
		return fail(h, conn, 400, NULL, "every write needs an "
		    "Idempotency-Key header (1-%d printable ASCII characters), so "
		    "that a retry cannot write twice", GS_REQUEST_ID_MAX_BYTES);
	if (gs_ops_request_id_valid(key) != 0)
		return fail(h, conn, 400, NULL, "the Idempotency-Key must be 1-%d "
		    "printable ASCII characters without spaces",
		    GS_REQUEST_ID_MAX_BYTES);
	if (body_options(&k, r, &owned, msg, sizeof(msg)) != 0) {
		ret = fail(h, conn, 400, NULL, "%s", msg);
		goto out;
	}
	if (add_opt(&k, "actor", who) != 0 ||
	    add_opt(&k, "request-id", key) != 0) {
		ret = fail(h, conn, 400, NULL, "too many members");
		goto out;
	}
	ret = run_verb(h, conn, &k);
out:
	json_decref(owned);
	return ret;
}

static enum MHD_Result
metrics(struct gs_http *h, struct MHD_Connection *conn)
{
	char *buf = NULL;
	size_t len = 0;
	enum MHD_Result ret;
	FILE *f;
	int rc;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return MHD_NO;
	fprintf(f, "# HELP gridsync_http_requests_total HTTP requests answered, "
	    "by status code.\n# TYPE gridsync_http_requests_total counter\n");
	for (size_t i = 0; i < NCOUNTED; i++)
		fprintf(f, "gridsync_http_requests_total{code=\"%u\"} %llu\n",
		    counted[i], (unsigned long long)h->requests[i]);
	rc = h->metrics ? h->metrics(h->arg, f) : 0;
	fclose(f);
	if (rc != 0)
		ret = fail(h, conn, 500, NULL, "cannot read the store: %s",
		    gs_strerror(rc));
	else
		ret = respond(h, conn, 200, "text/plain; version=0.0.4; "
		    "charset=utf-8", buf, len, false, NULL);
	free(buf);
	return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **con_cls)
{
	struct gs_http *h = cls;
	struct req *r = *con_cls;

	(void)version;
	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_len > 0) {
		/* Past the cap the rest is read and dropped, so the client
		 * gets its 413 instead of a reset connection. */
		if (!r->too_big && r->len + *upload_len <= GS_HTTP_BODY_MAX) {
			char *b = realloc(r->body, r->len + *upload_len);

			if (b == NULL)
				return MHD_NO;
			memcpy(b + r->len, upload, *upload_len);
			r->body = b;
			r->len += *upload_len;
		} else
			r->too_big = true;
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") == 0)
		return strcmp(method, "GET") == 0 ? metrics(h, conn) :
		    fail(h, conn, 405, "GET", "/metrics takes GET only");
	if (strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0)
		return api(h, conn, url, method, r);
	return serve_asset(h, conn, url, method);
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode why)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)conn;
	(void)why;
	if (r != NULL) {
		free(r->body);
		free(r);
		*con_cls = NULL;
	}
}

int
gs_http_listen_parse(const char *s, char *addr, size_t cap, int *port)
{
	const char *colon = strrchr(s, ':');
	struct in_addr ia;
	char *end;
	long p;

	if (colon == NULL || (size_t)(colon - s) >= cap || colon == s)
		return GS_EINVAL;
	memcpy(addr, s, (size_t)(colon - s));
	addr[colon - s] = '\0';
	if (inet_pton(AF_INET, addr, &ia) != 1)
		return GS_EINVAL;
	if (colon[1] < '0' || colon[1] > '9')
		return GS_EINVAL;
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || p < 1 || p > 65535)
		return GS_EINVAL;
	*port = (int)p;
	return 0;
}

int
gs_http_start(gs_node *n, const char *dir, const char *listen,
    gs_http_metrics_fn *fn, void *arg, struct gs_http **out, char *err,
    size_t cap)
{
	struct sockaddr_in sa;
	struct gs_http *h;
	char addr[64];
	int port, rc;

	*out = NULL;
	if (gs_http_listen_parse(listen, addr, sizeof(addr), &port) != 0) {
		snprintf(err, cap, "[http] listen '%s' must be an IPv4 address "
		    "and port, e.g. 127.0.0.1:8101", listen);
		return GS_EINVAL;
	}
	if ((rc = mhd_open(err, cap)) != 0)
		return rc;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return GS_ENOMEM;
	h->node = n;
	h->metrics = fn;
	if ((h->dir = strdup(dir)) == NULL) {
		rc = GS_ENOMEM;
		goto fail;
	}
	h->arg = arg;
	if ((rc = gs_operators_open(dir, &h->ops)) != 0)
		goto fail;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &sa.sin_addr);
	h->mhd = MHD_start_daemon(MHD_USE_EPOLL, (uint16_t)port, NULL, NULL,
	    handle, h,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONN_MAX,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_CONN_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_IDLE_SECONDS,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, h,
	    MHD_OPTION_END);
	if (h->mhd == NULL) {
		snprintf(err, cap, "cannot listen for HTTP on %s (port in use, "
		    "or the address is not this machine's)", listen);
		rc = GS_EIO;
		goto fail;
	}
	*out = h;
	return 0;
fail:
	gs_operators_close(&h->ops);
	free(h->dir);
	free(h);
	return rc;
}

int
gs_http_fd(const struct gs_http *h)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->mhd,
	    MHD_DAEMON_INFO_EPOLL_FD);

	return i ? i->epoll_fd : -1;
}

long
gs_http_timeout_ms(const struct gs_http *h, long max_ms)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (MHD_get_timeout(h->mhd, &t) != MHD_YES || t > (unsigned)max_ms)
		return max_ms;
	return (long)t;
}

void
gs_http_run(struct gs_http *h)
{
	MHD_run(h->mhd);
}

void
gs_http_stop(struct gs_http **h)
{
	if (*h == NULL)
		return;
	if ((*h)->mhd)
		MHD_stop_daemon((*h)->mhd);
	gs_operators_close(&(*h)->ops);
	free((*h)->dir);
	free(*h);
	*h = NULL;
}
