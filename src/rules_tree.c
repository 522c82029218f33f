/* rules_tree.c - rules_decide(): the tree of nodes and the passes over it.
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
 * not matter.  P2 lives in rules_python.c and rules_magic.c.
 */
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "rules_int.h"

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

/* The node of directory path[0..len), made (with its parents) if missing;
 * UINT32_MAX when the names of the missing ones pass d->implied_max. */
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
	d->implied += len + 1;
	if (d->implied > d->implied_max)
		return UINT32_MAX;
	slash = memrchr(path, '/', len);
	p = dir_node(d, path, slash ? (size_t)(slash - path) : 0);
	if (p == UINT32_MAX)
		return p;
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

/*
 * A prefix (rules_at): d->skip, and d->paths, a block for every entry's
 * path from the file system root ("prefix/path").  Returns the prefix's
 * depth (0: none), or -1 with e set for a prefix that is no normalized
 * relative path.
 */
static long prefix_init(struct dctx *d, size_t n, const char *prefix, struct err *e)
{
	size_t i, plen = prefix ? strlen(prefix) : 0, total = 0;
	long depth = 1;

	if (!plen)
		return 0;
	if (bad_path(prefix)) {
		err_set(e, "invalid prefix '%s': %s", prefix, bad_path(prefix));
		return -1;
	}
	for (i = 0; i < plen; i++)
		depth += prefix[i] == '/';
	for (i = 0; i < n; i++) {
		struct rules_entry x = { 0 };

		d->in->entry(d->in->ctx, i, &x);
		total += plen + 1 + strlen(x.path) + 1;
	}
	d->skip = plen + 1;
	d->paths = xmalloc(total ? total : 1);
	return depth;
}

/* Every entry is below the prefix: the nodes at most its depth are its
 * own directories. */
static void mark_above(struct dctx *d, uint32_t pdepth)
{
	size_t i;

	for (i = 1; i < d->nnodes; i++)
		if (d->nodes[i].depth <= pdepth)
			d->nodes[i].flags |= F_ABOVE;
}

/* The node of entry i; with a prefix its path is written at *at (in
 * d->paths), which moves past it. */
static uint32_t entry_node(struct dctx *d, const struct rules_entry *x, size_t i, size_t len,
			   const char *prefix, char **at)
{
	size_t plen = d->skip ? d->skip - 1 : 0;
	uint32_t ni;

	if (plen) {
		memcpy(*at, prefix, plen);
		(*at)[plen] = '/';
		memcpy(*at + plen + 1, x->path, len + 1);
		ni = node_push(d, *at, plen + 1 + len, false);
		*at += plen + 1 + len + 1;
	} else {
		ni = node_push(d, x->path, len, false);
	}
	d->nodes[ni].entry = (int32_t)i;
	d->nodes[ni].type = (uint8_t)x->type;
	if (x->type == RT_WHITEOUT || !strncmp(d->nodes[ni].name, ".wh.", 4))
		d->nodes[ni].flags |= F_WHITEOUT;
	return ni;
}

/* A node for each of the caller's n entries (nodes 1..n), each path
 * checked. */
static int entry_nodes(struct dctx *d, size_t n, const char *prefix, struct err *e)
{
	size_t i, plen = prefix ? strlen(prefix) : 0;
	char *at = d->paths; /* the next path in d->paths */
	struct rules_entry x;

	for (i = 0; i < n; i++) {
		const char *bad;
		size_t len;

		memset(&x, 0, sizeof(x));
		d->in->entry(d->in->ctx, i, &x);
		bad = bad_path(x.path);
		if (bad) {
			err_set(e, "invalid entry path '%s': %s", x.path, bad);
			return -1;
		}
		len = strlen(x.path);
		if (len + plen + 1 >= UINT32_MAX) {
			err_set(e, "entry path too long");
			return -1;
		}
		d->implied_max += 16 * (uint64_t)(len + 1);
		entry_node(d, &x, i, len, prefix, &at);
	}
	return 0;
}

