/* ar.c - rewrite a GNU/SysV static archive with its members stripped (R5).
 *
 * libelf reads archives but cannot write them, so the format is handled
 * here.  Every member header is kept byte for byte except ar_size (and the
 * '\n' pad after an odd-sized member); the long-name table "//" is copied
 * unchanged; the armap ("/" or "/SYM64/") keeps its entries and their
 * order, and only its offsets are rewritten, old header offset to new.
 * Rebuilding the armap from ELF symbol tables, as GNU strip does, loses the
 * symbols of LTO and bitcode members and breaks links.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfimg.h"

#define AR_MAGIC "!<arch>\n"
#define HDR 60

enum kind { K_MEMBER, K_ARMAP, K_ARMAP64, K_NAMES };

struct member {
	size_t hdr, data;
	uint64_t size;
	enum kind kind;
	unsigned char *out; /* stripped data, or NULL: copied as it is */
	size_t outlen;
	size_t newhdr;
};

struct archive {
	const unsigned char *in;
	size_t n;
	struct member *m;
	size_t nm, cap;
};

static bool field_is(const unsigned char *f, size_t w, const char *s)
{
	size_t l = strlen(s), i;

	if (l > w || memcmp(f, s, l) != 0)
		return false;
	for (i = l; i < w; i++)
		if (f[i] != ' ')
			return false;
	return true;
}

/* Decimal ar_size: digits, then spaces. */
static bool parse_size(const unsigned char *f, uint64_t *v)
{
	size_t i = 0;

	*v = 0;
	if (f[0] < '0' || f[0] > '9')
		return false;
	for (; i < 10 && f[i] >= '0' && f[i] <= '9'; i++)
		*v = *v * 10 + (uint64_t)(f[i] - '0');
	for (; i < 10; i++)
		if (f[i] != ' ')
			return false;
	return true;
}

static enum strip_verdict parse(struct archive *a, struct strip_result *r)
{
	size_t pos = 8;

	while (pos < a->n) {
		const unsigned char *h = a->in + pos;
		struct member *m;
		uint64_t size;

		if (a->n - pos < HDR) {
			/* some writers end with a lone pad byte */
			if (a->n - pos == 1 && *h == '\n')
				break;
			return ei_fail(r, "truncated archive member header at offset %zu", pos);
		}
		if (h[58] != '`' || h[59] != '\n' || !parse_size(h + 48, &size))
			return ei_fail(r, "corrupt archive member header at offset %zu", pos);
		if (!ei_fits(pos + HDR, size, a->n))
			return ei_fail(r, "truncated archive: member at offset %zu ends past the end", pos);
		if (memcmp(h, "#1/", 3) == 0 || field_is(h, 16, "__.SYMDEF") ||
		    field_is(h, 16, "__.SYMDEF SORTED"))
			return ei_skip(r, SKIP_AR_FORMAT);
		xgrow(&a->m, &a->cap, a->nm + 1, sizeof(*a->m));
		m = &a->m[a->nm++];
		memset(m, 0, sizeof(*m));
		m->hdr = pos;
		m->data = pos + HDR;
		m->size = size;
		m->kind = field_is(h, 16, "/") ? K_ARMAP : field_is(h, 16, "/SYM64/") ? K_ARMAP64
			: field_is(h, 16, "//") ? K_NAMES : K_MEMBER;
		if ((m->kind == K_ARMAP || m->kind == K_ARMAP64) && a->nm != 1)
			return ei_skip(r, SKIP_AR_FORMAT); /* armap must come first */
		pos = m->data + size + (size & 1);
	}
	return STRIP_CHANGED;
}

static bool is_bitcode(const unsigned char *p, size_t n)
{
	return n >= 4 && ((p[0] == 'B' && p[1] == 'C' && p[2] == 0xc0 && p[3] == 0xde) ||
			  (p[0] == 0xde && p[1] == 0xc0 && p[2] == 0x17 && p[3] == 0x0b));
}

