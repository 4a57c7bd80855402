# bpg: the Batch Processing Gateway in C. One non-recursive Makefile.
#   make            lib/libbpg.a and fcgi/bpg-fcgi
#   make test       deps, build, unit + integration tests on a private local stack
#   make run        deps, build, the local stack under run/ (prints a working curl)
#   make stop       stops the stack make run started
#   make asan       ASan+UBSan build of the library and the unit tests, run
#   make unit       only the unit tests
#   make install    PREFIX=/usr/local DESTDIR=

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
SAN     ?=

PKGS      := fcgi libcjson mysqlclient libcurl openssl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)
# iniparser ships no .pc file
INI_CFLAGS := -I/usr/include/iniparser
INI_LIBS   := -liniparser

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla
OPT     := -O2 -g
ifeq ($(SAN),1)
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
endif
CPPFLAGS += -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Ilib $(INI_CFLAGS) $(PKG_CFLAGS)
CFLAGS  += -std=c11 $(WARN) $(OPT) -MMD -MP
SAN_LDFLAGS := -fsanitize=address,undefined
LDFLAGS += $(if $(filter 1,$(SAN)),$(SAN_LDFLAGS))
LDLIBS  := $(INI_LIBS) $(PKG_LIBS) -lm -pthread

LIB_SRC := $(sort $(wildcard lib/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
ifeq ($(SAN),1)
LIB_A   := $(BUILD)/libbpg.a
FCGI_BIN := $(BUILD)/bpg-fcgi
else
LIB_A   := lib/libbpg.a
FCGI_BIN := fcgi/bpg-fcgi
endif
MON_SRC := $(sort $(wildcard monitor/*.c))
MON_OBJ := $(MON_SRC:%.c=$(BUILD)/%.o)
ifeq ($(SAN),1)
MON_BIN := $(BUILD)/bpg-monitor
else
MON_BIN := monitor/bpg-monitor
endif
FCGI_SRC := $(sort $(wildcard fcgi/*.c))
FCGI_OBJ := $(FCGI_SRC:%.c=$(BUILD)/%.o) $(BUILD)/fcgi/openapi_doc.o
UNIT_SRC := $(sort $(wildcard t/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:t/unit/%.c=$(BUILD)/t/%)

FUZZ_SRC := $(sort $(wildcard t/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:t/fuzz/%.c=build/fuzz/%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/%.o)
FUZZ_CFLAGS := -std=c11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS ?= 600
# the fuzz build of the library is kept between targets (not an intermediate to delete)
.SECONDARY: $(FUZZ_LIB_OBJ)
FUZZ_SMOKE_RUNS ?= 20000

.PHONY: all test unit run stop asan clean install deps fuzz fuzz-bin fuzz-smoke bench
.DEFAULT_GOAL := all

all: $(LIB_A) $(FCGI_BIN) $(if $(MON_SRC),$(MON_BIN))

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

GIT_COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BUILD_TIME := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
$(BUILD)/fcgi/main.o: CPPFLAGS += -DBPG_SQL_DIR_DEFAULT='"$(PREFIX)/share/bpg/sql"'
$(BUILD)/fcgi/h_admin.o: CPPFLAGS += -DBPG_GIT_COMMIT='"$(GIT_COMMIT)"' -DBPG_BUILD_TIME='"$(BUILD_TIME)"'

# The OpenAPI document, fcgi/openapi.json, compiled in as a string.
$(BUILD)/fcgi/openapi_doc.c: fcgi/openapi.json
	@mkdir -p $(@D)
	{ echo '/* generated from fcgi/openapi.json by the Makefile */'; \
	  echo 'extern const char bpg_openapi_json[];'; echo 'const char bpg_openapi_json[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; echo ';'; } > $@

$(BUILD)/fcgi/openapi_doc.o: $(BUILD)/fcgi/openapi_doc.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-overlength-strings -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(FCGI_BIN): $(FCGI_OBJ) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $(FCGI_OBJ) $(LIB_A) $(LDLIBS)

$(MON_BIN): $(MON_OBJ) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $(MON_OBJ) $(LIB_A) $(LDLIBS)

build/bench/hello: bench/hello.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(PKG_LIBS)

build/bench/dbhello: bench/dbhello.c lib/bpg_subdb.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(PKG_LIBS)

$(BUILD)/t/%: $(BUILD)/t/unit/%.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS) $(CHECK_LIBS)

$(BUILD)/t/unit/%.o: t/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CHECK_CFLAGS) -DBPG_SRCDIR='"$(CURDIR)"' $(CFLAGS) -c -o $@ $<

unit-bin: $(UNIT_BIN)

# Runs every unit test binary; t/unit-run prints the totals.
unit: $(UNIT_BIN)
	@t/unit-run $(UNIT_BIN)

# libFuzzer targets (clang): t/fuzz/fuzz_NAME.c with seeds in t/fuzz/NAME/.
build/fuzz/%.o: %.c
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -c -o $@ $<

build/fuzz/fuzz_%: t/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJ) $(LDLIBS)

fuzz-bin: $(FUZZ_BIN)

# make fuzz: each target for FUZZ_SECONDS (default 600); findings land in build/fuzz/.
fuzz: $(FUZZ_BIN)
	@t/fuzz-run $(FUZZ_SECONDS) $(FUZZ_BIN)

# A short run of each target over its seeds, part of make test.
fuzz-smoke: $(FUZZ_BIN)
	@t/fuzz-run smoke $(FUZZ_BIN)

# make bench: every benchmark on a fresh local stack, one table (bench/README.md).
bench: deps all build/bench/hello build/bench/dbhello
	@bench/run

deps:
	@t/deps

test: deps
	@t/run-tests

run: deps all
	@t/stack up run

stop:
	@t/stack down run

asan:
	@$(MAKE) --no-print-directory SAN=1 BUILD=build/asan unit

clean:
	rm -rf build lib/libbpg.a fcgi/bpg-fcgi monitor/bpg-monitor

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/bpg \
	    $(DESTDIR)$(PREFIX)/share/bpg/sql $(DESTDIR)$(PREFIX)/share/bpg/nginx \
	    $(DESTDIR)$(PREFIX)/share/bpg/etc
	install -m 0755 $(FCGI_BIN) $(DESTDIR)$(PREFIX)/bin/bpg-fcgi
	$(if $(MON_SRC),install -m 0755 $(MON_BIN) $(DESTDIR)$(PREFIX)/bin/bpg-monitor)
	install -m 0644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/libbpg.a
	install -m 0644 lib/*.h $(DESTDIR)$(PREFIX)/include/bpg/
	install -m 0644 sql/*.sql $(DESTDIR)$(PREFIX)/share/bpg/sql/
	install -m 0644 nginx/* $(DESTDIR)$(PREFIX)/share/bpg/nginx/
	install -m 0644 etc/* $(DESTDIR)$(PREFIX)/share/bpg/etc/

# --- t/s3: s3tool, a CLI over lib/bpg_s3 that t/s3/test_s3client.py drives against moto ---
S3TOOL_BIN := $(BUILD)/t/s3tool
unit-bin: $(S3TOOL_BIN)
$(S3TOOL_BIN): $(BUILD)/t/s3/s3tool.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)
-include $(BUILD)/t/s3/s3tool.d
# --- end t/s3 ---

# t/integration/observe_tool.c: replays a SparkApplication through the observation writers
OBSTOOL_BIN := $(BUILD)/t/observe-tool
unit-bin: $(OBSTOOL_BIN)
$(OBSTOOL_BIN): $(BUILD)/t/integration/observe_tool.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)
-include $(BUILD)/t/integration/observe_tool.d

-include $(LIB_OBJ:.o=.d) $(FCGI_OBJ:.o=.d) $(MON_OBJ:.o=.d) $(UNIT_BIN:$(BUILD)/t/%=$(BUILD)/t/unit/%.d)
