/* b.c - second member of libab.a */
#include <stdio.h>
static const char *tag = "b";
int b_api(int x)
{
	return x * 2;
}
const char *b_tag(void) { return tag; }