static int build_tree(struct dctx *d, size_t n, const char *prefix, struct err *e)
{
	size_t i, k, *count = NULL;
	uint32_t maxdepth = 0;
	long pdepth;

	if (n >= INT32_MAX / 2) {
		err_set(e, "too many entries (%zu)", n);
		return -1;
	}
	/* the entries, the root and a prefix's directories; more for those a
	 * layer leaves out */
	d->cap = n + 65;
	d->nodes = xmalloc(d->cap * sizeof(*d->nodes));
	node_push(d, "", 0, false); /* the root */
	d->implied_max = 64 << 20; /* and 16 times the entries' own names */
	if ((pdepth = prefix_init(d, n, prefix, e)) < 0 || entry_nodes(d, n, prefix, e) != 0)
		return -1;
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
		if (parent == UINT32_MAX) {
			err_set(e, "the directories the input leaves out have more than %llu bytes "
				   "of names (deep paths without their parents)",
				   (unsigned long long)d->implied_max);
			return -1;
		}
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
		if (dep > UINT16_MAX) {
			err_set(e, "a path more than %u directories deep", UINT16_MAX);
			return -1;
		}
		maxdepth = dep > maxdepth ? dep : maxdepth;
		for (j = (uint32_t)i; j && !d->nodes[j].depth; j = d->nodes[j].parent)
			d->nodes[j].depth = (uint16_t)dep--;
	}
	mark_above(d, (uint32_t)pdepth);
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

static const char *const py_test_names[] = { "test", "tests", "idle_test", NULL };

static bool is_stdlib_dir(const struct dctx *d, const struct node *nd)
{
	const struct node *p = parent_of(d, nd);

	return is_dir(nd) && !fnmatch("python[0-9]*.[0-9]*", nd->name, 0) &&
	       (!strcmp(p->name, "lib") || !strcmp(p->name, "lib64"));
}

/* Python: import roots (the stdlib, site-packages, or else the directory
 * above the topmost package: a sys.path entry), test directories and
 * package metadata. */
static void py_structure(struct dctx *d, struct node *nd, const struct node *p)
{
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
}

/* node_modules packages and their templates; a compiler's own library
 * directories; firmware. */
static void other_structure(struct node *nd, const struct node *p)
{
	static const char *const tpl[] = {
		"template", "templates", "skeleton", "boilerplate", NULL
	};
	static const char *const toolchain[] = { "gcc", "gcc-cross", "clang", "rustlib", NULL };

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
}

/* A .pyc or .pyo without its .py is F_SOURCELESS:
 * __pycache__/mod.cpython-311.opt-1.pyc -> ../mod.py; mod.pyc -> mod.py */
static void mark_sourceless(struct dctx *d, struct node *nd, const struct node *p)
{
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
	if (src < 0 || is_dir(&d->nodes[src]) || (d->nodes[src].flags & F_WHITEOUT))
		nd->flags |= F_SOURCELESS;
}

