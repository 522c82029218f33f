/* Unit tests of the fat binary inventory (fatbin.h) on containers built
 * here byte by byte, and on an ELF image compiled with one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content.h"
#include "fatbin.h"
#include "testutil.h"
#include "util.h"

#define F_COMPRESSED 0x8000u
#define F_A 0x100000u
#define F_F 0x200000u

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

#define U(b) ((unsigned char *)(b).p)

/* Append an entry: a header of hsize bytes, then payload bytes of 0x5a.
 * A compressed entry says its payload is payload - pad bytes long. */
static void entry(struct buf *b, uint16_t kind, uint32_t hsize, uint32_t arch, uint64_t flags,
		  uint64_t payload, unsigned pad)
{
	unsigned char h[128] = { 0 };
	uint64_t i;

	put16(h, kind);
	put16(h + 2, 0x101);
	put32(h + 4, hsize);
	put64(h + 8, payload);
	if (flags & F_COMPRESSED) {
		put32(h + 16, (uint32_t)(payload - pad));
		put64(h + 56, payload * 3);
	}
	put32(h + 24, 0x10008);
	put32(h + 28, arch);
	put64(h + 40, 0x11 | flags);
	buf_add(b, h, hsize);
	for (i = 0; i < payload; i++)
		buf_addch(b, 0x5a);
}

/* Open a container at the end of b; returns where it starts. */
static size_t open_container(struct buf *b)
{
	unsigned char h[16] = { 0 };
	size_t at = b->len;

	put32(h, FATBIN_MAGIC);
	put16(h + 4, 1);
	put16(h + 6, 16);
	buf_add(b, h, sizeof(h));
	return at;
}

/* Set the size of the container at `at` to what follows its header. */
static void close_container(struct buf *b, size_t at)
{
	put64(U(*b) + at + 8, b->len - at - 16);
}

/* Four entries: SASS sm_90 and sm_100a, compressed PTX sm_120, kind 8 sm_75f. */
static size_t sample(struct buf *b)
{
	size_t at = open_container(b);

	entry(b, 2, 64, 90, 0, 1000, 0);
	entry(b, 2, 112, 100, F_A, 2000, 0);
	entry(b, 1, 80, 120, F_COMPRESSED, 304, 3);
	entry(b, 8, 64, 75, F_F, 40, 0);
	close_container(b, at);
	return at;
}

struct seen {
	struct fatbin_entry e[8];
	size_t n;
};

static void collect(void *ctx, const struct fatbin_entry *e)
{
	struct seen *s = ctx;

	if (s->n < 8)
		s->e[s->n] = *e;
	s->n++;
}

START_TEST(valid_container)
{
	struct buf b = BUF_INIT;
	struct seen s = { .n = 0 };
	size_t steps = 0;
	char arch[16];

	sample(&b);
	ck_assert_uint_eq(fatbin_container(U(b), b.len, collect, &s, &steps), b.len);
	ck_assert_uint_eq(s.n, 4);
	ck_assert_uint_ge(steps, 4);
	ck_assert_int_eq(s.e[0].kind, FATBIN_SASS);
	ck_assert_uint_eq(s.e[0].arch, 90);
	ck_assert_uint_eq(s.e[0].bytes, 64 + 1000);
	ck_assert_uint_eq(s.e[0].off, 16);
	ck_assert(!s.e[0].compressed);
	ck_assert_int_eq(s.e[1].variant, 'a');
	ck_assert_uint_eq(s.e[1].bytes, 112 + 2000);
	ck_assert_uint_eq(s.e[1].off, 16 + 1064);
	ck_assert_int_eq(s.e[2].kind, FATBIN_PTX);
	ck_assert(s.e[2].compressed);
	ck_assert_uint_eq(s.e[2].bytes, 80 + 304);
	ck_assert_int_eq(s.e[3].kind, FATBIN_OTHER);
	ck_assert_uint_eq(s.e[3].raw_kind, 8);
	fatbin_arch_str(arch, sizeof(arch), s.e[3].arch, s.e[3].variant);
	ck_assert_str_eq(arch, "sm_75f");
	fatbin_arch_str(arch, sizeof(arch), s.e[1].arch, s.e[1].variant);
	ck_assert_str_eq(arch, "sm_100a");
	/* a container that stops short of the buffer's end is the same */
	buf_addf(&b, "trailing bytes");
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), b.len - 14);
	buf_release(&b);
}
END_TEST

