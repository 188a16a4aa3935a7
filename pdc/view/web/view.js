// pdc's live view: one WebSocket from pdc (/ws) carries three kinds of JSON message
// (docs/VIEW.md): "config" (every PMU's configuration), "sets" (the aligned reports,
// every 50 ms) and "status" (states and the concentrator's counters, every 250 ms).
// Drawing happens at most once per animation frame; the trends at most 10 times a second.
"use strict";

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
                "#7f7f7f", "#bcbd22", "#393b79", "#ad494a", "#637939", "#7b4173", "#e6550d", "#3182bd"];
const PHASE_COLORS = { a: "#d62728", b: "#2ca02c", c: "#1f77b4", pos: "#111", neg: "#9467bd", zero: "#8c564b", "": "#7f7f7f" };
const HISTORY_S = 300;          // the longest window offered
const TREND_EVERY_MS = 100;

const view = {
  config: null, status: null, pmus: [], byIdcode: new Map(),
  times: [], freq: [], rocof: [],  // trends: set times (s) and one array per source
  refAngles: new Map(),            // set time (us) -> reference angle (deg)
  dirty: false, trendDirty: false, lastTrend: 0,
  stats: { messages: 0, sets: 0, frames: 0, drawMs: 0, maxDrawMs: 0, longFrames: 0, lastFrameAt: 0 },
};
window.__view = view;  // for the browser test and the benchmark

// ---- STAT (IEEE C37.118.2-2011, table 7) ------------------------------------------------
const DATA_ERROR = ["good", "PMU error", "test mode", "do not use"];
const TIME_QUALITY = ["not used", "< 100 ns", "< 1 µs", "< 10 µs", "< 100 µs", "< 1 ms", "< 10 ms", "> 10 ms or unknown"];
const UNLOCKED = ["locked or < 10 s", "unlocked 10-100 s", "unlocked 100-1000 s", "unlocked > 1000 s"];
const TRIGGER = ["manual", "magnitude low", "magnitude high", "phase angle difference", "frequency high or low",
                 "df/dt high", "reserved", "digital"];

function decodeStat(stat) {
  const err = (stat >> 14) & 3, tq = (stat >> 6) & 7, unlocked = (stat >> 4) & 3, reason = stat & 15;
  const out = [];
  out.push([err === 0 ? "good" : "bad", "data: " + DATA_ERROR[err]]);
  out.push([stat & 0x2000 ? "bad" : "good", stat & 0x2000 ? "sync lost" : "in sync"]);
  out.push([tq >= 6 ? "warn" : "good", "time quality " + TIME_QUALITY[tq]]);
  if (unlocked) out.push(["warn", UNLOCKED[unlocked]]);
  if (stat & 0x0400) out.push(["warn", "config change"]);
  if (stat & 0x0800) out.push(["warn", "trigger: " + (reason < 8 ? TRIGGER[reason] : "user " + reason)]);
  if (stat & 0x0200) out.push(["warn", "data modified"]);
  if (stat & 0x1000) out.push(["warn", "sorted by arrival"]);
  return out;
}

// ---- the page's structure -----------------------------------------------------------------
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k === "style") e.style.cssText = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function buildPmus(config) {
  const root = document.getElementById("pmus");
  root.textContent = "";
  view.pmus = config.pmus.map((p, i) => {
    const color = COLORS[i % COLORS.length];
    const card = el("article", { class: "pmu", "data-source": String(i), "data-idcode": String(p.idcode), style: "--color:" + color });
    const state = el("span", { class: "badge state" }, "connecting");
    const title = el("h2", {}, p.known ? p.station : p.label);
    const head = el("div", { class: "head" }, title, el("span", { class: "id" }, "IDCODE " + p.idcode), state);
    const canvas = el("canvas", { width: "340", height: "340" });
    const freq = el("span", { class: "big freq" }, "–");
    const rocof = el("span", { class: "rocof" }, "–");
    const time = el("div", { class: "time" }, "");
    const stat = el("div", { class: "stat" });
    const counters = el("table", { class: "counters" });
    const cells = {};
    for (const row of [["frames", "late", "missing"], ["duplicate", "corrupt", "reconnects"]]) {
      const tr = el("tr");
      for (const name of row) {
        cells[name] = el("td", { class: "n " + name }, "0");
        tr.append(el("td", {}, name), cells[name]);
      }
      counters.append(tr);
    }
    const values = el("div", { class: "values" },
      el("div", {}, freq, el("span", { class: "unit" }, " Hz")),
      el("div", {}, "ROCOF ", rocof, el("span", { class: "unit" }, " Hz/s")),
      time, stat, counters);
    const details = el("details", {}, el("summary", {}, "configuration"), configTable(p));
    card.append(head, el("div", { class: "body" }, canvas, values), details);
    root.append(card);
    return { index: i, config: p, color, card, state, title, canvas, freq, rocof, time, stat, counters: cells,
             details, latest: null, lastStat: -1, relative: true };
  });
  view.byIdcode = new Map(view.pmus.map((m) => [m.config.idcode, m]));
  const ref = document.getElementById("reference");
  const keep = ref.value;
  ref.textContent = "";
  for (const m of view.pmus) ref.append(el("option", { value: String(m.index) }, (m.config.station || m.config.label) + " (" + m.config.idcode + ")"));
  if (keep && keep < view.pmus.length) ref.value = keep;
}

