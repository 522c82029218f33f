#!/usr/bin/env bash
# End-to-end tests of layer mode: slim LAYER -o OUT and slim DIR -o OUT.
#   tests/e2e_layer.sh SLIM
. "$(dirname "$0")/lib.sh"
lib_init layer
SLIM=$(readlink -f "$1")
TOOLS=$LIB_DIR/tools
xtar() { tar --xattrs --xattrs-include='*' --numeric-owner -p "$@"; }

# A tree with what a layer means: owners, setuid, caps, user xattrs, a device,
# a fifo, whiteouts, an opaque dir, symlinks, a hard link to an unstripped .so.
mktree() {
    local d=$1
    mkdir -p "$d/usr/lib" "$d/usr/bin" "$d/etc/conf" "$d/dev" "$d/opt/app"
    printf 'int f(int x){return x*2;}\nstatic int s;int *g(void){return &s;}\n' > "$T/f.c"
    cc -g -O1 -fPIC -shared -o "$d/usr/lib/libf.so.1" "$T/f.c"
    ln "$d/usr/lib/libf.so.1" "$d/opt/app/libf-copy.so"          # hard link to ELF
    ln -s libf.so.1 "$d/usr/lib/libf.so"
    printf 'int main(void){return 0;}\n' > "$T/m.c"
    cc -g -o "$d/usr/bin/ping" "$T/m.c"
    chmod 4755 "$d/usr/bin/ping"
    # not as root, or without security.* xattrs here, this fails: t_roundtrip says so
    have setcap && setcap cap_net_raw+ep "$d/usr/bin/ping" 2>/dev/null
    echo data > "$d/etc/conf/app.conf"
    setfattr -n user.note -v hello "$d/etc/conf/app.conf"
    chown 1234:5678 "$d/etc/conf/app.conf"
    : > "$d/etc/.wh..wh..opq"
    : > "$d/usr/.wh.removed-file"
    mknod "$d/dev/null" c 1 3
    mkfifo "$d/dev/fifo"
    echo same > "$d/opt/app/a.txt"; echo same > "$d/opt/app/b.txt"  # dedup candidates
    # a hard link into a __pycache__ the python preset removes: it must
    # come out as the file itself
    mkdir -p "$d/opt/app/__pycache__"
    echo 'x = 1' > "$d/opt/app/mod.py"
    printf 'not really byte code\n' > "$d/opt/app/__pycache__/mod.cpython-311.pyc"
    ln "$d/opt/app/__pycache__/mod.cpython-311.pyc" "$d/opt/app/kept-link.bin"
}

# 1. Everything a layer means survives, and equals an in-place run.
t_roundtrip() {
    local name=roundtrip d=$T/rt
    mkdir -p "$d" && mktree "$d/src"
    xtar -C "$d/src" -czf "$d/in.tar.gz" .
    if ! "$SLIM" -q "$d/in.tar.gz" -o "$d/out.tar.zst"; then bad $name "slim failed"; return; fi
    mkdir "$d/a" "$d/b"
    xtar -C "$d/a" -xf "$d/out.tar.zst"
    xtar -C "$d/b" -xzf "$d/in.tar.gz"
    # in place, dedup leaves small files and etc/, var/ alone by default; a layer does not
    "$SLIM" -q --dedup-min-size 0 --dedup-paths all "$d/b" || { bad $name "in-place slim failed"; return; }
    local cmp; cmp=$(python3 "$TOOLS/treecmp.py" "$d/a" "$d/b") || { bad $name "$cmp"; return; }
    # and the things themselves
    [ "$(stat -c %a "$d/a/usr/bin/ping")" = 4755 ] || { bad $name "setuid lost"; return; }
    if ! have setcap || ! have getcap; then
        skip_part capability "setcap or getcap missing (libcap2-bin): file capabilities not checked"
    elif getcap "$d/src/usr/bin/ping" | grep -q cap_net_raw; then
        getcap "$d/a/usr/bin/ping" | grep -q cap_net_raw || { bad $name "capability lost"; return; }
    else
        skip_part capability "setcap cannot set cap_net_raw+ep under ${TMPDIR:-/tmp} (not root?): file capabilities not checked"
    fi
    [ "$(getfattr --only-values -n user.note "$d/a/etc/conf/app.conf" 2>/dev/null)" = hello ] ||
        { bad $name "user xattr lost"; return; }
    [ "$(stat -c %u:%g "$d/a/etc/conf/app.conf")" = 1234:5678 ] || { bad $name "owner lost"; return; }
    [ -c "$d/a/dev/null" ] && [ -p "$d/a/dev/fifo" ] || { bad $name "device or fifo lost"; return; }
    [ -e "$d/a/etc/.wh..wh..opq" ] && [ -e "$d/a/usr/.wh.removed-file" ] || { bad $name "whiteout lost"; return; }
    [ "$(stat -c %i "$d/a/usr/lib/libf.so.1")" = "$(stat -c %i "$d/a/opt/app/libf-copy.so")" ] ||
        { bad $name "hard link to the stripped file broken"; return; }
    readelf -S "$d/a/usr/lib/libf.so.1" | grep -q '\.symtab' && { bad $name ".so not stripped"; return; }
    [ "$(stat -c %i "$d/a/opt/app/a.txt")" = "$(stat -c %i "$d/a/opt/app/b.txt")" ] ||
        { bad $name "duplicates not linked"; return; }
    [ ! -e "$d/a/opt/app/__pycache__" ] || { bad $name "__pycache__ not removed"; return; }
    [ "$(cat "$d/a/opt/app/kept-link.bin")" = "not really byte code" ] ||
        { bad $name "the hard link into the removed __pycache__ lost its content"; return; }
    ok "$name ($cmp)"
}

