#!/usr/bin/env bash
# e2e.sh SLIM FIXTURES - end-to-end tests of ELF stripping (strip-spec section 6,
# cases 1-12 and 30-40, plus cross-arch and -j).
#
# FIXTURES is the output of corpus/build-fixtures.sh. Every case works on copies in a
# fresh temporary directory. The loadcmp tool is taken from $LOADCMP, or build/loadcmp
# next to this script's repository. Prints "ok NAME", "FAIL NAME: why" or
# "skip NAME: why" per case, then "N passed, N failed, N skipped"; exits 1 if any failed.
# A case is skipped only when a tool (or a fixture that needs one) is missing.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 SLIM FIXTURES" >&2
	exit 2
fi
. "$(dirname "$0")/lib.sh"
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SLIM=$(realpath "$1")
FIX=$(realpath "$2")
LOADCMP=$(realpath "${LOADCMP:-$REPO/build/loadcmp}" 2>/dev/null || true)
for x in "$SLIM" "$LOADCMP"; do
	if [ ! -x "$x" ]; then
		echo "e2e: '$x' is missing or not executable (make build/san/slim build/loadcmp)" >&2
		exit 2
	fi
done
if [ ! -d "$FIX" ] || [ ! -f "$FIX/libt.so" ]; then
	echo "e2e: '$FIX' holds no fixtures (corpus/build-fixtures.sh $FIX)" >&2
	exit 2
fi
lib_init e2e
chmod 755 "$T" # case 38 runs slim as nobody in a case's directory
if [ -z "$PY" ] || ! have readelf || ! have strip; then
	echo "e2e: python3, readelf and strip (binutils) are required" >&2
	exit 2
fi
LLVM_STRIP=$(first_tool llvm-strip llvm-strip-14 llvm-strip-15 llvm-strip-16)

# ---- python helpers (ELF parsing without host-arch BFD, JSON queries) --------------------
PYH=$T/helper.py
cat >"$PYH" <<'PY'
import json, os, re, struct, sys

def elf(path):
    b = open(path, 'rb').read()
    assert b[:4] == b'\x7fELF', path + ': not ELF'
    c64 = b[4] == 2
    e = '<' if b[5] == 1 else '>'
    if c64:
        h = struct.unpack_from(e + 'HHIQQQIHHHHHH', b, 16)
    else:
        h = struct.unpack_from(e + 'HHIIIIIHHHHHH', b, 16)
    (ty, ma, ver, entry, phoff, shoff, flags, ehsz, phesz, phnum, shesz, shnum, shstrndx) = h
    ph = []
    for i in range(phnum):
        o = phoff + i * phesz
        if c64:
            t, fl, off, va, pa, fsz, msz, al = struct.unpack_from(e + 'IIQQQQQQ', b, o)
        else:
            t, off, va, pa, fsz, msz, fl, al = struct.unpack_from(e + 'IIIIIIII', b, o)
        ph.append(dict(type=t, off=off, filesz=fsz, align=al))
    sh = []
    if shoff:
        if shnum == 0:
            shnum = struct.unpack_from(e + ('Q' if c64 else 'I'), b, shoff + (32 if c64 else 20))[0]
        if shstrndx == 0xffff:
            shstrndx = struct.unpack_from(e + 'I', b, shoff + (40 if c64 else 24))[0]
        for i in range(shnum):
            o = shoff + i * shesz
            if c64:
                n, t, fl, ad, off, sz, lk, inf, al, es = struct.unpack_from(e + 'IIQQQQIIQQ', b, o)
            else:
                n, t, fl, ad, off, sz, lk, inf, al, es = struct.unpack_from(e + 'IIIIIIIIII', b, o)
            sh.append(dict(name=n, type=t, flags=fl, off=off, size=sz, link=lk, align=al))
        so = sh[shstrndx]['off']
        for s in sh:
            s['name'] = b[so + s['name']:b.index(b'\0', so + s['name'])].decode()
    return dict(b=b, c64=c64, phoff=phoff, phnum=phnum, phesz=phesz, shoff=shoff,
                shnum=len(sh), shesz=shesz, ph=ph, sh=sh)

def image_end(f):
    e = f['phoff'] + f['phnum'] * f['phesz'] if f['phnum'] else 0
    for p in f['ph']:
        e = max(e, p['off'] + p['filesz'])
    for s in f['sh']:
        if s['flags'] & 2 and s['type'] != 8:
            e = max(e, s['off'] + s['size'])
    return e

def up(x, a):
    a = max(1, a)
    return (x + a - 1) // a * a

def cmd_dump(path, name, out):
    f = elf(path)
    for s in f['sh']:
        if s['name'] == name:
            open(out, 'wb').write(f['b'][s['off']:s['off'] + s['size']] if s['type'] != 8 else b'')
            return 0
    print('no section ' + name)
    return 1

def cmd_sectype(path, name):
    f = elf(path)
    for s in f['sh']:
        if s['name'] == name:
            print('type=%#x flags=%#x' % (s['type'], s['flags']))
            return 0
    return 1

# strip-spec R3 / case 6: kept non-alloc sections after E are packed in section order,
# each aligned; the section header table follows, aligned; nothing comes after it;
# sections inside [0,E) keep their offsets.
def cmd_layout(orig, new):
    a, b = elf(orig), elf(new)
    E = image_end(a)
    bad = []
    olds = {s['name']: s for s in a['sh']}
    pos = E
    for i, s in enumerate(b['sh']):
        if i == 0 or s['type'] == 8 or s['size'] == 0:
            continue
        if s['flags'] & 2 or s['off'] + s['size'] <= E and s['off'] < E:
            o = olds.get(s['name'])
            if o is None or o['off'] != s['off']:
                bad.append('%s inside [0,E) moved (%#x)' % (s['name'], s['off']))
            continue
        want = up(pos, s['align'])
        if s['off'] != want:
            bad.append('%s at %#x, expected %#x (packed after E=%#x, align %d)' % (s['name'], s['off'], want, E, s['align']))
        pos = s['off'] + s['size']
    al = 8 if b['c64'] else 4
    if b['shoff'] % al:
        bad.append('e_shoff %#x not aligned to %d' % (b['shoff'], al))
    if b['shoff'] != up(pos, al):
        bad.append('e_shoff %#x, expected %#x' % (b['shoff'], up(pos, al)))
    end = b['shoff'] + b['shnum'] * b['shesz']
    if len(b['b']) != end:
        bad.append('file size %d, section header table ends at %d' % (len(b['b']), end))
    for x in bad:
        print(x)
    return 1 if bad else 0

def cmd_markers(path, mfile):
    b = open(path, 'rb').read()
    bad = 0
    for line in open(mfile):
        o, m = line.split()
        o = int(o)
        if b[o:o + len(m)] != m.encode():
            print('marker %s at %d: found %r' % (m, o, b[o:o + len(m)]))
            bad = 1
    return bad

def cmd_compressed(path, name):
    return 0 if any(s['name'] == name and s['flags'] & 0x800 for s in elf(path)['sh']) else 1

def cmd_load_after(path, name):
    f = elf(path)
    off = [s['off'] for s in f['sh'] if s['name'] == name]
    return 0 if off and any(p['type'] == 1 and p['off'] > off[0] for p in f['ph']) else 1

