/* account.c - the whole input, byte by byte: every regular file, changed
 * or not, to exactly one package, to the directories that hold it, to one
 * file kind, and the largest files by name (report.h's accounting).
 *
 * Who owns a file, first answer wins:
 *   1. the package managers' own lists, path by path (a directory only when
 *      one package alone lists it): dpkg's
 *      var/lib/dpkg/info/NAME.list and apk's lib/apk/db/installed (or
 *      usr/lib/apk/db/installed, /usr merged) (and a
 *      dpkg package's own files in var/lib/dpkg/info/NAME.*);
 *   2. the report's owners (report.h): Python distributions from their
 *      *.dist-info/RECORD and npm packages (node_modules/NAME), the longest
 *      owner path that covers the file;
 *   3. where the file lies: site-packages/NAME or dist-packages/NAME (and
 *      site-packages/__pycache__/NAME.*.pyc, the byte code of NAME.py) to
 *      the distribution that owns NAME, else to a package NAME;
 *      node_modules/NAME to npm package NAME; lib/pythonX.Y/ outside
 *      site-packages to "pythonX.Y stdlib"; the package managers' databases,
 *      caches and logs (var/lib/dpkg, var/lib/apt, var/cache/apt, ...) to a
 *      package of kind "state";
 *   4. "(other)".
 * The lists are matched by entry path (relative to the input's top, where
 * a rootfs has its var/lib/dpkg), the rest by the path as the report shows
 * it.  A Debian list names a file under a merged-/usr link (/bin/sh,
 * /lib/x86_64-linux-gnu/libc.so.6) by the link: usr/ is tried as well.
 *
 * Per entry this keeps nothing: the path table of the lists lives only
 * while the pass runs, and each file is summed as it is attributed.  The
 * pass also tags the changes and skips this input added with their
 * package (report_change.pkg), so that an audit's savings and sizes agree.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "pipeline.h"

/* ---- a table of strings to package indices --------------------------------- */

struct smap {
	struct smap_slot {
		const char *key; /* in pool */
		uint64_t hash;
		uint32_t val;
		bool shared;     /* another value was put under key too */
	} *v;
	size_t n, cap;   /* cap: a power of two, or 0 */
	struct strpool pool;
};

/* FNV-1a, a byte at a time: the hash of each prefix comes on the way. */
#define FNV_BASIS 0xcbf29ce484222325ULL

static uint64_t fnv_add(uint64_t h, char c)
{
	return (h ^ (unsigned char)c) * 0x100000001b3ULL;
}

static uint64_t hash_str(const char *s, size_t n)
{
	uint64_t h = FNV_BASIS;
	size_t i;

	for (i = 0; i < n; i++)
		h = fnv_add(h, s[i]);
	return h;
}

/* The slot of key[0, n), or the empty slot where it would go. */
static struct smap_slot *smap_slot(const struct smap *m, const char *key, size_t n, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);

	for (;; i = (i + 1) & (m->cap - 1)) {
		struct smap_slot *s = &m->v[i];
		if (!s->key || (s->hash == h && strncmp(s->key, key, n) == 0 && !s->key[n]))
			return s;
	}
}

static void smap_grow(struct smap *m)
{
	struct smap old = *m;
	size_t i;

	m->cap = old.cap ? old.cap * 2 : 1024;
	m->v = xcalloc(m->cap, sizeof(*m->v));
	for (i = 0; i < old.cap; i++)
		if (old.v[i].key)
			*smap_slot(m, old.v[i].key, strlen(old.v[i].key), old.v[i].hash) = old.v[i];
	free(old.v);
}

/* Map key[0, n) to val unless it is there already (the first list wins). */
static void smap_put(struct smap *m, const char *key, size_t n, uint32_t val)
{
	uint64_t h = hash_str(key, n);
	struct smap_slot *s;
	char *k;

	if ((m->n + 1) * 4 > m->cap * 3)
		smap_grow(m);
	s = smap_slot(m, key, n, h);
	if (s->key) {
		s->shared |= s->val != val;
		return;
	}
	k = strndup(key, n);
	if (!k)
		xoom();
	s->key = strpool_dup(&m->pool, k);
	free(k);
	s->hash = h;
	s->val = val;
	m->n++;
}

