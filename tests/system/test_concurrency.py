#!/usr/bin/env python3
"""Eight clients at once on the command and echo services; a ninth is refused cleanly
while the eight keep working; afterwards the service takes new clients again."""
import json
import socket
import subprocess
import threading
import time

from pmutest import *

WIRE = "".join(f"This is PMU data {i}" for i in range(1, 11)).encode()


def main():
    fam = family_from_argv()

    # Eight raw clients, each holding its session for ~4.5 s (CMD_short:0.5).
    since = log_size()
    results = [None] * 8
    def client(i):
        try:
            results[i] = command(fam, b"CMD_short:0.5")
        except Exception as e:  # noqa: BLE001 - reported below
            results[i] = e
    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    # Wait until the device has all eight running, then knock a ninth time.
    deadline = time.monotonic() + 10
    while len(log_lines(r'cmd: .* "CMD_short:0.5"', since)) < 8:
        check(time.monotonic() < deadline, "the eight sessions did not all start")
        time.sleep(0.05)
    ninth = command(fam, b"CMD_short:0")
    check(ninth == b"ERROR busy: too many clients, try again later\n", f"ninth client got {ninth!r}")
    wait_log(r"cmd: .* refused: all sessions busy \(8 of 8\)", since)
    for t in threads:
        t.join(30)
    for i, r in enumerate(results):
        check(r == WIRE, f"client {i} of 8 got {r!r}")
    # Capacity is back.
    check(command(fam, b"CMD_short:0") == WIRE, "a client after the burst was not served")

    # Eight pdc processes at once.
    procs = [subprocess.Popen([PDC, "short", f"-{fam}", HOST, "0.1", "--json"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(8)]
    for p in procs:
        out, err = p.communicate(timeout=60)
        check(p.returncode == 0, f"pdc short failed among eight: {err.decode()}")
        check(json.loads(out.decode().splitlines()[-1])["messages"] == 10, "pdc short: wrong message count")

    # Echo: eight sessions open at once all echo; a ninth is reset, the eight go on.
    sessions = [connect(fam, PORT_ECHO) for _ in range(8)]
    for i, s in enumerate(sessions):
        s.sendall(f"session {i}\n".encode())
    for i, s in enumerate(sessions):
        check(s.recv(100) == f"session {i}\n".encode(), f"echo session {i}")
    since = log_size()
    refused = False
    try:
        with connect(fam, PORT_ECHO) as extra:
            extra.sendall(b"x")
            refused = extra.recv(10) == b""
    except (ConnectionResetError, BrokenPipeError):
        refused = True
    check(refused, "a ninth echo session was served")
    wait_log(r"echo: .* refused: all sessions busy \(8 of 8\)", since)
    for i, s in enumerate(sessions):
        s.sendall(b"still here")
        check(s.recv(100) == b"still here", f"echo session {i} disturbed by the refusal")
        s.close()
    wait_log(r"echo: .* closed by peer", since)

    # Four clients pulling 16 MiB each at once: the bulk answers stay out of the last
    # quarter of the lwIP heap, so others are still served and no allocation fails
    # (check_pools_drained checks the heap's failure counter).
    floods = [subprocess.Popen([PDC, "floodme", f"-{fam}", HOST, "-n", str(16 << 20), "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    check(command(fam, b"CMD_short:0") == WIRE, "a short client during four floodme answers")
    with connect(fam, PORT_ECHO) as s:
        s.sendall(b"during the flood\n")
        check(s.recv(100) == b"during the flood\n", "echo during four floodme answers")
    for p in floods:
        out, err = p.communicate(timeout=120)
        check(p.returncode == 0, f"a floodme among four failed: {err.decode()}")
        summary = json.loads(out.decode().splitlines()[-1])
        check(summary["content_ok"] and summary["bytes"] == 16 << 20, f"floodme among four: {summary}")
    check_pools_drained("concurrency")


run(main)
