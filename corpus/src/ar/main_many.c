/* main_many.c - links against the 66,000-section object (case 18) */
#include <stdio.h>
int f0(void);
int f123(void);
int f65999(void);
int many_entry(void);
int main(void)
{
	printf("many %d %d %d %d\n", f0(), f123(), f65999(), many_entry());
	return 0;
}
