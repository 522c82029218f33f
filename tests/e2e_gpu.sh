#!/usr/bin/env bash
# End-to-end test of the GPU code inventory (#21): a small CUDA library built with nvcc
# (SASS for sm_90 and sm_100a, PTX for compute_120), slimmed in place, in a dry run and
# as a layer; its "gpu_code" checked against cuobjdump where it exists, and always
# against the .nv_fatbin section's own size (its containers' entries, headers aside,
# are every byte of it).  Then --cuda-arch: a library with SASS for sm_75, sm_80 and
# sm_90 and PTX for compute_90 pruned to sm_90 in place, as a layer and in an image (the
# same bytes each way, the dry run's figures the real run's), and it still loads.
#   tests/e2e_gpu.sh SLIM
. "$(dirname "$0")/lib.sh"
lib_init gpu
SLIM=$(readlink -f "$1")
CUDA_BIN=${CUDA_BIN:-/usr/local/cuda-13.0/bin}
NVCC=${NVCC-$(first_tool nvcc "$CUDA_BIN/nvcc" /usr/local/cuda/bin/nvcc)}  # NVCC= : as if missing
CUOBJDUMP=${CUOBJDUMP-$(first_tool cuobjdump "$CUDA_BIN/cuobjdump" /usr/local/cuda/bin/cuobjdump)}

# the inventory of a report: "TOTAL FILES arch/kind/entries ..." on one line
inventory() {
    $PY -c '
import json, sys
g = json.load(open(sys.argv[1]))["gpu_code"]
rows = " ".join("%s/%s/%d" % (r["arch"], r["kind"], r["entries"]) for r in g["by_arch"])
print(g["total_bytes"], len(g["files"]), rows)' "$1"
}

build() {
    cat > "$T/k.cu" <<'EOF'
__global__ void add(float *a, const float *b, int n)
{
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n)
		a[i] += b[i];
}
extern "C" void launch(float *a, const float *b, int n) { add<<<(n + 255) / 256, 256>>>(a, b, n); }
EOF
    mkdir -p "$T/tree/lib" && cp /bin/true "$T/tree/lib/plain" &&
    "$NVCC" -shared -Xcompiler -fPIC -gencode arch=compute_90,code=sm_90 \
        -gencode arch=compute_100a,code=sm_100a -gencode arch=compute_120,code=compute_120 \
        -o "$T/tree/lib/libk.so" "$T/k.cu" > "$T/nvcc.log" 2>&1
}

