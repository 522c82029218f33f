#!/usr/bin/env bash
# End-to-end tests of image mode.  First hostile images, made here by python3
# (blobs that are symlinks out of the input, tampered layers, unpacking bombs,
# layers that look like images, names with terminal escapes): each is refused
# with one clear error or slimmed correctly.  Then a real image, built offline
# with buildah, saved as docker-archive, OCI layout (gzip) and OCI layout
# (zstd), slimmed, then checked by the tools that consume images.
#   tests/e2e_image.sh SLIM          (IMAGE_HOSTILE_ONLY=1: the hostile ones only)
# Needs python3, zstd and tar for the hostile images; buildah, podman, skopeo,
# umoci, runc, gcc and a Debian rootfs with python3 for the real one:
# ${SLIM_CORPUS_CACHE:-$HOME/.cache/slim-corpus}/rootfs (made with debootstrap
# from apt's own mirror when missing).
. "$(dirname "$0")/lib.sh"
lib_init image
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cp "$1" "$T/slim" && SLIM=$T/slim   # a rebuild meanwhile must not pull it away
S="--root $T/st --runroot $T/run --storage-driver vfs"
CS="containers-storage:[vfs@$T/st+$T/run]"
at_exit 'podman $S rm -af >/dev/null 2>&1'
# ---- hostile images: made here by python3, no container tool needed ----------------------
# Each is refused with one error that names the input and the layer, or slimmed correctly;
# nothing of $H/outside (an id_rsa beside the inputs) ever reaches an output, and nothing is
# left behind (no scratch, no temporary output).  IMAGE_HOSTILE_ONLY=1 stops after them.
H=$T/hostile
mkdir -p "$H/out" "$T/tmp"
cat > "$T/mkhostile.py" <<'PY'
import hashlib, io, json, os, random, shutil, subprocess, sys, tarfile, zlib

H = os.path.abspath(sys.argv[1])
os.makedirs(H, exist_ok=True)
OUT = os.path.join(H, 'outside')        # beside every input: nothing of it may reach an output
os.makedirs(OUT, exist_ok=True)

def sha(b): return 'sha256:' + hashlib.sha256(b).hexdigest()

def tar(files, fmt=tarfile.PAX_FORMAT):
    """files: [(name, bytes | None for a directory, mode)] -> an uncompressed tar"""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=fmt) as t:
        for name, data, mode in files:
            i = tarfile.TarInfo(name); i.mode = mode; i.mtime = 1700000000
            if data is None:
                i.type = tarfile.DIRTYPE; t.addfile(i)
            else:
                i.size = len(data); t.addfile(i, io.BytesIO(data))
    return buf.getvalue()

def gz(b, level=6):
    c = zlib.compressobj(level, zlib.DEFLATED, 31)
    return c.compress(b) + c.flush()

def put(d, data):
    os.makedirs(os.path.join(d, 'blobs', 'sha256'), exist_ok=True)
    dg = sha(data)
    with open(os.path.join(d, 'blobs', 'sha256', dg[7:]), 'wb') as f:
        f.write(data)
    return dg

def config(diff_ids):
    return json.dumps({'architecture': 'amd64', 'os': 'linux', 'config': {'Cmd': ['/bin/sh']},
                       'rootfs': {'type': 'layers', 'diff_ids': diff_ids},
                       'history': [{'created_by': f'step {i}'} for i in range(len(diff_ids))]}).encode()

GZ = 'application/vnd.oci.image.layer.v1.tar+gzip'
ZST = 'application/vnd.oci.image.layer.v1.tar+zstd'
FOREIGN = 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip'

def layout(d, layers, extra=None):
    """layers: [(blob bytes, media type, diff_id)]; returns the manifest dict"""
    os.makedirs(d, exist_ok=True)
    cfg = config([l[2] for l in layers])
    cd = put(d, cfg)
    m = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
         'config': {'mediaType': 'application/vnd.oci.image.config.v1+json', 'digest': cd, 'size': len(cfg)},
         'layers': [{'mediaType': mt, 'digest': sha(b), 'size': len(b)} for b, mt, _ in layers]}
    for b, _, _ in layers:
        put(d, b)
    mb = json.dumps(m).encode()
    md = put(d, mb)
    idx = {'schemaVersion': 2, 'manifests': [{'mediaType': 'application/vnd.oci.image.manifest.v1+json',
           'digest': md, 'size': len(mb), 'annotations': {'org.opencontainers.image.ref.name': 'app'}}]}
    with open(os.path.join(d, 'index.json'), 'w') as f:
        json.dump(idx, f)
    with open(os.path.join(d, 'oci-layout'), 'w') as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    return m, cd

