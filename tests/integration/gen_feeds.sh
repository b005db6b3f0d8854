#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# riptide-gen's feeds, read back by riptide on a net_pcap port:
#   1. every schema (payments, clickstream, IoT) in every format (JSON, CSV, binary),
#      three records a datagram, 10 % of them spoilt in every way the format can be:
#      riptide, on the stream that `riptide-gen ddl` declares, counts what the
#      manifest says, reason by reason;
#   2. key skew: with --zipf 1.1 over 1,000 keys the first key's share of the events
#      (an alert per event to the file sink) is the Zipf weight's, within 10 %; uniform
#      keys, none above 1 %;
#   3. fraud: payments with --fraud 0.01: card testing and velocity patterns find on
#      the fraud cards (5000...) exactly the sequences the manifest says were injected,
#      and nothing on the others' cards for card testing.
. "$(dirname "$0")/lib/common.sh"
require_root

run() { # run RULES PCAP STATS [OUT]: riptide on the pcap, one lcore
	"$RIPTIDE" --rules "$1" --input "pcap:$2" --workers 1 --stats-out "$3" \
		${4:+--out "$4"} >"$WORK/riptide.log" 2>&1
}

# --- 1. every schema, every format -------------------------------------------
for schema in payments clickstream iot; do
	for f in json csv binary; do
		"$RIPTIDE_GEN" ddl --schema $schema --format $f --port 9000 >"$WORK/s.rql"
		"$RIPTIDE_GEN" pcap --schema $schema --format $f --port 9000 --out "$WORK/s.pcap" \
			--manifest "$WORK/s.json" --seed 11 --count 3000 --batch 3 --keys 500 \
			--zipf 0.8 --jitter-ms 50 --malformed 0.1 \
			--malformed-kinds syntax,bad_type,bad_timestamp,missing_timestamp,bad_utf8,field_count \
			>/dev/null || not_ok "$schema $f: riptide-gen"
		run "$WORK/s.rql" "$WORK/s.pcap" "$WORK/stats.json"
		check_eq "$schema $f: riptide exit status" "$?" 0
		check_eq "$schema $f: events" "$(jq .events "$WORK/stats.json")" "$(jq .events "$WORK/s.json")"
		check_eq "$schema $f: malformed by reason" "$(jq -c .malformed "$WORK/stats.json")" \
			"$(jq -c .malformed "$WORK/s.json")"
		check_eq "$schema $f: every kind the format has" \
			"$(jq '.malformed | length' "$WORK/s.json")" \
			"$(case $f in json) echo 5 ;; csv) echo 6 ;; binary) echo 2 ;; esac)"
	done
done

# --- 2. key skew --------------------------------------------------------------
cat >"$WORK/keys.rql" <<'RQL'
CREATE STREAM payments (ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE,
    country STRING, status STRING) WITH (format = 'json', port = 9000);
CREATE ALERT every WITH (topic = 'cards') AS SELECT card FROM payments;
RQL
share() { # share ZIPF: the first key's share of 20,000 events, and the largest share
	rm -rf "$WORK/out"
	"$RIPTIDE_GEN" pcap --out "$WORK/k.pcap" --seed 5 --count 20000 --keys 1000 --zipf "$1" >/dev/null
	run "$WORK/keys.rql" "$WORK/k.pcap" "$WORK/stats.json" "$WORK/out"
	jq -r .card "$WORK"/out/cards* | sort | uniq -c | sort -rn >"$WORK/counts.txt"
	awk '$2 == "4000000000000000" { print $1 / 20000 }' "$WORK/counts.txt"
	head -1 "$WORK/counts.txt" | awk '{ print $1 / 20000 }'
}
want=$(python3 -c 'print(1 / sum(1 / (k + 1) ** 1.1 for k in range(1000)))')
read -r first top < <(share 1.1 | paste - -)
check_eq "zipf 1.1: first key's share $first, weight $want, within 10 %" \
	"$(python3 -c "print(abs($first - $want) <= 0.1 * $want)")" True
check_eq "zipf 1.1: the first key is the most frequent" "$first" "$top"
read -r _ top < <(share 0 | paste - -)
check_eq "uniform: largest share $top below 1 %" "$(python3 -c "print($top < 0.01)")" True

# --- 3. fraud sequences --------------------------------------------------------
cat >"$WORK/fraud.rql" <<'RQL'
CREATE STREAM pay (ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE,
    country STRING, status STRING) WITH (format = 'json', port = 9000, timestamp = 'ts');
CREATE PATTERN card_testing WITH (topic = 'testing') AS
    SELECT * FROM pay MATCH_RECOGNIZE (
        PARTITION BY card ORDER BY ts
        MEASURES COUNT(D.*) AS declines, LAST(B.amount) AS amount
        PATTERN (D{3,} B) WITHIN INTERVAL '60' SECOND
        DEFINE D AS status = 'declined' AND amount < 5, B AS status = 'approved' AND amount > 500
    );
CREATE PATTERN velocity WITH (topic = 'velocity') AS
    SELECT * FROM pay MATCH_RECOGNIZE (
        PARTITION BY card ORDER BY ts
        MEASURES COUNT(X.*) AS countries
        PATTERN (X{3}) WITHIN INTERVAL '5' MINUTES
        DEFINE X AS country <> 'DE' AND status = 'approved'
    );
RQL
rm -rf "$WORK/out"
"$RIPTIDE_GEN" pcap --out "$WORK/f.pcap" --manifest "$WORK/f.json" --seed 3 --count 30000 \
	--keys 100000 --fraud 0.01 >/dev/null || not_ok "riptide-gen --fraud"
run "$WORK/fraud.rql" "$WORK/f.pcap" "$WORK/stats.json" "$WORK/out"
check_eq "fraud: riptide exit status" "$?" 0
ct=$(jq .fraud.card_testing "$WORK/f.json")
ve=$(jq .fraud.velocity "$WORK/f.json")
check_eq "fraud: sequences injected" "$(jq '.fraud.card_testing > 50 and .fraud.velocity > 50' "$WORK/f.json")" true
check_eq "fraud: card testing found on the fraud cards" \
	"$(jq -r .card "$WORK"/out/testing* | grep -c '^5')" "$ct"
check_eq "fraud: card testing on no other card" "$(jq -r .card "$WORK"/out/testing* | grep -vc '^5')" 0
check_eq "fraud: velocity found on the fraud cards" \
	"$(jq -r .card "$WORK"/out/velocity* | grep '^5' | sort -u | wc -l)" "$ve"
finish
