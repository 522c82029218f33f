# s.s - hand-written ET_REL fixture (strip-spec 2.1, 2.4, case 16): a COMDAT group
# whose signature is a local symbol, a non-COMDAT group (flag word 0), a local
# IFUNC used by .rela.data, unreferenced locals, an undefined global nobody uses,
# and an undefined symbol referenced only from .debug_info.
	.text
	.globl	f
	.type	f, @function
f:
	call	localsig
	movl	$1, %eax
	ret
	.size	f, .-f

	.type	loc_ifunc_impl, @function
loc_ifunc_impl:
	movl	$2, %eax
	ret
	.size	loc_ifunc_impl, .-loc_ifunc_impl

	.type	loc_ifunc, @gnu_indirect_function
	.set	loc_ifunc, loc_ifunc_impl

	.section .text.localsig,"axG",@progbits,localsig,comdat
	.type	localsig, @function
localsig:
	ret
	.size	localsig, .-localsig

	.section .rodata.grp0,"aG",@progbits,grp0sig
	.globl	grp0sig
grp0sig:
	.long	7

	.data
	.globl	ifunc_ptr
ifunc_ptr:
	.quad	loc_ifunc
unref_local_data:
	.long	5

	.globl	never_used_undef

	.section .debug_info,"",@progbits
	.quad	only_from_debug
	.section .note.GNU-stack,"",@progbits
