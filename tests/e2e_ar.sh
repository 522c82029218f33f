#!/usr/bin/env bash
# e2e_ar.sh SLIM FIXTURES - end-to-end tests of ET_REL and static-archive stripping
# (strip-spec section 6, cases 13-29, plus the object/.ko/truncation/dry-run/idempotence
# cases for archives).
#
# FIXTURES is the output of corpus/build-ar-fixtures.sh. Every case works on fresh copies
# in its own temporary directory under ${TMPDIR:-/tmp}. Prints "ok NAME", "FAIL NAME: why"
# or "skip NAME: why" per case, then "N passed, N failed, N skipped"; exits 1 if any case
# failed. A case is skipped only when a tool (or the fixture that needs it) is missing.
# Set KEEP=1 to keep the work directory, VERBOSE=1 to print each case's time and log,
# TIMING=1 to print each case's wall time.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 SLIM FIXTURES" >&2
	exit 2
fi
SLIM=$(realpath "$1")
FIX=$(realpath "$2")
if [ ! -x "$SLIM" ]; then
	echo "e2e_ar: '$SLIM' is missing or not executable (make build/san/slim)" >&2
	exit 2
fi
if [ ! -d "$FIX" ] || [ ! -f "$FIX/BUILT" ] || [ ! -d "$FIX/src" ]; then
	echo "e2e_ar: '$FIX' holds no fixtures (corpus/build-ar-fixtures.sh $FIX)" >&2
	exit 2
fi
. "$(dirname "$0")/lib.sh"
lib_init e2e_ar
CASE_EXIT=1 # fail, skipcase, need and need_fix end the case
for t in "$PY" readelf nm ar cmp sha256sum; do
	if [ -z "$t" ] || ! have "$t"; then
		echo "e2e_ar: python3, readelf, nm, ar, cmp and sha256sum are required" >&2
		exit 2
	fi
done
if ! have rustc && [ -x "$HOME/.cargo/bin/rustc" ]; then
	PATH=$PATH:$HOME/.cargo/bin
fi
SRC=$FIX/src

LLVM_STRIP=$(first_tool llvm-strip-14 llvm-strip llvm-strip-15 llvm-strip-16)
LLVM_READOBJ=$(first_tool llvm-readobj-14 llvm-readobj llvm-readobj-15 llvm-readobj-16)
LLVM_READELF=$(first_tool llvm-readelf-14 llvm-readelf llvm-readelf-15 llvm-readelf-16)
LLVM_NM=$(first_tool llvm-nm-14 llvm-nm llvm-nm-15 llvm-nm-16)
LLD=$(first_tool ld.lld ld.lld-14 ld.lld-15 ld.lld-16)
LLVMGOLD=""
for g in /usr/lib/llvm-14/lib/LLVMgold.so /usr/lib/bfd-plugins/LLVMgold-14.so; do
	[ -f "$g" ] && LLVMGOLD=$g && break
done

# ---- python helper: ar and ELF parsing without BFD, JSON queries ----------------------------
PYH=$T/arhelp.py
cat >"$PYH" <<'PY'
import hashlib, json, struct, sys

# ---------------------------------------------------------------- ar
def ar_parse(path):
    """Members of a GNU/SysV archive: dicts with off, raw header fields, name, data."""
    b = open(path, 'rb').read()
    if b[:8] != b'!<arch>\n':
        raise SystemExit('%s: not a !<arch> archive (%r)' % (path, b[:8]))
    o, mem, longnames = 8, [], None
    while o < len(b):
        if o + 60 > len(b):
            raise SystemExit('%s: truncated header at %d' % (path, o))
        h = b[o:o + 60]
        if h[58:60] != b'`\n':
            raise SystemExit('%s: bad header magic at %d' % (path, o))
        raw = h[:16].decode('latin1')
        size = int(h[48:58])
        data = b[o + 60:o + 60 + size]
        if len(data) != size:
            raise SystemExit('%s: truncated member at %d' % (path, o))
        m = dict(off=o, rawname=raw, mtime=h[16:28].decode().strip(), uid=h[28:34].decode().strip(),
                 gid=h[34:40].decode().strip(), mode=h[40:48].decode().strip(), size=size, data=data,
                 pad=b[o + 60 + size:o + 61 + size] if size & 1 else b'')
        n = raw.rstrip(' ')
        if n == '//':
            longnames = data
            m['name'] = '//'
        elif n in ('/', '/SYM64/'):
            m['name'] = n
        elif n.startswith('/') and n[1:].isdigit():
            k = int(n[1:])
            m['name'] = longnames[k:longnames.index(b'/\n', k)].decode('latin1')
        else:
            m['name'] = n[:-1] if n.endswith('/') else n
        mem.append(m)
        if size & 1 and m['pad'] != b'\n':
            raise SystemExit('%s: bad pad byte after member at %d' % (path, o))
        o += 60 + size + (size & 1)
    return b, mem

def armap(path):
    """[(symbol, member ordinal, member name)] from '/' or '/SYM64/'; every offset must be
    the header of a real member. Ordinals count only real members (not /, //)."""
    b, mem = ar_parse(path)
    real = [m for m in mem if m['name'] not in ('/', '/SYM64/', '//')]
    byoff = {m['off']: (i, m['name']) for i, m in enumerate(real)}
    maps = [m for m in mem if m['name'] in ('/', '/SYM64/')]
    if not maps:
        return None, []
    m = maps[0]
    if mem.index(m) != 0:
        raise SystemExit('%s: armap is not the first member' % path)
    w = 8 if m['name'] == '/SYM64/' else 4
    d = m['data']
    n = int.from_bytes(d[:w], 'big')
    offs = [int.from_bytes(d[w + i * w:w + (i + 1) * w], 'big') for i in range(n)]
    names = d[w + n * w:].split(b'\0')[:n]
    out = []
    for s, off in zip(names, offs):
        if off not in byoff:
            raise SystemExit('%s: armap entry %s -> offset %d is not a member header'
                             % (path, s.decode(), off))
        i, name = byoff[off]
        out.append((s.decode('latin1'), i, name))
    return m['name'], out

def cmd_armap(path):
    kind, ents = armap(path)
    print('kind', kind)
    for s, i, name in ents:
        print(s, i, name)

def cmd_members(path):
    """One line per member: ordinal name rawname mtime uid gid mode size sha elf|other
    (spaces in fields shown as ~, empty fields as -)."""
    b, mem = ar_parse(path)
    i = 0
    for m in mem:
        if m['name'] in ('/', '/SYM64/', '//'):
            ordv = m['name']
        else:
            ordv = str(i)
            i += 1
        kind = 'elf' if m['data'][:4] == b'\x7fELF' else 'other'
        f = lambda v: v.replace(' ', '~') or '-'
        print(ordv, f(m['name']), f(m['rawname']), f(m['mtime']), f(m['uid']), f(m['gid']),
              f(m['mode']), m['size'], hashlib.sha256(m['data']).hexdigest()[:16], kind)

def cmd_extract(path, ordv, out):
    b, mem = ar_parse(path)
    real = [m for m in mem if m['name'] not in ('/', '/SYM64/', '//')]
    open(out, 'wb').write(real[int(ordv)]['data'])

