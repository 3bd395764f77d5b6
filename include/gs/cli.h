/*
 * cli.h: the gridnode command line (docs/cli.md is its manual).
 *
 * One verb per action. Exit status: 0 done, 1 refused or fault found, 2
 * usage error. Needs sodium_init().
 */
#ifndef GS_CLI_H
#define GS_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "gs/node.h"

#define GS_CLI_OK     0
#define GS_CLI_FAIL   1
#define GS_CLI_USAGE  2
#define GS_CLI_ARGS_MAX 64

/* Runs one command line; returns the process exit status. */
int gs_cli_main(int argc, char **argv);

/* One verb run in this process on an open node, as if with --json: the
 * HTTP API's way into the same code the command line runs. name/val are
 * the verb's own options without "--" (val "" for a flag); the caller has
 * already chosen which options it lets a client give. */
struct gs_cli_call {
	gs_node    *node;                       /* borrowed, stays open */
	const char *dir;                        /* its data dir (deadlines.ini) */
	const char *verb;
	const char *pos[4];
	int         npos;
	const char *name[GS_CLI_ARGS_MAX];
	const char *val[GS_CLI_ARGS_MAX];
	int         nopt;
	FILE       *out;                        /* the --json output */
	/* out: */
	int         gs_code;    /* the GS_E* behind a failure; 0 if none known */
	bool        wrote;      /* a change was signed and stored */
	bool        replayed;   /* a retried request id: nothing written */
	char        message[1024];              /* a failure's sentence */
};

/* GS_CLI_OK, GS_CLI_FAIL (refused: gs_code and message say why) or
 * GS_CLI_USAGE (an argument is wrong: message). Not reentrant. */
int gs_cli_call(struct gs_cli_call *call);

#endif
