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

/* Number of online CPUs (at least 1). */
int pool_ncpu(void);

#endif
