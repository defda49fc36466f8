// Output size of a convolution or pooling window, with TensorFlow's formulas; invalid settings are flagged.
export function outputSize(n, f, s, d, padding) {
  const span = d * (f - 1) + 1;
  if ([n, f, s, d].some((v) => !Number.isInteger(v) || v < 1)) return { error: "every size must be a whole number ≥ 1" };
  if (s > 1 && d > 1) return { error: "strides > 1 together with dilation > 1 is not supported (as in Keras)" };
  if (padding === "same") {
    const out = Math.ceil(n / s);
    const total = Math.max((out - 1) * s + span - n, 0);
    return { out, text: `⌈n/s⌉ = ⌈${n}/${s}⌉ = ${out}; padding ${Math.floor(total / 2)} before, ${total - Math.floor(total / 2)} after` };
  }
  if (span > n) return { error: `the window (${span} with dilation) is larger than the input (${n})` };
  const out = Math.floor((n - span) / s) + 1;
  return { out, text: `⌊(n − (d·(f−1)+1))/s⌋ + 1 = ⌊(${n} − ${span})/${s}⌋ + 1 = ${out}` };
}

export function startPlayground() {
  const ids = ["pg-n", "pg-f", "pg-s", "pg-d", "pg-p"];
  const show = () => {
    const [n, f, s, d] = ids.slice(0, 4).map((id) => Number(document.getElementById(id).value));
    const result = outputSize(n, f, s, d, document.getElementById("pg-p").value);
    const out = document.getElementById("pg-out");
    out.textContent = result.error ? `invalid: ${result.error}` : `output size ${result.out}: ${result.text}`;
    out.className = result.error ? "invalid" : "";
  };
  ids.forEach((id) => document.getElementById(id).addEventListener("input", show));
  show();
}
