/*
 * store.c: the node's LMDB environment and its named databases.
 *
 * LMDB error codes are translated here and never leave this file. One
 * MDB_env per data dir; the named databases are opened once, at open, and
 * their handles are valid for the life of the environment.
 */
#include <sys/statvfs.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>

#include "gs/error.h"
#include "gs/store.h"

struct gs_store {
	MDB_env		*env;
	MDB_dbi		 dbi[GS_DB__COUNT];
	unsigned int	 dupsort;	/* bit i set: database i is MDB_DUPSORT */
};

struct gs_txn {
	gs_store	*store;
	MDB_txn		*txn;
	int		 write;
	/*
	 * First fatal error seen in this transaction (GS_EFULL after
	 * MDB_MAP_FULL). LMDB leaves such a transaction unusable; we make
	 * every later call return the same code, and commit refuse to write.
	 */
	int		 failed;
	struct gs_cursor *cursors;	/* open cursors, closed at txn end */
};

struct gs_cursor {
	gs_txn		*txn;		/* NULL once the transaction ended */
	MDB_cursor	*mc;
	struct gs_cursor *next;
};

static const struct {
	const char	*name;
	unsigned int	 flags;
} db_spec[GS_DB__COUNT] = {
	[GS_DB_CHANGES] = { "changes", 0 },
	[GS_DB_FEED]    = { "feed", 0 },
	[GS_DB_ORIGIN]  = { "origin", MDB_DUPSORT },
	[GS_DB_CASEIDX] = { "caseidx", MDB_DUPSORT },
	[GS_DB_CASES]   = { "cases", 0 },
	[GS_DB_ROSTER]  = { "roster", 0 },
	[GS_DB_PENDING] = { "pending", 0 },
	[GS_DB_REJECTS] = { "rejects", 0 },
	[GS_DB_META]    = { "meta", 0 },
	[GS_DB_CHECKPOINTS] = { "checkpoints", 0 },
	[GS_DB_LINKS]   = { "links", 0 },
	[GS_DB_RECORDS] = { "records", MDB_DUPSORT },
	/* Added without a schema bump: it is created on open, and a store
	 * without it holds no request ids, which is what it means. */
	[GS_DB_REQUESTS] = { "requests", 0 },
};

static const char schema_key[] = "schema";

static int
xlate(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return GS_ENOTFOUND;
	case MDB_MAP_FULL:
		return GS_EFULL;
	case MDB_KEYEXIST:
		return GS_EEXIST;
	case MDB_VERSION_MISMATCH:
	case MDB_INVALID:
	/* A name in the file is not a database: another layout. */
	case MDB_INCOMPATIBLE:
		return GS_EVERSION;
	case ENOMEM:
		return GS_ENOMEM;
	/* The disk under the store, not the map, ran out. */
	case ENOSPC:
	case EDQUOT:
		return GS_ENOSPACE;
	/* A read-only data dir or file. */
	case EACCES:
	case EROFS:
	case EPERM:
		return GS_EREADONLY;
	/* A key or duplicate value over LMDB's size limit, or empty. */
	case MDB_BAD_VALSIZE:
	case EINVAL:
		return GS_EINVAL;
	default:
		return GS_EIO;
	}
}

/* Errors after which LMDB refuses any further use of a write txn. */
static int
is_fatal(int err)
{
	return err == GS_EFULL || err == GS_EIO || err == GS_ENOMEM;
}

static int
db_ok(gs_db db)
{
	return (int)db >= 0 && db < GS_DB__COUNT;
}

static int
is_dupsort(const gs_store *s, gs_db db)
{
	return (s->dupsort >> db) & 1;
}

static int
check_schema(MDB_txn *txn, MDB_dbi meta)
{
	MDB_val k, v;
	uint8_t buf[4];
	uint32_t ver;
	int rc;

	k.mv_data = (void *)(uintptr_t)schema_key;
	k.mv_size = sizeof(schema_key) - 1;
	rc = mdb_get(txn, meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		buf[0] = (uint8_t)(GS_STORE_SCHEMA_VERSION >> 24);
		buf[1] = (uint8_t)(GS_STORE_SCHEMA_VERSION >> 16);
		buf[2] = (uint8_t)(GS_STORE_SCHEMA_VERSION >> 8);
		buf[3] = (uint8_t)GS_STORE_SCHEMA_VERSION;
		v.mv_data = buf;
		v.mv_size = sizeof(buf);
		return xlate(mdb_put(txn, meta, &k, &v, 0));
	}
	if (rc != 0)
		return xlate(rc);
	if (v.mv_size != 4)
		return GS_EVERSION;
	memcpy(buf, v.mv_data, 4);
	ver = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | buf[3];
	return ver == GS_STORE_SCHEMA_VERSION ? 0 : GS_EVERSION;
}

