#!/usr/bin/env python3
"""CMD_short:0 and CMD_short:1 give exactly "This is PMU data 1" ... "10", with pdc and
with a raw client written from docs/PROTOCOL.md; every way of ending the command works."""
import socket
import time

from pmutest import *

EXPECTED = [f"This is PMU data {i}" for i in range(1, 11)]
WIRE = "".join(EXPECTED).encode()


def main():
    fam = family_from_argv()
    flag = f"-{fam}"

    for delay in ("0", "1"):
        summary, lines = pdc_json("short", flag, HOST, delay)
        check(lines == EXPECTED, f"CMD_short:{delay} printed {lines}")
        check(summary["messages"] == 10 and summary["bytes"] == len(WIRE) and summary["sequence_ok"],
              f"CMD_short:{delay} summary {summary}")
        check(summary["family"] == f"ipv{fam}", f"used {summary['family']}")
        if delay == "1":
            # One message a second: ten separate arrivals, nine pauses.
            check(summary["recv_calls"] == 10, f"CMD_short:1 took {summary['recv_calls']} receive calls")
            check(summary["elapsed_s"] >= 8.9, f"CMD_short:1 finished after {summary['elapsed_s']} s")

    # A raw client: the stream is exactly the ten messages back to back, no separators.
    check(command(fam, b"CMD_short:0") == WIRE, "raw CMD_short:0 stream differs")

    # With d > 0 each message arrives on its own and at least d apart.
    with connect(fam, PORT_CMD) as s:
        s.sendall(b"CMD_short:0.3\r\n")
        s.settimeout(10)
        arrivals, data = [], b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            arrivals.append(time.monotonic())
            data += b
        check(data == WIRE, "CMD_short:0.3 stream differs")
        check(len(arrivals) == 10, f"CMD_short:0.3 arrived in {len(arrivals)} pieces")
        gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
        check(min(gaps) >= 0.25, f"messages closer than the 0.3 s delay: {gaps}")

    # A bare command (no line feed) is executed after a short silence ...
    since = log_size()
    check(command(fam, b"CMD_short:0", newline=False) == WIRE, "bare command answer differs")
    # ... and one ended by a half-close right away.
    with connect(fam, PORT_CMD) as s:
        s.sendall(b"  CMD_short:0  ")
        s.shutdown(socket.SHUT_WR)
        data, _ = recv_until_close(s)
        check(data == WIRE, "half-closed command answer differs")
    # A command in pieces, split inside the keyword.
    with connect(fam, PORT_CMD) as s:
        for piece in (b"CMD_sh", b"ort:0", b".0\n"):
            s.sendall(piece)
        data, _ = recv_until_close(s)
        check(data == WIRE, "split command answer differs")
    # pdc's --bare sends no terminator either.
    _, lines = pdc_json("short", flag, HOST, "0", "--bare")
    check(lines == EXPECTED, "pdc short --bare")
    wait_log(r'cmd: .* "CMD_short:0" ?$', since)
    check_pools_drained("short")


run(main)
