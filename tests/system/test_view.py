#!/usr/bin/env python3
"""The live view in a real browser (Debian's chromium, headless, driven over the
DevTools protocol by cdp.py) against a fleet of simulated PMUs (pmu-netns --count K,
run by ctest), with pdc c37 view:
 1. the page loads without console errors and asks for nothing beyond pdc itself;
 2. it shows every PMU, each streaming, with its station and IDCODE;
 3. each PMU's frequency on the page is the one a second pdc (c37 stream) reads from the
    same PMU for the same time stamp, within the page's rounding (4 decimals);
 4. angles are relative to the reference: the reference's own V1 is at 0 degrees and a
    PMU on the same frequency keeps a still arrow;
 5. a PMU that stops (SIGSTOP) shows as stale within STALE_BOUND_MS, and as streaming
    again after SIGCONT; the view's missing counter moves;
 6. a screenshot (argv[1]).
Usage, inside the launcher: test_view.py SCREENSHOT"""
import asyncio
import datetime
import json
import re
import signal
import subprocess
import threading
import time

import cdp
from pmutest import *

PORT = 8037
URL = f"http://localhost:{PORT}/"
HOSTS = os.environ["PMU_HOSTS"].split()
PIDS = [int(p) for p in os.environ["PMU_SIM_PIDS"].split()]
STALE_BOUND_MS = 1500  # docs/VIEW.md states it
STOPPED = 2            # index of the PMU that is stopped (pmu3)

CARDS = "[...document.querySelectorAll('#pmus .pmu')]"
STATES = "[...document.querySelectorAll('#pmus .pmu .state')].map((e) => e.textContent)"


def card(source, selector):
    return f"document.querySelector('#pmus .pmu[data-source=\"{source}\"] {selector}').textContent"


