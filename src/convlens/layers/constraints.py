"""Keras's weight constraints: projections applied to a weight after every optimizer step.

A layer given ``kernel_constraint=MaxNorm(2)`` has its kernel rescaled after
each update so that every unit's incoming weight vector has norm at most 2, as
Keras's optimizer does after applying the gradients. A constraint sees the
weight in Keras's layout, so ``axis`` means what it means in Keras (a Dense
kernel is ``(in, out)``: ``axis=0`` constrains each unit's incoming weights; a
Conv2D kernel is ``(kh, kw, in, out)``: use ``axis=[0, 1, 2]``).

Example:
    >>> import torch
    >>> NonNeg()(torch.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from . import serialization

__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "deserialize", "get", "max_norm",
           "min_max_norm", "non_neg", "serialize", "unit_norm"]

_MODULE = "keras.constraints"
_EPSILON = 1e-7  # Keras's backend.epsilon(), added to every norm it divides by

Axis = int | Sequence[int]


def _norms(w: torch.Tensor, axis: Axis) -> torch.Tensor:
    dims = (axis,) if isinstance(axis, int) else tuple(axis)
    return w.square().sum(dim=dims, keepdim=True).sqrt()


class Constraint:
    """Base class: a callable ``weight → constrained weight`` with a config (the identity here).

    Example:
        >>> Constraint()(torch.ones(2)).tolist()
        [1.0, 1.0]
    """

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Constraint":
        """Re-create the constraint from ``get_config()``."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


class MaxNorm(Constraint):
    """Rescale weight vectors whose norm along ``axis`` exceeds ``max_value``: ``w · clip(n, 0, m) / (ε + n)``.

    Example:
        >>> MaxNorm(1.0)(torch.tensor([[3.0], [4.0]])).flatten().tolist()
        [0.6000000238418579, 0.800000011920929]
    """

    def __init__(self, max_value: float = 2, axis: Axis = 0) -> None:
        self.max_value, self.axis = max_value, axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        norms = _norms(w, self.axis)
        return w * (norms.clamp(0, self.max_value) / (_EPSILON + norms))

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Set negative weights to zero.

    Example:
        >>> NonNeg()(torch.tensor([-0.5, 0.5])).tolist()
        [0.0, 0.5]
    """

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return torch.clamp(w, min=0)


class UnitNorm(Constraint):
    """Scale weight vectors to unit norm along ``axis``: ``w / (ε + n)``.

    Example:
        >>> round(UnitNorm()(torch.tensor([[3.0], [4.0]])).norm().item(), 5)
        1.0
    """

    def __init__(self, axis: Axis = 0) -> None:
        self.axis = axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w / (_EPSILON + _norms(w, self.axis))

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Move weight-vector norms towards ``[min_value, max_value]`` at ``rate`` (1: all the way).

    ``w · (rate·clip(n, min, max) + (1 - rate)·n) / (ε + n)``.

    Example:
        >>> round(MinMaxNorm(2.0, 3.0)(torch.tensor([[0.6], [0.8]])).norm().item(), 5)
        2.0
    """

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: Axis = 0) -> None:
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        norms = _norms(w, self.axis)
        desired = self.rate * norms.clamp(self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (_EPSILON + norms))

    def get_config(self) -> dict[str, Any]:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


_CLASSES: dict[str, type] = {cls.__name__: cls for cls in (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)}
_NAMES: dict[str, type] = {**_CLASSES, "constraint": Constraint, "max_norm": MaxNorm, "min_max_norm": MinMaxNorm,
                           "non_neg": NonNeg, "unit_norm": UnitNorm}

max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm


def get(identifier: Any) -> Any:
    """A constraint from ``None``, a name (``"max_norm"``), a Keras serialized dict, a class or a callable.

    Raises:
        ValueError: ``Could not interpret constraint identifier: ...`` for anything else.

    Example:
        >>> get("max_norm").max_value, get({"class_name": "UnitNorm", "config": {"axis": 1}}).axis
        (2, 1)
    """
    return serialization.resolve(identifier, _NAMES, "constraint")


def serialize(constraint: Any) -> Any:
    """Keras's serialized form: ``{"module": "keras.constraints", "class_name": "MaxNorm", "config": {...}, ...}``.

    Example:
        >>> serialize(MaxNorm(3))["config"]
        {'max_value': 3, 'axis': 0}
    """
    return serialization.serialize(constraint, _MODULE)


def deserialize(config: Any) -> Any:
    """The constraint a serialized dict (or name) describes.

    Example:
        >>> deserialize(serialize(NonNeg())).__class__.__name__
        'NonNeg'
    """
    return get(config)