/* The value of key[0, n) (the first put); with only_own, none for a key
 * that several values were put under. */
static bool smap_find(const struct smap *m, const char *key, size_t n, bool only_own,
		      uint32_t *val)
{
	const struct smap_slot *s;

	if (!m->cap)
		return false;
	s = smap_slot(m, key, n, hash_str(key, n));
	if (!s->key || (only_own && s->shared))
		return false;
	*val = s->val;
	return true;
}

static bool smap_get(const struct smap *m, const char *key, size_t n, uint32_t *val)
{
	return smap_find(m, key, n, false, val);
}

static void smap_release(struct smap *m)
{
	free(m->v);
	strpool_release(&m->pool);
	memset(m, 0, sizeof(*m));
}

/* ---- what the layers of an image hand on -------------------------------------- */

/* The lists of earlier layers: a path -> "KIND/NAME" (an index into names). */
struct account_lists {
	struct smap paths;
	struct smap keys;  /* "KIND/NAME" -> its index */
	char **names;      /* "KIND/NAME" */
	size_t n, cap;
};

struct account_lists *account_lists_new(void)
{
	return xcalloc(1, sizeof(struct account_lists));
}

void account_lists_free(struct account_lists *l)
{
	size_t i;

	if (!l)
		return;
	smap_release(&l->paths);
	smap_release(&l->keys);
	for (i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	free(l);
}

/* ---- the pass's state -------------------------------------------------------- */

struct acct {
	struct pipeline *p;
	struct report *r;
	struct account_lists *inherit; /* earlier layers' lists, or NULL */
	struct smap listed;  /* entry path -> package (dpkg, apk) */
	struct smap names;   /* package name -> index, by kind: "deb\0libc6" etc. */
	struct smap dpkg_base; /* "libc6:amd64" (a .list's name) -> package */
	struct smap owners;  /* an owner's path (borrowed) -> the owner: of several
			      * with one path, the least by name and kind */
	uint32_t *owner_pkg; /* owner -> package, REPORT_NO_PKG until first use */
	struct prefix {      /* owner_of()'s: a path's prefixes and their hashes */
		size_t n;
		uint64_t h;
	} *pre;
	size_t cappre;
	struct buf odir;     /* the directory of the last path owner_of() was
			      * asked (its prefixes all looked up), */
	uint64_t odir_h;     /* its hash, */
	long odir_owner;     /* and its owner (or its nearest directory's) */
	bool odir_set;
	struct smap dirs;    /* directory path -> index into dir[] */
	struct acct_dir {
		uint64_t files, bytes, saved;
		unsigned depth;
	} *dir;
	size_t ndir, capdir;
	size_t *chg, nchg;   /* this input's changes, by path */
	size_t *skp, nskp;   /* this input's skips, by path */
	struct buf disp, tmp;
};

/* The package (name, kind), registered once per input. */
static uint32_t pkg_of(struct acct *A, const char *name, size_t n, const char *kind)
{
	struct buf key = BUF_INIT;
	uint32_t v;

	buf_adds(&key, kind);
	buf_addch(&key, '/');
	buf_add(&key, name, n);
	if (!smap_get(&A->names, key.p, key.len, &v)) {
		v = report_pkg(A->r, key.p + strlen(kind) + 1, kind);
		smap_put(&A->names, key.p, key.len, v);
	}
	buf_release(&key);
	return v;
}

/* ---- the package managers' lists ---------------------------------------------- */

/* One listed path ("/usr/bin/ls", "usr/bin/ls") of package pkg; a path
 * through a merged-/usr link also as its usr/ form. */
static void list_path(struct acct *A, const char *s, size_t n, uint32_t pkg)
{
	static const char *const merged[] = { "bin/", "sbin/", "lib/", "lib32/", "lib64/",
					      "libx32/" };
	size_t i;

	while (n && *s == '/') {
		s++;
		n--;
	}
	while (n && (s[n - 1] == '/' || s[n - 1] == '\r'))
		n--;
	if (!n)
		return;
	smap_put(&A->listed, s, n, pkg);
	for (i = 0; i < ARRAY_SIZE(merged); i++) {
		size_t k = strlen(merged[i]);
		if (n > k && strncmp(s, merged[i], k) == 0) {
			buf_setlen(&A->tmp, 0);
			buf_adds(&A->tmp, "usr/");
			buf_add(&A->tmp, s, n);
			smap_put(&A->listed, A->tmp.p, A->tmp.len, pkg);
		}
	}
}

/* var/lib/dpkg/info/NAME[:ARCH].list: one path a line. */
static void read_dpkg_list(struct acct *A, const char *path, const char *data, size_t len)
{
	const char *base = path + strlen("var/lib/dpkg/info/"), *end = data + len, *line, *colon;
	size_t bn = strlen(base) - strlen(".list");
	uint32_t pkg;

	colon = memchr(base, ':', bn);
	pkg = pkg_of(A, base, colon ? (size_t)(colon - base) : bn, "deb");
	smap_put(&A->dpkg_base, base, bn, pkg);
	for (line = data; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *stop = nl ? nl : end;
		list_path(A, line, (size_t)(stop - line), pkg);
		line = nl ? nl + 1 : end;
	}
}

/* lib/apk/db/installed: "P:name" starts a package, "F:dir" a directory of
 * it, "R:file" a file in the last directory. */
static void read_apk_db(struct acct *A, const char *data, size_t len)
{
	const char *end = data + len, *line;
	struct buf dir = BUF_INIT;
	uint32_t pkg = REPORT_NO_PKG;

	for (line = data; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *stop = nl ? nl : end;
		size_t n = (size_t)(stop - line);
		if (n >= 2 && line[1] == ':') {
			if (line[0] == 'P') {
				pkg = pkg_of(A, line + 2, n - 2, "apk");
				buf_setlen(&dir, 0);
			} else if (line[0] == 'F' && pkg != REPORT_NO_PKG) {
				buf_setlen(&dir, 0);
				buf_add(&dir, line + 2, n - 2);
			} else if (line[0] == 'R' && pkg != REPORT_NO_PKG) {
				buf_setlen(&A->tmp, 0);
				buf_add(&A->tmp, dir.p, dir.len);
				if (dir.len)
					buf_addch(&A->tmp, '/');
				buf_add(&A->tmp, line + 2, n - 2);
				/* list_path reuses tmp */
				char *full = buf_detach(&A->tmp, &n);
				list_path(A, full, n, pkg);
				free(full);
			}
		}
		line = nl ? nl + 1 : end;
	}
	buf_release(&dir);
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A package's file list longer than this is read this far: Debian's largest
 * are a few MB, and a list that lies about its size costs no more memory. */
#define LIST_MAX ((size_t)64 << 20)

/* Read every list the input holds (in its final state). */
static void read_lists(struct acct *A)
{
	const struct entries *t = &A->p->src->ents;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct entry *x = &t->v[i];
		unsigned char *data = NULL;
		bool dpkg, apk;
		ssize_t len;
		if (!entry_is_file(x) || (x->flags & ENT_GONE))
			continue;
		dpkg = has_prefix(x->path, "var/lib/dpkg/info/") && has_suffix(x->path, ".list") &&
		       !strchr(x->path + strlen("var/lib/dpkg/info/"), '/');
		apk = strcmp(x->path, "lib/apk/db/installed") == 0 ||
		      strcmp(x->path, "usr/lib/apk/db/installed") == 0; /* merged /usr */
		if (!dpkg && !apk)
			continue;
		len = A->p->src->ops->read_head(A->p->src, i, LIST_MAX, &data);
		if (len == (ssize_t)LIST_MAX) /* cut short: no half a path */
			while (len > 0 && data[len - 1] != '\n')
				len--;
		if (len >= 0 && dpkg)
			read_dpkg_list(A, x->path, (const char *)data, (size_t)len);
		else if (len >= 0)
			read_apk_db(A, (const char *)data, (size_t)len);
		free(data);
	}
}

/* ---- attribution --------------------------------------------------------------- */

/* Fill A->owners: one lookup a directory level, not a binary search. */
static void map_owners(struct acct *A)
{
	const struct report_owner *w = A->r->owners;
	size_t i;

	for (i = 0; i < A->r->nowners; i++) {
		size_t n = strlen(w[i].path);
		uint64_t h = hash_str(w[i].path, n);
		struct smap_slot *sl;
		int c;

		if ((A->owners.n + 1) * 4 > A->owners.cap * 3)
			smap_grow(&A->owners);
		sl = smap_slot(&A->owners, w[i].path, n, h);
		if (!sl->key) {
			*sl = (struct smap_slot){ .key = w[i].path, .hash = h, .val = (uint32_t)i };
			A->owners.n++;
			continue;
		}
		c = strcmp(w[i].name, w[sl->val].name);
		if (c < 0 || (!c && strcmp(w[i].kind, w[sl->val].kind) < 0))
			sl->val = (uint32_t)i;
	}
}

/* The owner of path d: its own, else its nearest directory's; -1 for none
 * (as audit_owner_of() says).  One pass over d hashes every prefix that
 * ends before a '/', and d; each is then one lookup, the longest first.
 * The entries come directory by directory: a path in the directory of the
 * last is one lookup, of itself, its directory's answer kept. */
static long owner_of(struct acct *A, const char *d)
{
	size_t m = A->odir.len, n, k = 0;
	uint64_t h = FNV_BASIS;
	const struct smap_slot *sl;
	long dir_owner = -1;

	if (!A->owners.n)
		return -1;
	if (A->odir_set && strncmp(d, A->odir.p, m) == 0 && d[m] == '/' && d[m + 1] &&
	    !strchr(d + m + 1, '/')) {
		for (h = A->odir_h, n = m; d[n]; n++)
			h = fnv_add(h, d[n]);
		sl = smap_slot(&A->owners, d, n, h);
		return sl->key ? (long)sl->val : A->odir_owner;
	}
	for (n = 0;; n++) {
		if (n > 0 && (!d[n] || (d[n] == '/' && d[n - 1] != '/'))) {
			xgrow(&A->pre, &A->cappre, k + 1, sizeof(*A->pre));
			A->pre[k++] = (struct prefix){ n, h };
		}
		if (!d[n])
			break;
		h = fnv_add(h, d[n]);
	}
	if (!k)
		return -1; /* "": no prefix (display paths never are) */
	/* d's directory: the prefixes but the last */
	for (n = k - 1; n-- > 0;) {
		sl = smap_slot(&A->owners, d, A->pre[n].n, A->pre[n].h);
		if (sl->key) {
			dir_owner = sl->val;
			break;
		}
	}
	A->odir_set = k >= 2;
	if (A->odir_set) {
		buf_setlen(&A->odir, 0);
		buf_add(&A->odir, d, A->pre[k - 2].n);
		A->odir_h = A->pre[k - 2].h;
		A->odir_owner = dir_owner;
	}
	sl = smap_slot(&A->owners, d, A->pre[k - 1].n, A->pre[k - 1].h);
	return sl->key ? (long)sl->val : dir_owner;
}

/* The package of the report's owner that covers display path d, or
 * REPORT_NO_PKG. */
static uint32_t owner_pkg(struct acct *A, const char *d)
{
	long o = owner_of(A, d);

	if (o < 0)
		return REPORT_NO_PKG;
	if (A->owner_pkg[o] == REPORT_NO_PKG) {
		const struct report_owner *w = &A->r->owners[o];
		A->owner_pkg[o] = pkg_of(A, w->name, strlen(w->name), w->kind);
	}
	return A->owner_pkg[o];
}

/* The last component "NAME/" of path (at its start or after a '/'), its
 * end, or NULL. */
static const char *after_component(const char *path, const char *name)
{
	const char *p = path, *hit = NULL;
	size_t n = strlen(name);

	while ((p = strstr(p, name))) {
		if ((p == path || p[-1] == '/') && p[n] == '/')
			hit = p + n + 1;
		p += n;
	}
	return hit;
}

/* A name in site-packages as a distribution's: "numpy", "six.py",
 * "PyYAML-6.0.dist-info", "numpy.libs", "_cffi.cpython-311-x86_64-linux-gnu.so". */
static size_t dist_stem(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '.' || s[i] == '-')
			return i ? i : n;
	return n;
}

