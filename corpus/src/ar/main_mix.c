#include <stdio.h>
int m1_api(int x);
int long_api(int x);
int dup_one(void);
int dup_two(void);
int main(void)
{
	printf("mix %d %d %d %d\n", m1_api(1), long_api(10), dup_one(), dup_two());
	return 0;
}
