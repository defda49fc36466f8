"""Depthwise and depthwise-separable 1D/2D convolutions (MobileNet/Xception building blocks)."""

from __future__ import annotations

import functools
from typing import Any, Sequence

import torch
import torch.nn.functional as F

from . import activations as activations_lib
from . import initializers
from .base import InputSpec, Layer, Shape, standardize_tuple
from .conv import apply_padding, check_padding, keras_kernel_to_torch, pad_amounts, torch_kernel_to_keras
from .data_format import ChannelsLayout
from .shapes import conv_output_length


_CONV_FNS = {1: F.conv1d, 2: F.conv2d}


def _depthwise_to_keras(t: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    rank = len(shape) - 2
    return t.reshape(shape).permute(*range(2, rank + 2), 0, 1)  # (C, m, *k) → (*k, C, m)


def _depthwise_to_torch(t: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    rank = len(shape) - 2
    return t.permute(rank, rank + 1, *range(rank)).reshape(shape)  # (*k, C, m) → (C·m, 1, *k)


class BaseDepthwiseConv(ChannelsLayout, Layer):
    """One (or ``depth_multiplier``) spatial filter per input channel, channels never mixed.

    Keras kernel layout ``(kh, kw, C, depth_multiplier)``; output channel
    ``c·depth_multiplier + j`` comes from input channel ``c``.

    Example:
        >>> import torch
        >>> DepthwiseConv2D(3, depth_multiplier=2)(torch.zeros(1, 8, 8, 3)).shape
        torch.Size([1, 6, 6, 6])
    """

    weight_options = ("depthwise", "bias")
    writes_activity_regularizer = True

    rank = 2

    def __init__(
        self,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        cls = type(self).__name__
        if not isinstance(depth_multiplier, int) or depth_multiplier <= 0:
            raise ValueError(f"{cls}: depth_multiplier must be a positive int. Received: depth_multiplier={depth_multiplier!r}")
        self.kernel_size = standardize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = standardize_tuple(strides, self.rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, self.rank, "dilation_rate")
        self.padding = check_padding(padding, ("valid", "same"), cls)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{cls}: strides > 1 is not supported together with dilation_rate > 1. "
                f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}."
            )
        self.depth_multiplier = depth_multiplier
        self.activation = activations_lib.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.set_data_format(data_format)
        super().__init__(**kwargs)

    def build(self, input_shape: Shape) -> None:
        channels = input_shape[self.channel_axis]
        self.compute_output_shape(input_shape)
        self._add_depthwise_kernel(channels)
        if self.use_bias:
            self.add_weight("bias", (channels * self.depth_multiplier,), self.bias_initializer)
        else:
            self.bias = None

    def _add_depthwise_kernel(self, channels: int) -> None:
        m = self.depth_multiplier
        k = self.kernel_size
        self.add_weight(
            "depthwise_kernel",
            (*k, channels, m),
            self.depthwise_initializer,
            # torch (C·m, 1, *k) with output channel c·m + j  ↔  Keras (*k, C, m)
            to_keras=functools.partial(_depthwise_to_keras, shape=(channels, m, *k)),
            to_torch=functools.partial(_depthwise_to_torch, shape=(channels * m, 1, *k)),
        )

    def _spatial(self, input_shape: Shape) -> list[int | None]:
        spatial = [
            conv_output_length(n, k, self.padding, s, d)
            for n, k, s, d in zip(self.spatial_of(input_shape), self.kernel_size, self.strides, self.dilation_rate)
        ]
        if any(n is not None and n <= 0 for n in spatial):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the kernel {self.kernel_size} does not fit the input "
                f"{tuple(input_shape)} with padding='{self.padding}' (output size {tuple(spatial)})."
            )
        return spatial

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        channels = input_shape[self.channel_axis]
        return self.shaped(input_shape[0], self._spatial(input_shape),
                           None if channels is None else channels * self.depth_multiplier)

    def _depthwise(self, x: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        """(N, C, *spatial) → (N, C·m, *spatial')."""
        pads = pad_amounts(x.shape[2:], self.kernel_size, self.strides, self.dilation_rate, self.padding)
        x, symmetric = apply_padding(x, pads)
        conv = _CONV_FNS[self.rank]
        return conv(x, self.depthwise_kernel, bias, self.strides, symmetric or 0, self.dilation_rate, x.shape[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self._depthwise(self.to_channels_first(x), self.bias)  # (N, C·m, *spatial')
        return self.activation(self.from_channels_first(y))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "depth_multiplier": self.depth_multiplier,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations_lib.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }


class DepthwiseConv1D(BaseDepthwiseConv):
    """Depthwise convolution over ``(N, L, C)`` signals; Keras kernel layout ``(k, C, depth_multiplier)``."""

    rank = 1


class DepthwiseConv2D(BaseDepthwiseConv):
    """Depthwise convolution over ``(N, H, W, C)`` images; Keras kernel layout ``(kh, kw, C, depth_multiplier)``."""

    rank = 2


class BaseSeparableConv(BaseDepthwiseConv):
    """A depthwise convolution followed by a 1×1 (pointwise) convolution to ``filters`` channels.

    Keras weights: ``[depthwise_kernel (kh, kw, C, m), pointwise_kernel (1, 1, C·m, filters), bias]``.

    Example:
        >>> import torch
        >>> SeparableConv2D(4, 3, padding="same")(torch.zeros(1, 8, 8, 3)).shape
        torch.Size([1, 8, 8, 4])
    """

    weight_options = ("depthwise", "pointwise", "bias")

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(
                f"Invalid value for argument `filters`. Expected a strictly positive value. Received filters={filters!r}."
            )
        self.filters = filters
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation, use_bias,
                         depthwise_initializer, bias_initializer, **kwargs)

    def build(self, input_shape: Shape) -> None:
        channels = input_shape[self.channel_axis]
        self.compute_output_shape(input_shape)
        self._add_depthwise_kernel(channels)
        self.add_weight(
            "pointwise_kernel",
            (*(1,) * self.rank, channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer,
            to_keras=torch_kernel_to_keras(self.rank),
            to_torch=keras_kernel_to_torch(self.rank),
        )
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer)
        else:
            self.bias = None

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return self.shaped(input_shape[0], self._spatial(input_shape), self.filters)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self._depthwise(self.to_channels_first(x), None)  # (N, C·m, *spatial')
        y = _CONV_FNS[self.rank](y, self.pointwise_kernel, self.bias)  # (N, filters, *spatial')
        return self.activation(self.from_channels_first(y))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("depthwise_initializer")
        config.pop("bias_initializer")
        return {
            **config,
            "filters": self.filters,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }


class SeparableConv1D(BaseSeparableConv):
    """Separable convolution over ``(N, L, C)`` signals."""

    rank = 1


class SeparableConv2D(BaseSeparableConv, DepthwiseConv2D):
    """Separable convolution over ``(N, H, W, C)`` images (also a ``DepthwiseConv2D``, as it was before)."""

    rank = 2
