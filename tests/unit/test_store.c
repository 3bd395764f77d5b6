/*
 * test_store.c: the LMDB store layer.
 */
#include <dirent.h>
#include <stdint.h>
#include <unistd.h>

#include <lmdb.h>

#include "gs/error.h"
#include "gs/store.h"
#include "gs_test.h"

static char tmpdir[64];

static void
dir_new(void)
{
	strcpy(tmpdir, "/tmp/gs_test_store.XXXXXX");
	GS_CHECK(mkdtemp(tmpdir) != NULL);
}

static void
dir_remove(void)
{
	DIR *d;
	struct dirent *e;
	char path[512];

	GS_CHECK((d = opendir(tmpdir)) != NULL);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		GS_CHECK_EQ(unlink(path), 0);
	}
	closedir(d);
	GS_CHECK_EQ(rmdir(tmpdir), 0);
}

static void
test_open_close(void)
{
	gs_store *s = NULL;
	size_t map = 0, used = 0;
	char path[512];

	dir_new();
	GS_CHECK_EQ(gs_store_open(tmpdir, 0, &s), 0);
	GS_CHECK(s != NULL);
	snprintf(path, sizeof(path), "%s/data.mdb", tmpdir);
	GS_CHECK_EQ(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/lock.mdb", tmpdir);
	GS_CHECK_EQ(access(path, F_OK), 0);
	GS_CHECK_EQ(gs_store_usage(s, &map, &used), 0);
	GS_CHECK_EQ(map, GS_STORE_MAP_DEFAULT_BYTES);
	GS_CHECK(used > 0 && used < map);
	gs_store_close(&s);
	GS_CHECK(s == NULL);
	gs_store_close(&s);	/* safe on NULL */

	s = (gs_store *)1;
	GS_CHECK_EQ(gs_store_open(tmpdir, GS_STORE_MAP_MIN_BYTES - 1, &s),
	    GS_EINVAL);
	GS_CHECK(s == NULL);
	dir_remove();

	/* The directory must exist. */
	s = (gs_store *)1;
	GS_CHECK_EQ(gs_store_open("/nonexistent/gs_test_store", 0, &s), GS_EIO);
	GS_CHECK(s == NULL);
}

static void
test_put_get_del(void)
{
	gs_store *s = NULL;
	gs_txn *t = NULL;
	gs_val v;
	uint64_t n;
	char bigkey[512];

	dir_new();
	GS_CHECK_EQ(gs_store_open(tmpdir, 0, &s), 0);
	GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
	GS_CHECK_EQ(gs_get(t, GS_DB_CASES, "k1", 2, &v), GS_ENOTFOUND);
	GS_CHECK_EQ(gs_put(t, GS_DB_CASES, "k1", 2, "hello", 5), 0);
	GS_CHECK_EQ(gs_get(t, GS_DB_CASES, "k1", 2, &v), 0);
	GS_CHECK_EQ(v.len, 5);
	GS_CHECK(memcmp(v.data, "hello", 5) == 0);
	/* Plain databases replace. */
	GS_CHECK_EQ(gs_put(t, GS_DB_CASES, "k1", 2, "bye", 3), 0);
	GS_CHECK_EQ(gs_get(t, GS_DB_CASES, "k1", 2, &v), 0);
	GS_CHECK_EQ(v.len, 3);
	GS_CHECK(memcmp(v.data, "bye", 3) == 0);
	GS_CHECK_EQ(gs_store_count(t, GS_DB_CASES, &n), 0);
	GS_CHECK_EQ(n, 1);
	/* Databases are separate. */
	GS_CHECK_EQ(gs_get(t, GS_DB_ROSTER, "k1", 2, &v), GS_ENOTFOUND);
	GS_CHECK_EQ(gs_del(t, GS_DB_ROSTER, "k1", 2, NULL, 0), GS_ENOTFOUND);
	GS_CHECK_EQ(gs_del(t, GS_DB_CASES, "k1", 2, NULL, 0), 0);
	GS_CHECK_EQ(gs_get(t, GS_DB_CASES, "k1", 2, &v), GS_ENOTFOUND);
	GS_CHECK_EQ(gs_del(t, GS_DB_CASES, "k1", 2, NULL, 0), GS_ENOTFOUND);
	/* An empty value is a value. */
	GS_CHECK_EQ(gs_put(t, GS_DB_META, "empty", 5, NULL, 0), 0);
	GS_CHECK_EQ(gs_get(t, GS_DB_META, "empty", 5, &v), 0);
	GS_CHECK_EQ(v.len, 0);
	/* Bad arguments. */
	GS_CHECK_EQ(gs_put(t, GS_DB_CASES, "", 0, "x", 1), GS_EINVAL);
	GS_CHECK_EQ(gs_put(t, GS_DB__COUNT, "k", 1, "x", 1), GS_EINVAL);
	memset(bigkey, 'k', sizeof(bigkey));
	GS_CHECK_EQ(gs_put(t, GS_DB_CASES, bigkey, 511, "x", 1), 0);
	GS_CHECK_EQ(gs_put(t, GS_DB_CASES, bigkey, 512, "x", 1), GS_EINVAL);
	GS_CHECK_EQ(gs_put(t, GS_DB_CASEIDX, "k", 1, bigkey, 512), GS_EINVAL);
	/* Those refusals did not poison the transaction. */
	GS_CHECK_EQ(gs_del(t, GS_DB_CASES, bigkey, 511, NULL, 0), 0);
	GS_CHECK_EQ(gs_txn_commit(&t), 0);
	GS_CHECK(t == NULL);

	/* A read txn sees committed data and refuses writes. */
	GS_CHECK_EQ(gs_txn_begin(s, 0, &t), 0);
	GS_CHECK_EQ(gs_get(t, GS_DB_META, "empty", 5, &v), 0);
	GS_CHECK_EQ(gs_put(t, GS_DB_META, "x", 1, "y", 1), GS_EINVAL);
	GS_CHECK_EQ(gs_del(t, GS_DB_META, "empty", 5, NULL, 0), GS_EINVAL);
	gs_txn_abort(&t);
	GS_CHECK(t == NULL);
	gs_txn_abort(&t);	/* safe on NULL */
	gs_store_close(&s);
	dir_remove();
}

static void
id32(uint8_t id[32], int b)
{
	memset(id, b, 32);
}

static void
test_dupsort(void)
{
	gs_store *s = NULL;
	gs_txn *t = NULL;
	gs_cursor *c = NULL;
	gs_val k, v;
	uint8_t a[32], b[32], d[32];
	const char *cid = "q/c/x#01JD3ZZZZZZZZZZZZZZZZZZZ";
	const char *other = "q/c/y#01JD3ZZZZZZZZZZZZZZZZZZZ";
	uint64_t n;
	int seen;

	dir_new();
	GS_CHECK_EQ(gs_store_open(tmpdir, 0, &s), 0);
	GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
	id32(a, 0xaa);
	id32(b, 0xbb);
	id32(d, 0xdd);
	/* Inserted out of order: duplicates come back sorted. */
	GS_CHECK_EQ(gs_put(t, GS_DB_CASEIDX, cid, strlen(cid), d, 32), 0);
	GS_CHECK_EQ(gs_put(t, GS_DB_CASEIDX, cid, strlen(cid), a, 32), 0);
	GS_CHECK_EQ(gs_put(t, GS_DB_CASEIDX, cid, strlen(cid), b, 32), 0);
	GS_CHECK_EQ(gs_put(t, GS_DB_CASEIDX, other, strlen(other), a, 32), 0);
	/* An identical duplicate is not an error and not counted twice. */
	GS_CHECK_EQ(gs_put(t, GS_DB_CASEIDX, cid, strlen(cid), b, 32), 0);
	GS_CHECK_EQ(gs_store_count(t, GS_DB_CASEIDX, &n), 0);
	GS_CHECK_EQ(n, 4);
	/* get returns the first duplicate. */
	GS_CHECK_EQ(gs_get(t, GS_DB_CASEIDX, cid, strlen(cid), &v), 0);
	GS_CHECK_EQ(v.len, 32);
	GS_CHECK(memcmp(v.data, a, 32) == 0);
	GS_CHECK_EQ(gs_txn_commit(&t), 0);

	GS_CHECK_EQ(gs_txn_begin(s, 0, &t), 0);
	GS_CHECK_EQ(gs_cursor_open(t, GS_DB_CASEIDX, &c), 0);
	GS_CHECK_EQ(gs_cursor_seek(c, cid, strlen(cid), &k, &v), 0);
	seen = 0;
	do {
		if (k.len != strlen(cid) || memcmp(k.data, cid, k.len) != 0)
			break;
		GS_CHECK_EQ(v.len, 32);
		GS_CHECK_EQ(((const uint8_t *)v.data)[0],
		    seen == 0 ? 0xaa : seen == 1 ? 0xbb : 0xdd);
		seen++;
	} while (gs_cursor_next(c, &k, &v) == 0);
	GS_CHECK_EQ(seen, 3);
	/* The walk went on to the next key's duplicate. */
	GS_CHECK_EQ(k.len, strlen(other));
	GS_CHECK(memcmp(k.data, other, k.len) == 0);
	GS_CHECK_EQ(gs_cursor_next(c, &k, &v), GS_ENOTFOUND);
	gs_cursor_close(&c);
	GS_CHECK(c == NULL);
	gs_txn_abort(&t);

	/* Deleting one duplicate, then all of a key. */
	GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
	GS_CHECK_EQ(gs_del(t, GS_DB_CASEIDX, cid, strlen(cid), a, 32), 0);
	GS_CHECK_EQ(gs_del(t, GS_DB_CASEIDX, cid, strlen(cid), a, 32),
	    GS_ENOTFOUND);
	GS_CHECK_EQ(gs_get(t, GS_DB_CASEIDX, cid, strlen(cid), &v), 0);
	GS_CHECK(memcmp(v.data, b, 32) == 0);
	GS_CHECK_EQ(gs_store_count(t, GS_DB_CASEIDX, &n), 0);
	GS_CHECK_EQ(n, 3);
	GS_CHECK_EQ(gs_del(t, GS_DB_CASEIDX, cid, strlen(cid), NULL, 0), 0);
	GS_CHECK_EQ(gs_store_count(t, GS_DB_CASEIDX, &n), 0);
	GS_CHECK_EQ(n, 1);
	GS_CHECK_EQ(gs_txn_commit(&t), 0);
	gs_store_close(&s);
	dir_remove();
}

static void
test_cursor_order(void)
{
	gs_store *s = NULL;
	gs_txn *t = NULL;
	gs_cursor *c = NULL;
	gs_val k, v;
	uint8_t key[8], id[32];
	uint64_t seq, want;
	/* Numeric order differs from little-endian byte order here. */
	static const uint64_t seqs[] = { 256, 1, 2, 65536, 255, 3 };
	size_t i;

	dir_new();
	GS_CHECK_EQ(gs_store_open(tmpdir, 0, &s), 0);
	GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		gs_be64_put(key, seqs[i]);
		id32(id, (int)i);
		GS_CHECK_EQ(gs_put(t, GS_DB_FEED, key, 8, id, 32), 0);
	}
	GS_CHECK_EQ(gs_txn_commit(&t), 0);

	GS_CHECK_EQ(gs_txn_begin(s, 0, &t), 0);
	GS_CHECK_EQ(gs_cursor_open(t, GS_DB_FEED, &c), 0);
	/* Seek to the first seq >= 4. */
	gs_be64_put(key, 4);
	GS_CHECK_EQ(gs_cursor_seek(c, key, 8, &k, &v), 0);
	GS_CHECK_EQ(k.len, 8);
	GS_CHECK_EQ(gs_be64_get(k.data), 255);
	GS_CHECK_EQ(v.len, 32);
	GS_CHECK_EQ(((const uint8_t *)v.data)[0], 4);
	GS_CHECK_EQ(gs_cursor_next(c, &k, &v), 0);
	GS_CHECK_EQ(gs_be64_get(k.data), 256);
	GS_CHECK_EQ(gs_cursor_next(c, &k, &v), 0);
	GS_CHECK_EQ(gs_be64_get(k.data), 65536);
	GS_CHECK_EQ(gs_cursor_next(c, &k, &v), GS_ENOTFOUND);
	/* Seek past the end. */
	gs_be64_put(key, 65537);
	GS_CHECK_EQ(gs_cursor_seek(c, key, 8, &k, &v), GS_ENOTFOUND);
	/* A NULL key seeks to the first; then the walk is in numeric order. */
	GS_CHECK_EQ(gs_cursor_seek(c, NULL, 0, &k, &v), 0);
	want = 0;
	i = 0;
	do {
		seq = gs_be64_get(k.data);
		GS_CHECK(seq > want);
		want = seq;
		i++;
	} while (gs_cursor_next(c, &k, &v) == 0);
	GS_CHECK_EQ(i, 6);
	GS_CHECK_EQ(gs_cursor_last(c, &k, &v), 0);
	GS_CHECK_EQ(gs_be64_get(k.data), 65536);
	GS_CHECK_EQ(((const uint8_t *)v.data)[0], 3);
	/* Closing the cursor after its read txn ended is allowed. */
	gs_txn_abort(&t);
	GS_CHECK_EQ(gs_cursor_next(c, &k, &v), GS_EINVAL);
	gs_cursor_close(&c);
	GS_CHECK(c == NULL);

	/* An empty database has no first and no last. */
	GS_CHECK_EQ(gs_txn_begin(s, 0, &t), 0);
	GS_CHECK_EQ(gs_cursor_open(t, GS_DB_PENDING, &c), 0);
	GS_CHECK_EQ(gs_cursor_seek(c, NULL, 0, &k, &v), GS_ENOTFOUND);
	GS_CHECK_EQ(gs_cursor_last(c, &k, &v), GS_ENOTFOUND);
	gs_cursor_close(&c);
	gs_txn_abort(&t);

	/* A write txn's cursor, closed after commit. */
	GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
	GS_CHECK_EQ(gs_cursor_open(t, GS_DB_FEED, &c), 0);
	GS_CHECK_EQ(gs_cursor_last(c, &k, &v), 0);
	GS_CHECK_EQ(gs_be64_get(k.data), 65536);
	GS_CHECK_EQ(gs_txn_commit(&t), 0);
	gs_cursor_close(&c);
	gs_store_close(&s);
	dir_remove();
}

