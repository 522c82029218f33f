/* container.h - is slim running inside a container build, and did a file
 * come from a lower image layer?
 *
 * A RUN step of a Dockerfile sees the files of earlier steps through the
 * storage driver: overlay shows the lower layer's inode as it was (its ctime
 * is when that layer was unpacked or written), vfs copies the lower layers
 * into a fresh directory before the step's first process starts (ctime: the
 * copy).  Any write in this step - a new file, a chmod, a copy-up - sets
 * ctime to a later time.  So a file whose ctime is older than the start of
 * the step's first process came from a lower layer, and rewriting it only
 * adds a new copy on top: the image grows.
 *
 * The step's first process is the oldest ancestor of slim (following PPid)
 * that has the same root directory: PID 1 of the container's PID namespace
 * under runc/crun (Docker, BuildKit, podman), or buildah's chroot helper
 * with --isolation chroot, which has no PID namespace (there /proc/1 is the
 * host's init, whose start says nothing about the build step).
 *
 * Times: start times in /proc/PID/stat are clock ticks since boot; the boot
 * time on the wall clock is CLOCK_REALTIME - CLOCK_BOOTTIME (nanoseconds),
 * or /proc/stat's btime (whole seconds, rounded down: up to 1 s early) when
 * reading from a directory other than /proc.  The check is only a warning:
 * a file written within a clock tick of the step's start may be counted as
 * lower.
 */
#ifndef SLIM_CONTAINER_H
#define SLIM_CONTAINER_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

struct container_info {
	bool in_container;   /* a container marker was found */
	const char *marker;  /* static: "/run/.containerenv", "/.dockerenv",
			      * "$container" or "overlay root"; NULL if none */
	bool have_start;     /* the step's start is known: from_lower can answer */
	pid_t start_pid;     /* the oldest ancestor sharing our root */
	struct timespec start; /* its start time, CLOCK_REALTIME */
};

/* Where to look; NULL fields take the defaults ("/", "/proc",
 * getenv("container")).  For tests. */
struct container_probe {
	const char *root;    /* markers: ROOT/run/.containerenv, ROOT/.dockerenv */
	const char *proc;    /* PROC/self/stat, PROC/PID/stat, PROC/PID/root, PROC/stat */
	const char *env;     /* value of $container; "" means unset */
	bool check_overlay;  /* also count an overlayfs ROOT as a container */
};

/* Fill ci.  Returns true when slim runs in a container and the start of
 * the build step is known (ci->have_start), i.e. when container_from_lower()
 * can say anything.  Never fails loudly: anything unreadable means false. */
bool container_detect(struct container_info *ci);
bool container_detect_with(struct container_info *ci, const struct container_probe *p);

/* Did the file st describes come from a lower layer?  False when
 * ci->have_start is false. */
bool container_from_lower(const struct container_info *ci, const struct stat *st);

/* The pure parts, for tests. */

/* The wall-clock start of a process: boot + ticks / hz. */
struct timespec container_start_time(struct timespec boot, unsigned long long ticks, long hz);
/* Is st's ctime strictly older than boot + start_ticks / hz? */
bool container_ctime_before(struct timespec boot, unsigned long long start_ticks, long hz,
			    const struct stat *st);
/* Parse one /proc/PID/stat line: the comm field may hold spaces and
 * parentheses.  Returns 0 and sets *ppid and *starttime (field 22), or -1. */
int container_parse_pid_stat(const char *text, pid_t *ppid, unsigned long long *starttime);
/* Find "btime N" in /proc/stat text.  Returns 0 and sets *btime, or -1. */
int container_parse_btime(const char *text, long long *btime);

#endif
