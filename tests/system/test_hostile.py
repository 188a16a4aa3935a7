#!/usr/bin/env python3
"""A hostile or broken peer on the lab network cannot break the connection layer.

    test_hostile.py FAMILY CASE [SECONDS]

Each CASE is one way a peer can misuse TCP, TLS or the C37.118.2 UDP service; after it
the device still serves everyone else, within a stated bound, and its pools are back
at their resting level with no allocation failure:

  flood        40 connections held open on the command port and on 4712: the device
               survives (no crash), other services answer during the flood, and the
               flooded service answers again once the flood ends.
  tls_squat    plain TCP connections to 5007 that never start a handshake (and are
               replaced as soon as the device drops them) do not keep the operator
               out of the console on 5008.  (needs --pki)
  isolation    every echo, command and WebSocket session held idle (8 each on the
               simulator, a board profile's limits), each service within its own
               limit, leave room for C37.118.2 and TLS clients.  (needs --pki)
  syn_flood    16 SYNs from addresses that never answer the SYN-ACK, then 4 more: a
               real client still connects to the port within a second or two.
  same_port    a client reconnecting from the same source port right after the device
               closed the previous connection (the device's TIME_WAIT) is accepted.
  stalled      echo clients that send without reading and CMD_floodme clients with a
               zero window are aborted within the stall bound; meanwhile a new PDC is
               served (its CFG-2 arrives) and no allocation fails. (SECONDS: the
               device's tcp.stall_timeout_s, which the launcher sets)
  tls_record   a TLS record of the largest plaintext the device accepts is read; one
               byte more ends with the record_overflow alert and a close, at
               once.  (needs --pki)
  udp_lease    UDP C37.118.2 subscribers that vanish lose their slots when their lease
               runs out; a new PDC then streams, and a PDC that stays renews its lease.
               (SECONDS: the device's c37.udp_lease_s, which the launcher sets)
  c37_replies  a PDC that sends 3000 header requests without reading: the replies that
               do not fit are dropped and counted, for its connection and the service,
               so that what it received plus what was dropped is what it asked for;
               another PDC streams meanwhile.
  clock_push   5500 RESET:86400 datagrams (the device loses none: the launcher sets
               reset.loss 0; SECONDS and RATE: the reset.max_offset_s and
               reset.max_rate it sets): the clock moves at most RATE times a second and
               never past SECONDS, every request is accounted for, and the operator's
               certificate is judged by the real time: the console lets them in. With a
               bound of 600000 s the datagrams come in well under a second and both
               limits must be reached; with a bound of years they are spread over 2.7 s
               and the lab clock must go past the certificate's 825 days.  (needs --pki)
  log_flood    3000 datagrams to the UDP sink, each of which the sink logs: the log takes
               the first 40 and then at most 20 a second, says how many it held back
               once the flood is over, and every datagram is accounted for (logged or
               counted as suppressed); the device answers throughout.
"""
import errno
import json
import os
import random
import select
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

from pmutest import *
import c37util

PORT_WS = 5006
WIRE = "".join(f"This is PMU data {i}" for i in range(1, 11)).encode()
# What the device promises (docs/PROTOCOL.md, "Connections"): a peer that acknowledges
# nothing while data it was sent is outstanding is reset after tcp.stall_timeout_s
# (the launcher sets 5 s for these tests), checked once a second. When other stalled
# peers hold the service's memory, a peer's data may only leave once they are reset:
# twice the stall time at worst.
STALL_S = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "stalled" else 10
STALL_BOUND_S = 2 * STALL_S + 3


def device_alive():
    """The device still runs: the simulator's process exists (a crash ends it), and
    on either target the echo service answers."""
    if TARGET == "sim":
        try:
            os.kill(SIM_PID, 0)
        except ProcessLookupError:
            raise TestFailure("the simulator is gone (crashed)")


def echo_once(fam, text=b"still here\n", timeout=5):
    with connect(fam, PORT_ECHO, timeout=timeout) as s:
        s.sendall(text)
        got = b""
        while len(got) < len(text):
            b = s.recv(4096)
            check(b, "echo closed early")
            got += b
        return got


