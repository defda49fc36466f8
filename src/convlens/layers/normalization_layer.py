"""Per-sample normalisation: LayerNormalization and GroupNormalization (no moving statistics).

Both standardise each sample over some axes, ``(x - mean) / sqrt(var + epsilon)``
with the biased variance, then scale by ``gamma`` and shift by ``beta``, as
Keras does; only the axes they reduce over differ.
"""

from __future__ import annotations

import math

from typing import Any, Sequence

import torch

from . import initializers
from .base import Layer, Shape


class _Standardize(Layer):
    """The shared arguments and ``gamma``/``beta`` weights of the per-sample normalisations."""

    weight_options = ("beta", "gamma")

    def __init__(self, epsilon: float, center: bool, scale: bool, beta_initializer: Any, gamma_initializer: Any,
                 **kwargs: Any) -> None:
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        super().__init__(**kwargs)

    def _add_affine(self, shape: Sequence[int]) -> None:
        self.gamma = self.add_weight("gamma", shape, self.gamma_initializer) if self.scale else None
        self.beta = self.add_weight("beta", shape, self.beta_initializer) if self.center else None

    def _normalize(self, x: torch.Tensor, dims: Sequence[int], affine_shape: Sequence[int]) -> torch.Tensor:
        var, mean = torch.var_mean(x, dim=tuple(dims), correction=0, keepdim=True)
        y = (x - mean) * torch.rsqrt(var + self.epsilon)
        if self.gamma is not None:
            y = y * self.gamma.view(affine_shape)
        if self.beta is not None:
            y = y + self.beta.view(affine_shape)
        return y

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None}


class LayerNormalization(_Standardize):
    """Standardise each sample over ``axis`` (the channels by default); ``gamma``/``beta`` have those axes' sizes.

    Example:
        >>> y = LayerNormalization()(torch.tensor([[1.0, 2.0, 3.0]]))
        >>> [round(v, 3) for v in y[0].tolist()]
        [-1.224, 0.0, 1.224]
    """

    def __init__(self, axis: int | Sequence[int] = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 rms_scaling: bool = False, **kwargs: Any) -> None:
        if isinstance(axis, (list, tuple)):
            self.axis: int | list[int] = [int(a) for a in axis]
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis', but received: {axis!r}")
        if rms_scaling:  # deprecated in Keras 3, which points to RMSNormalization instead
            raise ValueError("LayerNormalization: rms_scaling=True is not supported; received rms_scaling=True.")
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer, **kwargs)

    def _axes(self, ndim: int) -> list[int]:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            if not -ndim <= a < ndim:
                raise ValueError(f"Axis {a} is out of bounds for input of rank {ndim}. Received: axis={self.axis}")
        return sorted(a % ndim for a in axes)

    def build(self, input_shape: Shape) -> None:
        self._add_affine([input_shape[a] for a in self._axes(len(input_shape))])
        # Keras keeps the axes as a sorted list once built (and writes them so in its config).
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        self._axes(len(input_shape))
        return tuple(input_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        axes = self._axes(x.ndim)
        return self._normalize(x, axes, [x.shape[a] if a in axes else 1 for a in range(x.ndim)])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "rms_scaling": False}


class GroupNormalization(_Standardize):
    """Split the channels into ``groups`` and standardise each group of each sample over it and all spatial axes.

    ``groups=-1`` gives one group per channel (instance normalisation);
    ``groups=1`` normalises over everything but the batch.

    Example:
        >>> GroupNormalization(groups=2)(torch.randn(2, 5, 5, 4)).shape
        torch.Size([2, 5, 5, 4])
    """

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 **kwargs: Any) -> None:
        if not isinstance(groups, int) or isinstance(groups, bool) or (groups <= 0 and groups != -1):
            raise ValueError(
                "Received an invalid value for argument `groups`, expected a positive integer "
                f"(or `-1` for instance normalization). Received: groups={groups}"
            )
        self.groups = groups
        self.axis = int(axis)
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer, **kwargs)

    def build(self, input_shape: Shape) -> None:
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f"Axis {self.axis} of input tensor should have a defined dimension but the layer received an "
                f"input with shape {tuple(input_shape)}."
            )
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(f"Number of groups ({self.groups}) cannot be more than the number of channels ({dim}).")
        if dim % self.groups:
            raise ValueError(f"Number of groups ({self.groups}) must be a multiple of the number of channels ({dim}).")
        self._add_affine((dim,))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        moved = x.movedim(self.axis, -1)  # (N, ..., C)
        channels = moved.shape[-1]
        spatial = math.prod(moved.shape[1:-1])  # given, not -1: an empty batch leaves -1 undetermined
        grouped = moved.reshape(moved.shape[0], spatial, self.groups, channels // self.groups)  # (N, S, G, C/G)
        y = self._normalize(grouped, (1, 3), (1, 1, self.groups, channels // self.groups))
        return y.reshape(moved.shape).movedim(-1, self.axis)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "groups": self.groups, "axis": self.axis}
