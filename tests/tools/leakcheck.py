#!/usr/bin/python3
"""leakcheck.py PATH SECRET - does SECRET appear anywhere in PATH (a file or a directory)?
Compressed streams (gzip, zstd, xz, bzip2) are opened and tar and zip archives are read
member by member, recursively, each stream up to 256 MiB.  Exit 1 and the place when it
does, 0 when it does not."""
import bz2
import gzip
import io
import lzma
import os
import subprocess
import sys
import tarfile
import zipfile

LIMIT = 256 << 20
secret = sys.argv[2].encode()


def opened(data):
    """The decompressed bytes of data, or None when it is not compressed."""
    try:
        if data[:2] == b'\x1f\x8b':
            return gzip.GzipFile(fileobj=io.BytesIO(data)).read(LIMIT)
        if data[:4] == b'\x28\xb5\x2f\xfd':
            return subprocess.run(['zstd', '-dc'], input=data, capture_output=True).stdout[:LIMIT]
        if data[:6] == b'\xfd7zXZ\x00':
            return lzma.LZMADecompressor().decompress(data, LIMIT)
        if data[:3] == b'BZh':
            return bz2.BZ2Decompressor().decompress(data, LIMIT)
    except (OSError, EOFError, lzma.LZMAError, ValueError):
        return None
    return None


def search(data, where, depth=0):
    if secret in data:
        return where
    if depth > 4:
        return None
    inner = opened(data)
    if inner is not None:
        return search(inner, where + '|decompressed', depth + 1)
    if data[:4] == b'PK\x03\x04':
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for n in z.namelist():
                    hit = search(z.open(n).read(LIMIT), f'{where}|{n}', depth + 1)
                    if hit:
                        return hit
        except (zipfile.BadZipFile, OSError, ValueError):
            pass
        return None
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            for m in t:
                if m.isfile():
                    f = t.extractfile(m)
                    hit = search(f.read(LIMIT) if f else b'', f'{where}|{m.name}', depth + 1)
                    if hit:
                        return hit
    except (tarfile.TarError, OSError, EOFError, ValueError):
        pass
    return None


def main():
    path = sys.argv[1]
    files = [path] if not os.path.isdir(path) else \
        [os.path.join(dp, n) for dp, _, fns in os.walk(path) for n in fns]
    for p in files:
        if os.path.islink(p) or not os.path.isfile(p):
            continue
        with open(p, 'rb') as f:
            hit = search(f.read(LIMIT), p)
        if hit:
            print(hit)
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
