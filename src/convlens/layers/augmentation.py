"""Random augmentation layers: active while training, the identity in inference, one batch at a time on its device."""

from __future__ import annotations

from typing import Any

import torch

from .base import Layer

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


class RandomFlip(Layer):
    """Flip each image of a batch with probability 1/2 while training, as ``keras.layers.RandomFlip``.

    ``"horizontal_and_vertical"`` flips both axes on the same draw (a half turn), as Keras does.
    Inputs are (H, W, C) or (N, H, W, C), channels last.

    Args:
        mode: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"``.
        seed: an integer seed for the layer's own generator, or ``None`` for PyTorch's global one.

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
        if data_format not in (None, "channels_last"):
            raise ValueError(f"RandomFlip: data_format must be 'channels_last'; received data_format={data_format!r}.")
        self.mode = mode
        self.seed = seed
        self.draws = SeededDraws(seed)
        super().__init__(**kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not x.is_floating_point():
            x = x.to(self.variable_dtype)
        if not self.training:
            return x
        batched = x if x.dim() == 4 else x.unsqueeze(0)  # (N, H, W, C)
        flips = self.draws.uniform((batched.shape[0], 1, 1, 1), batched.device) <= 0.5
        axes = {"horizontal": [2], "vertical": [1], "horizontal_and_vertical": [1, 2]}[self.mode]
        flipped = torch.where(flips, batched.flip(axes), batched)
        return flipped if x.dim() == 4 else flipped.squeeze(0)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": "channels_last", "seed": self.seed, "mode": self.mode}