# 2. A directory packed as a layer: sorted, reproducible, source untouched.
t_pack_dir() {
    local name=pack_dir d=$T/pk
    mkdir -p "$d" && mktree "$d/src"
    local before; before=$(cd "$d/src" && find . -type f -exec sha256sum {} + | sort)
    "$SLIM" -q "$d/src" -o "$d/one.tar.zst" --mtime=1700000000 || { bad $name "slim failed"; return; }
    "$SLIM" -q "$d/src" -o "$d/two.tar.zst" --mtime=1700000000 || { bad $name "slim failed"; return; }
    cmp -s "$d/one.tar.zst" "$d/two.tar.zst" || { bad $name "two runs differ"; return; }
    [ "$before" = "$(cd "$d/src" && find . -type f -exec sha256sum {} + | sort)" ] ||
        { bad $name "the source tree changed"; return; }
    local names; names=$(tar -tf "$d/one.tar.zst")
    [ "$names" = "$(printf '%s\n' "$names" | LC_ALL=C sort)" ] || { bad $name "entries not sorted"; return; }
    tar -tvf "$d/one.tar.zst" --full-time | grep -q ' 2023-11-14 ' || { bad $name "mtime not clamped"; return; }
    mkdir "$d/x" && xtar -C "$d/x" -xf "$d/one.tar.zst"
    readelf -S "$d/x/usr/lib/libf.so.1" | grep -q '\.symtab' && { bad $name ".so not stripped"; return; }
    ok $name
}

# 3. Compression from the name or --compress; gzip without name or time.
t_compress() {
    local name=compress d=$T/cz
    mkdir -p "$d" && mktree "$d/src"
    "$SLIM" -q "$d/src" -o "$d/o.tar.gz" || { bad $name "gzip failed"; return; }
    "$SLIM" -q "$d/src" -o "$d/o.tar" || { bad $name "plain failed"; return; }
    "$SLIM" -q "$d/src" -o "$d/o.bin" --compress zstd --level 19 || { bad $name "zstd failed"; return; }
    [ "$(head -c2 "$d/o.tar.gz" | od -An -tx1 | tr -d ' ')" = 1f8b ] || { bad $name "not gzip"; return; }
    # gzip header: flags 0 (no name), mtime 0
    [ "$(od -An -tx1 -j3 -N5 "$d/o.tar.gz" | tr -d ' ')" = 0000000000 ] ||
        { bad $name "gzip header carries a name or time"; return; }
    [ "$(head -c4 "$d/o.bin" | od -An -tx1 | tr -d ' ')" = 28b52ffd ] || { bad $name "not zstd"; return; }
    tar -tf "$d/o.tar" > /dev/null || { bad $name "plain tar unreadable"; return; }
    ok $name
}

