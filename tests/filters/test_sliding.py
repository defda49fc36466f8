import math

import numpy as np
import pytest
import scipy.ndimage as ndi

from convlens import filters
from convlens.filters import reductions

BORDERS = ["constant", "reflect", "mirror", "nearest", "wrap"]
FLOAT32 = {"rtol": 1e-5, "atol": 1e-5}


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("kind, radius", [("square", 1), ("square", 2), ("disc", 2), ("cross", 1), ("cross", 3)])
def test_every_op_matches_scipy(image, border, kind, radius):
    fp = filters.footprint(kind, radius=radius)
    common = {"footprint": kind, "radius": radius, "border": border, "cval": 0.3}
    scipy_kw = {"footprint": fp, "mode": border, "cval": 0.3}
    image64 = image.astype(np.float64)
    sums = ndi.correlate(image64, fp.astype(np.float64), mode=border, cval=0.3)
    np.testing.assert_allclose(filters.slide(image, "sum", **common), sums, **FLOAT32)
    np.testing.assert_allclose(filters.slide(image, "mean", **common), sums / fp.sum(), **FLOAT32)
    np.testing.assert_array_equal(filters.slide(image, "max", **common), ndi.maximum_filter(image, **scipy_kw))
    np.testing.assert_array_equal(filters.slide(image, "min", **common), ndi.minimum_filter(image, **scipy_kw))
    np.testing.assert_array_equal(filters.slide(image, "median", **common), ndi.median_filter(image, **scipy_kw))


@pytest.mark.parametrize("border", BORDERS)
def test_weights_array_op_is_correlation(image, border):
    weights = np.random.default_rng(1).normal(size=(3, 5))
    expected = ndi.correlate(image.astype(np.float64), weights, mode=border, cval=-1.0)
    np.testing.assert_allclose(filters.slide(image, weights, border=border, cval=-1.0), expected, **FLOAT32)
    ours = filters.slide(image, "sum", weights=weights, border=border, cval=-1.0)
    np.testing.assert_allclose(ours, expected, **FLOAT32)


def test_asymmetric_and_even_count_footprints_match_scipy(image):
    # 6 pixels: the median is the upper middle value, as scipy's rank size // 2.
    fp = np.array([[1, 1, 0], [0, 1, 1], [0, 1, 1]], dtype=bool)
    for op, ref in [("max", ndi.maximum_filter), ("min", ndi.minimum_filter), ("median", ndi.median_filter)]:
        ours = filters.slide(image, op, footprint=fp, border="mirror")
        np.testing.assert_array_equal(ours, ref(image, footprint=fp, mode="mirror"))


def test_rectangular_size_matches_scipy(image):
    ours = filters.slide(image, "max", size=(1, 5), border="wrap")
    np.testing.assert_array_equal(ours, ndi.maximum_filter(image, size=(1, 5), mode="wrap"))
    ours = filters.slide(image, "median", size=(5, 3), border="nearest")
    np.testing.assert_array_equal(ours, ndi.median_filter(image, size=(5, 3), mode="nearest"))


def test_ignore_mean_worked_example():
    # Corners average 4 pixels, edges 6, the inside 9 (counted by hand).
    image = np.array([[1, 0, 0, 1], [0, 0, 1, 0], [0, 1, 1, 0], [1, 0, 0, 0]])
    expected = np.array(
        [
            [1 / 4, 2 / 6, 2 / 6, 2 / 4],
            [2 / 6, 4 / 9, 4 / 9, 3 / 6],
            [2 / 6, 4 / 9, 3 / 9, 2 / 6],
            [2 / 4, 3 / 6, 2 / 6, 1 / 4],
        ]
    )
    np.testing.assert_allclose(filters.slide(image, "mean", size=3, border="ignore"), expected, rtol=1e-6)
    # With zero padding the same corner would be 1/9, not 1/4.
    assert filters.slide(image, "mean", size=3, border="constant")[0, 0] == pytest.approx(1 / 9)


def test_ignore_median_worked_example():
    image = np.arange(1, 10).reshape(3, 3)
    # Corner (0, 0) sees {1, 2, 4, 5}: the upper middle value is 4; edge (0, 1) sees {1..6}: 4.
    expected = [[4, 4, 5], [5, 5, 6], [7, 7, 8]]
    np.testing.assert_array_equal(filters.slide(image, "median", size=3, border="ignore"), expected)


def test_ignore_max_min_sum_leave_outside_out():
    negative = -np.ones((4, 5))
    np.testing.assert_array_equal(filters.slide(negative, "max", radius=2, border="ignore"), negative)
    assert filters.slide(negative, "max", radius=1, border="constant")[0, 0] == 0  # zero padding wins
    np.testing.assert_array_equal(filters.slide(-negative, "min", radius=1, border="ignore"), -negative)
    # A sum over the pixels that exist: 4 at a corner, 6 on an edge, 9 inside.
    np.testing.assert_array_equal(
        filters.slide(np.ones((3, 3)), "sum", size=3, border="ignore"), [[4, 6, 4], [6, 9, 6], [4, 6, 4]]
    )


def test_ignore_weighted_mean_renormalises(image):
    weights = np.array([[1.0, 2.0, 1.0]])
    ours = filters.slide(image, "mean", weights=weights, border="ignore")
    # Left column: weights 2 and 1 exist, so (2 x0 + x1) / 3.
    np.testing.assert_allclose(ours[:, 0], (2 * image[:, 0] + image[:, 1]) / 3, rtol=1e-6)
    np.testing.assert_allclose(ours[:, 1:-1], (image[:, :-2] + 2 * image[:, 1:-1] + image[:, 2:]) / 4, rtol=1e-6)