static bool
disk_low(gs_store *s)
{
	struct statvfs sv;
	const char *dir;

	if (mdb_env_get_path(s->env, &dir) != 0 || statvfs(dir, &sv) != 0)
		return false;
	return (uint64_t)sv.f_bavail * sv.f_frsize < GS_STORE_DISK_LOW_BYTES;
}

static bool
store_exists(const char *dir)
{
	char f[4096];
	int l = snprintf(f, sizeof(f), "%s/data.mdb", dir);

	return l > 0 && (size_t)l < sizeof(f) && access(f, F_OK) == 0;
}

int
gs_store_open(const char *dir, size_t map_bytes, gs_store **out)
{
	gs_store *s = NULL;
	MDB_txn *txn = NULL;
	unsigned int flags;
	int rc, i;

	if (out == NULL)
		return GS_EINVAL;
	*out = NULL;
	if (dir == NULL)
		return GS_EINVAL;
	if (map_bytes != 0 && map_bytes < GS_STORE_MAP_MIN_BYTES)
		return GS_EINVAL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return GS_ENOMEM;
	if ((rc = xlate(mdb_env_create(&s->env))) != 0) {
		s->env = NULL;
		goto out;
	}
	/* 0: an existing store keeps the map size it was last given (LMDB
	 * reads it from the file when none is set); a new one gets the
	 * default. */
	if (map_bytes == 0 && !store_exists(dir))
		map_bytes = GS_STORE_MAP_DEFAULT_BYTES;
	if ((rc = xlate(mdb_env_set_maxdbs(s->env, GS_DB__COUNT))) != 0 ||
	    (map_bytes != 0 &&
	    (rc = xlate(mdb_env_set_mapsize(s->env, map_bytes))) != 0))
		goto out;
	/*
	 * MDB_NOTLS: read txns are not tied to a thread's reader slot, so a
	 * caller may keep several open or hand one to another thread.
	 * No MDB_NOSYNC: a commit is durable when it returns, which the
	 * sync checkpoints rely on.
	 */
	if ((rc = xlate(mdb_env_open(s->env, dir, MDB_NOTLS, 0600))) != 0)
		goto out;
	if ((rc = xlate(mdb_txn_begin(s->env, NULL, 0, &txn))) != 0)
		goto out;
	for (i = 0; i < GS_DB__COUNT; i++) {
		rc = xlate(mdb_dbi_open(txn, db_spec[i].name,
		    MDB_CREATE | db_spec[i].flags, &s->dbi[i]));
		if (rc != 0)
			goto out;
		/*
		 * LMDB opens an existing database with its stored flags and
		 * ignores ours, so a caseidx made without MDB_DUPSORT would
		 * silently replace instead of adding duplicates.
		 */
		if ((rc = xlate(mdb_dbi_flags(txn, s->dbi[i], &flags))) != 0)
			goto out;
		if ((flags & MDB_DUPSORT) != (db_spec[i].flags & MDB_DUPSORT)) {
			rc = GS_EVERSION;
			goto out;
		}
		if (db_spec[i].flags & MDB_DUPSORT)
			s->dupsort |= 1u << i;
	}
	if ((rc = check_schema(txn, s->dbi[GS_DB_META])) != 0)
		goto out;
	rc = xlate(mdb_txn_commit(txn));
	txn = NULL;	/* commit frees it whether or not it succeeded */
	if (rc != 0)
		goto out;
	*out = s;
	s = NULL;
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (s != NULL) {
		if (s->env != NULL)
			mdb_env_close(s->env);
		free(s);
	}
	return rc;
}

void
gs_store_close(gs_store **s)
{
	if (s == NULL || *s == NULL)
		return;
	mdb_env_close((*s)->env);
	free(*s);
	*s = NULL;
}

