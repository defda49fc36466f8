"""``convlens.keras``: Keras 3's public module tree over convlens's own objects.

Keras code runs with the import changed::

    import convlens.keras as keras
    from convlens.keras import layers

    model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
                              layers.MaxPooling2D(), layers.Flatten(), layers.Dense(10, activation="softmax")])

Every name here is convlens's own object re-exported (``keras.layers.Conv2D is
convlens.layers.Conv2D``), never a wrapped copy, the way Keras keeps its
generated ``keras/api`` apart from ``keras/src``. Sub-modules load on first use.

Example:
    >>> import convlens.keras as keras
    >>> keras.layers.Dense is __import__("convlens").layers.Dense
    True
"""

from __future__ import annotations

import importlib
from typing import Any

from ..layers import Input, InputLayer, Layer
from ..models import Model, Sequential

__version__ = "3.15.1"  # the Keras specification this namespace follows

_SUBMODULES = ("activations", "applications", "backend", "callbacks", "config", "constraints", "datasets", "distribution",
               "initializers", "layers", "losses", "metrics", "models", "ops", "optimizers", "regularizers", "saving", "utils")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'convlens.keras' has no attribute {name!r}")


def version() -> str:
    """The Keras version whose specification ``convlens.keras`` follows (``keras.version()``)."""
    return __version__


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBMODULES))


__all__ = ["Input", "InputLayer", "Layer", "Model", "Sequential", "version", *_SUBMODULES]
