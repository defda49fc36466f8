"""Convolution layers against an explicit-loop NumPy reference, for many sizes, strides and dilations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from convlens import layers
from convlens.layers import activations

from .reference import conv_nd, tf_pads

rng = np.random.default_rng(0)

CASES_2D = [
    # (H, W, kernel, strides, dilation, padding)
    (h, w, k, s, d, p)
    for h, w in [(7, 7), (8, 9), (5, 6)]
    for k in [(1, 1), (2, 2), (3, 3), (4, 2), (5, 3)]
    for s, d in [((1, 1), (1, 1)), ((2, 2), (1, 1)), ((3, 2), (1, 1)), ((1, 1), (2, 2)), ((1, 1), (1, 3))]
    for p in ["valid", "same"]
    if p == "same" or all(n >= (kk - 1) * dd + 1 for n, kk, dd in zip((h, w), k, d))
]


@pytest.mark.parametrize("h,w,k,s,d,padding", CASES_2D)
def test_conv2d_matches_reference(h, w, k, s, d, padding):
    x = rng.standard_normal((2, h, w, 3)).astype(np.float32)
    conv = layers.Conv2D(4, k, strides=s, dilation_rate=d, padding=padding)
    conv.build_from_shape((None, h, w, 3))
    kernel = rng.standard_normal((*k, 3, 4)).astype(np.float32)
    bias = rng.standard_normal(4).astype(np.float32)
    conv.set_weights([kernel, bias])
    y = conv(torch.as_tensor(x)).detach().numpy()
    np.testing.assert_allclose(y, conv_nd(x, kernel, bias, s, d, padding), rtol=1e-4, atol=1e-4)
    assert y.shape[1:] == conv.compute_output_shape((None, h, w, 3))[1:]


@pytest.mark.parametrize("n,k,s,d,padding", [
    (11, 4, 2, 1, "same"), (10, 3, 1, 2, "same"), (9, 2, 3, 1, "valid"), (12, 5, 1, 1, "valid"), (7, 7, 1, 1, "same"),
])
def test_conv1d_matches_reference(n, k, s, d, padding):
    x = rng.standard_normal((2, n, 2)).astype(np.float32)
    conv = layers.Conv1D(3, k, strides=s, dilation_rate=d, padding=padding)
    conv.build_from_shape((None, n, 2))
    kernel = rng.standard_normal((k, 2, 3)).astype(np.float32)
    conv.set_weights([kernel, np.zeros(3, np.float32)])
    np.testing.assert_allclose(conv(torch.as_tensor(x)).detach().numpy(), conv_nd(x, kernel, None, (s,), (d,), padding),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("k,d", [(3, 1), (2, 3), (4, 2)])
def test_conv1d_causal_sees_only_the_past(k, d):
    x = rng.standard_normal((1, 10, 1)).astype(np.float32)
    conv = layers.Conv1D(1, k, padding="causal", dilation_rate=d, use_bias=False)
    conv.build_from_shape((None, 10, 1))
    kernel = rng.standard_normal((k, 1, 1)).astype(np.float32)
    conv.set_weights([kernel])
    y = conv(torch.as_tensor(x)).detach().numpy()[0, :, 0]
    left = np.pad(x[0, :, 0], ((k - 1) * d, 0))
    expected = [sum(kernel[j, 0, 0] * left[t + j * d] for j in range(k)) for t in range(10)]
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    # Changing a future sample never changes an earlier output.
    x2 = x.copy(); x2[0, 7, 0] += 5
    y2 = conv(torch.as_tensor(x2)).detach().numpy()[0, :, 0]
    np.testing.assert_array_equal(y[:7], y2[:7])


@pytest.mark.parametrize("strides,padding", [((1, 1, 1), "same"), ((2, 1, 2), "same"), ((1, 2, 1), "valid")])
def test_conv3d_matches_reference(strides, padding):
    x = rng.standard_normal((1, 5, 6, 4, 2)).astype(np.float32)
    conv = layers.Conv3D(3, (3, 2, 3), strides=strides, padding=padding)
    conv.build_from_shape((None, 5, 6, 4, 2))
    kernel = rng.standard_normal((3, 2, 3, 2, 3)).astype(np.float32)
    conv.set_weights([kernel, np.ones(3, np.float32)])
    np.testing.assert_allclose(conv(torch.as_tensor(x)).detach().numpy(),
                               conv_nd(x, kernel, np.ones(3), strides, (1, 1, 1), padding), rtol=1e-4, atol=1e-4)


def test_grouped_conv_equals_separate_convs():
    x = rng.standard_normal((2, 6, 6, 4)).astype(np.float32)
    conv = layers.Conv2D(6, 3, groups=2, use_bias=False)
    conv.build_from_shape((None, 6, 6, 4))
    (kernel,) = conv.get_weights()
    assert kernel.shape == (3, 3, 2, 6)
    y = conv(torch.as_tensor(x)).detach().numpy()
    first = conv_nd(x[..., :2], kernel[..., :3], None, (1, 1), (1, 1), "valid")
    second = conv_nd(x[..., 2:], kernel[..., 3:], None, (1, 1), (1, 1), "valid")
    np.testing.assert_allclose(y, np.concatenate([first, second], -1), rtol=1e-4, atol=1e-4)


def test_depthwise_and_separable_match_reference():
    x = rng.standard_normal((2, 7, 7, 3)).astype(np.float32)
    dw = layers.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2)
    dw.build_from_shape((None, 7, 7, 3))
    kernel = rng.standard_normal((3, 3, 3, 2)).astype(np.float32)
    dw.set_weights([kernel, np.zeros(6, np.float32)])
    y = dw(torch.as_tensor(x)).detach().numpy()
    for c in range(3):
        for m in range(2):
            ref = conv_nd(x[..., c : c + 1], kernel[:, :, c : c + 1, m : m + 1], None, (2, 2), (1, 1), "same")
            np.testing.assert_allclose(y[..., c * 2 + m], ref[..., 0], rtol=1e-4, atol=1e-4)
    sep = layers.SeparableConv2D(5, 3, strides=2, padding="same", depth_multiplier=2)
    sep.build_from_shape((None, 7, 7, 3))
    pointwise = rng.standard_normal((1, 1, 6, 5)).astype(np.float32)
    sep.set_weights([kernel, pointwise, np.zeros(5, np.float32)])
    np.testing.assert_allclose(sep(torch.as_tensor(x)).detach().numpy(), y @ pointwise[0, 0], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("n,k,s,padding", [
    (5, 3, 2, "same"), (4, 4, 2, "same"), (5, 3, 2, "valid"), (3, 1, 3, "valid"),
    (4, 2, 3, "same"), (6, 5, 1, "same"), (4, 5, 2, "valid"),
])
def test_conv2d_transpose_is_the_gradient_of_conv2d(n, k, s, padding):
    """Keras's transposed convolution is the adjoint of the forward convolution onto its output size."""
    deconv = layers.Conv2DTranspose(2, k, strides=s, padding=padding, use_bias=False)
    deconv.build_from_shape((None, n, n, 3))
    out = deconv.compute_output_shape((None, n, n, 3))[1]
    assert tf_pads(out, k, s, 1, padding)[2] == n  # the forward convolution maps out back to n
    x = torch.randn(1, n, n, 3, dtype=torch.float64)
    (kernel,) = deconv.get_weights()  # (k, k, filters=2, in=3)
    deconv.double()
    y = deconv(x)
    assert y.shape == (1, out, out, 2)
    z = torch.zeros(1, out, out, 2, dtype=torch.float64, requires_grad=True)
    forward = layers.Conv2D(3, k, strides=s, padding=padding, use_bias=False)
    forward.build_from_shape((None, out, out, 2))
    forward.set_weights([kernel])  # forward kernel (k, k, in=2, out=3) has the same array
    forward.double()
    (forward(z) * x).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), z.grad.numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("n,k,s,padding,output_padding,expected", [
    (5, 3, 2, "same", 1, 10), (5, 3, 2, "valid", 1, 12), (4, 2, 3, "valid", None, 12), (4, 5, 2, "valid", None, 11),
])
def test_conv2d_transpose_output_sizes(n, k, s, padding, output_padding, expected):
    deconv = layers.Conv2DTranspose(1, k, strides=s, padding=padding, output_padding=output_padding)
    assert deconv.compute_output_shape((None, n, n, 1)) == (None, expected, expected, 1)
    assert deconv(torch.zeros(1, n, n, 1)).shape == (1, expected, expected, 1)