# the report agrees with itself and with the exit status
# every segment's bytes the same at its new offset (the ELF header and the program header
# table aside); a PT_LOAD that moved, by a multiple of its p_align, a page or more
def cmd_moved_load(orig, new):
    a, b = elf(orig), elf(new)
    hdr = lambda f, k: k < (64 if f['c64'] else 52) or 0 <= k - f['phoff'] < f['phnum'] * f['phesz']
    bad = []
    for i, (x, y) in enumerate(zip(a['ph'], b['ph'])):
        d = x['off'] - y['off']
        if x['type'] == 1 and d and (x['align'] < 4096 or d % x['align']):
            bad.append('segment %d moved by %#x, p_align %#x' % (i, d, x['align']))
        if any(a['b'][x['off'] + k] != b['b'][y['off'] + k] for k in range(x['filesz'])
               if not hdr(a, x['off'] + k) and not hdr(b, y['off'] + k)):
            bad.append('segment %d: bytes differ' % i)
    for x in bad:
        print(x)
    return 1 if bad else 0

def cmd_consistent(path, status):
    d = load(path)
    t, st = d['totals'], d['passes']['strip']
    bad = []
    for k in ('schema_version', 'dry_run', 'exit_status', 'totals', 'passes', 'skipped',
              'changes', 'skips', 'errors'):
        if k not in d:
            bad.append('missing key ' + k)
    if d['exit_status'] != int(status):
        bad.append('exit_status %s' % d['exit_status'])
    if t['bytes_before'] - t['bytes_after'] != t['bytes_saved']:
        bad.append('totals bytes do not add up')
    if st['bytes_before'] - st['bytes_after'] != st['bytes_saved']:
        bad.append('strip pass bytes do not add up')
    sc = [c for c in d['changes'] if c['pass'] == 'strip']
    if st['files_changed'] != len(sc):
        bad.append('files_changed %d, %d strip changes' % (st['files_changed'], len(sc)))
    if sum(c['bytes_saved'] for c in sc) != st['bytes_saved']:
        bad.append('strip changes do not sum to passes.strip.bytes_saved')
    if any(c['bytes_before'] - c['bytes_after'] != c['bytes_saved'] or c['bytes_saved'] <= 0 for c in d['changes']):
        bad.append('a change entry does not add up')
    if t['bytes_saved'] != sum(p.get('bytes_saved', 0) for p in d['passes'].values()):
        bad.append('totals.bytes_saved is not the sum over passes')
    if t['bytes_saved'] != sum(c['bytes_saved'] for c in d['changes']):
        bad.append('changes do not sum to totals.bytes_saved')
    if t['errors'] != len(d['errors']):
        bad.append('totals.errors %d, %d errors' % (t['errors'], len(d['errors'])))
    per = {}
    for s in d['skips']:
        per.setdefault(s['reason'], [0, 0])
        per[s['reason']][0] += 1
        per[s['reason']][1] += s['bytes']
    if {k: [v['files'], v['bytes']] for k, v in d['skipped'].items()} != per:
        bad.append('skipped does not match skips')
    for x in bad:
        print(x)
    return 1 if bad else 0

# every file under DIR is named by exactly one changes entry (JSON strings decode to the
# raw name bytes with surrogateescape, or to the UTF-8 name)
def cmd_paths_match(path, top):
    d = json.loads(open(path, 'rb').read().decode('utf-8'))
    got = sorted(os.fsencode(c['path']) for c in d['changes'])
    want = sorted(os.path.join(os.fsencode(top), f) for f in os.listdir(os.fsencode(top)))
    if got != want:
        print('got', got, 'want', want)
        return 1
    return 0

def cmd_linkname(path, name):
    f = elf(path)
    for s in f['sh']:
        if s['name'] == name:
            print(f['sh'][s['link']]['name'] if s['link'] < len(f['sh']) else '?')
            return 0
    return 1

def load(p):
    return json.load(open(p))

def base(p):
    return p.rstrip('/').split('/')[-1]

def cmd_j(path, expr):
    d = load(path)
    v = eval(expr, {'d': d, 'base': base, 'len': len, 'sorted': sorted})
    print(json.dumps(v) if isinstance(v, (dict, list)) else v)
    return 0

def cmd_reasons(path, name):
    d = load(path)
    print(' '.join(sorted(s['reason'] for s in d['skips'] if base(s['path']) == name)) or '-')
    return 0

def cmd_nchanged(path, name):
    d = load(path)
    print(sum(1 for c in d['changes'] if base(c['path']) == name and c['pass'] == 'strip'))
    return 0

# changes/skips/errors with the root prefix removed, sorted, for comparing runs.
def cmd_summary(path, root):
    d = load(path)
    r = lambda p: p[len(root):] if p.startswith(root) else p
    out = {'totals': d['totals'], 'passes': d['passes'], 'skipped': d['skipped'],
           'changes': sorted((r(c['path']), c['bytes_before'], c['bytes_after']) for c in d['changes']),
           'skips': sorted((r(s['path']), s['reason'], s['bytes']) for s in d['skips']),
           'errors': sorted(r(e['path']) for e in d['errors'])}
    out['totals'] = dict(out['totals'])
    print(json.dumps(out, indent=1, sort_keys=True))
    return 0

sys.exit(globals()['cmd_' + sys.argv[1]](*sys.argv[2:]))
PY
py() { "$PY" "$PYH" "$@"; }

# ---- running slim in a case (tests/lib.sh runs the cases) -------------------------------
# slim_run PREFIX ARGS...: run SLIM --json; stdout in PREFIX.json, stderr in PREFIX.err,
# status in $RC.
RC=0
slim_run() {
	local p=$1
	shift
	"$SLIM" --json "$@" >"$p.json" 2>"$p.err"
	RC=$?
	# the one figure that depends on the machine, not the input
	sed -i 's/"peak_rss_bytes": [0-9]*/"peak_rss_bytes": 0/' "$p.json"
	cat "$p.err" >>"$CASE_DIR/.slim-stderr"
	return 0
}
# slim_ok PREFIX ARGS...: slim_run and require exit status 0, nothing on stderr and a
# consistent JSON report.
slim_ok() {
	local out
	slim_run "$@"
	[ "$RC" = 0 ] || {
		fail "slim exited $RC: $(head -c 300 "$1.err")"
		return 1
	}
	[ ! -s "$1.err" ] || {
		fail "slim exited 0 but wrote to stderr: $(head -c 300 "$1.err")"
		return 1
	}
	out=$(py consistent "$1.json" 0 2>&1) || {
		fail "bad JSON report: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
		return 1
	}
}

# ---- assertions ------------------------------------------------------------------------
secnames() { readelf -SW "$1" 2>/dev/null | sed -n 's/^ *\[ *[0-9]*\] \([^ ]*\).*/\1/p' | grep -v '^$'; }
has_sec() { secnames "$1" | grep -qxF "$2"; }
fsize() { stat -c %s "$1"; }

