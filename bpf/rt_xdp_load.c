/* SPDX-License-Identifier: BSD-3-Clause */
#include "rt_xdp_load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "riptide_xdp.skel.h"

#define PIN_ROOT "/sys/fs/bpf"

/* A listed prefix and its hit counter slot, kept sorted by prefix. */
struct listed {
	struct rt_xdp_prefix p;
	uint32_t slot;
};

struct rt_xdp {
	struct riptide_xdp *skel;
	int ncpus;
	int lock_fd; /* PIN_ROOT, flock()ed while pinned */
	bool pinned;
	int obj_fd; /* memfd with the object, for DPDK */
	char obj_path[64];
	uint8_t ports[65536]; /* what rt_xdp_ports holds */
	struct listed *listed;
	size_t n_listed;
	uint8_t *slot_used; /* RT_XDP_MAX_PREFIXES */
	uint64_t *percpu;   /* ncpus values, for per-CPU reads and zeroing */
};

/* The maps that are pinned (all but the socket map, which is each port's own). */
#define N_PINNED 6

static void pinned_maps(struct rt_xdp *x, struct bpf_map *v[N_PINNED])
{
	v[0] = x->skel->maps.rt_xdp_ports;
	v[1] = x->skel->maps.rt_xdp_blocked;
	v[2] = x->skel->maps.rt_xdp_hits;
	v[3] = x->skel->maps.rt_xdp_config;
	v[4] = x->skel->maps.rt_xdp_counts;
	v[5] = x->skel->maps.rt_xdp_rate;
}

/* libbpf reports through a callback; its last warning goes into the error. */
static char libbpf_msg[256];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN) {
		vsnprintf(libbpf_msg, sizeof(libbpf_msg), fmt, ap);
		libbpf_msg[strcspn(libbpf_msg, "\n")] = '\0';
	}
	return 0;
}

static int fail(struct rt_xdp *x, int rc, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "XDP pre-filter: %s: %s%s%s", what, strerror(-rc),
		 libbpf_msg[0] ? " (libbpf: " : "", libbpf_msg[0] ? libbpf_msg : "");
	if (libbpf_msg[0])
		strncat(err, ")", errlen - strlen(err) - 1);
	rt_xdp_close(x);
	return rc;
}

