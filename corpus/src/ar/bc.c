/* bc.c - clang -flto bitcode member (cases 22, 23) */
int bc_g1(int x) { return x + 40; }
int bc_g2(int x) { return bc_g1(x) * 2; }
