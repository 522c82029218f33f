#!/usr/bin/env bash
# e2e_sweep.sh SLIM - the hostile-input sweep: every input kind slim accepts (a tree in
# place, a layer tar plain and in each compression, an npm .tgz, a wheel, a docker-archive,
# an OCI layout as a directory and as a tar), each with bombs, links out, digests that lie
# and names that lie (scripts/make-sweep-corpus lists the cases).  Each case runs as a dry
# run and for real, under a watchdog (SWEEP_RSS_MB, default 512 MiB; SWEEP_SECS, default
# 60 s), and for every run:
#   - it ended by itself (neither memory nor time ran out);
#   - the decoy outside every input is unchanged (content, mode, mtime, inode, link count);
#   - the decoy's secret is in no output (compressed and archived outputs are opened);
#   - no temporary file is left beside the output or in the input, and files a case names
#     (in/CASE.keep) are unchanged;
#   - refuse: exit 1, an error naming the input, no output;
#     ok: exit 0 and an output (for real);  safe: exit 0 or 1.
# Prints ok/FAIL/skip lines and "N passed, N failed, N skipped"; exits 1 on failure.
if [ $# -ne 1 ]; then echo "usage: $0 SLIM" >&2; exit 2; fi
. "$(dirname "$0")/lib.sh"
lib_init sweep
REPO=$(cd "$(dirname "$0")/.." && pwd)
SLIM=$(realpath "$1")
RSS_MB=${SWEEP_RSS_MB:-512}
SECS=${SWEEP_SECS:-60}
C=$T/c
need gcc zstd || finish
"$PY" "$REPO/scripts/make-sweep-corpus" "$C" || { bad corpus "make-sweep-corpus failed"; finish; }
SECRET=$(cat "$C/SECRET")
OUT=$T/out
mkdir -p "$OUT"

# temporary names slim makes: .slim-*.tmp, and the layer spool / image scratch
leftovers() { # DIR...: temporary files of slim's below DIR (minus what was there before)
    find "$@" -name '.slim-*' 2> /dev/null | sort
}

# one run: CASE KIND EXPECT MODE(dry|real) OPTS; fails the case and returns 1 on a problem
sweep_run() {
    local c=$1 kind=$2 expect=$3 mode=$4 opts=$5 in=$C/in/$1 out= r rc peak killed secs before
    local -a args=(-q)
    [ "$opts" = - ] || read -ra extra <<< "$opts"
    [ "$opts" = - ] || args+=("${extra[@]}")
    [ "$mode" = dry ] && args+=(-n)
    case $kind in
    dir) ;;
    layer) out=$OUT/$c.out.tar.zst ;;
    wheel) out=$OUT/$c ;;
    image-tar) out=$OUT/$c.out.tar ;;
    image-dir) out=$OUT/$c.out ;;
    esac
    rm -rf "$out"
    before=$(leftovers "$in" "$(dirname "$in")")
    r=$(wd "$RSS_MB" "$SECS" "$SLIM" "${args[@]}" "$in" ${out:+-o "$out"})
    read -r rc peak killed secs <<< "$r"
    local desc="$mode: exit $rc, ${peak} MiB, ${secs}s"
    if [ "$killed" != - ]; then
        bad "$c" "$desc: killed ($killed: over $RSS_MB MiB or $SECS s)"; return 1
    fi
    if ! tree_manifest "$C/decoy" | cmp -s - "$C/decoy.manifest"; then
        bad "$c" "$desc: the decoy outside the input changed: $(tree_manifest "$C/decoy" | diff - "$C/decoy.manifest" | head -4 | tr '\n' ' ')"
        return 1
    fi
    if [ -n "$out" ] && [ -e "$out" ] && ! "$PY" "$LIB_DIR/tools/leakcheck.py" "$out" "$SECRET" > "$T/leak"; then
        bad "$c" "$desc: the decoy's secret is in the output: $(cat "$T/leak")"; return 1
    fi
    if [ "$(leftovers "$in" "$(dirname "$in")")" != "$before" ] || [ -n "$(leftovers "$OUT")" ]; then
        bad "$c" "$desc: temporary file left: $(leftovers "$in" "$(dirname "$in")" "$OUT" | head -3 | tr '\n' ' ')"
        return 1
    fi
    if [ -e "$in.keep" ] && ! sha256sum --quiet -c "$in.keep" > "$T/keep" 2>&1; then
        bad "$c" "$desc: a file it must not change changed: $(head -2 "$T/keep" | tr '\n' ' ')"; return 1
    fi
    case $expect in
    refuse)
        if [ "$rc" != 1 ]; then bad "$c" "$desc (want exit 1: refused): $(head -c 300 "$T/wd.err")"; return 1; fi
        if ! grep -qF "slim: cannot process '$in" "$T/wd.err"; then
            bad "$c" "$desc: the error does not name the input: $(head -c 300 "$T/wd.err")"; return 1
        fi
        if [ -n "$out" ] && [ -e "$out" ]; then bad "$c" "$desc: refused, but an output was written"; return 1; fi
        ;;
    ok)
        if [ "$rc" != 0 ]; then bad "$c" "$desc (want 0): $(head -c 300 "$T/wd.err")"; return 1; fi
        if [ "$mode" = real ] && [ -n "$out" ] && [ ! -e "$out" ]; then bad "$c" "$desc: no output"; return 1; fi
        if [ "$mode" = dry ] && [ -n "$out" ] && [ -e "$out" ]; then bad "$c" "$desc: a dry run wrote an output"; return 1; fi
        ;;
    safe)
        if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then bad "$c" "$desc: $(head -c 300 "$T/wd.err")"; return 1; fi
        ;;
    esac
    LAST="$desc"
}

ncases=0
while IFS=$'\t' read -r c kind expect opts; do
    [ -n "$c" ] || continue
    ncases=$((ncases + 1))
    # a dry run first: it must leave a tree in place as it was
    sweep_run "$c" "$kind" "$expect" dry "$opts" || continue
    dry=$LAST
    sweep_run "$c" "$kind" "$expect" real "$opts" || continue
    ok "$c" "$expect; $dry; $LAST"
done < "$C/CASES"
ran_some corpus "$ncases" "cases in $C/CASES"
finish
