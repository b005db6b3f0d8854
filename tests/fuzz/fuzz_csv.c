/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: CSV datagrams; the first byte picks the delimiter. */
#include "fuzz_fmt.h"

static const char rql[] = "CREATE STREAM s (ts TIMESTAMP, card STRING, amount DOUBLE, n BIGINT, "
			  "ok BOOLEAN) WITH (format = 'csv', port = 1, timestamp = 'ts');";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[] = { ',', ';', '|', '\t' };
	struct fmt_schema *sc = fuzz_schema(rql);

	if (size == 0)
		return 0;
	sc->delimiter = delims[data[0] & 3];
	fuzz_datagram(sc, data + 1, size - 1);
	return 0;
}
