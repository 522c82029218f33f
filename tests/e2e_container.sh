#!/usr/bin/env bash
# End-to-end test of slim in real container builds (issue 10):
#   tests/e2e_container.sh SLIM_STATIC
#
# With buildah (--isolation chroot), podman (runc, --network=none) and a
# private vfs store under a temporary directory, it builds a busybox base
# image and four images that hold the same tree of unstripped .so files and
# __pycache__ directories:
#   plain       COPY lib/ /usr/local/lib/                       (no slim)
#   grows       COPY lib/, then RUN slim /usr/local/lib         (a later layer)
#   shrinks     RUN --mount=bind... cp lib && slim, one RUN     (the same layer)
#   multistage  builder: COPY lib, RUN slim; final: COPY --from=builder
# saves each as a docker-archive, and checks the layers: the RUN layer holds
# stripped files, slim's --json report (written into the image) matches what
# the tree lost, the image sizes go the way README says, and slim warns about
# lower-layer files in "grows" but not in "shrinks".  Then it runs the static
# slim in a FROM scratch image (nothing else in it) on a tree, builds slim's own
# image from the repository's Dockerfile (a context as doc/install.md says: the static
# binary at build/static/slim, the license files, .dockerignore) and takes slim
# from it with COPY --from into another image, where it runs.
# Prints ok/FAIL/skip lines, the sizes, and "N passed, N failed, N skipped".
# Skips (exit 0) when the container tools are missing and cannot be
# installed, or cannot run here.  KEEP_T=1 keeps the temporary directory
# (images, build logs) for a look afterwards.
[ $# -eq 1 ] || { echo "usage: $0 SLIM_STATIC" >&2; exit 2; }
. "$(dirname "$0")/lib.sh"
SLIM=$(readlink -f "$1")
skip_all() { skp container "$1"; finish; }

[ -f "$SLIM" ] && [ -x "$SLIM" ] || { bad static "$1 is not an executable (run make static)"; finish; }
if LC_ALL=C readelf -lW "$SLIM" 2>/dev/null | grep -qE '^ *(INTERP|DYNAMIC) '; then
    bad static "$1 is dynamically linked"; finish
fi

# ---- tools ------------------------------------------------------------------
PKGS="buildah podman skopeo umoci runc busybox-static"
missing=
for p in $PKGS; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    [ "$(id -u)" = 0 ] || skip_all "missing$missing (install them as root: apt-get install$missing)"
    command -v apt-get >/dev/null || skip_all "missing$missing and no apt-get"
    echo "installing Debian packages:$missing"
    # shellcheck disable=SC2086
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends $missing; } >/dev/null 2>&1 || skip_all "cannot install$missing"
fi
[ "$(id -u)" = 0 ] || skip_all "needs root (buildah and podman run with a private rootful store)"
for t in gcc python3 readelf; do command -v $t >/dev/null || skip_all "$t missing"; done
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || skip_all "no $BUSYBOX"

lib_init container
S=(--root "$T/st" --runroot "$T/run" --storage-driver vfs)
# KEEP_T=1: the work directory stays (lib.sh), with its containers and store
at_exit '[ -n "${KEEP_T:-}" ] || { podman "${S[@]}" rm -a -f >/dev/null 2>&1; umount "$T/st/overlay" 2>/dev/null; }'
cat >"$T/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
events_logger = "file"
cgroup_manager = "cgroupfs"
EOF
export CONTAINERS_CONF=$T/containers.conf BUILDAH_ISOLATION=chroot
RUNFLAGS=(--runtime runc --pull=never --network=none
          --ulimit nofile=20000:20000 --ulimit nproc=4096:4096)

# ---- base image: busybox-static -----------------------------------------------
mkdir -p "$T/rootfs/bin" "$T/rootfs/tmp" "$T/rootfs/usr/local/bin" "$T/rootfs/usr/local/lib" \
         "$T/rootfs/etc" "$T/rootfs/mnt"
