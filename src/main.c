/* main.c - slim: parse the command line, slim each PATH, report, return.
 *
 * The only place that prints a command line's errors and picks the exit
 * status (slim.h); cli.c says what the command line asks.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/resource.h>
#include <sys/stat.h>

#include "cli.h"
#include "fsutil.h"
#include "image.h"
#include "imgio.h"
#include "layer.h"
#include "progress.h"
#include "report.h"
#include "report_print.h"
#include "run.h"
#include "slim.h"

/* Write the audit page to path (through fsu_out: nothing is written
 * through a planted file or symlink, nothing is left on failure). */
static int write_html(const char *path, const struct report *rep)
{
	struct fsu_out out;
	struct err e = ERR_INIT;
	FILE *f;
	int fd;

	if (fsu_out_open(&out, path, 0644, &e) != 0)
		goto fail;
	fd = dup(out.fd);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		err_errno(&e, errno, "cannot write '%s'", path);
		if (fd >= 0)
			close(fd);
		fsu_out_abort(&out);
		goto fail;
	}
	report_print_html(rep, f);
	if (ferror(f) | fclose(f)) {
		err_errno(&e, errno ? errno : EIO, "cannot write '%s'", path);
		fsu_out_abort(&out);
		goto fail;
	}
	if (fsu_out_commit(&out, false, &e) != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "slim: %s\n", e.msg);
	err_release(&e);
	return -1;
}

/* Slim one PATH (a file or directory) into the report.  Returns -1 when
 * PATH failed as a whole (missing, not what --input says, refused,
 * unreadable: nothing done, the error is in rep), else 0 (files in it may
 * have failed). */
