/* SPDX-License-Identifier: BSD-3-Clause */
/* The RQL lexer and the rule compiler: tokens with their positions, every stream
 * option, every statement of the language as parsed and checked, and the exact
 * located error messages, each and several in one pass. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "patterns/pat_lex.h"
#include "patterns/pat_rules.h"
#include "unit.h"

static void test_lex_tokens(void)
{
	const char *src = "CREATE \"my col\" 'it''s' 42 3.25 1e6 <= <> != -- comment\n"
			  "/* block\n comment */ x_1;";
	struct pat_tokens t;

	CU_ASSERT_EQUAL_FATAL(pat_lex(src, strlen(src), &t), 0);
	CU_ASSERT_EQUAL_FATAL(t.n, 12);
	CU_ASSERT_EQUAL(t.v[0].kind, PAT_TOK_IDENT);
	CU_ASSERT_EQUAL(t.v[0].quoted, 0);
	CU_ASSERT_EQUAL(t.v[1].kind, PAT_TOK_IDENT);
	CU_ASSERT_EQUAL(t.v[1].quoted, 1);
	CU_ASSERT_STRING_EQUAL(t.v[1].text, "my col");
	CU_ASSERT_EQUAL(t.v[2].kind, PAT_TOK_STRING);
	CU_ASSERT_STRING_EQUAL(t.v[2].text, "it's");
	CU_ASSERT_EQUAL(t.v[3].kind, PAT_TOK_INT);
	CU_ASSERT_EQUAL(t.v[3].ival, 42);
	CU_ASSERT_EQUAL(t.v[4].kind, PAT_TOK_FLOAT);
	CU_ASSERT_DOUBLE_EQUAL(t.v[4].dval, 3.25, 0);
	CU_ASSERT_EQUAL(t.v[5].kind, PAT_TOK_FLOAT);
	CU_ASSERT_DOUBLE_EQUAL(t.v[5].dval, 1e6, 0);
	CU_ASSERT_STRING_EQUAL(t.v[6].text, "<=");
	CU_ASSERT_STRING_EQUAL(t.v[7].text, "<>");
	CU_ASSERT_STRING_EQUAL(t.v[8].text, "!=");
	CU_ASSERT_STRING_EQUAL(t.v[9].text, "x_1");
	CU_ASSERT_EQUAL(t.v[9].line, 3);
	CU_ASSERT_EQUAL(t.v[9].col, 13);
	CU_ASSERT_EQUAL(t.v[10].kind, PAT_TOK_PUNCT);
	CU_ASSERT_EQUAL(t.v[t.n - 1].kind, PAT_TOK_EOF);
	pat_tokens_free(&t);
}

static void check_lex_error(const char *src, const char *msg, uint32_t line, uint32_t col)
{
	struct pat_tokens t;

	CU_ASSERT_EQUAL_FATAL(pat_lex(src, strlen(src), &t), 0);
	CU_ASSERT_FATAL(t.n >= 2);
	CU_ASSERT_EQUAL(t.v[t.n - 1].kind, PAT_TOK_EOF);
	CU_ASSERT_EQUAL(t.v[t.n - 2].kind, PAT_TOK_ERROR);
	CU_ASSERT_STRING_EQUAL(t.v[t.n - 2].text, msg);
	CU_ASSERT_EQUAL(t.v[t.n - 2].line, line);
	CU_ASSERT_EQUAL(t.v[t.n - 2].col, col);
	pat_tokens_free(&t);
}

static void test_lex_errors(void)
{
	check_lex_error("a 'open", "unterminated string literal", 1, 3);
	check_lex_error("a\n  \"open", "unterminated quoted identifier", 2, 3);
	check_lex_error("/* never closed", "unterminated comment", 1, 1);
	check_lex_error("x @ y", "unexpected character '@'", 1, 3);
	check_lex_error("12abc", "malformed number", 1, 1);
	check_lex_error("\"\"", "empty quoted identifier", 1, 1);
	check_lex_error("99999999999999999999", "number out of range", 1, 1);
}

static const char good[] =
	"CREATE STREAM payments (\n"
	"    ts TIMESTAMP, card STRING KEY, amount DOUBLE, ok BOOLEAN, n BIGINT, \"device.id\" STRING\n"
	") WITH (format = 'json', port = 9000, timestamp = 'ts', watermark_delay = '2 SECONDS',\n"
	"        idle_timeout = '1 MINUTE', dead_letter_topic = 'dlq');\n"
	"create stream readings (ts TIMESTAMP, id STRING(8) key, v DOUBLE, site BIGINT KEY)\n"
	"  with (FORMAT = 'binary', PORT = '9001');\n"
	"CREATE STREAM clicks (url STRING, n BIGINT) WITH (format = 'csv', port = 9002,\n"
	"  delimiter = '|');\n";

static void test_streams(void)
{
	struct pat_diags d = { 0 };
	struct pat_ruleset *rs;
	const struct pat_stream *s;

	CU_ASSERT_EQUAL_FATAL(pat_compile("good.rql", good, strlen(good), &rs, &d), 0);
	CU_ASSERT_EQUAL(d.n, 0);
	CU_ASSERT_EQUAL_FATAL(rs->n_streams, 3);
	s = &rs->streams[0];
	CU_ASSERT_STRING_EQUAL(s->name, "payments");
	CU_ASSERT_EQUAL(s->format, PAT_FMT_JSON);
	CU_ASSERT_EQUAL(s->port, 9000);
	CU_ASSERT_EQUAL(s->n_cols, 6);
	CU_ASSERT_EQUAL(s->ts_col, 0);
	CU_ASSERT_EQUAL(s->watermark_delay_ms, 2000);
	CU_ASSERT_EQUAL(s->idle_timeout_ms, 60000);
	CU_ASSERT_STRING_EQUAL(s->dead_letter_topic, "dlq");
	CU_ASSERT_STRING_EQUAL(s->cols[5].name, "device.id");
	CU_ASSERT_EQUAL(s->cols[3].type, PAT_T_BOOLEAN);
	CU_ASSERT_EQUAL(s->n_keys, 1);
	CU_ASSERT_EQUAL(s->key_cols[0], 1);
	CU_ASSERT(s->cols[1].key && !s->cols[0].key);
	s = &rs->streams[1];
	CU_ASSERT_EQUAL(s->n_keys, 2);
	CU_ASSERT_EQUAL(s->key_cols[0], 1);
	CU_ASSERT_EQUAL(s->key_cols[1], 3);
	CU_ASSERT_EQUAL(s->format, PAT_FMT_BINARY);
	CU_ASSERT_EQUAL(s->port, 9001);
	CU_ASSERT_EQUAL(s->cols[1].size, 8);
	CU_ASSERT_EQUAL(s->ts_col, -1);
	CU_ASSERT_EQUAL(s->watermark_delay_ms, 0);
	CU_ASSERT_EQUAL(s->idle_timeout_ms, 10000);
	CU_ASSERT_PTR_NULL(s->dead_letter_topic);
	s = &rs->streams[2];
	CU_ASSERT_EQUAL(s->n_keys, 0);
	CU_ASSERT_EQUAL(s->delimiter, '|');
	CU_ASSERT_PTR_EQUAL(pat_stream_by_port(rs, 9002), s);
	CU_ASSERT_PTR_NULL(pat_stream_by_port(rs, 9003));
	pat_ruleset_free(rs);
}