static void
test_atomic_abort_and_reopen(void)
{
	gs_store *s = NULL;
	gs_txn *t = NULL;
	gs_val v;
	uint8_t key[8];
	uint64_t n, i;

	dir_new();
	GS_CHECK_EQ(gs_store_open(tmpdir, 0, &s), 0);
	GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
	for (i = 1; i <= 10; i++) {
		gs_be64_put(key, i);
		GS_CHECK_EQ(gs_put(t, GS_DB_FEED, key, 8, "id", 2), 0);
	}
	GS_CHECK_EQ(gs_store_count(t, GS_DB_FEED, &n), 0);
	GS_CHECK_EQ(n, 10);
	gs_txn_abort(&t);
	GS_CHECK_EQ(gs_txn_begin(s, 0, &t), 0);
	GS_CHECK_EQ(gs_store_count(t, GS_DB_FEED, &n), 0);
	GS_CHECK_EQ(n, 0);
	gs_be64_put(key, 1);
	GS_CHECK_EQ(gs_get(t, GS_DB_FEED, key, 8, &v), GS_ENOTFOUND);
	gs_txn_abort(&t);

	GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
	GS_CHECK_EQ(gs_put(t, GS_DB_CHANGES, "abc", 3, "envelope", 8), 0);
	GS_CHECK_EQ(gs_txn_commit(&t), 0);
	gs_store_close(&s);

	GS_CHECK_EQ(gs_store_open(tmpdir, 0, &s), 0);
	GS_CHECK_EQ(gs_txn_begin(s, 0, &t), 0);
	GS_CHECK_EQ(gs_get(t, GS_DB_CHANGES, "abc", 3, &v), 0);
	GS_CHECK_EQ(v.len, 8);
	GS_CHECK(memcmp(v.data, "envelope", 8) == 0);
	/* The schema record was written at first open. */
	GS_CHECK_EQ(gs_get(t, GS_DB_META, "schema", 6, &v), 0);
	GS_CHECK_EQ(v.len, 4);
	GS_CHECK(memcmp(v.data, "\0\0\0\5", 4) == 0);
	gs_txn_abort(&t);
	gs_store_close(&s);
	dir_remove();
}

