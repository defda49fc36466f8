"""Image preprocessing layers that act in training and inference alike: Resizing, CenterCrop and Normalization."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .augmentation import ImageLayer
from .base import Layer

# Keras's names → torch's interpolate modes; Keras on torch resizes "nearest" with torch's "nearest-exact".
RESIZE_INTERPOLATIONS = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}
EPSILON = 1e-7  # keras.backend.epsilon(): the smallest standard deviation Normalization divides by


def aspect_window(size: tuple[int, int], target: tuple[int, int], *, pad: bool) -> tuple[int, int, int, int]:
    """The (top, left, height, width) window of ``size`` with ``target``'s aspect ratio, as Keras computes it.

    ``pad=False`` gives the largest window inside the image (a crop); ``pad=True`` the canvas around it, with the
    image at (top, left) and as many rows (columns) of padding below (right) as above (left): Keras pads both sides
    by the rounded-down half, so an odd amount of padding loses its last row.
    """
    height, width = size
    target_height, target_width = target
    window_height = int(float(width * target_height) / target_width)
    window_width = int(float(height * target_width) / target_height)
    if pad:
        top = int((max(height, window_height) - height) / 2)
        left = int((max(width, window_width) - width) / 2)
        return top, left, height + 2 * top, width + 2 * left
    window_height, window_width = max(min(height, window_height), 1), max(min(width, window_width), 1)
    return int((height - window_height) / 2), int((width - window_width) / 2), window_height, window_width


def resize_images(images: torch.Tensor, size: tuple[int, int], interpolation: str = "bilinear", *,
                  crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False,
                  fill_value: float = 0.0, antialias: bool = False) -> torch.Tensor:
    """Resize a float (N, H, W, C) batch to ``size`` = (height, width), as ``keras.ops.image.resize`` on torch."""
    x = images.permute(0, 3, 1, 2)  # (N, C, H, W)
    if crop_to_aspect_ratio:
        top, left, height, width = aspect_window(tuple(x.shape[2:]), size, pad=False)
        x = x[:, :, top:top + height, left:left + width]
    elif pad_to_aspect_ratio:
        top, left, height, width = aspect_window(tuple(x.shape[2:]), size, pad=True)
        canvas = x.new_full((*x.shape[:2], height, width), float(fill_value))
        canvas[:, :, top:top + x.shape[2], left:left + x.shape[3]] = x
        x = canvas
    smooth = interpolation in ("bilinear", "bicubic")
    x = F.interpolate(x, size=tuple(size), mode=RESIZE_INTERPOLATIONS[interpolation],
                      align_corners=False if smooth else None, antialias=antialias and smooth)
    return x.permute(0, 2, 3, 1)  # (N, H', W', C)


class Resizing(ImageLayer):
    """Resize images to ``(height, width)``, as ``keras.layers.Resizing`` (bilinear, nearest or bicubic).

    Args:
        height, width: the output size.
        interpolation: ``"bilinear"`` (default), ``"nearest"`` or ``"bicubic"``.
        crop_to_aspect_ratio: first crop the largest centred window of the target's aspect ratio.
        pad_to_aspect_ratio: first pad the short side evenly with ``fill_value`` to the target's aspect ratio.
        fill_mode: only ``"constant"``, as Keras on torch.
        fill_value: the padding value.
        antialias: low-pass filter when downsampling (bilinear and bicubic only).
        data_format: ``"channels_last"``, ``"channels_first"`` or ``None`` (``image_data_format()``).

    Example:
        >>> Resizing(2, 2)(torch.rand(1, 4, 4, 3)).shape
        torch.Size([1, 2, 2, 3])
    """

    def __init__(self, height: int, width: int, interpolation: str = "bilinear", crop_to_aspect_ratio: bool = False,
                 pad_to_aspect_ratio: bool = False, fill_mode: str = "constant", fill_value: float = 0.0,
                 antialias: bool = False, data_format: str | None = None, **kwargs: Any) -> None:
        if interpolation not in RESIZE_INTERPOLATIONS:
            raise ValueError(f"Invalid value for argument `interpolation`. Expected one of "
                             f"{tuple(RESIZE_INTERPOLATIONS)}. Received: interpolation={interpolation}")
        if fill_mode != "constant":
            raise ValueError(f"Invalid value for argument `fill_mode`. Only `'constant'` is supported. "
                             f"Received: fill_mode={fill_mode}")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.")
        self.height, self.width = int(height), int(width)
        self.interpolation = interpolation
        self.crop_to_aspect_ratio, self.pad_to_aspect_ratio = bool(crop_to_aspect_ratio), bool(pad_to_aspect_ratio)
        self.fill_mode, self.fill_value = fill_mode, float(fill_value)
        self.antialias = bool(antialias)
        super().__init__(data_format, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        images, unbatched = self.images(x)  # (N, H, W, C)
        out = resize_images(images, (self.height, self.width), self.interpolation,
                            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
                            fill_value=self.fill_value, antialias=self.antialias)
        return self.restore(out, unbatched)

    def compute_output_shape(self, input_shape):
        return self.resized_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias, "data_format": self.data_format}


class CenterCrop(ImageLayer):
    """Crop the central ``(height, width)`` window, as ``keras.layers.CenterCrop``.

    An image smaller than the window on either side is instead cropped to the window's aspect ratio and resized
    (bilinear) to it, as Keras does.

    Example:
        >>> CenterCrop(2, 2)(torch.arange(16.).reshape(1, 4, 4, 1))[0, :, :, 0].tolist()
        [[5.0, 6.0], [9.0, 10.0]]
    """

    def __init__(self, height: int, width: int, data_format: str | None = None, **kwargs: Any) -> None:
        self.height, self.width = int(height), int(width)
        super().__init__(data_format, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        images, unbatched = self.images(x)  # (N, H, W, C)
        height, width = images.shape[1:3]
        if height >= self.height and width >= self.width:
            top, left = (height - self.height) // 2, (width - self.width) // 2
            out = images[:, top:top + self.height, left:left + self.width]
        else:
            out = resize_images(images, (self.height, self.width), crop_to_aspect_ratio=True)
        return self.restore(out, unbatched)

    def compute_output_shape(self, input_shape):
        return self.resized_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width, "data_format": self.data_format}


class Normalization(Layer):
    """``(x - mean) / sqrt(variance)`` per position of ``axis``, as ``keras.layers.Normalization``.

    Give ``mean`` and ``variance``, or call ``adapt(data)`` to compute them from an array, a tensor, a convlens
    ``Dataset`` or any iterable of batches (``(x, y)`` batches use ``x``). ``invert=True`` maps back:
    ``mean + x * sqrt(variance)``. The standard deviation is floored at 1e-7.

    Args:
        axis: the axis (or axes) that keep their own statistics; ``None`` gives one mean and variance for all.
        mean, variance: fixed statistics, broadcast along ``axis``.
        invert: apply the inverse transformation.

    Example:
        >>> layer = Normalization()
        >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]]))
        >>> layer(np.array([[1.0, 20.0]])).tolist()
        [[0.0, 0.0]]
    """

    def __init__(self, axis: int | tuple[int, ...] | None = -1, mean: Any = None, variance: Any = None,
                 invert: bool = False, **kwargs: Any) -> None:
        self.axis = () if axis is None else (int(axis),) if isinstance(axis, (int, np.integer)) else tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError("When setting values directly, both `mean` and `variance` must be set. "
                             f"Received: mean={mean} and variance={variance}")
        if mean is not None and np.shape(mean) != np.shape(variance):
            raise ValueError("When setting values directly, `mean` and `variance` must have the same shape. "
                             f"Received: mean shape {np.shape(mean)} and variance shape {np.shape(variance)}")
        if mean is not None and np.ndim(mean) > len(self.axis):
            raise ValueError(f"The rank of `mean` must be less than or equal to the number of axes "
                             f"({len(self.axis)}). Received: mean shape {np.shape(mean)} for axis {self.axis}")
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)
        super().__init__(**kwargs)

    def build(self, input_shape) -> None:
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError("All `axis` values must be in the range [-ndim, ndim). "
                             f"Received inputs with ndim={ndim}, while axis={self.axis}")
        self.keep_axes = tuple(sorted(a % ndim for a in self.axis))
        if any(input_shape[a] is None for a in self.keep_axes):
            raise ValueError(f"All `axis` values to be kept must have a known shape. Received axis={self.axis}, "
                             f"inputs.shape={tuple(input_shape)}")
        self.reduce_axes = tuple(a for a in range(ndim) if a not in self.keep_axes)
        self.broadcast_shape = tuple(input_shape[a] if a in self.keep_axes else 1 for a in range(ndim))
        stats_shape = tuple(input_shape[a] for a in self.keep_axes)
        if self.input_mean is None:  # adapted statistics are weights, saved with the model as Keras saves them
            self.add_weight("mean", stats_shape, "zeros", trainable=False)
            self.add_weight("variance", stats_shape, "ones", trainable=False)
            self.add_weight("count", (), "zeros", trainable=False)

    def statistics(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The mean and variance, shaped to broadcast against the input."""
        if self.input_mean is None:
            mean, variance = self.mean, self.variance
        else:
            mean, variance = (self.fixed_statistic(v, like) for v in (self.input_mean, self.input_variance))
        return (mean.reshape(self.broadcast_shape).to(like.dtype),
                variance.reshape(self.broadcast_shape).to(like.dtype))

    def fixed_statistic(self, value: Any, like: torch.Tensor) -> torch.Tensor:
        """A given ``mean``/``variance``: its trailing axes line up with the last kept axes, as in Keras."""
        value = torch.as_tensor(np.asarray(value, dtype="float32"), device=like.device)
        expanded = [1] * len(self.broadcast_shape)
        for i in range(1, value.dim() + 1):
            expanded[self.keep_axes[-i]] = value.shape[-i]
        return value.reshape(expanded).expand(self.broadcast_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not x.is_floating_point():
            x = x.to(self.variable_dtype)
        mean, variance = self.statistics(x)
        std = torch.clamp(torch.sqrt(variance), min=EPSILON)
        return mean + x * std if self.invert else (x - mean) / std

    def adapt(self, data: Any) -> None:
        """Compute the mean and variance over ``data`` (an array, a tensor, or an iterable of batches)."""
        if self.input_mean is not None:
            raise ValueError("Normalization: `adapt` computes the statistics that `mean` and `variance` "
                             "already fix; make the layer without them to adapt it.")
        batches = [data] if isinstance(data, (np.ndarray, torch.Tensor)) else iter(data)
        total_mean = total_var = None
        total_count = 0
        for batch in batches:
            if isinstance(batch, (tuple, list)):  # (x, y) or (x, y, sample_weight) batches
                batch = batch[0]
            batch = torch.as_tensor(np.asarray(batch) if not isinstance(batch, torch.Tensor) else batch)
            batch = batch.to(torch.float64)  # accumulate in float64: many batches must not drift
            if not self.built:
                self.build_from_shape((None, *batch.shape[1:]), device=batch.device)
            self.check_adapt_shape(batch)
            batch_mean = batch.mean(dim=self.reduce_axes) if self.reduce_axes else batch
            batch_var = batch.var(dim=self.reduce_axes, unbiased=False) if self.reduce_axes else torch.zeros_like(batch)
            count = math.prod(batch.shape[a] for a in self.reduce_axes)
            total_count += count
            if total_mean is None:
                total_mean, total_var = batch_mean, batch_var
                continue
            # Chan's parallel update: merge the batch's mean and variance into the running ones.
            weight = count / total_count
            new_mean = total_mean * (1 - weight) + batch_mean * weight
            total_var = ((total_var + (total_mean - new_mean) ** 2) * (1 - weight)
                         + (batch_var + (batch_mean - new_mean) ** 2) * weight)
            total_mean = new_mean
        if total_mean is None:
            raise ValueError("adapt() received an empty iterable (no batches). Expected at least one batch.")
        with torch.no_grad():
            self.mean.copy_(total_mean.reshape(self.mean.shape))
            self.variance.copy_(total_var.reshape(self.variance.shape))
            self.count.fill_(total_count)

    def check_adapt_shape(self, batch: torch.Tensor) -> None:
        expected = self._build_input_shape
        if batch.dim() != len(expected) or any(batch.shape[a] != expected[a] for a in self.keep_axes):
            raise ValueError(f"The layer was built with input_shape={tuple(expected)}, but adapt() is being called "
                             f"with data with an incompatible shape, data.shape={tuple(batch.shape)}")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(), "variance": np.array(self.input_variance).tolist()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Normalization":
        config = dict(config)
        for key in ("mean", "variance"):  # Keras writes an absent statistic as null
            if config.get(key) is None:
                config[key] = None
        return cls(**config)
