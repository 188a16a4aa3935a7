"""C37.118.2 helpers for the system tests, written from the standard's frame layout
(independent of the project's C++ codec): CRC, command frames, a stream splitter."""
import socket
import struct
import time

from pmutest import check

PORT_TCP, PORT_UDP = 4712, 4713
CMD_DATA_OFF, CMD_DATA_ON, CMD_HEADER, CMD_CFG1, CMD_CFG2, CMD_CFG3, CMD_EXTENDED = 1, 2, 3, 4, 5, 6, 8
TYPE_DATA, TYPE_HEADER, TYPE_CFG1, TYPE_CFG2, TYPE_CMD, TYPE_CFG3 = 0, 1, 2, 3, 4, 5


def crc(data):
    c = 0xFFFF
    for b in data:
        c ^= b << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) & 0xFFFF if c & 0x8000 else (c << 1) & 0xFFFF
    return c


def command(code, idcode=1, extra=b"", version=2, soc=0, fracsec=0):
    body = struct.pack(">HHHIIH", 0xAA40 | version, 18 + len(extra), idcode, soc, fracsec, code) + extra
    return body + struct.pack(">H", crc(body))


class Frame:
    def __init__(self, raw):
        self.raw = raw
        self.type = (raw[1] >> 4) & 7
        self.version = raw[1] & 0xF
        self.size, self.idcode, self.soc, fracsec = struct.unpack(">HHII", raw[2:14])
        self.tq = fracsec >> 24
        self.fraction = fracsec & 0xFFFFFF
        self.crc_ok = crc(raw[:-2]) == struct.unpack(">H", raw[-2:])[0]

    def stat(self):
        return struct.unpack(">H", self.raw[14:16])[0]

    def cfgcnt(self):
        """CFGCNT of a one-PMU CFG-1/2 frame (just before DATA_RATE and CHK)."""
        return struct.unpack(">H", self.raw[-6:-4])[0]


class Splitter:
    """Cuts frames out of a byte stream (SYNC, FRAMESIZE)."""
    def __init__(self):
        self.buf = b""

    def feed(self, data):
        self.buf += data
        frames = []
        while len(self.buf) >= 4:
            if self.buf[0] != 0xAA:
                self.buf = self.buf[1:]
                continue
            size = struct.unpack(">H", self.buf[2:4])[0]
            if len(self.buf) < size:
                break
            frames.append(Frame(self.buf[:size]))
            self.buf = self.buf[size:]
        return frames


def read_frames(sock, seconds, splitter=None, want=None):
    """Reads TCP frames for `seconds` (or until a frame of type `want` arrives)."""
    splitter = splitter or Splitter()
    out = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        check(data, "the device closed the C37.118.2 connection")
        for f in splitter.feed(data):
            out.append(f)
            if want is not None and f.type == want:
                return out
    return out


def udp_frames(sock, seconds, want=None):
    out = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        f = Frame(data)
        out.append(f)
        if want is not None and f.type == want:
            return out
    return out
