"""Keras's losses with Keras's exact numbers: cross-entropies (sparse, categorical, binary), MSE and MAE.

Every loss function maps ``(y_true, y_pred)`` to one value per sample (the
last axis is reduced); a ``Loss`` object then reduces those values over the
batch (Keras's ``"sum_over_batch_size"``: their mean).

From probabilities (``from_logits=False``, the default, for models ending in
softmax/sigmoid) Keras first renormalises the probabilities to sum to one
(categorical losses), then clips them to ``[EPSILON, 1 - EPSILON]``; the
clip also stops the gradient of a sample whose probability is outside that
range. The logits path uses ``log_softmax`` / a stable BCE-with-logits.

Example:
    >>> import torch
    >>> SparseCategoricalCrossentropy()(torch.tensor([0]), torch.tensor([[0.5, 0.5]])).item()  # -log(0.5)
    0.6931471824645996
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F

__all__ = [
    "EPSILON", "BinaryCrossentropy", "CategoricalCrossentropy", "Loss", "LossFunctionWrapper",
    "MeanAbsoluteError", "MeanSquaredError", "SparseCategoricalCrossentropy", "binary_crossentropy",
    "categorical_crossentropy", "get", "mae", "mean_absolute_error", "mean_squared_error", "mse",
    "sparse_categorical_crossentropy",
]

EPSILON = 1e-7  # keras.config.epsilon(): the probability clip of the cross-entropies

LossFn = Callable[..., torch.Tensor]


def match_rank(y_true: torch.Tensor, y_pred: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Squeeze or expand a trailing axis of size 1 so both have the same rank, as Keras does.

    Example:
        >>> [tuple(t.shape) for t in match_rank(torch.zeros(4), torch.zeros(4, 1))]
        [(4, 1), (4, 1)]
    """
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_true = y_true.unsqueeze(-1)
    return y_true, y_pred


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


def sparse_categorical_crossentropy(y_true: torch.Tensor, y_pred: torch.Tensor, from_logits: bool = False) -> torch.Tensor:
    """``-log p[y]`` per sample, for integer labels ``y_true`` and class scores ``y_pred`` on the last axis.

    Example:
        >>> sparse_categorical_crossentropy(torch.tensor([1]), torch.tensor([[0.0, 1.0]])).tolist()  # clipped at 1 - 1e-7
        [1.1920930376163597e-07]
    """
    labels = sparse_labels(y_true, y_pred).unsqueeze(-1)  # (..., 1)
    if from_logits:
        return -torch.log_softmax(y_pred, dim=-1).gather(-1, labels).squeeze(-1)
    # Only p[y] enters the loss, so renormalise, clip and log just that entry:
    # the same numbers and gradient as Keras's full `log(clip(p / sum(p)))`.
    p = y_pred.gather(-1, labels).squeeze(-1) / y_pred.sum(dim=-1)
    return -torch.log(p.clamp(EPSILON, 1.0 - EPSILON))


