#!/usr/bin/env python3
"""The 60-run experiment: with the device's loss at 0.6 (seeded), pdc reset --runs 60
measures a mean number of datagrams per answer consistent with 1/(1-p) = 2.5 and a
loss near 0.6; the device's clock moved by exactly the sum of the 60 distinct answers.

Bounds: the rounds per answer are geometric with q = 0.4 (mean 2.5, variance 3.75), so
the mean of 60 has a standard deviation of 0.25; [1.5, 3.5] is four of them either
side. The loss estimate over n datagrams has a standard deviation of sqrt(0.6 * 0.4 / n);
it must lie within four of them of 0.6, both as pdc measured it and as the device
counted its own drops. A correct device falls outside with probability below 1e-4; a
device with no loss (mean 1) or p = 0.8 (mean 5) fails.

The draws are not a fixed sequence: the device's loss generator is seeded, but how
many datagrams reach it depends on how fast a loaded emulator answers within --wait, so
pdc's 95% interval is shown, not required to hold 0.6 (it would miss one run in 20)."""
import math

from pmutest import *


def within_four_sigma(loss, datagrams, what):
    sigma = math.sqrt(0.6 * 0.4 / datagrams)
    check(abs(loss - 0.6) <= 4 * sigma,
          f"{what} {loss:.3f} over {datagrams} datagrams is more than 4 sigma ({4 * sigma:.3f}) from 0.6")


def main():
    fam = family_from_argv()
    summary, runs = pdc_json("reset", f"-{fam}", HOST, "100", "--runs", "60", "--wait", "50ms", timeout=300)
    check(summary["runs"] == 60 and len(runs) == 60, f"summary {summary}")
    mean = summary["datagrams_per_answer"]
    check(1.5 <= mean <= 3.5, f"mean datagrams per answer {mean:.2f} is not consistent with 1/(1-0.6) = 2.5")
    within_four_sigma(summary["loss"], summary["datagrams"], "pdc's loss estimate")
    check(summary["loss_low"] <= summary["loss"] <= summary["loss_high"],
          f"loss {summary['loss']:.3f} outside pdc's own interval [{summary['loss_low']:.3f}, {summary['loss_high']:.3f}]")
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
    within_four_sigma(lost / received, received, "the device's own drop rate")
    print(f"mean {mean:.2f} datagrams per answer, loss {summary['loss']:.3f} "
          f"[{summary['loss_low']:.3f}, {summary['loss_high']:.3f}], device lost {lost} of {received}")


run(main)
