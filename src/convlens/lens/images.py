"""Bring an image (or a batch) to the shape a model takes: add the batch and channel axes, match the colour mode.

Sizes are never changed silently: an image of the wrong height or width is
refused with the expected shape in the message (``convlens show`` resizes
image files with Pillow, through ``convlens.cli.common.image_for_model``,
before they get here).
"""

from __future__ import annotations

import os

from typing import Any

import numpy as np
import torch

from ..models import Model

# ITU-R 601-2 luma, the weights of Pillow's convert("L").
LUMA = (0.299, 0.587, 0.114)


def as_model_input(model: Model, x: Any) -> tuple[torch.Tensor, bool]:
    """``x`` as a batch the model accepts, and whether ``x`` was one image.

    Accepted for an image model with input ``(None, H, W, C)``: one image
    ``(H, W)`` or ``(H, W, C')``, or a batch ``(N, H, W)`` or ``(N, H, W, C')``,
    uint8 or float, NumPy or torch, or the path of an image file. Colour modes are converted: grayscale is
    repeated to RGB, RGB becomes grayscale by ITU-R 601-2 luma, an alpha
    channel is dropped. Integer pixels stay integers when no conversion is
    needed (the model casts them); float pixels take the model's dtype.

    Returns:
        ``(batch, single)``: the ``(N, H, W, C)`` tensor and True when ``x``
        had no batch axis.

    Raises:
        ValueError: for a size or rank the model cannot take; the message
            gives the expected shape.

    Example:
        >>> from convlens import zoo
        >>> batch, single = as_model_input(zoo.create("mnist-convnet"), np.zeros((28, 28), np.uint8))
        >>> tuple(batch.shape), single
        ((1, 28, 28, 1), True)
    """
    if isinstance(model.input_shape, list):
        raise ValueError(f"Model {model.name!r} takes {len(model.input_shape)} inputs; the lens functions "
                         "take models with one image input.")
    expected = tuple(model.input_shape[1:])
    if isinstance(x, (str, os.PathLike)):  # an image file: read at the model's size and colour mode
        from ..datasets import load_image

        channels = expected[-1] if len(expected) == 3 else 1
        x = load_image(x, color_mode="grayscale" if channels == 1 else "rgb",
                       image_size=(expected[0] or 256, expected[1] or 256)).astype(np.uint8)
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    elif t.is_floating_point() and t.dtype != model.variable_dtype:
        t = t.to(model.variable_dtype)  # NumPy's float64 images meet float32 weights
    rank = len(expected)
    is_image_model = rank == 3
    single = False
    if t.ndim == rank and not (is_image_model and _is_gray_batch(t.shape, expected)):
        t, single = t.unsqueeze(0), True
    elif is_image_model and t.ndim == 2:  # one grayscale image (H, W)
        t, single = t[None, ..., None], True
    elif is_image_model and t.ndim == 3:  # a batch of grayscale images (N, H, W)
        t = t[..., None]
    if t.ndim != rank + 1:
        raise ValueError(_shape_message(expected, x))
    if is_image_model:
        t = _convert_channels(t, expected, x)
    elif expected[-1] is not None and t.shape[-1] != expected[-1]:
        raise ValueError(_shape_message(expected, x))
    for want, have in zip(expected[:-1], t.shape[1:-1]):
        if want is not None and want != have:
            raise ValueError(_shape_message(expected, x))
    return t, single


def _is_gray_batch(shape: torch.Size, expected: tuple) -> bool:
    """(N, H, W) for a 1-channel model: the batch reading wins when the sizes say so."""
    return expected[-1] == 1 and all(w is None or w == h for w, h in zip(expected[:2], shape[1:]))


def _convert_channels(t: torch.Tensor, expected: tuple, original: Any) -> torch.Tensor:
    have, want = t.shape[-1], expected[-1]
    if want is None or have == want:
        return t
    if have == 4 and want in (1, 3):  # drop alpha
        t, have = t[..., :3], 3
        if want == 3:
            return t
    if have == 1 and want == 3:
        return t.expand(*t.shape[:-1], 3)
    if have == 3 and want == 1:
        luma = torch.tensor(LUMA, dtype=torch.float32, device=t.device)
        return (t.to(torch.float32) * luma).sum(-1, keepdim=True)
    raise ValueError(_shape_message(expected, original))


def _shape_message(expected: tuple, x: Any) -> str:
    shape = tuple(getattr(x, "shape", np.shape(x)))
    wanted = "(" + ", ".join("any" if d is None else str(d) for d in expected) + ")"
    return (
        f"The model takes inputs of shape {wanted} (one sample) or (N, {wanted[1:]} (a batch); "
        f"received an array of shape {shape}. Grayscale and RGB are converted into each other, "
        "but sizes are not: resize the image first."
    )
