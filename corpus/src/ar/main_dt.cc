#include <cstdio>
struct Point { int x, y; };
struct Rect { Point a, b; };
int area(const Rect *r);
int main()
{
	Rect r = { { 1, 2 }, { 4, 6 } };
	std::printf("area=%d\n", area(&r));
	return 0;
}
