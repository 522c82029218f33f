/* rules.c - the removal rules engine and its presets.
 *
 * rules_decide() turns the flat entry list into a tree of nodes (adding
 * the parent directories a layer may leave out), then works in passes:
 *
 *   P1  top-down, structure only: import roots, Python packages, test
 *       directories, node_modules packages, package metadata;
 *   P2  content: import scan of the distributions that hold test
 *       packages, magic numbers of candidate archives and binaries;
 *   P3  top-down: which rules match each node, which classes of drop rule
 *       cover it (its own or inherited from a dropped directory) and
 *       whether a keep or safety rule protects it;
 *   P4  bottom-up: a protected node protects its ancestors;
 *   P5  top-down: the verdicts.
 *
 * Every pass is linear in the nodes (hash lookups for paths); nodes are
 * visited in depth order from a counting sort, so the caller's order does
 * not matter.
 */
#include "rules.h"

#include <elf.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>
#include <xxhash.h>

#include "pool.h"

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
};

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
	uint32_t depth;    /* 0 for the root */
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
	const char *why;
};

struct dctx {
	const struct rules *r;
	const struct rules_entry *ents;
	rules_read_fn read;
	void *rctx;
	struct node *nodes;
	size_t nnodes, cap;
	uint32_t *map;       /* node index + 1, 0: empty slot */
	size_t mapmask;
	uint32_t *order;     /* node indices by depth */
	int32_t *crule;      /* [node * C_N + class]: nearest rule of that class */
	/* path components of comp_node, for anchored globs */
	struct buf compbuf;
	char **comps;
	size_t ncomps, compcap;
	uint32_t comp_node;
	struct buf tmp;
	int jobs; /* threads that may call read at once */
};

/* ---- small helpers ------------------------------------------------------ */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !memcmp(s + n - m, suffix, m);
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static bool glob_any(const char *s, const char *const *globs, int flags)
{
	for (; *globs; globs++)
		if (!fnmatch(*globs, s, flags))
			return true;
	return false;
}

static bool is_dir(const struct node *nd)
{
	return nd->type == RT_DIR;
}

static bool is_filelike(const struct node *nd)
{
	return nd->type == RT_FILE || nd->type == RT_SYMLINK;
}