/* Every byte count short of the whole container: refused, never read past. */
START_TEST(truncated)
{
	struct buf b = BUF_INIT;
	unsigned char *copy;
	size_t n;

	sample(&b);
	for (n = 0; n < b.len; n++) {
		copy = xmalloc(n ? n : 1); /* exactly n: ASan sees a read past it */
		memcpy(copy, U(b), n);
		ck_assert_msg(fatbin_container(copy, n, NULL, NULL, NULL) == 0, "accepted %zu of %zu",
			      n, b.len);
		free(copy);
	}
	buf_release(&b);
}
END_TEST

/* Sizes that overflow or overlap: refused. */
START_TEST(bad_sizes)
{
	struct buf b = BUF_INIT;
	size_t at;

	sample(&b);
	at = 16 + 1064; /* the second entry */
	put64(U(b) + 8, UINT64_MAX); /* the container's size */
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), 0);
	put64(U(b) + 8, UINT64_MAX - 15); /* 16 + size wraps to 0 */
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), 0);
	close_container(&b, 0);
	put64(U(b) + at + 8, UINT64_MAX - 100); /* payload + header wraps */
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), 0);
	put64(U(b) + at + 8, 2008); /* runs 8 bytes into the next entry: entries no longer tile */
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), 0);
	put64(U(b) + at + 8, 2000);
	put32(U(b) + at + 4, 0xfffffff8); /* an entry header past the container */
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), 0);
	put32(U(b) + at + 4, 60); /* under the smallest entry header */
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), 0);
	put32(U(b) + at + 4, 112);
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), b.len);
	/* the container says 8 bytes more than its entries: a gap at the end */
	buf_addf(&b, "12345678");
	put64(U(b) + 8, b.len - 16);
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), 0);
	buf_release(&b);
}
END_TEST

/* The magic, and a header that is almost right: refused. */
START_TEST(magic_without_structure)
{
	struct buf b = BUF_INIT;
	size_t at;

	for (at = 0; at < 4096; at++)
		buf_addch(&b, 0);
	put32(U(b), FATBIN_MAGIC);
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), 0); /* version 0 */
	put16(U(b) + 4, 1);
	put16(U(b) + 6, 16);
	put64(U(b) + 8, 1024); /* entries of zeros: kind 0, header size 0 */
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), 0);
	put64(U(b) + 8, 0); /* no entry at all */
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), 0);
	buf_setlen(&b, 0);
	at = sample(&b);
	put16(U(b) + at + 4, 2); /* version */
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), 0);
	put16(U(b) + at + 4, 1);
	put16(U(b) + at + 6, 24); /* header size */
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), 0);
	put16(U(b) + at + 6, 16);
	/* a compressed entry with no compressed size, an uncompressed one with one */
	put32(U(b) + 16 + 1064 + 2112 + 16, 0);
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), 0);
	put32(U(b) + 16 + 1064 + 2112 + 16, 301);
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), b.len);
	put32(U(b) + 16 + 16, 1000);
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), 0);
	put32(U(b) + 16 + 16, 0);
	put16(U(b) + 16, 0); /* kind 0 */
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), 0);
	put16(U(b) + 16, 2);
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), b.len);
	buf_release(&b);
}
END_TEST

/* Containers back to back, then inside other bytes, some misaligned or
 * broken: the scan finds exactly the good aligned ones. */
START_TEST(scan_finds_each)
{
	struct buf b = BUF_INIT;
	struct fatbin_summary s;
	size_t bad;

	sample(&b);
	sample(&b); /* back to back: each 3680 bytes, a multiple of 8 */
	buf_addf(&b, "some other data..");   /* 17 bytes: the next container misaligned */
	sample(&b);
	while (b.len % 8)
		buf_addch(&b, 0);
	bad = sample(&b);
	put16(U(b) + bad + 6, 17);           /* a broken one */
	buf_addf(&b, "--------");
	sample(&b);
	fatbin_summary_init(&s);
	fatbin_scan(U(b), 0, b.len, &s);
	ck_assert_uint_eq(s.containers, 3);
	ck_assert_uint_eq(s.entries, 12);
	ck_assert_uint_eq(s.bytes, 3 * (1064 + 2112 + 384 + 104));
	ck_assert(!s.incomplete);
	/* rows by architecture: sm_75f other, sm_90 sass, sm_100a sass, sm_120 ptx */
	ck_assert_uint_eq(s.nrows, 4);
	ck_assert_uint_eq(s.rows[0].arch, 75);
	ck_assert_uint_eq(s.rows[1].arch, 90);
	ck_assert_uint_eq(s.rows[1].bytes, 3 * 1064);
	ck_assert_uint_eq(s.rows[1].entries, 3);
	ck_assert_uint_eq(s.rows[3].arch, 120);
	ck_assert_uint_eq(s.rows[3].compressed, 3);
	fatbin_summary_release(&s);
	/* a range that cuts the first container: only the second is whole in it */
	fatbin_summary_init(&s);
	fatbin_scan(U(b), 8, 2 * 3680, &s);
	ck_assert_uint_eq(s.containers, 1);
	fatbin_summary_release(&s);
	buf_release(&b);
}
END_TEST

