/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * riptide-gen send: replays the frames of a pcap into a DPDK port (a memif client
 * facing riptide's or testpmd's memif server, or a veth through af_packet/af_xdp), in
 * a loop, as fast as the port takes them or at a set rate. The frames are loaded
 * into mbufs once and sent by reference (each send takes a reference the driver gives
 * back), so that the sender's cost per packet is the driver's alone and a receiver
 * slower than the sender sets the pace: memif does not drop, it refuses. With
 * --queues and --cores, several lcores send on several queues (a receiver polls them
 * on as many lcores: the lab's scaling runs).
 */
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "dataplane/dp_config.h"
#include "gen_send.h"

#define SEND_BURST	32
#define SEND_FRAMES	4096   /* frames sent in a loop, by default */
#define SEND_FRAMES_MAX 262144 /* and at most (2 KiB of hugepage memory each) */
#define SEND_QUEUES_MAX 64     /* TX queues (memif rings) */
#define SEND_LCORES_MAX 32     /* sending lcores */

static volatile bool stop;
static volatile sig_atomic_t stop_signal; /* the signal that ended the sending, 0: none */

static void on_signal(int sig)
{
	if (!stop)
		stop_signal = sig;
	stop = true;
}

static const char usage[] =
	"usage: riptide-gen send --pcap FILE --input SPEC [options]\n"
	"\n"
	"Sends the frames of FILE (the first 4096, or --frames, in a loop) through a DPDK\n"
	"port.\n"
	"\n"
	"  --pcap FILE      frames to send\n"
	"  --input SPEC     the port, as riptide's --input: memif:SOCKET:client,\n"
	"                   af_packet:IFACE, af_xdp:IFACE\n"
	"  --seconds S      send for S seconds (default 10)\n"
	"  --count N        stop after N packets (default: no limit)\n"
	"  --pps R          packets per second (default 0: as fast as the port takes them)\n"
	"  --core C         the CPU to send from (default: the first this process may use)\n"
	"  --queues Q       TX queues (memif rings towards the receiver) (default 1, at\n"
	"                   most 64): queue q sends frames q, q + Q, q + 2Q, ... of the loop,\n"
	"                   so that a receiver with Q RX queues polls them on Q lcores\n"
	"  --cores LIST     CPUs to send from, separated by commas (instead of --core),\n"
	"                   as many as --queues at most; each sends on its run of queues\n"
	"                   and its share of --count and --pps\n"
	"  --frames N       how many frames of FILE to loop over (default 4096, at most\n"
	"                   262144): more frames, more distinct keys in the loop\n"
	"  --progress       a line of JSON each second on stderr: t, sent, pps\n"
	"  --advance-ts     each pass over the frames moves their event time (JSON \"ts\",\n"
	"                   or a first CSV field of 13 epoch-ms digits, IPv4) on by the\n"
	"                   span of the frames' times, so that a loop is not a replay\n"
	"                   of the past (the UDP checksum of those frames is cleared)\n"
	"  --link-wait S    how long to wait for the link (a memif peer) (default 10)\n"
	"  --linger S       keep the port open S seconds after the last frame (or until\n"
	"                   SIGINT), so that the receiver takes what is still in the ring\n"
	"                   (default 1); the result is printed before\n"
	"\n"
	"Prints one JSON object: sent, seconds, pps, refused (bursts the port refused in\n"
	"part, a sign that the receiver set the pace), queues, lcores, ended (time, count,\n"
	"or the signal that stopped it).\n";

/* --advance-ts: where each frame's event time is (its 13 epoch-ms digits: after "ts":
 * in JSON, the first CSV field), 0: none; its value in the pcap; the span of the
 * frames' times, which each pass over them adds. */
static uint16_t *ts_off;
static uint64_t *ts_base, ts_span;

/* The offset of the 13 digits of frame d's event time, or 0. IPv4 frames only (their
 * UDP checksum is then cleared, which IPv4 allows). */
static uint16_t find_ts(uint8_t *d, uint32_t len, uint64_t *v)
{
	uint32_t l3 = 14, l4, pay, k, at = 0;

	if (len > 18 && d[12] == 0x81 && d[13] == 0x00)
		l3 = 18;
	if (len < l3 + 28 || d[l3 - 2] != 0x08 || d[l3 - 1] != 0x00 || d[l3 + 9] != 17)
		return 0;
	l4 = l3 + (uint32_t)(d[l3] & 0xf) * 4;
	pay = l4 + 8;
	for (k = pay; k + 5 + 13 <= len && !at; k++)
		if (memcmp(d + k, "\"ts\":", 5) == 0)
			at = k + 5;
	if (!at && pay + 14 <= len && d[pay + 13] == ',')
		at = pay;
	if (!at || at + 13 > len || at > UINT16_MAX)
		return 0;
	*v = 0;
	for (k = 0; k < 13; k++) {
		if (d[at + k] < '0' || d[at + k] > '9')
			return 0;
		*v = *v * 10 + (uint64_t)(d[at + k] - '0');
	}
	d[l4 + 6] = 0; /* no UDP checksum */
	d[l4 + 7] = 0;
	return (uint16_t)at;
}

static void put_ts(uint8_t *p, uint64_t v)
{
	int k;

	for (k = 12; k >= 0; k--, v /= 10)
		p[k] = (uint8_t)('0' + v % 10);
}

static unsigned int load_frames(const char *path, struct rte_mempool *mp, struct rte_mbuf **m,
				unsigned int max)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *p = pcap_open_offline(path, err);
	unsigned int n = 0;

	if (p == NULL) {
		fprintf(stderr, "riptide-gen send: %s\n", err);
		return 0;
	}
	while (n < max && pcap_next_ex(p, &h, &d) == 1) {
		struct rte_mbuf *b;

		if (h->caplen > (uint32_t)(rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM))
			continue; /* a jumbo frame: not for this sender */
		b = rte_pktmbuf_alloc(mp);
		if (b == NULL)
			break;
		memcpy(rte_pktmbuf_mtod(b, void *), d, h->caplen);
		if (ts_off != NULL) {
			ts_off[n] = find_ts(rte_pktmbuf_mtod(b, uint8_t *), h->caplen, &ts_base[n]);
			if (ts_off[n] && (n == 0 || ts_base[n] + 1 > ts_span))
				ts_span = ts_base[n] + 1; /* the latest, then the span below */
		}
		b->data_len = (uint16_t)h->caplen;
		b->pkt_len = h->caplen;
		m[n++] = b;
	}
	pcap_close(p);
	if (ts_off != NULL) {
		uint64_t lo = UINT64_MAX;
		unsigned int k;

		for (k = 0; k < n; k++)
			if (ts_off[k] && ts_base[k] < lo)
				lo = ts_base[k];
		ts_span = lo == UINT64_MAX ? 0 : ts_span - lo;
	}
	return n;
}

