#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs perf/lab.sh on a bare machine from the bundle of perf/tools/device-bundle.sh
# (the lent 16-core machine: root, no network, no DPDK): 2 MiB hugepages and their
# hugetlbfs, the bundle's DPDK drivers where Debian's EAL looks for them, and the
# bundle's binaries behind wrappers that give them the bundle's libraries (and only
# them: the machine's own Python keeps its own).
#
#   perf/tools/device-lab.sh BUNDLE [lab.sh arguments]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bundle=$(cd "${1:?usage: device-lab.sh BUNDLE [lab.sh arguments]}" && pwd)
shift
pages=${LAB_HUGEPAGES:-8192}
echo "$pages" >/proc/sys/vm/nr_hugepages
got=$(cat /proc/sys/vm/nr_hugepages)
[ "$got" -ge 256 ] || { echo "device-lab: $got hugepages of $pages" >&2; exit 1; }
mountpoint -q /dev/hugepages || { mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages; }
pmds=/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0
mkdir -p "$pmds"
# a driver the binaries link is loaded once: the plugin is a link to that very file
for f in "$bundle"/pmds/*; do
	name=${f##*/}
	[ -e "$bundle/lib/$name" ] && f=$bundle/lib/$name
	# EAL loads the files named *.so or *.so.23.0 in its directory
	[ -e "$pmds/${name%.23}" ] || ln -s "$f" "$pmds/${name%.23}"
done
wrap=$(mktemp -d /tmp/riptide-wrap.XXXXXX)
for f in "$bundle"/bin/*/* "$bundle"/bin/dpdk-testpmd "$bundle"/bin/jq; do
	rel=${f#"$bundle"/bin/}
	mkdir -p "$wrap/$(dirname "$rel")"
	printf '#!/bin/sh\nLD_LIBRARY_PATH=%s/lib exec %s "$@"\n' "$bundle" "$f" >"$wrap/$rel"
	chmod +x "$wrap/$rel"
done
. "$bundle/MANIFEST.sh"
export PATH=$wrap:$PATH RIPTIDE_BUILD=$wrap RIPTIDE_TESTPMD=$wrap/dpdk-testpmd
export RIPTIDE_DPDK_VERSION=$dpdk RIPTIDE_COMMIT=$commit
echo "device-lab: $got hugepages, DPDK $dpdk, riptide $commit, $(nproc) cores" >&2
exec "$root/perf/lab.sh" "$@"
