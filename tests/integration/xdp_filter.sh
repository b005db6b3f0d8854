#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The XDP pre-filter in the kernel on a veth pair in a namespace: riptide on
# af_xdp:rtx1 runs its program; tcpreplay sends a generated feed (IPv4 and IPv6
# sources, some of them blocked, datagrams to unknown ports) into rtx0. The blocked
# and the unknown never reach riptide: what it counts is what the software twin
# counts on the same pcap with the same block list, less what XDP dropped, and XDP's
# drops are the twin's filtered{unknown_port, blocked_source}. Then riptidectl
# changes the program's maps live: a prefix blocked and its hits, the rate limit, a
# rule set whose ports are not the feed's.
. "$(dirname "$0")/lib/common.sh"
require_root
CTL=$RIPTIDE_BUILD/control/riptidectl

ns=rt-xdp-$$
netns_veth "$ns" rtx0 rtx1 || { not_ok "namespace with a veth pair"; finish; }

cat >"$WORK/rules.rql" <<'RQL'
CREATE STREAM payments (ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE,
    country STRING, status STRING) WITH (format = 'json', port = 9000, timestamp = 'ts');
RQL
cat >"$WORK/other.rql" <<'RQL'
CREATE STREAM elsewhere (card STRING) WITH (format = 'json', port = 9100);
RQL
# sources 10.0.0.0..63 and fd00::0..3f; a quarter of the datagrams over IPv6
"$RIPTIDE_GEN" pcap --out "$WORK/feed.pcap" --manifest "$WORK/feed.json" --seed 8 \
	--count 3000 --sources 64 --ipv6 0.25 --vlan 0.1 --noise 0.2 \
	--noise-kinds not_ip,not_udp,unknown_port,truncated,bad_udp_length >/dev/null || { not_ok "riptide-gen"; finish; }
block=(--block 10.0.0.0/28 --block 10.0.0.40 --block fd00::/124)

# the software twin on the same packets and the same block list: the reference
"$RIPTIDE" --rules "$WORK/rules.rql" --input "pcap:$WORK/feed.pcap" "${block[@]}" \
	--stats-out "$WORK/twin.json" >"$WORK/twin.log" 2>&1
check_eq "the twin on the pcap: exit status" "$?" 0
tb=$(jq '.filtered.blocked_source' "$WORK/twin.json")
tu=$(jq '.filtered.unknown_port' "$WORK/twin.json")
check_eq "the feed has blocked sources and unknown ports" "$([ "$tb" -gt 0 ] && [ "$tu" -gt 0 ] && echo yes)" yes

sock=$WORK/ctl.sock
ip netns exec "$ns" sh -c 'mount -t bpf bpf /sys/fs/bpf && exec "$@"' riptide \
	"$RIPTIDE" --rules "$WORK/rules.rql" --input af_xdp:rtx1 --workers 1 "${block[@]}" \
	--control "$sock" --stats-out "$WORK/stats.json" >"$WORK/riptide.log" 2>&1 &
rpid=$!
at_exit kill -KILL "$rpid"
wait_for_line "$WORK/riptide.log" "worker lcore(s) polling" 30 || { not_ok "riptide started"; cat "$WORK/riptide.log"; finish; }
ok "riptide started on af_xdp with its XDP program"
check_eq "the pins are gone once the port runs" "$(ip netns exec "$ns" sh -c 'ls /sys/fs/bpf' | grep -c rt_xdp)" 0

# replay N: the feed once more, then riptide's live stats in $WORK/live.json
replay() {
	ip netns exec "$ns" tcpreplay --pps 20000 -q -i rtx0 "$WORK/feed.pcap" >"$WORK/replay.log" 2>&1
	check_eq "replay $1: tcpreplay" "$?" 0
	sleep 1
	"$CTL" --socket "$sock" --json stats | jq .result >"$WORK/live.json"
}
live() { jq -c "$1" "$WORK/live.json"; }
sent=$(jq .rx_packets "$WORK/feed.json")