static int port_up(uint16_t port, struct rte_mempool *mp, uint16_t n_txq, double wait_s)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_link link;
	uint64_t deadline;
	uint16_t q;
	int rc;

	/* one RX queue: a memif server refuses a client with more rings towards it than
	 * it has TX queues (riptide and testpmd rxonly have one) */
	rc = rte_eth_dev_configure(port, 1, n_txq, &conf);
	rc = rc ?: rte_eth_rx_queue_setup(port, 0, 256, (unsigned int)rte_socket_id(), NULL, mp);
	for (q = 0; q < n_txq && rc == 0; q++)
		rc = rte_eth_tx_queue_setup(port, q, 1024, (unsigned int)rte_socket_id(), NULL);
	rc = rc ?: rte_eth_dev_start(port);
	if (rc != 0) {
		fprintf(stderr, "riptide-gen send: port set-up failed: %s\n", rte_strerror(-rc));
		return rc;
	}
	deadline = rte_get_timer_cycles() + (uint64_t)(wait_s * (double)rte_get_timer_hz());
	do {
		if (rte_eth_link_get_nowait(port, &link) == 0 && link.link_status)
			return 0;
		usleep(10000);
	} while (rte_get_timer_cycles() < deadline && !stop);
	fprintf(stderr, "riptide-gen send: the link did not come up in %.0f s\n", wait_s);
	return -ETIMEDOUT;
}

/* One TX queue's place in the loop: queue q of Q sends frames q, q + Q, q + 2Q, ... of
 * the loop (its own mbufs: --advance-ts rewrites them), and holds back what the port
 * refused, to send first next time. */
struct txq {
	uint16_t q;
	unsigned int f;
	uint64_t pass;
	uint16_t held;
	struct rte_mbuf *burst[SEND_BURST];
};

