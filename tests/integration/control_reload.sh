#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The control plane under traffic: riptide on a memif port fed at a steady rate by
# riptide-gen send, riptidectl loading two rule sets in turn 50 times. No packet is
# missing from the counters; the new rule's results appear after each load returns
# and none of a removed rule's come from a set without it (every result carries the
# version that made it); the aggregate that both sets hold keeps its state; a bad file
# is refused at its place and the set in force runs on. Then the protocol: garbage,
# truncated and oversized requests, a peer that is not allowed, /metrics against
# `riptidectl stats --json`, the pre-filter changed live, and a daemon that is gone.
. "$(dirname "$0")/lib/common.sh"
require_root
CTL=$RIPTIDE_BUILD/control/riptidectl
mport=$((20000 + $$ % 20000))

common='CREATE STREAM payments (ts TIMESTAMP, card STRING KEY, merchant STRING, amount DOUBLE,
    country STRING, status STRING) WITH (format = '"'json'"', port = 9000, timestamp = '"'ts'"',
    watermark_delay = '"'1 SECOND'"');
CREATE AGGREGATE per_card WITH (topic = '"'per_card'"') AS
    SELECT card, COUNT(*) AS n FROM payments WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY card;'
printf '%s\n' "$common" >"$WORK/a.rql"
printf '%s\nCREATE ALERT every WITH (topic = '"'every'"') AS SELECT card, amount FROM payments WHERE amount >= 0;\n' \
	"$common" >"$WORK/b.rql"
printf '%s\nCREATE ALERT broken AS SELECT card FROM payments WHERE amount > ;\n' "$common" >"$WORK/bad.rql"

"$RIPTIDE_GEN" pcap --out "$WORK/feed.pcap" --manifest "$WORK/feed.json" --seed 5 --count 4096 \
	--keys 500 >/dev/null || { not_ok "riptide-gen"; finish; }

# start_run TAG RIPTIDE-ARGS...: riptide on a memif port (socket $WORK/TAG.sock,
# files in $WORK/TAG-*), fed at 20 kpps by riptide-gen send; sets sock, rpid, spid.
start_run() {
	local tag=$1
	shift
	sock=$WORK/$tag.sock
	"$RIPTIDE" --rules "$WORK/a.rql" --input "memif:$WORK/$tag-memif.sock" --control "$sock" \
		--out "$WORK/$tag-out" --stats-out "$WORK/$tag-stats.json" "$@" >"$WORK/$tag.log" 2>&1 &
	rpid=$!
	at_exit kill -KILL "$rpid"
	wait_for_line "$WORK/$tag.log" "polling" 30 || { not_ok "$tag: riptide started"; cat "$WORK/$tag.log"; finish; }
	ok "$tag: riptide started"
	"$RIPTIDE_GEN" send --pcap "$WORK/feed.pcap" --input "memif:$WORK/$tag-memif.sock:client" \
		--pps 20000 --seconds 600 --link-wait 20 --linger 120 >"$WORK/$tag-send.out" 2>"$WORK/$tag-send.err" &
	spid=$!
	at_exit kill -KILL "$spid"
	sleep 1
}

# loads TAG: 50 loads, b (with the alert "every") and a (without) in turn.
loads() {
	local tag=$1 k f fails=0
	: >"$WORK/$tag-loads.jsonl"
	for k in $(seq 1 50); do
		f=$([ $((k % 2)) -eq 1 ] && echo b || echo a)
		if ! "$CTL" --socket "$sock" --json rules load "$WORK/$f.rql" >"$WORK/load.json" 2>"$WORK/load.err"; then
			fails=$((fails + 1))
			cat "$WORK/load.err"
			continue
		fi
		jq -c --arg f "$f" '.result + {file: $f}' "$WORK/load.json" >>"$WORK/$tag-loads.jsonl"
		sleep 0.15
	done
	local l=$WORK/$tag-loads.jsonl
	check_eq "$tag: rules load: all 50 done" "$fails" 0
	check_eq "$tag: versions 2..51 in order" "$(jq -s '[.[].ruleset] == [range(2; 52)]' "$l")" true
	check_eq "$tag: the aggregate kept its state every time" "$(jq -s -c '[.[].carried] | unique' "$l")" "[1]"
	check_eq "$tag: loading b adds the alert" "$(jq -s -c '[.[] | select(.file == "b") | [.added, .removed]] | unique' "$l")" "[[1,0]]"
	check_eq "$tag: loading a removes it" "$(jq -s -c '[.[] | select(.file == "a") | [.added, .removed]] | unique' "$l")" "[[0,1]]"
	echo "  $tag: reload times (ms, compile + swap): $(jq -s -c '[.[] | (.compile_ms + .swap_ms) | floor] | sort | {min: .[0], median: .[length/2|floor], max: .[-1]}' "$l")"
}

