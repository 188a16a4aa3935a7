#!/usr/bin/env python3
"""Integer analogs (c37.analog_format=int) read through CFG-2 (ANUNIT) and through CFG-3
(ANSCALE) show the same engineering values: two pdc c37 stream runs side by side, one
with each configuration, get the same reports from the device and must print the same
analogs for each, in JSON and in CSV. The values are three-phase power in W, var and
VA (P agrees with the power computed from the phasors), not counts; JSON also carries
the counts as sent (analogs_raw), the same in both runs."""
import json
import math
import subprocess

from pmutest import *

N = 30


def side_by_side(fam, fmt):
    """stdout lines of CFG-2 and CFG-3 runs started together, one list each."""
    runs = [subprocess.Popen([PDC, "c37", "stream", f"-{fam}", HOST, "--cfg", cfg, "-n", str(N), "--format", fmt, "-q"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for cfg in ("2", "3")]
    out = []
    for cfg, r in zip(("2", "3"), runs):
        stdout, stderr = r.communicate(timeout=60)
        check(r.returncode == 0, f"--cfg {cfg} --format {fmt}: exit {r.returncode}: {stderr.decode(errors='replace')}")
        out.append(stdout.decode().splitlines())
    return out


def three_phase_power(phasors):
    """P from the phase phasors {name: [rms, degrees]}: sum of V I cos(angle between)."""
    return sum(phasors[v][0] * phasors[i][0] * math.cos(math.radians(phasors[v][1] - phasors[i][1]))
               for v, i in (("VA", "IA"), ("VB", "IB"), ("VC", "IC")))


def json_runs(fam):
    lines2, lines3 = side_by_side(fam, "json")
    by_time = []
    for lines in (lines2, lines3):
        data = [json.loads(l) for l in lines]
        by_time.append({(o["soc"], o["fracsec"]): o["pmus"][0] for o in data if o["type"] == "data"})
    common = sorted(set(by_time[0]) & set(by_time[1]))
    check(len(common) >= N // 2, f"only {len(common)} reports seen by both runs")
    w_per_count = set()
    for key in common:
        a, b = by_time[0][key], by_time[1][key]
        check(a["analogs"] == b["analogs"], f"{key}: CFG-2 analogs {a['analogs']}, CFG-3 {b['analogs']}")
        check(a["analogs_raw"] == b["analogs_raw"], f"{key}: counts differ: {a['analogs_raw']} {b['analogs_raw']}")
        check(set(a["analogs"]) == {"P", "Q", "S"}, f"analog channels {sorted(a['analogs'])}")
        for name, v in a["analogs"].items():
            raw = a["analogs_raw"][name]
            check(isinstance(raw, int) and abs(raw) <= 32768, f"{key} {name}: count {raw}")
            if raw:
                w_per_count.add(v / raw)
        p = three_phase_power(a["phasors"])
        lsb = max(w_per_count) if w_per_count else 0
        check(abs(a["analogs"]["P"] - p) <= lsb + 1e-4 * abs(p), f"{key}: P {a['analogs']['P']} W, phasors give {p:.0f} W")
    check(len(w_per_count) == 1 and min(w_per_count) > 1, f"values per count {sorted(w_per_count)}, not one factor")
    return len(common), w_per_count.pop()


def csv_runs(fam):
    rows = []
    for lines in side_by_side(fam, "csv"):
        header = lines[0].split(",")
        check(header[-4:] == ["P", "Q", "S", "digital0"], f"CSV columns {header[-5:]}")
        rows.append({tuple(r[1:3]): r[-4:-1] for r in (l.split(",") for l in lines[1:])})
    common = set(rows[0]) & set(rows[1])
    check(len(common) >= N // 2, f"only {len(common)} CSV rows for the same reports")
    for key in common:
        check(rows[0][key] == rows[1][key], f"{key}: CFG-2 CSV analogs {rows[0][key]}, CFG-3 {rows[1][key]}")
    return len(common)


def main():
    fam = family_from_argv()
    n, factor = json_runs(fam)
    m = csv_runs(fam)
    print(f"integer analogs: {n} reports in JSON and {m} in CSV read alike with CFG-2 and CFG-3, {factor:.0f} W per count")


run(main)
