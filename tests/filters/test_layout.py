"""The input rule: 2D one image, 3D one colour image, 4D a batch; NumPy in →
NumPy out, torch in → torch out on the same device; the dtype rule."""

import numpy as np
import pytest
import scipy.ndimage as ndi
import torch

from convlens import filters

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_colour_channels_are_filtered_separately(colour):
    one = colour[0]
    out = filters.median(one, 3)
    assert out.shape == one.shape
    for c in range(3):
        np.testing.assert_array_equal(out[..., c], ndi.median_filter(one[..., c], 3))


def test_batch_images_are_filtered_separately(colour):
    out = filters.gaussian(colour, 1.5, border="wrap")
    assert out.shape == colour.shape
    for n in range(colour.shape[0]):
        for c in range(3):
            ref = ndi.gaussian_filter(colour[n, :, :, c].astype(np.float64), 1.5, mode="wrap")
            np.testing.assert_allclose(out[n, :, :, c], ref, rtol=1e-5, atol=1e-6)


def test_strided_valid_batch_shape(colour):
    assert filters.slide(colour, "max", size=3, stride=2, padding="valid").shape == (2, 4, 5, 3)


@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.uint8, np.float32),
        (np.int64, np.float32),
        (np.uint16, np.float32),
        (np.bool_, np.float32),
        (np.float16, np.float32),
        (np.float32, np.float32),
        (np.float64, np.float64),
    ],
)
def test_dtype_rule(dtype, expected):
    image = (np.arange(30).reshape(5, 6) % 3).astype(dtype)
    out = filters.mean(image)
    assert out.dtype == expected
    np.testing.assert_allclose(out, ndi.uniform_filter(image.astype(np.float64), 3), rtol=1e-6)


def test_integer_images_do_not_overflow():
    image = np.full((4, 4), 250, dtype=np.uint8)
    assert filters.slide(image, "sum")[1, 1] == 2250


def test_big_endian_and_non_contiguous_numpy_input():
    image = np.random.default_rng(0).random((8, 10))
    np.testing.assert_allclose(filters.mean(image.astype(">f8")), filters.mean(image))
    np.testing.assert_allclose(filters.mean(image[::-1, ::2]), ndi.uniform_filter(image[::-1, ::2], 3))


@pytest.mark.parametrize(
    "call",
    [
        lambda x: filters.mean(x, 1),  # 1 x 1 windows: the result equals the input, yet is a copy
        lambda x: filters.median(x, 1, border="ignore"),
        lambda x: filters.dilate(x, 1),
        lambda x: filters.slide(x, "max", size=1, padding="valid"),
        lambda x: filters.sobel(x, 1),
    ],
)
def test_output_never_aliases_the_input(call):
    image = np.random.default_rng(0).random((6, 7), dtype=np.float32)
    before = image.copy()
    call(image)[...] = -5
    call(torch.from_numpy(image))[...] = -5
    np.testing.assert_array_equal(image, before)


def test_torch_in_torch_out():
    image = torch.rand(10, 12, 3, dtype=torch.float64)
    out = filters.sobel(image)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64 and out.shape == image.shape
    np.testing.assert_allclose(out.numpy(), filters.sobel(image.numpy()))
    assert filters.mean(torch.ones(4, 4, dtype=torch.uint8)).dtype == torch.float32
    assert filters.mean(torch.ones(4, 4, dtype=torch.bfloat16)).dtype == torch.float32


def test_torch_input_with_gradient_is_accepted():
    image = torch.rand(6, 6, requires_grad=True)
    assert not filters.median(image).requires_grad


@CUDA
@pytest.mark.parametrize(
    "call",
    [
        lambda x: filters.gaussian(x, 2),
        lambda x: filters.median(x, 3),
        lambda x: filters.median(x, 5),
        lambda x: filters.median(x, 3, border="ignore"),
        lambda x: filters.mean(x, 3, border="ignore"),
        lambda x: filters.sobel(x),
        lambda x: filters.dilate(x, footprint="disc", radius=2),
        lambda x: filters.slide(x, "max", size=3, stride=2, padding="valid"),
    ],
)
def test_gpu_tensors_are_filtered_on_the_gpu(colour, call):
    image = torch.from_numpy(colour).cuda()
    out = call(image)
    assert out.device == image.device
    np.testing.assert_allclose(out.cpu().numpy(), call(colour), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "image, error, words",
    [
        (np.zeros(5), ValueError, ["image", "2D (H, W)", "3D (H, W, C)", "4D (N, H, W, C)", "(5,)"]),
        (np.zeros((1, 2, 3, 4, 5)), ValueError, ["image", "(1, 2, 3, 4, 5)"]),
        (np.zeros((0, 5)), ValueError, ["image", "at least one pixel", "(0, 5)"]),
        (np.zeros((2, 0, 3)), ValueError, ["image", "(2, 0, 3)"]),
        (np.zeros((3, 3), dtype=complex), TypeError, ["image", "complex"]),
        (np.array([["a", "b"]]), TypeError, ["image", "<U1"]),
        (torch.zeros(3, 3, dtype=torch.complex64), TypeError, ["image", "complex"]),
    ],
)
def test_bad_images(image, error, words):
    with pytest.raises(error) as info:
        filters.mean(image)
    for word in words:
        assert word in str(info.value)
