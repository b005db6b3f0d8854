#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# PATTERN rules end to end on a net_pcap port: a generated pcap of card payments
# (150 ordinary cards, about 3,500 payments over 22 minutes, none of which can match)
# with known fraud sequences injected on their own cards: card testing (declines,
# then a large approval, within 60 s) and velocity (three payments abroad within 5
# minutes), next to near misses that must not match (too few declines, a small
# approval between, declines spread beyond WITHIN, countries spread beyond WITHIN).
# One injected row arrives out of order within the watermark delay, one behind the
# watermark (late). The file sink must hold exactly the expected matches, with every
# layout of lcores; stats count results, late rows and pattern state.
. "$(dirname "$0")/lib/common.sh"
require_root
LIB=$(cd "$(dirname "$0")/lib" && pwd)

cat >"$WORK/rules.rql" <<'RQL'
CREATE STREAM pay (
    ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE, country STRING, status STRING
) WITH (format = 'json', port = 9000, timestamp = 'ts', watermark_delay = '2 SECONDS');

CREATE PATTERN card_testing WITH (topic = 'fraud', late_topic = 'late') AS
    SELECT * FROM pay MATCH_RECOGNIZE (
        PARTITION BY card ORDER BY ts
        MEASURES FIRST(D.ts) AS first_decline, COUNT(D.*) AS declines,
                 LAST(B.amount) AS amount, B.merchant AS merchant
        PATTERN (D{3,} B) WITHIN INTERVAL '60' SECOND
        DEFINE D AS status = 'declined', B AS status = 'approved' AND amount > 500
    );

CREATE PATTERN velocity WITH (topic = 'fraud') AS
    SELECT * FROM pay MATCH_RECOGNIZE (
        PARTITION BY card ORDER BY ts
        MEASURES FIRST(X.country) AS first_country, LAST(X.country) AS last_country,
                 COUNT(X.*) AS abroad, COUNT(H.*) AS at_home, SUM(X.amount) AS spent
        PATTERN (X (H* X){2}) WITHIN INTERVAL '5' MINUTES
        DEFINE X AS country <> 'DE', H AS country = 'DE'
    );
RQL

PYTHONPATH="$LIB" python3 - "$WORK/pay.pcap" <<'PY'
import json, random, sys
from pcapw import udp_frame, write_pcap

T = 1700000000000
random.seed(7)
rows = []  # (arrival ms, ts ms, card, merchant, amount, country, status)
# ordinary cards: at home, approvals of at most 400 and a few declines
for c in range(150):
    t = random.randint(0, 60000)
    while t < 1300000:
        declined = random.random() < 0.05
        rows.append((t, t, "bg%03d" % c, "m%d" % random.randint(0, 40),
                     round(random.uniform(5, 400), 2), "DE",
                     "declined" if declined else "approved"))
        t += random.randint(20000, 90000)


def add(off, card, merchant, amount, country, status, arrive=None):
    rows.append((off if arrive is None else arrive, off, card, merchant, amount, country, status))


# card testing: four declines then 900 approved; the fourth decline arrives after the
# approval, within the watermark delay
for k in range(3):
    add(100000 + k * 1000, "ct1", "m-web", 1.0, "DE", "declined")
add(103000, "ct1", "m-web", 1.0, "DE", "declined", arrive=104500)
add(104000, "ct1", "m-electro", 900.0, "DE", "approved")
# near misses: two declines only; three, but spread beyond 60 s
add(200000, "ct2", "m-web", 1.0, "DE", "declined")
add(201000, "ct2", "m-web", 1.0, "DE", "declined")
add(202000, "ct2", "m-electro", 800.0, "DE", "approved")
for off in (300000, 330000, 350000):
    add(off, "ct2", "m-web", 1.0, "DE", "declined")
add(370000, "ct2", "m-electro", 700.0, "DE", "approved")
# a small approval breaks the run; then three declines (one of them late) and 1500
for off in (400000, 401000, 402000):
    add(off, "ct3", "m-web", 1.0, "DE", "declined")
add(403000, "ct3", "m-food", 200.0, "DE", "approved")
for off in (410000, 411000, 413000):
    add(off, "ct3", "m-web", 1.0, "DE", "declined")
