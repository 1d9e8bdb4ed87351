# gpuenv: build, test and install. GNU make; dependencies through pkg-config only.
.SUFFIXES:

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/gpuenv
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# Debian's zsh reads packages' completions from vendor-completions; site-functions is for /usr/local.
ifeq ($(PREFIX),/usr)
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions
else
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
endif
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
INSTALL ?= install

PKGS = libcurl libcjson libarchive libcrypto
# Linked: only what every command needs. libcurl, libarchive and libcrypto are loaded at run time
# by the commands that use them (40 shared objects cost ~15 ms at every start otherwise).
LINKED_PKGS = libcjson
# Debian packages behind PKGS and the tests; 'make deps' installs them.
DEB_BUILD = make gcc pkg-config libcurl4-openssl-dev libcjson-dev libarchive-dev libssl-dev
DEB_TEST = check python3 python3-venv python3-pip mandoc bash zsh fish dash ksh tcsh csh lmod clang libclang-rt-14-dev clang-14 zstd binutils \
           slurmd slurmctld slurm-client munge

# SANITIZE=1 builds everything again with ASan and UBSan, in its own folder, so that the plain
# ./gpuenv is never a sanitizer build by accident.
ifeq ($(SANITIZE),1)
B = build/san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT = -O1 -g
else
B = build/rel
SANFLAGS =
OPT = -O2 -g
endif

WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
       -Wno-format-nonliteral -Wvla
# User CPPFLAGS/CFLAGS/LDFLAGS are appended, never replaced.
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 -pthread $(OPT) $(WARN) $(SANFLAGS) \
             -DGPUENV_DATADIR='"$(DATADIR)"' -MMD -MP \
             $(shell $(PKG_CONFIG) --cflags $(PKGS)) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)
LIBS = $(shell $(PKG_CONFIG) --libs $(LINKED_PKGS)) -ldl -pthread

