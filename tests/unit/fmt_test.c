/* SPDX-License-Identifier: BSD-3-Clause */
/* The record parsers: every type in every format, every malformed reason, framing
 * and the boundaries (empty datagram, last record without newline, 64 KiB strings,
 * truncated binary records). */
#include <stdlib.h>
#include <string.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "formats/fmt.h"
#include "formats/fmt_event.h"
#include "formats/fmt_out.h"
#include "unit.h"

static struct pat_ruleset *rs;
static struct fmt_schema sc;
static struct fmt_row row;
static uint8_t scratch_buf[256 * 1024];
static struct fmt_scratch scratch = { .buf = scratch_buf, .cap = sizeof(scratch_buf) };

/* Compiles one CREATE STREAM and builds its schema. */
static void schema(const char *rql)
{
	struct pat_diags d = { 0 };

	pat_ruleset_free(rs);
	rs = NULL;
	CU_ASSERT_EQUAL_FATAL(pat_compile("t.rql", rql, strlen(rql), &rs, &d), 0);
	pat_diags_free(&d);
	CU_ASSERT_EQUAL_FATAL(fmt_schema_init(&sc, &rs->streams[0]), 0);
}

/* Parses rec (a C string); returns the reason, or -1 when the record is good. */
static int parse_n(const void *rec, size_t len)
{
	uint8_t reason = 0xff;

	if (fmt_parse(&sc, rec, len, len, &row, &scratch, &reason) == 0)
		return -1;
	CU_ASSERT(reason < FMT_M__COUNT);
	return reason;
}

static int parse(const char *rec)
{
	return parse_n(rec, strlen(rec));
}

static int has(int c)
{
	return (int)(row.present >> c & 1);
}

static int str_is(int c, const char *s)
{
	return has(c) && row.v[c].s.len == strlen(s) && memcmp(row.v[c].s.p, s, strlen(s)) == 0;
}

#define PAYMENTS                                                                            \
	"CREATE STREAM p (ts TIMESTAMP, card STRING, amount DOUBLE, n BIGINT, ok BOOLEAN, " \
	"at TIMESTAMP) WITH (format = '%s', port = 9000, timestamp = 'ts'%s);"

static void payments(const char *format, const char *extra)
{
	char buf[512];

	snprintf(buf, sizeof(buf), PAYMENTS, format, extra);
	schema(buf);
}

static void test_json_types(void)
{
	payments("json", "");
	CU_ASSERT_EQUAL(parse("{\"ts\":1700000000000,\"card\":\"4000\",\"amount\":12.5,"
			      "\"n\":-42,\"ok\":true,\"at\":\"2023-11-14T22:13:20.123Z\"}"),
			-1);
	CU_ASSERT_EQUAL(row.ts_ms, 1700000000000);
	CU_ASSERT(str_is(1, "4000"));
	CU_ASSERT_DOUBLE_EQUAL(row.v[2].d, 12.5, 0);
	CU_ASSERT_EQUAL(row.v[3].i, -42);
	CU_ASSERT_EQUAL(row.v[4].b, true);
	CU_ASSERT_EQUAL(row.v[5].i, 1700000000123);
	CU_ASSERT_EQUAL(row.present, 0x3f);

	/* whitespace anywhere JSON allows it; keys in any order; unknown keys skipped */
	CU_ASSERT_EQUAL(parse(" { \"x\" : [1, {\"y\": [true, null, \"s\"]}, -0.5e-3] , "
			      "\"ok\" : false , \"ts\" : \"2023-11-14T23:13:20+01:00\" } "),
			-1);
	CU_ASSERT_EQUAL(row.ts_ms, 1700000000000);
	CU_ASSERT_EQUAL(row.v[4].b, false);
	CU_ASSERT_EQUAL(row.present, (1 << 0) | (1 << 4));

	/* keys spelt almost as the schema's: a longer name, a space before the colon,
	 * the expected order broken */
	CU_ASSERT_EQUAL(parse("{\"tsx\":9,\"ts\" :3,\"n\":4,\"card\":\"k\",\"cardx\":1}"), -1);
	CU_ASSERT_EQUAL(row.ts_ms, 3);
	CU_ASSERT_EQUAL(row.v[3].i, 4);
	CU_ASSERT(str_is(1, "k"));
	/* null and missing are NULL; a repeated key: the last one counts */
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"card\":null,\"n\":5,\"n\":null,\"amount\":1,"
			      "\"amount\":2}"),
			-1);
	CU_ASSERT(!has(1));
	CU_ASSERT(!has(3));
	CU_ASSERT_DOUBLE_EQUAL(row.v[2].d, 2, 0);

	/* numbers: exact where a double is exact, long ones through strtod */
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"amount\":0.1,\"n\":-9223372036854775808}"), -1);
	CU_ASSERT_EQUAL(row.v[2].d, 0.1);
	CU_ASSERT_EQUAL(row.v[3].i, INT64_MIN);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"amount\":123456789012345678901234.5e-3}"), -1);
	CU_ASSERT_EQUAL(row.v[2].d, 123456789012345678901234.5e-3);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"amount\":1E300,\"n\":9223372036854775807}"), -1);
	CU_ASSERT_EQUAL(row.v[2].d, 1e300);
	CU_ASSERT_EQUAL(row.v[3].i, INT64_MAX);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"amount\":7}"), -1); /* an integer is a DOUBLE */
	CU_ASSERT_EQUAL(row.v[2].d, 7);
}

