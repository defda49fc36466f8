"""Checks of ``fit``/``evaluate``/``predict`` arguments, and ``class_weight`` as a lookup table.

Example:
    >>> positive_or_none("batch_size", 32), validation_epochs(2)(1)
    (32, True)
"""

from __future__ import annotations

from typing import Any, Callable, Collection

import numpy as np
import torch

__all__ = ["class_weight_table", "class_weights_of", "non_negative_int", "positive_or_none", "validation_epochs"]


def class_weight_table(class_weight: dict[int, float] | None, sample_weight: Any,
                       device: torch.device) -> torch.Tensor | None:
    """``{class_id: weight}`` as a lookup tensor (1 for the classes not listed), as Keras's ``class_weight``.

    Example:
        >>> class_weight_table({2: 0.5}, None, torch.device("cpu")).tolist()
        [1.0, 1.0, 0.5]
    """
    if class_weight is None:
        return None
    if sample_weight is not None:
        raise ValueError("Arguments `sample_weight` and `class_weight` cannot be specified at the same time.")
    if not isinstance(class_weight, dict) or not class_weight:
        raise ValueError(f"`class_weight` must be a dict {{class_id: weight}}. Received: class_weight={class_weight!r}")
    bad = [k for k in class_weight if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0]
    if bad:
        raise ValueError(f"`class_weight` keys must be non-negative class ids. Received: {bad}")
    table = torch.ones(max(class_weight) + 1)
    for class_id, weight in class_weight.items():
        table[int(class_id)] = float(weight)
    return table.to(device)


def class_weights_of(table: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Each sample's class weight: one-hot labels by their argmax, (N, 1) labels squeezed, as Keras does.

    Example:
        >>> class_weights_of(torch.tensor([1.0, 3.0]), torch.tensor([1, 0, 7])).tolist()
        [3.0, 1.0, 1.0]
    """
    if y.ndim > 1 and y.shape[-1] > 1:
        y = y.argmax(dim=-1)
    elif y.ndim > 1:
        y = y.squeeze(-1)
    ids = y.long().clamp(0, table.numel() - 1)
    return torch.where(y.long() < table.numel(), table[ids], 1.0)


def positive_or_none(name: str, value: Any) -> int | None:
    """``value`` as an int when it is a positive integer, None for None; otherwise a ValueError naming ``name``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer or None. Received: {name}={value!r}")
    return int(value)


def non_negative_int(name: str, value: Any) -> None:
    """A ValueError naming ``name`` unless ``value`` is an integer ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"`{name}` must be a non-negative integer. Received: {name}={value!r}")


def validation_epochs(freq: int | Collection[int]) -> Callable[[int], bool]:
    """``validation_freq`` as a test on the 0-based epoch: every n epochs, or the listed (1-based) ones."""
    if isinstance(freq, (int, np.integer)) and not isinstance(freq, bool) and freq >= 1:
        return lambda epoch: (epoch + 1) % int(freq) == 0
    if isinstance(freq, Collection) and not isinstance(freq, str):
        wanted = set(freq)
        return lambda epoch: epoch + 1 in wanted
    raise ValueError(f"`validation_freq` must be a positive integer or a list of epochs. Received: validation_freq={freq!r}")