def docker_archive(path, layers, tag='localhost/app:1', diff_ids=None, names=None, extra=()):
    """layers: [uncompressed tar bytes]; extra: [(TarInfo, bytes|None)] appended"""
    ids = diff_ids or [sha(b) for b in layers]
    cfg = config(ids)
    names = names or [sha(b)[7:] + '.tar' for b in layers]
    mj = [{'Config': sha(cfg)[7:] + '.json', 'RepoTags': [tag], 'Layers': names}]
    with tarfile.open(path, 'w', format=tarfile.PAX_FORMAT) as t:
        def add(name, data):
            i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o644
            t.addfile(i, io.BytesIO(data))
        for n, b in zip(names, layers):
            add(n, b)
        add(sha(cfg)[7:] + '.json', cfg)
        add('manifest.json', json.dumps(mj).encode())
        for i, data in extra:
            t.addfile(i, io.BytesIO(data) if data is not None else None)

rnd = random.Random(19)
WORDS = [''.join(rnd.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rnd.randint(3, 9))) for _ in range(400)]
text = ' '.join(rnd.choice(WORDS) for _ in range(120000)).encode()   # about 700 KB, compressible
key = bytes(rnd.getrandbits(8) for _ in range(200))

base = tar([('app', None, 0o755), ('app/hello.txt', b'hello\n', 0o644),
            ('app/words.txt', text, 0o644), ('app/server.key', key, 0o600)])
secret = tar([('root', None, 0o700), ('root/.ssh', None, 0o700),
              ('root/.ssh/id_rsa', b'-----BEGIN OPENSSH PRIVATE KEY-----\nSECRET-OUTSIDE\n', 0o600)])
with open(os.path.join(OUT, 'secret.tar'), 'wb') as f:
    f.write(secret)
with open(os.path.join(OUT, 'secret.tar.gz'), 'wb') as f:
    f.write(gz(secret))
sgz = gz(secret)

# valid inputs
layout(os.path.join(H, 'ok-oci'), [(gz(base), GZ, sha(base))])
docker_archive(os.path.join(H, 'ok-da.tar'), [base])

# item 5: a layer blob that is a symlink to a file outside the input
d = os.path.join(H, 'oci-blob-symlink-out')
layout(d, [(gz(base), GZ, sha(base)), (sgz, GZ, sha(secret))])
p = os.path.join(d, 'blobs', 'sha256', sha(sgz)[7:])
os.unlink(p); os.symlink(os.path.join(OUT, 'secret.tar.gz'), p)
# item 5: a foreign layer whose blob does not match its descriptor
d = os.path.join(H, 'oci-foreign-mismatch')
fake = gz(tar([('vendor.txt', b'vendor\n', 0o644)]))
m, _ = layout(d, [(gz(base), GZ, sha(base)), (fake, FOREIGN, sha(tar([('vendor.txt', b'vendor\n', 0o644)])))])
with open(os.path.join(d, 'blobs', 'sha256', sha(fake)[7:]), 'wb') as f:
    f.write(sgz)
# item 5: a foreign layer whose blob is a symlink out (its digest matches the outside file)
d = os.path.join(H, 'oci-foreign-symlink')
layout(d, [(gz(base), GZ, sha(base)), (sgz, FOREIGN, sha(secret))])
p = os.path.join(d, 'blobs', 'sha256', sha(sgz)[7:])
os.unlink(p); os.symlink(os.path.join(OUT, 'secret.tar.gz'), p)
# item 5: an OCI directory with a docker-style manifest.json naming a symlink out
d = os.path.join(H, 'oci-manifest-json-symlink')
m, cd = layout(d, [(gz(base), GZ, sha(base))])
cfg2 = config([sha(base), sha(secret)])
c2 = put(d, cfg2)
os.symlink(os.path.join(OUT, 'secret.tar'), os.path.join(d, 'evil.tar'))
with open(os.path.join(d, 'base.tar'), 'wb') as f:
    f.write(base)
with open(os.path.join(d, 'manifest.json'), 'w') as f:
    json.dump([{'Config': 'blobs/sha256/' + c2[7:], 'RepoTags': ['localhost/evil:1'],
                'Layers': ['base.tar', 'evil.tar']}], f)
# a blob that is a symlink to a file inside the input: followed by slim itself
d = os.path.join(H, 'oci-blob-symlink-inside')
layout(d, [(gz(base), GZ, sha(base))])
p = os.path.join(d, 'blobs', 'sha256', sha(gz(base))[7:])
os.makedirs(os.path.join(d, 'store'))
os.rename(p, os.path.join(d, 'store', 'layer.bin'))
os.symlink('../../store/layer.bin', p)

# item 7: a docker-archive layer with an added setuid file; diff_ids still name the original
evil = tar([('app', None, 0o755), ('app/hello.txt', b'hello\n', 0o644), ('app/words.txt', text, 0o644),
            ('app/server.key', key, 0o600), ('usr/bin/rootshell', b'#!/bin/sh\nexec /bin/sh -p\n', 0o4755)])
