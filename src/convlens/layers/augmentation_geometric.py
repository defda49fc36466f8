"""Random geometric augmentation: RandomRotation, RandomZoom, RandomTranslation (one affine map per image) and
RandomCrop. Active while training, the identity in inference, as in Keras 3.15.

The affine layers sample each output pixel at a source point ``(row, col)`` given by Keras's 8-number transform
``[a0, a1, a2, b0, b1, b2, 0, 0]``: ``col = a0·x + a1·y + a2`` and ``row = b0·x + b1·y + b2`` for output column x and
row y. Points outside the image are folded back by ``fill_mode`` as ``keras.ops.image.affine_transform`` does on torch.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import torch

from .augmentation import RandomImageLayer, factor_range
from .image_preprocessing import aspect_window, resize_images

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def mirror_index(index: torch.Tensor, size: int) -> torch.Tensor:
    """The triangular wave that folds integer ``index`` into ``[0, size - 1]``, edge samples not repeated."""
    s = size - 1
    return torch.abs((index + s) % (2 * s) - s)


def fold_index(index: torch.Tensor, size: int, fill_mode: str) -> torch.Tensor:
    """Integer source indices folded into ``[0, size)``: reflect repeats the edge sample (d c b a | a b c d)."""
    if fill_mode == "wrap":
        return index % size
    if fill_mode == "reflect":
        return torch.div(mirror_index(2 * index + 1, 2 * size + 1) - 1, 2, rounding_mode="floor")
    return index.clamp(0, size - 1)  # nearest, and constant (whose out-of-range samples are replaced below)


def affine_transform(images: torch.Tensor, transform: torch.Tensor, interpolation: str = "bilinear",
                     fill_mode: str = "constant", fill_value: float = 0.0) -> torch.Tensor:
    """Resample a float (N, H, W, C) batch through one Keras transform per image (``transform``: (N, 8))."""
    n, height, width, _ = images.shape
    t = transform.to(torch.float32)
    # Keras's layout: rows take (b1, b0, b2), columns (a1, a0, a2) of the output's (row, column, 1).
    matrix = torch.stack([t[:, [4, 1]], t[:, [3, 0]], torch.zeros_like(t[:, :2])], dim=1)  # (N, 3, 2)
    grid = torch.stack(torch.meshgrid(torch.arange(height, dtype=torch.float32, device=images.device),
                                      torch.arange(width, dtype=torch.float32, device=images.device),
                                      indexing="ij"), dim=-1)  # (H, W, 2)
    grid = torch.cat([grid, torch.zeros_like(grid[..., :1])], dim=-1).reshape(1, -1, 3).expand(n, -1, -1)
    source = torch.einsum("bpj,bjk->bpk", grid, matrix.to(images.device))  # (N, H·W, 2)
    source = source + t[:, None, [5, 2]].to(images.device)  # + (b2, a2)
    rows, cols = source.unbind(-1)  # (N, H·W) each

    if interpolation == "nearest":
        nodes = [[(rows.round().int(), 1.0)], [(cols.round().int(), 1.0)]]
    else:
        nodes = []
        for coordinate in (rows, cols):
            lower = coordinate.floor()
            upper_weight = coordinate - lower
            nodes.append([(lower.int(), 1 - upper_weight), (lower.int() + 1, upper_weight)])
    batch = torch.arange(n, device=images.device)[:, None]  # (N, 1)
    out = 0
    for (row, row_weight), (col, col_weight) in itertools.product(*nodes):
        value = images[batch, fold_index(row, height, fill_mode), fold_index(col, width, fill_mode)]  # (N, H·W, C)
        if fill_mode == "constant":
            inside = (row >= 0) & (row < height) & (col >= 0) & (col < width)
            value = torch.where(inside[..., None], value, torch.as_tensor(fill_value, dtype=value.dtype))
        weight = row_weight * col_weight
        out = out + (weight[..., None] if torch.is_tensor(weight) else weight) * value
    return out.reshape(images.shape)


def rotation_transform(angle: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Keras's (N, 8) transform rotating about the image centre by ``angle`` degrees (counter-clockwise > 0)."""
    angle = angle * torch.tensor(math.pi / 180.0, dtype=torch.float32)
    cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
    cos, sin = torch.cos(angle), torch.sin(angle)
    a0, a1, b0, b1 = cos, -sin, sin, cos
    a2 = cx - cx * a0 - cy * a1
    b2 = cy - cx * b0 - cy * b1
    zeros = torch.zeros_like(angle)
    return torch.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], dim=1)


def checked_choices(fill_mode: str, interpolation: str) -> None:
    """Keras's NotImplementedError for a fill mode or interpolation it does not know."""
    if fill_mode not in FILL_MODES:
        raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one {FILL_MODES}.")
    if interpolation not in INTERPOLATIONS:
        raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one {INTERPOLATIONS}.")


