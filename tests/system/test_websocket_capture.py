#!/usr/bin/env python3
"""The lab's comparison, automated: CMD_short:0 over plain TCP (5003) and over
WebSocket (5006), from a capture of the device's frames (pmu-netns --pcap, read by
tshark with its own WebSocket dissector). What the protocols guarantee is asserted:
over WebSocket the client gets ten message events whatever the segmentation, and the
capture shows ten text frames; over TCP the ten messages are one byte stream that the
device coalesced into fewer than ten segments, so the client cannot count messages
by receive calls. The measured figures are printed."""
import subprocess
import time

from pmutest import *

PORT_WS = 5006
WIRE = "".join(f"This is PMU data {i}" for i in range(1, 11)).encode()


def device_segments(fam, port):
    ip = "ip" if fam == 4 else "ipv6"
    rows = tshark_fields(PCAP, f"{ip}.src == {address(fam)} && tcp.srcport == {port} && tcp.len > 0 && "
                               "!tcp.analysis.retransmission", ["tcp.len", "tcp.payload"])
    return [(int(n), bytes.fromhex(p.replace(":", ""))) for n, p in rows]


def device_ws_frames(fam):
    """(opcode, payload length) of every WebSocket frame the device sent, as tshark's
    dissector sees them (told that 5006 speaks HTTP, so it follows the upgrade)."""
    ip = "ip" if fam == 4 else "ipv6"
    cmd = ["tshark", "-n", "-r", PCAP, "-d", f"tcp.port=={PORT_WS},http", "-Y",
           f"{ip}.src == {address(fam)} && tcp.srcport == {PORT_WS} && websocket",
           "-T", "fields", "-e", "websocket.opcode", "-e", "websocket.payload_length"]
    r = subprocess.run(cmd, capture_output=True, timeout=120)
    check(r.returncode == 0, f"tshark failed: {r.stderr.decode(errors='replace')}")
    frames = []
    for line in r.stdout.decode().splitlines():
        ops, lens = line.split("\t")
        frames += [(int(o, 0), int(n)) for o, n in zip(ops.split(","), lens.split(","))]
    return frames


def main():
    fam = family_from_argv()
    check(PCAP, "this test needs pmu-netns --pcap")
    tcp, _ = pdc_json("short", f"-{fam}", HOST, "0", "-q")
    ws, _ = pdc_json("ws", f"-{fam}", HOST, "CMD_short:0", "-q")
    check(tcp["messages"] == 10 and tcp["bytes"] == 181, f"TCP: {tcp}")
    check(ws["messages"] == 10 and ws["frames"] == 10 and ws["close_code"] == 1000, f"WebSocket: {ws}")

    # The pcap is flushed frame by frame; wait until both answers are in it.
    deadline = time.monotonic() + 10
    while True:
        tcp_segs = device_segments(fam, PORT_CMD)
        ws_segs = device_segments(fam, PORT_WS)
        ws_data = [s for s in ws_segs if not s[1].startswith(b"HTTP/1.1 ")]
        if sum(n for n, _ in tcp_segs) == 181 and sum(n for n, _ in ws_data) == 10 * 2 + 181 + 4:
            break
        check(time.monotonic() < deadline, f"capture incomplete: tcp {tcp_segs}, ws {ws_segs}")
        time.sleep(0.1)
    check(b"".join(p for _, p in tcp_segs) == WIRE, "the TCP stream differs")
    frames = device_ws_frames(fam)
    text = [f for f in frames if f[0] == 1]
    check(len(text) == 10 and [n for _, n in text] == [len(f"This is PMU data {i}") for i in range(1, 11)],
          f"tshark sees these WebSocket frames from the device: {frames}")
    check(frames[-1] == (8, 2), f"the last frame is not a close with a status code: {frames[-1]}")
    # With no delay the device writes the ten messages back to back: TCP coalesces them.
    check(len(tcp_segs) < 10, f"CMD_short:0 over TCP took {len(tcp_segs)} data-bearing segments")
    check(len(ws_data) < 10, f"CMD_short:0 over WebSocket took {len(ws_data)} data-bearing segments")

    print(f"CMD_short:0 over IPv{fam}      plain TCP 5003   WebSocket 5006")
    print(f"  data-bearing segments    {len(tcp_segs):>8}         {len(ws_data):>8} (+{len(ws_segs) - len(ws_data)} for the 101)")
    print(f"  bytes from the device    {sum(n for n, _ in tcp_segs):>8}         {sum(n for n, _ in ws_data):>8}")
    print(f"  client receive calls     {tcp['recv_calls']:>8}         {ws['recv_calls']:>8}")
    print(f"  message events           {'n/a':>8}         {ws['messages']:>8} (in {ws['frames']} frames)")
    print(f"  messages found by pdc    {tcp['messages']:>8} (split on the 'This is PMU data ' prefix)")


run(main)
