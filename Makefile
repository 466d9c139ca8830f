# netmon - one non-recursive GNU make.
#   make            build nm-capture (and the other programs as they exist)
#   make test       build and run every test (prints "N passed, N failed")
#   make bench      benchmarks side by side with peers (see tests/bench/)
#   make fuzz       build libFuzzer harnesses with clang (tests/fuzz/)
#   make install    PREFIX=/usr/local DESTDIR=
#   SANITIZE=1      ASan+UBSan build (in build-asan/);  SANITIZE=thread: TSan
#   V=1             show full commands

VERSION  := 0.1.0
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
V        ?= 0

ifeq ($(V),1)
Q :=
else
Q := @
endif

ifeq ($(SANITIZE),1)
BUILD    := build-asan
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
else ifeq ($(SANITIZE),thread)
BUILD    := build-tsan
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
else
BUILD    := build
SANFLAGS :=
endif

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wmissing-declarations -Wold-style-definition -Wpointer-arith -Wcast-qual \
        -Wcast-align -Wwrite-strings -Wundef -Wvla -Wformat=2 -Wimplicit-fallthrough \
        -Wconversion -Wsign-conversion -Wdouble-promotion -Wnull-dereference
GCC_WARN := -Wformat-signedness -Wlogical-op -Wduplicated-cond -Wduplicated-branches \
            -Wrestrict -Walloc-zero -Wjump-misses-init
ifneq ($(shell $(CC) --version 2>/dev/null | grep -c -i clang),0)
GCC_WARN :=
endif

OPT      ?= -O2 -g
CFLAGS   ?=
CPPFLAGS += -D_DEFAULT_SOURCE -DNM_VERSION=\"$(VERSION)\"
ifeq ($(SANITIZE),)
CPPFLAGS += -D_FORTIFY_SOURCE=2
endif
ALLCFLAGS = -std=c11 $(OPT) $(WARN) $(GCC_WARN) -Werror -fstack-protector-strong \
            $(SANFLAGS) $(CFLAGS)
LDLIBS   += -lpcap -lsqlite3 -lplplot -lpthread -lm
LDFLAGS  += $(SANFLAGS)

