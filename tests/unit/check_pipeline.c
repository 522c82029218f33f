/* check_pipeline.c - one pipeline for every input: the same tree through
 * directory mode and layer mode gets the same verdict for every entry;
 * threads do not change a report; a layer read once for an image. */
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
#include "report_print.h"
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
	ck_assert_int_eq(rules_add_preset(rules, "python", &e), 0);
	ck_assert_int_eq(rules_add_glob(rules, false, "drop/", "--drop", &e), 0);
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

/*
 * A tree with a case of every verdict: ELF files to strip (one under two
 * names, one whose first name a rule drops), one already stripped, a
 * separate debug file, a kernel module, a linker script named libc.so, a
 * file too small to be anything, identical files, removal rules.
 */
static void make_tree(const char *t)
{
	ck_assert_int_eq(tu_sh(
		"set -e; cd '%s'; mkdir -p %s && cd %s\n"
		"mkdir -p lib usr/lib/debug data pkg/__pycache__ drop keep\n"
		"printf 'int foo(int x) { return x * 7; }\\n' > /tmp/foo.$$.c\n"
		"printf 'static int h(int x) { return x + 1; } int bar(int x) { return h(x); }\\n' "
		"> /tmp/bar.$$.c\n"
		"printf 'int z(void) { return 3; }\\n' > /tmp/z.$$.c\n"
		"cc -g -O1 -fPIC -shared -o lib/libfoo.so /tmp/foo.$$.c\n"
		"cp lib/libfoo.so lib/libfoo2.so\n"
		"cp lib/libfoo.so usr/lib/debug/libfoo.so.debug\n"
		"cc -g -O1 -fPIC -shared -o lib/libbar.so /tmp/bar.$$.c && ln lib/libbar.so lib/libbar-link.so\n"
		"cc -s -O1 -fPIC -shared -o lib/stripped.so /tmp/foo.$$.c\n"
		"cc -g -O1 -c -o lib/mod.ko /tmp/foo.$$.c\n"
		"cc -g -O1 -fPIC -shared -o drop/libz.so /tmp/z.$$.c && ln drop/libz.so keep/libz.so\n"
		"rm -f /tmp/foo.$$.c /tmp/bar.$$.c /tmp/z.$$.c\n"
		"printf 'GROUP ( /lib/libc.so.6 )\\n' > lib/libc.so\n"
		"printf '\\177ELF' > lib/tiny.so\n"
		"head -c 5000 /dev/urandom > data/a.txt && cp data/a.txt data/b.txt\n"
		"head -c 7000 /dev/urandom > data/c.txt && cp data/c.txt data/d.txt\n"
		"printf 'x = 1\\n' > pkg/x.py && printf 'bytecode' > pkg/__pycache__/x.cpython-311.pyc\n",
		dir, t, t), 0);
}

/* One line per verdict the report holds, paths relative (prefix cut). */
static void verdicts(const struct report *r, const char *prefix, struct buf *out)
{
	size_t i, n = strlen(prefix);

	for (i = 0; i < r->nchanges; i++) {
		const struct report_change *c = &r->changes[i];
		const char *p = strncmp(c->path, prefix, n) == 0 ? c->path + n : c->path;
		if (strcmp(c->pass, "dedup") == 0)
			continue; /* linked to which: from the outputs */
		buf_addf(out, "%s %s %s %llu %llu\n", p, c->pass, c->rule ? c->rule : "-",
			 (unsigned long long)c->before, (unsigned long long)c->after);
	}
	for (i = 0; i < r->nskips; i++) {
		const struct report_skip *s = &r->skips[i];
		const char *p = strncmp(s->path, prefix, n) == 0 ? s->path + n : s->path;
		buf_addf(out, "%s skip %s %llu\n", p, skip_reason_id(s->reason),
			 (unsigned long long)s->bytes);
	}
	for (i = 0; i < r->ndups; i++) {
		const struct report_dup *d = &r->dups[i];
		const char *p = strncmp(d->kept, prefix, n) == 0 ? d->kept + n : d->kept;
		buf_addf(out, "%s dups %llu %llu %s%s\n", p, (unsigned long long)d->size,
			 (unsigned long long)d->files, d->linked ? "linked" : "unlinked",
			 d->elf ? " elf" : "");
	}
	buf_addf(out, "totals %llu %llu elf %llu strip %llu %llu %llu dup %llu %llu %llu\n",
		 (unsigned long long)r->bytes_before, (unsigned long long)report_saved(r),
		 (unsigned long long)r->elf, (unsigned long long)r->strip.files,
		 (unsigned long long)r->strip.before, (unsigned long long)r->strip.after,
		 (unsigned long long)r->dup_groups, (unsigned long long)r->dup_files_linked,
		 (unsigned long long)r->dup_bytes_saved);
}

