/* SPDX-License-Identifier: BSD-3-Clause */
#include "pat_hs.h"
#include "pat_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define PAT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PAT_ASAN 1
#endif
#endif

/* What the compile stage reports, in order, whether it runs in this process or in
 * the child (through a pipe): the same records either way. */
enum stage_msg {
	MSG_BEGIN = 1,	/* database idx of stream is being compiled */
	MSG_ERROR,	/* predicate idx of stream is refused; text follows */
	MSG_DB,		/* database idx of stream, serialized, follows */
	MSG_SEQ_BEGIN,	/* the pattern of rule idx is being compiled */
	MSG_SEQ_ERROR,	/* the pattern of rule idx is refused; text follows */
	MSG_SEQ_DB,	/* its database, serialized, follows */
	MSG_BANK_DB,	/* the lanes' database of the bank whose first lane is rule idx */
	MSG_BANK_SPLIT, /* that bank cannot be compiled whole: its lanes go alone */
	MSG_DONE,
};

struct msg_hdr {
	uint32_t type, stream, idx, len;
};

unsigned int pat_hs_flags(const struct pat_pred *pr)
{
	/* UTF-8: values are valid UTF-8 (the parsers see to it), and _ or . is one
	 * character. SINGLEMATCH: a predicate is a bit, its first match sets it.
	 * ALLOWEMPTY: LIKE '' and REGEXP 'x*' are legitimate. LIKE's _ and % take line
	 * breaks too (DOTALL); a REGEXP sets its own flags inline. */
	return HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY |
	       (pr->regexp ? 0 : HS_FLAG_DOTALL);
}

typedef int (*emit_fn)(void *ctx, uint32_t type, uint32_t stream, uint32_t idx, const void *data,
		       uint32_t len);

/* ---- MATCH_RECOGNIZE patterns over row symbols ---- */

struct strbuf {
	char *p;
	size_t len, cap;
	int nomem;
};

static void sb_put(struct strbuf *b, const char *text)
{
	size_t n = strlen(text);

	if (b->nomem)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *q = realloc(b->p, cap);

		if (q == NULL) {
			b->nomem = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, text, n + 1);
	b->len += n;
}

/* Variable v of a lane whose symbol s is byte base + s (s < n): the bytes of the
 * symbols with bit v set, as runs of byte ranges. */
static void sb_class(struct strbuf *b, unsigned int v, unsigned int base, unsigned int n)
{
	char buf[16];
	unsigned int lo, hi;

	sb_put(b, "[");
	for (lo = 1; lo < n; lo = hi + 1) {
		for (; lo < n && !(lo >> v & 1); lo++)
			;
		if (lo == n)
			break;
		for (hi = lo; hi + 1 < n && ((hi + 1) >> v & 1); hi++)
			;
		if (hi == lo)
			snprintf(buf, sizeof(buf), "\\x%02x", base + lo);
		else
			snprintf(buf, sizeof(buf), "\\x%02x-\\x%02x", base + lo, base + hi);
		sb_put(b, buf);
	}
	sb_put(b, "]");
}

/* How a pattern's symbols are written: on bytes base.. base + n - 1, each row's byte
 * after any number of other lanes' bytes when the bank has several (gap). */
struct lane_fmt {
	unsigned int base, n;
	bool gap;
};

static void sb_re(struct strbuf *b, const struct pat_re *re, const struct lane_fmt *lf)
{
	char buf[32];
	uint32_t k;

	sb_put(b, "(?:");
	switch (re->kind) {
	case PAT_RE_VAR:
		if (lf->gap) {
			snprintf(buf, sizeof(buf), "[^\\x%02x-\\x%02x]*", lf->base,
				 lf->base + lf->n - 1);
			sb_put(b, buf);
		}
		sb_class(b, re->var, lf->base, lf->n);
		break;
	default:
		for (k = 0; k < re->n_kids; k++) {
			if (k > 0 && re->kind == PAT_RE_ALT)
				sb_put(b, "|");
			sb_re(b, re->kids[k], lf);
		}
		break;
	}
	sb_put(b, ")");
	if (re->min == 1 && re->max == 1)
		return;
	if (re->max == UINT32_MAX)
		snprintf(buf, sizeof(buf), "{%u,}", re->min);
	else
		snprintf(buf, sizeof(buf), "{%u,%u}", re->min, re->max);
	sb_put(b, buf);
}

