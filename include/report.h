/* report.h - what a run did: one structure filled by the passes, and
 * shown at the end by the presenters (report_print.h: a table for people,
 * JSON for machines, an HTML page).
 *
 * This is the data alone.  Passes add to it only through the functions
 * below, in any order; report_finish() sorts the records so that the
 * output is the same whatever the number of worker threads.  Readers (the
 * presenters, audit.h's grouping, a driver that looks at a layer's report)
 * read the fields.  The report owns every string added to it (it copies
 * them).  No function here locks: a report is filled by one thread at a
 * time (each layer of an image fills its own, merged with report_merge).
 */
#ifndef SLIM_REPORT_H
#define SLIM_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* not used here; modules that include only this header rely on it */

#include "fatbin.h"
#include "strip.h"

#define REPORT_SCHEMA_VERSION 1
#define REPORT_TOP 10

/* A report_change's or report_skip's pkg when no accounting tagged it. */
#define REPORT_NO_PKG UINT32_MAX

struct report_change {
	char *path;
	uint32_t pkg;     /* index into report.pkgs (pass_account), or REPORT_NO_PKG */
	const char *pass; /* static string: "strip", "dedup", "rules" or "record" (a
			     wheel's RECORD rewritten; it may grow) */
	uint64_t before, after;
	char *rule;       /* rules: the rule that removed it; else NULL */
};

/* What one removal rule did. */
struct report_rule {
	char *name;
	uint64_t files, bytes;
};

/* An entry a rule would drop but that was kept, and why. */
struct report_kept {
	char *path;
	const char *why; /* static */
};

struct report_skip {
	char *path;
	uint32_t pkg;     /* as report_change.pkg */
	enum skip_reason reason;
	uint64_t bytes;
};

/* Everything at or below path belongs to distribution or package name. */
struct report_owner {
	char *path; /* display form, like the report's paths; no trailing '/' */
	char *name;
	char *kind; /* "python" (a *.dist-info/RECORD) or "npm" (node_modules) */
};

/* One group of identical files (dedup). */
struct report_dup {
	char *kept;        /* path of the copy that stays */
	uint64_t size;     /* bytes of one copy */
	uint64_t files;    /* copies besides the kept one */
	bool linked;       /* linked (or would be, dry run / report) */
	bool elf;          /* ELF shared objects: linked only with --dedup-elf */
};

struct report_error {
	char *path;
	char *msg;
};

/*
 * The accounting of the whole input (pass_account): every regular file,
 * changed or not, belongs to exactly one package (report_pkg), is counted
 * under the directories that hold it (report_dir, down to
 * REPORT_DIR_DEPTH components) and under one file kind, and the largest
 * files are kept by name.  "Bytes" are the apparent size of regular file
 * content (st_size, a tar entry's size), a file with several names
 * counted once, of the input's final state: what totals.bytes_before
 * counts, so the packages' bytes add up to it exactly.
 */
struct report_pkg {
	char *name;       /* "libc6", "numpy", "python3.11 stdlib", "(other)" */
	char *kind;       /* "deb", "apk", "python", "npm", "stdlib", "state", "other" */
	uint64_t files, bytes;
};

#define REPORT_DIR_DEPTH 3
struct report_dir {
	char *path;       /* entry path relative to the input's top ("usr/lib"); "." for
			   * the files at the top itself */
	unsigned depth;   /* its components: 1 to REPORT_DIR_DEPTH; 0 for "." */
	uint64_t files, bytes;
	uint64_t saved;   /* what the changes at or below it save */
};

/* What a file is, for the whole-input accounting (by name and content). */
enum report_fkind {
	FKIND_ELF,        /* ELF images (executables, shared objects, modules) */
	FKIND_STATIC,     /* ar archives: *.a */
	FKIND_PYC,        /* Python byte code */
	FKIND_PY,         /* Python source */
	FKIND_JS,         /* JavaScript, TypeScript and their maps */
	FKIND_HEADERS,    /* C and C++ headers */
	FKIND_DOCS,       /* usr/share/{doc,man,info}, *.md, *.rst, *.txt */
	FKIND_LOCALE,     /* usr/share/locale, *.mo */
	FKIND_OTHER,
	FKIND__COUNT
};
/* Its JSON id ("elf", "static_libs", ...) and its label for people. */
const char *report_fkind_id(enum report_fkind k);
const char *report_fkind_label(enum report_fkind k);

