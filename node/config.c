/*
 * config.c: the daemon's INI file, read with libinih.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "gs/category.h"
#include "gs/change.h"
#include "gs/config.h"
#include "gs/error.h"
#include "gs/http.h"

struct parse {
	struct gs_config *c;
	char             *err;
	size_t            errcap;
	bool              failed;
};

void
gs_config_defaults(struct gs_config *c)
{
	memset(c, 0, sizeof(*c));
	c->heartbeat_ms = 1000;
	c->timeout_ms = 5000;
	c->batch_max = 256;
	c->window = 16;
	c->rollup_seconds = 60;
}

static bool
copy_endpoint(char *dst, const char *v)
{
	size_t l = strlen(v);

	if (l == 0 || l >= GS_ENDPOINT_MAX_BYTES)
		return false;
	/* Only the transports a node uses; anything else is a typo. */
	if (strncmp(v, "tcp://", 6) != 0 && strncmp(v, "ipc://", 6) != 0)
		return false;
	memcpy(dst, v, l + 1);
	return true;
}

static bool
parse_u32(const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long n;

	if (*v < '0' || *v > '9')
		return false;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (*end != '\0' || errno != 0 || n < lo || n > hi)
		return false;
	*out = (uint32_t)n;
	return true;
}

static bool
parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 ||
	    strcmp(v, "1") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 ||
	    strcmp(v, "0") == 0)
		*out = false;
	else
		return false;
	return true;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	struct gs_config *c = p->c;
	bool ok;
	const char *want = "";

	/* inih reports the first bad line: keep the first sentence with it. */
	if (p->failed)
		return 0;
	if (strcmp(section, "node") == 0 && strcmp(name, "listen") == 0) {
		ok = copy_endpoint(c->listen, value);
		want = "a tcp:// or ipc:// endpoint";
	} else if (strcmp(section, "node") == 0 && strcmp(name, "publish") == 0) {
		ok = copy_endpoint(c->publish, value);
		want = "a tcp:// or ipc:// endpoint";
	} else if (strcmp(section, "parent") == 0 &&
	    strcmp(name, "endpoint") == 0) {
		ok = copy_endpoint(c->parent_endpoint, value);
		want = "a tcp:// or ipc:// endpoint";
	} else if (strcmp(section, "parent") == 0 && strcmp(name, "key") == 0) {
		ok = gs_unhex(value, c->parent_key, sizeof(c->parent_key)) == 0;
		c->has_parent_key = ok;
		want = "64 hex characters";
	} else if (strcmp(section, "http") == 0 && strcmp(name, "listen") == 0) {
		char addr[64];
		int port;

		ok = gs_http_listen_parse(value, addr, sizeof(addr), &port) == 0 &&
		    strlen(value) < sizeof(c->http_listen);
		if (ok)
			snprintf(c->http_listen, sizeof(c->http_listen), "%s", value);
		want = "an IPv4 address and port, e.g. 127.0.0.1:8101";
	} else if (strcmp(section, "link") == 0 && strcmp(name, "insecure") == 0) {
		ok = parse_bool(value, &c->insecure);
		want = "true or false";
	} else if (strcmp(section, "link") == 0 &&
	    strcmp(name, "heartbeat_ms") == 0) {
		ok = parse_u32(value, 50, 600000, &c->heartbeat_ms);
		want = "50..600000";
	} else if (strcmp(section, "link") == 0 &&
	    strcmp(name, "timeout_ms") == 0) {
		ok = parse_u32(value, 100, 3600000, &c->timeout_ms);
		want = "100..3600000";
	} else if (strcmp(section, "link") == 0 &&
	    strcmp(name, "batch_max") == 0) {
		ok = parse_u32(value, 1, 4096, &c->batch_max);
		want = "1..4096";
	} else if (strcmp(section, "link") == 0 && strcmp(name, "window") == 0) {
		ok = parse_u32(value, 1, 64, &c->window);
		want = "1..64";
	} else if (strcmp(section, "policy") == 0 &&
	    strcmp(name, "auto_whistle_hours") == 0) {
		char *end;

		errno = 0;
		c->auto_whistle_hours = strtod(value, &end);
		ok = *value != '\0' && *end == '\0' && errno == 0 &&
		    c->auto_whistle_hours >= 0 && c->auto_whistle_hours <= 8784;
		want = "hours from 0 (off) to 8784";
	} else if (strcmp(section, "policy") == 0 &&
	    strcmp(name, "rollup_seconds") == 0) {
		ok = parse_u32(value, 0, 86400, &c->rollup_seconds);
		want = "0 (off) .. 86400";
	} else {
		snprintf(p->err, p->errcap, "unknown setting [%s] %s", section,
		    name);
		p->failed = true;
		return 0;
	}
	if (!ok) {
		snprintf(p->err, p->errcap, "[%s] %s = '%s': want %s", section,
		    name, value, want);
		p->failed = true;
		return 0;
	}
	return 1;
}

