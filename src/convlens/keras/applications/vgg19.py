"""``keras.applications.vgg19``: ``VGG19``, ``preprocess_input``, ``decode_predictions``."""

from __future__ import annotations

from typing import Any

from ...models import Functional
from ._vgg import build, decode_predictions, preprocess_input

__all__ = ["VGG19", "decode_predictions", "preprocess_input"]


def VGG19(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None, input_shape: Any = None,
          pooling: str | None = None, classes: int = 1000, classifier_activation: Any = "softmax",
          name: str = "vgg19") -> Functional:
    """VGG19 as ``keras.applications.VGG19`` builds it (weights from a local file or None: never downloaded).

    Example:
        >>> VGG19(weights=None, include_top=False, input_shape=(32, 32, 3)).layers[0].name.startswith("input")
        True
    """
    model = build("vgg19", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation)
    if name != "vgg19":
        model.name = name
    return model
