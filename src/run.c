/* run.c - directory mode: a tree (or one file) slimmed in place, or only
 * measured (--dry-run), through the one pipeline: the tree as the source
 * (source_dir.h), the tree itself as the sink (sink_dir.h). */
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fsutil.h"
#include "pipeline.h"
#include "sink_dir.h"
#include "source_dir.h"

/* Rewritten files that came from lower image layers only add copies on
 * top (container.h): worth a warning. */
static void warn_lower(const struct sink *sink)
{
	uint64_t files, bytes;
	char b[32];

	sink_dir_lower(sink, &files, &bytes);
	if (!files)
		return;
	fmt_bytes(b, sizeof(b), bytes);
	fprintf(stderr, "slim: warning: %llu %s (%s) came from lower image layers; rewriting "
			"%s adds new copies on top and grows the image if this stage is the "
			"one you ship (see README, 'Use in a Dockerfile')\n",
		(unsigned long long)files, files == 1 ? "file" : "files", b,
		files == 1 ? "it" : "them");
}

/* The tree's place (source.h: prefix): below / or --root. */
static int place(const struct slim_opts *o, const char *root, struct source *src, struct err *e)
{
	char *top = o->root ? realpath(o->root, NULL) : NULL;

	if (o->root && !top) {
		err_errno(e, errno, "cannot resolve --root '%s'", o->root);
		return -1;
	}
	src->prefix = fsu_place(root, top ? top : "/", e);
	src->on_host = !o->root;
	free(top);
	return src->prefix ? 0 : -1;
}

int run_dir(const struct slim_opts *o, const char *root, struct report *rep)
{
	struct err e = ERR_INIT;
	struct sink *sink = NULL;
	struct source *src;
	struct pipeline p;
	int rc = -1;

	report_add_root(rep, root);
	src = source_dir_open(o, rep, root, &e);
	if (!src || place(o, root, src, &e) != 0)
		goto out;
	if (o->rules)
		rules_warn_unreachable(o->rules, src->prefix, root, stderr);
	/* the root is locked before it is walked */
	sink = sink_dir_new(o, src);
	if (source_dir_scan(src, &e) != 0)
		goto out;
	pipeline_run(&p, o, rep, src, sink, false);
	pipeline_release(&p);
	warn_lower(sink);
	rc = 0;
out:
	if (e.msg)
		report_error(rep, root, e.msg);
	err_release(&e);
	sink_free(sink);
	source_free(src);
	return rc;
}
