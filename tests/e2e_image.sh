#!/usr/bin/env bash
# End-to-end tests of image mode: a real image, built offline with buildah,
# saved as docker-archive, OCI layout (gzip) and OCI layout (zstd), slimmed,
# then checked by the tools that consume images.
#   tests/e2e_image.sh SLIM
# Needs buildah, podman, skopeo, umoci, runc, gcc, python3, zstd, and a Debian
# rootfs with python3: ${SLIM_CORPUS_CACHE:-$HOME/.cache/slim-corpus}/rootfs
# (made with debootstrap from apt's own mirror when missing).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/e2e-image.XXXXXX")
cp "$1" "$T/slim" && SLIM=$T/slim   # a rebuild meanwhile must not pull it away
S="--root $T/st --runroot $T/run --storage-driver vfs"
CS="containers-storage:[vfs@$T/st+$T/run]"
cleanup() {
    podman $S rm -af >/dev/null 2>&1
    rm -rf "$T" 2>/dev/null || { chattr -R -i "$T" 2>/dev/null; rm -rf "$T"; }
}
trap cleanup EXIT
pass=0 fail=0 skip=0
ok()   { echo "ok $1"; pass=$((pass + 1)); }
bad()  { echo "FAIL $1: $2"; fail=$((fail + 1)); }
skp()  { echo "skip $1: $2"; skip=$((skip + 1)); }
finish() {
    echo "$pass passed, $fail failed, $skip skipped"
    [ "$fail" = 0 ]
    exit $?
}
export CONTAINERS_CONF=$T/containers.conf
cat > "$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
EOF
RUNF="--runtime runc run --rm --pull=never --network=none --ulimit nofile=20000:20000 --ulimit nproc=4096:4096"

for t in buildah podman skopeo umoci runc gcc python3 zstd; do
    command -v $t >/dev/null || { skp image "$t is not installed"; finish; }
done
[ "$(id -u)" = 0 ] || { skp image "needs root (buildah with a private store)"; finish; }

# ---- the base: a Debian rootfs with python3 ------------------------------------------
CACHE=${SLIM_CORPUS_CACHE:-$HOME/.cache/slim-corpus}
ROOTFS=$CACHE/rootfs
[ -x "$ROOTFS/usr/bin/python3" ] || ROOTFS=/root/.cache/slim-corpus/rootfs
if [ ! -x "$ROOTFS/usr/bin/python3" ]; then
    ROOTFS=$CACHE/rootfs
    MIRROR=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
    if ! command -v debootstrap >/dev/null || [ -z "$MIRROR" ]; then
        skp image "no cached rootfs and no debootstrap or mirror to make one"; finish
    fi
    mkdir -p "$CACHE" && rm -rf "$ROOTFS.tmp"
    debootstrap --variant=minbase --include=python3 bookworm "$ROOTFS.tmp" "$MIRROR" \
        >"$T/debootstrap.log" 2>&1 && mv "$ROOTFS.tmp" "$ROOTFS" ||
        { skp image "debootstrap failed: $(tail -1 "$T/debootstrap.log")"; finish; }
fi
tar -C "$ROOTFS" -cf "$T/rootfs.tar" . 2>/dev/null
if ! podman $S import --change 'CMD ["/bin/sh"]' "$T/rootfs.tar" localhost/base:1 >"$T/log" 2>&1; then
    skp image "podman import failed: $(tail -1 "$T/log")"; finish
fi
rm -f "$T/rootfs.tar"

# ---- the image: stages, unstripped .so files, __pycache__, a deleted and a replaced file
C=$T/ctx
mkdir -p "$C/app/pkg" "$C/libs"
python3 - "$C/big.c" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(3000):
        f.write(f"struct s{i} {{ int a{i}; long b{i}; char c{i}[{i % 17 + 1}]; }};\n")
        f.write(f"int fn{i}(struct s{i} *p, int x) {{ int y = x * {i}; "
                f"for (int k = 0; k < x; k++) y += p->a{i} + k; return y + (int)p->b{i}; }}\n")
