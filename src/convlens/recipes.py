"""Training recipes: a model, a schedule, a batch size and an epoch count that together reach a target fast.

``convlens train --recipe fast`` uses :data:`RECIPES["fast"]`: the goal is
≥ 99.0 % MNIST test accuracy in as little wall time as possible (model
creation, training and the test pass, data already in memory). ``fast`` is
tuned for a GPU, ``fast-cpu`` for a CPU. The figures behind each choice are
in bench/RESULTS.md (W2).

Example:
    >>> RECIPES["fast"].model
    'mnist_fast'
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from typing import Any, ContextManager

import torch

from .training.callback import Callback


@dataclass(frozen=True)
class Recipe:
    """Everything a recipe fixes; the rest of a run's settings keep their defaults."""

    model: str  # zoo architecture
    epochs: int  # passes over all 60,000 training images
    batch_size: int  # images per step
    optimizer: str  # optimizer name
    peak_lr: float  # learning rate at the top of the one-cycle schedule
    warmup: float  # fraction of the steps spent rising linearly from 0 to peak_lr
    validation_split: float = 0.0  # a recipe trains on every image; the test set measures it
    model_options: dict[str, Any] = field(default_factory=dict)  # keyword arguments of the zoo builder
    optimizer_options: dict[str, Any] = field(default_factory=dict)  # e.g. {"beta_2": 0.99}
    # set the model's fixed "stem" convolution to patch-whitening filters of the training images before training
    whiten_stem: bool = False
    # "bfloat16": training steps run under torch.autocast with bfloat16 on a CPU that has bfloat16 instructions
    # (AVX512_BF16 or AMX); the weights, the optimizer and the test pass stay float32. Elsewhere it is float32.
    training_precision: str = "float32"
    # Keras's CategoricalCrossentropy(label_smoothing=...) on one-hot labels instead of the sparse cross-entropy
    label_smoothing: float = 0.0
    # each epoch takes this fraction of a shuffled pass over the training images (its first steps); 1 = all of them
    epoch_fraction: float = 1.0

    def steps_per_epoch(self, train_size: int) -> int | None:
        """Steps per epoch on ``train_size`` images: ``None`` (a whole pass) unless ``epoch_fraction`` is below 1.

        Example:
            >>> RECIPES["fast"].steps_per_epoch(60000) is None
            True
        """
        if self.epoch_fraction >= 1:
            return None
        return max(1, math.ceil(self.epoch_fraction * train_size / self.batch_size))

    def precision(self, device: torch.device | str) -> str:
        """The precision the training steps run in on ``device``: ``training_precision`` where it pays, else float32.

        Example:
            >>> RECIPES["fast"].precision("cpu")
            'float32'
        """
        if self.training_precision == "bfloat16" and torch.device(device).type == "cpu" and native_bfloat16():
            return "bfloat16"
        return "float32"

    def autocast(self, device: torch.device | str) -> ContextManager[Any]:
        """The context the training steps run in on ``device`` (see :meth:`precision`).

        Example:
            >>> with RECIPES["fast"].autocast("cpu"):
            ...     pass
        """
        if self.precision(device) == "bfloat16":
            # No cast cache: around a whole fit it would keep the first step's bfloat16 copies of the weights.
            return torch.autocast("cpu", dtype=torch.bfloat16, cache_enabled=False)
        return contextlib.nullcontext()