static void count_skip(struct strip_result *r, enum skip_reason why, uint64_t bytes)
{
	r->ar.skip[why].files++;
	r->ar.skip[why].bytes += bytes;
}

/* Strip every ELF member; the others stay as they are. */
static bool strip_members(struct archive *a, struct strip_result *r)
{
	bool any = false;
	size_t i;

	for (i = 0; i < a->nm; i++) {
		struct member *m = &a->m[i];
		const unsigned char *d = a->in + m->data;
		struct strip_result mr = STRIP_RESULT_INIT;

		if (m->kind != K_MEMBER)
			continue;
		r->ar.members++;
		if (m->size < 4 || memcmp(d, ELFMAG, SELFMAG) != 0) {
			count_skip(r, is_bitcode(d, m->size) ? SKIP_LTO : SKIP_NOT_ELF, m->size);
			continue;
		}
		switch (strip_elf(d, m->size, true, &mr)) {
		case STRIP_CHANGED:
			m->out = mr.out;
			m->outlen = mr.outlen;
			mr.out = NULL;
			r->ar.stripped++;
			r->ar.before += m->size;
			r->ar.after += m->outlen;
			any = true;
			break;
		case STRIP_SKIPPED:
			count_skip(r, mr.reason, m->size);
			break;
		case STRIP_FAILED:
			count_skip(r, SKIP_FAILED, m->size);
			break;
		}
		strip_result_release(&mr);
	}
	return any;
}

static struct member *member_at(struct archive *a, uint64_t hdr)
{
	size_t lo = 0, hi = a->nm;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a->m[mid].hdr == hdr)
			return &a->m[mid];
		if (a->m[mid].hdr < hdr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static uint64_t get_be(const unsigned char *p, size_t w)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < w; i++)
		v = (v << 8) | p[i];
	return v;
}