static void structure(struct dctx *d)
{
	size_t k;

	for (k = 1; k < d->nnodes; k++) {
		uint32_t i = d->order[k];
		struct node *nd = &d->nodes[i];
		const struct node *p = parent_of(d, nd);

		if (nd->flags & F_WHITEOUT)
			continue;
		py_structure(d, nd, p);
		other_structure(nd, p);
		if (is_filelike(nd) && (ends_with(nd->name, ".pyc") || ends_with(nd->name, ".pyo")))
			mark_sourceless(d, nd, p);
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

/* What the rules of one node say in P3. */
struct match {
	int32_t keep;           /* first keep rule matching it, or -1 */
	int32_t safety;         /* first safety rule keeping it, or -1 */
	const char *safety_why; /* and its reason */
	unsigned guard;         /* classes the safety rules keeping it guard */
	unsigned owned;         /* classes of the drop rules matching it */
};

/* Run every rule on node i: its own drop matches go into cr (nearer than
 * what the parent handed down) and nd->own; keep and safety rules into m. */
static void match_rules(struct dctx *d, uint32_t i, int32_t *cr, struct match *m)
{
	struct node *nd = &d->nodes[i];
	size_t k;

	for (k = 0; k < d->r->n; k++) {
		const struct rule *ru = &d->r->v[k];
		bool hit;

		if (!target_ok(ru, nd) || (nd->type == RT_OTHER && !ru->comp) ||
		    rl_rule_off(d->r, ru) || (ru->comp && (nd->flags & F_ABOVE)))
			continue;
		if (ru->comp)
			hit = rl_glob_match(d, ru, i);
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
			if (!(m->owned & CB(ru->cls))) /* its own match is nearer */
				cr[ru->cls] = (int32_t)k;
			m->owned |= CB(ru->cls);
			break;
		case ACT_KEEP:
			if (hit && m->keep < 0)
				m->keep = (int32_t)k;
			break;
		case ACT_SAFETY: {
			const char *why = ru->keep(d, nd);

			if (!why)
				break;
			m->guard |= ru->guard;
			if (m->safety < 0) {
				m->safety = (int32_t)k;
				m->safety_why = why;
			}
			break;
		}
		}
	}
}

/* A keep rule protects nd and its subtree; a safety rule protects nd when
 * it guards every class of drop rule covering it. */
static void protect(struct dctx *d, struct node *nd, const struct match *m)
{
	if (m->keep >= 0) {
		const char *o = d->r->v[m->keep].origin;

		nd->dflags |= D_PROT_SELF | D_KEEP_ALL;
		nd->keep_rule = m->keep;
		rl_set_why(d, nd, !strcmp(o, "--keep")	    ? "--keep"
				  : !strcmp(o, "--exclude") ? "--exclude"
							    : "keep rule");
	} else if (m->safety >= 0 && nd->mask && !(nd->mask & ~m->guard)) {
		nd->dflags |= D_PROT_SELF | D_SHIELD;
		nd->guard = (uint16_t)m->guard;
		nd->keep_rule = m->safety;
		rl_set_why(d, nd, m->safety_why);
	}
}

/* The nearest rule of each class at node i: a directory's are kept for
 * its children (d->cslot), a file's only for as long as it is matched. */
static int32_t *crule_of(struct dctx *d, uint32_t i)
{
	return d->cslot[i] == UINT32_MAX ? d->cfile : &d->crule[(size_t)d->cslot[i] * C_N];
}

static void match_node(struct dctx *d, uint32_t i)
{
	struct node *nd = &d->nodes[i];
	const struct node *p = parent_of(d, nd);
	int32_t *cr = crule_of(d, i);
	const int32_t *pcr = crule_of(d, nd->parent);
	struct match m = { -1, -1, NULL, 0, 0 };
	unsigned c;

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
		rl_set_why(d, nd, "whiteout");
	} else {
		match_rules(d, i, cr, &m);
	}
	for (c = 0; c < C_N; c++)
		if (cr[c] >= 0)
			nd->mask |= (uint16_t)CB(c);
	/* until the verdicts, vrule holds the first class's rule */
	for (c = 0; c < C_N && nd->vrule < 0; c++)
		nd->vrule = cr[c];
	if (!(nd->flags & F_WHITEOUT))
		protect(d, nd, &m);
}

static void decide(struct dctx *d)
{
	size_t k, ndirs = 1;

	/* the root and every directory keep their classes' rules */
	d->cslot = xmalloc(d->nnodes * sizeof(*d->cslot));
	d->cslot[0] = 0;
	for (k = 1; k < d->nnodes; k++)
		d->cslot[k] = d->nodes[k].type == RT_DIR ? (uint32_t)ndirs++ : UINT32_MAX;
	d->crule = xmalloc(ndirs * C_N * sizeof(*d->crule));
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

		if (nd->dflags & D_PROT) {
			if (nd->mask) {
				if (!(nd->dflags & D_PROT_SELF)) {
					rl_set_why(d, nd, "holds a kept entry");
					nd->keep_rule = -1;
				}
			} else {
				nd->why = 0;
			}
		} else if (p->dflags & D_DROP) {
			nd->dflags |= D_DROP;
			nd->vrule = p->vrule;
		} else if (nd->mask) {
			nd->dflags |= D_DROP;
			if (nd->own >= 0)
				nd->vrule = nd->own;
		}
		if (nd->entry >= 0) {
			struct rules_verdict out;

			out.rule = nd->dflags & D_DROP ? nd->vrule : -1;
			out.keep_rule = nd->dflags & D_DROP ? -1 : nd->keep_rule;
			out.kept_on_purpose = !(nd->dflags & D_DROP) && nd->why && nd->mask;
			out.why = out.kept_on_purpose ? rl_why(d, nd) : NULL;
			if (!out.kept_on_purpose)
				out.keep_rule = nd->dflags & D_PROT_SELF ? nd->keep_rule : -1;
			d->in->verdict(d->in->ctx, (size_t)nd->entry, &out);
		}
	}
}