function configTable(p) {
  if (!p.known) return el("div", {}, "not read yet (" + p.label + ")");
  const t = el("table");
  t.append(el("tr", {}, el("td", {}, "source"), el("td", {}, p.label)));
  t.append(el("tr", {}, el("td", {}, "CFGCNT"), el("td", { class: "cfgcnt" }, String(p.cfgcnt))));
  t.append(el("tr", {}, el("td", {}, "rate"), el("td", {}, p.data_rate + " frames/s, " + p.fnom + " Hz nominal, " + p.frame)));
  for (const ph of p.phasors) t.append(el("tr", {}, el("td", {}, ph.name), el("td", {}, "phasor, " + ph.unit + (ph.role ? ", " + ph.role : ""))));
  for (const a of p.analogs) t.append(el("tr", {}, el("td", {}, a), el("td", {}, "analog")));
  const named = p.digitals.filter((d) => d);
  if (named.length) t.append(el("tr", {}, el("td", {}, "digital"), el("td", {}, named.join(" "))));
  return t;
}

// ---- trends -------------------------------------------------------------------------------
let freqChart = null, rocofChart = null;

function makeChart(target, label, digits) {
  const series = [{}].concat(view.pmus.map((m) => ({
    label: (m.config.station || m.config.label), stroke: m.color, width: 1.5, spanGaps: false,
    value: (u, v) => (v == null ? "–" : v.toFixed(digits)),
  })));
  const width = Math.max(300, document.getElementById(target).clientWidth);
  const data = [[]].concat(view.pmus.map(() => []));
  const el = document.getElementById(target);
  el.textContent = "";
  return new uPlot({ width, height: 220, series, scales: { x: { time: true } },
                     axes: [{}, { label, size: 70 }], legend: { live: false } }, data, el);
}

function buildTrends() {
  view.times = [];
  view.freq = view.pmus.map(() => []);
  view.rocof = view.pmus.map(() => []);
  freqChart = makeChart("freq-chart", "Hz", 4);
  rocofChart = makeChart("rocof-chart", "Hz/s", 3);
}

function trimHistory() {
  const t = view.times;
  if (t.length < 2 || t[t.length - 1] - t[0] < HISTORY_S * 1.1) return;
  const cut = t.findIndex((x) => x >= t[t.length - 1] - HISTORY_S);
  view.times.splice(0, cut);
  for (const a of view.freq) a.splice(0, cut);
  for (const a of view.rocof) a.splice(0, cut);
}

function drawTrends() {
  const windowS = Number(document.getElementById("window").value);
  const t = view.times;
  if (!t.length || !freqChart) return;
  const end = t[t.length - 1];
  let lo = 0, hi = t.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (t[mid] < end - windowS) lo = mid + 1; else hi = mid; }
  const xs = t.slice(lo);
  freqChart.setData([xs].concat(view.freq.map((a) => a.slice(lo))));
  rocofChart.setData([xs].concat(view.rocof.map((a) => a.slice(lo))));
}

// ---- messages -----------------------------------------------------------------------------
function onConfig(msg) {
  const old = view.config;
  view.config = msg;
  const sameSources = old && old.pmus.length === msg.pmus.length &&
    old.pmus.every((p, i) => p.known === msg.pmus[i].known && p.station === msg.pmus[i].station &&
                             JSON.stringify(p.phasors) === JSON.stringify(msg.pmus[i].phasors));
  if (sameSources) {
    view.pmus.forEach((m, i) => { m.config = msg.pmus[i]; m.details.replaceChildren(el("summary", {}, "configuration"), configTable(msg.pmus[i])); });
    return;
  }
  buildPmus(msg);
  buildTrends();
  view.dirty = true;
}

