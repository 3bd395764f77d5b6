/*
 * cli.c: argument parsing and the verbs. The manual is docs/cli.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "gs/apply.h"
#include "gs/category.h"
#include "gs/change.h"
#include "gs/cli.h"
#include "gs/config.h"
#include "gs/daemon.h"
#include "gs/error.h"
#include "gs/fold.h"
#include "gs/hlc.h"
#include "gs/json.h"
#include "gs/node.h"
#include "gs/ops.h"
#include "gs/path.h"
#include "gs/rates.h"
#include "gs/transfer.h"
#include "gs/trust.h"
#include "gs/view.h"

#include "cli_impl.h"

#define BUNDLE_MAX_BYTES (1 << 20)

static const struct verb *cli_verb;
FILE *cli_out;
FILE *cli_err;
static char cli_msg[1024];   /* the last failure's sentence */
static int  cli_code;        /* the GS_E* code behind it, 0 if none */

static void
cli_say(const char *fmt, va_list ap)
{
	vsnprintf(cli_msg, sizeof(cli_msg), fmt, ap);
	fprintf(cli_err, "gridnode %s: %s\n", cli_verb ? cli_verb->name : "",
	    cli_msg);
}

int
cli_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_say(fmt, ap);
	va_end(ap);
	fprintf(cli_err, "usage: gridnode %s\n", cli_verb ? cli_verb->usage :
	    "VERB --data DIR ...");
	return GS_CLI_USAGE;
}

int
cli_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_say(fmt, ap);
	va_end(ap);
	return GS_CLI_FAIL;
}

void
cli_fail_code(int gs_code)
{
	cli_code = gs_code;
}

const char *
cli_arg(const struct args *a, const char *name)
{
	for (int i = 0; i < a->nopt; i++)
		if (strcmp(a->name[i], name) == 0)
			return a->val[i];
	return NULL;
}

bool
cli_has(const struct args *a, const char *name)
{
	for (int i = 0; i < a->nopt; i++)
		if (strcmp(a->name[i], name) == 0)
			return true;
	return false;
}

/* Finds name in a verb's option list; *takes set when it has a value. */
static bool
opt_known(const char *opts, const char *name, size_t nlen, bool *takes)
{
	const char *p = opts;

	while (*p) {
		size_t l = strcspn(p, " ");
		size_t bare = (l > 0 && p[l - 1] == '=') ? l - 1 : l;

		if (bare == nlen && strncmp(p, name, nlen) == 0) {
			*takes = bare != l;
			return true;
		}
		p += l;
		while (*p == ' ')
			p++;
	}
	return false;
}

static int
parse(struct args *a, int argc, char **argv)
{
	static const char common[] = "data= json help";

	for (int i = 0; i < argc; i++) {
		const char *s = argv[i], *eq, *name;
		size_t nlen;
		bool takes;

		if (strncmp(s, "--", 2) != 0 || s[2] == '\0') {
			if (a->npos >= NPOS_MAX(a->verb))
				return cli_usage("unexpected argument '%s'", s);
			a->pos[a->npos++] = s;
			continue;
		}
		name = s + 2;
		eq = strchr(name, '=');
		nlen = eq ? (size_t)(eq - name) : strlen(name);
		if (!opt_known(common, name, nlen, &takes) &&
		    !opt_known(a->verb->opts, name, nlen, &takes))
			return cli_usage("unknown option --%.*s", (int)nlen,
			    name);
		if (a->nopt >= GS_CLI_ARGS_MAX)
			return cli_usage("too many options");
		if (takes && !eq && i + 1 >= argc)
			return cli_usage("--%.*s needs a value", (int)nlen, name);
		if (!takes && eq)
			return cli_usage("--%.*s takes no value", (int)nlen,
			    name);
		if ((a->name[a->nopt] = strndup(name, nlen)) == NULL)
			return cli_usage("out of memory");
		if (!takes)
			a->val[a->nopt] = "";
		else if (eq)
			a->val[a->nopt] = eq + 1;
		else
			a->val[a->nopt] = argv[++i];
		a->nopt++;
	}
	a->json = cli_has(a, "json");
	return 0;
}

const char *
cli_data_dir(const struct args *a)
{
	const char *d = cli_arg(a, "data");

	return d ? d : getenv("GRIDNODE_DATA");
}

int
cli_open_node(struct args *a)
{
	const char *dir = cli_data_dir(a);
	int rc;

	if (a->node != NULL)
		return 0;
	if (dir == NULL || *dir == '\0')
		return cli_usage("--data DIR is required (or set GRIDNODE_DATA)");
	rc = gs_node_open(dir, 0, &a->node);
	if (rc == GS_ENOTFOUND)
		return cli_fail("%s holds no node: run 'gridnode init' first", dir);
	if (rc == GS_EVERSION)
		return cli_fail("%s was made by an incompatible version of gridnode "
		    "(store schema differs from %d); nothing was changed", dir,
		    GS_STORE_SCHEMA_VERSION);
	if (rc != 0)
		return cli_fail("cannot open node in %s: %s", dir, gs_strerror(rc));
	return 0;
}

static const char *
actor(const struct args *a)
{
	const char *s = cli_arg(a, "actor");

	if (s == NULL)
		s = getenv("GRIDNODE_ACTOR");
	if (s == NULL)
		s = getenv("USER");
	return s ? s : "";
}

/* Prints a written change: its id, or for a new case the case id; --json
 * gives both. */
static void
print_id(const struct args *a, const char *case_id, bool new_case,
    const uint8_t *id)
{
	char hex[2 * GS_ID_BYTES + 1];
	struct gs_json j;

	gs_hex(id, GS_ID_BYTES, hex);
	if (!a->json) {
		fprintf(cli_out, "%s\n", new_case ? case_id : hex);
		return;
	}
	gs_json_init(&j, cli_out);
	gs_json_obj_open(&j);
	if (case_id) {
		gs_json_key(&j, "case");
		gs_json_str(&j, case_id);
	}
	gs_json_key(&j, "change");
	gs_json_str(&j, hex);
	gs_json_obj_close(&j);
	gs_json_end(&j);
}

/* A field out of its bounds is the caller's argument: name the option and
 * its limit. Returns GS_CLI_USAGE, or 0 when err names no option. */
static int
field_error(const char *err)
{
	static const struct {
		const char *field, *option;
		size_t      cap;
	} map[] = {
		{ "title", "title", GS_TITLE_MAX_BYTES },
		{ "description", "desc", GS_TEXT_MAX_BYTES },
		{ "note", "note", GS_TEXT_MAX_BYTES },
		{ "reason", "reason", GS_TEXT_MAX_BYTES },
		{ "body", "body", GS_TEXT_MAX_BYTES },
		{ "grid", "grid", GS_NAME_MAX_BYTES },
		{ "reporter", "reporter", GS_NAME_MAX_BYTES },
		{ "actor", "actor", GS_NAME_MAX_BYTES },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t fl = strlen(map[i].field);

		if (strncmp(err, map[i].field, fl) != 0 || err[fl] != ' ')
			continue;
		if (strstr(err, "too long"))
			return cli_usage("--%s is too long: at most %zu bytes "
			    "(about %zu 汉字)", map[i].option, map[i].cap,
			    map[i].cap / 3);
		return cli_usage("--%s: %s", map[i].option, err + fl + 1);
	}
	return 0;
}

static int
cmp_opt(const void *x, const void *y)
{
	const char *const *a = x, *const *b = y;

	return strcmp(*a, *b);
}

/* The digest of what a request asked for, to tell a retry from another
 * request under the same id: verb, positional arguments, options (sorted,
 * without those that only say how to run) and the actor. */
static void
request_hash(const struct args *a, uint8_t out[32])
{
	crypto_generichash_state st;
	const char *opt[GS_CLI_ARGS_MAX];
	const char *who = actor(a);
	int n = 0;

	for (int i = 0; i < a->nopt; i++)
		if (strcmp(a->name[i], "data") && strcmp(a->name[i], "json") &&
		    strcmp(a->name[i], "request-id") &&
		    strcmp(a->name[i], "actor"))
			opt[n++] = a->name[i];
	qsort(opt, (size_t)n, sizeof(opt[0]), cmp_opt);
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)a->verb->name,
	    strlen(a->verb->name) + 1);
	for (int i = 0; i < a->npos; i++)
		crypto_generichash_update(&st, (const uint8_t *)a->pos[i],
		    strlen(a->pos[i]) + 1);
	for (int i = 0; i < n; i++) {
		const char *v = cli_arg(a, opt[i]);

		crypto_generichash_update(&st, (const uint8_t *)opt[i],
		    strlen(opt[i]) + 1);
		crypto_generichash_update(&st, (const uint8_t *)v,
		    strlen(v) + 1);
	}
	crypto_generichash_update(&st, (const uint8_t *)who, strlen(who) + 1);
	crypto_generichash_final(&st, out, 32);
}

/* Writes a drafted change and reports the outcome. With --request-id, a
 * retry of the same request prints the first answer and writes nothing. */
int
cli_write(struct args *a, Gs__Change *c, bool new_case)
{
	struct gs_ops_request req, *rq = NULL;
	uint8_t id[GS_ID_BYTES];
	char err[256];
	const char *case_id;
	int rc;

	c->actor = (char *)(uintptr_t)actor(a);
	if (cli_has(a, "request-id")) {
		memset(&req, 0, sizeof(req));
		req.id = cli_opt(a, "request-id");
		if (gs_ops_request_id_valid(req.id) != 0)
			return cli_usage("--request-id must be 1-%d printable "
			    "ASCII characters without spaces",
			    GS_REQUEST_ID_MAX_BYTES);
		request_hash(a, req.hash);
		rq = &req;
	}
	rc = gs_ops_write_once(a->node, c, rq, id, err, sizeof(err));
	cli_fail_code(rc);
	if (rc == GS_EINVAL && (rc = field_error(err)) != 0)
		return rc;
	if (rc == GS_ENOSPACE)
		return cli_fail("the disk holding the store is full; nothing was "
		    "written: free space on it and retry");
	if (rc == GS_EREADONLY)
		return cli_fail("the store cannot be written (read-only data "
		    "dir?); nothing was written: make it writable and retry");
	if (rc == GS_EFULL)
		return cli_fail("the store is full (LMDB map size reached); nothing "
		    "was written: raise it with 'gridnode resize --map-size "
		    "MIB' (see whoami for the size now)");
	if (rc == GS_EREUSED)
		return cli_fail("%s", err);
	if (rc != 0)
		return cli_fail("refused: %s", err[0] ? err : gs_strerror(rc));
	cli_fail_code(0);
	case_id = c->case_id && c->case_id[0] ? c->case_id : NULL;
	if (rq != NULL && rq->replayed) {
		case_id = rq->case_id[0] ? rq->case_id : NULL;
		a->replayed = true;
	}
	print_id(a, case_id, new_case, id);
	if (a->replayed)
		return 0;
	a->wrote = true;
	if (!a->in_process)
		(void)gs_daemon_poke(cli_data_dir(a));
	return 0;
}

/* Parses a decimal u64 with no sign and no trailing text: 0 or -1. */
static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return *end != '\0' || errno != 0 ? -1 : 0;
}

