# slim - make container images smaller.
#
#   make            build ./slim
#   make check      install what is missing, build with ASan+UBSan, run all tests
#   make example    install what is missing, build, run slim on corpus/example
#   make install    install slim (stripped), slim.1, the docs and the shell
#                   completions under DESTDIR/PREFIX (/usr/local)

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

# The version slim reports: scripts/version (git describe, else the VERSION
# file); `make SLIM_VERSION=...` sets it.  Only src/version.c gets it (-D),
# through build/gen/version.txt, which changes only when the version does.
ifeq ($(origin SLIM_VERSION),undefined)
SLIM_VERSION := $(shell scripts/version)
endif
export SLIM_VERSION
VERSION_FILE = build/gen/version.txt

SRC  = $(filter-out src/main.c,$(wildcard src/*.c))
HDR  = $(wildcard include/*.h)
IHDR = $(wildcard src/*.h)  # private headers shared by one module's files
# The audit page's style, body and script (report_html.c), embedded as a
# generated C file (report_assets.h) in every build: release, sanitizer,
# static, fuzz.
ASSETS = $(sort $(wildcard assets/*))
GEN_ASSETS = build/gen/report_assets.c
TESTS_UNIT = $(wildcard tests/unit/*.c)
# the suites' files: main.c checks that tests/unit/testutil.h lists each
UNIT_SUITE_FILES = $(sort $(patsubst tests/unit/check_%.c,%,$(wildcard tests/unit/check_*.c)))

# Debian packages: to build, and to run the tests (compilers for fixtures,
# the tools the tests compare against).
BUILD_PKGS = gcc make pkg-config libelf-dev libarchive-dev libzstd-dev libxxhash-dev nettle-dev libjansson-dev
TEST_PKGS  = check binutils elfutils attr libcap2-bin python3 clang lld llvm g++ zstd \
             gcc-i686-linux-gnu gcc-aarch64-linux-gnu binutils-powerpc-linux-gnu \
             binutils-powerpc64-linux-gnu patchelf golang-go bc python3-dev python3-venv \
             unzip chromium strace buildah podman skopeo umoci runc busybox-static \
             buildah podman skopeo umoci runc debootstrap zsh jq

.PHONY: all check unit e2e example deps deps-build install uninstall clean fixtures fuzz fuzz-smoke static \
	compare-reports FORCE

all: slim

# ---- embedded assets ------------------------------------------------------
Q = $(if $(V),,@)

# od and sed only (scripts/embed-assets); it refuses a script that could
# close its element early ("</script", "<!--").
$(GEN_ASSETS): $(ASSETS) scripts/embed-assets
	@mkdir -p $(@D)
	@$(if $(Q),echo "  EMBED   $@")
	$(Q)scripts/embed-assets $@ $(ASSETS)

$(VERSION_FILE): FORCE
	@mkdir -p $(@D)
	@test -n '$(SLIM_VERSION)' || { echo "make: no version (scripts/version failed)" >&2; exit 1; }
	@echo '$(SLIM_VERSION)' | cmp -s - $@ 2>/dev/null || echo '$(SLIM_VERSION)' > $@

build/rel/version.o build/san/version.o: $(VERSION_FILE)
build/rel/version.o build/san/version.o: VDEF = -DSLIM_VERSION_STRING='"$(SLIM_VERSION)"'

# ---- release build -------------------------------------------------------
build/rel/%.o: src/%.c $(HDR) $(IHDR)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) $(VDEF) -c -o $@ $<

build/rel/report_assets.o: $(GEN_ASSETS) include/report_assets.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -c -o $@ $<

slim: $(SRC:src/%.c=build/rel/%.o) build/rel/report_assets.o build/rel/main.o
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# ---- static binary, for images without libelf or libarchive --------------
static: build/static/slim

build/static/slim: $(wildcard src/*.c) $(HDR) $(IHDR) scripts/build-static.sh $(ASSETS) \
		   scripts/embed-assets $(VERSION_FILE)
	@PKGS_LIB="$(PKGS_LIB)" CC="$(CC)" scripts/build-static.sh $@

# ---- sanitizer build, used by every test ---------------------------------
build/san/%.o: src/%.c $(HDR) $(IHDR)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(BASE_CFLAGS) -O1 -g $(SAN) $(VDEF) -c -o $@ $<

build/san/report_assets.o: $(GEN_ASSETS) include/report_assets.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(BASE_CFLAGS) -O1 -g $(SAN) -c -o $@ $<

SAN_OBJ = $(SRC:src/%.c=build/san/%.o) build/san/report_assets.o

build/san/slim: $(SAN_OBJ) build/san/main.o
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(SAN) -o $@ $^ $(LIBS)

# rebuilt when a suite file comes or goes (a removed file leaves no newer prerequisite)
build/san/unit.suites: FORCE
	@mkdir -p $(@D)
	@echo '$(UNIT_SUITE_FILES)' | cmp -s - $@ 2>/dev/null || echo '$(UNIT_SUITE_FILES)' > $@

build/san/unit: $(TESTS_UNIT) $(SAN_OBJ) tests/unit/testutil.h build/san/unit.suites
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(BASE_CFLAGS) -Itests/unit -O1 -g $(SAN) -DTU_SUITE_FILES='"$(UNIT_SUITE_FILES)"' \
	    -o $@ $(TESTS_UNIT) \
	    $(SAN_OBJ) $(LIBS) $$(pkg-config --libs check)

FORCE:

build/loadcmp: tests/tools/loadcmp.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O1 -g -o $@ $< -lelf

# ---- fuzzing (clang's libFuzzer) -------------------------------------------
FUZZ_TARGETS = $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/*.c))
FUZZ_FLAGS = -std=gnu11 -D_GNU_SOURCE -Iinclude -g -O1 -fsanitize=fuzzer,address,undefined \
             -fno-sanitize-recover=all

build/fuzz/%: tests/fuzz/%.c $(SRC) $(GEN_ASSETS) $(HDR) $(IHDR)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)clang $(FUZZ_FLAGS) -o $@ $< $(SRC) $(GEN_ASSETS) $(LIBS)

fuzz: $(FUZZ_TARGETS)

# a short run of every target on seeds from the fixtures; scripts/fuzz-long runs long ones
FUZZ_SECONDS ?= 10
fuzz-smoke: fuzz fixtures
	@tests/tools/suite fuzz scripts/fuzz-run $(FUZZ_SECONDS)

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

# Each suite's output is also kept in build/test-logs/NAME.log (tests/tools/suite); make
# check ends with tests/tools/summary: a line per suite and the totals.
TEST_LOGS = build/test-logs
export TEST_LOGS

unit: build/san/unit
	@mkdir -p build/tmp
	@TMPDIR=$(CURDIR)/build/tmp tests/tools/suite unit ./build/san/unit

# every script runs, a failing one too; the target fails at the end if one failed (the
# static slim, for e2e_image's RUN-slim image and e2e_container, is built on the way)
E2E_SCRIPTS = "e2e build/san/slim build/fixtures" "e2e_ar build/san/slim build/arfix" \
              "e2e_layer build/san/slim" "e2e_wheel build/san/slim" "e2e_html build/san/slim" \
              "e2e_cli build/san/slim" "e2e_layout build/san" \
              "e2e_image build/san/slim" "e2e_container build/static/slim" \
              "e2e_crash build/san/slim" "e2e_fs build/san/slim" "e2e_hostile build/san/slim" \
              "e2e_sweep build/san/slim" "e2e_gpu build/san/slim" \
              "e2e_auditwheel build/san/slim" "e2e_big build/san/slim" "e2e_opts build/san/slim" \
              "e2e_pkg build/san/slim" "e2e_tty build/san/slim" "e2e_account build/san/slim"
e2e: build/san/slim build/loadcmp fixtures
	@rc=0; for t in $(E2E_SCRIPTS); do \
	    set -- $$t; n=$$1; shift; \
	    if [ $$n = e2e_image ]; then $(MAKE) --no-print-directory build/static/slim || rc=1; fi; \
	    tests/tools/suite $$n tests/$$n.sh "$$@" || rc=1; \
	done; exit $$rc

# Opt-in, not part of check: are the reports of REF (a slim from before a
# change that must not change them) and of this tree's the same, byte for
# byte?  make compare-reports REF=/path/to/old/slim
compare-reports: $(if $(REF),build/san/slim fixtures)
	@test -n "$(REF)" || { echo "make compare-reports: set REF=/path/to/the/other/slim" >&2; exit 2; }
	@scripts/compare-reports $(REF) build/san/slim build/fixtures build/arfix

check: deps
	@rm -rf $(TEST_LOGS)
	@rc=0; \
	$(MAKE) --no-print-directory unit || rc=1; \
	$(MAKE) --no-print-directory e2e || rc=1; \
	$(MAKE) --no-print-directory fuzz-smoke || rc=1; \
	tests/tools/summary $(TEST_LOGS) || rc=1; \
	exit $$rc

# ---- example -------------------------------------------------------------
example: deps-build
	@$(MAKE) --no-print-directory slim
	@corpus/example.sh ./slim

# ---- install -------------------------------------------------------------
# make install [DESTDIR=/tmp/pkg] [PREFIX=/usr] [SLIM_BIN=build/static/slim]:
# the binary stripped (install -s), slim.1, the docs (README's links into doc/
# kept), and the bash and zsh completions, which the binary prints from its
# option table (so SLIM_BIN must run here).  e2e_pkg checks what lands.
SLIM_BIN    ?= slim
BINDIR       = $(PREFIX)/bin
MAN1DIR      = $(PREFIX)/share/man/man1
DOCDIR       = $(PREFIX)/share/doc/slim
BASHCOMPDIR  = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR   = $(PREFIX)/share/zsh/site-functions
DOCS         = README.md CHANGELOG.md LICENSE THIRD-PARTY.md
DOC_EXTRA    = $(wildcard doc/*.md doc/*.yml)

install: $(SLIM_BIN)
	@mkdir -p build/completions
	$(abspath $(SLIM_BIN)) --completion bash > build/completions/slim.bash
	$(abspath $(SLIM_BIN)) --completion zsh > build/completions/_slim
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN1DIR) $(DESTDIR)$(DOCDIR)/doc \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -s -m 755 $(SLIM_BIN) $(DESTDIR)$(BINDIR)/slim
	install -m 644 slim.1 $(DESTDIR)$(MAN1DIR)/slim.1
	install -m 644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	install -m 644 $(DOC_EXTRA) $(DESTDIR)$(DOCDIR)/doc/
	install -m 644 build/completions/slim.bash $(DESTDIR)$(BASHCOMPDIR)/slim
	install -m 644 build/completions/_slim $(DESTDIR)$(ZSHCOMPDIR)/_slim

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/slim $(DESTDIR)$(MAN1DIR)/slim.1 \
	    $(DESTDIR)$(BASHCOMPDIR)/slim $(DESTDIR)$(ZSHCOMPDIR)/_slim
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build slim