/* One sending lcore: its queues, its share of --count and --pps, its counters (read
 * by the main lcore for --progress). */
struct sender {
	struct txq *txq;
	unsigned int n_txq;
	uint64_t count, end;
	double pps;
	volatile uint64_t sent, refused;
} __rte_cache_aligned;

static struct rte_mbuf **frames;
static unsigned int n_frames, n_queues;
static uint16_t port;
static struct sender senders[SEND_LCORES_MAX];
static unsigned int n_senders;
static uint64_t progress_every; /* TSC cycles between --progress lines, 0: none */

/* --progress, from the main lcore: every lcore's packets so far. */
static void progress_line(uint64_t t0, uint64_t now, uint64_t *last)
{
	uint64_t sent = 0;
	unsigned int i;

	for (i = 0; i < n_senders; i++)
		sent += senders[i].sent;
	fprintf(stderr, "{\"t\":%.0f,\"sent\":%" PRIu64 ",\"pps\":%" PRIu64 "}\n",
		(double)(now - t0) / (double)rte_get_tsc_hz(), sent, sent - *last);
	*last = sent;
}

/* Tops up queue t's burst with want more frames of its share and sends at most limit
 * of it. */
static uint16_t send_burst(struct txq *t, uint16_t want, uint64_t limit)
{
	uint16_t n = (uint16_t)(t->held + want), done, k;

	for (k = t->held; k < n; k++) {
		unsigned int f = t->f;

		/* the port copies what it sends (memif, af_packet, af_xdp in copy mode):
		 * the frame is ours again once a burst has gone */
		if (t->pass > 0 && ts_off != NULL && ts_off[f])
			put_ts(rte_pktmbuf_mtod(frames[f], uint8_t *) + ts_off[f],
			       ts_base[f] + t->pass * ts_span);
		rte_mbuf_refcnt_update(frames[f], 1);
		t->burst[k] = frames[f];
		t->f += n_queues;
		if (t->f >= n_frames) {
			t->f = t->q;
			t->pass++;
		}
	}
	done = rte_eth_tx_burst(port, t->q, t->burst, (uint16_t)RTE_MIN((uint64_t)n, limit));
	t->held = (uint16_t)(n - done);
	if (t->held)
		memmove(t->burst, t->burst + done, t->held * sizeof(t->burst[0]));
	return done;
}

static int send_loop(void *arg)
{
	struct sender *s = arg;
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc(), next = t0, sent = 0, refused = 0;
	uint64_t report = t0 + progress_every, last = 0;
	bool reports = progress_every && s == &senders[0];
	unsigned int i = 0, k;

	while (!stop && (s->count == 0 || sent < s->count)) {
		uint64_t now = rte_rdtsc();
		struct txq *t = &s->txq[i];
		uint16_t want = (uint16_t)(SEND_BURST - t->held), done;
		uint64_t limit = s->count ? s->count - sent : SEND_BURST;

		if (now >= s->end)
			break;
		if (reports && now >= report) {
			progress_line(t0, now, &last);
			report += progress_every;
		}
		if (s->pps > 0) {
			if (now < next)
				continue;
			next += (uint64_t)((double)RTE_MIN((uint64_t)SEND_BURST, limit) *
					   (double)hz / s->pps);
		}
		done = send_burst(t, want, limit);
		sent += done;
		if (t->held) {
			/* the receiver is behind: give it a microsecond rather than spin on the
			 * ring's indexes, whose cache lines it needs too */
			uint64_t until = rte_rdtsc() + hz / 1000000;

			refused++;
			while (rte_rdtsc() < until)
				rte_pause();
		}
		s->sent = sent;
		s->refused = refused;
		if (++i == s->n_txq)
			i = 0;
	}
	for (i = 0; i < s->n_txq; i++) /* give back the references of what was refused */
		for (k = 0; k < s->txq[i].held; k++)
			rte_mbuf_refcnt_update(s->txq[i].burst[k], -1);
	return 0;
}

/* --cores LIST: CPU numbers separated by commas, at most max. */
static int parse_cores(const char *arg, unsigned int *cores, unsigned int max)
{
	unsigned int n = 0;
	char *end;

	do {
		unsigned long c = strtoul(arg, &end, 10);

		if (end == arg || c >= CPU_SETSIZE || n == max)
			return -1;
		cores[n++] = (unsigned int)c;
		arg = end + (*end == ',');
	} while (*end == ',');
	return *end == '\0' ? (int)n : -1;
}

