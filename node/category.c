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
 */
static const struct gs_category categories[] = {
	{ "marriage",    "婚姻家庭" },
	{ "neighbor",    "邻里纠纷" },
	{ "debt",        "债务纠纷" },
	{ "land",        "土地/山林" },
	{ "safety",      "安全隐患" },
	{ "environment", "环境卫生" },
	{ "livelihood",  "民生诉求" },
	{ "security",    "治安" },
	{ "other",       "其他" },
};

#define NCATEGORIES (sizeof(categories) / sizeof(categories[0]))

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
