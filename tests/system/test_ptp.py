#!/usr/bin/env python3
"""Time of its own (docs/PROTOCOL.md "Time: PTP slave"). The device's oscillator is off
(pmu-netns --set sim.clock_offset_us=random --set sim.clock_drift_ppb=random) and a
grandmaster runs beside it (pmu-netns --ptp: linuxptp's ptp4l):

  - with the grandmaster held, the device says it is unsynchronised (STAT bit 13, time
    quality 0xF), whatever its clock shows;
  - let go, the device locks: STAT bit 13 clear, bits 8-6 and the FRACSEC code from
    its error bound, its true error against the host's UTC (the simulator's stats
    line) under TRUE_BOUND_NS and never beyond the bound it claims;
  - grandmaster stopped: within HOLDOVER_S, STAT bit 13 set and a bound that grows;
  - grandmaster back: locked again within RELOCK_S."""
import os
import re
import signal
import time

from pmutest import *
from c37util import *

PTP_PID = int(os.environ.get("PMU_PTP_PID", "0") or 0)
LOCK_S = 30          # from the grandmaster's first Announce to "locked"
TRUE_BOUND_NS = 500_000  # the TAP link's stated stamp lateness; |true error| once locked (software time stamps on a TAP link)
HOLDOVER_S = 5       # three announce intervals (3 s) plus the slave's tick and margin
RELOCK_S = 20


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


def clock_samples(n):
    """n of the simulator's clock lines: (true error ns, claimed bound ns, state)."""
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
                m = re.search(r"ptp: locked to (\S+):", f.read())
            if m:
                masters.add(m.group(1))
                break
            check(time.monotonic() < deadline, f"{path}: no lock within {LOCK_S} s")
            time.sleep(0.2)
    check(len(masters) == 1, f"the devices locked to different masters: {sorted(masters)}")
    if len(logs) > 1:
        print(f"{len(logs)} devices locked to {masters.pop()}")


def main():
    check(PTP_PID, "this test needs pmu-netns --ptp")
    os.kill(PTP_PID, signal.SIGSTOP)
    try:
        held = frames(1.0)
        check(all(time_quality(f)[0] for f in held), "STAT bit 13 clear before any grandmaster")
        check(all(time_quality(f)[2] == 7 and f.tq == 0xF for f in held),
              f"unsynchronised device claims time quality {time_quality(held[0])}")
        check(not log_lines(r"ptp: locked"), "locked without a grandmaster")
    finally:
        os.kill(PTP_PID, signal.SIGCONT)
    wait_log(r"ptp: locked to \S+: error within \d+ ns", timeout=LOCK_S)
    fleet_locked()
    time.sleep(8)  # the servo settles: the bound is over the last eight samples
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

    stopped = time.monotonic()
    os.kill(PTP_PID, signal.SIGSTOP)
    try:
        wait_log(r"ptp: master \S+ lost: holdover", timeout=HOLDOVER_S)
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
        os.kill(PTP_PID, signal.SIGCONT)
    since = log_size()
    wait_log(r"ptp: locked to", since, timeout=RELOCK_S)
    back = frames(1.0)
    check(not any(time_quality(f)[0] for f in back[-10:]), "STAT bit 13 still set after relocking")
    print(f"relocked {time.monotonic() - stopped:.1f} s after the grandmaster stopped (held 3+ s)")


run(main)
