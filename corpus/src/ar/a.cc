// a.cc - ET_REL symbol-rule fixture (strip-spec 2.1, cases 13-16).
// Static used/unused functions and data, a template, an inline function,
// a weak function and a hidden one; a_api is the C entry point of libab.a.
static int counter;		/* .bss, used */
static int unused_counter;	/* .bss, never used */
static int data_only = 42;	/* .data, referenced only from debug info */

static int used_static(int x) { return x + counter; }
static int unused_static(int x) { return x * 2 + unused_counter; }
__attribute__((used)) static int kept_unused(int x) { return x - 1; }

inline int inl(int x) { return x * 3; }
template <typename T> T tmax(T a, T b) { return a > b ? a : b; }

extern "C" __attribute__((weak)) int a_weak(int x) { return x + 100; }
__attribute__((visibility("hidden"))) int a_hidden(int x) { return x + 7; }

extern "C" int a_api(int x)
{
	counter++;
	return used_static(x) + inl(x) + tmax(x, 3) + a_hidden(x) - a_weak(x) + 100 - 7;
}
