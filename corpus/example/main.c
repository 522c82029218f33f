/* A program linked against libgreet.so. */
#include <stdio.h>

int greet(const char *who, char *out, size_t n);

int main(int argc, char **argv)
{
	char buf[128];
	int i;

	for (i = 1; i <= 3; i++) {
		greet(argc > 1 ? argv[1] : "world", buf, sizeof(buf));
		puts(buf);
	}
	return 0;
}
