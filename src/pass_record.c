/* pass_record.c - a wheel's RECORD after the other passes.
 *
 * pip checks every installed file against its line in
 * NAME-VER.dist-info/RECORD.  Once the rules and the strip pass have
 * decided, and before dedup, every RECORD of a zip is rewritten: removed
 * files leave it, changed files get their new hash and size, every other
 * line (RECORD's own, unhashed, included) stays as it was, byte for byte.
 * The new RECORD takes the old one's place through the sink, and the
 * change is reported (pass "record"), in a dry run too, so that a dry run
 * reports what a real run writes.
 */
#include <stdlib.h>
#include <string.h>
#include <nettle/sha2.h>

#include "content.h"
#include "pipeline.h"

/* Is path a wheel's RECORD ("NAME-VER.dist-info/RECORD" at the top)? */
static bool is_record(const char *path)
{
	const char *slash = strchr(path, '/');

	return slash && strcmp(slash, "/RECORD") == 0 && slash - path > 10 &&
	       strncmp(slash - 10, ".dist-info", 10) == 0;
}

/* "sha256=" + urlsafe base64 without padding, as RECORD wants, of the
 * content of entry i as it is now.  A content that cannot be read fails
 * the input (a RECORD with a wrong hash would not install). */
static void record_hash(struct pipeline *p, size_t i, struct buf *out)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	struct source_file f = SOURCE_FILE_INIT;
	unsigned char *buf = xmalloc(p->src->chunk), d[SHA256_DIGEST_SIZE];
	struct err e = ERR_INIT;
	struct sha256_ctx c;
	uint64_t off;
	size_t k;

	sha256_init(&c);
	if (p->src->ops->open(p->src, i, &f, &e) == 0)
		for (off = 0; off < f.size; off += k) {
			k = f.size - off < p->src->chunk ? (size_t)(f.size - off) : p->src->chunk;
			if (source_pread(&f, buf, k, off, &e) != 0)
				break;
			sha256_update(&c, k, buf);
		}
	source_close(&f);
	if (e.msg)
		pipeline_fail(p, e.msg);
	err_release(&e);
	sha256_digest(&c, sizeof(d), d);
	free(buf);
	buf_adds(out, "sha256=");
	for (k = 0; k < sizeof(d); k += 3) {
		unsigned v = (unsigned)d[k] << 16 | (k + 1 < sizeof(d) ? (unsigned)d[k + 1] << 8 : 0) |
			     (k + 2 < sizeof(d) ? d[k + 2] : 0);
		buf_addch(out, b64[v >> 18 & 63]);
		buf_addch(out, b64[v >> 12 & 63]);
		if (k + 1 < sizeof(d))
			buf_addch(out, b64[v >> 6 & 63]);
		if (k + 2 < sizeof(d))
			buf_addch(out, b64[v & 63]);
	}
}

/*
 * One CSV field of RECORD at p (before end), as Python's csv module reads
 * it: plain up to ',' or the end of the line, or quoted ("..." with ""
 * for a quote; commas and newlines inside are the field's).  Its value
 * goes to val; returns where it stops (a ',', a line end, or end).
 */
static const char *csv_field(const char *p, const char *end, struct buf *val)
{
	buf_setlen(val, 0);
	if (p < end && *p == '"') {
		for (p++; p < end; p++) {
			if (*p == '"' && (p + 1 == end || p[1] != '"')) {
				p++;
				break;
			}
			p += *p == '"'; /* "" */
			buf_addch(val, *p);
		}
	}
	for (; p < end && *p != ',' && *p != '\n' && *p != '\r'; p++)
		buf_addch(val, *p);
	return p;
}

/* The entry a RECORD line names, if it is a file slim changed or removed. */
static uint32_t record_target(const struct pipeline *p, const char *name)
{
	const struct source *s = p->src;
	const char *why;
	char *path = path_normalize(name, true, &why);
	uint32_t k = path && s->ops->find ? s->ops->find(s, path) : ENT_NONE;

	free(path);
	if (k == ENT_NONE || s->ents.v[k].type != ENT_FILE || is_record(s->ents.v[k].path))
		return ENT_NONE;
	return pipeline_gone(p, k) || p->v[k].state == V_CHANGED ? k : ENT_NONE;
}

