#!/usr/bin/env python3
"""The device behind the launcher's fault stage (pmu-netns --impair, pmu-impair): what
an unreliable lab network does to each service.

    test_impair.py FAMILY CASE [ARG]

  bulk      (the launcher impairs both ways: 10 % loss, 20 ms delay, 5 % reordered)
            CMD_floodme and echo stay byte-exact; the throughput of each is printed.
  ws        (the same link) the WebSocket service's answers stay exact.
  c37_udp   (the launcher drops ARG % of the frames from the device) a UDP stream at
            30 frames/s for 10 s loses what the link lost and nothing else: the gaps in
            the time stamps add up to a loss within four standard deviations of ARG %,
            and every frame that came is whole.
  outage    a TCP stream at 30 frames/s while the link is down for 5 s (SIGUSR1 to the
            stage): the connection survives, frames come again within 5 s of the link's
            return with time stamps of the present, and the device counts what it
            dropped for this PDC while the link was down.
  tls       (10 % loss both ways) TLS command sessions and the mutual-TLS console work
            on a lossy link.  (needs --pki)
"""
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from pmutest import *
import c37util

WIRE = "".join(f"This is PMU data {i}" for i in range(1, 11)).encode()


def timed(what, fn):
    started = time.monotonic()
    result = fn()
    return result, time.monotonic() - started


def case_bulk(fam):
    size = 100_000
    r, took = timed("floodme", lambda: pdc("floodme", f"-{fam}", HOST, "-n", size, "--json", "-t", "60", timeout=120))
    check(r.returncode == 0, f"pdc floodme: exit {r.returncode}: {r.stderr.decode(errors='replace')[-300:]}")
    summary = json.loads(r.stdout.decode().strip().splitlines()[-1])
    check(summary["content_ok"] and summary["size_ok"] and summary["bytes"] == size, f"floodme: {summary}")
    print(f"floodme {size} bytes exact in {took:.2f} s ({size * 8 / took / 1e3:.0f} kbit/s)")

    data = os.urandom(32 * 1024)
    got = bytearray()
    with connect(fam, PORT_ECHO, timeout=60) as s:
        started = time.monotonic()
        sender = threading.Thread(target=s.sendall, args=(data,))
        sender.start()
        while len(got) < len(data):
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                since = log_size()
                request_stats()  # the device's reason is in its tcp echo line (stalled, expired ...)
                wait_log(r"stats: end of report", since)
                check(False, f"echo reset by the device after {len(got)} of {len(data)} bytes "
                             f"({time.monotonic() - started:.1f} s)")
            check(b, f"echo closed after {len(got)} of {len(data)} bytes")
            got += b
        sender.join()
        took = time.monotonic() - started
    check(bytes(got) == data, "echo: the bytes that came back differ from those sent")
    print(f"echo {len(data)} bytes exact in {took:.2f} s ({len(data) * 8 / took / 1e3:.0f} kbit/s)")


def case_ws(fam):
    for i in range(3):
        r, took = timed("ws", lambda: pdc("ws", f"-{fam}", HOST, "CMD_short:0", timeout=120))
        check(r.returncode == 0, f"pdc ws #{i}: exit {r.returncode}: {r.stderr.decode(errors='replace')[-300:]}")
        check(r.stdout.replace(b"\n", b"") == WIRE, f"pdc ws CMD_short:0 printed {r.stdout[:200]!r}")
        print(f"WebSocket CMD_short:0 exact in {took:.2f} s")


def stream(fam, *extra, seconds=10):
    r = pdc("c37", "stream", f"-{fam}", HOST, "-d", seconds, "--format", "json", "-q", "--json", "-t", "10",
            *extra, timeout=seconds + 60)
    check(r.returncode == 0, f"pdc c37 stream: exit {r.returncode}: {r.stderr.decode(errors='replace')[-300:]}")
    lines = [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]
    frames = [l for l in lines if l.get("type") == "data"]
    return frames, lines[-1]


def instants(frames, rate):
    return [round((f["soc"] + f["fracsec"] / 1e6) * rate) for f in frames]