#define REPORT_BIG 20
struct report_bigfile {
	char *path;       /* display form */
	uint64_t bytes;
	uint64_t saved;   /* what its changes save */
	uint32_t pkg;     /* index into report.pkgs */
};

/* Image mode: one row per layer of each image (image.c). */
struct report_image_layer {
	char *image;                        /* "linux/amd64", or a docker-archive tag */
	unsigned index;                     /* position of the layer in that image */
	char *digest_before, *digest_after; /* "sha256:..." of the blobs */
	uint64_t tar_before, tar_after;     /* uncompressed tar streams */
	uint64_t blob_before, blob_after;   /* blobs as stored (compressed) */
	uint64_t waste;   /* bytes of files a later layer deletes or replaces */
	uint64_t strip_saved, rules_saved, dedup_saved;
	bool kept;        /* slim gained nothing: the original blob was kept */
	bool shared;      /* the blob was counted on an earlier row already */
};

/* The GPU code (CUDA fat binaries) of one ELF file in the output. */
struct report_gpu_file {
	char *path;
	uint64_t bytes;           /* of its entries */
	struct fatbin_row *rows;  /* by architecture and kind (fatbin_row_cmp order) */
	size_t nrows;
	uint64_t removed;         /* bytes --cuda-arch removed of them */
	uint64_t *row_removed;    /* the same, row by row (nrows of them) */
};

/* Read it freely; write it only through the functions below. */
struct report {
	bool dry_run;
	char **roots;
	size_t nroots;

	uint64_t seen, regular, dirs, symlinks, other;
	uint64_t elf;              /* ELF files and archives looked at */
	uint64_t bytes_before;     /* regular files, hard links counted once */
	uint64_t tmp_removed;      /* leftovers of a killed run */
	uint64_t peak_rss;         /* bytes, filled just before printing */

	struct {
		uint64_t files, before, after;
	} strip;
	struct skip_count skip[SKIP__COUNT];
	/* static archives looked into, and what happened to their members */
	uint64_t archives, archives_stripped;
	struct strip_members members;

	struct report_change *changes;
	size_t nchanges, capchanges;
	struct report_skip *skips;
	size_t nskips, capskips;
	struct report_error *errors;
	size_t nerrors, caperrors;

	/* who owns what (for grouping an audit by package) */
	struct report_owner *owners;
	size_t nowners, capowners;

	/* rules */
	bool rules_on;
	struct report_rule *rules;
	size_t nrules, caprules;
	struct report_kept *kept;
	size_t nkept, capkept;
	/* Python byte-code files the rules removed (the python preset's
	 * __pycache__/, *.pyc rules): the text report says what that costs */
	uint64_t bytecode_removed;

	/* layer mode: tar stream and file sizes (compressed) in and out */
	bool layer;
	uint64_t tar_before, tar_after, comp_before, comp_after;
	uint64_t superseded; /* entries replaced by a later one of the same path */
	const char *codec_before, *codec_after; /* of those files: "gzip", "zstd", "none",
						 * "zip", "xz", "bzip2", "mixed";
						 * NULL when none was set (static) */

	/* dedup */
	bool dedup_on;
	uint64_t dup_groups, dup_files_linked, dup_bytes_saved;
	uint64_t dup_elf_groups, dup_elf_bytes; /* found, left unlinked */
	struct report_dup *dups;
	size_t ndups, capdups;

	/* GPU code: the totals by architecture and kind, and the files */
	struct fatbin_summary gpu;
	struct report_gpu_file *gpu_files;
	size_t ngpu_files, capgpu_files;
	/* --cuda-arch: the GPUs, and what was removed (rows as in gpu) */
	struct cuda_targets cuda;
	struct fatbin_summary gpu_removed;
	uint64_t gpu_pruned, gpu_whole, gpu_failed; /* containers */

