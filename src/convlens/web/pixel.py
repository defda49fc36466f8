"""One output value of a layer, explained: the input window, the weights, their products, sum, bias, activation.

The numbers come from the layer's real input and output in one forward pass
(forward hooks), so ``value`` is exactly what the model computed at that
place; ``sum + bias`` through the activation reproduces it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..layers import BaseConv, BasePooling, Dense, Layer, Softmax
from ..layers import activations as activations_lib
from ..layers.conv import pad_amounts
from ..lens.images import as_model_input
from ..models import Model

TOP_CONTRIBUTIONS = 10  # the largest |input · weight| terms listed for a Dense unit


def layer_io(model: Model, image: np.ndarray, layer: Layer) -> tuple[np.ndarray, np.ndarray]:
    """The layer's input and output for one image, without the batch axis."""
    captured: dict[str, np.ndarray] = {}

    def hook(_layer: Layer, inputs: Any, output: torch.Tensor) -> None:
        captured["in"] = inputs[0].detach().cpu().numpy()[0]
        captured["out"] = output.detach().cpu().numpy()[0]

    batch, _ = as_model_input(model, image)
    handle = layer.register_forward_hook(hook)
    try:
        with torch.no_grad():
            model(batch.to(model.device), training=False)
    finally:
        handle.remove()
    return captured["in"], captured["out"]


def explain_pixel(model: Model, image: np.ndarray, layer_name: str, map_index: int, y: int, x: int) -> dict:
    """How ``layer_name``'s output ``[y, x, map_index]`` (or unit ``map_index`` of a Dense layer) came about.

    Returns:
        A JSON-ready dict with ``layer``, ``class_name``, ``kind`` (conv, pool
        or dense), ``window`` (the input values the output sees; for a conv
        ``(kh, kw, in_channels)``), ``kernel`` (the weights, same shape; the
        pool's window size for pooling), ``products``, ``sum``, ``bias``,
        ``pre_activation``, ``activation`` and ``value`` (the layer's output).

    Raises:
        ValueError: for an unknown layer, a layer kind without this view, or
            indices outside the output (the message gives the allowed range).

    Example:
        >>> from convlens import zoo
        >>> model = zoo.create("mnist-convnet")
        >>> out = explain_pixel(model, np.zeros((28, 28)), model.layers[1].name, 0, 3, 4)
        >>> np.array(out["products"]).shape
        (3, 3, 1)
    """
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(f"layer: unknown layer {layer_name!r}; the model has {names}.")
    layer = model.layers[names.index(layer_name)]
    flat = (Dense, Softmax)
    if not isinstance(layer, (BaseConv, BasePooling, *flat)) or (
            not isinstance(layer, flat) and getattr(layer, "rank", 2) != 2):
        raise ValueError(f"layer: {layer_name!r} is a {type(layer).__name__}; the pixel view explains Conv2D, "
                         "pooling 2D, Dense and Softmax layers.")
    inputs, outputs = layer_io(model, image, layer)
    if isinstance(layer, flat):
        if outputs.ndim != 1:
            raise ValueError(f"layer: {layer_name!r} outputs shape {outputs.shape}; the unit view explains "
                             "flat outputs (after Flatten).")
        _check_index("map", map_index, outputs.shape[-1])
        if isinstance(layer, Softmax):
            return {"layer": layer.name, "class_name": "Softmax", "kind": "softmax", "value": float(outputs[map_index]),
                    "softmax": softmax_terms(inputs.astype(np.float64))}
        return _dense(layer, inputs.reshape(-1), outputs, map_index)
    height, width, maps = outputs.shape
    _check_index("map", map_index, maps)
    _check_index("y", y, height)
    _check_index("x", x, width)
    if isinstance(layer, BasePooling):
        return _pool(layer, inputs, outputs, map_index, y, x)
    return _conv(layer, inputs, outputs, map_index, y, x)


def _check_index(name: str, value: int, size: int) -> None:
    if not 0 <= value < size:
        raise ValueError(f"{name}: received {value}; allowed values are 0 to {size - 1}.")


def _window(inputs: np.ndarray, y: int, x: int, kernel: tuple[int, int], strides: tuple[int, int],
            dilation: tuple[int, int], padding: str, fill: float) -> np.ndarray:
    """The ``(kh, kw, C)`` input values under the window of output ``(y, x)``; padding positions hold ``fill``."""
    (top, _), (left, _) = pad_amounts(inputs.shape[:2], kernel, strides, dilation, padding)
    rows = y * strides[0] - top + dilation[0] * np.arange(kernel[0])
    cols = x * strides[1] - left + dilation[1] * np.arange(kernel[1])
    inside = ((rows >= 0) & (rows < inputs.shape[0]))[:, None] & ((cols >= 0) & (cols < inputs.shape[1]))[None, :]
    window = np.full((kernel[0], kernel[1], inputs.shape[2]), fill, inputs.dtype)
    window[inside] = inputs[np.clip(rows, 0, inputs.shape[0] - 1)[:, None].repeat(kernel[1], 1)[inside],
                            np.clip(cols, 0, inputs.shape[1] - 1)[None, :].repeat(kernel[0], 0)[inside]]
    return window


