#!/usr/bin/env bash
# End-to-end tests of what slim says to a person (issue #23 items 6 and 9):
#  - progress: one line rewritten on stderr in layer mode (reading, writing) and image
#    mode (each "layer N/M"), only when stderr is a terminal (script(1) gives slim a
#    pty), never with -q, never when stderr is a file or pipe; the line is erased at
#    the end, before the report;
#  - the report's words: plural forms, what "by kind" counts, no table of zeros when
#    every PATH failed, -v in the summary's units, a tree packed or a layer that grew
#    said as such.
#   tests/e2e_tty.sh SLIM
# Needs python3 (the image); script (util-linux) for the terminal cases.
. "$(dirname "$0")/lib.sh"
lib_init tty
SLIM=$(readlink -f "$1")
# every step's line at once: the inputs here take less than the usual 250 ms
export SLIM_PROGRESS_DELAY=0

# A layer of many small files, gzip (layer.tar.gz), and an OCI layout of two such
# layers (img).
setup() {
    mkdir -p "$T/tree/pkg/__pycache__" "$T/tree/pkg/tests"
    for i in $(seq 1 200); do echo "file $i" > "$T/tree/f$i"; done
    echo 'x = 1' > "$T/tree/pkg/__init__.py"
    echo 'import os' > "$T/tree/pkg/tests/test_a.py"
    tar -czf "$T/layer.tar.gz" -C "$T/tree" .
    "$PY" - "$T/img" "$T/layer.tar.gz" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
out, layer = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(out, 'blobs', 'sha256'))
def put(b):
    h = hashlib.sha256(b).hexdigest()
    open(os.path.join(out, 'blobs', 'sha256', h), 'wb').write(b)
    return 'sha256:' + h, len(b)
def small():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT) as t:
        for i in range(50):
            d = b'more %d\n' % i
            ti = tarfile.TarInfo('etc/m%d' % i); ti.size = len(d); ti.mtime = 1700000000
            t.addfile(ti, io.BytesIO(d))
    return buf.getvalue()
tars = [gzip.decompress(open(layer, 'rb').read()), small()]
layers, diffs = [], []
for t in tars:
    z = gzip.compress(t, mtime=0)
    dg, n = put(z)
    layers.append({'mediaType': 'application/vnd.oci.image.layer.v1.tar+gzip',
                   'digest': dg, 'size': n})
    diffs.append('sha256:' + hashlib.sha256(t).hexdigest())
cfg = json.dumps({'architecture': 'amd64', 'os': 'linux', 'config': {},
                  'rootfs': {'type': 'layers', 'diff_ids': diffs}}).encode()
cd, cn = put(cfg)
man = json.dumps({'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
                  'config': {'mediaType': 'application/vnd.oci.image.config.v1+json',
                             'digest': cd, 'size': cn}, 'layers': layers}).encode()
md, mn = put(man)
json.dump({'schemaVersion': 2, 'manifests': [
    {'mediaType': 'application/vnd.oci.image.manifest.v1+json', 'digest': md, 'size': mn}]},
    open(os.path.join(out, 'index.json'), 'w'))
open(os.path.join(out, 'oci-layout'), 'w').write('{"imageLayoutVersion": "1.0.0"}')
PY
}

# slim ARGS on a terminal: everything it wrote (stdout and stderr, the pty's) into
# tty.out; its status in RC.
on_tty() {
    script -qec "$(printf '%q ' "$SLIM" "$@")" /dev/null > tty.out 2>&1 < /dev/null
    RC=$?
    tr -d '\r' < tty.out | grep -v '^slim: ' >> "$CASE_DIR/.slim-stderr" || true
}

# The progress lines of tty.out (each "\rslim: ..." piece), one a line.
progress_lines() { tr '\r' '\n' < tty.out | grep -a '^slim: .*\[K$' || true; }

