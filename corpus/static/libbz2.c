#include <bzlib.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	char s[] = "slim slim slim slim slim slim", z[256], b[256];
	unsigned zl = sizeof(z), bl = sizeof(b);
	if (BZ2_bzBuffToBuffCompress(z, &zl, s, sizeof(s), 9, 0, 0) || BZ2_bzBuffToBuffDecompress(b, &bl, z, zl, 0, 0))
		return 1;
	printf("bzip2 %s roundtrip=%d\n", BZ2_bzlibVersion(), bl == sizeof(s) && !memcmp(s, b, bl));
	return 0;
}