/* site-packages/NAME... (or dist-packages). */
static uint32_t site_pkg(struct acct *A, const char *d)
{
	const char *rest = after_component(d, "site-packages");
	const char *dp = after_component(d, "dist-packages"), *slash;
	size_t n;
	uint32_t v;

	if (!rest || (dp && dp > rest))
		rest = dp;
	if (!rest || !*rest)
		return REPORT_NO_PKG;
	slash = strchr(rest, '/');
	n = slash ? (size_t)(slash - rest) : strlen(rest);
	if (n == 11 && strncmp(rest, "__pycache__", 11) == 0 && !slash)
		return REPORT_NO_PKG; /* the directory: byte code of many distributions */
	if (n == 11 && strncmp(rest, "__pycache__", 11) == 0) {
		/* __pycache__/six.cpython-311.pyc: six.py's, or the six package's */
		const char *mod = slash + 1;
		size_t m = strcspn(mod, ".");
		buf_setlen(&A->tmp, 0);
		buf_add(&A->tmp, d, (size_t)(rest - d));
		buf_add(&A->tmp, mod, m);
		buf_adds(&A->tmp, ".py");
		if ((v = owner_pkg(A, A->tmp.p)) != REPORT_NO_PKG)
			return v;
		return m ? pkg_of(A, mod, m, "python") : REPORT_NO_PKG;
	}
	buf_setlen(&A->tmp, 0);
	buf_add(&A->tmp, d, (size_t)(rest - d) + n);
	if ((v = owner_pkg(A, A->tmp.p)) != REPORT_NO_PKG)
		return v;
	return pkg_of(A, rest, dist_stem(rest, n), "python");
}

