// dt.cc - debug-types fixture (case 17): with -fdebug-types-section each type
// unit becomes a COMDAT group whose only member is a debug section.
struct Point { int x, y; };
struct Rect { Point a, b; };
struct Named { const char *name; Rect r; };

int area(const Rect *r)
{
	return (r->b.x - r->a.x) * (r->b.y - r->a.y);
}

int named_area(const Named *n)
{
	return area(&n->r) + (n->name ? 1 : 0);
}
