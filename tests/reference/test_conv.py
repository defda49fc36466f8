"""reference.conv against convlens's Conv1D/Conv2D forward, torch autograd's gradients and finite differences."""

import itertools

import numpy as np
import pytest
import torch

from convlens import layers, reference

CONFIGS_2D = [(s, p, d) for s, p, d in itertools.product((1, 2, 3), ("valid", "same"), (1, 2)) if s == 1 or d == 1]


def _layer_and_grads(rank, x, kernel, bias, strides, padding, dilation):
    """convlens's own layer with the reference's weights: its output and autograd's (dx, dkernel, dbias) for Σ y·g."""
    cls = layers.Conv1D if rank == 1 else layers.Conv2D
    layer = cls(kernel.shape[-1], kernel.shape[:-2], strides, padding, dilation_rate=dilation)
    layer.build_from_shape((None, *x.shape[1:]))
    layer.set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
    layer.double()
    xt = torch.tensor(x, requires_grad=True)
    y = layer(xt)
    g = np.random.default_rng(1).normal(size=tuple(y.shape))
    (y * torch.tensor(g)).sum().backward()
    for weight in layer.parameters():  # read the grads in Keras's layout: swap them in, then get_weights
        weight.data = weight.grad.clone()
    dkernel, dbias = layer.get_weights()
    return y.detach().numpy(), g, xt.grad.numpy(), dkernel, dbias


@pytest.mark.parametrize("strides,padding,dilation", CONFIGS_2D)
@pytest.mark.parametrize("seed", [0, 1])
def test_conv2d_equals_layer_and_autograd(strides, padding, dilation, seed):
    rng = np.random.default_rng(seed)
    h, w, c, f, kh, kw = rng.integers(7, 11), rng.integers(7, 11), rng.integers(1, 4), rng.integers(1, 4), \
        rng.integers(1, 4), rng.integers(2, 4)
    x = rng.normal(size=(2, h, w, c))
    kernel = rng.normal(size=(kh, kw, c, f)).astype(np.float32).astype(np.float64)
    bias = rng.normal(size=f).astype(np.float32).astype(np.float64)
    y_layer, g, dx_t, dk_t, db_t = _layer_and_grads(2, x, kernel, bias, strides, padding, dilation)
    y = reference.conv2d_forward(x, kernel, bias, strides, padding, dilation)
    np.testing.assert_allclose(y, y_layer, rtol=1e-6, atol=1e-6)
    dx, dk, db = reference.conv2d_backward(x, kernel, g, strides, padding, dilation)
    np.testing.assert_allclose(dx, dx_t, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(dk, dk_t, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(db, db_t, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("strides,padding,dilation", [(1, "valid", 1), (2, "same", 1), (1, "same", 3), (3, "valid", 1)])
def test_conv1d_equals_layer_and_autograd(strides, padding, dilation):
    rng = np.random.default_rng(strides + dilation)
    x = rng.normal(size=(3, 13, 2))
    kernel = rng.normal(size=(4, 2, 3)).astype(np.float32).astype(np.float64)
    bias = rng.normal(size=3).astype(np.float32).astype(np.float64)
    y_layer, g, dx_t, dk_t, db_t = _layer_and_grads(1, x, kernel, bias, strides, padding, dilation)
    np.testing.assert_allclose(reference.conv1d_forward(x, kernel, bias, strides, padding, dilation), y_layer,
                               rtol=1e-6, atol=1e-6)
    for mine, theirs in zip(reference.conv1d_backward(x, kernel, g, strides, padding, dilation), (dx_t, dk_t, db_t)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-5)


def test_same_padding_puts_the_odd_pixel_bottom_right():
    # 4 pixels, kernel 2, stride 1: one pixel of padding, after (TensorFlow); output[-1] = x[-1]·w[0] + 0·w[1]
    x = np.arange(1.0, 5.0).reshape(1, 4, 1)
    y = reference.conv1d_forward(x, np.array([1.0, 10.0]).reshape(2, 1, 1), padding="same")
    np.testing.assert_array_equal(y[0, :, 0], [21, 32, 43, 4])


def test_kernel_gradient_equals_finite_differences():
    rng = np.random.default_rng(3)
    x, kernel = rng.normal(size=(1, 6, 5, 2)), rng.normal(size=(3, 2, 2, 2))
    g = rng.normal(size=reference.conv2d_forward(x, kernel, None, 2, "same").shape)
    _, dk, _ = reference.conv2d_backward(x, kernel, g, 2, "same")
    h = 1e-6
    for index in np.ndindex(kernel.shape):
        step = np.zeros_like(kernel)
        step[index] = h
        up = (reference.conv2d_forward(x, kernel + step, None, 2, "same") * g).sum()
        down = (reference.conv2d_forward(x, kernel - step, None, 2, "same") * g).sum()
        assert dk[index] == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-8)


def test_bad_shapes_raise_the_layers_errors():
    with pytest.raises(ValueError, match="does not fit the input"):
        reference.conv2d_forward(np.zeros((1, 4, 4, 1)), np.zeros((5, 5, 1, 1)))
    with pytest.raises(ValueError, match="expected ndim=4"):
        reference.conv2d_forward(np.zeros((4, 4, 1)), np.zeros((3, 3, 1, 1)))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        reference.conv2d_forward(np.zeros((1, 6, 6, 1)), np.zeros((3, 3, 3, 2)))
    with pytest.raises(ValueError, match="padding"):
        reference.conv2d_forward(np.zeros((1, 6, 6, 1)), np.zeros((3, 3, 1, 2)), padding="full")
    with pytest.raises(ValueError, match="kernel: expected shape"):
        reference.conv2d_forward(np.zeros((1, 6, 6, 1)), np.zeros((3, 3)))