/* node_modules/NAME or node_modules/@SCOPE/NAME, the last of them. */
static uint32_t npm_pkg(struct acct *A, const char *d)
{
	const char *name = after_component(d, "node_modules"), *slash;

	if (!name || !*name || *name == '.')
		return REPORT_NO_PKG;
	slash = strchr(name, '/');
	if (*name == '@' && slash)
		slash = strchr(slash + 1, '/');
	if (!slash)
		return REPORT_NO_PKG; /* a file directly in node_modules */
	return pkg_of(A, name, (size_t)(slash - name), "npm");
}

/* lib/pythonX.Y/ (outside site-packages: asked after site_pkg). */
static uint32_t stdlib_pkg(struct acct *A, const char *d)
{
	const char *p = d, *v;
	char name[64];

	if (strstr(d, "site-packages") || strstr(d, "dist-packages"))
		return REPORT_NO_PKG;
	while ((p = strstr(p, "lib/python"))) {
		v = p + 10;
		if ((p == d || p[-1] == '/') && v[0] >= '2' && v[0] <= '9' && v[1] == '.' &&
		    strspn(v + 2, "0123456789") > 0 && v[2 + strspn(v + 2, "0123456789")] == '/') {
			snprintf(name, sizeof(name), "python%.*s stdlib",
				 (int)(2 + strspn(v + 2, "0123456789")), v);
			return pkg_of(A, name, strlen(name), "stdlib");
		}
		p += 10;
	}
	return REPORT_NO_PKG;
}

