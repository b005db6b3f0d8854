#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# One step from a fresh Debian 12 machine to one that builds, tests and runs riptide:
# packages, then hugepages, hugetlbfs, bpffs and the kernel checks. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/install-deps.sh"
"$here/setup-host.sh" "$@"