# stop_sender TAG: the sender stops sending and says how much it sent, but stays
# connected (--linger) while riptide takes what is still in the ring; sets sent. It
# goes after riptide (end_run): a memif client leaving a polling server can crash
# DPDK 22.11's memif driver (docs/operations.md, known limits).
stop_sender() {
	local k
	kill -INT "$spid"
	for k in $(seq 100); do
		[ -s "$WORK/$1-send.out" ] && break
		sleep 0.1
	done
	sleep 2
	sent=$(jq .sent "$WORK/$1-send.out")
}

# end_run TAG: riptide stops; no packet is missing, and the results are those of the
# sets in force when they were made.
end_run() {
	local tag=$1 st=$WORK/$1-stats.json out=$WORK/$1-out
	kill -TERM "$rpid"
	wait "$rpid"
	check_eq "$tag: riptide exit status" "$?" 0
	kill -INT "$spid"
	wait "$spid"
	[ -s "$st" ] || { not_ok "$tag: riptide wrote its stats"; return; }
	check_eq "$tag: every packet sent was received" "$(jq .rx_packets "$st")" "$sent"
	check_eq "$tag: the port missed none" "$(jq '.ports[0].imissed' "$st")" 0
	check_eq "$tag: conservation: rx_packets = filtered + decode_errors + datagrams" "$(jq .rx_packets "$st")" \
		"$(jq '[.datagrams, (.filtered[]), (.decode_errors[])] | add' "$st")"
	check_eq "$tag: conservation: records = malformed + events" "$(jq .records "$st")" \
		"$(jq '[.events, (.malformed[])] | add' "$st")"
	check_eq "$tag: keyed events: routed = local + sent, all handled" \
		"$(jq '.shard | .routed == .local + .sent and .sent == .received and .handled == .local + .received and .dropped == 0' "$st")" true
	check_eq "$tag: final ruleset" "$(jq .ruleset "$st")" 51
	# RX to result: every message timed from its packet, or made by the clock
	check_eq "$tag: rx_to_result: timed + untimed = produced" \
		"$(jq '[(.rx_to_result_latency_us[]), .rx_to_result_untimed] | add' "$st")" "$(jq .produced "$st")"
	# results of "every" only from the sets that had it (even versions: b), each of them
	check_eq "$tag: no result of the removed rule from a set without it" \
		"$(jq -s -c '[.[].ruleset % 2] | unique' "$out/every.ndjson")" "[0]"
	check_eq "$tag: every set with the rule gave results after its load" \
		"$(jq -s '[.[].ruleset] | unique | length' "$out/every.ndjson")" 25
	check_eq "$tag: results of every counted = written" "$(jq .results.every "$st")" "$(wc -l <"$out/every.ndjson")"
	# the aggregate ran through every reload: its counts add up to every event (the
	# last windows close at the end)
	check_eq "$tag: per_card counted every event" "$(jq -s 'map(.n) | add' "$out/per_card.ndjson")" "$(jq .events "$st")"
}

# One lcore that receives and owns the keys; the protocol is tested on it meanwhile.
start_run one --workers 1 --metrics "127.0.0.1:$mport"
loads one

# a bad file: refused with its place, the set in force unchanged
"$CTL" --socket "$sock" rules load "$WORK/bad.rql" >/dev/null 2>"$WORK/bad.err"
check_eq "a bad rule file: exit status 1" "$?" 1
check_eq "its error is located" "$(grep -c "^$WORK/bad.rql:[0-9]*:[0-9]*: error" "$WORK/bad.err")" 1
check_eq "the set in force is still 51" "$("$CTL" --socket "$sock" --json rules show | jq .result.ruleset)" 51
"$CTL" --socket "$sock" --json rules show >"$WORK/show.json"
check_eq "rules show: the text in force" "$(jq -j .result.text "$WORK/show.json")" "$(cat "$WORK/a.rql")"
check_eq "rules show: its rules" "$(jq -c '[.result.rules[] | [.name, .kind, .stream]]' "$WORK/show.json")" \
	'[["per_card","aggregate","payments"]]'
"$CTL" --socket "$sock" rules check "$WORK/bad.rql" >/dev/null 2>&1
check_eq "rules check of the bad file: exit status 1" "$?" 1
check_eq "rules check of a good one" "$("$CTL" --socket "$sock" rules check "$WORK/a.rql")" \
	"$WORK/a.rql: 1 stream(s), 1 rule(s), no errors"

