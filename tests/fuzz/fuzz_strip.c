/* libFuzzer target: the ELF and archive stripper, buffer in, buffer out.
 * Whatever the input, strip_buffer must not crash, and an output it calls
 * good must be smaller, must parse again, must load as the input does
 * (an executable or shared object: see same_load), and must not be
 * strippable further by more than its own rewrite (idempotence). */
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Is byte k of a file one of the ELF header's or the program header
 * table's (which change when segments move)? */
static bool masked(const GElf_Ehdr *eh, size_t phnum, uint64_t k)
{
	return k < (eh->e_ident[EI_CLASS] == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)) ||
	       (k >= eh->e_phoff && k - eh->e_phoff < (uint64_t)phnum * eh->e_phentsize);
}

/* The output out of an ET_EXEC or ET_DYN input in loads as it does: the
 * same program headers but p_offset; a PT_LOAD that moved, by a multiple
 * of its p_align, a power of two of a page or more; every segment's bytes
 * the same, the two headers aside (an independent check of elfmove.c's). */
static void same_load(const uint8_t *in, size_t n, const uint8_t *out, size_t m)
{
	Elf *a = elf_memory((char *)in, n), *b = elf_memory((char *)out, m);
	GElf_Ehdr ea, eb;
	size_t pa = 0, pb = 0, i;
	uint64_t k;

	if (!a || !gelf_getehdr(a, &ea) || elf_getphdrnum(a, &pa))
		abort();
	if (pa == 0 || (ea.e_phnum != PN_XNUM && ea.e_phnum != pa))
		goto out; /* no table, or one that runs past the end (libelf counts what fits) */
	if (!b || !gelf_getehdr(b, &eb) || elf_getphdrnum(b, &pb) || pa != pb)
		abort();
	for (i = 0; i < pa && ea.e_type != ET_REL; i++) {
		GElf_Phdr x, y;
		uint64_t from;
		if (!gelf_getphdr(a, (int)i, &x) || !gelf_getphdr(b, (int)i, &y))
			abort();
		from = x.p_offset;
		x.p_offset = y.p_offset;
		if (memcmp(&x, &y, sizeof(x)) != 0 || y.p_offset > from)
			abort();
		if (x.p_type == PT_LOAD && from != y.p_offset &&
		    (x.p_align < 4096 || (x.p_align & (x.p_align - 1)) ||
		     (from - y.p_offset) % x.p_align))
			abort(); /* moved by other than whole pages of its alignment */
		if (x.p_filesz && (y.p_offset > m || x.p_filesz > m - y.p_offset))
			abort();
		for (k = 0; k < x.p_filesz; k++)
			if (!masked(&ea, pa, from + k) && !masked(&eb, pb, y.p_offset + k) &&
			    in[from + k] != out[y.p_offset + k])
				abort();
	}
out:
	elf_end(a);
	elf_end(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strip_opts o = { .strip_objects = 1 };
	struct strip_result r = STRIP_RESULT_INIT, r2 = STRIP_RESULT_INIT;

	strip_init();
	if (strip_buffer(data, size, &o, &r) == STRIP_CHANGED) {
		if (r.outlen >= size)
			abort();
		if (size >= 4 && memcmp(data, ELFMAG, SELFMAG) == 0)
			same_load(data, size, r.out, r.outlen);
		/* a second strip finds nothing more to do, or fails cleanly */
		if (strip_buffer(r.out, r.outlen, &o, &r2) == STRIP_CHANGED && r2.outlen >= r.outlen)
			abort();
	}
	strip_result_release(&r);
	strip_result_release(&r2);
	return 0;
}
