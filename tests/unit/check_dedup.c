#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dedup.h"
#include "../../src/dedup_int.h" /* the in-place sort of names, tested alone */
#include "report.h"
#include "sink.h"
#include "sink_dir.h"
#include "source_dir.h"
#include "testutil.h"
#include "util.h"
#include "walk.h"

/* A test tree and the items of its non-directory entries, in walk order. */
struct tree {
	char *dir;
	int fd;
	struct dedup_item *items;
	size_t n, cap;
};

static struct tree t;

static void setup(void)
{
	t.dir = tu_tmpdir();
	t.fd = open(t.dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(t.fd, 0);
}

static void free_items(void)
{
	size_t i;

	for (i = 0; i < t.n; i++)
		free((char *)t.items[i].path);
	free(t.items);
	t.items = NULL;
	t.n = t.cap = 0;
}

static void teardown(void)
{
	free_items();
	close(t.fd);
	tu_rmrf(t.dir);
	free(t.dir);
}

static void add_item(const char *path, const struct stat *st)
{
	struct dedup_item *it;

	xgrow(&t.items, &t.cap, t.n + 1, sizeof(*t.items));
	it = &t.items[t.n++];
	memset(it, 0, sizeof(*it));
	it->path = xstrdup(path);
	it->dev = st->st_dev;
	it->ino = st->st_ino;
	it->size = (uint64_t)st->st_size;
	it->mode = st->st_mode;
	it->uid = st->st_uid;
	it->gid = st->st_gid;
}

static enum walk_action collect(void *ctx, const struct walk_entry *e)
{
	(void)ctx;
	if (!S_ISDIR(e->st->st_mode))
		add_item(e->relpath, e->st);
	return WALK_CONTINUE;
}

static void walk_error(void *ctx, const char *relpath, const char *what, int errnum)
{
	(void)ctx;
	ck_abort_msg("walk: %s %s: %d", relpath, what, errnum);
}

/* (Re)list the tree into t.items. */
static void list_tree(void)
{
	struct walk_opts o = { .visit = collect, .error = walk_error };

	free_items();
	ck_assert_int_eq(walk_tree(t.fd, &o), 0);
}

static size_t item_of(const char *name);

/* Item name carries the walk's probe pr (copied). */
static void set_probe(const char *name, const struct dedup_probe *pr)
{
	t.items[item_of(name)].probe = *pr;
	t.items[item_of(name)].has_probe = true;
}

/* The tree's items read through a tree source and linked by the in-place
 * sink, as the pipeline has dedup do it. */
struct io {
	struct slim_opts so;
	struct report rep;
	struct source *src;
	struct sink *sink;
	struct dedup_opts o;
};

static void io_open(struct io *io, const struct dedup_opts *o)
{
	size_t i;

	memset(io, 0, sizeof(*io));
	io->so.jobs = 1;
	report_init(&io->rep, false);
	io->src = source_dir_bare(&io->so, &io->rep, t.fd);
	for (i = 0; i < t.n; i++) {
		struct stat st = { .st_dev = t.items[i].dev, .st_ino = t.items[i].ino, .st_nlink = 1,
				   .st_mode = t.items[i].mode, .st_uid = t.items[i].uid,
				   .st_gid = t.items[i].gid, .st_size = (off_t)t.items[i].size };
		ck_assert_int_eq(source_dir_add(io->src, t.items[i].path, &st), (long)i);
		t.items[i].entry = i;
	}
	io->sink = sink_dir_new(&io->so, io->src);
	io->o = *o;
	io->o.link = io->sink->link;
	io->o.link_ctx = io->sink->link_ctx;
}

static void io_close(struct io *io)
{
	sink_free(io->sink);
	source_free(io->src);
	report_release(&io->rep);
}

static int dedup_tree(const struct dedup_opts *o, struct dedup_result *r)
{
	struct io io;
	int rc;

	io_open(&io, o);
	rc = dedup_run(io.src, t.items, t.n, &io.o, r);
	io_close(&io);
	return rc;
}

static void run_opts(const struct dedup_opts *o, struct dedup_result *r)
{
	list_tree();
	ck_assert_int_eq(dedup_tree(o, r), 0);
}

static void run(enum dedup_mode mode, bool dry, int jobs, struct dedup_result *r)
{
	struct dedup_opts o = { .mode = mode, .dry_run = dry, .jobs = jobs };

	run_opts(&o, r);
}

/* Deterministic bytes that differ with seed. */
static unsigned char *pattern(size_t n, unsigned seed)
{
	unsigned char *p = xmalloc(n);
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (unsigned char)(x >> 16);
	}
	return p;
}

static void write_pattern(const char *name, size_t n, unsigned seed)
{
	unsigned char *p = pattern(n, seed);

	tu_write(t.dir, name, p, n);
	free(p);
}

static struct stat lst(const char *name)
{
	struct stat st;

