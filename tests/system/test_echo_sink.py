#!/usr/bin/env python3
"""Echo round trips (pdc and a raw socket), the close logged; the UDP sink logs each
datagram's text and sender address and answers nothing."""
import os
import re
import socket

from pmutest import *


def main():
    fam = family_from_argv()
    flag = f"-{fam}"

    # pdc: text round trips, then a 2 MB stream from standard input.
    since = log_size()
    summary, out = pdc_json("echo", flag, HOST, "hello", "grid", "-c", "3")
    check(out == ["hello grid"], f"echo printed {out}")
    check(summary["match"] and summary["round_trips"] == 3, f"summary {summary}")
    check(summary["family"] == f"ipv{fam}", f"used {summary['family']}")
    wait_log(r"echo: .* closed by peer after 33 bytes echoed", since)

    blob = os.urandom(2_000_000)
    r = pdc("echo", flag, HOST, "--json", stdin=blob)
    check(r.returncode == 0, f"stream echo failed: {r.stderr}")
    check(r.stdout[: len(blob)] == blob, "the echoed stream differs")

    # Raw socket, written from docs/PROTOCOL.md: bytes come back until we close.
    with connect(fam, PORT_ECHO) as s:
        for chunk in (b"a", b"\x00\xff binary \r\n", b"x" * 5000):
            s.sendall(chunk)
            got = b""
            while len(got) < len(chunk):
                got += s.recv(65536)
            check(got == chunk, f"echo of {len(chunk)} bytes differs")
        s.shutdown(socket.SHUT_WR)
        rest, _ = recv_until_close(s)
        check(rest == b"", "echo sent bytes after our close")

    # The sink: logs text and sender, never answers.
    since = log_size()
    summary, _ = pdc_json("send", flag, HOST, "phasor", "check")
    wait_log(rf'sink: 12 bytes from \[?{re.escape(os.environ["PMU_HOST_IPV%d" % fam])}\]?:\d+: "phasor check"', since)
    with socket.socket(af(fam), socket.SOCK_DGRAM) as u:
        u.bind(("", 0))
        u.sendto(b"bin\x00\x01\xff", (address(fam), PORT_SINK))
        wait_log(r'sink: 6 bytes from .*: "bin\\x00\\x01\\xff"', since)
        u.sendto(b"L" * 1400, (address(fam), PORT_SINK))
        wait_log(r"sink: 1400 bytes from .* \(cut\)", since)
        u.settimeout(0.5)
        try:
            u.recv(100)
            raise TestFailure("the sink answered a datagram")
        except socket.timeout:
            pass
    # Several lines from standard input are several datagrams.
    summary, _ = pdc_json("send", flag, HOST, stdin=b"one\ntwo\nthree\n")
    check(summary["datagrams"] == 3, f"summary {summary}")
    wait_log(r'sink: 5 bytes from .*: "three"', since)
    check_pools_drained("echo/sink")


run(main)
