#!/usr/bin/env python3
"""The project's C37.118.2 known-answer frames (tests/data/c37118) checked against an
independent decoder: Wireshark's synphasor dissector. Every frame of every set is put
in a TCP stream of its own capture (text2pcap), in the order a PDC would see it, and
tshark must call its checksum good (bad for badcrc.hex), find no malformed frame, and
decode the values vectors.json expects. Needs no device.

    test_vectors_tshark.py DATA_DIR"""
import json
import math
import os
import re
import subprocess
import sys
import tempfile

DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "data", "c37118")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def capture(frames, tmp, name):
    """A pcap with each frame as one TCP segment to port 4712, in order."""
    text = os.path.join(tmp, name + ".txt")
    pcap = os.path.join(tmp, name + ".pcap")
    with open(text, "w") as f:
        for frame in frames:
            f.write("0000 " + " ".join(f"{b:02x}" for b in frame) + "\n")
    subprocess.run(["text2pcap", "-q", "-T", "40000,4712", text, pcap], check=True, capture_output=True)
    return pcap


def dissect(pcap):
    """tshark -V of the capture, one text block per synphasor frame."""
    r = subprocess.run(["tshark", "-n", "-r", pcap, "-d", "tcp.port==4712,synphasor", "-V"],
                       capture_output=True, timeout=120)
    if r.returncode != 0:
        sys.exit(f"tshark failed: {r.stderr.decode(errors='replace')}")
    text = r.stdout.decode(errors="replace")
    return [b for b in re.split(r"\n(?=Frame \d+: )", text) if "Synchrophasor Protocol" in b]


def field(block, pattern, conv=str):
    m = re.search(pattern, block)
    return conv(m.group(1)) if m else None


def close(a, b, tol):
    return a is not None and b is not None and abs(a - b) <= tol


def check_common(block, label, expect):
    check("[Checksum Status: Good]" in block, f"{label}: tshark does not call the checksum good")
    check("Malformed" not in block and "[Expert Info (Error" not in block, f"{label}: tshark reports an error")
    idcode = expect.get("idcode", expect.get("stream_idcode"))
    if idcode is not None:
        got = field(block, r"Stream source ID\): (\d+)", int)
        check(got == idcode, f"{label}: IDCODE {got}, expected {idcode}")
    if "fracsec" in expect:
        got = field(block, r"Fraction of second \(raw\): (\d+)", int)
        check(got == expect["fracsec"], f"{label}: FRACSEC {got}, expected {expect['fracsec']}")


def check_config(block, label, expect):
    check_common(block, label, expect)
    if "stn" in expect:
        got = field(block, r'Station(?: name| #\d+): "([^"]*)"', str.strip)
        check(got == expect["stn"], f"{label}: station {got!r}, expected {expect['stn']!r}")
    if "cfgcnt" in expect:
        got = field(block, r"Configuration change count: (\d+)", int)
        check(got == expect["cfgcnt"], f"{label}: CFGCNT {got}, expected {expect['cfgcnt']}")
    if "data_rate" in expect:
        got = field(block, r"Rate of transmission: (-?\d+)", int)
        check(got == expect["data_rate"], f"{label}: rate {got}, expected {expect['data_rate']}")
    if "time_base" in expect:
        got = field(block, r"Resolution of fractional second time stamp: (\d+)", int)
        check(got == expect["time_base"], f"{label}: TIME_BASE {got}, expected {expect['time_base']}")
    if "phnmr" in expect:
        got = field(block, r"Number of phasors: (\d+)", int)
        check(got == expect["phnmr"], f"{label}: {got} phasors, expected {expect['phnmr']}")