/* A megabyte of magic and headers that claim everything: no container, no
 * crash, done in bounded time. */
START_TEST(hostile_scan)
{
	struct buf b = BUF_INIT;
	struct fatbin_summary s;
	size_t i, n = 1 << 20;

	for (i = 0; i < n; i++)
		buf_addch(&b, 0);
	for (i = 0; i + 16 <= n; i += 16) {
		put32(U(b) + i, FATBIN_MAGIC);
		put16(U(b) + i + 4, 1);
		put16(U(b) + i + 6, 16);
		put64(U(b) + i + 8, n - i - 16);
	}
	fatbin_summary_init(&s);
	fatbin_scan(U(b), 0, n, &s);
	ck_assert_uint_eq(s.containers, 0);
	ck_assert_uint_eq(s.nrows, 0);
	fatbin_summary_release(&s);
	buf_release(&b);
}
END_TEST

/* Architectures: one outside sm_10..sm_1000 makes no valid container; a
 * container of every architecture allowed, with each variant and kind,
 * is summed into one row each, in order (a row is found by bisection, so
 * many rows cost no more than a few). */
START_TEST(many_architectures)
{
	struct buf b = BUF_INIT;
	struct fatbin_summary s;
	static const uint64_t variant[] = { 0, F_A, F_F };
	size_t at, i;
	uint32_t arch;
	int v, k;

	at = open_container(&b);
	entry(&b, 2, 64, 5000, 0, 0, 0);
	close_container(&b, at);
	ck_assert_uint_eq(fatbin_container(U(b), b.len, NULL, NULL, NULL), 0);
	buf_setlen(&b, 0);
	at = open_container(&b);
	for (arch = 10; arch <= 1000; arch++)
		for (v = 0; v < 3; v++)
			for (k = 1; k <= 3; k++)
				entry(&b, (uint16_t)k, 64, arch, variant[v], 0, 0);
	entry(&b, 2, 64, 90, 0, 0, 0); /* a second sm_90 SASS */
	close_container(&b, at);
	fatbin_summary_init(&s);
	fatbin_scan(U(b), 0, b.len, &s);
	ck_assert_uint_eq(s.containers, 1);
	ck_assert_uint_eq(s.entries, 991 * 9 + 1);
	ck_assert_uint_eq(s.nrows, 991 * 9);
	for (i = 1; i < s.nrows; i++)
		ck_assert_int_lt(fatbin_row_cmp(&s.rows[i - 1], &s.rows[i]), 0);
	for (i = 0; i < s.nrows; i++)
		if (s.rows[i].arch == 90 && !s.rows[i].variant && s.rows[i].kind == FATBIN_SASS)
			ck_assert_uint_eq(s.rows[i].entries, 2);
	fatbin_summary_release(&s);
	buf_release(&b);
}
END_TEST

/* An ELF image compiled with a container in .nv_fatbin, one in .rodata
 * and one in writable data is inventoried whole; the same with no
 * .nv_fatbin too (CUPTI keeps its kernels in .rodata). */
