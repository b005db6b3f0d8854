#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# AGGREGATE rules end to end on a net_pcap port: hand-written payments, out of order
# and one late, three rules (tumbling with grace and a late_topic, hopping grouped by
# another column with HAVING, session with WHERE), and the exact messages expected in
# the file sink, worked out by hand below. Run to completion, with one worker, with
# two (both owning keys), and with a separate state lcore: the watermark travels with
# the events, so every layout gives the same messages. Also: late_events, results and
# state in the stats, the end of the pcap closing every window, and an idle stream's
# watermark following the clock.
. "$(dirname "$0")/lib/common.sh"
require_root
LIB=$(cd "$(dirname "$0")/lib" && pwd)

cat >"$WORK/rules.rql" <<'RQL'
CREATE STREAM pay (ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE)
    WITH (format = 'json', port = 9000, timestamp = 'ts', watermark_delay = '2 SECONDS');

CREATE AGGREGATE spend WITH (late_topic = 'late') AS
    SELECT card, COUNT(*) AS n, SUM(amount) AS total, COUNT_DISTINCT(merchant) AS merchants,
           MAX(amount) AS top
    FROM pay WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 1 SECOND) GROUP BY card;
CREATE AGGREGATE load AS
    SELECT merchant, COUNT(*) AS n, AVG(amount) AS avg FROM pay
    WINDOW HOPPING (SIZE 20 SECONDS, ADVANCE BY 10 SECONDS) GROUP BY merchant
    HAVING COUNT(*) >= 2;
CREATE AGGREGATE visits WITH (late_topic = 'late') AS
    SELECT card, COUNT(*) AS n, MIN(amount) AS lo, MAX(amount) AS hi FROM pay
    WHERE amount > 0 WINDOW SESSION (5 SECONDS) GROUP BY card;
RQL

# Event times are T + the offsets below (ms), in arrival order. The watermark before
# each event is (largest time so far) - 2 s.
PYTHONPATH="$LIB" python3 - "$WORK/pay.pcap" <<'PY'
import json, sys
from pcapw import udp_frame, write_pcap

T = 1700000000000
ev = [  # (offset, card, merchant, amount); datagrams split where a list ends
    [(1000, "a", "m1", 10), (3000, "b", "m1", 20)],
    [(2000, "a", "m2", 5)],            # behind, but not behind the watermark
    [(9000, "a", "m1", 7)],
    [(12000, "b", "m2", 30)],          # W = 10000 after this
    [(8000, "b", "m1", 1)],            # far behind, yet [0,10) + 1 s grace is open
    [(14000, "a", "m3", 2)],           # W = 12000: tumbling [0,10) closes
    [(9500, "a", "m1", 100)],          # late for spend; on time for load and visits
    [(30000, "b", "m2", 40), (31000, "c", "m1", -5)],  # -5: not a visit
]
frames = []
for k, d in enumerate(ev):
    recs = [json.dumps({"ts": T + o, "card": c, "merchant": m, "amount": a})
            for o, c, m, a in d]
    frames.append((1700000000_000000 + k * 100_000, udp_frame(9000, "\n".join(recs).encode())))
write_pcap(sys.argv[1], frames)
PY
check_eq "pcap written" "$?" 0

