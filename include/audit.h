/* audit.h - the report seen as an audit: what slim saves (or would save),
 * grouped by package and by kind.
 *
 * One grouping, struct audit, feeds every output (report_print.h: the
 * table, the JSON, the HTML page); it prints nothing itself.  It reads a finished
 * report (report_finish() called) and borrows its strings: the report must
 * outlive the audit.
 *
 * Packages come from the report's accounting (report.h, pass_account):
 * every package of the input with its files and bytes, changed or not,
 * and each listed path tagged with its package.  A path no accounting
 * tagged (a report built by hand) goes by the report's owners: it belongs
 * to the owner with the longest path equal to it or to one of its leading
 * directories (a match ends at a '/'), else to "(other)".  Only the paths
 * the report lists are itemised: every change, and the skips (files looked
 * at and left alone); the rest is in the packages' totals only.
 */
#ifndef SLIM_AUDIT_H
#define SLIM_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "report.h"

/* What a saving is, worked out from the pass and the rule's name. */
enum audit_kind {
	AUDIT_DEBUG,    /* strip pass: debug info and symbol tables */
	AUDIT_BYTECODE, /* python preset: __pycache__, *.pyc */
	AUDIT_TESTS,    /* preset rules with "test" in the name */
	AUDIT_DUPS,     /* dedup pass */
	AUDIT_FOREIGN,  /* foreign preset */
	AUDIT_DOCS,
	AUDIT_HEADERS,
	AUDIT_STATIC,   /* static-libs preset */
	AUDIT_NODE,     /* node and node-caution presets, tests aside */
	AUDIT_OTHER,    /* --drop and rules-file globs, and anything unknown */
	AUDIT_METADATA, /* a wheel's RECORD, rewritten for what changed */
	AUDIT__COUNT
};

/* What slim does to one listed path (the treemap's colours). */
enum audit_action {
	AUDIT_KEEP,   /* listed (a skip) and left alone */
	AUDIT_STRIP,  /* shrunk by the stripper */
	AUDIT_REMOVE, /* removed by a rule */
	AUDIT_LINK,   /* replaced by a hard link (dedup) */
	AUDIT__ACTIONS
};

/* The kind of one change: pass is "strip", "dedup", "rules" or "record"; rule is the
 * rule's name ("python: __pycache__/", "--drop: *.log"), NULL otherwise.
 * Preset rules are told apart by their origin (the text before ": "); a
 * rule of any other origin is AUDIT_OTHER. */
enum audit_kind audit_kind_of(const char *pass, const char *rule);
/* Stable identifier for JSON ("debug_info", "byte_code", ...). */
const char *audit_kind_id(enum audit_kind k);
/* Label for people ("debug info & symbols", ...). */
const char *audit_kind_label(enum audit_kind k);

/* One listed path, after merging the changes of one path (a file can be
 * stripped and then linked). */
struct audit_item {
	const char *path;        /* borrowed from the report */
	size_t pkg;              /* index into audit.pkgs */
	size_t base;             /* bytes of path before its package-relative part */
	uint64_t size;           /* bytes before */
	uint64_t saved;          /* all passes together */
	enum audit_action act;   /* the pass that saved most, or AUDIT_KEEP */
	enum audit_kind kind;    /* that pass's kind (meaningless for AUDIT_KEEP) */
	const char *rule;        /* AUDIT_REMOVE: the rule (borrowed); else NULL */
	enum skip_reason reason; /* AUDIT_KEEP: why it was left alone */
	uint64_t gpu;            /* bytes of GPU code it holds (report.gpu_files) */
};

struct audit_package {
	const char *name;  /* borrowed; "(other)" for paths no owner covers */
	const char *kind;  /* borrowed: "deb", "apk", "python", "npm", "stdlib", "state";
			    * "other" for "(other)" */
	uint64_t files;    /* regular files of the input it owns (accounted reports) */
	uint64_t bytes;    /* their bytes, changed or not; a report without accounting:
			    * equals listed */
	uint64_t items;    /* listed paths */
	uint64_t changed;  /* listed paths that slim changes */
	uint64_t listed;   /* bytes of the listed paths, before */
	uint64_t saved;
	uint64_t by_kind[AUDIT__COUNT]; /* bytes saved */
	uint64_t gpu;      /* bytes of GPU code in its listed paths */
};

struct audit {
	/* Sorted by bytes saved (largest first), then bytes, then name. */
	struct audit_package *pkgs;
	size_t npkgs;
	/* In path order (the report's). */
	struct audit_item *items;
	size_t nitems;
	uint64_t kind_files[AUDIT__COUNT]; /* changes of each kind */
	uint64_t kind_bytes[AUDIT__COUNT]; /* bytes they save */
	uint64_t saved;    /* equals report_saved() */
	uint64_t unlisted; /* bytes_before less the listed paths (never below 0) */
	bool accounted;    /* the report has the whole input's accounting */
};

/* Group a finished report.  Release with audit_release(). */
void audit_init(struct audit *a, const struct report *r);
void audit_release(struct audit *a);

/* Owner lookup, exposed for tests.  audit_sort_owners() fills idx (room
 * for r->nowners) with the indices of r->owners in path order.
 * audit_owner_of() returns the index into r->owners of the owner of path
 * (display form): the longest owner path equal to path or to a leading
 * part of it that ends before a '/' (ties: the first by name), or -1. */
void audit_sort_owners(const struct report *r, size_t *idx);
long audit_owner_of(const struct report *r, const size_t *idx, const char *path);

#endif
