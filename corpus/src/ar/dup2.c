/* dup2.c - second member named dup.o (case 23) */
static int two = 2;
int dup_two(void) { return two; }
