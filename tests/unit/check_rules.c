/* check_rules.c - the removal rules engine and its presets.
 *
 * Most tests decide over in-memory entry lists (the engine never touches
 * the file system); the read callback serves their contents.  Every
 * decision is checked for the subtree invariant.
 */
#include <elf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules.h"
#include "testutil.h"
#include "util.h"

/* A test entry: kind 'f' file, 'd' dir, 'l' symlink, 'w' whiteout, 'o'
 * other; data (len bytes, or strlen when len is 0) for files. */
struct tent {
	const char *path;
	char kind;
	const char *data;
	size_t len;
};

static struct {
	struct rules *r;
	const struct tent *t;
	size_t n;
	struct rules_entry *e;
	struct rules_verdict *v;
	size_t reads;
	double secs; /* of the last rules_decide() */
	const struct rules_at *at; /* decide at this place (rules_decide_at), or NULL */
	struct rules_found found;
} T;

static void setup(void)
{
	memset(&T, 0, sizeof(T));
	T.r = rules_new();
}

static void teardown(void)
{
	rules_free(T.r);
	free(T.e);
	free(T.v);
}

static size_t tent_len(const struct tent *t)
{
	return t->len ? t->len : t->data ? strlen(t->data) : 0;
}

static ssize_t read_tent(void *ctx, size_t i, size_t max, unsigned char **buf)
{
	const struct tent *t = &((const struct tent *)ctx)[i];
	size_t len = tent_len(t);

	__atomic_fetch_add(&T.reads, 1, __ATOMIC_RELAXED); /* read on several threads too */
	if (t->data && !strcmp(t->data, "<unreadable>"))
		return -1;
	if (len > max)
		len = max;
	*buf = xmalloc(len + 1);
	if (len)
		memcpy(*buf, t->data, len);
	return (ssize_t)len;
}

static enum rules_type kind_type(char k)
{
	switch (k) {
	case 'd': return RT_DIR;
	case 'l': return RT_SYMLINK;
	case 'w': return RT_WHITEOUT;
	case 'o': return RT_OTHER;
	default: return RT_FILE;
	}
}

/* Compare paths with '/' lowest, so that a directory's subtree follows it
 * in one run. */
static int cmp_path(const char *a, const char *b)
{
	for (; *a && *a == *b; a++, b++)
		;
	return (*a == '/' ? 1 : (unsigned char)*a) - (*b == '/' ? 1 : (unsigned char)*b);
}

static const struct rules_entry *sort_ents;
static int cmp_idx(const void *x, const void *y)
{
	return cmp_path(sort_ents[*(const size_t *)x].path, sort_ents[*(const size_t *)y].path);
}

/* Every descendant of a dropped entry is dropped (so every ancestor of a
 * kept entry is kept); whiteouts are kept; verdicts are well formed. */
static void check_invariants(const struct rules *r, const struct rules_entry *e, size_t n,
			     const struct rules_verdict *v)
{
	size_t *ord = xmalloc((n + 1) * sizeof(*ord)), *stack = xmalloc((n + 1) * sizeof(*stack));
	size_t i, sp = 0, dropped_above = 0;

	for (i = 0; i < n; i++) {
		const char *name = strrchr(e[i].path, '/') ? strrchr(e[i].path, '/') + 1 : e[i].path;

		/* assert only on failure: every ck_assert costs a write */
		ord[i] = i;
		if (v[i].rule >= 0 && (!rules_name(r, v[i].rule) || rules_is_keep(r, v[i].rule) ||
				       v[i].kept_on_purpose))
			ck_abort_msg("%s: bad drop verdict", e[i].path);
		if (v[i].kept_on_purpose && !v[i].why)
			ck_abort_msg("%s: kept on purpose, no reason", e[i].path);
		if ((e[i].type == RT_WHITEOUT || !strncmp(name, ".wh.", 4)) && v[i].rule >= 0)
			ck_abort_msg("whiteout %s dropped", e[i].path);
	}
	sort_ents = e;
	qsort(ord, n, sizeof(*ord), cmp_idx);
	for (i = 0; i < n; i++) {
		const struct rules_entry *x = &e[ord[i]];

		while (sp) {
			const char *a = e[stack[sp - 1]].path;
			size_t al = strlen(a);

			if (!strncmp(x->path, a, al) && x->path[al] == '/')
				break;
			if (v[stack[sp - 1]].rule >= 0)
				dropped_above--;
			sp--;
		}
		if (dropped_above && v[ord[i]].rule < 0)
			ck_abort_msg("%s kept below a dropped directory", x->path);
		stack[sp++] = ord[i];
		if (v[ord[i]].rule >= 0)
			dropped_above++;
	}
	free(ord);
	free(stack);
}

static void decide_n(const struct tent *t, size_t n)
{
	struct err e = ERR_INIT;
	struct timespec a, b;
	size_t i;
	int rc;

	free(T.e);
	free(T.v);
	T.t = t;
	T.n = n;
	T.e = xcalloc(n + 1, sizeof(*T.e));
	T.v = xcalloc(n + 1, sizeof(*T.v));
	for (i = 0; i < n; i++) {
		T.e[i].path = t[i].path;
		T.e[i].type = kind_type(t[i].kind);
		T.e[i].size = tent_len(&t[i]);
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (T.at)
		rc = rules_decide_at(T.r, T.at, T.e, n, read_tent, (void *)t, 1, T.v, &T.found, &e);
	else
		rc = rules_decide(T.r, T.e, n, read_tent, (void *)t, T.v, &e);
	clock_gettime(CLOCK_MONOTONIC, &b);
	T.secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	ck_assert_msg(rc == 0, "%s", e.msg);
	check_invariants(T.r, T.e, n, T.v);
}
#define DECIDE(t) decide_n(t, ARRAY_SIZE(t))

static const struct rules_verdict *V(const char *path)
{
	size_t i;

	for (i = 0; i < T.n; i++)
		if (!strcmp(T.t[i].path, path))
			return &T.v[i];
	ck_abort_msg("no entry %s", path);
	return NULL;
}

#define DROPPED(p) ck_assert_msg(V(p)->rule >= 0, "%s should be dropped", p)
#define KEPT(p) ck_assert_msg(V(p)->rule < 0, "%s should be kept (rule %s)", p, \
			      rules_name(T.r, V(p)->rule))
#define KEPT_WHY(p, w)                                                          \
	do {                                                                    \
		KEPT(p);                                                        \
		ck_assert_msg(V(p)->kept_on_purpose, "%s not reported", p);     \
		ck_assert_str_eq(V(p)->why, w);                                 \
	} while (0)
#define RULE_IS(p, name) ck_assert_str_eq(rules_name(T.r, V(p)->rule), name)

static void preset(const char *name)
{
	struct err e = ERR_INIT;

	ck_assert_msg(rules_add_preset(T.r, name, &e) == 0, "%s", e.msg);
}

static void glob(bool keep, const char *g)
{
	struct err e = ERR_INIT;

	ck_assert_msg(rules_add_glob(T.r, keep, g, keep ? "--keep" : "--drop", &e) == 0, "%s",
		      e.msg);
}

/* ---- python ------------------------------------------------------------- */

#define SP "usr/lib/python3.11/site-packages"

