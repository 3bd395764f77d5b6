# gridsync: one plain Makefile. `make deps` installs what is missing,
# `make` builds build/gridnode, `make test` runs every test (unit,
# integration with a short fault soak, a short run of each fuzz harness),
# `make demo` plays the demo county; `make soak` and `make fuzz` run longer.

DEB_PKGS = build-essential pkg-config libzmq3-dev libprotobuf-c-dev \
	protobuf-c-compiler liblmdb-dev lmdb-utils libsodium-dev libinih-dev \
	python3 python3-pytest python3-zmq clang libmicrohttpd-dev \
	libjansson-dev
PKGS     = libprotobuf-c lmdb libsodium libzmq inih jansson
# Compiled against, not linked: node/http.c opens it when a node serves
# HTTP (it brings GnuTLS along; most villages serve none).
PKGS_DL  = libmicrohttpd

B        = build
CC      ?= cc
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wcast-qual
OPT      = -O2 -g
ifeq ($(SAN),1)
OPT      = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
B        = build-san
endif
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) -Iinclude -I$(B)/gen \
	$(shell pkg-config --cflags $(PKGS) $(PKGS_DL) 2>/dev/null) $(CFLAGS)
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS) 2>/dev/null) $(LDLIBS)
LDFLAGS_ALL = $(OPT) $(LDFLAGS)

