#include <fcntl.h>
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
};

static enum walk_action visit(void *ctx, const struct walk_entry *e)
{
	struct seen *s = ctx;
	char t = S_ISDIR(e->st->st_mode) ? 'd' : S_ISLNK(e->st->st_mode) ? 'l' : S_ISREG(e->st->st_mode) ? 'f' : 'o';

	buf_addf(&s->list, "%c:%s:%d ", t, e->relpath, e->depth);
	if (s->prune && strcmp(e->relpath, s->prune) == 0)
		return WALK_PRUNE;
	return WALK_CONTINUE;
}

static void error(void *ctx, const char *relpath, const char *what, int errnum)
{
	struct seen *s = ctx;
	(void)relpath;
	(void)what;
	(void)errnum;
	s->errors++;
}

static char *walk(const char *dir, const char *prune, int *errors)
{
	struct seen s = { BUF_INIT, 0, prune };
	struct walk_opts o = { .visit = visit, .error = error, .ctx = &s };
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(walk_tree(fd, &o), 0);
	close(fd);
	*errors = s.errors;
	return buf_detach(&s.list, NULL);
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

Suite *walk_suite(void)
{
	Suite *s = suite_create("walk");
	TCase *t = tcase_create("walk");

	tcase_add_test(t, sorted_never_follows);
	suite_add_tcase(s, t);
	return s;
}
