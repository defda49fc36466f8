"""Pooling layers against an explicit NumPy reference (TensorFlow padding, padding left out of averages)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convlens import layers
from convlens.layers.conv import apply_padding, pad_amounts

from .reference import pool_nd

rng = np.random.default_rng(1)

CASES = [
    (n, pool, stride, padding)
    for n in (5, 6, 7, 8)
    for pool in (1, 2, 3, 4)
    for stride in (None, 1, 2, 3)
    for padding in ("valid", "same")
    if padding == "same" or n >= pool
]


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("n,pool,stride,padding", CASES)
def test_pool2d_matches_reference(mode, n, pool, stride, padding):
    cls = layers.MaxPooling2D if mode == "max" else layers.AveragePooling2D
    layer = cls(pool, strides=stride, padding=padding)
    x = rng.standard_normal((2, n, n + 1, 3)).astype(np.float32)
    y = layer(torch.as_tensor(x)).numpy()
    s = stride or pool
    expected = pool_nd(x, (pool, pool), (s, s), padding, mode)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    assert y.shape[1:] == layer.compute_output_shape((None, n, n + 1, 3))[1:]


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pool1d_and_3d_match_reference(mode, padding):
    x1 = rng.standard_normal((2, 9, 2)).astype(np.float32)
    cls1 = layers.MaxPooling1D if mode == "max" else layers.AveragePooling1D
    np.testing.assert_allclose(cls1(3, strides=2, padding=padding)(torch.as_tensor(x1)).numpy(),
                               pool_nd(x1, (3,), (2,), padding, mode), rtol=1e-5, atol=1e-6)
    x3 = rng.standard_normal((1, 5, 4, 6, 2)).astype(np.float32)
    cls3 = layers.MaxPooling3D if mode == "max" else layers.AveragePooling3D
    np.testing.assert_allclose(cls3((2, 3, 2), strides=(2, 1, 3), padding=padding)(torch.as_tensor(x3)).numpy(),
                               pool_nd(x3, (2, 3, 2), (2, 1, 3), padding, mode), rtol=1e-5, atol=1e-6)


def test_same_max_pool_never_picks_the_padding():
    x = -np.ones((1, 3, 3, 1), np.float32)  # all negative: a zero pad would win
    assert (layers.MaxPooling2D(2, padding="same")(torch.as_tensor(x)).numpy() == -1).all()


def test_global_pooling():
    x = rng.standard_normal((2, 4, 5, 3)).astype(np.float32)
    t = torch.as_tensor(x)
    np.testing.assert_allclose(layers.GlobalAveragePooling2D()(t).numpy(), x.mean(axis=(1, 2)), rtol=1e-5)
    np.testing.assert_allclose(layers.GlobalMaxPooling2D()(t).numpy(), x.max(axis=(1, 2)))
    assert layers.GlobalAveragePooling2D(keepdims=True)(t).shape == (2, 1, 1, 3)
    x1 = torch.as_tensor(x[:, 0])
    np.testing.assert_allclose(layers.GlobalMaxPooling1D()(x1).numpy(), x[:, 0].max(axis=1))
    np.testing.assert_allclose(layers.GlobalAveragePooling1D()(x1).numpy(), x[:, 0].mean(axis=1), rtol=1e-5)


def test_pool_larger_than_valid_input_is_refused():
    with pytest.raises(ValueError, match=r"pool_size=\(4, 4\) is larger than the input"):
        layers.MaxPooling2D(4)(torch.zeros(1, 3, 3, 1))
    with pytest.raises(ValueError, match="pool_size"):
        layers.MaxPooling2D(-1)
    with pytest.raises(ValueError, match="padding='full'"):
        layers.AveragePooling2D(padding="full")


def test_pooling_has_no_weights():
    layer = layers.MaxPooling2D()
    layer(torch.zeros(1, 4, 4, 1))
    assert layer.count_params() == 0 and layer.get_weights() == []


@pytest.mark.parametrize("cls", [layers.MaxPooling2D, layers.AveragePooling2D])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pool_on_channels_first_equals_the_layer(cls, padding):
    layer = cls(3, strides=2, padding=padding)
    x = torch.as_tensor(rng.standard_normal((2, 7, 8, 3)).astype(np.float32))
    y = layer.pool(x.movedim(-1, 1))  # (N, C, H, W) view in, (N, C, H', W') out
    assert torch.equal(y.movedim(1, -1), layer(x))
    np.testing.assert_allclose(y.movedim(1, -1).numpy(), pool_nd(x.numpy(), (3, 3), (2, 2), padding,
                                                                 "max" if cls is layers.MaxPooling2D else "average"),
                               rtol=1e-5, atol=1e-6)


def test_valid_max_pooling_pads_nothing():
    x = torch.zeros(1, 2, 6, 6)
    padded, symmetric = apply_padding(x, pad_amounts(x.shape[2:], (2, 2), (2, 2), (1, 1), "valid"), float("-inf"))
    assert padded is x and symmetric == (0, 0)  # the kernel is called on the input itself: no copy


@pytest.mark.parametrize("shape", [(3, 26, 26, 5), (2, 13, 13, 4), (2, 7, 8, 3), (2, 2, 5, 1), (1, 14, 14, 32)])
def test_max_pooling_without_gradients_equals_torch_pooling_nan_included(shape):
    """Inference takes the strided-maxima path (max_of_strided_views); it must equal F.max_pool2d exactly."""
    from convlens.layers.pooling import max_of_strided_views

    x = torch.randn(*shape)
    x.view(-1)[::7] = float("nan")
    x.view(-1)[3::11] = float("-inf")
    pool = layers.MaxPooling2D()
    with torch.no_grad():
        got = pool(x)
    expected = F.max_pool2d(x.movedim(-1, 1), 2).movedim(1, -1)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=0, atol=0, equal_nan=True)
    fast = max_of_strided_views(x.movedim(-1, 1))
    assert fast.is_contiguous(memory_format=torch.channels_last)  # stays channels-last for the next layer
    torch.testing.assert_close(fast, expected.movedim(-1, 1), rtol=0, atol=0, equal_nan=True)


def test_max_pooling_takes_the_strided_path_only_where_it_is_exact_and_faster(monkeypatch):
    from convlens.layers import pooling

    calls = []
    monkeypatch.setattr(pooling, "max_of_strided_views", lambda x: calls.append(x.shape) or F.max_pool2d(x, 2))
    x = torch.randn(2, 6, 6, 3)
    with torch.no_grad():
        layers.MaxPooling2D()(x)  # taken
        layers.MaxPooling2D(3)(x)  # 3 x 3 windows: torch's pooling
        layers.MaxPooling2D(2, strides=1)(x)
        layers.MaxPooling2D(padding="same")(torch.randn(2, 5, 5, 3))  # padded: torch's pooling
        layers.MaxPooling2D()(torch.randn(1, 64, 64, 2))  # any size (a large batch goes through in pieces)
    layers.MaxPooling2D()(x.requires_grad_())  # a gradient is needed: torch's pooling (it keeps the indices)
    assert calls == [(2, 3, 6, 6), (1, 2, 64, 64)]


@pytest.mark.parametrize("channels_last", [True, False])
def test_a_large_batch_is_pooled_in_pieces_into_one_output_equal_to_torch_pooling(monkeypatch, channels_last):
    from convlens.layers import pooling

    x = torch.randn(21, 27, 30, 3)  # odd height: the last row is dropped, as "valid" pooling does
    x.view(-1)[::13] = float("nan")
    x = x.movedim(-1, 1) if channels_last else x.movedim(-1, 1).contiguous()  # (N, C, H, W)
    expected = F.max_pool2d(x, 2)
    image = x[0].numel() * 4
    monkeypatch.setattr(pooling, "_STRIDED_WHOLE_BYTES", 4 * image)  # this batch counts as large
    monkeypatch.setattr(pooling, "_STRIDED_CHUNK_BYTES", 5 * image)  # 5 images a piece: 5 pieces, the last of 1
    pieces = []
    strided_max = pooling._strided_max
    monkeypatch.setattr(pooling, "_strided_max", lambda x, *args: pieces.append(len(x)) or strided_max(x, *args))
    got = pooling.max_of_strided_views(x)
    assert pieces == [5, 5, 5, 5, 1]
    torch.testing.assert_close(got, expected, rtol=0, atol=0, equal_nan=True)
    assert got.is_contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    pieces.clear()
    with torch.enable_grad():  # with a gradient to record, the batch is pooled whole (out= records none)
        whole = pooling.max_of_strided_views(x.clone().requires_grad_())
    assert pieces == [21] and whole.requires_grad
    torch.testing.assert_close(whole.detach(), expected, rtol=0, atol=0, equal_nan=True)


def test_a_real_large_batch_pools_equal_to_torch_pooling():
    x = torch.randn(300, 26, 26, 32)  # 26 MB: pooled in pieces at the shipped sizes
    with torch.no_grad():
        got = layers.MaxPooling2D()(x)
    torch.testing.assert_close(got, F.max_pool2d(x.movedim(-1, 1), 2).movedim(1, -1), rtol=0, atol=0)
