#!/usr/bin/env bash
# End-to-end test of the audit page: slim --dry-run --html OUT TREE on a small
# site-packages and node_modules, rendered in headless Chromium; and on a CUDA library
# built with nvcc (where there is one), its GPU code coloured by architecture.
#   tests/e2e_html.sh SLIM
. "$(dirname "$0")/lib.sh"
lib_init html
SLIM=$(readlink -f "$1")
# NVCC= : as if there were none
NVCC=${NVCC-$(first_tool nvcc /usr/local/cuda/bin/nvcc /usr/local/cuda-13.0/bin/nvcc)}

# The treemap's colours (assets/audit.js, COL): removed, stripped, linked.
COLOURS="e4572e:removed f2c14e:stripped 7b61d1:linked"

# A C file whose debug info is large: n functions over a few structs.
gen_c() {
    local n=$1 i
    printf 'struct p%d { int a; double b; char c[16]; struct p%d *next; };\n' 0 0 1 1 2 2
    for ((i = 0; i < n; i++)); do
        printf 'int f%d(struct p%d *x, int y) { int k = y * %d; while (x) { k += x->a + (int)x->b; x = x->next; } return k; }\n' \
            "$i" $((i % 3)) "$i"
    done
}

# fill FILE KIB: text that does not compress to nothing and is not all alike
fill() { python3 -c "import os,random,sys; random.seed(os.fsencode(sys.argv[1])); open(sys.argv[1],'w').write(''.join(random.choice('abcdefgh \n') for _ in range(int(sys.argv[2])*1024)))" "$1" "$2"; }

# record SITE DIST-INFO TOP...: a RECORD listing every file under each TOP
record() {
    local site=$1 info=$2; shift 2
    mkdir -p "$site/$info"
    echo "Name: ${info%%-*}" > "$site/$info/METADATA"
    (cd "$site" && find "$@" -type f | sort | sed 's/$/,sha256=x,1/'
     echo "$info/METADATA,,"; echo "$info/RECORD,,") > "$site/$info/RECORD"
}

mktree() {
    local d=$1 site=$1/lib/python3.11/site-packages nm=$1/node_modules
    mkdir -p "$site/yaml/tests" "$site/yaml/__pycache__" "$site/fastmath/tests/data" \
        "$site/fastmath/__pycache__" "$site/fastmath/data" "$site/fastmath.libs" \
        "$nm/leftpad/test" "$nm/@scope/native/build/Release" "$d/usr/share/app" "$d/usr/lib"
    gen_c 300 > "$T/a.c" && gen_c 700 > "$T/b.c" && gen_c 150 > "$T/c.c"
    cc -g -O0 -fPIC -shared -o "$site/yaml/_yaml.cpython-311-x86_64-linux-gnu.so" "$T/a.c"
    cc -g -O0 -fPIC -shared -o "$site/fastmath/_core.cpython-311-x86_64-linux-gnu.so" "$T/b.c"
    cc -g -O0 -fPIC -shared -o "$site/fastmath.libs/libopenblas.so.0" "$T/c.c"
    cc -g -O0 -fPIC -shared -o "$nm/@scope/native/build/Release/addon.node" "$T/c.c"
    fill "$site/yaml/__init__.py" 8
    fill "$site/yaml/__pycache__/__init__.cpython-311.pyc" 10
    for i in 1 2 3; do fill "$site/yaml/tests/test_$i.py" 12; done
    fill "$site/fastmath/__init__.py" 6
    fill "$site/fastmath/__pycache__/__init__.cpython-311.pyc" 24
    fill "$site/fastmath/tests/test_core.py" 20
    fill "$site/fastmath/tests/data/big.npy" 60
    fill "$site/fastmath/data/table.bin" 80
    cp "$site/fastmath/data/table.bin" "$site/fastmath/data/table-copy.bin"
    # hostile names: a path that spells </script>, quotes, a newline, bad UTF-8
    # (byte code beside its source goes file by file, so these names are listed)
    local f
    mkdir -p "$site/yaml/x<" "$site/yaml/a\"b'c"$'\n'"d" "$site/yaml/"$'bad\xff'
    for f in "x</script><img src=x onerror=alert(1)>" "a\"b'c"$'\n'"d/q" $'bad\xff/z'; do
        fill "$site/yaml/$f.py" 2 && fill "$site/yaml/$f.pyc" 3
    done
    record "$site" PyYAML-6.0.1.dist-info yaml
    record "$site" fastmath-1.2.0.dist-info fastmath fastmath.libs
    printf '{"name": "leftpad", "version": "1.0.0"}\n' > "$nm/leftpad/package.json"
    fill "$nm/leftpad/index.js" 3
    fill "$nm/leftpad/README.md" 16
    fill "$nm/leftpad/test/index.js" 14
    printf '{"name": "@scope/native", "version": "2.0.0"}\n' > "$nm/@scope/native/package.json"
    fill "$nm/@scope/native/index.js" 2
    fill "$d/usr/share/app/notes.txt" 20
    cc -g -O0 -fPIC -shared -o "$d/usr/lib/libstray.so.1" "$T/a.c"   # no package: (other)
}

