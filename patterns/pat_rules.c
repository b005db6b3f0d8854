/* SPDX-License-Identifier: BSD-3-Clause */
#include "pat_rules.h"
#include "pat_expr.h"
#include "pat_internal.h"
#include "pat_lex.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void vdiag(struct pat_parser *p, uint32_t line, uint32_t col, const char *fmt, va_list ap)
{
	char msg[512], *text, **v;
	int n;

	p->n_errors++;
	if (p->diags->n >= PAT_MAX_ERRORS)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = snprintf(NULL, 0, "%s:%u:%u: error: %s", p->file, line, col, msg);
	text = malloc((size_t)n + 1);
	v = realloc(p->diags->msgs, (p->diags->n + 1) * sizeof(*v));
	if (text == NULL || v == NULL) {
		free(text);
		if (v != NULL)
			p->diags->msgs = v;
		p->nomem = 1;
		return;
	}
	snprintf(text, (size_t)n + 1, "%s:%u:%u: error: %s", p->file, line, col, msg);
	p->diags->msgs = v;
	p->diags->msgs[p->diags->n++] = text;
}

void pat_diag(struct pat_parser *p, const struct pat_token *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(p, t->line, t->col, fmt, ap);
	va_end(ap);
}

void pat_diag_at(struct pat_parser *p, uint32_t line, uint32_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(p, line, col, fmt, ap);
	va_end(ap);
}

bool pat_topic_name_ok(const char *s, size_t len)
{
	size_t k;

	if (len == 0 || len > 249 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (k = 0; k < len; k++)
		if (!((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
		      (s[k] >= '0' && s[k] <= '9') || s[k] == '.' || s[k] == '_' || s[k] == '-'))
			return false;
	return true;
}

const struct pat_token *pat_peek(const struct pat_parser *p)
{
	return &p->toks.v[p->i];
}

const struct pat_token *pat_peek2(const struct pat_parser *p)
{
	const struct pat_token *t = &p->toks.v[p->i];

	return t->kind == PAT_TOK_EOF || t->kind == PAT_TOK_ERROR ? t : t + 1;
}

const struct pat_token *pat_next(struct pat_parser *p)
{
	const struct pat_token *t = &p->toks.v[p->i];

	if (t->kind != PAT_TOK_EOF && t->kind != PAT_TOK_ERROR)
		p->i++;
	return t;
}

int pat_is_kw(const struct pat_token *t, const char *kw)
{
	return t->kind == PAT_TOK_IDENT && !t->quoted && strcasecmp(t->text, kw) == 0;
}

int pat_is_punct(const struct pat_token *t, const char *s)
{
	return t->kind == PAT_TOK_PUNCT && strcmp(t->text, s) == 0;
}

/* What a token is, for messages: the text in quotes, or the kind. */
const char *pat_what(const struct pat_token *t, char *buf, size_t len)
{
	switch (t->kind) {
	case PAT_TOK_EOF:
		return "end of file";
	case PAT_TOK_STRING:
		snprintf(buf, len, "string '%.40s'", t->text);
		return buf;
	default:
		snprintf(buf, len, "'%.40s'", t->text);
		return buf;
	}
}

int pat_expect_kw(struct pat_parser *p, const char *kw)
{
	char buf[64];

	if (pat_is_kw(pat_peek(p), kw)) {
		pat_next(p);
		return 0;
	}
	pat_diag(p, pat_peek(p), "expected %s, found %s", kw,
		 pat_what(pat_peek(p), buf, sizeof(buf)));
	return -1;
}

int pat_expect_punct(struct pat_parser *p, const char *s)
{
	char buf[64];

	if (pat_is_punct(pat_peek(p), s)) {
		pat_next(p);
		return 0;
	}
	pat_diag(p, pat_peek(p), "expected '%s', found %s", s,
		 pat_what(pat_peek(p), buf, sizeof(buf)));
	return -1;
}

const struct pat_token *pat_expect_ident(struct pat_parser *p, const char *role)
{
	char buf[64];

	if (pat_peek(p)->kind == PAT_TOK_IDENT)
		return pat_next(p);
	pat_diag(p, pat_peek(p), "expected %s, found %s", role,
		 pat_what(pat_peek(p), buf, sizeof(buf)));
	return NULL;
}

/* Recovery: skip to just after the next ';' (or to the end). */
void pat_sync(struct pat_parser *p)
{
	for (;;) {
		const struct pat_token *t = pat_peek(p);

		if (t->kind == PAT_TOK_EOF || t->kind == PAT_TOK_ERROR)
			return;
		pat_next(p);
		if (pat_is_punct(t, ";"))
			return;
	}
}

int pat_parse_duration(const char *s, int64_t *ms)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {
		{ "MILLISECOND", 1 }, { "MILLISECONDS", 1 }, { "SECOND", 1000 },
		{ "SECONDS", 1000 },  { "MINUTE", 60000 },   { "MINUTES", 60000 },
		{ "HOUR", 3600000 },  { "HOURS", 3600000 },  { "DAY", 86400000 },
		{ "DAYS", 86400000 },
	};
	char *end;
	long long v;
	size_t k;

	while (*s == ' ')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end != ' ')
		return -EINVAL;
	while (*end == ' ')
		end++;
	for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
		size_t ul = strlen(units[k].unit);

		if (strncasecmp(end, units[k].unit, ul) == 0) {
			const char *rest = end + ul;

			while (*rest == ' ')
				rest++;
			if (*rest != '\0')
				continue;
			if (v > INT64_MAX / units[k].ms)
				return -EINVAL;
			*ms = v * units[k].ms;
			return 0;
		}
	}
	return -EINVAL;
}