# 4. Dry run writes nothing and reports what a real run saves.
t_dry_run() {
    local name=dry_run d=$T/dr
    mkdir -p "$d" && mktree "$d/src"
    xtar -C "$d/src" -cf "$d/in.tar" .
    local a b
    a=$("$SLIM" --json -n "$d/in.tar" -o "$d/out.tar" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["bytes_saved"])')
    [ -e "$d/out.tar" ] && { bad $name "dry run wrote the output"; return; }
    b=$("$SLIM" --json "$d/in.tar" -o "$d/out.tar" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["bytes_saved"])')
    [ "$a" = "$b" ] && [ "$a" -gt 0 ] || { bad $name "dry run said $a, real run saved $b"; return; }
    ok $name
}

# 5. Hostile layers: a clear error naming the entry, no output, exit 1.
hostile() {
    local name=$1 py=$2 want=$3 d=$T/h-$1
    mkdir -p "$d"
    python3 -c "$py" "$d/in.tar" || { bad "$name" "cannot build the fixture"; return; }
    local err; err=$("$SLIM" -q "$d/in.tar" -o "$d/out.tar.gz" 2>&1); local rc=$?
    if [ $rc -ne 1 ]; then bad "$name" "exit $rc (want 1)"; return; fi
    [ -e "$d/out.tar.gz" ] && { bad "$name" "output left behind"; return; }
    ls -A "$d" | grep -q '^\.slim-' && { bad "$name" "temporary file left behind"; return; }
    printf '%s' "$err" | grep -q -- "$want" || { bad "$name" "message lacks '$want': $err"; return; }
    printf '%s' "$err" | grep -q 'LeakSanitizer\|runtime error\|AddressSanitizer' &&
        { bad "$name" "sanitizer report: $(printf '%s' "$err" | grep -m1 'Sanitizer\|runtime error')"; return; }
    ok "$name"
}
PY_HEAD='import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
def add(name, data=b"x", **kw):
    i = tarfile.TarInfo(name); i.size = len(data)
    for k, v in kw.items(): setattr(i, k, v)
    t.addfile(i, io.BytesIO(data) if i.type == tarfile.REGTYPE else None)
'
t_hostile() {
    hostile dotdot "$PY_HEAD
add('ok.txt'); add('../evil.txt'); t.close()" "'../evil.txt'"
    hostile absolute "$PY_HEAD
add('/etc/evil'); t.close()" "'/etc/evil'"
    hostile via_symlink "$PY_HEAD
add('l', type=tarfile.SYMTYPE, linkname='/etc'); add('l/passwd'); t.close()" "symlink 'l'"
    hostile hardlink_out "$PY_HEAD
add('h', type=tarfile.LNKTYPE, linkname='../../etc/passwd'); t.close()" "'h'"
    hostile size_lies "$PY_HEAD
add('a.bin', b'y' * 5000); t.close()
import os; os.truncate(sys.argv[1], 1024 + 2000)" "a.bin"
}

# 6. Truncated compressed streams.
t_truncated() {
    local d=$T/tr
    mkdir -p "$d" && mktree "$d/src"
    tar -C "$d/src" -czf "$d/full.tar.gz" . && head -c 3000 "$d/full.tar.gz" > "$d/cut.tar.gz"
    tar -C "$d/src" -c . | zstd -q -o "$d/full.tar.zst" 2>/dev/null &&
        head -c 3000 "$d/full.tar.zst" > "$d/cut.tar.zst"
    for f in cut.tar.gz cut.tar.zst; do
        if [ ! -f "$d/$f" ]; then
            case $f in *.zst) have zstd || { skp "truncated_$f" "zstd missing"; continue; } ;; esac
            bad "truncated_$f" "cannot make $f"; continue
        fi
        "$SLIM" -q "$d/$f" -o "$d/$f.out" 2>"$d/err"; local rc=$?
        if [ $rc -eq 1 ] && [ ! -e "$d/$f.out" ] && grep -q "$f" "$d/err"; then ok "truncated_$f"
        else bad "truncated_$f" "exit $rc, output $(ls "$d/$f.out" 2>&1), $(cat "$d/err")"; fi
    done
}

