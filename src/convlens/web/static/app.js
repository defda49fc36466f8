// The web lens page: input (draw / upload / test samples), prediction bars, every layer's maps, pixel detail,
// Dense/softmax units, the lens playground, formulas, output-size playground.
import { api, imageParams } from "./api.js";
import { paint, paintGray, range } from "./colors.js";
import { startDense } from "./dense.js";
import { el, fmt, matrix } from "./dom.js";
import { startLenses } from "./lenses.js";
import { startLive } from "./live.js";
import { startPlayground } from "./playground.js";
import { startSamples } from "./samples.js";

const state = { model: null, image: null, draw: false, maps: null, selected: null, busy: false, again: false };
const followers = [];  // views refreshed after every full update of the input (lens playground, Dense units)

async function main() {
  startPlayground();
  const model = await api("/api/model");
  state.model = model;
  if (model.live) startLive();
  if (!model.layers.length) return;
  document.getElementById("model-name").textContent =
    `${model.layers.length} layers · input ${JSON.stringify(model.input_shape)}`;
  for (const id of ["input-section", "overview-section", "lenses-section", "formulas-section"]) {
    document.getElementById(id).hidden = false;
  }
  if (!model.drawing) document.getElementById("draw-box").hidden = true;
  showFormulas(model);
  setUpDrawing();
  setUpUpload();
  followers.push(startLenses(state), startDense(state));
  startSamples((blob) => { state.image = blob; state.draw = false; refresh(true); });
  document.getElementById("scale").addEventListener("change", showOverview);
}