/* ---- identity and trust ---- */

/* Sets the store's map size: LMDB records it at the commit, and every
 * later open keeps it. Works on a full store: the larger map is set
 * before the write. */
static int
cmd_resize(struct args *a)
{
	const char *ms = cli_arg(a, "map-size"), *dir = cli_data_dir(a);
	size_t map, used = 0;
	uint64_t mib;
	gs_txn *t = NULL;
	int rc;

	if (ms == NULL || parse_u64(ms, &mib) != 0 || mib < 1 ||
	    mib > (1ULL << 24))
		return cli_usage("--map-size must be MiB, 1..16777216");
	if (dir == NULL || *dir == '\0')
		return cli_usage("--data DIR is required (or set GRIDNODE_DATA)");
	/* LMDB keeps the largest map a store has had: only growing sticks. */
	if ((rc = cli_open_node(a)) != 0)
		return rc;
	(void)gs_store_usage(gs_node_store(a->node), &map, &used);
	gs_node_close(&a->node);
	if ((size_t)mib << 20 < map)
		return cli_fail("the map is already %zu MiB; a store's map can "
		    "only grow (LMDB keeps the largest size it has had)",
		    map >> 20);
	rc = gs_node_open(dir, (size_t)mib << 20, &a->node);
	if (rc != 0)
		return cli_fail("cannot open node in %s: %s", dir, gs_strerror(rc));
	if ((rc = gs_txn_begin(gs_node_store(a->node), 1, &t)) != 0 ||
	    (rc = gs_meta_put_u64(t, "map_mib", mib)) != 0 ||
	    (rc = gs_txn_commit(&t)) != 0) {
		gs_txn_abort(&t);
		return cli_fail("%s", gs_strerror(rc));
	}
	(void)gs_store_usage(gs_node_store(a->node), &map, &used);
	if (a->json)
		fprintf(cli_out, "{\"map_bytes\":%zu,\"used_bytes\":%zu}\n", map, used);
	else
		fprintf(cli_out, "存储上限 map size %zu MiB, used %.1f MiB\n", map >> 20,
		    (double)used / 1048576.0);
	return 0;
}

static int
cmd_init(struct args *a)
{
	const char *dir = cli_data_dir(a), *path = cli_arg(a, "path");
	const char *rk = cli_arg(a, "root-key"), *ms = cli_arg(a, "map-size");
	uint8_t root[GS_KEY_BYTES];
	char hex[2 * GS_KEY_BYTES + 1];
	size_t map = 0;
	struct gs_json j;
	int rc;

	if (dir == NULL)
		return cli_usage("--data DIR is required");
	if (path == NULL)
		return cli_usage("--path is required");
	if (gs_path_valid(path) != 0)
		return cli_usage("--path '%s' is not a valid node path "
		    "(lowercase a-z 0-9 _ - segments joined by '/')", path);
	if (rk && gs_unhex(rk, root, GS_KEY_BYTES) != 0)
		return cli_usage("--root-key must be 64 hex characters");
	if (!rk && gs_path_depth(path) != 1)
		return cli_usage("--root-key is required for '%s': only a "
		    "root (county) path is its own trust root", path);
	if (ms) {
		uint64_t mib;

		if (parse_u64(ms, &mib) != 0 || mib < 1 || mib > (1ULL << 24))
			return cli_usage("--map-size must be MiB, 1..16777216");
		map = (size_t)mib << 20;
	}
	rc = gs_node_create(dir, path, rk ? root : NULL, map, &a->node);
	if (rc == GS_EEXIST)
		return cli_fail("%s already holds a node", dir);
	if (rc == GS_EIO)
		return cli_fail("cannot create node in %s: %s", dir, strerror(errno));
	if (rc != 0)
		return cli_fail("cannot create node in %s: %s", dir, gs_strerror(rc));
	if (!rk) {
		Gs__Change c;
		gs__change__init(&c);
		Gs__Member m;
		gs__member__init(&m);
		uint8_t id[GS_ID_BYTES];
		char err[256];

		/* The county enrols itself: the root of every chain. */
		m.path = (char *)(uintptr_t)path;
		m.key.data = (uint8_t *)(uintptr_t)gs_node_key(a->node);
		m.key.len = GS_KEY_BYTES;
		c.body_case = GS__CHANGE__BODY_MEMBER;
		c.member = &m;
		c.actor = (char *)(uintptr_t)actor(a);
		if ((rc = gs_ops_write(a->node, &c, id, err, sizeof(err))) != 0)
			return cli_fail("cannot enrol the root: %s", err);
	}
	gs_hex(gs_node_key(a->node), GS_KEY_BYTES, hex);
	if (a->json) {
		gs_json_init(&j, cli_out);
		gs_json_obj_open(&j);
		gs_json_key(&j, "path");
		gs_json_str(&j, path);
		gs_json_key(&j, "key");
		gs_json_str(&j, hex);
		gs_json_obj_close(&j);
		gs_json_end(&j);
	} else
		fprintf(cli_out, "节点 node %s\n公钥 key  %s\n", path, hex);
	return 0;
}

/* Forked origins held here (apply.h), with the path each key is enrolled
 * at. */
struct fork_row {
	char     key[2 * GS_KEY_BYTES + 1];
	char     path[GS_PATH_MAX_BYTES + 1];
	uint64_t seq;
};

struct fork_list {
	struct fork_row *v;
	size_t           n;
	gs_txn          *t;
};

static int
fork_add(void *arg, const uint8_t origin[GS_KEY_BYTES], uint64_t seq)
{
	struct fork_list *fl = arg;
	struct fork_row *nv = realloc(fl->v, (fl->n + 1) * sizeof(*nv));

	if (nv == NULL)
		return GS_ENOMEM;
	fl->v = nv;
	gs_hex(origin, GS_KEY_BYTES, nv[fl->n].key);
	if (gs_roster_path_of(fl->t, origin, nv[fl->n].path,
	    sizeof(nv[0].path)) != 0)
		snprintf(nv[fl->n].path, sizeof(nv[0].path), "%s", "?");
	nv[fl->n++].seq = seq;
	return 0;
}

static void
forks_print(const struct fork_list *fl)
{
	for (size_t i = 0; i < fl->n; i++)
		fprintf(cli_out, "分叉 fork      %s (key %.16s…) signed two different "
		    "changes as seq %" PRIu64 "; both are kept ('gridnode "
		    "verify' lists them)\n", fl->v[i].path, fl->v[i].key,
		    fl->v[i].seq);
}

static void
ahead_print(const struct fork_list *fl)
{
	char when[32];

	for (size_t i = 0; i < fl->n; i++)
		fprintf(cli_out, "时钟超前 clock  %s (key %.16s…) stamped a change %s, over "
		    "7 days ahead of this node's clock: kept, not followed; "
		    "check that terminal's clock\n", fl->v[i].path, fl->v[i].key,
		    gs_hlc_format(GS_HLC_MAKE(fl->v[i].seq, 0), when,
		    sizeof(when)));
}

/* name: "seq" for forks, "ms" for clocks ahead. */
static void
flags_json(struct gs_json *j, const struct fork_list *fl, const char *name)
{
	gs_json_arr_open(j);
	for (size_t i = 0; i < fl->n; i++) {
		gs_json_obj_open(j);
		gs_json_key(j, "origin"); gs_json_str(j, fl->v[i].key);
		gs_json_key(j, "path"); gs_json_str(j, fl->v[i].path);
		gs_json_key(j, name); gs_json_u64(j, fl->v[i].seq);
		gs_json_obj_close(j);
	}
	gs_json_arr_close(j);
}

static int
cmd_whoami(struct args *a)
{
	uint64_t feed = 0, own = 0, nch = 0, npend = 0, nrej = 0, ncases = 0;
	struct fork_list forks = { NULL, 0, NULL }, ahead = { NULL, 0, NULL };
	size_t map = 0, used = 0;
	char parent[GS_PATH_MAX_BYTES + 1] = "";
	char hex[2 * GS_KEY_BYTES + 1], root[2 * GS_KEY_BYTES + 1];
	gs_txn *t = NULL;
	gs_cursor *cur = NULL;
	gs_val k, v;
	struct gs_json j;
	int rc;

	if ((rc = cli_open_node(a)) != 0)
		return rc;
	if ((rc = gs_txn_begin(gs_node_store(a->node), 0, &t)) != 0)
		return cli_fail("%s", gs_strerror(rc));
	gs_meta_get_u64(t, "own_seq", &own);
	gs_meta_get_str(t, "parent_path", parent, sizeof(parent));
	gs_store_count(t, GS_DB_CHANGES, &nch);
	gs_store_count(t, GS_DB_PENDING, &npend);
	gs_store_count(t, GS_DB_REJECTS, &nrej);
	gs_store_count(t, GS_DB_CASES, &ncases);
	forks.t = ahead.t = t;
	if ((rc = gs_origin_flags(t, GS_FORK_PREFIX, fork_add, &forks)) != 0 ||
	    (rc = gs_origin_flags(t, GS_AHEAD_PREFIX, fork_add, &ahead)) != 0) {
		gs_txn_abort(&t);
		free(forks.v);
		free(ahead.v);
		return cli_fail("%s", gs_strerror(rc));
	}
	if (gs_cursor_open(t, GS_DB_FEED, &cur) == 0 &&
	    gs_cursor_last(cur, &k, &v) == 0 && k.len == 8)
		feed = gs_be64_get(k.data);
	gs_cursor_close(&cur);
	gs_txn_abort(&t);
	gs_hex(gs_node_key(a->node), GS_KEY_BYTES, hex);
	gs_hex(gs_node_root_key(a->node), GS_KEY_BYTES, root);
	(void)gs_store_usage(gs_node_store(a->node), &map, &used);
	if (!a->json) {
		fprintf(cli_out, "节点 node      %s (%s)\n", gs_node_path(a->node),
		    gs_path_tier_label(gs_node_path(a->node)));
		fprintf(cli_out, "公钥 key       %s\n根 root key    %s\n", hex, root);
		fprintf(cli_out, "上级 parent    %s\n", parent[0] ? parent : "-");
		fprintf(cli_out, "变更 changes   %" PRIu64 " (feed %" PRIu64 ", own seq %"
		    PRIu64 ")\n", nch, feed, own);
		fprintf(cli_out, "待定 pending   %" PRIu64 "\n拒收 rejects   %" PRIu64
		    "\n案件 cases     %" PRIu64 "\n", npend, nrej, ncases);
		fprintf(cli_out, "存储 store     %.1f MiB used of %zu MiB (gridnode resize "
		    "raises it)\n", (double)used / 1048576.0, map >> 20);
		forks_print(&forks);
		ahead_print(&ahead);
		free(forks.v);
		free(ahead.v);
		return 0;
	}
	gs_json_init(&j, cli_out);
	gs_json_obj_open(&j);
	gs_json_key(&j, "path"); gs_json_str(&j, gs_node_path(a->node));
	gs_json_key(&j, "key"); gs_json_str(&j, hex);
	gs_json_key(&j, "root_key"); gs_json_str(&j, root);
	gs_json_key(&j, "parent"); gs_json_str(&j, parent);
	gs_json_key(&j, "feed_seq"); gs_json_u64(&j, feed);
	gs_json_key(&j, "own_seq"); gs_json_u64(&j, own);
	gs_json_key(&j, "changes"); gs_json_u64(&j, nch);
	gs_json_key(&j, "pending"); gs_json_u64(&j, npend);
	gs_json_key(&j, "rejects"); gs_json_u64(&j, nrej);
	gs_json_key(&j, "cases"); gs_json_u64(&j, ncases);
	gs_json_key(&j, "map_bytes"); gs_json_u64(&j, map);
	gs_json_key(&j, "used_bytes"); gs_json_u64(&j, used);
	gs_json_key(&j, "forks"); flags_json(&j, &forks, "seq");
	gs_json_key(&j, "clock_ahead"); flags_json(&j, &ahead, "ms");
	gs_json_obj_close(&j);
	gs_json_end(&j);
	free(forks.v);
	free(ahead.v);
	return 0;
}

