#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds dpdk-testpmd, the reference receiver of the benchmarks, against the DPDK that
# riptide uses. Debian 12 packages DPDK's libraries but not its test applications, so
# the source of the very same version comes from Debian's archive (the .orig tarball
# of the installed package) and app/test-pmd is compiled against the installed
# libraries. Prints the path of the binary; cached in ~/.cache/riptide/testpmd.
set -euo pipefail

cache=${RIPTIDE_CACHE:-$HOME/.cache/riptide}/testpmd
full=$(dpkg-query -W -f '${Version}' dpdk)
upstream=${full%%-*}
bin=$cache/dpdk-testpmd-$upstream
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi
mkdir -p "$cache"
tarball=$cache/dpdk_$upstream.orig.tar.xz
if [ ! -s "$tarball" ]; then
	curl -sSfL -o "$tarball.part" \
		"http://deb.debian.org/debian/pool/main/d/dpdk/dpdk_$upstream.orig.tar.xz" >&2
	mv "$tarball.part" "$tarball"
fi
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
tar -C "$src" -xf "$tarball" --wildcards '*/app/test-pmd/*' '*/lib/eal/linux/include/*'
top=$(echo "$src"/dpdk-*)
# The installed rte_build_config.h names drivers whose testpmd helpers are not
# installed (mlx5): testpmd is built without those driver-specific commands.
printf '#include <rte_config.h>\n#undef RTE_NET_MLX5\n' >"$src/no_mlx5.h"
libs=$(ls /usr/lib/x86_64-linux-gnu/librte_*.so | sed 's|.*/lib\(rte_.*\)\.so$|-l\1|')
# shellcheck disable=SC2086
gcc -O2 -w -march=corei7 -DALLOW_EXPERIMENTAL_API -DALLOW_INTERNAL_API \
	-Wno-deprecated-declarations -include "$src/no_mlx5.h" -I"$top/lib/eal/linux/include" \
	"$top"/app/test-pmd/*.c $(pkg-config --cflags libdpdk) -o "$bin.part" \
	$libs -ljansson -lbsd -lpthread -lm >&2
mv "$bin.part" "$bin"
echo "$bin"
