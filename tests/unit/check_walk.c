#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"
#include "walk.h"

struct seen {
	struct buf list;
	int errors;
	const char *prune;
	bool show_head; /* add the peeked bytes ("-" when none) */
	const char *stop; /* the walk ends at this entry */
};

static enum walk_action visit(void *ctx, const struct walk_entry *e)
{
	struct seen *s = ctx;
	char t = S_ISDIR(e->st->st_mode) ? 'd' : S_ISLNK(e->st->st_mode) ? 'l' : S_ISREG(e->st->st_mode) ? 'f' : 'o';

	buf_addf(&s->list, "%c:%s:%d", t, e->relpath, e->depth);
	if (s->show_head) {
		if (e->headlen < 0)
			buf_adds(&s->list, ":-");
		else
			buf_addf(&s->list, ":[%.*s]", e->headlen, (const char *)e->head);
	}
	buf_addch(&s->list, ' ');
	if (s->prune && strcmp(e->relpath, s->prune) == 0)
		return WALK_PRUNE;
	if (s->stop && strcmp(e->relpath, s->stop) == 0)
		return WALK_STOP;
	return WALK_CONTINUE;
}

static void error(void *ctx, const char *relpath, const char *what, int errnum)
{
	struct seen *s = ctx;
	(void)errnum;
	s->errors++;
	buf_addf(&s->list, "E:%s:%s ", relpath, what);
}

static char *walk_stop(const char *dir, const char *prune, const char *stop, int *errors,
		       int jobs, bool peek)
{
	struct seen s = { BUF_INIT, 0, prune, peek, stop };
	struct walk_opts o = { .visit = visit, .error = error, .ctx = &s, .jobs = jobs, .peek = peek };
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(walk_tree(fd, &o), stop ? 1 : 0);
	close(fd);
	*errors = s.errors;
	return buf_detach(&s.list, NULL);
}

static char *walk_with(const char *dir, const char *prune, int *errors, int jobs, bool peek)
{
	return walk_stop(dir, prune, NULL, errors, jobs, peek);
}

static char *walk(const char *dir, const char *prune, int *errors)
{
	return walk_with(dir, prune, errors, 0, false);
}

