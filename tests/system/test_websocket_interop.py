#!/usr/bin/env python3
"""Interop with an independent RFC 6455 implementation, Debian's python3-websockets:
its client runs both commands against the device (10 messages for CMD_short:0,
exactly one message for CMD_floodme with the device's digest); and pdc ws works
against its server, on loopback in the test's namespace: messages, a fragmented
1 MiB message with a ping in the middle, a refused upgrade, and (from a raw server)
a wrong accept key."""
import asyncio
import hashlib
import http
import json
import socket
import threading

import websockets

from pmutest import *

MESSAGES = [f"This is PMU data {i}" for i in range(1, 11)]
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def floodme_text(n):
    """The CMD_floodme text as docs/PROTOCOL.md defines it, written from the doc."""
    lines = []
    for k in range((n + 63) // 64):
        start = k % 62
        cyc = (ALPHABET * 2)[start:start + 44]
        lines.append(f"floodme {k:010d} {cyc}\n")
    return "".join(lines)[:n]


def url(fam, port, path="/"):
    return f"ws://{address(fam) if fam == 4 else '[' + address(fam) + ']'}:{port}{path}"


async def python_client_against_device(fam):
    # CMD_short:0: ten text messages, then the device's close 1000.
    async with websockets.connect(url(fam, 5006), max_size=None) as ws:
        await asyncio.wait_for(await ws.ping(b"hello device"), 5)
        await ws.send("CMD_short:0")
        got = [m async for m in ws]
        check(got == MESSAGES, f"python-websockets got {got}")
        check(ws.close_code == 1000, f"close code {ws.close_code}")
    # CMD_floodme: exactly one message, the documented text, the device's digest.
    since = log_size()
    async with websockets.connect(url(fam, 5006), max_size=None) as ws:
        await ws.send("CMD_floodme")
        got = [m async for m in ws]
        check(len(got) == 1, f"CMD_floodme came as {len(got)} messages")
        check(ws.close_code == 1000, f"close code {ws.close_code}")
    digest = hashlib.sha256(got[0].encode()).hexdigest()
    m = wait_log(r"ws: .* floodme sent 1048576 bytes sha256=([0-9a-f]{64})", since)
    check(len(got[0]) == 1048576 and digest == m.group(1), f"{len(got[0])} bytes, {digest} vs {m.group(1)}")
    check(got[0] == floodme_text(1048576), "the message differs from the documented CMD_floodme text")
    print(f"python-websockets client: CMD_short:0 -> 10 messages, CMD_floodme -> 1 message sha256 {digest}")


async def pdc_against_python_server(fam):
    host = "127.0.0.1" if fam == 4 else "::1"
    flood = floodme_text(1 << 20)

    async def handler(ws, path=None):
        command = await ws.recv()
        if command == "CMD_short:0":
            for m in MESSAGES:
                await ws.send(m)
        elif command == "CMD_floodme":
            async def fragments():
                for i in range(0, len(flood), 100_000):
                    if i == 500_000:
                        await ws.ping(b"mid-message")
                    yield flood[i:i + 100_000]
            await ws.send(fragments())
        else:
            await ws.send("ERROR unknown command")
        await ws.close(1000)

    async def refuse_busy(path, headers):
        if path == "/busy":
            return http.HTTPStatus.SERVICE_UNAVAILABLE, [("Content-Type", "text/plain")], b"busy\n"
        return None

    async with websockets.serve(handler, host, 0, process_request=refuse_busy, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        loop_url = f"ws://{host if fam == 4 else '[' + host + ']'}:{port}/"

        async def run_pdc(*args):
            p = await asyncio.create_subprocess_exec(PDC, "ws", *args, "--json", stdout=asyncio.subprocess.PIPE,
                                                     stderr=asyncio.subprocess.PIPE)
            out, err = await asyncio.wait_for(p.communicate(), 60)
            lines = out.decode().splitlines()
            return p.returncode, json.loads(lines[-1]), lines[:-1], err.decode()

        rc, s, lines, err = await run_pdc(loop_url, "CMD_short:0")
        check(rc == 0 and lines == MESSAGES, f"pdc ws vs python server: {rc} {lines} {err}")
        check(s["messages"] == 10 and s["accept_verified"] and s["close_code"] == 1000, f"summary {s}")

        rc, s, lines, err = await run_pdc(f"-{fam}", loop_url, "CMD_floodme")
        check(rc == 0, f"pdc ws floodme vs python server: {rc} {err}")
        # websockets sends eleven fragments and ends the message with an empty frame.
        check(s["messages"] == 1 and s["frames"] == 12 and s["content_ok"], f"summary {s}")
        check(s["pings"] == 1, f"the server's ping was not answered: {s}")
        check(s["sha256"] == hashlib.sha256(flood.encode()).hexdigest(), "digest differs")

        rc, s, lines, err = await run_pdc(loop_url + "busy", "CMD_short:0")
        check(rc == 4 and s.get("http_status") == 503 and not s["accept_verified"], f"refused: {rc} {s}")
    print("pdc ws against python-websockets server: messages, fragmented floodme with a ping, 503")


def raw_server_with_wrong_accept(fam):
    """A server that answers 101 with an accept key for another nonce."""
    srv = socket.socket(af(fam), socket.SOCK_STREAM)
    srv.bind(("127.0.0.1" if fam == 4 else "::1", 0))
    srv.listen(1)

    def serve():
        c, _ = srv.accept()
        with c:
            data = b""
            while b"\r\n\r\n" not in data:
                data += c.recv(4096)
            c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
            c.settimeout(5)
            try:
                c.recv(4096)
            except OSError:
                pass
    t = threading.Thread(target=serve)
    t.start()
    host = "127.0.0.1" if fam == 4 else "[::1]"
    r = pdc("ws", f"ws://{host}:{srv.getsockname()[1]}/", "CMD_short:0", "--json")
    t.join(10)
    srv.close()
    s = json.loads(r.stdout.decode().splitlines()[-1])
    check(r.returncode == 4 and s["accept_verified"] is False, f"wrong accept key: {r.returncode} {s}")
    check("Sec-WebSocket-Accept does not match" in s["error"], f"error text {s['error']}")


def main():
    fam = family_from_argv()
    asyncio.run(python_client_against_device(fam))
    asyncio.run(pdc_against_python_server(fam))
    raw_server_with_wrong_accept(fam)
    check_pools_drained("websocket interop")


run(main)
