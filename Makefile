# bpg: the Batch Processing Gateway in C. One non-recursive Makefile.
#   make            lib/libbpg.a, fcgi/bpg-fcgi, monitor/bpg-monitor and cli/bpg (the client)
#   make test       deps, build, unit + integration tests on a private local stack
#   make run        deps, build, the local stack under run/ (prints a working curl)
#   make stop       stops the stack make run started
#   make asan       ASan+UBSan build of the library and the unit tests, run
#   make unit       only the unit tests
#   make layers     lib/ includes only from its own or lower layers (lib/LAYERS); no
#                   handler calls another handler (t/fronts)
#   make install    PREFIX=/usr/local DESTDIR=
#   make ui         the web UI's static files, content-hashed, in build/ui-dist (python3, offline)

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
SAN     ?=

PKGS      := fcgi libcjson mysqlclient libcurl openssl yaml-0.1
# $(call pkgconfig,NAME,ARGS): pkg-config ARGS, run once, when a recipe first needs it (so
# after `make deps` has installed the -dev packages); its errors show, and a failure stops make.
pkgconfig = $(if $(filter undefined,$(origin PC_$1)),$(eval PC_$1 := $$(shell pkg-config $2))$(if \
            $(filter 0,$(.SHELLSTATUS)),,$(error pkg-config $2 failed (see above): make deps \
            installs the missing -dev packages)))$(PC_$1)
PKG_CFLAGS   = $(call pkgconfig,cflags,--cflags $(PKGS))
PKG_LIBS     = $(call pkgconfig,libs,--libs $(PKGS))
CHECK_CFLAGS = $(call pkgconfig,check_cflags,--cflags check)
CHECK_LIBS   = $(call pkgconfig,check_libs,--libs check)
# iniparser ships no .pc file
INI_CFLAGS := -I/usr/include/iniparser
INI_LIBS   := -liniparser

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Wcast-qual -Wpointer-arith -Wwrite-strings \
           -Wmissing-declarations