	ck_assert_msg(fstatat(t.fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0, "%s missing", name);
	return st;
}

static bool same_inode(const char *a, const char *b)
{
	return lst(a).st_ino == lst(b).st_ino;
}

static unsigned char *read_file(const char *name, size_t *len)
{
	struct buf p = BUF_INIT;
	unsigned char *data;

	buf_addf(&p, "%s/%s", t.dir, name);
	data = tu_read(p.p, len);
	ck_assert_ptr_nonnull(data);
	buf_release(&p);
	return data;
}

static const char *item_path(const struct dedup_group *g, size_t k)
{
	ck_assert_uint_lt(k, g->nitems);
	return t.items[g->items[k]].path;
}

static void assert_no_tmp_left(void)
{
	ck_assert_int_ne(tu_sh("find '%s' -name '.slim-*' | grep -q .", t.dir), 0);
}

static void assert_no_groups(const struct dedup_result *r)
{
	ck_assert_uint_eq(r->ngroups, 0);
	ck_assert_uint_eq(r->files_linked, 0);
	ck_assert_uint_eq(r->bytes_saved, 0);
	ck_assert_uint_eq(r->nerrors, 0);
}

/* Everything but the error messages. */
static void assert_same_result(const struct dedup_result *a, const struct dedup_result *b)
{
	size_t g;

	ck_assert_uint_eq(a->ngroups, b->ngroups);
	ck_assert_uint_eq(a->files_linked, b->files_linked);
	ck_assert_uint_eq(a->bytes_saved, b->bytes_saved);
	ck_assert_uint_eq(a->elf_groups, b->elf_groups);
	ck_assert_uint_eq(a->elf_bytes_unlinked, b->elf_bytes_unlinked);
	ck_assert_uint_eq(a->nerrors, b->nerrors);
	for (g = 0; g < a->ngroups; g++) {
		const struct dedup_group *x = &a->groups[g], *y = &b->groups[g];

		ck_assert_uint_eq(x->nitems, y->nitems);
		ck_assert(memcmp(x->items, y->items, x->nitems * sizeof(*x->items)) == 0);
		ck_assert_uint_eq(x->nfiles, y->nfiles);
		ck_assert_uint_eq(x->size, y->size);
		ck_assert_int_eq(x->elf_shared, y->elf_shared);
		ck_assert_int_eq(x->linked, y->linked);
	}
}

/* ---- positive cases ------------------------------------------------------ */

START_TEST(three_copies_one_group)
{
	struct dedup_result r;
	size_t n = 100 * 1024;
	unsigned char *orig = pattern(n, 1), *got;
	size_t len;

	ck_assert_int_eq(tu_sh("mkdir -p '%s/b' '%s/c'", t.dir, t.dir), 0);
	write_pattern("c/z", n, 1);
	write_pattern("a", n, 1);
	write_pattern("b/y", n, 1);
	write_pattern("other", n, 2);
	run(DEDUP_LINK, false, 2, &r);
	ck_assert_uint_eq(r.nerrors, 0);
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_uint_eq(r.groups[0].nfiles, 3);
	ck_assert_uint_eq(r.groups[0].nitems, 3);
	ck_assert_uint_eq(r.groups[0].size, n);
	ck_assert(r.groups[0].linked);
	ck_assert(!r.groups[0].elf_shared);
	ck_assert_str_eq(item_path(&r.groups[0], 0), "a");
	ck_assert_str_eq(item_path(&r.groups[0], 1), "b/y");
	ck_assert_str_eq(item_path(&r.groups[0], 2), "c/z");
	ck_assert_uint_eq(r.files_linked, 2);
	ck_assert_uint_eq(r.bytes_saved, 2 * n);
	ck_assert(same_inode("a", "b/y") && same_inode("a", "c/z"));
	ck_assert(!same_inode("a", "other"));
	ck_assert_uint_eq(lst("a").st_nlink, 3);
	got = read_file("c/z", &len);
	ck_assert_uint_eq(len, n);
	ck_assert(memcmp(got, orig, n) == 0);
	free(got);
	assert_no_tmp_left();
	dedup_result_release(&r);
	free(orig);
	/* a second run finds one file with three names: nothing to do */
	run(DEDUP_LINK, false, 2, &r);
	assert_no_groups(&r);
	dedup_result_release(&r);
}
END_TEST

START_TEST(hard_linked_names_are_one_file)
{
	struct dedup_result r;

	/* kept copy already has two names */
	write_pattern("a", 5000, 3);
	ck_assert_int_eq(tu_sh("cd '%s' && ln a b && cp a c", t.dir), 0);
	/* the copy has two names, both must be relinked */
	write_pattern("x", 300, 4);
	ck_assert_int_eq(tu_sh("cd '%s' && cp x y && ln y z", t.dir), 0);
	run(DEDUP_LINK, false, 2, &r);
	ck_assert_uint_eq(r.nerrors, 0);
	ck_assert_uint_eq(r.ngroups, 2);
	ck_assert_uint_eq(r.groups[0].nfiles, 2);
	ck_assert_uint_eq(r.groups[0].nitems, 3);
	ck_assert_str_eq(item_path(&r.groups[0], 0), "a");
	ck_assert_uint_eq(r.groups[1].nfiles, 2);
	ck_assert_uint_eq(r.groups[1].nitems, 3);
	ck_assert_str_eq(item_path(&r.groups[1], 0), "x");
	ck_assert_uint_eq(r.files_linked, 2);
	ck_assert_uint_eq(r.bytes_saved, 5000 + 300);
	ck_assert(same_inode("a", "b") && same_inode("a", "c"));
	ck_assert(same_inode("x", "y") && same_inode("x", "z"));
	ck_assert_uint_eq(lst("x").st_nlink, 3);
	dedup_result_release(&r);
}
END_TEST

START_TEST(copy_linked_outside_is_left)
{
	struct dedup_result r;
	char *out = tu_tmpdir();

	write_pattern("a", 2000, 5);
	write_pattern("b", 2000, 5);
	/* b has a name the items do not list: linking it would free nothing */
	ck_assert_int_eq(tu_sh("ln '%s/b' '%s/b2'", t.dir, out), 0);
	run(DEDUP_LINK, false, 1, &r);
	assert_no_groups(&r);
	ck_assert(!same_inode("a", "b"));
	dedup_result_release(&r);
	tu_rmrf(out);
	free(out);
}
END_TEST

/* The kept copy with a name outside the tree: the copies linked to it would
 * change when it is edited there (#19 item 3).  The next copy is kept. */
START_TEST(kept_copy_linked_outside_is_left)
{
	struct dedup_result r, dry;
	char *out = tu_tmpdir();

	write_pattern("a", 3000, 9);
	write_pattern("b", 3000, 9);
	write_pattern("c", 3000, 9);
	write_pattern("x", 700, 10);
	write_pattern("y", 700, 10);
	ck_assert_int_eq(tu_sh("ln '%s/a' '%s/a2' && ln '%s/x' '%s/x2'", t.dir, out, t.dir, out), 0);
	/* a dry run counts what the real one does */
	run(DEDUP_LINK, true, 1, &dry);
	run(DEDUP_LINK, false, 2, &r);
	assert_same_result(&dry, &r);
	ck_assert_uint_eq(r.nerrors, 0);
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_str_eq(item_path(&r.groups[0], 0), "b");
	ck_assert_uint_eq(r.groups[0].nfiles, 2);
	ck_assert_uint_eq(r.files_linked, 1);
	ck_assert(same_inode("b", "c"));
	ck_assert(!same_inode("a", "b"));
	ck_assert(!same_inode("x", "y"));
	ck_assert_uint_eq(lst("a").st_nlink, 2);
	ck_assert_uint_eq(lst("y").st_nlink, 1);
	dedup_result_release(&dry);
	dedup_result_release(&r);
	tu_rmrf(out);
	free(out);
}
END_TEST

START_TEST(dry_run_reports_what_link_does)
{
	struct dedup_result dry, rep, real;
	ino_t before[4];
	const char *names[4] = { "a1", "a2", "a3", "b2" };
	size_t i;

	write_pattern("a1", 70000, 6);
	write_pattern("a2", 70000, 6);
	write_pattern("a3", 70000, 6);
	write_pattern("b1", 10, 7);
	write_pattern("b2", 10, 7);
	write_pattern("c", 10, 8);
	for (i = 0; i < 4; i++)
		before[i] = lst(names[i]).st_ino;
	run(DEDUP_LINK, true, 2, &dry);
	run(DEDUP_REPORT, false, 2, &rep);
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(lst(names[i]).st_ino, before[i]);
	assert_no_tmp_left();
	ck_assert_uint_eq(dry.ngroups, 2);
	ck_assert(dry.groups[0].linked && dry.groups[1].linked);
	ck_assert_uint_eq(dry.files_linked, 3);
	ck_assert_uint_eq(dry.bytes_saved, 2 * 70000 + 10);
	run(DEDUP_LINK, false, 2, &real);
	assert_same_result(&dry, &real);
	assert_same_result(&rep, &real);
	ck_assert(same_inode("a1", "a3") && same_inode("b1", "b2"));
	dedup_result_release(&dry);
	dedup_result_release(&rep);
	dedup_result_release(&real);
}
END_TEST

START_TEST(off_does_nothing)
{
	struct dedup_result r;

	write_pattern("a", 100, 9);
	write_pattern("b", 100, 9);
	run(DEDUP_OFF, false, 1, &r);
	assert_no_groups(&r);
	ck_assert(!same_inode("a", "b"));
	dedup_result_release(&r);
}
END_TEST

/* ---- near misses: never linked ------------------------------------------ */

START_TEST(differs_in_last_byte)
{
	static const size_t sizes[] = { 100 * 1024, 2 * DEDUP_CHUNK + 123, DEDUP_BLOCK + 1,
					DEDUP_BLOCK };
	struct dedup_result r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		unsigned char *p = pattern(sizes[i], 10);
		char a[32], b[32];

		snprintf(a, sizeof(a), "a%zu", i);
		snprintf(b, sizeof(b), "b%zu", i);
		tu_write(t.dir, a, p, sizes[i]);
		p[sizes[i] - 1] ^= 1;
		tu_write(t.dir, b, p, sizes[i]);
		free(p);
	}
	run(DEDUP_LINK, false, 2, &r);
	assert_no_groups(&r);
	ck_assert(!same_inode("a0", "b0") && !same_inode("a1", "b1"));
	ck_assert(!same_inode("a2", "b2") && !same_inode("a3", "b3"));
	dedup_result_release(&r);
}
END_TEST

START_TEST(differs_in_mode)
{
	struct dedup_result r;

	write_pattern("a", 1000, 11);
	write_pattern("b", 1000, 11);
	write_pattern("c", 1000, 12);
	write_pattern("d", 1000, 12);
	ck_assert_int_eq(tu_sh("cd '%s' && chmod 644 a && chmod 755 b && chmod 755 c && "
			       "chmod 4755 d", t.dir), 0);
	run(DEDUP_LINK, false, 2, &r);
	assert_no_groups(&r);
	ck_assert(!same_inode("a", "b") && !same_inode("c", "d"));
	ck_assert_uint_eq(lst("d").st_mode & 07777, 04755);
	dedup_result_release(&r);
}
END_TEST

START_TEST(differs_in_owner)
{
	struct dedup_result r;

	write_pattern("a", 1000, 13);
	write_pattern("b", 1000, 13);
	write_pattern("c", 1000, 13);
	ck_assert_int_eq(tu_sh("cd '%s' && chown 1000:0 b && chown 0:1000 c", t.dir), 0);
	run(DEDUP_LINK, false, 2, &r);
	assert_no_groups(&r);
	ck_assert(!same_inode("a", "b") && !same_inode("a", "c"));
	ck_assert_uint_eq(lst("b").st_uid, 1000);
	ck_assert_uint_eq(lst("c").st_gid, 1000);
	dedup_result_release(&r);
}
END_TEST

static struct dedup_probe *probe_of(const char *name);

/* Only files with the same xattrs are linked; with probed: the walk's
 * probes stand in for dedup's look at the heads (they carry no xattrs:
 * dedup reads those of the files still in the running). */
static void xattr_groups(bool probed)
{
	static const char *const names[] = { "a", "b", "c", "d", "e", "f" };
	struct dedup_opts o = { .mode = DEDUP_LINK, .jobs = 2 };
	struct dedup_probe *pr[6] = { NULL };
	struct dedup_result r;
	bool cap = tu_have("setcap");
	size_t i;

	if (!cap)
		tu_skip(probed ? "differs_in_xattrs_probed/capability" : "differs_in_xattrs/capability",
			"setcap missing: a capability as the only difference is not checked");

	write_pattern("a", 1000, 14);
	write_pattern("b", 1000, 14);
	write_pattern("c", 1000, 14);
	write_pattern("d", 1000, 14);
	ck_assert_int_eq(tu_sh("cd '%s' && setfattr -n user.x -v 1 a && setfattr -n user.x -v 2 b "
			       "&& setfattr -n user.x -v 1 c && setfattr -n user.y -v 1 c "
			       "&& setfattr -n user.x -v 1 d", t.dir), 0);
	if (cap) {
		write_pattern("e", 2000, 15);
		write_pattern("f", 2000, 15);
		ck_assert_int_eq(tu_sh("setcap cap_net_raw+ep '%s/f'", t.dir), 0);
	}
	list_tree();
	for (i = 0; probed && i < (cap ? 6u : 4u); i++) {
		pr[i] = probe_of(names[i]);
		set_probe(names[i], pr[i]);
	}
	ck_assert_int_eq(dedup_tree(&o, &r), 0);
	ck_assert_uint_eq(r.nerrors, 0);
	/* only a and d carry the same attributes */
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_str_eq(item_path(&r.groups[0], 0), "a");
	ck_assert_str_eq(item_path(&r.groups[0], 1), "d");
	ck_assert(same_inode("a", "d"));
	ck_assert(!same_inode("a", "b") && !same_inode("a", "c"));
	if (cap) {
		ck_assert(!same_inode("e", "f"));
		ck_assert_int_eq(tu_sh("getcap '%s/f' | grep -q cap_net_raw", t.dir), 0);
	}
	dedup_result_release(&r);
	for (i = 0; i < 6; i++)
		free(pr[i]);
}

