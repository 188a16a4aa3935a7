#!/usr/bin/env python3
"""The playback area on either backend: the device (the simulator reading the file, or
the board under QEMU reading what the launcher loaded into its playback area) plays the
public sample tests/data/comtrade/sample_ascii.cff (comtrade.file, looped) and reports
its phase A current: the record's fundamental (3%: at 30 reports/s every report sees the
same one of the record's two cycles, which differ by under 2%)."""
import math
import os
import sys

from pmutest import *

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "comtrade")


def expected_ia():
    cfg = open(os.path.join(DATA, "sample_ascii.cfg")).read().splitlines()
    ch = cfg[2].split(",")
    a, b, primary, secondary, ps = float(ch[5]), float(ch[6]), float(ch[10]), float(ch[11]), ch[12].strip().upper()
    re = im = 0.0
    for n, line in enumerate(open(os.path.join(DATA, "sample_ascii.dat"))):
        x = a * float(line.split(",")[2]) + b
        if ps == "S":
            x *= primary / secondary
        re += x * math.cos(2 * math.pi * n / 20)
        im -= x * math.sin(2 * math.pi * n / 20)
    return math.sqrt(2) / 40 * math.hypot(re, im)


def main():
    fam = family_from_argv()
    wait_log(r"COMTRADE 2013 ASCII record of SMARTSTATION/IED123: 4 analog channels, 40 samples", timeout=30)
    summary, lines = pdc_json("c37", "stream", f"-{fam}", HOST, "-n", "30", "--format", "json", "-q")
    frames = [json.loads(l) for l in lines if l.startswith("{") and '"data"' in l]
    check(len(frames) == 30, f"{len(frames)} data frames")
    want = expected_ia()
    for f in frames:
        pmu = f["pmus"][0]
        got = pmu["phasors"]["IA"][0]
        check(int(pmu["stat"], 16) & 0xC000 == 0, f"STAT {pmu['stat']} while the record loops")
        check(abs(got - want) <= 0.03 * want, f"IA {got:.1f} A, the record's fundamental is {want:.1f} A")
    print(f"IA {frames[-1]['pmus'][0]['phasors']['IA'][0]:.1f} A reported, {want:.1f} A in the record")


run(main)