docker_archive(os.path.join(H, 'da-tampered.tar'), [evil], tag='localhost/tampered:1', diff_ids=[sha(base)])
# item 7: an OCI layout whose layer descriptor is right but whose diff_id is stale
layout(os.path.join(H, 'oci-stale-diffid'), [(gz(evil), GZ, sha(base))])

# item 8: a zstd -19 layer: dropping server.key does not make the blob smaller at level 3
try:
    z19 = subprocess.run(['zstd', '-q', '-19', '-c'], input=base, capture_output=True, check=True).stdout
    layout(os.path.join(H, 'oci-grow'), [(z19, ZST, sha(base))])
except (OSError, subprocess.CalledProcessError):
    pass

# item 14: layers with a top-level manifest.json or oci-layout that are not images
lj = tar([('manifest.json', b'{"name": "pkg", "version": "1.0"}\n', 0o644),
          ('usr', None, 0o755), ('usr/share', None, 0o755), ('usr/share/pkg.txt', b'data\n', 0o644)])
open(os.path.join(H, 'layer-manifest-json.tar'), 'wb').write(lj)
open(os.path.join(H, 'layer-manifest-json.tar.gz'), 'wb').write(gz(lj))
lo = tar([('oci-layout', b'{"imageLayoutVersion":"1.0.0"}', 0o644), ('etc', None, 0o755),
          ('etc/motd', b'hi\n', 0o644)])
open(os.path.join(H, 'layer-oci-layout.tar'), 'wb').write(lo)

# item 12: a zstd-compressed docker-archive holding, besides the image, an unreferenced
# 1.2 GiB of zeros (a few hundred KB: one zstd frame of 64 MiB of zeros, repeated)
def raw_entries(entries):
    out = b''
    for name, data in entries:
        i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o644
        out += i.tobuf(format=tarfile.PAX_FORMAT) + data + b'\0' * (-len(data) % 512)
    return out
cfg = config([sha(base)])
small = raw_entries([('manifest.json', json.dumps([{'Config': sha(cfg)[7:] + '.json', 'RepoTags': ['localhost/bomb:1'],
                                                   'Layers': [sha(base)[7:] + '.tar']}]).encode()),
                     (sha(cfg)[7:] + '.json', cfg), (sha(base)[7:] + '.tar', base)])
BOMB = int(os.environ.get('IMAGE_BOMB', 1200 << 20))
chunk = 64 << 20
hdr = tarfile.TarInfo('blobs/sha256/' + '0' * 64); hdr.size = BOMB; hdr.mode = 0o644
def zs(b):
    return subprocess.run(['zstd', '-q', '-19', '-c'], input=b, capture_output=True, check=True).stdout
with open(os.path.join(H, 'bomb.tar.zst'), 'wb') as f:
    f.write(zs(small + hdr.tobuf(format=tarfile.PAX_FORMAT)))
    z = zs(b'\0' * chunk)
    for _ in range(BOMB // chunk):
        f.write(z)
    f.write(zs(b'\0' * (BOMB % chunk) + b'\0' * (-BOMB % 512) + b'\0' * 1024))
# item 12: the same image, uncompressed, with a sparse entry of 2 GiB of holes
sp = os.path.join(H, 'sparse.d')
os.makedirs(sp)
with tarfile.open(fileobj=io.BytesIO(small + b'\0' * 1024)) as t:
    t.extractall(sp)
with open(os.path.join(sp, 'holes.bin'), 'wb') as f:
    f.truncate(2 << 30)
subprocess.run(['tar', '--sparse', '--format=pax', '-C', sp, '-cf', os.path.join(H, 'sparse.tar'),
                'manifest.json', sha(cfg)[7:] + '.json', sha(base)[7:] + '.tar', 'holes.bin'], check=True)
shutil.rmtree(sp)
# item 12: many links: 20,000 layers, each a symlink entry to the same layer file (the
# config lists 20,000 diff_ids); once quadratic in the links, and each layer was slimmed again
N = int(os.environ.get('IMAGE_MANY', 20000))
cfgn = config([sha(base)] * N)
with tarfile.open(os.path.join(H, 'many-links.tar'), 'w', format=tarfile.PAX_FORMAT) as t:
    def addf(name, data):
        i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o644
        t.addfile(i, io.BytesIO(data))
    addf('base.tar', base)
    for k in range(N):
        i = tarfile.TarInfo(f'l/{k}.tar'); i.type = tarfile.SYMTYPE; i.linkname = '../base.tar'
        t.addfile(i)
    addf(sha(cfgn)[7:] + '.json', cfgn)
    addf('manifest.json', json.dumps([{'Config': sha(cfgn)[7:] + '.json', 'RepoTags': ['localhost/many:1'],
                                        'Layers': [f'l/{k}.tar' for k in range(N)]}]).encode())
# item 12: more entries than any saved image has (70,000 empty files), gzip'd
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode='w', format=tarfile.GNU_FORMAT) as t:
    for name, data in [('manifest.json', json.dumps([{'Config': sha(cfg)[7:] + '.json', 'RepoTags': ['localhost/e:1'],
                        'Layers': [sha(base)[7:] + '.tar']}]).encode()), (sha(cfg)[7:] + '.json', cfg),
                       (sha(base)[7:] + '.tar', base)]:
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
    for k in range(70000):
        t.addfile(tarfile.TarInfo(f'junk/{k}'), io.BytesIO(b''))
