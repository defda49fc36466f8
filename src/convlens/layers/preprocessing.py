"""Preprocessing layers that live inside the model: Rescaling."""

from __future__ import annotations

from typing import Any

import torch

from .base import Layer


class Rescaling(Layer):
    """``x · scale + offset``: e.g. ``Rescaling(1./255)`` maps pixels 0..255 to 0..1.

    Integer (uint8) inputs are converted to float first, so images can stay
    uint8 until they reach the model.

    Example:
        >>> import torch
        >>> Rescaling(1 / 255)(torch.tensor([[0, 255]], dtype=torch.uint8)).tolist()
        [[0.0, 1.0]]
    """

    def __init__(self, scale: float, offset: float = 0.0, **kwargs: Any) -> None:
        if not isinstance(scale, (int, float)) or not isinstance(offset, (int, float)):
            raise ValueError(
                f"Rescaling: scale and offset must be numbers; received scale={scale!r}, offset={offset!r}."
            )
        self.scale = float(scale)
        self.offset = float(offset)
        super().__init__(**kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not x.is_floating_point():
            x = x.to(self.variable_dtype)
        return x * self.scale + self.offset

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}
