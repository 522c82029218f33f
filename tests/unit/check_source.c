/* check_source.c - the sources: a tree's walk, a layer's tar (its checks
 * and final state), the spool; what every pass reads through them. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nettle/sha2.h>

#include "content.h"
#include "dedup.h"
#include "report.h"
#include "source.h"
#include "source_dir.h"
#include "source_layer.h"
#include "source_tar.h"
#include "spool.h"
#include "testutil.h"

static char *dir;
static struct report rep;
static struct slim_opts so;

static void setup(void)
{
	dir = tu_tmpdir();
	report_init(&rep, false);
	memset(&so, 0, sizeof(so));
	so.jobs = 2;
	so.strip_on = true;
	so.dedup = DEDUP_LINK;
	so.max_entry = 1 << 20;
	so.max_ratio = 1000;
}

static void teardown(void)
{
	report_release(&rep);
	tu_rmrf(dir);
	free(dir);
}

static long find(const struct source *s, const char *path)
{
	size_t i;

	for (i = 0; i < s->ents.n; i++)
		if (strcmp(s->ents.v[i].path, path) == 0)
			return (long)i;
	return -1;
}

static char *path_in(const char *name)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s/%s", dir, name);
	return buf_detach(&b, NULL);
}

/* ---- a tree ------------------------------------------------------------------ */

/* New content from bytes, as the strip pass gives it to put(). */
static int put_bytes(struct source *s, size_t i, const char *p, size_t n, struct err *e)
{
	struct content c;
	int rc;

	content_init(&c, NULL, 0);
	content_add_ref(&c, p, n);
	rc = s->ops->put(s, i, &c, e);
	content_release(&c);
	return rc;
}

START_TEST(dir_walk_entries)
{
	struct err e = ERR_INIT;
	struct source *s;
	struct source_dir *d;
	unsigned char *head = NULL;
	long a, f, h1, h2, lib;
	char *root = path_in("t");

	ck_assert_int_eq(tu_sh("cd '%s' && mkdir -p t/a && printf 'hello world\\n' > t/a/f && "
			       "printf 'GROUP ( libc.so.6 )\\n' > t/a/libc.so && "
			       "printf 'same inode twice\\n' > t/h1 && ln t/h1 t/h2 && ln -s a/f t/sym && "
			       "printf x > t/.slim-0123456789abcdef.tmp && "
			       "printf y > t/.slim-link-00000000000000aa.tmp", dir), 0);
	s = source_dir_open(&so, &rep, root, &e);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(source_dir_scan(s, &e), 0);
	d = source_dir_of(s);
	/* slim's own names are no entries: listed for the sink */
	ck_assert_uint_eq(s->ents.n, 6);
	ck_assert_uint_eq(d->ntmps, 1);
	ck_assert_uint_eq(d->njournals, 1);
	ck_assert_uint_eq(rep.seen, 6);
	a = find(s, "a");
	f = find(s, "a/f");
	lib = find(s, "a/libc.so");
	h1 = find(s, "h1");
	h2 = find(s, "h2");
	ck_assert(a >= 0 && f >= 0 && h1 >= 0 && h2 >= 0 && lib >= 0);
	ck_assert_uint_eq(s->ents.v[f].parent, (uint32_t)a);
	ck_assert_uint_eq(s->ents.v[a].parent, ENT_NONE);
	ck_assert_int_eq(s->ents.v[find(s, "sym")].type, ENT_SYMLINK);
	/* the walk peeked: neither ELF nor ar */
	ck_assert(s->ents.v[lib].flags & ENT_NOT_ELF);
	/* names of one inode: the first carries the file, once the sink began */
	ck_assert_int_eq(s->ents.v[h2].type, ENT_FILE);
	s->ops->ready(s);
	ck_assert_int_eq(s->ents.v[h1].type, ENT_FILE);
	ck_assert_int_eq(s->ents.v[h2].type, ENT_HARDLINK);
	ck_assert_uint_eq(s->ents.v[h2].link, (uint32_t)h1);
	ck_assert_uint_eq(source_dir_names(d, (size_t)h1), 2);
	ck_assert(!s->ops->outside_names(s, (size_t)h2));
	/* hard-linked bytes count once */
	ck_assert_uint_eq(rep.bytes_before, 12 + 20 + 17);
	ck_assert_int_eq(s->ops->read_head(s, (size_t)f, 5, &head), 5);
	ck_assert_int_eq(memcmp(head, "hello", 5), 0);
	free(head);
	source_free(s);
	free(root);
}
END_TEST

