/*
 * assets.h: the dashboard's files (web/ in the source tree), compiled into
 * the binary by the Makefile so a node serves its dashboard with nothing
 * else installed. The table ends with a NULL path.
 */
#ifndef GS_ASSETS_H
#define GS_ASSETS_H

#include <stddef.h>

struct gs_asset {
	const char          *path;   /* "/index.html" */
	const unsigned char *data;
	size_t               len;
};

extern const struct gs_asset gs_assets[];

#endif