def test_conv_params_formula_from_the_notes():
    conv = layers.Conv2D(5, 4)
    conv.build_from_shape((None, 32, 32, 3))
    assert conv.count_params() == 4 * 4 * 3 * 5 + 5 == 245
    assert layers.Conv2D(5, 4, use_bias=False).__class__ is layers.Conv2D


@pytest.mark.parametrize("kwargs,fragment", [
    ({"filters": 0, "kernel_size": 3}, "filters=0"),
    ({"filters": 4, "kernel_size": -1}, "kernel_size=-1"),
    ({"filters": 4, "kernel_size": 3, "padding": "full"}, "padding='full'"),
    ({"filters": 4, "kernel_size": 3, "padding": "causal"}, "padding='causal'"),
    ({"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, "dilation_rate"),
    ({"filters": 4, "kernel_size": (3, 3, 3)}, "kernel_size"),
    ({"filters": 4, "kernel_size": 3, "groups": 3}, "groups=3"),
])
def test_conv2d_invalid_arguments(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        layers.Conv2D(**kwargs)


def test_conv_input_errors_name_the_layer_and_expectation():
    conv = layers.Conv2D(4, 3, name="edges")
    conv.build_from_shape((None, 8, 8, 3))
    with pytest.raises(ValueError, match=r"'edges'.*expected axis -1 .* value 3"):
        conv(torch.zeros(1, 8, 8, 1))
    with pytest.raises(ValueError, match=r"'edges'.*expected ndim=4"):
        conv(torch.zeros(8, 8, 3))
    with pytest.raises(ValueError, match="does not fit"):
        layers.Conv2D(2, 5)(torch.zeros(1, 3, 3, 1))


def test_padding_name_is_case_insensitive_like_keras():
    assert layers.Conv2D(2, 3, padding="SAME").padding == "same"


@pytest.mark.parametrize("rank,cls", [(1, layers.Conv1D), (2, layers.Conv2D), (3, layers.Conv3D)])
def test_kernel_layout_round_trip(rank, cls):
    conv = cls(3, 2)
    conv.build_from_shape((None, *([5] * rank), 2))
    kernel = rng.standard_normal((*([2] * rank), 2, 3)).astype(np.float32)
    conv.set_weights([kernel, np.arange(3, dtype=np.float32)])
    got_kernel, got_bias = conv.get_weights()
    np.testing.assert_array_equal(got_kernel, kernel)
    # torch layout inside: (out, in, *k)
    assert tuple(conv.kernel.shape) == (3, 2, *([2] * rank))
    assert list(itertools.chain(got_bias)) == [0, 1, 2]


@pytest.mark.parametrize("activation", ["relu", "tanh", "softmax", None])
def test_convolve_is_the_output_before_the_activation(activation):
    conv = layers.Conv2D(4, 3, padding="same", activation=activation)
    conv.build_from_shape((None, 6, 7, 2))
    kernel = rng.standard_normal((3, 3, 2, 4)).astype(np.float32)
    bias = rng.standard_normal(4).astype(np.float32)
    conv.set_weights([kernel, bias])
    x = rng.standard_normal((2, 6, 7, 2)).astype(np.float32)
    pre = conv.convolve(torch.as_tensor(x))
    assert pre.shape == (2, 4, 6, 7) and pre.movedim(1, -1).is_contiguous()  # channels first, channels-last memory
    linear = conv_nd(x, kernel, bias, (1, 1), (1, 1), "same")
    np.testing.assert_allclose(pre.movedim(1, -1).detach().numpy(), linear, rtol=1e-4, atol=1e-4)
    reference = activations.get(activation)(torch.as_tensor(linear, dtype=torch.float32))
    np.testing.assert_allclose(conv(torch.as_tensor(x)).detach().numpy(), reference.numpy(), rtol=1e-4, atol=1e-4)


def test_relu_in_place_on_the_conv_output_keeps_output_and_gradients():
    """Conv2D(activation="relu") overwrites its own new output; numbers must equal a separate ReLU's."""
    conv = layers.Conv2D(5, 3, activation="relu")
    conv.build_from_shape((None, 8, 8, 3))
    x = torch.as_tensor(rng.standard_normal((2, 8, 8, 3)).astype(np.float32)).requires_grad_()
    y = conv(x)
    x_ref = x.detach().clone().requires_grad_()
    kernel_ref = conv.kernel.detach().clone().requires_grad_()
    y_ref = torch.relu(torch.nn.functional.conv2d(x_ref.movedim(-1, 1), kernel_ref, conv.bias.detach())).movedim(1, -1)
    assert torch.equal(y, y_ref) and y.is_contiguous()
    grad = torch.as_tensor(rng.standard_normal(y.shape).astype(np.float32))
    y.backward(grad)
    y_ref.backward(grad)
    assert torch.equal(x.grad, x_ref.grad) and torch.equal(conv.kernel.grad, kernel_ref.grad)
