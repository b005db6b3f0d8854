/* SPDX-License-Identifier: BSD-3-Clause */
#include "pat_lex.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lexer {
	const char *src;
	size_t len;
	size_t pos;
	uint32_t line;
	size_t line_start;
	struct pat_tokens *out;
	size_t cap;
};

static int push(struct lexer *lx, enum pat_tok_kind kind, const char *text, size_t tlen,
		uint32_t line, uint32_t col)
{
	struct pat_token *t;

	if (lx->out->n == lx->cap) {
		size_t cap = lx->cap ? lx->cap * 2 : 64;
		struct pat_token *v = realloc(lx->out->v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		lx->out->v = v;
		lx->cap = cap;
	}
	t = &lx->out->v[lx->out->n];
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->line = line;
	t->col = col;
	t->text = malloc(tlen + 1);
	if (t->text == NULL)
		return -ENOMEM;
	memcpy(t->text, text, tlen);
	t->text[tlen] = '\0';
	t->len = tlen;
	lx->out->n++;
	return 0;
}

static uint32_t col_of(const struct lexer *lx, size_t pos)
{
	return (uint32_t)(pos - lx->line_start + 1);
}

static void newline(struct lexer *lx, size_t pos_after)
{
	lx->line++;
	lx->line_start = pos_after;
}

/* An error token at (line, col): positions are taken where the offending token
 * starts, before any line break inside it moves the line start on. */
static int error_at(struct lexer *lx, uint32_t line, uint32_t col, const char *msg)
{
	return push(lx, PAT_TOK_ERROR, msg, strlen(msg), line, col);
}

/* A string or quoted identifier from the opening quote q at lx->pos; a doubled quote
 * stands for one. The text is built in place of a scratch buffer. */
static int lex_quoted(struct lexer *lx, char q, enum pat_tok_kind kind)
{
	size_t start = lx->pos, i = lx->pos + 1;
	uint32_t line = lx->line, col = col_of(lx, start);
	char *buf = malloc(lx->len - start + 1);
	size_t n = 0;
	int rc;

	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		if (i >= lx->len) {
			free(buf);
			lx->pos = lx->len;
			return error_at(lx, line, col,
					kind == PAT_TOK_STRING ? "unterminated string literal"
							       : "unterminated quoted identifier");
		}
		if (lx->src[i] == q) {
			if (i + 1 < lx->len && lx->src[i + 1] == q) {
				buf[n++] = q;
				i += 2;
				continue;
			}
			i++;
			break;
		}
		if (lx->src[i] == '\n')
			newline(lx, i + 1);
		buf[n++] = lx->src[i++];
	}
	lx->pos = i;
	if (kind == PAT_TOK_IDENT && n == 0) {
		free(buf);
		return error_at(lx, line, col, "empty quoted identifier");
	}
	rc = push(lx, kind, buf, n, line, col);
	free(buf);
	if (rc == 0 && kind == PAT_TOK_IDENT)
		lx->out->v[lx->out->n - 1].quoted = 1;
	return rc;
}

static int lex_number(struct lexer *lx)
{
	size_t start = lx->pos, i = lx->pos;
	int is_float = 0;
	struct pat_token *t;
	int rc;

	while (i < lx->len && isdigit((unsigned char)lx->src[i]))
		i++;
	if (i + 1 < lx->len && lx->src[i] == '.' && isdigit((unsigned char)lx->src[i + 1])) {
		is_float = 1;
		i++;
		while (i < lx->len && isdigit((unsigned char)lx->src[i]))
			i++;
	}
	if (i < lx->len && (lx->src[i] == 'e' || lx->src[i] == 'E')) {
		size_t j = i + 1;

		if (j < lx->len && (lx->src[j] == '+' || lx->src[j] == '-'))
			j++;
		if (j < lx->len && isdigit((unsigned char)lx->src[j])) {
			is_float = 1;
			i = j;
			while (i < lx->len && isdigit((unsigned char)lx->src[i]))
				i++;
		}
	}
	if (i < lx->len && (isalpha((unsigned char)lx->src[i]) || lx->src[i] == '_')) {
		lx->pos = i;
		return error_at(lx, lx->line, col_of(lx, start), "malformed number");
	}
	rc = push(lx, is_float ? PAT_TOK_FLOAT : PAT_TOK_INT, lx->src + start, i - start, lx->line,
		  col_of(lx, start));
	if (rc)
		return rc;
	t = &lx->out->v[lx->out->n - 1];
	lx->pos = i;
	if (is_float) {
		t->dval = strtod(t->text, NULL);
		if (!isfinite(t->dval))
			t->kind = PAT_TOK_ERROR;
	} else {
		errno = 0;
		t->ival = strtoll(t->text, NULL, 10);
		if (errno == ERANGE)
			t->kind = PAT_TOK_ERROR;
	}
	if (t->kind == PAT_TOK_ERROR) {
		free(t->text);
		t->text = strdup("number out of range");
		t->len = t->text ? strlen(t->text) : 0;
		if (t->text == NULL)
			return -ENOMEM;
	}
	return 0;
}

