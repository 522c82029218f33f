/* audit.c - a report grouped by package and by kind: the one grouping
 * that the table, the JSON and the HTML page show (report_text.c,
 * report_json.c, report_html.c), so the three agree.
 *
 * It reads the report's data and prints nothing.
 */
#include "audit.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const struct {
	const char *id, *label;
} kinds[AUDIT__COUNT] = {
	[AUDIT_DEBUG] = { "debug_info", "debug info & symbols" },
	[AUDIT_BYTECODE] = { "byte_code", "byte code" },
	[AUDIT_TESTS] = { "tests", "tests" },
	[AUDIT_DUPS] = { "duplicates", "duplicates" },
	[AUDIT_FOREIGN] = { "foreign", "foreign binaries" },
	[AUDIT_DOCS] = { "docs", "docs" },
	[AUDIT_HEADERS] = { "headers", "headers" },
	[AUDIT_STATIC] = { "static_libs", "static libraries" },
	[AUDIT_NODE] = { "node", "node package extras" },
	[AUDIT_OTHER] = { "other_rules", "other rules" },
	[AUDIT_METADATA] = { "metadata", "package metadata (RECORD)" },
};

const char *audit_kind_id(enum audit_kind k)
{
	return (unsigned)k < AUDIT__COUNT ? kinds[k].id : "?";
}

const char *audit_kind_label(enum audit_kind k)
{
	return (unsigned)k < AUDIT__COUNT ? kinds[k].label : "?";
}

/* Rule names are "ORIGIN: PATTERN"; presets are origins. */
static bool from_preset(const char *rule, const char *preset)
{
	size_t n = strlen(preset);

	return strncmp(rule, preset, n) == 0 && rule[n] == ':' && rule[n + 1] == ' ';
}

enum audit_kind audit_kind_of(const char *pass, const char *rule)
{
	static const struct {
		const char *preset;
		enum audit_kind kind;
	} plain[] = {
		{ "foreign", AUDIT_FOREIGN }, { "docs", AUDIT_DOCS },
		{ "headers", AUDIT_HEADERS }, { "static-libs", AUDIT_STATIC },
	};
	size_t i;

	if (strcmp(pass, "strip") == 0)
		return AUDIT_DEBUG;
	if (strcmp(pass, "dedup") == 0)
		return AUDIT_DUPS;
	if (strcmp(pass, "record") == 0)
		return AUDIT_METADATA;
	if (!rule)
		return AUDIT_OTHER;
	if (from_preset(rule, "python")) {
		if (strstr(rule, "__pycache__") || strstr(rule, ".pyc"))
			return AUDIT_BYTECODE;
		return strstr(rule, "test") ? AUDIT_TESTS : AUDIT_OTHER;
	}
	if (from_preset(rule, "node") || from_preset(rule, "node-caution"))
		return strstr(rule, "test") ? AUDIT_TESTS : AUDIT_NODE;
	for (i = 0; i < ARRAY_SIZE(plain); i++)
		if (from_preset(rule, plain[i].preset))
			return plain[i].kind;
	/* --drop globs and rules files: what the user asked for, whatever it is */
	return AUDIT_OTHER;
}

/* ---- owners ------------------------------------------------------------- */

static int cmp_owner(const void *a, const void *b, void *ctx)
{
	const struct report_owner *o = ctx;
	const struct report_owner *x = &o[*(const size_t *)a], *y = &o[*(const size_t *)b];
	int c = strcmp(x->path, y->path);

	if (!c)
		c = strcmp(x->name, y->name);
	if (!c)
		c = strcmp(x->kind, y->kind);
	return c;
}

void audit_sort_owners(const struct report *r, size_t *idx)
{
	size_t i;

	for (i = 0; i < r->nowners; i++)
		idx[i] = i;
	if (r->nowners)
		qsort_r(idx, r->nowners, sizeof(*idx), cmp_owner, r->owners);
}

/* Compare the first n bytes of p (no NUL among them) with the string o. */
static int cmp_prefix(const char *p, size_t n, const char *o)
{
	int c = strncmp(p, o, n);

	if (c)
		return c;
	return o[n] ? -1 : 0;
}

/* The first owner (in idx order) whose path is exactly p[0, n), or -1. */
static long owner_exact(const struct report *r, const size_t *idx, const char *p, size_t n)
{
	size_t lo = 0, hi = r->nowners;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_prefix(p, n, r->owners[idx[mid]].path) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < r->nowners && cmp_prefix(p, n, r->owners[idx[lo]].path) == 0)
		return (long)idx[lo];
	return -1;
}

long audit_owner_of(const struct report *r, const size_t *idx, const char *path)
{
	size_t n = strlen(path);
	long o;

	while (n > 0) {
		o = owner_exact(r, idx, path, n);
		if (o >= 0)
			return o;
		/* the next shorter prefix that ends before a '/' */
		while (n > 0 && path[n - 1] != '/')
			n--;
		while (n > 0 && path[n - 1] == '/')
			n--;
	}
	return -1;
}

/* ---- grouping ----------------------------------------------------------- */

