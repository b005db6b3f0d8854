#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Every test of riptide, in stages, each timed:
#   build        release build with -Werror
#   format       every C file as .clang-format says (fix with `make format`)
#   unit         CUnit suites (meson test --suite unit)
#   asan         the unit suites and the live-reload integration test (control_reload)
#                again, built with ASan + UBSan (clang)
#   integration  riptide on real DPDK ports, veth pairs in namespaces, Kafka broker
#   fuzz         each libFuzzer target for FUZZ_SECONDS (default 60) on its corpus
# Ends with "tests: N passed, N failed"; exit status 0 only when nothing failed.
#   scripts/test.sh [STAGE...]     (default: all stages)
set -uo pipefail
cd "$(dirname "$0")/.."
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(build format unit asan integration fuzz)
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
passed=0
failed=0
summary=()

# Counts the results of one meson test run from its JSON log.
count_meson() {
	local log=$1/meson-logs/testlog.json p f
	[ -f "$log" ] || { failed=$((failed + 1)); return; }
	p=$(jq -s '[.[] | select(.result == "OK")] | length' "$log")
	f=$(jq -s '[.[] | select(.result != "OK" and .result != "SKIP")] | length' "$log")
	passed=$((passed + p))
	failed=$((failed + f))
}

configure() { # DIR ARGS...
	local dir=$1
	shift
	if [ -d "$dir" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
}

stage_build() {
	configure build -Dwerror=true && ninja -C build
}
# meson_suite DIR SUITE [ARGS...]: one meson test suite, its results counted.
meson_suite() {
	local dir=$1 suite=$2 rc
	shift 2
	meson test -C "$dir" --suite "$suite" --print-errorlogs "$@"
	rc=$?
	count_meson "$dir"
	return $rc
}
stage_format() {
	if clang-format --dry-run --Werror $(git ls-files '*.c' '*.h'); then
		passed=$((passed + 1))
	else
		echo "format: run 'make format'"
		failed=$((failed + 1))
		return 1
	fi
}
# The build targets of the sources DIR/PATTERN: tests/unit/x_test.c -> tests/unit/x_test.
targets() {
	local f
	for f in "$1"/$2; do
		echo "${f%.c}"
	done
}
stage_unit() {
	meson_suite build unit
}
stage_asan() {
	CC=clang configure build-asan -Dwerror=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fno-sanitize-recover=undefined -Dfuzz=disabled &&
		ninja -C build-asan $(targets tests/unit '*_test.c') || return 1
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		meson_suite build-asan unit --no-rebuild || return 1
	# live reload under traffic with riptide itself built with ASan and UBSan: a
	# report aborts riptide, and the test checks its exit status
	ninja -C build-asan dataplane/riptide control/riptidectl perf/riptide-gen || return 1
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		RIPTIDE_BUILD=$PWD/build-asan bash tests/integration/control_reload.sh
}
stage_integration() {
	meson_suite build integration
}
stage_fuzz() {
	local t rc=0 corpus
	CC=clang configure build-fuzz -Dtests=disabled -Dfuzz=enabled &&
		ninja -C build-fuzz $(targets tests/fuzz 'fuzz_*.c') || return 1
	for t in $(targets tests/fuzz 'fuzz_*.c'); do
		t=${t##*/}
		# New inputs go to a scratch directory; the corpus in the tree stays as it is.
		corpus=$(mktemp -d)
		if ./build-fuzz/tests/fuzz/$t -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
			"$corpus" "tests/fuzz/corpus/$t" >"build-fuzz/$t.log" 2>&1; then
			passed=$((passed + 1))
			echo "fuzz: $t: $(grep -o 'Done [0-9]* runs' "build-fuzz/$t.log"), no crash"
		else
			failed=$((failed + 1))
			rc=1
			tail -40 "build-fuzz/$t.log"
		fi
		rm -rf "$corpus"
	done
	return $rc
}

status=0
for s in "${stages[@]}"; do
	t0=$(date +%s)
	echo "=== stage $s"
	if ! "stage_$s"; then
		status=1
		summary+=("$s: FAILED after $(($(date +%s) - t0)) s")
		[ "$s" = build ] && break
	else
		summary+=("$s: ok in $(($(date +%s) - t0)) s")
	fi
done
echo "=== stages"
printf '  %s\n' "${summary[@]}"
[ $status -eq 0 ] || [ $failed -gt 0 ] || failed=1
echo "tests: $passed passed, $failed failed"
exit $status
