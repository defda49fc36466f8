"""Saliency and Grad-CAM: shapes, and that they point at the region that decides the class."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convlens import Sequential, layers
from convlens.lens import grad_cam, last_conv_layer, plot_saliency, saliency

SIZE = 16


def quadrant_model() -> Sequential:
    """Class 1's score is the sum of the top-left quadrant; class 0's the bottom-right one."""
    model = Sequential([layers.Input((SIZE, SIZE, 1)), layers.Conv2D(1, 1, use_bias=False), layers.Flatten(),
                        layers.Dense(2, use_bias=False, activation="softmax")])
    model.layers[0].set_weights([np.ones((1, 1, 1, 1), np.float32)])
    mask = np.zeros((SIZE, SIZE), np.float32)
    weights = np.zeros((SIZE * SIZE, 2), np.float32)
    half = SIZE // 2
    top_left, bottom_right = mask.copy(), mask.copy()
    top_left[:half, :half] = 1
    bottom_right[half:, half:] = 1
    weights[:, 1], weights[:, 0] = top_left.ravel(), bottom_right.ravel()
    model.layers[2].set_weights([weights])
    return model


def detector_model() -> Sequential:
    """Map 0 finds bright pixels, map 1 dark ones; class 1 = mean of map 0, class 0 = mean of map 1."""
    model = Sequential([layers.Input((SIZE, SIZE, 1)), layers.Conv2D(2, 1, activation="relu"),
                        layers.GlobalAveragePooling2D(), layers.Dense(2)])
    model.layers[0].set_weights([np.array([1.0, -1.0], np.float32).reshape(1, 1, 1, 2), np.zeros(2, np.float32)])
    model.layers[2].set_weights([np.array([[0.0, 1.0], [1.0, 0.0]], np.float32), np.zeros(2, np.float32)])
    return model


def blobs() -> np.ndarray:
    """A bright square in the top-left quadrant and a dark one in the bottom-right, on grey 0."""
    image = np.zeros((SIZE, SIZE), np.float32)
    image[2:6, 2:6] = 1.0
    image[10:14, 10:14] = -1.0
    return image


def quadrant_share(heat: np.ndarray, rows: slice, cols: slice) -> float:
    return float(heat[rows, cols].sum() / heat.sum())


TL, BR = (slice(0, SIZE // 2), slice(0, SIZE // 2)), (slice(SIZE // 2, None), slice(SIZE // 2, None))


def test_saliency_is_the_input_gradient_and_stays_in_the_deciding_quadrant():
    model = quadrant_model()
    image = np.random.default_rng(0).random((SIZE, SIZE)).astype(np.float32)
    sal = saliency(model, image, class_index=1)
    assert sal.shape == (SIZE, SIZE)
    assert quadrant_share(sal, *TL) == pytest.approx(1.0)
    assert quadrant_share(saliency(model, image, class_index=0), *BR) == pytest.approx(1.0)
    # An independent gradient: autograd on the pre-softmax score directly.
    x = torch.tensor(image[None, ..., None], requires_grad=True)
    flat = model.layers[1](model.layers[0](x))
    (flat @ model.layers[2].kernel.T)[0, 1].backward()
    np.testing.assert_allclose(sal, x.grad[0, ..., 0].abs().numpy(), rtol=1e-6)


def test_grad_cam_highlights_the_region_of_the_explained_class():
    model = detector_model()
    image = blobs()
    for class_index, (region, other) in ((1, (TL, BR)), (0, (BR, TL))):
        cam = grad_cam(model, image, class_index=class_index)
        assert cam.shape == (SIZE, SIZE) and cam.max() == pytest.approx(1.0) and cam.min() >= 0
        assert quadrant_share(cam, *region) > 0.95
        assert quadrant_share(cam, *other) < 0.01
    assert last_conv_layer(model) is model.layers[0]


def test_grad_cam_resizes_to_the_image_and_defaults_to_the_last_convolution():
    model = Sequential([layers.Input((20, 24, 3)), layers.Conv2D(4, 3, activation="relu"), layers.MaxPooling2D(),
                        layers.Conv2D(5, 3, activation="relu"), layers.Flatten(), layers.Dense(3)])
    image = np.random.default_rng(5).integers(0, 255, (20, 24, 3), dtype=np.uint8)
    assert grad_cam(model, image).shape == (20, 24)
    assert grad_cam(model, image, layer=0).shape == (20, 24)
    with pytest.raises(ValueError, match=r"\(N, h, w, K\)"):
        grad_cam(model, image, layer=-1)
    with pytest.raises(ValueError, match="class_index"):
        saliency(model, image, class_index=3)
    with pytest.raises(ValueError, match="one image"):
        saliency(model, np.stack([image, image]))
    flat = Sequential([layers.Input((4, 4, 1)), layers.Flatten(), layers.Dense(2)])
    with pytest.raises(ValueError, match="no 2D convolution"):
        grad_cam(flat, np.zeros((4, 4)))


def test_plot_saliency_shows_image_saliency_and_grad_cam():
    model = detector_model()
    fig = plot_saliency(model, blobs(), class_names=["dark", "bright"])
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 3
    assert panels[0].get_title().startswith("input: predicted")
    np.testing.assert_allclose(panels[2].images[1].get_array(), grad_cam(model, blobs()), rtol=1e-6)
    assert "Why class" in fig.get_suptitle()
