#!/bin/sh
# Build the example tree of corpus/example from source, run slim on a copy
# of it, and show that the stripped program still runs.
#   corpus/example.sh [SLIM]
set -eu
slim=${1:-./slim}
src=$(cd "$(dirname "$0")/example" && pwd)
out=${EXAMPLE_DIR:-build/example}
rm -rf "$out"
tree=$out/tree
mkdir -p "$tree/usr/local/lib" "$tree/usr/local/bin"
cc -g -O1 -fPIC -shared -Wl,-soname,libgreet.so.1 -o "$tree/usr/local/lib/libgreet.so.1" "$src/greet.c"
ln -s libgreet.so.1 "$tree/usr/local/lib/libgreet.so"
cc -g -O1 -o "$tree/usr/local/bin/greet" "$src/main.c" -L"$tree/usr/local/lib" -lgreet \
    -Wl,-rpath,'$ORIGIN/../lib'
ln "$tree/usr/local/bin/greet" "$tree/usr/local/bin/greet-again"   # a hard link
printf '/* GNU ld script */\nINPUT ( libgreet.so.1 )\n' > "$tree/usr/local/lib/libgreet-script.so"
cp /usr/lib/x86_64-linux-gnu/libc.so "$tree/usr/local/lib/" 2>/dev/null || true

echo "== before: $(du -sb "$tree" | cut -f1) bytes; greet says: $("$tree/usr/local/bin/greet" slim | tail -1)"
echo "== slim --dry-run $tree"
"$slim" --dry-run "$tree"
echo "== slim $tree"
"$slim" "$tree"
echo "== after: $(du -sb "$tree" | cut -f1) bytes; greet says: $("$tree/usr/local/bin/greet" slim | tail -1)"
