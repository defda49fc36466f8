"""resize against SciPy and hand-worked values of TensorFlow's kernels."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi

from convlens.datasets.resize import INTERPOLATIONS, crop_box_to_aspect_ratio, resize


def column(values) -> np.ndarray:
    return np.asarray(values, np.float32).reshape(-1, 1, 1)  # (H, 1, 1)


@pytest.mark.parametrize(
    ("size", "out"), [((7, 5), (13, 9)), ((20, 17), (6, 11)), ((5, 8), (3, 3))]
)
def test_bilinear_matches_scipy_half_pixel_zoom(size, out):
    image = np.random.default_rng(0).integers(0, 256, (*size, 3)).astype(np.uint8)
    # grid_mode=True is the half-pixel-centre convention; mode="nearest" clamps at borders.
    zoom = (out[0] / size[0], out[1] / size[1], 1)
    want = ndi.zoom(image.astype(np.float64), zoom, order=1, mode="nearest", grid_mode=True)
    got = resize(image, out, "bilinear")
    assert got.dtype == np.float32 and got.shape == (*out, 3)
    np.testing.assert_allclose(got, want, atol=1e-3)


def test_nearest_picks_floor_of_half_pixel_centres():
    x = column([10, 20, 30, 40])
    assert resize(x, (2, 1), "nearest").ravel().tolist() == [20, 40]
    assert resize(x[:2], (4, 1), "nearest").ravel().tolist() == [10, 10, 20, 20]
    assert resize(x[:3], (2, 1), "nearest").ravel().tolist() == [10, 30]


def test_bicubic_hand_worked():
    # 4 -> 8: output 3 samples x = 1.25, Keys (a = -0.5) weights for distances
    # 1.25, 0.25, 0.75, 1.75 are -0.0703125, 0.8671875, 0.2265625, -0.0234375.
    # Output 0 samples x = -0.25: taps -2, -1 fall outside and get no weight,
    # the other two (0.8671875, -0.0703125) are renormalised.
    got = resize(column([0, 10, 20, 90]), (8, 1), "bicubic").ravel()
    assert got[3] == pytest.approx(0.8671875 * 10 + 0.2265625 * 20 - 0.0234375 * 90, abs=1e-4)
    assert got[0] == pytest.approx(-0.0703125 * 10 / 0.796875, abs=1e-4)


def test_area_is_the_exact_box_average():
    image = np.random.default_rng(1).integers(0, 256, (5, 10, 2)).astype(np.float64)
    # 5 -> 3 rows and 10 -> 4 columns: repeat pixels so that every output box
    # covers whole samples, then average the boxes.
    fine = image.repeat(3, axis=0).repeat(2, axis=1)  # (15, 20, 2)
    want = fine.reshape(3, 5, 4, 5, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(resize(image, (3, 4), "area"), want, rtol=1e-5)


def test_kernels_at_scale_one():
    spike = column([0, 0, 100, 0, 0])
    # Gaussian: radius 1.5, sigma 0.5, so neighbours weigh exp(-2).
    e = np.exp(-2)
    side, centre = 100 * e / (1 + 2 * e), 100 / (1 + 2 * e)
    np.testing.assert_allclose(
        resize(spike, (5, 1), "gaussian").ravel(), [0, side, centre, side, 0], rtol=1e-5
    )
    # Mitchell-Netravali (B = C = 1/3): 8/9 at 0, 1/18 at distance 1.
    np.testing.assert_allclose(
        resize(spike, (5, 1), "mitchellcubic").ravel(), [0, 100 / 18, 800 / 9, 100 / 18, 0], rtol=1e-5
    )
    for method in ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"):
        np.testing.assert_allclose(resize(spike, (5, 1), method).ravel(), spike.ravel(), atol=1e-4)


@pytest.mark.parametrize("method", INTERPOLATIONS)
@pytest.mark.parametrize("out", [(3, 7), (16, 2)])
def test_constant_image_stays_constant(method, out):
    image = np.full((6, 5, 3), 77, np.uint8)
    np.testing.assert_allclose(resize(image, out, method), 77, rtol=1e-5)


def test_unknown_interpolation():
    with pytest.raises(ValueError, match="received interpolation='cubic'"):
        resize(np.zeros((2, 2, 1)), (1, 1), "cubic")


@pytest.mark.parametrize(
    ("shape", "size", "box"),
    [
        ((100, 200), (50, 50), (0, 50, 100, 100)),
        ((300, 100), (10, 20), (125, 0, 50, 100)),
        ((7, 7), (7, 7), (0, 0, 7, 7)),
    ],
)
def test_crop_box_is_centred_with_target_aspect(shape, size, box):
    assert crop_box_to_aspect_ratio(*shape, size) == box
