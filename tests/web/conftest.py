"""A small MNIST model trained for a few seconds, saved as a run folder, and a real uvicorn serving it."""

from __future__ import annotations

import io
import json
import urllib.request

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the web lens needs the [web] extra (starlette, uvicorn)")
pytest.importorskip("uvicorn", reason="the web lens needs the [web] extra (starlette, uvicorn)")


@pytest.fixture(scope="session")
def sample():
    from convlens.datasets.make_sample import SAMPLE_PATH

    with np.load(SAMPLE_PATH) as data:
        return data["x_train"], data["y_train"], data["x_test"][:50], data["y_test"][:50]


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory, sample):
    """A run folder holding a model with valid and same-padded, strided convolutions, pooling and Dense."""
    from convlens import Sequential, layers
    from convlens.runs import compile_for_classification
    from convlens.utils import set_random_seed

    set_random_seed(0)
    x, y, _, _ = sample
    model = Sequential([
        layers.Input((28, 28, 1)), layers.Rescaling(1 / 255),
        layers.Conv2D(6, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(8, 3, strides=2, padding="same", activation="relu"), layers.AveragePooling2D(2, padding="same"),
        layers.Flatten(), layers.Dense(10, activation="softmax"),
    ])
    compile_for_classification(model, "adam", lr=3e-3)
    model.fit(x[..., None], y, batch_size=64, epochs=1, verbose=0)
    out = tmp_path_factory.mktemp("run")
    model.save(out / "model.keras")
    (out / "class_names.json").write_text(json.dumps([f"digit {i}" for i in range(10)]))
    return out


@pytest.fixture(scope="session")
def served(run_dir):
    """``(url, model)``: uvicorn on a free loopback port serving the run folder, and the model as it loaded."""
    from convlens.models import saving
    from convlens.web.launch import make_server

    server = make_server(str(run_dir), port=0).start()
    yield server.url, saving.load_model(run_dir / "model.keras")
    server.stop()


def png(array: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(array, np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def request(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, dict]:
    """``(status, JSON body)`` of a GET (or a POST when ``data`` is given), errors included."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body)
        except json.JSONDecodeError:
            return error.code, {"text": body.decode(errors="replace")}


def seven(size: int = 280) -> np.ndarray:
    """A "7" drawn as MNIST's digits are: light strokes on black, off-centre and small in a large canvas."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (size, size))
    draw = ImageDraw.Draw(image)
    draw.line([(60, 50), (170, 50), (110, 200)], fill=255, width=18, joint="curve")
    return np.asarray(image)