/* "P -> K" for every name P a dedup change made a link to kept copy K:
 * in place, the first name in path order on P's inode. */
static void links_in_tree(const struct report *r, const char *prefix, struct buf *out)
{
	size_t i, n = strlen(prefix);

	for (i = 0; i < r->nchanges; i++) {
		const struct report_change *c = &r->changes[i];
		unsigned char *k;
		char *res;
		size_t len;
		if (strcmp(c->pass, "dedup") != 0)
			continue;
		res = path_in("kept.out");
		ck_assert_int_eq(tu_sh("cd '%s' && find . -samefile '%s' | sed 's|^\\./||' | sort | "
				       "head -1 | tr -d '\\n' > '%s'", prefix, c->path + n, res), 0);
		k = tu_read(res, &len);
		buf_addf(out, "%s -> %s\n", c->path + n, (char *)k);
		free(k);
		free(res);
	}
}

/* "P -> K" for every hard link entry of the layer out. */
static void links_in_tar(const char *out_tar, struct buf *out)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;

	archive_read_support_format_tar(a);
	ck_assert_int_eq(archive_read_open_filename(a, out_tar, 65536), ARCHIVE_OK);
	while (archive_read_next_header(a, &ae) == ARCHIVE_OK)
		if (archive_entry_hardlink(ae) && strncmp(archive_entry_pathname(ae), "data/", 5) == 0)
			buf_addf(out, "%s -> %s\n", archive_entry_pathname(ae), archive_entry_hardlink(ae));
	archive_read_free(a);
}

/* The same tree, in place and as a layer: every entry gets the same verdict
 * (dropped by which rule, stripped to how many bytes, skipped why, linked
 * to which), save the one report the layer never made: a library-named
 * file that is not ELF. */
START_TEST(verdicts_dir_and_layer_agree)
{
	struct report rd, rl;
	struct layer_result res;
	struct buf vd = BUF_INIT, vl = BUF_INIT, ld = BUF_INIT, ll = BUF_INIT;
	char *inplace = path_in("inplace"), *packed = path_in("packed"), *out = path_in("out.tar");
	char *prefix = path_in("inplace/"), *notelf;

	if (!tu_have("cc")) {
		tu_skip(tu_check_name(__func__), "cc missing");
		goto out;
	}
	make_tree("inplace");
	ck_assert_int_eq(tu_sh("cd '%s' && cp -a inplace packed", dir), 0);
	report_init(&rd, false);
	report_init(&rl, false);
	ck_assert_int_eq(run_dir(&so, inplace, &rd), 0);
	ck_assert_int_eq(layer_process(&so, packed, out, COMPRESS_NONE, &rl, &res), 0);
	layer_result_release(&res);
	ck_assert_uint_eq(rd.nerrors, 0);
	ck_assert_uint_eq(rl.nerrors, 0);
	report_finish(&rd);
	report_finish(&rl);
	verdicts(&rd, prefix, &vd);
	verdicts(&rl, "", &vl);
	/* the tree's report alone names the linker script */
	notelf = strstr(vd.p, "lib/libc.so skip not_elf 25\n");
	ck_assert_msg(notelf != NULL, "%s", vd.p);
	memmove(notelf, notelf + strlen("lib/libc.so skip not_elf 25\n"),
		strlen(notelf + strlen("lib/libc.so skip not_elf 25\n")) + 1);
	vd.len = strlen(vd.p);
	ck_assert_str_eq(vd.p, vl.p);
	/* and what the verdicts are */
	ck_assert_ptr_nonnull(strstr(vl.p, "lib/libfoo.so strip - "));
	/* stripped once, under its first name ('-' sorts before '.') */
	ck_assert_ptr_nonnull(strstr(vl.p, "lib/libbar-link.so strip - "));
	ck_assert_ptr_null(strstr(vl.p, "lib/libbar.so"));
	ck_assert_ptr_nonnull(strstr(vl.p, "keep/libz.so strip - "));
	ck_assert_ptr_nonnull(strstr(vl.p, "usr/lib/debug/libfoo.so.debug skip debug_file "));
	ck_assert_ptr_nonnull(strstr(vl.p, "lib/stripped.so skip already_stripped "));
	ck_assert_ptr_nonnull(strstr(vl.p, "lib/mod.ko skip object "));
	ck_assert_ptr_nonnull(strstr(vl.p, "pkg/__pycache__ rules python: __pycache__/ 8 0\n"));
	ck_assert_ptr_nonnull(strstr(vl.p, "drop rules --drop: drop/ 0 0\n"));
	ck_assert_ptr_null(strstr(vl.p, "tiny"));
	ck_assert_ptr_nonnull(strstr(vl.p, "lib/libfoo.so dups "));
	ck_assert_ptr_nonnull(strstr(vl.p, " unlinked elf\n"));
	/* linked to which */
	links_in_tree(&rd, prefix, &ld);
	links_in_tar(out, &ll);
	ck_assert_str_eq(ld.p, "data/b.txt -> data/a.txt\ndata/d.txt -> data/c.txt\n");
	ck_assert_str_eq(ld.p, ll.p);
	report_release(&rd);
	report_release(&rl);
out:
	buf_release(&vd);
	buf_release(&vl);
	buf_release(&ld);
	buf_release(&ll);
	free(inplace);
	free(packed);
	free(out);
	free(prefix);
}
END_TEST

