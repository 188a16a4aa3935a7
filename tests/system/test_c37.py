#!/usr/bin/env python3
"""The C37.118.2 service of one PMU over TCP 4712 and UDP 4713: every command, several
PDCs with their own data state, extended and corrupt frames ignored, reporting
instants on the UTC grid, UDP subscription with periodic CFG-2, the spontaneous
multicast stream, pdc c37 stream in every output format, and the device's pools
drained afterwards."""
import json
import socket
import struct
import time

from pmutest import *
from c37util import *

RATE = 30


def check_instants(frames):
    data = [f for f in frames if f.type == TYPE_DATA]
    check(len(data) >= 2, f"only {len(data)} data frames")
    for f in data:
        check(f.crc_ok, "data frame with a bad CRC")
        # On an exact multiple of 1/RATE s from the second: FRACSEC (TIME_BASE 1e6) is
        # the nearest microsecond.
        k = round(f.fraction * RATE / 1e6)
        check(abs(f.fraction - round(k * 1e6 / RATE)) <= 0, f"FRACSEC {f.fraction} not on the 1/{RATE} s grid")
    for a, b in zip(data, data[1:]):
        da = a.soc * RATE + round(a.fraction * RATE / 1e6)
        db = b.soc * RATE + round(b.fraction * RATE / 1e6)
        check(db == da + 1, f"reports not consecutive: {a.soc}.{a.fraction} then {b.soc}.{b.fraction}")
    return data


def tcp_commands(fam):
    with connect(fam, PORT_TCP) as s:
        sp = Splitter()
        for code, want in ((CMD_HEADER, TYPE_HEADER), (CMD_CFG1, TYPE_CFG1), (CMD_CFG2, TYPE_CFG2),
                           (CMD_CFG3, TYPE_CFG3)):
            s.sendall(command(code))
            frames = read_frames(s, 3, sp, want)
            check(frames and frames[-1].type == want, f"command {code}: no frame of type {want}")
            f = frames[-1]
            check(f.crc_ok and f.idcode == 1, f"command {code}: bad frame")
            check(f.version == 2, "version 2 by default")
            if want == TYPE_HEADER:
                text = f.raw[14:-2].decode()
                check("P class" in text and "triangular window" in text and "Time: " in text, f"header text: {text[:120]}")
        # Garbage, a bad-CRC command and an extended frame are ignored; the session lives.
        bad = bytearray(command(CMD_DATA_ON))
        bad[-1] ^= 0xFF
        s.sendall(b"\x00garbage\xaa\x00" + bytes(bad) + command(CMD_EXTENDED, extra=b"\x01\x02\x03hello"))
        check(not [f for f in read_frames(s, 0.5, sp) if f.type == TYPE_DATA], "data after a bad-CRC data on")
        # Data on: frames at the rate on the UTC grid; a version 1 command is accepted too.
        s.sendall(command(CMD_DATA_ON, version=1))
        data = check_instants(read_frames(s, 1.2, sp))
        check(RATE * 0.8 <= len(data) <= RATE * 1.3, f"{len(data)} data frames in 1.2 s at {RATE}/s")
        check(all(f.stat() & 0x0400 == 0 for f in data), "configuration-changed bit set without a change")
        # Data off: nothing after the frames in flight.
        s.sendall(command(CMD_DATA_OFF))
        read_frames(s, 0.3, sp)
        late = [f for f in read_frames(s, 0.5, sp) if f.type == TYPE_DATA]
        check(not late, f"{len(late)} data frames after data off")


def two_pdcs(fam):
    with connect(fam, PORT_TCP) as a, connect(fam, PORT_TCP) as b:
        a.sendall(command(CMD_DATA_ON))
        fa, fb = read_frames(a, 0.5), read_frames(b, 0.5)
        check(len([f for f in fa if f.type == TYPE_DATA]) >= 10, "PDC A got no data")
        check(not fb, "PDC B got frames it did not ask for")
        b.sendall(command(CMD_DATA_ON))
        a.sendall(command(CMD_DATA_OFF))
        read_frames(a, 0.3)
        fb = read_frames(b, 0.5)
        fa = read_frames(a, 0.5)
        check(len([f for f in fb if f.type == TYPE_DATA]) >= 10, "PDC B got no data after data on")
        check(not fa, "PDC A still gets data after data off")


