#include <stdio.h>
int bc_g2(int x);
int helper_api(int x);
int main(void)
{
	printf("bc %d %d\n", bc_g2(1), helper_api(2));
	return 0;
}
