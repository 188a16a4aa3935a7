#!/usr/bin/env python3
"""From a capture of the device's frames (pmu-sim --pcap, read by tshark): CMD_short:1
sends its ten messages in ten data-bearing segments; CMD_short:0 in fewer."""
import time

from pmutest import *


def data_segments(client_port, fam):
    ip = "ip" if fam == 4 else "ipv6"
    rows = tshark_fields(PCAP, f"{ip}.src == {address(fam)} && tcp.srcport == {PORT_CMD} && "
                               f"tcp.dstport == {client_port} && tcp.len > 0 && "
                               "!tcp.analysis.retransmission",
                         ["tcp.len", "tcp.payload"])
    return [(int(length), bytes.fromhex(payload.replace(":", ""))) for length, payload in rows]


def run_short(fam, delay):
    with connect(fam, PORT_CMD) as s:
        port = s.getsockname()[1]
        s.sendall(f"CMD_short:{delay}\n".encode())
        data, _ = recv_until_close(s)
    check(data == "".join(f"This is PMU data {i}" for i in range(1, 11)).encode(), "stream differs")
    return port


def main():
    fam = family_from_argv()
    check(PCAP, "this test needs pmu-netns --pcap")
    slow = run_short(fam, 1)
    fast = run_short(fam, 0)
    # The pcap is flushed frame by frame; wait until both conversations are in it.
    deadline = time.monotonic() + 10
    while True:
        s1, s0 = data_segments(slow, fam), data_segments(fast, fam)
        if sum(n for n, _ in s1) == 181 and sum(n for n, _ in s0) == 181:
            break
        check(time.monotonic() < deadline, f"capture incomplete: d=1 {s1}, d=0 {s0}")
        time.sleep(0.1)
    check(len(s1) == 10, f"CMD_short:1 used {len(s1)} data-bearing segments, expected 10")
    for i, (_, payload) in enumerate(s1, 1):
        check(payload == f"This is PMU data {i}".encode(), f"segment {i} carries {payload!r}")
    check(len(s0) < 10, f"CMD_short:0 used {len(s0)} data-bearing segments, expected fewer than 10")
    print(f"data-bearing segments: CMD_short:1 -> {len(s1)}, CMD_short:0 -> {len(s0)}")


run(main)
