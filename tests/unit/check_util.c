#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bound.h"
#include "testutil.h"
#include "util.h"

START_TEST(buf_grows_and_terminates)
{
	struct buf b = BUF_INIT;
	int i;

	ck_assert_ptr_nonnull(b.p);
	ck_assert_str_eq(b.p, "");
	for (i = 0; i < 1000; i++)
		buf_addf(&b, "%d,", i);
	ck_assert_uint_eq(b.len, strlen(b.p));
	ck_assert(strncmp(b.p, "0,1,2,", 6) == 0);
	ck_assert(strcmp(b.p + b.len - 4, "999,") == 0);
	buf_setlen(&b, 2);
	ck_assert_str_eq(b.p, "0,");
	buf_release(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.p, "");
}
END_TEST

START_TEST(buf_detach_empty_is_owned)
{
	struct buf b = BUF_INIT;
	size_t n = 99;
	char *p = buf_detach(&b, &n);

	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(p, "");
	free(p); /* must be a real allocation */
	buf_add(&b, "ab\0c", 4);
	ck_assert_uint_eq(b.len, 4);
	ck_assert(memcmp(b.p, "ab\0c", 5) == 0);
	buf_release(&b);
}
END_TEST

START_TEST(strpool_keeps_strings)
{
	enum { N = 30000 };
	struct strpool sp = STRPOOL_INIT;
	char **s = calloc(N, sizeof(*s)), *big = malloc(100000), name[32];
	int i;

	memset(big, 'x', 99999);
	big[99999] = '\0';
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "dir%d/file-%d", i % 7, i);
		/* a long string now and then, between short ones */
		s[i] = strpool_dup(&sp, i % 10000 == 9999 ? big : name);
	}
	/* ~450 KB of names span two blocks or more, each long one its own */
	ck_assert_uint_ge(sp.nblocks, 2 + 3);
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "dir%d/file-%d", i % 7, i);
		ck_assert_str_eq(s[i], i % 10000 == 9999 ? big : name);
	}
	ck_assert_str_eq(strpool_dup(&sp, ""), "");
	strpool_release(&sp);
	ck_assert_uint_eq(sp.nblocks, 0);
	ck_assert_ptr_null(sp.blocks);
	free(s);
	free(big);
}
END_TEST

START_TEST(err_keeps_last_message)
{
	struct err e = ERR_INIT;

	err_set(&e, "first %d", 1);
	err_errno(&e, 2, "cannot open '%s'", "x");
	ck_assert_str_eq(e.msg, "cannot open 'x': No such file or directory");
	ck_assert_int_eq(e.code, 2);
	err_release(&e);
	ck_assert_ptr_null(e.msg);
}
END_TEST

START_TEST(align_and_bytes)
{
	char s[32];

	ck_assert_uint_eq(align_up(0, 8), 0);
	ck_assert_uint_eq(align_up(9, 8), 16);
	ck_assert_uint_eq(align_up(9, 0), 9);
	ck_assert_uint_eq(align_up(9, 1), 9);
	fmt_bytes(s, sizeof(s), 1023);
	ck_assert_str_eq(s, "1023 B");
	fmt_bytes(s, sizeof(s), 1536);
	ck_assert_str_eq(s, "1.5 KiB");
	fmt_bytes(s, sizeof(s), 5ull << 30);
	ck_assert_str_eq(s, "5.0 GiB");
}
END_TEST

START_TEST(paths_normalize)
{
	const char *why = NULL;
	char *p;

	p = path_normalize("./a//./b/", true, &why);
	ck_assert_str_eq(p, "a/b");
	free(p);
	p = path_normalize(".", true, &why);
	ck_assert_str_eq(p, "");
	free(p);
	ck_assert_ptr_null(path_normalize("/etc/passwd", true, &why));
	ck_assert_str_eq(why, "absolute path");
	ck_assert_ptr_null(path_normalize("a/../../b", true, &why));
	ck_assert_str_eq(why, "'..' in the path");
	ck_assert_ptr_null(path_normalize("a/..", true, &why));
	/* ".." only as a whole component */
	p = path_normalize("a/..b/c..", true, &why);
	ck_assert_str_eq(p, "a/..b/c..");
	free(p);
	/* lenient: a leading "/" dropped, ".." kept */
	p = path_normalize("//x/./../y", false, NULL);
	ck_assert_str_eq(p, "x/../y");
	free(p);
	/* folded: ".." takes the component before it, never above the top */
	p = path_fold("a/./b//../c/", &why);
	ck_assert_str_eq(p, "a/c");
	free(p);
	p = path_fold("/a/b/../../c", NULL);
	ck_assert_str_eq(p, "c");
	free(p);
	p = path_fold("a/..", NULL);
	ck_assert_str_eq(p, "");
	free(p);
	ck_assert_ptr_null(path_fold("a/../..", &why));
	ck_assert_str_eq(why, "'..' above the top");
	ck_assert_ptr_null(path_fold("../a", NULL));
}
END_TEST

START_TEST(bound_floor_then_ratio)
{
	struct bound b;
	struct err e = ERR_INIT;

	/* 1 MiB in, ratio 10: the floor (1 GiB) applies */
	bound_init(&b, 1 << 20, 10);
	ck_assert_uint_eq(bound_limit(&b), BOUND_FLOOR);
	ck_assert_int_eq(bound_charge(&b, BOUND_FLOOR - 1, &e), 0);
	ck_assert_int_eq(bound_charge(&b, 1, &e), 0);
	ck_assert(bound_over(&b, 1));
	ck_assert_int_eq(bound_charge(&b, 1, &e), -1);
	ck_assert_ptr_nonnull(e.msg);
	ck_assert_ptr_nonnull(strstr(e.msg, "more than 10 times"));
	ck_assert_uint_eq(b.out, BOUND_FLOOR); /* a refused charge is not counted */
	err_release(&e);
	/* 1 GiB in, ratio 2: 2 GiB */
	bound_init(&b, 1ULL << 30, 2);
	ck_assert_uint_eq(bound_limit(&b), 2ULL << 30);
	/* a huge claim does not wrap around */
	ck_assert_int_eq(bound_charge(&b, UINT64_MAX, &e), -1);
	ck_assert_uint_eq(b.out, 0);
	err_release(&e);
	/* ratio 0: no limit, and no overflow in the check */
	bound_init(&b, 5, 0);
	ck_assert_int_eq(bound_charge(&b, UINT64_MAX - 1, &e), 0);
	ck_assert_int_eq(bound_charge(&b, 1, &e), 0);
	/* a huge input and ratio: the product saturates */
	bound_init(&b, UINT64_MAX / 2, 1000);
	ck_assert_uint_eq(bound_limit(&b), UINT64_MAX);
}
END_TEST

Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *t = tcase_create("util");

	tcase_add_test(t, buf_grows_and_terminates);
	tcase_add_test(t, buf_detach_empty_is_owned);
	tcase_add_test(t, strpool_keeps_strings);
	tcase_add_test(t, err_keeps_last_message);
	tcase_add_test(t, align_and_bytes);
	tcase_add_test(t, paths_normalize);
	tcase_add_test(t, bound_floor_then_ratio);
	suite_add_tcase(s, t);
	return s;
}
