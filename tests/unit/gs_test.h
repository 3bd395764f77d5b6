/*
 * gs_test.h: the unit tests' whole framework.
 *
 * Each test file defines static void test functions and a main() that runs
 * them with GS_RUN. A failed check prints file:line and the expression and
 * exits 1, so `make unit` stops at the first failing file.
 */
#ifndef GS_TEST_H
#define GS_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GS_CHECK(expr) do { \
	if (!(expr)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
		    __LINE__, #expr); \
		exit(1); \
	} \
} while (0)

/* Asserts an exact int result, printing both values on mismatch. */
#define GS_CHECK_EQ(got, want) do { \
	long long gs_g_ = (long long)(got), gs_w_ = (long long)(want); \
	if (gs_g_ != gs_w_) { \
		fprintf(stderr, "%s:%d: %s == %lld, want %s == %lld\n", \
		    __FILE__, __LINE__, #got, gs_g_, #want, gs_w_); \
		exit(1); \
	} \
} while (0)

#define GS_CHECK_STR(got, want) do { \
	const char *gs_g_ = (got), *gs_w_ = (want); \
	if (gs_g_ == NULL || strcmp(gs_g_, gs_w_) != 0) { \
		fprintf(stderr, "%s:%d: %s == \"%s\", want \"%s\"\n", \
		    __FILE__, __LINE__, #got, gs_g_ ? gs_g_ : "(null)", \
		    gs_w_); \
		exit(1); \
	} \
} while (0)

#define GS_RUN(fn) do { \
	fn(); \
	printf("ok  %s\n", #fn); \
} while (0)

#endif
