/*
 * cli.h: the gridnode command line (docs/cli.md is its manual).
 *
 * One verb per action. Exit status: 0 done, 1 refused or fault found, 2
 * usage error. Needs sodium_init().
 */
#ifndef GS_CLI_H
#define GS_CLI_H

#define GS_CLI_OK     0
#define GS_CLI_FAIL   1
#define GS_CLI_USAGE  2
#define GS_CLI_ARGS_MAX 64

/* Runs one command line; returns the process exit status. */
int gs_cli_main(int argc, char **argv);

#endif