# spend, TUMBLING 10 s + 1 s grace by card: [0,10) a = 10, 5, 7 (9500 came after W =
# 12000 >= 11000: late); b = 20, 1. [10,20) a = 2, b = 30. [30,40) b = 40, c = -5.
cat >"$WORK/want.spend" <<'EOF'
{"rule":"spend","window_start":1700000000000,"window_end":1700000010000,"card":"a","n":3,"total":22,"merchants":2,"top":10,"ruleset":1}
{"rule":"spend","window_start":1700000000000,"window_end":1700000010000,"card":"b","n":2,"total":21,"merchants":1,"top":20,"ruleset":1}
{"rule":"spend","window_start":1700000010000,"window_end":1700000020000,"card":"a","n":1,"total":2,"merchants":1,"top":2,"ruleset":1}
{"rule":"spend","window_start":1700000010000,"window_end":1700000020000,"card":"b","n":1,"total":30,"merchants":1,"top":30,"ruleset":1}
{"rule":"spend","window_start":1700000030000,"window_end":1700000040000,"card":"b","n":1,"total":40,"merchants":1,"top":40,"ruleset":1}
{"rule":"spend","window_start":1700000030000,"window_end":1700000040000,"card":"c","n":1,"total":-5,"merchants":1,"top":-5,"ruleset":1}
EOF
# load, HOPPING 20 s by 10 s by merchant, HAVING n >= 2: m1 [-10,10) = 10, 20, 7 (8000
# came when W = 10000 had closed it); m1 [0,20) = 10, 20, 7, 1, 100; m2 [0,20) = 5, 30.
# Every other window has one event.
cat >"$WORK/want.load" <<'EOF'
{"rule":"load","window_start":1699999990000,"window_end":1700000010000,"merchant":"m1","n":3,"avg":12.333333333333334,"ruleset":1}
{"rule":"load","window_start":1700000000000,"window_end":1700000020000,"merchant":"m1","n":5,"avg":27.6,"ruleset":1}
{"rule":"load","window_start":1700000000000,"window_end":1700000020000,"merchant":"m2","n":2,"avg":17.5,"ruleset":1}
EOF
# visits, SESSION 5 s by card, amount > 0: a [1000,7000) = 10, 5; b [3000,8000) = 20,
# closed at W = 10000 before 8000 arrived, so 8000 opens [8000,13000) and meets
# [12000,17000): b [8000,17000) = 30, 1; a [9000,14000) touched by 14000 and joined by
# 9500: a [9000,19000) = 7, 2, 100; b [30000,35000) = 40.
cat >"$WORK/want.visits" <<'EOF'
{"rule":"visits","window_start":1700000001000,"window_end":1700000007000,"card":"a","n":2,"lo":5,"hi":10,"ruleset":1}
{"rule":"visits","window_start":1700000003000,"window_end":1700000008000,"card":"b","n":1,"lo":20,"hi":20,"ruleset":1}
{"rule":"visits","window_start":1700000008000,"window_end":1700000017000,"card":"b","n":2,"lo":1,"hi":30,"ruleset":1}
{"rule":"visits","window_start":1700000009000,"window_end":1700000019000,"card":"a","n":3,"lo":2,"hi":100,"ruleset":1}
{"rule":"visits","window_start":1700000030000,"window_end":1700000035000,"card":"b","n":1,"lo":40,"hi":40,"ruleset":1}
EOF
cat >"$WORK/want.late" <<'EOF'
{"rule":"spend","ts":1700000009500,"event":{"ts":1700000009500,"card":"a","merchant":"m1","amount":100},"ruleset":1}
EOF

run() { # name, riptide options...
	local name=$1
	shift
	rm -rf "$WORK/out"
	"$RIPTIDE" --rules "$WORK/rules.rql" --input "pcap:$WORK/pay.pcap" "$@" \
		--out "$WORK/out" --stats-out "$WORK/stats.json" >"$WORK/run.log" 2>&1
	check_eq "riptide exit status ($name)" "$?" 0
	for topic in spend load visits late; do
		check_eq "topic $topic: exactly the expected messages ($name)" \
			"$(sort "$WORK/out/$topic.ndjson" 2>&1)" "$(sort "$WORK/want.$topic")"
	done
	check_eq "no other topic ($name)" "$(ls "$WORK/out" | sort | tr '\n' ' ')" \
		"late.ndjson load.ndjson spend.ndjson visits.ndjson "
	check_eq "results by rule ($name)" "$(jq -cS .results "$WORK/stats.json")" \
		'{"load":3,"spend":6,"visits":5}'
	check_eq "late events by rule ($name)" "$(jq -cS .late_events "$WORK/stats.json")" \
		'{"load":0,"spend":1,"visits":0}'
	check_eq "nothing refused, nothing lost ($name)" \
		"$(jq -c '[.state_full.spend, .state_full.load, .state_full.visits, .produced, .delivered, (.lost | add // 0)]' \
			"$WORK/stats.json")" "[0,0,0,15,15,0]"
	# RX to result: the late event and the 11 windows that events' watermarks closed
	# are timed from their packet (over the ring with a state lcore); the 3 windows
	# open at the end of the capture close by the clock
	check_eq "messages timed from their packet, made by the clock ($name)" \
		"$(jq -c '[([.rx_to_result_latency_us[]] | add), .rx_to_result_untimed]' "$WORK/stats.json")" "[12,3]"
	check_eq "state was held and measured ($name)" \
		"$(jq -c '[.state.spend.peak_keys > 0, .state.spend.bytes_per_key > 0, .state.visits.peak_keys > 0]' \
			"$WORK/stats.json")" "[true,true,true]"
	check_eq "every routed event handled ($name)" \
		"$(jq -c '.shard | [.routed == .local + .sent + .dropped, .dropped, .handled == .local + .received]' \
			"$WORK/stats.json")" "[true,0,true]"
}