/* A name outside the tree keeps the file alive: the source says so. */
START_TEST(dir_names_outside)
{
	struct err e = ERR_INIT;
	struct source_file sf = SOURCE_FILE_INIT;
	struct source *s;
	char *root = path_in("t");
	dev_t dev;
	ino_t ino;
	long f;

	ck_assert_int_eq(tu_sh("cd '%s' && mkdir t && printf data > t/f && ln t/f outside", dir), 0);
	s = source_dir_open(&so, &rep, root, &e);
	ck_assert_int_eq(source_dir_scan(s, &e), 0);
	s->ops->ready(s);
	f = find(s, "f");
	ck_assert(s->ops->outside_names(s, (size_t)f));
	ck_assert_int_eq(s->ops->open(s, (size_t)f, &sf, &e), 0);
	s->ops->ident(s, (size_t)f, &dev, &ino);
	ck_assert(sf.st.st_ino == ino && sf.st.st_dev == dev);
	ck_assert_uint_eq(sf.size, 4);
	source_close(&sf);
	source_free(s);
	free(root);
}
END_TEST

/* One regular file as the root: one entry, shown as the root. */
START_TEST(dir_one_file)
{
	struct err e = ERR_INIT;
	struct buf b = BUF_INIT;
	struct source *s;
	char *root = path_in("one.bin");

	tu_write(dir, "one.bin", "0123456789", (size_t)-1);
	s = source_dir_open(&so, &rep, root, &e);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(source_dir_scan(s, &e), 0);
	ck_assert_uint_eq(s->ents.n, 1);
	ck_assert_str_eq(s->ents.v[0].path, "one.bin");
	source_display(s, s->ents.v[0].path, &b);
	ck_assert_str_eq(b.p, root);
	buf_release(&b);
	source_free(s);
	free(root);
}
END_TEST

START_TEST(dir_root_refused)
{
	struct err e = ERR_INIT;
	char *root = path_in("nothing-here");

	ck_assert_ptr_null(source_dir_open(&so, &rep, root, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "No such file"));
	err_release(&e);
	free(root);
}
END_TEST

/* ---- a layer ------------------------------------------------------------------- */

/* Make NAME in dir with Python's tarfile: the body of a script that has
 * t (the open tarfile), add(name, data) and the tarfile module. */
static void make_tar(const char *name, const char *mode, const char *body)
{
	char *script = path_in("mk.py");
	FILE *f = fopen(script, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "import io, sys, tarfile\n"
		   "t = tarfile.open(sys.argv[1], '%s', format=tarfile.PAX_FORMAT)\n"
		   "def add(name, data=None, **kw):\n"
		   "    i = tarfile.TarInfo(name)\n"
		   "    for k, v in kw.items(): setattr(i, k, v)\n"
		   "    if data is not None: i.size = len(data)\n"
		   "    t.addfile(i, io.BytesIO(data) if data is not None else None)\n"
		   "%s\nt.close()\n", mode, body);
	fclose(f);
	ck_assert_int_eq(tu_sh("cd '%s' && python3 mk.py '%s'", dir, name), 0);
	free(script);
}

struct listing {
	int n;
	uint64_t bytes;
};

static void count_listed(void *ctx, const char *name, uint64_t size, bool isdir, bool regular)
{
	struct listing *l = ctx;

	(void)name;
	(void)isdir;
	(void)regular;
	l->n++;
	l->bytes += size;
}

/* Read dir/name into a new layer source; -1 with *why on refusal. */
/* name read as a layer, with its digests (as an image's) when digests. */
static struct source *read_as(const char *name, bool digests, struct source_tar_result *tr,
			      struct listing *l, const char **why)
{
	struct source_tar_opts to = { .max_ratio = 1000, .digests = digests,
				      .listed = count_listed, .ctx = l };
	struct err e = ERR_INIT;
	char *p = path_in(name);
	struct source *s = source_layer_new(&so, &rep, 65536, &e);
	struct stat st;
	int fd = open(p, O_RDONLY);

	ck_assert_ptr_nonnull(s);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	to.in_size = (uint64_t)st.st_size;
	*why = source_tar_read(s, fd, &to, tr) == 0 ? NULL : source_layer_err(s);
	close(fd);
	free(p);
	return s;
}

static struct source *read_layer(const char *name, struct source_tar_result *tr,
				 struct listing *l, const char **why)
{
	return read_as(name, true, tr, l, why);
}

