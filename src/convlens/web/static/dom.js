// Building elements: text always goes in through textContent, so nothing a server or user sends becomes markup.
export function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

export function fmt(v) {
  if (v === null || v === undefined) return "pad";
  return Math.abs(v) >= 1000 ? v.toExponential(2) : Number(v).toFixed(3);
}

// A table of a 2-D array of numbers.
export function matrix(rows, caption) {
  const table = el("table", undefined, "matrix");
  if (caption) table.append(el("caption", caption));
  for (const row of rows) {
    const tr = el("tr");
    for (const v of row) tr.append(el("td", fmt(v)));
    table.append(tr);
  }
  return table;
}
