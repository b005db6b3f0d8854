#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The XDP pre-filter benchmark:
#  1. the program's cost per packet by path (BPF_PROG_TEST_RUN, mean of N repeats)
#     beside a program that returns XDP_PASS at once, with 1, 1,000 and 16,384
#     blocked prefixes (riptide-bench-xdp);
#  2. on a veth pair in a namespace, fed by riptide-gen send on af_packet:rtx0 as
#     fast as it goes: packets/s that riptide's program redirects to riptide
#     (af_xdp:rtx1) beside dpdk-testpmd rxonly on the same af_xdp port (the driver's
#     own program), and packets/s it drops (unknown port, blocked source).
# Writes docs/benchmarks/xdp.md and xdp.json. Needs root. Usage:
#   perf/bench_xdp.sh [SECONDS per veth run, default 5]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-5}
build=${RIPTIDE_BUILD:-$root/build}
out=$root/docs/benchmarks
work=$(mktemp -d /tmp/riptide-bench-xdp.XXXXXX)
ns=rt-bxdp-$$
gen=$build/perf/riptide-gen
ctl=$build/control/riptidectl
testpmd=$("$root/perf/tools/build-testpmd.sh")
cleanup() {
	pkill -INT -f "bench-xdp-$$" 2>/dev/null || true
	sleep 1
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$out"

echo "== the program per packet (riptide-bench-xdp)" >&2
: >"$work/micro.jsonl"
for p in 1 1000 16384; do
	"$build/perf/riptide-bench-xdp" --repeat 2000000 --prefixes "$p" | tee -a "$work/micro.jsonl" |
		jq -r '"  \(.prefixes) prefixes, \(.path): \(.ns) ns (reference \(.reference_ns) ns)"' >&2
done

# the veth pair, IPv6 off so that the kernel sends nothing of its own
ip netns add "$ns"
ip -n "$ns" link add rtx0 type veth peer name rtx1
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$ns" link set rtx0 up
ip -n "$ns" link set rtx1 up
cat >"$work/rules.rql" <<'RQL'
CREATE STREAM pay (ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE,
    country STRING, status STRING) WITH (format = 'json', port = 9000, timestamp = 'ts');
RQL
# sources 10.0.0.0..63: --block 10.0.0.0/26 blocks them all
"$gen" pcap --out "$work/pass.pcap" --seed 3 --count 4096 --sources 64 --record-bytes 150 >/dev/null
"$gen" pcap --out "$work/unknown.pcap" --seed 3 --count 4096 --sources 64 --record-bytes 150 \
	--port 9999 >/dev/null

# send PCAP: riptide-gen send into rtx0 for $secs seconds; its result in send.out
send() {
	ip netns exec "$ns" "$gen" send --pcap "$work/$1.pcap" --input af_packet:rtx0 \
		--seconds "$secs" --link-wait 5 --linger 1 >"$work/send.out" 2>"$work/send.err" ||
		{ cat "$work/send.err" >&2; return 1; }
}

# riptide CASE PCAP RIPTIDE-ARGS...: riptide on af_xdp:rtx1 while PCAP is sent; one
# JSON line with the offered rate and what riptide received and XDP dropped per second
riptide_run() {
	local case=$1 pcap=$2 rpid
	shift 2
	ip netns exec "$ns" sh -c 'mount -t bpf bpf /sys/fs/bpf && exec "$@"' riptide \
		"$build/dataplane/riptide" --rules "$work/rules.rql" --input af_xdp:rtx1 --workers 1 \
		--control "$work/ctl.sock" --stats-out "$work/$case.json" "$@" >"$work/$case.log" 2>&1 &
	rpid=$!
	for _ in $(seq 300); do grep -q polling "$work/$case.log" && break; sleep 0.1; done
	send "$pcap"
	sleep 0.5
	kill -INT "$rpid"
	wait "$rpid" || true
	jq -c --arg c "$case" --slurpfile s "$work/send.out" \
		'{case: $c, offered_pps: $s[0].pps, seconds: $s[0].seconds,
		  redirected_pps: (.xdp.redirected / $s[0].seconds),
		  dropped_pps: (([.xdp_dropped[]] | add // 0) / $s[0].seconds),
		  received: .rx_packets, imissed: .ports[0].imissed, sent: $s[0].sent,
		  xdp_dropped: .xdp_dropped}' "$work/$case.json"
}

testpmd_run() {
	local tp
	ip netns exec "$ns" sh -c 'mount -t bpf bpf /sys/fs/bpf && exec "$@"' testpmd \
		"$testpmd" -l 0,1 --main-lcore 0 --no-pci --file-prefix "bench-xdp-$$" \
		--huge-unlink --no-telemetry --vdev "net_af_xdp0,iface=rtx1" -- \
		--forward-mode=rxonly --stats-period 1 --nb-cores 1 --rxq 1 --txq 1 \
		>"$work/tp.log" 2>&1 &
	tp=$!
	for _ in $(seq 300); do grep -q "Port statistics" "$work/tp.log" && break; sleep 0.1; done
	sleep 1
	send pass
	sleep 0.5
	kill -INT "$tp"
	wait "$tp" || true
	jq -c -n --slurpfile s "$work/send.out" \
		--argjson rx "$(sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' "$work/tp.log" | tail -1)" \
		'{case: "testpmd_rxonly", offered_pps: $s[0].pps, seconds: $s[0].seconds,
		  redirected_pps: ($rx / $s[0].seconds), received: $rx, sent: $s[0].sent}'
}

: >"$work/veth.jsonl"
echo "== veth: dpdk-testpmd rxonly on af_xdp (the driver's program)" >&2
testpmd_run | tee -a "$work/veth.jsonl" >&2
echo "== veth: riptide's program, every packet to riptide" >&2
riptide_run redirect pass | tee -a "$work/veth.jsonl" >&2
echo "== veth: riptide's program, every packet to an unknown port" >&2
riptide_run drop_unknown_port unknown | tee -a "$work/veth.jsonl" >&2
echo "== veth: riptide's program, every source blocked" >&2
riptide_run drop_blocked pass --block 10.0.0.0/26 | tee -a "$work/veth.jsonl" >&2

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
commit=$(git -C "$root" rev-parse --short HEAD)
jq -s -n --slurpfile micro "$work/micro.jsonl" --slurpfile veth "$work/veth.jsonl" \
	--arg cpu "$cpu" --arg kernel "$(uname -r)" --arg commit "$commit" \
	'{cpu: $cpu, kernel: $kernel, commit: $commit, test_run: $micro, veth: $veth}' >"$out/xdp.json"
{
	echo "# XDP pre-filter"
	echo
	echo "Made by \`perf/bench_xdp.sh $secs\` at commit $commit on $cpu ($(nproc) cores),"
	echo "kernel $(uname -r). Figures: docs/benchmarks/xdp.json."
	echo
	echo "## Cost per packet (BPF_PROG_TEST_RUN, mean of 2,000,000 runs)"
	echo
	echo "Beside a reference program that returns XDP_PASS at once, timed the same way in"
	echo "the same run (the fixed cost of a run). 'to socket' paths pass here, as no AF_XDP"
	echo "socket is bound in a test run: their cost is the program's, not the redirect's."
	echo
	echo "| prefixes | path | verdict | ns/packet | reference ns | ratio | program's own ns |"
	echo "| ---: | --- | --- | ---: | ---: | ---: | ---: |"
	jq -r '"| \(.prefixes) | \(.path) | \(.action) | \(.ns) | \(.reference_ns) | \(.ns / .reference_ns * 100 | round / 100) | \(.ns - .reference_ns) |"' \
		"$work/micro.jsonl"
	echo
	echo "## On a veth pair"
	echo
	echo "riptide-gen send (DPDK af_packet) into one end as fast as it goes for $secs s;"
	echo "the other end is an af_xdp port. On this 2-core VM the sender, the kernel's"
	echo "veth and XDP work and the receiver's polling lcore share the cores, so the"
	echo "offered rate bounds every figure: read the ratios, not the absolute rates."
	echo
	echo "| case | offered pps | redirected to user space pps | dropped in XDP pps | received | socket ring full (imissed) | sent |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	jq -r '"| \(.case) | \(.offered_pps | round) | \(.redirected_pps // 0 | round) | \(.dropped_pps // 0 | round) | \(.received) | \(.imissed // "-") | \(.sent) |"' \
		"$work/veth.jsonl"
	echo
	jq -r -s '(.[] | select(.case == "testpmd_rxonly")) as $tp | (.[] | select(.case == "redirect")) as $rt |
		"riptide (its program, decode, parse) takes \($rt.redirected_pps / $tp.redirected_pps * 100 | round) % of the packets/s that testpmd rxonly takes behind the driver'"'"'s own program (\($rt.redirected_pps | round) vs \($tp.redirected_pps | round))."' \
		"$work/veth.jsonl"
} >"$out/xdp.md"
echo "wrote $out/xdp.md" >&2
