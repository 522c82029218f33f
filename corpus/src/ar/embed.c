/* embed.c - embeds CPython from libpython3.11.a (case 28) */
#include <Python.h>
int main(void)
{
	Py_Initialize();
	int rc = PyRun_SimpleString(
		"import sys, json, math\n"
		"print('embedded', tuple(sys.version_info[:2]), json.dumps([math.factorial(5)]))\n");
	if (Py_FinalizeEx() < 0)
		return 120;
	return rc == 0 ? 0 : 1;
}
