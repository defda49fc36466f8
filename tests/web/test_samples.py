"""Test-set samples: MNIST's test images for a digit model, a folder run's validation images for a colour model."""

from __future__ import annotations

import base64
import dataclasses
import io
import json

import numpy as np
import pytest
from PIL import Image

from .conftest import request


def decoded(data_url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))))


def test_digit_model_gets_mnist_test_images_that_predict_as_the_arrays_do(served):
    from convlens import datasets

    url, model = served
    status, body = request(url + "api/samples?start=5&count=4")
    (_, _), (x_test, y_test) = datasets.load_or_sample("mnist", download=False, verbose=False).data
    assert status == 200 and body["total"] == len(x_test)
    assert [s["index"] for s in body["samples"]] == [5, 6, 7, 8]
    assert [s["label"] for s in body["samples"]] == y_test[5:9].tolist()
    assert [s["class_name"] for s in body["samples"]] == [f"digit {y}" for y in y_test[5:9]]
    for s in body["samples"]:
        np.testing.assert_array_equal(decoded(s["image"]), x_test[s["index"]])
    # Fed back as an upload, a sample predicts as the array itself does.
    png_bytes = base64.b64decode(body["samples"][0]["image"].split(",", 1)[1])
    _, answer = request(url + "api/predict", png_bytes)
    expected = model.predict(x_test[5][None, ..., None].astype(np.float32), verbose=0)[0]
    np.testing.assert_allclose(answer["probabilities"], expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("query, message", [
    ("count=0", "count: received 0; allowed values are 1 to 100."),
    ("count=101", "count: received 101"),
    ("start=-1", "start: received -1; allowed values are 0 to"),
    ("start=x", "start: expected an integer"),
])
def test_bad_ranges(served, query, message):
    url, _ = served
    status, body = request(url + f"api/samples?{query}")
    assert status == 400 and message in body["error"]


@pytest.fixture(scope="module")
def colour_run(tmp_path_factory):
    """A run folder as `convlens train --data FOLDER` leaves it: run.json naming the folder, a colour model."""
    from convlens import Sequential, layers
    from convlens.runs import RunConfig

    root = tmp_path_factory.mktemp("colour")
    rng = np.random.default_rng(0)
    for name, channel in (("red", 0), ("blue", 2)):
        (root / "data" / name).mkdir(parents=True)
        for i in range(6):
            pixels = rng.integers(0, 60, (20, 24, 3), dtype=np.uint8)
            pixels[..., channel] = 200 + i
            Image.fromarray(pixels).save(root / "data" / name / f"{i}.png")
    config = RunConfig(data=str(root / "data"), image_size=(16, 16), validation_split=0.5, seed=3)
    (root / "run").mkdir()
    (root / "run" / "run.json").write_text(json.dumps({"config": dataclasses.asdict(config)}))
    model = Sequential([layers.Input((16, 16, 3)), layers.Rescaling(1 / 255), layers.Conv2D(2, 3), layers.Flatten(),
                        layers.Dense(2, activation="softmax")])
    model.save(root / "run" / "model.keras")
    (root / "run" / "class_names.json").write_text(json.dumps(["blue", "red"]))
    return root, config


def test_folder_run_gets_its_validation_images(colour_run):
    from convlens.datasets import image_dataset_from_directory, load_image
    from convlens.web.launch import make_server

    root, config = colour_run
    _, val = image_dataset_from_directory(root / "data", validation_split=0.5, subset="both", seed=3,
                                          image_size=(16, 16))
    server = make_server(str(root / "run"), port=0).start()
    try:
        status, body = request(server.url + "api/samples?count=100")
    finally:
        server.stop()
    assert status == 200 and body["total"] == len(val.file_paths) == 6
    assert "validation images" in body["source"]
    for s, path, label in zip(body["samples"], val.file_paths, val.labels):
        assert s["label"] == label and s["class_name"] == ["blue", "red"][label]
        expected = np.clip(np.round(load_image(path, image_size=(16, 16))), 0, 255)
        np.testing.assert_array_equal(decoded(s["image"]), expected)


def test_no_known_test_set_is_a_clear_404():
    from convlens import Sequential, layers
    from convlens.web.launch import make_server

    model = Sequential([layers.Input((16, 16, 3)), layers.Flatten(), layers.Dense(2)])
    server = make_server(model, port=0).start()
    try:
        status, body = request(server.url + "api/samples")
    finally:
        server.stop()
    assert status == 404 and "no test set is known for this model" in body["error"]