# no_debug FILE: .symtab, .strtab and every debug-named section are gone.
no_debug() {
	local left
	left=$(secnames "$1" | grep -E '^(\.symtab|\.strtab|\.symtab_shndx|\.debug.*|\.zdebug.*|\.stab.*|\.line.*|\.gdb_index|\.gnu\.debuglto_\.debug_.*|\.gnu\.linkonce\.wi\..*)$' | tr '\n' ' ')
	[ -z "$left" ] || fail "$(basename "$1"): still has $left"
}
# loadcmp_ok ORIG NEW: loadable image identical ([0,E) included) and layout sane.
loadcmp_ok() {
	local out
	out=$("$LOADCMP" -e "$1" "$2" 2>&1) || fail "loadcmp $(basename "$2"): $(echo "$out" | head -n 3 | tr '\n' ' ')"
}
layout_ok() {
	local out
	out=$(py layout "$1" "$2" 2>&1) || fail "layout $(basename "$2"): $(echo "$out" | head -n 3 | tr '\n' ' ')"
}
smaller() { # ORIG NEW
	[ "$(fsize "$2")" -lt "$(fsize "$1")" ] || fail "$(basename "$2") did not get smaller ($(fsize "$1") -> $(fsize "$2"))"
}
same_bytes() { # A B WHAT
	cmp -s "$1" "$2" || fail "${3:-$(basename "$2")} changed"
}
reason_is() { # JSON NAME REASON
	local r
	r=$(py reasons "$1" "$2")
	[ "$r" = "$3" ] || fail "$2: skip reason '$r', expected '$3'"
}
changed_once() { # JSON NAME
	local n
	n=$(py nchanged "$1" "$2")
	[ "$n" = 1 ] || fail "$2 appears $n times in changes, expected once"
}
jeq() { # JSON EXPR WANT
	local v
	v=$(py j "$1" "$2" 2>&1)
	[ "$v" = "$3" ] || fail "json $2 = $v, expected $3"
}
# strip_props ORIG NEW: what every stripped ET_DYN/ET_EXEC must satisfy.
strip_props() {
	smaller "$1" "$2" || return 1
	no_debug "$2" || return 1
	if has_sec "$1" .comment && ! has_sec "$2" .comment; then
		fail "$(basename "$2"): .comment removed"
		return 1
	fi
	loadcmp_ok "$1" "$2" || return 1
	layout_ok "$1" "$2" || return 1
	if has_sec "$1" .comment; then
		py dump "$1" .comment a.comment && py dump "$2" .comment b.comment &&
			cmp -s a.comment b.comment || {
			fail "$(basename "$2"): .comment bytes changed"
			return 1
		}
	fi
	[ "$(readelf --dyn-syms -W "$1" 2>&1)" = "$(readelf --dyn-syms -W "$2" 2>&1)" ] ||
		fail "$(basename "$2"): dynamic symbols changed"
}
# gnu_names_eq ORIG NEW: section names equal those of GNU strip --strip-unneeded (GNU
# strip failing on ORIG fails the case).
gnu_names_eq() {
	strip --strip-unneeded -o gnu.out "$1" 2>gnu.err || {
		fail "strip --strip-unneeded fails on $(basename "$1"): $(head -c 200 gnu.err)"
		return 1
	}
	[ "$(secnames gnu.out)" = "$(secnames "$2")" ] ||
		fail "$(basename "$2"): sections differ from strip --strip-unneeded: $(diff <(secnames gnu.out) <(secnames "$2") | grep '^[<>]' | tr '\n' ' ')"
}

# ---- cases: shared objects and executables --------------------------------------------
c01_shared_object() {
	need_fix libt.so loader || return 0
	mkdir t && cp "$FIX/libt.so" t/ && cp "$FIX/libt.so" orig.so
	local before_dl before_nm
	before_dl=$("$FIX/loader" ./t/libt.so t_compute 7) || { fail "loader fails on the original"; return 1; }
	before_nm=$(nm -D t/libt.so)
	secnames orig.so | grep -q '^\.debug_info$' || { fail "fixture has no .debug_info"; return 1; }
	slim_ok s t || return 1
	strip_props orig.so t/libt.so || return 1
	changed_once s.json libt.so || return 1
	jeq s.json 'd["totals"]["bytes_saved"]' $(($(fsize orig.so) - $(fsize t/libt.so))) || return 1
	jeq s.json 'd["passes"]["strip"]["files_changed"]' 1 || return 1
	nm t/libt.so 2>&1 | grep -q 'no symbols' || { fail "nm still finds symbols"; return 1; }
	[ "$(nm -D t/libt.so)" = "$before_nm" ] || { fail "nm -D differs"; return 1; }
	[ "$("$FIX/loader" ./t/libt.so t_compute 7 2>&1)" = "$before_dl" ] || { fail "dlopen/dlsym result differs"; return 1; }
	gnu_names_eq orig.so t/libt.so
}

c02_executables() {
	need_fix prog-pie prog-nopie || return 0
	local p want
	mkdir t
	for p in prog-pie prog-nopie; do
		cp "$FIX/$p" t/ && cp "$FIX/$p" "$p.orig"
	done
	want=$(./t/prog-pie arg1) || { fail "prog-pie does not run"; return 1; }
	[ "$(./t/prog-nopie arg1)" = "$want" ] || { fail "prog-nopie output differs from prog-pie"; return 1; }
	readelf -hW t/prog-nopie | grep -q 'EXEC' || { fail "prog-nopie is not ET_EXEC"; return 1; }
	slim_ok s t || return 1
	for p in prog-pie prog-nopie; do
		strip_props "$p.orig" "t/$p" || return 1
		changed_once s.json "$p" || return 1
		[ "$(./t/$p arg1 2>&1)" = "$want" ] || { fail "$p prints something else after stripping"; return 1; }
		gnu_names_eq "$p.orig" "t/$p" || return 1
	done
}

KEPT3=".comment .GCC.command.line .note.stapsdt .gnu_debuglink .gnu_debugdata .gnu_debugaltlink .gnu.build.attributes .gnu.warning.x .myinfo"
c03_kept_nonalloc() {
	need_fix libx.so || return 0
	local n
	mkdir t && cp "$FIX/libx.so" t/ && cp "$FIX/libx.so" orig.so
	for n in $KEPT3; do
		has_sec orig.so "$n" || { fail "fixture lacks $n"; return 1; }
	done
	slim_ok s t || return 1
	strip_props orig.so t/libx.so || return 1
	for n in $KEPT3; do
		has_sec t/libx.so "$n" || { fail "$n removed"; return 1; }
		[ "$(py sectype orig.so "$n")" = "$(py sectype t/libx.so "$n")" ] || { fail "$n type/flags changed"; return 1; }
		py dump orig.so "$n" a.bin >/dev/null && py dump t/libx.so "$n" b.bin >/dev/null &&
			cmp -s a.bin b.bin || { fail "$n bytes changed"; return 1; }
		[ "$(readelf -x "$n" orig.so 2>&1)" = "$(readelf -x "$n" t/libx.so 2>&1)" ] ||
			{ fail "readelf -x $n differs"; return 1; }
	done
	readelf -nW t/libx.so | grep -q 'Name: probe1' || { fail "SDT probe note unreadable"; return 1; }
	gnu_names_eq orig.so t/libx.so
}

DEBUG_NAMES=".debug_foo .debugx .zdebug_x .stab .stabstr .line .gdb_index .gnu.debuglto_.debug_info .gnu.linkonce.wi.x .debug_sup"
c04_debug_names() {
	need_fix libdbgnames.so || return 0
	local n
	mkdir t && cp "$FIX/libdbgnames.so" t/ && cp "$FIX/libdbgnames.so" orig.so
	for n in $DEBUG_NAMES .comment2 .llvm_addrsig; do
		has_sec orig.so "$n" || { fail "fixture lacks $n"; return 1; }
	done
	slim_ok s t || return 1
	strip_props orig.so t/libdbgnames.so || return 1
	for n in $DEBUG_NAMES; do
		! has_sec t/libdbgnames.so "$n" || { fail "$n kept"; return 1; }
	done
	for n in .comment2 .llvm_addrsig .comment; do
		has_sec t/libdbgnames.so "$n" || { fail "$n removed"; return 1; }
		py dump orig.so "$n" a.bin >/dev/null && py dump t/libdbgnames.so "$n" b.bin >/dev/null &&
			cmp -s a.bin b.bin || { fail "$n bytes changed"; return 1; }
	done
	gnu_names_eq orig.so t/libdbgnames.so
}

