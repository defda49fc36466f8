"""ReLU, sigmoid, tanh and softmax with their derivatives, in NumPy.

Each backward takes the forward's input ``z`` and ``dy = ∂L/∂a`` and returns
``∂L/∂z``: element-wise ``dy · a'(z)`` except softmax, whose Jacobian is full:
``∂a_i/∂z_j = a_i (δ_ij − a_j)``, so ``∂L/∂z = a ⊙ (dy − Σ_j dy_j a_j)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def relu_forward(z: Any) -> np.ndarray:
    """``max(z, 0)``.

    Example:
        >>> relu_forward([-1.0, 2.0])
        array([0., 2.])
    """
    return np.maximum(np.asarray(z, dtype=np.float64), 0.0)


def relu_backward(z: Any, dy: Any) -> np.ndarray:
    """``dy · [z > 0]`` (the derivative at the kink z = 0 taken as 0, as PyTorch and TensorFlow do).

    Example:
        >>> relu_backward([-1.0, 2.0], [5.0, 5.0])
        array([0., 5.])
    """
    return np.asarray(dy, dtype=np.float64) * (np.asarray(z) > 0)


def sigmoid_forward(z: Any) -> np.ndarray:
    """``σ(z) = 1 / (1 + e^−z)``.

    Example:
        >>> sigmoid_forward([0.0])
        array([0.5])
    """
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def sigmoid_backward(z: Any, dy: Any) -> np.ndarray:
    """``dy · σ(z)(1 − σ(z))``.

    Example:
        >>> sigmoid_backward([0.0], [1.0])
        array([0.25])
    """
    s = sigmoid_forward(z)
    return np.asarray(dy, dtype=np.float64) * s * (1.0 - s)


def tanh_forward(z: Any) -> np.ndarray:
    """``tanh(z)``.

    Example:
        >>> tanh_forward([0.0])
        array([0.])
    """
    return np.tanh(np.asarray(z, dtype=np.float64))


def tanh_backward(z: Any, dy: Any) -> np.ndarray:
    """``dy · (1 − tanh²(z))``.

    Example:
        >>> tanh_backward([0.0], [2.0])
        array([2.])
    """
    return np.asarray(dy, dtype=np.float64) * (1.0 - np.tanh(np.asarray(z, dtype=np.float64)) ** 2)


def softmax_forward(z: Any, axis: int = -1) -> np.ndarray:
    """``e^{z_i} / Σ_j e^{z_j}`` along ``axis`` (shifted by the maximum, which changes nothing but overflow).

    Example:
        >>> softmax_forward([0.0, 0.0])
        array([0.5, 0.5])
    """
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_backward(z: Any, dy: Any, axis: int = -1) -> np.ndarray:
    """``a ⊙ (dy − Σ_j dy_j a_j)``: the full Jacobian ``a_i (δ_ij − a_j)`` applied to ``dy``.

    Example:
        >>> softmax_backward([0.0, 0.0], [1.0, 0.0])
        array([ 0.25, -0.25])
    """
    a = softmax_forward(z, axis)
    dy = np.asarray(dy, dtype=np.float64)
    return a * (dy - (dy * a).sum(axis=axis, keepdims=True))


FORWARD = {"relu": relu_forward, "sigmoid": sigmoid_forward, "tanh": tanh_forward, "softmax": softmax_forward,
           "linear": lambda z: np.asarray(z, dtype=np.float64)}
BACKWARD = {"relu": relu_backward, "sigmoid": sigmoid_backward, "tanh": tanh_backward, "softmax": softmax_backward,
            "linear": lambda z, dy: np.asarray(dy, dtype=np.float64)}
