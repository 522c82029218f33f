#!/usr/bin/env bash
# e2e_crash.sh SLIM - crash safety, CI-sized: scripts/crash-test --quick on a small tree
# of gcc -g shared objects, an archive, an executable, a hard-linked .so pair and
# duplicates: a handful of SIGKILLs at random moments and at syscalls (strace fault
# injection), a sweep killing a -j1 run at every renameat/linkat/unlinkat, and after each
# kill: every file original or exactly the reference result, no name lost, hard links
# consistent; then a full run removes the temp files and leaves the reference tree.
# Prints ok/FAIL/skip lines and "N passed, N failed, N skipped"; exits 1 on failure.
# The long version: scripts/crash-test [N] (100 kills by default, with libpython).
set -u
if [ $# -ne 1 ]; then echo "usage: $0 SLIM" >&2; exit 2; fi
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SLIM=$(realpath "$1")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
if ! command -v gcc >/dev/null || ! command -v python3 >/dev/null; then
    echo "skip crash: gcc or python3 missing"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
PY=$(command -v /usr/bin/python3 || command -v python3)
exec "$PY" "$REPO/scripts/crash-test" "${CRASH_KILLS:-6}" --quick --slim "$SLIM" ${CRASH_SEED:+--seed "$CRASH_SEED"}