START_TEST(test_python_basics)
{
	static const struct tent t[] = {
		{ "pkg", 'd', 0, 0 },
		{ "pkg/__init__.py", 'f', "", 0 },
		{ "pkg/a.py", 'f', "import os\n", 0 },
		{ "pkg/a.pyc", 'f', "x", 0 },
		{ "pkg/__pycache__", 'd', 0, 0 },
		{ "pkg/__pycache__/a.cpython-311.pyc", 'f', "x", 0 },
		{ "pkg/__pycache__/__init__.cpython-311.pyc", 'f', "x", 0 },
		{ "pkg/tests", 'd', 0, 0 },
		{ "pkg/tests/__init__.py", 'f', "", 0 },
		{ "pkg/tests/test_a.py", 'f', "from pkg import a\n", 0 },
		{ "pkg/test", 'd', 0, 0 },
		{ "pkg/test/x.txt", 'f', "", 0 },
		/* negatives */
		{ "app", 'd', 0, 0 },
		{ "app/tests", 'd', 0, 0 },           /* parent is not a package */
		{ "app/tests/t.py", 'f', "", 0 },
		{ "pkg/sub", 'd', 0, 0 },
		{ "pkg/sub/tests", 'f', "", 0 },      /* a file, not a directory */
		{ "pkg/testing", 'd', 0, 0 },
		{ "pkg/testing/__init__.py", 'f', "", 0 },
		{ "pkg/a.pyx", 'f', "", 0 },
		{ "pkg/fifo.pyc", 'o', 0, 0 },
	};

	preset("python");
	DECIDE(t);
	DROPPED("pkg/a.pyc");
	DROPPED("pkg/__pycache__");
	DROPPED("pkg/__pycache__/a.cpython-311.pyc");
	RULE_IS("pkg/__pycache__/a.cpython-311.pyc", "python: __pycache__/");
	DROPPED("pkg/tests");
	DROPPED("pkg/tests/test_a.py");
	DROPPED("pkg/test/x.txt");
	RULE_IS("pkg/tests", "python: test/, tests/, idle_test/ (Python)");
	RULE_IS("pkg/a.pyc", "python: *.pyc, *.pyo");
	KEPT("pkg/a.py");
	KEPT("pkg/__init__.py");
	KEPT("app/tests");
	KEPT("app/tests/t.py");
	KEPT("pkg/sub/tests");
	KEPT("pkg/testing/__init__.py");
	KEPT("pkg/a.pyx");
	KEPT("pkg/fifo.pyc");
	ck_assert(!V("pkg/a.py")->kept_on_purpose);
}
END_TEST

START_TEST(test_sourceless_pyc)
{
	static const struct tent t[] = {
		{ "pkg/__init__.py", 'f', "", 0 },
		{ "pkg/a.py", 'f', "", 0 },
		{ "pkg/__pycache__", 'd', 0, 0 },
		{ "pkg/__pycache__/__init__.cpython-311.pyc", 'f', "x", 0 },
		{ "pkg/__pycache__/a.cpython-311.pyc", 'f', "x", 0 },
		{ "pkg/__pycache__/a.cpython-311.opt-1.pyc", 'f', "x", 0 },
		{ "pkg/__pycache__/b.cpython-311.pyc", 'f', "x", 0 },
		{ "pkg/__pycache__/c.cpython-311.opt-2.pyc", 'f', "x", 0 },
		{ "pkg/legacy.pyc", 'f', "x", 0 },
		{ "pkg/d.py", 'f', "", 0 },
		{ "pkg/d.pyc", 'f', "x", 0 },
		{ "pkg/e.pyo", 'f', "x", 0 },
		/* a module with only byte-code might import anything: the
		 * distribution's test packages stay */
		{ "pkg/tests", 'd', 0, 0 },
		{ "pkg/tests/t.py", 'f', "", 0 },
		/* a sourceless .pyc in a test directory goes with it */
		{ SP "/pkg2/__init__.py", 'f', "", 0 },
		{ SP "/pkg2/tests", 'd', 0, 0 },
		{ SP "/pkg2/tests/old.pyc", 'f', "x", 0 },
		/* the whole distribution is sourceless: its test dir is kept */
		{ SP "/blob", 'd', 0, 0 },
		{ SP "/blob/__init__.pyc", 'f', "x", 0 },
		{ SP "/blob/tests", 'd', 0, 0 },
		{ SP "/blob/tests/__init__.pyc", 'f', "x", 0 },
	};

	preset("python");
	DECIDE(t);
	KEPT_WHY("pkg/__pycache__", "holds a kept entry");
	DROPPED("pkg/__pycache__/__init__.cpython-311.pyc");
	DROPPED("pkg/__pycache__/a.cpython-311.pyc");
	DROPPED("pkg/__pycache__/a.cpython-311.opt-1.pyc");
	KEPT_WHY("pkg/__pycache__/b.cpython-311.pyc", "sourceless .pyc");
	KEPT_WHY("pkg/__pycache__/c.cpython-311.opt-2.pyc", "sourceless .pyc");
	ck_assert_str_eq(rules_name(T.r, V("pkg/legacy.pyc")->keep_rule),
			 "python: sourceless *.pyc, *.pyo");
	KEPT_WHY("pkg/legacy.pyc", "sourceless .pyc");
	KEPT_WHY("pkg/e.pyo", "sourceless .pyc");
	DROPPED("pkg/d.pyc");
	KEPT_WHY("pkg/tests", "imports could not be checked");
	KEPT("pkg/tests/t.py");
	DROPPED(SP "/pkg2/tests");
	DROPPED(SP "/pkg2/tests/old.pyc");
	KEPT_WHY(SP "/blob/tests", "imports could not be checked");
	KEPT_WHY(SP "/blob/__init__.pyc", "sourceless .pyc");
}
END_TEST

/* Sources are scanned on several threads in parts: the verdicts are those
 * of one thread, and each part's findings reach them (a part lost in the
 * merge keeps or drops the wrong test packages). */
static char *pkg_path(int k, const char *rest)
{
	char *p = NULL;

	ck_assert_int_ge(asprintf(&p, SP "/p%03d%s", k, rest), 0);
	return p;
}

START_TEST(test_imports_scanned_in_parts)
{
	enum { PKGS = 700, PER = 4 };
	struct tent *t = xcalloc(PKGS * PER, sizeof(*t));
	struct rules_entry *e = xcalloc(PKGS * PER, sizeof(*e));
	struct rules_verdict *v1 = xcalloc(PKGS * PER, sizeof(*v1)), *v4 = xcalloc(PKGS * PER, sizeof(*v4));
	struct err err = ERR_INIT;
	char **paths = xcalloc(PKGS * PER, sizeof(*paths));
	size_t i, n = 0;
	int k;

	preset("python");
	for (k = 0; k < PKGS; k++) {
		static const char *const init[] = { "from .tests import helper\n", "<unreadable>",
						    "import os\n" };
		paths[n] = pkg_path(k, "");
		t[n++] = (struct tent){ paths[n - 1], 'd', NULL, 0 };
		paths[n] = pkg_path(k, "/__init__.py");
		t[n++] = (struct tent){ paths[n - 1], 'f', init[k % 3], 0 };
		paths[n] = pkg_path(k, "/tests");
		t[n++] = (struct tent){ paths[n - 1], 'd', NULL, 0 };
		paths[n] = pkg_path(k, "/tests/test_x.py");
		t[n++] = (struct tent){ paths[n - 1], 'f', "import pytest\n", 0 };
	}
	for (i = 0; i < n; i++) {
		e[i].path = t[i].path;
		e[i].type = kind_type(t[i].kind);
		e[i].size = tent_len(&t[i]);
	}
	ck_assert_int_eq(rules_decide_jobs(T.r, e, n, read_tent, t, 1, v1, &err), 0);
	ck_assert_int_eq(rules_decide_jobs(T.r, e, n, read_tent, t, 4, v4, &err), 0);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(v1[i].rule, v4[i].rule);
		ck_assert_int_eq(v1[i].kept_on_purpose, v4[i].kept_on_purpose);
	}
	for (k = 0; k < PKGS; k++) {
		const struct rules_verdict *tv = &v4[(size_t)k * PER + 2];
		if (k % 3 == 2) {
			ck_assert_msg(tv->rule >= 0, "%s should be dropped", t[k * PER + 2].path);
			continue;
		}
		ck_assert_msg(tv->rule < 0 && tv->why, "%s should be kept", t[k * PER + 2].path);
		ck_assert_str_eq(tv->why, k % 3 ? "imports could not be checked"
					       : "imported by a non-test module");
	}
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(t);
	free(e);
	free(v1);
	free(v4);
}
END_TEST

/*
 * An import line of L bytes with L/2 dots cost L^2/4 bytes when every dotted
 * prefix was stored (80 KB of source: 3.3 GB); "from <long> import (n0, ...)"
 * cost names x length^2.  Now both are linear: a 1 MB line of each finishes
 * well inside the test's timeout and memory, and a long dotted import that
 * does name a test package still counts.
 */
