"""Layers that move pixels without learning: Flatten and Reshape (padding, cropping and upsampling: borders.py)."""

from __future__ import annotations

import math
from typing import Any, Sequence

import torch

from .base import Layer, Shape
from .data_format import standardize_data_format


class Flatten(Layer):
    """``(N, H, W, C)`` → ``(N, H·W·C)``, in (H, W, C) order as Keras, so Keras Dense weights load unchanged.

    With ``data_format="channels_first"`` the input is ``(N, C, H, W)`` and, as in
    Keras, the channels move last before flattening: the order is (H, W, C) still.

    Example:
        >>> import torch
        >>> Flatten()(torch.zeros(2, 5, 5, 64)).shape
        torch.Size([2, 1600])
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        self.data_format = standardize_data_format(data_format)
        self.channels_first = self.data_format == "channels_first"
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        rest = input_shape[1:]
        return (input_shape[0], None if any(d is None for d in rest) else math.prod(rest))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels_first and x.dim() > 2:
            x = x.movedim(1, -1)  # (N, *spatial, C), a view: the reshape below copies it in Keras's order
        # (N, H·W·C); free on contiguous channels-last data. The size is spelled out
        # (not -1) so that an empty batch, a data-parallel rank's share of a
        # small last batch, reshapes too.
        return x.reshape(x.shape[0], math.prod(x.shape[1:]))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


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
        return {**super().get_config(), "target_shape": self.target_shape}