SRCS = $(wildcard src/*.c)
OBJS = $(SRCS:src/%.c=$(B)/%.o)
LIB_OBJS = $(filter-out $(B)/main.o,$(OBJS))

UNIT_SRCS = $(wildcard tests/unit/*.c)
UNIT_OBJS = $(UNIT_SRCS:tests/unit/%.c=$(B)/unit/%.o)
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

# The fake driver libraries the tests load with GPUENV_LIBCUDA and LD_LIBRARY_PATH. Never
# sanitized: they are dlopen'ed by a sanitized binary that already carries the runtime.
FAKE_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -O1 -g -fPIC -shared -Wall -Wextra -Werror

.PHONY: all check check-unit check-e2e check-tools check-live check-clang lint install uninstall clean deps fuzz fuzz-smoke

all: gpuenv

gpuenv: build/rel/gpuenv
	cp build/rel/gpuenv $@

$(B)/gpuenv: $(OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $(OBJS) $(LIBS)

$(B)/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The installed data folder is compiled into matrix.o: when DATADIR changes ('make install
# PREFIX=/usr' after a plain 'make'), it is compiled again. (The binary also finds the data at
# ../share/gpuenv beside itself, whatever it was compiled with.)
$(B)/datadir.txt: FORCE
	@mkdir -p $(@D)
	@echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' >$@
$(B)/matrix.o: $(B)/datadir.txt
.PHONY: FORCE
FORCE:

$(B)/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Isrc -c -o $@ $<

$(B)/unit_tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $(UNIT_OBJS) $(LIB_OBJS) $(CHECK_LIBS) $(LIBS)

$(B)/fake/libcuda.so.1: tests/fake/fake_libcuda.c
	@mkdir -p $(@D)
	$(CC) $(FAKE_CFLAGS) -Wl,-soname,libcuda.so.1 -o $@ $<

$(B)/fake/libnvidia-ml.so.1: tests/fake/fake_nvml.c
	@mkdir -p $(@D)
	$(CC) $(FAKE_CFLAGS) -Wl,-soname,libnvidia-ml.so.1 -o $@ $<

# Two libraries that differ only in how they name their search path: DT_RPATH (searched before
# LD_LIBRARY_PATH) and DT_RUNPATH (after it), for the ELF dynamic-section reader's tests.
$(B)/fake/librpath.so: tests/fake/fake_nvml.c
	@mkdir -p $(@D)
	$(CC) $(FAKE_CFLAGS) -Wl,--disable-new-dtags,-rpath,'$$ORIGIN/../nvidia/cudnn/lib' -o $@ $< -Wl,--no-as-needed -lm

$(B)/fake/librunpath.so: tests/fake/fake_nvml.c
	@mkdir -p $(@D)
	$(CC) $(FAKE_CFLAGS) -Wl,--enable-new-dtags,-rpath,'$$ORIGIN:/opt/x' -o $@ $< -Wl,--no-as-needed -lm

# The HIP runtime, as HIP 6 and (its own folder) as HIP 5, whose device properties differ.
$(B)/fake/libamdhip64.so.6: tests/fake/fake_amdhip.c
	@mkdir -p $(@D)
	$(CC) $(FAKE_CFLAGS) -Wl,-soname,libamdhip64.so.6 -o $@ $<

$(B)/fake/hip5/libamdhip64.so.5: tests/fake/fake_amdhip.c
	@mkdir -p $(@D)
	$(CC) $(FAKE_CFLAGS) -DFAKE_HIP5 -Wl,-soname,libamdhip64.so.5 -o $@ $<

FAKES = $(B)/fake/libcuda.so.1 $(B)/fake/libnvidia-ml.so.1 $(B)/fake/librpath.so $(B)/fake/librunpath.so \
        $(B)/fake/libamdhip64.so.6 $(B)/fake/hip5/libamdhip64.so.5

# HIP libraries whose .hip_fatbin holds clang offload bundles (clang-offload-bundler, zstd), for hipfat.c
$(B)/fake/hip/.made: tests/fake/make_hipfat.sh tests/fake/make_ccob.py
	rm -rf $(@D)
	CC=$(CC) sh tests/fake/make_hipfat.sh $(@D)
	touch $@

FAKES += $(B)/fake/hip/.made

check: check-unit check-e2e check-tools lint

check-unit: $(B)/unit_tests $(FAKES)
	GPUENV_FAKE_DIR=$(CURDIR)/$(B)/fake CK_DEFAULT_TIMEOUT=30 $(B)/unit_tests

check-e2e: $(B)/gpuenv $(FAKES)
	GPUENV=$(CURDIR)/$(B)/gpuenv GPUENV_FAKE_DIR=$(CURDIR)/$(B)/fake sh tests/e2e/run.sh

# The maintainers' tools of tools/ (tools/regen.py), on fixture repositories the test builds.
check-tools:
	python3 tests/tools/test_regen.py
	python3 tests/tools/test_data_sources.py

# Compares gpuenv detect with nvidia-smi where a real driver is present (opt-in).
check-live: $(B)/gpuenv
	GPUENV=$(CURDIR)/$(B)/gpuenv sh tests/live/check-live.sh && GPUENV=$(CURDIR)/$(B)/gpuenv sh tests/live/doctor-live.sh

# The same unit tests built with clang: the source must build with both compilers.
check-clang:
	$(MAKE) CC=clang B=build/clang build/clang/unit_tests build/clang/fake/libcuda.so.1 build/clang/fake/libnvidia-ml.so.1 build/clang/fake/librpath.so build/clang/fake/librunpath.so \
	  build/clang/fake/libamdhip64.so.6 build/clang/fake/hip5/libamdhip64.so.5 \
	  build/clang/fake/hip/.made
	GPUENV_FAKE_DIR=$(CURDIR)/build/clang/fake CK_DEFAULT_TIMEOUT=30 build/clang/unit_tests

# libFuzzer harnesses (tests/fuzz/), with ASan and UBSan, for every parser and the unpacker.
# 'make fuzz' builds them; 'make fuzz-smoke' runs each for FUZZ_SECONDS from seeds (CI does).
FUZZ_CC ?= clang
FUZZ_B = build/fuzz
FUZZ_SECONDS ?= 10
# every tests/fuzz/fuzz_<name>.c but the shared helpers
FUZZERS = $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_common.c,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 -pthread -g -O1 $(WARN) $(FUZZ_SAN) \
              -DGPUENV_DATADIR='"$(DATADIR)"' -MMD -MP $(shell $(PKG_CONFIG) --cflags $(PKGS)) $(CPPFLAGS)
FUZZ_LIB_OBJS = $(filter-out $(FUZZ_B)/main.o,$(SRCS:src/%.c=$(FUZZ_B)/%.o))

$(FUZZ_B)/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_B)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Isrc -o $@ $< tests/fuzz/fuzz_common.c $(FUZZ_LIB_OBJS) $(LIBS)

# the objects are kept between runs (make would delete them as intermediates of the harnesses)
.SECONDARY: $(FUZZ_LIB_OBJS)

fuzz: $(FUZZERS:%=$(FUZZ_B)/fuzz_%)

fuzz-smoke: fuzz
	sh tests/fuzz/smoke.sh $(FUZZ_B) $(FUZZ_SECONDS)

lint:
	@if command -v mandoc >/dev/null 2>&1; then \
	  mandoc -Tlint -Wwarning man/*.[1-9] && echo "lint: man pages clean"; \
	else echo "lint: mandoc not installed, man pages not linted"; fi

install: gpuenv
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DATADIR) \
	  $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	$(INSTALL) -m 755 gpuenv $(DESTDIR)$(BINDIR)/gpuenv
	$(INSTALL) -m 644 man/gpuenv.1 $(DESTDIR)$(MANDIR)/man1/gpuenv.1
	$(INSTALL) -m 644 man/gpuenv-matrix.5 $(DESTDIR)$(MANDIR)/man5/gpuenv-matrix.5
	cd data && find . -type d -exec $(INSTALL) -d '$(DESTDIR)$(DATADIR)/{}' \; \
	  && find . -type f -exec $(INSTALL) -m 644 '{}' '$(DESTDIR)$(DATADIR)/{}' \;
	$(INSTALL) -m 644 completions/gpuenv.bash $(DESTDIR)$(BASHCOMPDIR)/gpuenv
	$(INSTALL) -m 644 completions/_gpuenv $(DESTDIR)$(ZSHCOMPDIR)/_gpuenv
	$(INSTALL) -m 644 completions/gpuenv.fish $(DESTDIR)$(FISHCOMPDIR)/gpuenv.fish

# The exact mirror of install: every file it wrote, then the data folders it made, deepest first and
# only when nothing else is in them (DATADIR may be a folder that holds other things).
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/gpuenv $(DESTDIR)$(MANDIR)/man1/gpuenv.1 \
	  $(DESTDIR)$(MANDIR)/man5/gpuenv-matrix.5 \
	  $(DESTDIR)$(BASHCOMPDIR)/gpuenv $(DESTDIR)$(ZSHCOMPDIR)/_gpuenv \
	  $(DESTDIR)$(FISHCOMPDIR)/gpuenv.fish
	cd data && find . -type f -exec rm -f '$(DESTDIR)$(DATADIR)/{}' \; \
	  && find . -depth -type d -exec sh -c 'd="$${1%/.}"; test ! -d "$$d" || rmdir --ignore-fail-on-non-empty "$$d"' _ '$(DESTDIR)$(DATADIR)/{}' \;

deps:
	@missing=""; for p in $(DEB_BUILD) $(DEB_TEST); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all installed"; exit 0; fi; \
	sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	echo "deps: installing$$missing"; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing

clean:
	rm -rf build gpuenv

-include $(OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(wildcard $(FUZZ_B)/*.d)
