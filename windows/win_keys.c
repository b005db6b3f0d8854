/* SPDX-License-Identifier: BSD-3-Clause */
#include "win_keys.h"

#include <errno.h>
#include <string.h>

#include "win_sketch.h"

void win_keyspec_init(struct win_keyspec *ks, const uint32_t *cols, uint32_t n,
		      const struct pat_stream *s)
{
	uint32_t k;

	memset(ks, 0, sizeof(*ks));
	ks->n = n;
	for (k = 0; k < n; k++) {
		ks->cols[k] = cols[k];
		ks->type[k] = (uint8_t)s->cols[cols[k]].type;
		ks->strings += ks->type[k] == PAT_T_STRING;
	}
}

int win_keys_init(struct win_keys *t, const struct win_keyspec *ks, size_t data_size, uint32_t cap,
		  struct win_arena *arena)
{
	uint64_t slots = 2;
	int rc;

	memset(t, 0, sizeof(*t));
	t->ks = ks;
	t->arena = arena;
	while (slots < 2 * (uint64_t)cap)
		slots *= 2;
	if (slots > (UINT64_C(1) << 31))
		return -EINVAL;
	t->mask = (uint32_t)slots - 1;
	/* per column a presence byte and 8 bytes, or a length and the string */
	t->kcap = ks->n * 9 + ks->strings * (4 + (size_t)PAT_MAX_STRING);
	t->kbuf = win_reserve(t->kcap + 8);
	t->index = win_reserve(slots * sizeof(*t->index));
	if (t->kbuf == NULL || t->index == NULL) {
		win_keys_fini(t);
		return -ENOMEM;
	}
	rc = win_pool_init(&t->recs, sizeof(struct win_key) + data_size, cap);
	if (rc != 0)
		win_keys_fini(t);
	return rc;
}

void win_keys_fini(struct win_keys *t)
{
	win_unreserve(t->kbuf, t->kcap + 8);
	if (t->index != NULL)
		win_unreserve(t->index, ((size_t)t->mask + 1) * sizeof(*t->index));
	win_pool_fini(&t->recs);
	t->kbuf = NULL;
	t->index = NULL;
}

/* memcpy() for what keys mostly are, a few bytes, without a call: two words that may
 * overlap, read and written inside [0, n) only. */
static inline void copy_bytes(uint8_t *d, const uint8_t *s, uint32_t n)
{
	uint64_t a, b;
	uint32_t x, y;

	if (n >= 8 && n <= 16) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4 && n < 8) {
		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		memcpy(d, &x, 4);
		memcpy(d + n - 4, &y, 4);
	} else {
		memcpy(d, s, n);
	}
}

/* The eight bytes that stand for a value other than a string in a key: a double as
 * its bits (-0 as 0, so that equal values are equal keys), a boolean as 0 or 1. */
static inline uint64_t key_word(uint8_t type, const struct fmt_value *v)
{
	uint64_t w;

	if (type == PAT_T_DOUBLE) {
		double d = v->d == 0 ? 0.0 : v->d;

		memcpy(&w, &d, 8);
		return w;
	}
	if (type == PAT_T_BOOLEAN)
		return (uint64_t)v->b;
	return (uint64_t)v->i;
}

/* The bytes of row's key into o, which has room for them; returns their count. */
static uint32_t encode(const struct win_keyspec *ks, const struct fmt_row *row, uint8_t *o)
{
	const uint8_t *o0 = o;
	uint32_t k;

	for (k = 0; k < ks->n; k++) {
		uint32_t c = ks->cols[k];
		const struct fmt_value *v = &row->v[c];

		if (!(row->present >> c & 1)) {
			*o++ = 0;
			continue;
		}
		*o++ = 1;
		if (ks->type[k] == PAT_T_STRING) {
			memcpy(o, &v->s.len, 4);
			copy_bytes(o + 4, v->s.p, v->s.len);
			o += 4 + v->s.len;
		} else {
			uint64_t w = key_word(ks->type[k], v);

			memcpy(o, &w, 8);
			o += 8;
		}
	}
	return (uint32_t)(o - o0);
}

/* The hash of row's key, from the row's values (not from the bytes encode() has just
 * written, which a load of eight would wait for). Equal keys, equal hashes: the same
 * words as encode() writes (key_word), an absent column as nothing but its mark. */
static uint64_t key_hash(const struct win_keyspec *ks, const struct fmt_row *row)
{
	uint64_t h = ks->n;
	uint32_t k;

	for (k = 0; k < ks->n; k++) {
		uint32_t c = ks->cols[k];
		const struct fmt_value *v = &row->v[c];

		if (!(row->present >> c & 1)) {
			h = win_mix64(h ^ UINT64_C(0x2545f4914f6cdd1d));
			continue;
		}
		if (ks->type[k] == PAT_T_STRING)
			h = win_hash64(v->s.p, v->s.len, h);
		else
			h = win_mix64(h ^ key_word(ks->type[k], v) ^ UINT64_C(0x9e3779b97f4a7c15));
	}
	return h;
}