c05_compressed_debug() {
	need_fix libt-gz.so libt.so || return 0
	mkdir t && cp "$FIX/libt-gz.so" "$FIX/libt.so" t/ && cp "$FIX/libt-gz.so" orig.so
	py compressed orig.so .debug_info || { fail "fixture's .debug_info is not SHF_COMPRESSED"; return 1; }
	slim_ok s t || return 1
	strip_props orig.so t/libt-gz.so || return 1
	[ "$(fsize t/libt-gz.so)" = "$(fsize t/libt.so)" ] ||
		{ fail "-gz output $(fsize t/libt-gz.so) B, -g output $(fsize t/libt.so) B"; return 1; }
	local nd
	nd=$(cmp -l t/libt-gz.so t/libt.so | wc -l)
	[ "$nd" -le 20 ] || { fail "-gz and -g outputs differ in $nd bytes (more than the build-id)"; return 1; }
	[ "$("$FIX/loader" ./t/libt-gz.so t_compute 3 2>&1)" = "$("$FIX/loader" ./orig.so t_compute 3 2>&1)" ] ||
		fail "dlopen result differs"
}

c06_layout() {
	local f any=0
	mkdir t orig
	for f in libt.so libx.so libdbgnames.so prog-pie prog-nopie big.so cross-i686.so cross-powerpc.so cross-powerpc64.so cross-aarch64.so; do
		have_fix "$f" || continue
		cp "$FIX/$f" t/ && cp "$FIX/$f" orig/ || { fail "cannot copy $f"; return 1; }
		any=1
	done
	[ $any = 1 ] || { fail "no fixtures"; return 1; }
	slim_ok s t || return 1
	for f in t/*; do
		f=$(basename "$f")
		smaller "orig/$f" "t/$f" || return 1
		loadcmp_ok "orig/$f" "t/$f" || return 1
		layout_ok "orig/$f" "t/$f" || return 1
	done
}

c07_gap_bytes() {
	need_fix libgap.so libgap.so.markers || return 0
	mkdir t && cp "$FIX/libgap.so" t/ && cp "$FIX/libgap.so" orig.so
	local out
	out=$(py markers orig.so "$FIX/libgap.so.markers") || { fail "fixture lacks markers: $out"; return 1; }
	slim_ok s t || return 1
	strip_props orig.so t/libgap.so || return 1
	out=$(py markers t/libgap.so "$FIX/libgap.so.markers") || fail "gap bytes lost: $out"
}

c08_emit_relocs() {
	need_fix prog-emit || return 0
	mkdir t && cp "$FIX/prog-emit" t/ && cp "$FIX/prog-emit" orig
	local want
	readelf -SW orig | grep -qE '\.rela\.text +RELA +0+ ' || { fail "fixture has no non-alloc .rela.text"; return 1; }
	want=$(./orig a) || { fail "fixture does not run"; return 1; }
	slim_ok s t || return 1
	same_bytes orig t/prog-emit || return 1
	reason_is s.json prog-emit emit_relocs || return 1
	jeq s.json 'd["passes"]["strip"]["files_changed"]' 0 || return 1
	[ "$(./t/prog-emit a 2>&1)" = "$want" ] || fail "output differs"
}

c09_go_binary() {
	need_fix hello-go || return 0
	need go || return 0
	mkdir t && cp "$FIX/hello-go" t/ && cp "$FIX/hello-go" orig
	local want vm expect
	want=$(./orig x) || { fail "fixture does not run"; return 1; }
	vm=$(go version -m orig | tail -n +2) || { fail "go version -m fails on the fixture"; return 1; }
	slim_ok s t || return 1
	smaller orig t/hello-go || return 1
	loadcmp_ok orig t/hello-go || return 1
	layout_ok orig t/hello-go || return 1
	no_debug t/hello-go || return 1
	[ "$(./t/hello-go x 2>&1)" = "$want" ] || { fail "output differs"; return 1; }
	[ "$(go version -m t/hello-go 2>&1 | tail -n +2)" = "$vm" ] || { fail "go version -m: $(go version -m t/hello-go 2>&1 | head -n 2)"; return 1; }
	has_sec t/hello-go .gopclntab || { fail ".gopclntab missing (section names corrupted?)"; return 1; }
	expect=$(secnames orig | grep -vE '^(\.symtab|\.strtab|\.debug.*|\.zdebug.*)$')
	[ "$(secnames t/hello-go)" = "$expect" ] ||
		fail "section names: $(diff <(echo "$expect") <(secnames t/hello-go) | grep '^[<>]' | tr '\n' ' ')"
}

c10_patchelf() {
	need_fix libpatched.so loader || return 0
	mkdir t && cp "$FIX/libpatched.so" t/ && cp "$FIX/libpatched.so" orig.so
	# precondition: a PT_LOAD starts after .symtab
	local want out
	py load_after orig.so .symtab || { fail "fixture has no PT_LOAD after .symtab"; return 1; }
	want=$("$FIX/loader" ./orig.so t_compute 5) || { fail "fixture does not dlopen"; return 1; }
	slim_ok s t || return 1
	# the appended segment moves down over them by whole pages (src/elfmove.c)
	smaller orig.so t/libpatched.so || return 1
	no_debug t/libpatched.so || return 1
	changed_once s.json libpatched.so || return 1
	out=$(py moved_load orig.so t/libpatched.so) || { fail "$(echo "$out" | head -n 3 | tr '\n' ' ')"; return 1; }
	[ "$("$FIX/loader" ./t/libpatched.so t_compute 5 2>&1)" = "$want" ] || fail "no longer dlopens"
}

c11_small_tree() {
	need_fix libt.so libx.so big.so libt-gz.so prog-pie loader || return 0
	need strip || return 0
	local f tot_slim=0 tot_gnu=0
	mkdir -p t/lib/python/lib-dynload t/bin
	cp "$FIX/libt.so" t/lib/python/lib-dynload/_t.so
	cp "$FIX/libx.so" t/lib/python/lib-dynload/_x.so
	cp "$FIX/libt-gz.so" t/lib/python/lib-dynload/_gz.so
	cp "$FIX/big.so" t/lib/libbig.so.1.0
	cp "$FIX/prog-pie" t/bin/prog
	cp -a t orig
	cp -a t gnu
	(cd gnu && find . -type f -exec strip --strip-unneeded {} +) || { fail "GNU strip fails on the tree"; return 1; }
	slim_ok s t || return 1
	jeq s.json 'd["passes"]["strip"]["files_changed"]' 5 || return 1
	jeq s.json 'd["totals"]["errors"]' 0 || return 1
	while IFS= read -r f; do
		smaller "orig/$f" "t/$f" || return 1
		loadcmp_ok "orig/$f" "t/$f" || return 1
		no_debug "t/$f" || return 1
		tot_slim=$((tot_slim + $(fsize "t/$f")))
		tot_gnu=$((tot_gnu + $(fsize "gnu/$f")))
		case $f in
		*.so*) "$FIX/loader" "./t/$f" >/dev/null 2>&1 || { fail "$f no longer dlopens"; return 1; } ;;
		esac
	done < <(cd orig && find . -type f | sed 's|^\./||')
	[ "$("$FIX/loader" ./t/lib/libbig.so.1.0 big_fn_123 4)" = "$("$FIX/loader" ./orig/lib/libbig.so.1.0 big_fn_123 4)" ] ||
		{ fail "libbig result differs"; return 1; }
	[ "$(./t/bin/prog z)" = "$(./orig/bin/prog z)" ] || { fail "prog output differs"; return 1; }
	# within 1% of GNU strip --strip-unneeded
	[ $((tot_slim * 100)) -le $((tot_gnu * 101)) ] && [ $((tot_slim * 101)) -ge $((tot_gnu * 100)) ] ||
		fail "total $tot_slim B, GNU strip $tot_gnu B"
}

c12_idempotent() {
	need_fix libt.so || return 0
	mkdir t && cp "$FIX/libt.so" t/ && cp "$FIX/libt.so" orig.so
	slim_ok s1 t || return 1
	smaller orig.so t/libt.so || return 1
	cp t/libt.so first.so
	local st1
	st1=$(stat -c '%i %y %s %a' t/libt.so)
	sleep 0.05
	slim_ok s2 t || return 1
	[ "$(stat -c '%i %y %s %a' t/libt.so)" = "$st1" ] || { fail "second run changed inode/mtime: $st1 -> $(stat -c '%i %y %s %a' t/libt.so)"; return 1; }
	same_bytes first.so t/libt.so "second run: bytes" || return 1
	jeq s2.json 'd["totals"]["bytes_saved"]' 0 || return 1
	jeq s2.json 'd["passes"]["strip"]["files_changed"]' 0 || return 1
	reason_is s2.json libt.so already_stripped || return 1
	# a file stripped by GNU strip is not rewritten either
	mkdir g && strip --strip-unneeded -o g/libg.so orig.so && cp g/libg.so gnu.so ||
		{ fail "cannot make a GNU-stripped copy"; return 1; }
	st1=$(stat -c '%i %y' g/libg.so)
	slim_ok s3 g || return 1
	same_bytes gnu.so g/libg.so "GNU-stripped file" || return 1
	[ "$(stat -c '%i %y' g/libg.so)" = "$st1" ] || { fail "GNU-stripped file rewritten"; return 1; }
	reason_is s3.json libg.so already_stripped
}

c29_cross_arch() {
	local t f want got any=0
	if [ -z "$LLVM_STRIP" ]; then
		skipcase "llvm-strip missing (apt-get install llvm)"
		return 0
	fi
	mkdir t orig
	for t in i686 aarch64 powerpc powerpc64; do
		need_fix cross-$t.so || return 0
		cp "$FIX/cross-$t.so" t/ && cp "$FIX/cross-$t.so" orig/
	done
	slim_ok s t || return 1
	for t in i686 aarch64 powerpc powerpc64; do
		f=cross-$t.so
		changed_once s.json $f || return 1
		smaller orig/$f t/$f || return 1
		no_debug t/$f || return 1
		loadcmp_ok orig/$f t/$f || return 1
		layout_ok orig/$f t/$f || return 1
		"$LLVM_STRIP" --strip-unneeded -o llvm-$f orig/$f || { fail "$LLVM_STRIP fails on $f"; return 1; }
		want=$(secnames llvm-$f)
		got=$(secnames t/$f)
		[ "$want" = "$got" ] || { fail "$f sections differ from llvm-strip: $(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | tr '\n' ' ')"; return 1; }
		[ "$(readelf --dyn-syms -W orig/$f)" = "$(readelf --dyn-syms -W t/$f)" ] || { fail "$f dynamic symbols changed"; return 1; }
	done
}

# ---- cases: files to skip, errors, metadata --------------------------------------------
c30_ld_scripts() {
	need_fix ldscript-libc.so ldscript-libm.a libt.so || return 0
	mkdir t
	cp "$FIX/ldscript-libc.so" t/libc.so
	cp "$FIX/ldscript-libm.a" t/libm.a
	if have_fix ldscript-libm.so; then
		cp "$FIX/ldscript-libm.so" t/libm.so || { fail "cannot copy ldscript-libm.so"; return 1; }
	fi
	printf 'just a text file\n' >t/README
	cp "$FIX/libt.so" t/ && cp -a t orig
	slim_ok s t || return 1
	local f
	for f in libc.so libm.a libm.so README; do
		[ -e "orig/$f" ] || continue
		same_bytes "orig/$f" "t/$f" || return 1
		[ "$(stat -c %Y "orig/$f")" = "$(stat -c %Y "t/$f")" ] || { fail "$f mtime changed"; return 1; }
		[ $f = README ] && continue
		reason_is s.json $f not_elf || return 1
	done
	[ "$(py reasons s.json README)" = "-" ] || { fail "README reported as skipped"; return 1; }
	jeq s.json 'd["totals"]["errors"]' 0 || return 1
	smaller orig/libt.so t/libt.so
}

c31_trailing_data() {
	need_fix libtrail.so fake.ko || return 0
	mkdir t && cp "$FIX/libtrail.so" "$FIX/fake.ko" t/ && cp -a t orig
	tail -c 28 orig/libtrail.so | grep -q '~Module signature appended~' || { fail "fixture lacks the signature"; return 1; }
	slim_ok s t || return 1
	same_bytes orig/libtrail.so t/libtrail.so || return 1
	same_bytes orig/fake.ko t/fake.ko || return 1
	reason_is s.json libtrail.so trailing_data || return 1
	reason_is s.json fake.ko trailing_data
}

c32_debug_file() {
	need_fix libdbg.so libt.so.debug libt.so || return 0
	mkdir -p t/usr/lib/debug/.build-id/ab
	cp "$FIX/libdbg.so" "$FIX/libt.so.debug" t/
	# a full -g library under usr/lib/debug: skipped by path
	cp "$FIX/libt.so" t/usr/lib/debug/.build-id/ab/cdef.debug
	cp "$FIX/libt.so" t/usr/lib/debug/libinpath.so
	cp -a t orig
	slim_ok s t || return 1
	local f
	for f in libdbg.so libt.so.debug usr/lib/debug/.build-id/ab/cdef.debug usr/lib/debug/libinpath.so; do
		same_bytes "orig/$f" "t/$f" || return 1
		reason_is s.json "$(basename $f)" debug_file || return 1
	done
	secnames t/libdbg.so | grep -q '^\.debug_info$' || fail "debug file lost .debug_info"
}

c33_no_section_headers() {
	need_fix libnoshdr.so || return 0
	mkdir t && cp "$FIX/libnoshdr.so" t/ && cp "$FIX/libnoshdr.so" orig.so
	[ "$(readelf -hW orig.so | awk '/Start of section headers/{print $5}')" = 0 ] || { fail "fixture has e_shoff != 0"; return 1; }
	slim_ok s t || return 1
	same_bytes orig.so t/libnoshdr.so || return 1
	reason_is s.json libnoshdr.so no_section_headers
}

c34_broken_elf() {
	need_fix libtrunc.so libcorrupt.so libt.so || return 0
	mkdir t && cp "$FIX/libtrunc.so" "$FIX/libcorrupt.so" "$FIX/libt.so" t/ && cp -a t orig
	slim_run s t
	[ "$RC" = 1 ] || { fail "exit status $RC, expected 1"; return 1; }
	local f out
	for f in libtrunc.so libcorrupt.so; do
		grep -q "^slim: cannot process '[^']*/$f': ." s.err || { fail "stderr does not name $f: $(head -c 300 s.err)"; return 1; }
		same_bytes "orig/$f" "t/$f" || return 1
	done
	out=$(py consistent s.json 1 2>&1) || { fail "bad JSON report: $out"; return 1; }
	jeq s.json 'd["totals"]["errors"]' 2 || return 1
	jeq s.json 'sorted(base(e["path"]) for e in d["errors"])' '["libcorrupt.so", "libtrunc.so"]' || return 1
	strip_props orig/libt.so t/libt.so
}