/* Fills chain with the stored Member envelopes that enrol (key, path)
 * and every signer above it, root first. *n receives their number. */
static int
chain_build(gs_txn *t, const uint8_t *key, const char *path,
    ProtobufCBinaryData *chain, size_t *n)
{
	uint8_t k[GS_KEY_BYTES];
	char p[GS_PATH_MAX_BYTES + 1], parent[GS_PATH_MAX_BYTES + 1];
	Gs__RosterEntry *e = NULL;
	gs_val v;
	size_t depth = 0;
	int rc = 0;

	*n = 0;
	memcpy(k, key, GS_KEY_BYTES);
	snprintf(p, sizeof(p), "%s", path);
	for (;;) {
		if (depth > GS_PATH_DEPTH_MAX) {
			rc = GS_EINVAL;
			break;
		}
		if ((rc = gs_roster_get(t, k, p, &e)) != 0)
			break;
		/* The first (lowest id) Member of each pair. */
		if (e->n_enrolments == 0) {
			rc = GS_ENOTFOUND;
			break;
		}
		rc = gs_get(t, GS_DB_CHANGES,
		    e->enrolments[0]->member_change.data, GS_ID_BYTES, &v);
		if (rc == 0 && (chain[depth].data = malloc(v.len)) == NULL)
			rc = GS_ENOMEM;
		if (rc != 0)
			break;
		memcpy(chain[depth].data, v.data, v.len);
		chain[depth++].len = v.len;
		if (gs_path_parent(p, parent, sizeof(parent)) != 0)
			break;   /* the root's own Member ends the chain */
		memcpy(k, e->enrolments[0]->signer.data, GS_KEY_BYTES);
		snprintf(p, sizeof(p), "%s", parent);
		gs__roster_entry__free_unpacked(e, NULL);
		e = NULL;
	}
	if (e != NULL)
		gs__roster_entry__free_unpacked(e, NULL);
	*n = depth;
	/* Root first, so the receiver knows each signer before its Member. */
	for (size_t a = 0, z = depth ? depth - 1 : 0; a < z; a++, z--) {
		ProtobufCBinaryData tmp = chain[a];

		chain[a] = chain[z];
		chain[z] = tmp;
	}
	return rc;
}

static int
cmd_enroll(struct args *a)
{
	const char *path = a->pos[0], *hex = a->pos[1], *out = cli_arg(a, "out");
	char parent[GS_PATH_MAX_BYTES + 1], known[GS_PATH_MAX_BYTES + 1];
	uint8_t key[GS_KEY_BYTES], id[GS_ID_BYTES], *buf = NULL;
	ProtobufCBinaryData chain[GS_PATH_DEPTH_MAX + 2];
	Gs__JoinBundle b;
	Gs__Change c;
	Gs__Member m;
	Gs__RosterEntry *e = NULL;
	gs_txn *t = NULL;
	char err[256];
	size_t len, n = 0;
	FILE *f = NULL;
	int rc, ret = GS_CLI_FAIL;

	gs__join_bundle__init(&b);
	gs__change__init(&c);
	gs__member__init(&m);
	memset(chain, 0, sizeof(chain));
	if (out == NULL)
		return cli_usage("--out BUNDLE is required");
	if (gs_path_valid(path) != 0)
		return cli_usage("PATH '%s' is not a valid node path", path);
	if (gs_unhex(hex, key, GS_KEY_BYTES) != 0)
		return cli_usage("PUBKEY must be 64 hex characters");
	if ((rc = cli_open_node(a)) != 0)
		return rc;
	if (gs_path_parent(path, parent, sizeof(parent)) != 0 ||
	    strcmp(parent, gs_node_path(a->node)) != 0)
		return cli_fail("%s is not a direct child of this node (%s)", path,
		    gs_node_path(a->node));
	/* One key, one path: refuse a key already enrolled elsewhere, and
	 * reissue the bundle of one already enrolled here. */
	if ((rc = gs_txn_begin(gs_node_store(a->node), 0, &t)) != 0)
		return cli_fail("%s", gs_strerror(rc));
	rc = gs_roster_path_of(t, key, known, sizeof(known));
	if (rc == 0 && strcmp(known, path) != 0) {
		gs_txn_abort(&t);
		return cli_fail("key %.16s… is already enrolled as %s; a node gets a "
		    "new key to move (init a new data dir)", hex, known);
	}
	if (rc == 0 && gs_roster_get(t, key, path, &e) == 0 &&
	    e->n_enrolments == 0) {
		gs__roster_entry__free_unpacked(e, NULL);
		e = NULL;
	}
	if (e != NULL) {
		memcpy(id, e->enrolments[0]->member_change.data, GS_ID_BYTES);
		gs__roster_entry__free_unpacked(e, NULL);
	} else {
		gs_txn_abort(&t);
		m.path = (char *)(uintptr_t)path;
		m.key.data = key;
		m.key.len = GS_KEY_BYTES;
		c.body_case = GS__CHANGE__BODY_MEMBER;
		c.member = &m;
		c.actor = (char *)(uintptr_t)actor(a);
		if ((rc = gs_ops_write(a->node, &c, id, err, sizeof(err))) != 0)
			return cli_fail("refused: %s", err[0] ? err : gs_strerror(rc));
		if ((rc = gs_txn_begin(gs_node_store(a->node), 0, &t)) != 0)
			goto out;
	}
	if ((rc = chain_build(t, key, path, chain, &n)) != 0) {
		cli_fail("cannot build the Member chain of %s: %s (is this node "
		    "joined?)", path, gs_strerror(rc));
		goto out;
	}
	b.chain = chain;
	b.n_chain = n;
	b.version = 1;
	b.root_key.data = (uint8_t *)(uintptr_t)gs_node_root_key(a->node);
	b.root_key.len = GS_KEY_BYTES;
	b.path = (char *)(uintptr_t)path;
	b.key.data = key;
	b.key.len = GS_KEY_BYTES;
	b.parent_path = (char *)(uintptr_t)gs_node_path(a->node);
	b.parent_key.data = (uint8_t *)(uintptr_t)gs_node_key(a->node);
	b.parent_key.len = GS_KEY_BYTES;
	b.parent_endpoint = (char *)(uintptr_t)(cli_arg(a, "endpoint") ?
	    cli_arg(a, "endpoint") : "");
	len = gs__join_bundle__get_packed_size(&b);
	if ((buf = malloc(len)) == NULL)
		goto out;
	gs__join_bundle__pack(&b, buf);
	if ((f = fopen(out, "wb")) == NULL || fwrite(buf, 1, len, f) != len ||
	    fclose(f) != 0) {
		f = NULL;
		cli_fail("cannot write %s: %s", out, strerror(errno));
		goto out;
	}
	f = NULL;
	print_id(a, NULL, false, id);
	ret = 0;
out:
	if (f)
		fclose(f);
	gs_txn_abort(&t);
	for (size_t i = 0; i < n; i++)
		free(chain[i].data);
	free(buf);
	return ret;
}

static int
cmd_join(struct args *a)
{
	const char *file = a->pos[0];
	Gs__JoinBundle *b = NULL;
	struct gs_apply_result res[GS_PATH_DEPTH_MAX + 1];
	const uint8_t *bufs[GS_PATH_DEPTH_MAX + 1];
	size_t lens[GS_PATH_DEPTH_MAX + 1];
	uint8_t *data = NULL;
	Gs__RosterEntry *e = NULL;
	gs_txn *t = NULL;
	FILE *f;
	size_t len;
	int rc, ret = GS_CLI_FAIL;

	if ((rc = cli_open_node(a)) != 0)
		return rc;
	if ((f = fopen(file, "rb")) == NULL)
		return cli_fail("cannot read %s: %s", file, strerror(errno));
	data = malloc(BUNDLE_MAX_BYTES + 1);
	len = data ? fread(data, 1, BUNDLE_MAX_BYTES + 1, f) : 0;
	fclose(f);
	if (data == NULL || len == 0 || len > BUNDLE_MAX_BYTES) {
		cli_fail("%s is not a join bundle (empty or too large)", file);
		goto out;
	}
	if ((b = gs__join_bundle__unpack(NULL, len, data)) == NULL ||
	    b->version != 1 || b->root_key.len != GS_KEY_BYTES ||
	    b->key.len != GS_KEY_BYTES || b->n_chain == 0 ||
	    b->n_chain > GS_PATH_DEPTH_MAX + 1) {
		cli_fail("%s is not a valid join bundle", file);
		goto out;
	}
	if (memcmp(b->root_key.data, gs_node_root_key(a->node), GS_KEY_BYTES)) {
		cli_fail("the bundle is for another trust root: its root key differs "
		    "from this node's --root-key");
		goto out;
	}
	if (strcmp(b->path, gs_node_path(a->node)) != 0) {
		cli_fail("the bundle enrols %s, but this node is %s", b->path,
		    gs_node_path(a->node));
		goto out;
	}
	if (memcmp(b->key.data, gs_node_key(a->node), GS_KEY_BYTES) != 0) {
		cli_fail("the bundle enrols another key, not this node's");
		goto out;
	}
	for (size_t i = 0; i < b->n_chain; i++) {
		bufs[i] = b->chain[i].data;
		lens[i] = b->chain[i].len;
	}
	if ((rc = gs_txn_begin(gs_node_store(a->node), 1, &t)) != 0 ||
	    (rc = gs_apply_batch(a->node, t, bufs, lens, b->n_chain, res,
	    NULL)) != 0) {
		cli_fail("cannot apply the bundle: %s", gs_strerror(rc));
		goto out;
	}
	for (size_t i = 0; i < b->n_chain; i++)
		if (res[i].status == GS_REJECTED) {
			cli_fail("the bundle's chain was rejected: %s", res[i].reason);
			goto out;
		}
	if (gs_roster_get(t, gs_node_key(a->node), gs_node_path(a->node),
	    &e) != 0) {
		cli_fail("the bundle's chain does not enrol this node's key from "
		    "the root");
		goto out;
	}
	if ((rc = gs_meta_put_str(t, "parent_path", b->parent_path)) != 0 ||
	    (b->parent_key.len == GS_KEY_BYTES && (rc = gs_meta_put_bytes(t,
	    "parent_key", b->parent_key.data, GS_KEY_BYTES)) != 0) ||
	    (rc = gs_meta_put_str(t, "parent_endpoint",
	    b->parent_endpoint)) != 0 || (rc = gs_txn_commit(&t)) != 0) {
		cli_fail("cannot store the bundle: %s", gs_strerror(rc));
		goto out;
	}
	if (a->json) {
		struct gs_json j;

		gs_json_init(&j, cli_out);
		gs_json_obj_open(&j);
		gs_json_key(&j, "path"); gs_json_str(&j, gs_node_path(a->node));
		gs_json_key(&j, "parent"); gs_json_str(&j, b->parent_path);
		gs_json_obj_close(&j);
		gs_json_end(&j);
	} else
		fprintf(cli_out, "已入网 joined %s, 上级 parent %s\n", gs_node_path(a->node),
		    b->parent_path);
	ret = 0;
out:
	gs_txn_abort(&t);
	if (e)
		gs__roster_entry__free_unpacked(e, NULL);
	if (b)
		gs__join_bundle__free_unpacked(b, NULL);
	free(data);
	return ret;
}

