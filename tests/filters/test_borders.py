import numpy as np
import pytest
import scipy.ndimage as ndi
import torch

from convlens import filters
from convlens.filters.borders import pad

ROW = [1.0, 2.0, 3.0, 4.0]


@pytest.mark.parametrize(
    "border, expected",
    [
        # The definitions, written out by hand (scipy.ndimage's names).
        ("reflect", [3, 2, 1, 1, 2, 3, 4, 4, 3, 2]),
        ("mirror", [4, 3, 2, 1, 2, 3, 4, 3, 2, 1]),
        ("nearest", [1, 1, 1, 1, 2, 3, 4, 4, 4, 4]),
        ("wrap", [2, 3, 4, 1, 2, 3, 4, 1, 2, 3]),
        ("constant", [9, 9, 9, 1, 2, 3, 4, 9, 9, 9]),
    ],
)
def test_pad_row_by_hand(border, expected):
    row = torch.tensor(ROW)[None, None, :, None]
    assert pad(row, (0, 3), border, cval=9.0)[0, 0, :, 0].tolist() == expected


@pytest.mark.parametrize("border", ["reflect", "mirror", "nearest", "wrap"])
def test_pad_corners_follow_both_axes(border):
    image = np.arange(12.0).reshape(3, 4)
    numpy_mode = {"reflect": "symmetric", "mirror": "reflect", "nearest": "edge", "wrap": "wrap"}[border]
    padded = pad(torch.from_numpy(image)[None, :, :, None], (2, 3), border)[0, :, :, 0].numpy()
    np.testing.assert_array_equal(padded, np.pad(image, ((2, 2), (3, 3)), mode=numpy_mode))


@pytest.mark.parametrize("border", ["constant", "reflect", "mirror", "nearest", "wrap"])
@pytest.mark.parametrize("shape", [(1, 1), (1, 4), (2, 3), (3, 2)])
def test_windows_wider_than_the_image_match_scipy(border, shape):
    # Padding wider than the image repeats the border pattern, as scipy does.
    image = np.random.default_rng(3).random(shape)
    ours = filters.slide(image, "sum", size=7, border=border, cval=0.25)
    ref = ndi.correlate(image, np.ones((7, 7)), mode=border, cval=0.25)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)
