"""A raw RFC 6455 client for the system tests, written from the RFC alone (it shares
no code with the device or pdc): builds exact handshakes and frames, good and bad,
and reads the device's frames one by one, checking what a server must do (never
mask, no reserved bits)."""
import base64
import hashlib
import os
import socket
import struct
import time

from pmutest import address, af, check

PORT_WS = 5006
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


def accept_for(key):
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def new_key():
    return base64.b64encode(os.urandom(16)).decode()


def upgrade_request(host="pmu1", path="/", key=None, version="13", method="GET", http="HTTP/1.1",
                    upgrade="websocket", connection="Upgrade", extra=""):
    key = key or new_key()
    lines = [f"{method} {path} {http}", f"Host: {host}"]
    if upgrade is not None:
        lines.append(f"Upgrade: {upgrade}")
    if connection is not None:
        lines.append(f"Connection: {connection}")
    if key != "-":
        lines.append(f"Sec-WebSocket-Key: {key}")
    if version is not None:
        lines.append(f"Sec-WebSocket-Version: {version}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode(), key


def frame(opcode, payload=b"", fin=True, mask=True, rsv=0, length64=False, length=None):
    """One frame. `length` overrides the announced length (the payload is sent as is);
    `length64` forces the 64-bit form."""
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    mbit = 0x80 if mask else 0
    if length64:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    elif n <= 125:
        head = struct.pack("!BB", b0, mbit | n)
    elif n <= 0xFFFF:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))


def close_frame(code=1000, reason=b"", mask=True):
    return frame(CLOSE, struct.pack("!H", code) + reason if code is not None else b"", mask=mask)


class WsConn:
    def __init__(self, fam, port=PORT_WS, timeout=15):
        self.sock = socket.socket(af(fam), socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect((address(fam), port))
        self.buf = b""
        self.frames = 0

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        b = self.sock.recv(65536)
        if not b:
            raise EOFError("the device closed the connection")
        self.buf += b

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_head(self):
        """Returns (status code, {lower-case header: value}, body bytes already read)."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        parts = lines[0].split(" ", 2)
        check(parts[0] == "HTTP/1.1", f"status line {lines[0]!r}")
        headers = {}
        for line in lines[1:]:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        return int(parts[1]), headers

    def handshake(self, **kw):
        req, key = upgrade_request(**kw)
        self.send(req)
        status, headers = self.read_head()
        check(status == 101, f"handshake answered {status}")
        check(headers.get("sec-websocket-accept") == accept_for(key), f"bad accept key: {headers}")
        check(headers.get("upgrade", "").lower() == "websocket", f"no Upgrade: websocket in {headers}")
        check("upgrade" in headers.get("connection", "").lower(), f"no Connection: Upgrade in {headers}")
        return headers

    def read_frame(self):
        """(fin, opcode, payload) of the next frame from the device."""
        b0, b1 = self.read_exact(2)
        check(b0 & 0x70 == 0, f"the device set reserved bits: {b0:#x}")
        check(b1 & 0x80 == 0, "the device masked a frame")
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.read_exact(2))[0]
            check(n > 125, "16-bit length not in its shortest form")
        elif n == 127:
            n = struct.unpack("!Q", self.read_exact(8))[0]
            check(n > 0xFFFF, "64-bit length not in its shortest form")
        self.frames += 1
        return bool(b0 & 0x80), b0 & 0x0F, self.read_exact(n)

    def read_until_close(self, on_frame=None):
        """Reads messages until the device's close frame. Returns (messages as (opcode,
        bytes), close code or None, close reason, data frames, control frames seen)."""
        messages, current, op, data_frames, controls = [], b"", None, 0, []
        while True:
            fin, opcode, payload = self.read_frame()
            if on_frame:
                on_frame(fin, opcode, payload)
            if opcode == CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                return messages, code, payload[2:], data_frames, controls
            if opcode in (PING, PONG):
                controls.append((opcode, payload))
                continue
            data_frames += 1
            if opcode != CONT:
                check(op is None, "a new message began inside a fragmented one")
                op, current = opcode, b""
            else:
                check(op is not None, "continuation outside a message")
            current += payload
            if fin:
                messages.append((op, current))
                op = None

    def expect_tcp_close(self, timeout=10):
        """After the close handshake the device closes TCP: an orderly end of stream."""
        self.sock.settimeout(timeout)
        check(self.buf == b"", f"bytes after the close frame: {self.buf[:40]!r}")
        t0 = time.monotonic()
        try:
            while True:
                b = self.sock.recv(4096)
                if not b:
                    return time.monotonic() - t0
                check(False, f"data after the close frame: {b[:40]!r}")
        except ConnectionResetError:
            check(False, "the device reset the connection instead of closing it")


def command(fam, text, **kw):
    """One command over the WebSocket service, answering the device's close. Returns
    (messages as text, close code, data frames)."""
    with WsConn(fam) as c:
        c.handshake(**kw)
        c.send(frame(TEXT, text.encode() if isinstance(text, str) else text))
        messages, code, _, frames, _ = c.read_until_close()
        c.send(close_frame(code) if code else close_frame(None))
        c.expect_tcp_close()
        return [m.decode() for _, m in messages], code, frames
