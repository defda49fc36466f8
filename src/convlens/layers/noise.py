"""Training-time noise beyond Dropout: SpatialDropout1D/2D/3D (whole feature maps) and GaussianNoise.

Like Dropout, these act only while training and pass inputs through unchanged at inference.
"""

from __future__ import annotations

from typing import Any

import torch

from .base import InputSpec, Layer
from .core import Dropout
from .data_format import ChannelsLayout


class BaseSpatialDropout(ChannelsLayout, Dropout):
    """Drop whole channels: one keep-or-drop draw per sample and channel, shared over the ``rank`` spatial axes.

    Example:
        >>> layer = SpatialDropout2D(0.5).train()
        >>> y = layer(torch.ones(2, 4, 4, 3))  # each (sample, channel) map is all 0 or all 2
        >>> bool(((y == 0) | (y == 2)).all()) and bool((y.amax((1, 2)) == y.amin((1, 2))).all())
        True
    """

    rank = 2

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None, **kwargs: Any) -> None:
        self.set_data_format(data_format)
        super().__init__(rate, seed=seed, **kwargs)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _mask_shape(self, x: torch.Tensor) -> tuple[int, ...]:
        return self.shaped(x.shape[0], (1,) * self.rank, x.shape[self.channel_axis])  # (N, 1, ..., 1, C)

    def get_config(self) -> dict[str, Any]:
        # Keras's config of these layers holds only what their constructor takes, the dtype as a plain name.
        config = {key: value for key, value in super().get_config().items() if key in ("name", "rate", "seed")}
        config["dtype"] = self.dtype_name
        return {**config, "data_format": self.data_format} if self.rank > 1 else config


class SpatialDropout1D(BaseSpatialDropout):
    """SpatialDropout over ``(N, L, C)`` signals (channels last only, as in Keras)."""

    rank = 1

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(rate, "channels_last", seed, **kwargs)


class SpatialDropout2D(BaseSpatialDropout):
    """SpatialDropout over ``(N, H, W, C)`` images."""

    rank = 2


class SpatialDropout3D(BaseSpatialDropout):
    """SpatialDropout over ``(N, D, H, W, C)`` volumes."""

    rank = 3


class GaussianNoise(Layer):
    """Add zero-mean Gaussian noise of standard deviation ``stddev`` while training.

    Example:
        >>> layer = GaussianNoise(0.1)
        >>> layer(torch.ones(3)).tolist()  # inference mode: identity
        [1.0, 1.0, 1.0]
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        if not 0 <= stddev <= 1:
            raise ValueError(
                f"Invalid value received for argument `stddev`. Expected a float value between 0 and 1. "
                f"Received: stddev={stddev}"
            )
        self.stddev = float(stddev)
        self.seed = seed
        super().__init__(**kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.stddev == 0:
            return x
        return x + torch.randn_like(x) * self.stddev

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}
