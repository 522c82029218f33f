/* rules_glob.c - glob rules: a glob split into path components, and
 * matched against a node's name or its whole path (doc/rules.md). */
#include <fnmatch.h>
#include <stdint.h>
#include <string.h>

#include "rules_int.h"

/* Split the glob into components; "" on success, else what is wrong. */
const char *rl_glob_compile(struct rule *ru, const char *glob)
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
	/* globs match below the prefix (rules_at): never its directories */
	buf_add(&d->compbuf, d->nodes[i].path + d->skip, d->nodes[i].len - d->skip);
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

bool rl_glob_match(struct dctx *d, const struct rule *ru, uint32_t i)
{
	const struct node *nd = &d->nodes[i];

	if (!ru->anchored)
		return !fnmatch(ru->comp[0], nd->name, 0);
	split_path(d, i);
	return comps_match(ru->comp, ru->ncomp, d->comps, d->ncomps);
}