START_TEST(test_imports_linear)
{
	enum { L = 1 << 20 };
	struct buf dots = BUF_INIT, from = BUF_INIT, deep = BUF_INIT;
	size_t i;

	buf_adds(&dots, "import ");
	for (i = 0; i < L / 2; i++)
		buf_adds(&dots, "a.");
	buf_adds(&dots, "a\n");
	buf_adds(&from, "from ");
	for (i = 0; i < L / 4; i++)
		buf_adds(&from, "b.");
	buf_adds(&from, "b import (");
	for (i = 0; i < L / 16; i++)
		buf_addf(&from, "n%zu, ", i);
	buf_adds(&from, "z)\n");
	buf_adds(&deep, "import deep.tests");
	for (i = 0; i < L / 2; i++)
		buf_adds(&deep, ".x");
	buf_adds(&deep, "\n");
	{
		const struct tent t[] = {
			{ SP "/evil", 'd', 0, 0 },
			{ SP "/evil/__init__.py", 'f', dots.p, 0 },
			{ SP "/evil/more.py", 'f', from.p, 0 },
			{ SP "/evil/tests", 'd', 0, 0 },
			{ SP "/evil/tests/test_e.py", 'f', "import pytest\n", 0 },
			{ SP "/deep", 'd', 0, 0 },
			{ SP "/deep/__init__.py", 'f', deep.p, 0 },
			{ SP "/deep/tests", 'd', 0, 0 },
			{ SP "/deep/tests/test_d.py", 'f', "import pytest\n", 0 },
		};

		preset("python");
		DECIDE(t);
		DROPPED(SP "/evil/tests");
		KEPT_WHY(SP "/deep/tests", "imported by a non-test module");
	}
	buf_release(&dots);
	buf_release(&from);
	buf_release(&deep);
}
END_TEST

START_TEST(test_imported_tests)
{
	static const struct tent t[] = {
		/* imports its tests at import time (astropy-like) */
		{ SP "/astro", 'd', 0, 0 },
		{ SP "/astro/__init__.py", 'f',
		  "\"\"\"Astro.\n\nimport nothing here\n\"\"\"\n"
		  "import sys\n"
		  "from .tests.runner import TestRunner\n"
		  "test = TestRunner.make_test_runner_in(__path__[0])\n", 0 },
		{ SP "/astro/tests", 'd', 0, 0 },
		{ SP "/astro/tests/__init__.py", 'f', "", 0 },
		{ SP "/astro/tests/runner.py", 'f', "import pytest\n", 0 },
		{ SP "/astro/tests/__pycache__", 'd', 0, 0 },
		{ SP "/astro/tests/__pycache__/runner.cpython-311.pyc", 'f', "x", 0 },
		{ SP "/astro/units", 'd', 0, 0 },
		{ SP "/astro/units/__init__.py", 'f', "", 0 },
		{ SP "/astro/units/tests", 'd', 0, 0 },
		{ SP "/astro/units/tests/test_u.py", 'f', "from astro.units import x\n", 0 },
		/* does not import its tests */
		{ SP "/plain", 'd', 0, 0 },
		{ SP "/plain/__init__.py", 'f',
		  "import os\n"
		  "def test():\n"
		  "    \"\"\"Run the tests.\n"
		  "from plain.tests import nothing\n"
		  "    \"\"\"\n"
		  "    from plain.tests import run\n"
		  "    run()\n"
		  "\n"
		  "class C:\n"
		  "    def m(self):\n"
		  "        import plain.tests.deep\n"
		  "x = 'import plain.tests'  # from plain import tests\n"
		  "if __name__ == '__main__':\n"
		  "    from plain.tests import main\n"
		  "    main()\n", 0 },
		{ SP "/plain/conftest.py", 'f', "from plain.tests import fixtures\n", 0 },
		{ SP "/plain/tests", 'd', 0, 0 },
		{ SP "/plain/tests/__init__.py", 'f', "", 0 },
		{ SP "/plain/tests/test_p.py", 'f', "import plain.tests.util\n", 0 },
		/* other import forms */
		{ SP "/f1/__init__.py", 'f', "from f1 import (\n    core,\n    tests,\n)\n", 0 },
		{ SP "/f1/tests", 'd', 0, 0 },
		{ SP "/f1/tests/__init__.py", 'f', "", 0 },
		{ SP "/f2/__init__.py", 'f', "", 0 },
		{ SP "/f2/sub/__init__.py", 'f', "from .. import tests as t\n", 0 },
		{ SP "/f2/tests", 'd', 0, 0 },
		{ SP "/f2/tests/__init__.py", 'f', "", 0 },
		{ SP "/f3/__init__.py", 'f', "try: import os, f3.tests.helpers as h\nexcept ImportError: pass\n", 0 },
		{ SP "/f3/tests", 'd', 0, 0 },
		{ SP "/f3/tests/__init__.py", 'f', "", 0 },
		{ SP "/f4/__init__.py", 'f', "import importlib\nm = importlib.import_module('.tests', 'f4')\n", 0 },
		{ SP "/f4/tests", 'd', 0, 0 },
		{ SP "/f4/tests/__init__.py", 'f', "", 0 },
		{ SP "/f5/__init__.py", 'f', "from . import \\\n    tests\n", 0 },
		{ SP "/f5/tests", 'd', 0, 0 },
		{ SP "/f5/tests/__init__.py", 'f', "", 0 },
		/* an unreadable module: keep, and say so */
		{ SP "/f6/__init__.py", 'f', "<unreadable>", 0 },
		{ SP "/f6/tests", 'd', 0, 0 },
		{ SP "/f6/tests/__init__.py", 'f', "", 0 },
		/* a top-level "tests" package of some distribution */
		{ SP "/tests", 'd', 0, 0 },
		{ SP "/tests/__init__.py", 'f', "", 0 },
	};

	preset("python");
	DECIDE(t);
	KEPT_WHY(SP "/astro/tests", "imported by a non-test module");
	ck_assert_str_eq(rules_name(T.r, V(SP "/astro/tests")->keep_rule),
			 "python: imported test package");
	KEPT(SP "/astro/tests/runner.py");
	ck_assert(!V(SP "/astro/tests/runner.py")->kept_on_purpose);
	DROPPED(SP "/astro/tests/__pycache__");
	DROPPED(SP "/astro/units/tests");
	DROPPED(SP "/plain/tests");
	DROPPED(SP "/plain/tests/test_p.py");
	KEPT(SP "/plain/conftest.py");
	KEPT_WHY(SP "/f1/tests", "imported by a non-test module");
	KEPT_WHY(SP "/f2/tests", "imported by a non-test module");
	KEPT_WHY(SP "/f3/tests", "imported by a non-test module");
	KEPT_WHY(SP "/f4/tests", "imported by a non-test module");
	KEPT_WHY(SP "/f5/tests", "imported by a non-test module");
	KEPT_WHY(SP "/f6/tests", "imports could not be checked");
	DROPPED(SP "/tests");
}
END_TEST

START_TEST(test_stdlib)
{
	static const struct tent t[] = {
		{ "usr/local/lib/python3.11", 'd', 0, 0 },
		{ "usr/local/lib/python3.11/os.py", 'f', "import sys\n", 0 },
		{ "usr/local/lib/python3.11/multiprocessing/__init__.py", 'f', "", 0 },
		{ "usr/local/lib/python3.11/multiprocessing/util.py", 'f',
		  "import os\n\ndef _cleanup_tests():\n    \"\"\"Cleanup.\"\"\"\n\n"
		  "    from test import support\n", 0 },
		{ "usr/local/lib/python3.11/test", 'd', 0, 0 },
		{ "usr/local/lib/python3.11/test/__init__.py", 'f', "", 0 },
		{ "usr/local/lib/python3.11/test/support/__init__.py", 'f', "", 0 },
		{ "usr/local/lib/python3.11/idlelib/__init__.py", 'f', "", 0 },
		{ "usr/local/lib/python3.11/idlelib/browser.py", 'f',
		  "import os\nif __name__ == \"__main__\":\n"
		  "    from idlelib.idle_test.htest import run\n    run()\n", 0 },
		{ "usr/local/lib/python3.11/idlelib/idle_test", 'd', 0, 0 },
		{ "usr/local/lib/python3.11/idlelib/idle_test/htest.py", 'f', "", 0 },
		{ "usr/local/lib/python3.11/tkinter/test", 'd', 0, 0 },
		{ "usr/local/lib/python3.11/tkinter/test/x.py", 'f', "", 0 },
		/* a stdlib package that imports its tests keeps them */
		{ "usr/local/lib/python3.11/unittest/__init__.py", 'f',
		  "from unittest.test import loader\n", 0 },
		{ "usr/local/lib/python3.11/unittest/test", 'd', 0, 0 },
		{ "usr/local/lib/python3.11/unittest/test/__init__.py", 'f', "", 0 },
		/* not the stdlib: "python3" is no version */
		{ "usr/lib/python3/tests", 'd', 0, 0 },
		{ "usr/lib/python3/dist-packages/tests", 'd', 0, 0 },
	};

	preset("python");
	DECIDE(t);
	DROPPED("usr/local/lib/python3.11/test");
	DROPPED("usr/local/lib/python3.11/test/support/__init__.py");
	DROPPED("usr/local/lib/python3.11/idlelib/idle_test");
	DROPPED("usr/local/lib/python3.11/tkinter/test");
	KEPT_WHY("usr/local/lib/python3.11/unittest/test", "imported by a non-test module");
	KEPT("usr/lib/python3/tests");
	DROPPED("usr/lib/python3/dist-packages/tests");
	KEPT("usr/local/lib/python3.11/os.py");
}
END_TEST

