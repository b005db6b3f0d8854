# SPDX-License-Identifier: BSD-3-Clause
# A real Apache Kafka broker for integration tests: KRaft, one node acting as both
# broker and controller, on free loopback ports, in a directory of its own.
#
#   source tests/integration/lib/kafka.sh
#   kafka_start DIR        # sets KAFKA_BOOTSTRAP (127.0.0.1:PORT) and KAFKA_PID
#   kafka_stop             # SIGTERM, wait, SIGKILL after 30 s
#   kafka_restart          # the same broker again (same ports, same log) after a stop
#
# With KAFKA_NETNS set, the broker and the readiness probe run in that network
# namespace (its loopback must be up): tests whose riptide runs in a namespace with
# veth ports reach the broker there.
#
# The jars come from Maven Central through Maven (pinned in kafka/pom.xml) and are
# cached in $RIPTIDE_CACHE (default ~/.cache/riptide) between runs.

_kafka_here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$_kafka_here/kafka/pom.xml")
RIPTIDE_CACHE=${RIPTIDE_CACHE:-$HOME/.cache/riptide}
KAFKA_LIBS=$RIPTIDE_CACHE/kafka-$KAFKA_VERSION

# kafka_fetch: resolve the broker's jars once; later calls find them cached.
kafka_fetch() {
	if [ -f "$KAFKA_LIBS/.complete" ]; then
		return 0
	fi
	mkdir -p "$KAFKA_LIBS"
	echo "kafka: fetching Apache Kafka $KAFKA_VERSION from Maven Central into $KAFKA_LIBS" >&2
	if ! mvn -q -B -Dstyle.color=never -f "$_kafka_here/kafka/pom.xml" dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS" >&2; then
		echo "kafka: maven could not resolve the broker's jars" >&2
		return 1
	fi
	touch "$KAFKA_LIBS/.complete"
}

# _kns CMD...: CMD in KAFKA_NETNS when it is set.
_kns() {
	if [ -n "${KAFKA_NETNS:-}" ]; then
		ip netns exec "$KAFKA_NETNS" "$@"
	else
		"$@"
	fi
}

# _free_port: a TCP port on 127.0.0.1 that nothing listens on now.
_free_port() {
	_kns python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# kafka_start DIR: format a fresh KRaft log in DIR and start the broker.
kafka_start() {
	local dir=$1 port cport
	kafka_fetch || return 1
	mkdir -p "$dir"
	port=$(_free_port)
	cport=$(_free_port)
	while [ "$cport" = "$port" ]; do cport=$(_free_port); done
	cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
	cat >"$dir/log4j.properties" <<'PROPS'
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=${kafka.logs.dir}/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
PROPS
	KAFKA_DIR=$dir
	KAFKA_BOOTSTRAP=127.0.0.1:$port
	export KAFKA_BOOTSTRAP KAFKA_DIR
	_kafka_jvm "$dir"
	"${_jvm[@]}" kafka.tools.StorageTool format -t "$(python3 -c 'import uuid,base64;print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))')" \
		-c "$dir/server.properties" >"$dir/format.log" 2>&1 || {
		echo "kafka: storage format failed:" >&2
		tail -20 "$dir/format.log" >&2
		return 1
	}
	_kafka_launch
}

# _kafka_jvm DIR: the java command line of the broker in DIR, in _jvm.
_kafka_jvm() {
	_jvm=(java -Xms256m -Xmx512m -XX:+UseG1GC
		-Dkafka.logs.dir="$1" -Dlog4j.configuration="file:$1/log4j.properties"
		-cp "$KAFKA_LIBS/*")
}

# _kafka_launch: start the broker of KAFKA_DIR and wait until it answers.
_kafka_launch() {
	local dir=$KAFKA_DIR i
	_kafka_jvm "$dir"
	# not through _kns: $! must be the JVM (ip netns exec execs it), not a subshell
	if [ -n "${KAFKA_NETNS:-}" ]; then
		ip netns exec "$KAFKA_NETNS" "${_jvm[@]}" kafka.Kafka "$dir/server.properties" \
			>>"$dir/stdout.log" 2>&1 &
	else
		"${_jvm[@]}" kafka.Kafka "$dir/server.properties" >>"$dir/stdout.log" 2>&1 &
	fi
	KAFKA_PID=$!
	export KAFKA_PID
	# Ready when a metadata request through librdkafka (kcat) lists the broker.
	for i in $(seq 1 120); do
		if ! kill -0 "$KAFKA_PID" 2>/dev/null; then
			echo "kafka: broker exited during start, see $dir/stdout.log" >&2
			return 1
		fi
		if _kns kcat -b "$KAFKA_BOOTSTRAP" -L -m 2 >/dev/null 2>&1; then
			echo "kafka: broker $KAFKA_VERSION ready on $KAFKA_BOOTSTRAP" >&2
			return 0
		fi
		sleep 0.5
	done
	echo "kafka: broker not ready after 60 s" >&2
	kafka_stop
	return 1
}

kafka_restart() {
	[ -n "${KAFKA_DIR:-}" ] || return 1
	kafka_stop
	_kafka_launch
}

kafka_stop() {
	[ -n "${KAFKA_PID:-}" ] || return 0
	kill -TERM "$KAFKA_PID" 2>/dev/null || true
	for _ in $(seq 1 60); do
		kill -0 "$KAFKA_PID" 2>/dev/null || break
		sleep 0.5
	done
	kill -KILL "$KAFKA_PID" 2>/dev/null || true
	wait "$KAFKA_PID" 2>/dev/null || true
	KAFKA_PID=
}