# 7. Later duplicates of a path win; nothing is written twice.
t_duplicates() {
    local name=duplicate_paths d=$T/dp
    mkdir -p "$d"
    python3 -c "$PY_HEAD
add('a.txt', b'old'); add('a.txt', b'new!'); t.close()" "$d/in.tar"
    "$SLIM" -q "$d/in.tar" -o "$d/out.tar" || { bad $name "slim failed"; return; }
    [ "$(tar -tf "$d/out.tar" | grep -c '^a.txt$')" = 1 ] || { bad $name "path written twice"; return; }
    [ "$(tar -xOf "$d/out.tar" a.txt)" = new! ] || { bad $name "the later entry did not win"; return; }
    ok $name
}

# 8. A layer given without -o is refused with a hint.
t_needs_output() {
    local name=needs_output d=$T/no
    mkdir -p "$d/s" && echo x > "$d/s/f" && tar -C "$d/s" -cf "$d/in.tar" .
    local err; err=$("$SLIM" -q "$d/in.tar" 2>&1); local rc=$?
    [ $rc -eq 1 ] && printf '%s' "$err" | grep -q -- '-o' && ok $name || bad $name "rc $rc: $err"
}

# runs of zeros are spooled as holes and written back as zeros: files of zeros, data with
# zero runs between (not chunk-aligned), a copy of it (linked), and a GNU sparse entry
t_zero_runs() {
    local name=zero_runs d=$T/zr f
    mkdir -p "$d/s" "$d/x"
    head -c 5000000 /dev/zero > "$d/s/zeros.bin"
    { head -c 3000000 /dev/urandom; head -c 4000000 /dev/zero; head -c 12345 /dev/urandom
      head -c 2000000 /dev/zero; } > "$d/s/mixed.bin"
    cp "$d/s/mixed.bin" "$d/s/mixed2.bin"
    truncate -s 3000000 "$d/s/hole.bin" && printf tail >> "$d/s/hole.bin"
    tar --sparse --format=pax -C "$d/s" -cf "$d/in.tar" . || { bad $name "tar failed"; return; }
    "$SLIM" -q "$d/in.tar" -o "$d/out.tar.zst" 2> "$d/err" || { bad $name "slim: $(head -c 300 "$d/err")"; return; }
    tar -C "$d/x" -xf "$d/out.tar.zst" || { bad $name "the output does not extract"; return; }
    for f in zeros.bin mixed.bin mixed2.bin hole.bin; do
        cmp -s "$d/s/$f" "$d/x/$f" || { bad $name "$f differs after the round trip"; return; }
    done
    [ "$(stat -c %i "$d/x/mixed.bin")" = "$(stat -c %i "$d/x/mixed2.bin")" ] || { bad $name "the copy was not linked"; return; }
    ok $name
}

# -o is checked before any work: '' / an existing directory / the input itself / a missing
# directory are refused with exit 2 and a message naming OUT; no report, no temporary file,
# the input unchanged (it used to be replaced by its slimmed copy when -o named it)
t_output_checked() {
    local name=output_checked d=$T/oc o rc before
    mkdir -p "$d/src/sub" && mktree "$d/src/sub"
    tar -C "$d/src" -cf "$d/in.tar" . || { bad $name "tar failed"; return; }
    before=$(sha256sum < "$d/in.tar")$(stat -c %i "$d/in.tar")
    ln -s in.tar "$d/link-to-in.tar"
    for o in "" / "$d" "$d/src" "$d/in.tar" "$d/link-to-in.tar" "$d/nodir/out.tar" "$d/src/."; do
        (cd "$d" && "$SLIM" "$d/in.tar" -o "$o" > "$d/out" 2> "$d/err"); rc=$?
        if [ $rc != 2 ]; then bad $name "-o '$o': exit $rc (want 2)"; return; fi
        if [ -s "$d/out" ]; then bad $name "-o '$o': a report was printed: work was done"; return; fi
        grep -q "^slim: -o " "$d/err" || { bad $name "-o '$o': no message about -o: $(head -c 200 "$d/err")"; return; }
    done
    [ "$(sha256sum < "$d/in.tar")$(stat -c %i "$d/in.tar")" = "$before" ] || { bad $name "the input changed"; return; }
    [ -z "$(find "$d" -name '.slim-*')" ] || { bad $name "temporary file left"; return; }
    # a tree as input, -o inside it under a new name: allowed
    "$SLIM" -q "$d/src" -o "$d/src/out.tar" 2> "$d/err" || { bad $name "a new name inside the input tree refused: $(head -c 200 "$d/err")"; return; }
    ok $name
}