c35_hard_links() {
	need_fix libt.so || return 0
	mkdir -p t/sub && cp "$FIX/libt.so" t/a.so && ln t/a.so t/sub/b.so && cp "$FIX/libt.so" orig.so
	slim_ok s t || return 1
	local na nb
	na=$(py nchanged s.json a.so)
	nb=$(py nchanged s.json b.so)
	[ $((na + nb)) = 1 ] || { fail "changes has $na+$nb entries for the two names"; return 1; }
	jeq s.json 'd["passes"]["strip"]["files_changed"]' 1 || return 1
	[ "$(stat -c %i t/a.so)" = "$(stat -c %i t/sub/b.so)" ] || { fail "the names no longer share an inode"; return 1; }
	[ "$(stat -c %h t/a.so)" = 2 ] || { fail "link count $(stat -c %h t/a.so)"; return 1; }
	strip_props orig.so t/a.so || return 1
	same_bytes t/a.so t/sub/b.so
}

c35b_links_outside() {
	need_fix libt.so || return 0
	mkdir t && cp "$FIX/libt.so" t/a.so && ln t/a.so outside.so && cp "$FIX/libt.so" orig.so
	slim_ok s t || return 1
	same_bytes orig.so t/a.so || return 1
	[ "$(stat -c %i t/a.so)" = "$(stat -c %i outside.so)" ] || { fail "link to outside name broken"; return 1; }
	reason_is s.json a.so links_outside
}

