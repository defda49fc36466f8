"""Random augmentation layers: active while training, the identity in inference, one batch at a time on its device."""

from __future__ import annotations

from typing import Any

import torch

from .base import Layer, Shape
from .data_format import ChannelsLayout

FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class SeededDraws:
    """A torch generator per device, started from ``seed``, so a seeded layer repeats its draws run after run.

    ``seed=None`` draws from PyTorch's global generator (which ``set_random_seed`` seeds).
    The stream is PyTorch's, not Keras's: the same seed gives other draws than Keras's ``SeedGenerator``.
    """

    def __init__(self, seed: int | None) -> None:
        self.seed = seed
        self.generators: dict[torch.device, torch.Generator] = {}

    def uniform(self, shape: tuple[int, ...], device: torch.device) -> torch.Tensor:
        if self.seed is None:
            return torch.rand(shape, device=device)
        if device not in self.generators:
            self.generators[device] = torch.Generator(device=device).manual_seed(self.seed)
        return torch.rand(shape, device=device, generator=self.generators[device])


def factor_range(factor: Any, bounds: tuple[float, float]) -> tuple[float, float]:
    """Keras's ``factor`` rule: a pair is sorted, a number ``f`` means ``(max(-|f|, low), |f|)``, within ``bounds``."""
    message = (f"The `factor` argument should be a number (or a list of two numbers) in the range "
               f"[{bounds[0]}, {bounds[1]}]. Received: factor={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(message)
        lower, upper = sorted(float(f) for f in factor)
        return lower, upper
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not bounds[0] <= factor <= bounds[1]:
        raise ValueError(message)
    return max(-abs(float(factor)), bounds[0]), abs(float(factor))


def checked_value_range(value_range: Any, layer: str) -> tuple[float, float]:
    """``value_range`` as a sorted ``(low, high)`` pair, or a ValueError naming what was received."""
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(f"{layer}: the `value_range` argument should be a list of two numbers. "
                         f"Received: value_range={value_range}")
    low, high = sorted(value_range)
    return low, high


def batch_of_images(x: torch.Tensor, layer: str) -> torch.Tensor:
    """``x`` as a float (N, H, W, C) batch: an (H, W, C) image gains a batch axis of 1."""
    if x.dim() not in (3, 4):
        raise ValueError(f"{layer}: expected the input image to be rank 3 or 4. Received inputs.shape={tuple(x.shape)}")
    return x if x.dim() == 4 else x.unsqueeze(0)


class ImageLayer(ChannelsLayout, Layer):
    """A layer over images: (H, W, C) or (N, H, W, C), or (C, H, W) / (N, C, H, W) with ``data_format="channels_first"``.

    The work is done on a float channels-last batch: :meth:`images` gives it and :meth:`restore` turns the result
    back into the layer's layout (and drops the batch axis an unbatched image gained).
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        self.set_data_format(data_format)
        super().__init__(**kwargs)

    def images(self, x: torch.Tensor) -> tuple[torch.Tensor, bool]:
        """``x`` as a float (N, H, W, C) batch, and whether a batch axis was added (to drop again)."""
        if not x.is_floating_point():
            x = x.to(self.variable_dtype)
        return self.to_channels_last(batch_of_images(x, type(self).__name__)), x.dim() == 3

    def restore(self, out: torch.Tensor, unbatched: bool) -> torch.Tensor:
        """A (N, H, W, C) result in the layer's layout, unbatched again if the input was."""
        out = self.from_channels_last(out)
        return out[0] if unbatched else out

    def resized_shape(self, input_shape: Shape, height: int, width: int) -> Shape:
        """The input shape (batched or not) with its height and width replaced."""
        if self.channel_axis == 1:
            return (*input_shape[:-2], height, width)
        return (*input_shape[:-3], height, width, input_shape[-1])


class RandomImageLayer(ImageLayer):
    """A layer that changes each image of a batch by one uniform draw per image while training, else the identity.

    Subclasses store their arguments, then call ``super().__init__(seed=..., **kwargs)``, and give ``transform``
    (on a channels-last batch, whatever the layer's ``data_format``); ``DRAWS`` is how many uniform numbers each
    image gets (a zoom draws its height and width factors apart).
    """

    DRAWS = 1

    def __init__(self, seed: int | None = None, data_format: str | None = None, **kwargs: Any) -> None:
        self.seed = seed
        self.draws = SeededDraws(seed)
        super().__init__(data_format, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x if x.is_floating_point() else x.to(self.variable_dtype)
        images, unbatched = self.images(x)  # (N, H, W, C)
        draw = self.draws.uniform((images.shape[0], self.DRAWS, 1, 1), images.device).to(images.dtype)  # (N, D, 1, 1)
        return self.restore(self.transform(images, draw), unbatched)

    def transform(self, images: torch.Tensor, draw: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class RandomFlip(RandomImageLayer):
    """Flip each image of a batch with probability 1/2 while training, as ``keras.layers.RandomFlip``.

    ``"horizontal_and_vertical"`` flips both axes on the same draw (a half turn), as Keras does.
    Inputs are (H, W, C) or (N, H, W, C), channels last, or channels first with ``data_format="channels_first"``.

    Args:
        mode: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"``.
        seed: an integer seed for the layer's own generator, or ``None`` for PyTorch's global one.
        data_format: ``"channels_last"``, ``"channels_first"`` or ``None`` (``image_data_format()``).

    Example:
        >>> import torch
        >>> flip = RandomFlip("horizontal", seed=0)
        >>> torch.equal(flip(torch.ones(2, 4, 4, 3)), torch.ones(2, 4, 4, 3))  # inference: identity
        True
    """

    def __init__(self, mode: str = "horizontal_and_vertical", seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        if mode not in FLIP_MODES:
            raise ValueError(f"RandomFlip layer {kwargs.get('name')} received an unknown mode argument {mode!r}. "
                             f"Allowed: {', '.join(map(repr, FLIP_MODES))}.")
        self.mode = mode
        super().__init__(seed=seed, data_format=data_format, **kwargs)

    def transform(self, images: torch.Tensor, draw: torch.Tensor) -> torch.Tensor:
        axes = {"horizontal": [2], "vertical": [1], "horizontal_and_vertical": [1, 2]}[self.mode]
        return torch.where(draw <= 0.5, images.flip(axes), images)  # as Keras: flipped when the draw is <= 0.5

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format, "seed": self.seed, "mode": self.mode}


class PixelAdjustment(RandomImageLayer):
    """The shared part of RandomContrast and RandomBrightness: a ``factor`` range, a ``value_range`` clip, and one
    uniform draw per image (``adjust`` turns that draw into the new pixels)."""

    FACTOR_BOUNDS: tuple[float, float] = (0, 1)

    def __init__(self, factor: Any, value_range: tuple[float, float] = (0, 255), seed: int | None = None,
                 **kwargs: Any) -> None:
        self.factor = factor_range(factor, self.FACTOR_BOUNDS)
        self.value_range = checked_value_range(value_range, type(self).__name__)
        self._given_value_range = value_range
        super().__init__(seed=seed, **kwargs)

    def transform(self, images: torch.Tensor, draw: torch.Tensor) -> torch.Tensor:
        return self.adjust(images, draw).clamp(*self.value_range)

    def adjust(self, images: torch.Tensor, draw: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        # Keras writes RandomBrightness's range sorted into a list, RandomContrast's as it was given.
        value_range = list(self.value_range) if isinstance(self, RandomBrightness) else self._given_value_range
        return {**super().get_config(), "data_format": self.data_format, "factor": self.factor,
                "value_range": value_range, "seed": self.seed}


class RandomContrast(PixelAdjustment):
    """Scale each image's deviation from its per-channel mean by a random factor while training.

    As ``keras.layers.RandomContrast`` 3.15: ``out = (x - mean) * c + mean`` clipped to ``value_range``, one ``c``
    per image drawn uniformly from ``[1 - lower, 1 + upper]`` where ``(lower, upper)`` follows Keras's factor rule,
    so ``factor=0.2`` draws ``c`` from ``[1.0, 1.2]`` (Keras stores it as ``(0, 0.2)``) and ``factor=(0.2, 0.2)``
    from ``[0.8, 1.2]``.

    Args:
        factor: a number or a pair in ``[0, 1]``.
        value_range: the ``(low, high)`` range the outputs are clipped to.
        seed: an integer seed for the layer's own generator, or ``None`` for PyTorch's global one.

    Example:
        >>> import torch
        >>> RandomContrast(0.5, seed=0)(torch.full((1, 2, 2, 1), 7.0)).flatten().tolist()  # inference: identity
        [7.0, 7.0, 7.0, 7.0]
    """

    FACTOR_BOUNDS = (0, 1)

    def adjust(self, images: torch.Tensor, draw: torch.Tensor) -> torch.Tensor:
        low, high = 1.0 - self.factor[0], 1.0 + self.factor[1]
        contrast = low + (high - low) * draw  # (N, 1, 1, 1)
        mean = images.mean(dim=(1, 2), keepdim=True)  # (N, 1, 1, C)
        return (images - mean) * contrast + mean


class RandomBrightness(PixelAdjustment):
    """Add one random offset per image while training, as ``keras.layers.RandomBrightness`` 3.15.

    The offset is ``u * (high - low)`` with ``u`` uniform in ``(lower, upper)`` from Keras's factor rule
    (``factor=0.2`` gives ``(-0.2, 0.2)``), and the result is clipped to ``value_range = (low, high)``.

    Args:
        factor: a number or a pair in ``[-1, 1]``.
        value_range: the pixel range ``(low, high)``.
        seed: an integer seed for the layer's own generator, or ``None`` for PyTorch's global one.

    Example:
        >>> import torch
        >>> RandomBrightness(0.2)(torch.full((1, 1, 2, 1), 9.0)).flatten().tolist()  # inference: identity
        [9.0, 9.0]
    """

    FACTOR_BOUNDS = (-1, 1)

    def adjust(self, images: torch.Tensor, draw: torch.Tensor) -> torch.Tensor:
        low, high = self.factor
        return images + (low + (high - low) * draw) * (self.value_range[1] - self.value_range[0])
