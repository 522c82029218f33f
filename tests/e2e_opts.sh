#!/usr/bin/env bash
# e2e_opts.sh SLIM - where a tree is, and what slim leaves alone on purpose:
#   mounted_usr_local: in a private mount namespace (unshare -m, root), a tree bind-mounted
#                   at /usr/local: --preset docs --preset headers /usr/local removes
#                   /usr/local/share/doc and /usr/local/include (presets match from /)
#   unreachable:    the same presets on a tree where they cannot match: a warning naming
#                   each preset, and nothing removed
#   root:           --root DIR: a tree inside an image root mounted at DIR matches from DIR
#                   (usr/local/include removed); a PATH outside DIR is a usage error (2)
#   exclude:        --exclude: an excluded ELF keeps its symbols and is not a hard link
#                   (nor stripped when its other name is not excluded),
#                   an excluded test directory stays, the same files not excluded are
#                   stripped, linked and removed; in a layer the excluded file passes
#                   through byte for byte
#   dedup_min_size: in place, identical files under 4 KiB are not linked by default,
#                   larger ones are; --dedup-min-size 0 links the small ones too; under
#                   etc/ (from --root) nothing is linked unless --dedup-paths all
#   bytecode:       --python-bytecode keep leaves __pycache__ and *.pyc; drop (the
#                   default) removes them, the text report says what that costs and the
#                   JSON counts the files
#   foreign_note:   --preset foreign without --arch names the CPU it took: in place the
#                   host's, with --root the tree's; with --arch it says nothing
# Prints ok/FAIL/skip lines and "N passed, N failed, N skipped"; exits 1 on failure.
if [ $# -ne 1 ]; then echo "usage: $0 SLIM" >&2; exit 2; fi
. "$(dirname "$0")/lib.sh"
lib_init opts
SLIM=$(realpath "$1")

inode() { stat -c %i "$1"; }
has_symtab() { readelf -S "$1" 2>/dev/null | grep -q '\.symtab'; }
# a shared object with symbols: $1 the file
mkso() { printf 'int f(void) { return 1; }\n' | gcc -g -shared -fPIC -x c -o "$1" -; }
json_get() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(d)' "$1" "$2"; }

# a /usr/local tree: share/doc, include, lib
mklocal() {
    mkdir -p "$1/share/doc/pkg" "$1/include/sub" "$1/lib"
    echo 'read me' > "$1/share/doc/pkg/README"
    echo '#define X 1' > "$1/include/sub/x.h"
    echo 'data' > "$1/lib/keep.txt"
}

t_mounted_usr_local() {
    local name=mounted_usr_local d=$T/ml
    if [ "$(id -u)" != 0 ] || ! have unshare || ! unshare -m true 2>/dev/null; then
        skp $name "needs root and unshare -m (a private mount namespace)"; return
    fi
    mkdir -p "$d" && mklocal "$d/tree"
    unshare -m sh -c 'mount --make-rprivate / && mount --bind "$1" /usr/local &&
        "$2" -q --preset docs --preset headers /usr/local' sh "$d/tree" "$SLIM" 2> "$d/err" ||
        { bad $name "slim failed: $(cat "$d/err")"; return; }
    [ ! -e "$d/tree/include" ] || { bad $name "/usr/local/include not removed"; return; }
    [ ! -e "$d/tree/share/doc" ] || { bad $name "/usr/local/share/doc not removed"; return; }
    [ -f "$d/tree/lib/keep.txt" ] || { bad $name "/usr/local/lib/keep.txt removed"; return; }
    [ ! -s "$d/err" ] || { bad $name "unexpected stderr: $(cat "$d/err")"; return; }
    ok $name
}

t_unreachable() {
    local name=unreachable d=$T/un
    mkdir -p "$d" && mklocal "$d/opt/x"
    "$SLIM" -q --preset docs --preset headers "$d/opt/x" 2> "$d/err" || { bad $name "slim failed"; return; }
    grep -q "warning: preset docs matches nothing under '$d/opt/x' (its rules are for /usr/share/doc," "$d/err" ||
        { bad $name "no warning for docs: $(cat "$d/err")"; return; }
    grep -q "warning: preset headers matches nothing under '$d/opt/x' (its rules are for /usr/include, /usr/local/include)" "$d/err" ||
        { bad $name "no warning for headers: $(cat "$d/err")"; return; }
    [ -f "$d/opt/x/include/sub/x.h" ] && [ -f "$d/opt/x/share/doc/pkg/README" ] ||
        { bad $name "something was removed"; return; }
    # a preset that can match gives no warning: the tree is below /usr/local/include's parent
    "$SLIM" -qn --preset docs --root "$d/opt/x" "$d/opt/x" 2> "$d/err2"
    [ ! -s "$d/err2" ] || { bad $name "a warning with --root at the tree: $(cat "$d/err2")"; return; }
    ok $name
}

t_root() {
    local name=root d=$T/rt rc
    mkdir -p "$d/img/usr" "$d/other" && mklocal "$d/img/usr/local"
    "$SLIM" -q --preset headers --root "$d/img" "$d/img/usr/local" 2> "$d/err" ||
        { bad $name "slim failed: $(cat "$d/err")"; return; }
    [ ! -e "$d/img/usr/local/include" ] || { bad $name "usr/local/include not removed"; return; }
    [ -f "$d/img/usr/local/share/doc/pkg/README" ] || { bad $name "docs removed without --preset docs"; return; }
    # without --root the same tree is not at /usr/local: nothing removed, a warning
    mklocal "$d/again"
    "$SLIM" -q --preset headers "$d/again" 2> "$d/err"
    [ -f "$d/again/include/sub/x.h" ] || { bad $name "include removed without --root"; return; }
    grep -q 'preset headers matches nothing' "$d/err" || { bad $name "no warning without --root"; return; }
    "$SLIM" -qn --root "$d/img" "$d/other" 2> "$d/err"; rc=$?
    [ $rc = 2 ] && grep -q "is not under --root" "$d/err" ||
        { bad $name "a PATH outside --root: exit $rc, $(cat "$d/err")"; return; }
    ok $name
}

t_exclude() {
    local name=exclude d=$T/ex
    need gcc readelf || return
    mkdir -p "$d/t/app/vendor" "$d/t/app/pkg/tests"
    mkso "$d/t/app/vendor/lib.so"
    cp "$d/t/app/vendor/lib.so" "$d/t/app/a.so"; cp "$d/t/app/vendor/lib.so" "$d/t/app/b.so"
    head -c 8192 /dev/urandom > "$d/t/app/vendor/blob"
    cp "$d/t/app/vendor/blob" "$d/t/app/blob1"; cp "$d/t/app/vendor/blob" "$d/t/app/blob2"
    echo > "$d/t/app/pkg/__init__.py"; echo 'import os' > "$d/t/app/pkg/tests/test_x.py"
    mkdir -p "$d/t/app/pkg2/tests"; echo > "$d/t/app/pkg2/__init__.py"
    echo 'import os' > "$d/t/app/pkg2/tests/test_y.py"
    tar -C "$d/t" -cf "$d/in.tar" .
    "$SLIM" -q --dedup-elf --exclude 'app/vendor/' --exclude 'app/pkg/tests/' "$d/t" ||
        { bad $name "slim failed"; return; }
    has_symtab "$d/t/app/vendor/lib.so" || { bad $name "the excluded ELF was stripped"; return; }
    has_symtab "$d/t/app/a.so" && { bad $name "a.so (not excluded) not stripped"; return; }
    [ "$(stat -c %h "$d/t/app/vendor/lib.so")" = 1 ] && [ "$(stat -c %h "$d/t/app/vendor/blob")" = 1 ] ||
        { bad $name "an excluded file is a hard link"; return; }
    [ "$(inode "$d/t/app/blob1")" = "$(inode "$d/t/app/blob2")" ] ||
        { bad $name "blob1 and blob2 (not excluded) not linked"; return; }
    [ -f "$d/t/app/pkg/tests/test_x.py" ] || { bad $name "the excluded tests directory was removed"; return; }
    [ ! -e "$d/t/app/pkg2/tests" ] || { bad $name "pkg2/tests (not excluded) not removed"; return; }
    # a file with an excluded name (a hard link) is left alone under its other name too
    mkdir -p "$d/h/v" && mkso "$d/h/a.so" && ln "$d/h/a.so" "$d/h/v/b.so"
    "$SLIM" -q --exclude 'v/' "$d/h" || { bad $name "slim (hard link) failed"; return; }
    has_symtab "$d/h/v/b.so" && [ "$(inode "$d/h/a.so")" = "$(inode "$d/h/v/b.so")" ] ||
        { bad $name "the excluded hard link's file was stripped"; return; }
    # a layer: the excluded file passes through as it is
    "$SLIM" -q --exclude 'app/vendor/lib.so' -o "$d/out.tar" "$d/in.tar" || { bad $name "slim -o failed"; return; }
    mkdir "$d/x" && tar -C "$d/x" -xf "$d/out.tar"
    tar -C "$d/x" -xf "$d/in.tar" --to-stdout ./app/vendor/lib.so | cmp -s - "$d/x/app/vendor/lib.so" ||
        { bad $name "layer: the excluded file changed"; return; }
    has_symtab "$d/x/app/a.so" && { bad $name "layer: a.so not stripped"; return; }
    ok $name
}

t_dedup_min_size() {
    local name=dedup_min_size d=$T/dm
    mkdir -p "$d/img/etc" "$d/img/app"
    echo 'x = 1' > "$d/img/app/small1.py"; cp "$d/img/app/small1.py" "$d/img/app/small2.py"
    head -c 4096 /dev/urandom > "$d/img/app/big1"; cp "$d/img/app/big1" "$d/img/app/big2"
    cp "$d/img/app/big1" "$d/img/etc/c1"; cp "$d/img/app/big1" "$d/img/etc/c2"
    cp -a "$d/img" "$d/img2"; cp -a "$d/img" "$d/img3"
    "$SLIM" -q --root "$d/img" "$d/img" || { bad $name "slim failed"; return; }
    [ "$(inode "$d/img/app/small1.py")" != "$(inode "$d/img/app/small2.py")" ] ||
        { bad $name "files under 4 KiB linked by default"; return; }
    [ "$(inode "$d/img/app/big1")" = "$(inode "$d/img/app/big2")" ] ||
        { bad $name "4 KiB files not linked"; return; }
    [ "$(stat -c %h "$d/img/etc/c1")" = 1 ] && [ "$(stat -c %h "$d/img/etc/c2")" = 1 ] ||
        { bad $name "a file under etc/ linked"; return; }
    "$SLIM" -q --root "$d/img2" --dedup-min-size 0 --dedup-paths all "$d/img2" ||
        { bad $name "slim --dedup-min-size 0 failed"; return; }
    [ "$(inode "$d/img2/app/small1.py")" = "$(inode "$d/img2/app/small2.py")" ] ||
        { bad $name "--dedup-min-size 0 did not link small files"; return; }
    [ "$(inode "$d/img2/etc/c1")" = "$(inode "$d/img2/app/big1")" ] ||
        { bad $name "--dedup-paths all did not link under etc/"; return; }
    "$SLIM" -q --root "$d/img3" --dedup-min-size 5K "$d/img3" || { bad $name "slim 5K failed"; return; }
    [ "$(stat -c %h "$d/img3/app/big1")" = 1 ] || { bad $name "a 4096-byte file linked with 5K"; return; }
    ok $name
}

t_bytecode() {
    local name=bytecode d=$T/bc
    mkdir -p "$d/t/pkg/__pycache__"
    echo 'x = 1' > "$d/t/pkg/mod.py"; echo 'y' > "$d/t/pkg/__pycache__/mod.cpython-311.pyc"
    echo 'legacy' > "$d/t/pkg/mod.pyc"
    cp -a "$d/t" "$d/t2"
    "$SLIM" --python-bytecode keep "$d/t" > "$d/out" || { bad $name "slim keep failed"; return; }
    [ -f "$d/t/pkg/__pycache__/mod.cpython-311.pyc" ] && [ -f "$d/t/pkg/mod.pyc" ] ||
        { bad $name "--python-bytecode keep removed byte-code"; return; }
    grep -q 'byte-code' "$d/out" && { bad $name "a byte-code note though none was removed"; return; }
    "$SLIM" --json -n "$d/t2" > "$d/j" || { bad $name "slim --json failed"; return; }
    [ "$(json_get "$d/j" passes.rules.python_bytecode_removed)" = 2 ] ||
        { bad $name "JSON python_bytecode_removed is not 2"; return; }
    "$SLIM" "$d/t2" > "$d/out" || { bad $name "slim failed"; return; }
    [ ! -e "$d/t2/pkg/__pycache__" ] && [ ! -e "$d/t2/pkg/mod.pyc" ] ||
        { bad $name "byte-code not removed by default"; return; }
    grep -q 'note: without Python byte-code, imports start up to 3x slower' "$d/out" ||
        { bad $name "no note in the text report"; return; }
    ok $name
}

t_foreign_note() {
    local name=foreign_note d=$T/fn
    mkdir -p "$d/t" && cp "$(type -P true)" "$d/t/prog"
    "$SLIM" -n --preset foreign "$d/t" > /dev/null 2> "$d/err" || { bad $name "slim failed"; return; }
    grep -q "^slim: note: preset foreign in '$d/t': keeps ELF files for [a-z0-9]* (the CPU slim runs on)" "$d/err" ||
        { bad $name "in place: no note naming the host's CPU: $(cat "$d/err")"; return; }
    "$SLIM" -n --preset foreign --root "$d/t" "$d/t" > /dev/null 2> "$d/err"
    grep -q "(most of its ELF files)" "$d/err" || { bad $name "--root: no note naming the tree's CPU: $(cat "$d/err")"; return; }
    "$SLIM" -n --preset foreign --arch amd64 "$d/t" > /dev/null 2> "$d/err"
    [ ! -s "$d/err" ] || { bad $name "a note with --arch: $(cat "$d/err")"; return; }
    ok $name
}

t_mounted_usr_local; t_unreachable; t_root; t_exclude; t_dedup_min_size; t_bytecode; t_foreign_note
finish
