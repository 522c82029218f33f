/* fatbin.c - find and read CUDA fat binary containers in a buffer (see
 * fatbin.h for the format).  Every read is bounded by the buffer; sizes
 * are checked against what is left before they are added. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fatbin.h"
#include "util.h"

#define FLAG_COMPRESSED (0x2000u | 0x8000u)
#define FLAG_ARCH_A 0x100000u
#define FLAG_ARCH_F 0x200000u
#define ENTRY_MAX 4096 /* an entry header larger than this is no entry */
#define ARCH_MIN 10   /* sm_10, the first */
#define ARCH_MAX 1000 /* sm_121 is the newest: no row past this is real */

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The entry header at p, with left bytes up to its container's end:
 * filled in *e and true when it holds together. */
static bool read_entry(const unsigned char *p, uint64_t left, struct fatbin_entry *e)
{
	uint32_t hsize, csize;
	uint64_t payload, flags;

	if (left < FATBIN_ENTRY_MIN)
		return false;
	hsize = le32(p + 4);
	payload = le64(p + 8);
	if (hsize < FATBIN_ENTRY_MIN || hsize > ENTRY_MAX || hsize % 8 || hsize > left ||
	    payload > left - hsize)
		return false;
	e->raw_kind = le16(p);
	e->arch = le32(p + 28);
	flags = le64(p + 40);
	csize = le32(p + 16);
	if (e->raw_kind == 0 || e->arch < ARCH_MIN || e->arch > ARCH_MAX)
		return false;
	e->compressed = (flags & FLAG_COMPRESSED) != 0;
	/* a compressed payload is padded to 8; an entry that is not has no size there */
	if (e->compressed ? csize == 0 || csize > payload || payload - csize >= 8 : csize != 0)
		return false;
	e->kind = e->raw_kind == 1 ? FATBIN_PTX : e->raw_kind == 2 ? FATBIN_SASS : FATBIN_OTHER;
	e->variant = flags & FLAG_ARCH_A ? 'a' : flags & FLAG_ARCH_F ? 'f' : 0;
	e->bytes = hsize + payload;
	e->payload = payload;
	return true;
}

/* Walk the entries of [p + 16, p + 16 + size): do they tile it exactly?
 * Each goes to fn when given. */
static bool walk(const unsigned char *p, uint64_t size, fatbin_entry_fn fn, void *ctx,
		 size_t *steps)
{
	uint64_t off = FATBIN_HEADER, end = FATBIN_HEADER + size;
	struct fatbin_entry e;

	while (off < end) {
		if (steps)
			(*steps)++;
		if (!read_entry(p + off, end - off, &e))
			return false;
		e.off = off;
		if (fn)
			fn(ctx, &e);
		off += e.bytes;
	}
	return true;
}

bool fatbin_entry_read(const unsigned char *p, uint64_t left, struct fatbin_entry *e)
{
	return read_entry(p, left, e);
}

uint64_t fatbin_header(const unsigned char *p, uint64_t n)
{
	uint64_t size;

	if (n < FATBIN_HEADER || le32(p) != FATBIN_MAGIC || le16(p + 4) != 1 ||
	    le16(p + 6) != FATBIN_HEADER)
		return 0;
	size = le64(p + 8);
	if (size < FATBIN_ENTRY_MIN || size > n - FATBIN_HEADER)
		return 0;
	return FATBIN_HEADER + size;
}

uint64_t fatbin_container(const unsigned char *p, size_t n, fatbin_entry_fn fn, void *ctx,
			  size_t *steps)
{
	uint64_t size = fatbin_header(p, n);

	if (size == 0)
		return 0;
	size -= FATBIN_HEADER;
	if (!walk(p, size, NULL, NULL, steps))
		return 0;
	if (fn)
		walk(p, size, fn, ctx, NULL);
	return FATBIN_HEADER + size;
}

const char *fatbin_kind_str(enum fatbin_kind k)
{
	return k == FATBIN_SASS ? "sass" : k == FATBIN_PTX ? "ptx" : "other";
}

void fatbin_arch_str(char *out, size_t n, uint32_t arch, char variant)
{
	if (variant)
		snprintf(out, n, "sm_%u%c", (unsigned)arch, variant);
	else
		snprintf(out, n, "sm_%u", (unsigned)arch);
}

int fatbin_row_cmp(const struct fatbin_row *a, const struct fatbin_row *b)
{
	if (a->arch != b->arch)
		return a->arch < b->arch ? -1 : 1;
	if (a->variant != b->variant)
		return a->variant < b->variant ? -1 : 1;
	return (a->kind > b->kind) - (a->kind < b->kind);
}

void fatbin_summary_init(struct fatbin_summary *s)
{
	memset(s, 0, sizeof(*s));
}

