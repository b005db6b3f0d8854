/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the control socket's request parser on any bytes. A request it accepts
 * has a command in range and every argument that command needs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/ctl_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request req;
	char err[256];

	err[0] = '\0';
	if (ctl_request_parse((const char *)data, size, &req, err, sizeof(err)) != 0) {
		if (err[0] == '\0' || strlen(err) >= sizeof(err))
			abort(); /* a refusal always says why */
		return 0;
	}
	if (ctl_cmd_name(req.cmd) == NULL)
		abort();
	switch (req.cmd) {
	case CTL_RULES_CHECK:
	case CTL_RULES_LOAD:
		if (req.file == NULL || req.text == NULL)
			abort();
		break;
	case CTL_FILTER_ADD:
	case CTL_FILTER_DEL:
		if (req.prefix == NULL)
			abort();
		break;
	case CTL_FILTER_RATE:
		if (req.pps > 1000000000 || req.burst > 1000000000)
			abort();
		break;
	default:
		break;
	}
	ctl_request_free(&req);
	return 0;
}
