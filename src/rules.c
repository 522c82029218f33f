/* rules.c - the removal rules: rule sets, presets, rules files.
 *
 * What a preset drops and what its safety rules keep is said here, as
 * predicates over the nodes that rules_decide() (rules_tree.c) builds and
 * marks; the flags they read are set in P1 (rules_tree.c) and P2
 * (rules_python.c, rules_magic.c).  rules_int.h says how the engine is
 * split.
 */
#include "rules.h"

#include <elf.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules_int.h"

/* ---- presets -------------------------------------------------------------- */

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
	/* NULL, or the only directories its drop rules match (with what is
	 * below them): a tree elsewhere gives it nothing to match */
	const char *const *anchors;
};

static const struct preset presets[] = {
	{ "python", r_python, ARRAY_SIZE(r_python), NEED_PYSCAN, NULL, NULL },
	{ "static-libs", r_static, ARRAY_SIZE(r_static), NEED_STATIC, NULL, NULL },
	{ "headers", r_headers, ARRAY_SIZE(r_headers), 0, NULL, include_dirs },
	{ "docs", r_docs, ARRAY_SIZE(r_docs), 0, NULL, doc_dirs },
	{ "node", r_node, ARRAY_SIZE(r_node), 0, NULL, NULL },
	{ "node-caution", r_node_caution, ARRAY_SIZE(r_node_caution), 0, "node", NULL },
	{ "foreign", r_foreign, ARRAY_SIZE(r_foreign), NEED_FOREIGN, NULL, NULL },
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
	bad = rl_glob_compile(&ru, glob);
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

/* The first name of each machine is its OCI name (rules_arch_name). */
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

unsigned rules_arch_machine(const char *arch)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(arches); i++)
		if (!strcmp(arch, arches[i].name))
			return arches[i].em;
	return 0;
}

const char *rules_arch_name(unsigned machine)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(arches); i++)
		if (arches[i].em == machine)
			return arches[i].name;
	return NULL;
}

int rules_set_arch(struct rules *r, const char *arch, struct err *e)
{
	unsigned em = rules_arch_machine(arch);

	if (!em) {
		err_set(e, "unknown architecture '%s'", arch);
		return -1;
	}
	r->machine = em;
	return 0;
}

void rules_keep_bytecode(struct rules *r, bool keep)
{
	r->keep_bytecode = keep;
}

bool rules_is_bytecode(const struct rules *r, int rule)
{
	return rule >= 0 && (size_t)rule < r->n && r->v[rule].act == ACT_DROP &&
	       r->v[rule].cls == C_PYC;
}

/* Is one of a and b (normalized relative paths, "" the root) the other
 * or below it? */
static bool on_one_line(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), m = la < lb ? la : lb;

	return !m || (!strncmp(a, b, m) && (a[m] == '/' || a[m] == '\0') &&
		      (b[m] == '/' || b[m] == '\0'));
}

size_t rules_warn_unreachable(const struct rules *r, const char *prefix, const char *display,
			      FILE *f)
{
	size_t i, warned = 0;

	for (i = 0; i < ARRAY_SIZE(presets); i++) {
		const char *const *a, *const *anchors = presets[i].anchors;
		bool reach = false;

		if (!(r->presets & (1u << i)) || !anchors)
			continue;
		for (a = anchors; *a && !reach; a++)
			reach = on_one_line(*a, prefix ? prefix : "");
		if (reach)
			continue;
		fprintf(f, "slim: warning: preset %s matches nothing under '%s' (its rules are for ",
			presets[i].name, display);
		for (a = anchors; *a; a++)
			fprintf(f, "%s/%s", a == anchors ? "" : ", ", *a);
		fprintf(f, "); for an image's root mounted elsewhere, give --root DIR\n");
		warned++;
	}
	return warned;
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

		if (rl_rule_off(r, ru))
			continue;
		fprintf(f, "%-4s  %-*s  %-4s  %-*s  %s\n", ru->act == ACT_DROP ? "drop" : "keep",
			wp, ru->pattern, targets[ru->target], wo, ru->origin, ru->rationale);
	}
}
