#!/usr/bin/env python3
"""A soak: every service of every device of the launcher's fleet under a mixed,
well-behaved load for a bounded time, and the device's own accounts checked after it.
Run inside the launcher's namespace with a PKI (bench/soak.sh does that):

    soak.py SECONDS [RATE]

Load, until SECONDS have passed, round-robin over the devices: echo round trips,
CMD_short and CMD_floodme (digest checked by pdc), datagrams to the sink, WebSocket
commands, TLS commands (a new session each: the handshakes churn), the operator's
console, reset requests (RESET:0: the service's whole path, the clock left alone), and
the bulletins each device multicasts, listened to. Two PDCs take C37.118.2: one
streams device 1 over TCP for the whole run, the other concentrates every device.

Passes when: every client operation succeeded; the first PDC's stream has no missing
report (consecutive time stamps at RATE); every device's bulletins were heard; and
each device's accounts agree with a healthy run: no allocation failure in any pool,
the heap or the TLS arena, the pools, heap and arena back at their resting level, no
ERROR record in its log, no C37 drop for the streaming PDC, no stalled TCP peer; and,
on the simulator, its resident memory after the run within RSS_GROWTH_KB of what it was
after the first quarter (the warm-up). Exit status 0 on success."""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "system"))
from pmutest import *  # noqa: E402

RSS_GROWTH_KB = 256  # a page or two of allocator slack, far below any per-operation leak over the run
HOSTS4 = os.environ.get("PMU_IPV4S", "").split()
PIDS = [int(p) for p in os.environ.get("PMU_SIM_PIDS", "").split()]
LOGS = os.environ.get("PMU_LOGS", "").split()
# Every device of a fleet is provisioned with the one development certificate, device 1's.
CERT_NAME = os.environ.get("PMU_HOSTS", "pmu1").split()[0]
RESTING_POOLS = ("PBUF_POOL", "PBUF", "TCP_SEG", "ALTCP_PCB", "UDP_PCB", "TCP_PCB_LISTEN", "FRAG_PBUF", "REASSDATA",
                 "IP6_REASSDATA")
counts = {}
failures = []
lock = threading.Lock()


def count(what, n=1):
    with lock:
        counts[what] = counts.get(what, 0) + n


def fail(what):
    with lock:
        failures.append(what)


def run_pdc(what, *args, timeout=60, stdin=None):
    r = subprocess.run([PDC, *args], capture_output=True, timeout=timeout, input=stdin)
    if r.returncode != 0:
        fail(f"{what}: pdc {' '.join(args)}: exit {r.returncode}: {r.stderr.decode(errors='replace')[-200:]}")
    else:
        count(what)
    return r


def stats_of(i):
    """Device i's statistics report (pools, heap, arena) and its raw lines."""
    path = LOGS[i]
    since = os.path.getsize(path)
    if TARGET == "sim":
        os.kill(PIDS[i], signal.SIGUSR1)
    else:
        request_stats()
    deadline = time.monotonic() + 15
    while True:
        with open(path, errors="replace") as f:
            f.seek(since)
            text = f.read()
        if "stats: end of report" in text:
            break
        check(time.monotonic() < deadline, f"device {i + 1}: no statistics report")
        time.sleep(0.2)
    s = {"text": text}
    for m in re.finditer(r"stats: pool (\S+) used=(\d+) peak=(\d+) size=(\d+) failures=(\d+)", text):
        s[m.group(1)] = tuple(int(x) for x in m.groups()[1:])
    m = re.search(r"stats: heap used=(\d+) peak=(\d+) size=(\d+) failures=(\d+) resting=(\d+)", text)
    s["heap"] = tuple(int(x) for x in m.groups()[:4])
    s["heap_resting"] = int(m.group(5))
    m = re.search(r"stats: tls arena size=(\d+) used=(\d+) peak=(\d+)", text)
    if m:
        s["arena_used"] = int(m.group(2))
    return s


def at_rest(s, rest):
    return (all(s[p][0] == rest[p][0] for p in RESTING_POOLS if p in s) and s["heap"][0] == s["heap_resting"]
            and s.get("arena_used", 0) == rest.get("arena_used", 0))


