"""Request bytes → model input: MNIST's preprocessing against a SciPy reference, decoding limits."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from convlens.datasets.resize import resize
from convlens.web.images import MAX_PIXELS, ImageError, decode, mnist_digit, model_image

from .conftest import png, seven


def reference_digit(gray: np.ndarray) -> np.ndarray:
    """MNIST's recipe written independently: bounding box, longer side 20, centre of mass at (13.5, 13.5)."""
    ink = gray > 0.05 * gray.max()
    (y0, y1), (x0, x1) = [(np.flatnonzero(ink.any(axis))[0], np.flatnonzero(ink.any(axis))[-1] + 1) for axis in (1, 0)]
    box = gray[y0:y1, x0:x1].astype(np.float32)
    scale = 20 / max(box.shape)
    small = np.clip(resize(box[..., None], (round(box.shape[0] * scale), round(box.shape[1] * scale)), "area")[..., 0],
                    0, 255)
    cy, cx = ndimage.center_of_mass(small)
    top, left = int(round(13.5 - cy)), int(round(13.5 - cx))
    out = np.zeros((28, 28), np.float32)
    out[top:top + small.shape[0], left:left + small.shape[1]] = small
    return out


@pytest.mark.parametrize("shape", ["seven", "bar", "dot"])
def test_mnist_digit_matches_reference(shape):
    drawing = {"seven": seven(), "bar": np.pad(np.full((90, 12), 255.0), ((30, 150), (200, 40))),
               "dot": np.pad(np.full((6, 6), 200.0), ((5, 60), (50, 7)))}[shape]
    digit = mnist_digit(drawing)
    np.testing.assert_allclose(digit, reference_digit(drawing), atol=1e-4)
    assert max(np.ptp(np.nonzero(digit > 0)[0]), np.ptp(np.nonzero(digit > 0)[1])) + 1 <= 20
    cy, cx = ndimage.center_of_mass(digit)
    assert abs(cy - 13.5) <= 0.5 and abs(cx - 13.5) <= 0.5


def test_empty_drawing_is_blank():
    assert not mnist_digit(np.zeros((50, 50))).any()


def test_upload_is_resized_and_inverted_for_gray_models():
    paper = np.full((56, 56), 255, np.uint8)
    paper[10:40, 25:30] = 0  # a dark stroke on white paper
    image = model_image(png(paper), (None, 28, 28, 1))
    assert image.shape == (28, 28, 1) and image[0, 0, 0] == 0 and image[12, 13, 0] > 200


def test_colour_model_gets_rgb_at_its_size():
    rgb = np.random.RandomState(0).randint(0, 255, (90, 120, 3)).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "PNG")
    image = model_image(buffer.getvalue(), (None, 180, 180, 3))
    np.testing.assert_allclose(image, np.clip(resize(rgb, (180, 180)), 0, 255), atol=1e-4)


def test_non_image_is_415():
    with pytest.raises(ImageError, match="not a PNG, JPEG") as info:
        decode(b"<html>not an image</html>", 1)
    assert info.value.status == 415


def test_decompression_bomb_is_413():
    side = int(MAX_PIXELS ** 0.5) + 16
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, "PNG")  # a few KB that would decode to 16 M pixels
    assert len(buffer.getvalue()) < 100_000
    with pytest.raises(ImageError, match="at most") as info:
        decode(buffer.getvalue(), 1)
    assert info.value.status == 413
