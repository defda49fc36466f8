import numpy as np
import pytest
import scipy.ndimage as ndi
import skimage.filters

from convlens import filters

BORDERS = ["constant", "reflect", "mirror", "nearest", "wrap"]
FLOAT32 = {"rtol": 1e-5, "atol": 1e-5}


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("name", ["prewitt", "sobel"])
def test_gradient_axis_matches_scipy(image, border, axis, name):
    ref = getattr(ndi, name)(image.astype(np.float64), axis=axis, mode=border)
    np.testing.assert_allclose(getattr(filters, name)(image, axis=axis, border=border), ref, **FLOAT32)


@pytest.mark.parametrize("axis", [0, 1])
def test_scharr_axis_is_correlation_with_its_kernel(image, axis):
    ref = ndi.correlate(image.astype(np.float64), filters.kernel("scharr", axis=axis, dtype=float), mode="reflect")
    np.testing.assert_allclose(filters.scharr(image, axis=axis), ref, **FLOAT32)


@pytest.mark.parametrize("name, scale", [("prewitt", 3), ("sobel", 4), ("scharr", 16)])
def test_magnitude_is_skimage_times_its_normalisation(image, name, scale):
    ref = getattr(skimage.filters, name)(image.astype(np.float64)) * scale * np.sqrt(2)
    np.testing.assert_allclose(getattr(filters, name)(image), ref, **FLOAT32)


def test_magnitude_is_hypot_of_the_axes(image):
    expected = np.hypot(filters.sobel(image, 0), filters.sobel(image, 1))
    np.testing.assert_allclose(filters.sobel(image), expected, rtol=1e-6)


def test_gradient_signs_by_hand():
    step = np.array([[0, 0, 1, 1]] * 4)  # brighter to the right
    assert filters.prewitt(step, axis=1)[1, 1] == 3  # x[i, j+1] - x[i, j-1] summed over 3 rows
    np.testing.assert_array_equal(filters.prewitt(step, axis=0), np.zeros((4, 4)))
    assert (filters.sobel(step.T, axis=0)[1:3, 1] == 4).all()  # brighter downwards


@pytest.mark.parametrize("border", BORDERS)
def test_laplacian_matches_laplace(image, border):
    ref = ndi.laplace(image.astype(np.float64), mode=border, cval=0.2)
    np.testing.assert_allclose(filters.laplacian(image, border=border, cval=0.2), ref, **FLOAT32)


@pytest.mark.parametrize("name", ["sharpen", "line"])
def test_fixed_kernels_are_correlations(image, name):
    weights = filters.SHARPEN if name == "sharpen" else filters.LINE_DIAGONAL
    ours = filters.sharpen(image) if name == "sharpen" else filters.line(image, "diagonal")
    np.testing.assert_allclose(ours, ndi.correlate(image.astype(np.float64), weights, mode="reflect"), **FLOAT32)


@pytest.mark.parametrize("direction", ["horizontal", "vertical", "diagonal", "antidiagonal"])
def test_each_line_detector_prefers_its_own_direction(direction):
    drawings = {
        "horizontal": np.pad(np.ones((1, 9)), 4),
        "vertical": np.pad(np.ones((9, 1)), 4),
        "diagonal": np.pad(np.eye(9), 4),
        "antidiagonal": np.pad(np.fliplr(np.eye(9)), 4),
    }
    responses = {name: filters.line(drawings[direction], name).max() for name in filters.LINES}
    assert max(responses, key=responses.get) == direction
    assert responses[direction] == 6


def test_sharpen_keeps_flat_areas_and_boosts_a_dot():
    image = np.full((5, 5), 10.0)
    image[2, 2] = 20.0
    out = filters.sharpen(image)
    assert out[0, 0] == 10 and out[2, 2] == 60 and out[1, 2] == 0


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda x: filters.sobel(x, axis=2), ["axis", "axis=2", "0, 1, None"]),
        (lambda x: filters.prewitt(x, axis="x"), ["axis", "'x'"]),
        (lambda x: filters.line(x, "up"), ["direction", "'up'", "'horizontal'", "'antidiagonal'"]),
        (lambda x: filters.laplacian(x, border="same"), ["border", "'same'"]),
    ],
)
def test_bad_arguments(image, call, words):
    with pytest.raises(ValueError) as info:
        call(image)
    for word in words:
        assert word in str(info.value)
