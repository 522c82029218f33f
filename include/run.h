/* run.h - directory mode: strip a tree in place (or report, --dry-run). */
#ifndef SLIM_RUN_H
#define SLIM_RUN_H

#include "report.h"
#include "slim.h"

/*
 * Process root (a directory, or one regular file) and add what was done to
 * rep.  Problems with single files are recorded in rep and the run goes on;
 * returns -1 only when root itself could not be processed (also recorded).
 */
int run_dir(const struct slim_opts *o, const char *root, struct report *rep);

#endif