function referenceOf(set) {
  const ref = view.pmus[Number(document.getElementById("reference").value) || 0];
  if (!ref) return null;
  const entry = set.p.find((e) => e[0] === ref.index);
  if (!entry) return null;
  const phasors = ref.config.phasors || [];
  let k = phasors.findIndex((p) => p.unit === "V" && p.role === "pos");
  if (k < 0) k = phasors.findIndex((p) => p.unit === "V");
  return k < 0 || entry[4][2 * k + 1] == null ? null : entry[4][2 * k + 1];
}

function onSets(msg) {
  for (const set of msg.sets) {
    view.stats.sets++;
    const ts = set.t / 1e6;
    const refAngle = referenceOf(set);
    if (refAngle != null) view.refAngles.set(set.t, refAngle);
    view.times.push(ts);
    const seen = new Array(view.pmus.length).fill(false);
    for (const e of set.p) {
      const m = view.pmus[e[0]];
      if (!m) continue;
      seen[e[0]] = true;
      view.stats.frames++;
      m.latest = { t: set.t, stat: e[1], freq: e[2], rocof: e[3], phasors: e[4], analogs: e[5], digitals: e[6], ref: refAngle };
      view.freq[e[0]].push(e[2]);
      view.rocof[e[0]].push(e[3]);
    }
    seen.forEach((s, i) => { if (!s) { view.freq[i].push(null); view.rocof[i].push(null); } });
  }
  // Reference angles are only needed for the newest sets.
  if (view.refAngles.size > 600) {
    const keys = [...view.refAngles.keys()].slice(0, view.refAngles.size - 300);
    for (const k of keys) view.refAngles.delete(k);
  }
  trimHistory();
  view.dirty = true;
  view.trendDirty = true;
}

function onStatus(msg) {
  view.status = msg;
  document.getElementById("summary").textContent =
    msg.pmus.length + " PMUs, " + msg.sets + " sets; a PMU silent for " + msg.stale_after_ms + " ms shows as stale";
  view.dirty = true;
}

// "2026-11-22T10:15:30.033333Z" from UTC microseconds.
function isoMicroseconds(t) {
  return new Date(Math.floor(t / 1000)).toISOString().slice(0, 23) + String(t % 1000).padStart(3, "0") + "Z";
}

// ---- drawing ------------------------------------------------------------------------------
function drawPhasors(m) {
  const c = m.canvas, g = c.getContext("2d"), w = c.width, r = w / 2 - 36;
  g.clearRect(0, 0, w, w);
  g.save();
  g.translate(w / 2, w / 2);
  g.strokeStyle = "#ccd"; g.lineWidth = 1;
  for (const f of [0.5, 1]) { g.beginPath(); g.arc(0, 0, r * f, 0, 2 * Math.PI); g.stroke(); }
  g.beginPath(); g.moveTo(-r, 0); g.lineTo(r, 0); g.moveTo(0, -r); g.lineTo(0, r); g.stroke();
  const s = m.latest;
  if (s && m.config.phasors) {
    // Voltages and currents each on their own scale: the largest of each reaches the circle.
    const max = { V: 0, A: 0 };
    m.config.phasors.forEach((p, k) => { const mag = s.phasors[2 * k]; if (mag != null && mag > max[p.unit]) max[p.unit] = mag; });
    const ref = m.relative && s.ref != null ? s.ref : 0;
    m.config.phasors.forEach((p, k) => {
      const mag = s.phasors[2 * k], ang = s.phasors[2 * k + 1];
      if (mag == null || ang == null || !max[p.unit]) return;
      const a = (ang - ref) * Math.PI / 180, len = r * mag / max[p.unit];
      const x = len * Math.cos(a), y = -len * Math.sin(a);
      g.strokeStyle = g.fillStyle = PHASE_COLORS[p.role] || PHASE_COLORS[""];
      g.lineWidth = p.role === "pos" ? 4 : 2;
      g.setLineDash(p.unit === "A" ? [6, 4] : []);
      g.beginPath(); g.moveTo(0, 0); g.lineTo(x, y); g.stroke();
      g.setLineDash([]);
      const h = Math.atan2(y, x);
      g.beginPath(); g.moveTo(x, y);
      g.lineTo(x - 12 * Math.cos(h - 0.4), y - 12 * Math.sin(h - 0.4));
      g.lineTo(x - 12 * Math.cos(h + 0.4), y - 12 * Math.sin(h + 0.4));
      g.closePath(); g.fill();
      g.font = "20px system-ui"; g.fillText(p.name, x * 1.08 + 4, y * 1.08 + 4);
    });
    if (s.ref == null) { g.fillStyle = "#b06d00"; g.font = "18px system-ui"; g.fillText("absolute angles", -r, r + 10); }
  }
  g.restore();
}

