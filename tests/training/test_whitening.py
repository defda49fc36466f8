"""Patch whitening: the fixed stem's outputs are decorrelated unit-variance patch components, and stay fixed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convlens import zoo
from convlens.training.whitening import patch_whitening_kernel, whiten_stem


def _images(n: int = 40) -> np.ndarray:
    """Smooth random blobs (correlated neighbouring pixels, like digits), uint8 (N, 16, 16, 1)."""
    rng = np.random.default_rng(0)
    noise = rng.random((n, 20, 20))
    smooth = sum(noise[:, i:i + 16, j:j + 16] for i in range(5) for j in range(5)) / 25
    return (smooth * 255).astype(np.uint8)[..., None]


def test_the_stem_outputs_are_whitened_components_with_both_signs():
    images = _images()
    model = zoo.create("mnist_fast", input_shape=(16, 16, 1), stem="fixed")
    whiten_stem(model, images)
    rescale, stem = model.layers[0], model.layers[1]
    with torch.no_grad():
        out = stem(rescale(torch.from_numpy(images))).numpy()[:, 1:-1, 1:-1]  # interior: no zero padding read
    flat = out.reshape(-1, 16)
    half = flat[:, :8]
    np.testing.assert_allclose(flat[:, 8:], -half, rtol=1e-6, atol=1e-6)
    covariance = half.T @ half / len(half)
    # eigenvalues / (eigenvalues + eps): close to 1 for the strong directions, and no cross terms
    patches = np.lib.stride_tricks.sliding_window_view(images[..., 0] / 255.0, (3, 3), axis=(1, 2)).reshape(-1, 9)
    values = np.sort(np.linalg.eigvalsh(patches.T @ patches / len(patches)))[::-1][:8]
    np.testing.assert_allclose(np.diag(covariance), values / (values + 5e-4), rtol=2e-3)
    assert np.abs(covariance - np.diag(np.diag(covariance))).max() < 2e-3


def test_the_stem_gets_no_gradient_and_does_not_change_in_training():
    images = _images(64)
    labels = np.arange(64) % 10
    model = zoo.create("mnist_fast", input_shape=(16, 16, 1), stem="fixed")
    whiten_stem(model, images)
    before = model.layers[1].get_weights()[0].copy()
    assert not model.layers[1].kernel.requires_grad
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(images, labels, batch_size=32, epochs=1, verbose=0)
    np.testing.assert_array_equal(model.layers[1].get_weights()[0], before)
    assert model.layers[1].kernel.grad is None


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="`filters` must be even and between 2 and 18; received filters=7"):
        patch_whitening_kernel(_images(2), 7)
    with pytest.raises(ValueError, match=r"`images` must be \(N, H, W, C\)"):
        patch_whitening_kernel(np.zeros((4, 4)), 2)
    with pytest.raises(ValueError, match="no convolution named 'stem'"):
        whiten_stem(zoo.create("mnist_fast"), _images(2))
    with pytest.raises(ValueError, match="`stem` must be 'learned' or 'fixed'; received stem='frozen'"):
        zoo.create("mnist_fast", stem="frozen")
