#include <expat.h>
#include <stdio.h>
#include <string.h>
static int n;
static void XMLCALL start(void *u, const XML_Char *el, const XML_Char **a) { (void)u; (void)a; printf("<%s>", el); n++; }
int main(void)
{
	const char *doc = "<a x='1'><b/><c>t</c></a>";
	XML_Parser p = XML_ParserCreate(NULL);
	XML_SetStartElementHandler(p, start);
	if (XML_Parse(p, doc, (int)strlen(doc), 1) == XML_STATUS_ERROR) return 1;
	printf(" %d elements, %s\n", n, XML_ExpatVersion());
	XML_ParserFree(p);
	return 0;
}
