/* owners.c - who owns what: Python distributions (from their
 * *.dist-info/RECORD) and npm packages (node_modules/NAME), so that an
 * audit can group paths by package. */
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

static bool is_dist_record(const char *path)
{
	size_t n = strlen(path);

	return n >= 17 && strcmp(path + n - 17, ".dist-info/RECORD") == 0;
}

void pass_owners(struct pipeline *p)
{
	const struct entries *t = &p->src->ents;
	struct buf path = BUF_INIT;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct entry *x = &t->v[i];
		unsigned char *data = NULL;
		ssize_t len;
		if (x->flags & ENT_GONE)
			continue;
		if (x->type == ENT_DIR) {
			pipeline_display(p, i, &path);
			report_owner_from_path(p->rep, path.p);
		}
		/* a tree's every name is a file of its own; a layer's hard link
		 * is its target's content, looked at there */
		if (!(x->type == ENT_FILE || (x->type == ENT_HARDLINK && p->src->link_names)) ||
		    !is_dist_record(x->path))
			continue;
		len = p->src->ops->read_head(p->src, i, (size_t)-1, &data);
		if (len >= 0) {
			pipeline_display(p, i, &path);
			report_owners_from_record(p->rep, path.p, (char *)data, (size_t)len);
		}
		free(data);
	}
	buf_release(&path);
}