/* Compiles src (named f.rql) and checks the diagnostics, in order. */
static void check_errors(const char *src, const char *const *want, size_t n)
{
	struct pat_diags d = { 0 };
	struct pat_ruleset *rs = (struct pat_ruleset *)1;
	size_t k;

	CU_ASSERT_EQUAL(pat_compile("f.rql", src, strlen(src), &rs, &d), -EINVAL);
	CU_ASSERT_PTR_NULL(rs);
	CU_ASSERT_EQUAL(d.n, n);
	for (k = n; k < d.n; k++)
		fprintf(stderr, "\n  unexpected: %s\n", d.msgs[k]);
	for (k = 0; k < n && k < d.n; k++) {
		if (strcmp(d.msgs[k], want[k]) != 0)
			fprintf(stderr, "\n  got:  %s\n  want: %s\n", d.msgs[k], want[k]);
		CU_ASSERT_STRING_EQUAL(d.msgs[k], want[k]);
	}
	pat_diags_free(&d);
}

static void test_errors_one_pass(void)
{
	static const char src[] =
		"CREATE STREAM a (x BIGINT) WITH (format = 'xml', port = 70000);\n"
		"CREATE STREAM b (x BIGINT, x DOUBLE) WITH (format = 'json', port = 1, colour = 'red');\n"
		"CREATE STREAM a (y BIGINT) WITH (format = 'json', port = 1);\n"
		/* reads a stream with errors: not checked, not reported again */
		"CREATE ALERT big AS SELECT * FROM a WHERE x > 1;\n"
		"SELECT 1;\n";
	static const char *const want[] = {
		"f.rql:1:43: error: format must be 'json', 'csv' or 'binary'",
		"f.rql:1:57: error: port must be an integer from 1 to 65535",
		"f.rql:2:28: error: column 'x' is declared twice",
		"f.rql:2:71: error: unknown stream option 'colour' (format, port, timestamp, watermark_delay, idle_timeout, delimiter, dead_letter_topic)",
		"f.rql:3:15: error: name 'a' is already used by another statement",
		"f.rql:3:51: error: port 1 is already taken by stream 'b'",
		"f.rql:5:1: error: expected CREATE, found 'SELECT'",
	};

	check_errors(src, want, sizeof(want) / sizeof(want[0]));
}

static void test_stream_checks(void)
{
	{
		static const char *const w[] = {
			"f.rql:1:15: error: stream 's' needs WITH (format = 'json' | 'csv' | 'binary')",
			"f.rql:1:15: error: stream 's' needs WITH (port = N)",
			"f.rql:1:46: error: timestamp column 'x' must be of type TIMESTAMP"
		};
		check_errors("CREATE STREAM s (x BIGINT) WITH (timestamp = 'x');", w, 3);
	}
	{
		static const char *const w[] = {
			"f.rql:1:67: error: timestamp column 'x' must be of type TIMESTAMP"
		};
		check_errors(
			"CREATE STREAM s (x BIGINT) WITH (format='json', port=1, timestamp='x');",
			w, 1);
	}
	{
		static const char *const w[] = {
			"f.rql:1:65: error: timestamp column 'q' is not a column of stream 's'"
		};
		check_errors(
			"CREATE STREAM s (x BIGINT) WITH (format='json',port=1,timestamp='q');", w,
			1);
	}
	{
		static const char *const w[] = {
			"f.rql:1:18: error: column 'x': format 'binary' needs a fixed length, STRING(n)"
		};
		check_errors("CREATE STREAM s (x STRING) WITH (format='binary', port=1);", w, 1);
	}
	{
		static const char *const w[] = {
			"f.rql:2:49: error: port 7 is already taken by stream 'a'"
		};
		check_errors("CREATE STREAM a (x BIGINT) WITH (format='json', port=7);\n"
			     "CREATE STREAM b (x BIGINT) WITH (format='json', port=7);",
			     w, 1);
	}
	{
		static const char *const w[] = {
			"f.rql:1:59: error: delimiter applies to format 'csv' only",
			"f.rql:1:88: error: watermark_delay must be a duration such as '5 SECONDS' "
			"(units MILLISECONDS, SECONDS, MINUTES, HOURS, DAYS)"
		};
		check_errors(
			"CREATE STREAM s (x BIGINT) WITH (format='json', delimiter=';', port=1, "
			"watermark_delay='soon');",
			w, 2);
	}
	{
		static const char *const w[] = {
			"f.rql:1:20: error: expected a column type (BIGINT, DOUBLE, BOOLEAN, STRING, "
			"TIMESTAMP), found 'INT'"
		};
		check_errors("CREATE STREAM s (x INT) WITH (format='json', port=1);", w, 1);
	}
	{
		static const char *const w[] = {
			"f.rql:1:56: error: expected ';', found end of file"
		};
		check_errors("CREATE STREAM s (x BIGINT) WITH (format='json', port=1)", w, 1);
	}
	{
		static const char *const w[] = {
			"f.rql:1:57: error: option 'port' is given twice"
		};
		check_errors("CREATE STREAM s (x BIGINT) WITH (port=1, format='json', port=2);", w,
			     1);
	}
	{
		static const char *const w[] = {
			"f.rql:1:1: error: the rule file declares no stream (CREATE STREAM)"
		};
		check_errors("-- nothing here\n", w, 1);
	}
	{
		static const char *const w[] = { "f.rql:2:3: error: unterminated string literal" };
		check_errors("CREATE STREAM s (x BIGINT) WITH (format='json', port=1);\n  'oops", w,
			     1);
	}
}

