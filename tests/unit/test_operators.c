/*
 * test_operators.c: the HTTP operators' token file (operators.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "gs_test.h"

#include "gs/error.h"
#include "gs/operators.h"

static char dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/gs_test_operators.XXXXXX");
	GS_CHECK(mkdtemp(dir) != NULL);
}

static void
teardown(void)
{
	char f[128];

	snprintf(f, sizeof(f), "%s/%s", dir, GS_OPERATORS_FILE);
	unlink(f);
	snprintf(f, sizeof(f), "%s/%s.lock", dir, GS_OPERATORS_FILE);
	unlink(f);
	/* Nothing else: no temp file is left behind. */
	GS_CHECK_EQ(rmdir(dir), 0);
}

static char *
file_text(void)
{
	static char buf[4096];
	char f[128];
	FILE *fp;
	size_t n;

	snprintf(f, sizeof(f), "%s/%s", dir, GS_OPERATORS_FILE);
	GS_CHECK((fp = fopen(f, "r")) != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void
test_add_auth_remove(void)
{
	char t1[GS_TOKEN_HEX_BYTES + 1], t2[GS_TOKEN_HEX_BYTES + 1];
	char who[GS_OPERATOR_NAME_MAX + 1], f[128], bad[GS_TOKEN_HEX_BYTES + 1];
	char (*names)[GS_OPERATOR_NAME_MAX + 1] = NULL;
	struct gs_operators *o = NULL;
	struct stat st;
	size_t n;

	setup();
	GS_CHECK_EQ(gs_operators_list(dir, &names, &n), 0);
	GS_CHECK_EQ(n, 0);
	GS_CHECK_EQ(gs_operators_open(dir, &o), 0);
	GS_CHECK_EQ(gs_operators_auth(o, "00", who, sizeof(who)), GS_ENOTFOUND);

	GS_CHECK_EQ(gs_operators_add(dir, "张伟", t1), 0);
	GS_CHECK_EQ(strlen(t1), GS_TOKEN_HEX_BYTES);
	GS_CHECK_EQ(strspn(t1, "0123456789abcdef"), GS_TOKEN_HEX_BYTES);
	GS_CHECK_EQ(gs_operators_add(dir, "li.na", t2), 0);
	GS_CHECK(strcmp(t1, t2) != 0);
	GS_CHECK_EQ(gs_operators_add(dir, "张伟", t2 /* unused */), GS_EEXIST);
	GS_CHECK_STR(t2, "");

	/* The file holds names and hashes, never a token; only its owner
	 * may read it. */
	GS_CHECK(strstr(file_text(), t1) == NULL);
	GS_CHECK(strncmp(file_text(), "张伟 ", strlen("张伟 ")) == 0);
	snprintf(f, sizeof(f), "%s/%s", dir, GS_OPERATORS_FILE);
	GS_CHECK_EQ(stat(f, &st), 0);
	GS_CHECK_EQ(st.st_mode & 0777, 0600);

	GS_CHECK_EQ(gs_operators_auth(o, t1, who, sizeof(who)), 0);
	GS_CHECK_STR(who, "张伟");
	/* One digit changed, too short, empty: nobody. */
	memcpy(bad, t1, sizeof(bad));
	bad[10] = bad[10] == '0' ? '1' : '0';
	GS_CHECK_EQ(gs_operators_auth(o, bad, who, sizeof(who)), GS_ENOTFOUND);
	GS_CHECK_STR(who, "");
	memcpy(bad, t1, sizeof(bad));
	for (char *p = bad; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	/* Upper-case hex is the same token (copied by hand). */
	GS_CHECK_EQ(gs_operators_auth(o, bad, who, sizeof(who)), 0);
	GS_CHECK_STR(who, "张伟");
	bad[GS_TOKEN_HEX_BYTES - 1] = '\0';
	GS_CHECK_EQ(gs_operators_auth(o, bad, who, sizeof(who)), GS_ENOTFOUND);
	GS_CHECK_EQ(gs_operators_auth(o, "", who, sizeof(who)), GS_ENOTFOUND);

	GS_CHECK_EQ(gs_operators_list(dir, &names, &n), 0);
	GS_CHECK_EQ(n, 2);
	GS_CHECK_STR(names[0], "张伟");
	GS_CHECK_STR(names[1], "li.na");
	free(names);

	/* Removal is seen by an open table at once: the file is replaced. */
	GS_CHECK_EQ(gs_operators_remove(dir, "张伟"), 0);
	GS_CHECK_EQ(gs_operators_auth(o, t1, who, sizeof(who)), GS_ENOTFOUND);
	GS_CHECK_EQ(gs_operators_remove(dir, "张伟"), GS_ENOTFOUND);
	GS_CHECK_EQ(gs_operators_list(dir, &names, &n), 0);
	GS_CHECK_EQ(n, 1);
	GS_CHECK_STR(names[0], "li.na");
	free(names);
	/* And a name added back gets a new token; the old one stays dead. */
	GS_CHECK_EQ(gs_operators_add(dir, "张伟", t2), 0);
	GS_CHECK_EQ(gs_operators_auth(o, t1, who, sizeof(who)), GS_ENOTFOUND);
	GS_CHECK_EQ(gs_operators_auth(o, t2, who, sizeof(who)), 0);
	GS_CHECK_STR(who, "张伟");
	gs_operators_close(&o);
	GS_CHECK(o == NULL);
	teardown();
}

static void
test_names_and_damage(void)
{
	static const char *bad[] = {
		"", "a b", "tab\t", "\xff\xfe", "new\nline",
		"12345678901234567890123456789012345678901234567890123456789012345",
	};
	char t[GS_TOKEN_HEX_BYTES + 1], who[GS_OPERATOR_NAME_MAX + 1], f[128];
	char (*names)[GS_OPERATOR_NAME_MAX + 1] = NULL;
	struct gs_operators *o = NULL;
	size_t n;
	FILE *fp;

	setup();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		GS_CHECK_EQ(gs_operators_add(dir, bad[i], t), GS_EINVAL);
	GS_CHECK_EQ(gs_operator_name_valid(
	    "1234567890123456789012345678901234567890123456789012345678901234"),
	    0);
	GS_CHECK_EQ(gs_operators_add(dir, "值班员", t), 0);
	GS_CHECK_EQ(gs_operators_open(dir, &o), 0);
	GS_CHECK_EQ(gs_operators_auth(o, t, who, sizeof(who)), 0);

	/* A damaged file admits nobody and is not overwritten by add. */
	snprintf(f, sizeof(f), "%s/%s", dir, GS_OPERATORS_FILE);
	GS_CHECK((fp = fopen(f, "a")) != NULL);
	fputs("broken line\n", fp);
	fclose(fp);
	GS_CHECK_EQ(gs_operators_auth(o, t, who, sizeof(who)), GS_ENOTFOUND);
	GS_CHECK_EQ(gs_operators_add(dir, "新人", t), GS_EBADMSG);
	GS_CHECK_EQ(gs_operators_list(dir, &names, &n), GS_EBADMSG);
	GS_CHECK(strstr(file_text(), "broken line\n") != NULL);
	gs_operators_close(&o);
	teardown();
}

/* Twenty processes add an operator each at once: all twenty get in. */
static void
test_parallel_adds(void)
{
	char (*names)[GS_OPERATOR_NAME_MAX + 1] = NULL;
	pid_t pid[20];
	size_t n;

	setup();
	for (int i = 0; i < 20; i++) {
		if ((pid[i] = fork()) == 0) {
			char name[16], t[GS_TOKEN_HEX_BYTES + 1];

			snprintf(name, sizeof(name), "op%d", i);
			_exit(gs_operators_add(dir, name, t) == 0 ? 0 : 1);
		}
		GS_CHECK(pid[i] > 0);
	}
	for (int i = 0; i < 20; i++) {
		int st;

		GS_CHECK_EQ(waitpid(pid[i], &st, 0), pid[i]);
		GS_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	GS_CHECK_EQ(gs_operators_list(dir, &names, &n), 0);
	GS_CHECK_EQ(n, 20);
	free(names);
	teardown();
}

int
main(void)
{
	GS_CHECK(sodium_init() >= 0);
	GS_RUN(test_add_auth_remove);
	GS_RUN(test_names_and_damage);
	GS_RUN(test_parallel_adds);
	return 0;
}