START_TEST(sorted_never_follows)
{
	char *d = tu_tmpdir(), *got;
	int errors;

	ck_assert_int_eq(tu_sh("cd '%s' && mkdir -p b/c z && touch a b/c/x z/y && ln -s /etc b/etc "
			       "&& ln -s .. b/up && mkfifo f", d), 0);
	got = walk(d, NULL, &errors);
	ck_assert_str_eq(got, "f:a:1 d:b:1 d:b/c:2 f:b/c/x:3 l:b/etc:2 l:b/up:2 o:f:1 d:z:1 f:z/y:2 ");
	ck_assert_int_eq(errors, 0);
	free(got);
	got = walk(d, "b", &errors);
	ck_assert_str_eq(got, "f:a:1 d:b:1 o:f:1 d:z:1 f:z/y:2 ");
	free(got);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* The threaded walk reports what the plain one does, in the same order.
 * e/1/2 holds more directories than the walk keeps open while they wait
 * (WALK_HELD_MAX): the rest are opened by path. */
START_TEST(parallel_same_as_plain)
{
	char *d = tu_tmpdir(), *plain, *got;
	int errors, jobs[] = { 1, 2, 4 };
	size_t i;

	ck_assert_int_eq(tu_sh("cd '%s' && mkdir -p b/c z e/1/2/3 && touch a b/c/x z/y && "
			       "ln -s /etc b/etc && ln -s .. b/up && mkfifo f && "
			       "seq 1 300 | sed 's|^|e/1/n|' | xargs touch && "
			       "seq 1 700 | sed 's|^|e/1/2/d|' | xargs mkdir && "
			       "seq 1 700 | sed 's|^\\(.*\\)$|e/1/2/d\\1/f|' | xargs touch", d), 0);
	plain = walk(d, NULL, &errors);
	ck_assert_int_eq(errors, 0);
	for (i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
		got = walk_with(d, NULL, &errors, jobs[i], false);
		ck_assert_str_eq(got, plain);
		ck_assert_int_eq(errors, 0);
		free(got);
	}
	free(plain);
	/* pruning skips the same subtree */
	plain = walk(d, "e/1", &errors);
	got = walk_with(d, "e/1", &errors, 3, false);
	ck_assert_str_eq(got, plain);
	ck_assert_ptr_null(strstr(got, "e/1/n1"));
	free(got);
	free(plain);
	/* stopping ends both at the same entry (the readers are still busy
	 * below the directories left behind) */
	plain = walk_stop(d, NULL, "e/1/2/d35", &errors, 0, false);
	got = walk_stop(d, NULL, "e/1/2/d35", &errors, 2, false);
	ck_assert_str_eq(got, plain);
	ck_assert_ptr_nonnull(strstr(got, "d:e/1/2/d35:4 "));
	ck_assert_ptr_null(strstr(got, "e/1/2/d35/f"));
	free(got);
	free(plain);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* peek: the first WALK_PEEK bytes of non-empty regular files only */
START_TEST(parallel_peeks_heads)
{
	char *d = tu_tmpdir(), *got;
	int errors;

	ck_assert_int_eq(tu_sh("cd '%s' && mkdir s && printf '0123456789abcdefXYZ' > s/long && "
			       "printf 'ab' > s/short && : > s/empty && ln -s long s/l", d), 0);
	got = walk_with(d, NULL, &errors, 2, true);
	ck_assert_str_eq(got, "d:s:1:- f:s/empty:2:- l:s/l:2:- f:s/long:2:[0123456789abcdef] "
			      "f:s/short:2:[ab] ");
	free(got);
	tu_rmrf(d);
	free(d);
}
END_TEST

struct probes {
	struct buf list;
	int made, freed;
	pthread_mutex_t mu;
};

static void *probe(void *ctx, int fd, const struct stat *st, const unsigned char *head,
		   size_t len)
{
	struct probes *p = ctx;
	struct buf b = BUF_INIT;
	struct stat fst;

	ck_assert_int_eq(fstat(fd, &fst), 0);
	ck_assert(fst.st_ino == st->st_ino && S_ISREG(fst.st_mode));
	buf_addf(&b, "%zu:%.*s", len, (int)(len < 8 ? len : 8), (const char *)head);
	pthread_mutex_lock(&p->mu);
	p->made++;
	pthread_mutex_unlock(&p->mu);
	return buf_detach(&b, NULL);
}

static void probe_free(void *ctx, void *obj)
{
	struct probes *p = ctx;

	p->freed++;
	free(obj);
}

static enum walk_action probe_visit(void *ctx, const struct walk_entry *e)
{
	struct probes *p = ctx;

	buf_addf(&p->list, "%s=%s ", e->relpath, e->probe ? (const char *)e->probe : "-");
	free(e->probe);
	return strcmp(e->relpath, "p") == 0 ? WALK_PRUNE : WALK_CONTINUE;
}

/* The probe sees every non-empty regular file open, with its first
 * probe_len bytes; what no visit got (a pruned directory) is freed. */
START_TEST(parallel_probes_regular_files)
{
	char *d = tu_tmpdir();
	struct probes p = { BUF_INIT, 0, 0, PTHREAD_MUTEX_INITIALIZER };
	struct walk_opts o = { .visit = probe_visit, .error = error, .ctx = &p, .jobs = 2,
			       .probe = probe, .probe_free = probe_free, .probe_len = 5 };
	int fd;

	ck_assert_int_eq(tu_sh("cd '%s' && mkdir p s && printf 'abcdefgh' > s/long && "
			       "printf 'xy' > s/short && : > s/empty && ln -s long s/l && "
			       "mkfifo s/fifo && echo 1 > p/a && echo 2 > p/b", d), 0);
	fd = open(d, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(walk_tree(fd, &o), 0);
	close(fd);
	ck_assert_str_eq(p.list.p, "p=- s=- s/empty=- s/fifo=- s/l=- s/long=5:abcde s/short=2:xy ");
	/* p/a and p/b: never probed if p was still queued when pruned, else
	 * freed */
	ck_assert_int_eq(p.made - p.freed, 2);
	buf_release(&p.list);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* A whole record of a walk: every entry with its type, depth, head and
 * probe; errors too.  A plain walk has neither heads nor probes: its visit
 * reads them itself, through e->dirfd, for the threaded walks to match. */
struct record {
	struct buf list;
	const char *prune, *stop; /* relpaths */
	int made, freed, got;     /* probes */
	pthread_mutex_t mu;
};

static void *rec_probe(void *ctx, int fd, const struct stat *st, const unsigned char *head,
		       size_t len)
{
	struct record *r = ctx;
	struct buf b = BUF_INIT;

	(void)fd;
	buf_addf(&b, "%zu/%lld:%.*s", len, (long long)st->st_size, (int)len, (const char *)head);
	pthread_mutex_lock(&r->mu);
	r->made++;
	pthread_mutex_unlock(&r->mu);
	return buf_detach(&b, NULL);
}

static void rec_probe_free(void *ctx, void *obj)
{
	struct record *r = ctx;

	pthread_mutex_lock(&r->mu);
	r->freed++;
	pthread_mutex_unlock(&r->mu);
	free(obj);
}

#define REC_PROBE_LEN 12

static enum walk_action rec_visit(void *ctx, const struct walk_entry *e)
{
	struct record *r = ctx;
	const struct stat *st = e->st;
	char t = S_ISDIR(st->st_mode) ? 'd' : S_ISLNK(st->st_mode) ? 'l' : S_ISREG(st->st_mode) ? 'f' : 'o';
	unsigned char head[WALK_PEEK]; /* > REC_PROBE_LEN */
	int headlen = e->headlen;
	const unsigned char *h = e->head;
	char *probe = e->probe;

	if (e->dirfd >= 0 && S_ISREG(st->st_mode) && st->st_size > 0) {
		int fd = openat(e->dirfd, e->name, O_RDONLY | O_NOFOLLOW);
		ssize_t got;

		ck_assert_int_ge(fd, 0);
		got = pread(fd, head, sizeof(head), 0);
		ck_assert_int_gt(got, 0);
		headlen = got < WALK_PEEK ? (int)got : WALK_PEEK;
		h = head;
		probe = rec_probe(r, fd, st, head,
				  got < REC_PROBE_LEN ? (size_t)got : REC_PROBE_LEN);
		close(fd);
	}
	buf_addf(&r->list, "%c:%s:%d:%o:%lld:", t, e->relpath, e->depth,
		 (unsigned)(st->st_mode & 07777), (long long)st->st_size);
	if (headlen < 0)
		buf_adds(&r->list, "-");
	else
		buf_addf(&r->list, "[%.*s]", headlen, (const char *)h);
	buf_addf(&r->list, ":%s\n", probe ? probe : "-");
	if (probe) {
		r->got++;
		free(probe);
	}
	if (r->prune && strcmp(e->relpath, r->prune) == 0)
		return WALK_PRUNE;
	if (r->stop && strcmp(e->relpath, r->stop) == 0)
		return WALK_STOP;
	return WALK_CONTINUE;
}

static void rec_error(void *ctx, const char *relpath, const char *what, int errnum)
{
	struct record *r = ctx;

	buf_addf(&r->list, "E:%s:%s:%d\n", relpath, what, errnum);
}

static void rec_leave(void *ctx, const struct walk_entry *e)
{
	struct record *r = ctx;

	buf_addf(&r->list, "L:%s\n", e->relpath);
}

/* Walk dir with jobs threads and read-ahead ahead; the record, and every
 * probe made is either visited or freed. */
static char *record(const char *dir, int jobs, size_t ahead, const char *prune, const char *stop)
{
	struct record r = { .list = BUF_INIT, .prune = prune, .stop = stop,
			    .mu = PTHREAD_MUTEX_INITIALIZER };
	struct walk_opts o = { .jobs = jobs, .ahead = ahead, .peek = true, .visit = rec_visit,
			       .error = rec_error, .leave = rec_leave, .ctx = &r };
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	if (jobs) {
		o.probe = rec_probe;
		o.probe_free = rec_probe_free;
		o.probe_len = REC_PROBE_LEN;
	}
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(walk_tree(fd, &o), stop ? 1 : 0);
	close(fd);
	if (jobs)
		ck_assert_int_eq(r.made, r.got + r.freed);
	else
		ck_assert_int_eq(r.made, r.got);
	return buf_detach(&r.list, NULL);
}

/* A streaming walk: with read-ahead budgets from one entry up, readers
 * that stop for the budget, a reporter that reads what no reader took or
 * waits for the reader that did, the record is the plain walk's: names,
 * types, heads and probes, in the same order; pruned and stopped walks
 * free every probe no visit got. */
START_TEST(parallel_streams_same_as_plain)
{
	char *d = tu_tmpdir(), *plain, *got;
	static const int jobs[] = { 1, 2, 4 };
	static const size_t ahead[] = { 1, 3, 40, 0 };
	static const char *const cut[] = { "d3", "d5/s2", "d0/s0/f1" };
	size_t i, j;

	/* 9 directories of 6 subdirectories of 8 files (one empty, one
	 * short, the others longer than the probe), a symlink and a fifo */
	ck_assert_int_eq(tu_sh("cd '%s' && for a in 0 1 2 3 4 5 6 7 8; do mkdir d$a; "
			       "for b in 0 1 2 3 4 5; do mkdir d$a/s$b; : > d$a/s$b/empty; "
			       "printf x$a > d$a/s$b/short; for c in 1 2 3 4 5 6; do "
			       "printf 'file %%s/%%s/%%s and more' $a $b $c > d$a/s$b/f$c; done; done; "
			       "ln -s s0 d$a/link; printf top$a > d$a/top; done; mkfifo d4/fifo && "
			       "mkdir -p deep/a/b/c/d/e && echo deep > deep/a/b/c/d/e/x", d), 0);
	plain = record(d, 0, 0, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(plain, ":19:[file 8/5/6 and m]:12/19:file 8/5/6 a\nf:d8/s5/short:3:"));
	ck_assert_ptr_nonnull(strstr(plain, "f:d8/s5/empty:3:"));
	ck_assert_ptr_nonnull(strstr(plain, ":0:-:-\nf:d8/s5/f1:3:"));
	for (i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++)
		for (j = 0; j < sizeof(ahead) / sizeof(ahead[0]); j++) {
			got = record(d, jobs[i], ahead[j], NULL, NULL);
			ck_assert_msg(strcmp(got, plain) == 0, "jobs %d ahead %zu", jobs[i], ahead[j]);
			free(got);
		}
	free(plain);
	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		plain = record(d, 0, 0, cut[i], NULL);
		for (j = 0; j < sizeof(ahead) / sizeof(ahead[0]); j++) {
			got = record(d, 2, ahead[j], cut[i], NULL);
			ck_assert_str_eq(got, plain);
			free(got);
		}
		free(plain);
		plain = record(d, 0, 0, NULL, cut[i]);
		for (j = 0; j < sizeof(ahead) / sizeof(ahead[0]); j++) {
			got = record(d, 3, ahead[j], NULL, cut[i]);
			ck_assert_str_eq(got, plain);
			free(got);
		}
		free(plain);
	}
	tu_rmrf(d);
	free(d);
}
END_TEST

Suite *walk_suite(void)
{
	Suite *s = suite_create("walk");
	TCase *t = tcase_create("walk");

	tcase_add_test(t, sorted_never_follows);
	tcase_add_test(t, parallel_same_as_plain);
	tcase_add_test(t, parallel_peeks_heads);
	tcase_add_test(t, parallel_probes_regular_files);
	tcase_add_test(t, parallel_streams_same_as_plain);
	suite_add_tcase(s, t);
	return s;
}
