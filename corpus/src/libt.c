/* libt: a small shared library with debug info (strip-spec cases 1, 5, 7, 10, 12, 35-40). */
#include <stdio.h>
#include <string.h>

struct t_entry {
	const char *name;
	int weight;
};

static const struct t_entry table[] = {
	{ "alpha", 3 }, { "beta", 5 }, { "gamma", 7 }, { "delta", 11 },
};

static int counter;

static int mix(int a, int b)
{
	return (a * 31) ^ (b + 17);
}

int t_compute(int x)
{
	int acc = x;
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		acc = mix(acc, table[i].weight) % 100003;
	counter++;
	return acc;
}

int t_calls(void)
{
	return counter;
}

const char *t_name(int i)
{
	return table[(unsigned)i % (sizeof(table) / sizeof(table[0]))].name;
}

int t_describe(char *buf, size_t n, int x)
{
	return snprintf(buf, n, "%s:%d", t_name(x), t_compute(x));
}
