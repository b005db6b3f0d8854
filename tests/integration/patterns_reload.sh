#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A live reload in the middle of pattern matches: riptide on an af_packet port (one
# end of a veth pair in a namespace this test creates), payments sent in two phases
# with a rule-file load between them. Set a holds velocity and card_testing (one bank,
# card_testing its second lane); set b drops velocity, keeps card_testing (now its
# first lane) and adds big_spend. Declines sent before the load must complete
# card_testing matches with approvals sent after it (the partial matches carried over,
# under the new version); velocity, gone, must not complete; big_spend sees only what
# came after its load. With every layout of lcores, and again with a watermark delay
# (the rows of before the load then wait across it).
. "$(dirname "$0")/lib/common.sh"
require_root
LIB=$(cd "$(dirname "$0")/lib" && pwd)
CTL=$RIPTIDE_BUILD/control/riptidectl

ns=rt-prel-$$
netns_veth "$ns" rtp0 rtp1 || { not_ok "namespace with a veth pair"; finish; }

stream="CREATE STREAM pay (ts TIMESTAMP, card STRING, amount DOUBLE, country STRING,
    status STRING) WITH (format = 'json', port = 9000, timestamp = 'ts');"
card_testing="CREATE PATTERN card_testing WITH (topic = 'fraud') AS
    SELECT * FROM pay MATCH_RECOGNIZE (
        PARTITION BY card ORDER BY ts
        MEASURES FIRST(D.ts) AS first_decline, COUNT(D.*) AS declines, LAST(B.amount) AS amount
        PATTERN (D{3,} B) WITHIN INTERVAL '60' SECOND
        DEFINE D AS status = 'declined', B AS status = 'approved' AND amount > 500
    );"
velocity="CREATE PATTERN velocity WITH (topic = 'fraud') AS
    SELECT * FROM pay MATCH_RECOGNIZE (
        PARTITION BY card ORDER BY ts
        MEASURES COUNT(X.*) AS abroad
        PATTERN (X (H* X){2}) WITHIN INTERVAL '5' MINUTES
        DEFINE X AS country <> 'DE', H AS country = 'DE'
    );"
big_spend="CREATE PATTERN big_spend WITH (topic = 'fraud') AS
    SELECT * FROM pay MATCH_RECOGNIZE (
        PARTITION BY card ORDER BY ts
        MEASURES SUM(S.amount) AS spent
        PATTERN (S S) WITHIN INTERVAL '60' SECOND
        DEFINE S AS amount > 1000
    );"
printf '%s\n%s\n%s\n' "$stream" "$velocity" "$card_testing" >"$WORK/a.rql"
printf '%s\n%s\n%s\n' "$stream" "$card_testing" "$big_spend" >"$WORK/b.rql"
# The same with a watermark delay: phase 1's rows still wait for the watermark at the
# load, and are taken under set b (card_testing's kept, velocity's dropped, and not
# for big_spend, which came after them), beside phase 2's.
for f in a b; do
	sed "s/timestamp = 'ts');/timestamp = 'ts', watermark_delay = '2 SECONDS');/" \
		"$WORK/$f.rql" >"$WORK/$f-delay.rql"
done

# Phase 1 (set a): ct1 three declines, ct2 two, v1 two countries abroad, bs1 one
# payment over 1000 (abroad: velocity keeps it, big_spend does not exist yet).
# Phase 2 (set b): ct1 an approval of 900 (a match of 3 declines, 2 of them from
# before); ct2 a decline and an approval of 800 (3 declines across the load); v1 a
# third country (velocity is gone: nothing); bs1 two payments over 1000 (big_spend:
# those two, not the one before its load).
PYTHONPATH="$LIB" python3 - "$WORK" <<'PY'
import json, sys
from pcapw import udp_frame, write_pcap

T = 1700000000000
phases = [
    [(0, "ct1", 1.0, "DE", "declined"), (1000, "ct1", 1.0, "DE", "declined"),
     (2000, "ct1", 1.0, "DE", "declined"), (500, "ct2", 1.0, "DE", "declined"),
     (1500, "ct2", 1.0, "DE", "declined"), (700, "v1", 50.0, "FR", "approved"),
     (1700, "v1", 60.0, "IT", "approved"), (800, "bs1", 1200.0, "FR", "approved")],
    [(3000, "ct1", 900.0, "DE", "approved"), (3500, "ct2", 1.0, "DE", "declined"),
     (4000, "ct2", 800.0, "DE", "approved"), (4500, "v1", 70.0, "ES", "approved"),
     (5000, "bs1", 1100.0, "DE", "approved"), (6000, "bs1", 1300.0, "DE", "approved")],
]
for k, rows in enumerate(phases):
    rows.sort()
    frames = []
    for ts, card, amount, country, status in rows:
        rec = json.dumps({"ts": T + ts, "card": card, "amount": amount, "country": country,
                          "status": status})
        frames.append(((T + ts) * 1000, udp_frame(9000, rec.encode())))
    write_pcap("%s/phase%d.pcap" % (sys.argv[1], k + 1), frames)
