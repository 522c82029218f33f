/* check_container.c - container detection and the lower-layer ctime test,
 * with synthetic times and a fake /proc. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "container.h"
#include "testutil.h"

static char *tmp;

static void setup(void)
{
	tmp = tu_tmpdir();
}

static void teardown(void)
{
	tu_rmrf(tmp);
	free(tmp);
	tmp = NULL;
}

static struct timespec ts(time_t s, long ns)
{
	struct timespec t = { s, ns };
	return t;
}

static struct stat stat_at(time_t s, long ns)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_ctim = ts(s, ns);
	return st;
}

START_TEST(start_time_adds_ticks)
{
	struct timespec t = container_start_time(ts(1000, 900000000), 250, 100);

	ck_assert_int_eq(t.tv_sec, 1003);
	ck_assert_int_eq(t.tv_nsec, 400000000);
	t = container_start_time(ts(1000, 0), 1, 1000);
	ck_assert_int_eq(t.tv_sec, 1000);
	ck_assert_int_eq(t.tv_nsec, 1000000);
	t = container_start_time(ts(1000, 999999999), 99, 100); /* carries */
	ck_assert_int_eq(t.tv_sec, 1001);
	ck_assert_int_eq(t.tv_nsec, 989999999);
	/* a large uptime does not overflow */
	t = container_start_time(ts(1700000000, 0), 100ULL * 86400 * 365 * 10, 100);
	ck_assert_int_eq(t.tv_sec, 1700000000 + 86400LL * 365 * 10);
}
END_TEST

START_TEST(ctime_before_start_is_lower)
{
	/* boot at 1000.5, the step started 12.34 s later: 1012.84 */
	struct timespec boot = ts(1000, 500000000);
	struct stat old = stat_at(1012, 839999999);
	struct stat same = stat_at(1012, 840000000);
	struct stat later = stat_at(1012, 840000001);
	struct stat much_older = stat_at(5, 0);
	struct stat next_second = stat_at(1013, 0);

	ck_assert(container_ctime_before(boot, 1234, 100, &old));
	ck_assert(container_ctime_before(boot, 1234, 100, &much_older));
	ck_assert(!container_ctime_before(boot, 1234, 100, &same));
	ck_assert(!container_ctime_before(boot, 1234, 100, &later));
	ck_assert(!container_ctime_before(boot, 1234, 100, &next_second));
}
END_TEST

START_TEST(from_lower_needs_a_start)
{
	struct container_info ci;
	struct stat old = stat_at(1, 0);
	struct stat now = stat_at(2000, 0);

	memset(&ci, 0, sizeof(ci));
	ci.in_container = true;
	ck_assert(!container_from_lower(&ci, &old)); /* start unknown: never */
	ck_assert(!container_from_lower(NULL, &old));
	ci.have_start = true;
	ci.start = ts(1000, 0);
	ck_assert(container_from_lower(&ci, &old));
	ck_assert(!container_from_lower(&ci, &now));
}
END_TEST

START_TEST(parse_pid_stat_fields)
{
	pid_t ppid = -1;
	unsigned long long start = 0;

	ck_assert_int_eq(container_parse_pid_stat(
		"23686 (sh) S 23678 336529 19854 0 -1 4194304 56 0 0 0 0 0 0 0 20 0 1 0 336530 "
		"2387968 332 18446744073709551615\n", &ppid, &start), 0);
	ck_assert_int_eq(ppid, 23678);
	ck_assert_uint_eq(start, 336530);
	/* a comm with spaces and parentheses: the last ')' ends it */
	ck_assert_int_eq(container_parse_pid_stat(
		"7 (a) b (c)) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 99 1 2\n", &ppid, &start), 0);
	ck_assert_int_eq(ppid, 1);
	ck_assert_uint_eq(start, 99);
	/* exactly 22 fields, no newline */
	ck_assert_int_eq(container_parse_pid_stat(
		"1 (init) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 19", &ppid, &start), 0);
	ck_assert_int_eq(ppid, 0);
	ck_assert_uint_eq(start, 19);
	/* truncated, garbled, no comm */
	ck_assert_int_eq(container_parse_pid_stat("1 (init) S 0 1 1 0 -1 0 0 0", &ppid, &start), -1);
	ck_assert_int_eq(container_parse_pid_stat(
		"1 (init) S x 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 19", &ppid, &start), -1);
	ck_assert_int_eq(container_parse_pid_stat(
		"1 (init) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 19x", &ppid, &start), -1);
	ck_assert_int_eq(container_parse_pid_stat("1 init S 0", &ppid, &start), -1);
	ck_assert_int_eq(container_parse_pid_stat("", &ppid, &start), -1);
}
END_TEST