char *pat_xstrdup(struct pat_parser *p, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		p->nomem = 1;
	return d;
}

/* Registers a statement name; a duplicate is an error at tok. */
void pat_claim_name(struct pat_parser *p, const struct pat_token *tok)
{
	char **v;
	size_t k;

	for (k = 0; k < p->n_names; k++) {
		if (strcmp(p->names[k], tok->text) == 0) {
			pat_diag(p, tok, "name '%s' is already used by another statement",
				 tok->text);
			return;
		}
	}
	v = realloc(p->names, (p->n_names + 1) * sizeof(*v));
	if (v == NULL) {
		p->nomem = 1;
		return;
	}
	p->names = v;
	p->names[p->n_names] = pat_xstrdup(p, tok->text);
	if (p->names[p->n_names] != NULL)
		p->n_names++;
}

/* Registers a stream's port; a port already declared is an error at tok. */
static void claim_port(struct pat_parser *p, uint16_t port, const char *stream,
		       const struct pat_token *tok)
{
	void *v;
	size_t k;

	for (k = 0; k < p->n_ports; k++) {
		if (p->ports[k].port == port) {
			pat_diag(p, tok, "port %u is already taken by stream '%s'", port,
				 p->ports[k].stream ? p->ports[k].stream : "");
			return;
		}
	}
	v = realloc(p->ports, (p->n_ports + 1) * sizeof(*p->ports));
	if (v == NULL) {
		p->nomem = 1;
		return;
	}
	p->ports = v;
	p->ports[p->n_ports].port = port;
	p->ports[p->n_ports].stream = stream ? strdup(stream) : NULL;
	p->n_ports++;
}

static int parse_type(struct pat_parser *p, struct pat_column *col)
{
	static const struct {
		const char *name;
		enum pat_type type;
	} types[] = {
		{ "BIGINT", PAT_T_BIGINT },	  { "DOUBLE", PAT_T_DOUBLE },
		{ "BOOLEAN", PAT_T_BOOLEAN },	  { "STRING", PAT_T_STRING },
		{ "TIMESTAMP", PAT_T_TIMESTAMP },
	};
	const struct pat_token *t = pat_peek(p);
	char buf[64];
	size_t k;

	for (k = 0; k < sizeof(types) / sizeof(types[0]); k++)
		if (pat_is_kw(t, types[k].name))
			break;
	if (k == sizeof(types) / sizeof(types[0])) {
		pat_diag(p, t,
			 "expected a column type (BIGINT, DOUBLE, BOOLEAN, STRING, TIMESTAMP), "
			 "found %s",
			 pat_what(t, buf, sizeof(buf)));
		return -1;
	}
	pat_next(p);
	col->type = types[k].type;
	col->size = 0;
	if (col->type == PAT_T_STRING && pat_is_punct(pat_peek(p), "(")) {
		const struct pat_token *n;

		pat_next(p);
		n = pat_peek(p);
		if (n->kind != PAT_TOK_INT || n->ival < 1 || n->ival > PAT_MAX_STRING) {
			pat_diag(p, n, "STRING(n) needs a length from 1 to %d", PAT_MAX_STRING);
			return -1;
		}
		col->size = (uint32_t)n->ival;
		pat_next(p);
		if (pat_expect_punct(p, ")"))
			return -1;
	}
	return 0;
}

