// The live view in a real browser (Debian's chromium, driven by playwright-core) against
// a fleet of simulated PMUs (pmu-netns --count K, run by ctest), with pdc c37 view:
//  1. the page loads without console errors and asks for nothing beyond pdc itself;
//  2. it shows every PMU, each streaming, with its station and IDCODE;
//  3. each PMU's frequency on the page is the one a second pdc (c37 stream) reads from
//     the same PMU for the same time stamp, within the page's rounding (4 decimals);
//  4. angles are relative to the reference: the reference's own V1 is at 0 degrees and
//     a PMU on the same frequency keeps a still arrow;
//  5. a PMU that stops (SIGSTOP) shows as stale within STALE_BOUND_MS, and as streaming
//     again after SIGCONT; the view's missing counter moves;
//  6. a screenshot (argv[2]).
// Usage, inside the launcher: node test_view.js NPM_DIR SCREENSHOT
"use strict";
const { spawn } = require("child_process");
const path = require("path");

const npmDir = process.argv[2];
const screenshot = process.argv[3];
const { chromium } = require(path.join(npmDir, "playwright-core"));

const PORT = 8037;
const URL = `http://localhost:${PORT}/`;
const HOSTS = process.env.PMU_HOSTS.split(" ");
const PIDS = process.env.PMU_SIM_PIDS.split(" ").map(Number);
const STALE_BOUND_MS = 1500;   // docs/VIEW.md states it
const STOPPED = 2;             // index of the PMU that is stopped (pmu3)

function check(ok, message) {
  if (!ok) throw new Error(message);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, ms, fn) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

// pdc c37 stream's JSON lines for one PMU: time string -> freq.
function streamFrequencies(host, seconds) {
  return new Promise((resolve, reject) => {
    const p = spawn("pdc", ["c37", "stream", host, "--format", "json", "-q", "-d", String(seconds)]);
    let out = "", err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("close", (code) => {
      if (code !== 0) return reject(new Error(`pdc c37 stream ${host}: exit ${code}: ${err}`));
      const byTime = new Map();
      for (const line of out.split("\n")) {
        if (!line.startsWith("{")) continue;
        const o = JSON.parse(line);
        if (o.type === "data") byTime.set(o.time, o.pmus[0].freq);
      }
      resolve(byTime);
    });
  });
}

function iso(us) {
  return new Date(Math.floor(us / 1000)).toISOString().slice(0, 23) + String(us % 1000).padStart(3, "0") + "Z";
}

