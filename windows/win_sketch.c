/* SPDX-License-Identifier: BSD-3-Clause */
#include "win_sketch.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define HLL_Q	   (64 - WIN_HLL_P) /* register values 0 .. HLL_Q + 1 */
#define HLL_MARK   UINT32_MAX	    /* b.u.n of a set held as registers */
#define EXACT_MIN  2		    /* entries of the first exact block */
#define DD_MIN_CAP 16

/* The two halves of a 128-bit product folded: every bit of a and b reaches the result. */
static inline uint64_t mum(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t load64(const uint8_t *s)
{
	uint64_t w;

	memcpy(&w, s, 8);
	return w;
}

static inline uint64_t load32(const uint8_t *s)
{
	uint32_t w;

	memcpy(&w, s, 4);
	return w;
}

#define H_K0 UINT64_C(0xa0761d6478bd642f)
#define H_K1 UINT64_C(0xe7037ed1a0b428db)

uint64_t win_hash64(const void *p, size_t len, uint64_t seed)
{
	const uint8_t *s = p;
	uint64_t h = seed ^ (len * UINT64_C(0x9e3779b97f4a7c15)), a, b;
	size_t n = len;

	/* sixteen bytes a round, one multiplication each; the last 1 to 16 bytes read
	 * as two words that may overlap (never a byte outside s[0..len)) */
	while (n > 16) {
		h = mum(load64(s) ^ H_K0 ^ h, load64(s + 8) ^ H_K1);
		s += 16;
		n -= 16;
	}
	if (n >= 8) {
		a = load64(s);
		b = load64(s + n - 8);
	} else if (n >= 4) {
		a = load32(s);
		b = load32(s + n - 4);
	} else if (n > 0) {
		a = (uint64_t)s[0] << 16 | (uint64_t)s[n / 2] << 8 | s[n - 1];
		b = 0;
	} else {
		a = b = 0;
	}
	h = mum(a ^ H_K0 ^ h, b ^ H_K1 ^ (uint64_t)n);
	return win_mix64(h);
}

/* ---- COUNT_DISTINCT ---- */

static inline void hll_put(uint8_t *reg, uint64_t h)
{
	uint32_t idx = (uint32_t)(h >> HLL_Q);
	uint64_t rest = h << WIN_HLL_P;
	uint8_t rho = rest ? (uint8_t)(__builtin_clzll(rest) + 1) : HLL_Q + 1;

	if (reg[idx] < rho)
		reg[idx] = rho;
}

/* The exact set becomes registers. */
static int to_hll(struct win_acc *acc, struct win_arena *ar)
{
	uint8_t *reg = win_alloc(ar, WIN_HLL_M);
	const uint64_t *v = acc->a.p;
	uint32_t k;

	if (reg == NULL)
		return -ENOMEM;
	memset(reg, 0, WIN_HLL_M);
	for (k = 0; k < acc->b.u.n; k++)
		hll_put(reg, v[k]);
	win_free(ar, acc->a.p, acc->b.u.cap * sizeof(uint64_t));
	acc->a.p = reg;
	acc->b.u.n = HLL_MARK;
	acc->b.u.cap = 0;
	return 0;
}

int win_distinct_add(struct win_acc *acc, uint64_t hash, struct win_arena *ar)
{
	uint64_t *v = acc->a.p;
	uint32_t n = acc->b.u.n, k;

	if (n == HLL_MARK) {
		hll_put(acc->a.p, hash);
		return 0;
	}
	for (k = 0; k < n; k++)
		if (v[k] == hash)
			return 0;
	if (n == acc->b.u.cap) {
		uint32_t cap = n ? n * 2 : EXACT_MIN;
		uint64_t *nv;

		if (n == WIN_DISTINCT_EXACT) {
			if (to_hll(acc, ar) != 0)
				return -ENOMEM;
			hll_put(acc->a.p, hash);
			return 0;
		}
		nv = win_alloc(ar, cap * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		if (n > 0)
			memcpy(nv, v, n * sizeof(*nv));
		win_free(ar, v, acc->b.u.cap * sizeof(*nv));
		acc->a.p = v = nv;
		acc->b.u.cap = cap;
	}
	v[n] = hash;
	acc->b.u.n = n + 1;
	return 0;
}

/* Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" (2017),
 * the improved raw estimator: sigma and tau as series. */
static double hll_sigma(double x)
{
	double y = 1, z = x, zp;

	if (x == 1)
		return INFINITY;
	do {
		x *= x;
		zp = z;
		z += x * y;
		y += y;
	} while (z != zp);
	return z;
}

static double hll_tau(double x)
{
	double y = 1, z, zp;

	if (x == 0 || x == 1)
		return 0;
	z = 1 - x;
	do {
		x = sqrt(x);
		zp = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != zp);
	return z / 3;
}

uint64_t win_distinct_count(const struct win_acc *acc)
{
	const double m = WIN_HLL_M;
	uint32_t hist[HLL_Q + 2] = { 0 }, k;
	const uint8_t *reg = acc->a.p;
	double z;
	int q;

	if (acc->b.u.n != HLL_MARK)
		return acc->b.u.n;
	for (k = 0; k < WIN_HLL_M; k++)
		hist[reg[k]]++;
	z = m * hll_tau(1 - hist[HLL_Q + 1] / m);
	for (q = HLL_Q; q >= 1; q--)
		z = 0.5 * (z + hist[q]);
	z += m * hll_sigma(hist[0] / m);
	return (uint64_t)llround(m * m / (2 * log(2)) / z);
}

int win_distinct_merge(struct win_acc *dst, const struct win_acc *src, struct win_arena *ar)
{
	uint32_t k;

	if (src->b.u.n == HLL_MARK) {
		const uint8_t *s = src->a.p;
		uint8_t *d;

		if (dst->b.u.n != HLL_MARK && to_hll(dst, ar) != 0)
			return -ENOMEM;
		d = dst->a.p;
		for (k = 0; k < WIN_HLL_M; k++)
			if (d[k] < s[k])
				d[k] = s[k];
		return 0;
	}
	for (k = 0; k < src->b.u.n; k++)
		if (win_distinct_add(dst, ((const uint64_t *)src->a.p)[k], ar) != 0)
			return -ENOMEM;
	return 0;
}

void win_distinct_free(struct win_acc *acc, struct win_arena *ar)
{
	if (acc->b.u.n == HLL_MARK)
		win_free(ar, acc->a.p, WIN_HLL_M);
	else
		win_free(ar, acc->a.p, acc->b.u.cap * sizeof(uint64_t));
	memset(acc, 0, sizeof(*acc));
}

size_t win_distinct_bytes(const struct win_acc *acc)
{
	if (acc->b.u.n == HLL_MARK)
		return WIN_HLL_M;
	return acc->b.u.cap ? win_block_size(acc->b.u.cap * sizeof(uint64_t)) : 0;
}

/* ---- PERCENTILE_APPROX ---- */

struct dd {
	uint64_t zeros;
	int32_t lo[2]; /* index of c[s][0]; s 0: x > 0, 1: x < 0 by |x| */
	uint32_t cap[2];
	uint64_t *c[2];
};

static inline double dd_gamma(void)
{
	return (1 + WIN_DD_ALPHA) / (1 - WIN_DD_ALPHA);
}

/* Room for index i in store s, by the policy above; -ENOMEM leaves it as it was. */
static int dd_reach(struct dd *d, int s, int32_t i, struct win_arena *ar)
{
	int64_t lo = d->lo[s], hi = lo + d->cap[s], nlo, nhi;
	uint32_t cap = DD_MIN_CAP, k;
	uint64_t *nc;

	if (d->cap[s] == 0) {
		nlo = (int64_t)i - DD_MIN_CAP / 2;
		nhi = nlo + DD_MIN_CAP;
	} else {
		nlo = i < lo ? i : lo;
		nhi = i >= hi ? (int64_t)i + 1 : hi;
	}
	while ((int64_t)cap < nhi - nlo && cap < WIN_DD_MAX_BUCKETS)
		cap *= 2;
	if (nhi - nlo > cap) /* too wide: the smallest magnitudes are merged */
		nlo = nhi - cap;
	else if (i < lo) /* growing down: the new room goes below */
		nlo = nhi - cap;
	nc = win_alloc(ar, cap * sizeof(*nc));
	if (nc == NULL)
		return -ENOMEM;
	memset(nc, 0, cap * sizeof(*nc));
	for (k = 0; k < d->cap[s]; k++) {
		int64_t at = lo + k - nlo;

		nc[at < 0 ? 0 : at] += d->c[s][k];
	}
	win_free(ar, d->c[s], d->cap[s] * sizeof(*nc));
	d->c[s] = nc;
	d->lo[s] = (int32_t)nlo;
	d->cap[s] = cap;
	return 0;
}

static int dd_count(struct win_acc *acc, int s, int32_t i, uint64_t n, struct win_arena *ar)
{
	struct dd *d = acc->a.p;

	if (d == NULL) {
		d = win_alloc(ar, sizeof(*d));
		if (d == NULL)
			return -ENOMEM;
		memset(d, 0, sizeof(*d));
		acc->a.p = d;
	}
	if (s < 0) {
		d->zeros += n;
	} else {
		if (d->cap[s] == 0 || i < d->lo[s] || i >= d->lo[s] + (int64_t)d->cap[s]) {
			if (dd_reach(d, s, i, ar) != 0)
				return -ENOMEM;
			if (i < d->lo[s]) /* merged into the lowest kept bucket */
				i = d->lo[s];
		}
		d->c[s][i - d->lo[s]] += n;
	}
	acc->b.n += n;
	return 0;
}

int win_dd_add(struct win_acc *acc, double x, struct win_arena *ar)
{
	double m;

	if (!isfinite(x))
		return 0;
	if (x == 0)
		return dd_count(acc, -1, 0, 1, ar);
	m = ceil(log(fabs(x)) * WIN_DD_INV_LOG_GAMMA);
	return dd_count(acc, x < 0, (int32_t)m, 1, ar);
}

static double dd_value(int32_t i)
{
	double g = dd_gamma();

	return 2 * pow(g, i) / (g + 1);
}

int win_dd_quantile(const struct win_acc *acc, double p, double *out)
{
	const struct dd *d = acc->a.p;
	uint64_t n = acc->b.n, rank, seen = 0;
	int64_t k;

	if (d == NULL || n == 0)
		return -1;
	rank = (uint64_t)ceil(p * (double)n);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	for (k = (int64_t)d->cap[1] - 1; k >= 0; k--) { /* most negative first */
		seen += d->c[1][k];
		if (seen >= rank) {
			*out = -dd_value(d->lo[1] + (int32_t)k);
			return 0;
		}
	}
	seen += d->zeros;
	if (seen >= rank) {
		*out = 0;
		return 0;
	}
	for (k = 0; k < (int64_t)d->cap[0]; k++) {
		seen += d->c[0][k];
		if (seen >= rank) {
			*out = dd_value(d->lo[0] + (int32_t)k);
			return 0;
		}
	}
	return -1;
}

int win_dd_merge(struct win_acc *dst, const struct win_acc *src, struct win_arena *ar)
{
	const struct dd *s = src->a.p;
	uint32_t k;
	int sign;

	if (s == NULL)
		return 0;
	if (s->zeros > 0 && dd_count(dst, -1, 0, s->zeros, ar) != 0)
		return -ENOMEM;
	for (sign = 0; sign < 2; sign++)
		for (k = 0; k < s->cap[sign]; k++)
			if (s->c[sign][k] > 0 &&
			    dd_count(dst, sign, s->lo[sign] + (int32_t)k, s->c[sign][k], ar) != 0)
				return -ENOMEM;
	return 0;
}

void win_dd_free(struct win_acc *acc, struct win_arena *ar)
{
	struct dd *d = acc->a.p;

	if (d != NULL) {
		win_free(ar, d->c[0], d->cap[0] * sizeof(uint64_t));
		win_free(ar, d->c[1], d->cap[1] * sizeof(uint64_t));
		win_free(ar, d, sizeof(*d));
	}
	memset(acc, 0, sizeof(*acc));
}

size_t win_dd_bytes(const struct win_acc *acc)
{
	const struct dd *d = acc->a.p;
	size_t b;

	if (d == NULL)
		return 0;
	b = win_block_size(sizeof(*d));
	if (d->cap[0])
		b += win_block_size(d->cap[0] * sizeof(uint64_t));
	if (d->cap[1])
		b += win_block_size(d->cap[1] * sizeof(uint64_t));
	return b;
}
