/* libFuzzer target: the fat binary inventory (fatbin.h), on a bare buffer
 * and as an ELF image.  Whatever the input, nothing is read out of bounds,
 * the containers found never overlap (their headers and entries fit in
 * the input together), the rows add up to the totals, and a container's
 * entries tile it exactly.
 *
 * Then pruning (fatprune.c), on copies, for a few GPU lists (one from the
 * input's last byte): no byte outside the containers found in the input
 * changes; a container it changed is valid, made of some of its entries,
 * in order and byte for byte, with zeros after them; what it says it
 * removed adds up; and pruning the result again changes nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- pruning ------------------------------------------------------------ */

/* The containers of the input, as the scans find them (of every region). */
struct found {
	const unsigned char *in;
	unsigned char *mark; /* 1 on every byte of a container */
	size_t n;
};

static void mark(void *ctx, size_t off, uint64_t len)
{
	struct found *f = ctx;

	memset(f->mark + off, 1, len);
}

static bool mark_region(void *ctx, size_t lo, size_t hi)
{
	struct found *f = ctx;

	fatbin_each(f->in, lo, hi, mark, f, NULL, NULL);
	return true;
}

/* The entries of one container, as offsets and sizes. */
struct ents {
	struct fatbin_entry *v;
	size_t n;
};

static void keep_ent(void *ctx, const struct fatbin_entry *e)
{
	struct ents *x = ctx;

	x->v = realloc(x->v, (x->n + 1) * sizeof(*x->v));
	if (!x->v)
		abort();
	x->v[x->n++] = *e;
}

/* The container at off in the input (len bytes) became out + off: the
 * same, or some of its entries in order, then zeros; *freed grows by what
 * went. */
static void check_container(const unsigned char *in, const unsigned char *out, size_t off,
			    uint64_t len, uint64_t *freed)
{
	struct ents a = { NULL, 0 }, b = { NULL, 0 };
	uint64_t used, at;
	size_t i, j = 0;

	if (memcmp(in + off, out + off, len) == 0)
		return;
	fatbin_container(in + off, len, keep_ent, &a, NULL);
	used = fatbin_container(out + off, len, keep_ent, &b, NULL);
	if (!used || used >= len || b.n >= a.n)
		abort();
	for (at = used; at < len; at++)
		if (out[off + at])
			abort();
	for (i = 0; i < b.n; i++) { /* a subsequence of the old entries */
		while (j < a.n && (a.v[j].bytes != b.v[i].bytes ||
				   memcmp(in + off + a.v[j].off, out + off + b.v[i].off,
					  a.v[j].bytes) != 0))
			j++;
		if (j++ == a.n)
			abort();
	}
	*freed += len - used;
	free(a.v);
	free(b.v);
}

struct walk {
	const unsigned char *in, *out;
	uint64_t freed;
};

static void check_one(void *ctx, size_t off, uint64_t len)
{
	struct walk *w = ctx;

	check_container(w->in, w->out, off, len, &w->freed);
}

/* Prune a copy of data for t (the whole buffer, or as an ELF image). */
static void prune_checked(const uint8_t *data, size_t size, const struct cuda_targets *t,
			  bool elf)
{
	unsigned char *out = malloc(size ? size : 1), *again = malloc(size ? size : 1);
	struct found f = { data, calloc(size ? size : 1, 1), size };
	struct walk w = { data, out, 0 };
	struct fatbin_pruned p, p2;
	uint64_t removed;
	size_t i;

	memcpy(out, data, size);
	if (elf) {
		fatbin_elf_regions(data, size, mark_region, &f);
		removed = fatbin_prune_elf(out, size, t, &p);
	} else {
		fatbin_each(data, 0, size, mark, &f, NULL, NULL);
		removed = fatbin_prune(out, 0, size, t, &p);
	}
	for (i = 0; i < size; i++)
		if (out[i] != data[i] && !f.mark[i])
			abort(); /* a byte outside every container changed */
	if (!elf) {
		fatbin_each(data, 0, size, check_one, &w, NULL, NULL);
		if (w.freed != removed)
			abort();
	}
	if (p.removed.bytes != removed || (removed && !p.containers))
		abort();
	check(&p.removed, size);
	memcpy(again, out, size);
	if ((elf ? fatbin_prune_elf(again, size, t, &p2) : fatbin_prune(again, 0, size, t, &p2)) ||
	    memcmp(again, out, size) != 0)
		abort(); /* pruned again, it changes */
	fatbin_pruned_release(&p);
	fatbin_pruned_release(&p2);
	free(f.mark);
	free(again);
	free(out);
}

static void prune_all(const uint8_t *data, size_t size)
{
	struct cuda_targets t[3] = {
		{ .n = 1, .arch = { 90 } },
		{ .n = 3, .arch = { 80, 100, 75 }, .no_ptx = true },
		{ .n = 1, .arch = { 10 } },
	};
	size_t k;

	if (size) { /* one GPU, or two, from the last byte */
		t[2].arch[0] = 10 + (uint32_t)(data[size - 1] & 0x7f) * 2;
		t[2].n = data[size - 1] & 0x80 ? 2 : 1;
		t[2].arch[1] = 90;
	}
	for (k = 0; k < 3; k++) {
		prune_checked(data, size, &t[k], false);
		prune_checked(data, size, &t[k], true);
	}
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
	prune_all(data, size);
	return 0;
}