# the protocol: what a peer may send, and who may
proto() { python3 - "$sock" "$@" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); kind = sys.argv[2]
if kind == "garbage": b = b"{not json"; s.sendall(struct.pack(">I", len(b)) + b)
elif kind == "array": b = b"[1,2]"; s.sendall(struct.pack(">I", len(b)) + b)
elif kind == "unknown": b = b'{"cmd":"reboot"}'; s.sendall(struct.pack(">I", len(b)) + b)
elif kind == "missing": b = b'{"cmd":"rules.load","file":"x"}'; s.sendall(struct.pack(">I", len(b)) + b)
elif kind == "oversized": s.sendall(struct.pack(">I", 64 << 20))
elif kind == "truncated": s.sendall(struct.pack(">I", 100) + b"{"); s.close(); sys.exit(0)
hdr = b""
while len(hdr) < 4:
    c = s.recv(4 - len(hdr))
    if not c: print("closed"); sys.exit(0)
    hdr += c
n = struct.unpack(">I", hdr)[0]; body = b""
while len(body) < n: body += s.recv(n - len(body))
print(body.decode())
PY
}
check_eq "garbage: refused" "$(proto garbage | jq -r '.ok, (.error | startswith("bad request: request is not JSON"))' | tr '\n' ' ')" "false true "
check_eq "not an object: refused" "$(proto array | jq -r .error)" "bad request: request is not a JSON object"
check_eq "unknown command: refused" "$(proto unknown | jq -r .error)" "bad request: unknown command 'reboot'"
check_eq "missing argument: refused" "$(proto missing | jq -r .error)" "bad request: 'text' must be a string"
check_eq "oversized: refused before it is read" "$(proto oversized | jq -r .error)" "request larger than 17825792 bytes"
proto truncated
check_eq "after a truncated request the daemon still answers" "$("$CTL" --socket "$sock" --json status | jq .ok)" true
chmod 0755 "$WORK"
chmod 0666 "$sock" # past the file's mode: the peer check must refuse
setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" --socket "$sock" status >/dev/null 2>"$WORK/nobody.err"
check_eq "a peer that is not allowed: exit status 1" "$?" 1
check_eq "and told why" "$(cat "$WORK/nobody.err")" "riptidectl: permission denied: uid 65534 may not use this socket"
chmod 0600 "$sock"
"$CTL" --socket "$sock" --json stats >"$WORK/live.json"
check_eq "control counters" "$(jq -c '.result.control | {bad_requests, oversized, refused_peers}' "$WORK/live.json")" \
	'{"bad_requests":5,"oversized":1,"refused_peers":1}'

# the pre-filter, live: block the generator's sources, then let them in again
"$CTL" --socket "$sock" filter add 10.0.0.0/8 >/dev/null && "$CTL" --socket "$sock" filter add 2001:db8::/32 >/dev/null
check_eq "filter add twice the same: refused" "$("$CTL" --socket "$sock" filter add 10.0.0.0/8 2>&1; echo $?)" \
	"riptidectl: 10.0.0.0/8 is already blocked
1"
sleep 0.5
hits=$("$CTL" --socket "$sock" --json filter list | jq '[.result.blocked[].hits] | add')
[ "$hits" -gt 0 ] && ok "blocked prefixes have hits ($hits)" || not_ok "blocked prefixes have hits: $hits"
"$CTL" --socket "$sock" filter del 10.0.0.0/8 >/dev/null && "$CTL" --socket "$sock" filter del 2001:db8::/32 >/dev/null
check_eq "filter list after del" "$("$CTL" --socket "$sock" --json filter list | jq -c '.result.blocked')" "[]"
check_eq "filter rate" "$("$CTL" --socket "$sock" filter rate 0)" "per-source rate limit 0 packets/s (off)"
check_eq "bad prefix: refused" "$("$CTL" --socket "$sock" filter add 10.0.0.0/33 >/dev/null 2>&1; echo $?)" 1
check_eq "bad usage: exit status 2" "$("$CTL" --socket "$sock" filter >/dev/null 2>&1; echo $?)" 2

