"""Models: ``Sequential`` and the shared ``Model`` API."""

from __future__ import annotations

from .model import Model
from .sequential import Sequential

__all__ = ["Model", "Sequential"]