/* record_hash of entry t, once a run however many lines name it (memo: one
 * slot an entry, NULL until hashed). */
static void record_hash_once(struct pipeline *p, uint32_t t, char **memo, struct buf *out)
{
	if (!memo[t]) {
		struct buf h = BUF_INIT;
		record_hash(p, t, &h);
		memo[t] = buf_detach(&h, NULL);
	}
	buf_adds(out, memo[t]);
}

/* RECORD rec (its content data[0..len)) after slim, into out.  Lines are
 * CSV records: a path may be quoted, with doubled quotes, commas or
 * newlines in it.  Returns whether anything changed. */
static bool rewrite_record(struct pipeline *p, const char *data, size_t len, char **memo,
			   struct buf *out)
{
	const char *q = data, *end = data + len;
	struct buf name = BUF_INIT, rest = BUF_INIT;
	bool changed = false;

	while (q < end) {
		const char *start = q, *f1, *eol;
		uint32_t t;
		q = f1 = csv_field(q, end, &name);
		while (q < end && *q == ',')
			q = csv_field(q + 1, end, &rest);
		eol = q;
		q += q < end && *q == '\r';
		q += q < end && *q == '\n';
		if ((t = record_target(p, name.p)) == ENT_NONE) {
			buf_add(out, start, (size_t)(q - start));
			continue;
		}
		changed = true;
		if (pipeline_gone(p, t))
			continue; /* removed: not listed any more */
		buf_add(out, start, (size_t)(f1 - start));
		buf_addch(out, ',');
		record_hash_once(p, t, memo, out);
		buf_addf(out, ",%llu", (unsigned long long)pipeline_size(p, t));
		buf_add(out, eol, (size_t)(q - eol));
	}
	buf_release(&name);
	buf_release(&rest);
	return changed;
}

/* Rewrite RECORD i; false when the output cannot be made. */
static bool update(struct pipeline *p, size_t i, char **memo, struct buf *rec)
{
	struct source_file f = SOURCE_FILE_INIT;
	const struct entry *x = &p->src->ents.v[i];
	unsigned char *data = NULL;
	struct err e = ERR_INIT;
	struct strip_out *out;
	struct content c;
	ssize_t len = p->src->ops->read_head(p->src, i, (size_t)-1, &data);
	bool ok = true;

	buf_setlen(rec, 0);
	if (!rewrite_record(p, len > 0 ? (char *)data : "", len > 0 ? (size_t)len : 0, memo, rec))
		goto out;
	if (p->fatal.msg) {
		ok = false;
		goto out;
	}
	content_init(&c, NULL, 0);
	content_add_ref(&c, rec->p, rec->len);
	if (p->sink->ops->replace(p->sink, p, i, &f, &c, &e) != SINK_REPLACED) {
		content_release(&c);
		pipeline_fail(p, e.msg);
		ok = false;
		goto out;
	}
	content_release(&c);
	out = pipeline_out(p, i);
	out->after = rec->len;
	out->replaced = true;
	if (p->o->dedup != DEDUP_OFF) {
		dedup_digest_of(rec->p, rec->len, &out->dg);
		out->have_dg = true;
	}
	{
		struct buf path = BUF_INIT;
		pipeline_display(p, i, &path);
		report_change(p->rep, path.p, "record", x->size, rec->len);
		buf_release(&path);
	}
out:
	free(data);
	err_release(&e);
	return ok;
}

void pass_record(struct pipeline *p)
{
	struct buf rec = BUF_INIT;
	char **memo;
	size_t i;

	if (!p->src->zip)
		return;
	memo = xcalloc(p->src->ents.n ? p->src->ents.n : 1, sizeof(*memo));
	for (i = 0; i < p->src->ents.n; i++) {
		const struct entry *x = &p->src->ents.v[i];
		if (x->type != ENT_FILE || pipeline_gone(p, i) || !is_record(x->path))
			continue;
		if (!update(p, i, memo, &rec))
			break;
	}
	for (i = 0; i < p->src->ents.n; i++)
		free(memo[i]);
	free(memo);
	buf_release(&rec);
}
