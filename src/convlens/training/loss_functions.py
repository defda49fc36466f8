"""Keras's regression, margin, probabilistic and focal losses as per-sample functions, with Keras's formulas.

Each maps ``(y_true, y_pred)`` to one value per sample (the last axis, or
``axis``, is reduced), in ``y_pred``'s dtype, exactly as ``keras.losses``
computes them (the same ``EPSILON`` guards, the same clip of ``log``
arguments). The cross-entropies, MSE and MAE live in :mod:`.losses`, which
also wraps all of these in ``Loss`` classes.

Example:
    >>> import torch
    >>> huber(torch.tensor([[0.0, 0.0]]), torch.tensor([[0.5, 3.0]])).tolist()  # (0.125 + 2.5) / 2
    [1.3125]
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F

EPSILON = 1e-7  # keras.config.epsilon()
_LOG2 = 0.6931471805599453


def match_rank(y_true: torch.Tensor, y_pred: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Squeeze or expand a trailing axis of size 1 so both have the same rank, as Keras's ``squeeze_or_expand_to_same_rank``.

    A rank-1 tensor against an ``(N, 1)`` one is expanded to ``(N, 1)``;
    otherwise the trailing 1 is squeezed.

    Example:
        >>> [tuple(t.shape) for t in match_rank(torch.zeros(4), torch.zeros(4, 1))]
        [(4, 1), (4, 1)]
    """
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        return (y_true, y_pred.unsqueeze(-1)) if y_pred.ndim == 1 else (y_true.squeeze(-1), y_pred)
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        return (y_true.unsqueeze(-1), y_pred) if y_true.ndim == 1 else (y_true, y_pred.squeeze(-1))
    return y_true, y_pred


