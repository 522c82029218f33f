#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fsutil.h"
#include "testutil.h"

static char *dir;
static int dfd;

static void setup(void)
{
	dir = tu_tmpdir();
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(tu_sh("cd '%s' && mkdir -p a/b && echo hi > a/b/f && "
			       "ln -s b a/lb && ln -s /etc a/out && echo x > top", dir), 0);
}

static void teardown(void)
{
	fsu_test_hook = NULL;
	close(dfd);
	tu_rmrf(dir);
	free(dir);
}

START_TEST(open_beneath_refuses_links_and_escapes)
{
	int fd = fsu_open_beneath(dfd, "a/b/f", O_RDONLY, false);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_lt(fsu_open_beneath(dfd, "a/lb/f", O_RDONLY, false), 0);
	ck_assert_int_lt(fsu_open_beneath(dfd, "a/out/passwd", O_RDONLY, false), 0);
	ck_assert_int_lt(fsu_open_beneath(dfd, "a/../../etc/passwd", O_RDONLY, false), 0);
	ck_assert_int_lt(fsu_open_beneath(dfd, "/etc/passwd", O_RDONLY, false), 0);
	ck_assert_int_lt(fsu_open_beneath(dfd, "a/lb", O_RDONLY, false), 0);
}
END_TEST

