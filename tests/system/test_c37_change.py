#!/usr/bin/env python3
"""A configuration change while streaming (SIGHUP re-reads the configuration file):
CFGCNT goes up, STAT bit 10 is set for each PDC until it re-reads the configuration,
pdc c37 stream picks the new layout and rate up by itself; a waveform-only change
leaves CFGCNT alone."""
import json
import subprocess
import sys
import threading
import time

from pmutest import *
from c37util import *


def main():
    fam = family_from_argv()
    conf = sys.argv[2]
    try:
        run_change(fam, conf)
    finally:
        with open(conf, "w") as f:
            f.write("# rewritten by test_c37_change.py while it runs\n")


def run_change(fam, conf):
    raw = connect(fam, PORT_TCP)
    sp = Splitter()
    raw.sendall(command(CMD_CFG2))
    cfg = read_frames(raw, 3, sp, TYPE_CFG2)[-1]
    count0 = cfg.cfgcnt()
    raw.sendall(command(CMD_DATA_ON))
    stream = subprocess.Popen([PDC, "c37", "stream", f"-{fam}", HOST, "--format", "json", "-d", "6", "-q", "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(stream.stdout.read().decode().splitlines()))
    reader.start()
    before = [f for f in read_frames(raw, 1.5, sp) if f.type == TYPE_DATA]
    check(before and all(f.stat() & 0x0400 == 0 for f in before), "bit 10 set before any change")

    since = log_size()
    with open(conf, "w") as f:
        f.write("c37.station = renamed\nc37.phasors = VA,VB,VC,V1\nc37.rate = 60\n")
    os.kill(SIM_PID, signal.SIGHUP)
    wait_log(rf"configuration changed: CFGCNT {count0 + 1}", since)
    after = [f for f in read_frames(raw, 1.0, sp) if f.type == TYPE_DATA]
    check(len(after) >= 40, f"{len(after)} frames in 1 s after the change to 60/s")
    check(all(f.stat() & 0x0400 for f in after[-30:]), "bit 10 not set for a PDC that has not re-read")
    raw.sendall(command(CMD_CFG2))
    frames = read_frames(raw, 1.0, sp)
    cfgs = [f for f in frames if f.type == TYPE_CFG2]
    check(cfgs and cfgs[0].cfgcnt() == count0 + 1, "CFG-2 after the change does not carry CFGCNT + 1")
    check(b"renamed" in cfgs[0].raw, "new station name not in CFG-2")
    i = frames.index(cfgs[0])
    later = [f for f in frames[i + 1:] if f.type == TYPE_DATA]
    check(later and all(f.stat() & 0x0400 == 0 for f in later), "bit 10 still set after the PDC re-read CFG-2")

    # A waveform-only change: the PMU's configuration is the same, CFGCNT stays.
    since = log_size()
    with open(conf, "w") as f:
        f.write("c37.station = renamed\nc37.phasors = VA,VB,VC,V1\nc37.rate = 60\nwaveform.freq_offset_hz = 0.5\n")
    os.kill(SIM_PID, signal.SIGHUP)
    wait_log(r"waveform changed; the PMU's configuration \(CFGCNT %d\) did not" % (count0 + 1), since)
    raw.close()

    stream.wait(timeout=30)
    reader.join()
    check(stream.returncode == 0, f"pdc c37 stream exited {stream.returncode}: {stream.stderr.read().decode()}")
    objs = [json.loads(l) for l in lines]
    summary = objs[-1]
    check(summary["config_changes"] == 1 and summary["cfgcnt"] == count0 + 1, f"stream summary {summary}")
    configs = [o for o in objs if o.get("type") == "config"]
    check(len(configs) == 2, f"{len(configs)} configuration lines")
    check(configs[1]["pmus"][0]["station"] == "renamed" and len(configs[1]["pmus"][0]["phasors"]) == 4,
          f"second configuration {configs[1]}")
    data = [o for o in objs if o.get("type") == "data"]
    new = [d for d in data if len(d["pmus"][0]["phasors"]) == 4]
    check(len(new) >= 100, f"only {len(new)} frames decoded with the new configuration")
    check(abs(new[-1]["pmus"][0]["freq"] - 60.5) < 0.001, f"frequency after the waveform change {new[-1]['pmus'][0]['freq']}")
    steps = [(b["soc"] - a["soc"]) * 60 + round((b["fracsec"] - a["fracsec"]) * 60 / 1e6) for a, b in zip(new, new[1:])]
    check(all(s == 1 for s in steps), "frames after the change are not consecutive at 60/s")
    print(f"CFGCNT {count0} -> {count0 + 1}; {len(data)} frames, {len(new)} with the new configuration")
    clock_step(fam)


def clock_step(fam):
    """A clock reset shows: the time stamps move with the device's UTC, STAT bit 13 and
    bits 8-6, and the FRACSEC time quality say the clock was stepped."""
    with connect(fam, PORT_TCP) as s:
        sp = Splitter()
        s.sendall(command(CMD_DATA_ON))
        before = [f for f in read_frames(s, 0.5, sp) if f.type == TYPE_DATA]
        # time.source = platform: locked, within the platform's stated 1 us (code 4).
        check(all(f.stat() & 0x2000 == 0 and f.tq == 4 for f in before), "stepped or unlocked before any reset")
        offset = 0
        for _ in range(5):  # RESET:100 draws 0..100 s; 0 would show nothing
            summary, _ = pdc_json("reset", f"-{fam}", HOST, "100", "--wait", "200ms")
            offset += summary["offsets_sum"]
            if offset:
                break
        check(offset > 0, "the clock never moved")
        read_frames(s, 0.3, sp)
        after = [f for f in read_frames(s, 0.5, sp) if f.type == TYPE_DATA]
        check(after and all(f.stat() & 0x2000 for f in after), "STAT bit 13 not set after a clock step")
        check(all((f.stat() >> 6) & 7 == 7 for f in after), "STAT time quality not 111 after a step")
        # The offset plus the platform's 1 us: whole seconds land just beyond 1 s or 10 s.
        want = 0xB if offset < 10 else 0xF  # within 10 s, beyond
        check(all(f.tq == want for f in after), f"time quality {after[0].tq:#x}, expected {want:#x} for {offset} s")
        skew = after[0].soc - time.time()
        check(abs(skew - offset) < 2, f"time stamps {skew:.1f} s ahead of the host, the clock moved {offset} s")
        s.sendall(command(CMD_DATA_OFF))
    print(f"clock stepped {offset} s: STAT {after[0].stat():#06x}, time quality {after[0].tq:#x}")


run(main)
