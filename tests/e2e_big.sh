#!/usr/bin/env bash
# End-to-end test of memory at ML scale (#22 "stripping without holding the file"): a
# library of 160 MB (a generated C file with a 150 MB read-only array, built with -g, its
# zeros written out) is stripped in place, in a dry run and as a layer, and slim's peak
# resident memory stays far below the file's size: what it holds per file is a bounded
# buffer, not the file.  The stripped library keeps every loaded byte and loses .symtab.
#   tests/e2e_big.sh SLIM
. "$(dirname "$0")/lib.sh"
lib_init big
SLIM=$(readlink -f "$1")
LIMIT=${BIG_RSS_LIMIT_MIB:-100}   # the file is 150 MiB; slim held two copies of it before

build() {
    need cc || return 1
    printf 'const unsigned char big[150 << 20] = { 1 };\nint f(int i) { return big[i]; }\n' > "$T/big.c"
    cc -g -shared -fPIC -o "$T/sparse.so" "$T/big.c" || return 1
    # ld may leave the zeros as holes: a file far larger than its blocks is never read
    cp --sparse=never "$T/sparse.so" "$T/libbig.so" && rm -f "$T/sparse.so"
}

# Is every PT_LOAD's content of $1 (the ELF header aside) the same in $2, and has $2 no
# .symtab?
same_load() {
    "$PY" - "$1" "$2" <<'EOF'
import struct, sys
a, b = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
phoff, = struct.unpack_from('<Q', a, 32); phentsize, phnum = struct.unpack_from('<HH', a, 54)
for i in range(phnum):
    t, _, off, _, _, filesz = struct.unpack_from('<IIQQQQ', a, phoff + i * phentsize)
    lo = max(off, 64)  # the ELF header says where the new section headers are
    if t == 1 and a[lo:off + filesz] != b[lo:off + filesz]:
        sys.exit('PT_LOAD %d differs' % i)
shoff, = struct.unpack_from('<Q', b, 40); shentsize, shnum = struct.unpack_from('<HH', b, 58)
for i in range(shnum):
    if struct.unpack_from('<I', b, shoff + i * shentsize + 4)[0] == 2:
        sys.exit('.symtab left')
EOF
}

# slim ARGS... within $LIMIT MiB: "ok" or why not
bounded() {
    local r rc peak killed
    r=$(WD_ERR=$T/err wd 2048 120 "$SLIM" -q "$@")
    set -- $r; rc=$1 peak=$2 killed=$3
    [ "$killed" = - ] || { echo "killed ($killed; peak $peak MiB)"; return 1; }
    [ "$rc" = 0 ] || { echo "exit $rc: $(head -c 300 "$T/err")"; return 1; }
    [ "${peak%.*}" -le "$LIMIT" ] || { echo "peak $peak MiB, over $LIMIT MiB"; return 1; }
    PEAK=$peak
}

t_in_place() {
    local name=big_in_place d=$T/ip why
    mkdir -p "$d" && cp "$T/libbig.so" "$d/"
    bounded "$d" > "$T/why" || { bad $name "$(cat "$T/why")"; return; }
    [ "$(stat -c %s "$d/libbig.so")" -lt "$(stat -c %s "$T/libbig.so")" ] || { bad $name "not stripped"; return; }
    why=$(same_load "$T/libbig.so" "$d/libbig.so" 2>&1) || { bad $name "$why"; return; }
    ok $name "peak $PEAK MiB"
}

t_dry_run() {
    local name=big_dry_run why
    cp "$T/libbig.so" "$T/dry.so"
    bounded -n "$T/dry.so" > "$T/why" || { bad $name "$(cat "$T/why")"; return; }
    cmp -s "$T/libbig.so" "$T/dry.so" || { bad $name "the dry run changed the file"; return; }
    ok $name "peak $PEAK MiB"
}

t_layer() {
    local name=big_layer d=$T/ly why
    mkdir -p "$d/in" "$d/out" && cp "$T/libbig.so" "$d/in/"
    tar -C "$d/in" -cf "$d/in.tar" libbig.so
    bounded "$d/in.tar" -o "$d/out.tar" > "$T/why" || { bad $name "$(cat "$T/why")"; return; }
    tar -C "$d/out" -xf "$d/out.tar" || { bad $name "output unreadable"; return; }
    why=$(same_load "$T/libbig.so" "$d/out/libbig.so" 2>&1) || { bad $name "$why"; return; }
    ok $name "peak $PEAK MiB"
}

if build; then
    t_in_place; t_dry_run; t_layer
else
    skp big "cannot build the library"
fi
finish
