/* dedup_names.c - the names of the files dedup looks at, sorted by inode
 * in place (dedup_int.h). */
#include <stdbool.h>

#include "dedup_int.h"

static bool gname_less(const struct gname *x, const struct gname *y)
{
	if (x->dev != y->dev)
		return x->dev < y->dev;
	if (x->ino != y->ino)
		return x->ino < y->ino;
	return x->item < y->item;
}

static void gname_swap(struct gname *x, struct gname *y)
{
	struct gname t = *x;

	*x = *y;
	*y = t;
}

static void gname_sift(struct gname *v, size_t root, size_t n)
{
	for (;;) {
		size_t c = 2 * root + 1;

		if (c >= n)
			return;
		if (c + 1 < n && gname_less(&v[c], &v[c + 1]))
			c++;
		if (!gname_less(&v[root], &v[c]))
			return;
		gname_swap(&v[root], &v[c]);
		root = c;
	}
}

static void gname_sort(struct gname *v, size_t n, unsigned depth)
{
	while (n > 16) {
		struct gname *m = &v[n / 2], pivot;
		size_t i = 0, j = n - 1;

		if (!depth--) {
			size_t k;

			for (k = n / 2; k-- > 0;)
				gname_sift(v, k, n);
			for (k = n - 1; k > 0; k--) {
				gname_swap(&v[0], &v[k]);
				gname_sift(v, 0, k);
			}
			return;
		}
		/* median of three, as pivot */
		if (gname_less(m, &v[0]))
			gname_swap(m, &v[0]);
		if (gname_less(&v[n - 1], m))
			gname_swap(&v[n - 1], m);
		if (gname_less(m, &v[0]))
			gname_swap(m, &v[0]);
		pivot = *m;
		for (;;) {
			while (gname_less(&v[i], &pivot))
				i++;
			while (gname_less(&pivot, &v[j]))
				j--;
			if (i >= j)
				break;
			gname_swap(&v[i++], &v[j--]);
		}
		/* v[0..j] <= pivot <= v[j+1..n): the shorter side first */
		if (j + 1 < n - j - 1) {
			gname_sort(v, j + 1, depth);
			v += j + 1;
			n -= j + 1;
		} else {
			gname_sort(v + j + 1, n - j - 1, depth);
			n = j + 1;
		}
	}
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && gname_less(&v[k], &v[k - 1]); k--)
			gname_swap(&v[k], &v[k - 1]);
}

void dedup_sort_names(struct gname *v, size_t n)
{
	unsigned depth = 0;
	size_t k;

	for (k = n; k; k >>= 1)
		depth += 2;
	gname_sort(v, n, depth);
}
