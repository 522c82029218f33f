#!/usr/bin/env bash
# End-to-end test of the audit's accounting of the whole input (doc/layers-and-images.md;
# JSON "by_package", "accounting", "by_directory", "by_file_kind", "largest_files"):
# a small real-ish rootfs - the files of a few of this host's Debian packages
# with their real dpkg lists (merged /usr: lib -> usr/lib), a pip-style
# site-packages with *.dist-info/RECORD, the Python stdlib, node_modules, an apk
# database, apt lists - as a tree and as a layer.  Every byte must land in
# exactly one package, and the named files in the package they belong to.
#   tests/e2e_account.sh SLIM
. "$(dirname "$0")/lib.sh"
lib_init account
SLIM=$(readlink -f "$1")

# fill FILE KIB: text that does not compress to nothing
fill() { "$PY" -c "import os,random,sys; random.seed(os.fsencode(sys.argv[1])); open(sys.argv[1],'w').write(''.join(random.choice('abcdefgh \n') for _ in range(int(sys.argv[2])*1024)))" "$1" "$2"; }

# deb_copy ROOT PKG: PKG's regular files from this host (a path under /lib,
# /bin or /sbin goes below usr/, as on a merged-/usr system) and its dpkg info.
deb_copy() {
    local root=$1 pkg=$2 list f to n=0
    list=$(ls /var/lib/dpkg/info/"$pkg".list /var/lib/dpkg/info/"$pkg":*.list 2>/dev/null | head -1)
    [ -n "$list" ] || return 1
    while IFS= read -r f; do
        [ -f "$f" ] && [ ! -L "$f" ] || continue
        case $f in /lib/* | /bin/* | /sbin/* | /lib64/*) to=usr$f ;; *) to=${f#/} ;; esac
        mkdir -p "$root/$(dirname "$to")" && cp "$f" "$root/$to" && n=$((n + 1))
    done < "$list"
    [ $n -gt 0 ] || return 1
    mkdir -p "$root/var/lib/dpkg/info"
    cp "${list%.list}".* "$root/var/lib/dpkg/info/"
}

# record SITE DIST-INFO ENTRY...: a RECORD listing each ENTRY and the dist-info's files
record() {
    local site=$1 info=$2; shift 2
    mkdir -p "$site/$info"
    echo "Name: ${info%%-*}" > "$site/$info/METADATA"
    { for f in "$@"; do echo "$f,sha256=x,1"; done
      echo "$info/METADATA,,"; echo "$info/RECORD,,"; } > "$site/$info/RECORD"
}

mkroot() {
    local r=$1 site=$1/usr/local/lib/python3.11/site-packages std=$1/usr/lib/python3.11
    local nm=$1/srv/app/node_modules pkg
    mkdir -p "$r/usr/lib" && ln -s usr/lib "$r/lib"
    DEBS=
    for pkg in zlib1g libzstd1 liblz4-1 libbz2-1.0; do
        deb_copy "$r" "$pkg" && DEBS="$DEBS $pkg"
    done
    mkdir -p "$site/demo/__pycache__" "$site/__pycache__" "$site/noinfo" \
        "$std/__pycache__" "$std/json" "$nm/left-pad" "$nm/@scope/pkg/lib" \
        "$r/var/lib/apt/lists" "$r/usr/share/apkdemo" "$r/lib/apk/db" "$r/data"
    fill "$site/demo/__init__.py" 8
    fill "$site/demo/core.py" 16
    fill "$site/demo/__pycache__/core.cpython-311.pyc" 12 # not in RECORD: pip writes it later
    fill "$site/six.py" 6
    fill "$site/__pycache__/six.cpython-311.pyc" 5
    fill "$site/noinfo/mod.py" 3
    (cd "$site" && record . demo-1.0.dist-info demo/__init__.py demo/core.py &&
        record . six-1.16.0.dist-info six.py)
    fill "$std/os.py" 20
    fill "$std/__pycache__/os.cpython-311.pyc" 18
    fill "$std/json/__init__.py" 9
    fill "$nm/left-pad/index.js" 4
    echo '{"name": "left-pad"}' > "$nm/left-pad/package.json"
    fill "$nm/@scope/pkg/lib/index.js" 7
    fill "$r/var/lib/apt/lists/deb.debian.org_dists_bookworm_main_Packages" 40
    fill "$r/usr/share/apkdemo/notes.txt" 2
    printf 'C:Q1abc=\nP:apkdemo\nV:1.0-r0\nF:usr/share/apkdemo\nR:notes.txt\n\n' > "$r/lib/apk/db/installed"
    fill "$r/data/blob" 1
    fill "$nm/left-pad/big.bin" 300
    ln "$nm/left-pad/big.bin" "$nm/left-pad/big-link.bin" # one file, two names: counted once
}

# check JSON ROOT WANT: the sums against the tree ROOT itself, and the files of each
# package named in WANT ("KIND NAME FILES" lines; a space in NAME spelled '_')
check() {
    "$PY" - "$1" "$2" "$3" <<'EOF'
import json, os, sys
d = json.load(open(sys.argv[1])); root = sys.argv[2]
def die(m): print(m); sys.exit(1)
pk = {(p["name"].replace(" ", "_"), p["kind"]): p for p in d["by_package"]}
total = d["totals"]["bytes_before"]
s = sum(p["bytes_listed"] for p in d["by_package"])
if s != total or d["accounting"]["bytes"] != total:
    die("sum of bytes_listed %d, accounting %d, totals.bytes_before %d" % (s, d["accounting"]["bytes"], total))
# the tree's own count: apparent size of regular files, each inode once
seen, du, sizes = set(), 0, []
for dp, dn, fn in os.walk(root):
    for f in fn:
        st = os.lstat(os.path.join(dp, f))
        if os.path.isfile(os.path.join(dp, f)) and not os.path.islink(os.path.join(dp, f)) and (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino)); du += st.st_size; sizes.append(st.st_size)
if du != total:
    die("the tree holds %d bytes, the report says %d" % (du, total))
files = sum(p["files"] for p in d["by_package"])
if files != d["accounting"]["files"] or files != len(seen):
    die("files: packages %d, accounting %d, tree %d" % (files, d["accounting"]["files"], len(seen)))
other = d["accounting"]["other_bytes"]
if other * 20 > total:
    die("(other) holds %d of %d bytes" % (other, total))
top = sum(x["bytes"] for x in d["by_directory"] if x["depth"] <= 1)
if top != total:
    die("top directories and '.' hold %d, not %d" % (top, total))
if sum(k["bytes"] for k in d["by_file_kind"].values()) != total:
    die("by_file_kind does not add up")
big = [x["bytes"] for x in d["largest_files"]]
if big != sorted(sizes, reverse=True)[:20]:
    die("largest files %r, the tree's %r" % (big, sorted(sizes, reverse=True)[:20]))
if not any(x["path"].endswith(("/left-pad/big.bin", "/left-pad/big-link.bin")) and x["package"] == "left-pad" for x in d["largest_files"]):
    die("big.bin is not among the largest files, under left-pad")
checked = 0
for line in open(sys.argv[3]):
    kind, name, n = line.split()
    checked += 1
    if (name, kind) not in pk:
        die("no package %s (%s): %s" % (name, kind, sorted(pk)))
    if pk[(name, kind)]["files"] != int(n):
        die("%s (%s) owns %d files, not %s" % (name, kind, pk[(name, kind)]["files"], n))
if checked < 11:
    die("only %d packages checked" % checked)
EOF
}

# the expected packages of mkroot's tree: KIND NAME FILES
expected() {
    local pkg
    for pkg in $DEBS; do
        # its regular files, and its dpkg info files
        echo "deb $pkg $(( $(ls /var/lib/dpkg/info/"$pkg".* /var/lib/dpkg/info/"$pkg":*.* 2>/dev/null | wc -l) +
            $(while IFS= read -r f; do [ -f "$f" ] && [ ! -L "$f" ] && echo; done < \
              "$(ls /var/lib/dpkg/info/"$pkg".list /var/lib/dpkg/info/"$pkg":*.list 2>/dev/null | head -1)" | wc -l) ))"
    done
    cat <<'EOF'
python demo 5
python six 4
python aaa 3
python zzz 2
python noinfo 1
stdlib python3.11_stdlib 3
npm left-pad 3
npm @scope/pkg 1
apk apkdemo 1
state apt_package_lists 1
state apk_database 1
other (other) 1
EOF
}

case_tree() {
    mkroot root
    [ -n "$DEBS" ] || skipcase "none of zlib1g, libzstd1, liblz4-1, libbz2-1.0 in /var/lib/dpkg"
    # a file two RECORDs list, in a tree: the least name's, whichever is read first
    local site=root/usr/local/lib/python3.11/site-packages
    fill "$site/shared.py" 2
    (cd "$site" && record . zzz-1.0.dist-info shared.py && record . aaa-2.0.dist-info shared.py)
    "$SLIM" -n --json root > a.json 2>> "$CASE_DIR/.slim-stderr" || fail "slim exit $?"
    expected > want # names with a space are spelled with '_'
    check a.json root want > why || fail "$(cat why)"
    # the changes carry their package: the stdlib's byte code is removed under it
    "$PY" - a.json <<'EOF' || fail "savings by package"
import json, sys
d = json.load(open(sys.argv[1]))
pk = {p["name"]: p for p in d["by_package"]}
if pk["python3.11 stdlib"]["bytes_saved"] != 18 * 1024: sys.exit("stdlib saved %d" % pk["python3.11 stdlib"]["bytes_saved"])
if pk["demo"]["bytes_saved"] != 12 * 1024: sys.exit("demo saved %d" % pk["demo"]["bytes_saved"])
if sum(p["bytes_saved"] for p in d["by_package"]) != d["totals"]["bytes_saved"]: sys.exit("saved sums")
EOF
}

case_layer() {
    mkroot root
    [ -n "$DEBS" ] || skipcase "no Debian packages to copy"
    # a file two RECORDs list, the least name's ("a") read last from the layer ('+' < '-'):
    # still the least name's, as in the tree
    local site=root/usr/local/lib/python3.11/site-packages
    fill "$site/shared.py" 2
    (cd "$site" && record . a+b-1.0.dist-info shared.py && record . a-2.0.dist-info shared.py)
    tar -C root --sort=name -cf l.tar . || fail "tar"
    tar -tf l.tar | grep -E '/a(\+b-1\.0|-2\.0)\.dist-info/RECORD$' | head -1 | grep -q 'a+b' ||
        fail "a+b's RECORD is not first in the layer: $(tar -tf l.tar | grep 'dist-info/RECORD$')"
    "$SLIM" -n --json root > d.json 2>> "$CASE_DIR/.slim-stderr" || fail "slim on the tree"
    "$SLIM" -n --json l.tar > l.json 2>> "$CASE_DIR/.slim-stderr" || fail "slim on the layer"
    # the same packages, byte for byte, from the tree and from its layer
    "$PY" - d.json l.json <<'EOF' || fail "tree and layer differ"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
pa = {(p["name"], p["kind"]): (p["files"], p["bytes_listed"]) for p in a["by_package"]}
pb = {(p["name"], p["kind"]): (p["files"], p["bytes_listed"]) for p in b["by_package"]}
if pa != pb: sys.exit("tree %s\nlayer %s" % (sorted(pa.items()), sorted(pb.items())))
if pa[("a", "python")][0] != 3 or pa[("a+b", "python")][0] != 2: sys.exit("shared.py: %r" % pa)
if b["accounting"]["bytes"] != b["totals"]["bytes_before"]: sys.exit("layer sums")
EOF
}

# An audit of a compressed layer measures the output in the layer's own compression:
# with every pass off, the packed sizes compare like with like (doc/json.md, "file_codec_*").
case_codec() {
    mkdir -p root/usr/share/t root/usr/lib/python3.11/__pycache__
    local i
    for i in 1 2 3 4 5 6; do fill "root/usr/share/t/f$i.txt" 40; done
    fill root/usr/lib/python3.11/__pycache__/os.cpython-311.pyc 30
    tar -C root -cf l.tar . && gzip -6 -n -c l.tar > l.tar.gz || fail "tar"
    "$SLIM" -n --json --no-strip --dedup off --preset none l.tar.gz > off.json \
        2>> "$CASE_DIR/.slim-stderr" || fail "slim, passes off"
    "$SLIM" -n --json l.tar.gz > on.json 2>> "$CASE_DIR/.slim-stderr" || fail "slim"
    "$SLIM" -n --json --no-strip --dedup off --preset none l.tar > tar.json \
        2>> "$CASE_DIR/.slim-stderr" || fail "slim on the tar"
    "$SLIM" -n --no-strip --dedup off --preset none l.tar.gz > off.txt \
        2>> "$CASE_DIR/.slim-stderr" || fail "slim, table"
    grep -q 'both gzip' off.txt || fail "the table does not name gzip: $(grep packed off.txt)"
    "$PY" - off.json on.json tar.json <<'EOF' || fail "packed sizes"
import json, sys
off, on, t = (json.load(open(f))["layer"] for f in sys.argv[1:4])
for l in (off, on):
    if (l["file_codec_before"], l["file_codec_after"]) != ("gzip", "gzip"): sys.exit("codecs %r" % l)
# the same tar stream, gzip both sides: within 2% (tar headers, the level)
b, a = off["file_bytes_before"], off["file_bytes_after"]
if abs(a - b) * 50 > b: sys.exit("passes off: %d -> %d" % (b, a))
if on["file_bytes_after"] >= b: sys.exit("the byte code removed saves nothing packed")
if (t["file_codec_before"], t["file_codec_after"]) != ("none", "zstd"): sys.exit("tar codecs %r" % t)
EOF
}

# The owner of each path right after another in its directory: the
# directory of the last path answers for the next one in it (owner_of()'s
# cache), never for a directory whose name it begins (ab/, abc/), nor for a
# file a level down, nor for a name that is an owner of its own (f.txt) or
# begins one (ab.txt, f.txtx).  The distributions sit outside site-packages
# and name other things than their directories: a wrong owner shows, not
# hidden by an answer from where the file lies.
case_owner_cache() {
    local lib=root/opt/lib nm=root/srv/node_modules f
    mkdir -p "$lib/ab/sub" "$lib/abc/deep" "$lib/n" "$nm/p/lib" "$nm/pq/lib"
    for f in ab/x ab/extra ab/sub/s abc/y abc/deep/z ab.txt f.txt f.txtx n/m; do
        fill "$lib/$f" 1
    done
    for f in p/index.js p/lib/a.js pq/lib/b.js; do fill "$nm/$f" 1; done
    echo '{"name": "p"}' > "$nm/p/package.json"
    echo '{"name": "pq"}' > "$nm/pq/package.json"
    (cd "$lib" && record . one-1.0.dist-info ab/x && record . two-1.0.dist-info abc/y &&
        record . three-1.0.dist-info f.txt)
    "$SLIM" -n --json root > t.json 2>> "$CASE_DIR/.slim-stderr" || fail "slim on the tree"
    tar -C root -cf l.tar . || fail "tar"
    "$SLIM" -n --json l.tar > l.json 2>> "$CASE_DIR/.slim-stderr" || fail "slim on the layer"
    "$PY" - t.json l.json <<'EOF' || fail "owners"
import json, sys
want = {("one", "python"): 5, ("two", "python"): 4, ("three", "python"): 3,
        ("p", "npm"): 3, ("pq", "npm"): 2, ("(other)", "other"): 3}
for f in sys.argv[1:]:
    got = {(p["name"], p["kind"]): p["files"] for p in json.load(open(f))["by_package"]}
    if got != want: sys.exit("%s: %s" % (f, sorted(got.items())))
EOF
}

run_case tree case_tree
run_case codec case_codec
run_case layer case_layer
run_case owner_cache case_owner_cache
finish