# The dry run's inventory: the architectures nvcc was asked for, every byte of
# .nv_fatbin but the containers' headers, and (where it exists) cuobjdump's counts.
check_dry() {
    local fb n want got
    "$SLIM" -n --json "$T/tree" > "$T/dry.json" 2> "$T/err" || { bad dry-run "exit $?: $(head -c 300 "$T/err")"; return; }
    got=$(inventory "$T/dry.json")
    case $got in
    *" 1 sm_90/sass/"*" sm_100a/sass/"*" sm_120/ptx/"*) ok dry-run-arches "$got" ;;
    *) bad dry-run-arches "got: $got" ;;
    esac
    $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(sum(p.get("gpu_bytes", 0) for p in d["by_package"]) != d["gpu_code"]["total_bytes"])' "$T/dry.json" &&
        ok by-package || bad by-package "the packages' gpu_bytes do not add up to gpu_code.total_bytes"
    fb=$(readelf -SW "$T/tree/lib/libk.so" |
        sed -n 's/.* \.nv_fatbin  *PROGBITS  *[0-9a-f]*  *[0-9a-f]*  *\([0-9a-f]*\) .*/\1/p')
    fb=$((16#${fb:-0}))
    n=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["gpu_code"]["containers"])' "$T/dry.json")
    [ -n "$fb" ] && [ "${got%% *}" = $((fb - 16 * n)) ] && ok section-accounted "$fb bytes, $n containers" ||
        bad section-accounted ".nv_fatbin $fb bytes, $n containers, inventory ${got%% *}"
    if [ -z "$CUOBJDUMP" ]; then
        skp cuobjdump-counts "cuobjdump missing"
        return
    fi
    want="$("$CUOBJDUMP" --list-elf "$T/tree/lib/libk.so" | grep -c .) $("$CUOBJDUMP" --list-ptx "$T/tree/lib/libk.so" | grep -c .)"
    got=$($PY -c '
import json, sys
g = json.load(open(sys.argv[1]))["gpu_code"]["by_arch"]
print(sum(r["entries"] for r in g if r["kind"] == "sass"), sum(r["entries"] for r in g if r["kind"] == "ptx"))' "$T/dry.json")
    [ "$got" = "$want" ] && ok cuobjdump-counts "elf ptx: $got" || bad cuobjdump-counts "slim $got, cuobjdump $want"
}

# The same inventory whatever the mode: a layer in and out, in place (which strips
# the host code), and again on the stripped file; the table shows it.
check_modes() {
    local want got
    want=$(inventory "$T/dry.json")
    tar -C "$T/tree" -cf "$T/in.tar" . &&
    "$SLIM" --json "$T/in.tar" -o "$T/out.tar" > "$T/layer.json" 2> "$T/err" &&
        [ "$(inventory "$T/layer.json")" = "$want" ] && ok layer "$want" ||
        bad layer "got $(inventory "$T/layer.json" 2>&1 | head -c 300), want $want"
    "$SLIM" -n --no-strip --json "$T/tree" > "$T/nostrip.json" 2> "$T/err" &&
        [ "$(inventory "$T/nostrip.json")" = "$want" ] && ok no-strip "$want" ||
        bad no-strip "got $(inventory "$T/nostrip.json" 2>&1 | head -c 300), want $want"
    "$SLIM" --json "$T/tree" > "$T/inplace.json" 2> "$T/err" &&
        [ "$(inventory "$T/inplace.json")" = "$want" ] && ok in-place "$want" ||
        bad in-place "got $(inventory "$T/inplace.json" 2>&1 | head -c 300), want $want"
    "$SLIM" -n "$T/tree" > "$T/table.txt" 2> "$T/err" &&
        grep -q '^GPU code by architecture' "$T/table.txt" && grep -q '^  sm_100a  *sass ' "$T/table.txt" &&
        ok table-after-strip || bad table-after-strip "$(head -c 600 "$T/table.txt")"
}

# No GPU code: the member is there, empty, and the table says nothing.
check_none() {
    mkdir -p "$T/none" && cp /bin/true "$T/none/plain"
    "$SLIM" -n --json "$T/none" > "$T/none.json" 2> "$T/err" &&
        [ "$(inventory "$T/none.json")" = "0 0 " ] && ok no-gpu-code ||
        bad no-gpu-code "$(inventory "$T/none.json" 2>&1 | head -c 300)"
    "$SLIM" -n "$T/none" 2>/dev/null | grep -q 'GPU code' && bad no-gpu-table "the table has a GPU block" ||
        ok no-gpu-table
}

# A library with 24 kernels for sm_75, sm_80, sm_90 and PTX compute_90, and a loader.
build_prune() {
    cat > "$T/big.cu" <<'EOF'
template <int N> __global__ void k(float *a, const float *b, int n)
{
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	float x = b[i % n];
#pragma unroll
	for (int j = 0; j < 64; j++)
		x = x * 1.0001f + __sinf(x + N * j);
	if (i < n)
		a[i] = x;
}
template <int N> struct R {
	static void go(float *a, const float *b, int n)
	{
		k<N><<<(n + 255) / 256, 256>>>(a, b, n);
		R<N - 1>::go(a, b, n);
	}
};
template <> struct R<0> { static void go(float *, const float *, int) {} };
extern "C" int launch(float *a, const float *b, int n) { R<24>::go(a, b, n); return 0; }
EOF
    cat > "$T/load.c" <<'EOF'
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv)
{
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	(void)argc;
	if (!h || !dlsym(h, "launch")) {
		printf("%s\n", dlerror());
		return 1;
	}
	return 0;
}
EOF
    mkdir -p "$T/p/lib" &&
    "$NVCC" -shared -Xcompiler -fPIC -gencode arch=compute_75,code=sm_75 \
        -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
        -gencode arch=compute_90,code=compute_90 -o "$T/p/lib/libbig.so" "$T/big.cu" \
        > "$T/nvcc.log" 2>&1 &&
    cc -o "$T/load" "$T/load.c" -ldl >> "$T/nvcc.log" 2>&1
}