open(os.path.join(H, 'many-entries.tar.gz'), 'wb').write(gz(buf.getvalue()))

# item 17: an oci-archive (a tar of a layout) whose layer is a truncated gzip stream (its
# descriptor matches the truncated bytes): the error names the layer, not slim's scratch
d = os.path.join(H, 'trunc.d')
cut = gz(base)[:len(gz(base)) // 2]
layout(d, [(cut, GZ, sha(base))])
with tarfile.open(os.path.join(H, 'oci-truncated.tar'), 'w', format=tarfile.PAX_FORMAT) as t:
    for n in sorted(os.listdir(d)):
        t.add(os.path.join(d, n), n)
shutil.rmtree(d)
# item 17: terminal escapes in a tag and a layer path (the layer is missing)
ESC_TAG = '\x1b[31mlocalhost/red:1\x1b[0m'
ESC_LAYER = '\x1b]0;pwned\x07\x1b[2J.tar'
docker_archive(os.path.join(H, 'escapes.tar'), [base], tag=ESC_TAG, names=[ESC_LAYER])
with tarfile.open(os.path.join(H, 'escapes.tar')) as t:
    mem = [(m, t.extractfile(m).read()) for m in t.getmembers()]
with tarfile.open(os.path.join(H, 'escapes.tar'), 'w', format=tarfile.PAX_FORMAT) as t:
    for m, data in mem:
        if m.name != ESC_LAYER:
            t.addfile(m, io.BytesIO(data))
# and a layer whose tar stream is tampered, in an image with that tag (the error names both)
docker_archive(os.path.join(H, 'escapes-tampered.tar'), [evil], tag=ESC_TAG, diff_ids=[sha(base)],
               names=['\x1b[2Jlayer.tar'])

# a docker-archive as Docker >= 25 writes it: <id>/layer.tar is a symlink to ../blobs/sha256/<hex>
cfg = config([sha(base)])
with tarfile.open(os.path.join(H, 'docker25.tar'), 'w', format=tarfile.PAX_FORMAT) as t:
    def addf(name, data):
        i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o644
        t.addfile(i, io.BytesIO(data))
    addf('blobs/sha256/' + sha(base)[7:], base)
    addf('blobs/sha256/' + sha(cfg)[7:], cfg)
    i = tarfile.TarInfo('abc123/layer.tar'); i.type = tarfile.SYMTYPE
    i.linkname = '../blobs/sha256/' + sha(base)[7:]; t.addfile(i)
    addf('manifest.json', json.dumps([{'Config': 'blobs/sha256/' + sha(cfg)[7:], 'RepoTags': ['localhost/d25:1'],
                                        'Layers': ['abc123/layer.tar']}]).encode())
PY
hostile() {
    local t
    for t in python3 zstd tar; do
        command -v $t >/dev/null || { skp hostile-images "$t is not installed"; return 1; }
    done
    python3 "$T/mkhostile.py" "$H" >"$T/mkhostile.log" 2>&1 ||
        { bad hostile-images "cannot make them: $(tail -2 "$T/mkhostile.log")"; return 1; }
}
# Nothing left behind: no scratch under $TMPDIR, no temporary name beside the outputs.
clean() {
    ! ls -A "$T/tmp" | grep -q . && ! ls -A "$H/out" | grep -q '^\.slim-'
}
# refused NAME INPUT WANT [ARGS...]: exit 1, no output, nothing left, one error naming
# the input and WANT, no terminal escape on stderr, no scratch path in it
refused() {
    local name=$1 in=$2 want=$3 out=$H/out/$1.out rc; shift 3
    rm -rf "$out"
    TMPDIR=$T/tmp timeout 120 "$SLIM" -q "$@" "$in" -o "$out" >/dev/null 2>"$H/$name.err"; rc=$?
    if [ $rc != 1 ]; then bad "$name" "exit $rc (want 1): $(head -c 300 "$H/$name.err")"
    elif [ -e "$out" ]; then bad "$name" "an output was written"
    elif ! clean; then bad "$name" "left behind: $(ls -A "$T/tmp" "$H/out" | tr '\n' ' ')"; rm -rf "$T/tmp"/* "$H/out"/.slim-*
    elif ! grep -qF "slim: cannot process '$in': " "$H/$name.err"; then
        bad "$name" "the error does not name the input: $(head -c 300 "$H/$name.err")"
    elif ! grep -qF -- "$want" "$H/$name.err"; then bad "$name" "the error does not say '$want': $(head -c 300 "$H/$name.err")"
    elif grep -q $'\x1b' "$H/$name.err"; then bad "$name" "a raw escape on stderr: $(head -c 300 "$H/$name.err" | cat -v)"
    elif grep -q 'slim-image\.\|\.slim-' "$H/$name.err"; then bad "$name" "the error names slim's scratch: $(head -c 300 "$H/$name.err")"
    else ok "$name"; fi
}
# secret_free OUT: no layer of the output (a layout or a tar of one) holds the outside file
secret_free() {
    python3 - "$1" <<'PY'
import gzip, io, os, subprocess, sys, tarfile
root, found = sys.argv[1], []
def layers():
    if os.path.isdir(root):
        for dp, _, fns in os.walk(root):
            for n in fns:
                p = os.path.join(dp, n)
                yield p, None if os.path.islink(p) else open(p, 'rb').read()
    else:
        with tarfile.open(root) as t:
            for m in t.getmembers():
                if m.isfile() or m.issym() or m.islnk():
                    yield m.name, t.extractfile(m).read() if m.isfile() else None
for name, data in layers():
    if data is None:
        found.append(name); continue
    if data[:2] == b'\x1f\x8b': data = gzip.decompress(data)
    elif data[:4] == b'\x28\xb5\x2f\xfd': data = subprocess.run(['zstd', '-dc'], input=data, capture_output=True).stdout
    if b'SECRET-OUTSIDE' in data:
        found.append(name)
print(' '.join(found)); sys.exit(1 if found else 0)
PY
}
# accepted NAME INPUT [ARGS...]: exit 0, an output free of the outside file, nothing left
accepted() {
    local name=$1 in=$2 out=$H/out/$1.out rc; shift 2
    rm -rf "$out"
    TMPDIR=$T/tmp timeout 120 "$SLIM" -q "$@" "$in" -o "$out" >/dev/null 2>"$H/$name.err"; rc=$?
    if [ $rc != 0 ]; then bad "$name" "exit $rc: $(head -c 300 "$H/$name.err")"; return 1; fi
    [ -e "$out" ] || { bad "$name" "no output"; return 1; }
    clean || { bad "$name" "left behind: $(ls -A "$T/tmp" "$H/out" | tr '\n' ' ')"; return 1; }
    local s; s=$(secret_free "$out") || { bad "$name" "the output holds a symlink or the outside file: $s"; return 1; }
}

t_hostile_images() {
    hostile || return
    # item 5: every blob is a regular file inside the input, opened without following links
    refused oci-blob-symlink-out "$H/oci-blob-symlink-out" "a symlink leads out of the input"
    refused oci-foreign-blob-mismatch "$H/oci-foreign-mismatch" "does not match its descriptor"
    refused oci-foreign-blob-symlink "$H/oci-foreign-symlink" "a symlink leads out of the input"
    refused oci-manifest-json-symlink "$H/oci-manifest-json-symlink" "'evil.tar'"
    # (not failing before: links inside the input still work, followed by slim itself)
    accepted oci-blob-symlink-inside "$H/oci-blob-symlink-inside" && ok oci-blob-symlink-inside
    accepted docker25-symlinked-layers "$H/docker25.tar" && ok docker25-symlinked-layers
    # item 7: a layer is checked against the config's diff_ids (and its descriptor) first
    refused docker-archive-tampered-layer "$H/da-tampered.tar" "image 'localhost/tampered:1': layer 0 ("
    refused oci-stale-diff-id "$H/oci-stale-diffid" "rootfs.diff_ids[0] is sha256:"
    # item 12: unpacking counts every byte and hole, and the entries
    refused image-bomb "$H/bomb.tar.zst" "expands more than 1000 times"
    refused image-bomb-dry-run "$H/bomb.tar.zst" "expands more than 1000 times" -n
    refused image-sparse-bomb "$H/sparse.tar" "entry 'holes.bin': expands more than"
    refused image-many-entries "$H/many-entries.tar.gz" "more than 65536 entries"
    local t0=$SECONDS
    if accepted image-many-links "$H/many-links.tar" --preset none; then
        local n; n=$(tar -xOf "$H/out/image-many-links.out" manifest.json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[0]["Layers"]))')
        [ "$n" = 20000 ] && ok "image-many-links ($((SECONDS - t0)) s)" || bad image-many-links "$n layers in the output"
    fi
    # item 14: a layer with a top-level manifest.json or oci-layout is a layer
    local x
    for x in layer-manifest-json.tar layer-manifest-json.tar.gz layer-oci-layout.tar; do
        if accepted "layer-$x" "$H/$x"; then
            tar -tf "$H/out/layer-$x.out" | grep -q 'pkg.txt\|etc/motd' && ok "layer-$x" ||
                bad "layer-$x" "the output is not the layer: $(tar -tf "$H/out/layer-$x.out" | head -3 | tr '\n' ' ')"
        fi
    done
    if accepted input-layer "$H/ok-da.tar" --input layer; then
        tar -tf "$H/out/input-layer.out" | grep -qx manifest.json && ok input-layer || bad input-layer "not read as a layer"
    fi
    refused input-image-on-a-layer "$H/layer-oci-layout.tar" "not an image" --input image
    refused input-dir-on-a-file "$H/ok-da.tar" "not a directory (--input dir)" --input dir
    "$SLIM" --input tarball "$H/ok-da.tar" -o "$H/out/x" 2>/dev/null; [ $? = 2 ] && ok input-invalid || bad input-invalid "not a usage error"
    # item 17: errors name the input and the layer, never slim's scratch; names are escaped
    refused oci-archive-truncated-layer "$H/oci-truncated.tar" "layer 'sha256:"
    refused escaped-layer-path "$H/escapes.tar" "layer '\\x1b]0;pwned\\x07\\x1b[2J.tar'"
    refused escaped-tag "$H/escapes-tampered.tar" "image '\\x1b[31mlocalhost/red:1\\x1b[0m': layer 0 ('\\x1b[2Jlayer.tar')"
    cp "$H/ok-da.tar" "$H/$(printf 'ok\033[2J.tar')"
    TMPDIR=$T/tmp "$SLIM" "$H/$(printf 'ok\033[2J.tar')" -o "$H/out/esc.tar" >/dev/null 2>"$H/esc.err"
    grep -q $'\x1b' "$H/esc.err" && bad escaped-input-name "a raw escape on stderr: $(cat -v "$H/esc.err")" ||
        ok escaped-input-name
}

# item 8: the report describes the output.  A zstd -19 layer with a key dropped is not
# smaller at level 3: it is written all the same, and a dry run reports the same.
t_report_is_output() {
    local name=report-describes-output in=$H/oci-grow out=$H/out/grow
    [ -d "$in" ] || { skp $name "no zstd to make the layer"; return; }
    rm -rf "$out"
    TMPDIR=$T/tmp "$SLIM" --json --drop '*.key' "$in" -o "$out" >"$H/grow.json" 2>"$H/grow.err" ||
        { bad $name "exit $?: $(head -c 300 "$H/grow.err")"; return; }
    TMPDIR=$T/tmp "$SLIM" -n --json --drop '*.key' "$in" -o "$H/out/grow-dry" >"$H/grow-dry.json" 2>/dev/null ||
        { bad $name "the dry run failed"; return; }
    local why=$H/grow.why
    WHY=$why python3 - "$out" "$H/grow.json" "$H/grow-dry.json" <<'PY' || { bad $name "$(cat "$why")"; return; }
import io, json, os, subprocess, sys, tarfile
out, real, dry = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
blob = lambda d: open(os.path.join(out, 'blobs', *d.split(':')), 'rb').read()
m = json.loads(blob(json.load(open(os.path.join(out, 'index.json')))['manifests'][0]['digest']))
names = set()
for l in m['layers']:
    t = subprocess.run(['zstd', '-dc'], input=blob(l['digest']), capture_output=True, check=True).stdout
    names |= {x.name for x in tarfile.open(fileobj=io.BytesIO(t))}
why = []
removed = [c['path'] for c in real['changes'] if c['pass'] == 'rules']
if removed != ['app/server.key']: why.append(f'removed: {removed}')
why += [f'{p} reported removed, still in the output' for p in removed if p in names]
for k in ('dry_run',): real.pop(k); dry.pop(k)
for d in (real, dry): d['totals'].pop('peak_rss_bytes')
if real != dry: why.append('the dry run reports other numbers than the real run')
open(os.environ['WHY'], 'w').write('; '.join(why)); sys.exit(1 if why else 0)
PY
    ok $name
}
# "-" and -o - (#23): a layer and a saved image through pipes, a directory to stdout; the report
# goes to stderr, stdout holds only the tar; -o - to a terminal is refused; nothing is left in
# $TMPDIR.  And an image by name without skopeo: a clear error.
t_stdio() {
    local name=stdio d=$H/stdio
    rm -rf "$d" && mkdir -p "$d/tree/lib" "$T/tmp"
    cp "$H/ok-oci/oci-layout" "$d/tree/lib/a.txt" && echo hello > "$d/tree/lib/b.txt"
    TMPDIR=$T/tmp "$SLIM" "$d/tree" -o - >"$d/dir.tar" 2>"$d/dir.err" ||
        { bad $name "dir -o - failed: $(tail -1 "$d/dir.err")"; return; }
    [ "$(tar -tf "$d/dir.tar" | sed 's|^\./||' | grep -v '^$' | sort | tr '\n' ' ')" = "lib/ lib/a.txt lib/b.txt " ] ||
        { bad $name "dir -o - wrote no tar of the tree: $(tar -tf "$d/dir.tar" 2>&1 | head -3)"; return; }
    grep -q "entries seen" "$d/dir.err" || { bad $name "no report on stderr"; return; }
    [ ! -e ./- ] && [ ! -e "$d/-" ] || { bad $name "a file named - was written"; return; }
    cat "$d/dir.tar" | TMPDIR=$T/tmp "$SLIM" -q - -o - >"$d/layer.tar" 2>"$d/layer.err" ||
        { bad $name "a layer through a pipe failed: $(tail -1 "$d/layer.err")"; return; }
    [ "$(tar -xOf "$d/layer.tar" --wildcards '*lib/b.txt')" = hello ] ||
        { bad $name "the piped layer lost lib/b.txt"; return; }
    TMPDIR=$T/tmp "$SLIM" --tag localhost/piped:1 - -o - <"$H/ok-da.tar" >"$d/img.tar" 2>"$d/img.err" ||
        { bad $name "an image through a pipe failed: $(tail -1 "$d/img.err")"; return; }
    [ "$(tar -xOf "$d/img.tar" manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RepoTags"])')" \
        = "['localhost/piped:1']" ] || { bad $name "no docker-archive tagged localhost/piped:1 on stdout"; return; }
    grep -q "image layers" "$d/img.err" || { bad $name "the image report is not on stderr"; return; }
    if command -v script >/dev/null; then
        script -qec "$SLIM $d/tree -o -" /dev/null >"$d/tty.out" 2>&1 && { bad $name "-o - to a terminal ran"; return; }
        grep -q "standard output, which is a terminal" "$d/tty.out" ||
            { bad $name "-o - to a terminal: $(head -c 200 "$d/tty.out")"; return; }
    else
        skp $name/tty "no script(1) for a terminal"
    fi
    TMPDIR=$T/tmp PATH=/nonexistent "$SLIM" -q "containers-storage:localhost/app:1" -o "$d/x.tar" \
        >/dev/null 2>"$d/nosk.err" && { bad $name "no skopeo, but it ran"; return; }
    grep -qF "slim: cannot process 'containers-storage:localhost/app:1': reading an image by name needs skopeo (apt-get install skopeo)" \
        "$d/nosk.err" || { bad $name "no skopeo: $(cat "$d/nosk.err")"; return; }
    [ -z "$(ls -A "$T/tmp")" ] || { bad $name "left in TMPDIR: $(ls -A "$T/tmp")"; return; }
    ok $name
}
# Each layer is read from its blob once (#20): under strace, the bytes slim reads from every
# layer blob of an OCI layout, and from every layer a docker-archive unpacks, add up to the
# blob's size (plus at most a sniff of its head).
t_layer_read_once() {
    local name=layer-read-once in
    need strace || return
    for in in "$H/ok-oci" "$H/ok-da.tar"; do
        rm -rf "$H/out/once"
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 TMPDIR=$T/tmp strace -f -y -qq -e trace=read,pread64,readv,preadv -o "$H/once.strace" \
            "$SLIM" -q "$in" -o "$H/out/once" >/dev/null 2>"$H/once.err" ||
            { bad $name "$(basename "$in"): slim failed: $(head -c 300 "$H/once.err")"; return; }
        WHY=$H/once.why python3 - "$in" "$H/once.strace" <<'PY' || { bad $name "$(basename "$in"): $(cat "$H/once.why")"; return; }
import json, os, re, sys
inp, log = sys.argv[1], sys.argv[2]
got = {}
for line in open(log, errors='replace'):
    m = re.search(r'(?:read|pread64|readv|preadv)\(\d+<([^>]*)>.*\)\s+=\s+(\d+)', line)
    if m:
        got[m.group(1)] = got.get(m.group(1), 0) + int(m.group(2))
if os.path.isdir(inp):
    blob = lambda d: os.path.join(inp, 'blobs', *d.split(':'))
    idx = json.load(open(os.path.join(inp, 'index.json')))
    man = json.load(open(blob(idx['manifests'][0]['digest'])))
    want = {os.path.realpath(blob(l['digest'])): l['size'] for l in man['layers']}
else:  # a docker-archive: each layer, once unpacked to the scratch (in/NAME), is read once
    import tarfile
    t = tarfile.open(inp)
    man = json.load(t.extractfile('manifest.json'))
    want = {'/in/' + l: t.getmember(l).size for l in man[0]['Layers']}
why = []
for path, size in want.items():
    n = sum(v for k, v in got.items() if k == path or (path.startswith('/in/') and k.endswith(path)))
    if not size <= n <= size + 65536:
        why.append(f'{os.path.basename(path)[:16]}: {n} bytes read of {size}')
open(os.environ['WHY'], 'w').write('; '.join(why) or 'ok')
sys.exit(1 if why else 0)
PY
    done
    ok $name
}
t_hostile_images
t_report_is_output
t_layer_read_once
t_stdio
[ "${IMAGE_HOSTILE_ONLY:-0}" = 1 ] && { skp real-images "IMAGE_HOSTILE_ONLY=1"; finish; }

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
    else # the build that works without its last step fails with it: slim failed
        bad runslim-build "$(tail -2 "$T/build-run.log" | tr '\n' ' ')"
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
    # podman save writes no signatures: nothing to warn about (#23)
    ! grep -q "signatures" "$T/da.err" || { bad $name "a signature warning: $(grep signatures "$T/da.err")"; return; }
    json_field "$T/da.json" 'all(l["digest_before"].startswith("sha256:") for l in d["image"]["layers"])' |
        grep -qx True || { bad $name "digest_before is no digest"; return; }
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

# Images by name and through pipes (#23): containers-storage in and out, podman save | slim |
# podman load, --tag; each result runs.  Nothing is left in $TMPDIR.
t_byname() {
    local name=by-name
    mkdir -p "$T/iotmp"
    TMPDIR=$T/iotmp "$SLIM" --json "${CS}localhost/app:1" -o "${CS}localhost/app:slim" >"$T/bn.json" 2>"$T/bn.err" ||
        { bad $name "slim failed: $(tail -2 "$T/bn.err")"; return; }
    local got; got=$(runpy localhost/app:slim)
    [ "$got" = "$(printf 'app 42\nreplaced')" ] || { bad $name "container output: $got"; return; }
    # (podman's image Size does not follow the layers on vfs: the report's tar bytes, and the
    # stored image's diff_ids, which are the output's)
    local a b
    a=$(json_field "$T/bn.json" 'd["image"]["totals"]["tar_bytes_before"]')
    b=$(json_field "$T/bn.json" 'd["image"]["totals"]["tar_bytes_after"]')
    [ "$b" -lt "$a" ] || { bad $name "not smaller: $a -> $b"; return; }
    [ "$(podman $S image inspect -f '{{.RootFS.Layers}}' localhost/app:1)" != \
      "$(podman $S image inspect -f '{{.RootFS.Layers}}' localhost/app:slim)" ] ||
        { bad $name "localhost/app:slim has the original's layers"; return; }
    podman $S save -q localhost/app:1 2>/dev/null |
        TMPDIR=$T/iotmp "$SLIM" --tag localhost/app:piped - -o - 2>"$T/pipe.err" |
        podman $S load -q >"$T/log" 2>&1 || { bad $name "the pipe failed: $(tail -1 "$T/pipe.err") $(tail -1 "$T/log")"; return; }
    podman $S images --format '{{.Repository}}:{{.Tag}}' | grep -qx localhost/app:piped ||
        { bad $name "podman images has no localhost/app:piped"; return; }
    got=$(runpy localhost/app:piped)
    [ "$got" = "$(printf 'app 42\nreplaced')" ] || { bad $name "piped container output: $got"; return; }
    grep -q "image layers" "$T/pipe.err" || { bad $name "the report is not on stderr"; return; }
    # --tag in an OCI layout: its ref.name
    TMPDIR=$T/iotmp "$SLIM" -q --tag localhost/app:lay "$T/oci" -o "$T/oci-tag" 2>"$T/tag.err" ||
        { bad $name "--tag to a layout failed: $(tail -1 "$T/tag.err")"; return; }
    skopeo copy -q "oci:$T/oci-tag:localhost/app:lay" "${CS}localhost/app:lay" >"$T/log" 2>&1 ||
        { bad $name "no localhost/app:lay in the layout: $(tail -1 "$T/log")"; return; }
    # skopeo's own error, relayed with the reference
    TMPDIR=$T/iotmp "$SLIM" -q "${CS}localhost/nosuch:1" -o "$T/nosuch.tar" 2>"$T/ns.err" &&
        { bad $name "a missing image, but it ran"; return; }
    grep -qF "cannot process '${CS}localhost/nosuch:1': skopeo could not read it: " "$T/ns.err" &&
        grep -q "nosuch:1.*not .* image" "$T/ns.err" ||
        { bad $name "missing image: $(cat "$T/ns.err")"; return; }
    [ -z "$(ls -A "$T/iotmp")" ] || { bad $name "left in TMPDIR: $(ls -A "$T/iotmp")"; return; }
    echo "  containers-storage: $a -> $b bytes"
    ok $name
}

t_byname   # first: t_docker's podman load gives localhost/app:1 to the slimmed image
t_docker
t_oci_gzip
t_oci_zstd
t_zstd_docker
t_dry_run
t_platform
t_hybrid
t_runslim
finish
