/* container.c - container build detection and the lower-layer ctime test.
 * See container.h for why a ctime older than the step's start means "from a
 * lower layer". */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/vfs.h>

#include "container.h"

#define OVERLAYFS_MAGIC 0x794c7630L
#define MAX_ANCESTORS 4096

struct timespec container_start_time(struct timespec boot, unsigned long long ticks, long hz)
{
	struct timespec t = boot;

	if (hz <= 0)
		hz = 100;
	t.tv_sec += (time_t)(ticks / (unsigned long long)hz);
	t.tv_nsec += (long)((ticks % (unsigned long long)hz) * 1000000000ULL /
			    (unsigned long long)hz);
	while (t.tv_nsec >= 1000000000L) {
		t.tv_nsec -= 1000000000L;
		t.tv_sec++;
	}
	return t;
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

bool container_ctime_before(struct timespec boot, unsigned long long start_ticks, long hz,
			    const struct stat *st)
{
	struct timespec start = container_start_time(boot, start_ticks, hz);

	return ts_before(&st->st_ctim, &start);
}

bool container_from_lower(const struct container_info *ci, const struct stat *st)
{
	return ci && ci->have_start && ts_before(&st->st_ctim, &ci->start);
}

int container_parse_pid_stat(const char *text, pid_t *ppid, unsigned long long *starttime)
{
	/* "PID (COMM) STATE PPID ..." - COMM is anything up to the last ')'. */
	const char *p = strrchr(text, ')');
	unsigned long long v;
	char *end;
	int field;

	if (!p || p[1] != ' ')
		return -1;
	p += 2;
	/* p is at field 3 (state) */
	for (field = 3; field <= 22; field++) {
		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			return -1;
		if (field == 4 || field == 22) {
			errno = 0;
			v = strtoull(p, &end, 10);
			if (end == p || errno || (*end != ' ' && *end != '\n' && *end))
				return -1;
			if (field == 4) {
				if (v > INT_MAX)
					return -1;
				*ppid = (pid_t)v;
			} else {
				*starttime = v;
			}
			p = end;
		} else {
			while (*p && *p != ' ' && *p != '\n')
				p++;
		}
	}
	return 0;
}

int container_parse_btime(const char *text, long long *btime)
{
	const char *p = text;
	char *end;
	long long v;

	while (p && *p) {
		if (!strncmp(p, "btime ", 6)) {
			errno = 0;
			v = strtoll(p + 6, &end, 10);
			if (end == p + 6 || errno || v < 0 || (*end && *end != '\n'))
				return -1;
			*btime = v;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* Read a small file (a /proc/PID/stat line) into buf; 0 or -1. */
static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return len ? 0 : -1;
}

static int pid_stat(const char *proc, const char *pid, pid_t *self, pid_t *ppid,
		    unsigned long long *start)
{
	char path[PATH_MAX], line[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/stat", proc, pid) >= sizeof(path) ||
	    read_small(path, line, sizeof(line)) != 0)
		return -1;
	*self = (pid_t)atoi(line);
	return container_parse_pid_stat(line, ppid, start);
}

/* stat() of PROC/PID/root/: the process's root directory (the magic link is
 * followed; it fails for processes we may not inspect). */
static int pid_root(const char *proc, const char *pid, struct stat *st)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/root/", proc, pid) >= sizeof(path))
		return -1;
	return stat(path, st);
}

static int boot_from_btime(const char *proc, struct timespec *boot)
{
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	long long bt;
	int rc = -1;
	FILE *f;

	if ((size_t)snprintf(path, sizeof(path), "%s/stat", proc) >= sizeof(path) ||
	    !(f = fopen(path, "re")))
		return -1;
	while (getline(&line, &cap, f) > 0) {
		if (container_parse_btime(line, &bt) == 0) {
			boot->tv_sec = (time_t)bt;
			boot->tv_nsec = 0;
			rc = 0;
			break;
		}
	}
	free(line);
	fclose(f);
	return rc;
}

/* Boot time on the wall clock, to the nanosecond (btime is whole seconds,
 * rounded down, which would make every start up to a second early). */
static int boot_from_clocks(struct timespec *boot)
{
	struct timespec real, up, real2;

	if (clock_gettime(CLOCK_REALTIME, &real) != 0 ||
	    clock_gettime(CLOCK_BOOTTIME, &up) != 0 ||
	    clock_gettime(CLOCK_REALTIME, &real2) != 0)
		return -1;
	/* the midpoint of the two realtime readings, minus the uptime */
	long long r = ((long long)real.tv_sec * 1000000000LL + real.tv_nsec) / 2 +
		      ((long long)real2.tv_sec * 1000000000LL + real2.tv_nsec) / 2;
	long long b = r - ((long long)up.tv_sec * 1000000000LL + up.tv_nsec);
	if (b < 0)
		return -1;
	boot->tv_sec = (time_t)(b / 1000000000LL);
	boot->tv_nsec = (long)(b % 1000000000LL);
	return 0;
}

static bool exists(const char *root, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s%s", root, rel) >= sizeof(path))
		return false;
	return lstat(path, &st) == 0;
}

bool container_detect_with(struct container_info *ci, const struct container_probe *p)
{
	const char *root = p && p->root ? p->root : "";
	const char *proc = p && p->proc ? p->proc : "/proc";
	const char *env = p && p->env ? p->env : getenv("container");
	bool real_proc = !(p && p->proc);
	struct stat self_root, st;
	struct timespec boot;
	unsigned long long start, ticks;
	pid_t ppid, pid, oldest;
	char num[32];
	long hz;
	int n;

	memset(ci, 0, sizeof(*ci));
	if (exists(root, "/run/.containerenv"))
		ci->marker = "/run/.containerenv";
	else if (exists(root, "/.dockerenv"))
		ci->marker = "/.dockerenv";
	else if (env && *env)
		ci->marker = "$container";
	else if (p && p->check_overlay) {
		struct statfs sf;
		if (statfs(*root ? root : "/", &sf) == 0 && (long)sf.f_type == OVERLAYFS_MAGIC)
			ci->marker = "overlay root";
	}
	ci->in_container = ci->marker != NULL;
	if (!ci->in_container)
		return false;

	/* The oldest ancestor with our root directory. */
	if (pid_root(proc, "self", &self_root) != 0 ||
	    pid_stat(proc, "self", &oldest, &ppid, &start) != 0)
		return false;
	for (n = 0; n < MAX_ANCESTORS && ppid > 0; n++) {
		unsigned long long s;
		pid_t pp, me;

		pid = ppid;
		snprintf(num, sizeof(num), "%d", (int)pid);
		if (pid_root(proc, num, &st) != 0 || st.st_dev != self_root.st_dev ||
		    st.st_ino != self_root.st_ino || pid_stat(proc, num, &me, &pp, &s) != 0)
			break;
		start = s;
		oldest = pid;
		ppid = pp;
	}
	ticks = start;

	if (real_proc ? boot_from_clocks(&boot) != 0 && boot_from_btime(proc, &boot) != 0
		      : boot_from_btime(proc, &boot) != 0)
		return false;
	hz = sysconf(_SC_CLK_TCK);
	ci->start_pid = oldest;
	ci->start = container_start_time(boot, ticks, hz);
	ci->have_start = true;
	return true;
}

bool container_detect(struct container_info *ci)
{
	struct container_probe p = { NULL, NULL, NULL, true };

	return container_detect_with(ci, &p);
}
