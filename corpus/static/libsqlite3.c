#include <sqlite3.h>
#include <stdio.h>
static int row(void *u, int n, char **v, char **c) { (void)u; (void)c; for (int i = 0; i < n; i++) printf("%s%s", v[i], i + 1 < n ? "," : "\n"); return 0; }
int main(void)
{
	sqlite3 *db;
	if (sqlite3_open(":memory:", &db)) return 1;
	sqlite3_exec(db, "create table t(a,b); insert into t values(1,'x'),(2,'y'); select a*10, upper(b) from t order by a;", row, NULL, NULL);
	printf("sqlite %s\n", sqlite3_libversion());
	return sqlite3_close(db);
}
