# respd build.  `make` builds ./respd; `make run` starts it in the foreground;
# `make test` installs what the tests need (when missing) and runs them all.

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
OPT     ?= -O2
CFLAGS  ?=
WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
BASEFLAGS := -std=gnu11 $(OPT) -g $(WARN) -Iinclude -D_GNU_SOURCE -MMD -MP
LDLIBS  := -lm -pthread
BUILD   ?= build

SRC     := $(wildcard src/*.c)
OBJ     := $(SRC:src/%.c=$(BUILD)/obj/%.o)
LIBOBJ  := $(filter-out $(BUILD)/obj/main.o,$(OBJ))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
ITEST_SRC := $(wildcard tests/integration/test_*.c)
ITEST_BIN := $(ITEST_SRC:tests/integration/%.c=$(BUILD)/itests/%)
ITEST_LIB := tests/integration/harness.c

.PHONY: all run test unit integration deps asan bench install clean check-format

all: respd

respd: $(BUILD)/respd
	cp $< $@

$(BUILD)/respd: $(OBJ)
	$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/obj/%.o: src/%.c | $(BUILD)/obj
	$(CC) $(BASEFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj $(BUILD)/tests $(BUILD)/itests:
	mkdir -p $@

$(BUILD)/tests/%: tests/unit/%.c $(LIBOBJ) | $(BUILD)/tests
	$(CC) $(BASEFLAGS) $(CFLAGS) -Wno-shadow -o $@ $< $(LIBOBJ) $(LDFLAGS) -lcmocka $(LDLIBS)

$(BUILD)/itests/%: tests/integration/%.c $(ITEST_LIB) tests/integration/harness.h | $(BUILD)/itests
	$(CC) $(BASEFLAGS) $(CFLAGS) -Wno-shadow -Itests/integration -o $@ $< $(ITEST_LIB) $(LDFLAGS) -lcmocka $(LDLIBS)

run: respd
	./respd --port 6379 --bind 127.0.0.1

# The one command a newcomer runs: dependencies first, then every test.
test: deps
	$(MAKE) unit integration

deps:
	@sh tests/install-deps.sh

# Every test binary runs even after one fails; the target fails at the end.
unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do echo "== $$t"; $$t || fail=1; done; exit $$fail

integration: $(BUILD)/respd $(ITEST_BIN)
	@fail=0; for t in $(ITEST_BIN); do echo "== $$t"; \
	    RESPD_BIN=$(abspath $(BUILD)/respd) $$t || fail=1; done; exit $$fail

# The whole suite again with AddressSanitizer and UBSan, in its own build dir.
asan: deps
	$(MAKE) BUILD=build-asan OPT=-O1 \
	    CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	    LDFLAGS="-fsanitize=address,undefined" unit integration

bench: respd
	sh bench/run.sh

install: respd
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/etc/respd \
	    $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 755 respd $(DESTDIR)$(PREFIX)/bin/respd
	install -m 644 etc/respd.conf $(DESTDIR)$(PREFIX)/etc/respd/respd.conf
	install -m 644 etc/respd.service $(DESTDIR)$(PREFIX)/lib/systemd/system/respd.service

clean:
	rm -rf build build-asan respd

-include $(OBJ:.o=.d)
