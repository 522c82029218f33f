/* Unit tests of the fat binary inventory (fatbin.h) on containers built
 * here byte by byte, and on an ELF image compiled with one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
 * .nv_fatbin is not looked into. */
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
		ck_assert_uint_eq(s.containers, named ? 3 : 0);
		ck_assert_uint_eq(s.bytes, (named ? 3 : 0) * (1064 + 2112 + 384 + 104));
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
	suite_add_tcase(s, t);
	return s;
}
