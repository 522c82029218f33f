# lib.sh - shared by the end-to-end scripts (sourced): results, a temporary directory,
# a watchdog that bounds memory and time, a manifest of a tree to prove it unchanged.
#
#   . "$(dirname "$0")/lib.sh"; lib_init NAME   sets T (removed at exit), PY, LC_ALL=C
#   ok NAME [what] / bad NAME why / skp NAME why; finish   prints the counts, exits 1 on a failure
#   wd LIMIT_MB SECS CMD...   runs CMD (stdout to /dev/null, stderr to $T/wd.err); prints
#                             "RC PEAK_MIB KILLED SECS", KILLED '-', 'rss' or 'time'
#   tree_manifest DIR         sha256, size, mode, mtime, inode, link count per path (stdout)
set -u
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export LC_ALL=C
pass=0 fail=0 skip=0
ok()  { echo "ok $1${2:+ ($2)}"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
skp() { echo "skip $1: $2"; skip=$((skip + 1)); }
finish() { echo "$pass passed, $fail failed, $skip skipped"; [ "$fail" -eq 0 ]; exit $?; }

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lib_init() {
    PY=$(command -v /usr/bin/python3 || command -v python3)
    T=$(mktemp -d "${TMPDIR:-/tmp}/e2e-$1.XXXXXX")
    trap 'lib_cleanup' EXIT
}
lib_cleanup() {
    [ "$BASHPID" = "$$" ] || return 0 # the script only, not a subshell killed early
    rm -rf "$T"
}

wd() {
    WD_ERR=$T/wd.err "$PY" "$LIB_DIR/tools/watchdog.py" "$@"
}

tree_manifest() {
    "$PY" "$LIB_DIR/tools/treemanifest.py" "$1"
}