/* The package managers' own state: what they keep, not what they
 * installed.  Matched on the entry path (a rootfs's). */
static uint32_t state_pkg(struct acct *A, const char *e)
{
	static const struct {
		const char *prefix, *name;
	} state[] = {
		{ "var/lib/apt/lists/", "apt package lists" },
		{ "var/cache/apt/", "apt cache" },
		{ "var/lib/apt/", "apt state" },
		{ "var/lib/dpkg/", "dpkg database" },
		{ "var/cache/debconf/", "debconf database" },
		{ "var/lib/apk/", "apk database" },
		{ "lib/apk/", "apk database" },
		{ "usr/lib/apk/", "apk database" },
		{ "var/cache/apk/", "apk cache" },
		{ "var/log/", "logs" },
		{ "root/.cache/pip/", "pip cache" },
		{ "root/.npm/", "npm cache" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(state); i++)
		if (has_prefix(e, state[i].prefix))
			return pkg_of(A, state[i].name, strlen(state[i].name), "state");
	return REPORT_NO_PKG;
}

/* var/lib/dpkg/info/NAME[:ARCH].EXT: the package whose list is NAME[:ARCH].list. */
static uint32_t dpkg_info_pkg(struct acct *A, const char *e)
{
	const char *base, *dot;
	uint32_t v;

	if (!has_prefix(e, "var/lib/dpkg/info/"))
		return REPORT_NO_PKG;
	base = e + strlen("var/lib/dpkg/info/");
	dot = strrchr(base, '.');
	if (!dot || strchr(base, '/') || !smap_get(&A->dpkg_base, base, (size_t)(dot - base), &v))
		return REPORT_NO_PKG;
	return v;
}

/* Entry path e, display path d: the package, by the precedence above. */
static uint32_t attribute(struct acct *A, const char *e, const char *d, bool file)
{
	uint32_t v;

	/* a file listed twice (a diversion) is the first list's; a directory
	 * (a removal's subject) only when one package alone lists it:
	 * usr/share/doc is everyone's */
	if (smap_find(&A->listed, e, strlen(e), !file, &v))
		return v;
	if (A->inherit && smap_find(&A->inherit->paths, e, strlen(e), !file, &v)) {
		const char *key = A->inherit->names[v], *slash = strchr(key, '/');
		char kind[8];
		snprintf(kind, sizeof(kind), "%.*s", (int)(slash - key), key);
		return pkg_of(A, slash + 1, strlen(slash + 1), kind);
	}
	if (file && (v = dpkg_info_pkg(A, e)) != REPORT_NO_PKG)
		return v;
	if ((v = owner_pkg(A, d)) != REPORT_NO_PKG)
		return v;
	if ((v = site_pkg(A, d)) != REPORT_NO_PKG)
		return v;
	if ((v = npm_pkg(A, d)) != REPORT_NO_PKG)
		return v;
	if ((v = stdlib_pkg(A, d)) != REPORT_NO_PKG)
		return v;
	if ((v = state_pkg(A, e)) != REPORT_NO_PKG)
		return v;
	return pkg_of(A, "(other)", 7, "other");
}

/* ---- the kinds of files ----------------------------------------------------------- */

static enum report_fkind fkind_of(const struct pipeline *p, size_t i, const char *e)
{
	static const char *const js[] = { ".js", ".mjs", ".cjs", ".ts", ".map", ".jsx", ".tsx" };
	static const char *const hdr[] = { ".h", ".hpp", ".hh", ".hxx", ".cuh", ".inl" };
	static const char *const doc[] = { ".md", ".rst", ".txt", ".html", ".pdf" };
	size_t k;

	if (has_suffix(e, ".a") && (p->v[i].candidate || !(p->src->ents.v[i].flags & ENT_NOT_ELF)))
		return FKIND_STATIC;
	if (p->v[i].candidate)
		return FKIND_ELF;
	if (has_suffix(e, ".pyc") || has_suffix(e, ".pyo"))
		return FKIND_PYC;
	if (has_suffix(e, ".py") || has_suffix(e, ".pyi"))
		return FKIND_PY;
	for (k = 0; k < ARRAY_SIZE(js); k++)
		if (has_suffix(e, js[k]))
			return FKIND_JS;
	for (k = 0; k < ARRAY_SIZE(hdr); k++)
		if (has_suffix(e, hdr[k]))
			return FKIND_HEADERS;
	if (strstr(e, "share/locale/") || has_suffix(e, ".mo"))
		return FKIND_LOCALE;
	if (strstr(e, "share/doc/") || strstr(e, "share/man/") || strstr(e, "share/info/"))
		return FKIND_DOCS;
	for (k = 0; k < ARRAY_SIZE(doc); k++)
		if (has_suffix(e, doc[k]))
			return FKIND_DOCS;
	return FKIND_OTHER;
}

/* ---- the changes of this input ------------------------------------------------------ */

static int cmp_change_idx(const void *a, const void *b, void *ctx)
{
	const struct report_change *c = ctx;

	return strcmp(c[*(const size_t *)a].path, c[*(const size_t *)b].path);
}

static int cmp_skip_idx(const void *a, const void *b, void *ctx)
{
	const struct report_skip *s = ctx;

	return strcmp(s[*(const size_t *)a].path, s[*(const size_t *)b].path);
}

/* Index the changes and skips from first on by path. */
static void index_changes(struct acct *A, size_t change0, size_t skip0)
{
	struct report *r = A->r;
	size_t i;

	A->nchg = r->nchanges - change0;
	A->chg = xmalloc((A->nchg + 1) * sizeof(*A->chg));
	for (i = 0; i < A->nchg; i++)
		A->chg[i] = change0 + i;
	if (A->nchg)
		qsort_r(A->chg, A->nchg, sizeof(*A->chg), cmp_change_idx, r->changes);
	A->nskp = r->nskips - skip0;
	A->skp = xmalloc((A->nskp + 1) * sizeof(*A->skp));
	for (i = 0; i < A->nskp; i++)
		A->skp[i] = skip0 + i;
	if (A->nskp)
		qsort_r(A->skp, A->nskp, sizeof(*A->skp), cmp_skip_idx, r->skips);
}

/* The first of idx[0, n) whose string (by get) is d, or n. */
static size_t lower_bound(const size_t *idx, size_t n, const char *d,
			  const char *(*get)(const struct report *, size_t), const struct report *r)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(get(r, idx[mid]), d) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const char *change_path(const struct report *r, size_t i)
{
	return r->changes[i].path;
}

static const char *skip_path(const struct report *r, size_t i)
{
	return r->skips[i].path;
}

/* Tag the changes and skips of display path d with pkg; what the changes
 * save. */
static uint64_t tag(struct acct *A, const char *d, uint32_t pkg)
{
	struct report *r = A->r;
	uint64_t saved = 0;
	size_t k;

	for (k = lower_bound(A->chg, A->nchg, d, change_path, r);
	     k < A->nchg && strcmp(r->changes[A->chg[k]].path, d) == 0; k++) {
		struct report_change *c = &r->changes[A->chg[k]];
		c->pkg = pkg;
		saved += c->before > c->after ? c->before - c->after : 0;
	}
	for (k = lower_bound(A->skp, A->nskp, d, skip_path, r);
	     k < A->nskp && strcmp(r->skips[A->skp[k]].path, d) == 0; k++)
		r->skips[A->skp[k]].pkg = pkg;
	return saved;
}

/* ---- directories ---------------------------------------------------------------------- */

/* Add to the directories at depth 1..REPORT_DIR_DEPTH above entry path e
 * (e itself too when it is a directory), or to "." for a file at the top. */
static void dirs_add(struct acct *A, const char *e, bool is_dir, uint64_t files, uint64_t bytes,
		     uint64_t saved)
{
	const char *p = e;
	unsigned depth = 0;

	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n;
		uint32_t v;
		if (!slash && !is_dir)
			break;
		n = slash ? (size_t)(slash - e) : strlen(e);
		if (++depth > REPORT_DIR_DEPTH)
			break;
		if (!smap_get(&A->dirs, e, n, &v)) {
			xgrow(&A->dir, &A->capdir, A->ndir + 1, sizeof(*A->dir));
			v = (uint32_t)A->ndir++;
			memset(&A->dir[v], 0, sizeof(A->dir[v]));
			A->dir[v].depth = depth;
			smap_put(&A->dirs, e, n, v);
		}
		A->dir[v].files += files;
		A->dir[v].bytes += bytes;
		A->dir[v].saved += saved;
		if (!slash)
			break;
		p = slash + 1;
	}
	if (!depth && !is_dir) {
		uint32_t v;
		if (!smap_get(&A->dirs, ".", 1, &v)) {
			xgrow(&A->dir, &A->capdir, A->ndir + 1, sizeof(*A->dir));
			v = (uint32_t)A->ndir++;
			memset(&A->dir[v], 0, sizeof(A->dir[v]));
			smap_put(&A->dirs, ".", 1, v);
		}
		A->dir[v].files += files;
		A->dir[v].bytes += bytes;
		A->dir[v].saved += saved;
	}
}

