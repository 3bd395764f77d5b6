/*
 * operators.c: the token file of a node's HTTP operators.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "gs/change.h"
#include "gs/error.h"
#include "gs/operators.h"

struct entry {
	char    name[GS_OPERATOR_NAME_MAX + 1];
	uint8_t hash[32];
};

struct table {
	struct entry *e;
	size_t        n;
};

struct gs_operators {
	char         path[4096];
	struct stat  seen;      /* of the file last read; st_ino 0: none */
	struct table t;
};

int
gs_operator_name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > GS_OPERATOR_NAME_MAX ||
	    !gs_utf8_valid(name, len))
		return GS_EINVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] <= 0x20 || name[i] == 0x7f)
			return GS_EINVAL;
	return 0;
}

static void
token_hash(const char *token, uint8_t out[32])
{
	crypto_generichash(out, 32, (const uint8_t *)token, strlen(token),
	    NULL, 0);
}

/* Reads the file into t: a missing file is an empty table. */
static int
table_read(const char *path, struct table *t)
{
	FILE *f;
	char line[256];
	int rc = 0;

	t->e = NULL;
	t->n = 0;
	if ((f = fopen(path, "r")) == NULL)
		return errno == ENOENT ? 0 : GS_EIO;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *sp = strchr(line, ' '), *nl = strchr(line, '\n');
		struct entry *e;

		if (nl == NULL || sp == NULL || nl - sp != 65) {
			rc = GS_EBADMSG;
			break;
		}
		*sp = *nl = '\0';
		if (gs_operator_name_valid(line) != 0 ||
		    t->n >= GS_OPERATORS_MAX) {
			rc = GS_EBADMSG;
			break;
		}
		if ((e = realloc(t->e, (t->n + 1) * sizeof(*e))) == NULL) {
			rc = GS_ENOMEM;
			break;
		}
		t->e = e;
		memcpy(e[t->n].name, line, strlen(line) + 1);  /* valid: <= 64 */
		if (gs_unhex(sp + 1, e[t->n].hash, 32) != 0) {
			rc = GS_EBADMSG;
			break;
		}
		t->n++;
	}
	if (ferror(f))
		rc = GS_EIO;
	fclose(f);
	if (rc != 0) {
		free(t->e);
		t->e = NULL;
		t->n = 0;
	}
	return rc;
}

/* Replaces the file: a fresh temp file (mkstemp: 0600, never an existing
 * path or a symlink), fsync, rename, fsync of the directory. */
static int
table_write(const char *path, const struct table *t)
{
	char tmp[4200], dir[4200], hex[65], *slash;
	FILE *f = NULL;
	int fd = -1, rc = GS_EIO;

	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0)
		return GS_EIO;
	if ((f = fdopen(fd, "w")) == NULL)
		goto out;
	fd = -1;
	for (size_t i = 0; i < t->n; i++) {
		gs_hex(t->e[i].hash, 32, hex);
		fprintf(f, "%s %s\n", t->e[i].name, hex);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		goto out;
	if (fclose(f) != 0) {
		f = NULL;
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) != 0)
		goto out;
	tmp[0] = '\0';
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if ((fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY)) < 0 ||
	    fsync(fd) != 0)
		goto out;
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (tmp[0] != '\0')
		unlink(tmp);
	return rc;
}