t_layer_tty() {
    on_tty -o out.tar.zst "$T/layer.tar.gz"
    [ "$RC" = 0 ] || fail "exit $RC: $(head -c 300 tty.out)"
    progress_lines > p
    grep -q '^slim: reading .* of .* (.*%), [0-9]* entries' p ||
        fail "no reading line: $(head -c 300 p)"
    grep -q '^slim: writing the output: [0-9]*/[0-9]* entries, .* written' p ||
        fail "no writing line: $(head -c 300 p)"
    # erased before the report: the report's first line follows "\r ESC[K"
    grep -aq $'\r\033\\[K''slim [0-9.]*' tty.out || fail "the line is not erased before the report"
    grep -aq 'entries seen' tty.out || fail "no report"
}

t_layer_dry_tty() {
    on_tty -n "$T/layer.tar.gz"
    [ "$RC" = 0 ] || fail "exit $RC"
    progress_lines | grep -q '^slim: writing (audit)' || fail "no progress in an audit"
}

t_layer_quiet_tty() {
    on_tty -q -o out.tar.zst "$T/layer.tar.gz"
    [ "$RC" = 0 ] || fail "exit $RC"
    [ ! -s tty.out ] || fail "-q on a terminal printed: $(head -c 200 tty.out | cat -v)"
}

t_layer_not_tty() {
    "$SLIM" -o out.tar.zst "$T/layer.tar.gz" > out 2> err
    RC=$?
    cat err >> "$CASE_DIR/.slim-stderr"
    [ "$RC" = 0 ] || fail "exit $RC"
    [ ! -s err ] || fail "stderr not a terminal, yet: $(head -c 200 err | cat -v)"
    ! grep -aq $'\r' out || fail "a carriage return in the report"
}

t_image_tty() {
    on_tty -o out "$T/img"
    [ "$RC" = 0 ] || fail "exit $RC: $(head -c 300 tty.out | cat -v)"
    progress_lines > p
    grep -q '^slim: layer 1/2: reading ' p || fail "no line for layer 1/2: $(head -c 300 p)"
    grep -q '^slim: layer 2/2: reading ' p || fail "no line for layer 2/2"
    grep -q '^slim: layer 2/2: writing the output: ' p || fail "no writing line for layer 2/2"
    grep -aq 'image layers' tty.out || fail "no report"
}

t_image_tar_tty() {
    tar -cf img.tar -C "$T/img" .
    on_tty -o out.tar img.tar
    [ "$RC" = 0 ] || fail "exit $RC: $(head -c 300 tty.out | cat -v)"
    progress_lines > p
    grep -q '^slim: unpacking the image: .* of .* (.*%)' p || fail "no unpacking line: $(head -c 300 p)"
    grep -q '^slim: layer 2/2: writing the output: ' p || fail "no writing line for layer 2/2"
}

t_image_not_tty() {
    "$SLIM" -o out "$T/img" > out.txt 2> err
    RC=$?
    cat err >> "$CASE_DIR/.slim-stderr"
    [ "$RC" = 0 ] || fail "exit $RC: $(head -c 300 err)"
    ! grep -q 'layer 1/2\|reading' err || fail "progress on a file: $(head -c 200 err | cat -v)"
}

# ---- the report's words ------------------------------------------------------------

t_words() {
    mkdir -p t/pkg/__pycache__ t/pkg/tests
    echo 'x = 1' > t/pkg/__init__.py
    echo 'import os' > t/pkg/tests/test_a.py
    printf 'one' > t/one
    "$SLIM" -nv t > out 2> err
    [ $? = 0 ] || fail "exit $?: $(cat err)"
    grep -q '^  entries seen  .* (3 regular files, 3 directories, 0 symlinks, 0 other)$' out ||
        fail "entries line: $(grep seen out)"
    grep -q '(in 0 groups, 0 B)$' out || fail "groups: $(grep link out)"
    grep -q '^  by kind (changes: a file, or a directory removed whole; saved)$' out ||
        fail "by kind heading: $(grep 'by kind' out)"
    grep -q '^    tests  *1  *10 B$' out || fail "by kind row: $(grep tests out)"
    # -v: the summary's units, not raw byte counts
    grep -q '^  rules        10 B ->        0 B  t/pkg/tests$' out ||
        fail "-v changed: $(sed -n '/^changed/,/^$/p' out)"
    printf 'x' > one && "$SLIM" -n one > out1 2> err
    grep -q '(1 regular file, 0 directories' out1 || fail "one file: $(grep seen out1)"
    ! grep -q '^  by kind' out1 || fail "a by kind heading without rows"
    ! grep -Eq '(^|[^0-9])1 (files|directories|groups|entries)' out out1 || fail "a '1 files'"
}