class AffineAugmentation(RandomImageLayer):
    """The shared part of the affine layers: fill and interpolation options, and ``transform_matrix`` per subclass."""

    def __init__(self, fill_mode: str, interpolation: str, seed: int | None, fill_value: float,
                 data_format: str | None, **kwargs: Any) -> None:
        checked_choices(fill_mode, interpolation)
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, float(fill_value)
        super().__init__(seed=seed, data_format=data_format, **kwargs)

    def transform(self, images: torch.Tensor, draw: torch.Tensor) -> torch.Tensor:
        matrix = self.transform_matrix(draw.reshape(draw.shape[0], -1).float(), *images.shape[1:3])  # (N, 8)
        return affine_transform(images, matrix, self.interpolation, self.fill_mode, self.fill_value)

    def transform_matrix(self, draw: torch.Tensor, height: int, width: int) -> torch.Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                "interpolation": self.interpolation, "seed": self.seed, "data_format": self.data_format}


def shift_range(factor: Any, name: str, message: str, low_open: bool) -> tuple[float, float]:
    """RandomZoom's and RandomTranslation's factor rule: a pair is sorted, a number ``f`` means ``(-|f|, |f|)``,
    each value within ``[-1, 1]`` (``(-1, 1]`` for a zoom)."""
    values = factor if isinstance(factor, (tuple, list)) else [factor]
    if (isinstance(factor, (tuple, list)) and len(factor) != 2) or any(
            isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
        raise ValueError(f"{message}Received: {name}={factor}")
    for value in values:
        if value > 1.0 or value < -1.0 or (low_open and value == -1.0):
            raise ValueError(f"{message}Received: input_number={value}")
    if isinstance(factor, (tuple, list)):
        lower, upper = sorted(float(v) for v in factor)
        return lower, upper
    return -abs(float(factor)), abs(float(factor))


class RandomRotation(AffineAugmentation):
    """Rotate each image by a random angle ``factor · 360°`` about its centre while training.

    As ``keras.layers.RandomRotation`` 3.15: ``factor=0.1`` draws from ``[-36°, 36°]``, ``(a, b)`` from
    ``[a·360°, b·360°]``; positive angles turn counter-clockwise.

    Args:
        factor: a number or a pair in ``[-1, 1]`` (fractions of a full turn).
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``: how points outside are filled.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        seed: an integer seed for the layer's own generator, or ``None`` for PyTorch's global one.
        fill_value: the value outside the image with ``fill_mode="constant"``.

    Example:
        >>> turn = RandomRotation((0.25, 0.25), interpolation="nearest")
        >>> turn(torch.tensor([[[[1.0], [2.0]], [[3.0], [4.0]]]]), training=True).flatten().tolist()
        [2.0, 4.0, 1.0, 3.0]
    """

    def __init__(self, factor: Any, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0, data_format: str | None = None,
                 **kwargs: Any) -> None:
        self.factor = factor_range(factor, (-1, 1))
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)

    def transform_matrix(self, draw: torch.Tensor, height: int, width: int) -> torch.Tensor:
        lower, upper = self.factor[0] * 360.0, self.factor[1] * 360.0
        return rotation_transform(draw[:, 0] * (upper - lower) + lower, height, width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}


