#!/usr/bin/env python3
"""The WebSocket command service (TCP 5006) against pdc and a raw RFC 6455 client:
both commands, the handshake's refusals with their HTTP status, every malformed frame
with its exact close code, pings (also in the middle of CMD_floodme), fragmented and
byte-by-byte input, a second message, a binary command, the client closing first,
and a client that never answers the device's close."""
import struct
import time

from pmutest import *
from wsraw import *

MESSAGES = [f"This is PMU data {i}" for i in range(1, 11)]


def expect_eof(c):
    c.expect_tcp_close()


def main():
    fam = family_from_argv()

    # ---- pdc ----------------------------------------------------------------------------
    summary, lines = pdc_json("ws", f"-{fam}", HOST, "CMD_short:0")
    check(lines == MESSAGES, f"pdc ws printed {lines}")
    check(summary["messages"] == 10 and summary["frames"] == 10, f"pdc ws summary {summary}")
    check(summary["accept_verified"] is True and summary["close_code"] == 1000, f"pdc ws summary {summary}")
    check(summary["bytes"] == 181, f"pdc ws bytes {summary}")

    # CMD_short:d paces its messages; each is its own text message.
    summary, lines = pdc_json("ws", f"-{fam}", f"ws://{HOST}:5006/", "CMD_short:0.2", "--timestamps")
    stamps = [float(l.split("s ", 1)[0][1:]) for l in lines]
    check([l.split("s ", 1)[1] for l in lines] == MESSAGES, f"timestamped lines {lines}")
    # The device sends on a fixed schedule (message k at k * 0.2 s), catching up after a
    # late one, so single gaps vary with the host's load; the schedule does not: no
    # message far ahead of its time (a burst), none far behind it.
    offsets = [s - stamps[0] for s in stamps]
    check(all(0.2 * k - 0.1 < o < 0.2 * k + 0.4 for k, o in enumerate(offsets)),
          f"CMD_short:0.2 arrival times from the first {offsets}")

    # CMD_floodme: one message, checked byte by byte, with the device's digest.
    since = log_size()
    summary, lines = pdc_json("ws", f"-{fam}", HOST, "CMD_floodme")
    m = wait_log(r"ws: .* floodme sent 1048576 bytes sha256=([0-9a-f]{64})", since)
    check(summary["messages"] == 1 and summary["content_ok"] is True, f"floodme summary {summary}")
    check(summary["sha256"] == m.group(1), f"digest {summary['sha256']} vs device {m.group(1)}")
    check(summary["frames"] > 1, "CMD_floodme in a single frame: the device should frame it as it drains")
    check(lines == ["[message 1: 1048576 bytes, not shown]"], f"floodme printed {lines}")

    # An ERROR answer: exit status 4, the text message, then close 1000.
    summary, lines = pdc_json("ws", f"-{fam}", HOST, "CMD_bogus", expect_rc=4)
    check(lines == ["ERROR unknown command"] and summary["close_code"] == 1000, f"{lines} {summary}")

    # ---- the opening handshake --------------------------------------------------------
    # RFC 6455 section 1.3's own key gets its known accept value from the device.
    with WsConn(fam) as c:
        c.send(upgrade_request(key="dGhlIHNhbXBsZSBub25jZQ==")[0])
        status, headers = c.read_head()
        check(status == 101 and headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
              f"RFC example: {status} {headers}")
    refusals = [
        (dict(method="POST"), 400, "method must be GET"),
        (dict(http="HTTP/1.0"), 400, "HTTP/1.1 required"),
        (dict(upgrade=None), 400, "missing Upgrade: websocket"),
        (dict(connection="keep-alive"), 400, "missing Connection: Upgrade"),
        (dict(key="-"), 400, "missing Sec-WebSocket-Key"),
        (dict(key="c2hvcnQ="), 400, "Sec-WebSocket-Key is not 16 bytes in base64"),
        (dict(version="8"), 426, "unsupported Sec-WebSocket-Version"),
        (dict(version=None), 426, "missing Sec-WebSocket-Version"),
        (dict(path="/chat"), 404, "no WebSocket service at this path; use /"),
        (dict(extra="X-Filler: " + "x" * 2100 + "\r\n"), 431, "request head larger than 2048 bytes"),
    ]
    for kw, code, reason in refusals:
        with WsConn(fam) as c:
            c.send(upgrade_request(**kw)[0])
            status, headers = c.read_head()
            check(status == code, f"{kw}: status {status}, expected {code}")
            check("close" in headers.get("connection", "").lower(), f"{kw}: no Connection: close in {headers}")
            if code == 426:
                check(headers.get("sec-websocket-version") == "13", f"426 without the version: {headers}")
            body = c.read_exact(int(headers["content-length"])).decode()
            check(body == reason + "\n", f"{kw}: body {body!r}")
            expect_eof(c)
    # A query string is fine on the one path served.
    with WsConn(fam) as c:
        c.handshake(path="/?client=test")

    # ---- malformed frames: each closes with its exact code -----------------------------
    malformed = [
        ("unmasked frame", frame(TEXT, b"CMD_short:0", mask=False), 1002),
        ("reserved bit", frame(TEXT, b"CMD_short:0", rsv=4), 1002),
        ("reserved opcode", frame(0x3, b"x"), 1002),
        ("control opcode 0xB", frame(0xB, b""), 1002),
        ("fragmented ping", frame(PING, b"x", fin=False), 1002),
        ("ping over 125 bytes", frame(PING, b"p" * 126), 1002),
        ("continuation first", frame(CONT, b"x"), 1002),
        ("new message inside one", frame(TEXT, b"CMD_", fin=False) + frame(TEXT, b"x"), 1002),
        ("close with a 1-byte payload", frame(CLOSE, b"\x03"), 1002),
        ("close code 1005 on the wire", close_frame(1005), 1002),
        ("invalid UTF-8", frame(TEXT, b"CMD_\xc3\x28"), 1007),
        ("UTF-8 cut between fragments at the end", frame(TEXT, b"\xe2\x82", fin=False) + frame(CONT, b""), 1007),
        ("message over ws.max_message (16-bit length)", frame(TEXT, b"a" * 1025), 1009),
        ("announced 64-bit length over the limit", frame(TEXT, b"", length=100000), 1009),
        ("fragments over the limit", frame(TEXT, b"a" * 1000, fin=False) + frame(CONT, b"a" * 100), 1009),
    ]
    for what, wire, code in malformed:
        since = log_size()
        with WsConn(fam) as c:
            c.handshake()
            c.send(wire)
            messages, got, reason, _, _ = c.read_until_close()
            check(messages == [] and got == code, f"{what}: close {got} {reason!r}, expected {code}")
            check(reason, f"{what}: the close frame gives no reason")
            expect_eof(c)
        wait_log(rf"ws: .* broke the protocol \(.*\): closing with {code}", since)
    # A message of exactly ws.max_message bytes passes (and is too long for a command).
    msgs, code, _ = command(fam, "CMD_short:0" + " " * (1024 - 11))
    check(msgs == ["ERROR command too long"] and code == 1000, f"1024-byte command: {msgs} {code}")

    # ---- pings, fragments, byte by byte --------------------------------------------------
    with WsConn(fam) as c:
        c.handshake()
        c.send(frame(PING, b"are you there?"))
        fin, op, payload = c.read_frame()
        check((fin, op, payload) == (True, PONG, b"are you there?"), f"pong {op} {payload!r}")
        c.send(frame(PING, b""))
        check(c.read_frame() == (True, PONG, b""), "empty ping not answered with an empty pong")
        # The command in three fragments with a ping and a pong between them.
        c.send(frame(TEXT, b"CMD_", fin=False) + frame(PING, b"mid") + frame(PONG, b"unsolicited") +
               frame(CONT, b"short", fin=False) + frame(CONT, b":0"))
        messages, code, _, frames, controls = c.read_until_close()
        check(controls == [(PONG, b"mid")], f"controls {controls}")
        check([m.decode() for _, m in messages] == MESSAGES and code == 1000, f"fragmented command: {code}")
        check(all(op == TEXT for op, _ in messages) and frames == 10, f"{frames} frames")
        c.send(close_frame(1000))
        expect_eof(c)
    # Everything one byte at a time, handshake included.
    with WsConn(fam) as c:
        req, key = upgrade_request()
        for i in range(len(req)):
            c.send(req[i:i + 1])
        status, headers = c.read_head()
        check(status == 101 and headers["sec-websocket-accept"] == accept_for(key), "byte-wise handshake")
        wire = frame(TEXT, b"CMD_sho", fin=False) + frame(CONT, b"rt:0")
        for i in range(len(wire)):
            c.send(wire[i:i + 1])
            time.sleep(0.002)
        messages, code, _, _, _ = c.read_until_close()
        check([m.decode() for _, m in messages] == MESSAGES and code == 1000, "byte-wise command")
        c.send(close_frame(1000))
        expect_eof(c)
    # The handshake and the command in one segment.
    with WsConn(fam) as c:
        req, key = upgrade_request()
        c.send(req + frame(TEXT, b"CMD_short:0"))
        status, headers = c.read_head()
        check(status == 101, "handshake with the command behind it")
        messages, code, _, _, _ = c.read_until_close()
        check(len(messages) == 10 and code == 1000, "command sent with the handshake")
        c.send(close_frame(1000))
        expect_eof(c)

    # ---- the device's choices -------------------------------------------------------------
    # A second message while the answer runs is read and ignored.
    since = log_size()
    with WsConn(fam) as c:
        c.handshake()
        c.send(frame(TEXT, b"CMD_short:0.1"))
        check(c.read_frame() == (True, TEXT, b"This is PMU data 1"), "first message")
        c.send(frame(TEXT, b"CMD_floodme") + frame(BINARY, b"\x00\x01"))
        messages, code, _, _, _ = c.read_until_close()
        check([m.decode() for _, m in messages] == MESSAGES[1:] and code == 1000, f"second message: {code}")
        c.send(close_frame(1000))
        expect_eof(c)
    wait_log(r"ws: .* sent another message; ignored \(one command per connection\)", since)
    # A binary command: an ERROR text message, then close 1003.
    with WsConn(fam) as c:
        c.handshake()
        c.send(frame(BINARY, b"CMD_short:0"))
        messages, code, _, _, _ = c.read_until_close()
        check(messages == [(TEXT, b"ERROR command must be a text message")] and code == 1003,
              f"binary command: {messages} {code}")
        c.send(close_frame(1003))
        expect_eof(c)
    # Unknown and malformed commands: the ERROR text (no line feed), then close 1000.
    for text, answer in [("CMD_unknown", "ERROR unknown command"), ("", "ERROR empty command"),
                         ("CMD_short:11", "ERROR bad delay: expected seconds from 0 to 10"),
                         ("CMD_time", "ERROR CMD_time is served over TLS only (port 5007)"),
                         (" CMD_short:0\n", None)]:
        msgs, code, _ = command(fam, text)
        check(code == 1000, f"{text!r}: close {code}")
        check(msgs == ([answer] if answer else MESSAGES), f"{text!r}: {msgs}")

    # ---- closing --------------------------------------------------------------------------
    # The client closes first, in the middle of CMD_floodme: the device stops, echoes
    # the code, and closes TCP. A ping in the middle is answered between two frames.
    since = log_size()
    with WsConn(fam) as c:
        c.handshake()
        c.send(frame(TEXT, b"CMD_floodme:50000000"))
        fin, op, payload = c.read_frame()
        check(op == TEXT and not fin, f"floodme's first frame: fin={fin} op={op}")
        c.send(frame(PING, b"between frames"))
        got = len(payload)
        while True:
            fin, op, payload = c.read_frame()
            if op == PONG:
                check(payload == b"between frames", f"pong payload {payload!r}")
                break
            check(op == CONT, f"frame opcode {op} inside the message")
            got += len(payload)
        check(got < 50_000_000, "the pong came only after the whole message")
        c.send(close_frame(4000, b"enough"))
        while True:
            fin, op, payload = c.read_frame()
            if op == CLOSE:
                break
            check(op == CONT, f"frame opcode {op} after our close")
        check(struct.unpack("!H", payload[:2])[0] == 4000, f"echoed close {payload!r}")
        expect_eof(c)
    wait_log(r"ws: .* closed the WebSocket \(code 4000\) before the answer was complete", since)
    # An empty close is echoed empty.
    with WsConn(fam) as c:
        c.handshake()
        c.send(close_frame(None))
        check(c.read_frame() == (True, CLOSE, b""), "empty close not echoed empty")
        expect_eof(c)
    # A client that never answers the device's close is closed after the wait (5 s).
    since = log_size()
    with WsConn(fam) as c:
        c.handshake()
        c.send(frame(TEXT, b"CMD_short:0"))
        _, code, _, _, _ = c.read_until_close()
        check(code == 1000, "close 1000")
        waited = c.expect_tcp_close(timeout=15)
        check(4 <= waited <= 8, f"the device closed {waited:.1f} s after its close frame, expected about 5")
    wait_log(r"ws: .* sent no close frame within 5000 ms; closing", since)

    check_pools_drained("websocket")


run(main)