START_TEST(differs_in_xattrs)
{
	TU_NEED("setfattr");
	xattr_groups(false);
}
END_TEST

START_TEST(differs_in_xattrs_probed)
{
	TU_NEED("setfattr");
	xattr_groups(true);
}
END_TEST

/* One content, three classes of xattrs, interleaved in file order: each
 * class is a group with its own kept copy (its first file), whatever the
 * first file's class, and with or without the walk's probes. */
static void xattr_classes(bool probed)
{
	static const char *const names[] = { "a", "b", "c", "d", "e", "f" };
	struct dedup_opts o = { .mode = DEDUP_LINK, .jobs = 2 };
	struct dedup_result r;
	size_t i;

	for (i = 0; i < 6; i++)
		write_pattern(names[i], 3000, 16);
	ck_assert_int_eq(tu_sh("cd '%s' && setfattr -n user.x -v 1 a && setfattr -n user.x -v 2 b "
			       "&& setfattr -n user.x -v 1 c && setfattr -n user.x -v 2 e", t.dir), 0);
	list_tree();
	for (i = 0; probed && i < 6; i++) {
		struct dedup_probe *pr = probe_of(names[i]);
		set_probe(names[i], pr);
		free(pr);
	}
	ck_assert_int_eq(dedup_tree(&o, &r), 0);
	ck_assert_uint_eq(r.nerrors, 0);
	ck_assert_uint_eq(r.ngroups, 3);
	ck_assert_uint_eq(r.files_linked, 3);
	ck_assert_uint_eq(r.bytes_saved, 3 * 3000);
	ck_assert_str_eq(item_path(&r.groups[0], 0), "a");
	ck_assert_str_eq(item_path(&r.groups[0], 1), "c");
	ck_assert_str_eq(item_path(&r.groups[1], 0), "b");
	ck_assert_str_eq(item_path(&r.groups[1], 1), "e");
	ck_assert_str_eq(item_path(&r.groups[2], 0), "d");
	ck_assert_str_eq(item_path(&r.groups[2], 1), "f");
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(r.groups[i].nfiles, 2);
		ck_assert_uint_eq(r.groups[i].ncopies, 1);
		ck_assert(r.groups[i].linked);
	}
	ck_assert(same_inode("a", "c") && same_inode("b", "e") && same_inode("d", "f"));
	ck_assert(!same_inode("a", "b") && !same_inode("a", "d") && !same_inode("b", "d"));
	ck_assert_int_eq(tu_sh("cd '%s' && getfattr --only-values -n user.x c | grep -qx 1 && "
			       "getfattr --only-values -n user.x e | grep -qx 2 && "
			       "! getfattr -n user.x f 2>/dev/null", t.dir), 0);
	dedup_result_release(&r);
}

START_TEST(xattr_classes_in_one_content)
{
	TU_NEED("setfattr");
	TU_NEED("getfattr");
	xattr_classes(false);
}
END_TEST

START_TEST(xattr_classes_in_one_content_probed)
{
	TU_NEED("setfattr");
	TU_NEED("getfattr");
	xattr_classes(true);
}
END_TEST

START_TEST(empty_files_are_left)
{
	struct dedup_result r;

	tu_write(t.dir, "a", "", 0);
	tu_write(t.dir, "b", "", 0);
	run(DEDUP_LINK, false, 2, &r);
	assert_no_groups(&r);
	ck_assert(!same_inode("a", "b"));
	dedup_result_release(&r);
}
END_TEST

START_TEST(symlinks_are_left)
{
	struct dedup_result r;
	char target[64];
	ssize_t n;

	write_pattern("a", 3000, 16);
	write_pattern("b", 3000, 16);
	ck_assert_int_eq(tu_sh("cd '%s' && ln -s a l && ln -s b m", t.dir), 0);
	run(DEDUP_LINK, false, 2, &r);
	ck_assert_uint_eq(r.nerrors, 0);
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_uint_eq(r.groups[0].nitems, 2);
	ck_assert(same_inode("a", "b"));
	ck_assert(S_ISLNK(lst("l").st_mode) && S_ISLNK(lst("m").st_mode));
	n = readlinkat(t.fd, "m", target, sizeof(target));
	ck_assert_int_eq(n, 1);
	ck_assert(target[0] == 'b');
	dedup_result_release(&r);
}
END_TEST

START_TEST(symlink_listed_as_file_is_refused)
{
	struct dedup_result r;
	struct dedup_opts o = { .mode = DEDUP_LINK, .jobs = 2 };
	struct stat st;
	ino_t ino;

	write_pattern("a", 3000, 17);
	write_pattern("t", 3000, 17);
	ck_assert_int_eq(tu_sh("cd '%s' && ln -s t l", t.dir), 0);
	ino = lst("t").st_ino;
	list_tree();
	/* the caller claims l (items[1]) is t and leaves t out: l must not be
	 * followed */
	ck_assert_str_eq(t.items[1].path, "l");
	st = lst("t");
	t.items[1].ino = st.st_ino;
	t.items[1].mode = st.st_mode;
	t.items[1].size = (uint64_t)st.st_size;
	ck_assert_uint_eq(t.n, 3);
	free((char *)t.items[2].path);
	t.n = 2;
	ck_assert_int_eq(dedup_tree(&o, &r), 0);
	ck_assert_uint_eq(r.ngroups, 0);
	ck_assert_uint_eq(r.nerrors, 1);
	ck_assert_str_eq(t.items[r.errors[0].item].path, "l");
	ck_assert_uint_eq(lst("t").st_ino, ino);
	ck_assert(S_ISLNK(lst("l").st_mode));
	dedup_result_release(&r);
}
END_TEST

/* ---- ELF shared objects -------------------------------------------------- */

START_TEST(elf_shared_objects_need_link_elf)
{
	struct dedup_result r;
	struct dedup_opts o = { .mode = DEDUP_LINK, .jobs = 2 };
	uint64_t size;

	ck_assert_int_eq(tu_sh("cd '%s' && echo 'int f(void) { return 1; }' > f.c && "
			       "cc -shared -fPIC -o a.so f.c && cp a.so b.so && "
			       "echo 'int main(void) { return 0; }' > m.c && "
			       "cc -no-pie -o e1 m.c && cp e1 e2 && rm f.c m.c", t.dir), 0);
	size = (uint64_t)lst("a.so").st_size;
	run_opts(&o, &r);
	ck_assert_uint_eq(r.nerrors, 0);
	ck_assert_uint_eq(r.ngroups, 2);
	ck_assert_str_eq(item_path(&r.groups[0], 0), "a.so");
	ck_assert(r.groups[0].elf_shared);
	ck_assert(!r.groups[0].linked);
	/* an ET_EXEC executable is not a shared object */
	ck_assert_str_eq(item_path(&r.groups[1], 0), "e1");
	ck_assert(!r.groups[1].elf_shared);
	ck_assert(r.groups[1].linked);
	ck_assert_uint_eq(r.files_linked, 1);
	ck_assert_uint_eq(r.elf_groups, 1);
	ck_assert_uint_eq(r.elf_bytes_unlinked, size);
	ck_assert(!same_inode("a.so", "b.so"));
	ck_assert(same_inode("e1", "e2"));
	dedup_result_release(&r);

	o.link_elf = true;
	run_opts(&o, &r);
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert(r.groups[0].elf_shared);
	ck_assert(r.groups[0].linked);
	ck_assert_uint_eq(r.files_linked, 1);
	ck_assert_uint_eq(r.bytes_saved, size);
	ck_assert_uint_eq(r.elf_groups, 0);
	ck_assert(same_inode("a.so", "b.so"));
	dedup_result_release(&r);
}
END_TEST

/* A 64-byte ELF header of the given byte order (EI_DATA) and type bytes. */
static void write_elf_header(const char *name, unsigned char data, unsigned char t16,
			     unsigned char t17)
{
	unsigned char h[64] = { 0x7f, 'E', 'L', 'F', 2, 0, 1 };

	h[5] = data;
	h[16] = t16;
	h[17] = t17;
	tu_write(t.dir, name, h, sizeof(h));
}