START_TEST(open_parent_gives_base)
{
	const char *base;
	int fd = fsu_open_parent(dfd, "a/b/f", &base, false);
	struct stat st;

	ck_assert_int_ge(fd, 0);
	ck_assert_str_eq(base, "f");
	ck_assert_int_eq(fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert(S_ISREG(st.st_mode));
	close(fd);
	fd = fsu_open_parent(dfd, "top", &base, false);
	ck_assert_int_ge(fd, 0);
	ck_assert_str_eq(base, "top");
	close(fd);
}
END_TEST

START_TEST(replace_keeps_metadata)
{
	struct stat st, after, nst;
	struct err e = ERR_INIT;
	struct timespec ts[2] = { { 1000000, 5 }, { 2000000, 7 } };
	char val[16];
	int fd, running_as_root = geteuid() == 0;
	size_t n;
	unsigned char *data;
	char path[4096];

	fd = openat(dfd, "top", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchmod(fd, 04751), 0);
	if (running_as_root)
		ck_assert_int_eq(fchown(fd, 1234, 5678), 0);
	else
		tu_skip("replace_keeps_metadata/owner", "not root: no foreign owner to keep");
	ck_assert_int_eq(fchmod(fd, 04751), 0); /* chown cleared setuid */
	ck_assert_int_eq(fsetxattr(fd, "user.test", "hello", 5, 0), 0);
	ck_assert_int_eq(futimens(fd, ts), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(fsu_replace(dfd, "top", fd, &st, "new content\n", 12, &nst, &e), 0);
	close(fd);
	ck_assert_int_eq(fstatat(dfd, "top", &after, 0), 0);
	ck_assert_uint_eq(after.st_mode & 07777, 04751);
	ck_assert_uint_eq(after.st_uid, st.st_uid);
	ck_assert_uint_eq(after.st_gid, st.st_gid);
	ck_assert_int_eq(after.st_mtim.tv_sec, 2000000);
	ck_assert_int_eq(after.st_mtim.tv_nsec, 7);
	ck_assert_uint_ne(after.st_ino, st.st_ino);
	ck_assert_uint_eq(after.st_ino, nst.st_ino);
	snprintf(path, sizeof(path), "%s/top", dir);
	ck_assert_int_eq(getxattr(path, "user.test", val, sizeof(val)), 5);
	ck_assert(memcmp(val, "hello", 5) == 0);
	data = tu_read(path, &n);
	ck_assert_uint_eq(n, 12);
	ck_assert(memcmp(data, "new content\n", 12) == 0);
	free(data);
	/* no temp file left behind */
	ck_assert_int_eq(tu_sh("test -z \"$(ls -A '%s' | grep '^\\.slim-')\"", dir), 0);
}
END_TEST

START_TEST(replace_refuses_changed_file)
{
	struct stat st;
	struct err e = ERR_INIT;
	int fd = openat(dfd, "top", O_RDWR);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(write(fd, "grown!", 6), 6); /* changes size and mtime */
	ck_assert_int_eq(fsu_replace(dfd, "top", fd, &st, "z", 1, NULL, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "changed"));
	err_release(&e);
	close(fd);
	ck_assert_int_eq(tu_sh("test \"$(cat '%s/top')\" = grown!", dir), 0);
	ck_assert_int_eq(tu_sh("test -z \"$(ls -A '%s' | grep '^\\.slim-')\"", dir), 0);
}
END_TEST

START_TEST(relink_makes_hard_link)
{
	struct stat a, b, stale;
	struct err e = ERR_INIT;

	ck_assert_int_eq(fstatat(dfd, "top", &b, 0), 0);
	ck_assert_int_eq(fsu_relink(dfd, "a/b/f", dfd, "top", &b, &e), 0);
	ck_assert_int_eq(fstatat(dfd, "a/b/f", &a, 0), 0);
	ck_assert_int_eq(fstatat(dfd, "top", &b, 0), 0);
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	ck_assert_uint_eq(a.st_nlink, 2);
	/* a stale inode number is refused */
	stale = a;
	stale.st_ino += 12345;
	ck_assert_int_eq(fsu_relink(dfd, "a/b/f", dfd, "top", &stale, &e), -1);
	err_release(&e);
	ck_assert_int_eq(tu_sh("test -z \"$(ls -A '%s' | grep '^\\.slim-')\"", dir), 0);
}
END_TEST

/* The race of issue #19 item 4: another process renames a file to the name
 * after slim's last look at it and before the replacement. */
static const char *intruder;

static void rename_intruder_in(int dirfd, const char *name)
{
	if (intruder)
		ck_assert_int_eq(renameat(dfd, intruder, dirfd, name), 0);
	intruder = NULL;
}

/* What a name holds, as a string (small files). */
static char *content(const char *name)
{
	char path[4096];
	size_t n;
	unsigned char *p;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	p = tu_read(path, &n);
	ck_assert_ptr_nonnull(p);
	p[n] = '\0';
	return (char *)p;
}

START_TEST(relink_leaves_a_file_renamed_in)
{
	struct stat top, f;
	struct err e = ERR_INIT;
	char *got;

	tu_write(dir, "precious", "not slim's to replace\n", (size_t)-1);
	ck_assert_int_eq(fstatat(dfd, "top", &top, AT_SYMLINK_NOFOLLOW), 0);
	intruder = "precious";
	fsu_test_hook = rename_intruder_in;
	ck_assert_int_eq(fsu_relink(dfd, "a/b/f", dfd, "top", &top, &e), -1);
	fsu_test_hook = NULL;
	ck_assert_ptr_nonnull(strstr(e.msg, "changed"));
	err_release(&e);
	got = content("top");
	ck_assert_str_eq(got, "not slim's to replace\n");
	free(got);
	ck_assert_int_eq(fstatat(dfd, "a/b/f", &f, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_uint_eq(f.st_nlink, 1);
	ck_assert_int_eq(tu_sh("test -z \"$(ls -A '%s' | grep '^\\.slim-')\"", dir), 0);
}
END_TEST

START_TEST(replace_leaves_a_file_renamed_in)
{
	struct stat st;
	struct err e = ERR_INIT;
	char *got;
	int fd = openat(dfd, "top", O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	tu_write(dir, "precious", "not slim's to replace\n", (size_t)-1);
	intruder = "precious";
	fsu_test_hook = rename_intruder_in;
	ck_assert_int_eq(fsu_replace_j(dfd, "top", fd, &st, "new\n", 4, ".slim-link-0000000000000001.tmp",
				       NULL, &e), -1);
	fsu_test_hook = NULL;
	close(fd);
	ck_assert_ptr_nonnull(strstr(e.msg, "changed"));
	err_release(&e);
	got = content("top");
	ck_assert_str_eq(got, "not slim's to replace\n");
	free(got);
	/* neither the temp file nor the journal is left */
	ck_assert_int_eq(tu_sh("test -z \"$(ls -A '%s' | grep '^\\.slim-')\"", dir), 0);
}
END_TEST

static void remove_name(int dirfd, const char *name)
{
	ck_assert_int_eq(unlinkat(dirfd, name, 0), 0);
}

START_TEST(replace_of_a_removed_name_fails_clean)
{
	struct stat st;
	struct err e = ERR_INIT;
	int fd = openat(dfd, "top", O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	fsu_test_hook = remove_name;
	ck_assert_int_eq(fsu_replace(dfd, "top", fd, &st, "new\n", 4, NULL, &e), -1);
	fsu_test_hook = NULL;
	close(fd);
	ck_assert_ptr_nonnull(strstr(e.msg, "changed"));
	err_release(&e);
	ck_assert_int_ne(faccessat(dfd, "top", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_int_eq(tu_sh("test -z \"$(ls -A '%s' | grep '^\\.slim-')\"", dir), 0);
}
END_TEST

/* A directory that is a mount point is on another file system than the one
 * its removal happens on (its parent's), whatever its own device says. */
START_TEST(remove_tree_stays_on_its_file_system)
{
	struct err e1 = ERR_INIT, e2 = ERR_INIT;
	int rc1, rc2, kept, d;

	if (geteuid() != 0)
		TU_SKIP("not root: cannot mount a tmpfs");
	if (tu_sh("mkdir -p '%s/d/m' && mount -t tmpfs -o size=1m tmpfs '%s/d/m' 2>/dev/null", dir, dir) != 0)
		TU_SKIP("cannot mount a tmpfs here");
	ck_assert_int_eq(tu_sh("mkdir '%s/d/m/sub' && echo x > '%s/d/m/sub/f' && echo y > '%s/d/m/g'",
			       dir, dir, dir), 0);
	d = openat(dfd, "d", O_RDONLY | O_DIRECTORY);
	rc1 = fsu_remove_tree(d, "m", &e1);
	rc2 = fsu_remove_tree(dfd, "d", &e2);
	close(d);
	kept = tu_sh("test -f '%s/d/m/sub/f' && test -f '%s/d/m/g'", dir, dir);
	ck_assert_int_eq(tu_sh("umount '%s/d/m'", dir), 0);
	ck_assert_int_eq(kept, 0);
	ck_assert_int_eq(rc1, -1);
	ck_assert_ptr_nonnull(strstr(e1.msg, "another file system"));
	ck_assert_int_eq(rc2, -1);
	ck_assert_ptr_nonnull(strstr(e2.msg, "another file system"));
	err_release(&e1);
	err_release(&e2);
}
END_TEST

START_TEST(tmpname_pattern)
{
	ck_assert(fsu_is_tmpname(".slim-0123456789abcdef.tmp"));
	ck_assert(!fsu_is_tmpname(".slim-0123456789abcdeg.tmp"));
	ck_assert(!fsu_is_tmpname(".slim-0123456789abcdef.tm"));
	ck_assert(!fsu_is_tmpname("slim-0123456789abcdef.tmp"));
	ck_assert(!fsu_is_tmpname(".slim-.tmp"));
}
END_TEST

START_TEST(tmp_create_is_new_and_beside)
{
	char name[FSU_TMPNAME_MAX], name2[FSU_TMPNAME_MAX];
	const char *base = NULL;
	struct stat st;
	int fd, fd2, d;

	fd = fsu_tmp_create(dfd, name, O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert(fsu_is_tmpname(name));
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_size, 0);
	fd2 = fsu_tmp_create(dfd, name2, O_RDWR, 0600);
	ck_assert_int_ge(fd2, 0);
	ck_assert_str_ne(name, name2);
	close(fd);
	close(fd2);
	ck_assert_int_eq(unlinkat(dfd, name, 0), 0);
	ck_assert_int_eq(unlinkat(dfd, name2, 0), 0);

	/* the directory of an output path, and its last component */
	d = fsu_open_dir_of("a/b/f", &base);
	ck_assert_int_lt(d, 0); /* relative to the cwd, not dir: no a/ there */
	ck_assert_int_eq(chdir(dir), 0);
	d = fsu_open_dir_of("a/b/f", &base);
	ck_assert_int_ge(d, 0);
	ck_assert_str_eq(base, "f");
	ck_assert_int_eq(fstatat(d, base, &st, 0), 0);
	close(d);
	d = fsu_open_dir_of("top", &base);
	ck_assert_int_ge(d, 0);
	ck_assert_str_eq(base, "top");
	close(d);
	ck_assert_int_lt(fsu_open_dir_of("", &base), 0);
	ck_assert_int_lt(fsu_open_dir_of("a/b/", &base), 0);
	ck_assert_int_lt(fsu_open_dir_of("a/..", &base), 0);
	ck_assert_int_lt(fsu_open_dir_of("/", &base), 0);
	ck_assert_int_eq(chdir("/"), 0);
}
END_TEST

/* Zero blocks become holes; what reads back is what was given, to the
 * byte and the length: data after a hole, a partial last block of zeros,
 * a file that ends in a hole, one that is only zeros, an empty one. */
START_TEST(write_sparse_reads_back)
{
	static const size_t lens[] = { 0, 100, 4096, 3 * 4096, 3 * 4096 + 100, 5 * 4096 };
	unsigned char *p = calloc(1, 5 * 4096), *back;
	char name[FSU_TMPNAME_MAX], path[4096];
	size_t i, k, n;
	int fd;

	for (k = 0; k < 2; k++) {
		if (k) { /* data in blocks 0 and 3, zeros elsewhere */
			memset(p + 10, 'a', 5);
			memset(p + 3 * 4096 + 4095, 'b', 1);
		}
		for (i = 0; i < ARRAY_SIZE(lens); i++) {
			fd = fsu_tmp_create(dfd, name, O_WRONLY, 0600);
			ck_assert_int_ge(fd, 0);
			ck_assert_int_eq(fsu_write_sparse(fd, p, lens[i]), 0);
			close(fd);
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			back = tu_read(path, &n);
			ck_assert_uint_eq(n, lens[i]);
			ck_assert(n == 0 || memcmp(back, p, n) == 0);
			free(back);
			ck_assert_int_eq(unlinkat(dfd, name, 0), 0);
		}
	}
	free(p);
}
END_TEST

Suite *fsutil_suite(void)
{
	Suite *s = suite_create("fsutil");
	TCase *t = tcase_create("fsutil");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, open_beneath_refuses_links_and_escapes);
	tcase_add_test(t, open_parent_gives_base);
	tcase_add_test(t, replace_keeps_metadata);
	tcase_add_test(t, replace_refuses_changed_file);
	tcase_add_test(t, relink_makes_hard_link);
	tcase_add_test(t, relink_leaves_a_file_renamed_in);
	tcase_add_test(t, replace_leaves_a_file_renamed_in);
	tcase_add_test(t, replace_of_a_removed_name_fails_clean);
	tcase_add_test(t, remove_tree_stays_on_its_file_system);
	tcase_add_test(t, tmpname_pattern);
	tcase_add_test(t, tmp_create_is_new_and_beside);
	tcase_add_test(t, write_sparse_reads_back);
	suite_add_tcase(s, t);
	return s;
}
