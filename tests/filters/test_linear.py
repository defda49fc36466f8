import numpy as np
import pytest
import scipy.ndimage as ndi
import torch

from convlens import filters

BORDERS = ["constant", "reflect", "mirror", "nearest", "wrap"]
FLOAT32 = {"rtol": 1e-5, "atol": 1e-5}


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (1, 7)])
def test_correlate_and_convolve_match_scipy(image, border, shape):
    kernel = np.random.default_rng(2).normal(size=shape)
    image64 = image.astype(np.float64)
    ours = filters.correlate(image, kernel, border=border, cval=0.7)
    np.testing.assert_allclose(ours, ndi.correlate(image64, kernel, mode=border, cval=0.7), **FLOAT32)
    ours = filters.convolve(image, kernel, border=border, cval=0.7)
    np.testing.assert_allclose(ours, ndi.convolve(image64, kernel, mode=border, cval=0.7), **FLOAT32)


def test_convolve_flips_the_kernel():
    image = np.random.default_rng(0).random((6, 8))
    kernel = np.arange(9.0).reshape(3, 3)
    np.testing.assert_allclose(filters.convolve(image, kernel), filters.correlate(image, kernel[::-1, ::-1]))
    assert not np.allclose(filters.convolve(image, kernel), filters.correlate(image, kernel))


def test_valid_correlation_equals_torch_conv2d(image):
    # A deep-learning "convolution" is a correlation with padding="valid".
    kernel = filters.kernel("sobel")
    expected = torch.nn.functional.conv2d(torch.from_numpy(image)[None, None], torch.from_numpy(kernel)[None, None])
    ours = filters.correlate(image, kernel, padding="valid", stride=1)
    np.testing.assert_allclose(ours, expected[0, 0].numpy(), **FLOAT32)
    strided = torch.nn.functional.conv2d(
        torch.from_numpy(image)[None, None], torch.from_numpy(kernel)[None, None], stride=2
    )
    np.testing.assert_allclose(filters.correlate(image, kernel, padding="valid", stride=2), strided[0, 0], **FLOAT32)


def test_kernel_errors_name_kernel():
    with pytest.raises(ValueError, match=r"`kernel` must be a 2D array with odd height and width.*\(2, 2\)"):
        filters.correlate(np.zeros((4, 4)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="`kernel` must be finite"):
        filters.convolve(np.zeros((4, 4)), [[0.0, np.nan, 1.0]])


def test_prewitt_initialises_a_conv2d():
    layers = pytest.importorskip("convlens.layers")
    if not hasattr(layers, "Conv2D"):
        pytest.skip("convlens.layers.Conv2D is not available yet")
    images = np.random.default_rng(0).random((2, 12, 10, 1), dtype=np.float32)
    conv = layers.Conv2D(1, 3, use_bias=False)
    conv(torch.from_numpy(images))  # builds the kernel
    conv.set_weights([filters.kernel("prewitt")[:, :, None, None]])
    out = conv(torch.from_numpy(images))
    out = out.detach().cpu().numpy() if isinstance(out, torch.Tensor) else np.asarray(out)
    np.testing.assert_allclose(out, filters.correlate(images, filters.PREWITT, padding="valid"), **FLOAT32)
