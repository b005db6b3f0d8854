/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_privs.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "control/ctl_server.h"
#include "dp_config.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int lookup(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || res == NULL) {
		snprintf(err, errlen, "--user %s: no such user", user);
		return -EINVAL;
	}
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

int dp_privs_check(const char *user, char *err, size_t errlen)
{
	uid_t uid;
	gid_t gid;

	return lookup(user, &uid, &gid, err, errlen);
}

/* The capabilities the inputs use while they run. */
static uint64_t needed(const struct dp_config *cfg)
{
	uint64_t caps = 0;
	unsigned int k;

	for (k = 0; k < cfg->n_inputs; k++) {
		switch (cfg->inputs[k].kind) {
		case DP_IN_AF_PACKET:
			caps |= UINT64_C(1) << CAP_NET_RAW;
			break;
		case DP_IN_AF_XDP:
			caps |= UINT64_C(1) << CAP_NET_RAW | UINT64_C(1) << CAP_NET_ADMIN |
				UINT64_C(1) << CAP_BPF;
			break;
		default:
			break;
		}
	}
	return caps;
}

static int set_caps(uint64_t caps)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = (uint32_t)caps;
	d[1].effective = d[1].permitted = (uint32_t)(caps >> 32);
	return syscall(SYS_capset, &h, d) == 0 ? 0 : -errno;
}

int dp_privs_drop(const char *user, const struct dp_config *cfg, const struct ctl_server *ctl,
		  char *err, size_t errlen)
{
	uint64_t keep = needed(cfg);
	uid_t uid;
	gid_t gid;
	int cap, rc;

	rc = lookup(user, &uid, &gid, err, errlen);
	if (rc != 0)
		return rc;
	if (ctl != NULL && (rc = ctl_server_chown(ctl, uid, gid)) != 0) {
		snprintf(err, errlen, "--user %s: cannot give it the control socket: %s", user,
			 strerror(-rc));
		return rc;
	}
	/* the bounding set: nothing beyond what is kept can ever come back */
	for (cap = 0; cap <= 63; cap++)
		if (!(keep >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 &&
		    errno != EINVAL)
			goto fail;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || setgroups(0, NULL) != 0 ||
	    setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
		goto fail;
	rc = set_caps(keep);
	if (rc != 0) {
		errno = -rc;
		goto fail;
	}
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		goto fail;
	return 0;
fail:
	rc = -errno;
	snprintf(err, errlen, "--user %s: cannot drop privileges: %s", user, strerror(errno));
	return rc;
}
