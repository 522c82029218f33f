/* pool.h - run independent work items on worker threads. */
#ifndef SLIM_POOL_H
#define SLIM_POOL_H

#include <stddef.h>

/*
 * Call fn(ctx, i) for every i in [0, count) on `jobs` threads (the caller's
 * thread only waits).  Items are handed out in increasing order.  While
 * waiting, tick(ctx) is called about four times a second if not NULL.
 * fn must be thread-safe; results belong in per-item storage so that the
 * caller can merge them in item order, whatever the number of threads.
 */
void pool_run(int jobs, size_t count, void (*fn)(void *ctx, size_t i), void *ctx,
	      void (*tick)(void *ctx));

/*
 * Threads for work that waits on the device rather than the CPU: unlink
 * and rename over a file free blocks, and on ext4 mounted with -o discard
 * (common on cloud disks) or over NFS each such call waits for a round trip.
 * More threads than CPUs overlap the waits.  jobs == 1 stays 1.
 */
#define POOL_IO_JOBS 16
int pool_io_jobs(int jobs);

/*
 * A closer: threads that close descriptors handed to them.  Closing the
 * last reference to a file that was renamed over frees its blocks, and on
 * a disk that discards what is freed (ext4 -o discard) that close waits for
 * the device: a worker hands the descriptor over and goes on with the next
 * file while the closers wait.  At most CLOSER_QUEUE descriptors wait at
 * once (closer_put blocks past that), so a slow device cannot run the
 * process out of descriptors.
 */
#define CLOSER_QUEUE 64
struct closer;
/* Start `threads` closers; NULL (callers close at once) when threads < 2
 * or no thread can be started. */
struct closer *closer_start(int threads);
/* Close fd on a closer thread; with c NULL, here and now. */
void closer_put(struct closer *c, int fd);
/* Wait until every descriptor handed over is closed; free c (may be NULL).
 * Returns how many were closed on the closer threads. */
size_t closer_finish(struct closer *c);

/* Number of online CPUs (at least 1). */
int pool_ncpu(void);

#endif