START_TEST(test_symlinked_tests)
{
	static const struct tent t[] = {
		{ "pkg/__init__.py", 'f', "", 0 },
		{ "pkg/tests", 'l', 0, 0 },
		{ "pkg/__pycache__", 'l', 0, 0 },
		{ "node_modules/a/test", 'l', 0, 0 },
		{ "usr/share/doc", 'l', 0, 0 },
	};

	preset("python");
	preset("node");
	preset("docs");
	glob(false, "tests/");
	DECIDE(t);
	KEPT("pkg/tests");
	KEPT("pkg/__pycache__");
	KEPT("node_modules/a/test");
	KEPT("usr/share/doc");
}
END_TEST

/* ---- keep and drop globs --------------------------------------------------- */

START_TEST(test_keep_beats_preset)
{
	static const struct tent t[] = {
		{ "pkg/__init__.py", 'f', "", 0 },
		{ "pkg/tests", 'd', 0, 0 },
		{ "pkg/tests/test_a.py", 'f', "", 0 },
		{ "pkg/tests/data", 'd', 0, 0 },
		{ "pkg/tests/data/x.csv", 'f', "", 0 },
		{ "pkg/tests/data/sub/y.csv", 'f', "", 0 },
		{ "pkg/x.log", 'f', "", 0 },
		{ "pkg/keep.log", 'f', "", 0 },
		{ "pkg/__pycache__/a.cpython-311.pyc", 'f', "", 0 },
	};

	preset("python");
	glob(true, "**/tests/data/**");
	glob(false, "*.log");
	glob(true, "keep.log");
	glob(true, "pkg/__pycache__/");
	DECIDE(t);
	KEPT_WHY("pkg/tests", "holds a kept entry");
	ck_assert_int_eq(V("pkg/tests")->keep_rule, -1);
	DROPPED("pkg/tests/test_a.py");
	RULE_IS("pkg/tests/test_a.py", "python: test/, tests/, idle_test/ (Python)");
	KEPT_WHY("pkg/tests/data", "--keep");
	ck_assert_str_eq(rules_name(T.r, V("pkg/tests/data")->keep_rule), "--keep: **/tests/data/**");
	KEPT("pkg/tests/data/x.csv");
	KEPT("pkg/tests/data/sub/y.csv");
	DROPPED("pkg/x.log");
	RULE_IS("pkg/x.log", "--drop: *.log");
	KEPT_WHY("pkg/keep.log", "--keep");
	/* a kept directory keeps its subtree: the pyc inside stays */
	KEPT("pkg/__pycache__/a.cpython-311.pyc");
}
END_TEST

START_TEST(test_drop_globs)
{
	static const struct tent t[] = {
		{ "var/cache/apt", 'd', 0, 0 },
		{ "var/cache/apt/pkgcache.bin", 'f', "", 0 },
		{ "var/cachex", 'd', 0, 0 },
		{ "opt/a/b/c/build", 'd', 0, 0 },
		{ "opt/a/b/c/build/o.o", 'f', "", 0 },
		{ "opt/build", 'f', "", 0 },
		{ "srv/x.tmp", 'f', "", 0 },
		{ "srv/d.tmp", 'd', 0, 0 },
		{ "srv/d.tmp/in", 'f', "", 0 },
		{ "top.txt", 'f', "", 0 },
		{ "sub/top.txt", 'f', "", 0 },
		{ "dev/null", 'o', 0, 0 },
	};

	glob(false, "var/cache/**");
	glob(false, "opt/**/build/");
	glob(false, "*.tmp");
	glob(false, "/top.txt");
	DECIDE(t);
	DROPPED("var/cache/apt");
	DROPPED("var/cache/apt/pkgcache.bin");
	KEPT("var/cachex");
	DROPPED("opt/a/b/c/build");
	DROPPED("opt/a/b/c/build/o.o");
	KEPT("opt/build"); /* a file: "build/" matches directories only */
	DROPPED("srv/x.tmp");
	DROPPED("srv/d.tmp");
	DROPPED("srv/d.tmp/in");
	DROPPED("top.txt");
	KEPT("sub/top.txt");
	KEPT("dev/null");
	ck_assert_uint_eq(rules_count(T.r), 4);
}
END_TEST

START_TEST(test_bad_globs)
{
	struct err e = ERR_INIT;

	ck_assert_int_eq(rules_add_glob(T.r, false, "", "--drop", &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "empty"));
	ck_assert_int_eq(rules_add_glob(T.r, false, "a/../b", "--drop", &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "outside the root"));
	ck_assert_int_eq(rules_add_glob(T.r, true, "/", "--keep", &e), -1);
	ck_assert_int_eq(rules_add_glob(T.r, true, "a//b", "--keep", &e), -1);
	ck_assert_uint_eq(rules_count(T.r), 0);
	err_release(&e);
}
END_TEST

START_TEST(test_metadata_never_by_presets)
{
	static const struct tent t[] = {
		{ SP "/foo-1.0.dist-info", 'd', 0, 0 },
		{ SP "/foo-1.0.dist-info/METADATA", 'f', "", 0 },
		{ SP "/foo-1.0.dist-info/README.md", 'f', "", 0 },
		{ SP "/old-1.0-py3.11.egg-info", 'f', "", 0 },
		{ SP "/foo/__init__.py", 'f', "", 0 },
		{ SP "/foo/tests", 'd', 0, 0 },
		{ SP "/foo/tests/test_x.py", 'f', "", 0 },
		{ SP "/foo/tests/fixture.egg-info", 'd', 0, 0 },
		{ SP "/foo/tests/fixture.egg-info/PKG-INFO", 'f', "", 0 },
		{ SP "/foo/tests/fixture.egg-info/__pycache__/x.pyc", 'f', "", 0 },
		{ "node_modules/x/y.dist-info/README.md", 'f', "", 0 },
		{ "bar.dist-info/gone", 'f', "", 0 },
	};

	preset("python");
	preset("node");
	glob(true, "never-matches");
	DECIDE(t);
	KEPT(SP "/foo-1.0.dist-info/METADATA");
	KEPT(SP "/old-1.0-py3.11.egg-info");
	KEPT_WHY(SP "/foo/tests/fixture.egg-info", "package metadata");
	KEPT(SP "/foo/tests/fixture.egg-info/PKG-INFO");
	KEPT(SP "/foo/tests/fixture.egg-info/__pycache__/x.pyc");
	KEPT_WHY(SP "/foo/tests", "holds a kept entry");
	DROPPED(SP "/foo/tests/test_x.py");
	KEPT_WHY("node_modules/x/y.dist-info/README.md", "package metadata");

	/* an explicit --drop may remove metadata */
	glob(false, "*.dist-info");
	glob(false, "**/fixture.egg-info/");
	DECIDE(t);
	DROPPED(SP "/foo-1.0.dist-info");
	DROPPED(SP "/foo-1.0.dist-info/METADATA");
	DROPPED(SP "/foo/tests");
	DROPPED(SP "/foo/tests/fixture.egg-info/PKG-INFO");
	DROPPED("bar.dist-info/gone");
	KEPT(SP "/old-1.0-py3.11.egg-info");
}
END_TEST

