"""A fake C37.118.2 PMU for tests of the PDC against behaviour the real device never
shows: it serves a fixed CFG-2 and data frames (the known-answer frames of
tests/data/c37118, with FRACSEC stepped at the frame's rate) and answers the header
request only when told to. TCP or UDP, on a loopback address, in threads; it records
every command it gets. Needs no device and no namespace."""
import os
import socket
import struct
import threading
import time

from c37util import CMD_CFG2, CMD_DATA_OFF, CMD_DATA_ON, CMD_HEADER, Splitter, crc

VECTORS = os.path.join(os.path.dirname(__file__), "..", "data", "c37118")


def known_answer_frames(name="v1.hex"):
    """The frames of a .hex file in tests/data/c37118 by type: {"command", "cfg2",
    "data", "header"} for v1.hex and v2.hex (one frame a line, in that order)."""
    with open(os.path.join(VECTORS, name)) as f:
        frames = [bytes.fromhex(line.strip()) for line in f if line.strip()]
    return dict(zip(("command", "cfg2", "data", "header"), frames))


def with_time(frame, soc, fraction):
    """`frame` with a new SOC and FRACSEC fraction (time quality kept) and its check word."""
    tq = frame[10]
    body = frame[:6] + struct.pack(">I", soc) + bytes([tq]) + fraction.to_bytes(3, "big") + frame[14:-2]
    return body + struct.pack(">H", crc(body))


class FakePmu:
    """One PMU on (host, port 0 = any): `udp` picks the transport; `header` is the
    header frame to answer command 3 with, or None to ignore that command."""

    def __init__(self, host, udp=False, header=None, rate=30):
        frames = known_answer_frames()
        self.cfg2, self.data, self.header = frames["cfg2"], frames["data"], header
        self.time_base = int.from_bytes(self.cfg2[15:18], "big")
        self.rate = rate
        self.udp = udp
        self.commands = []  # (monotonic time, command code), in arrival order
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                                  socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._data_on = threading.Event()
        self._send_lock = threading.Lock()
        self._peer = None  # UDP: where commands came from; TCP: the accepted socket
        if not udp:
            self.sock.listen(1)
        self.sock.settimeout(0.1)
        self._threads = [threading.Thread(target=self._serve_udp if udp else self._serve_tcp, daemon=True),
                         threading.Thread(target=self._stream, daemon=True)]

    def __enter__(self):
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        self.sock.close()

    def codes(self):
        return [code for _, code in self.commands]

    def wait_for(self, code, timeout=2.0):
        """Waits until command `code` has arrived (a PDC's last command may still be on
        its way when the PDC has exited); True when it did."""
        deadline = time.monotonic() + timeout
        while code not in self.codes():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def _send(self, frame):
        with self._send_lock:
            if self._peer is None:
                return
            try:
                if self.udp:
                    self.sock.sendto(frame, self._peer)
                else:
                    self._peer.sendall(frame)
            except OSError:
                pass  # the PDC left: it sees nothing more, which is what it asked for

    def _on_command(self, frame):
        code = struct.unpack(">H", frame.raw[14:16])[0]
        self.commands.append((time.monotonic(), code))
        if code == CMD_HEADER and self.header is not None:
            self._send(self.header)
        elif code == CMD_CFG2:
            self._send(self.cfg2)
        elif code == CMD_DATA_ON:
            self._data_on.set()
        elif code == CMD_DATA_OFF:
            self._data_on.clear()

    def _serve_tcp(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            conn.settimeout(0.1)
            with self._send_lock:
                self._peer = conn
            splitter = Splitter()
            with conn:
                while not self._stop.is_set():
                    try:
                        data = conn.recv(4096)
                    except socket.timeout:
                        continue
                    except OSError:
                        break
                    if not data:
                        break
                    for f in splitter.feed(data):
                        self._on_command(f)
            with self._send_lock:
                self._peer = None
            self._data_on.clear()

    def _serve_udp(self):
        splitter = Splitter()
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            with self._send_lock:
                self._peer = peer
            for f in splitter.feed(data):
                self._on_command(f)

    def _stream(self):
        """Data frames at `rate` while data is on, on the grid of the frame's own second."""
        soc = struct.unpack(">I", self.data[6:10])[0]
        k = 0
        while not self._stop.is_set():
            if not self._data_on.wait(0.1):
                continue
            fraction = (k % self.rate) * self.time_base // self.rate
            self._send(with_time(self.data, soc + k // self.rate, fraction))
            k += 1
            time.sleep(1.0 / self.rate)