static int
cmd_revoke(struct args *a)
{
	const char *as = cli_arg(a, "after-seq");
	Gs__Change c;
	gs__change__init(&c);
	Gs__Revoke r;
	gs__revoke__init(&r);
	uint8_t key[GS_KEY_BYTES];
	char path[GS_PATH_MAX_BYTES + 1];
	gs_txn *t = NULL;
	int rc;

	if (gs_unhex(a->pos[0], key, GS_KEY_BYTES) != 0)
		return cli_usage("PUBKEY must be 64 hex characters");
	if (as == NULL)
		return cli_usage("--after-seq N is required (the last seq "
		    "accepted from the lost key)");
	if (parse_u64(as, &r.after_seq) != 0)
		return cli_usage("--after-seq must be a number");
	if ((rc = cli_open_node(a)) != 0)
		return rc;
	if ((rc = gs_txn_begin(gs_node_store(a->node), 0, &t)) != 0)
		return cli_fail("%s", gs_strerror(rc));
	rc = gs_roster_path_of(t, key, path, sizeof(path));
	gs_txn_abort(&t);
	if (rc != 0)
		return cli_fail("key %.16s… is not enrolled on this node", a->pos[0]);
	r.key.data = key;
	r.key.len = GS_KEY_BYTES;
	r.path = path;
	r.reason = (char *)(uintptr_t)(cli_arg(a, "reason") ? cli_arg(a, "reason") : "");
	c.body_case = GS__CHANGE__BODY_REVOKE;
	c.revoke = &r;
	return cli_write(a, &c, false);
}

/* ---- case verbs ---- */

static int
cmd_report(struct args *a)
{
	const char *cat = cli_arg(a, "category"), *title = cli_arg(a, "title");
	const char *sev = cli_arg(a, "severity"), *owner = cli_arg(a, "for");
	const struct gs_category *k;
	Gs__Change c;
	gs__change__init(&c);
	Gs__Report r;
	gs__report__init(&r);
	char case_id[GS_CASE_ID_MAX_BYTES + 1];
	int rc, s = 0;

	if (cat == NULL)
		return cli_usage("--category is required");
	if ((k = gs_category_find(cat)) == NULL)
		return cli_usage("--category '%s' is not a known category "
		    "(see 'gridnode categories')", cat);
	if (title == NULL)
		return cli_usage("--title is required");
	if (sev && (s = gs_severity_parse(sev)) < 1)
		return cli_usage("--severity must be simple, complex or hard "
		    "(简单/复杂/疑难)");
	if (owner && (gs_path_valid(owner) != 0 || gs_path_is_dept(owner)))
		return cli_usage("--for '%s' is not a valid area path", owner);
	if ((rc = cli_open_node(a)) != 0)
		return rc;
	if (owner == NULL)
		owner = gs_node_path(a->node);
	else if (!gs_path_within(gs_node_path(a->node), owner)) {
		cli_fail_code(GS_EAUTH);
		return cli_fail("--for %s is not in this node's subtree", owner);
	}
	if (gs_path_is_dept(owner))
		return cli_fail("a department cannot own a case; report at a village "
		    "or use --for");
	r.category = (char *)(uintptr_t)k->key;
	r.title = (char *)(uintptr_t)title;
	r.description = (char *)(uintptr_t)cli_opt(a, "desc");
	r.grid = (char *)(uintptr_t)cli_opt(a, "grid");
	r.reporter = (char *)(uintptr_t)cli_opt(a, "reporter");
	r.severity = s;
	c.body_case = GS__CHANGE__BODY_REPORT;
	c.report = &r;
	c.case_id = case_id;
	if (cli_has(a, "subtree") && cli_has(a, "request-id"))
		return cli_usage("--request-id names one write; --subtree makes "
		    "one per village");
	if (!cli_has(a, "subtree")) {
		if (gs_case_id_new(owner, gs_hlc_now_ms(), case_id,
		    sizeof(case_id)))
			return cli_fail("cannot make a case id for %s", owner);
		return cli_write(a, &c, true);
	}
	/* 社区派单: one task per village below owner, each with its own
	 * case and code for life (一案一码). */
	{
		char (*villages)[GS_PATH_MAX_BYTES + 1] = NULL;
		size_t nv = 0;
		gs_txn *t = NULL;

		if ((rc = gs_txn_begin(gs_node_store(a->node), 0, &t)) == 0)
			rc = gs_roster_areas_below(t, owner, 3, &villages, &nv);
		gs_txn_abort(&t);
		if (rc != 0)
			return cli_fail("%s", gs_strerror(rc));
		if (nv == 0)
			rc = cli_fail("no villages are enrolled below %s", owner);
		for (size_t i = 0; i < nv && rc == 0; i++) {
			if (gs_case_id_new(villages[i], gs_hlc_now_ms(), case_id,
			    sizeof(case_id)))
				rc = cli_fail("cannot make a case id for %s",
				    villages[i]);
			else
				rc = cli_write(a, &c, true);
		}
		free(villages);
		return rc;
	}
}

const char *
cli_opt(const struct args *a, const char *name)
{
	const char *s = cli_arg(a, name);

	return s ? s : "";
}

static int
parse_hours(const char *s, const char *name, double def, double *out)
{
	char *end;

	if (s == NULL) {
		*out = def;
		return 0;
	}
	errno = 0;
	*out = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || *out <= 0 ||
	    *out > 24.0 * 366)
		return cli_usage("--%s must be a number of hours (0 < h <= 8784)",
		    name);
	return 0;
}

static int
cmd_case_verb(struct args *a)
{
	const char *v = a->verb->name, *case_id = a->pos[0];
	Gs__Change c;
	gs__change__init(&c);
	union {
		Gs__Progress p; Gs__Whistle w; Gs__Return r; Gs__Dispatch d;
		Gs__Ack k; Gs__Resolve s; Gs__FollowUp f; Gs__Reopen o;
		Gs__Supervise u;
	} b;
	char dept[GS_PATH_MAX_BYTES + 2];
	int rc, e;

	if (gs_case_id_owner(case_id, NULL, 0) != 0)
		return cli_usage("CASE '%s' is not a case id "
		    "(owner-path#ULID, as printed by report or list)", case_id);
	c.case_id = (char *)(uintptr_t)case_id;
	if (strcmp(v, "progress") == 0) {
		if (cli_arg(a, "note") == NULL)
			return cli_usage("--note is required");
		gs__progress__init(&b.p);
		b.p.note = (char *)(uintptr_t)cli_arg(a, "note");
		c.body_case = GS__CHANGE__BODY_PROGRESS;
		c.progress = &b.p;
	} else if (strcmp(v, "whistle") == 0) {
		gs__whistle__init(&b.w);
		b.w.reason = (char *)(uintptr_t)cli_opt(a, "reason");
		c.body_case = GS__CHANGE__BODY_WHISTLE;
		c.whistle = &b.w;
	} else if (strcmp(v, "return") == 0) {
		if (cli_arg(a, "reason") == NULL || !*cli_arg(a, "reason"))
			return cli_usage("--reason is required");
		gs__return__init(&b.r);
		b.r.reason = (char *)(uintptr_t)cli_arg(a, "reason");
		c.body_case = GS__CHANGE__BODY_RETURN;
		c.return_ = &b.r;
	} else if (strcmp(v, "dispatch") == 0) {
		double ah, rh;
		uint64_t now = gs_hlc_now_ms();

		if (cli_arg(a, "to") == NULL)
			return cli_usage("--to DEPT is required");
		double dah, drh;
		char file[4096], err[300];
		Gs__Case *cs = NULL;
		gs_txn *t = NULL;

		if ((rc = cli_open_node(a)) != 0)
			return rc;
		/* Defaults by the case's category: the table, or the node's
		 * deadlines.ini. */
		if (gs_txn_begin(gs_node_store(a->node), 0, &t) == 0) {
			(void)gs_case_load(t, case_id, &cs);
			gs_txn_abort(&t);
		}
		snprintf(file, sizeof(file), "%s/deadlines.ini", cli_data_dir(a));
		rc = gs_config_deadlines(file, cs ? cs->category : "other", &dah,
		    &drh, err, sizeof(err));
		gs_case_free(&cs);
		if (rc != 0)
			return cli_fail("%s", err);
		if ((rc = parse_hours(cli_arg(a, "ack-hours"), "ack-hours", dah, &ah)) ||
		    (rc = parse_hours(cli_arg(a, "resolve-hours"), "resolve-hours",
		    drh, &rh)))
			return rc;
		if (cli_arg(a, "to")[0] == '@')
			snprintf(dept, sizeof(dept), "%s/%s",
			    gs_node_path(a->node), cli_arg(a, "to"));
		else
			snprintf(dept, sizeof(dept), "%s", cli_arg(a, "to"));
		if (gs_path_valid(dept) != 0 || !gs_path_is_dept(dept))
			return cli_usage("--to '%s' is not a department path "
			    "(like qianyang/cuimu/@police or @police)", cli_arg(a, "to"));
		gs__dispatch__init(&b.d);
		b.d.department = dept;
		b.d.ack_deadline_ms = now + (uint64_t)(ah * 3600000.0);
		b.d.resolve_deadline_ms = now + (uint64_t)(rh * 3600000.0);
		b.d.note = (char *)(uintptr_t)cli_opt(a, "note");
		c.body_case = GS__CHANGE__BODY_DISPATCH;
		c.dispatch = &b.d;
	} else if (strcmp(v, "ack") == 0) {
		gs__ack__init(&b.k);
		b.k.note = (char *)(uintptr_t)cli_opt(a, "note");
		c.body_case = GS__CHANGE__BODY_ACK;
		c.ack = &b.k;
	} else if (strcmp(v, "resolve") == 0) {
		if (cli_arg(a, "outcome") == NULL ||
		    (e = gs_outcome_parse(cli_arg(a, "outcome"))) < 1)
			return cli_usage("--outcome must be mediated, solved, "
			    "referred or unfounded");
		gs__resolve__init(&b.s);
		b.s.outcome = e;
		b.s.note = (char *)(uintptr_t)cli_opt(a, "note");
		c.body_case = GS__CHANGE__BODY_RESOLVE;
		c.resolve = &b.s;
	} else if (strcmp(v, "followup") == 0) {
		if (cli_arg(a, "satisfaction") == NULL ||
		    (e = gs_satisfaction_parse(cli_arg(a, "satisfaction"))) < 1)
			return cli_usage("--satisfaction must be satisfied, basic "
			    "or unsatisfied (满意/基本满意/不满意)");
		gs__follow_up__init(&b.f);
		b.f.satisfaction = e;
		b.f.note = (char *)(uintptr_t)cli_opt(a, "note");
		c.body_case = GS__CHANGE__BODY_FOLLOWUP;
		c.followup = &b.f;
	} else if (strcmp(v, "reopen") == 0) {
		if (cli_arg(a, "reason") == NULL || !*cli_arg(a, "reason"))
			return cli_usage("--reason is required");
		gs__reopen__init(&b.o);
		b.o.reason = (char *)(uintptr_t)cli_arg(a, "reason");
		c.body_case = GS__CHANGE__BODY_REOPEN;
		c.reopen = &b.o;
	} else {
		gs__supervise__init(&b.u);
		b.u.note = (char *)(uintptr_t)cli_opt(a, "note");
		c.body_case = GS__CHANGE__BODY_SUPERVISE;
		c.supervise = &b.u;
	}
	if (a->node == NULL && (rc = cli_open_node(a)) != 0)
		return rc;
	{
		/* A case this node does not hold cannot be acted on here. */
		gs_txn *t = NULL;
		gs_val val;

		if (gs_txn_begin(gs_node_store(a->node), 0, &t) == 0) {
			rc = gs_get(t, GS_DB_CASES, case_id, strlen(case_id), &val);
			gs_txn_abort(&t);
			if (rc == GS_ENOTFOUND) {
				cli_fail_code(rc);
				return cli_fail("no case %s on this node", case_id);
			}
		}
	}
	return cli_write(a, &c, false);
}

