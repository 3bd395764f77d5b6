/*
 * node.h: a node's data directory: identity, key and store.
 *
 * DIR holds the LMDB environment (data.mdb, lock.mdb) and node.key, the
 * Ed25519 secret key (64 bytes, mode 0600, kept in sodium_malloc memory
 * while open). The node's path, public key, trust root and parent live in
 * the store's `meta` database. Needs sodium_init(). One thread at a time.
 */
#ifndef GS_NODE_H
#define GS_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gs/store.h"

#define GS_NODE_KEY_FILE "node.key"
#define GS_NODE_MARK_FILE "own.seq"
#define GS_EPOCH_BYTES   16

typedef struct gs_node gs_node;

/* Creates a node in dir (created if missing; it must not already hold a
 * node: GS_EEXIST): a new key pair, the store, and meta. root_key NULL makes
 * this node its own trust root (path must then be a root path). */
int gs_node_create(const char *dir, const char *path, const uint8_t *root_key,
    size_t map_bytes, gs_node **out);

/* Opens an existing node: GS_ENOTFOUND when dir holds none, GS_EVERSION on
 * a schema mismatch, GS_EINVAL when node.key does not match meta. */
int gs_node_open(const char *dir, size_t map_bytes, gs_node **out);

/* Closes, wipes the secret key, NULLs *n. Safe on NULL. */
void gs_node_close(gs_node **n);

/* Borrowed; live as long as the node. */
gs_store *gs_node_store(const gs_node *n);
const char *gs_node_path(const gs_node *n);
const uint8_t *gs_node_key(const gs_node *n);       /* 32-byte public key */
const uint8_t *gs_node_root_key(const gs_node *n);  /* 32 bytes */
const uint8_t *gs_node_secret(const gs_node *n);    /* 64 bytes */

/* The own-seq mark beside the store, DIR/own.seq: the highest seq this
 * node has signed, written (fsync, atomic rename) after each local write.
 * A store put back from an older copy (data.mdb restored, the mark left)
 * shows an own seq below the mark, and ops refuses to sign until the
 * missing changes are back. get: 0 and *seq 0 when there is no mark;
 * GS_EIO, GS_EBADMSG. put: 0 or GS_EIO. */
int gs_node_mark_get(const gs_node *n, uint64_t *seq);
int gs_node_mark_put(const gs_node *n, uint64_t seq);

/* Typed access to the `meta` database within a transaction. get returns
 * GS_ENOTFOUND when absent (u64: *v is then 0). */
int gs_meta_get_u64(gs_txn *t, const char *name, uint64_t *v);
int gs_meta_put_u64(gs_txn *t, const char *name, uint64_t v);
int gs_meta_get_str(gs_txn *t, const char *name, char *buf, size_t cap);
int gs_meta_put_str(gs_txn *t, const char *name, const char *s);
int gs_meta_get_bytes(gs_txn *t, const char *name, uint8_t *buf, size_t len);
int gs_meta_put_bytes(gs_txn *t, const char *name, const uint8_t *buf,
    size_t len);

#endif
