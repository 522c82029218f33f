/* cross.c - ELF32 / big-endian fixture (case 29) */
static int counter;
static int unused_fn(int x) { return x * 9; }
static int helper(int x) { return x + counter; }
int cross_data[4] = { 1, 2, 3, 4 };
int cross_api(int x)
{
	counter++;
	return helper(x) + cross_data[x & 3];
}
__attribute__((weak)) int cross_weak(void) { return 1; }