cp "$BUSYBOX" "$T/rootfs/bin/busybox"
for a in sh cp mkdir rm ls cat true find stat; do ln -s busybox "$T/rootfs/bin/$a"; done
tar -C "$T/rootfs" -cf "$T/rootfs.tar" .
if ! out=$(podman "${S[@]}" import --change 'CMD ["/bin/sh"]' "$T/rootfs.tar" localhost/base:1 2>&1); then
    skip_all "podman cannot import an image here: $(echo "$out" | tail -1)"
fi
mkdir -p "$T/probe" && printf 'FROM localhost/base:1\nRUN true\n' >"$T/probe/Containerfile"
if ! out=$(buildah "${S[@]}" build --isolation chroot --pull=never --no-cache -q \
        -t localhost/probe "$T/probe" 2>&1); then
    skip_all "buildah cannot run a RUN step here: $(echo "$out" | tail -1)"
fi

# ---- build context: unstripped .so files, __pycache__, the static slim --------
C=$T/ctx
mkdir -p "$C/lib/sub" "$C/lib/python/app/__pycache__" "$C/lib/python/app2/__pycache__" "$T/src"
cp "$SLIM" "$C/slim"
# shared objects with debug info worth stripping: alpha.c, beta.c, gamma.c
python3 - "$T/src" alpha:250 beta:150 gamma:100 <<'EOF'
import sys
for arg in sys.argv[2:]:
    name, n = arg.split(":")
    with open(f"{sys.argv[1]}/{name}.c", "w") as f:
        print("#include <string.h>", file=f)
        for i in range(int(n)):
            print(f"struct {name}_s{i} {{ int a{i}; double b; char c[{i % 7 + 1}]; }};", file=f)
            print(f"static int {name}_h{i}(struct {name}_s{i} *s) "
                  f"{{ return s->a{i} + (int)s->b + (int)strlen(s->c); }}", file=f)
            print(f"int {name}_f{i}(int x) {{ struct {name}_s{i} s = {{ x, x * 0.5, \"a\" }}; "
                  f"return {name}_h{i}(&s) * {i + 1}; }}", file=f)
EOF
gcc -g -O1 -fPIC -shared -o "$C/lib/libalpha.so.1" "$T/src/alpha.c" &
gcc -g -O1 -fPIC -shared -o "$C/lib/libbeta.so.2" "$T/src/beta.c" &
gcc -g -O1 -fPIC -shared -o "$C/lib/sub/libgamma.so" "$T/src/gamma.c" &
wait
for f in libalpha.so.1 libbeta.so.2 sub/libgamma.so; do
    [ -f "$C/lib/$f" ] || { bad context "cannot compile $f"; finish; }
