#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Ingest end to end on net_pcap ports: a pcap of mixed formats (JSON, CSV, binary
# streams, each datagram of one) with every kind of malformed record and every kind
# of unwanted packet; every counter, per reason and per stream, matches what the
# generator wrote, with one worker lcore and run to completion alike; every malformed
# record reaches its stream's dead letter topic in the file sink, raw, with its
# reason; the software pre-filter blocks prefixes and limits per-source rates exactly.
. "$(dirname "$0")/lib/common.sh"
require_root

cat >"$WORK/rules.rql" <<'RQL'
CREATE STREAM pay_json (ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE,
    country STRING, status STRING)
    WITH (format = 'json', port = 9000, timestamp = 'ts', dead_letter_topic = 'dead_text');
CREATE STREAM pay_csv (ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE,
    country STRING, status STRING)
    WITH (format = 'csv', port = 9200, timestamp = 'ts', dead_letter_topic = 'dead_text');
CREATE STREAM pay_bin (ts TIMESTAMP, card STRING(16), merchant STRING(16), amount DOUBLE,
    country STRING(2), status STRING(8))
    WITH (format = 'binary', port = 9400, timestamp = 'ts', dead_letter_topic = 'dead_bin');
RQL

kinds=syntax,bad_type,bad_timestamp,missing_timestamp,bad_utf8,field_count
"$RIPTIDE_GEN" pcap --out "$WORK/mixed.pcap" --manifest "$WORK/mixed.json" --seed 21 \
	--count 20000 --format json,csv,binary --port 9000,9200,9400 --batch 3 \
	--malformed 0.05 --malformed-kinds "$kinds" --noise 0.2 --ipv6 0.2 --vlan 0.1 \
	>/dev/null || { not_ok "riptide-gen"; finish; }
check_eq "the manifest has every malformed reason" \
	"$(jq -r '.malformed | keys | join(",")' "$WORK/mixed.json")" \
	"bad_csv,bad_json,bad_length,bad_timestamp,bad_type,bad_utf8,field_count,missing_timestamp"

for workers in 1 0; do
	rm -rf "$WORK/out"
	"$RIPTIDE" --rules "$WORK/rules.rql" --input "pcap:$WORK/mixed.pcap" --workers $workers \
		--out "$WORK/out" --stats-out "$WORK/stats$workers.json" >"$WORK/run.log" 2>&1
	check_eq "riptide exit status (--workers $workers)" "$?" 0
	check_counters "$WORK/stats$workers.json" "$WORK/mixed.json"
	# per stream: the stream of each generator port
	for s in "json 0" "csv 1" "bin 2"; do
		set -- $s
		check_eq "stream pay_$1" \
			"$(jq -c "[.streams.pay_$1 | .datagrams, .records, .events, .malformed]" \
				"$WORK/stats$workers.json")" \
			"$(jq -c "[.streams[$2] | .datagrams, .records, .events, .malformed]" \
				"$WORK/mixed.json")"
		check_eq "pay_$1: every malformed record is a dead letter" \
			"$(jq ".streams.pay_$1.dead_letters" "$WORK/stats$workers.json")" \
			"$(jq ".streams[$2].malformed" "$WORK/mixed.json")"
	done
	# the dead letters in the file sink: one line each, by reason as counted
	check_eq "dead letters written" "$(cat "$WORK"/out/dead_*.ndjson | wc -l)" \
		"$(jq '[.malformed[]] | add' "$WORK/mixed.json")"
	check_eq "dead letters by reason" \
		"$(jq -cs 'group_by(.reason) | map({(.[0].reason): length}) | add' \
			"$WORK"/out/dead_*.ndjson)" "$(jq -cS '.malformed' "$WORK/mixed.json")"
	check_eq "messages: produced = delivered, none lost" \
		"$(jq -c '[.produced, .delivered, .lost]' "$WORK/stats$workers.json")" \
		"$(jq -c '[([.malformed[]] | add), ([.malformed[]] | add), {}]' "$WORK/mixed.json")"
done
# (latencies are times: their buckets differ, their totals do not; stage costs are
# times over samples: the stages are the same)
check_eq "run to completion and one worker count alike" \
	"$(jq -cS 'del(.uptime_s, .lcores, .ports) | .rx_to_result_latency_us |= ([.[]] | add) | .stages |= keys' "$WORK/stats0.json")" \
	"$(jq -cS 'del(.uptime_s, .lcores, .ports) | .rx_to_result_latency_us |= ([.[]] | add) | .stages |= keys' "$WORK/stats1.json")"

# Dead letters: text records as they were, binary ones in base64, with their reason.
check_eq "a bad_json dead letter holds the record as it came" \
	"$(jq -r 'select(.reason == "bad_json") | .record' "$WORK/out/dead_text.ndjson" |
		head -1 | grep -c '^{"ts":[0-9]*,"card":"[0-9]*",.*"status":"[a-z]*"$')" 1
check_eq "dead letters carry stream, reason, ruleset, ts, src and port" \
	"$(jq -c 'select(.stream == "pay_csv") | keys' "$WORK/out/dead_text.ndjson" | sort -u)" \
	$'["port","reason","record","ruleset","src","stream","ts"]\n["port","reason","record_base64","ruleset","src","stream","ts"]'
