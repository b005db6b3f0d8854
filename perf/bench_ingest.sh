#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The ingest benchmark: for 150-byte JSON payment events and the same events in CSV
# and binary,
#  1. ns per event on one core for decode + parse (riptide-bench-ingest), beside a
#     byte scan and (JSON) jansson on the same records;
#  2. packets per second through riptide on a memif port, beside dpdk-testpmd rxonly
#     on the same memif, fed by the same sender (riptide-gen send) in the same run.
# Writes docs/benchmarks/ingest.md and ingest.json. Needs root (hugepages) and the
# build in build/. Usage: perf/bench_ingest.sh [SECONDS per memif run, default 5]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-5}
build=${RIPTIDE_BUILD:-$root/build}
out=$root/docs/benchmarks
work=$(mktemp -d /tmp/riptide-bench-ingest.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	sleep 1
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$out"
gen=$build/perf/riptide-gen
testpmd=$("$root/perf/tools/build-testpmd.sh")
cores=$(taskset -pc $$ | sed 's/.*: //')
main_core=$(echo "$cores" | cut -d, -f1 | cut -d- -f1)
worker_core=$((main_core + 1))

cat >"$work/rules.rql" <<'RQL'
CREATE STREAM pay_json (ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE,
    country STRING, status STRING) WITH (format = 'json', port = 9000, timestamp = 'ts');
CREATE STREAM pay_csv (ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE,
    country STRING, status STRING) WITH (format = 'csv', port = 9200, timestamp = 'ts');
CREATE STREAM pay_bin (ts TIMESTAMP, card STRING(16), merchant STRING(16), amount DOUBLE,
    country STRING(2), status STRING(8)) WITH (format = 'binary', port = 9400, timestamp = 'ts');
RQL
declare -A port=([json]=9000 [csv]=9200 [binary]=9400)
for f in json csv binary; do
	"$gen" pcap --out "$work/$f.pcap" --seed 7 --count 4096 --format "$f" --port "${port[$f]}" \
		--keys 100000 --record-bytes 150 >/dev/null
done

echo "== ns per event, one core (riptide-bench-ingest)" >&2
: >"$work/micro.jsonl"
for f in json csv binary; do
	"$build/perf/riptide-bench-ingest" --rules "$work/rules.rql" --pcap "$work/$f.pcap" \
		--label "$f" | tee -a "$work/micro.jsonl" | jq -r '"  \(.format) \(.stage): \(.ns_per_event) ns"' >&2
done

# measure FORMAT NAME RECEIVER-PID: once the receiver's memif socket NAME.sock is
# there, the sender runs for $secs seconds; when it has printed its result, the
# receiver is stopped first and the sender after, still connected: a memif server
# whose client goes away while it polls can crash in DPDK 22.11's memif driver (see
# docs/operations.md), and a receiver stopped first never sees that. The sender's
# result is left in $work/send.out; the status is the receiver's.
measure() {
	local k sender
	for k in $(seq 200); do
		[ -S "$work/$2.sock" ] && break
		sleep 0.1
	done
	# the last run's result must be gone before the wait below looks for this one's
	# (the redirection truncates it only once the sender's process is under way)
	rm -f "$work/send.out" "$work/send.err"
	"$gen" send --pcap "$work/$1.pcap" --input "memif:$work/$2.sock:client" \
		--seconds "$secs" --core "$main_core" --link-wait 20 --linger 60 \
		>"$work/send.out" 2>"$work/send.err" &
	sender=$!
	for k in $(seq $((secs * 10 + 300))); do
		[ -s "$work/send.out" ] && break
		kill -0 $sender 2>/dev/null || break
		sleep 0.1
	done
	sleep 1 # what is still in the ring
	kill -INT "$3"
	wait "$3"
	local rc=$?
	kill -INT $sender 2>/dev/null
	wait $sender || true
	[ -s "$work/send.out" ] || { cat "$work/send.err" >&2; return 1; }
	return $rc
}
: >"$work/memif.jsonl"
# Each receiver is measured $runs times, alternating, and the median kept: on a small
# machine the sender shares the main core, and single runs vary.
runs=3
median() { jq -s 'sort_by(.pps) | .[length / 2 | floor]'; }
for f in json csv binary; do
	: >"$work/tp-$f.jsonl"
	: >"$work/rt-$f.jsonl"
	for k in $(seq $runs); do
		echo "== memif, $f, run $k: dpdk-testpmd rxonly" >&2
		"$testpmd" -l "$main_core,$worker_core" --main-lcore "$main_core" --no-pci \
			--file-prefix "bench-tp-$$" --huge-unlink --no-telemetry \
			--vdev "net_memif0,role=server,socket=$work/tp.sock,socket-abstract=no" -- \
			--forward-mode=rxonly --stats-period 1 --nb-cores 1 --rxq 1 --txq 1 --rxd 1024 \
			>"$work/tp-$f.log" 2>&1 &
		pids+=($!)
		measure "$f" tp "${pids[-1]}" || true # testpmd exits non-zero on SIGINT
		tp=$(cat "$work/send.out")
		rm -f "$work/tp.sock"
		echo "  testpmd: $tp" >&2
		echo "$tp" >>"$work/tp-$f.jsonl"
		echo "== memif, $f, run $k: riptide" >&2
		"$build/dataplane/riptide" --rules "$work/rules.rql" --input "memif:$work/rt.sock" \
			--workers 1 --stats-out "$work/rt-$f-$k.json" >"$work/rt-$f.log" 2>&1 &
		pids+=($!)
		measure "$f" rt "${pids[-1]}" ||
			{ echo "riptide failed:" >&2; cat "$work/rt-$f.log" >&2; exit 1; }
		rt=$(cat "$work/send.out")
		rm -f "$work/rt.sock"
		echo "  riptide: $rt" >&2
		jq -c --slurpfile st "$work/rt-$f-$k.json" \
			'. + {stats: ($st[0] | {rx_packets, datagrams, events, records,
				imissed: .ports[0].imissed})}' <<<"$rt" >>"$work/rt-$f.jsonl"
	done
	jq -c -n --arg f "$f" --argjson tp "$(median <"$work/tp-$f.jsonl")" \
		--argjson rt "$(median <"$work/rt-$f.jsonl")" \
		--slurpfile tpall "$work/tp-$f.jsonl" --slurpfile rtall "$work/rt-$f.jsonl" \
		'{format: $f, testpmd: $tp, riptide: $rt, riptide_stats: $rt.stats,
		  runs: {testpmd: [$tpall[].pps], riptide: [$rtall[].pps],
		         riptide_all_counted: ([$rtall[] | .stats.rx_packets == .sent and
		                                .stats.events == .sent] | all)}}' \
		>>"$work/memif.jsonl"
