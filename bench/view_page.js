// view_page.js NPM_DIR URL SECONDS: opens pdc's live view in Debian's chromium (headless,
// driven by playwright-core) for SECONDS and prints one JSON line about the page: the
// sets it received per second, how often it drew (animation frames per second), how long
// its drawing took (mean and worst frame), frames over 50 ms apart, console errors.
"use strict";
const path = require("path");
const { chromium } = require(path.join(process.argv[2], "playwright-core"));
const url = process.argv[3], seconds = Number(process.argv[4]);

(async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
  const page = await (await browser.newContext({ viewport: { width: 1600, height: 1200 } })).newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => window.__view && window.__view.stats.sets > 0, null, { timeout: 15000 });
  // Count animation frames from here on.
  await page.evaluate(() => {
    window.__bench = { frames: 0, start: performance.now(), s0: { ...window.__view.stats } };
    const tick = () => { window.__bench.frames++; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  console.error("view_page: page open");
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const s = await page.evaluate(() => {
    const b = window.__bench, v = window.__view.stats, dt = (performance.now() - b.start) / 1000;
    return { seconds: dt, animation_fps: b.frames / dt, sets_per_s: (v.sets - b.s0.sets) / dt,
             pmu_reports_per_s: (v.frames - b.s0.frames) / dt, draw_ms_per_s: (v.drawMs - b.s0.drawMs) / dt,
             worst_draw_ms: v.maxDrawMs, long_frames: v.longFrames - b.s0.longFrames, pmus: window.__view.pmus.length };
  });
  s.console_errors = errors.length;
  console.log(JSON.stringify(s));
  await browser.close();
})().catch((e) => { console.error(`view_page: ${e.message}`); process.exit(1); });
