"""Keras's threshold metrics: Precision, Recall and AUC, from true/false positive/negative counts kept on the device.

Each metric counts, for every threshold ``t``, the (weighted) predictions
``y_pred > t`` against the labels ``y_true != 0``, as Keras's
``update_confusion_matrix_variables``: ``top_k`` first keeps only each
sample's ``k`` highest scores (the others can never pass a threshold),
``class_id`` then keeps one class. Every update is tensor arithmetic on the
scores' device, so it never waits for the device.

Example:
    >>> import torch
    >>> m = Precision(); m.update_state(torch.tensor([0, 1, 1, 1]), torch.tensor([1.0, 0.0, 1.0, 1.0]))
    >>> round(m.result().item(), 4)  # 2 true positives of 3 predicted
    0.6667
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from .loss_functions import EPSILON, match_rank
from .metric_base import Metric, _as_float, _float32_only

__all__ = ["AUC", "Precision", "Recall"]

_NEG_INF = -1e10  # Keras's stand-in for -inf: scores outside the top k


def _thresholds(thresholds: float | Sequence[float] | None, default: float) -> list[float]:
    values = [default] if thresholds is None else [thresholds] if isinstance(thresholds, (int, float)) else list(thresholds)
    bad = [t for t in values if not 0.0 <= t <= 1.0]
    if thresholds is not None and bad:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: thresholds={thresholds!r}")
    return [float(t) for t in values]


class ConfusionCounts(Metric):
    """Weighted true/false positive/negative counts per threshold (the state of Precision, Recall and AUC)."""

    direction = "up"
    _variable_rows: tuple[int, ...] = (0, 1, 2, 3)  # which counts Keras keeps as `variables`

    def __init__(self, thresholds: list[float], top_k: int | None = None, class_id: int | None = None,
                 name: str | None = None, dtype: str | None = None) -> None:
        super().__init__(name)
        _float32_only(dtype)
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
            raise ValueError(f"`top_k` must be a positive integer. Received: top_k={top_k!r}")
        self.thresholds = thresholds
        self.top_k, self.class_id = top_k, class_id
        self._counts = torch.zeros(4, len(thresholds))  # rows: tp, fp, tn, fn

    true_positives = property(lambda self: self._counts[0])
    false_positives = property(lambda self: self._counts[1])
    true_negatives = property(lambda self: self._counts[2])
    false_negatives = property(lambda self: self._counts[3])

    @property
    def variables(self) -> list[torch.Tensor]:
        return [self._counts[row] for row in self._variable_rows]

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = _as_float(y_pred).detach()
        y_true, y_pred = match_rank(torch.as_tensor(y_true, device=y_pred.device), y_pred)
        if sample_weight is not None:
            # As Keras: a weight per sample (N,) applies to every label of that sample.
            sample_weight = torch.as_tensor(sample_weight, dtype=y_pred.dtype, device=y_pred.device).unsqueeze(-1)
            if sample_weight.ndim == y_true.ndim + 1 and sample_weight.shape[-1] == 1:
                sample_weight = sample_weight.squeeze(-1)
        if self.top_k is not None:
            kth = y_pred.topk(self.top_k, dim=-1).values[..., -1:]
            y_pred = torch.where(y_pred >= kth, y_pred, _NEG_INF)
        if self.class_id is not None:
            y_true, y_pred = y_true[..., self.class_id, None], y_pred[..., self.class_id, None]
        thresholds = torch.tensor(self.thresholds, dtype=y_pred.dtype, device=y_pred.device)
        predicted = y_pred.reshape(1, -1) > thresholds[:, None]  # (T, M)
        positive = (y_true != 0).reshape(1, -1)  # (1, M)
        if sample_weight is None:
            weight = torch.ones_like(y_pred).reshape(1, -1)
        else:
            weight = torch.broadcast_to(sample_weight, y_pred.shape).reshape(1, -1)
        counts = torch.stack([(predicted & positive), (predicted & ~positive), (~predicted & ~positive),
                              (~predicted & positive)]) * weight  # (4, T, M)
        self._counts = self._counts.to(y_pred.device) + counts.sum(dim=-1)

    def reset_state(self) -> None:
        self._counts = torch.zeros_like(self._counts)

    def _one(self, value: torch.Tensor) -> torch.Tensor:
        return value[0] if len(self.thresholds) == 1 else value


def _ratio(numerator: torch.Tensor, denominator: torch.Tensor) -> torch.Tensor:
    """Keras's ``divide_no_nan``: 0 where the denominator is 0."""
    return torch.where(denominator != 0, numerator / torch.where(denominator != 0, denominator, 1.0), 0.0)