def iso(us):
    """A UTC time in microseconds as pdc c37 stream --format json prints it."""
    t = datetime.datetime.fromtimestamp(us // 1_000_000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{us % 1_000_000:06d}Z"


def wrap(angle):
    return (angle + 540) % 360 - 180


async def stream_frequencies(host, seconds):
    """pdc c37 stream's JSON lines for one PMU: time string -> frequency."""
    p = await asyncio.create_subprocess_exec(PDC, "c37", "stream", host, "--format", "json", "-q", "-d", str(seconds),
                                             stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(p.communicate(), seconds + 30)
    check(p.returncode == 0, f"pdc c37 stream {host}: exit {p.returncode}: {err.decode(errors='replace')}")
    by_time = {}
    for line in out.decode().splitlines():
        if line.startswith("{"):
            o = json.loads(line)
            if o.get("type") == "data":
                by_time[o["time"]] = o["pmus"][0]["freq"]
    return by_time


class View:
    """pdc c37 view over the fleet, its standard error kept."""

    def __init__(self):
        self.proc = subprocess.Popen([PDC, "c37", "view", *HOSTS, "--http", str(PORT), "--wait", "200ms"],
                                     stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.err = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self.err += line

    async def wait_listening(self, timeout_s=10):
        deadline = time.monotonic() + timeout_s
        while URL not in self.err:
            check(self.proc.poll() is None, f"pdc c37 view exited with {self.proc.returncode}: {self.err}")
            check(time.monotonic() < deadline, f"pdc c37 view named no {URL} within {timeout_s} s: {self.err}")
            await asyncio.sleep(0.05)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(5)


async def loads_and_shows_every_pmu(page):
    started = time.monotonic()
    await page.goto(URL)
    check(await page.evaluate("document.title") == "pdc live view", "page title")
    await page.wait_for("every PMU streaming on the page",
                        f"{STATES}.filter((t) => t === 'streaming').length === {len(HOSTS)}", 15)
    cards = await page.evaluate(f"{CARDS}.map((c) => ({{idcode: c.dataset.idcode, title: c.querySelector('h2').textContent}}))")
    check(len(cards) == len(HOSTS), f"{len(cards)} PMU cards for {len(HOSTS)} PMUs")
    for i, c in enumerate(cards):
        check(c["idcode"] == str(i + 1) and c["title"] == f"pmu{i + 1}", f"card {i}: {c}")
    print(f"1-2: page up, {len(cards)} PMUs streaming after {(time.monotonic() - started) * 1000:.0f} ms")


async def frequencies_match_the_stream(page):
    streams = asyncio.gather(*(stream_frequencies(h, 6) for h in HOSTS))
    await asyncio.sleep(2.5)  # the streams have started and stamped some reports
    samples = []
    for _ in range(20):
        samples += await page.evaluate(f"""{CARDS}.map((c) => ({{
            source: Number(c.dataset.source), t: Number(c.querySelector('.freq').dataset.t),
            text: c.querySelector('.freq').textContent}}))""")
        await asyncio.sleep(0.097)
    streamed = await streams
    compared = 0
    for s in samples:
        f = streamed[s["source"]].get(iso(s["t"]))
        if f is None:
            continue
        compared += 1
        check(abs(float(s["text"]) - f) <= 0.00005 + 1e-9,
              f"PMU {s['source'] + 1} at {iso(s['t'])}: page {s['text']} Hz, pdc c37 stream {f} Hz")
    check(compared >= len(samples) * 0.9, f"only {compared} of {len(samples)} page values found in the streams")
    distinct = {s["text"] for s in samples if s["source"] == 1}
    check(len(distinct) >= 3, f"pmu2's frequency (modulated) took only {len(distinct)} values on the page")
    print(f"3: {compared} page frequencies equal pdc c37 stream's for the same time stamps "
          f"(pmu2 took {len(distinct)} values)")


async def angles_are_relative(page):
    angles = []
    for _ in range(10):
        angles.append(await page.evaluate("""window.__view.pmus.map((m) => {
            const k = m.config.phasors.findIndex((p) => p.name === 'V1');
            return m.latest && m.latest.ref != null ? m.latest.phasors[2 * k + 1] - m.latest.ref : null;
        })"""))
        await asyncio.sleep(0.2)
    check(all(a[0] is not None and abs(wrap(a[0])) < 1e-3 for a in angles),
          f"the reference's own V1 is not at 0: {[a[0] for a in angles]}")
    last = [a[len(HOSTS) - 1] for a in angles]
    check(all(a is not None for a in last), f"pmu{len(HOSTS)} has no relative angle: {last}")
    spread = max(abs(wrap(a - last[0])) for a in last)
    check(spread < 1.0, f"pmu{len(HOSTS)} (same frequency as the reference) moved {spread:.3f} degrees in 2 s")
    print(f"4: reference V1 at 0 degrees; pmu{len(HOSTS)}'s V1 still within {spread:.3f} degrees")


async def a_stopped_pmu_goes_stale(page, screenshot):
    missing_before = int(await page.evaluate(card(STOPPED, ".n.missing")))
    os.kill(PIDS[STOPPED], signal.SIGSTOP)
    stopped_at = time.monotonic()
    try:
        await page.wait_for("the stopped PMU shown as stale", f"{card(STOPPED, '.state')} === 'stale'",
                            (STALE_BOUND_MS + 3000) / 1000)
        detected_ms = (time.monotonic() - stopped_at) * 1000
        await page.screenshot(screenshot)
        await page.wait_for("the missing counter moving", f"Number({card(STOPPED, '.n.missing')}) > {missing_before}", 3)
        states = await page.evaluate(STATES)
        check(all(t == "streaming" for i, t in enumerate(states) if i != STOPPED), f"other PMUs: {states}")
    finally:
        os.kill(PIDS[STOPPED], signal.SIGCONT)
    check(detected_ms <= STALE_BOUND_MS,
          f"the stopped PMU was shown stale after {detected_ms:.0f} ms (bound {STALE_BOUND_MS} ms)")
    await page.wait_for("the PMU streaming again", f"{card(STOPPED, '.state')} === 'streaming'", 5)
    print(f"5: pmu{STOPPED + 1} stopped: shown stale after {detected_ms:.0f} ms (bound {STALE_BOUND_MS}); "
          f"streaming again after SIGCONT")


async def scenario(screenshot):
    check(len(HOSTS) >= 3, f"a fleet of at least 3, got {HOSTS}")
    view = View()
    try:
        await view.wait_listening()
        async with cdp.Browser(width=1400, height=1000) as browser:
            page = browser.page
            errors = page.collect_errors()
            foreign = await page.allow_only(URL, f"ws://localhost:{PORT}/")
            for domain in ("Page", "Runtime", "Log", "Network"):
                await page.send(f"{domain}.enable")
            await loads_and_shows_every_pmu(page)
            await frequencies_match_the_stream(page)
            await angles_are_relative(page)
            await a_stopped_pmu_goes_stale(page, screenshot)
            check(not errors, f"console errors: {' | '.join(errors)}")
            check(not foreign, f"the page asked for {', '.join(foreign)}")
            print(f"1, 6: no console errors, no request beyond pdc; screenshot {screenshot}")
    finally:
        view.stop()
    check(not re.search(r"error", re.sub(r"0 \w+ errors?", "", view.err), re.I), f"pdc c37 view reported: {view.err}")
    print("view: every check passed")


def main():
    check(len(sys.argv) == 2, "usage: test_view.py SCREENSHOT")
    try:
        cdp.run(scenario(sys.argv[1]))
    except cdp.CdpError as e:
        raise TestFailure(str(e))


run(main)
