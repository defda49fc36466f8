"""Keras's weight regularizers: penalties on a weight (or a layer's output) added to the training loss.

A layer given ``kernel_regularizer=L2(0.01)`` contributes ``0.01·Σw²`` to
``layer.losses`` and hence to the loss ``fit`` minimises (and reports), as in
Keras. A regularizer sees the weight in Keras's layout (a Dense kernel is
``(in, out)``), which only ``OrthogonalRegularizer`` can tell apart.

Numbers follow Keras 3.15 to the bit: ``L1`` and ``OrthogonalRegularizer`` keep
their factor as a float32 (so ``L1(0.01).get_config()`` is
``{"l1": 0.009999999776482582}``, as Keras writes it); ``L2`` and ``L1L2`` keep
a Python float.

Example:
    >>> import torch
    >>> L2(2.0)(torch.ones(5, 5)).item()
    50.0
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from . import serialization

__all__ = ["L1", "L1L2", "L2", "OrthogonalRegularizer", "Regularizer", "deserialize", "get", "l1", "l1_l2", "l2",
           "orthogonal_regularizer", "serialize"]

_MODULE = "keras.regularizers"
_EPSILON = 1e-7  # Keras's backend.epsilon(), the floor of a norm


class Regularizer:
    """Base class: a callable ``weight → scalar penalty`` with a config.

    Subclass it and define ``__call__(x)`` and ``get_config()`` for a custom penalty.

    Example:
        >>> class Sum(Regularizer):
        ...     def __call__(self, x): return x.sum()
        ...     def get_config(self): return {}
        >>> Sum()(torch.ones(3)).item()
        3.0
    """

    def __call__(self, x: torch.Tensor) -> torch.Tensor | float:
        return 0.0

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(f"{self} does not implement get_config()")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Regularizer":
        """Re-create the regularizer from ``get_config()``."""
        return cls(**config)

    def __repr__(self) -> str:
        try:
            arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            arguments = ""
        return f"{type(self).__name__}({arguments})"


def _factor(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (float, int)) or math.isinf(value) or math.isnan(value) \
            or value < 0:
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float.Received: {name}={value}")
    return float(value)


def _float32(value: float) -> float:
    return float(np.float32(value))  # Keras holds this factor in a float32 tensor


class L1L2(Regularizer):
    """``l1·Σ|x| + l2·Σx²``.

    Args:
        l1: the L1 factor (``None`` means 0).
        l2: the L2 factor (``None`` means 0).

    Example:
        >>> L1L2(l1=0.5, l2=1.0)(torch.tensor([1.0, -2.0])).item()
        6.5
    """

    def __init__(self, l1: float | None = 0.0, l2: float | None = 0.0) -> None:
        self.l1 = _factor(0.0 if l1 is None else l1, "l1")
        self.l2 = _factor(0.0 if l2 is None else l2, "l2")

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        penalty = torch.zeros((), dtype=x.dtype, device=x.device)
        if self.l1 != 0.0:
            penalty = penalty + self.l1 * x.abs().sum()
        if self.l2 != 0.0:
            penalty = penalty + self.l2 * x.square().sum()
        return penalty

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1·Σ|x|``.

    Example:
        >>> L1(0.5)(torch.tensor([1.0, -2.0])).item()
        1.5
    """

    def __init__(self, l1: float | None = 0.01) -> None:
        self.l1 = _float32(_factor(0.01 if l1 is None else l1, "l1"))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.l1 * x.abs().sum()

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2·Σx²``.

    Example:
        >>> L2(0.5)(torch.tensor([1.0, -2.0])).item()
        2.5
    """

    def __init__(self, l2: float | None = 0.01) -> None:
        self.l2 = _factor(0.01 if l2 is None else l2, "l2")

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.l2 * x.square().sum()

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2-D weight towards orthogonality.

    ``factor · ½ · Σ_{i≠j} |⟨r̂ᵢ, r̂ⱼ⟩| / (n(n-1)/2)`` over the L2-normalised
    rows ``r̂`` (``mode="rows"``) or columns (``mode="columns"``).

    Example:
        >>> OrthogonalRegularizer(1.0)(torch.eye(3)).item()
        0.0
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = _float32(_factor(factor, "factor"))
        if mode not in {"rows", "columns"}:
            raise ValueError(f'Invalid value for argument `mode`. Expected one of {{"rows", "columns"}}. Received: mode={mode}')
        self.mode = mode

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape={tuple(x.shape)}")
        vectors = x if self.mode == "rows" else x.T  # (n, d)
        # Keras's normalize: x · min(rsqrt(Σx²), 1/ε)
        unit = vectors * torch.rsqrt(vectors.square().sum(dim=1, keepdim=True)).clamp(max=1.0 / _EPSILON)
        product = unit @ unit.T  # (n, n)
        size = product.shape[0]
        off_diagonal = product * (1.0 - torch.eye(size, dtype=x.dtype, device=x.device))
        return self.factor * 0.5 * off_diagonal.abs().sum() / (size * (size - 1.0) / 2.0)

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}


# Keras 3.15's lookup table: class names and their snake-case forms ("l1l2"; "l1_l2" too, as its docs say).
_CLASSES: dict[str, type] = {cls.__name__: cls for cls in (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)}
_NAMES: dict[str, type] = {**_CLASSES, "regularizer": Regularizer, "l1": L1, "l2": L2, "l1l2": L1L2,
                           "l1_l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer}

l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer


def get(identifier: Any) -> Any:
    """A regularizer from ``None``, a name (``"l2"``), a Keras serialized dict, a class or a callable.

    Raises:
        ValueError: ``Could not interpret regularizer identifier: ...`` for anything else.

    Example:
        >>> get("l2").l2, get({"class_name": "L1L2", "config": {"l1": 0.1}}).l1
        (0.01, 0.1)
    """
    return serialization.resolve(identifier, _NAMES, "regularizer")


def serialize(regularizer: Any) -> Any:
    """Keras's serialized form: ``{"module": "keras.regularizers", "class_name": "L2", "config": {...}, ...}``.

    Example:
        >>> serialize(L2())["config"]
        {'l2': 0.01}
    """
    return serialization.serialize(regularizer, _MODULE)


def deserialize(config: Any) -> Any:
    """The regularizer a serialized dict (or name) describes.

    Example:
        >>> deserialize(serialize(L1(0.5))).l1
        0.5
    """
    return get(config)