static const struct node *parent_of(const struct dctx *d, const struct node *nd)
{
	return &d->nodes[nd->parent];
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* ---- string set (distribution keys) ------------------------------------------- */

struct sset {
	char **slot;
	size_t cap, n; /* cap is 0 or a power of two */
};

static bool sset_find(const struct sset *s, const char *k, size_t len, size_t *at)
{
	size_t mask, i;

	if (!s->cap)
		return false;
	mask = s->cap - 1;
	for (i = XXH3_64bits(k, len) & mask; s->slot[i]; i = (i + 1) & mask)
		if (!strncmp(s->slot[i], k, len) && s->slot[i][len] == '\0')
			return true;
	if (at)
		*at = i;
	return false;
}

static bool sset_has(const struct sset *s, const char *k)
{
	return sset_find(s, k, strlen(k), NULL);
}

static void sset_add(struct sset *s, const char *k, size_t len)
{
	size_t at = 0, i;

	if (2 * (s->n + 1) > s->cap) {
		struct sset big = { NULL, s->cap ? 2 * s->cap : 64, 0 };

		big.slot = xcalloc(big.cap, sizeof(*big.slot));
		for (i = 0; i < s->cap; i++) {
			if (!s->slot[i])
				continue;
			sset_find(&big, s->slot[i], strlen(s->slot[i]), &at);
			big.slot[at] = s->slot[i];
			big.n++;
		}
		free(s->slot);
		*s = big;
	}
	if (sset_find(s, k, len, &at))
		return;
	s->slot[at] = xstrndup(k, len);
	s->n++;
}

static void sset_release(struct sset *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	s->slot = NULL;
	s->cap = s->n = 0;
}

/* ---- globs ---------------------------------------------------------------- */

/* Split the glob into components; "" on success, else what is wrong. */
static const char *glob_compile(struct rule *ru, const char *glob)
{
	const char *g = glob;
	size_t len, cap = 0;
	char *p;

	while (g[0] == '.' && g[1] == '/')
		g += 2;
	if (*g == '/') {
		ru->anchored = true;
		while (*g == '/')
			g++;
	}
	len = strlen(g);
	if (len && g[len - 1] == '/') {
		ru->target = T_DIR;
		while (len && g[len - 1] == '/')
			len--;
	}
	if (!len)
		return "empty glob";
	ru->gstore = xstrndup(g, len);
	for (p = ru->gstore; *p; p++) {
		if (*p != '/')
			continue;
		if (p[1] == '/')
			return "empty component in glob";
		ru->anchored = true;
	}
	for (p = ru->gstore;;) {
		char *slash = strchr(p, '/');

		xgrow(&ru->comp, &cap, ru->ncomp + 1, sizeof(*ru->comp));
		ru->comp[ru->ncomp++] = p;
		if (slash)
			*slash = '\0';
		if (!strcmp(p, ".."))
			return "'..' in glob: rules never reach outside the root";
		if (!strcmp(p, "."))
			return "'.' component in glob";
		if (!slash)
			break;
		p = slash + 1;
	}
	return "";
}

/*
 * Match pattern components against path components: each "**" takes any
 * number of components, every other pattern component exactly one
 * (fnmatch).  Greedy with backtracking to the last "**", which is exact
 * for this kind of pattern and linear in practice.
 */
static bool comps_match(char *const *pc, size_t np, char *const *sc, size_t ns)
{
	size_t pi = 0, si = 0, star_p = SIZE_MAX, star_s = 0;

	while (si < ns) {
		if (pi < np && !strcmp(pc[pi], "**")) {
			star_p = pi++;
			star_s = si;
			continue;
		}
		if (pi < np && !fnmatch(pc[pi], sc[si], 0)) {
			pi++;
			si++;
			continue;
		}
		if (star_p == SIZE_MAX)
			return false;
		pi = star_p + 1;
		si = ++star_s;
	}
	while (pi < np && !strcmp(pc[pi], "**"))
		pi++;
	return pi == np;
}

static void split_path(struct dctx *d, uint32_t i)
{
	char *p;

	if (d->comp_node == i)
		return;
	d->comp_node = i;
	buf_setlen(&d->compbuf, 0);
	buf_add(&d->compbuf, d->nodes[i].path, d->nodes[i].len);
	d->ncomps = 0;
	for (p = d->compbuf.p;;) {
		char *slash = strchr(p, '/');

		xgrow(&d->comps, &d->compcap, d->ncomps + 1, sizeof(*d->comps));
		d->comps[d->ncomps++] = p;
		if (!slash)
			break;
		*slash = '\0';
		p = slash + 1;
	}
}

static bool glob_match(struct dctx *d, const struct rule *ru, uint32_t i)
{
	const struct node *nd = &d->nodes[i];

	if (!ru->anchored)
		return !fnmatch(ru->comp[0], nd->name, 0);
	split_path(d, i);
	return comps_match(ru->comp, ru->ncomp, d->comps, d->ncomps);
}

/* ---- presets -------------------------------------------------------------- */

static const char *const py_test_names[] = { "test", "tests", "idle_test", NULL };

static bool m_pycache(struct dctx *d, const struct node *nd)
{
	(void)d;
	return is_dir(nd) && !strcmp(nd->name, "__pycache__");
}

static bool m_pyc(struct dctx *d, const struct node *nd)
{
	(void)d;
	return is_filelike(nd) && (ends_with(nd->name, ".pyc") || ends_with(nd->name, ".pyo"));
}

static bool m_pytest(struct dctx *d, const struct node *nd)
{
	(void)d;
	return nd->flags & F_TESTDIR;
}

static const char *k_sourceless(struct dctx *d, const struct node *nd)
{
	(void)d;
	return nd->flags & F_SOURCELESS ? "sourceless .pyc" : NULL;
}

static const char *k_imported(struct dctx *d, const struct node *nd)
{
	(void)d;
	if (nd->flags & F_IMPORTED)
		return "imported by a non-test module";
	if (nd->flags & F_UNSCANNED)
		return "imports could not be checked";
	return NULL;
}

static const char *k_meta(struct dctx *d, const struct node *nd)
{
	(void)d;
	return nd->flags & F_META ? "package metadata" : NULL;
}

static bool m_ar(struct dctx *d, const struct node *nd)
{
	(void)d;
	return nd->flags & F_AR;
}

static bool m_la(struct dctx *d, const struct node *nd)
{
	(void)d;
	return nd->flags & F_LA;
}

static const char *k_toolchain(struct dctx *d, const struct node *nd)
{
	(void)d;
	if (nd->flags & F_TOOLCHAIN)
		return "compiler's own archive";
	return ends_with(nd->name, "_nonshared.a") ? "named by a linker script" : NULL;
}

static const char *const include_dirs[] = { "usr/include", "usr/local/include", NULL };

static bool m_incdir(struct dctx *d, const struct node *nd)
{
	(void)d;
	return is_dir(nd) && in_list(nd->path, include_dirs);
}

static const char *k_pyconfig(struct dctx *d, const struct node *nd)
{
	(void)d;
	return !strcmp(nd->name, "pyconfig.h") ? "read by sysconfig at run time" : NULL;
}

static const char *const doc_dirs[] = {
	"usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/gtk-doc",
	"usr/local/share/doc", "usr/local/share/man", "usr/local/share/info", NULL
};

static bool m_docdir(struct dctx *d, const struct node *nd)
{
	(void)d;
	return is_dir(nd) && in_list(nd->path, doc_dirs);
}

static bool is_license(const char *name)
{
	static const char *const pre[] = {
		"license", "licence", "copying", "copyright", "notice", NULL
	};
	const char *const *p;

	for (p = pre; *p; p++)
		if (!strncasecmp(name, *p, strlen(*p)))
			return true;
	return false;
}

static const char *k_license(struct dctx *d, const struct node *nd)
{
	(void)d;
	return is_license(nd->name) ? "license text" : NULL;
}

static bool in_node_pkg(const struct node *nd)
{
	return nd->nm == NM_INPKG;
}

static bool node_dir(const struct node *nd, const char *const *names)
{
	return is_dir(nd) && in_node_pkg(nd) && in_list(nd->name, names);
}

static bool m_node_tests(struct dctx *d, const struct node *nd)
{
	static const char *const n[] = { "test", "tests", "__tests__", NULL };

	(void)d;
	return node_dir(nd, n);
}

static bool m_node_examples(struct dctx *d, const struct node *nd)
{
	static const char *const n[] = { "example", "examples", NULL };

	(void)d;
	return node_dir(nd, n);
}

static bool m_node_coverage(struct dctx *d, const struct node *nd)
{
	static const char *const n[] = { "coverage", ".nyc_output", NULL };

	(void)d;
	return node_dir(nd, n);
}

static bool m_node_devdirs(struct dctx *d, const struct node *nd)
{
	static const char *const n[] = { ".github", ".circleci", ".vscode", ".idea", NULL };

	(void)d;
	return node_dir(nd, n);
}

static bool m_node_docs(struct dctx *d, const struct node *nd)
{
	static const char *const any[] = { "*.md", "*.markdown", "*.mkd", NULL };
	static const char *const base[] = {
		"readme", "changelog", "changes", "history", "authors", "contributors", NULL
	};
	static const char *const ext[] = {
		"", "md", "markdown", "mkd", "txt", "rst", "adoc", "asciidoc", "textile", NULL
	};
	const char *dot;
	size_t blen;
	const char *const *b, *const *x;

	(void)d;
	if (!is_filelike(nd) || !in_node_pkg(nd) || (nd->flags & F_TEMPLATE))
		return false;
	if (glob_any(nd->name, any, FNM_CASEFOLD))
		return true;
	dot = strchr(nd->name, '.');
	blen = dot ? (size_t)(dot - nd->name) : strlen(nd->name);
	for (b = base; *b; b++) {
		if (strlen(*b) != blen || strncasecmp(nd->name, *b, blen))
			continue;
		for (x = ext; *x; x++)
			if (!strcasecmp(dot ? dot + 1 : "", *x))
				return true;
	}
	return false;
}

static bool m_node_maps(struct dctx *d, const struct node *nd)
{
	static const char *const g[] = { "*.js.map", "*.mjs.map", "*.cjs.map", "*.css.map", NULL };

	(void)d;
	return is_filelike(nd) && in_node_pkg(nd) && glob_any(nd->name, g, 0);
}

static bool m_node_config(struct dctx *d, const struct node *nd)
{
	static const char *const g[] = {
		".eslintrc", ".eslintrc.*", ".eslintignore", ".jshintrc", ".jscsrc",
		".npmignore", ".travis.yml", ".gitlab-ci.yml", "appveyor.yml",
		".editorconfig", ".gitattributes", ".prettierrc", ".prettierrc.*",
		".prettierignore", ".nycrc", ".nycrc.*", ".DS_Store", NULL
	};

	(void)d;
	return is_filelike(nd) && in_node_pkg(nd) && glob_any(nd->name, g, 0);
}

static bool m_node_types(struct dctx *d, const struct node *nd)
{
	static const char *const g[] = {
		"*.d.ts", "*.d.mts", "*.d.cts", "*.d.ts.map", "*.flow", "*.tsbuildinfo", NULL
	};

	(void)d;
	return is_filelike(nd) && in_node_pkg(nd) && glob_any(nd->name, g, 0);
}

static bool m_node_docdirs(struct dctx *d, const struct node *nd)
{
	static const char *const n[] = {
		"doc", "docs", "benchmark", "benchmarks", "bench", "website", NULL
	};

	(void)d;
	return node_dir(nd, n);
}

static bool m_node_buildcfg(struct dctx *d, const struct node *nd)
{
	static const char *const g[] = {
		"tsconfig.json", "tsconfig.*.json", ".babelrc", "Makefile", "Gruntfile.js",
		"Gulpfile.js", "gulpfile.js", "karma.conf.js", "jest.config.js",
		".coveralls.yml", NULL
	};

	(void)d;
	return is_filelike(nd) && in_node_pkg(nd) && glob_any(nd->name, g, 0);
}

static bool m_foreign(struct dctx *d, const struct node *nd)
{
	(void)d;
	return nd->flags & F_FOREIGN;
}

static bool m_foreign_elf(struct dctx *d, const struct node *nd)
{
	(void)d;
	return nd->flags & F_FOREIGN_ELF;
}

struct preset_rule {
	enum act act;
	unsigned cls;   /* ACT_DROP */
	unsigned guard; /* ACT_SAFETY */
	enum target target;
	const char *pattern;
	const char *rationale;
	drop_fn *drop;
	keep_fn *keep;
};

#define DROP(c, t, pat, why, fn) { ACT_DROP, c, 0, t, pat, why, fn, NULL }
#define SAFE(g, t, pat, why, fn) { ACT_SAFETY, 0, g, t, pat, why, NULL, fn }

static const struct preset_rule r_builtin[] = {
	SAFE(C_PRESETS, T_ANY, "*.dist-info, *.egg-info",
	     "package metadata: importlib.metadata and entry points read it", k_meta),
};

static const struct preset_rule r_python[] = {
	DROP(C_PYC, T_DIR, "__pycache__/",
	     "byte-code cache; Python compiles the source again when needed", m_pycache),
	DROP(C_PYC, T_FILE, "*.pyc, *.pyo",
	     "byte-code of a .py next to it; Python compiles the source again", m_pyc),
	DROP(C_PYTEST, T_DIR, "test/, tests/, idle_test/ (Python)",
	     "test suites of packages, the stdlib and site-packages; programs do not import them",
	     m_pytest),
	SAFE(CB(C_PYC), T_FILE, "sourceless *.pyc, *.pyo",
	     "no .py beside it: the byte-code is the only copy of the code", k_sourceless),
	SAFE(CB(C_PYTEST), T_DIR, "imported test package",
	     "a non-test module of the same distribution imports it", k_imported),
};

static const struct preset_rule r_static[] = {
	DROP(C_STATIC, T_FILE, "*.a (ar archives)",
	     "static libraries are only read by the linker", m_ar),
	DROP(C_STATIC, T_FILE, "lib*/*.la (libtool)",
	     "libtool files of libraries are only read when linking", m_la),
	SAFE(CB(C_STATIC), T_FILE, "**/{gcc,gcc-cross,clang,rustlib}/**, go*/pkg/**, *_nonshared.a",
	     "a compiler in the image links these into every program", k_toolchain),
};

static const struct preset_rule r_headers[] = {
	DROP(C_HEADERS, T_DIR, "usr/include/, usr/local/include/",
	     "C headers are only read by compilers", m_incdir),
	SAFE(CB(C_HEADERS), T_ANY, "pyconfig.h",
	     "Python's sysconfig reads it at run time", k_pyconfig),
};

static const struct preset_rule r_docs[] = {
	DROP(C_DOCS, T_DIR, "usr{,/local}/share/{doc,man,info}/, usr/share/gtk-doc/",
	     "documentation, manual and info pages: read by people, not programs", m_docdir),
	SAFE(CB(C_DOCS), T_ANY, "copyright, LICENSE*, LICENCE*, COPYING*, NOTICE*",
	     "license texts must ship with the software", k_license),
};

static const struct preset_rule r_node[] = {
	DROP(C_NODE, T_DIR, "test/, tests/, __tests__/ (in node_modules)",
	     "test suites of installed packages", m_node_tests),
	DROP(C_NODE, T_DIR, "example/, examples/ (in node_modules)",
	     "usage examples of installed packages", m_node_examples),
	DROP(C_NODE, T_DIR, "coverage/, .nyc_output/ (in node_modules)",
	     "test coverage output", m_node_coverage),
	DROP(C_NODE, T_DIR, ".github/, .circleci/, .vscode/, .idea/ (in node_modules)",
	     "CI and editor settings", m_node_devdirs),
	DROP(C_NODEDOC, T_FILE, "*.md, README*, CHANGELOG*, HISTORY*, ... (in node_modules)",
	     "package documentation; license files are kept", m_node_docs),
	DROP(C_NODE, T_FILE, "*.js.map, *.mjs.map, *.cjs.map, *.css.map (in node_modules)",
	     "source maps: only for debuggers and --enable-source-maps", m_node_maps),
	DROP(C_NODE, T_FILE, ".eslintrc*, .npmignore, .travis.yml, ... (in node_modules)",
	     "lint, CI and packaging settings of the package's own repository", m_node_config),
	SAFE(CB(C_NODEDOC), T_FILE, "LICENSE*, LICENCE*, COPYING*, NOTICE* (in node_modules)",
	     "license texts must ship with the software", k_license),
};

static const struct preset_rule r_node_caution[] = {
	DROP(C_NODE, T_FILE, "*.d.ts, *.d.mts, *.d.cts, *.flow, *.tsbuildinfo (in node_modules)",
	     "type declarations: for type checkers and editors, not for node", m_node_types),
	DROP(C_NODE, T_DIR, "doc/, docs/, bench*/, website/ (in node_modules)",
	     "documentation and benchmarks; rarely, a package keeps code there", m_node_docdirs),
	DROP(C_NODE, T_FILE, "tsconfig*.json, .babelrc, Makefile, Gruntfile.js, ... (in node_modules)",
	     "build settings of the package; ts-node and babel may read some", m_node_buildcfg),
};

static const struct preset_rule r_foreign[] = {
	DROP(C_FOREIGN, T_FILE, "PE and Mach-O binaries",
	     "Windows and macOS executables and libraries cannot run here", m_foreign),
	DROP(C_FOREIGN, T_FILE, "ELF for another machine",
	     "executables and libraries for another CPU than the tree's own", m_foreign_elf),
};

struct preset {
	const char *name;
	const struct preset_rule *rules;
	size_t n;
	unsigned needs;
	const char *implies; /* another preset added with this one, or NULL */
};

static const struct preset presets[] = {
	{ "python", r_python, ARRAY_SIZE(r_python), NEED_PYSCAN, NULL },
	{ "static-libs", r_static, ARRAY_SIZE(r_static), NEED_STATIC, NULL },
	{ "headers", r_headers, ARRAY_SIZE(r_headers), 0, NULL },
	{ "docs", r_docs, ARRAY_SIZE(r_docs), 0, NULL },
	{ "node", r_node, ARRAY_SIZE(r_node), 0, NULL },
	{ "node-caution", r_node_caution, ARRAY_SIZE(r_node_caution), 0, "node" },
	{ "foreign", r_foreign, ARRAY_SIZE(r_foreign), NEED_FOREIGN, NULL },
};

const char *const *rules_presets(void)
{
	static const char *const names[] = {
		"python", "static-libs", "headers", "docs", "node", "node-caution", "foreign", NULL
	};

	return names;
}

/* ---- building a rule set ------------------------------------------------ */

struct rules *rules_new(void)
{
	return xcalloc(1, sizeof(struct rules));
}

static void rule_release(struct rule *ru)
{
	free(ru->name);
	free(ru->pattern);
	free(ru->origin);
	free(ru->comp);
	free(ru->gstore);
}

void rules_free(struct rules *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		rule_release(&r->v[i]);
	free(r->v);
	free(r);
}

static struct rule *rule_push(struct rules *r)
{
	struct rule *ru;

	xgrow(&r->v, &r->cap, r->n + 1, sizeof(*r->v));
	ru = &r->v[r->n++];
	memset(ru, 0, sizeof(*ru));
	return ru;
}

static void rule_name(struct rule *ru)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s: %s", ru->origin, ru->pattern);
	ru->name = buf_detach(&b, NULL);
}

