/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: binary datagrams of any length against the payments layout. */
#include "fuzz_fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fmt_schema sc;
	static int ready;

	if (!ready) {
		if (fmt_schema_init(
			    &sc,
			    fuzz_stream(
				    "CREATE STREAM s (ts TIMESTAMP, card STRING(16), merchant "
				    "STRING(16), amount DOUBLE, country STRING(2), status STRING(8), "
				    "ok BOOLEAN) WITH (format = 'binary', port = 1, "
				    "timestamp = 'ts');")) != 0)
			abort();
		ready = 1;
	}
	fuzz_datagram(&sc, data, size);
	return 0;
}
