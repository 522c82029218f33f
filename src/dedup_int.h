/* dedup_int.h - what dedup.c shares with its helpers. */
#ifndef SLIM_DEDUP_INT_H
#define SLIM_DEDUP_INT_H

#include <stddef.h>
#include <stdint.h>

/* A name while the files are gathered: 16 bytes, then freed. */
struct gname {
	uint64_t ino;
	uint32_t dev;  /* an index into the devices seen */
	uint32_t item;
};

/* Sort v[0..n) by (dev, ino, item), in place: the names of a million files
 * must not need a second copy (qsort's merge sort takes one).  Quicksort,
 * heapsort past a depth of 2 log n, insertion sort for short runs. */
void dedup_sort_names(struct gname *v, size_t n);

#endif
