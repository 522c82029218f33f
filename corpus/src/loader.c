/* loader LIB [SYM [ARG]]: dlopen LIB, dlsym SYM, and call it as int SYM(int) when ARG is given. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	void *h, *s;

	if (argc < 2) {
		fprintf(stderr, "usage: loader LIB [SYM [ARG]]\n");
		return 2;
	}
	h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "loader: %s\n", dlerror());
		return 1;
	}
	if (argc > 2) {
		s = dlsym(h, argv[2]);
		if (!s) {
			fprintf(stderr, "loader: %s\n", dlerror());
			return 1;
		}
		if (argc > 3) {
			int (*fn)(int) = (int (*)(int))s;

			printf("%s(%s) = %d\n", argv[2], argv[3], fn(atoi(argv[3])));
		} else {
			printf("%s found\n", argv[2]);
		}
	} else {
		printf("loaded\n");
	}
	dlclose(h);
	return 0;
}
