"""Windows wider than the image: folded to the image's reach (the same result), or refused before allocation."""

import time

import numpy as np
import pytest
import scipy.ndimage as ndi
import torch
from numpy.lib.stride_tricks import sliding_window_view

from convlens import filters
from convlens.errors import LimitExceededError
from convlens.filters import reach
from convlens.filters.kernels import gaussian_1d

BORDERS = ["constant", "reflect", "mirror", "nearest", "wrap"]
NUMPY_MODES = {"constant": "constant", "reflect": "symmetric", "mirror": "reflect", "nearest": "edge", "wrap": "wrap"}
SMALL = np.random.default_rng(1).random((5, 7))


def brute_force(image, size, border, reduce, cval=0.3):
    """Pad by half the window with numpy.pad (scipy's border meanings) and reduce every window."""
    r = size // 2
    extra = {"constant_values": cval} if border == "constant" else {}
    padded = np.pad(image, r, mode=NUMPY_MODES[border], **extra)
    windows = sliding_window_view(padded, (size, size)).reshape(*image.shape, -1)
    return reduce(windows, axis=-1)


@pytest.mark.parametrize("border", BORDERS)
def test_oversized_mean_max_and_gaussian_match_scipy(border):
    np.testing.assert_allclose(filters.mean(SMALL, size=21, border=border, cval=0.3),
                               ndi.uniform_filter(SMALL, 21, mode=border, cval=0.3), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(filters.dilate(SMALL, size=(21, 9), border=border, cval=0.3),
                                  ndi.maximum_filter(SMALL, (21, 9), mode=border, cval=0.3))
    np.testing.assert_array_equal(filters.erode(SMALL, radius=12, footprint="disc", border=border, cval=0.3),
                                  ndi.minimum_filter(SMALL, footprint=filters.footprint("disc", radius=12),
                                                     mode=border, cval=0.3))
    np.testing.assert_allclose(filters.gaussian(SMALL, sigma=(30, 3), border=border, cval=0.3),
                               ndi.gaussian_filter(SMALL, (30, 3), mode=border, cval=0.3), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("border", BORDERS)
def test_oversized_median_counts_each_pixel_as_often_as_the_window_holds_it(border):
    # scipy's median_filter departs from its own "reflect" rule for windows over twice the image, so the
    # reference is the definition: numpy.pad by the half window, then the median of every window.
    image = np.random.default_rng(2).random((6, 6))
    ours = filters.median(image, size=25, border=border, cval=0.3)
    np.testing.assert_array_equal(ours, brute_force(image, 25, border, np.median))


@pytest.mark.parametrize("op", ["mean", "median", "dilate"])
def test_ignore_border_with_a_window_over_the_whole_image(op):
    # From every position a 21 x 21 window holds the whole 5 x 7 image and nothing else counts.
    ours = getattr(filters, op)(SMALL, size=21, border="ignore")
    pixels = np.sort(SMALL.ravel())
    expected = {"mean": SMALL.mean(), "median": pixels[pixels.size // 2], "dilate": SMALL.max()}[op]
    np.testing.assert_allclose(ours, np.full(SMALL.shape, expected), rtol=1e-12)


@pytest.mark.parametrize("border", [*BORDERS, "ignore"])
def test_gaussian_taps_match_the_folded_kernel(border):
    # sigma=20000 on 7 pixels: each folded tap sums thousands of terms (the Euler-Maclaurin path).
    direct = reach.fold_counts(gaussian_1d(20000.0), 7, border)
    np.testing.assert_allclose(reach.gaussian_taps(20000.0, 4.0, 7, border), direct / direct.sum(),
                               rtol=1e-12, atol=0)
    few = reach.fold_counts(gaussian_1d(9.0), 7, border)  # a few terms each: summed one by one
    np.testing.assert_allclose(reach.gaussian_taps(9.0, 4.0, 7, border), few / few.sum(), rtol=1e-13)


def within_cpu_seconds(fn, seconds=2.0):
    """Run ``fn`` on one thread and check its CPU time: wall time on a loaded machine says little, and
    threads waiting for each other burn CPU time too (about 0.7 s for the slowest case here)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    start = time.process_time()
    try:
        return fn()
    finally:
        torch.set_num_threads(threads)
        assert time.process_time() - start < seconds


IMAGE = np.random.default_rng(0).random((32, 32))


@pytest.mark.parametrize("border", ["reflect", "mirror", "wrap"])
def test_a_gaussian_of_sigma_1e8_is_computed_at_once(border):
    # So wide a blur weighs every pixel of one period of the extension alike: each output is the image's mean,
    # except that "mirror"'s period (2n - 2) holds the edge rows and columns once and the others twice.
    out = within_cpu_seconds(lambda: filters.gaussian(IMAGE, sigma=1e8, border=border))
    w = np.ones(32) if border != "mirror" else np.r_[0.5, np.ones(30), 0.5]
    np.testing.assert_allclose(out, np.full(IMAGE.shape, w @ IMAGE @ w / w.sum() ** 2), rtol=1e-9)


def test_a_median_of_size_2001_on_a_small_image_is_computed_at_once():
    out = within_cpu_seconds(lambda: filters.median(IMAGE, size=2001))
    assert out.shape == IMAGE.shape and np.isin(out, IMAGE).all()


@pytest.mark.parametrize("call, named", [
    (lambda: filters.mean(IMAGE, size=99999), "size=99999"),
    (lambda: filters.dilate(IMAGE, radius=100000, footprint="disc"), "radius=100000"),
    (lambda: filters.kernel("gaussian", sigma=1e8), "sigma=100000000.0"),
    (lambda: filters.median(np.zeros((2048, 2048), np.float32), size=2001), "size=2001"),
])
def test_windows_beyond_the_limits_are_refused_before_allocation(call, named):
    with pytest.raises(LimitExceededError, match="CONVLENS_MAX_") as caught:
        within_cpu_seconds(call, 1.0)
    assert named in str(caught.value) and "over the limit" in str(caught.value)


def test_the_work_limit_is_set_by_its_environment_variable(monkeypatch):
    monkeypatch.setenv("CONVLENS_MAX_FILTER_WORK", "1000")
    with pytest.raises(LimitExceededError, match=r"mean with size=5 on 1 image\(s\) of 32x32x1.*1,000 element"):
        filters.mean(IMAGE, size=5)
    monkeypatch.setenv("CONVLENS_MAX_FILTER_WORK", str(10 * 32 * 32))
    filters.mean(IMAGE, size=5)  # separable: 5 + 5 passes over 32 x 32 outputs


@pytest.mark.parametrize("border", ["reflect", "ignore"])
def test_a_nan_reaches_every_output_of_a_folded_median(border):
    image = np.random.default_rng(4).random((4, 4))
    image[1, 1] = np.nan
    assert np.isnan(filters.median(image, size=21, border=border)).all()
    assert np.isnan(filters.median(np.full((4, 4), np.nan), size=21, border=border)).all()
