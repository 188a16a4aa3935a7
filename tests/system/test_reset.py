#!/usr/bin/env python3
"""The clock reset service, for one family mode (argv[2]: both, ipv4, ipv6, alternate):
answers come over the active family only; identified requests move the clock once;
the device clock moves by exactly the sum of the distinct answers; malformed requests
are logged and ignored. The launcher sets reset.loss=0 and, for alternate, a 2 s
period."""
import datetime
import socket
import time

from pmutest import *


def request(fam, text, wait=0.5):
    """One datagram from a fresh socket; the answer, or None after `wait` seconds."""
    with socket.socket(af(fam), socket.SOCK_DGRAM) as s:
        s.settimeout(wait)
        s.sendto(text, (address(fam), 5004))
        try:
            return s.recv(200)
        except socket.timeout:
            return None


def clock_offset_from_log(since=0):
    lines = log_lines(r"clock offset now ([+-]\d+) s", since)
    return int(lines[-1].group(1)) if lines else 0


def main():
    mode = sys.argv[2]
    answering = {"both": {4, 6}, "ipv4": {4}, "ipv6": {6}}.get(mode)

    if mode != "alternate":
        # The active families answer, the inactive one really does not: its request
        # is counted as ignored by the device (checked in its statistics).
        for fam in (4, 6):
            answer = request(fam, b"RESET:10", wait=2 if fam in answering else 0.5)
            if fam in answering:
                check(answer is not None and answer.startswith(b"OFFSET="), f"no answer over IPv{fam} in {mode} mode")
            else:
                check(answer is None, f"IPv{fam} answered in {mode} mode: {answer!r}")
        stats = device_stats_text()
        inactive = int(re.search(r"inactive_family=(\d+)", stats).group(1))
        check(inactive == (0 if mode == "both" else 1), f"inactive_family={inactive} in {mode} mode")
        # pdc reports the family that answered.
        summary, lines = pdc_json("reset", HOST, "1000", "--wait", "200ms")
        fam_used = int(summary["answering_families"][-1])
        check(fam_used in answering, f"pdc got its answer over {summary['answering_families']} in {mode} mode")
    else:
        # Alternate: over 5 s, each family answers in its own turns, never both at once.
        seen = set()
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and seen != {4, 6}:
            token = f"alt{time.monotonic_ns()}".encode()
            a4 = request(4, b"RESET:0;id=" + token + b"4", wait=0.2)
            a6 = request(6, b"RESET:0;id=" + token + b"6", wait=0.2)
            check(not (a4 and a6), "both families answered within one turn of alternate mode")
            if a4:
                seen.add(4)
            if a6:
                seen.add(6)
        check(seen == {4, 6}, f"alternate mode answered only over {seen} in 8 s")
        r = subprocess.run([PDC, "reset", HOST, "100", "--runs", "10", "--wait", "200ms", "--json"],
                           capture_output=True, timeout=60)
        check(r.returncode == 0, f"pdc reset in alternate mode: {r.stderr}")

    if mode != "alternate":
        fam = min(answering)
        # Identified requests: a repeat gets the first answer and leaves the clock alone.
        since = log_size()
        first = request(fam, b"RESET:50000;id=dup-test-1", wait=2)
        check(first and first.startswith(b"OFFSET="), "no answer to the identified request")
        before = clock_offset_from_log()
        again = request(fam, b"RESET:50000;id=dup-test-1", wait=2)
        check(again == first, f"repeat answered {again!r}, first answer was {first!r}")
        wait_log(r"RESET:50000;id=dup-test-1 repeated: OFFSET=\d+ again, clock unchanged", since)
        check(clock_offset_from_log() == before, "a repeated identifier moved the clock")

        # Malformed requests are logged with their reason and ignored; the service goes on.
        since = log_size()
        for bad, reason in ((b"RESET:86401", "seconds above 86400"), (b"RESET:-5", "expected a whole number"),
                            (b"hello", "not a RESET request"), (b"RESET:5;id=no spaces", "bad request identifier"),
                            (b"R" * 300, "oversized datagram of 300 bytes")):
            check(request(fam, bad, wait=0.3) is None, f"{bad[:20]!r} was answered")
            wait_log(re.escape(reason), since)
        check(request(fam, b"RESET:1", wait=2) is not None, "the service stopped after malformed requests")

    # The device clock moved by exactly the sum of the distinct answers: the device's
    # own total, its log's running offset, and its UTC against ours.
    stats = device_stats_text()
    advanced = int(re.search(r"advanced_s=(\d+)", stats).group(1))
    offset = clock_offset_from_log()
    check(advanced == offset, f"the device moved its clock {advanced} s but reports an offset of {offset} s")
    since = log_size()
    pdc("send", HOST, "clock check")
    line = wait_log(r"^(\S+)Z INFO  sink: .*clock check", since)
    device_utc = datetime.datetime.fromisoformat(line.group(1))
    host_utc = datetime.datetime.utcnow()
    skew = (device_utc - host_utc).total_seconds()
    check(abs(skew - offset) < 2, f"device UTC is {skew:.1f} s ahead of ours, expected {offset} s")


def device_stats_text():
    since = log_size()
    request_stats()
    return wait_log(r"stats: reset .*", since).group(0)


run(main)