int gen_send_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pcap", required_argument, NULL, 'p' },
		{ "input", required_argument, NULL, 'i' },
		{ "seconds", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "pps", required_argument, NULL, 'r' },
		{ "core", required_argument, NULL, 'c' },
		{ "cores", required_argument, NULL, 'C' },
		{ "queues", required_argument, NULL, 'q' },
		{ "link-wait", required_argument, NULL, 'w' },
		{ "linger", required_argument, NULL, 'g' },
		{ "frames", required_argument, NULL, 'f' },
		{ "progress", no_argument, NULL, 'P' },
		{ "advance-ts", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct dp_config cfg;
	static unsigned int cores[SEND_LCORES_MAX];
	static struct txq txqs[SEND_QUEUES_MAX];
	unsigned int max_frames = SEND_FRAMES, n_cores = 0, i;
	uint64_t count = 0, sent, refused, t0, end, hz;
	bool progress = false, advance = false;
	const char *pcap = NULL, *ended;
	double seconds = 10, wait_s = 10, pps = 0, linger_s = 1, elapsed;
	struct dp_argv eal = { 0 };
	char **eal_view = NULL;
	struct rte_mempool *mp;
	char err[256], prefix[64];
	int ch, rc = 1, n;

	dp_config_init(&cfg);
	cfg.log_level = DP_LOG_ERROR;
	n_queues = 1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			pcap = optarg;
			break;
		case 'i':
			if (cfg.n_inputs == 1 ||
			    dp_input_parse(optarg, &cfg.inputs[0], err, sizeof(err)) != 0) {
				fprintf(stderr, "riptide-gen send: --input %s: %s\n", optarg,
					cfg.n_inputs ? "one port only" : err);
				return 2;
			}
			cfg.n_inputs = 1;
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 'n':
			count = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			pps = atof(optarg);
			break;
		case 'c':
		case 'C':
			n = parse_cores(optarg, cores, ch == 'c' ? 1 : SEND_LCORES_MAX);
			if (n <= 0) {
				if (ch == 'c')
					fprintf(stderr,
						"riptide-gen send: --core %s: a CPU number\n",
						optarg);
				else
					fprintf(stderr,
						"riptide-gen send: --cores %s: CPU numbers separated "
						"by commas, at most %d\n",
						optarg, SEND_LCORES_MAX);
				return 2;
			}
			n_cores = (unsigned int)n;
			break;
		case 'q':
			n = atoi(optarg);
			if (n < 1 || n > SEND_QUEUES_MAX) {
				fprintf(stderr, "riptide-gen send: --queues %s: 1 to %d\n", optarg,
					SEND_QUEUES_MAX);
				return 2;
			}
			n_queues = (unsigned int)n;
			break;
		case 'w':
			wait_s = atof(optarg);
			break;
		case 'g':
			linger_s = atof(optarg);
			break;
		case 'f':
			max_frames = (unsigned int)strtoul(optarg, NULL, 10);
			if (max_frames == 0 || max_frames > SEND_FRAMES_MAX) {
				fprintf(stderr, "riptide-gen send: --frames %s: 1 to %u\n", optarg,
					SEND_FRAMES_MAX);
				return 2;
			}
			break;
		case 'P':
			progress = true;
			break;
		case 'T':
			advance = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (pcap == NULL || cfg.n_inputs == 0 || seconds <= 0 || pps < 0) {
		fprintf(stderr, "riptide-gen send: --pcap and --input are required\n%s", usage);
		return 2;
	}
	if (n_cores == 0) {
		cpu_set_t set;

		if (sched_getaffinity(0, sizeof(set), &set) == 0)
			while (cores[0] < CPU_SETSIZE - 1 && !CPU_ISSET(cores[0], &set))
				cores[0]++;
		n_cores = 1;
	}
	if (n_cores > n_queues)
		n_cores = n_queues; /* a sending lcore has a queue at least */
	snprintf(prefix, sizeof(prefix), "riptide-gen-%d", (int)getpid());
	/* EAL permutes the vector it gets: it gets a copy, the strings are freed from eal */
	if (dp_eal_args(&cfg, cores, n_cores, prefix, &eal) != 0 ||
	    (eal_view = calloc((size_t)eal.argc + 1, sizeof(*eal_view))) == NULL) {
		fprintf(stderr, "riptide-gen send: cannot build the EAL arguments\n");
		goto out;
	}
	memcpy(eal_view, eal.argv, (size_t)eal.argc * sizeof(*eal_view));
	if (rte_eal_init(eal.argc, eal_view) < 0) {
		fprintf(stderr, "riptide-gen send: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (rte_eth_dev_count_avail() != 1 || rte_eth_find_next(0) >= RTE_MAX_ETHPORTS) {
		fprintf(stderr, "riptide-gen send: no port\n");
		goto out_eal;
	}
	port = (uint16_t)rte_eth_find_next(0);
	frames = calloc(max_frames, sizeof(*frames));
	if (advance) {
		ts_off = calloc(max_frames, sizeof(*ts_off));
		ts_base = calloc(max_frames, sizeof(*ts_base));
		if (ts_off == NULL || ts_base == NULL)
			goto out_eal;
	}
	mp = rte_pktmbuf_pool_create("gen_send", max_frames + 4096 - 1, 256, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (mp == NULL || frames == NULL) {
		fprintf(stderr, "riptide-gen send: no mbufs for %u frames: %s\n", max_frames,
			rte_strerror(rte_errno));
		goto out_eal;
	}
	n_frames = load_frames(pcap, mp, frames, max_frames);
	if (n_frames == 0) {
		fprintf(stderr, "riptide-gen send: no frame to send in %s\n", pcap);
		goto out_eal;
	}
	if (n_frames < n_queues) {
		fprintf(stderr,
			"riptide-gen send: %u frames for %u queues: a frame a queue at least\n",
			n_frames, n_queues);
		goto out_eal;
	}
	if (port_up(port, mp, (uint16_t)n_queues, wait_s) != 0)
		goto out_eal;

	hz = rte_get_tsc_hz();
	t0 = rte_rdtsc();
	end = t0 + (uint64_t)(seconds * (double)hz);
	/* lcore i sends on its run of queues; --count and --pps are shared out */
	for (i = 0; i < n_queues; i++) {
		txqs[i].q = (uint16_t)i;
		txqs[i].f = i;
	}
	for (i = 0; i < n_cores; i++) {
		struct sender *s = &senders[i];
		unsigned int lo = i * n_queues / n_cores, hi = (i + 1) * n_queues / n_cores;

		s->txq = &txqs[lo];
		s->n_txq = hi - lo;
		s->count = count ? count / n_cores + (i < count % n_cores) : 0;
		s->pps = pps / n_cores;
		s->end = end;
		if (count && s->count == 0)
			s->end = t0; /* fewer packets than lcores */
	}
	n_senders = n_cores;
	progress_every = progress ? hz : 0;
	for (i = 1; i < n_cores; i++)
		rte_eal_remote_launch(send_loop, &senders[i], i);
	send_loop(&senders[0]);
	rte_eal_mp_wait_lcore();
	for (i = 0, sent = refused = 0; i < n_cores; i++) {
		sent += senders[i].sent;
		refused += senders[i].refused;
	}
	elapsed = (double)(rte_rdtsc() - t0) / (double)hz;
	ended = "time";
	if (stop_signal)
		ended = strsignal(stop_signal);
	else if (count && sent >= count)
		ended = "count";
	printf("{\"sent\":%" PRIu64 ",\"seconds\":%.3f,\"pps\":%.0f,\"refused\":%" PRIu64
	       ",\"queues\":%u,\"lcores\":%u,\"ended\":\"%s\"}\n",
	       sent, elapsed, (double)sent / elapsed, refused, n_queues, n_cores, ended);
	fflush(stdout);
	/* The last frames are in the port's ring: closing now would take them away from
	 * the receiver (a memif peer that goes loses what it had not handed over). A
	 * signal ends the wait: a benchmark stops the receiver first, then the sender. */
	usleep((useconds_t)(linger_s * 1e6));
	rc = 0;
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
out_eal:
	rte_eal_cleanup();
out:
	free(frames);
	free(ts_off);
	free(ts_base);
	free(eal_view);
	dp_argv_free(&eal);
	dp_config_free(&cfg);
	return rc;
}
