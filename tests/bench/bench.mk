# bench.mk: build rules for the benchmark's tools and the `make bench` target (include from the top-level Makefile).
BENCH_TOOLS := $(B)/stormgen $(B)/nlcount $(B)/ingest $(B)/qtime $(B)/evdump

$(B)/stormgen: tests/tools/stormgen.c
	@mkdir -p $(B)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $<
$(B)/nlcount: tests/tools/nlcount.c
	@mkdir -p $(B)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $<
$(B)/ingest: tests/bench/ingest.c $(B)/recorder/record.o $(B)/recorder/flowmap.o $(B)/libct.a
	$(CC) $(CPPFLAGS) -Irecorder $(CFLAGS) $(LDFLAGS) -o $@ $^ $(REC_LDLIBS)
$(B)/qtime: tests/bench/qtime.c $(B)/libct.a
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The storm benchmark of issue 5 (root; about 8 minutes: five storms, the queries on two histories, a steady host); results in tests/out/bench.txt.
bench: all $(BENCH_TOOLS)
	sh tests/install-deps.sh bench
	BIN=$(CURDIR)/$(B) tests/bench/bench.sh
	BIN=$(CURDIR)/$(B) tests/bench/steady.sh

.PHONY: bench

# A steady host for SOAK_MIN minutes (default 20; root): ctrecord's memory and
# files each minute, every event accounted for; results in tests/out/soak.txt.
soak: all $(B)/nlcount $(B)/trafficgen
	BIN=$(CURDIR)/$(B) tests/bench/soak.sh

.PHONY: soak
