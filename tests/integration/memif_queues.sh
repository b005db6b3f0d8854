#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# memif with several queues, as the performance lab runs it: riptide-gen send on 4
# queues from 2 lcores into riptide with 4 receiving workers (cores shared on a small
# machine), five times over. riptide's workers are polling when the client connects
# (DPDK 22.11's memif receive can read an unmapped ring then: riptide polls a memif
# queue only while its link is up, dp_port.h), and stop while the client is still
# there. Each time riptide exits cleanly, receives every packet sent, each worker
# polls one queue and receives from it, and the sender's report adds up.
. "$(dirname "$0")/lib/common.sh"
require_root

cat >"$WORK/rules.rql" <<'RQL'
CREATE STREAM payments (ts TIMESTAMP, card STRING KEY, merchant STRING, amount DOUBLE,
    country STRING, status STRING) WITH (format = 'json', port = 9000, timestamp = 'ts');
CREATE AGGREGATE per_card AS SELECT card, COUNT(*) AS n FROM payments
    WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY card;
RQL
"$RIPTIDE_GEN" pcap --out "$WORK/feed.pcap" --seed 3 --count 4096 --keys 1000 >/dev/null ||
	{ not_ok "riptide-gen"; finish; }
cores=($(taskset -pc $$ | sed 's/.*: //' | tr ',' '\n' |
	awk -F- '{ if (NF == 2) for (i = $1; i <= $2; i++) print i; else print $1 }'))
send_cores=${cores[0]}${cores[1]:+,${cores[1]}}
n=40000

for round in 1 2 3 4 5; do
	t=r$round
	"$RIPTIDE" --rules "$WORK/rules.rql" --input "memif:$WORK/$t.sock" --workers 4 --share-cores \
		--out "$WORK/$t-out" --stats-out "$WORK/$t-stats.json" >"$WORK/$t.log" 2>&1 &
	rpid=$!
	at_exit kill -KILL "$rpid"
	wait_for_line "$WORK/$t.log" "polling" 30 || { not_ok "$t: riptide started"; cat "$WORK/$t.log"; finish; }
	"$RIPTIDE_GEN" send --pcap "$WORK/feed.pcap" --input "memif:$WORK/$t.sock:client" \
		--queues 4 --cores "$send_cores" --count $n --seconds 60 --link-wait 20 --linger 60 \
		--advance-ts >"$WORK/$t-send.out" 2>"$WORK/$t-send.err" &
	spid=$!
	at_exit kill -KILL "$spid"
	for _ in $(seq 600); do
		[ -s "$WORK/$t-send.out" ] && break
		sleep 0.1
	done
	sleep 1
	# riptide stops first, the client still connected
	kill -INT "$rpid"
	wait "$rpid"
	check_eq "$t: riptide exit status" "$?" 0
	kill -INT "$spid"
	wait "$spid"
	check_eq "$t: sender exit status" "$?" 0
	s=$WORK/$t-stats.json
	check_eq "$t: the sender's report" \
		"$(jq -c '{sent, queues, lcores}' "$WORK/$t-send.out")" \
		"{\"sent\":$n,\"queues\":4,\"lcores\":$(((${#cores[@]} > 1) + 1))}"
	check_eq "$t: every packet received" "$(jq .rx_packets "$s")" $n
	check_eq "$t: a queue per worker" "$(jq -c '[.lcores[].rx_queues]' "$s")" "[1,1,1,1]"
	check_eq "$t: every worker received from its queue" "$(jq '[.lcores[].rx_packets > 0] | all' "$s")" true
	check_eq "$t: the workers' packets add up" "$(jq '[.lcores[].rx_packets] | add' "$s")" $n
	# (the feed's event times jitter: an event behind the watermark is late, counted)
	check_eq "$t: every event in a window or counted late" \
		"$(($(cat "$WORK/$t-out"/per_card* 2>/dev/null | jq -s 'map(.n) | add') + $(jq '.late_events.per_card // 0' "$s")))" $n
done
finish