/* The value of a WITH option: a string, an integer or an identifier. */
const struct pat_token *pat_option_value(struct pat_parser *p)
{
	const struct pat_token *t = pat_peek(p);
	char buf[64];

	if (t->kind == PAT_TOK_STRING || t->kind == PAT_TOK_INT || t->kind == PAT_TOK_IDENT)
		return pat_next(p);
	pat_diag(p, t, "expected an option value, found %s", pat_what(t, buf, sizeof(buf)));
	return NULL;
}

/* The options of CREATE STREAM ... WITH (...): one table for lookup, duplicate
 * checks and messages. */
enum stream_opt {
	SO_FORMAT,
	SO_PORT,
	SO_TIMESTAMP,
	SO_WATERMARK_DELAY,
	SO_IDLE_TIMEOUT,
	SO_DELIMITER,
	SO_DEAD_LETTER_TOPIC,
	SO__COUNT
};
static const char *const stream_opt_names[SO__COUNT] = {
	"format",	"port",	     "timestamp",	  "watermark_delay",
	"idle_timeout", "delimiter", "dead_letter_topic",
};

/* Option o of stream s is val: checks it and stores it. The timestamp column and the
 * delimiter's format are checked once the whole statement is read. */
static void stream_option(struct pat_parser *p, struct pat_stream *s, enum stream_opt o,
			  const struct pat_token *val)
{
	int64_t v = -1;

	switch (o) {
	case SO_FORMAT:
		if (val->kind == PAT_TOK_STRING && strcasecmp(val->text, "json") == 0)
			s->format = PAT_FMT_JSON;
		else if (val->kind == PAT_TOK_STRING && strcasecmp(val->text, "csv") == 0)
			s->format = PAT_FMT_CSV;
		else if (val->kind == PAT_TOK_STRING && strcasecmp(val->text, "binary") == 0)
			s->format = PAT_FMT_BINARY;
		else
			pat_diag(p, val, "format must be 'json', 'csv' or 'binary'");
		break;
	case SO_PORT:
		if (val->kind == PAT_TOK_INT)
			v = val->ival;
		else if (val->kind == PAT_TOK_STRING)
			v = strspn(val->text, "0123456789") == val->len && val->len && val->len < 6
				    ? atol(val->text)
				    : -1;
		if (v < 1 || v > 65535)
			pat_diag(p, val, "port must be an integer from 1 to 65535");
		else
			s->port = (uint16_t)v;
		break;
	case SO_WATERMARK_DELAY:
	case SO_IDLE_TIMEOUT:
		if (val->kind != PAT_TOK_STRING || pat_parse_duration(val->text, &v) != 0)
			pat_diag(p, val,
				 "%s must be a duration such as '5 SECONDS' (units MILLISECONDS, "
				 "SECONDS, MINUTES, HOURS, DAYS)",
				 stream_opt_names[o]);
		else if (o == SO_WATERMARK_DELAY)
			s->watermark_delay_ms = v;
		else
			s->idle_timeout_ms = v;
		break;
	case SO_DELIMITER:
		if (val->kind != PAT_TOK_STRING || val->len != 1 || val->text[0] == '"' ||
		    val->text[0] == '\n' || val->text[0] == '\r')
			pat_diag(p, val,
				 "delimiter must be one character, not a quote or line break");
		else
			s->delimiter = val->text[0];
		break;
	case SO_DEAD_LETTER_TOPIC:
		if (val->kind != PAT_TOK_STRING || !pat_topic_name_ok(val->text, val->len)) {
			pat_diag(p, val, "dead_letter_topic must be a topic name: %s",
				 PAT_TOPIC_RULE);
		} else {
			free(s->dead_letter_topic);
			s->dead_letter_topic = pat_xstrdup(p, val->text);
		}
		break;
	case SO_TIMESTAMP:
	case SO__COUNT:
		break;
	}
}

