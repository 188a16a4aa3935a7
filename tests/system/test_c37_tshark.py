#!/usr/bin/env python3
"""Interop with Wireshark: tshark decodes a capture of the device's TCP stream as
synphasor with no bad checksum and no malformed frame, decodes the data frames with the
device's CFG-2, and agrees with pdc c37 stream's decoding field by field."""
import datetime
import json
import re
import subprocess
import time

from pmutest import *

N = 30


def tshark(*args):
    r = subprocess.run(["tshark", "-n", "-r", PCAP, "-d", "tcp.port==4712,synphasor", *args],
                       capture_output=True, timeout=120)
    check(r.returncode == 0, f"tshark failed: {r.stderr.decode(errors='replace')}")
    return r.stdout.decode(errors="replace")


def parse_verbose(text):
    """Data frames of tshark -V: {(soc, fracsec): fields}."""
    frames = {}
    for block in re.split(r"\n(?=Frame \d+: )", text):
        if "Data Frame [correct]" not in block:
            continue
        f = {"phasors": {}, "analogs": {}}
        m = re.search(r"SOC time stamp: (\w+ +\d+, \d+ \d+:\d+:\d+)\.\d+ UTC", block)
        soc = int(datetime.datetime.strptime(re.sub(" +", " ", m.group(1)), "%b %d, %Y %H:%M:%S")
                  .replace(tzinfo=datetime.timezone.utc).timestamp())
        frac = int(re.search(r"Fraction of second \(raw\): (\d+)", block).group(1))
        f["idcode"] = int(re.search(r"Stream source ID\): (\d+)", block).group(1))
        f["tq"] = int(re.search(r"Message Time Quality indicator code: .*\(0x([0-9a-f]+)\)", block).group(1), 16)
        f["pmu_tq"] = int(re.search(r"PMU Time Quality: .*\(0x([0-9a-f]+)\)", block).group(1), 16)
        f["cfg_frame"] = int(re.search(r"Dissected using configuration from frame: (\d+)", block).group(1))
        for name, mag, ang in re.findall(r'Phasor #\d+: "(\S+)\s*", +(-?[\d.]+)[VA] ∠ *(-?[\d.]+)°', block):
            f["phasors"][name] = (float(mag), float(ang))
        f["freq"] = float(re.search(r"Actual frequency value: (-?[\d.e+-]+)", block).group(1))
        f["rocof"] = float(re.search(r"Rate of change of frequency: (-?[\d.e+-]+)", block).group(1))
        for name, v in re.findall(r'Analog value #\d+: "(\S+)\s*", (-?[\d.e+-]+)', block):
            f["analogs"][name] = float(v)
        f["digital"] = [int(x, 16) for x in re.findall(r"Digital status word #\d+: 0x([0-9a-f]+)", block)]
        frames[(soc, frac)] = f
    return frames


def main():
    fam = family_from_argv()
    check(PCAP, "this test needs pmu-netns --pcap")
    summary, lines = pdc_json("c37", "stream", f"-{fam}", HOST, "-n", N, "--format", "json", "-q")
    ours = {(o["soc"], o["fracsec"]): o for o in map(json.loads, lines) if o["type"] == "data"}
    check(len(ours) == N, f"pdc decoded {len(ours)} frames")
    # The capture is flushed frame by frame; wait until tshark sees every data frame.
    deadline = time.monotonic() + 10
    while True:
        theirs = parse_verbose(tshark("-Y", "synphasor.frtype == 0", "-V"))
        if all(k in theirs for k in ours):
            break
        check(time.monotonic() < deadline, f"tshark sees {len(theirs)} data frames, pdc {len(ours)}")
        time.sleep(0.2)
    rows = [l.split("\t") for l in tshark("-Y", "synphasor", "-T", "fields", "-e", "frame.number", "-e",
                                          "synphasor.frtype", "-e", "synphasor.checksum.status").splitlines() if l]
    types = {int(n): int(t, 16) for n, t, _ in rows}
    bad = [r for r in rows if r[2] != "1"]
    check(not bad, f"frames whose checksum tshark does not call good: {bad[:5]}")
    malformed = tshark("-Y", "_ws.malformed || _ws.expert.severity >= 8388608").strip()
    check(not malformed, f"tshark reports malformed frames or errors:\n{malformed[:500]}")
    check({0, 1, 3, 4} <= set(types.values()), f"frame types seen {sorted(set(types.values()))}")
    compared = 0
    for key, o in ours.items():
        t = theirs[key]
        p = o["pmus"][0]
        check(types.get(t["cfg_frame"]) == 3, f"data frame dissected with frame {t['cfg_frame']}, not a CFG-2")
        check(t["idcode"] == o["idcode"] and t["tq"] == o["tq"], f"{key}: IDCODE or time quality differ")
        check(t["pmu_tq"] == (int(p["stat"], 16) >> 6) & 7, f"{key}: STAT time quality differs")
        check(abs(t["freq"] - p["freq"]) < 1e-3 and abs(t["rocof"] - p["rocof"]) < 1e-3, f"{key}: FREQ/DFREQ differ")
        check(set(t["phasors"]) == set(p["phasors"]), f"{key}: phasor names differ")
        for name, (mag, ang) in t["phasors"].items():
            omag, oang = p["phasors"][name]
            check(abs(mag - omag) <= 0.0015 + 1e-6 * abs(omag), f"{key} {name}: magnitude {mag} vs {omag}")
            d = (ang - oang + 180) % 360 - 180
            check(abs(d) <= 0.0015, f"{key} {name}: angle {ang} vs {oang}")
        for name, v in t["analogs"].items():
            check(abs(v - p["analogs"][name]) <= 1e-6 * abs(v) + 0.01, f"{key} {name}: {v} vs {p['analogs'][name]}")
        check(t["digital"] == p["digital"], f"{key}: digital words differ")
        compared += 1
    print(f"{compared} data frames agree field by field with tshark; {len(rows)} synphasor frames, all checksums good")


run(main)
