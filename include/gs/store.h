/*
 * store.h: the node's LMDB environment and its named databases.
 *
 * A generic key/value layer: it knows nothing of cases or sync. One
 * environment per node data dir, opened with a fixed set of named
 * databases. Every write happens inside one write transaction that commits
 * all or nothing; MDB_MAP_FULL becomes GS_EFULL and the caller must abort.
 * A schema version record in `meta` is checked at open (GS_EVERSION).
 *
 * Values returned by gs_get and cursors are borrowed: they live only until
 * the transaction ends. Copy before commit or abort. A gs_store may be used
 * by one thread at a time; LMDB itself allows several processes.
 */
#ifndef GS_STORE_H
#define GS_STORE_H

#include <stddef.h>
#include <stdint.h>

#define GS_STORE_SCHEMA_VERSION   5  /* 5: visibility grants of conflicting whistles and dispatches (fold) */
#define GS_STORE_MAP_DEFAULT_BYTES ((size_t)1 << 30)  /* 1 GiB */
#define GS_STORE_MAP_MIN_BYTES     ((size_t)1 << 20)

typedef enum gs_db {
	GS_DB_CHANGES,   /* change id (32) -> envelope bytes */
	GS_DB_FEED,      /* local seq (u64 BE) -> change id + source path */
	GS_DB_ORIGIN,    /* origin key (32) + seq (u64 BE) -> change id; dupsort */
	GS_DB_CASEIDX,   /* case id -> change id; dupsort */
	GS_DB_CASES,     /* case id -> packed Gs__Case projection */
	GS_DB_ROSTER,    /* key (32) -> packed Gs__RosterEntry */
	GS_DB_PENDING,   /* change id -> envelope by a not yet known signer */
	GS_DB_REJECTS,   /* envelope hash -> packed Gs__Reject */
	GS_DB_META,      /* name -> value */
	GS_DB_CHECKPOINTS, /* neighbour path -> its feed epoch (16) + upto (u64 BE) */
	GS_DB_LINKS,     /* neighbour path -> packed Gs__Link */
	GS_DB_RECORDS,   /* records.h's keys -> hlc + origin + seq + id; dupsort */
	GS_DB_REQUESTS,  /* client request id -> ops.h's request record */
	GS_DB__COUNT
} gs_db;

typedef struct gs_store gs_store;
typedef struct gs_txn gs_txn;
typedef struct gs_cursor gs_cursor;

/* A borrowed byte range. */
typedef struct gs_val {
	const void *data;
	size_t      len;
} gs_val;

/* Opens (creating if needed) the environment in directory dir, which must
 * exist. map_bytes 0: an existing store keeps the map size it was last
 * opened with (LMDB records it in the file), a new one gets
 * GS_STORE_MAP_DEFAULT_BYTES; another value sets the map size (it is
 * recorded at the next commit); below GS_STORE_MAP_MIN_BYTES is GS_EINVAL. Writes the schema version on first
 * open; a different stored version is GS_EVERSION. *out is NULL on failure. */
int gs_store_open(const char *dir, size_t map_bytes, gs_store **out);

/* Closes and NULLs *s. Safe on NULL. */
void gs_store_close(gs_store **s);

/* Begins a read (write = 0) or write transaction. One write transaction at
 * a time per environment (LMDB serialises writers across processes). */
int gs_txn_begin(gs_store *s, int write, gs_txn **out);

/* Below this much free space on the store's disk, a commit's I/O error is
 * reported as GS_ENOSPACE. */
#define GS_STORE_DISK_LOW_BYTES (4u << 20)

/* Commits and frees; on failure (GS_EFULL, GS_ENOSPACE, GS_EIO) nothing was
 * written.
 * *t is NULL afterwards either way. After any call in the transaction
 * returned GS_EFULL (or GS_EIO, GS_ENOMEM) the transaction is dead: every
 * later call on it returns that code and commit writes nothing. */
int gs_txn_commit(gs_txn **t);

/* Aborts and frees; safe on NULL. */
void gs_txn_abort(gs_txn **t);

/* Looks up k: 0 with *v borrowed, or GS_ENOTFOUND. For dupsort databases,
 * the first duplicate. */
int gs_get(gs_txn *t, gs_db db, const void *k, size_t klen, gs_val *v);

/* Stores k -> v, replacing an existing value (for dupsort databases, adding
 * a duplicate; an identical duplicate is not an error). GS_EFULL when the
 * map is full; GS_EINVAL in a read transaction, for an empty key, or a key
 * (or dupsort value) over LMDB's 511-byte limit. */
int gs_put(gs_txn *t, gs_db db, const void *k, size_t klen,
    const void *v, size_t vlen);

/* Deletes k (v NULL: all its values; else that one duplicate). 0 or
 * GS_ENOTFOUND. */
int gs_del(gs_txn *t, gs_db db, const void *k, size_t klen,
    const void *v, size_t vlen);

/* Cursors: positioned by seek (first key >= k, or first key if k is NULL),
 * next, prev (next and prev on a cursor that ran off an end return
 * GS_ENOTFOUND) and last; each returns 0 with borrowed key and value, or
 * GS_ENOTFOUND at the end. next walks every duplicate of a dupsort db
 * (next on a cursor not yet positioned starts at the first entry). A cursor
 * may be closed before or after its transaction ends; once the transaction
 * has ended, moving it returns GS_EINVAL. key and val may be NULL. */
int gs_cursor_open(gs_txn *t, gs_db db, gs_cursor **out);
int gs_cursor_seek(gs_cursor *c, const void *k, size_t klen, gs_val *key,
    gs_val *val);
int gs_cursor_next(gs_cursor *c, gs_val *key, gs_val *val);
int gs_cursor_prev(gs_cursor *c, gs_val *key, gs_val *val);
int gs_cursor_last(gs_cursor *c, gs_val *key, gs_val *val);
void gs_cursor_close(gs_cursor **c);

/* Number of entries in db (all duplicates counted). */
int gs_store_count(gs_txn *t, gs_db db, uint64_t *n);

/* Map size and bytes used by the environment, for reporting. */
int gs_store_usage(gs_store *s, size_t *map_bytes, size_t *used_bytes);

/* Big-endian u64 keys so LMDB's byte order is numeric order. */
static inline void gs_be64_put(uint8_t b[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

static inline uint64_t gs_be64_get(const uint8_t b[8])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | b[i];
	return v;
}

#endif