# count_colours PNG: "RRGGBB:percent ..." of every colour in COLOURS (COLOURS=... before
# the call for others)
count_colours() {
    python3 - "$1" $COLOURS <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat, w = 8, b'', 0
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
        assert depth == 8 and ctype in (2, 6) and not interlace, 'unexpected PNG format'
        bpp = 3 if ctype == 2 else 4
    elif kind == b'IDAT':
        idat += body
    pos += 12 + n
raw, stride = zlib.decompress(idat), w * bpp
prev, counts, i = bytearray(stride), {}, 0
for y in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        k = bytes(line[x:x + 3])
        counts[k] = counts.get(k, 0) + 1
    prev = line
for spec in sys.argv[2:]:
    hexrgb = spec.split(':')[0]
    print('%s:%.3f' % (hexrgb, 100.0 * counts.get(bytes.fromhex(hexrgb), 0) / (w * h)))
PY
}

find_chromium() {
    local c
    for c in chromium chromium-browser google-chrome; do
        command -v "$c" >/dev/null && { command -v "$c"; return 0; }
    done
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            chromium >/dev/null 2>&1 && command -v chromium && return 0
    fi
    return 1
}

# 1. The page is written, self-contained, and holds the data without raw markup.
t_page() {
    local name=page d=$T/page html
    mkdir -p "$d" && mktree "$d/tree"
    if ! "$SLIM" -q --dry-run --preset node --html "$d/out.html" "$d/tree" 2> "$d/err"; then
        bad $name "slim failed: $(head -3 "$d/err")"; return 1
    fi
    html=$d/out.html
    [ -s "$html" ] || { bad $name "no page written"; return 1; }
    # two script elements close: the data and the code; no path closes one
    [ "$(grep -oi '</script' "$html" | wc -l)" = 2 ] ||
        { bad $name "a path closed a <script> element"; return 1; }
    grep -qi 'onerror=alert' "$html" && grep -q '<img' "$html" &&
        { bad $name "a hostile name reached the page as markup"; return 1; }
    grep -Eqi '(src|href)="?(https?:)?//|@import|url\(' "$html" &&
        { bad $name "the page refers to something outside itself"; return 1; }
    # the data parses, and every package is there
    python3 - "$html" <<'PY' || { bad $name "embedded data"; return 1; }
import json, re, sys
page = open(sys.argv[1], encoding='utf-8').read()
m = re.search(r'<script type="application/json" id="slim-data">(.*?)</script>', page, re.S)
d = json.loads(m.group(1))
names = sorted(p[0] for p in d['pkgs'])
assert names == ['(other)', '@scope/native', 'PyYAML', 'fastmath', 'leftpad'], names
paths = [it[2] for it in d['items']]
assert any('x</script><img' in p for p in paths), 'hostile name lost'
assert any('bad\udcff/z.py' in p for p in paths), 'invalid UTF-8 not escaped as \\udcXX'
assert d['kind_bytes'][0] > 0 and d['kind_bytes'][1] > 0 and d['kind_bytes'][2] > 0
PY
    ok $name
}

# chrome ARGS...: headless Chromium on a fresh profile, logging to stderr
chrome() {
    timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d "$T/profile.XXXXXX")" --window-size=1400,900 \
        --enable-logging=stderr --v=0 "$@"
}

