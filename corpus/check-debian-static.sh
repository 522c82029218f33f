#!/usr/bin/env bash
# Real-tree check for static archives: unpack Debian -dev packages into a
# tree (apt-get download + dpkg -x), run slim on a copy, and for every
# static library link a small program (corpus/static/LIB.c) against the
# original and the slimmed archive: both must link, run and print the same.
# Also compares the armap symbol lists and slim's savings with GNU strip's.
#
#   corpus/check-debian-static.sh [SLIM] [WORKDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
slim=$(readlink -f "${1:-$here/../slim}")
work=${2:-$here/../build/debian-static}
cache=${SLIM_CORPUS_CACHE:-$HOME/.cache/slim-corpus}/debs
pkgs="zlib1g-dev libssl-dev libsqlite3-dev libbz2-dev liblzma-dev libexpat1-dev libzstd-dev
      libpcre2-dev libgmp-dev libffi-dev libyaml-dev"
mkdir -p "$cache" "$work"
(cd "$cache" && for p in $pkgs; do ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download -q "$p" >/dev/null; done)
rm -rf "$work/orig" "$work/slim" "$work/gnu" "$work/bin"
mkdir -p "$work/orig" "$work/bin"
for p in $pkgs; do dpkg -x "$(ls "$cache/${p}"_*.deb | tail -1)" "$work/orig"; done
cp -a "$work/orig" "$work/slim"
cp -a "$work/orig" "$work/gnu"
lib=usr/lib/x86_64-linux-gnu
"$slim" --json "$work/slim" > "$work/report.json"
find "$work/gnu/$lib" -name '*.a' -exec strip --strip-unneeded {} \; 2>/dev/null

# extra link flags per library
declare -A deps=( [libcrypto]="-ldl -lpthread" [libssl]="LIB:libcrypto -ldl -lpthread"
                  [libsqlite3]="-lm -ldl -lpthread" [liblzma]="-lpthread" )
fail=0 pass=0
printf '%-12s %12s %12s %12s  %s\n' library original slim gnu-strip result
for src in "$here"/static/*.c; do
    name=$(basename "$src" .c)
    a=$lib/$name.a
    [ -f "$work/orig/$a" ] || { echo "skip $name: $a not in the packages"; continue; }
    extra=""
    for d in ${deps[$name]:-}; do
        case $d in LIB:*) extra="$extra TREE/$lib/${d#LIB:}.a";; *) extra="$extra $d";; esac
    done
    out=()
    for t in orig slim; do
        inc="-I$work/$t/usr/include -I$work/$t/usr/include/x86_64-linux-gnu"
        if gcc $inc -o "$work/bin/$name.$t" "$src" "$work/$t/$a" ${extra//TREE/$work/$t} 2>"$work/bin/$name.$t.log"; then
            out+=("$("$work/bin/$name.$t" 2>&1 || echo "exit $?")")
        else
            out+=("LINK FAILED: $(head -c 300 "$work/bin/$name.$t.log")")
        fi
    done
    armap() { nm --print-armap "$1" 2>/dev/null | sed -n '/^Archive index:/,/^$/p'; }
    if [ "${out[0]}" = "${out[1]}" ] && [[ "${out[1]}" != LINK* ]] &&
       cmp -s <(armap "$work/orig/$a") <(armap "$work/slim/$a"); then
        res="ok: ${out[1]}"; pass=$((pass + 1))
    else
        res="FAIL: orig='${out[0]}' slim='${out[1]}'"; fail=$((fail + 1))
    fi
    printf '%-12s %12s %12s %12s  %s\n' "$name" "$(stat -c %s "$work/orig/$a")" \
        "$(stat -c %s "$work/slim/$a")" "$(stat -c %s "$work/gnu/$a")" "$res"
done
python3 - "$work/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
a = r["archives"]
print(f'slim: {a["files"]} archives, {a["stripped"]} stripped; {a["members"]} members, '
      f'{a["members_stripped"]} stripped; skipped members: {a["members_skipped"]}; '
      f'errors: {len(r["errors"])}')
PY
saved_slim=$(( $(du -sb "$work/orig/$lib" | cut -f1) - $(du -sb "$work/slim/$lib" | cut -f1) ))
saved_gnu=$(( $(du -sb "$work/orig/$lib" | cut -f1) - $(du -sb "$work/gnu/$lib" | cut -f1) ))
echo "bytes saved under $lib: slim $saved_slim, strip --strip-unneeded $saved_gnu"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
