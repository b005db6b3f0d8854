/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * riptide-gen: deterministic event feeds for tests and benchmarks.
 *
 *   riptide-gen pcap --out FILE [--manifest FILE] [options]
 *
 * writes a pcap of payment events (JSON, CSV or binary) from a seed, with a chosen
 * key cardinality, out-of-order jitter, share of malformed records and share of
 * packets that riptide must filter or reject, and a manifest (JSON) of what every
 * counter of riptide must read after replaying it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dataplane/dp_decode.h"
#include "formats/fmt.h"
#include "gen_frame.h"
#include "gen_schema.h"
#include "gen_send.h"

static const char *const fmt_name[] = { "json", "csv", "binary" };

#define GEN_MAX_STREAMS 8

static const char *const mkind_name[MK__COUNT] = { "syntax",	    "bad_type",
						   "bad_timestamp", "missing_timestamp",
						   "bad_utf8",	    "field_count" };
/* riptide's reason for each kind, by format (-1: the format cannot have it) */
static const int mkind_reason[3][MK__COUNT] = {
	[GEN_JSON] = { FMT_M_BAD_JSON, FMT_M_BAD_TYPE, FMT_M_BAD_TIMESTAMP, FMT_M_MISSING_TIMESTAMP,
		       FMT_M_BAD_UTF8, -1 },
	[GEN_CSV] = { FMT_M_BAD_CSV, FMT_M_BAD_TYPE, FMT_M_BAD_TIMESTAMP, FMT_M_MISSING_TIMESTAMP,
		      FMT_M_BAD_UTF8, FMT_M_FIELD_COUNT },
	[GEN_BINARY] = { FMT_M_BAD_LENGTH, -1, -1, -1, FMT_M_BAD_UTF8, -1 },
};

/* Everything riptide must count for the file, mirrored from its stats names. */
enum bucket {
	B_DATAGRAM,
	B_NOT_IP,
	B_NOT_UDP,
	B_IP_FRAGMENT,
	B_UNKNOWN_PORT,
	B_TRUNCATED,
	B_BAD_UDP_LENGTH,
	B__COUNT
};
/* The counter each bucket lands in, named by riptide's own reason list, so that a
 * manifest and riptide's stats can never name the same thing differently. */
static const struct {
	int filter; /* enum dp_filter_reason, or -1 */
	int derr;   /* enum dp_decode_error, or -1 */
} bucket_reason[B__COUNT] = {
	[B_DATAGRAM] = { -1, -1 },
	[B_NOT_IP] = { DP_FILTER_NOT_IP, -1 },
	[B_NOT_UDP] = { DP_FILTER_NOT_UDP, -1 },
	[B_IP_FRAGMENT] = { DP_FILTER_IP_FRAGMENT, -1 },
	[B_UNKNOWN_PORT] = { DP_FILTER_UNKNOWN_PORT, -1 },
	[B_TRUNCATED] = { -1, DP_DERR_TRUNCATED },
	[B_BAD_UDP_LENGTH] = { -1, DP_DERR_BAD_UDP_LENGTH },
};

static const char *bucket_name(int b)
{
	if (bucket_reason[b].filter >= 0)
		return dp_filter_reason_name((unsigned int)bucket_reason[b].filter);
	if (bucket_reason[b].derr >= 0)
		return dp_decode_error_name((unsigned int)bucket_reason[b].derr);
	return "datagrams";
}

struct opts {
	const char *out, *manifest;
	uint64_t seed, count;
	uint32_t n_streams, n_ports;
	enum gen_fmt format[GEN_MAX_STREAMS];
	uint16_t port[GEN_MAX_STREAMS];
	uint32_t mal_kinds; /* bit per enum gen_mkind */
	int schema;	    /* enum gen_schema_id */
	double zipf;	    /* key skew: 0 uniform, else P(key k) ~ 1 / (k + 1)^zipf */
	double fraud;	    /* payments: share of events that begin a fraud sequence */
	uint32_t keys, batch, sources;
	uint32_t record_bytes; /* JSON records padded to this size; 0: as they come */
	double noise, malformed, ipv6, vlan;
	uint32_t noise_kinds; /* bit per enum bucket that noise may take */
	uint64_t jitter_ms, interval_us, start_ms;
};

enum fraud_kind { FRAUD_CARD_TESTING, FRAUD_VELOCITY, FRAUD__COUNT };
static const char *const fraud_name[FRAUD__COUNT] = { "card_testing", "velocity" };

