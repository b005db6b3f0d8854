#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The Kafka half of the harness: a real Apache Kafka broker (KRaft, one node) from
# Maven Central jars starts on a free loopback port, takes messages from a librdkafka
# client (kcat) with acks=all and idempotence, gives them back in order, and stops,
# leaving no process behind.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/kafka.sh"

at_exit kafka_stop
t0=$(date +%s)
if ! kafka_start "$WORK/kafka"; then
	not_ok "broker started"
	tail -20 "$WORK/kafka/stdout.log" "$WORK/kafka/server.log" 2>/dev/null
	finish
fi
ok "broker $KAFKA_VERSION started on $KAFKA_BOOTSTRAP in $(($(date +%s) - t0)) s"
# What the broker's JVM really listens on (broker and controller listeners), by its
# sockets: both on 127.0.0.1 (Java's dual-stack sockets show it v4-mapped), nothing
# on another address.
listening=$(ss -Hltnp | grep "pid=$KAFKA_PID," | awk '{print $4}')
check_eq "listening sockets of the broker" "$(wc -l <<<"$listening")" 2
check_eq "sockets not on loopback" \
	"$(grep -Evc '^(127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]):' <<<"$listening")" 0

n=500
seq 1 $n | sed 's/^/event-/' >"$WORK/sent.txt"
kcat -P -b "$KAFKA_BOOTSTRAP" -t harness -K: -X enable.idempotence=true -X acks=all \
	-X message.timeout.ms=30000 < <(paste -d: <(seq 1 $n | sed 's/^/k/') "$WORK/sent.txt")
check_eq "produce exit status" "$?" 0
kcat -C -b "$KAFKA_BOOTSTRAP" -t harness -o beginning -c $n -e -q -f '%s\n' >"$WORK/got.txt" 2>"$WORK/consume.err"
check_eq "messages read back" "$(wc -l <"$WORK/got.txt")" $n
check_eq "in order, unchanged" "$(cmp -s "$WORK/sent.txt" "$WORK/got.txt" && echo same)" same
check_eq "keys kept" "$(kcat -C -b "$KAFKA_BOOTSTRAP" -t harness -o beginning -c 1 -e -q -f '%k')" k1

pid=$KAFKA_PID
kafka_stop
check_eq "broker process gone after stop" "$(kill -0 "$pid" 2>/dev/null && echo alive || echo gone)" gone
check_eq "cached jars" "$(test -f "$KAFKA_LIBS/.complete" && echo yes)" yes
finish