START_TEST(elf_type_in_file_byte_order)
{
	struct dedup_result r;

	write_elf_header("b1", 2, 0, 3); /* big-endian ET_DYN */
	write_elf_header("b2", 2, 0, 3);
	write_elf_header("l1", 1, 0, 3); /* little-endian type 0x300 */
	write_elf_header("l2", 1, 0, 3);
	write_elf_header("x1", 0, 3, 0); /* no valid byte order */
	write_elf_header("x2", 0, 3, 0);
	run(DEDUP_LINK, false, 2, &r);
	ck_assert_uint_eq(r.ngroups, 3);
	ck_assert_str_eq(item_path(&r.groups[0], 0), "b1");
	ck_assert(r.groups[0].elf_shared && !r.groups[0].linked);
	ck_assert(!r.groups[1].elf_shared && r.groups[1].linked);
	ck_assert(!r.groups[2].elf_shared && r.groups[2].linked);
	ck_assert_uint_eq(r.elf_groups, 1);
	ck_assert_uint_eq(r.elf_bytes_unlinked, 64);
	ck_assert_uint_eq(r.files_linked, 2);
	dedup_result_release(&r);
}
END_TEST

/* ---- determinism and errors ---------------------------------------------- */

static void plant_many(void)
{
	unsigned i;

	ck_assert_int_eq(tu_sh("mkdir -p '%s/d1/d2' '%s/e'", t.dir, t.dir), 0);
	for (i = 0; i < 40; i++) {
		char name[64];
		size_t size = i % 5 == 0 ? DEDUP_CHUNK + i : 1000 + (i % 7) * 3000;

		snprintf(name, sizeof(name), "%s/f%02u", i % 3 == 0 ? "d1" : i % 3 == 1 ? "d1/d2" : "e", i);
		write_pattern(name, size, i % 7);
	}
}

START_TEST(jobs_do_not_change_the_result)
{
	struct dedup_result one, many, real;

	plant_many();
	run(DEDUP_LINK, true, 1, &one);
	run(DEDUP_LINK, true, 7, &many);
	ck_assert_uint_gt(one.ngroups, 3);
	ck_assert_uint_eq(one.nerrors, 0);
	assert_same_result(&one, &many);
	run(DEDUP_LINK, false, 4, &real);
	assert_same_result(&one, &real);
	assert_no_tmp_left();
	dedup_result_release(&one);
	dedup_result_release(&many);
	dedup_result_release(&real);
}
END_TEST

START_TEST(missing_file_is_an_error_rest_goes_on)
{
	struct dedup_result r;
	struct dedup_opts o = { .mode = DEDUP_LINK, .jobs = 2 };
	struct stat st;

	write_pattern("a", 9000, 18);
	write_pattern("b", 9000, 18);
	st = lst("a");
	list_tree();
	st.st_ino += 1000000;
	add_item("zz/gone", &st);  /* a partner by size: it will be opened */
	st.st_size = 12345;
	add_item("zz/unique", &st); /* no partner: never opened, no error */
	ck_assert_int_eq(dedup_tree(&o, &r), 0);
	ck_assert_uint_eq(r.nerrors, 1);
	ck_assert_str_eq(t.items[r.errors[0].item].path, "zz/gone");
	ck_assert_ptr_nonnull(strstr(r.errors[0].err.msg, "cannot open"));
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_uint_eq(r.files_linked, 1);
	ck_assert(same_inode("a", "b"));
	dedup_result_release(&r);
}
END_TEST

START_TEST(file_changed_since_listed_is_left)
{
	struct dedup_result r;
	struct dedup_opts o = { .mode = DEDUP_LINK, .jobs = 1 };

	write_pattern("a", 9000, 19);
	write_pattern("b", 9000, 19);
	write_pattern("c", 9000, 19);
	list_tree();
	ck_assert_int_eq(tu_sh("echo more >> '%s/b'", t.dir), 0);
	ck_assert_int_eq(dedup_tree(&o, &r), 0);
	ck_assert_uint_eq(r.nerrors, 1);
	ck_assert_str_eq(t.items[r.errors[0].item].path, "b");
	ck_assert_ptr_nonnull(strstr(r.errors[0].err.msg, "changed"));
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_uint_eq(r.groups[0].nfiles, 2);
	ck_assert(same_inode("a", "c"));
	ck_assert(!same_inode("a", "b"));
	dedup_result_release(&r);
}
END_TEST


/* An earlier pass's digest stands for content not on disk yet: a report
 * trusts it, a link run still compares the bytes on disk. */
START_TEST(digest_from_earlier_pass)
{
	struct dedup_opts rep = { .mode = DEDUP_REPORT, .jobs = 2 };
	struct dedup_opts lnk = { .mode = DEDUP_LINK, .jobs = 2 };
	struct dedup_result r = DEDUP_RESULT_INIT;
	unsigned char *future = pattern(10000, 7);
	struct dedup_digest d;
	size_t i;

	write_pattern("a", 20000, 1);
	write_pattern("b", 20000, 2); /* differs on disk, same "future" */
	dedup_digest_of(future, 10000, &d);
	ck_assert_uint_eq(d.size, 10000);
	list_tree();
	for (i = 0; i < t.n; i++)
		t.items[i].pre = &d;
	ck_assert_int_eq(dedup_tree(&rep, &r), 0);
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_uint_eq(r.files_linked, 1);
	ck_assert_uint_eq(r.bytes_saved, 10000);
	dedup_result_release(&r);
	/* a real run must not trust a digest the disk contradicts */
	ck_assert_int_eq(dedup_tree(&lnk, &r), 0);
	ck_assert_uint_eq(r.files_linked, 0);
	ck_assert(!same_inode("a", "b"));
	dedup_result_release(&r);
	free(future);
}
END_TEST

/* The walk's probe of a file, as run.c takes it. */
static struct dedup_probe *probe_of(const char *name)
{
	unsigned char head[DEDUP_BLOCK];
	struct dedup_probe *p;
	struct stat st;
	ssize_t k;
	int fd = openat(t.fd, name, O_RDONLY | O_NOFOLLOW);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	k = pread(fd, head, sizeof(head), 0);
	ck_assert_int_ge(k, 0);
	p = dedup_probe_head(&st, head, (size_t)k);
	close(fd);
	ck_assert_ptr_nonnull(p);
	return p;
}

static size_t item_of(const char *name)
{
	size_t i;

	for (i = 0; i < t.n; i++)
		if (strcmp(t.items[i].path, name) == 0)
			return i;
	ck_abort_msg("no item %s", name);
	return 0;
}

/* A probe stands for the file's head: what it says is what the stages
 * compare, and the bytes are checked when the rest is hashed (a long
 * file) or compared (every copy, before it counts). */
START_TEST(probe_stands_for_the_head)
{
	struct dedup_opts rep = { .mode = DEDUP_REPORT, .jobs = 2 };
	struct dedup_opts lnk = { .mode = DEDUP_LINK, .jobs = 2 };
	struct dedup_result r = DEDUP_RESULT_INIT;
	struct dedup_probe *pa, *pb, *pc;

	write_pattern("a", 9000, 1);
	write_pattern("b", 9000, 2); /* differs from the first byte */
	write_pattern("c", 9000, 1);
	list_tree();
	pa = probe_of("a");
	pb = probe_of("b");
	pc = probe_of("c");
	ck_assert(!XXH128_isEqual(pa->head, pb->head));
	ck_assert(XXH128_isEqual(pa->head, pc->head));
	ck_assert_uint_eq(pa->size, 9000);
	set_probe("a", pa);
	set_probe("b", pb);
	set_probe("c", pc);
	ck_assert_int_eq(dedup_tree(&rep, &r), 0);
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_uint_eq(r.bytes_saved, 9000);
	ck_assert_uint_eq(r.nerrors, 0);
	dedup_result_release(&r);
	/* b's probe says it starts as a does: only hashing the rest, from
	 * the start, finds out (had dedup read b's head itself, b would
	 * just have no partner) */
	pb->head = pa->head;
	set_probe("b", pb);
	ck_assert_int_eq(dedup_tree(&lnk, &r), 0);
	ck_assert_uint_eq(r.files_linked, 1);
	ck_assert_uint_eq(r.nerrors, 1);
	ck_assert_str_eq(t.items[r.errors[0].item].path, "b");
	ck_assert(same_inode("a", "c"));
	ck_assert(!same_inode("a", "b"));
	dedup_result_release(&r);
	/* a probe of another inode is not b's: b is read, and has no partner */
	list_tree();
	set_probe("b", pa);
	ck_assert_int_eq(dedup_tree(&rep, &r), 0);
	ck_assert_uint_eq(r.nerrors, 0);
	ck_assert_uint_eq(r.ngroups, 0); /* a and c are one file now */
	dedup_result_release(&r);
	free(pa);
	free(pb);
	free(pc);
}
END_TEST

/* Once dedup_new() is done the probes may be gone (the pipeline drops
 * them): dedup asks for none after it, and would find none.  The items
 * are asked for through a provider that has forgotten them by then. */
static bool probes_gone;

static void get_forgetting(const void *ctx, size_t i, struct dedup_item *it)
{
	*it = ((const struct dedup_item *)ctx)[i];
	if (probes_gone) {
		memset(&it->probe, 0xa5, sizeof(it->probe));
		it->has_probe = false;
	}
}

/* The names' in-place sort gives qsort's order on every shape of input:
 * random, sorted, reversed, one inode with many names, few devices. */
static int cmp_gname_ref(const void *a, const void *b)
{
	const struct gname *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->item < y->item ? -1 : x->item > y->item;
}

