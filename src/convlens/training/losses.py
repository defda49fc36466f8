"""Keras's losses with Keras's exact numbers: cross-entropies (sparse, categorical, binary), MSE and MAE.

Every loss function maps ``(y_true, y_pred)`` to one value per sample (the
last axis is reduced); a ``Loss`` object then reduces those values over the
batch (Keras's ``"sum_over_batch_size"``: their mean).

The cross-entropy functions (and how they treat probabilities and logits)
live in ``crossentropy.py``, the other per-sample functions in
``loss_functions.py``; this module holds the ``Loss`` objects and ``get``.

Example:
    >>> import torch
    >>> SparseCategoricalCrossentropy()(torch.tensor([0]), torch.tensor([[0.5, 0.5]])).item()  # -log(0.5)
    0.6931471824645996
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from . import loss_functions
from .crossentropy import (_ignored, binary_crossentropy, categorical_crossentropy,  # noqa: F401 - re-exported
                           sparse_categorical_crossentropy, sparse_labels)
from .loss_functions import (EPSILON, binary_crossentropy_values, binary_focal_crossentropy,  # noqa: F401 - re-exported
                             categorical_focal_crossentropy, categorical_hinge, cosine_similarity, hinge, huber,
                             kl_divergence, kld, log_cosh, logcosh, mape, match_rank, mean_absolute_percentage_error,
                             mean_squared_logarithmic_error, msle, poisson, squared_hinge)

__all__ = [
    "EPSILON", "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy", "CategoricalHinge", "CosineSimilarity", "Hinge", "Huber", "KLDivergence",
    "LogCosh", "Loss", "LossFunctionWrapper", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy", "SquaredHinge", "binary_crossentropy",
    "binary_focal_crossentropy", "categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge",
    "cosine_similarity", "get", "hinge", "huber", "kl_divergence", "kld", "log_cosh", "logcosh", "mae", "mape",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error",
    "mse", "msle", "poisson", "reduce_weighted", "sparse_categorical_crossentropy", "squared_hinge",
]

LossFn = Callable[..., torch.Tensor]


def mean_squared_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """Mean over the last axis of ``(y_true - y_pred)²``.

    Example:
        >>> mean_squared_error(torch.tensor([[1.0, 2.0]]), torch.tensor([[0.0, 0.0]])).tolist()
        [2.5]
    """
    y_true, y_pred = match_rank(y_true, y_pred)
    return (y_true.to(y_pred.dtype) - y_pred).square().mean(dim=-1)


def mean_absolute_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """Mean over the last axis of ``|y_true - y_pred|``.

    Example:
        >>> mean_absolute_error(torch.tensor([[1.0, -2.0]]), torch.tensor([[0.0, 0.0]])).tolist()
        [1.5]
    """
    y_true, y_pred = match_rank(y_true, y_pred)
    return (y_true.to(y_pred.dtype) - y_pred).abs().mean(dim=-1)


mse = mean_squared_error
mae = mean_absolute_error

_REDUCTIONS = ("sum_over_batch_size", "mean", "mean_with_sample_weight", "sum", "none", None)


def reduce_weighted(values: torch.Tensor, sample_weight: Any = None, mask: torch.Tensor | None = None,
                    reduction: str | None = "sum_over_batch_size") -> torch.Tensor:
    """Weight per-sample losses and reduce them as Keras's ``reduce_weighted_values``.

    ``sample_weight`` broadcasts against ``values`` (a trailing axis of 1 is
    squeezed or added as Keras does); ``"sum_over_batch_size"``/``"mean"``
    divide the weighted sum by the number of values, ``"mean_with_sample_weight"``
    by the sum of the weights, ``"sum"`` does not divide. A ``mask`` (the
    valid entries, e.g. labels other than ``ignore_class``) leaves the masked
    entries out, and out of the count of the means.

    Example:
        >>> reduce_weighted(torch.tensor([1.0, 3.0]), torch.tensor([1.0, 0.0])).item()  # (1·1 + 3·0) / 2
        0.5
    """
    if sample_weight is not None and not isinstance(sample_weight, torch.Tensor):
        sample_weight = torch.as_tensor(sample_weight, dtype=values.dtype, device=values.device)
    if mask is not None:
        mask = mask.to(values.dtype)
        if reduction in ("sum_over_batch_size", "mean"):
            # Valid entries weigh total/valid, so the mean over all entries is the mean over the valid ones.
            valid = mask.sum()
            mask = mask * torch.where(valid > 0, mask.numel() / valid.clamp_min(1.0), 0.0)
        if sample_weight is None:
            sample_weight = mask
        else:
            mask, sample_weight = match_rank(mask, sample_weight.to(values.dtype))
            sample_weight = sample_weight * mask
    if sample_weight is not None:
        values, sample_weight = match_rank(values, sample_weight.to(values.dtype))
        values = values * sample_weight
    if reduction is None or reduction == "none" or values.ndim == 0 or tuple(values.shape) == (0,):
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = sample_weight.expand_as(values).sum() if sample_weight.ndim else sample_weight * values.numel()
        return torch.where(divisor != 0, total / divisor, 0.0)
    return total / values.numel()


class Loss:
    """A loss object: ``loss(y_true, y_pred, sample_weight=None)`` is the reduced (scalar) loss.

    Args:
        name: the loss name.
        reduction: ``"sum_over_batch_size"`` (Keras's default: the weighted
            per-sample losses summed, divided by their number), ``"mean"``
            (the same), ``"mean_with_sample_weight"`` (divided by the sum of
            the weights), ``"sum"``, or ``"none"``/``None`` (the weighted
            per-sample losses).
        dtype: ``None`` or ``"float32"`` (convlens computes losses in float32).

    Subclasses implement ``call(y_true, y_pred)`` → per-sample losses, and
    may implement ``mask(y_true, y_pred)`` → the entries that count.

    Example:
        >>> MeanSquaredError()([[1.0], [3.0]], [[0.0], [0.0]], sample_weight=[1.0, 0.0]).item()  # (1 + 0) / 2
        0.5
    """

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size",
                 dtype: str | None = None) -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(f"Invalid value for argument `reduction`. Expected one of {_REDUCTIONS}. Received: reduction={reduction!r}")
        if dtype not in (None, "float32"):
            raise ValueError(f"convlens computes losses in float32. Received: dtype={dtype!r}")
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction

    def call(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def mask(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor | None:
        """The entries of ``call``'s result that count (``None``: all of them)."""
        return None

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> torch.Tensor:
        y_pred = torch.as_tensor(y_pred)
        if not y_pred.is_floating_point():  # Keras computes in float32: integer predictions are cast
            y_pred = y_pred.float()
        y_true = torch.as_tensor(y_true, device=y_pred.device)
        values = self.call(y_true, y_pred)
        mask = self.mask(y_true, y_pred)
        if sample_weight is None and mask is None and self.reduction in ("sum_over_batch_size", "mean"):
            return values.mean()  # the training fast path: one kernel
        return reduce_weighted(values, sample_weight, mask, self.reduction)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Loss":
        """Re-create a loss from ``get_config()`` or Keras's own config."""
        config = dict(config)
        if "fn" in config and cls is not LossFunctionWrapper:
            config.pop("fn")
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    As Keras's, it first squeezes or adds a trailing axis of 1 so that
    ``y_true`` and ``y_pred`` have the same rank.

    Example:
        >>> LossFunctionWrapper(mean_absolute_error)(torch.tensor([[1.0]]), torch.tensor([[3.0]])).item()
        2.0
    """

    def __init__(self, fn: LossFn, name: str | None = None, reduction: str | None = "sum_over_batch_size",
                 dtype: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name or getattr(fn, "__name__", "loss"), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        y_true, y_pred = match_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self._fn_kwargs}

    @property
    def from_logits(self) -> bool:
        """Whether ``y_pred`` holds logits (only the cross-entropies have this option)."""
        return bool(self._fn_kwargs.get("from_logits", False))


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for integer labels: ``SparseCategoricalCrossentropy(from_logits=True)`` for a linear last layer.

    ``ignore_class`` labels (e.g. a "void" class of a segmentation mask)
    count neither in the loss nor in the number it is averaged over.

    Example:
        >>> SparseCategoricalCrossentropy(from_logits=True)(torch.tensor([0]), torch.tensor([[0.0, 0.0]])).item()
        0.6931471824645996
    """

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction: str | None = "sum_over_batch_size", axis: int = -1,
                 name: str = "sparse_categorical_crossentropy", dtype: str | None = None) -> None:
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=bool(from_logits), ignore_class=ignore_class)
        if axis != -1:  # Keras leaves `axis` out of the config at its default
            self._fn_kwargs["axis"] = axis

    def mask(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor | None:
        ignore_class = self._fn_kwargs["ignore_class"]
        if ignore_class is None:
            return None
        axis = self._fn_kwargs.get("axis", -1)
        return _ignored(y_true, y_pred.movedim(axis, -1), ignore_class)[1]


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for one-hot labels, with Keras's optional ``label_smoothing``.

    Example:
        >>> CategoricalCrossentropy()(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, 0.5]])).item()
        0.6931471824645996
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size", name: str = "categorical_crossentropy",
                 dtype: str | None = None) -> None:
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=bool(from_logits), label_smoothing=_smoothing(label_smoothing), axis=axis)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary (per-output sigmoid) cross-entropy, with Keras's optional ``label_smoothing``.

    Example:
        >>> round(BinaryCrossentropy(from_logits=True)(torch.tensor([1.0]), torch.tensor([0.0])).item(), 6)
        0.693147
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size", name: str = "binary_crossentropy",
                 dtype: str | None = None) -> None:
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=bool(from_logits), label_smoothing=_smoothing(label_smoothing), axis=axis)


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy down-weighting easy samples by ``(1 − p_t)^gamma`` (Lin et al., 2018).

    Example:
        >>> round(BinaryFocalCrossentropy()(torch.tensor([[1.0]]), torch.tensor([[0.5]])).item(), 6)
        0.173287
    """

    def __init__(self, apply_class_balancing: bool = False, alpha: float = 0.25, gamma: float = 2.0,
                 from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size", name: str = "binary_focal_crossentropy",
                 dtype: str | None = None) -> None:
        super().__init__(loss_functions.binary_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=bool(from_logits), label_smoothing=_smoothing(label_smoothing), axis=axis,
                         apply_class_balancing=bool(apply_class_balancing), alpha=float(alpha), gamma=float(gamma))


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy scaled by ``alpha · (1 − p)^gamma``.

    Example:
        >>> round(CategoricalFocalCrossentropy()(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, 0.5]])).item(), 6)
        0.043322
    """

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                 label_smoothing: float = 0.0, axis: int = -1, reduction: str | None = "sum_over_batch_size",
                 name: str = "categorical_focal_crossentropy", dtype: str | None = None) -> None:
        super().__init__(loss_functions.categorical_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=bool(from_logits), label_smoothing=_smoothing(label_smoothing), axis=axis,
                         alpha=float(alpha), gamma=float(gamma))