PY
check_eq "pcaps written" "$?" 0

cat >"$WORK/want.fraud" <<'EOF'
{"rule":"big_spend","match_start":1700000005000,"match_end":1700000006000,"card":"bs1","spent":2400,"ruleset":2}
{"rule":"card_testing","match_start":1700000000000,"match_end":1700000003000,"card":"ct1","first_decline":1700000000000,"declines":3,"amount":900,"ruleset":2}
{"rule":"card_testing","match_start":1700000000500,"match_end":1700000004000,"card":"ct2","first_decline":1700000000500,"declines":3,"amount":800,"ruleset":2}
EOF

# send TAG PHASE: the phase's payments into the veth pair; waits until riptide has
# taken them all (events, from riptidectl stats).
send() {
	local tag=$1 phase=$2 want k got
	ip netns exec "$ns" tcpreplay --pps 1000 -q -i rtp0 "$WORK/phase$phase.pcap" \
		>"$WORK/$tag-replay$phase.log" 2>&1
	check_eq "$tag: phase $phase sent" "$?" 0
	want=$([ "$phase" = 1 ] && echo 8 || echo 14)
	for k in $(seq 1 100); do
		got=$("$CTL" --socket "$WORK/$tag.sock" --json stats 2>/dev/null | jq .result.events)
		[ "$got" = "$want" ] && break
		sleep 0.1
	done
	check_eq "$tag: riptide took phase $phase" "$got" "$want"
}

run() { # TAG SET-SUFFIX riptide-options...
	local tag=$1 sfx=$2 rpid
	shift 2
	ip netns exec "$ns" "$RIPTIDE" --rules "$WORK/a$sfx.rql" --input af_packet:rtp1 \
		--control "$WORK/$tag.sock" --out "$WORK/$tag-out" --stats-out "$WORK/$tag-stats.json" \
		"$@" >"$WORK/$tag.log" 2>&1 &
	rpid=$!
	at_exit kill -KILL "$rpid"
	if ! wait_for_line "$WORK/$tag.log" "polling" 30; then
		not_ok "$tag: riptide started"
		cat "$WORK/$tag.log"
		return
	fi
	send "$tag" 1
	# at the load, the bank's partitions: every card's without a delay; with one,
	# only ct1's (its first row at the watermark), the other rows wait
	check_eq "$tag: partitions held at the load" \
		"$("$CTL" --socket "$WORK/$tag.sock" --json stats | jq .result.state.card_testing.peak_keys)" \
		"$([ -z "$sfx" ] && echo 4 || echo 1)"
	"$CTL" --socket "$WORK/$tag.sock" --json rules load "$WORK/b$sfx.rql" >"$WORK/$tag-load.json" 2>&1
	check_eq "$tag: rules load" "$?" 0
	check_eq "$tag: b: one rule added, one removed, one carried" \
		"$(jq -c '.result | [.ruleset, .added, .removed, .carried]' "$WORK/$tag-load.json")" "[2,1,1,1]"
	send "$tag" 2
	kill -TERM "$rpid"
	wait "$rpid"
	check_eq "$tag: riptide exit status" "$?" 0
	check_eq "$tag: fraud: the matches across the load, under version 2" \
		"$(sort "$WORK/$tag-out/fraud.ndjson" 2>&1)" "$(sort "$WORK/want.fraud")"
	check_eq "$tag: results by rule (velocity's, counted while it ran)" "$(jq -cS .results "$WORK/$tag-stats.json")" \
		'{"big_spend":1,"card_testing":2,"velocity":0}'
	check_eq "$tag: nothing refused or lost" \
		"$(jq -c '[.state_full.card_testing, .state_full.big_spend, (.lost | add // 0)]' \
			"$WORK/$tag-stats.json")" "[0,0,0]"
}

run one "" --workers 1
run state "" --workers 2 --share-cores --state-lcores 1
run delay-one -delay --workers 1
run delay-state -delay --workers 2 --share-cores --state-lcores 1
finish
