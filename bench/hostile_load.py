#!/usr/bin/env python3
"""A mixed hostile load against one device, for a bounded time, while a well-behaved
PDC streams C37.118.2 from it. Run inside the launcher's namespace with a PKI
(bench/hostile_load.sh does that):

    hostile_load.py SECONDS [RATE]

Rounds of attacks follow each other until SECONDS have passed: connection floods held
on every TCP port, spoofed SYNs to every TCP port, clients that stop reading (echo,
CMD_floodme, a WebSocket floodme), TLS handshake floods (plain connections and
ClientHellos that stop half-way) on 5007 and 5008, an oversized TLS record, UDP PDCs
that turn data on and vanish. Every round also checks that the operator's console and
a TLS command are served. At the end it requires that the well-behaved PDC's stream
had no missing report (consecutive time stamps at RATE) and that the device's pools
are back at their resting level with no allocation failure. Exit status 0 on success.
"""
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "system"))
from pmutest import *  # noqa: E402
import c37util  # noqa: E402
import test_hostile as attacks  # noqa: E402

TCP_PORTS = (PORT_ECHO, PORT_CMD, 5006, c37util.PORT_TCP, PORT_TLS, PORT_CONSOLE)
counts = {}


def count(what, n=1):
    counts[what] = counts.get(what, 0) + n


def flood_every_port(fam):
    held = []
    for port in TCP_PORTS:
        held += attacks.open_many(fam, port, 30, timeout=1)
    count("flood connections opened", len(held))
    time.sleep(3)
    attacks.close_all(held)


def spoofed_syns(fam):
    for i, port in enumerate(TCP_PORTS):
        saved = attacks.PORT_CMD
        attacks.PORT_CMD = port  # send_spoofed_syns aims at the command port
        try:
            attacks.send_spoofed_syns(fam, 16, 100 + (i * 16) % 120)
        finally:
            attacks.PORT_CMD = saved
        count("spoofed SYNs", 16)


def stalled_readers(fam):
    socks = []
    for _ in range(4):
        s = connect(fam, PORT_ECHO)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        s.setblocking(False)
        try:
            for _ in range(64):
                s.send(b"s" * 8192)
        except (BlockingIOError, OSError):
            pass
        socks.append(s)
    for _ in range(4):
        s = connect(fam, PORT_CMD)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        s.sendall(b"CMD_floodme:100000000\n")
        socks.append(s)
    ws = attacks.ws_upgrade(fam)
    ws.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    ws.sendall(bytes([0x81, 0x80 | 21, 1, 2, 3, 4]) + bytes(b ^ (1, 2, 3, 4)[i % 4] for i, b in enumerate(b"CMD_floodme:100000000")))
    socks.append(ws)
    count("stalled readers", len(socks))
    return socks


def handshake_flood(fam):
    socks = []
    # A ClientHello that stops after its first bytes, and plain connections that say nothing.
    partial = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]) + os.urandom(20)
    for port in (PORT_TLS, PORT_CONSOLE):
        for i in range(5):
            try:
                s = connect(fam, port, timeout=1)
                if i % 2:
                    s.sendall(partial)
                socks.append(s)
            except OSError:
                pass
    count("handshake flood connections", len(socks))
    return socks


def oversized_record(fam):
    try:
        s = tls_connect(fam, PORT_TLS)
        s.settimeout(5)
        s.sendall(b"C" * 16384)
        s.recv(10)
    except Exception:  # the alert (or the reset) is the expected answer
        pass
    count("oversized TLS records")


def vanishing_udp_pdcs(fam):
    for _ in range(4):
        with socket.socket(af(fam), socket.SOCK_DGRAM) as u:
            u.sendto(c37util.command(c37util.CMD_DATA_ON), (address(fam), c37util.PORT_UDP))
    count("vanished UDP PDCs", 4)


def operator_served(fam):
    deadline = time.monotonic() + 15
    while True:
        r = console(f"-{fam}", "uptime")
        if r.returncode == 0 and b"up " in r.stdout:
            count("console sessions served")
            return
        count("console attempts refused")
        check(time.monotonic() < deadline, f"the console was not served for 15 s: {r.stderr.decode(errors='replace')[-200:]}")
        time.sleep(0.5)


def tls_command_served(fam):
    deadline = time.monotonic() + 15
    while True:
        try:
            if tls_command(fam, b"CMD_time").endswith(b"Z\n"):
                count("TLS commands served")
                return
        except (OSError, ValueError):
            pass
        count("TLS command attempts refused")
        check(time.monotonic() < deadline, "the TLS command service was not served for 15 s")
        time.sleep(0.5)


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    rate = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    fam = 4
    baseline = device_stats()
    out = open("/tmp/hostile_load_stream.jsonl", "w")
    stream = subprocess.Popen([PDC, "c37", "stream", "-4", HOST, "-d", str(seconds + 5), "--format", "json", "-q",
                               "--json", "-t", "10"], stdout=out, stderr=subprocess.PIPE)
    time.sleep(2)
    started = time.monotonic()
    rounds = 0
    while time.monotonic() - started < seconds:
        rounds += 1
        held = stalled_readers(fam) + handshake_flood(fam)
        spoofed_syns(fam)
        vanishing_udp_pdcs(fam)
        flood_every_port(fam)
        oversized_record(fam)
        operator_served(fam)
        tls_command_served(fam)
        time.sleep(2)
        attacks.close_all(held)
    rc = stream.wait(timeout=seconds + 60)
    out.close()
    check(rc == 0, f"the well-behaved PDC's stream failed: {stream.stderr.read().decode(errors='replace')[-300:]}")
    frames = [json.loads(l) for l in open("/tmp/hostile_load_stream.jsonl") if l.startswith('{"type": "data"')]
    steps = [round(((b["soc"] - a["soc"]) + (b["fracsec"] - a["fracsec"]) / 1e6) * rate) for a, b in zip(frames, frames[1:])]
    missing = sum(s - 1 for s in steps if s > 1)
    gaps = [(a["soc"], a["fracsec"], s) for a, s in zip(frames, steps) if s != 1]
    check(missing == 0 and all(s == 1 for s in steps),
          f"{missing} reports missing from the well-behaved PDC's stream of {len(frames)}: {gaps[:10]}")
    check(len(frames) >= seconds * rate, f"only {len(frames)} data frames in {seconds + 5} s")
    # Stalled and half-open connections are gone within their bounds; then the pools rest.
    time.sleep(12)
    check_pools_drained("after the hostile load")
    end = device_stats()
    print(f"{rounds} rounds in {time.monotonic() - started:.0f} s; well-behaved PDC: {len(frames)} reports at "
          f"{rate}/s, none missing")
    for k, v in counts.items():
        print(f"  {k}: {v}")
    for pool in ("TCP_PCB", "ALTCP_PCB", "PBUF_POOL", "TCP_SEG", "heap"):
        if pool in end:
            print(f"  {pool}: used {end[pool][0]} (resting {baseline[pool][0] if pool != 'heap' else end['heap_resting']}), "
                  f"peak {end[pool][1]} of {end[pool][2]}, failures {end[pool][3]}")
    lines = log_lines(r"stats: tcp (\S+) pcbs<=\d+ (.*)")
    for m in lines[-6:]:
        print(f"  tcp {m.group(1)}: {m.group(2)}")


run(main)
