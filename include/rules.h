/* rules.h - removal rules: what a runtime image does not need.
 *
 * A rule set holds drop rules (remove what matches), keep rules (--keep:
 * never remove what matches) and safety rules (a preset's exceptions: keep
 * what a preset would drop but the program may need, and say why).  Rules
 * come from presets (rules_add_preset), the command line (rules_add_glob)
 * and rules files (rules_load_file); doc/rules.md documents the file
 * format, the glob syntax and every preset.
 *
 * The engine never touches the file system.  It decides over a list of
 * entries (a directory tree or one layer's tar entries, the same way) and
 * asks the caller for the bytes of the few files whose content matters
 * (Python sources for import scanning, the first bytes of candidate
 * binaries).  Paths are relative to the root; rules cannot reach outside
 * it, a symlink is never a directory, and OCI whiteouts are never matched.
 *
 * Precedence, strongest first:
 *   1. a whiteout (type RT_WHITEOUT or a name starting with ".wh.") is
 *      always kept;
 *   2. a keep rule (--keep, "keep" lines) keeps what it matches; a kept
 *      directory keeps its whole subtree;
 *   3. an explicit drop (--drop, "drop" lines) removes what it matches;
 *   4. a safety rule keeps what only preset rules would remove (and only
 *      the presets it guards: a sourceless .pyc is kept from the .pyc
 *      rules, not from a test directory that is dropped as a whole);
 *   5. a preset drop rule removes what it matches.
 * A dropped directory takes its subtree with it, unless something inside
 * is kept: then the directory is kept and its other descendants are
 * dropped one by one.
 */
#ifndef SLIM_RULES_H
#define SLIM_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "util.h"

enum rules_type {
	RT_FILE,     /* regular file (or hard link to one) */
	RT_DIR,
	RT_SYMLINK,  /* never treated as a directory, never followed */
	RT_OTHER,    /* device, fifo, socket: no preset matches these */
	RT_WHITEOUT, /* OCI whiteout; also any name starting with ".wh." */
};

struct rules_entry {
	/* Relative to the root: no leading "/" or "./", components separated
	 * by single '/', no trailing '/', no "." or ".." component.  Borrowed
	 * for the call. */
	const char *path;
	enum rules_type type;
	uint64_t size; /* bytes of content (files); used to skip tiny files */
};

/* What rules_decide() says about one entry. */
struct rules_verdict {
	/* Index of the rule that drops the entry (rules_name() gives its
	 * text), or -1: the entry is kept.  Entries inside a dropped
	 * directory carry that directory's rule. */
	int rule;
	/* Index of the keep or safety rule that kept the entry, or -1. */
	int keep_rule;
	/* True when a drop rule applies but the entry is kept anyway (by
	 * --keep, a safety rule, or because it holds a kept entry). */
	bool kept_on_purpose;
	/* Static text saying why; NULL unless kept_on_purpose:
	 *   "--keep"            a keep rule whose origin is "--keep"
	 *   "--exclude"         a keep rule whose origin is "--exclude"
	 *   "keep rule"         a keep rule from elsewhere (a rules file)
	 *   "holds a kept entry" a directory kept for something inside it
	 *   "whiteout"
	 *   a safety rule's reason: "sourceless .pyc", "imported by a
	 *   non-test module", "imports could not be checked", "package
	 *   metadata", "read by sysconfig at run time", "license text",
	 *   "compiler's own archive", "named by a linker script". */
	const char *why;
};

/*
 * Give the content of entry i: at most max bytes from its start (max ==
 * SIZE_MAX: all of it) in *buf, allocated with malloc; the engine frees
 * it.  Return the number of bytes given (fewer than max at the end of the
 * file), or -1 when the content cannot be read, which the engine takes in
 * the safe direction (no import scan: keep the test packages of that
 * distribution; no magic: not a static archive or foreign binary).  It is
 * only ever asked for entries of type RT_FILE.
 */
typedef ssize_t (*rules_read_fn)(void *ctx, size_t i, size_t max, unsigned char **buf);