class Huber(LossFunctionWrapper):
    """Huber loss: squared error below ``delta``, linear above it.

    Example:
        >>> Huber(delta=2.0)(torch.tensor([[0.0]]), torch.tensor([[3.0]])).item()
        4.0
    """

    def __init__(self, delta: float = 1.0, reduction: str | None = "sum_over_batch_size", name: str = "huber_loss",
                 dtype: str | None = None) -> None:
        super().__init__(loss_functions.huber, name=name, reduction=reduction, dtype=dtype, delta=float(delta))


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity along ``axis`` (−1: same direction, 0: orthogonal).

    Example:
        >>> CosineSimilarity()(torch.tensor([[0.0, 2.0]]), torch.tensor([[0.0, 5.0]])).item()
        -1.0
    """

    def __init__(self, axis: int = -1, reduction: str | None = "sum_over_batch_size", name: str = "cosine_similarity",
                 dtype: str | None = None) -> None:
        super().__init__(loss_functions.cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)


def _plain_loss(class_name: str, fn: LossFn, default_name: str, doc: str) -> type[LossFunctionWrapper]:
    """A ``Loss`` class over ``fn`` with only ``reduction``/``name``/``dtype``, as Keras's argument-free losses."""

    def __init__(self: LossFunctionWrapper, reduction: str | None = "sum_over_batch_size", name: str = default_name,
                 dtype: str | None = None) -> None:
        LossFunctionWrapper.__init__(self, fn, name=name, reduction=reduction, dtype=dtype)

    return type(class_name, (LossFunctionWrapper,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})


