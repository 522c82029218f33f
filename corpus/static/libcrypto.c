#include <openssl/evp.h>
#include <stdio.h>
int main(void)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n, i;
	EVP_Digest("abc", 3, md, &n, EVP_sha256(), NULL);
	for (i = 0; i < n; i++)
		printf("%02x", md[i]);
	printf("\n");
	return 0;
}
