/* imgio.c - images by name, and the standard streams, around one run
 * (imgio.h): a staging directory under $TMPDIR, skopeo in and out, stdin
 * spooled, the result sent to stdout. */
#include "imgio.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "image.h"

extern char **environ;

#define IO_CHUNK (1u << 20)
/* skopeo's messages kept for an error: its last bytes */
#define MSG_MAX 2048

/* skopeo's transports that name an image (skopeo(1), containers-transports(5)). */
static const char *const transports[] = {
	"containers-storage:", "docker-daemon:", "docker://", "oci:", "oci-archive:",
	"docker-archive:",
};

enum imgio_kind imgio_kind_of(const char *s)
{
	struct stat st;
	size_t i;

	if (strcmp(s, "-") == 0)
		return IMGIO_STDIO;
	if (lstat(s, &st) == 0) /* a name on disk wins over a transport */
		return IMGIO_PATH;
	for (i = 0; i < ARRAY_SIZE(transports); i++)
		if (strncmp(s, transports[i], strlen(transports[i])) == 0 &&
		    s[strlen(transports[i])])
			return IMGIO_REF;
	return IMGIO_PATH;
}

bool imgio_needed(const struct slim_opts *o, const char *path)
{
	return imgio_kind_of(path) != IMGIO_PATH ||
	       (o->output && imgio_kind_of(o->output) != IMGIO_PATH);
}

/* ---- skopeo ----------------------------------------------------------------------------- */

/* Read fd to its end, keeping its last MSG_MAX bytes in b. */
static void read_all(int fd, struct buf *b)
{
	char chunk[4096];
	ssize_t k;

	while ((k = read(fd, chunk, sizeof(chunk))) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		buf_add(b, chunk, (size_t)k);
		if (b->len > 2 * MSG_MAX) { /* keep the tail: the fatal line comes last */
			memmove(b->p, b->p + b->len - MSG_MAX, MSG_MAX);
			buf_setlen(b, MSG_MAX);
		}
	}
}

/* skopeo's stderr as one message: its last line, and of a logfmt line
 * (time="..." level=fatal msg="...") the msg, unquoted. */
