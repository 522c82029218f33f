#include <stdio.h>
#include <string.h>
#include <zlib.h>
int main(void)
{
	const char *s = "hello hello hello hello slim";
	unsigned char z[128], back[128];
	uLongf zl = sizeof(z), bl = sizeof(back);
	if (compress(z, &zl, (const Bytef *)s, strlen(s)) != Z_OK || uncompress(back, &bl, z, zl) != Z_OK)
		return 1;
	printf("zlib %s crc=%08lx roundtrip=%d\n", zlibVersion(), crc32(0, (const Bytef *)s, strlen(s)),
	       bl == strlen(s) && memcmp(back, s, bl) == 0);
	return 0;
}