int
gs_txn_begin(gs_store *s, int write, gs_txn **out)
{
	gs_txn *t;
	int rc;

	if (out == NULL)
		return GS_EINVAL;
	*out = NULL;
	if (s == NULL)
		return GS_EINVAL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return GS_ENOMEM;
	t->store = s;
	t->write = write != 0;
	rc = xlate(mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY,
	    &t->txn));
	if (rc != 0) {
		free(t);
		return rc;
	}
	*out = t;
	return 0;
}

/*
 * LMDB frees a write txn's cursors with the txn but wants a read txn's
 * cursors closed by hand; closing all of them here, and detaching the
 * wrappers, lets callers close a gs_cursor before or after its txn ends.
 */
static void
detach_cursors(gs_txn *t)
{
	struct gs_cursor *c, *next;

	for (c = t->cursors; c != NULL; c = next) {
		next = c->next;
		mdb_cursor_close(c->mc);
		c->mc = NULL;
		c->txn = NULL;
		c->next = NULL;
	}
	t->cursors = NULL;
}

int
gs_txn_commit(gs_txn **tp)
{
	gs_txn *t;
	int rc;

	if (tp == NULL || *tp == NULL)
		return GS_EINVAL;
	t = *tp;
	*tp = NULL;
	detach_cursors(t);
	if (t->failed != 0) {
		rc = t->failed;
		mdb_txn_abort(t->txn);
	} else
		rc = xlate(mdb_txn_commit(t->txn));
	/* LMDB reports a page write cut short by a full disk as a plain
	 * EIO: say which it was when the disk is nearly full. */
	if (rc == GS_EIO && disk_low(t->store))
		rc = GS_ENOSPACE;
	free(t);
	return rc;
}

void
gs_txn_abort(gs_txn **tp)
{
	if (tp == NULL || *tp == NULL)
		return;
	detach_cursors(*tp);
	mdb_txn_abort((*tp)->txn);
	free(*tp);
	*tp = NULL;
}

static void
set_val(MDB_val *m, const void *p, size_t len)
{
	/* LMDB's MDB_val is not const; it never writes through mv_data. */
	m->mv_data = (void *)(uintptr_t)p;
	m->mv_size = len;
}

static void
out_val(gs_val *v, const MDB_val *m)
{
	if (v != NULL) {
		v->data = m->mv_data;
		v->len = m->mv_size;
	}
}

int
gs_get(gs_txn *t, gs_db db, const void *k, size_t klen, gs_val *v)
{
	MDB_val mk, mv;
	int rc;

	if (t == NULL || !db_ok(db) || k == NULL)
		return GS_EINVAL;
	if (t->failed != 0)
		return t->failed;
	set_val(&mk, k, klen);
	rc = xlate(mdb_get(t->txn, t->store->dbi[db], &mk, &mv));
	if (rc == 0)
		out_val(v, &mv);
	return rc;
}

int
gs_put(gs_txn *t, gs_db db, const void *k, size_t klen,
    const void *v, size_t vlen)
{
	MDB_val mk, mv;
	unsigned int flags = 0;
	int rc;

	if (t == NULL || !db_ok(db) || k == NULL ||
	    (v == NULL && vlen != 0))
		return GS_EINVAL;
	if (!t->write)
		return GS_EINVAL;
	if (t->failed != 0)
		return t->failed;
	set_val(&mk, k, klen);
	set_val(&mv, v != NULL ? v : "", vlen);
	if (is_dupsort(t->store, db))
		flags = MDB_NODUPDATA;
	rc = mdb_put(t->txn, t->store->dbi[db], &mk, &mv, flags);
	/* The same duplicate already present: the index already says it. */
	if (rc == MDB_KEYEXIST && flags == MDB_NODUPDATA)
		rc = 0;
	rc = xlate(rc);
	if (is_fatal(rc))
		t->failed = rc;
	return rc;
}

int
gs_del(gs_txn *t, gs_db db, const void *k, size_t klen,
    const void *v, size_t vlen)
{
	MDB_val mk, mv;
	int rc;

	if (t == NULL || !db_ok(db) || k == NULL)
		return GS_EINVAL;
	if (!t->write)
		return GS_EINVAL;
	if (t->failed != 0)
		return t->failed;
	set_val(&mk, k, klen);
	set_val(&mv, v, vlen);
	rc = xlate(mdb_del(t->txn, t->store->dbi[db], &mk,
	    v != NULL ? &mv : NULL));
	if (is_fatal(rc))
		t->failed = rc;
	return rc;
}