START_TEST(test_whiteouts)
{
	static const struct tent t[] = {
		{ "pkg/__init__.py", 'f', "", 0 },
		{ "pkg/a.py", 'f', "", 0 },
		{ "pkg/__pycache__", 'd', 0, 0 },
		{ "pkg/__pycache__/a.pyc", 'f', "", 0 },
		{ "pkg/__pycache__/.wh.b.cpython-311.pyc", 'f', "", 0 },
		{ "pkg/tests/.wh..wh..opq", 'f', "", 0 },
		{ "pkg/tests/t.py", 'f', "", 0 },
		{ "x/.wh.y", 'w', 0, 0 },
		{ "x/odd", 'w', 0, 0 },
		{ "x/z", 'f', "", 0 },
	};

	preset("python");
	glob(false, ".wh.*");
	glob(false, "x/*");
	DECIDE(t);
	KEPT_WHY("pkg/__pycache__/.wh.b.cpython-311.pyc", "whiteout");
	KEPT_WHY("pkg/__pycache__", "holds a kept entry");
	DROPPED("pkg/__pycache__/a.pyc");
	KEPT("pkg/tests/.wh..wh..opq");
	DROPPED("pkg/tests/t.py");
	KEPT("x/.wh.y");
	KEPT("x/odd");
	DROPPED("x/z");
}
END_TEST

START_TEST(test_bad_paths)
{
	static const char *const bad[] = {
		"../etc/passwd", "a/../../b", "/etc/passwd", "a//b", "a/./b", "", "a/", "./a",
	};
	struct rules_entry ent[2] = { { "ok", RT_FILE, 0 }, { NULL, RT_FILE, 0 } };
	struct rules_verdict v[2];
	struct err e = ERR_INIT;
	size_t i;

	preset("python");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ent[1].path = bad[i];
		ck_assert_int_eq(rules_decide(T.r, ent, 2, NULL, NULL, v, &e), -1);
		ck_assert_msg(strstr(e.msg, "invalid entry path"), "%s", e.msg);
	}
	ck_assert_ptr_nonnull(strstr(e.msg, "'./a'"));
	err_release(&e);
}
END_TEST

/* Entries without their parent directories, in no order (a layer). */
START_TEST(test_layer_without_dirs)
{
	static const struct tent t[] = {
		{ "pkg/tests/test_a.py", 'f', "", 0 },
		{ "pkg/__pycache__/a.cpython-311.pyc", 'f', "", 0 },
		{ "pkg/a.py", 'f', "", 0 },
		{ "pkg/__init__.py", 'f', "", 0 },
		{ "pkg/tests/__init__.py", 'f', "", 0 },
		{ "pkg", 'd', 0, 0 },
	};

	preset("python");
	DECIDE(t);
	DROPPED("pkg/tests/test_a.py");
	DROPPED("pkg/tests/__init__.py");
	DROPPED("pkg/__pycache__/a.cpython-311.pyc");
	KEPT("pkg/a.py");
	KEPT("pkg");
}
END_TEST

/* ---- other presets --------------------------------------------------------- */

START_TEST(test_static_libs)
{
	static const struct tent t[] = {
		{ "usr/lib/x86_64-linux-gnu/libz.a", 'f', "!<arch>\n/               0  ", 0 },
		{ "usr/lib/x86_64-linux-gnu/libthin.a", 'f', "!<thin>\nxx", 0 },
		{ "usr/lib/x86_64-linux-gnu/libz.la", 'f',
		  "# libz.la - a libtool library file\n# Generated by libtool\n", 0 },
		{ "usr/local/lib/libq.la", 'f', "# libq.la - a libtool library file\n", 0 },
		/* negatives */
		{ "usr/lib/x86_64-linux-gnu/ImageMagick-6/modules-Q16/coders/png.la", 'f',
		  "# png.la - a libtool library file\n", 0 },
		{ "usr/lib/x86_64-linux-gnu/fake.la", 'f', "not libtool\n", 0 },
		{ "srv/data.a", 'f', "just text, no archive", 0 },
		{ "usr/lib/libz.so", 'f', "\177ELF", 0 },
		{ "usr/lib/dir.a", 'd', 0, 0 },
		{ "usr/lib/link.a", 'l', 0, 0 },
	};

	preset("static-libs");
	DECIDE(t);
	DROPPED("usr/lib/x86_64-linux-gnu/libz.a");
	DROPPED("usr/lib/x86_64-linux-gnu/libthin.a");
	DROPPED("usr/lib/x86_64-linux-gnu/libz.la");
	DROPPED("usr/local/lib/libq.la");
	KEPT("usr/lib/x86_64-linux-gnu/ImageMagick-6/modules-Q16/coders/png.la");
	KEPT("usr/lib/x86_64-linux-gnu/fake.la");
	KEPT("srv/data.a");
	KEPT("usr/lib/libz.so");
	KEPT("usr/lib/dir.a");
	KEPT("usr/lib/link.a");
}
END_TEST

START_TEST(test_headers)
{
	static const struct tent t[] = {
		{ "usr/include", 'd', 0, 0 },
		{ "usr/include/stdio.h", 'f', "", 0 },
		{ "usr/include/python3.11/Python.h", 'f', "", 0 },
		{ "usr/include/python3.11/pyconfig.h", 'f', "", 0 },
		{ "usr/local/include", 'd', 0, 0 },
		{ "usr/local/include/z.h", 'f', "", 0 },
		/* negatives: headers a program may compile at run time */
		{ SP "/cupy/_core/include/cupy/a.h", 'f', "", 0 },
		{ "opt/app/include/x.hpp", 'f', "", 0 },
		{ "usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h", 'f', "", 0 },
	};

	preset("headers");
	DECIDE(t);
	KEPT_WHY("usr/include", "holds a kept entry");
	DROPPED("usr/include/stdio.h");
	DROPPED("usr/include/python3.11/Python.h");
	KEPT_WHY("usr/include/python3.11/pyconfig.h", "read by sysconfig at run time");
	DROPPED("usr/local/include");
	DROPPED("usr/local/include/z.h");
	KEPT(SP "/cupy/_core/include/cupy/a.h");
	KEPT("opt/app/include/x.hpp");
	KEPT("usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h");
}
END_TEST

START_TEST(test_docs)
{
	static const struct tent t[] = {
		{ "usr/share/doc", 'd', 0, 0 },
		{ "usr/share/doc/zlib1g", 'd', 0, 0 },
		{ "usr/share/doc/zlib1g/changelog.Debian.gz", 'f', "", 0 },
		{ "usr/share/doc/zlib1g/copyright", 'f', "", 0 },
		{ "usr/share/doc/foo/LICENSE.txt", 'f', "", 0 },
		{ "usr/share/man/man1/ls.1.gz", 'f', "", 0 },
		{ "usr/share/info/dir", 'f', "", 0 },
		{ "usr/local/share/man/man1/x.1", 'f', "", 0 },
		/* negatives */
		{ "usr/lib/doc/x", 'f', "", 0 },
		{ "app/doc/index.html", 'f', "", 0 },
		{ "usr/share/docs/x", 'f', "", 0 },
		{ "usr/share/locale/de/x.mo", 'f', "", 0 },
	};

	preset("docs");
	DECIDE(t);
	KEPT_WHY("usr/share/doc", "holds a kept entry");
	DROPPED("usr/share/doc/zlib1g/changelog.Debian.gz");
	KEPT_WHY("usr/share/doc/zlib1g/copyright", "license text");
	KEPT_WHY("usr/share/doc/foo/LICENSE.txt", "license text");
	DROPPED("usr/share/man/man1/ls.1.gz");
	DROPPED("usr/share/info/dir");
	DROPPED("usr/local/share/man/man1/x.1");
	KEPT("usr/lib/doc/x");
	KEPT("app/doc/index.html");
	KEPT("usr/share/docs/x");
	KEPT("usr/share/locale/de/x.mo");
}
END_TEST

