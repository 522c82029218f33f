/* libFuzzer target: the fat binary inventory (fatbin.h), on a bare buffer
 * and as an ELF image.  Whatever the input, nothing is read out of bounds,
 * the containers found never overlap (their headers and entries fit in
 * the input together), the rows add up to the totals, and a container's
 * entries tile it exactly. */
#include <stdint.h>
#include <stdlib.h>

#include "fatbin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void add(void *ctx, const struct fatbin_entry *e)
{
	uint64_t *sum = ctx;

	if (e->off != FATBIN_HEADER + *sum)
		abort(); /* entries are back to back */
	*sum += e->bytes;
}

static void check(const struct fatbin_summary *s, size_t size)
{
	uint64_t bytes = 0, entries = 0;
	size_t i;

	for (i = 0; i < s->nrows; i++) {
		bytes += s->rows[i].bytes;
		entries += s->rows[i].entries;
		if (i && fatbin_row_cmp(&s->rows[i - 1], &s->rows[i]) >= 0)
			abort();
	}
	if (bytes != s->bytes || entries != s->entries ||
	    s->bytes + FATBIN_HEADER * s->containers > size)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fatbin_summary s;
	uint64_t sum = 0, len;

	len = fatbin_container(data, size, add, &sum, NULL);
	if (len && (len > size || len != FATBIN_HEADER + sum))
		abort();
	fatbin_summary_init(&s);
	fatbin_scan(data, 0, size, &s);
	check(&s, size);
	fatbin_summary_release(&s);
	fatbin_summary_init(&s);
	fatbin_scan_elf(data, size, &s);
	check(&s, size);
	fatbin_summary_release(&s);
	return 0;
}