static int run_path(const struct cli *c, const char *path, struct report *rep)
{
	const struct slim_opts *o = &c->o;
	struct stat st;
	enum cli_input kind;
	const char *why = cli_kind_of(c, path, &kind);

	if (!why && o->tag && kind != CLI_IN_IMAGE)
		why = "--tag names an image, and this is not one";
	if (why)
		report_error(rep, path, why);
	else if (stat(path, &st) != 0 && errno == ENOENT && strchr(path, ':'))
		/* "python:3.12-slim": a name for a registry, not a file */
		report_error(rep, path, "No such file or directory (an image name? slim reads "
					"a saved image: docker save -o img.tar NAME, or skopeo "
					"copy docker://NAME oci:img)");
	else if (kind == CLI_IN_IMAGE && (o->output || o->dry_run))
		return image_run(o, path, rep);
	else if (kind == CLI_IN_IMAGE)
		report_error(rep, path, "an image: give -o OUT for a slimmed copy");
	else if (o->output && kind == CLI_IN_DIR && stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
		report_error(rep, path, "not a directory, a layer, a wheel or an image");
	else if (o->output || (kind != CLI_IN_DIR && o->dry_run)) /* a dry run: an audit */
		return layer_run(o, path, rep);
	else if (kind != CLI_IN_DIR)
		report_error(rep, path, "a layer or archive: give -o OUT for a slimmed copy");
	else
		return run_dir(o, path, rep);
	return -1;
}

/* A PATH or -o that is "-" or an image's name (imgio.h): brought into a
 * staging directory, run there, and the output sent where -o says. */
static int run_staged(const struct cli *c, const char *path, struct report *rep)
{
	struct err e = ERR_INIT;
	struct imgio io;
	struct cli sc = *c;
	size_t root0 = rep->nroots, err0 = rep->nerrors;
	enum cli_input kind = CLI_IN_AUTO;
	bool to_ref = c->o.output && imgio_kind_of(c->o.output) == IMGIO_REF;
	int rc = -1;

	if (imgio_begin(&io, &c->o, path, &e) != 0)
		goto out;
	sc.o.output = io.output;
	sc.first_known = false; /* paths[0] is not what runs */
	if (!cli_kind_of(&sc, io.input, &kind) && to_ref && kind != CLI_IN_IMAGE) {
		err_set(&e, "-o '%s' names an image, and this is a layer, a zip or a directory",
			c->o.output);
		goto out;
	}
	rc = run_path(&sc, io.input, rep);
	imgio_rename(&io, rep, root0, err0);
	if (rc == 0 && !c->o.dry_run)
		imgio_deliver(&io, kind == CLI_IN_IMAGE, &e);
out:
	if (e.msg) {
		report_error(rep, path, e.msg);
		rc = -1;
	}
	err_release(&e);
	imgio_end(&io);
	return rc;
}

/* Slim one PATH into the report: -1 when it failed as a whole. */
static int run_one(const struct cli *c, const char *path, struct report *rep)
{
	if (imgio_needed(&c->o, path))
		return run_staged(c, path, rep);
	return run_path(c, path, rep);
}

/* A command line that asks for no run: what it asks, and the status. */
static int no_run(enum cli_action act, const struct cli *c, const struct err *e)
{
	switch (act) {
	case CLI_HELP:
		cli_print_help(stdout);
		break;
	case CLI_VERSION:
		cli_print_version(stdout);
		break;
	case CLI_COMPLETION:
		cli_print_completion(c->completion, stdout);
		break;
	case CLI_LIST_RULES:
		rules_list(c->rules, stdout);
		break;
	case CLI_USAGE:
		fprintf(stderr, "slim: %s\n", e->msg);
		fprintf(stderr, "Try 'slim --help' for more information.\n");
		return EXIT_USAGE;
	case CLI_BAD_RULES:
		fprintf(stderr, "slim: %s\n", e->msg);
		return EXIT_USAGE;
	case CLI_RUN:
		break;
	}
	return EXIT_OK;
}

/* x (bytes, or percent) in units of f as "12.3" into out: with as many
 * decimals as it takes to show it is more than lim. */
static void in_unit(char *out, size_t n, double x, double f, double lim)
{
	int prec = 1;

	do
		snprintf(out, n, "%.*f", prec, x / f);
	while (strtod(out, NULL) <= lim && ++prec < 7);
}

/* Did the run save more than --fail-if-saving-over allows?  Says so, in
 * the unit the limit was given in. */
static bool over_limit(const struct cli *c, const struct report *rep)
{
	const char *verb = c->o.dry_run ? "would save" : "saved";
	double saved = (double)report_saved(rep);
	double lim = c->fail_pct ? c->fail_limit / 100.0 * (double)rep->bytes_before
				 : c->fail_limit;
	char x[64];

	if (saved <= lim)
		return false;
	if (c->fail_pct) {
		in_unit(x, sizeof(x), 100.0 * saved, (double)rep->bytes_before, c->fail_limit);
		fprintf(stderr, "slim: %s %s%% (%.0f bytes), over the limit of %s "
				"(--fail-if-saving-over)\n", verb, x, saved, c->fail_text);
	} else if (c->fail_factor > 1) {
		in_unit(x, sizeof(x), saved, c->fail_factor, c->fail_limit / c->fail_factor);
		fprintf(stderr, "slim: %s %s%s (%.0f bytes), over the limit of %s "
				"(--fail-if-saving-over)\n", verb, x, c->fail_unit, saved, c->fail_text);
	} else {
		fprintf(stderr, "slim: %s %.0f bytes, over the limit of %.0f bytes "
				"(--fail-if-saving-over)\n", verb, saved, lim);
	}
	return true;
}

int main(int argc, char **argv)
{
	struct err e = ERR_INIT;
	struct report rep;
	struct rusage ru;
	struct cli c;
	enum cli_action act;
	FILE *rf; /* the report's stream */
	int i, status, nfailed = 0;

	/* Buffers of a file's size (up to 32 MiB) come from the heap and go
	 * back to it, kept (up to 64 MiB free at a heap's top) for the next
	 * file: no fresh pages to fault in and zero per file.  The strip pass
	 * takes about 9% less time; the peak grows by the buffers a worker's
	 * heap keeps (none at 1x of the bench corpus, 10-40 MB at 4x). */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	act = cli_parse(argc, argv, &c, &e);
	if (act != CLI_RUN) {
		status = no_run(act, &c, &e);
		err_release(&e);
		cli_release(&c);
		return status;
	}
	progress_enable(c.o.progress);
	strip_init();
	fsu_raise_nofile();
	report_init(&rep, c.o.dry_run);
	report_passes(&rep, c.o.rules != NULL, c.o.dedup != DEDUP_OFF);
	if (c.o.cuda.n)
		report_cuda_targets(&rep, &c.o.cuda);
	for (i = 0; i < c.npaths; i++)
		nfailed += run_one(&c, c.paths[i], &rep) != 0;
	progress_clear();
	report_finish(&rep);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		report_peak_rss(&rep, (uint64_t)ru.ru_maxrss * 1024);
	status = rep.nerrors ? EXIT_ERRORS : EXIT_OK;
	if (c.o.html && write_html(c.o.html, &rep) < 0)
		status = EXIT_FATAL;
	if (c.fail_over && !rep.nerrors && over_limit(&c, &rep))
		status = EXIT_OVER;
	report_print_errors(&rep, stderr);
	/* -o - gave stdout the output: nothing else may go there */
	rf = c.o.output && strcmp(c.o.output, "-") == 0 ? stderr : stdout;
	/* no PATH could be slimmed at all: the errors say it, not a table of
	 * zeros (JSON is still printed: a reader of it expects it) */
	if (c.o.json)
		report_print_json(&rep, rf, status);
	else if (!c.o.quiet && nfailed < c.npaths)
		report_print_table(&rep, rf, c.o.verbose);
	if (fflush(rf) != 0 || ferror(rf)) {
		fprintf(stderr, "slim: cannot write the report: %s\n", strerror(errno));
		status = EXIT_FATAL;
	}
	report_release(&rep);
	cli_release(&c);
	return status;
}