void fatbin_summary_release(struct fatbin_summary *s)
{
	free(s->rows);
	fatbin_summary_init(s);
}

void fatbin_summary_add_row(struct fatbin_summary *s, const struct fatbin_row *row)
{
	struct fatbin_row key = { .arch = row->arch, .variant = row->variant, .kind = row->kind };
	size_t i = 0, hi = s->nrows;

	/* a sorted array: found by bisection, a new row inserted (at most
	 * ARCH_MAX x 3 variants x 3 kinds of them) */
	while (i < hi) {
		size_t mid = i + (hi - i) / 2;
		if (fatbin_row_cmp(&s->rows[mid], &key) < 0)
			i = mid + 1;
		else
			hi = mid;
	}
	if (i == s->nrows || fatbin_row_cmp(&s->rows[i], &key) != 0) {
		xgrow(&s->rows, &s->caprows, s->nrows + 1, sizeof(*s->rows));
		memmove(&s->rows[i + 1], &s->rows[i], (s->nrows - i) * sizeof(*s->rows));
		s->rows[i] = key;
		s->nrows++;
	}
	s->rows[i].bytes += row->bytes;
	s->rows[i].entries += row->entries;
	s->rows[i].compressed += row->compressed;
	s->entries += row->entries;
	s->bytes += row->bytes;
}

void fatbin_summary_add(struct fatbin_summary *s, const struct fatbin_entry *e)
{
	struct fatbin_row row = { .arch = e->arch, .variant = e->variant, .kind = (uint8_t)e->kind,
				  .bytes = e->bytes, .entries = 1, .compressed = e->compressed };

	fatbin_summary_add_row(s, &row);
}

static void add_entry(void *ctx, const struct fatbin_entry *e)
{
	fatbin_summary_add(ctx, e);
}

/* Where a scan says what it is done with (fatbin_scan_elf_paged). */
struct pager {
	fatbin_done_fn done;
	void *ctx;
	size_t from;  /* done with nothing below this yet */
};

#define PAGER_STEP (8u << 20)

/* The scan will not read below off again: tell, every PAGER_STEP. */
static void paged(struct pager *pg, size_t off, bool last)
{
	if (pg && pg->done && off > pg->from && (last || off - pg->from >= PAGER_STEP)) {
		pg->done(pg->ctx, pg->from, off);
		pg->from = off;
	}
}

static bool each(const unsigned char *buf, size_t lo, size_t hi, fatbin_container_fn fn,
		 void *ctx, fatbin_entry_fn efn, void *ectx, struct pager *pg)
{
	size_t off = (lo + 7) & ~(size_t)7, steps = 0, budget;
	uint64_t len;

	if (off < lo || hi <= lo) /* wrapped, or nothing */
		return true;
	if (pg)
		pg->from = lo;
	budget = (hi - lo) / 16 + 4096;
	while (off < hi && hi - off >= FATBIN_HEADER) {
		paged(pg, off, false);
		if (le32(buf + off) != FATBIN_MAGIC) {
			off += 8;
			continue;
		}
		if (steps > budget)
			return false;
		len = fatbin_container(buf + off, hi - off, efn, ectx, &steps);
		if (len == 0) {
			off += 8;
			continue;
		}
		if (fn)
			fn(ctx, off, len);
		off += (size_t)len;
		off = off + 7 < off ? hi : (off + 7) & ~(size_t)7;
	}
	paged(pg, hi, true);
	return true;
}

bool fatbin_each(const unsigned char *buf, size_t lo, size_t hi, fatbin_container_fn fn,
		 void *ctx, fatbin_entry_fn efn, void *ectx)
{
	return each(buf, lo, hi, fn, ctx, efn, ectx, NULL);
}

bool fatbin_each_paged(const unsigned char *buf, size_t lo, size_t hi, fatbin_container_fn fn,
		       void *ctx, fatbin_done_fn done, void *dctx)
{
	struct pager pg = { done, dctx, lo };

	return each(buf, lo, hi, fn, ctx, NULL, NULL, &pg);
}

static void count_container(void *ctx, size_t off, uint64_t len)
{
	struct fatbin_summary *s = ctx;

	(void)off;
	(void)len;
	s->containers++;
}

void fatbin_scan(const unsigned char *buf, size_t lo, size_t hi, struct fatbin_summary *s)
{
	if (!fatbin_each(buf, lo, hi, count_container, s, add_entry, s))
		s->incomplete = true;
}

static void scan_paged(const unsigned char *buf, size_t lo, size_t hi, struct fatbin_summary *s,
		       struct pager *pg)
{
	if (!each(buf, lo, hi, count_container, s, add_entry, s, pg))
		s->incomplete = true;
}

/* ---- the ELF image ------------------------------------------------------- */