/* The option named by key, or SO__COUNT after reporting it as unknown. */
static enum stream_opt stream_opt_of(struct pat_parser *p, const struct pat_token *key)
{
	char list[256];
	size_t off = 0;
	int o;

	for (o = 0; o < SO__COUNT; o++)
		if (strcasecmp(key->text, stream_opt_names[o]) == 0)
			return (enum stream_opt)o;
	for (o = 0; o < SO__COUNT; o++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", o ? ", " : "",
					stream_opt_names[o]);
	pat_diag(p, key, "unknown stream option '%s' (%s)", key->text, list);
	return SO__COUNT;
}

static void stream_free(struct pat_stream *s)
{
	uint32_t c;

	free(s->name);
	free(s->sig);
	free(s->dead_letter_topic);
	for (c = 0; c < s->n_cols; c++)
		free(s->cols[c].name);
	free(s->cols);
	memset(s, 0, sizeof(*s));
}

/* CREATE STREAM, after the keywords. Returns 0 when the statement was accepted. */
static int parse_stream(struct pat_parser *p)
{
	/* per option: where its name and its value stand, NULL when not given */
	const struct pat_token *name, *start = pat_peek(p), *key_at[SO__COUNT] = { 0 },
				      *val_at[SO__COUNT] = { 0 }, *ts_tok, *delim_tok;
	struct pat_stream s = { .ts_col = -1, .delimiter = ',', .idle_timeout_ms = 10000 };
	size_t errors = p->n_errors;
	int has_format;
	uint32_t c;

	name = pat_expect_ident(p, "a stream name");
	if (name == NULL)
		goto fail;
	pat_claim_name(p, name);
	s.name = pat_xstrdup(p, name->text);
	if (pat_expect_punct(p, "("))
		goto fail;
	s.cols = calloc(PAT_MAX_COLUMNS, sizeof(*s.cols));
	if (s.cols == NULL) {
		p->nomem = 1;
		goto fail;
	}
	do {
		const struct pat_token *cn = pat_expect_ident(p, "a column name");

		if (cn == NULL)
			goto fail;
		for (c = 0; c < s.n_cols; c++)
			if (strcmp(s.cols[c].name, cn->text) == 0)
				pat_diag(p, cn, "column '%s' is declared twice", cn->text);
		if (s.n_cols == PAT_MAX_COLUMNS) {
			pat_diag(p, cn, "a stream has at most %d columns", PAT_MAX_COLUMNS);
			goto fail;
		}
		if (parse_type(p, &s.cols[s.n_cols]))
			goto fail;
		s.cols[s.n_cols].key = 0;
		if (pat_is_kw(pat_peek(p), "KEY")) { /* ksqlDB's key column */
			pat_next(p);
			s.cols[s.n_cols].key = 1;
			s.key_cols[s.n_keys++] = s.n_cols;
		}
		s.cols[s.n_cols].name = pat_xstrdup(p, cn->text);
		s.cols[s.n_cols].line = cn->line;
		s.cols[s.n_cols].col = cn->col;
		s.n_cols++;
	} while (pat_is_punct(pat_peek(p), ",") && pat_next(p));
	if (pat_expect_punct(p, ")") || pat_expect_kw(p, "WITH") || pat_expect_punct(p, "("))
		goto fail;
	do {
		const struct pat_token *key = pat_expect_ident(p, "an option name"), *val;
		enum stream_opt o;

		if (key == NULL || pat_expect_punct(p, "="))
			goto fail;
		val = pat_option_value(p);
		if (val == NULL)
			goto fail;
		o = stream_opt_of(p, key);
		if (o == SO__COUNT)
			continue;
		if (key_at[o] != NULL)
			pat_diag(p, key, "option '%s' is given twice", stream_opt_names[o]);
		key_at[o] = key;
		val_at[o] = val;
		stream_option(p, &s, o, val);
	} while (pat_is_punct(pat_peek(p), ",") && pat_next(p));
	if (pat_expect_punct(p, ")"))
		goto fail;

	has_format = key_at[SO_FORMAT] != NULL;
	ts_tok = val_at[SO_TIMESTAMP];
	delim_tok = val_at[SO_DELIMITER];
	if (!has_format)
		pat_diag(p, start, "stream '%s' needs WITH (format = 'json' | 'csv' | 'binary')",
			 s.name ? s.name : "");
	if (s.port == 0 && key_at[SO_PORT] == NULL)
		pat_diag(p, start, "stream '%s' needs WITH (port = N)", s.name ? s.name : "");
	if (ts_tok != NULL) {
		for (c = 0; c < s.n_cols; c++)
			if (strcmp(s.cols[c].name, ts_tok->text) == 0)
				break;
		if (c == s.n_cols)
			pat_diag(p, ts_tok, "timestamp column '%s' is not a column of stream '%s'",
				 ts_tok->text, s.name ? s.name : "");
		else if (s.cols[c].type != PAT_T_TIMESTAMP)
			pat_diag(p, ts_tok, "timestamp column '%s' must be of type TIMESTAMP",
				 ts_tok->text);
		else
			s.ts_col = (int)c;
	}
	if (delim_tok != NULL && has_format && s.format != PAT_FMT_CSV)
		pat_diag(p, delim_tok, "delimiter applies to format 'csv' only");
	for (c = 0; c < s.n_cols && has_format; c++) {
		if (s.format == PAT_FMT_BINARY && s.cols[c].type == PAT_T_STRING &&
		    s.cols[c].size == 0) {
			struct pat_token at = { .line = s.cols[c].line, .col = s.cols[c].col };

			pat_diag(p, &at,
				 "column '%s': format 'binary' needs a fixed length, STRING(n)",
				 s.cols[c].name);
		}
	}
	if (s.port != 0)
		claim_port(p, s.port, s.name, key_at[SO_PORT]);
	if (pat_expect_punct(p, ";"))
		goto fail;
	if (p->n_errors != errors || p->nomem)
		goto fail_synced;
	if (p->rs->n_streams == PAT_MAX_STREAMS) {
		pat_diag(p, start, "a rule set has at most %d streams", PAT_MAX_STREAMS);
		goto fail_synced;
	}
	p->rs->streams[p->rs->n_streams++] = s;
	return 0;
fail:
	pat_sync(p);
fail_synced:
	if (s.name != NULL) {
		char **v = realloc(p->bad_streams, (p->n_bad_streams + 1) * sizeof(*v));

		if (v == NULL) {
			p->nomem = 1;
		} else {
			p->bad_streams = v;
			v[p->n_bad_streams++] = s.name;
			s.name = NULL;
		}
	}
	stream_free(&s);
	return -1;
}

