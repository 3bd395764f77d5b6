/*
 * daemon.h: `gridnode run`: one thread around zmq_poll.
 *
 * Binds a ROUTER for the node's children (config [node] listen), dials the
 * parent with a DEALER whose routing id is the node's path, publishes every
 * newly stored envelope on a PUB socket with the case id as topic, and
 * listens on DIR/control.sock (a Unix datagram socket) for the poke a local
 * write sends. Links use CurveZMQ with keys converted from the nodes' Ed25519
 * keys; a ZAP handler on the same loop admits only enrolled, unrevoked
 * children. SIGTERM and SIGINT stop it cleanly between two frames.
 *
 * The daemon loop is the one place besides the CLI that prints: log lines
 * go to stderr with a level.
 */
#ifndef GS_DAEMON_H
#define GS_DAEMON_H

#include "gs/config.h"
#include "gs/node.h"

#define GS_DAEMON_LOCK_FILE    "daemon.lock"
#define GS_DAEMON_CONTROL_FILE "control.sock"

/* Runs until a signal or a fatal store error. 0 on a clean stop; on a
 * start-up failure a negative GS_E* with a sentence in err. */
int gs_daemon_run(gs_node *n, const char *dir, const struct gs_config *c,
    char *err, size_t errcap);

/* Tells a daemon running on dir that the feed grew. Best effort: returns 0
 * whether or not a daemon listens. */
int gs_daemon_poke(const char *dir);

#endif
