"""Convolution (as deep learning means it: correlation), forward and backward, in NumPy.

Forward, for output position ``o`` and filter ``f``::

    y[n, o, f] = b[f] + Σ_k Σ_c  x_pad[n, o·s + k·d, c] · W[k, c, f]

Backward, with ``dy = ∂L/∂y`` (every term above contributes once)::

    ∂L/∂W[k, c, f] = Σ_n Σ_o  x_pad[n, o·s + k·d, c] · dy[n, o, f]
    ∂L/∂x_pad[n, o·s + k·d, c] += Σ_f  W[k, c, f] · dy[n, o, f]
    ∂L/∂b[f] = Σ_n Σ_o  dy[n, o, f]

``o`` and ``k`` are tuples of one index per spatial axis (1 for signals, 2
for images); the loop runs over kernel offsets ``k``, each a strided slice of
the padded input. Shapes are Keras's: ``x`` ``(N, *spatial, C)``, ``W``
``(*kernel_size, C, F)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import layers
from .windows import crop, offset_slice, offsets, output_size, pad, pads

_LAYERS = {1: layers.Conv1D, 2: layers.Conv2D}


def conv_forward(x: Any, kernel: Any, bias: Any = None, strides: Any = 1, padding: str = "valid",
                 dilation_rate: Any = 1) -> np.ndarray:
    """``y = b + Σ_k x_pad[o·s + k·d] · W[k]`` for a kernel of any rank (1 or 2): see the module docstring."""
    x, kernel, strides, dilation, padding = _checked(x, kernel, strides, padding, dilation_rate)
    window = kernel.shape[:-2]
    amounts = pads(x.shape[1:-1], window, strides, dilation, padding)
    out = output_size(x.shape[1:-1], window, strides, dilation, padding)
    x_pad = pad(x, amounts)
    y = np.zeros((x.shape[0], *out, kernel.shape[-1]))  # (N, *out, F)
    for k in offsets(window):
        y += x_pad[offset_slice(k, out, strides, dilation)] @ kernel[k]  # (N, *out, C) @ (C, F)
    return y if bias is None else y + np.asarray(bias, dtype=np.float64)


def conv_backward(x: Any, kernel: Any, dy: Any, strides: Any = 1, padding: str = "valid",
                  dilation_rate: Any = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(∂L/∂x, ∂L/∂W, ∂L/∂b)`` given ``dy = ∂L/∂y``: see the module docstring."""
    x, kernel, strides, dilation, padding = _checked(x, kernel, strides, padding, dilation_rate)
    dy = np.asarray(dy, dtype=np.float64)
    window = kernel.shape[:-2]
    amounts = pads(x.shape[1:-1], window, strides, dilation, padding)
    out = dy.shape[1:-1]
    x_pad = pad(x, amounts)
    dx_pad = np.zeros_like(x_pad)
    dkernel = np.zeros_like(kernel)
    batch_and_out = tuple(range(dy.ndim - 1))  # sum over n and every o
    for k in offsets(window):
        index = offset_slice(k, out, strides, dilation)
        dkernel[k] = np.tensordot(x_pad[index], dy, axes=(batch_and_out, batch_and_out))  # (C, F)
        dx_pad[index] += dy @ kernel[k].T  # (N, *out, F) @ (F, C)
    return crop(dx_pad, amounts), dkernel, dy.sum(axis=batch_and_out)


def conv1d_forward(x: Any, kernel: Any, bias: Any = None, strides: Any = 1, padding: str = "valid",
                   dilation_rate: Any = 1) -> np.ndarray:
    """Conv1D's output ``(N, L_out, F)`` for signals ``x`` ``(N, L, C)`` and ``kernel`` ``(k, C, F)``.

    Example:
        >>> conv1d_forward(np.ones((1, 5, 1)), np.ones((3, 1, 1)), padding="same")[0, :, 0]
        array([2., 3., 3., 3., 2.])
    """
    return conv_forward(x, kernel, bias, strides, padding, dilation_rate)


def conv1d_backward(x: Any, kernel: Any, dy: Any, strides: Any = 1, padding: str = "valid",
                    dilation_rate: Any = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Conv1D's ``(dx, dkernel, dbias)`` for ``dy = ∂L/∂y`` ``(N, L_out, F)``.

    Example:
        >>> dx, dw, db = conv1d_backward(np.ones((1, 5, 1)), np.ones((3, 1, 1)), np.ones((1, 3, 1)))
        >>> dx[0, :, 0], dw[:, 0, 0], db
        (array([1., 2., 3., 2., 1.]), array([3., 3., 3.]), array([3.]))
    """
    return conv_backward(x, kernel, dy, strides, padding, dilation_rate)


def conv2d_forward(x: Any, kernel: Any, bias: Any = None, strides: Any = 1, padding: str = "valid",
                   dilation_rate: Any = 1) -> np.ndarray:
    """Conv2D's output ``(N, H_out, W_out, F)`` for images ``x`` ``(N, H, W, C)`` and ``kernel`` ``(kh, kw, C, F)``.

    ``y[n, i, j, f] = b[f] + Σ_{a,b,c} x_pad[n, i·s + a·d, j·s + b·d, c] · W[a, b, c, f]``.

    Example:
        >>> conv2d_forward(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)), np.zeros(1)).shape
        (1, 2, 2, 1)
    """
    return conv_forward(x, kernel, bias, strides, padding, dilation_rate)


def conv2d_backward(x: Any, kernel: Any, dy: Any, strides: Any = 1, padding: str = "valid",
                    dilation_rate: Any = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Conv2D's ``(dx, dkernel, dbias)`` for ``dy = ∂L/∂y`` ``(N, H_out, W_out, F)``.

    Example:
        >>> dx, dw, db = conv2d_backward(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)), np.ones((1, 2, 2, 1)))
        >>> dw[:, :, 0, 0]
        array([[4., 4., 4.],
               [4., 4., 4.],
               [4., 4., 4.]])
    """
    return conv_backward(x, kernel, dy, strides, padding, dilation_rate)


def _checked(x: Any, kernel: Any, strides: Any, padding: str, dilation_rate: Any) -> tuple:
    """float64 arrays and normalised arguments, with the errors convlens's Conv1D/Conv2D raise for the same input."""
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    rank = kernel.ndim - 2
    if rank not in _LAYERS:
        raise ValueError(f"kernel: expected shape (*kernel_size, in_channels, filters) with 1 or 2 spatial axes; "
                         f"received shape {kernel.shape}.")
    layer = _LAYERS[rank](kernel.shape[-1], kernel.shape[:-2], strides, padding, dilation_rate=dilation_rate)
    layer._check_input_shape(x.shape)
    if x.shape[-1] != kernel.shape[-2]:
        raise ValueError(f"Input 0 of layer '{layer.name}' ({type(layer).__name__}) is incompatible: expected axis -1 "
                         f"of input shape to have value {kernel.shape[-2]}, but received input with shape {x.shape}")
    layer.compute_output_shape(x.shape)  # the kernel must fit the (padded) input
    return x, kernel, layer.strides, layer.dilation_rate, layer.padding
