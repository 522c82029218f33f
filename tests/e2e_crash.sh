#!/usr/bin/env bash
# e2e_crash.sh SLIM - crash safety, CI-sized: scripts/crash-test --quick on a small tree
# of gcc -g shared objects, an archive, an executable, a hard-linked .so pair and
# duplicates: a handful of SIGKILLs at random moments and at syscalls (strace fault
# injection), a sweep killing a -j1 run at every renameat/linkat/unlinkat, and after each
# kill: every file original or exactly the reference result, no name lost, hard links
# consistent; then a full run removes the temp files and leaves the reference tree.
# Prints ok/FAIL/skip lines and "N passed, N failed, N skipped"; exits 1 on failure.
# The long version: scripts/crash-test [N] (100 kills by default, with libpython).
if [ $# -ne 1 ]; then echo "usage: $0 SLIM" >&2; exit 2; fi
. "$(dirname "$0")/lib.sh" # no lib_init: no temporary directory here, crash-test makes its own
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SLIM=$(realpath "$1")
name=crash
need gcc python3 || finish
PY=$(command -v /usr/bin/python3 || command -v python3)
exec "$PY" "$REPO/scripts/crash-test" "${CRASH_KILLS:-6}" --quick --slim "$SLIM" ${CRASH_SEED:+--seed "$CRASH_SEED"}