static void put_be(unsigned char *p, size_t w, uint64_t v)
{
	size_t i;

	for (i = w; i > 0; i--) {
		p[i - 1] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

/* Rewrite the armap's offsets in out (already a copy of the input's). */
static enum strip_verdict fix_armap(struct archive *a, const struct member *map,
				    unsigned char *out, struct strip_result *r)
{
	size_t w = map->kind == K_ARMAP64 ? 8 : 4, i;
	const unsigned char *d = a->in + map->data;
	unsigned char *o = out + map->newhdr + HDR;
	uint64_t count;

	if (map->size < w)
		return ei_fail(r, "%s", "corrupt archive symbol table");
	count = get_be(d, w);
	if (count > (map->size - w) / w)
		return ei_fail(r, "%s", "corrupt archive symbol table: count too large");
	for (i = 0; i < count; i++) {
		struct member *t = member_at(a, get_be(d + w + i * w, w));
		if (!t || t->kind != K_MEMBER)
			return ei_fail(r, "%s", "archive symbol table points at no member");
		put_be(o + w + i * w, w, t->newhdr);
	}
	return STRIP_CHANGED;
}

static enum strip_verdict assemble(struct archive *a, struct strip_result *r)
{
	unsigned char *out = xmalloc(a->n);
	size_t pos = 8, i;
	enum strip_verdict v = STRIP_CHANGED;

	memcpy(out, AR_MAGIC, 8);
	for (i = 0; i < a->nm; i++) {
		struct member *m = &a->m[i];
		size_t len = m->out ? m->outlen : m->size;
		m->newhdr = pos;
		memcpy(out + pos, a->in + m->hdr, HDR);
		if (m->out) {
			char sz[11];
			snprintf(sz, sizeof(sz), "%-10zu", len);
			memcpy(out + pos + 48, sz, 10);
		}
		if (len)
			memcpy(out + pos + HDR, m->out ? m->out : a->in + m->data, len);
		pos += HDR + len;
		if (len & 1)
			out[pos++] = '\n';
	}
	for (i = 0; i < a->nm && v == STRIP_CHANGED; i++)
		if (a->m[i].kind == K_ARMAP || a->m[i].kind == K_ARMAP64)
			v = fix_armap(a, &a->m[i], out, r);
	if (v != STRIP_CHANGED) {
		free(out);
		return v;
	}
	r->out = out;
	r->outlen = pos;
	return STRIP_CHANGED;
}

/* R7 for archives: parse the output and compare it member by member. */
static const char *verify(struct archive *a, const unsigned char *out, size_t len)
{
	struct archive b = { .in = out, .n = len };
	struct strip_result tmp = STRIP_RESULT_INIT;
	const char *why = NULL;
	size_t i;

	if (len >= a->n)
		return "output is not smaller";
	if (parse(&b, &tmp) != STRIP_CHANGED || b.nm != a->nm) {
		why = "output does not parse";
		goto out;
	}
	for (i = 0; i < a->nm && !why; i++) {
		const struct member *o = &a->m[i], *n = &b.m[i];
		size_t w = o->kind == K_ARMAP64 ? 8 : 4, k, cnt;
		if (memcmp(a->in + o->hdr, out + n->hdr, 48) != 0 || o->kind != n->kind) {
			why = "member header changed";
		} else if (!o->out && (n->size != o->size ||
				       memcmp(a->in + o->data, out + n->data, o->size) != 0)) {
			if (o->kind == K_MEMBER || o->kind == K_NAMES)
				why = "member changed";
		} else if (o->out && (n->size != o->outlen ||
				      memcmp(o->out, out + n->data, o->outlen) != 0)) {
			why = "stripped member changed";
		}
		if (why || (o->kind != K_ARMAP && o->kind != K_ARMAP64))
			continue;
		/* same count, same names; each offset names the moved member */
		cnt = (size_t)get_be(a->in + o->data, w);
		if (n->size != o->size ||
		    memcmp(a->in + o->data + w + cnt * w, out + n->data + w + cnt * w,
			   o->size - w - cnt * w) != 0) {
			why = "armap names changed";
			break;
		}
		for (k = 0; k < cnt; k++) {
			uint64_t old = get_be(a->in + o->data + w + k * w, w);
			uint64_t neu = get_be(out + n->data + w + k * w, w);
			const struct member *t = member_at(a, old);
			if (!t || t->newhdr != neu ||
			    memcmp(a->in + old, out + neu, 16) != 0) {
				why = "armap offset wrong";
				break;
			}
		}
	}
out:
	free(b.m);
	strip_result_release(&tmp);
	return why;
}

/* Why an archive none of whose members changed is left alone: the first
 * unusual member reason, else what its members are. */
static enum skip_reason archive_reason(const struct strip_result *r)
{
	const struct strip_members *m = &r->ar;
	int k;

	for (k = 1; k < SKIP__COUNT; k++)
		if (m->skip[k].files && k != SKIP_STRIPPED && k != SKIP_NOT_ELF && k != SKIP_LTO)
			return (enum skip_reason)k;
	if (m->members && m->skip[SKIP_NOT_ELF].files == m->members)
		return SKIP_AR_NO_ELF;
	if (m->members && m->skip[SKIP_NOT_ELF].files + m->skip[SKIP_LTO].files == m->members)
		return SKIP_LTO;
	return SKIP_STRIPPED;
}

enum strip_verdict ar_strip(const unsigned char *in, size_t n, struct strip_result *r)
{
	struct archive a = { .in = in, .n = n };
	enum strip_verdict v;
	const char *why;
	size_t i;

	r->archive = true;
	v = parse(&a, r);
	if (v != STRIP_CHANGED)
		goto out;
	if (!strip_members(&a, r)) {
		v = ei_skip(r, archive_reason(r));
		goto out;
	}
	v = assemble(&a, r);
	if (v == STRIP_CHANGED && (why = verify(&a, r->out, r->outlen))) {
		free(r->out);
		r->out = NULL;
		r->outlen = 0;
		v = ei_fail(r, "internal check failed, archive left as it was: %s", why);
	}
out:
	for (i = 0; i < a.nm; i++)
		free(a.m[i].out);
	free(a.m);
	r->verdict = v;
	return v;
}