static void dirs_to_report(struct acct *A)
{
	size_t i;

	for (i = 0; i < A->dirs.cap; i++) {
		const struct smap_slot *s = &A->dirs.v[i];
		const struct acct_dir *x;
		if (!s->key)
			continue;
		x = &A->dir[s->val];
		report_dir_add(A->r, s->key, x->depth, x->files, x->bytes, x->saved);
	}
}

/* ---- the pass ----------------------------------------------------------------------------- */

/* Entry i: its package, its changes tagged; a file of the final state
 * summed. */
static void account_entry(struct acct *A, size_t i)
{
	struct pipeline *p = A->p;
	const struct entries *t = &p->src->ents;
	const struct entry *x = &t->v[i];
	/* a name gone from the final state whose content another name carries
	 * is counted under that name */
	bool counted = x->type == ENT_FILE && (!(x->flags & ENT_GONE) || p->v[i].heir != ENT_NONE);
	size_t at = x->type == ENT_FILE && (x->flags & ENT_GONE) && p->v[i].heir != ENT_NONE
			    ? p->v[i].heir : i;
	const char *e = t->v[at].path;
	enum report_fkind k;
	uint64_t saved;
	uint32_t pkg;

	if (!counted && (x->flags & ENT_GONE))
		return;
	pipeline_display(p, at, &A->disp);
	pkg = attribute(A, e, A->disp.p, x->type != ENT_DIR);
	saved = tag(A, A->disp.p, pkg);
	if (!counted) {
		if (saved)
			dirs_add(A, e, x->type == ENT_DIR, 0, 0, saved);
		return;
	}
	A->r->pkgs[pkg].files++;
	A->r->pkgs[pkg].bytes += x->size;
	dirs_add(A, e, false, 1, x->size, saved);
	k = fkind_of(p, i, e);
	A->r->fkind[k].files++;
	A->r->fkind[k].bytes += x->size;
	report_bigfile(A->r, A->disp.p, x->size, saved, pkg);
}

