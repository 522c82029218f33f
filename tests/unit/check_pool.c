/* Unit tests of pool.c: pool_run hands every index out exactly once, in
 * increasing order per thread, on worker threads only, for any number of
 * jobs; the caller's thread ticks while it waits; pools nest; the closer
 * closes every descriptor handed to it. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pool.h"
#include "testutil.h"

#define MAXT 64

struct run {
	size_t count;
	atomic_uint *calls;   /* per index */
	pthread_t caller;
	atomic_int on_caller; /* fn called on the caller's thread */
	/* per thread (by first-seen slot): the last index it got */
	pthread_mutex_t mu;
	pthread_t threads[MAXT];
	size_t last[MAXT];
	int nthreads;
	atomic_int out_of_order;
	unsigned sleep_us;    /* in fn, per index */
	atomic_int ticks, ticks_off_caller;
};

static void fn(void *ctx, size_t i)
{
	struct run *r = ctx;
	pthread_t self = pthread_self();
	int k;

	ck_assert_uint_lt(i, r->count);
	atomic_fetch_add(&r->calls[i], 1);
	if (pthread_equal(self, r->caller))
		atomic_fetch_add(&r->on_caller, 1);
	pthread_mutex_lock(&r->mu);
	for (k = 0; k < r->nthreads && !pthread_equal(r->threads[k], self); k++)
		;
	if (k == r->nthreads) {
		ck_assert_int_lt(r->nthreads, MAXT);
		r->threads[r->nthreads++] = self;
	} else if (r->last[k] >= i) {
		atomic_fetch_add(&r->out_of_order, 1);
	}
	r->last[k] = i;
	pthread_mutex_unlock(&r->mu);
	if (r->sleep_us)
		usleep(r->sleep_us);
}

static void tick(void *ctx)
{
	struct run *r = ctx;

	atomic_fetch_add(&r->ticks, 1);
	if (!pthread_equal(pthread_self(), r->caller))
		atomic_fetch_add(&r->ticks_off_caller, 1);
}

static void run_init(struct run *r, size_t count)
{
	memset(r, 0, sizeof(*r));
	r->count = count;
	r->calls = calloc(count ? count : 1, sizeof(*r->calls));
	ck_assert_ptr_nonnull(r->calls);
	r->caller = pthread_self();
	pthread_mutex_init(&r->mu, NULL);
}

static void run_release(struct run *r)
{
	free(r->calls);
	pthread_mutex_destroy(&r->mu);
}

/* pool_run(jobs, count) called fn once for each index, never on the
 * caller's thread, each thread's indices increasing, on at most
 * min(jobs, count) threads (at least one). */
static void check_run(int jobs, size_t count)
{
	struct run r;
	size_t i;
	int want = jobs < 1 ? 1 : jobs, on_caller, out_of_order, ticks_off_caller;

	run_init(&r, count);
	pool_run(jobs, count, fn, &r, tick);
	for (i = 0; i < count; i++) {
		unsigned calls = atomic_load(&r.calls[i]);
		ck_assert_msg(calls == 1, "jobs %d, count %zu: index %zu called %u times", jobs, count, i,
			      calls);
	}
	on_caller = atomic_load(&r.on_caller);
	out_of_order = atomic_load(&r.out_of_order);
	ticks_off_caller = atomic_load(&r.ticks_off_caller);
	ck_assert_int_eq(on_caller, 0);
	ck_assert_int_eq(out_of_order, 0);
	if ((size_t)want > count)
		want = (int)count;
	ck_assert_msg(r.nthreads <= want, "jobs %d, count %zu: %d threads", jobs, count, r.nthreads);
	ck_assert_int_eq(r.nthreads > 0, count > 0);
	ck_assert_int_eq(ticks_off_caller, 0);
	run_release(&r);
}

START_TEST(every_index_once)
{
	static const size_t counts[] = { 0, 1, 2, 3, 7, 64, 1000 };
	size_t c;
	int j;

	for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++)
		for (j = -1; j <= 9; j++)
			check_run(j, counts[c]);
	check_run(64, 1000);
	check_run(1000, 5); /* more jobs than items: capped */
}
END_TEST

/* One job: one worker thread, the items in order 0, 1, 2, ... */
START_TEST(one_job_in_order)
{
	struct run r;
	int out_of_order, on_caller;

	run_init(&r, 500);
	pool_run(1, 500, fn, &r, NULL);
	out_of_order = atomic_load(&r.out_of_order);
	on_caller = atomic_load(&r.on_caller);
	ck_assert_int_eq(r.nthreads, 1);
	ck_assert_uint_eq(r.last[0], 499);
	ck_assert_int_eq(out_of_order, 0);
	ck_assert_int_eq(on_caller, 0);
	run_release(&r);
}
END_TEST

/* Work that takes about a second: the caller ticks (every 250 ms), on its
 * own thread; several workers share it. */
START_TEST(caller_ticks_while_waiting)
{
	struct run r;
	size_t i;
	unsigned calls;
	int ticks, ticks_off_caller;

	run_init(&r, 40);
	r.sleep_us = 50000; /* 40 x 50 ms on 2 threads: about 1 s */
	pool_run(2, 40, fn, &r, tick);
	for (i = 0; i < 40; i++) {
		calls = atomic_load(&r.calls[i]);
		ck_assert_uint_eq(calls, 1);
	}
	ticks = atomic_load(&r.ticks);
	ticks_off_caller = atomic_load(&r.ticks_off_caller);
	ck_assert_int_ge(ticks, 2);
	ck_assert_int_eq(ticks_off_caller, 0);
	ck_assert_int_eq(r.nthreads, 2);
	/* no tick function: fine too */
	run_release(&r);
	run_init(&r, 8);
	r.sleep_us = 100000;
	pool_run(4, 8, fn, &r, NULL);
	for (i = 0; i < 8; i++) {
		calls = atomic_load(&r.calls[i]);
		ck_assert_uint_eq(calls, 1);
	}
	run_release(&r);
}
END_TEST

