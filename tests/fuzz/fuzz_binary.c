/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: binary datagrams of any length against the payments layout. */
#include "fuzz_fmt.h"

static const char rql[] = "CREATE STREAM s (ts TIMESTAMP, card STRING(16), merchant STRING(16), "
			  "amount DOUBLE, country STRING(2), status STRING(8), ok BOOLEAN) "
			  "WITH (format = 'binary', port = 1, timestamp = 'ts');";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_datagram(fuzz_schema(rql), data, size);
	return 0;
}
