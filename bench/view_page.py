#!/usr/bin/env python3
"""view_page.py URL SECONDS: opens pdc's live view in Debian's chromium (headless, driven
by tests/system/cdp.py) for SECONDS and prints one JSON line about the page: the sets it
received per second, how often it drew (animation frames per second), how long its
drawing took (mean and worst frame), frames over 50 ms apart, console errors. Says
"view_page: page open" on standard error when the page has its first set."""
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "system"))
import cdp  # noqa: E402

# Counts animation frames from the moment it is evaluated.
START = """(() => {
  window.__bench = { frames: 0, start: performance.now(), s0: { ...window.__view.stats } };
  const tick = () => { window.__bench.frames++; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
})()"""
RESULT = """(() => {
  const b = window.__bench, v = window.__view.stats, dt = (performance.now() - b.start) / 1000;
  return { seconds: dt, animation_fps: b.frames / dt, sets_per_s: (v.sets - b.s0.sets) / dt,
           pmu_reports_per_s: (v.frames - b.s0.frames) / dt, draw_ms_per_s: (v.drawMs - b.s0.drawMs) / dt,
           worst_draw_ms: v.maxDrawMs, long_frames: v.longFrames - b.s0.longFrames, pmus: window.__view.pmus.length };
})()"""


async def main(url, seconds):
    async with cdp.Browser(width=1600, height=1200) as browser:
        page = browser.page
        errors = page.collect_errors()
        for domain in ("Page", "Runtime", "Log"):
            await page.send(f"{domain}.enable")
        await page.goto(url)
        await page.wait_for("the page's first set", "window.__view && window.__view.stats.sets > 0", 15)
        await page.evaluate(START)
        print("view_page: page open", file=sys.stderr, flush=True)
        await asyncio.sleep(seconds)
        result = await page.evaluate(RESULT)
        result["console_errors"] = len(errors)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: view_page.py URL SECONDS")
    try:
        cdp.run(main(sys.argv[1], float(sys.argv[2])))
    except cdp.CdpError as e:
        sys.exit(f"view_page: {e}")
