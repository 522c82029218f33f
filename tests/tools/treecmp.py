#!/usr/bin/env python3
"""treecmp.py A B [--mtime] - compare two trees as a layer sees them.

Compares, for every path: type, mode (all bits), owner, size, content
(sha256), symlink target, device numbers, extended attributes, and the hard
link structure (which names share an inode).  With --mtime, mtimes too.
Exit 0 when equal; prints the differences otherwise.
"""
import hashlib
import os
import stat
import sys


def scan(root, with_mtime):
    info, inodes = {}, {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            rec = [stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid]
            if stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(p, 'rb') as f:
                    for chunk in iter(lambda: f.read(1 << 20), b''):
                        h.update(chunk)
                rec += [st.st_size, h.hexdigest()]
                inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
            elif stat.S_ISLNK(st.st_mode):
                rec.append(os.readlink(p))
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                rec.append((os.major(st.st_rdev), os.minor(st.st_rdev)))
            if with_mtime and not stat.S_ISLNK(st.st_mode):
                rec.append(int(st.st_mtime))
            try:
                xa = {} if stat.S_ISLNK(st.st_mode) else {
                    k: os.getxattr(p, k, follow_symlinks=False)
                    for k in sorted(os.listxattr(p, follow_symlinks=False))}
            except OSError:
                xa = {}
            rec.append(xa)
            info[rel] = rec
    links = sorted(tuple(sorted(v)) for v in inodes.values() if len(v) > 1)
    return info, links


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    with_mtime = '--mtime' in sys.argv
    (a, la), (b, lb) = scan(args[0], with_mtime), scan(args[1], with_mtime)
    bad = 0
    for p in sorted(set(a) | set(b)):
        if a.get(p) != b.get(p):
            bad += 1
            if bad <= 20:
                print(f'differs: {p!r}: {a.get(p)!r} != {b.get(p)!r}')
    if la != lb:
        bad += 1
        sa, sb = set(la), set(lb)
        print(f'hard links differ: only in A {sorted(sa - sb)[:5]}, only in B {sorted(sb - sa)[:5]}')
    print(f'{len(a)} paths, {len(la)} hard-link groups: {"same" if not bad else f"{bad} differences"}')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
