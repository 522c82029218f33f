/* cross: a freestanding library for clang cross targets (ELF32, big-endian, aarch64). */
struct pair {
	int a;
	long b;
};

static struct pair pairs[4] = { { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 } };

static long scale(long v, int k)
{
	return v * k + 1;
}

long cross_sum(int k)
{
	long s = 0;
	int i;

	for (i = 0; i < 4; i++)
		s += scale(pairs[i].b, k) + pairs[i].a;
	return s;
}

int cross_id(int x)
{
	return x;
}