RECIPES: dict[str, Recipe] = {
    # Tuned on an H100, where fit replays its step from a CUDA graph and
    # width costs little: mnist_fast at 32/64/128 filters (5.8 M multiply-adds
    # per image), Adam (beta_2 0.99) under a one-cycle schedule peaking at
    # 0.02, batch 256, one epoch. Measured (bench/w2_time_to_99.py, 10 seeds):
    # 0.24 s, 99.06-99.24 %. The 16/32/64 model took 0.19 s but 4 of 24 runs
    # ended at 98.88-98.99 %; batch 128 at 16/32/64 took 0.29 s (99.02-99.20 %).
    "fast": Recipe(model="mnist_fast", epochs=1, batch_size=256, optimizer="adam", peak_lr=0.02, warmup=0.2,
                   model_options={"filters": (32, 64, 128)}, optimizer_options={"beta_2": 0.99}),
    # The 16/32/64 model (1.49 M multiply-adds per image, 4x fewer than
    # "fast"), for a CPU, where time follows the arithmetic, with its first
    # convolution fixed to patch-whitening filters of the training images
    # (training.whitening) and no BatchNorm in the first block: nothing is
    # trained in the first block, so its backward pass, 43 % of the learned
    # model's step, is gone. One-cycle Adam (beta_2 0.99), and bfloat16 steps
    # where the CPU has bfloat16 instructions (AVX512_BF16 or AMX; the step
    # took 10.2 ms against 16.3 ms in float32 at batch 128 on the 2-core
    # AMD EPYC with AVX-512). Batch 256 peaking at 0.02 against 128 at 0.012:
    # a step on 256 images costs 1.6x one on 128, so the epoch is 20 % shorter.
    # Label smoothing 0.05 (Keras's CategoricalCrossentropy on one-hot
    # labels) lifts the accuracy enough to train on the first 85 % of the
    # shuffled epoch. In one process, five seeds, float32: the whole epoch
    # unsmoothed 98.98-99.10 % (mean 99.04); smoothing 0.05 99.07-99.21 %;
    # 85 % unsmoothed 98.86-98.98 %; 85 % with 0.05 99.06-99.14 % (seeds 5-9
    # 99.02-99.10 %), with 0.1 98.94-99.15 %, 80 % with 0.05 98.94-99.11 %.
    # bfloat16, seeds 0-7: 99.03-99.20 % against 99.01-99.12 % before.
    "fast-cpu": Recipe(model="mnist_fast", epochs=1, batch_size=256, optimizer="adam", peak_lr=0.02, warmup=0.2,
                       model_options={"stem": "fixed"}, optimizer_options={"beta_2": 0.99}, whiten_stem=True,
                       training_precision="bfloat16", label_smoothing=0.05, epoch_fraction=0.85),
}


def native_bfloat16() -> bool:
    """Whether this CPU computes in bfloat16 natively (AVX512_BF16 or AMX), where oneDNN's bfloat16 kernels pay.

    Without those instructions bfloat16 is emulated and slower than float32.

    Example:
        >>> isinstance(native_bfloat16(), bool)
        True
    """
    checks = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return any(bool(check()) for check in checks if check is not None)


class OneCycle(Callback):
    """Per-step learning rate: linear warm-up to ``peak`` over ``warmup`` of the steps, then linear decay towards 0.

    Sets ``model.optimizer.learning_rate`` before every step; it reads no
    metrics, so training never waits on the device for it.

    Example:
        >>> OneCycle(peak=0.01, total_steps=100, warmup=0.2).rate(19)  # the last warm-up step reaches the peak
        0.01
    """

    def __init__(self, peak: float, total_steps: int, warmup: float = 0.2) -> None:
        super().__init__()
        if peak <= 0 or total_steps <= 0 or not 0 <= warmup < 1:
            raise ValueError(f"OneCycle: needs peak > 0, total_steps > 0 and 0 <= warmup < 1; received "
                             f"peak={peak}, total_steps={total_steps}, warmup={warmup}.")
        self.peak, self.total, self.rise = peak, total_steps, max(1, round(warmup * total_steps))
        self.step = 0

    def rate(self, step: int) -> float:
        """The learning rate at a (0-based) step."""
        if step < self.rise:
            return self.peak * (step + 1) / self.rise
        return self.peak * max(0.0, (self.total - step) / (self.total - self.rise + 1))

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        steps_per_epoch = self.params.get("steps") if isinstance(getattr(self, "params", None), dict) else None
        if steps_per_epoch:
            self.step = epoch * steps_per_epoch

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        self.model.optimizer.learning_rate = self.rate(self.step)
        self.step += 1