# 2. Chromium draws the chart: each colour of what slim does covers real area.
t_render() {
    local name=render d=$T/page out
    chrome --screenshot="$d/shot.png" "file://$d/out.html" > "$d/chrome.log" 2>&1
    [ -s "$d/shot.png" ] || { bad $name "no screenshot: $(tail -2 "$d/chrome.log")"; return; }
    grep -q 'Uncaught' "$d/chrome.log" &&
        { bad $name "script error: $(grep -m1 Uncaught "$d/chrome.log")"; return; }
    [ -n "${KEEP_SHOT:-}" ] && cp "$d/shot.png" "$KEEP_SHOT"
    out=$(count_colours "$d/shot.png") || { bad $name "cannot read the screenshot"; return; }
    local spec hexrgb share big=0
    for spec in $out; do
        hexrgb=${spec%%:*} share=${spec##*:}
        # 1% of a 1400x900 screenshot is 12,600 pixels of that one colour
        awk -v s="$share" 'BEGIN { exit !(s >= 1.0) }' && big=$((big + 1))
    done
    [ $big -eq 3 ] && ok $name || bad $name "chart colours too small or missing: $(echo $out)"
}

# 3. The script fills the tables: packages, kinds, largest files, duplicates.
t_tables() {
    local name=tables d=$T/page
    chrome --dump-dom "file://$d/out.html" > "$d/dom.html" 2> "$d/dom.log"
    python3 - "$d/dom.html" <<'PY' || { bad $name "tables not filled"; return; }
import re, sys
dom = open(sys.argv[1], encoding='utf-8', errors='replace').read()
def table(tid):
    m = re.search(r'<table id="%s">(.*?)</table>' % tid, dom, re.S)
    assert m, tid + ' missing'
    return m.group(1)
pk, kinds = table('pkgs'), table('kinds')
for n in ('fastmath', 'PyYAML', 'leftpad', '@scope/native', '(other)'):
    assert '>%s<' % n in pk, n + ' not in the package table'
for k in ('debug info &amp; symbols', 'byte code', 'tests', 'duplicates', 'node package extras'):
    assert '>%s<' % k in kinds, k + ' not in the kind table'
assert 'table.bin' in table('dups') or 'table-copy.bin' in table('dups')
assert '_core.cpython-311-x86_64-linux-gnu.so' in table('files')
assert 'x&lt;/script&gt;&lt;img' in dom, 'hostile name not shown as text'
assert r'bad\xff/z.pyc' in dom, 'invalid UTF-8 not shown as \\xNN'
assert '<div id="gpu-legend" hidden="">' in dom, 'a GPU legend on a page without GPU code'
PY
    ok $name
}

# --html writes through a new temporary file beside FILE, never through a planted one:
# a symlink at the old fixed name FILE.slim-tmp and a symlink at FILE itself (slim runs
# as root) leave their targets alone; FILE becomes a regular file; nothing is left over
t_html_plant() {
    local name=html_plant d=$T/plant
    mkdir -p "$d/tree/pkg" && echo 'print(1)' > "$d/tree/pkg/m.py"
    echo precious > "$d/victim" && echo precious2 > "$d/victim2"
    ln -s "$d/victim" "$d/out.html.slim-tmp"
    ln -s "$d/victim2" "$d/out.html"
    if ! "$SLIM" -q --dry-run --html "$d/out.html" "$d/tree" 2> "$d/err"; then
        bad $name "slim failed: $(head -3 "$d/err")"; return 1
    fi
    [ "$(cat "$d/victim")" = precious ] || { bad $name "a planted FILE.slim-tmp symlink was written through"; return 1; }
    [ "$(cat "$d/victim2")" = precious2 ] || { bad $name "the symlink at FILE was written through"; return 1; }
    [ -f "$d/out.html" ] && [ ! -L "$d/out.html" ] || { bad $name "FILE is not a new regular file"; return 1; }
    grep -q 'slim-data' "$d/out.html" || { bad $name "FILE holds no page"; return 1; }
    [ -z "$(ls -A "$d" | grep '^\.slim-')" ] || { bad $name "temporary file left"; return 1; }
    # a directory that cannot be written: a clear error naming FILE, nothing left
    mkdir -p "$d/ro" && chmod 555 "$d/ro"
    if [ "$(id -u)" != 0 ]; then
        "$SLIM" -q --dry-run --html "$d/ro/out.html" "$d/tree" 2> "$d/err2"
        [ $? -eq 3 ] && grep -q "cannot write '$d/ro/out.html'" "$d/err2" ||
            { bad $name "unwritable directory: $(head -2 "$d/err2")"; return 1; }
    else
        skip_part unwritable-dir "root writes any directory: the error for one it cannot write is not checked"
    fi
    "$SLIM" -q --dry-run --html "$d/nodir/out.html" "$d/tree" 2> "$d/err3"
    [ $? -eq 3 ] && grep -q "^slim: cannot .*'$d/nodir/out.html'" "$d/err3" ||
        { bad $name "missing directory: exit or message wrong: $(head -2 "$d/err3")"; return 1; }
    ok $name
}
t_html_plant

# 4. GPU code: a library with SASS for sm_75, sm_80 and sm_90 and PTX for compute_90, in a
# dry run keeping code for sm_90 only.  The data holds the file's rows with what pruning
# removes of each (all of sm_75's and sm_80's, none of sm_90's).
t_gpu_page() {
    local name=gpu-page d=$T/gpu
    mkdir -p "$d/tree/lib"
    cat > "$d/k.cu" <<'EOF'
__global__ void add(float *a, const float *b, int n)
{
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n)
		a[i] += b[i];
}
extern "C" void launch(float *a, const float *b, int n) { add<<<(n + 255) / 256, 256>>>(a, b, n); }
EOF
    "$NVCC" -shared -Xcompiler -fPIC -gencode arch=compute_75,code=sm_75 \
        -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
        -gencode arch=compute_90,code=compute_90 -o "$d/tree/lib/libk.so" "$d/k.cu" \
        > "$d/nvcc.log" 2>&1 || { bad $name "nvcc: $(tail -c 300 "$d/nvcc.log")"; return 1; }
    if ! "$SLIM" -q -n --cuda-arch sm_90 --html "$d/out.html" "$d/tree" 2> "$d/err"; then
        bad $name "slim failed: $(head -3 "$d/err")"; return 1
    fi
    python3 - "$d/out.html" <<'PY' || { bad $name "GPU data"; return 1; }
import json, re, sys
page = open(sys.argv[1], encoding='utf-8').read()
m = re.search(r'<script type="application/json" id="slim-data">(.*?)</script>', page, re.S)
g = json.loads(m.group(1))['gpu']
rows = [(r[0], r[1]) for r in g['rows']]
assert rows == [('sm_75', 0), ('sm_80', 0), ('sm_90', 0), ('sm_90', 1)], rows
assert g['cuda'] == ['sm_90'] and g['bytes'] == sum(r[2] for r in g['rows']), g
assert len(g['files']) == 1 and g['files'][0][0].endswith('/lib/libk.so'), g['files']
path, size, removed, frows = g['files'][0]
gone = dict(((r[0], r[1]), r[3]) for r in frows)
assert all(r[3] == r[2] > 0 for r in frows if r[0] in ('sm_75', 'sm_80')), frows
assert gone[('sm_90', 0)] == 0 and gone[('sm_90', 1)] == 0, frows
assert removed == sum(gone.values()) == g['removed'] > 0, (removed, g['removed'])
PY
    ok $name
}

