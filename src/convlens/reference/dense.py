"""Dense and Flatten, forward and backward, in NumPy.

Dense: ``y = x · W + b`` with ``x`` ``(N, in)``, ``W`` ``(in, units)``; then
``∂L/∂x = dy · Wᵀ``, ``∂L/∂W = xᵀ · dy``, ``∂L/∂b = Σ_n dy``.
Flatten: ``(N, H, W, C) → (N, H·W·C)`` in (H, W, C) order, as Keras; its
backward is the reshape back.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def dense_forward(x: Any, kernel: Any, bias: Any = None) -> np.ndarray:
    """``y = x · W + b``.

    Example:
        >>> dense_forward(np.ones((2, 3)), np.ones((3, 4)), np.zeros(4)).shape
        (2, 4)
    """
    x, kernel = _checked(x, kernel)
    y = x @ kernel
    return y if bias is None else y + np.asarray(bias, dtype=np.float64)


def dense_backward(x: Any, kernel: Any, dy: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(∂L/∂x, ∂L/∂W, ∂L/∂b) = (dy · Wᵀ, xᵀ · dy, Σ_n dy)``.

    Example:
        >>> dx, dw, db = dense_backward(np.ones((2, 3)), np.ones((3, 4)), np.ones((2, 4)))
        >>> dx[0], dw.shape, db
        (array([4., 4., 4.]), (3, 4), array([2., 2., 2., 2.]))
    """
    x, kernel = _checked(x, kernel)
    dy = np.asarray(dy, dtype=np.float64)
    return dy @ kernel.T, x.T @ dy, dy.sum(axis=0)


def flatten_forward(x: Any) -> np.ndarray:
    """``(N, ...) → (N, product of the rest)``, in C (row-major, channels-last) order.

    Example:
        >>> flatten_forward(np.zeros((2, 3, 3, 4))).shape
        (2, 36)
    """
    x = np.asarray(x, dtype=np.float64)
    return x.reshape(x.shape[0], -1)


def flatten_backward(x: Any, dy: Any) -> np.ndarray:
    """The gradient reshaped back to ``x``'s shape.

    Example:
        >>> flatten_backward(np.zeros((2, 3, 4)), np.ones((2, 12))).shape
        (2, 3, 4)
    """
    return np.asarray(dy, dtype=np.float64).reshape(np.shape(x))


def _checked(x: Any, kernel: Any) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    if x.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"Dense: expected x (N, in) and kernel (in, units); received shapes {x.shape} and "
                         f"{kernel.shape}.")
    if x.shape[-1] != kernel.shape[0]:
        raise ValueError(f"Dense: expected axis -1 of input shape to have value {kernel.shape[0]}, "
                         f"but received input with shape {x.shape}")
    return x, kernel
