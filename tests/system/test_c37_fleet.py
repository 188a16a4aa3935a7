#!/usr/bin/env python3
"""Four PMUs concentrated (pmu-netns --count 4; pmu2 delays its reports by 300 ms):
 A. wait 600 ms: every set completes (pmu2 makes it in time); the combined stream the
    concentrator serves is decoded by a second pdc c37 stream;
 B. pmu4 stopped (SIGSTOP), wait 100 ms: pmu2's frames are all late, pmu4 is missing
    from every set, and the counts agree with the sets printed; the served stream
    marks the absent PMU;
 C. pmu3 changes its configuration mid-stream (SIGHUP): the concentrator re-reads it
    and the sets stay complete.
A set's first second is warm-up (PMUs start their data at slightly different times)."""
import json
import subprocess
import sys
import threading
import time

from pmutest import *

RATE = 30
PIDS = [int(p) for p in os.environ["PMU_SIM_PIDS"].split()]
HOSTS = os.environ["PMU_HOSTS"].split()


def concentrate(fam, wait, seconds, serve=None, during=None, stream_args=()):
    args = [PDC, "c37", "concentrate", f"-{fam}", *HOSTS, "--wait", wait, "-d", str(seconds), "--format", "json",
            "--json"]
    if serve:
        args += ["--serve", str(serve)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = []
    reader = threading.Thread(target=lambda: out.extend(proc.stdout.read().decode().splitlines()))
    reader.start()
    served = None
    if serve:
        time.sleep(1.0)
        r = subprocess.run([PDC, "c37", "stream", "-4", "127.0.0.1", "-p", str(serve), "--idcode", "1000", "-n", "20",
                            "--format", "json", "-q", "--json", *stream_args], capture_output=True, timeout=30)
        check(r.returncode == 0, f"second pdc on the served stream: exit {r.returncode}: {r.stderr.decode()}")
        served = [json.loads(l) for l in r.stdout.decode().splitlines()]
    if during:
        during()
    proc.wait(timeout=60)
    reader.join()
    check(proc.returncode == 0, f"concentrate exited {proc.returncode}: {proc.stderr.read().decode()[-500:]}")
    objs = [json.loads(l) for l in out]
    summary, sets = objs[-1], objs[:-1]
    check(all(s["type"] == "set" for s in sets), "non-set lines before the summary")
    # Sets come out in time order, one per report at most.
    keys = [s["soc"] * RATE + round(s["fracsec_us"] * RATE / 1e6) for s in sets]
    check(keys == sorted(keys) and len(set(keys)) == len(keys), "sets not in strict time order")
    check(summary["sets"] == len(sets), f"{summary['sets']} sets counted, {len(sets)} printed")
    check(summary["missing"] == sum(len(s["missing"]) for s in sets), "missing count differs from the sets printed")
    check(summary["missing"] == sum(p["missing"] for p in summary["per_pmu"]), "per-PMU missing counts differ")
    check(summary["corrupt"] == 0 and summary["duplicate"] == 0, f"corrupt or duplicate frames: {summary}")
    steady = [s for s, k in zip(sets, keys) if k >= keys[0] + RATE]
    check(len(steady) >= (seconds - 1.5) * RATE, f"only {len(steady)} sets after warm-up in {seconds} s")
    return summary, sets, steady, served


def per(summary, idcode):
    return next(p for p in summary["per_pmu"] if p["idcode"] == idcode)


def main():
    fam = family_from_argv()
    conf = sys.argv[2]
    try:
        run_fleet(fam, conf)
    finally:
        for pid in PIDS:
            os.kill(pid, signal.SIGCONT)
        with open(conf, "w") as f:
            f.write("# rewritten by test_c37_fleet.py while it runs\n")


def run_fleet(fam, conf):
    check(len(HOSTS) == 4, f"expected a fleet of 4, got {HOSTS}")
    # A: everyone in time.
    summary, sets, steady, served = concentrate(fam, "600ms", 4, serve=4800)
    check(all(s["complete"] for s in steady), f"incomplete sets with a 600 ms wait: {[s['missing'] for s in steady if not s['complete']][:5]}")
    check(all(p["late"] == 0 for p in summary["per_pmu"] if p["idcode"] != 2), "late frames from a PMU in time")
    check(per(summary, 2)["late"] <= 16, f"pmu2 late beyond its start-up: {per(summary, 2)}")
    data = [o for o in served if o.get("type") == "data"]
    check(len(data) == 20 and served[0]["type"] == "config" and len(served[0]["pmus"]) == 4, "served stream")
    check(all(d["idcode"] == 1000 and [p["idcode"] for p in d["pmus"]] == [1, 2, 3, 4] for d in data),
          "served frames do not carry the four PMUs")
    check(all(int(p["stat"], 16) & 0xC000 == 0 for d in data for p in d["pmus"]), "served frames mark data bad")
    print(f"A: {len(sets)} sets, {len(steady)} after warm-up all complete; served stream decoded ({len(data)} frames)")

    # B: pmu4 stopped, a short wait.
    os.kill(PIDS[3], signal.SIGSTOP)
    time.sleep(0.3)
    summary, sets, steady, served = concentrate(fam, "100ms", 4, serve=4801)
    check(not any(s["complete"] for s in sets), "a complete set while pmu4 is stopped")
    check(all(4 in s["missing"] for s in sets), "pmu4 present in a set while stopped")
    check(per(summary, 4)["missing"] == len(sets) and per(summary, 4)["frames"] == 0, f"pmu4 counts {per(summary, 4)}")
    check(all(2 in s["missing"] and s["present"] == 2 for s in steady), "pmu2 (300 ms late) in a set with a 100 ms wait")
    p2 = per(summary, 2)
    check(p2["late"] >= len(steady) - 2 and p2["frames"] <= 16, f"pmu2 counts {p2} for {len(steady)} steady sets")
    check(summary["late"] == p2["late"], "late frames from PMUs other than pmu2")
    data = [o for o in served if o.get("type") == "data"]
    check(all(d["pmus"][3]["stat"] == "0x8000" and d["pmus"][3]["freq"] is None for d in data),
          "the served stream does not mark pmu4 absent")
    check(all(int(d["pmus"][0]["stat"], 16) & 0xC000 == 0 for d in data), "pmu1 marked bad in the served stream")
    print(f"B: {len(sets)} sets, pmu4 missing from all, pmu2 late {p2['late']} times")
    os.kill(PIDS[3], signal.SIGCONT)

    # C: pmu3's configuration changes while the concentrator runs.
    def change():
        time.sleep(0.5)
        with open(conf, "w") as f:
            f.write("c37.phasors = VA,VB,VC,V1\n")
        os.kill(PIDS[2], signal.SIGHUP)

    summary, sets, steady, _ = concentrate(fam, "600ms", 5, during=change)
    p3 = per(summary, 3)
    check(p3["config_reads"] == 2, f"pmu3's configuration read {p3['config_reads']} times, expected 2")
    tail = sets[-RATE * 2:]
    check(all(s["complete"] for s in tail), "sets not complete after pmu3's change")
    check(all(len(next(p for p in s["pmus"] if p["idcode"] == 3)["phasors"]) == 4 for s in tail),
          "pmu3's new layout not used")
    print(f"C: pmu3 re-read (unreadable frames meanwhile: {p3['unreadable']}); last {len(tail)} sets complete")


run(main)
