#include <lzma.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	const uint8_t s[] = "slim makes images smaller, smaller, smaller";
	uint8_t z[512], b[512];
	size_t zp = 0, bp = 0, inp = 0;
	uint64_t mem = UINT64_MAX;
	if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, s, sizeof(s), z, &zp, sizeof(z)) != LZMA_OK)
		return 1;
	if (lzma_stream_buffer_decode(&mem, 0, NULL, z, &inp, zp, b, &bp, sizeof(b)) != LZMA_OK)
		return 1;
	printf("lzma %s roundtrip=%d\n", lzma_version_string(), bp == sizeof(s) && !memcmp(s, b, bp));
	return 0;
}