# --- sources ---------------------------------------------------------------
# Every .c file in these folders goes into libnetmon.a, except the programs'
# main files.  New modules need no Makefile change.
# report/plot*.c (PLplot) are in the library too: nm-capture draws the
# report's graphs when it ends, so every program links -lplplot.
MAINS     := capture/main.c report/live_main.c report/report_main.c
LIB_SRCS  := $(filter-out $(MAINS), \
               $(wildcard capture/decode/*.c analyze/*.c schema/*.c capture/*.c report/*.c))
SQL_SRCS  := $(wildcard schema/*.sql)
LIB_OBJS  := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS)) \
             $(patsubst schema/%.sql,$(BUILD)/obj/gen/%_sql.o,$(SQL_SRCS))
LIB       := $(BUILD)/libnetmon.a

PROGS := $(BUILD)/nm-capture
ifneq ($(wildcard report/live_main.c),)
PROGS += $(BUILD)/nm-live
endif
ifneq ($(wildcard report/report_main.c),)
PROGS += $(BUILD)/nm-report
endif

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TOOL_SRCS  := $(wildcard tests/tools/*.c)
TOOL_BINS  := $(patsubst tests/tools/%.c,$(BUILD)/tests/%,$(TOOL_SRCS))
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
REPLAY_BINS := $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/tests/replay_%,$(FUZZ_SRCS))

# Debian packages: build (libpcap, SQLite, PLplot, ncurses) and test tools.
BUILD_DEPS := build-essential pkg-config libpcap-dev libsqlite3-dev libplplot-dev \
              plplot-driver-cairo libncurses-dev
TEST_DEPS  := sqlite3 tshark tcpdump iproute2 clang libclang-rt-14-dev python3 time tmux \
              ethtool dnsmasq curl dnsutils libcap2-bin iputils-ping
BENCH_DEPS := argus-server tcpreplay time

.PHONY: all test check unit bench fuzz install uninstall clean deps demo
# Keep test objects: without this make deletes them as intermediates and
# rebuilds them every time.
.SECONDARY:

all: $(PROGS)
	$(Q)for p in $(PROGS); do ln -sf "$$p" "$$(basename $$p)"; done

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(ALLCFLAGS) -MMD -MP -c $< -o $@

# schema/schema.sql is compiled in as a C string, so the file users read is
# exactly the SQL the program runs.
# Migrations (schema/v2.sql, ...) likewise, as nm_v2_sql etc.
$(BUILD)/gen/%_sql.c: schema/%.sql
	@mkdir -p $(dir $@)
	$(Q)awk -v name="nm_$*_sql" 'BEGIN { print "extern const char " name "[];"; print "const char " name "[] =" } \
	     { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); print "\"" $$0 "\\n\"" } \
	     END { print ";" }' $< > $@
$(BUILD)/obj/gen/%_sql.o: $(BUILD)/gen/%_sql.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) -std=c11 $(OPT) $(SANFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@[ "$(V)" = 1 ] || echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/nm-capture: $(BUILD)/obj/capture/main.o $(LIB)
	@[ "$(V)" = 1 ] || echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/nm-report: $(BUILD)/obj/report/report_main.o $(LIB)
	@[ "$(V)" = 1 ] || echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/nm-live: $(BUILD)/obj/report/live_main.o $(LIB)
	@[ "$(V)" = 1 ] || echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lncursesw -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Test tools (decode_stats, latency_dump): the oracle and lab tests run them.
$(BUILD)/tests/%: $(BUILD)/obj/tests/tools/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Fuzz harness replayed over its saved corpus with a plain main() (any compiler).
$(BUILD)/tests/replay_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/obj/tests/fuzz/replay_main.o $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

unit: $(UNIT_BINS) $(REPLAY_BINS) $(TOOL_BINS)

test: all unit
	$(Q)BUILD=$(BUILD) sh tests/run-tests.sh

# Installs the missing Debian packages (needs root; runs apt-get update first).
deps:
	$(Q)missing=""; for p in $(BUILD_DEPS) $(TEST_DEPS) $(NM_EXTRA_DEPS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing \
	    >/dev/null || exit 1; fi

# The quick start: read a sample capture, print the final statistics.
DEMO_PCAP ?= sample-pcaps/mixed-lab.pcap
demo: all
	@mkdir -p out
	./nm-capture -r $(DEMO_PCAP) -d out/netmon.db -l out/network_events.log
	@echo "database: out/netmon.db   event log: out/network_events.log"

# Everything: the normal build's tests, then again under ASan+UBSan, and a
# clang build of everything (-Werror: it must be clean under both compilers).
check: test
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 test
	$(Q)if command -v clang >/dev/null; then \
	  $(MAKE) --no-print-directory CC=clang BUILD=build-clang all unit >/dev/null && \
	  echo "clang build: clean"; fi

bench: all
	$(Q)BUILD=$(BUILD) sh tests/bench/run-bench.sh

# libFuzzer builds: clang only.  Run e.g. build-fuzz/fuzz_decode tests/fuzz/corpus/decode
FUZZ_BUILD := build-fuzz
fuzz:
	@mkdir -p $(FUZZ_BUILD)
	$(Q)for f in $(FUZZ_SRCS); do n=$$(basename $$f .c); \
	  clang -std=c11 -g -O1 -D_DEFAULT_SOURCE -fsanitize=fuzzer,address,undefined \
	    $$f $(filter-out %/main.c,$(filter capture/decode/%.c analyze/%.c capture/pcapfile.c capture/source.c,$(LIB_SRCS))) \
	    -o $(FUZZ_BUILD)/$$n $(LDLIBS) || exit 1; echo "  FUZZ    $(FUZZ_BUILD)/$$n"; done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 docs/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/ 2>/dev/null || true

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,nm-capture nm-live nm-report)

clean:
	rm -rf build build-asan build-tsan build-fuzz build-clang nm-capture nm-live nm-report

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
