"""Layers that move pixels without learning: Flatten, Reshape, ZeroPadding2D, UpSampling2D, Cropping2D."""

from __future__ import annotations

import math
from typing import Any, Sequence

import torch
import torch.nn.functional as F

from .base import InputSpec, Layer, Shape, standardize_tuple


class Flatten(Layer):
    """``(N, H, W, C)`` → ``(N, H·W·C)``, in (H, W, C) order as Keras, so Keras Dense weights load unchanged.

    Example:
        >>> import torch
        >>> Flatten()(torch.zeros(2, 5, 5, 64)).shape
        torch.Size([2, 1600])
    """

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        rest = input_shape[1:]
        return (input_shape[0], None if any(d is None for d in rest) else math.prod(rest))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (N, H·W·C); free on contiguous channels-last data. The size is spelled out
        # (not -1) so that an empty batch, a data-parallel rank's share of a
        # small last batch, reshapes too.
        return x.reshape(x.shape[0], math.prod(x.shape[1:]))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": "channels_last"}


class Reshape(Layer):
    """Reshape each sample to ``target_shape`` (one entry may be -1).

    Example:
        >>> import torch
        >>> Reshape((28, 28, 1))(torch.zeros(2, 784)).shape
        torch.Size([2, 28, 28, 1])
    """

    def __init__(self, target_shape: Sequence[int], **kwargs: Any) -> None:
        target = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in target) > 1 or any(d == 0 or d < -1 for d in target):
            raise ValueError(f"Reshape: target_shape may hold positive sizes and at most one -1. Received: target_shape={target_shape!r}")
        self.target_shape = target
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        rest = input_shape[1:]
        if -1 not in self.target_shape:
            if all(d is not None for d in rest) and math.prod(rest) != math.prod(self.target_shape):
                raise ValueError(f"Reshape '{self.name}': cannot reshape {tuple(rest)} into {self.target_shape}: sizes differ.")
            return (input_shape[0], *self.target_shape)
        if any(d is None for d in rest):
            return (input_shape[0], *(None if d == -1 else d for d in self.target_shape))
        known = math.prod(d for d in self.target_shape if d != -1)
        total = math.prod(rest)
        if total % known:
            raise ValueError(f"Reshape '{self.name}': cannot reshape {tuple(rest)} into {self.target_shape}.")
        return (input_shape[0], *(total // known if d == -1 else d for d in self.target_shape))

    def build(self, input_shape: Shape) -> None:
        self.compute_output_shape(input_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.target_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": list(self.target_shape)}


def _pairs(value: Any, arg: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """Keras's 2D padding/cropping forms: int, (sym_h, sym_w) or ((top, bottom), (left, right))."""
    if isinstance(value, int):
        pairs = ((value, value), (value, value))
    elif len(value) == 2 and all(isinstance(v, int) for v in value):
        pairs = ((value[0], value[0]), (value[1], value[1]))
    elif len(value) == 2:
        pairs = (tuple(standardize_tuple(value[0], 2, arg, allow_zero=True)),
                 tuple(standardize_tuple(value[1], 2, arg, allow_zero=True)))
    else:
        raise ValueError(f"`{arg}` should be an int, a tuple of 2 ints or a tuple of 2 tuples of 2 ints. Received: {arg}={value!r}")
    if any(v < 0 for pair in pairs for v in pair):
        raise ValueError(f"`{arg}` must be non-negative. Received: {arg}={value!r}")
    return pairs  # type: ignore[return-value]


class ZeroPadding2D(Layer):
    """Add rows and columns of zeros around each image.

    Example:
        >>> import torch
        >>> ZeroPadding2D((1, 2))(torch.ones(1, 4, 4, 2)).shape
        torch.Size([1, 6, 8, 2])
    """

    def __init__(self, padding: Any = (1, 1), **kwargs: Any) -> None:
        self.padding = _pairs(padding, "padding")
        self.input_spec = InputSpec(ndim=4)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        (t, b), (l, r) = self.padding
        n, h, w, c = input_shape
        return (n, None if h is None else h + t + b, None if w is None else w + l + r, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (t, b), (l, r) = self.padding
        return F.pad(x, (0, 0, l, r, t, b))  # (N, H+t+b, W+l+r, C)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "padding": [list(p) for p in self.padding], "data_format": "channels_last"}


class Cropping2D(Layer):
    """Remove rows and columns from the borders of each image.

    Example:
        >>> import torch
        >>> Cropping2D(((1, 1), (2, 0)))(torch.ones(1, 6, 6, 1)).shape
        torch.Size([1, 4, 4, 1])
    """

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), **kwargs: Any) -> None:
        self.cropping = _pairs(cropping, "cropping")
        self.input_spec = InputSpec(ndim=4)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        (t, b), (l, r) = self.cropping
        n, h, w, c = input_shape
        out_h = None if h is None else h - t - b
        out_w = None if w is None else w - l - r
        if (out_h is not None and out_h <= 0) or (out_w is not None and out_w <= 0):
            raise ValueError(f"Cropping2D '{self.name}': cropping={self.cropping} removes the whole input {tuple(input_shape)}.")
        return (n, out_h, out_w, c)

    def build(self, input_shape: Shape) -> None:
        self.compute_output_shape(input_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (t, b), (l, r) = self.cropping
        return x[:, t : x.shape[1] - b, l : x.shape[2] - r, :]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cropping": [list(p) for p in self.cropping], "data_format": "channels_last"}


class UpSampling2D(Layer):
    """Repeat rows and columns ``size`` times ("nearest") or interpolate ("bilinear").

    Example:
        >>> import torch
        >>> UpSampling2D(2)(torch.ones(1, 4, 4, 2)).shape
        torch.Size([1, 8, 8, 2])
    """

    def __init__(self, size: int | Sequence[int] = (2, 2), interpolation: str = "nearest", **kwargs: Any) -> None:
        self.size = standardize_tuple(size, 2, "size")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"UpSampling2D: received interpolation={interpolation!r}; allowed are 'nearest', 'bilinear'.")
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=4)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        n, h, w, c = input_shape
        return (n, None if h is None else h * self.size[0], None if w is None else w * self.size[1], c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.interpolation == "nearest":
            return x.repeat_interleave(self.size[0], dim=1).repeat_interleave(self.size[1], dim=2)
        y = F.interpolate(x.movedim(-1, 1), scale_factor=self.size, mode="bilinear", align_corners=False)
        return y.movedim(1, -1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": list(self.size), "interpolation": self.interpolation,
                "data_format": "channels_last"}