run "run to completion" --workers 0
run "one worker" --workers 1
run "two workers owning keys" --workers 2 --share-cores
run "a separate state lcore" --workers 2 --share-cores --state-lcores 1
check_eq "the state lcore got its events through a ring" \
	"$(jq -c '.shard | [.sent > 0, .sent == .received]' "$WORK/stats.json")" "[true,true]"
# two state lcores: a watermark that an event moved reaches the other one in a marker,
# and the windows it closes there are timed from that event's packet all the same
run "two state lcores" --workers 3 --share-cores --state-lcores 2

# An idle stream follows the clock: payments stop after one event while another
# stream's packets go on for 14 s of capture time; past idle_timeout (10 s) the
# payments' watermark is (capture time - 2 s), so a payment of T + 5 s arriving at
# T + 15 s is late for spend ([0,10) + 1 s grace) and visits ([5,10)). With
# idle_timeout = 1 HOUR the same payment is on time.
cat >>"$WORK/rules.rql" <<'RQL'
CREATE STREAM iot (device STRING, temp DOUBLE) WITH (format = 'csv', port = 9100);
RQL
PYTHONPATH="$LIB" python3 - "$WORK/idle.pcap" <<'PY'
import json, sys
from pcapw import udp_frame, write_pcap

T = 1700000000000
pkts = [(1, 9000, json.dumps({"ts": T + 1000, "card": "a", "merchant": "m1", "amount": 10}))]
pkts += [(s, 9100, "d1,%d" % s) for s in range(2, 15)]
pkts += [(15, 9000, json.dumps({"ts": T + 5000, "card": "a", "merchant": "m1", "amount": 3}))]
write_pcap(sys.argv[1], [((1700000000 + sec) * 1_000_000, udp_frame(port, text.encode()))
                         for sec, port, text in pkts])
PY
for layout in "--workers 0" "--workers 2 --share-cores --state-lcores 1"; do
	rm -rf "$WORK/out"
	# shellcheck disable=SC2086
	"$RIPTIDE" --rules "$WORK/rules.rql" --input "pcap:$WORK/idle.pcap" $layout \
		--out "$WORK/out" --stats-out "$WORK/stats.json" >"$WORK/run.log" 2>&1
	check_eq "idle: exit status ($layout)" "$?" 0
	check_eq "idle: late by the clock ($layout)" "$(jq -cS .late_events "$WORK/stats.json")" \
		'{"load":0,"spend":1,"visits":1}'
	check_eq "idle: the late payment, once a rule ($layout)" \
		"$(jq -c '[.rule, .ts, .event.amount]' "$WORK/out/late.ndjson" | sort | tr '\n' ' ')" \
		'["spend",1700000005000,3] ["visits",1700000005000,3] '
done
sed 's/watermark_delay = .2 SECONDS.)/watermark_delay = '"'"'2 SECONDS'"'"', idle_timeout = '"'"'1 HOUR'"'"')/' \
	"$WORK/rules.rql" >"$WORK/patient.rql"
check_eq "idle_timeout set" "$(grep -c "1 HOUR" "$WORK/patient.rql")" 1
"$RIPTIDE" --rules "$WORK/patient.rql" --input "pcap:$WORK/idle.pcap" --workers 0 \
	--out "$WORK/out2" --stats-out "$WORK/stats.json" >"$WORK/run.log" 2>&1
check_eq "not idle yet: exit status" "$?" 0
check_eq "not idle yet: nothing late" "$(jq -cS .late_events "$WORK/stats.json")" \
	'{"load":0,"spend":0,"visits":0}'
check_eq "not idle yet: both payments in one window" \
	"$(jq -c '[.n, .total]' "$WORK/out2/spend.ndjson")" "[2,13]"
finish