jget() { $PY -c 'import json, sys; g = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

# In place: the dry run predicts the run; the library keeps sm_90 SASS and the PTX only,
# loads, and takes fewer blocks on disk.
check_prune_in_place() {
    local before after got want
    cp -a "$T/p" "$T/pi" && before=$(du -k "$T/pi/lib/libbig.so" | cut -f1)
    "$SLIM" -n --json --cuda-arch sm_90 "$T/pi" > "$T/pdry.json" 2> "$T/err" &&
    "$SLIM" --json --cuda-arch sm_90 "$T/pi" > "$T/preal.json" 2> "$T/err" ||
        { bad prune-run "exit $?: $(head -c 300 "$T/err")"; return; }
    got=$(jget "$T/preal.json" 'g["gpu_code"]["removed_bytes"]')
    want=$(jget "$T/preal.json" 'sum(r["bytes"] for r in g["gpu_code"]["by_arch"] if r["arch"] in ("sm_75", "sm_80"))')
    [ "$got" -gt 0 ] && [ "$got" = "$want" ] && ok prune-removed "$got bytes: all the sm_75 and sm_80 SASS" ||
        bad prune-removed "removed $got, sm_75 and sm_80 SASS $want"
    [ "$(jget "$T/pdry.json" 'g["gpu_code"]["removed_bytes"], g["totals"]["bytes_saved"]')" = \
      "$(jget "$T/preal.json" 'g["gpu_code"]["removed_bytes"], g["totals"]["bytes_saved"]')" ] &&
        ok prune-dry-is-real || bad prune-dry-is-real "dry and real runs differ"
    "$SLIM" -n --json "$T/pi" > "$T/pafter.json" 2> "$T/err"
    got=$(inventory "$T/pafter.json")
    case $got in
    *" 1 sm_90/sass/2 sm_90/ptx/1") ok prune-left "$got" ;;
    *) bad prune-left "after: $got" ;;
    esac
    after=$(du -k "$T/pi/lib/libbig.so" | cut -f1)
    [ "$after" -lt $((before * 3 / 4)) ] && ok prune-disk "$before -> $after KiB" ||
        bad prune-disk "$before -> $after KiB"
    "$T/load" "$T/pi/lib/libbig.so" > "$T/load.out" 2>&1 && ok prune-loads ||
        bad prune-loads "$(head -c 300 "$T/load.out")"
    if [ -n "$CUOBJDUMP" ]; then
        got=$("$CUOBJDUMP" --list-elf "$T/pi/lib/libbig.so" | grep -v sm_90 | head -3)
        [ -z "$got" ] && ok prune-cuobjdump || bad prune-cuobjdump "$got"
    else
        skp prune-cuobjdump "cuobjdump missing"
    fi
    "$SLIM" -n --json --cuda-arch sm_90 "$T/pi" > "$T/pagain.json" 2> "$T/err" &&
        [ "$(jget "$T/pagain.json" 'g["gpu_code"]["removed_bytes"]')" = 0 ] &&
        ok prune-again-nothing || bad prune-again-nothing "a second run would remove more"
}