MeanSquaredError = _plain_loss("MeanSquaredError", mean_squared_error, "mean_squared_error", "Mean squared error.")
MeanAbsoluteError = _plain_loss("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error", "Mean absolute error.")
MeanAbsolutePercentageError = _plain_loss("MeanAbsolutePercentageError", loss_functions.mean_absolute_percentage_error,
                                          "mean_absolute_percentage_error", "Mean absolute percentage error.")
MeanSquaredLogarithmicError = _plain_loss("MeanSquaredLogarithmicError", loss_functions.mean_squared_logarithmic_error,
                                          "mean_squared_logarithmic_error", "Mean squared logarithmic error.")
Hinge = _plain_loss("Hinge", loss_functions.hinge, "hinge", "Hinge loss, labels in {-1, 1} or {0, 1}.")
SquaredHinge = _plain_loss("SquaredHinge", loss_functions.squared_hinge, "squared_hinge", "Squared hinge loss.")
CategoricalHinge = _plain_loss("CategoricalHinge", loss_functions.categorical_hinge, "categorical_hinge", "Categorical hinge loss.")
LogCosh = _plain_loss("LogCosh", loss_functions.log_cosh, "log_cosh", "Mean of log(cosh(error)).")
KLDivergence = _plain_loss("KLDivergence", loss_functions.kl_divergence, "kl_divergence", "Kullback-Leibler divergence.")
Poisson = _plain_loss("Poisson", loss_functions.poisson, "poisson", "Poisson loss: mean of y_pred - y_true · log(y_pred).")


