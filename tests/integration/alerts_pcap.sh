#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# ALERT rules end to end on a net_pcap port: a pcap of hand-written events (JSON and
# CSV streams, several records a datagram, one malformed), a rule file of alerts
# (REGEXP, LIKE, IN, BETWEEN, IS NULL, arithmetic, functions, SELECT *, default and
# shared topics), and the exact alert messages expected in the file sink, with one
# worker lcore and run to completion alike. Also: results{rule} in the stats, a bad
# rule file refused with its located errors, an oversized pattern refused at its place.
. "$(dirname "$0")/lib/common.sh"
require_root
LIB=$(cd "$(dirname "$0")/lib" && pwd)

cat >"$WORK/rules.rql" <<'RQL'
CREATE STREAM pay (ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE,
    country STRING, status STRING, qty BIGINT)
    WITH (format = 'json', port = 9000, timestamp = 'ts');
CREATE STREAM iot (device STRING, temp DOUBLE, note STRING)
    WITH (format = 'csv', port = 9100);

CREATE ALERT casino WITH (topic = 'alerts') AS
    SELECT card, merchant, amount FROM pay
    WHERE merchant REGEXP '(?i)casino|betting' AND amount > 100;
CREATE ALERT abroad WITH (topic = 'alerts') AS
    SELECT card, UPPER(country) AS country, amount * qty AS total FROM pay
    WHERE status = 'declined' AND country NOT IN ('de', 'fr') AND qty BETWEEN 1 AND 5;
CREATE ALERT no_country AS
    SELECT card, country, LENGTH(merchant) AS mlen, qty / 0 AS nothing, qty + 1 AS next
    FROM pay WHERE country IS NULL;
CREATE ALERT shops AS SELECT * FROM pay WHERE merchant LIKE 'shop_%';
CREATE ALERT hot WITH (topic = 'iot_alerts') AS
    SELECT device, temp, LOWER(note) AS note FROM iot
    WHERE temp > 40 OR note REGEXP '^FIRE';
RQL

# The events, by hand: Ethernet, IPv4, UDP, one datagram per packet.
PYTHONPATH="$LIB" python3 - "$WORK/alerts.pcap" <<'PY'
import sys
from pcapw import udp_frame, write_pcap

T = 1700000000000
pay = [
    # one datagram, four records
    [{"ts": T + 1, "card": "c1", "merchant": "Lucky CASINO", "amount": 150.5, "country": "de",
      "status": "approved", "qty": 1},
     {"ts": T + 2, "card": "c2", "merchant": "betting-shop", "amount": 99.0, "country": "de",
      "status": "approved", "qty": 1},
     {"ts": T + 3, "card": "c3", "merchant": "shop_one", "amount": 10, "country": "it",
      "status": "declined", "qty": 3},
     {"ts": T + 4, "card": "c4", "merchant": "grocer", "amount": 20.25, "country": "fr",
      "status": "declined", "qty": 2}],
    [{"ts": T + 5, "card": "c5", "merchant": "grocer", "amount": 5, "status": "approved", "qty": 7}],
    [{"ts": T + 6, "card": "c6", "merchant": "Casino Royale", "amount": 1000, "country": "es",
      "status": "declined", "qty": 9},
     {"ts": T + 7, "card": "c7", "merchant": "shopX", "amount": 1, "country": "us",
      "status": "declined", "qty": 5}],
    [{"ts": T + 8, "card": "c8", "merchant": "shop", "amount": 2, "country": "us",
      "status": "approved", "qty": 1}],
    ['{"ts": "yesterday", "card": "c9", "merchant": "casino", "amount": 500}'],
    [{"ts": T + 10, "card": "c10", "merchant": "\u00e9shop_x", "amount": 3, "country": "IT",
      "status": "declined", "qty": 0}],
    ['{"ts": %d, "card": "c11", "merchant": "Bet\\"ting \\\\ Casino", "amount": 101, '
     '"country": "de", "status": "approved", "qty": 1}' % (T + 11)],
    [{"ts": T + 12, "card": "c12", "merchant": "m", "amount": 1, "country": None,
      "status": "approved", "qty": 9223372036854775807}],
]
iot = [b"d1,45.5,ok\nd2,20,FIRE alarm", b"d3,20,fine", b"d4,,FIRE"]

import json
frames = []
for d in pay:
    recs = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in d]
    frames.append(udp_frame(9000, "\n".join(recs).encode()))
for d in iot:
    frames.append(udp_frame(9100, d))
# capture times: 1700000100.000 + k * 0.25 s (the event time of iot)
write_pcap(sys.argv[1], [(1700000100_000000 + k * 250_000, fr) for k, fr in enumerate(frames)])
PY
check_eq "pcap written" "$?" 0

