/* m1.c - ELF member of the mixed archive (case 23) */
static int base = 1000;
int m1_api(int x) { return base + x; }