/* The expression of a pattern as lane lf of its bank. */
static char *lane_expr(const struct pat_re *re, const struct lane_fmt *lf)
{
	struct strbuf b = { 0 };

	sb_re(&b, re, lf);
	if (b.nomem) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

char *pat_seq_expr(const struct pat_re *re)
{
	static const struct lane_fmt alone = { 0, 256, false };

	return lane_expr(re, &alone);
}

/* The values a lane of n_vars variables takes: every set of them. */
static unsigned int lane_values(const struct pat_rule *r)
{
	return 1u << r->n_vars;
}

/* Whether two patterns have one shape: the same expression over their variables'
 * numbers (whatever the variables' DEFINEs). */
static bool same_shape(const struct pat_re *a, const struct pat_re *b)
{
	uint32_t k;

	if (a->kind != b->kind || a->var != b->var || a->min != b->min || a->max != b->max ||
	    a->n_kids != b->n_kids)
		return false;
	for (k = 0; k < a->n_kids; k++)
		if (!same_shape(a->kids[k], b->kids[k]))
			return false;
	return true;
}

void pat_plan_banks(struct pat_ruleset *rs)
{
	uint32_t k, j;

	for (k = 0; k < rs->n_rules; k++) {
		struct pat_rule *r = &rs->rules[k];

		r->bank = k;
		r->lane = 0;
		r->lane_base = 0;
		r->n_lanes = 1;
		if (r->kind != PAT_R_PATTERN)
			continue;
		/* the first bank of the same stream and PARTITION BY with room */
		for (j = 0; j < k; j++) {
			struct pat_rule *lead = &rs->rules[j];
			unsigned int used = 0;
			int shape = -1;
			uint32_t i;

			if (lead->kind != PAT_R_PATTERN || lead->bank != j ||
			    lead->stream != r->stream || lead->n_partition != r->n_partition ||
			    memcmp(lead->partition_cols, r->partition_cols,
				   r->n_partition * sizeof(*r->partition_cols)) != 0 ||
			    lead->n_lanes == PAT_BANK_LANES)
				continue;
			for (i = j; i < k; i++) {
				const struct pat_rule *o = &rs->rules[i];

				if (o->kind != PAT_R_PATTERN || o->bank != j)
					continue;
				if (o->lane_base + lane_values(o) > used)
					used = o->lane_base + lane_values(o);
				if (shape < 0 && o->n_vars == r->n_vars &&
				    same_shape(o->pattern, r->pattern))
					shape = (int)i;
			}
			if (shape < 0 && used + lane_values(r) > 256)
				continue;
			r->bank = j;
			r->lane = lead->n_lanes++;
			/* a lane of a shape the bank has shares that lane's byte values */
			r->lane_base = shape >= 0 ? rs->rules[shape].lane_base : (uint8_t)used;
			break;
		}
	}
}

/* Bank lead's lanes alone, each a bank of one (its database would not compile). */
static void split_bank(struct pat_ruleset *rs, uint32_t lead)
{
	uint32_t k;

	for (k = lead; k < rs->n_rules; k++) {
		struct pat_rule *r = &rs->rules[k];

		if (r->kind != PAT_R_PATTERN || r->bank != lead)
			continue;
		r->bank = k;
		r->lane = 0;
		r->lane_base = 0;
		r->n_lanes = 1;
	}
}

/* The rules of the bank led by lead that begin a shape (the first lane on their byte
 * values: the others of the shape share its expression), in lane order. */
static uint32_t bank_shapes(const struct pat_ruleset *rs, uint32_t lead, uint32_t *out)
{
	bool seen[256] = { false };
	uint32_t k, n = 0;

	for (k = lead; k < rs->n_rules; k++) {
		const struct pat_rule *r = &rs->rules[k];

		if (r->kind != PAT_R_PATTERN || r->bank != lead || seen[r->lane_base])
			continue;
		seen[r->lane_base] = true;
		out[n++] = k;
	}
	return n;
}

/* Compiles the database of the bank led by rule lead (of several lanes): an
 * expression a shape, its match id the shape's first lane. The shapes' bytes are
 * apart, each after any number of the others' (gaps) when there are several. */
static int bank_stage(const struct pat_ruleset *rs, uint32_t lead, emit_fn emit, void *ctx)
{
	char *exprs[PAT_BANK_LANES] = { 0 };
	unsigned int flags[PAT_BANK_LANES], ids[PAT_BANK_LANES];
	hs_compile_error_t *err = NULL;
	hs_database_t *db = NULL;
	char *bytes = NULL;
	size_t len = 0;
	uint32_t shapes[PAT_BANK_LANES], n_shapes, k, n = 0;
	int rc;

	n_shapes = bank_shapes(rs, lead, shapes);
	for (k = 0; k < n_shapes; k++) {
		const struct pat_rule *r = &rs->rules[shapes[k]];
		struct lane_fmt lf = { r->lane_base, lane_values(r), n_shapes > 1 };

		exprs[n] = lane_expr(r->pattern, &lf);
		flags[n] = 0;
		ids[n] = r->lane;
		if (exprs[n++] == NULL) {
			rc = emit(ctx, MSG_BANK_SPLIT, 0, lead, NULL, 0);
			goto out;
		}
	}
	if (hs_compile_multi((const char *const *)exprs, flags, ids, n, HS_MODE_STREAM, NULL, &db,
			     &err) != HS_SUCCESS ||
	    hs_serialize_database(db, &bytes, &len) != HS_SUCCESS || len > UINT32_MAX)
		rc = emit(ctx, MSG_BANK_SPLIT, 0, lead, NULL, 0);
	else
		rc = emit(ctx, MSG_BANK_DB, 0, lead, bytes, (uint32_t)len);
out:
	for (k = 0; k < n; k++)
		free(exprs[k]);
	free(bytes);
	hs_free_database(db);
	hs_free_compile_error(err);
	return rc;
}

/* Checks (and, unless check_only, compiles) the pattern of PATTERN rule k. Returns the
 * emitter's status. */
static int seq_stage(const struct pat_ruleset *rs, uint32_t k, bool check_only, emit_fn emit,
		     void *ctx)
{
	char *expr = pat_seq_expr(rs->rules[k].pattern);
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *err = NULL;
	hs_database_t *db = NULL;
	char *bytes = NULL;
	const char *m = NULL;
	size_t len = 0;
	int rc;

	if (expr == NULL)
		return emit(ctx, MSG_SEQ_ERROR, 0, k, "out of memory", 13);
	rc = emit(ctx, MSG_SEQ_BEGIN, 0, k, NULL, 0);
	if (rc != 0)
		goto out;
	if (hs_expression_info(expr, 0, &info, &err) != HS_SUCCESS)
		m = err ? err->message : "cannot be compiled";
	else if (info->min_width == 0)
		m = "it matches no row at all";
	else if (!check_only && hs_compile(expr, 0, HS_MODE_STREAM, NULL, &db, &err) != HS_SUCCESS)
		m = err ? err->message : "cannot be compiled";
	else if (!check_only &&
		 (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS || len > UINT32_MAX))
		m = "cannot serialize the database";
	if (m != NULL)
		rc = emit(ctx, MSG_SEQ_ERROR, 0, k, m, (uint32_t)strlen(m));
	else if (!check_only)
		rc = emit(ctx, MSG_SEQ_DB, 0, k, bytes, (uint32_t)len);
out:
	free(bytes);
	hs_free_database(db);
	hs_free_compile_error(err);
	free(info);
	free(expr);
	return rc;
}

/* The columns of stream si that predicates read, in column order: database k scans
 * cols[k]. Returns their number. */
static uint32_t db_columns(const struct pat_ruleset *rs, uint32_t si, uint32_t *cols)
{
	uint64_t used = 0;
	uint32_t k, n = 0;

	for (k = 0; k < rs->n_preds[si]; k++)
		used |= UINT64_C(1) << rs->preds[si][k].col;
	for (k = 0; k < PAT_MAX_COLUMNS; k++)
		if (used >> k & 1)
			cols[n++] = k;
	return n;
}

/* The stage itself: every pattern checked on its own (so that each bad one is
 * reported at its place), then, when all are good, one database per column. */
static void run_stage(const struct pat_ruleset *rs, enum pat_hs_mode mode, emit_fn emit, void *ctx)
{
	uint32_t si, k, cols[PAT_MAX_COLUMNS];
	int bad = 0;

	for (si = 0; si < rs->n_streams; si++) {
		for (k = 0; k < rs->n_preds[si]; k++) {
			const struct pat_pred *pr = &rs->preds[si][k];
			hs_expr_info_t *info = NULL;
			hs_compile_error_t *err = NULL;

			if (hs_expression_info(pr->expr, pat_hs_flags(pr), &info, &err) !=
			    HS_SUCCESS) {
				const char *m = err ? err->message : "cannot be compiled";

				bad = 1;
				if (emit(ctx, MSG_ERROR, si, k, m, (uint32_t)strlen(m)) != 0)
					return;
				hs_free_compile_error(err);
				continue;
			}
			free(info);
		}
	}
	for (k = 0; k < rs->n_rules; k++)
		if (rs->rules[k].kind == PAT_R_PATTERN &&
		    seq_stage(rs, k, bad || mode == PAT_HS_CHECK_ONLY, emit, ctx) != 0)
			return;
	if (bad || mode == PAT_HS_CHECK_ONLY) {
		emit(ctx, MSG_DONE, 0, 0, NULL, 0);
		return;
	}
	for (k = 0; k < rs->n_rules; k++)
		if (rs->rules[k].kind == PAT_R_PATTERN && rs->rules[k].bank == k &&
		    rs->rules[k].n_lanes > 1 && bank_stage(rs, k, emit, ctx) != 0)
			return;
	for (si = 0; si < rs->n_streams; si++) {
		uint32_t n_dbs = db_columns(rs, si, cols), d;

		for (d = 0; d < n_dbs; d++) {
			const char **exprs = malloc(rs->n_preds[si] * sizeof(*exprs));
			unsigned int *flags = malloc(rs->n_preds[si] * sizeof(*flags));
			unsigned int *ids = malloc(rs->n_preds[si] * sizeof(*ids));
			hs_compile_error_t *err = NULL;
			hs_database_t *db = NULL;
			char *bytes = NULL;
			size_t len = 0;
			uint32_t n = 0;
			int rc = 0;

			if (exprs == NULL || flags == NULL || ids == NULL) {
				rc = emit(ctx, MSG_ERROR, si, UINT32_MAX, "out of memory", 13);
				goto next;
			}
			for (k = 0; k < rs->n_preds[si]; k++) {
				if (rs->preds[si][k].col != cols[d])
					continue;
				exprs[n] = rs->preds[si][k].expr;
				flags[n] = pat_hs_flags(&rs->preds[si][k]);
				ids[n++] = k;
			}
			rc = emit(ctx, MSG_BEGIN, si, d, NULL, 0);
			if (rc != 0)
				goto next;
			if (hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL, &db,
					     &err) != HS_SUCCESS) {
				const char *m = err ? err->message : "cannot be compiled";
				uint32_t at =
					err && err->expression >= 0 ? ids[err->expression] : ids[0];

				rc = emit(ctx, MSG_ERROR, si, at, m, (uint32_t)strlen(m));
				hs_free_compile_error(err);
				goto next;
			}
			if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS ||
			    len > UINT32_MAX) {
				rc = emit(ctx, MSG_ERROR, si, ids[0],
					  "cannot serialize the database", 29);
				goto next;
			}
			rc = emit(ctx, MSG_DB, si, d, bytes, (uint32_t)len);
		next:
			free(bytes);
			hs_free_database(db);
			free(exprs);
			free(flags);
			free(ids);
			if (rc != 0)
				return;
		}
	}
	emit(ctx, MSG_DONE, 0, 0, NULL, 0);
}