static void msg_of(const struct buf *raw, struct buf *out)
{
	const char *s = raw->p, *end = raw->p + raw->len, *m;

	while (end > s && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r'))
		end--;
	for (m = end; m > s && m[-1] != '\n'; m--)
		;
	s = m;
	m = strstr(s, " msg=\"");
	if (strncmp(s, "time=", 5) == 0 && m && m < end && end[-1] == '"' && end - 1 > m + 6) {
		for (s = m + 6, end--; s < end; s++) {
			if (*s == '\\' && s + 1 < end)
				s++;
			buf_add(out, s, 1);
		}
		return;
	}
	buf_add(out, s, (size_t)(end - s));
}

/* Errors are reported against the PATH: a read names no more. */
static void no_skopeo(const char *ref, bool reading, struct err *e)
{
	if (reading)
		err_set(e, "reading an image by name needs skopeo (apt-get install skopeo)");
	else
		err_set(e, "writing '%s' needs skopeo (apt-get install skopeo)", ref);
}

/*
 * skopeo copy --quiet src dst, run directly (no shell), with stdin and
 * stdout on /dev/null (its progress must never reach slim's stdout) and
 * stderr kept for the error.  ref: the user's reference, for messages;
 * reading: whether slim reads ref (else writes it).  Returns 0, or -1
 * with e set.
 */
static int skopeo_copy(const char *src, const char *dst, const char *ref, bool reading,
		       struct err *e)
{
	char a0[] = "skopeo", a1[] = "copy", a2[] = "--quiet";
	char *argv[] = { a0, a1, a2, (char *)src, (char *)dst, NULL };
	posix_spawn_file_actions_t fa;
	struct buf raw = BUF_INIT, msg = BUF_INIT;
	int p[2] = { -1, -1 }, rc = -1, status, sp;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0) {
		err_errno(e, errno, "cannot run skopeo");
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	sp = posix_spawnp(&pid, "skopeo", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (sp != 0) {
		if (sp == ENOENT)
			no_skopeo(ref, reading, e);
		else
			err_errno(e, sp, "cannot run skopeo");
		goto out;
	}
	read_all(p[0], &raw);
	msg_of(&raw, &msg);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			err_errno(e, errno, "cannot wait for skopeo");
			goto out;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = 0;
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !msg.len)
		no_skopeo(ref, reading, e);
	else if (reading)
		err_set(e, "skopeo could not read it: %s", msg.len ? msg.p : "no message");
	else
		err_set(e, "skopeo could not write '%s': %s", ref, msg.len ? msg.p : "no message");
out:
	close(p[0]);
	buf_release(&raw);
	buf_release(&msg);
	return rc;
}

/* ---- files in the staging directory ------------------------------------------------------ */

/* Copy fd in (to its end) to fd out. */
static int copy_stream(int in, int out)
{
	char *b = xmalloc(IO_CHUNK);
	ssize_t k;
	int rc = -1;

	while ((k = read(in, b, IO_CHUNK)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 || fsu_write_all(out, b, (size_t)k) != 0)
			goto out;
	}
	rc = 0;
out:
	free(b);
	return rc;
}

/* stdin into the new file path (the image code reads a file, and seeks). */
static int spool_stdin(const char *path, struct err *e)
{
	int fd, rc = 0;

	if (isatty(STDIN_FILENO)) {
		err_set(e, "'-' reads standard input, which is a terminal: pipe a layer or an "
			   "image into it");
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_errno(e, errno, "cannot create '%s'", path);
		return -1;
	}
	if (copy_stream(STDIN_FILENO, fd) != 0) {
		err_errno(e, errno, "cannot read standard input");
		rc = -1;
	}
	if (close(fd) != 0 && !rc) {
		err_errno(e, errno, "cannot write '%s'", path);
		rc = -1;
	}
	return rc;
}

/* Does the tar at path (any compression) hold manifest.json at its top: a
 * docker-archive (else an oci-archive)?  Only slim's own output is asked. */
static bool has_manifest(const char *path)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	bool found = false;

	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 1 << 16) == ARCHIVE_OK) {
		while (!found && archive_read_next_header(a, &ae) == ARCHIVE_OK) {
			const char *n = archive_entry_pathname(ae);
			if (n && strncmp(n, "./", 2) == 0)
				n += 2;
			found = n && strcmp(n, "manifest.json") == 0;
		}
	}
	archive_read_free(a);
	return found;
}