c36_symlinks() {
	need_fix libt.so || return 0
	mkdir t && cp "$FIX/libt.so" t/libt.so.1 && ln -s libt.so.1 t/libt.so && cp "$FIX/libt.so" orig.so
	cp "$FIX/libt.so" outside.so && ln -s "$PWD/outside.so" t/libout.so
	slim_ok s t || return 1
	[ -L t/libt.so ] && [ "$(readlink t/libt.so)" = libt.so.1 ] || { fail "symlink replaced"; return 1; }
	[ -L t/libout.so ] && [ "$(readlink t/libout.so)" = "$PWD/outside.so" ] || { fail "outside symlink replaced"; return 1; }
	same_bytes orig.so outside.so "file outside the tree (through a symlink)" || return 1
	changed_once s.json libt.so.1 || return 1
	[ "$(py nchanged s.json libt.so)" = 0 ] || { fail "symlink listed as changed"; return 1; }
	jeq s.json 'd["passes"]["strip"]["files_changed"]' 1 || return 1
	jeq s.json 'd["totals"]["symlinks"]' 2 || return 1
	strip_props orig.so t/libt.so.1
}

c37_metadata() {
	need_fix libt.so || return 0
	[ "$(id -u)" = 0 ] || { skipcase "needs root"; return 0; }
	need setcap getcap setfattr getfattr || return 0
	mkdir t && cp "$FIX/libt.so" t/libt.so && cp "$FIX/libt.so" orig.so
	chown 1234:5678 t/libt.so && chmod 4755 t/libt.so
	setfattr -n user.test -v hello t/libt.so || { skipcase "user xattrs not supported on ${TMPDIR:-/tmp}"; return 0; }
	setcap cap_net_bind_service+ep t/libt.so || { fail "setcap failed"; return 1; }
	touch -m -d '2021-02-03 04:05:06.123456789' t/libt.so
	local st cap
	st=$(stat -c '%a %u %g %y' t/libt.so)
	cap=$(getcap t/libt.so | awk '{print $NF}')
	[ -n "$cap" ] || { fail "fixture capability not set"; return 1; }
	slim_ok s t || return 1
	strip_props orig.so t/libt.so || return 1
	[ "$(stat -c '%a %u %g %y' t/libt.so)" = "$st" ] || { fail "mode/owner/mtime: $st -> $(stat -c '%a %u %g %y' t/libt.so)"; return 1; }
	[ "$(getcap t/libt.so | awk '{print $NF}')" = "$cap" ] || { fail "capability lost: '$(getcap t/libt.so)'"; return 1; }
	[ "$(getfattr --only-values -n user.test t/libt.so 2>/dev/null)" = hello ] || { fail "user.test xattr lost"; return 1; }
	# setgid with a foreign group, trusted.* and security.* attributes (chgrp before chmod:
	# chgrp clears setgid)
	mkdir g && cp "$FIX/libt.so" g/libg.so
	chgrp 5678 g/libg.so && chmod 2750 g/libg.so
	setfattr -n trusted.slim -v t1 g/libg.so 2>/dev/null || { fail "cannot set trusted.* as root"; return 1; }
	setfattr -n security.slimtest -v s1 g/libg.so 2>/dev/null ||
		skip_part security-xattr "security.* attributes not supported on ${TMPDIR:-/tmp}"
	local xa
	xa=$(getfattr -d -m - g/libg.so 2>/dev/null | grep -v '^#')
	st=$(stat -c '%a %u %g %y' g/libg.so)
	[ "${st%% *}" = 2750 ] || { fail "precondition: mode $st"; return 1; }
	slim_ok s2 g || return 1
	strip_props orig.so g/libg.so || return 1
	[ "$(stat -c '%a %u %g %y' g/libg.so)" = "$st" ] || { fail "setgid file: $st -> $(stat -c '%a %u %g %y' g/libg.so)"; return 1; }
	[ "$(getfattr -d -m - g/libg.so 2>/dev/null | grep -v '^#')" = "$xa" ] || fail "xattrs changed: $(getfattr -d -m - g/libg.so 2>&1 | grep -v '^#' | tr '\n' ' ')"
}

c38_readonly_nonroot() {
	need_fix libt.so || return 0
	[ "$(id -u)" = 0 ] || { skipcase "needs root (to become nobody)"; return 0; }
	need setpriv || return 0
	id nobody >/dev/null 2>&1 && getent group nogroup >/dev/null || { skipcase "no nobody/nogroup"; return 0; }
	local asnobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	local slim=$SLIM
	if ! "${asnobody[@]}" test -x "$slim"; then
		# the checkout may sit in a directory only root can enter (mktemp -d)
		mkdir -m 0755 nobody-bin && cp "$SLIM" nobody-bin/slim && slim=$PWD/nobody-bin/slim
		"${asnobody[@]}" test -x "$slim" || { fail "$slim is not executable by nobody"; return 1; }
	fi
	mkdir ro && cp "$FIX/libt.so" ro/libt.so && cp "$FIX/libt.so" orig.so
	chown -R nobody:nogroup ro && chmod 0444 ro/libt.so && chmod 0755 ro
	"${asnobody[@]}" test -w ro/libt.so && { fail "precondition: nobody can write the file"; return 1; }
	"${asnobody[@]}" "$slim" --json ro >s.json 2>s.err
	RC=$?
	cat s.err >>"$CASE_DIR/.slim-stderr"
	[ "$RC" = 0 ] || { fail "slim as nobody exited $RC: $(head -c 300 s.err)"; return 1; }
	[ "$(stat -c '%a %U' ro/libt.so)" = "444 nobody" ] || { fail "mode/owner now $(stat -c '%a %U' ro/libt.so)"; return 1; }
	strip_props orig.so ro/libt.so || return 1
	# the same in a directory nobody cannot write: an error naming the file, file untouched
	mkdir locked && cp "$FIX/libt.so" locked/libt.so && chmod 0444 locked/libt.so && chmod 0755 locked
	"${asnobody[@]}" "$slim" --json locked >l.json 2>l.err
	RC=$?
	cat l.err >>"$CASE_DIR/.slim-stderr"
	[ "$RC" = 1 ] || { fail "unwritable directory: exit status $RC, expected 1"; return 1; }
	grep -q "^slim: cannot process '[^']*libt.so': ." l.err || { fail "unwritable directory: stderr does not name the file: $(head -c 200 l.err)"; return 1; }
	same_bytes orig.so locked/libt.so "file in the unwritable directory" || return 1
	[ -z "$(find locked -name '.slim-*')" ] || fail "temp file left in the unwritable directory"
}

