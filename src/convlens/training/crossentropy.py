"""The cross-entropies with Keras's exact numbers: sparse (integer labels), categorical (one-hot), binary.

From probabilities (``from_logits=False``, the default, for models ending in
softmax/sigmoid) Keras first renormalises the probabilities to sum to one
(categorical losses), then clips them to ``[EPSILON, 1 - EPSILON]``; the
clip also stops the gradient of a sample whose probability is outside that
range. The logits path uses ``log_softmax`` / a stable BCE-with-logits.
Each function returns one value per sample; ``losses.py`` wraps them in
``Loss`` objects.

Example:
    >>> import torch
    >>> sparse_categorical_crossentropy(torch.tensor([0]), torch.tensor([[0.5, 0.5]])).tolist()  # -log(0.5)
    [0.6931471824645996]
"""

from __future__ import annotations

import torch

from .loss_functions import EPSILON, binary_crossentropy_values

__all__ = ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "sparse_labels"]


def sparse_labels(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """Integer class ids shaped as ``y_pred`` without its class axis (a trailing 1 is dropped).

    Raises:
        ValueError: when the shapes do not fit (e.g. one-hot labels given to a sparse loss).
    """
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    if y_true.shape != y_pred.shape[:-1]:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape up until the last dimension: "
            f"target.shape={tuple(y_true.shape)}, output.shape={tuple(y_pred.shape)}. Sparse losses and metrics "
            "take integer class ids (one per sample); for one-hot labels use the categorical ones."
        )
    return y_true if y_true.dtype == torch.int64 else y_true.long()


def _same_shape(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. "
            f"Received: target.shape={tuple(y_true.shape)}, output.shape={tuple(y_pred.shape)}. "
            "Categorical losses take one-hot labels; for integer class ids use the sparse ones."
        )
    return y_true.to(y_pred.dtype)


def sparse_categorical_crossentropy(y_true: torch.Tensor, y_pred: torch.Tensor, from_logits: bool = False,
                                    ignore_class: int | None = None, axis: int = -1) -> torch.Tensor:
    """``-log p[y]`` per sample, for integer labels ``y_true`` and class scores ``y_pred`` on ``axis``.

    Samples labelled ``ignore_class`` get a loss of 0 (the ``Loss`` object
    also leaves them out of its mean, as Keras's mask does).

    Example:
        >>> sparse_categorical_crossentropy(torch.tensor([1]), torch.tensor([[0.0, 1.0]])).tolist()  # clipped at 1 - 1e-7
        [1.1920930376163597e-07]
    """
    if axis not in (-1, y_pred.ndim - 1):
        y_pred = y_pred.movedim(axis, -1)
    if ignore_class is not None:
        labels, valid = _ignored(y_true, y_pred, ignore_class)
        return torch.where(valid, sparse_categorical_crossentropy(labels, y_pred, from_logits), 0.0)
    labels = sparse_labels(y_true, y_pred).unsqueeze(-1)  # (..., 1)
    if from_logits:
        return -torch.log_softmax(y_pred, dim=-1).gather(-1, labels).squeeze(-1)
    # Only p[y] enters the loss, so renormalise, clip and log just that entry:
    # the same numbers and gradient as Keras's full `log(clip(p / sum(p)))`.
    p = y_pred.gather(-1, labels).squeeze(-1) / y_pred.sum(dim=-1)
    return -torch.log(p.clamp(EPSILON, 1.0 - EPSILON))


def _ignored(y_true: torch.Tensor, y_pred: torch.Tensor, ignore_class: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Labels with ``ignore_class`` replaced by 0, and the mask of the others (shaped as the per-sample losses)."""
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    valid = y_true != ignore_class
    return torch.where(valid, y_true, 0), valid


def categorical_crossentropy(y_true: torch.Tensor, y_pred: torch.Tensor, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> torch.Tensor:
    """``-sum(y_true * log p)`` per sample, for one-hot (or soft) labels.

    Example:
        >>> categorical_crossentropy(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.5, 0.5]])).tolist()
        [0.6931471824645996]
    """
    if axis not in (-1, y_pred.ndim - 1):
        y_true, y_pred = y_true.movedim(axis, -1), y_pred.movedim(axis, -1)
    y_true = _same_shape(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[-1]
    if from_logits:
        log_p = torch.log_softmax(y_pred, dim=-1)
    else:
        log_p = torch.log((y_pred / y_pred.sum(dim=-1, keepdim=True)).clamp(EPSILON, 1.0 - EPSILON))
    return -(y_true * log_p).sum(dim=-1)


def binary_crossentropy(y_true: torch.Tensor, y_pred: torch.Tensor, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> torch.Tensor:
    """Mean over ``axis`` of ``-(y log p + (1 - y) log(1 - p))``; the shapes must match (Keras raises otherwise).

    Example:
        >>> round(binary_crossentropy(torch.tensor([[1.0]]), torch.tensor([[0.8]])).item(), 6)  # -log(0.8)
        0.223144
    """
    y_true = y_true.to(y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return binary_crossentropy_values(y_true, y_pred, from_logits).mean(dim=axis)
