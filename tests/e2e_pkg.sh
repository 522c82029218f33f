#!/usr/bin/env bash
# End-to-end test of what ships around slim (issue 23):
#   tests/e2e_pkg.sh SLIM
#
# - every long option --help lists is documented in slim.1 (an entry of OPTIONS), in
#   README.md's option table, and offered by the bash completion, and nothing else is
#   offered; --completion itself stays out of --help;
# - the bash completion completes options, option values (each one accepted by slim) and
#   file names; the zsh one names the same options, parses (zsh -n) and completes in an
#   interactive zsh (zpty) - counted skips without zsh;
# - --version's first line: "slim X.Y.Z... (container image post-processor...", which the
#   README's note on other programs named slim points to;
# - README.md stays short (under 250 lines: the detail lives in doc/), and every link of
#   README.md and doc/*.md into this tree names a file that exists, its #anchor a heading;
# - make install DESTDIR=... PREFIX=/usr with SLIM: a binary without .symtab that runs, the
#   man page, the docs, the completions; make uninstall removes them;
# - doc/ci-example.yml's audit step, run as written against a small tree: exit 4 and a
#   parsable report over the limit, 0 under it.
[ $# -eq 1 ] || { echo "usage: $0 SLIM" >&2; exit 2; }
. "$(dirname "$0")/lib.sh"
lib_init pkg
SLIM=$(readlink -f "$1")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$SLIM" ] || { bad slim "$1 is not an executable"; finish; }

# The long options of --help, one a line, sorted ("--dry-run").
"$SLIM" --help | sed -n 's/^  \(-., \)\{0,1\} *\(--[a-z0-9-]*\).*/\2/p' | sort -u >"$T/help.opts"
n=$(wc -l <"$T/help.opts")
[ "$n" -ge 20 ] || { bad help "only $n long options found in --help"; finish; }

# ---- documentation ----------------------------------------------------------------
# slim.1: the option names of each .TP entry's first line (\-\-dry\-run -> --dry-run)
grep -A1 '^\.TP' "$ROOT/slim.1" | grep -o '\\-\\-[a-z0-9\\-]*[a-z0-9]' | sed 's/\\-/-/g' |
    sort -u >"$T/man.opts"
missing=$(comm -23 "$T/help.opts" "$T/man.opts" | tr '\n' ' ')
if [ -n "$missing" ]; then bad man_options "not documented in slim.1: $missing"
else ok man_options "$n options"; fi

# README.md: each option in the table (a row starting "| `--name" or "| `-x`, `--name")
grep '^| `-' "$ROOT/README.md" | grep -o '`--[a-z0-9-]*' | sed 's/^`//' | sort -u >"$T/readme.opts"
missing=$(comm -23 "$T/help.opts" "$T/readme.opts" | tr '\n' ' ')
if [ -n "$missing" ]; then bad readme_options "not in README.md's option table: $missing"
else ok readme_options; fi

# README.md is read in five minutes; the rest is in doc/
lines=$(wc -l <"$ROOT/README.md")
if [ "$lines" -lt 250 ]; then ok readme_short "$lines lines"
else bad readme_short "README.md has $lines lines, not under 250: move detail to doc/"; fi

# Links into the tree, from README.md and doc/*.md: the file exists, and an #anchor is a
# heading of it, as GitHub makes anchors (lower case, punctuation but - and _ removed, spaces
# to -, a repeated heading gets -1, -2...); headings and links in ``` blocks do not count.
# One line a link: "ok|no_such_file|no_such_heading FILE TARGET".
cat >"$T/links.py" <<'PY'
import os, re, sys
def anchors(path):
    out, seen, fence = set(), {}, False
    for line in open(path, encoding='utf-8'):
        if line.startswith('```'):
            fence = not fence
            continue
        m = None if fence else re.match(r'#{1,6} +(.*?)\s*#*\s*$', line)
        if m:
            a = re.sub(r'[^\w\- ]', '', m.group(1).lower()).replace(' ', '-')
            n = seen.get(a, 0); seen[a] = n + 1
            out.add(a if n == 0 else '%s-%d' % (a, n))
    return out
for f in sys.argv[1:]:
    text = re.sub(r'```.*?```', '', open(f, encoding='utf-8').read(), flags=re.S)
    for target in re.findall(r'\]\(([^)\s]+)\)', text):
        if re.match(r'[a-z]+:', target):
            continue
        path, _, anchor = target.partition('#')
        dest = os.path.normpath(os.path.join(os.path.dirname(f), path)) if path else f
        if not os.path.exists(dest):
            why = 'no_such_file'
        elif anchor and dest.endswith('.md') and anchor not in anchors(dest):
            why = 'no_such_heading'
        else:
            why = 'ok'
        print(why, f, target)
PY
if [ -z "$PY" ]; then
    skp doc_links "no python3"
elif ! (cd "$ROOT" && $PY "$T/links.py" README.md doc/*.md) >"$T/links" 2>&1; then
    bad doc_links "the link check failed: $(tail -1 "$T/links")"
else
    ndoc=$(grep -c '^ok README\.md doc/' "$T/links")
    broken=$(grep -v '^ok ' "$T/links" | tr '\n' ';')
    if [ -n "$broken" ]; then bad doc_links "$broken"
    elif [ "$ndoc" -lt 5 ]; then bad doc_links "README.md links to only $ndoc files in doc/"
    else ok doc_links "$(wc -l <"$T/links") links, $ndoc from README.md into doc/"; fi
fi

if "$SLIM" --help | grep -q -- --completion; then bad help_hidden "--help lists --completion"
else ok help_hidden; fi

# ---- --version --------------------------------------------------------------------
v=$("$SLIM" --version | head -1)
if ! [[ $v =~ ^slim\ [0-9]+\.[0-9]+\.[0-9]+[0-9A-Za-z.+~_-]*\ \(container\ image\ post-processor ]]; then
    bad version_line "unexpected first line: $v"
elif ! grep -qF 'container image post-processor' "$ROOT/README.md"; then
    bad version_line "README.md does not say how to tell slim by its --version"
else
    ok version_line "$v"
fi

# ---- bash completion --------------------------------------------------------------
"$SLIM" --completion bash >"$T/slim.bash" || bad bash_completion "--completion bash failed"
# complete WORD... : COMPREPLY, one a line, sorted, for the command line "slim WORD..."
# (the last word is the one completed), as bash's programmable completion calls it
complete_bash() {
    (cd "$T/cwd" && bash --norc --noprofile -c '
        . "$1"; shift
        COMP_WORDS=(slim "$@"); COMP_CWORD=$#; COMP_LINE="slim $*"; COMP_POINT=${#COMP_LINE}
        _slim slim "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"' sh "$T/slim.bash" "$@") | sort
}
mkdir -p "$T/cwd/tree" && touch "$T/cwd/rules.txt" "$T/cwd/report.html" "$T/cwd/r *.txt"
got=$(complete_bash --dry)
if [ "$got" = --dry-run ]; then ok bash_dry "--dry -> --dry-run"
else bad bash_dry "--dry completes to '$got'"; fi
complete_bash -- >"$T/bash.opts" 2>&1
if cmp -s "$T/help.opts" "$T/bash.opts"; then ok bash_options "$n options, as --help"
else bad bash_options "'--' completes to other options than --help's: $(diff "$T/help.opts" "$T/bash.opts" | grep '^[<>]' | tr '\n' ' ')"; fi
got=$(complete_bash --rules r | tr '\n' '/')   # a name with a space and a star is one name
if [ "$got" = "r *.txt/report.html/rules.txt/" ]; then ok bash_files "--rules r -> $got"
else bad bash_files "--rules r completes to '$got'"; fi
got=$(complete_bash --jobs "" | tr '\n' ' ')
if [ -z "$got" ]; then ok bash_free_value "--jobs offers nothing"
else bad bash_free_value "--jobs completes to '$got'"; fi
# each option whose value the completion offers: every word offered is accepted by slim
# (--list-rules ends the parse before a run; a bad value is a usage error, status 2)
nvals=0
for o in --preset --dedup --compress --input --cuda-ptx; do
    words=$(complete_bash "$o" "" | tr '\n' ' ')
    [ -n "$words" ] || { bad "bash_values$o" "no value offered"; continue; }
    rejected=
    for w in $words; do
        nvals=$((nvals + 1))
        "$SLIM" "$o" "$w" --list-rules >/dev/null 2>"$T/err" || rejected="$rejected $w($(head -c 80 "$T/err"))"
    done
    if "$SLIM" "$o" no-such-value --list-rules >/dev/null 2>&1; then
        bad "bash_values$o" "slim accepts any value: the check cannot fail"
    elif [ -n "$rejected" ]; then bad "bash_values$o" "offered but refused:$rejected"
    else ok "bash_values$o" "$words"; fi
done
ran_some bash_values "$nvals" "value offered"
got=$(complete_bash --dedup=l | tr '\n' ' ')   # COMP_WORDBREAKS: "--dedup" "=" "l"
got2=$(complete_bash --dedup = l | tr '\n' ' ')
if [ "$got2" = "link " ]; then ok bash_equals "--dedup=l -> $got2"
else bad bash_equals "--dedup = l completes to '$got2' (one word: '$got')"; fi

# ---- zsh completion ---------------------------------------------------------------
"$SLIM" --completion zsh >"$T/_slim" || bad zsh_completion "--completion zsh failed"
grep -o "^	'\*\('{-.+\{0,1\},\)\{0,1\}--[a-z0-9-]*" "$T/_slim" | grep -o -- '--[a-z0-9-]*' | sort -u \
    >"$T/zsh.opts"
if cmp -s "$T/help.opts" "$T/zsh.opts"; then ok zsh_options "$n options, as --help"
else bad zsh_options "other options than --help's: $(diff "$T/help.opts" "$T/zsh.opts" | grep '^[<>]' | tr '\n' ' ')"; fi
if ! have zsh; then
    skp zsh_syntax "zsh missing"
elif out=$(zsh -n "$T/_slim" 2>&1); then ok zsh_syntax
else bad zsh_syntax "$out"; fi
# an interactive zsh (zpty) with the completion in its fpath: "slim --dry<TAB>" becomes
# "slim --dry-run", "slim --dedup <TAB>" lists the modes (each read waits for its text:
# the timeout ends a completion that never comes)
cat >"$T/drive.zsh" <<'EOF'
zmodload zsh/zpty || exit 3
zpty z 'zsh -f -i'
zpty -w z "PS1='> '; fpath=($1 \$fpath); autoload -U compinit; compinit -u -D; unsetopt beep; print RE''ADY"
zpty -r z out '*READY*' || exit 3
zpty -w -n z $'slim --dry\t'
zpty -r z out '*slim --dry-run*' && print dry-run
zpty -w -n z $'\C-u'
zpty -w -n z $'slim --dedup \t'
zpty -r z out '*link*off*report*' && print dedup-values
zpty -d z
EOF
if have zsh; then
    mkdir -p "$T/zfunc" && cp "$T/_slim" "$T/zfunc/_slim"
    out=$(cd "$T" && HOME=$T timeout 10 zsh -f "$T/drive.zsh" "$T/zfunc" 2>&1 | tr '\n' ' ')
    if [ "$out" = "dry-run dedup-values " ]; then ok zsh_complete "--dry -> --dry-run; --dedup: link off report"
    else bad zsh_complete "an interactive zsh completed: '$out'"; fi
else
    skp zsh_complete "zsh missing"
fi

# ---- make install -----------------------------------------------------------------
D=$T/dest
if ! make -C "$ROOT" --no-print-directory install DESTDIR="$D" PREFIX=/usr SLIM_BIN="$SLIM" \
        >"$T/install.log" 2>&1; then
    bad install "make install failed: $(tail -3 "$T/install.log" | tr '\n' ' ')"
else
    missing=
    docs=$(cd "$ROOT" && ls doc/*.md doc/*.yml | sed 's|^|share/doc/slim/|')  # README's links
    for f in bin/slim share/man/man1/slim.1 share/doc/slim/README.md share/doc/slim/CHANGELOG.md \
             share/doc/slim/LICENSE share/doc/slim/THIRD-PARTY.md $docs \
             share/bash-completion/completions/slim share/zsh/site-functions/_slim; do
        [ -s "$D/usr/$f" ] || missing="$missing $f"
    done
    if [ -n "$missing" ]; then bad install "not installed:$missing"; else ok install; fi
    b=$D/usr/bin/slim
    if ! [ -x "$b" ] || LC_ALL=C readelf -SW "$b" 2>&1 | grep -qE '\.symtab|\.debug_info|Error'; then
        bad install_stripped "$b is not executable or still has .symtab/.debug_info"
    elif ! LC_ALL=C readelf -SW "$SLIM" | grep -q '\.symtab'; then
        skp install_stripped "$SLIM has no .symtab to begin with"
    elif [ "$("$b" --version | head -1)" != "$v" ]; then
        bad install_stripped "the installed slim says '$("$b" --version | head -1)'"
    else
        ok install_stripped "$(stat -c %s "$SLIM") -> $(stat -c %s "$b") bytes"
    fi
    if cmp -s "$D/usr/share/bash-completion/completions/slim" "$T/slim.bash" &&
       cmp -s "$D/usr/share/zsh/site-functions/_slim" "$T/_slim"; then ok install_completions
    else bad install_completions "installed completions differ from slim --completion's"; fi
    make -C "$ROOT" --no-print-directory uninstall DESTDIR="$D" PREFIX=/usr >>"$T/install.log" 2>&1
    left=$(find "$D" -type f | sed "s|^$D/||" | tr '\n' ' ')
    if [ -z "$left" ]; then ok uninstall; else bad uninstall "left: $left"; fi
fi

# ---- the CI example ----------------------------------------------------------------
# The audit step's lines, their indentation removed, run with bash -e in a directory
# holding ./slim, against a tree where the python preset saves about half.
CI=$ROOT/doc/ci-example.yml
sed -n '/# >>> slim-audit/,/# <<< slim-audit/p' "$CI" | sed 's/^ *//' >"$T/ci-audit.sh"
lines=$(grep -cv '^#' "$T/ci-audit.sh")
run_ci() { # MAX_SAVING: the step's exit status; its output in $T/ci/out
    rm -rf "$T/ci" && mkdir -p "$T/ci/tree/pkg/__pycache__"
    head -c 3000 /dev/zero | tr '\0' x | sed 's/^/# /' >"$T/ci/tree/pkg/mod.py"
    head -c 3000 /dev/urandom >"$T/ci/tree/pkg/__pycache__/mod.cpython-311.pyc"
    ln -s "$SLIM" "$T/ci/slim"
    (cd "$T/ci" && SLIM_INPUT=tree SLIM_MAX_SAVING=$1 bash -e "$T/ci-audit.sh" >out 2>&1)
}
if [ "$lines" -lt 3 ] || ! grep -q -- '--fail-if-saving-over' "$T/ci-audit.sh" ||
   ! grep -q -- '--json' "$T/ci-audit.sh"; then
    bad ci_example "no audit step with --json and --fail-if-saving-over between the markers in $CI"
elif ! have jq; then
    skp ci_example "jq missing (the example's summary uses it)"
else
    run_ci 10%; rc=$?
    saved=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["bytes_saved"])' \
            "$T/ci/slim-report.json" 2>&1)
    if [ $rc -ne 4 ]; then bad ci_over "exit $rc, not 4, at 10%: $(tail -3 "$T/ci/out" | tr '\n' ' ')"
    elif ! [ "$saved" -ge 3000 ] 2>/dev/null; then bad ci_over "report: bytes_saved '$saved'"
    elif ! grep -q "slim would save $saved of" "$T/ci/out"; then bad ci_over "no summary line: $(head -2 "$T/ci/out")"
    else ok ci_over "exit 4, $saved bytes"; fi
    run_ci 90%; rc=$?
    if [ $rc -ne 0 ]; then bad ci_under "exit $rc at 90%: $(tail -3 "$T/ci/out" | tr '\n' ' ')"
    elif ! $PY -m json.tool "$T/ci/slim-report.json" >/dev/null 2>&1; then bad ci_under "the report does not parse"
    else ok ci_under "exit 0"; fi
    run_ci 5X; rc=$?
    if [ $rc -eq 2 ]; then ok ci_bad_limit "exit 2"
    else bad ci_bad_limit "exit $rc for a limit of 5X"; fi
fi
finish
