/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: JSON datagrams against a stream with every type and dotted paths. */
#include "fuzz_fmt.h"

static const char rql[] =
	"CREATE STREAM s (ts TIMESTAMP, card STRING, amount DOUBLE, n BIGINT, "
	"ok BOOLEAN, \"d.id\" STRING, \"d.loc.lat\" DOUBLE, \"d.loc.t\" TIMESTAMP) "
	"WITH (format = 'json', port = 1, timestamp = 'ts');";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_datagram(fuzz_schema(rql), data, size);
	return 0;
}