START_TEST(test_node)
{
	static const struct tent t[] = {
		{ "app/node_modules", 'd', 0, 0 },
		{ "app/node_modules/foo", 'd', 0, 0 },
		{ "app/node_modules/foo/index.js", 'f', "", 0 },
		{ "app/node_modules/foo/index.d.ts", 'f', "", 0 },
		{ "app/node_modules/foo/index.js.map", 'f', "", 0 },
		{ "app/node_modules/foo/README.md", 'f', "", 0 },
		{ "app/node_modules/foo/CHANGELOG", 'f', "", 0 },
		{ "app/node_modules/foo/History.md", 'f', "", 0 },
		{ "app/node_modules/foo/LICENSE.md", 'f', "", 0 },
		{ "app/node_modules/foo/.eslintrc.json", 'f', "", 0 },
		{ "app/node_modules/foo/test", 'd', 0, 0 },
		{ "app/node_modules/foo/test/a.js", 'f', "", 0 },
		{ "app/node_modules/foo/.github/workflows/ci.yml", 'f', "", 0 },
		{ "app/node_modules/foo/docs/api.html", 'f', "", 0 },
		{ "app/node_modules/foo/tsconfig.json", 'f', "", 0 },
		{ "app/node_modules/@scope/bar/__tests__/x.js", 'f', "", 0 },
		{ "app/node_modules/@scope/bar/examples/e.js", 'f', "", 0 },
		{ "app/node_modules/foo/node_modules/baz/coverage/lcov.info", 'f', "", 0 },
		/* negatives */
		{ "app/node_modules/test", 'd', 0, 0 },          /* a package named test */
		{ "app/node_modules/test/index.js", 'f', "", 0 },
		{ "app/node_modules/@scope/tests/index.js", 'f', "", 0 },
		{ "app/node_modules/foo/history.js", 'f', "", 0 },
		{ "app/node_modules/foo/readme.js", 'f', "", 0 },
		{ "app/node_modules/foo/data.map", 'f', "", 0 },
		{ "app/node_modules/gen/templates/README.md", 'f', "", 0 },
		{ "app/test/app.test.js", 'f', "", 0 },
		{ "app/README.md", 'f', "", 0 },
	};

	preset("node");
	DECIDE(t);
	DROPPED("app/node_modules/foo/test");
	DROPPED("app/node_modules/foo/test/a.js");
	DROPPED("app/node_modules/foo/index.js.map");
	DROPPED("app/node_modules/foo/README.md");
	DROPPED("app/node_modules/foo/CHANGELOG");
	DROPPED("app/node_modules/foo/History.md");
	DROPPED("app/node_modules/foo/.eslintrc.json");
	DROPPED("app/node_modules/foo/.github/workflows/ci.yml");
	DROPPED("app/node_modules/@scope/bar/__tests__/x.js");
	DROPPED("app/node_modules/@scope/bar/examples/e.js");
	DROPPED("app/node_modules/foo/node_modules/baz/coverage/lcov.info");
	KEPT("app/node_modules/foo/LICENSE.md");
	ck_assert(V("app/node_modules/foo/LICENSE.md")->kept_on_purpose);
	KEPT("app/node_modules/foo/index.js");
	KEPT("app/node_modules/foo/index.d.ts");   /* caution tier only */
	KEPT("app/node_modules/foo/docs/api.html");
	KEPT("app/node_modules/foo/tsconfig.json");
	KEPT("app/node_modules/test");
	KEPT("app/node_modules/test/index.js");
	KEPT("app/node_modules/@scope/tests/index.js");
	KEPT("app/node_modules/foo/history.js");
	KEPT("app/node_modules/foo/readme.js");
	KEPT("app/node_modules/foo/data.map");
	KEPT("app/node_modules/gen/templates/README.md");
	KEPT("app/test/app.test.js");
	KEPT("app/README.md");

	preset("node-caution");
	DECIDE(t);
	DROPPED("app/node_modules/foo/index.d.ts");
	DROPPED("app/node_modules/foo/docs/api.html");
	DROPPED("app/node_modules/foo/tsconfig.json");
	KEPT("app/node_modules/foo/index.js");
}
END_TEST

/* An ELF header of the given machine and type, padded to 64 bytes. */
static char *elf(unsigned machine, unsigned type, bool be)
{
	unsigned char *h = xcalloc(1, 64);

	memcpy(h, ELFMAG, SELFMAG);
	h[EI_CLASS] = ELFCLASS64;
	h[EI_DATA] = be ? ELFDATA2MSB : ELFDATA2LSB;
	h[EI_VERSION] = EV_CURRENT;
	h[be ? 17 : 16] = (unsigned char)type;
	h[be ? 18 : 19] = (unsigned char)(machine >> 8);
	h[be ? 19 : 18] = (unsigned char)machine;
	return (char *)h;
}

START_TEST(test_foreign)
{
	char *x86 = elf(EM_X86_64, ET_DYN, false), *exe = elf(EM_X86_64, ET_EXEC, false);
	char *arm = elf(EM_AARCH64, ET_DYN, false), *i386 = elf(EM_386, ET_DYN, false);
	char *s390 = elf(EM_S390, ET_EXEC, true), *bpf = elf(EM_BPF, ET_REL, false);
	char *cuda = elf(EM_CUDA, ET_EXEC, false), *armo = elf(EM_AARCH64, ET_REL, false);
	char pe[256] = "MZ", macho[64] = "\xcf\xfa\xed\xfe\x07\x00\x00\x01";
	char fat[64] = "\xca\xfe\xba\xbe\x00\x00\x00\x02", java[64] = "\xca\xfe\xba\xbe\x00\x00\x00\x3d";
	char mz_text[64] = "MZ is a text file that happens to start with those letters.";
	struct tent t[] = {
		{ "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", 'f', x86, 64 },
		{ "lib/x86_64-linux-gnu/libc.so.6", 'f', x86, 64 },
		{ "usr/bin/app", 'f', exe, 64 },
		{ "nm/esbuild-linux-arm64/bin/esbuild", 'f', arm, 64 },
		{ "nm/a/prebuilds/linux-arm64/a.node", 'f', arm, 64 },
		{ "nm/a/prebuilds/linux-s390x/a.node", 'f', s390, 64 },
		{ "nm/a/prebuilds/win32-x64/a.node", 'f', pe, sizeof(pe) },
		{ "nm/a/prebuilds/darwin-arm64/a.node", 'f', macho, sizeof(macho) },
		{ "nm/a/prebuilds/darwin-fat/a.node", 'f', fat, sizeof(fat) },
		/* negatives */
		{ "usr/lib/i386-linux-gnu/libc.so.6", 'f', i386, 64 },
		{ "usr/lib/bpf/prog.o", 'f', bpf, 64 },
		{ "opt/kernels/k.cubin", 'f', cuda, 64 },
		{ "opt/cross/crt1.o", 'f', armo, 64 },
		{ "lib/firmware/dsp.elf", 'f', arm, 64 },
		{ "app/Main.class", 'f', java, sizeof(java) },
		{ "app/notes.txt", 'f', mz_text, sizeof(mz_text) },
		{ "app/small", 'f', "MZ", 0 },
	};

	pe[0x3c] = (char)0x80;
	memcpy(pe + 0x80, "PE\0\0", 4);
	preset("foreign");
	DECIDE(t);
	DROPPED("nm/esbuild-linux-arm64/bin/esbuild");
	DROPPED("nm/a/prebuilds/linux-arm64/a.node");
	RULE_IS("nm/a/prebuilds/linux-arm64/a.node", "foreign: ELF for another machine");
	DROPPED("nm/a/prebuilds/linux-s390x/a.node");
	DROPPED("nm/a/prebuilds/win32-x64/a.node");
	RULE_IS("nm/a/prebuilds/win32-x64/a.node", "foreign: PE and Mach-O binaries");
	DROPPED("nm/a/prebuilds/darwin-arm64/a.node");
	DROPPED("nm/a/prebuilds/darwin-fat/a.node");
	KEPT("lib/x86_64-linux-gnu/libc.so.6");
	KEPT("usr/bin/app");
	KEPT("usr/lib/i386-linux-gnu/libc.so.6");
	KEPT("usr/lib/bpf/prog.o");
	KEPT("opt/kernels/k.cubin");
	KEPT("opt/cross/crt1.o");
	KEPT("lib/firmware/dsp.elf");
	KEPT("app/Main.class");
	KEPT("app/notes.txt");
	KEPT("app/small");

	/* the machine named by the caller wins over the tree's majority */
	{
		struct err e = ERR_INIT;

		ck_assert_int_eq(rules_set_arch(T.r, "arm64", &e), 0);
		ck_assert_int_eq(rules_set_arch(T.r, "vax", &e), -1);
		ck_assert_ptr_nonnull(strstr(e.msg, "vax"));
		err_release(&e);
	}
	DECIDE(t);
	KEPT("nm/a/prebuilds/linux-arm64/a.node");
	DROPPED("lib/x86_64-linux-gnu/libc.so.6");
	DROPPED("usr/lib/i386-linux-gnu/libc.so.6");
	free(x86), free(exe), free(arm), free(i386), free(s390), free(bpf), free(cuda), free(armo);
}
END_TEST

/* No loader and no clear majority: ELF files are left alone. */
START_TEST(test_foreign_unsure)
{
	char *x86 = elf(EM_X86_64, ET_DYN, false), *arm = elf(EM_AARCH64, ET_DYN, false);
	struct tent t[] = {
		{ "a/x.node", 'f', x86, 64 },
		{ "b/y.node", 'f', arm, 64 },
	};

	preset("foreign");
	DECIDE(t);
	KEPT("a/x.node");
	KEPT("b/y.node");
	free(x86);
	free(arm);
}
END_TEST

