"""``keras.optimizers``: the Keras-rule optimizers (``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ...) and ``schedules``."""

from __future__ import annotations

import importlib
from typing import Any

from .._export import public

globals().update(public("convlens.optimizers"))
__all__ = sorted(n for n in globals() if not n.startswith("_") and n not in ("public", "annotations", "importlib", "Any"))


def __getattr__(name: str) -> Any:
    if name == "schedules":
        return importlib.import_module(f"{__name__}.schedules")
    raise AttributeError(f"module 'convlens.keras.optimizers' has no attribute {name!r}")
