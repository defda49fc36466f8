"""The lens playground endpoint: classic filters equal SciPy's, learned maps the layer's, nearest kernels by NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from convlens import lens
from convlens.lens.resemblance import classic_kernels
from convlens.web.lenses import lens_playground

from .conftest import png, request


@pytest.fixture(scope="module")
def answer(served, sample):
    url, _ = served
    status, body = request(url + "api/lenses?size=5&sigma=1.5", png(sample[2][3]))
    assert status == 200, body
    return body


def test_classic_lenses_equal_scipy(answer, sample):
    image = sample[2][3].astype(np.float64)
    maps = {c["title"]: np.array(c["map"]) for c in answer["classic"]}
    references = {
        "original": image,
        "mean 5×5": ndimage.uniform_filter(image, 5, mode="reflect"),
        "median 5×5": ndimage.median_filter(image, 5, mode="reflect"),
        "Gaussian σ = 1.5": ndimage.gaussian_filter(image, 1.5, mode="reflect"),
        "dilation 5×5 (max)": ndimage.grey_dilation(image, size=5, mode="reflect"),
        "erosion 5×5 (min)": ndimage.grey_erosion(image, size=5, mode="reflect"),
        "Laplacian": ndimage.laplace(image, mode="reflect"),
    }
    for title, reference in references.items():
        np.testing.assert_allclose(maps[title], reference, atol=2e-3, err_msg=title)
    assert answer["size"] == 5 and answer["sigma"] == 1.5 and len(maps) == 12


def test_learned_filters_maps_and_nearest_kernels(answer, served, sample):
    _, model = served
    conv = model.layers[1]
    assert answer["layer"] == conv.name and answer["filters"] == 6 and len(answer["learned"]) == 6
    maps = lens.activations(model, sample[2][3].astype(np.float32), [conv.name])[conv.name]
    kernel = conv.get_weights()[0][:, :, 0, :]  # (3, 3, 6): one input channel
    named = classic_kernels((3, 3))
    for f, shown in enumerate(answer["learned"]):
        np.testing.assert_allclose(shown["map"], maps[..., f], atol=1e-3)
        np.testing.assert_allclose(shown["kernel"], kernel[..., f], atol=1e-5)
        # The nearest kernel by |cosine| over every named 3×3 kernel, computed here with NumPy.
        w = kernel[..., f].ravel()
        r = {name: float(k.ravel() @ w / np.linalg.norm(k) / np.linalg.norm(w)) for name, k in named.items()}
        best = max(r, key=lambda name: abs(r[name]))
        assert shown["nearest"] == best and shown["correlation"] == pytest.approx(r[best], abs=1e-6)
        np.testing.assert_array_equal(shown["nearest_kernel"], named[best])


def test_a_model_without_conv_gets_the_classic_lenses_and_a_note():
    from convlens import Sequential, layers

    model = Sequential([layers.Input((8, 8, 1)), layers.Flatten(), layers.Dense(2)])
    out = lens_playground(model, np.zeros((8, 8, 1), np.float32))
    assert len(out["classic"]) == 12 and out["learned"] == [] and "no 2D convolution" in out["note"]


@pytest.mark.parametrize("query, message", [
    ("size=4", "size: received '4'; allowed are the odd whole numbers 1 to 15."),
    ("size=17", "size: received '17'"),
    ("size=abc", "size: received 'abc'"),
    ("sigma=0", "sigma: received '0'; allowed are numbers from 0.1 to 8.0"),
    ("sigma=nan", "sigma: received 'nan'"),
    ("sigma=1e9", "sigma: received '1e9'"),
])
def test_bad_parameters_are_refused_before_any_work(served, query, message):
    url, _ = served
    status, body = request(url + f"api/lenses?{query}", b"not even an image")
    assert status == 400 and message in body["error"]