async function main() {
  check(HOSTS.length >= 3, `a fleet of at least 3, got ${HOSTS}`);
  const view = spawn("pdc", ["c37", "view", ...HOSTS, "--http", String(PORT), "--wait", "200ms"],
                     { stdio: ["ignore", "inherit", "pipe"] });
  let viewErr = "";
  view.stderr.on("data", (d) => (viewErr += d));
  let browser;
  try {
    await until("the view's address on standard error", 10000, () => viewErr.includes(`http://localhost:${PORT}/`));
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync"],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const errors = [], foreign = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.route("**/*", (route) => {
      if (route.request().url().startsWith(URL)) return route.continue();
      foreign.push(route.request().url());
      return route.abort();
    });

    // 1, 2: loads, every PMU streaming.
    const started = Date.now();
    await page.goto(URL);
    check((await page.title()) === "pdc live view", "page title");
    await until("every PMU streaming on the page", 15000, async () =>
      (await page.$$eval("#pmus .pmu .state", (s) => s.map((e) => e.textContent))).filter((t) => t === "streaming").length === HOSTS.length);
    const cards = await page.$$eval("#pmus .pmu", (cs) => cs.map((c) => ({ idcode: c.dataset.idcode, title: c.querySelector("h2").textContent })));
    check(cards.length === HOSTS.length, `${cards.length} PMU cards for ${HOSTS.length} PMUs`);
    cards.forEach((c, i) => check(c.idcode === String(i + 1) && c.title === `pmu${i + 1}`, `card ${i}: ${JSON.stringify(c)}`));
    console.log(`1-2: page up, ${cards.length} PMUs streaming after ${Date.now() - started} ms`);

    // 3: the page's frequency against a second pdc's, by time stamp.
    const streams = HOSTS.map((h) => streamFrequencies(h, 6));
    await sleep(2500);  // the streams have started and stamped some reports
    const samples = [];
    for (let k = 0; k < 20; ++k) {
      samples.push(...await page.$$eval("#pmus .pmu", (cs) => cs.map((c) => ({
        source: Number(c.dataset.source), t: Number(c.querySelector(".freq").dataset.t),
        text: c.querySelector(".freq").textContent }))));
      await sleep(97);
    }
    const streamed = await Promise.all(streams);
    let compared = 0;
    for (const s of samples) {
      const f = streamed[s.source].get(iso(s.t));
      if (f === undefined) continue;
      ++compared;
      check(Math.abs(Number(s.text) - f) <= 0.00005 + 1e-9,
            `PMU ${s.source + 1} at ${iso(s.t)}: page ${s.text} Hz, pdc c37 stream ${f} Hz`);
    }
    check(compared >= samples.length * 0.9, `only ${compared} of ${samples.length} page values found in the streams`);
    const distinct = new Set(samples.filter((s) => s.source === 1).map((s) => s.text));
    check(distinct.size >= 3, `pmu2's frequency (modulated) took only ${distinct.size} values on the page`);
    console.log(`3: ${compared} page frequencies equal pdc c37 stream's for the same time stamps (pmu2 took ${distinct.size} values)`);

    // 4: relative angles.
    const angles = [];
    for (let k = 0; k < 10; ++k) {
      angles.push(await page.evaluate(() => window.__view.pmus.map((m) => {
        const k = m.config.phasors.findIndex((p) => p.name === "V1");
        return m.latest && m.latest.ref != null ? m.latest.phasors[2 * k + 1] - m.latest.ref : null;
      })));
      await sleep(200);
    }
    const wrap = (a) => ((a + 540) % 360) - 180;
    check(angles.every((a) => a[0] !== null && Math.abs(wrap(a[0])) < 1e-3), `the reference's own V1 is not at 0: ${angles.map((a) => a[0])}`);
    const last = angles.map((a) => a[HOSTS.length - 1]);
    const spread = Math.max(...last.map((a) => Math.abs(wrap(a - last[0]))));
    check(spread < 1.0, `pmu${HOSTS.length} (same frequency as the reference) moved ${spread.toFixed(3)} degrees in 2 s`);
    console.log(`4: reference V1 at 0 degrees; pmu${HOSTS.length}'s V1 still within ${spread.toFixed(3)} degrees`);

    // 5: a PMU stops, then comes back.
    const missingBefore = Number(await page.$eval(`#pmus .pmu[data-source="${STOPPED}"] .n.missing`, (e) => e.textContent));
    process.kill(PIDS[STOPPED], "SIGSTOP");
    const stoppedAt = Date.now();
    let detected;
    try {
      await until("the stopped PMU shown as stale", STALE_BOUND_MS + 3000, async () =>
        (await page.$eval(`#pmus .pmu[data-source="${STOPPED}"] .state`, (e) => e.textContent)) === "stale");
      detected = Date.now() - stoppedAt;
      await page.screenshot({ path: screenshot, fullPage: true });
      await until("the missing counter moving", 3000, async () =>
        Number(await page.$eval(`#pmus .pmu[data-source="${STOPPED}"] .n.missing`, (e) => e.textContent)) > missingBefore);
      const others = await page.$$eval("#pmus .pmu .state", (s) => s.map((e) => e.textContent));
      check(others.filter((t, i) => i !== STOPPED).every((t) => t === "streaming"), `other PMUs: ${others}`);
    } finally {
      process.kill(PIDS[STOPPED], "SIGCONT");
    }
    check(detected <= STALE_BOUND_MS, `the stopped PMU was shown stale after ${detected} ms (bound ${STALE_BOUND_MS} ms)`);
    await until("the PMU streaming again", 5000, async () =>
      (await page.$eval(`#pmus .pmu[data-source="${STOPPED}"] .state`, (e) => e.textContent)) === "streaming");
    console.log(`5: pmu${STOPPED + 1} stopped: shown stale after ${detected} ms (bound ${STALE_BOUND_MS}); streaming again after SIGCONT`);

    check(errors.length === 0, `console errors: ${errors.join(" | ")}`);
    check(foreign.length === 0, `the page asked for ${foreign.join(", ")}`);
    console.log(`1, 6: no console errors, no request beyond pdc; screenshot ${screenshot}`);
  } finally {
    if (browser) await browser.close();
    view.kill("SIGTERM");
    await new Promise((r) => view.on("close", r));
  }
  check(!/error/i.test(viewErr.replace(/0 \w+ errors?/g, "")), `pdc c37 view reported: ${viewErr}`);
  console.log("view: every check passed");
}

main().catch((e) => {
  console.error(`FAIL: ${e.message}`);
  process.exit(1);
});
