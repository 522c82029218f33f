/* libFuzzer target: the rules engine (rules files, globs, presets, the
 * decision over a list of entries, the import scan of Python sources).
 *
 * Input: RULES '\0' ENTRIES '\0' CONTENT.  RULES is a rules file (its
 * first byte also picks extra presets); ENTRIES is one entry a line, a
 * type letter (f d l o w) then the path; CONTENT is what every file reads
 * as (Python source for the import scan, magic for static-libs/foreign).
 * The documented guarantees of rules_decide() are checked: below a
 * dropped directory everything is dropped, and so every ancestor of a
 * kept entry is kept. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Entries looked at: enough for every rule, and the quadratic check of
 * the verdicts stays cheap. */
#define MAX_ENTRIES 256

struct content {
	const uint8_t *p;
	size_t n;
};

static ssize_t read_content(void *ctx, size_t i, size_t max, unsigned char **buf)
{
	const struct content *c = ctx;
	size_t n = c->n < max ? c->n : max;

	(void)i;
	if (n == 1 && c->p[0] == 'X')
		return -1; /* an unreadable file */
	*buf = malloc(n + 1);
	if (!*buf)
		return -1;
	memcpy(*buf, c->p, n);
	return (ssize_t)n;
}

static enum rules_type type_of(char c)
{
	switch (c) {
	case 'd': return RT_DIR;
	case 'l': return RT_SYMLINK;
	case 'o': return RT_OTHER;
	case 'w': return RT_WHITEOUT;
	default: return RT_FILE;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const extra[] = { "static-libs", "headers", "docs", "node",
					     "node-caution", "foreign" };
	const uint8_t *end = data + size, *z1, *z2, *p;
	struct content c = { NULL, 0 };
	struct rules_entry *ents = NULL;
	struct rules_verdict *v = NULL;
	struct err e = ERR_INIT;
	struct rules *r;
	char *lines = NULL, path[64];
	size_t n = 0, i, j;
	int fd;

	z1 = memchr(data, 0, size);
	if (!z1)
		return 0;
	z2 = memchr(z1 + 1, 0, (size_t)(end - z1 - 1));
	c.p = z2 ? z2 + 1 : end;
	c.n = (size_t)(end - c.p);

	r = rules_new();
	rules_add_preset(r, "python", &e);
	for (i = 0; z1 > data && i < 6; i++)
		if (data[0] & (1u << i))
			rules_add_preset(r, extra[i], &e);
	err_release(&e);
	if (z1 > data && (data[0] & 0x40))
		rules_set_machine(r, 62 /* EM_X86_64 */);
	fd = memfd_create("rules", MFD_CLOEXEC);
	if (fd >= 0 && write(fd, data, (size_t)(z1 - data)) == z1 - data) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		rules_load_file(r, path, &e);
		err_release(&e);
	}
	if (fd >= 0)
		close(fd);

	/* the entries: one per line, NUL-terminated copies */
	lines = malloc((size_t)((z2 ? z2 : end) - z1));
	ents = calloc((size_t)((z2 ? z2 : end) - z1) + 1, sizeof(*ents));
	if (!lines || !ents)
		goto out;
	memcpy(lines, z1 + 1, (size_t)((z2 ? z2 : end) - z1 - 1));
	lines[(z2 ? z2 : end) - z1 - 1] = '\0';
	for (char *s = lines, *nl; *s; s = nl ? nl + 1 : s + strlen(s)) {
		nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		if (!*s)
			continue;
		ents[n].type = type_of(s[0]);
		ents[n].path = s[1] ? s + 1 : s;
		ents[n].size = (uint64_t)c.n;
		n++;
		if (!nl || n == MAX_ENTRIES)
			break;
	}
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		goto out;
	if (rules_decide(r, ents, n, read_content, &c, v, &e) == 0) {
		for (i = 0; i < n; i++) {
			/* kept on purpose: kept, and with a reason */
			if (v[i].kept_on_purpose && (v[i].rule >= 0 || !v[i].why))
				abort();
			if (v[i].rule >= (int)rules_count(r) || v[i].keep_rule >= (int)rules_count(r))
				abort();
			if (v[i].rule >= 0 && !rules_name(r, v[i].rule))
				abort();
			if (v[i].rule < 0 || ents[i].type != RT_DIR)
				continue;
			size_t len = strlen(ents[i].path);
			for (j = 0; j < n; j++)
				if (strncmp(ents[j].path, ents[i].path, len) == 0 &&
				    ents[j].path[len] == '/' && v[j].rule < 0) {
					/* the last listing of a path wins: only complain
					 * when this directory is the last one listed */
					size_t k;
					for (k = i + 1; k < n; k++)
						if (strcmp(ents[k].path, ents[i].path) == 0)
							break;
					if (k == n)
						abort();
				}
		}
	}
	err_release(&e);
out:
	free(v);
	free(ents);
	free(lines);
	rules_free(r);
	return 0;
}
