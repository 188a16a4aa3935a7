#!/usr/bin/env python3
"""Time of its own (docs/PROTOCOL.md "Time: PTP slave", "Time: SNTP client"). The
device's oscillator is off (pmu-netns --set sim.clock_offset_us=random --set
sim.clock_drift_ppb=random) and a reference runs beside it: a PTP grandmaster
(pmu-netns --ptp: linuxptp's ptp4l; with the argument power, pmu-netns --ptp-power: the
power profile's Ethernet transport and peer delay), or with the argument sntp an NTP
server (pmu-netns --ntp: chrony's chronyd), which the text below also calls the
grandmaster:

  - with the grandmaster held, the device says it is unsynchronised (STAT bit 13, time
    quality 0xF), whatever its clock shows;
  - let go, the device locks: STAT bit 13 clear, bits 8-6 and the FRACSEC code from
    its error bound, its true error against the host's UTC (the simulator's stats
    line; on a board, CMD_time against the round trip's middle, to within half of it)
    under TRUE_BOUND_NS and never beyond the bound it claims;
  - grandmaster stopped: within HOLDOVER_S, STAT bit 13 set and a bound that grows;
  - a fleet (one grandmaster): every device's V1 angle at the same time stamp agrees
    with the others' within what their true time errors allow;
  - peer delay (power): ptp4l measures its link to the device from the device's
    answers to its Pdelay_Req (its PORT_DATA_SET, read with pmc), and the device
    measures the link from ptp4l's answers;
  - grandmaster back: locked again within RELOCK_S."""
import calendar
import json
import os
import re
import signal
import subprocess
import sys
import time

from pmutest import *
from c37util import *

# The time source under test (argv[2]): ptp (default), power (PTP over Ethernet with
# peer delay: pmu-netns --ptp-power, the device set to ptp.transport=l2 ptp.delay=p2p),
# or sntp with pmu-netns --ntp and the device pointed at it (time.source=sntp,
# sntp.server, sntp.poll_s=2).
KIND = sys.argv[2] if len(sys.argv) > 2 else "ptp"
SOURCE = "sntp" if KIND == "sntp" else "ptp"
REFERENCE_PID = int(os.environ.get("PMU_PTP_PID" if SOURCE == "ptp" else "PMU_NTP_PID", "0") or 0)
LOCKED_RE = {"ptp": r"ptp: locked to \S+: error within \d+ ns",
             "sntp": r"sntp: locked to \S+ \(stratum \d+\): error within \d+ ns"}[SOURCE]
LOST_RE = {"ptp": r"ptp: master \S+ lost: holdover", "sntp": r"sntp: server \S+ lost: holdover"}[SOURCE]
LOCK_S = 30          # from the grandmaster's first Announce (the server's first answer) to "locked"
# |true error| once locked: the TAP link's stated stamp lateness (software time stamps);
# a board states none of its own and adds 1 ms to its bound (docs/BOARD.md).
TRUE_BOUND_NS = 500_000 if TARGET == "sim" else 1_000_000
# Three announce intervals (3 s) plus the slave's tick and margin; for SNTP three polls
# of 2 s, and the request in flight.
HOLDOVER_S = 5 if SOURCE == "ptp" else 9
# A board's true-error sample is a TLS handshake, which holds its main loop for up to a
# second under QEMU: a Sync that arrives meanwhile is stamped that late and skipped as an
# outlier. At the power profile's one Sync a second, back-to-back samples made four such
# Syncs in a row, and the slave rightly gave up its lock (holdover while the grandmaster
# ran; docs/BOARD.md). Spaced samples let every other Sync through.
BOARD_SAMPLE_GAP_S = 1.5 if KIND == "power" else 0.5
# One Sync a second in the power profile; SNTP polls every 2 s and relocked 18.5 s after
# the server stopped under ASan (of 20 s before).
RELOCK_S = 30 if KIND in ("power", "sntp") else 20


def frames(seconds):
    """Data frames of `seconds` of the stream."""
    with connect(4, PORT_TCP) as s:
        sp = Splitter()
        s.sendall(command(CMD_DATA_ON))
        got = [f for f in read_frames(s, seconds, sp) if f.type == TYPE_DATA]
        s.sendall(command(CMD_DATA_OFF))
    check(got, "no data frames")
    return got