def settled_stats(i, rest, timeout=20):
    """Device i's statistics once its transient pools are back at rest, or after
    `timeout` seconds (the caller then reports what is still held)."""
    deadline = time.monotonic() + timeout
    while True:
        s = stats_of(i)
        if at_rest(s, rest) or time.monotonic() > deadline:
            return s
        time.sleep(1)


def rss_kb(i):
    with open(f"/proc/{PIDS[i]}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))


def worker(name, body, seconds):
    """Runs body(device index, round) until the end, devices in turn."""
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        try:
            body(n % len(HOSTS4), n)
        except Exception as e:  # noqa: BLE001 - every failure is reported at the end
            fail(f"{name}: {e!r}")
        n += 1


def load_round(i, n):
    ip = HOSTS4[i]
    run_pdc("echo round trips x20", "echo", "-4", ip, "-c", "20", f"soak {n} echo")
    r = run_pdc("CMD_short", "command", "-4", ip, "CMD_short:0")
    if r.returncode == 0 and r.stdout.strip() != SHORT_WIRE:
        fail(f"CMD_short:0 from device {i + 1}: {r.stdout[:80]!r}")
    run_pdc("CMD_floodme 200000 (digest checked)", "floodme", "-4", ip, "-n", "200000")
    run_pdc("sink datagrams x10", "send", "-4", ip, stdin=b"".join(b"soak %d line %d\n" % (n, k) for k in range(10)))
    run_pdc("WebSocket commands", "ws", f"ws://{ip}", "CMD_short:0")
    run_pdc("reset requests (RESET:0)", "reset", "-4", ip, "0")


def tls_round(i, n):
    ip = HOSTS4[i]
    run_pdc("TLS commands (new session each)", "tls", "-4", ip, "--servername", CERT_NAME, "CMD_time")
    if n % 4 == 0:
        run_pdc("console sessions", "console", "-4", ip, "--servername", CERT_NAME, "uptime")


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 1800
    rate = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    check(HOSTS4 and len(HOSTS4) == len(LOGS) == len(PIDS), "run inside the launcher (PMU_IPV4S, PMU_LOGS, PMU_SIM_PIDS)")
    devices = len(HOSTS4)
    rest = [stats_of(i) for i in range(devices)]
    work = os.environ.get("PMU_WORKDIR", "/tmp")
    stream_path, conc_path, mcast_path = (os.path.join(work, f) for f in ("soak_stream.jsonl", "soak_concentrate.json",
                                                                         "soak_mcast.txt"))
    with open(stream_path, "w") as out1, open(conc_path, "w") as out2, open(mcast_path, "w") as out3:
        stream = subprocess.Popen([PDC, "c37", "stream", "-4", HOSTS4[0], "-d", str(seconds + 5), "--format", "json",
                                   "-q", "--json", "-t", "10"], stdout=out1, stderr=subprocess.PIPE)
        conc = subprocess.Popen([PDC, "c37", "concentrate", "-4", *HOSTS4, "-d", str(seconds + 5), "-w", "300ms",
                                 "--format", "none", "--json", "-t", "10"], stdout=out2, stderr=subprocess.PIPE)
        # A fleet's devices hang off a bridge; one device is the TAP link itself.
        link = "br0" if devices > 1 else os.environ.get("PMU_TAP", "pmu0")
        mcast = subprocess.Popen([PDC, "mcast", "listen", "-4", "-i", link, "-d", str(seconds + 5)], stdout=out3,
                                 stderr=subprocess.PIPE)
        time.sleep(2)
        started = time.monotonic()
        threads = [threading.Thread(target=worker, args=("load", load_round, seconds)),
                   threading.Thread(target=worker, args=("tls", tls_round, seconds))]
        for t in threads:
            t.start()
        # The warm-up's end: resident memory from here on must stay flat.
        time.sleep(seconds / 4)
        warm_rss = [rss_kb(i) for i in range(devices)] if TARGET == "sim" else []
        for t in threads:
            t.join()
        rc = [p.wait(timeout=seconds + 60) for p in (stream, conc, mcast)]
    elapsed = time.monotonic() - started
    for name, p, code in (("stream", stream, rc[0]), ("concentrate", conc, rc[1]), ("mcast listen", mcast, rc[2])):
        if code != 0:
            fail(f"pdc c37 {name}: exit {code}: {p.stderr.read().decode(errors='replace')[-300:]}")

    # The well-behaved PDC: every report, in order.
    frames = [json.loads(l) for l in open(stream_path) if l.startswith('{"type": "data"')]
    steps = [round(((b["soc"] - a["soc"]) + (b["fracsec"] - a["fracsec"]) / 1e6) * rate) for a, b in zip(frames, frames[1:])]
    missing = sum(s - 1 for s in steps if s > 1)
    if missing or any(s != 1 for s in steps) or len(frames) < seconds * rate:
        fail(f"the streaming PDC: {len(frames)} reports, {missing} missing, steps {sorted(set(steps))}")
    summary = json.loads(open(conc_path).read().strip().splitlines()[-1])
    heard = {m.group(1) for m in re.finditer(r"^\[(\S+)\]", open(mcast_path).read(), re.M)}
    if len(heard) < devices:
        fail(f"bulletins heard from {sorted(heard)} only, of {devices} devices: "
             f"{mcast.stderr.read().decode(errors='replace')[-300:]}")

    # Half-open and lingering connections go within their bounds (the stall and linger
    # rules: seconds); then the accounts.
    for i in range(devices):
        s = settled_stats(i, rest[i])
        who = f"device {i + 1}"
        for pool, (used, peak, size, failed) in ((k, v) for k, v in s.items() if isinstance(v, tuple)):
            if failed:
                fail(f"{who}: {pool}: {failed} allocation failures")
            # Transient pools back where they rested. (TCP_PCB also holds closed
            # connections' TIME_WAIT for 2 MSL, which lwIP reuses when it needs them.)
            if pool in RESTING_POOLS and used != rest[i][pool][0]:
                fail(f"{who}: {pool} used {used} after the soak, {rest[i][pool][0]} at rest before it")
        if s["heap"][0] != s["heap_resting"]:
            fail(f"{who}: heap used {s['heap'][0]}, resting level {s['heap_resting']}")
        if s.get("arena_used", 0) != rest[i].get("arena_used", 0):
            fail(f"{who}: TLS arena holds {s['arena_used']} bytes with no session, {rest[i]['arena_used']} before")
        if re.search(r"stats: tcp \S+ pcbs<=\d+ .*stalled=[1-9]", s["text"]):
            fail(f"{who}: a stalled TCP peer among well-behaved clients")
        if i == 0:
            m = re.search(r"stats: c37 drops queue=(\d+) room=(\d+) memory=(\d+) replies=(\d+)", s["text"])
            if m and any(int(x) for x in m.groups()):
                fail(f"{who}: C37 drops {m.group(0)}")
        with open(LOGS[i], errors="replace") as f:
            errors = [l.strip() for l in f if re.search(r"Z ERROR ", l)]
        if errors:
            fail(f"{who}: {len(errors)} ERROR records, the first: {errors[0][:200]}")
        if warm_rss:
            grown = rss_kb(i) - warm_rss[i]
            print(f"  {who}: resident {rss_kb(i)} kB, {grown:+d} kB since the warm-up")
            if grown > RSS_GROWTH_KB:
                fail(f"{who}: resident memory grew {grown} kB after the warm-up")
        print(f"  {who}: heap peak {s['heap'][1]} of {s['heap'][2]}, pools " + ", ".join(
            f"{p} peak {s[p][1]}/{s[p][2]}" for p in ("TCP_PCB", "ALTCP_PCB", "PBUF_POOL", "TCP_SEG") if p in s)
            + f"; TCP_PCB {s['TCP_PCB'][0]} in use after it (TIME_WAIT)")

    print(f"soak: {devices} device(s), {elapsed:.0f} s; streaming PDC {len(frames)} reports at {rate}/s, "
          f"{missing} missing; concentrator {summary.get('sets', summary.get('aligned', '?'))} sets; "
          f"bulletins from {len(heard)}")
    for k, v in sorted(counts.items()):
        print(f"  {k}: {v}")
    for f in failures[:20]:
        print(f"FAILED: {f}")
    check(not failures, f"{len(failures)} failures during the soak")


run(main)