# top, once, and status
"$CTL" --socket "$sock" top --count 1 >"$WORK/top.txt"
check_eq "top shows the stream's rate" "$(grep -A1 '^streams (events)' "$WORK/top.txt" | grep -c '^  payments .* /s')" 1
check_eq "top shows RX-to-result latency" "$(grep -A1 '^latency' "$WORK/top.txt" | grep -c '^  RX to result ')" 1
check_eq "top shows its watermark lag" "$(grep -A3 '^watermark lag' "$WORK/top.txt" | grep -c '^  payments')" 1
check_eq "status: ruleset 51" "$("$CTL" --socket "$sock" --json status | jq .result.ruleset)" 51

# the sender stops; riptide takes what is left, then /metrics and stats agree
stop_sender one
curl -sf "http://127.0.0.1:$mport/metrics" >"$WORK/metrics.txt"
"$CTL" --socket "$sock" --json stats | jq .result >"$WORK/stats-live.json"
metric() { awk -v m="$1" '$1 == m { print $2 }' "$WORK/metrics.txt"; }
for key in rx_packets datagrams records events produced; do
	check_eq "/metrics riptide_$key = stats .$key" "$(metric "riptide_$key")" "$(jq ".$key" "$WORK/stats-live.json")"
done
check_eq "/metrics results{rule=\"every\"}" "$(metric 'riptide_results{rule="every"}')" "$(jq '.results.every' "$WORK/stats-live.json")"
check_eq "/metrics filtered{reason=\"blocked_source\"}" "$(metric 'riptide_filtered{reason="blocked_source"}')" \
	"$(jq '.filtered.blocked_source' "$WORK/stats-live.json")"
check_eq "/metrics reloads" "$(metric riptide_control_reloads)" 50
check_eq "/metrics RX-to-result histogram: count = stats" "$(metric riptide_rx_to_result_latency_us_count)" \
	"$(jq '[.rx_to_result_latency_us[]] | add' "$WORK/stats-live.json")"
check_eq "/metrics RX-to-result histogram: +Inf bucket = count" \
	"$(metric 'riptide_rx_to_result_latency_us_bucket{le="+Inf"}')" "$(metric riptide_rx_to_result_latency_us_count)"
check_eq "/metrics RX-to-result: every alert timed so far" \
	"$(jq '([.rx_to_result_latency_us[]] | add) >= .results.every and .results.every > 0' "$WORK/stats-live.json")" true
# every series of the Grafana dashboard is served (Kafka's need --kafka; XDP's an af_xdp port)
missing=$(grep -o 'riptide_[a-z_]*' "$SRC_ROOT/docs/grafana-riptide.json" | sort -u |
	grep -v -e '^riptide_sink_kafka_' -e '^riptide_xdp_' | while read -r m; do
		grep -q -E "^$m([{ ]|\$)" "$WORK/metrics.txt" || echo "$m"
	done | tr '\n' ' ')
check_eq "/metrics has every series of docs/grafana-riptide.json" "$missing" ""
check_eq "/metrics: an unknown path is 404" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/x")" 404

end_run one
"$CTL" --socket "$sock" status >/dev/null 2>"$WORK/gone.err"
check_eq "a daemon that is gone: exit status 3" "$?" 3
check_eq "and said so" "$(grep -c 'no riptide answers on' "$WORK/gone.err")" 1

# RX and state on lcores of their own: events cross a ring, and those sent under the
# old set when the state lcore has the new one are translated (dp_gen.h)
start_run split --workers 2 --state-lcores 1 --share-cores
loads split
stop_sender split
end_run split

# --user: riptide runs on as nobody after start-up, and what it writes then is nobody's
mkdir -m 0777 "$WORK/nobody"
"$RIPTIDE" --rules "$WORK/a.rql" --input "pcap:$WORK/feed.pcap" --workers 1 --control "$WORK/ctl2.sock" \
	--user nobody --stats-out "$WORK/nobody/stats.json" >"$WORK/nobody.log" 2>&1
check_eq "--user nobody: exit status" "$?" 0
check_eq "--user nobody: said so" "$(grep -c 'running as nobody' "$WORK/nobody.log")" 1
check_eq "--user nobody: the stats file is nobody's" "$(stat -c %u "$WORK/nobody/stats.json")" 65534
check_eq "--user nobody: counters" "$(jq .rx_packets "$WORK/nobody/stats.json")" "$(jq .rx_packets "$WORK/feed.json")"
"$RIPTIDE" --rules "$WORK/a.rql" --input "pcap:$WORK/feed.pcap" --control "$WORK/ctl3.sock" \
	--user no-such-user-here >/dev/null 2>"$WORK/nouser.err"
check_eq "--user unknown: exit status 2" "$?" 2
check_eq "--user unknown: said so" "$(cat "$WORK/nouser.err")" "riptide: --user no-such-user-here: no such user"
finish