# A GPU the library has nothing for: every container stays whole, and the report says so.
check_prune_whole() {
    cp -a "$T/p" "$T/pw"
    "$SLIM" --json --no-strip --cuda-arch sm_70 "$T/pw" > "$T/pw.json" 2> "$T/err" &&
        cmp -s "$T/p/lib/libbig.so" "$T/pw/lib/libbig.so" &&
        [ "$(jget "$T/pw.json" 'g["gpu_code"]["containers_left_whole"] > 0')" = True ] &&
        ok prune-nothing-for-gpu || bad prune-nothing-for-gpu "$(head -c 300 "$T/err")"
    # data after the image (a signature): left as it is, pruned or not
    cp -a "$T/p" "$T/pt" && printf 'SIGNATURE' >> "$T/pt/lib/libbig.so" && cp "$T/pt/lib/libbig.so" "$T/signed"
    "$SLIM" --json --cuda-arch sm_90 "$T/pt" > "$T/pt.json" 2> "$T/err" &&
        cmp -s "$T/signed" "$T/pt/lib/libbig.so" &&
        [ "$(jget "$T/pt.json" 'g["gpu_code"]["removed_bytes"]')" = 0 ] &&
        ok prune-not-signed || bad prune-not-signed "a file with data after its image was changed"
    # --no-strip: pruned, not stripped
    cp -a "$T/p" "$T/pn"
    "$SLIM" --json --no-strip --cuda-arch sm_90 "$T/pn" > "$T/pn.json" 2> "$T/err" &&
        [ "$(stat -c %s "$T/pn/lib/libbig.so")" = "$(stat -c %s "$T/p/lib/libbig.so")" ] &&
        [ "$(jget "$T/pn.json" 'g["gpu_code"]["removed_bytes"] > 0')" = True ] &&
        readelf -SW "$T/pn/lib/libbig.so" | grep -q ' \.symtab ' &&
        ok prune-no-strip || bad prune-no-strip "$(head -c 300 "$T/err")"
    "$SLIM" --cuda-arch sm_9 "$T/pw" > /dev/null 2> "$T/err"
    [ $? = 2 ] && grep -q "invalid GPU architecture 'sm_9'" "$T/err" && ok prune-usage ||
        bad prune-usage "$(head -c 300 "$T/err")"
}

# A layer and an image (docker-archive) give the library the same bytes as in place.
check_prune_layer_image() {
    local layer= id
    tar -C "$T/p" -cf "$T/p.tar" lib &&
    "$SLIM" --cuda-arch sm_90 "$T/p.tar" -o "$T/pout.tar.zst" > /dev/null 2> "$T/err" &&
    mkdir -p "$T/pl" && zstd -dc "$T/pout.tar.zst" | tar -C "$T/pl" -xf - &&
        cmp -s "$T/pl/lib/libbig.so" "$T/pi/lib/libbig.so" && ok prune-layer ||
        bad prune-layer "$(head -c 300 "$T/err")"
    id=$(sha256sum "$T/p.tar" | cut -d' ' -f1)
    $PY - "$T/p.tar" "$T/img.tar" "$id" <<'EOF'
import hashlib, io, json, sys, tarfile
layer, out, lid = open(sys.argv[1], 'rb').read(), sys.argv[2], sys.argv[3]
cfg = json.dumps({'architecture': 'amd64', 'os': 'linux', 'config': {},
                  'rootfs': {'type': 'layers', 'diff_ids': ['sha256:' + lid]}}).encode()
cid = hashlib.sha256(cfg).hexdigest()
man = json.dumps([{'Config': cid + '.json', 'RepoTags': ['localhost/gpu:1'],
                   'Layers': [lid + '.tar']}]).encode()
with tarfile.open(out, 'w') as t:
    for name, data in ((lid + '.tar', layer), (cid + '.json', cfg), ('manifest.json', man)):
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
EOF
    "$SLIM" --cuda-arch sm_90 "$T/img.tar" -o "$T/imgout.tar" > /dev/null 2> "$T/err" &&
    mkdir -p "$T/pimg/root" && tar -C "$T/pimg" -xf "$T/imgout.tar" &&
    layer=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Layers"][0])' \
        "$T/pimg/manifest.json") &&
    $PY -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
        "$T/pimg/$layer" "$T/pimg/root" 2>/dev/null ||
        zstd -dc "$T/pimg/$layer" | tar -C "$T/pimg/root" -xf -
    cmp -s "$T/pimg/root/lib/libbig.so" "$T/pi/lib/libbig.so" && ok prune-image ||
        bad prune-image "$(head -c 300 "$T/err")"
}

check_none
if need readelf && { [ -n "$NVCC" ] || { skp nvcc "nvcc missing"; false; }; }; then
    if build; then
        check_dry
        check_modes
    else
        bad nvcc-build "$(tail -c 400 "$T/nvcc.log")"
    fi
    if build_prune; then
        check_prune_in_place
        check_prune_whole
        check_prune_layer_image
    else
        bad nvcc-build-prune "$(tail -c 400 "$T/nvcc.log")"
    fi
fi
finish
