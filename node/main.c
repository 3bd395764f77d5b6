/*
 * main.c: gridnode's entry point.
 */
#include <stdio.h>

#include <sodium.h>

#include "gs/cli.h"

int
main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "gridnode: libsodium failed to initialise\n");
		return 1;
	}
	return gs_cli_main(argc, argv);
}
