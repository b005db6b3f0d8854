/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RQL lexer (spec/RULES.md, "Lexical"). It turns a whole rule file into tokens
 * with their line and column, so that every later error can be located. Keywords are
 * not tokens of their own: they are unquoted identifiers, compared case-insensitively
 * by the parser, which keeps the keyword list in one place.
 */
#ifndef RIPTIDE_PAT_LEX_H
#define RIPTIDE_PAT_LEX_H

#include <stddef.h>
#include <stdint.h>

enum pat_tok_kind {
	PAT_TOK_EOF = 0,
	PAT_TOK_IDENT,	/* text is the name; quoted says it was in double quotes */
	PAT_TOK_STRING, /* text is the value, '' already folded to ' */
	PAT_TOK_INT,	/* ival */
	PAT_TOK_FLOAT,	/* dval */
	PAT_TOK_PUNCT,	/* text holds 1 or 2 characters: ( ) , ; . * = != <> < <= > >= + - / % { } |
			   ? */
	PAT_TOK_ERROR,	/* text is the message; the lexer stops after one */
};

struct pat_token {
	enum pat_tok_kind kind;
	uint32_t line; /* 1-based */
	uint32_t col;  /* 1-based, in bytes */
	int quoted;    /* PAT_TOK_IDENT only */
	char *text;    /* NUL-terminated, owned by the token list */
	size_t len;    /* of text, without the NUL (strings may hold NUL bytes) */
	int64_t ival;
	double dval;
};

struct pat_tokens {
	struct pat_token *v;
	size_t n;
};

/*
 * Tokenize len bytes of src. On success returns 0 and fills *out, which ends with a
 * PAT_TOK_EOF token; on a lexical error the list ends with one PAT_TOK_ERROR token
 * (and still returns 0, so the parser reports it with the others). Returns -ENOMEM
 * when memory runs out. Free with pat_tokens_free().
 */
int pat_lex(const char *src, size_t len, struct pat_tokens *out);
void pat_tokens_free(struct pat_tokens *toks);

#endif
