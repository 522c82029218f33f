/* big: a shared library with a lot of debug info, for the kill test (strip-spec case 39). */
#define F1(n)                                                                 \
	struct big_s##n {                                                     \
		int a, b, c;                                                  \
		double d;                                                     \
		const char *name;                                             \
	};                                                                    \
	static int helper_##n(struct big_s##n *s, int x)                      \
	{                                                                     \
		int i, r = 0;                                                 \
		for (i = 0; i < x; i++)                                       \
			r += s->a * i + s->b - s->c;                          \
		return r + (int)s->d;                                         \
	}                                                                     \
	int big_fn_##n(int x)                                                 \
	{                                                                     \
		struct big_s##n s = { x, x + 1, x + 2, x * 0.5, #n };         \
		return helper_##n(&s, x & 7) + (int)sizeof(s.name);           \
	}
#define F10(n) F1(n##0) F1(n##1) F1(n##2) F1(n##3) F1(n##4) F1(n##5) F1(n##6) F1(n##7) F1(n##8) F1(n##9)
#define F100(n) F10(n##0) F10(n##1) F10(n##2) F10(n##3) F10(n##4) F10(n##5) F10(n##6) F10(n##7) F10(n##8) F10(n##9)

F100(1)
F100(2)
F100(3)
F100(4)
F100(5)
F100(6)
F100(7)
F100(8)
F100(9)