@pytest.mark.parametrize("op", ["sum", "max", "min", "mean", "median"])
@pytest.mark.parametrize("stride", [2, 3, (1, 2)])
def test_stride_and_valid_are_subsamplings_of_the_full_result(image, op, stride):
    full = filters.slide(image, op, size=3, border="reflect")
    sy, sx = (stride, stride) if isinstance(stride, int) else stride
    strided = filters.slide(image, op, size=3, border="reflect", stride=stride)
    np.testing.assert_allclose(strided, full[::sy, ::sx], rtol=1e-6)
    assert strided.shape == (math.ceil(image.shape[0] / sy), math.ceil(image.shape[1] / sx))
    valid = filters.slide(image, op, size=3, padding="valid", stride=stride)
    np.testing.assert_allclose(valid, full[1:-1:sy, 1:-1:sx], rtol=1e-6)
    assert valid.shape == ((image.shape[0] - 3) // sy + 1, (image.shape[1] - 3) // sx + 1)


def test_valid_median_5x5_and_stride_match_scipy(image):
    ref = ndi.median_filter(image, size=5)[2:-2, 2:-2]
    np.testing.assert_array_equal(filters.slide(image, "median", size=5, padding="valid"), ref)
    np.testing.assert_array_equal(filters.slide(image, "median", size=5, padding="valid", stride=2), ref[::2, ::2])
    np.testing.assert_array_equal(
        filters.slide(image, "median", size=3, border="ignore", stride=(2, 3)),
        filters.slide(image, "median", size=3, border="ignore")[::2, ::3],
    )


@pytest.mark.parametrize(
    "op, kwargs",
    [
        ("sum", {}),
        ("mean", {}),
        ("max", {}),
        ("min", {}),
        ("median", {}),  # the 3 x 3 network
        ("median", {"size": 5}),  # the general selection network
        ("median", {"border": "ignore"}),  # the sorted path
        ("max", {"footprint": "disc", "radius": 2}),
    ],
)
def test_nan_spreads_to_exactly_the_windows_that_hold_it(op, kwargs):
    image = np.random.default_rng(0).random((9, 11))
    image[4, 6] = np.nan
    kwargs = {"size": 3, **kwargs} if "radius" not in kwargs else kwargs
    out = filters.slide(image, op, **kwargs)
    fp = filters.footprint(kwargs.get("footprint", "square"), size=kwargs.get("size"), radius=kwargs.get("radius"))
    reach = ndi.correlate(np.isnan(image).astype(float), fp.astype(float), mode="constant") > 0
    np.testing.assert_array_equal(np.isnan(out), reach)


def test_nan_under_a_zero_weight_is_left_out():
    image = np.ones((5, 5))
    image[2, 2] = np.nan
    out = filters.sobel(image, axis=0)  # the kernel's middle row is zero
    assert not np.isnan(out[2]).any()
    assert np.isnan(out[1, 1:4]).all() and np.isnan(out[3, 1:4]).all()


def test_default_window_is_3x3_and_border_constant():
    image = np.ones((4, 4))
    np.testing.assert_array_equal(filters.slide(image, "sum"), filters.slide(image, "sum", size=3, border="constant"))
    assert filters.slide(image, "sum")[0, 0] == 4


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"op": "mode"}, ["op", "'mode'", "'median'"]),
        ({"op": 3}, ["op", "3", "weights array"]),
        ({"op": "max", "weights": np.ones((3, 3))}, ["weights", "op='max'"]),
        ({"op": np.ones((3, 3)), "weights": np.ones((3, 3))}, ["not both"]),
        ({"op": "mean", "weights": -np.ones((3, 3))}, ["weights", "op='mean'", ">= 0"]),
        ({"op": "sum", "border": "zero"}, ["border", "'zero'", "'reflect'", "'ignore'"]),
        ({"op": "sum", "padding": "full"}, ["padding", "'full'", "'same'", "'valid'"]),
        ({"op": "sum", "stride": 0}, ["stride", "0", ">= 1"]),
        ({"op": "sum", "radius": -2}, ["radius", "-2", ">= 0"]),
        ({"op": "sum", "size": 2}, ["size", "2", "odd"]),
        ({"op": "sum", "footprint": np.ones((3, 4), bool)}, ["footprint", "odd", "(3, 4)"]),
        ({"op": "sum", "cval": "zero"}, ["cval", "'zero'"]),
        ({"op": "sum", "size": 9, "padding": "valid"}, ["valid", "(9, 9)", "(6, 7)"]),
        ({"op": "sum", "times": 0}, ["times", "0", ">= 1"]),
    ],
)
def test_bad_arguments_name_argument_value_and_allowed(kwargs, words):
    with pytest.raises(ValueError) as info:
        filters.slide(np.zeros((6, 7)), **kwargs)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("stride", [1, (2, 3)])
@pytest.mark.parametrize(
    "op, kwargs",
    [
        ("sum", {"weights": np.arange(15.0).reshape(5, 3)}),
        ("mean", {"border": "ignore"}),
        ("max", {"footprint": "disc", "radius": 2}),
        ("median", {}),
        ("median", {"size": 5}),
        ("median", {"border": "ignore"}),
    ],
)
def test_row_blocks_stitch_to_the_unblocked_result(monkeypatch, image, op, kwargs, stride):
    whole = filters.slide(image, op, stride=stride, **kwargs)
    # A few rows per block: the image is cut into many blocks, with uneven last ones.
    monkeypatch.setattr(reductions, "_CPU_BLOCK_VALUES", 3 * image.shape[1])
    monkeypatch.setattr(reductions, "_CPU_MEDIAN_BLOCK_VALUES", 2 * image.shape[1])
    np.testing.assert_array_equal(filters.slide(image, op, stride=stride, **kwargs), whole)
