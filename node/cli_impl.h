/*
 * cli_impl.h: what the CLI's source files share (not a public interface).
 *
 * cli.c parses arguments and holds the verb table; each cli_*.c holds a
 * group of verbs. A verb returns GS_CLI_OK, GS_CLI_FAIL or GS_CLI_USAGE
 * (gs/cli.h), having printed its result or one sentence on stderr.
 */
#ifndef GS_CLI_IMPL_H
#define GS_CLI_IMPL_H

#include <stdbool.h>
#include <stdio.h>

#include "gs/cli.h"
#include "gs/node.h"
#include "gridsync.pb-c.h"

struct args {
	const struct verb *verb;
	const char *pos[4];
	int         npos;
	const char *name[GS_CLI_ARGS_MAX];
	const char *val[GS_CLI_ARGS_MAX];
	int         nopt;
	int         json;
	gs_node    *node;
	bool        in_process;  /* gs_cli_call: node borrowed, no poke */
	bool        wrote;       /* out: a change was written */
	bool        replayed;    /* out: answered from the request table */
};

struct verb {
	const char *name;
	int       (*fn)(struct args *);
	const char *opts;    /* space separated; "name=" takes a value */
	int         npos;    /* positional arguments required */
	const char *usage;
	const char *help;
};

/* npos is the number of positional arguments required, plus
 * NPOS_MORE(k) when k more may follow. */
#define NPOS_MORE(k)     ((k) << 8)
#define NPOS_MIN(v)      ((v)->npos & 0xff)
#define NPOS_MAX(v)      (NPOS_MIN(v) + ((v)->npos >> 8))

/* Where verbs print: stdout and stderr, or gs_cli_call's streams. */
extern FILE *cli_out;
extern FILE *cli_err;

/* "gridnode VERB: " + the sentence on stderr, then the verb's usage line:
 * GS_CLI_USAGE. */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "gridnode VERB: " + the sentence on stderr: GS_CLI_FAIL. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Records the GS_E* code behind the next failure, for gs_cli_call. */
void cli_fail_code(int gs_code);

/* The value of option --name (NULL when absent; "" for a flag), whether
 * it was given, or its value or "". */
const char *cli_arg(const struct args *a, const char *name);
bool cli_has(const struct args *a, const char *name);
const char *cli_opt(const struct args *a, const char *name);

/* --data, else GRIDNODE_DATA; NULL when neither. */
const char *cli_data_dir(const struct args *a);

/* Opens the node of --data into a->node, or says why not. */
int cli_open_node(struct args *a);

/* Signs and applies a drafted change (actor from --actor) and prints its
 * id, or the case id when new_case; then pokes a running daemon. */
int cli_write(struct args *a, Gs__Change *c, bool new_case);

/* The verbs of cli_stats.c: statistics, notices, check reports. */
int cmd_stats(struct args *a);
int cmd_notices(struct args *a);
int cmd_read(struct args *a);
int cmd_check(struct args *a);
int cmd_checks(struct args *a);
int cmd_rollup(struct args *a);

/* The verbs of cli_operator.c: HTTP operators and their tokens. */
int cmd_operator(struct args *a);

#endif
