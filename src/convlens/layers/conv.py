"""Convolution layers: one ``BaseConv(rank)``, thin ``Conv1D`` / ``Conv2D`` / ``Conv3D`` variants.

Public tensors are channels-last, ``(N, *spatial, C)``, unless the layer is
made with ``data_format="channels_first"`` (``(N, C, *spatial)``). ``movedim(-1, 1)``
turns a contiguous channels-last tensor into an NC* *view* whose memory is
already PyTorch's ``channels_last`` format, which is the layout oneDNN and
cuDNN run fastest, so no copy is made on the way in or out; a channels-first
layer has nothing to move (see ``data_format.py``).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F

from . import activations as activations_lib
from . import initializers
from .base import InputSpec, Layer, Shape, permutation, standardize_tuple
from .data_format import ChannelsLayout
from .shapes import conv_output_length, same_padding

_CONV_FNS: dict[int, Callable[..., torch.Tensor]] = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def keras_kernel_to_torch(rank: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """Keras ``(*k, in, out)`` → torch ``(out, in, *k)``."""
    return permutation((rank + 1, rank, *range(rank)))


def torch_kernel_to_keras(rank: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """Torch ``(out, in, *k)`` → Keras ``(*k, in, out)``."""
    return permutation((*range(2, rank + 2), 1, 0))


def check_padding(padding: Any, allowed: Sequence[str], layer: str) -> str:
    """Validate a padding name (case-insensitive, as Keras accepts)."""
    value = padding.lower() if isinstance(padding, str) else padding
    if value not in allowed:
        raise ValueError(
            f"{layer}: invalid padding. Received: padding={padding!r}; allowed values are {tuple(allowed)}."
        )
    return value


def pad_amounts(
    spatial: Sequence[int], kernel: Sequence[int], strides: Sequence[int], dilation: Sequence[int], padding: str
) -> list[tuple[int, int]]:
    """(before, after) padding per spatial axis for "valid", "same" or "causal"."""
    if padding == "valid":
        return [(0, 0)] * len(spatial)
    if padding == "causal":
        return [((kernel[0] - 1) * dilation[0], 0)]
    return [same_padding(n, k, s, d) for n, k, s, d in zip(spatial, kernel, strides, dilation)]


def apply_padding(x: torch.Tensor, pads: Sequence[tuple[int, int]], value: float = 0.0) -> tuple[torch.Tensor, tuple[int, ...] | None]:
    """Pad an NC* tensor; symmetric pads are returned for the kernel to apply itself.

    Returns ``(x, symmetric)``: when every axis pads the same on both sides the
    tensor is returned untouched with those amounts, because PyTorch's
    convolution pads internally without a copy; otherwise ``x`` is padded
    explicitly (TensorFlow's odd pixel at the end) and ``symmetric`` is None.
    """
    if all(a == b for a, b in pads):
        return x, tuple(a for a, _ in pads)
    flat: list[int] = []
    for before, after in reversed(pads):  # F.pad wants the last axis first
        flat += [before, after]
    return F.pad(x, flat, value=value), None


def _activate_in_layout(fn: Callable[[torch.Tensor], torch.Tensor], y: torch.Tensor) -> torch.Tensor:
    return fn(y)  # (N, filters, *spatial_out): a channels-first layer's output as it is


class BaseConv(ChannelsLayout, Layer):
    """N-D convolution over ``rank`` spatial axes, channels last (or first).

    Args:
        rank: 1, 2 or 3 spatial dimensions.
        filters: number of output channels (feature maps), ``>= 1``.
        kernel_size: int or tuple of ``rank`` ints.
        strides: int or tuple; defaults to 1.
        padding: ``"valid"`` (no padding), ``"same"`` (``out = ceil(n/s)``,
            the odd pixel bottom/right) or, for ``Conv1D``, ``"causal"``.
        data_format: ``"channels_last"`` ``(N, *spatial, C)``, ``"channels_first"``
            ``(N, C, *spatial)``, or ``None`` for ``image_data_format()``. The
            kernel's Keras layout is the same in both.
        dilation_rate: int or tuple; cannot exceed 1 together with strides.
        groups: split input and output channels into this many groups.
        activation: name, callable or ``None``.
        use_bias: whether to add a learned bias per filter.
        kernel_initializer: Keras initializer for the kernel.
        bias_initializer: Keras initializer for the bias.
        **kwargs: ``name``, ``input_shape``, ``trainable``, ``dtype``.
    """

    weight_options = ("kernel", "bias")
    writes_activity_regularizer = True

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        cls = type(self).__name__
        self.rank = rank
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(
                f"Invalid value for argument `filters`. Expected a strictly positive value. Received filters={filters!r}."
            )
        if not isinstance(groups, int) or groups <= 0 or filters % groups != 0:
            raise ValueError(
                f"{cls}: `groups` must be a positive int that divides `filters`. "
                f"Received: groups={groups!r}, filters={filters}."
            )
        self.filters = filters
        self.groups = groups
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        allowed = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
        self.padding = check_padding(padding, allowed, cls)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{cls}: strides > 1 is not supported together with dilation_rate > 1. "
                f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}."
            )
        self.activation = activations_lib.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.input_spec = InputSpec(ndim=rank + 2)
        self.set_data_format(data_format)
        # The activation after the channels-first convolution: for channels-last data it also moves the channels
        # back (ReLU in place); channels-first data keeps its layout, and the activation sees it as Keras's does.
        self._activate = activations_lib.activate_fresh if self.channel_axis == -1 else _activate_in_layout
        super().__init__(**kwargs)

    def build(self, input_shape: Shape) -> None:
        channels = input_shape[self.channel_axis]
        if channels is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the channel axis of the input must be known; received {input_shape}.")
        if channels % self.groups != 0:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the number of input channels ({channels}) must be divisible "
                f"by groups={self.groups}. Received input_shape={input_shape}."
            )
        self.compute_output_shape(input_shape)  # validates that the window fits
        self.add_weight(
            "kernel",
            (*self.kernel_size, channels // self.groups, self.filters),
            self.kernel_initializer,
            to_keras=torch_kernel_to_keras(self.rank),
            to_torch=keras_kernel_to_torch(self.rank),
        )
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer)
        else:
            self.bias = None

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        spatial = [
            conv_output_length(n, k, self.padding, s, d)
            for n, k, s, d in zip(self.spatial_of(input_shape), self.kernel_size, self.strides, self.dilation_rate)
        ]
        if any(n is not None and n <= 0 for n in spatial):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the kernel {self.kernel_size} (dilation {self.dilation_rate}) "
                f"does not fit the input {tuple(input_shape)} with padding='{self.padding}': the computed output "
                f"shape {tuple(spatial)} has a non-positive size. Use padding='same' or a smaller kernel."
            )
        return self.shaped(input_shape[0], spatial, self.filters)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._activate(self.activation, self.convolve(x))  # (N, *spatial_out, filters) or (N, filters, ...)

    def convolve(self, x: torch.Tensor) -> torch.Tensor:
        """The convolution before the activation, channels first: ``(N, *spatial, C)`` → ``(N, filters, *spatial_out)``.

        The input is in the layer's ``data_format`` (channels first needs no
        move). For channels-last input the result is a new tensor whose memory
        is channels-last, so ``.movedim(1, -1)`` gives the layer's own layout
        without a copy.

        Example:
            >>> import torch
            >>> conv = Conv2D(8, 3, activation="relu")
            >>> conv.build_from_shape((None, 28, 28, 1))
            >>> conv.convolve(torch.zeros(2, 28, 28, 1)).shape
            torch.Size([2, 8, 26, 26])
        """
        x = self.to_channels_first(x)  # (N, C, *spatial), a view
        pads = pad_amounts(x.shape[2:], self.kernel_size, self.strides, self.dilation_rate, self.padding)
        x, symmetric = apply_padding(x, pads)
        return _CONV_FNS[self.rank](
            x, self.kernel, self.bias, self.strides, symmetric or 0, self.dilation_rate, self.groups
        )  # (N, filters, *spatial_out)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations_lib.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }


class Conv1D(BaseConv):
    """1D convolution over signals ``(N, L, C)``; ``padding="causal"`` pads only the past.

    Example:
        >>> import torch
        >>> Conv1D(4, 3, padding="causal")(torch.zeros(2, 10, 1)).shape
        torch.Size([2, 10, 4])
    """

    def __init__(self, filters: int, kernel_size: int | Sequence[int], strides: int | Sequence[int] = 1,
                 padding: str = "valid", data_format: str | None = None, dilation_rate: int | Sequence[int] = 1,
                 groups: int = 1,
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", **kwargs: Any) -> None:
        super().__init__(1, filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, **kwargs)


class Conv2D(BaseConv):
    """2D convolution over images ``(N, H, W, C)``: a bank of ``filters`` learned kernels.

    Each filter has depth equal to the input channels, so the kernel holds
    ``kh·kw·C·filters`` weights plus ``filters`` biases (e.g. 4·4·3·5 + 5 = 245).

    Example:
        >>> import torch
        >>> Conv2D(16, 3, padding="same", activation="relu")(torch.zeros(1, 28, 28, 1)).shape
        torch.Size([1, 28, 28, 16])
    """

    def __init__(self, filters: int, kernel_size: int | Sequence[int], strides: int | Sequence[int] = 1,
                 padding: str = "valid", data_format: str | None = None, dilation_rate: int | Sequence[int] = 1,
                 groups: int = 1,
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", **kwargs: Any) -> None:
        super().__init__(2, filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, **kwargs)


class Conv3D(BaseConv):
    """3D convolution over volumes ``(N, D, H, W, C)``.

    Example:
        >>> import torch
        >>> Conv3D(2, 3, padding="same")(torch.zeros(1, 5, 6, 7, 2)).shape
        torch.Size([1, 5, 6, 7, 2])
    """

    def __init__(self, filters: int, kernel_size: int | Sequence[int], strides: int | Sequence[int] = 1,
                 padding: str = "valid", data_format: str | None = None, dilation_rate: int | Sequence[int] = 1,
                 groups: int = 1,
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", **kwargs: Any) -> None:
        super().__init__(3, filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, **kwargs)
