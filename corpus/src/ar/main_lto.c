#include <stdio.h>
int lto_api(int x);
int lto_api2(int x);
int main(void)
{
	printf("lto %d %d\n", lto_api(4), lto_api2(3));
	return 0;
}
