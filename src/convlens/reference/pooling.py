"""Max and average pooling, forward and backward, in NumPy.

Over the window ``P(o) = {o·s + k : k in the pool}`` of each output ``o``
(per channel, no weights)::

    max:      y[o] = max_{p ∈ P(o)} x_pad[p]         ∂L/∂x[p*] += dy[o] at the (first) maximum p*
    average:  y[o] = Σ_{p ∈ P(o)} x_pad[p] / |P(o)|    ∂L/∂x[p] += dy[o] / |P(o)| for every p ∈ P(o)

"same" padding is TensorFlow's: max-pool pads with −inf, so padding never
wins; average-pool counts only the real pixels, ``|P(o) ∩ input|``, as Keras does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import layers
from .windows import crop, offset_slice, offsets, output_size, pad, pads

_LAYERS = {("max", 1): layers.MaxPooling1D, ("max", 2): layers.MaxPooling2D,
           ("average", 1): layers.AveragePooling1D, ("average", 2): layers.AveragePooling2D}


def pool_forward(x: Any, mode: str, pool_size: Any = 2, strides: Any = None, padding: str = "valid") -> np.ndarray:
    """Max (``mode="max"``) or average (``mode="average"``) pooling of ``(N, *spatial, C)``: see the module docstring.

    Example:
        >>> pool_forward(np.arange(4.0).reshape(1, 2, 2, 1), "max")[0, :, :, 0]
        array([[3.]])
    """
    x, window, strides, padding = _checked(x, mode, pool_size, strides, padding)
    windows, counts, _ = _windows(x, mode, window, strides, padding)
    return windows.max(axis=0) if mode == "max" else windows.sum(axis=0) / counts


def pool_backward(x: Any, dy: Any, mode: str, pool_size: Any = 2, strides: Any = None,
                  padding: str = "valid") -> np.ndarray:
    """``∂L/∂x`` of max or average pooling given ``dy = ∂L/∂y``: see the module docstring.

    Example:
        >>> pool_backward(np.arange(4.0).reshape(1, 2, 2, 1), np.ones((1, 1, 1, 1)), "average")[0, :, :, 0]
        array([[0.25, 0.25],
               [0.25, 0.25]])
    """
    x, window, strides, padding = _checked(x, mode, pool_size, strides, padding)
    dy = np.asarray(dy, dtype=np.float64)
    windows, counts, amounts = _windows(x, mode, window, strides, padding)
    winner = windows.argmax(axis=0)  # index of the first maximum among the offsets
    dx_pad = np.zeros(pad(x, amounts).shape)
    for index, k in enumerate(offsets(window)):
        share = dy * (winner == index) if mode == "max" else dy / counts
        dx_pad[offset_slice(k, dy.shape[1:-1], strides, (1,) * len(window))] += share
    return crop(dx_pad, amounts)


def max_pool2d_forward(x: Any, pool_size: Any = 2, strides: Any = None, padding: str = "valid") -> np.ndarray:
    """MaxPooling2D's output for ``(N, H, W, C)``: see :func:`pool_forward`.

    Example:
        >>> max_pool2d_forward(np.arange(16.0).reshape(1, 4, 4, 1))[0, :, :, 0]
        array([[ 5.,  7.],
               [13., 15.]])
    """
    return pool_forward(x, "max", pool_size, strides, padding)


def max_pool2d_backward(x: Any, dy: Any, pool_size: Any = 2, strides: Any = None, padding: str = "valid") -> np.ndarray:
    """MaxPooling2D's ``dx``: ``dy`` routed to each window's maximum."""
    return pool_backward(x, dy, "max", pool_size, strides, padding)


def average_pool2d_forward(x: Any, pool_size: Any = 2, strides: Any = None, padding: str = "valid") -> np.ndarray:
    """AveragePooling2D's output; "same" divides by the real pixels in each window, as Keras does.

    Example:
        >>> average_pool2d_forward(np.ones((1, 3, 3, 1)), padding="same")[0, :, :, 0]
        array([[1., 1.],
               [1., 1.]])
    """
    return pool_forward(x, "average", pool_size, strides, padding)


def average_pool2d_backward(x: Any, dy: Any, pool_size: Any = 2, strides: Any = None, padding: str = "valid") -> np.ndarray:
    """AveragePooling2D's ``dx``: ``dy`` shared equally among each window's real pixels."""
    return pool_backward(x, dy, "average", pool_size, strides, padding)


def _windows(x: np.ndarray, mode: str, window: tuple, strides: tuple, padding: str) -> tuple:
    """(every offset's view stacked ``(K, N, *out, C)``, real pixels per window ``(1, *out, 1)``, the padding)."""
    dilation = (1,) * len(window)
    amounts = pads(x.shape[1:-1], window, strides, dilation, padding)
    out = output_size(x.shape[1:-1], window, strides, dilation, padding)
    x_pad = pad(x, amounts, -np.inf if mode == "max" else 0.0)
    real = pad(np.ones((1, *x.shape[1:-1], 1)), amounts)  # 1 on the input, 0 on the padding
    views = [offset_slice(k, out, strides, dilation) for k in offsets(window)]
    return np.stack([x_pad[v] for v in views]), sum(real[v] for v in views), amounts


def _checked(x: Any, mode: str, pool_size: Any, strides: Any, padding: str) -> tuple:
    """float64 input and normalised arguments, with the errors convlens's pooling layers raise."""
    x = np.asarray(x, dtype=np.float64)
    if mode not in ("max", "average"):
        raise ValueError(f"mode: expected 'max' or 'average'; received mode={mode!r}.")
    if x.ndim not in (3, 4):
        raise ValueError(f"x: expected (N, L, C) or (N, H, W, C); received shape {x.shape}.")
    layer = _LAYERS[mode, x.ndim - 2](pool_size, strides, padding)
    layer.compute_output_shape(x.shape)  # the pool must fit the input
    return x, layer.pool_size, layer.strides, layer.padding
