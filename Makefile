# Builds ctrecord and ctquery, runs the tests and the benchmark.
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
PKG_CONFIG ?= pkg-config
PKGS    := libnetfilter_conntrack libmnl sqlite3 libxml-2.0 zlib
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes
CPPFLAGS += -D_GNU_SOURCE -Ilib -Ibuild $(shell $(PKG_CONFIG) --cflags $(PKGS))
LDLIBS  += $(shell $(PKG_CONFIG) --libs $(PKGS)) -pthread
# ctquery's own: start-up is most of a query's time (a selective query reads a
# few dozen pages), so each shared library it loads costs every run. No libxml2
# (with ICU; lib/ct_pretty.c loads it only for --pretty), no
# libnetfilter_conntrack (query/nfct_lazy.c loads it when labels or an
# attribute our formatters do not know need it).
# STATIC names the pkg-config modules linked into both programs from their
# Debian .a (libsqlite3-dev, zlib1g-dev). ctquery: libsqlite3.so is linked
# -z now, so loading it means ~1,600 symbol lookups, 40% of a `list -s` run's
# instructions; static SQLite and zlib take 0.6-0.8 ms off each run here.
# ctrecord: Debian's libsqlite3.so is position-independent code whose
# exported functions are called through the PLT even from inside SQLite;
# linked in, ctrecord takes 9% less CPU under the bench's storm (BENCHMARKS.md).
# The cost: a SQLite or zlib security update needs both rebuilt (a Debian
# package would say Built-Using). `make STATIC=` links them dynamically.
STATIC ?= sqlite3 zlib
STATIC_LDLIBS := -Wl,--as-needed
ifneq ($(strip $(STATIC)),)
STATIC_LDLIBS += -Wl,-Bstatic $(shell $(PKG_CONFIG) --libs $(STATIC)) -Wl,-Bdynamic
endif
# -ldl is empty in glibc >= 2.34; -lm for SQLite's math functions (ctquery
# loads libm when they are first called: query/libm_lazy.c).
dynamic_libs = $(if $(filter-out $(STATIC),$(1)),$(shell $(PKG_CONFIG) --libs $(filter-out $(STATIC),$(1))))
QRY_LDLIBS := $(STATIC_LDLIBS) $(call dynamic_libs,sqlite3 zlib) -ldl -pthread
REC_LDLIBS := $(STATIC_LDLIBS) $(call dynamic_libs,$(PKGS)) -lm -ldl -pthread

