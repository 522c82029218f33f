#!/usr/bin/env bash
# End-to-end test of stripping libraries rewritten by patchelf as auditwheel rewrites
# those it grafts into <pkg>.libs/ (#21): patchelf appends a PT_LOAD after .symtab and
# .strtab, an "interleaved layout".  A C library, a C++ library and a Python extension
# module that needs the C++ one, built with gcc -g; each patched with the calls auditwheel
# makes (--set-soname, --replace-needed, --remove-rpath, --force-rpath --set-rpath); then
# slimmed in place, as a layer, and inside a wheel that pip installs.  Each must save at
# least 99% of what GNU strip saves, keep every segment's offset congruent to its
# address, load and work, and the module must import from the installed wheel.
#   tests/e2e_auditwheel.sh SLIM
. "$(dirname "$0")/lib.sh"
lib_init auditwheel
SLIM=$(readlink -f "$1")
GNU_BROKEN=0

build() {
    local inc
    mkdir -p "$T/src" "$T/tree/pkg" "$T/tree/pkg.libs" && cd "$T/src" || return 1
    cat > a.c <<'EOF'
#include <math.h>
int calls;
double twice_root(double x) { calls++; return 2 * sqrt(x); }
EOF
    cat > b.cc <<'EOF'
#include <sstream>
#include <string>
#include <vector>
extern "C" int count_strings(int n)
{
	std::vector<std::string> v;
	for (int i = 0; i < n; i++) {
		std::ostringstream s;
		s << i;
		v.push_back(s.str());
	}
	return (int)v.size();
}
EOF
    cat > mod.c <<'EOF'
#define PY_SSIZE_T_CLEAN
#include <Python.h>
int count_strings(int n);
static PyObject *count(PyObject *self, PyObject *args)
{
	int n;
	(void)self;
	if (!PyArg_ParseTuple(args, "i", &n))
		return NULL;
	return PyLong_FromLong(count_strings(n));
}
static PyMethodDef methods[] = { { "count", count, METH_VARARGS, "count" }, { 0 } };
static struct PyModuleDef def = { PyModuleDef_HEAD_INIT, "native", 0, -1, methods };
PyMODINIT_FUNC PyInit_native(void) { return PyModule_Create(&def); }
EOF
    inc=$($PY -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
    EXT=$($PY -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
    [ -f "$inc/Python.h" ] || { echo "no Python.h in $inc" > build.log; return 2; }
    { gcc -g -O2 -fPIC -shared -o liba.so a.c -lm &&
      g++ -g -O2 -fPIC -shared -Wl,-soname,libb.so -o libb.so b.cc &&
      gcc -g -O2 -fPIC -shared -I"$inc" -o "native$EXT" mod.c -L. -lb; } > build.log 2>&1 || return 1
    # what auditwheel repair does to each library it grafts, one call each
    cp liba.so "$T/tree/pkg.libs/liba-1a2b3c4d.so" &&
    cp libb.so "$T/tree/pkg.libs/libb-5e6f7a8b.so" &&
    cp /lib/x86_64-linux-gnu/libm.so.6 "$T/tree/pkg.libs/libm-9c0d1e2f.so.6" 2>/dev/null ||
        cp "$(gcc -print-file-name=libm.so.6)" "$T/tree/pkg.libs/libm-9c0d1e2f.so.6" || return 1
    cp "native$EXT" "$T/tree/pkg/" || return 1
    local l=$T/tree/pkg.libs
    { patchelf --set-soname liba-1a2b3c4d.so "$l/liba-1a2b3c4d.so" &&
      patchelf --replace-needed libm.so.6 libm-9c0d1e2f.so.6 "$l/liba-1a2b3c4d.so" &&
      patchelf --remove-rpath "$l/liba-1a2b3c4d.so" &&
      patchelf --force-rpath --set-rpath '$ORIGIN' "$l/liba-1a2b3c4d.so" &&
      patchelf --set-soname libb-5e6f7a8b.so "$l/libb-5e6f7a8b.so" &&
      patchelf --remove-rpath "$l/libb-5e6f7a8b.so" &&
      patchelf --force-rpath --set-rpath '$ORIGIN' "$l/libb-5e6f7a8b.so" &&
      patchelf --replace-needed libb.so libb-5e6f7a8b.so "$T/tree/pkg/native$EXT" &&
      patchelf --force-rpath --set-rpath '$ORIGIN/../pkg.libs' "$T/tree/pkg/native$EXT"
    } >> build.log 2>&1 || return 1
    touch "$T/tree/pkg/__init__.py"
    cd "$T"
}

# Is every PT_LOAD's offset congruent to its address (what glibc checks)?
congruent() {
    readelf -lW "$1" | $PY -c '
import sys
bad = [l for l in sys.stdin if l.split()[:1] == ["LOAD"] and
       (int(l.split()[1], 16) - int(l.split()[2], 16)) % int(l.split()[-1], 16)]
sys.exit(1 if bad else 0)'
}

# Is the file as small as congruence allows: no section a strip removes, and no PT_LOAD
# that could move down by a whole alignment unit?
tight() {
    readelf -SW "$1" | grep -qE ' \.(debug_[a-z]*|symtab|strtab) ' && return 1
    readelf -lW "$1" | $PY -c '
import sys
loads = sorted((int(f[1], 16), int(f[4], 16), int(f[-1], 16))
               for f in (l.split() for l in sys.stdin) if f[:1] == ["LOAD"])
end = 0
for off, size, align in loads:
    if off >= end + align:
        sys.exit(1)
    end = max(end, off + size)'
}

# Does the tree's code work: each library called through ctypes, the module imported?
works() {
    $PY - "$1" "$EXT" <<'EOF'
import ctypes, sys
root, ext = sys.argv[1], sys.argv[2]
a = ctypes.CDLL(root + '/pkg.libs/liba-1a2b3c4d.so')
a.twice_root.restype = ctypes.c_double
a.twice_root.argtypes = [ctypes.c_double]
assert a.twice_root(16.0) == 8.0
b = ctypes.CDLL(root + '/pkg.libs/libb-5e6f7a8b.so')
assert b.count_strings(1000) == 1000
sys.path.insert(0, root)
from pkg import native
assert native.count(77) == 77
EOF
}

check_tree() {
    local f s g name
    works "$T/tree" > "$T/works.log" 2>&1 || { bad patched-works "before slim: $(tail -c 300 "$T/works.log")"; return; }
    readelf -SW "$T/tree/pkg.libs/libb-5e6f7a8b.so" | grep -q ' \.debug_info ' &&
        [ "$(readelf -lW "$T/tree/pkg.libs/libb-5e6f7a8b.so" | grep -c ' LOAD ')" -gt 4 ] &&
        ok patched "patchelf appended segments" || bad patched "no segment appended, or no debug info"
    cp -a "$T/tree" "$T/gnu" && cp -a "$T/tree" "$T/slim"
    find "$T/gnu" -name '*.so*' -exec strip --strip-unneeded {} +
    "$SLIM" -n --json "$T/slim" > "$T/dry.json" 2> "$T/err" &&
    "$SLIM" --json "$T/slim" > "$T/real.json" 2> "$T/err" ||
        { bad slim-run "exit $?: $(head -c 300 "$T/err")"; return; }
    for f in pkg.libs/liba-1a2b3c4d.so pkg.libs/libb-5e6f7a8b.so "pkg/native$EXT"; do
        name=${f##*/}
        s=$(( $(stat -c %s "$T/tree/$f") - $(stat -c %s "$T/slim/$f") ))
        g=$(( $(stat -c %s "$T/tree/$f") - $(stat -c %s "$T/gnu/$f") ))
        if congruent "$T/gnu/$f"; then
            [ "$g" -gt 0 ] && [ $((s * 100)) -ge $((g * 99)) ] && ok "saved-$name" "slim $s, GNU strip $g bytes" ||
                bad "saved-$name" "slim saved $s bytes, GNU strip $g"
        else
            # GNU strip saved more by moving a segment off its alignment: glibc refuses
            # that file; slim must be as small as a file that loads can be
            tight "$T/slim/$f" && ok "saved-$name" "slim $s bytes, as far as alignment allows; GNU strip $g in a file that does not load" ||
                bad "saved-$name" "slim saved $s bytes; a segment could move further down"
            GNU_BROKEN=$((GNU_BROKEN + 1))
        fi
        congruent "$T/slim/$f" && ok "congruent-$name" || bad "congruent-$name" "$(readelf -lW "$T/slim/$f" | grep LOAD)"
    done
    works "$T/slim" > "$T/works.log" 2>&1 && ok slimmed-works || bad slimmed-works "$(tail -c 300 "$T/works.log")"
    works "$T/gnu" > /dev/null 2>&1 || echo "note: GNU strip's copy does not work ($GNU_BROKEN of 3 files with a segment off its alignment)"
    grep -q interleaved "$T/real.json" && bad no-interleaved-skip "a file was left as interleaved" ||
        ok no-interleaved-skip
    $PY -c '
import json, sys
a, b = (json.load(open(p))["totals"]["bytes_saved"] for p in sys.argv[1:])
sys.exit(a != b)' "$T/dry.json" "$T/real.json" && ok dry-is-real || bad dry-is-real "the dry run predicted other savings"
    "$SLIM" -n --json "$T/slim" > "$T/again.json" 2> "$T/err" && [ "$($PY -c '
import json, sys; print(json.load(open(sys.argv[1]))["totals"]["bytes_saved"])' "$T/again.json")" = 0 ] &&
        ok again-nothing || bad again-nothing "a second run would strip more"
}

# A layer gets the same bytes as the tree in place.
check_layer() {
    mkdir -p "$T/lout" && tar -C "$T/tree" -cf "$T/in.tar" pkg pkg.libs &&
    "$SLIM" "$T/in.tar" -o "$T/out.tar" > /dev/null 2> "$T/err" &&
    tar -C "$T/lout" -xf "$T/out.tar" && diff -r "$T/lout" "$T/slim" > "$T/diff" 2>&1 &&
        ok layer-same-bytes || bad layer-same-bytes "$(head -c 300 "$T/err" "$T/diff")"
}

# The wheel auditwheel would make, slimmed, installs with pip and imports.
check_wheel() {
    local whl=$T/pkg-1.0-py3-none-any.whl
    $PY - "$T/tree" "$whl" <<'EOF'
import base64, hashlib, os, sys, zipfile
root, out = sys.argv[1], sys.argv[2]
files = []
for d, _, names in os.walk(root):
    for n in sorted(names):
        p = os.path.join(d, n)
        files.append((os.path.relpath(p, root), open(p, 'rb').read()))
files.append(('pkg-1.0.dist-info/METADATA', b'Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n'))
files.append(('pkg-1.0.dist-info/WHEEL', b'Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\nTag: py3-none-any\n'))
rec = ''.join('%s,sha256=%s,%d\n' % (n, base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b'=').decode(), len(b)) for n, b in files)
rec += 'pkg-1.0.dist-info/RECORD,,\n'
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
    for n, b in files:
        i = zipfile.ZipInfo(n, (2024, 1, 1, 0, 0, 0))
        i.external_attr = 0o755 << 16
        z.writestr(i, b, zipfile.ZIP_DEFLATED)
    z.writestr('pkg-1.0.dist-info/RECORD', rec)
EOF
    "$SLIM" "$whl" -o "$T/slim.whl" > /dev/null 2> "$T/err" ||
        { bad wheel-slim "exit $?: $(head -c 300 "$T/err")"; return; }
    [ "$(stat -c %s "$T/slim.whl")" -lt "$(stat -c %s "$whl")" ] && ok wheel-smaller ||
        bad wheel-smaller "$(stat -c %s "$whl") -> $(stat -c %s "$T/slim.whl")"
    cp "$T/slim.whl" "$T/pkg-1.0-py3-none-any.whl.slim" &&
    mkdir -p "$T/wh" && mv "$T/slim.whl" "$T/wh/pkg-1.0-py3-none-any.whl" &&
    $PY -m venv "$T/venv" > "$T/pip.log" 2>&1 &&
    "$T/venv/bin/python" -m pip install -q --no-index --no-deps "$T/wh/pkg-1.0-py3-none-any.whl" \
        >> "$T/pip.log" 2>&1 ||
        { skp wheel-installs "pip cannot install here: $(tail -c 200 "$T/pip.log")"; return; }
    (cd / && "$T/venv/bin/python" -c 'from pkg import native; assert native.count(5) == 5') \
        > "$T/imp.log" 2>&1 && ok wheel-installs-imports || bad wheel-installs-imports "$(tail -c 300 "$T/imp.log")"
}

if need gcc g++ patchelf readelf strip; then
    build
    case $? in
    0) check_tree; check_layer; check_wheel ;;
    2) skp python-headers "$(cat "$T/src/build.log")" ;;
    *) bad build "$(tail -c 400 "$T/src/build.log")" ;;
    esac
fi
finish
