/* libx: a .so with a hand-made non-alloc SDT note (strip-spec case 3). The other
 * kept non-alloc sections are added with objcopy by build-fixtures.sh. */
int x_value(int a)
{
	return a * 3 + 1;
}

/* .note.stapsdt as systemtap's <sys/sdt.h> makes it: non-alloc, SHT_NOTE. */
__asm__(".pushsection .note.stapsdt,\"\",@note\n"
	"  .balign 4\n"
	"  .4byte 992f-991f, 994f-993f, 3\n"
	"991: .asciz \"stapsdt\"\n"
	"992: .balign 4\n"
	"993: .8byte 0, 0, 0\n"
	"  .asciz \"slimtest\"\n"
	"  .asciz \"probe1\"\n"
	"  .asciz \"-4@%edi\"\n"
	"994: .balign 4\n"
	".popsection\n");
