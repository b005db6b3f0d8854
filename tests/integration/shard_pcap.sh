#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Events of streams with KEY columns go to the lcore that owns their key: in place
# when that is the RX lcore itself, over a per-pair ring otherwise. With every role
# map (run to completion, one worker, workers with both roles, separate RX and state
# lcores) every event of a keyed stream is handled exactly once, what was sent was
# received, and riptide's own balance check passes; with the drop policy what is not
# handled is counted. The machine may have fewer cores than lcores: --share-cores.
. "$(dirname "$0")/lib/common.sh"
require_root

cat >"$WORK/rules.rql" <<'RQL'
CREATE STREAM pay_json (ts TIMESTAMP, card STRING KEY, merchant STRING, amount DOUBLE,
    country STRING, status STRING) WITH (format = 'json', port = 9000, timestamp = 'ts');
CREATE STREAM pay_csv (ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE,
    country STRING, status STRING) WITH (format = 'csv', port = 9200, timestamp = 'ts');
CREATE STREAM pay_bin (ts TIMESTAMP, card STRING(16) KEY, merchant STRING(16) KEY,
    amount DOUBLE, country STRING(2), status STRING(8))
    WITH (format = 'binary', port = 9400, timestamp = 'ts');
RQL
"$RIPTIDE_GEN" pcap --out "$WORK/mixed.pcap" --manifest "$WORK/mixed.json" --seed 31 \
	--count 20000 --format json,csv,binary --port 9000,9200,9400 --batch 2 --keys 5000 \
	--malformed 0.02 --noise 0.1 >/dev/null || { not_ok "riptide-gen"; finish; }
keyed=$(jq '.streams[0].events + .streams[2].events' "$WORK/mixed.json")

run() { # NAME ARGS...: riptide on the pcap; its stats in $WORK/NAME.json
	local name=$1
	shift
	"$RIPTIDE" --rules "$WORK/rules.rql" --input "pcap:$WORK/mixed.pcap" "$@" \
		--stats-out "$WORK/$name.json" >"$WORK/$name.log" 2>&1
	check_eq "$name: exit status (riptide checks its balances)" "$?" 0
	check_counters "$WORK/$name.json" "$WORK/mixed.json"
}
stat() { jq -c "$2" "$WORK/$1.json"; }

run rtc --workers 0
check_eq "run to completion: every keyed event handled in place" \
	"$(stat rtc '[.shard.local, .shard.sent, .shard.handled]')" "[$keyed,0,$keyed]"
check_eq "per-stream keyed events (the CSV stream has no KEY)" \
	"$(stat rtc '[.streams.pay_json.keyed_events, .streams.pay_csv.keyed_events,
		.streams.pay_bin.keyed_events]')" \
	"$(jq -c '[.streams[0].events, 0, .streams[2].events]' "$WORK/mixed.json")"

run both --workers 2 --share-cores
check_eq "two workers with both roles: handled once each, some over the ring" \
	"$(stat both '[.shard.handled, .shard.sent == .shard.received, .shard.sent > 0,
		.shard.local > 0]')" "[$keyed,true,true,true]"
check_eq "two workers: each owns a share" \
	"$(stat both '[.lcores[] | .keyed_events > 0] | all')" true
check_eq "two workers: the shares add up" "$(stat both '[.lcores[].keyed_events] | add')" "$keyed"

run split --workers 3 --state-lcores 2 --share-cores
check_eq "one RX and two state lcores: roles" "$(stat split '[.lcores[].role]')" \
	'["rx","state","state"]'
check_eq "one RX and two state lcores: all over rings, none in place" \
	"$(stat split '[.shard.local, .shard.sent, .shard.received, .shard.handled]')" \
	"[0,$keyed,$keyed,$keyed]"
check_eq "one RX and two state lcores: both state lcores own keys" \
	"$(stat split '[.lcores[1:][] | .keyed_events > 0] | all')" true

# A key always goes to the same lcore: two runs split the events the same way.
run split2 --workers 3 --state-lcores 2 --share-cores
check_eq "the same key, the same owner" "$(stat split2 '[.lcores[].keyed_events]')" \
	"$(stat split '[.lcores[].keyed_events]')"

run drop --workers 3 --state-lcores 2 --share-cores --backpressure drop
check_eq "drop policy: handled + dropped = keyed events" \
	"$(stat drop '.shard.handled + .shard.dropped')" "$keyed"

# Without a keyed stream nothing is routed and no ring is made.
sed 's/ KEY//g' "$WORK/rules.rql" >"$WORK/nokey.rql"
"$RIPTIDE" --rules "$WORK/nokey.rql" --input "pcap:$WORK/mixed.pcap" --workers 2 --share-cores \
	--stats-out "$WORK/nokey.json" >/dev/null 2>&1
check_eq "no KEY column: no event routed" "$(stat nokey '[.shard.local, .shard.sent]')" "[0,0]"

# Role maps that cannot work are refused at start.
"$RIPTIDE" --rules "$WORK/rules.rql" --input "pcap:$WORK/mixed.pcap" --workers 2 \
	--state-lcores 2 2>"$WORK/err.txt"
check_eq "--state-lcores equal to --workers: exit status" "$?" 2
check_eq "--state-lcores equal to --workers: message" "$(cat "$WORK/err.txt")" \
	"riptide: --state-lcores 2 leaves no worker to receive: give --workers at least 3"
finish
