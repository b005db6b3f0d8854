# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the benchmarks that time a whole state lcore in the data path.
# state_stage_runs BUILD WORK OUT_JSON: riptide replays WORK/pay.pcap with the rules
# of WORK/rules.rql through one RX lcore and one state lcore, five times; each run's
# events, results and stage counters (state, parse, match) go to OUT_JSON with the
# median run by state ns. Sets state_layout, the layout in words for a report.
state_stage_runs() {
	local build=$1 work=$2 out=$3 r share=()

	state_layout='`--workers 2 --state-lcores 1`'
	if [ "$(nproc)" -lt 3 ]; then
		share=(--share-cores)
		state_layout="$state_layout with \`--share-cores\` on this machine of $(nproc) cores: the"
		state_layout="$state_layout state lcore shares its core with the sleeping main lcore and the sink thread"
	fi
	for ((r = 0; r < 5; r++)); do
		rm -rf "$work/out"
		"$build/dataplane/riptide" --rules "$work/rules.rql" --input "pcap:$work/pay.pcap" \
			--workers 2 --state-lcores 1 "${share[@]}" --out "$work/out" \
			--stats-out "$work/stats.json" >"$work/run.log" 2>&1 || {
			cat "$work/run.log" >&2
			return 1
		}
		jq -c '{events, produced, state_ns: .stages.state.ns, samples: .stages.state.samples,
			parse_ns: .stages.parse.ns, match_ns: .stages.match.ns}' "$work/stats.json"
	done >"$work/dp.jsonl"
	jq -s 'sort_by(.state_ns) | {median: .[2], runs: .}' "$work/dp.jsonl" >"$out"
}
