"""Keras's metrics: accuracies (resolved from the label shapes as Keras resolves ``"accuracy"``) and running means.

A metric function maps ``(y_true, y_pred)`` to one value per sample; a
``Metric`` object keeps a running mean of those values over an epoch. The
running sums stay on the device as tensors: updating a metric never waits
for the device, and ``CompiledMetrics.result()`` (``compiled_metrics.py``)
reads every metric in one transfer, which ``fit`` does only when the
progress bar or a callback needs numbers (see ``engine.py``).

Example:
    >>> import torch
    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state(torch.tensor([0, 1]), torch.tensor([[0.9, 0.1], [0.8, 0.2]]))
    >>> m.result().item()
    0.5
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from . import losses as losses_lib
from .losses import match_rank, sparse_labels
from .metric_base import Mean, MeanMetricWrapper, Metric, Sum, _as_float, _float32_only, samplewise  # noqa: F401

__all__ = [
    "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "CategoricalAccuracy", "CategoricalCrossentropy",
    "CategoricalHinge", "CompiledMetrics", "CosineSimilarity", "Hinge", "KLDivergence", "LogCoshError", "Mean",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanMetricWrapper", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Metric", "Poisson", "RootMeanSquaredError", "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy", "SparseTopKCategoricalAccuracy", "SquaredHinge", "Sum",
    "TopKCategoricalAccuracy", "accuracy", "binary_accuracy", "categorical_accuracy", "get",
    "sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy", "top_k_categorical_accuracy",
]

MetricFn = Callable[..., torch.Tensor]


# ------------------------------------------------------------------ functions
def sparse_categorical_accuracy(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """1.0 where ``argmax(y_pred) == y_true`` (integer labels), else 0.0.

    Example:
        >>> sparse_categorical_accuracy(torch.tensor([1, 0]), torch.tensor([[0.2, 0.8], [0.3, 0.7]])).tolist()
        [1.0, 0.0]
    """
    return (y_pred.argmax(dim=-1) == sparse_labels(y_true, y_pred)).float()


def categorical_accuracy(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """1.0 where ``argmax(y_pred) == argmax(y_true)`` (one-hot labels), else 0.0.

    Example:
        >>> categorical_accuracy(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.2, 0.8]])).tolist()
        [1.0]
    """
    return (y_pred.argmax(dim=-1) == y_true.argmax(dim=-1)).float()


def binary_accuracy(y_true: torch.Tensor, y_pred: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """1.0 where ``(y_pred > threshold) == y_true``, per output.

    Example:
        >>> binary_accuracy(torch.tensor([[1.0], [0.0]]), torch.tensor([[0.7], [0.6]])).tolist()
        [[1.0], [0.0]]
    """
    y_true, y_pred = match_rank(y_true, y_pred)
    y_true = y_true.to(y_pred.dtype)
    return ((y_pred > threshold).to(y_true.dtype) == y_true).float()


def accuracy(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """1.0 where ``y_pred == y_true`` exactly (class ids against class ids), else 0.0.

    Example:
        >>> accuracy(torch.tensor([1, 2, 3]), torch.tensor([1.0, 2.0, 0.0])).tolist()
        [1.0, 1.0, 0.0]
    """
    y_true, y_pred = match_rank(y_true.to(y_pred.dtype), y_pred)
    return (y_true == y_pred).float()


def sparse_top_k_categorical_accuracy(y_true: torch.Tensor, y_pred: torch.Tensor, k: int = 5) -> torch.Tensor:
    """1.0 where the true class is among the ``k`` highest scores.

    As Keras's ``in_top_k``: the true class ranks ``1 + (number of strictly
    higher scores)``, so ties count in its favour.

    Example:
        >>> sparse_top_k_categorical_accuracy(torch.tensor([2]), torch.tensor([[0.5, 0.3, 0.2]]), k=2).tolist()
        [0.0]
    """
    labels = sparse_labels(y_true, y_pred).unsqueeze(-1)  # (..., 1)
    score = y_pred.gather(-1, labels)
    score = torch.where(torch.isnan(score), torch.full_like(score, -float("inf")), score)
    rank = 1 + (y_pred > score).sum(dim=-1)
    return (rank <= k).float()


def top_k_categorical_accuracy(y_true: torch.Tensor, y_pred: torch.Tensor, k: int = 5) -> torch.Tensor:
    """``sparse_top_k_categorical_accuracy`` for one-hot labels.

    Example:
        >>> top_k_categorical_accuracy(torch.tensor([[0.0, 1.0, 0.0]]), torch.tensor([[0.5, 0.3, 0.2]]), k=2).tolist()
        [1.0]
    """
    return sparse_top_k_categorical_accuracy(y_true.argmax(dim=-1), y_pred, k=k)


# -------------------------------------------------------------------- objects
class Accuracy(MeanMetricWrapper):
    """How often ``y_pred`` equals ``y_true`` exactly."""

    def __init__(self, name: str = "accuracy", dtype: str | None = None) -> None:
        super().__init__(accuracy, name, "up", dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` equals the integer label (``(N,)`` or ``(N, 1)`` labels)."""

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: str | None = None) -> None:
        super().__init__(sparse_categorical_accuracy, name, "up", dtype)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` equals ``argmax`` of the one-hot label."""

    def __init__(self, name: str = "categorical_accuracy", dtype: str | None = None) -> None:
        super().__init__(categorical_accuracy, name, "up", dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` equals the 0/1 label."""

    def __init__(self, name: str = "binary_accuracy", dtype: str | None = None, threshold: float = 0.5) -> None:
        super().__init__(binary_accuracy, name, "up", dtype, threshold=float(threshold))


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the ``k`` (5) highest scores."""

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: str | None = None) -> None:
        super().__init__(top_k_categorical_accuracy, name, "up", dtype, k=_positive_k(k))


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label's class is among the ``k`` (5) highest scores."""

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy", dtype: str | None = None) -> None:
        super().__init__(sparse_top_k_categorical_accuracy, name, "up", dtype, k=_positive_k(k))


