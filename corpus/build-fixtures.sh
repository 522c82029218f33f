#!/usr/bin/env bash
# build-fixtures.sh OUTDIR - build the ELF fixtures for tests/e2e.sh from corpus/src.
#
# Every fixture is built from source (or from another fixture) into OUTDIR. A fixture is
# rebuilt only when it is missing or older than its inputs or this script, so a second
# run is fast. When a tool is missing, the fixtures that need it are skipped with a
# message, listed in OUTDIR/SKIPPED ("NAME: why") for e2e.sh, and the script still
# succeeds. Any other failure is fatal.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$HERE/src
SELF=$HERE/build-fixtures.sh
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
SKIPPED=$OUT/SKIPPED
: >"$SKIPPED.new"
nbuilt=0

have() { command -v "$1" >/dev/null 2>&1; }

# First of the given command names that exists, or nothing.
first_tool() {
	local t
	for t in "$@"; do
		if have "$t"; then
			echo "$t"
			return 0
		fi
	done
	return 0
}

skip() { # NAME WHY
	echo "build-fixtures: skipping $1: $2"
	echo "$1: $2" >>"$SKIPPED.new"
	rm -f "$OUT/$1"
}

# need OUT INPUT...: true when OUT must be (re)built.
need() {
	local out=$OUT/$1 dep
	shift
	[ -e "$out" ] || return 0
	[ "$SELF" -nt "$out" ] && return 0
	for dep in "$@"; do
		[ "$dep" -nt "$out" ] && return 0
	done
	return 1
}

# Build into a temporary name, then rename, so an interrupted build leaves no half file.
# mk NAME CMD...: CMD gets the temporary output path as $T.
mk() {
	local name=$1
	shift
	local tmp=$OUT/.tmp.$name
	rm -rf "$tmp"
	T=$tmp "$@"
	mv -f "$tmp" "$OUT/$name"
	nbuilt=$((nbuilt + 1))
}

LLVM_OBJCOPY=$(first_tool llvm-objcopy llvm-objcopy-14 llvm-objcopy-15 llvm-objcopy-16 llvm-objcopy-13)
PYTHON=$(first_tool python3)

# ---- host C fixtures (gcc) --------------------------------------------------------------
CFLAGS_LIB="-g -O1 -fPIC -shared"

b_libt() { gcc $CFLAGS_LIB -o "$T" "$SRC/libt.c"; }
b_libt_gz() { gcc $CFLAGS_LIB -gz -o "$T" "$SRC/libt.c"; }
b_prog_pie() { gcc -g -O1 -fPIE -pie -o "$T" "$SRC/prog.c"; }
b_prog_nopie() { gcc -g -O1 -fno-pie -no-pie -o "$T" "$SRC/prog.c"; }
b_prog_emit() { gcc -g -O1 -o "$T" "$SRC/prog.c" -Wl,--emit-relocs; }
b_loader() { gcc -O1 -o "$T" "$SRC/loader.c" -ldl; }
b_big() { gcc $CFLAGS_LIB -o "$T" "$SRC/big.c"; }

# Case 3: every kind of non-alloc section that --strip-unneeded keeps.
b_libx() {
	local d=$OUT/.tmp.libx.d
	rm -rf "$d" && mkdir -p "$d"
	gcc $CFLAGS_LIB -frecord-gcc-switches -o "$d/libx.so" "$SRC/libx.c"
	printf 'separate debug info lives elsewhere\n' >"$d/dbg.bin"
	printf '\xfd7zXZ\0\0fake-minidebuginfo-payload\0' >"$d/mdi.xz"
	printf '/usr/lib/debug/.dwz/x.debug\0\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14' >"$d/altlink"
	printf '\x08\0\0\0\x10\0\0\0\x00\x01\0\0GA$\x003a1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0' >"$d/attrs"
	printf 'use of x is deprecated\0' >"$d/warn"
	printf 'my own info\n' >"$d/myinfo"
	(cd "$d" && objcopy --add-gnu-debuglink=dbg.bin \
		--add-section .gnu_debugdata=mdi.xz \
		--add-section .gnu_debugaltlink=altlink \
		--add-section .gnu.build.attributes=attrs \
		--add-section .gnu.warning.x=warn \
		--add-section .myinfo=myinfo --set-section-flags .myinfo=readonly \
		libx.so "$T")
	rm -rf "$d"
}

# Case 4: the debug-name rule. Every name is added as a non-alloc section.
DEBUG_NAMES=".debug_foo .debugx .zdebug_x .stab .stabstr .line .gdb_index .gnu.debuglto_.debug_info .gnu.linkonce.wi.x .debug_sup"
KEPT_NAMES=".comment2 .llvm_addrsig"
b_dbgnames() {
	local d=$OUT/.tmp.dbgnames.d n args=()
	rm -rf "$d" && mkdir -p "$d"
	for n in $DEBUG_NAMES $KEPT_NAMES; do
		printf 'contents of %s\n' "$n" >"$d/$n.bin"
		args+=(--add-section "$n=$d/$n.bin")
	done
	objcopy "${args[@]}" "$OUT/libt.so" "$T"
	rm -rf "$d"
}

