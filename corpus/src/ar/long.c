/* long.c - built as a_very_long_member_name_object.o (case 23) */
int long_api(int x) { return x - 1; }
