#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The harness works end to end: pcaps of JSON, CSV and binary feeds with malformed
# records, non-UDP, fragmented, truncated, VLAN and IPv6 packets are replayed through
# riptide's net_pcap ports; every counter matches the generator's manifest and the
# conservation law holds, with run-to-completion and with a worker lcore.
. "$(dirname "$0")/lib/common.sh"
require_root

cat >"$WORK/rules.rql" <<'RQL'
CREATE STREAM payments_json (ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE,
    country STRING, status STRING) WITH (format = 'json', port = 9000, timestamp = 'ts');
CREATE STREAM payments_csv (ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE,
    country STRING, status STRING) WITH (format = 'csv', port = 9200, timestamp = 'ts');
CREATE STREAM payments_bin (ts TIMESTAMP, card STRING(16), merchant STRING(16), amount DOUBLE,
    country STRING(2), status STRING(8)) WITH (format = 'binary', port = 9400, timestamp = 'ts');
RQL

common=(--count 3000 --noise 0.3 --malformed 0.05 --ipv6 0.2 --vlan 0.2 --jitter-ms 500)
"$RIPTIDE_GEN" pcap --out "$WORK/json.pcap" --manifest "$WORK/json.json" --seed 11 \
	--format json --port 9000 --batch 3 "${common[@]}" >/dev/null &&
	"$RIPTIDE_GEN" pcap --out "$WORK/csv.pcap" --manifest "$WORK/csv.json" --seed 12 \
		--format csv --port 9200 "${common[@]}" >/dev/null &&
	"$RIPTIDE_GEN" pcap --out "$WORK/bin.pcap" --manifest "$WORK/bin.json" --seed 13 \
		--format binary --port 9400 --batch 4 "${common[@]}" >/dev/null ||
	{ not_ok "riptide-gen"; finish; }

# The generator is deterministic: the same seed gives the same bytes.
"$RIPTIDE_GEN" pcap --out "$WORK/again.pcap" --seed 11 --format json --port 9000 --batch 3 \
	"${common[@]}" >/dev/null
check_eq "same seed, same pcap" "$(cmp -s "$WORK/json.pcap" "$WORK/again.pcap" && echo same)" same

# One input.
"$RIPTIDE" --rules "$WORK/rules.rql" --input "pcap:$WORK/json.pcap" --workers 0 \
	--stats-out "$WORK/one.json" >"$WORK/one.log" 2>&1
check_eq "riptide exit status (one pcap, run to completion)" "$?" 0
check_counters "$WORK/one.json" "$WORK/json.json"
check_eq "ports[0].ipackets" "$(jq '.ports[0].ipackets' "$WORK/one.json")" \
	"$(jq '.rx_packets' "$WORK/json.json")"

# Three inputs at once, polled by a worker lcore.
sum_manifests "$WORK/all.json" "$WORK/json.json" "$WORK/csv.json" "$WORK/bin.json"
"$RIPTIDE" --rules "$WORK/rules.rql" --input "pcap:$WORK/json.pcap" \
	--input "pcap:$WORK/csv.pcap" --input "pcap:$WORK/bin.pcap" --workers 1 \
	--stats-out "$WORK/three.json" >"$WORK/three.log" 2>&1
check_eq "riptide exit status (three pcaps, one worker)" "$?" 0
check_counters "$WORK/three.json" "$WORK/all.json"
check_eq "ports in the stats" "$(jq '.ports | length' "$WORK/three.json")" 3
check_eq "summary line on stdout" \
	"$(grep -c '^riptide: rx_packets .* = datagrams .* + filtered .* + decode_errors' "$WORK/three.log")" 1

# Dropping a stream from the rules turns its datagrams into unknown_port.
head -4 "$WORK/rules.rql" >"$WORK/two.rql"
"$RIPTIDE" --rules "$WORK/two.rql" --input "pcap:$WORK/bin.pcap" --workers 0 \
	--stats-out "$WORK/nostream.json" >/dev/null 2>&1
check_eq "datagrams to an undeclared port" "$(jq '.datagrams' "$WORK/nostream.json")" 0
check_eq "unknown_port holds them" "$(jq '.filtered.unknown_port' "$WORK/nostream.json")" \
	"$(jq '.datagrams + .filtered.unknown_port' "$WORK/bin.json")"

# An empty pcap ends at once.
"$RIPTIDE_GEN" pcap --out "$WORK/empty.pcap" --count 0 >/dev/null
timeout 30 "$RIPTIDE" --rules "$WORK/rules.rql" --input "pcap:$WORK/empty.pcap" \
	--stats-out "$WORK/empty.json" >/dev/null 2>&1
check_eq "empty pcap: exit status" "$?" 0
check_eq "empty pcap: rx_packets" "$(jq '.rx_packets' "$WORK/empty.json")" 0
finish