OPT     := -O2 -g
ifeq ($(SAN),1)
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
endif
CPPFLAGS += -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Ilib $(INI_CFLAGS) $(PKG_CFLAGS)
CFLAGS  += -std=c11 $(WARN) $(OPT) -MMD -MP
SAN_LDFLAGS := -fsanitize=address,undefined
LDFLAGS += $(if $(filter 1,$(SAN)),$(SAN_LDFLAGS))
LDLIBS   = $(INI_LIBS) $(PKG_LIBS) -lm -pthread

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
CLI_SRC := $(sort $(wildcard cli/*.c))
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
ifeq ($(SAN),1)
CLI_BIN := $(BUILD)/bpg
else
CLI_BIN := cli/bpg
endif
FCGI_SRC := $(sort $(wildcard fcgi/*.c))
FCGI_OBJ := $(FCGI_SRC:%.c=$(BUILD)/%.o) $(BUILD)/fcgi/openapi_doc.o
UNIT_SRC := $(sort $(wildcard t/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:t/unit/%.c=$(BUILD)/t/%)
# t/unit/testkit.c: the helpers every unit test links (its suite runner, the CR pipeline).
TESTKIT_OBJ := $(BUILD)/t/unit/testkit.o

FUZZ_SRC := $(sort $(wildcard t/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:t/fuzz/%.c=build/fuzz/%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/%.o)
FUZZ_KIT_OBJ := build/fuzz/t/fuzz/fuzzkit.o
FUZZ_CFLAGS := -std=c11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
               -MMD -MP
FUZZ_SECONDS ?= 600
# the fuzz build of the library is kept between targets (not an intermediate to delete)
.SECONDARY: $(FUZZ_LIB_OBJ) $(FUZZ_KIT_OBJ)
FUZZ_SMOKE_RUNS ?= 20000

.PHONY: all test test-k8s unit layers limits run stop asan clean install deps fuzz fuzz-bin fuzz-smoke bench ui
.DEFAULT_GOAL := all

all: $(LIB_A) $(FCGI_BIN) $(if $(MON_SRC),$(MON_BIN)) $(CLI_BIN) ui

# The web UI (README "Web UI"): no network, no npm; rebuilt when any source file changes.
UI_SRC  := $(shell find ui/src -type f 2>/dev/null | sort)
UI_DIST := build/ui-dist
ui: $(UI_DIST)/index.html
$(UI_DIST)/index.html: $(UI_SRC) ui/build.py
	python3 ui/build.py ui/src $(UI_DIST)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

GIT_COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BUILD_TIME := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
$(BUILD)/fcgi/main.o $(BUILD)/fcgi/cli.o: CPPFLAGS += -DBPG_SQL_DIR_DEFAULT='"$(PREFIX)/share/bpg/sql"'
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

$(CLI_BIN): $(CLI_OBJ) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB_A) $(LDLIBS)

$(BUILD)/cli/%.o: CPPFLAGS += -Icli

# t/unit/test_cli.c tests the client's pure helpers: it links cli/ too (all but its main).
CLI_LIB_OBJ := $(filter-out $(BUILD)/cli/main.o,$(CLI_OBJ))
$(BUILD)/t/unit/test_cli.o: CPPFLAGS += -Icli
$(BUILD)/t/test_cli: $(BUILD)/t/unit/test_cli.o $(TESTKIT_OBJ) $(CLI_LIB_OBJ) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(TESTKIT_OBJ) $(CLI_LIB_OBJ) $(LIB_A) $(LDLIBS) $(CHECK_LIBS)

build/bench/hello: bench/hello.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(PKG_LIBS)

build/bench/dbhello: bench/dbhello.c lib/bpg_subdb.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(PKG_LIBS)

$(BUILD)/t/%: $(BUILD)/t/unit/%.o $(TESTKIT_OBJ) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(TESTKIT_OBJ) $(LIB_A) $(LDLIBS) $(CHECK_LIBS)

$(BUILD)/t/unit/%.o: t/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CHECK_CFLAGS) -DBPG_SRCDIR='"$(CURDIR)"' $(CFLAGS) -c -o $@ $<

unit-bin: $(UNIT_BIN)

# Runs every unit test binary; t/unit-run prints the totals.
unit: $(UNIT_BIN)
	@t/unit-run $(UNIT_BIN)

# Every lib/ module includes only from its own or a lower layer of lib/LAYERS (t/layers);
# no handler in fcgi/ calls a function of another handler (t/fronts).
layers:
	@t/layers lib
	@t/fronts fcgi

# No C file over 1,000 lines (monitor/main.c 300), no function over 80 lines or CCN 25 (t/limits,
# lizard pinned by t/deps pytools).
limits:
	@PYTHONPATH=$$(t/deps pytools) t/limits

# libFuzzer targets (clang): t/fuzz/fuzz_NAME.c with seeds in t/fuzz/NAME/.
# -MMD: a changed header (a struct grown) rebuilds the fuzz objects too, never a stale mix.
build/fuzz/%.o: %.c
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

# (its .d goes to build/fuzz/deps/: build/fuzz/fuzz_* are the targets alone)
# t/fuzz/fuzzkit.c: the targets' shared set-up (their configuration), linked into each.
build/fuzz/fuzz_%: t/fuzz/fuzz_%.c $(FUZZ_KIT_OBJ) $(FUZZ_LIB_OBJ)
	@mkdir -p $(@D) build/fuzz/deps
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -MF build/fuzz/deps/$(@F).d -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_KIT_OBJ) $(FUZZ_LIB_OBJ) $(LDLIBS)

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

# make proofs: the fault matrix (its ci profile) and a short soak of the ASan+UBSan build, each on
# a fresh stack (bench/proofs; .ci/run runs it); last line "N passed, N failed".
.PHONY: proofs
proofs: deps all
	@bench/proofs

deps:
	@t/deps

test: deps
	@t/run-tests

# the second tier: the same gateway against a real kube-apiserver, kwok and the Spark operator (t/k8s)
test-k8s: deps
	@t/k8s/run-tests

run: deps all
	@BPG_MONITOR_LOOP=$${BPG_MONITOR_LOOP:-60} t/stack up run

stop:
	@t/stack down run

asan:
	@$(MAKE) --no-print-directory SAN=1 BUILD=build/asan unit

clean:
	rm -rf build lib/libbpg.a fcgi/bpg-fcgi monitor/bpg-monitor cli/bpg

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/bpg \
	    $(DESTDIR)$(PREFIX)/share/bpg/sql $(DESTDIR)$(PREFIX)/share/bpg/nginx \
	    $(DESTDIR)$(PREFIX)/share/bpg/etc $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(CLI_BIN) $(DESTDIR)$(PREFIX)/bin/bpg
	install -m 0644 cli/bpg.1 $(DESTDIR)$(PREFIX)/share/man/man1/bpg.1
	install -m 0755 $(FCGI_BIN) $(DESTDIR)$(PREFIX)/bin/bpg-fcgi
	$(if $(MON_SRC),install -m 0755 $(MON_BIN) $(DESTDIR)$(PREFIX)/bin/bpg-monitor)
	install -m 0644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/libbpg.a
	install -m 0644 lib/*.h $(DESTDIR)$(PREFIX)/include/bpg/
	install -m 0644 sql/*.sql $(DESTDIR)$(PREFIX)/share/bpg/sql/
	install -m 0644 nginx/* $(DESTDIR)$(PREFIX)/share/bpg/nginx/
	install -m 0644 etc/* $(DESTDIR)$(PREFIX)/share/bpg/etc/
	rm -rf $(DESTDIR)$(PREFIX)/share/bpg/ui
	install -d $(DESTDIR)$(PREFIX)/share/bpg/ui/assets
	install -m 0644 $(UI_DIST)/index.html $(DESTDIR)$(PREFIX)/share/bpg/ui/
	install -m 0644 $(UI_DIST)/assets/* $(DESTDIR)$(PREFIX)/share/bpg/ui/assets/

# --- t/s3: s3tool, a CLI over lib/bpg_s3 that t/s3/test_s3client.py drives against moto ---
S3TOOL_BIN := $(BUILD)/t/s3tool
unit-bin: $(S3TOOL_BIN)
$(S3TOOL_BIN): $(BUILD)/t/s3/s3tool.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)
-include $(BUILD)/t/s3/s3tool.d
# fakes3: a second S3 (rclone's gofakes3, pinned by go.sum) that checks SigV4 as AWS does
FAKES3_BIN := $(BUILD)/t/fakes3
$(FAKES3_BIN): t/s3/fakes3/main.go t/s3/fakes3/go.mod t/s3/fakes3/go.sum
	@mkdir -p $(@D)
	cd t/s3/fakes3 && go build -mod=readonly -trimpath -o $(abspath $@) .
# --- end t/s3 ---

# t/integration/observe_tool.c: replays a SparkApplication through the observation writers
OBSTOOL_BIN := $(BUILD)/t/observe-tool
unit-bin: $(OBSTOOL_BIN)
$(OBSTOOL_BIN): $(BUILD)/t/integration/observe_tool.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)
-include $(BUILD)/t/integration/observe_tool.d

-include $(LIB_OBJ:.o=.d) $(FCGI_OBJ:.o=.d) $(MON_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_BIN:$(BUILD)/t/%=$(BUILD)/t/unit/%.d) $(TESTKIT_OBJ:.o=.d)
-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_KIT_OBJ:.o=.d) $(FUZZ_BIN:build/fuzz/%=build/fuzz/deps/%.d)
