#!/usr/bin/env python3
"""As many clients at once as the command and echo services serve (8 on the simulator,
a board profile's own limit); one more is refused cleanly while the others keep
working; afterwards the service takes new clients again."""
import json
import socket
import subprocess
import threading
import time

from pmutest import *

WIRE = "".join(f"This is PMU data {i}" for i in range(1, 11)).encode()


def main():
    fam = family_from_argv()

    n = session_limit("cmd")
    # n raw clients, each holding its session for ~4.5 s (CMD_short:0.5).
    since = log_size()
    results = [None] * n
    def client(i):
        try:
            results[i] = command(fam, b"CMD_short:0.5")
        except Exception as e:  # noqa: BLE001 - reported below
            results[i] = e
    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    # Wait until the device has all of them running, then knock once more.
    deadline = time.monotonic() + 10
    while len(log_lines(r'cmd: .* "CMD_short:0.5"', since)) < n:
        check(time.monotonic() < deadline, f"the {n} sessions did not all start")
        time.sleep(0.05)
    extra = command(fam, b"CMD_short:0")
    check(extra == b"ERROR busy: too many clients, try again later\n", f"client {n + 1} got {extra!r}")
    wait_log(rf"cmd: .* refused: all sessions busy \({n} of {n}\)", since)
    for t in threads:
        t.join(30)
    for i, r in enumerate(results):
        check(r == WIRE, f"client {i} of {n} got {r!r}")
    # Capacity is back.
    check(command(fam, b"CMD_short:0") == WIRE, "a client after the burst was not served")

    # n pdc processes at once.
    procs = [subprocess.Popen([PDC, "short", f"-{fam}", HOST, "0.1", "--json"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(n)]
    for p in procs:
        out, err = p.communicate(timeout=60)
        check(p.returncode == 0, f"pdc short failed among {n}: {err.decode()}")
        check(json.loads(out.decode().splitlines()[-1])["messages"] == 10, "pdc short: wrong message count")

    # Echo: as many sessions as it serves, open at once, all echo; one more is reset,
    # the others go on.
    n = session_limit("echo")
    sessions = [connect(fam, PORT_ECHO) for _ in range(n)]
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
    check(refused, f"echo session {n + 1} was served")
    wait_log(rf"echo: .* refused: all sessions busy \({n} of {n}\)", since)
    for i, s in enumerate(sessions):
        s.sendall(b"still here")
        check(s.recv(100) == b"still here", f"echo session {i} disturbed by the refusal")
        s.close()
    wait_log(r"echo: .* closed by peer", since)

    # Up to four clients pulling 16 MiB each at once, one command slot left for a short
    # client: the bulk answers stay out of the last quarter of the lwIP heap, so others
    # are still served and no allocation fails (check_pools_drained checks the heap's
    # failure counter).
    k = min(4, session_limit("cmd") - 1)
    floods = [subprocess.Popen([PDC, "floodme", f"-{fam}", HOST, "-n", str(16 << 20), "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(k)]
    check(command(fam, b"CMD_short:0") == WIRE, f"a short client during {k} floodme answers")
    with connect(fam, PORT_ECHO) as s:
        s.sendall(b"during the flood\n")
        check(s.recv(100) == b"during the flood\n", f"echo during {k} floodme answers")
    for p in floods:
        out, err = p.communicate(timeout=120)
        check(p.returncode == 0, f"a floodme among {k} failed: {err.decode()}")
        summary = json.loads(out.decode().splitlines()[-1])
        check(summary["content_ok"] and summary["bytes"] == 16 << 20, f"floodme among {k}: {summary}")
    check_pools_drained("concurrency")


run(main)
