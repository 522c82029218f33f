#!/usr/bin/env bash
# End-to-end test of the GPU code inventory (#21): a small CUDA library built with nvcc
# (SASS for sm_90 and sm_100a, PTX for compute_120), slimmed in place, in a dry run and
# as a layer; its "gpu_code" checked against cuobjdump where it exists, and always
# against the .nv_fatbin section's own size (its containers' entries, headers aside,
# are every byte of it).
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

check_none
if need readelf && { [ -n "$NVCC" ] || { skp nvcc "nvcc missing"; false; }; }; then
    if build; then
        check_dry
        check_modes
    else
        bad nvcc-build "$(tail -c 400 "$T/nvcc.log")"
    fi
fi
finish
