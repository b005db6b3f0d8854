/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: JSON datagrams against a stream with every type and dotted paths. */
#include "fuzz_fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fmt_schema sc;
	static int ready;

	if (!ready) {
		if (fmt_schema_init(
			    &sc,
			    fuzz_stream(
				    "CREATE STREAM s (ts TIMESTAMP, card STRING, amount DOUBLE, "
				    "n BIGINT, ok BOOLEAN, \"d.id\" STRING, \"d.loc.lat\" DOUBLE, "
				    "\"d.loc.t\" TIMESTAMP) WITH (format = 'json', port = 1, "
				    "timestamp = 'ts');")) != 0)
			abort();
		ready = 1;
	}
	fuzz_datagram(&sc, data, size);
	return 0;
}
