#include <openssl/ssl.h>
#include <stdio.h>
int main(void)
{
	SSL_CTX *c = SSL_CTX_new(TLS_method());
	printf("ssl ctx %s, min proto %ld\n", c ? "ok" : "failed", c ? SSL_CTX_get_min_proto_version(c) : -1L);
	SSL_CTX_free(c);
	return c ? 0 : 1;
}