START_TEST(names_sort_in_place)
{
	static const size_t sizes[] = { 0, 1, 2, 16, 17, 100, 4099 };
	unsigned seed = 7;
	size_t s, shape, i;

	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (shape = 0; shape < 5; shape++) {
			size_t n = sizes[s];
			struct gname *v = xcalloc(n ? n : 1, sizeof(*v)), *w = xcalloc(n ? n : 1, sizeof(*w));

			for (i = 0; i < n; i++) {
				uint32_t r = (uint32_t)rand_r(&seed);
				v[i].item = (uint32_t)(shape == 2 ? n - i : shape == 1 ? i : r);
				v[i].ino = shape == 3 ? 42 : shape == 1 ? i : shape == 2 ? n - i : r % 97;
				v[i].dev = shape == 4 ? r % 3 : 0;
				if (shape == 0 || shape == 4)
					v[i].item = (uint32_t)i * 2654435761u; /* distinct, shuffled */
			}
			memcpy(w, v, n * sizeof(*v));
			dedup_sort_names(v, n);
			qsort(w, n, sizeof(*w), cmp_gname_ref);
			ck_assert_msg(memcmp(v, w, n * sizeof(*v)) == 0, "size %zu shape %zu", n, shape);
			free(v);
			free(w);
		}
}
END_TEST

START_TEST(probes_free_when_done)
{
	struct dedup_opts lnk = { .mode = DEDUP_LINK, .jobs = 2 };
	struct dedup_result r = DEDUP_RESULT_INIT;
	const char *names[3] = { "a", "b", "c" };
	struct dedup_items items;
	struct dedup *d;
	struct io io;
	size_t i;

	write_pattern("a", 9000, 1);
	write_pattern("b", 100, 1); /* one block: opened for its xattrs */
	write_pattern("c", 9000, 1);
	write_pattern("d", 100, 1);
	list_tree();
	for (i = 0; i < 3; i++) {
		struct dedup_probe *pr = probe_of(names[i]);
		set_probe(names[i], pr);
		free(pr);
	}
	io_open(&io, &lnk);
	items = (struct dedup_items){ t.n, get_forgetting, t.items };
	probes_gone = false;
	d = dedup_new(io.src, &items, &io.o);
	probes_gone = true;
	dedup_hash_heads(d);
	dedup_hash_rest(d);
	dedup_link(d, &r);
	dedup_free(d);
	io_close(&io);
	ck_assert_uint_eq(r.ngroups, 2);
	ck_assert_uint_eq(r.files_linked, 2);
	ck_assert_uint_eq(r.nerrors, 0);
	ck_assert(same_inode("a", "c"));
	ck_assert(same_inode("b", "d"));
	dedup_result_release(&r);
}
END_TEST

/* A long file whose head changed after the probe, mtime and all kept, is
 * caught when the rest is hashed (three files: a pair is compared instead). */
START_TEST(probe_of_changed_head_is_caught)
{
	static const char *const names[] = { "a", "b", "c" };
	struct dedup_opts rep = { .mode = DEDUP_REPORT, .jobs = 1 };
	struct dedup_result r = DEDUP_RESULT_INIT;
	struct dedup_probe *pr[3];
	size_t i;

	for (i = 0; i < 3; i++)
		write_pattern(names[i], 9000, 3);
	list_tree();
	for (i = 0; i < 3; i++)
		pr[i] = probe_of(names[i]);
	ck_assert(XXH128_isEqual(pr[0]->head, pr[1]->head));
	ck_assert_int_eq(tu_sh("cd '%s' && touch -r b ref && printf X | dd of=b bs=1 seek=10 "
			       "conv=notrunc 2>/dev/null && touch -r ref b && rm ref", t.dir), 0);
	for (i = 0; i < 3; i++)
		set_probe(names[i], pr[i]);
	ck_assert_int_eq(dedup_tree(&rep, &r), 0);
	ck_assert_uint_eq(r.ngroups, 1); /* a and c */
	ck_assert_uint_eq(r.groups[0].ncopies, 1);
	ck_assert_str_eq(t.items[r.groups[0].copies[0]].path, "c");
	ck_assert_uint_eq(r.nerrors, 1);
	ck_assert_str_eq(t.items[r.errors[0].item].path, "b");
	ck_assert_ptr_nonnull(strstr(r.errors[0].err.msg, "changed"));
	dedup_result_release(&r);
	for (i = 0; i < 3; i++)
		free(pr[i]);
}
END_TEST

/* ---- a pair is compared, not hashed ----------------------------------------- */

static int (*real_open)(struct source *s, size_t i, struct source_file *f, struct err *e);
static size_t nopens;

static int counting_open(struct source *s, size_t i, struct source_file *f, struct err *e)
{
	nopens++;
	return real_open(s, i, f, e);
}

/* Run o over the tree as listed, counting the files dedup opens. */
static size_t opens_of_run_listed(const struct dedup_opts *o, struct dedup_result *r)
{
	static struct source_ops counting;
	struct io io;

	io_open(&io, o);
	counting = *io.src->ops;
	real_open = counting.open;
	counting.open = counting_open;
	io.src->ops = &counting;
	nopens = 0;
	ck_assert_int_eq(dedup_run(io.src, t.items, t.n, &io.o, r), 0);
	io_close(&io);
	return nopens;
}

/* Run o over the tree, counting the files dedup opens. */
static size_t opens_of_run(const struct dedup_opts *o, struct dedup_result *r)
{
	list_tree();
	return opens_of_run_listed(o, r);
}

/* Two long files alone with their head: each is opened to hash its head
 * and once more to be compared, not a third time to hash the rest; three
 * are hashed whole before they are compared. */
START_TEST(pair_is_compared_not_hashed)
{
	struct dedup_opts o = { .mode = DEDUP_LINK, .jobs = 1 };
	struct dedup_result r = DEDUP_RESULT_INIT;

	write_pattern("a", 3 * DEDUP_BLOCK + 5, 7);
	write_pattern("b", 3 * DEDUP_BLOCK + 5, 7);
	ck_assert_uint_eq(opens_of_run(&o, &r), 4);
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_uint_eq(r.files_linked, 1);
	ck_assert_uint_eq(r.nerrors, 0);
	ck_assert(same_inode("a", "b"));
	dedup_result_release(&r);
	ck_assert_int_eq(tu_sh("cd '%s' && rm b && cp a b && cp a c", t.dir), 0);
	ck_assert_uint_eq(opens_of_run(&o, &r), 9);
	ck_assert_uint_eq(r.files_linked, 2);
	ck_assert(same_inode("a", "b") && same_inode("a", "c"));
	dedup_result_release(&r);
}
END_TEST

/* A pair that shares its head but not its tail is no group and no error,
 * in a report, a dry run and a real one alike; the files stay apart. */
START_TEST(pair_differing_in_tail_is_left)
{
	static const enum dedup_mode modes[] = { DEDUP_REPORT, DEDUP_LINK, DEDUP_LINK };
	unsigned char *p = pattern(2 * DEDUP_BLOCK + 100, 9);
	struct dedup_result r = DEDUP_RESULT_INIT;
	size_t m;

	tu_write(t.dir, "a", p, 2 * DEDUP_BLOCK + 100);
	p[2 * DEDUP_BLOCK + 50] ^= 1;
	tu_write(t.dir, "b", p, 2 * DEDUP_BLOCK + 100);
	free(p);
	for (m = 0; m < 3; m++) {
		struct dedup_opts o = { .mode = modes[m], .dry_run = m == 1, .jobs = 1 };

		ck_assert_uint_eq(opens_of_run(&o, &r), 4);
		ck_assert_uint_eq(r.ngroups, 0);
		ck_assert_uint_eq(r.nerrors, 0);
		ck_assert(!same_inode("a", "b"));
		dedup_result_release(&r);
	}
}
END_TEST


/* ---- xattr classes: adversarial cases (a review) ---------------------------- */

/* class of file i (0: no xattrs); files rv00.. rv11, one content */
static const int xc_cls[12] = { 1, 2, 3, 2, 4, 3, 0, 2, 0, 5, 3, 6 };

static void xc_plant(size_t size, unsigned seed)
{
	size_t i;

	for (i = 0; i < 12; i++) {
		char name[16];

		snprintf(name, sizeof(name), "rv%02zu", i);
		write_pattern(name, size, seed);
		if (xc_cls[i])
			ck_assert_int_eq(tu_sh("cd '%s' && setfattr -n user.c -v %d %s%s", t.dir, xc_cls[i],
					       name, xc_cls[i] == 4 ? " && setfattr -n user.z -v q rv04" : ""), 0);
	}
}

static void xc_probe_all(void)
{
	size_t i;

	for (i = 0; i < 12; i++) {
		char name[16];
		struct dedup_probe *pr;

		snprintf(name, sizeof(name), "rv%02zu", i);
		pr = probe_of(name);
		set_probe(name, pr);
		free(pr);
	}
}

static void xc_run(enum dedup_mode m, bool dry, int jobs, bool probed, struct dedup_result *r)
{
	struct dedup_opts o = { .mode = m, .dry_run = dry, .jobs = jobs };

	list_tree();
	if (probed)
		xc_probe_all();
	ck_assert_int_eq(dedup_tree(&o, r), 0);
}

