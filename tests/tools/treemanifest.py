#!/usr/bin/python3
"""treemanifest.py DIR - one line per path below DIR: its name, mode, size, mtime, inode,
link count and sha256 (a symlink: its target), sorted; two equal outputs mean the tree
was not touched."""
import hashlib
import os
import stat
import sys

root = sys.argv[1]
lines = []
for dp, dns, fns in os.walk(root):
    for n in sorted(dns + fns):
        p = os.path.join(dp, n)
        st = os.lstat(p)
        h = ''
        if stat.S_ISREG(st.st_mode):
            with open(p, 'rb') as f:
                h = hashlib.sha256(f.read()).hexdigest()
        elif stat.S_ISLNK(st.st_mode):
            h = os.readlink(p)
        lines.append(f'{os.path.relpath(p, root)!r} {st.st_mode:o} {st.st_size} '
                     f'{st.st_mtime_ns} {st.st_ino} {st.st_nlink} {h}')
sys.stdout.write('\n'.join(sorted(lines)) + '\n')
