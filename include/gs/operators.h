/*
 * operators.h: the people allowed to use a node's HTTP API.
 *
 * DIR/operators holds one line per operator, "NAME HASH": NAME is the actor
 * written into the changes they make (1-64 bytes of UTF-8, no space or
 * control character), HASH the hex BLAKE2b-256 of their token. Tokens are
 * 32 random bytes shown once, as 64 hex digits, when the operator is added;
 * the file never holds one. It is rewritten whole (a mkstemp file of
 * mode 0600, fsync, rename, fsync of DIR), so a reader sees the old file
 * or the new one; add and remove hold flock(2) on DIR/operators.lock.
 */
#ifndef GS_OPERATORS_H
#define GS_OPERATORS_H

#include <stddef.h>

#define GS_OPERATORS_FILE      "operators"
#define GS_OPERATOR_NAME_MAX   64
#define GS_TOKEN_HEX_BYTES     64
#define GS_OPERATORS_MAX       1024

/* 0 when name is a well-formed operator name, else GS_EINVAL. */
int gs_operator_name_valid(const char *name);

/* Adds an operator with a new token, written into token (65 bytes with the
 * NUL). GS_EEXIST when the name is taken, GS_EINVAL for a bad name,
 * GS_ETOOBIG past GS_OPERATORS_MAX, GS_EIO, GS_EBADMSG for a damaged file. */
int gs_operators_add(const char *dir, const char *name,
    char token[GS_TOKEN_HEX_BYTES + 1]);

/* Removes an operator: 0 or GS_ENOTFOUND (and the errors of add). */
int gs_operators_remove(const char *dir, const char *name);

/* The operators' names, in file order, in a malloc'd array of n names
 * (free it). No file: 0 names. */
int gs_operators_list(const char *dir,
    char (**names)[GS_OPERATOR_NAME_MAX + 1], size_t *n);

/* A daemon's view of the file, re-read whenever it changes on disk. */
struct gs_operators;

int gs_operators_open(const char *dir, struct gs_operators **out);
void gs_operators_close(struct gs_operators **o);

/* Whose token is this? 0 with the operator's name copied into name (cap
 * GS_OPERATOR_NAME_MAX + 1); GS_ENOTFOUND for a token nobody holds (or a
 * malformed one; hex digits may be upper case). Re-reads the file first
 * when its size, time or inode changed; a file that cannot be read admits
 * nobody. Compares in constant time per entry. */
int gs_operators_auth(struct gs_operators *o, const char *token, char *name,
    size_t cap);

#endif