static void xc_many(size_t size, bool probed)
{
	struct dedup_result d1, d4, rep, real;
	size_t i, j;

	xc_plant(size, 31);
	xc_run(DEDUP_LINK, true, 1, probed, &d1);
	xc_run(DEDUP_LINK, true, 4, probed, &d4);
	xc_run(DEDUP_REPORT, false, 3, probed, &rep);
	xc_run(DEDUP_LINK, false, 4, probed, &real);
	assert_same_result(&d1, &d4);
	assert_same_result(&d1, &rep);
	assert_same_result(&d1, &real);
	ck_assert_uint_eq(real.nerrors, 0);
	/* classes with >= 2 members: 2 (1,3,7), 3 (2,5,10), 0 (6,8) */
	ck_assert_uint_eq(real.ngroups, 3);
	ck_assert_uint_eq(real.files_linked, 5);
	ck_assert_uint_eq(real.bytes_saved, 5 * size);
	ck_assert_str_eq(item_path(&real.groups[0], 0), "rv01");
	ck_assert_str_eq(item_path(&real.groups[1], 0), "rv02");
	ck_assert_str_eq(item_path(&real.groups[2], 0), "rv06");
	for (i = 0; i < 3; i++)
		ck_assert_uint_eq(real.groups[i].nfiles, real.groups[i].nitems);
	for (i = 0; i < 12; i++)
		for (j = i + 1; j < 12; j++) {
			char a[16], b[16];

			snprintf(a, sizeof(a), "rv%02zu", i);
			snprintf(b, sizeof(b), "rv%02zu", j);
			ck_assert_msg(same_inode(a, b) == (xc_cls[i] == xc_cls[j]), "%s %s", a, b);
		}
	dedup_result_release(&d1);
	dedup_result_release(&d4);
	dedup_result_release(&rep);
	dedup_result_release(&real);
}

START_TEST(xc_many_classes_small)
{
	TU_NEED("setfattr");
	xc_many(3000, false);
}
END_TEST

START_TEST(xc_many_classes_small_probed)
{
	TU_NEED("setfattr");
	xc_many(3000, true);
}
END_TEST

START_TEST(xc_many_classes_large)
{
	TU_NEED("setfattr");
	xc_many(DEDUP_CHUNK + 5000, false);
}
END_TEST

START_TEST(xc_many_classes_large_probed)
{
	TU_NEED("setfattr");
	xc_many(9000, true);
}
END_TEST

/* A later class whose first member has a name outside the items. */
START_TEST(xc_class_first_linked_outside)
{
	struct dedup_result dry, r;
	char *out = tu_tmpdir();
	const char *n[] = { "a", "b", "c", "d", "e" };
	size_t i;

	TU_NEED("setfattr");
	for (i = 0; i < 5; i++)
		write_pattern(n[i], 2500, 40);
	ck_assert_int_eq(tu_sh("cd '%s' && setfattr -n user.x -v 1 a && setfattr -n user.x -v 1 e && "
			       "setfattr -n user.x -v 2 b && setfattr -n user.x -v 2 c && "
			       "setfattr -n user.x -v 2 d && ln b '%s/b2'", t.dir, out), 0);
	run(DEDUP_LINK, true, 1, &dry);
	run(DEDUP_LINK, false, 4, &r);
	assert_same_result(&dry, &r);
	ck_assert_uint_eq(r.nerrors, 0);
	ck_assert_uint_eq(r.ngroups, 2);
	ck_assert_uint_eq(r.files_linked, 2);
	ck_assert_str_eq(item_path(&r.groups[0], 0), "a");
	ck_assert_str_eq(item_path(&r.groups[0], 1), "e");
	ck_assert_str_eq(item_path(&r.groups[1], 0), "c");
	ck_assert_str_eq(item_path(&r.groups[1], 1), "d");
	ck_assert(same_inode("a", "e") && same_inode("c", "d") && !same_inode("b", "c"));
	ck_assert_uint_eq(lst("b").st_nlink, 2);
	dedup_result_release(&dry);
	dedup_result_release(&r);
	tu_rmrf(out);
	free(out);
}
END_TEST

/* The whole first class is unusable (every member linked outside): the
 * later classes still form groups. */
START_TEST(xc_first_class_all_outside)
{
	struct dedup_result dry, r;
	char *out = tu_tmpdir();
	const char *n[] = { "a", "b", "c", "d" };
	size_t i;

	TU_NEED("setfattr");
	for (i = 0; i < 4; i++)
		write_pattern(n[i], 100, 41);
	ck_assert_int_eq(tu_sh("cd '%s' && setfattr -n user.x -v 1 a && setfattr -n user.x -v 1 c && "
			       "ln a '%s/a2' && ln c '%s/c2'", t.dir, out, out), 0);
	run(DEDUP_LINK, true, 1, &dry);
	run(DEDUP_LINK, false, 4, &r);
	assert_same_result(&dry, &r);
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_str_eq(item_path(&r.groups[0], 0), "b");
	ck_assert_str_eq(item_path(&r.groups[0], 1), "d");
	ck_assert(same_inode("b", "d") && !same_inode("a", "c"));
	dedup_result_release(&dry);
	dedup_result_release(&r);
	tu_rmrf(out);
	free(out);
}
END_TEST

/* EMLINK: link fns that stand in for a kept copy (xc_full) full of links
 * and pass every other link on to the sink's. */
static dedup_link_fn xc_real_link;
static void *xc_real_ctx;
static int xc_refusals;
static const char *xc_full;

static int xc_link(void *ctx, const struct dedup_item *kept, const struct dedup_item *names, size_t n,
		   const struct stat *st, size_t *failed, struct err *e)
{
	(void)ctx;
	if (strcmp(kept->path, xc_full) == 0) {
		xc_refusals++;
		*failed = 0;
		err_errno(e, EMLINK, "full");
		return -1;
	}
	return xc_real_link(xc_real_ctx, kept, names, n, st, failed, e);
}

/* Files a..e of one content (size bytes), then the shell command setx in
 * the tree (setfattr ...; NULL: none). */
static void xc_five(size_t size, unsigned seed, const char *setx)
{
	const char *n[] = { "a", "b", "c", "d", "e" };
	size_t i;

	for (i = 0; i < 5; i++)
		write_pattern(n[i], size, seed);
	if (setx)
		ck_assert_int_eq(tu_sh("cd '%s' && %s", t.dir, setx), 0);
}

/* Dedup the tree on one thread, linking through fn (which calls the
 * sink's link, xc_real_link, when it lets a link through). */
static void xc_run_through(dedup_link_fn fn, struct dedup_result *r)
{
	struct dedup_opts o = { .mode = DEDUP_LINK, .jobs = 1 };
	struct io io;

	xc_refusals = 0;
	list_tree();
	io_open(&io, &o);
	xc_real_link = io.o.link;
	xc_real_ctx = io.o.link_ctx;
	io.o.link = fn;
	ck_assert_int_eq(dedup_run(io.src, t.items, t.n, &io.o, r), 0);
	io_close(&io);
}

static void xc_emlink(bool classes, struct dedup_result *r)
{
	xc_five(2500, 42, classes ? "setfattr -n user.x -v 1 a && setfattr -n user.x -v 2 b && "
				    "setfattr -n user.x -v 2 c && setfattr -n user.x -v 2 d && "
				    "setfattr -n user.x -v 2 e" : NULL);
	xc_full = classes ? "b" : "a";
	xc_run_through(xc_link, r);
	ck_assert_int_ge(xc_refusals, 1);
}

START_TEST(xc_emlink_in_later_class)
{
	struct dedup_result r;

	TU_NEED("setfattr");
	xc_emlink(true, &r);
	ck_assert_uint_eq(r.nerrors, 0);
	ck_assert(same_inode("c", "d") && same_inode("d", "e") && !same_inode("b", "c"));
	ck_assert(!same_inode("a", "b"));
	/* b (full) and c (took over) are both kept: four files, two linked */
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_uint_eq(r.groups[0].nitems, 4);
	ck_assert_str_eq(item_path(&r.groups[0], 0), "b");
	ck_assert_uint_eq(r.groups[0].nfiles, 4);
	ck_assert_uint_eq(r.groups[0].ncopies, 2);
	ck_assert_uint_eq(r.files_linked, 2);
	ck_assert_uint_eq(r.bytes_saved, 2 * 2500);
	dedup_result_release(&r);
}
END_TEST

START_TEST(xc_emlink_no_class)
{
	struct dedup_result r;

	xc_emlink(false, &r);
	ck_assert_uint_eq(r.nerrors, 0);
	ck_assert(same_inode("b", "c") && same_inode("b", "d") && same_inode("b", "e"));
	ck_assert(!same_inode("a", "b"));
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_uint_eq(r.groups[0].nitems, 5);
	ck_assert_str_eq(item_path(&r.groups[0], 0), "a");
	ck_assert_uint_eq(r.groups[0].nfiles, 5);
	ck_assert_uint_eq(r.groups[0].ncopies, 3);
	ck_assert_uint_eq(r.files_linked, 3);
	dedup_result_release(&r);
}
END_TEST

/* EMLINK, and the file to take over vanishes before it is reopened: the
 * files of other classes after it must still be verified. */
