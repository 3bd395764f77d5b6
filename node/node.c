/*
 * node.c: opening and creating a node's data directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "gs/change.h"
#include "gs/error.h"
#include "gs/node.h"
#include "gs/path.h"

struct gs_node {
	gs_store *store;
	char      dir[PATH_MAX];
	char      path[GS_PATH_MAX_BYTES + 1];
	uint8_t   key[GS_KEY_BYTES];
	uint8_t   root[GS_KEY_BYTES];
	uint8_t  *secret;   /* sodium_malloc'd, GS_SECRET_BYTES */
};

int
gs_meta_get_u64(gs_txn *t, const char *name, uint64_t *v)
{
	gs_val val;
	int rc;

	*v = 0;
	rc = gs_get(t, GS_DB_META, name, strlen(name), &val);
	if (rc != 0)
		return rc;
	if (val.len != 8)
		return GS_EBADMSG;
	*v = gs_be64_get(val.data);
	return 0;
}

int
gs_meta_put_u64(gs_txn *t, const char *name, uint64_t v)
{
	uint8_t b[8];

	gs_be64_put(b, v);
	return gs_put(t, GS_DB_META, name, strlen(name), b, sizeof(b));
}

int
gs_meta_get_str(gs_txn *t, const char *name, char *buf, size_t cap)
{
	gs_val val;
	int rc;

	buf[0] = '\0';
	rc = gs_get(t, GS_DB_META, name, strlen(name), &val);
	if (rc != 0)
		return rc;
	if (val.len >= cap)
		return GS_ETOOBIG;
	memcpy(buf, val.data, val.len);
	buf[val.len] = '\0';
	return 0;
}

int
gs_meta_put_str(gs_txn *t, const char *name, const char *s)
{
	return gs_put(t, GS_DB_META, name, strlen(name), s, strlen(s));
}

int
gs_meta_get_bytes(gs_txn *t, const char *name, uint8_t *buf, size_t len)
{
	gs_val val;
	int rc;

	rc = gs_get(t, GS_DB_META, name, strlen(name), &val);
	if (rc != 0)
		return rc;
	if (val.len != len)
		return GS_EBADMSG;
	memcpy(buf, val.data, len);
	return 0;
}

int
gs_meta_put_bytes(gs_txn *t, const char *name, const uint8_t *buf, size_t len)
{
	return gs_put(t, GS_DB_META, name, strlen(name), buf, len);
}

static int
key_file(const char *dir, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s", dir, GS_NODE_KEY_FILE);

	return n < 0 || (size_t)n >= cap ? GS_ETOOBIG : 0;
}

/* Creates dir and its missing parents, like mkdir -p; the node's own
 * directory is private (0700). */
