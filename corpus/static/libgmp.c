#include <gmp.h>
#include <stdio.h>
int main(void)
{
	mpz_t x;
	mpz_init(x);
	mpz_ui_pow_ui(x, 3, 200);
	gmp_printf("gmp %s 3^200=%Zd\n", gmp_version, x);
	mpz_clear(x);
	return 0;
}
