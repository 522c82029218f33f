/* slim.h - settings of a run, filled by the command line and passed const. */
#ifndef SLIM_H
#define SLIM_H

#include <stdbool.h>

#include "dedup.h"
#include "rules.h"
#include "fatbin.h"
#include "strip.h"

#define SLIM_VERSION "0.1.0"

/* Exit statuses (documented in README.md and slim.1). */
enum {
	EXIT_OK = 0,      /* done; files may have been skipped */
	EXIT_ERRORS = 1,  /* done, but some files or roots failed */
	EXIT_USAGE = 2,   /* bad command line */
	EXIT_FATAL = 3,   /* could not run at all (out of memory, ...) */
	EXIT_OVER = 4,    /* done, but saved more than --fail-if-saving-over allows */
};

struct slim_opts {
	bool dry_run;
	bool json;
	bool quiet;
	int verbose;
	bool xdev;
	bool progress; /* stderr is a terminal and not quiet */
	int jobs;
	bool strip_on;              /* the strip pass (--no-strip turns it off) */
	struct strip_opts strip;
	const struct rules *rules;  /* removal rules; NULL: none */
	enum dedup_mode dedup;      /* --dedup=link|report|off */
	bool dedup_elf;             /* --dedup-elf */

	/* layer output (-o): a tar, compressed or not */
	const char *output;         /* NULL: work in place */
	enum { COMPRESS_AUTO, COMPRESS_NONE, COMPRESS_GZIP, COMPRESS_ZSTD } compress;
	int level;                  /* compression level; 0: the codec's default */
	unsigned long long max_entry; /* layers: largest file stripped in memory */
	unsigned max_ratio;         /* layers: refuse to expand more (0: no limit) */
	const char *html;           /* --html FILE: the audit page */
	bool clamp_mtime;           /* --mtime / SOURCE_DATE_EPOCH given */
	long long mtime;            /* clamp every mtime to at most this */

	/* images (image.c) */
	const char *platform;       /* --platform OS/ARCH[/VARIANT]; NULL: every one */
	const char *tag;            /* --tag NAME[:TAG]: the output image's name; NULL: its own */

	/* GPU code (fatprune.c): --cuda-arch, --cuda-ptx */
	struct cuda_targets cuda;
};

#endif