static void add_preset_rules(struct rules *r, const char *origin,
			     const struct preset_rule *pr, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct rule *ru = rule_push(r);

		ru->act = pr[i].act;
		ru->cls = pr[i].cls;
		ru->guard = pr[i].guard;
		ru->target = pr[i].target;
		ru->pattern = xstrdup(pr[i].pattern);
		ru->origin = xstrdup(origin);
		ru->rationale = pr[i].rationale;
		ru->drop = pr[i].drop;
		ru->keep = pr[i].keep;
		rule_name(ru);
	}
}

int rules_add_preset(struct rules *r, const char *name, struct err *e)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(presets); i++) {
		const struct preset *p = &presets[i];

		if (strcmp(name, p->name))
			continue;
		if (p->implies && rules_add_preset(r, p->implies, e) < 0)
			return -1;
		if (r->presets & (1u << i))
			return 0;
		if (!r->builtin) {
			add_preset_rules(r, "builtin", r_builtin, ARRAY_SIZE(r_builtin));
			r->builtin = true;
		}
		r->presets |= 1u << i;
		r->needs |= p->needs;
		add_preset_rules(r, p->name, p->rules, p->n);
		return 0;
	}
	{
		struct buf b = BUF_INIT;
		const char *const *n;

		for (n = rules_presets(); *n; n++)
			buf_addf(&b, "%s%s", b.len ? ", " : "", *n);
		err_set(e, "unknown preset '%s' (known: %s)", name, b.p);
		buf_release(&b);
	}
	return -1;
}

int rules_add_glob(struct rules *r, bool keep, const char *glob, const char *origin,
		   struct err *e)
{
	struct rule ru;
	const char *bad;

	memset(&ru, 0, sizeof(ru));
	ru.act = keep ? ACT_KEEP : ACT_DROP;
	ru.cls = C_EXPLICIT;
	ru.target = T_ANY;
	bad = glob_compile(&ru, glob);
	if (*bad) {
		err_set(e, "bad glob '%s': %s", glob, bad);
		rule_release(&ru);
		return -1;
	}
	ru.pattern = xstrdup(glob);
	ru.origin = xstrdup(origin ? origin : keep ? "--keep" : "--drop");
	ru.rationale = keep ? "kept on request" : "dropped on request";
	rule_name(&ru);
	if (ru.anchored)
		r->anchored = true;
	*rule_push(r) = ru;
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' ||
			   end[-1] == '\r'))
		*--end = '\0';
	return s;
}

int rules_load_file(struct rules *r, const char *path, struct err *e)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	struct buf origin = BUF_INIT;
	struct err sub = ERR_INIT;
	int ret = -1;

	if (!f) {
		err_errno(e, errno, "cannot read rules file '%s'", path);
		return -1;
	}
	while (getline(&line, &cap, f) >= 0) {
		char *s = trim(line), *arg;
		size_t wlen;

		lineno++;
		if (!*s || *s == '#')
			continue;
		wlen = strcspn(s, " \t");
		arg = trim(s + wlen);
		s[wlen] = '\0';
		buf_setlen(&origin, 0);
		buf_addf(&origin, "%s:%zu", path, lineno);
		if (!strcmp(s, "drop") || !strcmp(s, "keep")) {
			if (!*arg) {
				err_set(e, "%s: '%s' needs a glob", origin.p, s);
				goto out;
			}
			if (rules_add_glob(r, s[0] == 'k', arg, origin.p, &sub) < 0)
				goto sub_failed;
		} else if (!strcmp(s, "preset")) {
			if (!*arg || arg[strcspn(arg, " \t")]) {
				err_set(e, "%s: 'preset' needs one name", origin.p);
				goto out;
			}
			if (rules_add_preset(r, arg, &sub) < 0)
				goto sub_failed;
		} else {
			err_set(e, "%s: unknown directive '%s' (expected drop, keep or preset)",
				origin.p, s);
			goto out;
		}
	}
	if (ferror(f)) {
		err_errno(e, errno, "cannot read rules file '%s'", path);
		goto out;
	}
	ret = 0;
	goto out;
sub_failed:
	err_set(e, "%s: %s", origin.p, sub.msg);
out:
	err_release(&sub);
	buf_release(&origin);
	free(line);
	fclose(f);
	return ret;
}

void rules_set_machine(struct rules *r, unsigned machine)
{
	r->machine = machine;
}

