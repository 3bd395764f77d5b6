# gridsync: one plain Makefile. `make deps` installs what is missing,
# `make` builds build/gridnode, `make test` runs every test, `make demo`
# plays the demo county.

DEB_PKGS = build-essential pkg-config libzmq3-dev libprotobuf-c-dev \
	protobuf-c-compiler liblmdb-dev lmdb-utils libsodium-dev libinih-dev \
	python3 python3-pytest python3-zmq
PKGS     = libprotobuf-c lmdb libsodium libzmq inih

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
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CFLAGS)
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS) 2>/dev/null) $(LDLIBS)
LDFLAGS_ALL = $(OPT) $(LDFLAGS)

LIB_SRC  = $(filter-out node/main.c,$(wildcard node/*.c))
LIB_OBJ  = $(LIB_SRC:node/%.c=$(B)/obj/%.o) $(B)/obj/gridsync.pb-c.o
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
PYTEST   = /usr/bin/python3 -m pytest -q -p no:cacheprovider

.PHONY: all deps test unit integration demo clean
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

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) integration

demo: deps
	$(MAKE) all
	GRIDNODE=$(CURDIR)/$(B)/gridnode bash deploy/demo.sh

clean:
	rm -rf build build-san
