#include <stdio.h>
#include <string.h>
#include <zstd.h>
int main(void)
{
	const char s[] = "slim slim slim slim slim slim slim slim";
	char z[256], b[256];
	size_t zl = ZSTD_compress(z, sizeof(z), s, sizeof(s), 3), bl;
	if (ZSTD_isError(zl)) return 1;
	bl = ZSTD_decompress(b, sizeof(b), z, zl);
	printf("zstd %s roundtrip=%d\n", ZSTD_versionString(), bl == sizeof(s) && !memcmp(s, b, bl));
	return 0;
}