static void test_json_strings(void)
{
	static const char want[] = "a\"b\\c/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80";

	payments("json", "");
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"card\":\"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00e9"
			      "\\ud83d\\ude00\"}"),
			-1);
	CU_ASSERT(str_is(1, want));
	/* raw UTF-8 passes as it is, and a key spelt with an escape still matches */
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"c\\u0061rd\":\"caf\xc3\xa9\"}"), -1);
	CU_ASSERT(str_is(1, "caf\xc3\xa9"));
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"card\":\"\"}"), -1);
	CU_ASSERT(str_is(1, ""));
}

static void test_json_paths(void)
{
	schema("CREATE STREAM s (\"device.id\" STRING, \"device.loc.lat\" DOUBLE, "
	       "\"device.loc.lon\" DOUBLE, temp DOUBLE) WITH (format = 'json', port = 1);");
	CU_ASSERT_EQUAL(parse("{\"device\":{\"fw\":[1,2],\"id\":\"d-7\",\"loc\":{\"lat\":48.5,"
			      "\"alt\":3,\"lon\":-2.25}},\"temp\":21.5}"),
			-1);
	CU_ASSERT(str_is(0, "d-7"));
	CU_ASSERT_DOUBLE_EQUAL(row.v[1].d, 48.5, 0);
	CU_ASSERT_DOUBLE_EQUAL(row.v[2].d, -2.25, 0);
	CU_ASSERT_DOUBLE_EQUAL(row.v[3].d, 21.5, 0);
	/* the path's object is missing or not an object: NULL, not an error */
	CU_ASSERT_EQUAL(parse("{\"device\":\"flat\",\"temp\":1}"), -1);
	CU_ASSERT_EQUAL(row.present, 1 << 3);
	/* a top-level key with a dot is not the path */
	CU_ASSERT_EQUAL(parse("{\"device.id\":\"x\"}"), -1);
	CU_ASSERT_EQUAL(row.present, 0);
}

