/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the three parser targets share: a datagram is framed and every record parsed
 * against a fixed stream. Checked on any bytes: framing moves forward and stays inside
 * the datagram, a verdict has a reason in range, and every string value of a good row
 * lies inside the datagram or the scratch, within the length limit, as valid UTF-8.
 */
#ifndef RIPTIDE_FUZZ_FMT_H
#define RIPTIDE_FUZZ_FMT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline const struct pat_stream *fuzz_stream(const char *rql)
{
	static struct pat_ruleset *rs;
	struct pat_diags d = { 0 };

	if (rs == NULL && pat_compile("fuzz.rql", rql, strlen(rql), &rs, &d) != 0)
		abort();
	pat_diags_free(&d);
	return &rs->streams[0];
}

/* The schema of the one stream in rql, built on the first call. */
static inline struct fmt_schema *fuzz_schema(const char *rql)
{
	static struct fmt_schema sc;
	static int ready;

	if (!ready) {
		if (fmt_schema_init(&sc, fuzz_stream(rql)) != 0)
			abort();
		ready = 1;
	}
	return &sc;
}

static inline int inside(const uint8_t *p, size_t n, const uint8_t *base, size_t len)
{
	return p >= base && p + n <= base + len;
}

static inline void fuzz_datagram(const struct fmt_schema *sc, const uint8_t *data, size_t size)
{
	static uint8_t scratch_buf[70000];
	struct fmt_scratch scratch = { .buf = scratch_buf, .cap = sizeof(scratch_buf) };
	const uint8_t *rec;
	struct fmt_row row;
	size_t pos = 0, last = 0, len;
	uint8_t reason;
	uint32_t c;

	if (size > 65536)
		return;
	while (fmt_next_record(sc, data, size, &pos, &rec, &len)) {
		if (pos <= last && last != 0)
			abort();
		if (!inside(rec, len, data, size) || pos > size || len == 0)
			abort();
		last = pos;
		reason = 0xff;
		if (fmt_parse(sc, rec, len, size, &row, &scratch, &reason) != 0) {
			if (reason >= FMT_M__COUNT)
				abort();
			continue;
		}
		for (c = 0; c < sc->n_cols; c++) {
			const struct fmt_value *v = &row.v[c];

			if (!(row.present >> c & 1) || sc->type[c] != PAT_T_STRING)
				continue;
			if (!inside(v->s.p, v->s.len, data, size) &&
			    !inside(v->s.p, v->s.len, scratch.buf, scratch.used))
				abort();
			if (v->s.len > PAT_MAX_STRING || !fmt_utf8_valid(v->s.p, v->s.len))
				abort();
		}
	}
}

#endif
