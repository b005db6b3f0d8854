#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs every Debian 12 package that riptide's build, tests and benchmarks need.
# Idempotent: packages already present are left alone by apt-get.
set -euo pipefail

packages=(
	# build
	build-essential meson ninja-build pkg-config clang clang-format llvm
	# libraries (see meson.build for the minimum versions)
	libdpdk-dev dpdk libhyperscan-dev librdkafka-dev libisal-dev libcunit1-dev
	libbpf-dev libxdp-dev bpftool libjansson-dev libpcap-dev libmicrohttpd-dev
	# sanitizer and fuzzer runtimes for clang
	libclang-rt-14-dev
	# tests: namespaces and veth, traffic replay, Kafka client, the broker's JVM and Maven
	iproute2 tcpreplay kcat openjdk-17-jre-headless maven jq python3
	# tests: PCRE2, the reference matcher that the REGEXP predicates are checked against
	libpcre2-dev
	# tests and benchmarks: zlib reads the archive back and is igzip's reference
	zlib1g-dev
	# the performance lab's plots (perf/lab.sh)
	python3-matplotlib
)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root (apt-get needs it)" >&2
	exit 1
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#packages[@]} packages present"
	exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