def open_many(fam, port, count, timeout=2):
    """Opens up to `count` connections and keeps them; returns the sockets."""
    socks = []
    for _ in range(count):
        s = socket.socket(af(fam), socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect((address(fam), port))
            socks.append(s)
        except OSError:
            s.close()
    return socks


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def retry(what, fn, seconds):
    """Calls fn until it returns without TestFailure/OSError, for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return fn()
        except (TestFailure, OSError, subprocess.TimeoutExpired) as e:
            if time.monotonic() > deadline:
                raise TestFailure(f"{what}: not served within {seconds} s ({e})")
            time.sleep(0.2)


def c37_stream_works(fam, frames=3, extra=()):
    r = pdc("c37", "stream", f"-{fam}", HOST, "-n", frames, "--format", "none", "-q", "-t", "5", *extra, timeout=30)
    check(r.returncode == 0, f"pdc c37 stream: exit {r.returncode}: {r.stderr.decode(errors='replace')[-300:]}")


# ---- flood ------------------------------------------------------------------------------

def case_flood(fam):
    for port in (PORT_CMD, c37util.PORT_TCP):
        socks = open_many(fam, port, 40)
        try:
            device_alive()
            check(echo_once(fam) == b"still here\n", f"echo did not answer during a flood of {port}")
            if port == PORT_CMD:
                c37_stream_works(fam)
            else:
                check(command(fam, b"CMD_short:0") == WIRE, "the command service failed during a flood of 4712")
        finally:
            close_all(socks)
        device_alive()
        if port == PORT_CMD:
            retry("the command service after the flood", lambda: check(command(fam, b"CMD_short:0") == WIRE, "bad answer"), 15)
        else:
            retry("the C37 service after the flood", lambda: c37_stream_works(fam), 15)
    check_pools_drained("connection flood")


# ---- TLS squatting -------------------------------------------------------------------------

def console_works(fam):
    r = console(f"-{fam}", "version")
    check(r.returncode == 0 and b"PMU firmware" in r.stdout,
          f"console: exit {r.returncode}: {r.stderr.decode(errors='replace')[-300:]}")


def case_tls_squat(fam):
    stop = threading.Event()
    squatters = []
    lock = threading.Lock()

    def squat():
        # Keeps three plain TCP connections to 5007 open, replacing any the device drops.
        while not stop.is_set():
            with lock:
                alive = []
                for s in squatters:
                    r, _, _ = select.select([s], [], [], 0)
                    if r:
                        try:
                            if s.recv(1) == b"":
                                s.close()
                                continue
                        except OSError:
                            s.close()
                            continue
                    alive.append(s)
                squatters[:] = alive
                while len(squatters) < 3:
                    s = socket.socket(af(fam), socket.SOCK_STREAM)
                    s.settimeout(2)
                    try:
                        s.connect((address(fam), PORT_TLS))
                        squatters.append(s)
                    except OSError:
                        s.close()
                        break
            time.sleep(0.1)

    t = threading.Thread(target=squat, daemon=True)
    t.start()
    try:
        deadline = time.monotonic() + 5
        while len(squatters) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        check(len(squatters) >= 2, f"could not open the squatting connections ({len(squatters)})")
        for i in range(3):
            retry(f"console session {i + 1} while 5007 is squatted", lambda: console_works(fam), 5)
    finally:
        stop.set()
        t.join(5)
        close_all(squatters)
    check_pools_drained("TLS squatting")


# ---- isolation --------------------------------------------------------------------------

def ws_upgrade(fam):
    s = connect(fam, PORT_WS)
    s.sendall(b"GET / HTTP/1.1\r\nHost: pmu\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        b = s.recv(1024)
        check(b, "the WebSocket service closed during the upgrade")
        head += b
    check(head.startswith(b"HTTP/1.1 101"), f"WebSocket upgrade refused: {head[:40]!r}")
    return s


def case_isolation(fam):
    held = []
    limits = session_limit("echo"), session_limit("cmd"), session_limit("ws")
    try:
        held += open_many(fam, PORT_ECHO, limits[0])
        held += open_many(fam, PORT_CMD, limits[1])
        for _ in range(limits[2]):
            held.append(ws_upgrade(fam))
        check(len(held) == sum(limits), f"only {len(held)} of the {sum(limits)} idle sessions opened")
        c37_stream_works(fam)
        got = tls_command(fam, b"CMD_time")
        check(got.endswith(b"Z\n"), f"CMD_time over TLS answered {got!r}")
    finally:
        close_all(held)
    check_pools_drained("isolation")


# ---- SYN flood ---------------------------------------------------------------------------

def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def link_interface():
    names = [n for n in os.listdir("/sys/class/net") if n != "lo"]
    check(len(names) >= 1, "no link interface in the namespace")
    for n in names:  # the bridge of a fleet, else the one TAP link
        if os.path.isdir(f"/sys/class/net/{n}/bridge"):
            return n
    return names[0]


def mac_of(ifname):
    with open(f"/sys/class/net/{ifname}/address") as f:
        return bytes.fromhex(f.read().strip().replace(":", ""))


def device_mac(fam):
    # Talk to the device once so that the neighbour entry exists.
    echo_once(fam)
    out = subprocess.run(["ip", "-6" if fam == 6 else "-4", "neigh", "show", address(fam)],
                         capture_output=True, text=True).stdout.split()
    check("lladdr" in out, f"no neighbour entry for the device: {out}")
    return bytes.fromhex(out[out.index("lladdr") + 1].replace(":", ""))


def syn_frame(fam, src_mac, dst_mac, src_ip, dst_ip, sport, dport):
    seq = random.getrandbits(32)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
    if fam == 4:
        src, dst = socket.inet_pton(socket.AF_INET, src_ip), socket.inet_pton(socket.AF_INET, dst_ip)
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), random.getrandbits(16), 0, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        return dst_mac + src_mac + b"\x08\x00" + ip + tcp
    src, dst = socket.inet_pton(socket.AF_INET6, src_ip), socket.inet_pton(socket.AF_INET6, dst_ip)
    pseudo = src + dst + struct.pack("!I3xB", len(tcp), 6)
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!IHBB16s16s", 6 << 28, len(tcp), 6, 64, src, dst)
    return dst_mac + src_mac + b"\x86\xdd" + ip + tcp


def send_spoofed_syns(fam, count, first):
    """SYNs to the command port from addresses no host on the link has, so that the
    device's SYN-ACKs are never answered (its ARP/ND for them goes unanswered)."""
    ifname = link_interface()
    src_mac, dst_mac = mac_of(ifname), device_mac(fam)
    spoof_mac = bytes([0x02, 0x66, 0x66, 0, 0, 0])
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as raw:
        raw.bind((ifname, 0))
        for i in range(count):
            src_ip = f"192.0.2.{first + i}" if fam == 4 else f"2001:db8::{first + i:x}"
            raw.send(syn_frame(fam, spoof_mac[:5] + bytes([i]), dst_mac, src_ip, address(fam),
                               random.randint(20000, 60000), PORT_CMD))
    del src_mac


def case_syn_flood(fam):
    for round_, count in enumerate((16, 4)):
        send_spoofed_syns(fam, count, 100 + 20 * round_)
        time.sleep(0.2)  # let the SYNs land before the real client's
        t0 = time.monotonic()
        try:
            with connect(fam, PORT_CMD, timeout=3) as s:
                s.sendall(b"CMD_short:0\n")
                data, _ = recv_until_close(s, 10)
        except OSError as e:
            raise TestFailure(f"after {count} half-open SYNs a real client could not connect: {e}")
        took = time.monotonic() - t0
        check(data == WIRE, f"after {count} half-open SYNs the command port answered {data[:40]!r}")
        check(took < 3, f"after {count} half-open SYNs a connection took {took:.1f} s")
    check_pools_drained("SYN flood")


# ---- same source port ---------------------------------------------------------------------

def case_same_port(fam):
    port = random.randint(40000, 50000)
    for attempt in range(3):
        s = socket.socket(af(fam), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0" if fam == 4 else "::", port))
        s.settimeout(3)
        t0 = time.monotonic()
        while True:
            try:
                s.connect((address(fam), PORT_CMD))
                break
            except OSError as e:
                # The client's own previous socket may still wait for the device's last
                # ACK (LAST_ACK): that is this host's state, not the device's.
                if e.errno == errno.EADDRNOTAVAIL and time.monotonic() - t0 < 2:
                    time.sleep(0.05)
                    continue
                raise TestFailure(f"reconnect {attempt} from port {port} failed after "
                                  f"{time.monotonic() - t0:.1f} s: {e}")
        s.sendall(b"CMD_short:0\n")
        data, _ = recv_until_close(s, 10)
        check(data == WIRE, f"reconnect {attempt}: answered {data[:40]!r}")
        s.close()  # the device closed first: its side of this connection is in TIME_WAIT
    check_pools_drained("same-port reconnects")


# ---- stalled readers -------------------------------------------------------------------------

def stalled_echo_client(fam, results, i):
    s = connect(fam, PORT_ECHO)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    s.setblocking(False)
    started = None
    try:
        deadline = time.monotonic() + STALL_S + 40
        while time.monotonic() < deadline:
            try:
                s.send(b"s" * 8192)
            except BlockingIOError:
                if started is None:
                    started = time.monotonic()
                time.sleep(0.05)
            except (ConnectionResetError, BrokenPipeError):
                results[i] = time.monotonic() - (started or time.monotonic())
                return
    finally:
        s.close()
    results[i] = None


def case_stalled(fam):
    # As many echo clients as the service serves, sending without reading.
    n = session_limit("echo")
    results = {}
    threads = [threading.Thread(target=stalled_echo_client, args=(fam, results, i)) for i in range(n)]
    for t in threads:
        t.start()
    time.sleep(2)
    # Meanwhile a new PDC is served: its header, CFG-2 and data arrive.
    c37_stream_works(fam)
    st = device_stats()
    check(st["heap"][3] == 0, f"heap allocations failed while echo clients stalled: {st['heap']}")
    for t in threads:
        t.join(STALL_S + 60)
    late = {i: r for i, r in results.items() if r is None or r > STALL_BOUND_S}
    check(len(results) == n and not late,
          f"stalled echo clients not aborted within {STALL_BOUND_S} s of stalling: {results}")

    # Fourteen CMD_floodme clients that never read (their window closes).
    socks = []
    for _ in range(14):
        s = connect(fam, PORT_CMD)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        s.sendall(b"CMD_floodme:100000000\n")
        socks.append(s)
    t0 = time.monotonic()
    pending = list(socks)
    while pending and time.monotonic() - t0 < STALL_BOUND_S + 20:
        c37_stream_works(fam, frames=1)
        for s in list(pending):
            # A reset shows as an error on a zero-length probe of the socket.
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                pending.remove(s)
        time.sleep(0.5)
    took = time.monotonic() - t0
    close_all(socks)
    check(not pending, f"{len(pending)} of 14 zero-window CMD_floodme clients still connected after {took:.0f} s")
    check(took < STALL_BOUND_S + 5, f"zero-window clients took {took:.0f} s to be aborted")
    check_pools_drained("stalled readers")


# ---- oversized TLS record ------------------------------------------------------------------

# The largest record plaintext the device accepts (docs/PROTOCOL.md, "TLS policy").
TLS_RECORD_LIMIT = 2048


def tls_record_outcome(fam, size):
    """What the device does with one TLS record of `size` bytes of plaintext."""
    s = tls_connect(fam, PORT_TLS)
    s.settimeout(5)
    t0 = time.monotonic()
    try:
        s.sendall(b"C" * size)  # Python's ssl writes it as one record
        data = s.recv(100)
        outcome = f"data {data!r}" if data else "closed without an alert"
    except ssl.SSLError as e:
        outcome = f"alert: {e}"
    except (ConnectionResetError, BrokenPipeError) as e:
        outcome = f"reset: {e}"
    except socket.timeout:
        outcome = "no answer within 5 s"
    took = time.monotonic() - t0
    s.close()
    return outcome, took


def oversized_records():
    """The TLS command service's count of records refused as too long."""
    since = log_size()
    request_stats()
    wait_log(r"stats: end of report", since)
    return int(log_lines(r"stats: tls tls-cmd .*oversized_records=(\d+)", since)[-1].group(1))


def case_tls_record(fam):
    # At the limit the record is read (the command service then refuses a line that
    # long); one byte over it, and at the 16 KiB TLS allows, the record_overflow alert
    # ends the connection at once.
    idle, _, _ = tls_arena()
    before = oversized_records()
    outcome, _ = tls_record_outcome(fam, TLS_RECORD_LIMIT)
    check("RECORD_OVERFLOW" not in outcome.upper() and oversized_records() == before,
          f"a record of {TLS_RECORD_LIMIT} bytes was refused: {outcome}")
    for size in (TLS_RECORD_LIMIT + 1, 16384):
        outcome, took = tls_record_outcome(fam, size)
        check("RECORD_OVERFLOW" in outcome.upper(), f"a record of {size} bytes got: {outcome}")
        check(took < 3, f"the alert took {took:.1f} s")
        before += 1
        check(oversized_records() == before, f"the record of {size} bytes was not counted as oversized")
    # The device still serves TLS, and the session's memory came back.
    got = tls_command(fam, b"CMD_time")
    check(got.endswith(b"Z\n"), f"CMD_time after the oversized record: {got!r}")
    used, _, _ = tls_arena()
    deadline = time.monotonic() + 10
    while used > idle and time.monotonic() < deadline:
        time.sleep(0.2)
        used, _, _ = tls_arena()
    check(used <= idle, f"the TLS arena holds {used} bytes after the sessions ended, {idle} before")
    check_pools_drained("oversized TLS record")


# ---- UDP leases -------------------------------------------------------------------------------

def case_udp_lease(fam):
    lease = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    # Four PDCs turn data on and vanish without data off.
    for _ in range(4):
        with socket.socket(af(fam), socket.SOCK_DGRAM) as u:
            u.sendto(c37util.command(c37util.CMD_DATA_ON), (address(fam), c37util.PORT_UDP))
    time.sleep(lease + 2)
    # Their leases ran out: a real PDC streams over UDP.
    c37_stream_works(fam, frames=5, extra=("--udp",))
    # A PDC that stays renews its lease: a stream three leases long has no gap.
    r = pdc("c37", "stream", f"-{fam}", HOST, "--udp", "-d", lease * 3, "--format", "json", "-q", "-t", "3",
            "--json", timeout=60)
    check(r.returncode == 0, f"a long UDP stream failed: {r.stderr.decode(errors='replace')[-300:]}")
    times = []
    for line in r.stdout.decode().splitlines():
        if '"type":"data"' in line.replace(" ", ""):
            o = json.loads(line)
            times.append(o["soc"] + o["fracsec"] / 1e6)
    check(len(times) > 10, f"only {len(times)} data frames in {lease * 3} s")
    gaps = [b - a for a, b in zip(times, times[1:])]
    check(max(gaps) < 1.0, f"the UDP stream had a gap of {max(gaps):.2f} s (lease not renewed?)")
    check_pools_drained("UDP leases")


def c37_pdc_line(port, since):
    """The report's line for the PDC connected from local `port`."""
    for m in log_lines(r"stats: (c37 pdc \S+ .*)", since):
        if m.group(1).split()[2].endswith(f":{port}"):
            return m.group(1)
    return None


def case_c37_replies(fam):
    asked = 3000
    s = socket.socket(af(fam), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # replies pile up at the device
    s.settimeout(10)
    s.connect((address(fam), c37util.PORT_TCP))
    port = s.getsockname()[1]
    s.sendall(c37util.command(c37util.CMD_HEADER) * asked)
    c37_stream_works(fam)  # another PDC is served while this one does not read
    line = None
    deadline = time.monotonic() + 15
    while line is None or int(re.search(r"replies=(\d+)", line).group(1)) == 0:
        check(time.monotonic() < deadline, f"no dropped replies reported for the flooding PDC: {line}")
        since = log_size()
        request_stats()
        wait_log(r"stats: c37 drops ", since)
        time.sleep(0.3)
        line = c37_pdc_line(port, since)
        check(line is not None, f"the report has no line for the PDC on port {port}")
    frames = c37util.read_frames(s, 5)
    headers = sum(1 for f in frames if f.type == c37util.TYPE_HEADER)
    since = log_size()
    request_stats()
    wait_log(r"stats: c37 drops ", since)
    time.sleep(0.3)
    line = c37_pdc_line(port, since)
    dropped = int(re.search(r"replies=(\d+)", line).group(1))
    check(headers + dropped == asked, f"{headers} headers received + {dropped} dropped != {asked} asked ({line})")
    total = int(log_lines(r"stats: c37 drops .* replies=(\d+)", since)[-1].group(1))
    check(total >= dropped, f"the service counts {total} dropped replies, the connection {dropped}")
    s.close()
    print(f"{asked} header requests: {headers} answered, {dropped} replies dropped and counted ({line})")


def reset_stats():
    since = log_size()
    request_stats()
    m = wait_log(r"stats: reset received=(\d+) .* malformed=(\d+) answered=(\d+) .* advanced_s=(\d+) "
                 r"fernet_rejected=\d+ rate_limited=(\d+) beyond_bound=(\d+)", since)
    return dict(zip(("received", "malformed", "answered", "advanced", "rate_limited", "beyond_bound"),
                    map(int, m.groups())))


def case_clock_push(fam):
    bound, rate, pushed = int(sys.argv[3]), int(sys.argv[4]), 5500
    past_certs = bound >= 86400 * pushed // 4
    before = reset_stats()
    started = time.monotonic()
    with socket.socket(af(fam), socket.SOCK_DGRAM) as s:
        for i in range(pushed):
            s.sendto(b"RESET:86400", (address(fam), 5004))
            if i % 200 == 199:
                time.sleep(0.1 if past_certs else 0.005)  # within the host's socket buffer
    time.sleep(1.5)
    after = reset_stats()
    elapsed = time.monotonic() - started
    d = {k: after[k] - before[k] for k in after}
    check(d["received"] > pushed // 2, f"the device received {d['received']} of {pushed} requests")
    check(d["answered"] + d["rate_limited"] + d["beyond_bound"] + d["malformed"] == d["received"],
          f"requests not accounted for: {d}")
    if not past_certs:  # the limits are what this run is about
        check(d["rate_limited"] > 0 and d["beyond_bound"] > 0, f"a limit was not reached: {d}")
    else:  # the certificates are: the lab clock goes past their 825 days
        check(after["advanced"] > 825 * 86400, f"the clock moved only {after['advanced']} s")
    check(after["advanced"] <= bound, f"the clock moved {after['advanced']} s, past reset.max_offset_s {bound}")
    check(d["answered"] <= rate * (elapsed + 1), f"{d['answered']} moves in {elapsed:.1f} s: more than {rate} a second")
    console_works(fam)
    print(f"{pushed} pushes: {d['answered']} moved the clock by {d['advanced']} s in {elapsed:.1f} s, "
          f"{d['rate_limited']} over the rate, {d['beyond_bound']} past the bound; the console still lets the operator in")


def sink_datagrams():
    since = log_size()
    request_stats()
    return int(wait_log(r"stats: sink datagrams=(\d+)", since).group(1)), since


def case_log_flood(fam):
    sent = 3000
    before, _ = sink_datagrams()
    since = log_size()
    started = time.monotonic()
    with socket.socket(socket.AF_INET if fam == 4 else socket.AF_INET6, socket.SOCK_DGRAM) as s:
        for i in range(sent):
            s.sendto(b"flood %d" % i, (address(fam), PORT_SINK))
            if i % 200 == 199:
                time.sleep(0.01)  # within the host's socket buffer, not a test of it
    flood_s = time.monotonic() - started
    check(echo_once(fam) == b"still here\n", "echo did not answer after the flood")
    held = wait_log(r"WARN  sink: (\d+) messages suppressed \(more than 20 a second\)", since, timeout=10)
    logged = len(log_lines(r"INFO  sink: \d+ bytes from .*\"flood \d+\"", since))
    suppressed = sum(int(m.group(1)) for m in log_lines(r"WARN  sink: (\d+) messages suppressed", since))
    elapsed = time.monotonic() - started
    # The bucket: 40 at once, then 20 a second (one second's slack for the timing).
    check(logged <= 40 + 20 * (elapsed + 1), f"{logged} sink records in {elapsed:.1f} s: the flood was not limited")
    # A lost datagram (the host's buffers, the device's receive pool) is neither; a
    # record must never be both or lost from the count.
    after, since_stats = sink_datagrams()
    check(after - before > sent // 2, f"the sink received {after - before} of {sent} datagrams")
    check(logged + suppressed == after - before,
          f"{logged} logged + {suppressed} suppressed != {after - before} received by the sink")
    total = wait_log(r"stats: log records=\d+ suppressed=(\d+)", since_stats)
    check(int(total.group(1)) >= suppressed, f"the report's suppressed count {total.group(1)} < {suppressed}")
    print(f"{sent} datagrams in {flood_s:.2f} s: {logged} logged, {suppressed} suppressed "
          f"({held.group(0).split('sink: ')[1]})")


CASES = {
    "flood": case_flood,
    "tls_squat": case_tls_squat,
    "isolation": case_isolation,
    "syn_flood": case_syn_flood,
    "same_port": case_same_port,
    "stalled": case_stalled,
    "tls_record": case_tls_record,
    "udp_lease": case_udp_lease,
    "log_flood": case_log_flood,
    "clock_push": case_clock_push,
    "c37_replies": case_c37_replies,
}


def main():
    fam = family_from_argv()
    check(len(sys.argv) > 2 and sys.argv[2] in CASES, f"usage: test_hostile.py FAMILY {{{','.join(CASES)}}}")
    CASES[sys.argv[2]](fam)


if __name__ == "__main__":  # bench/hostile_load.py uses the attacks too
    run(main)