static void
test_schema_mismatch(void)
{
	gs_store *s = NULL;
	gs_txn *t = NULL;
	static const uint8_t v999[4] = { 0, 0, 0x03, 0xe7 };

	dir_new();
	GS_CHECK_EQ(gs_store_open(tmpdir, 0, &s), 0);
	GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
	GS_CHECK_EQ(gs_put(t, GS_DB_META, "schema", 6, v999, 4), 0);
	GS_CHECK_EQ(gs_txn_commit(&t), 0);
	gs_store_close(&s);

	s = (gs_store *)1;
	GS_CHECK_EQ(gs_store_open(tmpdir, 0, &s), GS_EVERSION);
	GS_CHECK(s == NULL);
	/* And it stays refused: nothing was overwritten. */
	s = (gs_store *)1;
	GS_CHECK_EQ(gs_store_open(tmpdir, 0, &s), GS_EVERSION);
	GS_CHECK(s == NULL);
	dir_remove();
}

/*
 * A file made by another program with a plain (not dupsort) caseidx: LMDB
 * would open it with its stored flags, so it must read as another schema
 * rather than silently replace index entries.
 */
static void
test_incompatible_layout(void)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	gs_store *s = NULL;

	dir_new();
	GS_CHECK_EQ(mdb_env_create(&env), 0);
	GS_CHECK_EQ(mdb_env_set_maxdbs(env, 4), 0);
	GS_CHECK_EQ(mdb_env_open(env, tmpdir, 0, 0600), 0);
	GS_CHECK_EQ(mdb_txn_begin(env, NULL, 0, &txn), 0);
	GS_CHECK_EQ(mdb_dbi_open(txn, "caseidx", MDB_CREATE, &dbi), 0);
	GS_CHECK_EQ(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	s = (gs_store *)1;
	GS_CHECK_EQ(gs_store_open(tmpdir, 0, &s), GS_EVERSION);
	GS_CHECK(s == NULL);
	dir_remove();
}