int
gs_cursor_open(gs_txn *t, gs_db db, gs_cursor **out)
{
	gs_cursor *c;
	int rc;

	if (out == NULL)
		return GS_EINVAL;
	*out = NULL;
	if (t == NULL || !db_ok(db))
		return GS_EINVAL;
	if (t->failed != 0)
		return t->failed;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return GS_ENOMEM;
	rc = xlate(mdb_cursor_open(t->txn, t->store->dbi[db], &c->mc));
	if (rc != 0) {
		free(c);
		return rc;
	}
	c->txn = t;
	c->next = t->cursors;
	t->cursors = c;
	*out = c;
	return 0;
}

static int
cursor_get(gs_cursor *c, MDB_val *mk, gs_val *key, gs_val *val,
    MDB_cursor_op op)
{
	MDB_val mv;
	int rc;

	if (c == NULL || c->txn == NULL)
		return GS_EINVAL;
	if (c->txn->failed != 0)
		return c->txn->failed;
	rc = xlate(mdb_cursor_get(c->mc, mk, &mv, op));
	if (rc == 0) {
		out_val(key, mk);
		out_val(val, &mv);
	}
	return rc;
}

int
gs_cursor_seek(gs_cursor *c, const void *k, size_t klen, gs_val *key,
    gs_val *val)
{
	MDB_val mk;

	if (k == NULL) {
		set_val(&mk, NULL, 0);
		return cursor_get(c, &mk, key, val, MDB_FIRST);
	}
	set_val(&mk, k, klen);
	return cursor_get(c, &mk, key, val, MDB_SET_RANGE);
}

int
gs_cursor_next(gs_cursor *c, gs_val *key, gs_val *val)
{
	MDB_val mk;

	set_val(&mk, NULL, 0);
	return cursor_get(c, &mk, key, val, MDB_NEXT);
}

int
gs_cursor_prev(gs_cursor *c, gs_val *key, gs_val *val)
{
	MDB_val mk;

	set_val(&mk, NULL, 0);
	return cursor_get(c, &mk, key, val, MDB_PREV);
}

int
gs_cursor_last(gs_cursor *c, gs_val *key, gs_val *val)
{
	MDB_val mk;

	set_val(&mk, NULL, 0);
	return cursor_get(c, &mk, key, val, MDB_LAST);
}

void
gs_cursor_close(gs_cursor **cp)
{
	gs_cursor *c, **pp;

	if (cp == NULL || *cp == NULL)
		return;
	c = *cp;
	if (c->txn != NULL) {
		for (pp = &c->txn->cursors; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == c) {
				*pp = c->next;
				break;
			}
		}
		mdb_cursor_close(c->mc);
	}
	free(c);
	*cp = NULL;
}

int
gs_store_count(gs_txn *t, gs_db db, uint64_t *n)
{
	MDB_stat st;
	int rc;

	if (n == NULL)
		return GS_EINVAL;
	*n = 0;
	if (t == NULL || !db_ok(db))
		return GS_EINVAL;
	if (t->failed != 0)
		return t->failed;
	/* md_entries counts every data item, so every duplicate. */
	if ((rc = xlate(mdb_stat(t->txn, t->store->dbi[db], &st))) != 0)
		return rc;
	*n = st.ms_entries;
	return 0;
}

int
gs_store_usage(gs_store *s, size_t *map_bytes, size_t *used_bytes)
{
	MDB_envinfo info;
	MDB_stat st;
	int rc;

	if (map_bytes != NULL)
		*map_bytes = 0;
	if (used_bytes != NULL)
		*used_bytes = 0;
	if (s == NULL)
		return GS_EINVAL;
	if ((rc = xlate(mdb_env_info(s->env, &info))) != 0 ||
	    (rc = xlate(mdb_env_stat(s->env, &st))) != 0)
		return rc;
	if (map_bytes != NULL)
		*map_bytes = info.me_mapsize;
	if (used_bytes != NULL)
		*used_bytes = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
	return 0;
}
