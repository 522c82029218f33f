/* rules_magic.c - P2 for the static-libs and foreign presets: what the
 * first bytes of a candidate file say it is (an ar archive, a libtool
 * file, a PE or Mach-O binary, an ELF executable or library and its CPU).
 */
#include <elf.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

void rl_static_magic(struct dctx *d)
{
	static const char *const libdirs[] = { "lib", "lib32", "lib64", "libx32", NULL };
	size_t i;

	for (i = 1; i < d->nnodes; i++) {
		struct node *nd = &d->nodes[i];
		const struct node *p = parent_of(d, nd);
		unsigned char *h;
		ssize_t got;

		if (nd->type != RT_FILE || (nd->flags & F_WHITEOUT))
			continue;
		if (ends_with(nd->name, ".a")) {
			got = rl_read(d, (uint32_t)i, 8, &h);
			if (got == 8 && (!memcmp(h, "!<arch>\n", 8) || !memcmp(h, "!<thin>\n", 8)))
				nd->flags |= F_AR;
			free(h);
		} else if (ends_with(nd->name, ".la") &&
			   (in_list(p->name, libdirs) ||
			    (!fnmatch("*-linux-*", p->name, 0) &&
			     in_list(parent_of(d, p)->name, libdirs)))) {
			got = rl_read(d, (uint32_t)i, 512, &h);
			if (got > 0 && memmem(h, (size_t)got, "libtool library file", 20))
				nd->flags |= F_LA;
			free(h);
		}
	}
}

static uint32_t rd32(const unsigned char *p, bool be)
{
	return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		  : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint16_t rd16(const unsigned char *p, bool be)
{
	return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

/* CPU families that run each other's code (a 64-bit kernel runs the
 * 32-bit variant); 0 for what is not a CPU we know (GPU code, BPF, ...),
 * which is never foreign. */
static unsigned cpu_family(unsigned em)
{
	switch (em) {
	case EM_386: case EM_X86_64: case EM_IAMCU: return 1;
	case EM_ARM: case EM_AARCH64: return 2;
	case EM_PPC: case EM_PPC64: return 3;
	case EM_SPARC: case EM_SPARC32PLUS: case EM_SPARCV9: return 4;
	case EM_MIPS: case EM_MIPS_RS3_LE: return 5;
	case EM_S390: return 6;
	case EM_RISCV: return 7;
	case EM_IA_64: return 8;
	case EM_68K: return 9;
	case EM_PARISC: return 10;
	case EM_SH: return 11;
	case EM_ALPHA: return 12;
#ifdef EM_LOONGARCH
	case EM_LOONGARCH: return 13;
#endif
	default: return 0;
	}
}

#define HEAD 1024

/* Classify the first bytes of a file: PE or Mach-O sets F_FOREIGN; an ELF
 * executable or shared object records its machine. */
static void classify(struct node *nd, const unsigned char *h, size_t n)
{
	static const char *const loaders[] = {
		"ld-linux*", "ld-musl-*", "ld64.so*", "ld.so.1", "libc.so*", "libc.musl*", NULL
	};

	if (n >= 20 && !memcmp(h, ELFMAG, SELFMAG) &&
	    (h[EI_CLASS] == ELFCLASS32 || h[EI_CLASS] == ELFCLASS64) &&
	    (h[EI_DATA] == ELFDATA2LSB || h[EI_DATA] == ELFDATA2MSB)) {
		bool be = h[EI_DATA] == ELFDATA2MSB;
		unsigned type = rd16(h + 16, be);

		if ((type == ET_EXEC || type == ET_DYN) && cpu_family(rd16(h + 18, be))) {
			nd->em = rd16(h + 18, be);
			nd->elfkind = glob_any(nd->name, loaders, 0) ? 2 : 1;
		}
		return;
	}
	if (n >= 8) {
		uint32_t m = rd32(h, true);

		if (m == 0xfeedface || m == 0xfeedfacf || m == 0xcefaedfe || m == 0xcffaedfe) {
			nd->flags |= F_FOREIGN;
			return;
		}
		/* A fat Mach-O counts its architectures where a Java class file
		 * has its version (major 45 or more) */
		if ((m == 0xcafebabe || m == 0xcafebabf) && rd32(h + 4, true) >= 1 &&
		    rd32(h + 4, true) < 45 && !ends_with(nd->name, ".class")) {
			nd->flags |= F_FOREIGN;
			return;
		}
	}
	if (n >= 64 && h[0] == 'M' && h[1] == 'Z') {
		uint32_t off = rd32(h + 0x3c, false);

		if (off >= 64 && off <= n - 4 && !memcmp(h + off, "PE\0\0", 4))
			nd->flags |= F_FOREIGN;
	}
}

/* The machine with the most votes, if it has more than half of them;
 * else 0. */
static unsigned majority(const struct dctx *d, int kind)
{
	unsigned cand = 0;
	size_t i, votes = 0, total = 0;

	/* Boyer-Moore vote, then a count to confirm */
	for (i = 1; i < d->nnodes; i++) {
		const struct node *nd = &d->nodes[i];

		if (nd->elfkind < kind)
			continue;
		if (!votes)
			cand = nd->em;
		votes += nd->em == cand ? 1 : (size_t)-1;
	}
	votes = 0;
	for (i = 1; i < d->nnodes; i++) {
		const struct node *nd = &d->nodes[i];

		if (nd->elfkind < kind)
			continue;
		total++;
		votes += nd->em == cand;
	}
	return 2 * votes > total ? cand : 0;
}

/* Names no executable or library has; their heads are not read. */
static bool not_binary(const char *name)
{
	static const char *const ext[] = {
		"py", "pyc", "pyi", "js", "mjs", "cjs", "ts", "json", "map", "h", "hpp", "c",
		"cc", "cpp", "txt", "md", "rst", "html", "htm", "css", "xml", "yml", "yaml",
		"svg", "png", "jpg", "jpeg", "gif", "gz", "xz", "bz2", "zst", "mo", "po",
		"pem", "crt", "pl", "pm", "rb", "sh", "go", "rs", "java", "class", "jar",
		"pyx", "pxd", "tcl", "csv", "toml", "cfg", "ini", "conf", "woff", "woff2",
		"ttf", "ico", NULL
	};
	const char *dot = strrchr(name, '.');

	return dot && in_list(dot + 1, ext);
}

void rl_foreign_magic(struct dctx *d)
{
	unsigned own = d->machine;
	size_t i;

	for (i = 1; i < d->nnodes; i++) {
		struct node *nd = &d->nodes[i];
		unsigned char *h;
		ssize_t got;

		if (nd->type != RT_FILE || (nd->flags & (F_WHITEOUT | F_FIRMWARE)))
			continue;
		if (nd->entry < 0 || rl_entry_size(d, (size_t)nd->entry) < 64 || not_binary(nd->name))
			continue;
		got = rl_read(d, (uint32_t)i, HEAD, &h);
		if (got > 0)
			classify(nd, h, (size_t)got);
		free(h);
	}
	if (!own && (own = majority(d, 2)) != 0)
		d->machine_from = "loaders";
	if (!own && (own = majority(d, 1)) != 0)
		d->machine_from = "binaries";
	d->machine = own;
	if (!own)
		return; /* no clear machine: leave every ELF file alone */
	for (i = 1; i < d->nnodes; i++) {
		struct node *nd = &d->nodes[i];

		if (nd->elfkind && cpu_family(nd->em) != cpu_family(own))
			nd->flags |= F_FOREIGN_ELF;
	}
}