START_TEST(elf_image)
{
	struct buf b = BUF_INIT, src = BUF_INIT;
	struct fatbin_summary s;
	unsigned char *img;
	char *dir = tu_tmpdir(), path[4096];
	size_t i, n;
	int named;

	TU_NEED("cc");
	sample(&b);
	for (named = 1; named >= 0; named--) {
		buf_setlen(&src, 0);
		buf_addf(&src, "__attribute__((aligned(8)%s)) const unsigned char fb[] = {",
			 named ? ", section(\".nv_fatbin\")" : "");
		for (i = 0; i < b.len; i++)
			buf_addf(&src, "%u,", U(b)[i]);
		buf_addf(&src, "};\n__attribute__((aligned(8))) const unsigned char ro[] = {");
		for (i = 0; i < b.len; i++)
			buf_addf(&src, "%u,", U(b)[i]);
		buf_addf(&src, "};\n__attribute__((aligned(8))) unsigned char rw[] = {");
		for (i = 0; i < b.len; i++)
			buf_addf(&src, "%u,", U(b)[i]);
		buf_addf(&src, "};\nint f(int i) { return fb[i] + ro[i] + rw[i]; }\n");
		tu_write(dir, "fb.c", src.p, src.len);
		ck_assert_int_eq(tu_sh("cd '%s' && cc -O1 -fPIC -shared -o fb.so fb.c", dir), 0);
		snprintf(path, sizeof(path), "%s/fb.so", dir);
		img = tu_read(path, &n);
		ck_assert_ptr_nonnull(img);
		fatbin_summary_init(&s);
		fatbin_scan_elf(img, n, &s);
		ck_assert_uint_eq(s.containers, 3);
		ck_assert_uint_eq(s.bytes, 3 * (1064 + 2112 + 384 + 104));
		fatbin_summary_release(&s);
		/* cut anywhere in its headers, it never reads out of bounds */
		for (i = 0; named && i < n; i += n / 97 + 1) {
			fatbin_summary_init(&s);
			fatbin_scan_elf(img, i, &s);
			fatbin_summary_release(&s);
		}
		free(img);
	}
	tu_rmrf(dir);
	free(dir);
	buf_release(&src);
	buf_release(&b);
}
END_TEST

/* ---- pruning ------------------------------------------------------------ */

/* A container for pruning: SASS sm_75, 80, 86, 90, 90a, 100; PTX 80, 90,
 * 120; kind 8 sm_75.  Entry i has payload 8 * (i + 1) bytes of byte i + 1. */
static const struct { uint16_t kind; uint32_t arch; uint64_t flags; } mix[] = {
	{ 2, 75, 0 }, { 2, 80, 0 }, { 2, 86, 0 }, { 2, 90, 0 }, { 2, 90, F_A },
	{ 2, 100, 0 }, { 1, 80, 0 }, { 1, 90, 0 }, { 1, 120, 0 }, { 8, 75, 0 },
};

static void mixed(struct buf *b)
{
	size_t at = open_container(b), i;

	for (i = 0; i < ARRAY_SIZE(mix); i++) {
		size_t h = b->len;
		entry(b, mix[i].kind, 64, mix[i].arch, mix[i].flags, 8 * (i + 1), 0);
		memset(U(*b) + h + 64, (int)i + 1, 8 * (i + 1));
	}
	close_container(b, at);
}

/* Prune a fresh mixed container for list (and no_ptx); the payload bytes
 * of the entries left, in order, as a string of entry numbers ("4,5,8,10"). */
static void prune_mixed(const char *list, bool no_ptx, char *kept, size_t n, uint64_t *removed)
{
	struct buf b = BUF_INIT;
	struct cuda_targets t;
	struct fatbin_pruned p;
	struct seen s = { .n = 0 };
	char msg[128];
	size_t i, len, k = 0;
	uint64_t used;

	mixed(&b);
	len = b.len;
	ck_assert_int_eq(cuda_targets_parse(list, &t, msg, sizeof(msg)), 0);
	t.no_ptx = no_ptx;
	*removed = fatbin_prune(U(b), 0, b.len, &t, &p);
	used = fatbin_container(U(b), b.len, collect, &s, NULL);
	ck_assert_uint_gt(used, 0);
	ck_assert_uint_eq(used + *removed, len);
	ck_assert_uint_eq(p.removed.bytes, *removed);
	for (i = used; i < len; i++) /* the freed bytes are zeros */
		ck_assert_uint_eq(U(b)[i], 0);
	kept[0] = 0;
	for (i = 0; i < s.n && i < 8; i++) {
		const unsigned char *pl = U(b) + s.e[i].off + 64;
		k += (size_t)snprintf(kept + k, n - k, "%s%d", i ? "," : "", pl[0]);
		/* the payload is the original's */
		ck_assert_uint_eq(s.e[i].payload, 8u * pl[0]);
		ck_assert(pl[0] && memcmp(pl, pl + 1, s.e[i].payload - 1) == 0);
	}
	fatbin_pruned_release(&p);
	buf_release(&b);
}