/* sha256 of what filter (cat, gzip -dc) makes of dir/name. */
static void sha256_file(const char *filter, const char *name, unsigned char out[32])
{
	char *p = path_in("digest.out");
	unsigned char *hex;
	size_t n, i;

	ck_assert_int_eq(tu_sh("cd '%s' && %s '%s' | sha256sum > '%s'", dir, filter, name, p), 0);
	hex = tu_read(p, &n);
	ck_assert_ptr_nonnull(hex);
	ck_assert_uint_ge(n, 64);
	for (i = 0; i < 32; i++) {
		unsigned v;
		ck_assert_int_eq(sscanf((char *)hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
	free(hex);
	free(p);
}

START_TEST(tar_final_state)
{
	struct source_tar_result tr;
	struct listing l = { 0 };
	unsigned char want[32], *head = NULL;
	const char *why;
	struct source *s;
	long x1, x2, y, hl, wh;
	size_t i;

	make_tar("in.tar.gz", "w:gz",
		 "add('./', type=tarfile.DIRTYPE)\n"
		 "add('a', type=tarfile.DIRTYPE)\n"
		 "add('a/x', b'first')\n"
		 "add('a/x', b'second!')\n"
		 "add('b', type=tarfile.DIRTYPE)\n"
		 "add('b/y', b'under b')\n"
		 "add('l', type=tarfile.LNKTYPE, linkname='a/x')\n"
		 "add('a/.wh.gone', b'')\n"
		 "add('b', b'b is a file now')\n");
	s = read_layer("in.tar.gz", &tr, &l, &why);
	ck_assert_msg(why == NULL, "%s", why);
	ck_assert_int_eq(l.n, 9);
	ck_assert_uint_eq(s->ents.n, 9);
	ck_assert_str_eq(s->ents.v[0].path, ".");
	x1 = 2;
	x2 = 3;
	y = find(s, "b/y");
	hl = find(s, "l");
	wh = find(s, "a/.wh.gone");
	ck_assert_str_eq(s->ents.v[x1].path, "a/x");
	/* superseded by a later entry of its path, or by one replacing b */
	ck_assert(s->ents.v[x1].flags & ENT_GONE);
	ck_assert(!(s->ents.v[x2].flags & ENT_GONE));
	ck_assert(s->ents.v[y].flags & ENT_GONE);
	ck_assert(s->ents.v[find(s, "b")].flags & ENT_GONE); /* the directory b */
	ck_assert_uint_eq(rep.superseded, 3);
	/* a hard link names the latest entry of its target's path */
	ck_assert_int_eq(s->ents.v[hl].type, ENT_HARDLINK);
	ck_assert_uint_eq(s->ents.v[hl].link, (uint32_t)x2);
	ck_assert(s->ents.v[wh].flags & ENT_WHITEOUT);
	ck_assert_int_eq(entry_rules_type(&s->ents.v[wh]), RT_WHITEOUT);
	ck_assert_uint_eq(s->ents.v[x2].parent, 1);
	ck_assert_int_eq(s->ops->read_head(s, (size_t)hl, (size_t)-1, &head), 7);
	ck_assert_int_eq(memcmp(head, "second!", 7), 0);
	free(head);
	ck_assert_uint_eq(s->ops->find(s, "a/x"), (uint32_t)x2);
	/* the digests of the one read */
	ck_assert(tr.digests);
	sha256_file("cat", "in.tar.gz", want);
	ck_assert_int_eq(memcmp(tr.in_digest, want, 32), 0);
	sha256_file("gzip -dc", "in.tar.gz", want);
	ck_assert_int_eq(memcmp(tr.in_diff_id, want, 32), 0);
	for (i = 0; i < s->ents.n; i++)
		if (s->ents.v[i].type == ENT_FILE)
			ck_assert_ptr_nonnull(s->ops->digest(s, i));
	source_free(s);
}
END_TEST

/* Every hostile entry refuses the layer, naming itself. */
START_TEST(tar_refusals)
{
	static const struct {
		const char *body, *msg;
	} cases[] = {
		{ "add('/etc/passwd', b'x')", "leaves the layer" },
		{ "add('a/../../x', b'x')", "leaves the layer" },
		{ "add('l', type=tarfile.LNKTYPE, linkname='nothing')", "not a file earlier" },
		{ "add('s', type=tarfile.SYMTYPE, linkname='/etc')\nadd('s/x', b'x')",
		  "goes through the symlink 's'" },
		{ "add('.wh..', b'')", "a whiteout of the directory itself" },
		{ "add('f', b'x', uid=4294967295)", "uid 4294967295 out of range" },
		{ "add('.', type=tarfile.SYMTYPE, linkname='elsewhere')", "names the top of the layer" },
		{ "add('d', type=tarfile.DIRTYPE)\nadd('d/f', b'x')\nadd('d', b'file')\n"
		  "add('l', type=tarfile.LNKTYPE, linkname='d/f')",
		  "which an entry after it removed" },
	};
	size_t k;

	for (k = 0; k < ARRAY_SIZE(cases); k++) {
		struct source_tar_result tr;
		struct listing l = { 0 };
		const char *why;
		struct source *s;

		make_tar("bad.tar", "w", cases[k].body);
		s = read_layer("bad.tar", &tr, &l, &why);
		ck_assert_msg(why && strstr(why, cases[k].msg), "case %zu: %s", k, why ? why : "accepted");
		source_free(s);
	}
}
END_TEST

/* New content replaces the old for every reader; a stale digest goes. */
START_TEST(tar_put)
{
	struct source_file f = SOURCE_FILE_INIT;
	struct source_tar_result tr;
	struct listing l = { 0 };
	struct err e = ERR_INIT;
	unsigned char buf[8], *head = NULL;
	const char *why;
	struct source *s;

	make_tar("in.tar", "w", "add('f', b'0123456789' * 1000)");
	s = read_layer("in.tar", &tr, &l, &why);
	ck_assert_ptr_null(why);
	ck_assert_ptr_nonnull(s->ops->digest(s, 0));
	ck_assert_int_eq(put_bytes(s, 0, "new", 3, &e), 0);
	ck_assert_ptr_null(s->ops->digest(s, 0));
	ck_assert_int_eq(s->ops->read_head(s, 0, (size_t)-1, &head), 3);
	ck_assert_int_eq(memcmp(head, "new", 3), 0);
	free(head);
	ck_assert_int_eq(s->ops->open(s, 0, &f, &e), 0);
	ck_assert_uint_eq(f.size, 3);
	ck_assert_uint_eq((uint64_t)f.st.st_size, 3);
	ck_assert_int_eq(source_pread(&f, buf, 3, 0, &e), 0);
	ck_assert_int_eq(memcmp(buf, "new", 3), 0);
	/* a region never reads past its end */
	ck_assert_int_eq(source_pread(&f, buf, 4, 0, &e), -1);
	err_release(&e);
	source_close(&f);
	source_free(s);
}
END_TEST

/* A tree packed as a layer: the content is read from the tree when it is
 * needed, and only while it is the file that was read. */
START_TEST(pack_reads_the_tree)
{
	struct source_file f = SOURCE_FILE_INIT;
	struct err e = ERR_INIT;
	unsigned char *head = NULL, buf[5];
	char *t = path_in("t"), *file = path_in("t/a/f");
	struct timespec ts[2] = { { 0, 0 }, { 1234567, 0 } };
	struct source *s;
	long i;

	ck_assert_int_eq(tu_sh("mkdir -p '%s/a' && printf 'hello' > '%s'", t, file), 0);
	s = source_dir_pack(&so, &rep, t, 1 << 16, &e);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_null(source_layer_err(s));
	i = find(s, "a/f");
	ck_assert_int_ge(i, 0);
	ck_assert(!source_layer_in_spool(s, (size_t)i));
	/* not hashed at the walk: dedup reads only files with a size twin */
	ck_assert_ptr_null(s->ops->digest(s, (size_t)i));
	ck_assert_int_eq(s->ops->read_head(s, (size_t)i, (size_t)-1, &head), 5);
	ck_assert_int_eq(memcmp(head, "hello", 5), 0);
	free(head);
	ck_assert_int_eq(s->ops->open(s, (size_t)i, &f, &e), 0);
	ck_assert_int_eq(source_pread(&f, buf, 5, 0, &e), 0);
	ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
	source_close(&f);
	/* the same size, another time: another file now */
	ck_assert_int_eq(utimensat(AT_FDCWD, file, ts, 0), 0);
	ck_assert_int_eq(s->ops->open(s, (size_t)i, &f, &e), -1);
	ck_assert(strstr(e.msg, "changed after it was read") != NULL);
	err_release(&e);
	ck_assert_int_eq(s->ops->read_head(s, (size_t)i, 5, &head), -1);
	/* replaced by a symlink to a file outside: never followed */
	ck_assert_int_eq(tu_sh("echo secret > '%s/out' && rm '%s' && ln -s ../../out '%s'", dir,
			       file, file), 0);
	ck_assert_int_eq(s->ops->open(s, (size_t)i, &f, &e), -1);
	err_release(&e);
	/* new content goes to the spool, and is read from there */
	ck_assert_int_eq(put_bytes(s, (size_t)i, "new", 3, &e), 0);
	ck_assert(source_layer_in_spool(s, (size_t)i));
	ck_assert_int_eq(s->ops->read_head(s, (size_t)i, (size_t)-1, &head), 3);
	ck_assert_int_eq(memcmp(head, "new", 3), 0);
	free(head);
	source_free(s);
	free(t);
	free(file);
}
END_TEST

START_TEST(zip_is_a_zip)
{
	struct source_tar_result tr;
	struct listing l = { 0 };
	const char *why;
	struct source *s;

	ck_assert_int_eq(tu_sh("cd '%s' && python3 -c \"import zipfile; z = zipfile.ZipFile('w.whl', "
			       "'w'); z.writestr('p/__init__.py', 'x = 1\\n'); z.writestr("
			       "'p-1.dist-info/RECORD', 'p/__init__.py,,\\n'); z.close()\"", dir), 0);
	/* as an image's layer: no tar, no digests to check: refused */
	s = read_layer("w.whl", &tr, &l, &why);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_nonnull(strstr(why, "not a tar layer"));
	source_free(s);
	s = read_as("w.whl", false, &tr, &l, &why);
	ck_assert_ptr_null(why);
	ck_assert(s->zip);
	ck_assert(!tr.digests);
	ck_assert_uint_eq(tr.tar_bytes, 0);
	ck_assert_int_ge(find(s, "p-1.dist-info/RECORD"), 0);
	source_free(s);
}
END_TEST

/* ---- the spool ---------------------------------------------------------------------- */

static void count_region(void *ctx, uint64_t at, uint64_t n)
{
	uint64_t *r = ctx;

	r[0]++;
	r[1] = at;
	r[2] = n;
}

START_TEST(spool_holes)
{
	struct spool sp;
	struct err e = ERR_INIT;
	unsigned char *data = xcalloc(1, 5 * SPOOL_HOLE_MIN), back[4];
	uint64_t off1, off2, r[3] = { 0 };

	ck_assert_int_eq(spool_open(&sp, &e), 0);
	memset(data + 4 * SPOOL_HOLE_MIN, 'x', SPOOL_HOLE_MIN);
	ck_assert_int_eq(spool_put(&sp, "abc", 3, &off1, &e), 0);
	ck_assert_int_eq(spool_put(&sp, data, 5 * SPOOL_HOLE_MIN, &off2, &e), 0);
	/* regions start at block boundaries: their holes are the file's */
	ck_assert_uint_eq(off1 % SPOOL_HOLE_MIN, 0);
	ck_assert_uint_eq(off2 % SPOOL_HOLE_MIN, 0);
	ck_assert_uint_gt(off2, off1);
	ck_assert_int_eq(spool_read(&sp, back, 3, off1), 0);
	ck_assert_int_eq(memcmp(back, "abc", 3), 0);
	ck_assert_uint_ge(spool_map(&sp, off2, 5 * SPOOL_HOLE_MIN, count_region, r), 1);
	/* the last region reaches the end: the data block, alone where the
	 * file system reports holes */
	ck_assert_uint_eq(r[1] + r[2], 5 * SPOOL_HOLE_MIN);
	if (r[0] == 1 && r[1] == 4 * SPOOL_HOLE_MIN)
		ck_assert(spool_is_hole(&sp, off2, 4 * SPOOL_HOLE_MIN));
	else
		ck_assert_uint_eq(r[1], 0); /* no holes here: one region of everything */
	spool_close(&sp);
	free(data);
}
END_TEST

Suite *source_suite(void)
{
	Suite *s = suite_create("source");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, dir_walk_entries);
	tcase_add_test(tc, dir_names_outside);
	tcase_add_test(tc, dir_one_file);
	tcase_add_test(tc, dir_root_refused);
	tcase_add_test(tc, tar_final_state);
	tcase_add_test(tc, tar_refusals);
	tcase_add_test(tc, tar_put);
	tcase_add_test(tc, zip_is_a_zip);
	tcase_add_test(tc, pack_reads_the_tree);
	tcase_add_test(tc, spool_holes);
	suite_add_tcase(s, tc);
	return s;
}
