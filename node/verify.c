/*
 * verify.c: a pool of threads for signature checks (verify.h).
 *
 * One job at a time: the caller publishes (e, n, ok), wakes the workers
 * and goes on (gs_verify_start); everyone takes the next index from an
 * atomic counter until the job is used up. gs_verify_wait has the caller
 * take what is left, then wait for the workers still inside an item, so
 * no thread touches the job after it returns.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "gs/error.h"
#include "gs/verify.h"

#define THREADS_MAX 64

static struct {
	pthread_mutex_t           mu;
	pthread_cond_t            go, done;
	pthread_t                 tid[THREADS_MAX];
	unsigned                  n;          /* workers started */
	bool                      started, stopping;
	bool                      out;        /* a job is started, not waited */
	uint64_t                  job;        /* bumped per job */
	unsigned                  busy;       /* workers inside the job */
	const gs_envelope *const *e;
	int8_t                   *ok;
	size_t                    len;
	atomic_size_t             next;
} pool = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.go = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
};

/* Takes items of the job (e, ok, len) until none is left. A worker that
 * woke after its job ended holds len 0 and must not touch the counter:
 * it may belong to the next job already. */
static void
work(const gs_envelope *const *e, int8_t *ok, size_t len)
{
	size_t i;

	if (len == 0)
		return;
	while ((i = atomic_fetch_add(&pool.next, 1)) < len)
		ok[i] = e[i] == NULL ? -1 :
		    gs_envelope_verify(e[i]) == 0 ? 1 : 0;
}

static void *
worker(void *arg)
{
	const gs_envelope *const *e;
	uint64_t seen = 0;
	int8_t *ok;
	size_t len;

	(void)arg;
	pthread_mutex_lock(&pool.mu);
	for (;;) {
		while (!pool.stopping && pool.job == seen)
			pthread_cond_wait(&pool.go, &pool.mu);
		if (pool.stopping)
			break;
		/* The job is read under the mutex, with busy counted, so the
		 * caller cannot end it under our feet. */
		seen = pool.job;
		pool.busy++;
		e = pool.e;
		ok = pool.ok;
		len = pool.len;
		pthread_mutex_unlock(&pool.mu);
		work(e, ok, len);
		pthread_mutex_lock(&pool.mu);
		if (--pool.busy == 0)
			pthread_cond_signal(&pool.done);
	}
	pthread_mutex_unlock(&pool.mu);
	return NULL;
}

/* Starts one worker per core; with the mutex held. The caller's thread
 * is not counted: while a job runs it is busy with other work (the
 * previous batch's commit), and when it waits it takes items too. */
static int
start(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned want = cores > 1 ? (unsigned)cores : 1;

	sigset_t all, old;

	if (want > THREADS_MAX)
		want = THREADS_MAX;
	pool.stopping = false;
	/* Workers take no signals: SIGTERM and SIGINT stay with the
	 * daemon's thread, whose poll they interrupt. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (pool.n = 0; pool.n < want; pool.n++)
		if (pthread_create(&pool.tid[pool.n], NULL, worker, NULL) != 0)
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pool.started = true;
	return 0;
}

static void
verify_here(const gs_envelope *const *e, size_t n, int8_t *ok)
{
	for (size_t i = 0; i < n; i++)
		ok[i] = e[i] == NULL ? -1 : gs_envelope_verify(e[i]) == 0 ? 1 : 0;
}

int
gs_verify_start(const gs_envelope *const *e, size_t n, int8_t *ok)
{
	pthread_mutex_lock(&pool.mu);
	if (pool.out) {
		pthread_mutex_unlock(&pool.mu);
		return GS_EBUSY;
	}
	if (!pool.started)
		start();
	if (pool.n == 0 || n < GS_VERIFY_PARALLEL_MIN) {
		pthread_mutex_unlock(&pool.mu);
		verify_here(e, n, ok);
		return 0;
	}
	pool.e = e;
	pool.ok = ok;
	pool.len = n;
	pool.out = true;
	atomic_store(&pool.next, 0);
	pool.job++;
	pthread_cond_broadcast(&pool.go);
	pthread_mutex_unlock(&pool.mu);
	return 0;
}

void
gs_verify_wait(void)
{
	const gs_envelope *const *e;
	int8_t *ok;
	size_t len;

	pthread_mutex_lock(&pool.mu);
	if (!pool.out) {
		pthread_mutex_unlock(&pool.mu);
		return;
	}
	e = pool.e;
	ok = pool.ok;
	len = pool.len;
	pthread_mutex_unlock(&pool.mu);
	work(e, ok, len);
	pthread_mutex_lock(&pool.mu);
	/* Every item is taken now; a worker that wakes late finds the
	 * counter used up and leaves at once, one still inside an item is
	 * waited for. */
	while (pool.busy > 0)
		pthread_cond_wait(&pool.done, &pool.mu);
	pool.e = NULL;
	pool.ok = NULL;
	pool.len = 0;
	pool.out = false;
	pthread_mutex_unlock(&pool.mu);
}

int
gs_verify_many(const gs_envelope *const *e, size_t n, int8_t *ok)
{
	if (gs_verify_start(e, n, ok) != 0) {
		/* Another job is out: check these here rather than wait. */
		verify_here(e, n, ok);
		return 0;
	}
	gs_verify_wait();
	return 0;
}

unsigned
gs_verify_threads(void)
{
	unsigned n;

	pthread_mutex_lock(&pool.mu);
	n = pool.n;
	pthread_mutex_unlock(&pool.mu);
	return n;
}

void
gs_verify_shutdown(void)
{
	gs_verify_wait();
	pthread_mutex_lock(&pool.mu);
	if (!pool.started) {
		pthread_mutex_unlock(&pool.mu);
		return;
	}
	pool.stopping = true;
	pthread_cond_broadcast(&pool.go);
	pthread_mutex_unlock(&pool.mu);
	for (unsigned i = 0; i < pool.n; i++)
		pthread_join(pool.tid[i], NULL);
	pthread_mutex_lock(&pool.mu);
	pool.n = 0;
	pool.started = false;
	pool.stopping = false;
	pthread_mutex_unlock(&pool.mu);
}