LIB_SRC  = $(filter-out node/main.c,$(wildcard node/*.c))
LIB_OBJ  = $(LIB_SRC:node/%.c=$(B)/obj/%.o) $(B)/obj/gridsync.pb-c.o \
	$(B)/obj/web_assets.o
WEB_FILES = $(sort $(wildcard web/*.html web/*.js web/*.css web/*.svg web/*.png))
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
PYTEST   = /usr/bin/python3 -m pytest -q -p no:cacheprovider

.PHONY: all deps browser-deps test unit integration demo install bench clean
all: $(B)/gridnode

deps:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: missing Debian packages:" $$missing; \
		echo "deps: running: apt-get update && apt-get install -y" $$missing; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	else echo "deps: all Debian packages present"; fi

$(B)/gen/gridsync.pb-c.c $(B)/gen/gridsync.pb-c.h: proto/gridsync.proto
	@mkdir -p $(B)/gen
	protoc-c --proto_path=proto --c_out=$(B)/gen proto/gridsync.proto

# Generated code is compiled without our strictest warnings; it is not ours.
$(B)/obj/gridsync.pb-c.o: $(B)/gen/gridsync.pb-c.c
	@mkdir -p $(B)/obj
	$(CC) $(CFLAGS_ALL) -w -c -o $@ $<

# The dashboard's files (web/) compiled into the binary: one byte array
# per file and a table ending with a NULL path (include/gs/assets.h).
define embed_web
	@mkdir -p $(dir $@)
	@{ echo '#include "gs/assets.h"'; i=0; for f in $(WEB_FILES); do \
	  echo "static const unsigned char a$$i[] = {"; \
	  od -An -v -tx1 "$$f" | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo "};"; i=$$((i+1)); done; \
	  echo 'const struct gs_asset gs_assets[] = {'; i=0; \
	  for f in $(WEB_FILES); do \
	  echo "{ \"/$${f#web/}\", a$$i, sizeof(a$$i) },"; i=$$((i+1)); done; \
	  echo '{ 0, 0, 0 } };'; } > $@
endef

$(B)/gen/web_assets.c: $(WEB_FILES) Makefile
	$(embed_web)

$(B)/obj/web_assets.o: $(B)/gen/web_assets.c include/gs/assets.h
	@mkdir -p $(B)/obj
	$(CC) $(CFLAGS_ALL) -w -c -o $@ $<

$(B)/obj/%.o: node/%.c $(wildcard include/gs/*.h node/*.h) $(B)/gen/gridsync.pb-c.h
	@mkdir -p $(B)/obj
	$(CC) $(CFLAGS_ALL) $(WARN) -c -o $@ $<

$(B)/libgs.a: $(LIB_OBJ)
	ar rcs $@ $^

$(B)/gridnode: $(B)/obj/main.o $(B)/libgs.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

$(B)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(B)/libgs.a
	@mkdir -p $(B)/tests
	$(CC) $(CFLAGS_ALL) $(WARN) -Itests/unit -o $@ $< $(B)/libgs.a $(LDLIBS_ALL)

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

integration: $(B)/gridnode
	GRIDNODE=$(CURDIR)/$(B)/gridnode $(PYTEST) tests/integration

# The browser test's needs: Debian's Chromium and a CJK font, and
# playwright-core from npm (tests/browser/package-lock.json). Where they
# cannot be had, the browser test skips and says why; nothing else does.
BROWSER_PKGS = chromium fonts-noto-cjk
browser-deps:
	@missing=$$(for p in $(BROWSER_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "browser-deps: installing" $$missing; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing || \
		{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; } || \
		echo "browser-deps: could not install $$missing: the browser test will skip"; \
	fi
	@if [ ! -d tests/browser/node_modules/playwright-core ]; then \
		if command -v npm >/dev/null; then \
			(cd tests/browser && npm ci --no-audit --no-fund) || \
			echo "browser-deps: npm ci failed: the browser test will skip"; \
		else echo "browser-deps: no npm: the browser test will skip"; fi; \
	fi

test: deps
	$(MAKE) all
	$(MAKE) browser-deps
	$(MAKE) unit
	$(MAKE) integration
	$(MAKE) fuzz-smoke

# ---- the fault soak: tests/soak/soak.py (bounded: SOAK_SECONDS + 120 s);
# a 20 s version runs in `make test` (tests/integration/test_soak.py) ----
SOAK_SECONDS ?= 300
.PHONY: soak
soak: deps
	$(MAKE) all
	/usr/bin/python3 tests/soak/soak.py --gridnode $(B)/gridnode \
	    --seconds $(SOAK_SECONDS) --strict-scope

demo: deps
	$(MAKE) all
	GRIDNODE=$(CURDIR)/$(B)/gridnode bash deploy/demo.sh

# ---- fuzzing: libFuzzer harnesses in tests/fuzz (see its README.md) ----
# The library is built again with clang into build-fuzz/, instrumented for
# coverage and with ASan + UBSan; each harness links libFuzzer's main.
# `make fuzz FUZZ_SECONDS=600` fuzzes every harness that long from a copy of
# its seed corpus (build-fuzz/corpus-NAME, kept between runs); `make
# fuzz-smoke` runs each for FUZZ_SMOKE_SECONDS from the seeds alone and
# fails on any finding.
FZ                 = build-fuzz
FUZZ_CC           ?= clang
FUZZ_SECONDS      ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_NAMES         = envelope apply sync config cli http
FUZZ_SAN           = -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS        = -std=c11 -D_GNU_SOURCE $(FUZZ_SAN) -Iinclude -I$(FZ)/gen \
	$(shell pkg-config --cflags $(PKGS) $(PKGS_DL) 2>/dev/null)
FUZZ_LIB_OBJ       = $(LIB_SRC:node/%.c=$(FZ)/obj/%.o) $(FZ)/obj/gridsync.pb-c.o \
	$(FZ)/obj/web_assets.o
FUZZ_BIN           = $(FUZZ_NAMES:%=$(FZ)/fuzz_%)
FUZZ_HDR           = $(wildcard include/gs/*.h node/*.h tests/fuzz/*.h)

.PHONY: fuzz fuzz-smoke
$(FZ)/gen/gridsync.pb-c.c $(FZ)/gen/gridsync.pb-c.h: proto/gridsync.proto
	@mkdir -p $(FZ)/gen
	protoc-c --proto_path=proto --c_out=$(FZ)/gen proto/gridsync.proto

$(FZ)/obj/gridsync.pb-c.o: $(FZ)/gen/gridsync.pb-c.c
	@mkdir -p $(FZ)/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -w -c -o $@ $<

$(FZ)/gen/web_assets.c: $(WEB_FILES) Makefile
	$(embed_web)

$(FZ)/obj/web_assets.o: $(FZ)/gen/web_assets.c include/gs/assets.h
	@mkdir -p $(FZ)/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) -w -c -o $@ $<

$(FZ)/obj/%.o: node/%.c $(wildcard include/gs/*.h node/*.h) $(FZ)/gen/gridsync.pb-c.h
	@mkdir -p $(FZ)/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(WARN) -c -o $@ $<

$(FZ)/libgs.a: $(FUZZ_LIB_OBJ)
	ar rcs $@ $^

$(FZ)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_HDR) $(FZ)/libgs.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(WARN) -Itests/fuzz -o $@ \
	    $< $(FZ)/libgs.a $(LDLIBS_ALL)

# Writes the seed corpora: build-fuzz/make_corpus tests/fuzz/corpus
$(FZ)/make_corpus: tests/fuzz/make_corpus.c $(FUZZ_HDR) $(FZ)/libgs.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(WARN) -Itests/fuzz -o $@ $< $(FZ)/libgs.a \
	    $(LDLIBS_ALL)

fuzz: $(FUZZ_BIN)
	@fail=0; for n in $(FUZZ_NAMES); do \
		sh tests/fuzz/run.sh $$n $(FUZZ_SECONDS) long || fail=1; done; \
	exit $$fail

fuzz-smoke: $(FUZZ_BIN)
	@fail=0; for n in $(FUZZ_NAMES); do \
		sh tests/fuzz/run.sh $$n $(FUZZ_SMOKE_SECONDS) smoke || fail=1; done; \
	exit $$fail

# ---- benchmarks (issue 7): not part of `make test`; BENCH.md is the result ----
BENCH_SRC = $(wildcard tests/bench/*.c)
BENCH_BIN = $(BENCH_SRC:tests/bench/%.c=$(B)/bench/%)

$(B)/bench/%: tests/bench/%.c $(wildcard tests/bench/*.h) $(B)/libgs.a
	@mkdir -p $(B)/bench
	$(CC) $(CFLAGS_ALL) $(WARN) -Itests/bench -o $@ $< $(B)/libgs.a \
	    $(LDLIBS_ALL) -lpthread

bench: deps
	$(MAKE) all $(BENCH_BIN)
	/usr/bin/python3 tests/bench/bench.py --gridnode $(CURDIR)/$(B)/gridnode \
	    --bin $(CURDIR)/$(B)/bench --out BENCH.md

# Installs the binary and the systemd unit (README.md, "Installing a county").
PREFIX  ?= /usr/local
DESTDIR ?=
install: all
	install -D -m 0755 $(B)/gridnode $(DESTDIR)$(PREFIX)/bin/gridnode
	install -D -m 0644 deploy/systemd/gridnode@.service \
	    $(DESTDIR)/etc/systemd/system/gridnode@.service

clean:
	rm -rf build build-san build-fuzz
