/* check_sink.c - the sinks: what the tar writer makes of a layer's final
 * state, and what the in-place sink does (and, in a dry run, does not) to a
 * tree. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer.h"
#include "report.h"
#include "rules.h"
#include "run.h"
#include "testutil.h"

static char *dir;
static struct slim_opts so;
static struct rules *rules;

static void setup(void)
{
	struct err e = ERR_INIT;

	strip_init();
	dir = tu_tmpdir();
	memset(&so, 0, sizeof(so));
	so.jobs = 2;
	so.strip_on = true;
	so.dedup = DEDUP_LINK;
	so.max_entry = 1ULL << 32;
	so.max_ratio = 1000;
	rules = rules_new();
	ck_assert_int_eq(rules_add_glob(rules, false, "gone*", "--drop", &e), 0);
	so.rules = rules;
}

static void teardown(void)
{
	rules_free(rules);
	tu_rmrf(dir);
	free(dir);
}

static char *path_in(const char *name)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s/%s", dir, name);
	return buf_detach(&b, NULL);
}

/* ---- the tar writer ----------------------------------------------------------- */

static void make_layer(void)
{
	ck_assert_int_eq(tu_sh(
		"cd '%s' && python3 - <<'PY'\n"
		"import io, os, tarfile\n"
		"t = tarfile.open('in.tar', 'w', format=tarfile.PAX_FORMAT)\n"
		"def add(name, data=None, **kw):\n"
		"    i = tarfile.TarInfo(name)\n"
		"    for k, v in kw.items(): setattr(i, k, v)\n"
		"    if data is not None: i.size = len(data)\n"
		"    t.addfile(i, io.BytesIO(data) if data is not None else None)\n"
		"same = os.urandom(6000)\n"
		"add('gone.bin', b'survives in its links')\n"
		"add('l1', type=tarfile.LNKTYPE, linkname='gone.bin')\n"
		"add('l2', type=tarfile.LNKTYPE, linkname='gone.bin')\n"
		"add('c1', same)\n"
		"add('c2', same)\n"
		"add('h', type=tarfile.LNKTYPE, linkname='c2')\n"
		"add('s', b'old')\n"
		"add('s', b'new one')\n"
		"add('.wh.x', b'')\n"
		"t.close()\n"
		"PY", dir), 0);
}

/* "NAME TYPE SIZE LINK CONTENT..." for every entry of a tar. */
static void listing(const char *tarpath, struct buf *out)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	char data[64];

	/* (the content of short entries only) */

	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	ck_assert_int_eq(archive_read_open_filename(a, tarpath, 65536), ARCHIVE_OK);
	while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
		la_ssize_t k = archive_read_data(a, data, sizeof(data) - 1);
		data[k > 0 ? k : 0] = '\0';
		buf_addf(out, "%s %s %lld %s %.10s\n", archive_entry_pathname(ae),
			 archive_entry_hardlink(ae) ? "link" : "file",
			 (long long)archive_entry_size(ae),
			 archive_entry_hardlink(ae) ? archive_entry_hardlink(ae) : "-",
			 archive_entry_size(ae) < (la_int64_t)sizeof(data) && k > 0 ? data : "");
	}
	archive_read_free(a);
}

/* Only the final state is written: a dropped file's first link takes its
 * place and its other links follow that one; a copy links to the first
 * copy, and a link to a copy to the first copy too; a superseded entry is
 * left out; a whiteout passes through. */
START_TEST(tar_final_state)
{
	char *in = path_in("in.tar"), *out = path_in("out.tar");
	struct layer_result res;
	struct buf l = BUF_INIT;
	struct report r;

	make_layer();
	report_init(&r, false);
	ck_assert_int_eq(layer_process(&so, in, out, COMPRESS_NONE, &r, &res), 0);
	ck_assert_uint_eq(r.nerrors, 0);
	listing(out, &l);
	ck_assert_str_eq(l.p, "l1 file 21 - survives i\n"
			      "l2 link 0 l1 \n"
			      "c1 file 6000 - \n"
			      "c2 link 0 c1 \n"
			      "h link 0 c1 \n"
			      "s file 7 - new one\n"
			      ".wh.x file 0 - \n");
	ck_assert_uint_eq(r.superseded, 1);
	ck_assert_uint_eq(r.dup_files_linked, 1);
	layer_result_release(&res);
	report_release(&r);
	buf_release(&l);
	free(in);
	free(out);
}
END_TEST

/* A dry run writes into nothing, and gets the sizes and digests of a real
 * run all the same. */