def udp(fam):
    with socket.socket(af(fam), socket.SOCK_DGRAM) as s:
        s.connect((address(fam), PORT_UDP))
        s.send(command(CMD_CFG2))
        got = udp_frames(s, 2, TYPE_CFG2)
        check(got and got[-1].type == TYPE_CFG2 and got[-1].crc_ok, "no CFG-2 over UDP")
        s.send(command(CMD_HEADER))
        check(udp_frames(s, 2, TYPE_HEADER)[-1].type == TYPE_HEADER, "no header over UDP")
        s.send(command(CMD_DATA_ON))
        frames = udp_frames(s, 2.6)
        data = check_instants(frames)
        check(len(data) >= 2 * RATE, f"{len(data)} UDP data frames in 2.6 s")
        cfgs = [f for f in frames if f.type == TYPE_CFG2]
        check(1 <= len(cfgs) <= 3, f"{len(cfgs)} periodic CFG-2 frames in 2.6 s (period 1 s)")
        s.send(command(CMD_DATA_OFF))
        udp_frames(s, 0.3)
        check(not udp_frames(s, 0.5), "UDP data after data off")


def multicast():
    """c37.multicast: data and CFG-2 to 239.1.47.13:4713 with no command at all."""
    group = "239.1.47.13"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((group, PORT_UDP))
        mreq = struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton(os.environ["PMU_HOST_IPV4"]))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        frames = udp_frames(s, 1.5)
    data = check_instants(frames)
    check(len(data) >= RATE, f"{len(data)} multicast data frames in 1.5 s")
    check(any(f.type == TYPE_CFG2 for f in frames), "no CFG-2 in the multicast stream within 1.5 s")


def pdc_stream(fam):
    for transport in ([], ["--udp"]):
        for cfg in ("2", "3"):
            summary, lines = pdc_json("c37", "stream", f"-{fam}", HOST, *transport, "--cfg", cfg, "-n", "10",
                                      "--format", "json", "-q")
            check(summary["frames"] == 10 and summary["undecodable"] == 0, f"stream summary {summary}")
            check(summary["header_received"] and summary["header_bytes"] > 100, f"the device's header: {summary}")
            objs = [json.loads(l) for l in lines]
            check(objs[0]["type"] == "config" and objs[0]["frame"] == f"CFG-{cfg}", f"first line {objs[0]}")
            data = [o for o in objs if o["type"] == "data"]
            check(len(data) == 10, f"{len(data)} data lines")
            pmu = data[-1]["pmus"][0]
            check(abs(pmu["freq"] - 60) < 0.001, f"frequency {pmu['freq']}")
            va = pmu["phasors"]["VA"]
            check(abs(va[0] - 132790) / 132790 < 1e-3, f"VA magnitude {va[0]}")
            check(abs(pmu["phasors"]["VB"][1] + 120) < 0.05, f"VB angle {pmu['phasors']['VB'][1]}")
    for fmt, marker in (("csv", "time,soc,fracsec"), ("table", "time soc fracsec")):
        r = pdc("c37", "stream", f"-{fam}", HOST, "-n", "3", "--format", fmt, "-q")
        out = r.stdout.decode()
        check(r.returncode == 0 and out.startswith(marker) and len(out.splitlines()) == 4, f"{fmt}: {out[:200]}")


def main():
    fam = family_from_argv()
    t0 = time.monotonic()
    tcp_commands(fam)
    two_pdcs(fam)
    udp(fam)
    multicast()
    pdc_stream(fam)
    since = log_size()
    request_stats()
    m = wait_log(r"stats: c37 accepted=(\d+) .* rejected=(\d+) .* dropped=(\d+)", since)
    check(int(m.group(2)) >= 1, "the bad-CRC frame was not counted as rejected")
    check_pools_drained("c37")
    print(f"c37 service checks in {time.monotonic() - t0:.1f} s")


run(main)
