#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Live ports: riptide on an af_packet, then an af_xdp port on one end of a veth pair, inside a
# network namespace this test creates and deletes; tcpreplay sends a generated pcap
# into the other end. SIGTERM stops riptide cleanly, and the counters match the pcap.
. "$(dirname "$0")/lib/common.sh"
require_root

ns=rt-veth-$$
netns_veth "$ns" rtv0 rtv1 || { not_ok "namespace with a veth pair"; finish; }

cat >"$WORK/rules.rql" <<'RQL'
CREATE STREAM payments (ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE,
    country STRING, status STRING) WITH (format = 'json', port = 9000, timestamp = 'ts');
RQL
# No IP fragments: DPDK's af_packet driver joins a fanout group with the kernel's
# defragmentation flag, so the kernel holds IPv4 fragments for reassembly and a lone
# first fragment never reaches the port (docs/operations.md). pcap inputs test them.
"$RIPTIDE_GEN" pcap --out "$WORK/feed.pcap" --manifest "$WORK/feed.json" --seed 21 \
	--count 2000 --noise 0.3 --ipv6 0.2 --vlan 0.1 \
	--noise-kinds not_ip,not_udp,unknown_port,truncated,bad_udp_length >/dev/null || { not_ok "riptide-gen"; finish; }

# The same traffic through the kernel-socket ports. af_packet:rtv1:2 opens two queues
# (a fanout group) that one worker lcore polls together. af_xdp runs riptide's XDP
# pre-filter: the datagrams to unknown ports are dropped there (xdp_dropped), the
# rest reach riptide as through the other ports. ip netns exec mounts a fresh /sys:
# bpffs is mounted again inside, for the pre-filter's pins.
for kind in af_packet:rtv1 af_packet:rtv1:2 af_xdp:rtv1; do
	queues=${kind#*:rtv1}
	queues=${queues#:}
	queues=${queues:-1}
	tag=${kind//:/_}
	base=$(ip netns exec "$ns" cat /sys/class/net/rtv1/statistics/rx_packets)
	ip netns exec "$ns" sh -c 'mount -t bpf bpf /sys/fs/bpf && exec "$@"' riptide \
		"$RIPTIDE" --rules "$WORK/rules.rql" --input "$kind" \
		--workers 1 --stats-out "$WORK/stats-$tag.json" >"$WORK/riptide-$tag.log" 2>&1 &
	rpid=$!
	at_exit kill -KILL "$rpid"
	if ! wait_for_line "$WORK/riptide-$tag.log" "worker lcore(s) polling" 30; then
		not_ok "riptide started on $kind"
		cat "$WORK/riptide-$tag.log"
		continue
	fi
	ok "riptide started on $kind"

	# Paced at 20 kpps: on a 2-core machine tcpreplay and the polling lcore share the
	# CPUs, and the kernel drops what overflows the af_packet ring without DPDK 22.11
	# reporting it (docs/operations.md), so the test stays well inside the ring.
	ip netns exec "$ns" tcpreplay --pps 20000 -q -i rtv0 "$WORK/feed.pcap" \
		>"$WORK/replay-$tag.log" 2>&1
	check_eq "$kind: tcpreplay exit status" "$?" 0
	sent=$(sed -n 's/.*Actual: \([0-9]*\) packets.*/\1/p' "$WORK/replay-$tag.log")
	check_eq "$kind: packets sent" "$sent" "$(jq .rx_packets "$WORK/feed.json")"

	# Wait until the interface has taken every packet, then stop riptide.
	for _ in $(seq 1 50); do
		got=$(ip netns exec "$ns" cat /sys/class/net/rtv1/statistics/rx_packets)
		[ "$((got - base))" -ge "$sent" ] && break
		sleep 0.1
	done
	sleep 0.5
	kill -TERM "$rpid"
	wait "$rpid"
	check_eq "$kind: riptide exit status after SIGTERM" "$?" 0
	if [ "$kind" = af_xdp:rtv1 ]; then
		# the unknown ports never reached riptide; everything else did
		unknown=$(jq '.filtered.unknown_port' "$WORK/feed.json")
		check_eq "$kind: XDP dropped the datagrams to unknown ports" \
			"$(jq -c '.xdp_dropped' "$WORK/stats-$tag.json")" "{\"unknown_port\":$unknown}"
		check_eq "$kind: none of them reached riptide" \
			"$(jq '.filtered.unknown_port // 0' "$WORK/stats-$tag.json")" 0
		check_eq "$kind: the rest went to the socket" "$(jq '.xdp.redirected' "$WORK/stats-$tag.json")" \
			"$(jq '.rx_packets' "$WORK/stats-$tag.json")"
		check_eq "$kind: rx_packets + xdp_dropped = sent" \
			"$(jq '.rx_packets + ([.xdp_dropped[]] | add)' "$WORK/stats-$tag.json")" "$sent"
		jq '.rx_packets -= .filtered.unknown_port | del(.filtered.unknown_port)' "$WORK/feed.json" \
			>"$WORK/feed-xdp.json"
		check_counters "$WORK/stats-$tag.json" "$WORK/feed-xdp.json"
	else
		check_counters "$WORK/stats-$tag.json" "$WORK/feed.json"
	fi
	check_eq "$kind: RX queues of the port" "$(jq '.ports[0].rx_queues' "$WORK/stats-$tag.json")" "$queues"
	check_eq "$kind: queues polled by the worker" "$(jq '.lcores[0].rx_queues' "$WORK/stats-$tag.json")" "$queues"
done
finish