def same_rank(y_true: torch.Tensor, y_pred: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``match_rank``, with ``y_true`` in ``y_pred``'s dtype."""
    y_true, y_pred = match_rank(y_true, y_pred)
    return y_true.to(y_pred.dtype), y_pred


def binary_crossentropy_values(y_true: torch.Tensor, y_pred: torch.Tensor, from_logits: bool = False) -> torch.Tensor:
    """Element-wise ``-(y log p + (1 - y) log(1 - p))``, p clipped to ``[EPSILON, 1 - EPSILON]``.

    Raises:
        ValueError: when the shapes differ (Keras's message).
    """
    if y_true.shape != y_pred.shape:
        raise ValueError("Arguments `target` and `output` must have the same shape. "
                         f"Received: target.shape={tuple(y_true.shape)}, output.shape={tuple(y_pred.shape)}")
    if from_logits:
        return F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    p = y_pred.clamp(EPSILON, 1.0 - EPSILON)
    return -(y_true * torch.log(p) + (1.0 - y_true) * torch.log(1.0 - p))


def _hinge_labels(y_true: torch.Tensor) -> torch.Tensor:
    # Keras maps {0, 1} labels to {-1, 1} when every label is 0 or 1; a
    # `where` on the device decides it without reading the labels on the host.
    is_binary = ((y_true == 0) | (y_true == 1)).all()
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """``mean(max(1 - y_true * y_pred, 0))``; labels in {-1, 1} (or {0, 1}, mapped to them).

    Example:
        >>> hinge(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, 0.5]])).tolist()  # (0.5 + 1.5) / 2
        [1.0]
    """
    y_true = _hinge_labels(y_true.to(y_pred.dtype))
    return (1.0 - y_true * y_pred).clamp_min(0.0).mean(dim=-1)


def squared_hinge(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """``mean(max(1 - y_true * y_pred, 0)²)``.

    Example:
        >>> squared_hinge(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, 0.5]])).tolist()  # (0.25 + 2.25) / 2
        [1.25]
    """
    y_true = _hinge_labels(y_true.to(y_pred.dtype))
    return (1.0 - y_true * y_pred).clamp_min(0.0).square().mean(dim=-1)


def categorical_hinge(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """``max(neg - pos + 1, 0)`` with ``pos = sum(y_true * y_pred)``, ``neg = max((1 - y_true) * y_pred)``.

    Example:
        >>> categorical_hinge(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.3, 0.7]])).tolist()  # 0.3 - 0.7 + 1
        [0.6000000238418579]
    """
    y_true = y_true.to(y_pred.dtype)
    pos = (y_true * y_pred).sum(dim=-1)
    neg = ((1.0 - y_true) * y_pred).amax(dim=-1)
    return (neg - pos + 1.0).clamp_min(0.0)


def mean_absolute_percentage_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """``100 · mean(|y_true - y_pred| / max(|y_true|, EPSILON))``.

    Example:
        >>> mean_absolute_percentage_error(torch.tensor([[2.0, 4.0]]), torch.tensor([[1.0, 5.0]])).tolist()
        [37.5]
    """
    y_true, y_pred = same_rank(y_true, y_pred)
    return 100.0 * ((y_true - y_pred) / y_true.abs().clamp_min(EPSILON)).abs().mean(dim=-1)


def mean_squared_logarithmic_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """``mean((log(max(y_pred, ε) + 1) - log(max(y_true, ε) + 1))²)``.

    Example:
        >>> round(mean_squared_logarithmic_error(torch.tensor([[0.0]]), torch.tensor([[1.0]])).item(), 6)  # log(2)²
        0.480453
    """
    y_true, y_pred = same_rank(y_true, y_pred)
    return (torch.log(y_pred.clamp_min(EPSILON) + 1.0) - torch.log(y_true.clamp_min(EPSILON) + 1.0)).square().mean(dim=-1)


def cosine_similarity(y_true: torch.Tensor, y_pred: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred))`` along ``axis`` (−1 for identical directions).

    Example:
        >>> cosine_similarity(torch.tensor([[0.0, 2.0]]), torch.tensor([[0.0, 5.0]])).tolist()
        [-1.0]
    """
    y_true, y_pred = same_rank(y_true, y_pred)
    return -(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis)).sum(dim=axis)


def _l2_normalize(x: torch.Tensor, axis: int) -> torch.Tensor:
    # Keras: x * min(rsqrt(sum(x²)), 1/ε), so a zero vector stays zero.
    return x * torch.rsqrt(x.square().sum(dim=axis, keepdim=True)).clamp_max(1.0 / EPSILON)


def huber(y_true: torch.Tensor, y_pred: torch.Tensor, delta: float = 1.0) -> torch.Tensor:
    """Mean of ``½e²`` where ``|e| ≤ delta``, else ``delta·|e| − ½delta²`` (``e = y_pred − y_true``).

    Example:
        >>> huber(torch.tensor([[0.0]]), torch.tensor([[3.0]]), delta=2.0).tolist()  # 2·3 − 2
        [4.0]
    """
    y_true, y_pred = same_rank(y_true, y_pred)
    error = y_pred - y_true
    abs_error = error.abs()
    return torch.where(abs_error <= delta, 0.5 * error.square(), delta * abs_error - 0.5 * delta**2).mean(dim=-1)


def log_cosh(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """Mean of ``log(cosh(y_pred − y_true))``, computed as Keras does: ``x + softplus(−2x) − log 2``.

    Example:
        >>> round(log_cosh(torch.tensor([[0.0]]), torch.tensor([[1.0]])).item(), 6)
        0.433781
    """
    y_true, y_pred = same_rank(y_true, y_pred)
    x = y_pred - y_true
    return (x + F.softplus(-2.0 * x) - _LOG2).mean(dim=-1)


def kl_divergence(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """``sum(y_true · log(y_true / y_pred))``, both clipped to ``[EPSILON, 1]``.

    Example:
        >>> round(kl_divergence(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, 0.5]])).item(), 5)  # log 2
        0.69315
    """
    y_true = y_true.to(y_pred.dtype).clamp(EPSILON, 1.0)
    y_pred = y_pred.clamp(EPSILON, 1.0)
    return (y_true * torch.log(y_true / y_pred)).sum(dim=-1)


def poisson(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """``mean(y_pred − y_true · log(y_pred + EPSILON))``.

    Example:
        >>> poisson(torch.tensor([[0.0]]), torch.tensor([[2.0]])).tolist()
        [2.0]
    """
    y_true = y_true.to(y_pred.dtype)
    return (y_pred - y_true * torch.log(y_pred + EPSILON)).mean(dim=-1)


def binary_focal_crossentropy(y_true: torch.Tensor, y_pred: torch.Tensor, apply_class_balancing: bool = False,
                              alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                              label_smoothing: float = 0.0, axis: int = -1) -> torch.Tensor:
    """Binary cross-entropy scaled by ``(1 − p_t)^gamma`` (and by ``alpha``/``1 − alpha`` when balancing).

    Example:
        >>> round(binary_focal_crossentropy(torch.tensor([[1.0]]), torch.tensor([[0.5]])).item(), 6)  # 0.25·log 2
        0.173287
    """
    y_true = y_true.to(y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = torch.sigmoid(y_pred)
    bce = binary_crossentropy_values(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = (1.0 - p_t).pow(gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return focal.mean(dim=axis)


def categorical_focal_crossentropy(y_true: torch.Tensor, y_pred: torch.Tensor, alpha: float = 0.25,
                                   gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0,
                                   axis: int = -1) -> torch.Tensor:
    """``sum(alpha · (1 − p)^gamma · −y_true · log p)`` over the class ``axis``, with p renormalised and clipped.

    Example:
        >>> round(categorical_focal_crossentropy(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, 0.5]])).item(), 6)
        0.043322
    """
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis!r} of type {type(axis)}")
    y_true = y_true.to(y_pred.dtype)
    if y_pred.shape[-1] == 1:
        warnings.warn("In loss categorical_focal_crossentropy, expected y_pred.shape to be (batch_size, num_classes) "
                      f"with num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. Consider using "
                      "'binary_crossentropy' if you only have 2 classes.", SyntaxWarning, stacklevel=2)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        y_pred = torch.softmax(y_pred, dim=axis)
    p = (y_pred / y_pred.sum(dim=axis, keepdim=True)).clamp(EPSILON, 1.0 - EPSILON)
    return (alpha * (1.0 - p).pow(gamma) * (-y_true * torch.log(p))).sum(dim=axis)


mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
logcosh = log_cosh
kld = KLD = kl_divergence

FUNCTIONS = {
    "hinge": hinge, "squared_hinge": squared_hinge, "categorical_hinge": categorical_hinge,
    "mean_absolute_percentage_error": mean_absolute_percentage_error, "mape": mape,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error, "msle": msle,
    "cosine_similarity": cosine_similarity, "huber": huber, "log_cosh": log_cosh, "logcosh": logcosh,
    "kl_divergence": kl_divergence, "kld": kld, "poisson": poisson,
    "binary_focal_crossentropy": binary_focal_crossentropy,
    "categorical_focal_crossentropy": categorical_focal_crossentropy,
}