done
ln -s libalpha.so.1 "$C/lib/libalpha.so"
for m in core util; do
    printf 'def %s(x):\n    """%s"""\n    return [x] * %d\n' "$m" "$(head -c 4200 /dev/zero | tr '\0' m)" ${#m} \
        >"$C/lib/python/app/$m.py"
done
( cd "$C/lib/python" && python3 -m compileall -q app >/dev/null ) || { bad context "compileall failed"; finish; }
cp -a "$C/lib/python/app/." "$C/lib/python/app2/"   # identical files of 4 KiB and more: dedup links them
SOS="libalpha.so.1 libbeta.so.2 sub/libgamma.so"

# ---- the images ---------------------------------------------------------------
cat >"$C/plain.Containerfile" <<'EOF'
FROM localhost/base:1
COPY slim /usr/local/bin/slim
COPY lib/ /usr/local/lib/
EOF
cat >"$C/grows.Containerfile" <<'EOF'
FROM localhost/base:1
COPY slim /usr/local/bin/slim
COPY lib/ /usr/local/lib/
RUN slim --json /usr/local/lib > /slim-report.json
EOF
cat >"$C/shrinks.Containerfile" <<'EOF'
FROM localhost/base:1
COPY slim /usr/local/bin/slim
RUN --mount=type=bind,source=lib,target=/mnt/lib \
    cp -a /mnt/lib/. /usr/local/lib/ && slim --json /usr/local/lib > /slim-report.json
EOF
cat >"$C/multistage.Containerfile" <<'EOF'
FROM localhost/base:1 AS builder
COPY slim /usr/local/bin/slim
COPY lib/ /out/usr/local/lib/
RUN slim --json /out/usr/local/lib > /out/slim-report.json

FROM localhost/base:1
COPY --from=builder /out/ /
EOF
cat >"$T/scratch.Containerfile" <<'EOF'
FROM scratch
COPY slim /slim
COPY lib/ /tree/
EOF

# Reading a docker-archive, in memory: layer sizes; the files the image
# shows (all layers applied, whiteouts honoured, hard links counted once);
# the top layer extracted as it is.
cat >"$T/img.py" <<'EOF'
import json, os, sys, tarfile

def layers(archive):
    t = tarfile.open(archive)
    return t, json.load(t.extractfile("manifest.json"))[0]["Layers"]

def norm(name):
    name = name[2:] if name.startswith("./") else name
    return name.strip("/")

def drop(view, path):
    for k in [k for k in view if k == path or k.startswith(path + "/")]:
        del view[k]

def flatten(t, names):
    """path -> ["f", size] (one list per inode, shared by hard links), "d"
    or "l"; whiteouts applied."""
    view = {}
    for n in names:
        here = set()
        for m in tarfile.open(fileobj=t.extractfile(n)):
            p = norm(m.name)
            d, b = os.path.split(p)
            if b == ".wh..wh..opq":
                for k in [k for k in view if k.startswith(d + "/") and k not in here]:
                    del view[k]
            elif b.startswith(".wh."):
                drop(view, os.path.join(d, b[4:]))
            else:
                if not (m.isdir() and view.get(p) == "d"):
                    drop(view, p)
                if m.isreg():
                    view[p] = ["f", m.size]
                elif m.islnk():
                    view[p] = view.get(norm(m.linkname), ["f", 0])
                else:
                    view[p] = "d" if m.isdir() else "l"
                here.add(p)
    return view

def tree_bytes(view, prefix):
    inodes = {id(v): v[1] for k, v in view.items()
              if isinstance(v, list) and k.startswith(prefix + "/")}
    return sum(inodes.values())

def report(path, keys):
    try:
        r = json.load(open(path))
        out = []
        for k in keys:
            v = r
            for part in k.split("."):
                v = v[part]
            out.append(v)
        return out
    except (OSError, ValueError, KeyError, TypeError):
        return None

cmd = sys.argv[1]
if cmd == "sizes":      # ARCHIVE -> TOTAL NLAYERS SIZE...
    t, ls = layers(sys.argv[2])
    s = [t.getmember(n).size for n in ls]
    print(sum(s), len(s), *s)
elif cmd == "check":    # ARCHIVE PLAIN LIB REPORT TOPDIR SO... -> shell assignments
    arch, plain, lib, rep, top = sys.argv[2:7]
    sos = sys.argv[7:]
    t, ls = layers(arch)
    tp, lp = layers(plain)
    before, after = flatten(tp, lp), flatten(t, ls)
    lt = tarfile.open(fileobj=t.extractfile(ls[-1]))
    members = lt.getmembers()
    os.makedirs(top, exist_ok=True)
    lt.extractall(top, numeric_owner=True)
    inlayer = {norm(m.name): m for m in members}
    missing = [f for f in sos if not (lib + "/" + f in inlayer and inlayer[lib + "/" + f].isreg())]
    s0 = sum(before[lib + "/" + f][1] for f in sos)
    s1 = 0 if missing else sum(inlayer[lib + "/" + f].size for f in sos)
    links = sum(1 for m in members if m.islnk() and norm(m.name).startswith(lib + "/"))
    r = report(os.path.join(top, rep), ["totals.bytes_saved", "totals.bytes_before",
                                        "passes.strip.bytes_saved", "passes.dedup.bytes_saved"])
    print(f"b0={tree_bytes(before, lib)} b1={tree_bytes(after, lib)} s0={s0} s1={s1} links={links}")
    print(f"missing='{' '.join(missing)}'")
    print("saved=%s rb0=%s ssaved=%s dsaved=%s" % tuple(r) if r else "saved= rb0= ssaved= dsaved=")
elif cmd == "json":     # FILE KEY
    r = report(sys.argv[2], [sys.argv[3]])
    print(r[0] if r else "")
EOF
img() { python3 "$T/img.py" "$@"; }
declare -A SIZE LINKS
size_of() { local s=${SIZE[$1]:-}; echo "${s%% *}"; }
above() { [ "$(size_of "$1")" -gt "$(size_of "$2")" ]; } # A B: is image A larger than B?
WARN_RE='came from lower image layers'

# One layer per step, as Docker and podman build make them (buildah build
# without --layers commits a whole stage as one layer: see "squashed").
build() { # NAME [CONTAINERFILE [LAYERS]]: build localhost/NAME, save it to $T/NAME.tar
    local n=$1 f=${2:-$C/$1.Containerfile} layers=${3:-true} t0=$SECONDS
    if ! buildah "${S[@]}" build --isolation chroot --pull=never --no-cache --layers="$layers" \
            -f "$f" -t "localhost/$n" "$C" >"$T/$n.log" 2>&1; then
        bad "build_$n" "buildah build failed: $(tail -3 "$T/$n.log" | tr '\n' ' ')"; return 1
    fi
    if ! podman "${S[@]}" save --format docker-archive -o "$T/$n.tar" "localhost/$n" \
            >"$T/$n.save.log" 2>&1; then
        bad "build_$n" "podman save failed: $(tail -2 "$T/$n.save.log" | tr '\n' ' ')"; return 1
    fi
    SIZE[$n]=$(img sizes "$T/$n.tar") || { bad "build_$n" "cannot read $T/$n.tar"; return 1; }
    ok "build_$n ($((SECONDS - t0))s)"
}

symtab_free() { # DIR: every .so of $SOS is there and has no .symtab/.debug_info
    local f
    for f in $SOS; do
        [ -f "$1/$f" ] || { echo "$f missing"; return 1; }
        if LC_ALL=C readelf -SW "$1/$f" | grep -qE '\.symtab|\.debug_info'; then
            echo "$f still has .symtab or .debug_info"; return 1
        fi
    done
}

# An image whose top layer is the RUN slim layer (or the COPY of its
# result): that layer holds the stripped files and the report, and the
# report matches what the tree in the image lost against "plain".  Hard
# links that dedup makes reach the image only when both names are in the
# top layer: linking two files of a lower layer changes no content (no new
# entry), and a COPY that does not keep links (buildah's COPY --from) stores
# two copies again; then the image lost bytes_saved minus dedup's share.
#   NAME LIBDIR REPORT (paths in the image, without the leading /)
check_slimmed() {
    local n=$1 lib=$2 rep=$3 top=$T/$1.top
    local b0 b1 s0 s1 links missing saved rb0 ssaved dsaved why out
    rm -rf "$top"
    # shellcheck disable=SC2086
    out=$(img check "$T/$n.tar" "$T/plain.tar" "$lib" "$rep" "$top" $SOS) ||
        { bad "layer_$n" "cannot read the saved image"; return; }
    eval "$out"
    [ -z "$missing" ] || { bad "layer_$n" "not in the top layer: $missing"; return; }
    why=$(symtab_free "$top/$lib") || { bad "layer_$n" "top layer: $why"; return; }
    [ -n "$saved" ] || { bad "layer_$n" "no report /$rep in the top layer"; return; }
    ok "layer_$n"
    LINKS[$n]=$links
    [ "$links" -gt 0 ] || saved=$((saved - dsaved))
    if [ "$rb0" != "$b0" ]; then
        bad "report_$n" "bytes_before $rb0, but the tree held $b0 bytes"
    elif [ "$saved" != $((b0 - b1)) ]; then
        bad "report_$n" "bytes_saved $saved (links in the layer: $links, dedup $dsaved)," \
            "but the tree lost $((b0 - b1)) ($b0 -> $b1)"
    elif [ "$ssaved" != $((s0 - s1)) ]; then
        bad "report_$n" "strip bytes_saved $ssaved, but the .so files lost $((s0 - s1))"
    else
        ok "report_$n"
    fi
}

START=$SECONDS
build plain || finish
# shellcheck disable=SC2086
LIB_TREE=$(img check "$T/plain.tar" "$T/plain.tar" usr/local/lib none "$T/plain.top" $SOS |
           sed -n 's/^b0=\([0-9]*\).*/\1/p')

if build grows; then
    check_slimmed grows usr/local/lib slim-report.json
    if grep -q "$WARN_RE" "$T/grows.log"; then ok warn_grows
    else bad warn_grows "no lower-layer warning in the build output: $(grep 'slim:' "$T/grows.log" | head -3)"; fi
    # the RUN layer holds new copies on top of the old ones: the image grew
    if above grows plain; then ok size_grows
    else bad size_grows "grows=$(size_of grows) is not above plain=$(size_of plain)"; fi
fi
if build shrinks; then
    check_slimmed shrinks usr/local/lib slim-report.json
    if grep -q "$WARN_RE" "$T/shrinks.log"; then
        bad warn_shrinks "lower-layer warning for files written in the same RUN: $(grep "$WARN_RE" "$T/shrinks.log")"
    else ok warn_shrinks; fi
    if above plain shrinks; then ok size_shrinks
    else bad size_shrinks "shrinks=$(size_of shrinks) is not below plain=$(size_of plain)"; fi
fi
if build multistage; then
    check_slimmed multistage usr/local/lib slim-report.json
    if above plain multistage; then ok size_multistage
    else bad size_multistage "multistage=$(size_of multistage) is not below plain=$(size_of plain)"; fi
fi
# buildah's default, one layer for the whole stage: the later RUN rewrites
# the COPY's files inside the same layer.
if build squashed "$C/grows.Containerfile" false; then
    if above plain squashed; then ok size_squashed
    else bad size_squashed "squashed=$(size_of squashed) is not below plain=$(size_of plain)"; fi
fi

# ---- the static slim alone in an image: FROM scratch ------------------------------
if build scratch "$T/scratch.Containerfile"; then
    read -r _ nlayers _ <<<"${SIZE[scratch]}"
    if [ "$nlayers" != 2 ]; then
        bad scratch_image "expected two layers (slim, tree), got: ${SIZE[scratch]}"
    elif ! v=$(podman "${S[@]}" run --rm "${RUNFLAGS[@]}" localhost/scratch /slim --version 2>&1); then
        bad scratch_version "podman run failed: $v"
    elif [ "${v%% *}" != slim ]; then
        bad scratch_version "unexpected output: $v"
    else
        ok scratch_version
        podman "${S[@]}" rm -f slimrun >/dev/null 2>&1
        podman "${S[@]}" run "${RUNFLAGS[@]}" --name slimrun localhost/scratch \
            /slim --json /tree >"$T/scratch.json" 2>"$T/scratch.err"
        rc=$?
        changed=$(img json "$T/scratch.json" passes.strip.files_changed)
        if [ $rc -ne 0 ] || [ "$changed" != 3 ]; then
            bad scratch_slim "exit $rc, strip files_changed '$changed': $(head -c 300 "$T/scratch.err")"
        elif ! podman "${S[@]}" export -o "$T/slimrun.tar" slimrun >/dev/null 2>&1; then
            bad scratch_slim "podman export failed"
        else
            mkdir -p "$T/slimrun" && tar -C "$T/slimrun" -xf "$T/slimrun.tar" tree
            if why=$(symtab_free "$T/slimrun/tree"); then ok scratch_slim
            else bad scratch_slim "$why"; fi
        fi
        podman "${S[@]}" rm -f slimrun >/dev/null 2>&1
    fi
fi

# ---- slim's own image (the repository's Dockerfile), used through COPY --from -------
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SC=$T/selfctx
mkdir -p "$SC/build/static" && cp "$SLIM" "$SC/build/static/slim" &&
    cp "$ROOT/LICENSE" "$ROOT/THIRD-PARTY.md" "$ROOT/.dockerignore" "$SC/"
want=$("$SLIM" --version | head -1)
cat >"$T/useself.Containerfile" <<'EOF'
FROM localhost/base:1
COPY --from=localhost/slim-self /slim /usr/local/bin/slim
RUN slim --version > /slim-version.txt
EOF
cat >"$T/files.py" <<'EOF'
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
names = set()
for layer in json.load(t.extractfile("manifest.json"))[0]["Layers"]:
    for m in tarfile.open(fileobj=t.extractfile(layer)):
        if not m.isdir():
            names.add(m.name[2:] if m.name.startswith("./") else m.name)
print(" ".join(sorted(names)))
EOF
if ! buildah "${S[@]}" build --isolation chroot --pull=never --no-cache -f "$ROOT/Dockerfile" \
        -t localhost/slim-self "$SC" >"$T/slim-self.log" 2>&1; then
    bad self_image "buildah build -f Dockerfile failed: $(tail -3 "$T/slim-self.log" | tr '\n' ' ')"
elif ! podman "${S[@]}" save --format docker-archive -o "$T/slim-self.tar" localhost/slim-self \
        >"$T/slim-self.save.log" 2>&1; then
    bad self_image "podman save failed: $(tail -2 "$T/slim-self.save.log" | tr '\n' ' ')"
else
    # the image holds slim and its license files, nothing else; its entrypoint is slim
    files=$(python3 "$T/files.py" "$T/slim-self.tar" 2>&1)
    v=$(podman "${S[@]}" run --rm "${RUNFLAGS[@]}" localhost/slim-self --version 2>&1 | head -1)
    if [ "$files" != "slim usr/share/doc/slim/LICENSE usr/share/doc/slim/THIRD-PARTY.md" ]; then
        bad self_image "files in the image: $files"
    elif [ "$v" != "$want" ]; then
        bad self_image "its entrypoint says '$v', not '$want'"
    else
        ok self_image "saved: $(stat -c %s "$T/slim-self.tar") bytes"
    fi
    if ! buildah "${S[@]}" build --isolation chroot --pull=never --no-cache \
            -f "$T/useself.Containerfile" -t localhost/useself "$SC" >"$T/useself.log" 2>&1; then
        bad self_copy_from "COPY --from=localhost/slim-self failed: $(tail -3 "$T/useself.log" | tr '\n' ' ')"
    elif ! v=$(podman "${S[@]}" run --rm "${RUNFLAGS[@]}" localhost/useself cat /slim-version.txt 2>&1); then
        bad self_copy_from "podman run failed: $v"
    elif [ "$(head -1 <<<"$v")" != "$want" ]; then
        bad self_copy_from "the copied slim says '$v', not '$want'"
    else
        ok self_copy_from "$want"
    fi
fi

read -r _ _ base _ <<<"${SIZE[plain]}"
echo "sizes: plain=$(size_of plain) grows=$(size_of grows) shrinks=$(size_of shrinks)" \
     "multistage=$(size_of multistage) squashed=$(size_of squashed) base=$base" \
     "slim=$(stat -c %s "$SLIM") lib_tree=$LIB_TREE" \
     "(bytes, sum of the layer tars; dedup links kept in the slimmed layer:" \
     "grows=${LINKS[grows]:-} shrinks=${LINKS[shrinks]:-} multistage=${LINKS[multistage]:-};" \
     "${SECONDS}s in all, $((SECONDS - START))s building)"
finish
