#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The performance lab: named scenarios through riptide on a memif port, fed by
# riptide-gen send, with the references measured in the same run, and a report
# (docs/benchmarks/lab.md, lab.json, lab-*.png).
#
#   perf/lab.sh [--seconds S] [--scenarios LIST] [--lcores LIST] [--out DIR]
#               [--no-references] [--raw FILE]
#
# Scenarios (in this order by default):
#   decode      packets to a port no stream declares: I/O, decode, pre-filter
#   parse       one JSON stream, no rule: + framing and parsing
#   regexp100   + 100 REGEXP alert rules (Hyperscan)
#   tumbling    + a tumbling COUNT/SUM aggregate by card (sharded by key)
#   patterns    + card-testing and velocity patterns (MATCH_RECOGNIZE)
#   full        docs/examples/payments.rql, results to files (--out): the example
#               rule set where no broker can run
#   full_kafka  docs/examples/payments.rql, results to a Kafka broker (KRaft, one
#               node, started here from the Maven Central jars; skipped without Java)
# For each: packets/s and events/s, riptide / testpmd, ns per event per stage (the
# TSC stage counters), RX-to-result latency p50/p99/p99.9 (and result-to-Kafka-ack),
# for each count N of worker lcores in --lcores that the machine has N + 1 cores for:
# riptide's main core (its sink thread) and a core per worker; the sender sends on N
# memif queues (one per receiving worker) from the cores left over, up to N of them,
# or, where none is left, from riptide's main core.
# References in the same run: dpdk-testpmd rxonly on the same memif with the same
# sender, N queues on N forwarding lcores, for each N; raw hs_scan of the same records
# with the same 100 patterns (riptide-bench-rules); decode + parse of the feed's
# records on one core without I/O (riptide-bench-ingest).
# --no-references skips them (a run to be merged with one that has them: lab_report.py
# takes several raw files); --raw FILE keeps the raw JSON (lab_report.py's input).
# Environment: RIPTIDE_BUILD (default build/), RIPTIDE_TESTPMD (a dpdk-testpmd binary
# instead of perf/tools/build-testpmd.sh's), LAB_MACHINE (a line describing the machine
# for the report), LAB_KEEP (a folder to keep the runs' logs in).
# Live progress: a line a second per run (riptide's rates from its control socket);
# a one-line summary per scenario at the end. Needs root (hugepages) and build/.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${RIPTIDE_BUILD:-$root/build}
secs=5
scenarios=decode,parse,regexp100,tumbling,patterns,full,full_kafka
lcores_list=1,2,4,8,12
out=$root/docs/benchmarks
refs=1
raw=
usage() { sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift 2 ;;
	--scenarios) scenarios=$2; shift 2 ;;
	--lcores) lcores_list=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--no-references) refs=0; shift ;;
	--raw) raw=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "lab: unknown argument $1" >&2; usage >&2; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "lab: needs root (hugepages)" >&2; exit 1; }