struct shdr {
	uint32_t name, type;
	uint64_t flags, off, size;
};

struct elfv {
	const unsigned char *in;
	size_t n;
	bool is64;
	uint64_t shoff;
	size_t shnum, shentsize, shstrndx;
};

#define SHF_ALLOC_ 0x2u
#define SHF_EXECINSTR_ 0x4u
#define SHT_NOBITS_ 8u
#define SHN_XINDEX_ 0xffffu

/* Section header i, when it lies inside the image. */
static bool get_shdr(const struct elfv *v, size_t i, struct shdr *h)
{
	const unsigned char *p;
	uint64_t at = v->shoff + (uint64_t)i * v->shentsize;

	if (at < v->shoff || at > v->n || v->n - at < v->shentsize)
		return false;
	p = v->in + at;
	h->name = le32(p);
	h->type = le32(p + 4);
	if (v->is64) {
		h->flags = le64(p + 8);
		h->off = le64(p + 24);
		h->size = le64(p + 32);
	} else {
		h->flags = le32(p + 8);
		h->off = le32(p + 16);
		h->size = le32(p + 20);
	}
	return true;
}

/* The ELF header: a little-endian image with section headers. */
static bool elf_open(const unsigned char *in, size_t n, struct elfv *v)
{
	struct shdr h0;

	if (n < 52 || memcmp(in, "\177ELF", 4) != 0 || in[5] != 1 || (in[4] != 1 && in[4] != 2))
		return false;
	*v = (struct elfv){ .in = in, .n = n, .is64 = in[4] == 2 };
	if (v->is64 && n < 64)
		return false;
	v->shoff = v->is64 ? le64(in + 0x28) : le32(in + 0x20);
	v->shentsize = le16(in + (v->is64 ? 0x3a : 0x2e));
	v->shnum = le16(in + (v->is64 ? 0x3c : 0x30));
	v->shstrndx = le16(in + (v->is64 ? 0x3e : 0x32));
	if (v->shoff == 0 || v->shentsize < (v->is64 ? 64u : 40u))
		return false;
	if ((v->shnum == 0 || v->shstrndx == SHN_XINDEX_) && !get_shdr(v, 0, &h0))
		return false;
	if (v->shnum == 0) /* extended numbering: the count in section 0 */
		v->shnum = h0.size > n / v->shentsize ? 0 : (size_t)h0.size;
	if (v->shstrndx == SHN_XINDEX_)
		v->shstrndx = le32(in + v->shoff + (v->is64 ? 40 : 24));
	return v->shnum > 0 && v->shnum <= n / v->shentsize;
}

/* May section h hold containers?  Any in memory but code (cuFFT's .ldata,
 * cuBLASLt's .cask_resource); no container was ever seen in code. */
static bool may_hold(const struct shdr *h)
{
	return (h->flags & SHF_ALLOC_) && !(h->flags & SHF_EXECINSTR_) && h->type != SHT_NOBITS_;
}

bool fatbin_elf_regions(const unsigned char *in, size_t n, fatbin_region_fn fn, void *ctx)
{
	struct elfv v;
	struct shdr h;
	uint64_t scanned = 0;
	size_t i;

	/* every image: CUPTI and libcheckpoint keep their kernels in .rodata,
	 * with no section of fat binaries; the scan costs less than stripping
	 * (which copies the loaded image) */
	if (!elf_open(in, n, &v))
		return true;
	for (i = 0; i < v.shnum; i++) {
		if (!get_shdr(&v, i, &h) || !may_hold(&h) || h.size == 0 || h.off > n ||
		    h.size > n - h.off)
			continue;
		/* sections that overlap could make the scan read the image many times */
		if (h.size > n - scanned)
			return false;
		scanned += h.size;
		if (!fn(ctx, (size_t)h.off, (size_t)(h.off + h.size)))
			return false;
	}
	return true;
}

struct scan_ctx {
	const unsigned char *in;
	struct fatbin_summary *s;
	struct pager pg;
};

static bool scan_region(void *ctx, size_t lo, size_t hi)
{
	struct scan_ctx *c = ctx;

	scan_paged(c->in, lo, hi, c->s, &c->pg);
	return !c->s->incomplete;
}

void fatbin_scan_elf(const unsigned char *in, size_t n, struct fatbin_summary *s)
{
	fatbin_scan_elf_paged(in, n, s, NULL, NULL);
}

void fatbin_scan_elf_paged(const unsigned char *in, size_t n, struct fatbin_summary *s,
			   fatbin_done_fn done, void *ctx)
{
	struct scan_ctx c = { in, s, { done, ctx, 0 } };

	if (!fatbin_elf_regions(in, n, scan_region, &c))
		s->incomplete = true;
}
