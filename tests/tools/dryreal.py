#!/usr/bin/env python3
"""dryreal.py SLIM IN OUT [OPTION]... - a dry run reports what the real run writes (#19 item 9).

Runs `SLIM --json -n [OPTION]... IN -o OUT`, then the same for real, and checks:
the dry run writes nothing; both JSON reports are the same but for dry_run and the memory
peak; the report describes the output: totals.bytes_after is the output's regular file bytes
(hard links once; a zip's members), layer.file_bytes_after its size.  Prints what differs
and exits 1, or exits 0 silently."""
import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile


def run(cmd):
    p = subprocess.run(cmd, capture_output=True)
    if p.returncode != 0:
        sys.exit(f'{" ".join(cmd[1:])}: exit {p.returncode}: {p.stderr.decode(errors="replace")[:200]}')
    return json.loads(p.stdout)


def held(out):
    if zipfile.is_zipfile(out):
        return sum(i.file_size for i in zipfile.ZipFile(out).infolist() if not i.is_dir())
    data = open(out, 'rb').read()
    if data[:4] == b'\x28\xb5\x2f\xfd':
        data = subprocess.run(['zstd', '-dc'], input=data, capture_output=True, check=True).stdout
    elif data[:2] == b'\x1f\x8b':
        data = gzip.decompress(data)
    return sum(m.size for m in tarfile.open(fileobj=io.BytesIO(data)) if m.isreg())


def main():
    slim, src, out, opts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    dry = run([slim, '--json', '-n'] + opts + [src, '-o', out])
    if os.path.exists(out):
        sys.exit('the dry run wrote the output')
    real = run([slim, '--json'] + opts + [src, '-o', out])
    for d in (dry, real):
        d.pop('dry_run')
        d['totals'].pop('peak_rss_bytes')
    if dry != real:
        sys.exit('dry run and real run differ in ' + ', '.join(k for k in real if dry.get(k) != real[k]))
    h = held(out)
    if real['totals']['bytes_after'] != h:
        sys.exit(f"the report says {real['totals']['bytes_after']} bytes after; the output holds {h}")
    if real['layer']['file_bytes_after'] != os.path.getsize(out):
        sys.exit(f"file_bytes_after {real['layer']['file_bytes_after']}; the output has {os.path.getsize(out)}")


if __name__ == '__main__':
    main()