static void test_json_malformed(void)
{
	char deep[300];
	int k;

	payments("json", "");
	/* not JSON */
	CU_ASSERT_EQUAL(parse("[1,2]"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("\"ts\""), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("{\"ts\":1"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("{\"ts\":1} x"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,}"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("{ts:1}"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("{\"ts\" 1}"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("{\"ts\":01}"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("{\"ts\":1.}"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("{\"ts\":-}"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("{\"ts\":1e}"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("{\"ts\":+1}"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"x\":tru}"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"x\":nul}"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"x\":[1,]}"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"x\":\"a\\x\"}"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"x\":\"\\u12g4\"}"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"x\":\"tab\there\"}"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"x\":\"open}"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"x\":'s'}"), FMT_M_BAD_JSON);
	CU_ASSERT_EQUAL(parse(""), FMT_M_BAD_JSON);
	/* a syntax error outranks a type error before it */
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"n\":\"x\",}"), FMT_M_BAD_JSON);
	/* types */
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"n\":1.5}"), FMT_M_BAD_TYPE);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"n\":1e2}"), FMT_M_BAD_TYPE);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"n\":9223372036854775808}"), FMT_M_BAD_TYPE);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"n\":\"5\"}"), FMT_M_BAD_TYPE);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"amount\":\"12.5\"}"), FMT_M_BAD_TYPE);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"ok\":1}"), FMT_M_BAD_TYPE);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"card\":42}"), FMT_M_BAD_TYPE);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"card\":true}"), FMT_M_BAD_TYPE);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"card\":{\"a\":1}}"), FMT_M_BAD_TYPE);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"amount\":[1]}"), FMT_M_BAD_TYPE);
	/* timestamps */
	CU_ASSERT_EQUAL(parse("{\"ts\":1.5}"), FMT_M_BAD_TIMESTAMP);
	CU_ASSERT_EQUAL(parse("{\"ts\":\"yesterday\"}"), FMT_M_BAD_TIMESTAMP);
	CU_ASSERT_EQUAL(parse("{\"ts\":\"2023-11-14T22:13:20\"}"), FMT_M_BAD_TIMESTAMP);
	CU_ASSERT_EQUAL(parse("{\"ts\":true}"), FMT_M_BAD_TYPE);
	CU_ASSERT_EQUAL(parse("{\"card\":\"c\"}"), FMT_M_MISSING_TIMESTAMP);
	CU_ASSERT_EQUAL(parse("{\"ts\":null}"), FMT_M_MISSING_TIMESTAMP);
	/* Unicode */
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"card\":\"\\ud800\"}"), FMT_M_BAD_UTF8);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"card\":\"\\udc00\\ud800\"}"), FMT_M_BAD_UTF8);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"card\":\"\xff\"}"), FMT_M_BAD_UTF8);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"card\":\"\xc0\xaf\"}"), FMT_M_BAD_UTF8);
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"card\":\"\xed\xa0\x80\"}"), FMT_M_BAD_UTF8);
	/* an unselected string is not checked for UTF-8 (it is never used) */
	CU_ASSERT_EQUAL(parse("{\"ts\":1,\"other\":\"\xff\"}"), -1);
	/* nesting */
	for (k = 0; k < 70; k++)
		deep[k] = '[';
	memcpy(deep + 70, "", 1);
	{
		char rec[400];

		snprintf(rec, sizeof(rec), "{\"ts\":1,\"x\":%s", deep);
		for (k = 0; k < 70; k++)
			strcat(rec, "]");
		strcat(rec, "}");
		CU_ASSERT_EQUAL(parse(rec), FMT_M_TOO_DEEP);
		/* 62 levels inside the record's own object: fine */
		snprintf(rec, sizeof(rec), "{\"ts\":1,\"x\":%.*s", 62, deep);
		for (k = 0; k < 62; k++)
			strcat(rec, "]");
		strcat(rec, "}");
		CU_ASSERT_EQUAL(parse(rec), -1);
	}
}

/* A record with a string value of n bytes; returns the parse result. */
static int long_string(const char *format, size_t n)
{
	size_t cap = n + 64, len;
	char *rec = malloc(cap);
	int r;

	CU_ASSERT_FATAL(rec != NULL);
	if (strcmp(format, "json") == 0) {
		len = (size_t)snprintf(rec, cap, "{\"ts\":1,\"card\":\"");
		memset(rec + len, 'x', n);
		len += n;
		len += (size_t)snprintf(rec + len, cap - len, "\"}");
	} else {
		len = (size_t)snprintf(rec, cap, "1,");
		memset(rec + len, 'x', n);
		len += n;
		len += (size_t)snprintf(rec + len, cap - len, ",,,,");
	}
	r = parse_n(rec, len);
	if (r == -1)
		CU_ASSERT_EQUAL(row.v[1].s.len, n);
	free(rec);
	return r;
}