/* The parent's side: the records applied to the rule set and the diagnostics. */
struct applier {
	struct pat_parser *p;
	uint32_t cols[PAT_MAX_STREAMS][PAT_MAX_COLUMNS];
	int begun;	     /* a database is being compiled: */
	uint32_t cur_stream; /* which */
	uint32_t cur_db;
	int64_t cur_seq; /* the rule whose pattern is being compiled, -1: none */
	int done;
};

/* Where a stage-wide failure is reported: the first pattern of the database being
 * compiled, or of the rule set. */
static const struct pat_pred *blame(const struct applier *ap)
{
	const struct pat_ruleset *rs = ap->p->rs;
	uint32_t si, k;

	if (ap->begun) {
		si = ap->cur_stream;
		for (k = 0; k < rs->n_preds[si]; k++)
			if (rs->preds[si][k].col == ap->cols[si][ap->cur_db])
				return &rs->preds[si][k];
	}
	for (si = 0; si < rs->n_streams; si++)
		if (rs->n_preds[si] > 0)
			return &rs->preds[si][0];
	return NULL;
}

static int apply(void *ctx, uint32_t type, uint32_t si, uint32_t idx, const void *data,
		 uint32_t len)
{
	struct applier *ap = ctx;
	struct pat_parser *p = ap->p;
	struct pat_ruleset *rs = p->rs;
	const struct pat_pred *pr;
	struct pat_hs *hs;

	if (type == MSG_BANK_DB || type == MSG_BANK_SPLIT) {
		struct pat_rule *r = idx < rs->n_rules ? &rs->rules[idx] : NULL;

		if (r == NULL || r->kind != PAT_R_PATTERN || r->bank != idx || r->n_lanes < 2)
			return -EPROTO;
		if (type == MSG_BANK_SPLIT) {
			split_bank(rs, idx);
			return 0;
		}
		if (hs_deserialize_database(data, len, &r->bank_db) != HS_SUCCESS) {
			r->bank_db = NULL;
			return -ENOMEM;
		}
		return 0;
	}
	if (type >= MSG_SEQ_BEGIN && type <= MSG_SEQ_DB) {
		struct pat_rule *r = idx < rs->n_rules ? &rs->rules[idx] : NULL;

		if (r == NULL || r->kind != PAT_R_PATTERN)
			return -EPROTO;
		switch (type) {
		case MSG_SEQ_BEGIN:
			ap->cur_seq = idx;
			return 0;
		case MSG_SEQ_ERROR:
			pat_diag_at(p, r->pattern->line, r->pattern->col,
				    "PATTERN refused by Hyperscan: %.*s", (int)len,
				    (const char *)data);
			ap->cur_seq = -1;
			return 0;
		default:
			if (hs_deserialize_database(data, len, &r->seq_db) != HS_SUCCESS) {
				r->seq_db = NULL;
				return -ENOMEM;
			}
			ap->cur_seq = -1;
			return 0;
		}
	}
	if (type != MSG_DONE && si >= rs->n_streams)
		return -EPROTO;
	switch (type) {
	case MSG_BEGIN:
		ap->begun = 1;
		ap->cur_stream = si;
		ap->cur_db = idx;
		return 0;
	case MSG_ERROR:
		pr = idx < rs->n_preds[si] ? &rs->preds[si][idx] : blame(ap);
		if (pr == NULL)
			return -EPROTO;
		pat_diag_at(p, pr->line, pr->col_no, "%s pattern refused by Hyperscan: %.*s",
			    pr->regexp ? "REGEXP" : "LIKE", (int)len, (const char *)data);
		return 0;
	case MSG_DB:
		hs = rs->hs[si];
		if (hs == NULL || idx >= hs->n_dbs)
			return -EPROTO;
		if (hs_deserialize_database(data, len, &hs->dbs[idx].db) != HS_SUCCESS) {
			hs->dbs[idx].db = NULL;
			return -ENOMEM;
		}
		ap->begun = 0;
		return 0;
	case MSG_DONE:
		ap->done = 1;
		return 0;
	default:
		return -EPROTO;
	}
}

