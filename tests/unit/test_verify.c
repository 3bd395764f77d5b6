/*
 * test_verify.c: the signature-check pool (verify.h) and apply's use of it.
 */
#include "gs_test.h"
#include "gs_world.h"

#include <sodium.h>

#include "gs/verify.h"

#define NENV 600

static struct env envs[NENV];
static gs_envelope dec[NENV];
static const gs_envelope *ptr[NENV];
static int8_t ok[NENV];

/* NENV notices sealed by the town; every 7th has a flipped signature
 * byte, every 11th is left out (NULL). */
static void
make(void)
{
	struct draft d;
	char title[32];

	for (int i = 0; i < NENV; i++) {
		snprintf(title, sizeof(title), "通知 %d", i);
		seal(&C, d_notice(&d, title), H(10 + i), &envs[i]);
		if (i % 7 == 3) {
			/* The last byte of the envelope is in the signature
			 * field (field 3, written last). */
			envs[i].buf[envs[i].len - 1] ^= 0x01;
		}
		GS_CHECK_EQ(gs_envelope_decode(envs[i].buf, envs[i].len,
		    &dec[i]), 0);
		ptr[i] = i % 11 == 5 ? NULL : &dec[i];
	}
}

static int8_t
want(size_t i)
{
	return i % 11 == 5 ? -1 : i % 7 == 3 ? 0 : 1;
}

static void
test_verdicts(void)
{
	static const size_t sizes[] = { 0, 1, 7, 8, 9, 64, 255, NENV };

	world_new();
	make();
	for (int round = 0; round < 2; round++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t n = sizes[s];

			memset(ok, 42, sizeof(ok));
			GS_CHECK_EQ(gs_verify_many(ptr, n, ok), 0);
			for (size_t i = 0; i < n; i++)
				GS_CHECK_EQ(ok[i], want(i));
			for (size_t i = n; i < NENV; i++)
				GS_CHECK_EQ(ok[i], 42);   /* nothing past n */
		}
		/* Stopped and started again: the same answers. */
		gs_verify_shutdown();
		GS_CHECK_EQ(gs_verify_threads(), 0);
	}
	/* Many small jobs in a row, each a few items past the threshold:
	 * no verdict lost or left over between jobs. */
	for (int job = 0; job < 2000; job++) {
		size_t off = (size_t)(job * 13) % (NENV - 20), n = 8 + job % 12;

		memset(ok, 42, sizeof(ok));
		GS_CHECK_EQ(gs_verify_many(ptr + off, n, ok), 0);
		for (size_t i = 0; i < n; i++)
			GS_CHECK_EQ(ok[i], want(off + i));
		GS_CHECK_EQ(ok[n], 42);
	}
	for (int i = 0; i < NENV; i++) {
		gs_envelope_clear(&dec[i]);
		env_free(&envs[i]);
	}
	gs_verify_shutdown();
	world_free();
}

/* A batch through apply takes the pool's verdicts: the forged ones are
 * rejected as bad signatures, the rest applied, and a second apply of the
 * same batch is all duplicates. */
static void
test_apply_batch(void)
{
	const uint8_t *bufs[64];
	size_t lens[64];
	struct gs_apply_result res[64];
	struct gs_apply_stats st;
	gs_txn *t = NULL;

	world_new();
	make();
	for (int i = 0; i < 64; i++) {
		bufs[i] = envs[i].buf;
		lens[i] = envs[i].len;
	}
	memset(&st, 0, sizeof(st));
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(X.n), 1, &t), 0);
	GS_CHECK_EQ(gs_apply_batch(X.n, t, bufs, lens, 64, res, &st), 0);
	GS_CHECK_EQ(gs_txn_commit(&t), 0);
	for (size_t i = 0; i < 64; i++) {
		if (i % 7 == 3) {
			GS_CHECK_EQ(res[i].status, GS_REJECTED);
			GS_CHECK_EQ(res[i].code, GS_EBADSIG);
			GS_CHECK_STR(res[i].reason, "bad signature");
		} else
			GS_CHECK_EQ(res[i].status, GS_APPLIED);
	}
	GS_CHECK_EQ(st.applied, 64 - 9);
	GS_CHECK_EQ(st.rejected, 9);
	memset(&st, 0, sizeof(st));
	GS_CHECK_EQ(gs_txn_begin(gs_node_store(X.n), 1, &t), 0);
	GS_CHECK_EQ(gs_apply_batch(X.n, t, bufs, lens, 64, res, &st), 0);
	GS_CHECK_EQ(gs_txn_commit(&t), 0);
	GS_CHECK_EQ(st.duplicate, 64);
	for (int i = 0; i < NENV; i++) {
		gs_envelope_clear(&dec[i]);
		env_free(&envs[i]);
	}
	gs_verify_shutdown();
	world_free();
}

int
main(void)
{
	GS_CHECK(sodium_init() >= 0);
	GS_RUN(test_verdicts);
	GS_RUN(test_apply_batch);
	return 0;
}
