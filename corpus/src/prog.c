/* prog: an executable that prints deterministic output (strip-spec cases 2 and 8). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct item {
	char name[16];
	int value;
};

static int by_value(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	return (x->value > y->value) - (x->value < y->value);
}

static unsigned next(unsigned *state)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 16) & 0x7fff;
}

int global_counter = 5;

int main(int argc, char **argv)
{
	struct item items[8];
	unsigned state = 42;
	int i;

	for (i = 0; i < 8; i++) {
		snprintf(items[i].name, sizeof(items[i].name), "item%d", i);
		items[i].value = (int)(next(&state) % 1000);
	}
	qsort(items, 8, sizeof(items[0]), by_value);
	for (i = 0; i < 8; i++)
		printf("%s=%d\n", items[i].name, items[i].value);
	printf("argc=%d first=%s counter=%d\n", argc, argc > 1 ? argv[1] : "-", global_counter);
	return 0;
}