def check_data(block, label, expect):
    check_common(block, label, expect)
    check("Dissected using configuration from frame" in block, f"{label}: not dissected with a configuration")
    phasors = re.findall(r'Phasor #\d+: "[^"]*", +(-?[\d.]+)[VA] ∠ *(-?[\d.]+)° alt +(-?[\d.]+)\+j *(-?[\d.]+)[VA]'
                         r'(?:; unscaled: *(-?\d+), *(-?\d+))?', block)
    for i, raw in enumerate(expect.get("phasors_raw", [])):
        got = phasors[i][4:6] if i < len(phasors) else None
        check(got is not None and tuple(map(int, got)) == tuple(raw), f"{label}: phasor {i + 1} raw {got}, expected {raw}")
    for i, text in enumerate(expect.get("phasors_scaled", [])):
        mag, ang = (float(x) for x in re.match(r"(-?[\d.]+) [VA] @ (-?[\d.]+) deg", text).groups())
        got = phasors[i][:2] if i < len(phasors) else ("nan", "nan")
        check(close(float(got[0]), mag, 1e-3) and close(float(got[1]), ang, 1e-3),
              f"{label}: phasor {i + 1} {got}, expected {text}")
    for i, (re_, im) in enumerate(expect.get("phasors_rect", [])):
        got = phasors[i][2:4] if i < len(phasors) else ("nan", "nan")
        check(close(float(got[0]), re_, 1e-3) and close(float(got[1]), im, 1e-3),
              f"{label}: phasor {i + 1} {got}, expected {re_}+j{im}")
    for i, (mag, rad) in enumerate(expect.get("phasors_polar", [])):
        got = phasors[i][:2] if i < len(phasors) else ("nan", "nan")
        check(close(float(got[0]), mag, 1e-3) and close(float(got[1]), math.degrees(rad), 1e-3),
              f"{label}: phasor {i + 1} {got}, expected {mag} at {rad} rad")
    if "freq_hz" in expect:
        got = field(block, r"(?:Actual frequency value: |actual frequency: )(-?[\d.]+)", float)
        check(close(got, expect["freq_hz"], 1e-3), f"{label}: frequency {got}, expected {expect['freq_hz']}")
    analogs = [float(v) for v in re.findall(r'Analog value #\d+: "[^"]*", (-?[\d.e+-]+)', block)]
    if "analog" in expect:
        check(len(analogs) == len(expect["analog"]) and all(close(a, b, 1e-3) for a, b in zip(analogs, expect["analog"])),
              f"{label}: analog values {analogs}, expected {expect['analog']}")
    digital = [int(x, 16) for x in re.findall(r"Digital status word #\d+: 0x([0-9a-f]+)", block)]
    if "digital" in expect:
        want = [int(x, 16) for x in expect["digital"]]
        check(digital == want, f"{label}: digital words {digital}, expected {want}")
    if "stat" in expect and "trigger" in expect["stat"]:
        check("Trigger detected: Trigger" in block, f"{label}: STAT trigger bit not decoded")


def frame_type(frame):
    return (frame[1] >> 4) & 7


def main():
    with open(os.path.join(DATA, "vectors.json")) as f:
        vectors = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        checked = 0
        for name, entry in vectors.items():
            if not isinstance(entry, dict) or "source" not in entry:
                continue
            frames = [(key, bytes.fromhex(v)) for key, v in entry.items()
                      if isinstance(v, str) and re.fullmatch(r"aa[0-9a-f]+", v)]
            # Configuration frames first, so that tshark can dissect the data frames.
            frames.sort(key=lambda kv: frame_type(kv[1]) not in (2, 3, 5))
            blocks = dissect(capture([b for _, b in frames], tmp, re.sub(r"\W", "_", name)))
            check(len(blocks) == len(frames), f"{name}: tshark found {len(blocks)} of {len(frames)} frames")
            expected = entry.get("expected") or {}
            for (key, frame), block in zip(frames, blocks):
                label = f"{name}.{key}"
                kind = frame_type(frame)
                if kind in (2, 3, 5):
                    check_config(block, label, expected.get(key, {}))
                elif kind == 0:
                    check_data(block, label, expected.get(key, {}))
                else:
                    check_common(block, label, expected.get(key, {}))
                checked += 1
        # The hex files: the same frames per version, and frames that must be refused.
        for hexfile, good in (("v1.hex", True), ("v2.hex", True), ("cfg3.hex", True), ("badcrc.hex", False)):
            with open(os.path.join(DATA, hexfile)) as f:
                frames = [bytes.fromhex(line.strip()) for line in f if line.strip()]
            frames.sort(key=lambda b: frame_type(b) not in (2, 3, 5))
            blocks = dissect(capture(frames, tmp, hexfile.replace(".", "_")))
            check(len(blocks) == len(frames), f"{hexfile}: tshark found {len(blocks)} of {len(frames)} frames")
            for i, block in enumerate(blocks):
                if good:
                    check("[Checksum Status: Good]" in block, f"{hexfile} frame {i + 1}: checksum not good")
                else:
                    check("[Checksum Status: Bad]" in block, f"{hexfile} frame {i + 1}: tshark accepts the bad checksum")
                checked += 1
    if failures:
        sys.exit(f"{len(failures)} disagreement(s) between tshark and the vectors")
    print(f"tshark agrees with the vectors on {checked} frames")


if __name__ == "__main__":
    main()
