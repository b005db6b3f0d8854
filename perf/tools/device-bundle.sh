#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Packs what perf/lab.sh needs to run on a machine without DPDK or the project's
# libraries (the lent 16-core machine, which has no network and no packages): the
# binaries of a build, dpdk-testpmd, jq, every shared library they load from this
# machine's Debian packages but the C library's own, and the DPDK drivers the lab uses
# (memif, null, the virtual bus, ring mempools), which perf/tools/device-lab.sh puts
# where Debian's EAL looks for them.
#
#   perf/tools/device-bundle.sh DIR     (default .devbundle, git-ignored)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${RIPTIDE_BUILD:-$root/build}
dir=${1:-$root/.devbundle}
pmd_dir=/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0
rm -rf "$dir"
mkdir -p "$dir/bin/dataplane" "$dir/bin/perf" "$dir/bin/control" "$dir/lib" "$dir/pmds"
cp "$build/dataplane/riptide" "$dir/bin/dataplane/"
cp "$build/perf/riptide-gen" "$build/perf/riptide-bench-rules" "$build/perf/riptide-bench-ingest" \
	"$dir/bin/perf/"
cp "$build/control/riptidectl" "$dir/bin/control/"
cp "$("$root/perf/tools/build-testpmd.sh")" "$dir/bin/dpdk-testpmd"
cp "$(command -v jq)" "$dir/bin/jq"
objs=("$dir"/bin/*/* "$dir/bin/dpdk-testpmd" "$dir/bin/jq")
for d in bus_vdev mempool_ring mempool_stack net_memif net_null; do
	cp -L "$pmd_dir/librte_$d.so.23" "$dir/pmds/"
	objs+=("$pmd_dir/librte_$d.so.23")
done
# the libraries they load, but the C library's (the target's is newer than Debian 12's)
ldd "${objs[@]}" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u |
	grep -Ev '/(libc|libm|libpthread|libdl|librt|libresolv|ld-linux-x86-64)\.so' |
	while read -r lib; do cp -L "$lib" "$dir/lib/"; done
{
	echo "dpdk=$(dpkg-query -W -f '${Version}' dpdk)"
	echo "commit=$(git -C "$root" rev-parse --short HEAD)"
	echo "glibc=$(ldd --version | head -1 | awk '{ print $NF }')"
} >"$dir/MANIFEST.sh"
# no debug sections: the bundle travels
strip --strip-unneeded "$dir"/bin/*/* "$dir"/bin/dpdk-testpmd "$dir"/lib/* "$dir"/pmds/* 2>/dev/null || true
du -sh "$dir" >&2