static int xc_link_vanish(void *ctx, const struct dedup_item *kept, const struct dedup_item *names,
			  size_t n, const struct stat *st, size_t *failed, struct err *e)
{
	(void)ctx;
	if (strcmp(kept->path, xc_full) == 0) {
		/* the first copy refused vanishes; a stays full */
		if (!xc_refusals++)
			ck_assert_int_eq(unlinkat(t.fd, names[0].path, 0), 0);
		*failed = 0;
		err_errno(e, EMLINK, "full");
		return -1;
	}
	return xc_real_link(xc_real_ctx, kept, names, n, st, failed, e);
}

START_TEST(xc_emlink_vanish_later_classes)
{
	struct dedup_result r;

	TU_NEED("setfattr");
	xc_five(2500, 44, "setfattr -n user.x -v 2 c && setfattr -n user.x -v 2 e");
	xc_full = "a";
	xc_run_through(xc_link_vanish, &r);
	/* c and e (user.x=2) are a class of their own, unaffected by b; d
	 * takes over from a (full) and has nothing left to link */
	ck_assert_msg(same_inode("c", "e"), "class after the takeover's failed reopen was never verified");
	ck_assert_uint_eq(r.nerrors, 1); /* b: gone */
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_str_eq(item_path(&r.groups[0], 0), "c");
	dedup_result_release(&r);
}
END_TEST

/* A later class whose copy has two names in the items; the kept copy of
 * the first class too. */
START_TEST(xc_class_with_hard_links)
{
	struct dedup_result dry, r;

	TU_NEED("setfattr");
	write_pattern("a", 5000, 45);
	write_pattern("b", 5000, 45);
	write_pattern("c", 5000, 45);
	write_pattern("e", 5000, 45);
	ck_assert_int_eq(tu_sh("cd '%s' && setfattr -n user.x -v 1 b && setfattr -n user.x -v 1 c && "
			       "ln c d && ln a a2", t.dir), 0);
	run(DEDUP_LINK, true, 4, &dry);
	run(DEDUP_LINK, false, 1, &r);
	assert_same_result(&dry, &r);
	ck_assert_uint_eq(r.nerrors, 0);
	ck_assert_uint_eq(r.ngroups, 2);
	ck_assert_uint_eq(r.files_linked, 2);
	ck_assert_str_eq(item_path(&r.groups[0], 0), "a");
	ck_assert_uint_eq(r.groups[0].nitems, 3);
	ck_assert_str_eq(item_path(&r.groups[1], 0), "b");
	ck_assert_uint_eq(r.groups[1].nitems, 3);
	ck_assert(same_inode("b", "c") && same_inode("b", "d") && same_inode("a", "e"));
	ck_assert(!same_inode("a", "b"));
	dedup_result_release(&dry);
	dedup_result_release(&r);
}
END_TEST

/* xattrs of a later-class file change while the first class is linked. */
static int xc_link_touch(void *ctx, const struct dedup_item *kept, const struct dedup_item *names,
			 size_t n, const struct stat *st, size_t *failed, struct err *e)
{
	(void)ctx;
	if (!xc_refusals++)
		ck_assert_int_eq(tu_sh("cd '%s' && setfattr -n user.x -v 9 d", t.dir), 0);
	return xc_real_link(xc_real_ctx, kept, names, n, st, failed, e);
}

START_TEST(xc_xattrs_change_before_class)
{
	struct dedup_result r;

	TU_NEED("setfattr");
	xc_five(900, 46, "setfattr -n user.x -v 2 b && setfattr -n user.x -v 2 d && "
			 "setfattr -n user.x -v 2 e");
	xc_run_through(xc_link_touch, &r);
	ck_assert(same_inode("a", "c") && same_inode("b", "e"));
	ck_assert(!same_inode("d", "e"));
	ck_assert_uint_eq(r.nerrors, 1);
	ck_assert_str_eq(t.items[r.errors[0].item].path, "d");
	ck_assert_uint_eq(r.ngroups, 2);
	dedup_result_release(&r);
}
END_TEST

/* Earlier-pass digests with classes, report mode. */
START_TEST(xc_pre_classes_report)
{
	struct dedup_opts rep = { .mode = DEDUP_REPORT, .jobs = 4 };
	struct dedup_result r = DEDUP_RESULT_INIT;
	unsigned char *future = pattern(10000, 7);
	struct dedup_digest d;
	size_t i;

	TU_NEED("setfattr");
	write_pattern("a", 20000, 1);
	write_pattern("b", 20000, 2);
	write_pattern("c", 20000, 3);
	write_pattern("d", 20000, 4);
	write_pattern("e", 20000, 5);
	ck_assert_int_eq(tu_sh("cd '%s' && setfattr -n user.x -v 1 b && setfattr -n user.x -v 1 d", t.dir), 0);
	dedup_digest_of(future, 10000, &d);
	list_tree();
	for (i = 0; i < t.n; i++)
		t.items[i].pre = &d;
	ck_assert_int_eq(dedup_tree(&rep, &r), 0);
	ck_assert_uint_eq(r.nerrors, 0);
	ck_assert_uint_eq(r.ngroups, 2);
	ck_assert_uint_eq(r.files_linked, 3);
	ck_assert_uint_eq(r.bytes_saved, 30000);
	ck_assert_str_eq(item_path(&r.groups[0], 0), "a");
	ck_assert_uint_eq(r.groups[0].nitems, 3);
	ck_assert_str_eq(item_path(&r.groups[1], 0), "b");
	ck_assert_str_eq(item_path(&r.groups[1], 1), "d");
	dedup_result_release(&r);
	free(future);
}
END_TEST

/* ---- pairs compared, not hashed: adversarial cases (a review) ------------- */

/* Run o over the tree in stages; between stage 2 (heads) and 3 the shell
 * command between runs in the tree. */
static void pair_staged(const struct dedup_opts *o, const char *between, struct dedup_result *r)
{
	struct dedup_items items;
	struct dedup *d;
	struct io io;

	list_tree();
	io_open(&io, o);
	items = dedup_items_array(t.items, t.n);
	d = dedup_new(io.src, &items, &io.o);
	dedup_hash_heads(d);
	if (between)
		ck_assert_int_eq(tu_sh("cd '%s' && %s", t.dir, between), 0);
	dedup_hash_rest(d);
	dedup_link(d, r);
	dedup_free(d);
	io_close(&io);
}

/* A file of a pair that changes after its head is read (its time set elsewhere)
 * is an error and stays apart, kept copy or copy, in every mode; with its
 * time set back it is just no group (as a hashed pair would be). */
START_TEST(pair_changed_between_stages)
{
	static const struct {
		const char *cmd;
		const char *bad; /* the file with the error, or NULL */
	} cases[] = {
		{ "printf X | dd of=b bs=1 seek=9000 conv=notrunc 2>/dev/null && touch -d @1000000000 b",
		  "b" },
		{ "printf X | dd of=a bs=1 seek=9000 conv=notrunc 2>/dev/null && touch -d @1000000000 a",
		  "a" },
		{ "touch -r b ref && printf X | dd of=b bs=1 seek=9000 conv=notrunc 2>/dev/null && "
		  "touch -r ref b && rm ref", NULL },
		{ "touch -r a ref && printf X | dd of=a bs=1 seek=5000 conv=notrunc 2>/dev/null && "
		  "touch -r ref a && rm ref", NULL },
		{ "echo more >> b", "b" },
		{ "truncate -s 5000 a", "a" },
		{ "rm b && cp a b", "b" }, /* same bytes, another inode */
	};
	static const enum dedup_mode modes[] = { DEDUP_REPORT, DEDUP_LINK, DEDUP_LINK };
	size_t i, m;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		for (m = 0; m < 3; m++) {
			struct dedup_opts o = { .mode = modes[m], .dry_run = m == 1, .jobs = 1 };
			struct dedup_result r = DEDUP_RESULT_INIT;

			ck_assert_int_eq(tu_sh("cd '%s' && rm -f a b", t.dir), 0);
			write_pattern("a", 3 * DEDUP_BLOCK + 7, 21);
			write_pattern("b", 3 * DEDUP_BLOCK + 7, 21);
			pair_staged(&o, cases[i].cmd, &r);
			ck_assert_msg(r.ngroups == 0, "case %zu mode %zu: %zu groups", i, m, r.ngroups);
			ck_assert_uint_eq(r.files_linked, 0);
			ck_assert_msg(r.nerrors == (cases[i].bad != NULL), "case %zu mode %zu: %zu errors", i,
				      m, r.nerrors);
			if (cases[i].bad)
				ck_assert_str_eq(t.items[r.errors[0].item].path, cases[i].bad);
			ck_assert(!same_inode("a", "b"));
			dedup_result_release(&r);
		}
}
END_TEST

/* The kept copy of a pair is full of links (EMLINK): the copy takes over,
 * nothing is linked, nothing lost, no error. */
