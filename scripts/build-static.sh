#!/bin/sh
# Build one statically linked slim, for container images that have no
# libelf or libarchive (busybox, distroless, scratch):
#
#   scripts/build-static.sh [OUT]        (default build/static/slim; `make static`)
#
# Same sources as `make slim` (src/*.c and assets/), linked with -static against Debian's
# static libraries.  Missing -dev packages are installed with apt-get.
#
# The link line is `pkg-config --static --libs $PKGS_LIB` (the Makefile's
# list) minus the private dependencies of those libraries that slim never
# reaches (a library PKGS_LIB names itself is always linked):
#   libxml2 (+ICU)  only libarchive's xar format;
#   nettle/openssl  (as libarchive's dependency) zip encryption and the
#                   mtree/xar/7zip/warc digests;
#   libacl          only archive_read_disk/archive_write_disk.
# slim reads tar (gnutar/pax) through every read filter and writes pax with
# gzip or zstd; the libarchive members it pulls in for that still hold
# references to those libraries, but only from functions --gc-sections
# drops (libarchive.a is built with -ffunction-sections), so the link
# succeeds without them - and ld refuses any reference that survives, so a
# binary that links is complete.  If a future libarchive needs one of them
# for real, the script falls back to the full pkg-config line and says so.
# Linked with -s: the result is stripped.
set -eu

say() { echo "build-static: $*" >&2; }
die() { say "$*"; exit 1; }

cd "$(dirname "$0")/.."
OUT=${1:-build/static/slim}
OBJ=build/static/obj
CC=${CC:-cc}
# The pkg-config packages slim links with: PKGS_LIB from the environment
# (make static passes it), else the Makefile's PKGS_LIB line.
PKGS=${PKGS_LIB:-$(sed -n 's/^PKGS_LIB *[?:]*= *//p' Makefile)}
[ -n "$PKGS" ] || die "no PKGS_LIB in the environment or the Makefile"
# Private (static-only) dependencies slim never reaches; a library slim
# itself names in PKGS_LIB is never left out.
LEAVE_OUT="xml2 icui18n icuuc icudata nettle hogweed gmp crypto ssl acl attr"


# ---- packages ---------------------------------------------------------------
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
apt_install() {
	[ $# -gt 0 ] || return 0
	command -v apt-get >/dev/null || die "missing $*, and no apt-get to install them"
	say "installing Debian packages: $*"
	if ! { $SUDO apt-get update -qq >/dev/null &&
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
			"$@" >/dev/null; }; then
		die "apt-get install $* failed"
	fi
}
pkg_of() {
	case $1 in
	archive) echo libarchive-dev ;; elf) echo libelf-dev ;; zstd) echo libzstd-dev ;;
	xxhash) echo libxxhash-dev ;; lzma) echo liblzma-dev ;; bz2) echo libbz2-dev ;;
	lz4) echo liblz4-dev ;; z) echo zlib1g-dev ;; acl) echo libacl1-dev ;;
	xml2) echo libxml2-dev ;; nettle | hogweed) echo nettle-dev ;; crypto | ssl) echo libssl-dev ;;
	icu*) echo libicu-dev ;; gmp) echo libgmp-dev ;; attr) echo libattr1-dev ;;
	jansson) echo libjansson-dev ;;
	c | m | pthread | dl | rt) echo libc6-dev ;;
	*) echo "" ;;
	esac
}
have_static() { [ "$($CC -print-file-name="lib$1.a")" != "lib$1.a" ]; }

missing=
for t in gcc pkg-config; do command -v $t >/dev/null || missing="$missing $t"; done
# the .pc files of PKGS_LIB
for p in $PKGS; do
	pkg-config --exists "$p" 2>/dev/null && continue
	case $p in
	libarchive) d=libarchive-dev ;; libelf) d=libelf-dev ;; libzstd) d=libzstd-dev ;;
	libxxhash) d=libxxhash-dev ;; nettle | hogweed) d=nettle-dev ;; jansson) d=libjansson-dev ;;
	*) die "pkg-config package $p missing, and no known Debian package for it" ;;
	esac
	missing="$missing $d"
done
# shellcheck disable=SC2086
apt_install $missing

# -lNAME flags of a pkg-config --static line, without -pthread and duplicates
libs_of() {
	seen=" "
	for f in $1; do
		case $f in -l*) n=${f#-l} ;; *) continue ;; esac
		case $seen in *" $n "*) continue ;; esac
		seen="$seen$n "
		echo "$n"
	done
}
# Install the -dev packages whose static library is missing.
need_static() {
	missing=
	for n in "$@"; do
		have_static "$n" && continue
		p=$(pkg_of "$n")
		[ -n "$p" ] || die "no static lib$n.a and no known package for it"
		case " $missing " in *" $p "*) ;; *) missing="$missing $p" ;; esac
	done
	# shellcheck disable=SC2086
	apt_install $missing
	for n in "$@"; do have_static "$n" || die "lib$n.a still missing"; done
}