static int
cmd_notice(struct args *a)
{
	Gs__Change c;
	gs__change__init(&c);
	Gs__Notice n;
	gs__notice__init(&n);
	int rc;

	if (cli_arg(a, "title") == NULL)
		return cli_usage("--title is required");
	if ((rc = cli_open_node(a)) != 0)
		return rc;
	n.title = (char *)(uintptr_t)cli_arg(a, "title");
	n.body = (char *)(uintptr_t)cli_opt(a, "body");
	c.body_case = GS__CHANGE__BODY_NOTICE;
	c.notice = &n;
	return cli_write(a, &c, false);
}

/* ---- read verbs ---- */

static void
json_case_summary(struct gs_json *j, const Gs__Case *cs)
{
	gs_json_key(j, "id"); gs_json_str(j, cs->id);
	gs_json_key(j, "owner"); gs_json_str(j, cs->owner);
	gs_json_key(j, "level"); gs_json_str(j, cs->level);
	gs_json_key(j, "status"); gs_json_str(j, gs_status_name(cs->status));
	gs_json_key(j, "category"); gs_json_str(j, cs->category);
	gs_json_key(j, "title"); gs_json_str(j, cs->title);
	gs_json_key(j, "severity"); gs_json_str(j, gs_severity_name(cs->severity));
	gs_json_key(j, "updated"); gs_json_u64(j, cs->updated_hlc);
	gs_json_key(j, "overdue");
	gs_json_bool(j, gs_case_overdue(cs, gs_hlc_now_ms()));
}

static bool
level_matches(const Gs__Case *cs, const char *want)
{
	int d = gs_path_depth(cs->level);

	if (strcmp(want, "county") == 0 || strcmp(want, "县") == 0)
		return d == 1;
	if (strcmp(want, "town") == 0 || strcmp(want, "镇") == 0)
		return d == 2;
	if (strcmp(want, "village") == 0 || strcmp(want, "村") == 0)
		return d == 3;
	return strcmp(cs->level, want) == 0;
}

static int
cmd_list(struct args *a)
{
	const char *st = cli_arg(a, "status"), *lv = cli_arg(a, "level");
	const char *cat = cli_arg(a, "category"), *vil = cli_arg(a, "village");
	const struct gs_category *kat = NULL;
	bool overdue = cli_has(a, "overdue");
	uint64_t now = gs_hlc_now_ms();
	gs_txn *t = NULL;
	gs_cursor *cur = NULL;
	gs_val k, v;
	struct gs_json j;
	int rc, want = -1;
	uint64_t n = 0;

	if (st && (want = gs_status_parse(st)) < 1)
		return cli_usage("--status must be open, dispatched, resolved "
		    "or closed");
	if (lv && strcmp(lv, "county") && strcmp(lv, "town") &&
	    strcmp(lv, "village") && strcmp(lv, "县") && strcmp(lv, "镇") &&
	    strcmp(lv, "村") && gs_path_valid(lv) != 0)
		return cli_usage("--level must be county, town, village or a "
		    "node path");
	if (cat && (kat = gs_category_find(cat)) == NULL)
		return cli_usage("--category '%s' is not a known category "
		    "(see 'gridnode categories')", cat);
	if (vil && gs_path_valid(vil) != 0)
		return cli_usage("--village '%s' is not a node path", vil);
	if ((rc = cli_open_node(a)) != 0)
		return rc;
	if ((rc = gs_txn_begin(gs_node_store(a->node), 0, &t)) != 0 ||
	    (rc = gs_cursor_open(t, GS_DB_CASES, &cur)) != 0) {
		gs_txn_abort(&t);
		return cli_fail("%s", gs_strerror(rc));
	}
	if (a->json) {
		gs_json_init(&j, cli_out);
		gs_json_arr_open(&j);
	}
	for (rc = gs_cursor_seek(cur, NULL, 0, &k, &v); rc == 0;
	    rc = gs_cursor_next(cur, &k, &v)) {
		Gs__Case *cs = gs__case__unpack(NULL, v.len, v.data);

		if (cs == NULL)
			continue;
		if ((want < 0 || (int)cs->status == want) &&
		    (lv == NULL || level_matches(cs, lv)) &&
		    (kat == NULL || strcmp(cs->category, kat->key) == 0) &&
		    (vil == NULL || gs_path_within(vil, cs->owner)) &&
		    (!overdue || gs_case_overdue(cs, now))) {
			n++;
			if (a->json) {
				gs_json_obj_open(&j);
				json_case_summary(&j, cs);
				gs_json_obj_close(&j);
			} else
				fprintf(cli_out, "%s%-6s %-10s %-12s %s  %s\n",
				    gs_case_overdue(cs, now) ? "[逾期] " : "",
				    gs_status_label(cs->status),
				    gs_path_tier_label(cs->level),
				    gs_category_label(cs->category), cs->title,
				    cs->id);
		}
		gs__case__free_unpacked(cs, NULL);
	}
	gs_cursor_close(&cur);
	gs_txn_abort(&t);
	if (a->json) {
		gs_json_arr_close(&j);
		gs_json_end(&j);
	} else if (n == 0)
		fprintf(cli_out, "(无案件 no cases)\n");
	return 0;
}

static void
show_json(const Gs__Case *cs)
{
	struct gs_json j;
	char when[32];

	gs_json_init(&j, cli_out);
	gs_json_obj_open(&j);
	json_case_summary(&j, cs);
	gs_json_key(&j, "category_label");
	gs_json_str(&j, gs_category_label(cs->category));
	gs_json_key(&j, "description"); gs_json_str(&j, cs->description);
	gs_json_key(&j, "grid"); gs_json_str(&j, cs->grid);
	gs_json_key(&j, "reporter"); gs_json_str(&j, cs->reporter);
	gs_json_key(&j, "created_by"); gs_json_str(&j, cs->created_by);
	gs_json_key(&j, "peak"); gs_json_str(&j, cs->peak);
	gs_json_key(&j, "created"); gs_json_u64(&j, cs->created_hlc);
	gs_json_key(&j, "outcome"); gs_json_str(&j, gs_outcome_name(cs->outcome));
	gs_json_key(&j, "satisfaction");
	gs_json_str(&j, gs_satisfaction_name(cs->satisfaction));
	gs_json_key(&j, "visible");
	gs_json_arr_open(&j);
	for (size_t i = 0; i < cs->n_visible; i++)
		gs_json_str(&j, cs->visible[i]);
	gs_json_arr_close(&j);
	gs_json_key(&j, "assignments");
	gs_json_arr_open(&j);
	for (size_t i = 0; i < cs->n_assignments; i++) {
		const Gs__Assignment *as = cs->assignments[i];

		gs_json_obj_open(&j);
		gs_json_key(&j, "department"); gs_json_str(&j, as->department);
		gs_json_key(&j, "acked"); gs_json_bool(&j, as->acked_hlc != 0);
		gs_json_key(&j, "resolved"); gs_json_bool(&j, as->resolved_hlc != 0);
		gs_json_key(&j, "ack_deadline_ms"); gs_json_u64(&j, as->ack_deadline_ms);
		gs_json_key(&j, "resolve_deadline_ms");
		gs_json_u64(&j, as->resolve_deadline_ms);
		gs_json_obj_close(&j);
	}
	gs_json_arr_close(&j);
	gs_json_key(&j, "whistles"); gs_json_u64(&j, cs->whistles);
	gs_json_key(&j, "supervisions"); gs_json_u64(&j, cs->supervisions);
	gs_json_key(&j, "conflicts"); gs_json_u64(&j, cs->conflicts);
	gs_json_key(&j, "timeline");
	gs_json_arr_open(&j);
	for (size_t i = 0; i < cs->n_timeline; i++) {
		const Gs__TimelineEntry *te = cs->timeline[i];

		gs_json_obj_open(&j);
		gs_json_key(&j, "change");
		gs_json_hex(&j, te->change_id.data, te->change_id.len);
		gs_json_key(&j, "hlc"); gs_json_u64(&j, te->hlc);
		gs_json_key(&j, "time");
		gs_json_str(&j, gs_hlc_format(te->hlc, when, sizeof(when)));
		gs_json_key(&j, "signer"); gs_json_str(&j, te->signer);
		gs_json_key(&j, "actor"); gs_json_str(&j, te->actor);
		gs_json_key(&j, "kind"); gs_json_str(&j, gs_kind_name(te->kind));
		gs_json_key(&j, "flag"); gs_json_str(&j, gs_flag_name(te->flag));
		gs_json_key(&j, "reason"); gs_json_str(&j, te->reason);
		gs_json_key(&j, "text"); gs_json_str(&j, te->text);
		gs_json_obj_close(&j);
	}
	gs_json_arr_close(&j);
	gs_json_obj_close(&j);
	gs_json_end(&j);
}

