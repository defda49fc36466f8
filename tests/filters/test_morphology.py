import numpy as np
import pytest
import scipy.ndimage as ndi

from convlens import filters

BORDERS = ["constant", "reflect", "mirror", "nearest", "wrap"]
PAIRS = [
    ("dilate", ndi.grey_dilation),
    ("erode", ndi.grey_erosion),
    ("opening", ndi.grey_opening),
    ("closing", ndi.grey_closing),
]


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("name, ref", PAIRS)
def test_square_matches_scipy(image, border, name, ref):
    ours = getattr(filters, name)(image, 3, border=border, cval=0.5)
    np.testing.assert_array_equal(ours, ref(image, size=3, mode=border, cval=0.5))


@pytest.mark.parametrize("kind, radius", [("disc", 2), ("cross", 1), ("cross", 2)])
@pytest.mark.parametrize("name, ref", PAIRS)
def test_symmetric_footprints_match_scipy(image, kind, radius, name, ref):
    fp = filters.footprint(kind, radius=radius)
    ours = getattr(filters, name)(image, radius=radius, footprint=kind)
    np.testing.assert_array_equal(ours, ref(image, footprint=fp))


def test_dilate_is_the_max_filter_for_asymmetric_footprints(image):
    fp = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 0]], dtype=bool)
    np.testing.assert_array_equal(filters.dilate(image, footprint=fp), ndi.maximum_filter(image, footprint=fp))
    np.testing.assert_array_equal(filters.erode(image, footprint=fp), ndi.minimum_filter(image, footprint=fp))


def test_times_grows_the_dilation():
    dot = np.zeros((11, 11))
    dot[5, 5] = 1
    np.testing.assert_array_equal(filters.dilate(dot, times=2), filters.dilate(dot, size=5))
    assert filters.dilate(dot, footprint="cross", times=3).sum() == 25  # a diamond of radius 3


def test_opening_removes_small_bright_details_and_keeps_large_ones():
    image = np.zeros((12, 12))
    image[2:7, 2:7] = 1  # a 5 x 5 block survives a 3 x 3 opening
    image[9, 9] = 1  # a single pixel does not
    out = filters.opening(image, 3)
    assert out[9, 9] == 0 and out[2:7, 2:7].all()