struct grouping {
	const struct report *r;
	size_t *idx;     /* owners sorted by path */
	size_t *pkg_of;  /* owner -> package */
	size_t other;    /* the "(other)" package, or (size_t)-1 */
	size_t naccounted; /* the first packages: r->pkgs, index for index */
	size_t cappkgs, capitems;
};

static int cmp_owner_name(const void *a, const void *b, void *ctx)
{
	const struct report_owner *o = ctx;
	const struct report_owner *x = &o[*(const size_t *)a], *y = &o[*(const size_t *)b];
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->kind, y->kind);
}

static size_t add_package(struct audit *a, struct grouping *g, const char *name,
			  const char *kind)
{
	struct audit_package *p;
	size_t i;

	/* the accounted packages come first; an owner's is usually one of them */
	for (i = 0; i < g->naccounted; i++)
		if (strcmp(a->pkgs[i].name, name) == 0 && strcmp(a->pkgs[i].kind, kind) == 0)
			return i;

	xgrow(&a->pkgs, &g->cappkgs, a->npkgs + 1, sizeof(*a->pkgs));
	p = &a->pkgs[a->npkgs];
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->kind = kind;
	return a->npkgs++;
}

/* One package per distinct (name, kind) of the owners. */
static void make_packages(struct audit *a, struct grouping *g)
{
	const struct report *r = g->r;
	size_t *byname = xmalloc((r->nowners + 1) * sizeof(*byname));
	size_t i, cur = 0;

	audit_sort_owners(r, byname);
	if (r->nowners)
		qsort_r(byname, r->nowners, sizeof(*byname), cmp_owner_name, r->owners);
	for (i = 0; i < r->nowners; i++) {
		const struct report_owner *o = &r->owners[byname[i]];
		if (!i || cmp_owner_name(&byname[i - 1], &byname[i], r->owners) != 0)
			cur = add_package(a, g, o->name, o->kind);
		g->pkg_of[byname[i]] = cur;
	}
	free(byname);
}

/* Length of the part of path that the treemap does not show: the owner's
 * parent directory, or the root the path was given under. */
static size_t base_len(const struct report *r, const char *path, long owner)
{
	const char *s;
	size_t i, best = 0;

	if (owner >= 0) {
		s = strrchr(r->owners[owner].path, '/');
		return s ? (size_t)(s - r->owners[owner].path) + 1 : 0;
	}
	for (i = 0; i < r->nroots; i++) {
		size_t n = strlen(r->roots[i]);
		if (!n || strncmp(path, r->roots[i], n) != 0)
			continue;
		if (r->roots[i][n - 1] != '/' && path[n] == '/')
			n++;
		else if (r->roots[i][n - 1] != '/')
			continue; /* a single-file root, or only a common prefix */
		if (n > best)
			best = n;
	}
	return best;
}

/* path's item; tagged: its package from the accounting (report_change.pkg). */
static struct audit_item *new_item(struct audit *a, struct grouping *g, const char *path,
				   uint32_t tagged)
{
	long owner = audit_owner_of(g->r, g->idx, path);
	struct audit_item *it;

	xgrow(&a->items, &g->capitems, a->nitems + 1, sizeof(*a->items));
	it = &a->items[a->nitems++];
	memset(it, 0, sizeof(*it));
	it->path = path;
	it->base = base_len(g->r, path, owner);
	it->act = AUDIT_KEEP;
	it->kind = AUDIT_OTHER;
	it->reason = SKIP_NONE;
	if (tagged != REPORT_NO_PKG && tagged < g->naccounted) {
		it->pkg = tagged;
	} else if (owner >= 0) {
		it->pkg = g->pkg_of[owner];
	} else {
		if (g->other == (size_t)-1)
			g->other = add_package(a, g, "(other)", "other");
		it->pkg = g->other;
	}
	return it;
}

static enum audit_action action_of(const char *pass)
{
	if (strcmp(pass, "rules") == 0)
		return AUDIT_REMOVE;
	if (strcmp(pass, "dedup") == 0)
		return AUDIT_LINK;
	return AUDIT_STRIP;
}

/* A removal or a link says what became of the whole file; a strip only
 * shrinks it, so it shows only when nothing else happened. */
static int action_rank(enum audit_action act)
{
	static const int rank[AUDIT__ACTIONS] = {
		[AUDIT_KEEP] = 0, [AUDIT_STRIP] = 1, [AUDIT_LINK] = 2, [AUDIT_REMOVE] = 3,
	};

	return rank[act];
}

static void item_add_change(struct audit *a, struct audit_item *it,
			    const struct report_change *c)
{
	enum audit_kind k = audit_kind_of(c->pass, c->rule);
	enum audit_action act = action_of(c->pass);
	uint64_t saved = c->before > c->after ? c->before - c->after : 0;

	if (c->before > it->size)
		it->size = c->before;
	it->saved += saved;
	if (action_rank(act) > action_rank(it->act)) {
		it->act = act;
		it->kind = k;
		it->rule = act == AUDIT_REMOVE ? c->rule : NULL;
	}
	a->pkgs[it->pkg].by_kind[k] += saved;
	a->kind_files[k]++;
	a->kind_bytes[k] += saved;
	a->saved += saved;
}