static void
show_text(const Gs__Case *cs)
{
	char when[32];

	fprintf(cli_out, "案件 case   %s\n", cs->id);
	fprintf(cli_out, "标题 title  %s\n", cs->title);
	fprintf(cli_out, "类别        %s   分级 %s\n", gs_category_label(cs->category),
	    gs_severity_label(cs->severity));
	fprintf(cli_out, "状态 status %s (%s)%s   当前层级 level %s (%s)\n",
	    gs_status_label(cs->status), gs_status_name(cs->status),
	    gs_case_overdue(cs, gs_hlc_now_ms()) ? "  逾期 OVERDUE" : "",
	    cs->level, gs_path_tier_label(cs->level));
	if (cs->description[0])
		fprintf(cli_out, "描述        %s\n", cs->description);
	if (cs->grid[0] || cs->reporter[0])
		fprintf(cli_out, "网格 grid   %s   反映人 %s\n", cs->grid, cs->reporter);
	if (cs->outcome)
		fprintf(cli_out, "办结结果    %s\n", gs_outcome_label(cs->outcome));
	if (cs->satisfaction)
		fprintf(cli_out, "回访        %s\n", gs_satisfaction_label(cs->satisfaction));
	for (size_t i = 0; i < cs->n_assignments; i++) {
		const Gs__Assignment *as = cs->assignments[i];

		char ack[32], res[32];

		gs_hlc_format(GS_HLC_MAKE(as->ack_deadline_ms, 0), ack,
		    sizeof(ack));
		gs_hlc_format(GS_HLC_MAKE(as->resolve_deadline_ms, 0), res,
		    sizeof(res));
		fprintf(cli_out, "派单 dept   %s  %s%s  报到时限 %s  办结时限 %s\n",
		    as->department, as->acked_hlc ? "已报到" : "未报到",
		    as->resolved_hlc ? " 已办结" : "", ack, res);
	}
	fprintf(cli_out, "可见 seen by");
	for (size_t i = 0; i < cs->n_visible; i++)
		fprintf(cli_out, " %s", cs->visible[i]);
	fprintf(cli_out, "\n时间线 timeline (%zu, 冲突 conflicts %u):\n", cs->n_timeline,
	    cs->conflicts);
	for (size_t i = 0; i < cs->n_timeline; i++) {
		const Gs__TimelineEntry *te = cs->timeline[i];

		fprintf(cli_out, "  %s  %-28s %s", gs_hlc_format(te->hlc, when, sizeof(when)),
		    te->signer, te->text);
		if (te->actor[0])
			fprintf(cli_out, "  (%s)", te->actor);
		if (te->flag == GS__FLAG__FLAG_CONFLICT)
			fprintf(cli_out, "  [冲突 conflict: %s]", te->reason);
		else if (te->flag == GS__FLAG__FLAG_REVOKED)
			fprintf(cli_out, "  [已撤销 revoked]");
		fprintf(cli_out, "\n");
	}
}

static int
cmd_show(struct args *a)
{
	Gs__Case *cs = NULL;
	gs_txn *t = NULL;
	int rc;

	if (gs_case_id_owner(a->pos[0], NULL, 0) != 0)
		return cli_usage("CASE '%s' is not a case id", a->pos[0]);
	if ((rc = cli_open_node(a)) != 0)
		return rc;
	if ((rc = gs_txn_begin(gs_node_store(a->node), 0, &t)) != 0)
		return cli_fail("%s", gs_strerror(rc));
	rc = gs_case_load(t, a->pos[0], &cs);
	gs_txn_abort(&t);
	cli_fail_code(rc);
	if (rc == GS_ENOTFOUND)
		return cli_fail("no case %s on this node", a->pos[0]);
	if (rc != 0)
		return cli_fail("cannot read case %s: %s", a->pos[0], gs_strerror(rc));
	if (a->json)
		show_json(cs);
	else
		show_text(cs);
	gs_case_free(&cs);
	return 0;
}

static void
print_fault(void *arg, const char *msg)
{
	struct gs_json *j = arg;

	if (j)
		gs_json_str(j, msg);
	else
		fprintf(cli_out, "故障 fault: %s\n", msg);
}

static int
cmd_verify(struct args *a)
{
	struct gs_json j;
	uint64_t n = 0, faults = 0;
	int rc;

	if ((rc = cli_open_node(a)) != 0)
		return rc;
	if (a->json) {
		gs_json_init(&j, cli_out);
		gs_json_obj_open(&j);
		gs_json_key(&j, "faults");
		gs_json_arr_open(&j);
	}
	rc = gs_view_verify(a->node, print_fault, a->json ? &j : NULL, &n,
	    &faults);
	if (a->json) {
		gs_json_arr_close(&j);
		gs_json_key(&j, "changes"); gs_json_u64(&j, n);
		gs_json_key(&j, "ok"); gs_json_bool(&j, rc == 0 && faults == 0);
		gs_json_obj_close(&j);
		gs_json_end(&j);
	}
	if (rc != 0)
		return cli_fail("verify stopped: %s", gs_strerror(rc));
	if (!a->json)
		fprintf(cli_out, "%s: %" PRIu64 " changes checked, %" PRIu64 " faults\n",
		    faults ? "校验失败 FAULTS" : "校验通过 ok", n, faults);
	return faults ? GS_CLI_FAIL : 0;
}

static int
cmd_digest(struct args *a)
{
	const char *scope = cli_arg(a, "scope");
	uint8_t d[GS_ID_BYTES];
	char hex[2 * GS_ID_BYTES + 1];
	uint64_t n;
	int rc;

	if ((rc = cli_open_node(a)) != 0)
		return rc;
	if ((rc = gs_view_digest(a->node, scope, d, &n)) != 0)
		return cli_fail("%s", gs_strerror(rc));
	gs_hex(d, sizeof(d), hex);
	if (a->json) {
		struct gs_json j;

		gs_json_init(&j, cli_out);
		gs_json_obj_open(&j);
		gs_json_key(&j, "digest"); gs_json_str(&j, hex);
		gs_json_key(&j, "count"); gs_json_u64(&j, n);
		gs_json_key(&j, "scope"); gs_json_str(&j, scope ? scope : "");
		gs_json_obj_close(&j);
		gs_json_end(&j);
	} else
		fprintf(cli_out, "%s %" PRIu64 "\n", hex, n);
	return 0;
}

static int
cmd_rejects(struct args *a)
{
	gs_txn *t = NULL;
	gs_cursor *cur = NULL;
	gs_val k, v;
	struct gs_json j;
	char hex[2 * GS_ID_BYTES + 1];
	int rc;

	if ((rc = cli_open_node(a)) != 0)
		return rc;
	if ((rc = gs_txn_begin(gs_node_store(a->node), 0, &t)) != 0 ||
	    (rc = gs_cursor_open(t, GS_DB_REJECTS, &cur)) != 0) {
		gs_txn_abort(&t);
		return cli_fail("%s", gs_strerror(rc));
	}
	if (a->json) {
		gs_json_init(&j, cli_out);
		gs_json_arr_open(&j);
	}
	for (rc = gs_cursor_seek(cur, NULL, 0, &k, &v); rc == 0;
	    rc = gs_cursor_next(cur, &k, &v)) {
		Gs__Reject *r = gs__reject__unpack(NULL, v.len, v.data);

		if (r == NULL)
			continue;
		/* Name it by its change id; an envelope that never decoded
		 * has none, so by the hash of its bytes. */
		if (r->change_id.len == GS_ID_BYTES)
			gs_hex(r->change_id.data, GS_ID_BYTES, hex);
		else
			gs_hex(k.data, k.len < GS_ID_BYTES ? k.len : GS_ID_BYTES,
			    hex);
		if (a->json) {
			gs_json_obj_open(&j);
			gs_json_key(&j, "change"); gs_json_str(&j, hex);
			gs_json_key(&j, "envelope");
			gs_json_hex(&j, k.data, k.len < GS_ID_BYTES ? k.len :
			    GS_ID_BYTES);
			gs_json_key(&j, "code"); gs_json_str(&j, gs_strerror(r->code));
			gs_json_key(&j, "reason"); gs_json_str(&j, r->reason);
			gs_json_key(&j, "at_ms"); gs_json_u64(&j, r->at_ms);
			gs_json_obj_close(&j);
		} else
			fprintf(cli_out, "%s  %s\n", hex, r->reason);
		gs__reject__free_unpacked(r, NULL);
	}
	gs_cursor_close(&cur);
	gs_txn_abort(&t);
	if (a->json) {
		gs_json_arr_close(&j);
		gs_json_end(&j);
	}
	return 0;
}

static int
cmd_categories(struct args *a)
{
	size_t n;
	const struct gs_category *c = gs_category_all(&n);
	struct gs_json j;

	if (a->json) {
		gs_json_init(&j, cli_out);
		gs_json_arr_open(&j);
	}
	for (size_t i = 0; i < n; i++) {
		if (a->json) {
			gs_json_obj_open(&j);
			gs_json_key(&j, "key"); gs_json_str(&j, c[i].key);
			gs_json_key(&j, "label"); gs_json_str(&j, c[i].label);
			gs_json_obj_close(&j);
		} else
			fprintf(cli_out, "%-12s %s\n", c[i].key, c[i].label);
	}
	if (a->json) {
		gs_json_arr_close(&j);
		gs_json_end(&j);
	}
	return 0;
}

/* ---- file transfer ---- */

static int
cmd_export(struct args *a)
{
	const char *for_path = cli_arg(a, "for"), *out = cli_arg(a, "out");
	const char *since_s = cli_arg(a, "since");
	struct gs_export_stats st;
	uint64_t since = 0;
	char tmp[4096];
	FILE *f;
	int rc;

	if (out == NULL)
		return cli_usage("--out FILE is required");
	if ((for_path == NULL) == !cli_has(a, "all"))
		return cli_usage("give exactly one of --for PATH or --all");
	if (for_path && gs_path_valid(for_path) != 0)
		return cli_usage("--for '%s' is not a valid node path", for_path);
	if (since_s && parse_u64(since_s, &since) != 0)
		return cli_usage("--since must be a feed seq number");
	if ((rc = cli_open_node(a)) != 0)
		return rc;
	/* Write beside the target and rename, so a half-written file never
	 * looks like an export. */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", out) >= sizeof(tmp))
		return cli_usage("--out path too long");
	if ((f = fopen(tmp, "wb")) == NULL)
		return cli_fail("cannot write %s: %s", tmp, strerror(errno));
	rc = gs_transfer_export(a->node, for_path, since, f, &st);
	if (fclose(f) != 0 && rc == 0)
		rc = GS_EIO;
	if (rc == 0 && rename(tmp, out) != 0)
		rc = GS_EIO;
	if (rc != 0) {
		unlink(tmp);
		return cli_fail("export failed: %s", gs_strerror(rc));
	}
	if (a->json) {
		struct gs_json j;

		gs_json_init(&j, cli_out);
		gs_json_obj_open(&j);
		gs_json_key(&j, "changes"); gs_json_u64(&j, st.changes);
		gs_json_key(&j, "upto"); gs_json_u64(&j, st.upto);
		gs_json_obj_close(&j);
		gs_json_end(&j);
	} else
		fprintf(cli_out, "导出 exported %" PRIu64 " changes, feed up to %" PRIu64
		    " (next --since %" PRIu64 ")\n", st.changes, st.upto, st.upto);
	return 0;
}