# 5. Chromium draws it: the legend names each architecture with its colour and bytes,
# sm_75 and sm_80 marked removed, sm_90 not; each architecture's colour (read from the
# legend's swatches) covers some of the chart; the script raises nothing.
t_gpu_render() {
    local name=gpu-render d=$T/gpu cols out spec
    chrome --dump-dom "file://$d/out.html" > "$d/dom.html" 2> "$d/dom.log"
    cols=$(python3 - "$d/dom.html" <<'PY'
import re, sys
dom = open(sys.argv[1], encoding='utf-8', errors='replace').read()
m = re.search(r'<div id="gpu-legend">(.*?)</div>', dom, re.S)
assert m, 'no GPU legend shown'
spans = dict((re.search(r'(sm_\d+[a-z]?) ', s).group(1), s)
             for s in re.findall(r'<span[^>]*class="arch"[^>]*>(.*?)</span>', m.group(1)))
assert sorted(spans) == ['sm_75', 'sm_80', 'sm_90'], sorted(spans)
hexes = []
for a, s in sorted(spans.items()):
    rgb = re.search(r'background: rgb\((\d+), (\d+), (\d+)\)', s)
    assert rgb, a + ': no swatch colour'
    hexes.append('%02x%02x%02x:%s' % (int(rgb[1]), int(rgb[2]), int(rgb[3]), a))
    assert ('sw gone' in s) == (a != 'sm_90'), a + ': removed shown wrong: ' + s
assert 'removed by --cuda-arch sm_90' in m.group(1), 'no removed key'
assert len(set(h.split(':')[0] for h in hexes)) == 3, 'architectures share a colour'
print(' '.join(hexes))
PY
    ) || { bad $name "legend: $(tail -c 300 "$d/dom.html" | tr '\n' ' ')"; return; }
    # the legends hidden (their room kept): the colours counted are the chart's
    sed 's|</head>|<style>#legend,#gpu-legend{visibility:hidden}</style></head>|' \
        "$d/out.html" > "$d/chart.html"
    chrome --screenshot="$d/shot.png" "file://$d/chart.html" > "$d/chrome.log" 2>&1
    [ -s "$d/shot.png" ] || { bad $name "no screenshot: $(tail -2 "$d/chrome.log")"; return; }
    grep -q 'Uncaught' "$d/chrome.log" "$d/dom.log" &&
        { bad $name "script error: $(grep -h -m1 Uncaught "$d/chrome.log" "$d/dom.log")"; return; }
    [ -n "${KEEP_SHOT:-}" ] && cp "$d/shot.png" "${KEEP_SHOT%.png}-gpu.png"
    out=$(COLOURS=$cols count_colours "$d/shot.png") ||
        { bad $name "cannot read the screenshot"; return; }
    # the code is 1.5% of the file, a thin band: each colour a few hundred pixels of it,
    # and at least 0.005% of 1400x900 (63)
    for spec in $out; do
        awk -v s="${spec##*:}" 'BEGIN { exit !(s >= 0.005) }' ||
            { bad $name "an architecture's colour missing from the chart: $(echo $out)"; return; }
    done
    ok $name "$cols"
}

