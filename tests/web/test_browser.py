"""The page in Debian's chromium, driven by Playwright: draw, read the prediction, hover a pixel; screenshots to docs/."""

from __future__ import annotations

import base64
import io
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from convlens import lens
from convlens.web.images import mnist_digit

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DOCS = Path(__file__).resolve().parents[2] / "docs"

playwright_api = pytest.importorskip("playwright.sync_api", reason="browser tests need `pip install playwright`")
if not os.path.exists(CHROMIUM):
    pytest.skip("browser tests need Debian's chromium (apt-get install chromium); Playwright cannot download "
                "its own browser here", allow_module_level=True)


@pytest.fixture(scope="module")
def page(served):
    url, _ = served
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(url)
        page.wait_for_selector("#input-section:not([hidden])")
        yield page
        browser.close()


def canvas_pixels(page) -> np.ndarray:
    from PIL import Image

    data_url = page.eval_on_selector('[data-testid="draw"]', "c => c.toDataURL('image/png')")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",")[1]))).convert("L"))


def test_drawn_seven_is_predicted_as_the_model_predicts(page, served):
    _, model = served
    box = page.locator('[data-testid="draw"]').bounding_box()
    page.mouse.move(box["x"] + 60, box["y"] + 50)
    page.mouse.down()
    for x, y in [(120, 50), (170, 50), (140, 125), (110, 200)]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=6)
    page.mouse.up()
    page.wait_for_function("document.body.dataset.ready === '1' && document.querySelectorAll('.map').length > 0")
    page.wait_for_timeout(300)  # the last stroke's request
    digit = mnist_digit(canvas_pixels(page))
    expected = int(np.argmax(model.predict(digit[None, ..., None], verbose=0)[0]))
    page.wait_for_function(f"document.querySelector('[data-testid=prediction]').textContent === 'digit {expected}'",
                           timeout=10_000)
    page.locator("#input-section").screenshot(path=str(DOCS / "web_draw.png"))


def test_hovered_pixel_shows_the_layer_output(page, served):
    _, model = served
    conv = model.layers[1].name
    page.click(f'.map[data-layer="{conv}"][data-map="2"]')
    target = page.locator('[data-testid="detail-map"]')
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    digit = mnist_digit(canvas_pixels(page))
    maps = lens.activations(model, digit[..., None], [conv])[conv][..., 2]
    y, x = map(int, np.unravel_index(np.argmax(maps), maps.shape))  # the strongest response, on the stroke
    page.mouse.move(box["x"] + 10 * x + 5, box["y"] + 10 * y + 5)  # the 26×26 map is drawn at 260 px
    page.wait_for_selector(f'text=pixel (y {y}, x {x})')
    shown_value = float(page.get_attribute('[data-testid="explain-value"]', "data-value"))
    shown_sum = float(page.get_attribute('[data-testid="explain-sum"]', "data-value"))
    shown_bias = float(page.get_attribute('[data-testid="explain-bias"]', "data-value"))
    expected = maps[y, x]
    assert expected > 0
    assert shown_value == pytest.approx(float(expected), abs=1e-5)
    assert max(shown_sum + shown_bias, 0) == pytest.approx(float(expected), abs=1e-5)
    page.locator("#detail-section").screenshot(path=str(DOCS / "web_pixel.png"))
    page.locator("#overview-section").screenshot(path=str(DOCS / "web_layers.png"))


def test_playground_flags_invalid_settings(page):
    page.fill("#pg-n", "5")
    page.fill("#pg-f", "7")
    assert page.text_content('[data-testid="playground"]').startswith("invalid: the window (7")
    page.select_option("#pg-p", "same")
    page.fill("#pg-s", "2")
    assert "⌈5/2⌉ = 3" in page.text_content('[data-testid="playground"]')
    page.locator("#formulas-section").screenshot(path=str(DOCS / "web_formulas.png"))