c39_kill() {
	need_fix big.so || return 0
	local d i k dur t0 t1 delay f sum left stripped_sha orig_sha nleft norig total_kills=0 name
	mkdir tree
	for d in 0 1 2 3; do
		mkdir tree/d$d
		for i in 0 1 2 3 4 5 6 7 8 9; do cp "$FIX/big.so" tree/d$d/lib$i.so; done
	done
	cp "$FIX/big.so" orig.so && cp "$FIX/big.so" cal.so
	slim_ok cal cal.so || return 1
	strip_props orig.so cal.so || return 1
	orig_sha=$(sha256sum <orig.so | cut -d' ' -f1)
	stripped_sha=$(sha256sum <cal.so | cut -d' ' -f1)
	# how long does a full run take?
	cp -a tree caltree
	t0=$(date +%s%N)
	"$SLIM" -q caltree 2>>"$CASE_DIR/.slim-stderr" || { fail "calibration run failed"; return 1; }
	t1=$(date +%s%N)
	dur=$(((t1 - t0) / 1000000))
	[ "$dur" -ge 1 ] || dur=1
	for k in 1 2 3 4 5 6 7 8 9 10; do
		delay=$((dur * (5 + RANDOM % 90) / 100))
		"$SLIM" -q -j $((k % 2 ? 1 : 4)) tree 2>>"$CASE_DIR/.slim-stderr" &
		local pid=$!
		sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
		kill -KILL "$pid" 2>/dev/null && total_kills=$((total_kills + 1))
		wait "$pid" 2>/dev/null
		# every file is the original or the fully stripped file; anything else is a temp file
		norig=0
		while read -r sum f; do
			name=${f##*/}
			case $name in
			lib[0-9].so)
				if [ "$sum" = "$orig_sha" ]; then
					norig=$((norig + 1))
				elif [ "$sum" != "$stripped_sha" ]; then
					"$LOADCMP" -e orig.so "$f" >/dev/null 2>&1 && smaller orig.so "$f" >/dev/null ||
						{ fail "after kill $k: $f is neither original nor a valid stripped file"; return 1; }
				fi
				;;
			*)
				[[ $name =~ ^\.slim-[0-9a-f]{16}\.tmp$ ]] || { fail "after kill $k: unexpected file $f"; return 1; }
				;;
			esac
		done < <(find tree -type f -exec sha256sum {} +)
		# keep later kills meaningful: put the originals back once everything is stripped
		[ "$norig" -gt 0 ] || tee tree/d*/lib*.so <"$FIX/big.so" >/dev/null
	done
	nleft=$(find tree -type f -name '.slim-*.tmp' | wc -l)
	echo "kills: $total_kills, leftover temp files: $nleft, run time ${dur} ms" >>"$CASE_DIR/.log"
	# a leftover from an earlier kill, and names that only look like one
	printf 'partial' >tree/d1/.slim-0123456789abcdef.tmp
	printf 'user data 1' >tree/d2/.slim-0123456789abcdeg.tmp
	printf 'user data 2' >tree/d2/.slim-0123456789abcdef.tmp.keep
	printf 'user data 3' >tree/d3/slim-0123456789abcdef.tmp
	slim_ok final tree || return 1
	jeq final.json 'd["totals"]["temp_files_removed"]' $((nleft + 1)) || return 1
	left=$(find tree -type f -name '.slim-*.tmp' ! -name '.slim-0123456789abcdeg.tmp' | wc -l)
	[ "$left" = 0 ] || { fail "$left temp files left after the final run"; return 1; }
	for f in d2/.slim-0123456789abcdeg.tmp d2/.slim-0123456789abcdef.tmp.keep d3/slim-0123456789abcdef.tmp; do
		[ "$(cat "tree/$f" 2>/dev/null | head -c 9)" = 'user data' ] || { fail "$f (not a temp file name) was removed"; return 1; }
	done
	[ "$(find tree -type f | wc -l)" = 43 ] || { fail "file count changed"; return 1; }
	[ "$(sha256sum tree/d*/lib*.so | cut -d' ' -f1 | sort -u)" = "$stripped_sha" ] ||
		{ fail "not every file is stripped after the final run"; return 1; }
}

snapshot() { # DIR [noino]: content, inode, links, mode and mtime of everything
	if [ "${2:-}" = noino ]; then
		(cd "$1" && find . ! -type d -printf '%p %y %n %m %T@ %s %l\n' | sort)
	else
		(cd "$1" && find . -printf '%p %y %i %n %m %T@ %s %l\n' | sort)
	fi
	(cd "$1" && find . -type f -exec sha256sum {} + | sort -k2)
}

c40_dry_run() {
	need_fix libt.so libx.so prog-pie big.so || return 0
	local f
	mkdir -p t/sub
	for f in libt.so libx.so prog-pie big.so hello-go libpatched.so ldscript-libc.so libtrail.so prog-emit; do
		have_fix "$f" || continue
		cp "$FIX/$f" t/ || { fail "cannot copy $f"; return 1; }
	done
	ln t/libt.so t/sub/hard.so
	ln -s ../libx.so t/sub/link.so
	snapshot t >before
	slim_ok dry --dry-run t || return 1
	snapshot t >after
	cmp -s before after || { fail "dry run changed the tree: $(diff before after | head -n 4 | tr '\n' ' ')"; return 1; }
	jeq dry.json 'd["dry_run"]' True || return 1
	[ "$(py j dry.json 'd["totals"]["bytes_saved"]')" -gt 0 ] || { fail "dry run saves nothing"; return 1; }
	slim_ok real t || return 1
	jeq real.json 'd["dry_run"]' False || return 1
	local a b
	a=$(py j dry.json 'd["totals"]["bytes_saved"]')
	b=$(py j real.json 'd["totals"]["bytes_saved"]')
	[ "$a" = "$b" ] || { fail "dry run bytes_saved $a, real run $b"; return 1; }
	py summary dry.json "$PWD/" >dry.sum
	py summary real.json "$PWD/" >real.sum
	cmp -s dry.sum real.sum || fail "dry run report differs from real run: $(diff dry.sum real.sum | head -n 6 | tr '\n' ' ')"
}

c_jobs() {
	need_fix libt.so libx.so prog-pie big.so || return 0
	local f j
	mkdir src
	for f in libt.so libx.so libt-gz.so prog-pie prog-nopie prog-emit big.so libpatched.so libtrail.so ldscript-libc.so libtrunc.so cross-i686.so cross-powerpc64.so; do
		have_fix "$f" || continue
		cp "$FIX/$f" src/ || { fail "cannot copy $f"; return 1; }
	done
	for i in 1 2 3; do mkdir src/big$i && cp "$FIX/big.so" src/big$i/; done
	for j in 1 2 8; do
		rm -rf tree && cp -a src tree
		slim_run "j$j" -j $j tree
		[ "$RC" = 1 ] || { fail "-j $j: exit status $RC, expected 1 (libtrunc.so)"; return 1; }
		snapshot tree noino >"tree$j"
	done
	for j in 2 8; do
		cmp -s j1.json j$j.json || { fail "-j 1 and -j $j JSON differ: $(diff j1.json j$j.json | head -n 4 | tr '\n' ' ')"; return 1; }
		cmp -s j1.err j$j.err || { fail "-j 1 and -j $j stderr differ"; return 1; }
		cmp -s tree1 tree$j || { fail "-j 1 and -j $j trees differ"; return 1; }
	done
	[ "$(py j j1.json 'd["passes"]["strip"]["files_changed"]')" -ge 8 ] || fail "too few files stripped"
}

