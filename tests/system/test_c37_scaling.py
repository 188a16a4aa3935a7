#!/usr/bin/env python3
"""Integer analogs and phasors (c37.analog_format=int, c37.phasor_format=int) read
through CFG-2 (ANUNIT, PHUNIT) and through CFG-3 (ANSCALE, PHSCALE) show the same
engineering values: two pdc c37 stream runs side by side, one with each
configuration, get the same reports from the device and must print the same analogs
for each, in JSON and in CSV. The values are three-phase power in W, var and VA (P
agrees with the power computed from the phasors), not counts; JSON also carries the
counts as sent (analogs_raw), the same in both runs. The same holds for the stream a
concentrator serves, whichever configuration it read from the device."""
import json
import math
import signal
import socket
import subprocess
import time

from pmutest import *

N = 30


SERVE_PORT = 4800


def side_by_side(fmt, source):
    """stdout lines of CFG-2 and CFG-3 runs on `source` (pdc c37 stream's target
    arguments) started together, one list each."""
    runs = [subprocess.Popen([PDC, "c37", "stream", *source, "--cfg", cfg, "-n", str(N), "--format", fmt, "-q"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for cfg in ("2", "3")]
    out = []
    for cfg, r in zip(("2", "3"), runs):
        stdout, stderr = r.communicate(timeout=60)
        check(r.returncode == 0, f"{source} --cfg {cfg} --format {fmt}: exit {r.returncode}: "
                                 f"{stderr.decode(errors='replace')}")
        out.append(stdout.decode().splitlines())
    return out


def three_phase_power(phasors):
    """P from the phase phasors {name: [rms, degrees]}: sum of V I cos(angle between)."""
    return sum(phasors[v][0] * phasors[i][0] * math.cos(math.radians(phasors[v][1] - phasors[i][1]))
               for v, i in (("VA", "IA"), ("VB", "IB"), ("VC", "IC")))


def json_runs(source):
    lines2, lines3 = side_by_side("json", source)
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
        for name, (mag, deg) in a["phasors"].items():
            # PHUNIT (an integer) and PHSCALE (a float) differ in rounding only.
            check(abs(mag - b["phasors"][name][0]) <= 1e-6 * mag and deg == b["phasors"][name][1],
                  f"{key} {name}: CFG-2 {a['phasors'][name]}, CFG-3 {b['phasors'][name]}")
        check(a["analogs_raw"] == b["analogs_raw"], f"{key}: counts differ: {a['analogs_raw']} {b['analogs_raw']}")
        check(set(a["analogs"]) == {"P", "Q", "S"}, f"analog channels {sorted(a['analogs'])}")
        for name, v in a["analogs"].items():
            raw = a["analogs_raw"][name]
            check(isinstance(raw, int) and abs(raw) <= 32768, f"{key} {name}: count {raw}")
            if raw:
                w_per_count.add(v / raw)
        p = three_phase_power(a["phasors"])
        lsb = max(w_per_count) if w_per_count else 0
        # Integer phasors and P each carry a rounding error; counts would be 10^4 times off.
        check(abs(a["analogs"]["P"] - p) <= lsb + 3e-4 * abs(p), f"{key}: P {a['analogs']['P']} W, phasors give {p:.0f} W")
    check(len(w_per_count) == 1 and min(w_per_count) > 1, f"values per count {sorted(w_per_count)}, not one factor")
    return len(common), w_per_count.pop()


def csv_runs(source):
    rows = []
    for lines in side_by_side("csv", source):
        header = lines[0].split(",")
        check(header[-4:] == ["P", "Q", "S", "digital0"], f"CSV columns {header[-5:]}")
        rows.append({tuple(r[1:3]): r[-4:-1] for r in (l.split(",") for l in lines[1:])})
    common = set(rows[0]) & set(rows[1])
    check(len(common) >= N // 2, f"only {len(common)} CSV rows for the same reports")
    for key in common:
        check(rows[0][key] == rows[1][key], f"{key}: CFG-2 CSV analogs {rows[0][key]}, CFG-3 {rows[1][key]}")
    return len(common)


def served(fam, read_cfg):
    """A concentrator reads the device's CFG-`read_cfg` and serves its stream; clients
    reading either configuration of it must see the device's values."""
    conc = subprocess.Popen([PDC, "c37", "concentrate", f"-{fam}", HOST, "--cfg", read_cfg, "--serve", str(SERVE_PORT),
                             "--format", "none", "-d", "60"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", SERVE_PORT), timeout=1).close()
                break
            except OSError:
                check(time.monotonic() < deadline and conc.poll() is None, "the concentrator does not serve")
                time.sleep(0.05)
        source = ["-4", "127.0.0.1", "-p", str(SERVE_PORT), "--idcode", "1000"]
        n, factor = json_runs(source)
    finally:
        conc.send_signal(signal.SIGTERM)
        _, err = conc.communicate(timeout=30)
    check(conc.returncode == 0, f"concentrate exited {conc.returncode}: {err.decode(errors='replace')[-500:]}")
    check(b"cannot express" not in err, f"the device's CFG-3 is not exact in CFG-2: {err.decode(errors='replace')}")
    return n, factor


def main():
    fam = family_from_argv()
    direct = [f"-{fam}", HOST]
    n, factor = json_runs(direct)
    m = csv_runs(direct)
    print(f"integer analogs: {n} reports in JSON and {m} in CSV read alike with CFG-2 and CFG-3, {factor:.0f} W per count")
    for read_cfg in ("2", "3"):
        n, served_factor = served(fam, read_cfg)
        check(served_factor == factor, f"served stream: {served_factor} W per count, the device's {factor}")
        print(f"concentrator reading CFG-{read_cfg}: {n} served reports read alike with CFG-2 and CFG-3")


run(main)
