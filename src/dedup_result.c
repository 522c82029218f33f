/* dedup_result.c - what a dedup run found: its groups (one per kept copy's
 * class of xattrs in a span of equal content and metadata) and its
 * errors, in item order. */
#include <stdlib.h>

#include "dedup_int.h"

/* Turn span s into a group of res, if at least one copy survived. */
static void add_group(const struct dedup *c, const struct span *s, struct dedup_result *res,
		      size_t *cap)
{
	struct dedup_group g = { 0 };
	const struct dfile *kept = NULL;
	size_t k, i, nitems = 0, ncopies = 0, nlinked = 0, nkept = 0;

	for (k = 0; k < s->len; k++) {
		const struct dfile *f = &c->files[c->work[s->start + k]];

		if (f->role == ROLE_NONE)
			continue;
		/* the first; more when one filled up with links (EMLINK) */
		if (f->role == ROLE_KEPT && !nkept++)
			kept = f;
		ncopies += f->role == ROLE_COPY;
		nlinked += (f->flags & F_LINKED) != 0;
		nitems += nnames(c, f);
	}
	if (!kept || !ncopies)
		return;
	g.items = xcalloc(nitems, sizeof(*g.items));
	g.copies = xcalloc(ncopies, sizeof(*g.copies));
	for (k = 0; k < s->len; k++) {
		const struct dfile *f = &c->files[c->work[s->start + k]];
		const uint32_t *names = names_of(c, f);

		if (f->role == ROLE_NONE)
			continue;
		for (i = 0; i < nnames(c, f); i++)
			g.items[g.nitems++] = names[i];
		if (f->role == ROLE_COPY)
			g.copies[g.ncopies++] = names[0];
	}
	qsort(g.items, g.nitems, sizeof(*g.items), cmp_size_t);
	qsort(g.copies, g.ncopies, sizeof(*g.copies), cmp_size_t);
	g.nfiles = ncopies + nkept;
	g.size = kept->size;
	g.elf_shared = kept->flags & F_ELF_SO;
	g.linked = nlinked > 0;
	res->files_linked += nlinked;
	res->bytes_saved += g.size * nlinked;
	if (!group_would_link(c, kept)) {
		res->elf_groups++;
		res->elf_bytes_unlinked += g.size * ncopies;
	}
	xgrow(&res->groups, cap, res->ngroups + 1, sizeof(*res->groups));
	res->groups[res->ngroups++] = g;
}

static int cmp_group(const void *a, const void *b)
{
	const struct dedup_group *x = a, *y = b;
	return cmp_size_t(&x->items[0], &y->items[0]);
}

static int cmp_error(const void *a, const void *b)
{
	const struct dfile *x = *(const struct dfile *const *)a, *y = *(const struct dfile *const *)b;
	return cmp_size_t(&x->x->err_item, &y->x->err_item);
}

/* Every file's error, in item order. */
static void collect_errors(const struct dedup *c, struct dedup_result *res)
{
	const struct dfile **bad;
	size_t i, n = 0;

	for (i = 0; i < c->nfiles; i++)
		n += ferr(&c->files[i]) != NULL;
	if (!n)
		return;
	bad = xcalloc(n, sizeof(*bad));
	for (i = 0, n = 0; i < c->nfiles; i++)
		if (ferr(&c->files[i]))
			bad[n++] = &c->files[i];
	qsort(bad, n, sizeof(*bad), cmp_error);
	res->errors = xcalloc(n, sizeof(*res->errors));
	for (i = 0; i < n; i++) {
		res->errors[i].item = bad[i]->x->err_item;
		res->errors[i].err.msg = xstrdup(bad[i]->x->err.msg);
		res->errors[i].err.code = bad[i]->x->err.code;
	}
	res->nerrors = n;
	free(bad);
}

void dedup_build_result(const struct dedup *c, struct dedup_result *res)
{
	size_t g, cap = 0;

	for (g = 0; g < c->ngroups; g++) {
		const struct span *s = &c->groups[g];
		size_t k, start;

		/* a span's classes of xattrs (verify_group) */
		for (start = 0; start < s->len; start = k) {
			for (k = start + 1; k < s->len; k++)
				if (c->files[c->work[s->start + k]].flags & F_CLASS)
					break;
			add_group(c, &(struct span){ s->start + start, k - start }, res, &cap);
		}
	}
	/* a promoted kept copy may come later than its span's first file */
	if (res->ngroups)
		qsort(res->groups, res->ngroups, sizeof(*res->groups), cmp_group);
	collect_errors(c, res);
}