int rt_xdp_open(struct rt_xdp **out, bool pin, char *err, size_t errlen)
{
	struct rt_xdp *x = calloc(1, sizeof(*x));
	struct bpf_map *maps[N_PINNED];
	struct statfs fs;
	const void *elf;
	size_t k, sz;
	int rc;

	*out = NULL;
	if (x == NULL)
		return -ENOMEM;
	x->lock_fd = x->obj_fd = -1;
	libbpf_msg[0] = '\0';
	libbpf_set_print(libbpf_print);
	x->ncpus = libbpf_num_possible_cpus();
	x->slot_used = calloc(RT_XDP_MAX_PREFIXES, 1);
	x->percpu = x->ncpus > 0 ? calloc((size_t)x->ncpus, sizeof(uint64_t)) : NULL;
	if (x->slot_used == NULL || x->percpu == NULL)
		return fail(x, x->ncpus < 0 ? x->ncpus : -ENOMEM, err, errlen, "set-up");
	x->skel = riptide_xdp__open();
	if (x->skel == NULL)
		return fail(x, -errno, err, errlen, "opening the embedded object");
	pinned_maps(x, maps);
	if (pin) {
		/* one riptide at a time between the pins and their removal; the pins
		 * of one that died are not reused (they hold its configuration) */
		x->lock_fd = open(PIN_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (x->lock_fd < 0 || fstatfs(x->lock_fd, &fs) != 0 || fs.f_type != BPF_FS_MAGIC) {
			/* ip netns exec mounts a fresh /sys without it */
			snprintf(err, errlen,
				 "XDP pre-filter: " PIN_ROOT " is not a bpffs mount (mount -t bpf "
				 "bpf " PIN_ROOT "; scripts/setup-host.sh does, and inside ip "
				 "netns exec it must be mounted again)");
			rt_xdp_close(x);
			return -ENOTSUP;
		}
		if (flock(x->lock_fd, LOCK_EX) != 0)
			return fail(x, -errno, err, errlen, "locking " PIN_ROOT);
		for (k = 0; k < N_PINNED; k++) {
			char path[128];

			snprintf(path, sizeof(path), PIN_ROOT "/%s", bpf_map__name(maps[k]));
			if (unlink(path) != 0 && errno != ENOENT)
				return fail(x, -errno, err, errlen, "removing a stale pin");
		}
		x->pinned = true;
	} else {
		for (k = 0; k < N_PINNED; k++)
			bpf_map__set_pin_path(maps[k], NULL);
	}
	rc = riptide_xdp__load(x->skel);
	if (rc != 0)
		return fail(x, rc, err, errlen, "loading (verifier)");
	elf = riptide_xdp__elf_bytes(&sz);
	x->obj_fd = memfd_create("riptide_xdp.bpf.o", MFD_CLOEXEC);
	if (x->obj_fd >= 0 && write(x->obj_fd, elf, sz) == (ssize_t)sz)
		snprintf(x->obj_path, sizeof(x->obj_path), "/proc/self/fd/%d", x->obj_fd);
	*out = x;
	return 0;
}

const char *rt_xdp_obj_path(struct rt_xdp *x)
{
	return x->obj_path[0] ? x->obj_path : NULL;
}

void rt_xdp_unpin(struct rt_xdp *x)
{
	struct bpf_map *maps[N_PINNED];
	size_t k;

	if (!x->pinned)
		return;
	pinned_maps(x, maps);
	for (k = 0; k < N_PINNED; k++)
		bpf_map__unpin(maps[k], NULL);
	x->pinned = false;
	if (x->lock_fd >= 0)
		close(x->lock_fd); /* the lock goes with it */
	x->lock_fd = -1;
}

void rt_xdp_close(struct rt_xdp *x)
{
	if (x == NULL)
		return;
	if (x->skel != NULL)
		rt_xdp_unpin(x);
	riptide_xdp__destroy(x->skel);
	if (x->lock_fd >= 0)
		close(x->lock_fd);
	if (x->obj_fd >= 0)
		close(x->obj_fd);
	free(x->listed);
	free(x->slot_used);
	free(x->percpu);
	free(x);
}

int rt_xdp_set_ports(struct rt_xdp *x, const uint8_t allowed[65536])
{
	int fd = bpf_map__fd(x->skel->maps.rt_xdp_ports);
	uint32_t p;

	for (p = 0; p < 65536; p++) {
		uint8_t v = allowed[p] ? 1 : 0;

		if (v == x->ports[p])
			continue;
		if (bpf_map_update_elem(fd, &p, &v, BPF_ANY) != 0)
			return -errno;
		x->ports[p] = v;
	}
	return 0;
}

static int cmp_prefix(const void *a, const void *b)
{
	const struct rt_xdp_prefix *p = a, *q = b;
	int c = memcmp(p->addr, q->addr, 16);

	if (c != 0)
		return c;
	return (p->prefixlen > q->prefixlen) - (p->prefixlen < q->prefixlen);
}

static struct listed *find(struct rt_xdp *x, const struct rt_xdp_prefix *p)
{
	if (x->n_listed == 0)
		return NULL; /* and no NULL base for bsearch */
	return bsearch(p, x->listed, x->n_listed, sizeof(*x->listed), cmp_prefix);
}

/* Zeroes slot s's hit counters on every CPU. */
static int zero_slot(struct rt_xdp *x, uint32_t s)
{
	memset(x->percpu, 0, (size_t)x->ncpus * sizeof(uint64_t));
	return bpf_map_update_elem(bpf_map__fd(x->skel->maps.rt_xdp_hits), &s, x->percpu, BPF_ANY)
		       ? -errno
		       : 0;
}

int rt_xdp_set_blocked(struct rt_xdp *x, const struct rt_xdp_prefix *v, size_t n)
{
	int fd = bpf_map__fd(x->skel->maps.rt_xdp_blocked);
	struct listed *next;
	size_t k, m = 0;
	uint32_t s = 0;

	if (n > RT_XDP_MAX_PREFIXES)
		return -E2BIG;
	next = calloc(n + 1, sizeof(*next));
	if (next == NULL)
		return -ENOMEM;
	for (k = 0; k < n; k++)
		next[k].p = v[k];
	qsort(next, n, sizeof(*next), cmp_prefix);
	/* duplicates collapse; those listed already keep their slots */
	for (k = 0; k < n; k++) {
		struct listed *old;

		if (m > 0 && cmp_prefix(&next[m - 1].p, &next[k].p) == 0)
			continue;
		next[m] = next[k];
		old = find(x, &next[m].p);
		next[m].slot = old != NULL ? old->slot : UINT32_MAX;
		m++;
	}
	/* those gone first: their slots become free */
	for (k = 0; k < x->n_listed; k++) {
		if (bsearch(&x->listed[k].p, next, m, sizeof(*next), cmp_prefix) != NULL)
			continue;
		if (bpf_map_delete_elem(fd, &x->listed[k].p) != 0 && errno != ENOENT)
			goto fail;
		x->slot_used[x->listed[k].slot] = 0;
	}
	for (k = 0; k < m; k++) {
		if (next[k].slot != UINT32_MAX)
			continue;
		while (x->slot_used[s])
			s++;
		if (zero_slot(x, s) != 0 || bpf_map_update_elem(fd, &next[k].p, &s, BPF_ANY) != 0)
			goto fail;
		x->slot_used[s] = 1;
		next[k].slot = s;
	}
	free(x->listed);
	x->listed = next;
	x->n_listed = m;
	return 0;
fail:
	free(next);
	return -errno;
}

uint64_t rt_xdp_prefix_hits(struct rt_xdp *x, const struct rt_xdp_prefix *p)
{
	const struct listed *l = find(x, p);
	uint64_t sum = 0;
	int c;

	if (l == NULL ||
	    bpf_map_lookup_elem(bpf_map__fd(x->skel->maps.rt_xdp_hits), &l->slot, x->percpu) != 0)
		return 0;
	for (c = 0; c < x->ncpus; c++)
		sum += x->percpu[c];
	return sum;
}

int rt_xdp_set_rate(struct rt_xdp *x, uint64_t interval_ns, uint64_t tolerance_ns)
{
	struct rt_xdp_config cfg = { .interval_ns = interval_ns, .tolerance_ns = tolerance_ns };
	uint32_t zero = 0;

	return bpf_map_update_elem(bpf_map__fd(x->skel->maps.rt_xdp_config), &zero, &cfg, BPF_ANY)
		       ? -errno
		       : 0;
}

int rt_xdp_clear_rate(struct rt_xdp *x)
{
	int fd = bpf_map__fd(x->skel->maps.rt_xdp_rate);
	uint8_t key[16];

	while (bpf_map_get_next_key(fd, NULL, key) == 0)
		if (bpf_map_delete_elem(fd, key) != 0)
			return -errno;
	return 0;
}

int rt_xdp_counts(struct rt_xdp *x, uint64_t c[RT_XDP_N_COUNTS])
{
	int fd = bpf_map__fd(x->skel->maps.rt_xdp_counts);
	uint32_t k;
	int cpu;

	for (k = 0; k < RT_XDP_N_COUNTS; k++) {
		if (bpf_map_lookup_elem(fd, &k, x->percpu) != 0)
			return -errno;
		c[k] = 0;
		for (cpu = 0; cpu < x->ncpus; cpu++)
			c[k] += x->percpu[cpu];
	}
	return 0;
}

int rt_xdp_test_run(struct rt_xdp *x, const void *pkt, uint32_t len, uint32_t repeat,
		    uint32_t *action, uint32_t *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len,
		    .repeat = repeat ? repeat : 1);
	int rc = bpf_prog_test_run_opts(bpf_program__fd(x->skel->progs.riptide_xdp), &o);

	if (rc != 0)
		return -errno;
	*action = o.retval;
	if (ns != NULL)
		*ns = o.duration;
	return 0;
}