# R2: a kept non-alloc section whose sh_link names .symtab or .strtab.
b_linked() { # TARGET-SECTION
	printf 'metadata that points at a symbol table\n' >"$T.bin"
	objcopy --add-section .mymeta="$T.bin" "$OUT/libt.so" "$T"
	rm -f "$T.bin"
	"$PYTHON" - "$T" "$1" <<'PY'
import struct, sys
path, target = sys.argv[1], sys.argv[2].encode()
b = bytearray(open(path, 'rb').read())
(shoff,) = struct.unpack_from('<Q', b, 0x28)
(shentsize, shnum, shstrndx) = struct.unpack_from('<HHH', b, 0x3a)
stroff = struct.unpack_from('<Q', b, shoff + shstrndx * shentsize + 0x18)[0]
names = {}
for i in range(shnum):
    n = struct.unpack_from('<I', b, shoff + i * shentsize)[0]
    names[bytes(b[stroff + n:b.index(b'\0', stroff + n)])] = i
struct.pack_into('<I', b, shoff + names[b'.mymeta'] * shentsize + 0x28, names[target])
open(path, 'wb').write(b)
PY
}

# Case 7: markers in a gap inside a segment (no section covers it) and between segments.
b_gap() {
	cp "$OUT/libt.so" "$T"
	"$PYTHON" - "$T" "$T.markers" <<'PY'
import struct, sys
path, mpath = sys.argv[1], sys.argv[2]
b = bytearray(open(path, 'rb').read())
assert b[:4] == b'\x7fELF' and b[4] == 2 and b[5] == 1, 'needs ELF64 LE'
(phoff, shoff) = struct.unpack_from('<QQ', b, 0x20)
(phentsize, phnum, shentsize, shnum) = struct.unpack_from('<HHHH', b, 0x36)
ph = [struct.unpack_from('<IIQQQQQQ', b, phoff + i * phentsize) for i in range(phnum)]
sh = [struct.unpack_from('<IIQQQQIIQQ', b, shoff + i * shentsize) for i in range(shnum)]
cover = sorted((s[4], s[4] + s[5]) for s in sh if s[1] != 8 and s[5] and s[2] & 2)
loads = [p for p in ph if p[0] == 1]
def covered(o):
    return any(a <= o < e for a, e in cover)
markers = []
# 1) a gap of at least 4 bytes inside an executable PT_LOAD
for p in loads:
    if not p[1] & 1:
        continue
    o, end = p[2], p[2] + p[5]
    while o < end and not markers:
        if not covered(o):
            g = o
            while g < end and not covered(g):
                g += 1
            if g - o >= 4:
                markers.append((o, b'INSEG!!'[:min(7, g - o)]))
            o = g
        o += 1
assert markers, 'no in-segment gap found'
# 2) padding between two PT_LOADs (inside [0,E), outside every segment)
loads.sort(key=lambda p: p[2])
for p, q in zip(loads, loads[1:]):
    s, e = p[2] + p[5], q[2]
    if e - s >= 16 and not any(x[2] <= s < x[2] + x[5] for x in ph):
        markers.append((s + 8, b'BETWEEN'))
        break
for o, m in markers:
    b[o:o + len(m)] = m
open(path, 'wb').write(b)
with open(mpath, 'w') as f:
    for o, m in markers:
        f.write('%d %s\n' % (o, m.decode()))
PY
}

# Case 10: patchelf adds a PT_LOAD after .symtab/.debug_*.
b_patched() {
	cp "$OUT/libt.so" "$T"
	patchelf --set-rpath "/opt/a/rather/long/rpath/that/does/not/fit/in/the/old/dynstr/lib:/opt/another/one/lib64" \
		--add-needed libm.so.6 "$T"
}

# Case 30: ld scripts from the system.
b_ldscript() { # SYSTEM-FILE
	head -c 4 "$1" | grep -q $'\x7fELF' && return 1
	cp "$1" "$T"
}

# Case 31: an ELF with a module signature after it.
b_trail() {
	cp "$OUT/libt.so" "$T"
	printf '\x30\x82\x01\x00fake-pkcs7-signature-bytes\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0\x26' >>"$T"
	printf '~Module signature appended~\n' >>"$T"
}

# Case 32: a separate debug file.
b_debugfile() { objcopy --only-keep-debug "$OUT/libt.so" "$T"; }

# Case 33: e_shoff = 0.
b_noshdr() { "$LLVM_OBJCOPY" --strip-sections "$OUT/libt.so" "$T"; }

