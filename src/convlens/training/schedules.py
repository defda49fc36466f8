"""Learning-rate schedules: Keras's ``keras.optimizers.schedules`` as functions of the step count.

A schedule maps the number of updates applied so far to a learning rate. It
is computed with torch ops on a float32 step tensor, so the same code serves a
host step (an int, giving a 0-d CPU tensor) and the optimizer's device step
scalar (giving a device tensor, with no host sync: a CUDA-graph step replays it).

Example:
    >>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> round(float(schedule(10)), 6)
    0.05
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import torch

__all__ = ["CosineDecay", "ExponentialDecay", "InverseTimeDecay", "LearningRateSchedule",
           "PiecewiseConstantDecay", "deserialize", "serialize"]


def _step(step: int | float | torch.Tensor) -> torch.Tensor:
    return step.float() if isinstance(step, torch.Tensor) else torch.tensor(float(step))


def _check_decay_steps(decay_steps: Any) -> Any:
    if decay_steps <= 0:
        raise ValueError(f"Argument `decay_steps` must be > 0. Received: decay_steps={decay_steps}")
    return decay_steps


class LearningRateSchedule:
    """Base class: ``schedule(step)`` gives the learning rate after ``step`` updates, as a 0-d tensor."""

    def __call__(self, step: int | float | torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "LearningRateSchedule":
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


class _TimeDecay(LearningRateSchedule):
    """The decays driven by ``step / decay_steps`` (floored with ``staircase``): their shared arguments."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float, staircase: bool = False,
                 name: str | None = None) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _check_decay_steps(decay_steps)
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name or type(self).__name__

    def _progress(self, step: int | float | torch.Tensor) -> torch.Tensor:
        p = _step(step) / self.decay_steps
        return torch.floor(p) if self.staircase else p

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_TimeDecay):
    """``initial_learning_rate · decay_rate ** (step / decay_steps)``, the exponent floored with ``staircase``.

    Example:
        >>> round(float(ExponentialDecay(1.0, 4, 0.5, staircase=True)(7)), 6)
        0.5
    """

    def __call__(self, step: int | float | torch.Tensor) -> torch.Tensor:
        p = self._progress(step)
        return self.initial_learning_rate * torch.pow(torch.tensor(float(self.decay_rate), device=p.device), p)


class InverseTimeDecay(_TimeDecay):
    """``initial_learning_rate / (1 + decay_rate · step / decay_steps)``, the ratio floored with ``staircase``.

    Example:
        >>> round(float(InverseTimeDecay(1.0, 1, 0.5)(2)), 6)
        0.5
    """

    def __call__(self, step: int | float | torch.Tensor) -> torch.Tensor:
        return self.initial_learning_rate / (1 + self.decay_rate * self._progress(step))


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` up to ``boundaries[0]`` (included), ``values[i]`` up to ``boundaries[i]``, then ``values[-1]``.

    Example:
        >>> [float(PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])(s)) for s in (10, 11, 21)]
        [1.0, 0.5, 0.10000000149011612]
    """

    def __init__(self, boundaries: Sequence[float], values: Sequence[float], name: str = "PiecewiseConstant") -> None:
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and values={values} "
                f"of length {len(values)}."
            )
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step: int | float | torch.Tensor) -> torch.Tensor:
        s = _step(step)
        bounds = torch.tensor([float(b) for b in self.boundaries], device=s.device)
        values = torch.tensor([float(v) for v in self.values], device=s.device)
        # The number of boundaries strictly below the step picks the value (a boundary belongs to the range it ends).
        return values[(s > bounds).sum()]

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Optional linear warm-up to ``warmup_target`` over ``warmup_steps``, then a half cosine over ``decay_steps``.

    The cosine falls from its start (``warmup_target``, or
    ``initial_learning_rate`` without warm-up) to ``alpha`` times that, and
    stays there.

    Example:
        >>> round(float(CosineDecay(1.0, 10)(5)), 6)
        0.5
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0, name: str = "CosineDecay",
                 warmup_target: float | None = None, warmup_steps: int = 0) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _check_decay_steps(decay_steps)
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step: torch.Tensor, start: float) -> torch.Tensor:
        cosine = 0.5 * (1.0 + torch.cos(math.pi * step / self.decay_steps))
        return start * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step: int | float | torch.Tensor) -> torch.Tensor:
        s = _step(step)
        if self.warmup_target is None:
            return self._decay(s.clamp(max=float(self.decay_steps)), self.initial_learning_rate)
        s = s.clamp(max=float(self.decay_steps + self.warmup_steps))
        delta = self.warmup_target - self.initial_learning_rate
        # Both branches are computed and one is chosen, so no host branch depends on a device value.
        warmup = delta * s / max(self.warmup_steps, 1) + self.initial_learning_rate
        return torch.where(s < self.warmup_steps, warmup, self._decay(s - self.warmup_steps, self.warmup_target))

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


_CLASSES = {cls.__name__: cls for cls in (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, CosineDecay)}


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """Keras's serialized form of a schedule, as a ``.keras`` archive's optimizer config holds it.

    Example:
        >>> serialize(CosineDecay(0.1, 100))["class_name"]
        'CosineDecay'
    """
    return {"module": "keras.optimizers.schedules", "class_name": type(schedule).__name__,
            "config": schedule.get_config(), "registered_name": None}


def deserialize(config: dict[str, Any]) -> LearningRateSchedule:
    """A schedule from Keras's serialized form (``{"class_name": ..., "config": {...}}``).

    Raises:
        ValueError: for a schedule class convlens does not implement.

    Example:
        >>> deserialize(serialize(ExponentialDecay(0.1, 10, 0.9))).decay_rate
        0.9
    """
    name = config.get("class_name")
    if name not in _CLASSES:
        raise ValueError(f"Unknown learning-rate schedule {name!r}: convlens implements {sorted(_CLASSES)}.")
    return _CLASSES[name].from_config(dict(config.get("config") or {}))
