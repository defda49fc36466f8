import numpy as np
import pytest
import scipy.ndimage as ndi

from convlens import filters

CONSTANTS = ["PREWITT", "SOBEL", "SCHARR", "LAPLACIAN", "SHARPEN", "LINE_HORIZONTAL", "LINE_VERTICAL",
             "LINE_DIAGONAL", "LINE_ANTIDIAGONAL", "DERIVATIVE"]


@pytest.mark.parametrize("name", CONSTANTS)
def test_constants_are_read_only(name):
    with pytest.raises(ValueError):
        getattr(filters, name)[0] = 1


def test_kernels_by_hand():
    np.testing.assert_array_equal(filters.SOBEL, [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(filters.PREWITT, [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]])
    np.testing.assert_array_equal(filters.LINE_HORIZONTAL[:, 0], [-1, 2, -1])
    np.testing.assert_array_equal(filters.LINE_DIAGONAL.diagonal(), [2, 2, 2])
    np.testing.assert_array_equal(np.fliplr(filters.LINE_ANTIDIAGONAL).diagonal(), [2, 2, 2])
    assert filters.SHARPEN.sum() == 1 and filters.LAPLACIAN.sum() == 0
    for name in ("LINE_HORIZONTAL", "LINE_VERTICAL", "LINE_DIAGONAL", "LINE_ANTIDIAGONAL"):
        assert getattr(filters, name).sum() == 0  # no response on flat areas


@pytest.mark.parametrize("name", ["sobel", "prewitt"])
def test_edge_kernels_are_scipys_impulse_responses(name):
    impulse = np.zeros((3, 3))
    impulse[1, 1] = 1
    for axis in (0, 1):
        # Correlating an impulse gives the kernel flipped.
        response = getattr(ndi, name)(impulse, axis=axis, mode="constant")
        np.testing.assert_array_equal(filters.kernel(name, axis=axis), response[::-1, ::-1])


def test_kernel_returns_fresh_float32_copies():
    k = filters.kernel("prewitt")
    assert k.dtype == np.float32 and k.flags.writeable
    k[0, 0] = 99
    assert filters.PREWITT[0, 0] == -1
    assert filters.kernel("laplacian", dtype=np.float64).dtype == np.float64


def test_mean_and_gaussian_kernels():
    np.testing.assert_allclose(filters.kernel("mean", size=3), np.full((3, 3), 1 / 9))
    assert filters.kernel("mean", size=(1, 5)).shape == (1, 5)
    g = filters.kernel("gaussian", sigma=2, dtype=np.float64)
    assert g.shape == (17, 17)
    impulse = np.zeros((17, 17))
    impulse[8, 8] = 1
    np.testing.assert_allclose(g, ndi.gaussian_filter(impulse, 2, mode="constant"), atol=1e-15)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"name": "emboss"}, ["name", "'emboss'", "'sobel'", "'gaussian'"]),
        ({"name": "sobel", "axis": 2}, ["axis", "2"]),
        ({"name": "mean", "size": 4}, ["size", "4", "odd"]),
        ({"name": "gaussian", "sigma": 0}, ["sigma", "0", "> 0"]),
    ],
)
def test_bad_kernel_arguments(kwargs, words):
    with pytest.raises(ValueError) as info:
        filters.kernel(**kwargs)
    for word in words:
        assert word in str(info.value)
