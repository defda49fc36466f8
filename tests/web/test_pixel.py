"""One pixel explained: its numbers rebuild the model's own layer output, against a NumPy reference window."""

from __future__ import annotations

import numpy as np
import pytest

from convlens import lens
from convlens.web.pixel import explain_pixel

from .conftest import seven


@pytest.fixture(scope="module")
def setup(served, sample):
    _, model = served
    image = sample[2][0][..., None].astype(np.float32)
    names = [layer.name for layer in model.layers]
    return model, image, names, lens.activations(model, image)


def previous_output(outputs, names, layer_name):
    return outputs[names[names.index(layer_name) - 1]]


@pytest.mark.parametrize("y, x", [(0, 0), (5, 7), (12, 12)])
def test_conv_valid(setup, y, x):
    model, image, names, outputs = setup
    conv = names[1]
    answer = explain_pixel(model, image, conv, 3, y, x)
    inputs = previous_output(outputs, names, conv)
    kernel, bias = model.layers[1].get_weights()
    window = inputs[y:y + 3, x:x + 3, :]
    np.testing.assert_allclose(answer["window"], window, rtol=1e-6)
    np.testing.assert_allclose(answer["products"], window * kernel[..., 3], rtol=1e-5, atol=1e-7)
    assert answer["bias"] == pytest.approx(float(bias[3]))
    assert answer["value"] == pytest.approx(float(outputs[conv][y, x, 3]), abs=1e-6)
    assert max(answer["sum"] + answer["bias"], 0) == pytest.approx(answer["value"], abs=1e-5)


@pytest.mark.parametrize("y, x", [(0, 0), (3, 2), (6, 6)])
def test_conv_same_strided_pads_with_zeros(setup, y, x):
    model, image, names, outputs = setup
    conv = names[3]
    answer = explain_pixel(model, image, conv, 5, y, x)
    inputs = previous_output(outputs, names, conv)  # 13×13: "same" with stride 2 pads 1 and 1
    padded = np.pad(inputs, ((1, 1), (1, 1), (0, 0)))
    window = padded[2 * y:2 * y + 3, 2 * x:2 * x + 3]
    np.testing.assert_allclose(answer["window"], window, rtol=1e-6)
    assert max(answer["pre_activation"], 0) == pytest.approx(float(outputs[conv][y, x, 5]), abs=1e-5)
    assert answer["value"] == pytest.approx(float(outputs[conv][y, x, 5]), abs=1e-6)


def test_max_and_average_pooling(setup):
    model, image, names, outputs = setup
    pool = explain_pixel(model, image, names[2], 2, 4, 5)
    assert pool["mode"] == "max" and pool["sum"] == pool["value"]
    np.testing.assert_allclose(pool["window"], outputs[names[1]][8:10, 10:12, 2])
    average = explain_pixel(model, image, names[4], 1, 3, 3)  # the 7×7 input's last window has one row and column
    inputs = outputs[names[3]][6:8, 6:8, 1]
    assert np.array(average["window"], dtype=float).shape == (2, 2)
    assert average["value"] == pytest.approx(float(inputs.mean()), abs=1e-6)
    assert average["sum"] == pytest.approx(average["value"], abs=1e-6)


def test_dense_logit(setup):
    model, image, names, outputs = setup
    answer = explain_pixel(model, image, names[-1], 7, 0, 0)
    flat = outputs[names[-2]]
    kernel, bias = model.layers[-1].get_weights()
    assert answer["sum"] == pytest.approx(float(flat @ kernel[:, 7]), rel=1e-5)
    logits = flat @ kernel + bias
    assert answer["value"] == pytest.approx(float(np.exp(logits[7]) / np.exp(logits).sum()), rel=1e-5)
    assert len(answer["indices"]) == 10


def test_dense_softmax_terms_equal_numpy_and_the_model(setup):
    model, image, names, outputs = setup
    answer = explain_pixel(model, image, names[-1], 4, 0, 0)
    flat = outputs[names[-2]].astype(np.float64)
    kernel, bias = model.layers[-1].get_weights()
    logits = flat @ kernel + bias
    terms = answer["softmax"]
    np.testing.assert_allclose(terms["logits"], logits, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(terms["exp"], np.exp(logits), rtol=1e-6)
    assert terms["sum_exp"] == pytest.approx(float(np.exp(logits).sum()), rel=1e-6) and terms["shift"] == 0
    np.testing.assert_allclose(terms["probabilities"], outputs[names[-1]], rtol=1e-5, atol=1e-7)
    assert answer["pre_activation"] == pytest.approx(terms["logits"][4], rel=1e-5)
    assert answer["inputs_count"] == flat.size


def test_softmax_layer_and_huge_logits():
    from convlens import Sequential, layers
    from convlens.web.pixel import softmax_terms

    model = Sequential([layers.Input((2, 2, 1)), layers.Flatten(), layers.Softmax()])
    image = np.array([[1.0, 2.0], [3.0, 0.5]], np.float32)[..., None]
    answer = explain_pixel(model, image, model.layers[-1].name, 2, 0, 0)
    z = image.ravel().astype(np.float64)
    assert answer["kind"] == "softmax" and answer["value"] == pytest.approx(np.exp(3) / np.exp(z).sum(), rel=1e-6)
    np.testing.assert_allclose(answer["softmax"]["exp"], np.exp(z), rtol=1e-12)
    huge = softmax_terms(np.array([1000.0, 999.0]))  # exp(1000) overflows float64: the terms are shifted by max z
    assert huge["shift"] == 1000.0 and huge["exp"] == [1.0, pytest.approx(np.exp(-1.0))]
    assert huge["probabilities"][0] == pytest.approx(1 / (1 + np.exp(-1.0)))


def test_bad_requests_name_the_argument(setup):
    model, image, names, _ = setup
    with pytest.raises(ValueError, match="layer: unknown layer 'nope'"):
        explain_pixel(model, image, "nope", 0, 0, 0)
    with pytest.raises(ValueError, match="y: received 26; allowed values are 0 to 25"):
        explain_pixel(model, image, names[1], 0, 26, 0)
    with pytest.raises(ValueError, match="map: received 6"):
        explain_pixel(model, image, names[1], 6, 0, 0)
    with pytest.raises(ValueError, match="Flatten"):
        explain_pixel(model, seven()[:28, :28], names[5], 0, 0, 0)
