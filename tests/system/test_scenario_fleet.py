#!/usr/bin/env python3
"""A fleet scenario (targets/sim/scenarios/interarea-fault.scn: a 0.4 Hz inter-area mode and a
fault) on four devices (pmu-netns --count 4 --scenario), concentrated by the real pdc:
 - every set holds all four PMUs at one time stamp;
 - the fault shows at every PMU in the same sets, each dipping by its bus's share;
 - between the buses, the angles are the scenario's (bus angle, the mode's swing with
   its per-bus amplitude and phase, the fault's phase jump), computed here from the
   scenario file alone, within 0.05 degrees."""
import json
import math
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from pmutest import check, run  # noqa: E402

LAUNCHER, SIM, PDC_DIR, SCENARIO = sys.argv[1:5]
TOLERANCE_DEG = 0.05
WINDOW = 0.03  # a P-class report's window either side: reports this near an edge are skipped


def parse(path):
    event, buses = {}, []
    for line in open(path):
        line = line.split("#")[0].strip()
        if not line:
            continue
        if line.startswith("[bus "):
            buses.append({"name": line[5:-1].strip()})
            continue
        key, value = (x.strip() for x in line.split("=", 1))
        (buses[-1] if buses else event)[key] = value
    return event, buses


def expected_angle(event, bus, u):
    """The bus's angle in degrees, less the part every bus shares (the frequency)."""
    deg = float(bus.get("angle_deg", 0))
    f, zeta, t0 = float(event["oscillation_hz"]), float(event["oscillation_damping"]), float(event["oscillation_start_s"])
    if u >= t0:
        w = 2 * math.pi * f
        v = u - t0
        deg += float(bus.get("oscillation_deg", 0)) * math.exp(-zeta * w * v) * math.sin(
            w * v + math.radians(float(bus.get("oscillation_phase_deg", 0))))
    fs, fd = float(event["fault_start_s"]), float(event["fault_duration_s"])
    if fs <= u < fs + fd:
        deg += float(bus.get("fault_jump_deg", 0))
    if u >= float(event["step_at_s"]) > 0:
        deg += float(bus.get("step_angle_deg", 0))
    return deg


def gain(event, bus, u):
    g = 1.0
    fs, fd = float(event["fault_start_s"]), float(event["fault_duration_s"])
    if fs <= u < fs + fd:
        g *= 1 - float(bus.get("fault_dip", 0))
    if u >= float(event["step_at_s"]) > 0:
        g *= 1 + float(bus.get("step_magnitude", 0))
    return g


def main():
    event, buses = parse(SCENARIO)
    check(len(buses) == 4, "the example scenario has four buses")
    edges = [0.0, float(event["oscillation_start_s"]), float(event["fault_start_s"]),
             float(event["fault_start_s"]) + float(event["fault_duration_s"]), float(event["step_at_s"])]
    zero = int(time.time()) + 4
    until = zero + float(event["fault_start_s"]) + 1.5
    with tempfile.TemporaryDirectory(prefix="pmu-scenario.") as tmp:
        out = os.path.join(tmp, "sets.json")
        inner = (f'pdc c37 concentrate -4 $PMU_HOSTS --wait 200ms -d {until - time.time():.1f} --format json --json '
                 f'> {out}')
        r = subprocess.run([LAUNCHER, "-q", "--sim", SIM, "--pdc-dir", PDC_DIR, "--count", "4", "--scenario", SCENARIO,
                            "--set", f"scenario.start={zero}", "--", "sh", "-c", inner],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, f"pmu-netns exited {r.returncode}: {r.stderr[-2000:]}")
        objs = [json.loads(l) for l in open(out)]
    sets, summary = objs[:-1], objs[-1]
    repeat = float(event["repeat_s"])
    in_event = [s for s in sets if s["soc"] + s["fracsec_us"] / 1e6 >= zero]
    check(len(in_event) >= 30 * (until - zero - 1), f"only {len(in_event)} sets after the time zero")
    compared = fault_sets = 0
    worst = 0.0
    for s in in_event:
        t = s["soc"] + s["fracsec_us"] / 1e6 - zero
        u = t % repeat if repeat > 0 else t
        check(s["complete"] and len(s["pmus"]) == 4, f"set at {t:.3f} s is not complete: {s['missing']}")
        if any(abs(u - e) < WINDOW for e in edges):
            continue
        pmus = {p["idcode"]: p for p in s["pmus"]}
        base = pmus[1]["phasors"]["V1"]
        for i in range(2, 5):
            got = pmus[i]["phasors"]["V1"][1] - base[1]
            want = expected_angle(event, buses[i - 1], u) - expected_angle(event, buses[0], u)
            err = abs((got - want + 180) % 360 - 180)
            worst = max(worst, err)
            check(err <= TOLERANCE_DEG, f"t = {t:.3f} s: pmu{i} is {got:.3f} deg from pmu1, the scenario says "
                                        f"{want:.3f}")
        for i in range(1, 5):
            mag = pmus[i]["phasors"]["V1"][0]
            want = float(buses[i - 1]["voltage"]) * gain(event, buses[i - 1], u)
            check(abs(mag - want) <= 0.001 * want, f"t = {t:.3f} s: pmu{i} V1 {mag:.1f} V, the scenario says {want:.1f}")
        fault = float(event["fault_start_s"]) <= u < float(event["fault_start_s"]) + float(event["fault_duration_s"])
        fault_sets += fault
        compared += 1
    print(f"scenario: {compared} sets compared, {fault_sets} in the fault, worst angle error {worst:.4f} deg; "
          f"{summary['sets']} sets, {summary['missing']} missing")
    check(fault_sets >= 1, "no set inside the fault (100 ms) away from its edges")
    check(compared >= 100, f"only {compared} sets compared")


run(main)
