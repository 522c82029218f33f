/* rules_int.h - internal: what the files of the rules engine share.
 *
 * The engine (rules.h) is split along its seams:
 *   rules.c         the API: rule sets, presets (their predicates and
 *                   tables), rules files, --arch, listing;
 *   rules_glob.c    glob rules: compiling and matching path components;
 *   rules_tree.c    rules_decide(): the node tree, P1 (structure) and
 *                   P3-P5 (matching and verdicts);
 *   rules_python.c  P2 for Python: the import scan of the distributions
 *                   that hold test packages;
 *   rules_magic.c   P2 for the other presets: magic numbers of candidate
 *                   archives and binaries.
 *
 * Nothing here is part of the contract with the rest of slim; the names
 * shared across these files carry the prefix rl_.
 */
#ifndef SLIM_RULES_INT_H
#define SLIM_RULES_INT_H

#include <fnmatch.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "rules.h"
#include "util.h"

/*
 * Classes of drop rule.  A safety rule guards some classes: it protects a
 * node only when every drop rule covering the node is of a guarded class.
 * That is how a sourceless .pyc survives the .pyc rules but not the
 * removal of the test directory it sits in.
 */
enum {
	C_EXPLICIT, /* --drop, "drop" lines */
	C_PYC,      /* __pycache__, *.pyc */
	C_PYTEST,   /* Python test directories */
	C_STATIC,
	C_HEADERS,
	C_DOCS,
	C_NODE,     /* node_modules clutter: directories and files */
	C_NODEDOC,  /* node_modules documentation files */
	C_FOREIGN,
	C_N
};
#define CB(c) (1u << (c))
#define C_ALL ((1u << C_N) - 1)
#define C_PRESETS (C_ALL & ~CB(C_EXPLICIT))

enum act { ACT_DROP, ACT_KEEP, ACT_SAFETY };
enum target { T_ANY, T_FILE, T_DIR };

/* What a preset needs read in P2. */
enum {
	NEED_PYSCAN = 1,
	NEED_STATIC = 2,
	NEED_FOREIGN = 4,
};

struct dctx;
struct node;
typedef bool drop_fn(struct dctx *d, const struct node *nd);
typedef const char *keep_fn(struct dctx *d, const struct node *nd);

struct rule {
	enum act act;
	unsigned cls;          /* ACT_DROP: its class */
	unsigned guard;        /* ACT_SAFETY: the classes it guards */
	enum target target;
	char *name;            /* "origin: pattern" */
	char *pattern;
	char *origin;
	const char *rationale;
	/* glob rules */
	char **comp;           /* components, into gstore */
	size_t ncomp;
	char *gstore;
	bool anchored;         /* contains '/': matches the whole path */
	/* preset rules */
	drop_fn *drop;
	keep_fn *keep;
};

struct rules {
	struct rule *v;
	size_t n, cap;
	unsigned presets;  /* bit i: presets[i] added */
	unsigned needs;    /* NEED_* */
	bool builtin;      /* the metadata rule is in */
	bool anchored;     /* some glob needs path components */
	unsigned machine;  /* foreign: the tree's own e_machine, 0: work it out */
	bool keep_bytecode; /* --python-bytecode keep: the C_PYC rules are off */
};

/* Is rule ru left out (--python-bytecode keep turns off the byte-code
 * rules and the safety rule that guards only them)? */
static inline bool rl_rule_off(const struct rules *r, const struct rule *ru)
{
	return r->keep_bytecode && ((ru->act == ACT_DROP && ru->cls == C_PYC) ||
				    (ru->act == ACT_SAFETY && ru->guard == (1u << C_PYC)));
}

/* ---- decision context --------------------------------------------------- */

enum rootkind { RK_NONE, RK_STD, RK_SITE };
enum nmstate { NM_NONE, NM_DIR, NM_SCOPE, NM_PKGROOT, NM_INPKG };

