"""Mean squared error and (sparse) categorical cross-entropy with their gradients, in NumPy.

Each loss is the mean over the batch (Keras's default reduction), so every
gradient carries a ``1/N``::

    MSE:  L = 1/N Σ_n mean_i (ŷ_ni − y_ni)²        ∂L/∂ŷ = 2 (ŷ − y) / (N · units)
    CE:   L = −1/N Σ_n Σ_i y_ni log p_ni, p = ŷ / Σ ŷ (probabilities)    ∂L/∂ŷ = −y / (N · ŷ) + 1/(N · Σ ŷ)
    CE from logits: p = softmax(ŷ)               ∂L/∂ŷ = (p − y) / N
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .activations import softmax_forward

EPSILON = 1e-7  # Keras clips probabilities to [ε, 1 − ε] before the log


def mse_forward(y_true: Any, y_pred: Any) -> float:
    """``mean((ŷ − y)²)`` over units, then over the batch.

    Example:
        >>> mse_forward([[1.0]], [[3.0]])
        4.0
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean((y_pred - y_true) ** 2))


def mse_backward(y_true: Any, y_pred: Any) -> np.ndarray:
    """``2 (ŷ − y) / ŷ.size``.

    Example:
        >>> mse_backward([[1.0]], [[3.0]])
        array([[4.]])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return 2.0 * (y_pred - y_true) / y_pred.size


def categorical_crossentropy_forward(y_true: Any, y_pred: Any, from_logits: bool = False) -> float:
    """``−mean_n Σ_i y_ni log p_ni`` with one-hot (or soft) labels ``y``.

    Example:
        >>> round(categorical_crossentropy_forward([[0.0, 1.0]], [[0.0, 0.0]], from_logits=True), 4)
        0.6931
    """
    y_true, y_pred = _pair(y_true, y_pred)
    p = _probabilities(y_pred, from_logits)
    return float(-np.mean(np.sum(y_true * np.log(p), axis=-1)))


def categorical_crossentropy_backward(y_true: Any, y_pred: Any, from_logits: bool = False) -> np.ndarray:
    """``∂L/∂ŷ``: ``(softmax(ŷ) − y)/N`` from logits, else through the normalisation ``p = ŷ / Σ ŷ``.

    Example:
        >>> categorical_crossentropy_backward([[0.0, 1.0]], [[0.0, 0.0]], from_logits=True)
        array([[ 0.5, -0.5]])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    n = y_pred.shape[0]
    if from_logits:
        return (softmax_forward(y_pred) - y_true) / n
    total = y_pred.sum(axis=-1, keepdims=True)
    p = y_pred / total
    inside = (p > EPSILON) & (p < 1 - EPSILON)  # clipped probabilities pass no gradient
    dp = np.where(inside, -y_true / p, 0.0) / n  # ∂L/∂p
    return (dp - (dp * p).sum(axis=-1, keepdims=True)) / total  # through p = ŷ / Σ ŷ


def sparse_categorical_crossentropy_forward(labels: Any, y_pred: Any, from_logits: bool = False) -> float:
    """Categorical cross-entropy with integer labels ``(N,)``: ``−mean_n log p_{n, y_n}``.

    Example:
        >>> round(sparse_categorical_crossentropy_forward([1], [[0.0, 0.0]], from_logits=True), 4)
        0.6931
    """
    return categorical_crossentropy_forward(_one_hot(labels, y_pred), y_pred, from_logits)


def sparse_categorical_crossentropy_backward(labels: Any, y_pred: Any, from_logits: bool = False) -> np.ndarray:
    """``∂L/∂ŷ`` of :func:`sparse_categorical_crossentropy_forward`.

    Example:
        >>> sparse_categorical_crossentropy_backward([1], [[0.0, 0.0]], from_logits=True)
        array([[ 0.5, -0.5]])
    """
    return categorical_crossentropy_backward(_one_hot(labels, y_pred), y_pred, from_logits)


def _probabilities(y_pred: np.ndarray, from_logits: bool) -> np.ndarray:
    if from_logits:
        return softmax_forward(y_pred)
    return np.clip(y_pred / y_pred.sum(axis=-1, keepdims=True), EPSILON, 1 - EPSILON)


def _one_hot(labels: Any, y_pred: Any) -> np.ndarray:
    labels = np.asarray(labels).reshape(-1).astype(np.int64)
    classes = np.shape(y_pred)[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"labels: expected integers in [0, {classes}); received values from {labels.min()} to "
                         f"{labels.max()}.")
    return np.eye(classes)[labels]


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape; received {y_true.shape} and {y_pred.shape}.")
    return y_true, y_pred