# What the rules must write, exactly (the iot events take their capture times).
cat >"$WORK/want.alerts" <<'EOF'
{"rule":"abroad","ts":1700000000003,"card":"c3","country":"IT","total":30,"ruleset":1}
{"rule":"abroad","ts":1700000000007,"card":"c7","country":"US","total":5,"ruleset":1}
{"rule":"casino","ts":1700000000001,"card":"c1","merchant":"Lucky CASINO","amount":150.5,"ruleset":1}
{"rule":"casino","ts":1700000000006,"card":"c6","merchant":"Casino Royale","amount":1000,"ruleset":1}
{"rule":"casino","ts":1700000000011,"card":"c11","merchant":"Bet\"ting \\ Casino","amount":101,"ruleset":1}
EOF
cat >"$WORK/want.no_country" <<'EOF'
{"rule":"no_country","ts":1700000000005,"card":"c5","country":null,"mlen":6,"nothing":null,"next":8,"ruleset":1}
{"rule":"no_country","ts":1700000000012,"card":"c12","country":null,"mlen":1,"nothing":null,"next":null,"ruleset":1}
EOF
cat >"$WORK/want.shops" <<'EOF'
{"rule":"shops","ts":1700000000003,"card":"c3","merchant":"shop_one","amount":10,"country":"it","status":"declined","qty":3,"ruleset":1}
{"rule":"shops","ts":1700000000007,"card":"c7","merchant":"shopX","amount":1,"country":"us","status":"declined","qty":5,"ruleset":1}
EOF
cat >"$WORK/want.iot_alerts" <<'EOF'
{"rule":"hot","ts":1700000102000,"device":"d1","temp":45.5,"note":"ok","ruleset":1}
{"rule":"hot","ts":1700000102000,"device":"d2","temp":20,"note":"fire alarm","ruleset":1}
{"rule":"hot","ts":1700000102500,"device":"d4","temp":null,"note":"fire","ruleset":1}
EOF

for workers in 1 0; do
	rm -rf "$WORK/out"
	"$RIPTIDE" --rules "$WORK/rules.rql" --input "pcap:$WORK/alerts.pcap" --workers $workers \
		--out "$WORK/out" --stats-out "$WORK/stats.json" >"$WORK/run.log" 2>&1
	check_eq "riptide exit status (--workers $workers)" "$?" 0
	for topic in alerts no_country shops iot_alerts; do
		check_eq "topic $topic: exactly the expected messages (--workers $workers)" \
			"$(sort "$WORK/out/$topic.ndjson" 2>&1)" "$(sort "$WORK/want.$topic")"
	done
	check_eq "no other topic" "$(ls "$WORK/out" | sort | tr '\n' ' ')" \
		"alerts.ndjson iot_alerts.ndjson no_country.ndjson shops.ndjson "
	check_eq "results by rule" "$(jq -cS .results "$WORK/stats.json")" \
		'{"abroad":2,"casino":3,"hot":3,"no_country":2,"shops":2}'
	check_eq "events, malformed, produced = delivered" \
		"$(jq -c '[.events, .malformed.bad_timestamp, .produced, .delivered, .rule_errors]' \
			"$WORK/stats.json")" "[15,1,12,12,0]"
done

# --check-rules: a good file, then one with errors in several statements
"$RIPTIDE" --check-rules --rules "$WORK/rules.rql" >"$WORK/check.out" 2>&1
check_eq "--check-rules accepts the rules" "$?:$(cat "$WORK/check.out")" \
	"0:$WORK/rules.rql: 2 stream(s), 5 rule(s), no errors"
cat >"$WORK/bad.rql" <<'RQL'
CREATE STREAM pay (ts TIMESTAMP, card STRING, amount DOUBLE) WITH (format = 'json', port = 9000);
CREATE ALERT a AS SELECT card FROM pay WHERE card REGEXP '(unclosed';
CREATE ALERT b AS SELECT card FROM pay WHERE amount > 'ten';
RQL
"$RIPTIDE" --check-rules --rules "$WORK/bad.rql" >"$WORK/check.out" 2>&1
check_eq "--check-rules exit status on errors" "$?" 2
check_eq "--check-rules reports every error at its place" "$(cat "$WORK/check.out")" \
"$WORK/bad.rql:2:58: error: REGEXP pattern refused by Hyperscan: Missing close parenthesis for group started at index 0.
$WORK/bad.rql:3:53: error: cannot compare DOUBLE with STRING"
"$RIPTIDE" --rules "$WORK/bad.rql" --input "pcap:$WORK/alerts.pcap" >"$WORK/check.out" 2>&1
check_eq "riptide refuses a bad rule file (exit 2)" "$?" 2

# a pattern too large for the verifier is refused at its place, by --check-rules and
# by riptide alike
cat "$WORK/rules.rql" >"$WORK/pat.rql"
cat >>"$WORK/pat.rql" <<'RQL'
CREATE PATTERN testing AS SELECT * FROM pay MATCH_RECOGNIZE (
    PARTITION BY card ORDER BY ts MEASURES COUNT(D.*) AS n
    PATTERN ((D{10000}){20} B) DEFINE D AS status = 'declined', B AS amount > 500);
RQL
want="$WORK/pat.rql:22:14: error: pattern too large: its quantifiers unroll to more than 100000 steps"
"$RIPTIDE" --check-rules --rules "$WORK/pat.rql" >"$WORK/check.out" 2>&1
check_eq "--check-rules refuses the pattern (exit 2)" "$?" 2
check_eq "--check-rules names its place" "$(head -1 "$WORK/check.out")" "$want"
"$RIPTIDE" --rules "$WORK/pat.rql" --input "pcap:$WORK/alerts.pcap" >"$WORK/check.out" 2>&1
check_eq "riptide refuses it too (exit 2)" "$?" 2
check_eq "riptide names its place" "$(head -1 "$WORK/check.out")" "$want"
finish