EOF
gcc -g -O0 -fPIC -shared -o "$C/libs/libbig.so" "$C/big.c"
printf 'int gone(int x){return x+1;}\n' > "$C/gone.c"
gcc -g -O0 -fPIC -shared -o "$C/libs/libgone.so" "$C/gone.c"
cat > "$C/app/main.py" <<'EOF'
import pkg.util
print("app", pkg.util.double(21))
EOF
printf 'def double(x):\n    return 2 * x\n' > "$C/app/pkg/util.py"
: > "$C/app/pkg/__init__.py"
for i in $(seq 1 40); do printf 'VALUE_%d = %d\n' $i $i > "$C/app/pkg/mod$i.py"; done
echo original > "$C/app/data.txt"
cat > "$C/Containerfile" <<'EOF'
FROM localhost/base:1 AS build
COPY app/ /src/app/
RUN python3 -m compileall -q /src/app

FROM localhost/base:1
COPY --from=build /src/app/ /opt/app/
COPY libs/ /usr/local/lib/demo/
RUN python3 -m compileall -q /usr/lib/python3/dist-packages /opt/app && echo ready > /etc/motd
RUN rm /usr/local/lib/demo/libgone.so && echo replaced > /opt/app/data.txt
COPY hello.txt /etc/hello
EOF
echo hello > "$C/hello.txt"
SECONDS=0
if ! buildah $S build --layers --isolation chroot -t localhost/app:1 -f "$C/Containerfile" "$C" \
        >"$T/build.log" 2>&1; then
    skp image "buildah build failed: $(tail -2 "$T/build.log" | tr '\n' ' ')"; finish
fi
echo "  built in ${SECONDS}s"
ok build

# the same image, slimmed from inside by a last RUN step (needs a static slim)
STATIC=$ROOT/build/static/slim
RUNSLIM=
if [ -x "$STATIC" ] && ! ldd "$STATIC" >/dev/null 2>&1; then
    cp "$STATIC" "$C/slim"
    { cat "$C/Containerfile"; echo 'COPY slim /usr/local/bin/slim'
      echo 'RUN /usr/local/bin/slim -q /usr /opt; rm -f /usr/local/bin/slim'; } > "$C/Containerfile.run"
    if buildah $S build --layers --isolation chroot -t localhost/app-runslim:1 \
            -f "$C/Containerfile.run" "$C" >"$T/build-run.log" 2>&1; then
        RUNSLIM=localhost/app-runslim:1
    else
        skp runslim-build "$(tail -2 "$T/build-run.log" | tr '\n' ' ')"
    fi
else
    skp runslim-build "no static slim at build/static/slim (scripts/build-static.sh makes one)"
fi
SECONDS=0

podman $S save -q --format docker-archive -o "$T/app.tar" localhost/app:1 >/dev/null 2>&1 &&
skopeo copy -q "${CS}localhost/app:1" "oci:$T/oci:app" &&
skopeo copy -q --dest-compress-format zstd "${CS}localhost/app:1" "oci:$T/ocz:app" ||
    { bad save "podman save or skopeo copy failed"; finish; }
echo "  saved in ${SECONDS}s"
ok save

# ---- helpers ------------------------------------------------------------------------
# Check an OCI layout completely: every descriptor's size and sha256, every
# layer's decompressed sha256 against diff_ids.  Prints the image size (the
# sum of its layer and config blobs).
cat > "$T/ocicheck.py" <<'EOF'
import gzip, hashlib, json, os, subprocess, sys
root = sys.argv[1]
def blob(d):
    p = os.path.join(root, "blobs", *d["digest"].split(":"))
    data = open(p, "rb").read()
    if len(data) != d["size"]:
        sys.exit(f"{d['digest']}: size {len(data)} != {d['size']}")
    if "sha256:" + hashlib.sha256(data).hexdigest() != d["digest"]:
        sys.exit(f"{d['digest']}: digest mismatch")
    return data
def unpack(mt, data):
    if mt.endswith("gzip"): return gzip.decompress(data)
    if mt.endswith("zstd"): return subprocess.run(["zstd", "-dc"], input=data, capture_output=True, check=True).stdout
    return data
total = 0
def walk(idx):
    global total
    for d in idx["manifests"]:
        m = json.loads(blob(d))
        if "manifests" in m: walk(m); continue
        cfg = json.loads(blob(m["config"]))
        ids = cfg["rootfs"]["diff_ids"]
        if len(ids) != len(m["layers"]): sys.exit("layer count != diff_ids")
        total += m["config"]["size"]
        for l, i in zip(m["layers"], ids):
            tar = unpack(l["mediaType"], blob(l))
            if "sha256:" + hashlib.sha256(tar).hexdigest() != i:
                sys.exit(f"layer {l['digest']}: diff_id mismatch")
            total += l["size"]