# 4. An image: the whole input by package (a dpkg list, a dist-info RECORD, the stdlib)
# changed or not, by directory, the largest files, and the layer table with the bytes a
# later layer supersedes; the JSON's packages add up to every byte.
t_image() {
    local name=image d=$T/image
    mkdir -p "$d"
    python3 - "$d/img" <<'PY' || { bad $name "cannot make the image"; return 1; }
import hashlib, io, json, os, random, sys, tarfile, zlib
D = sys.argv[1]
def sha(b): return 'sha256:' + hashlib.sha256(b).hexdigest()
def rnd(n, seed): r = random.Random(seed); return bytes(r.getrandbits(8) for _ in range(n))
def tar(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT) as t:
        for n, data in files:
            i = tarfile.TarInfo(n); i.mode = 0o644; i.mtime = 1700000000; i.size = len(data)
            t.addfile(i, io.BytesIO(data))
    return buf.getvalue()
def gz(b): c = zlib.compressobj(6, zlib.DEFLATED, 31); return c.compress(b) + c.flush()
def put(data):
    os.makedirs(os.path.join(D, 'blobs', 'sha256'), exist_ok=True)
    open(os.path.join(D, 'blobs', 'sha256', sha(data)[7:]), 'wb').write(data)
    return sha(data)
site = 'usr/local/lib/python3.11/site-packages/'
l1 = tar([('var/lib/dpkg/info/demo-tool.list', b'/.\n/usr\n/usr/bin\n/usr/bin/demo\n'),
          ('usr/bin/demo', rnd(60000, 1)), ('usr/lib/python3.11/os.py', rnd(9000, 2))])
l2 = tar([('usr/bin/demo', rnd(30000, 3)),
          (site + 'fancy/__init__.py', rnd(7000, 4)),
          (site + 'fancy-2.0.dist-info/RECORD', b'fancy/__init__.py,,\nfancy-2.0.dist-info/RECORD,,\n')])
cfg = json.dumps({'architecture': 'amd64', 'os': 'linux', 'rootfs': {'type': 'layers',
      'diff_ids': [sha(l1), sha(l2)]}}).encode()
m = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
     'config': {'mediaType': 'application/vnd.oci.image.config.v1+json', 'digest': put(cfg), 'size': len(cfg)},
     'layers': [{'mediaType': 'application/vnd.oci.image.layer.v1.tar+gzip', 'digest': put(gz(l)),
                 'size': len(gz(l))} for l in (l1, l2)]}