static void test_long_strings(void)
{
	payments("json", "");
	CU_ASSERT_EQUAL(long_string("json", PAT_MAX_STRING), -1);
	CU_ASSERT_EQUAL(long_string("json", PAT_MAX_STRING + 1), FMT_M_STRING_TOO_LONG);
	payments("csv", "");
	CU_ASSERT_EQUAL(long_string("csv", PAT_MAX_STRING), -1);
	CU_ASSERT_EQUAL(long_string("csv", PAT_MAX_STRING + 1), FMT_M_STRING_TOO_LONG);
}

static void test_csv(void)
{
	payments("csv", "");
	CU_ASSERT_EQUAL(parse("1700000000000,4000,12.5,-42,true,2023-11-14T22:13:20.123Z"), -1);
	CU_ASSERT_EQUAL(row.ts_ms, 1700000000000);
	CU_ASSERT(str_is(1, "4000"));
	CU_ASSERT_DOUBLE_EQUAL(row.v[2].d, 12.5, 0);
	CU_ASSERT_EQUAL(row.v[3].i, -42);
	CU_ASSERT_EQUAL(row.v[4].b, true);
	CU_ASSERT_EQUAL(row.v[5].i, 1700000000123);
	/* empty unquoted fields are NULL, "" is the empty string; quotes hold delimiters,
	 * newlines and "" */
	CU_ASSERT_EQUAL(parse("5,\"\",,,,"), -1);
	CU_ASSERT(str_is(1, ""));
	CU_ASSERT_EQUAL(row.present, 0x3);
	CU_ASSERT_EQUAL(parse("5,\"a,\"\"b\"\"\nc\",+1.5e1,007,FALSE,0"), -1);
	CU_ASSERT(str_is(1, "a,\"b\"\nc"));
	CU_ASSERT_DOUBLE_EQUAL(row.v[2].d, 15, 0);
	CU_ASSERT_EQUAL(row.v[3].i, 7);
	CU_ASSERT_EQUAL(row.v[4].b, false);
	CU_ASSERT_EQUAL(row.v[5].i, 0);
	CU_ASSERT_EQUAL(parse("5,x,1,1,1,2023-11-14 23:43:20+0130"), -1);
	CU_ASSERT_EQUAL(row.v[4].b, true);
	CU_ASSERT_EQUAL(row.v[5].i, 1700000000000);
	/* spaces are part of a field */
	CU_ASSERT_EQUAL(parse("5, x ,1,1,1,"), -1);
	CU_ASSERT(str_is(1, " x "));
	CU_ASSERT_EQUAL(parse("5,x, 1,1,1,"), FMT_M_BAD_TYPE);
	/* malformed */
	CU_ASSERT_EQUAL(parse("5,a\"b,1,1,1,"), FMT_M_BAD_CSV);
	CU_ASSERT_EQUAL(parse("5,\"ab\"c,1,1,1,"), FMT_M_BAD_CSV);
	CU_ASSERT_EQUAL(parse("5,\"open,1,1,1,"), FMT_M_BAD_CSV);
	CU_ASSERT_EQUAL(parse("5,x,1,1,1"), FMT_M_FIELD_COUNT);
	CU_ASSERT_EQUAL(parse("5,x,1,1,1,,"), FMT_M_FIELD_COUNT);
	CU_ASSERT_EQUAL(parse("5,x,1,1.5,1,"), FMT_M_BAD_TYPE);
	CU_ASSERT_EQUAL(parse("5,x,1,99999999999999999999,1,"), FMT_M_BAD_TYPE);
	CU_ASSERT_EQUAL(parse("5,x,abc,1,1,"), FMT_M_BAD_TYPE);
	CU_ASSERT_EQUAL(parse("5,x,1,1,yes,"), FMT_M_BAD_TYPE);
	CU_ASSERT_EQUAL(parse("5,x,1,1,1,noon"), FMT_M_BAD_TIMESTAMP);
	CU_ASSERT_EQUAL(parse("soon,x,1,1,1,"), FMT_M_BAD_TIMESTAMP);
	CU_ASSERT_EQUAL(parse(",x,1,1,1,"), FMT_M_MISSING_TIMESTAMP);
	CU_ASSERT_EQUAL(parse("5,\xff,1,1,1,"), FMT_M_BAD_UTF8);
	/* quoting outranks the field count, which outranks types */
	CU_ASSERT_EQUAL(parse("x,x,x,x,x,x,\"a\"b"), FMT_M_BAD_CSV);
	CU_ASSERT_EQUAL(parse("x,x,x"), FMT_M_FIELD_COUNT);

	payments("csv", ", delimiter = '|'");
	CU_ASSERT_EQUAL(parse("5|a,b|1|2|0|"), -1);
	CU_ASSERT(str_is(1, "a,b"));
	CU_ASSERT_EQUAL(row.v[3].i, 2);
	schema("CREATE STREAM t (a STRING, b BIGINT) WITH (format = 'csv', port = 1, "
	       "delimiter = '\t');");
	CU_ASSERT_EQUAL(parse("x y\t3"), -1);
	CU_ASSERT(str_is(0, "x y"));
}

