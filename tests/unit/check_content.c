/* check_content.c - new content as pieces: built, spliced, read across
 * pieces, written with holes, through copy_file_range or not, hashed as
 * dedup hashes a buffer. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "content.h"
#include "dedup.h"
#include "testutil.h"

#define ORIG_LEN (3 * CONTENT_CHUNK + 777)
#define ZLEN (65536 + 9000) /* zeros: whole blocks, aligned or not */

/* The original: bytes that differ at every offset. */
static unsigned char *original(void)
{
	unsigned char *p = malloc(ORIG_LEN);
	size_t i;

	for (i = 0; i < ORIG_LEN; i++)
		p[i] = (unsigned char)(i * 7 + i / 251 + 1);
	return p;
}

/* The content below, as one buffer: what every reader must give. */
static unsigned char *expected(const unsigned char *o, size_t *len)
{
	size_t n = 10 + 5000 + 3 + 2 * CONTENT_CHUNK + ZLEN + 4;
	unsigned char *p = calloc(1, n), *q = p;

	memcpy(q, "0123456789", 10);
	q += 10;
	memcpy(q, o + 100, 5000);
	q += 5000 + 3;
	memcpy(q, o + 4096, 2 * CONTENT_CHUNK);
	q += 2 * CONTENT_CHUNK + ZLEN;
	memcpy(q, "tail", 4);
	*len = n;
	return p;
}

static void build(struct content *c, const unsigned char *o)
{
	content_init(c, o, ORIG_LEN);
	content_add_mem(c, "0123", 4);
	content_add_mem(c, "456789", 6);
	content_add_src(c, 100, 2000);
	content_add_src(c, 2100, 3000); /* merged with the one before */
	content_add_zero(c, 3);
	content_add_src(c, 4096, 2 * CONTENT_CHUNK);
	content_add_zero(c, ZLEN);
	content_add_ref(c, "tail", 4);
}

START_TEST(read_across_pieces)
{
	unsigned char *o = original(), *want, *got;
	struct err e = ERR_INIT;
	struct content c;
	size_t n, off, len;

	build(&c, o);
	want = expected(o, &n);
	ck_assert_uint_eq(c.len, n);
	ck_assert_uint_eq(c.n, 7);
	ck_assert_int_eq(content_to_buf(&c, &got, &e), 0);
	ck_assert_int_eq(memcmp(got, want, n), 0);
	free(got);
	got = malloc(n);
	/* ranges that start and end inside pieces, and on their edges */
	for (off = 0; off < n; off += 4093)
		for (len = 0; len < 9000 && off + len <= n; len += 1499) {
			ck_assert_int_eq(content_read(&c, off, got, len, &e), 0);
			ck_assert_int_eq(memcmp(got, want + off, len), 0);
		}
	ck_assert_int_eq(content_read(&c, n - 1, got, 2, &e), -1);
	err_release(&e);
	ck_assert_int_eq(content_same_as_src(&c, 10, 100, 5000, &e), 1);
	ck_assert_int_eq(content_same_as_src(&c, 10, 101, 5000, &e), 0);
	free(got);
	free(want);
	content_release(&c);
	free(o);
}
END_TEST

START_TEST(splice_replaces_a_range)
{
	unsigned char *o = original(), got[64];
	struct cpiece w[3] = {
		{ .kind = PIECE_MEM, .len = 2, .p = (const unsigned char *)"AB" },
		{ .kind = PIECE_SRC, .len = 5, .off = 0 },
		{ .kind = PIECE_ZERO, .len = 3 },
	};
	struct err e = ERR_INIT;
	struct content c;

	content_init(&c, o, ORIG_LEN);
	content_add_src(&c, 1000, 40);
	ck_assert(content_splice(&c, 10, 10, w, 3));
	ck_assert_uint_eq(c.len, 40);
	ck_assert_int_eq(content_read(&c, 0, got, 40, &e), 0);
	ck_assert_int_eq(memcmp(got, o + 1000, 10), 0);
	ck_assert_int_eq(memcmp(got + 10, "AB", 2), 0);
	ck_assert_int_eq(memcmp(got + 12, o, 5), 0);
	ck_assert_int_eq(memcmp(got + 17, "\0\0\0", 3), 0);
	ck_assert_int_eq(memcmp(got + 20, o + 1020, 20), 0);
	ck_assert(!content_splice(&c, 35, 10, w, 3)); /* past the end */
	ck_assert(!content_splice(&c, 0, 9, w, 3));   /* lengths disagree */
	content_release(&c);
	free(o);
}
END_TEST

