#!/usr/bin/env python3
"""The header frame is optional for a PMU (IEEE C37.118.2): pdc c37 stream waits for it
at most 2 s (TCP: one request; UDP: two requests a second apart), says on standard
error that it goes on without it, and streams; the JSON summary says no header came.
A PMU that does answer still has its header read and shown. The PMU is a fake
(c37fake.py) on loopback, IPv4 and IPv6, over TCP and UDP: the real device always
answers the header request.

    test_c37_no_header.py PDC"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from c37fake import FakePmu, known_answer_frames  # noqa: E402
from c37util import CMD_CFG2, CMD_DATA_OFF, CMD_DATA_ON, CMD_HEADER  # noqa: E402
from pmutest import check, run  # noqa: E402

PDC = sys.argv[1] if len(sys.argv) > 1 else "pdc"
N = 10
TIMEOUT = 10  # -t: far above the header's bound, so waiting -t for it would show


def stream(pmu, host, *extra):
    args = [PDC, "c37", "stream", host, "-p", str(pmu.port), "-n", str(N), "--format", "json", "--json",
            "-t", str(TIMEOUT), *(["--udp"] if pmu.udp else []), *extra]
    t0 = time.monotonic()
    r = subprocess.run(args, capture_output=True, timeout=60)
    seconds = time.monotonic() - t0
    out, err = r.stdout.decode(errors="replace").splitlines(), r.stderr.decode(errors="replace")
    what = f"{' '.join(args[1:])}"
    check(r.returncode == 0, f"{what}: exit {r.returncode}\nstdout: {out[-3:]}\nstderr: {err}")
    check(out and out[-1].startswith("{"), f"{what}: no JSON summary: {out[-3:]}")
    data = [json.loads(l) for l in out[:-1]]
    return json.loads(out[-1]), data, err, seconds


def check_stream(what, summary, data):
    check(summary["frames"] == N and summary["undecodable"] == 0, f"{what}: summary {summary}")
    check(summary["idcode"] == 7734 and summary["station"] == "Station A", f"{what}: not the fake's CFG-2: {summary}")
    values = [o for o in data if o["type"] == "data"]
    check(len(values) == N, f"{what}: {len(values)} data lines")
    check(values[-1]["pmus"][0]["analogs"] == {"ANALOG1": 100, "ANALOG2": 1000, "ANALOG3": 10000},
          f"{what}: analogs {values[-1]['pmus'][0]['analogs']}")


def without_header(host, udp):
    what = f"{'UDP' if udp else 'TCP'} {host}, no header"
    with FakePmu(host, udp=udp) as pmu:
        summary, data, err, seconds = stream(pmu, host, "-q")
        pmu.wait_for(CMD_DATA_OFF)
        codes, times = pmu.codes(), [t for t, c in pmu.commands if c in (CMD_HEADER, CMD_CFG2)]
    check_stream(what, summary, data)
    check(summary["header_received"] is False and summary["header_bytes"] == 0, f"{what}: summary {summary}")
    notes = [l for l in err.splitlines() if "no header frame" in l]
    check(len(notes) == 1 and "within 2 s; going on without it (the header is optional)" in notes[0],
          f"{what}: standard error does not say it goes on without the header: {err!r}")
    # TCP: one request, answered or not; UDP: the request and one repetition a second later.
    asked = [CMD_HEADER] * (2 if udp else 1)
    check(codes == asked + [CMD_CFG2, CMD_DATA_ON, CMD_DATA_OFF], f"{what}: commands {codes}")
    waited = times[-1] - times[0]
    check(1.8 <= waited <= 3.0, f"{what}: asked for the configuration {waited:.2f} s after the header, not ~2 s")
    check(seconds < TIMEOUT - 3, f"{what}: took {seconds:.1f} s: waited -t {TIMEOUT} s for the header?")
    print(f"{what}: {N} frames in {seconds:.1f} s; configuration asked {waited:.2f} s after the header")


def with_header(host, udp):
    what = f"{'UDP' if udp else 'TCP'} {host}, header"
    with FakePmu(host, udp=udp, header=known_answer_frames()["header"]) as pmu:
        summary, data, err, seconds = stream(pmu, host)
        pmu.wait_for(CMD_DATA_OFF)
        codes = pmu.codes()
    check_stream(what, summary, data)
    check(summary["header_received"] is True and summary["header_bytes"] == len("Hello I'm Header Frame."),
          f"{what}: summary {summary}")
    check("header: Hello I'm Header Frame.\n" in err and "no header frame" not in err, f"{what}: stderr {err!r}")
    check(codes == [CMD_HEADER, CMD_CFG2, CMD_DATA_ON, CMD_DATA_OFF], f"{what}: commands {codes}")
    check(seconds < 1.8, f"{what}: took {seconds:.1f} s although the header came at once")
    print(f"{what}: {N} frames in {seconds:.1f} s")


def main():
    for host in ("127.0.0.1", "::1"):
        for udp in (False, True):
            without_header(host, udp)
            with_header(host, udp)


run(main)
