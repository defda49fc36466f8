// Dense and softmax units, as CNN Explainer shows them: inputs × weights → sum + bias → activation,
// and softmax's exp(z_i) / Σ exp(z_j) with every unit's numbers.
import { api, imageParams } from "./api.js";
import { el, fmt } from "./dom.js";

function numbered(label, value, id) {
  const p = el("p", `${label}: `);
  const span = el("span", fmt(value));
  span.dataset.testid = id; span.dataset.value = String(value);
  p.append(span);
  return p;
}

function table(head, rows, highlight) {
  const t = el("table", undefined, "matrix");
  const tr = el("tr");
  for (const h of head) tr.append(el("th", h));
  t.append(tr);
  rows.forEach((row, i) => {
    const r = el("tr", undefined, i === highlight ? "chosen" : undefined);
    for (const v of row) r.append(el("td", typeof v === "number" ? fmt(v) : v));
    t.append(r);
  });
  return t;
}

function softmaxView(s, unit, classNames) {
  const box = el("div");
  const name = (j) => classNames[j] ?? String(j);
  const shifted = s.shift ? ` − ${fmt(s.shift)}` : "";
  box.append(el("h3", `softmax: p_i = exp(z_i${shifted}) / Σ_j exp(z_j${shifted})`));
  box.append(table(["unit", "z", `exp(z${shifted})`, "p"],
    s.logits.map((z, j) => [`${j} (${name(j)})`, z, s.exp[j], s.probabilities[j]]), unit));
  const line = el("p", `p_${unit} = ${fmt(s.exp[unit])} / ${fmt(s.sum_exp)} = `);
  const p = el("span", s.probabilities[unit].toFixed(6));
  p.dataset.testid = "softmax-p"; p.dataset.value = String(s.probabilities[unit]);
  line.append(p);
  box.append(line, numbered("Σ exp", s.sum_exp, "softmax-sum"));
  return box;
}

export function startDense(state) {
  const select = document.getElementById("dense-layer"), unitInput = document.getElementById("dense-unit");
  const status = document.getElementById("dense-status"), out = document.getElementById("dense-numbers");
  const layers = state.model.layers.filter((l) => ["Dense", "Softmax"].includes(l.class_name) && l.output_shape.length === 2);
  if (!layers.length) return () => {};
  document.getElementById("dense-section").hidden = false;
  for (const l of layers) select.append(el("option", `${l.name} (${l.class_name}, ${l.output_shape[1]} units)`));
  layers.forEach((l, i) => { select.options[i].value = l.name; });
  select.value = layers[layers.length - 1].name;
  let generation = 0;

  async function refresh() {
    if (!state.image) return;
    const mine = ++generation;  // an answer to an earlier unit, still on its way, is dropped
    const layer = layers.find((l) => l.name === select.value);
    const units = layer.output_shape[1], unit = Number(unitInput.value);
    unitInput.max = String(units - 1);
    if (unitInput.value.trim() === "" || !Number.isInteger(unit) || unit < 0 || unit >= units) {
      status.textContent = `invalid: the unit must be a whole number from 0 to ${units - 1}`; status.className = "invalid";
      return;
    }
    status.textContent = ""; status.className = "";
    try {
      const e = await api(`/api/explain?${imageParams(state, { layer: layer.name, map: unit })}`, state.image);
      if (mine === generation) show(e, unit);
    } catch (error) {
      status.textContent = `error: ${error.message}`; status.className = "invalid";
    }
  }

  function show(e, unit) {
    out.replaceChildren();
    const names = layerIsLast() ? state.model.class_names : [];
    if (e.kind === "dense") {
      out.append(el("h3", `unit ${unit}: the ${e.window.length} largest of ${e.inputs_count} products input × weight`));
      out.append(table(["input #", "input x", "weight w", "x · w"],
        e.indices.map((index, i) => [String(index), e.window[i], e.kernel[i], e.products[i]])));
      out.append(numbered(`sum of all ${e.inputs_count} products`, e.sum, "dense-sum"),
        numbered("bias", e.bias, "dense-bias"), numbered("z = sum + bias", e.pre_activation, "dense-pre"));
      if (e.activation !== "softmax") out.append(numbered(`after ${e.activation}`, e.value, "dense-value"));
    }
    if (e.softmax) out.append(softmaxView(e.softmax, unit, names));
    out.dataset.ready = `${e.layer}:${unit}`;
  }

  function layerIsLast() {
    return select.value === state.model.layers[state.model.layers.length - 1].name;
  }

  select.addEventListener("change", refresh);
  unitInput.addEventListener("input", () => { unitInput.dataset.touched = "1"; refresh(); });
  return refresh;
}
