#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Makes this host ready to run riptide: hugepages reserved and hugetlbfs mounted,
# bpffs mounted, and the kernel features riptide uses checked. Idempotent.
#
#   scripts/setup-host.sh [--hugepages N]   (N 2 MiB pages, default 512 = 1 GiB)
#
# Exit status: 0 ready; 1 a required feature is missing (each one is named).
set -uo pipefail

want=512
while [ $# -gt 0 ]; do
	case $1 in
	--hugepages) want=$2; shift 2 ;;
	-h | --help) sed -n '3,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "setup-host: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

fail=0
ok() { printf '  ok    %s\n' "$1"; }
bad() { printf '  FAIL  %s\n' "$1" >&2; fail=1; }
warn() { printf '  warn  %s\n' "$1" >&2; }

if [ "$(id -u)" -ne 0 ]; then
	echo "setup-host: run as root (hugepages, mounts and BPF need it)" >&2
	exit 1
fi

echo "setup-host: kernel $(uname -r)"

# Hugepages: DPDK's memory. Reserve only when fewer than wanted are there, so that a
# host with a larger reservation is left as it is.
hp=/proc/sys/vm/nr_hugepages
have=$(cat "$hp")
if [ "$have" -lt "$want" ]; then
	echo "$want" >"$hp" 2>/dev/null
	have=$(cat "$hp")
fi
if [ "$have" -ge "$want" ]; then
	ok "hugepages: $have x $(awk '/Hugepagesize/ {print $2 $3}' /proc/meminfo) reserved"
elif [ "$have" -gt 0 ]; then
	warn "hugepages: only $have of $want reserved (memory fragmented?)"
else
	bad "hugepages: none could be reserved through $hp"
fi
mkdir -p /dev/hugepages
if mountpoint -q /dev/hugepages || grep -q ' hugetlbfs ' /proc/mounts; then
	ok "hugetlbfs mounted ($(awk '$3 == "hugetlbfs" {print $2; exit}' /proc/mounts))"
elif mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null; then
	ok "hugetlbfs mounted on /dev/hugepages"
else
	bad "hugetlbfs: cannot mount on /dev/hugepages"
fi

# bpffs: where the XDP pre-filter pins its maps for riptidectl.
if grep -q ' /sys/fs/bpf bpf ' /proc/mounts; then
	ok "bpffs mounted on /sys/fs/bpf"
elif mount -t bpf bpf /sys/fs/bpf 2>/dev/null; then
	ok "bpffs mounted on /sys/fs/bpf"
else
	bad "bpffs: cannot mount on /sys/fs/bpf (CONFIG_BPF_SYSCALL?)"
fi

# Kernel features. The config is read where the kernel exposes it; where it does not,
# the feature is probed by using it.
kconfig() {
	if [ -r /proc/config.gz ]; then zcat /proc/config.gz; return; fi
	[ -r "/boot/config-$(uname -r)" ] && cat "/boot/config-$(uname -r)"
}
cfg=$(kconfig)
need_cfg() { # NAME WHAT
	if [ -z "$cfg" ]; then return 1; fi
	if grep -q "^$1=[ym]" <<<"$cfg"; then ok "$2 ($1)"; else bad "$2: kernel lacks $1"; fi
}
if [ -n "$cfg" ]; then
	need_cfg CONFIG_BPF_SYSCALL "BPF system call"
	need_cfg CONFIG_XDP_SOCKETS "AF_XDP sockets"
	need_cfg CONFIG_VETH "veth pairs for tests"
	need_cfg CONFIG_NET_NS "network namespaces for tests"
	need_cfg CONFIG_HUGETLBFS "hugetlbfs"
else
	warn "kernel config not readable; probing features instead"
fi
# Probes that hold whatever the config says.
if python3 - <<'PY' 2>/dev/null; then
import socket
s = socket.socket(44, socket.SOCK_RAW, 0)  # AF_XDP
s.close()
PY
	ok "AF_XDP socket can be opened"
else
	bad "AF_XDP: socket(AF_XDP) refused"
fi
ns=riptide-probe-$$
if ip netns add "$ns" 2>/dev/null &&
	ip -n "$ns" link add p0 type veth peer name p1 2>/dev/null; then
	ok "network namespace with a veth pair"
else
	bad "cannot create a network namespace with a veth pair"
fi
ip netns del "$ns" 2>/dev/null
if command -v bpftool >/dev/null; then
	probe=$(bpftool feature probe kernel 2>/dev/null)
	if grep -q "eBPF program_type xdp is available" <<<"$probe"; then
		ok "XDP programs can be loaded"
	else
		bad "XDP program type not available"
	fi
else
	warn "bpftool not installed yet (scripts/install-deps.sh), XDP probe skipped"
fi

if [ $fail -ne 0 ]; then
	echo "setup-host: the host is missing what is marked FAIL above" >&2
	exit 1
fi
echo "setup-host: ready"