static void
test_map_full(void)
{
	gs_store *s = NULL;
	gs_txn *t = NULL;
	gs_cursor *c = NULL;
	gs_val v;
	static uint8_t big[4096];
	uint8_t key[8];
	uint64_t n, i, committed;
	size_t map, used;
	int rc;

	dir_new();
	memset(big, 0x5a, sizeof(big));
	GS_CHECK_EQ(gs_store_open(tmpdir, GS_STORE_MAP_MIN_BYTES, &s), 0);
	GS_CHECK_EQ(gs_store_usage(s, &map, &used), 0);
	GS_CHECK_EQ(map, GS_STORE_MAP_MIN_BYTES);

	/* Some data committed first, which must survive. */
	GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
	for (i = 0; i < 20; i++) {
		gs_be64_put(key, i);
		GS_CHECK_EQ(gs_put(t, GS_DB_CHANGES, key, 8, big, sizeof(big)),
		    0);
	}
	GS_CHECK_EQ(gs_txn_commit(&t), 0);
	committed = 20;

	/* One txn that writes until the map is full. */
	GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
	rc = 0;
	for (i = committed; i < 10000; i++) {
		gs_be64_put(key, i);
		rc = gs_put(t, GS_DB_CHANGES, key, 8, big, sizeof(big));
		if (rc != 0)
			break;
	}
	GS_CHECK_EQ(rc, GS_EFULL);
	GS_CHECK(i > committed && i < 300);
	/* The txn is dead: every later call says so, even a tiny one. */
	GS_CHECK_EQ(gs_put(t, GS_DB_META, "x", 1, "y", 1), GS_EFULL);
	GS_CHECK_EQ(gs_get(t, GS_DB_CHANGES, key, 8, &v), GS_EFULL);
	GS_CHECK_EQ(gs_del(t, GS_DB_CHANGES, key, 8, NULL, 0), GS_EFULL);
	GS_CHECK_EQ(gs_store_count(t, GS_DB_CHANGES, &n), GS_EFULL);
	GS_CHECK_EQ(gs_cursor_open(t, GS_DB_CHANGES, &c), GS_EFULL);
	GS_CHECK(c == NULL);
	GS_CHECK_EQ(gs_txn_commit(&t), GS_EFULL);
	GS_CHECK(t == NULL);
	gs_store_close(&s);

	GS_CHECK_EQ(gs_store_open(tmpdir, GS_STORE_MAP_MIN_BYTES, &s), 0);
	GS_CHECK_EQ(gs_txn_begin(s, 0, &t), 0);
	GS_CHECK_EQ(gs_store_count(t, GS_DB_CHANGES, &n), 0);
	GS_CHECK_EQ(n, committed);
	for (i = 0; i < committed; i++) {
		gs_be64_put(key, i);
		GS_CHECK_EQ(gs_get(t, GS_DB_CHANGES, key, 8, &v), 0);
		GS_CHECK_EQ(v.len, sizeof(big));
		GS_CHECK(memcmp(v.data, big, sizeof(big)) == 0);
	}
	gs_be64_put(key, committed);
	GS_CHECK_EQ(gs_get(t, GS_DB_CHANGES, key, 8, &v), GS_ENOTFOUND);
	GS_CHECK_EQ(gs_get(t, GS_DB_META, "x", 1, &v), GS_ENOTFOUND);
	gs_txn_abort(&t);

	/* A small txn still commits. */
	GS_CHECK_EQ(gs_txn_begin(s, 1, &t), 0);
	GS_CHECK_EQ(gs_put(t, GS_DB_META, "x", 1, "y", 1), 0);
	GS_CHECK_EQ(gs_txn_commit(&t), 0);
	GS_CHECK_EQ(gs_txn_begin(s, 0, &t), 0);
	GS_CHECK_EQ(gs_get(t, GS_DB_META, "x", 1, &v), 0);
	GS_CHECK_EQ(v.len, 1);
	GS_CHECK_EQ(gs_store_count(t, GS_DB_CHANGES, &n), 0);
	GS_CHECK_EQ(n, committed);
	gs_txn_abort(&t);
	GS_CHECK_EQ(gs_store_usage(s, &map, &used), 0);
	GS_CHECK(used <= map);
	gs_store_close(&s);
	dir_remove();
}

static void
test_strerror(void)
{
	int e;

	for (e = GS_EREVOKED; e <= GS_OK; e++) {
		GS_CHECK(gs_strerror(e) != NULL);
		GS_CHECK(strcmp(gs_strerror(e), "Unknown error.") != 0);
	}
	GS_CHECK_STR(gs_strerror(GS_EFULL),
	    "The store's map is full; the transaction was not applied.");
	GS_CHECK_STR(gs_strerror(GS_ENOTFOUND), "No such record was found.");
	GS_CHECK_STR(gs_strerror(-999), "Unknown error.");
	GS_CHECK_STR(gs_strerror(1), "Unknown error.");
}

int
main(void)
{
	GS_RUN(test_open_close);
	GS_RUN(test_put_get_del);
	GS_RUN(test_dupsort);
	GS_RUN(test_cursor_order);
	GS_RUN(test_atomic_abort_and_reopen);
	GS_RUN(test_schema_mismatch);
	GS_RUN(test_incompatible_layout);
	GS_RUN(test_map_full);
	GS_RUN(test_strerror);
	return 0;
}