def case_c37_udp(fam):
    p = float(sys.argv[3]) / 100
    frames, summary = stream(fam, "--udp")
    rate = summary["data_rate"]
    ticks = instants(frames, rate)
    check(ticks == sorted(set(ticks)), "frames came twice or out of order over UDP")
    expected = ticks[-1] - ticks[0] + 1
    missing = expected - len(ticks)
    sigma = math.sqrt(expected * p * (1 - p))
    check(abs(missing - expected * p) <= 4 * sigma + 1,
          f"{missing} of {expected} frames missing; the link lost {p:.0%} (expected {expected * p:.0f} +- {4 * sigma:.0f})")
    check(summary["undecodable"] == 0 and summary["rejected"] == 0, f"damaged frames: {summary}")
    gaps = sum(1 for a, b in zip(ticks, ticks[1:]) if b - a > 1)
    print(f"UDP at {rate}/s through {p:.0%} loss: {len(ticks)} of {expected} frames, {missing} missing in {gaps} gaps")


def c37_pdc_drops(port):
    since = log_size()
    request_stats()
    wait_log(r"stats: c37 drops ", since)
    time.sleep(0.3)
    for m in log_lines(r"stats: (c37 pdc (\S+) .*)", since):
        if m.group(2).endswith(f":{port}"):
            return m.group(1)
    return None


def case_outage(fam):
    impair_pid = int(os.environ["PMU_IMPAIR_PID"])
    s = connect(fam, c37util.PORT_TCP, timeout=10)
    port = s.getsockname()[1]
    s.sendall(c37util.command(c37util.CMD_CFG2) + c37util.command(c37util.CMD_DATA_ON))
    splitter = c37util.Splitter()
    before = [f for f in c37util.read_frames(s, 3, splitter) if f.type == c37util.TYPE_DATA]
    check(len(before) > 30, f"only {len(before)} data frames in the first 3 s")
    os.kill(impair_pid, signal.SIGUSR1)  # the link goes away
    down_at = time.monotonic()
    time.sleep(5)
    os.kill(impair_pid, signal.SIGUSR1)  # and comes back
    up_at = time.monotonic()
    after = []
    while time.monotonic() - up_at < 15:
        after += [f for f in c37util.read_frames(s, 0.5, splitter) if f.type == c37util.TYPE_DATA]
        now = time.time()
        if after and abs(after[-1].soc + after[-1].fraction / 1e6 - now) < 1:
            break
    check(after, "no data frame within 15 s of the link's return")
    resumed = time.monotonic() - up_at
    check(resumed < 10, f"frames of the present came {resumed:.1f} s after the link returned")
    line = c37_pdc_drops(port)
    check(line is not None, "no report line for this PDC")
    dropped = sum(int(x) for x in re.findall(r"(?:queue|room|memory)=(\d+)", line))
    check(dropped > 0, f"the device counts nothing dropped for a PDC that was away 5 s: {line}")
    s.close()
    print(f"link down {up_at - down_at:.1f} s: stream current again {resumed:.1f} s after its return, "
          f"{len(after)} frames since; the device says: {line}")


def case_tls(fam):
    for i in range(3):
        r = pdc("tls", f"-{fam}", HOST, "CMD_short:0", timeout=120)
        check(r.returncode == 0 and r.stdout.replace(b"\n", b"") == WIRE,
              f"pdc tls #{i}: exit {r.returncode}: {r.stderr.decode(errors='replace')[-300:]}")
    r = console(f"-{fam}", "version")
    check(r.returncode == 0 and b"PMU firmware" in r.stdout,
          f"console: exit {r.returncode}: {r.stderr.decode(errors='replace')[-300:]}")
    print("3 TLS command sessions and a console session over 10 % loss")


CASES = {"bulk": case_bulk, "ws": case_ws, "c37_udp": case_c37_udp, "outage": case_outage, "tls": case_tls}


def main():
    fam = family_from_argv()
    check(len(sys.argv) > 2 and sys.argv[2] in CASES, f"usage: test_impair.py FAMILY {{{','.join(CASES)}}} [ARG]")
    check(os.environ.get("PMU_IMPAIR_PID"), "run me under pmu-netns --impair")
    CASES[sys.argv[2]](fam)


run(main)