def _smoothing(value: float) -> float:
    if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"`label_smoothing` must be a float between 0 and 1. Received: label_smoothing={value!r}")
    return float(value)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


# Per-sample functions by Keras name (used by `get` and as metrics by `metrics.get`).
FUNCTIONS: dict[str, LossFn] = {
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "binary_crossentropy": binary_crossentropy,
    "mean_squared_error": mean_squared_error,
    "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error,
    "mae": mean_absolute_error,
    **loss_functions.FUNCTIONS,
}

_CLASS_BY_FUNCTION: dict[LossFn, type[LossFunctionWrapper]] = {
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    binary_crossentropy: BinaryCrossentropy,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    loss_functions.mean_absolute_percentage_error: MeanAbsolutePercentageError,
    loss_functions.mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
    loss_functions.hinge: Hinge,
    loss_functions.squared_hinge: SquaredHinge,
    loss_functions.categorical_hinge: CategoricalHinge,
    loss_functions.log_cosh: LogCosh,
    loss_functions.kl_divergence: KLDivergence,
    loss_functions.poisson: Poisson,
    loss_functions.huber: Huber,
    loss_functions.cosine_similarity: CosineSimilarity,
    loss_functions.binary_focal_crossentropy: BinaryFocalCrossentropy,
    loss_functions.categorical_focal_crossentropy: CategoricalFocalCrossentropy,
}
CLASSES: dict[str, type[LossFunctionWrapper]] = {cls.__name__: cls for cls in _CLASS_BY_FUNCTION.values()}


def get(identifier: Any) -> Loss:
    """A ``Loss`` object from a Keras name, a ``Loss``, a per-sample function or a serialized dict.

    Args:
        identifier: ``"sparse_categorical_crossentropy"``, ``"mse"``, a class
            name such as ``"BinaryCrossentropy"``, a ``Loss`` instance, a
            callable ``fn(y_true, y_pred)`` returning per-sample losses, or
            ``{"class_name": ..., "config": {...}}``.

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
        TypeError: for anything else.

    Example:
        >>> get("sparse_categorical_crossentropy")
        SparseCategoricalCrossentropy(name='sparse_categorical_crossentropy', reduction='sum_over_batch_size', from_logits=False, ignore_class=None)
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict) and "class_name" in identifier:
        cls = get(identifier["class_name"])
        return type(cls).from_config(dict(identifier.get("config") or {}))
    if isinstance(identifier, str):
        if identifier in FUNCTIONS:
            return _CLASS_BY_FUNCTION[FUNCTIONS[identifier]]()
        if identifier in CLASSES:
            return CLASSES[identifier]()
        raise ValueError(f"Unknown loss: loss={identifier!r}. Allowed names are {sorted(FUNCTIONS) + sorted(CLASSES)}.")
    if callable(identifier):
        cls = _CLASS_BY_FUNCTION.get(identifier)
        return cls() if cls is not None else LossFunctionWrapper(identifier)
    raise TypeError(
        f"Could not interpret loss: received loss={identifier!r} of type {type(identifier).__name__}; "
        "expected a loss name, a convlens Loss or a function (y_true, y_pred) -> per-sample losses."
    )