def _positive_cosine(y_true: torch.Tensor, y_pred: torch.Tensor, axis: int = -1) -> torch.Tensor:
    return -losses_lib.cosine_similarity(y_true, y_pred, axis=axis)  # the metric is the similarity itself


def _loss_metric(class_name: str, fn: MetricFn, default_name: str, direction: str = "down",
                 **defaults: Any) -> type[MeanMetricWrapper]:
    """A ``MeanMetricWrapper`` class over a loss function, as Keras's ``MeanSquaredError`` metric & co."""

    def __init__(self: MeanMetricWrapper, name: str = default_name, dtype: str | None = None, **kwargs: Any) -> None:
        unknown = sorted(set(kwargs) - set(defaults))
        if unknown:
            raise TypeError(f"{class_name}() got unexpected arguments {unknown}; allowed are name, dtype, {sorted(defaults)}")
        MeanMetricWrapper.__init__(self, fn, name, direction, dtype, **{**defaults, **kwargs})

    doc = f"The running mean of ``{getattr(fn, '__name__', default_name)}`` over the samples seen."
    return type(class_name, (MeanMetricWrapper,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})


MeanSquaredError = _loss_metric("MeanSquaredError", losses_lib.mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _loss_metric("MeanAbsoluteError", losses_lib.mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _loss_metric("MeanAbsolutePercentageError", losses_lib.mean_absolute_percentage_error,
                                           "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _loss_metric("MeanSquaredLogarithmicError", losses_lib.mean_squared_logarithmic_error,
                                           "mean_squared_logarithmic_error")
LogCoshError = _loss_metric("LogCoshError", losses_lib.log_cosh, "logcosh")
Hinge = _loss_metric("Hinge", losses_lib.hinge, "hinge")
SquaredHinge = _loss_metric("SquaredHinge", losses_lib.squared_hinge, "squared_hinge")
CategoricalHinge = _loss_metric("CategoricalHinge", losses_lib.categorical_hinge, "categorical_hinge")
KLDivergence = _loss_metric("KLDivergence", losses_lib.kl_divergence, "kl_divergence")
Poisson = _loss_metric("Poisson", losses_lib.poisson, "poisson")
CosineSimilarity = _loss_metric("CosineSimilarity", _positive_cosine, "cosine_similarity", "up", axis=-1)
BinaryCrossentropy = _loss_metric("BinaryCrossentropy", losses_lib.binary_crossentropy, "binary_crossentropy",
                                  from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = _loss_metric("CategoricalCrossentropy", losses_lib.categorical_crossentropy,
                                       "categorical_crossentropy", from_logits=False, label_smoothing=0.0, axis=-1)
SparseCategoricalCrossentropy = _loss_metric("SparseCategoricalCrossentropy", losses_lib.sparse_categorical_crossentropy,
                                             "sparse_categorical_crossentropy", from_logits=False, ignore_class=None,
                                             axis=-1)


class RootMeanSquaredError(Mean):
    """``sqrt`` of the (weighted) running mean squared error, as Keras's ``RootMeanSquaredError``.

    Example:
        >>> m = RootMeanSquaredError(); m.update_state(torch.tensor([[0.0], [0.0]]), torch.tensor([[3.0], [4.0]]))
        >>> round(m.result().item(), 4)  # sqrt((9 + 16) / 2)
        3.5355
    """

    direction = "down"

    def __init__(self, name: str = "root_mean_squared_error", dtype: str | None = None) -> None:
        super().__init__(name, dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:  # type: ignore[override]
        y_pred = _as_float(y_pred)
        y_true, y_pred = match_rank(torch.as_tensor(y_true, device=y_pred.device).to(y_pred.dtype), y_pred)
        super().update_state((y_pred - y_true).square(), sample_weight)

    def result(self) -> torch.Tensor:
        return super().result().sqrt()


def _positive_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"`k` must be a positive integer. Received: k={k!r}")
    return k


_CLASSES: dict[str, type[Metric]] = {
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "binary_accuracy": BinaryAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "root_mean_squared_error": RootMeanSquaredError,
}
# Keras's metric classes by class name (serialized configs); "accuracy" as a string stays Keras's shape-resolved one.
_BY_CLASS_NAME: dict[str, type[Metric]] = {cls.__name__: cls for cls in (
    Accuracy, *_CLASSES.values(), MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, LogCoshError, Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson,
    CosineSimilarity, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, Mean, Sum)}
_ACCURACY = ("accuracy", "acc")


def resolve_accuracy(name: str, y_true_shape: tuple[int, ...], y_pred_shape: tuple[int, ...]) -> Metric:
    """The accuracy Keras means by ``"accuracy"`` for these batch shapes.

    As Keras: one output unit → binary accuracy (threshold 0.5); labels with
    one axis fewer than the predictions, or a trailing axis of 1 against
    several classes → sparse categorical accuracy; otherwise (one-hot labels)
    categorical accuracy. With a valid loss this is the accuracy that loss
    implies (binary / sparse / categorical cross-entropy).

    Example:
        >>> resolve_accuracy("accuracy", (32,), (32, 10))
        SparseCategoricalAccuracy(name='accuracy')
    """
    is_binary = len(y_pred_shape) < 2 or y_pred_shape[-1] == 1
    is_sparse = len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1:] == (1,) and y_pred_shape[-1] > 1)
    if is_binary:
        return BinaryAccuracy(name=name)
    if is_sparse:
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def allowed_names() -> list[str]:
    """Every metric name ``get`` accepts."""
    return [*_ACCURACY, *_CLASSES, *losses_lib.FUNCTIONS]


def get(identifier: Any, y_true_shape: tuple[int, ...] | None = None, y_pred_shape: tuple[int, ...] | None = None) -> Metric:
    """A ``Metric`` from a name, a ``Metric`` or a per-sample function.

    Args:
        identifier: ``"accuracy"``/``"acc"`` (needs the batch shapes, see
            ``resolve_accuracy``), a metric name such as
            ``"sparse_categorical_accuracy"``, a loss name used as a metric
            (``"mse"``, ``"binary_crossentropy"``...), a ``Metric`` instance,
            a callable ``fn(y_true, y_pred)`` returning per-sample values, or
            Keras's serialized ``{"class_name": ..., "config": {...}}``.
        y_true_shape: shape of a batch of labels, to resolve ``"accuracy"``.
        y_pred_shape: shape of a batch of predictions, to resolve ``"accuracy"``.

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
        TypeError: for anything else.

    Example:
        >>> get("top_k_categorical_accuracy")
        TopKCategoricalAccuracy(name='top_k_categorical_accuracy')
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict) and "class_name" in identifier:
        return _from_keras_config(identifier["class_name"], dict(identifier.get("config") or {}))
    if isinstance(identifier, str):
        if identifier in _ACCURACY:
            if y_true_shape is None or y_pred_shape is None:
                raise ValueError(f"metric {identifier!r} is resolved from the shapes of the labels and predictions; pass them.")
            return resolve_accuracy(identifier, tuple(y_true_shape), tuple(y_pred_shape))
        if identifier in _CLASSES:
            return _CLASSES[identifier]()
        if identifier in losses_lib.FUNCTIONS:
            return MeanMetricWrapper(losses_lib.FUNCTIONS[identifier], name=identifier, direction="down")
        raise ValueError(f"Unknown metric: {identifier!r}. Allowed names are {allowed_names()}.")
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(
        f"Could not interpret metric: received {identifier!r} of type {type(identifier).__name__}; expected a "
        "metric name, a convlens Metric or a function (y_true, y_pred) -> per-sample values."
    )


def _from_keras_config(class_name: str, config: dict[str, Any]) -> Metric:
    """A metric from Keras's serialized form (``dtype`` and ``from_sorted_ids`` only at their defaults)."""
    if class_name not in _BY_CLASS_NAME:
        raise ValueError(f"Unknown metric class {class_name!r}. Allowed are {sorted(_BY_CLASS_NAME)}.")
    if config.get("dtype") not in (None, "float32") or config.pop("from_sorted_ids", False):
        raise ValueError(f"{class_name}: convlens computes metrics in float32 from unsorted scores.")
    return _BY_CLASS_NAME[class_name](**config)


# The threshold metrics build on `Metric` above, so they are imported last.
from .confusion_metrics import AUC, Precision, Recall  # noqa: E402

_BY_CLASS_NAME.update({cls.__name__: cls for cls in (AUC, Precision, Recall)})
_CLASSES.update({"precision": Precision, "recall": Recall, "auc": AUC})
__all__ += ["AUC", "Precision", "Recall"]

from .compiled_metrics import CompiledMetrics  # noqa: E402 - compile's structure over the metrics above
