// The live training view: server-sent events from /api/events, curves, and a slider over finished epochs.
import { paint, range } from "./colors.js";
import { el } from "./dom.js";

export function startLive() {
  document.getElementById("live").hidden = false;
  const batches = [], epochs = [];
  const slider = document.getElementById("epoch-slider");
  const status = document.getElementById("live-status");
  slider.addEventListener("input", () => showEpoch(epochs[Number(slider.value)]));
  // EventSource reconnects by itself and sends Last-Event-ID, so a reload or a dropped link resumes the stream.
  const source = new EventSource("/api/events");
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "batch") batches.push(event);
    if (event.type === "epoch") {
      epochs.push(event);
      slider.max = String(epochs.length - 1); slider.disabled = false;
      slider.value = slider.max;
      showEpoch(event);
      status.textContent = `${epochs.length} epoch${epochs.length === 1 ? "" : "s"} done`;
      status.dataset.epochs = String(epochs.length);
    }
    if (event.type === "done") { status.textContent += " · training finished"; source.close(); }
    drawCurves(batches, epochs);
  };
}

function showEpoch(event) {
  if (!event) return;
  document.getElementById("epoch-label").textContent = String(event.epoch + 1);
  for (const [id, arrays] of [["live-filters", event.filters], ["live-maps", event.maps]]) {
    const box = document.getElementById(id);
    box.replaceChildren();
    if (!arrays.length) continue;
    let [low, high] = range(arrays);
    if (id === "live-filters") { high = Math.max(-low, high); low = -high; }  // weights: symmetric around 0
    for (const rows of arrays) { const c = el("canvas"); paint(c, rows, low, high); box.append(c); }
  }
}

function drawCurves(batches, epochs) {
  const canvas = document.getElementById("curves");
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, pad = 30;
  ctx.clearRect(0, 0, W, H);
  ctx.strokeStyle = "#999"; ctx.strokeRect(pad, 5, W - pad - 5, H - pad - 5);
  ctx.fillStyle = "#333"; ctx.font = "11px sans-serif";
  ctx.fillText("loss (blue) and accuracy (red) per batch; dots: epochs", pad + 4, 16);
  if (!batches.length) return;
  const steps = batches.length;
  const maxLoss = Math.max(...batches.map((b) => b.loss || 0), 1e-6);
  const line = (key, scale, colour) => {
    ctx.strokeStyle = colour; ctx.beginPath();
    batches.forEach((b, i) => {
      const x = pad + (i / Math.max(steps - 1, 1)) * (W - pad - 5);
      const y = 5 + (1 - (b[key] || 0) / scale) * (H - pad - 5);
      i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    });
    ctx.stroke();
  };
  line("loss", maxLoss, "#1e88e5");
  line("accuracy", 1, "#e53935");
  ctx.fillStyle = "#333";
  epochs.forEach((e) => {
    const i = batches.findIndex((b) => b.epoch > e.epoch);
    const x = pad + ((i < 0 ? steps - 1 : i) / Math.max(steps - 1, 1)) * (W - pad - 5);
    ctx.fillText(`${e.epoch + 1}: acc ${(e.logs.accuracy ?? 0).toFixed(3)}`, x - 30, H - 8);
  });
}
