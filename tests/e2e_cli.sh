#!/usr/bin/env bash
# End-to-end test of the command line: --help, --version, --list-rules and the
# usage errors, byte for byte (stdout, stderr, exit status) against a transcript
# (tests/e2e_cli.expected) of slim before the command line left main.c.
#   tests/e2e_cli.sh SLIM            compare
#   tests/e2e_cli.sh SLIM --regen    rewrite the transcript (after a wanted change)
# A case is one line of shell words (below); what it prints is the same in any
# directory: the paths it names are made here, relative.  The version (from
# git describe, scripts/version) reads VERSION in the transcript.
. "$(dirname "$0")/lib.sh"
lib_init cli
SLIM=$(readlink -f "$1")
WANT=$(cd "$(dirname "$0")" && pwd)/e2e_cli.expected
VER=$("$SLIM" --version 2>/dev/null | sed -n '1s/^slim \([^ ]*\) .*/\1/p')
case $VER in
[0-9]*.[0-9]*.[0-9]*) ;;
*) bad version "no X.Y.Z version on the first line of --version: $("$SLIM" --version 2>&1 | head -1)"; finish ;;
esac
VER_RE=$(printf '%s' "$VER" | sed 's/[.]/\\./g')   # BRE: only . is special in X.Y.Z-N-gH+dirty

cases() {
    cat <<'EOF'
--help
-h
--version
-V
--help --bogus
--bogus --help
-V -h
-j x --help
--help -j x

--bogus
-Z
--jobs
-j 0
-j 1025
-j 1x
--jobs=
--dedup foo t
--dedup
--compress foo t
--compress zstd t
--level 0 t
--level 23 t
--level 5 t
--mtime t
--mtime=abc t
--mtime=5 t
--mtime=1099511627777 -o out.tar t
--max-entry-size 5X t
--max-entry-size -1 t
--max-entry-size 1.5KK t
--max-entry-size 1.5K
--max-ratio -1 t
--max-ratio 1000000001 t
--fail-if-saving-over abc t
--fail-if-saving-over 5%x t
--fail-if-saving-over -1 t
--fail-if-saving-over 5%
--input foo t
--input auto t
--input
--platform a t
--platform linux/amd64/v8/x t
--platform linux/arm64/v8
--cuda-arch sm_9 t
--cuda-arch sm_90, t
--cuda-arch 90 t
--cuda-ptx some --cuda-arch sm_90 t
--cuda-ptx none t
--preset bogus t
--preset bogus --jobs x
--jobs x --preset bogus
--keep '' t
--drop a/../b t
--drop ./ t
--keep a//b t
--rules nonexistent.rules t
--rules bad1.rules t
--rules bad2.rules t
--rules bad3.rules t
--arch bogus t
--list-rules
--preset none --list-rules
--list-rules --preset node-caution --preset docs --arch arm64
--preset foreign --preset static-libs --preset headers --list-rules
--rules good.rules --list-rules
-o out.tar t t
--tag app:slim t
--tag 'bad tag' -o x.tar t
--tag -app -o x.tar t
--tag app:slim -o oci:x t
-o '' t
-o adir t
-o t t
-o t/ t
-o nonexistent/x t
-o l.tar.xz t
-o l.txz t
-o l.tar.bz2 --compress gzip t
-o f.txt img
-qn --input dir f.txt
-qn --input wheel t
-qn --input layer t
-qn --input image nonexistent
-qn -- --help
-qn t -- -q
-q img
-qn --fail-if-saving-over 0 t
-qn --fail-if-saving-over 1G t
--completion fish
--completion
--dryrun t
--dry-rn t
--d t
--jsn=1 t
--json=1 t
--dry-run=1 t
--dedup
-j
--cuda-ptx
--level 25 -o out.tar.zst t
--level 12 -o out.tar.gz t
--level 12 --compress gzip -o out.tar t
--level 12 -qn -o out.tar.zst t
--max-ratio 1000000001 t
--max-entry-size 10MB -qn t
--max-entry-size 10MiB -qn t
--max-entry-size 10mb -qn t
--max-entry-size 1.5kib -qn t
--max-entry-size 10XB t
--max-entry-size MB t
--fail-if-saving-over 10MBB t
-qn --fail-if-saving-over 0.00001MB t
-qn --fail-if-saving-over 0.000009MB t
-qn --fail-if-saving-over 0.001KiB t
-qn --fail-if-saving-over 0.001K t
-qn --fail-if-saving-over 1% t
-qn --fail-if-saving-over 99% t
-n python:3.12-slim
-n nonexistent
-qn nonexistent t
--python-bytecode some t
--python-bytecode keep --list-rules
--dedup-min-size 4X t
--dedup-paths none t
--exclude a/../b t
--root nonexistent t
--root f.txt t
--root adir t
--root t -o out.tar t
-qn --root t t/pkg
EOF
}

# The tree the cases name: t (a small Python package), adir, f.txt, img (an
# OCI layout, as far as detection goes) and rules files.
setup() {
    mkdir -p t/pkg/tests t/pkg/__pycache__ adir img
    echo 'x = 1' > t/pkg/__init__.py
    echo 'import os' > t/pkg/tests/test_a.py
    printf 'not byte-code' > t/pkg/__pycache__/a.cpython-311.pyc
    echo hi > f.txt
    echo '{"imageLayoutVersion": "1.0.0"}' > img/oci-layout
    echo '{"schemaVersion": 2, "manifests": []}' > img/index.json
    printf 'drop *.log\nbogus x\n' > bad1.rules
    printf 'keep\n' > bad2.rules
    printf 'preset a b\n' > bad3.rules
    printf '# c\n\ndrop *.log\nkeep  keep/me/\npreset docs\n' > good.rules
}

# The transcript of one case: the command, stdout (1|), stderr (2|), status.
run_case() {
    local line=$1 rc
    eval "set -- $line"
    env -u SOURCE_DATE_EPOCH "$SLIM" "$@" > out 2> err < /dev/null
    rc=$?
    printf '$ slim %s\n' "$line"
    sed "s/$VER_RE/VERSION/g; s/^/1| /" out
    sed "s/$VER_RE/VERSION/g; s/^/2| /" err
    printf 'exit %d\n' "$rc"
}

cd "$T" && setup
n=0
while IFS= read -r line; do
    run_case "$line" > "case.$n"
    n=$((n + 1))
done < <(cases)

if [ "${2:-}" = --regen ]; then
    cat $(for ((i = 0; i < n; i++)); do echo "case.$i"; done) > "$WANT"
    echo "wrote $WANT ($n cases)"
    exit 0
fi
[ -f "$WANT" ] || { bad transcript "no $WANT"; finish; }
# the expected transcript, cut at each "$ slim" line into want.N
awk -v dir="$T" '/^\$ slim/ { f = dir "/want." n++ } { print > f }' "$WANT"
for ((i = 0; i < n; i++)); do
    name=$(head -1 "case.$i" | cut -c3-)
    if [ ! -f "want.$i" ]; then
        bad "$name" "not in $WANT (run with --regen?)"
    elif cmp -s "want.$i" "case.$i"; then
        ok "$name" "$(tail -1 "case.$i")"
    else
        bad "$name" "$(diff "want.$i" "case.$i" | head -6 | tr '\n' ' ')"
    fi
done
[ ! -f "want.$n" ] || bad transcript "$WANT holds more cases than this script"
finish