/* node flags */
enum {
	F_OWNED = 1 << 0,      /* path allocated here (implicit directory) */
	F_WHITEOUT = 1 << 1,
	F_PKG = 1 << 2,        /* holds __init__.py */
	F_TESTDIR = 1 << 3,    /* a Python test directory */
	F_INTEST = 1 << 4,     /* in or at a Python test directory */
	F_META = 1 << 5,       /* in or at *.dist-info / *.egg-info */
	F_SOURCELESS = 1 << 6, /* .pyc without its .py */
	F_IMPORTED = 1 << 7,   /* test package imported by a non-test module */
	F_UNSCANNED = 1 << 8,  /* test package of a distribution not fully scanned */
	F_AR = 1 << 9,         /* *.a with ar magic */
	F_LA = 1 << 10,        /* libtool file in a library directory */
	F_FOREIGN = 1 << 11,   /* PE or Mach-O */
	F_FOREIGN_ELF = 1 << 12,
	F_TEMPLATE = 1 << 13,  /* below a template directory of a Node package */
	F_FIRMWARE = 1 << 14,
	F_TOOLCHAIN = 1 << 15, /* below a compiler's own library directory */
	F_ABOVE = 1 << 16,     /* a directory of the prefix (rules_at): at or above
				* the tree's root; globs never match it */
};

/* decision flags */
enum {
	D_PROT_SELF = 1, /* kept by a keep/safety rule or as a whiteout */
	D_PROT = 2,      /* kept: itself or something below it is protected */
	D_KEEP_ALL = 4,  /* in or at a directory kept by a keep rule */
	D_DROP = 8,
	D_SHIELD = 16,   /* protected by a safety rule: children lose guarded classes */
};

struct node {
	const char *path;  /* NUL-terminated */
	const char *name;  /* last component, into path */
	uint32_t len;
	uint32_t parent;   /* 0 is the root, its own parent */
	uint16_t depth;    /* 0 for the root (a deeper input is refused) */
	uint8_t why;       /* why it is kept: index in dctx.whys, 0 none */
	uint8_t spare;
	int32_t entry;     /* index into the entries, -1: implicit or root */
	uint32_t flags;
	uint8_t type;      /* enum rules_type; implicit directories RT_DIR */
	uint8_t rootkind;  /* this directory is an import root */
	uint8_t nearkind;  /* kind of the nearest import root above */
	uint8_t nm;        /* enum nmstate */
	uint32_t pyroot;   /* the sys.path directory this node's modules hang from */
	uint16_t em;       /* ELF e_machine (foreign) */
	uint8_t elfkind;   /* 0, 1: ELF executable/library, 2: also a loader/libc */
	uint8_t dflags;
	uint16_t mask;     /* classes of drop rule covering the node */
	uint16_t guard;
	int32_t own;       /* first drop rule matching the node itself */
	int32_t keep_rule;
	int32_t vrule;     /* verdict */
};

struct dctx {
	const struct rules *r;
	const struct rules_input *in;
	rules_read_fn read;
	void *rctx;
	struct node *nodes;
	size_t nnodes, cap;
	uint32_t *map;       /* node index + 1, 0: empty slot */
	size_t mapmask;
	uint32_t *order;     /* node indices by depth */
	int32_t *crule;      /* [slot * C_N + class]: nearest rule of that class */
	uint32_t *cslot;     /* a directory node's slot in crule; UINT32_MAX: a file's,
			      * which needs its own only while it is matched (cfile) */
	int32_t cfile[C_N];
	/* path components of comp_node, for anchored globs */
	struct buf compbuf;
	char **comps;
	size_t ncomps, compcap;
	uint32_t comp_node;
	struct buf tmp;
	int jobs; /* threads that may call read at once */
	size_t skip; /* bytes of the prefix and its '/' at the start of every path */
	char *paths; /* with a prefix: the entries' nodes' paths, in one block */
	unsigned machine;         /* foreign: the tree's own, or 0: work it out */
	const char *machine_from; /* what rules_found says */
	/* the names of the directories the entries leave out, which the tree
	 * adds: bytes so far, and at most (a deep path of missing parents
	 * costs its length for each of them) */
	uint64_t implied, implied_max;
	/* the reasons a node is kept, each a static string, interned (a node
	 * holds one byte for it: a million nodes are 8 MB smaller) */
	const char *whys[64];
	unsigned nwhys;
};

