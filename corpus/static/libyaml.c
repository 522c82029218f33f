#include <stdio.h>
#include <string.h>
#include <yaml.h>
int main(void)
{
	const char *d = "a: [1, 2, {b: c}]\n";
	yaml_parser_t p; yaml_event_t e; int n = 0, done = 0;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)d, strlen(d));
	while (!done) { if (!yaml_parser_parse(&p, &e)) return 1; done = e.type == YAML_STREAM_END_EVENT; yaml_event_delete(&e); n++; }
	yaml_parser_delete(&p);
	printf("yaml %s events=%d\n", yaml_get_version_string(), n);
	return 0;
}