/* A pool inside a pool's item (the strip pass inside a directory's work):
 * every (outer, inner) pair once. */
enum { OUTER = 12, INNER = 37 };
static atomic_uint nested_calls[OUTER][INNER];
struct inner {
	size_t outer;
};

static void inner_fn(void *ctx, size_t i)
{
	struct inner *in = ctx;

	atomic_fetch_add(&nested_calls[in->outer][i], 1);
}

static void outer_fn(void *ctx, size_t i)
{
	struct inner in = { .outer = i };

	(void)ctx;
	pool_run((int)(i % 4) + 1, INNER, inner_fn, &in, NULL);
}

START_TEST(pools_nest)
{
	size_t i, k;

	memset(nested_calls, 0, sizeof(nested_calls));
	pool_run(3, OUTER, outer_fn, NULL, NULL);
	for (i = 0; i < OUTER; i++)
		for (k = 0; k < INNER; k++) {
			unsigned calls = atomic_load(&nested_calls[i][k]);
			ck_assert_msg(calls == 1, "(%zu, %zu) called %u times", i, k, calls);
		}
}
END_TEST

START_TEST(io_jobs_and_ncpu)
{
	ck_assert_int_eq(pool_io_jobs(1), 1);
	ck_assert_int_eq(pool_io_jobs(2), POOL_IO_JOBS);
	ck_assert_int_eq(pool_io_jobs(POOL_IO_JOBS - 1), POOL_IO_JOBS);
	ck_assert_int_eq(pool_io_jobs(POOL_IO_JOBS), POOL_IO_JOBS);
	ck_assert_int_eq(pool_io_jobs(POOL_IO_JOBS + 8), POOL_IO_JOBS + 8);
	ck_assert_int_ge(pool_ncpu(), 1);
	ck_assert_int_eq(pool_ncpu(), (int)sysconf(_SC_NPROCESSORS_ONLN));
}
END_TEST

/* Every descriptor handed to a closer is closed once closer_finish
 * returns, past a full queue too; with fewer than two threads there is no
 * closer and closer_put closes at once. */
START_TEST(closer_closes_every_fd)
{
	enum { N = 3 * CLOSER_QUEUE + 5 };
	char tmpl[] = "/tmp/slim-closer-XXXXXX";
	int fds[N], i, fd;
	struct closer *c;

	ck_assert_ptr_null(closer_start(1));
	fd = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	closer_put(NULL, fd);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_uint_eq(closer_finish(NULL), 0);

	c = closer_start(4);
	ck_assert_ptr_nonnull(c);
	for (i = 0; i < N; i++) {
		/* the last reference to an unlinked file, as the strip pass
		 * hands over */
		fds[i] = mkstemp(tmpl);
		ck_assert_int_ge(fds[i], 0);
		ck_assert_int_eq(write(fds[i], "x", 1), 1);
		ck_assert_int_eq(unlink(tmpl), 0);
		memcpy(tmpl + sizeof(tmpl) - 7, "XXXXXX", 6);
		closer_put(c, fds[i]);
	}
	ck_assert_uint_eq(closer_finish(c), N);
	for (i = 0; i < N; i++) {
		errno = 0;
		ck_assert_int_eq(fcntl(fds[i], F_GETFD), -1);
		ck_assert_int_eq(errno, EBADF);
	}
}
END_TEST


/* closer_put from several threads at once (the strip pass's workers): every
 * descriptor closed, the count right. */
struct putter {
	struct closer *c;
	int fds[150];
};

static void *put_all(void *arg)
{
	struct putter *p = arg;
	int i;

	for (i = 0; i < 150; i++)
		closer_put(p->c, p->fds[i]);
	return NULL;
}

START_TEST(closer_many_putters)
{
	struct putter *p = calloc(4, sizeof(*p));
	pthread_t t[4];
	struct closer *c = closer_start(3);
	int i, k;

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(c);
	for (k = 0; k < 4; k++) {
		p[k].c = c;
		for (i = 0; i < 150; i++) {
			p[k].fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
			ck_assert_int_ge(p[k].fds[i], 0);
		}
	}
	for (k = 0; k < 4; k++)
		ck_assert_int_eq(pthread_create(&t[k], NULL, put_all, &p[k]), 0);
	for (k = 0; k < 4; k++)
		pthread_join(t[k], NULL);
	ck_assert_uint_eq(closer_finish(c), 600);
	for (k = 0; k < 4; k++)
		for (i = 0; i < 150; i++) {
			errno = 0;
			ck_assert_int_eq(fcntl(p[k].fds[i], F_GETFD), -1);
			ck_assert_int_eq(errno, EBADF);
		}
	/* a closer with nothing handed over */
	ck_assert_uint_eq(closer_finish(closer_start(2)), 0);
	free(p);
}
END_TEST

Suite *pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *t = tcase_create("pool");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, every_index_once);
	tcase_add_test(t, one_job_in_order);
	tcase_add_test(t, caller_ticks_while_waiting);
	tcase_add_test(t, pools_nest);
	tcase_add_test(t, io_jobs_and_ncpu);
	tcase_add_test(t, closer_closes_every_fd);
	tcase_add_test(t, closer_many_putters);
	suite_add_tcase(s, t);
	return s;
}