# ---- #19 (layers and wheels) ------------------------------------------------------------

# a GNU sparse PAX 1.0 entry from a file's non-zero 512-byte blocks (python, no file system
# holes needed): sparse_tar OUT.tar NAME FILE
sparse_tar() {
    python3 - "$@" <<'PY'
import io, sys, tarfile
out, name, src = sys.argv[1:4]
data = open(src, 'rb').read()
regions, k = [], 0
while k < len(data):
    if any(data[k:k + 512]):
        s = k
        while k < len(data) and any(data[k:k + 512]):
            k += 512
        regions.append((s, data[s:min(k, len(data))]))
    else:
        k += 512
mp = (f'{len(regions) + 1}\n' + ''.join(f'{o}\n{len(b)}\n' for o, b in regions) + f'{len(data)}\n0\n').encode()
body = mp + bytes(-len(mp) % 512) + b''.join(b for _, b in regions)
t = tarfile.open(out, 'w', format=tarfile.PAX_FORMAT)
i = tarfile.TarInfo('GNUSparseFile.0/' + name); i.size = len(body); i.mode = 0o755
i.pax_headers = {'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.name': name,
                 'GNU.sparse.realsize': str(len(data))}
t.addfile(i, io.BytesIO(body)); t.close()
PY
}

# item 11: a sparse file of 100 MB with two small data regions (tar --sparse) stays sparse:
# the output tar is small, GNU tar lists and extracts it byte for byte (and Python's tarfile),
# and slim's output goes through slim again the same
t_sparse_roundtrip() {
    local name=sparse_roundtrip d=$T/spr
    mkdir -p "$d/s" "$d/x" "$d/y" "$d/z"
    python3 -c 'import sys
f = open(sys.argv[1], "wb"); f.truncate(100 << 20)
f.seek(10 << 20); f.write(b"A" * 5000); f.seek(70 << 20 | 123); f.write(b"B" * 7000)' "$d/s/big.bin"
    tar --sparse --format=pax -C "$d/s" -cf "$d/in.tar" big.bin || { skp $name "tar --sparse failed"; return; }
    "$SLIM" -q "$d/in.tar" -o "$d/out.tar" 2> "$d/err" || { bad $name "slim: $(head -c 300 "$d/err")"; return; }
    [ "$(stat -c %s "$d/out.tar")" -lt 1048576 ] || { bad $name "output tar of $(stat -c %s "$d/out.tar") bytes: not sparse"; return; }
    tar -tvf "$d/out.tar" | grep -q ' 104857600 .* big.bin$' || { bad $name "tar -tvf: $(tar -tvf "$d/out.tar")"; return; }
    tar --sparse -C "$d/x" -xf "$d/out.tar" && cmp -s "$d/s/big.bin" "$d/x/big.bin" ||
        { bad $name "GNU tar does not extract it byte for byte"; return; }
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$d/out.tar" "$d/y" &&
        cmp -s "$d/s/big.bin" "$d/y/big.bin" || { bad $name "Python's tarfile does not extract it byte for byte"; return; }
    "$SLIM" -q "$d/out.tar" -o "$d/again.tar" 2> "$d/err" || { bad $name "slim on its output: $(head -c 300 "$d/err")"; return; }
    tar -C "$d/z" -xf "$d/again.tar" && cmp -s "$d/s/big.bin" "$d/z/big.bin" &&
        [ "$(stat -c %s "$d/again.tar")" -lt 1048576 ] || { bad $name "second round differs or is not sparse"; return; }
    ok "$name (output $(stat -c %s "$d/out.tar") bytes)"
}

