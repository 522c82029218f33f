/* report_escape.c - how the report's strings are shown: names from the
 * input (paths, rules, messages) escaped for a terminal and for JSON.
 * Every presenter builds on these; report_html.c adds HTML's own escaping.
 */
#include "report.h"

/* Length of the valid UTF-8 sequence at s, or 0 if s starts an invalid one. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static unsigned utf8_cp(const unsigned char *s, size_t n)
{
	unsigned cp = s[0] & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
	size_t i;

	for (i = 1; i < n; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return cp;
}

/* Characters a terminal acts on or that reorder what is shown: C1 controls
 * (U+009B is a CSI in some terminals) and the bidirectional overrides. */
static bool hidden_control(const unsigned char *s, size_t n)
{
	unsigned cp = utf8_cp(s, n);

	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x61c;
}

void report_escape_text(struct buf *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		size_t n = utf8_len(s);
		if (n == 1 && *s >= 0x20 && *s != 0x7f && *s != '\\') {
			buf_addch(out, *s);
		} else if (*s == '\\') {
			buf_adds(out, "\\\\");
		} else if (*s == '\n') {
			buf_adds(out, "\\n");
		} else if (*s == '\t') {
			buf_adds(out, "\\t");
		} else if (n > 1 && !hidden_control(s, n)) {
			buf_add(out, s, n);
			s += n;
			continue;
		} else if (n > 1) { /* as its code point */
			buf_addf(out, "\\u%04x", utf8_cp(s, n));
			s += n;
			continue;
		} else {
			buf_addf(out, "\\x%02x", *s);
		}
		s++;
	}
}

void report_escape_json(struct buf *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	buf_addch(out, '"');
	while (*s) {
		size_t n = utf8_len(s);
		if (n > 1) {
			buf_add(out, s, n);
			s += n;
			continue;
		}
		if (n == 0)
			buf_addf(out, "\\udc%02x", *s);
		else if (*s == '"')
			buf_adds(out, "\\\"");
		else if (*s == '\\')
			buf_adds(out, "\\\\");
		else if (*s == '\n')
			buf_adds(out, "\\n");
		else if (*s == '\t')
			buf_adds(out, "\\t");
		else if (*s == '\r')
			buf_adds(out, "\\r");
		else if (*s < 0x20 || *s == 0x7f)
			buf_addf(out, "\\u%04x", *s);
		else
			buf_addch(out, *s);
		s++;
	}
	buf_addch(out, '"');
}