add(412000, "ct3", "m-web", 2.0, "DE", "declined", arrive=430000)  # late
add(414000, "ct3", "m-jewel", 1500.0, "DE", "approved")
# velocity: France, home, Italy, Spain within 100 s
add(500000, "v1", "m-fr", 50.0, "FR", "approved")
add(530000, "v1", "m-de", 20.0, "DE", "approved")
add(560000, "v1", "m-it", 60.0, "IT", "approved")
add(600000, "v1", "m-es", 70.0, "ES", "approved")
# three countries, but four minutes apart each: never three within five minutes
add(700000, "v2", "m-fr", 10.0, "FR", "approved")
add(940000, "v2", "m-it", 10.0, "IT", "approved")
add(1180000, "v2", "m-es", 10.0, "ES", "approved")

rows.sort(key=lambda r: (r[0], r[1]))
frames = []
for arrive, ts, card, merchant, amount, country, status in rows:
    rec = json.dumps({"ts": T + ts, "card": card, "merchant": merchant, "amount": amount,
                      "country": country, "status": status})
    frames.append(((T + arrive) * 1000, udp_frame(9000, rec.encode())))
write_pcap(sys.argv[1], frames)
print(len(frames))
PY
check_eq "pcap written" "$?" 0

cat >"$WORK/want.fraud" <<'EOF'
{"rule":"card_testing","match_start":1700000100000,"match_end":1700000104000,"card":"ct1","first_decline":1700000100000,"declines":4,"amount":900,"merchant":"m-electro","ruleset":1}
{"rule":"card_testing","match_start":1700000410000,"match_end":1700000414000,"card":"ct3","first_decline":1700000410000,"declines":3,"amount":1500,"merchant":"m-jewel","ruleset":1}
{"rule":"velocity","match_start":1700000500000,"match_end":1700000600000,"card":"v1","first_country":"FR","last_country":"ES","abroad":3,"at_home":1,"spent":180,"ruleset":1}
EOF
cat >"$WORK/want.late" <<'EOF'
{"rule":"card_testing","ts":1700000412000,"event":{"ts":1700000412000,"card":"ct3","merchant":"m-web","amount":2,"country":"DE","status":"declined"},"ruleset":1}
EOF

"$RIPTIDE" --check-rules --rules "$WORK/rules.rql" >"$WORK/check.log" 2>&1
check_eq "the rules check" "$?" 0

run() { # name, riptide options...
	local name=$1
	shift
	rm -rf "$WORK/out"
	"$RIPTIDE" --rules "$WORK/rules.rql" --input "pcap:$WORK/pay.pcap" "$@" \
		--out "$WORK/out" --stats-out "$WORK/stats.json" >"$WORK/run.log" 2>&1
	check_eq "riptide exit status ($name)" "$?" 0
	check_eq "fraud: exactly the injected matches ($name)" \
		"$(sort "$WORK/out/fraud.ndjson" 2>&1)" "$(sort "$WORK/want.fraud")"
	check_eq "late: the row behind the watermark ($name)" \
		"$(cat "$WORK/out/late.ndjson" 2>&1)" "$(cat "$WORK/want.late")"
	check_eq "results by rule ($name)" "$(jq -cS .results "$WORK/stats.json")" \
		'{"card_testing":2,"velocity":1}'
	check_eq "late rows by rule ($name)" "$(jq -cS .late_events "$WORK/stats.json")" \
		'{"card_testing":1,"velocity":1}'
	check_eq "every payment an event, nothing refused or lost ($name)" \
		"$(jq -c '[.events, .state_full.card_testing, .state_full.velocity, .produced, .delivered, (.lost | add // 0)]' \
			"$WORK/stats.json")" "[$EVENTS,0,0,4,4,0]"
	check_eq "partitions were held and measured ($name)" \
		"$(jq -c '[.state.card_testing.peak_keys > 0, .state.card_testing.bytes_per_key > 0, .state.velocity.peak_keys > 0]' \
			"$WORK/stats.json")" "[true,true,true]"
}

EVENTS=$(PYTHONPATH="$LIB" python3 -c "
import struct, sys
f = open(sys.argv[1], 'rb'); f.read(24); n = 0
while True:
    h = f.read(16)
    if len(h) < 16: break
    f.read(struct.unpack('<IIII', h)[2]); n += 1
print(n)" "$WORK/pay.pcap")
check_eq "thousands of payments" "$([ "$EVENTS" -gt 3000 ] && echo yes)" yes

run "run to completion" --workers 0
run "two workers owning cards" --workers 2 --share-cores
run "a separate state lcore" --workers 2 --share-cores --state-lcores 1

# the example rule file, which holds a pattern, checks
"$RIPTIDE" --check-rules --rules "$(dirname "$0")/../../docs/examples/payments.rql" \
	>"$WORK/check.log" 2>&1
check_eq "the example rule file checks" "$?" 0
finish