# item 11: a sparse ELF entry is stripped; the output's sparse map is that of the stripped
# bytes (the input's map described the unstripped ones: what lay past it was lost), and it
# stays sparse
t_sparse_elf() {
    local name=sparse_elf d=$T/spe
    mkdir -p "$d/inplace" "$d/x"
    printf 'const char big[8 << 20] = {0};\nint f(int i) { return big[i] + i; }\n' > "$d/z.c"
    cc -g -O1 -fPIC -shared -o "$d/libz.so" "$d/z.c" || { bad $name "cc failed"; return; }
    sparse_tar "$d/in.tar" usr/lib/libz.so "$d/libz.so"
    cp "$d/libz.so" "$d/inplace/" && "$SLIM" -q "$d/inplace" || { bad $name "in-place slim failed"; return; }
    "$SLIM" -q "$d/in.tar" -o "$d/out.tar" 2> "$d/err" || { bad $name "slim: $(head -c 300 "$d/err")"; return; }
    tar -C "$d/x" -xf "$d/out.tar" || { bad $name "the output does not extract"; return; }
    cmp -s "$d/inplace/libz.so" "$d/x/usr/lib/libz.so" ||
        { bad $name "extracted .so differs from an in-place strip: $(cmp "$d/inplace/libz.so" "$d/x/usr/lib/libz.so" 2>&1)"; return; }
    [ "$(stat -c %s "$d/out.tar")" -lt 1048576 ] || { bad $name "output tar of $(stat -c %s "$d/out.tar") bytes: not sparse"; return; }
    ok $name
}

# item 13: an entry removed with its directory (d replaced by a file or a symlink) is not in
# the layer's final state: dedup does not link e to it, and a hard link of the layer's own
# that was written before the replacement becomes the file; GNU tar, replacing directories
# as a runtime does (--recursive-unlink), extracts every name with its content
t_replaced_dir() {
    local name=replaced_dir d=$T/rd kind
    for kind in file symlink; do
        mkdir -p "$d/$kind"
        python3 -c "$PY_HEAD
X = b'the same bytes X\n' * 20
add('d', type=tarfile.DIRTYPE, mode=0o755); add('d/f', X, mode=0o644)
add('d/g', b'linked before d goes\n', mode=0o644); add('h', type=tarfile.LNKTYPE, linkname='d/g')
if '$kind' == 'file': add('d', b'now a file\n', mode=0o644)
else: add('d', type=tarfile.SYMTYPE, linkname='elsewhere')
add('e', X, mode=0o644); t.close()" "$d/$kind/in.tar"
        "$SLIM" -q "$d/$kind/in.tar" -o "$d/$kind/out.tar" 2> "$d/err" ||
            { bad $name "$kind: slim: $(head -c 300 "$d/err")"; return; }
        mkdir "$d/$kind/x"
        tar --recursive-unlink -C "$d/$kind/x" -xf "$d/$kind/out.tar" 2> "$d/err" ||
            { bad $name "$kind: GNU tar: $(head -c 300 "$d/err")"; return; }
        [ "$(cat "$d/$kind/x/e" 2>/dev/null)" = "$(python3 -c 'print("the same bytes X\n" * 20, end="")')" ] ||
            { bad $name "$kind: e is missing or differs ($(tar -tvf "$d/$kind/out.tar" | tr '\n' ' '))"; return; }
        [ "$(cat "$d/$kind/x/h" 2>/dev/null)" = "linked before d goes" ] || { bad $name "$kind: h lost its content"; return; }
        tar -tf "$d/$kind/out.tar" | grep -q '^d/' && { bad $name "$kind: entries under the replaced d written"; return; }
    done
    ok $name
}

# item 13: a hard link written after its target was removed with its directory is refused
t_hostile_replaced() {
    hostile hardlink_after_replace "$PY_HEAD
add('d', type=tarfile.DIRTYPE); add('d/f'); add('d', b'a file now'); add('h', type=tarfile.LNKTYPE, linkname='d/f')
t.close()" "'h': hard link to 'd/f'"
    # item 17: what goes through a prefix whose latest entry is a file fails to extract
    hostile through_file "$PY_HEAD
add('a', b'a file'); add('a/f'); t.close()" \
        "'a/f' goes through 'a', which is not a directory"
}

# item 17: whiteouts of the directory itself or its parent, or that name no entry, and owner
# ids no system has (a negative gid made libarchive's writer fail and leak) are refused,
# naming the entry
t_hostile_names() {
    hostile whiteout_dot "$PY_HEAD
add('a', type=tarfile.DIRTYPE); add('a/.wh..', b''); t.close()" "'a/.wh..': a whiteout of the directory itself"
    hostile whiteout_dotdot "$PY_HEAD
add('a', type=tarfile.DIRTYPE); add('a/.wh...', b''); t.close()" "'a/.wh...': a whiteout of the directory itself or its parent"
    hostile whiteout_empty "$PY_HEAD
add('a/.wh.', b''); t.close()" "'a/.wh.': a whiteout of the directory"
    hostile whiteout_meta "$PY_HEAD
add('a/.wh..wh..opqx', b''); t.close()" "'a/.wh..wh..opqx': a whiteout that names no entry"
    hostile pax_gid_negative "import io, sys, tarfile
t = tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT)
i = tarfile.TarInfo('neg.txt'); i.size = 3; i.pax_headers = {'gid': '-5'}
t.addfile(i, io.BytesIO(b'abc')); t.close()" "'neg.txt': gid -5 out of range"
    hostile pax_uid_huge "import io, sys, tarfile
t = tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT)
i = tarfile.TarInfo('big.txt'); i.size = 3; i.pax_headers = {'uid': str(1 << 40)}
t.addfile(i, io.BytesIO(b'abc')); t.close()" "'big.txt': uid 1099511627776 out of range"
}

# item 17: a socket in a directory packed as a layer is left out with a reason (GNU tar:
# "socket ignored"), counted; the rest is written
t_socket() {
    local name=socket d=$T/so
    mkdir -p "$d/t/sub"
    echo data > "$d/t/sub/f"
    python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$d/t/sub/app.sock" ||
        { skp $name "cannot bind a unix socket"; return; }
    "$SLIM" --json "$d/t" -o "$d/out.tar" > "$d/r.json" 2> "$d/err" || { bad $name "exit $?: $(head -c 300 "$d/err")"; return; }
    [ "$(tar -xOf "$d/out.tar" sub/f)" = data ] || { bad $name "sub/f not written"; return; }
    tar -tf "$d/out.tar" | grep -q sock && { bad $name "the socket is in the output"; return; }
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if d["skipped"]["socket"]["files"] == 1 else 1)' "$d/r.json" ||
        { bad $name "the report does not count one socket skipped"; return; }
    ok $name
}

# item 9: a dry run reports what the real run writes, and the report describes the output, for
# a tar layer of each compression (a path replaced later in it: the output holds less than the
# input) and for a directory
t_dry_equals_real() {
    local name=dry_equals_real d=$T/der c why
    mkdir -p "$d" && mktree "$d/src"
    xtar -C "$d/src" -cf "$d/in.tar" .
    python3 -c "$PY_HEAD
add('./opt/app/a.txt', b'replaced: this is not written\n' * 40); add('./opt/app/a.txt', b'same\n')
t.close()" "$d/more.tar" && tar -Af "$d/in.tar" "$d/more.tar" || { bad $name "cannot build the layer"; return; }
    gzip -c "$d/in.tar" > "$d/in.tar.gz"
    command -v zstd > /dev/null && zstd -q -c "$d/in.tar" > "$d/in.tar.zst"
    command -v xz > /dev/null && xz -c "$d/in.tar" > "$d/in.tar.xz"
    for c in in.tar in.tar.gz in.tar.zst in.tar.xz src; do
        [ -e "$d/$c" ] || { skp "${name}_$c" "no compressor"; continue; }
        # the same JSON but for dry_run and the memory peak; the report's bytes after are those
        # the output holds (tests/tools/dryreal.py)
        why=$(python3 "$TOOLS/dryreal.py" "$SLIM" "$d/$c" "$d/out-$c.tar.zst" 2>&1) || { bad "${name}_$c" "$why"; continue; }
        ok "${name}_$c"
    done
}

# item 17: a symlink replaced by a directory is a directory: a/f goes through no symlink;
# one that replaces a directory still refuses what goes through it
t_symlink_replaced() {
    local name=symlink_replaced d=$T/sr
    mkdir -p "$d"
    python3 -c "$PY_HEAD
add('a', type=tarfile.SYMTYPE, linkname='/etc'); add('a', type=tarfile.DIRTYPE, mode=0o755)
add('a/f', b'inside\n'); t.close()" "$d/in.tar"
    "$SLIM" -q "$d/in.tar" -o "$d/out.tar" 2> "$d/err" || { bad $name "refused: $(head -c 300 "$d/err")"; return; }
    [ "$(tar -tvf "$d/out.tar" | cut -c1)" = "$(printf 'd\n-')" ] && [ "$(tar -xOf "$d/out.tar" a/f)" = inside ] ||
        { bad $name "output: $(tar -tvf "$d/out.tar" | tr '\n' ' ')"; return; }
    python3 -c "$PY_HEAD
add('a', type=tarfile.DIRTYPE); add('a', type=tarfile.SYMTYPE, linkname='/etc'); add('a/passwd')
t.close()" "$d/in2.tar"
    "$SLIM" -q "$d/in2.tar" -o "$d/out2.tar" 2> "$d/err" && { bad $name "a/passwd through the symlink accepted"; return; }
    grep -q "'a/passwd' goes through the symlink 'a'" "$d/err" || { bad $name "$(head -c 300 "$d/err")"; return; }
    ok $name
}