def time_quality(f):
    """(sync lost, STAT bits 5-4, STAT bits 8-6, FRACSEC code) of a data frame."""
    stat = f.stat()
    return bool(stat & 0x2000), (stat >> 4) & 3, (stat >> 6) & 7, f.tq


def board_time_error():
    """A board's time error against the host's UTC, which QEMU's clock and the
    grandmaster follow: CMD_time over an established TLS session, its answer against
    the middle of the round trip, the shortest of five. Returns (error ns, RTT ns); the
    answer was taken somewhere in the round trip, so the error is known to RTT/2."""
    best = None
    for _ in range(5):
        with tls_connect(4, PORT_TLS) as s:
            s.settimeout(10)
            sent = time.time_ns()
            s.sendall(b"CMD_time\n")
            data, _ = recv_until_close(s, 10)
            back = time.time_ns()
        m = re.match(rb"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})Z", data)
        check(m, f"CMD_time answered {data!r}")
        y, mo, d, h, mi, sec, us = (int(x) for x in m.groups())
        device_ns = calendar.timegm((y, mo, d, h, mi, sec)) * 10**9 + us * 1000
        sample = (device_ns - (sent + back) // 2, back - sent)
        if best is None or sample[1] < best[1]:
            best = sample
    return best


def clock_samples(n):
    """n samples of (true error ns, claimed bound ns, state). The simulator states its
    true error (its stats line); a board's is measured (board_time_error) and given as
    the least error the measurement proves, |error| less half the round trip."""
    if TARGET != "sim":
        out = []
        for _ in range(n):
            err, rtt = board_time_error()
            since = log_size()
            request_stats()
            m = wait_log(rf"stats: {SOURCE} state=.* clock=(\w+) error_ns=(\d+)", since)
            proven = max(0, abs(err) - rtt // 2)
            print(f"board: CMD_time says {err / 1000:+.0f} us off, to within {rtt / 2000:.0f} us (half its round trip); "
                  f"claims {int(m.group(2)) / 1000:.0f} us")
            out.append((proven if err >= 0 else -proven, int(m.group(2)), m.group(1)))
            time.sleep(BOARD_SAMPLE_GAP_S)
        return out
    out = []
    for _ in range(n):
        since = log_size()
        os.kill(SIM_PID, signal.SIGUSR1)
        m = wait_log(r"stats: sim clock true_error_ns=(-?\d+) claimed_bound_ns=(\d+) state=(\w+)", since)
        out.append((int(m.group(1)), int(m.group(2)), m.group(3)))
        time.sleep(0.5)
    return out


# Code bounds: FRACSEC code c means within 10^(c-1) ns; STAT bits 8-6 q within 10^(q+1) ns.
def code_bound_ns(code):
    return 10 ** (code - 1)


def stat_bound_ns(q):
    return 10 ** (q + 1)


def fleet_locked():
    """A fleet (pmu-netns --count): every device locks to the one grandmaster."""
    logs = os.environ.get("PMU_LOGS", "").split()
    deadline = time.monotonic() + LOCK_S
    masters = set()
    for path in logs:
        while True:
            with open(path, errors="replace") as f:
                m = re.search(rf"{SOURCE}: locked to (\S+?):? ", f.read())
            if m:
                masters.add(m.group(1))
                break
            check(time.monotonic() < deadline, f"{path}: no lock within {LOCK_S} s")
            time.sleep(0.2)
    check(len(masters) == 1, f"the devices locked to different masters: {sorted(masters)}")
    if len(logs) > 1:
        print(f"{len(logs)} devices locked to {masters.pop()}")


def true_errors_of_fleet():
    """Each fleet device's true error now (ns), from its simulator's clock line."""
    pids = [int(x) for x in os.environ.get("PMU_SIM_PIDS", "").split()]
    logs = os.environ.get("PMU_LOGS", "").split()
    errors = []
    for pid, path in zip(pids, logs):
        since = os.path.getsize(path)
        os.kill(pid, signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while True:
            with open(path, errors="replace") as f:
                f.seek(since)
                m = re.search(r"stats: sim clock true_error_ns=(-?\d+)", f.read())
            if m:
                errors.append(int(m.group(1)))
                break
            check(time.monotonic() < deadline, f"{path}: no clock line")
            time.sleep(0.1)
    return errors


def fleet_angles():
    """A fleet sees one grid: the synthetic waveform follows true time, each device
    samples it by its own clock, so the angle of the same phasor at the same time stamp
    differs between two devices by their time errors (360 degrees x 60 Hz x error) and
    the estimator's noise. Checked between every pair over 3 s of concentrated sets,
    against the true errors measured before and after."""
    hosts = os.environ.get("PMU_IPV4S", "").split()
    before = true_errors_of_fleet()
    r = subprocess.run([PDC, "c37", "concentrate", "-4", *hosts, "-w", "300ms", "-d", "3", "--format", "json",
                        "--json"], capture_output=True, timeout=60)
    after = true_errors_of_fleet()
    check(r.returncode == 0, f"pdc c37 concentrate: {r.stderr.decode()[-300:]}")
    sets = [json.loads(l) for l in r.stdout.decode().splitlines()][:-1]
    full = [x for x in sets if not x["missing"] and len(x["pmus"]) == len(hosts)]
    check(len(full) >= 60, f"only {len(full)} complete sets from the fleet")
    error = [max(abs(a), abs(b)) for a, b in zip(before, after)]
    worst, allowed_at_worst = 0.0, 0.0
    for x in full:
        angles = [p["phasors"]["V1"][1] for p in x["pmus"]]
        for i in range(len(angles)):
            for j in range(i + 1, len(angles)):
                d = abs((angles[i] - angles[j] + 180) % 360 - 180)
                # The errors drift between the two measurements: 50 us of margin each,
                # and 0.05 degrees for the estimator.
                allowed = 360 * 60 * (error[i] + error[j] + 100_000) * 1e-9 + 0.05
                check(d <= allowed, f"V1 angles of devices {i + 1} and {j + 1} differ by {d:.3f} degrees at "
                                    f"{x['soc']}.{x['fracsec_us']:06d}; their time errors allow {allowed:.3f}")
                if d > worst:
                    worst, allowed_at_worst = d, allowed
    print(f"fleet angles: {len(full)} sets, V1 differs by up to {worst:.3f} degrees between devices "
          f"(true errors {', '.join(f'{e / 1000:.0f}' for e in error)} us; allowed there {allowed_at_worst:.3f})")


def peer_delay():
    """Both ends of the link measure it: ptp4l from the device's Pdelay answers, the
    device from ptp4l's (its counters in the stats line)."""
    out = subprocess.run(["pmc", "-u", "-s", os.environ["PMU_PTP_UDS"], "-b", "0", "GET PORT_DATA_SET"],
                         capture_output=True, text=True, timeout=10).stdout
    m = re.search(r"peerMeanPathDelay\s+(-?\d+)", out)
    check(m and "delayMechanism          2" in out, f"ptp4l's port is not a peer delay port: {out}")
    peer_ns = int(m.group(1))
    # Not zero (ptp4l's value before any answer) and within the bound. It may be
    # negative on the simulator: the device's kernel stamp of ptp4l's Pdelay_Req is taken
    # a few microseconds before ptp4l's own transmit stamp of it, in the host's kernel.
    check(peer_ns != 0 and abs(peer_ns) < TRUE_BOUND_NS, f"ptp4l's peer delay to the device {peer_ns} ns (no answers?)")
    since = log_size()
    request_stats()
    c = wait_log(r"stats: ptp received=.* delay_req=(\d+) delay_resp=(\d+) peer_answers=(\d+)", since)
    asked, answered, answers = (int(x) for x in c.groups())
    check(answers > 0 and answered > 0 and answered >= asked - 2,
          f"peer delay exchanges: {asked} Pdelay_Req sent, {answered} answered; {answers} of ptp4l's answered")
    print(f"peer delay: ptp4l measures {peer_ns} ns to the device; the device sent {asked} Pdelay_Req, "
          f"{answered} answered, and answered {answers} of ptp4l's")


def main():
    check(REFERENCE_PID, f"this test needs pmu-netns --{'ptp' if SOURCE == 'ptp' else 'ntp'}")
    os.kill(REFERENCE_PID, signal.SIGSTOP)
    try:
        held = frames(1.0)
        check(all(time_quality(f)[0] for f in held), "STAT bit 13 clear before any grandmaster")
        check(all(time_quality(f)[2] == 7 and f.tq == 0xF for f in held),
              f"unsynchronised device claims time quality {time_quality(held[0])}")
        check(not log_lines(rf"{SOURCE}: locked"), "locked without a reference")
    finally:
        os.kill(REFERENCE_PID, signal.SIGCONT)
    wait_log(LOCKED_RE, timeout=LOCK_S)
    fleet_locked()
    time.sleep(8)  # the servo settles: the bound is over the last eight samples
    if KIND == "power":
        # Before the board's true-error samples: each is a TLS handshake, which holds the
        # board's main loop for tens of milliseconds, and a Pdelay_Req that waits for it
        # is stamped late (ptp4l then measured 1.7 ms to the board instead of 0.1 ms).
        peer_delay()
    samples = clock_samples(10)
    for err, bound, state in samples:
        check(state == "locked", f"clock {state} while the grandmaster runs")
        check(abs(err) < TRUE_BOUND_NS, f"true error {err} ns beyond {TRUE_BOUND_NS} ns once locked")
        check(abs(err) <= bound, f"true error {err} ns beyond the claimed bound {bound} ns")
    locked = frames(1.0)
    for f in locked:
        lost, unlocked, q, code = time_quality(f)
        check(not lost and unlocked == 0, f"locked device reports STAT {f.stat():#06x}")
        check(q <= 6 and 1 <= code <= 8, f"locked device reports quality {q}, code {code:#x} (beyond 10 ms)")
    worst = max(abs(e) for e, _, _ in samples)
    check(all(worst <= min(code_bound_ns(f.tq), stat_bound_ns(time_quality(f)[2])) for f in locked),
          f"time quality {time_quality(locked[0])} claims better than the true error {worst} ns")
    print(f"locked: true error up to {worst} ns, claimed bound up to {max(b for _, b, _ in samples)} ns, "
          f"STAT {locked[0].stat():#06x}, code {locked[0].tq:#x}")
    if len(os.environ.get("PMU_IPV4S", "").split()) > 1:
        fleet_angles()

    stopped = time.monotonic()
    os.kill(REFERENCE_PID, signal.SIGSTOP)
    try:
        wait_log(LOST_RE, timeout=HOLDOVER_S)
        print(f"holdover after {time.monotonic() - stopped:.1f} s")
        first = clock_samples(1)[0]
        time.sleep(3)
        hold = frames(1.0)
        later = clock_samples(1)[0]
        check(first[2] == "holdover" and later[2] == "holdover", "clock not in holdover")
        check(later[1] > first[1], f"holdover bound did not grow ({first[1]} -> {later[1]} ns)")
        for f in hold:
            lost, _, q, code = time_quality(f)
            check(lost, "STAT bit 13 clear in holdover")
            # Held frames come after `first`, and the bound only grows in holdover: each
            # claim must cover that bound and the true error. (Not "no better than while
            # locked": a locked bound taken during a loaded second can be wider than the
            # settled one holdover starts from.)
            need = max(first[1], abs(first[0]))
            check(code_bound_ns(code) >= need and stat_bound_ns(q) >= need,
                  f"holdover claims quality {q}, code {code:#x} while its bound is {first[1]}..{later[1]} ns "
                  f"and its true error {first[0]} ns")
    finally:
        os.kill(REFERENCE_PID, signal.SIGCONT)
    since = log_size()
    wait_log(rf"{SOURCE}: locked to", since, timeout=RELOCK_S)
    back = frames(1.0)
    check(not any(time_quality(f)[0] for f in back[-10:]), "STAT bit 13 still set after relocking")
    print(f"relocked {time.monotonic() - stopped:.1f} s after the grandmaster stopped (held 3+ s)")


run(main)
