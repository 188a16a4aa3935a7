#!/usr/bin/env python3
"""Acceptance of a board's PMU (the launcher sets c37.rate=60): a 60 s C37.118.2 stream at
60 frames/s to two PDCs at once (pdc c37 stream, one over TCP 4712 and one over UDP 4713)
while the command service answers requests the whole time. No report may be dropped:
each PDC gets every report instant of its stream, consecutive on the 1/60 s UTC grid
with no gap, and as many as the time it streamed allows; the device counts no data it
dropped; every command is answered in full.

    test_c37_acceptance.py FAMILY [SECONDS]
"""
import json
import subprocess
import sys
import threading
import time

from pmutest import *

RATE = 60
WIRE = "".join(f"This is PMU data {i}" for i in range(1, 11)).encode()


def stream(fam, transport, seconds, out):
    r = subprocess.run([PDC, "c37", "stream", f"-{fam}", HOST, *transport, "-d", str(seconds), "--format", "json",
                        "--json", "-q"], capture_output=True, timeout=seconds + 60)
    out["rc"] = r.returncode
    out["stderr"] = r.stderr.decode(errors="replace")
    out["lines"] = r.stdout.decode().splitlines()


def check_stream(name, out, seconds):
    check(out.get("rc") == 0, f"{name}: pdc exited with {out.get('rc')}: {out.get('stderr', '')[-500:]}")
    summary = json.loads(out["lines"][-1])
    objs = [json.loads(l) for l in out["lines"][:-1]]
    data = [o for o in objs if o["type"] == "data"]
    check(summary["data_rate"] == RATE, f"{name}: data rate {summary['data_rate']}, not {RATE}")
    check(summary["undecodable"] == 0 and summary["config_changes"] == 0, f"{name}: {summary}")
    instants = [o["soc"] * RATE + round(o["fracsec"] * RATE / 1e6) for o in data]
    gaps = [(a, b) for a, b in zip(instants, instants[1:]) if b != a + 1]
    check(not gaps, f"{name}: {len(gaps)} gaps in the report instants, first {gaps[:3]}")
    expected = RATE * summary["seconds"]
    # pdc counts from its data on to its data off; the first and last report may fall
    # either side of those moments.
    check(len(data) >= expected - 2 * RATE * 0.1 - 2,
          f"{name}: {len(data)} reports in {summary['seconds']:.2f} s, {expected:.0f} expected at {RATE}/s")
    print(f"{name}: {len(data)} reports in {summary['seconds']:.2f} s, consecutive, none missing")
    return len(data)


def commands(fam, stop, counts):
    while not stop.is_set():
        got = command(fam, b"CMD_short:0")
        counts["sent"] += 1
        if got == WIRE:
            counts["ok"] += 1
        time.sleep(0.2)


def main():
    fam = family_from_argv()
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    since = log_size()
    tcp, udp = {}, {}
    pdcs = [threading.Thread(target=stream, args=(fam, [], seconds, tcp)),
            threading.Thread(target=stream, args=(fam, ["--udp"], seconds, udp))]
    stop = threading.Event()
    counts = {"sent": 0, "ok": 0}
    cmd = threading.Thread(target=commands, args=(fam, stop, counts))
    for t in pdcs:
        t.start()
    cmd.start()
    for t in pdcs:
        t.join()
    stop.set()
    cmd.join()
    n_tcp = check_stream("TCP PDC", tcp, seconds)
    n_udp = check_stream("UDP PDC", udp, seconds)
    check(counts["sent"] >= seconds * 2, f"only {counts['sent']} commands sent in {seconds} s")
    check(counts["ok"] == counts["sent"], f"{counts['sent'] - counts['ok']} of {counts['sent']} commands not answered")
    request_stats()
    m = wait_log(r"stats: c37 accepted=\d+ .* data=(\d+) dropped=(\d+)", since)
    check(int(m.group(2)) == 0, f"the device dropped {m.group(2)} data frames")
    check(int(m.group(1)) >= n_tcp + n_udp, f"the device sent {m.group(1)} data frames, the PDCs got {n_tcp + n_udp}")
    print(f"{n_tcp} + {n_udp} reports at {RATE}/s to two PDCs and {counts['ok']} commands answered")


run(main)