struct counts {
	uint64_t packets, bucket[B__COUNT], records, malformed;
	uint64_t fraud[FRAUD__COUNT];  /* sequences begun */
	uint64_t fraud_events;	       /* events of those sequences written */
	uint64_t reason[FMT_M__COUNT]; /* malformed, by riptide's reason */
	struct {
		uint64_t datagrams, records, malformed;
	} s[GEN_MAX_STREAMS];
};

static uint64_t rng_state;

/* splitmix64: small, fast and the same on every machine. */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double rnd01(void)
{
	return (double)(rnd() >> 11) / (double)(1ULL << 53);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static const char *const countries[] = { "DE", "FR", "US", "GB", "NL", "ES", "IT", "PL" };
static const char *const statuses[] = { "approved", "approved", "approved", "declined" };

struct event {
	uint64_t ts;
	uint64_t card;
	uint32_t merchant;
	double amount;
	const char *country;
	const char *status;
};

/* --zipf: the cumulative weights of the keys, searched for a uniform draw. */
static double *zipf_cdf;

static int zipf_init(const struct opts *o)
{
	double sum = 0;
	uint32_t k;

	zipf_cdf = malloc((size_t)o->keys * sizeof(*zipf_cdf));
	if (zipf_cdf == NULL)
		return -ENOMEM;
	for (k = 0; k < o->keys; k++) {
		sum += 1.0 / pow((double)k + 1, o->zipf);
		zipf_cdf[k] = sum;
	}
	for (k = 0; k < o->keys; k++)
		zipf_cdf[k] /= sum;
	return 0;
}

/* A key in [0, keys): uniform, or by rank with --zipf (0 the most frequent). */
static uint64_t pick_key(const struct opts *o)
{
	double u;
	uint32_t lo = 0, hi;

	if (o->zipf <= 0)
		return rnd_below(o->keys);
	u = rnd01();
	hi = o->keys - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (zipf_cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Fraud sequences under way (payments): events due at a given event index, on cards
 * of their own (5000...), so that what a pattern finds on them is what was injected. */
#define FRAUD_PENDING 256
static struct {
	uint64_t due;
	struct event e;
} pending[FRAUD_PENDING];
static unsigned int n_pending;
static uint64_t fraud_cards;

/* Begins a sequence at event index i: card testing, three to five declined payments
 * under 5.00 then an approved one over 500.00; velocity, approved payments from four
 * countries. Its events follow each other 1 to 8 events apart (one each minute of
 * event time for velocity). Returns its kind. */
static int fraud_begin(uint64_t i, struct counts *c)
{
	int kind = (int)rnd_below(FRAUD__COUNT);
	unsigned int n = kind == FRAUD_CARD_TESTING ? 4 + (unsigned int)rnd_below(3) : 4, k;
	uint64_t card = 5000000000000000ULL + fraud_cards++, at = i;

	if (n_pending + n > FRAUD_PENDING)
		return -1;
	for (k = 0; k < n; k++) {
		struct event *e = &pending[n_pending].e;

		pending[n_pending].due = at;
		e->card = card;
		e->merchant = (uint32_t)rnd_below(500);
		if (kind == FRAUD_CARD_TESTING) {
			bool last = k + 1 == n;

			e->amount = last ? 500.0 + (double)rnd_below(100000) / 100.0
					 : 1.0 + (double)rnd_below(400) / 100.0;
			e->status = last ? "approved" : "declined";
			e->country = countries[0];
		} else {
			e->amount = 10.0 + (double)rnd_below(20000) / 100.0;
			e->status = "approved";
			e->country = countries[(k * 3 + 1) % 8];
		}
		e->ts = 0; /* set when due */
		n_pending++;
		at += 1 + rnd_below(8);
	}
	c->fraud[kind]++;
	return kind;
}

static void make_event(struct event *e, const struct opts *o, uint64_t i, struct counts *c)
{
	uint64_t arrival = o->start_ms + i * o->interval_us / 1000;
	uint64_t jit = o->jitter_ms ? rnd_below(o->jitter_ms + 1) : 0;
	unsigned int k;

	if (o->fraud > 0 && c != NULL) {
		if (rnd01() < o->fraud)
			fraud_begin(i, c);
		for (k = 0; k < n_pending; k++)
			if (pending[k].due <= i)
				break;
		if (k < n_pending) {
			*e = pending[k].e;
			e->ts = arrival;
			pending[k] = pending[--n_pending];
			c->fraud_events++;
			return;
		}
	}
	e->ts = arrival > jit ? arrival - jit : 0;
	e->card = 4000000000000000ULL + pick_key(o);
	e->merchant = (uint32_t)rnd_below(500);
	e->amount = (double)rnd_below(200000) / 100.0;
	e->country = countries[rnd_below(8)];
	e->status = statuses[rnd_below(4)];
}

static const char *const pages[] = { "/",	  "/search", "/product", "/cart",
				     "/checkout", "/login",  "/help",	 "/account" };
static const char *const actions[] = { "view", "view", "view", "click", "add_to_cart", "purchase" };
static const char *const referrers[] = { "direct", "search", "social", "email", "ads" };
static const char *const sensors[] = { "temperature", "humidity", "pressure", "co2" };

/* An event of a generic schema (clickstream, IoT) into v, by column. */
static void make_generic(struct gen_val *v, const struct opts *o, uint64_t i)
{
	uint64_t arrival = o->start_ms + i * o->interval_us / 1000;
	uint64_t jit = o->jitter_ms ? rnd_below(o->jitter_ms + 1) : 0;
	uint64_t key = pick_key(o);

	memset(v, 0, sizeof(*v) * GEN_MAX_COLS);
	v[0].i = (int64_t)(arrival > jit ? arrival - jit : 0);
	if (o->schema == GEN_CLICKSTREAM) {
		snprintf(v[1].s, sizeof(v[1].s), "u%09" PRIu64, key);
		snprintf(v[2].s, sizeof(v[2].s), "s%09" PRIu64, key * 31 + i / 5000);
		snprintf(v[3].s, sizeof(v[3].s), "%s/%u", pages[rnd_below(8)],
			 (unsigned int)rnd_below(1000));
		snprintf(v[4].s, sizeof(v[4].s), "%s", actions[rnd_below(6)]);
		v[5].i = (int64_t)rnd_below(60000);
		snprintf(v[6].s, sizeof(v[6].s), "%s", referrers[rnd_below(5)]);
	} else {
		unsigned int s = (unsigned int)rnd_below(4);

		snprintf(v[1].s, sizeof(v[1].s), "dev%07" PRIu64, key);
		snprintf(v[2].s, sizeof(v[2].s), "%s", sensors[s]);
		v[3].d = (double)(s * 250) + (double)rnd_below(10000) / 100.0;
		v[4].d = (double)rnd_below(10001) / 100.0;
		v[5].i = rnd_below(50) != 0;
	}
}

/* One record at p; returns its length. kind: MK__COUNT for a good record, else the
 * way to spoil it. */
static size_t write_record(char *p, size_t cap, const struct event *e, enum gen_fmt f, int kind,
			   uint32_t record_bytes)
{
	const char *utf8 = kind == MK_BAD_UTF8 ? "\xff" : "";
	char ts[32];
	int n = 0;

	if (kind == MK_BAD_TIMESTAMP)
		snprintf(ts, sizeof(ts), f == GEN_JSON ? "\"yesterday\"" : "noon");
	else
		snprintf(ts, sizeof(ts), "%" PRIu64, e->ts);
	switch (f) {
	case GEN_JSON:
		n = snprintf(p, cap,
			     "{%s%s%s\"card\":\"%" PRIu64 "\",\"merchant\":\"merchant%s-%04u\","
			     "\"amount\":%s%.2f%s,\"country\":\"%s\",\"status\":\"%s\"}",
			     kind == MK_MISSING_TS ? "" : "\"ts\":",
			     kind == MK_MISSING_TS ? "" : ts, kind == MK_MISSING_TS ? "" : ",",
			     e->card, utf8, e->merchant, kind == MK_BAD_TYPE ? "\"" : "", e->amount,
			     kind == MK_BAD_TYPE ? "\"" : "", e->country, e->status);
		/* --record-bytes: a field no stream declares makes up the size */
		if (n > 0 && (uint32_t)n + 10 <= record_bytes && record_bytes < cap) {
			int pad = (int)record_bytes - n - 10;

			n += snprintf(
				     p + n - 1, cap - (size_t)n + 1, ",\"note\":\"%.*s\"}", pad,
				     "................................................................"
				     "................................................................"
				     "................................................................"
				     "................................................................") -
			     1;
		}
		if (kind == MK_SYNTAX && n > 0)
			n--; /* the closing brace is gone: not JSON */
		break;
	case GEN_CSV:
		/* a quote inside an unquoted field: not CSV, and no effect on framing */
		n = snprintf(
			p, cap, "%s,%" PRIu64 ",merch%sant%s-%04u,%s%.2f,%s%s%s",
			kind == MK_MISSING_TS ? "" : ts, e->card, kind == MK_SYNTAX ? "\"" : "",
			utf8, e->merchant, kind == MK_BAD_TYPE ? "x" : "", e->amount, e->country,
			kind == MK_FIELD_COUNT ? "" : ",", kind == MK_FIELD_COUNT ? "" : e->status);
		break;
	case GEN_BINARY: {
		uint8_t *b = (uint8_t *)p;
		char str[24];

		if (cap < 58)
			return 0;
		memset(b, 0, 58);
		memcpy(b, &e->ts, 8); /* little-endian hosts only, as riptide's layout */
		snprintf(str, sizeof(str), "%" PRIu64, e->card);
		memcpy(b + 8, str, strlen(str));
		snprintf(str, sizeof(str), "merchant%s-%04u", utf8, e->merchant);
		memcpy(b + 24, str, strlen(str) > 16 ? 16 : strlen(str));
		memcpy(b + 40, &e->amount, 8);
		memcpy(b + 48, e->country, 2);
		memcpy(b + 50, e->status, strlen(e->status));
		return 58;
	}
	}
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* A malformed kind for format f, uniform among the allowed ones it can have. */
static int pick_kind(const struct opts *o, enum gen_fmt f)
{
	int k, n = 0, pick;

	for (k = 0; k < MK__COUNT; k++)
		n += (o->mal_kinds >> k & 1) && mkind_reason[f][k] >= 0;
	if (n == 0)
		return MK__COUNT;
	pick = (int)rnd_below((uint64_t)n);
	for (k = 0; k < MK__COUNT; k++)
		if ((o->mal_kinds >> k & 1) && mkind_reason[f][k] >= 0 && pick-- == 0)
			break;
	return k;
}

static void count_bad(struct counts *c, uint32_t si, int reason)
{
	c->malformed++;
	c->reason[reason]++;
	c->s[si].malformed++;
}

/* A datagram of o->batch records for stream si. Returns its length; counts its
 * records when count_records. */
static size_t make_payload(uint8_t *buf, size_t cap, const struct opts *o, uint32_t si,
			   uint64_t *ev, struct counts *c, int count_records)
{
	enum gen_fmt f = o->format[si];
	int kinds[100], bad_len = 0;
	size_t len = 0;
	uint32_t r;

	for (r = 0; r < o->batch; r++) {
		struct event e;

		kinds[r] = rnd01() < o->malformed ? pick_kind(o, f) : MK__COUNT;
		if (f == GEN_BINARY && kinds[r] == MK_SYNTAX) {
			bad_len = 1;
			kinds[r] = MK__COUNT;
		}
		if (r > 0 && f != GEN_BINARY)
			buf[len++] = '\n';
		if (o->schema == GEN_PAYMENTS) {
			/* fraud sequences only in whole records of datagrams riptide takes */
			make_event(&e, o, (*ev)++,
				   count_records && kinds[r] == MK__COUNT ? c : NULL);
			len += write_record((char *)buf + len, cap - len, &e, f, kinds[r],
					    o->record_bytes);
		} else {
			struct gen_val v[GEN_MAX_COLS];

			make_generic(v, o, (*ev)++);
			len += gen_write_generic((char *)buf + len, cap - len,
						 &gen_schemas[o->schema], v, f, kinds[r]);
		}
	}
	if (bad_len) /* a length that is not a multiple of the record size */
		for (r = 0; r < 3; r++)
			buf[len++] = 0xee;
	if (!count_records)
		return len;
	/* binary: the 3 bytes are a record too, and the length spoils every record */
	c->records += o->batch + (uint32_t)bad_len;
	c->s[si].records += o->batch + (uint32_t)bad_len;
	for (r = 0; r < o->batch + (uint32_t)bad_len; r++) {
		if (bad_len)
			count_bad(c, si, FMT_M_BAD_LENGTH);
		else if (kinds[r] != MK__COUNT)
			count_bad(c, si, mkind_reason[f][kinds[r]]);
	}
	return len;
}

static void source_of(struct gen_addr *a, uint32_t k)
{
	memset(a->src, 0, 16);
	memset(a->dst, 0, 16);
	if (a->ip_version == 4) {
		a->src[0] = 10;
		a->src[1] = 0;
		a->src[2] = (uint8_t)(k >> 8);
		a->src[3] = (uint8_t)k;
		a->dst[0] = 10;
		a->dst[1] = 1;
		a->dst[3] = 1;
	} else {
		a->src[0] = 0xfd;
		a->src[14] = (uint8_t)(k >> 8);
		a->src[15] = (uint8_t)k;
		a->dst[0] = 0xfd;
		a->dst[1] = 0x01;
		a->dst[15] = 1;
	}
}

/* A port no stream of o uses. */
static uint16_t unknown_port(const struct opts *o)
{
	uint16_t p;
	uint32_t k;

	for (;;) {
		p = (uint16_t)(1024 + rnd_below(60000));
		for (k = 0; k < o->n_streams && o->port[k] != p; k++)
			;
		if (k == o->n_streams)
			return p;
	}
}

static int generate(const struct opts *o, struct counts *c)
{
	static uint8_t frame[GEN_MAX_FRAME], payload[GEN_MAX_FRAME];
	FILE *f = fopen(o->out, "wb");
	uint64_t i, ev = 0;
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "riptide-gen: %s: %s\n", o->out, strerror(errno));
		return -errno;
	}
	rng_state = o->seed;
	if (gen_pcap_header(f))
		rc = -EIO;
	for (i = 0; i < o->count && rc == 0; i++) {
		uint32_t si = o->n_streams > 1 ? (uint32_t)rnd_below(o->n_streams) : 0;
		struct gen_addr a = { .sport = 40000, .dport = o->port[si] };
		enum bucket b = B_DATAGRAM;
		uint32_t len;
		size_t plen;

		a.ip_version = rnd01() < o->ipv6 ? 6 : 4;
		a.vlan_id = rnd01() < o->vlan ? (uint16_t)(1 + rnd_below(4094)) : 0;
		a.sport = (uint16_t)(40000 + rnd_below(1000));
		source_of(&a, (uint32_t)rnd_below(o->sources));
		if (rnd01() < o->noise) {
			/* the k-th allowed kind, k uniform */
			uint64_t k = rnd_below((uint64_t)__builtin_popcount(o->noise_kinds));

			for (b = B_NOT_IP; b < B__COUNT; b++)
				if ((o->noise_kinds >> b & 1) && k-- == 0)
					break;
		}
		switch (b) {
		case B_NOT_IP:
			len = gen_arp_frame(frame);
			break;
		case B_NOT_UDP:
			a.ip_version = 4;
			source_of(&a, 1);
			len = gen_tcp_frame(frame, &a);
			break;
		default:
			if (b == B_UNKNOWN_PORT)
				a.dport = unknown_port(o);
			plen = make_payload(payload, sizeof(payload) - 64, o, si, &ev, c,
					    b == B_DATAGRAM);
			len = gen_udp_frame(frame, &a, payload, (uint32_t)plen);
			if (b == B_IP_FRAGMENT)
				len = gen_make_fragment(frame, len, &a, payload, (uint32_t)plen);
			else if (b == B_TRUNCATED)
				len -= 1 +
				       (uint32_t)rnd_below(plen + 8 < len ? plen + 8 : len - 15);
			else if (b == B_BAD_UDP_LENGTH) {
				uint32_t uoff =
					(a.vlan_id ? 18 : 14) + (a.ip_version == 4 ? 20 : 40);

				frame[uoff + 4] = 0xff; /* UDP length above the IP payload */
				frame[uoff + 5] = 0xff;
			}
			break;
		}
		c->packets++;
		c->bucket[b]++;
		if (b == B_DATAGRAM)
			c->s[si].datagrams++;
		if (gen_pcap_packet(f,
				    (o->start_ms + i * o->interval_us / 1000) * 1000 +
					    i * o->interval_us % 1000,
				    frame, len))
			rc = -EIO;
	}
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc)
		fprintf(stderr, "riptide-gen: writing %s failed\n", o->out);
	return rc;
}

static int write_manifest(const struct opts *o, const struct counts *c)
{
	json_t *filtered = json_object(), *derr = json_object(), *mal = json_object(),
	       *streams = json_array(), *m;
	uint32_t si;
	int b, rc;

	for (b = B_NOT_IP; b < B__COUNT; b++)
		if (c->bucket[b])
			json_object_set_new(bucket_reason[b].filter >= 0 ? filtered : derr,
					    bucket_name(b), json_integer((json_int_t)c->bucket[b]));
	for (b = 0; b < FMT_M__COUNT; b++)
		if (c->reason[b])
			json_object_set_new(mal, fmt_malformed_name((unsigned int)b),
					    json_integer((json_int_t)c->reason[b]));
	for (si = 0; si < o->n_streams; si++)
		json_array_append_new(streams,
				      json_pack("{s:s, s:i, s:I, s:I, s:I, s:I}", "format",
						fmt_name[o->format[si]], "port", (int)o->port[si],
						"datagrams", (json_int_t)c->s[si].datagrams,
						"records", (json_int_t)c->s[si].records, "events",
						(json_int_t)(c->s[si].records - c->s[si].malformed),
						"malformed", (json_int_t)c->s[si].malformed));
	m = json_pack("{s:s, s:I, s:I, s:I, s:o, s:o, s:I, s:I, s:o, s:o}", "schema",
		      gen_schemas[o->schema].name, "seed", (json_int_t)o->seed, "rx_packets",
		      (json_int_t)c->packets, "datagrams", (json_int_t)c->bucket[B_DATAGRAM],
		      "filtered", filtered, "decode_errors", derr, "records",
		      (json_int_t)c->records, "events", (json_int_t)(c->records - c->malformed),
		      "malformed", mal, "streams", streams);
	if (m == NULL)
		return -ENOMEM;
	if (o->fraud > 0) {
		json_t *fr = json_object();

		for (b = 0; b < FRAUD__COUNT; b++)
			json_object_set_new(fr, fraud_name[b],
					    json_integer((json_int_t)c->fraud[b]));
		json_object_set_new(fr, "events", json_integer((json_int_t)c->fraud_events));
		json_object_set_new(m, "fraud", fr);
	}
	rc = json_dump_file(m, o->manifest, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(m);
	if (rc) {
		fprintf(stderr, "riptide-gen: cannot write %s\n", o->manifest);
		return -EIO;
	}
	return 0;
}

static const char usage[] =
	"usage: riptide-gen pcap --out FILE [options]\n"
	"       riptide-gen send --pcap FILE --input SPEC [options] (see send --help)\n"
	"       riptide-gen ddl [--schema S] [--format F] [--port P] [--name N]\n"
	"                       [--arrival-time]\n"
	"\n"
	"pcap writes a pcap of events, deterministic for a given seed, and optionally a\n"
	"manifest of what riptide's counters must read after replaying it. ddl prints the\n"
	"CREATE STREAM that reads them (--arrival-time: without the timestamp option, event\n"
	"time is arrival time, for feeds sent in a loop).\n"
	"\n"
	"  --schema S            payments (default: ts, card, merchant, amount, country,\n"
	"                        status), clickstream (ts, user, session, page, action,\n"
	"                        duration_ms, referrer) or iot (ts, device, sensor, value,\n"
	"                        battery, ok)\n"
	"  --out FILE            the pcap to write (required)\n"
	"  --manifest FILE       JSON of the expected counters\n"
	"  --seed N              random seed (default 1)\n"
	"  --count N             packets (default 10000)\n"
	"  --format LIST         json (default), csv or binary; a list (json,csv) makes one\n"
	"                        stream per format, each datagram of one picked at random\n"
	"  --port LIST           UDP destination port of each stream (default 9000)\n"
	"  --batch N             records per datagram (default 1)\n"
	"  --keys N              distinct keys: cards, users, devices (default 1000)\n"
	"  --zipf S              key skew: key k (from 0) drawn with weight 1/(k+1)^S\n"
	"                        (default 0: uniform; 1.0 is a classic Zipf)\n"
	"  --fraud SHARE         payments: share of events that begin a fraud sequence on\n"
	"                        a card of its own (5000...): card testing (3 to 5 declines\n"
	"                        under 5.00, then an approval over 500.00) or velocity\n"
	"                        (approvals from 4 countries); its events 1 to 8 events\n"
	"                        apart; the manifest counts them (\"fraud\")\n"
	"  --sources N           distinct source addresses (default 64)\n"
	"  --jitter-ms N         event time up to N ms behind arrival (default 0)\n"
	"  --interval-us N       arrival spacing in microseconds (default 100)\n"
	"  --start-ms N          first arrival, epoch ms (default 1767225600000)\n"
	"  --malformed SHARE     share of malformed records, 0..1 (default 0)\n"
	"  --malformed-kinds L   which: syntax (bad_json, bad_csv, binary bad_length),\n"
	"                        bad_type, bad_timestamp, missing_timestamp, bad_utf8,\n"
	"                        field_count (default syntax); each record takes one the\n"
	"                        format can have\n"
	"  --noise SHARE         share of packets riptide must filter or reject (default 0)\n"
	"  --noise-kinds LIST    which: not_ip,not_udp,ip_fragment,unknown_port,truncated,\n"
	"                        bad_udp_length (default all)\n"
	"  --record-bytes N      JSON records made up to N bytes (up to 256) with a field\n"
	"                        no stream declares (default: their natural ~125 bytes)\n"
	"  --ipv6 SHARE          share of datagrams over IPv6 (default 0)\n"
	"  --vlan SHARE          share of VLAN-tagged packets (default 0)\n";

/* Calls fn on each item of the comma-separated list s; stops at the first non-zero
 * return. An empty list is an error. */
static int each_item(const char *s, int (*fn)(const char *item, void *ctx), void *ctx)
{
	char buf[256], *tok, *save;
	int n = 0;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), n++)
		if (fn(tok, ctx) != 0)
			return -1;
	return n ? 0 : -1;
}

