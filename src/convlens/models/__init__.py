"""Models: ``Sequential`` and the shared ``Model`` API."""

from __future__ import annotations

from .model import Model
from .saving import load_model, load_weights, save_model, save_weights
from .sequential import Sequential

__all__ = ["Model", "Sequential", "load_model", "load_weights", "save_model", "save_weights"]