/* add and remove read, change and rewrite the file: one at a time. */
static int
lock_take(const char *dir)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s.lock", dir, GS_OPERATORS_FILE);
	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) < 0)
		return -1;
	if (flock(fd, LOCK_EX) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
file_path(const char *dir, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", dir, GS_OPERATORS_FILE);
}

static ssize_t
table_find(const struct table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->e[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

int
gs_operators_add(const char *dir, const char *name,
    char token[GS_TOKEN_HEX_BYTES + 1])
{
	char path[4096];
	uint8_t raw[32];
	struct table t;
	struct entry *e;
	int rc, lock;

	token[0] = '\0';
	if (gs_operator_name_valid(name) != 0)
		return GS_EINVAL;
	file_path(dir, path, sizeof(path));
	if ((lock = lock_take(dir)) < 0)
		return GS_EIO;
	if ((rc = table_read(path, &t)) != 0) {
		close(lock);
		return rc;
	}
	if (table_find(&t, name) >= 0) {
		rc = GS_EEXIST;
		goto out;
	}
	if (t.n >= GS_OPERATORS_MAX) {
		rc = GS_ETOOBIG;
		goto out;
	}
	if ((e = realloc(t.e, (t.n + 1) * sizeof(*e))) == NULL) {
		rc = GS_ENOMEM;
		goto out;
	}
	t.e = e;
	randombytes_buf(raw, sizeof(raw));
	gs_hex(raw, sizeof(raw), token);
	sodium_memzero(raw, sizeof(raw));
	snprintf(e[t.n].name, sizeof(e[t.n].name), "%s", name);
	token_hash(token, e[t.n].hash);
	t.n++;
	rc = table_write(path, &t);
out:
	free(t.e);
	close(lock);
	if (rc != 0)
		sodium_memzero(token, GS_TOKEN_HEX_BYTES + 1);
	return rc;
}

int
gs_operators_remove(const char *dir, const char *name)
{
	char path[4096];
	struct table t;
	ssize_t i;
	int rc, lock;

	file_path(dir, path, sizeof(path));
	if ((lock = lock_take(dir)) < 0)
		return GS_EIO;
	if ((rc = table_read(path, &t)) != 0) {
		close(lock);
		return rc;
	}
	if ((i = table_find(&t, name)) < 0) {
		rc = GS_ENOTFOUND;
		goto out;
	}
	memmove(&t.e[i], &t.e[i + 1], (t.n - (size_t)i - 1) * sizeof(t.e[0]));
	t.n--;
	rc = table_write(path, &t);
out:
	free(t.e);
	close(lock);
	return rc;
}

int
gs_operators_list(const char *dir, char (**names)[GS_OPERATOR_NAME_MAX + 1],
    size_t *n)
{
	char path[4096];
	struct table t;
	int rc;

	*names = NULL;
	*n = 0;
	file_path(dir, path, sizeof(path));
	if ((rc = table_read(path, &t)) != 0)
		return rc;
	if (t.n > 0 && (*names = calloc(t.n, sizeof(**names))) == NULL) {
		free(t.e);
		return GS_ENOMEM;
	}
	for (size_t i = 0; i < t.n; i++)
		snprintf((*names)[i], sizeof((*names)[i]), "%s", t.e[i].name);
	*n = t.n;
	free(t.e);
	return 0;
}

int
gs_operators_open(const char *dir, struct gs_operators **out)
{
	struct gs_operators *o;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return GS_ENOMEM;
	file_path(dir, o->path, sizeof(o->path));
	*out = o;
	return 0;
}

void
gs_operators_close(struct gs_operators **o)
{
	if (*o == NULL)
		return;
	free((*o)->t.e);
	free(*o);
	*o = NULL;
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The file is replaced by rename, so a new inode says it changed even
 * within one mtime tick. */
static void
refresh(struct gs_operators *o)
{
	struct stat st;

	if (stat(o->path, &st) != 0)
		memset(&st, 0, sizeof(st));
	if (o->seen.st_ino != 0 && same_file(&st, &o->seen))
		return;
	free(o->t.e);
	o->t.e = NULL;
	o->t.n = 0;
	if (st.st_ino != 0 && table_read(o->path, &o->t) != 0)
		memset(&st, 0, sizeof(st));   /* unreadable: try again next time */
	o->seen = st;
}

int
gs_operators_auth(struct gs_operators *o, const char *token, char *name,
    size_t cap)
{
	char low[GS_TOKEN_HEX_BYTES + 1];
	uint8_t h[32];
	size_t len = strlen(token);
	int hit = -1;

	name[0] = '\0';
	if (len != GS_TOKEN_HEX_BYTES)
		return GS_ENOTFOUND;
	/* Hex is hex in either case: a token copied by hand may be upper. */
	for (size_t i = 0; i < len; i++) {
		char ch = token[i];

		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return GS_ENOTFOUND;
		low[i] = ch;
	}
	low[len] = '\0';
	refresh(o);
	token_hash(low, h);
	sodium_memzero(low, sizeof(low));
	for (size_t i = 0; i < o->t.n; i++)
		if (sodium_memcmp(h, o->t.e[i].hash, 32) == 0)
			hit = (int)i;
	if (hit < 0)
		return GS_ENOTFOUND;
	snprintf(name, cap, "%s", o->t.e[hit].name);
	return 0;
}