function setUpDrawing() {
  const canvas = document.getElementById("draw");
  const ctx = canvas.getContext("2d");
  const clear = () => { ctx.fillStyle = "#000"; ctx.fillRect(0, 0, canvas.width, canvas.height); };
  clear();
  let down = false, last = null;
  const point = (e) => { const r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  canvas.addEventListener("pointerdown", (e) => { down = true; last = point(e); canvas.setPointerCapture(e.pointerId); });
  canvas.addEventListener("pointermove", (e) => {
    if (!down) return;
    const p = point(e);
    ctx.strokeStyle = "#fff"; ctx.lineWidth = 18; ctx.lineCap = "round"; ctx.lineJoin = "round";
    ctx.beginPath(); ctx.moveTo(...last); ctx.lineTo(...p); ctx.stroke();
    last = p;
    update(canvas, true, false);
  });
  const up = () => { if (down) { down = false; update(canvas, true, true); } };
  canvas.addEventListener("pointerup", up);
  canvas.addEventListener("pointerleave", up);
  document.getElementById("clear").addEventListener("click", clear);
}

function setUpUpload() {
  const use = (file) => { if (file) { state.image = file; state.draw = false; refresh(true); } };
  document.getElementById("upload").addEventListener("change", (e) => use(e.target.files[0]));
  document.body.addEventListener("dragover", (e) => e.preventDefault());
  document.body.addEventListener("drop", (e) => { e.preventDefault(); use(e.dataTransfer.files[0]); });
}

function update(canvas, draw, full) {
  canvas.toBlob((blob) => { state.image = blob; state.draw = draw; refresh(full); }, "image/png");
}

// One request in flight at a time: while drawing, the newest stroke wins and stale ones are skipped.
async function refresh(full) {
  // A full refresh asked for while busy must survive later predict-only requests (the last stroke's maps).
  if (state.busy) { state.again = state.again === true || full === true ? true : "predict"; return; }
  state.busy = true;
  try {
    const result = await api(`/api/predict?${imageParams(state, { input: 1 })}`, state.image);
    showPrediction(result);
    if (full) {
      state.maps = await api(`/api/maps?${imageParams(state)}`, state.image);
      showOverview();
      if (state.selected) showDetail(state.selected.layer, state.selected.map);
      await Promise.all(followers.map((follow) => follow()));
    }
    document.body.dataset.ready = "1";
  } catch (error) {
    document.getElementById("prediction").textContent = `error: ${error.message}`;
  } finally {
    state.busy = false;
    if (state.again) { const full2 = state.again === true; state.again = false; refresh(full2); }
  }
}

function showPrediction(result) {
  document.getElementById("prediction").textContent = result.class_names[result.top];
  const bars = document.getElementById("bars");
  bars.replaceChildren();
  result.probabilities.forEach((p, i) => {
    const bar = el("div", undefined, i === result.top ? "bar top" : "bar");
    const fill = el("div", undefined, "fill");
    fill.style.width = `${Math.round(p * 160)}px`;
    bar.append(el("span", result.class_names[i], "name"), fill, el("span", `${(100 * p).toFixed(1)} %`));
    bars.append(bar);
  });
  paintGray(document.getElementById("model-input"), result.input);
  const unit = document.getElementById("dense-unit");
  if (!unit.dataset.touched) unit.value = String(result.top);  // the Dense view opens on the predicted class
}

function showOverview() {
  if (!state.maps) return;
  const mode = document.getElementById("scale").value;
  const global = range(state.maps.layers.flatMap((l) => l.maps));
  const box = document.getElementById("overview");
  box.replaceChildren();
  const shapes = Object.fromEntries(state.model.layers.map((l) => [l.name, l.output_shape]));
  for (const layer of state.maps.layers) {
    const section = el("div", undefined, "layer");
    const title = `${layer.name} → ${JSON.stringify(shapes[layer.name])}` +
      (layer.count > layer.maps.length ? ` (first ${layer.maps.length} of ${layer.count} maps)` : "");
    section.append(el("div", title, "layer-title"));
    const grid = el("div", undefined, "grid");
    const perLayer = range(layer.maps);
    layer.maps.forEach((rows, k) => {
      const canvas = el("canvas", undefined, "map");
      canvas.dataset.layer = layer.name; canvas.dataset.map = String(k);
      canvas.title = `${layer.name} map ${k}`;
      const [low, high] = mode === "map" ? range([rows]) : mode === "layer" ? perLayer : global;
      paint(canvas, rows, low, high);
      canvas.addEventListener("click", () => showDetail(layer.name, k));
      if (state.selected && state.selected.layer === layer.name && state.selected.map === k) canvas.classList.add("selected");
      grid.append(canvas);
    });
    section.append(grid);
    box.append(section);
  }
}

function showDetail(layerName, k) {
  state.selected = { layer: layerName, map: k };
  const layer = state.maps.layers.find((l) => l.name === layerName);
  const rows = layer.maps[k];
  const section = document.getElementById("detail-section");
  section.hidden = false;
  document.getElementById("detail-title").textContent = `${layerName}, map ${k}`;
  const canvas = document.getElementById("detail-map");
  paint(canvas, rows, ...range([rows]));
  canvas.style.width = canvas.style.height = "260px";
  let pending = null;
  canvas.onmousemove = (e) => {
    const r = canvas.getBoundingClientRect();
    const y = Math.floor(((e.clientY - r.top) / r.height) * rows.length);
    const x = Math.floor(((e.clientX - r.left) / r.width) * rows[0].length);
    if (pending && pending.y === y && pending.x === x) return;
    pending = { y, x };
    explain(layerName, k, y, x);
  };
  document.querySelectorAll(".map.selected").forEach((m) => m.classList.remove("selected"));
  document.querySelector(`.map[data-layer="${CSS.escape(layerName)}"][data-map="${k}"]`)?.classList.add("selected");
}

async function explain(layerName, k, y, x) {
  const params = imageParams(state, { layer: layerName, map: k, y, x });
  const box = document.getElementById("detail-numbers");
  try {
    const e = await api(`/api/explain?${params}`, state.image);
    box.replaceChildren(el("h3", `pixel (y ${y}, x ${x})`));
    const row = el("div", undefined, "row");
    const channels = e.kind === "conv" ? e.window[0][0].length : 1;
    const slice = (a, c) => a.map((r) => r.map((v) => (Array.isArray(v) ? v[c] : v)));
    for (let c = 0; c < Math.min(channels, 4); c++) {
      const suffix = channels > 1 ? ` (channel ${c})` : "";
      row.append(matrix(slice(e.window, c), `input window${suffix}`));
      if (e.kernel) row.append(matrix(slice(e.kernel, c), `kernel${suffix}`), matrix(slice(e.products, c), `products${suffix}`));
    }
    box.append(row);
    const lines = e.kind === "pool"
      ? [[`${e.mode} of the window`, e.sum, "explain-sum"], ["output", e.value, "explain-value"]]
      : [["sum of products", e.sum, "explain-sum"], ["bias", e.bias, "explain-bias"],
         ["sum + bias", e.pre_activation, "explain-pre"], [`after ${e.activation}`, e.value, "explain-value"]];
    for (const [label, value, id] of lines) {
      const p = el("p", `${label}: `);
      const span = el("span", fmt(value)); span.dataset.testid = id; span.dataset.value = String(value);
      p.append(span); box.append(p);
    }
    if (channels > 4) box.append(el("p", `(first 4 of ${channels} input channels shown; the sum covers all)`, "hint"));
  } catch (error) {
    box.replaceChildren(el("p", `error: ${error.message}`, "invalid"));
  }
}

function showFormulas(model) {
  const body = document.querySelector("#formulas tbody");
  const shapes = Object.fromEntries(model.layers.map((l) => [l.name, l.output_shape]));
  for (const row of model.formulas) {
    const tr = el("tr");
    const formulas = el("td");
    for (const f of row.formulas) formulas.append(el("div", f));
    tr.append(el("td", `${row.name} (${row.class_name})`), el("td", JSON.stringify(shapes[row.name] ?? "")), formulas);
    body.append(tr);
  }
}

main();
