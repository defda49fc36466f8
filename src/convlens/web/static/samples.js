// The test-set sample picker: thumbnails with their labels; clicking one feeds it to the model like an upload.
import { api } from "./api.js";
import { el } from "./dom.js";

const PAGE = 12;

export function startSamples(use) {
  const box = document.getElementById("samples"), status = document.getElementById("samples-status");
  const more = document.getElementById("more-samples");
  let next = 0, total = 0;

  async function load() {
    try {
      const page = await api(`/api/samples?start=${next}&count=${PAGE}`);
      total = page.total;
      status.textContent = `${page.source} · ${next + page.samples.length} of ${total} shown`;
      for (const sample of page.samples) {
        const img = el("img", undefined, "sample");
        img.src = sample.image; img.alt = img.title = `#${sample.index}: ${sample.class_name}`;
        img.dataset.index = String(sample.index); img.dataset.label = String(sample.label);
        img.addEventListener("click", async () => {
          box.querySelectorAll(".sample.selected").forEach((s) => s.classList.remove("selected"));
          img.classList.add("selected");
          use(await (await fetch(sample.image)).blob(), sample);
        });
        const figure = el("figure", undefined, "sample-box");
        figure.append(img, el("figcaption", sample.class_name));
        box.append(figure);
      }
      next += page.samples.length;
      more.hidden = next >= total;
    } catch (error) {
      status.textContent = error.message; status.className = "invalid"; status.dataset.testid = "samples-error";
      more.hidden = true;
    }
  }

  more.addEventListener("click", load);
  load();
}