/* ---- rule sets, files and listing ----------------------------------------- */

START_TEST(test_presets_known)
{
	struct err e = ERR_INIT;
	const char *const *p;
	size_t n;

	for (p = rules_presets(); *p; p++)
		preset(*p);
	n = rules_count(T.r);
	for (p = rules_presets(); *p; p++)
		preset(*p);
	ck_assert_uint_eq(rules_count(T.r), n); /* idempotent */
	ck_assert_int_eq(rules_add_preset(T.r, "pyhton", &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "unknown preset 'pyhton'"));
	ck_assert_ptr_nonnull(strstr(e.msg, "python, static-libs, headers, docs, node, node-caution, foreign"));
	ck_assert_ptr_null(rules_name(T.r, -1));
	ck_assert_ptr_null(rules_name(T.r, (int)n));
	err_release(&e);
}
END_TEST

START_TEST(test_rules_file)
{
	char *dir = tu_tmpdir(), *path = NULL;
	struct err e = ERR_INIT;
	struct buf b = BUF_INIT;
	static const struct tent t[] = {
		{ "srv/a.log", 'f', "", 0 },
		{ "srv/keep.log", 'f', "", 0 },
		{ "srv/My Docs", 'd', 0, 0 },
		{ "srv/My Docs/x", 'f', "", 0 },
		{ "pkg/__init__.py", 'f', "", 0 },
		{ "pkg/a.py", 'f', "", 0 },
		{ "pkg/__pycache__/a.pyc", 'f', "", 0 },
	};

	tu_write(dir, "rules.txt",
		 "# slim rules\n"
		 "\n"
		 "drop *.log\r\n"
		 "   keep   keep.log   \n"
		 "preset python\n"
		 "drop srv/My Docs/\n"
		 "\t# indented comment\n", (size_t)-1);
	buf_addf(&b, "%s/rules.txt", dir);
	path = buf_detach(&b, NULL);
	ck_assert_msg(rules_load_file(T.r, path, &e) == 0, "%s", e.msg);
	DECIDE(t);
	DROPPED("srv/a.log");
	KEPT_WHY("srv/keep.log", "keep rule");
	DROPPED("srv/My Docs/x");
	DROPPED("pkg/__pycache__/a.pyc");
	buf_addf(&b, "%s:3: *.log", path);
	ck_assert_str_eq(rules_name(T.r, V("srv/a.log")->rule), b.p);
	buf_release(&b);

	tu_write(dir, "bad1.txt", "drop *.o\n\nfrop *.a\n", (size_t)-1);
	tu_write(dir, "bad2.txt", "# x\nkeep\n", (size_t)-1);
	tu_write(dir, "bad3.txt", "preset python\npreset nope\n", (size_t)-1);
	tu_write(dir, "bad4.txt", "drop a/../b\n", (size_t)-1);
	tu_write(dir, "bad5.txt", "preset python node\n", (size_t)-1);
	{
		static const struct {
			const char *file, *msg;
		} cases[] = {
			{ "bad1.txt", ":3: unknown directive 'frop'" },
			{ "bad2.txt", ":2: 'keep' needs a glob" },
			{ "bad3.txt", ":2: unknown preset 'nope'" },
			{ "bad4.txt", ":1: bad glob 'a/../b'" },
			{ "bad5.txt", ":1: 'preset' needs one name" },
			{ "missing.txt", "cannot read rules file" },
		};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(cases); i++) {
			struct rules *r = rules_new();

			buf_addf(&b, "%s/%s", dir, cases[i].file);
			ck_assert_int_eq(rules_load_file(r, b.p, &e), -1);
			ck_assert_msg(strstr(e.msg, cases[i].msg), "%s: %s", cases[i].file, e.msg);
			if (strcmp(cases[i].file, "missing.txt"))
				ck_assert_msg(!strncmp(e.msg, b.p, b.len), "%s", e.msg);
			buf_setlen(&b, 0);
			rules_free(r);
		}
	}
	buf_release(&b);
	err_release(&e);
	free(path);
	tu_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(test_list)
{
	char *out = NULL;
	size_t len = 0, lines = 0, i;
	FILE *f;

	preset("python");
	preset("docs");
	glob(false, "*.log");
	glob(true, "etc/**");
	f = open_memstream(&out, &len);
	rules_list(T.r, f);
	fclose(f);
	for (i = 0; i < len; i++)
		lines += out[i] == '\n';
	ck_assert_uint_eq(lines, rules_count(T.r));
	ck_assert_ptr_nonnull(strstr(out, "drop  __pycache__/"));
	ck_assert_ptr_nonnull(strstr(out, "sourceless"));
	ck_assert_ptr_nonnull(strstr(out, "*.dist-info"));
	ck_assert_ptr_nonnull(strstr(out, "usr{,/local}/share/{doc,man,info}/"));
	ck_assert_ptr_nonnull(strstr(out, "keep  etc/**"));
	ck_assert_ptr_nonnull(strstr(out, "--drop"));
	for (i = 0; i < rules_count(T.r); i++) {
		const char *name = rules_name(T.r, (int)i), *colon = strstr(name, ": ");

		ck_assert_ptr_nonnull(colon);
		ck_assert_msg(strstr(out, colon + 2), "%s not listed", name);
	}
	free(out);
}
END_TEST

/* ---- properties and scale -------------------------------------------------- */

/* Random trees from a vocabulary that makes rules fire, with random keep
 * and drop globs: the subtree invariant holds for every one. */
START_TEST(test_random_trees)
{
	static const char *const names[] = {
		"tests", "test", "__pycache__", "__init__.py", "a.py", "a.pyc", "b.cpython-311.pyc",
		"data", "node_modules", "pkg", "README.md", "LICENSE", ".wh.x", "x.dist-info",
		"site-packages", "lib", "python3.11", "usr", "share", "doc", "include", "x.h",
		"pyconfig.h", "libz.a", "copyright", "examples",
	};
	static const char *const globs[] = {
		"**/data/**", "*.md", "tests/", "**/pkg", "usr/**", "a.py*", "*", "lib/*/site-packages",
	};
	unsigned seed = 12345;
	int round;

	for (round = 0; round < 300; round++) {
		struct tent *t = xcalloc(400, sizeof(*t));
		char **paths = xcalloc(400, sizeof(*paths));
		size_t n = 0, i, target = 20 + (size_t)(rand_r(&seed) % 300);

		rules_free(T.r);
		T.r = rules_new();
		preset("python");
		if (rand_r(&seed) % 2)
			preset("node");
		if (rand_r(&seed) % 2)
			preset("docs");
		if (rand_r(&seed) % 2)
			preset("headers");
		for (i = 0; i < 3; i++)
			if (rand_r(&seed) % 2)
				glob(rand_r(&seed) % 2, globs[rand_r(&seed) % ARRAY_SIZE(globs)]);
		while (n < target) {
			/* a child of a random directory so far (or of the root) */
			size_t parent = SIZE_MAX, tries;
			struct buf b = BUF_INIT;
			int k = rand_r(&seed) % 10;

			for (tries = 0; n && tries < 4; tries++) {
				size_t c = (size_t)rand_r(&seed) % n;

				if (t[c].kind == 'd') {
					parent = c;
					break;
				}
			}
			if (parent != SIZE_MAX)
				buf_addf(&b, "%s/", t[parent].path);
			buf_adds(&b, names[rand_r(&seed) % ARRAY_SIZE(names)]);
			for (i = 0; i < n && strcmp(t[i].path, b.p); i++)
				;
			if (i < n) {
				buf_release(&b);
				continue;
			}
			paths[n] = buf_detach(&b, NULL);
			t[n].path = paths[n];
			t[n].kind = k < 5 ? 'd' : k < 8 ? 'f' : k < 9 ? 'l' : 'w';
			t[n].data = t[n].kind == 'f' ? "import x\n" : NULL;
			n++;
		}
		decide_n(t, n);
		for (i = 0; i < n; i++)
			free(paths[i]);
		free(paths);
		free(t);
		free(T.e);
		free(T.v);
		T.e = NULL;
		T.v = NULL;
	}
}
END_TEST

/* ---- a tree in place: presets from the file system root ----------------- */

/* /usr/local given as the tree: its include and share/doc are the system's
 * header and documentation directories; globs still match below it and
 * never its own directories. */
