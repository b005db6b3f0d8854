#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The performance lab's report: perf/lab.sh's raw JSON in, docs/benchmarks/lab.md,
lab.json and three plots out (throughput against worker lcores, latency percentiles,
cost per stage), and a one-line summary per scenario on stdout.

    perf/lab_report.py LAB.json [LAB.json ...] OUTDIR

Several raw files (runs of perf/lab.sh on one machine, split to fit a time limit) are
merged: machine, commit and date from the first, the references of all, the runs in
order.
"""
import json
import math
import os
import sys

STAGES = ["rx", "decode", "parse", "match", "route", "state"]
QUANTILES = [0.5, 0.99, 0.999]


def quantile(hist, q):
    """The q-quantile of a histogram {"<exclusive upper bound, us>": n, "+Inf": n},
    bucket k holding [2^(k-1), 2^k) us: linear within its bucket. None when empty;
    (bound, True) when it falls in +Inf (at least bound)."""
    if not hist:
        return None
    items = sorted(((math.inf if k == "+Inf" else float(k)), n) for k, n in hist.items())
    total = sum(n for _, n in items)
    if total == 0:
        return None
    want, cum = q * total, 0
    for k, (hi, n) in enumerate(items):
        if cum + n >= want and n > 0:
            if math.isinf(hi):
                return (items[k - 1][0] if k else 0.0, True)
            lo = 0.0 if hi <= 1 else hi / 2
            return (lo + (hi - lo) * (want - cum) / n, False)
        cum += n
    return (items[-1][0], False)


def fmt_q(v):
    if v is None:
        return "-"
    val, above = v
    return (">" if above else "") + (f"{val:.0f}" if val >= 10 else f"{val:.1f}")


def derive(run, ref_pps):
    st, send = run["stats"], run["send"]
    secs = send["seconds"]
    d = {
        "mpps": send["pps"] / 1e6,
        "events_per_s": st["events"] / secs if secs else 0,
        "vs_testpmd": send["pps"] / ref_pps if ref_pps else None,
        "ns_per_packet": 1e9 / send["pps"] if send["pps"] else None,
        "all_received": st["rx_packets"] == send["sent"],
        "stage_ns": {s: st["stages"][s]["ns"] for s in STAGES if st["stages"][s]["samples"]},
        "rx_to_result_us": {str(q): quantile(st["rx_to_result_latency_us"], q) for q in QUANTILES},
        "result_to_kafka_ack_us": {
            str(q): quantile(st.get("kafka_latency_us") or {}, q) for q in QUANTILES
        },
        "rx_to_kafka_ack_us": {
            str(q): quantile(st.get("rx_to_ack_latency_us") or {}, q) for q in QUANTILES
        },
    }
    return d


def testpmd_refs(lab):
    """testpmd rxonly's rate by count of lcores: {N: send JSON}. Reports from before
    the per-count references have one, for 1 lcore."""
    refs = lab["reference"].get("testpmd_rxonly_by_lcores")
    if refs is None:
        return {1: lab["reference"]["testpmd_rxonly"]}
    return {int(n): v for n, v in refs.items()}


def merge(labs):
    """One report of several raw files: the first's machine, commit and date; every
    file's references (a testpmd rate per count of lcores, raw hs_scan where there is
    one) and runs."""
    lab = dict(labs[0])
    lab["reference"] = dict(lab["reference"])
    lab["runs"] = list(lab["runs"])
    by = testpmd_refs(lab)
    for other in labs[1:]:
        by.update(testpmd_refs(other))
        for k in ("raw_hs_scan_100", "ingest_one_core"):
            if lab["reference"].get(k) is None:
                lab["reference"][k] = other["reference"].get(k)
        lab["runs"] += other["runs"]
    lab["reference"].pop("testpmd_rxonly", None)
    lab["reference"]["testpmd_rxonly_by_lcores"] = {str(n): v for n, v in sorted(by.items())}
    return lab


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    lab = merge([json.load(open(p)) for p in sys.argv[1:-1]])
    out = sys.argv[-1]
    refs = testpmd_refs(lab)
    hs = lab["reference"]["raw_hs_scan_100"]
    runs = [r for r in lab["runs"] if "skipped" not in r]
    for r in runs:
        ref = refs.get(r["lcores"])
        r["derived"] = derive(r, ref["pps"] if ref else None)
        base = [x for x in runs if x["scenario"] == r["scenario"] and x["lcores"] == 1]
        r["derived"]["vs_1_lcore"] = (
            r["send"]["pps"] / base[0]["send"]["pps"] if base and base[0]["send"]["pps"] else None
        )
    json.dump(lab, open(os.path.join(out, "lab.json"), "w"), indent=2, sort_keys=True)
    order = []
    for r in lab["runs"]:
        if r["scenario"] not in order:
            order.append(r["scenario"])

    plots = []
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        # throughput against worker lcores: I/O (decode beside testpmd) on the left,
        # the scenarios that parse on the right with the goal line, each on its scale
        GOAL_MPPS = 6.0  # 10GbE line rate of 150-byte JSON events (issue 10)
        fig, (ax_io, ax) = plt.subplots(1, 2, figsize=(11, 4.2))
        lcs = sorted({r["lcores"] for r in runs})
        colours = {sc: f"C{i}" for i, sc in enumerate(order)}
        for sc in order:
            pts = sorted((r["lcores"], r["derived"]["mpps"]) for r in runs if r["scenario"] == sc)
            if pts:
                (ax_io if sc == "decode" else ax).plot(
                    [p[0] for p in pts], [p[1] for p in pts], marker="o", label=sc,
                    color=colours[sc])
        tp = sorted(refs.items())
        if len(tp) == 1:
            ax_io.axhline(tp[0][1]["pps"] / 1e6, color="grey", linestyle="--",
                          label="testpmd rxonly (%d lcore)" % tp[0][0])
        elif tp:
            ax_io.plot([n for n, _ in tp], [v["pps"] / 1e6 for _, v in tp], color="grey",
                       linestyle="--", marker="x", label="testpmd rxonly (same lcores)")
        ax.axhline(GOAL_MPPS, color="black", linestyle=":", label="goal: 6 Mpps (10GbE)")
        for a, title in ((ax_io, "I/O: decode only, testpmd rxonly"),
                         (ax, "Parse and rules")):
            if len(lcs) > 1:
                a.set_xticks(lcs)
            a.set_xlabel("worker lcores")
            a.set_ylabel("Mpps (150-byte JSON events)")
            a.set_title(title)
            a.set_ylim(bottom=0)
            if a.get_legend_handles_labels()[0]:
                a.legend(fontsize=8)
            a.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(os.path.join(out, "lab-throughput.png"), dpi=110)
        plots.append(("Throughput against worker lcores", "lab-throughput.png"))
        plt.close(fig)

        # latency percentiles, RX to result, at one lcore
        one = [r for r in runs if r["lcores"] == min(x["lcores"] for x in runs)]
        one = [r for r in one if r["derived"]["rx_to_result_us"]["0.5"] is not None]
        if one:
            fig, ax = plt.subplots(figsize=(7, 4.2))
            w = 0.25
            for i, q in enumerate(QUANTILES):
                vals = [r["derived"]["rx_to_result_us"][str(q)][0] for r in one]
                ax.bar([x + (i - 1) * w for x in range(len(one))], vals, w, label=f"p{q * 100:g}")
            ax.set_xticks(range(len(one)))
            ax.set_xticklabels([r["scenario"] for r in one])
            ax.set_yscale("log")
            ax.set_ylabel("microseconds (log)")
            ax.set_title("RX to result latency (%d worker lcore)" % one[0]["lcores"])
            ax.legend()
            ax.grid(alpha=0.3, axis="y")
            fig.tight_layout()
            fig.savefig(os.path.join(out, "lab-latency.png"), dpi=110)
            plots.append(("RX-to-result latency percentiles", "lab-latency.png"))
            plt.close(fig)

        # cost per stage, stacked, at one lcore
        one = [r for r in runs if r["lcores"] == min(x["lcores"] for x in runs)]
        if one:
            fig, ax = plt.subplots(figsize=(7, 4.2))
            bottom = [0.0] * len(one)
            for s in STAGES:
                vals = [r["derived"]["stage_ns"].get(s, 0.0) for r in one]
                ax.bar(range(len(one)), vals, 0.6, bottom=bottom, label=s)
                bottom = [b + v for b, v in zip(bottom, vals)]
            ax.set_xticks(range(len(one)))
            ax.set_xticklabels([r["scenario"] for r in one])
            ax.set_ylabel("ns per item of the stage")
            ax.set_title("Cost per stage (%d worker lcore)" % one[0]["lcores"])
            ax.legend(fontsize=8)
            ax.grid(alpha=0.3, axis="y")
            fig.tight_layout()
            fig.savefig(os.path.join(out, "lab-stages.png"), dpi=110)
            plots.append(("Cost per stage", "lab-stages.png"))
            plt.close(fig)
    except ImportError:
        print("lab: no matplotlib (python3-matplotlib): the report has no plots", file=sys.stderr)

    m = lab["machine"]
    L = []
    L.append("# Performance lab")
    L.append("")
    mem = f", {m['memory_gib']} GiB" if m.get("memory_gib") else ""
    L.append(
        f"Generated by `perf/lab.sh` on {lab['date']} at commit `{lab['commit']}`: "
        f"{m['cpu']}, {m['cores']} cores{mem}, kernel {m['kernel']}, DPDK {lab['dpdk']}; "
        f"{lab['seconds_per_run']} s a run."
    )
    if m.get("note"):
        L.append("")
        L.append(m["note"])
    L.append("")
    L.append(
        "Feed: riptide-gen payments, JSON records of 150 bytes, one a datagram, 100,000 "
        f"cards, 1 event in 1,000 beginning a fraud sequence; {lab['frames_in_loop']:,} "
        "distinct frames sent in a loop by `riptide-gen send` (memif client), each pass moving "
        "the frames' event time on by their span (`--advance-ts`), so that windows close and "
        "patterns complete as in a live feed. memif does not drop: a receiver slower than the sender refuses bursts "
        "and sets the pace, so the sender's rate is the receiver's (every run checks that "
        "riptide received every packet sent). With N worker lcores the sender sends on N "
        "memif queues, one per receiving worker, from up to N cores that the receiver "
        "leaves over (riptide's main core runs its sink thread), or from the receiver's "
        "main core where none is left."
    )
    L.append("")
    L.append("## References, same run")
    L.append("")
    L.append(
        "- dpdk-testpmd rxonly on the same memif, same sender, N forwarding lcores on N "
        "queues: "
        + ", ".join(
            f"**{v['pps'] / 1e6:.2f} Mpps** at {n} ({1e9 / v['pps']:.0f} ns per packet)"
            for n, v in sorted(refs.items())
        )
        + "."
    )
    if hs:
        L.append(
            f"- raw `hs_scan` with the same 100 patterns (riptide-bench-rules, in this run): "
            f"**{hs['raw_hs_ns']} ns** per event; riptide's alert stage with those 100 rules on "
            f"the same values {hs['riptide_ns']} ns ({hs['overhead'] * 100:.0f} % over raw). "
            + (
                f"The values: the merchant column of the lab feed's first {hs['events']:,} "
                "records."
                if hs.get("events_from") == "pcap"
                else "Its records are 150-byte payments whose merchant carries two more "
                "words (a longer value to scan than the lab feed's `merchant-NNNN`)."
            )
        )
    ing = {x["stage"]: x for x in lab["reference"].get("ingest_one_core") or []}
    if ing:
        L.append(
            "- decode + parse of the feed's records on one core, no I/O "
            "(riptide-bench-ingest, from memory): "
            + ", ".join(f"{k} **{v['ns_per_event']:.0f} ns**" for k, v in ing.items())
            + " an event."
        )
    L.append("")
    L.append("## Scenarios")
    L.append("")
    L.append(
        "| scenario | worker lcores | Mpps | events/s | vs testpmd | vs 1 lcore | ns/packet | "
        "RX->result p50 / p99 / p99.9 us | RX->Kafka ack p50 / p99 / p99.9 us | "
        "result->Kafka ack p50 / p99 / p99.9 us | all received |"
    )
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- |")
    skipped = sorted({r["lcores"] for r in lab["runs"] if "skipped" in r and "lcores" in r})
    for r in lab["runs"]:
        if "skipped" in r:
            if "lcores" not in r:
                L.append(f"| {r['scenario']} | - | skipped: {r['skipped']} | | | | | | | | |")
            continue
        d = r["derived"]
        rx = " / ".join(fmt_q(d["rx_to_result_us"][str(q)]) for q in QUANTILES)
        ka = " / ".join(fmt_q(d["result_to_kafka_ack_us"][str(q)]) for q in QUANTILES)
        ra = " / ".join(fmt_q(d["rx_to_kafka_ack_us"][str(q)]) for q in QUANTILES)
        vt = "-" if d["vs_testpmd"] is None else f"{d['vs_testpmd']:.2f}"
        v1 = "-" if d["vs_1_lcore"] is None else f"{d['vs_1_lcore']:.2f}"
        L.append(
            f"| {r['scenario']} | {r['lcores']} | {d['mpps']:.2f} | {d['events_per_s'] / 1e6:.2f} M | "
            f"{vt} | {v1} | {d['ns_per_packet']:.0f} | {rx} | {ra} | {ka} | "
            f"{'yes' if d['all_received'] else 'NO'} |"
        )
    L.append("")
    if skipped:
        L.append(
            "Not run: %s worker lcores; a run of N worker lcores needs N + 1 cores "
            "(riptide's main core, shared with the sender, and a core per worker), and "
            "this machine has %d. "
            "On a machine with more cores the same command runs them (`--lcores`)."
            % (", ".join(map(str, skipped)), m["cores"])
        )
        L.append("")
    L.append(
        "Latency: histogram buckets are powers of two in microseconds; a percentile is "
        "interpolated within its bucket. RX to Kafka ack: from the RX burst of the packet "
        "behind each result to the broker's acknowledgement of its message (the sink "
        "thread times librdkafka's delivery report against the TSC stamp the result "
        "carries); result to Kafka ack is librdkafka's produce-to-acknowledgement time."
    )
    L.append("")
    L.append("## ns per item, by stage")
    L.append("")
    L.append(
        "From riptide's TSC stage counters (`stats.stages`: one RX burst in 64 timed through, "
        "one state event in 64; docs/operations.md). rx, decode: per packet; parse: per "
        "record; match: per event; route: per event with stateful rules (ring waits "
        "included); state: per event on a state lcore."
    )
    L.append("")
    L.append("| scenario | worker lcores | " + " | ".join(STAGES) + " | sum |")
    L.append("| --- | ---: | " + " | ".join("---:" for _ in STAGES) + " | ---: |")
    for r in runs:
        sn = r["derived"]["stage_ns"]
        L.append(
            f"| {r['scenario']} | {r['lcores']} | "
            + " | ".join(f"{sn[s]:.0f}" if s in sn else "-" for s in STAGES)
            + f" | {sum(sn.values()):.0f} |"
        )
    L.append("")
    for title, png in plots:
        L.append(f"## {title}")
        L.append("")
        L.append(f"![{title}]({png})")
        L.append("")
    L.append("Raw figures: [lab.json](lab.json).")
    open(os.path.join(out, "lab.md"), "w").write("\n".join(L) + "\n")

    for sc in order:
        rs = [r for r in lab["runs"] if r["scenario"] == sc]
        done = [r for r in rs if "skipped" not in r]
        if not done:
            print(f"{sc}: skipped ({rs[0]['skipped']})")
            continue
        best = max(done, key=lambda r: r["derived"]["mpps"])
        d = best["derived"]
        vt = "-" if d["vs_testpmd"] is None else f"{d['vs_testpmd']:.2f}"
        print(
            f"{sc}: {d['mpps']:.2f} Mpps, {d['events_per_s'] / 1e6:.2f} M events/s at "
            f"{best['lcores']} lcore(s), {vt}x testpmd, "
            f"RX->result p99 {fmt_q(d['rx_to_result_us']['0.99'])} us, "
            f"stages {sum(d['stage_ns'].values()):.0f} ns"
        )


if __name__ == "__main__":
    main()