replay 1
check_eq "XDP dropped what the twin filtered by source and port" "$(jq -cS .xdp_dropped "$WORK/live.json")" \
	"{\"blocked_source\":$tb,\"unknown_port\":$tu}"
check_eq "none of it reached riptide" "$(live '[.filtered.unknown_port, .filtered.blocked_source]')" "[null,null]"
check_eq "riptide got the rest: rx_packets = sent - xdp_dropped" "$(live .rx_packets)" "$((sent - tu - tb))"
check_eq "the blocked never reached events: events as the twin's" "$(live .events)" "$(jq .events "$WORK/twin.json")"
check_eq "datagrams as the twin's" "$(live .datagrams)" "$(jq .datagrams "$WORK/twin.json")"
check_eq "what riptide filters and rejects itself, as the twin" \
	"$(live '[.filtered, .decode_errors]')" \
	"$(jq -c '[(.filtered | del(.unknown_port, .blocked_source)), .decode_errors]' "$WORK/twin.json")"
check_eq "filter list: the prefixes' hits add up to XDP's blocked_source" \
	"$("$CTL" --socket "$sock" --json filter list | jq '[.result.blocked[].hits] | add')" "$tb"

# block every source left: nothing of the feed to a known port gets through any more
"$CTL" --socket "$sock" filter add 10.0.0.0/26 >/dev/null
"$CTL" --socket "$sock" filter add fd00::/64 >/dev/null
before_events=$(live .events)
before_rx=$(live .rx_packets)
replay 2
check_eq "filter add: no new events" "$(live .events)" "$before_events"
check_eq "filter add: XDP dropped every datagram of the feed to a known port" \
	"$(live '.xdp_dropped.blocked_source')" "$((tb + $(jq .datagrams "$WORK/twin.json") + tb))"
check_eq "filter add: the new prefixes' hits" \
	"$("$CTL" --socket "$sock" --json filter list | jq -c '[.result.blocked[] | select(.prefix == "10.0.0.0/26" or .prefix == "fd00::/64") | .hits] | add')" \
	"$(jq .datagrams "$WORK/twin.json")"
"$CTL" --socket "$sock" filter del 10.0.0.0/26 >/dev/null
"$CTL" --socket "$sock" filter del fd00::/64 >/dev/null

# a rate limit of 1 packet/s per source with bursts of 5: most of the feed is over it
"$CTL" --socket "$sock" filter rate 1 5 >/dev/null
replay 3
rl=$(live '.xdp_dropped.rate_limited')
check_eq "filter rate: XDP drops what is over the rate" "$([ "${rl:-0}" -gt 0 ] && echo yes)" yes
check_eq "filter rate: riptide's twin limited none (XDP judged the sources)" "$(live '.filtered.rate_limited')" null
"$CTL" --socket "$sock" filter rate 0 >/dev/null

# a rule set on another port: the feed's port leaves the program's allow-list
"$CTL" --socket "$sock" rules load "$WORK/other.rql" >/dev/null
check_eq "rules load: in force" "$("$CTL" --socket "$sock" --json status | jq .result.ruleset)" 2
unknown_before=$(live '.xdp_dropped.unknown_port')
replay 4
check_eq "rules load: every datagram to 9000 now dropped in XDP as unknown_port" \
	"$(( $(live '.xdp_dropped.unknown_port') - unknown_before ))" \
	"$(( $(jq .datagrams "$WORK/twin.json") + tb + tu ))"

kill -TERM "$rpid"
wait "$rpid"
check_eq "riptide exit status" "$?" 0
check_eq "every packet sent: rx_packets + xdp_dropped = 4 replays" \
	"$(jq '.rx_packets + ([.xdp_dropped[]] | add)' "$WORK/stats.json")" "$((4 * sent))"
check_eq "what went to the socket is what riptide received" \
	"$(jq '.xdp.redirected == .rx_packets' "$WORK/stats.json")" true
finish
