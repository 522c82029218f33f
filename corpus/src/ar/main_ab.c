#include <stdio.h>
int a_api(int x);
int b_api(int x);
const char *b_tag(void);
int main(void)
{
	printf("%s says %d / r=%d\n", b_tag(), b_api(12), a_api(1));
	return 0;
}
