# slim - make container images smaller.
#
#   make            build ./slim
#   make check      install what is missing, build with ASan+UBSan, run all tests
#   make example    install what is missing, build, run slim on corpus/example
#   make install    install slim and slim.1 under PREFIX (/usr/local)

PREFIX   ?= /usr/local
CC       ?= cc
PKGS_LIB  = libelf libarchive libzstd libxxhash nettle jansson

WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wformat=2 -Wvla -Wpointer-arith -Wundef -Wwrite-strings -Wnull-dereference \
       -Wimplicit-fallthrough -Wno-missing-field-initializers
BASE_CFLAGS = -std=gnu11 -D_GNU_SOURCE -Iinclude $(WARN) -pthread
CFLAGS  ?= -O2 -g
SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LIBS     = $(shell pkg-config --libs $(PKGS_LIB) 2>/dev/null || echo -lelf -larchive -lzstd -lxxhash -lnettle -ljansson) -pthread

SRC  = $(filter-out src/main.c,$(wildcard src/*.c))
HDR  = $(wildcard include/*.h)
TESTS_UNIT = $(wildcard tests/unit/*.c)

# Debian packages: to build, and to run the tests (compilers for fixtures,
# the tools the tests compare against).
BUILD_PKGS = gcc make pkg-config libelf-dev libarchive-dev libzstd-dev libxxhash-dev nettle-dev libjansson-dev
TEST_PKGS  = check binutils elfutils attr libcap2-bin python3 clang lld llvm g++ zstd \
             gcc-i686-linux-gnu gcc-aarch64-linux-gnu binutils-powerpc-linux-gnu \
             binutils-powerpc64-linux-gnu patchelf golang-go bc python3-dev python3-venv \
             unzip chromium strace buildah podman skopeo umoci runc busybox-static \
             buildah podman skopeo umoci runc debootstrap

.PHONY: all check unit e2e example deps deps-build install clean fixtures fuzz fuzz-smoke static

all: slim

# ---- release build -------------------------------------------------------
Q = $(if $(V),,@)

build/rel/%.o: src/%.c $(HDR) $(wildcard src/*.h)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -c -o $@ $<

slim: $(SRC:src/%.c=build/rel/%.o) build/rel/main.o
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# ---- static binary, for images without libelf or libarchive --------------
static: build/static/slim

build/static/slim: $(wildcard src/*.c) $(HDR) src/elfimg.h scripts/build-static.sh
	@PKGS_LIB="$(PKGS_LIB)" CC="$(CC)" scripts/build-static.sh $@

# ---- sanitizer build, used by every test ---------------------------------
build/san/%.o: src/%.c $(HDR) $(wildcard src/*.h)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(BASE_CFLAGS) -O1 -g $(SAN) -c -o $@ $<

build/san/slim: $(SRC:src/%.c=build/san/%.o) build/san/main.o
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(SAN) -o $@ $^ $(LIBS)

build/san/unit: $(TESTS_UNIT) $(SRC:src/%.c=build/san/%.o) tests/unit/testutil.h
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(BASE_CFLAGS) -Itests/unit -O1 -g $(SAN) -o $@ $(TESTS_UNIT) \
	    $(SRC:src/%.c=build/san/%.o) $(LIBS) $$(pkg-config --libs check)

build/loadcmp: tests/tools/loadcmp.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O1 -g -o $@ $< -lelf

# ---- fuzzing (clang's libFuzzer) -------------------------------------------
FUZZ_TARGETS = $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/*.c))
FUZZ_FLAGS = -std=gnu11 -D_GNU_SOURCE -Iinclude -g -O1 -fsanitize=fuzzer,address,undefined \
             -fno-sanitize-recover=all

build/fuzz/%: tests/fuzz/%.c $(SRC) $(HDR) src/elfimg.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)clang $(FUZZ_FLAGS) -o $@ $< $(SRC) $(LIBS)

fuzz: $(FUZZ_TARGETS)

# a short run of every target on seeds from the fixtures; scripts/fuzz-long runs long ones
FUZZ_SECONDS ?= 10
fuzz-smoke: fuzz fixtures
	@scripts/fuzz-run $(FUZZ_SECONDS)

# ---- set-up --------------------------------------------------------------
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)
define install_missing
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	    grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "make: installing Debian packages:" $$missing; \
	    $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
endef

deps-build:
	$(call install_missing,$(BUILD_PKGS))

deps: deps-build
	$(call install_missing,$(TEST_PKGS))

# ---- tests ---------------------------------------------------------------
fixtures: build/san/slim
	@corpus/build-fixtures.sh build/fixtures
	@corpus/build-ar-fixtures.sh build/arfix

unit: build/san/unit
	@mkdir -p build/tmp
	TMPDIR=$(CURDIR)/build/tmp ./build/san/unit

e2e: build/san/slim build/loadcmp fixtures
	@tests/e2e.sh build/san/slim build/fixtures
	@tests/e2e_ar.sh build/san/slim build/arfix
	@tests/e2e_layer.sh build/san/slim
	@tests/e2e_wheel.sh build/san/slim
	@tests/e2e_html.sh build/san/slim
	@$(MAKE) --no-print-directory build/static/slim
	@tests/e2e_image.sh build/san/slim
	@tests/e2e_container.sh build/static/slim
	@tests/e2e_crash.sh build/san/slim
	@tests/e2e_fs.sh build/san/slim
	@tests/e2e_hostile.sh build/san/slim
	@tests/e2e_sweep.sh build/san/slim

check: deps
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e
	@$(MAKE) --no-print-directory fuzz-smoke

# ---- example -------------------------------------------------------------
example: deps-build
	@$(MAKE) --no-print-directory slim
	@corpus/example.sh ./slim

install: slim
	install -D -m 755 slim $(DESTDIR)$(PREFIX)/bin/slim
	install -D -m 644 slim.1 $(DESTDIR)$(PREFIX)/share/man/man1/slim.1

clean:
	rm -rf build slim
