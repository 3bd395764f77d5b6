/*
 * category.h: the table of case categories, with Chinese labels.
 *
 * One table in category.c, following the seed practice; extend it there.
 * Changes carry the stable ASCII key; people see the label.
 */
#ifndef GS_CATEGORY_H
#define GS_CATEGORY_H

#include <stddef.h>

struct gs_category {
	const char *key;    /* stored in changes: "neighbor" */
	const char *label;  /* shown to people: "邻里纠纷" */
	double      ack_hours;      /* default 报到时限 of a dispatch */
	double      resolve_hours;  /* default 办结时限 of a dispatch */
};

/* Finds a category by key or by Chinese label; NULL if none. */
const struct gs_category *gs_category_find(const char *key_or_label);

/* The whole table; *n receives its length. */
const struct gs_category *gs_category_all(size_t *n);

/* Room for the table as it may grow; its position of a row from it. */
#define GS_CATEGORIES_MAX 32
size_t gs_category_index(const struct gs_category *c);

/* The label for a key, or the key itself when it is not in the table. */
const char *gs_category_label(const char *key);

#endif
