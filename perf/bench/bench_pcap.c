/* SPDX-License-Identifier: BSD-3-Clause */
#include "bench_pcap.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dp_decode.h"

int bench_pcap_load(struct bench_feed *f, const char *path, const char *who)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *p = pcap_open_offline(path, err);
	size_t cap = 0;

	if (p == NULL) {
		fprintf(stderr, "%s: %s\n", who, err);
		return -1;
	}
	while (pcap_next_ex(p, &h, &d) == 1) {
		uint8_t *copy = malloc(h->caplen);

		if (f->n_frames == cap) {
			struct bench_frame *more;

			cap = cap ? 2 * cap : 1024;
			more = realloc(f->frames, cap * sizeof(*f->frames));
			if (more == NULL) {
				free(copy);
				copy = NULL;
			} else {
				f->frames = more;
			}
		}
		if (copy == NULL) {
			fprintf(stderr, "%s: out of memory reading %s\n", who, path);
			pcap_close(p);
			return -1;
		}
		memcpy(copy, d, h->caplen);
		f->frames[f->n_frames].data = copy;
		f->frames[f->n_frames++].len = h->caplen;
	}
	pcap_close(p);
	return 0;
}

const struct dp_stream_rt *bench_pcap_records(struct bench_feed *f, const struct dp_pipeline *pl)
{
	const struct dp_stream_rt *st = NULL;
	size_t k, cap = 0;

	for (k = 0; k < f->n_frames; k++) {
		struct dp_l4 l4;
		uint8_t reason;
		const uint8_t *rec;
		size_t pos = 0, rl;

		if (dp_decode(f->frames[k].data, f->frames[k].len, &l4, &reason) != DP_DATAGRAM ||
		    pl->stream_of_port[l4.dst_port] == DP_NO_STREAM)
			continue;
		st = &pl->streams[pl->stream_of_port[l4.dst_port]];
		while (fmt_next_record(&st->sc, f->frames[k].data + l4.payload_off, l4.payload_len,
				       &pos, &rec, &rl)) {
			if (f->n_recs == cap) {
				const uint8_t **r;
				size_t *l;

				cap = cap ? 2 * cap : 1024;
				r = realloc(f->recs, cap * sizeof(*f->recs));
				if (r != NULL)
					f->recs = r;
				l = realloc(f->rec_lens, cap * sizeof(*f->rec_lens));
				if (l != NULL)
					f->rec_lens = l;
				if (r == NULL || l == NULL) {
					fprintf(stderr, "bench: no memory for the records\n");
					return NULL;
				}
			}
			f->recs[f->n_recs] = rec;
			f->rec_lens[f->n_recs++] = rl;
		}
	}
	return f->n_recs ? st : NULL;
}

void bench_pcap_free(struct bench_feed *f)
{
	size_t k;

	for (k = 0; k < f->n_frames; k++)
		free((void *)f->frames[k].data);
	free(f->frames);
	free(f->recs);
	free(f->rec_lens);
	memset(f, 0, sizeof(*f));
}
