#include <ffi.h>
#include <stdio.h>
static int add3(int a, int b, int c) { return a * 100 + b * 10 + c; }
int main(void)
{
	ffi_cif cif; ffi_type *args[3] = { &ffi_type_sint, &ffi_type_sint, &ffi_type_sint };
	int a = 1, b = 2, c = 3; void *v[3] = { &a, &b, &c }; ffi_arg r;
	if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 3, &ffi_type_sint, args) != FFI_OK) return 1;
	ffi_call(&cif, FFI_FN(add3), &r, v);
	printf("ffi result %d\n", (int)r);
	return 0;
}