static char *json_of(struct report *r)
{
	char *p = NULL, *s;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);

	report_finish(r);
	r->peak_rss = 0;
	report_print_json(r, f, r->nerrors ? 1 : 0);
	fclose(f);
	s = p;
	return s;
}

/* The report does not depend on the number of threads, in either mode. */
START_TEST(threads_do_not_change_reports)
{
	char *tree = path_in("t"), *j[4];
	struct layer_result res;
	int k;

	if (!tu_have("cc")) {
		tu_skip(tu_check_name(__func__), "cc missing");
		free(tree);
		return;
	}
	make_tree("t");
	so.dry_run = true;
	for (k = 0; k < 4; k++) {
		struct report r;
		report_init(&r, true);
		so.jobs = k % 2 ? 3 : 1;
		if (k < 2)
			ck_assert_int_eq(run_dir(&so, tree, &r), 0);
		else
			ck_assert_int_eq(layer_process(&so, tree, NULL, COMPRESS_ZSTD, &r, &res), 0);
		j[k] = json_of(&r);
		report_release(&r);
	}
	ck_assert_str_eq(j[0], j[1]);
	ck_assert_str_eq(j[2], j[3]);
	for (k = 0; k < 4; k++)
		free(j[k]);
	free(tree);
}
END_TEST

