/*
 * cli_operator.c: `gridnode operator`: the HTTP API's operators (operators.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "gs/error.h"
#include "gs/json.h"
#include "gs/operators.h"

#include "cli_impl.h"

static int
operator_dir(struct args *a, const char **dir)
{
	int rc;

	/* Opening the node proves DIR holds one before a file is written. */
	if ((rc = cli_open_node(a)) != 0)
		return rc;
	*dir = cli_data_dir(a);
	return 0;
}

static int
op_add(struct args *a, const char *dir, const char *name)
{
	char token[GS_TOKEN_HEX_BYTES + 1];
	struct gs_json j;
	int rc;

	rc = gs_operators_add(dir, name, token);
	if (rc == GS_EINVAL)
		return cli_usage("operator name '%s' must be 1-%d bytes of UTF-8 "
		    "without spaces", name, GS_OPERATOR_NAME_MAX);
	if (rc == GS_EEXIST)
		return cli_fail("operator %s already exists (remove it first to "
		    "give them a new token)", name);
	if (rc == GS_EBADMSG)
		return cli_fail("%s/%s is damaged; nothing was changed", dir,
		    GS_OPERATORS_FILE);
	if (rc != 0)
		return cli_fail("cannot add operator %s: %s", name,
		    gs_strerror(rc));
	if (a->json) {
		gs_json_init(&j, cli_out);
		gs_json_obj_open(&j);
		gs_json_key(&j, "name"); gs_json_str(&j, name);
		gs_json_key(&j, "token"); gs_json_str(&j, token);
		gs_json_obj_close(&j);
		gs_json_end(&j);
	} else
		fprintf(cli_out, "%s\n", token);
	sodium_memzero(token, sizeof(token));
	return 0;
}

static int
op_list(struct args *a, const char *dir)
{
	char (*names)[GS_OPERATOR_NAME_MAX + 1] = NULL;
	struct gs_json j;
	size_t n;
	int rc;

	if ((rc = gs_operators_list(dir, &names, &n)) != 0)
		return cli_fail("cannot read %s/%s: %s", dir, GS_OPERATORS_FILE,
		    gs_strerror(rc));
	if (a->json) {
		gs_json_init(&j, cli_out);
		gs_json_arr_open(&j);
		for (size_t i = 0; i < n; i++)
			gs_json_str(&j, names[i]);
		gs_json_arr_close(&j);
		gs_json_end(&j);
	} else if (n == 0)
		fprintf(cli_out, "(无操作员 no operators)\n");
	for (size_t i = 0; i < n && !a->json; i++)
		fprintf(cli_out, "%s\n", names[i]);
	free(names);
	return 0;
}

int
cmd_operator(struct args *a)
{
	const char *act = a->pos[0], *dir = NULL;
	int rc;

	if (strcmp(act, "list") == 0) {
		if (a->npos != 1)
			return cli_usage("'operator list' takes no name");
	} else if (strcmp(act, "add") == 0 || strcmp(act, "remove") == 0) {
		if (a->npos != 2)
			return cli_usage("NAME is required");
	} else
		return cli_usage("unknown action '%s': add, remove or list", act);
	if ((rc = operator_dir(a, &dir)) != 0)
		return rc;
	if (strcmp(act, "list") == 0)
		return op_list(a, dir);
	if (strcmp(act, "add") == 0)
		return op_add(a, dir, a->pos[1]);
	rc = gs_operators_remove(dir, a->pos[1]);
	if (rc == GS_ENOTFOUND)
		return cli_fail("no operator %s", a->pos[1]);
	if (rc != 0)
		return cli_fail("cannot remove operator %s: %s", a->pos[1],
		    gs_strerror(rc));
	if (a->json) {
		struct gs_json j;

		gs_json_init(&j, cli_out);
		gs_json_obj_open(&j);
		gs_json_key(&j, "removed"); gs_json_str(&j, a->pos[1]);
		gs_json_obj_close(&j);
		gs_json_end(&j);
	}
	return 0;
}
