#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Delivery to a real Kafka broker (KRaft, one node, in a namespace of this test with a
# veth pair), nothing lost:
#   1. a pcap replay: every result arrives once, alerts in order, aggregates in order
#      per key (their Kafka key); the archive holds every record, gzip'd, by hour;
#   2. a live feed of 100,000 events (tcpreplay into an af_packet port) while the
#      broker is stopped for 30 s and started again: every result arrives, in order,
#      twice only if counted as possibly persisted, the outage went through the spool;
#   3. riptide killed with SIGKILL during an outage, its spool full of results, and
#      started again once the broker is back: everything spooled arrives, once.
# Every alert carries its event's ts, unique per event: the sequence numbers checked.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/kafka.sh"
require_root

ns=rt-kafka-$$
netns_veth "$ns" rtk0 rtk1 || { not_ok "namespace with a veth pair"; finish; }
ip -n "$ns" link set lo up
KAFKA_NETNS=$ns
at_exit kafka_stop
if ! kafka_start "$WORK/kafka"; then
	not_ok "broker started"
	tail -20 "$WORK/kafka/stdout.log" "$WORK/kafka/server.log" 2>/dev/null
	finish
fi
ok "broker $KAFKA_VERSION on $KAFKA_BOOTSTRAP in namespace $ns"
B=$KAFKA_BOOTSTRAP
inns() { ip netns exec "$ns" "$@"; }

# rules PREFIX: alerts (one per event) and per-card tumbling counts to PREFIX_seq and
# PREFIX_agg.
rules() {
	cat >"$WORK/$1.rql" <<RQL
CREATE STREAM payments (ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE,
    country STRING, status STRING) WITH (format = 'json', port = 9000, timestamp = 'ts');
CREATE ALERT every WITH (topic = '$1_seq') AS SELECT card FROM payments;
CREATE AGGREGATE per_card WITH (topic = '$1_agg') AS
    SELECT card, COUNT(*) AS n FROM payments WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY card;
RQL
}

# consume TOPIC: every message of TOPIC, one per line.
consume() {
	inns kcat -C -b "$B" -t "$1" -o beginning -e -q -f '%s\n' 2>/dev/null
}

# check_seq WHAT TOPIC N [DUP]: the alerts of TOPIC are N distinct ts, in the order
# produced (each at its first arrival), at most DUP (default 0) of them twice: the
# results the sink counted as possibly persisted when their delivery failed.
check_seq() {
	consume "$2" | jq -r .ts >"$WORK/ts.txt"
	awk '!seen[$0]++' "$WORK/ts.txt" >"$WORK/ts-first.txt"
	check_eq "$1: alerts arrived" "$(wc -l <"$WORK/ts-first.txt")" "$3"
	check_eq "$1: alerts arrived twice, at most ${4:-0}" \
		"$(($(wc -l <"$WORK/ts.txt") - $(wc -l <"$WORK/ts-first.txt") <= ${4:-0}))" 1
	check_eq "$1: alerts in order" "$(sort -n -c "$WORK/ts-first.txt" 2>&1 && echo yes)" yes
}

# check_agg WHAT TOPIC N [DUP]: N aggregate results, at most DUP twice, windows in
# order per key (first arrivals), and the Kafka key is the GROUP BY value.
check_agg() {
	inns kcat -C -b "$B" -t "$2" -o beginning -e -q -f '%k\t%s\n' 2>/dev/null >"$WORK/agg.txt"
	check_eq "$1: key is the card" \
		"$(awk -F'\t' '{print $1}' "$WORK/agg.txt" | paste - <(cut -f2- "$WORK/agg.txt" | jq -r .card) |
			awk '$1 != $2' | wc -l)" 0
	cut -f2- "$WORK/agg.txt" | jq -r '[.card, .window_start] | @tsv' >"$WORK/kw.txt"
	awk '!seen[$0]++' "$WORK/kw.txt" >"$WORK/kw-first.txt"
	check_eq "$1: aggregates arrived" "$(wc -l <"$WORK/kw-first.txt")" "$3"
	check_eq "$1: aggregates twice, at most ${4:-0}" \
		"$(($(wc -l <"$WORK/kw.txt") - $(wc -l <"$WORK/kw-first.txt") <= ${4:-0}))" 1
	check_eq "$1: windows out of order per key" \
		"$(awk '{ if ($1 in last && $2 <= last[$1]) bad++; last[$1] = $2 } END { print bad + 0 }' "$WORK/kw-first.txt")" 0
}

# --- 1. a replay ---------------------------------------------------------------
rules replay
"$RIPTIDE_GEN" pcap --out "$WORK/replay.pcap" --manifest "$WORK/replay.json" --seed 7 \
	--count 20000 --interval-us 1000 --keys 50 >/dev/null || { not_ok "riptide-gen"; finish; }