START_TEST(prune_rules)
{
	char kept[64];
	uint64_t removed;

	/* sm_90: its SASS and sm_90a, the newest PTX up to 90, kind 8 */
	prune_mixed("sm_90", false, kept, sizeof(kept), &removed);
	ck_assert_str_eq(kept, "4,5,8,10");
	ck_assert_uint_eq(removed, 6 * 64 + 8 * (1 + 2 + 3 + 6 + 7 + 9));
	/* sm_86: SASS of major 8 up to minor 6; PTX 80 */
	prune_mixed("sm_86", false, kept, sizeof(kept), &removed);
	ck_assert_str_eq(kept, "2,3,7,10");
	/* two GPUs: each its own */
	prune_mixed("sm_75,sm_90a", false, kept, sizeof(kept), &removed);
	ck_assert_str_eq(kept, "1,4,5,8,10");
	/* no PTX */
	prune_mixed("sm_90", true, kept, sizeof(kept), &removed);
	ck_assert_str_eq(kept, "4,5,10");
	/* sm_89 runs sm_80 and sm_86 SASS */
	prune_mixed("sm_89", true, kept, sizeof(kept), &removed);
	ck_assert_str_eq(kept, "2,3,10");
	/* sm_120: only PTX 120 serves it, so it stays even with no PTX asked for */
	prune_mixed("sm_120", false, kept, sizeof(kept), &removed);
	ck_assert_str_eq(kept, "9,10");
	prune_mixed("sm_120", true, kept, sizeof(kept), &removed);
	ck_assert_str_eq(kept, "9,10");
}
END_TEST

/* Nothing for a listed GPU (sm_70: no SASS of major 7 but 75's, no PTX
 * that old): the container stays whole. */
