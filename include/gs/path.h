/*
 * path.h: node paths and case ids.
 *
 * A node's identity is a path of lowercase ASCII segments separated by '/':
 * "qianyang" (county), "qianyang/cuimu" (town), "qianyang/cuimu/xiazhai"
 * (village). A last segment starting with '@' names a department node
 * attached to the area node above it: "qianyang/cuimu/@police". Tier is
 * depth, so a deeper tree needs no change here.
 *
 * A case id is "<owner-path>#<26 Crockford base32 chars>" (a ULID: 48-bit ms
 * time and 80 random bits). All functions are pure and thread safe except
 * gs_case_id_new, which needs sodium_init() for its randomness.
 */
#ifndef GS_PATH_H
#define GS_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GS_PATH_MAX_BYTES      128  /* whole path, without the NUL */
#define GS_PATH_SEGMENT_MAX_BYTES 32
#define GS_PATH_DEPTH_MAX        8
#define GS_CASE_ULID_BYTES      26
#define GS_CASE_ID_MAX_BYTES   (GS_PATH_MAX_BYTES + 1 + GS_CASE_ULID_BYTES)

/* 0 if p is a well-formed path: 1..GS_PATH_DEPTH_MAX segments of [a-z0-9_-]
 * (1..32 bytes each, GS_PATH_MAX_BYTES in all), the last of which may start
 * with '@' followed by at least one more char, but only at depth >= 2 (a
 * root is never a department); GS_EINVAL otherwise. */
int gs_path_valid(const char *p);

/* Number of segments; "qianyang" is 1. GS_EINVAL if p is not valid. */
int gs_path_depth(const char *p);

/* True when p is valid and its last segment starts with '@'. */
bool gs_path_is_dept(const char *p);

/* Copies p's parent into out (cap bytes). GS_ENOTFOUND for a root path,
 * GS_ETOOBIG if out is too small, GS_EINVAL if p is not valid. */
int gs_path_parent(const char *p, char *out, size_t cap);

/* True when a is a strict ancestor of d ("a/..." prefix on a segment
 * boundary). False if either is not a valid path. */
bool gs_path_is_ancestor(const char *a, const char *d);

/* True when a == d or a is an ancestor of d (both valid paths). */
bool gs_path_within(const char *a, const char *d);

/* Copies into out the child of `from` that lies on the way down to `to`;
 * from must be a strict ancestor of to. GS_EINVAL otherwise, GS_ETOOBIG if
 * out is too small. */
int gs_path_step_down(const char *from, const char *to, char *out, size_t cap);

/* Chinese name of an area tier by depth: 1 县, 2 镇, 3 村, deeper 网格;
 * departments are 部门. A static string; NULL if p is not a valid path. */
const char *gs_path_tier_label(const char *p);

/* English name of a tier by depth: 1 county, 2 town, 3 village, any deeper
 * level "deeper". A static string; NULL for depth < 1. */
const char *gs_path_tier_name(int depth);

/* Validates a case id and copies its owner path into owner. 0, GS_EINVAL or
 * GS_ETOOBIG. owner may be NULL to validate only. The owner must be a valid
 * non-department path; the ULID part exactly GS_CASE_ULID_BYTES uppercase
 * Crockford base32 chars, the first of them '0'..'7' (a ULID is 128 bits). */
int gs_case_id_owner(const char *case_id, char *owner, size_t cap);

/* Makes a new case id for owner from ms time and fresh randomness, into out
 * (cap bytes, NUL-terminated). GS_EINVAL if owner is not a valid
 * non-department path or now_ms does not fit in 48 bits, GS_ETOOBIG if out
 * is too small (GS_CASE_ID_MAX_BYTES + 1 is always enough). */
int gs_case_id_new(const char *owner, uint64_t now_ms, char *out, size_t cap);

#endif
