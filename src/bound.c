/* bound.c - see bound.h */
#include "bound.h"

void bound_init(struct bound *b, uint64_t in_size, unsigned ratio)
{
	b->in = in_size;
	b->out = 0;
	b->ratio = ratio;
}

uint64_t bound_limit(const struct bound *b)
{
	uint64_t lim;

	if (!b->ratio)
		return UINT64_MAX;
	lim = b->in > UINT64_MAX / b->ratio ? UINT64_MAX : b->in * b->ratio;
	return lim < BOUND_FLOOR ? BOUND_FLOOR : lim;
}

bool bound_over(const struct bound *b, uint64_t n)
{
	uint64_t lim = bound_limit(b);

	return n > lim || b->out > lim - n;
}

int bound_charge(struct bound *b, uint64_t n, struct err *e)
{
	if (bound_over(b, n)) {
		err_set(e, "expands more than %u times (%llu bytes or more from %llu); a "
			   "decompression bomb? (--max-ratio raises the limit)",
			b->ratio, (unsigned long long)(b->out + n > b->out ? b->out + n : UINT64_MAX),
			(unsigned long long)b->in);
		return -1;
	}
	b->out += n;
	return 0;
}

bool bound_sparse(uint64_t allocated, uint64_t size, unsigned ratio)
{
	struct bound b;

	bound_init(&b, allocated, ratio);
	return bound_over(&b, size);
}