int rules_decide(const struct rules *r, const struct rules_entry *entries, size_t n,
		 rules_read_fn read, void *ctx, struct rules_verdict *v, struct err *e)
{
	return rules_decide_jobs(r, entries, n, read, ctx, 1, v, e);
}

/* rules_decide_jobs() over rules_decide_each(): the caller's arrays. */
struct arrays {
	const struct rules_entry *ents;
	struct rules_verdict *v;
	rules_read_fn read;
	void *ctx;
};

static void array_entry(void *ctx, size_t i, struct rules_entry *out)
{
	*out = ((const struct arrays *)ctx)->ents[i];
}

static void array_verdict(void *ctx, size_t i, const struct rules_verdict *v)
{
	((struct arrays *)ctx)->v[i] = *v;
}

static ssize_t array_read(void *ctx, size_t i, size_t max, unsigned char **buf)
{
	const struct arrays *a = ctx;

	return a->read ? a->read(a->ctx, i, max, buf) : -1;
}

int rules_decide_at(const struct rules *r, const struct rules_at *at,
		    const struct rules_entry *entries, size_t n, rules_read_fn read, void *ctx,
		    int jobs, struct rules_verdict *v, struct rules_found *found, struct err *e)
{
	struct arrays a = { entries, v, read, ctx };
	struct rules_input in = { n, array_entry, array_verdict, read ? array_read : NULL, &a, jobs,
				  at, found };
	size_t i;

	for (i = 0; i < n; i++) {
		v[i].rule = v[i].keep_rule = -1;
		v[i].kept_on_purpose = false;
		v[i].why = NULL;
	}
	return rules_decide_each(r, &in, e);
}

int rules_decide_jobs(const struct rules *r, const struct rules_entry *entries, size_t n,
		      rules_read_fn read, void *ctx, int jobs, struct rules_verdict *v,
		      struct err *e)
{
	return rules_decide_at(r, NULL, entries, n, read, ctx, jobs, v, NULL, e);
}

int rules_decide_each(const struct rules *r, const struct rules_input *in, struct err *e)
{
	struct dctx d;
	size_t i;
	int ret = -1;

	memset(&d, 0, sizeof(d));
	d.r = r;
	d.in = in;
	d.read = in->read;
	d.rctx = in->ctx;
	d.jobs = in->jobs;
	d.comp_node = UINT32_MAX;
	d.machine = r->machine ? r->machine : in->at ? in->at->machine : 0;
	d.machine_from = r->machine ? "given" : d.machine ? "host" : "none";
	buf_init(&d.compbuf);
	buf_init(&d.tmp);
	if (in->found)
		memset(in->found, 0, sizeof(*in->found));
	if (build_tree(&d, in->n, in->at ? in->at->prefix : NULL, e) < 0)
		goto out;
	if (r->n) {
		structure(&d);
		if (r->needs & NEED_PYSCAN)
			rl_scan_imports(&d);
		if (r->needs & NEED_STATIC)
			rl_static_magic(&d);
		if (r->needs & NEED_FOREIGN)
			rl_foreign_magic(&d);
		decide(&d);
	} else {
		const struct rules_verdict keep = { -1, -1, false, NULL };

		for (i = 1; i < d.nnodes; i++)
			if (d.nodes[i].entry >= 0)
				in->verdict(in->ctx, (size_t)d.nodes[i].entry, &keep);
	}
	if (in->found && (r->needs & NEED_FOREIGN)) {
		in->found->foreign = true;
		in->found->machine = d.machine;
		in->found->machine_from = d.machine_from;
	}
	ret = 0;
out:
	for (i = 0; i < d.nnodes; i++)
		if (d.nodes[i].flags & F_OWNED)
			free((char *)d.nodes[i].path);
	free(d.nodes);
	free(d.paths);
	free(d.map);
	free(d.order);
	free(d.crule);
	free(d.cslot);
	free(d.comps);
	buf_release(&d.compbuf);
	buf_release(&d.tmp);
	return ret;
}