START_TEST(parse_btime_line)
{
	long long bt = 0;

	ck_assert_int_eq(container_parse_btime("cpu  1 2 3\nintr 5 0 0 1\nctxt 9\n"
					       "btime 1795417252\nprocesses 5\n", &bt), 0);
	ck_assert_int_eq(bt, 1795417252LL);
	ck_assert_int_eq(container_parse_btime("btime 7\n", &bt), 0);
	ck_assert_int_eq(bt, 7);
	ck_assert_int_eq(container_parse_btime("cpu 1\nxbtime 5\n", &bt), -1);
	ck_assert_int_eq(container_parse_btime("btime x\n", &bt), -1);
	ck_assert_int_eq(container_parse_btime("", &bt), -1);
}
END_TEST

/* A fake /proc: PID/stat and PID/root (a symlink to a directory). */
static void fake_pid(const char *proc, const char *pid, int ppid, unsigned long long start,
		     const char *root)
{
	char dir[4096], line[512];

	snprintf(dir, sizeof(dir), "%s/%s", proc, pid);
	ck_assert_int_eq(tu_sh("mkdir -p '%s' && ln -sfn '%s' '%s/root'", dir, root, dir), 0);
	snprintf(line, sizeof(line),
		 "%s (x y) S %d 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %llu 100 200\n",
		 strcmp(pid, "self") ? pid : "50", ppid, start);
	tu_write(dir, "stat", line, (size_t)-1);
}

START_TEST(detect_walks_ancestors_with_same_root)
{
	char root[4096], other[4096], proc[4096];
	struct container_probe p = { root, proc, "", false };
	struct container_info ci;
	struct timespec want;
	long hz = sysconf(_SC_CLK_TCK);

	snprintf(root, sizeof(root), "%s/root", tmp);
	snprintf(other, sizeof(other), "%s/host", tmp);
	snprintf(proc, sizeof(proc), "%s/proc", tmp);
	ck_assert_int_eq(tu_sh("mkdir -p '%s/run' '%s' '%s'", root, other, proc), 0);
	tu_write(proc, "stat", "cpu 1 2\nintr 1 2 3\nbtime 1000000\nprocesses 3\n", (size_t)-1);
	/* slim (50) <- sh (40, same root) <- helper (30, same root) <- buildah (20, host) <- 1 */
	fake_pid(proc, "self", 40, 9000, root);
	fake_pid(proc, "40", 30, 8000, root);
	fake_pid(proc, "30", 20, 7000, root);
	fake_pid(proc, "20", 1, 100, other);
	fake_pid(proc, "1", 0, 19, other);

	/* no marker: not a container, nothing else looked at */
	ck_assert(!container_detect_with(&ci, &p));
	ck_assert(!ci.in_container);
	ck_assert(!ci.have_start);

	tu_write(root, "run/.containerenv", "engine=\"buildah\"\n", (size_t)-1);
	ck_assert(container_detect_with(&ci, &p));
	ck_assert(ci.in_container);
	ck_assert_str_eq(ci.marker, "/run/.containerenv");
	ck_assert(ci.have_start);
	ck_assert_int_eq(ci.start_pid, 30);
	want = container_start_time(ts(1000000, 0), 7000, hz);
	ck_assert_int_eq(ci.start.tv_sec, want.tv_sec);
	ck_assert_int_eq(ci.start.tv_nsec, want.tv_nsec);

	/* the same with PID namespaces: the walk ends at PID 1 (ppid 0) */
	fake_pid(proc, "20", 1, 6000, root);
	fake_pid(proc, "1", 0, 5000, root);
	ck_assert(container_detect_with(&ci, &p));
	ck_assert_int_eq(ci.start_pid, 1);
	want = container_start_time(ts(1000000, 0), 5000, hz);
	ck_assert_int_eq(ci.start.tv_sec, want.tv_sec);

	/* an ancestor we cannot read ends the walk */
	ck_assert_int_eq(tu_sh("rm -rf '%s/30'", proc), 0);
	ck_assert(container_detect_with(&ci, &p));
	ck_assert_int_eq(ci.start_pid, 40);

	/* no ancestor shares the root: slim's own start */
	fake_pid(proc, "self", 40, 9000, root);
	fake_pid(proc, "40", 30, 8000, other);
	ck_assert(container_detect_with(&ci, &p));
	ck_assert_int_eq(ci.start_pid, 50);
	want = container_start_time(ts(1000000, 0), 9000, hz);
	ck_assert_int_eq(ci.start.tv_sec, want.tv_sec);
	ck_assert_int_eq(ci.start.tv_nsec, want.tv_nsec);

	/* unreadable boot time: in a container, but no start */
	ck_assert_int_eq(tu_sh("rm -f '%s/stat'", proc), 0);
	ck_assert(!container_detect_with(&ci, &p));
	ck_assert(ci.in_container);
	ck_assert(!ci.have_start);
}
END_TEST