inns "$RIPTIDE" --rules "$WORK/replay.rql" --input "pcap:$WORK/replay.pcap" --workers 1 \
	--kafka "$B" --spool "$WORK/spool1" --stats-out "$WORK/replay-stats.json" \
	--archive "$WORK/archive" >"$WORK/replay.log" 2>&1
check_eq "replay: riptide exit status" "$?" 0
s=$WORK/replay-stats.json
produced=$(jq .produced "$s")
aggs=$(jq '.results.per_card' "$s")
check_eq "replay: results" "$(jq '.results.every' "$s")" 20000
check_eq "replay: delivered = produced" "$(jq .delivered "$s")" "$produced"
check_eq "replay: nothing spooled" "$(jq .spooled "$s")" 0
check_eq "replay: nothing lost" "$(jq -c .lost "$s")" "{}"
check_eq "replay: Kafka's delivery reports" "$(jq '.sink.kafka.delivered' "$s")" "$produced"
check_eq "replay: a latency for every delivery" "$(jq '.sink.kafka.delivery_latency_us | add' "$s")" "$produced"
# RX to acknowledgement: each result timed from its packet's RX at commit is timed at
# its acknowledgement too; the others (windows closed at the end of the input) untimed
check_eq "replay: RX to ack for each result timed from RX" \
	"$(jq '(.sink.kafka.rx_to_ack_latency_us | add) == (.rx_to_result_latency_us | add)' "$s")" true
check_eq "replay: RX to ack timed + untimed = delivered" \
	"$(jq '(.sink.kafka.rx_to_ack_latency_us | add) + .sink.kafka.rx_to_ack_untimed' "$s")" "$produced"
check_eq "replay: the producer's queue was seen" "$(jq '.sink.kafka.queue_peak > 0 and .sink.kafka.queue_at_stop == 0' "$s")" true
check_eq "replay: delivered to replay_seq" "$(jq '.sink.delivered_by_topic.replay_seq' "$s")" 20000
check_eq "replay: delivered to replay_agg" "$(jq '.sink.delivered_by_topic.replay_agg' "$s")" "$aggs"
check_seq replay replay_seq 20000
check_agg replay replay_agg "$aggs"
# the archive: the same 20,000 records, readable by zcat, in stream=/dt=/hour= folders
check_eq "archive: records" "$(jq '.archive.records' "$s")" 20000
check_eq "archive: none dropped" "$(jq '.archive.dropped' "$s")" 0
check_eq "archive: no file left in progress" "$(find "$WORK/archive" -name '.*' -type f | wc -l)" 0
check_eq "archive: partition folders" \
	"$(find "$WORK/archive" -name 'part-*.json.gz' | sed "s|$WORK/archive/||; s|/part-.*||" | sort -u |
		grep -cE '^stream=payments/dt=[0-9]{4}-[0-9]{2}-[0-9]{2}/hour=[0-9]{2}$')" \
	"$(find "$WORK/archive" -name 'part-*.json.gz' -printf '%h\n' | sort -u | wc -l)"
zcat "$WORK"/archive/stream=payments/dt=*/hour=*/part-*.json.gz | jq -r .ts | sort -n >"$WORK/archived-ts.txt"
check_eq "archive: the records of the events" "$(cmp -s "$WORK/archived-ts.txt" <(sort -n "$WORK/ts.txt") && echo same)" same

# --- 2. the broker stopped for 30 s under a live feed --------------------------
rules live
n=100000
"$RIPTIDE_GEN" pcap --out "$WORK/live.pcap" --manifest "$WORK/live.json" --seed 8 \
	--count $n --interval-us 1000 --keys 50 >/dev/null || { not_ok "riptide-gen"; finish; }
# (ip netns exec itself in the background, not the inns function: $! is riptide)
ip netns exec "$ns" "$RIPTIDE" --rules "$WORK/live.rql" --input af_packet:rtk1 --workers 1 \
	--kafka "$B" --spool "$WORK/spool2" --kafka-stall-ms 2000 \
	--stats-out "$WORK/live-stats.json" >"$WORK/live.log" 2>&1 &
rpid=$!
at_exit kill -KILL "$rpid"
if ! wait_for_line "$WORK/live.log" "worker lcore(s) polling" 30; then
	not_ok "live: riptide started"
	cat "$WORK/live.log"
	finish
fi
# 2,000 events a second for 50 s; the broker goes at 5 s and comes back 30 s later
ip netns exec "$ns" tcpreplay --pps 2000 -q -i rtk0 "$WORK/live.pcap" >"$WORK/replay-live.log" 2>&1 &
tpid=$!
sleep 5
kafka_stop
ok "live: broker stopped at 5 s"
sleep 30
if kafka_restart; then ok "live: broker started again after 30 s"; else not_ok "live: broker restart"; fi
wait "$tpid"
check_eq "live: tcpreplay exit status" "$?" 0
# every alert delivered, then a clean stop
for _ in $(seq 1 120); do
	[ "$(inns kcat -C -b "$B" -t live_seq -o beginning -e -q -f '.\n' 2>/dev/null | wc -l)" -ge $n ] && break
	sleep 1
