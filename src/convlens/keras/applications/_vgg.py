"""What VGG16 and VGG19 share: the model as Keras builds it, the Caffe preprocessing and the ImageNet labels."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ...layers.data_format import standardize_data_format
from ...models import Functional

# ImageNet's per-channel means in BGR order, as Keras's "caffe" preprocessing subtracts them.
_CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)
_CLASS_INDEX = "imagenet_class_index.json"


def build(name: str, include_top: bool, weights: Any, input_tensor: Any, input_shape: Any, pooling: Any,
          classes: int, classifier_activation: Any) -> Functional:
    """A Keras-style VGG: a functional model whose first layer is the input layer, as ``keras.applications``."""
    from ... import zoo

    if weights == "imagenet":
        raise ValueError(
            f"{name.upper()}: weights='imagenet' would need a download, which convlens never does. Pass the path of "
            f"a local Keras weights file (e.g. {name}_weights_tf_dim_ordering_tf_kernels.h5) or weights=None."
        )
    if input_tensor is not None:
        raise ValueError(f"{name.upper()}: input_tensor is not supported; pass input_shape instead.")
    stack = zoo.create(name, include_top=include_top, input_shape=input_shape, pooling=pooling, classes=classes,
                       classifier_activation=classifier_activation, weights=weights)
    return Functional(stack.inputs, stack.outputs, name=name)


def application(name: str) -> Any:
    """The ``keras.applications`` constructor of ``name`` (``"vgg16"`` → ``VGG16(...)``), Keras's signature."""

    def constructor(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
                    input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                    classifier_activation: Any = "softmax", name: str = name) -> Functional:
        model = build(constructor.__name__.lower(), include_top, weights, input_tensor, input_shape, pooling, classes,
                      classifier_activation)
        model.name = name
        return model

    constructor.__name__ = constructor.__qualname__ = name.upper()
    constructor.__doc__ = (f"{name.upper()} as ``keras.applications.{name.upper()}`` builds it; weights from a local "
                           "file or None, never downloaded.")
    return constructor


def preprocess_input(x: Any, data_format: str | None = None) -> np.ndarray:
    """Keras's "caffe" preprocessing for VGG: RGB → BGR, then subtract ImageNet's channel means (no scaling).

    ``data_format="channels_first"`` takes (3, H, W) images or (N, 3, H, W) batches; ``None`` follows
    ``keras.config.image_data_format()``.

    Example:
        >>> preprocess_input(np.full((1, 1, 1, 3), 255.0))[0, 0, 0].astype(float).round(3).tolist()
        [151.061, 138.221, 131.32]
    """
    array = np.asarray(x, dtype=np.float32)
    if standardize_data_format(data_format) == "channels_first":
        axis = 0 if array.ndim == 3 else 1  # Keras's rule: an unbatched image has its channels first of all
        return np.moveaxis(preprocess_input(np.moveaxis(array, axis, -1), "channels_last"), -1, axis)
    if array.shape[-1] != 3:
        raise ValueError(f"preprocess_input expects RGB images (..., 3); received shape {array.shape}.")
    return array[..., ::-1] - _CAFFE_MEAN_BGR


def decode_predictions(preds: Any, top: int = 5, class_index: str | os.PathLike | None = None) -> list[list[tuple]]:
    """The ``top`` ImageNet classes of each row of ``preds`` as ``(wordnet_id, name, score)``, as Keras returns them.

    The class list is Keras's ``imagenet_class_index.json``, read from ``class_index``, ``$CONVLENS_DATA`` or Keras's
    cache (``~/.keras/models/``); it is never downloaded.

    Raises:
        ValueError: for predictions that are not ``(N, 1000)``.
        FileNotFoundError: when no class list is found (the message says where to put it).
    """
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(f"decode_predictions expects a batch of ImageNet predictions (N, 1000); received {preds.shape}.")
    candidates = [Path(class_index)] if class_index is not None else [
        *([Path(os.environ["CONVLENS_DATA"]) / _CLASS_INDEX] if os.environ.get("CONVLENS_DATA") else []),
        Path.home() / ".keras" / "models" / _CLASS_INDEX,
    ]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise FileNotFoundError(
            f"decode_predictions needs Keras's {_CLASS_INDEX}; looked in {', '.join(map(str, candidates))}. "
            "Put the file there or pass class_index=PATH."
        )
    index = json.loads(path.read_text())
    return [[(*index[str(i)], float(row[i])) for i in np.argsort(row)[::-1][:top]] for row in preds]
