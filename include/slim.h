/* slim.h - settings of a run, filled by the command line and passed const. */
#ifndef SLIM_H
#define SLIM_H

#include <stdbool.h>

#include "dedup.h"
#include "rules.h"
#include "fatbin.h"
#include "strip.h"

/* The version slim reports (--version, the report, JSON, HTML): a string
 * src/version.c holds, made at build time by scripts/version (git describe,
 * else the VERSION file). */
extern const char slim_version[];
#define SLIM_VERSION slim_version

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
	/* --exclude: what its globs match (drop rules here, only to match,
	 * with what is below a matched directory) no pass touches; NULL: none.
	 * rules holds the same globs as keep rules. */
	const struct rules *exclude;
	enum dedup_mode dedup;      /* --dedup=link|report|off */
	bool dedup_elf;             /* --dedup-elf */
	/* --dedup-min-size: link only files of at least this many bytes;
	 * unless given (dedup_min_set), 4 KiB for a tree in place, 0 for
	 * layers and images (pass_dedup.c says why) */
	unsigned long long dedup_min;
	bool dedup_min_set;
	/* --dedup-paths all|safe: link files under etc/ and var/ too; unless
	 * given, not in place (safe), yes in layers and images (all) */
	enum { DEDUP_PATHS_DEFAULT, DEDUP_PATHS_SAFE, DEDUP_PATHS_ALL } dedup_paths;
	bool keep_bytecode;         /* --python-bytecode keep */
	/* --root DIR: trees in place are an image's root mounted at DIR (rules
	 * match their paths from DIR, not from /); NULL: from / */
	const char *root;

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

/* The smallest file dedup takes: --dedup-min-size, else 4 KiB for a tree
 * in place, 0 for a layer or image (pass_dedup.c says why). */
static inline uint64_t dedup_min_size(const struct slim_opts *o, bool in_place)
{
	return o->dedup_min_set ? o->dedup_min : in_place ? 4096 : 0;
}

#endif
