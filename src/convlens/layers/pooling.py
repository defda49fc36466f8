"""Pooling: one ``BasePooling(rank, mode)``, thin Max/Average 1D/2D/3D variants, and global pooling.

Pooling has no weights. "same" max-pooling pads with −inf (the pad never wins);
"same" average-pooling leaves the padding out of the count, as Keras does.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F

from .base import InputSpec, Layer, Shape, standardize_tuple
from .conv import apply_padding, check_padding, pad_amounts
from .data_format import ChannelsLayout
from .shapes import conv_output_length

_MAX: dict[int, Callable[..., torch.Tensor]] = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG: dict[int, Callable[..., torch.Tensor]] = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
# max_of_strided_views takes inputs up to _STRIDED_WHOLE_BYTES whole; a larger batch goes through in pieces of at
# most _STRIDED_CHUNK_BYTES, so that the intermediate row maxima stay in cache and no large new buffer is touched.
# Medians on the 2-core AMD EPYC (torch 2.13, channels-last, freed memory retained as fit and predict retain it),
# F.max_pool2d / whole / in 4 MB pieces: (1024, 32, 26, 26), 84.5 MB, 10.1 / 9.5 / 7.3 ms (with memory handed back
# to the system 27.2 / 23.6 / 5.9 ms); (1024, 16, 28, 28) 8.0 / 5.8 / 5.8 ms; (512, 32, 26, 26) 4.0 / 3.0 / 2.9 ms.
# Up to 16 MB whole is fastest: (256, 16, 28, 28) 0.55 ms whole, 0.92 ms in 2 MB pieces, 2.3 ms F.max_pool2d.
_STRIDED_WHOLE_BYTES = 16 << 20
_STRIDED_CHUNK_BYTES = 4 << 20


class BasePooling(ChannelsLayout, Layer):
    """Sliding-window max or mean over ``rank`` spatial axes of a channels-last (or channels-first) input.

    Args:
        rank: 1, 2 or 3.
        mode: ``"max"`` or ``"average"``.
        pool_size: int or tuple; the window.
        strides: int, tuple or ``None`` (= ``pool_size``).
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"``, ``"channels_first"`` or ``None`` (``image_data_format()``).
    """

    def __init__(self, rank: int, mode: str, pool_size: int | Sequence[int] = 2,
                 strides: int | Sequence[int] | None = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        cls = type(self).__name__
        self.rank = rank
        self.mode = mode
        self.pool_size = standardize_tuple(pool_size, rank, "pool_size")
        self.strides = self.pool_size if strides is None else standardize_tuple(strides, rank, "strides")
        self.padding = check_padding(padding, ("valid", "same"), cls)
        self.input_spec = InputSpec(ndim=rank + 2)
        self.set_data_format(data_format)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        spatial = [conv_output_length(n, k, self.padding, s)
                   for n, k, s in zip(self.spatial_of(input_shape), self.pool_size, self.strides)]
        if any(n is not None and n <= 0 for n in spatial):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': pool_size={self.pool_size} is larger than the input "
                f"{tuple(input_shape)} allows with padding='valid' (computed output {tuple(spatial)}). "
                "Use a smaller pool_size or padding='same'."
            )
        return self.shaped(input_shape[0], spatial, input_shape[self.channel_axis])

    def build(self, input_shape: Shape) -> None:
        self.compute_output_shape(input_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.from_channels_first(self.pool(self.to_channels_first(x)))  # (N, *spatial_out, C) or (N, C, ...)

    def pool(self, x: torch.Tensor) -> torch.Tensor:
        """The pooling on a channels-first view: ``(N, C, *spatial)`` → ``(N, C, *spatial_out)`` in new memory.

        Example:
            >>> import torch
            >>> MaxPooling2D().pool(torch.zeros(1, 8, 28, 28)).shape
            torch.Size([1, 8, 14, 14])
        """
        pads = pad_amounts(x.shape[2:], self.pool_size, self.strides, (1,) * self.rank, self.padding)
        if self.mode == "average":
            return self._average(x, pads)
        if self._strided_max and not any(a or b for a, b in pads) and x.device.type == "cpu" \
                and min(x.shape[2:]) >= 2 and not (x.requires_grad and torch.is_grad_enabled()):
            return max_of_strided_views(x)
        # "valid" (and any symmetric "same") pads inside the kernel: apply_padding copies nothing then.
        padded, symmetric = apply_padding(x, pads, value=float("-inf"))
        return _MAX[self.rank](padded, self.pool_size, self.strides, symmetric or 0)

    @property
    def _strided_max(self) -> bool:
        """2 x 2 max-pooling with stride 2, which :func:`max_of_strided_views` computes where no gradient is needed."""
        return self.mode == "max" and self.rank == 2 and self.pool_size == (2, 2) and self.strides == (2, 2)

    def _average(self, x: torch.Tensor, pads: list[tuple[int, int]]) -> torch.Tensor:
        symmetric = all(a == b for a, b in pads)
        if symmetric and all(2 * a <= k for (a, _), k in zip(pads, self.pool_size)):
            # PyTorch excludes the padding from the count natively for symmetric pads.
            return _AVG[self.rank](x, self.pool_size, self.strides, tuple(a for a, _ in pads),
                                   count_include_pad=False)
        padded, _ = apply_padding(x, pads)
        ones = torch.ones((1, 1, *x.shape[2:]), dtype=x.dtype, device=x.device)
        counts, _ = apply_padding(ones, pads)
        # mean over the real pixels = (sum over window) / (number of real pixels in it)
        return _AVG[self.rank](padded, self.pool_size, self.strides) / _AVG[self.rank](counts, self.pool_size, self.strides)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


def max_of_strided_views(x: torch.Tensor) -> torch.Tensor:
    """2 x 2 max-pooling with stride 2 of ``(N, C, H, W)`` as two element-wise maxima of strided views (no indices).

    Equal to ``F.max_pool2d(x, 2)`` element for element, NaN included (both
    propagate it); an odd last row or column is dropped, as "valid" pooling
    does. On a CPU, without gradients, it is several times faster: torch's
    pooling kernel also writes the indices its backward would need. Measured
    on the 2-core CPU (torch 2.13, channels-last memory): 0.13 ms against
    0.65 ms for (128, 16, 28, 28), 2.3 against 3.9 us per image for
    (32, 32, 26, 26). A batch over 16 MB is pooled a few images at a time
    into one output (see ``_STRIDED_CHUNK_BYTES``) when no gradient is needed.

    Example:
        >>> import torch
        >>> x = torch.arange(16.0).reshape(1, 1, 4, 4)
        >>> max_of_strided_views(x).flatten().tolist()
        [5.0, 7.0, 13.0, 15.0]
    """
    height, width = x.shape[2] // 2 * 2, x.shape[3] // 2 * 2
    image_bytes = x[0].numel() * x.element_size() if len(x) else 0
    if x.numel() * x.element_size() <= _STRIDED_WHOLE_BYTES or image_bytes > _STRIDED_CHUNK_BYTES \
            or (x.requires_grad and torch.is_grad_enabled()):  # `out=` below records no gradient
        return _strided_max(x, height, width, None)
    layout = torch.channels_last if x.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format
    out = torch.empty((x.shape[0], x.shape[1], height // 2, width // 2), dtype=x.dtype, device=x.device,
                      memory_format=layout)  # the layout the whole-batch maxima would have had
    images = _STRIDED_CHUNK_BYTES // image_bytes
    for start in range(0, x.shape[0], images):
        _strided_max(x[start : start + images], height, width, out[start : start + images])
    return out


def _strided_max(x: torch.Tensor, height: int, width: int, out: torch.Tensor | None) -> torch.Tensor:
    rows = torch.maximum(x[:, :, 0:height:2], x[:, :, 1:height:2])  # (N, C, H/2, W)
    if out is None:
        return torch.maximum(rows[:, :, :, 0:width:2], rows[:, :, :, 1:width:2])  # (N, C, H/2, W/2)
    return torch.maximum(rows[:, :, :, 0:width:2], rows[:, :, :, 1:width:2], out=out)


def _pooling_class(name: str, rank: int, mode: str, default_pool: int | tuple[int, ...], doc: str) -> type[BasePooling]:
    def __init__(self: BasePooling, pool_size: int | Sequence[int] = default_pool,
                 strides: int | Sequence[int] | None = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        BasePooling.__init__(self, rank, mode, pool_size, strides, padding, data_format, **kwargs)

    return type(name, (BasePooling,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})


MaxPooling1D = _pooling_class("MaxPooling1D", 1, "max", 2, """Max over windows of a signal ``(N, L, C)``.

    Example:
        >>> import torch
        >>> MaxPooling1D()(torch.zeros(1, 9, 2)).shape
        torch.Size([1, 4, 2])
    """)
MaxPooling2D = _pooling_class("MaxPooling2D", 2, "max", (2, 2), """Max over windows of an image ``(N, H, W, C)``; halves H and W by default.

    Example:
        >>> import torch
        >>> MaxPooling2D()(torch.zeros(1, 28, 28, 8)).shape
        torch.Size([1, 14, 14, 8])
    """)
MaxPooling3D = _pooling_class("MaxPooling3D", 3, "max", (2, 2, 2), """Max over windows of a volume ``(N, D, H, W, C)``.

    Example:
        >>> import torch
        >>> MaxPooling3D()(torch.zeros(1, 4, 4, 4, 2)).shape
        torch.Size([1, 2, 2, 2, 2])
    """)
AveragePooling1D = _pooling_class("AveragePooling1D", 1, "average", 2, """Mean over windows of a signal ``(N, L, C)``.

    Example:
        >>> import torch
        >>> AveragePooling1D()(torch.ones(1, 9, 2)).shape
        torch.Size([1, 4, 2])
    """)
AveragePooling2D = _pooling_class("AveragePooling2D", 2, "average", (2, 2), """Mean over windows of an image; "same" padding is left out of the count.

    Example:
        >>> import torch
        >>> AveragePooling2D(3, strides=2, padding="same")(torch.ones(1, 7, 7, 2)).shape
        torch.Size([1, 4, 4, 2])
    """)
AveragePooling3D = _pooling_class("AveragePooling3D", 3, "average", (2, 2, 2), """Mean over windows of a volume.

    Example:
        >>> import torch
        >>> AveragePooling3D()(torch.ones(1, 4, 4, 4, 1)).shape
        torch.Size([1, 2, 2, 2, 1])
    """)


class BaseGlobalPooling(ChannelsLayout, Layer):
    """Max or mean over all spatial axes: ``(N, *spatial, C)`` (or ``(N, C, *spatial)``) → ``(N, C)``.

    ``keepdims=True`` keeps the spatial axes with size 1, in the layer's layout.
    """

    def __init__(self, rank: int, mode: str, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        self.rank = rank
        self.mode = mode
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=rank + 2)
        self.set_data_format(data_format)
        self.dims = tuple(range(self.spatial_start, self.spatial_start + rank))  # the spatial axes, reduced
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        channels = input_shape[self.channel_axis]
        if self.keepdims:
            return self.shaped(input_shape[0], [1] * self.rank, channels)
        return (input_shape[0], channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "max":
            return x.amax(dim=self.dims, keepdim=self.keepdims)
        return x.mean(dim=self.dims, keepdim=self.keepdims)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


def _global_class(name: str, rank: int, mode: str, doc: str) -> type[BaseGlobalPooling]:
    def __init__(self: BaseGlobalPooling, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        BaseGlobalPooling.__init__(self, rank, mode, data_format, keepdims, **kwargs)

    return type(name, (BaseGlobalPooling,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})


GlobalMaxPooling1D = _global_class("GlobalMaxPooling1D", 1, "max", """Max over time: ``(N, L, C)`` → ``(N, C)``.""")
GlobalMaxPooling2D = _global_class("GlobalMaxPooling2D", 2, "max", """Max over H and W: ``(N, H, W, C)`` → ``(N, C)``.

    Example:
        >>> import torch
        >>> GlobalMaxPooling2D()(torch.zeros(2, 5, 5, 3)).shape
        torch.Size([2, 3])
    """)
GlobalMaxPooling3D = _global_class("GlobalMaxPooling3D", 3, "max", """Max over D, H and W: ``(N, D, H, W, C)`` → ``(N, C)``.""")
GlobalAveragePooling1D = _global_class("GlobalAveragePooling1D", 1, "average", """Mean over time: ``(N, L, C)`` → ``(N, C)``.""")
GlobalAveragePooling2D = _global_class("GlobalAveragePooling2D", 2, "average", """Mean over H and W: ``(N, H, W, C)`` → ``(N, C)``.

    Example:
        >>> import torch
        >>> GlobalAveragePooling2D()(torch.ones(2, 5, 5, 3)).shape
        torch.Size([2, 3])
    """)
GlobalAveragePooling3D = _global_class("GlobalAveragePooling3D", 3, "average", """Mean over D, H and W: ``(N, D, H, W, C)`` → ``(N, C)``.""")
