#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

struct pool {
	atomic_size_t next;
	size_t count;
	void (*fn)(void *ctx, size_t i);
	void *ctx;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int running;
};

static void *worker(void *arg)
{
	struct pool *p = arg;
	size_t i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->count)
		p->fn(p->ctx, i);
	pthread_mutex_lock(&p->mu);
	p->running--;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int pool_io_jobs(int jobs)
{
	return jobs > 1 && jobs < POOL_IO_JOBS ? POOL_IO_JOBS : jobs;
}

int pool_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

void pool_run(int jobs, size_t count, void (*fn)(void *ctx, size_t i), void *ctx,
	      void (*tick)(void *ctx))
{
	struct pool p = { .count = count, .fn = fn, .ctx = ctx };
	pthread_t *t;
	int i, started = 0;

	if (!count)
		return;
	if (jobs < 1)
		jobs = 1;
	if ((size_t)jobs > count)
		jobs = (int)count;
	atomic_init(&p.next, 0);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	t = xcalloc((size_t)jobs, sizeof(*t));
	pthread_mutex_lock(&p.mu);
	for (i = 0; i < jobs; i++) {
		if (pthread_create(&t[i], NULL, worker, &p) != 0)
			break;
		started++;
		p.running++;
	}
	pthread_mutex_unlock(&p.mu);
	if (!started) {
		/* no threads to be had: do it here */
		size_t k;
		while ((k = atomic_fetch_add(&p.next, 1)) < count)
			fn(ctx, k);
	}
	pthread_mutex_lock(&p.mu);
	while (p.running > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&p.cv, &p.mu, &ts) == ETIMEDOUT && tick) {
			pthread_mutex_unlock(&p.mu);
			tick(ctx);
			pthread_mutex_lock(&p.mu);
		}
	}
	pthread_mutex_unlock(&p.mu);
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	free(t);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
}

struct closer {
	pthread_mutex_t mu;
	pthread_cond_t nonempty, nonfull;
	int q[CLOSER_QUEUE];
	size_t head, len, closed;
	bool done;
	int nthreads;
	pthread_t t[];
};

static void *closer_main(void *arg)
{
	struct closer *c = arg;
	int fd;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->len && !c->done)
			pthread_cond_wait(&c->nonempty, &c->mu);
		if (!c->len)
			break; /* done, and nothing left */
		fd = c->q[c->head];
		c->head = (c->head + 1) % CLOSER_QUEUE;
		c->len--;
		pthread_cond_signal(&c->nonfull);
		pthread_mutex_unlock(&c->mu);
		close(fd);
		pthread_mutex_lock(&c->mu);
		c->closed++;
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

struct closer *closer_start(int threads)
{
	struct closer *c;

	if (threads < 2)
		return NULL;
	c = xcalloc(1, sizeof(*c) + (size_t)threads * sizeof(pthread_t));
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->nonempty, NULL);
	pthread_cond_init(&c->nonfull, NULL);
	while (c->nthreads < threads && pthread_create(&c->t[c->nthreads], NULL, closer_main, c) == 0)
		c->nthreads++;
	if (!c->nthreads) {
		closer_finish(c);
		return NULL;
	}
	return c;
}

void closer_put(struct closer *c, int fd)
{
	if (!c) {
		close(fd);
		return;
	}
	pthread_mutex_lock(&c->mu);
	while (c->len == CLOSER_QUEUE)
		pthread_cond_wait(&c->nonfull, &c->mu);
	c->q[(c->head + c->len) % CLOSER_QUEUE] = fd;
	c->len++;
	pthread_cond_signal(&c->nonempty);
	pthread_mutex_unlock(&c->mu);
}

size_t closer_finish(struct closer *c)
{
	size_t n;
	int i;

	if (!c)
		return 0;
	pthread_mutex_lock(&c->mu);
	c->done = true;
	pthread_cond_broadcast(&c->nonempty);
	pthread_mutex_unlock(&c->mu);
	for (i = 0; i < c->nthreads; i++)
		pthread_join(c->t[i], NULL);
	n = c->closed;
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->nonempty);
	pthread_cond_destroy(&c->nonfull);
	free(c);
	return n;
}