done
kill -TERM "$rpid"
wait "$rpid"
check_eq "live: riptide exit status after SIGTERM" "$?" 0
s=$WORK/live-stats.json
check_counters "$s" "$WORK/live.json"
produced=$(jq .produced "$s")
check_eq "live: results" "$(jq '.results.every' "$s")" $n
check_eq "live: delivered = produced" "$(jq .delivered "$s")" "$produced"
check_eq "live: nothing lost" "$(jq -c .lost "$s")" "{}"
# (every broker down, or, when the broker's shutdown holds connections open a while,
# no delivery report for --kafka-stall-ms: whichever comes first)
check_eq "live: the outage was seen" \
	"$(jq '.sink.kafka.outages | (.brokers_down // 0) + (.stalled // 0) > 0' "$s")" true
check_eq "live: results went through the spool" "$(jq '.spooled > 0' "$s")" true
check_eq "live: all spooled replayed" "$(jq '.sink.kafka.replayed == .spooled' "$s")" true
check_eq "live: RX to ack timed + untimed = delivered" \
	"$(jq '((.sink.kafka.rx_to_ack_latency_us | add) // 0) + .sink.kafka.rx_to_ack_untimed == .sink.kafka.delivered' "$s")" true
check_eq "live: replayed results untimed (no RX stamp in the spool)" \
	"$(jq '.sink.kafka.rx_to_ack_untimed >= .sink.kafka.replayed' "$s")" true
check_eq "live: spool empty at stop" "$(jq '.sink.spool.records_at_stop' "$s")" 0
# at least once: a result whose request was under way when the broker went (librdkafka
# cannot know whether it was written) is sent again from the spool and may arrive
# twice; the sink counts each such result
dup=$(jq '.sink.kafka.possibly_persisted' "$s")
ok "live: results possibly persisted before their failure: $dup"
check_seq live live_seq $n "$dup"
check_agg live live_agg "$(jq '.results.per_card' "$s")" "$dup"
grep -h "spooled\|outage\|kafka:" "$WORK/live.log" | head -5

# --- 3. SIGKILL during an outage -----------------------------------------------
rules crash
"$RIPTIDE_GEN" pcap --out "$WORK/crash.pcap" --seed 9 --count 20000 --interval-us 1000 \
	--keys 50 >/dev/null || { not_ok "riptide-gen"; finish; }
python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<IHHiIII',0xa1b2c3d4,2,4,0,0,65535,1))" >"$WORK/empty.pcap"
kafka_stop
ip netns exec "$ns" "$RIPTIDE" --rules "$WORK/crash.rql" --input "pcap:$WORK/crash.pcap" --workers 1 \
	--kafka "$B" --spool "$WORK/spool3" --kafka-stall-ms 1000 --drain-timeout 600 \
	>"$WORK/crash.log" 2>&1 &
cpid=$!
at_exit kill -KILL "$cpid"
if wait_for_line "$WORK/crash.log" "kafka: stopping: waiting" 60; then
	ok "crash: riptide waits for the brokers at the end of its input"
else
	not_ok "crash: riptide waits for the brokers"
	cat "$WORK/crash.log"
fi
sleep 3 # longer than --kafka-stall-ms and a spool sync
kill -KILL "$cpid"
wait "$cpid" 2>/dev/null
check_eq "crash: spool segments left" "$(ls "$WORK/spool3" | grep -c '^seg-' | awk '{print ($1 > 0)}')" 1
if kafka_restart; then ok "crash: broker started again"; else not_ok "crash: broker restart"; fi
inns "$RIPTIDE" --rules "$WORK/crash.rql" --input "pcap:$WORK/empty.pcap" --workers 1 \
	--kafka "$B" --spool "$WORK/spool3" --stats-out "$WORK/crash-stats.json" \
	>"$WORK/crash2.log" 2>&1
check_eq "crash: restarted riptide exit status" "$?" 0
s=$WORK/crash-stats.json
check_eq "crash: replayed what the spool held" "$(jq '.sink.kafka.replayed == .sink.spool.records_at_start and .sink.spool.records_at_start > 20000' "$s")" true
check_eq "crash: nothing lost" "$(jq -c .lost "$s")" "{}"
check_eq "crash: spool empty" "$(jq '.sink.spool.records_at_stop' "$s")" 0
check_eq "crash: no corrupt spool tail" "$(jq '.sink.spool.corrupt_records' "$s")" 0
check_seq crash crash_seq 20000
finish