# shellcheck disable=SC2086
FULL=$(pkg-config --static --libs $PKGS) || die "pkg-config --static --libs $PKGS failed"
# shellcheck disable=SC2086
DIRECT=" $(libs_of "$(pkg-config --libs $PKGS)" | tr '\n' ' ') "
ALL=$(libs_of "$FULL")
LEAN=
for n in $ALL; do
	case "$DIRECT" in *" $n "*) LEAN="$LEAN $n"; continue ;; esac
	case " $LEAVE_OUT " in *" $n "*) continue ;; esac
	LEAN="$LEAN $n"
done
# shellcheck disable=SC2086
need_static c $LEAN

# ---- compile ----------------------------------------------------------------
mkdir -p "$OBJ" "$(dirname "$OUT")"
rm -f "$OBJ"/*.o
# the version (make passes SLIM_VERSION; scripts/version checks it is one
# word without quotes, so it passes through CFLAGS_STATIC's word splitting)
VERSION=${SLIM_VERSION:-$(scripts/version)} || die "no version (scripts/version failed)"
case $VERSION in "" | *[!0-9A-Za-z.+~_-]*) die "unusable version '$VERSION'" ;; esac
CFLAGS_STATIC="-std=gnu11 -D_GNU_SOURCE -Iinclude -pthread -O2 -DLIBARCHIVE_STATIC \
 -ffunction-sections -fdata-sections -Wall -Wextra -Wno-missing-field-initializers \
 -DSLIM_VERSION_STRING=\"$VERSION\""
export CC CFLAGS_STATIC OBJ
# the audit page's files (assets/) as C, as the Makefile makes them
GEN=build/gen/report_assets.c
mkdir -p "$(dirname "$GEN")"
scripts/embed-assets "$GEN" || die "cannot embed assets/"
# shellcheck disable=SC2016
printf '%s\0' src/*.c "$GEN" | xargs -0 -n 1 -P "$(nproc 2>/dev/null || echo 2)" sh -c \
	'$CC $CFLAGS_STATIC -c -o "$OBJ/$(basename "$1" .c).o" "$1" || exit 255' sh ||
	die "compile failed"

# ---- link -------------------------------------------------------------------
link() {
	# shellcheck disable=SC2086
	$CC -static -s -pthread -Wl,--gc-sections -o "$OUT.tmp" "$OBJ"/*.o \
		-Wl,--start-group $1 -Wl,--end-group
}
lflags() { for n in "$@"; do printf -- '-l%s ' "$n"; done; }
# shellcheck disable=SC2086
LINE=$(lflags $LEAN)
if ! link "$LINE" 2>"$OBJ/link.err"; then
	say "the lean link failed; falling back to the full pkg-config line:"
	sed 's/^/  /' "$OBJ/link.err" >&2
	# shellcheck disable=SC2086
	need_static $ALL
	# shellcheck disable=SC2086
	LINE=$(lflags $ALL)
	link "$LINE" 2>"$OBJ/link.err" || { cat "$OBJ/link.err" >&2; die "link failed"; }
fi
# glibc warns when a pulled-in member calls an NSS function (getpwnam,
# getaddrinfo), which would need glibc's shared modules at run time.  The
# lean line has none; the full one gets them from libxml2's nanohttp.o,
# which --gc-sections then drops.  Show them, do not fail.
if grep -q "requires at runtime" "$OBJ/link.err"; then
	say "note: the linker warned (code from unused members, dropped by --gc-sections):"
	grep "requires at runtime" "$OBJ/link.err" | sed 's/^/  /' >&2
fi

# ---- check --------------------------------------------------------------------
if LC_ALL=C readelf -lW "$OUT.tmp" | grep -qE '^ *(INTERP|DYNAMIC) '; then
	die "$OUT is not static (has INTERP or DYNAMIC)"
fi
case $OUT in /*) run=$OUT.tmp ;; *) run=./$OUT.tmp ;; esac
"$run" --version >/dev/null || die "$OUT does not run"
mv -f "$OUT.tmp" "$OUT"
echo "$CC -static -s -pthread -Wl,--gc-sections -o $OUT $OBJ/*.o -Wl,--start-group $LINE-Wl,--end-group" \
	>"$OBJ/link-line"
say "$OUT: $(wc -c <"$OUT") bytes, static, stripped; linked with: $LINE"
