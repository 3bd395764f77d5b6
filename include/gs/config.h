/*
 * config.h: the daemon's INI configuration file.
 *
 *     [node]
 *     listen  = tcp://127.0.0.1:7101   ; ROUTER for children (omit: none)
 *     publish = tcp://127.0.0.1:7102   ; PUB of applied envelopes (omit: none)
 *     [parent]
 *     endpoint = tcp://127.0.0.1:7001  ; default: from the join bundle
 *     key      = HEX                   ; default: from the join bundle
 *     [link]
 *     insecure     = false             ; true: no CURVE (tests only)
 *     heartbeat_ms = 1000
 *     timeout_ms   = 5000              ; silence before a link counts as down
 *     batch_max    = 256               ; envelopes per batch
 *     window       = 4                 ; unacked batches in flight
 *     [http]                             ; API, dashboard, /metrics (http.h)
 *     listen  = 127.0.0.1:8101           ; IPv4 address:port (omit: none)
 *     [policy]                           ; a town's daemon (policy.h)
 *     auto_whistle_hours = 0             ; whistle a case to the county when
 *                                        ; overdue this long; 0 = never
 *     rollup_seconds     = 60            ; how often to re-count and sign
 *                                        ; changed rollups; 0 = never
 *
 * Pure parsing: no sockets, no store.
 */
#ifndef GS_CONFIG_H
#define GS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define GS_ENDPOINT_MAX_BYTES 256

struct gs_config {
	char     listen[GS_ENDPOINT_MAX_BYTES];
	char     publish[GS_ENDPOINT_MAX_BYTES];
	char     http_listen[GS_ENDPOINT_MAX_BYTES];
	char     parent_endpoint[GS_ENDPOINT_MAX_BYTES];
	uint8_t  parent_key[32];
	bool     has_parent_key;
	bool     insecure;
	uint32_t heartbeat_ms;
	uint32_t timeout_ms;
	uint32_t batch_max;
	uint32_t window;
	double   auto_whistle_hours;
	uint32_t rollup_seconds;
};

/* Fills c with defaults, then reads file. On failure returns GS_EIO
 * (unreadable) or GS_EINVAL and writes a sentence naming the line and key
 * into err. */
int gs_config_load(const char *file, struct gs_config *c, char *err,
    size_t errcap);

/* The default deadlines of a dispatch for category (a key): the category
 * table's, overridden by file when it exists. file is INI with one section
 * per category key:
 *
 *     [safety]
 *     ack_hours = 0.5
 *     resolve_hours = 12
 *
 * 0 with *ack and *resolve set; GS_EINVAL (a sentence in err) when file
 * is malformed; an unknown category gives the "other" row. */
int gs_config_deadlines(const char *file, const char *category,
    double *ack_hours, double *resolve_hours, char *err, size_t errcap);

#define GS_CHECK_DUE_DAY_DEFAULT 25

/* The day of the month by which villages file their monthly check report
 * (排查报告): [check] due_day in the same file (1-28), else
 * GS_CHECK_DUE_DAY_DEFAULT. 0, or GS_EINVAL with a sentence in err. */
int gs_config_check_due_day(const char *file, int *day, char *err,
    size_t errcap);

/* Defaults only. */
void gs_config_defaults(struct gs_config *c);

#endif