# a tree with a sparse file far larger than its blocks (2 TiB of holes) packed as a layer:
# refused by the one bound (bound.h), naming the file, with nothing left; never read
t_sparse_pack() {
    local name=sparse_pack d=$T/spp rc
    mkdir -p "$d/t"
    echo data > "$d/t/f"
    truncate -s 2T "$d/t/holes.bin" 2>/dev/null || { skp $name "this file system takes no 2 TiB sparse file"; return; }
    timeout 60 "$SLIM" -q "$d/t" -o "$d/out.tar" 2> "$d/err"; rc=$?
    [ $rc = 1 ] || { bad $name "exit $rc (want 1): $(head -c 300 "$d/err")"; return; }
    grep -q "holes.bin.*--max-ratio" "$d/err" || { bad $name "the error does not name the file and the bound: $(head -c 300 "$d/err")"; return; }
    [ -z "$(ls -A "$d" | grep -v '^t$\|^err$')" ] || { bad $name "left behind: $(ls -A "$d")"; return; }
    ok $name
}

# a layer entry whose name is 400 KB ('a/' 200,000 times; slim once crashed on it after 13 s):
# refused at once (no file system takes a name past PATH_MAX, and every check of its
# directories costs its length again)
t_long_name() {
    local name=long_name d=$T/ln rc
    mkdir -p "$d"
    python3 -c 'import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
i = tarfile.TarInfo("a/" * 200000 + "f"); i.size = 1; t.addfile(i, io.BytesIO(b"x")); t.close()' "$d/in.tar"
    timeout 60 "$SLIM" -q "$d/in.tar" -o "$d/out.tar" 2> "$d/err"; rc=$?
    [ $rc = 1 ] || { bad $name "exit $rc (want 1): $(head -c 300 "$d/err")"; return; }
    grep -q "PATH_MAX" "$d/err" || { bad $name "$(head -c 300 "$d/err")"; return; }
    [ ! -e "$d/out.tar" ] || { bad $name "an output was left"; return; }
    ok $name
}

# 400 entries, each 2,000 directories deep, none of whose parents the layer holds: the rules
# tree adds the missing directories, each named by its whole path (4 MB of names an entry, 1.6
# GB in all, from a 2 MB tar): refused once the names pass their bound, within 512 MiB
t_deep_missing_parents() {
    local name=deep_missing_parents d=$T/dmp r rc peak killed
    mkdir -p "$d"
    python3 -c 'import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
for k in range(400):
    i = tarfile.TarInfo("x%d/" % k + "a/" * 2000 + "f"); i.size = 1; t.addfile(i, io.BytesIO(b"x"))
t.close()' "$d/in.tar"
    r=$(WD_ERR=$d/err wd 512 60 "$SLIM" -q "$d/in.tar" -o "$d/out.tar")
    set -- $r; rc=$1 peak=$2 killed=$3
    [ "$killed" = - ] || { bad $name "killed ($killed; peak $peak MiB)"; return; }
    [ "$rc" = 1 ] || { bad $name "exit $rc (want 1): $(head -c 300 "$d/err")"; return; }
    grep -q "leaves out" "$d/err" || { bad $name "$(head -c 300 "$d/err")"; return; }
    [ ! -e "$d/out.tar" ] || { bad $name "an output was left"; return; }
    ok $name "peak $peak MiB"
}

t_roundtrip; t_pack_dir; t_compress; t_dry_run; t_hostile; t_truncated; t_duplicates; t_needs_output
t_zero_runs
t_output_checked
t_sparse_roundtrip; t_sparse_elf; t_replaced_dir; t_hostile_replaced; t_symlink_replaced
t_hostile_names; t_socket; t_dry_equals_real; t_sparse_pack; t_long_name; t_deep_missing_parents
finish
