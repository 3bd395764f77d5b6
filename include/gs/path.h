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
 * (1..32 bytes), the last of which may start with '@'; GS_EINVAL otherwise. */
int gs_path_valid(const char *p);

/* Number of segments; "qianyang" is 1. p must be valid. */
int gs_path_depth(const char *p);

/* True when p's last segment starts with '@'. */
bool gs_path_is_dept(const char *p);

/* Copies p's parent into out (cap bytes). GS_ENOTFOUND for a root path,
 * GS_ETOOBIG if out is too small. */
int gs_path_parent(const char *p, char *out, size_t cap);

/* True when a is a strict ancestor of d ("a/..." prefix on a segment
 * boundary). */
bool gs_path_is_ancestor(const char *a, const char *d);

/* True when a == d or a is an ancestor of d. */
bool gs_path_within(const char *a, const char *d);

/* Copies into out the child of `from` that lies on the way down to `to`;
 * from must be a strict ancestor of to. GS_EINVAL otherwise. */
int gs_path_step_down(const char *from, const char *to, char *out, size_t cap);

/* Chinese name of an area tier by depth: 1 县, 2 镇, 3 村, deeper 网格;
 * departments are 部门. */
const char *gs_path_tier_label(const char *p);

/* English name of a tier by depth: county, town, village, level-N. Returns
 * a static string for depth 1..3, otherwise writes into buf. */
const char *gs_path_tier_name(int depth);

/* Validates a case id and copies its owner path into owner. 0, GS_EINVAL or
 * GS_ETOOBIG. owner may be NULL to validate only. */
int gs_case_id_owner(const char *case_id, char *owner, size_t cap);

/* Makes a new case id for owner from ms time and fresh randomness. */
int gs_case_id_new(const char *owner, uint64_t now_ms, char *out, size_t cap);

#endif