/* Write the content to a file from a file, with or without
 * copy_file_range: the bytes, the length, and holes where zeros were. */
static void write_and_check(bool copy_range)
{
	char *dir = tu_tmpdir(), path[4096];
	unsigned char *o = original(), *want, *got;
	struct err e = ERR_INIT;
	struct content c;
	struct stat st;
	size_t n, glen;
	int sfd, dfd;

	tu_write(dir, "orig", o, ORIG_LEN);
	snprintf(path, sizeof(path), "%s/orig", dir);
	sfd = open(path, O_RDONLY);
	ck_assert_int_ge(sfd, 0);
	build(&c, NULL);
	content_set_fd(&c, sfd, 0);
	want = expected(o, &n);
	snprintf(path, sizeof(path), "%s/new", dir);
	dfd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(content_write(&c, dfd, copy_range, &e), 0);
	ck_assert_int_eq(fstat(dfd, &st), 0);
	close(dfd);
	got = tu_read(path, &glen);
	ck_assert_uint_eq(glen, n);
	ck_assert_int_eq(memcmp(got, want, n), 0);
	/* the zeros are holes but for the blocks they share with data */
	ck_assert_int_le((long long)st.st_blocks * 512 + 65536, (long long)n + 8192);
	free(got);
	free(want);
	content_release(&c);
	close(sfd);
	free(o);
	tu_rmrf(dir);
	free(dir);
}

START_TEST(write_copy_range)
{
	write_and_check(true);
}
END_TEST

START_TEST(write_read_and_write)
{
	write_and_check(false);
}
END_TEST

/* A file that shrank under a content: reading and writing say so. */
START_TEST(shrunk_original_fails)
{
	char *dir = tu_tmpdir(), path[4096];
	unsigned char *o = original(), buf[16];
	struct err e = ERR_INIT;
	struct content c;
	int sfd, dfd;

	tu_write(dir, "orig", o, 1000);
	snprintf(path, sizeof(path), "%s/orig", dir);
	sfd = open(path, O_RDONLY);
	content_init(&c, NULL, 0);
	content_set_fd(&c, sfd, 0);
	content_add_src(&c, 990, 16);
	ck_assert_int_eq(content_read(&c, 0, buf, 16, &e), -1);
	ck_assert_str_eq(e.msg, "file changed size while being read");
	err_release(&e);
	snprintf(path, sizeof(path), "%s/new", dir);
	dfd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_eq(content_write(&c, dfd, true, &e), -1);
	err_release(&e);
	ck_assert_int_eq(content_write(&c, dfd, false, &e), -1);
	err_release(&e);
	close(dfd);
	content_release(&c);
	close(sfd);
	free(o);
	tu_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(digest_as_of_a_buffer)
{
	unsigned char *o = original(), *want;
	struct dedup_digest a, b;
	struct err e = ERR_INIT;
	struct content c;
	size_t n;

	build(&c, o);
	want = expected(o, &n);
	dedup_digest_of(want, n, &a);
	ck_assert_int_eq(dedup_digest_content(&c, &b, &e), 0);
	ck_assert_uint_eq(a.size, b.size);
	ck_assert(a.head.low64 == b.head.low64 && a.head.high64 == b.head.high64);
	ck_assert(a.full.low64 == b.full.low64 && a.full.high64 == b.full.high64);
	ck_assert_int_eq(a.elf_so, b.elf_so);
	content_release(&c);
	/* shorter than a block */
	content_init(&c, o, ORIG_LEN);
	content_add_src(&c, 5, 100);
	dedup_digest_of(o + 5, 100, &a);
	ck_assert_int_eq(dedup_digest_content(&c, &b, &e), 0);
	ck_assert(a.full.low64 == b.full.low64 && a.head.low64 == b.head.low64);
	content_release(&c);
	free(want);
	free(o);
}
END_TEST

Suite *content_suite(void)
{
	Suite *s = suite_create("content");
	TCase *t = tcase_create("content");

	tcase_add_test(t, read_across_pieces);
	tcase_add_test(t, splice_replaces_a_range);
	tcase_add_test(t, write_copy_range);
	tcase_add_test(t, write_read_and_write);
	tcase_add_test(t, shrunk_original_fails);
	tcase_add_test(t, digest_as_of_a_buffer);
	suite_add_tcase(s, t);
	return s;
}