class RandomZoom(AffineAugmentation):
    """Zoom each image about its centre while training, as ``keras.layers.RandomZoom`` 3.15.

    The zoom ``z`` is drawn from ``[1 + lower, 1 + upper]``: positive factors zoom out (the output shows ``z``
    times more of the image), negative ones zoom in. ``width_factor=None`` uses the height's zoom for both axes.

    Args:
        height_factor: a number or a pair in ``(-1, 1]``.
        width_factor: likewise, or ``None`` to keep the aspect ratio.
        fill_mode, interpolation, seed, fill_value: as for ``RandomRotation``.

    Example:
        >>> zoom = RandomZoom((-0.5, -0.5), interpolation="nearest")  # 2x zoom in
        >>> zoom(torch.arange(16.).reshape(1, 4, 4, 1), training=True)[0, :, :, 0].tolist()[1]
        [5.0, 5.0, 6.0, 6.0]
    """

    DRAWS = 2
    MESSAGE = ("The `height_factor` and `width_factor` arguments should be a number (or a list of two numbers) "
               "in the range (-1.0, 1.0]. ")

    def __init__(self, height_factor: Any, width_factor: Any = None, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None, fill_value: float = 0.0,
                 data_format: str | None = None, **kwargs: Any) -> None:
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_range = shift_range(height_factor, "height_factor", self.MESSAGE, low_open=True)
        self.width_range = (None if width_factor is None
                            else shift_range(width_factor, "width_factor", self.MESSAGE, low_open=True))
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)

    def transform_matrix(self, draw: torch.Tensor, height: int, width: int) -> torch.Tensor:
        zoom_y = uniform_between(draw[:, 0], 1.0 + self.height_range[0], 1.0 + self.height_range[1])
        zoom_x = zoom_y if self.width_range is None else uniform_between(
            draw[:, 1], 1.0 + self.width_range[0], 1.0 + self.width_range[1])
        offset_x = ((width - 1.0) / 2.0) * (1.0 - zoom_x)
        offset_y = ((height - 1.0) / 2.0) * (1.0 - zoom_y)
        zeros = torch.zeros_like(zoom_x)
        return torch.stack([zoom_x, zeros, offset_x, zeros, zoom_y, offset_y, zeros, zeros], dim=1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomTranslation(AffineAugmentation):
    """Shift each image by a random fraction of its height and width while training, as Keras 3.15.

    The shift is ``u · H`` rows and ``v · W`` columns with ``u``, ``v`` from the factors' ranges (a number ``f``
    means ``[-f, f]``); positive values move the image down and right.

    Args:
        height_factor: a number or a pair in ``[-1, 1]``.
        width_factor: a number or a pair in ``[-1, 1]``.
        fill_mode, interpolation, seed, fill_value: as for ``RandomRotation``.

    Example:
        >>> shift = RandomTranslation(0, (0.5, 0.5), fill_mode="constant")
        >>> shift(torch.tensor([[[[1.0], [2.0]]]]), training=True).flatten().tolist()
        [0.0, 1.0]
    """

    DRAWS = 2
    MESSAGE = "The `factor` argument should be a number (or a list of two numbers) in the range [-1.0, 1.0]. "

    def __init__(self, height_factor: Any, width_factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None, fill_value: float = 0.0,
                 data_format: str | None = None, **kwargs: Any) -> None:
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_range = shift_range(height_factor, "height_factor", self.MESSAGE, low_open=False)
        self.width_range = shift_range(width_factor, "width_factor", self.MESSAGE, low_open=False)
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)

    def transform_matrix(self, draw: torch.Tensor, height: int, width: int) -> torch.Tensor:
        dy = uniform_between(draw[:, 0], *self.height_range) * height
        dx = uniform_between(draw[:, 1], *self.width_range) * width
        ones, zeros = torch.ones_like(dx), torch.zeros_like(dx)
        return torch.stack([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], dim=1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


def uniform_between(draw: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """A uniform [0, 1) draw mapped to [low, high), in Keras's order of operations (so low == high gives low)."""
    return draw * (high - low) + low


class RandomCrop(RandomImageLayer):
    """Crop a random ``(height, width)`` window of each image while training, as ``keras.layers.RandomCrop`` 3.15.

    Each image gets its own window (Keras draws one for the whole batch). An image not larger than the window on
    both sides instead gives the window starting where its centred aspect-ratio crop starts, resized (bilinear)
    to ``(height, width)`` where the image's edge cut it short.
    In inference the layer is the identity, as Keras 3.15's is (the output keeps the input's size).

    Args:
        height, width: the window's size.
        seed: an integer seed for the layer's own generator, or ``None`` for PyTorch's global one.

    Example:
        >>> RandomCrop(2, 3, seed=0)(torch.rand(4, 5, 5, 3), training=True).shape
        torch.Size([4, 2, 3, 3])
    """

    DRAWS = 2

    def __init__(self, height: int, width: int, seed: int | None = None, data_format: str | None = None,
                 **kwargs: Any) -> None:
        self.height, self.width = int(height), int(width)
        super().__init__(seed=seed, data_format=data_format, **kwargs)

    def transform(self, images: torch.Tensor, draw: torch.Tensor) -> torch.Tensor:
        n, height, width, _ = images.shape
        if not (height > self.height and width > self.width):
            # Keras starts a (height, width) slice where the centred aspect-ratio window starts (clipped by the
            # image's edge), then resizes what it got.
            top, left, _, _ = aspect_window((height, width), (self.height, self.width), pad=False)
            window = images[:, top:top + self.height, left:left + self.width]
            return window if window.shape[1:3] == (self.height, self.width) else resize_images(
                window, (self.height, self.width))
        draw = draw.reshape(n, 2).float()
        top = (draw[:, 0] * (height - self.height + 1)).long().clamp(max=height - self.height)  # (N,)
        left = (draw[:, 1] * (width - self.width + 1)).long().clamp(max=width - self.width)
        rows = top[:, None] + torch.arange(self.height, device=images.device)  # (N, h)
        cols = left[:, None] + torch.arange(self.width, device=images.device)  # (N, w)
        batch = torch.arange(n, device=images.device)[:, None, None]
        return images[batch, rows[:, :, None], cols[:, None, :]]  # (N, h, w, C)

    def compute_output_shape(self, input_shape):
        return self.resized_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width, "seed": self.seed,
                "data_format": self.data_format}