	/* the accounting of the whole input (pass_account) */
	bool accounted;
	/* image mode, a layer's report: the package lists of the image's
	 * earlier layers, which pass_account reads and adds this layer's to
	 * (borrowed; the image owns it; never merged) */
	struct account_lists *inherit;
	struct report_pkg *pkgs;
	size_t npkgs, cappkgs;
	struct report_dir *dirsums;
	size_t ndirsums, capdirsums;
	struct report_bigfile big[REPORT_BIG]; /* largest first */
	size_t nbig;
	struct {
		uint64_t files, bytes;
	} fkind[FKIND__COUNT];

	/* image mode */
	bool image;
	struct report_image_layer *ilayers;
	size_t nilayers, capilayers;
};

void report_init(struct report *r, bool dry_run);
void report_release(struct report *r);

/* ---- counters ------------------------------------------------------------
 * One function for each thing a pass counts; nothing else writes them. */

/* What an entry of the input is (the "files seen" of the outputs). */
enum report_type {
	REPORT_REGULAR, /* a regular file */
	REPORT_DIR,
	REPORT_SYMLINK,
	REPORT_OTHER,   /* device, fifo, socket: left alone */
};
/* One entry seen, of type t. */
void report_seen(struct report *r, enum report_type t);
/* bytes of regular files in the input (a file with many links counted once). */
void report_bytes(struct report *r, uint64_t bytes);
/* Take back bytes counted by report_bytes() that the input does not hold
 * after all (a layer's file that a later entry of its path replaces). */
void report_bytes_unseen(struct report *r, uint64_t bytes);
/* One ELF file or ar archive looked at. */
void report_elf_seen(struct report *r);
/* One temporary file of an interrupted run removed (would be: dry run). */
void report_tmp_removed(struct report *r);

/* What dedup found, added to the totals (report_dup() adds one group's
 * row; this adds the counts, from one run or one group). */
struct report_dedup {
	uint64_t groups;       /* groups of identical files, ELF ones included */
	uint64_t files_linked; /* copies replaced by links (would be: dry run) */
	uint64_t bytes_saved;  /* the bytes those copies held */
	uint64_t elf_groups;   /* ELF shared object groups left unlinked */
	uint64_t elf_bytes;    /* the bytes of their copies */
};
void report_dedup(struct report *r, const struct report_dedup *d);

/* Layer mode: the report is of a layer (the outputs show its sizes). */
void report_set_layer(struct report *r);
/* Layer mode: n entries a later one of the same path replaces. */
void report_superseded(struct report *r, uint64_t n);
/* Layer mode: one layer's uncompressed tar stream and its file as stored
 * (compressed), each before and after.  A layer given as a directory has
 * no file: 0. */
void report_layer_sizes(struct report *r, uint64_t tar_before, uint64_t tar_after,
			uint64_t file_before, uint64_t file_after);
/* Layer mode: the compression of the layer's file before and after (static
 * strings, or NULL: a directory has no file); layers of several compressions
 * together are "mixed". */
void report_layer_codecs(struct report *r, const char *before, const char *after);
/* Image mode: the report is of an image (set by report_image_layer() too). */
void report_set_image(struct report *r);

/* Which passes ran: the outputs give a pass's totals as enabled or not. */
void report_passes(struct report *r, bool rules, bool dedup);
/* The run's peak resident memory in bytes, set just before printing. */
void report_peak_rss(struct report *r, uint64_t bytes);

/* ---- records ------------------------------------------------------------- */

void report_add_root(struct report *r, const char *root);
void report_change(struct report *r, const char *path, const char *pass, uint64_t before,
		   uint64_t after);
void report_skip(struct report *r, const char *path, enum skip_reason why, uint64_t bytes);
void report_error(struct report *r, const char *path, const char *msg);
/* Add the member counts of one archive (stripped or not). */
void report_archive(struct report *r, const struct strip_members *m, bool stripped);

/* A removal: path (a file, or a directory with its subtree) dropped by
 * rule, freeing bytes in files files. */
void report_removed(struct report *r, const char *path, const char *rule, uint64_t files,
		    uint64_t bytes);
/* Record that path (and what is below it) belongs to name.  Repeats are
 * ignored. */