int rules_set_arch(struct rules *r, const char *arch, struct err *e)
{
	static const struct {
		const char *name;
		unsigned em;
	} arches[] = {
		{ "amd64", EM_X86_64 }, { "x86_64", EM_X86_64 }, { "x86-64", EM_X86_64 },
		{ "386", EM_386 }, { "i386", EM_386 }, { "i486", EM_386 }, { "i586", EM_386 },
		{ "i686", EM_386 }, { "x86", EM_386 },
		{ "arm64", EM_AARCH64 }, { "aarch64", EM_AARCH64 },
		{ "arm", EM_ARM }, { "armhf", EM_ARM }, { "armel", EM_ARM },
		{ "armv6l", EM_ARM }, { "armv7l", EM_ARM },
		{ "ppc64le", EM_PPC64 }, { "ppc64el", EM_PPC64 }, { "ppc64", EM_PPC64 },
		{ "powerpc64", EM_PPC64 }, { "ppc", EM_PPC }, { "powerpc", EM_PPC },
		{ "s390x", EM_S390 }, { "s390", EM_S390 }, { "riscv64", EM_RISCV },
		{ "mips", EM_MIPS }, { "mipsle", EM_MIPS }, { "mipsel", EM_MIPS },
		{ "mips64", EM_MIPS }, { "mips64le", EM_MIPS }, { "mips64el", EM_MIPS },
#ifdef EM_LOONGARCH
		{ "loong64", EM_LOONGARCH }, { "loongarch64", EM_LOONGARCH },
#endif
		{ "sparc64", EM_SPARCV9 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(arches); i++) {
		if (!strcmp(arch, arches[i].name)) {
			r->machine = arches[i].em;
			return 0;
		}
	}
	err_set(e, "unknown architecture '%s'", arch);
	return -1;
}

size_t rules_count(const struct rules *r)
{
	return r->n;
}

const char *rules_name(const struct rules *r, int rule)
{
	if (rule < 0 || (size_t)rule >= r->n)
		return NULL;
	return r->v[rule].name;
}

bool rules_is_keep(const struct rules *r, int rule)
{
	return rule >= 0 && (size_t)rule < r->n && r->v[rule].act != ACT_DROP;
}

void rules_list(const struct rules *r, FILE *f)
{
	static const char *const targets[] = { "any", "file", "dir" };
	int wp = 0, wo = 0;
	size_t i;

	for (i = 0; i < r->n; i++) {
		int lp = (int)strlen(r->v[i].pattern), lo = (int)strlen(r->v[i].origin);

		wp = lp > wp ? lp : wp;
		wo = lo > wo ? lo : wo;
	}
	for (i = 0; i < r->n; i++) {
		const struct rule *ru = &r->v[i];

		fprintf(f, "%-4s  %-*s  %-4s  %-*s  %s\n", ru->act == ACT_DROP ? "drop" : "keep",
			wp, ru->pattern, targets[ru->target], wo, ru->origin, ru->rationale);
	}
}

/* ---- the tree of nodes --------------------------------------------------- */

/* NULL when path is a normalized relative path, else what is wrong. */
static const char *bad_path(const char *p)
{
	const char *c = p;

	if (!*p)
		return "empty path";
	if (*p == '/')
		return "absolute path";
	for (;;) {
		size_t n = strcspn(c, "/");

		if (n == 0)
			return "empty component";
		if (n == 1 && c[0] == '.')
			return "'.' component";
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return "'..' component: outside the root";
		if (!c[n])
			return NULL;
		c += n + 1;
	}
}

static uint32_t *map_slot(struct dctx *d, const char *path, size_t len)
{
	size_t i = XXH3_64bits(path, len) & d->mapmask;

	for (;; i = (i + 1) & d->mapmask) {
		const struct node *nd;

		if (!d->map[i])
			return &d->map[i];
		nd = &d->nodes[d->map[i] - 1];
		if (nd->len == len && !memcmp(nd->path, path, len))
			return &d->map[i];
	}
}

static void map_grow(struct dctx *d)
{
	uint32_t *old = d->map;
	size_t oldcap = old ? d->mapmask + 1 : 0, cap = 64, i;

	while (cap < 2 * (d->nnodes + 1))
		cap *= 2;
	if (cap <= oldcap)
		return;
	d->map = xcalloc(cap, sizeof(*d->map));
	d->mapmask = cap - 1;
	for (i = 0; i < oldcap; i++) {
		if (old[i]) {
			const struct node *nd = &d->nodes[old[i] - 1];

			*map_slot(d, nd->path, nd->len) = old[i];
		}
	}
	free(old);
}

static int32_t map_get(struct dctx *d, const char *path, size_t len)
{
	uint32_t v = *map_slot(d, path, len);

	return v ? (int32_t)v - 1 : -1;
}

static uint32_t node_push(struct dctx *d, const char *path, size_t len, bool owned)
{
	struct node *nd;
	const char *slash;

	xgrow(&d->nodes, &d->cap, d->nnodes + 1, sizeof(*d->nodes));
	nd = &d->nodes[d->nnodes];
	memset(nd, 0, sizeof(*nd));
	nd->path = owned ? xstrndup(path, len) : path;
	nd->len = (uint32_t)len;
	slash = memrchr(nd->path, '/', len);
	nd->name = slash ? slash + 1 : nd->path;
	nd->entry = -1;
	nd->type = RT_DIR;
	nd->flags = owned ? F_OWNED : 0;
	nd->own = nd->keep_rule = nd->vrule = -1;
	return (uint32_t)d->nnodes++;
}

/* The node of directory path[0..len), made (with its parents) if missing. */
static uint32_t dir_node(struct dctx *d, const char *path, size_t len)
{
	const char *slash;
	uint32_t i, p;
	int32_t got;

	if (!len)
		return 0;
	got = map_get(d, path, len);
	if (got >= 0)
		return (uint32_t)got;
	slash = memrchr(path, '/', len);
	p = dir_node(d, path, slash ? (size_t)(slash - path) : 0);
	if (2 * (d->nnodes + 1) > d->mapmask + 1)
		map_grow(d);
	i = node_push(d, path, len, true);
	*map_slot(d, d->nodes[i].path, len) = i + 1;
	d->nodes[i].parent = p;
	return i;
}

/* Does nd make its directory a regular package?  __init__.py, a legacy
 * __init__.pyc, or a compiled __init__ extension module (Cython). */
static bool is_init(const struct node *nd)
{
	if (!is_filelike(nd) || strncmp(nd->name, "__init__.", 9))
		return false;
	return !strcmp(nd->name + 9, "py") || !strcmp(nd->name + 9, "pyc") ||
	       ends_with(nd->name, ".so") || ends_with(nd->name, ".pyd");
}

static int build_tree(struct dctx *d, const struct rules_entry *ents, size_t n, struct err *e)
{
	size_t i, k, *count = NULL;
	uint32_t maxdepth = 0;

	if (n >= INT32_MAX / 2) {
		err_set(e, "too many entries (%zu)", n);
		return -1;
	}
	node_push(d, "", 0, false); /* the root */
	for (i = 0; i < n; i++) {
		const char *bad = bad_path(ents[i].path);
		size_t len = strlen(ents[i].path);
		uint32_t ni;

		if (bad) {
			err_set(e, "invalid entry path '%s': %s", ents[i].path, bad);
			return -1;
		}
		if (len >= UINT32_MAX) {
			err_set(e, "entry path too long");
			return -1;
		}
		ni = node_push(d, ents[i].path, len, false);
		d->nodes[ni].entry = (int32_t)i;
		d->nodes[ni].type = (uint8_t)ents[i].type;
		if (ents[i].type == RT_WHITEOUT || !strncmp(d->nodes[ni].name, ".wh.", 4))
			d->nodes[ni].flags |= F_WHITEOUT;
	}
	map_grow(d);
	for (i = 1; i <= n; i++)
		*map_slot(d, d->nodes[i].path, d->nodes[i].len) = (uint32_t)i + 1;
	for (i = 1; i <= n; i++) {
		const char *path = d->nodes[i].path, *slash;
		size_t len = d->nodes[i].len;
		uint32_t parent;

		slash = memrchr(path, '/', len);
		/* dir_node() may move the nodes */
		parent = dir_node(d, path, slash ? (size_t)(slash - path) : 0);
		d->nodes[i].parent = parent;
	}
	/* depth: one more than the parent's (the root's is 0).  Parents may
	 * come after their children, so walk up to the first node with a
	 * depth and fill in the chain: each node is filled once. */
	for (i = 1; i < d->nnodes; i++) {
		struct node *nd = &d->nodes[i];
		uint32_t j, up = 0, dep;

		if (is_init(nd))
			d->nodes[nd->parent].flags |= F_PKG;
		for (j = (uint32_t)i; j && !d->nodes[j].depth; j = d->nodes[j].parent)
			up++;
		dep = d->nodes[j].depth + up;
		maxdepth = dep > maxdepth ? dep : maxdepth;
		for (j = (uint32_t)i; j && !d->nodes[j].depth; j = d->nodes[j].parent)
			d->nodes[j].depth = dep--;
	}
	count = xcalloc(maxdepth + 2, sizeof(*count));
	for (i = 0; i < d->nnodes; i++)
		count[d->nodes[i].depth + 1]++;
	for (k = 1; k <= maxdepth + 1; k++)
		count[k] += count[k - 1];
	d->order = xmalloc(d->nnodes * sizeof(*d->order));
	for (i = 0; i < d->nnodes; i++)
		d->order[count[d->nodes[i].depth]++] = (uint32_t)i;
	free(count);
	return 0;
}

/* ---- P1: structure ------------------------------------------------------- */

static bool is_stdlib_dir(const struct dctx *d, const struct node *nd)
{
	const struct node *p = parent_of(d, nd);

	return is_dir(nd) && !fnmatch("python[0-9]*.[0-9]*", nd->name, 0) &&
	       (!strcmp(p->name, "lib") || !strcmp(p->name, "lib64"));
}

static void structure(struct dctx *d)
{
	static const char *const tpl[] = {
		"template", "templates", "skeleton", "boilerplate", NULL
	};
	static const char *const toolchain[] = { "gcc", "gcc-cross", "clang", "rustlib", NULL };
	size_t k;

	for (k = 1; k < d->nnodes; k++) {
		uint32_t i = d->order[k];
		struct node *nd = &d->nodes[i];
		const struct node *p = parent_of(d, nd);

		if (nd->flags & F_WHITEOUT)
			continue;
		/* import roots: the stdlib, site-packages, or else the directory
		 * above the topmost package (a sys.path entry) */
		if (is_dir(nd) && (!strcmp(nd->name, "site-packages") ||
				   !strcmp(nd->name, "dist-packages")))
			nd->rootkind = RK_SITE;
		else if (is_stdlib_dir(d, nd))
			nd->rootkind = RK_STD;
		nd->nearkind = p->rootkind ? p->rootkind : p->nearkind;
		if (p->rootkind)
			nd->pyroot = nd->parent;
		else if (nd->parent && ((p->flags & F_PKG) || p->nearkind))
			nd->pyroot = p->pyroot;
		else
			nd->pyroot = nd->parent;

		if (is_dir(nd) && in_list(nd->name, py_test_names) &&
		    ((p->flags & F_PKG) || p->rootkind || nd->nearkind == RK_STD))
			nd->flags |= F_TESTDIR;
		if ((nd->flags & F_TESTDIR) || (p->flags & F_INTEST))
			nd->flags |= F_INTEST;
		if ((p->flags & F_META) || !fnmatch("*.dist-info", nd->name, 0) ||
		    !fnmatch("*.egg-info", nd->name, 0))
			nd->flags |= F_META;

		if (is_dir(nd) && !strcmp(nd->name, "node_modules"))
			nd->nm = NM_DIR;
		else if (p->nm == NM_DIR)
			nd->nm = nd->name[0] == '@' && is_dir(nd) ? NM_SCOPE : NM_PKGROOT;
		else if (p->nm == NM_SCOPE)
			nd->nm = NM_PKGROOT;
		else if (p->nm == NM_PKGROOT || p->nm == NM_INPKG)
			nd->nm = NM_INPKG;
		if (nd->nm == NM_INPKG && ((p->flags & F_TEMPLATE) ||
					   (is_dir(nd) && in_list(nd->name, tpl))))
			nd->flags |= F_TEMPLATE;
		if ((p->flags & F_TOOLCHAIN) ||
		    (is_dir(nd) && (in_list(nd->name, toolchain) ||
				    (!strcmp(nd->name, "pkg") && !strncmp(p->name, "go", 2)))))
			nd->flags |= F_TOOLCHAIN;
		if ((p->flags & F_FIRMWARE) || !strcmp(nd->path, "lib/firmware") ||
		    !strcmp(nd->path, "usr/lib/firmware"))
			nd->flags |= F_FIRMWARE;

		if (is_filelike(nd) && (ends_with(nd->name, ".pyc") || ends_with(nd->name, ".pyo"))) {
			/* __pycache__/mod.cpython-311.opt-1.pyc -> ../mod.py;
			 * mod.pyc -> mod.py */
			struct buf *b = &d->tmp;
			int32_t src;

			buf_setlen(b, 0);
			if (!strcmp(p->name, "__pycache__")) {
				const struct node *gp = parent_of(d, p);

				if (gp->len)
					buf_addf(b, "%s/", gp->path);
				buf_add(b, nd->name, strcspn(nd->name, "."));
				buf_adds(b, ".py");
			} else {
				buf_add(b, nd->path, nd->len - 1);
			}
			src = map_get(d, b->p, b->len);
			if (src < 0 || is_dir(&d->nodes[src]) ||
			    (d->nodes[src].flags & F_WHITEOUT))
				nd->flags |= F_SOURCELESS;
		}
	}
}

/* ---- P2: content ---------------------------------------------------------- */

static ssize_t dread(struct dctx *d, uint32_t i, size_t max, unsigned char **buf)
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

/* Module path of node i below its import root, dots for slashes, into b
 * (the root itself gives ""). */
static void module_name(const struct dctx *d, uint32_t i, struct buf *b)
{
	const struct node *nd = &d->nodes[i], *root = &d->nodes[nd->pyroot];
	size_t k, start = b->len;

	if (i == nd->pyroot || i == 0)
		return;
	buf_add(b, nd->path + (root->len ? root->len + 1 : 0),
		nd->len - (root->len ? root->len + 1 : 0));
	for (k = start; k < b->len; k++)
		if (b->p[k] == '/')
			b->p[k] = '.';
}

/* The distribution node i belongs to, as a key: its import root, and in
 * site-packages the top-level name as well. */
static void dist_key(const struct dctx *d, uint32_t i, struct buf *b)
{
	const struct node *nd = &d->nodes[i], *root = &d->nodes[nd->pyroot];

	buf_setlen(b, 0);
	buf_addf(b, "%u:", nd->pyroot);
	if (root->rootkind == RK_SITE) {
		const char *top = nd->path + (root->len ? root->len + 1 : 0);
		size_t n = strcspn(top, "/");

		if (!top[n] && n > 3 && !memcmp(top + n - 3, ".py", 3))
			n -= 3;
		buf_add(b, top, n);
	}
}

/* ---- the test packages in question ----------------------------------------- */

/*
 * The module names whose import is in question (the test packages, such as
 * "pkg.tests") are known before any source is read.  So an imported name is
 * not stored with all its dotted prefixes (L^2/4 bytes for a name of L
 * bytes, and a hash of each prefix): one streaming hash runs along it and
 * is read at every dot, and each prefix is looked up among these names.  A
 * name of L bytes costs O(L), however many dots it has.  The hash is seeded
 * at random, so that crafted names cannot make every prefix collide.
 */
struct wanted {
	char **name;
	XXH64_hash_t *hash;
	size_t n, cap;
	uint32_t *slot; /* name index + 1; 0: empty */
	size_t mask;
	XXH64_hash_t seed;
};

/* Is name k the string a[0..alen) followed by b, n bytes in all? */
static bool wanted_is(const struct wanted *w, size_t k, const char *a, size_t alen, const char *b,
		      size_t n)
{
	const char *x = w->name[k];
	size_t head = n < alen ? n : alen;

	return strlen(x) == n && !memcmp(x, a, head) && !memcmp(x + head, b, n - head);
}

/* The index of the name (a, then b; n bytes) of hash h, or -1. */
static long wanted_find(const struct wanted *w, XXH64_hash_t h, const char *a, size_t alen,
			const char *b, size_t n)
{
	size_t i;

	if (!w->n)
		return -1;
	for (i = h & w->mask; w->slot[i]; i = (i + 1) & w->mask) {
		size_t k = w->slot[i] - 1;
		if (w->hash[k] == h && wanted_is(w, k, a, alen, b, n))
			return (long)k;
	}
	return -1;
}

static void wanted_add(struct wanted *w, const char *name)
{
	size_t len = strlen(name), i;
	XXH64_hash_t h = XXH3_64bits_withSeed(name, len, w->seed);

	if (wanted_find(w, h, name, len, "", len) >= 0)
		return;
	xgrow(&w->name, &w->cap, w->n + 1, sizeof(*w->name));
	w->hash = xrealloc(w->hash, w->cap * sizeof(*w->hash));
	w->name[w->n] = xstrdup(name);
	w->hash[w->n] = h;
	w->n++;
	if (2 * w->n > w->mask + 1 || !w->slot) { /* rebuild, twice the size */
		size_t cap = w->slot ? 2 * (w->mask + 1) : 64, k;
		free(w->slot);
		w->slot = xcalloc(cap, sizeof(*w->slot));
		w->mask = cap - 1;
		for (k = 0; k < w->n; k++) {
			for (i = w->hash[k] & w->mask; w->slot[i]; i = (i + 1) & w->mask)
				;
			w->slot[i] = (uint32_t)k + 1;
		}
		return;
	}
	for (i = h & w->mask; w->slot[i]; i = (i + 1) & w->mask)
		;
	w->slot[i] = (uint32_t)w->n;
}

static void wanted_release(struct wanted *w)
{
	size_t k;

	for (k = 0; k < w->n; k++)
		free(w->name[k]);
	free(w->name);
	free(w->hash);
	free(w->slot);
	memset(w, 0, sizeof(*w));
}

/* What one scan found: a byte per wanted name, set when it is imported. */
struct hits {
	const struct wanted *w;
	unsigned char *hit;
	XXH3_state_t *st, *base;
};

static void hits_init(struct hits *hs, const struct wanted *w)
{
	hs->w = w;
	hs->hit = xcalloc(w->n ? w->n : 1, 1);
	hs->st = XXH3_createState();
	hs->base = XXH3_createState();
	if (!hs->st || !hs->base)
		xoom();
}

static void hits_release(struct hits *hs)
{
	free(hs->hit);
	XXH3_freeState(hs->st);
	XXH3_freeState(hs->base);
}

/* Look up a.b[0..n) (a: alen bytes), whose hash is in hs->st now. */
static void hit_at(struct hits *hs, const char *a, size_t alen, const char *b, size_t n)
{
	long k = wanted_find(hs->w, XXH3_64bits_digest(hs->st), a, alen, b, n);

	if (k >= 0)
		hs->hit[k] = 1;
}

/*
 * hs->st holds the hash of a[0..alen).  Feed b[0..blen) into it and look up
 * the name a.b up to every dot in b, and whole unless it ends with a dot:
 * the module and every package it is in.
 */
static void feed(struct hits *hs, const char *a, size_t alen, const char *b, size_t blen)
{
	size_t k, run = 0;

	for (k = 0; k < blen; k++) {
		if (b[k] != '.')
			continue;
		XXH3_64bits_update(hs->st, b + run, k - run);
		run = k;
		if (alen + k)
			hit_at(hs, a, alen, b, alen + k);
	}
	XXH3_64bits_update(hs->st, b + run, blen - run);
	if (blen && b[blen - 1] != '.')
		hit_at(hs, a, alen, b, alen + blen);
}

/* An import of name (and so of every package it is in). */
static void add_module(struct hits *hs, const char *s, size_t len)
{
	if (!hs->w->n)
		return;
	XXH3_64bits_reset_withSeed(hs->st, hs->w->seed);
	feed(hs, "", 0, s, len);
}

/* Resolve a possibly relative module name against the package of the
 * scanned module; false when it climbs above the top. */
static bool resolve(const char *pkg, const char *s, size_t len, struct buf *out)
{
	size_t level = 0, plen = strlen(pkg);

	buf_setlen(out, 0);
	while (level < len && s[level] == '.')
		level++;
	if (!level) {
		buf_add(out, s, len);
		return len > 0;
	}
	if (!plen)
		return false; /* a top-level module has no package */
	while (--level) {
		const char *dot = memrchr(pkg, '.', plen);

		if (!dot)
			return false; /* beyond the top-level package */
		plen = (size_t)(dot - pkg);
	}
	while (len && *s == '.')
		s++, len--;
	buf_add(out, pkg, plen);
	if (plen && len)
		buf_addch(out, '.');
	buf_add(out, s, len);
	return out->len > 0;
}

enum { TK_WORD, TK_STR, TK_PUNCT };
struct tok {
	int kind;
	const char *s;
	size_t len;
};

static bool tok_is(const struct tok *t, size_t nt, size_t k, const char *w)
{
	return k < nt && t[k].kind == TK_WORD && t[k].len == strlen(w) &&
	       !memcmp(t[k].s, w, t[k].len);
}

static bool tok_punct(const struct tok *t, size_t nt, size_t k, char c)
{
	return k < nt && t[k].kind == TK_PUNCT && t[k].s[0] == c;
}

static bool word_char(unsigned char c)
{
	return c == '_' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/* Tokenize one logical line (comments already gone) into *t. */
static size_t py_tokens(const char *s, struct tok **t, size_t *cap)
{
	size_t nt = 0;

	while (*s) {
		struct tok tk;

		if (*s == ' ' || *s == '\t') {
			s++;
			continue;
		}
		if (word_char((unsigned char)*s)) {
			tk.kind = TK_WORD;
			tk.s = s;
			while (word_char((unsigned char)*s))
				s++;
			tk.len = (size_t)(s - tk.s);
		} else if (*s == '\'' || *s == '"') {
			char q = *s;
			bool triple = s[1] == q && s[2] == q;

			s += triple ? 3 : 1;
			tk.kind = TK_STR;
			tk.s = s;
			while (*s && !(*s == q && (!triple || (s[1] == q && s[2] == q)))) {
				if (*s == '\\' && s[1])
					s++;
				s++;
			}
			tk.len = (size_t)(s - tk.s);
			if (*s)
				s += triple ? 3 : 1;
		} else {
			tk.kind = TK_PUNCT;
			tk.s = s++;
			tk.len = 1;
		}
		xgrow(t, cap, nt + 1, sizeof(**t));
		(*t)[nt++] = tk;
	}
	return nt;
}

struct pyscan {
	struct hits *hits;
	const char *pkg;   /* package of the module being scanned */
	struct tok *t;
	size_t tcap;
	struct buf mod, full;
	int skip;          /* indentation of the def or __main__ block skipped, or -1 */
};

/* The import statements of one logical line. */
static void py_imports(struct pyscan *ps, const char *line)
{
	size_t nt = py_tokens(line, &ps->t, &ps->tcap), k = 0;
	const struct tok *t = ps->t;

	while (k < nt) {
		if (tok_is(t, nt, k, "from") && k + 2 < nt && t[k + 1].kind == TK_WORD &&
		    tok_is(t, nt, k + 2, "import")) {
			bool ok = resolve(ps->pkg, t[k + 1].s, t[k + 1].len, &ps->mod);

			if (ok) {
				/* the module, then each name from it: mod's hash once */
				add_module(ps->hits, ps->mod.p, ps->mod.len);
				XXH3_copyState(ps->hits->base, ps->hits->st);
			}
			for (k += 3; k < nt;) {
				if (tok_punct(t, nt, k, '(') || tok_punct(t, nt, k, ')') ||
				    tok_punct(t, nt, k, ',')) {
					k++;
				} else if (t[k].kind == TK_WORD && !tok_is(t, nt, k, "as")) {
					if (ok && ps->hits->w->n) {
						buf_setlen(&ps->full, 0);
						buf_addch(&ps->full, '.');
						buf_add(&ps->full, t[k].s, t[k].len);
						XXH3_copyState(ps->hits->st, ps->hits->base);
						feed(ps->hits, ps->mod.p, ps->mod.len, ps->full.p,
						     ps->full.len);
					}
					k++;
					if (tok_is(t, nt, k, "as"))
						k += 2;
				} else {
					break;
				}
			}
			continue;
		}
		if (tok_is(t, nt, k, "import")) {
			for (k++; k < nt && t[k].kind == TK_WORD;) {
				if (t[k].s[0] != '.')
					add_module(ps->hits, t[k].s, t[k].len);
				k++;
				if (tok_is(t, nt, k, "as"))
					k += 2;
				if (!tok_punct(t, nt, k, ','))
					break;
				k++;
			}
			continue;
		}
		/* importlib.import_module("x.y"), __import__("x.y") */
		if (t[k].kind == TK_WORD && tok_punct(t, nt, k + 1, '(') && k + 2 < nt &&
		    t[k + 2].kind == TK_STR &&
		    ((t[k].len >= 13 && !memcmp(t[k].s + t[k].len - 13, "import_module", 13)) ||
		     tok_is(t, nt, k, "__import__"))) {
			if (resolve(ps->pkg, t[k + 2].s, t[k + 2].len, &ps->mod))
				add_module(ps->hits, ps->mod.p, ps->mod.len);
			k += 3;
			continue;
		}
		k++;
	}
}

static bool starts_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	return !strncmp(s, w, n) && !word_char((unsigned char)s[n]);
}

/* One logical line at indentation indent.  Imports in function bodies and
 * in "if __name__ == '__main__':" blocks do not run at import time. */
static void py_line(struct pyscan *ps, const char *line, int indent)
{
	if (!*line)
		return;
	if (ps->skip >= 0) {
		if (indent > ps->skip)
			return;
		ps->skip = -1;
	}
	if (starts_word(line, "def") ||
	    (starts_word(line, "async") && starts_word(line + 5 + strspn(line + 5, " \t"), "def")) ||
	    (starts_word(line, "if") && strstr(line, "__name__") && strstr(line, "__main__"))) {
		ps->skip = indent;
		return;
	}
	py_imports(ps, line);
}

/* The length of the run at s[0..n) free of the lexer's special characters
 * (and of NUL); at least 1. */
static size_t plain_run(const char *s, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		switch (s[k]) {
		case '\0': case '\n': case '\r': case '#': case '\'': case '"': case '\\':
		case '(': case ')': case '[': case ']': case '{': case '}':
			return k ? k : 1;
		default:
			break;
		}
	}
	return k ? k : 1;
}

