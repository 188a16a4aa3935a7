#!/usr/bin/env python3
"""The 60-run experiment: with the device's loss at 0.6 (seeded), pdc reset --runs 60
measures a mean number of datagrams per answer consistent with 1/(1-p) = 2.5, and a
loss interval that contains 0.6; the device's clock moved by exactly the sum of the
60 distinct answers.

Bound: the rounds per answer are geometric with q = 0.4 (mean 2.5, variance 3.75), so
the mean of 60 has a standard deviation of 0.25; [1.5, 3.5] is four of them either
side. A correct device falls outside with probability below 1e-4 (and this run is
seeded, so it is deterministic); a device with no loss (mean 1) or p = 0.8 (mean 5)
fails."""
from pmutest import *


def main():
    fam = family_from_argv()
    summary, runs = pdc_json("reset", f"-{fam}", HOST, "100", "--runs", "60", "--wait", "50ms", timeout=300)
    check(summary["runs"] == 60 and len(runs) == 60, f"summary {summary}")
    mean = summary["datagrams_per_answer"]
    check(1.5 <= mean <= 3.5, f"mean datagrams per answer {mean:.2f} is not consistent with 1/(1-0.6) = 2.5")
    check(summary["loss_low"] <= 0.6 <= summary["loss_high"],
          f"loss interval [{summary['loss_low']:.3f}, {summary['loss_high']:.3f}] excludes 0.6")
    check(summary["answering_families"] == f"ipv{fam}", f"answers over {summary['answering_families']}")
    offsets = [json.loads(line)["offset"] for line in runs]
    check(sum(offsets) == summary["offsets_sum"], "pdc's sum of offsets is wrong")
    since = log_size()
    request_stats()
    stats = wait_log(r"stats: reset received=(\d+) .* lost=(\d+) .* answered=(\d+) duplicates=(\d+) advanced_s=(\d+)",
                     since)
    received, lost, answered, _, advanced = (int(x) for x in stats.groups())
    check(answered == 60, f"the device answered {answered} new requests, expected 60")
    check(advanced == sum(offsets), f"the clock moved {advanced} s; the answers add up to {sum(offsets)} s")
    check(received == summary["datagrams"], f"the device received {received} datagrams, pdc sent {summary['datagrams']}")
    print(f"mean {mean:.2f} datagrams per answer, loss {summary['loss']:.3f} "
          f"[{summary['loss_low']:.3f}, {summary['loss_high']:.3f}], device lost {lost} of {received}")


run(main)
