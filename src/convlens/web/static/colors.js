// Colour scales for maps and kernels: magma-like for non-negative values, blue-white-red around zero.
const MAGMA = [[0, 0, 4], [59, 15, 112], [140, 41, 129], [222, 73, 104], [254, 159, 109], [252, 253, 191]];

function ramp(stops, t) {
  const x = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2);
  const f = x - i;
  return stops[i].map((c, k) => Math.round(c + f * (stops[i + 1][k] - c)));
}

export function color(value, low, high) {
  if (value === null || Number.isNaN(value)) return [200, 200, 200];
  if (low < 0) {
    const limit = Math.max(-low, high) || 1;
    const t = value / limit;
    return t >= 0 ? [255, Math.round(255 * (1 - t)), Math.round(255 * (1 - t))]
                  : [Math.round(255 * (1 + t)), Math.round(255 * (1 + t)), 255];
  }
  return ramp(MAGMA, high > 0 ? value / high : 0);
}

export function range(arrays) {
  let low = Infinity, high = -Infinity;
  for (const a of arrays) for (const row of a) for (const v of row) {
    if (v === null) continue;
    if (v < low) low = v;
    if (v > high) high = v;
  }
  return [Math.min(low, 0), Math.max(high, 0)];
}

// Draw a 2-D array (rows of numbers) into a canvas, one canvas pixel per value.
export function paint(canvas, rows, low, high) {
  const h = rows.length, w = rows[0].length;
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(w, h);
  rows.forEach((row, y) => row.forEach((v, x) => {
    const [r, g, b] = color(v, low, high);
    image.data.set([r, g, b, 255], 4 * (y * w + x));
  }));
  ctx.putImageData(image, 0, 0);
}

export function paintGray(canvas, rows) {
  const flat = rows.map((row) => row.map((v) => (Array.isArray(v) ? v : [v, v, v])));
  const h = flat.length, w = flat[0].length;
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(w, h);
  flat.forEach((row, y) => row.forEach((rgb, x) => image.data.set([...rgb.map(Math.round), 255], 4 * (y * w + x))));
  ctx.putImageData(image, 0, 0);
}