START_TEST(detect_markers)
{
	char root[4096], proc[4096];
	struct container_probe p = { root, proc, "", false };
	struct container_info ci;

	snprintf(root, sizeof(root), "%s/root", tmp);
	snprintf(proc, sizeof(proc), "%s/proc", tmp);
	ck_assert_int_eq(tu_sh("mkdir -p '%s' '%s'", root, proc), 0);
	tu_write(proc, "stat", "btime 5\n", (size_t)-1);
	fake_pid(proc, "self", 0, 300, root);

	ck_assert(!container_detect_with(&ci, &p));
	p.env = "podman";
	ck_assert(container_detect_with(&ci, &p));
	ck_assert_str_eq(ci.marker, "$container");
	ck_assert_int_eq(ci.start.tv_sec, container_start_time(ts(5, 0), 300, sysconf(_SC_CLK_TCK)).tv_sec);
	p.env = "";
	tu_write(root, ".dockerenv", "", 0);
	ck_assert(container_detect_with(&ci, &p));
	ck_assert_str_eq(ci.marker, "/.dockerenv");
}
END_TEST

/* On the machine the tests run on: whatever it is, a file written now is
 * never "from a lower layer". */
START_TEST(detect_here_new_file_is_not_lower)
{
	struct container_info ci;
	struct stat st;
	char path[4096];

	(void)container_detect(&ci);
	tu_write(tmp, "new", "x", 1);
	snprintf(path, sizeof(path), "%s/new", tmp);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(!container_from_lower(&ci, &st));
	if (ci.have_start) {
		struct timespec now;
		ck_assert_int_eq(clock_gettime(CLOCK_REALTIME, &now), 0);
		ck_assert(ci.start.tv_sec <= now.tv_sec);
	}
}
END_TEST

Suite *container_suite(void)
{
	Suite *s = suite_create("container");
	TCase *t = tcase_create("container");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, start_time_adds_ticks);
	tcase_add_test(t, ctime_before_start_is_lower);
	tcase_add_test(t, from_lower_needs_a_start);
	tcase_add_test(t, parse_pid_stat_fields);
	tcase_add_test(t, parse_btime_line);
	tcase_add_test(t, detect_walks_ancestors_with_same_root);
	tcase_add_test(t, detect_markers);
	tcase_add_test(t, detect_here_new_file_is_not_lower);
	suite_add_tcase(s, t);
	return s;
}
