/* rules_python.c - P2 for the python preset: which test packages does a
 * non-test module import?
 *
 * Only the distributions that hold a test directory are scanned.  The
 * names in question are known before any source is read (struct wanted),
 * and each imported name is hashed once, streaming, and looked up at every
 * dot (struct hits): the scan is linear in the bytes of the sources.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <xxhash.h>

#include "pool.h"
#include "rules_int.h"

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

/* ---- modules and distributions ------------------------------------------- */

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

/* ---- the lexer: import statements of a source ---------------------------- */

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

/* The indentation of the line at src[*i] (a tab to the next multiple of
 * 8), skipped. */
static int scan_indent(const char *src, size_t n, size_t *i)
{
	int indent = 0;

	while (*i < n && (src[*i] == ' ' || src[*i] == '\t' || src[*i] == '\f')) {
		indent = src[*i] == '\t' ? (indent / 8 + 1) * 8 : indent + 1;
		(*i)++;
	}
	return indent;
}

/* The string literal starting at src[i] into line, whole (its newlines
 * turned to spaces), or empty when it is long; returns the index past it. */
static size_t scan_string(const char *src, size_t n, size_t i, struct buf *line)
{
	char c = src[i];
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
	/* Only short strings can name a module (import_module("x")): long
	 * ones, docstrings mostly, go in empty. */
	buf_add(line, src + i, q);
	if (end - start <= 256)
		for (k = start; k < end; k++)
			buf_addch(line, src[k] == '\n' || src[k] == '\r' || src[k] == '\0' ?
						' ' : src[k]);
	i = end;
	if (i < n && src[i] == c) {
		buf_add(line, src + i, q);
		i += q;
	}
	return i;
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
			indent = scan_indent(src, n, &i);
			bol = false;
			continue;
		}
		if (c == '#') {
			while (i < n && src[i] != '\n')
				i++;
			continue;
		}
		if (c == '\'' || c == '"') {
			i = scan_string(src, n, i, &line);
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

/* ---- the scan ------------------------------------------------------------ */

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
		ssize_t got = rl_read(p->d, i, SIZE_MAX, &src);

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

/* The distributions that hold a test directory, as keys (dist_key) into
 * dists, and the module names of those test directories into w. */
static void collect_wanted(struct dctx *d, struct sset *dists, struct wanted *w)
{
	struct buf key = BUF_INIT, pkg = BUF_INIT;
	size_t i;

	for (i = 1; i < d->nnodes; i++) {
		if (d->nodes[i].flags & F_TESTDIR) {
			dist_key(d, (uint32_t)i, &key);
			sset_add(dists, key.p, key.len);
			buf_setlen(&pkg, 0);
			module_name(d, (uint32_t)i, &pkg);
			wanted_add(w, pkg.p);
		}
	}
	buf_release(&key);
	buf_release(&pkg);
}

/* The non-test modules of those distributions: the sources to scan into
 * idx (room for d->nnodes), their number returned; a distribution with a
 * module that exists only as byte-code goes into unknown. */
static size_t collect_sources(struct dctx *d, const struct sset *dists, struct sset *unknown,
			      uint32_t *idx)
{
	struct buf key = BUF_INIT;
	size_t i, nidx = 0;

	for (i = 1; i < d->nnodes; i++) {
		const struct node *nd = &d->nodes[i];
		bool py = ends_with(nd->name, ".py"), pyc = (nd->flags & F_SOURCELESS) &&
			strcmp(parent_of(d, nd)->name, "__pycache__");

		if (nd->type != RT_FILE || (nd->flags & (F_INTEST | F_WHITEOUT)) ||
		    (!py && !pyc) || is_test_module(nd->name))
			continue;
		dist_key(d, (uint32_t)i, &key);
		if (!sset_has(dists, key.p))
			continue;
		if (pyc)
			sset_add(unknown, key.p, key.len);
		else
			idx[nidx++] = (uint32_t)i;
	}
	buf_release(&key);
	return nidx;
}

/* Scan the sources idx[0..nidx) in parts, on d->jobs threads.  Returns a
 * byte per name of w, set when some source imports it (the caller frees
 * it); the distributions whose sources could not be read are merged into
 * unknown. */
static unsigned char *scan_sources(struct dctx *d, const struct wanted *w, const uint32_t *idx,
				   size_t nidx, struct sset *unknown)
{
	size_t i, k, nparts = (nidx + SCAN_PART - 1) / SCAN_PART;
	struct scan_part *parts = xcalloc(nparts ? nparts : 1, sizeof(*parts));
	unsigned char *hit;

	for (i = 0; i < nparts; i++) {
		parts[i].d = d;
		parts[i].idx = idx;
		parts[i].from = i * SCAN_PART;
		parts[i].to = i + 1 < nparts ? (i + 1) * SCAN_PART : nidx;
		hits_init(&parts[i].hits, w);
	}
	if (d->jobs > 1)
		pool_run(d->jobs, nparts, scan_part, parts, NULL);
	else
		for (i = 0; i < nparts; i++)
			scan_part(parts, i);
	hit = xcalloc(w->n ? w->n : 1, 1);
	for (i = 0; i < nparts; i++) {
		for (k = 0; k < w->n; k++)
			hit[k] |= parts[i].hits.hit[k];
		hits_release(&parts[i].hits);
		sset_merge(unknown, &parts[i].unknown);
	}
	free(parts);
	return hit;
}

/* Mark each test directory imported (hit) or, failing that, unscanned
 * (its distribution is in unknown). */
static void mark_tests(struct dctx *d, const struct wanted *w, const unsigned char *hit,
		       const struct sset *unknown)
{
	struct buf key = BUF_INIT, pkg = BUF_INIT;
	size_t i;

	for (i = 1; i < d->nnodes; i++) {
		struct node *nd = &d->nodes[i];
		long at;

		if (!(nd->flags & F_TESTDIR))
			continue;
		buf_setlen(&pkg, 0);
		module_name(d, (uint32_t)i, &pkg);
		dist_key(d, (uint32_t)i, &key);
		at = wanted_find(w, XXH3_64bits_withSeed(pkg.p, pkg.len, w->seed), pkg.p, pkg.len, "",
				 pkg.len);
		if (at >= 0 && hit[at])
			nd->flags |= F_IMPORTED;
		else if (sset_has(unknown, key.p))
			nd->flags |= F_UNSCANNED;
	}
	buf_release(&key);
	buf_release(&pkg);
}

/*
 * Which test packages does a non-test module import?  Only the
 * distributions holding a test directory are scanned; a module that
 * cannot be read (or exists only as byte-code) keeps that distribution's
 * test packages.  The sources are read and scanned in parts, on d->jobs
 * threads; the sets they make are merged, so the outcome is the same for
 * any number.
 */
void rl_scan_imports(struct dctx *d)
{
	struct sset dists = { NULL, 0, 0 }, unknown = { NULL, 0, 0 };
	struct wanted w = { 0 };
	uint32_t *idx = NULL;
	unsigned char *hit = NULL;
	size_t nidx;

	if (getrandom(&w.seed, sizeof(w.seed), 0) != sizeof(w.seed))
		w.seed = (XXH64_hash_t)(uintptr_t)&w ^ (XXH64_hash_t)getpid();
	collect_wanted(d, &dists, &w);
	if (!dists.n)
		goto out;
	idx = xmalloc(d->nnodes * sizeof(*idx));
	nidx = collect_sources(d, &dists, &unknown, idx);
	hit = scan_sources(d, &w, idx, nidx, &unknown);
	mark_tests(d, &w, hit, &unknown);
out:
	free(idx);
	free(hit);
	sset_release(&dists);
	sset_release(&unknown);
	wanted_release(&w);
}