static void
print_reject(void *arg, const struct gs_apply_result *r)
{
	char hex[2 * GS_ID_BYTES + 1];

	(void)arg;
	if (r->status != GS_REJECTED)
		return;
	gs_hex(r->id, GS_ID_BYTES, hex);
	fprintf(cli_err, "gridnode import: rejected %.16s…: %s\n", hex, r->reason);
}

static int
cmd_import(struct args *a)
{
	struct gs_apply_stats st = { 0 };
	int rc;

	if ((rc = cli_open_node(a)) != 0)
		return rc;
	rc = gs_transfer_import(a->node, a->pos[0], &st, print_reject, NULL);
	if (st.applied > 0)
		(void)gs_daemon_poke(cli_data_dir(a));
	if (rc == GS_EBADMSG)
		return cli_fail("%s is not a gridsync export file or is truncated; "
		    "nothing was imported", a->pos[0]);
	if (rc == GS_EFULL)
		return cli_fail("the store is full (LMDB map size reached) after %"
		    PRIu64 " changes; the rest was not imported", st.applied);
	if (rc != 0)
		return cli_fail("cannot import %s: %s", a->pos[0], gs_strerror(rc));
	if (a->json) {
		struct gs_json j;

		gs_json_init(&j, cli_out);
		gs_json_obj_open(&j);
		gs_json_key(&j, "applied"); gs_json_u64(&j, st.applied);
		gs_json_key(&j, "duplicate"); gs_json_u64(&j, st.duplicate);
		gs_json_key(&j, "pending"); gs_json_u64(&j, st.pending);
		gs_json_key(&j, "rejected");
		gs_json_u64(&j, st.rejected + st.released_rejected);
		gs_json_key(&j, "released"); gs_json_u64(&j, st.released);
		gs_json_obj_close(&j);
		gs_json_end(&j);
	} else
		fprintf(cli_out, "导入 imported: applied %" PRIu64 ", duplicate %" PRIu64
		    ", pending %" PRIu64 ", rejected %" PRIu64 ", released %"
		    PRIu64 "\n", st.applied, st.duplicate, st.pending,
		    st.rejected + st.released_rejected, st.released);
	if (st.rejected + st.released_rejected > 0)
		return cli_fail("%" PRIu64 " changes were rejected (the rest was "
		    "applied); 'gridnode rejects' lists them with reasons",
		    st.rejected + st.released_rejected);
	return 0;
}

/* ---- the daemon ---- */

static int
cmd_run(struct args *a)
{
	struct gs_config c;
	const char *file = cli_arg(a, "config");
	char err[512];
	int rc;

	if (file == NULL)
		return cli_usage("--config FILE is required (see docs/protocol.md "
		    "and deploy/ for examples)");
	if ((rc = gs_config_load(file, &c, err, sizeof(err))) != 0)
		return rc == GS_EIO ? cli_fail("%s", err) : cli_usage("%s", err);
	if ((rc = cli_open_node(a)) != 0)
		return rc;
	rc = gs_daemon_run(a->node, cli_data_dir(a), &c, err, sizeof(err));
	if (rc != 0)
		return cli_fail("%s", err[0] ? err : gs_strerror(rc));
	return 0;
}

static const char *
ago(uint64_t then_ms, uint64_t now_ms, char *buf, size_t cap)
{
	uint64_t s;

	if (then_ms == 0)
		return "never";
	s = now_ms > then_ms ? (now_ms - then_ms) / 1000 : 0;
	if (s < 120)
		snprintf(buf, cap, "%" PRIu64 " s ago", s);
	else if (s < 7200)
		snprintf(buf, cap, "%" PRIu64 " min ago", s / 60);
	else
		snprintf(buf, cap, "%" PRIu64 " h ago", s / 3600);
	return buf;
}

static int
cmd_peers(struct args *a)
{
	gs_txn *t = NULL;
	gs_cursor *cur = NULL;
	gs_val k, v;
	struct gs_json j;
	uint64_t feed = 0, now = gs_hlc_now_ms(), n = 0;
	struct fork_list forks = { NULL, 0, NULL };
	char b1[32], b2[32];
	int rc;

	if ((rc = cli_open_node(a)) != 0)
		return rc;
	if ((rc = gs_txn_begin(gs_node_store(a->node), 0, &t)) == 0)
		forks.t = t;
	if (rc != 0 || (rc = gs_feed_last(t, &feed)) != 0 ||
	    (rc = gs_origin_flags(t, GS_FORK_PREFIX, fork_add, &forks)) != 0 ||
	    (rc = gs_cursor_open(t, GS_DB_LINKS, &cur)) != 0) {
		gs_txn_abort(&t);
		free(forks.v);
		return cli_fail("%s", gs_strerror(rc));
	}
	if (a->json) {
		gs_json_init(&j, cli_out);
		gs_json_arr_open(&j);
	}
	for (rc = gs_cursor_seek(cur, NULL, 0, &k, &v); rc == 0;
	    rc = gs_cursor_next(cur, &k, &v)) {
		Gs__Link *l = gs__link__unpack(NULL, v.len, v.data);
		uint64_t in, out, forked = 0;

		if (l == NULL)
			continue;
		for (size_t i = 0; i < forks.n; i++)
			if (strcmp(forks.v[i].path, l->path) == 0)
				forked = forks.v[i].seq;
		in = l->their_feed_seq > l->checkpoint ?
		    l->their_feed_seq - l->checkpoint : 0;
		out = feed > l->acked_upto ? feed - l->acked_upto : 0;
		n++;
		if (a->json) {
			gs_json_obj_open(&j);
			gs_json_key(&j, "path"); gs_json_str(&j, l->path);
			gs_json_key(&j, "role");
			gs_json_str(&j, l->parent ? "parent" : "child");
			gs_json_key(&j, "connected"); gs_json_bool(&j, l->connected);
			gs_json_key(&j, "last_seen_ms"); gs_json_u64(&j, l->last_seen_ms);
			gs_json_key(&j, "since_ms"); gs_json_u64(&j, l->since_ms);
			gs_json_key(&j, "checkpoint"); gs_json_u64(&j, l->checkpoint);
			gs_json_key(&j, "their_feed_seq");
			gs_json_u64(&j, l->their_feed_seq);
			gs_json_key(&j, "acked_upto"); gs_json_u64(&j, l->acked_upto);
			gs_json_key(&j, "behind_in"); gs_json_u64(&j, in);
			gs_json_key(&j, "behind_out"); gs_json_u64(&j, out);
			gs_json_key(&j, "rejects_received");
			gs_json_u64(&j, l->rejects_received);
			gs_json_key(&j, "rejects_sent"); gs_json_u64(&j, l->rejects_sent);
			gs_json_key(&j, "last_error"); gs_json_str(&j, l->last_error);
			gs_json_key(&j, "forked_seq"); gs_json_u64(&j, forked);
			gs_json_obj_close(&j);
		} else {
			fprintf(cli_out, "%-32s %s  %s", l->path, l->parent ? "上级 parent" :
			    "下级 child ", l->connected ? "在线 up" : "离线 down");
			if (!l->connected)
				fprintf(cli_out, " since %s", ago(l->since_ms, now, b1,
				    sizeof(b1)));
			fprintf(cli_out, "  last seen %s\n", ago(l->last_seen_ms, now, b2,
			    sizeof(b2)));
			fprintf(cli_out, "    待收 behind in %" PRIu64 "  待发 behind out %"
			    PRIu64 "  (their feed %" PRIu64 ", applied %" PRIu64
			    "; ours %" PRIu64 ", acked %" PRIu64 ")\n", in, out,
			    l->their_feed_seq, l->checkpoint, feed, l->acked_upto);
			if (l->rejects_received || l->rejects_sent)
				fprintf(cli_out, "    拒收 rejects: %" PRIu64 " of theirs here, %"
				    PRIu64 " of ours there\n", l->rejects_received,
				    l->rejects_sent);
			if (l->last_error[0])
				fprintf(cli_out, "    last error: %s\n", l->last_error);
			if (forked)
				fprintf(cli_out, "    分叉 FORK: it signed two different changes "
				    "as seq %" PRIu64 "\n", forked);
		}
		gs__link__free_unpacked(l, NULL);
	}
	gs_cursor_close(&cur);
	gs_txn_abort(&t);
	if (a->json) {
		gs_json_arr_close(&j);
		gs_json_end(&j);
	} else if (n == 0)
		fprintf(cli_out, "(no neighbours yet: run 'gridnode run' with a config)\n");
	if (!a->json)
		forks_print(&forks);
	free(forks.v);
	return 0;
}

static int cmd_help(struct args *a);

