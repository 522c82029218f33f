#include <stdio.h>
extern int (*tab[])(void);
int call_g3(void);
int main(void)
{
	printf("g1 %s g2, %d %d %d %d\n", tab[0] == tab[1] ? "==" : "!=", tab[0](), tab[1](),
	       tab[2](), call_g3());
	return 0;
}