struct rules; /* opaque: an active rule set */

/* An empty rule set (nothing is dropped).  Never NULL. */
struct rules *rules_new(void);
/* Free r and everything it owns; NULL is fine. */
void rules_free(struct rules *r);

/*
 * Add the rules of a preset: "python" (the CLI's default), "static-libs",
 * "headers", "docs", "node", "node-caution" (which implies "node") or
 * "foreign".  Adding a preset twice adds it once.  The first preset also
 * adds the built-in safety rule that keeps *.dist-info and *.egg-info.
 * Unknown name: -1 and e says so, listing the known names.
 */
int rules_add_preset(struct rules *r, const char *name, struct err *e);
/* The known preset names, NULL-terminated; static. */
const char *const *rules_presets(void);

/*
 * Add a keep (keep == true) or drop rule for a glob.  Glob syntax
 * (doc/rules.md): fnmatch(3) per component, "**" for any number of
 * components.  Without '/' the glob matches an entry's name anywhere;
 * with '/' it matches the whole relative path (a leading "/" or "./" is
 * allowed and ignored).  A trailing '/' matches directories only.
 * origin says where the rule came from ("--drop", "rules.txt:12"); it is
 * copied.  Returns 0, or -1 (empty glob, ".." component) with e set.
 */
int rules_add_glob(struct rules *r, bool keep, const char *glob, const char *origin,
		   struct err *e);

/*
 * Read a rules file: one rule a line, "drop GLOB", "keep GLOB" or
 * "preset NAME"; '#' starts a comment line; blank lines are ignored.
 * Returns 0, or -1 with e set to "PATH:LINE: what is wrong" (or the
 * reason the file cannot be read).  Rules read before an error stay.
 */
int rules_load_file(struct rules *r, const char *path, struct err *e);

/*
 * Fix the ELF machine (EM_X86_64, ...) the "foreign" preset takes as the
 * tree's own; by default it is worked out from the tree (doc/rules.md).
 * rules_set_arch() takes an OCI/Go or uname name ("amd64", "x86_64",
 * "arm64", "aarch64", ...) and fails with e set on an unknown one.
 */
void rules_set_machine(struct rules *r, unsigned machine);
int rules_set_arch(struct rules *r, const char *arch, struct err *e);

/*
 * --python-bytecode keep: the python preset's byte-code rules (__pycache__/,
 * *.pyc, *.pyo, and their sourceless safety rule) are left out of every
 * decision and listing; keep == false puts them back.  Works before or
 * after the preset is added.
 */
void rules_keep_bytecode(struct rules *r, bool keep);
/* Is rule a byte-code drop rule of the python preset? */
bool rules_is_bytecode(const struct rules *r, int rule);

/* The ELF machine of an OCI/Go or uname architecture name, or 0 for an
 * unknown one; the OCI name of a machine ("amd64", "arm64", ...), or NULL
 * for one slim has no name for. */
unsigned rules_arch_machine(const char *arch);
const char *rules_arch_name(unsigned machine);

/*
 * Presets whose rules all name directories (headers: usr/include, ...;
 * docs: usr/share/doc, ...) cannot match anything in a tree whose root
 * sits at prefix (as rules_decide_at takes it) when none of those
 * directories is at, above or below prefix.  Print one warning on f for
 * each such preset of r, naming the tree as display; return how many.
 */
size_t rules_warn_unreachable(const struct rules *r, const char *prefix, const char *display,
			      FILE *f);

/* The number of rules (drop, keep and safety); indices are 0..count-1. */
size_t rules_count(const struct rules *r);
/* "python: __pycache__/", "--drop: *.log", "rules.txt:3: build/";
 * static for the life of r; NULL for an index out of range. */
const char *rules_name(const struct rules *r, int rule);
/* Is rule a keep or safety rule (true) or a drop rule (false)? */
bool rules_is_keep(const struct rules *r, int rule);

/*
 * Print every rule, one a line, in columns: action (drop/keep), pattern,
 * what it matches (file, dir or any), origin (preset or where it was
 * given) and a one-line rationale.
 */