mb = json.dumps(m).encode()
json.dump({'schemaVersion': 2, 'manifests': [{'mediaType': 'application/vnd.oci.image.manifest.v1+json',
           'digest': put(mb), 'size': len(mb)}]}, open(os.path.join(D, 'index.json'), 'w'))
open(os.path.join(D, 'oci-layout'), 'w').write('{"imageLayoutVersion":"1.0.0"}')
PY
    if ! "$SLIM" -q -n --json --html "$d/out.html" "$d/img" > "$d/out.json" 2> "$d/err"; then
        bad $name "slim failed: $(head -3 "$d/err")"; return 1
    fi
    python3 - "$d/out.json" <<'PY' || { bad $name "the JSON's accounting is wrong"; return 1; }
import json, sys
d = json.load(open(sys.argv[1]))
pk = {(p["name"], p["kind"]): p for p in d["by_package"]}
assert sum(p["bytes_listed"] for p in d["by_package"]) == d["totals"]["bytes_before"], "sum"
# the first layer's demo (60000), the second's (30000, in no list of its layer) and the
# list itself (31): all the package's
assert pk[("demo-tool", "deb")]["bytes_listed"] == 90031, pk.get(("demo-tool", "deb"))
assert pk[("fancy", "python")]["files"] == 2, pk.get(("fancy", "python"))
assert pk[("python3.11 stdlib", "stdlib")]["bytes_listed"] == 9000
assert d["largest_files"][0]["bytes"] == 60000 and d["largest_files"][0]["package"] == "demo-tool"
assert len(d["image"]["layers"]) == 2 and d["image"]["layers"][0]["waste_bytes"] == 60000, d["image"]
PY
    chrome --dump-dom "file://$d/out.html" > "$d/dom.html" 2> "$d/dom.log"
    python3 - "$d/dom.html" <<'PY' || { bad $name "the page's tables are wrong"; return 1; }
import re, sys
dom = open(sys.argv[1], encoding='utf-8', errors='replace').read()
def table(tid):
    m = re.search(r'<table id="%s">(.*?)</table>' % tid, dom, re.S)
    assert m, tid + ' missing'
    return m.group(1)
def rows(tid): return re.findall(r'<tr>(.*?)</tr>', table(tid), re.S)[1:]
pk = table('pkgs')
for n in ('demo-tool', 'fancy', 'python3.11 stdlib'):
    assert '>%s<' % n in pk, n + ' not in the package table'
assert '>deb<' in pk and '>stdlib<' in pk, 'package kinds not shown'
# 60000 + 9000 + 30000 + 7000 + 49 (the RECORD) below usr/
assert any('usr/' in r and '103.6 KiB' in r for r in rows('dirs')), 'usr/ not 103.6 KiB in the directory table'
big = rows('big')
assert 'usr/bin/demo' in big[0] and '58.6 KiB' in big[0] and 'demo-tool' in big[0], big[0]
ly = rows('layers')
assert len(ly) == 2 and '58.6 KiB' in ly[0] and 'sha256:' in ly[0], ly
assert '<section class="panel" id="layers-panel">' in dom, 'the layer table is hidden'
PY
    ok $name
}

if t_page; then
    if CHROME=$(find_chromium); then
        t_render
        t_tables
    else
        skp render "chromium is not installed and cannot be"
        skp tables "chromium is not installed and cannot be"
    fi
else
    skp render "no page to render (page failed)"
    skp tables "no page to render (page failed)"
fi
if [ -z "$NVCC" ]; then
    skp gpu-page "nvcc missing"
    skp gpu-render "nvcc missing"
elif t_gpu_page; then
    if [ -n "${CHROME:-}" ] || CHROME=$(find_chromium); then
        t_gpu_render
    else
        skp gpu-render "chromium is not installed and cannot be"
    fi
else
    skp gpu-render "no page to render (gpu-page failed)"
fi
if [ -n "${CHROME:-}" ] || CHROME=$(find_chromium); then
    t_image
else
    skp image "chromium is not installed and cannot be"
fi
finish
