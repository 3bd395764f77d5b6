/*
 * http.h: the node's HTTP API, dashboard and /metrics (docs/api.md).
 *
 * libmicrohttpd runs in the daemon's own loop, not in threads of its own:
 * gs_http_fd is one epoll descriptor the daemon adds to its zmq_poll, and
 * gs_http_run answers whatever is ready. So a request touches the store
 * from the same thread as sync, and a write goes through gs_cli_call, the
 * code the command line runs (sign, apply in one transaction); the daemon
 * publishes it on its next turn like any other new change.
 */
#ifndef GS_HTTP_H
#define GS_HTTP_H

#include <stddef.h>
#include <stdio.h>

#include "gs/node.h"

#define GS_HTTP_BODY_MAX   (64 * 1024)

struct gs_http;

/* Writes the daemon's own metrics (Prometheus text) after the HTTP
 * server's: 0, or a store error (the scrape is then a 500). */
typedef int gs_http_metrics_fn(void *arg, FILE *out);

/* Listens on listen ("A.B.C.D:PORT"); operators from dir (operators.h).
 * 0, or GS_EINVAL / GS_EIO with a sentence in err. */
int gs_http_start(gs_node *n, const char *dir, const char *listen,
    gs_http_metrics_fn *metrics, void *arg, struct gs_http **out,
    char *err, size_t errcap);

/* The descriptor to poll for input. */
int gs_http_fd(const struct gs_http *h);

/* How long the caller may wait before gs_http_run must be called even
 * without input: at most max_ms. */
long gs_http_timeout_ms(const struct gs_http *h, long max_ms);

/* Answers every request that is ready. */
void gs_http_run(struct gs_http *h);

/* Closes the listener and every connection; NULLs *h. Safe on NULL. */
void gs_http_stop(struct gs_http **h);

/* "A.B.C.D:PORT" with a port in 1-65535: 0 or GS_EINVAL. */
int gs_http_listen_parse(const char *s, char *addr, size_t cap, int *port);

#endif