int
gs_config_load(const char *file, struct gs_config *c, char *err, size_t errcap)
{
	struct parse p = { c, err, errcap, false };
	int line;

	gs_config_defaults(c);
	err[0] = '\0';
	line = ini_parse(file, handler, &p);
	if (line == -1) {
		snprintf(err, errcap, "cannot read %s: %s", file, strerror(errno));
		return GS_EIO;
	}
	if (line != 0) {
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "%s", err[0] ? err : "syntax error");
		snprintf(err, errcap, "%s line %d: %s", file, line, tmp);
		return GS_EINVAL;
	}
	if (c->heartbeat_ms * 2 > c->timeout_ms) {
		snprintf(err, errcap, "%s: [link] timeout_ms must be at least twice "
		    "heartbeat_ms", file);
		return GS_EINVAL;
	}
	return 0;
}

struct deadlines {
	const char *category;
	double     *ack, *resolve;
	char       *err;
	size_t      errcap;
};

static bool
parse_hours(const char *v, double *out)
{
	char *end;
	double h;

	errno = 0;
	h = strtod(v, &end);
	if (*v == '\0' || *end != '\0' || errno != 0 || !(h > 0) ||
	    h > 24.0 * 366)
		return false;
	*out = h;
	return true;
}

static int
deadline_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct deadlines *d = user;
	double h;

	if (strcmp(section, "check") == 0)
		return 1;   /* gs_config_check_due_day reads it */
	if (gs_category_find(section) == NULL ||
	    strcmp(gs_category_find(section)->key, section) != 0) {
		snprintf(d->err, d->errcap, "[%s] is not a category key", section);
		return 0;
	}
	if ((strcmp(name, "ack_hours") != 0 &&
	    strcmp(name, "resolve_hours") != 0) || !parse_hours(value, &h)) {
		snprintf(d->err, d->errcap, "[%s] %s = '%s': want ack_hours or "
		    "resolve_hours, 0 < hours <= 8784", section, name, value);
		return 0;
	}
	if (strcmp(section, d->category) == 0)
		*(name[0] == 'a' ? d->ack : d->resolve) = h;
	return 1;
}

int
gs_config_deadlines(const char *file, const char *category, double *ack,
    double *resolve, char *err, size_t errcap)
{
	const struct gs_category *c = gs_category_find(category);
	struct deadlines d;
	int line;

	if (c == NULL)
		c = gs_category_find("other");
	*ack = c->ack_hours;
	*resolve = c->resolve_hours;
	err[0] = '\0';
	d.category = c->key;
	d.ack = ack;
	d.resolve = resolve;
	d.err = err;
	d.errcap = errcap;
	line = ini_parse(file, deadline_handler, &d);
	if (line == -1)
		return 0;   /* no file: the table's defaults */
	if (line != 0) {
		char tmp[200];

		snprintf(tmp, sizeof(tmp), "%s", err[0] ? err : "syntax error");
		snprintf(err, errcap, "%s line %d: %s", file, line, tmp);
		return GS_EINVAL;
	}
	return 0;
}

struct due_day {
	int    *day;
	char   *err;
	size_t  errcap;
};

static int
due_day_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct due_day *d = user;
	char *end;
	long v;

	if (strcmp(section, "check") != 0)
		return 1;   /* the categories' deadlines: gs_config_deadlines */
	errno = 0;
	v = strtol(value, &end, 10);
	if (strcmp(name, "due_day") != 0 || *value == '\0' || *end != '\0' ||
	    errno != 0 || v < 1 || v > 28) {
		snprintf(d->err, d->errcap, "[check] %s = '%s': want due_day, "
		    "a day of the month from 1 to 28", name, value);
		return 0;
	}
	*d->day = (int)v;
	return 1;
}

int
gs_config_check_due_day(const char *file, int *day, char *err, size_t errcap)
{
	struct due_day d = { day, err, errcap };
	int line;

	*day = GS_CHECK_DUE_DAY_DEFAULT;
	err[0] = '\0';
	line = ini_parse(file, due_day_handler, &d);
	if (line == -1)
		return 0;
	if (line != 0) {
		char tmp[200];

		snprintf(tmp, sizeof(tmp), "%s", err[0] ? err : "syntax error");
		snprintf(err, errcap, "%s line %d: %s", file, line, tmp);
		return GS_EINVAL;
	}
	return 0;
}