class Precision(ConfusionCounts):
    """``tp / (tp + fp)`` at each threshold (0.5 by default; with ``top_k``, any score in the top k counts).

    Example:
        >>> m = Precision(top_k=1); m.update_state(torch.tensor([[0, 1]]), torch.tensor([[0.3, 0.7]])); m.result().item()
        1.0
    """

    _variable_rows = (0, 1)  # tp, fp

    def __init__(self, thresholds: float | Sequence[float] | None = None, top_k: int | None = None,
                 class_id: int | None = None, name: str = "precision", dtype: str | None = None) -> None:
        super().__init__(_thresholds(thresholds, 0.5 if top_k is None else _NEG_INF), top_k, class_id, name, dtype)
        self._init_thresholds = thresholds

    def result(self) -> torch.Tensor:
        return self._one(_ratio(self.true_positives, self.true_positives + self.false_positives))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": "float32", "thresholds": self._init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Recall(Precision):
    """``tp / (tp + fn)`` at each threshold.

    Example:
        >>> m = Recall(); m.update_state(torch.tensor([1, 1]), torch.tensor([0.9, 0.2])); m.result().item()
        0.5
    """

    _variable_rows = (0, 3)  # tp, fn

    def __init__(self, thresholds: float | Sequence[float] | None = None, top_k: int | None = None,
                 class_id: int | None = None, name: str = "recall", dtype: str | None = None) -> None:
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self) -> torch.Tensor:
        return self._one(_ratio(self.true_positives, self.true_positives + self.false_negatives))


_CURVES = ("ROC", "PR")
_SUMMATIONS = ("interpolation", "minoring", "majoring")


class AUC(ConfusionCounts):
    """Area under the ROC or precision-recall curve, by a Riemann sum over ``num_thresholds`` thresholds.

    As Keras: thresholds ``-ε, 1/(n-1), ..., (n-2)/(n-1), 1+ε``; ``"interpolation"``
    averages neighbouring heights (for PR, the interpolation of Davis &
    Goadrich 2006), ``"minoring"``/``"majoring"`` take the lower/higher one.

    Example:
        >>> m = AUC(); m.update_state(torch.tensor([0, 0, 1, 1]), torch.tensor([0.1, 0.4, 0.35, 0.8]))
        >>> round(m.result().item(), 2)
        0.75
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC", summation_method: str = "interpolation",
                 name: str = "auc", dtype: str | None = None, thresholds: Sequence[float] | None = None,
                 multi_label: bool = False, num_labels: int | None = None, label_weights: Any = None,
                 from_logits: bool = False) -> None:
        if curve.upper() not in _CURVES:
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are {list(_CURVES)}')
        if summation_method.lower() not in _SUMMATIONS:
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". '
                             f"Expected values are {list(_SUMMATIONS)}")
        if multi_label or label_weights is not None:
            raise ValueError("AUC: convlens computes one curve over all labels (multi_label=False, no label_weights).")
        if thresholds is None:
            if num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. Received: num_thresholds={num_thresholds}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        else:
            inner = _thresholds(thresholds, 0.5)
            num_thresholds = len(inner) + 2
        super().__init__([0.0 - EPSILON, *inner, 1.0 + EPSILON], name=name, dtype=dtype)
        self.num_thresholds, self.curve, self.summation_method = num_thresholds, curve.upper(), summation_method.lower()
        self.from_logits, self._init_thresholds = bool(from_logits), thresholds

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = _as_float(y_pred)
        super().update_state(y_true, torch.sigmoid(y_pred) if self.from_logits else y_pred, sample_weight)

    def result(self) -> torch.Tensor:
        tp, fp, tn, fn = self._counts
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr_auc(tp, fp, fn)
        recall = _ratio(tp, tp + fn)
        x, y = (_ratio(fp, fp + tn), recall) if self.curve == "ROC" else (recall, _ratio(tp, tp + fp))
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        else:
            heights = torch.minimum(y[:-1], y[1:]) if self.summation_method == "minoring" else torch.maximum(y[:-1], y[1:])
        return ((x[:-1] - x[1:]) * heights).sum()

    @staticmethod
    def _interpolated_pr_auc(tp: torch.Tensor, fp: torch.Tensor, fn: torch.Tensor) -> torch.Tensor:
        # Precision is interpolated along lines in (tp, tp + fp) between thresholds (Davis & Goadrich).
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        slope = _ratio(dtp, (p[:-1] - p[1:]).clamp_min(0.0))
        intercept = tp[1:] - slope * p[1:]
        p_ratio = torch.where((p[:-1] > 0) & (p[1:] > 0), _ratio(p[:-1], p[1:].clamp_min(0.0)), torch.ones_like(p[1:]))
        return _ratio(slope * (dtp + intercept * torch.log(p_ratio)), (tp[1:] + fn[1:]).clamp_min(0.0)).sum()

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": "float32", "num_thresholds": self.num_thresholds, "curve": self.curve,
                "summation_method": self.summation_method, "multi_label": False, "num_labels": None,
                "label_weights": None, "from_logits": self.from_logits, "thresholds": self._init_thresholds}