def categorical_crossentropy(y_true: torch.Tensor, y_pred: torch.Tensor, from_logits: bool = False,
                             label_smoothing: float = 0.0) -> torch.Tensor:
    """``-sum(y_true * log p)`` per sample, for one-hot (or soft) labels.

    Example:
        >>> categorical_crossentropy(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.5, 0.5]])).tolist()
        [0.6931471824645996]
    """
    y_true = _same_shape(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[-1]
    if from_logits:
        log_p = torch.log_softmax(y_pred, dim=-1)
    else:
        log_p = torch.log((y_pred / y_pred.sum(dim=-1, keepdim=True)).clamp(EPSILON, 1.0 - EPSILON))
    return -(y_true * log_p).sum(dim=-1)


def binary_crossentropy(y_true: torch.Tensor, y_pred: torch.Tensor, from_logits: bool = False,
                        label_smoothing: float = 0.0) -> torch.Tensor:
    """Mean over the last axis of ``-(y log p + (1 - y) log(1 - p))``.

    Example:
        >>> round(binary_crossentropy(torch.tensor([[1.0]]), torch.tensor([[0.8]])).item(), 6)  # -log(0.8)
        0.223144
    """
    y_true, y_pred = match_rank(y_true, y_pred)
    y_true = y_true.to(y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        bce = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    else:
        p = y_pred.clamp(EPSILON, 1.0 - EPSILON)
        bce = -(y_true * torch.log(p) + (1.0 - y_true) * torch.log(1.0 - p))
    return bce.mean(dim=-1)


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

_REDUCTIONS = ("sum_over_batch_size", "mean", "sum", "none", None)
# Keys of Keras's loss configs that convlens accepts only at their defaults.
_KERAS_ONLY_DEFAULTS: dict[str, tuple[Any, ...]] = {"ignore_class": (None,), "axis": (-1,), "dtype": (None, "float32")}


class Loss:
    """A loss object: ``loss(y_true, y_pred)`` is the reduced (scalar) loss.

    Args:
        name: the loss name.
        reduction: ``"sum_over_batch_size"`` (Keras's default: the mean of the
            per-sample losses), ``"mean"`` (the same), ``"sum"``, or
            ``"none"``/``None`` (the per-sample losses).

    Subclasses implement ``call(y_true, y_pred)`` → per-sample losses.
    """

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size") -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(f"Invalid value for argument `reduction`. Expected one of {_REDUCTIONS}. Received: reduction={reduction!r}")
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction

    def call(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, y_true: Any, y_pred: Any) -> torch.Tensor:
        y_pred = torch.as_tensor(y_pred)
        values = self.call(torch.as_tensor(y_true, device=y_pred.device), y_pred)
        if self.reduction in ("sum_over_batch_size", "mean"):
            return values.mean()
        if self.reduction == "sum":
            return values.sum()
        return values

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Loss":
        """Re-create a loss from ``get_config()`` or Keras's own config (Keras-only keys at their defaults)."""
        config = dict(config)
        for key, allowed in _KERAS_ONLY_DEFAULTS.items():
            if key in config and config.pop(key) not in allowed:
                raise ValueError(f"{cls.__name__}: convlens supports {key} only at its Keras default {allowed[0]!r}.")
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Example:
        >>> LossFunctionWrapper(mean_absolute_error)(torch.tensor([[1.0]]), torch.tensor([[3.0]])).item()
        2.0
    """

    def __init__(self, fn: LossFn, name: str | None = None, reduction: str | None = "sum_over_batch_size",
                 **kwargs: Any) -> None:
        super().__init__(name=name or getattr(fn, "__name__", "loss"), reduction=reduction)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self._fn_kwargs}

    @property
    def from_logits(self) -> bool:
        """Whether ``y_pred`` holds logits (only the cross-entropies have this option)."""
        return bool(self._fn_kwargs.get("from_logits", False))


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for integer labels: ``SparseCategoricalCrossentropy(from_logits=True)`` for a linear last layer.

    Example:
        >>> SparseCategoricalCrossentropy(from_logits=True)(torch.tensor([0]), torch.tensor([[0.0, 0.0]])).item()
        0.6931471824645996
    """

    def __init__(self, from_logits: bool = False, reduction: str | None = "sum_over_batch_size",
                 name: str = "sparse_categorical_crossentropy") -> None:
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction, from_logits=bool(from_logits))


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for one-hot labels, with Keras's optional ``label_smoothing``.

    Example:
        >>> CategoricalCrossentropy()(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, 0.5]])).item()
        0.6931471824645996
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 reduction: str | None = "sum_over_batch_size", name: str = "categorical_crossentropy") -> None:
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, from_logits=bool(from_logits),
                         label_smoothing=_smoothing(label_smoothing))


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary (per-output sigmoid) cross-entropy, with Keras's optional ``label_smoothing``.

    Example:
        >>> round(BinaryCrossentropy(from_logits=True)(torch.tensor([1.0]), torch.tensor([0.0])).item(), 6)
        0.693147
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 reduction: str | None = "sum_over_batch_size", name: str = "binary_crossentropy") -> None:
        super().__init__(binary_crossentropy, name=name, reduction=reduction, from_logits=bool(from_logits),
                         label_smoothing=_smoothing(label_smoothing))


class MeanSquaredError(LossFunctionWrapper):
    """Mean squared error.

    Example:
        >>> MeanSquaredError()(torch.tensor([[0.0], [2.0]]), torch.tensor([[1.0], [0.0]])).item()
        2.5
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "mean_squared_error") -> None:
        super().__init__(mean_squared_error, name=name, reduction=reduction)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean absolute error.

    Example:
        >>> MeanAbsoluteError()(torch.tensor([[0.0], [2.0]]), torch.tensor([[1.0], [0.0]])).item()
        1.5
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "mean_absolute_error") -> None:
        super().__init__(mean_absolute_error, name=name, reduction=reduction)


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
}

CLASSES: dict[str, type[LossFunctionWrapper]] = {
    cls.__name__: cls
    for cls in (SparseCategoricalCrossentropy, CategoricalCrossentropy, BinaryCrossentropy, MeanSquaredError,
                MeanAbsoluteError)
}
_CLASS_BY_FUNCTION = {
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    binary_crossentropy: BinaryCrossentropy,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
}


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
        SparseCategoricalCrossentropy(name='sparse_categorical_crossentropy', reduction='sum_over_batch_size', from_logits=False)
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
