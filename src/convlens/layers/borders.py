"""Layers that change the borders or the resolution of signals, images and volumes, one class per family.

``ZeroPadding``, ``Cropping`` and ``UpSampling`` in 1D ``(N, L, C)``, 2D
``(N, H, W, C)`` and 3D ``(N, D, H, W, C)``: each is one general
implementation over ``rank`` spatial axes with thin named variants, as the
convolutions are. ``data_format="channels_first"`` puts the channels at axis 1,
where Keras offers it (every layer here except ``Cropping1D`` and ``UpSampling1D``).
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
import torch.nn.functional as F

from .base import InputSpec, Layer, Shape, standardize_tuple
from .data_format import ChannelsLayout

Pairs = tuple[tuple[int, int], ...]


def border_pairs(value: Any, rank: int, arg: str) -> Pairs:
    """Keras's padding/cropping forms as one ``(before, after)`` pair per spatial axis.

    An int pads every side alike; for 1D a pair is ``(before, after)``; for
    2D/3D ``rank`` ints are symmetric per axis and ``rank`` pairs give each side.

    Example:
        >>> border_pairs(1, 2, "padding"), border_pairs((1, 2), 1, "padding")
        (((1, 1), (1, 1)), ((1, 2),))
    """
    if isinstance(value, int) and not isinstance(value, bool):
        pairs: Pairs = ((value, value),) * rank
    elif rank == 1:
        pairs = (standardize_tuple(value, 2, arg, allow_zero=True),)  # type: ignore[assignment]
    elif len(value) == rank and all(isinstance(v, int) for v in value):
        pairs = tuple((v, v) for v in value)
    elif len(value) == rank:
        pairs = tuple(standardize_tuple(v, 2, arg, allow_zero=True) for v in value)  # type: ignore[misc]
    else:
        raise ValueError(
            f"`{arg}` should be an int, a tuple of {rank} ints or a tuple of {rank} tuples of 2 ints. "
            f"Received: {arg}={value!r}"
        )
    if any(v < 0 for pair in pairs for v in pair):
        raise ValueError(f"`{arg}` cannot be negative. Received: {arg}={value!r}")
    return pairs


def _pairs_config(pairs: Pairs) -> Any:
    return tuple(pairs[0]) if len(pairs) == 1 else tuple(tuple(p) for p in pairs)  # Keras writes tuples


class BaseZeroPadding(ChannelsLayout, Layer):
    """Add zeros before and after each spatial axis.

    Example:
        >>> ZeroPadding2D((1, 2))(torch.ones(1, 4, 4, 2)).shape
        torch.Size([1, 6, 8, 2])
    """

    rank = 2

    def __init__(self, padding: Any = 1, data_format: str | None = None, **kwargs: Any) -> None:
        self.padding = border_pairs(padding, self.rank, "padding")
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.set_data_format(data_format)
        # F.pad lists the last axis first: channels-last data gives the channels none, then the spatial axes
        # from the innermost; channels-first data ends with the spatial axes.
        self.pads = [0, 0] * (self.channel_axis == -1) + [p for pair in reversed(self.padding) for p in pair]
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        spatial = (None if n is None else n + a + b for n, (a, b) in zip(self.spatial_of(input_shape), self.padding))
        return self.shaped(input_shape[0], spatial, input_shape[self.channel_axis])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, self.pads)  # (N, *padded, C) or (N, C, *padded)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "padding": _pairs_config(self.padding), "data_format": self.data_format}


class BaseCropping(ChannelsLayout, Layer):
    """Remove values from both ends of each spatial axis.

    Example:
        >>> Cropping2D(((1, 1), (2, 0)))(torch.ones(1, 6, 6, 1)).shape
        torch.Size([1, 4, 4, 1])
    """

    rank = 2

    def __init__(self, cropping: Any = 1, data_format: str | None = None, **kwargs: Any) -> None:
        self.cropping = border_pairs(cropping, self.rank, "cropping")
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.set_data_format(data_format)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        for size, crop in zip(self.spatial_of(input_shape), self.cropping):
            if size is not None and sum(crop) >= size and self.rank == 1:  # Keras words the 1D case apart
                raise ValueError(
                    "`cropping` parameter of `Cropping1D` layer must be smaller than the input length. "
                    f"Received: input_shape={tuple(input_shape)}, cropping={self.cropping[0]}"
                )
            if size is not None and sum(crop) >= size:
                raise ValueError(
                    "Values in `cropping` argument should be smaller than the corresponding spatial dimension "
                    f"of the input. Received: input_shape={tuple(input_shape)}, cropping={self.cropping}"
                )
        spatial = (None if n is None else n - a - b for n, (a, b) in zip(self.spatial_of(input_shape), self.cropping))
        return self.shaped(input_shape[0], spatial, input_shape[self.channel_axis])

    def build(self, input_shape: Shape) -> None:
        self.compute_output_shape(input_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.compute_output_shape(tuple(x.shape))  # a later, smaller input must not crop to nothing
        for axis, (a, b) in enumerate(self.cropping, start=self.spatial_start):
            x = x.narrow(axis, a, x.shape[axis] - a - b)
        return x

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "cropping": _pairs_config(self.cropping)}
        return {**config, "data_format": self.data_format} if self.rank > 1 else config


class BaseUpSampling(ChannelsLayout, Layer):
    """Repeat each value ``size`` times along each spatial axis (nearest neighbour).

    Example:
        >>> UpSampling1D(3)(torch.arange(2.0).reshape(1, 2, 1))[0, :, 0].tolist()
        [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    """

    rank = 2
    interpolations: tuple[str, ...] = ("nearest",)

    def __init__(self, size: int | Sequence[int] = 2, data_format: str | None = None, **kwargs: Any) -> None:
        self.size = standardize_tuple(size, self.rank, "size")
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.set_data_format(data_format)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        spatial = (None if n is None else n * s for n, s in zip(self.spatial_of(input_shape), self.size))
        return self.shaped(input_shape[0], spatial, input_shape[self.channel_axis])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for axis, s in enumerate(self.size, start=self.spatial_start):
            x = x.repeat_interleave(s, dim=axis)
        return x

    def get_config(self) -> dict[str, Any]:
        if self.rank == 1:
            return {**super().get_config(), "size": self.size[0]}
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}


class ZeroPadding1D(BaseZeroPadding):
    """Zeros before and after each ``(N, L, C)`` signal."""

    rank = 1


class ZeroPadding2D(BaseZeroPadding):
    """Rows and columns of zeros around each ``(N, H, W, C)`` image."""

    rank = 2


class ZeroPadding3D(BaseZeroPadding):
    """Zeros around each ``(N, D, H, W, C)`` volume."""

    rank = 3


class Cropping1D(BaseCropping):
    """Crop both ends of each ``(N, L, C)`` signal (channels last only, as in Keras)."""

    rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__(cropping, "channels_last", **kwargs)


class Cropping2D(BaseCropping):
    """Crop rows and columns from the borders of each ``(N, H, W, C)`` image."""

    rank = 2


class Cropping3D(BaseCropping):
    """Crop the borders of each ``(N, D, H, W, C)`` volume."""

    rank = 3


class UpSampling1D(BaseUpSampling):
    """Repeat each step of a ``(N, L, C)`` signal ``size`` times (channels last only, as in Keras)."""

    rank = 1

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(size, "channels_last", **kwargs)


class UpSampling2D(BaseUpSampling):
    """Repeat rows and columns ``size`` times ("nearest") or interpolate ("bilinear").

    Example:
        >>> UpSampling2D(2)(torch.ones(1, 4, 4, 2)).shape
        torch.Size([1, 8, 8, 2])
    """

    rank = 2

    def __init__(self, size: int | Sequence[int] = (2, 2), data_format: str | None = None,
                 interpolation: str = "nearest", **kwargs: Any) -> None:
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"UpSampling2D: received interpolation={interpolation!r}; allowed are 'nearest', 'bilinear'.")
        self.interpolation = interpolation
        super().__init__(size, data_format, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.interpolation == "nearest":
            return super().forward(x)
        y = F.interpolate(self.to_channels_first(x), scale_factor=self.size, mode="bilinear", align_corners=False)
        return self.from_channels_first(y)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "interpolation": self.interpolation}


class UpSampling3D(BaseUpSampling):
    """Repeat each voxel of a ``(N, D, H, W, C)`` volume ``size`` times per axis."""

    rank = 3
