#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# riptide's outside as INTERFACES.md gives it: --check-rules, exit statuses 0/1/2,
# and error messages that name what was wrong and where.
. "$(dirname "$0")/lib/common.sh"
require_root

good=$SRC_ROOT/docs/examples/payments.rql
out=$("$RIPTIDE" --rules "$good" --check-rules 2>&1)
check_eq "--check-rules on the example: exit status" "$?" 0
check_eq "--check-rules on the example: message" "$out" "$good: 1 stream(s), 4 rule(s), no errors"

cat >"$WORK/bad.rql" <<'RQL'
CREATE STREAM s (x BIGINT, x DOUBLE) WITH (format = 'xml', port = 9000);
CREATE STREAM t (y STRING) WITH (format = 'binary', port = 9000);
RQL
out=$("$RIPTIDE" --rules "$WORK/bad.rql" --check-rules 2>&1)
check_eq "--check-rules on a bad file: exit status" "$?" 2
check_eq "every error in one pass" "$(grep -c ': error: ' <<<"$out")" 4
check_eq "binary string without length located" "$(sed -n 3p <<<"$out")" \
	"$WORK/bad.rql:2:18: error: column 'y': format 'binary' needs a fixed length, STRING(n)"
check_eq "first error located" "$(head -1 <<<"$out")" \
	"$WORK/bad.rql:1:28: error: column 'x' is declared twice"
check_eq "port clash with a stream that had errors, located" "$(tail -1 <<<"$out")" \
	"$WORK/bad.rql:2:53: error: port 9000 is already taken by stream 's'"

"$RIPTIDE" --rules "$WORK/bad.rql" --input null >/dev/null 2>&1
check_eq "invalid rules at start: exit status" "$?" 2
"$RIPTIDE" --rules "$WORK/missing.rql" --check-rules 2>"$WORK/err" >/dev/null
check_eq "missing rule file: exit status" "$?" 2
check_eq "missing rule file: message" "$(cat "$WORK/err")" \
	"$WORK/missing.rql:1:1: error: cannot open: No such file or directory"

"$RIPTIDE" --rules "$good" --input bogus:x 2>"$WORK/err" >/dev/null
check_eq "unknown input kind: exit status" "$?" 2
check_eq "unknown input kind: message" "$(cat "$WORK/err")" \
	"riptide: --input 'bogus:x': unknown kind (pcap:, af_xdp:, af_packet:, memif:, pci:, null)"
echo "not a pcap" >"$WORK/junk.pcap"
"$RIPTIDE" --rules "$good" --input "pcap:$WORK/junk.pcap" 2>"$WORK/err" >/dev/null
check_eq "not a pcap: exit status" "$?" 2
check_eq "not a pcap: names the file" "$(grep -c "pcap:$WORK/junk.pcap" "$WORK/err")" 1
"$RIPTIDE" --rules "$good" --input null --workers 64 2>"$WORK/err" >/dev/null
check_eq "more workers than cores: exit status" "$?" 2
"$RIPTIDE" --rules "$good" --input af_packet:rt-nosuch0 --workers 0 2>"$WORK/err" >/dev/null
check_eq "interface that does not exist: exit status (runtime failure)" "$?" 1
check_eq "interface that does not exist: message names the input" \
	"$(grep -c 'af_packet:rt-nosuch0' "$WORK/err")" 1
"$RIPTIDE" --help >"$WORK/help"
check_eq "--help: exit status" "$?" 0
check_eq "--help lists every input kind" "$(grep -cE '^  (pcap|af_xdp|af_packet|memif|pci):|^  null ' "$WORK/help")" 6

# A null port never ends: SIGINT stops riptide cleanly, with its stats.
"$RIPTIDE" --rules "$good" --input null --workers 1 --stats-out "$WORK/null.json" \
	>"$WORK/null.log" 2>&1 &
pid=$!
at_exit kill -KILL $pid
wait_for_line "$WORK/null.log" "worker lcore(s) polling" 30
sleep 0.5
kill -INT $pid
wait $pid
check_eq "SIGINT on a null port: exit status" "$?" 0
check_eq "null port packets are counted" "$(jq '.rx_packets > 0' "$WORK/null.json")" true
check_eq "and balance" "$(jq '.rx_packets == ([.datagrams, (.filtered[]), (.decode_errors[])] | add)' "$WORK/null.json")" true

# riptide-gen send refuses bad queue and core lists with exit 2 and a message, before EAL
gen_send_bad() { # WHAT EXPECTED-TEXT ARGS...
	local what=$1 want=$2
	shift 2
	"$RIPTIDE_GEN" send --pcap "$WORK/none.pcap" --input "memif:$WORK/none.sock:client" "$@" \
		>/dev/null 2>"$WORK/gen.err"
	check_eq "riptide-gen send $what: exit status" "$?" 2
	check_eq "riptide-gen send $what: said" "$(grep -c -- "$want" "$WORK/gen.err")" 1
}
gen_send_bad "--queues 0" "--queues 0: 1 to 64" --queues 0
gen_send_bad "--queues 65" "--queues 65: 1 to 64" --queues 65
gen_send_bad "--cores 1,a" "--cores 1,a: CPU numbers separated by commas, at most 32" --cores 1,a
gen_send_bad "--cores 1," "--cores 1,: CPU numbers" --cores 1,
gen_send_bad "--core 1,2" "--core 1,2: a CPU number" --core 1,2
finish
