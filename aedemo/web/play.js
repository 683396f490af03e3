// aedemo play: the page asks its server for one frame at a time (/frame.json) and draws it.
// At most one request is in flight: slider moves made meanwhile are merged into the next one,
// so a fast drag stays live and never waits for stale frames.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { from: "", to: "", pose: {}, offsets: [], motion: null, motionStart: 0 };
let info = null;          // /info.json: characters, factors, motions, code directions
let busy = false;         // a frame request is on its way
let again = false;        // something changed while it was
let loading = false;      // /info.json is on its way
const address = new URLSearchParams(location.search);   // the page's own query: a pose, or a bench
const drawnAt = [];       // when the frames of the last second were drawn
const FRAME_MS = 1000 / 60;   // a motion asks for a frame at most this often (a screen's refresh), and at once
                              // when the last one took longer: a slow frame costs one frame, not two refreshes

function el(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}

async function getJSON(url) {
  const response = await fetch(url, { cache: "no-store" });
  const text = await response.text();
  if (!response.ok) throw new Error(text.trim() || response.statusText);
  return JSON.parse(text);
}

const fmt = (x) => (Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
const short = (x) => String(Number(x.toFixed(3)));   // 8.1, not 8.100

function niceStep(span) {   // the smallest round step that still gives a slider about 300 positions
  return [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1].find((step) => step >= span / 300) || 1;
}

// ---- building the controls from /info.json ----

function slider(parent, id, name, help, low, high, value, onInput) {
  const row = el("div", { class: "slider" });
  const label = el("label", { for: id });
  label.append(el("b", {}, name), el("output", { id: id + "-value" }, fmt(value)));
  const input = el("input", { type: "range", id, min: low, max: high, step: niceStep(high - low), value });
  input.addEventListener("input", () => {
    $(id + "-value").textContent = fmt(Number(input.value));
    onInput(Number(input.value));
  });
  row.append(label, input);
  if (help) row.append(el("span", { class: "help" }, help));
  parent.append(row);
}

function buildControls() {
  $("sliders").replaceChildren();
  for (const f of info.factors) {
    state.pose[f.name] = f.neutral;
    slider($("sliders"), "f-" + f.name, f.name, f.help, f.low, f.high, f.neutral, (value) => {
      stopMotion();
      state.pose[f.name] = value;
      update();
    });
  }
  for (const id of ["from", "to"]) {
    $(id).replaceChildren(...info.identities.map((name) => el("option", { value: name }, name)));
  }
  state.from = info.identities[0];
  state.to = info.identities[1];
  $("from").value = state.from;
  $("to").value = state.to;
  $("motions").replaceChildren();
  for (const name of Object.keys(info.motions)) {
    const button = el("button", { type: "button", id: "motion-" + name }, name);
    button.addEventListener("click", () => (state.motion === name ? stopMotion() : startMotion(name)));
    $("motions").append(button);
  }
  buildDirections();
}

function buildDirections() {
  const range = info.direction_range;
  state.offsets = info.directions.map((_, i) => state.offsets[i] || 0);
  $("directions").replaceChildren();
  info.directions.forEach((d, i) => {
    const share = `${Math.round(100 * d.explained)} % of the code's variance; `;
    const help = share + (d.r >= 0.5 ? `follows ${d.follows} (r = ${d.r.toFixed(2)})`
      : `mixes several factors (closest: ${d.follows}, r = ${d.r.toFixed(2)})`);
    slider($("directions"), "dir" + (i + 1), `direction ${i + 1}`, help, -range, range, state.offsets[i], (value) => {
      state.offsets[i] = value;
      update();
    });
  });
  $("run").textContent = `run ${info.run} · ${info.identities.join(", ")} · the model of step ${info.step}`;
}

// An address like /?mouth_open=1&smile=0.5 opens the page in that pose (a link for a slide).
function poseFromAddress() {
  const pose = { ...state.pose };
  for (const f of info.factors) {
    const value = Number.parseFloat(address.get(f.name));
    if (Number.isFinite(value)) pose[f.name] = Math.min(f.high, Math.max(f.low, value));
  }
  return pose;
}

function setPose(pose) {
  for (const f of info.factors) {
    state.pose[f.name] = pose[f.name];
    $("f-" + f.name).value = pose[f.name];
    $("f-" + f.name + "-value").textContent = fmt(pose[f.name]);
  }
}

// ---- motions: the sliders follow a loop of poses, sampled by the clock ----

function startMotion(name) {
  stopMotion();
  state.motion = name;
  state.motionStart = performance.now();
  $("motion-" + name).classList.add("active");
  update();
}

function stopMotion() {
  if (state.motion) $("motion-" + state.motion).classList.remove("active");
  state.motion = null;
}

function motionPose() {
  const m = info.motions[state.motion];
  const n = m.poses.x.length;
  const t = (((performance.now() - state.motionStart) / 1000 / m.seconds) % 1) * n;
  const i = Math.floor(t) % n, j = (i + 1) % n, w = t - Math.floor(t);
  const pose = {};
  for (const f of info.factors) pose[f.name] = (1 - w) * m.poses[f.name][i] + w * m.poses[f.name][j];
  return pose;
}

// ---- one frame at a time ----

function frameQuery() {
  const query = new URLSearchParams({ from: state.from, to: state.to });
  for (const f of info.factors) query.set(f.name, state.pose[f.name].toFixed(4));
  state.offsets.forEach((value, i) => query.set("dir" + (i + 1), value.toFixed(3)));
  return query.toString();
}

function update() {
  if (!info) return;
  if (busy) {
    again = true;
    return;
  }
  busy = true;
  again = false;
  if (state.motion) setPose(motionPose());
  const query = frameQuery();
  const started = performance.now();
  getJSON("/frame.json?" + query)
    .then((frame) => draw(frame, query, performance.now() - started))
    .catch(showError)
    .finally(() => {
      busy = false;
      if (again) update();                              // the slider moved meanwhile: its newest value now
      else if (state.motion) setTimeout(update, Math.max(0, FRAME_MS - (performance.now() - started)));
    });
}

function showError(error) {
  $("error").textContent = error.message;
  if (error.message.startsWith("no model yet")) setTimeout(update, 1000);
}

function cellColour(z) {
  const t = Math.max(-1, Math.min(1, z / 3));
  const [r, g, b] = t > 0 ? [200, 40, 50] : [44, 111, 187];
  const mix = (c) => Math.round(255 + (c - 255) * Math.abs(t));
  return `rgb(${mix(r)}, ${mix(g)}, ${mix(b)})`;
}

function draw(frame, query, ms) {
  $("error").textContent = "";
  $("source-img").src = frame.source;
  $("swap-img").src = frame.swap;
  $("swap-img").dataset.query = query;
  $("truth-img").src = frame.truth;
  $("source-cap").textContent = `${frame.from} (source)`;
  $("swap-cap").textContent = frame.from === frame.to ? `${frame.from} \u2192 ${frame.to} (a reconstruction)`
    : `${frame.from} \u2192 ${frame.to} (swap)`;
  $("truth-cap").textContent = `true ${frame.to}`;
  $("psnr").replaceChildren("eyes + mouth PSNR of this frame against the truth: ",
    el("b", {}, `${frame.psnr_features.toFixed(1)} dB`), ` (whole frame ${frame.psnr.toFixed(1)} dB; higher is closer)`);
  const strip = $("strip");
  if (strip.children.length !== frame.code.length) {
    strip.replaceChildren(...frame.code.map(() => el("span")));
  }
  frame.code.forEach((z, i) => {
    strip.children[i].style.background = cellColour(z);
    strip.children[i].title = `code[${i}] = ${z.toFixed(2)} sd`;
  });
  drawDecoders(frame.decoders);
  drawLinks();
  const now = performance.now();
  drawnAt.push(now);
  while (drawnAt[0] < now - 1000) drawnAt.shift();
  $("speed").textContent = `${Math.round(ms)} ms a frame` + (drawnAt.length > 1 ? ` · ${drawnAt.length} frames/s` : "");
  if (frame.step !== info.step) loadInfo();
}

function drawDecoders(decoders) {
  const box = $("decoders");
  if (box.children.length !== decoders.length) {
    box.replaceChildren(...decoders.map(([name]) => {
      const figure = el("figure");
      figure.append(el("img", { alt: `${name}'s decoder drawing this code` }), el("span", { class: "tag" }, "synthetic"),
        el("figcaption", {}, name));
      return figure;
    }));
  }
  decoders.forEach(([name, uri], i) => {
    box.children[i].querySelector("img").src = uri;
    box.children[i].querySelector("figcaption").textContent = name;
  });
}

function drawLinks() {
  const swap = new URLSearchParams({ from: state.from, to: state.to });
  const render = new URLSearchParams({ identity: state.to });
  for (const f of info.factors) {
    if (Math.abs(state.pose[f.name] - f.neutral) > 1e-9) {
      swap.set(f.name, short(state.pose[f.name]));
      render.set(f.name, short(state.pose[f.name]));
    }
  }
  $("swap-link").href = $("swap-link").textContent = "/swap.png?" + swap;
  $("render-link").href = $("render-link").textContent = "/render.png?" + render;
}

// ---- the run, and its training ----

async function loadInfo() {
  if (loading) return;
  loading = true;
  try {
    const fresh = await getJSON("/info.json");
    if (fresh.waiting) {
      $("error").textContent = fresh.waiting;
      setTimeout(loadInfo, 1000);
      return;
    }
    const first = info === null;
    info = fresh;
    if (first) {
      buildControls();
      setPose(poseFromAddress());
    } else buildDirections();
    update();
    if (first && address.has("bench")) bench(address.get("bench"), Number(address.get("seconds")) || 3);
  } catch (error) {
    showError(error);
    setTimeout(loadInfo, 1000);
  } finally {
    loading = false;
  }
}

const TRAINING = {
  idle: (t) => `From ${t.folder}/log.csv and its newest preview. Watch a run learn live with ` +
    "aedemo play --train --a blob --b robot --time 60.",
  starting: () => "Training is starting: the first checkpoint comes after --save-every steps.",
  training: (t) => {
    const last = t.rows[t.rows.length - 1];
    return last ? `Training live: step ${last.step}, ${last.seconds.toFixed(0)} s; held-out eyes + mouth PSNR ` +
      `${last.swap_psnr_features.toFixed(1)} dB. The sliders drive the model of step ${t.model_step}.`
      : "Training live: waiting for its first save.";
  },
};

const TITLES = { idle: "How this model learned", starting: "Training: starting", training: "Training live",
  done: "Training: done", stopped: "Training: stopped", failed: "Training: failed" };

async function pollTraining() {
  let t;
  try {
    t = await getJSON("/training.json");
  } catch (error) {
    $("train-status").textContent = error.message;
    setTimeout(pollTraining, 2000);
    return;
  }
  $("train-status").textContent = (TRAINING[t.state] || ((s) => s.message))(t);
  $("train-title").textContent = TITLES[t.state] || "Training";
  const src = t.preview === null ? null : `/preview.png?step=${t.preview}`;
  if (src && $("preview").getAttribute("src") !== src) $("preview").src = src;
  plot($("loss-plot"), t.rows, [["loss", "training loss", "#c81e3c"]], true, "training loss (lower is better)");
  plot($("psnr-plot"), t.rows, [["swap_psnr", "whole frame", "#2c6fbb"], ["swap_psnr_features", "eyes + mouth",
    "#e08a00"]], false, "held-out swap PSNR, dB");
  if (info && t.model_step !== null && t.model_step !== info.step) loadInfo();
  if (info === null && t.model_step !== null) loadInfo();
  if (t.state === "starting" || t.state === "training") setTimeout(pollTraining, 1000);
}

function plot(canvas, rows, series, logScale, title) {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  canvas.width = w * ratio;
  canvas.height = h * ratio;
  const g = canvas.getContext("2d");
  g.scale(ratio, ratio);
  g.font = "12px system-ui, sans-serif";
  g.fillStyle = "#1e1e28";
  g.fillText(title, 4, 13);
  const left = 44, right = w - 8, top = 24, bottom = h - 22;
  const value = (y) => (logScale ? Math.log10(y) : y);
  const points = rows.flatMap((r) => series.map(([key]) => r[key]).filter((y) => Number.isFinite(y) && (!logScale || y > 0)));
  if (!points.length) {
    g.fillStyle = "#586074";
    g.fillText("no log rows yet", left, (top + bottom) / 2);
    return;
  }
  const x0 = 0, x1 = Math.max(...rows.map((r) => r.step), 1);
  let y0 = Math.min(...points.map(value)), y1 = Math.max(...points.map(value));
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const X = (x) => left + ((x - x0) / (x1 - x0)) * (right - left);
  const Y = (y) => bottom - ((value(y) - y0) / (y1 - y0)) * (bottom - top);
  g.strokeStyle = "#d5dbe5";
  g.fillStyle = "#586074";
  g.lineWidth = 1;
  for (let k = 0; k <= 3; k++) {
    const v = y0 + ((y1 - y0) * k) / 3, y = bottom - ((bottom - top) * k) / 3;
    g.beginPath(); g.moveTo(left, y); g.lineTo(right, y); g.stroke();
    const shown = logScale ? 10 ** v : v;
    g.fillText(logScale ? shown.toPrecision(2) : shown.toFixed(1), 2, y + 4);
  }
  g.fillText("0", left - 3, h - 6);
  g.fillText(`step ${x1}`, right - 60, h - 6);
  series.forEach(([key, label, colour], s) => {
    g.strokeStyle = g.fillStyle = colour;
    g.lineWidth = 2;
    g.beginPath();
    rows.filter((r) => Number.isFinite(r[key])).forEach((r, i) => (i ? g.lineTo(X(r.step), Y(r[key])) : g.moveTo(X(r.step), Y(r[key]))));
    g.stroke();
    if (series.length > 1) g.fillText(label, right - 90, top + 12 + 14 * s);
  });
}

// ---- bench: /?bench=talk&seconds=3, opened by `aedemo bench` in headless Chromium ----
// Plays the motion and counts the repaints that show a swap newer than the one before (a swap
// image loaded since the last repaint), then sends the count to the server. The server only
// answers while a bench waits for it.

function bench(motion, seconds) {
  if (!(motion in info.motions)) return;
  let loaded = false, shown = 0, start = null;
  $("swap-img").addEventListener("load", () => { loaded = true; });
  startMotion(motion);
  const count = (now) => {
    if (start === null) start = now;
    if (loaded) shown += 1;
    loaded = false;
    if (now - start < 1000 * seconds) {
      requestAnimationFrame(count);
      return;
    }
    stopMotion();
    fetch(`/bench-result?frames=${shown}&seconds=${((now - start) / 1000).toFixed(3)}`, { cache: "no-store" });
  };
  requestAnimationFrame(count);
}

// ---- wiring ----

document.addEventListener("DOMContentLoaded", () => {
  for (const id of ["from", "to"]) {
    $(id).addEventListener("change", () => {
      state[id] = $(id).value;
      update();
    });
  }
  $("flip").addEventListener("click", () => {
    [state.from, state.to] = [state.to, state.from];
    $("from").value = state.from;
    $("to").value = state.to;
    update();
  });
  $("reset-pose").addEventListener("click", () => {
    stopMotion();
    setPose(Object.fromEntries(info.factors.map((f) => [f.name, f.neutral])));
    update();
  });
  $("reset-code").addEventListener("click", () => {
    state.offsets = state.offsets.map(() => 0);
    state.offsets.forEach((_, i) => {
      $("dir" + (i + 1)).value = 0;
      $("dir" + (i + 1) + "-value").textContent = fmt(0);
    });
    update();
  });
  loadInfo();
  pollTraining();
});