function drawCard(m, status) {
  const s = m.latest;
  if (status) {
    const st = status.state;
    if (m.state.textContent !== st) {
      m.state.textContent = st;
      m.state.className = "badge state " + (st === "streaming" ? "good" : st === "stale" || st === "waiting" ? "warn" : "bad");
      m.state.title = status.error || "";
    }
    for (const k of ["frames", "late", "missing", "duplicate", "corrupt", "reconnects"]) {
      const v = String(status[k]);
      if (m.counters[k].textContent !== v) {
        m.counters[k].textContent = v;
        m.counters[k].classList.toggle("nonzero", k !== "frames" && status[k] > 0);
      }
    }
  }
  if (!s) return;
  m.freq.textContent = s.freq == null ? "–" : s.freq.toFixed(4);
  m.freq.dataset.t = String(s.t);
  m.freq.dataset.value = s.freq == null ? "" : String(s.freq);
  m.rocof.textContent = s.rocof == null ? "–" : s.rocof.toFixed(3);
  m.time.textContent = isoMicroseconds(s.t);
  if (s.stat !== m.lastStat) {
    m.lastStat = s.stat;
    m.stat.replaceChildren(...decodeStat(s.stat).map(([cls, text]) => el("span", { class: "badge " + cls }, text)));
    m.stat.dataset.stat = "0x" + s.stat.toString(16).padStart(4, "0");
  }
  drawPhasors(m);
}

function frame(now) {
  const st = view.stats;
  if (st.lastFrameAt && now - st.lastFrameAt > 50) st.longFrames++;
  st.lastFrameAt = now;
  if (view.dirty) {
    const t0 = performance.now();
    view.dirty = false;
    const status = view.status ? view.status.pmus : [];
    view.pmus.forEach((m, i) => drawCard(m, status[i]));
    if (view.trendDirty && now - view.lastTrend >= TREND_EVERY_MS) {
      view.trendDirty = false;
      view.lastTrend = now;
      drawTrends();
    } else if (view.trendDirty) {
      view.dirty = true;
    }
    const ms = performance.now() - t0;
    st.drawMs += ms;
    st.maxDrawMs = Math.max(st.maxDrawMs, ms);
  }
  requestAnimationFrame(frame);
}

// ---- the connection -----------------------------------------------------------------------
function connect() {
  const link = document.getElementById("link");
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
  view.ws = ws;
  ws.onopen = () => {
    link.textContent = "live"; link.className = "badge good";
    ws.send("decimate " + document.getElementById("decimate").value);
  };
  ws.onmessage = (ev) => {
    view.stats.messages++;
    const msg = JSON.parse(ev.data);
    if (msg.type === "config") onConfig(msg);
    else if (msg.type === "sets") onSets(msg);
    else if (msg.type === "status") onStatus(msg);
  };
  ws.onclose = () => {
    link.textContent = "pdc stopped: reconnecting"; link.className = "badge bad";
    setTimeout(connect, 1000);
  };
}

document.getElementById("decimate").addEventListener("change", (e) => {
  if (view.ws && view.ws.readyState === 1) view.ws.send("decimate " + e.target.value);
});
document.getElementById("window").addEventListener("change", () => { view.trendDirty = true; view.dirty = true; });
document.getElementById("reference").addEventListener("change", () => { view.dirty = true; });
window.addEventListener("resize", () => {
  for (const [chart, id] of [[freqChart, "freq-chart"], [rocofChart, "rocof-chart"]]) {
    if (chart) chart.setSize({ width: document.getElementById(id).clientWidth, height: 220 });
  }
});
connect();
requestAnimationFrame(frame);