walk(json.load(open(os.path.join(root, "index.json"))))
print(total)
EOF
# The layer digests of the (single) image of a layout, one a line.
layers_of() {
    python3 - "$1" <<'EOF'
import json, os, sys
r = sys.argv[1]
b = lambda d: json.load(open(os.path.join(r, "blobs", *d.split(":"))))
m = b(json.load(open(os.path.join(r, "index.json")))["manifests"][0]["digest"])
print("\n".join(l["digest"] for l in m["layers"]))
EOF
}
runpy() { # IMAGE: run the slimmed app and the interpreter
    podman $S $RUNF "$1" python3 -c 'import runpy, sys, json, email.mime.text; sys.path.insert(0, "/opt/app"); runpy.run_path("/opt/app/main.py"); print(open("/opt/app/data.txt").read().strip())' 2>&1
}
json_field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# ---- docker-archive ------------------------------------------------------------------
t_docker() {
    local name=docker-archive out=$T/slim-app.tar
    if ! "$SLIM" --json "$T/app.tar" -o "$out" >"$T/da.json" 2>"$T/da.err"; then
        bad $name "slim failed: $(tail -3 "$T/da.err")"; return
    fi
    grep -q "signatures and attestations" "$T/da.err" || { bad $name "no signature warning"; return; }
    local a b; a=$(stat -c %s "$T/app.tar"); b=$(stat -c %s "$out")
    [ "$b" -lt "$a" ] || { bad $name "not smaller: $a -> $b"; return; }
    skopeo copy -q "docker-archive:$out" "${CS}localhost/slim-da:1" >"$T/log" 2>&1 ||
        { bad $name "skopeo copy refused it: $(tail -1 "$T/log")"; return; }
    podman $S load -q -i "$out" >"$T/log" 2>&1 || { bad $name "podman load refused it: $(tail -1 "$T/log")"; return; }
    local got; got=$(runpy localhost/slim-da:1)
    [ "$got" = "$(printf 'app 42\nreplaced')" ] || { bad $name "container output: $got"; return; }
    local w; w=$(json_field "$T/da.json" 'sum(l["waste_bytes"] for l in d["image"]["layers"])')
    [ "$w" -gt 0 ] || { bad $name "no waste reported for the deleted library"; return; }
    echo "  docker-archive: $a -> $b bytes (waste in lower layers: $w bytes)"
    DA_BEFORE=$a DA_AFTER=$b
    ok $name
}

# ---- OCI layout, gzip ------------------------------------------------------------------
t_oci_gzip() {
    local name=oci-gzip out=$T/slim-oci
    "$SLIM" -q "$T/oci" -o "$out" 2>"$T/og.err" || { bad $name "slim failed: $(tail -3 "$T/og.err")"; return; }
    local a b
    a=$(python3 "$T/ocicheck.py" "$T/oci") || { bad $name "input fails the check: $a"; return; }
    b=$(python3 "$T/ocicheck.py" "$out") || { bad $name "output fails the check: $b"; return; }
    [ "$b" -lt "$a" ] || { bad $name "not smaller: $a -> $b"; return; }
    umoci unpack --image "$out:app" "$T/bundle" >"$T/log" 2>&1 ||
        { bad $name "umoci unpack refused it: $(tail -1 "$T/log")"; return; }
    [ ! -e "$T/bundle/rootfs/usr/local/lib/demo/libgone.so" ] &&
        [ "$(cat "$T/bundle/rootfs/opt/app/data.txt")" = replaced ] ||
        { bad $name "unpacked tree is wrong"; return; }
    skopeo copy -q "oci:$out:app" "${CS}localhost/slim-oci:1" >"$T/log" 2>&1 ||
        { bad $name "skopeo copy refused it: $(tail -1 "$T/log")"; return; }
    local got; got=$(runpy localhost/slim-oci:1)
    [ "$got" = "$(printf 'app 42\nreplaced')" ] || { bad $name "container output: $got"; return; }
    # the last layer (/etc/hello) has nothing to gain: same blob, same digest
    [ "$(layers_of "$T/oci" | sed -n '$p')" = "$(layers_of "$out" | sed -n '$p')" ] ||
        { bad $name "an unchanged layer got a new digest"; return; }
    [ "$(layers_of "$T/oci" | sed -n 1p)" != "$(layers_of "$out" | sed -n 1p)" ] ||
        { bad $name "the base layer did not change"; return; }
    echo "  oci (gzip): $a -> $b bytes"
    OCI_BEFORE=$a OCI_AFTER=$b
    ok $name
}