static bool is_zip(const char *path)
{
	unsigned char h[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	bool zip = fd >= 0 && fsu_pread_upto(fd, h, 4) == 4 && memcmp(h, "PK\3\4", 4) == 0;

	if (fd >= 0)
		close(fd);
	return zip;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* tmp/name, owned. */
static char *in_tmp(const struct imgio *io, const char *name)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s/%s", io->tmp, name);
	return buf_detach(&b, NULL);
}

/* The staging directory: mode 0700 under $TMPDIR (/tmp when it is unset,
 * or holds a colon, which would end the path in a transport's name). */
static int make_tmp(struct imgio *io, struct err *e)
{
	const char *d = getenv("TMPDIR");
	struct buf b = BUF_INIT;

	if (!d || !*d || strchr(d, ':'))
		d = "/tmp";
	buf_addf(&b, "%s/slim-io.XXXXXX", d);
	if (!mkdtemp(b.p)) {
		err_errno(e, errno, "cannot create a directory in '%s'", d);
		buf_release(&b);
		return -1;
	}
	io->tmp = buf_detach(&b, NULL);
	return 0;
}

/* Bring the reference ref in as a layout (tmp/in) or a docker-archive
 * (tmp/in.tar). */
static int fetch_ref(struct imgio *io, const char *ref, bool layout, struct err *e)
{
	struct buf dst = BUF_INIT;
	int rc;

	io->input = in_tmp(io, layout ? "in" : "in.tar");
	buf_addf(&dst, "%s:%s", layout ? "oci" : "docker-archive", io->input);
	rc = skopeo_copy(ref, dst.p, ref, true, e);
	buf_release(&dst);
	return rc;
}

/* ---- the interface ------------------------------------------------------------------------- */

int imgio_begin(struct imgio *io, const struct slim_opts *o, const char *path, struct err *e)
{
	enum imgio_kind in = imgio_kind_of(path);
	enum imgio_kind out = o->output ? imgio_kind_of(o->output) : IMGIO_PATH;
	struct buf ref = BUF_INIT;
	int rc = -1;

	memset(io, 0, sizeof(*io));
	io->o = o;
	io->path = path;
	io->output = o->output;
	if (make_tmp(io, e) != 0)
		return -1;
	if (in == IMGIO_STDIO) {
		io->input = in_tmp(io, "stdin");
		if (spool_stdin(io->input, e) != 0)
			goto out;
	} else if (in == IMGIO_REF) {
		/* a layout for skopeo to take back, or for an audit; else the
		 * form `podman load` and `docker load` both read */
		if (fetch_ref(io, path, !o->output || out == IMGIO_REF, e) != 0)
			goto out;
	} else if (out == IMGIO_STDIO && is_dir(path) && image_detect(path)) {
		/* a layout makes a directory, which stdout cannot take: an image tar */
		buf_addf(&ref, "oci:%s", path);
		if (fetch_ref(io, ref.p, false, e) != 0)
			goto out;
	} else {
		io->input = xstrdup(path);
	}
	if (o->output && out != IMGIO_PATH) {
		io->out_tmp = in_tmp(io, out == IMGIO_REF && is_dir(io->input) ? "out"
					 : is_zip(io->input) ? "out.zip" : "out.tar");
		io->output = io->out_tmp;
	}
	rc = 0;
out:
	buf_release(&ref);
	return rc;
}

/* What the run wrote (io->output) to stdout. */
static int to_stdout(struct imgio *io, struct err *e)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int fd = open(io->output, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		err_errno(e, errno, "cannot open '%s'", io->output);
		return -1;
	}
	/* a reader that goes away is an error to report, not a silent death
	 * that would leave the staging directory behind */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	rc = copy_stream(fd, STDOUT_FILENO);
	if (rc)
		err_errno(e, errno, "cannot write to standard output");
	sigaction(SIGPIPE, &old, NULL);
	close(fd);
	return rc;
}

int imgio_deliver(struct imgio *io, bool image, struct err *e)
{
	const char *dst = io->o->output;
	struct buf src = BUF_INIT;
	int rc;

	if (!io->out_tmp)
		return 0;
	if (imgio_kind_of(dst) == IMGIO_STDIO)
		return to_stdout(io, e);
	if (!image) {
		err_set(e, "-o '%s' names an image: the input is a layer, a zip or a directory, "
			   "not an image", dst);
		return -1;
	}
	buf_addf(&src, "%s:%s",
		 is_dir(io->output) ? "oci" : has_manifest(io->output) ? "docker-archive"
								       : "oci-archive",
		 io->output);
	rc = skopeo_copy(src.p, dst, dst, false, e);
	buf_release(&src);
	return rc;
}

void imgio_rename(const struct imgio *io, struct report *rep, size_t root0, size_t err0)
{
	size_t i;

	if (!io->input || strcmp(io->input, io->path) == 0)
		return;
	for (i = root0; i < rep->nroots; i++)
		if (strcmp(rep->roots[i], io->input) == 0) {
			free(rep->roots[i]);
			rep->roots[i] = xstrdup(io->path);
		}
	for (i = err0; i < rep->nerrors; i++)
		if (strcmp(rep->errors[i].path, io->input) == 0) {
			free(rep->errors[i].path);
			rep->errors[i].path = xstrdup(io->path);
		}
}

void imgio_end(struct imgio *io)
{
	struct err e = ERR_INIT;
	const char *base;
	int dfd = io->tmp ? fsu_open_dir_of(io->tmp, &base) : -1;

	if (dfd >= 0) {
		if (fsu_remove_tree(dfd, base, &e) != 0)
			fprintf(stderr, "slim: warning: %s\n", e.msg);
		close(dfd);
	}
	err_release(&e);
	free(io->tmp);
	free(io->input);
	free(io->out_tmp);
	memset(io, 0, sizeof(*io));
}