/* The records fmt_next_record frames out of a datagram, joined with '|'. */
static char *frames(const char *data, size_t len)
{
	static char out[1024];
	const uint8_t *rec;
	size_t pos = 0, rl, o = 0;

	out[0] = '\0';
	while (fmt_next_record(&sc, (const uint8_t *)data, len, &pos, &rec, &rl)) {
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%.*s", o ? "|" : "", (int)rl,
				      (const char *)rec);
		CU_ASSERT(pos <= len);
	}
	return out;
}

#define FRAMES(s) frames(s, sizeof(s) - 1)

static void test_framing(void)
{
	payments("json", "");
	CU_ASSERT_STRING_EQUAL(FRAMES(""), "");
	CU_ASSERT_STRING_EQUAL(FRAMES("\n\r\n\n"), "");
	CU_ASSERT_STRING_EQUAL(FRAMES("{a}"), "{a}");
	CU_ASSERT_STRING_EQUAL(FRAMES("{a}\n{b}"), "{a}|{b}");
	CU_ASSERT_STRING_EQUAL(FRAMES("{a}\r\n{b}\r\n"), "{a}|{b}");
	CU_ASSERT_STRING_EQUAL(FRAMES("{a}\n\n{b}\n"), "{a}|{b}");
	payments("csv", "");
	CU_ASSERT_STRING_EQUAL(FRAMES("a,b\nc,\"d\ne\"\nf"), "a,b|c,\"d\ne\"|f");
	CU_ASSERT_STRING_EQUAL(FRAMES("a,\"\"\"\"\r\nb"), "a,\"\"\"\"|b");
	/* a quote left open spoils its own line only */
	CU_ASSERT_STRING_EQUAL(FRAMES("a,\"open\nb,c\nd"), "a,\"open|b,c|d");
}