/* The index of item in names[0..n), or -1. */
static int name_index(const char *item, const char *const *names, int n)
{
	int k;

	for (k = 0; k < n; k++)
		if (names[k] != NULL && strcmp(item, names[k]) == 0)
			return k;
	return -1;
}

struct bit_names {
	const char *const *names;
	int n;
	uint32_t bits;
};

static int add_bit(const char *item, void *ctx)
{
	struct bit_names *b = ctx;
	int k = name_index(item, b->names, b->n);

	if (k < 0)
		return -1;
	b->bits |= 1u << k;
	return 0;
}

/* "a,b,c": a bit per item, by its index in names[0..n) (NULL names never match). */
static int parse_names(const char *s, const char *const *names, int n, uint32_t *bits)
{
	struct bit_names b = { .names = names, .n = n };

	if (each_item(s, add_bit, &b) != 0)
		return -1;
	*bits = b.bits;
	return 0;
}

/* --noise-kinds: the buckets' names as riptide's stats spell them. */
static int parse_kinds(const char *s, uint32_t *kinds)
{
	const char *names[B__COUNT] = { NULL }; /* B_DATAGRAM is not noise */
	int b;

	for (b = B_NOT_IP; b < B__COUNT; b++)
		names[b] = bucket_name(b);
	return parse_names(s, names, B__COUNT, kinds);
}