/*
 * Mark in hits the wanted modules that src[0..n) imports at import time.
 * A line-based lexer: logical lines join brackets and backslashes;
 * strings are kept whole (their newlines turn to spaces) so that neither
 * a docstring nor a '#' in a string confuses the indentation tracking;
 * comments are dropped.
 */
static void py_scan(struct hits *hits, const char *pkg, const char *src, size_t n)
{
	struct pyscan ps = { hits, pkg, NULL, 0, BUF_INIT, BUF_INIT, -1 };
	struct buf line = BUF_INIT;
	size_t i = 0;
	int depth = 0, indent = 0;
	bool bol = true;

	while (i < n) {
		char c = src[i];

		if (bol) {
			indent = 0;
			while (i < n && (src[i] == ' ' || src[i] == '\t' || src[i] == '\f')) {
				indent = src[i] == '\t' ? (indent / 8 + 1) * 8 : indent + 1;
				i++;
			}
			bol = false;
			continue;
		}
		if (c == '#') {
			while (i < n && src[i] != '\n')
				i++;
			continue;
		}
		if (c == '\'' || c == '"') {
			bool triple = i + 2 < n && src[i + 1] == c && src[i + 2] == c;
			size_t q = triple ? 3 : 1, start = i + q, end, k;

			/* find the end: the closing quote, or for a short string an
			 * unescaped newline */
			for (end = start; end < n; end++) {
				if (src[end] == '\\') {
					end++;
					continue;
				}
				if (src[end] == c && (!triple || (end + 2 < n && src[end + 1] == c &&
								   src[end + 2] == c)))
					break;
				if (src[end] == '\n' && !triple)
					break;
			}
			if (end > n)
				end = n;
			/* Only short strings can name a module (import_module("x")):
			 * long ones, docstrings mostly, go in empty. */
			buf_add(&line, src + i, q);
			if (end - start <= 256)
				for (k = start; k < end; k++)
					buf_addch(&line, src[k] == '\n' || src[k] == '\r' ||
						  src[k] == '\0' ? ' ' : src[k]);
			i = end;
			if (i < n && src[i] == c) {
				buf_add(&line, src + i, q);
				i += q;
			}
			continue;
		}
		if (c == '\\' && i + 1 < n && (src[i + 1] == '\n' || src[i + 1] == '\r')) {
			i += src[i + 1] == '\r' && i + 2 < n && src[i + 2] == '\n' ? 3 : 2;
			buf_addch(&line, ' ');
			continue;
		}
		if (c == '(' || c == '[' || c == '{')
			depth++;
		else if ((c == ')' || c == ']' || c == '}') && depth > 0)
			depth--;
		if (c == '\n' && !depth) {
			py_line(&ps, line.p, indent);
			buf_setlen(&line, 0);
			bol = true;
			i++;
			continue;
		}
		if (c == '\n' || c == '\r' || c == '\0' || c == '(' || c == '[' || c == '{' ||
		    c == ')' || c == ']' || c == '}' || c == '\\') {
			buf_addch(&line, c == '\n' || c == '\r' || c == '\0' ? ' ' : c);
			i++;
			continue;
		}
		/* a run of characters that need no care */
		{
			size_t j = i + plain_run(src + i, n - i);

			buf_add(&line, src + i, j - i);
			i = j;
		}
	}
	py_line(&ps, line.p, indent);
	buf_release(&line);
	buf_release(&ps.mod);
	buf_release(&ps.full);
	free(ps.t);
}