# Case 34: a truncated ELF, and one whose .comment sh_offset points past EOF.
b_trunc() {
	local n
	n=$(stat -c %s "$OUT/libt.so")
	head -c $((n / 2)) "$OUT/libt.so" >"$T"
}
b_corrupt() {
	cp "$OUT/libt.so" "$T"
	"$PYTHON" - "$T" <<'PY'
import struct, sys
path = sys.argv[1]
b = bytearray(open(path, 'rb').read())
(shoff,) = struct.unpack_from('<Q', b, 0x28)
(shentsize, shnum, shstrndx) = struct.unpack_from('<HHH', b, 0x3a)
def shdr(i):
    return struct.unpack_from('<IIQQQQIIQQ', b, shoff + i * shentsize)
stroff = shdr(shstrndx)[4]
for i in range(shnum):
    s = shdr(i)
    name = b[stroff + s[0]:b.index(b'\0', stroff + s[0])]
    if name == b'.comment':
        struct.pack_into('<Q', b, shoff + i * shentsize + 0x18, len(b) + 4096)
        break
else:
    raise SystemExit('no .comment')
open(path, 'wb').write(b)
PY
}

# Case 29 / cross-arch: clang + ld.lld.
b_cross() { # TARGET
	clang --target="$1" -fuse-ld=lld -nostdlib -shared -fPIC -g -O1 -o "$T" "$SRC/cross.c"
}

b_go() {
	(cd "$SRC" && GOCACHE=$OUT/.gocache GOFLAGS=-buildvcs=false CGO_ENABLED=0 \
		go build -o "$T" hello.go)
}

# ---- build ------------------------------------------------------------------------------
if ! have gcc; then
	echo "build-fixtures: gcc is required" >&2
	exit 1
fi

need libt.so "$SRC/libt.c" && mk libt.so b_libt
need libt-gz.so "$SRC/libt.c" && mk libt-gz.so b_libt_gz
need prog-pie "$SRC/prog.c" && mk prog-pie b_prog_pie
need prog-nopie "$SRC/prog.c" && mk prog-nopie b_prog_nopie
need prog-emit "$SRC/prog.c" && mk prog-emit b_prog_emit
need loader "$SRC/loader.c" && mk loader b_loader
need big.so "$SRC/big.c" && mk big.so b_big

if have objcopy; then
	need libx.so "$SRC/libx.c" && mk libx.so b_libx
	need libdbgnames.so "$OUT/libt.so" && mk libdbgnames.so b_dbgnames
	need libdbg.so "$OUT/libt.so" && mk libdbg.so b_debugfile
	need libt.so.debug "$OUT/libt.so" && mk libt.so.debug b_debugfile
else
	for f in libx.so libdbgnames.so libdbg.so libt.so.debug; do skip $f "objcopy missing"; done
fi

if [ -n "$PYTHON" ]; then
	if need libgap.so "$OUT/libt.so"; then
		mk libgap.so b_gap
		mv -f "$OUT/.tmp.libgap.so.markers" "$OUT/libgap.so.markers"
	fi
	need libcorrupt.so "$OUT/libt.so" && mk libcorrupt.so b_corrupt
	if have objcopy; then
		need liblink-symtab.so "$OUT/libt.so" && mk liblink-symtab.so b_linked .symtab
		need liblink-strtab.so "$OUT/libt.so" && mk liblink-strtab.so b_linked .strtab
	else
		skip liblink-symtab.so "objcopy missing"
		skip liblink-strtab.so "objcopy missing"
	fi
else
	skip liblink-symtab.so "python3 missing"
	skip liblink-strtab.so "python3 missing"
	skip libgap.so "python3 missing"
	skip libcorrupt.so "python3 missing"
fi

if have patchelf; then
	need libpatched.so "$OUT/libt.so" && mk libpatched.so b_patched
else
	skip libpatched.so "patchelf missing"
fi

for f in /usr/lib/x86_64-linux-gnu/libc.so /usr/lib/x86_64-linux-gnu/libm.so /usr/lib/x86_64-linux-gnu/libm.a; do
	name=ldscript-$(basename "$f")
	if [ -f "$f" ] && ! head -c 4 "$f" | grep -q $'\x7fELF'; then
		need "$name" "$f" && mk "$name" b_ldscript "$f"
	else
		skip "$name" "$f is missing or not an ld script on this system"
	fi
done

need libtrail.so "$OUT/libt.so" && mk libtrail.so b_trail
need fake.ko "$OUT/libt.so" && mk fake.ko b_trail
need libtrunc.so "$OUT/libt.so" && mk libtrunc.so b_trunc

if [ -n "$LLVM_OBJCOPY" ]; then
	need libnoshdr.so "$OUT/libt.so" && mk libnoshdr.so b_noshdr
else
	skip libnoshdr.so "llvm-objcopy missing (apt-get install llvm)"
fi

if have clang && have ld.lld; then
	for t in i686 aarch64 powerpc powerpc64; do
		need cross-$t.so "$SRC/cross.c" && mk cross-$t.so b_cross $t-linux-gnu
	done
else
	for t in i686 aarch64 powerpc powerpc64; do skip cross-$t.so "clang or ld.lld missing"; done
fi

if have go; then
	need hello-go "$SRC/hello.go" && mk hello-go b_go
else
	skip hello-go "go missing (apt-get install golang-go)"
fi

mv -f "$SKIPPED.new" "$SKIPPED"
echo "build-fixtures: $nbuilt fixture(s) built in $OUT"
