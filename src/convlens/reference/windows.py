"""Sliding windows in NumPy: TensorFlow's padding and the strided slice that one kernel offset sees.

Every windowed layer (convolution, pooling) is a sum or a max over kernel
offsets: for offset ``k`` along an axis, output position ``o`` reads input
``o·s + k·d`` of the padded input. :func:`offset_slice` is that set of input
positions for all ``o`` at once, so a layer is a short loop over offsets.
"""

from __future__ import annotations

import itertools
from typing import Iterator, Sequence

import numpy as np

from ..layers.shapes import conv_output_length, same_padding


def pads(spatial: Sequence[int], window: Sequence[int], strides: Sequence[int], dilation: Sequence[int],
         padding: str) -> list[tuple[int, int]]:
    """(before, after) per spatial axis: none for "valid", TensorFlow's split (odd pixel after) for "same"."""
    if padding == "valid":
        return [(0, 0)] * len(spatial)
    return [same_padding(n, k, s, d) for n, k, s, d in zip(spatial, window, strides, dilation)]


def pad(x: np.ndarray, amounts: Sequence[tuple[int, int]], value: float = 0.0) -> np.ndarray:
    """Pad the spatial axes of ``(N, *spatial, C)`` with ``value``."""
    return np.pad(x, [(0, 0), *amounts, (0, 0)], constant_values=value)


def output_size(spatial: Sequence[int], window: Sequence[int], strides: Sequence[int], dilation: Sequence[int],
                padding: str) -> tuple[int, ...]:
    """⌈n/s⌉ for "same", ⌊(n − (k − 1)·d − 1)/s⌋ + 1 for "valid", per axis."""
    return tuple(conv_output_length(n, k, padding, s, d) for n, k, s, d in zip(spatial, window, strides, dilation))


def offsets(window: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """Every kernel offset ``(i, j, ...)`` of a window, in row-major order."""
    return itertools.product(*(range(k) for k in window))


def offset_slice(offset: Sequence[int], out: Sequence[int], strides: Sequence[int],
                 dilation: Sequence[int]) -> tuple[slice, ...]:
    """The index of ``x_padded[:, o·s + k·d, ..., :]`` over all outputs ``o``, for kernel offset ``k``."""
    return (slice(None), *(slice(k * d, k * d + (o - 1) * s + 1, s)
                           for k, o, s, d in zip(offset, out, strides, dilation)), slice(None))


def crop(x: np.ndarray, amounts: Sequence[tuple[int, int]]) -> np.ndarray:
    """Undo :func:`pad`: drop the padded border of the spatial axes."""
    return x[(slice(None), *(slice(before, x.shape[1 + i] - after) for i, (before, after) in enumerate(amounts)),
              slice(None))]
