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

# The integration tests with the server under valgrind memcheck, in its own
# build dir and without the slab allocator (every object its own block, so
# memcheck sees each one). tests/integration/harness.c runs $(VALGRIND) before
# respd, allows longer timeouts, and fails a test binary whose server valgrind
# reported an invalid access or a definite or indirect leak for. Tests that
# measure latency, throughput or memory skip themselves under valgrind.
VG_BUILD ?= build-valgrind
VALGRIND ?= valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=99 --child-silent-after-fork=yes
.PHONY: valgrind
valgrind: deps
	RESPD_WRAPPER="$(VALGRIND)" $(MAKE) BUILD=$(VG_BUILD) OPT=-O1 CFLAGS=-DRESPD_NO_SLAB \
	    integration

# libFuzzer targets (tests/fuzz/), built with clang into their own dir: the
# server's objects (all of src/ but main.c) with coverage instrumentation and
# ASan/UBSan, linked with libFuzzer's main. `make fuzz-smoke` runs each for
# FUZZ_SECONDS on a copy of its seed corpus and fails if any finds a crash.
FUZZ_CC ?= clang
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := resp aof exec
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 -O1 -g $(WARN) -Iinclude -Itests/fuzz -D_GNU_SOURCE -MMD -MP \
    $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_OBJ := $(filter-out $(FUZZ_BUILD)/obj/main.o,$(SRC:src/%.c=$(FUZZ_BUILD)/obj/%.o))
FUZZ_BIN := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_SRC := tests/fuzz/fuzz_env.c $(FUZZ_TARGETS:%=tests/fuzz/fuzz_%.c)

.PHONY: fuzz fuzz-smoke

fuzz: deps
	$(MAKE) $(FUZZ_BIN)

$(FUZZ_BUILD)/obj $(FUZZ_BUILD)/fuzz:
	mkdir -p $@

$(FUZZ_BUILD)/obj/%.o: src/%.c | $(FUZZ_BUILD)/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

# The harness itself gets the sanitizers but no coverage instrumentation: its
# checks would otherwise count as new behaviour of the server.
$(FUZZ_BUILD)/fuzz/%.o: tests/fuzz/%.c | $(FUZZ_BUILD)/fuzz
	$(FUZZ_CC) $(filter-out -fsanitize=fuzzer-no-link,$(FUZZ_CFLAGS)) -DFUZZ_ENTRY -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/fuzz/fuzz_%.o $(FUZZ_BUILD)/fuzz/fuzz_env.o $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

-include $(FUZZ_OBJ:.o=.d) $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/fuzz/%.d)
# Kept between runs (make would delete them as intermediate files).
.SECONDARY: $(FUZZ_OBJ) $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/fuzz/%.o)

fuzz-smoke: fuzz
	@fail=0; for t in $(FUZZ_TARGETS); do \
	    work=$(FUZZ_BUILD)/smoke/$$t; rm -rf $$work; mkdir -p $$work $(FUZZ_BUILD)/artifacts; \
	    cp tests/fuzz/corpus/$$t/* $$work/; \
	    dict=; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
	    echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	    $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=2048 \
	        -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t- $$dict $$work \
	        2>$(FUZZ_BUILD)/smoke/$$t.log || { fail=1; tail -n 60 $(FUZZ_BUILD)/smoke/$$t.log; }; \
	    grep -E '^(stat::number_of_executed_units|cov:|#[0-9]+.*DONE)' $(FUZZ_BUILD)/smoke/$$t.log \
	        | tail -n 3; \
	done; exit $$fail

# The unit test that replays the inputs the fuzzers once crashed on links the
# fuzz entry points (without libFuzzer), so it runs under gcc and `make asan`.
$(BUILD)/tests/test_fuzz_regress: tests/unit/test_fuzz_regress.c $(FUZZ_SRC) tests/fuzz/fuzz.h \
    $(LIBOBJ) | $(BUILD)/tests
	$(CC) $(BASEFLAGS) $(CFLAGS) -Wno-shadow -Itests/fuzz \
	    -DFUZZ_REGRESS_DIR='"$(abspath tests/fuzz/regress)"' -o $@ $< $(FUZZ_SRC) $(LIBOBJ) \
	    $(LDFLAGS) -lcmocka $(LDLIBS)

bench: respd
	sh bench/run.sh

# The units name /usr/local paths; they are rewritten for another PREFIX.
install: $(BUILD)/respd
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/etc/respd \
	    $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 755 $(BUILD)/respd $(DESTDIR)$(PREFIX)/bin/respd
	install -m 644 etc/respd.conf $(DESTDIR)$(PREFIX)/etc/respd/respd.conf
	for u in respd.service respd.socket; do \
	    sed 's|/usr/local/|$(PREFIX)/|g' etc/$$u > $(DESTDIR)$(PREFIX)/lib/systemd/system/$$u && \
	    chmod 644 $(DESTDIR)$(PREFIX)/lib/systemd/system/$$u || exit 1; done

clean:
	rm -rf build build-asan respd

-include $(OBJ:.o=.d)