static int add_format(const char *item, void *ctx)
{
	struct opts *o = ctx;
	int k = name_index(item, fmt_name, 3);

	if (k < 0 || o->n_streams == GEN_MAX_STREAMS)
		return -1;
	o->format[o->n_streams++] = (enum gen_fmt)k;
	return 0;
}

/* A list of formats, in order: one stream each. */
static int parse_formats(const char *s, struct opts *o)
{
	o->n_streams = 0;
	return each_item(s, add_format, o);
}

static int add_port(const char *item, void *ctx)
{
	struct opts *o = ctx;
	unsigned long v;
	char *end;

	v = strtoul(item, &end, 10);
	if (*end || v < 1 || v > 65535 || o->n_ports == GEN_MAX_STREAMS)
		return -1;
	o->port[o->n_ports++] = (uint16_t)v;
	return 0;
}

static int parse_ports(const char *s, struct opts *o)
{
	o->n_ports = 0;
	return each_item(s, add_port, o);
}

static int parse_share(const char *s, double *v)
{
	char *end;

	*v = strtod(s, &end);
	return end != s && *end == '\0' && *v >= 0 && *v <= 1 ? 0 : -1;
}

static int parse_u64(const char *s, uint64_t *v, uint64_t min, uint64_t max)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *s != '-' && *v >= min && *v <= max ? 0
											     : -1;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "manifest", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "port", required_argument, NULL, 'p' },
		{ "batch", required_argument, NULL, 'b' },
		{ "keys", required_argument, NULL, 'k' },
		{ "sources", required_argument, NULL, 'S' },
		{ "jitter-ms", required_argument, NULL, 'j' },
		{ "interval-us", required_argument, NULL, 'i' },
		{ "start-ms", required_argument, NULL, 't' },
		{ "malformed", required_argument, NULL, 'M' },
		{ "malformed-kinds", required_argument, NULL, 'B' },
		{ "record-bytes", required_argument, NULL, 'R' },
		{ "noise", required_argument, NULL, 'N' },
		{ "noise-kinds", required_argument, NULL, 'K' },
		{ "ipv6", required_argument, NULL, '6' },
		{ "vlan", required_argument, NULL, 'v' },
		{ "schema", required_argument, NULL, 'X' },
		{ "zipf", required_argument, NULL, 'z' },
		{ "fraud", required_argument, NULL, 'F' },
		{ "name", required_argument, NULL, 'a' },
		{ "arrival-time", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .seed = 1,
			  .count = 10000,
			  .n_streams = 1,
			  .n_ports = 1,
			  .port = { 9000 },
			  .mal_kinds = 1u << MK_SYNTAX,
			  .batch = 1,
			  .keys = 1000,
			  .sources = 64,
			  .interval_us = 100,
			  .start_ms = 1767225600000ULL,
			  .noise_kinds = ((1u << B__COUNT) - 1) & ~1u };
	struct counts c = { 0 };
	const char *name = NULL;
	bool ddl = false, arrival = false;
	uint64_t v;
	int ch, bad = 0, li = 0;
	char *end;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "send") == 0)
		return gen_send_main(argc - 1, argv + 1);
	ddl = argc >= 2 && strcmp(argv[1], "ddl") == 0;
	if (argc < 2 || (strcmp(argv[1], "pcap") != 0 && !ddl)) {
		fprintf(stderr, "riptide-gen: expected the command 'pcap', 'send' or 'ddl'\n%s",
			usage);
		return 2;
	}
	optind = 2;
	while (!bad && (ch = getopt_long(argc, argv, "h", lopts, &li)) != -1) {
		switch (ch) {
		case 'o':
			o.out = optarg;
			break;
		case 'm':
			o.manifest = optarg;
			break;
		case 's':
			bad = parse_u64(optarg, &o.seed, 0, UINT64_MAX);
			break;
		case 'n':
			bad = parse_u64(optarg, &o.count, 0, UINT64_MAX);
			break;
		case 'p':
			bad = parse_ports(optarg, &o);
			break;
		case 'B':
			bad = parse_names(optarg, mkind_name, MK__COUNT, &o.mal_kinds);
			break;
		case 'R':
			bad = parse_u64(optarg, &v, 0, 256);
			o.record_bytes = (uint32_t)v;
			break;
		case 'b':
			bad = parse_u64(optarg, &v, 1, 100);
			o.batch = (uint32_t)v;
			break;
		case 'k':
			bad = parse_u64(optarg, &v, 1, UINT32_MAX);
			o.keys = (uint32_t)v;
			break;
		case 'S':
			bad = parse_u64(optarg, &v, 1, 65536);
			o.sources = (uint32_t)v;
			break;
		case 'j':
			bad = parse_u64(optarg, &o.jitter_ms, 0, UINT32_MAX);
			break;
		case 'i':
			bad = parse_u64(optarg, &o.interval_us, 0, UINT32_MAX);
			break;
		case 't':
			bad = parse_u64(optarg, &o.start_ms, 0, UINT64_MAX / 2000);
			break;
		case 'M':
			bad = parse_share(optarg, &o.malformed);
			break;
		case 'N':
			bad = parse_share(optarg, &o.noise);
			break;
		case 'K':
			bad = parse_kinds(optarg, &o.noise_kinds);
			break;
		case '6':
			bad = parse_share(optarg, &o.ipv6);
			break;
		case 'v':
			bad = parse_share(optarg, &o.vlan);
			break;
		case 'f':
			bad = parse_formats(optarg, &o);
			break;
		case 'X':
			o.schema = gen_schema_find(optarg);
			bad = o.schema < 0;
			break;
		case 'z':
			o.zipf = strtod(optarg, &end);
			bad = end == optarg || *end || o.zipf < 0 || o.zipf > 10;
			break;
		case 'F':
			bad = parse_share(optarg, &o.fraud);
			break;
		case 'a':
			name = optarg;
			break;
		case 'A':
			arrival = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fprintf(stderr, "%s", usage);
			return 2;
		}
		if (bad)
			fprintf(stderr, "riptide-gen: bad value '%s' for --%s\n", optarg,
				lopts[li].name);
	}
	if (bad)
		return 2;
	if (ddl) {
		uint32_t si;

		if (o.n_ports != o.n_streams) {
			fprintf(stderr, "riptide-gen: %u format(s) but %u port(s)\n", o.n_streams,
				o.n_ports);
			return 2;
		}
		for (si = 0; si < o.n_streams; si++) {
			char nm[64];

			if (o.n_streams > 1 || name == NULL)
				snprintf(nm, sizeof(nm), "%s%s%s",
					 name ? name : gen_schemas[o.schema].name,
					 o.n_streams > 1 ? "_" : "",
					 o.n_streams > 1 ? fmt_name[o.format[si]] : "");
			else
				snprintf(nm, sizeof(nm), "%s", name);
			gen_ddl(stdout, &gen_schemas[o.schema], nm, o.format[si], o.port[si],
				arrival);
		}
		return 0;
	}
	if (o.fraud > 0 && o.schema != GEN_PAYMENTS) {
		fprintf(stderr, "riptide-gen: --fraud is for the payments schema\n");
		return 2;
	}
	if (o.zipf > 0 && zipf_init(&o) != 0) {
		fprintf(stderr, "riptide-gen: no memory for --zipf over %u keys\n", o.keys);
		return 1;
	}
	if (o.out == NULL) {
		fprintf(stderr, "riptide-gen: --out FILE is required\n");
		return 2;
	}
	if (o.n_ports != o.n_streams) {
		fprintf(stderr,
			"riptide-gen: %u format(s) but %u port(s): give one port a stream\n",
			o.n_streams, o.n_ports);
		return 2;
	}
	if (generate(&o, &c))
		return 1;
	if (o.manifest != NULL && write_manifest(&o, &c))
		return 1;
	printf("riptide-gen: %s: %" PRIu64 " packets, %" PRIu64 " datagrams, %" PRIu64
	       " records (%" PRIu64 " malformed)\n",
	       o.out, c.packets, c.bucket[B_DATAGRAM], c.records, c.malformed);
	return 0;
}
