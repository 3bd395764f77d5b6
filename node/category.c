/*
 * category.c: the table of case categories.
 */
#include <stddef.h>
#include <string.h>

#include "gs/category.h"

/*
 * The seed practice's categories. Keys are what changes carry and must never
 * be renamed once in use; labels may be reworded freely. Append new rows at
 * the end so list order stays stable for people who know it.
 *
 * Default deadlines of a dispatch, in hours (a node's deadlines.ini may
 * override them): report in within 30 minutes where people or property are
 * at risk (Pinggu's 吹哨报到 practice), else 2 h; resolve within 24 h for
 * hazards and public order, 3 days for sanitation, 7 days for requests
 * (接诉即办's 7-day feedback), 5 working days (120 h) for disputes.
 */
static const struct gs_category categories[] = {
	{ "marriage",    "婚姻家庭",  2.0, 120.0 },
	{ "neighbor",    "邻里纠纷",  2.0, 120.0 },
	{ "debt",        "债务纠纷",  2.0, 120.0 },
	{ "land",        "土地/山林", 2.0, 120.0 },
	{ "safety",      "安全隐患",  0.5,  24.0 },
	{ "environment", "环境卫生",  2.0,  72.0 },
	{ "livelihood",  "民生诉求",  2.0, 168.0 },
	{ "security",    "治安",      0.5,  24.0 },
	{ "other",       "其他",      2.0, 120.0 },
};

#define NCATEGORIES (sizeof(categories) / sizeof(categories[0]))

_Static_assert(NCATEGORIES <= GS_CATEGORIES_MAX, "raise GS_CATEGORIES_MAX");

size_t
gs_category_index(const struct gs_category *c)
{
	return (size_t)(c - categories);
}

const struct gs_category *
gs_category_find(const char *key_or_label)
{
	size_t i;

	if (key_or_label == NULL)
		return NULL;
	for (i = 0; i < NCATEGORIES; i++) {
		if (strcmp(categories[i].key, key_or_label) == 0 ||
		    strcmp(categories[i].label, key_or_label) == 0)
			return &categories[i];
	}
	return NULL;
}

const struct gs_category *
gs_category_all(size_t *n)
{
	if (n != NULL)
		*n = NCATEGORIES;
	return categories;
}

const char *
gs_category_label(const char *key)
{
	size_t i;

	if (key == NULL)
		return "";
	for (i = 0; i < NCATEGORIES; i++) {
		if (strcmp(categories[i].key, key) == 0)
			return categories[i].label;
	}
	return key;
}
