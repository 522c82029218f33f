/* bound.h - one limit on the work an input can cause.
 *
 * Every byte slim makes out of an input is charged to that input's bound:
 * decompressed tar data, sparse holes (they read as zeros), zip members
 * (deflated inside the format, where a filter count does not see them),
 * the files of an unpacked image, and an entry's declared size before it
 * is read into memory.  Up to BOUND_FLOOR bytes are always allowed; past
 * it, the total may not exceed ratio times the input's own size.  Real
 * layers expand 2 to 20 times; a decompression bomb, a sparse entry that
 * claims a petabyte or a zip of a few kilobytes that claims gigabytes are
 * refused before the work (or the allocation) is done.
 */
#ifndef SLIM_BOUND_H
#define SLIM_BOUND_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#define BOUND_FLOOR (1ULL << 30)

struct bound {
	uint64_t in;    /* the input's size on disk (compressed) */
	uint64_t out;   /* bytes charged so far */
	unsigned ratio; /* 0: no limit */
};

void bound_init(struct bound *b, uint64_t in_size, unsigned ratio);
/* The most bytes the input may produce (UINT64_MAX: no limit). */
uint64_t bound_limit(const struct bound *b);
/* Would charging n more bytes exceed the limit? */
bool bound_over(const struct bound *b, uint64_t n);
/*
 * Charge n bytes.  Past the limit: -1 and e says "expands more than R
 * times (X bytes from Y); a decompression bomb? (--max-ratio raises the
 * limit)", and nothing is charged.
 */
int bound_charge(struct bound *b, uint64_t n, struct err *e);

/*
 * A file on disk is an input too: reading it makes size bytes out of the
 * blocks it holds (allocated).  Is it sparse past the bound (a 64 GiB file
 * of holes, say)?  Then slim neither reads it whole nor hashes it.
 */
bool bound_sparse(uint64_t allocated, uint64_t size, unsigned ratio);

#endif