# ---- OCI layout, zstd ----------------------------------------------------------------------
t_oci_zstd() {
    local name=oci-zstd out=$T/slim-ocz
    "$SLIM" -q "$T/ocz" -o "$out" 2>"$T/oz.err" || { bad $name "slim failed: $(tail -3 "$T/oz.err")"; return; }
    local a b
    a=$(python3 "$T/ocicheck.py" "$T/ocz") || { bad $name "input fails the check: $a"; return; }
    b=$(python3 "$T/ocicheck.py" "$out") || { bad $name "output fails the check: $b"; return; }
    [ "$b" -lt "$a" ] || { bad $name "not smaller: $a -> $b"; return; }
    grep -q 'tar+zstd' "$out"/blobs/sha256/* 2>/dev/null || { bad $name "zstd media type lost"; return; }
    skopeo copy -q "oci:$out:app" "${CS}localhost/slim-ocz:1" >"$T/log" 2>&1 ||
        { bad $name "skopeo copy refused it: $(tail -1 "$T/log")"; return; }
    echo "  oci (zstd): $a -> $b bytes"
    ok $name
}

# ---- refusals, dry run, platforms ------------------------------------------------------------
t_zstd_docker() {
    local name=zstd-into-docker-archive
    if "$SLIM" -q --compress zstd "$T/app.tar" -o "$T/z.tar" 2>"$T/z.err"; then
        bad $name "accepted"; return
    fi
    grep -qi "zstd compression is not supported for docker images" "$T/z.err" ||
        { bad $name "unclear message: $(cat "$T/z.err")"; return; }
    [ ! -e "$T/z.tar" ] && ! ls -a "$T" | grep -q '^\.slim-' || { bad $name "output left behind"; return; }
    ok $name
}

t_dry_run() {
    local name=dry-run
    mkdir -p "$T/dry"
    "$SLIM" -n --json "$T/app.tar" -o "$T/dry/x.tar" >"$T/dry.json" 2>/dev/null ||
        { bad $name "slim failed"; return; }
    [ -z "$(ls -A "$T/dry")" ] || { bad $name "wrote something: $(ls -A "$T/dry")"; return; }
    local a b
    a=$(json_field "$T/dry.json" 'd["image"]["totals"]')
    b=$(json_field "$T/da.json" 'd["image"]["totals"]')
    [ "$a" = "$b" ] || { bad $name "figures differ from the real run: $a vs $b"; return; }
    ok $name
}

# A two-platform index made from the gzip layout: the amd64 image and a
# copy whose config says arm64 (same layers: each is slimmed once).
mkmulti() {
    cp -a "$T/oci" "$T/multi"
    python3 - "$T/multi" <<'EOF'
import hashlib, json, os, sys
r = sys.argv[1]
def path(d): return os.path.join(r, "blobs", *d.split(":"))
def put(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    open(path(d), "wb").write(data)
    return d, len(data)
idx = json.load(open(os.path.join(r, "index.json")))
md = idx["manifests"][0]
m = json.load(open(path(md["digest"])))
cfg = json.load(open(path(m["config"]["digest"])))
cfg["architecture"] = "arm64"
m["config"]["digest"], m["config"]["size"] = put(json.dumps(cfg).encode())
arm = dict(md)
arm["digest"], arm["size"] = put(json.dumps(m).encode())
arm.pop("annotations", None)
arm["platform"] = {"os": "linux", "architecture": "arm64"}
amd = {k: v for k, v in md.items() if k != "annotations"}
amd["platform"] = {"os": "linux", "architecture": "amd64"}
lst = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [amd, arm]}
ld, ls = put(json.dumps(lst).encode())
idx["manifests"] = [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": ld, "size": ls,
                     "annotations": md.get("annotations", {})}]
json.dump(idx, open(os.path.join(r, "index.json"), "w"))
EOF
}
platforms_of() {
    python3 - "$1" <<'EOF'
import json, os, sys
r = sys.argv[1]
b = lambda d: json.load(open(os.path.join(r, "blobs", *d.split(":"))))
lst = b(json.load(open(os.path.join(r, "index.json")))["manifests"][0]["digest"])
print(" ".join(m["platform"]["architecture"] for m in lst["manifests"]))
EOF
}

t_platform() {
    local name=platform
    mkmulti || { bad $name "cannot make a two-platform layout"; return; }
    "$SLIM" --json "$T/multi" -o "$T/multi-out" >"$T/multi.json" 2>"$T/p.err" ||
        { bad $name "slim failed: $(tail -1 "$T/p.err")"; return; }
    python3 "$T/ocicheck.py" "$T/multi-out" >/dev/null || { bad $name "output fails the check"; return; }
    [ "$(platforms_of "$T/multi-out")" = "amd64 arm64" ] || { bad $name "platforms lost"; return; }
    [ "$(json_field "$T/multi.json" 'sum(l["shared"] for l in d["image"]["layers"])')" -gt 0 ] ||
        { bad $name "shared layers not reported as shared"; return; }
    "$SLIM" -q --platform linux/arm64 "$T/multi" -o "$T/arm" 2>"$T/p.err" ||
        { bad $name "--platform linux/arm64 refused: $(tail -1 "$T/p.err")"; return; }
    python3 "$T/ocicheck.py" "$T/arm" >/dev/null || { bad $name "arm64 output fails the check"; return; }
    [ "$(platforms_of "$T/arm")" = "arm64" ] || { bad $name "--platform kept: $(platforms_of "$T/arm")"; return; }
    if "$SLIM" -q --platform linux/s390x "$T/multi" -o "$T/s390x" 2>"$T/p.err"; then
        bad $name "no s390x image, but an output"; return
    fi
    [ ! -e "$T/s390x" ] || { bad $name "output left behind"; return; }
    ok $name
}

# The layout newer Docker writes inside a docker-archive: manifest.json
# naming blobs/sha256/ files beside oci-layout and index.json.
t_hybrid() {
    local name=docker-archive-with-oci-layout
    mkdir -p "$T/hy" && cp -a "$T/oci/." "$T/hy/" && python3 - "$T/hy" <<'EOF' || { bad $name "cannot make it"; return; }
import json, os, sys
r = sys.argv[1]
b = lambda d: json.load(open(os.path.join(r, "blobs", *d.split(":"))))
idx = json.load(open(os.path.join(r, "index.json")))
m = b(idx["manifests"][0]["digest"])
p = lambda d: "blobs/sha256/" + d.split(":")[1]
json.dump([{"Config": p(m["config"]["digest"]), "RepoTags": ["localhost/hybrid:1"],
            "Layers": [p(l["digest"]) for l in m["layers"]]}], open(os.path.join(r, "manifest.json"), "w"))
EOF
    tar -C "$T/hy" -cf "$T/hybrid.tar" .
    "$SLIM" -q "$T/hybrid.tar" -o "$T/slim-hybrid.tar" 2>"$T/h.err" ||
        { bad $name "slim failed: $(tail -1 "$T/h.err")"; return; }
    skopeo copy -q "docker-archive:$T/slim-hybrid.tar" "${CS}localhost/slim-hy:1" >"$T/log" 2>&1 ||
        { bad $name "skopeo copy (docker-archive) refused it: $(tail -1 "$T/log")"; return; }
    skopeo copy -q "oci-archive:$T/slim-hybrid.tar:app" "${CS}localhost/slim-hy:2" >"$T/log" 2>&1 ||
        { bad $name "skopeo copy (oci-archive) refused it: $(tail -1 "$T/log")"; return; }
    [ "$(podman $S image inspect -f '{{.Id}}' localhost/slim-hy:1)" = \
      "$(podman $S image inspect -f '{{.Id}}' localhost/slim-hy:2)" ] ||
        { bad $name "manifest.json and index.json name different images"; return; }
    ok $name
}

t_runslim() {
    local name=smaller-than-run-slim
    [ -n "$RUNSLIM" ] || { skp $name "no RUN-slim image to compare with"; return; }
    [ -n "${DA_AFTER:-}" ] || { skp $name "no slimmed docker-archive"; return; }
    podman $S save -q --format docker-archive -o "$T/runslim.tar" "$RUNSLIM" >/dev/null 2>&1 ||
        { bad $name "podman save failed"; return; }
    local r; r=$(stat -c %s "$T/runslim.tar")
    echo "  original $DA_BEFORE, RUN slim $r, slim offline $DA_AFTER bytes (uncompressed)"
    [ "$DA_AFTER" -lt "$r" ] || { bad $name "offline $DA_AFTER >= RUN slim $r"; return; }
    ok $name
}

t_docker
t_oci_gzip
t_oci_zstd
t_zstd_docker
t_dry_run
t_platform
t_hybrid
t_runslim
finish