void report_add_owner(struct report *r, const char *path, const char *name, const char *kind);
/* Owners from one RECORD file: record is its display path (".../X.dist-info/RECORD"),
 * data its content. */
void report_owners_from_record(struct report *r, const char *record, const char *data, size_t len);
/* If path (display form) is a node_modules package directory, record it. */
void report_owner_from_path(struct report *r, const char *path);

/* files Python byte-code files removed (with report_removed). */
void report_bytecode(struct report *r, uint64_t files);
/* ---- the whole input's accounting (pass_account) -------------------------- */

/* The dpkg and apk lists an image's layers hand on, one to the next, so
 * that a file a later layer adds belongs to the package an earlier layer's
 * list names (account.c).  account_lists_free accepts NULL. */
struct account_lists *account_lists_new(void);
void account_lists_free(struct account_lists *l);

/* The index of package (name, kind) in r->pkgs, added with no files if new. */
uint32_t report_pkg(struct report *r, const char *name, const char *kind);
/* Add files and bytes to directory path (depth components) and what its
 * changes save; a directory already there is summed into. */
void report_dir_add(struct report *r, const char *path, unsigned depth, uint64_t files,
		    uint64_t bytes, uint64_t saved);
/* Offer one file for the largest REPORT_BIG (the report copies path). */
void report_bigfile(struct report *r, const char *path, uint64_t bytes, uint64_t saved,
		    uint32_t pkg);

/* An entry kept on purpose (why is static). */
void report_kept(struct report *r, const char *path, const char *why);

/* The GPU code found in the ELF file path (nothing when s has no entry):
 * its rows go to the file's record and to the totals. */
void report_gpu_code(struct report *r, const char *path, const struct fatbin_summary *s,
		     const struct fatbin_pruned *pruned);
/* --cuda-arch: the GPUs the output keeps code for. */
void report_cuda_targets(struct report *r, const struct cuda_targets *t);
/* The bytes of GPU code removed in the row of rows matching x's arch and
 * kind (0 if none). */
uint64_t report_gpu_removed(const struct fatbin_summary *removed, const struct fatbin_row *x);

/* Add one dedup group (the report copies kept). */
void report_dup(struct report *r, const char *kept, uint64_t size, uint64_t files, bool linked,
		bool elf);

/* Add one image layer row (the report copies its strings). */
void report_image_layer(struct report *r, const struct report_image_layer *l);

/*
 * Add what src (the report of one layer of an image) says to dst, copying
 * its strings.  kept: the layer's original blob went into the output, not
 * what the passes made of it; then only what stays true of the output is
 * added (what was seen, skipped and kept, owners, errors, duplicates left
 * unlinked, and the layer's sizes with "after" equal to "before"), never a
 * change, a removal, a stripped file or archive, or a link.  src's roots
 * are not added.
 */
void report_merge(struct report *dst, const struct report *src, bool kept);

/* Sort records into path order; call once before printing. */
void report_finish(struct report *r);

/* ---- totals (of a finished report) --------------------------------------- */

/* Bytes saved by every change together. */
uint64_t report_saved(const struct report *r);
/* Bytes the removal rules free. */
uint64_t report_rules_bytes(const struct report *r);
/* Fill idx with the indices of the changes that save most, largest first
 * (ties in path order; a change that grew saves nothing and is left out);
 * returns how many, at most max. */
size_t report_top_changes(const struct report *r, size_t *idx, size_t max);
/* Image mode: the sums of the layer rows, each blob once (rows marked
 * shared left out).  Only the sizes of t are set, the rest is zero. */
void report_image_totals(const struct report *r, struct report_image_layer *t);

/* ---- how the report's strings are shown (report_escape.c) ----------------
 * Every presenter escapes names from the input with these, and so does
 * any module that prints such a name itself.  Text: control bytes,
 * backslash and bytes of invalid UTF-8 become \n, \t, \\ or \xNN, and
 * characters a terminal acts on or that reorder text (C1 controls, bidi
 * overrides) \uNNNN.  JSON: a quoted string; an invalid UTF-8 byte 0xNN
 * becomes \udcNN (Python's surrogateescape). */
void report_escape_text(struct buf *out, const char *s);
void report_escape_json(struct buf *out, const char *s);

#endif