# R2: .strtab stays when a kept section links to it; a kept non-relocation section that
# links to .symtab leaves the file alone (reason linked_section: no relocations involved).
c_r2_linked() {
	need_fix liblink-strtab.so liblink-symtab.so || return 0
	mkdir t && cp "$FIX/liblink-strtab.so" "$FIX/liblink-symtab.so" t/ && cp -a t orig
	[ "$(py linkname orig/liblink-strtab.so .mymeta)" = .strtab ] &&
		[ "$(py linkname orig/liblink-symtab.so .mymeta)" = .symtab ] || { fail "fixtures lack the links"; return 1; }
	slim_ok s t || return 1
	# .strtab case: stripped, .strtab kept (same bytes) and still linked
	smaller orig/liblink-strtab.so t/liblink-strtab.so || return 1
	loadcmp_ok orig/liblink-strtab.so t/liblink-strtab.so || return 1
	layout_ok orig/liblink-strtab.so t/liblink-strtab.so || return 1
	! has_sec t/liblink-strtab.so .symtab || { fail ".symtab kept"; return 1; }
	[ "$(py linkname t/liblink-strtab.so .mymeta)" = .strtab ] || { fail ".mymeta no longer links to .strtab"; return 1; }
	py dump orig/liblink-strtab.so .strtab a.bin >/dev/null && py dump t/liblink-strtab.so .strtab b.bin >/dev/null &&
		cmp -s a.bin b.bin || { fail ".strtab bytes changed"; return 1; }
	# .symtab case: unchanged
	same_bytes orig/liblink-symtab.so t/liblink-symtab.so || return 1
	reason_is s.json liblink-symtab.so linked_section
}

c_json_paths() {
	need_fix libt.so || return 0
	local n out
	mkdir t
	for n in 'a b.so' 'q"uote.so' 'back\slash.so' $'new\nline.so' $'tab\t.so' $'ctl\x01.so' $'\xff\xfe-not-utf8.so' 'ünïcödé.so'; do
		cp "$FIX/libt.so" "t/$n"
	done
	slim_ok s t || return 1
	jeq s.json 'd["passes"]["strip"]["files_changed"]' 8 || return 1
	out=$(py paths_match s.json t 2>&1) || fail "JSON paths do not name the files: $out"
}

c_usage() {
	need_fix libt.so || return 0
	"$SLIM" >/dev/null 2>err
	[ $? = 2 ] || { fail "no PATH: exit status not 2"; return 1; }
	"$SLIM" --no-such-option t >/dev/null 2>err
	[ $? = 2 ] || { fail "bad option: exit status not 2"; return 1; }
	[ -s err ] || { fail "bad option: nothing on stderr"; return 1; }
	"$SLIM" --help >out 2>err
	[ $? = 0 ] && [ -s out ] || { fail "--help: exit status not 0 or no output"; return 1; }
	mkdir t && cp "$FIX/libt.so" t/ && cp "$FIX/libt.so" orig.so
	slim_run s "$PWD/missing" t
	[ "$RC" = 1 ] || { fail "missing PATH: exit status $RC, expected 1"; return 1; }
	grep -q "missing" s.err || { fail "missing PATH not named on stderr"; return 1; }
	smaller orig.so t/libt.so
}

# two runs over one tree at once (issue #19 item 16): the second waits for the first
# (a lock on the root), so neither reports an error, no temp file is left and the tree
# is what one run makes of it; a run waits for a holder of the lock and says so once
# (not with -q); dry runs share the lock with each other
c_concurrent_runs() {
	need_fix big.so libt.so || return 0
	need flock || return 0
	local d i k t0 ms
	mkdir src
	for d in 0 1 2 3; do
		mkdir src/d$d
		for i in 0 1 2 3 4 5 6 7 8 9; do cp "$FIX/big.so" src/d$d/lib$i.so && cp "$FIX/libt.so" src/d$d/t$i.so; done
		ln src/d$d/lib0.so src/d$d/hard.so
		printf 'same data %.0s' $(seq 300) >src/d$d/data.txt
	done
	cp -a src one
	"$SLIM" -q one 2>>"$CASE_DIR/.slim-stderr" || { fail "one run over the tree failed"; return 1; }
	snapshot one noino >one.snap
	for k in 1 2 3; do
		rm -rf tree && cp -a src tree
		"$SLIM" tree >a.out 2>a.err &
		"$SLIM" tree >b.out 2>b.err
		wait $! || { fail "round $k: the first run failed: $(head -c 300 a.err)"; return 1; }
		cat a.err b.err >>"$CASE_DIR/.slim-stderr"
		! grep -q "cannot process" a.err b.err ||
			{ fail "round $k: errors: $(grep -h -c 'cannot process' a.err b.err | tr '\n' ' ')e.g. $(grep -h -m1 'cannot process' a.err b.err | head -n1)"; return 1; }
		[ -z "$(find tree -name '.slim-*')" ] || { fail "round $k: temp files left: $(find tree -name '.slim-*' | head -n 3)"; return 1; }
		snapshot tree noino >tree.snap
		cmp -s one.snap tree.snap || { fail "round $k: not the tree one run makes: $(diff one.snap tree.snap | head -n 4 | tr '\n' ' ')"; return 1; }
	done
	# a run waits while another holds the lock, and says so once; -q says nothing
	rm -rf tree && cp -a src tree
	flock tree sleep 1.5 &
	sleep 0.3
	t0=$(date +%s%N)
	"$SLIM" tree >/dev/null 2>w.err || { fail "the waiting run failed: $(head -c 300 w.err)"; return 1; }
	ms=$((($(date +%s%N) - t0) / 1000000))
	wait
	[ "$ms" -ge 900 ] || { fail "the run did not wait for the lock's holder (${ms} ms)"; return 1; }
	[ "$(cat w.err)" = "slim: waiting for another slim run on 'tree'" ] || { fail "waiting run's stderr: $(head -c 300 w.err)"; return 1; }
	flock tree sleep 1 &
	sleep 0.3
	"$SLIM" -q tree >/dev/null 2>q.err
	wait
	[ ! -s q.err ] || { fail "-q: stderr: $(head -c 300 q.err)"; return 1; }
	# a dry run does not wait for another reader, but waits for a writer
	flock -s tree sleep 1.5 &
	sleep 0.3
	t0=$(date +%s%N)
	"$SLIM" -q --dry-run tree >/dev/null 2>>"$CASE_DIR/.slim-stderr"
	ms=$((($(date +%s%N) - t0) / 1000000))
	wait
	[ "$ms" -lt 900 ] || { fail "a dry run waited for a shared lock (${ms} ms)"; return 1; }
	flock -x tree sleep 1.5 &
	sleep 0.3
	t0=$(date +%s%N)
	"$SLIM" --dry-run tree >/dev/null 2>dw.err
	ms=$((($(date +%s%N) - t0) / 1000000))
	wait
	[ "$ms" -ge 900 ] && grep -q "waiting for another slim run" dw.err ||
		fail "a dry run did not wait for a writer (${ms} ms): $(head -c 200 dw.err)"
}

# ---- run --------------------------------------------------------------------------------
run_case 01-shared-object c01_shared_object
run_case 02-executables c02_executables
run_case 03-kept-nonalloc-sections c03_kept_nonalloc
run_case 04-debug-name-rule c04_debug_names
run_case 05-compressed-debug c05_compressed_debug
run_case 06-layout c06_layout
run_case 07-gap-bytes c07_gap_bytes
run_case 08-emit-relocs c08_emit_relocs
run_case 09-go-binary c09_go_binary
run_case 10-patchelf c10_patchelf
run_case 11-small-tree c11_small_tree
run_case 12-idempotent c12_idempotent
run_case 29-cross-arch c29_cross_arch
run_case 30-ld-scripts c30_ld_scripts
run_case 31-trailing-data c31_trailing_data
run_case 32-debug-file c32_debug_file
run_case 33-no-section-headers c33_no_section_headers
run_case 34-broken-elf c34_broken_elf
run_case 35-hard-links c35_hard_links
run_case 35b-links-outside c35b_links_outside
run_case 36-symlinks c36_symlinks
run_case 37-metadata c37_metadata
run_case 38-readonly-nonroot c38_readonly_nonroot
run_case 39-kill c39_kill
run_case 40-dry-run c40_dry_run
run_case jobs-deterministic c_jobs
run_case R2-linked-sections c_r2_linked
run_case json-paths c_json_paths
run_case usage-and-exit-status c_usage
run_case concurrent-runs c_concurrent_runs

finish
