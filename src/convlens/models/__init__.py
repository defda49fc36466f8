"""Models: ``Sequential``, ``Functional`` (``Model(inputs, outputs)``) and the shared ``Model`` API."""

from __future__ import annotations

from .functional import Functional
from .model import Model
from .saving import load_model, load_weights, save_model, save_weights
from .sequential import Sequential

__all__ = ["Functional", "Model", "Sequential", "load_model", "load_weights", "save_model", "save_weights"]
