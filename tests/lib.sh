# lib.sh - the harness every end-to-end script sources: results and their counts, a
# temporary directory removed at exit, tool and fixture look-ups that skip visibly,
# cases run in their own directory, a watchdog that bounds memory and time, a manifest
# of a tree to prove it unchanged.
#
#   . "$(dirname "$0")/lib.sh"; lib_init NAME
#
# Results (every line a script prints about a test goes through these)
#   ok NAME [WHAT]       "ok NAME" or "ok NAME (WHAT)"
#   bad NAME WHY         "FAIL NAME: WHY"
#   skp NAME WHY         "skip NAME: WHY"
#   finish               "N passed, N failed, N skipped"; exits 1 if one failed, else 0
#   ran_some NAME N WHAT a loop over generated cases ran N times: fails NAME when N is 0
#                        (a loop that runs zero times passes in silence)
# Tools
#   have TOOL            TOOL is on PATH (prints nothing)
#   first_tool TOOL...   prints the first one on PATH (nothing, status 0, if none)
#   need TOOL...         every TOOL is on PATH; else a counted skip "skip NAME: TOOL missing"
#                        (NAME: the running case, else the caller's $name, else the
#                        script's) and status 1:   need zstd || return
#   skip_part PART WHY   a part of a test that cannot run here: "skip NAME/PART: WHY",
#                        counted; the rest of the test goes on (in a case: printed after it)
# Temporary files
#   lib_init NAME        T=$(mktemp -d ${TMPDIR:-/tmp}/e2e-NAME.XXXXXX), removed at exit
#                        (KEEP_T=1 or KEEP=1 keeps it and says where); PY (python3)
#   at_exit CMD          eval CMD at exit, before $T goes (the latest first); only the
#                        script itself runs them, not a subshell killed early ($BASHPID)
# Cases: run_case NAME FUNCTION [ARGS...] runs FUNCTION in a subshell in its own empty
# directory $CASE_DIR/work under $T (its output in $CASE_DIR/.log, the harness's files
# beside it), then prints ok, FAIL or skip for NAME.  Inside a case:
#   fail WHY             the case fails (the first reason is the one printed); returns 1
#   skipcase WHY         the case is skipped, unless it failed
#   need_fix [-g GROUP] FILE...   fixtures in $FIX: a missing one skips the case when
#                        $FIX/SKIPPED says why ("FILE: why" or "GROUP: why"), else fails it
#   have_fix [-g GROUP] FILE      one optional fixture: missing with a reason, a skipped
#                        part (status 1); missing without one, the case fails
#   slim's stderr appended to $CASE_DIR/.slim-stderr is searched for sanitizer reports
#   CASE_EXIT=1          fail, skipcase, need and need_fix end the case (exit) at once
#   E2E_VERBOSE=1 (or VERBOSE=1) prints each case's time and log, TIMING=1 its time
# Watchdog, manifest
#   wd LIMIT_MB SECS CMD...   runs CMD (stdout to /dev/null, stderr to $WD_ERR, else
#                             $T/wd.err); prints "RC PEAK_MIB KILLED SECS", KILLED '-',
#                             'rss' or 'time'
#   tree_manifest DIR         name, mode, size, mtime, inode, link count, sha256 (a
#                             symlink: its target) of every path below DIR, sorted
set -u
export LC_ALL=C
# A sanitizer report ends slim with 99, a status no test expects (the default, 1, is that
# of an input refused as it should be); settings of the caller's come after and win.
export ASAN_OPTIONS=exitcode=99:${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=exitcode=99:${UBSAN_OPTIONS:-print_stacktrace=1}

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LIB_NAME=${0##*/}
LIB_NAME=${LIB_NAME%.sh}
LIB_PASS=0 LIB_FAIL=0 LIB_SKIP=0
LIB_AT_EXIT=()
T=
CASE_DIR=

ok() { echo "ok $1${2:+ ($2)}"; LIB_PASS=$((LIB_PASS + 1)); }
bad() { echo "FAIL $1: $2"; LIB_FAIL=$((LIB_FAIL + 1)); }
skp() { echo "skip $1: $2"; LIB_SKIP=$((LIB_SKIP + 1)); }
finish() {
    echo "$LIB_PASS passed, $LIB_FAIL failed, $LIB_SKIP skipped"
    [ "$LIB_FAIL" -eq 0 ]
    exit $?
}
ran_some() { [ "$2" -gt 0 ] || bad "$1" "no $3: the loop ran zero times"; }

have() { command -v "$1" >/dev/null 2>&1; }
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
need() {
    local t
    for t in "$@"; do
        [ -n "$t" ] && have "$t" && continue
        t=${t:-a tool}
        if [ -n "$CASE_DIR" ]; then
            skipcase "$t missing"
        else
            skp "${name:-$LIB_NAME}" "$t missing"
        fi
        return 1
    done
}
skip_part() {
    if [ -n "$CASE_DIR" ]; then
        printf '%s\t%s\n' "$1" "$2" >>"$CASE_DIR/.skip-parts"
    else
        skp "${name:-$LIB_NAME}/$1" "$2"
    fi
}

lib_init() {
    LIB_NAME=$1
    PY=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
    T=$(mktemp -d "${TMPDIR:-/tmp}/e2e-$1.XXXXXX") || { echo "$LIB_NAME: cannot make a temporary directory" >&2; exit 2; }
    trap lib_cleanup EXIT
}
at_exit() { LIB_AT_EXIT=("$1" ${LIB_AT_EXIT[@]+"${LIB_AT_EXIT[@]}"}); }
lib_cleanup() {
    [ "$BASHPID" = "$$" ] || return 0 # the script only, not a subshell killed early
    local c
    for c in ${LIB_AT_EXIT[@]+"${LIB_AT_EXIT[@]}"}; do eval "$c"; done
    [ -n "$T" ] && [ -d "$T" ] || return 0
    if [ -n "${KEEP_T:-}${KEEP:-}" ]; then
        echo "$LIB_NAME: work directory kept: $T" >&2
        return 0
    fi
    rm -rf "$T" 2>/dev/null || { chattr -R -i "$T" 2>/dev/null; rm -rf "$T"; }
}

# ---- cases -------------------------------------------------------------------------------
fail() {
    [ -f "$CASE_DIR/.why" ] || printf '%s\n' "$*" >"$CASE_DIR/.why"
    echo "fail: $*" >&2
    [ -z "${CASE_EXIT:-}" ] || exit 1
    return 1
}
skipcase() {
    printf '%s\n' "$*" >"$CASE_DIR/.skip"
    [ -z "${CASE_EXIT:-}" ] || exit 0
    return 0
}
# the reason $FIX/SKIPPED gives for KEY ("KEY: why"), if any
fix_why() { grep -m1 -F "$1: " "$FIX/SKIPPED" 2>/dev/null | sed "s/^[^:]*: //"; }
need_fix() {
    local g= f why
    [ "$1" = -g ] && { g=$2; shift 2; }
    for f in "$@"; do
        [ -e "$FIX/$f" ] && continue
        why=$(fix_why "${g:-$f}")
        if [ -n "$why" ]; then
            skipcase "fixture $f not built: $why"
        else
            fail "fixture $f missing from $FIX (rerun the fixture builder)"
        fi
        return 1
    done
}
have_fix() {
    local g= why
    [ "$1" = -g ] && { g=$2; shift 2; }
    [ -e "$FIX/$1" ] && return 0
    why=$(fix_why "${g:-$1}")
    if [ -n "$why" ]; then
        skip_part "$1" "fixture not built: $why"
    else
        fail "fixture $1 missing from $FIX (rerun the fixture builder)"
    fi
    return 1
}
run_case() {
    local name=$1 fn=$2 rc why part t0=$SECONDS
    shift 2
    CASE_DIR=$(mktemp -d "$T/$name.XXXXXX")
    mkdir "$CASE_DIR/work" && chmod 755 "$CASE_DIR" "$CASE_DIR/work"
    (cd "$CASE_DIR/work" && "$fn" "$@") >"$CASE_DIR/.log" 2>&1
    rc=$?
    if [ -f "$CASE_DIR/.slim-stderr" ] &&
        grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$CASE_DIR/.slim-stderr"; then
        why="sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error' "$CASE_DIR/.slim-stderr")"
        [ -f "$CASE_DIR/.why" ] && why="$(cat "$CASE_DIR/.why"); $why"
        echo "$why" >"$CASE_DIR/.why"
    fi
    if [ -f "$CASE_DIR/.why" ]; then
        bad "$name" "$(cat "$CASE_DIR/.why")"
    elif [ -f "$CASE_DIR/.skip" ]; then
        skp "$name" "$(cat "$CASE_DIR/.skip")"
    elif [ "$rc" = 0 ]; then
        ok "$name"
    else
        bad "$name" "case exited $rc: $(grep -v '^[[:space:]]*$' "$CASE_DIR/.log" | tail -n 3 | tr '\n' ' ')"
    fi
    if [ -f "$CASE_DIR/.skip-parts" ]; then
        while IFS=$'\t' read -r part why; do skp "$name/$part" "$why"; done <"$CASE_DIR/.skip-parts"
    fi
    if [ -n "${E2E_VERBOSE:-}${VERBOSE:-}" ]; then
        echo "  ($((SECONDS - t0)) s)"
        sed 's/^/  | /' "$CASE_DIR/.log"
    elif [ -n "${TIMING:-}" ]; then
        echo "  ($name: $((SECONDS - t0)) s)"
    fi
    [ -n "${KEEP_T:-}${KEEP:-}" ] || rm -rf "$CASE_DIR"
    CASE_DIR=
}

# ---- watchdog, manifest -------------------------------------------------------------------
wd() {
    WD_ERR=${WD_ERR:-$T/wd.err} "$PY" "$LIB_DIR/tools/watchdog.py" "$@"
}

tree_manifest() {
    "$PY" "$LIB_DIR/tools/treemanifest.py" "$1"
}
