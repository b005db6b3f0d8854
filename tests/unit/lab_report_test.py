#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""perf/lab_report.py's figures: percentiles from riptide's power-of-two latency
histograms (interpolated within the bucket, +Inf as "at least"), and a run's derived
rates, ratios and stage costs."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "perf"))
import lab_report as lr  # noqa: E402

failed = 0


def check(what, got, want):
    global failed
    ok = got == want if not isinstance(want, float) else abs(got - want) < 1e-9
    print(("  ok    " if ok else "  FAIL  ") + f"{what}: got {got!r}, want {want!r}")
    failed += not ok


# 100 in [0, 1) us, 100 in [8, 16) us: the median is the top of the first bucket
h = {"1": 100, "16": 100}
check("empty histogram", lr.quantile({}, 0.5), None)
check("p50 at the end of the first bucket", lr.quantile(h, 0.5), (1.0, False))
check("p75 halfway through [8, 16)", lr.quantile(h, 0.75), (12.0, False))
check("p100 at the top", lr.quantile(h, 1.0), (16.0, False))
check("in +Inf: at least the last bound", lr.quantile({"4": 1, "+Inf": 9}, 0.99), (4.0, True))
check("formatting", [lr.fmt_q((12.34, False)), lr.fmt_q((4.0, True)), lr.fmt_q(None)],
      ["12", ">4.0", "-"])

stages = {s: {"ns": 0.0, "samples": 0, "cycles": 0} for s in lr.STAGES}
stages["parse"] = {"ns": 85.0, "samples": 10, "cycles": 2000}
run = {
    "send": {"sent": 2000000, "seconds": 2.0, "pps": 1000000.0},
    "stats": {"rx_packets": 2000000, "events": 1000000, "stages": stages,
              "rx_to_result_latency_us": h, "kafka_latency_us": None},
}
d = lr.derive(run, 4000000.0)
check("Mpps", d["mpps"], 1.0)
check("events per second", d["events_per_s"], 500000.0)
check("against testpmd", d["vs_testpmd"], 0.25)
check("ns per packet", d["ns_per_packet"], 1000.0)
check("every packet received", d["all_received"], True)
check("stages with samples only", d["stage_ns"], {"parse": 85.0})
check("RX to result p50", d["rx_to_result_us"]["0.5"], (1.0, False))
check("no Kafka: no ack latency", d["result_to_kafka_ack_us"]["0.99"], None)
check("no Kafka: no RX to ack latency", d["rx_to_kafka_ack_us"]["0.5"], None)
run["stats"]["rx_to_ack_latency_us"] = {"32": 10}
check("RX to Kafka ack p50 in [16, 32)", lr.derive(run, 4000000.0)["rx_to_kafka_ack_us"]["0.5"],
      (24.0, False))
del run["stats"]["rx_to_ack_latency_us"]
run["stats"]["rx_packets"] -= 1
check("a packet missing is seen", lr.derive(run, 4000000.0)["all_received"], False)
run["stats"]["rx_packets"] += 1
check("no reference at this count of lcores", lr.derive(run, None)["vs_testpmd"], None)
old = {"reference": {"testpmd_rxonly": {"pps": 9.0}}}
check("one testpmd reference (older reports): 1 lcore", lr.testpmd_refs(old), {1: {"pps": 9.0}})
new = {"reference": {"testpmd_rxonly_by_lcores": {"1": {"pps": 9.0}, "4": {"pps": 30.0}}}}
check("testpmd by count of lcores", lr.testpmd_refs(new), {1: {"pps": 9.0}, 4: {"pps": 30.0}})
sys.exit(1 if failed else 0)