void win_keys_encode(struct win_keys *t, const struct fmt_row *row)
{
	t->klen = encode(t->ks, row, t->kbuf);
	t->khash = key_hash(t->ks, row);
}

uint64_t win_keys_hash(const struct win_keys *t, const struct fmt_row *row)
{
	return key_hash(t->ks, row);
}

void win_keys_encode_hashed(struct win_keys *t, const struct fmt_row *row, uint64_t h)
{
	t->klen = encode(t->ks, row, t->kbuf);
	t->khash = h;
}

void win_keys_prefetch_record(const struct win_keys *t, uint64_t h)
{
	const struct win_index_ent *e = &t->index[(uint32_t)h & t->mask];
	const uint8_t *r;
	size_t k;

	/* the home slot only: a key probed past it is found without the help */
	if (e->idx == 0 || e->tag != (uint32_t)(h >> 32))
		return;
	r = win_pool_at(&t->recs, e->idx - 1);
	for (k = 0; k < t->recs.stride; k += 64)
		__builtin_prefetch(r + k, 1);
	__builtin_prefetch(r + t->recs.stride - 1, 1);
}

void *win_keys_peek(const struct win_keys *t, uint64_t h)
{
	const struct win_index_ent *e = &t->index[(uint32_t)h & t->mask];

	if (e->idx == 0 || e->tag != (uint32_t)(h >> 32))
		return NULL;
	return win_keys_data(t, e->idx - 1);
}

const struct fmt_row *win_keys_row(struct win_keys *t, uint32_t i)
{
	const struct win_keyspec *ks = t->ks;
	const uint8_t *b = win_key_bytes(win_keys_at(t, i));
	struct fmt_row *row = &t->krow;
	uint32_t k;

	row->present = 0;
	for (k = 0; k < ks->n; k++) {
		uint32_t c = ks->cols[k];

		if (*b++ == 0)
			continue;
		row->present |= UINT64_C(1) << c;
		if (ks->type[k] == PAT_T_STRING) {
			memcpy(&row->v[c].s.len, b, 4);
			row->v[c].s.p = b + 4;
			b += 4 + row->v[c].s.len;
		} else if (ks->type[k] == PAT_T_BOOLEAN) {
			int64_t v;

			memcpy(&v, b, 8);
			row->v[c].b = v != 0;
			b += 8;
		} else {
			memcpy(&row->v[c].i, b, 8);
			b += 8;
		}
	}
	return row;
}

static uint32_t find(const struct win_keys *t, const uint8_t *kb, uint32_t len, uint64_t h,
		     uint32_t *slot)
{
	uint32_t s = (uint32_t)h & t->mask, tag = (uint32_t)(h >> 32);

	for (;; s = (s + 1) & t->mask) {
		const struct win_index_ent *e = &t->index[s];
		const struct win_key *k;

		if (e->idx == 0)
			break;
		if (e->tag != tag)
			continue;
		k = win_keys_at(t, e->idx - 1);
		if (k->hash == h && k->len == len && memcmp(win_key_bytes(k), kb, len) == 0) {
			*slot = s;
			return e->idx - 1;
		}
	}
	*slot = s;
	return WIN_NONE;
}

uint32_t win_keys_find(const struct win_keys *t, uint32_t *slot)
{
	return find(t, t->kbuf, t->klen, t->khash, slot);
}

uint32_t win_keys_add(struct win_keys *t, uint32_t slot)
{
	uint32_t i = win_pool_get(&t->recs);
	struct win_key *k;

	if (i == WIN_NONE)
		return WIN_NONE;
	k = win_keys_at(t, i);
	if (t->klen > WIN_KEY_INLINE) {
		k->b.p = win_alloc(t->arena, t->klen);
		if (k->b.p == NULL) {
			win_pool_put(&t->recs, i);
			return WIN_NONE;
		}
		memcpy(k->b.p, t->kbuf, t->klen);
	} else {
		memcpy(k->b.in, t->kbuf, t->klen);
	}
	k->hash = t->khash;
	k->len = t->klen;
	t->index[slot].tag = (uint32_t)(t->khash >> 32);
	t->index[slot].idx = i + 1;
	return i;
}

void win_keys_del(struct win_keys *t, uint32_t i)
{
	struct win_key *k = win_keys_at(t, i);
	uint32_t s, j, home;

	find(t, win_key_bytes(k), k->len, k->hash, &s);
	for (j = s;;) {
		j = (j + 1) & t->mask;
		if (t->index[j].idx == 0)
			break;
		home = (uint32_t)win_keys_at(t, t->index[j].idx - 1)->hash & t->mask;
		/* j's entry may move to s when its home is not in (s, j] cyclically */
		if (((j - home) & t->mask) >= ((j - s) & t->mask)) {
			t->index[s] = t->index[j];
			s = j;
		}
	}
	t->index[s].idx = 0;
	if (k->len > WIN_KEY_INLINE)
		win_free(t->arena, k->b.p, k->len);
	win_pool_put(&t->recs, i);
}

uint64_t win_keys_bytes(const struct win_keys *t)
{
	return (uint64_t)t->recs.inuse * (t->recs.stride + 2 * sizeof(struct win_index_ent));
}