void rules_list(const struct rules *r, FILE *f);

/*
 * Decide every entry.  entries[0..n) are the whole tree or layer, each
 * path once (a path seen again is decided again; its children hang under
 * the last one); parent directories need not be listed (a layer may leave
 * them out).  Order does not matter.  read() is asked for the Python
 * sources of distributions that hold test packages and, with the
 * "static-libs" or "foreign" preset, for the first bytes of candidate
 * files; read may be NULL (every read fails).  Fills v[0..n):
 *
 *   - a directory with a drop verdict has only drop verdicts below it, so
 *     the caller may remove it with its whole subtree;
 *   - every ancestor of a kept entry is kept.
 *
 * Returns 0, or -1 with e set when an entry's path is not a normalized
 * relative path (absolute, empty component, "." or "..").  Time about
 * O(n log n) plus the bytes read; memory O(n).
 */
int rules_decide(const struct rules *r, const struct rules_entry *entries, size_t n,
		 rules_read_fn read, void *ctx, struct rules_verdict *v, struct err *e);
/* The same, reading the sources it scans on `jobs` threads: read must be
 * safe to call from that many threads at once.  The verdicts do not
 * depend on jobs. */
int rules_decide_jobs(const struct rules *r, const struct rules_entry *entries, size_t n,
		      rules_read_fn read, void *ctx, int jobs, struct rules_verdict *v,
		      struct err *e);

/* Where a tree is, for rules_decide_at(). */
struct rules_at {
	/* The tree's root as a path from the file system root (or, with
	 * --root, the image's root): normalized relative, "" or NULL for the
	 * root itself.  Presets match entries as prefix/path (usr/local +
	 * include/x.h is usr/local/include/x.h); globs (--keep, --drop, rules
	 * files) still match path alone, and never the directories of the
	 * prefix.  Layers and images give NULL: their paths start at the
	 * image's root already. */
	const char *prefix;
	/* foreign: the machine to take as the tree's own when the rules set
	 * none (rules_set_machine, --arch): the host's, for a tree in place on
	 * the system slim runs on; 0: work it out from the tree. */
	unsigned machine;
};

/* What rules_decide_at() worked out beside the verdicts. */
struct rules_found {
	bool foreign;         /* the foreign preset ran */
	unsigned machine;     /* the machine it took as the tree's own; 0: none */
	/* static: where machine came from: "given" (rules_set_machine),
	 * "host" (at->machine), "loaders" (the tree's dynamic loaders and C
	 * libraries), "binaries" (most ELF files), or "none" (no clear
	 * majority: no ELF file was dropped for its machine) */
	const char *machine_from;
};

/* rules_decide_jobs() for a tree at a place (at may be NULL: as
 * rules_decide_jobs); found (may be NULL) gets what was worked out. */
int rules_decide_at(const struct rules *r, const struct rules_at *at,
		    const struct rules_entry *entries, size_t n, rules_read_fn read, void *ctx,
		    int jobs, struct rules_verdict *v, struct rules_found *found, struct err *e);

/*
 * The same, with the entries asked for and the verdicts handed over one
 * at a time, so that a million entries need no arrays beside the
 * caller's own: entry() fills *out with entry i (its path must stay valid
 * until the call returns; asked once or more, from the calling thread),
 * verdict() gets every entry's verdict once, in no particular order (on
 * success only).  read, ctx, at and found as above.  The tree of nodes it builds
 * costs about 90 bytes an entry while it runs.
 */
struct rules_input {
	size_t n;
	void (*entry)(void *ctx, size_t i, struct rules_entry *out);
	void (*verdict)(void *ctx, size_t i, const struct rules_verdict *v);
	rules_read_fn read;
	void *ctx;
	int jobs;
	const struct rules_at *at;  /* may be NULL: as rules_decide_at() */
	struct rules_found *found;  /* may be NULL */
};
int rules_decide_each(const struct rules *r, const struct rules_input *in, struct err *e);

#endif
