#!/usr/bin/env python3
"""Several WebSocket clients at once: as many as the device serves (ws.max_clients: 8
on the simulator, a board profile's own) are served while one more gets 503 (and an
orderly close, no reset); the slots come back. Slow and silent clients do not block
the others and are dropped: no handshake (ws.handshake_timeout_s=2), no command
(tcp.idle_timeout_s=3) and a stalled reader (tcp.stall_timeout_s=3), all set by the
launcher."""
import json
import socket
import subprocess
import threading
import time

from pmutest import *
from wsraw import *

MESSAGES = [f"This is PMU data {i}" for i in range(1, 11)]


def main():
    fam = family_from_argv()

    n = session_limit("ws")
    # n raw clients, each holding its session for ~4.5 s (CMD_short:0.5).
    since = log_size()
    results = [None] * n

    def client(i):
        try:
            results[i] = command(fam, "CMD_short:0.5")
        except Exception as e:  # noqa: BLE001 - reported below
            results[i] = e
    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while len(log_lines(r'ws: .* "CMD_short:0.5"', since)) < n:
        check(time.monotonic() < deadline, f"the {n} sessions did not all start")
        time.sleep(0.05)
    # One more: 503 at once, then an orderly end of stream once it has spoken.
    with WsConn(fam) as c:
        c.send(upgrade_request()[0])
        status, headers = c.read_head()
        check(status == 503, f"client {n + 1} got {status}")
        body = c.read_exact(int(headers["content-length"]))
        check(body == b"too many WebSocket clients, try again later\n", f"503 body {body!r}")
        c.expect_tcp_close()
    wait_log(rf"ws: .* refused: all sessions busy \({n} of {n}\)", since)
    # pdc reports the refusal with exit status 4.
    summary, _ = pdc_json("ws", f"-{fam}", HOST, "CMD_short:0", expect_rc=4)
    check(summary.get("http_status") == 503 and summary["accept_verified"] is False, f"pdc on 503: {summary}")
    for t in threads:
        t.join(30)
    for i, r in enumerate(results):
        check(r == (MESSAGES, 1000, 10), f"client {i} of {n} got {r!r}")
    check(command(fam, "CMD_short:0")[0] == MESSAGES, "a client after the burst was not served")

    # n pdc processes at once, up to two of them flooding. (Two full send buffers fit the
    # 64 KiB lwIP heap; more would meet heap back-pressure, which stats count as
    # allocation failures and check_pools_drained refuses.)
    floods = tuple(i for i in (1, 5) if i < n)
    procs = [subprocess.Popen([PDC, "ws", f"-{fam}", HOST, "CMD_floodme:300000" if i in floods else "CMD_short:0.1",
                               "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(n)]
    for i, p in enumerate(procs):
        out, err = p.communicate(timeout=60)
        check(p.returncode == 0, f"pdc ws failed among {n}: {err.decode()}")
        s = json.loads(out.decode().splitlines()[-1])
        check(s["messages"] == (1 if i in floods else 10), f"pdc ws among {n}: {s}")

    # A client that connects and never speaks is dropped at the handshake timeout, and
    # one that is upgraded but sends no command at the idle timeout; others are served
    # meanwhile (both at once when there are slots for them and one more, else in turn).
    kinds = [("silent", "quiet")] if n >= 3 else [("silent",), ("quiet",)]
    patterns = {"silent": r"ws: .* aborted: no complete WebSocket handshake before the handshake timeout",
                "quiet": r"ws: .* aborted: no command before the idle timeout"}
    for group in kinds:
        since = log_size()
        slow = []
        for kind in group:
            c = WsConn(fam)
            if kind == "quiet":
                c.handshake()
            slow.append(c)
        t0 = time.monotonic()
        check(command(fam, "CMD_short:0")[0] == MESSAGES, f"service blocked by {' and '.join(group)} clients")
        for kind in group:
            wait_log(patterns[kind], since, timeout=10)
        check(time.monotonic() - t0 < 8, "the timeouts took too long")
        for c in slow:
            try:
                c.sock.settimeout(5)
                check(c.sock.recv(10) == b"", "a dropped client got data")
            except ConnectionResetError:
                pass
            c.close()

    # A stalled reader: asks for a large floodme and never reads. The device keeps
    # serving others, then drops it when nothing is acknowledged for the timeout.
    since = log_size()
    stalled = WsConn(fam)
    stalled.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.handshake()
    stalled.send(frame(TEXT, b"CMD_floodme:500000000"))
    check(command(fam, "CMD_short:0")[0] == MESSAGES, "service blocked by a stalled reader")
    wait_log(r"ws: .* aborted: nothing acknowledged for the stall time", since, timeout=20)
    stalled.close()

    check_pools_drained("websocket load")


run(main)