static bool is_test_module(const char *name)
{
	return !strcmp(name, "conftest.py") || !strncmp(name, "test_", 5) ||
	       ends_with(name, "_test.py");
}

/*
 * Which test packages does a non-test module import?  Only the
 * distributions holding a test directory are scanned; a module that
 * cannot be read (or exists only as byte-code) keeps that distribution's
 * test packages.
 */
/* Sources scanned by one job: its own sets, merged afterwards. */
struct scan_part {
	struct dctx *d;
	const uint32_t *idx;
	size_t from, to;
	struct hits hits;
	struct sset unknown;
};

#define SCAN_PART 64 /* sources a job */

static void scan_part(void *ctx, size_t k)
{
	struct scan_part *p = &((struct scan_part *)ctx)[k];
	struct buf key = BUF_INIT, pkg = BUF_INIT;
	size_t j;

	for (j = p->from; j < p->to; j++) {
		uint32_t i = p->idx[j];
		unsigned char *src = NULL;
		ssize_t got = dread(p->d, i, SIZE_MAX, &src);

		if (got < 0) {
			dist_key(p->d, i, &key);
			sset_add(&p->unknown, key.p, key.len);
			continue;
		}
		buf_setlen(&pkg, 0);
		module_name(p->d, p->d->nodes[i].parent, &pkg);
		py_scan(&p->hits, pkg.p, (const char *)src, (size_t)got);
		free(src);
	}
	buf_release(&key);
	buf_release(&pkg);
}

