"""Transposed ("de-") convolution: the gradient of a convolution, used to upsample feature maps."""

from __future__ import annotations

from typing import Any, Sequence

import torch
import torch.nn.functional as F

from . import activations as activations_lib
from . import initializers
from .base import InputSpec, Layer, Shape, permutation, standardize_tuple
from .conv import check_padding
from .data_format import ChannelsLayout
from .shapes import deconv_crop_start, deconv_output_length


_CONV_TRANSPOSE = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


class BaseConvTranspose(ChannelsLayout, Layer):
    """Transposed convolution over ``rank`` spatial axes, channels last (or first, with ``data_format``).

    Output size per axis (Keras): "same" → ``n·s``; "valid" →
    ``n·s + max(k - s, 0)``; with ``output_padding`` →
    ``(n - 1)·s + k % 2 + output_padding`` ("same") or
    ``(n - 1)·s + k + output_padding`` ("valid"). Keras kernel layout
    ``(*kernel_size, filters, C)``.

    Example:
        >>> import torch
        >>> Conv2DTranspose(2, 3, strides=2, padding="same")(torch.zeros(1, 5, 5, 3)).shape
        torch.Size([1, 10, 10, 2])
    """

    weight_options = ("kernel", "bias")
    writes_activity_regularizer = True

    rank = 2

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        output_padding: int | Sequence[int] | None = None,
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        cls = type(self).__name__
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(
                f"Invalid value for argument `filters`. Expected a strictly positive value. Received filters={filters!r}."
            )
        self.filters = filters
        self.kernel_size = standardize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = standardize_tuple(strides, self.rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, self.rank, "dilation_rate")
        self.padding = check_padding(padding, ("valid", "same"), cls)
        self.output_padding = (
            None if output_padding is None else standardize_tuple(output_padding, self.rank, "output_padding", allow_zero=True)
        )
        if self.output_padding is not None and any(p >= s for p, s in zip(self.output_padding, self.strides)):
            raise ValueError(
                f"{cls}: each output_padding must be smaller than its stride. "
                f"Received: output_padding={self.output_padding}, strides={self.strides}."
            )
        self.activation = activations_lib.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.set_data_format(data_format)
        super().__init__(**kwargs)

    def build(self, input_shape: Shape) -> None:
        channels = input_shape[self.channel_axis]
        self.add_weight(
            "kernel",
            (*self.kernel_size, self.filters, channels),
            self.kernel_initializer,
            # torch (C, filters, *k)  ↔  Keras (*k, filters, C)
            to_keras=permutation((*range(2, self.rank + 2), 1, 0)),
            to_torch=permutation((self.rank + 1, self.rank, *range(self.rank))),
        )
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer)
        else:
            self.bias = None

    def _lengths(self, spatial: Sequence[int | None]) -> list[int | None]:
        pads = self.output_padding or (None,) * self.rank
        return [
            deconv_output_length(n, k, self.padding, p, s, d)
            for n, k, p, s, d in zip(spatial, self.kernel_size, pads, self.strides, self.dilation_rate)
        ]

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return self.shaped(input_shape[0], self._lengths(self.spatial_of(input_shape)), self.filters)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.to_channels_first(x)  # (N, C, *spatial)
        full = _CONV_TRANSPOSE[self.rank](x, self.kernel, self.bias, self.strides, 0, 0, 1, self.dilation_rate)
        # Crop (or extend with the bias-only border) the full result to Keras's size.
        pads = self.output_padding or (None,) * self.rank
        y = full
        for axis, (n, k, p, s, d, out) in enumerate(
            zip(x.shape[2:], self.kernel_size, pads, self.strides, self.dilation_rate, self._lengths(x.shape[2:]))
        ):
            start = deconv_crop_start(n, k, self.padding, p, s, d)
            dim = 2 + axis
            y = y.narrow(dim, start, min(out, y.shape[dim] - start))
            missing = out - y.shape[dim]
            if missing > 0:
                extra_shape = list(y.shape)
                extra_shape[dim] = missing
                extra = torch.zeros(extra_shape, dtype=y.dtype, device=y.device)
                if self.bias is not None:
                    extra = extra + self.bias.view(1, -1, *(1,) * self.rank)
                y = torch.cat([y, extra], dim=dim)
        return self.activation(self.from_channels_first(y))  # (N, *spatial', filters) or (N, filters, *spatial')

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations_lib.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }


class Conv1DTranspose(BaseConvTranspose):
    """1D transposed convolution over ``(N, L, C)`` signals."""

    rank = 1


class Conv2DTranspose(BaseConvTranspose):
    """2D transposed convolution over ``(N, H, W, C)`` images."""

    rank = 2


class Conv3DTranspose(BaseConvTranspose):
    """3D transposed convolution over ``(N, D, H, W, C)`` volumes (Keras puts ``data_format`` before ``output_padding`` here)."""

    rank = 3

    def __init__(self, filters: int, kernel_size: int | Sequence[int], strides: int | Sequence[int] = 1,
                 padding: str = "valid", data_format: str | None = None,
                 output_padding: int | Sequence[int] | None = None, **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format, **kwargs)