START_TEST(test_prefix)
{
	static const struct tent t[] = {
		{ "include", 'd', 0, 0 },
		{ "include/x.h", 'f', "", 0 },
		{ "include/python3.11/pyconfig.h", 'f', "", 0 },
		{ "share/doc/p/README", 'f', "", 0 },
		{ "share/doc/p/copyright", 'f', "", 0 },
		{ "lib/local.txt", 'f', "", 0 },
		{ "lib/x.log", 'f', "", 0 },
		{ "usr/include/y.h", 'f', "", 0 }, /* /usr/local/usr/include: not the system's */
	};
	static const struct rules_at at = { "usr/local", 0 };

	preset("headers");
	preset("docs");
	glob(false, "lib/*.log");
	glob(false, "usr");   /* the name of a prefix directory: never matched there */
	glob(false, "local"); /* likewise */
	T.at = &at;
	DECIDE(t);
	KEPT_WHY("include", "holds a kept entry");
	DROPPED("include/x.h");
	KEPT_WHY("include/python3.11/pyconfig.h", "read by sysconfig at run time");
	DROPPED("share/doc/p/README");
	KEPT_WHY("share/doc/p/copyright", "license text");
	KEPT("lib/local.txt");
	RULE_IS("lib/x.log", "--drop: lib/*.log");
	RULE_IS("usr/include/y.h", "--drop: usr"); /* the tree's own usr, by the glob only */
	/* the same entries from the tree's own root: no system directory */
	T.at = NULL;
	rules_free(T.r);
	T.r = rules_new();
	preset("headers");
	preset("docs");
	DECIDE(t);
	KEPT("include/x.h");
	KEPT("share/doc/p/README");
	DROPPED("usr/include/y.h");
}
END_TEST

/* A tree that is itself at or below a dropped directory: all of it goes
 * (the root itself is no entry); one elsewhere is warned about. */
START_TEST(test_prefix_inside)
{
	static const struct tent t[] = {
		{ "x.h", 'f', "", 0 },
		{ "sub/y.h", 'f', "", 0 },
	};
	static const struct rules_at at = { "usr/local/include", 0 };
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	preset("headers");
	preset("docs");
	T.at = &at;
	DECIDE(t);
	DROPPED("x.h");
	DROPPED("sub/y.h");
	f = open_memstream(&out, &len);
	ck_assert_uint_eq(rules_warn_unreachable(T.r, "usr/local/include", "/usr/local/include", f), 1);
	ck_assert_uint_eq(rules_warn_unreachable(T.r, "usr", "/usr", f), 0);
	ck_assert_uint_eq(rules_warn_unreachable(T.r, "", "/", f), 0);
	ck_assert_uint_eq(rules_warn_unreachable(T.r, "usr/localx", "/usr/localx", f), 2);
	fclose(f);
	ck_assert_msg(strstr(out, "preset docs matches nothing under '/usr/local/include' "
				  "(its rules are for /usr/share/doc,") != NULL, "%s", out);
	free(out);
}
END_TEST

/* --python-bytecode keep: the byte-code rules are off, the test rule not. */
START_TEST(test_keep_bytecode)
{
	static const struct tent t[] = {
		{ SP "/p/__init__.py", 'f', "", 0 },
		{ SP "/p/__pycache__/__init__.cpython-311.pyc", 'f', "", 0 },
		{ SP "/p/old.pyc", 'f', "", 0 },
		{ SP "/p/old.py", 'f', "", 0 },
		{ SP "/p/tests/test_a.py", 'f', "", 0 },
	};
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	preset("python");
	rules_keep_bytecode(T.r, true);
	DECIDE(t);
	KEPT(SP "/p/__pycache__/__init__.cpython-311.pyc");
	KEPT(SP "/p/old.pyc");
	DROPPED(SP "/p/tests/test_a.py");
	ck_assert(!rules_is_bytecode(T.r, V(SP "/p/tests/test_a.py")->rule));
	f = open_memstream(&out, &len);
	rules_list(T.r, f);
	fclose(f);
	ck_assert_msg(!strstr(out, "pyc"), "%s", out);
	free(out);
	rules_keep_bytecode(T.r, false);
	DECIDE(t);
	DROPPED(SP "/p/old.pyc");
	ck_assert(rules_is_bytecode(T.r, V(SP "/p/old.pyc")->rule));
}
END_TEST

/* Append an entry with a formatted path to t[*n] (paths[*n] owns it). */
static void add_ent(struct tent *t, char **paths, size_t *n, char kind, const char *data,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void add_ent(struct tent *t, char **paths, size_t *n, char kind, const char *data,
		    const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	paths[*n] = buf_detach(&b, NULL);
	t[*n].path = paths[*n];
	t[*n].kind = kind;
	t[*n].data = data;
	(*n)++;
}

/* 100,000 entries of a Python tree decide in well under a second (5 s is
 * a loose bound for a sanitizer build). */
START_TEST(test_scale)
{
	enum { CAP = 100000 };
	size_t n = 0, i, m, dropped = 0;
	struct tent *t = xcalloc(CAP, sizeof(*t));
	char **paths = xcalloc(CAP, sizeof(*paths));
	for (i = 0; n + 20 <= CAP; i++) {
		add_ent(t, paths, &n, 'd', NULL, SP "/p%zu", i);
		add_ent(t, paths, &n, 'f', "import os\nfrom . import core\n", SP "/p%zu/__init__.py", i);
		add_ent(t, paths, &n, 'd', NULL, SP "/p%zu/__pycache__", i);
		for (m = 0; m < 5; m++) {
			add_ent(t, paths, &n, 'f', "import sys\n", SP "/p%zu/m%zu.py", i, m);
			add_ent(t, paths, &n, 'f', "x", SP "/p%zu/__pycache__/m%zu.cpython-311.pyc", i, m);
		}
		add_ent(t, paths, &n, 'd', NULL, SP "/p%zu/tests", i);
		add_ent(t, paths, &n, 'f', "", SP "/p%zu/tests/__init__.py", i);
		for (m = 0; m < 5; m++)
			add_ent(t, paths, &n, 'f', "import pytest\n", SP "/p%zu/tests/test_%zu.py", i, m);
	}
	for (m = 0; n < CAP; m++)
		add_ent(t, paths, &n, 'f', "", "usr/share/misc/f%zu", m);
	preset("python");
	preset("docs");
	glob(true, "**/p7/tests/**");
	decide_n(t, n);
	for (i = 0; i < n; i++)
		dropped += T.v[i].rule >= 0;
	ck_assert_uint_eq(n, CAP);
	ck_assert_uint_gt(dropped, 50000);
	KEPT(SP "/p7/tests/test_1.py");
	DROPPED(SP "/p8/tests/test_1.py");
	ck_assert_msg(T.secs < 5.0, "100000 entries took %.2f s", T.secs);
	fprintf(stderr, "rules: 100000 entries decided in %.3f s (%zu dropped, %zu reads)\n",
		T.secs, dropped, T.reads);
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(t);
}
END_TEST

Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_python_basics);
	tcase_add_test(tc, test_sourceless_pyc);
	tcase_add_test(tc, test_imported_tests);
	tcase_add_test(tc, test_imports_scanned_in_parts);
	tcase_add_test(tc, test_imports_linear);
	tcase_add_test(tc, test_stdlib);
	tcase_add_test(tc, test_symlinked_tests);
	tcase_add_test(tc, test_keep_beats_preset);
	tcase_add_test(tc, test_drop_globs);
	tcase_add_test(tc, test_bad_globs);
	tcase_add_test(tc, test_metadata_never_by_presets);
	tcase_add_test(tc, test_whiteouts);
	tcase_add_test(tc, test_bad_paths);
	tcase_add_test(tc, test_layer_without_dirs);
	tcase_add_test(tc, test_static_libs);
	tcase_add_test(tc, test_headers);
	tcase_add_test(tc, test_docs);
	tcase_add_test(tc, test_node);
	tcase_add_test(tc, test_foreign);
	tcase_add_test(tc, test_foreign_unsure);
	tcase_add_test(tc, test_presets_known);
	tcase_add_test(tc, test_rules_file);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_random_trees);
	tcase_add_test(tc, test_scale);
	tcase_add_test(tc, test_prefix);
	tcase_add_test(tc, test_prefix_inside);
	tcase_add_test(tc, test_keep_bytecode);
	suite_add_tcase(s, tc);
	return s;
}