static int cmp_item_path(const void *key, const void *elem)
{
	return strcmp(key, ((const struct audit_item *)elem)->path);
}

static int cmp_item(const void *x, const void *y)
{
	return strcmp(((const struct audit_item *)x)->path, ((const struct audit_item *)y)->path);
}

/* Every change (same paths merged: the report sorted them), then every
 * skip that is not also a change. */
static void make_items(struct audit *a, struct grouping *g)
{
	const struct report *r = g->r;
	struct audit_item *it = NULL;
	size_t nchanged, i;

	for (i = 0; i < r->nchanges; i++) {
		const struct report_change *c = &r->changes[i];
		if (!it || strcmp(it->path, c->path) != 0)
			it = new_item(a, g, c->path, c->pkg);
		item_add_change(a, it, c);
	}
	nchanged = a->nitems;
	for (i = 0; i < r->nskips; i++) {
		const struct report_skip *s = &r->skips[i];
		if (nchanged && bsearch(s->path, a->items, nchanged, sizeof(*a->items), cmp_item_path))
			continue;
		it = new_item(a, g, s->path, s->pkg);
		it->size = s->bytes;
		it->reason = s->reason;
	}
	if (a->nitems > nchanged)
		qsort(a->items, a->nitems, sizeof(*a->items), cmp_item);
}

/* The GPU code of each file onto its item (a file the strip pass read is
 * listed: changed, or skipped as already stripped). */
static void add_gpu(struct audit *a, const struct report *r)
{
	struct audit_item *it;
	size_t i;

	for (i = 0; i < r->ngpu_files && a->nitems; i++) {
		it = bsearch(r->gpu_files[i].path, a->items, a->nitems, sizeof(*a->items),
			     cmp_item_path);
		if (it)
			it->gpu += r->gpu_files[i].bytes;
	}
}

static int cmp_package(const void *x, const void *y, void *ctx)
{
	const struct audit_package *p = ctx;
	const struct audit_package *a = &p[*(const size_t *)x], *b = &p[*(const size_t *)y];
	int c;

	if (a->saved != b->saved)
		return a->saved > b->saved ? -1 : 1;
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	c = strcmp(a->name, b->name);
	if (c)
		return c;
	return strcmp(a->kind ? a->kind : "", b->kind ? b->kind : "");
}

/* Sum the items into their packages, drop packages with no item, and sort. */
static void finish_packages(struct audit *a)
{
	size_t *ord = xmalloc((a->npkgs + 1) * sizeof(*ord));
	size_t *pos = xmalloc((a->npkgs + 1) * sizeof(*pos));
	struct audit_package *sorted = xcalloc(a->npkgs + 1, sizeof(*sorted));
	size_t i, n = 0;

	for (i = 0; i < a->nitems; i++) {
		struct audit_package *p = &a->pkgs[a->items[i].pkg];
		p->items++;
		p->changed += a->items[i].act != AUDIT_KEEP;
		p->listed += a->items[i].size;
		p->saved += a->items[i].saved;
		p->gpu += a->items[i].gpu;
	}
	for (i = 0; i < a->npkgs; i++) {
		if (!a->accounted)
			a->pkgs[i].bytes = a->pkgs[i].listed;
		if (a->pkgs[i].items || a->pkgs[i].files)
			ord[n++] = i;
	}
	if (n)
		qsort_r(ord, n, sizeof(*ord), cmp_package, a->pkgs);
	for (i = 0; i < n; i++) {
		sorted[i] = a->pkgs[ord[i]];
		pos[ord[i]] = i;
	}
	for (i = 0; i < a->nitems; i++)
		a->items[i].pkg = pos[a->items[i].pkg];
	free(a->pkgs);
	a->pkgs = sorted;
	a->npkgs = n;
	free(ord);
	free(pos);
}

void audit_init(struct audit *a, const struct report *r)
{
	struct grouping g = { r, NULL, NULL, (size_t)-1, 0, 0 };
	size_t i;
	uint64_t listed = 0;

	memset(a, 0, sizeof(*a));
	a->accounted = r->accounted;
	for (i = 0; i < r->npkgs; i++) {
		size_t k = add_package(a, &g, r->pkgs[i].name, r->pkgs[i].kind);
		a->pkgs[k].files = r->pkgs[i].files;
		a->pkgs[k].bytes = r->pkgs[i].bytes;
		g.naccounted = a->npkgs;
	}
	g.idx = xmalloc((r->nowners + 1) * sizeof(*g.idx));
	g.pkg_of = xmalloc((r->nowners + 1) * sizeof(*g.pkg_of));
	audit_sort_owners(r, g.idx);
	make_packages(a, &g);
	make_items(a, &g);
	add_gpu(a, r);
	finish_packages(a);
	for (i = 0; i < a->nitems; i++)
		listed += a->items[i].size;
	a->unlisted = r->bytes_before > listed ? r->bytes_before - listed : 0;
	free(g.idx);
	free(g.pkg_of);
}

void audit_release(struct audit *a)
{
	free(a->pkgs);
	free(a->items);
	memset(a, 0, sizeof(*a));
}