static void test_binary(void)
{
	uint8_t d[64 * 3];
	int64_t ts = 1700000000000, n = -3;
	double amount = 99.75;
	size_t pos = 0, rl;
	const uint8_t *rec;
	int k;

	schema("CREATE STREAM b (ts TIMESTAMP, card STRING(6), amount DOUBLE, n BIGINT, "
	       "ok BOOLEAN) WITH (format = 'binary', port = 1, timestamp = 'ts');");
	CU_ASSERT_EQUAL_FATAL(sc.record_size, 8 + 6 + 8 + 8 + 1);
	memset(d, 0, sizeof(d));
	memcpy(d, &ts, 8);
	memcpy(d + 8, "4000", 4);
	memcpy(d + 14, &amount, 8);
	memcpy(d + 22, &n, 8);
	d[30] = 1;
	memcpy(d + 31, d, 31);
	memcpy(d + 31 + 8, "abcdef", 6); /* all six bytes, no NUL */
	d[31 + 30] = 0;
	CU_ASSERT_EQUAL(parse_n(d, 31), -1);
	CU_ASSERT_EQUAL(row.ts_ms, ts);
	CU_ASSERT(str_is(1, "4000"));
	CU_ASSERT_EQUAL(row.v[2].d, 99.75);
	CU_ASSERT_EQUAL(row.v[3].i, -3);
	CU_ASSERT_EQUAL(row.v[4].b, true);
	CU_ASSERT_EQUAL(row.present, 0x1f);

	/* two records back to back */
	k = 0;
	while (fmt_next_record(&sc, d, 62, &pos, &rec, &rl)) {
		uint8_t reason;

		CU_ASSERT_EQUAL(fmt_parse(&sc, rec, rl, 62, &row, &scratch, &reason), 0);
		k++;
	}
	CU_ASSERT_EQUAL(k, 2);
	CU_ASSERT(str_is(1, "abcdef"));
	CU_ASSERT_EQUAL(row.v[4].b, false);

	/* a length that is not a multiple: every record (the partial one too) is bad */
	pos = 0;
	k = 0;
	while (fmt_next_record(&sc, d, 65, &pos, &rec, &rl)) {
		uint8_t reason;

		CU_ASSERT_EQUAL(fmt_parse(&sc, rec, rl, 65, &row, &scratch, &reason), -1);
		CU_ASSERT_EQUAL(reason, FMT_M_BAD_LENGTH);
		k++;
	}
	CU_ASSERT_EQUAL(k, 3);
	CU_ASSERT_EQUAL(parse_n(d, 30), FMT_M_BAD_LENGTH); /* truncated record */
	pos = 0;
	CU_ASSERT(!fmt_next_record(&sc, d, 0, &pos, &rec, &rl)); /* empty datagram */

	d[30] = 2;
	CU_ASSERT_EQUAL(parse_n(d, 31), FMT_M_BAD_TYPE);
	d[30] = 1;
	d[8] = 0xff;
	CU_ASSERT_EQUAL(parse_n(d, 31), FMT_M_BAD_UTF8);
}

static void test_iso8601(void)
{
	static const struct {
		const char *s;
		int64_t ms;
	} good[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1970-01-01t00:00:00.5z", 500 },
		{ "1969-12-31T23:59:59.999Z", -1 },
		{ "2024-02-29T12:00:00.123456+01:00", 1709204400123 },
		{ "2023-11-14 22:13:20-05", 1700018000000 },
		{ "2000-03-01T00:00:00+0000", 951868800000 },
		{ "9999-12-31T23:59:59Z", 253402300799000 },
	};
	static const char *const bad[] = {
		"2023-02-29T00:00:00Z",	     "2023-13-01T00:00:00Z",
		"2023-01-01T24:00:00Z",	     "2023-01-01T00:60:00Z",
		"2023-01-01T00:00:60Z",	     "2023-01-01T00:00:00",
		"2023-01-01T00:00:00.Z",     "2023-01-01T00:00:00+1",
		"2023-01-01T00:00:00+24:00", "2023-01-01",
		"2023/01/01T00:00:00Z",	     "2023-01-01T00:00:00Zjunk",
		"2023-1-01T00:00:00Z",
	};
	int64_t ms;
	size_t k;

	for (k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
		CU_ASSERT_EQUAL(
			fmt_parse_iso8601((const uint8_t *)good[k].s, strlen(good[k].s), &ms), 0);
		CU_ASSERT_EQUAL(ms, good[k].ms);
	}
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		CU_ASSERT_EQUAL(fmt_parse_iso8601((const uint8_t *)bad[k], strlen(bad[k]), &ms),
				-1);
}