/* The tokens [from, to) as a canonical text: what a statement says, whatever its
 * layout and comments. NULL when memory runs out (then nothing compares equal). */
static char *tokens_sig(const struct pat_tokens *t, size_t from, size_t to)
{
	char *buf = NULL;
	size_t len = 0, k;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	for (k = from; k < to && k < t->n; k++) {
		const struct pat_token *x = &t->v[k];

		fprintf(f, "%d%d %zu:", (int)x->kind, x->quoted, x->len);
		fwrite(x->text, 1, x->len, f);
		if (x->kind == PAT_TOK_INT)
			fprintf(f, "=%lld", (long long)x->ival);
		else if (x->kind == PAT_TOK_FLOAT)
			fprintf(f, "=%a", x->dval);
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void parse_statement(struct pat_parser *p)
{
	const struct pat_token *t = pat_peek(p), *kind;
	uint32_t n_streams, n_rules;
	size_t first;
	char buf[64];

	if (pat_is_punct(t, ";")) { /* an empty statement */
		pat_next(p);
		return;
	}
	if (!pat_is_kw(t, "CREATE")) {
		pat_diag(p, t, "expected CREATE, found %s", pat_what(t, buf, sizeof(buf)));
		pat_sync(p);
		return;
	}
	pat_next(p);
	kind = pat_peek(p);
	first = p->i - 1;
	n_streams = p->rs->n_streams;
	n_rules = p->rs->n_rules;
	if (pat_is_kw(kind, "STREAM")) {
		pat_next(p);
		parse_stream(p);
	} else if (pat_is_kw(kind, "ALERT")) {
		pat_next(p);
		pat_parse_rule(p, PAT_R_ALERT, kind);
	} else if (pat_is_kw(kind, "AGGREGATE")) {
		pat_next(p);
		pat_parse_rule(p, PAT_R_AGGREGATE, kind);
	} else if (pat_is_kw(kind, "PATTERN")) {
		pat_next(p);
		pat_parse_rule(p, PAT_R_PATTERN, kind);
	} else {
		pat_diag(p, kind,
			 "expected STREAM, ALERT, AGGREGATE or PATTERN after CREATE, found %s",
			 pat_what(kind, buf, sizeof(buf)));
		pat_sync(p);
	}
	if (p->rs->n_streams > n_streams)
		p->rs->streams[n_streams].sig = tokens_sig(&p->toks, first, p->i);
	else if (p->rs->n_rules > n_rules)
		p->rs->rules[n_rules].sig = tokens_sig(&p->toks, first, p->i);
}

/* "FILE:LINE:COL: ..." of a diagnostic: its position, for sorting. */
static uint64_t diag_pos(const char *msg, size_t file_len)
{
	const char *s = msg + file_len + 1;
	char *end;
	unsigned long line = strtoul(s, &end, 10), col = strtoul(end + 1, NULL, 10);

	return (uint64_t)line << 32 | (uint32_t)col;
}

/* The diagnostics from index from on in source order (stable: the order found among
 * equal positions). Insertion sort: there are at most PAT_MAX_ERRORS. */
static void sort_diags(struct pat_diags *d, size_t from, size_t file_len)
{
	size_t i, j;

	for (i = from + 1; i < d->n; i++) {
		char *m = d->msgs[i];
		uint64_t pos = diag_pos(m, file_len);

		for (j = i; j > from && diag_pos(d->msgs[j - 1], file_len) > pos; j--)
			d->msgs[j] = d->msgs[j - 1];
		d->msgs[j] = m;
	}
}

int pat_compile(const char *file, const char *src, size_t len, struct pat_ruleset **out,
		struct pat_diags *diags)
{
	return pat_compile_ex(file, src, len, NULL, out, diags);
}

int pat_compile_ex(const char *file, const char *src, size_t len, const struct pat_options *opt,
		   struct pat_ruleset **out, struct pat_diags *diags)
{
	static const struct pat_options defaults = {
		.hs_mode = PAT_HS_SANDBOX,
		.hs_time_ms = PAT_HS_TIME_MS,
		.hs_mem_bytes = PAT_HS_MEM_BYTES,
	};
	struct pat_parser p = { .file = file, .diags = diags, .opt = opt ? opt : &defaults };
	size_t n_diags = diags->n;
	size_t k;
	int rc;

	*out = NULL;
	rc = pat_lex(src, len, &p.toks);
	if (rc)
		return rc;
	p.rs = calloc(1, sizeof(*p.rs));
	if (p.rs != NULL)
		p.rs->streams = calloc(PAT_MAX_STREAMS, sizeof(*p.rs->streams));
	if (p.rs == NULL || p.rs->streams == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	while (pat_peek(&p)->kind != PAT_TOK_EOF && !p.nomem && p.diags->n < PAT_MAX_ERRORS) {
		if (pat_peek(&p)->kind == PAT_TOK_ERROR) {
			pat_diag(&p, pat_peek(&p), "%s", pat_peek(&p)->text);
			break;
		}
		parse_statement(&p);
	}
	if (p.nomem)
		rc = -ENOMEM;
	else if (p.n_errors)
		rc = -EINVAL;
	else if (p.rs->n_streams == 0) {
		struct pat_token top = { .line = 1, .col = 1 };

		pat_diag(&p, &top, "the rule file declares no stream (CREATE STREAM)");
		rc = -EINVAL;
	}
	/* the patterns are checked even when other statements have errors, so that one
	 * pass reports them all; databases are built only for a good file */
	if (rc == 0 || rc == -EINVAL) {
		int hrc = pat_hs_build(&p, p.n_errors > 0);

		if (hrc != 0)
			rc = hrc;
		else if (p.n_errors)
			rc = -EINVAL;
	}
	if (rc == 0)
		pat_memo_plan(p.rs);
	sort_diags(diags, n_diags, strlen(file));
out:
	for (k = 0; k < p.n_bad_streams; k++)
		free(p.bad_streams[k]);
	free(p.bad_streams);
	for (k = 0; k < p.n_names; k++)
		free(p.names[k]);
	free(p.names);
	for (k = 0; k < p.n_ports; k++)
		free(p.ports[k].stream);
	free(p.ports);
	pat_tokens_free(&p.toks);
	if (rc == 0)
		*out = p.rs;
	else
		pat_ruleset_free(p.rs);
	return rc;
}

int pat_compile_file(const char *path, struct pat_ruleset **out, struct pat_diags *diags)
{
	return pat_compile_file_ex(path, NULL, out, diags);
}

int pat_compile_file_ex(const char *path, const struct pat_options *opt, struct pat_ruleset **out,
			struct pat_diags *diags)
{
	struct pat_token at = { .line = 1, .col = 1 };
	struct pat_parser p = { .file = path, .diags = diags };
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n;
	int rc;

	*out = NULL;
	if (f == NULL) {
		rc = -errno;
		pat_diag(&p, &at, "cannot open: %s", strerror(-rc));
		return rc;
	}
	buf = malloc(PAT_MAX_FILE + 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	n = fread(buf, 1, PAT_MAX_FILE + 1, f);
	if (ferror(f)) {
		rc = -EIO;
		pat_diag(&p, &at, "cannot read the file");
		goto out;
	}
	if (n > PAT_MAX_FILE) {
		rc = -EFBIG;
		pat_diag(&p, &at, "rule file larger than %d bytes", PAT_MAX_FILE);
		goto out;
	}
	rc = pat_compile_ex(path, buf, n, opt, out, diags);
out:
	free(buf);
	fclose(f);
	return rc;
}

void pat_ruleset_free(struct pat_ruleset *rs)
{
	uint32_t k;

	if (rs == NULL)
		return;
	for (k = 0; k < rs->n_streams; k++) {
		uint32_t j;

		for (j = 0; j < rs->n_preds[k]; j++)
			free(rs->preds[k][j].expr);
		free(rs->preds[k]);
		pat_hs_free(rs->hs[k]);
		stream_free(&rs->streams[k]);
	}
	for (k = 0; k < rs->n_rules; k++)
		pat_rule_free(&rs->rules[k]);
	free(rs->rules);
	free(rs->streams);
	free(rs);
}

void pat_diags_free(struct pat_diags *diags)
{
	size_t k;

	for (k = 0; k < diags->n; k++)
		free(diags->msgs[k]);
	free(diags->msgs);
	diags->msgs = NULL;
	diags->n = 0;
}

const struct pat_stream *pat_stream_by_port(const struct pat_ruleset *rs, uint16_t port)
{
	uint32_t k;

	for (k = 0; k < rs->n_streams; k++)
		if (rs->streams[k].port == port)
			return &rs->streams[k];
	return NULL;
}

const struct pat_rule *pat_rule_by_name(const struct pat_ruleset *rs, const char *name)
{
	uint32_t k;

	for (k = 0; k < rs->n_rules; k++)
		if (strcmp(rs->rules[k].name, name) == 0)
			return &rs->rules[k];
	return NULL;
}

const char *pat_rule_kind_name(enum pat_rule_kind k)
{
	static const char *const names[] = { "ALERT", "AGGREGATE", "PATTERN" };

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

const char *pat_type_name(enum pat_type t)
{
	static const char *const names[] = { "BIGINT", "DOUBLE",    "BOOLEAN",
					     "STRING", "TIMESTAMP", "NULL" };

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

const char *pat_format_name(enum pat_format f)
{
	static const char *const names[] = { "json", "csv", "binary" };

	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
}
