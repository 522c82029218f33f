#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	int err; PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR) "(\\w+)@(\\w+)\\.org", PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	const char *s = "mail slim@example.org now";
	int rc = pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	printf("pcre2 rc=%d user=%.*s\n", rc, (int)(ov[3] - ov[2]), s + ov[2]);
	return rc == 3 ? 0 : 1;
}
