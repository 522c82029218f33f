/* c.c - .llvm_addrsig fixture (case 19). g1 and g2 are identical; their addresses
 * are taken here only (tab), so lld --icf=safe must keep them apart when the
 * address-significance table is right or ignored. */
#include <stddef.h>
int g1(void) { return 11; }
int g2(void) { return 11; }
int g3(void) { return 11; }	/* address never taken: may be folded */
static int sfn(void) { return 22; }
static int unused_local(void) { return 33; }
int (*tab[])(void) = { g1, g2, sfn };
int call_g3(void) { return g3(); }
