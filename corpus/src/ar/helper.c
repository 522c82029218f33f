/* helper.c - ordinary ELF member with debug info, placed before LTO/bitcode
 * members so that stripping it moves every later member. */
static int scale = 5;
int helper_api(int x) { return x * scale; }