START_TEST(pair_emlink_on_kept)
{
	struct dedup_result r;
	size_t la, lb;
	unsigned char *pa, *pb;

	write_pattern("a", 2 * DEDUP_BLOCK + 1, 23);
	write_pattern("b", 2 * DEDUP_BLOCK + 1, 23);
	xc_full = "a";
	xc_run_through(xc_link, &r);
	ck_assert_int_eq(xc_refusals, 1);
	ck_assert_uint_eq(r.nerrors, 0);
	ck_assert_uint_eq(r.ngroups, 0);
	ck_assert_uint_eq(r.files_linked, 0);
	ck_assert(!same_inode("a", "b"));
	pa = read_file("a", &la);
	pb = read_file("b", &lb);
	ck_assert_uint_eq(la, lb);
	ck_assert(memcmp(pa, pb, la) == 0);
	free(pa);
	free(pb);
	dedup_result_release(&r);
}
END_TEST

/* A pair with a name outside the items (either file), or other xattrs, or
 * one probed and one read: a dry run and a report say what the real run
 * does. */
START_TEST(pair_dry_run_matches_real)
{
	char *out = tu_tmpdir();
	struct dedup_result dry, rep, real;
	struct dedup_probe *pr;
	size_t n = DEDUP_CHUNK + DEDUP_BLOCK + 3;

	write_pattern("p1", n, 1); /* a pair, p1 probed */
	write_pattern("p2", n, 1);
	write_pattern("q1", n, 2); /* q1 named outside */
	write_pattern("q2", n, 2);
	write_pattern("r1", n, 3); /* r2 named outside */
	write_pattern("r2", n, 3);
	write_pattern("s1", n, 4); /* differs at byte DEDUP_BLOCK (the first not in the head) */
	write_pattern("s2", n, 4);
	write_pattern("u1", n, 5); /* differs at the last byte of the first chunk */
	write_pattern("u2", n, 5);
	ck_assert_int_eq(tu_sh("cd '%s' && printf Z | dd of=s2 bs=1 seek=%d conv=notrunc 2>/dev/null"
			       " && printf Z | dd of=u2 bs=1 seek=%d conv=notrunc 2>/dev/null",
			       t.dir, DEDUP_BLOCK, DEDUP_CHUNK - 1), 0);
	ck_assert_int_eq(tu_sh("ln '%s/q1' '%s/q1' && ln '%s/r2' '%s/r2'", t.dir, out, t.dir, out), 0);
	for (int m = 0; m < 3; m++) {
		struct dedup_opts o = { .mode = m == 1 ? DEDUP_REPORT : DEDUP_LINK, .dry_run = m == 0,
					.jobs = 2 };
		list_tree();
		pr = probe_of("p1");
		set_probe("p1", pr);
		free(pr);
		ck_assert_int_eq(dedup_tree(&o, m == 0 ? &dry : m == 1 ? &rep : &real), 0);
	}
	assert_same_result(&dry, &real);
	assert_same_result(&rep, &real);
	ck_assert_uint_eq(real.nerrors, 0);
	ck_assert_uint_eq(real.ngroups, 1);
	ck_assert_str_eq(item_path(&real.groups[0], 0), "p1");
	ck_assert(same_inode("p1", "p2"));
	ck_assert(!same_inode("q1", "q2") && !same_inode("r1", "r2"));
	ck_assert(!same_inode("s1", "s2") && !same_inode("u1", "u2"));
	dedup_result_release(&dry);
	dedup_result_release(&rep);
	dedup_result_release(&real);
	tu_rmrf(out);
	free(out);
}
END_TEST

/* Three with one head, one gone before its head is read: the two left are
 * a pair, compared, linked; the gone one is the only error. */
START_TEST(pair_left_of_three)
{
	struct dedup_opts o = { .mode = DEDUP_LINK, .jobs = 1 };
	struct dedup_result r = DEDUP_RESULT_INIT;

	write_pattern("a", 3 * DEDUP_BLOCK, 8);
	write_pattern("b", 3 * DEDUP_BLOCK, 8);
	write_pattern("c", 3 * DEDUP_BLOCK, 8);
	list_tree();
	ck_assert_int_eq(tu_sh("rm '%s/c'", t.dir), 0);
	ck_assert_uint_eq(opens_of_run_listed(&o, &r), 5); /* c fails; a, b twice each */
	ck_assert_uint_eq(r.nerrors, 1);
	ck_assert_str_eq(t.items[r.errors[0].item].path, "c");
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert_uint_eq(r.files_linked, 1);
	ck_assert(same_inode("a", "b"));
	dedup_result_release(&r);
}
END_TEST

/* A pair of probed files whose probes are stale in the same way (both
 * heads rewritten, times set back): the bytes on disk are compared, equal
 * ones linked, unequal ones left. */
START_TEST(pair_probes_both_stale)
{
	struct dedup_opts o = { .mode = DEDUP_LINK, .jobs = 1 };
	struct dedup_result r = DEDUP_RESULT_INIT;
	struct dedup_probe *pa, *pb;
	size_t la, lb;
	unsigned char *da, *db;

	write_pattern("a", 9000, 3);
	write_pattern("b", 9000, 3);
	list_tree();
	pa = probe_of("a");
	pb = probe_of("b");
	ck_assert_int_eq(tu_sh("cd '%s' && for f in a b; do touch -r $f ref && printf XY | dd of=$f "
			       "bs=1 seek=10 conv=notrunc 2>/dev/null && touch -r ref $f; done && "
			       "printf Q | dd of=b bs=1 seek=20 conv=notrunc 2>/dev/null && touch -r ref b "
			       "&& rm ref", t.dir), 0);
	set_probe("a", pa);
	set_probe("b", pb);
	ck_assert_int_eq(dedup_tree(&o, &r), 0);
	ck_assert_uint_eq(r.ngroups, 0);
	ck_assert(!same_inode("a", "b"));
	dedup_result_release(&r);
	/* b as a is now, its probe as stale as a's */
	ck_assert_int_eq(tu_sh("cd '%s' && cp a b", t.dir), 0);
	list_tree();
	free(pb);
	pb = probe_of("b");
	pb->head = pa->head; /* both stale alike */
	set_probe("a", pa);
	set_probe("b", pb);
	ck_assert_int_eq(dedup_tree(&o, &r), 0);
	da = read_file("a", &la);
	db = read_file("b", &lb);
	ck_assert(la == lb && memcmp(da, db, la) == 0);
	ck_assert_uint_eq(r.ngroups, 1);
	ck_assert(same_inode("a", "b"));
	free(da);
	free(db);
	dedup_result_release(&r);
	free(pa);
	free(pb);
}
END_TEST

Suite *dedup_suite(void)
{
	Suite *s = suite_create("dedup");
	TCase *tc = tcase_create("dedup");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, three_copies_one_group);
	tcase_add_test(tc, xc_pre_classes_report);

	tcase_add_test(tc, xc_emlink_vanish_later_classes);
	tcase_add_test(tc, xc_class_with_hard_links);
	tcase_add_test(tc, xc_xattrs_change_before_class);

	tcase_add_test(tc, xc_many_classes_small);
	tcase_add_test(tc, xc_many_classes_small_probed);
	tcase_add_test(tc, xc_many_classes_large);
	tcase_add_test(tc, xc_many_classes_large_probed);
	tcase_add_test(tc, xc_class_first_linked_outside);
	tcase_add_test(tc, xc_first_class_all_outside);
	tcase_add_test(tc, xc_emlink_in_later_class);
	tcase_add_test(tc, xc_emlink_no_class);

	tcase_add_test(tc, digest_from_earlier_pass);
	tcase_add_test(tc, probe_stands_for_the_head);
	tcase_add_test(tc, probe_of_changed_head_is_caught);
	tcase_add_test(tc, pair_is_compared_not_hashed);
	tcase_add_test(tc, pair_differing_in_tail_is_left);
	tcase_add_test(tc, pair_changed_between_stages);
	tcase_add_test(tc, pair_emlink_on_kept);
	tcase_add_test(tc, pair_dry_run_matches_real);
	tcase_add_test(tc, pair_left_of_three);
	tcase_add_test(tc, pair_probes_both_stale);
	tcase_add_test(tc, probes_free_when_done);
	tcase_add_test(tc, names_sort_in_place);
	tcase_add_test(tc, hard_linked_names_are_one_file);
	tcase_add_test(tc, copy_linked_outside_is_left);
	tcase_add_test(tc, kept_copy_linked_outside_is_left);
	tcase_add_test(tc, dry_run_reports_what_link_does);
	tcase_add_test(tc, off_does_nothing);
	tcase_add_test(tc, differs_in_last_byte);
	tcase_add_test(tc, differs_in_mode);
	tcase_add_test(tc, differs_in_owner);
	tcase_add_test(tc, differs_in_xattrs);
	tcase_add_test(tc, differs_in_xattrs_probed);
	tcase_add_test(tc, xattr_classes_in_one_content);
	tcase_add_test(tc, xattr_classes_in_one_content_probed);
	tcase_add_test(tc, empty_files_are_left);
	tcase_add_test(tc, symlinks_are_left);
	tcase_add_test(tc, symlink_listed_as_file_is_refused);
	tcase_add_test(tc, elf_shared_objects_need_link_elf);
	tcase_add_test(tc, elf_type_in_file_byte_order);
	tcase_add_test(tc, jobs_do_not_change_the_result);
	tcase_add_test(tc, missing_file_is_an_error_rest_goes_on);
	tcase_add_test(tc, file_changed_since_listed_is_left);
	suite_add_tcase(s, tc);
	return s;
}