mkdir -p "$out"
work=$(mktemp -d /tmp/riptide-lab.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	sleep 1
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	[ -n "${KAFKA_PID:-}" ] && kafka_stop
	if [ -n "${LAB_KEEP:-}" ]; then # the runs' logs, for a look after
		mkdir -p "$LAB_KEEP"
		cp "$work"/*.log "$work"/*.err "$work"/*.out "$LAB_KEEP"/ 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
gen=$build/perf/riptide-gen
riptide=$build/dataplane/riptide
ctl=$build/control/riptidectl
testpmd=${RIPTIDE_TESTPMD:-$("$root/perf/tools/build-testpmd.sh")}
cores=($(taskset -pc $$ | sed 's/.*: //' | tr ',' '\n' |
	awk -F- '{ if (NF == 2) for (i = $1; i <= $2; i++) print i; else print $1 }'))
ncores=${#cores[@]}

# sender_cores N: the sender's CPUs for a receiver on cores 0..N: the cores after N,
# one a queue at most, or core 0 (the receiver's main lcore: riptide's sink thread)
# where there is none.
sender_cores() {
	local n=$1 list= k
	for ((k = n + 1; k < ncores && k <= 2 * n; k++)); do
		list+=${list:+,}${cores[k]}
	done
	echo "${list:-${cores[0]}}"
}

# --- the feed: 150-byte JSON payments, 100,000 cards, 1 in 1,000 events beginning
# a fraud sequence; 65,536 distinct frames in the sender's loop, whose event times each
# pass moves on by their span (riptide-gen send --advance-ts): a loop is not a replay
# of the past, windows close and patterns complete as in a live feed.
frames=65536
"$gen" pcap --out "$work/feed.pcap" --manifest "$work/feed.json" --seed 42 --count $frames \
	--keys 100000 --record-bytes 150 --fraud 0.001 --interval-us 10 >/dev/null
"$gen" pcap --out "$work/other.pcap" --seed 42 --count $frames --port 9999 \
	--record-bytes 150 >/dev/null

stream="CREATE STREAM payments (ts TIMESTAMP, card STRING KEY, merchant STRING,
    amount DOUBLE, country STRING, status STRING)
    WITH (format = 'json', port = 9000, timestamp = 'ts');"
rules_for() { # rules_for SCENARIO: its rule file on stdout
	local k
	case $1 in
	decode | parse) echo "$stream" ;;
	regexp100)
		echo "$stream"
		for k in $(seq 0 99); do
			printf "CREATE ALERT r%d AS SELECT card, merchant, amount FROM payments WHERE merchant REGEXP '(?i)merchant-%04d (casino|poker|bett?ing)';\n" \
				"$k" $((k * 7919 % 10000))
		done
		;;
	tumbling)
		echo "$stream"
		echo "CREATE AGGREGATE per_card AS SELECT card, COUNT(*) AS n, SUM(amount) AS total
    FROM payments WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY card;"
		;;
	patterns)
		echo "$stream"
		cat <<'RQL'
CREATE PATTERN card_testing AS SELECT * FROM payments MATCH_RECOGNIZE (
    PARTITION BY card ORDER BY ts
    MEASURES COUNT(D.*) AS declines, LAST(B.amount) AS amount
    PATTERN (D{3,} B) WITHIN INTERVAL '60' SECOND
    DEFINE D AS status = 'declined' AND amount < 5, B AS status = 'approved' AND amount > 500);
CREATE PATTERN velocity AS SELECT * FROM payments MATCH_RECOGNIZE (
    PARTITION BY card ORDER BY ts
    MEASURES COUNT(X.*) AS countries
    PATTERN (X{3}) WITHIN INTERVAL '5' MINUTES
    DEFINE X AS country <> 'DE' AND status = 'approved');
RQL
		;;
	full | full_kafka)
		cat "$root/docs/examples/payments.rql"
		;;
	esac
}

# measure SOCK RECEIVER-PID LABEL N: once the receiver's memif socket is there, the
# sender runs $secs s on N queues; then the receiver stops first, the sender after
# (DPDK 22.11's memif server can crash when its client goes while it polls). Leaves
# the sender's JSON in $work/send.out; prints a progress line a second while it runs.
measure() {
	local sock=$1 rpid=$2 label=$3 n=$4 k sender feed=$work/feed.pcap
	[ "$label" = decode ] && feed=$work/other.pcap
	for k in $(seq 200); do
		[ -S "$sock" ] && break
		sleep 0.1
	done
	# the last run's result must be gone before the wait below looks for this one's
	# (the redirection truncates it only once the sender's process is under way)
	rm -f "$work/send.out" "$work/send.err"
	"$gen" send --pcap "$feed" --frames $frames --input "memif:$sock:client" \
		--seconds "$secs" --queues "$n" --cores "$(sender_cores "$n")" --link-wait 20 \
		--linger 60 --progress --advance-ts \
		>"$work/send.out" 2>"$work/send.err" &
	sender=$!
	pids+=($sender)
	for k in $(seq $((secs * 10 + 300))); do
		[ -s "$work/send.out" ] && break
		kill -0 $sender 2>/dev/null || break
		if [ $((k % 10)) -eq 0 ]; then
			progress "$label"
		fi
		sleep 0.1
	done
	sleep 1
	kill -INT "$rpid"
	rcv_status=0
	wait "$rpid" || rcv_status=$?
	kill -INT $sender 2>/dev/null
	wait $sender || true
	[ -s "$work/send.out" ] || { cat "$work/send.err" >&2; return 1; }
}

# progress LABEL: the sender's last second, and riptide's totals when it answers.
last_events=0
rcv_status=0
progress() {
	local s r="" st
	s=$(grep '^{' "$work/send.err" 2>/dev/null | tail -1)
	[ -n "$s" ] || return 0
	if [ -S "$work/ctl.sock" ] &&
		st=$("$ctl" --socket "$work/ctl.sock" --timeout 1 --json stats 2>/dev/null); then
		r=$(jq -r --argjson last "$last_events" \
			'.result | "riptide events \(.events) (+\(.events - $last)), produced \(.produced)"' <<<"$st")
		last_events=$(jq .result.events <<<"$st")
	fi
	printf '  [%s] t=%ss sender %s pps %s\n' "$1" "$(jq .t <<<"$s")" "$(jq .pps <<<"$s")" "$r" >&2
}

IFS=, read -r -a scen_arr <<<"$scenarios"
IFS=, read -r -a lc_arr <<<"$lcores_list"

# --- references -----------------------------------------------------------------
# testpmd rxonly with N forwarding lcores polling N queues, for each N of --lcores
testpmd_json={}
for n in "${lc_arr[@]}"; do
	[ $refs -eq 1 ] && [ $((n + 1)) -le "$ncores" ] || continue
	echo "== reference: dpdk-testpmd rxonly on the same memif, the same sender, $n lcore(s)" >&2
	# DPDK 22.11's memif receive can crash when the client connects while it polls
	# (riptide waits for the link: dp_port.h): testpmd gets three tries
	for try in 1 2 3; do
		rm -f "$work/tp.sock"
		"$testpmd" -l "$(IFS=,; echo "${cores[*]:0:n+1}")" --main-lcore "${cores[0]}" --no-pci \
			--file-prefix "lab-tp-$$" --huge-unlink --no-telemetry \
			--vdev "net_memif0,role=server,socket=$work/tp.sock,socket-abstract=no" -- \
			--forward-mode=rxonly --stats-period 1 --nb-cores "$n" --rxq "$n" --txq "$n" \
			--rxd 1024 >"$work/tp.log" 2>&1 &
		pids+=($!)
		measure "$work/tp.sock" "${pids[-1]}" testpmd "$n" || true
		[ $rcv_status -eq 139 ] || [ $rcv_status -eq 134 ] || break
		echo "  testpmd crashed (status $rcv_status), try $try" >&2
	done
	testpmd_json=$(jq -c --arg n "$n" --slurpfile s "$work/send.out" '.[$n] = $s[0]' <<<"$testpmd_json")
	echo "  testpmd rxonly, $n lcore(s): $(cat "$work/send.out")" >&2
done
hs_json=null
ingest_json=null
if [ $refs -eq 1 ]; then
	echo "== reference: raw hs_scan of the same records, the same 100 patterns" >&2
	hs_json=$("$build/perf/riptide-bench-rules" --rules 100 --pcap "$work/feed.pcap")
	echo "  $hs_json" >&2
	echo "== reference: decode + parse of the feed's records on one core, no I/O" >&2
	rules_for parse >"$work/ingest.rql"
	ingest_json=$("$build/perf/riptide-bench-ingest" --rules "$work/ingest.rql" \
		--pcap "$work/feed.pcap" --seconds 2 --label lab | jq -sc .)
	jq -r '.[] | "  \(.stage): \(.ns_per_event) ns an event"' <<<"$ingest_json" >&2
fi

# --- Kafka, for full_kafka --------------------------------------------------------
kafka_ok=0
if [[ ,$scenarios, == *,full_kafka,* ]]; then
	if command -v java >/dev/null && command -v mvn >/dev/null; then
		. "$root/tests/integration/lib/kafka.sh"
		if kafka_start "$work/kafka" >/dev/null 2>&1; then
			kafka_ok=1
			echo "== Kafka $KAFKA_VERSION on $KAFKA_BOOTSTRAP" >&2
		fi
	fi
	[ $kafka_ok -eq 1 ] || echo "== full_kafka: skipped (no broker: Java, Maven or the jars)" >&2
fi

# --- scenarios ----------------------------------------------------------------------
: >"$work/runs.jsonl"
for sc in "${scen_arr[@]}"; do
	if [ "$sc" = full_kafka ] && [ $kafka_ok -eq 0 ]; then
		jq -nc --arg s "$sc" '{scenario: $s, skipped: "no Kafka broker (Java, Maven, jars)"}' >>"$work/runs.jsonl"
		continue
	fi
	rules_for "$sc" >"$work/$sc.rql"
	for n in "${lc_arr[@]}"; do
		if [ $((n + 1)) -gt "$ncores" ]; then
			echo "== $sc, $n worker lcore(s): skipped, needs $((n + 1)) cores, this machine has $ncores" >&2
			jq -nc --arg s "$sc" --argjson n "$n" --argjson c "$ncores" \
				'{scenario: $s, lcores: $n, skipped: "needs \($n + 1) cores, the machine has \($c)"}' >>"$work/runs.jsonl"
			continue
		fi
		echo "== $sc, $n worker lcore(s)" >&2
		extra=()
		[ "$sc" = full_kafka ] && extra=(--kafka "$KAFKA_BOOTSTRAP" --drain-timeout 60)
		[ "$sc" != full_kafka ] && [ "$sc" != decode ] && [ "$sc" != parse ] &&
			extra=(--out "$work/out-$sc-$n")
		rm -f "$work/ctl.sock" "$work/rt.sock"
		last_events=0
		"$riptide" --rules "$work/$sc.rql" --input "memif:$work/rt.sock" --workers "$n" \
			--control "$work/ctl.sock" --stats-out "$work/rt-$sc-$n.json" "${extra[@]}" \
			>"$work/rt-$sc-$n.log" 2>&1 &
		pids+=($!)
		if ! measure "$work/rt.sock" "${pids[-1]}" "$sc" "$n"; then
			echo "riptide failed:" >&2
			cat "$work/rt-$sc-$n.log" >&2
			exit 1
		fi
		cp "$work/send.err" "$work/send-$sc-$n.err"
		rm -rf "$work/out-$sc-$n"
		jq -c --arg s "$sc" --argjson n "$n" --slurpfile st "$work/rt-$sc-$n.json" \
			'{scenario: $s, lcores: $n, send: ., stats: ($st[0] | {rx_packets, datagrams, events,
			  produced, delivered, lost, filtered, malformed, stages, late_events,
			  rx_to_result_latency_us, rx_to_result_untimed,
			  kafka_latency_us: .sink.kafka.delivery_latency_us,
			  rx_to_ack_latency_us: .sink.kafka.rx_to_ack_latency_us,
			  rx_to_ack_untimed: .sink.kafka.rx_to_ack_untimed, imissed: .ports[0].imissed})}' \
			"$work/send.out" >>"$work/runs.jsonl"
		jq -r '"  sent \(.send.sent) at \(.send.pps | floor) pps; riptide rx \(.stats.rx_packets), events \(.stats.events), produced \(.stats.produced)"' \
			<<<"$(tail -1 "$work/runs.jsonl")" >&2
	done
done

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
mem=$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
dpdk=$(dpkg-query -W -f '${Version}' dpdk 2>/dev/null || pkg-config --modversion libdpdk 2>/dev/null ||
	echo "${RIPTIDE_DPDK_VERSION:-unknown}")
jq -n --arg cpu "$cpu" --argjson ncpu "$ncores" --argjson mem "${mem:-0}" \
	--arg note "${LAB_MACHINE:-}" --arg commit "${RIPTIDE_COMMIT:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null ||
		echo unknown)}" \
	--arg date "$(date -u +%F)" --arg dpdk "$dpdk" \
	--arg kernel "$(uname -r)" --argjson secs "$secs" --argjson frames $frames \
	--argjson testpmd "$testpmd_json" --argjson hs "$hs_json" --argjson ingest "$ingest_json" \
	--slurpfile runs "$work/runs.jsonl" --slurpfile feed "$work/feed.json" \
	'{machine: {cpu: $cpu, cores: $ncpu, memory_gib: $mem, note: $note, kernel: $kernel},
	  commit: $commit, date: $date, dpdk: $dpdk, seconds_per_run: $secs,
	  frames_in_loop: $frames, feed: ($feed[0] | {schema, records, fraud}),
	  reference: {testpmd_rxonly_by_lcores: $testpmd, raw_hs_scan_100: $hs,
	    ingest_one_core: $ingest}, runs: $runs}' \
	>"$work/lab.json"
[ -z "$raw" ] || cp "$work/lab.json" "$raw"
# Debian's python3 has Debian's matplotlib (scripts/install-deps.sh), whatever python3
# comes first on the PATH
py=python3
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null && py=/usr/bin/python3
echo "== summary" >&2
$py "$root/perf/lab_report.py" "$work/lab.json" "$out"