START_TEST(prune_whole)
{
	struct buf b = BUF_INIT, before = BUF_INIT;
	struct cuda_targets t;
	struct fatbin_pruned p;
	char msg[128];

	mixed(&b);
	buf_add(&before, b.p, b.len);
	ck_assert_int_eq(cuda_targets_parse("sm_70", &t, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(fatbin_prune(U(b), 0, b.len, &t, &p), 0);
	ck_assert_uint_eq(p.whole, 1);
	ck_assert_uint_eq(p.containers, 0);
	ck_assert_mem_eq(b.p, before.p, b.len);
	fatbin_pruned_release(&p);
	/* and one sm_90 GPU among them keeps it whole too */
	ck_assert_int_eq(cuda_targets_parse("sm_70,sm_90", &t, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(fatbin_prune(U(b), 0, b.len, &t, &p), 0);
	ck_assert_mem_eq(b.p, before.p, b.len);
	fatbin_pruned_release(&p);
	buf_release(&b);
	buf_release(&before);
}
END_TEST

/* Pruning twice removes nothing more: a journal of a killed run proves
 * itself by making the same content again. */
START_TEST(prune_idempotent)
{
	struct buf b = BUF_INIT, once = BUF_INIT;
	struct cuda_targets t;
	struct fatbin_pruned p;
	char msg[128];

	mixed(&b);
	mixed(&b); /* two containers back to back */
	ck_assert_int_eq(cuda_targets_parse("sm_80,sm_90", &t, msg, sizeof(msg)), 0);
	ck_assert_uint_gt(fatbin_prune(U(b), 0, b.len, &t, &p), 0);
	ck_assert_uint_eq(p.containers, 2);
	fatbin_pruned_release(&p);
	buf_add(&once, b.p, b.len);
	ck_assert_uint_eq(fatbin_prune(U(b), 0, b.len, &t, &p), 0);
	ck_assert_mem_eq(b.p, once.p, b.len);
	fatbin_pruned_release(&p);
	buf_release(&b);
	buf_release(&once);
}
END_TEST

/* A SASS entry header for arch with payload bytes after it, at p. */
static void sass_at(unsigned char *p, uint32_t arch, uint64_t payload)
{
	put16(p, 2);
	put16(p + 2, 0x101);
	put32(p + 4, 64);
	put64(p + 8, payload);
	put32(p + 28, arch);
	put64(p + 40, 0x11);
}

static void header_at(unsigned char *p, uint64_t size)
{
	put32(p, FATBIN_MAGIC);
	put16(p + 4, 1);
	put16(p + 6, 16);
	put64(p + 8, size);
}

/* Two sections that overlap: A holds container C (sm_50, then sm_90 whose
 * payload holds the start of a structure F), B starts where F lands once C
 * is compacted; F's last entry is then read from the bytes after C, which
 * no container of the input holds.  Pruning walks the input's containers:
 * the bytes after C stay. */
START_TEST(prune_overlapping_sections)
{
	unsigned char img[1472] = { 0 }, before[sizeof(img)];
	struct cuda_targets t = { .n = 1, .arch = { 90 } };
	struct fatbin_pruned p;
	size_t i;

	memcpy(img, "\177ELF\2\1\1", 7);
	put64(img + 0x28, 1280); /* e_shoff */
	put16(img + 0x3a, 64);
	put16(img + 0x3c, 3);
	header_at(img + 64, 352); /* C: [64, 432) */
	sass_at(img + 80, 50, 64);
	sass_at(img + 208, 90, 160);
	header_at(img + 272, 400); /* F, inside C's second payload */
	sass_at(img + 288, 50, 0);
	sass_at(img + 352, 90, 144);
	sass_at(img + 432, 90, 64); /* after C */
	memset(img + 496, 'R', 64);
	for (i = 1; i < 3; i++) { /* A: [64, 688), B: [144, 560) */
		unsigned char *h = img + 1280 + 64 * i;
		put32(h + 4, 1);
		put64(h + 8, 2);
		put64(h + 24, i == 1 ? 64 : 144);
		put64(h + 32, i == 1 ? 624 : 416);
	}
	memcpy(before, img, sizeof(img));
	ck_assert_uint_eq(fatbin_prune_elf(img, sizeof(img), &t, &p), 128);
	ck_assert_uint_eq(p.containers, 1);
	ck_assert_mem_eq(img + 432, before + 432, sizeof(img) - 432);
	fatbin_pruned_release(&p);
}
END_TEST

/* An ELF image (64-bit) of one alloc section [64, 64 + len) holding a
 * mixed container, then 'R's, then the section headers: n bytes. */
static unsigned char *mixed_image(size_t *n)
{
	struct buf b = BUF_INIT;
	size_t len, shoff;
	unsigned char *img, *h;

	mixed(&b);
	len = b.len;
	shoff = (64 + len + 64 + 7) & ~(size_t)7;
	*n = shoff + 2 * 64;
	img = xcalloc(1, *n);
	memcpy(img, "\177ELF\2\1\1", 7);
	put64(img + 0x28, shoff);
	put16(img + 0x3a, 64);
	put16(img + 0x3c, 2);
	memcpy(img + 64, b.p, len);
	memset(img + 64 + len, 'R', 64);
	h = img + shoff + 64;
	put32(h + 4, 1);
	put64(h + 8, 2);
	put64(h + 24, 64);
	put64(h + 32, len);
	buf_release(&b);
	return img;
}

/* Prune in[0..n) both ways, the content being the input shifted by lead
 * bytes of "new header": the same bytes, figures and counters. */
static uint64_t prune_both(const unsigned char *in, size_t n, size_t lead, const char *list)
{
	unsigned char *copy = malloc(n), *out = NULL;
	struct cuda_targets t;
	struct fatbin_pruned a, b;
	struct err e = ERR_INIT;
	struct content c;
	uint64_t ra, rb;
	char msg[128];

	ck_assert_int_eq(cuda_targets_parse(list, &t, msg, sizeof(msg)), 0);
	t.no_ptx = false;
	memcpy(copy, in, n);
	ra = fatbin_prune_elf(copy, n, &t, &a);
	content_init(&c, in, n);
	content_add_mem(&c, "HEADER--HEADER--", lead);
	content_add_src(&c, lead, n - lead);
	rb = fatbin_prune_content(in, n, &c, &t, &b, NULL, NULL);
	ck_assert_uint_eq(ra, rb);
	ck_assert_uint_eq(a.containers, b.containers);
	ck_assert_uint_eq(a.whole, b.whole);
	ck_assert_uint_eq(b.failed, 0);
	ck_assert_uint_eq(a.removed.bytes, b.removed.bytes);
	ck_assert_uint_eq(c.len, n);
	ck_assert_int_eq(content_to_buf(&c, &out, &e), 0);
	ck_assert_mem_eq(out, "HEADER--HEADER--", lead);
	ck_assert_mem_eq(out + lead, copy + lead, n - lead);
	free(out);
	content_release(&c);
	fatbin_pruned_release(&a);
	fatbin_pruned_release(&b);
	free(copy);
	return rb;
}

START_TEST(prune_content_as_buffer)
{
	size_t n;
	unsigned char *img = mixed_image(&n);

	ck_assert_uint_gt(prune_both(img, n, 16, "sm_90"), 0);
	ck_assert_uint_gt(prune_both(img, n, 16, "sm_80,sm_100"), 0);
	ck_assert_uint_eq(prune_both(img, n, 16, "sm_60"), 0); /* nothing for it: whole */
	/* the container is not in the content as it is (its header is new):
	 * it stays, untouched */
	{
		struct cuda_targets t = { .n = 1, .arch = { 90 } };
		struct fatbin_pruned p;
		struct content c;

		content_init(&c, img, n);
		content_add_mem(&c, img, 80);
		content_add_src(&c, 80, n - 80);
		ck_assert_uint_eq(fatbin_prune_content(img, n, &c, &t, &p, NULL, NULL), 0);
		ck_assert_uint_eq(c.n, 2);
		fatbin_pruned_release(&p);
		content_release(&c);
	}
	free(img);
}
END_TEST

/* The image of prune_overlapping_sections: the same result as a content. */
START_TEST(prune_content_overlapping)
{
	unsigned char img[1472] = { 0 };
	size_t i;

	memcpy(img, "\177ELF\2\1\1", 7);
	put64(img + 0x28, 1280);
	put16(img + 0x3a, 64);
	put16(img + 0x3c, 3);
	header_at(img + 64, 352);
	sass_at(img + 80, 50, 64);
	sass_at(img + 208, 90, 160);
	header_at(img + 272, 400);
	sass_at(img + 288, 50, 0);
	sass_at(img + 352, 90, 144);
	sass_at(img + 432, 90, 64);
	memset(img + 496, 'R', 64);
	for (i = 1; i < 3; i++) {
		unsigned char *h = img + 1280 + 64 * i;
		put32(h + 4, 1);
		put64(h + 8, 2);
		put64(h + 24, i == 1 ? 64 : 144);
		put64(h + 32, i == 1 ? 624 : 416);
	}
	ck_assert_uint_eq(prune_both(img, sizeof(img), 8, "sm_90"), 128);
}
END_TEST

START_TEST(targets_parse)
{
	static const char *bad[] = { "", "90", "sm_9", "sm_", "sm_90,", ",sm_90", "sm_90b",
				     "sm_90aa", "sm_1001", "compute_90", "sm_90 ", "sm_123456" };
	struct cuda_targets t;
	char msg[128], many[256] = "sm_50";
	size_t i;

	ck_assert_int_eq(cuda_targets_parse("sm_80,sm_90a,sm_100f", &t, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(t.n, 3);
	ck_assert_uint_eq(t.arch[0], 80);
	ck_assert_uint_eq(t.arch[1], 90);
	ck_assert_uint_eq(t.arch[2], 100);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		msg[0] = 0;
		ck_assert_msg(cuda_targets_parse(bad[i], &t, msg, sizeof(msg)) != 0, "%s", bad[i]);
		ck_assert(strstr(msg, "sm_") != NULL);
	}
	for (i = 0; i < CUDA_TARGETS_MAX; i++)
		strcat(many, ",sm_90");
	ck_assert_int_ne(cuda_targets_parse(many, &t, msg, sizeof(msg)), 0);
	ck_assert(strstr(msg, "too many") != NULL);
}
END_TEST

Suite *fatbin_suite(void)
{
	Suite *s = suite_create("fatbin");
	TCase *t = tcase_create("fatbin");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, valid_container);
	tcase_add_test(t, truncated);
	tcase_add_test(t, bad_sizes);
	tcase_add_test(t, magic_without_structure);
	tcase_add_test(t, scan_finds_each);
	tcase_add_test(t, hostile_scan);
	tcase_add_test(t, elf_image);
	tcase_add_test(t, many_architectures);
	tcase_add_test(t, prune_rules);
	tcase_add_test(t, prune_whole);
	tcase_add_test(t, prune_idempotent);
	tcase_add_test(t, prune_overlapping_sections);
	tcase_add_test(t, prune_content_as_buffer);
	tcase_add_test(t, prune_content_overlapping);
	tcase_add_test(t, targets_parse);
	suite_add_tcase(s, t);
	return s;
}