check_eq "a bad_length dead letter is the raw record in base64" \
	"$(jq -r 'select(.reason == "bad_length") | .record_base64' "$WORK/out/dead_bin.ndjson" |
		head -1 | base64 -d | wc -c)" 58
check_eq "a bad_utf8 CSV record comes back byte for byte" \
	"$(jq -r 'select(.reason == "bad_utf8" and .stream == "pay_csv") | .record_base64' \
		"$WORK/out/dead_text.ndjson" | head -1 | base64 -d | grep -ac $'merchant\xff-')" 1

# Without an output, what would have been sent is counted as lost, not dropped unseen.
"$RIPTIDE" --rules "$WORK/rules.rql" --input "pcap:$WORK/mixed.pcap" --workers 0 \
	--stats-out "$WORK/nosink.json" >/dev/null 2>&1
check_eq "no sink: lost{no_sink} holds the dead letters" \
	"$(jq '.lost.no_sink' "$WORK/nosink.json")" "$(jq '[.malformed[]] | add' "$WORK/mixed.json")"

# --backpressure drop with a small result ring: whatever is lost is counted.
rm -rf "$WORK/out"
"$RIPTIDE" --rules "$WORK/rules.rql" --input "pcap:$WORK/mixed.pcap" --workers 1 \
	--out "$WORK/out" --backpressure drop --result-ring 64 --stats-out "$WORK/drop.json" \
	>/dev/null 2>&1
check_eq "drop policy: exit status" "$?" 0
check_eq "drop policy: produced + lost = dead letters" \
	"$(jq '.produced + (.lost.sink_ring_full // 0)' "$WORK/drop.json")" \
	"$(jq '[.malformed[]] | add' "$WORK/mixed.json")"
check_eq "drop policy: delivered = lines written" "$(jq '.delivered' "$WORK/drop.json")" \
	"$(cat "$WORK"/out/dead_*.ndjson | wc -l)"

# The software pre-filter. IPv4 sources are 10.0.0.k, IPv6 ones fd00::k.
"$RIPTIDE_GEN" pcap --out "$WORK/v4.pcap" --manifest "$WORK/v4.json" --seed 22 --count 3000 \
	--sources 8 --noise 0.2 >/dev/null
"$RIPTIDE_GEN" pcap --out "$WORK/v6.pcap" --manifest "$WORK/v6.json" --seed 23 --count 3000 \
	--sources 8 --ipv6 1 --noise 0.2 --noise-kinds unknown_port,truncated >/dev/null
v4=$(jq .datagrams "$WORK/v4.json")
v6=$(jq .datagrams "$WORK/v6.json")
"$RIPTIDE" --rules "$WORK/rules.rql" --input "pcap:$WORK/v4.pcap" --input "pcap:$WORK/v6.pcap" \
	--workers 0 --block 10.0.0.0/29 --stats-out "$WORK/block4.json" >/dev/null 2>&1
check_eq "--block 10.0.0.0/29: blocked_source, datagrams" \
	"$(jq -c '[.filtered.blocked_source, .datagrams]' "$WORK/block4.json")" "[$v4,$v6]"
check_eq "blocking leaves unknown_port as it was" "$(jq '.filtered.unknown_port' "$WORK/block4.json")" \
	"$(jq '[.filtered.unknown_port] | add' "$WORK/v4.json" "$WORK/v6.json" | jq -s add)"
"$RIPTIDE" --rules "$WORK/rules.rql" --input "pcap:$WORK/v4.pcap" --input "pcap:$WORK/v6.pcap" \
	--workers 0 --block 10.0.0.4/30 --block fd00::/16 --stats-out "$WORK/block6.json" \
	>/dev/null 2>&1
check_eq "--block 10.0.0.4/30 and fd00::/16: all of v6 and half of v4" \
	"$(jq '.datagrams + .filtered.blocked_source' "$WORK/block6.json")" "$((v4 + v6))"
check_eq "--block fd00::/16: no IPv6 datagram left" \
	"$(jq '.streams.pay_json.datagrams' "$WORK/block6.json")" \
	"$(jq '.datagrams' "$WORK/block6.json")"

# Rate limit on the capture's clock: one source at 10,000 packets/s (100 us apart),
# limited to 1,000/s with no burst, passes exactly every tenth packet.
"$RIPTIDE_GEN" pcap --out "$WORK/rate.pcap" --seed 24 --count 1000 --sources 1 \
	--interval-us 100 >/dev/null
"$RIPTIDE" --rules "$WORK/rules.rql" --input "pcap:$WORK/rate.pcap" --workers 0 \
	--rate-limit 1000 --rate-burst 1 --stats-out "$WORK/rate.json" >/dev/null 2>&1
check_eq "--rate-limit 1000 --rate-burst 1: datagrams, rate_limited" \
	"$(jq -c '[.datagrams, .filtered.rate_limited]' "$WORK/rate.json")" "[100,900]"
"$RIPTIDE" --rules "$WORK/rules.rql" --input "pcap:$WORK/rate.pcap" --workers 0 \
	--rate-limit 1000 --rate-burst 50 --stats-out "$WORK/burst.json" >/dev/null 2>&1
# a bucket of 50 tokens, full at the start, refilled one a millisecond over the 99.9 ms
# of the capture: 50 + 99
check_eq "--rate-burst 50: the burst, then one a millisecond" \
	"$(jq -c '[.datagrams, .filtered.rate_limited]' "$WORK/burst.json")" "[149,851]"
finish
