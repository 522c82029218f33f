/* entry.c - the table of entries a source yields. */
#include "entry.h"

#include <stdlib.h>
#include <string.h>

struct entry *entries_add(struct entries *t, const char *path, enum entry_type type)
{
	struct entry *x;

	if (t->n >= ENT_MAX)
		return NULL;
	xgrow(&t->v, &t->cap, t->n + 1, sizeof(*t->v));
	x = &t->v[t->n++];
	memset(x, 0, sizeof(*x));
	x->path = strpool_dup(&t->paths, path);
	x->parent = ENT_NONE;
	x->link = ENT_NONE;
	x->type = (uint8_t)type;
	return x;
}

void entries_release(struct entries *t)
{
	free(t->v);
	strpool_release(&t->paths);
	t->v = NULL;
	t->n = t->cap = 0;
}

enum rules_type entry_rules_type(const struct entry *x)
{
	if (x->flags & ENT_WHITEOUT)
		return RT_WHITEOUT;
	switch (x->type) {
	case ENT_FILE:
	case ENT_HARDLINK: return RT_FILE;
	case ENT_DIR: return RT_DIR;
	case ENT_SYMLINK: return RT_SYMLINK;
	default: return RT_OTHER;
	}
}

const char *entry_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}
