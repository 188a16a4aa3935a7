#!/usr/bin/env python3
"""view_cost.py BUILD_DIR PMUS RATE SECONDS RUNS

The live view's cost to pdc: bench/c37_fleet serves PMUS synthetic PMUs at RATE frames/s
on this namespace's loopback and `pdc c37 view` concentrates them with its web server
on; pdc's CPU time (user + system, from /proc) is measured over SECONDS with no page
open (A) and with the page open in headless chromium (B, bench/view_page.py), A B A B
... RUNS times, medians. Also the browser's own CPU and what the page says of itself
(sets per second, animation frames per second, drawing time)."""
import json
import os
import statistics
import subprocess
import sys
import time

build, pmus, rate, seconds, runs = sys.argv[1], *map(int, sys.argv[2:6])
here = os.path.dirname(os.path.abspath(__file__))
TICK = os.sysconf("SC_CLK_TCK")
PORT = 8037


def cpu_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def browser_cpu():
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                if not f.read().startswith(("chrom", "headless")):
                    continue
            total += cpu_of(pid)
        except OSError:
            pass
    return total


def window(pid):
    c0, b0, t0 = cpu_of(pid), browser_cpu(), time.monotonic()
    time.sleep(seconds)
    c1, b1, t1 = cpu_of(pid), browser_cpu(), time.monotonic()
    return 100 * (c1 - c0) / (t1 - t0), 100 * (b1 - b0) / (t1 - t0)


def main():
    base = 21000
    total = runs * (2 * seconds + 25) + 30
    gen = subprocess.Popen([os.path.join(build, "bench", "c37_fleet"), "serve", str(pmus), str(rate), str(base),
                            str(total)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    view = subprocess.Popen([os.path.join(build, "pdc", "pdc"), "c37", "view", *[f"127.0.0.1:{base + i}" for i in range(pmus)],
                             "--http", str(PORT), "-d", str(total - 5), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    closed, opened, browser, pages = [], [], [], []
    try:
        for run in range(runs):
            a, _ = window(view.pid)
            closed.append(a)
            page = subprocess.Popen([sys.executable, os.path.join(here, "view_page.py"), f"http://localhost:{PORT}/",
                                     str(seconds + 4)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            line = page.stderr.readline()
            if "page open" not in line:
                sys.exit(f"view_page: {line}{page.stderr.read()}")
            time.sleep(2)
            b, br = window(view.pid)
            opened.append(b)
            browser.append(br)
            out, err = page.communicate(timeout=60)
            if page.returncode != 0:
                sys.exit(f"view_page: {err}")
            pages.append(json.loads(out.splitlines()[-1]))
            p = pages[-1]
            print(f"run {run + 1}: pdc {a:.1f}% of a core without the page, {b:.1f}% with it; chromium {br:.0f}%; "
                  f"page: {p['sets_per_s']:.1f} sets/s ({p['pmu_reports_per_s']:.0f} PMU reports/s), "
                  f"{p['animation_fps']:.1f} animation frames/s, drawing {p['draw_ms_per_s']:.0f} ms/s, worst frame "
                  f"{p['worst_draw_ms']:.1f} ms, {p['long_frames']} gaps over 50 ms, {p['console_errors']} console errors",
                  flush=True)
            time.sleep(2)
    finally:
        view.terminate()
        out, err = view.communicate(timeout=30)
        gen.terminate()
        gen.wait()
    summary = json.loads(out.splitlines()[-1])
    ma, mb = statistics.median(closed), statistics.median(opened)
    print(f"{pmus} PMUs x {rate}/s: pdc's CPU median {ma:.1f}% of a core without the page, {mb:.1f}% with it "
          f"(+{mb - ma:.1f} points, x{mb / ma:.2f}); chromium median {statistics.median(browser):.0f}%; "
          f"page median {statistics.median(p['animation_fps'] for p in pages):.1f} animation frames/s; "
          f"concentrator: {summary['sets']} sets, {summary['complete']} complete, {summary['late']} late")


main()