def _conv(layer: BaseConv, inputs: np.ndarray, outputs: np.ndarray, k: int, y: int, x: int) -> dict:
    weights = layer.get_weights()
    kernel = weights[0][..., k]  # (kh, kw, in)
    bias = float(weights[1][k]) if layer.use_bias else 0.0
    window = _window(inputs, y, x, layer.kernel_size, layer.strides, layer.dilation_rate, layer.padding, 0.0)
    products = window.astype(np.float64) * kernel
    total = float(products.sum())
    return _answer(layer, "conv", window, kernel, products, total, bias, float(outputs[y, x, k]))


def _pool(layer: BasePooling, inputs: np.ndarray, outputs: np.ndarray, k: int, y: int, x: int) -> dict:
    fill = -np.inf if layer.mode == "max" else np.nan
    window = _window(inputs[..., k:k + 1], y, x, layer.pool_size, layer.strides, (1, 1), layer.padding, fill)[..., 0]
    # Average pooling leaves padding out of the count (TensorFlow's "same"), max pooling pads with -inf.
    reduced = float(np.max(window)) if layer.mode == "max" else float(np.nanmean(window))
    answer = _answer(layer, "pool", np.where(np.isfinite(window), window, np.nan), None, None, reduced, 0.0,
                     float(outputs[y, x, k]))
    answer["mode"] = layer.mode
    return answer


def _dense(layer: Dense, inputs: np.ndarray, outputs: np.ndarray, unit: int) -> dict:
    weights = layer.get_weights()
    column = weights[0][:, unit]
    bias = float(weights[1][unit]) if layer.use_bias else 0.0
    products = inputs.astype(np.float64) * column
    top = np.argsort(-np.abs(products))[:TOP_CONTRIBUTIONS]
    answer = _answer(layer, "dense", inputs[top], column[top], products[top], float(products.sum()), bias,
                     float(outputs[unit]))
    answer["indices"] = top.tolist()
    answer["inputs_count"] = int(inputs.size)
    if answer["activation"] == "softmax":  # the unit's value depends on every unit's pre-activation
        answer["softmax"] = softmax_terms(inputs.astype(np.float64) @ weights[0] +
                                          (weights[1] if layer.use_bias else 0.0))
    return answer


def softmax_terms(logits: np.ndarray) -> dict:
    """The numbers of ``softmax(z)_i = exp(z_i) / Σ_j exp(z_j)`` for every unit, in float64.

    ``exp`` is ``exp(z_j)`` itself while every ``z_j`` is below 700 (float64
    holds it); otherwise ``exp(z_j − max z)``, the same ratios, and ``shift``
    says by how much.

    Example:
        >>> terms = softmax_terms(np.array([0.0, 0.0, np.log(2.0)]))
        >>> [round(v, 9) for v in terms["exp"]], round(terms["sum_exp"], 9), [round(p, 9) for p in terms["probabilities"]]
        ([1.0, 1.0, 2.0], 4.0, [0.25, 0.25, 0.5])
    """
    logits = np.asarray(logits, np.float64)
    shift = float(logits.max()) if logits.max() >= 700 else 0.0
    exps = np.exp(logits - shift)
    total = float(exps.sum())
    return {"logits": logits.tolist(), "exp": exps.tolist(), "sum_exp": total, "shift": shift,
            "probabilities": (exps / total).tolist()}


def _answer(layer: Layer, kind: str, window: np.ndarray, kernel: np.ndarray | None, products: np.ndarray | None,
            total: float, bias: float, value: float) -> dict:
    return {
        "layer": layer.name, "class_name": type(layer).__name__, "kind": kind,
        "window": _json(window), "kernel": None if kernel is None else _json(kernel),
        "products": None if products is None else _json(products),
        "sum": total, "bias": bias, "pre_activation": total + bias,
        "activation": activations_lib.serialize(getattr(layer, "activation", activations_lib.linear)),
        "value": value,
    }


def _json(array: np.ndarray) -> list:
    """Nested lists with NaN (padding outside the image) as None, which JSON can carry."""
    values = np.asarray(array, np.float64)
    return np.where(np.isnan(values), None, values).tolist()