struct pipe_writer {
	int fd;
};

static int write_all(int fd, const void *buf, size_t len)
{
	const char *b = buf;

	while (len > 0) {
		ssize_t n = write(fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static int emit_pipe(void *ctx, uint32_t type, uint32_t stream, uint32_t idx, const void *data,
		     uint32_t len)
{
	struct pipe_writer *w = ctx;
	struct msg_hdr h = { type, stream, idx, len };

	if (write_all(w->fd, &h, sizeof(h)) != 0)
		return -EIO;
	return len ? write_all(w->fd, data, len) : 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Reads the child's records until it closes the pipe or the deadline passes.
 * Returns 0, -ETIMEDOUT, -EPROTO (a malformed record) or -ENOMEM. */
static int read_child(int fd, struct applier *ap, uint64_t deadline)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, off;
	int rc = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ms();
		ssize_t n;

		if (now >= deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		n = poll(&pfd, 1, (int)(deadline - now));
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			continue;
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			uint8_t *nb = realloc(buf, ncap);

			if (nb == NULL) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		/* apply every whole record; keep the rest */
		off = 0;
		while (len - off >= sizeof(struct msg_hdr)) {
			struct msg_hdr h;

			memcpy(&h, buf + off, sizeof(h));
			if (len - off - sizeof(h) < h.len) {
				if (sizeof(h) + h.len > cap) { /* make room for a large database */
					uint8_t *nb = realloc(buf, sizeof(h) + h.len + cap);

					if (nb == NULL) {
						rc = -ENOMEM;
						goto out;
					}
					buf = nb;
					cap = sizeof(h) + h.len + cap;
				}
				break;
			}
			rc = apply(ap, h.type, h.stream, h.idx, buf + off + sizeof(h), h.len);
			if (rc != 0)
				goto out;
			off += sizeof(h) + h.len;
		}
		memmove(buf, buf + off, len - off);
		len -= off;
	}
out:
	free(buf);
	return rc;
}

/* The stage in a child process: address space and CPU time limited by rlimits, wall
 * time by the parent, which kills it at the deadline. */
static int run_sandboxed(struct applier *ap, enum pat_hs_mode mode)
{
	const struct pat_options *opt = ap->p->opt;
	uint64_t deadline = now_ms() + opt->hs_time_ms;
	const struct pat_pred *pr;
	int fds[2], status = 0, rc;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(fds[0]);
		close(fds[1]);
		return rc;
	}
	if (pid == 0) {
		struct pipe_writer w = { .fd = fds[1] };
		struct rlimit cpu = { (opt->hs_time_ms + 999) / 1000 + 1,
				      (opt->hs_time_ms + 999) / 1000 + 2 };

		close(fds[0]);
		signal(SIGPIPE, SIG_DFL);
#ifndef PAT_ASAN /* ASan reserves terabytes of shadow address space */
		{
			struct rlimit as = { opt->hs_mem_bytes, opt->hs_mem_bytes };

			setrlimit(RLIMIT_AS, &as);
		}
#endif
		setrlimit(RLIMIT_CPU, &cpu);
		run_stage(ap->p->rs, mode, emit_pipe, &w);
		_exit(0);
	}
	close(fds[1]);
	rc = read_child(fds[0], ap, deadline);
	close(fds[0]);
	if (rc == -ETIMEDOUT)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == -ENOMEM)
		return rc;
	if (rc == 0 && ap->done)
		return 0;
	if (ap->cur_seq >= 0) {
		const struct pat_rule *r = &ap->p->rs->rules[ap->cur_seq];

		if (rc == -ETIMEDOUT)
			pat_diag_at(ap->p, r->pattern->line, r->pattern->col,
				    "compiling the PATTERN of rule '%s' took longer than %u ms",
				    r->name, opt->hs_time_ms);
		else
			pat_diag_at(ap->p, r->pattern->line, r->pattern->col,
				    "the pattern compiler stopped (%s %d) on the PATTERN of rule "
				    "'%s'; its memory limit is %llu MiB",
				    WIFSIGNALED(status) ? "signal" : "exit status",
				    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
				    r->name, (unsigned long long)(opt->hs_mem_bytes >> 20));
		return 0;
	}
	pr = blame(ap);
	if (pr == NULL)
		return -EPROTO;
	if (rc == -ETIMEDOUT)
		pat_diag_at(ap->p, pr->line, pr->col_no,
			    "compiling the LIKE/REGEXP patterns of column '%s' took longer than "
			    "%u ms; simplify them or spread them over fewer rules",
			    ap->p->rs->streams[ap->cur_stream].cols[pr->col].name, opt->hs_time_ms);
	else
		pat_diag_at(ap->p, pr->line, pr->col_no,
			    "the pattern compiler stopped (%s %d) on the LIKE/REGEXP patterns of "
			    "column '%s'; its memory limit is %llu MiB",
			    WIFSIGNALED(status) ? "signal" : "exit status",
			    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
			    ap->p->rs->streams[ap->cur_stream].cols[pr->col].name,
			    (unsigned long long)(opt->hs_mem_bytes >> 20));
	return 0;
}

int pat_hs_build(struct pat_parser *p, bool check_only)
{
	enum pat_hs_mode mode = check_only ? PAT_HS_CHECK_ONLY : p->opt->hs_mode;
	struct pat_ruleset *rs = p->rs;
	struct applier *ap = calloc(1, sizeof(*ap));
	uint32_t si, k, any = 0;
	int rc;

	if (ap == NULL)
		return -ENOMEM;
	ap->p = p;
	ap->cur_seq = -1;
	pat_plan_banks(rs);
	for (k = 0; k < rs->n_rules; k++)
		any |= rs->rules[k].kind == PAT_R_PATTERN;
	for (si = 0; si < rs->n_streams; si++) {
		uint32_t n_dbs;

		if (rs->n_preds[si] == 0)
			continue;
		any = 1;
		n_dbs = db_columns(rs, si, ap->cols[si]);
		rs->hs[si] = calloc(1, sizeof(*rs->hs[si]));
		if (rs->hs[si] == NULL) {
			free(ap);
			return -ENOMEM;
		}
		rs->hs[si]->n_preds = rs->n_preds[si];
		rs->hs[si]->n_dbs = n_dbs;
		for (k = 0; k < n_dbs; k++)
			rs->hs[si]->dbs[k].col = ap->cols[si][k];
	}
	if (!any) {
		free(ap);
		return 0;
	}
	if (p->opt->hs_mode == PAT_HS_SANDBOX) {
		rc = run_sandboxed(ap, mode);
	} else {
		run_stage(rs, mode, apply, ap);
		rc = 0;
	}
	free(ap);
	if (mode == PAT_HS_CHECK_ONLY) { /* no databases: the rule set is not runnable */
		for (si = 0; si < rs->n_streams; si++) {
			pat_hs_free(rs->hs[si]);
			rs->hs[si] = NULL;
		}
		rs->checked_only = true;
	}
	return rc;
}

void pat_hs_free(struct pat_hs *hs)
{
	uint32_t k;

	if (hs == NULL)
		return;
	for (k = 0; k < hs->n_dbs; k++)
		hs_free_database(hs->dbs[k].db);
	free(hs);
}

int pat_hs_scratch(const struct pat_ruleset *rs, hs_scratch_t **proto)
{
	uint32_t si, k;

	*proto = NULL;
	for (k = 0; k < rs->n_rules; k++) {
		if ((rs->rules[k].seq_db != NULL &&
		     hs_alloc_scratch(rs->rules[k].seq_db, proto) != HS_SUCCESS) ||
		    (rs->rules[k].bank_db != NULL &&
		     hs_alloc_scratch(rs->rules[k].bank_db, proto) != HS_SUCCESS)) {
			hs_free_scratch(*proto);
			*proto = NULL;
			return -ENOMEM;
		}
	}
	for (si = 0; si < rs->n_streams; si++) {
		const struct pat_hs *hs = rs->hs[si];

		for (k = 0; hs != NULL && k < hs->n_dbs; k++) {
			if (hs->dbs[k].db == NULL)
				continue;
			if (hs_alloc_scratch(hs->dbs[k].db, proto) != HS_SUCCESS) {
				hs_free_scratch(*proto);
				*proto = NULL;
				return -ENOMEM;
			}
		}
	}
	return 0;
}

/* The match callback only records the predicate's bit (Suricata's rule: no work in
 * the callback). */
static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *ctx)
{
	uint64_t *preds = ctx;

	(void)from;
	(void)to;
	(void)flags;
	preds[id >> 6] |= UINT64_C(1) << (id & 63);
	return 0;
}

int pat_hs_scan(const struct pat_hs *hs, const struct fmt_row *row, hs_scratch_t *scratch,
		uint64_t *preds)
{
	uint32_t k, words = PAT_PRED_WORDS(hs->n_preds);

	memset(preds, 0, words * sizeof(*preds));
	for (k = 0; k < hs->n_dbs; k++) {
		const struct pat_hs_db *d = &hs->dbs[k];
		const struct fmt_value *v = &row->v[d->col];

		if (!(row->present >> d->col & 1))
			continue;
		if (hs_scan(d->db, (const char *)v->s.p, v->s.len, 0, scratch, on_match, preds) !=
		    HS_SUCCESS) {
			memset(preds, 0, words * sizeof(*preds));
			return -EIO;
		}
	}
	return 0;
}