t_packed_words() {
    mkdir t && printf 'abc' > t/a
    "$SLIM" -o o.tar.zst t > out 2> err || fail "exit $?: $(cat err)"
    grep -q '^  layer (tar)     .* (packed from a tree)$' out || fail "tree: $(grep layer out)"
    grep -q '^  file (packed)   [0-9.]* [KM]*i*B$' out || fail "tree file: $(grep file out)"
    ! grep -q '(- smaller)' out || fail "(- smaller)"
    "$SLIM" --compress none -o o.tar o.tar.zst > out 2> err || fail "exit $?: $(cat err)"
    grep -q '^  file (packed)   .* -> .* (grew by .*, [0-9.]*%.*)$' out ||
        fail "growth: $(grep file out)"
}

t_fatal_no_table() {
    "$SLIM" -n python:3.12-slim > out 2> err
    RC=$?
    [ "$RC" = 1 ] || fail "exit $RC"
    [ ! -s out ] || fail "a report of a run that did nothing: $(head -c 200 out)"
    grep -q "^slim: cannot process 'python:3.12-slim': No such file or directory (an image name?" err ||
        fail "message: $(cat err)"
    # a layer refused part way (truncated): its error, no table of what was read
    head -c 2000 "$T/layer.tar.gz" > cut.tar.gz
    "$SLIM" -o o.tar cut.tar.gz > out 2> err
    RC=$?
    [ "$RC" = 1 ] || fail "truncated layer: exit $RC"
    [ ! -s out ] || fail "a report of a refused layer: $(head -c 200 out)"
    grep -q "^slim: cannot process 'cut.tar.gz': " err || fail "truncated layer: $(cat err)"
    # one PATH of two did run: its report is printed
    mkdir t && printf 'a' > t/a
    "$SLIM" -n missing t > out 2> err
    [ $? = 1 ] && grep -q 'entries seen' out || fail "no report when one PATH ran"
    # --json still prints JSON (its reader expects it)
    "$SLIM" -n --json missing > out.json 2> err
    "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["errors"] else 1)' out.json ||
        fail "--json: $(head -c 200 out.json)"
}

t_output_dir_writable() {
    mkdir t ro && printf 'a' > t/a && chmod 0555 ro
    if [ "$(id -u)" = 0 ]; then
        have setpriv || { skipcase "root, and no setpriv to drop it"; return 0; }
        chmod 0755 . t && chmod 0644 t/a
        setpriv --reuid=65534 --regid=65534 --clear-groups "$SLIM" -o ro/x.tar t > out 2> err
    else
        "$SLIM" -o ro/x.tar t > out 2> err
    fi
    RC=$?
    [ "$RC" = 2 ] || fail "exit $RC: $(cat err)"
    grep -q "^slim: -o 'ro/x.tar': cannot write in its directory: Permission denied$" err ||
        fail "message: $(cat err)"
}

setup
# script(1) needs a pty to hand out: a bare container may have none
if have script && script -qec true /dev/null > /dev/null 2>&1 < /dev/null; then
    run_case layer_tty t_layer_tty
    run_case layer_dry_tty t_layer_dry_tty
    run_case layer_quiet_tty t_layer_quiet_tty
    run_case image_tty t_image_tty
    run_case image_tar_tty t_image_tar_tty
else
    skp progress_tty "script (util-linux) missing, or no pty to give slim"
fi
run_case layer_not_tty t_layer_not_tty
run_case image_not_tty t_image_not_tty
run_case words t_words
run_case packed_words t_packed_words
run_case fatal_no_table t_fatal_no_table
run_case output_dir_writable t_output_dir_writable
finish
