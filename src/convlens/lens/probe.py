"""Read what each layer outputs for an image: forward hooks on the chosen layers.

The hooks are removed when the forward pass ends, also when it fails, and the
pass stops as soon as every requested layer has reported, so asking for the
first convolution of VGG16 costs one convolution, not the whole network.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import torch

from ..layers import InputLayer, Layer
from ..models import Model
from .images import as_model_input

LayerRef = str | int | Layer


def resolve_layers(model: Model, layers: LayerRef | Iterable[LayerRef] | None) -> list[Layer]:
    """The model's layers named by ``layers``: names, indices into ``model.layers`` (negative too) or layers.

    ``None`` means every layer. A single name or index may be given without a list.

    Raises:
        ValueError: for an unknown name (listing the valid ones) or an index
            out of range.
        TypeError: for anything else.

    Example:
        >>> from convlens import zoo
        >>> [layer.name for layer in resolve_layers(zoo.create("lenet5"), ["c1", -1])]
        ['c1', 'output']
    """
    available = model.layers
    if layers is None:
        return available
    refs = [layers] if isinstance(layers, (str, int, Layer)) else list(layers)
    names = [layer.name for layer in available]
    chosen = []
    for ref in refs:
        if isinstance(ref, Layer):
            if not any(ref is layer for layer in available):
                raise ValueError(f"Layer {ref.name!r} is not a layer of model {model.name!r}; its layers are {names}.")
            chosen.append(ref)
        elif isinstance(ref, str):
            if ref not in names:
                raise ValueError(f"No layer named {ref!r} in model {model.name!r}; valid names are {names}.")
            chosen.append(available[names.index(ref)])
        elif isinstance(ref, (int, np.integer)) and not isinstance(ref, bool):
            if not -len(available) <= ref < len(available):
                raise ValueError(
                    f"Layer index {ref} is out of range: model {model.name!r} has {len(available)} layers "
                    f"(indices {-len(available)}..{len(available) - 1})."
                )
            chosen.append(available[int(ref)])
        else:
            raise TypeError(f"layers: expected layer names, indices or layers; received {ref!r} of type {type(ref).__name__}.")
    return chosen


class _AllCaptured(Exception):
    """Raised by the last hook to end the forward pass early."""


def activations(model: Model, x: Any, layers: LayerRef | Iterable[LayerRef] | None = None) -> dict[str, np.ndarray]:
    """Each chosen layer's output for one image or a batch, as NumPy, in inference mode.

    Args:
        model: a built model.
        x: one image ``(H, W)``/``(H, W, C)`` or a batch ``(N, H, W[, C])``,
            uint8 or float (converted as :func:`~convlens.lens.images.as_model_input` says).
        layers: layer names or indices (default: every layer).

    Returns:
        ``{layer name: array}`` in model order; arrays have the layer's output
        shape without the batch axis for one image, with it for a batch.

    Raises:
        ValueError: for unknown layers or inputs of the wrong size.

    Example:
        >>> from convlens import zoo
        >>> model = zoo.create("mnist-convnet")
        >>> maps = activations(model, np.zeros((28, 28), np.uint8), [1])  # by index, or by name
        >>> maps[model.layers[1].name].shape
        (26, 26, 32)
    """
    chosen = list({id(layer): layer for layer in resolve_layers(model, layers)}.values())
    batch, single = as_model_input(model, x)
    # A graph model lists its InputLayer, which passes the input on without being called.
    captured: dict[str, np.ndarray] = {
        layer.name: (batch if batch.is_floating_point() else batch.to(model.variable_dtype)).cpu().numpy()
        for layer in chosen if isinstance(layer, InputLayer)
    }
    hooked = [layer for layer in chosen if not isinstance(layer, InputLayer)]

    def hook(layer: Layer, _inputs: Any, output: torch.Tensor) -> None:
        captured[layer.name] = output.detach().cpu().numpy()
        if len(captured) == len(chosen):
            raise _AllCaptured

    handles = [layer.register_forward_hook(hook) for layer in hooked]
    try:
        if hooked:
            with torch.no_grad():
                model(batch.to(model.device), training=False)
    except _AllCaptured:
        pass
    finally:
        for handle in handles:
            handle.remove()
    order = {layer.name: i for i, layer in enumerate(model.layers)}
    return {name: (out[0] if single else out) for name, out in sorted(captured.items(), key=lambda kv: order[kv[0]])}
