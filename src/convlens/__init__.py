"""convlens: convolutional neural networks on images — Keras's specification, PyTorch's speed, and a lens on every layer.

Example:
    >>> from convlens import Sequential, layers
    >>> model = Sequential([layers.Input((28, 28, 1)), layers.Conv2D(8, 3), layers.Flatten(), layers.Dense(10)])
    >>> model.output_shape
    (None, 10)
"""

from __future__ import annotations

import importlib
from typing import Any

from . import layers, models
from .layers import Input
from .models import Model, Sequential

__version__ = "0.1.0"

# Sub-packages imported on first use: `import convlens` stays fast (matplotlib,
# h5py and Pillow load only when pictures, files or images are needed).
_LAZY = {
    "datasets": "convlens.datasets",
    "filters": "convlens.filters",
    "lens": "convlens.lens",
    "zoo": "convlens.zoo",
    "training": "convlens.training",
    "callbacks": "convlens.callbacks",
    "optimizers": "convlens.optimizers",
    "losses": "convlens.losses",
    "metrics": "convlens.metrics",
    "utils": "convlens.utils",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        globals()[name] = module
        return module
    raise AttributeError(f"module 'convlens' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["Input", "Model", "Sequential", "__version__", "callbacks", "datasets", "filters", "layers", "lens",
           "losses", "metrics", "models", "optimizers", "training", "utils", "zoo"]
