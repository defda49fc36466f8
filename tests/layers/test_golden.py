"""Every Keras reference case: rebuild from class_name + config, load Keras weights, match Keras's numbers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from convlens import Sequential, layers

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "keras"
CASES = sorted(p.stem for p in GOLDEN.glob("*.json"))


def build_case(name: str) -> tuple[dict, dict, Sequential]:
    spec = json.loads((GOLDEN / f"{name}.json").read_text())
    arrays = dict(np.load(GOLDEN / f"{name}.npz"))
    model = Sequential([layers.Input(tuple(spec["input_shape"]))]
                       + [layers.deserialize(item) for item in spec["layers"]])
    for i, layer in enumerate(model.layers):
        weights = [arrays[f"w{i}_{j}"] for j in range(len(layer.weights))]
        assert not any(k.startswith(f"w{i}_{len(weights)}") for k in arrays), "layer has more Keras weights"
        layer.set_weights(weights)
    return spec, arrays, model


def test_all_public_cases_present():
    assert len(CASES) == 26


@pytest.mark.parametrize("name", CASES)
def test_summary_matches_keras(name):
    spec, _, model = build_case(name)
    got = [
        {"class_name": type(layer).__name__, "output_shape": list(shape[1:]), "params": layer.count_params()}
        for layer, shape in zip(model.layers, model.layer_output_shapes)
    ]
    assert got == spec["summary"]
    assert model.count_params() == spec["total_params"]


@pytest.mark.parametrize("name", CASES)
def test_output_matches_keras(name):
    spec, arrays, model = build_case(name)
    y = model.predict(arrays["x"], verbose=0)
    assert y.shape == arrays["y"].shape
    np.testing.assert_allclose(y, arrays["y"], **spec["tolerance"])


@pytest.mark.parametrize("name", CASES)
def test_get_weights_round_trip(name):
    _, arrays, model = build_case(name)
    weights = model.get_weights()
    expected = [arrays[k] for k in sorted((k for k in arrays if k.startswith("w")),
                                          key=lambda k: tuple(int(p) for p in k[1:].split("_")))]
    assert [w.shape for w in weights] == [e.shape for e in expected]
    for got, want in zip(weights, expected):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", CASES)
def test_config_round_trip_rebuilds_same_model(name):
    _, arrays, model = build_case(name)
    clone = Sequential.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(arrays["x"], verbose=0), model.predict(arrays["x"], verbose=0))


def test_channels_last_memory_is_kept_through_a_conv_stack():
    _, arrays, model = build_case("keras_io_mnist_convnet")
    x = torch.as_tensor(arrays["x"])
    conv = model.layers[0]
    y = conv(x)
    # NHWC in, NHWC out, contiguous: no hidden layout copies between layers.
    assert y.is_contiguous()
