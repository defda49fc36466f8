"""The page in Debian's chromium, driven by Playwright: draw, read the prediction, hover a pixel.

The screenshots in docs/ come from these tests: ``CONVLENS_SCREENSHOTS=docs python -m pytest tests/web``
retakes them; otherwise they go to a temporary folder, so a test run leaves the checkout as it was.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import convlens.keras.distribution  # noqa: F401  the page is driven with Keras's distribution names imported
from convlens import lens
from convlens.web.images import mnist_digit

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SRC = Path(__file__).resolve().parents[2] / "src"

playwright_api = pytest.importorskip("playwright.sync_api", reason="browser tests need `pip install playwright`")
if not os.path.exists(CHROMIUM):
    pytest.skip("browser tests need Debian's chromium (apt-get install chromium); Playwright cannot download "
                "its own browser here", allow_module_level=True)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where screenshots go: docs/ when asked (CONVLENS_SCREENSHOTS=docs), else a temporary folder."""
    if os.environ.get("CONVLENS_SCREENSHOTS") == "docs":
        return Path(__file__).resolve().parents[2] / "docs"
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def served(run_dir):
    """``(url, model)``: a real `convlens serve RUN` process (the pytest process's own state cannot reach it)."""
    from convlens.models import saving

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-m", "convlens", "serve", str(run_dir), "--port", "0"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 60
    url = None
    while url is None and time.monotonic() < deadline and process.poll() is None:
        line = process.stdout.readline()  # type: ignore[union-attr]
        lines.append(line)
        url = next(iter(re.findall(r"http://127\.0\.0\.1:\d+/", line)), None)
    if url is None:
        process.kill()
        raise AssertionError("`convlens serve` printed no URL within 60 s:\n" + "".join(lines))
    threading.Thread(target=process.stdout.read, daemon=True).start()  # type: ignore[union-attr]  # keep the pipe drained
    try:
        yield url, saving.load_model(run_dir / "model.keras")
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C: the server stops cleanly
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


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


def test_drawn_seven_is_predicted_as_the_model_predicts(page, served, shots):
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
    page.locator("#input-section").screenshot(path=str(shots / "web_draw.png"))


def test_hovered_pixel_shows_the_layer_output(page, served, shots):
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
    page.locator("#detail-section").screenshot(path=str(shots / "web_pixel.png"))
    page.locator("#overview-section").screenshot(path=str(shots / "web_layers.png"))


def test_playground_flags_invalid_settings(page, shots):
    page.fill("#pg-n", "5")
    page.fill("#pg-f", "7")
    assert page.text_content('[data-testid="playground"]').startswith("invalid: the window (7")
    page.select_option("#pg-p", "same")
    page.fill("#pg-s", "2")
    assert "⌈5/2⌉ = 3" in page.text_content('[data-testid="playground"]')
    page.locator("#formulas-section").screenshot(path=str(shots / "web_formulas.png"))


def test_sample_picker_feeds_a_test_image(page, served, shots):
    from convlens import datasets

    _, model = served
    (_, _), (x_test, _) = datasets.load_or_sample("mnist", download=False, verbose=False).data
    page.wait_for_selector('.sample[data-index="3"]')
    page.evaluate("document.body.dataset.ready = '0'")
    page.click('.sample[data-index="3"]')
    page.wait_for_function("document.body.dataset.ready === '1'")
    expected = int(np.argmax(model.predict(x_test[3][None, ..., None].astype(np.float32), verbose=0)[0]))
    page.wait_for_function(f"document.querySelector('[data-testid=prediction]').textContent === 'digit {expected}'")
    page.locator("#input-section").screenshot(path=str(shots / "web_samples.png"))


def test_dense_and_softmax_numbers_equal_numpy(page, served, shots):
    from convlens import datasets

    _, model = served
    (_, _), (x_test, _) = datasets.load_or_sample("mnist", download=False, verbose=False).data
    dense = model.layers[-1]
    page.fill("#dense-unit", "4")
    page.wait_for_function(f"document.getElementById('dense-numbers').dataset.ready === '{dense.name}:4'")
    flat = lens.activations(model, x_test[3].astype(np.float32), [model.layers[-2].name])[model.layers[-2].name]
    kernel, bias = dense.get_weights()
    z = flat.astype(np.float64) @ kernel + bias
    shown = lambda testid: float(page.get_attribute(f'[data-testid="{testid}"]', "data-value"))  # noqa: E731
    assert shown("dense-pre") == pytest.approx(z[4], rel=1e-5, abs=1e-6)
    assert shown("dense-bias") == pytest.approx(float(bias[4]), rel=1e-6)
    assert shown("softmax-sum") == pytest.approx(float(np.exp(z).sum()), rel=1e-5)
    expected = model.predict(x_test[3][None, ..., None].astype(np.float32), verbose=0)[0][4]
    assert shown("softmax-p") == pytest.approx(float(expected), rel=1e-5, abs=1e-7)
    page.fill("#dense-unit", "10")
    assert "from 0 to 9" in page.text_content('[data-testid="dense-status"]')
    page.fill("#dense-unit", "4")
    page.locator("#dense-section").screenshot(path=str(shots / "web_dense.png"))


def test_lens_playground_shows_the_nearest_classic_kernels(page, served, shots):
    _, model = served
    page.fill("#lens-size", "5")
    page.wait_for_function("document.querySelector('[data-testid=lens-status]').dataset.size === '5'")
    assert page.locator("#lens-classic figcaption", has_text="median 5×5").count() == 1
    shown = page.eval_on_selector_all('[data-testid="lens-nearest"]',
                                      "els => els.map(e => [e.dataset.nearest, Number(e.dataset.r)])")
    expected = lens.resemble_classic(model.layers[1])
    assert [name for name, _ in shown] == [r.name for r in expected]
    np.testing.assert_allclose([r for _, r in shown], [r.correlation for r in expected], atol=1e-6)
    page.locator("#lenses-section").screenshot(path=str(shots / "web_lenses.png"))
    page.fill("#lens-size", "4")
    assert page.text_content('[data-testid="lens-status"]').startswith("invalid: window size must be an odd whole")
    page.fill("#lens-size", "3")
    page.fill("#lens-sigma", "-1")
    assert page.text_content('[data-testid="lens-status"]').startswith("invalid: σ must be a number from 0.1 to 8")
    page.fill("#lens-sigma", "2")