static int
mkdir_p(const char *dir)
{
	char buf[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(buf))
		return GS_EINVAL;
	memcpy(buf, dir, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return GS_EIO;
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return GS_EIO;
	return 0;
}

static gs_node *
node_alloc(void)
{
	gs_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->secret = sodium_malloc(GS_SECRET_BYTES);
	if (n->secret == NULL) {
		free(n);
		return NULL;
	}
	return n;
}

void
gs_node_close(gs_node **np)
{
	gs_node *n;

	if (np == NULL || (n = *np) == NULL)
		return;
	gs_store_close(&n->store);
	sodium_free(n->secret);   /* wipes before freeing */
	free(n);
	*np = NULL;
}

int
gs_node_create(const char *dir, const char *path, const uint8_t *root_key,
    size_t map_bytes, gs_node **out)
{
	char kf[PATH_MAX];
	gs_node *n = NULL;
	gs_txn *t = NULL;
	uint8_t epoch[GS_EPOCH_BYTES];
	int fd = -1, rc;

	*out = NULL;
	if (gs_path_valid(path) != 0)
		return GS_EINVAL;
	if (root_key == NULL && gs_path_depth(path) != 1)
		return GS_EINVAL;
	if ((rc = mkdir_p(dir)) != 0)
		return rc;
	if ((rc = key_file(dir, kf, sizeof(kf))) != 0)
		return rc;
	if ((n = node_alloc()) == NULL)
		return GS_ENOMEM;
	/* O_EXCL: never overwrite an existing node's key. */
	fd = open(kf, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		rc = errno == EEXIST ? GS_EEXIST : GS_EIO;
		goto out;
	}
	crypto_sign_keypair(n->key, n->secret);
	if (write(fd, n->secret, GS_SECRET_BYTES) != GS_SECRET_BYTES ||
	    fsync(fd) != 0) {
		rc = GS_EIO;
		goto out;
	}
	memcpy(n->root, root_key ? root_key : n->key, GS_KEY_BYTES);
	snprintf(n->path, sizeof(n->path), "%s", path);
	snprintf(n->dir, sizeof(n->dir), "%s", dir);
	if ((rc = gs_store_open(dir, map_bytes, &n->store)) != 0)
		goto out;
	randombytes_buf(epoch, sizeof(epoch));
	if ((rc = gs_txn_begin(n->store, 1, &t)) != 0 ||
	    (rc = gs_meta_put_str(t, "path", path)) != 0 ||
	    (rc = gs_meta_put_bytes(t, "key", n->key, GS_KEY_BYTES)) != 0 ||
	    (rc = gs_meta_put_bytes(t, "root_key", n->root, GS_KEY_BYTES)) != 0 ||
	    (rc = gs_meta_put_bytes(t, "epoch", epoch, sizeof(epoch))) != 0 ||
	    (rc = gs_txn_commit(&t)) != 0)
		goto out;
	*out = n;
	n = NULL;
out:
	gs_txn_abort(&t);
	if (fd >= 0)
		close(fd);
	if (n != NULL) {
		if (rc != GS_EEXIST)
			unlink(kf);
		gs_node_close(&n);
	}
	return rc;
}

int
gs_node_open(const char *dir, size_t map_bytes, gs_node **out)
{
	char kf[PATH_MAX];
	uint8_t pk[GS_KEY_BYTES];
	gs_node *n = NULL;
	gs_txn *t = NULL;
	ssize_t got;
	int fd = -1, rc;

	*out = NULL;
	if ((rc = key_file(dir, kf, sizeof(kf))) != 0)
		return rc;
	if ((fd = open(kf, O_RDONLY)) < 0)
		return errno == ENOENT ? GS_ENOTFOUND : GS_EIO;
	if ((n = node_alloc()) == NULL) {
		rc = GS_ENOMEM;
		goto out;
	}
	got = read(fd, n->secret, GS_SECRET_BYTES);
	if (got != GS_SECRET_BYTES) {
		rc = GS_EINVAL;
		goto out;
	}
	snprintf(n->dir, sizeof(n->dir), "%s", dir);
	if ((rc = gs_store_open(dir, map_bytes, &n->store)) != 0)
		goto out;
	if ((rc = gs_txn_begin(n->store, 0, &t)) != 0)
		goto out;
	if ((rc = gs_meta_get_str(t, "path", n->path, sizeof(n->path))) != 0 ||
	    (rc = gs_meta_get_bytes(t, "key", n->key, GS_KEY_BYTES)) != 0 ||
	    (rc = gs_meta_get_bytes(t, "root_key", n->root, GS_KEY_BYTES)) != 0) {
		if (rc == GS_ENOTFOUND)
			rc = GS_EINVAL;
		goto out;
	}
	crypto_sign_ed25519_sk_to_pk(pk, n->secret);
	if (memcmp(pk, n->key, GS_KEY_BYTES) != 0) {
		rc = GS_EINVAL;
		goto out;
	}
	*out = n;
	n = NULL;
out:
	gs_txn_abort(&t);
	if (fd >= 0)
		close(fd);
	gs_node_close(&n);
	return rc;
}

gs_store *
gs_node_store(const gs_node *n)
{
	return n->store;
}

const char *
gs_node_path(const gs_node *n)
{
	return n->path;
}

const uint8_t *
gs_node_key(const gs_node *n)
{
	return n->key;
}

const uint8_t *
gs_node_root_key(const gs_node *n)
{
	return n->root;
}

const uint8_t *
gs_node_secret(const gs_node *n)
{
	return n->secret;
}

static int
mark_file(const gs_node *n, const char *suffix, char *buf, size_t cap)
{
	int l = snprintf(buf, cap, "%s/%s%s", n->dir, GS_NODE_MARK_FILE, suffix);

	return l < 0 || (size_t)l >= cap ? GS_EINVAL : 0;
}

int
gs_node_mark_get(const gs_node *n, uint64_t *seq)
{
	char f[PATH_MAX + 16], buf[32], *end;
	ssize_t got;
	int fd, rc;

	*seq = 0;
	if ((rc = mark_file(n, "", f, sizeof(f))) != 0)
		return rc;
	if ((fd = open(f, O_RDONLY)) < 0)
		return errno == ENOENT ? 0 : GS_EIO;
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got <= 0)
		return GS_EIO;
	buf[got] = '\0';
	*seq = strtoull(buf, &end, 10);
	return (*end == '\n' || *end == '\0') && end != buf ? 0 : GS_EBADMSG;
}

int
gs_node_mark_put(const gs_node *n, uint64_t seq)
{
	char f[PATH_MAX + 16], tmp[PATH_MAX + 40], buf[32];
	uint64_t old;
	int fd, len, rc = 0;

	/* Writers commit one at a time but mark after the commit, so two
	 * may race here: each its own temp file, and never lower the mark. */
	if (gs_node_mark_get(n, &old) == 0 && old >= seq)
		return 0;
	if ((rc = mark_file(n, "", f, sizeof(f))) != 0)
		return rc;
	len = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", f, (long)getpid());
	if (len < 0 || (size_t)len >= sizeof(tmp))
		return GS_EINVAL;
	len = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)seq);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return GS_EIO;
	if (write(fd, buf, (size_t)len) != len || fsync(fd) != 0)
		rc = GS_EIO;
	close(fd);
	/* rename is atomic: a crash leaves the old mark or the new one. */
	if (rc == 0 && rename(tmp, f) != 0)
		rc = GS_EIO;
	if (rc != 0)
		unlink(tmp);
	return rc;
}