/* Hand this input's lists on to the next layer of the image. */
static void hand_on(struct acct *A)
{
	struct account_lists *l = A->inherit;
	struct buf key = BUF_INIT;
	size_t i;

	for (i = 0; i < A->listed.cap; i++) {
		const struct smap_slot *s = &A->listed.v[i];
		const struct report_pkg *pk;
		uint32_t k;
		if (!s->key)
			continue;
		pk = &A->r->pkgs[s->val];
		buf_setlen(&key, 0);
		buf_addf(&key, "%s/%s", pk->kind, pk->name);
		if (!smap_get(&l->keys, key.p, key.len, &k)) {
			xgrow(&l->names, &l->cap, l->n + 1, sizeof(*l->names));
			l->names[l->n] = xstrdup(key.p);
			k = (uint32_t)l->n++;
			smap_put(&l->keys, key.p, key.len, k);
		}
		smap_put(&l->paths, s->key, strlen(s->key), k);
		if (s->shared) /* a directory of several packages stays so */
			smap_put(&l->paths, s->key, strlen(s->key), k + 1);
	}
	buf_release(&key);
}

void pass_account(struct pipeline *p, size_t change0, size_t skip0)
{
	struct acct A;
	size_t i;

	memset(&A, 0, sizeof(A));
	A.p = p;
	A.r = p->rep;
	A.disp = (struct buf)BUF_INIT;
	A.tmp = (struct buf)BUF_INIT;
	A.odir = (struct buf)BUF_INIT;
	A.r->accounted = true;
	A.inherit = A.r->inherit;
	A.owner_pkg = xmalloc((A.r->nowners + 1) * sizeof(*A.owner_pkg));
	map_owners(&A);
	for (i = 0; i < A.r->nowners; i++)
		A.owner_pkg[i] = REPORT_NO_PKG;
	read_lists(&A);
	index_changes(&A, change0, skip0);
	for (i = 0; i < p->src->ents.n; i++)
		account_entry(&A, i);
	dirs_to_report(&A);
	if (A.inherit)
		hand_on(&A);
	smap_release(&A.listed);
	smap_release(&A.names);
	smap_release(&A.dpkg_base);
	smap_release(&A.dirs);
	free(A.dir);
	free(A.owners.v); /* its keys are the report's */
	free(A.pre);
	free(A.owner_pkg);
	free(A.chg);
	free(A.skp);
	buf_release(&A.disp);
	buf_release(&A.tmp);
	buf_release(&A.odir);
}