static void test_durations(void)
{
	int64_t ms;

	CU_ASSERT_EQUAL(pat_parse_duration("5 SECONDS", &ms), 0);
	CU_ASSERT_EQUAL(ms, 5000);
	CU_ASSERT_EQUAL(pat_parse_duration("1 second", &ms), 0);
	CU_ASSERT_EQUAL(ms, 1000);
	CU_ASSERT_EQUAL(pat_parse_duration("250 MILLISECONDS", &ms), 0);
	CU_ASSERT_EQUAL(ms, 250);
	CU_ASSERT_EQUAL(pat_parse_duration("2 HOURS", &ms), 0);
	CU_ASSERT_EQUAL(ms, 7200000);
	CU_ASSERT_EQUAL(pat_parse_duration("1 DAY", &ms), 0);
	CU_ASSERT_EQUAL(ms, 86400000);
	CU_ASSERT_EQUAL(pat_parse_duration("0 MINUTES", &ms), 0);
	CU_ASSERT_EQUAL(ms, 0);
	CU_ASSERT_EQUAL(pat_parse_duration("5", &ms), -EINVAL);
	CU_ASSERT_EQUAL(pat_parse_duration("5 WEEKS", &ms), -EINVAL);
	CU_ASSERT_EQUAL(pat_parse_duration("-5 SECONDS", &ms), -EINVAL);
	CU_ASSERT_EQUAL(pat_parse_duration("5 SECONDSX", &ms), -EINVAL);
	CU_ASSERT_EQUAL(pat_parse_duration("99999999999999999 DAYS", &ms), -EINVAL);
}

