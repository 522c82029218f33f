#!/usr/bin/env bash
# build-ar-fixtures.sh OUTDIR - build the archive and ET_REL fixtures for tests/e2e_ar.sh
# (strip-spec section 6, cases 13-29) from corpus/src/ar.
#
# OUTDIR is emptied of earlier fixtures and rebuilt (a full build takes a few seconds;
# the 66,000-section object is the slowest). When a tool is missing, the fixtures that
# need it are skipped with a message and listed in OUTDIR/SKIPPED ("NAME: why"), which
# e2e_ar.sh reports; the script still succeeds. The sources the tests compile at test
# time (main programs, user.rs, embed.c) are copied to OUTDIR/src, so the tests need
# nothing but OUTDIR.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$HERE/src/ar
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
case "$OUT" in
/ | "$HOME" | "$HERE" | "$HERE/src" | "$SRC")
	echo "build-ar-fixtures: refusing to use '$OUT' as OUTDIR" >&2
	exit 2
	;;
esac
export LC_ALL=C
# Deterministic by default on Debian; say so, in case ar was built otherwise.
ARD="D"

# Start from scratch: only the names this script makes.
rm -rf "$OUT/src" "$OUT/thin" "$OUT/rust" "$OUT/rust-nobc" "$OUT/python" "$OUT/cross" "$OUT/cross-gas" "$OUT/mix" "$OUT/tmp"
rm -f "$OUT"/*.o "$OUT"/*.a "$OUT"/*.ko "$OUT/SKIPPED" "$OUT/BUILT"
mkdir -p "$OUT/src" "$OUT/tmp"
cp "$SRC"/* "$OUT/src/"
: >"$OUT/SKIPPED"
T=$OUT/tmp

# Cargo's rustc is often not on PATH.
if ! command -v rustc >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/rustc" ]; then
	PATH=$PATH:$HOME/.cargo/bin
fi

have() { command -v "$1" >/dev/null 2>&1; }
first_tool() {
	local t
	for t in "$@"; do
		if have "$t"; then
			echo "$t"
			return 0
		fi
	done
	return 0
}
LLVM_AR=$(first_tool llvm-ar-14 llvm-ar llvm-ar-15 llvm-ar-16)

skip() { # NAME WHY
	echo "build-ar-fixtures: skipping $1: $2"
	echo "$1: $2" >>"$OUT/SKIPPED"
}
built() { echo "$1" >>"$OUT/BUILT"; }
# needs "NAME..." TOOL...: true when every tool exists; otherwise records a skip for
# each NAME.
needs() {
	local names=$1 t n
	shift
	for t in "$@"; do
		if ! have "$t"; then
			for n in $names; do
				skip "$n" "$t not found"
			done
			return 1
		fi
	done
	return 0
}

# ---- 13-16: a.o, b.o, libab.a, s.o -------------------------------------------------------
if needs ab g++ gcc ar; then
	g++ -g -O0 -c "$SRC/a.cc" -o "$OUT/a.o"
	gcc -g -O0 -c "$SRC/b.c" -o "$OUT/b.o"
	(cd "$OUT" && ar rc$ARD libab.a a.o b.o)
	# a relocatable object named .ko (R1: never stripped)
	cp "$OUT/b.o" "$OUT/mod.ko"
	built ab
fi
if needs asm as; then
	as -o "$OUT/s.o" "$SRC/s.s"
	built asm
fi

# ---- 17: debug-only COMDAT groups --------------------------------------------------------
if needs dt_gcc g++; then
	g++ -g -gdwarf-4 -fdebug-types-section -O0 -c "$SRC/dt.cc" -o "$OUT/dt_gcc.o"
	built dt_gcc
fi
if needs dt_clang clang++; then
	clang++ -g -gdwarf-5 -fdebug-types-section -O0 -c "$SRC/dt.cc" -o "$OUT/dt_clang.o"
	built dt_clang
fi

# ---- 18: 66,000 sections -----------------------------------------------------------------
if needs many as awk; then
	awk 'BEGIN {
		n = 66000
		print "\t.text\n\t.globl many_entry\n\t.type many_entry,@function\nmany_entry:"
		print "\tcall l65999\n\tcall l123\n\tret\n\t.size many_entry,.-many_entry"
		for (i = 0; i < n; i++)
			printf "\t.section .text.f%d,\"ax\",@progbits\n\t.globl f%d\n\t.type f%d,@function\nf%d:\nl%d:\n\tmovl $%d, %%eax\n\tret\n\t.size f%d,.-f%d\n", i, i, i, i, i, i, i, i
		print "\t.section .note.GNU-stack,\"\",@progbits"
	}' >"$T/many.s"
	as -o "$OUT/many.o" "$T/many.s"
	rm -f "$T/many.s"
	built many
fi

# ---- 19: .llvm_addrsig ---------------------------------------------------------------------
if needs addrsig clang; then
	clang -g -O1 -ffunction-sections -c "$SRC/c.c" -o "$OUT/c.o"
	built addrsig
fi

# ---- 20, 21: GCC LTO (slim and fat) --------------------------------------------------------
if needs "lto fat" gcc gcc-ar; then
	gcc -g -O1 -c "$SRC/helper.c" -o "$T/helper.o"
	gcc -O2 -flto -c "$SRC/lto.c" -o "$T/lto.o"
	(cd "$T" && gcc-ar rc$ARD "$OUT/liblto.a" helper.o lto.o)
	built lto
	gcc -g -O2 -flto -ffat-lto-objects -c "$SRC/lto.c" -o "$T/fat.o"
	(cd "$T" && gcc-ar rc$ARD "$OUT/libfat.a" helper.o fat.o)
	built fat
fi

# ---- 22: clang -flto bitcode member ----------------------------------------------------------
if needs bitcode clang ar; then
	# the ELF member (stripped, so that the bitcode member moves) from gcc when there is
	# one: slim leaves clang's ET_REL objects alone for now (shared .strtab/.shstrtab)
	if have gcc; then
		gcc -g -O1 -c "$SRC/helper.c" -o "$T/helper.o"
	else
		clang -g -O1 -c "$SRC/helper.c" -o "$T/helper.o"
	fi
	clang -O2 -flto -c "$SRC/bc.c" -o "$T/bc.o"
	# Debian's ar indexes bitcode through /usr/lib/bfd-plugins/LLVMgold-14.so; llvm-ar
	# always can.
	if [ -n "$LLVM_AR" ]; then
		(cd "$T" && "$LLVM_AR" rcD "$OUT/libbc.a" helper.o bc.o)
	else
		(cd "$T" && ar rc$ARD "$OUT/libbc.a" helper.o bc.o)
	fi
	built bitcode
fi

# ---- 23: mixed archive ------------------------------------------------------------------------
if needs mixed gcc ar; then
	mkdir -p "$T/d1" "$T/d2"
	gcc -g -O1 -c "$SRC/m1.c" -o "$T/m1.o"
	gcc -g -O1 -c "$SRC/long.c" -o "$T/a_very_long_member_name_object.o"
	gcc -g -O1 -c "$SRC/dup1.c" -o "$T/d1/dup.o"
	gcc -g -O1 -c "$SRC/dup2.c" -o "$T/d2/dup.o"
	cp "$SRC/notes.txt" "$T/notes.txt"
	members="m1.o a_very_long_member_name_object.o notes.txt"
	if have clang; then
		clang -O2 -flto -c "$SRC/bc.c" -o "$T/bitcode_member.bc"
		members="$members bitcode_member.bc"
	else
		echo "build-ar-fixtures: mixed archive without a bitcode member (clang not found)"
	fi
	# shellcheck disable=SC2086
	(cd "$T" && ar rc$ARD "$OUT/libmix.a" $members && ar q$ARD "$OUT/libmix.a" d1/dup.o &&
		ar q$ARD "$OUT/libmix.a" d2/dup.o && ar s "$OUT/libmix.a")
	built mixed
fi

# ---- 24: ar rcU (real mtimes, mode 100600) ------------------------------------------------------
if needs umode gcc ar; then
	mkdir -p "$T/u"
	gcc -g -O1 -c "$SRC/m1.c" -o "$T/u/u1.o"
	gcc -g -O1 -c "$SRC/long.c" -o "$T/u/u2.o"
	chmod 600 "$T/u/u2.o"
	touch -d '2021-03-04 05:06:07 UTC' "$T/u/u1.o"
	touch -d '2022-07-08 09:10:11 UTC' "$T/u/u2.o"
	(cd "$T/u" && ar rcU "$OUT/libu.a" u1.o u2.o)
	built umode
fi

# ---- 25: /SYM64/ armap ---------------------------------------------------------------------------
if [ -z "$LLVM_AR" ]; then
	skip sym64 "llvm-ar not found"
elif needs sym64 gcc g++; then
	mkdir -p "$T/s64"
	g++ -g -O1 -c "$SRC/a.cc" -o "$T/s64/a.o"
	gcc -g -O1 -c "$SRC/b.c" -o "$T/s64/b.o"
	(cd "$T/s64" && SYM64_THRESHOLD=0 "$LLVM_AR" rc "$OUT/lib64.a" a.o b.o)
	built sym64
fi

# ---- 26: thin archive ------------------------------------------------------------------------------
if needs thin gcc ar; then
	mkdir -p "$OUT/thin"
	gcc -g -O1 -c "$SRC/m1.c" -o "$OUT/thin/t1.o"
	gcc -g -O1 -c "$SRC/long.c" -o "$OUT/thin/t2.o"
	(cd "$OUT/thin" && ar rcT thin.a t1.o t2.o)
	built thin
fi

# ---- 27: Rust rlib ----------------------------------------------------------------------------------
# rust/: rustc's defaults (codegen objects embed bitcode in .llvmbc); rust-nobc/: the
# same with -C embed-bitcode=no
if needs "rlib rlib_nobc" rustc; then
	mkdir -p "$OUT/rust" "$OUT/rust-nobc"
	rustc --crate-type=rlib --crate-name mylib -C debuginfo=2 -O \
		--out-dir "$OUT/rust" "$SRC/mylib.rs"
	built rlib
	rustc --crate-type=rlib --crate-name mylib -C debuginfo=2 -O -C embed-bitcode=no \
		--out-dir "$OUT/rust-nobc" "$SRC/mylib.rs"
	built rlib_nobc
fi

# ---- 28: libpython3.11.a ------------------------------------------------------------------------------
PYROOT=$( (pyenv root 2>/dev/null) || echo "$HOME/.pyenv")
pyver=$(ls -d "$PYROOT"/versions/3.11.* 2>/dev/null | sort -V | tail -n 1 || true)
pylib=${pyver:+$pyver/lib/python3.11/config-3.11-x86_64-linux-gnu/libpython3.11.a}
if [ -z "$pyver" ] || [ ! -f "$pylib" ]; then
	skip libpython "no libpython3.11.a under $PYROOT/versions/3.11.*"
elif needs libpython gcc; then
	mkdir -p "$OUT/python"
	cp "$pylib" "$OUT/python/libpython3.11.a"
	echo "$pyver" >"$OUT/python/home"
	echo "$pyver/include/python3.11" >"$OUT/python/include"
	libs=""
	if [ -x "$pyver/bin/python3.11-config" ]; then
		libs=$("$pyver/bin/python3.11-config" --libs --embed 2>/dev/null | sed 's/-lpython3\.11//g' || true)
	fi
	echo "${libs:--ldl -lm} -lm -ldl -lpthread -lutil" >"$OUT/python/libs"
	built libpython
fi

# ---- 29: ELF32 and big-endian objects ---------------------------------------------------------------
# Two sets: cross/ from clang's integrated assembler (one .strtab that is also the
# section-name table), and cross-gas/ through GNU cross assemblers (separate .shstrtab;
# Debian packages binutils-powerpc-linux-gnu, binutils-powerpc64-linux-gnu, and
# binutils-i686-linux-gnu or the native as).
CROSS_T="i686-linux-gnu powerpc-linux-gnu powerpc64-linux-gnu"
if [ -z "$LLVM_AR" ]; then
	skip cross "llvm-ar not found"
	skip cross_gas "llvm-ar not found"
elif needs "cross cross_gas" clang; then
	mkdir -p "$OUT/cross"
	for t in $CROSS_T; do
		clang --target=$t -fPIC -g -O1 -c "$SRC/cross.c" -o "$OUT/cross/$t.o"
	done
	# shellcheck disable=SC2046,SC2086
	(cd "$OUT/cross" && "$LLVM_AR" rcD libcross.a $(printf '%s.o ' $CROSS_T))
	built cross
	missing=""
	for t in powerpc-linux-gnu powerpc64-linux-gnu; do
		have $t-as || missing="$missing $t-as"
	done
	if [ -n "$missing" ]; then
		skip cross_gas "not found:$missing (apt-get install binutils-powerpc-linux-gnu binutils-powerpc64-linux-gnu)"
	else
		mkdir -p "$OUT/cross-gas"
		for t in $CROSS_T; do
			clang --target=$t -fno-integrated-as -fPIC -g -O1 -c "$SRC/cross.c" \
				-o "$OUT/cross-gas/$t.o"
		done
		# shellcheck disable=SC2046,SC2086
		(cd "$OUT/cross-gas" && "$LLVM_AR" rcD libcross.a $(printf '%s.o ' $CROSS_T))
		built cross_gas
	fi
fi

rm -rf "$T"
echo "build-ar-fixtures: built $(wc -l <"$OUT/BUILT") fixture groups in $OUT," \
	"skipped $(wc -l <"$OUT/SKIPPED")"
