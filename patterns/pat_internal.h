/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the rule compiler's files share: the parser state and its token helpers
 * (pat_rules.c), the rule statements and expressions (pat_query.c), the Hyperscan
 * stage (pat_hs.c). Not part of the compiler's interface.
 */
#ifndef RIPTIDE_PAT_INTERNAL_H
#define RIPTIDE_PAT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pat_lex.h"
#include "pat_rules.h"

struct pat_parser {
	const char *file;
	const struct pat_options *opt;
	struct pat_tokens toks;
	size_t i;
	struct pat_diags *diags;
	size_t n_errors;
	int nomem;
	int depth; /* of the expression or pattern being parsed */
	struct pat_ruleset *rs;
	/* every statement name seen, for uniqueness across statements */
	char **names;
	size_t n_names;
	/* every stream port seen, with its stream's name, also of streams that had
	 * other errors, so that a clash is reported in the same pass */
	struct {
		uint16_t port;
		char *stream;
	} * ports;
	size_t n_ports;
	/* streams that had errors: rules reading them are not checked (nor reported) */
	char **bad_streams;
	size_t n_bad_streams;
};

/* An error at token t (or at any struct pat_token holding a line and column). */
void pat_diag(struct pat_parser *p, const struct pat_token *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same at a line and column. */
void pat_diag_at(struct pat_parser *p, uint32_t line, uint32_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

const struct pat_token *pat_peek(const struct pat_parser *p);
/* The token after the current one (EOF stays EOF). */
const struct pat_token *pat_peek2(const struct pat_parser *p);
const struct pat_token *pat_next(struct pat_parser *p);
int pat_is_kw(const struct pat_token *t, const char *kw);
int pat_is_punct(const struct pat_token *t, const char *s);
/* What a token is, for messages: the text in quotes, or the kind. */
const char *pat_what(const struct pat_token *t, char *buf, size_t len);
/* Each returns 0 (or the token) and steps over it, or reports what was found instead. */
int pat_expect_kw(struct pat_parser *p, const char *kw);
int pat_expect_punct(struct pat_parser *p, const char *s);
const struct pat_token *pat_expect_ident(struct pat_parser *p, const char *role);
/* The value of a WITH option: a string, an integer or an identifier. */
const struct pat_token *pat_option_value(struct pat_parser *p);
/* Recovery: skip to just after the next ';' (or to the end). */
void pat_sync(struct pat_parser *p);
char *pat_xstrdup(struct pat_parser *p, const char *s);
/* Kafka's rule for topic names, which the file sink's file names rely on too. */
#define PAT_TOPIC_RULE "1 to 249 letters, digits, '.', '_' or '-', not '.' or '..'"
bool pat_topic_name_ok(const char *s, size_t len);
/* Registers a statement name; a duplicate is an error at tok. */
void pat_claim_name(struct pat_parser *p, const struct pat_token *tok);

/* CREATE ALERT | AGGREGATE | PATTERN, after CREATE and the kind keyword (kind). */
void pat_parse_rule(struct pat_parser *p, enum pat_rule_kind kind, const struct pat_token *at);

/* The LIKE/REGEXP predicates of every stream into Hyperscan databases (only checked
 * when check_only or p->opt says so). Errors are reported at the patterns. Returns 0
 * or -ENOMEM / -errno when the stage itself could not run. */
int pat_hs_build(struct pat_parser *p, bool check_only);

void pat_rule_free(struct pat_rule *r);
void pat_expr_free(struct pat_expr *e);
void pat_re_free(struct pat_re *re);
void pat_hs_free(struct pat_hs *hs);

#endif
