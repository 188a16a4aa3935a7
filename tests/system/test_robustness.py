#!/usr/bin/env python3
"""Malformed, unknown and oversized commands get their exact ERROR line while other
clients are served; silent clients are dropped after the idle timeout and clients that
stop reading after the stall timeout (the launcher sets both to 3 s) without blocking
anyone."""
import socket
import threading

from pmutest import *

WIRE = "".join(f"This is PMU data {i}" for i in range(1, 11)).encode()

CASES = [
    (b"CMD_unknown", b"ERROR unknown command\n"),
    (b"cmd_short:1", b"ERROR unknown command\n"),
    (b"CMD_short", b"ERROR bad delay: expected seconds from 0 to 10\n"),
    (b"CMD_short:abc", b"ERROR bad delay: expected seconds from 0 to 10\n"),
    (b"CMD_short:-1", b"ERROR bad delay: expected seconds from 0 to 10\n"),
    (b"CMD_short:10.5", b"ERROR bad delay: expected seconds from 0 to 10\n"),
    (b"CMD_short:0.0001", b"ERROR bad delay: at most millisecond resolution\n"),
    (b"CMD_floodme:0", b"ERROR bad size: must be at least 1 byte\n"),
    (b"CMD_floodme:lots", b"ERROR bad size: expected a whole number of bytes\n"),
    (b"CMD_time", b"ERROR CMD_time is served over TLS only (port 5007)\n"),
    (b"", b"ERROR empty command\n"),
    (b"   \r", b"ERROR empty command\n"),
    (b"CMD_short:\x00", b"ERROR command is not printable ASCII text\n"),
    (b"\xff\xfe\xfd", b"ERROR command is not printable ASCII text\n"),
    (b"A" * 200, b"ERROR command too long\n"),
]


def main():
    fam = family_from_argv()

    # A long-running client that must not notice anything below.
    background = {}
    def steady():
        background["data"] = command(fam, b"CMD_short:0.4")
    t = threading.Thread(target=steady)
    t.start()

    for text, answer in CASES:
        got = command(fam, text)
        check(got == answer, f"{text[:40]!r}: got {got!r}, expected {answer!r}")
    # Oversized without any line end, sent as one blast: answered and closed, the
    # rest of the blast discarded.
    with connect(fam, PORT_CMD) as s:
        try:
            s.sendall(b"B" * 1_000_000)
        except (ConnectionResetError, BrokenPipeError):
            pass
        try:
            data, _ = recv_until_close(s)
        except ConnectionResetError:
            data = b""
        check(data.startswith(b"ERROR command too long") or data == b"", f"blast answered {data[:60]!r}")
    # pdc reports an ERROR answer with exit status 4.
    r = pdc("command", f"-{fam}", HOST, "CMD_nonsense")
    check(r.returncode == 4 and r.stdout == b"ERROR unknown command\n", f"pdc command: {r.returncode} {r.stdout!r}")
    r = pdc("short", f"-{fam}", HOST, "11")
    check(r.returncode == 2, "pdc short accepted an invalid delay")

    # A silent client (connects, never sends) does not block others, and is dropped.
    # The steady client, the silent one and the next need three sessions; with fewer (a
    # board profile's 2) the steady client finishes first.
    if session_limit("cmd") < 3:
        t.join(30)
    since = log_size()
    silent = connect(fam, PORT_CMD)
    check(command(fam, b"CMD_short:0") == WIRE, "service blocked by a silent client")
    wait_log(r"cmd: .* aborted: no command before the idle timeout", since, timeout=15)
    silent.settimeout(5)
    try:
        check(silent.recv(10) == b"", "silent client got data")
    except ConnectionResetError:
        pass
    silent.close()

    # A stalled reader: asks for a large floodme and never reads. The device keeps
    # serving others, then drops it when no data is acknowledged for the timeout.
    since = log_size()
    stalled = connect(fam, PORT_CMD)
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.sendall(b"CMD_floodme:500000000\n")
    check(command(fam, b"CMD_short:0") == WIRE, "service blocked by a stalled reader")
    wait_log(r"cmd: .* aborted: nothing acknowledged for the stall time", since, timeout=20)
    stalled.close()

    # The same for the echo service: a client that sends but never reads its echo.
    since = log_size()
    hog = connect(fam, PORT_ECHO)
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    hog.setblocking(False)
    sent = 0
    try:
        for _ in range(2000):
            sent += hog.send(b"z" * 65536)
    except BlockingIOError:
        pass
    with connect(fam, PORT_ECHO) as other:
        other.sendall(b"ping\n")
        check(other.recv(10) == b"ping\n", "echo blocked by a client that does not read")
    wait_log(r"echo: .* aborted: nothing acknowledged for the stall time", since, timeout=20)
    hog.close()

    t.join(30)
    check(background.get("data") == WIRE, f"the steady client was disturbed: {background.get('data')!r}")
    check_pools_drained("robustness")


run(main)