static void test_no_timestamp_column(void)
{
	schema("CREATE STREAM s (a BIGINT) WITH (format = 'json', port = 1);");
	row.ts_ms = 77;
	CU_ASSERT_EQUAL(parse("{}"), -1);
	CU_ASSERT_EQUAL(row.present, 0);
	CU_ASSERT_EQUAL(row.ts_ms, 77); /* left for the caller's arrival time */
	CU_ASSERT_STRING_EQUAL(fmt_malformed_name(FMT_M_BAD_JSON), "bad_json");
	CU_ASSERT_STRING_EQUAL(fmt_malformed_name(FMT_M__COUNT), "unknown");
}

/* fmt_out_double's text against printf's: the shortest of %.15g, %.16g, %.17g that
 * reads back (what it printed before its fast path for decimals). */
static int double_ref(double v, char *buf, size_t cap)
{
	int n = 0, prec;

	if (!isfinite(v))
		return snprintf(buf, cap, "null");
	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, cap, "%.*g", prec, v);
		if (prec == 17 || strtod(buf, NULL) == v)
			break;
	}
	return n;
}

static unsigned int double_mismatches;

static void check_double(double v)
{
	uint8_t got[64];
	char want[64];
	struct fmt_out o = { .p = got, .cap = sizeof(got) };
	int n = double_ref(v, want, sizeof(want));

	fmt_out_double(&o, v);
	if (o.len != (size_t)n || memcmp(got, want, (size_t)n) != 0) {
		if (double_mismatches++ < 5)
			fprintf(stderr, "fmt_out_double(%.17g): '%.*s', printf '%s'\n", v,
				(int)o.len, (const char *)got, want);
	}
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The fast path for decimals prints what printf does, and every other value still
 * goes through printf: amounts in cents and their running sums, quotients, integers,
 * the edges of the fast path (1e-4, 1e15, 9 decimals), random bit patterns. */
static void test_out_numbers(void)
{
	static const double edges[] = { 0.0,
					-0.0,
					1e-4,
					-1e-4,
					9.9999e-5,
					1e15,
					999999999999999.0,
					1e15 - 0.5,
					123456789.123456789,
					0.1,
					0.2,
					0.3,
					1.0 / 3,
					2.0 / 3,
					1e-9,
					1.5e-9,
					0.123456789,
					0.1234567891,
					100.0,
					1e21,
					1e22,
					5e-324,
					1.7976931348623157e308,
					4503599627370496.5,
					9007199254740993.0 };
	uint64_t r = 0x9e3779b97f4a7c15ull, k;
	double sum = 0;
	uint8_t buf[64];
	struct fmt_out o = { .p = buf, .cap = sizeof(buf) };

	for (k = 0; k < sizeof(edges) / sizeof(edges[0]); k++) {
		check_double(edges[k]);
		check_double(-edges[k]);
	}
	for (k = 0; k < 200000; k++) {
		double cents = (double)(xorshift(&r) % 100000000) / 100.0;
		double bits;
		uint64_t b = xorshift(&r);

		check_double(cents);
		sum += cents;
		check_double(sum);
		check_double(sum / (double)(k + 1));
		check_double((double)(int64_t)(xorshift(&r) >> (xorshift(&r) % 64)));
		check_double((double)(xorshift(&r) % 1000000000) / 1e9);
		memcpy(&bits, &b, sizeof(bits));
		check_double(bits);
	}
	/* powers of two and their neighbours (the gap below a power of two is half the
	 * gap above), and every double near a few decimals (ties in both roundings) */
	for (k = 0; k < 64; k++) {
		double p2 = ldexp(1.0, (int)k - 14), x = p2;
		int j;

		check_double(p2);
		for (j = 0; j < 40; j++) {
			x = nextafter(x, 0);
			check_double(x);
		}
		for (x = p2, j = 0; j < 40; j++) {
			x = nextafter(x, INFINITY);
			check_double(x);
		}
	}
	for (k = 0; k < 2000; k++) {
		double x = (double)(xorshift(&r) % 1000000000000ULL) / 1000.0;
		int j;

		for (j = 0; j < 8; j++) {
			x = nextafter(x, INFINITY);
			check_double(x);
			check_double(x / 3);
		}
	}
	CU_ASSERT_EQUAL(double_mismatches, 0);
	/* integers as printf prints them */
	fmt_out_i64(&o, INT64_MIN);
	fmt_out_lit(&o, " ");
	fmt_out_i64(&o, INT64_MAX);
	CU_ASSERT_EQUAL(o.len, 40);
	CU_ASSERT_NSTRING_EQUAL(buf, "-9223372036854775808 9223372036854775807", 40);
	for (k = 0; k < 100000; k++) {
		int64_t v = (int64_t)xorshift(&r) >> (xorshift(&r) % 64);
		char want[24];
		int n = snprintf(want, sizeof(want), "%" PRId64, v);

		o.len = 0;
		fmt_out_i64(&o, v);
		if (o.len != (size_t)n || memcmp(buf, want, (size_t)n) != 0) {
			CU_FAIL("fmt_out_i64 differs from printf");
			break;
		}
	}
	o.len = 0;
	fmt_out_i64(&o, 0);
	CU_ASSERT(o.len == 1 && buf[0] == '0');
}

static void test_event_pack(void)
{
	static uint8_t buf[1024];
	struct fmt_row back;
	size_t n, k;

	payments("json", "");
	CU_ASSERT_EQUAL_FATAL(parse("{\"ts\":5,\"card\":\"c\\u00e9\",\"amount\":2.5,\"ok\":false,"
				    "\"at\":7}"),
			      -1);
	n = fmt_event_size(&sc, &row);
	CU_ASSERT_EQUAL(n, sizeof(struct fmt_event_hdr) + 8 + 8 + 8 + 8 + 8);
	CU_ASSERT_EQUAL(fmt_event_pack(&sc, 3, &row, buf, n - 1), 0);
	CU_ASSERT_EQUAL_FATAL(fmt_event_pack(&sc, 3, &row, buf, sizeof(buf)), n);
	memset(&row, 0xaa, sizeof(row)); /* the packed event owns its bytes */
	CU_ASSERT_EQUAL_FATAL(fmt_event_unpack(&sc, buf, n, &back), 0);
	CU_ASSERT_EQUAL(((struct fmt_event_hdr *)buf)->stream, 3);
	CU_ASSERT_EQUAL(back.present, 0x37);
	CU_ASSERT_EQUAL(back.ts_ms, 5);
	CU_ASSERT_EQUAL(back.v[1].s.len, 3);
	CU_ASSERT(memcmp(back.v[1].s.p, "c\xc3\xa9", 3) == 0);
	CU_ASSERT_EQUAL(back.v[2].d, 2.5);
	CU_ASSERT_EQUAL(back.v[4].b, false);
	CU_ASSERT_EQUAL(back.v[5].i, 7);
	/* a damaged event is refused, never read past its end */
	for (k = 0; k < n; k++)
		CU_ASSERT_EQUAL(fmt_event_unpack(&sc, buf, k, &back), -1);
	buf[sizeof(struct fmt_event_hdr) + 8] = 200; /* the string's length */
	CU_ASSERT_EQUAL(fmt_event_unpack(&sc, buf, n, &back), -1);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "json types", test_json_types },
		{ "json strings", test_json_strings },
		{ "json dotted paths", test_json_paths },
		{ "json malformed", test_json_malformed },
		{ "64 KiB strings", test_long_strings },
		{ "csv", test_csv },
		{ "framing", test_framing },
		{ "binary", test_binary },
		{ "iso8601", test_iso8601 },
		{ "no timestamp column", test_no_timestamp_column },
		{ "events packed for a ring", test_event_pack },
		{ "numbers out: as printf prints them", test_out_numbers },
		{ NULL, NULL },
	};
	int rc = unit_run("formats", tests);

	pat_ruleset_free(rs);
	return rc;
}