done

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
ncpu=$(nproc)
commit=$(git -C "$root" rev-parse --short HEAD)
jq -n --arg cpu "$cpu" --arg ncpu "$ncpu" --arg commit "$commit" --arg date "$(date -u +%F)" \
	--arg dpdk "$(dpkg-query -W -f '${Version}' dpdk)" --arg secs "$secs" \
	--slurpfile micro "$work/micro.jsonl" --slurpfile memif "$work/memif.jsonl" \
	'{machine: {cpu: $cpu, cores: ($ncpu | tonumber)}, commit: $commit, date: $date,
	  dpdk: $dpdk, seconds_per_memif_run: ($secs | tonumber), micro: $micro, memif: $memif}' \
	>"$out/ingest.json"

{
	echo "# Ingest benchmark"
	echo
	echo "Generated by \`perf/bench_ingest.sh\` on $(jq -r .date "$out/ingest.json") at commit" \
		"\`$commit\`: $cpu, $ncpu cores, DPDK $(jq -r .dpdk "$out/ingest.json")."
	echo "Events: the payment schema of riptide-gen (ts, card, merchant, amount, country, status),"
	echo "one record per datagram, 4,096 distinct frames replayed in a loop; JSON records padded"
	echo "to 150 bytes with a field no stream declares."
	echo
	echo "## ns per event, one core"
	echo
	echo "Frames held in memory, no NIC. *decode+ingest* is the RX lcore's work per datagram"
	echo "(Ethernet/IP/UDP decode, stream by port, framing, parse into a typed row, counters);"
	echo "*parse* is the parser alone on framed records. The references run on the same records"
	echo "in the same run: a memchr scan of the bytes (the floor of any parser), for JSON a walk"
	echo "from quote to quote with SSE2 (the chain of dependent searches any JSON parser makes"
	echo "to find where its strings end: the floor of this kind of parser) and jansson"
	echo "(\`json_loadb\` and a lookup of the six keys)."
	echo
	echo "| format | record bytes | decode+ingest ns | parse ns | scan ns | quote walk ns | jansson ns | parse vs jansson | parse vs quote walk |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	jq -r '.micro | group_by(.format)[] |
		(map({(.stage): .ns_per_event}) | add) as $s |
		"| \(.[0].format) | \(.[0].record_bytes) | \($s["decode+ingest"]) | \($s.parse) | \($s["reference: scan"]) | \($s["reference: quote walk"] // "-") | \($s["reference: jansson"] // "-") | \(if $s["reference: jansson"] then "\(($s["reference: jansson"] / $s.parse * 10 | floor) / 10)x faster" else "-" end) | \(if $s["reference: quote walk"] then "\(($s.parse / $s["reference: quote walk"] * 100 | floor) / 100)x" else "-" end) |"' \
		"$out/ingest.json"
	echo
	echo "## memif: riptide next to dpdk-testpmd rxonly"
	echo
	echo "One sender (\`riptide-gen send\`, memif client, main core $main_core) and one receiver"
	echo "polling on core $worker_core (testpmd's forwarding lcore, riptide's one worker), each"
	echo "run ${secs} s, three times each, alternating; the median run is shown, all runs are in"
	echo "ingest.json. memif does not drop: a receiver slower than the sender refuses bursts"
	echo "and sets the pace, so the sender's rate is the receiver's. testpmd rxonly frees the"
	echo "packets untouched; riptide decodes, parses and counts every one."
	echo
	echo "| format | testpmd rxonly Mpps | riptide Mpps | riptide / testpmd | riptide ns per packet | runs, testpmd / riptide Mpps | riptide counted |"
	echo "| --- | ---: | ---: | ---: | ---: | --- | --- |"
	jq -r '.memif[] |
		"| \(.format) | \(.testpmd.pps / 1e6 * 100 | floor / 100) | \(.riptide.pps / 1e6 * 100 | floor / 100) | \(.riptide.pps / .testpmd.pps * 1000 | floor / 1000) | \(1e9 / .riptide.pps * 10 | floor / 10) | \([.runs.testpmd[] / 1e5 | floor / 10] | map(tostring) | join(", ")) / \([.runs.riptide[] / 1e5 | floor / 10] | map(tostring) | join(", ")) | \(if .runs.riptide_all_counted then "every packet sent, as an event, in every run" else "NOT all: rx \(.riptide_stats.rx_packets) of \(.riptide.sent) in the median run" end) |"' \
		"$out/ingest.json"
	echo
	echo "On this machine (a 2-core VM) the sender shares core $main_core with the receivers' main"
	echo "threads and the runs vary widely (all are in the table) for testpmd, whose rate is the"
	echo "sender's when nothing else runs on that core: read the testpmd column as what the"
	echo "memif I/O path alone can reach, and riptide's, which varies far less, as what the"
	echo "decode and parse cost on top of it. The ns-per-event table above is the steadier"
	echo "measure of the hot path."
	echo
	echo "Raw figures: [ingest.json](ingest.json)."
} >"$out/ingest.md"
cat "$out/ingest.md"
