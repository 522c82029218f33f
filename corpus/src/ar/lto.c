/* lto.c - GCC LTO (slim or fat) member (cases 20, 21) */
int helper_api(int x);
int lto_api(int x) { return x * 3 + 1; }
int lto_api2(int x) { return helper_api(x) + 2; }
