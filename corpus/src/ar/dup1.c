/* dup1.c - first member named dup.o (case 23) */
static int one = 1;
int dup_one(void) { return one; }