int pat_lex(const char *src, size_t len, struct pat_tokens *out)
{
	static const char *const two[] = { "!=", "<>", "<=", ">=" };
	static const char one[] = "(),;.*=<>+-/%{}|?";
	struct lexer lx = { .src = src, .len = len, .line = 1, .out = out };
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	while (rc == 0) {
		size_t p = lx.pos;
		char c;
		size_t k;

		if (p >= len) {
			rc = push(&lx, PAT_TOK_EOF, "", 0, lx.line, col_of(&lx, p));
			break;
		}
		c = src[p];
		if (c == '\n') {
			lx.pos++;
			newline(&lx, lx.pos);
			continue;
		}
		if (isspace((unsigned char)c)) {
			lx.pos++;
			continue;
		}
		if (c == '-' && p + 1 < len && src[p + 1] == '-') {
			while (lx.pos < len && src[lx.pos] != '\n')
				lx.pos++;
			continue;
		}
		if (c == '/' && p + 1 < len && src[p + 1] == '*') {
			uint32_t line = lx.line, col = col_of(&lx, p);

			lx.pos += 2;
			while (lx.pos + 1 < len &&
			       !(src[lx.pos] == '*' && src[lx.pos + 1] == '/')) {
				if (src[lx.pos] == '\n')
					newline(&lx, lx.pos + 1);
				lx.pos++;
			}
			if (lx.pos + 1 >= len) {
				lx.pos = len;
				rc = error_at(&lx, line, col, "unterminated comment");
				rc = rc ?: push(&lx, PAT_TOK_EOF, "", 0, lx.line, col_of(&lx, len));
				break;
			}
			lx.pos += 2;
			continue;
		}
		if (c == '\'') {
			rc = lex_quoted(&lx, '\'', PAT_TOK_STRING);
		} else if (c == '"') {
			rc = lex_quoted(&lx, '"', PAT_TOK_IDENT);
		} else if (isdigit((unsigned char)c)) {
			rc = lex_number(&lx);
		} else if (isalpha((unsigned char)c) || c == '_') {
			size_t i = p;

			while (i < len && (isalnum((unsigned char)src[i]) || src[i] == '_'))
				i++;
			rc = push(&lx, PAT_TOK_IDENT, src + p, i - p, lx.line, col_of(&lx, p));
			lx.pos = i;
		} else {
			for (k = 0; k < sizeof(two) / sizeof(two[0]); k++)
				if (p + 1 < len && src[p] == two[k][0] && src[p + 1] == two[k][1])
					break;
			if (k < sizeof(two) / sizeof(two[0])) {
				rc = push(&lx, PAT_TOK_PUNCT, src + p, 2, lx.line, col_of(&lx, p));
				lx.pos += 2;
			} else if (c != '\0' && strchr(one, c) != NULL) {
				rc = push(&lx, PAT_TOK_PUNCT, src + p, 1, lx.line, col_of(&lx, p));
				lx.pos++;
			} else {
				char msg[64];

				if (isprint((unsigned char)c))
					snprintf(msg, sizeof(msg), "unexpected character '%c'", c);
				else
					snprintf(msg, sizeof(msg), "unexpected byte 0x%02x",
						 (unsigned char)c);
				rc = error_at(&lx, lx.line, col_of(&lx, p), msg);
				lx.pos = len;
			}
		}
		if (rc == 0 && out->n > 0 && out->v[out->n - 1].kind == PAT_TOK_ERROR) {
			rc = push(&lx, PAT_TOK_EOF, "", 0, lx.line, col_of(&lx, lx.pos));
			break;
		}
	}
	if (rc != 0) {
		pat_tokens_free(out);
		return rc;
	}
	return 0;
}

void pat_tokens_free(struct pat_tokens *toks)
{
	size_t i;

	if (toks == NULL || toks->v == NULL)
		return;
	for (i = 0; i < toks->n; i++)
		free(toks->v[i].text);
	free(toks->v);
	toks->v = NULL;
	toks->n = 0;
}