def cmd_cutpoint(path, ordv):
    """File offset in the middle of the data of real member ORD."""
    b, mem = ar_parse(path)
    m = [x for x in mem if x['name'] not in ('/', '/SYM64/', '//')][int(ordv)]
    print(m['off'] + 60 + m['size'] // 2)

# ---------------------------------------------------------------- ELF
class Elf:
    def __init__(self, path):
        b = self.b = open(path, 'rb').read()
        if b[:4] != b'\x7fELF':
            raise SystemExit(path + ': not ELF')
        self.c64 = b[4] == 2
        e = self.e = '<' if b[5] == 1 else '>'
        if self.c64:
            h = struct.unpack_from(e + 'HHIQQQIHHHHHH', b, 16)
        else:
            h = struct.unpack_from(e + 'HHIIIIIHHHHHH', b, 16)
        (self.type, _, _, _, _, shoff, _, _, _, _, shesz, shnum, shstrndx) = h
        self.e_shnum, self.e_shstrndx = shnum, shstrndx
        fmt = e + ('IIQQQQIIQQ' if self.c64 else 'IIIIIIIIII')
        def sh(i):
            v = struct.unpack_from(fmt, b, shoff + i * shesz)
            return dict(name_off=v[0], type=v[1], flags=v[2], offset=v[4], size=v[5], link=v[6],
                        info=v[7], align=v[8], entsize=v[9])
        s0 = sh(0)
        if shnum == 0:
            shnum = s0['size']
        if shstrndx == 0xffff:
            shstrndx = s0['link']
        self.shnum, self.shstrndx = shnum, shstrndx
        self.sh = [sh(i) for i in range(shnum)]
        st = self.sh[shstrndx]
        for s in self.sh:
            s['name'] = self.cstr(st['offset'] + s['name_off'])

    def cstr(self, o):
        return self.b[o:self.b.index(b'\0', o)].decode('latin1')

    def data(self, s):
        return self.b[s['offset']:s['offset'] + s['size']] if s['type'] != 8 else b''

    def syms(self, symidx):
        s = self.sh[symidx]
        strs = self.sh[s['link']]
        out = []
        fmt = self.e + ('IBBHQQ' if self.c64 else 'IIIBBH')
        for k in range(s['size'] // s['entsize']):
            v = struct.unpack_from(fmt, self.b, s['offset'] + k * s['entsize'])
            if self.c64:
                nm, info, other, shndx, value, size = v
            else:
                nm, value, size, info, other, shndx = v
            out.append(dict(name=self.cstr(strs['offset'] + nm), bind=info >> 4, type=info & 15,
                            shndx=shndx, value=value))
        return out

    def symtab(self):
        for i, s in enumerate(self.sh):
            if s['type'] == 2:
                return i
        return None

def sym_secname(e, sym, shndx_tab):
    x = sym['shndx']
    if x == 0xffff and shndx_tab is not None:
        x = shndx_tab
    if x == 0:
        return 'UND'
    if x >= 0xff00 and sym['shndx'] != 0xffff:
        return 'ABS' if x == 0xfff1 else ('COM' if x == 0xfff2 else hex(x))
    return e.sh[x]['name']

def cmd_groups(path):
    """One line per SHT_GROUP: name, flag word, signature (name, bind, section), member names."""
    e = Elf(path)
    for i, s in enumerate(e.sh):
        if s['type'] != 17:
            continue
        d = e.data(s)
        words = struct.unpack(e.e + '%dI' % (len(d) // 4), d)
        syms = e.syms(s['link'])
        sig = syms[s['info']]
        members = ','.join(e.sh[w]['name'] for w in words[1:])
        print('%s flag=0x%08x sig=%s bind=%d sec=%s members=%s' % (
            s['name'], words[0], sig['name'], sig['bind'],
            sym_secname(e, sig, None), members))

def cmd_sections(path):
    e = Elf(path)
    for s in e.sh[1:]:
        print(s['name'])

def cmd_sections_full(path):
    """index name type link-name info: enough to see that links are consistent."""
    e = Elf(path)
    for i, s in enumerate(e.sh):
        ln = e.sh[s['link']]['name'] if s['link'] < e.shnum else '?'
        print(i, s['name'], s['type'], s['flags'], ln, s['info'], s['size'])

def cmd_shinfo(path):
    """Facts for the many-sections case, as key=value."""
    e = Elf(path)
    st = e.symtab()
    nsym = e.sh[st]['size'] // e.sh[st]['entsize']
    shx = [s for s in e.sh if s['type'] == 18]
    print('e_shnum=%d e_shstrndx=%d shnum=%d shstrndx=%d shstrname=%s nsym=%d shndx_size=%s '
          'shndx_link_ok=%s symtab_info=%d' % (
              e.e_shnum, e.e_shstrndx, e.shnum, e.shstrndx, e.sh[e.shstrndx]['name'], nsym,
              shx[0]['size'] if shx else 'none',
              (e.sh[shx[0]['link']]['type'] == 2) if shx else 'none', e.sh[st]['info']))

def cmd_symtab_check(path):
    """sh_info of .symtab must be the index of the first non-local; all locals before it."""
    e = Elf(path)
    st = e.symtab()
    syms = e.syms(st)
    info = e.sh[st]['info']
    first = next((i for i, s in enumerate(syms) if s['bind'] != 0), len(syms))
    bad = [i for i, s in enumerate(syms) if (s['bind'] == 0) != (i < first)]
    print('info=%d first_global=%d nsyms=%d misplaced=%s' % (info, first, len(syms), bad))
    sys.exit(0 if info == first and not bad else 1)

def cmd_addrsig(path):
    e = Elf(path)
    for s in e.sh:
        if s['type'] == 0x6fff4c03:
            print('link=%d bytes=%s' % (s['link'], e.data(s).hex()))
            return
    print('none')

def cmd_symnames(path):
    """name bind type section, for non-SECTION, non-FILE symbols (cross-arch comparison)."""
    e = Elf(path)
    st = e.symtab()
    for s in e.syms(st)[1:]:
        if s['type'] in (3, 4):
            continue
        print(s['name'], s['bind'], s['type'], sym_secname(e, s, None))

# ---------------------------------------------------------------- JSON report
def cmd_json(path, expr):
    r = json.load(open(path))
    v = eval(expr, {'r': r})
    print(json.dumps(v) if isinstance(v, (dict, list)) else v)

cmds = dict(armap=cmd_armap, members=cmd_members, extract=cmd_extract, cutpoint=cmd_cutpoint,
            groups=cmd_groups,
            sections=cmd_sections, sections_full=cmd_sections_full, shinfo=cmd_shinfo,
            symtab_check=cmd_symtab_check, addrsig=cmd_addrsig, symnames=cmd_symnames,
            json=cmd_json)
cmds[sys.argv[1]](*sys.argv[2:])
PY
pyh() { "$PY" "$PYH" "$@"; }

# ---- running slim in a case (tests/lib.sh runs the cases; fail and skipcase end one) ------
# slimj REPORT ARGS...: run slim --json, keep the report; returns slim's exit code.  Its
# stderr is searched for sanitizer reports (tests/lib.sh), whatever the exit code.
slimj() {
	local rep=$1 rc
	shift
	"$SLIM" --json "$@" >"$rep" 2>"$rep.err"
	rc=$?
	cat "$rep.err" >>"$CASE_DIR/.slim-stderr"
	return $rc
}
# slim_ok REPORT ARGS...: as slimj, but the run must exit 0 and print a parsable report.
slim_ok() {
	local rep=$1 rc
	shift
	slimj "$rep" "$@"
	rc=$?
	[ $rc -eq 0 ] || fail "slim $* exited $rc: $(head -c 400 "$rep.err")"
	pyh json "$rep" 'r["exit_status"]' >/dev/null 2>&1 || fail "slim $*: unparsable JSON report"
	if grep -q 'runtime error\|AddressSanitizer\|LeakSanitizer' "$rep.err"; then
		fail "sanitizer report: $(grep -m1 'runtime error\|Sanitizer' "$rep.err")"
	fi
}
jq_() { pyh json "$@"; }
# saved REPORT NAME: bytes_saved for the path NAME (or a path ending in /NAME) in changes
saved() {
	jq_ "$1" "sum(c['bytes_saved'] for c in r['changes'] if ('/' + c['path']).endswith('/' + '$2'.lstrip('/')))"
}
# skipreason REPORT NAME: the skip reason(s) reported for NAME
skipreason() {
	jq_ "$1" "' '.join(s['reason'] for s in r['skips'] if ('/' + s['path']).endswith('/' + '$2'.lstrip('/')))"
}
# index block of nm --print-armap
armap_index() { nm --print-armap "$1" 2>/dev/null | sed -n '/^Archive index:/,/^$/p'; }
# same_bytes A B: fail unless identical
same_bytes() { cmp -s "$1" "$2" || fail "$3: $1 and $2 differ"; }
DEBUG_RE='^\.(rela?)?(\.debug|\.zdebug|\.gnu\.debuglto_\.debug_|\.gnu\.linkonce\.wi\.|\.line|\.stab|\.gdb_index)'
# reloc_lines OBJ: "section offset type symvalue name+addend" for every relocation (the
# Info column, which holds the symbol index, is dropped)
reloc_lines() {
	readelf -rW "$1" | awk '
		/^Relocation section/ { s = $3; gsub(/'\''/, "", s); next }
		/^ *[0-9a-f]+ +[0-9a-f]+ +R_/ { $2 = ""; print s, $0 }'
}

# ---- cases -------------------------------------------------------------------------------------

# 13. ET_REL symbol rule: slim's symbol set equals GNU strip --strip-unneeded's, except that
# slim may keep undefined globals that no kept relocation uses.
c13_symbols() {
	need_fix -g ab a.o
	need_fix -g asm s.o
	need strip
	local f extra
	for f in a s; do
		cp "$FIX/$f.o" "$f.o"
		cp "$FIX/$f.o" "$f.gnu.o"
		strip --strip-unneeded "$f.gnu.o" || fail "GNU strip failed on $f.o"
	done
	slim_ok rep --strip-objects a.o s.o
	for f in a s; do
		[ "$(saved rep /$f.o)" -gt 0 ] 2>/dev/null || [ "$(saved rep $f.o)" -gt 0 ] ||
			fail "$f.o not reported as changed"
		nm -a "$f.gnu.o" | sort >"$f.gnu.nm"
		nm -a "$f.o" | sort >"$f.slim.nm"
		# lines only GNU has: slim dropped something GNU keeps
		comm -23 "$f.gnu.nm" "$f.slim.nm" >"$f.missing"
		[ -s "$f.missing" ] && fail "$f.o: slim dropped symbols GNU keeps: $(tr '\n' ';' <"$f.missing")"
		# lines only slim has: allowed only for undefined symbols no kept relocation uses
		comm -13 "$f.gnu.nm" "$f.slim.nm" >"$f.extra"
		extra=$(grep -v '^ *U ' "$f.extra")
		[ -n "$extra" ] && fail "$f.o: slim kept symbols GNU drops: $(echo "$extra" | tr '\n' ';')"
		while read -r _ name; do
			reloc_lines "$f.o" | awk -v n="$name" '$5 == n' | grep -q . &&
				fail "$f.o: undefined $name is used by a relocation but GNU dropped it"
		done <"$f.extra"
		pyh symtab_check "$f.o" >"$f.sc" || fail "$f.o .symtab sh_info: $(cat "$f.sc")"
		# readelf's own Inf column agrees
		local inf first
		inf=$(readelf -SW "$f.o" | awk '$2 == ".symtab" { print $(NF-1) } $3 == ".symtab" { print $(NF-1) }')
		first=$(readelf -sW "$f.o" | awk '$5 != "LOCAL" && $1 ~ /^[0-9]+:$/ { sub(":", "", $1); print $1; exit }')
		[ "$inf" = "$first" ] || fail "$f.o: readelf .symtab Inf=$inf, first global=$first"
		readelf -SW "$FIX/$f.o" | grep -Eq ' \.debug_| \.rela\.debug_' || fail "fixture $f.o has no debug sections"
		pyh sections "$f.o" | grep -E "$DEBUG_RE" && fail "$f.o: debug sections left"
		for s in .note.GNU-stack .comment; do
			[ "$f" = s ] && [ "$s" = .comment ] && continue
			pyh sections "$f.o" | grep -qx -- "$s" || fail "$f.o: $s removed"
		done
		# section list equals GNU's
		diff <(pyh sections "$f.gnu.o" | grep -v '^\.rela\?\.') <(pyh sections "$f.o" | grep -v '^\.rela\?\.') >/dev/null ||
			fail "$f.o: non-relocation section list differs from GNU's"
	done
	return 0
}

# 14. relocations: same (offset, type, symbol name, addend) in every kept section.
c14_relocs() {
	need_fix -g ab a.o
	need_fix -g asm s.o
	# (clang's c.o is checked the same way in case 19)
	local objs="a.o s.o" f
	[ -f "$FIX/dt_gcc.o" ] && objs="$objs dt_gcc.o"
	for f in $objs; do cp "$FIX/$f" .; done
	# shellcheck disable=SC2086
	slim_ok rep --strip-objects $objs
	for f in $objs; do
		[ "$(saved rep "$f")" -gt 0 ] || fail "$f not stripped: $(skipreason rep "$f")"
		reloc_lines "$FIX/$f" | awk '$1 !~ /^\.rela?\.debug/' >"$f.before"
		reloc_lines "$f" >"$f.after"
		[ -s "$f.before" ] || fail "$f: fixture has no kept relocations"
		diff "$f.before" "$f.after" >"$f.diff" ||
			fail "$f: relocations differ: $(head -n 4 "$f.diff" | tr '\n' ';')"
		# every kept REL/RELA still points at the right target and at .symtab
		pyh sections_full "$f" | awk '$3 == 4 || $3 == 9' >"$f.rel"
		while read -r _ name _ _ lname info _; do
			[ "$lname" = .symtab ] || fail "$f: $name sh_link -> $lname"
			tgt=$(pyh sections_full "$f" | awk -v i="$info" '$1 == i { print $2 }')
			[ "$name" = ".rela$tgt" ] || [ "$name" = ".rel$tgt" ] || fail "$f: $name sh_info -> $tgt"
		done <"$f.rel"
	done
	return 0
}

# 15. link test with libab.a; GNU_STACK stays RW.
c15_link() {
	need_fix -g ab libab.a
	need gcc
	cp "$FIX/libab.a" orig.a
	cp "$FIX/libab.a" libab.a
	slim_ok rep libab.a
	[ "$(saved rep libab.a)" -gt 0 ] || fail "libab.a not reported as changed"
	[ "$(jq_ rep 'r["archives"]["members_stripped"]')" = 2 ] ||
		fail "members_stripped != 2: $(jq_ rep 'r["archives"]')"
	[ "$(stat -c %s libab.a)" -lt "$(stat -c %s orig.a)" ] || fail "libab.a did not shrink"
	gcc -o m.orig "$SRC/main_ab.c" orig.a -lstdc++ 2>link.orig || fail "link with original failed"
	gcc -o m.new "$SRC/main_ab.c" libab.a -lstdc++ 2>link.new ||
		fail "link with stripped libab.a failed: $(head -c 300 link.new)"
	grep -qi 'GNU-stack\|executable stack' link.new && fail "linker warning: $(cat link.new)"
	[ "$(./m.orig)" = "$(./m.new)" ] || fail "output differs: '$(./m.orig)' vs '$(./m.new)'"
	./m.new | grep -q 'b says 24' || fail "unexpected output $(./m.new)"
	readelf -lW m.new | grep -q 'GNU_STACK' || fail "no GNU_STACK header"
	readelf -lW m.new | awk '/GNU_STACK/ { print $(NF-1) }' | grep -qx RW ||
		fail "GNU_STACK is $(readelf -lW m.new | awk '/GNU_STACK/ { print $(NF-1) }')"
	for i in 0 1; do
		pyh extract libab.a $i mem$i.o
		pyh sections mem$i.o | grep -qx .note.GNU-stack || fail "member $i lost .note.GNU-stack"
	done
	diff <(armap_index orig.a) <(armap_index libab.a) >/dev/null || fail "armap changed"
	return 0
}

# 16. COMDAT groups kept and renumbered; local-signature group keeps its flag word.
c16_comdat() {
	need_fix -g ab a.o
	need_fix -g asm s.o
	local f
	cp "$FIX/a.o" "$FIX/s.o" .
	slim_ok rep --strip-objects a.o s.o
	for f in a.o s.o; do
		# members that were removed (debug) drop out of the expected lists
		pyh groups "$FIX/$f" | sed -E 's/members=/&,/; s/,\.rela?\.debug[^,]*//g; s/,\.debug[^,]*//g; s/members=,/members=/' >"$f.g.before"
		pyh groups "$f" >"$f.g.after"
		[ -s "$f.g.before" ] || fail "$f: fixture has no groups"
		diff "$f.g.before" "$f.g.after" >"$f.g.diff" ||
			fail "$f: groups differ: $(tr '\n' ';' <"$f.g.diff")"
		# readelf agrees on names (it resolves the member indices itself)
		readelf -gW "$FIX/$f" | sed -E 's/\[ *[0-9]+\]//g' | grep -v '\.debug' >"$f.rg.before"
		readelf -gW "$f" | sed -E 's/\[ *[0-9]+\]//g' >"$f.rg.after"
		sed -i "s|$FIX/||" "$f.rg.before"
		diff "$f.rg.before" "$f.rg.after" >/dev/null ||
			fail "$f: readelf -g differs: $(diff "$f.rg.before" "$f.rg.after" | tr '\n' ';')"
	done
	grep -q 'COMDAT group section .* \[_Z3inli\]' a.o.rg.after || fail "a.o: no COMDAT group _Z3inli"
	grep -q 'COMDAT group section .* \[_Z4tmaxIiET_S0_S0_\]' a.o.rg.after || fail "a.o: no COMDAT group tmax"
	grep -q 'sig=localsig bind=0 sec=.text.localsig' s.o.g.after || fail "s.o: local signature lost"
	grep -q 'flag=0x00000001 sig=localsig' s.o.g.after || fail "s.o: localsig flag word changed"
	grep -q 'flag=0x00000000 sig=grp0sig' s.o.g.after || fail "s.o: grp0sig flag word changed"
	return 0
}

# 17. debug-only groups disappear with their signatures; the object still links.
c17_debug_groups() { # FIXTURE GROUP
	need g++
	need_fix -g "$2" "$1"
	local f=$1 sigs s
	{
		cp "$FIX/$f" .
		pyh groups "$f" >"$f.g.before"
		[ -s "$f.g.before" ] || fail "$f: fixture has no groups"
		grep -qv 'members=\.debug' "$f.g.before" && fail "$f: fixture has a non-debug group"
		slim_ok "rep.$f" --strip-objects "$f"
		[ "$(saved "rep.$f" "$f")" -gt 0 ] || fail "$f not stripped: $(skipreason "rep.$f" "$f")"
		pyh sections_full "$f" | awk '$3 == 17' | grep -q . && fail "$f: SHT_GROUP left"
		readelf -gW "$f" | grep -qi 'There are no section groups' || fail "$f: readelf -g still shows groups"
		sigs=$(sed -E 's/.* sig=([^ ]*) .*/\1/' "$f.g.before" | sort -u)
		for s in $sigs; do
			nm -a "$f" | awk '{ print $NF }' | grep -qx -- "$s" && fail "$f: signature $s kept"
		done
		g++ -o "m.$f" "$SRC/main_dt.cc" "$f" 2>"link.$f" || fail "g++ link with $f failed: $(head -c 300 "link.$f")"
		[ "$(./"m.$f")" = "area=12" ] || fail "$f: wrong output $(./"m.$f")"
	}
	return 0
}
c17_gcc() { c17_debug_groups dt_gcc.o dt_gcc; }
c17_clang() { c17_debug_groups dt_clang.o dt_clang; }

# 18. 66,000 sections: extended numbering and .symtab_shndx stay consistent.
c18_many_sections() {
	need_fix -g many many.o
	need gcc
	cp "$FIX/many.o" .
	pyh shinfo many.o >before
	slim_ok rep --strip-objects many.o
	[ "$(saved rep many.o)" -gt 0 ] || fail "many.o not stripped: $(skipreason rep many.o)"
	pyh shinfo many.o >after
	kv() { tr ' ' '\n' <after | sed -n "s/^$1=//p"; }
	local shnum shstrndx nsym
	shnum=$(kv shnum)
	shstrndx=$(kv shstrndx)
	nsym=$(kv nsym)
	[ "$(kv e_shnum)" = 0 ] || fail "e_shnum=$(kv e_shnum), expected 0 (extended)"
	[ "$(kv e_shstrndx)" = 65535 ] || fail "e_shstrndx=$(kv e_shstrndx), expected 65535"
	[ "$(kv shstrname)" = .shstrtab ] || fail "shstrndx $shstrndx names '$(kv shstrname)'"
	[ "$(kv shndx_size)" = $((4 * nsym)) ] || fail ".symtab_shndx size $(kv shndx_size) != 4 x $nsym"
	[ "$(kv shndx_link_ok)" = True ] || fail ".symtab_shndx sh_link is not .symtab"
	[ "$nsym" -lt "$(sed -E 's/.* nsym=([0-9]+) .*/\1/' before)" ] || fail "no symbol removed"
	readelf -hW many.o >h 2>&1
	grep -Eq "Number of section headers: +0 \($shnum\)" h || fail "readelf -h: $(grep 'Number of section headers' h)"
	grep -Eq "Section header string table index: +65535 \($shstrndx\)" h || fail "readelf -h: $(grep 'string table index' h)"
	readelf -SW many.o 2>&1 | grep -q 'Warning\|Error' && fail "readelf -S complains"
	nm many.o | grep -Eq ' [tT] l[0-9]+$' && fail "local labels l* kept"
	[ "$(nm many.o | grep -c ' T f[0-9]*$')" = 66000 ] || fail "global f* count $(nm many.o | grep -c ' T f')"
	reloc_lines many.o | grep -q '\.text\.f65999' || fail ".rela.text lost its reference to .text.f65999"
	diff <(reloc_lines "$FIX/many.o") <(reloc_lines many.o) >/dev/null || fail "relocations differ"
	gcc -o m "$SRC/main_many.c" many.o 2>link.log || fail "link failed: $(head -c 300 link.log)"
	[ "$(./m)" = "many 0 123 65999 123" ] || fail "wrong output: $(./m)"
	return 0
}

# 19. .llvm_addrsig: sh_link 0 or the same symbol names; lld ICF links and behaves.
c19_addrsig() {
	need_fix -g addrsig c.o
	need clang "${LLD:-ld.lld}"
	cp "$FIX/c.o" .
	[ "$(pyh addrsig c.o)" != none ] || fail "fixture has no .llvm_addrsig"
	slim_ok rep --strip-objects c.o
	[ "$(saved rep c.o)" -gt 0 ] || fail "c.o not stripped: $(skipreason rep c.o)"
	pyh addrsig c.o >after
	grep -q '^link=' after || fail ".llvm_addrsig removed"
	reloc_lines "$FIX/c.o" | awk '$1 !~ /^\.rela?\.debug/' >r.before
	reloc_lines c.o >r.after
	diff r.before r.after >/dev/null || fail "relocations differ: $(diff r.before r.after | head -n 4 | tr '\n' ';')"
	if ! grep -q '^link=0 ' after; then
		[ -n "$LLVM_READOBJ" ] || skipcase "llvm-readobj not found (sh_link kept, names not checkable)"
		"$LLVM_READOBJ" --addrsig "$FIX/c.o" 2>&1 | awk '$1 == "Sym:" { print $2 }' >n.before
		"$LLVM_READOBJ" --addrsig c.o 2>&1 | awk '$1 == "Sym:" { print $2 }' >n.after
		[ -s n.before ] || fail "llvm-readobj shows no addrsig symbols in the fixture"
		diff n.before n.after >/dev/null || fail "addrsig names differ: $(tr '\n' ' ' <n.before) vs $(tr '\n' ' ' <n.after)"
	fi
	# lld reads the table (or, with sh_link 0, treats every symbol as significant)
	clang -fuse-ld=lld -Wl,--icf=safe -o safe.orig "$SRC/main_c.c" "$FIX/c.o" 2>/dev/null || fail "link of original failed"
	clang -fuse-ld=lld -Wl,--icf=safe -o safe.new "$SRC/main_c.c" c.o 2>link.safe || fail "icf=safe link failed: $(head -c 300 link.safe)"
	[ "$(./safe.orig)" = "$(./safe.new)" ] || fail "icf=safe: '$(./safe.orig)' vs '$(./safe.new)'"
	./safe.new | grep -q 'g1 != g2' || fail "icf=safe folded address-taken functions: $(./safe.new)"
	clang -fuse-ld=lld -Wl,--icf=all -o all.new "$SRC/main_c.c" c.o 2>link.all || fail "icf=all link failed: $(head -c 300 link.all)"
	./all.new | grep -q ', 11 11 22 11$' || fail "icf=all: wrong output $(./all.new)"
	return 0
}

# 20. GCC slim LTO member: byte-identical, armap entries kept, -flto link works.
c20_gcc_lto() {
	need_fix -g lto liblto.a
	need gcc
	cp "$FIX/liblto.a" orig.a
	cp "$FIX/liblto.a" liblto.a
	slim_ok rep liblto.a
	[ "$(saved rep liblto.a)" -gt 0 ] || fail "liblto.a not rewritten (helper.o has debug info): $(skipreason rep liblto.a)"
	[ "$(jq_ rep 'r["archives"]["members_skipped"].get("lto", {}).get("files")')" = 1 ] ||
		fail "members_skipped.lto != 1: $(jq_ rep 'r["archives"]["members_skipped"]')"
	mkdir o n
	(cd o && ar x ../orig.a) && (cd n && ar x ../liblto.a) || fail "ar x failed"
	cmp -s o/lto.o n/lto.o || fail "lto.o member changed"
	readelf -SW n/lto.o | grep -q '\.gnu\.lto_' || fail "no .gnu.lto_ sections"
	armap_index liblto.a | grep -qx 'lto_api in lto.o' || fail "armap lost lto_api"
	diff <(armap_index orig.a) <(armap_index liblto.a) >/dev/null || fail "armap changed"
	pyh armap liblto.a >/dev/null || fail "armap offsets invalid"
	gcc -O2 -flto -o m.orig "$SRC/main_lto.c" orig.a 2>/dev/null || fail "link with original failed"
	gcc -O2 -flto -o m.new "$SRC/main_lto.c" liblto.a 2>link.log || fail "gcc -flto link failed: $(head -c 300 link.log)"
	[ "$(./m.new)" = "$(./m.orig)" ] && [ "$(./m.new)" = "lto 13 17" ] || fail "wrong output: $(./m.new)"
	return 0
}

# 21. fat LTO member: kept byte for byte; links with and without -flto.
c21_fat_lto() {
	need_fix -g fat libfat.a
	need gcc
	cp "$FIX/libfat.a" orig.a
	cp "$FIX/libfat.a" libfat.a
	slim_ok rep libfat.a
	[ "$(saved rep libfat.a)" -gt 0 ] || fail "libfat.a not rewritten: $(skipreason rep libfat.a)"
	mkdir o n
	(cd o && ar x ../orig.a) && (cd n && ar x ../libfat.a) || fail "ar x failed"
	readelf -SW o/fat.o | grep -q '\.gnu\.lto_' || fail "fixture fat.o has no .gnu.lto_"
	readelf -SW o/fat.o | grep -q ' \.text ' || fail "fixture fat.o is not fat"
	cmp -s o/fat.o n/fat.o || fail "fat.o member changed (.gnu.lto_* must be kept)"
	cmp -s o/helper.o n/helper.o && fail "helper.o was not stripped"
	diff <(armap_index orig.a) <(armap_index libfat.a) >/dev/null || fail "armap changed"
	gcc -O2 -o m.plain "$SRC/main_lto.c" libfat.a 2>link1 || fail "plain link failed: $(head -c 300 link1)"
	gcc -O2 -flto -o m.lto "$SRC/main_lto.c" libfat.a 2>link2 || fail "-flto link failed: $(head -c 300 link2)"
	[ "$(./m.plain)" = "lto 13 17" ] && [ "$(./m.lto)" = "lto 13 17" ] || fail "wrong output: $(./m.plain) / $(./m.lto)"
	return 0
}

# 22. clang bitcode member: byte-identical, armap entries kept, lld (and bfd+LLVMgold) link.
c22_bitcode() {
	need_fix -g bitcode libbc.a
	need clang
	cp "$FIX/libbc.a" orig.a
	cp "$FIX/libbc.a" libbc.a
	slim_ok rep libbc.a
	[ "$(saved rep libbc.a)" -gt 0 ] || fail "libbc.a not rewritten: $(skipreason rep libbc.a)"
	[ "$(jq_ rep 'r["archives"]["members_skipped"].get("lto", {}).get("files")')" = 1 ] ||
		fail "members_skipped.lto != 1: $(jq_ rep 'r["archives"]["members_skipped"]')"
	pyh extract orig.a 1 bc.orig
	pyh extract libbc.a 1 bc.new
	[ "$(head -c 4 bc.orig | od -An -tx1 | tr -d ' ')" = 4243c0de ] || fail "member 1 is not bitcode"
	cmp -s bc.orig bc.new || fail "bitcode member changed"
	pyh armap orig.a >m.orig || fail "original armap unreadable"
	pyh armap libbc.a >m.new || fail "stripped armap invalid: $(cat m.new)"
	diff m.orig m.new >/dev/null || fail "armap differs: $(diff m.orig m.new | tr '\n' ';')"
	grep -qx 'bc_g1 1 bc.o' m.new && grep -qx 'bc_g2 1 bc.o' m.new || fail "armap lost bitcode symbols"
	need "${LLD:-ld.lld}"
	clang -flto -fuse-ld=lld -o m.lld "$SRC/main_bc.c" libbc.a 2>link.lld || fail "lld link failed: $(head -c 300 link.lld)"
	[ "$(./m.lld)" = "bc 82 10" ] || fail "lld: wrong output $(./m.lld)"
	if [ -n "$LLVMGOLD" ]; then
		clang -flto -fuse-ld=bfd -o m.bfd "$SRC/main_bc.c" libbc.a 2>link.bfd || fail "bfd (LLVMgold) link failed: $(head -c 300 link.bfd)"
		[ "$(./m.bfd)" = "bc 82 10" ] || fail "bfd: wrong output $(./m.bfd)"
	else
		skip_part bfd-link "LLVMgold.so (llvm-14) not found: the bfd -flto link is not tested"
	fi
	return 0
}

# 23. mixed archive: non-ELF members, //, duplicate names, armap offsets.
c23_mixed() {
	need_fix -g mixed libmix.a
	need gcc
	cp "$FIX/libmix.a" orig.a
	cp "$FIX/libmix.a" libmix.a
	slim_ok rep libmix.a
	[ "$(saved rep libmix.a)" -gt 0 ] || fail "libmix.a not rewritten: $(skipreason rep libmix.a)"
	pyh members orig.a >mem.orig || fail "original unreadable"
	pyh members libmix.a >mem.new || fail "stripped archive unreadable: $(cat mem.new)"
	[ "$(wc -l <mem.orig)" = "$(wc -l <mem.new)" ] || fail "member count changed"
	grep -c ' dup.o ' mem.orig | grep -qx 2 || fail "fixture lacks duplicate dup.o members"
	grep -q ' a_very_long_member_name_object.o ' mem.orig || fail "fixture lacks a long name"
	# headers are kept except size; ELF members shrink; others are byte-identical
	paste -d'\n' mem.orig mem.new | while read -r o && read -r n; do
		set -- $o
		local oname=$2 oraw=$3 orest="$4 $5 $6 $7" osha=$9 okind=${10}
		set -- $n
		[ "$2" = "$oname" ] && [ "$3" = "$oraw" ] && [ "$4 $5 $6 $7" = "$orest" ] ||
			fail "header of $oname changed: '$o' -> '$n'"
		if [ "$oname" = / ]; then
			: # the armap: checked below
		elif [ "$oname" = // ]; then
			[ "$9" = "$osha" ] || fail "// table changed"
		elif [ "$okind" = other ]; then
			[ "$9" = "$osha" ] || fail "non-ELF member $oname changed"
		fi
	done || exit 1
	grep -q '^// ' mem.new || fail "// table lost"
	# armap: same symbol -> member ordinal mapping, every offset at a header whose member
	# defines the symbol
	pyh armap orig.a >map.orig || fail "original armap unreadable"
	pyh armap libmix.a >map.new || fail "armap invalid: $(tail -n 1 map.new)"
	diff map.orig map.new >/dev/null || fail "armap mapping differs: $(diff map.orig map.new | tr '\n' ';')"
	diff <(armap_index orig.a) <(armap_index libmix.a) >/dev/null || fail "nm --print-armap index differs"
	local dup2
	dup2=$(awk '$2 == "dup.o" { i = $1 } END { print i }' mem.orig)
	grep -qx "dup_one $((dup2 - 1)) dup.o" map.new && grep -qx "dup_two $dup2 dup.o" map.new ||
		fail "dup_one/dup_two do not map to the first/second dup.o: $(grep dup_ map.new | tr '\n' ';')"
	tail -n +2 map.new | while read -r sym idx name; do
		pyh extract libmix.a "$idx" "m$idx"
		if [ "$(head -c 4 "m$idx" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
			nm --defined-only -g "m$idx" | awk '{ print $NF }' | grep -qx -- "$sym" ||
				fail "armap: $sym -> member $idx ($name), which does not define it"
		elif [ -n "$LLVM_NM" ]; then
			"$LLVM_NM" --defined-only "m$idx" 2>/dev/null | awk '{ print $NF }' | grep -qx -- "$sym" ||
				fail "armap: $sym -> member $idx ($name, bitcode), which does not define it"
		elif [ ! -e llvm-nm.skipped ]; then
			skip_part llvm-nm "llvm-nm missing: armap entries of bitcode members not checked"
			: >llvm-nm.skipped
		fi
	done || exit 1
	[ "$(jq_ rep 'r["archives"]["members_skipped"].get("not_elf", {}).get("files")')" = 1 ] ||
		fail "members_skipped.not_elf != 1: $(jq_ rep 'r["archives"]["members_skipped"]')"
	gcc -o m.orig "$SRC/main_mix.c" orig.a 2>/dev/null || fail "link with original failed"
	gcc -o m.new "$SRC/main_mix.c" libmix.a 2>link.log || fail "link failed: $(head -c 300 link.log)"
	[ "$(./m.new)" = "$(./m.orig)" ] && [ "$(./m.new)" = "mix 1001 9 1 2" ] || fail "wrong output: $(./m.new)"
	return 0
}

# 24. ar rcU: mtime, uid, gid, mode (100600) kept; only the size changes.
c24_ar_u() {
	need_fix -g umode libu.a
	cp "$FIX/libu.a" orig.a
	cp "$FIX/libu.a" libu.a
	slim_ok rep libu.a
	[ "$(saved rep libu.a)" -gt 0 ] || fail "libu.a not rewritten: $(skipreason rep libu.a)"
	pyh members orig.a | awk '{ $8 = ""; $9 = ""; print }' >h.orig
	pyh members libu.a | awk '{ $8 = ""; $9 = ""; print }' >h.new
	grep -q ' u2.o .* 100600 ' h.orig || fail "fixture: u2.o mode is not 100600: $(cat h.orig)"
	grep -q '^/ / /~* [1-9]' h.orig || fail "fixture: armap header has no real mtime"
	diff h.orig h.new >/dev/null || fail "header fields changed: $(diff h.orig h.new | tr '\n' ';')"
	ar tv orig.a | awk '{ $3 = ""; print }' >tv.orig
	ar tv libu.a | awk '{ $3 = ""; print }' >tv.new
	diff tv.orig tv.new >/dev/null || fail "ar tv differs (besides size): $(diff tv.orig tv.new | tr '\n' ';')"
	return 0
}

# 25. /SYM64/ armap: still /SYM64/ (or a valid /), and the link works.
c25_sym64() {
	need_fix -g sym64 lib64.a
	need gcc
	cp "$FIX/lib64.a" orig.a
	cp "$FIX/lib64.a" lib64.a
	pyh armap orig.a >map.orig
	head -n 1 map.orig | grep -qx 'kind /SYM64/' || fail "fixture has no /SYM64/ armap"
	slim_ok rep lib64.a
	[ "$(saved rep lib64.a)" -gt 0 ] || fail "lib64.a not rewritten: $(skipreason rep lib64.a)"
	pyh armap lib64.a >map.new || fail "armap invalid: $(tail -n 1 map.new)"
	head -n 1 map.new | grep -Eqx 'kind (/SYM64/|/)' || fail "armap kind: $(head -n 1 map.new)"
	diff <(tail -n +2 map.orig) <(tail -n +2 map.new) >/dev/null || fail "armap mapping differs"
	gcc -o m.orig "$SRC/main_ab.c" orig.a -lstdc++ 2>/dev/null || fail "link with original failed"
	gcc -o m.new "$SRC/main_ab.c" lib64.a -lstdc++ 2>link.log || fail "link failed: $(head -c 300 link.log)"
	[ "$(./m.new)" = "$(./m.orig)" ] || fail "output differs"
	if [ -n "$LLD" ]; then
		gcc -fuse-ld=lld -o m.lld "$SRC/main_ab.c" lib64.a -lstdc++ 2>link.lld || fail "lld link failed: $(head -c 300 link.lld)"
		[ "$(./m.lld)" = "$(./m.orig)" ] || fail "lld output differs"
	else
		skip_part lld-link "ld.lld missing: the lld link is not tested"
	fi
	return 0
}

# 26. thin archive: byte-identical, reason thin_archive, referenced files untouched.
c26_thin() {
	need_fix -g thin thin/thin.a
	cp -a "$FIX/thin" thin
	head -c 8 thin/thin.a | grep -q '!<thin>' || fail "fixture is not thin"
	local f
	for f in thin.a t1.o t2.o; do
		stat -c '%n %s %.9Y %i' "thin/$f" >>st.before
		sha256sum "thin/$f" >>sum.before
	done
	slim_ok rep --strip-objects thin/thin.a
	[ "$(skipreason rep thin.a)" = thin_archive ] || fail "reason: '$(skipreason rep thin.a)', expected thin_archive"
	[ "$(jq_ rep 'len(r["changes"])')" = 0 ] || fail "changes: $(jq_ rep 'r["changes"]')"
	slim_ok rep2 thin
	[ "$(jq_ rep2 'len(r["changes"])')" = 0 ] || fail "directory run changed: $(jq_ rep2 'r["changes"]')"
	[ "$(skipreason rep2 thin.a)" = thin_archive ] || fail "dir run reason: '$(skipreason rep2 thin.a)'"
	for f in thin.a t1.o t2.o; do
		stat -c '%n %s %.9Y %i' "thin/$f" >>st.after
		sha256sum "thin/$f" >>sum.after
	done
	diff sum.before sum.after >/dev/null || fail "bytes changed: $(diff sum.before sum.after | tr '\n' ';')"
	diff st.before st.after >/dev/null || fail "size/mtime/inode changed: $(diff st.before st.after | tr '\n' ';')"
	return 0
}

# 27. Rust rlib: dependent crate builds and runs; lib.rmeta keeps .rmeta. With rustc's
# defaults the codegen objects carry embedded bitcode (.llvmbc), which slim treats as
# LTO and leaves alone, so the rlib need not shrink (the spec does not ask it to); with
# -C embed-bitcode=no (case 27b) the debug info must go.
c27_rlib() { # DIR GROUP MUST_SHRINK
	need_fix -g "$2" "$1/libmylib.rlib"
	need rustc
	cp "$FIX/$1/libmylib.rlib" .
	cp libmylib.rlib orig.rlib
	slim_ok rep libmylib.rlib
	if [ "$(saved rep libmylib.rlib)" -gt 0 ]; then
		diff <(armap_index orig.rlib) <(armap_index libmylib.rlib) >/dev/null || fail "armap changed"
	elif [ "$3" = yes ]; then
		fail "rlib not rewritten: $(skipreason rep libmylib.rlib); members: $(jq_ rep 'r["archives"]["members_skipped"]')"
	else
		echo "note: rlib not rewritten: members $(jq_ rep 'r["archives"]["members_skipped"]')"
	fi
	mkdir x && (cd x && ar x ../libmylib.rlib lib.rmeta) || fail "no lib.rmeta member"
	if [ "$(head -c 4 x/lib.rmeta | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
		readelf -SW x/lib.rmeta | grep -q ' \.rmeta ' || fail "lib.rmeta lost .rmeta"
	fi
	mkdir y && (cd y && ar x ../orig.rlib lib.rmeta)
	cmp -s x/lib.rmeta y/lib.rmeta || fail "lib.rmeta member changed"
	rustc -O -o user "$SRC/user.rs" --extern mylib=libmylib.rlib -L . 2>build.err ||
		fail "rustc against stripped rlib failed: $(grep -m2 error build.err | tr '\n' ' ')"
	[ "$(./user | head -n 1)" = 49 ] || fail "wrong output: $(./user)"
	return 0
}
c27_default() { c27_rlib rust rlib no; }
c27_nobc() { c27_rlib rust-nobc rlib_nobc yes; }

# 28. libpython3.11.a: embedding program links and runs; armap identical; savings >= 99% of GNU's.
c28_libpython() {
	need_fix -g libpython python/libpython3.11.a
	need gcc strip
	local home inc libs s_gnu s_slim
	home=$(cat "$FIX/python/home")
	inc=$(cat "$FIX/python/include")
	libs=$(cat "$FIX/python/libs")
	[ -d "$home/lib/python3.11" ] && [ -f "$inc/Python.h" ] || skipcase "python 3.11 installation $home is gone"
	mkdir s g
	cp "$FIX/python/libpython3.11.a" s/
	cp "$FIX/python/libpython3.11.a" g/
	strip --strip-unneeded g/libpython3.11.a 2>/dev/null || fail "GNU strip failed"
	slim_ok rep s/libpython3.11.a
	s_gnu=$(($(stat -c %s "$FIX/python/libpython3.11.a") - $(stat -c %s g/libpython3.11.a)))
	s_slim=$(($(stat -c %s "$FIX/python/libpython3.11.a") - $(stat -c %s s/libpython3.11.a)))
	[ "$(saved rep libpython3.11.a)" = "$s_slim" ] || fail "reported saving $(saved rep libpython3.11.a) != $s_slim"
	[ $((s_slim * 100)) -ge $((s_gnu * 99)) ] || fail "slim saved $s_slim B, GNU $s_gnu B (< 99%)"
	diff <(armap_index "$FIX/python/libpython3.11.a") <(armap_index s/libpython3.11.a) >/dev/null ||
		fail "armap symbol list differs"
	pyh armap s/libpython3.11.a >/dev/null || fail "armap offsets invalid"
	# shellcheck disable=SC2086
	gcc -Wl,-E -I"$inc" -o embed "$SRC/embed.c" s/libpython3.11.a $libs 2>link.log ||
		fail "link failed: $(grep -m3 -i 'error\|undefined' link.log | tr '\n' ' ')"
	PYTHONHOME=$home PYTHONPATH='' ./embed >out 2>&1 || fail "embed failed: $(tail -n 3 out | tr '\n' ' ')"
	grep -qx 'embedded (3, 11) \[120\]' out || fail "wrong output: $(cat out)"
	return 0
}

# 29. ELF32 and big-endian objects and their archive: section list equals llvm-strip's.
c29_cross() { # DIR GROUP
	need_fix -g "$2" "$1/libcross.a"
	need "${LLVM_STRIP:-llvm-strip}"
	local t i=0 n
	cp -a "$FIX/$1" cross
	cd cross || exit 1
	for t in i686-linux-gnu powerpc-linux-gnu powerpc64-linux-gnu; do
		cp "$t.o" "$t.llvm.o"
		"$LLVM_STRIP" --strip-unneeded "$t.llvm.o" || fail "llvm-strip failed on $t.o"
	done
	cp libcross.a orig.a
	slim_ok ../rep --strip-objects i686-linux-gnu.o powerpc-linux-gnu.o powerpc64-linux-gnu.o libcross.a
	for t in i686-linux-gnu powerpc-linux-gnu powerpc64-linux-gnu; do
		[ "$(saved ../rep "/$t.o")" -gt 0 ] || fail "$t.o not stripped: $(skipreason ../rep "/$t.o")"
		pyh sections "$t.llvm.o" >"$t.s.llvm"
		pyh sections "$t.o" >"$t.s.slim"
		diff "$t.s.llvm" "$t.s.slim" >/dev/null ||
			fail "$t: sections differ from llvm-strip's: $(diff "$t.s.llvm" "$t.s.slim" | tr '\n' ';')"
		# named symbols: llvm's set, plus (allowed) undefined ones no relocation uses
		pyh symnames "$t.llvm.o" | sort >"$t.y.llvm"
		pyh symnames "$t.o" | sort >"$t.y.slim"
		comm -23 "$t.y.llvm" "$t.y.slim" | grep -q . &&
			fail "$t: slim dropped symbols: $(comm -23 "$t.y.llvm" "$t.y.slim" | tr '\n' ';')"
		comm -13 "$t.y.llvm" "$t.y.slim" | grep -v ' UND$' | grep -q . &&
			fail "$t: slim kept symbols llvm drops: $(comm -13 "$t.y.llvm" "$t.y.slim" | tr '\n' ';')"
		if [ -n "$LLVM_READELF" ]; then
			"$LLVM_READELF" -rW "$t.llvm.o" | awk '/^ *[0-9a-f]+ +[0-9a-f]+ +R_/ { $2 = ""; print }' >"$t.r.llvm"
			"$LLVM_READELF" -rW "$t.o" | awk '/^ *[0-9a-f]+ +[0-9a-f]+ +R_/ { $2 = ""; print }' >"$t.r.slim"
			[ -s "$t.r.slim" ] || fail "$t: no relocations left"
			diff "$t.r.llvm" "$t.r.slim" >/dev/null || fail "$t: relocations differ from llvm-strip's"
		else
			skip_part "$t-relocs" "llvm-readelf missing: relocations not compared with llvm-strip's"
		fi
		# the archive member equals the standalone slim result's section list
		pyh extract libcross.a $i "m$i.o"
		pyh sections "m$i.o" | diff - "$t.s.llvm" >/dev/null || fail "$t: archive member sections differ"
		i=$((i + 1))
	done
	[ "$(saved ../rep libcross.a)" -gt 0 ] || fail "libcross.a not stripped"
	n=$(pyh armap orig.a | wc -l)
	diff <(pyh armap orig.a) <(pyh armap libcross.a) >/dev/null || fail "armap differs"
	[ "$n" -gt 3 ] || fail "fixture armap too small"
	if [ -n "$LLD" ]; then
		"$LLD" -shared -o ppc64.so powerpc64-linux-gnu.o 2>link.log || fail "ld.lld -shared on stripped ppc64 .o: $(head -c 300 link.log)"
		"$LLD" -shared -o ppc64m.so m2.o 2>link.log || fail "ld.lld -shared on stripped ppc64 member: $(head -c 300 link.log)"
		"$LLD" -shared -o i686.so i686-linux-gnu.o 2>link.log || fail "ld.lld -shared on stripped i686 .o: $(head -c 300 link.log)"
	else
		skip_part lld-link "ld.lld missing: the stripped objects are not linked"
	fi
	return 0
}
c29_gas() { c29_cross cross-gas cross_gas; }
c29_llvm() { c29_cross cross cross; }

# A standalone .o without --strip-objects is untouched (reason object).
c_object_untouched() {
	need_fix -g ab a.o
	cp -p "$FIX/a.o" a.o
	stat -c '%s %.9Y %i' a.o >st.before
	slim_ok rep a.o
	cmp -s a.o "$FIX/a.o" || fail "a.o changed"
	stat -c '%s %.9Y %i' a.o | diff st.before - >/dev/null || fail "a.o metadata changed"
	[ "$(skipreason rep a.o)" = object ] || fail "reason '$(skipreason rep a.o)', expected object"
	[ "$(jq_ rep 'len(r["changes"])')" = 0 ] || fail "changes reported"
	return 0
}

# A .ko-named ET_REL is never stripped, even with --strip-objects (file and directory walk).
c_ko_untouched() {
	need_fix -g ab mod.ko b.o
	mkdir d
	cp "$FIX/mod.ko" d/mod.ko
	cp "$FIX/b.o" d/b.o
	slim_ok rep --strip-objects d/mod.ko
	cmp -s d/mod.ko "$FIX/mod.ko" || fail "mod.ko changed (file argument)"
	[ "$(jq_ rep 'len(r["changes"])')" = 0 ] || fail "changes reported for mod.ko"
	slim_ok rep2 --strip-objects d
	cmp -s d/mod.ko "$FIX/mod.ko" || fail "mod.ko changed (directory walk)"
	[ "$(saved rep2 b.o)" -gt 0 ] || fail "b.o beside it was not stripped"
	return 0
}

# A truncated archive: exit 1, an error naming the file, original untouched, others done.
c_truncated_archive() {
	need_fix -g ab libab.a
	local cut
	# cut in the middle of the second member's data
	cut=$(pyh cutpoint "$FIX/libab.a" 1)
	[ -n "$cut" ] || fail "could not compute the cut offset"
	head -c "$cut" "$FIX/libab.a" >trunc.a
	cp trunc.a trunc.orig
	cp "$FIX/libab.a" good.a
	slimj rep trunc.a good.a
	local rc=$?
	[ $rc -eq 1 ] || fail "exit $rc, expected 1"
	cmp -s trunc.a trunc.orig || fail "truncated archive was modified"
	jq_ rep '[e["path"] for e in r["errors"]]' | grep -q 'trunc.a' || fail "no error for trunc.a: $(jq_ rep 'r["errors"]')"
	[ -n "$(jq_ rep '" ".join(e["message"] for e in r["errors"])')" ] || fail "empty error message"
	grep -q 'trunc.a' rep.err || fail "stderr does not name trunc.a: $(cat rep.err)"
	[ "$(saved rep good.a)" -gt 0 ] || fail "good.a in the same run was not stripped"
	local left
	left=$(find . -mindepth 1 -maxdepth 1 ! -name trunc.a ! -name trunc.orig ! -name good.a ! -name 'rep*')
	[ -z "$left" ] || fail "temp files left: $left"
	return 0
}

# A dry run reports the same saving as the real run and changes nothing.
c_dry_run() {
	need_fix -g ab libab.a
	local a b
	mkdir dry real
	cp -p "$FIX/libab.a" dry/libab.a
	if have_fix -g mixed libmix.a; then
		cp -p "$FIX/libmix.a" dry/libmix.a || fail "cannot copy libmix.a"
	fi
	cp -p dry/* real/
	(cd dry && stat -c '%n %s %.9Y %i' * && sha256sum *) >dry.before
	slim_ok rep.dry --dry-run dry
	slim_ok rep.real real
	(cd dry && stat -c '%n %s %.9Y %i' * && sha256sum *) >dry.after
	diff dry.before dry.after >/dev/null || fail "dry run changed files"
	a=$(jq_ rep.dry 'r["totals"]["bytes_saved"]')
	b=$(jq_ rep.real 'r["totals"]["bytes_saved"]')
	[ "$a" -gt 0 ] && [ "$a" = "$b" ] || fail "dry run saves $a, real run $b"
	a=$(jq_ rep.dry 'sorted((c["path"].split("/")[-1], c["bytes_saved"]) for c in r["changes"])')
	b=$(jq_ rep.real 'sorted((c["path"].split("/")[-1], c["bytes_saved"]) for c in r["changes"])')
	[ "$a" = "$b" ] || fail "per-file savings differ: $a vs $b"
	[ "$(jq_ rep.dry 'r["archives"]')" = "$(jq_ rep.real 'r["archives"]')" ] ||
		fail "archive counters differ: $(jq_ rep.dry 'r["archives"]') vs $(jq_ rep.real 'r["archives"]')"
	return 0
}

# A second run finds everything already stripped and writes nothing.
c_second_run() {
	need_fix -g ab libab.a a.o
	local f
	mkdir d
	cp "$FIX/libab.a" "$FIX/a.o" d/
	for f in mixed:libmix.a lto:liblto.a bitcode:libbc.a sym64:lib64.a umode:libu.a; do
		have_fix -g "${f%%:*}" "${f#*:}" || continue
		cp "$FIX/${f#*:}" d/ || fail "cannot copy ${f#*:}"
	done
	slim_ok rep1 --strip-objects d
	[ "$(jq_ rep1 'len(r["changes"])')" -ge 2 ] || fail "first run changed too little"
	(cd d && stat -c '%n %s %.9Y %i' ./* && sha256sum ./*) >st.before
	sleep 0.05
	slim_ok rep2 --strip-objects d
	(cd d && stat -c '%n %s %.9Y %i' ./* && sha256sum ./*) >st.after
	diff st.before st.after >/dev/null || fail "second run touched files: $(diff st.before st.after | tr '\n' ';')"
	[ "$(jq_ rep2 'len(r["changes"])')" = 0 ] || fail "second run reports changes: $(jq_ rep2 'r["changes"]')"
	[ "$(skipreason rep2 libab.a)" = already_stripped ] || fail "libab.a reason '$(skipreason rep2 libab.a)'"
	[ "$(skipreason rep2 a.o)" = already_stripped ] || fail "a.o reason '$(skipreason rep2 a.o)'"
	return 0
}

run_case 13-object-symbols c13_symbols
run_case 14-relocation-remap c14_relocs
run_case 15-archive-link c15_link
run_case 16-comdat-groups c16_comdat
run_case 17-debug-only-groups-gcc c17_gcc
run_case 17-debug-only-groups-clang c17_clang
run_case 18-66000-sections c18_many_sections
run_case 19-llvm-addrsig c19_addrsig
run_case 20-gcc-lto-slim c20_gcc_lto
run_case 21-gcc-lto-fat c21_fat_lto
run_case 22-clang-bitcode c22_bitcode
run_case 23-mixed-archive c23_mixed
run_case 24-ar-U-headers c24_ar_u
run_case 25-sym64-armap c25_sym64
run_case 26-thin-archive c26_thin
run_case 27-rust-rlib c27_default
run_case 27b-rust-rlib-no-embedded-bitcode c27_nobc
run_case 28-libpython-a c28_libpython
run_case 29-elf32-big-endian-gas c29_gas
run_case 29-elf32-big-endian-clang c29_llvm
run_case object-without-flag c_object_untouched
run_case ko-never-stripped c_ko_untouched
run_case truncated-archive c_truncated_archive
run_case dry-run-archive c_dry_run
# An archive slim leaves as it is (a hard link outside the tree) reports no member stripped:
# the report describes the output.
c_archive_left_alone() {
	need_fix -g ab libab.a
	mkdir t
	cp "$FIX/libab.a" t/libab.a
	ln t/libab.a outside.a
	slim_ok rep t
	cmp -s t/libab.a "$FIX/libab.a" || fail "the archive was changed"
	[ "$(jq_ rep '(r["archives"]["stripped"], r["archives"]["members_stripped"], r["archives"]["members_bytes_before"])')" = "(0, 0, 0)" ] ||
		fail "archives: $(jq_ rep 'r["archives"]')"
	return 0
}

run_case second-run c_second_run
run_case archive-left-alone c_archive_left_alone

finish
