import numpy as np
import pytest
import scipy.ndimage as ndi

from convlens import filters

BORDERS = ["constant", "reflect", "mirror", "nearest", "wrap"]
FLOAT32 = {"rtol": 1e-5, "atol": 1e-6}


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("size", [3, 5])
def test_mean_matches_uniform_filter(image, border, size):
    ref = ndi.uniform_filter(image.astype(np.float64), size, mode=border, cval=0.5)
    np.testing.assert_allclose(filters.mean(image, size, border=border, cval=0.5), ref, **FLOAT32)


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("size", [3, 5])
def test_median_matches_median_filter(image, border, size):
    ref = ndi.median_filter(image, size, mode=border, cval=0.5)
    np.testing.assert_array_equal(filters.median(image, size, border=border, cval=0.5), ref)


def test_median_disc_matches_median_filter(image):
    fp = filters.footprint("disc", radius=3)
    ours = filters.median(image, radius=3, footprint="disc")
    np.testing.assert_array_equal(ours, ndi.median_filter(image, footprint=fp))


def test_median_removes_salt_and_pepper():
    image = np.full((12, 12), 100.0)
    image[3, 4], image[8, 2] = 255.0, 0.0
    np.testing.assert_array_equal(filters.median(image), np.full((12, 12), 100.0))


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("sigma, truncate", [(0.5, 4.0), (1.0, 4.0), (2.0, 4.0), (1.5, 2.0), ((1.0, 3.0), 4.0)])
def test_gaussian_matches_gaussian_filter(image, border, sigma, truncate):
    ref = ndi.gaussian_filter(image.astype(np.float64), sigma, mode=border, cval=0.5, truncate=truncate)
    ours = filters.gaussian(image, sigma, truncate=truncate, border=border, cval=0.5)
    np.testing.assert_allclose(ours, ref, **FLOAT32)


def test_gaussian_kernel_radius_is_scipys():
    impulse = np.zeros((41, 41))
    impulse[20, 20] = 1
    for sigma in (0.3, 1.0, 1.9, 2.0, 3.7):
        reach = np.ptp(np.flatnonzero(filters.gaussian(impulse, sigma)[20])) // 2
        assert reach == int(4.0 * sigma + 0.5)


def test_gaussian_ignore_renormalises_over_the_pixels_inside():
    flat = np.full((10, 13), 3.0)
    np.testing.assert_allclose(filters.gaussian(flat, 2, border="ignore"), flat, rtol=1e-6)
    # Zero padding darkens the border instead.
    assert filters.gaussian(flat, 2, border="constant")[0, 0] < 2.0


@pytest.mark.parametrize("name", ["mean", "median", "gaussian"])
def test_times_equals_applying_again(image, name):
    fn = getattr(filters, name)
    np.testing.assert_allclose(fn(image, times=3), fn(fn(fn(image))), rtol=1e-6, atol=1e-7)


def test_mean_ten_times_smooths_more():
    noise = np.random.default_rng(0).random((40, 40))
    assert filters.mean(noise, times=10).std() < filters.mean(noise).std() < noise.std()


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda x: filters.gaussian(x, 0), ["sigma", "sigma=0", "> 0"]),
        (lambda x: filters.gaussian(x, -1.5), ["sigma", "-1.5", "> 0"]),
        (lambda x: filters.gaussian(x, 1, truncate=0), ["truncate", "0"]),
        (lambda x: filters.gaussian(x, 1, border="reflex"), ["border", "'reflex'", "'mirror'"]),
        (lambda x: filters.mean(x, 4), ["size", "4", "odd"]),
        (lambda x: filters.median(x, radius=-1), ["radius", "-1"]),
        (lambda x: filters.mean(x, times=-2), ["times", "-2"]),
    ],
)
def test_bad_arguments(image, call, words):
    with pytest.raises(ValueError) as info:
        call(image)
    for word in words:
        assert word in str(info.value)