/* Why nd is kept (static text), or NULL. */
static inline const char *rl_why(const struct dctx *d, const struct node *nd)
{
	return nd->why ? d->whys[nd->why - 1] : NULL;
}

/* nd is kept for why (static text; NULL: for no reason given).  The
 * reasons are the rules engine's own few texts; were there ever more than
 * the table holds, the rest would read "kept" (the last slot). */
static inline void rl_set_why(struct dctx *d, struct node *nd, const char *why)
{
	const unsigned last = sizeof(d->whys) / sizeof(d->whys[0]) - 1;
	unsigned i;

	nd->why = 0;
	if (!why)
		return;
	for (i = 0; i < d->nwhys; i++)
		if (d->whys[i] == why || !strcmp(d->whys[i], why))
			break;
	if (i == d->nwhys && i < last)
		d->whys[d->nwhys++] = why;
	else if (i == d->nwhys)
		d->whys[i = last] = "kept";
	nd->why = (uint8_t)(i + 1);
}

/* The size the caller gives entry i. */
static inline uint64_t rl_entry_size(const struct dctx *d, size_t i)
{
	struct rules_entry x = { 0 };

	d->in->entry(d->in->ctx, i, &x);
	return x.size;
}

/* ---- small helpers ------------------------------------------------------ */

static inline bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !memcmp(s + n - m, suffix, m);
}

static inline bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static inline bool glob_any(const char *s, const char *const *globs, int flags)
{
	for (; *globs; globs++)
		if (!fnmatch(*globs, s, flags))
			return true;
	return false;
}

static inline bool is_dir(const struct node *nd)
{
	return nd->type == RT_DIR;
}

static inline bool is_filelike(const struct node *nd)
{
	return nd->type == RT_FILE || nd->type == RT_SYMLINK;
}

static inline const struct node *parent_of(const struct dctx *d, const struct node *nd)
{
	return &d->nodes[nd->parent];
}

static inline char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* ---- across the files ----------------------------------------------------- */

/* rules_glob.c: split glob into ru's components (ru->comp, ru->gstore,
 * ru->anchored, ru->target for a trailing '/'); "" on success, else what
 * is wrong (static text).  What it set is freed with the rule. */
const char *rl_glob_compile(struct rule *ru, const char *glob);
/* rules_glob.c: does glob rule ru match node i?  Anchored globs split the
 * node's path into d->comps (cached for the last node asked). */
bool rl_glob_match(struct dctx *d, const struct rule *ru, uint32_t i);

/* P2 reads content through this: the content of node i, at most max
 * bytes, in *buf (the caller frees it; NULL on failure); -1 when it cannot
 * be read (no read callback, an implicit directory, not a regular file, or
 * the read failed).  Safe on d->jobs threads when the caller's read is.
 * Here, not in rules_tree.c, so that P2 does not call back into its
 * driver. */
static inline ssize_t rl_read(struct dctx *d, uint32_t i, size_t max, unsigned char **buf)
{
	const struct node *nd = &d->nodes[i];
	ssize_t got;

	*buf = NULL;
	if (!d->read || nd->entry < 0 || nd->type != RT_FILE)
		return -1;
	got = d->read(d->rctx, (size_t)nd->entry, max, buf);
	if (got < 0 || !*buf) {
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return (size_t)got > max ? (ssize_t)max : got;
}

/* rules_python.c: P2, NEED_PYSCAN: set F_IMPORTED or F_UNSCANNED on the
 * Python test directories (F_TESTDIR) that must stay. */
void rl_scan_imports(struct dctx *d);

/* rules_magic.c: P2, NEED_STATIC: F_AR and F_LA from the first bytes. */
void rl_static_magic(struct dctx *d);
/* rules_magic.c: P2, NEED_FOREIGN: F_FOREIGN (PE, Mach-O) and
 * F_FOREIGN_ELF (an ELF executable or library for another CPU family than
 * d->r->machine, or the tree's majority). */
void rl_foreign_magic(struct dctx *d);

#endif