START_TEST(tar_dry_run_exact)
{
	char *in = path_in("in.tar"), *out = path_in("out.tar.gz"), *dry = path_in("dry.tar.gz");
	struct layer_result real, d;
	struct report r;
	struct stat st;
	int fd;

	make_layer();
	report_init(&r, false);
	fd = open(in, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(layer_process_fd(&so, fd, "in", out, COMPRESS_GZIP, &r, &real), 0);
	so.dry_run = true;
	ck_assert_int_eq(layer_process_fd(&so, fd, "in", dry, COMPRESS_GZIP, &r, &d), 0);
	close(fd);
	ck_assert_int_ne(stat(dry, &st), 0);
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert_uint_eq(real.file_out, (uint64_t)st.st_size);
	ck_assert_uint_eq(real.file_out, d.file_out);
	ck_assert_uint_eq(real.tar_out, d.tar_out);
	ck_assert_int_eq(memcmp(real.diff_id, d.diff_id, 32), 0);
	ck_assert_int_eq(memcmp(real.out_digest, d.out_digest, 32), 0);
	layer_result_release(&real);
	layer_result_release(&d);
	report_release(&r);
	free(in);
	free(out);
	free(dry);
}
END_TEST

/* ---- the tree ------------------------------------------------------------------ */

static void make_tree(void)
{
	ck_assert_int_eq(tu_sh(
		"set -e; cd '%s' && mkdir -p t/sub t/gone.d && cd t\n"
		"printf 'static int h(int x) { return x + 1; } int f(int x) { return h(x); }\\n' > /tmp/f.$$.c\n"
		"cc -g -O1 -fPIC -shared -o liba.so /tmp/f.$$.c && rm /tmp/f.$$.c\n"
		"ln liba.so sub/liba-2.so && ln liba.so zz.so\n"
		"printf 'dropped' > gone.txt && printf 'also' > gone.d/x\n"
		"printf 'left by a killed run' > sub/.slim-0123456789abcdef.tmp\n", dir), 0);
}

/* ino, size, mtime and link count of every path, one a line. */
static void manifest(struct buf *out)
{
	char *p = path_in("manifest.out");
	unsigned char *m;
	size_t n;

	ck_assert_int_eq(tu_sh("cd '%s/t' && find . -printf '%%p %%i %%s %%T@ %%n\\n' | sort > '%s'",
			       dir, p), 0);
	m = tu_read(p, &n);
	buf_setlen(out, 0);
	buf_add(out, m, n);
	free(m);
	free(p);
}

/* A stripped file replaces the original under every name (which stay one
 * file), what the rules drop goes, a killed run's temp file goes, no
 * journal is left. */
START_TEST(dir_replace_remove)
{
	char *t = path_in("t");
	struct report r;

	if (!tu_have("cc")) {
		tu_skip(tu_check_name(__func__), "cc missing");
		free(t);
		return;
	}
	make_tree();
	report_init(&r, false);
	ck_assert_int_eq(run_dir(&so, t, &r), 0);
	ck_assert_uint_eq(r.nerrors, 0);
	ck_assert_uint_eq(r.strip.files, 1);
	ck_assert_uint_eq(r.tmp_removed, 1);
	ck_assert_int_eq(tu_sh("cd '%s/t' && test ! -e gone.txt && test ! -e gone.d && "
			       "test ! -e sub/.slim-0123456789abcdef.tmp && "
			       "! find . -name '.slim-*' | grep -q .", dir), 0);
	ck_assert_int_eq(tu_sh("cd '%s/t' && stat -c %%s liba.so | grep -qx %llu", dir,
			       (unsigned long long)r.strip.after), 0);
	ck_assert_int_eq(tu_sh("cd '%s/t' && test $(stat -c %%i liba.so) = $(stat -c %%i sub/liba-2.so) "
			       "&& test $(stat -c %%i liba.so) = $(stat -c %%i zz.so) && "
			       "test $(stat -c %%h liba.so) = 3", dir), 0);
	report_release(&r);
	free(t);
}
END_TEST

/* A dry run changes nothing, and counts what a real run does. */
START_TEST(dir_dry_run_changes_nothing)
{
	char *t = path_in("t");
	struct buf before = BUF_INIT, after = BUF_INIT;
	struct report r;

	if (!tu_have("cc")) {
		tu_skip(tu_check_name(__func__), "cc missing");
		free(t);
		return;
	}
	make_tree();
	manifest(&before);
	so.dry_run = true;
	report_init(&r, true);
	ck_assert_int_eq(run_dir(&so, t, &r), 0);
	manifest(&after);
	ck_assert_str_eq(before.p, after.p);
	ck_assert_uint_eq(r.strip.files, 1);
	ck_assert_uint_eq(r.tmp_removed, 1);
	ck_assert_uint_eq(report_rules_bytes(&r), 11);
	report_release(&r);
	buf_release(&before);
	buf_release(&after);
	free(t);
}
END_TEST

/* A file with a name outside the tree is never rewritten. */
START_TEST(dir_links_outside_left)
{
	char *t = path_in("t");
	struct buf before = BUF_INIT, after = BUF_INIT;
	struct report r;

	if (!tu_have("cc")) {
		tu_skip(tu_check_name(__func__), "cc missing");
		free(t);
		return;
	}
	make_tree();
	ck_assert_int_eq(tu_sh("cd '%s' && ln t/liba.so outside.so && rm -rf t/gone* "
			       "t/sub/.slim-*", dir), 0);
	manifest(&before);
	report_init(&r, false);
	ck_assert_int_eq(run_dir(&so, t, &r), 0);
	manifest(&after);
	ck_assert_str_eq(before.p, after.p);
	ck_assert_uint_eq(r.strip.files, 0);
	ck_assert_uint_eq(r.skip[SKIP_LINKS_OUTSIDE].files, 1);
	report_release(&r);
	buf_release(&before);
	buf_release(&after);
	free(t);
}
END_TEST

Suite *sink_suite(void)
{
	Suite *s = suite_create("sink");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tar_final_state);
	tcase_add_test(tc, tar_dry_run_exact);
	tcase_add_test(tc, dir_replace_remove);
	tcase_add_test(tc, dir_dry_run_changes_nothing);
	tcase_add_test(tc, dir_links_outside_left);
	suite_add_tcase(s, tc);
	return s;
}
