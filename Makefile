# SPDX-License-Identifier: BSD-3-Clause
# The two commands of the README, and the steps they are made of.
#   make demo   set up, build, replay generated example traffic through riptide
#   make test   set up, build, pass every test (what .ci/run calls)

DEMO_OUT ?= out/demo
FUZZ_SECONDS ?= 60

.PHONY: all setup build demo test test-unit test-integration format clean

all: build

setup:
	scripts/setup.sh

build: setup
	@if [ -d build ]; then meson setup --reconfigure build >/dev/null; else meson setup build; fi
	ninja -C build

# Example rules (docs/examples/payments.rql) and traffic from riptide-gen, replayed
# through a real DPDK port (net_pcap); riptide prints its counters and writes them
# to $(DEMO_OUT)/stats.json.
demo: build
	@mkdir -p $(DEMO_OUT)
	./build/perf/riptide-gen pcap --out $(DEMO_OUT)/feed.pcap --manifest $(DEMO_OUT)/expected.json \
		--seed 7 --count 100000 --keys 10000 --batch 2 --jitter-ms 2000 \
		--malformed 0.01 --malformed-kinds syntax,bad_type,bad_timestamp,bad_utf8 \
		--noise 0.05 --ipv6 0.1 --vlan 0.1
	./build/dataplane/riptide --rules docs/examples/payments.rql \
		--input pcap:$(DEMO_OUT)/feed.pcap --out $(DEMO_OUT) --stats-out $(DEMO_OUT)/stats.json
	@echo "demo: counters in $(DEMO_OUT)/stats.json, the generator's account in $(DEMO_OUT)/expected.json,"
	@echo "      alerts in $(DEMO_OUT)/alerts.ndjson, per-card minutes in $(DEMO_OUT)/aggregates.ndjson,"
	@echo "      card-testing matches in $(DEMO_OUT)/fraud.ndjson,"
	@echo "      malformed records in $(DEMO_OUT)/dead_letters.ndjson"

test: setup
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/test.sh

test-unit: setup
	scripts/test.sh build unit

test-integration: setup
	scripts/test.sh build integration

# Formats every C file as .clang-format says (the test stage "format" checks it).
format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz out