B := build
LIB_SRC  := $(wildcard lib/*.c)
REC_SRC  := $(wildcard recorder/*.c)
QRY_SRC  := $(wildcard query/*.c)
UNIT_SRC := $(wildcard tests/unit/t_*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o) $(B)/schema_sql.o
REC_OBJ  := $(REC_SRC:%.c=$(B)/%.o)
QRY_OBJ  := $(QRY_SRC:%.c=$(B)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)
# The libFuzzer targets (tests/fuzz; their sources below); make test builds
# each with the build's compiler to replay its corpus (t0060).
FUZZ_TARGETS := import_text import_save import_xml evblock options db
FUZZ_CHECK_BIN := $(FUZZ_TARGETS:%=$(B)/fuzzcheck/fuzz_%)

all: $(B)/ctrecord $(B)/ctquery $(B)/trafficgen $(B)/rawgen $(B)/peer $(B)/sandbox

$(B)/%.o: %.c $(wildcard lib/*.h recorder/*.h query/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The schema's SQL (schema/NAME.sql as ct_sql_NAME), embedded so one module owns it.
$(B)/schema_sql.c: $(wildcard schema/*.sql)
	@mkdir -p $(B)
	{ echo '/* Generated from the files in schema/: do not edit. */'; \
	  for f in $^; do \
	    echo "const char ct_sql_$$(basename $$f .sql | tr - _)[] ="; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $$f; \
	    echo ';'; \
	  done; } > $@
$(B)/schema_sql.o: $(B)/schema_sql.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/libct.a: $(LIB_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

$(B)/ctrecord: $(REC_OBJ) $(B)/libct.a
	$(CC) $(LDFLAGS) -o $@ $^ $(REC_LDLIBS)
$(B)/ctquery: $(QRY_OBJ) $(B)/libct.a
	$(CC) $(LDFLAGS) -o $@ $^ $(QRY_LDLIBS)
$(B)/trafficgen: tests/tools/trafficgen.c tests/tools/tool_sock.c tests/tools/tool_sock.h
	@mkdir -p $(B)
	$(CC) $(CFLAGS) -o $@ tests/tools/trafficgen.c tests/tools/tool_sock.c
$(B)/rawgen: tests/tools/rawgen.c
	@mkdir -p $(B)
	$(CC) $(CFLAGS) -o $@ $<
$(B)/peer: tests/tools/peer.c tests/tools/tool_sock.c tests/tools/tool_sock.h
	@mkdir -p $(B)
	$(CC) $(CFLAGS) -o $@ tests/tools/peer.c tests/tools/tool_sock.c
$(B)/sandbox: tests/tools/sandbox.c
	@mkdir -p $(B)
	$(CC) $(CFLAGS) -o $@ $<
# (no sanitizer in it: preloaded into a sanitized program, see t1130)
$(B)/clockshift.so: tests/tools/clockshift.c
	@mkdir -p $(B)
	$(CC) -O2 -Wall -shared -fPIC -o $@ $< -ldl
# (the same: its malloc hands on to the sanitizer's, see t3700)
$(B)/faultinject.so: tests/tools/faultinject.c
	@mkdir -p $(B)
	$(CC) -O2 -Wall -shared -fPIC -o $@ $< -ldl
$(B)/evdump: tests/tools/evdump.c $(B)/libct.a
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/unit/t_flowmap: tests/unit/t_flowmap.c $(wildcard tests/unit/*.h) $(B)/recorder/flowmap.o $(B)/libct.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit -Irecorder $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/recorder/flowmap.o $(B)/libct.a $(LDLIBS)
$(B)/unit/t_queue: tests/unit/t_queue.c $(wildcard tests/unit/*.h) $(B)/recorder/queue.o $(B)/libct.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit -Irecorder $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/recorder/queue.o $(B)/libct.a $(LDLIBS)
$(B)/unit/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(B)/libct.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libct.a $(LDLIBS)

test: all $(B)/evdump $(B)/clockshift.so $(B)/faultinject.so $(UNIT_BIN) $(FUZZ_CHECK_BIN)
	UNIT_TESTS="$(UNIT_BIN)" BIN=$(CURDIR)/$(B) tests/run.sh

run: deps all
	./$(B)/ctrecord --db flows.db

# Installs the Debian packages the build and the tests need (root).
deps:
	@sh tests/install-deps.sh

MANDIR      ?= $(PREFIX)/share/man
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d

install: $(B)/ctrecord $(B)/ctquery
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(B)/ctrecord $(DESTDIR)$(PREFIX)/sbin/ctrecord
	install -m 0755 $(B)/ctquery $(DESTDIR)$(PREFIX)/bin/ctquery
	install -m 0644 man/ctrecord.8 $(DESTDIR)$(MANDIR)/man8/ctrecord.8
	install -m 0644 man/ctquery.1 $(DESTDIR)$(MANDIR)/man1/ctquery.1
	sed 's|/usr/sbin/ctrecord|$(PREFIX)/sbin/ctrecord|' contrib/ctrecord.service \
		> $(DESTDIR)$(UNITDIR)/ctrecord.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ctrecord.service
	install -m 0644 contrib/ctrecord.sysusers $(DESTDIR)$(SYSUSERSDIR)/ctrecord.conf

# Removes what install put in place (the same variables); the recorded
# history (/var/lib/ctrecord) and the ctrecord user stay.
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/ctrecord $(DESTDIR)$(PREFIX)/bin/ctquery \
		$(DESTDIR)$(MANDIR)/man8/ctrecord.8 $(DESTDIR)$(MANDIR)/man1/ctquery.1 \
		$(DESTDIR)$(UNITDIR)/ctrecord.service $(DESTDIR)$(SYSUSERSDIR)/ctrecord.conf

# The whole suite under AddressSanitizer and UBSan, built apart in $(B)/asan.
asan:
	$(MAKE) B=$(B)/asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
		LDFLAGS="-fsanitize=address,undefined" test

# The unit tests under valgrind: no invalid access, no definite leak.
valgrind: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do \
		SEED=$(CURDIR)/../shared/seed valgrind -q --error-exitcode=1 --leak-check=full \
			--errors-for-leak-kinds=definite $$t || exit 1; \
	done

# libFuzzer targets for the log parsers and the readers' decoders (Debian's
# clang); FUZZ_TIME seconds each. FUZZ_SRC_x: what target x links besides its
# tests/fuzz/fuzz_x.c, one list for both builds of it: `make fuzz`'s, and the
# one `make test` runs its corpus with (t0060, tests/fuzz/corpus_main.c).
FUZZ_TIME ?= 60
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_SRC_import_text := lib/import_text.c lib/import_ktime.c lib/timeparse.c lib/import_ev.c lib/numparse.c \
	lib/ct_names.c lib/ct_event.c
FUZZ_SRC_import_save := lib/import_save.c lib/import_ev.c lib/numparse.c lib/ct_names.c lib/ct_event.c
# (the XML path filters conntrack's lines first, as the importer does)
FUZZ_SRC_import_xml := lib/import_xml.c lib/import_ev.c lib/numparse.c lib/ct_names.c lib/ct_event.c \
	lib/import_xml_lines.c lib/import_xml_docs.c lib/import_text.c lib/import_ktime.c lib/timeparse.c \
	lib/grow.c lib/log.c
# The readers' decoders: a stored event block and its records, and the
# option text ctquery parses (times, numbers, filters).
FUZZ_SRC_evblock := lib/evblock.c lib/evblock_read.c lib/evblock_bloom.c lib/ct_encode.c lib/ct_decode.c \
	lib/ct_event.c lib/grow.c tests/fuzz/log_count.c
FUZZ_SRC_options := lib/timeparse.c lib/numparse.c lib/filter.c lib/filter_match.c \
	lib/filter_text.c lib/evmask.c lib/ct_words.c lib/ct_names.c lib/ct_numfmt.c lib/ct_event.c \
	tests/fuzz/log_count.c
# ctquery's commands on an edited history: all the library and ctquery's
# code, its main() included by the target under another name.
FUZZ_SRC_db := $(filter-out lib/log.c,$(LIB_SRC)) $(B)/schema_sql.c $(filter-out query/main.c,$(QRY_SRC)) \
	tests/fuzz/log_count.c
$(B)/fuzz/fuzz_db $(B)/fuzzcheck/fuzz_db: query/main.c $(wildcard query/*.h)
.SECONDEXPANSION:
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_SRC_$$*) $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(CPPFLAGS) -o $@ $< $(FUZZ_SRC_$*) $(LDLIBS)
$(B)/fuzzcheck/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/corpus_main.c $$(FUZZ_SRC_$$*) $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/corpus_main.c $(FUZZ_SRC_$*) $(LDLIBS)

fuzz:
	sh tests/install-deps.sh fuzz
	$(MAKE) $(B)/ctrecord $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%)
	@mkdir -p $(FUZZ_TARGETS:%=$(B)/fuzz/corpus/%)
	$(B)/fuzz/fuzz_import_text -max_total_time=$(FUZZ_TIME) -max_len=4096 $(B)/fuzz/corpus/import_text tests/fuzz/corpus/text
	$(B)/fuzz/fuzz_import_save -max_total_time=$(FUZZ_TIME) -max_len=4096 $(B)/fuzz/corpus/import_save tests/fuzz/corpus/save
	$(B)/fuzz/fuzz_import_xml -max_total_time=$(FUZZ_TIME) -max_len=16384 $(B)/fuzz/corpus/import_xml tests/fuzz/corpus/xml
	$(B)/fuzz/fuzz_evblock -max_total_time=$(FUZZ_TIME) -max_len=65536 $(B)/fuzz/corpus/evblock tests/fuzz/corpus/evblock
	$(B)/fuzz/fuzz_options -max_total_time=$(FUZZ_TIME) -max_len=256 $(B)/fuzz/corpus/options tests/fuzz/corpus/options
	CTRECORD=$(B)/ctrecord $(B)/fuzz/fuzz_db -max_total_time=$(FUZZ_TIME) -max_len=512 -detect_leaks=0 \
		$(B)/fuzz/corpus/db tests/fuzz/corpus/db

clean:
	rm -rf $(B) tests/out

.PHONY: all test run deps install uninstall asan valgrind fuzz clean
include tests/bench/bench.mk