static void sset_merge(struct sset *into, struct sset *from)
{
	size_t i;

	for (i = 0; i < from->cap; i++)
		if (from->slot[i])
			sset_add(into, from->slot[i], strlen(from->slot[i]));
	sset_release(from);
}

/*
 * Which test packages does a non-test module import?  Only the
 * distributions holding a test directory are scanned; a module that
 * cannot be read (or exists only as byte-code) keeps that distribution's
 * test packages.  The sources are read and scanned in parts, on d->jobs
 * threads; the sets they make are merged, so the outcome is the same for
 * any number.
 */
static void scan_imports(struct dctx *d)
{
	struct sset dists = { NULL, 0, 0 }, unknown = { NULL, 0, 0 };
	struct wanted w = { 0 };
	struct buf key = BUF_INIT, pkg = BUF_INIT;
	struct scan_part *parts = NULL;
	uint32_t *idx = NULL;
	unsigned char *hit = NULL;
	size_t i, k, nidx = 0, nparts;

	if (getrandom(&w.seed, sizeof(w.seed), 0) != sizeof(w.seed))
		w.seed = (XXH64_hash_t)(uintptr_t)&w ^ (XXH64_hash_t)getpid();
	for (i = 1; i < d->nnodes; i++) {
		if (d->nodes[i].flags & F_TESTDIR) {
			dist_key(d, (uint32_t)i, &key);
			sset_add(&dists, key.p, key.len);
			buf_setlen(&pkg, 0);
			module_name(d, (uint32_t)i, &pkg);
			wanted_add(&w, pkg.p);
		}
	}
	if (!dists.n)
		goto out;
	idx = xmalloc(d->nnodes * sizeof(*idx));
	for (i = 1; i < d->nnodes; i++) {
		const struct node *nd = &d->nodes[i];
		bool py = ends_with(nd->name, ".py"), pyc = (nd->flags & F_SOURCELESS) &&
			strcmp(parent_of(d, nd)->name, "__pycache__");

		if (nd->type != RT_FILE || (nd->flags & (F_INTEST | F_WHITEOUT)) ||
		    (!py && !pyc) || is_test_module(nd->name))
			continue;
		dist_key(d, (uint32_t)i, &key);
		if (!sset_has(&dists, key.p))
			continue;
		if (pyc)
			sset_add(&unknown, key.p, key.len);
		else
			idx[nidx++] = (uint32_t)i;
	}
	nparts = (nidx + SCAN_PART - 1) / SCAN_PART;
	parts = xcalloc(nparts ? nparts : 1, sizeof(*parts));
	for (i = 0; i < nparts; i++) {
		parts[i].d = d;
		parts[i].idx = idx;
		parts[i].from = i * SCAN_PART;
		parts[i].to = i + 1 < nparts ? (i + 1) * SCAN_PART : nidx;
		hits_init(&parts[i].hits, &w);
	}
	if (d->jobs > 1)
		pool_run(d->jobs, nparts, scan_part, parts, NULL);
	else
		for (i = 0; i < nparts; i++)
			scan_part(parts, i);
	hit = xcalloc(w.n ? w.n : 1, 1);
	for (i = 0; i < nparts; i++) {
		for (k = 0; k < w.n; k++)
			hit[k] |= parts[i].hits.hit[k];
		hits_release(&parts[i].hits);
		sset_merge(&unknown, &parts[i].unknown);
	}
	for (i = 1; i < d->nnodes; i++) {
		struct node *nd = &d->nodes[i];
		long at;

		if (!(nd->flags & F_TESTDIR))
			continue;
		buf_setlen(&pkg, 0);
		module_name(d, (uint32_t)i, &pkg);
		dist_key(d, (uint32_t)i, &key);
		at = wanted_find(&w, XXH3_64bits_withSeed(pkg.p, pkg.len, w.seed), pkg.p, pkg.len, "",
				 pkg.len);
		if (at >= 0 && hit[at])
			nd->flags |= F_IMPORTED;
		else if (sset_has(&unknown, key.p))
			nd->flags |= F_UNSCANNED;
	}
out:
	free(idx);
	free(parts);
	free(hit);
	buf_release(&key);
	buf_release(&pkg);
	sset_release(&dists);
	sset_release(&unknown);
	wanted_release(&w);
}

static void static_magic(struct dctx *d)
{
	static const char *const libdirs[] = { "lib", "lib32", "lib64", "libx32", NULL };
	size_t i;

	for (i = 1; i < d->nnodes; i++) {
		struct node *nd = &d->nodes[i];
		const struct node *p = parent_of(d, nd);
		unsigned char *h;
		ssize_t got;

		if (nd->type != RT_FILE || (nd->flags & F_WHITEOUT))
			continue;
		if (ends_with(nd->name, ".a")) {
			got = dread(d, (uint32_t)i, 8, &h);
			if (got == 8 && (!memcmp(h, "!<arch>\n", 8) || !memcmp(h, "!<thin>\n", 8)))
				nd->flags |= F_AR;
			free(h);
		} else if (ends_with(nd->name, ".la") &&
			   (in_list(p->name, libdirs) ||
			    (!fnmatch("*-linux-*", p->name, 0) &&
			     in_list(parent_of(d, p)->name, libdirs)))) {
			got = dread(d, (uint32_t)i, 512, &h);
			if (got > 0 && memmem(h, (size_t)got, "libtool library file", 20))
				nd->flags |= F_LA;
			free(h);
		}
	}
}