static void test_file(void)
{
	struct pat_diags d = { 0 };
	struct pat_ruleset *rs;

	CU_ASSERT_EQUAL(pat_compile_file("/nonexistent/rules.rql", &rs, &d), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(d.n, 1);
	CU_ASSERT_STRING_EQUAL(d.msgs[0],
			       "/nonexistent/rules.rql:1:1: error: cannot open: No such file or "
			       "directory");
	pat_diags_free(&d);
}

/* ---- rules: ALERT, AGGREGATE, PATTERN ---- */

static const struct pat_options check_only = { .hs_mode = PAT_HS_CHECK_ONLY };

/* The example file of spec/RULES.md, and more forms of each statement. */
static void test_rules(void)
{
	static const char src[] =
		"CREATE STREAM payments (\n"
		"    ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE, country STRING, status STRING\n"
		") WITH (format = 'json', port = 9000, timestamp = 'ts', watermark_delay = '2 SECONDS');\n"
		"CREATE ALERT casino WITH (topic = 'alerts') AS\n"
		"    SELECT card, merchant, amount FROM payments\n"
		"    WHERE merchant REGEXP '(?i)casino|betting' AND amount > 100;\n"
		"CREATE AGGREGATE spend_per_card WITH (topic = 'aggregates', late_topic = 'late') AS\n"
		"    SELECT card, COUNT(*) AS n, SUM(amount) AS total, COUNT_DISTINCT(merchant) AS merchants\n"
		"    FROM payments\n"
		"    WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 10 SECONDS)\n"
		"    GROUP BY card;\n"
		"CREATE PATTERN card_testing WITH (topic = 'alerts') AS\n"
		"    SELECT * FROM payments MATCH_RECOGNIZE (\n"
		"        PARTITION BY card ORDER BY ts\n"
		"        MEASURES FIRST(D.ts) AS first_decline, COUNT(D.*) AS declines, B.amount AS amount\n"
		"        ONE ROW PER MATCH AFTER MATCH SKIP PAST LAST ROW\n"
		"        PATTERN (D{3,} B) WITHIN INTERVAL '60' SECOND\n"
		"        DEFINE D AS status = 'declined', B AS status = 'approved' AND amount > 500\n"
		"    );\n"
		"create alert everything as select * from payments;\n"
		"CREATE ALERT exprs AS SELECT amount * 2, LOWER(card) AS c, UPPER(status) FROM payments\n"
		"    WHERE amount BETWEEN 1 AND 2 OR country IN ('DE', 'FR') OR card LIKE '4%';\n"
		"CREATE AGGREGATE hop WITH (emit_interval = '500 MILLISECONDS') AS\n"
		"    SELECT card, country, AVG(amount) AS a, PERCENTILE_APPROX(amount, 0.99) AS p99,\n"
		"           MIN(ts) AS first, MAX(amount) - MIN(amount) AS spread\n"
		"    FROM payments WHERE status = 'approved'\n"
		"    WINDOW HOPPING (SIZE 1 HOUR, ADVANCE BY 15 MINUTES) GROUP BY card, country\n"
		"    HAVING COUNT(*) > 10 AND card <> 'x' EMIT CHANGES;\n"
		"CREATE AGGREGATE sess AS SELECT card, COUNT(amount) AS n FROM payments\n"
		"    WINDOW SESSION (INTERVAL '5' MINUTES, GRACE PERIOD 0 SECONDS) GROUP BY card EMIT FINAL;\n"
		"CREATE PATTERN alt AS SELECT * FROM payments MATCH_RECOGNIZE (\n"
		"    PARTITION BY card, country ORDER BY ts\n"
		"    MEASURES SUM(A.amount) AS s, AVG(B.amount) AS a, MIN(A.ts) AS m, card AS c2\n"
		"    PATTERN ((A | B)+ C{2} (A B | C){1,3}) );\n";
	struct pat_diags d = { 0 };
	struct pat_ruleset *rs = NULL;
	const struct pat_rule *r;
	size_t k;

	CU_ASSERT_EQUAL(pat_compile_ex("r.rql", src, strlen(src), &check_only, &rs, &d), 0);
	for (k = 0; k < d.n; k++)
		fprintf(stderr, "\n  %s\n", d.msgs[k]);
	CU_ASSERT_FATAL(rs != NULL);
	CU_ASSERT_EQUAL(rs->n_rules, 8);
	CU_ASSERT(rs->checked_only);

	r = pat_rule_by_name(rs, "casino");
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(r->kind, PAT_R_ALERT);
	CU_ASSERT_STRING_EQUAL(r->topic, "alerts");
	CU_ASSERT_EQUAL(r->n_items, 3);
	CU_ASSERT_STRING_EQUAL(r->items[2].name, "amount");
	CU_ASSERT_EQUAL(r->items[2].e->op, PAT_OP_COL);
	CU_ASSERT_EQUAL(r->items[2].e->idx, 3);
	CU_ASSERT_EQUAL(r->where->op, PAT_OP_AND);
	CU_ASSERT_EQUAL(r->where->list[0]->op, PAT_OP_MATCH);
	CU_ASSERT_EQUAL(r->where->list[0]->arg, 2);
	CU_ASSERT_EQUAL(r->where->list[1]->op, PAT_OP_GT);
	CU_ASSERT_EQUAL(rs->n_preds[0], 2);
	CU_ASSERT_STRING_EQUAL(rs->preds[0][0].expr, "(?i)casino|betting");
	CU_ASSERT(rs->preds[0][0].regexp);

	r = pat_rule_by_name(rs, "spend_per_card");
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(r->kind, PAT_R_AGGREGATE);
	CU_ASSERT_STRING_EQUAL(r->late_topic, "late");
	CU_ASSERT_EQUAL(r->window, PAT_W_TUMBLING);
	CU_ASSERT_EQUAL(r->size_ms, 60000);
	CU_ASSERT_EQUAL(r->advance_ms, 60000);
	CU_ASSERT_EQUAL(r->grace_ms, 10000);
	CU_ASSERT_EQUAL(r->n_group, 1);
	CU_ASSERT_EQUAL(r->group_cols[0], 1);
	CU_ASSERT_EQUAL(r->n_aggs, 3);
	CU_ASSERT_EQUAL(r->aggs[0]->fn, PAT_AGG_COUNT_STAR);
	CU_ASSERT_EQUAL(r->aggs[1]->fn, PAT_AGG_SUM);
	CU_ASSERT_EQUAL(r->aggs[1]->type, PAT_T_DOUBLE);
	CU_ASSERT_EQUAL(r->aggs[2]->fn, PAT_AGG_COUNT_DISTINCT);
	CU_ASSERT_EQUAL(r->aggs[2]->arg, 2);
	CU_ASSERT(!r->emit_changes);
	CU_ASSERT_EQUAL(r->emit_interval_ms, 1000);

	r = pat_rule_by_name(rs, "card_testing");
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(r->kind, PAT_R_PATTERN);
	CU_ASSERT_EQUAL(r->n_partition, 1);
	CU_ASSERT_EQUAL(r->n_vars, 2);
	CU_ASSERT_STRING_EQUAL(r->vars[0], "D");
	CU_ASSERT_EQUAL(r->within_ms, 60000);
	CU_ASSERT_EQUAL_FATAL(r->pattern->kind, PAT_RE_SEQ);
	CU_ASSERT_EQUAL(r->pattern->n_kids, 2);
	CU_ASSERT_EQUAL(r->pattern->kids[0]->min, 3);
	CU_ASSERT_EQUAL(r->pattern->kids[0]->max, UINT32_MAX);
	CU_ASSERT_EQUAL(r->pattern->kids[1]->var, 1);
	CU_ASSERT_PTR_NOT_NULL(r->define[0]);
	CU_ASSERT_PTR_NOT_NULL(r->define[1]);
	CU_ASSERT_EQUAL(r->n_measures, 3);
	CU_ASSERT_EQUAL(r->measures[0].e->op, PAT_OP_MEASURE);
	CU_ASSERT_EQUAL(r->measures[0].e->fn, PAT_M_FIRST);
	CU_ASSERT_EQUAL(r->measures[0].e->type, PAT_T_TIMESTAMP);
	CU_ASSERT_EQUAL(r->measures[1].e->fn, PAT_M_COUNT);
	CU_ASSERT_EQUAL(r->measures[2].e->fn, PAT_M_LAST);
	CU_ASSERT_EQUAL(r->measures[2].e->var, 1);
	/* each measure has a slot of its own */
	CU_ASSERT_EQUAL(r->n_aggs, 3);
	CU_ASSERT_EQUAL(r->measures[0].e->idx, 0);
	CU_ASSERT_EQUAL(r->measures[2].e->idx, 2);
	CU_ASSERT_PTR_EQUAL(r->aggs[1], r->measures[1].e);

	/* SELECT *: every column but the timestamp one (it is "ts" already) */
	r = pat_rule_by_name(rs, "everything");
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_STRING_EQUAL(r->topic, "everything");
	CU_ASSERT_EQUAL(r->n_items, 5);
	CU_ASSERT_STRING_EQUAL(r->items[0].name, "card");
	r = pat_rule_by_name(rs, "exprs");
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_STRING_EQUAL(r->items[0].name, "KSQL_COL_0");
	CU_ASSERT_STRING_EQUAL(r->items[1].name, "c");
	CU_ASSERT_STRING_EQUAL(r->items[2].name, "KSQL_COL_2");
	CU_ASSERT_EQUAL(r->where->op, PAT_OP_OR);
	CU_ASSERT_EQUAL(r->where->n_list, 3);
	CU_ASSERT_EQUAL(rs->eval_strings, 2);

	r = pat_rule_by_name(rs, "hop");
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(r->window, PAT_W_HOPPING);
	CU_ASSERT_EQUAL(r->size_ms, 3600000);
	CU_ASSERT_EQUAL(r->advance_ms, 900000);
	CU_ASSERT_EQUAL(r->n_group, 2);
	CU_ASSERT(r->emit_changes);
	CU_ASSERT_EQUAL(r->emit_interval_ms, 500);
	CU_ASSERT_EQUAL(r->n_aggs, 6); /* AVG, PERCENTILE, MIN, MAX, MIN, and COUNT in HAVING */
	CU_ASSERT_DOUBLE_EQUAL(r->aggs[1]->p, 0.99, 0);
	CU_ASSERT_EQUAL(r->aggs[2]->type, PAT_T_TIMESTAMP);
	CU_ASSERT_PTR_NOT_NULL(r->having);

	r = pat_rule_by_name(rs, "sess");
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(r->window, PAT_W_SESSION);
	CU_ASSERT_EQUAL(r->size_ms, 300000);

	r = pat_rule_by_name(rs, "alt");
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(r->n_vars, 3);
	CU_ASSERT_EQUAL(r->within_ms, -1);
	CU_ASSERT_EQUAL(r->pattern->n_kids, 3);
	CU_ASSERT_EQUAL(r->pattern->kids[0]->kind, PAT_RE_ALT);
	CU_ASSERT_EQUAL(r->pattern->kids[0]->min, 1);
	CU_ASSERT_EQUAL(r->pattern->kids[0]->max, UINT32_MAX);
	CU_ASSERT_EQUAL(r->pattern->kids[2]->min, 1);
	CU_ASSERT_EQUAL(r->pattern->kids[2]->max, 3);
	CU_ASSERT_EQUAL(r->measures[0].e->type, PAT_T_DOUBLE);
	CU_ASSERT_EQUAL(r->measures[3].e->op, PAT_OP_COL);
	pat_ruleset_free(rs);
	pat_diags_free(&d);
}

/*
 * Each case is one statement after two streams; a backquote marks where its one
 * error must stand. s has a timestamp column, u has none:
 *   s (a BIGINT, d DOUBLE, b STRING, f BOOLEAN, t TIMESTAMP)   line 1
 *   u (a BIGINT, b STRING)                                    line 2
 */
struct rcase {
	const char *stmt;
	const char *msg;
};

static const char two_streams[] =
	"CREATE STREAM s (a BIGINT, d DOUBLE, b STRING, f BOOLEAN, t TIMESTAMP) WITH (format = "
	"'json', port = 1, timestamp = 't');\n"
	"CREATE STREAM u (a BIGINT, b STRING) WITH (format = 'json', port = 2);\n";

#define PAT_ "CREATE PATTERN p AS SELECT * FROM s MATCH_RECOGNIZE (PARTITION BY b ORDER BY t "
#define AGG_ "CREATE AGGREGATE g AS SELECT b, COUNT(*) AS n FROM s "

static const struct rcase rule_cases[] = {
	/* syntax */
	{ "CREATE ALERT x AS SELECT a FROM s WHERE `;", "expected an expression, found ';'" },
	{ "CREATE ALERT x AS SELECT a FROM s WHERE b LIKE `a;",
	  "LIKE needs a string literal pattern, found 'a'" },
	{ "CREATE ALERT x AS SELECT a FROM s WHERE b REGEXP `1;",
	  "REGEXP needs a string literal pattern, found '1'" },
	{ "CREATE ALERT x AS SELECT a FROM s WHERE a IS `1;", "expected NULL, found '1'" },
	{ "CREATE ALERT x AS SELECT a FROM s WHERE a BETWEEN 1 `OR 2;",
	  "expected AND, found 'OR'" },
	{ "CREATE ALERT x AS SELECT a `s WHERE TRUE;", "expected FROM, found 's'" },
	{ "CREATE ALERT x AS `FROM s;", "expected SELECT, found 'FROM'" },
	{ "CREATE ALERT x `SELECT a FROM s;", "expected AS, found 'SELECT'" },
	{ "CREATE ALERT x AS SELECT a FROM s WHERE TRUE `GROUP BY a;",
	  "GROUP belongs to CREATE AGGREGATE" },
	{ "CREATE ALERT x AS SELECT a AS `1 FROM s;", "expected a name after AS, found '1'" },
	{ "CREATE ALERT x AS SELECT (a `FROM s;", "expected ')', found 'FROM'" },
	{ "CREATE ALERT x AS SELECT a.`1 FROM s;", "expected a column name after '.', found '1'" },
	{ "CREATE `1 AS SELECT a FROM s;",
	  "expected STREAM, ALERT, AGGREGATE or PATTERN after CREATE, found '1'" },
	{ "CREATE ALERT `1 AS SELECT a FROM s;", "expected a rule name, found '1'" },
	{ "CREATE ALERT x AS SELECT a FROM `1;", "expected a stream name, found '1'" },
	/* names and types */
	{ "CREATE ALERT x AS SELECT a FROM `nope;",
	  "unknown stream 'nope' (streams are declared before the rules that read them)" },
	{ "CREATE ALERT `s AS SELECT a FROM s;", "name 's' is already used by another statement" },
	{ "CREATE ALERT x AS SELECT `q FROM s;", "unknown column 'q' in stream 's'" },
	{ "CREATE ALERT x AS SELECT a FROM u WHERE `t > 1;", "unknown column 't' in stream 'u'" },
	{ "CREATE ALERT x AS SELECT a FROM s WHERE `a;", "WHERE needs a BOOLEAN, not BIGINT" },
	{ "CREATE ALERT x AS SELECT a FROM s WHERE f AND `b;", "AND needs a BOOLEAN, not STRING" },
	{ "CREATE ALERT x AS SELECT a FROM s WHERE f OR `d;", "OR needs a BOOLEAN, not DOUBLE" },
	{ "CREATE ALERT x AS SELECT a FROM s WHERE NOT `t;", "NOT needs a BOOLEAN, not TIMESTAMP" },
	{ "CREATE ALERT x AS SELECT a FROM s WHERE a `= b;", "cannot compare BIGINT with STRING" },
	{ "CREATE ALERT x AS SELECT a FROM s WHERE f `< 1;", "cannot compare BOOLEAN with BIGINT" },
	{ "CREATE ALERT x AS SELECT a FROM s WHERE t `> '2024-01-01';",
	  "cannot compare TIMESTAMP with STRING" },
	{ "CREATE ALERT x AS SELECT a FROM s WHERE a BETWEEN `'a' AND 2;",
	  "cannot compare BIGINT with STRING" },
	{ "CREATE ALERT x AS SELECT a FROM s WHERE a IN (1, `'x');",
	  "cannot compare BIGINT with STRING" },
	{ "CREATE ALERT x AS SELECT a FROM s WHERE a IN (1, `d);", "IN takes literals only" },
	{ "CREATE ALERT x AS SELECT a `+ b FROM s;",
	  "operator + needs numbers, not BIGINT and STRING" },
	{ "CREATE ALERT x AS SELECT f `* 2 FROM s;",
	  "operator * needs numbers, not BOOLEAN and BIGINT" },
	{ "CREATE ALERT x AS SELECT `-b FROM s;", "cannot negate STRING" },
	{ "CREATE ALERT x AS SELECT a FROM s WHERE `LOWER(b) LIKE 'x';",
	  "LIKE applies to a STRING column of the stream" },
	{ "CREATE ALERT x AS SELECT a FROM s WHERE `a REGEXP 'x';",
	  "REGEXP applies to a STRING column of the stream" },
	{ "CREATE ALERT x AS SELECT `NOW() FROM s;", "unknown function 'NOW'" },
	{ "CREATE ALERT x AS SELECT `LOWER(b, b) FROM s;", "LOWER takes one argument" },
	{ "CREATE ALERT x AS SELECT UPPER(`*) FROM s;", "UPPER takes a value, not *" },
	{ "CREATE ALERT x AS SELECT `LENGTH(a) FROM s;", "LENGTH needs a STRING, not BIGINT" },
	{ "CREATE ALERT x AS SELECT `ABS(b) FROM s;", "ABS needs a number, not STRING" },
	{ "CREATE ALERT x AS SELECT a, `* FROM s;", "expected an expression, found '*'" },
	{ "CREATE ALERT x AS SELECT `X.a FROM s;",
	  "'X.a': pattern variables are named in MEASURES only (DEFINE looks at the current row)" },
	{ "CREATE ALERT x AS SELECT `COUNT(*) AS n FROM s;",
	  "aggregate COUNT is allowed only in the select list and HAVING of CREATE AGGREGATE" },
	{ "CREATE ALERT x AS SELECT a FROM s WHERE `SUM(a) > 1;",
	  "aggregate SUM is allowed only in the select list and HAVING of CREATE AGGREGATE" },
	/* output names */
	{ "CREATE ALERT x AS SELECT `a AS ts FROM s;",
	  "'ts' is a field of every message of this rule; rename it with AS" },
	{ "CREATE ALERT x AS SELECT a, `d AS a FROM s;",
	  "'a' names two outputs; rename one with AS" },
	{ "CREATE AGGREGATE g AS SELECT b, `COUNT(*) AS window_start FROM s WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b;",
	  "'window_start' is a field of every message of this rule; rename it with AS" },
	/* options */
	{ "CREATE ALERT x WITH (`late_topic = 'l') AS SELECT a FROM s;",
	  "unknown option 'late_topic' of CREATE ALERT (topic)" },
	{ "CREATE PATTERN x WITH (`emit_interval = '1 SECOND') AS SELECT * FROM s;",
	  "unknown option 'emit_interval' of CREATE PATTERN (topic, late_topic, max_keys, max_state_mb)" },
	{ "CREATE ALERT x WITH (`max_keys = 5) AS SELECT a FROM s;",
	  "unknown option 'max_keys' of CREATE ALERT (topic)" },
	{ "CREATE AGGREGATE g WITH (max_keys = `0) AS SELECT b, COUNT(*) AS n FROM s WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b;",
	  "max_keys must be an integer from 1 to 1073741824" },
	{ "CREATE AGGREGATE g WITH (max_state_mb = `'1 GB') AS SELECT b, COUNT(*) AS n FROM s WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b;",
	  "max_state_mb must be an integer from 1 to 1048576" },
	{ "CREATE AGGREGATE g WITH (`late = 'x') AS SELECT b, COUNT(*) AS n FROM s WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b;",
	  "unknown option 'late' of CREATE AGGREGATE (topic, late_topic, emit_interval, max_keys, max_state_mb)" },
	{ "CREATE ALERT x WITH (topic = 'a', `topic = 'b') AS SELECT a FROM s;",
	  "option 'topic' is given twice" },
	{ "CREATE ALERT x WITH (topic = `'') AS SELECT a FROM s;",
	  "topic must be a topic name: 1 to 249 letters, digits, '.', '_' or '-', not '.' or '..'" },
	{ "CREATE ALERT x WITH (topic = `'../etc') AS SELECT a FROM s;",
	  "topic must be a topic name: 1 to 249 letters, digits, '.', '_' or '-', not '.' or '..'" },
	{ "CREATE PATTERN x WITH (late_topic = `'a b') AS SELECT * FROM s;",
	  "late_topic must be a topic name: 1 to 249 letters, digits, '.', '_' or '-', not '.' or '..'" },
	{ "CREATE ALERT `\"a/b\" AS SELECT a FROM s;",
	  "rule name 'a/b' cannot be its topic (1 to 249 letters, digits, '.', '_' or '-', not '.' or '..'): give WITH (topic = ...)" },
	{ "CREATE AGGREGATE g WITH (emit_interval = `'0 SECONDS') AS SELECT b FROM s WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b;",
	  "emit_interval must be a positive duration such as '1 SECOND'" },
	{ "CREATE ALERT x WITH (topic = `() AS SELECT a FROM s;",
	  "expected an option value, found '('" },
	/* aggregates */
	{ AGG_ "WINDOW `SLIDING (SIZE 1 SECOND) GROUP BY b;",
	  "expected TUMBLING, HOPPING or SESSION, found 'SLIDING'" },
	{ AGG_ "WINDOW TUMBLING (`1 SECOND) GROUP BY b;", "expected SIZE, found '1'" },
	{ AGG_ "WINDOW TUMBLING (`SIZE 0 SECONDS) GROUP BY b;", "a window needs a positive size" },
	{ AGG_ "WINDOW SESSION (`0 SECONDS) GROUP BY b;", "a window needs a positive gap" },
	{ AGG_ "WINDOW HOPPING (SIZE 10 SECONDS, `ADVANCE BY 3 SECONDS) GROUP BY b;",
	  "ADVANCE BY (3000 ms) must be positive and divide SIZE (10000 ms)" },
	{ AGG_ "WINDOW HOPPING (SIZE 10 SECONDS, `ADVANCE BY 20 SECONDS) GROUP BY b;",
	  "ADVANCE BY (20000 ms) must be positive and divide SIZE (10000 ms)" },
	{ AGG_ "WINDOW HOPPING (SIZE 10 SECONDS`) GROUP BY b;", "expected ',', found ')'" },
	{ AGG_ "WINDOW TUMBLING (SIZE `ten SECONDS) GROUP BY b;",
	  "expected a duration such as 10 SECONDS, found 'ten'" },
	{ AGG_ "WINDOW TUMBLING (SIZE 10 `'s') GROUP BY b;",
	  "expected a time unit (MILLISECONDS, SECONDS, MINUTES, HOURS, DAYS), found string 's'" },
	{ AGG_ "WINDOW TUMBLING (SIZE `10 WEEKS) GROUP BY b;",
	  "'10 WEEKS' is not a duration (an integer and MILLISECONDS, SECONDS, MINUTES, HOURS or DAYS)" },
	{ AGG_ "WINDOW TUMBLING (SIZE INTERVAL `10 SECONDS) GROUP BY b;",
	  "expected INTERVAL '<integer>' UNIT, found '10'" },
	{ AGG_ "WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY `q;", "unknown column 'q' in stream 's'" },
	{ AGG_ "WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b, `b;", "column 'b' is named twice" },
	{ AGG_ "WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b EMIT `ALL;",
	  "expected FINAL or CHANGES after EMIT, found 'ALL'" },
	{ AGG_ "WINDOW TUMBLING (SIZE 1 SECOND) GROUP `b;", "expected BY, found 'b'" },
	{ "CREATE AGGREGATE g AS SELECT `a FROM s WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b;",
	  "column 'a' must be in GROUP BY or inside an aggregate" },
	{ AGG_ "WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b HAVING `a > 1;",
	  "column 'a' must be in GROUP BY or inside an aggregate" },
	{ AGG_ "WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b HAVING `COUNT(*);",
	  "HAVING needs a BOOLEAN, not BIGINT" },
	{ AGG_ "WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b HAVING b LIKE `'x%';",
	  "LIKE is not allowed in HAVING or an aggregate's select list (filter events in WHERE)" },
	{ "CREATE AGGREGATE g AS SELECT `* FROM s WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b;",
	  "an aggregate lists its GROUP BY columns and aggregates, not *" },
	{ "CREATE AGGREGATE g AS SELECT b, `SUM(b) AS x FROM s WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b;",
	  "SUM needs a BIGINT or DOUBLE column, 'b' is STRING" },
	{ "CREATE AGGREGATE g AS SELECT b, `MAX(f) AS x FROM s WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b;",
	  "MAX needs a BIGINT, DOUBLE or TIMESTAMP column, 'f' is BOOLEAN" },
	{ "CREATE AGGREGATE g AS SELECT b, SUM(a `+ 1) AS x FROM s WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b;",
	  "SUM takes a column of stream 's'" },
	{ "CREATE AGGREGATE g AS SELECT b, `COUNT(a, d) AS x FROM s WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b;",
	  "COUNT takes one column" },
	{ "CREATE AGGREGATE g AS SELECT b, `PERCENTILE_APPROX(a) AS x FROM s WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b;",
	  "PERCENTILE_APPROX takes a column and a fraction" },
	{ "CREATE AGGREGATE g AS SELECT b, PERCENTILE_APPROX(a, `1) AS x FROM s WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b;",
	  "PERCENTILE_APPROX needs a literal fraction p, 0 < p < 1" },
	{ "CREATE AGGREGATE g AS SELECT b, SUM(`q) AS x FROM s WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY b;",
	  "unknown column 'q' in stream 's'" },
	/* patterns */
	{ PAT_ "PATTERN (A `B*));",
	  "the last element of a pattern may not be *, ?, + or {n,}: a match must end on a known row" },
	{ PAT_ "PATTERN (A `B?));",
	  "the last element of a pattern may not be *, ?, + or {n,}: a match must end on a known row" },
	{ PAT_ "PATTERN (A `B{2,}));",
	  "the last element of a pattern may not be *, ?, + or {n,}: a match must end on a known row" },
	{ PAT_ "PATTERN (A (B | `C*)));",
	  "the last element of a pattern may not be *, ?, + or {n,}: a match must end on a known row" },
	{ PAT_ "PATTERN (A B C D E F G H `I));", "a pattern has at most 8 variables" },
	{ PAT_ "PATTERN (A{`-1}));", "a quantifier bound is an integer from 0 to 10000" },
	{ PAT_ "PATTERN (A{`10001}));", "a quantifier bound is an integer from 0 to 10000" },
	{ PAT_ "PATTERN (A`{3,2}));", "quantifier {3,2} matches nothing" },
	{ PAT_ "PATTERN (`(A{10000}){10} B));",
	  "pattern too large: its quantifiers unroll to more than 100000 steps" },
	{ PAT_ "PATTERN (`(A{1500} | B{3000}){3} C));",
	  "a match of this pattern needs 4501 rows; a partition keeps at most 4096" },
	{ PAT_ "PATTERN (A+`? B));",
	  "reluctant quantifiers are not supported: every quantifier is greedy" },
	{ PAT_ "PATTERN (A | `));", "expected a pattern variable or '(', found ')'" },
	{ PAT_ "PATTERN (A B) `WITHIN 0 SECONDS);", "WITHIN needs a positive duration" },
	{ PAT_ "PATTERN (A B) DEFINE `C AS a > 1);",
	  "DEFINE of 'C', which is not a variable of the pattern" },
	{ PAT_ "PATTERN (A B) DEFINE A AS a > 1, `A AS a < 1);", "variable 'A' is defined twice" },
	{ PAT_ "PATTERN (A B) DEFINE A AS `a);", "DEFINE needs a BOOLEAN, not BIGINT" },
	{ PAT_ "PATTERN (A B) DEFINE A AS `B.a > 1);",
	  "'B.a': pattern variables are named in MEASURES only (DEFINE looks at the current row)" },
	{ PAT_ "PATTERN (A B) DEFINE A AS a > 1 `B AS TRUE);",
	  "expected ')' closing MATCH_RECOGNIZE, found 'B'" },
	{ PAT_ "`ALL ROWS PER MATCH PATTERN (A B));", "only ONE ROW PER MATCH is supported" },
	{ PAT_ "`AFTER MATCH SKIP TO NEXT ROW PATTERN (A B));",
	  "only AFTER MATCH SKIP PAST LAST ROW is supported" },
	{ PAT_ "MEASURES `A.a PATTERN (A B));", "a measure needs AS name" },
	/* the next measure's name is compared with the unnamed one's (found by fuzzing) */
	{ PAT_ "MEASURES `A.a, B.a AS y PATTERN (A B));", "a measure needs AS name" },
	{ PAT_ "MEASURES `a AS x PATTERN (A B));",
	  "column 'a' in MEASURES needs a pattern variable (V.a, FIRST(V.a))" },
	{ PAT_ "MEASURES `Z.a AS x PATTERN (A B));", "'Z' is not a variable of the pattern" },
	{ PAT_ "MEASURES `A.q AS x PATTERN (A B));", "unknown column 'q' in stream 's'" },
	{ PAT_ "MEASURES SUM(`A.*) AS x PATTERN (A B));", "A.* is allowed in COUNT only" },
	{ PAT_ "MEASURES COUNT(`A.a) AS x PATTERN (A B));", "COUNT of a variable takes A.*" },
	{ PAT_ "MEASURES AVG(`A.b) AS x PATTERN (A B));", "AVG needs a number, 'b' is STRING" },
	{ PAT_ "MEASURES `FIRST(a) AS x PATTERN (A B));",
	  "FIRST takes one V.column of a pattern variable" },
	{ PAT_ "MEASURES `UPPER(A.b) AS x PATTERN (A B));",
	  "UPPER is not a measure: use FIRST, LAST, COUNT, SUM, MIN, MAX or AVG of a pattern variable" },
	{ PAT_ "MEASURES `A.a AS b PATTERN (A B));",
	  "'b' is a field of every message of this rule; rename it with AS" },
	{ PAT_ "MEASURES `A.a AS match_end PATTERN (A B));",
	  "'match_end' is a field of every message of this rule; rename it with AS" },
	{ "CREATE PATTERN p AS SELECT * FROM s MATCH_RECOGNIZE (PARTITION BY b ORDER BY `a PATTERN (A B));",
	  "ORDER BY must name the timestamp column of stream 's' ('t')" },
	{ "CREATE PATTERN p AS SELECT * FROM u MATCH_RECOGNIZE (PARTITION BY b ORDER BY `a PATTERN (A B));",
	  "stream 'u' has no timestamp column: MATCH_RECOGNIZE orders rows by event time (WITH (timestamp = '...'))" },
	{ "CREATE PATTERN p AS SELECT a `FROM s MATCH_RECOGNIZE (PARTITION BY b ORDER BY t PATTERN (A B));",
	  "CREATE PATTERN selects * (the measures are the output)" },
	{ "CREATE PATTERN p AS SELECT * FROM s `WHERE TRUE;",
	  "expected MATCH_RECOGNIZE, found 'WHERE'" },
	{ "CREATE PATTERN p AS SELECT * FROM s MATCH_RECOGNIZE (PARTITION BY `q ORDER BY t PATTERN (A B));",
	  "unknown column 'q' in stream 's'" },
	/* SELECT * over a column named like a field of the message */
	{ NULL, NULL },
};

static void test_rule_errors(void)
{
	const struct rcase *c;

	for (c = rule_cases; c->stmt != NULL; c++) {
		char src[2048], want[1024], stmt[1024];
		const char *mark = strchr(c->stmt, '`');
		struct pat_diags d = { 0 };
		struct pat_ruleset *rs = (struct pat_ruleset *)1;
		size_t at;
		int rc;

		CU_ASSERT_FATAL(mark != NULL);
		at = (size_t)(mark - c->stmt);
		snprintf(stmt, sizeof(stmt), "%.*s%s", (int)at, c->stmt, mark + 1);
		snprintf(src, sizeof(src), "%s%s\n", two_streams, stmt);
		snprintf(want, sizeof(want), "f.rql:3:%zu: error: %s", at + 1, c->msg);
		rc = pat_compile_ex("f.rql", src, strlen(src), &check_only, &rs, &d);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_PTR_NULL(rs);
		if (d.n != 1 || strcmp(d.msgs[0], want) != 0) {
			size_t k;

			fprintf(stderr, "\n  %s\n  want: %s\n", stmt, want);
			for (k = 0; k < d.n; k++)
				fprintf(stderr, "  got:  %s\n", d.msgs[k]);
		}
		CU_ASSERT_EQUAL(d.n, 1);
		if (d.n >= 1)
			CU_ASSERT_STRING_EQUAL(d.msgs[0], want);
		pat_diags_free(&d);
	}
}

/* Several rule errors in one pass, in source order, and nothing of the file loaded;
 * the Hyperscan check runs even when other statements have errors. */
static void test_rule_errors_one_pass(void)
{
	static const char src[] =
		"CREATE STREAM s (a BIGINT, b STRING, t TIMESTAMP) WITH (format='json', port=1, timestamp='t');\n"
		"CREATE ALERT x AS SELECT a + b FROM s WHERE b LIKE 'x' AND c > 1;\n"
		"CREATE ALERT y AS SELECT a FROM s WHERE b REGEXP 'a(' OR a;\n"
		"CREATE ALERT ok AS SELECT a FROM s WHERE b REGEXP 'fine';\n"
		"CREATE ALERT x AS SELECT * FROM nope;\n"
		"CREATE ALERT z AS SELECT a FROM s WHERE (((a > 1);\n"
		"CREATE ALERT w AS SELECT a FROM s WHERE a > 1;\n";
	static const char *const want[] = {
		"f.rql:2:28: error: operator + needs numbers, not BIGINT and STRING",
		"f.rql:2:60: error: unknown column 'c' in stream 's'",
		"f.rql:3:50: error: REGEXP pattern refused by Hyperscan: Missing close parenthesis for group started at index 1.",
		"f.rql:3:58: error: OR needs a BOOLEAN, not BIGINT",
		"f.rql:5:14: error: name 'x' is already used by another statement",
		"f.rql:5:33: error: unknown stream 'nope' (streams are declared before the rules that read them)",
		"f.rql:6:50: error: expected ')', found ';'",
	};

	check_errors(src, want, sizeof(want) / sizeof(want[0]));
}

/* Hostile shapes: deep nesting and long lists are refused, never a stack overflow. */
/* src (len bytes) has exactly one error, which is want (exact) or holds it. */
static void expect_one(const char *src, size_t len, const char *want, bool exact)
{
	struct pat_diags d = { 0 };
	struct pat_ruleset *rs = NULL;

	CU_ASSERT_EQUAL(pat_compile_ex("f.rql", src, len, &check_only, &rs, &d), -EINVAL);
	CU_ASSERT_PTR_NULL(rs);
	CU_ASSERT_EQUAL_FATAL(d.n, 1);
	if (exact) {
		CU_ASSERT_STRING_EQUAL(d.msgs[0], want);
	} else {
		CU_ASSERT_PTR_NOT_NULL(strstr(d.msgs[0], want));
	}
	pat_diags_free(&d);
}

static void test_rule_limits(void)
{
	size_t cap = 1 << 20, len, k;
	char *src = malloc(cap);

	CU_ASSERT_FATAL(src != NULL);
	len = (size_t)snprintf(src, cap, "%sCREATE ALERT x AS SELECT a FROM s WHERE ", two_streams);
	for (k = 0; k < 100000; k++)
		src[len++] = '(';
	src[len] = '\0';
	expect_one(src, len, "expression nested more than 64 levels deep", false);

	len = (size_t)snprintf(src, cap, "%sCREATE ALERT x AS SELECT a FROM s WHERE a = 1",
			       two_streams);
	for (k = 0; k < 2000; k++)
		len += (size_t)snprintf(src + len, cap - len, " OR a = %zu", k);
	len += (size_t)snprintf(src + len, cap - len, ";\n");
	expect_one(src, len, "more than 1024 operands in one list", false);

	len = (size_t)snprintf(src, cap, "%sCREATE ALERT x AS SELECT a FROM s WHERE a = 1",
			       two_streams);
	for (k = 0; k < 100; k++)
		len += (size_t)snprintf(src + len, cap - len, " + 1");
	len += (size_t)snprintf(src + len, cap - len, " > 0;\n");
	expect_one(src, len, "expression nested more than 64 levels deep", false);

	len = (size_t)snprintf(src, cap, "%sCREATE ALERT x AS SELECT a FROM s WHERE b LIKE '",
			       two_streams);
	for (k = 0; k < PAT_MAX_PATTERN + 1; k++)
		src[len++] = 'x';
	len += (size_t)snprintf(src + len, cap - len, "';\n");
	expect_one(src, len, "f.rql:3:48: error: pattern longer than 4096 bytes", false);

	len = (size_t)snprintf(src, cap, "%sCREATE ALERT x AS SELECT a FROM s WHERE b LIKE 'a",
			       two_streams);
	src[len++] = '\0';
	len += (size_t)snprintf(src + len, cap - len, "b';\n");
	expect_one(src, len, "f.rql:3:48: error: pattern holds a NUL byte", false);

	/* SELECT * that would write a column over a field of the alert message */
	len = (size_t)snprintf(src, cap,
			       "CREATE STREAM r (rule STRING) WITH (format='json', port=1);\n"
			       "CREATE ALERT x AS SELECT * FROM r;\n");
	expect_one(src, len,
		   "f.rql:2:26: error: SELECT * would write column 'rule' "
		   "over the alert's own field; list the columns and rename "
		   "it with AS",
		   true);
	free(src);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "lex_tokens", test_lex_tokens },
		{ "lex_errors", test_lex_errors },
		{ "streams", test_streams },
		{ "errors_one_pass", test_errors_one_pass },
		{ "stream_checks", test_stream_checks },
		{ "durations", test_durations },
		{ "file", test_file },
		{ "rules", test_rules },
		{ "rule errors, each", test_rule_errors },
		{ "rule errors, one pass", test_rule_errors_one_pass },
		{ "rule limits", test_rule_limits },
		{ NULL, NULL },
	};

	return unit_run("pat_rules", tests);
}
