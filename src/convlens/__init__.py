"""convlens: convolutional neural networks on images — Keras's specification, PyTorch's speed, and a lens on every layer.

Example:
    >>> from convlens import Sequential, layers
    >>> model = Sequential([layers.Input((28, 28, 1)), layers.Conv2D(8, 3), layers.Flatten(), layers.Dense(10)])
    >>> model.output_shape
    (None, 10)
"""

from __future__ import annotations

from . import layers, models
from .layers import Input
from .models import Model, Sequential

__version__ = "0.1.0"

__all__ = ["Input", "Model", "Sequential", "__version__", "layers", "models"]