static void sha256_hex(const char *cmd, unsigned char out[32])
{
	char *p = path_in("sum.out");
	unsigned char *hex;
	size_t n, i;

	ck_assert_int_eq(tu_sh("cd '%s' && %s > '%s'", dir, cmd, p), 0);
	hex = tu_read(p, &n);
	ck_assert_uint_ge(n, 64);
	for (i = 0; i < 32; i++) {
		unsigned v;
		ck_assert_int_eq(sscanf((char *)hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
	free(hex);
	free(p);
}

/* A layer read once: what an image checks and lists comes with the result. */
START_TEST(layer_read_once)
{
	char *in = path_in("in.tar.gz"), *out = path_in("out.tar.gz");
	unsigned char want[32];
	struct layer_result res;
	struct report r;
	int fd;

	ck_assert_int_eq(tu_sh("cd '%s' && mkdir -p s/__pycache__ && printf 1 > s/x.py && "
			       "printf 22 > s/__pycache__/x.cpython-311.pyc && tar -C s -czf in.tar.gz .",
			       dir), 0);
	fd = open(in, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(lseek(fd, 3, SEEK_SET), 3); /* read from the start all the same */
	report_init(&r, false);
	ck_assert_int_eq(layer_process_fd(&so, fd, "layer 1", out, COMPRESS_GZIP, &r, &res), 0);
	close(fd);
	sha256_hex("sha256sum < in.tar.gz", want);
	ck_assert_int_eq(memcmp(res.in_digest, want, 32), 0);
	sha256_hex("gzip -dc in.tar.gz | sha256sum", want);
	ck_assert_int_eq(memcmp(res.in_diff_id, want, 32), 0);
	sha256_hex("sha256sum < out.tar.gz", want);
	ck_assert_int_eq(memcmp(res.out_digest, want, 32), 0);
	sha256_hex("gzip -dc out.tar.gz | sha256sum", want);
	ck_assert_int_eq(memcmp(res.diff_id, want, 32), 0);
	ck_assert_uint_eq(res.entries.n, 4);
	ck_assert_str_eq(res.entries.v[0].path, "./");
	ck_assert(res.entries.v[0].dir);
	ck_assert(res.changed); /* __pycache__ went */
	layer_result_release(&res);
	report_release(&r);
	free(in);
	free(out);
}
END_TEST

/* A hostile layer: the error is filed under the name given, nothing is
 * written. */
START_TEST(layer_refused_names_it)
{
	char *in = path_in("bad.tar"), *out = path_in("out.tar");
	struct layer_result res;
	struct report r;
	struct stat st;
	int fd;

	ck_assert_int_eq(tu_sh("cd '%s' && python3 -c \"import io, tarfile; t = tarfile.open("
			       "'bad.tar', 'w'); i = tarfile.TarInfo('../x'); i.size = 1; t.addfile(i, "
			       "io.BytesIO(b'x')); t.close()\"", dir), 0);
	fd = open(in, O_RDONLY);
	report_init(&r, false);
	ck_assert_int_eq(layer_process_fd(&so, fd, "sha256:abc", out, COMPRESS_NONE, &r, &res), -1);
	close(fd);
	ck_assert_uint_eq(r.nerrors, 1);
	ck_assert_str_eq(r.errors[0].path, "sha256:abc");
	ck_assert_ptr_nonnull(strstr(r.errors[0].msg, "leaves the layer"));
	ck_assert_int_ne(stat(out, &st), 0);
	ck_assert_int_eq(tu_sh("cd '%s' && ! ls -a | grep -q '^.slim-'", dir), 0);
	layer_result_release(&res);
	report_release(&r);
	free(in);
	free(out);
}
END_TEST

/* A layer whose only change is an entry a later one of its path replaced:
 * the output leaves the first out, so the layer changed (an image writes a
 * new blob rather than keeping the old one with the report saying it went). */
START_TEST(layer_superseded_only_is_changed)
{
	char *in = path_in("dup.tar"), *out = path_in("out.tar");
	struct layer_result res;
	struct report r;
	int fd;

	ck_assert_int_eq(tu_sh("cd '%s' && python3 -c \"import io, tarfile; t = tarfile.open("
			       "'dup.tar', 'w')\nfor d in (b'old', b'new'):\n i = tarfile.TarInfo('etc/a'); "
			       "i.size = len(d); t.addfile(i, io.BytesIO(d))\nt.close()\"", dir), 0);
	fd = open(in, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	report_init(&r, false);
	ck_assert_int_eq(layer_process_fd(&so, fd, "layer 0", out, COMPRESS_NONE, &r, &res), 0);
	close(fd);
	ck_assert_uint_eq(r.nchanges, 0);
	ck_assert_uint_eq(r.superseded, 1);
	ck_assert(res.changed);
	ck_assert_int_eq(tu_sh("cd '%s' && test \"$(tar -tf out.tar)\" = etc/a && "
			       "test \"$(tar -xOf out.tar etc/a)\" = new", dir), 0);
	layer_result_release(&res);
	report_release(&r);
	free(in);
	free(out);
}
END_TEST

/* An image's layer is a tar: a zip (bare, or behind a compressor) has no
 * tar stream for its diff_id, so it is refused, never taken with empty
 * digests. */
START_TEST(layer_zip_refused_in_image)
{
	static const char *const made[] = {
		"python3 -c \"import zipfile; zipfile.ZipFile('l.zip', 'w').writestr('a', 'x')\"",
		"python3 -c \"import zipfile; zipfile.ZipFile('l.zip', 'w').writestr('a', 'x')\" && "
		"gzip -c l.zip > l.gz && mv l.gz l.zip",
	};
	char *in = path_in("l.zip"), *out = path_in("out");
	struct layer_result res;
	struct report r;
	size_t k;
	int fd;

	for (k = 0; k < 2; k++) {
		ck_assert_int_eq(tu_sh("cd '%s' && rm -f l.zip && %s", dir, made[k]), 0);
		fd = open(in, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		report_init(&r, false);
		ck_assert_int_eq(layer_process_fd(&so, fd, "layer 0", out, COMPRESS_NONE, &r, &res), -1);
		close(fd);
		ck_assert_uint_eq(r.nerrors, 1);
		ck_assert_str_eq(r.errors[0].path, "layer 0");
		ck_assert_int_eq(access(out, F_OK), -1);
		layer_result_release(&res);
		report_release(&r);
	}
	free(in);
	free(out);
}
END_TEST

Suite *pipeline_suite(void)
{
	Suite *s = suite_create("pipeline");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, verdicts_dir_and_layer_agree);
	tcase_add_test(tc, threads_do_not_change_reports);
	tcase_add_test(tc, layer_read_once);
	tcase_add_test(tc, layer_refused_names_it);
	tcase_add_test(tc, layer_superseded_only_is_changed);
	tcase_add_test(tc, layer_zip_refused_in_image);
	suite_add_tcase(s, tc);
	return s;
}