static uint32_t rd32(const unsigned char *p, bool be)
{
	return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		  : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint16_t rd16(const unsigned char *p, bool be)
{
	return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

/* CPU families that run each other's code (a 64-bit kernel runs the
 * 32-bit variant); 0 for what is not a CPU we know (GPU code, BPF, ...),
 * which is never foreign. */
static unsigned cpu_family(unsigned em)
{
	switch (em) {
	case EM_386: case EM_X86_64: case EM_IAMCU: return 1;
	case EM_ARM: case EM_AARCH64: return 2;
	case EM_PPC: case EM_PPC64: return 3;
	case EM_SPARC: case EM_SPARC32PLUS: case EM_SPARCV9: return 4;
	case EM_MIPS: case EM_MIPS_RS3_LE: return 5;
	case EM_S390: return 6;
	case EM_RISCV: return 7;
	case EM_IA_64: return 8;
	case EM_68K: return 9;
	case EM_PARISC: return 10;
	case EM_SH: return 11;
	case EM_ALPHA: return 12;
#ifdef EM_LOONGARCH
	case EM_LOONGARCH: return 13;
#endif
	default: return 0;
	}
}

#define HEAD 1024

/* Classify the first bytes of a file: PE or Mach-O sets F_FOREIGN; an ELF
 * executable or shared object records its machine. */
static void classify(struct node *nd, const unsigned char *h, size_t n)
{
	static const char *const loaders[] = {
		"ld-linux*", "ld-musl-*", "ld64.so*", "ld.so.1", "libc.so*", "libc.musl*", NULL
	};

	if (n >= 20 && !memcmp(h, ELFMAG, SELFMAG) &&
	    (h[EI_CLASS] == ELFCLASS32 || h[EI_CLASS] == ELFCLASS64) &&
	    (h[EI_DATA] == ELFDATA2LSB || h[EI_DATA] == ELFDATA2MSB)) {
		bool be = h[EI_DATA] == ELFDATA2MSB;
		unsigned type = rd16(h + 16, be);

		if ((type == ET_EXEC || type == ET_DYN) && cpu_family(rd16(h + 18, be))) {
			nd->em = rd16(h + 18, be);
			nd->elfkind = glob_any(nd->name, loaders, 0) ? 2 : 1;
		}
		return;
	}
	if (n >= 8) {
		uint32_t m = rd32(h, true);

		if (m == 0xfeedface || m == 0xfeedfacf || m == 0xcefaedfe || m == 0xcffaedfe) {
			nd->flags |= F_FOREIGN;
			return;
		}
		/* A fat Mach-O counts its architectures where a Java class file
		 * has its version (major 45 or more) */
		if ((m == 0xcafebabe || m == 0xcafebabf) && rd32(h + 4, true) >= 1 &&
		    rd32(h + 4, true) < 45 && !ends_with(nd->name, ".class")) {
			nd->flags |= F_FOREIGN;
			return;
		}
	}
	if (n >= 64 && h[0] == 'M' && h[1] == 'Z') {
		uint32_t off = rd32(h + 0x3c, false);

		if (off >= 64 && off <= n - 4 && !memcmp(h + off, "PE\0\0", 4))
			nd->flags |= F_FOREIGN;
	}
}

/* The machine with the most votes, if it has more than half of them;
 * else 0. */
static unsigned majority(const struct dctx *d, int kind)
{
	unsigned cand = 0;
	size_t i, votes = 0, total = 0;

	/* Boyer-Moore vote, then a count to confirm */
	for (i = 1; i < d->nnodes; i++) {
		const struct node *nd = &d->nodes[i];

		if (nd->elfkind < kind)
			continue;
		if (!votes)
			cand = nd->em;
		votes += nd->em == cand ? 1 : (size_t)-1;
	}
	votes = 0;
	for (i = 1; i < d->nnodes; i++) {
		const struct node *nd = &d->nodes[i];

		if (nd->elfkind < kind)
			continue;
		total++;
		votes += nd->em == cand;
	}
	return 2 * votes > total ? cand : 0;
}

/* Names no executable or library has; their heads are not read. */
static bool not_binary(const char *name)
{
	static const char *const ext[] = {
		"py", "pyc", "pyi", "js", "mjs", "cjs", "ts", "json", "map", "h", "hpp", "c",
		"cc", "cpp", "txt", "md", "rst", "html", "htm", "css", "xml", "yml", "yaml",
		"svg", "png", "jpg", "jpeg", "gif", "gz", "xz", "bz2", "zst", "mo", "po",
		"pem", "crt", "pl", "pm", "rb", "sh", "go", "rs", "java", "class", "jar",
		"pyx", "pxd", "tcl", "csv", "toml", "cfg", "ini", "conf", "woff", "woff2",
		"ttf", "ico", NULL
	};
	const char *dot = strrchr(name, '.');

	return dot && in_list(dot + 1, ext);
}

static void foreign_magic(struct dctx *d)
{
	unsigned own = d->r->machine;
	size_t i;

	for (i = 1; i < d->nnodes; i++) {
		struct node *nd = &d->nodes[i];
		unsigned char *h;
		ssize_t got;

		if (nd->type != RT_FILE || (nd->flags & (F_WHITEOUT | F_FIRMWARE)))
			continue;
		if (nd->entry < 0 || d->ents[nd->entry].size < 64 || not_binary(nd->name))
			continue;
		got = dread(d, (uint32_t)i, HEAD, &h);
		if (got > 0)
			classify(nd, h, (size_t)got);
		free(h);
	}
	if (!own)
		own = majority(d, 2);
	if (!own)
		own = majority(d, 1);
	if (!own)
		return; /* no clear machine: leave every ELF file alone */
	for (i = 1; i < d->nnodes; i++) {
		struct node *nd = &d->nodes[i];

		if (nd->elfkind && cpu_family(nd->em) != cpu_family(own))
			nd->flags |= F_FOREIGN_ELF;
	}
}

/* ---- P3-P5: matching and verdicts ---------------------------------------- */

static bool target_ok(const struct rule *ru, const struct node *nd)
{
	switch (ru->target) {
	case T_DIR:
		return is_dir(nd);
	case T_FILE:
		return !is_dir(nd);
	case T_ANY:
		break;
	}
	return true;
}

static void match_node(struct dctx *d, uint32_t i)
{
	struct node *nd = &d->nodes[i];
	const struct node *p = parent_of(d, nd);
	int32_t *cr = &d->crule[(size_t)i * C_N], *pcr = &d->crule[(size_t)nd->parent * C_N];
	const char *safety_why = NULL;
	int32_t keep = -1, safety = -1;
	unsigned c, guard = 0, owned = 0;
	size_t k;

	/* what the parent hands down */
	for (c = 0; c < C_N; c++) {
		bool shielded = (p->dflags & D_KEEP_ALL) ||
				((p->dflags & D_SHIELD) && (p->guard & CB(c)));

		cr[c] = shielded ? -1 : pcr[c];
	}
	if (p->dflags & D_KEEP_ALL) {
		nd->dflags |= D_KEEP_ALL;
		return;
	}
	if (nd->flags & F_WHITEOUT) {
		nd->dflags |= D_PROT_SELF;
		nd->why = "whiteout";
		goto mask;
	}
	for (k = 0; k < d->r->n; k++) {
		const struct rule *ru = &d->r->v[k];
		bool hit;

		if (!target_ok(ru, nd) || (nd->type == RT_OTHER && !ru->comp))
			continue;
		if (ru->comp)
			hit = glob_match(d, ru, i);
		else if (ru->drop)
			hit = ru->drop(d, nd);
		else
			hit = false;
		switch (ru->act) {
		case ACT_DROP:
			if (!hit)
				break;
			if (nd->own < 0)
				nd->own = (int32_t)k;
			if (!(owned & CB(ru->cls))) /* its own match is nearer */
				cr[ru->cls] = (int32_t)k;
			owned |= CB(ru->cls);
			break;
		case ACT_KEEP:
			if (hit && keep < 0)
				keep = (int32_t)k;
			break;
		case ACT_SAFETY: {
			const char *why = ru->keep(d, nd);

			if (!why)
				break;
			guard |= ru->guard;
			if (safety < 0) {
				safety = (int32_t)k;
				safety_why = why;
			}
			break;
		}
		}
	}
mask:
	for (c = 0; c < C_N; c++)
		if (cr[c] >= 0)
			nd->mask |= (uint16_t)CB(c);
	if (nd->flags & F_WHITEOUT)
		return;
	if (keep >= 0) {
		const char *o = d->r->v[keep].origin;

		nd->dflags |= D_PROT_SELF | D_KEEP_ALL;
		nd->keep_rule = keep;
		nd->why = !strcmp(o, "--keep") ? "--keep" : "keep rule";
	} else if (safety >= 0 && nd->mask && !(nd->mask & ~guard)) {
		nd->dflags |= D_PROT_SELF | D_SHIELD;
		nd->guard = (uint16_t)guard;
		nd->keep_rule = safety;
		nd->why = safety_why;
	}
}

static void decide(struct dctx *d, struct rules_verdict *v)
{
	size_t k;

	d->crule = xmalloc(d->nnodes * C_N * sizeof(*d->crule));
	for (k = 0; k < C_N; k++)
		d->crule[k] = -1;
	for (k = 1; k < d->nnodes; k++)
		match_node(d, d->order[k]);
	for (k = d->nnodes; k-- > 1;) {
		struct node *nd = &d->nodes[d->order[k]];

		if (nd->dflags & D_PROT_SELF)
			nd->dflags |= D_PROT;
		if (nd->dflags & D_PROT)
			d->nodes[nd->parent].dflags |= D_PROT;
	}
	for (k = 1; k < d->nnodes; k++) {
		uint32_t i = d->order[k];
		struct node *nd = &d->nodes[i];
		const struct node *p = parent_of(d, nd);
		unsigned c;

		if (nd->dflags & D_PROT) {
			if (nd->mask) {
				if (!(nd->dflags & D_PROT_SELF)) {
					nd->why = "holds a kept entry";
					nd->keep_rule = -1;
				}
			} else {
				nd->why = NULL;
			}
		} else if (p->dflags & D_DROP) {
			nd->dflags |= D_DROP;
			nd->vrule = p->vrule;
		} else if (nd->mask) {
			nd->dflags |= D_DROP;
			nd->vrule = nd->own;
			for (c = 0; c < C_N && nd->vrule < 0; c++)
				nd->vrule = d->crule[(size_t)i * C_N + c];
		}
		if (nd->entry >= 0) {
			struct rules_verdict *out = &v[nd->entry];

			out->rule = nd->dflags & D_DROP ? nd->vrule : -1;
			out->keep_rule = nd->dflags & D_DROP ? -1 : nd->keep_rule;
			out->kept_on_purpose = !(nd->dflags & D_DROP) && nd->why && nd->mask;
			out->why = out->kept_on_purpose ? nd->why : NULL;
			if (!out->kept_on_purpose)
				out->keep_rule = nd->dflags & D_PROT_SELF ? nd->keep_rule : -1;
		}
	}
}

int rules_decide(const struct rules *r, const struct rules_entry *entries, size_t n,
		 rules_read_fn read, void *ctx, struct rules_verdict *v, struct err *e)
{
	return rules_decide_jobs(r, entries, n, read, ctx, 1, v, e);
}

int rules_decide_jobs(const struct rules *r, const struct rules_entry *entries, size_t n,
		      rules_read_fn read, void *ctx, int jobs, struct rules_verdict *v,
		      struct err *e)
{
	struct dctx d;
	size_t i;
	int ret = -1;

	memset(&d, 0, sizeof(d));
	d.r = r;
	d.ents = entries;
	d.read = read;
	d.rctx = ctx;
	d.jobs = jobs;
	d.comp_node = UINT32_MAX;
	buf_init(&d.compbuf);
	buf_init(&d.tmp);
	for (i = 0; i < n; i++) {
		v[i].rule = v[i].keep_rule = -1;
		v[i].kept_on_purpose = false;
		v[i].why = NULL;
	}
	if (build_tree(&d, entries, n, e) < 0)
		goto out;
	if (r->n) {
		structure(&d);
		if (r->needs & NEED_PYSCAN)
			scan_imports(&d);
		if (r->needs & NEED_STATIC)
			static_magic(&d);
		if (r->needs & NEED_FOREIGN)
			foreign_magic(&d);
		decide(&d, v);
	}
	ret = 0;
out:
	for (i = 0; i < d.nnodes; i++)
		if (d.nodes[i].flags & F_OWNED)
			free((char *)d.nodes[i].path);
	free(d.nodes);
	free(d.map);
	free(d.order);
	free(d.crule);
	free(d.comps);
	buf_release(&d.compbuf);
	buf_release(&d.tmp);
	return ret;
}
