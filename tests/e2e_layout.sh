#!/usr/bin/env bash
# The shape of the code, as doc/design.md promises it (#20): no include cycle and no call
# cycle between src/*.c files (scripts/check-cycles on the objects of OBJDIR), no .c file
# over 1,000 lines, no function over 80 lines (from its first line to its closing brace;
# functions are written as the kernel style has them: the name at the start of a line,
# the braces alone on theirs).
#   tests/e2e_layout.sh OBJDIR      (build/san: the objects make check builds)
. "$(dirname "$0")/lib.sh"
lib_init layout
OBJDIR=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)

if out=$("$ROOT/scripts/check-cycles" "$OBJDIR" 2>&1); then
    ok no-cycles
else
    bad no-cycles "$(echo "$out" | tr '\n' ' ' | head -c 600)"
fi

long=$(cd "$ROOT" && wc -l src/*.c | awk '$2 != "total" && $1 > 1000 { print $2 " (" $1 ")" }')
[ -z "$long" ] && ok files-under-1000-lines || bad files-under-1000-lines "$long"

long=$(cd "$ROOT" && $PY - src/*.c <<'PY'
import re, sys
n = 0
for f in sys.argv[1:]:
    start = name = None
    opened = False
    for i, line in enumerate(open(f), 1):
        if start is None:
            m = re.match(r'(?:[A-Za-z_][\w ]*[ *])?(\w+)\(', line)
            if m and not line.startswith(('typedef', '#')) and not line.rstrip().endswith(';'):
                start, name, opened = i, m.group(1), False
        elif not opened and line.startswith('{'):
            opened = True
        elif not opened and line.rstrip().endswith(';'):
            start = None  # a prototype over several lines
        elif opened and line.startswith('}'):
            n += 1
            if i - start + 1 > 80:
                print(f'{f}:{start} {name} ({i - start + 1} lines)')
            start = None
print(f'# {n} functions', file=sys.stderr)
PY
)
[ -z "$long" ] && ok functions-under-80-lines || bad functions-under-80-lines "$(echo "$long" | tr '\n' ' ')"
finish