#define CASE_OPTS "actor= request-id="
static const struct verb verbs[] = {
	{ "resize", cmd_resize, "map-size=", 0,
	  "resize --data DIR --map-size MIB [--json]",
	  "Set the store's size limit (LMDB map size), e.g. after 'the store is "
	  "full'; kept by every later open. Stop the daemon first." },
	{ "init", cmd_init, "path= root-key= map-size= actor=", 0,
	  "init --data DIR --path PATH [--root-key HEX] [--map-size MIB]",
	  "Create a node: a new key pair and an empty store. Without --root-key "
	  "the path must be a root (the county), which becomes its own trust root." },
	{ "whoami", cmd_whoami, "", 0, "whoami --data DIR [--json]",
	  "Show this node's path, keys, parent and counters." },
	{ "enroll", cmd_enroll, "out= endpoint= actor=", 2,
	  "enroll --data DIR PATH PUBKEY --out BUNDLE [--endpoint E]",
	  "Sign the Member change of a direct child and write its join bundle." },
	{ "join", cmd_join, "", 1, "join --data DIR BUNDLE",
	  "Import a join bundle made by this node's parent." },
	{ "revoke", cmd_revoke, "after-seq= reason= actor=", 1,
	  "revoke --data DIR PUBKEY --after-seq N [--reason TEXT]",
	  "Revoke a child's key: its changes with seq > N become void everywhere." },
	{ "report", cmd_report,
	  "category= title= desc= grid= reporter= severity= for= subtree actor= "
	  "request-id=", 0,
	  "report --data DIR --category KEY --title T [--desc D] [--grid G] "
	  "[--reporter R] [--severity simple|complex|hard] [--for PATH [--subtree]]",
	  "Report a new case (上报); prints its case id. --for assigns it down to a "
	  "village below this node (派单); with --subtree, one task per village "
	  "below PATH (or below this node), one case id per line." },
	{ "progress", cmd_case_verb, "note= " CASE_OPTS, 1,
	  "progress --data DIR CASE --note TEXT", "Add a progress note (进展)." },
	{ "whistle", cmd_case_verb, "reason= " CASE_OPTS, 1,
	  "whistle --data DIR CASE [--reason TEXT]",
	  "Escalate the case one level up (吹哨)." },
	{ "return", cmd_case_verb, "reason= " CASE_OPTS, 1,
	  "return --data DIR CASE --reason TEXT",
	  "Send the case back down one level (退回)." },
	{ "dispatch", cmd_case_verb,
	  "to= ack-hours= resolve-hours= note= " CASE_OPTS, 1,
	  "dispatch --data DIR CASE --to DEPT [--ack-hours H] [--resolve-hours H] "
	  "[--note TEXT]",
	  "Assign the case to one of this node's departments (派单). Deadlines "
	  "default by category (安全隐患/治安: report in 0.5 h, resolve 24 h; "
	  "disputes: 2 h / 120 h; …), overridable per node in DIR/deadlines.ini." },
	{ "ack", cmd_case_verb, "note= " CASE_OPTS, 1,
	  "ack --data DIR CASE [--note TEXT]",
	  "A dispatched department reports in (报到)." },
	{ "resolve", cmd_case_verb, "outcome= note= " CASE_OPTS, 1,
	  "resolve --data DIR CASE --outcome mediated|solved|referred|unfounded "
	  "[--note TEXT]", "Record the outcome (办结)." },
	{ "followup", cmd_case_verb, "satisfaction= note= " CASE_OPTS, 1,
	  "followup --data DIR CASE --satisfaction satisfied|basic|unsatisfied "
	  "[--note TEXT]", "Record the resident's satisfaction and close (回访)." },
	{ "reopen", cmd_case_verb, "reason= " CASE_OPTS, 1,
	  "reopen --data DIR CASE --reason TEXT",
	  "Reopen a resolved or closed case (重启)." },
	{ "supervise", cmd_case_verb, "note= " CASE_OPTS, 1,
	  "supervise --data DIR CASE [--note TEXT]",
	  "Push a case from above its level (督办)." },
	{ "notice", cmd_notice, "title= body= actor= request-id=", 0,
	  "notice --data DIR --title T [--body B]",
	  "Issue a notice to this node's whole subtree (通知)." },
	{ "list", cmd_list, "status= level= category= village= overdue", 0,
	  "list --data DIR [--status open|dispatched|resolved|closed] "
	  "[--level county|town|village|PATH] [--category KEY] "
	  "[--village PATH] [--overdue] [--json]",
	  "List the cases this node holds; --village keeps the cases reported "
	  "at or below PATH." },
	{ "show", cmd_show, "", 1, "show --data DIR CASE [--json]",
	  "Show a case's state and full timeline." },
	{ "verify", cmd_verify, "", 0, "verify --data DIR [--json]",
	  "Re-check every stored signature, id, hash chain and case; exit 1 on "
	  "any fault." },
	{ "digest", cmd_digest, "scope=", 0,
	  "digest --data DIR [--scope PREFIX] [--json]",
	  "Order-independent hash of the changes held (in a case-id scope)." },
	{ "rejects", cmd_rejects, "", 0, "rejects --data DIR [--json]",
	  "List rejected changes and why." },
	{ "categories", cmd_categories, "", 0, "categories [--json]",
	  "List the case categories." },
	{ "export", cmd_export, "for= since= out= all", 0,
	  "export --data DIR (--for PATH | --all) [--since N] --out FILE [--json]",
	  "Write the changes node PATH may see into a file (USB sync)." },
	{ "import", cmd_import, "", 1, "import --data DIR FILE [--json]",
	  "Apply an export file; safe to repeat." },
	{ "stats", cmd_stats, "period= by= csv", 0,
	  "stats --data DIR [--period YYYY[-MM[-DD]]] "
	  "[--by village|town|category|day] [--json|--csv]",
	  "Counts and rates (诉求办结率, 调解成功率, 按时报到率, 满意率, 村内/镇内化解率, "
	  "矛盾不上交率, 分级化解率) of the cases reported in a period; at the county, "
	  "the sum of the towns' signed rollups. Formulas in README.md." },
	{ "rollup", cmd_rollup, "", 0, "rollup --data DIR [--json]",
	  "A town signs the rollups whose counts changed (its daemon does this "
	  "every [policy] rollup_seconds); for towns that sync by file." },
	{ "notices", cmd_notices, "", 0, "notices --data DIR [--json]",
	  "List the notices this node holds, newest first, with who has read "
	  "them (已阅) among the villages below this node." },
	{ "read", cmd_read, "note= actor= request-id=", 1, "read --data DIR NOTICE [--note TEXT]",
	  "Acknowledge a notice from above (已阅回执); the receipt travels up to "
	  "its issuer. Reading twice keeps the first receipt." },
	{ "check", cmd_check, "period= found= note= actor= request-id=", 0,
	  "check --data DIR --found N [--period YYYY-MM] [--note TEXT]",
	  "File the village's monthly check report (排查报告); --found 0 is a zero "
	  "report (零报告). Filing again for a month replaces the earlier one." },
	{ "checks", cmd_checks, "period=", 0,
	  "checks --data DIR [--period YYYY-MM] [--json]",
	  "Which villages below this node filed their check report for the month "
	  "(default: this month), zero reports, late ones, and the reporting rate. "
	  "Due day: [check] due_day in DIR/deadlines.ini (default 25)." },
	{ "operator", cmd_operator, "", 1 | NPOS_MORE(1),
	  "operator --data DIR (add NAME | remove NAME | list) [--json]",
	  "Manage who may use this node's HTTP API and dashboard: 'add' prints "
	  "a new operator's token once (keep it secret; writes they make carry "
	  "NAME as the actor), 'remove' revokes it at once, 'list' shows the "
	  "names. A running daemon sees the change without a restart." },
	{ "run", cmd_run, "config=", 0, "run --data DIR --config FILE",
	  "Run the node's daemon: live sync with its parent and children over "
	  "ZeroMQ until SIGTERM or Ctrl-C." },
	{ "peers", cmd_peers, "", 0, "peers --data DIR [--json]",
	  "Each neighbour: connected or not, last seen, changes behind in each "
	  "direction, rejects." },
	{ "help", cmd_help, "", 0, "help", "List the verbs." },
};

static int
cmd_help(struct args *a)
{
	(void)a;
	fprintf(cli_out, "gridsync 网格吹哨、部门报到 — gridnode VERB --data DIR [options]\n\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(cli_out, "  %-11s %s\n", verbs[i].name, verbs[i].help);
	fprintf(cli_out, "\n'gridnode VERB --help' shows a verb's options. Manual: "
	    "docs/cli.md\n");
	return 0;
}

/* Names the first missing positional argument, read off the verb's usage
 * line: an upper-case word that is not an option's value. */
static int
missing_positional(const struct verb *v, int have)
{
	const char *p = v->usage, *prev = "";
	size_t plen = 0;
	int seen = 0;

	while (*p) {
		size_t l = strcspn(p, " ");
		bool upper = l > 0;

		for (size_t i = 0; i < l; i++)
			if (!((p[i] >= 'A' && p[i] <= 'Z') || p[i] == '_'))
				upper = false;
		if (upper && !(plen >= 2 && (strncmp(prev, "--", 2) == 0 ||
		    strncmp(prev, "[--", 3) == 0)) && seen++ == have)
			return cli_usage("%.*s is required", (int)l, p);
		prev = p;
		plen = l;
		p += l;
		while (*p == ' ')
			p++;
	}
	return cli_usage("missing argument");
}

int
gs_cli_main(int argc, char **argv)
{
	struct args a;
	int rc;

	memset(&a, 0, sizeof(a));
	cli_out = stdout;
	cli_err = stderr;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)
		return cmd_help(&a) == 0 && argc >= 2 ? 0 :
		    (argc < 2 ? GS_CLI_USAGE : 0);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			a.verb = &verbs[i];
	if (a.verb == NULL) {
		fprintf(cli_err, "gridnode: unknown verb '%s' (try 'gridnode help')\n",
		    argv[1]);
		return GS_CLI_USAGE;
	}
	cli_verb = a.verb;
	rc = parse(&a, argc - 2, argv + 2);
	if (rc == 0 && cli_has(&a, "help")) {
		fprintf(cli_out, "usage: gridnode %s\n\n%s\n\n"
		    "  --data DIR    the node's data directory (or GRIDNODE_DATA)\n"
		    "  --json        machine-readable output\n", a.verb->usage,
		    a.verb->help);
		if (opt_known(a.verb->opts, "actor", 5, &(bool){ false }))
			fprintf(cli_out, "  --actor NAME  the person at the terminal "
			    "(default GRIDNODE_ACTOR, else USER)\n");
		rc = 0;
		goto out;
	}
	if (rc == 0 && a.npos < NPOS_MIN(a.verb))
		rc = missing_positional(a.verb, a.npos);
	if (rc == 0)
		rc = a.verb->fn(&a);
out:
	gs_node_close(&a.node);
	for (int i = 0; i < a.nopt; i++)
		free((char *)(uintptr_t)a.name[i]);
	return rc;
}

int
gs_cli_call(struct gs_cli_call *call)
{
	const struct verb *saved_verb = cli_verb;
	FILE *saved_out = cli_out, *saved_err = cli_err;
	char *errbuf = NULL;
	size_t errlen = 0;
	struct args a;
	int rc = 0;

	memset(&a, 0, sizeof(a));
	call->gs_code = 0;
	call->wrote = call->replayed = false;
	call->message[0] = '\0';
	cli_msg[0] = '\0';
	cli_code = 0;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(call->verb, verbs[i].name) == 0)
			a.verb = &verbs[i];
	if (a.verb == NULL || call->npos < NPOS_MIN(a.verb) ||
	    call->npos > NPOS_MAX(a.verb) ||
	    call->nopt > GS_CLI_ARGS_MAX || call->npos > 4)
		return GS_CLI_USAGE;
	if ((cli_err = open_memstream(&errbuf, &errlen)) == NULL) {
		cli_err = saved_err;
		return GS_CLI_FAIL;
	}
	cli_verb = a.verb;
	cli_out = call->out;
	for (int i = 0; i < call->npos; i++)
		a.pos[a.npos++] = call->pos[i];
	for (int i = 0; i < call->nopt && rc == 0; i++) {
		const char *name = call->name[i];
		bool takes = false;

		if (!opt_known(a.verb->opts, name, strlen(name), &takes))
			rc = cli_usage("unknown option '%s'", name);
		else if (!takes && call->val[i][0] != '\0')
			rc = cli_usage("'%s' is a flag: true or absent", name);
		else if (cli_has(&a, name))
			rc = cli_usage("'%s' given twice", name);
		a.name[a.nopt] = name;
		a.val[a.nopt++] = call->val[i];
	}
	/* The node is open already; its dir is still where verbs find
	 * DIR/deadlines.ini. */
	if (rc == 0 && call->dir != NULL) {
		if (a.nopt >= GS_CLI_ARGS_MAX)
			rc = cli_usage("too many options");
		else {
			a.name[a.nopt] = "data";
			a.val[a.nopt++] = call->dir;
		}
	}
	a.json = 1;
	a.node = call->node;
	a.in_process = true;
	if (rc == 0)
		rc = a.verb->fn(&a);
	fflush(cli_out);
	call->gs_code = rc != 0 ? cli_code : 0;
	call->wrote = a.wrote;
	call->replayed = a.replayed;
	snprintf(call->message, sizeof(call->message), "%s", cli_msg);
	fclose(cli_err);
	free(errbuf);
	cli_verb = saved_verb;
	cli_out = saved_out;
	cli_err = saved_err;
	return rc;
}
