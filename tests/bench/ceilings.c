/*
 * ceilings.c: what the machine can do at most, measured without gridsync.
 *
 *   ceilings verify SECONDS          Ed25519 verifies/s of 400-byte
 *                                    messages on one thread, then on
 *                                    sysconf(_SC_NPROCESSORS_ONLN) threads
 *   ceilings lmdb DIR SECONDS        LMDB durable commits/s (one put per
 *                                    commit, default sync), then puts/s in
 *                                    transactions of 1,000 puts
 *
 * Prints "name value" lines for bench.py.
 */
#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_common.h"

#define MSG_BYTES 400
#define NMSG      256

static unsigned char pk[crypto_sign_PUBLICKEYBYTES];
static unsigned char msgs[NMSG][MSG_BYTES];
static unsigned char sigs[NMSG][crypto_sign_BYTES];
static double run_seconds;

struct worker {
	pthread_t th;
	unsigned long long done;
	int bad;
};

static void *
verify_loop(void *arg)
{
	struct worker *w = arg;
	double end = bench_now() + run_seconds;
	unsigned long long n = 0;

	/* Check the clock every 64 verifies: cheap beside a verify. */
	while (bench_now() < end)
		for (int k = 0; k < 64; k++, n++)
			if (crypto_sign_verify_detached(sigs[n % NMSG],
			    msgs[n % NMSG], MSG_BYTES, pk) != 0)
				w->bad = 1;
	w->done = n;
	return NULL;
}

static double
verify_rate(int threads)
{
	struct worker *w = calloc((size_t)threads, sizeof(*w));
	double t0, t1;
	unsigned long long total = 0;

	if (w == NULL)
		exit(2);
	t0 = bench_now();
	for (int i = 0; i < threads; i++)
		if (pthread_create(&w[i].th, NULL, verify_loop, &w[i]) != 0)
			exit(2);
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].done;
		if (w[i].bad) {
			fprintf(stderr, "a signature did not verify\n");
			exit(2);
		}
	}
	t1 = bench_now();
	free(w);
	return (double)total / (t1 - t0);
}

static int
cmd_verify(void)
{
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (cores < 1)
		cores = 1;
	crypto_sign_keypair(pk, sk);
	for (int i = 0; i < NMSG; i++) {
		randombytes_buf(msgs[i], MSG_BYTES);
		crypto_sign_detached(sigs[i], NULL, msgs[i], MSG_BYTES, sk);
	}
	printf("cores %ld\n", cores);
	printf("verify_1core %.0f\n", verify_rate(1));
	printf("verify_allcores %.0f\n", verify_rate((int)cores));
	return 0;
}

#define LMDB_CHECK(x) do { int e_ = (x); if (e_ != 0) { \
	fprintf(stderr, "%s: %s\n", #x, mdb_strerror(e_)); exit(2); } } while (0)

static int
cmd_lmdb(const char *dir)
{
	MDB_env *env;
	MDB_dbi dbi;
	MDB_txn *txn;
	unsigned char val[MSG_BYTES];
	unsigned long long key = 0, n;
	double t0, end;

	memset(val, 0x5a, sizeof(val));
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		perror(dir);
		return 2;
	}
	LMDB_CHECK(mdb_env_create(&env));
	LMDB_CHECK(mdb_env_set_mapsize(env, (size_t)1 << 30));
	/* Default flags, as the store opens it: every commit is durable. */
	LMDB_CHECK(mdb_env_open(env, dir, 0, 0600));
	LMDB_CHECK(mdb_txn_begin(env, NULL, 0, &txn));
	LMDB_CHECK(mdb_dbi_open(txn, NULL, 0, &dbi));
	LMDB_CHECK(mdb_txn_commit(txn));

	/* One put per durable commit. */
	n = 0;
	t0 = bench_now();
	end = t0 + run_seconds;
	while (bench_now() < end) {
		MDB_val k = { sizeof(key), &key }, v = { sizeof(val), val };

		key++;
		LMDB_CHECK(mdb_txn_begin(env, NULL, 0, &txn));
		LMDB_CHECK(mdb_put(txn, dbi, &k, &v, 0));
		LMDB_CHECK(mdb_txn_commit(txn));
		n++;
	}
	printf("lmdb_commits %.0f\n", (double)n / (bench_now() - t0));

	/* Transactions of 1,000 puts. */
	n = 0;
	t0 = bench_now();
	end = t0 + run_seconds;
	while (bench_now() < end) {
		LMDB_CHECK(mdb_txn_begin(env, NULL, 0, &txn));
		for (int i = 0; i < 1000; i++) {
			MDB_val k = { sizeof(key), &key };
			MDB_val v = { sizeof(val), val };

			key++;
			LMDB_CHECK(mdb_put(txn, dbi, &k, &v, 0));
		}
		LMDB_CHECK(mdb_txn_commit(txn));
		n += 1000;
	}
	printf("lmdb_batched_puts %.0f\n", (double)n / (bench_now() - t0));
	mdb_env_close(env);
	return 0;
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 2;
	if (argc == 3 && strcmp(argv[1], "verify") == 0) {
		run_seconds = atof(argv[2]);
		return cmd_verify();
	}
	if (argc == 4 && strcmp(argv[1], "lmdb") == 0) {
		run_seconds = atof(argv[3]);
		return cmd_lmdb(argv[2]);
	}
	fprintf(stderr, "usage: ceilings verify SECONDS | "
	    "ceilings lmdb DIR SECONDS\n");
	return 2;
}
