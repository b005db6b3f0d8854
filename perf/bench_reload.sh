#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Live reload time (issue: control plane): riptide idle on a memif port, riptidectl
# loads a generated set of N rules (default 1000: a tenth aggregates, the rest
# alerts, a third of those REGEXP) RUNS times in turn with a one-rule set, then the
# same N-rule set again (every aggregate carried over). Prints each load's compile and
# swap time (riptide's own figures: compile = rule compiler and Hyperscan, swap =
# pipeline and per-lcore kits built, published, RCU grace period) and writes
# docs/benchmarks/reload.{md,json}. Needs root (hugepages) and a build in build/.
# Usage: perf/bench_reload.sh [N] [RUNS]
set -euo pipefail
n=${1:-1000}
runs=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
work=$(mktemp -d /tmp/riptide-bench-reload.XXXXXX)
trap 'kill -INT $rpid 2>/dev/null; wait $rpid 2>/dev/null; rm -rf "$work"' EXIT

python3 - "$work" "$n" <<'PY'
import sys
work, n = sys.argv[1], int(sys.argv[2])
head = ("CREATE STREAM payments (ts TIMESTAMP, card STRING KEY, merchant STRING, amount DOUBLE,\n"
        "    country STRING, status STRING) WITH (format = 'json', port = 9000, timestamp = 'ts');\n")
out = [head]
for i in range(n):
    if i % 10 == 0:
        out.append(f"CREATE AGGREGATE agg_{i} AS SELECT card, COUNT(*) AS n, SUM(amount) AS s "
                   f"FROM payments WHERE amount > {i} WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY card;\n")
    elif i % 3 == 0:
        out.append(f"CREATE ALERT re_{i} AS SELECT card, merchant FROM payments "
                   f"WHERE merchant REGEXP 'shop_{i}[0-9]+x' AND amount > {i};\n")
    else:
        out.append(f"CREATE ALERT big_{i} AS SELECT card, amount FROM payments "
                   f"WHERE amount > {i * 10} AND country = 'C{i % 50}';\n")
open(f"{work}/big.rql", "w").write("".join(out))
open(f"{work}/one.rql", "w").write(head)
PY
"$build/dataplane/riptide" --rules "$work/one.rql" --input "memif:$work/m.sock" --workers 1 \
	--control "$work/c.sock" >"$work/riptide.log" 2>&1 &
rpid=$!
for _ in $(seq 300); do grep -q polling "$work/riptide.log" && break; sleep 0.1; done
ctl() { "$build/control/riptidectl" --socket "$work/c.sock" --json rules load "$1" | jq -c .result; }
: >"$work/loads.jsonl"
for _ in $(seq "$runs"); do
	ctl "$work/big.rql" | jq -c '. + {case: "new"}' >>"$work/loads.jsonl"
	ctl "$work/one.rql" >/dev/null
done
ctl "$work/big.rql" >/dev/null
for _ in $(seq "$runs"); do
	ctl "$work/big.rql" | jq -c '. + {case: "same"}' >>"$work/loads.jsonl"
done
jq -s --arg n "$n" --arg cpu "$(lscpu | sed -n 's/^Model name: *//p')" \
	'{rules: ($n | tonumber), cpu: $cpu, loads: .}' "$work/loads.jsonl" >"$root/docs/benchmarks/reload.json"
{
	echo "# Live reload of $n rules"
	echo
	echo "\`perf/bench_reload.sh $n $runs\` on $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p')):"
	echo "riptide idle on a memif port, one worker lcore; riptidectl loads the $n-rule set"
	echo "(a tenth aggregates, the rest alerts, a third of those REGEXP) in turn with a"
	echo "one-stream set (\"new\": every rule new), then the same set over itself (\"same\":"
	echo "every aggregate keeps its state). compile: rule compiler and Hyperscan (in its"
	echo "sandbox); swap: pipeline and per-lcore kits built, published with one pointer"
	echo "store, RCU grace period, old set freed."
	echo
	echo "| case | carried | compile ms | swap ms |"
	echo "| --- | ---: | ---: | ---: |"
	jq -r '"| \(.case) | \(.carried) | \(.compile_ms * 10 | round / 10) | \(.swap_ms * 10 | round / 10) |"' "$work/loads.jsonl"
} >"$root/docs/benchmarks/reload.md"
cat "$root/docs/benchmarks/reload.md"
