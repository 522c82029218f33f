/* A small shared library, built with -g so that it has debug info and a
 * full symbol table to strip. */
#include <stdio.h>
#include <string.h>

static int counter;

static const char *pick(int n)
{
	static const char *const words[] = { "hello", "bonjour", "hallo", "hola" };
	return words[n % 4];
}

int greet(const char *who, char *out, size_t n)
{
	counter++;
	return snprintf(out, n, "%s, %s (%d)", pick(counter), who, counter);
}
