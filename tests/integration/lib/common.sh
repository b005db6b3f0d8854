# SPDX-License-Identifier: BSD-3-Clause
# Shared by the integration tests: where the binaries are, a scratch directory and
# cleanup that always runs, network namespaces with veth pairs, and assertions that
# count into the plain "N passed, N failed" closing line.
set -uo pipefail

RIPTIDE_BUILD=${RIPTIDE_BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../build" && pwd)}
RIPTIDE=$RIPTIDE_BUILD/dataplane/riptide
RIPTIDE_GEN=$RIPTIDE_BUILD/perf/riptide-gen
SRC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

T_PASS=0
T_FAIL=0
T_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "/tmp/riptide-$T_NAME.XXXXXX")
_cleanups=()

# at_exit CMD...: run CMD when the test ends, however it ends (last added runs first).
at_exit() { _cleanups=("$*" "${_cleanups[@]}"); }
_run_cleanups() {
	local c
	for c in "${_cleanups[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
	rm -rf "$WORK"
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

ok() { T_PASS=$((T_PASS + 1)); echo "  ok    $*"; }
not_ok() { T_FAIL=$((T_FAIL + 1)); echo "  FAIL  $*"; }

# check_eq WHAT GOT WANT
check_eq() {
	if [ "$2" == "$3" ]; then ok "$1 = $3"; else not_ok "$1: got '$2', want '$3'"; fi
}

# finish: the closing line, and the exit status meson reads.
finish() {
	echo "$T_NAME: $T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ] && [ "$T_PASS" -gt 0 ]
	exit $?
}

# check_counters STATS MANIFEST: every packet and record counter of riptide's stats
# equals what the generator wrote into the manifest (zero counters absent on both
# sides), and both conservation equations hold.
check_counters() {
	local stats=$1 manifest=$2 key
	for key in rx_packets datagrams records events; do
		check_eq "$key" "$(jq -r ".$key" "$stats")" "$(jq -r ".$key" "$manifest")"
	done
	for key in filtered decode_errors malformed; do
		check_eq "$key" "$(jq -cS ".$key" "$stats")" "$(jq -cS ".$key" "$manifest")"
	done
	check_eq "conservation: rx_packets = filtered + decode_errors + datagrams" \
		"$(jq '.rx_packets' "$stats")" \
		"$(jq '[.datagrams, (.filtered[]), (.decode_errors[])] | add' "$stats")"
	check_eq "conservation: records = malformed + events" "$(jq '.records' "$stats")" \
		"$(jq '[.events, (.malformed[])] | add' "$stats")"
}

# sum_manifests OUT M1 M2...: one manifest that adds the counters of several.
sum_manifests() {
	local out=$1
	shift
	jq -s 'def addup(k): map(.[k]) | reduce .[] as $o ({}; reduce ($o | to_entries[]) as $e (.; .[$e.key] += $e.value));
		{rx_packets: (map(.rx_packets) | add), datagrams: (map(.datagrams) | add),
		records: (map(.records) | add), events: (map(.events) | add),
		filtered: addup("filtered"), decode_errors: addup("decode_errors"),
		malformed: addup("malformed")}' \
		"$@" >"$out"
}

# netns_veth NS A B: a namespace NS holding a veth pair A <-> B, both up, IPv6 off
# so that the kernel sends nothing of its own on them. Removed at exit.
netns_veth() {
	local ns=$1 a=$2 b=$3
	ip netns add "$ns" || return 1
	at_exit ip netns del "$ns"
	ip -n "$ns" link add "$a" type veth peer name "$b" || return 1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 || return 1
	ip -n "$ns" link set "$a" up && ip -n "$ns" link set "$b" up
}

# wait_for_line FILE PATTERN SECONDS: until FILE holds a line matching PATTERN.
wait_for_line() {
	local i
	for i in $(seq 1 $(($3 * 10))); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "$T_NAME: needs root (hugepages, namespaces); run scripts/setup.sh as root"
		exit 1
	fi
}
