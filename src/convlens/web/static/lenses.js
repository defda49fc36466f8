// The lens playground: the classic filters on the current input beside the first conv layer's learned filters.
import { api, imageParams } from "./api.js";
import { paint, range } from "./colors.js";
import { el, fmt } from "./dom.js";

const SIZE = { min: 1, max: 15 }, SIGMA = { min: 0.1, max: 8 };

// The parameters as numbers, or the reason they are invalid (checked here, so a bad value sends no request).
export function lensParameters(sizeText, sigmaText) {
  const size = Number(sizeText), sigma = Number(sigmaText);
  if (sizeText.trim() === "" || !Number.isInteger(size) || size % 2 === 0 || size < SIZE.min || size > SIZE.max)
    return { error: `window size must be an odd whole number from ${SIZE.min} to ${SIZE.max}; received "${sizeText}"` };
  if (sigmaText.trim() === "" || !Number.isFinite(sigma) || sigma < SIGMA.min || sigma > SIGMA.max)
    return { error: `σ must be a number from ${SIGMA.min} to ${SIGMA.max} pixels; received "${sigmaText}"` };
  return { size, sigma };
}

function figure(rows, caption, signed) {
  const box = el("figure", undefined, "lens");
  const canvas = el("canvas", undefined, "lens-map");
  const [low, high] = range([rows]);
  paint(canvas, rows, signed ? low : Math.max(low, 0), high);
  box.append(canvas, el("figcaption", caption));
  return box;
}

export function startLenses(state) {
  const sizeInput = document.getElementById("lens-size"), sigmaInput = document.getElementById("lens-sigma");
  const status = document.getElementById("lens-status");
  let generation = 0;

  async function refresh() {
    if (!state.image) return;
    const mine = ++generation;  // an answer to an earlier setting, still on its way, is dropped
    const parameters = lensParameters(sizeInput.value, sigmaInput.value);
    sizeInput.classList.toggle("invalid-input", Boolean(parameters.error) && parameters.error.startsWith("window"));
    sigmaInput.classList.toggle("invalid-input", Boolean(parameters.error) && parameters.error.startsWith("σ"));
    if (parameters.error) { status.textContent = `invalid: ${parameters.error}`; status.className = "invalid"; return; }
    status.textContent = "computing…"; status.className = "hint";
    try {
      const params = imageParams(state, { size: parameters.size, sigma: parameters.sigma });
      const result = await api(`/api/lenses?${params}`, state.image);
      if (mine === generation) show(result);
    } catch (error) {
      status.textContent = `error: ${error.message}`; status.className = "invalid";
    }
  }

  function show(result) {
    status.textContent = `window ${result.size}×${result.size}, σ = ${result.sigma}`; status.className = "";
    status.dataset.size = String(result.size); status.dataset.sigma = String(result.sigma);
    const classic = document.getElementById("lens-classic");
    classic.replaceChildren(...result.classic.map((c) => figure(c.map, c.title, c.kind === "signed")));
    document.getElementById("lens-learned-title").textContent = result.layer
      ? `${result.layer}: learned filters (channel sum), their maps and the nearest classic kernel` +
        (result.filters > result.learned.length ? ` (first ${result.learned.length} of ${result.filters})` : "")
      : `learned filters: ${result.note}`;
    const learned = document.getElementById("lens-learned");
    learned.replaceChildren();
    for (const f of result.learned) {
      const card = el("div", undefined, "lens-card");
      card.append(figure(f.kernel, `filter ${f.index}`, true), figure(f.map, "its map", false));
      if (f.nearest) {
        card.append(figure(f.nearest_kernel, f.nearest, true));
        const line = el("p", `most like ${f.nearest} (r = ${f.correlation >= 0 ? "+" : ""}${f.correlation.toFixed(2)})`);
        line.dataset.testid = "lens-nearest"; line.dataset.index = String(f.index);
        line.dataset.nearest = f.nearest; line.dataset.r = String(f.correlation);
        card.append(line);
      }
      card.title = `filter ${f.index}: ${JSON.stringify(f.kernel.map((r) => r.map(fmt)))}`;
      learned.append(card);
    }
    if (result.note && result.layer) learned.append(el("p", result.note, "hint"));
    document.getElementById("lenses-section").dataset.ready = "1";
  }

  for (const input of [sizeInput, sigmaInput]) input.addEventListener("input", refresh);
  return refresh;
}
